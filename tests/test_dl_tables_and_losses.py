"""Custom-loop tables share their rows, and losses of network outputs computed in the engine's layout.

The tables of a custom loop (net.Learnables, gradients, solver states, forward's state) share the
network's Layer/Parameter rows; each must still behave as its own MATLAB value. crossentropy, mse and
binarycrossentropy of a network output use the output in torch layout and permute the targets instead:
the losses and their gradients must equal the same formulas on the MATLAB-layout data.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from layergraph import GraphError, dlnetwork, fullyConnectedLayer, lstmLayer, sequenceInputLayer, sigmoidLayer
from layergraph.dl import (DLArray, DLArrayError, adamupdate, binarycrossentropy, crossentropy, dlarray, dlfeval,
                           dlgradient, extractdata, forward, mse, sgdmupdate)
from layergraph.learnables import LearnableTable
from layergraph.values import categorical, onehotencode

from dl_helpers import image_net

rng = np.random.default_rng(7)


def _image_net():
    return image_net(1)


def _batch():
    """Six 4×4×2 images (SSCB) and their one-hot targets (5×6, MATLAB layout C×B)."""
    X = dlarray(rng.random((4, 4, 2, 6)).astype(np.float32), "SSCB")
    return X, onehotencode(categorical(list("abcdea"), list("abcde")), 2).T


def _model_loss(net, X, T):
    """[loss, gradients, state] = modelLoss(net, X, T), as in MathWorks' custom-loop example."""
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    return loss, dlgradient(loss, net.Learnables), state


def test_tables_made_from_one_network_are_separate_values():
    net = _image_net()
    a, b = net.Learnables, net.Learnables
    assert list(a.Layer) == list(b.Layer) == ["conv", "conv", "batchnorm", "batchnorm", "fc", "fc"]
    grads = a.with_values([dlarray(np.full(v.size(), 2.0)) for v in a.Value])
    grads.Layer[0] = "renamed"                     # changing one table's column changes no other table
    assert a.Layer[0] == "conv" and net.Learnables.Layer[0] == "conv" and grads.Layer[0] == "renamed"
    copy = grads.copy()
    copy.Value[1] = dlarray(np.zeros(3))
    np.testing.assert_allclose(extractdata(grads.Value[1]), 2.0)
    assert grads.height == 6 and len(list(grads.rows())) == 6
    sub = grads[[0, 4]]
    assert list(sub.Layer) == ["renamed", "fc"] and sub.height == 2


def test_assigning_a_state_table_checks_every_row_before_writing():
    net = _image_net()
    mean_before = extractdata(net.State.Value[0]).copy()
    bad = LearnableTable(["batchnorm", "batchnorm"], ["TrainedMean", "TrainedVariance"],
                         [dlarray(np.full((1, 1, 3), 5.0)), dlarray(np.ones(7))])
    with pytest.raises(GraphError, match="wrong size"):
        net.State = bad
    np.testing.assert_allclose(extractdata(net.State.Value[0]), mean_before)     # nothing written
    not_numeric = LearnableTable(["batchnorm"], ["TrainedMean"], [object()])
    with pytest.raises(GraphError, match="numeric"):
        net.State = not_numeric
    # forward's state table goes back into the network by position
    X = dlarray(rng.random((4, 4, 2, 6)).astype(np.float32), "SSCB")
    _, state = forward(net, X)
    net.State = state
    np.testing.assert_allclose(extractdata(net.State.Value[0]), extractdata(state.Value[0]))
    assert not np.allclose(extractdata(net.State.Value[0]), mean_before)


