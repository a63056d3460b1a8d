"""Cropping and resizing layers: crop2dLayer, crop3dLayer, resize2dLayer, resize3dLayer.

Torch layout in/out: N×[T]×C×H×W (2-D) or N×[T]×C×H×W×D (3-D); only the spatial dims change.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, register
from .options import Converter, Option, _as_flat_numbers, _int_value, boolean, choice


def mat2str(values) -> str:
    """MATLAB's mat2str of a row vector: ``[2 2]``, ``[128 NaN]``; a scalar without brackets."""

    def one(v):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(int(v))
        v = float(v)
        if math.isnan(v):
            return "NaN"
        return str(int(v)) if v.is_integer() else f"{v:.15g}"

    values = list(values)
    return one(values[0]) if len(values) == 1 else "[" + " ".join(one(v) for v in values) + "]"


def _spatial_dims(layout: Layout) -> list[int]:
    """Torch dims of H, W[, D] in N×[T]×C×S..."""
    first = (3 if layout.has_time else 2)
    return [first + i for i in range(len(layout.spatial))]


def _require_spatial(layer: Layer, layout: Layout, n: int, port: str = "in") -> None:
    if len(layout.spatial) != n:
        raise LayoutError(
            f"Invalid input data for '{port}'. The layer expects input with {n} spatial dimensions, "
            f"but received input with format '{layout.format}'."
        )


# --------------------------------------------------------------------------------------------------
# Cropping


class CropModule(nn.Module):
    """Crop the spatial dims to ``sizes`` starting at 0-based ``starts``; the reference input only gives the size."""

    def __init__(self, dims, starts, sizes):
        super().__init__()
        self.dims = tuple(dims)
        self.starts = tuple(int(s) for s in starts)
        self.sizes = tuple(int(s) for s in sizes)

    def forward(self, x, ref):
        for dim, start, size in zip(self.dims, self.starts, self.sizes):
            x = x.narrow(dim, start, size)
        return x

    def extra_repr(self) -> str:
        return f"starts={self.starts}, sizes={self.sizes}"


def center_crop_start(size_in: int, size_out: int) -> int:
    """MATLAB's 0-based center-crop start: floor(in/2) − floor(out/2) (not round((in−out)/2))."""
    return size_in // 2 - size_out // 2


def _crop_location(n: int) -> Converter:
    """'centercrop' (stored as 'auto') or a 1-based location vector of n positive integers (scalar expands)."""

    def convert(v):
        if isinstance(v, str):
            if v.lower() in ("centercrop", "auto"):
                return "auto"
            raise ValueError
        nums = [_int_value(x) for x in _as_flat_numbers(v)]
        if len(nums) == 1:
            nums = nums * n
        if len(nums) != n or any(x < 1 for x in nums):
            raise ValueError
        return tuple(nums)

    coords = "[x y]" if n == 2 else "[x y z]"
    item = {"type": "integer", "minimum": 1}
    return Converter(
        convert,
        f"'centercrop' or a location {coords} of positive integers",
        {"anyOf": [{"enum": ["centercrop", "auto"]}, {"type": "array", "items": item, "minItems": n, "maxItems": n}]},
    )


