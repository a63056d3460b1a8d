"""``layergraph port`` of whole programs: what the emitted program contains and how it behaves."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.source import parse_source, read_file
from layergraph.matlab.translate import translate_source

SCRIPT = """\
% Preprocess a small data set
data = [1 2 3; 4 5 6];   % two samples
total = 0;
for k = 1:numel(data)
    total = total + data(k);
end
mu = total / numel(data)
if mu > 3
    label = 'high';
else
    label = 'low';
end
y = normalizeRows(data);
z = notDefinedAnywhere(y, 2);
w = notDefinedAnywhere(z);

function out = normalizeRows(x)
    % divide each row by its sum
    out = x ./ sum(x, 2);
end
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "layergraph.cli", "port", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def load_program(python: str, name="prog"):
    namespace = {"__name__": name}
    exec(compile(python, f"{name}.py", "exec"), namespace)   # the test runs the emitted program
    return namespace


def test_port_writes_the_whole_program_with_comments_line_marks_and_one_import(tmp_path):
    script = write(tmp_path, "prep.m", SCRIPT)
    out = tmp_path / "prep.py"
    proc = run_cli(script, "-o", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.count("import layergraph.matlab.lang as ml") == 1
    assert "# Preprocess a small data set" in text and "# two samples" in text
    assert "# divide each row by its sum" in text
    assert "# prep.m:2" in text and "# prep.m:13" in text and "# prep.m:17" in text
    assert "def normalizeRows(x=None, nargout=1):" in text
    # names are kept
    for name in ("data", "total", "mu", "label", "normalizeRows"):
        assert name in text
    # the functions defined nowhere are listed with their number of calls
    assert "notDefinedAnywhere: 2 calls (prep.m:14, prep.m:15)" in proc.stderr
    assert "1 function defined nowhere" in proc.stderr


def test_a_stub_raises_the_projects_error_naming_the_function_and_line_when_reached(tmp_path):
    script = write(tmp_path, "prep.m", SCRIPT)
    program = translate_source(read_file(str(script))).python_source
    ns = load_program(program)
    with pytest.raises(MatlabRuntimeError) as info:
        ns["script"]()
    assert "notDefinedAnywhere" in str(info.value) and "prep.m:14" in str(info.value)
    assert info.value.identifier == "MATLAB:UndefinedFunction"


def test_the_program_computes_what_matlab_computes(tmp_path, capsys):
    text = SCRIPT.split("z = notDefined")[0] + "\nfunction out = normalizeRows(x)\n    out = x ./ sum(x, 2);\nend\n"
    ns = load_program(translate_source(parse_source(text, "prep.m")).python_source)
    ws = ns["script"]()
    assert float(ws["total"][0, 0]) == 21.0 and float(ws["mu"][0, 0]) == 3.5
    assert ws["label"] == "high"
    np.testing.assert_allclose(ws["y"], np.array([[1, 2, 3], [4, 5, 6]]) / np.array([[6], [15]]))
    assert "mu" in capsys.readouterr().out      # 'mu = ...' without a semicolon is displayed


def test_the_program_executes_no_matlab_text():
    text = SCRIPT + "\nf = @(x) feval('sin', x) + 1;\ng = @cos;\nv = g(0);\nu = feval(g, 0);\n"
    program = translate_source(parse_source(text, "prep.m")).python_source
    tree = ast.parse(program)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            assert name not in ("exec", "eval", "compile", "__import__", "evalin", "str2func", "feval", "evalc")
            if name in ("call", "function", "handle"):
                # by name only, never source text
                for a in node.args[:1]:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str):
                        assert a.value.isidentifier()
    # every string constant is a repr of MATLAB text or a MATLAB name (the program is built from the tree)
    assert "exec(" not in program and "eval(" not in program


def test_eval_of_text_becomes_an_error_not_execution():
    program = translate_source(parse_source("x = 1;\neval('x = 2');\n", "e.m")).python_source
    ns = load_program(program)
    with pytest.raises(MatlabRuntimeError, match="does not execute text"):
        ns["script"]()


def test_indexing_is_plain_numpy_only_where_proved():
    text = """\
X = rand(4, 3);
Y = zeros(4, 3);
[n, d] = size(X);
for i = 1:4
    for j = 1:3
        Y(i, j) = X(i, j) * 2;
    end
end
s = 0;
for k = 1:10
    s = s + k;
end
Z = zeros(2, 2);
W = Z;
for i = 1:2
    for j = 1:2
        Z(i, j) = 1;
    end
end
v = X(5, 1);
T = zeros(3, 3);
for i = 1:3
    T(i, i) = i;
end
"""
    program = translate_source(parse_source(text, "f.m")).python_source
    # counters used only as proved subscripts count from zero; their last MATLAB value is set after the loop
    assert re.search(r"Y\[_i\d+, _j\d+\] = X\[_i\d+, _j\d+\] \* 2", program), program
    assert "s = s + k" in program               # unboxed scalar doubles
    assert "Z = ml.set_index(Z, 1, i, j)" in program   # W aliases Z: no in-place write
    assert "ml.index(X, 5, 1)" in program      # not provably in range: the runtime helper
    assert "T[i - 1, i - 1] = i" in program    # a counter also used as a value keeps its MATLAB value
    ns = load_program(program)
    with pytest.raises(MatlabRuntimeError):
        ns["script"]()


