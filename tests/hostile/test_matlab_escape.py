"""Escape attempts from MATLAB code: attribute chains, dunder names spelled every way MATLAB allows,
refused functions — all refused with a located project message, run under a Python audit hook that sees
nothing happen. A refused statement ends the port with a MatlabPortError, or (issue 11: data never aborts a
port) becomes a located warning whose result is an unknown value; either way nothing runs."""

from __future__ import annotations

import os

import pytest

from layergraph.errors import MatlabPortError
from layergraph.matlab import port

from matlab_audit import run_audited

EXPLOIT = """h = @sin; g = h.interp.__class__.__init__.__globals__;
a = analyzeNetwork([featureInputLayer(4) reluLayer]);
a.__dict__ = g;  s.evil = a.os.system;  a.REGISTRY = s;
evil('touch CANARY_RCE')
"""

NET = "net = dlnetwork([featureInputLayer(2, 'Name', 'in') fullyConnectedLayer(2, 'Name', 'fc')]);\n"
GRAPH = "g = layerGraph([featureInputLayer(2) reluLayer]);\n"
ANALYSIS = "a = analyzeNetwork([featureInputLayer(4) reluLayer]);\n"
OPTIONS = "o = trainingOptions('sgdm');\n"

# (script, regex the project error must match)
ATTEMPTS = [
    ("h = @sin; x = h.interp;", "function handle value has no field or property 'interp'"),
    ("h = @(x) x + 1; x = h.env;", "no field or property 'env'"),
    ("h = @(x) x + 1; x = h.body;", "no field or property 'body'"),
    ("h = @sin; x = h.('interp');", "no field or property 'interp'"),
    ("h = @sin; x = getfield(h, 'interp');", "no field or property 'interp'"),
    ("h = @sin; h.interp = 1;", "cannot assign field 'interp'"),
    ("s.x = 1; y = s.('__class__');", "Invalid field name '__class__'"),
    ("s.x = 1; y = s.__class__;", "Invalid field name '__class__'"),
    ("s.x = 1; s.('__dict__') = 2;", "Invalid field name '__dict__'"),
    ("s.x = 1; s.__dict__ = 2;", "Invalid field name '__dict__'"),
    ("s.x = 1; y = getfield(s, '__class__');", "Invalid field name '__class__'"),
    ("s.x = 1; s = setfield(s, '__class__', 1);", "Invalid field name '__class__'"),
    ("s.x = 1; y = subsref(s, substruct('.', '__class__'));", "Invalid field name '__class__'"),
    ("s.x = 1; s = subsasgn(s, substruct('.', '__dict__'), 1);", "Invalid field name '__dict__'"),
    ("s = struct('__class__', 1);", "Invalid field name '__class__'"),
    ("s.x = 1; s = rmfield(s, '__class__');", "Invalid field name '__class__'"),
    ("s.f = @sin; y = s.f.interp;", "no field or property 'interp'"),
    ("c = {@sin}; y = c{1}.interp;", "no field or property 'interp'"),
    ("l = reluLayer; x = l.copy;", "has no property 'copy'"),
    ("l = reluLayer; x = l.copy();", "has no property 'copy'"),
    ("l = reluLayer; x = l.values();", "has no property 'values'"),
    ("l = reluLayer; x = l.build;", "has no property 'build'"),
    ("l = reluLayer; x = l.options;", "has no property 'options'"),
    ("l = reluLayer; x = l.('_values');", "Invalid field name '_values'"),
    ("l = reluLayer; l.Foo = 1;", "Unrecognized property 'Foo'"),
    ("l = reluLayer; l.Type = 'x';", "read-only property 'Type'"),
    ("l = reluLayer; x = l.Name.upper;", "char value has no field or property 'upper'"),
    ("l = [reluLayer; reluLayer]; x = l(1).label;", "has no property 'label'"),
    (NET + "x = net.state_dict;", "no property 'state_dict'"),
    (NET + "x = net.graph;", "no property 'graph'"),
    (NET + "x = net.code;", "no property 'code'"),
    (NET + "x = net.training;", "no property 'training'"),
    (NET + "x = net.to_layer_graph();", "no property 'to_layer_graph'"),
    (NET + "net.Layers = 1;", "read-only property 'Layers'"),
    (NET + "x = net.Layers(1).layer_module;", "no property 'layer_module'"),
    (GRAPH + "x = g.layer_list;", "no property 'layer_list'"),
    (GRAPH + "x = g.layer_list();", "no property 'layer_list'"),
    (GRAPH + "g.Layers = 1;", "read-only property 'Layers'"),
    (GRAPH + "x = g.Connections.rows;", "no property 'rows'"),
    (ANALYSIS + "x = a.graph;", "no property 'graph'"),
    (ANALYSIS + "x = a.report;", "no property 'report'"),
    (ANALYSIS + "a.REGISTRY = 1;", "Unrecognized property 'REGISTRY'"),
    (ANALYSIS + "x = a.Issues;\ny = a.LayerInfo{1}.graph;", "no property 'graph'"),
    (OPTIONS + "x = o.values;", "no property 'values'"),
    (OPTIONS + "x = o.copy();", "no property 'copy'"),
    (OPTIONS + "o.Foo = 1;", "Unrecognized property 'Foo'"),
    ("x = py.os.system('touch CANARY_ESCAPE');", "'py.os.system' is not available"),
    ("x = py.list();", "'py.list' is not available"),
    ("system('touch CANARY_ESCAPE');", "'system' is not available"),
    ("[s, out] = system('touch CANARY_ESCAPE');", "'system' is not available"),
    ("system touch CANARY_ESCAPE", "'system' is not available"),
    ("!touch CANARY_ESCAPE", "'!' is not available"),
    ("unix('touch CANARY_ESCAPE');", "'unix' is not available"),
    ("dos('touch CANARY_ESCAPE');", "'dos' is not available"),
    ("eval('x = 1');", "'eval' is not available"),
    ("x = evalc('1');", "'evalc' is not available"),
    ("evalin('base', 'x = 1');", "'evalin' is not available"),
    ("assignin('base', 'x', 1);", "'assignin' is not available"),
    ("feval('system', 'touch CANARY_ESCAPE');", "'system' is not available"),
    ("f = str2func('system'); f('touch CANARY_ESCAPE');", "'system' is not available"),
    ("f = @system; f('touch CANARY_ESCAPE');", "'system' is not available"),
    ("x = cellfun(@eval, {'1'});", "'eval' is not available"),
    ("builtin('system', 'touch CANARY_ESCAPE');", "'system' is not available"),
    ("r = java.lang.Runtime.getRuntime();", "'java.lang.Runtime.getRuntime' is not available"),
    ("websave('x.html', 'http://localhost/');", "'websave' is not available"),
    ("x = webread('http://localhost/');", "'webread' is not available"),
]


