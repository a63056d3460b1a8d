"""MATLAB's operator precedence in the porter (issue 11 item 6), checked operator by operator.

MathWorks' table, highest first: ^ .^ (left to right); unary + - ~; * / \\ .* ./ .\\; + -; colon;
< <= > >= == ~=; &; |; &&; ||. Every expected value below is worked by hand from that table."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.matlab import port

CASES = [
    # & and | sit below the comparisons
    ("2 > 1 & 3 == 3", 1),            # (2>1) & (3==3)
    ("1 == 1 | 0", 1),                # (1==1) | 0
    ("0 & 1 == 0", 0),                # 0 & (1==0)
    ("3 > 2 | 1 > 5", 1),
    # & above |, | above &&, && above ||
    ("1 | 0 & 0", 1),                 # 1 | (0 & 0)
    ("0 & 0 | 1", 1),                 # (0 & 0) | 1
    ("true || false && false", 1),    # true || (false && false)
    ("false && false || true", 1),    # (false && false) || true
    ("0 | 1 && 0", 0),                # (0 | 1) && 0
    # ^ and .^ are left-associative
    ("2^3^2", 64),                    # (2^3)^2
    ("2.^3.^2", 64),
    ("2^3.^2", 64),
    # unary minus below ^, above * and +
    ("-2^2", -4),                     # -(2^2)
    ("-2.^2", -4),
    ("2^-2", 0.25),                   # a unary operator after ^ belongs to the exponent
    ("-2^-2", -0.25),
    ("-3 * 2", -6),
    ("-3 + 5", 2),
    ("~0 == 1", 1),                   # (~0) == 1
    ("~1 + 1", 1),                    # (~1) + 1
    # arithmetic levels and left-associativity
    ("1 + 2 * 3 ^ 2", 19),
    ("3 - 2 - 1", 0),
    ("8 / 4 / 2", 1),
    ("2 * 3 ^ 2 / 6", 3),
    ("1 < 2 == 1", 1),                # comparisons left to right: (1<2) == 1
    ("3 > 2 > 1", 0),                 # (3>2) > 1  ->  1 > 1
    ("1 + 1 == 2 & 2 * 2 == 4", 1),
]


@pytest.mark.parametrize("expr, expected", CASES)
def test_operator_precedence(expr, expected):
    r = port(f"x = {expr};")
    value = np.asarray(r.workspace["x"], dtype=float)
    assert value.shape == (1, 1)
    assert value[0, 0] == expected


def test_precedence_inside_calls_and_indexing():
    r = port("v = [4 5 6]; y = v(1 + 1)^2; z = max(-2^2, -5); w = v(end)^2^0.5;")
    assert float(np.asarray(r.workspace["y"])[0, 0]) == 25
    assert float(np.asarray(r.workspace["z"])[0, 0]) == -4
    assert float(np.asarray(r.workspace["w"])[0, 0]) == 6       # (6^2)^0.5


def test_precedence_in_a_layer_size():
    r = port("n = 2; layers = [featureInputLayer(3); fullyConnectedLayer(-n^2 + 20)];")
    assert r.graphs()["layers"].layer_list()[1].OutputSize == 16


# ---- reductions: 'all' and the first non-singleton dimension (issue 11 item 6) -------------------------

REDUCTIONS = [
    ("sum([1 2; 3 4], 'all')", [[10]]),          # 1+2+3+4
    ("sum([1 2; 3 4])", [[4, 6]]),               # along dimension 1
    ("sum([1 2 3])", [[6]]),                     # a row: the first non-singleton dimension is 2
    ("sum([1 2; 3 4], 2)", [[3], [7]]),
    ("mean([1 2; 3 4], 'all')", [[2.5]]),
    ("prod([1 2; 3 4], 'all')", [[24]]),
    ("max([1 5; 3 4], [], 'all')", [[5]]),
    ("min([4 2; 8 1], [], 'all')", [[1]]),
    ("any([0 0; 0 1], 'all')", [[1]]),
    ("all([1 1; 0 1], 'all')", [[0]]),
    ("sum(ones(1, 1, 3))", [[3]]),               # 1×1×3: dimension 3, the result is 1×1
]


@pytest.mark.parametrize("expr, expected", REDUCTIONS)
def test_reductions(expr, expected):
    value = np.asarray(port(f"x = {expr};").workspace["x"], dtype=float)
    assert value.tolist() == np.asarray(expected, dtype=float).tolist()


def test_max_all_with_the_linear_index():
    w = port("[m, i] = max([1 5; 3 4], [], 'all');").workspace
    assert float(w["m"][0, 0]) == 5 and float(w["i"][0, 0]) == 3     # column-major: 1, 3, 5, 4
