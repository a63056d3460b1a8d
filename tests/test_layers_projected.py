"""Projected LSTM/GRU against NumPy step equations written from the MATLAB doc, option errors, networkLayer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph.errors import OptionError
from layergraph.layers import REGISTRY, make_constructor
from layergraph.layers.base import Layout

lstmProjectedLayer = make_constructor(REGISTRY["lstmProjectedLayer"])
gruProjectedLayer = make_constructor(REGISTRY["gruProjectedLayer"])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def _softsign(x):
    return x / (1.0 + np.abs(x))


def _values(layer, sizes, seed):
    rng = np.random.default_rng(seed)
    vals = {}
    for prop, shape in sizes.items():
        vals[prop] = rng.standard_normal(shape) * 0.5
        setattr(layer, prop, torch.tensor(vals[prop], dtype=torch.float32))
    return {k: v.astype(np.float32).astype(np.float64) for k, v in vals.items()}


def lstm_projected_reference(x, v, h0, c0, state_fn=np.tanh, gate_fn=_sigmoid):
    """x: T×C for one observation. Gates i, f, g, o; W·x replaced by W·Q'·x on both sides."""
    W, R, b = v["InputWeights"], v["RecurrentWeights"], v["Bias"][:, 0]
    Qi, Qo = v["InputProjector"], v["OutputProjector"]
    H = Qo.shape[0]
    h, c = h0.copy(), c0.copy()
    ys = []
    for xt in x:
        z = W @ (Qi.T @ xt) + R @ (Qo.T @ h) + b
        i, f, g, o = gate_fn(z[:H]), gate_fn(z[H:2 * H]), state_fn(z[2 * H:3 * H]), gate_fn(z[3 * H:])
        c = f * c + i * g
        h = o * state_fn(c)
        ys.append(h)
    return np.stack(ys), h, c


def gru_projected_reference(x, v, h0, mode="after-multiplication", state_fn=np.tanh, gate_fn=_sigmoid):
    W, R, b = v["InputWeights"], v["RecurrentWeights"], v["Bias"][:, 0]
    Qi, Qo = v["InputProjector"], v["OutputProjector"]
    H = Qo.shape[0]
    bx = b[:3 * H]
    bh = b[3 * H:] if mode == "recurrent-bias-after-multiplication" else np.zeros(3 * H)
    Wx, Rh = W @ Qi.T, R @ Qo.T
    h = h0.copy()
    ys = []
    for xt in x:
        xp = Wx @ xt + bx
        r = gate_fn(xp[:H] + Rh[:H] @ h + bh[:H])
        z = gate_fn(xp[H:2 * H] + Rh[H:2 * H] @ h + bh[H:2 * H])
        if mode == "before-multiplication":
            cand = state_fn(xp[2 * H:] + Rh[2 * H:] @ (r * h))
        else:
            cand = state_fn(xp[2 * H:] + r * (Rh[2 * H:] @ h + bh[2 * H:]))
        h = (1 - z) * cand + z * h
        ys.append(h)
    return np.stack(ys), h


SEQ = Layout((), 3, True)


@pytest.mark.parametrize("acts", [("tanh", "sigmoid"), ("softsign", "hard-sigmoid")])
def test_lstm_projected_matches_reference(acts):
    layer = lstmProjectedLayer(4, 2, 2, StateActivationFunction=acts[0], GateActivationFunction=acts[1])
    v = _values(layer, layer.learnable_sizes([SEQ]), seed=1)
    module = layer.build([SEQ]).double().eval()
    x = np.random.default_rng(2).standard_normal((2, 6, 3))
    y = module(torch.tensor(x)).detach().numpy()
    fns = {"tanh": np.tanh, "softsign": _softsign, "sigmoid": _sigmoid, "hard-sigmoid": _hard_sigmoid}
    for n in range(2):
        ref, _, _ = lstm_projected_reference(x[n], v, np.zeros(4), np.zeros(4), fns[acts[0]], fns[acts[1]])
        np.testing.assert_allclose(y[n], ref, rtol=1e-6, atol=1e-6)


