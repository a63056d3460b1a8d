"""MATLAB base functions: array creation, size queries, rearrangement (layergraph/matlab/base/arrays.py).

Each expectation is worked by hand from the MathWorks documentation of the function (R2024b reference
pages, ww2.mathworks.cn/help/matlab/ref/<name>.html) — cited per group."""

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.values import Cell, MString, StrArr
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case, col

E = np.zeros((0, 0))

CASES = [
    # zeros/ones: zeros(n) is n-by-n; zeros(sz1,...,szN); class names and 'like' (doc: zeros.html)
    ("zeros", (S(2),), M([[0, 0], [0, 0]])),
    ("zeros", (S(2), S(3)), np.zeros((2, 3))),
    ("zeros", (M([2, 3, 1]),), np.zeros((2, 3))),                # trailing singleton dimension dropped
    ("zeros", (S(2), S(1), S(2)), np.zeros((2, 1, 2))),
    ("zeros", (S(-1),), E),                                      # negative sizes count as 0
    ("zeros", (S(2), "int8"), np.zeros((2, 2), dtype=np.int8)),
    ("zeros", (S(1), S(2), "like", np.ones((1, 1), dtype=np.float32)), np.zeros((1, 2), dtype=np.float32)),
    ("zeros", (S(1.5),), MatlabRuntimeError),                    # "Size inputs must be integers."
    ("zeros", (), S(0)),
    ("ones", (S(2), S(3)), np.ones((2, 3))),
    ("ones", (S(2), "logical"), np.ones((2, 2), dtype=bool)),
    ("eye", (S(2), S(3)), M([[1, 0, 0], [0, 1, 0]])),
    ("eye", (S(2),), M([[1, 0], [0, 1]])),
    ("NaN", (S(1), S(2)), M([np.nan, np.nan])),
    ("nan", (), S(np.nan)),
    ("NaN", (S(1), "int8"), MatlabRuntimeError),                 # NaN is double or single only
    ("Inf", (S(2), S(1)), col([np.inf, np.inf])),
    ("inf", (), S(np.inf)),
    ("pi", (), S(np.pi)),
    ("eps", (), S(2.0 ** -52)),
    ("eps", (S(1),), S(2.0 ** -52)),                             # eps(1) = 2^-52 (doc: eps.html)
    ("eps", ("single",), S(2.0 ** -23, np.float32)),
    ("realmax", (), S(np.finfo(np.float64).max)),
    ("realmin", (), S(2.0 ** -1022)),
    ("intmax", (), S(2147483647, np.int32)),                     # intmax is int32 (doc: intmax.html)
    ("intmax", ("uint8",), S(255, np.uint8)),
    ("intmin", ("int8",), S(-128, np.int8)),
    ("true", (S(1), S(2)), M([True, True], bool)),
    ("false", (), FALSE),
    # linspace: 100 points by default; n = 1 gives x2 (doc: linspace.html)
    ("linspace", (S(1), S(10), S(10)), M(list(range(1, 11)))),
    ("linspace", (S(0), S(1), S(5)), M([0, 0.25, 0.5, 0.75, 1])),
    ("linspace", (S(3), S(7), S(1)), S(7)),
    ("linspace", (S(0), S(1), S(0)), np.zeros((1, 0))),
    # colon: j:i:k, empty 1x0 when it cannot step (doc: colon.html)
    ("colon", (S(1), S(4)), M([1, 2, 3, 4])),
    ("colon", (S(10), S(-3), S(1)), M([10, 7, 4, 1])),
    ("colon", (S(5), S(1)), np.zeros((1, 0))),
    ("colon", (S(0), S(0.1), S(0.3)), M([0, 0.1, 0.2, 0.3])),
    # meshgrid: X rows repeat x, Y columns repeat y, size numel(y)-by-numel(x) (doc: meshgrid.html)
    ("meshgrid", (M([1, 2, 3]), M([10, 20])), (M([[1, 2, 3], [1, 2, 3]]), M([[10, 10, 10], [20, 20, 20]])), 2),
    ("meshgrid", (M([1, 2]),), (M([[1, 2], [1, 2]]), M([[1, 1], [2, 2]])), 2),
    # ndgrid: X1 varies along dimension 1 (doc: ndgrid.html)
    ("ndgrid", (M([1, 2, 3]), M([10, 20])), (M([[1, 1], [2, 2], [3, 3]]), M([[10, 20], [10, 20], [10, 20]])), 2),
    # repmat (doc: repmat.html)
    ("repmat", (M([1, 2]), S(2), S(2)), M([[1, 2, 1, 2], [1, 2, 1, 2]])),
    ("repmat", (S(7), S(2)), M([[7, 7], [7, 7]])),
    ("repmat", (M([1, 2]), M([2, 1])), M([[1, 2], [1, 2]])),
    ("repmat", ("ab", S(1), S(3)), "ababab"),
    ("repmat", (Cell.row(["a"]), S(1), S(2)), Cell.row(["a", "a"])),
    # reshape: column-major; [] for one dimension (doc: reshape.html)
    ("reshape", (M(list(range(1, 7))), S(2), S(3)), M([[1, 3, 5], [2, 4, 6]])),
    ("reshape", (M(list(range(1, 7))), M([3, 2])), M([[1, 4], [2, 5], [3, 6]])),
    ("reshape", (M(list(range(1, 7))), E, S(2)), M([[1, 4], [2, 5], [3, 6]])),
    ("reshape", (M(list(range(1, 7))), S(4), E), MatlabRuntimeError),
    ("reshape", (M([1, 2, 3]), S(2), S(2)), MatlabRuntimeError),
    # permute / squeeze (doc: permute.html, squeeze.html)
    ("permute", (M([[1, 2, 3], [4, 5, 6]]), M([2, 1])), M([[1, 4], [2, 5], [3, 6]])),
    ("permute", (M([1, 2]), M([3, 1, 2])), np.array([[[1.0, 2.0]]]).reshape(1, 1, 2)),
    ("squeeze", (np.arange(1.0, 4.0).reshape(1, 1, 3),), col([1, 2, 3])),
    ("squeeze", (M([1, 2, 3]),), M([1, 2, 3])),
    # circshift: positive K shifts down/right (doc: circshift.html)
    ("circshift", (M([1, 2, 3, 4, 5]), S(2)), M([4, 5, 1, 2, 3])),
    ("circshift", (M([[1, 2], [3, 4], [5, 6]]), S(1)), M([[5, 6], [1, 2], [3, 4]])),
    ("circshift", (M([[1, 2, 3], [4, 5, 6]]), S(1), S(2)), M([[3, 1, 2], [6, 4, 5]])),
    ("circshift", (M([[1, 2, 3], [4, 5, 6]]), M([1, -1])), M([[5, 6, 4], [2, 3, 1]])),
    # flip/fliplr/flipud/rot90 (doc: flip.html, rot90.html)
    ("flip", (M([1, 2, 3]),), M([3, 2, 1])),
    ("flip", (M([[1, 2], [3, 4]]),), M([[3, 4], [1, 2]])),
    ("flip", (M([[1, 2], [3, 4]]), S(2)), M([[2, 1], [4, 3]])),
    ("flip", ("abc",), "cba"),
    ("fliplr", (M([[1, 2, 3], [4, 5, 6]]),), M([[3, 2, 1], [6, 5, 4]])),
    ("fliplr", ("hello",), "olleh"),
    ("fliplr", (Cell.row(["a", "b"]),), Cell.row(["b", "a"])),
    ("flipud", (M([[1, 2], [3, 4]]),), M([[3, 4], [1, 2]])),
    ("rot90", (M([[1, 2], [3, 4]]),), M([[2, 4], [1, 3]])),
    ("rot90", (M([[1, 2], [3, 4]]), S(2)), M([[4, 3], [2, 1]])),
    # diag / tril / triu / kron (doc pages of the same names)
    ("diag", (M([1, 2]),), M([[1, 0], [0, 2]])),
    ("diag", (M([1, 2]), S(1)), M([[0, 1, 0], [0, 0, 2], [0, 0, 0]])),
    ("diag", (M([[1, 2], [3, 4]]),), col([1, 4])),
    ("tril", (M([[1, 2], [3, 4]]),), M([[1, 0], [3, 4]])),
    ("triu", (M([[1, 2, 3], [4, 5, 6]]), S(1)), M([[0, 2, 3], [0, 0, 6]])),
    ("kron", (M([1, 2]), M([[1], [1]])), M([[1, 2], [1, 2]])),
    # size: nargout splits, the last output is the product of the rest (doc: size.html)
    ("size", (np.zeros((2, 3, 4)),), M([2, 3, 4])),
    ("size", (np.zeros((2, 3, 4)), S(2)), S(3)),
    ("size", (np.zeros((2, 3)), S(3)), S(1)),
    ("size", (np.zeros((2, 3, 4)), M([1, 3])), M([2, 4])),
    ("size", (np.zeros((2, 3, 4)),), (S(2), S(12)), 2),
    ("size", (np.zeros((2, 3)),), (S(2), S(3), S(1)), 3),
    ("size", ("hello",), M([1, 5])),
    ("size", (MString("hello"),), M([1, 1])),
    ("size", (Cell.column(["a", "b"]),), M([2, 1])),
    ("size", (np.zeros((2, 3)), S(0)), MatlabRuntimeError),
    ("numel", (np.zeros((2, 3, 4)),), S(24)),
    ("numel", ("abc",), S(3)),
    ("length", (np.zeros((2, 7)),), S(7)),
    ("length", (np.zeros((3, 0)),), S(0)),                       # 0 for an empty array
    ("ndims", (np.zeros((2, 3, 4)),), S(3)),
    ("ndims", (S(5),), S(2)),
    ("isempty", (E,), TRUE),
    ("isempty", (np.zeros((1, 0)),), TRUE),
    ("isempty", ("",), TRUE),
    ("isempty", (MString(""),), FALSE),                          # "" is a 1x1 string
    ("isscalar", (S(1),), TRUE),
    ("isscalar", (M([1, 2]),), FALSE),
    ("isvector", (col([1, 2]),), TRUE),
    ("isvector", (np.zeros((2, 2)),), FALSE),
    ("isrow", (M([1, 2]),), TRUE),
    ("isrow", (col([1, 2]),), FALSE),
    ("iscolumn", (col([1, 2]),), TRUE),
    ("ismatrix", (np.zeros((2, 3, 2)),), FALSE),
    ("ismatrix", (np.zeros((2, 3)),), TRUE),
    ("issquare", (np.zeros((2, 2)),), TRUE),
    ("ipermute", (np.zeros((3, 1, 2)), M([2, 3, 1])), np.zeros((2, 3))),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_array_functions(case):
    check_case(case)


def test_string_array_repmat():
    got = __import__("layergraph.functions", fromlist=["FUNCTIONS"]).FUNCTIONS["repmat"].function(
        MString("x"), S(1), S(2))
    assert isinstance(got, StrArr) and got.items() == ["x", "x"]
