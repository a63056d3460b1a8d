"""A spec whose network uses custom layers translated from MATLAB classdef files embeds their source, so
it reopens anywhere — in a fresh process, from the CLI — through the restricted translator only."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from layergraph import assembleNetwork
from layergraph.errors import SpecError
from layergraph.matlab import port
from layergraph.spec import load_spec, save_spec

CASES = Path(__file__).parent / "matlab_cases" / "custom"


def ported_network():
    result = port(str(CASES / "custom_net.m"))
    return assembleNetwork(result.networks["lgraph"])


def test_saved_spec_embeds_each_classdef_once(tmp_path):
    net = ported_network()
    save_spec(net, tmp_path / "net.json")
    data = json.loads((tmp_path / "net.json").read_text())
    assert set(data["custom_layers"]) == {"channelEluLayer", "examplePreluLayer"}
    for name, entry in data["custom_layers"].items():
        assert entry == {"classdef": (CASES / f"{name}.m").read_text()}


def test_reopens_in_a_fresh_process_with_equal_predictions(tmp_path):
    torch.manual_seed(0)
    net = ported_network()
    x = torch.randn(3, 3, 8, 8)
    expected = net.predict(x)
    save_spec(net, tmp_path / "net.json")
    torch.save(x, tmp_path / "x.pt")
    code = textwrap.dedent(f"""
        import torch
        from layergraph import assembleNetwork
        from layergraph.layers.base import REGISTRY
        from layergraph.spec import load_spec
        assert "examplePreluLayer" not in REGISTRY          # nothing registered: the spec carries the classes
        net = assembleNetwork(load_spec({str(tmp_path / 'net.json')!r}))
        torch.save(net.predict(torch.load({str(tmp_path / 'x.pt')!r})), {str(tmp_path / 'y.pt')!r})
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    torch.testing.assert_close(torch.load(tmp_path / "y.pt"), expected)
    proc = subprocess.run([sys.executable, "-m", "layergraph.cli", "validate", str(tmp_path / "net.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "valid network" in proc.stdout, proc.stderr


def spec_with(classdef: str, name="examplePreluLayer") -> dict:
    return {"format": "layergraph-network", "version": 1,
            "layers": [{"type": "featureInputLayer", "InputSize": 2}, {"type": name, "Name": "c"}],
            "custom_layers": {name: {"classdef": classdef}}}


def test_text_that_is_not_the_named_classdef_is_a_spec_error():
    with pytest.raises(SpecError, match=r"custom_layers\.examplePreluLayer.*not the classdef"):
        load_spec(spec_with("disp(1)"))
    with pytest.raises(SpecError, match=r"custom_layers\.examplePreluLayer"):
        load_spec(spec_with("classdef examplePreluLayer < nnet.layer.Layer\n methods\n function Z = predict(l, X\n"))
    with pytest.raises(SpecError, match=r"custom_layers\.x"):
        load_spec({**spec_with("", name="x"), "custom_layers": {"x": {"python": "import os"}}})


def test_an_embedded_classdef_never_runs_its_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = textwrap.dedent("""
        classdef evilLayer < nnet.layer.Layer
            methods
                function layer = evilLayer()
                    system('touch CONSTRUCTED');
                end
                function Z = predict(layer, X)
                    system('touch PREDICTED');
                    Z = X;
                end
            end
        end
    """)
    graph = load_spec(spec_with(hostile, name="evilLayer"))
    assert graph.layer("c").MATLAB_NAME == "evilLayer"
    # the predict is not translatable (system is refused): the layer is a placeholder, reported by analysis
    from layergraph import analyzeNetwork

    assert analyzeNetwork(graph, Plots="none").has_errors
    assert sorted(p.name for p in tmp_path.iterdir()) == []
