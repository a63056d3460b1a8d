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


def f32(a):
    """Values exactly representable in float32 (layer properties are stored in single, as in MATLAB)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


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
    with pytest.raises(LayoutError, match="image input with format 'SSCB'"):
        gruLayer(4).infer([Layout((8, 8), 1)])
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


# --------------------------------------------------------------------------------------------------
# flattenLayer, folding / unfolding


def test_flatten_is_matlab_column_major():
    from layergraph import flattenLayer

    layer = flattenLayer()
    assert layer.Type == "Flatten" and layer.DEFAULT_NAME == "flatten"
    h, w, c = 3, 4, 2
    inputs = [Layout((h, w), c)]
    assert layer.infer(inputs) == [Layout((), h * w * c)]
    # a MATLAB H×W×C×N array and its torch N×C×H×W view
    X = RNG.normal(0, 1, (h, w, c, 2))
    torch_x = np.transpose(X, (3, 2, 0, 1))
    y = run(layer, inputs, torch_x).numpy()
    for n in range(2):
        np.testing.assert_array_equal(y[n], X[:, :, :, n].reshape(-1, order="F"))   # H fastest, then W, then C


def test_flatten_image_sequences_and_3d():
    from layergraph import flattenLayer

    X = RNG.normal(0, 1, (2, 3, 4, 5, 6))            # MATLAB h×w×d×c×N
    torch_x = np.transpose(X, (4, 3, 0, 1, 2))       # torch N×C×H×W×D
    y = run(flattenLayer(), [Layout((2, 3, 4), 5)], torch_x).numpy()
    np.testing.assert_array_equal(y[1], X[..., 1].reshape(-1, order="F"))
    seq = RNG.normal(0, 1, (2, 7, 3, 2, 2))          # torch N×T×C×H×W
    y = run(flattenLayer(), [Layout((2, 2), 3, True)], seq).numpy()
    assert y.shape == (2, 7, 12)
    # MATLAB element (h, w, c) of observation n, step t lands at h + 2w + 4c
    assert y[1, 4, 1 + 2 * 0 + 4 * 2] == seq[1, 4, 2, 1, 0]


def test_folding_section_applies_image_layers_per_time_step():
    from layergraph import (convolution2dLayer, flattenLayer, layerGraph, connectLayers, sequenceFoldingLayer,
                            sequenceUnfoldingLayer)

    fold = sequenceFoldingLayer(Name="fold")
    assert fold.OutputNames == ["out", "miniBatchSize"] and fold.NumOutputs == 2
    unfold = sequenceUnfoldingLayer(Name="unfold")
    assert unfold.InputNames == ["in", "miniBatchSize"]
    W = RNG.normal(0, 1, (3, 3, 2, 4))
    b = RNG.normal(0, 1, (1, 1, 4))
    layers = [
        sequenceInputLayer([5, 6, 2], Name="in"),
        fold,
        convolution2dLayer(3, 4, Name="conv", Weights=W, Bias=b),
        unfold,
        flattenLayer(Name="flat"),
        lstmLayer(3, Name="lstm", OutputMode="last"),
    ]
    lgraph = connectLayers(layerGraph(layers), "fold/miniBatchSize", "unfold/miniBatchSize")
    net = dlnetwork(lgraph)
    x = torch.randn(2, 4, 2, 5, 6)
    y = net.predict(x)
    assert y.shape == (2, 3)
    # reference: the same convolution applied to each of the N·T images separately
    conv = torch.nn.functional.conv2d(x.reshape(8, 2, 5, 6), torch.tensor(W, dtype=torch.float32).permute(3, 2, 0, 1),
                                      torch.tensor(b.reshape(-1), dtype=torch.float32))
    flat = conv.reshape(2, 4, 4, 3, 4).permute(0, 1, 2, 4, 3).reshape(2, 4, 48)
    lstm = net.Layers[5]
    _, h_ref, _ = np_lstm(flat.double().numpy(), lstm.InputWeights.double().numpy(),
                          lstm.RecurrentWeights.double().numpy(), lstm.Bias.double().numpy()[:, 0])
    np.testing.assert_allclose(y.numpy(), h_ref, rtol=1e-4, atol=1e-5)


def test_folding_errors():
    from layergraph import sequenceFoldingLayer, sequenceUnfoldingLayer

    with pytest.raises(LayoutError, match="image sequence"):
        sequenceFoldingLayer().infer([Layout((4, 4), 3)])
    with pytest.raises(LayoutError, match="miniBatchSize"):
        sequenceUnfoldingLayer().infer([Layout((4, 4), 3, True), Layout((), 3)])


# --------------------------------------------------------------------------------------------------
# wordEmbeddingLayer


def test_word_embedding_one_based_indices_and_oov_to_last_column():
    from layergraph import wordEmbeddingLayer

    dim, words = 3, 4
    W = f32(RNG.normal(0, 1, (dim, words + 1)))
    layer = wordEmbeddingLayer(dim, words, Weights=W)
    assert layer.Description == "Word embedding layer with 3 dimensions and 4 unique words"
    idx = np.array([[[1], [4], [2], [9]], [[3], [5], [1], [1]]], dtype=float)  # N×T×1, 1-based
    y = run(layer, [Layout((), 1, True)], idx).numpy()
    expected = np.zeros((2, 4, dim))
    for n in range(2):
        for t in range(4):
            k = int(idx[n, t, 0])
            expected[n, t] = W[:, min(k, words + 1) - 1]     # OOV (> NumWords) -> last column
    np.testing.assert_array_equal(y, expected)
    # a Dimension×NumWords matrix: out-of-vocabulary words share the last word's vector
    W2 = f32(RNG.normal(0, 1, (dim, words)))
    y2 = run(wordEmbeddingLayer(dim, words, Weights=W2), [Layout((), 1, True)], idx).numpy()
    np.testing.assert_array_equal(y2[0, 3], W2[:, -1])
    np.testing.assert_array_equal(y2[0, 0], W2[:, 0])


def test_word_embedding_sizes_init_and_errors():
    from layergraph import LayerGraphError, wordEmbeddingLayer

    torch.manual_seed(2)
    layer = wordEmbeddingLayer(300, 5000)
    seq = Layout((), 1, True)
    assert layer.learnable_sizes([seq]) == {"Weights": (300, 5001)}
    w = layer.initial_value("Weights", [seq])
    assert abs(float(w.std()) - 0.01) < 0.001          # narrow-normal
    with pytest.raises(LayoutError, match="one channel"):
        layer.infer([Layout((), 3, True)])
    with pytest.raises(OptionError, match="wordEmbeddingLayer.*Weights"):
        wordEmbeddingLayer(3, 4, Weights=np.zeros((3, 7)))
    with pytest.raises(OptionError, match="wordEmbeddingLayer.*OOVMode"):
        wordEmbeddingLayer(3, 4, OOVMode="ignore")
    strict = wordEmbeddingLayer(2, 3, OOVMode="error")
    with pytest.raises(LayerGraphError, match="out-of-vocabulary"):
        run(strict, [seq], np.array([[[1.0], [4.0]]]))


# --------------------------------------------------------------------------------------------------
# position embeddings, indexing, embedding concatenation


def test_position_embedding_outputs_weight_columns():
    from layergraph import positionEmbeddingLayer

    W = f32(RNG.normal(0, 1, (4, 10)))
    layer = positionEmbeddingLayer(4, 10, Weights=W)
    x = RNG.normal(0, 1, (2, 6, 3))
    y = run(layer, [SEQ], x).numpy()
    assert y.shape == (2, 6, 4)
    for t in range(6):
        np.testing.assert_array_equal(y[1, t], W[:, t])
    assert layer.infer([Layout((), 3, True, 6)]) == [Layout((), 4, True, 6)]
    with pytest.raises(LayoutError, match="MaxPosition"):
        layer.infer([Layout((), 3, True, 11)])
    spatial = positionEmbeddingLayer(4, 10, Weights=W)
    ys = run(spatial, [Layout((5,), 3)], RNG.normal(0, 1, (2, 3, 5))).numpy()   # N×C×S
    np.testing.assert_array_equal(ys[0, :, 2], W[:, 2])


def test_sinusoidal_encoding_formula():
    from layergraph import sinusoidalPositionEncodingLayer

    d = 6
    layer = sinusoidalPositionEncodingLayer(d)
    y = run(layer, [SEQ], np.zeros((2, 5, 3))).numpy()
    assert y.shape == (2, 5, d)
    for t in range(5):
        for i in range(d // 2):
            angle = t / 10000 ** (2 * i / d)
            assert y[1, t, 2 * i] == pytest.approx(math.sin(angle))
            assert y[1, t, 2 * i + 1] == pytest.approx(math.cos(angle))
    values = sinusoidalPositionEncodingLayer(4, Positions="data-values")
    v = run(values, [Layout((), 1, True)], np.array([[[2.5], [7.0]]])).numpy()
    assert v[0, 1, 2] == pytest.approx(math.sin(7.0 / 100.0))
    with pytest.raises(OptionError, match="sinusoidalPositionEncodingLayer.*OutputSize"):
        sinusoidalPositionEncodingLayer(5)


def test_indexing1d_first_last_and_padding_mask():
    from layergraph import indexing1dLayer

    x = RNG.normal(0, 1, (2, 5, 3))
    np.testing.assert_array_equal(run(indexing1dLayer(), [SEQ], x).numpy(), x[:, 0])
    np.testing.assert_array_equal(run(indexing1dLayer("last"), [SEQ], x).numpy(), x[:, -1])
    assert indexing1dLayer().infer([SEQ]) == [Layout((), 3)]
    masked = indexing1dLayer("last", HasPaddingMaskInput=True)
    assert masked.InputNames == ["in", "mask"]
    mask = np.ones((2, 5, 1))
    mask[1, 3:] = 0                      # second sequence: 3 real steps, 2 padded
    y = run(masked, [SEQ, Layout((), 1, True)], x, mask).numpy()
    np.testing.assert_array_equal(y[0], x[0, 4])
    np.testing.assert_array_equal(y[1], x[1, 2])
    first = indexing1dLayer("first", HasPaddingMaskInput=True)
    left = np.ones((2, 5, 1))
    left[0, :2] = 0                      # left padding
    y = run(first, [SEQ, Layout((), 1, True)], x, left).numpy()
    np.testing.assert_array_equal(y[0], x[0, 2])
    with pytest.raises(OptionError, match="indexing1dLayer.*Index"):
        indexing1dLayer("middle")


def test_embedding_concatenation_prepends_weights():
    from layergraph import embeddingConcatenationLayer

    w = f32(RNG.normal(0, 1, (3, 1)))
    layer = embeddingConcatenationLayer(Weights=w)
    x = RNG.normal(0, 1, (2, 4, 3))
    y = run(layer, [SEQ], x).numpy()
    assert y.shape == (2, 5, 3)
    np.testing.assert_array_equal(y[:, 0], np.tile(w[:, 0], (2, 1)))
    np.testing.assert_array_equal(y[:, 1:], x)
    assert layer.infer([Layout((), 3, True, 4)]) == [Layout((), 3, True, 5)]
    assert layer.infer([Layout((6,), 3)]) == [Layout((7,), 3)]
    ys = run(layer, [Layout((4,), 3)], np.transpose(x, (0, 2, 1))).numpy()   # SCB: N×C×S
    np.testing.assert_array_equal(ys[:, :, 0], np.tile(w[:, 0], (2, 1)))


# --------------------------------------------------------------------------------------------------
# selfAttentionLayer


def np_attention(X, Wq, bq, Wk, bk, Wv, bv, Wo, bo, heads, causal=False, keep=None):
    """X: N×T×C. Per head h: softmax over keys of (q·k)/sqrt(d) using channel block h."""
    n, t_len, _ = X.shape
    out = np.zeros((n, t_len, Wo.shape[0]))
    for k in range(n):
        Q = Wq @ X[k].T + bq[:, None]       # dk×T (MATLAB: channels × time)
        K = Wk @ X[k].T + bk[:, None]
        V = Wv @ X[k].T + bv[:, None]
        dq, dv = Q.shape[0] // heads, V.shape[0] // heads
        merged = np.zeros((V.shape[0], t_len))
        for h in range(heads):
            q, kk, v = Q[h * dq:(h + 1) * dq], K[h * dq:(h + 1) * dq], V[h * dv:(h + 1) * dv]
            s = kk.T @ q / math.sqrt(dq)     # keys × queries
            if causal:
                s = np.where(np.arange(t_len)[:, None] > np.arange(t_len)[None, :], -np.inf, s)
            if keep is not None:
                s = np.where(keep[k][:, None], s, -np.inf)
            a = np.exp(s - s.max(axis=0, keepdims=True))
            a = a / a.sum(axis=0, keepdims=True)
            merged[h * dv:(h + 1) * dv] = v @ a
        out[k] = (Wo @ merged + bo[:, None]).T
    return out


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_matches_numpy(causal):
    from layergraph import selfAttentionLayer

    c, dk, dv, o, heads = 5, 4, 6, 3, 2
    p = dict(QueryWeights=matlab_weights(dk, c), KeyWeights=matlab_weights(dk, c), ValueWeights=matlab_weights(dv, c),
             OutputWeights=matlab_weights(o, dv), QueryBias=RNG.normal(0, 1, (dk, 1)), KeyBias=RNG.normal(0, 1, (dk, 1)),
             ValueBias=RNG.normal(0, 1, (dv, 1)), OutputBias=RNG.normal(0, 1, (o, 1)))
    layer = selfAttentionLayer(heads, dk, NumValueChannels=dv, OutputSize=o,
                               AttentionMask="causal" if causal else "none", **p)
    seq = Layout((), c, True)
    X = RNG.normal(0, 1, (2, 6, c))
    y = run(layer, [seq], X).numpy()
    ref = np_attention(X, p["QueryWeights"], p["QueryBias"][:, 0], p["KeyWeights"], p["KeyBias"][:, 0],
                       p["ValueWeights"], p["ValueBias"][:, 0], p["OutputWeights"], p["OutputBias"][:, 0],
                       heads, causal=causal)
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-6)


def test_self_attention_padding_mask_defaults_and_errors():
    from layergraph import selfAttentionLayer

    torch.manual_seed(4)
    layer = selfAttentionLayer(2, 4, HasPaddingMaskInput=True)
    assert layer.InputNames == ["in", "mask"]
    seq = Layout((), 4, True)
    sizes = layer.learnable_sizes([seq, Layout((), 1, True)])
    assert sizes["OutputWeights"] == (4, 4) and sizes["ValueWeights"] == (4, 4)
    module = layer.build([seq, Layout((), 1, True)]).double()
    p = {name: getattr(module, name).detach().numpy() for name in sizes}
    X = RNG.normal(0, 1, (2, 5, 4))
    mask = np.ones((2, 5, 1))
    mask[0, 3:] = 0
    with torch.no_grad():
        y = module(as_t(X), as_t(mask)).numpy()
    ref = np_attention(X, p["QueryWeights"], p["QueryBias"], p["KeyWeights"], p["KeyBias"], p["ValueWeights"],
                       p["ValueBias"], p["OutputWeights"], p["OutputBias"], 2, keep=mask[..., 0] != 0)
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-6)
    assert np.abs(p["QueryBias"]).sum() == 0         # BiasInitializer 'zeros'
    assert layer.learnable_factors("QueryBias") == (1.0, 0.0)
    assert layer.learnable_factors("KeyWeights") == (1.0, 1.0)
    with pytest.raises(OptionError, match="selfAttentionLayer.*divisible"):
        selfAttentionLayer(3, 4)
    with pytest.raises(OptionError, match="selfAttentionLayer.*HasScoresOutput"):
        selfAttentionLayer(2, 4, HasScoresOutput=True)
    with pytest.raises(LayoutError, match="'SSCB'"):
        selfAttentionLayer(2, 4).infer([Layout((3, 3), 4)])


def test_recurrent_layers_in_a_network_default_names_and_readback():
    from layergraph import layerGraph

    W = matlab_weights(24, 3)
    R = matlab_weights(24, 3)
    b = RNG.normal(0, 0.5, (24, 1))
    layers = [sequenceInputLayer(3), bilstmLayer(3, InputWeights=W, RecurrentWeights=R, Bias=b), bilstmLayer(2),
              gruLayer(4, OutputMode="last")]
    names = [layer.Name for layer in layerGraph(layers).Layers]
    assert names == ["sequenceinput", "biLSTM_1", "biLSTM_2", "gru"]
    net = dlnetwork(layers)
    first = net.Layers[1]
    np.testing.assert_allclose(first.InputWeights.numpy(), W, rtol=1e-6)
    np.testing.assert_allclose(first.Bias.numpy(), b, rtol=1e-6)
    assert tuple(first.HiddenState.shape) == (6, 1) and float(first.HiddenState.abs().sum()) == 0
    gru = net.Layers[3]
    assert tuple(gru.InputWeights.shape) == (12, 4) and tuple(gru.Bias.shape) == (12, 1)
    y = net.predict(torch.randn(2, 7, 3))
    assert y.shape == (2, 4)
