"""Input layers: imageInputLayer, featureInputLayer, sequenceInputLayer (+ input normalization)."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from ..errors import OptionError
from .base import Layer, Layout, register, times_str
from .options import Converter, Option, choice, numeric_array, size_vector, positive_integer, _as_flat_numbers, _int_value

NORMALIZATIONS = ("zerocenter", "zscore", "rescale-symmetric", "rescale-zero-one", "none")
STATISTICS = ("Mean", "StandardDeviation", "Min", "Max")


def _normalization() -> Converter:
    names = {n: n for n in NORMALIZATIONS}

    def convert(v):
        if callable(v) and not isinstance(v, str):
            return v
        if isinstance(v, str) and v.lower() in names:
            return names[v.lower()]
        raise ValueError

    return Converter(
        convert,
        "one of " + ", ".join(f"'{n}'" for n in NORMALIZATIONS) + ", or a function handle",
        {"type": "string", "enum": list(NORMALIZATIONS)},
    )


def _image_size(n_spatial: int) -> Converter:
    """[h w c] (or [h w] meaning c = 1) for 2-D images; [h w d c] for 3-D."""

    def convert(v):
        nums = [_int_value(x) for x in _as_flat_numbers(v)]
        if len(nums) == n_spatial:
            nums = nums + [1]
        if len(nums) != n_spatial + 1 or any(x < 1 for x in nums):
            raise ValueError
        return tuple(nums)

    item = {"type": "integer", "minimum": 1}
    return Converter(
        convert,
        f"a vector of {n_spatial + 1} positive integers (or {n_spatial}, meaning 1 channel)",
        {"type": "array", "items": item, "minItems": n_spatial, "maxItems": n_spatial + 1},
    )


def normalization_options(default: str) -> tuple:
    return (
        Option("Normalization", _normalization(), default),
        Option("NormalizationDimension", choice("auto", "channel", "element", "all"), "auto"),
        Option("Mean", numeric_array(finite=True), None),
        Option("StandardDeviation", numeric_array(finite=True, low=0), None),
        Option("Min", numeric_array(finite=True), None),
        Option("Max", numeric_array(finite=True), None),
    )


class InputNormalization(nn.Module):
    """The input layer's data normalization on torch-layout tensors; statistics are buffers."""

    def __init__(self, mode, stats: dict[str, torch.Tensor | None]):
        super().__init__()
        self.mode = mode
        for name in STATISTICS:
            value = stats.get(name)
            self.register_buffer(name, value)  # None until statistics exist (kept out of state_dict)

    def forward(self, x):
        mode = self.mode
        if callable(mode):
            return mode(x)
        if mode == "none":
            return x
        mean, std, lo, hi = self.Mean, self.StandardDeviation, self.Min, self.Max
        if mode == "zerocenter":
            return x - mean if mean is not None else x
        if mode == "zscore":
            y = x - mean if mean is not None else x
            return y / std if std is not None else y
        if lo is None or hi is None:
            return x
        if mode == "rescale-zero-one":
            return (x - lo) / (hi - lo)
        return 2 * (x - lo) / (hi - lo) - 1

    def extra_repr(self) -> str:
        return f"Normalization={self.mode if isinstance(self.mode, str) else 'function'}"


