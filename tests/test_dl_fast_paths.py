"""The custom loop's fast paths give what the general paths give, and fall back to them.

A custom loop calls forward, crossentropy, dlgradient(loss, net.Learnables), dlfeval and
``net.State = state`` every iteration; each has a short path for that common form. Every test here
checks the short path against an independent expectation (NumPy formulas, torch on a copy of the
module) and checks that the inputs it does not take go through the general path with the same result.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from layergraph import dlnetwork, fullyConnectedLayer, lstmLayer, sequenceInputLayer, sigmoidLayer, softmaxLayer
from layergraph.dl import (DLArray, DLArrayError, crossentropy, dlarray, dlfeval, dlgradient, extractdata, forward)
from layergraph.dl import ops
from layergraph.learnables import LearnableTable
from layergraph.values import categorical, onehotencode

from dl_helpers import image_net

rng = np.random.default_rng(11)


def _image_net():
    return image_net(3)


def _images(n=6):
    return rng.random((4, 4, 2, n)).astype(np.float32)


def _targets(n=6):
    """One-hot targets 5×n (MATLAB layout C×B, a transposed NumPy view as onehotencode(...)' gives)."""
    labels = categorical(list("abcde" * 3)[:n], list("abcde"))
    return onehotencode(labels, 2).T


def _module_outputs(net, images):
    """Softmax outputs of a copy of the network's module in training mode (torch layout N×C), and the copy."""
    module = copy.deepcopy(net)
    module.train()
    x = torch.from_numpy(images.transpose(3, 2, 0, 1).copy())
    return module(x), module


# ------------------------------------------------------------------------------------------------
# crossentropy of a network output


def test_crossentropy_short_path_equals_the_formula_and_the_general_path():
    net, images, T = _image_net(), _images(), _targets()
    X = dlarray(images, "SSCB")
    Y, _ = forward(net, X)
    short = ops._crossentropy_of_engine_output(Y, T)
    assert short is not None and short.size() == (1, 1) and short.fmt == ""
    y = extractdata(Y)                                                   # 5×6, MATLAB layout
    want = -(T * np.log(y)).sum() / 6
    np.testing.assert_allclose(float(crossentropy(Y, T)), want, rtol=1e-6)
    np.testing.assert_allclose(float(short), want, rtol=1e-6)
    general = crossentropy(Y, T, "NormalizationFactor", "batch-size")      # options: the general path
    np.testing.assert_allclose(float(general), float(short), rtol=1e-6)

    # the gradient through the short path against torch autograd on the module with the formula written out
    def model_loss(net, X, T):
        Y, _ = forward(net, X)
        loss = crossentropy(Y, T)
        return loss, dlgradient(loss, net.Learnables)

    loss, grads = dlfeval(model_loss, net, X, T)
    out, module = _module_outputs(net, images)
    (-(torch.from_numpy(T.T.copy()) * torch.log(out)).sum() / 6).backward()
    np.testing.assert_allclose(float(loss), want, rtol=1e-6)
    for (_, _, src), g in zip(module.learnable_sources(), grads.Value):
        np.testing.assert_allclose(extractdata(g), src.to_matlab(src.tensor.grad).numpy(), rtol=1e-4, atol=1e-6)


def test_crossentropy_inputs_the_short_path_does_not_take_give_the_same_loss():
    net, images, T = _image_net(), _images(), _targets()
    Y, _ = forward(net, dlarray(images, "SSCB"))
    y = extractdata(Y)
    want = -(T * np.log(y)).sum() / 6
    read_only = np.ascontiguousarray(T.T).T
    read_only.flags.writeable = False
    reversed_rows = T[::-1]                     # negative strides
    others = {
        "double targets": (T.astype(np.float64), want),
        "read-only targets": (read_only, want),
        "torch targets": (torch.from_numpy(T.copy()), want),
        "a list": (T.tolist(), want),
        "reversed rows": (reversed_rows, -(reversed_rows * np.log(y)).sum() / 6),
    }
    for name, (targets, expected) in others.items():
        assert ops._crossentropy_of_engine_output(Y, targets) is None, name
        np.testing.assert_allclose(float(crossentropy(Y, targets)), expected, rtol=1e-6, err_msg=name)
    materialized = DLArray(Y.data, Y.fmt)       # MATLAB-layout data: the general path
    assert ops._crossentropy_of_engine_output(materialized, T) is None
    np.testing.assert_allclose(float(crossentropy(materialized, T)), want, rtol=1e-6)
    # targets of another size: the general path's error (also for the same number of elements, which
    # the general path reads in MATLAB's column-major order)
    assert ops._crossentropy_of_engine_output(Y, np.zeros((5, 5), np.float32)) is None
    with pytest.raises(DLArrayError, match="same size"):
        crossentropy(Y, np.zeros((5, 5), np.float32))
    flat = np.asfortranarray(T).reshape(1, 30, order="F")
    assert ops._crossentropy_of_engine_output(Y, flat) is None
    np.testing.assert_allclose(float(crossentropy(Y, flat)), want, rtol=1e-6)


def test_crossentropy_short_path_of_a_sequence_output():
    torch.manual_seed(4)
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(4), fullyConnectedLayer(2), softmaxLayer])
    X = dlarray(rng.random((3, 5, 7)).astype(np.float32), "CBT")
    Y, _ = forward(net, X)
    codes = rng.integers(0, 2, (5, 7))
    T = np.stack([codes == 0, codes == 1]).astype(np.float32)           # 2×5×7, C×B×T
    assert ops._crossentropy_of_engine_output(Y, T) is not None
    y = extractdata(Y)
    np.testing.assert_allclose(float(crossentropy(Y, T)), -(T * np.log(y)).sum() / 5, rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# forward's state and net.State = state


def _state_tensors(net):
    return [src.tensor for _, _, src in net.learnable_sources("state")]


def _matlab_values(table):
    return [extractdata(v) for v in table.Value]


def test_forward_state_is_the_torch_update_and_the_network_keeps_its_own():
    net, images = _image_net(), _images()
    originals = _state_tensors(net)
    before = [t.clone() for t in originals]
    _, state = forward(net, dlarray(images, "SSCB"))
    tensors = list(state.engine_values())
    assert all(not t.requires_grad for t in tensors)
    assert all(t is not o for t, o in zip(tensors, originals))
    _, module = _module_outputs(net, images)                            # torch's in-place update, on a copy
    for got, (_, _, src) in zip(tensors, module.learnable_sources("state")):
        torch.testing.assert_close(got, src.tensor)
    for tensor, old, now in zip(originals, before, _state_tensors(net)):
        assert now is tensor                                            # the network's tensors, unchanged
        torch.testing.assert_close(tensor, old)
    # the running mean against NumPy: (1 − 0.1)·old + 0.1·batch mean of the conv output
    conv, bias = (src.tensor.detach() for _, _, src in module.learnable_sources()[:2])
    z = torch.nn.functional.conv2d(torch.from_numpy(images.transpose(3, 2, 0, 1).copy()), conv, bias, padding=1)
    np.testing.assert_allclose(extractdata(state.Value[0]).reshape(-1),
                               0.9 * before[0].numpy().reshape(-1) + 0.1 * z.numpy().mean(axis=(0, 2, 3)), rtol=1e-5)

    net.State = state                                                   # copied into the network's tensors
    for tensor, now, new in zip(originals, _state_tensors(net), tensors):
        assert now is tensor
        torch.testing.assert_close(tensor, new)
    kept = _matlab_values(state)
    _, state2 = forward(net, dlarray(_images(), "SSCB"))
    net.State = state2
    for a, b in zip(_matlab_values(state), kept):                       # the earlier table is a value
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_matlab_values(net.State), _matlab_values(state2)):
        np.testing.assert_array_equal(a, b)


