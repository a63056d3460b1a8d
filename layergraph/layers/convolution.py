"""Convolution and fully connected layers: convolution2dLayer, fullyConnectedLayer."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, LayoutFold, initialize, learnable_values, register, times_str, vec_str
from .options import (
    Converter,
    Option,
    _as_flat_numbers,
    _int_value,
    auto_or,
    factor,
    initializer,
    numeric_array,
    padding_2d,
    positive_integer,
    real_scalar,
    size_vector,
)

WEIGHT_INITIALIZERS = ("glorot", "he", "narrow-normal", "zeros", "ones")
BIAS_INITIALIZERS = ("zeros", "narrow-normal", "ones")


def learnable_options(weight_inits=WEIGHT_INITIALIZERS, bias_inits=BIAS_INITIALIZERS) -> tuple:
    """WeightsInitializer, BiasInitializer, Weights, Bias and the four factors, with MATLAB's defaults."""
    return (
        Option("WeightsInitializer", initializer(*weight_inits), "glorot"),
        Option("BiasInitializer", initializer(*bias_inits), "zeros"),
        Option("Weights", numeric_array(), None, learnable=True),
        Option("Bias", numeric_array(), None, learnable=True),
        Option("WeightLearnRateFactor", factor(), 1.0),
        Option("BiasLearnRateFactor", factor(), 1.0),
        Option("WeightL2Factor", factor(), 1.0),
        Option("BiasL2Factor", factor(), 0.0),
    )


def same_padding(size: int, filt: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """MATLAB 'same': output ceil(in/stride); the odd extra row/column goes after (bottom/right)."""
    effective = (filt - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size: int, before: int, after: int, filt: int, stride: int, dilation: int = 1) -> int:
    effective = (filt - 1) * dilation + 1
    return (size + before + after - effective) // stride + 1


def padding_1d(*modes: str) -> Converter:
    """MATLAB 1-D padding: p -> [p p] (left, right); [l r]; or one of ``modes`` ('same', 'causal')."""
    expected = "a nonnegative integer, a vector [l r] of nonnegative integers" + "".join(f", or '{m}'" for m in modes)

    def convert(v):
        if isinstance(v, str):
            if v.lower() in modes:
                return v.lower()
            raise ValueError
        nums = [_int_value(x) for x in _as_flat_numbers(v)]
        if any(x < 0 for x in nums) or len(nums) not in (1, 2):
            raise ValueError
        return (nums[0], nums[0]) if len(nums) == 1 else tuple(nums)

    item = {"type": "integer", "minimum": 0}
    alts: list = [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 2}]
    alts += [{"const": m} for m in modes]
    return Converter(convert, expected, {"anyOf": alts})


def padding_3d(*modes: str, what: str = "padding") -> Converter:
    """MATLAB 3-D padding/cropping: p; [a b c] (same before and after, per dimension); a 2×3 matrix
    [t l f; b r k] (row 1 before, row 2 after, given as nested rows); or 'same'.

    Canonical form: ((t, l, f), (b, r, k)), MATLAB's 2×3 PaddingSize.
    """
    expected = (f"a nonnegative integer, a vector [a b c] or a 2×3 matrix [t l f; b r k] of nonnegative integers"
                + "".join(f", or '{m}'" for m in modes))

    def convert(v):
        if isinstance(v, str):
            if v.lower() in modes:
                return v.lower()
            raise ValueError
        if isinstance(v, np.ndarray) and v.ndim == 2:
            rows = v.tolist()
        elif isinstance(v, torch.Tensor) and v.dim() == 2:
            rows = v.tolist()
        elif isinstance(v, (list, tuple)) and v and all(isinstance(r, (list, tuple, np.ndarray)) for r in v):
            rows = [list(np.asarray(r).reshape(-1)) for r in v]
        else:
            rows = None
        if rows is not None:
            if len(rows) != 2 or any(len(r) != 3 for r in rows):
                raise ValueError
            before = tuple(_int_value(x) for x in rows[0])
            after = tuple(_int_value(x) for x in rows[1])
        else:
            nums = [_int_value(x) for x in _as_flat_numbers(v)]
            if len(nums) == 1:
                nums = nums * 3
            if len(nums) != 3:
                raise ValueError
            before = after = tuple(nums)
        if any(x < 0 for x in before + after):
            raise ValueError
        return (before, after)

    item = {"type": "integer", "minimum": 0}
    row = {"type": "array", "items": item, "minItems": 3, "maxItems": 3}
    alts: list = [item, row, {"type": "array", "items": row, "minItems": 2, "maxItems": 2}]
    alts += [{"const": m} for m in modes]
    return Converter(convert, expected, {"anyOf": alts})


