"""The MATLAB custom-loop scripts of examples/matlab/ and what they need: the digits data files they load,
the dispatch of MATLAB functions on dlarrays, and the interpreter running them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import layergraph
from layergraph.demo import write_digits_mat
from layergraph.values import Categorical


@pytest.fixture(autouse=True)
def _close_monitors():
    """Training progress monitors a script opens are forgotten after the test (drawnow redraws open ones)."""
    from layergraph.dl import monitor

    before = list(monitor._MONITORS)
    yield
    monitor._MONITORS[:] = before


def test_write_digits_mat_writes_matlab_layout_files_that_load(tmp_path):
    paths = write_digits_mat(tmp_path / "data")
    assert [p.rsplit("/", 1)[1] for p in paths] == ["digitsTrain.mat", "digitsTest.mat"]
    train = layergraph.loadmat(paths[0])
    test = layergraph.loadmat(paths[1])
    assert set(train) == {"XTrain", "TTrain"} and set(test) == {"XTest", "TTest"}
    X, T = train["XTrain"], train["TTrain"]
    # 1797 digits, 20 % held out (stratified): 1437 + 360, H×W×C×N single, N×1 categorical
    assert X.shape == (8, 8, 1, 1437) and X.dtype == np.float32
    assert test["XTest"].shape == (8, 8, 1, 360)
    assert isinstance(T, Categorical) and T.shape == (1437, 1) and T.categories == [str(d) for d in range(10)]
    assert 0.0 <= X.min() and X.max() <= 1.0
    # every training image is a scikit-learn digit /16 whose label is the stored category
    digits = load_digits()
    flat = (digits.images.astype(np.float32) / 16).reshape(len(digits.images), -1)
    lookup = {row.tobytes(): label for row, label in zip(flat, digits.target)}
    labels = np.asarray(T).reshape(-1)
    for n in range(0, 1437, 97):
        image = X[:, :, 0, n]                  # H×W as MATLAB indexes it
        assert str(lookup[np.ascontiguousarray(image).reshape(-1).tobytes()]) == labels[n]
    counts = np.bincount(labels.astype(int), minlength=10)
    expected = 0.8 * np.bincount(digits.target, minlength=10)    # stratified: 80 % of each digit
    assert counts.sum() == 1437 and np.all(np.abs(counts - expected) <= 1)


# ---- the dispatch rule (layergraph.functions) ----------------------------------------------------

from layergraph.dl import DLArray, dlarray  # noqa: E402
from layergraph.functions import FUNCTIONS, OVERLOADS, matlab_function, matlab_overload, overload_for  # noqa: E402
from layergraph.matlab import port  # noqa: E402


class _Probe:
    """A class that overloads two test functions."""


def test_registry_functions_dispatch_on_an_argument_class_whichever_registers_first():
    calls = []
    try:
        @matlab_function("lgtest_before", base=True)
        def before(*args):
            calls.append("base-before")
            return 1

        matlab_overload("lgtest_before", _Probe)(lambda *a: calls.append("probe-before") or 2)
        matlab_overload("lgtest_after", _Probe)(lambda *a: calls.append("probe-after") or 3)

        @matlab_function("lgtest_after", base=True)
        def after(*args):
            calls.append("base-after")
            return 4

        f, g = FUNCTIONS["lgtest_before"].function, FUNCTIONS["lgtest_after"].function
        assert f(1.0, 2.0) == 1 and f(1.0, _Probe()) == 2          # the leftmost overloading argument decides
        assert g("x") == 4 and g(_Probe(), "x") == 3
        assert calls == ["base-before", "probe-before", "base-after", "probe-after"]
        assert overload_for("lgtest_after", (1.0,)) is None
        # functions nothing overloads are stored as they are
        from layergraph.io.mat import loadmat
        assert FUNCTIONS["loadmat"].function is loadmat
    finally:
        for key in ("lgtest_before", "lgtest_after"):
            dict.pop(FUNCTIONS, key, None)
            OVERLOADS.pop(key, None)


def _ws(source, **workspace):
    result = port(source, workspace=workspace or None)
    assert not result.errors, result.errors
    return result.workspace


def test_interpreted_operators_and_base_functions_on_dlarrays_keep_labels_and_values():
    A = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    ws = _ws("""