class _CropLayer(Layer):
    """Shared crop behaviour: inputs ``in`` and ``ref``; output spatial size from ``ref``."""

    N_SPATIAL = 2
    LOCATION = "Location"
    FAMILY = "resize"

    def input_names(self):
        return ("in", "ref")

    def location(self):
        return self._values[self.LOCATION]

    def row_col_location(self) -> tuple:
        """The 1-based custom location reordered from [x y (z)] (x = column) to [row col (depth)]."""
        loc = self.location()
        return (loc[1], loc[0]) + tuple(loc[2:])

    def starts(self, inputs) -> tuple:
        x, ref = inputs
        _require_spatial(self, x, self.N_SPATIAL, "in")
        _require_spatial(self, ref, self.N_SPATIAL, "ref")
        size_in, size_out = x.spatial, ref.spatial
        if any(o > i for i, o in zip(size_in, size_out)):
            raise LayoutError(
                f"Invalid input sizes. The reference size {'×'.join(map(str, size_out))} must not exceed the size "
                f"of the input to crop {'×'.join(map(str, size_in))}."
            )
        if self.location() == "auto":
            return tuple(center_crop_start(i, o) for i, o in zip(size_in, size_out))
        starts = tuple(p - 1 for p in self.row_col_location())
        if any(s + o > i for s, o, i in zip(starts, size_out, size_in)):
            raise LayoutError(
                f"Invalid crop location {mat2str(self.location())}. A {'×'.join(map(str, size_out))} window at this "
                f"location extends outside the {'×'.join(map(str, size_in))} input."
            )
        return starts

    def infer(self, inputs):
        self.starts(inputs)
        x, ref = inputs
        return [Layout(tuple(ref.spatial), x.channels, x.has_time, x.time)]

    def build(self, inputs):
        return CropModule(_spatial_dims(inputs[0]), self.starts(inputs), inputs[1].spatial)

    def description(self):
        if self.location() == "auto":
            return "center crop"
        return f"custom crop at location {mat2str(self.location())}"


@register
class Crop2DLayer(_CropLayer):
    """2-D crop: ``crop2dLayer('centercrop')`` or ``crop2dLayer([x y])`` (1-based, x = column, y = row).

    Inputs ``in`` (cropped) and ``ref`` (its H×W is the output size). Center crop starts at
    floor(in/2) − floor(out/2) (0-based), as MATLAB. Torch layout: N×[T]×C×H×W.
    """

    MATLAB_NAME = "crop2dLayer"
    EXAMPLE = "crop2dLayer('centercrop')"
    TYPE = "Crop 2D"
    DEFAULT_NAME = "crop"
    SYNTAX = "crop2dLayer(mode) | crop2dLayer(location), Name=Value"
    POSITIONAL = ("Location",)
    OPTIONS = (Option("Location", _crop_location(2), required=True),)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["Mode"] = lambda self: "centercrop" if self.Location == "auto" else "custom"
        return props


@register
class Crop3DLayer(_CropLayer):
    """3-D crop: ``crop3dLayer`` (center crop) or ``crop3dLayer([x y z])`` (1-based; x = column, y = row, z = depth).

    Inputs ``in`` and ``ref`` (its H×W×D is the output size). Torch layout: N×[T]×C×H×W×D.
    """

    MATLAB_NAME = "crop3dLayer"
    TYPE = "Crop 3D"
    DEFAULT_NAME = "crop"
    SYNTAX = "crop3dLayer(cropLocation, Name=Value)"
    N_SPATIAL = 3
    LOCATION = "CropLocation"
    POSITIONAL = ("CropLocation",)
    OPTIONS = (Option("CropLocation", _crop_location(3), "auto"),)

    @classmethod
    def _parse_arguments(cls, args, kwargs):
        first = args[0] if args else None
        if isinstance(first, str) and first.lower() not in ("centercrop", "auto") and not cls._is_option_name(first):
            raise cls._unknown_option(first)
        return super()._parse_arguments(args, kwargs)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["Mode"] = lambda self: "centercrop" if self.CropLocation == "auto" else "custom"
        return props


# --------------------------------------------------------------------------------------------------
# Resizing


def _scale(n: int) -> Converter:
    def convert(v):
        nums = [float(x) for x in _as_flat_numbers(v)]
        if len(nums) == 1:
            nums = nums * n
        if len(nums) != n or any(not math.isfinite(x) or x <= 0 for x in nums):
            raise ValueError
        return tuple(nums)

    item = {"type": "number", "exclusiveMinimum": 0}
    return Converter(
        convert,
        f"a positive number or a vector of {n} positive numbers",
        {"anyOf": [item, {"type": "array", "items": item, "minItems": n, "maxItems": n}]},
    )


