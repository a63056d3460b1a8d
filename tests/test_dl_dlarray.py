"""dlarray (formats, MATLAB layout rules) and dlfeval/dlgradient, against NumPy and hand-worked values."""

import numpy as np
import pytest
import torch

from layergraph import LayerGraphError
from layergraph.dl import DLArrayError, dims, dlarray, dlfeval, dlgradient, extractdata, finddim, gather, stripdims
from layergraph.dl.dlarray import (cat, dl_max, dl_mean, dl_reshape, dl_sum, from_torch_layout, subsasgn, subsref,
                                   to_torch_layout)

rng = np.random.default_rng(0)


def test_labels_are_put_in_canonical_order_and_the_data_permuted():
    X = rng.random((3, 4, 5))
    dlX = dlarray(X, "CBS")
    assert dims(dlX) == "SCB"
    assert dlX.size() == (5, 3, 4)
    np.testing.assert_array_equal(extractdata(dlX), np.transpose(X, (2, 0, 1)))
    assert dims(dlarray(rng.random((2, 3, 4, 5)), "BCSS")) == "SSCB"
    assert dims(dlarray(rng.random((2, 3, 4)), "TCB")) == "CBT"
    assert dims(dlarray(rng.random((2, 3)))) == ""


def test_format_errors():
    with pytest.raises(DLArrayError, match="number of dimension labels"):
        dlarray(rng.random((2, 3, 4)), "CB")
    with pytest.raises(DLArrayError, match="invalid dimension label 'X'"):
        dlarray(rng.random((2, 3)), "XB")
    with pytest.raises(DLArrayError, match="more than one 'C'"):
        dlarray(rng.random((2, 3)), "CC")
    assert issubclass(DLArrayError, LayerGraphError)


def test_trailing_singletons_and_size():
    dlX = dlarray(rng.random((28, 28)), "SSCB")      # C = B = 1
    assert dlX.shape == (28, 28, 1, 1) and dlX.size() == (28, 28) and dims(dlX) == "SSCB"
    assert dlX.size(4) == 1 and dlX.size(7) == 1


def test_finddim_stripdims_extractdata_gather_and_dlarray_of_dlarray():
    dlX = dlarray(rng.random((4, 5, 3, 2)), "SSCB")
    np.testing.assert_array_equal(finddim(dlX, "S"), [[1, 2]])
    np.testing.assert_array_equal(finddim(dlX, "B"), [[4]])
    assert finddim(dlX, "T").size == 0
    plain = stripdims(dlX)
    assert dims(plain) == "" and plain.size() == (4, 5, 3, 2)
    assert dlarray(dlX) is dlX
    assert gather(dlX) is dlX
    assert isinstance(extractdata(dlX), np.ndarray)


def test_elementwise_keeps_labels_and_mismatched_labels_raise():
    a = rng.random((3, 4))
    b = rng.random((3, 4))
    A, B = dlarray(a, "CB"), dlarray(b, "CB")
    for got, want in [(A + B, a + b), (A * B, a * b), (A - 2, a - 2), (1 / (A + 1), 1 / (a + 1)), (A ** 2, a ** 2)]:
        assert dims(got) == "CB"
        np.testing.assert_allclose(extractdata(got), want)
    with pytest.raises(DLArrayError, match="formats of the dlarray inputs must match: 'CB' and 'SB'"):
        A + dlarray(b, "SB")


def test_implicit_expansion_aligns_dimensions_from_the_left_like_matlab():
    x = rng.random((4, 5, 3, 2))
    m = rng.random((4, 5))               # MATLAB 4×5 expands over dims 3 and 4
    got = dlarray(x, "SSCB") + m
    np.testing.assert_allclose(extractdata(got), x + m[:, :, None, None])
    col = rng.random((3, 1))
    np.testing.assert_allclose(extractdata(dlarray(rng.random((3, 6)), "CB") * col).shape, (3, 6))