def test_losses_of_a_network_output_equal_the_formulas_on_matlab_layout_data():
    net = _image_net()
    X = dlarray(rng.random((4, 4, 2, 6)).astype(np.float32), "SSCB")
    labels = categorical(list("abcdeabcde")[:6], list("abcde"))
    T = onehotencode(labels, 2).T                              # 5×6, MATLAB layout (C×B)
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0])

    def losses(net, X, T, materialize):
        Y, _ = forward(net, X)
        assert Y._data is None                                 # the output is still in engine layout
        if materialize:
            Y = DLArray(Y.data, Y.fmt)                          # the traced data permuted to MATLAB layout
        out = [crossentropy(Y, T), crossentropy(Y, T, weights), crossentropy(Y, T, NormalizationFactor="all-elements"),
               crossentropy(Y, T, "TargetCategories", "independent"), mse(Y, T), binarycrossentropy(Y, T)]
        total = out[0] + out[1] + out[2] + out[3] + out[4] + out[5]
        return (*out, dlgradient(total, net.Learnables))

    fast = dlfeval(losses, net, X, T, False)
    slow = dlfeval(losses, net, X, T, True)
    for a, b in zip(fast[:-1], slow[:-1]):
        np.testing.assert_allclose(float(a), float(b), rtol=1e-6)
    for ga, gb in zip(fast[-1].Value, slow[-1].Value):
        np.testing.assert_allclose(extractdata(ga), extractdata(gb), rtol=1e-5, atol=1e-7)
    # against NumPy: −Σ T·log Y / N (all-elements: the element count over the classes, N here),
    # −Σ T·log Y + (1−T)·log(1−Y) / N and Σ (Y − T)² / (2N)
    y = extractdata(forward(net, X)[0])
    both = -(T * np.log(y) + (1 - T) * np.log(1 - y)).sum() / 6
    want = [-(T * np.log(y)).sum() / 6, -(weights[:, None] * T * np.log(y)).sum() / 6, -(T * np.log(y)).sum() / 6,
            both, ((y - T) ** 2).sum() / 12, both]
    for got, expected in zip(fast[:-1], want):
        np.testing.assert_allclose(float(got), expected, rtol=1e-5)
    # the gradient of the total against torch autograd on the module with the same formulas written out
    module = copy.deepcopy(net)
    module.train()
    out = module(torch.from_numpy(extractdata(X).transpose(3, 2, 0, 1).copy()))          # N×C, torch layout
    t, w = torch.from_numpy(T.T.copy()), torch.from_numpy(weights).float()
    ce = -(t * torch.log(out)).sum() / 6
    total = (2 * ce - (w * t * torch.log(out)).sum() / 6
             + 2 * (-(t * torch.log(out) + (1 - t) * torch.log(1 - out)).sum() / 6) + ((out - t) ** 2).sum() / 12)
    total.backward()
    conv = module.learnable_sources()[0][2]
    np.testing.assert_allclose(extractdata(fast[-1].Value[0]), conv.to_matlab(conv.tensor.grad).numpy(),
                               rtol=1e-4, atol=1e-6)


def test_sequence_output_losses_and_target_size_errors():
    torch.manual_seed(2)
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(4), fullyConnectedLayer(2), sigmoidLayer])
    X = dlarray(rng.random((3, 5, 7)).astype(np.float32), "CBT")      # C×B×T
    Y, _ = forward(net, X)
    assert Y.fmt == "CBT" and Y._data is None
    T = (rng.random((2, 5, 7)) > 0.5).astype(np.float32)
    y = extractdata(forward(net, X)[0])
    want = -(T * np.log(y) + (1 - T) * np.log(1 - y)).sum() / 5
    np.testing.assert_allclose(float(binarycrossentropy(Y, T)), want, rtol=1e-5)
    np.testing.assert_allclose(float(mse(Y, T)), ((y - T) ** 2).sum() / 10, rtol=1e-5)
    # targets with the same number of elements are read in MATLAB's column-major order
    flat = T.reshape(-1, order="F")
    np.testing.assert_allclose(float(mse(Y, flat.reshape(2, 35, order="F"))), ((y - T) ** 2).sum() / 10, rtol=1e-5)
    with pytest.raises(DLArrayError, match="same size"):
        mse(Y, np.zeros((2, 5, 6), dtype=np.float32))


def test_gradient_tables_pass_through_dlfeval_and_adam_by_position():
    net = _image_net()
    X, T = _batch()
    loss, grads, state = dlfeval(_model_loss, net, X, T)
    assert not any(v.data.requires_grad for v in grads.Value) and not loss.data.requires_grad
    before = [extractdata(v).copy() for v in net.Learnables.Value]
    net, avg, sq = adamupdate(net, grads, [], [], 1, 0.01)
    for b, g, a in zip(before, grads.Value, net.Learnables.Value):
        g = extractdata(g)
        step = 0.01 * (np.sqrt(1 - 0.999) / (1 - 0.9)) * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-8)
        np.testing.assert_allclose(extractdata(a), b - step, rtol=1e-4, atol=1e-6)
    # a gradient table whose rows are in another order is matched by name
    shuffled = grads[[5, 4, 3, 2, 1, 0]]
    net2 = _image_net()
    net2, *_ = adamupdate(net2, shuffled, [], [], 1, 0.01)
    net3 = _image_net()
    net3, *_ = adamupdate(net3, grads, [], [], 1, 0.01)
    for a, b in zip(net2.Learnables.Value, net3.Learnables.Value):
        np.testing.assert_allclose(extractdata(a), extractdata(b))


def test_onehotencode_typenames():
    a = categorical(["b", "a", "c"])
    logical = onehotencode(a, 2, "logical")
    assert logical.dtype == np.bool_ and logical.tolist() == np.eye(3, dtype=bool)[[1, 0, 2]].tolist()
    assert onehotencode(a, 2, "uint8").dtype == np.uint8
    from layergraph import OptionError
    with pytest.raises(OptionError, match="floating-point"):
        onehotencode(categorical(["a", ""], ["a", "b"]), 2, "uint8")
    # featureDim 3 of an N×1 array: N×1×K
    b = onehotencode(a, 3)
    assert b.shape == (3, 1, 3) and b[:, 0, :].tolist() == np.eye(3)[[1, 0, 2]].tolist()


