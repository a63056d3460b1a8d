"""Update rules against closed forms and hand-worked steps; L-BFGS against a NumPy L-BFGS; dlnetwork in loops."""

import copy
import math

import numpy as np
import pytest
import torch

from layergraph import (OptionError, batchNormalizationLayer, convolution2dLayer, dlnetwork, featureInputLayer,
                        fullyConnectedLayer, imageInputLayer, layerGraph, lstmLayer, reluLayer, sequenceInputLayer,
                        softmaxLayer)
from layergraph.dl import (DLArray, adamupdate, crossentropy, dims, dlarray, dlfeval, dlgradient, dlupdate,
                           extractdata, forward, lbfgsState, lbfgsupdate, predict, resetState, rmspropupdate,
                           sgdmupdate)
from layergraph.dl.dlarray import dl_sum
from layergraph.learnables import LearnableTable

rng = np.random.default_rng(2)


def test_adam_two_hand_worked_steps():
    # p0 = 1, g1 = 0.5, g2 = -1, lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8
    p, m, v = dlarray(np.array([[1.0]])), [], []
    p, m, v = adamupdate(p, dlarray(np.array([[0.5]])), m, v, 1, 0.1)
    m1, v1 = 0.1 * 0.5, 0.001 * 0.25
    p1 = 1 - 0.1 * (math.sqrt(1 - 0.999) / (1 - 0.9)) * m1 / (math.sqrt(v1) + 1e-8)
    np.testing.assert_allclose(extractdata(m), [[m1]])
    np.testing.assert_allclose(extractdata(v), [[v1]])
    np.testing.assert_allclose(extractdata(p), [[p1]], rtol=1e-12)
    p, m, v = adamupdate(p, dlarray(np.array([[-1.0]])), m, v, 2, 0.1)
    m2, v2 = 0.9 * m1 + 0.1 * -1.0, 0.999 * v1 + 0.001 * 1.0
    p2 = p1 - 0.1 * (math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2)) * m2 / (math.sqrt(v2) + 1e-8)
    np.testing.assert_allclose(extractdata(p), [[p2]], rtol=1e-12)
    assert isinstance(p, DLArray)


def test_adam_epsilon_enters_beside_the_square_root_of_the_uncorrected_average():
    # With a large epsilon its place shows: θ ← θ − α·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + ε) (ε next to √v, v not
    # bias-corrected; docs/custom-loops.md), not α·m̂/(√v̂ + ε). Hand-worked: p0 = 2, g = 0.3, α = 0.1, ε = 0.5.
    p, m, v = adamupdate(dlarray(np.array([[2.0]])), dlarray(np.array([[0.3]])), [], [], 1, 0.1, 0.9, 0.999, 0.5)
    m1, v1 = 0.1 * 0.3, 0.001 * 0.09                     # 0.03, 9e-5; √v1 = 0.0094868...
    ours = 2 - 0.1 * (math.sqrt(1 - 0.999) / (1 - 0.9)) * m1 / (math.sqrt(v1) + 0.5)
    hat = 2 - 0.1 * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 0.5)
    np.testing.assert_allclose(extractdata(p), [[ours]], rtol=1e-12)
    assert abs(ours - hat) > 0.01                         # the two placements differ by far more than rounding
    assert abs(ours - 1.998138) < 1e-6                    # 2 − 0.1·0.316228·0.03/0.509487


