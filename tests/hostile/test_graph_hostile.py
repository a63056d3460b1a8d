"""Hostile graph edits, layer options and names: project errors, bounded work, nothing spoofed on a terminal."""

import pytest
import torch

from layergraph import (
    additionLayer, analyzeNetwork, concatenationLayer, connectLayers, depthConcatenationLayer, featureInputLayer,
    fullyConnectedLayer, image3dInputLayer, layerGraph, multiplicationLayer, regressionLayer, reluLayer,
    replaceLayer, resize3dLayer,
)
from layergraph.analysis import analyze
from layergraph.errors import GraphError, LayerGraphError, OptionError
from layergraph.limits import LimitError, limits, set_limits
from layergraph.textsafe import printable


def test_replace_a_layer_connected_to_itself():
    g = layerGraph([featureInputLayer(4, Name="in"), additionLayer(2, Name="add"), reluLayer(Name="r"),
                    regressionLayer(Name="out")])
    g = connectLayers(g, "add", "add/in2")
    g2 = replaceLayer(g, "add", additionLayer(2, Name="add2"))
    # the self-connection moves to the new layer; no edge names the removed layer
    assert ("add2", "out", "add2", "in2") in g2.edge_list()
    assert all("add" not in (e[0], e[2]) for e in g2.edge_list())
    result = analyze(g2)
    assert any("Detected cycle: 'add2' -> 'add2'" in str(i) for i in result.Issues)


def test_replace_self_connected_layer_by_a_chain():
    g = layerGraph([featureInputLayer(4, Name="in"), additionLayer(2, Name="add"), reluLayer(Name="r")])
    g = connectLayers(g, "add", "add/in2")
    g2 = replaceLayer(g, "add", [additionLayer(2, Name="a"), reluLayer(Name="b")])
    assert ("b", "out", "a", "in2") in g2.edge_list() and ("a", "out", "b", "in") in g2.edge_list()


@pytest.mark.parametrize("make", [lambda n: additionLayer(n), lambda n: depthConcatenationLayer(n),
                                  lambda n: multiplicationLayer(n), lambda n: concatenationLayer(1, n)])
def test_combination_layers_have_an_input_limit(make):
    with pytest.raises(OptionError, match="max_layer_inputs = 65,536"):
        make(10**7)
    assert make(65536).NumInputs == 65536
    with limits(max_layer_inputs=10):
        with pytest.raises(OptionError, match="11 inputs exceed"):
            make(11)


def test_limits_are_validated():
    with pytest.raises(LimitError, match="not a layergraph limit"):
        set_limits(max_everything=3)
    with pytest.raises(LimitError, match="positive integer"):
        with limits(max_layer_inputs=0):
            pass


def test_huge_learnables_are_refused_at_analysis():
    g = layerGraph([featureInputLayer(10**6, Name="in"), fullyConnectedLayer(10**6, Name="fc"),
                    regressionLayer(Name="out")])
    result = analyze(g)
    [issue] = [i for i in result.Issues if i.Layer == "fc"]
    assert "1000000×1000000" in issue.Message and "max_array_elements" in issue.Message


def test_huge_resize_scale_is_refused_at_analysis():
    g = layerGraph([image3dInputLayer([8, 8, 8, 1], Name="in"), resize3dLayer(Scale=10**5, Name="up"),
                    regressionLayer(Name="out")])
    result = analyze(g)
    [issue] = [i for i in result.Issues if i.Layer == "up"]
    assert "max_array_elements" in issue.Message


def test_network_with_a_huge_layer_does_not_compile():
    from layergraph import assembleNetwork

    g = layerGraph([featureInputLayer(10**6, Name="in"), fullyConnectedLayer(10**6, Name="fc"),
                    regressionLayer(Name="out")])
    with pytest.raises(LayerGraphError, match="max_array_elements"):
        assembleNetwork(g)


SPOOF = "x\x1b[31mRED\x1b[0m\nfake line\r\u202eevil\x07"


def test_printable_escapes_controls_and_bidi():
    assert printable(SPOOF) == "x\\e[31mRED\\e[0m\\nfake line\\r\\u202eevil\\x07"
    assert printable("plain 'name' ü") == "plain 'name' ü"


