"""Utility layers: identityLayer, functionLayer, scalingLayer, quadraticLayer, depthToSpace2dLayer, spaceToDepthLayer."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, num_str, register, times_str
from .options import Converter, Option, boolean, choice, numeric_array, positive_integer, size_vector, string_list, text


# --------------------------------------------------------------------------------------------------
# identityLayer


@register
class IdentityLayer(Layer):
    """Output equal to the input: ``identityLayer`` (R2024b). Any torch layout."""

    MATLAB_NAME = "identityLayer"
    TYPE = "Identity"
    DEFAULT_NAME = "identity"
    SYNTAX = "identityLayer(Name=Value)"
    FAMILY = "utility"

    def build(self, inputs):
        return nn.Identity()

    def description(self):
        return "Identity"


# --------------------------------------------------------------------------------------------------
# functionLayer


def _callable() -> Converter:
    def convert(v):
        if isinstance(v, str) or not callable(v):
            raise ValueError
        return v

    return Converter(
        convert,
        "a Python callable (a function handle; strings are never evaluated)",
        {"description": "a Python callable; cannot be given in a JSON spec"},
    )


def _names() -> Converter:
    base = string_list()

    def convert(v):
        value = base(v)
        if value == "auto" or len(value) == 0 or len(set(value)) != len(value) or any(not n for n in value):
            raise ValueError
        return value

    return Converter(convert, "a list of distinct, nonempty names", {"type": "array", "items": {"type": "string"}})


def _function_text(fn) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return "@" + name


class FunctionModule(nn.Module):
    """Calls the layer's PredictFcn on torch-layout tensors."""

    def __init__(self, fn, num_outputs: int):
        super().__init__()
        self.fn = fn
        self.num_outputs = num_outputs

    def forward(self, *xs):
        out = self.fn(*xs)
        if self.num_outputs == 1:
            return out[0] if isinstance(out, (tuple, list)) and len(out) == 1 else out
        return tuple(out)

    def extra_repr(self) -> str:
        return _function_text(self.fn)


@register
class FunctionLayer(Layer):
    """A layer that applies a Python callable: ``functionLayer(fun)`` (R2021b).

    ``fun(X1, ..., XN)`` receives torch-layout tensors (N×C×H×W, N×C, N×T×C, ...) and returns
    ``NumOutputs`` tensors in torch layout (batch first). It must be built from torch operations so that
    gradients flow. The callable is stored on the layer; a string is never evaluated, so a functionLayer
    cannot come from a JSON spec. Output sizes are found by calling ``fun`` once on zeros.
    """

    MATLAB_NAME = "functionLayer"
    EXAMPLE = "functionLayer(lambda X: X * 2, Description='doubles its input')"
    TYPE = "Function"
    DEFAULT_NAME = "layer"
    SYNTAX = "functionLayer(fun, Name=Value)"
    FAMILY = "utility"
    POSITIONAL = ("PredictFcn",)
    OPTIONS = (
        Option("PredictFcn", _callable(), required=True),
        Option("NumInputs", positive_integer(), None),
        Option("NumOutputs", positive_integer(), None),
        Option("InputNames", _names(), None),
        Option("OutputNames", _names(), None),
        Option("Formattable", boolean(), False),
        Option("Acceleratable", boolean(), False),
        Option("Description", text(), ""),
    )

    def _check(self):
        v = self._values
        for count, names, single, stem in (("NumInputs", "InputNames", "in", "in"), ("NumOutputs", "OutputNames", "out", "out")):
            n, given = v.get(count), v.get(names)
            if given is not None:
                if n is not None and n != len(given):
                    raise self.fail(f"{count} is {n} but {names} has {len(given)} names.")
                v[count] = len(given)
            else:
                n = 1 if n is None else n
                v[count] = n
                v[names] = (single,) if n == 1 else tuple(f"{stem}{i}" for i in range(1, n + 1))

    def __getattr__(self, name):
        if name == "Description":
            return self.description()
        if name in ("InputNames", "OutputNames"):
            return list(self._values[name])
        return super().__getattr__(name)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props.pop("Description", None)
        return props

    def input_names(self):
        return tuple(self._values["InputNames"])

    def output_names(self):
        return tuple(self._values["OutputNames"])

    def infer(self, inputs):
        time = next((x.time or 3 for x in inputs if x.has_time), None)
        batch = 2
        xs = [torch.zeros(x.torch_shape(batch, time)) for x in inputs]
        try:
            with torch.no_grad():
                out = self.PredictFcn(*xs)
        except Exception as exc:  # the user's function: report what it raised, naming the layer
            raise LayoutError(f"functionLayer: PredictFcn {_function_text(self.PredictFcn)} failed on inputs of "
                              f"size {', '.join(times_str(x.shape) for x in xs)}: {type(exc).__name__}: {exc}") from None
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(outs) != self.NumOutputs:
            raise LayoutError(f"functionLayer: PredictFcn returned {len(outs)} outputs; the layer has "
                              f"NumOutputs {self.NumOutputs}.")
        layouts = []
        for y in outs:
            if not isinstance(y, torch.Tensor) or y.dim() < 1 or y.shape[0] != batch:
                raise LayoutError("functionLayer: PredictFcn must return tensors whose first dimension is the batch "
                                  "(torch layout).")
            if time is not None and y.dim() >= 3 and y.shape[1] == time:
                spatial = tuple(int(s) for s in y.shape[3:])
                layouts.append(Layout(spatial, int(y.shape[2]), True, next(x.time for x in inputs if x.has_time)))
            else:
                channels = int(y.shape[1]) if y.dim() >= 2 else 1
                layouts.append(Layout(tuple(int(s) for s in y.shape[2:]), channels))
        return layouts

    def build(self, inputs):
        return FunctionModule(self.PredictFcn, self.NumOutputs)

    def description(self):
        return self._values.get("Description") or _function_text(self.PredictFcn)


