"""Numeric references for pooling, convolution and input layers, written from MATLAB's formulas with
NumPy loops (they never call the layer implementation), plus option errors and display strings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from layergraph import (
    LayoutError,
    OptionError,
    analyzeNetwork,
    averagePooling1dLayer,
    averagePooling2dLayer,
    averagePooling3dLayer,
    connectLayers,
    dlnetwork,
    globalAveragePooling1dLayer,
    globalAveragePooling2dLayer,
    globalAveragePooling3dLayer,
    globalMaxPooling1dLayer,
    globalMaxPooling2dLayer,
    globalMaxPooling3dLayer,
    imageInputLayer,
    layerGraph,
    maxPooling1dLayer,
    maxPooling2dLayer,
    maxPooling3dLayer,
    maxUnpooling2dLayer,
)
from layergraph.layers.base import Layout

RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------------------------------
# NumPy references (MATLAB formulas)


def matlab_same(size, filt, stride, dilation=1):
    """MATLAB 'same': output ceil(in/stride); total padding split floor before, ceil after."""
    out = -(-size // stride)
    eff = (filt - 1) * dilation + 1
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def ref_pool(x, pool, stride, pads, kind):
    """Pool the trailing len(pool) dims of x (N×C×D1..Dn); pads = [(before, after)] per dim.

    Max pads with -inf; average pads with zeros and divides every window by prod(pool).
    """
    n = len(pool)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads], constant_values=fill)
    out_sizes = [(xp.shape[2 + d] - pool[d]) // stride[d] + 1 for d in range(n)]
    y = np.zeros(x.shape[:2] + tuple(out_sizes))
    for idx in np.ndindex(*out_sizes):
        window = tuple(slice(i * s, i * s + p) for i, s, p in zip(idx, stride, pool))
        block = xp[(slice(None), slice(None)) + window].reshape(x.shape[0], x.shape[1], -1)
        if kind == "max":
            y[(slice(None), slice(None)) + idx] = block.max(axis=2)
        else:
            y[(slice(None), slice(None)) + idx] = block.sum(axis=2) / math.prod(pool)
    return y


def run(layer, layout, x):
    module = layer.build([layout]).double()
    with torch.no_grad():
        out = module(torch.as_tensor(x))
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


# --------------------------------------------------------------------------------------------------
# 2-D pooling


def test_pooling_default_stride_is_one():
    layer = maxPooling2dLayer(2)
    assert layer.Stride == (1, 1)
    assert layer.PaddingSize == [0, 0, 0, 0] and layer.PaddingMode == "manual"
    x = RNG.standard_normal((2, 3, 7, 9))
    y = run(layer, Layout((7, 9), 3), x)
    assert y.shape == (2, 3, 6, 8)
    np.testing.assert_allclose(y, ref_pool(x, (2, 2), (1, 1), [(0, 0), (0, 0)], "max"))
    assert averagePooling2dLayer(3).Stride == (1, 1)


@pytest.mark.parametrize("kind", ["max", "average"])
def test_same_padding_stride_two_odd_total_goes_bottom_right(kind):
    ctor = maxPooling2dLayer if kind == "max" else averagePooling2dLayer
    # H=8, pool 3, stride 2: out 4, total 1 -> [0 1]; W=9, pool 2, stride 2: out 5, total 1 -> [0 1]
    assert matlab_same(8, 3, 2) == (0, 1) and matlab_same(9, 2, 2) == (0, 1)
    layer = ctor([3, 2], "Stride", 2, "Padding", "same")
    layout = Layout((8, 9), 2)
    assert layer.infer([layout])[0] == Layout((4, 5), 2)
    x = RNG.standard_normal((2, 2, 8, 9))
    expected = ref_pool(x, (3, 2), (2, 2), [(0, 1), (0, 1)], kind)
    np.testing.assert_allclose(run(layer, layout, x), expected, rtol=1e-12)
    # padding at the top/left instead would give different numbers
    wrong = ref_pool(x, (3, 2), (2, 2), [(1, 0), (1, 0)], kind)
    assert not np.allclose(expected, wrong)


def test_same_padding_even_total_is_symmetric_and_recomputed_per_input_size():
    layer = averagePooling2dLayer(3, "Stride", 2, "Padding", "same")
    for h, w in [(7, 7), (10, 5)]:
        pads = [matlab_same(h, 3, 2), matlab_same(w, 3, 2)]
        x = RNG.standard_normal((1, 2, h, w))
        np.testing.assert_allclose(run(layer, Layout((h, w), 2), x), ref_pool(x, (3, 3), (2, 2), pads, "average"))
        assert layer.infer([Layout((h, w), 2)])[0].spatial == (-(-h // 2), -(-w // 2))


def test_average_pooling_counts_zero_padding():
    layer = averagePooling2dLayer(2, "Padding", 1)
    x = np.ones((1, 1, 3, 3))
    y = run(layer, Layout((3, 3), 1), x)
    # corners see one input pixel out of 4, edges two, the centre windows four
    expected = np.array([[0.25, 0.5, 0.5, 0.25], [0.5, 1, 1, 0.5], [0.5, 1, 1, 0.5], [0.25, 0.5, 0.5, 0.25]])
    np.testing.assert_allclose(y[0, 0], expected)


def test_max_pooling_pads_with_minus_infinity():
    layer = maxPooling2dLayer(2, "Padding", [1, 0, 1, 0])
    x = -np.ones((1, 1, 2, 2)) * np.arange(1, 5).reshape(1, 1, 2, 2)
    y = run(layer, Layout((2, 2), 1), x)
    np.testing.assert_allclose(y, ref_pool(x, (2, 2), (1, 1), [(1, 0), (1, 0)], "max"))
    assert (y < 0).all()  # zero padding would have produced zeros


def test_manual_padding_forms_and_floor_output():
    assert maxPooling2dLayer(3, "Padding", 1).PaddingSize == [1, 1, 1, 1]
    assert maxPooling2dLayer(3, "Padding", [1, 2]).PaddingSize == [1, 1, 2, 2]
    layer = averagePooling2dLayer([3, 2], "Stride", [2, 3], "Padding", [2, 0, 1, 1])
    layout = Layout((9, 10), 2)
    # H: (9+2-3)//2+1 = 5; W: (10+2-2)//3+1 = 4 (floor)
    assert layer.infer([layout])[0].spatial == (5, 4)
    x = RNG.standard_normal((2, 2, 9, 10))
    np.testing.assert_allclose(run(layer, layout, x), ref_pool(x, (3, 2), (2, 3), [(2, 0), (1, 1)], "average"))


def test_image_sequences_pool_each_time_step():
    layer = maxPooling2dLayer(2, "Stride", 2)
    layout = Layout((6, 4), 3, True, 5)
    assert layer.infer([layout])[0] == Layout((3, 2), 3, True, 5)
    x = RNG.standard_normal((2, 5, 3, 6, 4))
    y = run(layer, layout, x)
    for t in range(5):
        np.testing.assert_allclose(y[:, t], ref_pool(x[:, t], (2, 2), (2, 2), [(0, 0), (0, 0)], "max"))


def test_one_dimensional_image_sequences_pool_space_and_time():
    # SCBT: 2-D pooling treats S and T as the two pooled dimensions (MATLAB doc)
    layer = averagePooling2dLayer([2, 3], "Stride", [2, 1])
    layout = Layout((6,), 2, True, 7)
    out = layer.infer([layout])[0]
    assert out == Layout((3,), 2, True, 5)
    x = RNG.standard_normal((2, 7, 2, 6))           # N×T×C×S
    y = run(layer, layout, x)
    as_image = x.transpose(0, 2, 3, 1)               # N×C×S×T
    expected = ref_pool(as_image, (2, 3), (2, 1), [(0, 0), (0, 0)], "average").transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y, expected)


def test_descriptions_types_and_default_names():
    assert maxPooling2dLayer(2, "Stride", 2).description() == "2×2 max pooling with stride [2  2] and padding [0  0  0  0]"
    assert averagePooling2dLayer(7, "Stride", 7).description() == (
        "7×7 average pooling with stride [7  7] and padding [0  0  0  0]")
    assert maxPooling2dLayer(3, "Padding", "same").description() == (
        "3×3 max pooling with stride [1  1] and padding 'same'")
    assert maxPooling2dLayer(2).Type == "2-D Max Pooling"
    assert averagePooling2dLayer(2).Type == "2-D Average Pooling"
    gap = globalAveragePooling2dLayer()
    assert gap.Type == "2-D Global Average Pooling" and gap.description() == "2-D global average pooling"
    assert globalMaxPooling2dLayer().Type == "2-D Global Max Pooling"
    names = {c.DEFAULT_NAME for c in (type(maxPooling2dLayer(2)), type(averagePooling2dLayer(2)), type(gap))}
    assert names == {"maxpool", "avgpool", "gapool"}
    assert maxPooling1dLayer(3).description() == "3 max pooling with stride 1 and padding [0  0]"
    assert maxPooling3dLayer(2, "Stride", 2).description() == (
        "2×2×2 max pooling with stride [2  2  2] and padding [0  0  0; 0  0  0]")


@pytest.mark.parametrize(
    "make, option",
    [
        (lambda: maxPooling2dLayer(2, "Padding", 2), "Padding"),
        (lambda: averagePooling2dLayer([3, 2], "Padding", [0, 0, 2, 0]), "Padding"),
        (lambda: maxPooling1dLayer(2, "Padding", [0, 2]), "Padding"),
        (lambda: averagePooling3dLayer(2, "Padding", [[0, 0, 2], [0, 0, 0]]), "Padding"),
        (lambda: maxPooling2dLayer(0), "PoolSize"),
        (lambda: maxPooling2dLayer([2, -1]), "PoolSize"),
        (lambda: averagePooling2dLayer(2, "Stride", 0), "Stride"),
        (lambda: maxPooling2dLayer(2, "Padding", "valid"), "Padding"),
        (lambda: maxPooling2dLayer(2, "Padding", -1), "Padding"),
        (lambda: maxPooling1dLayer(2, "Padding", "full"), "Padding"),
        (lambda: maxPooling2dLayer(2, "HasUnpoolingOutputs", True), "HasUnpoolingOutputs"),
        (lambda: maxPooling2dLayer([2, 3], "Stride", [2, 2], "HasUnpoolingOutputs", True), "HasUnpoolingOutputs"),
    ],
)
def test_pooling_option_errors_name_layer_and_option(make, option):
    with pytest.raises(OptionError) as err:
        make()
    msg = str(err.value)
    assert "Pooling" in msg and option in msg


def test_padding_error_when_set_after_construction_keeps_old_value():
    layer = maxPooling2dLayer(3, "Name", "mp")
    with pytest.raises(OptionError, match="maxPooling2dLayer 'mp'.*Padding"):
        layer.Padding = 3
    assert layer.PaddingSize == [0, 0, 0, 0]


def test_pooling_input_errors():
    with pytest.raises(LayoutError, match="SSCB"):
        maxPooling2dLayer(2).infer([Layout((), 4)])
    with pytest.raises(LayoutError, match="pool size"):
        maxPooling2dLayer(5).infer([Layout((3, 8), 1)])
    with pytest.raises(LayoutError, match="format"):
        maxPooling1dLayer(2).infer([Layout((4, 4), 1)])


# --------------------------------------------------------------------------------------------------
# Global pooling


def test_global_average_pooling_outputs_one_by_one_by_c():
    layer = globalAveragePooling2dLayer()
    layout = Layout((5, 6), 4)
    out = layer.infer([layout])[0]
    assert out == Layout((1, 1), 4)
    assert out.size_string() == "1(S) × 1(S) × 4(C) × 1(B)" and out.format == "SSCB"
    x = RNG.standard_normal((2, 4, 5, 6))
    y = run(layer, layout, x)
    assert y.shape == (2, 4, 1, 1)
    for n in range(2):
        for c in range(4):
            assert y[n, c, 0, 0] == pytest.approx(sum(x[n, c].ravel()) / 30)


def test_global_pooling_sequences_and_other_dimensions():
    x = RNG.standard_normal((2, 3, 4, 5, 6))                        # N×T×C×H×W
    y = run(globalMaxPooling2dLayer(), Layout((5, 6), 4, True, 3), x)
    np.testing.assert_allclose(y, x.max(axis=(3, 4), keepdims=True))
    # SCBT: pools S and T
    layout = Layout((6,), 4, True, 3)
    # pooling over T removes the time dimension: SCBT -> 1(S) × C(C) × 1(B), torch N×C×1
    assert globalAveragePooling2dLayer().infer([layout])[0] == Layout((1,), 4)
    x = RNG.standard_normal((2, 3, 4, 6))
    np.testing.assert_allclose(run(globalAveragePooling2dLayer(), layout, x), x.mean(axis=(1, 3))[:, :, None])
    np.testing.assert_allclose(run(globalMaxPooling2dLayer(), layout, x), x.max(axis=(1, 3))[:, :, None])
    # 1-D: CBT pools time (sequence-to-one, C × B), SCB pools space
    seq = RNG.standard_normal((2, 7, 3))
    assert globalAveragePooling1dLayer().infer([Layout((), 3, True)])[0] == Layout((), 3)
    np.testing.assert_allclose(run(globalAveragePooling1dLayer(), Layout((), 3, True), seq), seq.mean(axis=1))
    np.testing.assert_allclose(run(globalMaxPooling1dLayer(), Layout((), 3, True), seq), seq.max(axis=1))
    sig = RNG.standard_normal((2, 3, 9))
    np.testing.assert_allclose(run(globalMaxPooling1dLayer(), Layout((9,), 3), sig), sig.max(axis=2, keepdims=True))
    vol = RNG.standard_normal((2, 3, 4, 5, 2))
    np.testing.assert_allclose(run(globalAveragePooling3dLayer(), Layout((4, 5, 2), 3), vol),
                               vol.mean(axis=(2, 3, 4), keepdims=True))
    np.testing.assert_allclose(run(globalMaxPooling3dLayer(), Layout((4, 5, 2), 3), vol),
                               vol.max(axis=(2, 3, 4), keepdims=True))


# --------------------------------------------------------------------------------------------------
# 1-D and 3-D pooling


def test_one_d_pooling_over_time_space_and_same():
    seq = RNG.standard_normal((2, 9, 3))                              # CBT: N×T×C, pools T
    layer = maxPooling1dLayer(4, "Stride", 3, "Padding", "same")
    assert matlab_same(9, 4, 3) == (0, 1) and matlab_same(10, 4, 3) == (1, 2)
    y = run(layer, Layout((), 3, True), seq)
    expected = ref_pool(seq.transpose(0, 2, 1), (4,), (3,), [matlab_same(9, 4, 3)], "max").transpose(0, 2, 1)
    np.testing.assert_allclose(y, expected)
    sig = RNG.standard_normal((2, 3, 10))                             # SCB: N×C×L
    y = run(averagePooling1dLayer(4, "Stride", 3, "Padding", "same"), Layout((10,), 3), sig)
    np.testing.assert_allclose(y, ref_pool(sig, (4,), (3,), [(1, 2)], "average"))
    assert averagePooling1dLayer(2).Stride == 1
    assert averagePooling1dLayer(2, "Padding", 1).PaddingSize == [1, 1]


def test_three_d_pooling_with_two_by_three_padding():
    layer = averagePooling3dLayer(3, "Stride", 2, "Padding", [[1, 0, 2], [1, 2, 0]])
    assert layer.PaddingSize == [[1, 0, 2], [1, 2, 0]]
    assert averagePooling3dLayer(3, "Padding", [1, 2, 0]).PaddingSize == [[1, 2, 0], [1, 2, 0]]
    layout = Layout((6, 5, 4), 2)
    x = RNG.standard_normal((2, 2, 6, 5, 4))
    pads = [(1, 1), (0, 2), (2, 0)]
    np.testing.assert_allclose(run(layer, layout, x), ref_pool(x, (3, 3, 3), (2, 2, 2), pads, "average"))
    same = maxPooling3dLayer([2, 3, 2], "Stride", 2, "Padding", "same")
    pads = [matlab_same(s, p, 2) for s, p in zip((6, 5, 4), (2, 3, 2))]
    np.testing.assert_allclose(run(same, layout, x), ref_pool(x, (2, 3, 2), (2, 2, 2), pads, "max"))
    assert same.infer([layout])[0].spatial == (3, 3, 2)


# --------------------------------------------------------------------------------------------------
# Max unpooling


def ref_argmax_unpool(x, pool, stride):
    """Max positions of non-overlapping windows; unpooling puts each max back, zeros elsewhere."""
    n, c, h, w = x.shape
    out = np.zeros_like(x)
    for i in range((h - pool) // stride + 1):
        for j in range((w - pool) // stride + 1):
            for a in range(n):
                for b in range(c):
                    block = x[a, b, i * stride:i * stride + pool, j * stride:j * stride + pool]
                    r, s = np.unravel_index(np.argmax(block), block.shape)
                    out[a, b, i * stride + r, j * stride + s] = block[r, s]
    return out


def test_unpooling_outputs_and_round_trip():
    layer = maxPooling2dLayer(2, "Stride", 2, "HasUnpoolingOutputs", True)
    assert layer.OutputNames == ["out", "indices", "size"] and layer.NumOutputs == 3
    assert maxUnpooling2dLayer().InputNames == ["in", "indices", "size"]
    layout = Layout((6, 7), 3)
    x = RNG.standard_normal((2, 3, 6, 7))
    y, idx, size = run(layer, layout, x)
    np.testing.assert_allclose(y, ref_pool(x, (2, 2), (2, 2), [(0, 0), (0, 0)], "max"))
    assert tuple(size) == (2, 3, 6, 7)
    unpool = maxUnpooling2dLayer()
    outs = layer.infer([layout])
    assert unpool.infer(outs)[0] == layout
    back = unpool.build(outs).double()(torch.as_tensor(y), torch.as_tensor(idx), torch.as_tensor(size)).detach().numpy()
    np.testing.assert_allclose(back, ref_argmax_unpool(x, 2, 2))


def test_unpooling_with_same_padding_indices_refer_to_unpadded_input():
    layer = maxPooling2dLayer(2, "Stride", 2, "Padding", "same", "HasUnpoolingOutputs", True)
    layout = Layout((5, 5), 1)
    x = RNG.standard_normal((1, 1, 5, 5))
    y, idx, _ = run(layer, layout, x)
    # every recorded index points at the pooled maximum in the unpadded 5×5 plane
    np.testing.assert_allclose(x.reshape(1, 1, 25)[0, 0, idx.reshape(-1)], y.reshape(-1))
    outs = layer.infer([layout])
    back = maxUnpooling2dLayer().build(outs).double()(torch.as_tensor(y), torch.as_tensor(idx)).numpy()
    assert back.shape == (1, 1, 5, 5) and np.count_nonzero(back) == 9


def test_unpooling_network_end_to_end_and_gradients():
    layers = [
        imageInputLayer([4, 6, 2], "Normalization", "none", "Name", "in"),
        maxPooling2dLayer(2, "Stride", 2, "HasUnpoolingOutputs", True, "Name", "mpool"),
        maxUnpooling2dLayer("Name", "unpool"),
    ]
    lgraph = layerGraph(layers)
    lgraph = connectLayers(lgraph, "mpool/indices", "unpool/indices")
    lgraph = connectLayers(lgraph, "mpool/size", "unpool/size")
    info = analyzeNetwork(lgraph, "TargetUsage", "dlnetwork", "Plots", "none")
    assert info.Issues == [] and info.TotalLearnables == 0
    assert info.layer_info("mpool").ActivationSizes[0] == "2(S) × 3(S) × 2(C) × 1(B)"
    assert info.layer_info("unpool").ActivationSizes == ["4(S) × 6(S) × 2(C) × 1(B)"]
    net = dlnetwork(lgraph)
    x = torch.randn(3, 2, 4, 6, dtype=torch.float32, requires_grad=True)
    y = net(x)
    expected = ref_argmax_unpool(x.detach().double().numpy(), 2, 2)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (expected != 0).astype(float))


def test_unpooling_input_errors():
    with pytest.raises(LayoutError, match="indices"):
        maxUnpooling2dLayer().infer([Layout((3, 3), 2), Layout((2, 3), 2), Layout((6, 6), 2)])
    with pytest.raises(LayoutError, match="size"):
        maxUnpooling2dLayer().infer([Layout((3, 3), 2), Layout((3, 3), 2), Layout((6, 6), 5)])
    with pytest.raises(LayoutError, match="sequence"):
        maxPooling2dLayer(2, "Stride", 2, "HasUnpoolingOutputs", True).infer([Layout((4, 4), 1, True)])


# --------------------------------------------------------------------------------------------------
# Convolution references (MATLAB layout weights, cross-correlation, NumPy loops)

from layergraph import (  # noqa: E402
    convolution1dLayer,
    convolution2dLayer,
    convolution3dLayer,
    featureInputLayer,
    groupedConvolution2dLayer,
    image3dInputLayer,
    roiInputLayer,
    sequenceInputLayer,
    transposedConv2dLayer,
    transposedConv3dLayer,
)


def ref_conv2d(x, w, b, stride, pads, dilation=(1, 1), mode=0.0):
    """x N×C×H×W; w MATLAB h×w×C×F; b F; pads [(t, b), (l, r)]; mode a number or a numpy pad mode."""
    if isinstance(mode, str):
        xp = np.pad(x, [(0, 0), (0, 0)] + list(pads), mode=mode)
    else:
        xp = np.pad(x, [(0, 0), (0, 0)] + list(pads), constant_values=mode)
    kh, kw, c, f = w.shape
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh = (xp.shape[2] - eh) // stride[0] + 1
    ow = (xp.shape[3] - ew) // stride[1] + 1
    y = np.zeros((x.shape[0], f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    patch = xp[:, :, i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]]  # N×C
                    y[:, :, i, j] += patch @ w[p, q]                                                     # C×F
    return y + b.reshape(1, -1, 1, 1)


def forward(layer, layout, x):
    module = layer.build([layout]).double()
    with torch.no_grad():
        return module(torch.as_tensor(x)).numpy()


def test_conv2d_same_padding_stride_two_odd_totals():
    # H=8, F=3, S=2: out 4, total 1 -> (0, 1); W=7, F=4, S=3: out 3, total 3 -> (1, 2)
    assert matlab_same(8, 3, 2) == (0, 1) and matlab_same(7, 4, 3) == (1, 2)
    w = RNG.standard_normal((3, 4, 2, 5))
    b = RNG.standard_normal(5)
    layer = convolution2dLayer([3, 4], 5, "Stride", [2, 3], "Padding", "same", "Weights", w, "Bias", b.reshape(1, 1, 5))
    layout = Layout((8, 7), 2)
    assert layer.infer([layout])[0] == Layout((4, 3), 5)
    x = RNG.standard_normal((2, 2, 8, 7))
    np.testing.assert_allclose(forward(layer, layout, x), ref_conv2d(x, w, b, (2, 3), [(0, 1), (1, 2)]), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("value, numpy_mode", [("symmetric-include-edge", "symmetric"),
                                               ("symmetric-exclude-edge", "reflect"),
                                               ("replicate", "edge"), (2.5, 2.5)])
def test_conv2d_padding_values(value, numpy_mode):
    w = RNG.standard_normal((3, 3, 2, 3))
    b = RNG.standard_normal(3)
    layer = convolution2dLayer(3, 3, "Padding", [2, 1, 0, 2], "PaddingValue", value, "Weights", w,
                               "Bias", b.reshape(1, 1, 3), "DilationFactor", [1, 2])
    layout = Layout((5, 6), 2)
    x = RNG.standard_normal((2, 2, 5, 6))
    expected = ref_conv2d(x, w, b, (1, 1), [(2, 1), (0, 2)], (1, 2), numpy_mode)
    np.testing.assert_allclose(forward(layer, layout, x), expected, rtol=1e-5, atol=1e-5)
    assert layer.PaddingValue == value


def test_symmetric_padding_modes_by_hand():
    # one row [1 2 3], padding 2 on the left: include-edge mirrors [2 1 | 1 2 3], exclude-edge [3 2 | 1 2 3]
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    w = np.ones((1, 1, 1, 1))
    for value, row in [("symmetric-include-edge", [2, 1, 1, 2, 3]), ("symmetric-exclude-edge", [3, 2, 1, 2, 3]),
                       ("replicate", [1, 1, 1, 2, 3])]:
        layer = convolution2dLayer(1, 1, "Padding", [0, 0, 2, 0], "PaddingValue", value, "Weights", w, "Bias", 0)
        np.testing.assert_allclose(forward(layer, Layout((1, 3), 1), x)[0, 0, 0], row)


def test_grouped_convolution_weight_layout():
    h, w_, cpg, fpg, g = 2, 3, 2, 3, 2
    W = RNG.standard_normal((h, w_, cpg, fpg, g))
    B = RNG.standard_normal((1, 1, fpg, g))
    layer = groupedConvolution2dLayer([h, w_], fpg, g, "Weights", W, "Bias", B, "Padding", "same")
    layout = Layout((5, 6), cpg * g)
    assert layer.learnable_sizes([layout]) == {"Weights": (2, 3, 2, 3, 2), "Bias": (1, 1, 3, 2)}
    assert layer.infer([layout])[0] == Layout((5, 6), fpg * g)
    x = RNG.standard_normal((2, cpg * g, 5, 6))
    y = forward(layer, layout, x)
    pads = [matlab_same(5, h, 1), matlab_same(6, w_, 1)]
    for k in range(g):   # group k sees channels k*cpg.. and produces outputs k*fpg.. (group-major)
        expected = ref_conv2d(x[:, k * cpg:(k + 1) * cpg], W[:, :, :, :, k], B[0, 0, :, k], (1, 1), pads)
        np.testing.assert_allclose(y[:, k * fpg:(k + 1) * fpg], expected, rtol=1e-5, atol=1e-5)


def test_channel_wise_grouped_convolution():
    layer = groupedConvolution2dLayer(3, 2, "channel-wise")
    layout = Layout((6, 6), 4)
    assert layer.learnable_sizes([layout]) == {"Weights": (3, 3, 1, 2, 4), "Bias": (1, 1, 2, 4)}
    assert layer.infer([layout])[0].channels == 8
    assert layer.resolve([layout]) == {"NumChannelsPerGroup": 1, "NumGroups": 4}
    with pytest.raises(LayoutError, match="divisible"):
        groupedConvolution2dLayer(3, 2, 3).infer([layout])


def test_grouped_convolution_type_and_description():
    # Real MATLAB printout of AlexNet's layers (public GitHub notes of a transfer-learning run):
    #   6   'conv2'   2-D Grouped Convolution   2 groups of 128 5×5×48 convolutions with stride [1  1] and padding [2  2  2  2]
    #  12   'conv4'   2-D Grouped Convolution   2 groups of 192 3×3×192 convolutions with stride [1  1] and padding [1  1  1  1]
    layer = groupedConvolution2dLayer(5, 128, 2, "Padding", 2, "NumChannelsPerGroup", 48)
    assert layer.TYPE == "2-D Grouped Convolution"
    assert layer.description() == "2 groups of 128 5×5×48 convolutions with stride [1  1] and padding [2  2  2  2]"
    layer = groupedConvolution2dLayer(3, 192, 2, "Padding", 1)
    resolved = layer.copy(**layer.resolve([Layout((13, 13), 384)]))
    assert resolved.description() == "2 groups of 192 3×3×192 convolutions with stride [1  1] and padding [1  1  1  1]"
    assert layer.description() == "2 groups of 192 3×3 convolutions with stride [1  1] and padding [1  1  1  1]"


def test_causal_one_d_convolution_over_time():
    f, d = 3, 2
    W = RNG.standard_normal((f, 2, 4))            # FilterSize×NumChannels×NumFilters
    B = RNG.standard_normal((1, 4))
    layer = convolution1dLayer(f, 4, "Padding", "causal", "DilationFactor", d, "Weights", W, "Bias", B)
    assert layer.PaddingMode == "causal"
    seq = Layout((), 2, True)
    x = RNG.standard_normal((2, 9, 2))             # N×T×C
    y = forward(layer, seq, x)
    assert y.shape == (2, 9, 4)
    expected = np.zeros((2, 9, 4))
    for t in range(9):
        for k in range(f):
            src = t - (f - 1 - k) * d                # left padding (F-1)*D: output t only sees the past
            if src >= 0:
                expected[:, t] += x[:, src] @ W[k]
    np.testing.assert_allclose(y, expected + B.reshape(1, 1, 4), rtol=1e-5, atol=1e-5)
    # changing the future does not change the past
    x2 = x.copy()
    x2[:, 5:] += 10
    np.testing.assert_allclose(forward(layer, seq, x2)[:, :5], y[:, :5], rtol=1e-6)


def test_one_d_convolution_spatial_same_and_descriptions():
    W = RNG.standard_normal((4, 3, 2))
    layer = convolution1dLayer(4, 2, "Stride", 3, "Padding", "same", "Weights", W, "Bias", [[0.5, -0.5]])
    x = RNG.standard_normal((2, 3, 10))           # SCB: N×C×L
    y = forward(layer, Layout((10,), 3), x)
    ref = ref_conv2d(x[:, :, None, :], W[None], np.array([0.5, -0.5]), (1, 3), [(0, 0), matlab_same(10, 4, 3)])
    np.testing.assert_allclose(y, ref[:, :, 0, :], rtol=1e-5, atol=1e-5)
    assert convolution1dLayer(11, 96, "Padding", 1).description() == "96 11 convolutions with stride 1 and padding [1  1]"
    assert convolution2dLayer(3, 16).description() == "16 3×3 convolutions with stride [1  1] and padding [0  0  0  0]"
    assert convolution3dLayer(3, 8, "Padding", "same").description() == (
        "8 3×3×3 convolutions with stride [1  1  1] and padding 'same'")
    assert convolution1dLayer(3, 2).Type == "1-D Convolution" and convolution3dLayer(3, 2).Type == "3-D Convolution"


def test_conv3d_matches_loop_reference_with_2x3_padding():
    W = RNG.standard_normal((2, 3, 2, 2, 3))
    B = RNG.standard_normal((1, 1, 1, 3))
    layer = convolution3dLayer([2, 3, 2], 3, "Padding", [[1, 0, 1], [0, 2, 0]], "Stride", [1, 2, 1], "Weights", W,
                               "Bias", B)
    layout = Layout((4, 5, 3), 2)
    x = RNG.standard_normal((1, 2, 4, 5, 3))
    xp = np.pad(x, [(0, 0), (0, 0), (1, 0), (0, 2), (1, 0)])
    out = [(xp.shape[2] - 2) + 1, (xp.shape[3] - 3) // 2 + 1, (xp.shape[4] - 2) + 1]
    expected = np.zeros((1, 3) + tuple(out))
    for i, j, k in np.ndindex(*out):
        patch = xp[0, :, i:i + 2, 2 * j:2 * j + 3, k:k + 2]          # C×2×3×2
        expected[0, :, i, j, k] = np.einsum("chwd,hwdcf->f", patch, W) + B.reshape(-1)
    assert layer.infer([layout])[0].spatial == tuple(out)
    np.testing.assert_allclose(forward(layer, layout, x), expected, rtol=1e-5, atol=1e-5)


def ref_transposed2d(x, w, b, stride, crop):
    """x N×C×H×W; w MATLAB h×w×F×C; scatter each input pixel times the filter, then crop [t b l r]."""
    n, c, h, wd = x.shape
    kh, kw, f, _ = w.shape
    full = np.zeros((n, f, stride[0] * (h - 1) + kh, stride[1] * (wd - 1) + kw))
    for i in range(h):
        for j in range(wd):
            for p in range(kh):
                for q in range(kw):
                    full[:, :, i * stride[0] + p, j * stride[1] + q] += x[:, :, i, j] @ w[p, q].T   # (N×C)(C×F)
    t, bt, l, r = crop
    return full[:, :, t:full.shape[2] - bt, l:full.shape[3] - r] + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("filt, stride", [([4, 5], [2, 2]), ([2, 3], [3, 4]), ([3, 3], [3, 3])])
def test_transposed_conv_same_cropping(filt, stride):
    W = RNG.standard_normal(tuple(filt) + (2, 3))       # h×w×NumFilters×NumChannels
    B = RNG.standard_normal((1, 1, 2))
    layer = transposedConv2dLayer(filt, 2, "Stride", stride, "Cropping", "same", "Weights", W, "Bias", B)
    layout = Layout((3, 4), 3)
    assert layer.infer([layout])[0] == Layout((3 * stride[0], 4 * stride[1]), 2)   # output S*in
    x = RNG.standard_normal((2, 3, 3, 4))
    y = forward(layer, layout, x)
    crops = []
    for f, s in zip(filt, stride):
        total = f - s
        crops.append((total // 2, total - total // 2) if total >= 0 else (0, 0))
    expected = ref_transposed2d(x, W, B.reshape(-1), stride, (crops[0][0], crops[0][1], crops[1][0], crops[1][1]))
    if any(f < s for f, s in zip(filt, stride)):   # stride larger than the filter: zero rows appended after
        padded = np.zeros((2, 2, 3 * stride[0], 4 * stride[1])) + B.reshape(1, -1, 1, 1)
        padded[:, :, :expected.shape[2], :expected.shape[3]] = expected
        expected = padded
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_transposed_conv_manual_cropping_and_description():
    W = RNG.standard_normal((3, 2, 4, 2))
    layer = transposedConv2dLayer([3, 2], 4, "Stride", 2, "Cropping", [1, 0, 0, 1], "Weights", W)
    layout = Layout((3, 3), 2)
    x = RNG.standard_normal((1, 2, 3, 3))
    expected = ref_transposed2d(x, W, np.zeros(4), (2, 2), (1, 0, 0, 1))
    assert layer.infer([layout])[0].spatial == expected.shape[2:]
    np.testing.assert_allclose(forward(layer, layout, x), expected, rtol=1e-5, atol=1e-5)
    assert layer.CroppingMode == "manual" and layer.CroppingSize == [1, 0, 0, 1]
    assert transposedConv2dLayer(11, 96, "Stride", 4).description() == (
        "96 11×11 transposed convolutions with stride [4  4] and cropping [0  0  0  0]")
    assert layer.learnable_sizes([layout]) == {"Weights": (3, 2, 4, 2), "Bias": (1, 1, 4)}
    t3 = transposedConv3dLayer(2, 3, "Stride", [2, 1, 2], "Cropping", "same")
    assert t3.infer([Layout((2, 3, 2), 2)])[0] == Layout((4, 3, 4), 3)
    assert t3.learnable_sizes([Layout((2, 3, 2), 2)]) == {"Weights": (2, 2, 2, 3, 2), "Bias": (1, 1, 1, 3)}


@pytest.mark.parametrize(
    "make, option",
    [
        (lambda: convolution2dLayer(3, 4, "PaddingValue", "mirror"), "PaddingValue"),
        (lambda: convolution1dLayer(0, 4), "FilterSize"),
        (lambda: convolution1dLayer(3, 4, "Padding", "full"), "Padding"),
        (lambda: convolution3dLayer(3, 4, "Padding", [[1, 2], [1, 2]]), "Padding"),
        (lambda: convolution3dLayer([3, 3], 4), "FilterSize"),
        (lambda: groupedConvolution2dLayer(3, 2, 0), "NumGroups"),
        (lambda: groupedConvolution2dLayer(3, 2, "depth-wise"), "NumGroups"),
        (lambda: transposedConv2dLayer(3, 4, "Cropping", "valid"), "Cropping"),
        (lambda: transposedConv3dLayer(3, 4, "Stride", -1), "Stride"),
    ],
)
def test_convolution_option_errors_name_layer_and_option(make, option):
    with pytest.raises(OptionError) as err:
        make()
    assert "onv" in str(err.value) and option in str(err.value)


# --------------------------------------------------------------------------------------------------
# Input layers and normalization


def norm(layer, x):
    module = layer.build([]).double()
    with torch.no_grad():
        return module(torch.as_tensor(x)).numpy()


def test_input_normalization_modes_per_channel_element_and_scalar():
    x = RNG.uniform(-2, 5, (2, 3, 4, 5))                       # N×C×H×W
    mean_c = np.array([0.5, -1.0, 2.0])                         # per channel (1×1×C)
    std_c = np.array([2.0, 0.5, 4.0])
    mean_e = RNG.standard_normal((4, 5, 3))                     # per element (h×w×c)
    zc = imageInputLayer([4, 5, 3], "Mean", mean_c.reshape(1, 1, 3))
    np.testing.assert_allclose(norm(zc, x), x - mean_c.reshape(1, 3, 1, 1), rtol=1e-6)
    el = imageInputLayer([4, 5, 3], "Mean", mean_e, "NormalizationDimension", "element")
    np.testing.assert_allclose(norm(el, x), x - mean_e.transpose(2, 0, 1)[None], rtol=1e-6)
    zs = imageInputLayer([4, 5, 3], "Normalization", "zscore", "Mean", mean_c.reshape(1, 1, 3),
                         "StandardDeviation", std_c.reshape(1, 1, 3))
    np.testing.assert_allclose(norm(zs, x), (x - mean_c.reshape(1, 3, 1, 1)) / std_c.reshape(1, 3, 1, 1), rtol=1e-6)
    lo, hi = -2.0, 6.0
    r01 = imageInputLayer([4, 5, 3], "Normalization", "rescale-zero-one", "Min", lo, "Max", hi,
                          "NormalizationDimension", "all")
    np.testing.assert_allclose(norm(r01, x), (x - lo) / (hi - lo), rtol=1e-6)
    rs = imageInputLayer([4, 5, 3], "Normalization", "rescale-symmetric", "Min", lo, "Max", hi)
    np.testing.assert_allclose(norm(rs, x), 2 * (x - lo) / (hi - lo) - 1, rtol=1e-6)
    assert norm(imageInputLayer([4, 5, 3], "Normalization", "none"), x) == pytest.approx(x)
    fn = imageInputLayer([4, 5, 3], "Normalization", lambda t: t * 3)
    np.testing.assert_allclose(norm(fn, x), 3 * x)
    assert fn.description() == "4×5×3 images with 'function' normalization"


def test_sequence_feature_and_volume_normalization_broadcast_over_torch_layout():
    seq = RNG.standard_normal((2, 7, 3))                        # N×T×C
    layer = sequenceInputLayer(3, "Normalization", "zscore", "Mean", [1.0, 2.0, 3.0], "StandardDeviation", [1, 2, 4])
    np.testing.assert_allclose(norm(layer, seq), (seq - [1, 2, 3]) / np.array([1, 2, 4]), rtol=1e-6)
    feats = RNG.standard_normal((5, 3))
    layer = featureInputLayer(3, "Normalization", "zerocenter", "Mean", np.array([[1.0], [2.0], [3.0]]))
    np.testing.assert_allclose(norm(layer, feats), feats - [1, 2, 3], rtol=1e-6)
    vol = RNG.standard_normal((2, 2, 3, 4, 5))                  # N×C×H×W×D
    layer = image3dInputLayer([3, 4, 5, 2], "Mean", np.array([1.0, -1.0]).reshape(1, 1, 1, 2))
    assert layer.Type == "3-D Image Input" and layer.infer([])[0] == Layout((3, 4, 5), 2)
    np.testing.assert_allclose(norm(layer, vol), vol - np.array([1.0, -1.0]).reshape(1, 2, 1, 1, 1), rtol=1e-6)
    assert layer.description() == "3×4×5×2 images with 'zerocenter' normalization"
    roi = roiInputLayer()
    assert roi.Type == "ROI Input" and roi.OutputNames == ["out"] and roi.infer([])[0] == Layout((), 4)


def test_statistics_must_fit_normalization_dimension():
    with pytest.raises(OptionError, match="imageInputLayer.*NormalizationDimension 'channel'"):
        imageInputLayer([4, 5, 3], "Mean", RNG.standard_normal((4, 5, 3)), "NormalizationDimension", "channel").build([])
    with pytest.raises(OptionError, match="'all'"):
        imageInputLayer([4, 5, 3], "Mean", [1.0, 2.0, 3.0], "NormalizationDimension", "all").build([])
    with pytest.raises(OptionError, match="statistic"):
        imageInputLayer([4, 5, 3], "Mean", [1.0, 2.0]).build([])
    with pytest.raises(OptionError, match="Normalization"):
        imageInputLayer([4, 5, 3], "Normalization", "minmax")
    with pytest.raises(OptionError, match="NormalizationDimension"):
        imageInputLayer([4, 5, 3], "NormalizationDimension", "pixel")
