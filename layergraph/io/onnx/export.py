"""``exportONNXNetwork``: a MATLAB network -> an ONNX model built node by node with ``onnx.helper``.

The ONNX graph takes and returns the project's torch layouts (images N×C×H×W, volumes N×C×H×W×D,
features N×C, sequences N×T×C) with a free batch dimension ``N`` (and a free sequence length ``T``).
Every layer becomes the node(s) computing it; the node that produces a layer's output is named after
the layer, helper nodes are named ``layer/what``, and the layer's output tensor carries the layer name.
A layer that ONNX cannot express (at the requested opset) is an :class:`OnnxError` naming it.
"""

from __future__ import annotations

import base64
import json
import math
import os

import numpy as np
import torch

from ...errors import LayerGraphError, OptionError
from ...functions import matlab_function
from ...layers.base import Layout, learnable_values
from ...layers.convolution import (
    arrangement,
    operated_sizes,
    pads_per_dim,
    same_padding,
    transposed_crops,
)

DEFAULT_OPSET = 8          # MathWorks' documented default for exportONNXNetwork (see docs/onnx.md)
MIN_OPSET = 8
MAX_OPSET = 21


class OnnxError(LayerGraphError):
    """An ONNX file cannot be written or read; the message names the file and the layer or node."""


def _need_onnx():
    try:
        import onnx
        from onnx import helper
    except ImportError:  # pragma: no cover - the [onnx] extra is missing
        raise OnnxError("ONNX support needs the 'onnx' package: pip install 'layergraph[onnx]'.") from None
    return onnx, helper


# --------------------------------------------------------------------------------------------------
# Graph builder with opset-aware helpers


class _Builder:
    def __init__(self, opset: int):
        self.onnx, self.helper = _need_onnx()
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.names: set[str] = set()
        self.node_names: set[str] = set()
        self.node_for: dict[str, str] = {}   # output tensor -> node name, where they differ
        self.layer = ""  # the layer being exported (for helper node names and errors)
        self.decomposed = False  # the current layer is written as several generic operators

    def unique(self, base: str) -> str:
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def const(self, what: str, value, dtype=np.float32) -> str:
        array = np.asarray(value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value, dtype=dtype)
        name = self.unique(f"{self.layer}/{what}" if self.layer else what)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, what: str, values) -> str:
        return self.const(what, np.asarray(list(values), dtype=np.int64), np.int64)

    def op(self, op_type: str, inputs, *, out: str | None = None, what: str | None = None, outputs: int = 1,
           node: str | None = None, node_name: str | None = None, **attrs) -> str | list[str]:
        """Add a node. With ``out`` the node produces the layer's output: the tensor is ``out`` and the node
        is named ``node`` or ``out`` (the layer name); helper nodes are ``layer/what``."""
        if out is not None:
            wanted = node or self.node_for.get(out, out)
            node_name = wanted if wanted not in self.node_names else self.unique(f"{wanted}/{op_type}")
            self.names.add(node_name)
            self.names.add(out)
            names = [out] + [self.unique(f"{out}/{op_type}_out{i}") for i in range(1, outputs)]
        else:
            first = self.unique(f"{self.layer}/{what or op_type}")
            if node_name is None or node_name in self.node_names:
                node_name = first
            names = [first] + [self.unique(f"{first}_out{i}") for i in range(1, outputs)]
        self.node_names.add(node_name)
        made = self.helper.make_node(op_type, list(inputs), names, name=node_name,
                                     **{k: v for k, v in attrs.items() if v is not None})
        self.nodes.append(made)
        return names[0] if outputs == 1 else names

    def fail(self, message: str) -> OnnxError:
        return OnnxError(f"exportONNXNetwork: layer '{self.layer}' cannot be exported: {message}")

    def require(self, opset: int, what: str) -> None:
        if self.opset < opset:
            raise self.fail(f"{what} needs OpsetVersion {opset} or later (requested {self.opset}).")

    # ---- opset-dependent operators ---------------------------------------------------------------

    def reduce(self, op_type: str, x: str, axes, keepdims: int, out=None, what=None) -> str:
        new_api = self.opset >= 18 or (op_type == "ReduceSum" and self.opset >= 13)
        if new_api:
            return self.op(op_type, [x, self.ints("axes", axes)], out=out, what=what, keepdims=keepdims)
        return self.op(op_type, [x], out=out, what=what, axes=list(axes), keepdims=keepdims)

    def clip(self, x: str, lo: float, hi: float, out=None) -> str:
        if self.opset >= 11:
            return self.op("Clip", [x, self.const("min", np.float32(lo)), self.const("max", np.float32(hi))], out=out)
        return self.op("Clip", [x], out=out, min=float(lo), max=float(hi))

    def pad(self, x: str, pads: list, mode: str, value: float = 0.0) -> str:
        flat = [int(b) for b, _ in pads] + [int(a) for _, a in pads]
        lead = [0, 0]
        full = lead + flat[: len(pads)] + lead + flat[len(pads):]
        if self.opset >= 11:
            inputs = [x, self.ints("pads", full)]
            if mode == "constant":
                inputs.append(self.const("pad_value", np.float32(value)))
            return self.op("Pad", inputs, what="Pad", mode=mode)
        return self.op("Pad", [x], what="Pad", mode=mode, pads=full, value=float(value) if mode == "constant" else None)

    def dims(self, x: str, indices) -> str:
        """The sizes of dims ``indices`` of ``x`` (int64 vector), for reshapes that keep N and T free."""
        shape = self.op("Shape", [x], what="Shape")
        return self.op("Gather", [shape, self.ints("dims", indices)], what="Gather", axis=0)

    def reshape(self, x: str, shape, out=None, what=None) -> str:
        target = shape if isinstance(shape, str) else self.ints("shape", shape)
        return self.op("Reshape", [x, target], out=out, what=what or "Reshape")

    def transpose(self, x: str, perm, out=None, what=None) -> str:
        return self.op("Transpose", [x], out=out, what=what or "Transpose", perm=list(perm))


