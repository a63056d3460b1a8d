"""Porter robustness: allocation cap, MATLAB control flow at script level, numeric literals, graph edits,
escaped diagnostics — each a project error naming file:line:col, never a raw traceback."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabPortError
from layergraph.matlab import port

CAP = "the porter allocates at most 100000000 elements per array"


@pytest.mark.parametrize("script, where, what", [
    ("x = zeros(1e5);", "1:5", "zeros: the array would have 10000000000 elements (100000×100000)"),
    ("x = ones(1e4, 1e4, 2);", "1:5", "ones: the array would have 200000000 elements"),
    ("x = rand([1e5 1e5]);", "1:5", "rand: the array would have 10000000000 elements"),
    ("x = randn(2e4);", "1:5", "randn: the array would have 400000000 elements"),
    ("x = true(1e5);", "1:5", "true: the array would have"),
    ("x = cell(1e5);", "1:5", "cell: the array would have"),
    ("x = NaN(1e5);", "1:5", "NaN: the array would have"),
    ("x = repmat(ones(100), 1e6);", "1:5", "repmat: the array would have 1000000000000 elements"),
    ("x = repmat(ones(1e3), 1e3, 1);", "1:5", "repmat: the array would have 1000000000 elements"),
    ("x = repmat('abc', 1, 1e8);", "1:5", "repmat: the array would have 300000000 elements"),
    ("x = 1:1e12;", "1:5", "the range: the array would have 1000000000000 elements"),
    ("x = 0:0.5:Inf;", "1:5", "the range: the array would have Inf elements"),
    ("x = colon(1, 1e9);", "1:5", "colon: the array would have 1000000000 elements"),
    ("x = linspace(0, 1, 1e9);", "1:5", "linspace: the array would have 1000000000 elements"),
    ("x(1e10) = 1;", "1:1", "the indexed assignment: the array would have 10000000000 elements"),
    ("x(1e5, 1e5) = 1;", "1:1", "the indexed assignment: the array would have"),
    ("x = ones(1e4, 1) + ones(1, 1e5);", "1:5", "'+': the array would have 1000000000 elements"),
    ("x = ones(1e4, 1) * ones(1, 1e5);", "1:5", "'*': the array would have 1000000000 elements"),
    ("x = ones(1e4, 1) == ones(1, 1e5);", "1:5", "'==': the array would have 1000000000 elements"),
    ("x = sprintf('%1000000000d', 1);", "1:5", "sprintf field width: the array would have 1000000000 elements"),
])
def test_allocation_cap_is_a_located_error(script, where, what):
    with pytest.raises(MatlabPortError) as err:
        port(script)
    text = str(err.value)
    assert text.startswith(f"<string>:{where}: {what}")
    assert CAP in text


def test_allocation_cap_is_configurable():
    assert port("x = zeros(100);", max_elements=10_000).workspace["x"].shape == (100, 100)
    with pytest.raises(MatlabPortError, match="at most 9999 elements"):
        port("x = zeros(100);", max_elements=9_999)


def test_var_with_a_huge_allocation_is_a_clear_cli_error(tmp_path):
    script = tmp_path / "net.m"
    script.write_text("layers = [featureInputLayer(n) reluLayer];\n")
    from layergraph.matlab.cli import main

    with pytest.raises(MatlabPortError, match=r"--var n:1:5: zeros: the array would have 10000000000 elements"):
        port(str(script), var_specs=["n=zeros(1e5)"])
    assert main(["port", str(script), "--var", "n=zeros(1e5)"]) == 1
    assert main(["port", str(script), "--var", "n=3"]) == 0


def test_return_at_script_level_ends_the_script():
    r = port("x = 1;\nreturn\nx = 2;\nlayers = reluLayer;")
    assert r.workspace["x"][0, 0] == 1 and "layers" not in r.workspace
    r = port("for i = 1:3\n  x = i;\n  if i == 2\n    return\n  end\nend")
    assert r.workspace["x"][0, 0] == 2


def test_return_in_a_called_script_returns_to_the_caller(tmp_path):
    (tmp_path / "helper.m").write_text("y = 1;\nreturn\ny = 2;\n")
    (tmp_path / "main.m").write_text("helper\nz = y + 10;\n")
    r = port(str(tmp_path / "main.m"))
    assert r.workspace["z"][0, 0] == 11


@pytest.mark.parametrize("script, where, word", [
    ("break", "1:1", "break"),
    ("x = 1;\nif x\n  continue\nend", "3:3", "continue"),
    ("function f()\n  break\nend", "2:3", "break"),   # a function file runs its main function (issue 11)
])
def test_break_and_continue_outside_a_loop_are_matlab_errors(script, where, word):
    if where is None:   # never reached: a function that is not called
        assert port(script).errors == []
        return
    with pytest.raises(MatlabPortError) as err:
        port(script)
    text = str(err.value)
    assert text.startswith(f"<string>:{where}: {word} is not defined outside a for or while loop")
    assert "_Break" not in text and "_Continue" not in text and "_Return" not in text


def test_break_outside_a_loop_in_a_function_names_the_function_line():
    with pytest.raises(MatlabPortError, match=r"<string>:4:3: break is not defined outside"):
        port("y = f();\nfunction y = f()\n  y = 1;\n  break\nend")


def test_unary_minus_and_plus_of_logicals_are_double():
    ws = port("a = -true; b = +true; c = -[true false]; d = -(1 > 0);").workspace
    assert ws["a"].dtype == np.float64 and ws["a"][0, 0] == -1
    assert ws["b"].dtype == np.float64 and ws["b"][0, 0] == 1
    assert ws["c"].tolist() == [[-1.0, 0.0]] and ws["d"][0, 0] == -1


def test_huge_numeric_literals_are_doubles_as_in_matlab():
    digits = "9" * 5000
    ws = port(f"a = {digits}; b = 1{'0' * 300}; c = -{digits}; d = 0xFF; e = 0b101u8;").workspace
    assert ws["a"][0, 0] == np.inf and ws["c"][0, 0] == -np.inf      # beyond realmax: Inf
    assert ws["b"][0, 0] == 1e300
    assert ws["d"][0, 0] == 255 and ws["e"][0, 0] == 5
    with pytest.raises(MatlabPortError, match=r"<string>:1:5: invalid number '0xFFFF.*at most 64 bits"):
        port("x = 0x" + "F" * 5000 + ";")
    with pytest.raises(MatlabPortError, match=r"OutputSize"):
        port(f"l = fullyConnectedLayer({digits});")


def test_replace_layer_with_a_bracketed_name_is_not_a_traceback():
    base = "g = layerGraph([featureInputLayer(2, 'Name', 'in') reluLayer('Name', 'relu')]);\n"
    r = port(base + "g = replaceLayer(g, ['relu'], tanhLayer('Name', 't'));")
    assert [layer.Name for layer in r.workspace["g"].Layers] == ["in", "t"]
    with pytest.raises(MatlabPortError, match=r"<string>:2:\d+: replaceLayer"):
        port(base + "g = replaceLayer(g, {'relu'}, tanhLayer('Name', 't'));")


def test_diagnostics_show_control_characters_escaped(tmp_path, capsys):
    from layergraph.matlab.cli import main

    script = tmp_path / "s.m"
    script.write_text("n = ['x' char(27) '[2J' char(10) 'fake: error'];\nwarning(n);\nl = reluLayer('Name', n);\n"
                      "l.Foo = 1;\n")
    assert main(["port", "--networks-only", str(script)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "Traceback" not in err
    assert "\\e[2J\\nfake: error" in err
    assert "s.m:4:3: Unrecognized property 'Foo'" in err
    warnings = port("n = ['x' char(27) '[2J' char(10) 'fake: error'];\nwarning(n);").warnings
    assert warnings == ["<string>:2:1: warning: x\\e[2J\\nfake: error"]
