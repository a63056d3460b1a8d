"""Numeric reference tests for the recurrent and sequence layers.

The references below are NumPy step loops written from MATLAB's documented equations, using weights
in MATLAB layout (gate blocks i, f, g, o for LSTM; r, z, h̃ for GRU). They never call the layer code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from layergraph import (
    LayoutError,
    OptionError,
    bilstmLayer,
    dlnetwork,
    gruLayer,
    lstmLayer,
    sequenceInputLayer,
)
from layergraph.layers.base import Layout

RNG = np.random.default_rng(1234)


# --------------------------------------------------------------------------------------------------
# NumPy references (MATLAB equations)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_hard_sigmoid(x):
    return np.where(x < -2.5, 0.0, np.where(x > 2.5, 1.0, 0.2 * x + 0.5))


def np_softsign(x):
    return x / (1.0 + np.abs(x))


STATE = {"tanh": np.tanh, "softsign": np_softsign}
GATE = {"sigmoid": np_sigmoid, "hard-sigmoid": np_hard_sigmoid}


def np_lstm(X, W, R, b, h0=None, c0=None, state="tanh", gate="sigmoid"):
    """X: N×T×C; W 4H×C, R 4H×H, b 4H (MATLAB rows i, f, g, o). Returns (N×T×H outputs, hT, cT)."""
    n, t_len, _ = X.shape
    hidden = R.shape[1]
    h = np.zeros((n, hidden)) if h0 is None else np.array(h0, dtype=float)
    c = np.zeros((n, hidden)) if c0 is None else np.array(c0, dtype=float)
    sc, sg = STATE[state], GATE[gate]
    ys = np.zeros((n, t_len, hidden))
    for t in range(t_len):
        for k in range(n):
            z = W @ X[k, t] + R @ h[k] + b
            i = sg(z[0:hidden])
            f = sg(z[hidden : 2 * hidden])
            g = sc(z[2 * hidden : 3 * hidden])
            o = sg(z[3 * hidden : 4 * hidden])
            c[k] = g * i + f * c[k]
            h[k] = sc(c[k]) * o
        ys[:, t] = h
    return ys, h, c


def np_gru(X, W, R, b, mode="after-multiplication", h0=None, state="tanh", gate="sigmoid"):
    """X: N×T×C; W 3H×C, R 3H×H (MATLAB rows r, z, h̃); b 3H, or 6H = [input-side; recurrent-side]."""
    n, t_len, _ = X.shape
    hidden = R.shape[1]
    h = np.zeros((n, hidden)) if h0 is None else np.array(h0, dtype=float)
    sc, sg = STATE[state], GATE[gate]
    bw = b[: 3 * hidden]
    br = b[3 * hidden :] if mode == "recurrent-bias-after-multiplication" else np.zeros(3 * hidden)
    rows = [slice(0, hidden), slice(hidden, 2 * hidden), slice(2 * hidden, 3 * hidden)]
    ys = np.zeros((n, t_len, hidden))
    for t in range(t_len):
        for k in range(n):
            x, hp = X[k, t], h[k].copy()
            r = sg(W[rows[0]] @ x + bw[rows[0]] + R[rows[0]] @ hp + br[rows[0]])
            z = sg(W[rows[1]] @ x + bw[rows[1]] + R[rows[1]] @ hp + br[rows[1]])
            if mode == "before-multiplication":
                cand = sc(W[rows[2]] @ x + bw[rows[2]] + R[rows[2]] @ (r * hp))
            elif mode == "recurrent-bias-after-multiplication":
                cand = sc(W[rows[2]] @ x + bw[rows[2]] + r * (R[rows[2]] @ hp + br[rows[2]]))
            else:
                cand = sc(W[rows[2]] @ x + bw[rows[2]] + r * (R[rows[2]] @ hp))
            h[k] = (1 - z) * cand + z * hp
        ys[:, t] = h
    return ys, h


def np_bilstm(X, W, R, b, state="tanh", gate="sigmoid"):
    """MATLAB BiLSTM: rows 1:4H forward, 4H+1:8H backward. Returns (N×T×2H, last = [h_f(T); h_b final])."""
    g = W.shape[0] // 2
    yf, hf, _ = np_lstm(X, W[:g], R[:g], b[:g], state=state, gate=gate)
    yb_rev, hb, _ = np_lstm(X[:, ::-1], W[g:], R[g:], b[g:], state=state, gate=gate)
    yb = yb_rev[:, ::-1]
    return np.concatenate([yf, yb], axis=-1), np.concatenate([hf, hb], axis=-1)


def matlab_weights(rows, cols, scale=0.5):
    return RNG.normal(0, scale, (rows, cols))


def as_t(x):
    return torch.tensor(x, dtype=torch.float64)


def run(layer, inputs, *xs):
    module = layer.build(inputs).double()
    with torch.no_grad():
        return module(*[as_t(x) for x in xs])


SEQ = Layout((), 3, True)


# --------------------------------------------------------------------------------------------------
# lstmLayer


def lstm_with_weights(hidden=4, c=3, **opts):
    W, R, b = matlab_weights(4 * hidden, c), matlab_weights(4 * hidden, hidden), RNG.normal(0, 0.5, (4 * hidden, 1))
    layer = lstmLayer(hidden, InputWeights=W, RecurrentWeights=R, Bias=b, **opts)
    return layer, W, R, b[:, 0]


@pytest.mark.parametrize("state,gate", [("tanh", "sigmoid"), ("softsign", "sigmoid"), ("tanh", "hard-sigmoid"),
                                        ("softsign", "hard-sigmoid")])
def test_lstm_sequence_matches_numpy_reference(state, gate):
    layer, W, R, b = lstm_with_weights(StateActivationFunction=state, GateActivationFunction=gate)
    X = RNG.normal(0, 1.5, (3, 6, 3))
    y = run(layer, [SEQ], X)
    ref, _, _ = np_lstm(X, W, R, b, state=state, gate=gate)
    assert y.shape == (3, 6, 4)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)


def test_hard_sigmoid_is_matlab_piecewise_linear():
    from layergraph.layers.recurrent import hard_sigmoid

    x = torch.tensor([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0], dtype=torch.float64)
    np.testing.assert_allclose(hard_sigmoid(x).numpy(), [0, 0, 0.3, 0.5, 0.7, 1, 1])


def test_lstm_last_reads_padded_tail_without_masking():
    layer, W, R, b = lstm_with_weights(OutputMode="last")
    # two sequences: lengths 6 and 3; the second is right-padded with zeros as MATLAB pads
    X = RNG.normal(0, 1, (2, 6, 3))
    X[1, 3:] = 0.0
    y = run(layer, [SEQ], X).numpy()
    ref_full, h_last, _ = np_lstm(X, W, R, b)
    np.testing.assert_allclose(y, h_last, rtol=1e-6, atol=1e-6)
    # the padded sequence's 'last' is the state after step 6, not after its true last step 3
    _, h_true, _ = np_lstm(X[1:, :3], W, R, b)
    assert not np.allclose(y[1], h_true[0], atol=1e-3)
    np.testing.assert_allclose(y[1], ref_full[1, 5], rtol=1e-6, atol=1e-6)


def test_lstm_initial_states_and_state_ports():
    hidden = 3
    h0 = RNG.normal(0, 1, hidden)
    c0 = RNG.normal(0, 1, hidden)
    layer, W, R, b = lstm_with_weights(hidden, HiddenState=h0, CellState=c0)
    X = RNG.normal(0, 1, (2, 4, 3))
    ref, h_ref, c_ref = np_lstm(X, W, R, b, np.tile(h0, (2, 1)), np.tile(c0, (2, 1)))
    np.testing.assert_allclose(run(layer, [SEQ], X).numpy(), ref, rtol=1e-6, atol=1e-6)

    ported = lstmLayer(hidden, InputWeights=W, RecurrentWeights=R, Bias=b, HasStateInputs=True,
                       HasStateOutputs=True)
    assert ported.InputNames == ["in", "hidden", "cell"]
    assert ported.OutputNames == ["out", "hidden", "cell"]
    hs, cs = RNG.normal(0, 1, (2, hidden)), RNG.normal(0, 1, (2, hidden))
    state_layout = Layout((), hidden)
    y, h, c = run(ported, [SEQ, state_layout, state_layout], X, hs, cs)
    ref, h_ref, c_ref = np_lstm(X, W, R, b, hs, cs)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-6, atol=1e-6)
    outs = ported.infer([SEQ, state_layout, state_layout])
    assert [o.format for o in outs] == ["CBT", "CB", "CB"]


def test_lstm_softsign_loop_with_state_ports_matches_reference():
    hidden = 2
    layer, W, R, b = lstm_with_weights(hidden, StateActivationFunction="softsign", HasStateInputs=True,
                                       HasStateOutputs=True, OutputMode="last")
    X = RNG.normal(0, 1, (2, 5, 3))
    hs, cs = RNG.normal(0, 1, (2, hidden)), RNG.normal(0, 1, (2, hidden))
    st = Layout((), hidden)
    y, h, c = run(layer, [SEQ, st, st], X, hs, cs)
    _, h_ref, c_ref = np_lstm(X, W, R, b, hs, cs, state="softsign")
    np.testing.assert_allclose(y.numpy(), h_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-6, atol=1e-6)


def test_lstm_default_initialization():
    torch.manual_seed(0)
    hidden, c = 5, 7
    layer = lstmLayer(hidden)
    inputs = [Layout((), c, True)]
    W = layer.initial_value("InputWeights", inputs).numpy()
    R = layer.initial_value("RecurrentWeights", inputs).numpy()
    b = layer.initial_value("Bias", inputs).numpy()
    assert W.shape == (4 * hidden, c) and R.shape == (4 * hidden, hidden) and b.shape == (4 * hidden, 1)
    # glorot: uniform in ±sqrt(6/(C + 4H))
    bound = math.sqrt(6.0 / (c + 4 * hidden))
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.5 * bound
    # orthogonal: the 4H×H matrix has orthonormal columns
    np.testing.assert_allclose(R.T @ R, np.eye(hidden), atol=1e-5)
    # unit-forget-gate: ones on the forget gate block (rows H+1:2H in MATLAB), zeros elsewhere
    expected = np.zeros((4 * hidden, 1))
    expected[hidden : 2 * hidden] = 1.0
    np.testing.assert_array_equal(b, expected)
    assert layer.initial_value("HiddenState", inputs).shape == (hidden, 1)


def test_lstm_other_initializers():
    torch.manual_seed(1)
    layer = lstmLayer(3, InputWeightsInitializer="zeros", RecurrentWeightsInitializer="ones",
                      BiasInitializer="narrow-normal")
    inputs = [SEQ]
    assert float(layer.initial_value("InputWeights", inputs).abs().sum()) == 0.0
    assert bool((layer.initial_value("RecurrentWeights", inputs) == 1).all())
    b = layer.initial_value("Bias", inputs)
    assert 0 < float(b.std()) < 0.05
    custom = lstmLayer(3, InputWeightsInitializer=lambda sz: np.full(sz, 0.25))
    assert bool((custom.initial_value("InputWeights", inputs) == 0.25).all())


def test_lstm_layout_sizes_and_description():
    layer = lstmLayer(100)
    assert layer.Type == "LSTM"
    assert layer.Description == "LSTM with 100 hidden units"
    assert layer.DEFAULT_NAME == "lstm"
    seq = Layout((), 12, True, 9)
    assert layer.infer([seq]) == [Layout((), 100, True, 9)]
    assert lstmLayer(100, "OutputMode", "last").infer([seq]) == [Layout((), 100)]
    assert layer.learnable_sizes([seq]) == {"InputWeights": (400, 12), "RecurrentWeights": (400, 100), "Bias": (400, 1)}
    assert layer.resolve([seq]) == {"InputSize": 12}


def test_lstm_rejects_image_and_non_sequence_input():
    with pytest.raises(LayoutError, match="SSCBT"):
        lstmLayer(4).infer([Layout((8, 8), 3, True)])
    with pytest.raises(LayoutError, match="'CB'"):
        lstmLayer(4).infer([Layout((), 3)])
    with pytest.raises(LayoutError, match="hidden"):
        lstmLayer(4, HasStateInputs=True).infer([SEQ, Layout((), 5), Layout((), 4)])


def test_lstm_option_errors_name_layer_and_option():
    with pytest.raises(OptionError, match="lstmLayer.*NumHiddenUnits"):
        lstmLayer(0)
    with pytest.raises(OptionError, match="lstmLayer.*OutputMode"):
        lstmLayer(4, OutputMode="first")
    with pytest.raises(OptionError, match="lstmLayer.*GateActivationFunction"):
        lstmLayer(4, GateActivationFunction="relu")
    with pytest.raises(OptionError, match="lstmLayer.*BiasInitializer"):
        lstmLayer(4, BiasInitializer="he")
    with pytest.raises(OptionError, match="lstmLayer.*InputWeightsLearnRateFactor"):
        lstmLayer(4, InputWeightsLearnRateFactor=[1, 2, 3])
    with pytest.raises(OptionError, match="read-only"):
        lstmLayer(4, InputSize=3)
    with pytest.raises(OptionError, match="HiddenState"):
        lstmLayer(4, HasStateInputs=True, HiddenState=np.zeros(4))
    layer = lstmLayer(4, InputWeightsLearnRateFactor=[1, 2, 3, 4], BiasL2Factor=0.5)
    assert layer.InputWeightsLearnRateFactor == (1.0, 2.0, 3.0, 4.0)
    assert layer.BiasL2Factor == 0.5
    assert lstmLayer(4).BiasL2Factor == 0.0


def test_lstm_in_network_reads_back_matlab_layout():
    layer, W, R, b = lstm_with_weights(4, Name="lstm1", OutputMode="last")
    net = dlnetwork([sequenceInputLayer(3), layer])
    trained = net.Layers[1]
    np.testing.assert_allclose(trained.InputWeights.numpy(), W, rtol=1e-6)
    np.testing.assert_allclose(trained.RecurrentWeights.numpy(), R, rtol=1e-6)
    assert tuple(trained.Bias.shape) == (16, 1)
    np.testing.assert_allclose(trained.Bias.numpy()[:, 0], b, rtol=1e-6)
    assert trained.InputSize == 3
    X = RNG.normal(0, 1, (2, 5, 3)).astype(np.float32)
    y = net.predict(torch.tensor(X))
    _, h_ref, _ = np_lstm(X.astype(float), W, R, b)
    np.testing.assert_allclose(y.numpy(), h_ref, rtol=1e-4, atol=1e-5)
    # gradients reach the MATLAB-named parameters
    names = {(layer_name, prop) for layer_name, prop, *_ in net.parameter_info()}
    assert {("lstm1", "InputWeights"), ("lstm1", "RecurrentWeights"), ("lstm1", "Bias")} <= names


# --------------------------------------------------------------------------------------------------
# bilstmLayer


def bilstm_with_weights(hidden=3, c=3, **opts):
    W, R, b = matlab_weights(8 * hidden, c), matlab_weights(8 * hidden, hidden), RNG.normal(0, 0.5, (8 * hidden, 1))
    return bilstmLayer(hidden, InputWeights=W, RecurrentWeights=R, Bias=b, **opts), W, R, b[:, 0]


@pytest.mark.parametrize("state,gate", [("tanh", "sigmoid"), ("softsign", "hard-sigmoid")])
def test_bilstm_matches_numpy_reference(state, gate):
    layer, W, R, b = bilstm_with_weights(StateActivationFunction=state, GateActivationFunction=gate)
    X = RNG.normal(0, 1, (2, 5, 3))
    y = run(layer, [SEQ], X).numpy()
    ref, last = np_bilstm(X, W, R, b, state, gate)
    assert y.shape == (2, 5, 6)
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-6)
    last_layer = bilstmLayer(3, InputWeights=W, RecurrentWeights=R, Bias=b[:, None], OutputMode="last",
                             StateActivationFunction=state, GateActivationFunction=gate)
    y_last = run(last_layer, [SEQ], X).numpy()
    np.testing.assert_allclose(y_last, last, rtol=1e-6, atol=1e-6)
    # 'last' backward half = backward state after the whole reversed sequence (aligned to t = 1),
    # not the backward output at t = T (the R2017b-R2018a definition)
    np.testing.assert_allclose(y_last[:, 3:], ref[:, 0, 3:], rtol=1e-6, atol=1e-6)
    assert not np.allclose(y_last[:, 3:], ref[:, -1, 3:], atol=1e-3)


def test_bilstm_sizes_init_and_display():
    torch.manual_seed(3)
    layer = bilstmLayer(5)
    assert layer.Type == "BiLSTM" and layer.Description == "BiLSTM with 5 hidden units"
    assert layer.DEFAULT_NAME == "biLSTM"
    seq = Layout((), 2, True)
    assert layer.infer([seq]) == [Layout((), 10, True)]
    assert layer.learnable_sizes([seq]) == {"InputWeights": (40, 2), "RecurrentWeights": (40, 5), "Bias": (40, 1)}
    assert layer.state_sizes([seq]) == {"HiddenState": (10, 1), "CellState": (10, 1)}
    b = layer.initial_value("Bias", [seq]).numpy()[:, 0]
    expected = np.zeros(40)
    expected[5:10] = 1.0   # forward forget gate
    expected[25:30] = 1.0  # backward forget gate
    np.testing.assert_array_equal(b, expected)
    with pytest.raises(OptionError, match="bilstmLayer.*BiasLearnRateFactor"):
        bilstmLayer(4, BiasLearnRateFactor=[1, 1, 1, 1])
    assert bilstmLayer(4, BiasLearnRateFactor=[1] * 8).BiasLearnRateFactor == (1.0,) * 8


def test_bilstm_state_ports_split_forward_backward():
    hidden = 2
    layer, W, R, b = bilstm_with_weights(hidden, HasStateInputs=True, HasStateOutputs=True)
    X = RNG.normal(0, 1, (2, 4, 3))
    hs, cs = RNG.normal(0, 1, (2, 2 * hidden)), RNG.normal(0, 1, (2, 2 * hidden))
    st = Layout((), 2 * hidden)
    y, h, c = run(layer, [SEQ, st, st], X, hs, cs)
    g = 4 * hidden
    yf, hf, cf = np_lstm(X, W[:g], R[:g], b[:g], hs[:, :hidden], cs[:, :hidden])
    yb, hb, cb = np_lstm(X[:, ::-1], W[g:], R[g:], b[g:], hs[:, hidden:], cs[:, hidden:])
    np.testing.assert_allclose(y.numpy(), np.concatenate([yf, yb[:, ::-1]], -1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), np.concatenate([hf, hb], -1), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), np.concatenate([cf, cb], -1), rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------------------------------
# gruLayer


def gru_with_weights(hidden=4, c=3, mode="after-multiplication", **opts):
    rows = 6 * hidden if mode == "recurrent-bias-after-multiplication" else 3 * hidden
    W, R, b = matlab_weights(3 * hidden, c), matlab_weights(3 * hidden, hidden), RNG.normal(0, 0.5, (rows, 1))
    layer = gruLayer(hidden, InputWeights=W, RecurrentWeights=R, Bias=b, ResetGateMode=mode, **opts)
    return layer, W, R, b[:, 0]


@pytest.mark.parametrize("mode", ["after-multiplication", "before-multiplication",
                                  "recurrent-bias-after-multiplication"])
@pytest.mark.parametrize("state,gate", [("tanh", "sigmoid"), ("softsign", "hard-sigmoid")])
def test_gru_matches_numpy_reference(mode, state, gate):
    layer, W, R, b = gru_with_weights(mode=mode, StateActivationFunction=state, GateActivationFunction=gate)
    X = RNG.normal(0, 1, (3, 5, 3))
    y = run(layer, [SEQ], X).numpy()
    ref, _ = np_gru(X, W, R, b, mode, state=state, gate=gate)
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-6)


def test_gru_before_multiplication_differs_from_after():
    layer, W, R, b = gru_with_weights(mode="before-multiplication")
    X = RNG.normal(0, 1, (2, 5, 3))
    before = run(layer, [SEQ], X).numpy()
    after, _ = np_gru(X, W, R, b, "after-multiplication")
    assert not np.allclose(before, after, atol=1e-3)


def test_gru_last_state_ports_and_initial_state():
    hidden = 3
    h0 = RNG.normal(0, 1, hidden)
    layer, W, R, b = gru_with_weights(hidden, OutputMode="last", HiddenState=h0)
    X = RNG.normal(0, 1, (2, 4, 3))
    _, h_ref = np_gru(X, W, R, b, h0=np.tile(h0, (2, 1)))
    np.testing.assert_allclose(run(layer, [SEQ], X).numpy(), h_ref, rtol=1e-6, atol=1e-6)

    ported, W, R, b = gru_with_weights(hidden, HasStateInputs=True, HasStateOutputs=True)
    assert ported.InputNames == ["in", "hidden"] and ported.OutputNames == ["out", "hidden"]
    hs = RNG.normal(0, 1, (2, hidden))
    y, h = run(ported, [SEQ, Layout((), hidden)], X, hs)
    ref, h_ref = np_gru(X, W, R, b, h0=hs)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), h_ref, rtol=1e-6, atol=1e-6)


def test_gru_sizes_defaults_and_errors():
    layer = gruLayer(6)
    assert layer.Type == "GRU" and layer.Description == "GRU with 6 hidden units" and layer.DEFAULT_NAME == "gru"
    assert layer.ResetGateMode == "after-multiplication" and layer.BiasInitializer == "zeros"
    seq = Layout((), 4, True)
    assert layer.learnable_sizes([seq]) == {"InputWeights": (18, 4), "RecurrentWeights": (18, 6), "Bias": (18, 1)}
    rb = gruLayer(6, ResetGateMode="recurrent-bias-after-multiplication")
    assert rb.learnable_sizes([seq])["Bias"] == (36, 1)
    assert layer.state_sizes([seq]) == {"HiddenState": (6, 1)}
    assert float(layer.initial_value("Bias", [seq]).abs().sum()) == 0.0
    with pytest.raises(OptionError, match="gruLayer.*ResetGateMode"):
        gruLayer(4, ResetGateMode="sometimes")
    with pytest.raises(OptionError, match="gruLayer.*BiasInitializer"):
        gruLayer(4, BiasInitializer="unit-forget-gate")
    with pytest.raises(OptionError, match="gruLayer.*CellState"):
        gruLayer(4, CellState=[1, 2, 3, 4])
    assert gruLayer(4, RecurrentWeightsL2Factor=[1, 0, 2]).RecurrentWeightsL2Factor == (1.0, 0.0, 2.0)