def test_sgdm_and_rmsprop_two_hand_worked_steps():
    p, vel = dlarray(np.array([[2.0, -1.0]])), []
    p, vel = sgdmupdate(p, dlarray(np.array([[1.0, 2.0]])), vel, 0.1, 0.9)
    np.testing.assert_allclose(extractdata(vel), [[-0.1, -0.2]])
    np.testing.assert_allclose(extractdata(p), [[1.9, -1.2]])
    p, vel = sgdmupdate(p, dlarray(np.array([[-1.0, 0.0]])), vel, 0.1, 0.9)
    np.testing.assert_allclose(extractdata(vel), [[0.9 * -0.1 + 0.1, 0.9 * -0.2]])
    np.testing.assert_allclose(extractdata(p), [[1.9 + 0.01, -1.2 - 0.18]])
    # rmsprop: β2 0.9, ε 1e-8, lr 0.01
    q, s = dlarray(np.array([[1.0]])), []
    q, s = rmspropupdate(q, dlarray(np.array([[2.0]])), s, 0.01)
    s1 = 0.1 * 4.0
    q1 = 1 - 0.01 * 2.0 / (math.sqrt(s1) + 1e-8)
    np.testing.assert_allclose(extractdata(q), [[q1]], rtol=1e-12)
    q, s = rmspropupdate(q, dlarray(np.array([[-1.0]])), s, 0.01)
    s2 = 0.9 * s1 + 0.1 * 1.0
    np.testing.assert_allclose(extractdata(s), [[s2]])
    np.testing.assert_allclose(extractdata(q), [[q1 + 0.01 / (math.sqrt(s2) + 1e-8)]], rtol=1e-12)


def test_updates_on_cells_structs_tables_and_numeric_arrays():
    W, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    gW, gb = rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    params = {"fc": {"W": dlarray(W), "b": dlarray(b)}}
    grads = {"fc": {"W": dlarray(gW), "b": dlarray(gb)}}
    new, vel = sgdmupdate(params, grads, [], 0.5, 0.9)
    np.testing.assert_allclose(extractdata(new["fc"]["W"]), W - 0.5 * gW)
    np.testing.assert_allclose(extractdata(vel["fc"]["b"]), -0.5 * gb)
    np.testing.assert_allclose(extractdata(params["fc"]["W"]), W)           # value semantics for structures
    cell_new, _ = sgdmupdate([dlarray(W), dlarray(b)], [dlarray(gW), dlarray(gb)], [], 0.5)
    np.testing.assert_allclose(extractdata(cell_new[1]), b - 0.5 * gb)
    tbl = LearnableTable(["fc", "fc"], ["Weights", "Bias"], [dlarray(W), dlarray(b)])
    gtbl = tbl.with_values([dlarray(gW), dlarray(gb)])
    t_new, _, _ = adamupdate(tbl, gtbl, [], [], 1)
    assert isinstance(t_new, LearnableTable) and list(t_new.Parameter) == ["Weights", "Bias"]
    num_new, _ = sgdmupdate(W, gW, [], 0.5)
    assert isinstance(num_new, np.ndarray)
    np.testing.assert_allclose(num_new, W - 0.5 * gW)
    with pytest.raises(OptionError, match="iteration must be a positive integer"):
        adamupdate(dlarray(W), dlarray(gW), [], [], 1.5)


# ---- L-BFGS against a NumPy L-BFGS with the same line search ---------------------------------------------

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
bvec = np.array([1.0, -2.0, 0.5])


def _numpy_lbfgs(x, iterations, m=10, h0_first=1.0, c1=1e-4, c2=0.9, max_ls=20):
    f = lambda z: 0.5 * z @ A @ z - bvec @ z
    grad = lambda z: A @ z - bvec
    S, Y, out = [], [], []
    g = grad(x)
    for _ in range(iterations):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(S), reversed(Y)):
            rho = 1 / (y @ s)
            a = rho * (s @ q)
            alphas.append((a, rho))
            q = q - a * y
        h0 = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) if S else h0_first
        r = h0 * q
        for (s, y), (a, rho) in zip(zip(S, Y), reversed(alphas)):
            r = r + (a - rho * (y @ r)) * s
        d = -r
        f0, slope0 = f(x), g @ d
        alpha, lo, hi = 1.0, 0.0, math.inf
        for _ in range(max_ls):
            xn = x + alpha * d
            if f(xn) > f0 + c1 * alpha * slope0:
                hi, alpha = alpha, (lo + alpha) / 2
                continue
            if grad(xn) @ d < c2 * slope0:
                lo = alpha
                alpha = 2 * alpha if hi == math.inf else (lo + hi) / 2
                continue
            break
        gn = grad(xn)
        s, y = xn - x, gn - g
        if s @ y > 1e-12:
            S.append(s)
            Y.append(y)
            S, Y = S[-m:], Y[-m:]
        x, g = xn, gn
        out.append(x.copy())
    return out


