"""Convolution and fully connected layers: convolution1d/2d/3dLayer, groupedConvolution2dLayer,
transposedConv2d/3dLayer, fullyConnectedLayer, and the padding machinery shared with pooling."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, initialize, learnable_values, register, times_str, vec_str
from .options import (
    Converter,
    Option,
    _as_flat_numbers,
    _int_value,
    auto_or,
    choice,
    either,
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


def filter_to_torch(prop: str, value: torch.Tensor, n: int) -> torch.Tensor:
    """MATLAB filter k1..kn × A × B -> torch B × A × k1..kn (conv: A=C, B=F; transposed conv: A=F, B=C);
    a MATLAB bias 1..1×F -> F."""
    if prop == "Weights":
        return value.permute((n + 1, n) + tuple(range(n))).contiguous()
    return value.reshape(-1)


def filter_from_torch(prop: str, value: torch.Tensor, n: int) -> torch.Tensor:
    """The inverse of :func:`filter_to_torch`."""
    if prop == "Weights":
        return value.permute(tuple(range(2, n + 2)) + (1, 0)).contiguous()
    return value.reshape((1,) * n + (-1,))


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
    expected = ("a nonnegative integer, a vector [a b c] or a 2×3 matrix [t l f; b r k] of nonnegative integers"
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

# --------------------------------------------------------------------------------------------------
# Padding values and the arrangement of the operated dimensions in the torch tensor


PADDING_VALUE_MODES = ("symmetric-include-edge", "symmetric-exclude-edge", "replicate")
_NUMPY_PAD_MODE = {"symmetric-include-edge": "symmetric", "symmetric-exclude-edge": "reflect", "replicate": "edge"}


def padding_value() -> Converter:
    """PaddingValue: a real number (-Inf and Inf allowed) or a mirror/replicate mode name."""
    return either(real_scalar(finite=False), choice(*PADDING_VALUE_MODES))


def torch_pad(pads: list) -> list:
    """(before, after) per dim D1..Dn -> F.pad's order (last dim first)."""
    flat: list = []
    for before, after in reversed(pads):
        flat += [int(before), int(after)]
    return flat


def pad_nd(x: torch.Tensor, pads: list, value=0.0) -> torch.Tensor:
    """Pad the trailing len(pads) dims of N×C×D1..Dn.

    ``value`` is a number (constant padding) or a MATLAB PaddingValue mode: 'symmetric-include-edge'
    (mirror including the edge value, numpy 'symmetric'), 'symmetric-exclude-edge' (mirror without the
    edge value, numpy 'reflect'), 'replicate' (repeat the edge, numpy 'edge'). Modes work for any
    padding size, by indexing with NumPy's own padding of the index vector.
    """
    if not any(b or a for b, a in pads):
        return x
    if not isinstance(value, str):
        return F.pad(x, torch_pad(pads), value=float(value))
    mode = _NUMPY_PAD_MODE[value]
    lead = x.dim() - len(pads)
    for d, (before, after) in enumerate(pads):
        if before or after:
            size = int(x.shape[lead + d])
            index = np.pad(np.arange(size), (int(before), int(after)), mode=mode)
            x = x.index_select(lead + d, torch.as_tensor(index, dtype=torch.long, device=x.device))
    return x


def arrangement(layer: Layer, x: Layout, n: int) -> str:
    """How an n-D convolution/pooling layer reads input ``x`` (MATLAB's rule for which dims it operates on).

    'plain': N×C×S1..Sn; 'fold': N×T×C×S1..Sn, per time step; 'st': N×T×C×S1..S(n-1), over the S dims
    and T (1-D image sequences for 2-D layers, 2-D image sequences for 3-D layers); 'ct': N×T×C, a 1-D
    layer over T.
    """
    k = len(x.spatial)
    if k == n:
        return "fold" if x.has_time else "plain"
    if x.has_time and k == n - 1:
        return "ct" if n == 1 else "st"
    formats = {
        1: "'CBT', 'SCB' or 'SCBT'",
        2: "'SSCB', 'SSCBT' or 'SCBT'",
        3: "'SSSCB', 'SSSCBT' or 'SSCBT'",
    }[n]
    raise LayoutError(
        f"Invalid input data. {layer.MATLAB_NAME} expects input with format {formats}, "
        f"but received input with format '{x.format}'."
    )


