"""The ``layergraph`` command: subcommands, exit codes, help, plugins and file loaders."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from layergraph import cli
from layergraph.spec.schema import schema_text

ROOT = Path(__file__).resolve().parents[1]
RESNET = ROOT / "examples" / "resnet_small.json"

VALID = {
    "format": "layergraph-network",
    "version": 1,
    "layers": [
        {"type": "featureInputLayer", "InputSize": 4, "Name": "in"},
        {"type": "fullyConnectedLayer", "OutputSize": 3, "Name": "fc"},
        {"type": "softmaxLayer", "Name": "sm"},
        {"type": "classificationLayer", "Name": "out"},
    ],
}


def run(args, capsys):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, doc, name="net.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_validate_valid_network(tmp_path, capsys):
    code, out, err = run(["validate", write(tmp_path, VALID)], capsys)
    assert code == 0
    # 4*3 + 3 learnables, counted by hand
    assert out.strip() == f"{tmp_path / 'net.json'}: valid network for trainNetwork (4 layers, 3 connections, 15 learnables)"


def test_validate_reports_network_issues_with_exit_1(tmp_path, capsys):
    doc = json.loads(json.dumps(VALID))
    doc["layers"].insert(2, {"type": "additionLayer", "NumInputs": 2, "Name": "add"})
    code, out, _ = run(["validate", write(tmp_path, doc)], capsys)
    assert code == 1
    assert "invalid network for trainNetwork (1 error)" in out
    assert "Error: Layer 'add': Missing input." in out and "input 'in2'" in out


def test_validate_spec_errors_exit_1_with_the_json_path(tmp_path, capsys):
    doc = json.loads(json.dumps(VALID))
    doc["layers"][1]["OutputSize"] = "three"
    code, out, err = run(["validate", write(tmp_path, doc)], capsys)
    assert code == 1 and out == ""
    assert "layers[1].OutputSize: invalid value \"three\"" in err
    assert "Traceback" not in err


def test_malformed_json_exit_1_with_line_and_column(tmp_path, capsys):
    path = write(tmp_path, '{"format": "layergraph-network",\n "version": 1,\n "layers": [,]}')
    code, _, err = run(["validate", path], capsys)
    assert code == 1 and f"{path}:3:13: malformed JSON" in err


def test_unreadable_files_exit_2(tmp_path, capsys):
    assert run(["validate", tmp_path / "missing.json"], capsys)[0] == 2
    assert run(["analyze", tmp_path], capsys)[0] == 2
    other = write(tmp_path, "x", "net.txt")
    code, _, err = run(["validate", other], capsys)
    assert code == 2 and "unsupported file type '.txt'" in err
    latin = tmp_path / "latin.json"
    latin.write_bytes(b"{\"format\": \"\xe9\"}")
    code, _, err = run(["validate", latin], capsys)
    assert code == 2 and "UTF-8" in err


def test_an_empty_network_is_invalid(tmp_path, capsys):
    code, out, err = run(["validate", write(tmp_path, {"format": "layergraph-network", "version": 1, "layers": []})], capsys)
    assert code == 1 and (out + err).strip().endswith("invalid network: it has no layers")


def test_usage_errors_exit_2(capsys):
    assert run([], capsys)[0] == 2
    assert run(["frobnicate"], capsys)[0] == 2
    assert run(["validate"], capsys)[0] == 2
    assert run(["validate", "x.json", "--target", "nope"], capsys)[0] == 2


@pytest.mark.parametrize("command", [[], ["validate"], ["analyze"], ["schema"], ["plot"]])
def test_help_on_each_command(command, capsys):
    code, out, _ = run(command + ["--help"], capsys)
    assert code == 0 and out.startswith("usage: layergraph")


def test_analyze_prints_the_analyzenetwork_report(capsys):
    from layergraph import analyzeNetwork
    from layergraph.spec import load_spec

    code, out, _ = run(["analyze", RESNET], capsys)
    assert code == 0
    assert out == analyzeNetwork(load_spec(RESNET), Plots="none").report()
    assert "Total learnables: 20138" in out


def test_target_auto_uses_dlnetwork_without_output_layers(tmp_path, capsys):
    doc = json.loads(json.dumps(VALID))
    doc["layers"] = doc["layers"][:3]
    code, out, _ = run(["validate", write(tmp_path, doc)], capsys)
    assert code == 0 and "valid network for dlnetwork" in out
    code, out, _ = run(["validate", write(tmp_path, doc), "--target", "trainNetwork"], capsys)
    assert code == 1 and "Missing output layer" in out


def test_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(VALID)))
    code, out, _ = run(["validate", "-"], capsys)
    assert code == 0 and out.startswith("-: valid network")


def test_schema_command_prints_the_schema(tmp_path, capsys):
    code, out, _ = run(["schema"], capsys)
    assert code == 0 and out == schema_text()
    target = tmp_path / "s.json"
    assert run(["schema", "-o", target], capsys)[0] == 0
    assert target.read_text() == schema_text()


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_writes_images(tmp_path, suffix, magic, capsys):
    target = tmp_path / f"net{suffix}"
    code, out, _ = run(["plot", RESNET, "-o", target], capsys)
    assert code == 0 and target.read_bytes().startswith(magic)
    assert "24 layers drawn" in out


def test_plot_rejects_unknown_image_types(tmp_path, capsys):
    code, _, err = run(["plot", RESNET, "-o", tmp_path / "net.bmp2"], capsys)
    assert code == 2 and "unsupported image type" in err


def test_plot_marks_invalid_networks_and_exits_1(tmp_path, capsys):
    doc = json.loads(json.dumps(VALID))
    doc["layers"].insert(2, {"type": "additionLayer", "NumInputs": 2, "Name": "add"})
    code, out, _ = run(["plot", write(tmp_path, doc), "-o", tmp_path / "bad.svg"], capsys)
    assert code == 1 and "1 with errors" in out and (tmp_path / "bad.svg").exists()


def test_layered_positions_put_layers_in_rows_top_to_bottom():
    from layergraph.spec import load_spec
    from layergraph.spec.plot import layered_positions

    pos = layered_positions(load_spec(RESNET))
    # rows are the longest distance from the input
    assert pos["input"][1] == 0 and pos["reluInp"][1] == -3 and pos["add11"][1] == -9
    assert pos["skipConv2"][1] == pos["S2U1_conv1"][1] == -11
    assert pos["add21"][1] == -16 and pos["classoutput"][1] == -21
    # the two branches are side by side, the main path's single layers centred under their inputs
    assert pos["skipConv2"][0] != pos["S2U1_conv1"][0]
    assert abs(pos["skipConv2"][0] - pos["S2U1_conv1"][0]) >= 1.0
    assert pos["add21"][0] == pytest.approx((pos["S2U1_BN2"][0] + pos["skipBN2"][0]) / 2)


# ---- plugins ------------------------------------------------------------------------------------


def test_plugin_modules_add_commands_and_file_loaders(monkeypatch, tmp_path, capsys):
    from layergraph import featureInputLayer, layerGraph, reluLayer

    plugin = types.ModuleType("layergraph_test_plugin")

    def hello(args):
        print(f"hello {args.who}")
        return 0

    def add_commands(subparsers):
        p = subparsers.add_parser("hello", help="say hello")
        p.add_argument("who")
        p.set_defaults(func=hello)

    def load_networks(path):
        return {"netA": layerGraph([featureInputLayer(2, Name="x"), reluLayer(Name="r")]),
                "netB": [reluLayer(Name="lonely")]}

    plugin.add_commands = add_commands
    plugin.load_networks = load_networks
    monkeypatch.setitem(sys.modules, "layergraph_test_plugin", plugin)
    monkeypatch.setattr(cli, "PLUGIN_MODULES", ("layergraph_test_plugin", "layergraph_no_such_plugin"))
    monkeypatch.setattr(cli, "PLUGIN_SUFFIXES", {"layergraph_test_plugin": (".m",)})
    monkeypatch.setattr(cli, "_FILE_LOADERS", {".json": cli._load_json})
    code, out, err = run(["hello", "world"], capsys)
    assert (code, out, err) == (0, "hello world\n", "")
    script = write(tmp_path, "% a MATLAB script", "net.m")
    code, out, _ = run(["validate", script, "--target", "dlnetwork"], capsys)
    assert code == 1                               # the last network, netB, has no input layer
    assert out.startswith(f"{script} (netB): invalid network")
    code, out, _ = run(["validate", script, "--all", "--target", "dlnetwork"], capsys)
    assert code == 1
    assert f"{script} (netA): valid network for dlnetwork" in out
    assert f"{script} (netB): invalid network" in out
    code, out, _ = run(["validate", script, "--network", "netA", "--target", "dlnetwork"], capsys)
    assert code == 0 and out.startswith(f"{script}: valid")
    code, _, err = run(["validate", script, "--network", "netC"], capsys)
    assert code == 2 and "no network named 'netC'" in err and "netA, netB" in err
    code, out, _ = run(["plot", script, "--network", "netA", "-o", tmp_path / "x.png"], capsys)
    assert code == 0 and (tmp_path / "x.png").exists()


def test_a_broken_plugin_warns_and_leaves_the_other_commands_working(monkeypatch, tmp_path, capsys):
    broken = types.ModuleType("layergraph_broken_plugin")

    def add_commands(subparsers):
        raise RuntimeError("boom")

    broken.add_commands = add_commands
    monkeypatch.setitem(sys.modules, "layergraph_broken_plugin", broken)
    monkeypatch.setattr(cli, "PLUGIN_MODULES", ("layergraph_broken_plugin",))
    code, out, err = run(["validate", write(tmp_path, VALID)], capsys)
    assert code == 0 and "valid network" in out
    assert "warning: plugin layergraph_broken_plugin could not add its commands: RuntimeError: boom" in err


def test_missing_plugin_modules_are_skipped_but_their_broken_imports_are_reported():
    exact = ModuleNotFoundError("No module named 'layergraph.matlab'", name="layergraph.matlab")
    assert cli._plugin_missing("layergraph.matlab.cli", exact)
    inner = ModuleNotFoundError("No module named 'tree_sitter'", name="tree_sitter")
    assert not cli._plugin_missing("layergraph.matlab.cli", inner)


def test_console_script_runs_as_a_process(tmp_path):
    path = write(tmp_path, VALID)
    result = subprocess.run([sys.executable, "-m", "layergraph.cli", "validate", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "valid network" in result.stdout
    bad = write(tmp_path, '{"format": "layergraph-network", "version": 2, "layers": []}', "new.json")
    result = subprocess.run([sys.executable, "-m", "layergraph.cli", "validate", str(bad)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "newer layergraph" in result.stderr and "Traceback" not in result.stderr


MATLAB_SCRIPT = """% a small residual network
layers = [
    imageInputLayer([28 28 1])
    convolution2dLayer(3, 8, 'Padding', 'same')
    reluLayer('Name', 'relu_1')
    additionLayer(2, 'Name', 'add')
    fullyConnectedLayer(10)
    softmaxLayer
    classificationLayer];
