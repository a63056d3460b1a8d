"""Bad specs: each problem is a SpecError naming the JSON path or line:column, never a traceback."""

from __future__ import annotations

import json

import pytest
import torch

from layergraph import SpecError, fullyConnectedLayer, featureInputLayer, layerGraph, reluLayer
from layergraph.layers.base import Layer, register, unregister
from layergraph.layers.options import Option, positive_integer
from layergraph.spec import SpecFileError, load_spec, save_spec


def spec(layers=None, **extra):
    doc = {"format": "layergraph-network", "version": 1}
    if layers is not None:
        doc["layers"] = layers
    doc.update(extra)
    return json.dumps(doc)


def error_of(text, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as err:
        load_spec(text, **kwargs)
    return err.value


def test_malformed_json_reports_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "layergraph-network",\n  "version": 1,\n  "layers": [\n    {"type": "reluLayer",}\n  ]\n}\n')
    err = error_of(path)
    assert (err.line, err.column) == (5, 26)
    assert str(err).startswith(f"{path}:5:26: malformed JSON")


def test_nan_literal_is_not_json():
    err = error_of('{"format": "layergraph-network", "version": 1,\n "layers": [{"type": "reluLayer", "Name": NaN}]}')
    assert err.line == 2 and "NaN is not JSON" in str(err)


def test_unknown_type_suggests_close_names():
    err = error_of(spec([{"type": "reluLayer"}, {"type": "convolution2dlayer", "FilterSize": 3, "NumFilters": 2}]))
    assert err.path == "layers[1].type"
    assert "unknown layer type \"convolution2dlayer\"" in str(err)
    assert "Did you mean 'convolution2dLayer'?" in str(err)
    err = error_of(spec([{"type": "reluLyer"}]))
    assert "'reluLayer'" in str(err)


def test_unknown_option_names_path_and_suggests():
    err = error_of(spec([{"type": "reluLayer"}, {"type": "reluLayer"}, {"type": "reluLayer"},
                         {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 2, "padding": "same"}]))
    assert err.path == "layers[3].padding"
    assert "'padding' is not an option of convolution2dLayer. Did you mean 'Padding'?" in str(err)


def test_mistyped_option_value_names_path_and_expected_values():
    err = error_of(spec([{"type": "reluLayer"}, {"type": "reluLayer"}, {"type": "reluLayer"},
                         {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 2, "Padding": "sme"}]))
    assert err.path == "layers[3].Padding"
    assert "invalid value \"sme\" for option 'Padding' of convolution2dLayer" in str(err)
    assert "'same'" in str(err)
    err = error_of(spec([{"type": "fullyConnectedLayer", "OutputSize": -2}]))
    assert err.path == "layers[0].OutputSize" and "positive integer" in str(err)


def test_missing_required_option():
    err = error_of(spec([{"type": "fullyConnectedLayer"}]))
    assert err.path == "layers[0]" and "missing required option 'OutputSize' of fullyConnectedLayer" in str(err)


def test_cross_option_errors_from_the_constructor_name_the_layer_path():
    # the model accepts each value; the layer's own checks reject the combination
    err = error_of(spec([{"type": "imageInputLayer", "InputSize": [4, 4, 1]}, {"type": "reluLayer"},
                         {"type": "classificationLayer", "Classes": ["a", "a"]}]))
    assert err.path == "layers[2].Classes"


def test_learnables_are_not_inline():
    err = error_of(spec([{"type": "fullyConnectedLayer", "OutputSize": 2, "Weights": [[1, 2]]}]))
    assert err.path == "layers[0].Weights" and "safetensors" in str(err)


def test_several_problems_are_all_listed():
    err = error_of(spec([{"type": "fullyConnectedLayer"}, {"type": "reluLayer", "Nme": "x"}, 3]))
    assert [p for p, _ in err.problems] == ["layers[0]", "layers[1].Nme", "layers[2]"]
    assert str(err).startswith("3 problems in the network spec:")


def test_duplicate_layer_names():
    err = error_of(spec([{"type": "reluLayer", "Name": "a"}, {"type": "reluLayer", "Name": "b"},
                         {"type": "reluLayer", "Name": "a"}]))
    assert err.path == "layers[2].Name" and "duplicate layer name 'a' (also at layers[0])" in str(err)
    err = error_of(json.dumps({"format": "layergraph-network", "version": 1,
                               "chains": [[{"type": "reluLayer", "Name": "a"}], [{"type": "reluLayer", "Name": "a"}]]}))
    assert err.path == "chains[1][0].Name"


def test_duplicate_json_keys():
    err = error_of('{"format": "layergraph-network", "version": 1, "layers": [{"type": "reluLayer", "Name": "a", "Name": "b"}]}')
    assert err.path == "layers[0].Name" and "duplicate key 'Name'" in str(err)


