"""Optimizer arithmetic checked step by step against hand-computed NumPy updates (MATLAB's rules).

The network is a single fully connected layer with a regression output, so the gradient is written
out by hand: loss = sum((W x + b - t)^2) / (2 N)  ->  dW = (1/N) sum (y - t) x',  db = (1/N) sum (y - t).
"""

import math

import numpy as np
import pytest
import torch

from layergraph import featureInputLayer, fullyConnectedLayer, regressionLayer
from layergraph.training import trainingOptions, trainNetwork
from layergraph.training.solver import clip_gradients

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 1.0], [-0.5, -0.5], [1.5, 0.0]], dtype=np.float32)
T = np.array([[1.0, -1.0], [0.5, 2.0], [-1.0, 0.0], [2.0, 1.0], [0.0, -0.5], [1.0, 1.0]], dtype=np.float32)
W0 = np.array([[0.2, -0.3], [0.4, 0.1]], dtype=np.float64)
B0 = np.array([[0.05], [-0.1]], dtype=np.float64)


def layers(**fc):
    return [featureInputLayer(2), fullyConnectedLayer(2, Weights=W0.astype(np.float32), Bias=B0.astype(np.float32), **fc),
            regressionLayer]


def grads(W, b, idx):
    x = X[idx].astype(np.float64)
    t = T[idx].astype(np.float64)
    y = x @ W.T + b.T
    e = y - t
    n = len(idx)
    return e.T @ x / n, e.sum(0, keepdims=True).T / n


