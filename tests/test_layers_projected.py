"""Projected LSTM/GRU against NumPy step equations written from the MATLAB doc, option errors, networkLayer."""

from __future__ import annotations

import json

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


# --------------------------------------------------------------------------------------------------
# networkLayer

from layergraph import (  # noqa: E402
    batchNormalizationLayer,
    classificationLayer,
    dlnetwork,
    featureInputLayer,
    fullyConnectedLayer,
    reluLayer,
    softmaxLayer,
)
from layergraph.spec import layer_from_json, layer_to_json  # noqa: E402

networkLayer = make_constructor(REGISTRY["networkLayer"])


def _inner_layers(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        fullyConnectedLayer(4, Name="fc", Weights=torch.randn(4, 3, generator=g), Bias=torch.randn(4, 1, generator=g)),
        batchNormalizationLayer(Name="bn", TrainedMean=torch.randn(4, 1, generator=g),
                                TrainedVariance=torch.rand(4, 1, generator=g) + 0.5),
        reluLayer(Name="relu"),
        fullyConnectedLayer(2, Name="fc2", Weights=torch.randn(2, 4, generator=g), Bias=torch.randn(2, 1, generator=g)),
    ]


def test_network_layer_equals_running_the_nested_network():
    inner = _inner_layers()
    outer = dlnetwork([featureInputLayer(3, Name="x"), networkLayer(inner, Name="nest"), softmaxLayer(Name="sm")])
    flat = dlnetwork([featureInputLayer(3, Name="x")] + inner + [softmaxLayer(Name="sm")])
    x = torch.randn(5, 3)
    torch.testing.assert_close(outer.predict(x), flat.predict(x))
    # the nested learnables are the network's learnables, named '<inner>/<prop>', in MATLAB layout
    rows = {(r.Layer, r.Parameter): r.Value for r in outer.Learnables.rows()}
    assert set(rows) == {("nest", "fc/Weights"), ("nest", "fc/Bias"), ("nest", "bn/Offset"), ("nest", "bn/Scale"),
                         ("nest", "fc2/Weights"), ("nest", "fc2/Bias")}
    # net.Learnables is a table whose Values are dlarrays (MATLAB layout)
    torch.testing.assert_close(rows[("nest", "fc/Weights")].data.detach(), inner[0].Weights)
    params = {(layer, prop) for layer, prop, _, _, _ in outer.parameter_info()}
    assert ("nest", "fc2/Bias") in params
    # learnable count: fc 4×3+4, bn 4+4, fc2 2×4+2
    sizes = networkLayer(inner).learnable_sizes([Layout((), 3)])
    assert sum(int(np.prod(s)) for s in sizes.values()) == 16 + 8 + 10
    assert networkLayer(inner).state_sizes([Layout((), 3)]) == {"bn/TrainedMean": (4, 1), "bn/TrainedVariance": (4, 1)}


def test_network_layer_wraps_a_dlnetwork_with_its_input_layer():
    net = dlnetwork([featureInputLayer(3, Name="in3")] + _inner_layers(1))
    layer = networkLayer(net, Name="nest")
    assert layer.InputNames == ["in"] and layer.OutputNames == ["out"]
    outer = dlnetwork([featureInputLayer(3, Name="x"), layer])
    x = torch.randn(4, 3)
    torch.testing.assert_close(outer.predict(x), net.predict(x))
    with pytest.raises(Exception, match="in3"):
        dlnetwork([featureInputLayer(5, Name="x"), layer])


def test_network_layer_multiple_inputs_and_outputs():
    from layergraph import additionLayer
    from layergraph.graph import layerGraph

    graph = layerGraph([additionLayer(2, Name="add"), reluLayer(Name="relu")])
    from layergraph.graph import addLayers, connectLayers

    graph = addLayers(graph, fullyConnectedLayer(2, Name="side", Weights=torch.eye(2, 3), Bias=torch.zeros(2, 1)))
    graph = connectLayers(graph, "relu", "side")
    graph = addLayers(graph, reluLayer(Name="tap"))
    graph = connectLayers(graph, "add", "tap")
    layer = networkLayer(graph)
    assert layer.InputNames == ["in1", "in2"] and layer.OutputNames == ["out1", "out2"]
    module = layer.build([Layout((), 3), Layout((), 3)])
    a, b = torch.randn(2, 3), torch.randn(2, 3)
    side, tap = module(a, b)
    torch.testing.assert_close(side, torch.relu(a + b)[:, :2])
    torch.testing.assert_close(tap, torch.relu(a + b))


def test_network_layer_values_round_trip_through_json():
    layer = networkLayer(_inner_layers(2), Name="nest")
    setattr(layer, "fc2/Bias", torch.tensor([[0.25], [-1.5]]))
    assert torch.equal(getattr(layer, "fc2/Bias"), torch.tensor([[0.25], [-1.5]]))
    obj, tensors = layer_to_json(layer)
    back = layer_from_json(json.loads(json.dumps(obj)), tensors)
    assert back == layer
    assert torch.equal(getattr(back, "fc/Weights"), getattr(layer, "fc/Weights"))
    assert torch.equal(back.nested_graph().layer("bn").TrainedMean, layer.nested_graph().layer("bn").TrainedMean)


def test_network_layer_errors():
    with pytest.raises(OptionError, match="Network"):
        networkLayer([fullyConnectedLayer(2), softmaxLayer(), classificationLayer()])
    with pytest.raises(OptionError, match="Network"):
        networkLayer(3)
    with pytest.raises(OptionError, match="missing required"):
        networkLayer()
    layer = networkLayer([fullyConnectedLayer(2, Name="fc")])
    with pytest.raises(OptionError, match="nested network has no layer 'nope'"):
        setattr(layer, "nope/Weights", torch.zeros(2, 2))
    with pytest.raises(OptionError, match="'Gamma' is not a learnable"):
        setattr(layer, "fc/Gamma", torch.zeros(2, 2))


def test_projected_layers_carry_state_across_chunks():
    """Chunks run with carried state equal one pass over the whole sequence (as for lstmLayer/gruLayer)."""
    import torch

    from layergraph import dlnetwork, gruProjectedLayer, lstmProjectedLayer, sequenceInputLayer
    from layergraph.layers.recurrent import carry_state

    torch.manual_seed(0)
    for layer in (lstmProjectedLayer(6, 3, 2), gruProjectedLayer(6, 3, 2)):
        net = dlnetwork([sequenceInputLayer(4), layer])
        x = torch.randn(2, 9, 4)
        whole = net.predict(x)
        with carry_state(net):
            parts = [net.predict(x[:, i:i + 4]) for i in (0, 4, 8)]
        torch.testing.assert_close(torch.cat(parts, dim=1), whole, rtol=1e-5, atol=1e-6)