X = dlarray(A, 'CB');
P = X .* X + 1;  M = [1 2] * X;  D = X ./ 2 - X / 4;  Q = (X - 1).^2;  N = -X;  E = exp(X);
S = sum(X, 2);  All = mean(X, 'all');  [mx, ix] = max(X, [], 2);  Ab = abs(X);  R = sqrt(abs(X));
T = tanh(X);  G = X > 0;  B = X(2, end);  C = X(:, [1 3]);  n = numel(X);  [h, w] = size(X);
Y = X;  Y(1, 2) = 10;  Z = double(single(X));  L = log(1 + exp(X));  k = X(end);
""", A=A)
    fmt = {k: ws[k].fmt for k in ("P", "D", "Q", "N", "E", "S", "All", "mx", "Ab", "T", "G", "B", "C", "Y", "Z")}
    assert set(fmt.values()) == {"CB"}
    assert ws["M"].fmt == ""                                          # mtimes: unformatted
    close = lambda k, ref: np.testing.assert_allclose(np.asarray(ws[k]), ref, rtol=1e-12)  # noqa: E731
    close("P", A * A + 1)
    close("M", np.array([[1.0, 2.0]]) @ A)
    close("D", A / 2 - A / 4)
    close("Q", (A - 1) ** 2)
    close("N", -A)
    close("E", np.exp(A))
    close("S", A.sum(axis=1, keepdims=True))
    close("All", [[A.mean()]])
    close("mx", A.max(axis=1, keepdims=True))
    close("ix", A.argmax(axis=1).reshape(-1, 1) + 1.0)
    close("R", np.sqrt(np.abs(A)))
    close("T", np.tanh(A))
    close("L", np.log1p(np.exp(A)))
    assert np.asarray(ws["G"]).tolist() == (A > 0).tolist()
    close("B", [[A[1, 2]]])
    close("C", A[:, [0, 2]])
    close("k", [[A.reshape(-1, order="F")[-1]]])
    expected = A.copy()
    expected[0, 1] = 10
    close("Y", expected)
    close("X", A)                                                     # value semantics: X unchanged
    assert ws["n"].tolist() == [[6.0]] and ws["h"].tolist() == [[2.0]] and ws["w"].tolist() == [[3.0]]
    assert isinstance(ws["Z"], DLArray) and ws["Z"].dtype == torch.float64


def test_dlfeval_calls_a_local_function_and_an_anonymous_handle_with_the_callers_nargout():
    ws = _ws("""
X = dlarray([0.5 -1 2]);
[y, g] = dlfeval(@f, X);
[y2, g2] = dlfeval(@(x) f(x), X);
function [y, g] = f(X)
  y = sum(X.^2, 'all') + 2 * sum(exp(X));
  g = dlgradient(y, X);
end
""")
    x = np.array([[0.5, -1.0, 2.0]])
    for y, g in (("y", "g"), ("y2", "g2")):
        np.testing.assert_allclose(np.asarray(ws[y]), [[np.sum(x ** 2) + 2 * np.exp(x).sum()]], rtol=1e-12)
        np.testing.assert_allclose(np.asarray(ws[g]), 2 * x + 2 * np.exp(x), rtol=1e-12)   # d/dx, by hand
        assert not ws[g].traced                       # what leaves dlfeval is untraced, as in MATLAB


def test_network_state_learnables_and_monitor_properties_assigned_from_matlab_code():
    ws = _ws("""
net = dlnetwork([featureInputLayer(3) fullyConnectedLayer(2) batchNormalizationLayer]);
X = dlarray(reshape(1:12, 3, 4), 'CB');
[Y, state] = forward(net, X);
before = extractdata(net.State.Value{1});
net.State = state;
after = extractdata(net.State.Value{1});
fresh = extractdata(state.Value{1});
net.Learnables.Value{2} = dlarray([5; 7]);
b = extractdata(net.Learnables.Value{2});
""")
    assert np.allclose(ws["before"], 0) and not np.allclose(ws["fresh"], 0)      # running mean moved
    np.testing.assert_allclose(ws["after"], ws["fresh"])
    np.testing.assert_allclose(ws["b"], [[5.0], [7.0]])


def test_registry_functions_call_matlab_functions_with_the_callers_nargout():
    from layergraph.dl import minibatchqueue, mbq_next
    from layergraph.functions import call_function

    seen = []

    def matlab_style(*cells, nargout=1):            # what a script's handle or a translated function takes
        seen.append(nargout)
        A = np.concatenate(cells[0], axis=1)
        return (A, 2 * A) if nargout > 1 else A

    def plain(x):                                   # a Python function: called as it is
        return x + 1, x - 1

    assert call_function(plain, 1.0, nargout=2) == (2.0, 0.0)
    data = np.arange(1.0, 13.0).reshape(2, 6, order="F")
    mbq = minibatchqueue(layergraph.arrayDatastore(data, IterationDimension=2), 2, MiniBatchSize=3,
                         MiniBatchFcn=matlab_style, MiniBatchFormat=["CB", "CB"])
    A, B = mbq_next(mbq)
    assert seen == [2] and A.fmt == "CB"
    np.testing.assert_allclose(np.asarray(A), data[:, :3])
    np.testing.assert_allclose(np.asarray(B), 2 * data[:, :3])


def test_categorical_parenthesis_indexing_from_matlab_code():
    from layergraph.matlab import run
    from layergraph.values import categorical

    C = categorical(np.array(["b", "a", "c", "a", "b"], dtype=object).reshape(-1, 1))
    ws = run("D = C([4 1 2]); E = C(:); F = C(logical([1 0 1 0 1])); G = C(2:3, 1); R = C'; H = R([5 1]);",
             workspace={"C": C})
    names = lambda k: list(np.asarray(ws[k]).reshape(-1))  # noqa: E731
    assert names("D") == ["a", "b", "a"] and ws["D"].shape == (3, 1)      # a column indexed by a row: column
    assert names("E") == ["b", "a", "c", "a", "b"] and ws["E"].shape == (5, 1)
    assert names("F") == ["b", "c", "b"]
    assert names("G") == ["a", "c"]
    assert names("H") == ["b", "b"] and ws["H"].shape == (1, 2)            # a row indexed: a row
    assert ws["D"].categories == ["a", "b", "c"]


def test_run_mode_differentiates_through_interpreted_matlab_code():
    from layergraph.matlab import run

    ws = run("""
