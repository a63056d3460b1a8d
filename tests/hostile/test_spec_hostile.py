"""Hostile JSON specs and weights files: every one ends in the project's SpecError, never a traceback."""

import json
import os
import struct

import pytest
import torch

from layergraph import batchNormalizationLayer, featureInputLayer, fullyConnectedLayer, layerGraph, networkLayer, reluLayer
from layergraph.errors import LayerGraphError, OptionError, SpecError
from layergraph.limits import limits
from layergraph.spec import load_spec, save_spec


def _saved(tmp_path, name="net"):
    fc = fullyConnectedLayer(2, Name="fc", Weights=torch.ones(2, 3), Bias=torch.zeros(2, 1))
    graph = layerGraph([featureInputLayer(3, Name="in"), fc, reluLayer(Name="relu")])
    path = tmp_path / f"{name}.json"
    save_spec(graph, path)
    return path


def _retarget(path, file, sha=False):
    data = json.loads(path.read_text())
    data["weights"] = {"file": file} if not sha else {"file": file, "sha256": data["weights"]["sha256"]}
    path.write_text(json.dumps(data))


def _error(source, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(source, **kwargs)
    return info.value


def test_saved_spec_with_weights_loads(tmp_path):
    graph = load_spec(_saved(tmp_path))
    assert torch.equal(graph.layer("fc").Weights, torch.ones(2, 3))


@pytest.mark.parametrize("reference", ["/etc/passwd", "../outside.safetensors", "sub/../../outside.safetensors"])
def test_weights_outside_the_spec_folder_are_refused(tmp_path, reference):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    path = _saved(spec_dir)
    (tmp_path / "outside.safetensors").write_bytes((spec_dir / "net.safetensors").read_bytes())
    _retarget(path, reference)
    err = _error(path)
    assert err.path == "weights.file"
    assert "absolute path" in str(err) or "'..'" in str(err)


def test_symlink_leaving_the_folder_is_refused(tmp_path):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    path = _saved(spec_dir)
    outside = tmp_path / "real.safetensors"
    outside.write_bytes((spec_dir / "net.safetensors").read_bytes())
    (spec_dir / "link.safetensors").symlink_to(outside)
    _retarget(path, "link.safetensors")
    err = _error(path)
    assert "outside the spec's folder" in str(err)


def test_symlink_inside_the_folder_is_followed(tmp_path):
    path = _saved(tmp_path)
    (tmp_path / "link.safetensors").symlink_to(tmp_path / "net.safetensors")
    _retarget(path, "link.safetensors", sha=True)
    assert torch.equal(load_spec(path).layer("fc").Weights, torch.ones(2, 3))


def test_devices_fifos_and_folders_are_refused(tmp_path):
    path = _saved(tmp_path)
    os.mkfifo(tmp_path / "fifo.safetensors")
    (tmp_path / "dir.safetensors").mkdir()
    (tmp_path / "zero.safetensors").symlink_to("/dev/zero")
    for name in ("fifo.safetensors", "dir.safetensors"):
        _retarget(path, name)
        assert "not a regular file" in str(_error(path))
    _retarget(path, "zero.safetensors")   # /dev/zero is outside the folder, and not a regular file
    assert "refused" in str(_error(path))


def test_text_spec_resolves_against_base_dir(tmp_path, monkeypatch):
    path = _saved(tmp_path)
    text = path.read_text()
    assert torch.equal(load_spec(text, base_dir=tmp_path).layer("fc").Weights, torch.ones(2, 3))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                 # default: the current folder
    assert "not found" in str(_error(text))


def test_nul_in_weights_file_name(tmp_path):
    path = _saved(tmp_path)
    _retarget(path, "net\x00.safetensors")
    assert "NUL" in str(_error(path))


def test_header_larger_than_the_file_is_refused_before_reading(tmp_path):
    path = _saved(tmp_path)
    (tmp_path / "net.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}")
    _retarget(path, "net.safetensors")
    assert "header claims" in str(_error(path))


def test_header_describing_more_data_than_the_file_is_refused(tmp_path):
    path = _saved(tmp_path)
    header = json.dumps({"fc/Weights": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 4 * 10**10]}})
    (tmp_path / "net.safetensors").write_bytes(struct.pack("<Q", len(header)) + header.encode())
    _retarget(path, "net.safetensors")
    assert "describes" in str(_error(path))