def test_networks_only_keeps_the_porters_output(tmp_path):
    from layergraph.matlab import port

    script = write(tmp_path, "net.m", """\
        layers = [imageInputLayer([28 28 1]); convolution2dLayer(3, 8, 'Padding', 'same'); reluLayer
                  fullyConnectedLayer(10); softmaxLayer; classificationLayer];
    """)
    proc = run_cli(script, "--networks-only")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == port(str(script)).python_source
    whole = run_cli(script)
    assert whole.returncode == 0 and "ml.convolution2dLayer(3, 8, 'Padding', 'same')" in whole.stdout
    ns = load_program(whole.stdout)
    layers = ns["script"]()["layers"]
    assert [type(x).__name__ for x in layers.items()][:2] == ["ImageInputLayer", "Convolution2DLayer"]


def test_the_namespace_offers_registry_functions_and_keyword_spellings():
    import layergraph.matlab.lang as ml
    from layergraph.functions import FUNCTIONS

    assert ml.python_name("and") == "and_" and ml.python_name("sum") == "sum"
    np.testing.assert_array_equal(ml.and_(np.array([[1.0, 0.0]]), 1.0), np.array([[True, False]]))
    entry = FUNCTIONS["trainingOptions"]
    assert ml.trainingOptions.__doc__ == entry.function.__doc__
    np.testing.assert_array_equal(ml.mtimes(np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])), [[11.0]])
    np.testing.assert_array_equal(ml.times(np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])),
                                  [[3.0, 6.0], [4.0, 8.0]])
    with pytest.raises(MatlabRuntimeError) as info:
        ml.index(np.array([[1.0, 2.0, 3.0]]), 4)
    assert ml.matlab_error(info.value).identifier == "MATLAB:badsubscript"   # as catch ME / ml.main see it
    with pytest.raises(AttributeError):
        ml.noSuchMatlabFunctionAnywhere


def test_the_translated_program_reaches_only_what_matlab_code_may_touch(tmp_path, monkeypatch):
    """The escape attempt of tests/hostile: the emitted program refuses it at run time, as the interpreter does."""
    exploit = ("h = @sin; g = h.interp.__class__.__init__.__globals__;\n"
               "s.evil = g.os.system;\nevil('touch CANARY_RCE')\n")
    script = write(tmp_path, "exploit.m", exploit)
    proc = run_cli(script, "-o", tmp_path / "exploit.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    monkeypatch.chdir(tmp_path)
    ns = load_program((tmp_path / "exploit.py").read_text(encoding="utf-8"))
    with pytest.raises(MatlabRuntimeError, match="interp"):
        ns["script"]()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exploit.m", "exploit.py"]


def test_function_files_beside_the_script_and_on_path_are_translated_into_the_program(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    write(lib, "scaleBy.m", "function y = scaleBy(x, k)\n% scale x by k\ny = x * k + offsetOf(k);\nend\n")
    write(lib, "offsetOf.m", "function o = offsetOf(k)\no = k - 1;\nend\n")
    script = write(tmp_path, "main.m", "r = scaleBy([1 2], 3);\n")
    proc = run_cli(script, "--path", lib)
    assert proc.returncode == 0, proc.stderr
    assert "def scaleBy(x=None, k=None, nargout=1):  # scaleBy.m:1" in proc.stdout
    assert "def offsetOf(k=None, nargout=1):" in proc.stdout and "_missing_" not in proc.stdout
    ws = load_program(proc.stdout)["script"]()
    np.testing.assert_array_equal(ws["r"], [[5.0, 8.0]])      # [1 2] * 3 + (3 - 1)
    alone = run_cli(script)        # without --path: a stub, listed
    assert "scaleBy: 1 call (main.m:1)" in alone.stderr


def test_load_without_outputs_defines_the_variables_the_script_uses(tmp_path, monkeypatch):
    """``load file.mat`` creates the file's variables; the program reads them from load's struct (a name the
    file does not hold stays MATLAB's undefined function)."""
    import layergraph.matlab.lang as ml
    from layergraph.functions import FUNCTIONS, MatlabFunction
    from layergraph.matlab.values import Struct

    text = "x = 1;\nload data.mat\ny = a + x;\nz = b(2);\n"
    program = translate_source(parse_source(text, "s.m")).python_source
    assert "ml.loaded(" in program and "a = ml.loaded(" in program
    fake = MatlabFunction("load", lambda *args: Struct({"a": np.array([[41.0]]), "b": np.array([[5.0, 6.0]])}),
                          ("S",), base=True)
    monkeypatch.setitem(FUNCTIONS, "load", fake)
    monkeypatch.setattr(ml, "_CACHE", {})
    ws = load_program(translate_source(parse_source(text, "s.m")).python_source)["script"]()
    assert float(ws["y"][0, 0]) == 42.0 and float(ws["z"][0, 0]) == 6.0
    missing = "x = 1;\nload data.mat\nw = c(1);\n"
    ns = load_program(translate_source(parse_source(missing, "s.m")).python_source)
    with pytest.raises(MatlabRuntimeError, match="Undefined function 'c'"):
        ns["script"]()