def test_forward_state_through_attributes_and_traced_layer_state():
    # a plan whose holders are the modules themselves (setattr; the path for owners that are not buffers)
    net, images = _image_net(), _images()
    expected_state = forward(copy.deepcopy(net), dlarray(images, "SSCB"))[1]
    from layergraph.dl.network_api import _state_plan

    layers, params, slots, converters, held = _state_plan(net)
    owner = next(m for m in net.modules() if m.__dict__.get("_buffers") is slots[0][1])
    net.__dict__["_lg_sources"]["state-plan"] = (layers, params, tuple((t, owner, n) for (t, _, n) in slots),
                                                 converters, held)
    slot_names = [n for _, _, n in slots]
    assert all(getattr(owner, n) is t for t, _, n in slots), slot_names
    originals = [t.clone() for t, _, _ in slots]
    _, state = forward(net, dlarray(images, "SSCB"))
    for a, b in zip(state.engine_values(), expected_state.engine_values()):
        torch.testing.assert_close(a, b)
    for (t, _, n), old in zip(slots, originals):
        assert getattr(owner, n) is t
        torch.testing.assert_close(t, old)
    # a recurrent network's state: untraced, and the network's own left as it was
    torch.manual_seed(5)
    rnn = dlnetwork([sequenceInputLayer(3), lstmLayer(4), fullyConnectedLayer(2), sigmoidLayer])
    X = dlarray(rng.random((3, 1, 7)).astype(np.float32), "CBT")
    h0 = [t.clone() for t in rnn.State.engine_values()]

    def run(net, X):
        Y, state = forward(net, X)
        return Y, state, [v.requires_grad for v in state.engine_values()]

    Y, state, traced_inside = dlfeval(run, rnn, X)
    assert traced_inside == [False, False]
    for t, old in zip(rnn.State.engine_values(), h0):
        torch.testing.assert_close(t, old)


