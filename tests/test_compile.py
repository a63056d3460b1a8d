"""Compiled networks: torch.fx structure, torch layout, MATLAB numerics (independent references)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from layergraph import (
    OptionError,
    additionLayer,
    assembleNetwork,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    dlnetwork,
    featureInputLayer,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    regressionLayer,
    reluLayer,
    softmaxLayer,
)
from layergraph.layers.base import initialize
from layergraph.layers.convolution import FullyConnectedLayer


def numpy_conv2d_matlab(x_hwc, w_hwcf, bias_f, stride, pad_tblr):
    """Cross-correlation on MATLAB-layout arrays (H×W×C input, h×w×C×F weights), written from the docs."""
    t, b, l, r = pad_tblr
    x = np.pad(x_hwc, ((t, b), (l, r), (0, 0)))
    fh, fw, c, f = w_hwcf.shape
    oh = (x.shape[0] - fh) // stride[0] + 1
    ow = (x.shape[1] - fw) // stride[1] + 1
    out = np.zeros((oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            window = x[i * stride[0]: i * stride[0] + fh, j * stride[1]: j * stride[1] + fw, :]
            out[i, j, :] = np.tensordot(window, w_hwcf, axes=([0, 1, 2], [0, 1, 2])) + bias_f
    return out


def test_same_padding_stride2_odd_total_puts_extra_bottom_right():
    # 7×6 input, 4×3 filter, stride 2: out = ceil(7/2)=4 × 3; totals: rows (4-1)*2+4-7 = 3 -> top 1, bottom 2;
    # cols (3-1)*2+3-6 = 1 -> left 0, right 1.
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 2, 5)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    conv = convolution2dLayer([4, 3], 5, Stride=2, Padding="same", Weights=w, Bias=bias.reshape(1, 1, 5))
    net = dlnetwork([imageInputLayer([7, 6, 2], Normalization="none"), conv])
    x = rng.standard_normal((7, 6, 2)).astype(np.float32)
    y = net(torch.from_numpy(x).permute(2, 0, 1)[None])[0].permute(1, 2, 0).detach().numpy()
    expected = numpy_conv2d_matlab(x, w, bias, (2, 2), (1, 2, 0, 1))
    assert y.shape == (4, 3, 5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_fully_connected_flattens_column_major():
    # MATLAB computes W * X(:) with X an H×W×C array flattened column-major (H fastest, then W, then C).
    rng = np.random.default_rng(1)
    h, w_, c, o = 2, 3, 4, 5
    weights = rng.standard_normal((o, h * w_ * c)).astype(np.float32)
    bias = rng.standard_normal((o, 1)).astype(np.float32)
    net = dlnetwork([imageInputLayer([h, w_, c], Normalization="none"),
                     fullyConnectedLayer(o, Weights=weights, Bias=bias)])
    x = rng.standard_normal((h, w_, c)).astype(np.float32)
    expected = weights @ x.reshape(-1, order="F") + bias[:, 0]
    y = net(torch.from_numpy(x).permute(2, 0, 1)[None])[0].detach().numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_weights_round_trip_in_matlab_layout():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    net = dlnetwork([imageInputLayer([5, 5, 2], Normalization="none"), convolution2dLayer(3, 4, Weights=w)])
    layer = net.Layers[1]
    np.testing.assert_array_equal(layer.Weights.numpy(), w)
    assert tuple(layer.Bias.shape) == (1, 1, 4) and layer.NumChannels == 2
    assert layer.description() == "4 3×3×2 convolutions with stride [1  1] and padding [0  0  0  0]"


def test_glorot_uniform_bounds_and_variance():
    torch.manual_seed(0)
    fan_in, fan_out = 300, 200
    w = initialize("glorot", (fan_out, fan_in), fan_in, fan_out, layer=FullyConnectedLayer(1), prop="Weights")
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert w.abs().max() <= bound and w.abs().max() > 0.98 * bound
    assert abs(w.var().item() - 2 / (fan_in + fan_out)) < 0.05 * 2 / (fan_in + fan_out)


def test_orthogonal_and_unit_forget_gate_initializers():
    torch.manual_seed(0)
    layer = FullyConnectedLayer(1)
    q = initialize("orthogonal", (40, 10), 10, 40, layer=layer, prop="RecurrentWeights")
    np.testing.assert_allclose((q.T @ q).numpy(), np.eye(10), atol=1e-5)
    b = initialize("unit-forget-gate", (4 * 3, 1), 0, 0, layer=layer, prop="Bias", gate_rows=3)
    assert b[:, 0].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_conv_fan_in_out_use_filter_area():
    torch.manual_seed(0)
    conv = convolution2dLayer(5, 64)
    net = dlnetwork([imageInputLayer([16, 16, 32], Normalization="none"), conv])
    w = net.Layers[1].Weights
    bound = math.sqrt(6 / (5 * 5 * 32 + 5 * 5 * 64))
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
    assert torch.count_nonzero(net.Layers[1].Bias) == 0


def test_one_submodule_per_layer_and_readable_forward():
    g = layerGraph([featureInputLayer(3, Name="in"), fullyConnectedLayer(4, Name="fc-1"),
                    reluLayer(Name="class"), fullyConnectedLayer(2, Name="fc2"), regressionLayer(Name="out")])
    net = assembleNetwork(g)
    names = [n for n, _ in net.named_children()]
    assert names == ["in_", "fc_1", "class_", "fc2", "out"]
    assert isinstance(net, torch.fx.GraphModule)
    assert "self.fc_1(" in net.code and "self.fc2(" in net.code
    assert net.InputNames == ["in"] and net.OutputNames == ["out"]


def test_multiple_inputs_and_outputs_in_matlab_order():
    g = layerGraph([featureInputLayer(2, Name="b_in"), additionLayer(2, Name="add"), fullyConnectedLayer(1, Name="y1")])
    from layergraph import addLayers
    g = addLayers(g, featureInputLayer(2, Name="a_in"))
    g = connectLayers(g, "a_in", "add/in2")
    g = addLayers(g, fullyConnectedLayer(3, Name="y2"))
    g = connectLayers(g, "add", "y2")
    net = dlnetwork(g)
    assert net.InputNames == ["b_in", "a_in"] and net.OutputNames == ["y1", "y2"]
    x1, x2 = torch.randn(4, 2), torch.randn(4, 2)
    y1, y2 = net(x1, x2)
    w1 = net.Layers[2].Weights
    b1 = net.Layers[2].Bias
    torch.testing.assert_close(y1, (x1 + x2) @ w1.T + b1[:, 0])
    assert y2.shape == (4, 3)


def test_assembled_network_returns_scores_and_matlab_loss():
    layers = [featureInputLayer(3), fullyConnectedLayer(4), softmaxLayer, classificationLayer]
    net = assembleNetwork(layers)
    x = torch.randn(5, 3)
    scores = net(x)
    torch.testing.assert_close(scores.sum(1), torch.ones(5))
    targets = torch.tensor([0, 1, 2, 3, 1])
    expected = -np.log(scores.detach().numpy()[np.arange(5), targets.numpy()]).sum() / 5
    assert abs(net.loss(scores, targets).item() - expected) < 1e-5
    with pytest.raises(OptionError):
        dlnetwork(layers[:-1]).loss(scores, targets)


def test_state_dict_copy_and_torch_compile():
    layers = [featureInputLayer(3), fullyConnectedLayer(4), reluLayer, fullyConnectedLayer(2)]
    a, b = dlnetwork(layers), dlnetwork(layers)
    x = torch.randn(6, 3)
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a(x), b(x))
    assert list(a.state_dict()) == ["fc_1.Weights", "fc_1.Bias", "fc_2.Weights", "fc_2.Bias"]
    c = copy.deepcopy(a)
    torch.testing.assert_close(c(x), a(x))
    assert c.Layers[1].Name == "fc_1"
    compiled = torch.compile(a, backend="eager")
    torch.testing.assert_close(compiled(x), a(x))


def test_layergraph_of_network_keeps_trained_values():
    net = dlnetwork([featureInputLayer(3), fullyConnectedLayer(2)])
    g = layerGraph(net)
    np.testing.assert_array_equal(g.Layers[1].Weights.numpy(), net.Layers[1].Weights.numpy())
    again = dlnetwork(g)
    x = torch.randn(2, 3)
    torch.testing.assert_close(again(x), net(x))


def test_input_normalization_zerocenter_and_zscore():
    mean = np.array([1.0, 2.0, 3.0], dtype=np.float32).reshape(1, 1, 3)
    std = np.array([2.0, 4.0, 8.0], dtype=np.float32).reshape(1, 1, 3)
    net = dlnetwork([imageInputLayer([2, 2, 3], Normalization="zscore", Mean=mean, StandardDeviation=std)])
    x = torch.randn(1, 3, 2, 2)
    expected = (x - torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)) / torch.tensor([2.0, 4.0, 8.0]).view(1, 3, 1, 1)
    torch.testing.assert_close(net(x), expected)
    np.testing.assert_array_equal(net.Layers[0].Mean.numpy(), mean)


def test_network_parameters_do_not_share_storage_with_layer_values():
    w = torch.ones(2, 3)
    layer = fullyConnectedLayer(2, Weights=w, Bias=torch.zeros(2, 1))
    net = dlnetwork([featureInputLayer(3), layer])
    with torch.no_grad():
        for p in net.parameters():
            p.add_(5.0)
    assert torch.equal(layer.Weights, torch.ones(2, 3)) and torch.equal(w, torch.ones(2, 3))
    assert torch.equal(net.Layers[1].Weights, torch.full((2, 3), 6.0))


def test_fully_connected_on_volumes_and_image_sequences_is_column_major():
    rng = np.random.default_rng(3)
    from layergraph import image3dInputLayer, sequenceInputLayer
    h, w_, d, c, o = 2, 3, 2, 2, 3
    weights = rng.standard_normal((o, h * w_ * d * c)).astype(np.float32)
    net = dlnetwork([image3dInputLayer([h, w_, d, c], Normalization="none"),
                     fullyConnectedLayer(o, Weights=weights, Bias=np.zeros((o, 1), np.float32))])
    x = rng.standard_normal((h, w_, d, c)).astype(np.float32)           # MATLAB H×W×D×C
    torch_x = torch.from_numpy(x).permute(3, 0, 1, 2)[None]              # layergraph torch layout N×C×H×W×D
    np.testing.assert_allclose(net(torch_x)[0].detach().numpy(), weights @ x.reshape(-1, order="F"), rtol=1e-5, atol=1e-5)
    seq = dlnetwork([sequenceInputLayer([h, w_, c]),
                     fullyConnectedLayer(o, Weights=weights[:, : h * w_ * c], Bias=np.zeros((o, 1), np.float32))])
    xs = rng.standard_normal((4, h, w_, c)).astype(np.float32)          # T×H×W×C
    y = seq(torch.from_numpy(xs).permute(0, 3, 1, 2)[None])[0].detach().numpy()
    expected = np.stack([weights[:, : h * w_ * c] @ xs[t].reshape(-1, order="F") for t in range(4)])
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
