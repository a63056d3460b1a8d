"""A hypothesis fuzzer over MATLAB scripts that mix field access, dynamic fields, getfield/setfield/subsref,
function handles, project objects and refused functions. Every case runs under the audit hook; the test
reports how many cases reached each stage (parsed, interpreted, analysed, compiled) and requires that
enough reached the later stages, so cases refused at the first check do not make up the count."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from layergraph import analyzeNetwork, dlnetwork
from layergraph.errors import LayerGraphError
from layergraph.matlab import port
from layergraph.matlab.api import as_layer_graph
from layergraph.matlab.source import parse_source

from matlab_audit import audited

CASES = 5000

NAMES = [
    # Python internals every way round
    "__class__", "__dict__", "__globals__", "__init__", "__subclasses__", "__builtins__", "__import__", "__reduce__",
    "_values", "_lg", "_data", "interp", "env", "body", "copy", "values", "graph", "state_dict", "system", "os",
    "REGISTRY", "code", "forward", "label", "build", "options", "mro", "func_globals", "f_globals", "gi_frame",
    # MATLAB properties that exist on some value
    "Name", "Layers", "Connections", "InputNames", "OutputNames", "Type", "NumInputs", "OutputSize", "Weights",
    "Bias", "Description", "MaxEpochs", "InitialLearnRate", "TotalLearnables", "Issues", "LayerInfo", "Source",
    "Destination", "Learnables", "x", "y", "evil",
]
VARS = ["L", "g", "h", "k", "s", "a", "o", "c", "net", "v"]
REFUSED = ["system('touch FUZZ')", "eval('x = 1')", "py.os.system('touch FUZZ')", "unix('touch FUZZ')",
           "evalin('base', '1')", "feval('system', 'touch FUZZ')", "builtin('system', 'touch FUZZ')",
           "java.lang.Runtime.getRuntime()", "webread('http://localhost')", "assignin('base', 'x', 1)"]
VALUES = ["1", "'text'", "[1 2 3]", "{1, 'a'}", "@sin", "@(x) x + 1", "reluLayer", "s", "h", "g", "true",
          "struct('y', 2)", "\"str\"", "-1", "[]"]

def _q(text):
    return "'" + text.replace("'", "''") + "'"


# Statement templates: each takes (var, name, name2, value) picked by the integers hypothesis draws.
TEMPLATES = [
    lambda v, n, m, x: f"v = {v}.{n};",
    lambda v, n, m, x: f"v = {v}.{n}.{m};",
    lambda v, n, m, x: f"v = {v}.({_q(n)});",
    lambda v, n, m, x: f"v = {v}.{n}();",
    lambda v, n, m, x: f"v = {v}.{n}({x});",
    lambda v, n, m, x: f"{v}.{n} = {x};",
    lambda v, n, m, x: f"{v}.({_q(n)}) = {x};",
    lambda v, n, m, x: f"{v}.{n}.{m} = {x};",
    lambda v, n, m, x: f"v = getfield({v}, {_q(n)});",
    lambda v, n, m, x: f"{v} = setfield({v}, {_q(n)}, {x});",
    lambda v, n, m, x: f"v = subsref({v}, substruct('.', {_q(n)}));",
    lambda v, n, m, x: f"{v} = subsasgn({v}, substruct('.', {_q(n)}), {x});",
    lambda v, n, m, x: f"v = isfield({v}, {_q(n)}); w = isprop({v}, {_q(n)}); f = fieldnames({v});",
    lambda v, n, m, x: f"v = struct({_q(n)}, {v});",
    lambda v, n, m, x: f"L(end).{n} = {x};",
    lambda v, n, m, x: f"v = L(1).{n};",
    lambda v, n, m, x: f"h = {x};",
    lambda v, n, m, x: f"h = {HANDLES[len(n) % len(HANDLES)]};",
    lambda v, n, m, x: f"v = h({v});",
    lambda v, n, m, x: f"v = feval(h, {v});",
    lambda v, n, m, x: f"v = cellfun(@(z) class(z), {{{v}}}, 'UniformOutput', false);",
    lambda v, n, m, x: f"c = {{{v}}}; v = c{{1}}.{n};",
    lambda v, n, m, x: "g = layerGraph(L);",
    lambda v, n, m, x: "a = analyzeNetwork(L);",
    lambda v, n, m, x: "o = trainingOptions('adam');",
    lambda v, n, m, x: "L(end+1) = fullyConnectedLayer(2, 'Name', 'fc2');",
    lambda v, n, m, x: "L = [L; reluLayer('Name', 'r2')];",
    lambda v, n, m, x: "k = functionLayer(@(X) max(X, 0.1*X), 'Name', 'leaky'); L = [L; k];",
    lambda v, n, m, x: f"v = {REFUSED[len(n) % len(REFUSED)]};",
    lambda v, n, m, x: ["!touch FUZZ", "system touch FUZZ", "return", "break"][len(n) % 4],
]
HANDLES = ["@sin", "@(x) x.*2", "str2func('numel')", "@system", "str2func('eval')", "@(x) x.interp",
           "@py.os.system"]


def _statement(codes):
    t, v, n, m, x = codes
    return TEMPLATES[t % len(TEMPLATES)](VARS[v % len(VARS)], NAMES[n % len(NAMES)], NAMES[m % len(NAMES)],
                                         VALUES[x % len(VALUES)])


BASE = ("L = [featureInputLayer(4, 'Name', 'in'); fullyConnectedLayer(3, 'Name', 'fc'); reluLayer('Name', 'r')];\n"
        "s.x = 1; h = @sin; v = 0;\n")


@st.composite
def scripts(draw):
    """BASE plus 1-6 statements; 3 in 4 run inside try/catch so later statements still run."""
    codes = draw(st.lists(st.integers(0, 2 ** 16), min_size=6, max_size=36))
    lines = [BASE]
    for i in range(0, len(codes) - 5, 6):
        stmt = _statement(codes[i:i + 5])
        lines.append(f"try\n  {stmt}\ncatch\nend\n" if codes[i + 5] % 4 else stmt + "\n")
    return "".join(lines)


def _run(script, counts, compile_now):
    try:
        result = port(script)
    except LayerGraphError:
        if not parse_source(script, "<fuzz>").syntax_errors:
            counts["parsed"] += 1
        return
    if result.errors:
        return
    counts["parsed"] += 1
    counts["interpreted"] += 1
    value = result.networks.get("L")
    if value is None:
        return
    try:
        graph = as_layer_graph("L", value)
    except LayerGraphError:
        return
    analysis = analyzeNetwork(graph, Plots="none", TargetUsage="dlnetwork")
    counts["analysed"] += 1
    if compile_now and not analysis.has_errors:
        dlnetwork(graph)
        counts["compiled"] += 1


def test_fuzzed_scripts_reach_nothing_and_report_their_stages(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    counts = {"cases": 0, "parsed": 0, "interpreted": 0, "analysed": 0, "compiled": 0}
    events_seen = []
    warm = BASE + "g = layerGraph(L); a = analyzeNetwork(L); o = trainingOptions('adam');\n" \
                  "k = functionLayer(@(X) max(X, 0.1*X)); L = [L; k]; try; v = s.('__class__'); catch; end\n"
    _run(warm, dict(counts), True)       # warm-up: lazy imports of the project happen here, unaudited
    start = time.perf_counter()

    @settings(max_examples=CASES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(scripts())
    def one_case(script):
        counts["cases"] += 1
        compile_now = counts["cases"] % 20 == 0
        with audited() as events:
            _run(script, counts, compile_now)
        if events:   # a first use of some library path may import once: the same script again must be clean
            with audited() as again:
                _run(script, dict(counts), compile_now)
            if again:
                events_seen.append((script, again))

    one_case()
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nMATLAB fuzz: {counts['cases']} cases in {elapsed:.1f} s; parsed {counts['parsed']}, interpreted "
              f"{counts['interpreted']}, analysed {counts['analysed']}, compiled {counts['compiled']}")
    (tmp_path / "counts.txt").write_text(repr(counts))
    assert events_seen == []
    assert counts["cases"] >= CASES
    assert counts["parsed"] >= 0.95 * CASES
    assert counts["interpreted"] >= 0.5 * CASES
    assert counts["analysed"] >= 0.4 * CASES
    assert counts["compiled"] >= 0.02 * CASES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counts.txt"]