def pads_per_dim(padding, n: int) -> list[tuple[int, int]]:
    """(before, after) per pooled/convolved dimension from a canonical manual padding value.

    2-D: (t, b, l, r); 1-D: (l, r); 3-D: ((t, l, f), (b, r, k)).
    """
    if n == 1:
        return [tuple(padding)]
    if n == 2:
        t, b, l, r = padding
        return [(t, b), (l, r)]
    before, after = padding
    return list(zip(before, after))


def padding_display(padding, n: int) -> str:
    """How a description prints a padding value: 'same', [0  0  0  0], [0  0], [0  0  0; 0  0  0]."""
    if isinstance(padding, str):
        return f"'{padding}'"
    if n == 3:
        before, after = padding
        return "[" + "  ".join(str(v) for v in before) + "; " + "  ".join(str(v) for v in after) + "]"
    return vec_str(padding)


def size_display(values) -> str:
    """A size for a description: ``3`` for a scalar (1-D), ``3×3`` otherwise."""
    values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
    return times_str(values)


def stride_display(values) -> str:
    """``1`` for a 1-D scalar, ``[1  1]`` for vectors."""
    if isinstance(values, (list, tuple)):
        return vec_str(values)
    return str(values)


class Conv2dModule(nn.Module):
    """2-D convolution with MATLAB padding [t b l r]; Weights F×C×kh×kw, Bias F (torch layout)."""

    def __init__(self, weights, bias, stride, dilation, padding):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.Bias = nn.Parameter(bias)
        self.stride = tuple(stride)
        self.dilation = tuple(dilation)
        t, b, l, r = padding
        self.symmetric = t == b and l == r
        self.conv_padding = (t, l) if self.symmetric else (0, 0)
        self.pad = (l, r, t, b)

    def forward(self, x):
        if not self.symmetric:
            x = F.pad(x, self.pad)
        return F.conv2d(x, self.Weights, self.Bias, self.stride, self.conv_padding, self.dilation)

    def extra_repr(self) -> str:
        return f"{tuple(self.Weights.shape)}, stride={self.stride}, padding(l,r,t,b)={self.pad}"


