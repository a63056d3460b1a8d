"""Function-form deep learning operations: NumPy references, finite differences of dlgradient, and the
corresponding layer's output (the layer built with the same weights, run through predict)."""

import math

import numpy as np
import pytest
import torch

from layergraph import (averagePooling2dLayer, batchNormalizationLayer, convolution2dLayer, dlnetwork,
                        featureInputLayer, fullyConnectedLayer, geluLayer, groupNormalizationLayer, gruLayer,
                        imageInputLayer, instanceNormalizationLayer, layerNormalizationLayer, leakyReluLayer,
                        lstmLayer, maxPooling2dLayer, reluLayer, sequenceInputLayer, sigmoidLayer, softmaxLayer,
                        tanhLayer, transposedConv2dLayer, wordEmbeddingLayer)
from layergraph.dl import (attention, avgpool, batchnorm, binarycrossentropy, crossentropy, dims, dlarray, dlconv,
                           dlfeval, dlgradient, dltranspconv, dropout, embed, extractdata, fullyconnect, gelu,
                           groupnorm, gru, huber, instancenorm, l1loss, l2loss, layernorm, leakyrelu, lstm, maxpool,
                           mse, onehotdecode, padsequences, predict, relu, sigmoid, softmax)
from layergraph.dl.dlarray import dl_sum
from layergraph.dl.ops import dl_tanh

rng = np.random.default_rng(1)


def fd_check(fn, x, fmt, *, others=(), eps=1e-6, tol=1e-6):
    """dlgradient of sum(fn(X) .* R) equals central finite differences (float64)."""
    out = extractdata(fn(dlarray(x, fmt), *others))
    R = rng.standard_normal(out.shape)

    def objective(X):
        y = fn(X, *others)
        return dl_sum(y * R, "all") if y.numel() > 1 else y

    def grad_fn(X):
        return dlgradient(objective(X), X)

    g = extractdata(dlfeval(grad_fn, dlarray(x, fmt)))
    g = g.reshape(dlarray(x, fmt).shape)
    xc = extractdata(dlarray(x, fmt)).reshape(g.shape)
    num = np.zeros_like(g)
    for idx in np.ndindex(*g.shape):
        xp, xm = xc.copy(), xc.copy()
        xp[idx] += eps
        xm[idx] -= eps
        fp = float(extractdata(objective(dlarray(xp, dims(dlarray(x, fmt))))).reshape(-1)[0])
        fm = float(extractdata(objective(dlarray(xm, dims(dlarray(x, fmt))))).reshape(-1)[0])
        num[idx] = (fp - fm) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=tol, atol=tol)


def run_layer(layers, x, fmt):
    """The layer network's output for the dlarray x (predict, float64 weights kept in float32 nets)."""
    net = dlnetwork(layers)
    return extractdata(predict(net, dlarray(x.astype(np.float32), fmt)))


# ---- activations -----------------------------------------------------------------------------------

def test_activations_numpy_reference_finite_differences_and_layers():
    x = rng.standard_normal((3, 4, 2, 2))
    X = dlarray(x, "SSCB")
    np.testing.assert_allclose(extractdata(relu(X)), np.maximum(x, 0))
    np.testing.assert_allclose(extractdata(leakyrelu(X, 0.2)), np.where(x >= 0, x, 0.2 * x))
    np.testing.assert_allclose(extractdata(sigmoid(X)), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(extractdata(dl_tanh(X)), np.tanh(x))
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(extractdata(gelu(X)), x * 0.5 * (1 + erf(x / np.sqrt(2))), rtol=1e-12)
    np.testing.assert_allclose(extractdata(gelu(X, "Approximation", "tanh")),
                               0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), rtol=1e-12)
    for fn in (sigmoid, dl_tanh, gelu, lambda X: leakyrelu(X, 0.2), softmax):
        fd_check(fn, x, "SSCB")
    inp = imageInputLayer([3, 4, 2], Normalization="none")
    for fn, layer in ((relu, reluLayer()), (lambda X: leakyrelu(X, 0.2), leakyReluLayer(0.2)), (sigmoid, sigmoidLayer()),
                      (dl_tanh, tanhLayer()), (gelu, geluLayer()), (softmax, softmaxLayer())):
        np.testing.assert_allclose(run_layer([inp, layer], x, "SSCB"), extractdata(fn(X)), rtol=1e-5, atol=1e-6)