x = dlarray(linspace(-1, 1, 5), 'CB');
[y, dy, d2y] = dlfeval(@derivs, x);
function [y, dy, d2y] = derivs(x)
  y = sum(x.^3 - 2 * tanh(x), 'all');
  dy = dlgradient(y, x, 'EnableHigherDerivatives', true);
  d2y = dlgradient(sum(dy, 'all'), x);
end
""")
    x = np.linspace(-1, 1, 5).reshape(1, -1)
    assert ws["dy"].fmt == "CB" and ws["dy"].shape == (1, 5)
    t = np.tanh(x)
    np.testing.assert_allclose(np.asarray(ws["y"]), [[np.sum(x ** 3 - 2 * t)]], atol=1e-12)   # odd: 0
    np.testing.assert_allclose(np.asarray(ws["dy"]), 3 * x ** 2 - 2 * (1 - t ** 2), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ws["d2y"]), 6 * x + 4 * t * (1 - t ** 2), rtol=1e-10)


def test_run_mode_batchnorm_outputs_minibatch_function_and_monitor_properties(tmp_path, monkeypatch):
    from layergraph.matlab import run

    monkeypatch.chdir(tmp_path)            # the monitor draws training-progress.png in the current folder
    ws = run("""
X = dlarray(reshape(1:24, 2, 3, 4), 'CBT');
[Y, mu, v] = batchnorm(X, zeros(2, 1), ones(2, 1), zeros(2, 1), ones(2, 1));
Y1 = batchnorm(X, zeros(2, 1), ones(2, 1), zeros(2, 1), ones(2, 1));
ds = arrayDatastore(reshape(1:12, 2, 6), 'IterationDimension', 2);
mbq = minibatchqueue(ds, 2, 'MiniBatchSize', 3, 'MiniBatchFcn', @prep, 'MiniBatchFormat', {'CB', 'CB'});
[A, B] = next(mbq);
monitor = trainingProgressMonitor('Metrics', "Loss", 'XLabel', "Iteration");
monitor.Progress = 40;
p = monitor.Progress;
function [A, B] = prep(cells)
  A = cat(2, cells{:});
  B = 2 * A;
end
""")
    # channel c holds c, c+2, ..., c+22: mean 11+c, unbiased variance 52; running = 0.9·old + 0.1·batch
    np.testing.assert_allclose(np.asarray(ws["mu"]).reshape(-1), [1.2, 1.3], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ws["v"]).reshape(-1), [0.9 + 5.2, 0.9 + 5.2], rtol=1e-6)
    x = np.arange(1.0, 25.0).reshape(2, 3, 4, order="F")
    np.testing.assert_allclose(np.asarray(ws["Y"]), (x - x.mean(axis=(1, 2), keepdims=True))
                               / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ws["Y1"]), x / np.sqrt(1 + 1e-5), rtol=1e-6)   # one output: inference
    data = np.arange(1.0, 13.0).reshape(2, 6, order="F")
    assert ws["A"].fmt == "CB" and ws["B"].fmt == "CB"
    np.testing.assert_allclose(np.asarray(ws["A"]), data[:, :3])
    np.testing.assert_allclose(np.asarray(ws["B"]), 2 * data[:, :3])
    assert ws["p"].tolist() == [[40.0]]