@register
class Convolution2DLayer(Layer):
    """2-D convolution (cross-correlation, as MATLAB): ``convolution2dLayer(filterSize, numFilters)``.

    Torch layout in/out: N×C×H×W (image sequences N×T×C×H×W, per time step).
    Weights FilterSize(1)×FilterSize(2)×NumChannels×NumFilters and Bias 1×1×NumFilters in MATLAB layout.
    """

    MATLAB_NAME = "convolution2dLayer"
    TYPE = "2-D Convolution"
    DEFAULT_NAME = "conv"
    SYNTAX = "convolution2dLayer(filterSize, numFilters, Name=Value)"
    FAMILY = "convolution"
    POSITIONAL = ("FilterSize", "NumFilters")
    OPTIONS = (
        Option("FilterSize", size_vector(2), required=True),
        Option("NumFilters", positive_integer(), required=True),
        Option("Stride", size_vector(2), (1, 1)),
        Option("DilationFactor", size_vector(2), (1, 1)),
        Option("Padding", padding_2d(), (0, 0, 0, 0)),
        Option("PaddingValue", real_scalar(), 0.0),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["PaddingMode"] = lambda self: "same" if self.Padding == "same" else "manual"
        props["PaddingSize"] = lambda self: None if self.Padding == "same" else list(self.Padding)
        return props

    def padding_for(self, layout: Layout) -> tuple:
        if self.Padding == "same":
            (h, w), (fh, fw) = layout.spatial, self.FilterSize
            top, bottom = same_padding(h, fh, self.Stride[0], self.DilationFactor[0])
            left, right = same_padding(w, fw, self.Stride[1], self.DilationFactor[1])
            return (top, bottom, left, right)
        return self.Padding

    def _input(self, inputs) -> Layout:
        x = inputs[0]
        if len(x.spatial) != 2:
            raise LayoutError(
                f"Invalid input data. The layer expects input with two spatial dimensions (format 'SSCB' or 'SSCBT'), "
                f"but received input with format '{x.format}'."
            )
        if self.NumChannels != "auto" and self.NumChannels != x.channels:
            raise LayoutError(
                f"Input size mismatch. The layer expects input with {self.NumChannels} channels, "
                f"but received input with {x.channels} channels."
            )
        return x

    def infer(self, inputs):
        x = self._input(inputs)
        t, b, l, r = self.padding_for(x)
        (h, w), (fh, fw) = x.spatial, self.FilterSize
        oh = conv_output_size(h, t, b, fh, self.Stride[0], self.DilationFactor[0])
        ow = conv_output_size(w, l, r, fw, self.Stride[1], self.DilationFactor[1])
        if oh < 1 or ow < 1:
            raise LayoutError(
                f"Input size mismatch. The padded input size {h + t + b}×{w + l + r} is smaller than the dilated "
                f"filter size {times_str(((fh - 1) * self.DilationFactor[0] + 1, (fw - 1) * self.DilationFactor[1] + 1))}."
            )
        return [Layout((oh, ow), self.NumFilters, x.has_time, x.time)]

    def learnable_sizes(self, inputs):
        x = self._input(inputs)
        fh, fw = self.FilterSize
        return {"Weights": (fh, fw, x.channels, self.NumFilters), "Bias": (1, 1, self.NumFilters)}

    def resolve(self, inputs):
        return {"NumChannels": inputs[0].channels}

    def initial_value(self, prop, inputs):
        sizes = self.learnable_sizes(inputs)
        fh, fw, c, f = sizes["Weights"]
        fan_in, fan_out = fh * fw * c, fh * fw * f
        init = self.WeightsInitializer if prop == "Weights" else self.BiasInitializer
        return initialize(init, sizes[prop], fan_in, fan_out, layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return value.permute(3, 2, 0, 1).contiguous() if prop == "Weights" else value.reshape(-1)

    def from_torch(self, prop, value, inputs):
        return value.permute(2, 3, 1, 0).contiguous() if prop == "Weights" else value.reshape(1, 1, -1)

    def build(self, inputs):
        x = self._input(inputs)
        params = learnable_values(self, inputs)
        module = Conv2dModule(params["Weights"], params["Bias"], self.Stride, self.DilationFactor, self.padding_for(x))
        return LayoutFold(module) if x.has_time else module

    def description(self):
        size = list(self.FilterSize) + ([self.NumChannels] if self.NumChannels != "auto" else [])
        pad = "'same'" if self.Padding == "same" else vec_str(self.Padding)
        return f"{self.NumFilters} {times_str(size)} convolutions with stride {vec_str(self.Stride)} and padding {pad}"


class LinearModule(nn.Module):
    """Fully connected: flattens S×C in MATLAB's column-major order (H fastest, then W, then C)."""

    def __init__(self, weights, bias, n_spatial: int, time: bool):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.Bias = nn.Parameter(bias)
        self.n_spatial = n_spatial
        self.time = time
        lead = 2 if time else 1
        # N [T] C S1..Sk -> N [T] C Sk..S1 so that flattening puts S1 (H) fastest
        self.order = tuple(range(lead + 1)) + tuple(range(lead + n_spatial, lead, -1))

    def forward(self, x):
        if self.n_spatial:
            lead = 2 if self.time else 1
            if self.n_spatial > 1:
                x = x.permute(self.order)
            x = x.flatten(lead)
        return F.linear(x, self.Weights, self.Bias)

    def extra_repr(self) -> str:
        return f"in={self.Weights.shape[1]}, out={self.Weights.shape[0]}"


@register
class FullyConnectedLayer(Layer):
    """Fully connected: ``fullyConnectedLayer(outputSize)``; Weights OutputSize×InputSize, Bias OutputSize×1.

    Torch layout in: N×C×H×W, N×C or N×T×C; out: N×OutputSize (N×T×OutputSize for sequences).
    Image inputs are flattened in MATLAB's column-major order, so MATLAB weights apply unchanged.
    """

    MATLAB_NAME = "fullyConnectedLayer"
    TYPE = "Fully Connected"
    DEFAULT_NAME = "fc"
    SYNTAX = "fullyConnectedLayer(outputSize, Name=Value)"
    FAMILY = "convolution"
    POSITIONAL = ("OutputSize",)
    OPTIONS = (
        Option("OutputSize", positive_integer(), required=True),
        Option("InputSize", auto_or(positive_integer()), "auto"),
    ) + learnable_options(WEIGHT_INITIALIZERS + ("orthogonal",))

    def _in_size(self, inputs) -> int:
        n = inputs[0].num_elements
        if self.InputSize != "auto" and self.InputSize != n:
            raise LayoutError(
                f"Input size mismatch. The layer expects input with {self.InputSize} elements, "
                f"but received input of size {inputs[0].matlab_size()} ({n} elements)."
            )
        return n

    def infer(self, inputs):
        self._in_size(inputs)
        x = inputs[0]
        return [Layout((), self.OutputSize, x.has_time, x.time)]

    def learnable_sizes(self, inputs):
        return {"Weights": (self.OutputSize, self._in_size(inputs)), "Bias": (self.OutputSize, 1)}

    def resolve(self, inputs):
        return {"InputSize": self._in_size(inputs)}

    def initial_value(self, prop, inputs):
        n_in = self._in_size(inputs)
        init = self.WeightsInitializer if prop == "Weights" else self.BiasInitializer
        return initialize(init, self.learnable_sizes(inputs)[prop], n_in, self.OutputSize, layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return value.reshape(-1) if prop == "Bias" else value

    def from_torch(self, prop, value, inputs):
        return value.reshape(-1, 1) if prop == "Bias" else value

    def build(self, inputs):
        params = learnable_values(self, inputs)
        x = inputs[0]
        return LinearModule(params["Weights"], params["Bias"], len(x.spatial), x.has_time)

    def description(self):
        return f"{self.OutputSize} fully connected layer"
