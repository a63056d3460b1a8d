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
    np.testing.assert_allclose(run(lg.tanhLayer(), [Layout((), 5)], x)[0], np.tanh(x))
    np.testing.assert_allclose(run(lg.sigmoidLayer(), [Layout((), 5)], x)[0], 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(run(lg.swishLayer(), [Layout((), 5)], x)[0], x / (1 + np.exp(-x)))
    np.testing.assert_allclose(run(lg.softplusLayer(), [Layout((), 5)], x)[0], np.log1p(np.exp(x)))
    assert lg.tanhLayer().description() == "Hyperbolic tangent"
    assert lg.softplusLayer().TYPE == "Softplus"


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