def batches(n_epochs, bs=2, n=len(X)):
    for epoch in range(1, n_epochs + 1):
        for k in range(n // bs):
            yield epoch, list(range(k * bs, (k + 1) * bs))


def run(solver, epochs=2, bs=2, fc=None, **opts):
    opts.setdefault("Verbose", False)
    options = trainingOptions(solver, "MaxEpochs", epochs, "MiniBatchSize", bs, "Shuffle", "never", **opts)
    net, info = trainNetwork(X, T, layers(**(fc or {})), options)
    fcl = net.Layers[1]
    return fcl.Weights.double().numpy(), fcl.Bias.double().numpy().reshape(2, 1), info


def test_sgdm_velocity_in_matlab_form_after_a_learning_rate_drop():
    lr0, gamma, lam, F = 0.1, 0.9, 0.01, 0.5
    W, b = W0.copy(), B0.copy()
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for epoch, idx in batches(3):
        lr = lr0 * F ** ((epoch - 1) // 1)
        gW, gb = grads(W, b, idx)
        gW = gW + lam * 1.0 * W          # WeightL2Factor 1
        gb = gb + lam * 0.0 * b          # BiasL2Factor 0: biases not decayed
        vW = gamma * vW - lr * gW
        vb = gamma * vb - lr * gb
        W, b = W + vW, b + vb
    Wt, bt, info = run("sgdm", epochs=3, InitialLearnRate=lr0, Momentum=gamma, L2Regularization=lam,
                       LearnRateSchedule="piecewise", LearnRateDropFactor=F, LearnRateDropPeriod=1)
    np.testing.assert_allclose(Wt, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bt, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(info.BaseLearnRate, [0.1] * 3 + [0.05] * 3 + [0.025] * 3)

    # PyTorch's SGD keeps an unscaled buffer: after the drop it differs from MATLAB's form.
    Wp, bp = W0.copy(), B0.copy()
    buf_W, buf_b = np.zeros_like(Wp), np.zeros_like(bp)
    for epoch, idx in batches(3):
        lr = lr0 * F ** (epoch - 1)
        gW, gb = grads(Wp, bp, idx)
        gW = gW + lam * Wp
        buf_W, buf_b = gamma * buf_W + gW, gamma * buf_b + gb
        Wp, bp = Wp - lr * buf_W, bp - lr * buf_b
    assert np.abs(Wp - W).max() > 1e-3


def test_piecewise_schedule_drops_every_period_epochs():
    _, _, info = run("sgdm", epochs=5, InitialLearnRate=0.2, LearnRateSchedule="piecewise",
                     LearnRateDropFactor=0.1, LearnRateDropPeriod=2)
    per_epoch = info.BaseLearnRate.reshape(5, 3)[:, 0]
    np.testing.assert_allclose(per_epoch, [0.2, 0.2, 0.02, 0.02, 0.002], rtol=1e-12)


def test_learn_rate_and_l2_factors_per_parameter():
    lr, gamma, lam = 0.05, 0.8, 0.1
    fW, fb, kW, kb = 2.0, 0.0, 0.5, 3.0
    W, b = W0.copy(), B0.copy()
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _, idx in batches(2):
        gW, gb = grads(W, b, idx)
        gW, gb = gW + lam * kW * W, gb + lam * kb * b
        vW, vb = gamma * vW - lr * fW * gW, gamma * vb - lr * fb * gb
        W, b = W + vW, b + vb
    Wt, bt, _ = run("sgdm", InitialLearnRate=lr, Momentum=gamma, L2Regularization=lam,
                    fc=dict(WeightLearnRateFactor=fW, BiasLearnRateFactor=fb, WeightL2Factor=kW, BiasL2Factor=kb))
    np.testing.assert_allclose(Wt, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bt, B0, atol=0)      # learn-rate factor 0 freezes the bias
    np.testing.assert_allclose(bt, b, atol=1e-7)


def _clip_reference(gW, gb, method, thr):
    if method == "absolute-value":
        return np.clip(gW, -thr, thr), np.clip(gb, -thr, thr)
    if method == "l2norm":
        out = []
        for g in (gW, gb):
            n = np.sqrt((g ** 2).sum())
            out.append(g * thr / n if n > thr else g)
        return tuple(out)
    n = np.sqrt((gW ** 2).sum() + (gb ** 2).sum())
    return (gW * thr / n, gb * thr / n) if n > thr else (gW, gb)


@pytest.mark.parametrize("method", ["l2norm", "global-l2norm", "absolute-value"])
def test_gradient_clipping_methods(method):
    lr, gamma, lam, thr = 0.1, 0.9, 0.01, 0.3
    W, b = W0.copy(), B0.copy()
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    clipped_somewhere = False
    for _, idx in batches(2):
        gW, gb = grads(W, b, idx)
        gW = gW + lam * W                         # L2 is added before clipping
        cW, cb = _clip_reference(gW, gb, method, thr)
        clipped_somewhere |= not (np.allclose(cW, gW) and np.allclose(cb, gb))
        vW, vb = gamma * vW - lr * cW, gamma * vb - lr * cb
        W, b = W + vW, b + vb
    assert clipped_somewhere
    Wt, bt, _ = run("sgdm", InitialLearnRate=lr, Momentum=gamma, L2Regularization=lam,
                    GradientThreshold=thr, GradientThresholdMethod=method)
    np.testing.assert_allclose(Wt, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bt, b, rtol=1e-5, atol=1e-6)


def test_clip_gradients_function_on_known_vectors():
    g1, g2 = torch.tensor([3.0, 4.0]), torch.tensor([0.0, 12.0])
    a, b = clip_gradients([g1, g2], "l2norm", 5.0)
    assert torch.allclose(a, g1) and torch.allclose(b, torch.tensor([0.0, 5.0]))
    a, b = clip_gradients([g1, g2], "global-l2norm", 6.5)          # global norm 13
    assert torch.allclose(a, g1 / 2) and torch.allclose(b, g2 / 2)
    a, b = clip_gradients([g1, g2], "absolute-value", 3.5)
    assert torch.equal(a, torch.tensor([3.0, 3.5])) and torch.equal(b, torch.tensor([0.0, 3.5]))
    a, _ = clip_gradients([g1, g2], "l2norm", math.inf)
    assert a is g1


def test_adam_with_matlab_bias_correction():
    lr, b1, b2, eps, lam = 0.01, 0.8, 0.95, 1e-6, 0.001
    W, b = W0.copy(), B0.copy()
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    t = 0
    for _, idx in batches(2):
        gW, gb = grads(W, b, idx)
        gs = [gW + lam * W, gb]
        t += 1
        shrink = math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        new = []
        for i, (p, g) in enumerate(zip((W, b), gs)):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            new.append(p - lr * shrink * m[i] / (np.sqrt(v[i]) + eps))
        W, b = new
    Wt, bt, _ = run("adam", InitialLearnRate=lr, GradientDecayFactor=b1, SquaredGradientDecayFactor=b2,
                    Epsilon=eps, L2Regularization=lam)
    np.testing.assert_allclose(Wt, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bt, b, rtol=1e-5, atol=1e-6)


def test_rmsprop_update():
    lr, b2, eps, lam = 0.01, 0.9, 1e-8, 1e-4
    W, b = W0.copy(), B0.copy()
    v = [np.zeros_like(W), np.zeros_like(b)]
    for _, idx in batches(2):
        gW, gb = grads(W, b, idx)
        gs = [gW + lam * W, gb]
        new = []
        for i, (p, g) in enumerate(zip((W, b), gs)):
            v[i] = b2 * v[i] + (1 - b2) * g * g
            new.append(p - lr * g / (np.sqrt(v[i]) + eps))
        W, b = new
    Wt, bt, _ = run("rmsprop", InitialLearnRate=lr, L2Regularization=lam)
    np.testing.assert_allclose(Wt, W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bt, b, rtol=1e-5, atol=1e-6)


def test_reported_mini_batch_loss_and_rmse():
    _, _, info = run("sgdm", epochs=1, InitialLearnRate=1e-12, L2Regularization=0)
    for k, (_, idx) in enumerate(batches(1)):
        x, t = X[idx].astype(np.float64), T[idx].astype(np.float64)
        e = x @ W0.T + B0.T - t
        assert info.TrainingLoss[k] == pytest.approx((e ** 2).sum() / (2 * len(idx)), rel=1e-5)
        assert info.TrainingRMSE[k] == pytest.approx(np.sqrt((e ** 2).mean()), rel=1e-5)