# --------------------------------------------------------------------------------------------------
# scalingLayer


def _scalar_or_array() -> Converter:
    arrays = numeric_array()

    def convert(v):
        if isinstance(v, numbers.Number) and not isinstance(v, bool):
            x = float(v)
            if not math.isfinite(x):
                raise ValueError
            return x
        value = arrays(v)
        if value is None:
            raise ValueError
        if value.numel() == 1:
            return float(value.reshape(()).item())
        return value

    return Converter(convert, "a numeric scalar or array (MATLAB layout)", {"anyOf": [{"type": "number"}, arrays.schema]})


def matlab_to_torch_broadcast(value, layout: Layout, what: str) -> torch.Tensor:
    """A MATLAB-layout per-observation array (e.g. 1×1×C, H×W×C, C×1) as a tensor broadcasting in torch layout."""
    if not isinstance(value, torch.Tensor):
        return torch.tensor(float(value))
    obs = list(layout.spatial) + [layout.channels]          # MATLAB order: S..., C
    dims = [int(d) for d in value.shape]
    if not layout.spatial and len(dims) == 2 and dims[1] == 1:
        dims = dims[:1]                                      # C×1 column vector for features/sequences
    while len(dims) > len(obs) and dims[-1] == 1:
        dims.pop()
    if len(dims) > len(obs):
        raise LayoutError(f"{what} of size {times_str(value.shape)} does not fit an input of size {layout.matlab_size()}.")
    dims += [1] * (len(obs) - len(dims))
    if any(d not in (1, o) for d, o in zip(dims, obs)):
        raise LayoutError(f"{what} of size {times_str(value.shape)} does not fit an input of size {layout.matlab_size()}.")
    t = value.reshape(dims)
    order = [len(dims) - 1] + list(range(len(dims) - 1))    # C first, then S...
    return t.permute(order).contiguous().to(torch.float32)


class ScaleOffset(nn.Module):
    def __init__(self, scale: torch.Tensor, offset: torch.Tensor):
        super().__init__()
        self.register_buffer("scale", scale)
        self.register_buffer("offset", offset)

    def forward(self, x):
        return x * self.scale.to(x.dtype) + self.offset.to(x.dtype)


