"""Pooling layers: max / average pooling (1-D, 2-D, 3-D), global average / max pooling, max unpooling.

MATLAB's rules, which differ from torch's defaults:

* ``Stride`` defaults to 1 (not to the pool size);
* ``'same'`` padding makes the output ``ceil(in/stride)`` and puts the odd extra row/column at the
  bottom/right/back; it is computed from the actual input size at run time;
* manual padding must be smaller than the pool size;
* the output size is ``floor((in + before + after - pool)/stride) + 1`` (no ceil mode);
* average pooling counts the zero padding (every window divides by ``prod(PoolSize)``);
* max pooling pads with -inf.

Which dimensions are pooled depends on the input format (as in MATLAB):

=========  ===============  ==============================  ===========================
layer      format           pooled                          torch layout in
=========  ===============  ==============================  ===========================
1-D        CBT / SCB / SCBT  T / S / S (per time step)       N×T×C / N×C×L / N×T×C×L
2-D        SSCB / SSCBT      S,S / S,S per time step        N×C×H×W / N×T×C×H×W
2-D        SCBT              S and T                        N×T×C×H
3-D        SSSCB / SSSCBT    S,S,S / per time step          N×C×H×W×D / N×T×C×H×W×D
3-D        SSCBT             S,S and T                      N×T×C×H×W
=========  ===============  ==============================  ===========================
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, register, times_str, vec_str
from .convolution import (
    Arranged,
    arranged,
    arrangement,
    conv_output_size,
    operated_sizes,
    output_layout,
    pad_nd,
    torch_pad,
    padding_1d,
    padding_3d,
    padding_display,
    _padding_size,
    pads_per_dim,
    same_padding,
    size_display,
    stride_display,
)
from .options import Option, boolean, padding_2d, positive_integer, size_vector

# --------------------------------------------------------------------------------------------------
# Local pooling


_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class PoolModule(nn.Module):
    """Max or average pooling over the n trailing dims of N×C×D1..Dn with MATLAB padding.

    ``pads`` is a list of (before, after) per dim, or None for 'same' (computed from the input size).
    Padding is applied with F.pad (-inf for max, 0 for average) and the pooling itself is unpadded, so
    asymmetric padding works and average pooling counts the padding.
    """

    def __init__(self, kind: str, pool, stride, pads, return_indices: bool = False):
        super().__init__()
        self.kind = kind
        self.pool = tuple(pool)
        self.stride = tuple(stride)
        self.pads = None if pads is None else [tuple(p) for p in pads]
        self.n = len(self.pool)
        self.return_indices = return_indices

    def _pads(self, x) -> list:
        if self.pads is not None:
            return self.pads
        sizes = x.shape[2:]
        return [same_padding(int(s), f, st) for s, f, st in zip(sizes, self.pool, self.stride)]

    def forward(self, x):
        pads = self._pads(x)
        if not self.return_indices and all(b == a and 2 * b <= f for (b, a), f in zip(pads, self.pool)):
            # symmetric padding within half the pool: torch pads implicitly (-inf for max, zeros counted
            # in the average: count_include_pad), the same values without copying x into a padded tensor
            padding = tuple(b for b, _ in pads)
            if self.kind == "max":
                return _MAX_POOL[self.n](x, self.pool, self.stride, padding)
            return _AVG_POOL[self.n](x, self.pool, self.stride, padding, count_include_pad=True)
        flat = torch_pad(pads)
        padded = any(flat)
        if self.kind == "max":
            xp = F.pad(x, flat, value=float("-inf")) if padded else x
            if self.return_indices:
                y, idx = _MAX_POOL[self.n](xp, self.pool, self.stride, return_indices=True)
                return y, self._unpadded_indices(idx, x, xp, pads)
            return _MAX_POOL[self.n](xp, self.pool, self.stride)
        xp = F.pad(x, flat) if padded else x
        return _AVG_POOL[self.n](xp, self.pool, self.stride)

    @staticmethod
    def _unpadded_indices(idx, x, xp, pads):
        """Row-major indices into the padded plane -> row-major indices into the unpadded input plane."""
        if tuple(xp.shape) == tuple(x.shape):
            return idx
        out = torch.zeros_like(idx)
        rest = idx
        stride_unpadded = 1
        for d in range(len(pads) - 1, -1, -1):
            size_p = xp.shape[2 + d]
            coord = rest % size_p
            rest = torch.div(rest, size_p, rounding_mode="floor")
            out = out + (coord - pads[d][0]) * stride_unpadded
            stride_unpadded *= x.shape[2 + d]
        return out

    def extra_repr(self) -> str:
        pads = "same" if self.pads is None else self.pads
        return f"{self.kind}, pool={self.pool}, stride={self.stride}, padding={pads}"


class UnpoolingOutputs(nn.Module):
    """maxPooling2dLayer with HasUnpoolingOutputs: returns (out, indices, size).

    ``indices`` (int64, the size of ``out``) are 0-based row-major indices into each H×W plane of the
    input (torch's convention, h*W + w); ``size`` is the input's torch shape (int64 vector N, C, H, W).
    """

    def __init__(self, pool: PoolModule):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        y, idx = self.pool(x)
        return y, idx, torch.tensor(x.shape, dtype=torch.int64, device=x.device)


class _Pooling(Layer):
    """Shared behaviour of the local pooling layers (n = 1, 2, 3 pooled dimensions)."""

    NDIMS: ClassVar[int] = 2
    KIND: ClassVar[str] = "max"
    FAMILY = "pooling"
    POSITIONAL = ("PoolSize",)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["PaddingMode"] = lambda self: self.Padding if isinstance(self.Padding, str) else "manual"
        props["PaddingSize"] = lambda self: _padding_size(self.Padding)
        return props

    def _sizes(self, name) -> tuple:
        v = self._values[name]
        return (v,) if isinstance(v, int) else tuple(v)

    def _check(self):
        pad = self.Padding
        if isinstance(pad, str):
            return
        pool = self._sizes("PoolSize")
        for (before, after), p in zip(pads_per_dim(pad, self.NDIMS), pool):
            if before >= p or after >= p:
                raise self.fail(
                    f"invalid 'Padding' {padding_display(pad, self.NDIMS)}: the padding must be smaller than the "
                    f"pool size (PoolSize {stride_display(self.PoolSize)})."
                )

    def pads_for(self, sizes: list) -> list:
        pool, stride = self._sizes("PoolSize"), self._sizes("Stride")
        if self.Padding == "same":
            return [same_padding(s, p, st) if s is not None else None for s, p, st in zip(sizes, pool, stride)]
        return pads_per_dim(self.Padding, self.NDIMS)

    def infer(self, inputs):
        x = inputs[0]
        mode = arrangement(self, x, self.NDIMS)
        sizes = operated_sizes(x, mode)
        pool, stride = self._sizes("PoolSize"), self._sizes("Stride")
        out = []
        for s, pads, p, st in zip(sizes, self.pads_for(sizes), pool, stride):
            if s is None:
                out.append(None)
                continue
            o = conv_output_size(s, pads[0], pads[1], p, st)
            if o < 1:
                padded = [(sz if sz is not None else 0) + sum(pd or (0, 0)) for sz, pd in zip(sizes, self.pads_for(sizes))]
                raise LayoutError(
                    f"Input size mismatch. The padded input size {times_str(padded)} is smaller than the pool size "
                    f"{times_str(pool)}."
                )
            out.append(o)
        layout = output_layout(x, mode, out)
        return [layout] * len(self.output_names())

    def _module(self, inputs, return_indices=False) -> PoolModule:
        pads = None if self.Padding == "same" else pads_per_dim(self.Padding, self.NDIMS)
        return PoolModule(self.KIND, self._sizes("PoolSize"), self._sizes("Stride"), pads, return_indices)

    def build(self, inputs):
        x = inputs[0]
        mode = arrangement(self, x, self.NDIMS)
        return arranged(self._module(inputs), mode)

    def description(self):
        word = "max" if self.KIND == "max" else "average"
        return (
            f"{size_display(self.PoolSize)} {word} pooling with stride {stride_display(self.Stride)} "
            f"and padding {padding_display(self.Padding, self.NDIMS)}"
        )


def _pool_options(n: int) -> tuple:
    if n == 1:
        return (
            Option("PoolSize", positive_integer(), required=True),
            Option("Stride", positive_integer(), 1),
            Option("Padding", padding_1d("same"), (0, 0)),
        )
    if n == 2:
        return (
            Option("PoolSize", size_vector(2), required=True),
            Option("Stride", size_vector(2), (1, 1)),
            Option("Padding", padding_2d(), (0, 0, 0, 0)),
        )
    return (
        Option("PoolSize", size_vector(3), required=True),
        Option("Stride", size_vector(3), (1, 1, 1)),
        Option("Padding", padding_3d("same"), ((0, 0, 0), (0, 0, 0))),
    )


@register
class MaxPooling2DLayer(_Pooling):
    """2-D max pooling: ``maxPooling2dLayer(poolSize)``; Stride [1 1], Padding [0 0 0 0] or 'same'.

    Torch layout: N×C×H×W (N×T×C×H×W per time step; 1-D image sequences N×T×C×H pool over H and T).
    With ``HasUnpoolingOutputs`` the outputs are ``out``, ``indices`` and ``size`` (for
    maxUnpooling2dLayer); only for non-overlapping regions (Stride >= PoolSize) and non-sequence input.
    """

    MATLAB_NAME = "maxPooling2dLayer"
    EXAMPLE = "maxPooling2dLayer(2, Stride=2)"
    TYPE = "2-D Max Pooling"
    DEFAULT_NAME = "maxpool"
    SYNTAX = "maxPooling2dLayer(poolSize, Name=Value)"
    NDIMS = 2
    KIND = "max"
    OPTIONS = _pool_options(2) + (Option("HasUnpoolingOutputs", boolean(), False),)

    def _check(self):
        super()._check()
        if self.HasUnpoolingOutputs and any(s < p for s, p in zip(self.Stride, self.PoolSize)):
            raise self.fail(
                f"'HasUnpoolingOutputs' requires non-overlapping pooling regions: each 'Stride' value must be at "
                f"least the pool size (Stride {vec_str(self.Stride)}, PoolSize {vec_str(self.PoolSize)})."
            )

    def output_names(self):
        return ("out", "indices", "size") if self._values["HasUnpoolingOutputs"] else ("out",)

    def infer(self, inputs):
        outs = super().infer(inputs)
        if self.HasUnpoolingOutputs:
            x = inputs[0]
            if x.has_time:
                raise LayoutError(
                    f"Invalid input data. {self.MATLAB_NAME} with unpooling outputs does not support sequence input "
                    f"(received format '{x.format}')."
                )
            # out, indices (same size as out), size (describes the input)
            return [outs[0], outs[0], x]
        return outs

    def build(self, inputs):
        if self.HasUnpoolingOutputs:
            self.infer(inputs)
            return UnpoolingOutputs(self._module(inputs, return_indices=True))
        return super().build(inputs)


@register
class AveragePooling2DLayer(_Pooling):
    """2-D average pooling: ``averagePooling2dLayer(poolSize)``; zero padding counts in every average.

    Torch layout: N×C×H×W (N×T×C×H×W per time step; 1-D image sequences N×T×C×H pool over H and T).
    """

    MATLAB_NAME = "averagePooling2dLayer"
    EXAMPLE = "averagePooling2dLayer(2, Stride=2)"
    TYPE = "2-D Average Pooling"
    DEFAULT_NAME = "avgpool"
    SYNTAX = "averagePooling2dLayer(poolSize, Name=Value)"
    NDIMS = 2
    KIND = "average"
    OPTIONS = _pool_options(2)


@register
class MaxPooling1DLayer(_Pooling):
    """1-D max pooling: ``maxPooling1dLayer(poolSize)``. Pools T of N×T×C, L of N×C×L, L of N×T×C×L."""

    MATLAB_NAME = "maxPooling1dLayer"
    EXAMPLE = "maxPooling1dLayer(2, Stride=2)"
    TYPE = "1-D Max Pooling"
    DEFAULT_NAME = "maxpool1d"
    SYNTAX = "maxPooling1dLayer(poolSize, Name=Value)"
    NDIMS = 1
    KIND = "max"
    OPTIONS = _pool_options(1)


@register
class AveragePooling1DLayer(_Pooling):
    """1-D average pooling: ``averagePooling1dLayer(poolSize)``. Pools T of N×T×C, L of N×C×L, L of N×T×C×L."""

    MATLAB_NAME = "averagePooling1dLayer"
    EXAMPLE = "averagePooling1dLayer(2, Stride=2)"
    TYPE = "1-D Average Pooling"
    DEFAULT_NAME = "avgpool1d"
    SYNTAX = "averagePooling1dLayer(poolSize, Name=Value)"
    NDIMS = 1
    KIND = "average"
    OPTIONS = _pool_options(1)


@register
class MaxPooling3DLayer(_Pooling):
    """3-D max pooling: ``maxPooling3dLayer(poolSize)``. Torch layout N×C×H×W×D (sequences per time step)."""

    MATLAB_NAME = "maxPooling3dLayer"
    EXAMPLE = "maxPooling3dLayer(2, Stride=2)"
    TYPE = "3-D Max Pooling"
    DEFAULT_NAME = "maxpool3d"
    SYNTAX = "maxPooling3dLayer(poolSize, Name=Value)"
    NDIMS = 3
    KIND = "max"
    OPTIONS = _pool_options(3)


@register
class AveragePooling3DLayer(_Pooling):
    """3-D average pooling: ``averagePooling3dLayer(poolSize)``. Torch layout N×C×H×W×D (sequences per time step)."""

    MATLAB_NAME = "averagePooling3dLayer"
    EXAMPLE = "averagePooling3dLayer(2, Stride=2)"
    TYPE = "3-D Average Pooling"
    DEFAULT_NAME = "avgpool3d"
    SYNTAX = "averagePooling3dLayer(poolSize, Name=Value)"
    NDIMS = 3
    KIND = "average"
    OPTIONS = _pool_options(3)


# --------------------------------------------------------------------------------------------------
# Global pooling


class GlobalPoolModule(nn.Module):
    """Mean or max over the n trailing dims of N×C×D1..Dn, keeping them as singletons."""

    def __init__(self, kind: str, n: int):
        super().__init__()
        self.kind = kind
        self.dims = tuple(range(2, 2 + n))

    def forward(self, x):
        if self.kind == "max":
            return torch.amax(x, dim=self.dims, keepdim=True)
        return torch.mean(x, dim=self.dims, keepdim=True)

    def extra_repr(self) -> str:
        return f"{self.kind}, dims={self.dims}"


class GlobalTimePoolModule(nn.Module):
    """Global pooling over T and the k spatial dims of N×T×C×S1..Sk: output N×C×1..1 (T removed)."""

    def __init__(self, kind: str, k: int):
        super().__init__()
        self.kind = kind
        self.spatial = tuple(range(3, 3 + k))

    def forward(self, x):
        if self.spatial:
            x = torch.amax(x, dim=self.spatial, keepdim=True) if self.kind == "max" else x.mean(dim=self.spatial, keepdim=True)
        return torch.amax(x, dim=1) if self.kind == "max" else x.mean(dim=1)

    def extra_repr(self) -> str:
        return f"{self.kind} over T and dims {self.spatial}"


class _GlobalPooling(Layer):
    """Global pooling: every pooled dimension becomes 1 (kept as a singleton, as MATLAB's 1×1×C)."""

    NDIMS: ClassVar[int] = 2
    KIND: ClassVar[str] = "average"
    FAMILY = "pooling"

    def infer(self, inputs):
        x = inputs[0]
        mode = arrangement(self, x, self.NDIMS)
        if mode in ("st", "ct"):
            # pooling over T removes the time dimension (sequence-to-one), S dims stay as singletons
            return [Layout((1,) * len(x.spatial), x.channels)]
        return [output_layout(x, mode, [1] * self.NDIMS)]

    def build(self, inputs):
        mode = arrangement(self, inputs[0], self.NDIMS)
        if mode in ("st", "ct"):
            return GlobalTimePoolModule(self.KIND, len(inputs[0].spatial))
        return arranged(GlobalPoolModule(self.KIND, self.NDIMS), mode)

    def description(self):
        word = "max" if self.KIND == "max" else "average"
        return f"{self.NDIMS}-D global {word} pooling"


def _global(n: int, kind: str):
    word, short = ("Average", "ga") if kind == "average" else ("Max", "gm")
    suffix = "" if n == 2 else f"{n}d"

    class _G(_GlobalPooling):
        __doc__ = (
            f"{n}-D global {word.lower()} pooling: ``global{word}Pooling{n}dLayer``. Pooled dims become 1 "
            f"(kept as singletons)."
        )
        MATLAB_NAME = f"global{word}Pooling{n}dLayer"
        TYPE = f"{n}-D Global {word} Pooling"
        DEFAULT_NAME = f"{short}pool{suffix}"
        SYNTAX = f"global{word}Pooling{n}dLayer(Name=Value)"
        NDIMS = n
        KIND = kind

    _G.__name__ = _G.__qualname__ = f"Global{word}Pooling{n}DLayer"
    return register(_G)


GlobalAveragePooling1DLayer = _global(1, "average")
GlobalAveragePooling2DLayer = _global(2, "average")
GlobalAveragePooling3DLayer = _global(3, "average")
GlobalMaxPooling1DLayer = _global(1, "max")
GlobalMaxPooling2DLayer = _global(2, "max")
GlobalMaxPooling3DLayer = _global(3, "max")


# --------------------------------------------------------------------------------------------------
# Max unpooling


class UnpoolModule(nn.Module):
    """Scatter each value of ``x`` (N×C×h×w) to its recorded position in an N×C×H×W zero map.

    ``indices`` are maxPooling2dLayer's: 0-based row-major positions in each H×W plane. The output plane
    size is fixed when the network is built (from the ``size`` input's layout), so the ``size`` tensor
    is accepted but not read.
    """

    def __init__(self, height: int, width: int):
        super().__init__()
        self.height = height
        self.width = width

    def forward(self, x, indices, size=None):
        n, c = x.shape[0], x.shape[1]
        out = x.new_zeros((n, c, self.height * self.width))
        out = out.scatter(2, indices.reshape(n, c, -1).long(), x.reshape(n, c, -1))
        return out.reshape(n, c, self.height, self.width)

    def extra_repr(self) -> str:
        return f"output plane {self.height}×{self.width}"


@register
class MaxUnpooling2DLayer(Layer):
    """2-D max unpooling: ``maxUnpooling2dLayer``; inputs ``in``, ``indices`` and ``size`` from a
    maxPooling2dLayer with HasUnpoolingOutputs. Torch layout in N×C×h×w, out N×C×H×W."""

    MATLAB_NAME = "maxUnpooling2dLayer"
    TYPE = "2-D Max Unpooling"
    DEFAULT_NAME = "maxunpool"
    SYNTAX = "maxUnpooling2dLayer(Name=Value)"
    FAMILY = "pooling"

    def input_names(self):
        return ("in", "indices", "size")

    def infer(self, inputs):
        x, idx, size = inputs
        if len(x.spatial) != 2 or x.has_time:
            raise LayoutError(
                f"Invalid input data. maxUnpooling2dLayer expects 2-D image input (format 'SSCB'), "
                f"but received input with format '{x.format}'."
            )
        if not x.same_size(idx):
            raise LayoutError(
                f"Input size mismatch. The 'indices' input ({idx.matlab_size()}) must have the size of the 'in' "
                f"input ({x.matlab_size()})."
            )
        if len(size.spatial) != 2 or size.has_time or size.channels != x.channels:
            raise LayoutError(
                f"Input size mismatch. The 'size' input describes input of size {size.matlab_size()}, which does not "
                f"match the 'in' input ({x.matlab_size()}); connect the 'size' output of the max pooling layer."
            )
        if x.spatial[0] > size.spatial[0] or x.spatial[1] > size.spatial[1]:
            raise LayoutError(
                f"Input size mismatch. The unpooled size {size.matlab_size()} is smaller than the input "
                f"{x.matlab_size()}."
            )
        return [Layout(tuple(size.spatial), x.channels)]

    def build(self, inputs):
        out = self.infer(inputs)[0]
        return UnpoolModule(*out.spatial)

    def description(self):
        return "Max Unpooling"


__all__ = ["PoolModule", "GlobalPoolModule", "UnpoolModule", "Arranged", "arrangement"]