def test_size_limit_is_checked(tmp_path):
    path = _saved(tmp_path)
    with limits(max_weights_bytes=64):
        err = _error(path)
    assert "max_weights_bytes" in str(err)


def test_missing_learnables_are_refused_unless_partial(tmp_path):
    from safetensors.torch import save_file

    path = _saved(tmp_path)
    save_file({"fc/Weights": torch.ones(2, 3)}, str(tmp_path / "net.safetensors"))
    _retarget(path, "net.safetensors")
    err = _error(path)
    assert "no Bias for layer 'fc'" in str(err) and "partial_weights=True" in str(err)
    graph = load_spec(path, partial_weights=True)
    assert torch.equal(graph.layer("fc").Weights, torch.ones(2, 3)) and graph.layer("fc").Bias is None


def test_empty_weights_file_is_refused_unless_partial(tmp_path):
    from safetensors.torch import save_file

    path = _saved(tmp_path)
    save_file({}, str(tmp_path / "net.safetensors"))
    _retarget(path, "net.safetensors")
    assert "holds no values" in str(_error(path))
    assert load_spec(path, partial_weights=True).layer("fc").Weights is None


def test_zero_size_tensor_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = _saved(tmp_path)
    save_file({"fc/Weights": torch.ones(0, 3), "fc/Bias": torch.zeros(2, 1)}, str(tmp_path / "net.safetensors"))
    _retarget(path, "net.safetensors")
    err = _error(path)
    assert "'fc/Weights'" in str(err) and "empty" in str(err)


def _batchnorm_spec(tmp_path, mean, variance):
    from safetensors.torch import save_file

    graph = layerGraph([featureInputLayer(3, Name="in"), batchNormalizationLayer(Name="bn")])
    path = tmp_path / "bn.json"
    save_spec(graph, path, weights=False)
    save_file({"bn/Scale": torch.ones(3, 1), "bn/Offset": torch.zeros(3, 1), "bn/TrainedMean": mean,
               "bn/TrainedVariance": variance}, str(tmp_path / "bn.safetensors"))
    _retarget(path, "bn.safetensors")
    return path


@pytest.mark.parametrize("mean, variance, prop", [
    (torch.tensor([[0.0], [float("nan")], [0.0]]), torch.ones(3, 1), "TrainedMean"),
    (torch.zeros(3, 1), torch.tensor([[1.0], [float("inf")], [1.0]]), "TrainedVariance"),
    (torch.zeros(3, 1), torch.tensor([[1.0], [-1.0], [1.0]]), "TrainedVariance"),
])
def test_invalid_normalization_statistics_are_refused(tmp_path, mean, variance, prop):
    err = _error(_batchnorm_spec(tmp_path, mean, variance))
    assert f"'bn/{prop}'" in str(err) and "finite" in str(err)


def test_zero_variance_is_valid(tmp_path):
    # batch normalization divides by sqrt(variance + Epsilon): a zero variance (constant channel) is valid
    graph = load_spec(_batchnorm_spec(tmp_path, torch.zeros(3, 1), torch.zeros(3, 1)))
    assert torch.equal(graph.layer("bn").TrainedVariance, torch.zeros(3, 1))


