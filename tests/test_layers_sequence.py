"""Numeric reference tests for the recurrent and sequence layers.

The references below are NumPy step loops written from MATLAB's documented equations, using weights
in MATLAB layout (gate blocks i, f, g, o for LSTM; r, z, h̃ for GRU). They never call the layer code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from layergraph import OptionError, LayoutError, dlnetwork, lstmLayer, sequenceInputLayer
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