def test_softmax_is_over_channels():
    x = rng.standard_normal((4, 3))
    want = np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(extractdata(softmax(dlarray(x, "CB"))), want)
    np.testing.assert_allclose(extractdata(softmax(dlarray(x.T, "BC"))), want)          # canonical order
    np.testing.assert_allclose(extractdata(softmax(x, "DataFormat", "CB")), want)


def test_dropout_keeps_or_scales():
    torch.manual_seed(0)
    x = np.ones((200, 50))
    y = extractdata(dropout(dlarray(x, "CB"), 0.25))
    assert set(np.unique(np.round(y, 12))) <= {0.0, round(1 / 0.75, 12)}
    assert 0.2 < (y == 0).mean() < 0.3


# ---- losses ------------------------------------------------------------------------------------------

def _probs(k, n):
    z = rng.standard_normal((k, n))
    return np.exp(z) / np.exp(z).sum(axis=0)


def test_crossentropy_forms():
    Y = _probs(4, 5)
    T = np.eye(4)[:, rng.integers(0, 4, 5)]
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Y, "CB"), T)), [[-(T * np.log(Y)).sum() / 5]])
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Y, "CB"), T, "NormalizationFactor", "none")),
                               [[-(T * np.log(Y)).sum()]])
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Y, "CB"), T, NormalizationFactor="all-elements")),
                               [[-(T * np.log(Y)).sum() / 5]])
    P = rng.uniform(0.05, 0.95, (3, 5))
    Tb = (rng.random((3, 5)) > 0.5).astype(float)
    ind = -(Tb * np.log(P) + (1 - Tb) * np.log(1 - P)).sum() / 5
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(P, "CB"), Tb, "TargetCategories", "independent")), [[ind]])
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(P, "CB"), Tb, ClassificationMode="multilabel")), [[ind]])
    np.testing.assert_allclose(extractdata(binarycrossentropy(dlarray(P, "CB"), Tb)), [[ind]])
    mask = (rng.random((4, 5)) > 0.3).astype(float)
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Y, "CB"), T, "Mask", mask)),
                               [[-(mask * T * np.log(Y)).sum() / 5]])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Y, "CB"), T, w)),
                               [[-(w[:, None] * T * np.log(Y)).sum() / 5]])
    # sequences: sum over time, divided by the number of observations
    Ys = np.stack([_probs(3, 2) for _ in range(4)], axis=-1)
    Ts = np.eye(3)[:, rng.integers(0, 3, (2, 4))]
    np.testing.assert_allclose(extractdata(crossentropy(dlarray(Ys, "CBT"), Ts)), [[-(Ts * np.log(Ys)).sum() / 2]])
    fd_check(lambda X: crossentropy(softmax(X), T), rng.standard_normal((4, 5)), "CB")
    fd_check(lambda X: crossentropy(sigmoid(X), Tb, "TargetCategories", "independent"), rng.standard_normal((3, 5)), "CB")


def test_regression_losses():
    Y, T = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    d = Y - T
    np.testing.assert_allclose(extractdata(mse(dlarray(Y, "CB"), T)), [[(d ** 2).sum() / (2 * 6)]])
    np.testing.assert_allclose(extractdata(l1loss(dlarray(Y, "CB"), T)), [[np.abs(d).sum() / 6]])
    np.testing.assert_allclose(extractdata(l2loss(dlarray(Y, "CB"), T)), [[(d ** 2).sum() / 6]])
    hub = np.where(np.abs(d) <= 0.5, 0.5 * d ** 2, 0.5 * (np.abs(d) - 0.25)).sum() / 6
    np.testing.assert_allclose(extractdata(huber(dlarray(Y, "CB"), T, "TransitionPoint", 0.5)), [[hub]])
    np.testing.assert_allclose(extractdata(l2loss(dlarray(Y, "CB"), T, NormalizationFactor="all-elements")),
                               [[(d ** 2).sum() / 18]])
    for fn in (lambda X: mse(X, T), lambda X: l2loss(X, T), lambda X: huber(X, T, "TransitionPoint", 0.5),
               lambda X: l1loss(X, T)):
        fd_check(fn, Y, "CB")


# ---- fully connected, convolution, pooling ---------------------------------------------------------

