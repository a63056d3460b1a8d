"""MATLAB forms newcomers type first: dlnetwork() then addLayers/connectLayers/initialize, summary, plot(lgraph)."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from layergraph import (additionLayer, addLayers, connectLayers, dlnetwork, featureInputLayer, fullyConnectedLayer,
                        initialize, layerGraph, plot, reluLayer, removeLayers, softmaxLayer, summary)
from layergraph.errors import OptionError
from layergraph.network import Network, UninitializedNetwork


def _designer_style():
    net = dlnetwork()
    net = addLayers(net, [featureInputLayer(4, Name="features"), fullyConnectedLayer(16, Name="fc_1"),
                          reluLayer(Name="relu")])
    net = addLayers(net, [fullyConnectedLayer(16, Name="fc_2"), additionLayer(2, Name="add"),
                          fullyConnectedLayer(3, Name="fc_out"), softmaxLayer(Name="softmax")])
    net = connectLayers(net, "relu", "fc_2")
    return connectLayers(net, "relu", "add/in2")


def test_empty_dlnetwork_then_add_connect_initialize():
    empty = dlnetwork()
    assert isinstance(empty, UninitializedNetwork) and empty.Initialized is False and len(empty.layer_list()) == 0
    net = _designer_style()
    assert isinstance(net, UninitializedNetwork)                    # edits keep it an uninitialized dlnetwork
    assert len(empty.layer_list()) == 0                             # value semantics: the empty one is unchanged
    assert net.OutputNames == ["softmax"]
    text = str(net)
    assert "dlnetwork with properties:" in text and "Initialized: 0" in text
    assert "Learnables: [6×3 table]" in text                       # 3 fully connected layers × (Weights, Bias)
    built = initialize(net)
    assert isinstance(built, Network) and built.Initialized
    x = torch.randn(5, 4)
    y = built(x)
    assert tuple(y.shape) == (5, 3)
    torch.testing.assert_close(y.sum(dim=1), torch.ones(5))         # softmax rows
    n_params = sum(p.numel() for p in built.parameters())
    assert n_params == (4 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3)


def test_dlnetwork_initialize_false_and_edits_of_the_uninitialized_network():
    layers = [featureInputLayer(2, Name="in"), fullyConnectedLayer(3, Name="fc"), reluLayer(Name="r")]
    net = dlnetwork(layers, "Initialize", False)
    assert isinstance(net, UninitializedNetwork)
    smaller = removeLayers(net, "r")
    assert isinstance(smaller, UninitializedNetwork) and [l.Name for l in smaller.layer_list()] == ["in", "fc"]
    assert type(layerGraph(net)).__name__ == "LayerGraph"
    assert tuple(dlnetwork(net)(torch.zeros(1, 2)).shape) == (1, 3)


def test_summary_prints_once_and_returns_nothing(capsys):
    net = dlnetwork([featureInputLayer(4, Name="features"), fullyConnectedLayer(3, Name="fc")])
    assert summary(net) is None                                     # a REPL shows nothing more
    out = capsys.readouterr().out
    assert out.count("Initialized: true") == 1
    assert "Number of learnables: 15" in out                        # 4*3 weights + 3 biases
    assert "1   'features'   4 features" in out


def test_summary_of_a_layer_list_and_of_an_uninitialized_network(capsys):
    summary([featureInputLayer(4, Name="x"), fullyConnectedLayer(10, Name="fc")])
    out = capsys.readouterr().out
    assert "Initialized: false" in out and "Number of learnables: 50" in out and "'x'" in out
    summary(_designer_style())
    out = capsys.readouterr().out
    assert "Initialized: false" in out and "Number of learnables: 403" in out   # 80 + 272 + 51
    with pytest.raises(OptionError, match="summary"):
        summary(42)


def test_plot_of_a_layer_graph_returns_a_figure_with_types_and_sizes():
    lgraph = layerGraph([featureInputLayer(3, Name="in"), fullyConnectedLayer(4, Name="fc"), reluLayer(Name="r")])
    fig = plot(lgraph)
    assert isinstance(fig, Figure)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["fc", "in", "r"]
    fig = plot(lgraph, ShowTypes=True, ShowSizes=True)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "fc  (Fully Connected, 4(C) × 1(B))" in texts
    assert "in  (Feature Input, 3(C) × 1(B))" in texts
    fig = plot(lgraph, "ShowTypes", True)
    assert "r  (ReLU)" in {t.get_text() for t in fig.axes[0].texts}
    from layergraph.figures import FigureError

    with pytest.raises(FigureError, match="ShowTypes"):
        plot(lgraph, "Colour", "r")
    assert isinstance(plot([featureInputLayer(3), reluLayer]), Figure)   # a layer array too
    assert np.isfinite(fig.get_size_inches()).all()
