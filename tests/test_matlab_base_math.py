"""MATLAB base functions: element-wise math and reductions (layergraph/matlab/base/math.py).

Expectations are worked by hand from the MathWorks reference pages (ww2.mathworks.cn/help/matlab/ref/
<name>.html, R2024b): the first non-singleton dimension rule, 'all', vecdim, 'omitnan', several outputs
and the empty-input cases each page documents. Where a page's own example is used, it says so."""

import numpy as np
import pytest
import torch

from layergraph.errors import MatlabRuntimeError
from layergraph.functions import FUNCTIONS
from layergraph.matlab.values import Cell
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case, col

E = np.zeros((0, 0))
A3 = M([[1, 3, 2], [4, 2, 5], [6, 1, 4]])        # sum.html's example matrix
NAN = np.nan

CASES = [
    # element-wise
    ("abs", (M([-1.5, 2]),), M([1.5, 2])),
    ("abs", (M([-128], np.int8),), M([127], np.int8)),           # integer abs saturates
    ("sqrt", (M([4, 9]),), M([2, 3])),
    ("sqrt", (M([4], np.float32),), M([2], np.float32)),          # single stays single
    ("sqrt", (M([4], np.int8),), MatlabRuntimeError),             # not defined for integers
    ("exp", (S(0),), S(1)),
    ("log", (S(1),), S(0)),
    ("log2", (S(8),), S(3)),
    ("log10", (S(1000),), S(3)),
    ("log1p", (S(0),), S(0)),
    ("expm1", (S(0),), S(0)),
    ("sin", (S(0),), S(0)),
    ("cos", (S(0),), S(1)),
    ("tan", (S(0),), S(0)),
    ("asin", (S(1),), S(np.pi / 2)),
    ("acos", (S(1),), S(0)),
    ("atan", (S(1),), S(np.pi / 4)),
    ("sinh", (S(0),), S(0)),
    ("cosh", (S(0),), S(1)),
    ("tanh", (S(0),), S(0)),
    ("asinh", (S(0),), S(0)),
    ("acosh", (S(1),), S(0)),
    ("atanh", (S(0),), S(0)),
    ("floor", (M([-2.5, 2.5]),), M([-3, 2])),
    ("ceil", (M([-2.5, 2.5]),), M([-2, 3])),
    ("fix", (M([-2.5, 2.5]),), M([-2, 2])),
    # round: half away from zero; round(X, n); 'significant' (doc: round.html)
    ("round", (M([-2.5, -0.5, 0.5, 1.5, 2.5]),), M([-3, -1, 1, 2, 3])),
    ("round", (S(3.14159), S(2)), S(3.14)),
    ("round", (S(1234), S(-2)), S(1200)),
    ("round", (S(863178137), S(2), "significant"), S(860000000)),
    ("round", (M([3], np.int8),), M([3], np.int8)),
    ("sign", (M([-2, 0, 3]),), M([-1, 0, 1])),
    # mod / rem (doc: mod.html "mod(x,0) is x", rem.html "rem(x,0) is NaN")
    ("mod", (M([-7, 7]), S(3)), M([2, 1])),
    ("mod", (S(5), S(-3)), S(-1)),
    ("mod", (S(5), S(0)), S(5)),
    ("mod", (M([5], np.int8), M([3], np.int8)), M([2], np.int8)),
    ("rem", (M([-7, 7]), S(3)), M([-1, 1])),
    ("rem", (S(5), S(0)), S(NAN)),
    ("hypot", (S(3), S(4)), S(5)),
    ("isnan", (M([1, NAN]),), M([False, True], bool)),
    ("isinf", (M([np.inf, 1]),), M([True, False], bool)),
    ("isfinite", (M([np.inf, 1, NAN]),), M([False, True, False], bool)),
    ("isfinite", (M([1], np.int8),), TRUE),
    ("isreal", (S(1),), TRUE),
    ("isreal", (Cell.row([S(1)]),), FALSE),
    # sum: sum.html examples — column sums [11 6 11], row sums [6;11;11], 'all', vecdim, outtype, NaN
    ("sum", (M(list(range(1, 11))),), S(55)),
    ("sum", (A3,), M([11, 6, 11])),
    ("sum", (A3, S(2)), col([6, 11, 11])),
    ("sum", (A3, "all"), S(28)),
    ("sum", (np.ones((4, 3, 2)), M([1, 2])), np.full((1, 1, 2), 12.0)),
    ("sum", (np.ones((4, 3, 2)), M([2, 3])), col([6, 6, 6, 6])),
    ("sum", (M([1, NAN, 2]),), S(NAN)),
    ("sum", (M([1, NAN, 2]), "omitnan"), S(3)),
    ("sum", (E,), S(0)),                                         # sum([]) is 0
    ("sum", (np.zeros((0, 3)),), np.zeros((1, 3))),
    ("sum", (M([True, True, False], bool),), S(2)),
    ("sum", (M([100, 100], np.int8),), S(200)),                  # default outtype: double
    ("sum", (M([100, 100], np.int8), "native"), S(127, np.int8)),
    ("sum", (M([1, 2], np.float32),), S(3, np.float32)),
    ("sum", (M([1, 2], np.float32), "double"), S(3)),
    ("sum", (A3, S(3)), A3),                                     # a dimension beyond ndims: unchanged
    ("prod", (M([1, 2, 3, 4]),), S(24)),
    ("prod", (A3,), M([24, 6, 40])),
    ("prod", (E,), S(1)),
    # mean / median / mode / var / std
    ("mean", (A3,), M([11 / 3, 2, 11 / 3])),
    ("mean", (A3, S(2)), col([2, 11 / 3, 11 / 3])),
    ("mean", (A3, "all"), S(28 / 9)),
    ("mean", (M([1, NAN, 3]), "omitnan"), S(2)),
    ("mean", (E,), S(NAN)),                                      # mean([]) is NaN
    ("mean", (M([1, 2], np.int8),), S(1.5)),                     # integers give double
    ("median", (M([3, 1, 2, 10]),), S(2.5)),
    ("median", (A3,), M([4, 2, 4])),
    ("median", (M([1, NAN, 3]),), S(NAN)),
    ("median", (M([1, NAN, 3]), "omitnan"), S(2)),
    ("median", (E,), S(NAN)),
    ("mode", (M([1, 2, 2, 3, 3]),), S(2)),                       # ties: the smallest value
    ("mode", (M([[1, 1], [2, 1], [2, 3]]),), M([2, 1])),
    ("mode", (M([1, 2, 2, 3, 3]),), (S(2), S(2)), 2),
    ("mode", (E,), S(NAN)),
    ("var", (M([1, 2, 3, 4]),), S(5 / 3)),                       # normalized by N-1
    ("var", (M([1, 2, 3, 4]), S(1)), S(1.25)),                   # w = 1: by N
    ("var", (S(7),), S(0)),                                      # one observation: 0
    ("var", (M([[1, 2], [3, 6]]),), M([2, 8])),
    ("var", (M([[1, 2], [3, 6]]), S(0), S(2)), col([0.5, 4.5])),
    ("std", (M([2, 4, 4, 4, 5, 5, 7, 9]),), S(np.sqrt(32 / 7))),
    ("std", (M([2, 4, 4, 4, 5, 5, 7, 9]), S(1)), S(2)),
    ("std", (M([1, 3]), S(0), "all"), S(np.sqrt(2))),
    # any / all / nnz
    ("any", (M([[0, 1], [0, 0]]),), M([False, True], bool)),
    ("any", (M([[0, 1], [0, 0]]), S(2)), col([True, False], bool)),
    ("any", (E,), FALSE),
    ("all", (M([[1, 1], [0, 1]]),), M([False, True], bool)),
    ("all", (E,), TRUE),
    ("all", (M([[1, 1], [0, 1]]), "all"), FALSE),
    ("any", (M([0, NAN]),), TRUE),                                # NaN is nonzero
    ("nnz", (M([[0, 2], [3, 0]]),), S(2)),
    # cumsum / cumprod (doc: cumsum.html, 'reverse')
    ("cumsum", (M([1, 2, 3]),), M([1, 3, 6])),
    ("cumsum", (M([[1, 2], [3, 4]]),), M([[1, 2], [4, 6]])),
    ("cumsum", (M([[1, 2], [3, 4]]), S(2)), M([[1, 3], [3, 7]])),
    ("cumsum", (M([1, 2, 3]), "reverse"), M([6, 5, 3])),
    ("cumprod", (M([1, 2, 3]),), M([1, 2, 6])),
    # max / min: NaN ignored, first index, [] dim, 'all' (linear index), two arrays (doc: max.html)
    ("max", (M([2, 8, 4, 8]),), S(8)),
    ("max", (M([2, 8, 4, 8]),), (S(8), S(2)), 2),
    ("max", (M([[2, 8], [7, 3]]),), M([7, 8])),
    ("max", (M([[2, 8], [7, 3]]), E, S(2)), col([8, 7])),
    ("max", (M([[2, 8], [7, 3]]), E, S(2)), (col([8, 7]), col([2, 1])), 2),
    ("max", (M([[2, 8], [7, 3]]), E, "all"), (S(8), S(3)), 2),
    ("max", (M([1, NAN, 3]),), S(3)),
    ("max", (M([NAN, NAN]),), (S(NAN), S(1)), 2),
    ("max", (M([1, 5, 3]), S(2)), M([2, 5, 3])),
    ("max", (M([1, 5]), col([2, 3])), M([[2, 5], [3, 5]])),      # implicit expansion
    ("max", (M([1, NAN]), S(0)), M([1, 0])),                     # NaN ignored
    ("max", (E,), E),
    ("max", (M([3, 200], np.uint8),), S(200, np.uint8)),
    ("min", (M([[2, 8], [7, 3]]),), (M([2, 3]), M([1, 2])), 2),
    ("min", (M([4, 1, 1]),), (S(1), S(2)), 2),
    ("min", (M([1, 5, 3]), S(2)), M([1, 2, 2])),
    # find (doc: find.html)
    ("find", (M([0, 3, 0, 5]),), M([2, 4])),
    ("find", (col([0, 3, 5]),), col([2, 3])),
    ("find", (M([[1, 0], [0, 1]]),), col([1, 4])),
    ("find", (M([1, 1, 0, 1]), S(2)), M([1, 2])),
    ("find", (M([1, 1, 0, 1]), S(2), "last"), M([2, 4])),
    ("find", (M([[0, 7], [8, 0]]),), (col([2, 1]), col([1, 2])), 2),
    ("find", (M([[0, 7], [8, 0]]),), (col([2, 1]), col([1, 2]), col([8, 7])), 3),
    ("find", (M([0, 0]),), np.zeros((1, 0))),
    ("find", (E,), E),
    ("find", (S(0),), np.zeros((1, 0))),
    # sort (doc: sort.html)
    ("sort", (M([3, 1, 2]),), M([1, 2, 3])),
    ("sort", (M([3, 1, 2]), "descend"), (M([3, 2, 1]), M([1, 3, 2])), 2),
    ("sort", (M([[3, 6], [1, 5]]),), M([[1, 5], [3, 6]])),
    ("sort", (M([[3, 6], [1, 5]]), S(2)), M([[3, 6], [1, 5]])),
    ("sort", (M([2, NAN, 1]),), M([1, 2, NAN])),                 # NaN last ascending
    ("sort", (M([2, NAN, 1]), "descend"), M([NAN, 2, 1])),       # NaN first descending
    ("sort", (M([1, 2, 1]),), (M([1, 1, 2]), M([1, 3, 2])), 2),  # stable
    ("sort", (Cell.row(["pear", "apple", "Zoo"]),), Cell.row(["Zoo", "apple", "pear"])),   # character codes
    # sortrows (doc: sortrows.html)
    ("sortrows", (M([[3, 1], [1, 2], [3, 0]]),), M([[1, 2], [3, 0], [3, 1]])),
    ("sortrows", (M([[3, 1], [1, 2], [3, 0]]), S(2)), M([[3, 0], [3, 1], [1, 2]])),
    ("sortrows", (M([[3, 1], [1, 2], [3, 0]]), S(-1)), (M([[3, 1], [3, 0], [1, 2]]), col([1, 3, 2])), 2),
    ("sortrows", (M([[1, 2], [3, 4]]), "descend"), M([[3, 4], [1, 2]])),
    # histcounts: [a, b) bins, the last one closed (doc: histcounts.html)
    ("histcounts", (M([1, 2, 2, 3, 5]), M([0, 2, 4, 6])), M([1, 3, 1])),
    ("histcounts", (M([0, 6, 7]), M([0, 2, 4, 6])), M([1, 0, 1])),
    ("histcounts", (M([1, 3]), M([0, 2, 4])), (M([1, 1]), M([0, 2, 4]), M([1, 2])), 3),
    ("histcounts", (M([1, 2, 3, 4]), M([0, 2, 4]), "Normalization", "probability"), M([0.25, 0.75])),
    ("histcounts", (M([1, 2, 3, 4]), S(3)), M([1, 1, 2])),
    # accumarray (doc: accumarray.html — subs [1;2;4;2;4], vals 101:105 give [101;206;0;208])
    ("accumarray", (col([1, 2, 4, 2, 4]), col([101, 102, 103, 104, 105])), col([101, 206, 0, 208])),
    ("accumarray", (M([[1, 1], [2, 2], [1, 1]]), S(1)), M([[2, 0], [0, 1]])),
    ("accumarray", (col([1, 2]), col([5, 6]), M([3, 1])), col([5, 6, 0])),
    ("accumarray", (col([0, 1]), col([1, 1])), MatlabRuntimeError),
    # diff (doc: diff.html)
    ("diff", (M([1, 4, 9, 16]),), M([3, 5, 7])),
    ("diff", (M([1, 4, 9, 16]), S(2)), M([2, 2])),
    ("diff", (M([[1, 2], [4, 8]]),), M([[3, 6]])),
    ("diff", (M([[1, 2], [4, 8]]), S(1), S(2)), col([1, 4])),
    ("diff", (M([2, 7]),), S(5)),
    # dot / norm / cross
    ("dot", (M([1, 2, 3]), M([4, 5, 6])), S(32)),
    ("dot", (M([[1, 2], [3, 4]]), M([[1, 2], [3, 4]])), M([10, 20])),
    ("norm", (M([3, 4]),), S(5)),
    ("norm", (M([3, -4]), S(1)), S(7)),
    ("norm", (M([3, -4]), S(np.inf)), S(4)),
    ("norm", (M([[1, 2], [3, 4]]), "fro"), S(np.sqrt(30))),
    ("norm", (M([[2, 0], [0, 1]]),), S(2)),
    ("cross", (M([1, 0, 0]), M([0, 1, 0])), M([0, 0, 1])),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_math_functions(case):
    check_case(case)


# ---- the one tensor dispatch rule: the same registry functions on torch tensors (MATLAB layout) ----------

TENSOR_CASES = [
    # (name, args, expected tensor)
    ("sum", (torch.tensor([[1.0, 3, 2], [4, 2, 5], [6, 1, 4]]),), torch.tensor([[11.0, 6, 11]])),
    ("sum", (torch.tensor([[1.0, 2, 3]]),), torch.tensor([[6.0]])),           # first non-singleton: dim 2
    ("sum", (torch.tensor([[1.0, 2], [3, 4]]), S(2)), torch.tensor([[3.0], [7]])),
    ("sum", (torch.ones(2, 3), "all"), torch.tensor([[6.0]])),
    ("mean", (torch.tensor([[1.0], [3]]),), torch.tensor([[2.0]])),
    ("max", (torch.tensor([[1.0, 5], [3, 2]]),), torch.tensor([[3.0, 5]])),
    ("max", (torch.tensor([[1.0, -2]]), 0), torch.tensor([[1.0, 0]])),
    ("min", (torch.tensor([[1.0, 5], [3, 2]]), E, S(2)), torch.tensor([[1.0], [2]])),
    ("round", (torch.tensor([[-2.5, 0.5, 2.5]]),), torch.tensor([[-3.0, 1, 3]])),  # half away from zero
    ("abs", (torch.tensor([[-1.0]]),), torch.tensor([[1.0]])),
    ("exp", (torch.tensor([[0.0]]),), torch.tensor([[1.0]])),
    ("prod", (torch.tensor([[2.0, 3]]),), torch.tensor([[6.0]])),
    ("var", (torch.tensor([[1.0, 2, 3, 4]]),), torch.tensor([[5 / 3]])),
    ("std", (torch.tensor([[1.0, 3]]),), torch.tensor([[np.sqrt(2)]], dtype=torch.float32)),
    ("median", (torch.tensor([[3.0, 1, 2, 10]]),), torch.tensor([[2.5]])),
    ("mod", (torch.tensor([[-7.0, 7]]), 3), torch.tensor([[2.0, 1]])),
]


@pytest.mark.parametrize("case", TENSOR_CASES, ids=case_id)
def test_tensor_dispatch(case):
    name, args, want = case
    got = FUNCTIONS[name].function(*args)
    assert isinstance(got, torch.Tensor)
    assert tuple(got.shape) == tuple(want.shape) and torch.allclose(got.float(), want.float())


def test_tensor_max_two_outputs():
    vals, idx = FUNCTIONS["max"].function(torch.tensor([[1.0, 5], [3, 2]]), nargout=2)
    assert torch.equal(vals, torch.tensor([[3.0, 5]])) and torch.equal(idx, torch.tensor([[2.0, 1]]))


def test_dlarray_dispatch_keeps_labels():
    from layergraph.dl import dlarray

    X = dlarray(torch.tensor([[1.0, 2], [3, 4]]), "CB")
    y = FUNCTIONS["sum"].function(X, S(1))
    assert type(y).__name__ == "DLArray" and y.dims if hasattr(y, "dims") else True
    assert torch.allclose(y.data.float().reshape(-1), torch.tensor([4.0, 6]))


def test_custom_layer_translator_uses_the_registry_reductions():
    """The custom-layer translator's MATLAB functions are the registry's: sum/mean reduce along the first
    non-singleton dimension (a 1x3 row sums to 1x1, as MATLAB's sum does, not along dimension 1), max(X, [],
    2) and round (half away from zero) follow MATLAB."""
    from layergraph.matlab.custom import mfun

    assert torch.equal(mfun.sum(torch.ones(1, 3)), torch.tensor([[3.0]]))
    assert torch.equal(mfun.mean(torch.tensor([[1.0, 2.0, 6.0]])), torch.tensor([[3.0]]))
    assert torch.equal(mfun.max(torch.tensor([[1.0, 5.0], [7.0, 2.0]]), None, 2), torch.tensor([[5.0], [7.0]]))
    assert torch.equal(mfun.round(torch.tensor([[2.5, -0.5]])), torch.tensor([[3.0, -1.0]]))
    assert torch.equal(mfun.max(torch.tensor([[-1.0, 2.0]]), 0), torch.tensor([[0.0, 2.0]]))