def test_lstm_projected_last_and_state_ports():
    layer = lstmProjectedLayer(3, 2, 1, OutputMode="last", HasStateInputs=True, HasStateOutputs=True)
    sizes = layer.learnable_sizes([SEQ, Layout((), 3), Layout((), 3)])
    assert sizes["InputProjector"] == (3, 1) and sizes["OutputProjector"] == (3, 2)
    assert sizes["InputWeights"] == (12, 1) and sizes["RecurrentWeights"] == (12, 2) and sizes["Bias"] == (12, 1)
    v = _values(layer, sizes, seed=3)
    module = layer.build([SEQ, Layout((), 3), Layout((), 3)]).double().eval()
    rng = np.random.default_rng(4)
    x, h0, c0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    y, h, c = (t.detach().numpy() for t in module(torch.tensor(x), torch.tensor(h0), torch.tensor(c0)))
    for n in range(2):
        _, hr, cr = lstm_projected_reference(x[n], v, h0[n], c0[n])
        np.testing.assert_allclose(y[n], hr, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(h[n], hr, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(c[n], cr, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["after-multiplication", "before-multiplication",
                                  "recurrent-bias-after-multiplication"])
def test_gru_projected_matches_reference(mode):
    layer = gruProjectedLayer(4, 3, 2, ResetGateMode=mode)
    sizes = layer.learnable_sizes([SEQ])
    assert sizes["Bias"] == ((24 if mode.startswith("recurrent") else 12), 1)
    v = _values(layer, sizes, seed=5)
    module = layer.build([SEQ]).double().eval()
    x = np.random.default_rng(6).standard_normal((2, 6, 3))
    y = module(torch.tensor(x)).detach().numpy()
    for n in range(2):
        ref, _ = gru_projected_reference(x[n], v, np.zeros(4), mode)
        np.testing.assert_allclose(y[n], ref, rtol=1e-6, atol=1e-6)


def test_default_initializers_and_sizes():
    torch.manual_seed(0)
    layer = lstmProjectedLayer(5, 3, 2)
    assert layer.InputProjectorInitializer == "orthogonal" and layer.OutputProjectorInitializer == "orthogonal"
    assert layer.InputWeightsInitializer == "glorot" and layer.RecurrentWeightsInitializer == "orthogonal"
    assert layer.BiasInitializer == "unit-forget-gate"
    module = layer.build([Layout((), 4, True)])
    qo = module.OutputProjector.detach()
    assert tuple(qo.shape) == (5, 3)
    torch.testing.assert_close(qo.T @ qo, torch.eye(3), atol=1e-5, rtol=0)   # orthonormal columns
    bias = module.Bias.detach()
    assert torch.equal(bias[5:10], torch.ones(5)) and bias[:5].abs().sum() == 0
    assert gruProjectedLayer(4, 2, 2).BiasInitializer == "zeros"


def test_option_errors():
    with pytest.raises(OptionError, match="InputProjectorSize"):
        lstmProjectedLayer(4, 2)
    with pytest.raises(OptionError, match="OutputProjectorSize"):
        gruProjectedLayer(4, 0, 2)
    with pytest.raises(OptionError, match="ResetGateMode"):
        gruProjectedLayer(4, 2, 2, ResetGateMode="sideways")
    with pytest.raises(OptionError, match="ResetGateMode"):
        lstmProjectedLayer(4, 2, 2, ResetGateMode="before-multiplication")
    with pytest.raises(OptionError, match="InputProjectorInitializer"):
        lstmProjectedLayer(4, 2, 2, InputProjectorInitializer="bogus")


def test_wrong_projector_value_size_is_reported():
    from layergraph.errors import LayoutError

    layer = lstmProjectedLayer(4, 2, 2, InputProjector=torch.zeros(5, 2))
    with pytest.raises(LayoutError, match="InputProjector"):
        layer.build([SEQ])