def test_assigning_tables_copies_values_with_and_without_tracing():
    net = _image_net()
    tensors = list(net.Learnables.engine_values())
    new_values = [dlarray(rng.standard_normal(v.size())) for v in net.Learnables.Value]     # double values
    table = LearnableTable(list(net.Learnables.Layer), list(net.Learnables.Parameter), new_values)
    net.Learnables = table                                              # parameters require grad: no_grad copy
    for tensor, now, v in zip(tensors, net.Learnables.Value, new_values):
        assert tensor.requires_grad and tensor.dtype == torch.float32
        np.testing.assert_allclose(extractdata(now), extractdata(v).astype(np.float32), rtol=1e-6)
    assert [t is n for t, n in zip(tensors, net.Learnables.engine_values())] == [True] * len(tensors)
    one = LearnableTable(["batchnorm"], ["TrainedVariance"], [dlarray(np.full((1, 1, 3), 2.5))])
    net.State = one                                                     # one row
    np.testing.assert_allclose(extractdata(net.State.Value[1]).reshape(-1), [2.5, 2.5, 2.5])


# ------------------------------------------------------------------------------------------------
# dlgradient(loss, net.Learnables) and dlfeval


def _loss_and_gradients(form):
    def model_loss(net, X, T):
        Y, _ = forward(net, X)
        loss = crossentropy(Y, T)
        tables = {"network": lambda: net.Learnables, "copy": lambda: net.Learnables.copy(),
                  "rows": lambda: net.Learnables[[0, 1, 2, 3, 4, 5]]}
        return loss, dlgradient(loss, tables[form]())
    return model_loss


def test_dlgradient_of_network_learnables_equals_torch_and_the_general_path(monkeypatch):
    from layergraph.dl import autodiff

    net, images, T = _image_net(), _images(), _targets()
    X = dlarray(images, "SSCB")
    short = []
    monkeypatch.setattr(autodiff, "_network_gradients",
                        lambda *a, f=autodiff._network_gradients: short.append(1) or f(*a))
    results = {form: dlfeval(_loss_and_gradients(form), net, X, T) for form in ("network", "copy", "rows")}
    assert short == [1]                             # the network's own table only takes the short path
    out, module = _module_outputs(net, images)
    (-(torch.from_numpy(T.T.copy()) * torch.log(out)).sum() / 6).backward()
    want = [src.to_matlab(src.tensor.grad).numpy() for _, _, src in module.learnable_sources()]
    for form, (loss, grads) in results.items():
        assert isinstance(grads, LearnableTable) and list(grads.Parameter) == list(net.Learnables.Parameter)
        for g, w in zip(grads.Value, want):
            assert not g.traced
            np.testing.assert_allclose(extractdata(g), w, rtol=1e-4, atol=1e-6, err_msg=form)