@register
class ScalingLayer(Layer):
    """``Y = Scale .* X + Offset``: ``scalingLayer`` (Scale 1, Offset 0; not learnable).

    ``Bias`` is the Reinforcement Learning Toolbox name of the offset and is added to Offset. Arrays are
    given in MATLAB layout (1×1×C or H×W×C for images, C×1 for features and sequences).
    """

    MATLAB_NAME = "scalingLayer"
    TYPE = "Scaling"
    DEFAULT_NAME = "scaling"
    SYNTAX = "scalingLayer(Scale=1, Offset=0)"
    FAMILY = "utility"
    OPTIONS = (
        Option("Scale", _scalar_or_array(), 1.0),
        Option("Offset", _scalar_or_array(), 0.0),
        Option("Bias", _scalar_or_array(), 0.0, doc="Reinforcement Learning Toolbox name of the offset (added to Offset)."),
    )

    def infer(self, inputs):
        x = inputs[0]
        for prop in ("Scale", "Offset", "Bias"):
            matlab_to_torch_broadcast(self._values[prop], x, prop)
        return [x]

    def build(self, inputs):
        x = inputs[0]
        scale = matlab_to_torch_broadcast(self.Scale, x, "Scale")
        offset = matlab_to_torch_broadcast(self.Offset, x, "Offset") + matlab_to_torch_broadcast(self.Bias, x, "Bias")
        return ScaleOffset(scale, offset)

    def description(self):
        return "Scaling"


# --------------------------------------------------------------------------------------------------
# quadraticLayer


class QuadraticModule(nn.Module):
    """Channel vector u -> [u1u1, u1u2, u2u2, u1u3, u2u3, u3u3, ...] (for j, for i <= j: u_i u_j)."""

    def __init__(self, n: int, dim: int):
        super().__init__()
        rows, cols = [], []
        for j in range(n):
            for i in range(j + 1):
                rows.append(i)
                cols.append(j)
        self.register_buffer("i", torch.tensor(rows, dtype=torch.long))
        self.register_buffer("j", torch.tensor(cols, dtype=torch.long))
        self.dim = dim

    def forward(self, x):
        return x.index_select(self.dim, self.i) * x.index_select(self.dim, self.j)


