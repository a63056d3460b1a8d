"""MATLAB base functions: cells, structs, functions as values (layergraph/matlab/base/cells.py) and
sets (sets.py).

From the MathWorks pages: cell.html, num2cell.html, cell2mat.html ("concatenates rows of cells, then
the rows"), cellfun.html/arrayfun.html/structfun.html ('UniformOutput', 'ErrorHandler' with the S
struct of message/identifier/index), struct.html (a 1x1 cell value is the field's content),
fieldnames/isfield/rmfield/orderfields/struct2cell/cell2struct, deal.html, feval.html, func2str.html
(func2str(@sin) is 'sin'), str2func.html; unique.html ([C, ia, ic], 'stable', C = A(ia), A = C(ic)),
ismember.html ([Lia, Locb], lowest index), setdiff/intersect/union.html (sorted, row for row inputs)."""

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.functions import FUNCTIONS
from layergraph.matlab.values import Cell, FuncHandle, MString, StrArr, Struct
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case, col

C = Cell.row
CC = Cell.column
E = np.zeros((0, 0))


def grid(rows):
    """A cell array from nested rows of values."""
    arr = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, r in enumerate(rows):
        for j, x in enumerate(r):
            arr[i, j] = x
    return Cell(arr)

numel_fn = FUNCTIONS["numel"].function
isempty_fn = FUNCTIONS["isempty"].function


def double_it(x):
    return x * 2


def two_outputs(x, nargout=1):
    return (x, x + 1) if nargout > 1 else x


def fails(x):
    raise MatlabRuntimeError("boom", "my:id")


def handler(info, x):
    return np.array([[-float(info.fields["index"].item())]])