def test_dlgradient_of_network_learnables_options_unused_and_errors():
    net, images, T = _image_net(), _images(), _targets()
    X = dlarray(images, "SSCB")

    def second_order(net, X, T):
        Y, _ = forward(net, X)
        loss = crossentropy(Y, T)
        g = dlgradient(loss, net.Learnables, "EnableHigherDerivatives", True)
        penalty = (g.Value[4] * g.Value[4]).sum(1).sum(2)                # Σ (∂loss/∂W_fc)²
        return [v.traced for v in g.Value], dlgradient(penalty, net.Learnables)

    traced, g2 = dlfeval(second_order, net, X, T)
    assert traced == [True] * 6
    # against torch: the gradient of Σ (∂loss/∂W_fc)² with create_graph
    out, module = _module_outputs(net, images)
    params = [src.tensor for _, _, src in module.learnable_sources()]
    loss = -(torch.from_numpy(T.T.copy()) * torch.log(out)).sum() / 6
    gw = torch.autograd.grad(loss, params[4], create_graph=True)[0]
    want = torch.autograd.grad((gw * gw).sum(), params, allow_unused=True)
    scale = max(float(w.abs().max()) for w in want if w is not None)
    for (_, _, src), g, w in zip(module.learnable_sources(), g2.Value, want):
        w = torch.zeros_like(src.tensor) if w is None else w
        # (the conv bias's is zero up to rounding: batch norm removes it)
        np.testing.assert_allclose(extractdata(g), src.to_matlab(w).numpy(), rtol=1e-3, atol=1e-5 * scale)

    def fc_only(net, X):
        # the network's batch norm and conv rows get zeros: the loss here depends on the fc bias only
        loss = dlarray(net.Learnables.Value[5].data.sum().reshape(1, 1), "")
        return dlgradient(loss, net.Learnables)

    g = dlfeval(fc_only, net, X)
    for k, v in enumerate(g.Value):
        np.testing.assert_allclose(extractdata(v), 1.0 if k == 5 else 0.0)

    def twice(net, X, T):
        Y, _ = forward(net, X)
        loss = crossentropy(Y, T)
        dlgradient(loss, net.Learnables)
        return dlgradient(loss, net.Learnables)

    with pytest.raises(DLArrayError, match="RetainData"):
        dlfeval(twice, net, X, T)

    def retained(net, X, T):
        Y, _ = forward(net, X)
        loss = crossentropy(Y, T)
        first = dlgradient(loss, net.Learnables, RetainData=True)
        return first, dlgradient(loss, net.Learnables)

    first, again = dlfeval(retained, net, X, T)
    for a, b in zip(first.Value, again.Value):
        np.testing.assert_allclose(extractdata(a), extractdata(b))


def test_dlfeval_traces_every_kind_of_argument_and_untraces_every_kind_of_output():
    net = _image_net()
    x = dlarray(np.arange(6.0).reshape(3, 2), "CB")

    def seen(net, x, cells, fields, objects, plain, number):
        inside = [x.traced, cells[0].traced, fields["w"].traced, objects[0].traced, torch.is_grad_enabled()]
        assert isinstance(plain, np.ndarray) and number == 3 and isinstance(net, torch.nn.Module)
        y = x * 2.0
        return inside, y, [y, {"k": y}], (y, net.Learnables)

    objects = np.empty(1, dtype=object)
    objects[0] = dlarray(np.ones(2))
    with torch.no_grad():                                               # dlfeval turns tracing on itself
        inside, y, cells, nested = dlfeval(seen, net, x, [dlarray(np.ones(2))], {"w": dlarray(np.ones(2))},
                                           objects, np.ones(3), 3)
    assert inside == [True, True, True, True, True]
    assert not y.traced and not cells[0].traced and not cells[1]["k"].traced and not nested[0].traced
    assert isinstance(nested[1], LearnableTable)
    np.testing.assert_allclose(extractdata(y), 2 * np.arange(6.0).reshape(3, 2))
    one = dlfeval(lambda x: x * 3.0, x)                                 # one output, not a tuple
    assert isinstance(one, DLArray) and not one.traced
    np.testing.assert_allclose(extractdata(one), 3 * np.arange(6.0).reshape(3, 2))


# ------------------------------------------------------------------------------------------------
# dlarray of a float array with a format seen before


def test_dlarray_of_a_float_array_with_a_known_format():
    from layergraph.dl import dims

    a = rng.random((3, 4, 5))
    first, again = dlarray(a, "CBS"), dlarray(a, "CBS")          # the second call: the format is known
    for x in (first, again):
        assert dims(x) == "SCB" and x.size() == (5, 3, 4)
        np.testing.assert_array_equal(extractdata(x), a.transpose(2, 0, 1))
    single = rng.random((4, 4, 2, 6)).astype(np.float32)
    x = dlarray(single, "SSCB")
    assert x.dtype == torch.float32 and x.fmt == "SSCB"
    np.testing.assert_array_equal(extractdata(x), single)
    # what the short path leaves to the general one: the same values, or the general path's result
    read_only = single.copy()
    read_only.flags.writeable = False
    flipped = single[::-1]
    for name, arr in {"read-only": read_only, "negative strides": flipped,
                      "integers": np.arange(8).reshape(2, 2, 2, 1)}.items():
        y = dlarray(arr, "SSCB")
        np.testing.assert_array_equal(extractdata(y), arr, err_msg=name)
        assert y.dtype == (torch.float64 if arr.dtype.kind == "i" else torch.float32), name
    three = dlarray(single[:, :, :, 0], "SSCB")                   # fewer dimensions than labels
    assert three.fmt == "SSCB" and three.size() == (4, 4, 2)
    with pytest.raises(DLArrayError, match="number of dimension labels"):
        dlarray(rng.random((2, 2, 2, 2, 2)), "SSCB")
    traced = dlfeval(lambda: [dlarray(single, "SSCB").traced])      # inside dlfeval: traced
    assert traced == [True]