def _port(script):
    return lambda: port(script)


@pytest.mark.parametrize("script, message", ATTEMPTS, ids=[a[0].splitlines()[-1][:60] for a in ATTEMPTS])
def test_escape_attempt_is_a_project_error_and_runs_nothing(script, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome, events = run_audited(_port(script))
    if isinstance(outcome, MatlabPortError):
        text = str(outcome)
    else:   # the statement was skipped with a located warning; what it assigns is unknown
        assert type(outcome).__name__ == "PortResult", outcome
        text = "\n".join(w for w in outcome.warnings if message in w)
    assert message in text
    assert "<string>:" in text                  # located in the script
    assert events == []
    assert os.listdir(tmp_path) == []


def test_the_reported_exploit_is_refused_at_its_first_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "exploit.m"
    script.write_text(EXPLOIT)
    outcome, events = run_audited(lambda: port(str(script)))
    assert isinstance(outcome, MatlabPortError)
    assert "exploit.m:1:17: a function handle value has no field or property 'interp'" in str(outcome)
    assert events == []
    assert sorted(os.listdir(tmp_path)) == ["exploit.m"]


def test_the_exploit_through_the_cli_commands(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys

    from layergraph.cli import main

    script = tmp_path / "exploit.m"
    script.write_text(EXPLOIT)
    proc = subprocess.run([sys.executable, "-m", "layergraph.cli", "port", "--networks-only", str(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "no field or property 'interp'" in proc.stderr and "Traceback" not in proc.stderr
    monkeypatch.chdir(tmp_path)
    for command in (["validate", str(script)], ["analyze", str(script)],
                    ["plot", str(script), "-o", str(tmp_path / "x.png")]):
        assert main(command) == 1, command
        err = capsys.readouterr().err
        assert "no field or property 'interp'" in err and "Traceback" not in err, (command, err)
    assert sorted(os.listdir(tmp_path)) == ["exploit.m"]


def test_allowed_access_still_works_under_the_audit_hook():
    script = (NET + GRAPH + ANALYSIS + OPTIONS + """
names = net.InputNames; n = numel(g.Layers); t = a.TotalLearnables; s = a.Issues;
o.MaxEpochs = 7; m = o.MaxEpochs; l = reluLayer('Name', 'r'); l.Name = 'r2'; nm = l.Name;
src = g.Connections.Source; st.a = 1; st.('b') = 2; v = getfield(st, 'b'); st = setfield(st, 'c', 3);
w = subsref(st, substruct('.', 'c')); props = fieldnames(l); p = isprop(l, 'Name'); q = isprop(l, 'copy');
g2 = g.addLayers(fullyConnectedLayer(3, 'Name', 'fc')); k = numel(g2.Layers);
""")
    outcome, events = run_audited(_port(script))
    assert not isinstance(outcome, Exception), outcome
    ws = outcome.workspace
    assert ws["names"].items() == ["in"]
    # featureInput + relu, analysed for dlnetwork (no output layer): valid, 0 learnables
    assert ws["n"][0, 0] == 2 and ws["t"][0, 0] == 0 and ws["m"][0, 0] == 7
    assert ws["nm"] == "r2" and ws["v"][0, 0] == 2 and ws["w"][0, 0] == 3
    assert ws["src"].items() == ["input"]
    assert "Name" in ws["props"].items() and "copy" not in ws["props"].items()
    assert bool(ws["p"][0, 0]) and not bool(ws["q"][0, 0])
    assert ws["k"][0, 0] == 3
    assert events == []