def test_connections_to_missing_layers_and_ports():
    layers = [{"type": "reluLayer", "Name": "a"}, {"type": "additionLayer", "NumInputs": 2, "Name": "add"}]
    err = error_of(spec(layers, connections=[["a", "add/in2"], ["b", "add/in1"]]))
    assert err.path == "connections[1][0]" and "Layer 'b' does not exist" in str(err)
    err = error_of(spec(layers, connections=[["a", "add/in3"]]))
    assert err.path == "connections[0][1]" and "has no input named 'in3'" in str(err) and "'in1', 'in2'" in str(err)
    err = error_of(spec(layers, connections=[["a", "add"]]))
    assert err.path == "connections[0][1]" and "multiple inputs" in str(err)
    err = error_of(spec(layers, connections=[["a", "add/in1"]]))   # in1 is fed by the chain already
    assert err.path == "connections[0]" and "already connected" in str(err)
    err = error_of(spec(layers, connections=[["a"]]))
    assert err.path == "connections[0]" and "two strings" in str(err)


def test_cycles_are_refused_naming_the_cycle():
    layers = [{"type": "featureInputLayer", "InputSize": 3, "Name": "in"},
              {"type": "additionLayer", "NumInputs": 2, "Name": "add"},
              {"type": "reluLayer", "Name": "r1"}, {"type": "reluLayer", "Name": "r2"}]
    err = error_of(spec(layers, connections=[["r2", "add/in2"]]))
    assert err.path == "connections[0]"
    assert "cycle" in str(err) and "'add' -> 'r1' -> 'r2' -> 'add'" in str(err)


def test_newer_format_version():
    err = error_of('{"format": "layergraph-network", "version": 7, "layers": [], "something_new": 1}')
    assert err.path == "version" and "format version 7" in str(err) and "newer layergraph" in str(err)


def test_not_a_spec():
    assert "missing \"format\"" in str(error_of('{"layers": []}'))
    assert "expected \"layergraph-network\"" in str(error_of('{"format": "keras", "version": 1, "layers": []}'))
    assert "JSON object" in str(error_of("[1, 2]"))
    assert "both" in str(error_of(spec([], chains=[])))
    assert "neither" in str(error_of(spec()))
    err = error_of(spec([], conections=[]))
    assert err.path == "conections" and "Did you mean 'connections'?" in str(err)


def test_unreadable_sources_are_spec_file_errors(tmp_path):
    with pytest.raises(SpecFileError, match="no such file"):
        load_spec(tmp_path / "missing.json")
    with pytest.raises(SpecFileError, match="directory"):
        load_spec(tmp_path)
    (tmp_path / "latin1.json").write_bytes(b'{"format": "\xe9"}')
    with pytest.raises(SpecFileError, match="UTF-8"):
        load_spec(tmp_path / "latin1.json")


def _saved_with_weights(tmp_path):
    graph = layerGraph([featureInputLayer(3, Name="in"),
                        fullyConnectedLayer(2, Weights=torch.ones(2, 3), Bias=torch.zeros(2, 1), Name="fc")])
    path = tmp_path / "net.json"
    save_spec(graph, path)
    return graph, path