lgraph = layerGraph(layers);
lgraph = connectLayers(lgraph, 'relu_1', 'add/in2');
"""

SAME_AS_JSON = """{"format": "layergraph-network", "version": 1,
  "layers": [
    {"type": "imageInputLayer", "InputSize": [28, 28, 1]},
    {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 8, "Padding": "same"},
    {"type": "reluLayer", "Name": "relu_1"},
    {"type": "additionLayer", "NumInputs": 2, "Name": "add"},
    {"type": "fullyConnectedLayer", "OutputSize": 10},
    {"type": "softmaxLayer"},
    {"type": "classificationLayer"}],
  "connections": [["relu_1", "add/in2"]]}
"""


def test_matlab_scripts_through_the_porter_plugin(tmp_path, capsys):
    from layergraph.spec import load_spec

    script = write(tmp_path, MATLAB_SCRIPT, "net.m")
    code, out, _ = run(["validate", script], capsys)
    # conv 3*3*1*8 + 8, fc 28*28*8*10 + 10
    assert code == 0
    assert out.strip() == f"{script} (lgraph): valid network for trainNetwork (7 layers, 7 connections, 62,810 learnables)"
    code, out, _ = run(["analyze", script, "--network", "lgraph"], capsys)
    assert code == 0 and "Total learnables: 62810" in out
    # the script and the JSON spec reach the same LayerGraph
    from layergraph.matlab.cli import load_networks

    assert load_networks(script)["lgraph"] == load_spec(SAME_AS_JSON)