# ------------------------------------------------------------------------------------------------
# dlgradient's call into torch's autograd engine


@pytest.mark.parametrize("engine", ["direct", "torch.autograd.grad"])
def test_dlgradient_gives_the_same_through_either_autograd_call(monkeypatch, engine):
    from layergraph.dl import autodiff

    calls, run = [], None
    if engine == "direct":
        run = autodiff._checked_run_backward()
        assert run is not None or autodiff._RUN_BACKWARD[0] is None     # this torch has it, or it is not used
        if run is not None:
            monkeypatch.setattr(autodiff, "_RUN_BACKWARD", [lambda *a, **k: calls.append(1) or run(*a, **k)])
    else:
        monkeypatch.setattr(autodiff, "_RUN_BACKWARD", [None])
    net, images, T = _image_net(), _images(), _targets()
    loss, grads = dlfeval(_loss_and_gradients("network"), net, dlarray(images, "SSCB"), T)
    out, module = _module_outputs(net, images)
    (-(torch.from_numpy(T.T.copy()) * torch.log(out)).sum() / 6).backward()
    for (_, _, src), g in zip(module.learnable_sources(), grads.Value):
        np.testing.assert_allclose(extractdata(g), src.to_matlab(src.tensor.grad).numpy(), rtol=1e-4, atol=1e-6)

    # a dlarray, second derivatives: y = Σ x³, dy/dx = 3x², d(Σ dy/dx)/dx = 6x; an unused variable gets zeros
    def derivatives(x, z):
        y = (x * x * x).sum(2)
        dx, dz = dlgradient(y, x, z, "EnableHigherDerivatives", True)
        return dx, dz, dlgradient(dx.sum(2), x)

    x0 = np.array([[1.0, -2.0, 0.5]])
    dx, dz, d2x = dlfeval(derivatives, dlarray(x0), dlarray(np.ones((1, 2))))
    np.testing.assert_allclose(extractdata(dx), 3 * x0 ** 2)
    np.testing.assert_allclose(extractdata(dz), np.zeros((1, 2)))
    np.testing.assert_allclose(extractdata(d2x), 6 * x0)
    assert not dx.traced and not d2x.traced
    assert len(calls) == (3 if run is not None else 0)      # the network's gradients and the two of x


# ------------------------------------------------------------------------------------------------
# adamupdate on a network: its solver state and its checks


def test_adamupdate_state_tables_and_empty_gradients():
    from layergraph.dl import adamupdate

    net, images, T = _image_net(), _images(), _targets()
    before = [extractdata(v).copy() for v in net.Learnables.Value]
    _, grads = dlfeval(_loss_and_gradients("network"), net, dlarray(images, "SSCB"), T)
    g = [extractdata(v) for v in grads.Value]
    net, avg, sq = adamupdate(net, grads, [], [], 1, 0.01)
    # step 1 from zero averages: m = 0.1 g, v = 0.001 g², θ ← θ − 0.01·(√(1−0.999)/(1−0.9))·m/(√v + 1e-8)
    for k, (theta0, gk) in enumerate(zip(before, g)):
        m, v = 0.1 * gk, 0.001 * gk * gk
        np.testing.assert_allclose(extractdata(avg.Value[k]), m, rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(extractdata(sq.Value[k]), v, rtol=1e-5, atol=1e-14)
        want = theta0 - 0.01 * (np.sqrt(1 - 0.999) / (1 - 0.9)) * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(extractdata(net.Learnables.Value[k]), want, rtol=1e-4, atol=1e-6)
    assert list(avg.Parameter) == list(net.Learnables.Parameter)
    with pytest.raises(DLArrayError, match="must not be empty"):
        adamupdate(net, [], avg, sq, 2, 0.01)
