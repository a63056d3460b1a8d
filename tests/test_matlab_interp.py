"""The porter's interpreter: MATLAB semantics, grammar weak spots, bad input and the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from layergraph import (
    additionLayer, connectLayers, convolution2dLayer, fullyConnectedLayer, imageInputLayer, layerGraph,
    removeLayers, reluLayer, replaceLayer, softmaxLayer, featureInputLayer, regressionLayer,
)
from layergraph.errors import MatlabPortError
from layergraph.matlab import port
from layergraph.matlab.cli import load_networks, main
from layergraph.matlab.values import Cell, MString
from matlab_helpers import assert_rebuilds, case


def ws(source: str, **kw) -> dict:
    return port(source, **kw).workspace


def val(x):
    """A porter numeric value as a plain Python number or nested list."""
    a = np.asarray(x)
    if a.size == 1:
        return a.reshape(-1)[0].item()
    return a.tolist()


# ---- values and operators ---------------------------------------------------------------------------


def test_numbers_ranges_and_arithmetic():
    w = ws("a = 1:4; b = 10:-3:1; c = 0:0.5:1; d = -2^2; e = 2^-1; f = [1 2; 3 4] * [1; 1];"
           "g = [1 2 3] .* [2 2 2]; h = 7 / 2; k = mod(-1, 3); m = [1 2 3]'; n = 3 - -1; p = 1e-3 + .5;")
    assert val(w["a"]) == [[1, 2, 3, 4]]
    assert val(w["b"]) == [[10, 7, 4, 1]]
    assert val(w["c"]) == [[0, 0.5, 1]]
    assert val(w["d"]) == -4           # MATLAB: -(2^2)
    assert val(w["e"]) == 0.5
    assert val(w["f"]) == [[3], [7]]
    assert val(w["g"]) == [[2, 4, 6]]
    assert val(w["h"]) == 3.5 and val(w["k"]) == 2 and val(w["n"]) == 4 and val(w["p"]) == 0.501
    assert val(w["m"]) == [[1], [2], [3]]


def test_comparisons_logic_and_short_circuit():
    w = ws("a = 3 > 2; b = [1 2 3] == 2; c = ~true; d = true || error('no'); e = false && error('no');"
           "f = xor_free(1); function r = xor_free(x), r = (x ~= 0) & ~(x == 2); end")
    assert val(w["a"]) is True and val(w["b"]) == [[False, True, False]]
    assert val(w["c"]) is False and val(w["d"]) is True and val(w["e"]) is False and val(w["f"]) is True


def test_strings_both_quote_kinds_and_concatenation():
    w = ws('''a = 'it''s'; b = "say ""hi"""; c = ['conv' '_' num2str(3)]; d = "n" + 5 + "x";
           e = strcat('a ', 'b'); f = sprintf('%s_%d', 'relu', 2); g = upper('ab'); h = string(2.5);
           k = char("xy"); l = strcmp('a', {'a', 'b'}); m = int2str(2.6); n = num2str(0.1); o = num2str([1 2]);
           p = sprintf('%5.2f|', [1 2]); q = isempty(''); r = strrep('a-b', '-', '_'); s = length("abc");''')
    assert w["a"] == "it's" and w["b"] == 'say "hi"' and isinstance(w["b"], MString)
    assert w["c"] == "conv_3" and w["d"] == "n5x" and isinstance(w["d"], MString)
    assert w["e"] == "ab" and w["f"] == "relu_2" and w["g"] == "AB" and w["h"] == "2.5" and w["k"] == "xy"
    assert val(w["l"]) == [[True, False]] and w["m"] == "3" and w["n"] == "0.1" and w["o"] == "1  2"
    assert w["p"] == " 1.00| 2.00|" and val(w["q"]) is True and w["r"] == "a_b" and val(w["s"]) == 1


def test_indexing_end_and_growth():
    w = ws("x = [10 20 30 40]; a = x(end); b = x(end-1:end); c = x([1 3]); x(end+1) = 50; x(2) = [];"
           "y = []; y(3) = 1; M = magic_free(); e = M(2, :); f = M(:, end); g = M(end); h = M(:)';"
           "z = x(x > 25); c2 = {}; c2{end+1} = 'a'; c2{end+1} = 'b'; n = numel(c2); v = c2{2};"
           "function M = magic_free(), M = [1 2 3; 4 5 6]; end")
    assert val(w["a"]) == 40 and val(w["b"]) == [[30, 40]] and val(w["c"]) == [[10, 30]]
    assert val(w["x"]) == [[10, 30, 40, 50]] and val(w["y"]) == [[0, 0, 1]]
    assert val(w["e"]) == [[4, 5, 6]] and val(w["f"]) == [[3], [6]] and val(w["g"]) == 6
    assert val(w["h"]) == [[1, 4, 2, 5, 3, 6]] and val(w["z"]) == [[30, 40, 50]]
    assert w["c2"].items() == ["a", "b"] and val(w["n"]) == 2 and w["v"] == "b"


def test_structs_cells_and_function_handles():
    w = ws("s.a = 1; s.b.c = 'x'; s.('d') = 2; t = s.b.c; opts = struct('lr', 0.1, 'n', 3);"
           "f = @(x) x.^2 + 1; y = f(3); g = @numel; k = g([1 2 3]); base = 10; h = @(v) v + base; base = 0;"
           "m = h(1); c = {1, 'two'; [3 4], {5}}; sz = size(c); e = c{2, 1}; q = cellfun(@numel, {[1 2], 1});"
           "u = arrayfun(@(i) i * 2, 1:3); fn = fieldnames(opts); has = isfield(opts, 'lr');")
    assert w["t"] == "x" and val(w["s"].fields["d"]) == 2 and val(w["opts"].fields["lr"]) == 0.1
    assert val(w["y"]) == 10 and val(w["k"]) == 3 and val(w["m"]) == 11  # handles capture values
    assert val(w["sz"]) == [[2, 2]] and val(w["e"]) == [[3, 4]] and val(w["q"]) == [[2, 1]]
    assert val(w["u"]) == [[2, 4, 6]] and w["fn"].items() == ["lr", "n"] and val(w["has"]) is True


def test_control_flow_switch_while_break_continue_and_multiple_outputs():
    w = ws("""total = 0;
for i = 1:10
    if i == 3, continue; elseif i > 6, break; else, total = total + i; end
end
kind = 'relu';
switch kind
    case {'tanh', 'sigmoid'}, z = 1;
    case 'relu', z = 2;
    otherwise, z = 3;
end
n = 0; while n < 5, n = n + 1; end
[q, r] = divmod(17, 5);
[~, r2] = divmod(9, 4);
[m, im] = max([3 9 2]);
[rows, cols] = size(zeros(2, 5));
try
    error('boom %d', 1);
catch err
    msg = err.message;
end
function [q, r] = divmod(a, b)
    q = floor(a / b);
    r = a - q * b;
end""")
    assert val(w["total"]) == 1 + 2 + 4 + 5 + 6 and val(w["z"]) == 2 and val(w["n"]) == 5
    assert val(w["q"]) == 3 and val(w["r"]) == 2 and val(w["r2"]) == 1
    assert val(w["m"]) == 9 and val(w["im"]) == 2 and val(w["rows"]) == 2 and val(w["cols"]) == 5
    assert "boom 1" in w["msg"]


def test_nargin_varargin_and_name_value_arguments_blocks():
    w = ws("""a = f(1); b = f(1, 2); c = g(1, 2, 3); d = h(Name="x"); e = h();
function r = f(x, y)
    if nargin < 2, y = 10; end
    r = x + y;
end
function n = g(varargin), n = numel(varargin); end
function r = h(opts)
    arguments
        opts.Name = "default"
    end
    r = opts.Name;
end""")
    assert val(w["a"]) == 11 and val(w["b"]) == 3 and val(w["c"]) == 3 and w["d"] == "x" and w["e"] == "default"


# ---- layers and graphs -------------------------------------------------------------------------------


def test_layer_array_indexing_and_property_assignment():
    r = port("""layers = [imageInputLayer([8 8 1]); convolution2dLayer(3, 4); reluLayer; fullyConnectedLayer(2)];
layers(2).Name = 'c1';
layers(2).Weights = ones(3, 3, 1, 4) * 0.5;
layers(end+1) = softmaxLayer;
layers(3) = [];
first = layers(1:2);
nm = layers(2).Name;
numF = layers(2).NumFilters;
row = [reluLayer reluLayer('Name', 'r2')];
""")
    layers = r.networks["layers"]
    assert [type(x).MATLAB_NAME for x in layers] == ["imageInputLayer", "convolution2dLayer",
                                                      "fullyConnectedLayer", "softmaxLayer"]
    assert layers[1].Name == "c1" and tuple(layers[1].Weights.shape) == (3, 3, 1, 4)
    assert float(layers[1].Weights.sum()) == 0.5 * 36
    assert r.workspace["nm"] == "c1" and val(r.workspace["numF"]) == 4
    assert len(r.networks["first"]) == 2 and len(r.networks["row"]) == 2
    assert r.workspace["row"].a.shape == (1, 2)  # [a b] is a row, [a; b] a column
    assert_rebuilds(r)


def test_layergraph_edit_functions_and_properties():
    r = port("""lgraph = layerGraph([featureInputLayer(4, 'Name', 'in'); fullyConnectedLayer(4, 'Name', 'fc1');
    reluLayer('Name', 'r1'); additionLayer(2, 'Name', 'add'); fullyConnectedLayer(1, 'Name', 'out');
    regressionLayer('Name', 'loss')]);
lgraph = connectLayers(lgraph, 'in', 'add/in2');
lgraph = replaceLayer(lgraph, 'r1', reluLayer('Name', 'r1b'));
lgraph = addLayers(lgraph, fullyConnectedLayer(3, 'Name', 'dangling'));
lgraph = removeLayers(lgraph, {'dangling'});
names = {lgraph.Layers(2:3).Name};
src = lgraph.Connections.Source;
nIn = numel(lgraph.InputNames);
third = lgraph.Layers(3).Name;
""")
    g = layerGraph([featureInputLayer(4, Name="in"), fullyConnectedLayer(4, Name="fc1"), reluLayer(Name="r1"),
                    additionLayer(2, Name="add"), fullyConnectedLayer(1, Name="out"), regressionLayer(Name="loss")])
    g = connectLayers(g, "in", "add/in2")
    g = replaceLayer(g, "r1", reluLayer(Name="r1b"))
    assert r.networks["lgraph"] == g
    w = r.workspace
    assert w["names"].items() == ["fc1", "r1b"] and w["third"] == "r1b" and val(w["nIn"]) == 1
    assert "in" in w["src"].items()
    assert_rebuilds(r)


def test_dlnetwork_and_assemble_network_values_port_and_regenerate():
    r = port("""layers = [featureInputLayer(3, 'Name', 'x'); fullyConnectedLayer(2, 'Name', 'fc')];
net = dlnetwork(layers);
""")
    assert set(r.networks) == {"layers", "net"}
    assert type(r.networks["net"]).__name__ == "Network"
    assert "net = dlnetwork(net_graph)" in r.python_source
    assert_rebuilds(r)


def test_grammar_weak_spots_continuations_transposes_and_command_syntax():
    r = port("""sizes = [28 28 ...
          1];
m = [1 2
     3 4];
v = [1 -2];  w = [1 - 2];  t = m';  u = [m' m'];  s = {'a' 'b'}';
hold on
format long
close all
layers = [imageInputLayer(sizes, ... comment after continuation
                          'Name', 'in')
          fullyConnectedLayer(3, ...
              'Name', 'fc')   % trailing comment
];
""")
    w = r.workspace
    assert val(w["sizes"]) == [[28, 28, 1]] and val(w["m"]) == [[1, 2], [3, 4]]
    assert val(w["v"]) == [[1, -2]] and val(w["w"]) == -1 and val(w["t"]) == [[1, 3], [2, 4]]
    assert val(w["u"]) == [[1, 3, 1, 3], [2, 4, 2, 4]] and w["s"].a.shape == (2, 1)
    assert [x.Name for x in r.networks["layers"]] == ["in", "fc"]
    assert any("hold" in x for x in r.warnings)   # a figure function: opaque when porting


def test_unmodelled_calls_are_opaque_and_only_fail_when_a_network_needs_them():
    r = port("""data = load('weights.mat');
X = data.X;
figure; plot(X); title('x');
numFeatures = 5;
layers = [featureInputLayer(numFeatures); fullyConnectedLayer(1)];
if numel(X) > 3, extra = 1; end
""")
    assert len(r.networks["layers"]) == 2
    assert any("<string>:1:8: warning: 'load'" in x for x in r.warnings)
    assert any("condition depends" in x for x in r.warnings)
    with pytest.raises(MatlabPortError, match=r"(?s)<string>:3:33: .*'numOut'.*--var numOut="):
        port("""numOut = size(load('y.mat'), 2);
x = 1;
layers = [featureInputLayer(2); fullyConnectedLayer(numOut)];""")


def test_no_python_eval_of_input():
    # eval/evalin of text are refused in every mode (layergraph/policy.py), with the script location
    with pytest.raises(MatlabPortError, match=r"<string>:1:1: 'eval' is not available"):
        port("eval('x = 1');")
    with pytest.raises(MatlabPortError, match=r"<string>:1:5: 'evalin' is not available"):
        port("y = evalin('base', 'y = 2');")
    r = port("z = str2func('numel'); n = z([1 2 3]);")
    assert r.workspace["n"][0, 0] == 3


# ---- bad input ---------------------------------------------------------------------------------------


def test_syntax_error_is_reported_and_the_rest_still_ports_with_skip_bad_statements():
    r = port("""a = 1;
b = (2 + ;
layers = [featureInputLayer(2, 'Name', 'in'); fullyConnectedLayer(1, 'Name', 'fc')];
""", skip_bad_statements=True)
    assert not r.complete   # statements were skipped: the port is marked incomplete
    assert r.errors and r.errors[0].startswith("<string>:2:")
    assert "b = (2 + ;" in r.errors[0]
    assert [x.Name for x in r.networks["layers"]] == ["in", "fc"]
    assert val(r.workspace["a"]) == 1


def test_layer_option_errors_carry_the_script_location():
    with pytest.raises(MatlabPortError) as err:
        port("x = 1;\nlayers = [featureInputLayer(2)\n    convolution2dLayer(3, 8, 'Paddin', 'same')];")
    text = str(err.value)
    assert text.startswith("<string>:3:5:") and "Paddin" in text and "convolution2dLayer(3, 8" in text


def test_graph_errors_carry_the_script_location():
    with pytest.raises(MatlabPortError, match=r"<string>:2:5: connectLayers: .*'nope'"):
        port("g = layerGraph(featureInputLayer(2, 'Name', 'a'));\ng = connectLayers(g, 'a', 'nope');")


def test_wrong_argument_counts():
    with pytest.raises(MatlabPortError, match=r"<string>:1:5: too many input arguments: f takes at most 1"):
        port("y = f(1, 2);\nfunction r = f(x), r = x; end")
    with pytest.raises(MatlabPortError, match=r"too many output arguments"):
        port("[a, b] = f(1);\nfunction r = f(x), r = x; end")
    with pytest.raises(MatlabPortError, match=r"<string>:1:5: wrong number of arguments to connectLayers"):
        port("g = connectLayers(layerGraph(), 'a');")


def test_infinite_loop_hits_the_step_budget():
    with pytest.raises(MatlabPortError, match=r"<string>:2:1: step budget exceeded"):
        port("k = 0;\nwhile true\n  k = k + 1;\nend", max_steps=20_000)


def test_deep_recursion_is_a_clear_error():
    with pytest.raises(MatlabPortError, match=r"maximum recursion depth \(100\) exceeded calling 'f'"):
        port("y = f(1);\nfunction r = f(x)\n  r = f(x + 1);\nend")


def test_undefined_function_needed_by_a_network():
    # issue 11 item 4: an unknown function as an element of a layer array is a placeholder, never dropped
    r = port("layers = [featureInputLayer(2); myBlock(4)];\nlgraph = layerGraph(layers);")
    assert not r.complete and any("myBlock.m beside the script" in p for p in r.incomplete)
    assert [x.Name for x in r.graphs()["lgraph"].layer_list()][-1] == "myBlock"


def test_index_errors():
    with pytest.raises(MatlabPortError, match=r"<string>:1:18: index exceeds"):
        port("x = [1 2 3]; y = x(5);")
    with pytest.raises(MatlabPortError, match=r"positive integers"):
        port("x = [1 2 3]; y = x(0);")


# ---- command line --------------------------------------------------------------------------------------


def test_cli_port_writes_python_and_json(tmp_path, capsys):
    out = tmp_path / "net.py"
    js = tmp_path / "net.json"
    code = main(["port", case("with_data.m"), "--networks-only", "-o", str(out), "--json", str(js), "--var", "numClasses=10", "-q"])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "fullyConnectedLayer(10)" in text and "from layergraph import *" in text
    from layergraph.spec import load_spec
    from layergraph import layerGraph as lg

    r = port(case("with_data.m"), workspace={"numClasses": 10})
    assert load_spec(js) == lg(list(r.networks["layers"]))


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    bad = tmp_path / "bad.m"
    bad.write_text("layers = [featureInputLayer(2); fullyConnectedLayer(numel(load('x.mat')))];\n")
    proc = subprocess.run([sys.executable, "-m", "layergraph.matlab.cli", "port", "--networks-only", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "bad.m:1:33" in proc.stderr
    loop = tmp_path / "loop.m"
    loop.write_text("function r = f(x)\n r = f(x);\nend\n")
    script = tmp_path / "rec.m"
    script.write_text("y = loop(1);\n")
    proc = subprocess.run([sys.executable, "-m", "layergraph.matlab.cli", "port", "--networks-only", str(script)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "recursion" in proc.stderr


def test_load_networks_for_the_analyze_command():
    graphs = load_networks(case("uses_files.m"), search_path=[case("helpers_lib")])
    assert set(graphs) == {"base", "block", "lgraph"}
    assert all(type(g).__name__ == "LayerGraph" for g in graphs.values())
    graphs = load_networks(case("with_data.m"), workspace={"numClasses": 3})
    assert graphs["layers"].layer_list()[7].OutputSize == 3
    # a function file runs its main function; a parameter not given is unknown and named in the error
    with pytest.raises(MatlabPortError, match=r"(?s)addSkip\.m:3:10: connectLayers.*parameter 'lgraph' of addSkip"
                                              r".*--args"):
        load_networks(case("stemLayers.m").replace("stemLayers", "helpers_lib/addSkip"))


# ---- robustness: any input gives a result or a MatlabPortError ---------------------------------------

from hypothesis import given, settings, HealthCheck, strategies as st  # noqa: E402

_TOKENS = ["x", "y", "layers", "=", "1", "2.5", "'a'", '"b"', "[", "]", "{", "}", "(", ")", ";", ",", "\n",
           "+", "-", "*", "'", ":", "end", "for", "if", "while", "function", "reluLayer", "layerGraph",
           "fullyConnectedLayer", "...", "%", "#", "!", "~=", ".", "Name", "@", "numel", "x(end+1)", " "]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=30))
def test_any_token_soup_ports_or_fails_cleanly(tokens):
    try:
        port(" ".join(tokens), max_steps=5_000)
    except MatlabPortError:
        pass


def test_layers_and_functions_come_from_the_registries():
    from layergraph.functions import FUNCTIONS, matlab_function
    from layergraph.layers.base import Layer, register, unregister
    from layergraph.layers.options import Option, positive_integer

    class _ProbeLayer(Layer):
        MATLAB_NAME = "probeLayerForPorterTest"
        TYPE = "Probe"
        DEFAULT_NAME = "probe"
        OPTIONS = (Option("Width", positive_integer(), 1),)
        POSITIONAL = ("Width",)

    register(_ProbeLayer)

    @matlab_function("probeFunctionForPorterTest", outputs=("a", "b"))
    def _probe(x):
        return x + 1, x + 2

    try:
        r = port("l = probeLayerForPorterTest(3, 'Name', 'p'); [u, v] = probeFunctionForPorterTest(1); "
                 "w = probeFunctionForPorterTest(10);")
        assert isinstance(r.networks["l"][0], _ProbeLayer) and r.networks["l"][0].Width == 3
        assert val(r.workspace["u"]) == 2 and val(r.workspace["v"]) == 3 and val(r.workspace["w"]) == 11
    finally:
        unregister("probeLayerForPorterTest")
        FUNCTIONS.pop("probeFunctionForPorterTest", None)
    r = port("l = probeLayerForPorterTest(3);")
    assert "l" not in r.networks and any("probeLayerForPorterTest" in w for w in r.warnings)


def test_scripts_called_by_name_and_function_handle_options(tmp_path):
    from layergraph import dlnetwork

    (tmp_path / "setup_params.m").write_text("numHidden = 7;  % a script, run in the caller's workspace\n")
    main_m = tmp_path / "main.m"
    main_m.write_text("setup_params\nlayers = [featureInputLayer(3, 'Name', 'in')\n"
                      "    fullyConnectedLayer(numHidden, 'Name', 'fc', 'WeightsInitializer', @(sz) ones(sz) * 0.5)];\n")
    r = port(str(main_m))
    assert r.networks["layers"][1].OutputSize == 7
    net = dlnetwork(r.networks["layers"])  # the MATLAB initializer runs in the porter
    weights = dict(net.named_parameters())["fc.Weights"]
    assert bool((weights == 0.5).all())
    assert any("@(sz) ones(sz) * 0.5" in n and "cannot be written as Python" in n for n in r.notes)
    assert all(w.startswith(str(main_m)) for w in r.warnings)
    assert "# NOTE:" in r.python_source


def test_absurdly_deep_expressions_are_a_clear_error():
    assert val(port("x = " + "+".join(["1"] * 2000) + ";").workspace["x"]) == 2000
    with pytest.raises(MatlabPortError, match="nests too deeply"):
        port("x = " + "+".join(["1"] * 30000) + ";")


def test_multiline_arrays_with_blank_and_comment_lines_and_continuations():
    r = port("""layers = [
    featureInputLayer(3, 'Name', 'in')   % comment

    % a comment line
    reluLayer('Name', 'r')
    ...
    fullyConnectedLayer(2, 'Name', 'fc')
];
a = [1, 2, ...
     3];
b = {'a', ...  comment after the dots
     'b'};
c = [ones(1,2)' zeros(2,1)];
d = layers(1:2)';
""")
    assert [x.Name for x in r.networks["layers"]] == ["in", "r", "fc"]
    w = r.workspace
    assert val(w["a"]) == [[1, 2, 3]] and w["b"].items() == ["a", "b"]
    assert val(w["c"]) == [[1, 0], [1, 0]] and w["d"].a.shape == (1, 2)
    assert r.warnings == [] and r.errors == []


def test_main_layergraph_command_ports_and_analyzes_m_files():
    proc = subprocess.run([sys.executable, "-m", "layergraph.cli", "port", "--networks-only", case("dnd_residual.m"), "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "connectLayers(lgraph, 'relu1', 'add/in2')" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "layergraph.cli", "analyze", case("dnd_residual.m")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "'add'" in proc.stdout and "Traceback" not in proc.stderr