def test_complex_values_are_refused(tmp_path):
    from safetensors.torch import save_file

    path = _saved(tmp_path)
    save_file({"fc/Weights": torch.ones(2, 3, dtype=torch.complex64), "fc/Bias": torch.zeros(2, 1)},
              str(tmp_path / "net.safetensors"))
    _retarget(path, "net.safetensors")
    err = _error(path)
    assert "'fc/Weights'" in str(err) and "complex" in str(err)
    with pytest.raises(OptionError, match="Weights"):
        fullyConnectedLayer(2, Weights=torch.ones(2, 3, dtype=torch.complex64))


def test_input_statistics_must_be_finite_and_std_nonnegative():
    with pytest.raises(OptionError, match="StandardDeviation"):
        featureInputLayer(3, Normalization="zscore", Mean=[0, 0, 0], StandardDeviation=[1, -1, 1])
    with pytest.raises(OptionError, match="Mean"):
        featureInputLayer(3, Normalization="zscore", Mean=[0, float("nan"), 0], StandardDeviation=[1, 1, 1])


def test_huge_integer_literal_has_line_and_column():
    text = '{"format": "layergraph-network", "version": 1,\n "layers": [{"type": "featureInputLayer", "InputSize": ' \
           + "9" * 5000 + "}]}"
    err = _error(text)
    assert (err.line, err.column) == (2, 56) and "5,000 digits" in str(err)


def _network_text(values) -> str:
    inner = {"network": {"format": "layergraph-network", "version": 1, "layers": [{"type": "reluLayer"}]},
             "values": values}
    return json.dumps({"format": "layergraph-network", "version": 1,
                       "layers": [{"type": "networkLayer", "Network": json.dumps(inner)}]})


@pytest.mark.parametrize("values", [[1], "x", 3, None, {"relu": 1}, {"nope/Weights": [1]}])
def test_network_layer_values_not_an_object_of_arrays(values):
    err = _error(_network_text(values))
    assert err.path == "layers[0].Network"


def _nested(levels):
    net = [featureInputLayer(4, Name="in"), fullyConnectedLayer(4, Name="fc")]
    for level in range(levels):
        net = [featureInputLayer(4, Name="in"), networkLayer(net, Name=f"n{level + 1}")]
    return net


def test_network_layer_nesting_limit():
    layers = _nested(8)                                   # 8 levels: the default limit, allowed
    with pytest.raises(OptionError, match="max_network_nesting = 8"):
        networkLayer(layers, Name="n9")
    with limits(max_network_nesting=3):
        with pytest.raises(OptionError, match="nested 4 levels"):
            _nested(4)


def test_nested_spec_over_the_limit_is_refused_when_loading():
    text = save_spec(layerGraph(_nested(5)), weights=False)
    load_spec(text)
    with limits(max_network_nesting=4):
        err = _error(text)
    assert "max_network_nesting" in str(err) and err.path == "layers[1].Network"


def test_combination_layer_input_limit_in_a_spec():
    text = json.dumps({"format": "layergraph-network", "version": 1,
                       "layers": [{"type": "additionLayer", "NumInputs": 10**7}]})
    err = _error(text)
    assert "max_layer_inputs = 65,536" in str(err) and err.path == "layers[0].NumInputs"


def test_all_errors_are_project_errors():
    assert issubclass(SpecError, LayerGraphError)


def test_nested_spec_parses_each_level_a_bounded_number_of_times(monkeypatch):
    # before: every level re-parsed all levels below it several times (2x more per level: 638 parses of the
    # innermost network at depth 8); now each nested text is parsed a few times whatever the depth
    import layergraph.layers.network_layer as network_layer

    text = save_spec(layerGraph(_nested(8)), weights=False)
    network_layer._CANONICAL.clear()
    counts = {}
    original = network_layer._parse_network_text

    def counted(nested):
        counts[nested] = counts.get(nested, 0) + 1
        return original(nested)

    monkeypatch.setattr(network_layer, "_parse_network_text", counted)
    graph = load_spec(text)
    assert graph.layer("n8").description() == "Network with 2 layers"
    assert len(counts) == 8 and max(counts.values()) <= 16