def test_fullyconnect_flattens_column_major_and_matches_the_layer():
    x = rng.standard_normal((3, 2, 2, 4))      # H×W×C×N
    W, b = rng.standard_normal((5, 12)), rng.standard_normal((5, 1))
    y = fullyconnect(dlarray(x, "SSCB"), W, b)
    assert dims(y) == "CB"
    np.testing.assert_allclose(extractdata(y), W @ x.reshape(12, 4, order="F") + b)
    got = run_layer([imageInputLayer([3, 2, 2], Normalization="none"), fullyConnectedLayer(5, Weights=W, Bias=b)],
                    x, "SSCB")
    np.testing.assert_allclose(got, extractdata(y), rtol=1e-5, atol=1e-5)
    fd_check(lambda X: fullyconnect(X, W, b), x, "SSCB")


def _np_conv(x, w, b, stride, pads):
    # x H×W×C×N, w kh×kw×C×F (cross-correlation, as MATLAB's convolution layers)
    x = np.pad(x, ((pads[0][0], pads[0][1]), (pads[1][0], pads[1][1]), (0, 0), (0, 0)))
    kh, kw, C, Fn = w.shape
    Ho = (x.shape[0] - kh) // stride[0] + 1
    Wo = (x.shape[1] - kw) // stride[1] + 1
    y = np.zeros((Ho, Wo, Fn, x.shape[3]))
    for i in range(Ho):
        for j in range(Wo):
            patch = x[i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            y[i, j] = np.einsum("abcn,abcf->fn", patch, w)
    return y + b.reshape(1, 1, -1, 1)


def test_dlconv_against_numpy_and_the_layer():
    x = rng.standard_normal((5, 6, 2, 2))
    w, b = rng.standard_normal((3, 2, 2, 3)), rng.standard_normal((1, 1, 3))
    y = dlconv(dlarray(x, "SSCB"), w, b, "Stride", [2, 1], "Padding", "same")
    # 'same' with stride 2 on 5 rows: out 3, total padding (3-1)*2+3-5 = 2 -> (1, 1); cols: out 6, total 1 -> (0, 1)
    np.testing.assert_allclose(extractdata(y), _np_conv(x, w, b, (2, 1), [(1, 1), (0, 1)]), rtol=1e-12)
    layer = convolution2dLayer([3, 2], 3, Stride=[2, 1], Padding="same", Weights=w, Bias=b)
    got = run_layer([imageInputLayer([5, 6, 2], Normalization="none"), layer], x, "SSCB")
    np.testing.assert_allclose(got, extractdata(y), rtol=1e-5, atol=1e-5)
    fd_check(lambda X: dlconv(X, w, b, "Stride", [2, 1], "Padding", "same"), x, "SSCB")


def test_dltranspconv_against_numpy_and_the_layer():
    x = rng.standard_normal((3, 2, 2, 2))
    w, b = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((1, 1, 4))     # kh×kw×F×C
    y = dltranspconv(dlarray(x, "SSCB"), w, b, "Stride", 2)
    # reference: scatter each input pixel times the filter
    H, W = 2 * (3 - 1) + 2, 2 * (2 - 1) + 3
    ref = np.zeros((H, W, 4, 2))
    for i in range(3):
        for j in range(2):
            ref[2 * i:2 * i + 2, 2 * j:2 * j + 3] += np.einsum("cn,abfc->abfn", x[i, j], w)
    ref += b.reshape(1, 1, -1, 1)
    np.testing.assert_allclose(extractdata(y), ref, rtol=1e-12)
    layer = transposedConv2dLayer([2, 3], 4, Stride=2, Weights=w, Bias=b)
    got = run_layer([imageInputLayer([3, 2, 2], Normalization="none"), layer], x, "SSCB")
    np.testing.assert_allclose(got, extractdata(y), rtol=1e-5, atol=1e-5)
    fd_check(lambda X: dltranspconv(X, w, b, "Stride", 2), x, "SSCB")


def test_pooling_against_numpy_and_layers():
    x = rng.standard_normal((4, 6, 2, 2))
    mx = extractdata(maxpool(dlarray(x, "SSCB"), 2, "Stride", 2))
    np.testing.assert_allclose(mx, x.reshape(2, 2, 3, 2, 2, 2).max(axis=(1, 3)))
    av = extractdata(avgpool(dlarray(x, "SSCB"), [2, 3], "Stride", [2, 3]))
    np.testing.assert_allclose(av, x.reshape(2, 2, 2, 3, 2, 2).mean(axis=(1, 3)))
    np.testing.assert_allclose(extractdata(avgpool(dlarray(x, "SSCB"), "global")), x.mean(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(extractdata(maxpool(dlarray(x, "SSCB"), "global")), x.max(axis=(0, 1), keepdims=True))
    inp = imageInputLayer([4, 6, 2], Normalization="none")
    np.testing.assert_allclose(run_layer([inp, maxPooling2dLayer(2, Stride=2)], x, "SSCB"), mx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run_layer([inp, averagePooling2dLayer([2, 3], Stride=[2, 3])], x, "SSCB"), av,
                               rtol=1e-5, atol=1e-6)
    fd_check(lambda X: avgpool(X, 2, "Stride", 1, "Padding", 1), x[:3, :3], "SSCB")
    fd_check(lambda X: maxpool(X, 2, "Stride", 2), x, "SSCB")


# ---- normalization ---------------------------------------------------------------------------------

def test_batchnorm_forms_against_numpy_and_the_layer():
    x = rng.standard_normal((3, 4, 2, 5))
    off, sc = rng.standard_normal(2), rng.standard_normal(2)
    mu = x.mean(axis=(0, 1, 3), keepdims=True)
    var = x.var(axis=(0, 1, 3), keepdims=True)
    want = (x - mu) / np.sqrt(var + 1e-5) * sc.reshape(1, 1, 2, 1) + off.reshape(1, 1, 2, 1)
    Y, m, v = batchnorm(dlarray(x, "SSCB"), off, sc)
    np.testing.assert_allclose(extractdata(Y), want, rtol=1e-10)
    np.testing.assert_allclose(extractdata(m).ravel(), mu.ravel())
    tm, tv = rng.random(2), rng.random(2) + 0.5
    Yi = batchnorm(dlarray(x, "SSCB"), off, sc, tm, tv)
    want_i = (x - tm.reshape(1, 1, 2, 1)) / np.sqrt(tv.reshape(1, 1, 2, 1) + 1e-5) * sc.reshape(1, 1, 2, 1) \
        + off.reshape(1, 1, 2, 1)
    np.testing.assert_allclose(extractdata(Yi), want_i, rtol=1e-10)
    Yt, rm, rv = batchnorm(dlarray(x, "SSCB"), off, sc, tm, tv, nargout=3)
    np.testing.assert_allclose(extractdata(Yt), want, rtol=1e-10)
    M = 3 * 4 * 5
    np.testing.assert_allclose(extractdata(rm).ravel(), 0.9 * tm + 0.1 * mu.ravel())
    np.testing.assert_allclose(extractdata(rv).ravel(), 0.9 * tv + 0.1 * var.ravel() * M / (M - 1))
    layer = batchNormalizationLayer(Offset=off.reshape(1, 1, 2), Scale=sc.reshape(1, 1, 2),
                                    TrainedMean=tm.reshape(1, 1, 2), TrainedVariance=tv.reshape(1, 1, 2))
    got = run_layer([imageInputLayer([3, 4, 2], Normalization="none"), layer], x, "SSCB")
    np.testing.assert_allclose(got, want_i, rtol=1e-4, atol=1e-5)
    fd_check(lambda X: batchnorm(X, off, sc)[0], x[:2, :2, :, :3], "SSCB", tol=1e-5)


def test_layer_instance_group_norm():
    x = rng.standard_normal((3, 3, 4, 2))
    off, sc = rng.standard_normal(4), rng.standard_normal(4)
    c = (1, 1, 4, 1)

    def aff(z):
        return z * sc.reshape(c) + off.reshape(c)

    def nrm(z, axes):
        return (z - z.mean(axis=axes, keepdims=True)) / np.sqrt(z.var(axis=axes, keepdims=True) + 1e-5)

    ln = extractdata(layernorm(dlarray(x, "SSCB"), off, sc))
    np.testing.assert_allclose(ln, aff(nrm(x, (0, 1, 2))), rtol=1e-10)
    inn = extractdata(instancenorm(dlarray(x, "SSCB"), off, sc))
    np.testing.assert_allclose(inn, aff(nrm(x, (0, 1))), rtol=1e-10)
    gn = extractdata(groupnorm(dlarray(x, "SSCB"), 2, off, sc))
    g = x.reshape(3, 3, 2, 2, 2, order="F")               # channels (c1 c2 | c3 c4): group = channel block
    want = nrm(g, (0, 1, 2)).reshape(3, 3, 4, 2, order="F")
    np.testing.assert_allclose(gn, aff(want), rtol=1e-10)
    inp = imageInputLayer([3, 3, 4], Normalization="none")
    np.testing.assert_allclose(run_layer([inp, layerNormalizationLayer(Offset=off.reshape(1, 1, 4),
                                                                       Scale=sc.reshape(1, 1, 4))], x, "SSCB"),
                               ln, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run_layer([inp, instanceNormalizationLayer(Offset=off.reshape(1, 1, 4),
                                                                          Scale=sc.reshape(1, 1, 4))], x, "SSCB"),
                               inn, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run_layer([inp, groupNormalizationLayer(2, Offset=off.reshape(1, 1, 4),
                                                                       Scale=sc.reshape(1, 1, 4))], x, "SSCB"),
                               gn, rtol=1e-4, atol=1e-4)
    small = x[:2, :2, :, :1]
    for fn in (lambda X: layernorm(X, off, sc), lambda X: instancenorm(X, off, sc),
               lambda X: groupnorm(X, 2, off, sc)):
        fd_check(fn, small, "SSCB", tol=1e-5)
    # sequences: layernorm 'auto' normalizes over channels only
    s = rng.standard_normal((4, 2, 3))
    np.testing.assert_allclose(extractdata(layernorm(dlarray(s, "CBT"), off, sc)),
                               nrm(s, (0,)) * sc.reshape(4, 1, 1) + off.reshape(4, 1, 1), rtol=1e-10)


# ---- recurrent ---------------------------------------------------------------------------------------

def _sig(z):
    return 1 / (1 + np.exp(-z))


def test_lstm_against_numpy_and_the_layer():
    C, H, B, T = 3, 4, 2, 5
    x = rng.standard_normal((C, B, T))
    W, R, b = rng.standard_normal((4 * H, C)), rng.standard_normal((4 * H, H)), rng.standard_normal((4 * H, 1))
    h0, c0 = rng.standard_normal((H, 1)), rng.standard_normal((H, 1))
    Y, hT, cT = lstm(dlarray(x, "CBT"), h0, c0, W, R, b)
    h, c = np.repeat(h0, B, 1), np.repeat(c0, B, 1)
    ys = []
    for t in range(T):
        z = W @ x[:, :, t] + R @ h + b
        i, f, g, o = _sig(z[:H]), _sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys.append(h)
    np.testing.assert_allclose(extractdata(Y), np.stack(ys, -1), rtol=1e-10)
    np.testing.assert_allclose(extractdata(cT), c, rtol=1e-10)
    layer = lstmLayer(H, InputWeights=W, RecurrentWeights=R, Bias=b, HiddenState=h0, CellState=c0)
    got = run_layer([sequenceInputLayer(C), layer], x, "CBT")
    np.testing.assert_allclose(got, extractdata(Y), rtol=1e-4, atol=1e-5)
    fd_check(lambda X: lstm(X, h0, c0, W, R, b)[0], x[:, :, :3], "CBT")


@pytest.mark.parametrize("mode", ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"])
def test_gru_against_numpy_and_the_layer(mode):
    C, H, B, T = 3, 4, 2, 4
    x = rng.standard_normal((C, B, T))
    W, R = rng.standard_normal((3 * H, C)), rng.standard_normal((3 * H, H))
    b = rng.standard_normal((6 * H if mode.startswith("recurrent") else 3 * H, 1))
    h0 = rng.standard_normal((H, 1))
    Y, _ = gru(dlarray(x, "CBT"), h0, W, R, b, "ResetGateMode", mode)
    h = np.repeat(h0, B, 1)
    ys = []
    bi, br = b[:3 * H], (b[3 * H:] if mode.startswith("recurrent") else np.zeros((3 * H, 1)))
    for t in range(T):
        r = _sig(W[:H] @ x[:, :, t] + R[:H] @ h + bi[:H] + br[:H])
        z = _sig(W[H:2 * H] @ x[:, :, t] + R[H:2 * H] @ h + bi[H:2 * H] + br[H:2 * H])
        if mode == "before-multiplication":
            cand = np.tanh(W[2 * H:] @ x[:, :, t] + R[2 * H:] @ (r * h) + bi[2 * H:])
        else:
            cand = np.tanh(W[2 * H:] @ x[:, :, t] + r * (R[2 * H:] @ h + br[2 * H:]) + bi[2 * H:])
        h = (1 - z) * cand + z * h
        ys.append(h)
    np.testing.assert_allclose(extractdata(Y), np.stack(ys, -1), rtol=1e-10)
    layer = gruLayer(H, InputWeights=W, RecurrentWeights=R, Bias=b, HiddenState=h0, ResetGateMode=mode)
    got = run_layer([sequenceInputLayer(C), layer], x, "CBT")
    np.testing.assert_allclose(got, extractdata(Y), rtol=1e-4, atol=1e-5)
    fd_check(lambda X: gru(X, h0, W, R, b, "ResetGateMode", mode)[0], x[:, :, :2], "CBT")


# ---- embedding, attention, one-hot, padding -----------------------------------------------------------

def test_embed_against_indexing_and_the_layer():
    Wt = rng.standard_normal((3, 6))
    idx = np.array([[1, 4, 6], [2, 2, 5]], dtype=float).T.reshape(1, 3, 2)      # C(1)×T×B... labelled below
    Y = embed(dlarray(idx, "CTB"), Wt)
    assert dims(Y) == "CBT" and Y.size() == (3, 2, 3)
    got = extractdata(Y)
    for bb in range(2):
        for t in range(3):
            np.testing.assert_allclose(got[:, bb, t], Wt[:, int(idx[0, t, bb]) - 1])
    layer = wordEmbeddingLayer(3, 6, Weights=Wt)
    out = run_layer([sequenceInputLayer(1), layer], idx.transpose(0, 2, 1), "CBT")
    np.testing.assert_allclose(out, got, rtol=1e-5, atol=1e-6)
    # gradient with respect to the weights: counts of each index times the output weights
    def f(w):
        y = embed(dlarray(idx, "CTB"), w)
        return dlgradient(dl_sum(y, "all"), w)
    g = extractdata(dlfeval(f, dlarray(Wt)))
    counts = np.bincount(idx.astype(int).ravel() - 1, minlength=6)
    np.testing.assert_allclose(g, np.repeat(counts[None, :], 3, 0).astype(float))


def test_attention_against_numpy_and_finite_differences():
    C, B, Tq, Tk, heads = 4, 2, 3, 5, 2
    q, k, v = rng.standard_normal((C, B, Tq)), rng.standard_normal((C, B, Tk)), rng.standard_normal((C, B, Tk))
    Y, Wt = attention(dlarray(q, "CBT"), dlarray(k, "CBT"), dlarray(v, "CBT"), heads)
    d = C // heads
    ref = np.zeros((C, B, Tq))
    wref = np.zeros((Tk, Tq, heads, B))
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        for b in range(B):
            s = k[sl, b, :].T @ q[sl, b, :] / np.sqrt(d)          # Tk×Tq
            w = np.exp(s - s.max(0)) / np.exp(s - s.max(0)).sum(0)
            wref[:, :, h, b] = w
            ref[sl, b, :] = v[sl, b, :] @ w
    np.testing.assert_allclose(extractdata(Y), ref, rtol=1e-10)
    np.testing.assert_allclose(extractdata(Wt), wref, rtol=1e-10)
    Yc, Wc = attention(dlarray(q, "CBT"), dlarray(k[:, :, :3], "CBT"), dlarray(v[:, :, :3], "CBT"), heads,
                       "AttentionMask", "causal")
    assert np.all(extractdata(Wc)[2, 0] == 0) and np.all(extractdata(Wc)[1:, 0] == 0)
    fd_check(lambda X: attention(X, dlarray(k, "CBT"), dlarray(v, "CBT"), heads)[0], q, "CBT")


def test_onehotdecode_accepts_dlarrays_and_padsequences():
    scores = dlarray(np.array([[0.1, 0.7], [0.9, 0.2], [0.0, 0.1]]), "CB")
    labels = onehotdecode(scores, ["a", "b", "c"], 1)
    assert list(np.asarray(labels).ravel()) == ["b", "a"]
    X = [rng.standard_normal((2, 3)), rng.standard_normal((2, 5))]
    XPad, mask = padsequences(X, 2)
    assert XPad.shape == (2, 5, 2) and mask.shape == (2, 5, 2)
    np.testing.assert_allclose(XPad[:, :3, 0], X[0])
    assert np.all(XPad[:, 3:, 0] == 0) and not mask[:, 3:, 0].any() and mask[:, :, 1].all()
    XL, _ = padsequences(X, 2, "Direction", "left", "PaddingValue", -1)
    np.testing.assert_allclose(XL[:, 2:, 0], X[0])
    assert np.all(XL[:, :2, 0] == -1)
    XS, _ = padsequences(X, 2, Length="shortest")
    np.testing.assert_allclose(XS[:, :, 1], X[1][:, :3])