def _output_size(n: int) -> Converter:
    max_nan = n - 1

    def convert(v):
        nums = [float(x) for x in _as_flat_numbers(v)]
        if len(nums) != n:
            raise ValueError
        nans = sum(math.isnan(x) for x in nums)
        if nans > max_nan:
            raise ValueError
        return tuple(x if math.isnan(x) else _positive_int(x) for x in nums)

    return Converter(
        convert,
        f"a vector of {n} positive integers (at most {max_nan} of them NaN)",
        {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "NaN"}]},
         "minItems": n, "maxItems": n},
    )


def _positive_int(x: float) -> int:
    n = _int_value(x)
    if n < 1:
        raise ValueError
    return n


def source_indices(size_in: int, size_out: int, scale: float, method: str, transform: str, rounding: str):
    """For each output index, the input indices and weights MATLAB's resize layer interpolates.

    Returns ``(i0, i1, w)``: output = (1−w)·in[i0] + w·in[i1] ('nearest' gives w = 0).
    """
    x = np.arange(size_out, dtype=np.float64)
    u = (x + 0.5) / scale - 0.5 if transform == "half-pixel" else x / scale
    u = np.clip(u, 0, size_in - 1)
    if method == "nearest":
        if rounding == "round":
            i = np.floor(u + 0.5)
        elif rounding == "floor":
            i = np.floor(u)
        else:  # onnx-10
            i = np.ceil(u) if scale < 1 else np.trunc(u)
        i = np.clip(i, 0, size_in - 1).astype(np.int64)
        return i, i, np.zeros(size_out)
    i0 = np.floor(u).astype(np.int64)
    i1 = np.minimum(i0 + 1, size_in - 1)
    return i0, i1, u - i0


class ResizeModule(nn.Module):
    """Separable nearest/linear resampling of the spatial dims with precomputed indices and weights."""

    def __init__(self, dims, tables):
        super().__init__()
        self.dims = tuple(dims)
        for k, (i0, i1, w) in enumerate(tables):
            self.register_buffer(f"i0_{k}", torch.as_tensor(i0), persistent=False)
            self.register_buffer(f"i1_{k}", torch.as_tensor(i1), persistent=False)
            self.register_buffer(f"w_{k}", torch.as_tensor(w, dtype=torch.float32), persistent=False)
        self.linear = tuple(bool(np.any(t[2] != 0)) for t in tables)

    def forward(self, x, *ref):
        for k, dim in enumerate(self.dims):
            i0 = getattr(self, f"i0_{k}")
            lo = x.index_select(dim, i0)
            if not self.linear[k]:
                x = lo
                continue
            hi = x.index_select(dim, getattr(self, f"i1_{k}"))
            shape = [1] * x.dim()
            shape[dim] = -1
            w = getattr(self, f"w_{k}").to(x.dtype).reshape(shape)
            x = lo + (hi - lo) * w
        return x