def operated_sizes(x: Layout, mode: str) -> list:
    """Sizes of the operated dimensions, in order (None for an unknown T)."""
    if mode in ("plain", "fold"):
        return list(x.spatial)
    return list(x.spatial) + [x.time]


def output_layout(x: Layout, mode: str, sizes: list, channels: int | None = None) -> Layout:
    """The layout after the operated dims have become ``sizes`` (and C ``channels``)."""
    c = x.channels if channels is None else channels
    if mode in ("plain", "fold"):
        return Layout(tuple(sizes), c, x.has_time, x.time)
    return Layout(tuple(sizes[:-1]), c, True, sizes[-1])


class Arranged(nn.Module):
    """Run ``inner`` (written for N×C×D1..Dn) on a torch tensor of the given arrangement."""

    def __init__(self, inner: nn.Module, mode: str):
        super().__init__()
        self.inner = inner
        self.mode = mode

    def forward(self, x):
        mode = self.mode
        if mode == "plain":
            return self.inner(x)
        if mode == "fold":
            n, t = x.shape[0], x.shape[1]
            y = self.inner(x.reshape((n * t,) + tuple(x.shape[2:])))
            return y.reshape((n, t) + tuple(y.shape[1:]))
        k = x.dim() - 3  # spatial dims besides T
        y = self.inner(x.permute((0, 2) + tuple(range(3, 3 + k)) + (1,)))   # N T C S.. -> N C S.. T
        return y.permute((0, k + 2, 1) + tuple(range(2, k + 2)))             # N C S.. T -> N T C S..

    def extra_repr(self) -> str:
        return f"arrangement={self.mode}"


def arranged(module: nn.Module, mode: str) -> nn.Module:
    """``module`` itself for plain input, else wrapped (its parameters stay reachable as ``inner.*``)."""
    return module if mode == "plain" else Arranged(module, mode)


# --------------------------------------------------------------------------------------------------
# Convolution (1-D, 2-D, 3-D, grouped)

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