def test_reductions_keep_dimensions_and_labels():
    x = rng.random((4, 5, 3, 2))
    X = dlarray(x, "SSCB")
    s = dl_sum(X, 3)
    assert dims(s) == "SSCB" and s.shape == (4, 5, 1, 2)
    np.testing.assert_allclose(extractdata(s), x.sum(axis=2, keepdims=True))
    m = dl_mean(X, [1, 2])
    np.testing.assert_allclose(extractdata(m), x.mean(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(extractdata(dl_sum(X, "all")).reshape(-1), [x.sum()])
    y = rng.random((3, 4))
    np.testing.assert_allclose(extractdata(dl_sum(dlarray(y))), y.sum(axis=0, keepdims=True))   # first non-singleton
    v, i = dl_max(dlarray(y, "CB"), [], 1)
    np.testing.assert_allclose(extractdata(v), y.max(axis=0, keepdims=True))
    np.testing.assert_array_equal(extractdata(i), y.argmax(axis=0)[None, :] + 1)


def test_reshape_is_column_major_and_unformatted():
    x = rng.random((4, 6))
    r = dl_reshape(dlarray(x, "CB"), 2, 12)
    assert dims(r) == ""
    np.testing.assert_array_equal(extractdata(r), x.reshape((2, 12), order="F"))
    np.testing.assert_array_equal(extractdata(dl_reshape(dlarray(x), [], 3)), x.reshape((8, 3), order="F"))


def test_matlab_indexing_and_assignment():
    x = rng.random((4, 6))
    X = dlarray(x, "CB")
    sub = subsref(X, ":", [1, 3])
    assert dims(sub) == "CB"
    np.testing.assert_array_equal(extractdata(sub), x[:, [0, 2]])
    np.testing.assert_array_equal(extractdata(subsref(X, [2, 5])), x.reshape(-1, order="F")[[1, 4]][None, :])
    np.testing.assert_array_equal(extractdata(subsref(dlarray(x), ":")), x.reshape(-1, 1, order="F"))
    Y = subsasgn(X, 0.0, 2, ":")
    want = x.copy()
    want[1, :] = 0
    np.testing.assert_array_equal(extractdata(Y), want)
    np.testing.assert_array_equal(extractdata(X), x)          # value semantics
    # Python indexing is 0-based on the MATLAB-layout data and keeps the labels of kept dimensions
    assert dims(X[:, 0:2]) == "CB"


def test_concatenation():
    a, b = rng.random((3, 2)), rng.random((3, 4))
    c = cat(2, dlarray(a, "CB"), dlarray(b, "CB"))
    assert dims(c) == "CB"
    np.testing.assert_array_equal(extractdata(c), np.concatenate([a, b], axis=1))
    with pytest.raises(DLArrayError, match="formats of the dlarray inputs must match"):
        cat(2, dlarray(a, "CB"), dlarray(b, "SB"))


def test_one_rule_between_labels_and_torch_layout():
    x = rng.random((5, 6, 3, 2))                 # H×W×C×N
    t, fmt = to_torch_layout(dlarray(x, "SSCB"))
    assert fmt == "SSCB"
    np.testing.assert_array_equal(t.numpy(), x.transpose(3, 2, 0, 1))
    s = rng.random((4, 2, 7))                    # C×B×T
    t, _ = to_torch_layout(dlarray(s, "CBT"))
    np.testing.assert_array_equal(t.numpy(), s.transpose(1, 2, 0))
    t, fmt = to_torch_layout(dlarray(rng.random((4, 7)), "CT"))   # no B: a singleton batch
    assert fmt == "CBT" and tuple(t.shape) == (1, 7, 4)
    back = from_torch_layout(torch.from_numpy(x.transpose(3, 2, 0, 1)), "SSCB")
    np.testing.assert_array_equal(extractdata(back), x)


# ---- dlfeval / dlgradient -------------------------------------------------------------------------

def _rosenbrock(x):
    y = 100 * (subsref(x, 2) - subsref(x, 1) ** 2) ** 2 + (1 - subsref(x, 1)) ** 2
    return y, dlgradient(y, x)


def test_dlfeval_rosenbrock_matches_the_matlab_documentation_example():
    fval, grad = dlfeval(_rosenbrock, dlarray(np.array([[-1.0, 2.0]])))
    np.testing.assert_allclose(extractdata(fval), [[104]])
    np.testing.assert_allclose(extractdata(grad), [[396, 200]])
    assert not grad.traced and not fval.traced


def test_two_variables_and_structures_get_gradients_in_the_same_structure():
    def f(p):
        y = dl_sum(p["a"] * p["a"], "all") + 3 * dl_sum(p["b"][0] * p["b"][1], "all")
        return dlgradient(y, p)

    a, b0, b1 = rng.random((2, 3)), rng.random((3, 1)), rng.random((3, 1))
    g = dlfeval(f, {"a": dlarray(a), "b": [dlarray(b0), dlarray(b1)]})
    np.testing.assert_allclose(extractdata(g["a"]), 2 * a)
    np.testing.assert_allclose(extractdata(g["b"][0]), 3 * b1)
    np.testing.assert_allclose(extractdata(g["b"][1]), 3 * b0)


def test_dlgradient_outside_dlfeval_raises_matlabs_error():
    x = dlarray(np.array([[2.0]]))
    with pytest.raises(DLArrayError, match="Value to differentiate is not traced. It must be a traced real dlarray "
                                           "scalar. Use dlgradient inside a function called by dlfeval"):
        dlgradient(x * x, x)


def test_non_scalar_value_raises():
    with pytest.raises(DLArrayError, match="Value to differentiate is non-scalar"):
        dlfeval(lambda x: dlgradient(x * 2, x), dlarray(np.ones((2, 2))))


def test_unused_variable_has_zero_gradient():
    g1, g2 = dlfeval(lambda x, z: dlgradient(dl_sum(x * 3, "all"), x, z), dlarray(np.ones((2, 1))),
                     dlarray(np.ones((3, 1))))
    np.testing.assert_allclose(extractdata(g1), 3 * np.ones((2, 1)))
    np.testing.assert_allclose(extractdata(g2), np.zeros((3, 1)))


def test_higher_derivatives():
    # u = sin(x) x^2; u' = cos(x) x^2 + 2x sin(x); u'' = -sin(x) x^2 + 4x cos(x) + 2 sin(x)
    def f(x):
        u = (x ** 2) * x.__class__(torch.sin(x.data), x.fmt)
        du = dlgradient(dl_sum(u, "all"), x, EnableHigherDerivatives=True)
        d2u = dlgradient(dl_sum(du, "all"), x)
        return du, d2u

    xs = np.linspace(-1, 1, 5).reshape(1, -1)
    du, d2u = dlfeval(f, dlarray(xs, "CB"))
    np.testing.assert_allclose(extractdata(du), np.cos(xs) * xs ** 2 + 2 * xs * np.sin(xs), rtol=1e-12)
    np.testing.assert_allclose(extractdata(d2u), -np.sin(xs) * xs ** 2 + 4 * xs * np.cos(xs) + 2 * np.sin(xs),
                               rtol=1e-12)


def test_matlab_name_value_form_of_dlgradient_options():
    def f(x):
        y = dl_sum(x ** 3, "all")
        g = dlgradient(y, x, "EnableHigherDerivatives", True)
        return dlgradient(dl_sum(g, "all"), x)

    np.testing.assert_allclose(extractdata(dlfeval(f, dlarray(np.array([[2.0]])))), [[12.0]])


def test_dlarrays_created_inside_dlfeval_are_traced():
    def f(v):
        x = dlarray(v)
        return dlgradient(dl_sum(x * x, "all"), x)

    np.testing.assert_allclose(extractdata(dlfeval(f, np.array([[1.0, 2.0]]))), [[2.0, 4.0]])