def test_missing_weights_file(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    (tmp_path / "net.safetensors").unlink()
    err = error_of(path)
    assert err.path == "weights.file" and "weights file 'net.safetensors' not found" in str(err)
    assert load_spec(path, weights=False).layer("fc").Weights is None


def test_changed_weights_file_fails_the_checksum(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    other = layerGraph([featureInputLayer(3, Name="in"),
                        fullyConnectedLayer(2, Weights=torch.full((2, 3), 5.0), Bias=torch.zeros(2, 1), Name="fc")])
    save_spec(other, tmp_path / "other.json")
    (tmp_path / "other.safetensors").replace(tmp_path / "net.safetensors")
    err = error_of(path)
    assert err.path == "weights.sha256" and "does not match" in str(err)


def _without_checksum(path):
    doc = json.loads(path.read_text())
    del doc["weights"]["sha256"]
    path.write_text(json.dumps(doc))


def test_weights_for_another_network_are_refused(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    _without_checksum(path)
    other = layerGraph([featureInputLayer(3, Name="in"),
                        fullyConnectedLayer(2, Weights=torch.ones(2, 3), Name="dense")])
    save_spec(other, tmp_path / "other.json")
    (tmp_path / "other.safetensors").replace(tmp_path / "net.safetensors")
    err = error_of(path)
    assert err.path == "weights" and "layer 'dense'" in str(err) and "not in the spec" in str(err)


def test_weights_of_the_wrong_size_are_refused(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    _without_checksum(path)
    from safetensors.torch import save_file

    save_file({"fc/Weights": torch.ones(2, 5), "fc/Bias": torch.zeros(2, 1)}, str(tmp_path / "net.safetensors"))
    err = error_of(path)
    assert err.path == "weights" and "'fc/Weights' has size 2×5, but layer 'fc' expects 2×3" in str(err)


def test_weights_for_a_property_that_is_not_learnable(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    _without_checksum(path)
    from safetensors.torch import save_file

    save_file({"fc/OutputSize": torch.ones(1)}, str(tmp_path / "net.safetensors"))
    err = error_of(path)
    assert "'OutputSize' is not a learnable or state property of fullyConnectedLayer" in str(err)


def test_garbage_weights_file(tmp_path):
    _, path = _saved_with_weights(tmp_path)
    _without_checksum(path)
    (tmp_path / "net.safetensors").write_bytes(b"definitely not safetensors")
    err = error_of(path)
    assert err.path == "weights.file" and "not a valid safetensors file" in str(err)


# ---- custom layers come only from an explicit registry ------------------------------------------


class TimesTwoLayer(Layer):
    """Multiplies by two (a test custom layer)."""

    MATLAB_NAME = "timesTwoSpecTestLayer"
    TYPE = "Times Two"
    DEFAULT_NAME = "times2"
    OPTIONS = (Option("Repeat", positive_integer(), 1),)


def test_custom_layers_need_an_explicit_registry():
    text = spec([{"type": "featureInputLayer", "InputSize": 2}, {"type": "timesTwoSpecTestLayer", "Repeat": 3}])
    err = error_of(text)
    assert "unknown layer type \"timesTwoSpecTestLayer\"" in str(err) and "registered" in str(err)
    graph = load_spec(text, custom_layers={"timesTwoSpecTestLayer": TimesTwoLayer})
    assert graph.layer("times2").Repeat == 3
    err = error_of(spec([{"type": "timesTwoSpecTestLayer", "Repeat": 0}]), custom_layers={"timesTwoSpecTestLayer": TimesTwoLayer})
    assert err.path == "layers[0].Repeat"


def test_registered_custom_layers_round_trip_and_appear_in_the_schema():
    from layergraph.spec import spec_schema

    register(TimesTwoLayer)
    try:
        graph = layerGraph([featureInputLayer(2, Name="in"), TimesTwoLayer(Repeat=2, Name="t")])
        text = save_spec(graph)
        assert json.loads(text)["layers"][1] == {"type": "timesTwoSpecTestLayer", "Name": "t", "Repeat": 2}
        assert load_spec(text) == graph
        schema = spec_schema()
        assert schema["$defs"]["timesTwoSpecTestLayer"]["properties"]["Repeat"]["minimum"] == 1
    finally:
        unregister("timesTwoSpecTestLayer")
    assert "timesTwoSpecTestLayer" not in spec_schema()["$defs"]


def test_spec_strings_are_never_evaluated(tmp_path):
    marker = tmp_path / "pwned"
    evil = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    for text in (
        spec([{"type": evil}]),
        spec([{"type": "reluLayer", "Name": evil}]),
        spec([{"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 2, "WeightsInitializer": evil}]),
        spec([{"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 2, "WeightsInitializer": "@os.system"}]),
    ):
        try:
            load_spec(text)
        except SpecError:
            pass
    assert not marker.exists()


def test_errors_in_a_file_point_at_line_and_column(tmp_path):
    text = (
        '{\n'
        '  "format": "layergraph-network",\n'
        '  "version": 1,\n'
        '  "layers": [\n'
        '    {"type": "imageInputLayer", "InputSize": [28, 28, 1]},\n'
        '    {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 8, "Padding": "sme"},\n'
        '    {"type": "reluLayr"},\n'
        '    {"type": "fullyConnectedLayer", "OutputSize": 10, "name": "fc"}\n'
        '  ]\n'
        '}\n'
    )
    path = tmp_path / "bad.json"
    path.write_text(text)
    err = error_of(path)
    lines = text.splitlines()
    sme = (6, lines[5].index('"sme"') + 1)
    relu = (7, lines[6].index('"reluLayr"') + 1)
    fc = (8, lines[7].index('"fc"') + 1)
    assert (err.line, err.column) == sme
    shown = str(err).splitlines()
    assert shown[0] == "3 problems in the network spec:"
    assert shown[1].startswith(f"  {path}:{sme[0]}:{sme[1]}: layers[1].Padding: invalid value")
    assert shown[2].startswith(f"  {path}:{relu[0]}:{relu[1]}: layers[2].type: unknown layer type")
    assert shown[3].startswith(f"  {path}:{fc[0]}:{fc[1]}: layers[3].name: 'name' is not an option")


def test_graph_errors_in_text_point_at_the_connection():
    text = '{"format": "layergraph-network", "version": 1,\n "layers": [{"type": "reluLayer", "Name": "a"}],\n "connections": [["a", "b"]]}'
    err = error_of(text)
    assert (err.line, err.column) == (3, text.splitlines()[2].index('"b"') + 1)
    assert str(err).startswith(f"line 3, column {err.column}: connections[0][1]: destination \"b\"")


def test_chains_cannot_continue_after_an_output_layer_or_into_an_input_layer():
    err = error_of(spec([{"type": "featureInputLayer", "InputSize": 3}, {"type": "regressionLayer"}, {"type": "reluLayer"}]))
    assert err.path == "layers[2]" and "has no outputs" in str(err) and "Start a new chain" in str(err)
    err = error_of(spec([{"type": "reluLayer"}, {"type": "featureInputLayer", "InputSize": 3}]))
    assert err.path == "layers[1]" and "has no inputs" in str(err)
