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
    assert globalAveragePooling2dLayer().infer([layout])[0] == Layout((1,), 4, True, 1)
    x = RNG.standard_normal((2, 3, 4, 6))
    np.testing.assert_allclose(run(globalAveragePooling2dLayer(), layout, x), x.mean(axis=(1, 3), keepdims=True))
    # 1-D: CBT pools time, SCB pools space
    seq = RNG.standard_normal((2, 7, 3))
    assert globalAveragePooling1dLayer().infer([Layout((), 3, True)])[0] == Layout((), 3, True, 1)
    np.testing.assert_allclose(run(globalAveragePooling1dLayer(), Layout((), 3, True), seq), seq.mean(axis=1, keepdims=True))
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