CASES = [
    ("cell", (S(1), S(2)), C([E, E])),
    ("num2cell", (M([1, 2]),), C([S(1), S(2)])),
    ("num2cell", ("ab",), C(["a", "b"])),
    ("cell2mat", (C([M([1, 2]), S(3)]),), M([1, 2, 3])),
    ("cell2mat", (grid([[S(1), S(2)], [S(3), S(4)]]),), M([[1, 2], [3, 4]])),
    ("cell2mat", (C(["ab", "c"]),), "abc"),
    ("cell2mat", (C([C([S(1)])]),), MatlabRuntimeError),
    ("cell2mat", (Cell(np.empty((0, 0), dtype=object)),), E),
    # cellfun / arrayfun / structfun with Python callables (lang.call) and registry names
    ("cellfun", ("isempty", C([E, S(1)])), M([True, False], bool)),
    ("cellfun", (numel_fn, C(["abc", M([1, 2])])), M([3, 2])),
    ("cellfun", (double_it, C([S(1), M([1, 2])]), "UniformOutput", False), C([S(2), M([2, 4])])),
    ("cellfun", (double_it, C([M([1, 2])])), MatlabRuntimeError),        # non-scalar uniform output
    ("cellfun", (two_outputs, C([S(1), S(5)])), (M([1, 5]), M([2, 6])), 2),
    ("cellfun", (fails, C([S(1), S(2)]), "ErrorHandler", handler), M([-1, -2])),
    ("cellfun", (isempty_fn, Cell(np.empty((0, 0), dtype=object))), E),
    ("arrayfun", (double_it, M([1, 2, 3])), M([2, 4, 6])),
    ("arrayfun", (double_it, col([1, 2]), "UniformOutput", False), CC([S(2), S(4)])),
    ("arrayfun", (lambda s: s.fields["a"], Struct({"a": S(7)})), S(7)),
    ("structfun", (double_it, Struct({"a": S(1), "b": S(2)})), col([2, 4])),
    ("structfun", (double_it, Struct({"a": S(1)}), "UniformOutput", False), Struct({"a": S(2)})),
    # structs
    ("struct", ("a", S(1), "b", "x"), Struct({"a": S(1), "b": "x"})),
    ("struct", ("a", C([M([1, 2])])), Struct({"a": M([1, 2])})),   # a 1x1 cell gives its content
    ("struct", ("a", C([C(["x", "y"])])), Struct({"a": C(["x", "y"])})),
    ("struct", (), Struct({})),
    ("struct", ("1a", S(1)), MatlabRuntimeError),
    ("struct", ("a",), MatlabRuntimeError),
    ("fieldnames", (Struct({"b": S(1), "a": S(2)}),), CC(["b", "a"])),
    ("isfield", (Struct({"a": S(1)}), "a"), TRUE),
    ("isfield", (Struct({"a": S(1)}), C(["a", "b"])), M([True, False], bool)),
    ("isfield", (S(1), "a"), FALSE),
    ("rmfield", (Struct({"a": S(1), "b": S(2)}), "a"), Struct({"b": S(2)})),
    ("rmfield", (Struct({"a": S(1)}), "z"), MatlabRuntimeError),
    ("orderfields", (Struct({"b": S(1), "A": S(2), "a": S(3)}),), Struct({"A": S(2), "a": S(3), "b": S(1)})),
    ("orderfields", (Struct({"b": S(1), "a": S(2)}),), (Struct({"a": S(2), "b": S(1)}), col([2, 1])), 2),
    ("orderfields", (Struct({"b": S(1), "a": S(2)}), C(["b", "a"])), Struct({"b": S(1), "a": S(2)})),
    ("struct2cell", (Struct({"a": S(1), "b": "x"}),), CC([S(1), "x"])),
    ("cell2struct", (CC([S(1), "x"]), C(["a", "b"]), S(1)), Struct({"a": S(1), "b": "x"})),
    ("cell2struct", (C([S(1), "x"]), C(["a", "b"]), S(2)), Struct({"a": S(1), "b": "x"})),
    ("cell2struct", (C([S(1)]), C(["a", "b"]), S(2)), MatlabRuntimeError),
    # functions as values
    ("deal", (S(1),), (S(1), S(1)), 2),
    ("deal", (S(1), S(2)), (S(1), S(2)), 2),
    ("deal", (S(1), S(2)), MatlabRuntimeError, 3),
    ("feval", ("sum", M([1, 2])), S(3)),
    ("feval", (double_it, S(4)), S(8)),
    ("feval", ("max", M([3, 9])), (S(9), S(2)), 2),
    ("func2str", (FuncHandle(name="sin", text="@sin"),), "sin"),
    ("func2str", (FuncHandle(params=["x"], body=None, env={}, text="@(x) x.^2"),), "@(x) x.^2"),
    # sets
    ("unique", (M([3, 1, 3, 2]),), M([1, 2, 3])),
    ("unique", (M([3, 1, 3, 2]),), (M([1, 2, 3]), col([2, 4, 1]), col([3, 1, 3, 2])), 3),
    ("unique", (M([3, 1, 3, 2]), "stable"), (M([3, 1, 2]), col([1, 2, 4]), col([1, 2, 1, 3])), 3),
    ("unique", (col([2, 1, 2]),), col([1, 2])),
    ("unique", (M([[1, 2], [1, 2], [0, 5]]), "rows"), M([[0, 5], [1, 2]])),
    ("unique", (M([1, np.nan, np.nan]),), M([1, np.nan, np.nan])),   # each NaN is distinct
    ("unique", (C(["b", "a", "b"]),), C(["a", "b"])),
    ("unique", (CC(["b", "a", "b"]),), CC(["a", "b"])),
    ("unique", (StrArr.row([MString("z"), MString("z")]),), StrArr.row([MString("z")])),
    ("ismember", (M([1, 5, 2]), M([2, 1, 1])), M([True, False, True], bool)),
    ("ismember", (M([1, 5, 2]), M([2, 1, 1])), (M([True, False, True], bool), M([2, 0, 1])), 2),
    ("ismember", ("b", C(["a", "b"])), TRUE),
    ("ismember", (C(["a", "z"]), C(["a", "b"])), (M([True, False], bool), M([1, 0])), 2),
    ("ismember", (S(np.nan), M([np.nan])), FALSE),
    ("setdiff", (M([5, 1, 3, 1]), M([3])), M([1, 5])),
    ("setdiff", (M([5, 1, 3, 1]), M([3]), "stable"), (M([5, 1]), col([1, 2])), 2),
    ("setdiff", (C(["a", "b", "c"]), C(["b"])), C(["a", "c"])),
    ("intersect", (M([1, 2, 3]), M([3, 1, 7])), (M([1, 3]), col([1, 3]), col([2, 1])), 3),
    ("union", (M([3, 1]), M([2, 1])), M([1, 2, 3])),
    ("union", (M([3, 1]), M([2, 1])), (M([1, 2, 3]), col([2, 1]), col([1])), 3),
]