class ConvModule(nn.Module):
    """Convolution (cross-correlation) over the n trailing dims of N×C×D1..Dn with MATLAB padding.

    ``Weights`` F×(C/groups)×k1..kn and ``Bias`` F (torch layout). ``pads`` is [(before, after)] per
    dim, or None for 'same' (computed from each input's size, the extra after). Padding is applied
    with :func:`pad_nd` (constant value or a mirror/replicate mode) and the convolution is unpadded.
    """

    def __init__(self, weights, bias, stride, dilation, pads, padding_value=0.0, groups: int = 1):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.Bias = nn.Parameter(bias)
        self.stride = tuple(int(s) for s in stride)
        self.dilation = tuple(int(d) for d in dilation)
        self.pads = None if pads is None else [tuple(int(v) for v in p) for p in pads]
        self.padding_value = padding_value
        self.groups = int(groups)
        self.n = len(self.stride)

    def forward(self, x):
        pads = self.pads
        if pads is None:
            kernel = self.Weights.shape[2:]
            pads = [same_padding(int(s), int(k), st, d)
                    for s, k, st, d in zip(x.shape[2:], kernel, self.stride, self.dilation)]
        symmetric = all(b == a for b, a in pads)
        if symmetric and not isinstance(self.padding_value, str) and self.padding_value == 0:
            padding = tuple(b for b, _ in pads)
        else:
            x = pad_nd(x, pads, self.padding_value)
            padding = 0
        return _CONV[self.n](x, self.Weights, self.Bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        pads = "same" if self.pads is None else self.pads
        return (f"{tuple(self.Weights.shape)}, stride={self.stride}, dilation={self.dilation}, padding={pads}, "
                f"padding_value={self.padding_value!r}, groups={self.groups}")


def _filter_options(n: int) -> tuple:
    if n == 1:
        return (
            Option("FilterSize", positive_integer(), required=True),
            Option("NumFilters", positive_integer(), required=True),
            Option("Stride", positive_integer(), 1),
            Option("DilationFactor", positive_integer(), 1),
            Option("Padding", padding_1d("same", "causal"), (0, 0)),
        )
    if n == 2:
        return (
            Option("FilterSize", size_vector(2), required=True),
            Option("NumFilters", positive_integer(), required=True),
            Option("Stride", size_vector(2), (1, 1)),
            Option("DilationFactor", size_vector(2), (1, 1)),
            Option("Padding", padding_2d(), (0, 0, 0, 0)),
        )
    return (
        Option("FilterSize", size_vector(3), required=True),
        Option("NumFilters", positive_integer(), required=True),
        Option("Stride", size_vector(3), (1, 1, 1)),
        Option("DilationFactor", size_vector(3), (1, 1, 1)),
        Option("Padding", padding_3d("same"), ((0, 0, 0), (0, 0, 0))),
    )


def _as_tuple(value) -> tuple:
    return (value,) if isinstance(value, int) else tuple(value)


def _padding_size(padding):
    """PaddingSize as MATLAB shows it: [t b l r], [l r] or the 2×3 [t l f; b r k] (nested lists)."""
    if isinstance(padding, str):
        return None
    if padding and isinstance(padding[0], tuple):
        return [list(row) for row in padding]
    return list(padding)


class _Convolution(Layer):
    """Shared behaviour of convolution1d/2d/3dLayer (and groupedConvolution2dLayer)."""

    NDIMS: ClassVar[int] = 2
    FAMILY = "convolution"
    POSITIONAL = ("FilterSize", "NumFilters")

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["PaddingMode"] = lambda self: self.Padding if isinstance(self.Padding, str) else "manual"
        props["PaddingSize"] = lambda self: _padding_size(self.Padding)
        return props

    # ---- sizes -----------------------------------------------------------------------------------

    def filter_size(self) -> tuple:
        return _as_tuple(self._values["FilterSize"])

    def strides(self) -> tuple:
        return _as_tuple(self._values["Stride"])

    def dilations(self) -> tuple:
        return _as_tuple(self._values["DilationFactor"])

    def _input(self, inputs) -> tuple[Layout, str]:
        x = inputs[0]
        mode = arrangement(self, x, self.NDIMS)
        self._check_channels(x)
        return x, mode

    def _check_channels(self, x: Layout) -> None:
        if self.NumChannels != "auto" and self.NumChannels != x.channels:
            raise LayoutError(
                f"Input size mismatch. The layer expects input with {self.NumChannels} channels, "
                f"but received input with {x.channels} channels."
            )

    def pads_for(self, sizes: list) -> list:
        """(before, after) per operated dim; None entries for 'same' over an unknown T."""
        filt, stride, dil = self.filter_size(), self.strides(), self.dilations()
        if self.Padding == "same":
            return [same_padding(s, f, st, d) if s is not None else None for s, f, st, d in zip(sizes, filt, stride, dil)]
        if self.Padding == "causal":
            return [((f - 1) * d, 0) for f, d in zip(filt, dil)]
        return pads_per_dim(self.Padding, self.NDIMS)

    def out_channels(self, x: Layout) -> int:
        return self.NumFilters

    def infer(self, inputs):
        x, mode = self._input(inputs)
        sizes = operated_sizes(x, mode)
        pads = self.pads_for(sizes)
        filt, stride, dil = self.filter_size(), self.strides(), self.dilations()
        out = []
        for s, p, f, st, d in zip(sizes, pads, filt, stride, dil):
            if s is None:
                out.append(None)
                continue
            o = conv_output_size(s, p[0], p[1], f, st, d)
            if o < 1:
                padded = [sz + sum(pd) for sz, pd in zip(sizes, pads) if sz is not None]
                effective = [(f_ - 1) * d_ + 1 for f_, d_ in zip(filt, dil)]
                raise LayoutError(
                    f"Input size mismatch. The padded input size {times_str(padded)} is smaller than the dilated "
                    f"filter size {times_str(effective)}."
                )
            out.append(o)
        return [output_layout(x, mode, out, self.out_channels(x))]

    # ---- learnables ------------------------------------------------------------------------------

    def learnable_sizes(self, inputs):
        x, _ = self._input(inputs)
        n = self.NDIMS
        return {"Weights": self.filter_size() + (x.channels, self.NumFilters), "Bias": (1,) * n + (self.NumFilters,)}

    def resolve(self, inputs):
        return {"NumChannels": inputs[0].channels}

    def fans(self, inputs) -> tuple[int, int]:
        x, _ = self._input(inputs)
        k = math.prod(self.filter_size())
        return k * x.channels, k * self.NumFilters

    def initial_value(self, prop, inputs):
        fan_in, fan_out = self.fans(inputs)
        init = self.WeightsInitializer if prop == "Weights" else self.BiasInitializer
        return initialize(init, self.learnable_sizes(inputs)[prop], fan_in, fan_out, layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return filter_to_torch(prop, value, self.NDIMS)

    def from_torch(self, prop, value, inputs):
        return filter_from_torch(prop, value, self.NDIMS)

    def groups(self, inputs) -> int:
        return 1

    def build(self, inputs):
        x, mode = self._input(inputs)
        params = learnable_values(self, inputs)
        pads = None if self.Padding == "same" else self.pads_for(operated_sizes(x, mode))
        module = ConvModule(params["Weights"], params["Bias"], self.strides(), self.dilations(), pads,
                            self.PaddingValue, self.groups(inputs))
        return arranged(module, mode)

    def description(self):
        size = list(self.filter_size()) + ([self.NumChannels] if self.NumChannels != "auto" else [])
        return (f"{self.NumFilters} {size_display(size)} convolutions with stride {stride_display(self.Stride)} "
                f"and padding {padding_display(self.Padding, self.NDIMS)}")


@register
class Convolution2DLayer(_Convolution):
    """2-D convolution (cross-correlation, as MATLAB): ``convolution2dLayer(filterSize, numFilters)``.

    Torch layout in/out: N×C×H×W (image sequences N×T×C×H×W, per time step; 1-D image sequences
    N×T×C×H convolve over H and T). Weights FilterSize(1)×FilterSize(2)×NumChannels×NumFilters and
    Bias 1×1×NumFilters in MATLAB layout. PaddingValue: a number, 'symmetric-include-edge',
    'symmetric-exclude-edge' or 'replicate'.
    """

    MATLAB_NAME = "convolution2dLayer"
    # MATLAB's object display (Layer.__str__): Hyperparameters rows in MATLAB's order
    DISPLAY_HYPERPARAMETERS = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor",
                               "PaddingMode", "PaddingSize", "PaddingValue")
    EXAMPLE = "convolution2dLayer(3, 16, Padding='same')"
    TYPE = "2-D Convolution"
    DEFAULT_NAME = "conv"
    SYNTAX = "convolution2dLayer(filterSize, numFilters, Name=Value)"
    NDIMS = 2
    OPTIONS = _filter_options(2) + (
        Option("PaddingValue", padding_value(), 0.0),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()

    def padding_for(self, layout: Layout) -> tuple:
        """[t b l r] for an SSCB/SSCBT input of this layout."""
        if self.Padding == "same":
            (t, b), (l, r) = self.pads_for(list(layout.spatial))
            return (t, b, l, r)
        return self.Padding


@register
class Convolution1DLayer(_Convolution):
    """1-D convolution: ``convolution1dLayer(filterSize, numFilters)``.

    Convolves over T for N×T×C (CBT), over L for N×C×L (SCB) and N×T×C×L (SCBT, per time step).
    Padding: p, [l r], 'same' or 'causal' ((FilterSize-1)*DilationFactor on the left only).
    Weights FilterSize×NumChannels×NumFilters, Bias 1×NumFilters (MATLAB layout).
    """

    MATLAB_NAME = "convolution1dLayer"
    # MATLAB's object display (Layer.__str__): Hyperparameters rows in MATLAB's order
    DISPLAY_HYPERPARAMETERS = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor",
                               "PaddingMode", "PaddingSize", "PaddingValue")
    EXAMPLE = "convolution1dLayer(3, 16, Padding='causal')"
    TYPE = "1-D Convolution"
    DEFAULT_NAME = "conv1d"
    SYNTAX = "convolution1dLayer(filterSize, numFilters, Name=Value)"
    NDIMS = 1
    OPTIONS = _filter_options(1) + (
        Option("PaddingValue", padding_value(), 0.0),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()


@register
class Convolution3DLayer(_Convolution):
    """3-D convolution: ``convolution3dLayer(filterSize, numFilters)``.

    Torch layout N×C×H×W×D (N×T×C×H×W×D per time step; 2-D image sequences N×T×C×H×W convolve over
    H, W and T). Padding p, [a b c], 2×3 [t l f; b r k] or 'same'. Weights h×w×d×NumChannels×NumFilters,
    Bias 1×1×1×NumFilters (MATLAB layout).
    """

    MATLAB_NAME = "convolution3dLayer"
    # MATLAB's object display (Layer.__str__): Hyperparameters rows in MATLAB's order
    DISPLAY_HYPERPARAMETERS = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor",
                               "PaddingMode", "PaddingSize", "PaddingValue")
    EXAMPLE = "convolution3dLayer(3, 8, Padding='same')"
    TYPE = "3-D Convolution"
    DEFAULT_NAME = "conv3d"
    SYNTAX = "convolution3dLayer(filterSize, numFilters, Name=Value)"
    NDIMS = 3
    OPTIONS = _filter_options(3) + (
        Option("PaddingValue", padding_value(), 0.0),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()


def _num_groups() -> Converter:
    base = positive_integer()

    def convert(v):
        if isinstance(v, str) and v.lower() in ("channel-wise", "channelwise"):
            return "channel-wise"
        return base(v)

    return Converter(convert, "a positive integer or 'channel-wise'",
                     {"anyOf": [base.schema, {"const": "channel-wise"}]})


@register
class GroupedConvolution2DLayer(_Convolution):
    """2-D grouped convolution: ``groupedConvolution2dLayer(filterSize, numFiltersPerGroup, numGroups)``
    or ``(filterSize, numFiltersPerGroup, 'channel-wise')`` (NumGroups = number of input channels).

    Output channels NumFiltersPerGroup*NumGroups, group-major (torch ``groups`` order). Weights
    h×w×NumChannelsPerGroup×NumFiltersPerGroup×NumGroups, Bias 1×1×NumFiltersPerGroup×NumGroups
    (MATLAB layout). Torch layout as convolution2dLayer.
    """

    MATLAB_NAME = "groupedConvolution2dLayer"
    EXAMPLE = "groupedConvolution2dLayer(3, 8, 2)"
    TYPE = "2-D Grouped Convolution"
    DEFAULT_NAME = "grouped_conv"
    SYNTAX = "groupedConvolution2dLayer(filterSize, numFiltersPerGroup, numGroups, Name=Value)"
    NDIMS = 2
    POSITIONAL = ("FilterSize", "NumFiltersPerGroup", "NumGroups")
    OPTIONS = (
        Option("FilterSize", size_vector(2), required=True),
        Option("NumFiltersPerGroup", positive_integer(), required=True),
        Option("NumGroups", _num_groups(), required=True),
        Option("Stride", size_vector(2), (1, 1)),
        Option("DilationFactor", size_vector(2), (1, 1)),
        Option("Padding", padding_2d(), (0, 0, 0, 0)),
        Option("PaddingValue", padding_value(), 0.0),
        Option("NumChannelsPerGroup", auto_or(positive_integer()), "auto"),
    ) + learnable_options()

    def group_count(self, x: Layout) -> int:
        return x.channels if self.NumGroups == "channel-wise" else self.NumGroups

    def _check_channels(self, x: Layout) -> None:
        g = self.group_count(x)
        if x.channels % g:
            raise LayoutError(
                f"Input size mismatch. The number of input channels ({x.channels}) must be divisible by the number "
                f"of groups ({g})."
            )
        cpg = x.channels // g
        if self.NumChannelsPerGroup != "auto" and self.NumChannelsPerGroup != cpg:
            raise LayoutError(
                f"Input size mismatch. The layer expects {self.NumChannelsPerGroup} channels per group, but the "
                f"input has {x.channels} channels in {g} groups ({cpg} per group)."
            )

    def out_channels(self, x: Layout) -> int:
        return self.NumFiltersPerGroup * self.group_count(x)

    def learnable_sizes(self, inputs):
        x, _ = self._input(inputs)
        g = self.group_count(x)
        fpg = self.NumFiltersPerGroup
        return {"Weights": self.filter_size() + (x.channels // g, fpg, g), "Bias": (1, 1, fpg, g)}

    def resolve(self, inputs):
        x = inputs[0]
        g = self.group_count(x)
        return {"NumChannelsPerGroup": x.channels // g, "NumGroups": g}

    def fans(self, inputs):
        x, _ = self._input(inputs)
        k = math.prod(self.filter_size())
        return k * (x.channels // self.group_count(x)), k * self.NumFiltersPerGroup

    def groups(self, inputs) -> int:
        return self.group_count(inputs[0])

    def to_torch(self, prop, value, inputs):
        if prop == "Weights":
            h, w, cpg, fpg, g = value.shape
            # W[h, w, c, f, g] -> torch[g*fpg + f, c, h, w]
            return value.permute(4, 3, 2, 0, 1).reshape(g * fpg, cpg, h, w).contiguous()
        return value.reshape(value.shape[-2], value.shape[-1]).T.reshape(-1).contiguous()

    def from_torch(self, prop, value, inputs):
        x = inputs[0]
        g = self.group_count(x)
        fpg = self.NumFiltersPerGroup
        if prop == "Weights":
            _, cpg, h, w = value.shape
            return value.reshape(g, fpg, cpg, h, w).permute(3, 4, 2, 1, 0).contiguous()
        return value.reshape(g, fpg).T.reshape(1, 1, fpg, g).contiguous()

    def description(self):
        # AlexNet's printout: "2 groups of 128 5×5×48 convolutions with stride [1  1] and padding [2  2  2  2]"
        size = list(self.filter_size()) + ([self.NumChannelsPerGroup] if self.NumChannelsPerGroup != "auto" else [])
        size = size_display(size)
        groups = "channel-wise" if self.NumGroups == "channel-wise" else f"{self.NumGroups} groups of"
        return (f"{groups} {self.NumFiltersPerGroup} {size} convolutions with stride {stride_display(self.Stride)} "
                f"and padding {padding_display(self.Padding, 2)}")


# --------------------------------------------------------------------------------------------------
# Transposed convolution


def transposed_crops(size: int, filt: int, stride: int, cropping) -> tuple[int, int, int]:
    """(crop before, crop after, rows appended) for one dim: MATLAB's rule.

    Full output S*(in-1)+F. 'same': crop F-S in total (floor before, ceil after) and, when S > F, append
    S-F rows, so the output is S*in. Manual: crop as given; rows are appended only when the output
    would otherwise be smaller than 1.
    """
    full = stride * (size - 1) + filt
    if cropping == "same":
        offset = max(0, stride - filt)
        total = filt - stride + offset
        return total // 2, total - total // 2, offset
    before, after = cropping
    offset = max(0, 1 - (full - before - after))
    return before, after, offset


class TransposedConvModule(nn.Module):
    """Transposed convolution over the n trailing dims of N×C×D1..Dn, then MATLAB's cropping, then bias.

    ``Weights`` C×F×k1..kn (torch ConvTranspose layout), ``Bias`` F. ``crops`` is [(before, after)] per
    dim or None for 'same'.
    """

    def __init__(self, weights, bias, stride, crops):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.Bias = nn.Parameter(bias)
        self.stride = tuple(int(s) for s in stride)
        self.crops = None if crops is None else [tuple(int(v) for v in c) for c in crops]
        self.n = len(self.stride)

    def forward(self, x):
        kernel = self.Weights.shape[2:]
        y = _CONV_T[self.n](x, self.Weights, None, self.stride)
        plan = [transposed_crops(int(s), int(k), st, "same" if self.crops is None else c)
                for s, k, st, c in zip(x.shape[2:], kernel, self.stride, self.crops or [None] * self.n)]
        # crop first, then append the zero rows MATLAB adds (cropping more than the full output leaves one
        # row): never materialise the full output padded by the appended rows
        index = [slice(None), slice(None)]
        pads = []
        for d, (before, after, off) in enumerate(plan):
            full = int(y.shape[2 + d])
            length = full + off - before - after
            start = min(before, full)
            stop = max(start, min(full, before + length))
            index.append(slice(start, stop))
            pads.append((0, length - (stop - start)))
        y = y[tuple(index)]
        if any(p for _, p in pads):
            y = F.pad(y, torch_pad(pads))
        return y + self.Bias.reshape((1, -1) + (1,) * self.n)

    def extra_repr(self) -> str:
        crops = "same" if self.crops is None else self.crops
        return f"{tuple(self.Weights.shape)}, stride={self.stride}, cropping={crops}"


class _TransposedConvolution(Layer):
    """Shared behaviour of transposedConv2dLayer and transposedConv3dLayer."""

    NDIMS: ClassVar[int] = 2
    FAMILY = "convolution"
    POSITIONAL = ("FilterSize", "NumFilters")

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["CroppingMode"] = lambda self: "same" if self.Cropping == "same" else "manual"
        props["CroppingSize"] = lambda self: _padding_size(self.Cropping)
        return props

    def filter_size(self) -> tuple:
        return tuple(self._values["FilterSize"])

    def _input(self, inputs) -> tuple[Layout, str]:
        x = inputs[0]
        mode = arrangement(self, x, self.NDIMS)
        if self.NumChannels != "auto" and self.NumChannels != x.channels:
            raise LayoutError(
                f"Input size mismatch. The layer expects input with {self.NumChannels} channels, "
                f"but received input with {x.channels} channels."
            )
        return x, mode

    def crops(self):
        return None if self.Cropping == "same" else pads_per_dim(self.Cropping, self.NDIMS)

    def infer(self, inputs):
        x, mode = self._input(inputs)
        crops = self.crops() or ["same"] * self.NDIMS
        out = []
        for s, f, st, c in zip(operated_sizes(x, mode), self.filter_size(), self.Stride, crops):
            if s is None:
                out.append(None)
                continue
            before, after, offset = transposed_crops(s, f, st, c)
            out.append(st * (s - 1) + f + offset - before - after)
        return [output_layout(x, mode, out, self.NumFilters)]

    def learnable_sizes(self, inputs):
        x, _ = self._input(inputs)
        return {"Weights": self.filter_size() + (self.NumFilters, x.channels),
                "Bias": (1,) * self.NDIMS + (self.NumFilters,)}

    def resolve(self, inputs):
        return {"NumChannels": inputs[0].channels}

    def initial_value(self, prop, inputs):
        x, _ = self._input(inputs)
        k = math.prod(self.filter_size())
        # fan-in from the input channels, fan-out from the filters (not verified against MATLAB; only 'he' cares)
        init = self.WeightsInitializer if prop == "Weights" else self.BiasInitializer
        return initialize(init, self.learnable_sizes(inputs)[prop], k * x.channels, k * self.NumFilters,
                          layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return filter_to_torch(prop, value, self.NDIMS)

    def from_torch(self, prop, value, inputs):
        return filter_from_torch(prop, value, self.NDIMS)

    def build(self, inputs):
        _, mode = self._input(inputs)
        params = learnable_values(self, inputs)
        return arranged(TransposedConvModule(params["Weights"], params["Bias"], self.Stride, self.crops()), mode)

    def description(self):
        size = list(self.filter_size()) + ([self.NumChannels] if self.NumChannels != "auto" else [])
        return (f"{self.NumFilters} {times_str(size)} transposed convolutions with stride {vec_str(self.Stride)} "
                f"and cropping {padding_display(self.Cropping, self.NDIMS)}")


@register
class TransposedConvolution2DLayer(_TransposedConvolution):
    """2-D transposed convolution: ``transposedConv2dLayer(filterSize, numFilters)``.

    Output S*(in-1)+F minus Cropping ([t b l r], or 'same': output S*in). Weights
    h×w×NumFilters×NumChannels (filters before channels), Bias 1×1×NumFilters (MATLAB layout).
    Torch layout N×C×H×W (sequences per time step).
    """

    MATLAB_NAME = "transposedConv2dLayer"
    EXAMPLE = "transposedConv2dLayer(4, 8, Stride=2)"
    TYPE = "2-D Transposed Convolution"
    DEFAULT_NAME = "transposed-conv"
    SYNTAX = "transposedConv2dLayer(filterSize, numFilters, Name=Value)"
    NDIMS = 2
    OPTIONS = (
        Option("FilterSize", size_vector(2), required=True),
        Option("NumFilters", positive_integer(), required=True),
        Option("Stride", size_vector(2), (1, 1)),
        Option("Cropping", padding_2d(), (0, 0, 0, 0)),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()


@register
class TransposedConvolution3DLayer(_TransposedConvolution):
    """3-D transposed convolution: ``transposedConv3dLayer(filterSize, numFilters)``.

    Cropping p, [a b c], 2×3 [t l f; b r k] or 'same'. Weights h×w×d×NumFilters×NumChannels, Bias
    1×1×1×NumFilters (MATLAB layout). Torch layout N×C×H×W×D (sequences per time step).
    """

    MATLAB_NAME = "transposedConv3dLayer"
    EXAMPLE = "transposedConv3dLayer(4, 8, Stride=2)"
    TYPE = "3-D Transposed Convolution"
    DEFAULT_NAME = "transposed-conv3d"
    SYNTAX = "transposedConv3dLayer(filterSize, numFilters, Name=Value)"
    NDIMS = 3
    OPTIONS = (
        Option("FilterSize", size_vector(3), required=True),
        Option("NumFilters", positive_integer(), required=True),
        Option("Stride", size_vector(3), (1, 1, 1)),
        Option("Cropping", padding_3d("same"), ((0, 0, 0), (0, 0, 0))),
        Option("NumChannels", auto_or(positive_integer()), "auto"),
    ) + learnable_options()


# --------------------------------------------------------------------------------------------------
# Fully connected

class LinearModule(nn.Module):
    """Fully connected on torch-layout input: flatten C×S (torch order) and apply Weights (torch column order).

    MATLAB's column-major flatten (H fastest, then W, then C) is folded into the weight columns once,
    at build time (see FullyConnectedLayer.to_torch), so forward is a plain flatten + linear.
    """

    def __init__(self, weights, bias, time: bool):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.Bias = nn.Parameter(bias)
        self.lead = 2 if time else 1

    def forward(self, x):
        if x.dim() > self.lead + 1:
            x = x.flatten(self.lead)
        return F.linear(x, self.Weights, self.Bias)

    def extra_repr(self) -> str:
        return f"in={self.Weights.shape[1]}, out={self.Weights.shape[0]}"


@register
class FullyConnectedLayer(Layer):
    """Fully connected: ``fullyConnectedLayer(outputSize)``; Weights OutputSize×InputSize, Bias OutputSize×1.

    Torch layout in: N×C×H×W, N×C or N×T×C; out: N×OutputSize (N×T×OutputSize for sequences).
    Image inputs are flattened in MATLAB's column-major order (H fastest, then W, then C), so MATLAB
    weights give MATLAB's numbers; the reordering is applied to the weight columns once, not per call.
    """

    MATLAB_NAME = "fullyConnectedLayer"
    # MATLAB's object display (Layer.__str__): Hyperparameters rows in MATLAB's order
    DISPLAY_HYPERPARAMETERS = ("InputSize", "OutputSize")
    EXAMPLE = "fullyConnectedLayer(10)"
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
        if prop == "Bias":
            return value.reshape(-1)
        spatial, k = inputs[0].spatial, len(inputs[0].spatial)
        if k < 2:
            return value
        # MATLAB column h + H*w + ... + H*W*c  ->  torch flatten column c*H*W + h*W + w
        out = value.shape[0]
        columns = value.reshape((out, inputs[0].channels) + tuple(reversed(spatial)))
        return columns.permute((0, 1) + tuple(range(k + 1, 1, -1))).reshape(out, -1)

    def from_torch(self, prop, value, inputs):
        if prop == "Bias":
            return value.reshape(-1, 1)
        spatial, k = inputs[0].spatial, len(inputs[0].spatial)
        if k < 2:
            return value
        out = value.shape[0]
        columns = value.reshape((out, inputs[0].channels) + tuple(spatial))
        return columns.permute((0, 1) + tuple(range(k + 1, 1, -1))).reshape(out, -1)

    def build(self, inputs):
        params = learnable_values(self, inputs)
        return LinearModule(params["Weights"], params["Bias"], inputs[0].has_time)

    def description(self):
        return f"{self.OutputSize} fully connected layer"