# --------------------------------------------------------------------------------------------------
# Layer exporters: fn(b, layer, inputs, in_layouts, out_layout, out) -> the output tensor name


EXPORTERS: dict = {}


def exporter(*class_names):
    def wrap(fn):
        for name in class_names:
            EXPORTERS[name] = fn
        return fn

    return wrap


def _params(layer, layouts) -> dict:
    return learnable_values(layer, layouts)


def _channels_first(b, x: str, layout: Layout) -> tuple[str, bool]:
    """N×T×C×S.. -> N×C×T×S.. (so ONNX's channel-dim-1 operators apply); returns (tensor, transposed)."""
    if not layout.has_time:
        return x, False
    rank = 3 + len(layout.spatial)
    perm = [0, 2, 1] + list(range(3, rank))
    return b.transpose(x, perm, what="ToChannelsFirst"), True


def _back_from_channels_first(b, y: str, layout: Layout, out: str) -> str:
    rank = 3 + len(layout.spatial)
    return b.transpose(y, [0, 2, 1] + list(range(3, rank)), out=out)


def _arranged(b, layer, x: str, layout: Layout, n: int, core, out: str, out_layout: Layout) -> str:
    """Run ``core(b, x, out_name)`` (an op over N×C×D1..Dn) on the arrangement the layer reads ``layout`` in."""
    mode = arrangement(layer, layout, n)
    if mode == "plain":
        return core(x, out)
    if mode != "ct":
        b.decomposed = True      # image sequences: the importer reads the layer from the model's metadata
    if mode == "fold":
        lead = b.dims(x, [0, 1])
        folded = b.reshape(x, [-1, layout.channels] + list(layout.spatial), what="FoldTime")
        y = core(folded, None)
        tail = b.ints("tail", [out_layout.channels] + list(out_layout.spatial))
        shape = b.op("Concat", [lead, tail], what="UnfoldShape", axis=0)
        return b.reshape(y, shape, out=out)
    # 'ct' / 'st': N T C S.. -> N C S.. T, then back
    k = len(layout.spatial)
    y = core(b.transpose(x, [0, 2] + list(range(3, 3 + k)) + [1], what="TimeLast"), None)
    return b.transpose(y, [0, k + 2, 1] + list(range(2, k + 2)), out=out)


# ---- inputs ----------------------------------------------------------------------------------------


def _export_input(b, layer, graph_input: str, out_layout: Layout, out: str) -> str:
    """The input layer's normalization (its last node is named after the layer, its tensor ``out``)."""
    mode = layer.Normalization
    if callable(mode):
        raise b.fail("a function-handle Normalization has no ONNX form.")
    if mode == "none":
        return graph_input
    stats = {}
    for name in ("Mean", "StandardDeviation", "Min", "Max"):
        value = layer._values.get(name)
        if value is not None:
            t = layer.stat_to_torch(value.to(torch.float32), out_layout)
            if out_layout.has_time and t.dim() > 0:
                t = t.unsqueeze(0)
            stats[name] = t
    x = graph_input
    if mode == "zerocenter":
        if "Mean" not in stats:
            return graph_input
        return b.op("Sub", [x, b.const("Mean", stats["Mean"])], out=out)
    if mode == "zscore":
        if "Mean" in stats:
            x = b.op("Sub", [x, b.const("Mean", stats["Mean"])], out=out if "StandardDeviation" not in stats else None,
                     what="Sub")
        if "StandardDeviation" in stats:
            x = b.op("Div", [x, b.const("StandardDeviation", stats["StandardDeviation"])], out=out)
        return x
    if "Min" not in stats or "Max" not in stats:
        return graph_input
    lo, hi = stats["Min"], stats["Max"]
    centred = b.op("Sub", [x, b.const("Min", lo)], what="Sub")
    if mode == "rescale-zero-one":
        return b.op("Div", [centred, b.const("Range", hi - lo)], out=out)
    doubled = b.op("Mul", [centred, b.const("two", np.float32(2.0))], what="Mul")
    scaled = b.op("Div", [doubled, b.const("Range", hi - lo)], what="Div")
    return b.op("Sub", [scaled, b.const("one", np.float32(1.0))], out=out)


# ---- convolution -----------------------------------------------------------------------------------

_PAD_MODES = {"replicate": "edge", "symmetric-exclude-edge": "reflect"}