class _InputLayer(Layer):
    """Shared behaviour of input layers: a layout from InputSize and the normalization module."""

    IS_INPUT: ClassVar[bool] = True
    BUFFERS: ClassVar[tuple] = STATISTICS
    DISPLAY_TOP: ClassVar[tuple] = ("InputSize",)  # MATLAB's object display (Layer.__str__)

    def output_layout(self) -> Layout:
        from ..errors import CustomLayerError

        raise CustomLayerError(f"{type(self).__name__}: an input layer class must implement output_layout().")

    def infer(self, inputs):
        return [self.output_layout()]

    def stat_to_torch(self, value: torch.Tensor, layout: Layout) -> torch.Tensor:
        """MATLAB statistic (scalar, per channel or per element) -> a tensor broadcasting over torch layout.

        With NormalizationDimension 'channel', 'element' or 'all' the statistic must have that form
        (1×..×1×C, the full per-observation size, or a scalar); 'auto' accepts any of them.
        """
        k = len(layout.spatial)
        self._check_stat_form(value, layout)
        if value.numel() == 1:
            return value.reshape(())
        if value.numel() == layout.channels:
            return value.reshape((layout.channels,) + (1,) * k)
        if k and value.numel() == layout.num_elements:
            # MATLAB h×w×c (column-major) -> torch c×h×w
            v = value.reshape(tuple(layout.spatial) + (layout.channels,)) if value.dim() != k + 1 else value
            return v.permute((k,) + tuple(range(k)))
        raise OptionError(
            f"{self.label()}: statistic of size {times_str(value.shape)} does not match the input size "
            f"{layout.matlab_size()} (expected a scalar, {layout.channels} channel values, or one value per element)."
        )

    def _check_stat_form(self, value: torch.Tensor, layout: Layout) -> None:
        dim = self._values.get("NormalizationDimension", "auto")
        n, c, e = value.numel(), layout.channels, layout.num_elements
        ok = {
            "auto": n in (1, c, e),
            "channel": n == c,
            "element": n == e,
            "all": n == 1,
        }[dim]
        if not ok:
            expected = {
                "auto": f"a scalar, {c} channel values, or one value per element ({e})",
                "channel": f"one value per channel ({c})",
                "element": f"one value per element ({layout.matlab_size()})",
                "all": "a scalar",
            }[dim]
            raise OptionError(
                f"{self.label()}: statistic of size {times_str(value.shape)} does not match the input size "
                f"{layout.matlab_size()} with NormalizationDimension '{dim}' (expected {expected})."
            )

    def stat_from_torch(self, value: torch.Tensor, layout: Layout) -> torch.Tensor | None:
        if value.numel() == 0:
            return None
        k = len(layout.spatial)
        if value.dim() == 0:
            return value.reshape(1, 1)
        if value.numel() == layout.channels:
            return value.reshape((1,) * k + (layout.channels,)) if k else value.reshape(layout.channels, 1)
        return value.permute(tuple(range(1, k + 1)) + (0,))

    def build(self, inputs):
        layout = self.output_layout()
        stats = {}
        for name in STATISTICS:
            value = self._values.get(name)
            stats[name] = None if value is None else self.stat_to_torch(value, layout)
        return InputNormalization(self.Normalization, stats)

    def to_torch(self, prop, value, inputs):
        return self.stat_to_torch(value, self.output_layout())

    def from_torch(self, prop, value, inputs):
        return self.stat_from_torch(value, self.output_layout())

    def normalization_text(self) -> str:
        mode = self.Normalization
        return mode if isinstance(mode, str) else "function"


@register
class ImageInputLayer(_InputLayer):
    """Image input: ``imageInputLayer([h w c])``. Torch layout out: N×C×H×W."""

    MATLAB_NAME = "imageInputLayer"
    EXAMPLE = "imageInputLayer([28, 28, 1])"
    TYPE = "Image Input"
    DEFAULT_NAME = "imageinput"
    SYNTAX = "imageInputLayer(inputSize, Name=Value)"
    FAMILY = "input"
    POSITIONAL = ("InputSize",)
    OPTIONS = (Option("InputSize", _image_size(2), required=True),) + normalization_options("zerocenter")

    def output_layout(self) -> Layout:
        h, w, c = self.InputSize
        return Layout((h, w), c)

    def description(self) -> str:
        size = times_str(self.InputSize)
        if self.Normalization == "none":
            return f"{size} images"
        return f"{size} images with '{self.normalization_text()}' normalization"


