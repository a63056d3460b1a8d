"""Numeric references for activation, dropout, normalization and combination layers.

Expectations are NumPy implementations written from MATLAB's formulas (MATLAB layout where it helps),
never the layer modules themselves.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.errors import LayoutError, OptionError
from layergraph.layers.base import Layout

RNG = np.random.default_rng(0)


def run(layer, layouts, *arrays, train=False):
    module = layer.build(list(layouts)).double()
    module.train(train)
    out = module(*[torch.as_tensor(a, dtype=torch.float64) for a in arrays])
    return out.detach().numpy(), module


# --------------------------------------------------------------------------------------------------
# Activations


def test_leaky_relu_default_scale_and_positional_scale():
    x = np.array([[-2.0, -0.5, 0.0, 3.0]])
    y, _ = run(lg.leakyReluLayer(), [Layout((), 4)], x)
    np.testing.assert_allclose(y, [[-0.02, -0.005, 0.0, 3.0]])
    y, _ = run(lg.leakyReluLayer(-0.5), [Layout((), 4)], x)   # any finite scale, even negative
    np.testing.assert_allclose(y, [[1.0, 0.25, 0.0, 3.0]])
    assert lg.leakyReluLayer().Scale == 0.01
    assert lg.leakyReluLayer(0.1).description() == "Leaky ReLU with scale 0.1"
    assert lg.leakyReluLayer("Scale", 0.3, "Name", "lr").Scale == 0.3


def test_clipped_relu_requires_ceiling():
    with pytest.raises(OptionError, match="clippedReluLayer.*Ceiling"):
        lg.clippedReluLayer()
    with pytest.raises(OptionError, match="Ceiling"):
        lg.clippedReluLayer(-1)
    layer = lg.clippedReluLayer(10)
    assert layer.description() == "Clipped ReLU with ceiling 10"
    y, _ = run(layer, [Layout((), 4)], np.array([[-3.0, 4.0, 10.0, 12.5]]))
    np.testing.assert_allclose(y, [[0.0, 4.0, 10.0, 10.0]])


def test_elu_tanh_sigmoid_swish_softplus_formulas():
    x = RNG.normal(size=(3, 5)) * 3
    elu = np.where(x >= 0, x, 0.7 * (np.exp(x) - 1))
    np.testing.assert_allclose(run(lg.eluLayer(0.7), [Layout((), 5)], x)[0], elu)
    assert lg.eluLayer().Alpha == 1.0 and lg.eluLayer().description() == "ELU with Alpha 1"
    # Real MATLAB layer-array printout (public GitHub notebook of an imported Keras net) shows
    # "3   'conv2d_5_elu'     ELU                     ELU with Alpha 1"
    assert lg.eluLayer().TYPE == "ELU"
    np.testing.assert_allclose(run(lg.tanhLayer(), [Layout((), 5)], x)[0], np.tanh(x))
    np.testing.assert_allclose(run(lg.sigmoidLayer(), [Layout((), 5)], x)[0], 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(run(lg.swishLayer(), [Layout((), 5)], x)[0], x / (1 + np.exp(-x)))
    np.testing.assert_allclose(run(lg.softplusLayer(), [Layout((), 5)], x)[0], np.log1p(np.exp(x)))
    assert lg.tanhLayer().description() == "Hyperbolic tangent"
    assert lg.softplusLayer().TYPE == "Softplus"
    # https://ww2.mathworks.cn/help/deeplearning/ref/nnet.cnn.layer.swishlayer.html shows "4   ''   Swish   Swish"
    assert lg.swishLayer().TYPE == "Swish" and lg.swishLayer().description() == "Swish"
    # https://uk.mathworks.com/help/deeplearning/ref/nnet.cnn.layer.softpluslayer.html: Description and Type stored as 'Softplus'
    assert lg.softplusLayer().description() == "Softplus"


def test_gelu_exact_and_tanh_approximation():
    x = np.linspace(-4, 4, 17).reshape(1, -1)
    erf = np.vectorize(math.erf)
    exact = x / 2 * (1 + erf(x / math.sqrt(2)))
    approx = x / 2 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(run(lg.geluLayer(), [Layout((), 17)], x)[0], exact, atol=1e-12)
    np.testing.assert_allclose(run(lg.geluLayer(Approximation="tanh"), [Layout((), 17)], x)[0], approx, atol=1e-12)
    with pytest.raises(OptionError, match="Approximation"):
        lg.geluLayer(Approximation="sigmoid")


def test_prelu_per_channel_alpha_in_matlab_layout():
    layout = Layout((2, 3), 2)
    alpha = np.array([0.1, 0.5]).reshape(1, 1, 2)            # MATLAB 1×1×C
    x = RNG.normal(size=(2, 2, 2, 3))                        # torch N×C×H×W
    expected = np.maximum(x, 0) + alpha.reshape(1, 2, 1, 1) * np.minimum(x, 0)
    layer = lg.preluLayer(Alpha=alpha)
    assert layer.learnable_sizes([layout]) == {"Alpha": (1, 1, 2)}
    y, module = run(layer, [layout], x)
    np.testing.assert_allclose(y, expected)
    assert isinstance(module.Alpha, torch.nn.Parameter)
    # the default: per channel, 0.25 (a choice documented in docs/readme/layers-a.md)
    default = lg.preluLayer().initial_value("Alpha", [layout])
    assert tuple(default.shape) == (1, 1, 2) and torch.all(default == 0.25)
    with pytest.raises(LayoutError, match="Alpha"):
        lg.preluLayer(Alpha=[0.1, 0.2, 0.3]).learnable_sizes([layout])


# --------------------------------------------------------------------------------------------------
# Dropout


def test_dropout_scales_survivors_in_training_and_is_identity_in_eval():
    torch.manual_seed(0)
    layer = lg.dropoutLayer(0.25)
    assert layer.description() == "25% dropout"
    assert lg.dropoutLayer().Probability == 0.5 and lg.dropoutLayer().description() == "50% dropout"
    x = np.ones((4, 3, 20, 20))
    y, module = run(layer, [Layout((20, 20), 3)], x, train=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - 0.25))      # inverted dropout
    assert abs(kept.mean() - 0.75) < 0.03                     # independent mask per element
    module.eval()
    np.testing.assert_array_equal(module(torch.as_tensor(x)).numpy(), x)


@pytest.mark.parametrize("bad", [-0.1, 1, 1.5])
def test_dropout_probability_must_be_in_zero_one(bad):
    with pytest.raises(OptionError, match="dropoutLayer.*Probability"):
        lg.dropoutLayer(bad)


# --------------------------------------------------------------------------------------------------
# Batch normalization


def batchnorm_reference(x_hwcn, gamma, beta, eps):
    """MATLAB: per channel over H, W and N; biased variance. x is H×W×C×N."""
    mean = x_hwcn.mean(axis=(0, 1, 3), keepdims=True)
    var = ((x_hwcn - mean) ** 2).mean(axis=(0, 1, 3), keepdims=True)
    gamma, beta = gamma.reshape(1, 1, -1, 1), beta.reshape(1, 1, -1, 1)   # MATLAB's trailing singleton N
    return gamma * (x_hwcn - mean) / np.sqrt(var + eps) + beta, mean.ravel(), var.ravel()


def to_matlab(x_nchw):
    return np.transpose(x_nchw, (2, 3, 1, 0))


def to_torch(x_hwcn):
    return np.transpose(x_hwcn, (3, 2, 0, 1))


def test_batchnorm_training_forward_and_running_statistics():
    c = 3
    layout = Layout((4, 5), c)
    gamma = RNG.uniform(0.5, 2, size=(1, 1, c))
    beta = RNG.normal(size=(1, 1, c))
    x = RNG.normal(size=(2, c, 4, 5)) * 3 + 1
    layer = lg.batchNormalizationLayer(Scale=gamma, Offset=beta, MeanDecay=0.3, VarianceDecay=0.3)
    y, module = run(layer, [layout], x, train=True)
    expected, mean, var = batchnorm_reference(to_matlab(x), gamma, beta, 1e-5)
    np.testing.assert_allclose(y, to_torch(expected), atol=1e-6)   # Scale/Offset are stored as single
    # running statistics: s <- decay*batch + (1-decay)*s, starting from mean 0, variance 1.
    # Choice: the running variance uses the unbiased batch variance m/(m-1)·var, as torch does.
    m = 2 * 4 * 5
    np.testing.assert_allclose(module.TrainedMean.numpy(), 0.3 * mean)
    np.testing.assert_allclose(module.TrainedVariance.numpy(), 0.3 * var * m / (m - 1) + 0.7)


def test_batchnorm_different_mean_and_variance_decay():
    layout = Layout((), 2)
    x = RNG.normal(size=(8, 2))
    layer = lg.batchNormalizationLayer(MeanDecay=0.1, VarianceDecay=0.5)
    _, module = run(layer, [layout], x, train=True)
    np.testing.assert_allclose(module.TrainedMean.numpy(), 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(module.TrainedVariance.numpy(), 0.5 * x.var(axis=0, ddof=1) + 0.5)


def test_batchnorm_eval_uses_trained_statistics_in_matlab_layout():
    c = 2
    layout = Layout((3, 3), c)
    mean = np.array([0.5, -1.0]).reshape(1, 1, c)
    var = np.array([4.0, 0.25]).reshape(1, 1, c)
    layer = lg.batchNormalizationLayer(TrainedMean=mean, TrainedVariance=var, Epsilon=1e-3)
    x = RNG.normal(size=(2, c, 3, 3))
    y, module = run(layer, [layout], x)
    expected = (to_matlab(x) - mean[..., None]) / np.sqrt(var[..., None] + 1e-3)
    np.testing.assert_allclose(y, to_torch(expected), atol=1e-12)
    assert dict(module.named_buffers()).keys() == {"TrainedMean", "TrainedVariance"}
    assert {n for n, _ in module.named_parameters()} == {"Offset", "Scale"}


def test_batchnorm_sequence_statistics_over_batch_and_time():
    layout = Layout((), 3, True)
    x = RNG.normal(size=(2, 4, 3))          # torch N×T×C
    y, _ = run(lg.batchNormalizationLayer(), [layout], x, train=True)
    mean = x.mean(axis=(0, 1))
    var = x.var(axis=(0, 1))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-10)


def test_batchnorm_properties_sizes_and_description():
    layer = lg.batchNormalizationLayer
    bn = layer()
    assert (bn.Epsilon, bn.MeanDecay, bn.VarianceDecay) == (1e-5, 0.1, 0.1)
    assert bn.description() == "Batch normalization" and bn.TYPE == "Batch Normalization"
    img = Layout((4, 4), 16)
    assert bn.learnable_sizes([img]) == {"Offset": (1, 1, 16), "Scale": (1, 1, 16)}
    assert bn.state_sizes([img]) == {"TrainedMean": (1, 1, 16), "TrainedVariance": (1, 1, 16)}
    assert bn.learnable_sizes([Layout((), 5)]) == {"Offset": (5, 1), "Scale": (5, 1)}
    assert bn.copy(**bn.resolve([img])).description() == "Batch normalization with 16 channels"
    assert bn.learnable_factors("Offset") == (1.0, 1.0)
    assert layer(ScaleLearnRateFactor=2, ScaleL2Factor=0).learnable_factors("Scale") == (2.0, 0.0)
    with pytest.raises(OptionError, match="NumChannels"):
        layer(NumChannels=3)
    with pytest.raises(OptionError, match="Epsilon"):
        layer(Epsilon=0)
    with pytest.raises(OptionError, match="MeanDecay"):
        layer(MeanDecay=1.5)


def test_batchnorm_in_a_network_reads_back_trained_values():
    layers = [lg.imageInputLayer([4, 4, 2], Normalization="none"), lg.batchNormalizationLayer(Name="bn")]
    net = lg.dlnetwork(layers)
    net.train()
    net(torch.randn(3, 2, 4, 4) * 2 + 5)
    trained = net.trained_layer("bn")
    assert tuple(trained.TrainedMean.shape) == (1, 1, 2)
    assert torch.all(trained.TrainedMean > 0.1)
    assert trained.description() == "Batch normalization with 2 channels"


# --------------------------------------------------------------------------------------------------
# Concatenation


def test_depth_concatenation_concatenates_channels_in_input_order():
    a, b = RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=(2, 1, 4, 5))
    layer = lg.depthConcatenationLayer(2)
    assert layer.input_names() == ("in1", "in2")
    assert layer.description() == "Depth concatenation of 2 inputs"
    outs = layer.infer([Layout((4, 5), 3), Layout((4, 5), 1)])
    assert outs == [Layout((4, 5), 4)]
    y, _ = run(layer, [Layout((4, 5), 3), Layout((4, 5), 1)], a, b)
    # MATLAB cat(3, A, B) on H×W×C×N arrays
    expected = np.concatenate([to_matlab(a), to_matlab(b)], axis=2)
    np.testing.assert_array_equal(y, to_torch(expected))
    with pytest.raises(LayoutError, match="Input size mismatch"):
        layer.infer([Layout((4, 5), 3), Layout((4, 6), 1)])


@pytest.mark.parametrize("dim, layouts", [
    (1, [Layout((2, 3), 2), Layout((4, 3), 2)]),
    (2, [Layout((2, 3), 2), Layout((2, 1), 2)]),
    (3, [Layout((2, 3), 2), Layout((2, 3), 5)]),
])
def test_concatenation_dim_indexes_matlab_layout(dim, layouts):
    layer = lg.concatenationLayer(dim, 2)
    assert layer.description() == f"Concatenation of 2 inputs along dimension {dim}"
    arrays = [RNG.normal(size=lay.torch_shape(2)) for lay in layouts]
    y, _ = run(layer, layouts, *arrays)
    expected = np.concatenate([to_matlab(a) for a in arrays], axis=dim - 1)   # MATLAB cat(dim, ...)
    np.testing.assert_array_equal(y, to_torch(expected))
    out = layer.infer(layouts)[0]
    assert out.torch_shape(2) == y.shape


def test_concatenation_of_volumes_dim_4_is_channels():
    layouts = [Layout((2, 3, 4), 2), Layout((2, 3, 4), 3)]
    arrays = [RNG.normal(size=lay.torch_shape(2)) for lay in layouts]    # N×C×H×W×D
    y, _ = run(lg.concatenationLayer(4, 2), layouts, *arrays)
    np.testing.assert_array_equal(y, np.concatenate(arrays, axis=1))
    assert lg.concatenationLayer(4, 2).infer(layouts) == [Layout((2, 3, 4), 5)]


def test_concatenation_of_sequences_along_channels_and_time():
    a, b = RNG.normal(size=(2, 4, 3)), RNG.normal(size=(2, 4, 2))      # torch N×T×C
    layer = lg.concatenationLayer(1, 2)                                   # CBT: 1 = C
    y, _ = run(layer, [Layout((), 3, True, 4), Layout((), 2, True, 4)], a, b)
    np.testing.assert_array_equal(y, np.concatenate([a, b], axis=2))
    time = lg.concatenationLayer(3, 2)                                    # CBT: 3 = T
    assert time.infer([Layout((), 3, True, 4), Layout((), 3, True, 6)]) == [Layout((), 3, True, 10)]
    y, _ = run(time, [Layout((), 3, True, 4), Layout((), 3, True, 6)], a, RNG.normal(size=(2, 6, 3)))
    assert y.shape == (2, 10, 3)


def test_concatenation_errors():
    with pytest.raises(LayoutError, match="batch"):
        lg.concatenationLayer(4, 2).infer([Layout((2, 2), 1), Layout((2, 2), 1)])
    with pytest.raises(LayoutError, match="dimension 3.*Input sizes"):
        lg.concatenationLayer(3, 2).infer([Layout((2, 2), 1), Layout((2, 3), 1)])
    with pytest.raises(LayoutError, match="Invalid concatenation dimension 5"):
        lg.concatenationLayer(5, 2).infer([Layout((2, 2), 1), Layout((2, 2), 1)])
    with pytest.raises(LayoutError, match="format"):
        lg.concatenationLayer(1, 2).infer([Layout((), 2), Layout((), 2, True)])
    with pytest.raises(OptionError, match="NumInputs"):
        lg.concatenationLayer(3, 1)
    with pytest.raises(OptionError, match="concatenationLayer"):
        lg.concatenationLayer(3)


def test_concatenation_in_a_graph_with_named_ports():
    layers = [
        lg.imageInputLayer([4, 4, 1], Normalization="none", Name="in"),
        lg.reluLayer(Name="r"),
        lg.depthConcatenationLayer(2, Name="cat"),
    ]
    graph = lg.layerGraph(layers)
    graph = lg.connectLayers(graph, "in", "cat/in2")
    net = lg.dlnetwork(graph)
    x = torch.randn(2, 1, 4, 4)
    y = net(x)
    torch.testing.assert_close(y, torch.cat([torch.relu(x), x], dim=1))


# --------------------------------------------------------------------------------------------------
# Group, instance and layer normalization


def affine(y, gamma, beta, channel_axis):
    shape = [1] * y.ndim
    shape[channel_axis] = -1
    return y * np.reshape(gamma, shape) + np.reshape(beta, shape)


def test_group_norm_uses_consecutive_channel_blocks():
    c, groups = 6, 3
    layout = Layout((2, 3), c)
    x = RNG.normal(size=(2, c, 2, 3)) * 2
    gamma, beta = RNG.normal(size=c), RNG.normal(size=c)
    layer = lg.groupNormalizationLayer(groups, Scale=gamma.reshape(1, 1, c), Offset=beta.reshape(1, 1, c))
    y, _ = run(layer, [layout], x)
    expected = np.empty_like(x)
    for n in range(2):
        for g in range(groups):
            block = x[n, 2 * g:2 * g + 2]                       # channels 2g, 2g+1
            expected[n, 2 * g:2 * g + 2] = (block - block.mean()) / np.sqrt(block.var() + 1e-5)
    np.testing.assert_allclose(y, affine(expected, gamma, beta, 1), atol=1e-6)


def test_group_norm_all_channels_and_channel_wise():
    layout = Layout((3, 3), 4)
    x = RNG.normal(size=(2, 4, 3, 3))
    y, _ = run(lg.groupNormalizationLayer("all-channels"), [layout], x)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-10)
    y, _ = run(lg.groupNormalizationLayer("channel-wise"), [layout], x)
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-10)
    # instanceNormalizationLayer is the channel-wise case
    y_inst, _ = run(lg.instanceNormalizationLayer(), [layout], x)
    np.testing.assert_allclose(y_inst, y, atol=1e-12)


def test_group_norm_errors():
    with pytest.raises(LayoutError, match=r"channels \(6\).*groups \(4\)"):
        lg.groupNormalizationLayer(4).infer([Layout((2, 2), 6)])
    with pytest.raises(OptionError, match="NumGroups"):
        lg.groupNormalizationLayer("some-channels")
    with pytest.raises(OptionError, match="groupNormalizationLayer.*NumGroups"):
        lg.groupNormalizationLayer()


def test_group_norm_sequence_statistics_include_time():
    layout = Layout((), 4, True)
    x = RNG.normal(size=(2, 5, 4))                           # N×T×C
    y, _ = run(lg.groupNormalizationLayer(2), [layout], x)
    expected = np.empty_like(x)
    for n in range(2):
        for g in range(2):
            block = x[n, :, 2 * g:2 * g + 2]
            expected[n, :, 2 * g:2 * g + 2] = (block - block.mean()) / np.sqrt(block.var() + 1e-5)
    np.testing.assert_allclose(y, expected, atol=1e-10)


def test_instance_norm_image_sequence_statistics_over_space_and_time():
    layout = Layout((2, 3), 2, True)
    x = RNG.normal(size=(2, 4, 2, 2, 3))                     # N×T×C×H×W
    y, _ = run(lg.instanceNormalizationLayer(), [layout], x)
    mean = x.mean(axis=(1, 3, 4), keepdims=True)
    var = x.var(axis=(1, 3, 4), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-10)


def test_layer_norm_operation_dimensions():
    seq = Layout((), 4, True)
    x = RNG.normal(size=(2, 5, 4))                           # N×T×C
    gamma, beta = RNG.normal(size=4), RNG.normal(size=4)
    kw = dict(Scale=gamma.reshape(4, 1), Offset=beta.reshape(4, 1))
    # 'auto' on sequences: per observation and time step, over C
    y, _ = run(lg.layerNormalizationLayer(**kw), [seq], x)
    m, v = x.mean(axis=2, keepdims=True), x.var(axis=2, keepdims=True)
    np.testing.assert_allclose(y, affine((x - m) / np.sqrt(v + 1e-5), gamma, beta, 2), atol=1e-6)
    # 'batch-excluded': over T and C
    y, _ = run(lg.layerNormalizationLayer(OperationDimension="batch-excluded", **kw), [seq], x)
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, affine((x - m) / np.sqrt(v + 1e-5), gamma, beta, 2), atol=1e-6)
    # 'auto' on images: over S and C, with per-channel (not per-element) Scale and Offset
    img = Layout((2, 3), 4)
    xi = RNG.normal(size=(2, 4, 2, 3))
    layer = lg.layerNormalizationLayer(Scale=gamma.reshape(1, 1, 4), Offset=beta.reshape(1, 1, 4))
    assert layer.learnable_sizes([img]) == {"Offset": (1, 1, 4), "Scale": (1, 1, 4)}
    y, _ = run(layer, [img], xi)
    m, v = xi.mean(axis=(1, 2, 3), keepdims=True), xi.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, affine((xi - m) / np.sqrt(v + 1e-5), gamma, beta, 1), atol=1e-6)
    # 'channel-only' on images: per pixel over C
    y, _ = run(lg.layerNormalizationLayer(OperationDimension="channel-only"), [img], xi)
    m, v = xi.mean(axis=1, keepdims=True), xi.var(axis=1, keepdims=True)
    np.testing.assert_allclose(y, (xi - m) / np.sqrt(v + 1e-5), atol=1e-10)
    with pytest.raises(OptionError, match="OperationDimension"):
        lg.layerNormalizationLayer(OperationDimension="time")


def test_norm_layer_descriptions_and_defaults():
    for ctor, title in [(lg.layerNormalizationLayer, "Layer normalization"),
                        (lg.instanceNormalizationLayer, "Instance normalization")]:
        layer = ctor()
        assert layer.Epsilon == 1e-5 and layer.OffsetInitializer == "zeros" and layer.ScaleInitializer == "ones"
        assert layer.description() == title
        assert layer.copy(NumChannels=8).description() == f"{title} with 8 channels"
    assert lg.groupNormalizationLayer(2).TYPE == "Group Normalization"


# --------------------------------------------------------------------------------------------------
# Cross-channel normalization


def lrn_reference(x, w, alpha, beta, k, channel_axis=1):
    """MATLAB: window floor((w-1)/2) channels behind and floor(w/2) ahead, clipped; alpha divided by w."""
    x = np.moveaxis(x, channel_axis, 0)
    c = x.shape[0]
    y = np.empty_like(x)
    for i in range(c):
        lo, hi = max(0, i - (w - 1) // 2), min(c - 1, i + w // 2)
        ss = (x[lo:hi + 1] ** 2).sum(axis=0)
        y[i] = x[i] / (k + alpha * ss / w) ** beta
    return np.moveaxis(y, 0, channel_axis)


@pytest.mark.parametrize("w", [1, 2, 3, 4, 5])
def test_cross_channel_norm_window_even_and_odd(w):
    layout = Layout((2, 2), 6)
    x = RNG.normal(size=(2, 6, 2, 2)) * 3
    layer = lg.crossChannelNormalizationLayer(w, Alpha=0.5, Beta=0.75, K=1)
    y, _ = run(layer, [layout], x)
    np.testing.assert_allclose(y, lrn_reference(x, w, 0.5, 0.75, 1), rtol=1e-10)


def test_cross_channel_norm_even_window_leans_forward():
    # one non-zero channel: with w = 2 it affects itself and the channel BEFORE it (which looks one ahead)
    x = np.zeros((1, 4, 1, 1))
    x[0, 2] = 2.0
    x[0, 1] = 1.0
    y, _ = run(lg.crossChannelNormalizationLayer(2, Alpha=1, Beta=1, K=1), [Layout((1, 1), 4)], x)
    # channel 1 sees channels 1 and 2: 1 / (1 + (1 + 4)/2); channel 2 sees 2 and 3: 2 / (1 + 4/2)
    np.testing.assert_allclose(y[0, :, 0, 0], [0.0, 1 / 3.5, 2 / 3.0, 0.0])


def test_cross_channel_norm_defaults_and_errors():
    layer = lg.crossChannelNormalizationLayer(5)
    assert (layer.Alpha, layer.Beta, layer.K) == (1e-4, 0.75, 2.0)
    assert layer.description() == "cross channel normalization with 5 channels per element"
    with pytest.raises(OptionError, match="WindowChannelSize"):
        lg.crossChannelNormalizationLayer()
    with pytest.raises(OptionError, match="WindowChannelSize"):
        lg.crossChannelNormalizationLayer(0)
    # MathWorks' current page: "a positive integer less than or equal to 16"
    assert lg.crossChannelNormalizationLayer(16).WindowChannelSize == 16
    with pytest.raises(OptionError, match="less than or equal to 16"):
        lg.crossChannelNormalizationLayer(17)


# --------------------------------------------------------------------------------------------------
# Multiplication and weighted addition


def test_multiplication_broadcasts_singleton_dims():
    layouts = [Layout((2, 3), 4), Layout((2, 3), 1), Layout((1, 3), 4)]
    layer = lg.multiplicationLayer(3)
    assert layer.infer(layouts) == [Layout((2, 3), 4)]
    assert layer.description() == "Element-wise multiplication of 3 inputs"
    a, b, c = (RNG.normal(size=lay.torch_shape(2)) for lay in layouts)
    y, _ = run(layer, layouts, a, b, c)
    np.testing.assert_allclose(y, a * b * c)
    with pytest.raises(LayoutError, match="Input size mismatch"):
        layer.infer([Layout((2, 3), 4), Layout((2, 3), 2), Layout((2, 3), 4)])


def test_weighted_addition_weights_and_initialization():
    layouts = [Layout((), 3)] * 2
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    layer = lg.weightedAdditionLayer(2, "wadd", Weights=[[0.2, 0.5]])
    assert layer.Name == "wadd" and layer.input_names() == ("in1", "in2")
    assert layer.description() == "Weighted addition of 2 inputs"
    y, module = run(layer, layouts, a, b)
    np.testing.assert_allclose(y, 0.2 * a + 0.5 * b, atol=1e-7)
    assert isinstance(module.Weights, torch.nn.Parameter)
    init = lg.weightedAdditionLayer(4).initial_value("Weights", [Layout((), 3)] * 4)
    assert tuple(init.shape) == (1, 4) and bool(torch.all((init >= 0) & (init < 1)))
    with pytest.raises(LayoutError):
        layer.infer([Layout((), 3), Layout((), 4)])


# --------------------------------------------------------------------------------------------------
# Cropping


def test_center_crop_uses_matlab_rounding():
    # H: in 5, out 2 -> start floor(5/2) - floor(2/2) = 1 (torchvision would start at 2)
    # W: in 6, out 3 -> start 3 - 1 = 2
    x = np.arange(2 * 1 * 5 * 6, dtype=float).reshape(2, 1, 5, 6)
    layer = lg.crop2dLayer("centercrop")
    assert layer.Mode == "centercrop" and layer.description() == "center crop"
    layouts = [Layout((5, 6), 1), Layout((2, 3), 7)]
    assert layer.infer(layouts) == [Layout((2, 3), 1)]
    y, _ = run(layer, layouts, x, np.zeros((2, 7, 2, 3)))
    np.testing.assert_array_equal(y, x[:, :, 1:3, 2:5])
    # even in, odd out: in 6, out 3 on H and in 4, out 1 on W -> starts 2 and 2
    y, _ = run(layer, [Layout((6, 4), 1), Layout((3, 1), 1)], np.arange(24.0).reshape(1, 1, 6, 4), np.zeros((1, 1, 3, 1)))
    np.testing.assert_array_equal(y[0, 0, :, 0], np.arange(24.0).reshape(6, 4)[2:5, 2])


def test_custom_crop_location_is_one_based_x_column_y_row():
    x = np.arange(5 * 6, dtype=float).reshape(1, 1, 5, 6)
    layer = lg.crop2dLayer([3, 2])                       # x = column 3, y = row 2
    assert layer.Mode == "custom" and layer.Location == (3, 2)
    y, _ = run(layer, [Layout((5, 6), 1), Layout((2, 2), 1)], x, np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(y[0, 0], x[0, 0, 1:3, 2:4])
    assert lg.crop2dLayer(2).Location == (2, 2)          # scalar expands
    with pytest.raises(LayoutError, match="outside"):
        lg.crop2dLayer([5, 1]).infer([Layout((5, 6), 1), Layout((2, 3), 1)])
    with pytest.raises(LayoutError, match="must not exceed"):
        lg.crop2dLayer("centercrop").infer([Layout((5, 6), 1), Layout((6, 3), 1)])
    with pytest.raises(OptionError, match="crop2dLayer"):
        lg.crop2dLayer()
    with pytest.raises(OptionError, match="Location"):
        lg.crop2dLayer("middle")


def test_crop_gradient_flows_to_in_only():
    layer = lg.crop2dLayer("centercrop")
    module = layer.build([Layout((4, 4), 1), Layout((2, 2), 1)])
    x = torch.randn(1, 1, 4, 4, requires_grad=True)
    ref = torch.randn(1, 1, 2, 2, requires_grad=True)
    module(x, ref).sum().backward()
    assert x.grad.sum() == 4 and ref.grad is None


def test_crop3d_center_and_custom_location():
    x = RNG.normal(size=(1, 2, 5, 6, 7))                 # N×C×H×W×D
    layouts = [Layout((5, 6, 7), 2), Layout((2, 3, 4), 1)]
    y, _ = run(lg.crop3dLayer(), layouts, x, np.zeros((1, 1, 2, 3, 4)))
    np.testing.assert_array_equal(y, x[:, :, 1:3, 2:5, 1:5])     # starts 2-1, 3-1, 3-2
    y, _ = run(lg.crop3dLayer([2, 3, 4]), layouts, x, np.zeros((1, 1, 2, 3, 4)))
    np.testing.assert_array_equal(y, x[:, :, 2:4, 1:4, 3:7])     # [x y z] -> rows from 3, cols from 2, depth from 4
    assert lg.crop3dLayer().CropLocation == "auto"


# --------------------------------------------------------------------------------------------------
# Resizing (expected values computed by hand from MATLAB's coordinate rules)


def resize_row(values, layer, in_len):
    x = np.asarray(values, dtype=float).reshape(1, 1, 1, in_len)
    y, _ = run(layer, [Layout((1, in_len), 1)], x)
    return y[0, 0, 0]


def test_resize_nearest_half_pixel_round():
    # scale 2: u = (x+0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25 -> 0 0 1 1 2 2
    np.testing.assert_array_equal(resize_row([10, 20, 30], lg.resize2dLayer("Scale", [1, 2]), 3),
                                  [10, 10, 20, 20, 30, 30])
    # scale 0.5: u = 2x + 0.5 = 0.5, 2.5 -> round half up: 1, 3
    np.testing.assert_array_equal(resize_row([1, 2, 3, 4], lg.resize2dLayer("Scale", [1, 0.5]), 4), [2, 4])
    # 'floor' rounding: 0, 2
    layer = lg.resize2dLayer("Scale", [1, 0.5], NearestRoundingMode="floor")
    np.testing.assert_array_equal(resize_row([1, 2, 3, 4], layer, 4), [1, 3])
    # 'onnx-10' with s < 1 takes ceil: 1, 3 (values 2 and 4)
    layer = lg.resize2dLayer("Scale", [1, 0.5], NearestRoundingMode="onnx-10")
    np.testing.assert_array_equal(resize_row([1, 2, 3, 4], layer, 4), [2, 4])


def test_resize_bilinear_half_pixel_and_asymmetric():
    # half-pixel, scale 2 on [0 4]: u = -0.25->0, 0.25, 0.75, 1.25->1  =>  0 1 3 4
    layer = lg.resize2dLayer("Scale", [1, 2], Method="bilinear")
    np.testing.assert_allclose(resize_row([0, 4], layer, 2), [0, 1, 3, 4])
    # asymmetric: u = x/2 = 0, 0.5, 1, 1.5->1  =>  0 2 4 4
    layer = lg.resize2dLayer("Scale", [1, 2], Method="bilinear", GeometricTransformMode="asymmetric")
    np.testing.assert_allclose(resize_row([0, 4], layer, 2), [0, 2, 4, 4])


def test_resize_scale_itself_maps_coordinates():
    # Scale 1.5 on 3 columns: out floor(4.5) = 4; u = (x+0.5)/1.5 - 0.5 = -1/6, 1/2, 7/6, 11/6
    # (out/in = 4/3 would give 0.625 for x = 1)
    layer = lg.resize2dLayer("Scale", [1, 1.5], Method="bilinear")
    np.testing.assert_allclose(resize_row([0, 3, 6], layer, 3), [0, 1.5, 3.5, 5.5])


def test_resize_bilinear_two_dims_separable():
    x = np.array([[0.0, 4.0], [8.0, 12.0]]).reshape(1, 1, 2, 2)
    y, _ = run(lg.resize2dLayer("Scale", 2, Method="bilinear"), [Layout((2, 2), 1)], x)
    row = np.array([0.0, 1.0, 3.0, 4.0])                  # along W, as above
    col = np.array([0.0, 0.25, 0.75, 1.0])                # fractional row positions
    expected = (1 - col)[:, None] * row[None, :] + col[:, None] * (row + 8)[None, :]
    np.testing.assert_allclose(y[0, 0], expected)


def test_resize_output_size_nan_and_reference_input():
    layer = lg.resize2dLayer("OutputSize", [float("nan"), 6])
    assert layer.infer([Layout((2, 3), 5)]) == [Layout((4, 6), 5)]      # ratio 6/3 applied to H
    ref = lg.resize2dLayer("EnableReferenceInput", True)
    assert ref.input_names() == ("in", "ref")
    assert ref.infer([Layout((2, 3), 5), Layout((7, 1), 2)]) == [Layout((7, 1), 5)]
    y, _ = run(ref, [Layout((1, 3), 1), Layout((1, 6), 1)], np.array([10.0, 20, 30]).reshape(1, 1, 1, 3),
               np.zeros((1, 1, 1, 6)))
    np.testing.assert_array_equal(y[0, 0, 0], [10, 10, 20, 20, 30, 30])
    assert lg.resize2dLayer("Scale", 2).description() == "Resize by scale [2 2] using 'nearest'"


def test_resize3d_trilinear_matches_separable_hand_values():
    x = np.zeros((1, 1, 1, 1, 2))
    x[..., 1] = 4.0
    layer = lg.resize3dLayer("Scale", [1, 1, 2], Method="trilinear")
    y, _ = run(layer, [Layout((1, 1, 2), 1)], x)
    np.testing.assert_allclose(y[0, 0, 0, 0], [0, 1, 3, 4])


def test_resize_option_errors():
    with pytest.raises(OptionError, match="exactly one"):
        lg.resize2dLayer()
    with pytest.raises(OptionError, match="exactly one"):
        lg.resize2dLayer("Scale", 2, "OutputSize", [4, 4])
    with pytest.raises(OptionError, match="OutputSize"):
        lg.resize2dLayer("OutputSize", [float("nan"), float("nan")])
    with pytest.raises(OptionError, match="Scale"):
        lg.resize2dLayer("Scale", -1)
    with pytest.raises(OptionError, match="Method"):
        lg.resize2dLayer("Scale", 2, Method="trilinear")
    with pytest.raises(LayoutError, match="spatial"):
        lg.resize2dLayer("Scale", 2).infer([Layout((), 3)])
    with pytest.raises(LayoutError, match="at least 1"):
        lg.resize2dLayer("Scale", 0.4).infer([Layout((1, 4), 1)])


# --------------------------------------------------------------------------------------------------
# Constructor forms


@pytest.mark.parametrize("ctor", [lg.leakyReluLayer, lg.eluLayer, lg.dropoutLayer, lg.crop3dLayer])
def test_text_in_an_optional_numeric_position_is_an_option_name(ctor):
    with pytest.raises(OptionError, match="'Nmae' is not an option.*Did you mean 'Name'"):
        ctor("Nmae", "x")
    assert ctor("Name", "x").Name == "x"


def test_weighted_addition_positional_name_and_pairs():
    assert lg.weightedAdditionLayer(2, "w").Name == "w"
    assert lg.weightedAdditionLayer(2, "Name", "w").Name == "w"
    assert lg.weightedAdditionLayer(2, "w", "Weights", [[1, 2]]).Weights.shape == (1, 2)
    with pytest.raises(OptionError, match="'Wieghts' is not an option"):
        lg.weightedAdditionLayer(2, "Wieghts", [[1, 2]])


def test_prelu_alpha_is_trained_through_the_network():
    net = lg.dlnetwork([lg.featureInputLayer(3, Name="in"), lg.preluLayer(Name="p")])
    out = net(-torch.ones(4, 3))
    out.sum().backward()
    alpha = net.layer_module("p").Alpha
    assert alpha.grad is not None and torch.allclose(alpha.grad, torch.full_like(alpha, -4.0))
    assert tuple(net.trained_layer("p").Alpha.shape) == (3, 1)