def test_lbfgs_iterates_on_a_quadratic_match_numpy():
    def model_loss(p):
        x = p
        Ax = dlarray(torch.as_tensor(A) @ x.data)
        loss = 0.5 * dl_sum(x * Ax, "all") - dl_sum(x * dlarray(bvec.reshape(-1, 1)), "all")
        return loss, dlgradient(loss, x)

    x0 = np.array([1.0, 1.0, 1.0])
    want = _numpy_lbfgs(x0.copy(), 5)
    p, state = dlarray(x0.reshape(-1, 1)), lbfgsState()
    for k in range(5):
        p, state = lbfgsupdate(p, lambda q: dlfeval(model_loss, q), state)
        np.testing.assert_allclose(extractdata(p).ravel(), want[k], rtol=1e-9, atol=1e-12)
        assert state.LineSearchStatus == "completed" and state.Iteration == k + 1
    for _ in range(10):
        p, state = lbfgsupdate(p, lambda q: dlfeval(model_loss, q), state)
    np.testing.assert_allclose(extractdata(p).ravel(), np.linalg.solve(A, bvec), atol=1e-6)


# ---- dlnetwork in loops ----------------------------------------------------------------------------------

def _net():
    torch.manual_seed(0)
    return dlnetwork([imageInputLayer([5, 5, 1], Normalization="none"), convolution2dLayer(3, 2),
                      batchNormalizationLayer, reluLayer, fullyConnectedLayer(3), softmaxLayer])


def test_forward_predict_layouts_and_outputs_option():
    net = _net()
    x = rng.random((5, 5, 1, 4)).astype(np.float32)
    X = dlarray(x, "SSCB")
    Y, state = forward(net, X)
    assert dims(Y) == "CB" and Y.size() == (3, 4)
    ref = copy.deepcopy(net)(torch.from_numpy(x.transpose(3, 2, 0, 1)))     # torch layout N×C×H×W, training mode
    np.testing.assert_allclose(extractdata(Y), ref.detach().numpy().T, rtol=1e-5, atol=1e-6)
    assert list(state.Parameter) == ["TrainedMean", "TrainedVariance"]
    # the network keeps its state until it is assigned
    np.testing.assert_allclose(extractdata(net.State.Value[0]), 0)
    net.State = state
    np.testing.assert_allclose(extractdata(net.State.Value[0]), extractdata(state.Value[0]))
    # predict: dlarray in, dlarray out (inference mode); a torch tensor in torch layout gives a tensor
    P = predict(net, X)
    assert dims(P) == "CB"
    T = predict(net, torch.from_numpy(x.transpose(3, 2, 0, 1)))
    assert isinstance(T, np.ndarray | torch.Tensor)
    np.testing.assert_allclose(np.asarray(T), extractdata(P).T, rtol=1e-5, atol=1e-6)
    act = predict(net, X, "Outputs", "conv")
    assert dims(act) == "SSCB" and act.size() == (3, 3, 2, 4)
    Yc, Yf, _ = forward(net, X, Outputs=["conv", "fc"])
    assert Yc.size() == (3, 3, 2, 4) and Yf.size() == (3, 4)