def _no_controls(text: str) -> bool:
    return not any(c in text for c in "\x1b\r\x07\u202e")


def test_names_are_escaped_in_the_layer_array_and_report(capsys):
    layers = [featureInputLayer(4, Name=SPOOF), fullyConnectedLayer(3, Name="fc"), reluLayer(Name="r\x1b[2J")]
    g = layerGraph(layers)
    shown = str(g.Layers)
    assert "x\\e[31mRED" in shown and _no_controls(shown) and "fake line" in shown.splitlines()[2]
    analyzeNetwork(g)
    out = capsys.readouterr().out
    assert _no_controls(out) and "'r\\e[2J'" in out
    assert _no_controls(str(layers[0])) and _no_controls(repr(layers[0])) and _no_controls(str(g.Connections))


def test_names_are_escaped_in_error_messages():
    g = layerGraph([featureInputLayer(4, Name="in")])
    with pytest.raises(GraphError) as info:
        g.layer("nope\x1b[2J")
    assert _no_controls(str(info.value)) and "nope\\e[2J" in str(info.value)
    with pytest.raises(OptionError) as info:
        fullyConnectedLayer(-1, Name=SPOOF)
    assert _no_controls(str(info.value))


def test_plot_shows_names_literally(tmp_path):
    from layergraph.spec.plot import plot_layer_graph

    g = layerGraph([featureInputLayer(4, Name="$\\frac{a}{b}$"), reluLayer(Name="$"), reluLayer(Name="a\x1bb")])
    fig = plot_layer_graph(g, title="$x^2$", path=tmp_path / "net.png")
    texts = [t for t in fig.axes[0].texts]
    assert [t.get_text() for t in texts] == ["$\\frac{a}{b}$", "$", "a\\eb"]
    assert not any(t.get_parse_math() for t in texts)
    assert (tmp_path / "net.png").stat().st_size > 0


def test_replace_layer_name_must_be_text():
    # MATLAB: layerName is a character vector or string scalar; a cell {'relu'} is an error
    g = layerGraph([featureInputLayer(4, Name="in"), reluLayer(Name="relu"), regressionLayer(Name="out")])
    for bad in (["relu"], ["relu", "in"], 3, None, {"relu": 1}):
        with pytest.raises(GraphError, match="layerName must be"):
            replaceLayer(g, bad, reluLayer(Name="r3"))
    with pytest.raises(GraphError, match="character vector"):
        g.layer(["relu"])
    assert not g.has_layer(["relu"])


def test_matrix_valued_property_displays_as_matlab_rows():
    from layergraph import averagePooling3dLayer

    layer = averagePooling3dLayer(3, Stride=2, Padding=[[1, 0, 1], [1, 1, 0]])
    assert "PaddingSize: [2×3 double]" in str(layer)     # MATLAB's object display shows a matrix's size
    assert layer.PaddingSize == [[1, 0, 1], [1, 1, 0]]   # the rows themselves, [t l f; b r k]


def test_resize_scale_that_overflows_is_a_layout_issue():
    g = layerGraph([image3dInputLayer([3, 4, 5, 2], Name="in"), resize3dLayer(Scale=[1e308, 1, 0.5], Name="up")])
    [issue] = [i for i in analyze(g, "dlnetwork").Issues if i.Layer == "up"]
    assert "not finite" in issue.Message


def test_transposed_convolution_cropping_beyond_the_output_does_not_allocate_it():
    from layergraph import dlnetwork, transposedConv3dLayer

    g = layerGraph([image3dInputLayer([4, 3, 3, 2], Name="in"),
                    transposedConv3dLayer([3, 3, 3], 2, Stride=[2, 1, 3], Cropping=1000, Name="t")])
    net = dlnetwork(g)
    y = net(torch.randn(2, 2, 4, 3, 3))
    # MATLAB's rule: cropping more than the full output leaves one row of each dimension, holding the bias
    assert tuple(y.shape) == (2, 2, 1, 1, 1)
    bias = net.Layers[1].Bias.reshape(-1)
    torch.testing.assert_close(y.reshape(2, 2), bias.expand(2, 2))


def test_huge_integer_options_display():
    from layergraph import crop3dLayer

    layer = crop3dLayer(10**400)
    assert "1" + "0" * 400 in str(layer) and layer.description()
