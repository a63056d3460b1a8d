"""The updated recurrent state of dlnetwork ``forward`` / ``[Y, state] = predict`` (MATLAB: the hidden and
cell states after the last time step, one column per observation), ``net.State = state``, ``resetState``,
checked against NumPy step loops written here from the documented gate equations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import batchNormalizationLayer, bilstmLayer, dlnetwork, gruLayer, lstmLayer
from layergraph import sequenceInputLayer
from layergraph.dl import dlarray, extractdata, forward, predict, resetState
from layergraph.errors import LayerGraphError

torch.set_num_threads(1)
C, H, N = 3, 4, 2


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_lstm(X, W, R, b, h, c, reverse=False):
    """MATLAB lstmLayer: X C×N×T; gates [i; f; g; o] = W x + R h + b; c = f.*c + i.*g; h = o.*tanh(c)."""
    steps = range(X.shape[2] - 1, -1, -1) if reverse else range(X.shape[2])
    ys = {}
    for t in steps:
        z = W @ X[:, :, t] + R @ h + b
        i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        ys[t] = h
    return np.stack([ys[t] for t in range(X.shape[2])], axis=2), h, c


def np_gru(X, W, R, b, h):
    """MATLAB gruLayer ('after-multiplication'): r, z = σ(W x + R h + b); h̃ = tanh(W_h x + r.*(R_h h) + b_h);
    h = (1 - z).*h̃ + z.*h."""
    ys = []
    for t in range(X.shape[2]):
        xw = W @ X[:, :, t] + b
        rh = R @ h
        r = sigmoid(xw[:H] + rh[:H])
        z = sigmoid(xw[H:2 * H] + rh[H:2 * H])
        cand = np.tanh(xw[2 * H:] + r * rh[2 * H:])
        h = (1 - z) * cand + z * h
        ys.append(h)
    return np.stack(ys, axis=2), h


def values(net):
    """The network's learnables in MATLAB layout, float64, by parameter name."""
    return {p: np.asarray(extractdata(v), dtype=np.float64) for p, v in zip(net.Learnables.Parameter, net.Learnables.Value)}


def state_values(table):
    return [np.asarray(extractdata(v), dtype=np.float64) for v in table.Value]


def cbt(X):
    return dlarray(X.astype(np.float32), "CBT")


def make_lstm(mode="sequence", **kw):
    rng = np.random.default_rng(1)
    h0 = rng.standard_normal((H, 1)).astype(np.float32) * 0.5
    c0 = rng.standard_normal((H, 1)).astype(np.float32) * 0.5
    return dlnetwork([sequenceInputLayer(C), lstmLayer(H, OutputMode=mode, HiddenState=h0, CellState=c0, **kw)]), h0, c0


def make_gru(mode="sequence"):
    rng = np.random.default_rng(2)
    b = rng.standard_normal((3 * H, 1)).astype(np.float32) * 0.5
    h0 = rng.standard_normal((H, 1)).astype(np.float32) * 0.5
    return dlnetwork([sequenceInputLayer(C), gruLayer(H, OutputMode=mode, Bias=b, HiddenState=h0)]), h0


X = np.random.default_rng(0).standard_normal((C, N, 7))


def test_forward_state_is_the_final_lstm_state():
    net, h0, c0 = make_lstm()
    p = values(net)
    Y, state = forward(net, cbt(X))
    ys, h, c = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"], np.tile(h0, (1, N)),
                       np.tile(c0, (1, N)))
    assert list(state.Parameter) == ["HiddenState", "CellState"]
    hs, cs = state_values(state)
    assert hs.shape == (H, N) and cs.shape == (H, N)          # NumHiddenUnits-by-N
    np.testing.assert_allclose(hs, h, atol=1e-5)
    np.testing.assert_allclose(cs, c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(extractdata(Y)), ys, atol=1e-5)
    # value semantics: the network keeps its initial state until net.State = state
    np.testing.assert_allclose(state_values(net.State)[0], h0, atol=0)
    net.State = state
    hs2, cs2 = state_values(net.State)
    np.testing.assert_allclose(hs2, h, atol=1e-5)
    assert hs2.shape == (H, N)
    assert net.Layers[1].HiddenState.shape == (H, N)