def test_dlgradient_with_respect_to_learnables_in_matlab_layout():
    net = _net()
    x = rng.random((5, 5, 1, 4)).astype(np.float32)
    T = np.eye(3, dtype=np.float32)[:, [0, 1, 2, 0]]

    def model_loss(net, X, T):
        Y, state = forward(net, X)
        loss = crossentropy(Y, T)
        return loss, dlgradient(loss, net.Learnables), state

    loss, grads, state = dlfeval(model_loss, net, dlarray(x, "SSCB"), T)
    assert list(grads.Layer) == list(net.Learnables.Layer)
    for value, grad in zip(net.Learnables.Value, grads.Value):
        assert grad.size() == value.size()
    # the conv weights' gradient against torch autograd on the module, converted to MATLAB layout
    tnet = copy.deepcopy(net)
    tnet.train()
    out = tnet(torch.from_numpy(x.transpose(3, 2, 0, 1)))
    tl = -(torch.from_numpy(T.T) * torch.log(out)).sum() / 4
    tl.backward()
    conv = tnet.learnable_sources()[0][2]
    np.testing.assert_allclose(extractdata(grads.Value[0]), conv.to_matlab(conv.tensor.grad).numpy(), rtol=1e-4,
                               atol=1e-6)
    assert abs(float(loss) - float(tl.detach())) < 1e-5


def test_learnables_table_assignment_round_trip_and_dlupdate():
    net = _net()
    tbl = net.Learnables
    w = extractdata(tbl.Value[0])
    tbl.Value[0] = dlarray(np.zeros_like(w))
    net.Learnables = tbl
    np.testing.assert_allclose(extractdata(net.Learnables.Value[0]), 0)
    # net.Learnables.Value{k} = v, the MATLAB one-liner, writes into the network
    net.Learnables.Value[1] = dlarray(np.full((1, 1, 2), 3.0))
    np.testing.assert_allclose(extractdata(net.Learnables.Value[1]), 3)
    snapshot = net.Learnables.copy()                 # an unbound copy does not write through
    snapshot.Value[1] = dlarray(np.zeros((1, 1, 2)))
    np.testing.assert_allclose(extractdata(net.Learnables.Value[1]), 3)
    net = dlupdate(lambda p: p + 1, net)
    np.testing.assert_allclose(extractdata(net.Learnables.Value[0]), 1)
    # L2 regularization the MATLAB way: grad = dlupdate(@(g, w) g + l2*w, grad, net.Learnables)
    grads = net.Learnables.with_values([dlarray(np.ones(v.size())) for v in net.Learnables.Value])
    reg = dlupdate(lambda g, w: g + 0.5 * w, grads, net.Learnables)
    np.testing.assert_allclose(extractdata(reg.Value[0]), 1.5)
    # layerGraph / dlnetwork round trip keeps the values
    x = dlarray(rng.random((5, 5, 1, 2)).astype(np.float32), "SSCB")
    again = dlnetwork(layerGraph(net))
    np.testing.assert_allclose(extractdata(predict(again, x)), extractdata(predict(net, x)), rtol=1e-6)


def test_adamupdate_on_a_network_matches_the_formula_per_parameter():
    net = _net()
    before = [extractdata(v).copy() for v in net.Learnables.Value]
    grads = net.Learnables.with_values([dlarray(rng.standard_normal(v.size()).astype(np.float32))
                                        for v in net.Learnables.Value])
    net2, avg, sq = adamupdate(net, grads, [], [], 1, 0.01)
    assert net2 is net and isinstance(avg, LearnableTable)
    for b, g, a in zip(before, grads.Value, net.Learnables.Value):
        g = extractdata(g)
        m, v = 0.1 * g, 0.001 * g * g
        want = b - 0.01 * (math.sqrt(0.001) / 0.1) * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(extractdata(a), want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(extractdata(avg.Value[1]), 0.1 * extractdata(grads.Value[1]), rtol=1e-6)


def test_reset_state_of_recurrent_layers():
    net = dlnetwork([sequenceInputLayer(2), lstmLayer(3, OutputMode="last"), fullyConnectedLayer(1)])
    state = net.State
    state.Value[0] = dlarray(np.ones((3, 1), dtype=np.float32))
    net.State = state
    np.testing.assert_allclose(extractdata(net.State.Value[0]), 1)
    net = resetState(net)
    np.testing.assert_allclose(extractdata(net.State.Value[0]), 0)
