"""Hostile command lines: project errors and exit codes, never a Python traceback."""

import json

import torch

from layergraph import featureInputLayer, fullyConnectedLayer, layerGraph, regressionLayer
from layergraph.cli import main
from layergraph.spec import save_spec


def _partial_spec(tmp_path):
    from safetensors.torch import save_file

    fc = fullyConnectedLayer(2, Name="fc", Weights=torch.ones(2, 3), Bias=torch.zeros(2, 1))
    path = tmp_path / "net.json"
    save_spec(layerGraph([featureInputLayer(3, Name="in"), fc, regressionLayer(Name="out")]), path)
    save_file({"fc/Weights": torch.ones(2, 3)}, str(tmp_path / "net.safetensors"))
    data = json.loads(path.read_text())
    data["weights"] = {"file": "net.safetensors"}
    path.write_text(json.dumps(data))
    return path


def test_partial_weights_flag(tmp_path, capsys):
    path = _partial_spec(tmp_path)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "no Bias for layer 'fc'" in err and "--partial-weights" in err and "Traceback" not in err
    assert main(["validate", str(path), "--partial-weights"]) == 0


def test_weights_outside_the_folder_from_the_cli(tmp_path, capsys):
    path = _partial_spec(tmp_path)
    data = json.loads(path.read_text())
    data["weights"] = {"file": "/dev/zero"}
    path.write_text(json.dumps(data))
    assert main(["analyze", str(path)]) == 1
    assert "absolute path" in capsys.readouterr().err


def test_demo_output_is_an_existing_file(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    assert main(["demo", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "exists and is not a folder" in err and "Traceback" not in err
    assert target.read_text() == "keep me"


def test_demo_output_below_a_file(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["demo", "-o", str(target / "sub")]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_control_characters_in_names_are_escaped_by_analyze(tmp_path, capsys):
    path = tmp_path / "net.json"
    save_spec(layerGraph([featureInputLayer(3, Name="in\x1b[2J"), fullyConnectedLayer(2, Name="fc"),
                          regressionLayer(Name="out")]), path, weights=False)
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "'in\\e[2J'" in out and "\x1b" not in out
