"""LayerGraph: MATLAB naming, edit functions, value semantics, display and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from layergraph import (
    GraphError,
    LayerArray,
    LayerGraph,
    OptionError,
    addLayers,
    additionLayer,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    disconnectLayers,
    featureInputLayer,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    regressionLayer,
    reluLayer,
    removeLayers,
    replaceLayer,
    softmaxLayer,
)

GOLDEN = Path(__file__).parent / "golden"


def names(graph):
    return [layer.Name for layer in graph.Layers]


def test_layer_array_display_matches_matlab_documentation():
    # MATLAB's Layer reference page, current release (Unicode ×, '2-D Convolution').
    layers = [imageInputLayer([28, 28, 3]), convolution2dLayer([5, 5], 10), reluLayer,
              fullyConnectedLayer(10), softmaxLayer, classificationLayer]
    assert str(LayerArray(layers)) == (GOLDEN / "layer_array_E1.txt").read_text()


def test_default_names_bare_when_unique_and_numbered_when_repeated():
    layers = [imageInputLayer([8, 8, 1])]
    for _ in range(3):
        layers += [convolution2dLayer(3, 4, Padding="same"), reluLayer]
    layers += [fullyConnectedLayer(2), softmaxLayer, classificationLayer]
    assert names(layerGraph(layers)) == [
        "imageinput", "conv_1", "relu_1", "conv_2", "relu_2", "conv_3", "relu_3", "fc", "softmax", "classoutput"]


def test_default_names_skip_names_the_user_gave():
    # As in MATLAB's layerGraph doc example: one ReLU named 'relu_1', the others unnamed.
    layers = [featureInputLayer(3), reluLayer, reluLayer(Name="relu_1"), reluLayer]
    assert names(layerGraph(layers)) == ["input", "relu_2", "relu_1", "relu_3"]


def test_added_layers_avoid_existing_names():
    g = layerGraph([featureInputLayer(3), reluLayer])
    g = addLayers(g, reluLayer)
    g = addLayers(g, [reluLayer, reluLayer])
    assert names(g) == ["input", "relu", "relu_1", "relu_2", "relu_3"]


def test_layer_array_elements_stay_unnamed_and_unchanged():
    layers = [featureInputLayer(3), reluLayer()]
    layerGraph(layers)
    assert layers[1].Name == ""


def test_layergraph_connections_inputnames_outputnames():
    g = layerGraph([imageInputLayer([4, 4, 1]), convolution2dLayer(1, 2), additionLayer(2),
                    fullyConnectedLayer(2), softmaxLayer, classificationLayer])
    assert list(g.Connections) == [("imageinput", "conv"), ("conv", "addition/in1"), ("addition", "fc"),
                                   ("fc", "softmax"), ("softmax", "classoutput")]
    assert g.InputNames == ["imageinput"] and g.OutputNames == ["classoutput"]
    assert g.Connections.Source[1] == "conv" and g.Connections.Destination[1] == "addition/in1"
    g2 = connectLayers(g, "imageinput", "addition/in2")
    assert g2.Connections[-1] == ("imageinput", "addition/in2")


def test_empty_graph_and_addlayers_builds_dag():
    g = layerGraph()
    assert len(g) == 0 and g.InputNames == []
    g = addLayers(g, [featureInputLayer(4, Name="in"), fullyConnectedLayer(4, Name="fc1"),
                      additionLayer(2, Name="add"), regressionLayer(Name="out")])
    g = connectLayers(g, "in", "add/in2")
    assert len(g.Connections) == 4
    assert g.source_of("add", "in2") == ("in", "out")


def test_edit_functions_leave_their_argument_unchanged():
    g0 = layerGraph([featureInputLayer(2, Name="a"), reluLayer(Name="b")])
    g1 = addLayers(g0, reluLayer(Name="c"))
    g2 = connectLayers(g1, "b", "c")
    g3 = disconnectLayers(g2, "a", "b")
    g4 = removeLayers(g3, "c")
    g5 = replaceLayer(g2, "b", fullyConnectedLayer(2, Name="fc"))
    assert names(g0) == ["a", "b"] and len(g0.Connections) == 1
    assert names(g1) == ["a", "b", "c"] and len(g1.Connections) == 1
    assert list(g2.Connections) == [("a", "b"), ("b", "c")]
    assert list(g3.Connections) == [("b", "c")]
    assert names(g4) == ["a", "b"] and list(g4.Connections) == []
    assert names(g5) == ["a", "fc", "c"] and list(g5.Connections) == [("a", "fc"), ("fc", "c")]
    # reading versions in any order keeps each one intact
    assert list(g0.Connections) == [("a", "b")] and list(g3.Connections) == [("b", "c")]
    assert list(g2.Connections) == [("a", "b"), ("b", "c")]


def test_layers_property_returns_copies():
    g = layerGraph([featureInputLayer(2), fullyConnectedLayer(3)])
    g.Layers[1].Name = "changed"
    assert names(g) == ["input", "fc"]
    with pytest.raises(GraphError):
        g.Layers = []


def test_replace_layer_reconnect_by_name_and_order():
    g = layerGraph([featureInputLayer(2, Name="in"), reluLayer(Name="r"), additionLayer(2, Name="add"),
                    regressionLayer(Name="out")])
    g = connectLayers(g, "in", "add/in2")
    new = [fullyConnectedLayer(2, Name="fcA"), reluLayer(Name="rA")]
    by_name = replaceLayer(g, "r", new)
    assert names(by_name) == ["in", "fcA", "rA", "add", "out"]
    assert ("in", "fcA") in list(by_name.Connections) and ("rA", "add/in1") in list(by_name.Connections)
    # replacing the addition with a 3-input addition: by name keeps in1, in2
    three = replaceLayer(g, "add", additionLayer(3, Name="add3"))
    assert set(three.Connections) >= {("r", "add3/in1"), ("in", "add3/in2"), ("add3", "out")}
    # by order onto differently named ports
    with pytest.raises(GraphError):
        replaceLayer(g, "add", [reluLayer(Name="x")])
    ordered = replaceLayer(g, "r", [fullyConnectedLayer(2, Name="f")], "ReconnectBy", "order")
    assert ("in", "f") in list(ordered.Connections)


def test_multi_input_destination_without_port_is_an_error():
    g = layerGraph([featureInputLayer(2), reluLayer, additionLayer(2, Name="add")])
    with pytest.raises(GraphError, match="Layer 'add' has multiple inputs. Specify which input of layer 'add' to use."):
        connectLayers(g, "input", "add")


@pytest.mark.parametrize("src,dst,pattern", [
    ("nope", "relu", "Layer 'nope' does not exist"),
    ("input", "nope/in", "Layer 'nope' does not exist"),
    ("input", "add/in7", "has no input named 'in7'"),
    ("input/x", "relu", "has no output named 'x'"),
    ("input", "add/in1", "already connected"),
    ("relu", "input", "no inputs"),
])
def test_bad_connections_name_layer_and_port(src, dst, pattern):
    g = layerGraph([featureInputLayer(2), additionLayer(2, Name="add"), reluLayer])
    before = list(g.Connections)
    with pytest.raises(GraphError, match=pattern):
        connectLayers(g, src, dst)
    assert list(g.Connections) == before


def test_duplicate_names_and_missing_layers():
    with pytest.raises(GraphError, match="Duplicate layer name 'x'"):
        layerGraph([reluLayer(Name="x"), reluLayer(Name="x")])
    g = layerGraph([featureInputLayer(2, Name="x")])
    with pytest.raises(GraphError, match="already exists"):
        addLayers(g, reluLayer(Name="x"))
    with pytest.raises(GraphError, match="Layer 'y' does not exist"):
        removeLayers(g, "y")
    g = addLayers(g, reluLayer(Name="r"))
    with pytest.raises(GraphError, match="no connection from 'x' to 'r'"):
        disconnectLayers(g, "x", "r")
    assert names(g) == ["x", "r"]


def test_failed_edit_leaves_no_trace():
    g = layerGraph([featureInputLayer(2, Name="in"), additionLayer(2, Name="add")])
    # replaceLayer that fails after removing the old layer must roll back completely
    with pytest.raises(GraphError):
        replaceLayer(g, "add", reluLayer(Name="r"))
    assert names(g) == ["in", "add"] and list(g.Connections) == [("in", "add/in1")]
    g2 = addLayers(g, reluLayer(Name="r"))
    assert names(g2) == ["in", "add", "r"]


def test_bad_layer_arguments():
    with pytest.raises(GraphError, match="not a layer"):
        layerGraph([featureInputLayer(2), 42])
    with pytest.raises(GraphError, match="Input must be an array of layers"):
        layerGraph("conv")


def test_option_errors_name_layer_and_option():
    with pytest.raises(OptionError, match="convolution2dLayer.*'Stride'"):
        convolution2dLayer(3, 8, "Stride", 0)
    with pytest.raises(OptionError, match="'Paddng'.*Did you mean 'Padding'"):
        convolution2dLayer(3, 8, "Paddng", 1)
    with pytest.raises(OptionError, match="missing required argument 'NumFilters'"):
        convolution2dLayer(3)
    with pytest.raises(OptionError, match="NumFilters"):
        convolution2dLayer(3, -2)
    with pytest.raises(OptionError, match="pairs"):
        convolution2dLayer(3, 8, "Stride")
    layer = fullyConnectedLayer(3)
    with pytest.raises(OptionError, match="OutputSize"):
        layer.OutputSize = 0
    assert layer.OutputSize == 3


def test_constructor_forms_are_equivalent():
    a = convolution2dLayer(3, 16, "Padding", "same", "Stride", 2, "Name", "c")
    b = convolution2dLayer(3, 16, padding="same", STRIDE=[2, 2], Name="c")
    c = convolution2dLayer(FilterSize=[3, 3], NumFilters=16, Padding="same", Stride=2, Name="c")
    assert a == b == c
    assert a.Stride == (2, 2) and a.PaddingMode == "same"
    assert convolution2dLayer(3, 4, "Padding", [1, 2]).PaddingSize == [1, 1, 2, 2]
    assert imageInputLayer([28, 28]).InputSize == (28, 28, 1)


def test_large_chain_builds_one_call_at_a_time():
    g = layerGraph(featureInputLayer(4, Name="in"))
    previous = "in"
    for i in range(2000):
        g = addLayers(g, reluLayer(Name=f"r{i}"))
        g = connectLayers(g, previous, f"r{i}")
        previous = f"r{i}"
    assert len(g) == 2001 and len(g.Connections) == 2000
    assert g.Connections[-1] == ("r1998", "r1999")