@register
class QuadraticLayer(Layer):
    """Pairwise products of the input's channels: ``quadraticLayer``.

    For input ``[u1 u2 u3]`` the output is ``[u1*u1 u1*u2 u2*u2 u1*u3 u2*u3 u3*u3]``: C(C+1)/2 channels.
    Feature and sequence input (per time step), or images of size 1×1×C.
    """

    MATLAB_NAME = "quadraticLayer"
    TYPE = "Quadratic"
    DEFAULT_NAME = "quadratic"
    SYNTAX = "quadraticLayer(Name=Value)"
    FAMILY = "utility"

    def infer(self, inputs):
        x = inputs[0]
        if any(s != 1 for s in x.spatial):
            raise LayoutError(
                f"Invalid input data. quadraticLayer expects a vector per observation (feature, sequence or 1×1×C "
                f"input), but received input of size {x.matlab_size()}."
            )
        c = x.channels
        return [x.with_channels(c * (c + 1) // 2)]

    def build(self, inputs):
        x = inputs[0]
        return QuadraticModule(x.channels, 2 if x.has_time else 1)

    def description(self):
        return "Quadratic"


# --------------------------------------------------------------------------------------------------
# depthToSpace2dLayer, spaceToDepthLayer (Image Processing Toolbox)


def _require_image_2d(layer: Layer, x: Layout) -> None:
    if len(x.spatial) != 2 or x.has_time:
        raise LayoutError(
            f"Invalid input data. {layer.MATLAB_NAME} expects 2-D image input (format 'SSCB'), "
            f"but received input with format '{x.format}'."
        )


class DepthToSpaceModule(nn.Module):
    """N×(C·bh·bw)×H×W -> N×C×(H·bh)×(W·bw), ONNX DepthToSpace ordering (DCR or CRD)."""

    def __init__(self, bh: int, bw: int, mode: str):
        super().__init__()
        self.bh, self.bw, self.mode = bh, bw, mode

    def forward(self, x):
        n, c, h, w = x.shape
        bh, bw = self.bh, self.bw
        k = c // (bh * bw)
        if self.mode == "dcr":      # channel = (i*bw + j)*k + c'
            t = x.reshape(n, bh, bw, k, h, w).permute(0, 3, 4, 1, 5, 2)
        else:                       # "crd": channel = c'*bh*bw + i*bw + j
            t = x.reshape(n, k, bh, bw, h, w).permute(0, 1, 4, 2, 5, 3)
        return t.reshape(n, k, h * bh, w * bw)

    def extra_repr(self) -> str:
        return f"block=({self.bh}, {self.bw}), mode={self.mode!r}"


class SpaceToDepthModule(nn.Module):
    """N×C×H×W -> N×(C·bh·bw)×(H/bh)×(W/bw), ONNX SpaceToDepth ordering: channel = (i*bw + j)*C + c."""

    def __init__(self, bh: int, bw: int):
        super().__init__()
        self.bh, self.bw = bh, bw

    def forward(self, x):
        n, c, h, w = x.shape
        bh, bw = self.bh, self.bw
        t = x.reshape(n, c, h // bh, bh, w // bw, bw).permute(0, 3, 5, 1, 2, 4)
        return t.reshape(n, bh * bw * c, h // bh, w // bw)

    def extra_repr(self) -> str:
        return f"block=({self.bh}, {self.bw})"


@register
class DepthToSpace2dLayer(Layer):
    """Depth to space: ``depthToSpace2dLayer(blockSize, Mode="dcr")`` (R2021a).

    H×W×(C·h·w) -> (H·h)×(W·w)×C. The channel order follows ONNX DepthToSpace ('dcr': depth, column,
    row; 'crd': column, row, depth), the operator MATLAB imports into this layer.
    """

    MATLAB_NAME = "depthToSpace2dLayer"
    EXAMPLE = "depthToSpace2dLayer(2)"
    TYPE = "Depth to Space"
    DEFAULT_NAME = "depthtospace"
    SYNTAX = "depthToSpace2dLayer(blockSize, Mode=\"dcr\")"
    FAMILY = "utility"
    POSITIONAL = ("BlockSize",)
    OPTIONS = (
        Option("BlockSize", size_vector(2), required=True),
        Option("Mode", choice("dcr", "crd"), "dcr"),
    )

    def infer(self, inputs):
        x = inputs[0]
        _require_image_2d(self, x)
        bh, bw = self.BlockSize
        if x.channels % (bh * bw):
            raise LayoutError(
                f"Invalid input data. The number of input channels ({x.channels}) must be divisible by the number "
                f"of elements of a block ({bh}×{bw} = {bh * bw})."
            )
        h, w = x.spatial
        return [Layout((h * bh, w * bw), x.channels // (bh * bw))]

    def build(self, inputs):
        return DepthToSpaceModule(*self.BlockSize, self.Mode)

    def description(self):
        return f"Depth to space with block size {times_str(self.BlockSize)} and mode '{self.Mode}'"


@register
class SpaceToDepthLayer(Layer):
    """Space to depth: ``spaceToDepthLayer(blockSize)`` (R2021a).

    H×W×C -> (H/h)×(W/w)×(C·h·w), the ordering of ONNX SpaceToDepth (block offsets first, then channel).
    """

    MATLAB_NAME = "spaceToDepthLayer"
    EXAMPLE = "spaceToDepthLayer(2)"
    TYPE = "Space to Depth"
    DEFAULT_NAME = "spacetodepth"
    SYNTAX = "spaceToDepthLayer(blockSize, Name=Value)"
    FAMILY = "utility"
    POSITIONAL = ("BlockSize",)
    OPTIONS = (Option("BlockSize", size_vector(2), required=True),)

    def infer(self, inputs):
        x = inputs[0]
        _require_image_2d(self, x)
        bh, bw = self.BlockSize
        h, w = x.spatial
        if h % bh or w % bw:
            raise LayoutError(
                f"Invalid input data. The spatial size {h}×{w} must be divisible by the block size {bh}×{bw}."
            )
        return [Layout((h // bh, w // bw), x.channels * bh * bw)]

    def build(self, inputs):
        return SpaceToDepthModule(*self.BlockSize)

    def description(self):
        return f"Space to depth with block size {times_str(self.BlockSize)}"


__all__ = [
    "IdentityLayer", "FunctionLayer", "ScalingLayer", "QuadraticLayer", "DepthToSpace2dLayer", "SpaceToDepthLayer",
    "matlab_to_torch_broadcast",
]