def test_predict_with_two_outputs_returns_the_updated_state():
    net, h0, c0 = make_lstm("last")
    p = values(net)
    Y, state = predict(net, cbt(X), nargout=2)
    _, h, c = np_lstm(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"], np.tile(h0, (1, N)), np.tile(c0, (1, N)))
    np.testing.assert_allclose(state_values(state)[0], h, atol=1e-5)
    np.testing.assert_allclose(state_values(state)[1], c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(extractdata(Y)), h, atol=1e-5)
    Y1 = predict(net, cbt(X))                      # one output: just Y, as before
    np.testing.assert_allclose(np.asarray(extractdata(Y1)), h, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("mode", ["sequence", "last"])
@pytest.mark.parametrize("function", ["forward", "predict"])
def test_two_chained_calls_equal_one_call_on_the_whole_sequence(kind, mode, function):
    net = make_lstm(mode)[0] if kind == "lstm" else make_gru(mode)[0]
    call = (lambda x: forward(net, x)) if function == "forward" else (lambda x: predict(net, x, nargout=2))
    Y_all, s_all = call(cbt(X))
    Y_a, s_a = call(cbt(X[:, :, :3]))
    net.State = s_a
    Y_b, s_b = call(cbt(X[:, :, 3:]))
    for a, b in zip(state_values(s_all), state_values(s_b)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    y_all = np.asarray(extractdata(Y_all))
    if mode == "sequence":
        np.testing.assert_allclose(np.concatenate([np.asarray(extractdata(Y_a)), np.asarray(extractdata(Y_b))], 2),
                                   y_all, atol=1e-5)
    else:
        np.testing.assert_allclose(np.asarray(extractdata(Y_b)), y_all, atol=1e-5)


def test_gru_state_against_numpy():
    net, h0 = make_gru()
    p = values(net)
    _, state = forward(net, cbt(X))
    _, h = np_gru(X, p["InputWeights"], p["RecurrentWeights"], p["Bias"], np.tile(h0, (1, N)))
    assert list(state.Parameter) == ["HiddenState"]
    np.testing.assert_allclose(state_values(state)[0], h, atol=1e-5)


def test_bilstm_state_is_forward_direction_first():
    net = dlnetwork([sequenceInputLayer(C), bilstmLayer(H)])
    p = values(net)
    W, R, b = p["InputWeights"], p["RecurrentWeights"], p["Bias"]
    _, state = forward(net, cbt(X))
    zero = np.zeros((H, N))
    _, hf, cf = np_lstm(X, W[:4 * H], R[:4 * H], b[:4 * H], zero, zero)
    _, hb, cb = np_lstm(X, W[4 * H:], R[4 * H:], b[4 * H:], zero, zero, reverse=True)
    hs, cs = state_values(state)
    assert hs.shape == (2 * H, N)
    np.testing.assert_allclose(hs, np.vstack([hf, hb]), atol=1e-5)
    np.testing.assert_allclose(cs, np.vstack([cf, cb]), atol=1e-5)
    net.State = state                              # the next call starts each direction from its column
    _, state2 = forward(net, cbt(X))
    _, hf2, _ = np_lstm(X, W[:4 * H], R[:4 * H], b[:4 * H], hf, cf)
    np.testing.assert_allclose(state_values(state2)[0][:H], hf2, atol=1e-5)


def test_batch_norm_state_still_updated_beside_the_lstm():
    net = dlnetwork([sequenceInputLayer(C), batchNormalizationLayer(), lstmLayer(H)])
    _, state = forward(net, cbt(X))
    params = list(state.Parameter)
    assert params == ["TrainedMean", "TrainedVariance", "HiddenState", "CellState"]
    mean = state_values(state)[0].reshape(-1)
    var = state_values(state)[1].reshape(-1)
    flat = X.reshape(C, -1)
    # MATLAB's running statistics: 0.9 * old + 0.1 * batch (old mean 0, old variance 1; unbiased variance)
    np.testing.assert_allclose(mean, 0.1 * flat.mean(1), atol=1e-5)
    np.testing.assert_allclose(var, 0.9 + 0.1 * flat.var(1, ddof=1), atol=1e-5)
    assert state_values(net.State)[0].reshape(-1).tolist() == [0.0] * C      # unchanged until assigned
    net.State = state
    np.testing.assert_allclose(state_values(net.State)[0].reshape(-1), mean, atol=1e-6)


def test_reset_state_returns_to_the_initial_state():
    net, h0, c0 = make_lstm()
    _, state = forward(net, cbt(X))
    net.State = state
    net = resetState(net)
    hs, cs = state_values(net.State)
    assert hs.shape == (H, 1)
    np.testing.assert_allclose(hs, h0, atol=0)
    np.testing.assert_allclose(cs, c0, atol=0)
    _, again = forward(net, cbt(X))                # and the next call starts from it again
    for a, b in zip(state_values(again), state_values(state)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_state_of_n_columns_with_another_number_of_observations_is_an_error():
    net, _, _ = make_lstm()
    _, state = forward(net, cbt(X))
    net.State = state
    with pytest.raises(LayerGraphError, match=r"Layer 'lstm'.*2 columns.*3 observations"):
        forward(net, cbt(np.zeros((C, 3, 2))))
    # a one-column state (H-by-1) is used for every observation
    one = state.with_values([v[:, 0] for v in state.Value])
    net.State = one
    _, s3 = forward(net, cbt(np.zeros((C, 3, 2))))
    assert state_values(s3)[0].shape == (H, 3)


def test_state_assignment_checks_the_size():
    net, _, _ = make_lstm()
    with pytest.raises(LayerGraphError, match="wrong size"):
        net.State = net.State.with_values([np.zeros((H + 1, 2)), np.zeros((H, 1))])
    net.State = net.State.with_values([np.ones((H, 3)), np.ones((H, 3))])
    assert state_values(net.State)[0].shape == (H, 3)


SNIPPET = """
rng(0);
W = rand(16, 3) - 0.5; R = rand(16, 4) - 0.5; b = rand(16, 1) - 0.5;
X = dlarray(rand(3, 2, 5), 'CBT');
layers = [sequenceInputLayer(3) lstmLayer(4, 'InputWeights', W, 'RecurrentWeights', R, 'Bias', b)];
net = dlnetwork(layers);
[Y, state] = forward(net, X);
net.State = state;
h1 = extractdata(net.State.Value{1});
c1 = extractdata(net.State.Value{2});
[Y2, state2] = predict(net, X);
h2 = extractdata(state2.Value{1});
"""


def test_matlab_snippet_run_and_ported_give_the_documented_state():
    from matlab_differential import execute, interpret, translated

    ran = interpret(SNIPPET)
    assert ran[0] == "ok", ran
    ported = execute(translated(SNIPPET))
    assert ported[0] == "ok", ported
    for ws in (ran[1], ported[1]):
        W, R, b = (np.asarray(ws[k], dtype=np.float64) for k in ("W", "R", "b"))
        Xv = np.asarray(extractdata(ws["X"]), dtype=np.float64)
        zero = np.zeros((4, 2))
        _, h, c = np_lstm(Xv, W, R, b, zero, zero)
        _, h2, _ = np_lstm(Xv, W, R, b, h, c)
        np.testing.assert_allclose(np.asarray(ws["h1"], dtype=np.float64), h, atol=1e-5)
        np.testing.assert_allclose(np.asarray(ws["c1"], dtype=np.float64), c, atol=1e-5)
        np.testing.assert_allclose(np.asarray(ws["h2"], dtype=np.float64), h2, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(ran[1]["h2"]), np.asarray(ported[1]["h2"]))


def test_layer_graph_round_trip_keeps_a_state_of_n_columns():
    from layergraph import layerGraph

    net, _, _ = make_lstm()
    _, state = forward(net, cbt(X))
    net.State = state
    assert tuple(layerGraph(net).Layers[1].HiddenState.shape) == (H, N)
    rebuilt = dlnetwork(layerGraph(net))
    for a, b in zip(state_values(rebuilt.State), state_values(state)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    _, s1 = forward(net, cbt(X))
    _, s2 = forward(rebuilt, cbt(X))
    np.testing.assert_allclose(state_values(s1)[0], state_values(s2)[0], atol=1e-6)


def test_numeric_input_with_a_state_output_is_a_clear_error():
    net, _, _ = make_lstm()
    with pytest.raises(LayerGraphError, match="state output .* needs dlarray input"):
        predict(net, np.zeros((N, 5, C), dtype=np.float32), nargout=2)


NUMERIC_SNIPPET = """
rng(0);
W = rand(16, 3) - 0.5; R = rand(16, 4) - 0.5; b = rand(16, 1) - 0.5; V = rand(2, 4) - 0.5;
X = rand(3, 6);
layers = [sequenceInputLayer(3) lstmLayer(4, 'InputWeights', W, 'RecurrentWeights', R, 'Bias', b) ...
          fullyConnectedLayer(2, 'Weights', V, 'Bias', zeros(2, 1))];
net = dlnetwork(layers);
Yall = predict(net, X, InputDataFormats="CT");
[Y1, state] = predict(net, X(:, 1:2), InputDataFormats="CT");
net.State = state;
Y2 = predict(net, X(:, 3:6), InputDataFormats="CT");
net = resetState(net);
Y3 = predict(net, X(:, 3:6), InputDataFormats="CT");
"""


def test_numeric_predict_with_input_formats_carries_the_state_like_matlab_reset_state_example():
    """MathWorks' resetState page: ``[scores, state] = predict(net, X, InputDataFormats="CT"); net.State = state``."""
    from matlab_differential import execute, interpret, translated

    ran = interpret(NUMERIC_SNIPPET)
    assert ran[0] == "ok", ran
    ported = execute(translated(NUMERIC_SNIPPET))
    assert ported[0] == "ok", ported
    for ws in (ran[1], ported[1]):
        W, R, b, V, Xv = (np.asarray(ws[k], dtype=np.float64) for k in ("W", "R", "b", "V", "X"))
        ys, _, _ = np_lstm(Xv[:, None, :], W, R, b, np.zeros((4, 1)), np.zeros((4, 1)))
        want = np.einsum("kh,ht->kt", V, ys[:, 0, :])                     # K×T
        assert ws["Yall"].shape == (2, 6) and ws["Y2"].shape == (2, 4)
        np.testing.assert_allclose(ws["Yall"], want, atol=1e-5)
        np.testing.assert_allclose(np.concatenate([ws["Y1"], ws["Y2"]], 1), want, atol=1e-5)
        ys3, _, _ = np_lstm(Xv[:, None, 2:], W, R, b, np.zeros((4, 1)), np.zeros((4, 1)))
        np.testing.assert_allclose(ws["Y3"], np.einsum("kh,ht->kt", V, ys3[:, 0, :]), atol=1e-5)
    np.testing.assert_array_equal(ran[1]["Y2"], ported[1]["Y2"])


@pytest.mark.parametrize("kind", ["lstmProjectedLayer", "gruProjectedLayer"])
def test_projected_layers_carry_their_state_too(kind):
    import layergraph

    net = dlnetwork([sequenceInputLayer(C), getattr(layergraph, kind)(H, 2, 2)])
    _, s_all = forward(net, cbt(X))
    _, s_a = forward(net, cbt(X[:, :, :4]))
    assert state_values(s_a)[0].shape == (H, N)
    net.State = s_a
    _, s_b = forward(net, cbt(X[:, :, 4:]))
    for a, b in zip(state_values(s_all), state_values(s_b)):
        np.testing.assert_allclose(a, b, atol=1e-5)