@register
class FeatureInputLayer(_InputLayer):
    """Feature input: ``featureInputLayer(numFeatures)``. Torch layout out: N×C."""

    MATLAB_NAME = "featureInputLayer"
    EXAMPLE = "featureInputLayer(4)"
    TYPE = "Feature Input"
    DEFAULT_NAME = "input"
    SYNTAX = "featureInputLayer(numFeatures, Name=Value)"
    FAMILY = "input"
    POSITIONAL = ("InputSize",)
    OPTIONS = (Option("InputSize", positive_integer(), required=True),) + normalization_options("none")

    def output_layout(self) -> Layout:
        return Layout((), self.InputSize)

    def description(self) -> str:
        if self.Normalization == "none":
            return f"{self.InputSize} features"
        return f"{self.InputSize} features with '{self.normalization_text()}' normalization"


def _sequence_size() -> Converter:
    def convert(v):
        nums = [_int_value(x) for x in _as_flat_numbers(v)]
        if not 1 <= len(nums) <= 4 or any(x < 1 for x in nums):
            raise ValueError
        return nums[0] if len(nums) == 1 else tuple(nums)

    return Converter(
        convert,
        "a positive integer (features) or a vector [h c], [h w c] or [h w d c]",
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2, "maxItems": 4}]},
    )


@register
class SequenceInputLayer(_InputLayer):
    """Sequence input: ``sequenceInputLayer(numFeatures)``. Torch layout out: N×T×C (image sequences N×T×C×H×W)."""

    MATLAB_NAME = "sequenceInputLayer"
    EXAMPLE = "sequenceInputLayer(12)"
    TYPE = "Sequence Input"
    DEFAULT_NAME = "sequenceinput"
    SYNTAX = "sequenceInputLayer(inputSize, Name=Value)"
    FAMILY = "input"
    POSITIONAL = ("InputSize",)
    OPTIONS = (
        Option("InputSize", _sequence_size(), required=True),
        Option("MinLength", positive_integer(), 1),
    ) + normalization_options("none")

    def output_layout(self) -> Layout:
        size = self.InputSize
        if isinstance(size, int):
            return Layout((), size, True, None)
        return Layout(tuple(size[:-1]), size[-1], True, None)

    def description(self) -> str:
        size = self.InputSize
        if isinstance(size, int):
            return f"Sequence input with {size} dimensions"
        return f"Sequence input with {times_str(size)} dimensions"


@register
class Image3DInputLayer(_InputLayer):
    """3-D image input: ``image3dInputLayer([h w d c])``. Torch layout out: N×C×H×W×D."""

    MATLAB_NAME = "image3dInputLayer"
    EXAMPLE = "image3dInputLayer([16, 16, 8, 1])"
    TYPE = "3-D Image Input"
    DEFAULT_NAME = "image3dinput"
    SYNTAX = "image3dInputLayer(inputSize, Name=Value)"
    FAMILY = "input"
    POSITIONAL = ("InputSize",)
    OPTIONS = (Option("InputSize", _image_size(3), required=True),) + normalization_options("zerocenter")

    def output_layout(self) -> Layout:
        h, w, d, c = self.InputSize
        return Layout((h, w, d), c)

    def description(self) -> str:
        size = times_str(self.InputSize)
        if self.Normalization == "none":
            return f"{size} images"
        return f"{size} images with '{self.normalization_text()}' normalization"


class _Identity(nn.Module):
    def forward(self, x):
        return x


@register
class ROIInputLayer(Layer):
    """Region-of-interest input for Fast R-CNN: ``roiInputLayer``.

    Its data are boxes ``[x y w h]`` (one row per ROI): torch layout M×4, reported as 4(C) × 1(B).
    The layer passes them through unchanged.
    """

    MATLAB_NAME = "roiInputLayer"
    TYPE = "ROI Input"
    DEFAULT_NAME = "roiinput"
    SYNTAX = "roiInputLayer(Name=Value)"
    FAMILY = "input"
    IS_INPUT = True

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["Normalization"] = lambda self: "none"   # no input normalization (read-only)
        return props

    def output_layout(self) -> Layout:
        return Layout((), 4)

    def infer(self, inputs):
        return [self.output_layout()]

    def build(self, inputs):
        return _Identity()

    def description(self) -> str:
        return "ROI input"