class _ResizeLayer(Layer):
    """Shared resize behaviour: one of Scale, OutputSize or EnableReferenceInput decides the output size."""

    N_SPATIAL = 2
    FAMILY = "resize"

    def _check(self):
        modes = [self.Scale is not None, self.OutputSize is not None, bool(self.EnableReferenceInput)]
        if sum(modes) != 1:
            raise self.fail("specify exactly one of 'Scale', 'OutputSize' or 'EnableReferenceInput' (true).")

    def input_names(self):
        return ("in", "ref") if self.EnableReferenceInput else ("in",)

    def sizes_and_scales(self, inputs) -> tuple[tuple, tuple]:
        x = inputs[0]
        _require_spatial(self, x, self.N_SPATIAL, "in")
        size_in = x.spatial
        if self.Scale is not None:
            scales = self.Scale
            products = [s * i for s, i in zip(scales, size_in)]
            if not all(math.isfinite(p) for p in products):
                raise LayoutError(f"Scale {list(scales)} gives an output size that is not finite for input size "
                                  f"{x.matlab_size()}.")
            out = tuple(math.floor(p) for p in products)
        elif self.OutputSize is not None:
            known = [(o, i) for o, i in zip(self.OutputSize, size_in) if not math.isnan(o)]
            ratio = known[0][0] / known[0][1]
            out = tuple(math.floor(ratio * i) if math.isnan(o) else int(o) for o, i in zip(self.OutputSize, size_in))
            scales = tuple(o / i for o, i in zip(out, size_in))
        else:
            ref = inputs[1]
            _require_spatial(self, ref, self.N_SPATIAL, "ref")
            out = tuple(ref.spatial)
            scales = tuple(o / i for o, i in zip(out, size_in))
        if any(o < 1 for o in out):
            raise LayoutError(
                f"Invalid output size. Resizing input of size {'×'.join(map(str, size_in))} gives output size "
                f"{'×'.join(map(str, out))}; every output dimension must be at least 1."
            )
        return out, scales

    def infer(self, inputs):
        out, _ = self.sizes_and_scales(inputs)
        x = inputs[0]
        return [Layout(out, x.channels, x.has_time, x.time)]

    def build(self, inputs):
        out, scales = self.sizes_and_scales(inputs)
        method = "nearest" if self.Method == "nearest" else "linear"
        tables = [
            source_indices(i, o, s, method, self.GeometricTransformMode, self.NearestRoundingMode)
            for i, o, s in zip(inputs[0].spatial, out, scales)
        ]
        return ResizeModule(_spatial_dims(inputs[0]), tables)

    def description(self):
        if self.Scale is not None:
            return f"Resize by scale {mat2str(self.Scale)} using '{self.Method}'"
        if self.OutputSize is not None:
            return f"Resize to output size {mat2str(self.OutputSize)} using '{self.Method}'"
        return f"Resize to reference input size using '{self.Method}'"


def _resize_options(n: int, methods: tuple) -> tuple:
    return (
        Option("Scale", _scale(n), None),
        Option("OutputSize", _output_size(n), None),
        Option("EnableReferenceInput", boolean(), False),
        Option("Method", choice(*methods), "nearest"),
        Option("GeometricTransformMode", choice("half-pixel", "asymmetric"), "half-pixel"),
        Option("NearestRoundingMode", choice("round", "floor", "onnx-10"), "round"),
    )


@register
class Resize2DLayer(_ResizeLayer):
    """2-D resize: ``resize2dLayer('Scale',s)``, ``('OutputSize',[h w])`` or ``('EnableReferenceInput',true)``.

    Method 'nearest' (default) or 'bilinear'; coordinates 'half-pixel' u = (x+0.5)/s − 0.5 or
    'asymmetric' u = x/s, clamped to the input. With Scale the output is floor(s·in) and s itself maps the
    coordinates. Torch layout: N×[T]×C×H×W.
    """

    MATLAB_NAME = "resize2dLayer"
    EXAMPLE = "resize2dLayer(Scale=2)"
    TYPE = "2-D Resize"
    DEFAULT_NAME = "resize"
    SYNTAX = "resize2dLayer('Scale', scale | 'OutputSize', [h w] | 'EnableReferenceInput', true, Name=Value)"
    OPTIONS = _resize_options(2, ("nearest", "bilinear"))


@register
class Resize3DLayer(_ResizeLayer):
    """3-D resize: ``resize3dLayer('Scale',s)``, ``('OutputSize',[h w d])`` or ``('EnableReferenceInput',true)``.

    Method 'nearest' (default) or 'trilinear'. Torch layout: N×[T]×C×H×W×D.
    """

    MATLAB_NAME = "resize3dLayer"
    EXAMPLE = "resize3dLayer(OutputSize=[8, 8, 8])"
    TYPE = "3-D Resize"
    DEFAULT_NAME = "resize"
    SYNTAX = "resize3dLayer('Scale', scale | 'OutputSize', [h w d] | 'EnableReferenceInput', true, Name=Value)"
    N_SPATIAL = 3
    OPTIONS = _resize_options(3, ("nearest", "trilinear"))