# covered by test_str2func_parses_with_the_matlab_parser_inside_the_interpreter (it needs the interpreter)
EXTRA_TESTED = ("str2func",)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_cell_struct_set_functions(case):
    check_case(case)


def test_cell_makes_empty_elements():
    c = FUNCTIONS["cell"].function(S(2))
    assert isinstance(c, Cell) and c.a.shape == (2, 2)
    assert all(isinstance(x, np.ndarray) and x.shape == (0, 0) for x in c.items())


def test_str2func_parses_with_the_matlab_parser_inside_the_interpreter():
    """str2func text becomes a handle through layergraph's MATLAB parser; calling it runs MATLAB
    semantics in the interpreter (no Python evaluation). As MATLAB documents, it sees no workspace
    variables."""
    from layergraph.matlab import port

    ws = port("f = str2func('@(x) x.^2 + 1');\ny = f(3);\ng = str2func('sum');\nz = g([1 2 3]);\n"
              "s = func2str(f);\nk = feval(@max, [4 9 2]);\n"
              "c = cellfun(@(v) numel(v), {1, [1 2], 'abc'});\n"
              "u = cellfun(@(v) v * 2, {1, [1 2]}, 'UniformOutput', false);\n").workspace
    assert ws["y"].item() == 10.0 and ws["z"].item() == 6.0
    assert ws["s"] == "@(x) x.^2 + 1"
    assert ws["k"].item() == 9.0
    assert ws["c"].tolist() == [[1.0, 2.0, 3.0]]
    assert [x.tolist() for x in ws["u"].items()] == [[[2.0]], [[2.0, 4.0]]]


def test_cellfun_error_handler_in_the_interpreter():
    from layergraph.matlab import port

    ws = port("r = cellfun(@(x) error('my:id', 'bad'), {1, 2}, 'ErrorHandler', @(s, x) s.index * 10);\n").workspace
    assert ws["r"].tolist() == [[10.0, 20.0]]


def test_struct_arrays_from_cell_values():
    """struct.html: "If value is a cell array, then s is a structure array with the same dimensions";
    fields given as non-cells are copied to every element; struct('a', {}) is 0x0."""
    s = FUNCTIONS["struct"].function("a", C([S(1), S(2)]), "b", "x")
    assert type(s).__name__ == "StructArr" and s.a.shape == (1, 2) and list(s.fields) == ["a", "b"]
    assert [e.fields["a"].item() for e in s.items()] == [1.0, 2.0]
    assert [e.fields["b"] for e in s.items()] == ["x", "x"]
    empty = FUNCTIONS["struct"].function("a", Cell(np.empty((0, 0), dtype=object)))
    assert empty.a.shape == (0, 0) and list(empty.fields) == ["a"]
    names = FUNCTIONS["regexp"].function("a=1,b=2", r"(?<k>\w)=(?<v>\d)", "names")
    assert [e.fields["k"] for e in names.items()] == ["a", "b"]
    out = FUNCTIONS["arrayfun"].function(lambda e: e.fields["a"] * 10, s)
    assert out.tolist() == [[10.0, 20.0]]
    back = FUNCTIONS["cell2struct"].function(grid([[S(1), S(2)], ["x", "y"]]), C(["a", "b"]), S(1))
    assert [e.fields["b"] for e in back.items()] == ["x", "y"] and back.a.shape == (2, 1)
