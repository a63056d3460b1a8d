"""Run mode's compiled scalar loops (fastloop.py) give exactly the general interpreter's results."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab import fastloop, run


def both(source):
    fast = run(source)
    original = fastloop.run_loop
    fastloop.run_loop = lambda interp, st, frame: False
    try:
        slow = run(source)
    finally:
        fastloop.run_loop = original
    assert fast.keys() == slow.keys()
    for k in fast:
        a, b = fast[k], slow[k]
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, k
            np.testing.assert_array_equal(a, b, err_msg=k)
        else:
            assert a == b, k
    return fast


def v(x):
    return x.reshape(-1)[0].item()


def test_sum_loop_matches_the_formula():
    w = both("s = 0; for i = 1:1000, s = s + i; end")
    assert v(w["s"]) == 1000 * 1001 / 2 and v(w["i"]) == 1000


def test_fractional_and_negative_steps():
    w = both("s = 0; n = 0; for x = 0:0.1:1, s = s + x; n = n + 1; end\nt = 0; for k = 10:-3:1, t = t * 10 + k; end")
    assert v(w["n"]) == 11 and v(w["t"]) == 10741
    assert v(w["s"]) == float(np.sum(0 + 0.1 * np.arange(11)))


def test_break_continue_if_elseif_and_logical_variables():
    w = both("evens = 0; odds = 0; big = false;\nfor k = 1:100\n  if k > 50\n    big = true;\n    break\n"
             "  elseif mod2(k)\n    continue\n  else\n    odds = odds + 1;\n  end\nend\n"
             "function r = mod2(k)\n  r = k - 2 * floor(k / 2) == 0;\nend\n")
    # a call in the body: the general path runs it (same results)
    assert v(w["odds"]) == 25 and w["big"].dtype == bool and v(w["big"]) is True and v(w["k"]) == 51
    w = both("c = 0; flag = false;\nfor k = 1:20\n  if k == 3 || k == 5, continue, end\n  if ~(k < 10) && k ~= 12\n"
             "    flag = k > 15;\n  end\n  c = c + 1;\nend")
    assert v(w["c"]) == 18 and v(w["flag"]) is True and w["flag"].dtype == bool


def test_division_by_zero_powers_and_unary_minus_precedence():
    w = both("a = 0; b = 0; c = 0; for k = 1:1, a = 1 / 0; b = -1 / 0; c = 0 / 0; d = -2 ^ 2; e = 2 ^ -1;"
             " f = (-8) ^ 2; g = 10 ^ 400; end")
    assert v(w["a"]) == np.inf and v(w["b"]) == -np.inf and np.isnan(v(w["c"]))
    assert v(w["d"]) == -4 and v(w["e"]) == 0.5 and v(w["f"]) == 64 and v(w["g"]) == np.inf


def test_logical_arithmetic_is_double():
    w = both("t = true; u = 0; for k = 1:3, u = t + t; m = t * 3; end")
    assert w["u"].dtype == np.float64 and v(w["u"]) == 2 and v(w["m"]) == 3


def test_nested_loops_and_while():
    w = both("s = 0; for i = 1:10, for j = i:10, s = s + i * j; end, end\n"
             "n = 27; steps = 0; while n ~= 1, if n - 2 * floor(n / 2) == 0, n = n / 2; else, n = 3 * n + 1; end,"
             " steps = steps + 1; end")
    assert v(w["s"]) == sum(i * j for i in range(1, 11) for j in range(i, 11))
    assert v(w["steps"]) == 111


def test_empty_range_leaves_the_loop_variable_untouched_and_types_are_kept():
    w = both("k = 7; s = 0; for k = 5:1, s = s + 1; end")
    assert v(w["k"]) == 7 and v(w["s"]) == 0


def test_uncompilable_bodies_and_changing_types_use_the_general_path():
    w = both("x = zeros(1, 3); for i = 1:3, x(i) = i ^ 2; end")
    assert w["x"].tolist() == [[1, 4, 9]]
    w = both("y = 1; for i = 1:3, y = i > 1; end")       # y changes from double to logical
    assert w["y"].dtype == bool


def test_errors_inside_a_compiled_loop_keep_the_assigned_values_and_the_line():
    src = "s = 0;\nfor i = 1:5\n  s = s + i;\n  if i == 3, q = s + undefinedName; end\nend"
    with pytest.raises(MatlabRuntimeError) as info:
        run(src)
    assert info.value.message == "Undefined function or variable 'undefinedName'."
    assert info.value.stack[0][2] == 4


def test_display_inside_a_compiled_loop(capsys):
    run("for i = 1:2, y = i * 2\nend")
    out = capsys.readouterr().out
    assert out.count("y =") == 2


def test_the_fast_path_is_taken_for_scalar_loops_only(monkeypatch):
    taken = []
    original = fastloop.run_loop

    def spy(interp, st, frame):
        result = original(interp, st, frame)
        taken.append(result)
        return result

    monkeypatch.setattr(fastloop, "run_loop", spy)
    run("s = 0; for i = 1:10, s = s + i; end\nn = 3; while n > 0, n = n - 1; end")
    assert taken == [True, True]
    taken.clear()
    run("x = zeros(1, 3); for i = 1:3, x(i) = i; end")
    assert taken == [True]
    taken.clear()
    run("c = {}; for i = 1:3, c{i} = i; end\nn = 0; for i = 1:3, n = n + numel(c); end")
    assert taken == [False, False]


def test_element_reads_and_writes_of_double_matrices():
    w = both("x = zeros(1, 5); y = x;\nfor i = 1:5, x(i) = i ^ 2; end\n"
             "A = zeros(3, 4); for r = 1:3, for c = 1:4, A(r, c) = 10 * r + c; end, end\n"
             "s = 0; for k = 1:12, s = s + A(k); end\n"
             "g = []; g(1) = 0; for k = 1:4, g(k) = k; end\n"
             "B = A; for k = 1:3, B(k, k) = -1; end\n")
    assert val(w["x"]) == [[1, 4, 9, 16, 25]] and val(w["y"]) == [[0, 0, 0, 0, 0]]
    assert val(w["A"]) == [[11, 12, 13, 14], [21, 22, 23, 24], [31, 32, 33, 34]]
    assert val(w["s"]) == sum(10 * r + c for r in range(1, 4) for c in range(1, 5))
    assert val(w["g"]) == [[1, 2, 3, 4]]                  # grows past its end through the general path
    assert val(w["B"])[1] == [21, -1, 23, 24] and val(w["A"])[1] == [21, 22, 23, 24]


def test_element_access_errors_match_the_general_path():
    for src, message in [
        ("x = zeros(1, 3); s = 0; for i = 1:4, s = s + x(i); end",
         "Index exceeds the number of array elements. Index must not exceed 3."),
        ("x = zeros(1, 3); for i = 1:2, x(i - 0.5) = 1; end",
         "Array indices must be positive integers or logical values."),
    ]:
        with pytest.raises(MatlabRuntimeError) as info:
            run(src)
        assert info.value.message == message


def val(x):
    return np.asarray(x).tolist() if np.asarray(x).size != 1 else np.asarray(x).reshape(-1)[0].item()