# --------------------------------------------------------------------------------------------------
# inputLayer (R2023b): any size with a data format


_FORMATS = {"CB", "CBT", "SCB", "SSCB", "SSSCB", "SCBT", "SSCBT", "SSSCBT"}


def _format_size() -> Converter:
    """The InputSize vector: positive integers, NaN where the batch or time size varies."""

    def convert(v):
        nums = _as_flat_numbers(v)
        out = []
        for x in nums:
            if isinstance(x, float) and x != x:
                out.append(math.nan)  # one shared NaN object, so equal sizes compare equal
            else:
                n = _int_value(x)
                if n < 1:
                    raise ValueError
                out.append(n)
        if not out:
            raise ValueError
        return tuple(out)

    return Converter(
        convert,
        "a row vector of positive integers or NaN",
        {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": "NaN"}]}},
    )


def _data_format() -> Converter:
    def convert(v):
        if not isinstance(v, str):
            raise ValueError
        fmt = v.upper()
        ordered = "".join(sorted(fmt, key="SCBT".index)) if set(fmt) <= set("SCBT") else ""
        if fmt != ordered or fmt not in _FORMATS:
            raise ValueError
        return fmt

    return Converter(
        convert,
        "a data format with S, C, B and T in that order: " + ", ".join(f"'{f}'" for f in sorted(_FORMATS)),
        {"type": "string", "enum": sorted(_FORMATS)},
    )


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


@register
class InputLayer(_InputLayer):
    """Input with a data format: ``inputLayer(inputSize, inputFormat)``, e.g. ``inputLayer([NaN 12 NaN], "BCT")``.

    ``inputSize`` lists each dimension of ``inputFormat`` (NaN for a variable batch or time size);
    formats whose labels come in MATLAB's S, C, B, T order are supported. Torch layout out: the layout
    of that format (N×[T]×C×S...). No normalization.
    """

    MATLAB_NAME = "inputLayer"
    EXAMPLE = "inputLayer([12, float('nan')], 'CB')"
    TYPE = "Input"
    DEFAULT_NAME = "input"
    SYNTAX = "inputLayer(inputSize, inputFormat, Name=Value)"
    FAMILY = "input"
    POSITIONAL = ("InputSize", "InputFormat")
    OPTIONS = (
        Option("InputSize", _format_size(), required=True),
        Option("InputFormat", _data_format(), required=True),
    )

    def _check(self):
        size, fmt = self._values["InputSize"], self._values["InputFormat"]
        if len(size) != len(fmt):
            raise self.fail(
                f"InputSize has {len(size)} elements but InputFormat '{fmt}' has {len(fmt)} dimensions."
            )
        for value, label in zip(size, fmt):
            if _is_nan(value) and label not in "BT":
                raise self.fail(f"only the batch (B) and time (T) sizes may be NaN; the '{label}' size is NaN.")

    def build(self, inputs):
        return nn.Identity()

    def output_layout(self) -> Layout:
        size, fmt = self.InputSize, self.InputFormat
        spatial = tuple(s for s, label in zip(size, fmt) if label == "S")
        channels = next(s for s, label in zip(size, fmt) if label == "C")
        time = next((s for s, label in zip(size, fmt) if label == "T"), None)
        return Layout(spatial, channels, "T" in fmt, None if time is None or _is_nan(time) else time)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["Normalization"] = lambda self: "none"
        return props

    def description(self):
        shown = "×".join("NaN" if _is_nan(s) else str(s) for s in self.InputSize)
        return f"Input with size {shown} and format '{self.InputFormat}'"
