"""MATLAB base functions: classes and conversions (layergraph/matlab/base/types.py).

From the MathWorks pages: int8.html etc. ("values outside the range saturate", "round to the nearest
integer, ties away from zero", "NaN converts to 0"), logical.html ("NaN cannot be converted"), class.html,
isa.html (the 'numeric', 'float', 'integer' categories), ischar/isstring/iscellstr pages."""

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.values import Cell, FuncHandle, MString, StrArr, Struct
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case

CASES = [
    ("double", (M([1, 2], np.int8),), M([1, 2])),
    ("double", ("AB",), M([65, 66])),
    ("double", (M([True, False], bool),), M([1, 0])),
    ("double", (MString("12"),), MatlabRuntimeError),
    ("single", (S(1.5),), S(1.5, np.float32)),
    ("int8", (M([2.5, -2.5, 300, -300, np.nan]),), M([3, -3, 127, -128, 0], np.int8)),
    ("uint8", (M([-5, 255.5, 3.49]),), M([0, 255, 3], np.uint8)),
    ("int16", (S(40000),), S(32767, np.int16)),
    ("int32", (S(-0.5),), S(-1, np.int32)),
    ("int64", (S(2.0 ** 70),), S(np.iinfo(np.int64).max, np.int64)),
    ("uint16", (S(1.5),), S(2, np.uint16)),
    ("uint32", (M([300], np.int16),), S(300, np.uint32)),
    ("uint64", (S(-1),), S(0, np.uint64)),
    ("logical", (M([2, 0, -1]),), M([True, False, True], bool)),
    ("logical", (S(np.nan),), MatlabRuntimeError),
    ("class", (S(1),), "double"),
    ("class", (S(1, np.float32),), "single"),
    ("class", (S(1, np.uint8),), "uint8"),
    ("class", (TRUE,), "logical"),
    ("class", ("a",), "char"),
    ("class", (MString("a"),), "string"),
    ("class", (Cell.row([]),), "cell"),
    ("class", (Struct({}),), "struct"),
    ("class", (FuncHandle(name="sin", text="@sin"),), "function_handle"),
    ("isa", (S(1), "numeric"), TRUE),
    ("isa", (S(1, np.int8), "integer"), TRUE),
    ("isa", (S(1, np.int8), "float"), FALSE),
    ("isa", (S(1), "double"), TRUE),
    ("isa", (TRUE, "numeric"), FALSE),
    ("isa", (FuncHandle(name="sin", text="@sin"), "function_handle"), TRUE),
    ("isnumeric", (S(1),), TRUE),
    ("isnumeric", (TRUE,), FALSE),
    ("isnumeric", ("a",), FALSE),
    ("islogical", (TRUE,), TRUE),
    ("ischar", ("a",), TRUE),
    ("ischar", (MString("a"),), FALSE),
    ("isstring", (MString("a"),), TRUE),
    ("isstring", (StrArr.row([MString("a")]),), TRUE),
    ("iscell", (Cell.row([S(1)]),), TRUE),
    ("isstruct", (Struct({"a": S(1)}),), TRUE),
    ("isstruct", (S(1),), FALSE),
    ("iscellstr", (Cell.row(["a", "b"]),), TRUE),
    ("iscellstr", (Cell.row(["a", S(1)]),), FALSE),
    ("iscellstr", (Cell.row([]),), TRUE),                       # an empty cell counts
    ("isfloat", (S(1, np.float32),), TRUE),
    ("isfloat", (S(1, np.int8),), FALSE),
    ("isinteger", (S(1, np.int8),), TRUE),
    ("isinteger", (S(1),), FALSE),                              # isinteger(1) is false: 1 is a double
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_type_functions(case):
    check_case(case)