def test_dlarray_formats_checked_every_time():
    x = rng.random((3, 4, 5))
    for _ in range(2):
        d = dlarray(x, "CBS")
        assert d.fmt == "SCB" and d.size() == (5, 3, 4)
        np.testing.assert_allclose(extractdata(d), x.transpose(2, 0, 1))
        with pytest.raises(DLArrayError, match="invalid dimension label"):
            dlarray(x, "CBX")
        with pytest.raises(DLArrayError, match="more than one"):
            dlarray(x, "CCB")
    assert dlarray(rng.random((2, 3)), "sscb").size() == (2, 3)      # trailing singleton labels


def test_tables_changed_inside_dlfeval_come_out_untraced():
    net = _image_net()
    X = dlarray(rng.random((4, 4, 2, 3)).astype(np.float32), "SSCB")

    def edit(net, X):
        Y, state = forward(net, X)
        loss = mse(Y, np.zeros((5, 3), dtype=np.float32))
        grads = dlgradient(loss, net.Learnables)
        grads.Value[0] = Y                       # traced values put into the tables dlfeval returns
        state.Value[1] = Y * 2
        return grads, state, Y

    grads, state, Y = dlfeval(edit, net, X)
    assert not grads.Value[0].data.requires_grad and not state.Value[1].data.requires_grad
    np.testing.assert_allclose(extractdata(grads.Value[0]), extractdata(Y))
    np.testing.assert_allclose(extractdata(state.Value[1]), 2 * extractdata(Y), rtol=1e-6)


def test_network_changed_between_forward_and_dlgradient_is_a_clear_error():
    net = _image_net()
    X = dlarray(rng.random((4, 4, 2, 3)).astype(np.float32), "SSCB")

    def change_then_differentiate(net, X):
        Y, _ = forward(net, X)
        loss = mse(Y, np.zeros((5, 3), dtype=np.float32))
        net.Learnables.Value[0] = dlarray(np.zeros((3, 3, 2, 3), dtype=np.float32))    # written into net
        return dlgradient(loss, net.Learnables)

    with pytest.raises(DLArrayError, match="changed afterwards"):
        dlfeval(change_then_differentiate, net, X)
    np.testing.assert_allclose(extractdata(net.Learnables.Value[0]), 0)
    # an edited table no longer shows the network's tensors (dlgradient then reads it row by row)
    edited = net.Learnables
    edited.Value[0] = dlarray(np.ones((3, 3, 2, 3), dtype=np.float32))
    assert not edited.shows_network() and net.Learnables.shows_network()


def test_loop_tables_hold_torch_layout_tensors_until_read():
    net = _image_net()
    X, T = _batch()
    loss, grads, state = dlfeval(_model_loss, net, X, T)
    conv_weights = net.learnable_sources()[0][2]
    engine = grads.engine_values()
    assert engine is not None and tuple(engine[0].shape) == tuple(conv_weights.tensor.shape)   # F×C×kh×kw
    net.State = state                                   # read as tensors, by position
    net, avg, sq = adamupdate(net, grads, [], [], 1, 0.01)
    assert avg.engine_values() is not None and grads.engine_values() is not None
    # reading a value shows it in MATLAB layout (kh×kw×C×F for convolution weights), once
    g = grads.Value[0]
    assert g.size() == (3, 3, 2, 3)
    np.testing.assert_allclose(extractdata(g), engine[0].permute(2, 3, 1, 0).numpy())
    np.testing.assert_allclose(extractdata(avg.Value[0]), 0.1 * extractdata(g), rtol=1e-6)
    np.testing.assert_allclose(extractdata(net.State.Value[1]), extractdata(state.Value[1]))
    assert grads.engine_values() is None               # read since: the dlarrays are the values now
    # a value set by the user is what the next update uses
    avg.Value[0] = dlarray(np.zeros((3, 3, 2, 3), dtype=np.float32))
    before = extractdata(net.Learnables.Value[0]).copy()
    net, avg2, _ = adamupdate(net, grads, avg, sq, 2, 0.01)
    np.testing.assert_allclose(extractdata(avg2.Value[0]), 0.1 * extractdata(g), rtol=1e-6)   # 0.9·0 + 0.1·g
    assert not np.allclose(extractdata(net.Learnables.Value[0]), before)


def test_extractdata_of_a_network_value_is_a_snapshot():
    net = _image_net()
    before = [extractdata(v) for v in net.Learnables.Value]
    kept = [b.copy() for b in before]
    grads = net.Learnables.with_values([dlarray(np.ones(v.size(), dtype=np.float32)) for v in net.Learnables.Value])
    net, _ = sgdmupdate(net, grads, [], 0.5)
    for b, k, now in zip(before, kept, net.Learnables.Value):
        np.testing.assert_array_equal(b, k)                              # unchanged by the update
        np.testing.assert_allclose(extractdata(now), k - 0.5, rtol=1e-6)  # v = -0.5·g, θ + v