@exporter("Convolution1DLayer", "Convolution2DLayer", "Convolution3DLayer", "GroupedConvolution2DLayer")
def _conv(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    n = layer.NDIMS
    p = _params(layer, layouts)
    mode = arrangement(layer, layout, n)
    sizes = operated_sizes(layout, mode)
    value = layer.PaddingValue
    pads = None
    auto_pad = None
    if layer.Padding == "same" and any(s is None for s in sizes):
        if value != 0:
            raise b.fail("'same' padding with a nonzero PaddingValue over an unknown sequence length.")
        auto_pad = "SAME_UPPER"
    else:
        pads = layer.pads_for(sizes)
    weights = b.const("Weights", p["Weights"])
    bias = b.const("Bias", p["Bias"])
    groups = layer.groups(layouts)

    def core(t, name):
        conv_pads = pads
        if pads is not None and (isinstance(value, str) or value != 0) and any(bb or a for bb, a in pads):
            if isinstance(value, str):
                if value not in _PAD_MODES:
                    raise b.fail(f"PaddingValue '{value}' has no ONNX Pad mode.")
                t = b.pad(t, pads, _PAD_MODES[value])
            else:
                t = b.pad(t, pads, "constant", float(value))
            conv_pads = [(0, 0)] * n
        attrs = dict(kernel_shape=list(layer.filter_size()), strides=list(layer.strides()),
                     dilations=list(layer.dilations()), group=int(groups))
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        else:
            attrs["pads"] = [int(bb) for bb, _ in conv_pads] + [int(a) for _, a in conv_pads]
        return b.op("Conv", [t, weights, bias], out=name, what="Conv", **attrs)

    return _arranged(b, layer, x, layout, n, core, out, out_layout)


@exporter("TransposedConvolution2DLayer", "TransposedConvolution3DLayer")
def _tconv(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    n = layer.NDIMS
    p = _params(layer, layouts)
    mode = arrangement(layer, layout, n)
    sizes = operated_sizes(layout, mode)
    if any(s is None for s in sizes):
        raise b.fail("transposed convolution over an unknown sequence length.")
    crops = layer.crops() or ["same"] * n
    plan = [transposed_crops(s, f, st, c) for s, f, st, c in zip(sizes, layer.filter_size(), layer.Stride, crops)]
    weights = b.const("Weights", p["Weights"])
    bias = b.const("Bias", p["Bias"])

    def core(t, name):
        attrs = dict(kernel_shape=list(layer.filter_size()), strides=list(layer.Stride),
                     pads=[bb for bb, _, _ in plan] + [a for _, a, _ in plan])
        if any(off for _, _, off in plan):
            attrs["output_padding"] = [off for _, _, off in plan]
        return b.op("ConvTranspose", [t, weights, bias], out=name, what="ConvTranspose", **attrs)

    return _arranged(b, layer, x, layout, n, core, out, out_layout)


@exporter("FullyConnectedLayer")
def _fc(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    p = _params(layer, layouts)
    w, bias = p["Weights"], p["Bias"]
    if not layout.has_time:
        if layout.spatial:
            x = b.op("Flatten", [x], what="Flatten", axis=1)
        return b.op("Gemm", [x, b.const("Weights", w), b.const("Bias", bias)], out=out, transB=1)
    if layout.spatial:
        b.decomposed = True
        x = b.reshape(x, [0, 0, -1], what="Flatten")
    y = b.op("MatMul", [x, b.const("Weights", w.T.contiguous())], what="MatMul")
    return b.op("Add", [y, b.const("Bias", bias)], out=out)


# ---- pooling ---------------------------------------------------------------------------------------


@exporter("MaxPooling1DLayer", "MaxPooling2DLayer", "MaxPooling3DLayer",
          "AveragePooling1DLayer", "AveragePooling2DLayer", "AveragePooling3DLayer")
def _pool(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    if len(layer.output_names()) > 1:
        raise b.fail("unpooling outputs (indices, size) have no ONNX form here.")
    n = layer.NDIMS
    mode = arrangement(layer, layout, n)
    sizes = operated_sizes(layout, mode)
    pool, stride = layer._sizes("PoolSize"), layer._sizes("Stride")
    attrs = dict(kernel_shape=list(pool), strides=list(stride))
    if layer.Padding == "same" and any(s is None for s in sizes):
        attrs["auto_pad"] = "SAME_UPPER"
    else:
        pads = layer.pads_for(sizes)
        attrs["pads"] = [int(bb) for bb, _ in pads] + [int(a) for _, a in pads]
    if layer.KIND == "average":
        attrs["count_include_pad"] = 1
    op_type = "MaxPool" if layer.KIND == "max" else "AveragePool"
    return _arranged(b, layer, x, layout, n, lambda t, name: b.op(op_type, [t], out=name, what=op_type, **attrs),
                     out, out_layout)


@exporter("GlobalAveragePooling1DLayer", "GlobalAveragePooling2DLayer", "GlobalAveragePooling3DLayer",
          "GlobalMaxPooling1DLayer", "GlobalMaxPooling2DLayer", "GlobalMaxPooling3DLayer")
def _global_pool(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    n = layer.NDIMS
    mode = arrangement(layer, layout, n)
    reduce_op = "ReduceMax" if layer.KIND == "max" else "ReduceMean"
    if mode in ("st", "ct"):
        k = len(layout.spatial)
        b.decomposed = b.decomposed or bool(k)
        if k:
            x = b.reduce(reduce_op, x, list(range(3, 3 + k)), 1, what="ReduceSpatial")
        return b.reduce(reduce_op, x, [1], 0, out=out)
    op_type = "GlobalMaxPool" if layer.KIND == "max" else "GlobalAveragePool"
    return _arranged(b, layer, x, layout, n, lambda t, name: b.op(op_type, [t], out=name, what=op_type), out,
                     out_layout)


# ---- normalization ---------------------------------------------------------------------------------


@exporter("BatchNormalizationLayer")
def _batchnorm(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    p = _params(layer, layouts)
    t, moved = _channels_first(b, x, layout)
    args = [t, b.const("Scale", p["Scale"]), b.const("Offset", p["Offset"]), b.const("TrainedMean", p["TrainedMean"]),
            b.const("TrainedVariance", p["TrainedVariance"])]
    if not moved:
        return b.op("BatchNormalization", args, out=out, epsilon=float(layer.Epsilon))
    y = b.op("BatchNormalization", args, what="BatchNormalization", epsilon=float(layer.Epsilon))
    return _back_from_channels_first(b, y, layout, out)


def _affine(b, y, p, layout_cf_rank: int, channels: int, out):
    shape = [channels] + [1] * (layout_cf_rank - 2)
    scaled = b.op("Mul", [y, b.const("Scale", p["Scale"].reshape(shape))], what="Scale")
    return b.op("Add", [scaled, b.const("Offset", p["Offset"].reshape(shape))], out=out, what="Offset")


@exporter("InstanceNormalizationLayer", "GroupNormalizationLayer")
def _groupnorm(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    p = _params(layer, layouts)
    c = layout.channels
    groups = c if type(layer).__name__ == "InstanceNormalizationLayer" else layer.groups_for(layout)
    rank = 2 + len(layout.spatial) + (1 if layout.has_time else 0)
    if rank < 3:
        raise b.fail("normalization over a single value per channel (feature input) has no ONNX form here.")
    t, moved = _channels_first(b, x, layout)
    final = None if moved else out
    eps = float(layer.Epsilon)
    if groups == c:
        y = b.op("InstanceNormalization", [t, b.const("Scale", p["Scale"]), b.const("Offset", p["Offset"])],
                 out=final, what="InstanceNormalization", epsilon=eps)
    elif b.opset >= 21:
        y = b.op("GroupNormalization", [t, b.const("Scale", p["Scale"]), b.const("Offset", p["Offset"])],
                 out=final, what="GroupNormalization", epsilon=eps, num_groups=int(groups))
    else:
        # the usual decomposition: N×G×(rest) instance normalization, then the per-channel affine map
        b.decomposed = True
        shape = b.op("Shape", [t], what="Shape")
        grouped = b.reshape(t, [0, groups, -1], what="Group")
        normed = b.op("InstanceNormalization", [grouped, b.const("ones", np.ones(groups)),
                                                b.const("zeros", np.zeros(groups))],
                      what="InstanceNormalization", epsilon=eps)
        back = b.reshape(normed, shape, what="Ungroup")
        y = _affine(b, back, p, rank, c, final)
    return _back_from_channels_first(b, y, layout, out) if moved else y


def _channel_dim_of(layout: Layout) -> int:
    return 2 if layout.has_time else 1


@exporter("LayerNormalizationLayer")
def _layernorm(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    p = _params(layer, layouts)
    dims = list(layer.torch_dims(layout))
    eps = float(layer.Epsilon)
    rank = 2 + len(layout.spatial) + (1 if layout.has_time else 0)
    trailing = dims == list(range(dims[0], rank))
    known = not (layout.has_time and 1 in dims)
    if b.opset >= 17 and trailing and known:
        # LayerNormalization over the trailing dims; Scale/Offset broadcast to the normalized shape
        shape = [layout.channels] + list(layout.spatial) if dims[0] == _channel_dim_of(layout) else None
        if shape is not None:
            k = len(layout.spatial)
            scale = p["Scale"].reshape((-1,) + (1,) * k).expand(shape).contiguous()
            offset = p["Offset"].reshape((-1,) + (1,) * k).expand(shape).contiguous()
            return b.op("LayerNormalization", [x, b.const("Scale", scale), b.const("Offset", offset)],
                        out=out, axis=dims[0], epsilon=eps)
    b.decomposed = True
    mean = b.reduce("ReduceMean", x, dims, 1, what="Mean")
    centred = b.op("Sub", [x, mean], what="Centre")
    var = b.reduce("ReduceMean", b.op("Mul", [centred, centred], what="Square"), dims, 1, what="Variance")
    std = b.op("Sqrt", [b.op("Add", [var, b.const("Epsilon", np.float32(eps))], what="AddEpsilon")], what="Sqrt")
    y = b.op("Div", [centred, std], what="Normalize")
    shape = ([1] if layout.has_time else []) + [layout.channels] + [1] * len(layout.spatial)
    scaled = b.op("Mul", [y, b.const("Scale", p["Scale"].reshape(shape))], what="Scale")
    return b.op("Add", [scaled, b.const("Offset", p["Offset"].reshape(shape))], out=out)


@exporter("CrossChannelNormalizationLayer")
def _lrn(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    t, moved = _channels_first(b, x, layout)
    if len(layout.spatial) + (1 if layout.has_time else 0) == 0:
        raise b.fail("LRN needs spatial or time dimensions.")
    w = int(layer.WindowChannelSize)
    attrs = dict(size=w, alpha=float(layer.Alpha), beta=float(layer.Beta), bias=float(layer.K))
    final = None if moved else out
    if w % 2:
        y = b.op("LRN", [t], out=final, what="LRN", **attrs)
    else:
        b.decomposed = True
        # onnxruntime's LRN takes odd sizes only; MATLAB's even window (one channel more ahead than behind)
        # is the mean of x² over a (w×1) window along C, with zero padding counted
        shape = b.op("Shape", [t], what="Shape")
        square = b.op("Mul", [t, t], what="Square")
        planes = b.reshape(square, [0, 1, layout.channels, -1], what="ChannelsAsRows")
        mean = b.op("AveragePool", [planes], what="WindowMean", kernel_shape=[w, 1], strides=[1, 1],
                    pads=[(w - 1) // 2, 0, w // 2, 0], count_include_pad=1)
        back = b.reshape(mean, shape, what="Restore")
        scaled = b.op("Mul", [back, b.const("Alpha", np.float32(layer.Alpha))], what="Alpha")
        base = b.op("Add", [scaled, b.const("K", np.float32(layer.K))], what="K")
        denom = b.op("Pow", [base, b.const("Beta", np.float32(layer.Beta))], what="Beta")
        y = b.op("Div", [t, denom], out=final, what="Div")
    return _back_from_channels_first(b, y, layout, out) if moved else y


# ---- activations -----------------------------------------------------------------------------------


@exporter("ReLULayer")
def _relu(b, layer, inputs, layouts, out_layout, out):
    return b.op("Relu", inputs[:1], out=out)


@exporter("LeakyReLULayer")
def _leaky(b, layer, inputs, layouts, out_layout, out):
    return b.op("LeakyRelu", inputs[:1], out=out, alpha=float(layer.Scale))


@exporter("ClippedReLULayer")
def _clipped(b, layer, inputs, layouts, out_layout, out):
    return b.clip(inputs[0], 0.0, float(layer.Ceiling), out=out)


@exporter("ELULayer")
def _elu(b, layer, inputs, layouts, out_layout, out):
    return b.op("Elu", inputs[:1], out=out, alpha=float(layer.Alpha))


@exporter("TanhLayer")
def _tanh(b, layer, inputs, layouts, out_layout, out):
    return b.op("Tanh", inputs[:1], out=out)


@exporter("SigmoidLayer")
def _sigmoid(b, layer, inputs, layouts, out_layout, out):
    return b.op("Sigmoid", inputs[:1], out=out)


@exporter("SoftplusLayer")
def _softplus(b, layer, inputs, layouts, out_layout, out):
    return b.op("Softplus", inputs[:1], out=out)


@exporter("SwishLayer")
def _swish(b, layer, inputs, layouts, out_layout, out):
    return b.op("Mul", [inputs[0], b.op("Sigmoid", inputs[:1], what="Sigmoid")], out=out)


@exporter("GELULayer")
def _gelu(b, layer, inputs, layouts, out_layout, out):
    x = inputs[0]
    if b.opset >= 20:
        return b.op("Gelu", [x], out=out, approximate=layer.Approximation)
    b.decomposed = True
    if layer.Approximation == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.op("Mul", [b.op("Mul", [x, x], what="Square"), x], what="Cube")
        inner = b.op("Add", [x, b.op("Mul", [cube, b.const("c", np.float32(0.044715))], what="MulC")], what="Inner")
        arg = b.op("Mul", [inner, b.const("k", np.float32(math.sqrt(2 / math.pi)))], what="MulK")
        gate = b.op("Tanh", [arg], what="Tanh")
    else:
        b.require(9, "the erf form of GELU")
        gate = b.op("Erf", [b.op("Mul", [x, b.const("rsqrt2", np.float32(1 / math.sqrt(2)))], what="Scale")],
                    what="Erf")
    plus = b.op("Add", [gate, b.const("one", np.float32(1.0))], what="AddOne")
    half = b.op("Mul", [x, b.const("half", np.float32(0.5))], what="Half")
    return b.op("Mul", [half, plus], out=out)


@exporter("PReLULayer")
def _prelu(b, layer, inputs, layouts, out_layout, out):
    p = _params(layer, layouts)
    return b.op("PRelu", [inputs[0], b.const("Alpha", p["Alpha"])], out=out)


@exporter("DropoutLayer")
def _dropout(b, layer, inputs, layouts, out_layout, out):
    ratio = float(layer.Probability)
    if b.opset >= 12:
        return b.op("Dropout", [inputs[0], b.const("ratio", np.float32(ratio))], out=out)
    return b.op("Dropout", [inputs[0]], out=out, ratio=ratio)


@exporter("SoftmaxLayer")
def _softmax(b, layer, inputs, layouts, out_layout, out):
    layout = layouts[0]
    rank = 2 + len(layout.spatial) + (1 if layout.has_time else 0)
    axis = 2 if layout.has_time else 1
    if b.opset >= 13 or axis == rank - 1:
        return b.op("Softmax", inputs[:1], out=out, axis=axis)
    # before opset 13 Softmax flattens the trailing dims: move C last, then back
    perm = [d for d in range(rank) if d != axis] + [axis]
    inverse = [perm.index(d) for d in range(rank)]
    moved = b.transpose(inputs[0], perm, what="ChannelsLast")
    y = b.op("Softmax", [moved], what="Softmax", axis=rank - 1)
    return b.transpose(y, inverse, out=out)


# ---- utility, combination, resize ------------------------------------------------------------------


@exporter("IdentityLayer")
def _identity(b, layer, inputs, layouts, out_layout, out):
    return b.op("Identity", inputs[:1], out=out)


@exporter("ScalingLayer")
def _scaling(b, layer, inputs, layouts, out_layout, out):
    from ...layers.utility import matlab_to_torch_broadcast

    layout = layouts[0]
    scale = matlab_to_torch_broadcast(layer.Scale, layout, "Scale")
    offset = matlab_to_torch_broadcast(layer.Offset, layout, "Offset") + matlab_to_torch_broadcast(layer.Bias, layout, "Bias")
    b.decomposed = True
    y = b.op("Mul", [inputs[0], b.const("Scale", scale)], what="Scale")
    return b.op("Add", [y, b.const("Offset", offset)], out=out)


@exporter("WeightedAdditionLayer")
def _weighted_add(b, layer, inputs, layouts, out_layout, out):
    p = _params(layer, layouts)
    b.decomposed = True
    terms = [b.op("Mul", [x, b.const(f"Weight{i + 1}", p["Weights"][i])], what=f"Weight{i + 1}")
             for i, x in enumerate(inputs)]
    return b.op("Sum", terms, out=out)


@exporter("DepthToSpace2dLayer", "SpaceToDepthLayer")
def _depth_space(b, layer, inputs, layouts, out_layout, out):
    bh, bw = layer.BlockSize
    if bh != bw:
        raise b.fail("ONNX DepthToSpace/SpaceToDepth take square blocks only.")
    if type(layer).__name__ == "DepthToSpace2dLayer":
        if layer.Mode == "crd":
            b.require(11, "DepthToSpace with Mode 'crd'")
        return b.op("DepthToSpace", inputs[:1], out=out, blocksize=int(bh),
                    mode=layer.Mode.upper() if b.opset >= 11 else None)
    return b.op("SpaceToDepth", inputs[:1], out=out, blocksize=int(bh))


@exporter("FlattenLayer")
def _flatten(b, layer, inputs, layouts, out_layout, out):
    x, layout = inputs[0], layouts[0]
    k = len(layout.spatial)
    lead = 2 if layout.has_time else 1
    if k > 1:
        order = list(range(lead + 1)) + list(range(lead + k, lead, -1))
        x = b.transpose(x, order, what="ColumnMajor")
    if layout.has_time:
        b.decomposed = b.decomposed or k > 1
        return b.reshape(x, [0, 0, -1], out=out)
    return b.op("Flatten", [x], out=out, axis=1)


@exporter("AdditionLayer")
def _add(b, layer, inputs, layouts, out_layout, out):
    return b.op("Add" if len(inputs) == 2 else "Sum", inputs, out=out)


@exporter("MultiplicationLayer")
def _mul(b, layer, inputs, layouts, out_layout, out):
    y = inputs[0]
    for i, other in enumerate(inputs[1:], 1):
        y = b.op("Mul", [y, other], out=out if i == len(inputs) - 1 else None, what=f"Mul{i}")
    return y


@exporter("DepthConcatenationLayer", "ConcatenationLayer")
def _concat(b, layer, inputs, layouts, out_layout, out):
    from ...layers.combination import torch_concat_dim

    dim = len(layouts[0].spatial) + 1 if type(layer).__name__ == "DepthConcatenationLayer" else layer.Dim
    return b.op("Concat", inputs, out=out, axis=int(torch_concat_dim(layouts[0], dim)))


@exporter("Resize2DLayer", "Resize3DLayer")
def _resize(b, layer, inputs, layouts, out_layout, out):
    b.require(11, "Resize with a coordinate transformation mode")
    layout = layouts[0]
    if layout.has_time:
        raise b.fail("resizing image sequences has no ONNX form here.")
    if layer.NearestRoundingMode == "onnx-10" and layer.Method == "nearest":
        raise b.fail("NearestRoundingMode 'onnx-10' is not written.")
    out_size, scales = layer.sizes_and_scales(layouts)
    attrs = dict(mode="nearest" if layer.Method == "nearest" else "linear",
                 coordinate_transformation_mode=layer.GeometricTransformMode.replace("-", "_"))
    if layer.Method == "nearest":
        attrs["nearest_mode"] = "round_prefer_ceil" if layer.NearestRoundingMode == "round" else "floor"
    roi = b.const("roi", np.zeros(0))
    if layer.Scale is not None:
        return b.op("Resize", [inputs[0], roi, b.const("scales", [1.0, 1.0] + list(layer.Scale))], out=out, **attrs)
    empty = b.const("scales", np.zeros(0))
    if len(inputs) > 1:
        # reference input: N and C of the input, the spatial size of the reference
        size = b.op("Concat", [b.dims(inputs[0], [0, 1]), b.dims(inputs[1], list(range(2, 2 + len(layout.spatial))))],
                    what="Sizes", axis=0)
        return b.op("Resize", [inputs[0], roi, empty, size], out=out, **attrs)
    size = b.op("Concat", [b.dims(inputs[0], [0, 1]), b.ints("spatial", out_size)], what="Sizes", axis=0)
    return b.op("Resize", [inputs[0], roi, empty, size], out=out, **attrs)


# ---- recurrent -------------------------------------------------------------------------------------

_ONNX_ACTIVATION = {"sigmoid": "Sigmoid", "hard-sigmoid": "HardSigmoid", "tanh": "Tanh", "softsign": "Softsign"}


def _recurrent_activations(layer, n_fns: int, directions: int) -> dict:
    gate, state = layer.GateActivationFunction, layer.StateActivationFunction
    if gate == "sigmoid" and state == "tanh":
        return {}
    names = [gate] + [state] * (n_fns - 1)
    acts, alphas, betas = [], [], []
    for _ in range(directions):
        for name in names:
            acts.append(_ONNX_ACTIVATION[name])
            alphas.append(0.2 if name == "hard-sigmoid" else 0.0)
            betas.append(0.5 if name == "hard-sigmoid" else 0.0)
    return dict(activations=acts, activation_alpha=alphas, activation_beta=betas)


def _lstm_rows(m: torch.Tensor, h: int) -> torch.Tensor:
    """MATLAB/torch gate blocks i, f, g, o -> ONNX i, o, f, c."""
    i, f, g, o = m[:h], m[h:2 * h], m[2 * h:3 * h], m[3 * h:4 * h]
    return torch.cat([i, o, f, g], dim=0)


def _gru_rows(m: torch.Tensor, h: int) -> torch.Tensor:
    """MATLAB gate blocks r, z, h̃ -> ONNX z, r, h."""
    r, z, c = m[:h], m[h:2 * h], m[2 * h:3 * h]
    return torch.cat([z, r, c], dim=0)


def _initial_state(b, layer, value: torch.Tensor | None, x_tnc: str, directions: int, h: int, what: str):
    if value is None or not torch.any(value != 0):
        return ""
    state = b.const(what, value.reshape(directions, 1, h))
    n = b.dims(x_tnc, [1])
    shape = b.op("Concat", [b.ints("dir", [directions]), n, b.ints("hidden", [h])], what=f"{what}Shape", axis=0)
    return b.op("Expand", [state, shape], what=f"Expand{what}")


@exporter("LSTMLayer", "BiLSTMLayer", "GRULayer")
def _recurrent(b, layer, inputs, layouts, out_layout, out):
    layout = layouts[0]
    if layer.HasStateInputs or layer.HasStateOutputs:
        raise b.fail("state inputs/outputs are not written (export the layer without HasStateInputs/Outputs).")
    if layout.spatial:
        raise b.fail("recurrent layers over image sequences have no ONNX form here.")
    p = _params(layer, layouts)
    kind = type(layer).__name__
    h = int(layer.NumHiddenUnits)
    directions = 2 if kind == "BiLSTMLayer" else 1
    gru = kind == "GRULayer"
    gates = 3 if gru else 4
    reorder = _gru_rows if gru else _lstm_rows
    w, r, bias = p["InputWeights"], p["RecurrentWeights"], p["Bias"]
    ws, rs, bs = [], [], []
    for d in range(directions):
        block = slice(d * gates * h, (d + 1) * gates * h)
        ws.append(reorder(w[block], h))
        rs.append(reorder(r[block], h))
        if gru and layer.ResetGateMode == "recurrent-bias-after-multiplication":
            b_in, b_rec = bias[: gates * h], bias[gates * h:]
        else:
            b_in, b_rec = bias[block], torch.zeros(gates * h)
        bs.append(torch.cat([reorder(b_in, h), reorder(b_rec, h)]))
    x = b.transpose(inputs[0], [1, 0, 2], what="ToTimeMajor")
    args = [x, b.const("InputWeights", torch.stack(ws)), b.const("RecurrentWeights", torch.stack(rs)),
            b.const("Bias", torch.stack(bs)), ""]
    args.append(_initial_state(b, layer, p.get("HiddenState"), x, directions, h, "HiddenState"))
    if not gru:
        args.append(_initial_state(b, layer, p.get("CellState"), x, directions, h, "CellState"))
    while args and args[-1] == "":
        args.pop()
    attrs = dict(hidden_size=h, direction="bidirectional" if directions == 2 else "forward")
    attrs.update(_recurrent_activations(layer, 2 if gru else 3, directions))
    if gru:
        attrs["linear_before_reset"] = 0 if layer.ResetGateMode == "before-multiplication" else 1
    op_type = "GRU" if gru else "LSTM"
    y, y_h = b.op(op_type, args, what=op_type, outputs=2, node_name=out, **attrs)[:2]
    if layer.OutputMode == "last":
        moved = b.transpose(y_h, [1, 0, 2], what="BatchFirst")
        return b.op("Reshape", [moved, b.ints("shape", [0, -1])], out=out, node=f"{out}/Output")
    moved = b.transpose(y, [2, 0, 1, 3], what="BatchFirst")
    return b.op("Reshape", [moved, b.ints("shape", [0, 0, -1])], out=out, node=f"{out}/Output")


# ---- output layers ---------------------------------------------------------------------------------


def _is_output(layer) -> bool:
    return bool(layer.IS_OUTPUT)


# --------------------------------------------------------------------------------------------------
# The network


def _as_network(net):
    from ...network import Network, assembleNetwork, dlnetwork

    if isinstance(net, Network):
        return net
    from ...graph import LayerGraph

    if isinstance(net, (LayerGraph, list, tuple)):
        layers = net.layer_list() if isinstance(net, LayerGraph) else list(net)
        has_output = any(getattr(layer, "IS_OUTPUT", False) for layer in layers)
        return assembleNetwork(net) if has_output else dlnetwork(net)
    raise OnnxError("exportONNXNetwork: first argument must be a SeriesNetwork, DAGNetwork, dlnetwork, or layerGraph.")


def _value_info(helper, onnx, name: str, layout: Layout, batch, time_name: str = "T"):
    dims = [batch]
    if layout.has_time:
        dims.append(layout.time if layout.time is not None else time_name)
    dims += [layout.channels] + list(layout.spatial)
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


def build_model(net, *, opset: int = DEFAULT_OPSET, batch_size=None, network_name: str = "Network"):
    """The ONNX ModelProto of ``net`` (a Network, LayerGraph or layer array)."""
    if not isinstance(opset, (int, np.integer)) or isinstance(opset, bool) or not MIN_OPSET <= int(opset) <= MAX_OPSET:
        raise OptionError(f"exportONNXNetwork: 'OpsetVersion' must be an integer from {MIN_OPSET} to {MAX_OPSET}, "
                          f"got {opset!r}.")
    network = _as_network(net)
    b = _Builder(int(opset))
    onnx, helper = b.onnx, b.helper
    meta = network._lg
    graph, analysis = meta.graph, meta.analysis
    batch = "N" if batch_size is None else int(batch_size)
    tensors: dict[tuple[str, str], str] = {}
    graph_inputs, graph_outputs = [], []
    for name in analysis.order:
        b.names.add(name)
    metadata = {}
    for name in analysis.order:
        layer = network.trained_layer(name)
        b.layer = name
        b.decomposed = False
        first_node = len(b.nodes)
        in_layouts = analysis.input_layouts.get(name, [])
        out_layouts = analysis.output_layouts.get(name, [])
        if layer.IS_INPUT:
            if type(layer).__name__ == "ROIInputLayer":
                raise b.fail("roiInputLayer has no ONNX form.")
            graph_inputs.append(_value_info(helper, onnx, name, out_layouts[0], batch))
            b.names.add(name)
            normalized = f"{name}/normalized"
            b.node_for[normalized] = name
            result = _export_input(b, layer, name, out_layouts[0], normalized)
            tensors[(name, "out")] = result
            if out_layouts[0].has_time and out_layouts[0].spatial or str(layer.Normalization).startswith("rescale"):
                metadata[name] = _layer_metadata(layer, [], result, b.nodes[first_node:])
            continue
        srcs = [tensors[graph.source_of(name, port)] for port in layer.input_names()]
        if _is_output(layer):
            if meta.kind == "assembled":
                b.op("Identity", srcs[:1], out=f"{name}")
                graph_outputs.append((name, analysis.input_layouts[name][0]))
            continue
        fn = EXPORTERS.get(type(layer).__name__)
        if fn is None:
            raise OnnxError(f"exportONNXNetwork: layer '{name}' ({layer.MATLAB_NAME}) cannot be exported: "
                            f"ONNX has no operator for it in this exporter.")
        if len(layer.output_names()) != 1:
            raise b.fail("layers with several outputs are not written.")
        result = fn(b, layer, srcs, in_layouts, out_layouts[0] if out_layouts else None, name)
        if result != name:
            result = b.op("Identity", [result], out=name)
        tensors[(name, layer.output_names()[0])] = result
        if b.decomposed:
            metadata[name] = _layer_metadata(layer, srcs, result, b.nodes[first_node:])
    b.layer = ""
    if meta.kind != "assembled":
        for out_name in network.OutputNames:
            layer_name, _, port = out_name.partition("/")
            layer = graph.layer(layer_name)
            tensor = tensors[(layer_name, port or layer.output_names()[0])]
            graph_outputs.append((tensor, analysis.output_layouts[layer_name][0]))
    outputs = [_value_info(helper, onnx, tensor, layout, batch) for tensor, layout in graph_outputs]
    onnx_graph = helper.make_graph(b.nodes, network_name, graph_inputs, outputs, initializer=b.initializers)
    opset_ids = [helper.make_opsetid("", int(opset))]
    model = helper.make_model(onnx_graph, opset_imports=opset_ids, producer_name="layergraph",
                              producer_version=_version(), ir_version=_ir_version(helper, opset_ids))
    model.doc_string = "Exported by layergraph exportONNXNetwork (torch layouts: N×C×H×W, N×C, N×T×C)."
    if metadata:
        helper.set_model_props(model, {METADATA_KEY: json.dumps(metadata, separators=(",", ":"))})
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # noqa: BLE001 - a checker failure is a bug report, named as such
        raise OnnxError(f"exportONNXNetwork: the written model does not pass onnx.checker: {exc}") from None
    return model


METADATA_KEY = "layergraph.layers"


def _layer_metadata(layer, inputs: list, output: str, nodes) -> dict:
    """What the importer needs to read a layer written as generic operators: its JSON spec object (no
    code), its learnables (MATLAB layout, float32 little-endian, base64), its input/output tensors and
    the nodes that compute it."""
    from ...spec.codec import layer_to_json

    obj, tensors = layer_to_json(layer)
    return {
        "layer": obj,
        "tensors": {k: {"shape": list(v.shape), "data": base64.b64encode(v.numpy().astype("<f4").tobytes()).decode()}
                    for k, v in tensors.items()},
        "inputs": list(inputs),
        "output": output,
        "nodes": [node.name for node in nodes],
    }


def _version() -> str:
    from ... import __version__

    return __version__


def _ir_version(helper, opset_ids) -> int:
    try:
        return max(4, helper.find_min_ir_version_for(opset_ids))
    except Exception:  # noqa: BLE001
        return 7


def _options(args, kwargs, function: str, allowed: dict) -> dict:
    if len(args) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs.")
    values = {}
    lower = {k.lower(): k for k in allowed}
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        if not isinstance(key, str) or key.lower() not in lower:
            raise OptionError(f"{function}: '{key}' is not a recognized parameter. Valid options: "
                              f"{', '.join(allowed)}.")
        values[lower[key.lower()]] = value
    return {k: values.get(k, default) for k, default in allowed.items()}


@matlab_function(outputs=(), data_free=False)
def exportONNXNetwork(net, filename, *args, **kwargs) -> None:
    """``exportONNXNetwork(net, filename, 'OpsetVersion', 8, 'BatchSize', [], 'NetworkName', 'Network')``.

    Writes ``net`` (SeriesNetwork/DAGNetwork/dlnetwork, or a layer graph/array, which is initialized
    first) to the ONNX file ``filename``. The model's inputs and outputs use torch layouts (N×C×H×W,
    N×C, N×T×C) with a free batch dimension ``N`` unless ``BatchSize`` is given, and a free ``T``.
    """
    from ...policy import check_write

    opts = _options(args, kwargs, "exportONNXNetwork",
                    {"NetworkName": "Network", "OpsetVersion": DEFAULT_OPSET, "BatchSize": None})
    batch = opts["BatchSize"]
    if isinstance(batch, (list, tuple, np.ndarray)) and len(batch) == 0:
        batch = None
    if batch is not None:
        if isinstance(batch, float) and batch.is_integer():
            batch = int(batch)
        if not isinstance(batch, (int, np.integer)) or isinstance(batch, bool) or batch < 1:
            raise OptionError(f"exportONNXNetwork: 'BatchSize' must be a positive integer or [], got {batch!r}.")
    opset = opts["OpsetVersion"]
    if isinstance(opset, float) and opset.is_integer():
        opset = int(opset)
    name = opts["NetworkName"]
    if not isinstance(name, str) or not name:
        raise OptionError("exportONNXNetwork: 'NetworkName' must be a nonempty character vector or string.")
    if not isinstance(filename, (str, os.PathLike)):
        raise OptionError("exportONNXNetwork: filename must be a character vector or string.")
    path = check_write(filename, "exportONNXNetwork")
    model = build_model(net, opset=opset, batch_size=batch, network_name=name)
    onnx, _ = _need_onnx()
    try:
        onnx.save_model(model, os.fspath(path))
    except OSError as exc:
        raise OnnxError(f"exportONNXNetwork: cannot write '{os.fspath(filename)}': {exc.strerror or exc}.") from None


__all__ = ["exportONNXNetwork", "build_model", "OnnxError", "DEFAULT_OPSET", "EXPORTERS"]
