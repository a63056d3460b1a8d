"""JSON spec round trips: every layer case (part of the per-layer harness), learned values, whole graphs."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
import torch

from layergraph import (
    additionLayer,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    reluLayer,
    softmaxLayer,
)
from layergraph.graph import LayerGraph, addLayers
from layergraph.layers import REGISTRY, make_constructor
from layergraph.spec import layer_from_json, layer_to_json, load_spec, save_spec
from layergraph.spec.codec import encode_value

from layer_cases import all_cases

CASES = all_cases()


def _construct(case):
    return make_constructor(REGISTRY[case.constructor])(*case.args, **case.kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.label() for c in CASES])
def test_layer_json_round_trip(case):
    layer = _construct(case).with_name("layer_under_test")
    obj, tensors = layer_to_json(layer)
    assert obj["type"] == case.constructor and obj["Name"] == "layer_under_test"
    text = json.dumps(obj)                      # really through JSON text
    functions = {v.__name__: v for v in layer.values().values() if callable(v) and not isinstance(v, (str, torch.Tensor))}
    back = layer_from_json(json.loads(text), tensors, functions=functions)
    assert back == layer
    assert type(back) is type(layer)
    # the canonical object is stable
    assert layer_to_json(back)[0] == obj


@pytest.mark.parametrize("case", [c for c in CASES if c.inputs], ids=lambda c: c.label())
def test_learned_values_round_trip_through_safetensors(case, tmp_path):
    """Every learnable and state value, set in MATLAB layout, comes back bit for bit from the weights file."""
    layer = _construct(case)
    sizes = dict(layer.learnable_sizes(list(case.inputs)))
    sizes.update(layer.state_sizes(list(case.inputs)))
    gen = torch.Generator().manual_seed(7)
    values = {}
    for prop, shape in sizes.items():
        value = torch.rand(tuple(shape), generator=gen) + 0.5   # positive: valid for variances too
        values[prop] = value
        setattr(layer, prop, value)
    layer = layer.with_name("L")
    graph = layerGraph([layer])
    path = tmp_path / "net.json"
    text = save_spec(graph, path)
    spec = json.loads(text)
    if values:
        blob = (tmp_path / "net.safetensors").read_bytes()
        assert spec["weights"] == {"file": "net.safetensors", "sha256": hashlib.sha256(blob).hexdigest()}
    else:
        assert "weights" not in spec
    functions = {v.__name__: v for v in layer.values().values() if callable(v) and not isinstance(v, (str, torch.Tensor))}
    back = load_spec(path, functions=functions)
    loaded = back.layer("L")
    assert loaded == layer
    for prop, value in values.items():
        got = getattr(loaded, prop)
        assert tuple(got.shape) == tuple(value.shape)
        assert torch.equal(got, value.to(torch.float32))


def _residual_graph():
    layers = [
        imageInputLayer([28, 28, 1]),
        convolution2dLayer(5, 20, "Padding", "same"),
        reluLayer(Name="relu_1"),
        additionLayer(2, Name="add"),
        fullyConnectedLayer(10),
        softmaxLayer,
        classificationLayer,
    ]
    return connectLayers(layerGraph(layers), "relu_1", "add/in2")


EXPECTED_RESIDUAL = """{
  "format": "layergraph-network",
  "version": 1,
  "layers": [
    {"type": "imageInputLayer", "Name": "imageinput", "InputSize": [28, 28, 1]},
    {"type": "convolution2dLayer", "Name": "conv", "FilterSize": [5, 5], "NumFilters": 20, "Padding": "same"},
    {"type": "reluLayer", "Name": "relu_1"},
    {"type": "additionLayer", "Name": "add", "NumInputs": 2},
    {"type": "fullyConnectedLayer", "Name": "fc", "OutputSize": 10},
    {"type": "softmaxLayer", "Name": "softmax"},
    {"type": "classificationLayer", "Name": "classoutput"}
  ],
  "connections": [
    ["relu_1", "add/in2"]
  ]
}
"""


def test_canonical_text_of_a_residual_layer_array():
    assert save_spec(_residual_graph()) == EXPECTED_RESIDUAL


def test_load_of_canonical_text_equals_graph_and_saves_identically():
    graph = _residual_graph()
    text = save_spec(graph)
    back = load_spec(text)
    assert back == graph
    assert back.Connections == graph.Connections or sorted(back.Connections) == sorted(graph.Connections)
    assert save_spec(back) == text


def test_chains_form_for_a_dag_with_a_side_branch():
    graph = layerGraph([imageInputLayer([8, 8, 3], Name="in"), convolution2dLayer(3, 4, Padding="same", Name="c1"),
                        additionLayer(2, Name="add"), reluLayer(Name="out_relu")])
    graph = addLayers(graph, [convolution2dLayer(1, 4, Name="skip")])
    graph = connectLayers(graph, "in", "skip")
    graph = connectLayers(graph, "skip", "add/in2")
    text = save_spec(graph)
    assert json.loads(text)["chains"] == [
        [
            {"type": "imageInputLayer", "Name": "in", "InputSize": [8, 8, 3]},
            {"type": "convolution2dLayer", "Name": "c1", "FilterSize": [3, 3], "NumFilters": 4, "Padding": "same"},
            {"type": "additionLayer", "Name": "add", "NumInputs": 2},
            {"type": "reluLayer", "Name": "out_relu"},
        ],
        [{"type": "convolution2dLayer", "Name": "skip", "FilterSize": [1, 1], "NumFilters": 4}],
    ]
    assert json.loads(text)["connections"] == [["in", "skip"], ["skip", "add/in2"]]
    assert load_spec(text) == graph
    assert save_spec(load_spec(text)) == text


def test_graph_built_layer_by_layer_saves_as_chains():
    """A graph made of single-layer addLayers calls and connectLayers still saves in its shortest form."""
    graph = LayerGraph()
    for layer in [imageInputLayer([4, 4, 1], Name="a"), reluLayer(Name="b"), reluLayer(Name="c")]:
        graph = addLayers(graph, layer)
    graph = connectLayers(graph, "a", "b")
    graph = connectLayers(graph, "b", "c")
    spec = json.loads(save_spec(graph))
    assert [layer["Name"] for layer in spec["layers"]] == ["a", "b", "c"]
    assert "connections" not in spec


def test_hand_written_spec_defaults_and_auto_names():
    text = """{"format": "layergraph-network", "version": 1, "layers": [
        {"type": "imageInputLayer", "InputSize": [28, 28, 1]},
        {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 8},
        {"type": "reluLayer"}, {"type": "reluLayer"},
        {"type": "fullyConnectedLayer", "OutputSize": 10}]}"""
    graph = load_spec(text)
    assert [layer.Name for layer in graph.layer_list()] == ["imageinput", "conv", "relu_1", "relu_2", "fc"]
    conv = graph.layer("conv")
    assert conv.FilterSize == (3, 3) and conv.Stride == (1, 1) and conv.Padding == (0, 0, 0, 0)
    assert graph.edge_list() == [
        ("imageinput", "out", "conv", "in"), ("conv", "out", "relu_1", "in"),
        ("relu_1", "out", "relu_2", "in"), ("relu_2", "out", "fc", "in"),
    ]


def test_explicit_names_anywhere_in_the_file_are_reserved_before_auto_naming():
    text = """{"format": "layergraph-network", "version": 1, "chains": [
        [{"type": "reluLayer"}, {"type": "reluLayer"}],
        [{"type": "reluLayer", "Name": "relu_1"}]]}"""
    names = [layer.Name for layer in load_spec(text).layer_list()]
    assert names == ["relu_2", "relu_3", "relu_1"]


def test_infinite_and_nan_option_values_are_written_as_matlab_names():
    assert encode_value(math.inf) == "Inf" and encode_value(-math.inf) == "-Inf" and encode_value(math.nan) == "NaN"
    assert encode_value((1, 2.5, True)) == [1, 2.5, True]
    assert encode_value(torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == [[1.0, 2.0], [3.0, 4.0]]
    assert encode_value(torch.tensor(0.5)) == 0.5


def test_non_learnable_arrays_are_inline_and_keep_their_shape():
    layer = imageInputLayer([2, 2, 3], Normalization="zscore", Mean=torch.tensor([[[0.5, 1.0, 1.5]]]),
                            StandardDeviation=2.0, Name="in")
    text = save_spec(layerGraph([layer]))
    obj = json.loads(text)["layers"][0]
    assert obj["Mean"] == [[[0.5, 1.0, 1.5]]] and obj["StandardDeviation"] == 2.0
    back = load_spec(text).layer("in")
    assert back == layer and tuple(back.Mean.shape) == (1, 1, 3)


def test_weights_from_a_compiled_network_restore_the_same_outputs(tmp_path):
    from layergraph import assembleNetwork

    torch.manual_seed(0)
    net = assembleNetwork(_residual_graph())
    path = tmp_path / "trained.json"
    save_spec(net, path)
    assert (tmp_path / "trained.safetensors").exists()
    again = assembleNetwork(load_spec(path))
    x = torch.randn(2, 1, 28, 28)
    net.eval(), again.eval()
    assert torch.equal(net(x), again(x))
    # saving the loaded network again gives the same files, byte for byte
    first = path.read_text()
    save_spec(load_spec(path), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == first.replace("trained.safetensors", "again.safetensors")
    assert (tmp_path / "again.safetensors").read_bytes() == (tmp_path / "trained.safetensors").read_bytes()


def test_save_without_path_needs_a_weights_destination(tmp_path):
    from layergraph import SpecError

    layer = fullyConnectedLayer(2, Weights=torch.ones(2, 3), Bias=torch.zeros(2, 1), Name="fc")
    graph = layerGraph([layer])
    with pytest.raises(SpecError, match="learned values"):
        save_spec(graph)
    text = save_spec(graph, weights=False)
    assert "weights" not in json.loads(text)
    assert load_spec(text).layer("fc").Weights is None


def test_anonymous_function_handles_cannot_be_saved():
    from layergraph import SpecError

    layer = convolution2dLayer(3, 4, WeightsInitializer=lambda size: torch.zeros(size), Name="c")
    with pytest.raises(SpecError, match="'c'.*WeightsInitializer.*anonymous function handle"):
        save_spec(layerGraph([layer]))


def zeros_init(size):
    return torch.zeros(size)


def test_named_function_handles_are_written_by_name_and_resolved_through_the_functions_table():
    from layergraph import SpecError

    layer = convolution2dLayer(3, 4, WeightsInitializer=zeros_init, Name="c")
    text = save_spec(layerGraph([layer]))
    assert json.loads(text)["layers"][0]["WeightsInitializer"] == "@zeros_init"
    assert load_spec(text, functions={"zeros_init": zeros_init}).layer("c") == layer
    with pytest.raises(SpecError) as err:
        load_spec(text)                         # never looked up anywhere else
    assert "layers[0].WeightsInitializer" in str(err.value) and "@zeros_init" in str(err.value)


def test_example_files_load_and_resave_stably():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "examples"
    files = sorted(root.glob("*.json"))
    assert {f.name for f in files} >= {"resnet_small.json", "simple_cnn.json"}
    for file in files:
        graph = load_spec(file)
        text = save_spec(graph)
        assert load_spec(text) == graph
        assert save_spec(load_spec(text)) == text


def test_resnet_example_structure():
    from pathlib import Path

    graph = load_spec(Path(__file__).resolve().parents[1] / "examples" / "resnet_small.json")
    assert len(graph.layer_list()) == 24
    # 22 + 2 chain edges, minus 1 (the chains are separate) + 3 connections
    assert len(graph.edge_list()) == 21 + 1 + 3
    assert graph.source_of("add11", "in2") == ("reluInp", "out")
    assert graph.source_of("add21", "in2") == ("skipBN2", "out")
    assert graph.source_of("skipConv2", "in") == ("relu11", "out")


def test_weights_file_bytes_are_deterministic(tmp_path):
    layers = [featureInputLayer_(4)] + [fullyConnectedLayer(3, Weights=torch.full((3, 4 if i == 0 else 3), float(i)),
                                                            Bias=torch.zeros(3, 1), Name=f"fc{i}") for i in range(12)]
    graph = layerGraph(layers)
    blobs = set()
    for i in range(10):
        save_spec(graph, tmp_path / f"n{i}.json", weights=tmp_path / "w.safetensors")
        blobs.add((tmp_path / "w.safetensors").read_bytes())
    assert len(blobs) == 1


def featureInputLayer_(n):
    from layergraph import featureInputLayer

    return featureInputLayer(n, Name="in")
