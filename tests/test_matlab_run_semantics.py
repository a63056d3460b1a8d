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
