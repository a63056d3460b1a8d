"""Run-mode semantics: struct arrays, function handles called from Python, control flow, integer types,
global/persistent, nargin/nargout checks (hand-worked MATLAB results)."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab import run
from layergraph.matlab.values import Cell, Struct, StructArr


def val(x):
    a = np.asarray(x)
    if a.size == 1:
        return a.reshape(-1)[0].item()
    return a.tolist()


def fail(source, **kw) -> MatlabRuntimeError:
    with pytest.raises(MatlabRuntimeError) as info:
        run(source, **kw)
    return info.value


# ---- struct arrays --------------------------------------------------------------------------------------


def test_struct_array_growth_fields_and_comma_lists():
    w = run("s(2).a = 5;\ns(1).a = 1;\nv = [s.a];\nn = numel(s);\nt = s(2);\ns(3).b = 'x';\nsz = size(s);\n"
            "e = isempty(s(3).a);\nfirstB = isempty(s(1).b);")
    assert val(w["v"]) == [[1, 5]] and val(w["n"]) == 2
    assert isinstance(w["t"], Struct) and val(w["t"].fields["a"]) == 5
    assert isinstance(w["s"], StructArr) and w["s"].fields == ("a", "b")
    assert val(w["sz"]) == [[1, 3]] and val(w["e"]) is True and val(w["firstB"]) is True


def test_struct_array_deletion_concatenation_and_loops():
    w = run("q = struct('a', 1);\nq(2).a = 7;\nr = [q.a];\nz = [q, q];\nnz = numel(z);\n"
            "k = 0; for el = z, k = k + el.a; end\nz(2) = [];\nleft = [z.a];\nc = {q.a};")
    assert val(w["r"]) == [[1, 7]] and val(w["nz"]) == 4 and val(w["k"]) == 16
    assert val(w["left"]) == [[1, 1, 7]]
    assert isinstance(w["c"], Cell) and [val(x) for x in w["c"].items()] == [1, 7]


def test_struct_array_errors():
    exc = fail("s(2).a = 1;\nx = s.nope;")
    assert exc.message == "Reference to non-existent field 'nope'." and exc.identifier == "MATLAB:nonExistentField"
    exc = fail("s(2).a = 1;\ns.a = 3;")
    assert exc.message == "Scalar structure required for this assignment."
    exc = fail("a.x = 1; b.y = 2; c = [a, b];")
    assert exc.identifier == "MATLAB:catenate:structFieldBad"


def test_mexception_stack_is_a_struct_array_inside_functions():
    w = run("try\n  f(1);\ncatch ME\n  n = numel(ME.stack);\n  top = ME.stack(1).name;\n  line = ME.stack(1).line;\n"
            "end\nfunction f(x)\n  g(x);\nend\nfunction g(x)\n  error('a:b', 'deep');\nend\n")
    assert val(w["n"]) == 3 and w["top"] == "g" and val(w["line"]) == 12


# ---- function handles from Python -----------------------------------------------------------------------------


def test_interpreter_handles_are_python_callables_with_nargout():
    w = run("h = @(x, y) x + y;\nm = @max;\nf = @twoOut;\nfunction [a, b] = twoOut(x)\n  a = x * 2; b = x * 3;\nend\n")
    assert val(w["h"](np.array([[2.0]]), 3.0)) == 5
    a, b = w["f"](np.array([[1.0]]), nargout=2)
    assert (val(a), val(b)) == (2, 3)
    assert val(w["f"](4.0)) == 8


# ---- global, persistent, argument checks ----------------------------------------------------------------------


def test_global_variables_are_shared_between_script_and_functions():
    w = run("global counter\ncounter = 1;\nbump(); bump();\nafter = counter;\n"
            "function bump()\n  global counter\n  counter = counter + 10;\nend\n")
    assert val(w["after"]) == 21 and val(w["counter"]) == 21


def test_persistent_variables_keep_their_value_between_calls():
    w = run("a = tally(); b = tally(); c = tally();\n"
            "function n = tally()\n  persistent count\n  if isempty(count)\n    count = 0;\n  end\n"
            "  count = count + 1;\n  n = count;\nend\n")
    assert (val(w["a"]), val(w["b"]), val(w["c"])) == (1, 2, 3)


def test_nargin_varargin_varargout_and_checks():
    w = run("[a, b, c] = spread(1, 2, 3);\nk = count(1, 'x', {});\nk0 = count();\n"
            "function varargout = spread(varargin)\n  for i = 1:nargin\n    varargout{i} = varargin{i} * 10;\n"
            "  end\nend\nfunction n = count(varargin)\n  n = nargin;\nend\n")
    assert (val(w["a"]), val(w["b"]), val(w["c"])) == (10, 20, 30)
    assert val(w["k"]) == 3 and val(w["k0"]) == 0
    exc = fail("y = needs(1);\nfunction y = needs(a, b)\n  narginchk(2, 2);\n  y = a + b;\nend\n")
    assert exc.message == "Not enough input arguments." and exc.identifier == "MATLAB:narginchk:notEnoughInputs"
    assert str(exc).startswith("Error using needs (line 3)\n")
    exc = fail("y = needs(1);\nfunction y = needs(a, b)\n  y = a + b;\nend\n")
    assert exc.message == "Not enough input arguments." and exc.identifier == "MATLAB:minrhs"
    exc = fail("y = one(1, 2);\nfunction y = one(a)\n  y = a;\nend\n")
    assert exc.message == "Too many input arguments."
    exc = fail("[p, q] = one(1);\nfunction y = one(a)\n  y = a;\nend\n")
    assert exc.message == "Too many output arguments."
    exc = fail("y = none(1);\nfunction y = none(a)\n  z = a;\nend\n")
    assert exc.message == ('Output argument "y" (and possibly others) not assigned a value in the execution '
                           'with "none" function.')


# ---- integer classes and single ------------------------------------------------------------------------------


def test_integer_conversion_rounds_half_away_and_saturates():
    w = run("a = int8(200); b = int8(-2.5); c = uint8(-1); n = int16([1.5 2.5 -0.5]); z = int32(NaN);"
            " q = intmax('uint8'); r = intmin('int8'); k = class(a);")
    assert w["a"].dtype == np.int8 and val(w["a"]) == 127 and val(w["b"]) == -3
    assert w["c"].dtype == np.uint8 and val(w["c"]) == 0 and val(w["z"]) == 0
    assert w["n"].tolist() == [[2, 3, -1]] and w["n"].dtype == np.int16
    assert val(w["q"]) == 255 and val(w["r"]) == -128 and w["k"] == "int8"


def test_integer_arithmetic_keeps_the_class_rounds_and_saturates():
    w = run("d = int8(100) + 100; e = int32(7) / 2; f = int8(1) / 0; g = -int8(-128); h = uint8(3) - 5;"
            " m = int16([10 20]) .* 1.25; x = int8([1 2 3]); x(2) = 3.7; u = int8(5) > 3;")
    assert val(w["d"]) == 127 and w["d"].dtype == np.int8
    assert val(w["e"]) == 4 and w["e"].dtype == np.int32
    assert val(w["f"]) == 127 and val(w["g"]) == 127 and val(w["h"]) == 0
    assert w["m"].tolist() == [[13, 25]] and w["m"].dtype == np.int16      # 12.5 -> 13, 25
    assert w["x"].tolist() == [[1, 4, 3]] and w["x"].dtype == np.int8
    assert w["u"].dtype == bool and val(w["u"]) is True
    exc = fail("z = int8(1) + int16(1);")
    assert exc.message == "Integers can only be combined with integers of the same class, or scalar doubles."


def test_integer_and_single_concatenation_and_ranges_keep_the_class():
    w = run("a = [int8(1) 2.7 300]; b = [single(1) 2]; r = uint8(250):uint8(255); q = int16(1):2:5;")
    assert w["a"].dtype == np.int8 and w["a"].tolist() == [[1, 3, 127]]
    assert w["b"].dtype == np.float32
    assert w["r"].dtype == np.uint8 and w["r"].tolist() == [[250, 251, 252, 253, 254, 255]]
    assert w["q"].dtype == np.int16 and w["q"].tolist() == [[1, 3, 5]]


def test_single_arithmetic_gives_single():
    w = run("h = single(1) + 2; s = single(0.1) * 3; t = double(s); k = class(h); f = isfloat(h);")
    assert w["h"].dtype == np.float32 and val(w["h"]) == 3
    assert w["s"].dtype == np.float32 and w["s"][0, 0] == np.float32(np.float32(0.1) * np.float32(3))
    assert w["t"].dtype == np.float64 and w["k"] == "single" and val(w["f"]) is True


# ---- categorical, control flow, command syntax ----------------------------------------------------------------


def test_categorical_indexing_comparison_and_assignment():
    w = run("YPred = categorical({'cat'; 'dog'; 'cat'; 'bird'; 'dog'});\n"
            "YTest = categorical({'cat'; 'dog'; 'dog'; 'bird'; 'cat'});\n"
            "first = YPred(1:3);\nacc = sum(YPred == YTest) / numel(YTest);\nYPred(2) = 'cat';\n"
            "c2 = YPred(2) == 'cat';\nYPred(5) = [];\nn = numel(YPred);\nlast = YPred(end);")
    assert w["first"].names() == ["cat", "dog", "cat"] and w["first"].shape == (3, 1)
    assert val(w["acc"]) == 0.6 and val(w["c2"]) is True and val(w["n"]) == 4
    assert w["last"].names() == ["bird"]


def test_control_flow_columns_cells_switch_and_return(capsys):
    w = run("for c = [1 2; 3 4], col = c; end\nfor k = {1, 'a'}, last = k; end\n"
            "switch 'abc', case {'x', 'abc'}, sw = 1; otherwise, sw = 2; end\n"
            "switch 3, case 1, s2 = 1; case {2, 3}, s2 = 3; end\n"
            "n = 0; while true, n = n + 1; if n >= 4, break; end, end\n"
            "return\nafter = 1;")
    assert val(w["col"]) == [[2], [4]] and w["last"].items() == ["a"]
    assert val(w["sw"]) == 1 and val(w["s2"]) == 3 and val(w["n"]) == 4 and "after" not in w


def test_command_syntax_and_no_op_functions(capsys):
    w = run("format long\nx = 1;\nclc\nclose all\ndrawnow\npause(0.01)\nfigure\nhold on\n"
            "plot(1:3, [1 4 9])\nhold off\nclose all\nclear x\ne = exist('x');\ny = 2;")
    assert "x" not in w and val(w["e"]) == 0 and val(w["y"]) == 2
    assert capsys.readouterr().out == ""      # graphics calls without ';' display nothing (no ans)


def test_growth_by_assignment_and_logical_deletion():
    w = run("x = []; x(end + 1) = 4; x(end + 1) = 5;\nm = 1; m(3, 5) = 1;\nv = 1:6; v(v > 4) = [];\n"
            "keep = [1 2 3 4]; keep(logical([1 0 1 0])) = 0;")
    assert val(w["x"]) == [[4, 5]]
    assert w["m"].shape == (3, 5) and w["m"].sum() == 2 and val(w["m"][2, 4]) == 1
    assert val(w["v"]) == [[1, 2, 3, 4]] and val(w["keep"]) == [[0, 2, 0, 4]]


def test_nested_functions_share_their_parents_variables(tmp_path):
    f = tmp_path / "nest.m"
    f.write_text("function total = nest(n)\n  total = 0;\n  scale = 2;\n  for k = 1:n\n    addOne(k);\n  end\n"
                 "  function addOne(v)\n    total = total + v * scale;\n    tmp = 1;\n  end\nend\n")
    w = run(str(f), args="4")
    assert val(w["total"]) == 2 * (1 + 2 + 3 + 4) and "tmp" not in w
    w = run("r = outer(3);\nfunction r = outer(x)\n  r = 0;\n  inner();\n  function inner()\n    r = x * 10;\n"
            "  end\nend\n")
    assert val(w["r"]) == 30


def test_local_functions_have_their_own_workspace():
    exc = fail("a = 5;\nb = peek();\nfunction y = peek()\n  y = a;\nend\n")
    assert exc.message == "Undefined function or variable 'a'."
    assert exc.stack[0][1] == "peek" and exc.stack[0][2] == 4


def test_in_place_element_writes_keep_value_semantics():
    w = run("x = zeros(1, 5);\nfor i = 1:5, x(i) = i * 2; end\ny = x;\nx(1) = 100;\nz = x;\nz(2) = -1;\n"
            "h = @() x;\nx(3) = 7;\nfromHandle = h();\nc = {x};\nx(4) = 9;\nm = zeros(2, 2); m(2, 1) = 5; m(1, 2) = 3;\n"
            "g = x(:); x(5) = 0;\nt = true(1, 2); t(2) = false;")
    assert val(w["y"]) == [[2, 4, 6, 8, 10]]
    assert val(w["z"]) == [[100, -1, 6, 8, 10]]
    assert val(w["fromHandle"]) == [[100, 4, 6, 8, 10]]
    assert val(w["c"].items()[0]) == [[100, 4, 7, 8, 10]]
    assert val(w["x"]) == [[100, 4, 7, 9, 0]] and val(w["g"]) == [[100], [4], [7], [9], [10]]
    assert val(w["m"]) == [[0, 3], [5, 0]] and val(w["t"]) == [[True, False]]


def test_in_place_writes_respect_functions_and_globals():
    w = run("a = zeros(1, 3); a(1) = 1;\nb = addOne(a);\na(2) = 2;\nglobal G\nG = zeros(1, 2); G(1) = 5;\nsetG();\n"
            "after = G;\nfunction r = addOne(v)\n  v(3) = 3;\n  r = v;\nend\nfunction setG()\n  global G\n  G(2) = 6;\nend\n")
    assert val(w["b"]) == [[1, 0, 3]] and val(w["a"]) == [[1, 2, 0]] and val(w["after"]) == [[5, 6]]


def test_struct_function_with_cell_values_makes_a_struct_array():
    w = run("s = struct('a', {1, 2, 3}, 'b', 'x');\nn = numel(s); v = [s.a]; b3 = s(3).b; f = fieldnames(s);\n"
            "i1 = isstruct(s); i2 = isfield(s, 'b'); e = struct('a', {}); ne = numel(e);\n"
            "c = struct('a', {{1, 2}}); cc = class(c.a);")
    assert val(w["n"]) == 3 and val(w["v"]) == [[1, 2, 3]] and w["b3"] == "x"
    assert w["f"].items() == ["a", "b"] and val(w["i1"]) is True and val(w["i2"]) is True
    assert val(w["ne"]) == 0 and w["cc"] == "cell"


def test_runaway_recursion_is_matlabs_recursion_limit_error():
    exc = fail("r = deep(1);\nfunction r = deep(n)\n  r = deep(n + 1);\nend\n")
    assert exc.identifier == "MATLAB:recursionLimit" and exc.message == "Maximum recursion limit of 500 reached."
