"""Combination layers: addition, multiplication, weighted addition, depth and general concatenation."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, learnable_values, register
from .options import Option, input_count, numeric_array, positive_integer


def size_mismatch(layer_inputs, names) -> LayoutError:
    """MATLAB's size-mismatch text; analysis adds the 'from layer ...' lines."""
    return LayoutError("Input size mismatch. Size of input to this layer is different from the expected input size.")


class MultiInputLayer(Layer):
    """A layer with ``NumInputs`` inputs named ``in1 .. inN`` (MATLAB's combination layers)."""

    POSITIONAL = ("NumInputs",)
    OPTIONS = (Option("NumInputs", input_count(2), required=True),)

    def input_names(self):
        return tuple(f"in{i}" for i in range(1, self._values["NumInputs"] + 1))

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props.pop("NumInputs", None)   # NumInputs is an option here, not the derived count
        return props


class AddModule(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


@register
class AdditionLayer(MultiInputLayer):
    """Element-wise sum of ``numInputs`` inputs ``in1..inN``: ``additionLayer(numInputs)``. Any torch layout."""

    MATLAB_NAME = "additionLayer"
    EXAMPLE = "additionLayer(2)"
    TYPE = "Addition"
    DEFAULT_NAME = "addition"
    SYNTAX = "additionLayer(numInputs, Name=Value)"
    FAMILY = "combination"

    def infer(self, inputs):
        first = inputs[0]
        for other in inputs[1:]:
            if not first.same_size(other):
                raise size_mismatch(inputs, self.input_names())
        return [first]

    def build(self, inputs):
        return AddModule()

    def description(self):
        return f"Element-wise addition of {self.NumInputs} inputs"


# --------------------------------------------------------------------------------------------------
# Concatenation


class ConcatModule(nn.Module):
    """``torch.cat`` of the inputs along one torch dimension."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _concatenate(inputs: list[Layout], matlab_dim: int, matlab_wording: bool = False) -> Layout:
    """The layout of ``cat(matlab_dim, inputs...)`` in MATLAB's data layout (S..., C, B[, T])."""
    first = inputs[0]
    k = len(first.spatial)
    if any(x.format != first.format for x in inputs):
        raise LayoutError(
            "Input format mismatch. All inputs must have the same format, but the inputs have formats "
            + ", ".join(f"'{x.format}'" for x in inputs) + "."
        )
    if matlab_dim == k + 2:
        raise LayoutError(f"Invalid concatenation dimension {matlab_dim}: cannot concatenate along the batch (B) dimension.")
    num_dims = k + 3 if first.has_time else k + 2
    if matlab_dim > num_dims:
        raise LayoutError(
            f"Invalid concatenation dimension {matlab_dim}. Inputs with format '{first.format}' have {num_dims} dimensions."
        )

    def sizes(x: Layout, skip: int) -> list:
        """Per-observation sizes (S..., C, T) without the concatenated one; an unknown T matches anything."""
        dims = list(x.spatial) + [x.channels] + ([x.time] if x.has_time else [])
        del dims[skip - 1 if skip <= k + 1 else k + 1]
        return dims

    reference = sizes(first, matlab_dim)
    for x in inputs[1:]:
        other = sizes(x, matlab_dim)
        if any(a != b and a is not None and b is not None for a, b in zip(reference, other)):
            if matlab_wording:
                raise size_mismatch(inputs, None)
            raise LayoutError(
                f"Input size mismatch. Inputs must have the same size in all dimensions except dimension "
                f"{matlab_dim}. Input sizes: " + ", ".join(y.matlab_size() for y in inputs) + "."
            )
    spatial, channels = list(first.spatial), first.channels
    known_times = [x.time for x in inputs if x.time is not None]
    time = known_times[0] if known_times else None
    if matlab_dim <= k:
        spatial[matlab_dim - 1] = sum(x.spatial[matlab_dim - 1] for x in inputs)
    elif matlab_dim == k + 1:
        channels = sum(x.channels for x in inputs)
    else:
        time = sum(known_times) if len(known_times) == len(inputs) else None
    return Layout(tuple(spatial), channels, first.has_time, time)


def _times_agree(a, b) -> bool:
    return a is None or b is None or a == b


def torch_concat_dim(layout: Layout, matlab_dim: int) -> int:
    """The torch dim (N [T] C S...) of MATLAB dimension ``matlab_dim`` of ``layout`` (S..., C, B, T)."""
    k = len(layout.spatial)
    lead = 2 if layout.has_time else 1
    if matlab_dim <= k:
        return lead + matlab_dim
    if matlab_dim == k + 1:
        return lead
    return 1  # T


@register
class DepthConcatenationLayer(MultiInputLayer):
    """Concatenation along channels of ``numInputs`` inputs ``in1..inN``: ``depthConcatenationLayer(numInputs)``.

    Inputs must agree in every dimension but C. Torch layout: cat along the C dim of N×[T]×C×S...
    """

    MATLAB_NAME = "depthConcatenationLayer"
    EXAMPLE = "depthConcatenationLayer(2)"
    TYPE = "Depth concatenation"
    DEFAULT_NAME = "depthcat"
    SYNTAX = "depthConcatenationLayer(numInputs, Name=Value)"
    FAMILY = "combination"

    def infer(self, inputs):
        # MATLAB words a depth-concatenation mismatch like any size mismatch; analysis adds the sizes
        return [_concatenate(inputs, len(inputs[0].spatial) + 1, matlab_wording=True)]

    def build(self, inputs):
        return ConcatModule(torch_concat_dim(inputs[0], len(inputs[0].spatial) + 1))

    def description(self):
        return f"Depth concatenation of {self.NumInputs} inputs"


@register
class ConcatenationLayer(MultiInputLayer):
    """Concatenation along MATLAB dimension ``dim``: ``concatenationLayer(dim, numInputs)``.

    ``dim`` indexes the MATLAB data layout of the inputs (S..., C, B, T): for 2-D images 1 = H, 2 = W,
    3 = C; for features 1 = C; for sequences 1 = C, 3 = T. Concatenation along B is refused. Torch
    layout: cat along the matching dim of N×[T]×C×S...
    """

    MATLAB_NAME = "concatenationLayer"
    EXAMPLE = "concatenationLayer(3, 2)"
    TYPE = "Concatenation"
    DEFAULT_NAME = "concat"
    SYNTAX = "concatenationLayer(dim, numInputs, Name=Value)"
    FAMILY = "combination"
    POSITIONAL = ("Dim", "NumInputs")
    OPTIONS = (
        Option("Dim", positive_integer(), required=True),
        Option("NumInputs", input_count(2), required=True),
    )


    def infer(self, inputs):
        return [_concatenate(inputs, self.Dim)]

    def build(self, inputs):
        _concatenate(inputs, self.Dim)
        return ConcatModule(torch_concat_dim(inputs[0], self.Dim))

    def description(self):
        return f"Concatenation of {self.NumInputs} inputs along dimension {self.Dim}"


# --------------------------------------------------------------------------------------------------
# Multiplication and weighted addition


def broadcast_layouts(inputs: list[Layout]) -> Layout:
    """MATLAB implicit expansion of per-observation sizes: each S/C size equal across inputs or 1."""
    first = inputs[0]
    if any(x.format != first.format for x in inputs):
        raise LayoutError(
            "Input format mismatch. All inputs must have the same format, but the inputs have formats "
            + ", ".join(f"'{x.format}'" for x in inputs) + "."
        )
    dims = []
    for sizes in zip(*[list(x.spatial) + [x.channels] for x in inputs]):
        big = {s for s in sizes if s != 1}
        if len(big) > 1:
            raise LayoutError(
                "Input size mismatch. The inputs must have the same size or compatible sizes (each dimension "
                "equal or 1). Input sizes: " + ", ".join(x.matlab_size() for x in inputs) + "."
            )
        dims.append(big.pop() if big else 1)
    times = {x.time for x in inputs if x.time is not None}
    if len(times) > 1:
        raise LayoutError("Input size mismatch. The inputs must have the same sequence length.")
    return Layout(tuple(dims[:-1]), dims[-1], first.has_time, times.pop() if times else None)


class MultiplyModule(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


@register
class MultiplicationLayer(MultiInputLayer):
    """Element-wise product of ``numInputs`` inputs ``in1..inN`` with implicit expansion: ``multiplicationLayer(n)``.

    Torch layout: any, all inputs of the same format; sizes broadcast where one of them is 1.
    """

    MATLAB_NAME = "multiplicationLayer"
    EXAMPLE = "multiplicationLayer(2)"
    TYPE = "Multiplication"
    DEFAULT_NAME = "multiplication"
    SYNTAX = "multiplicationLayer(numInputs, Name=Value)"
    FAMILY = "combination"

    def infer(self, inputs):
        return [broadcast_layouts(inputs)]

    def build(self, inputs):
        return MultiplyModule()

    def description(self):
        return f"Element-wise multiplication of {self.NumInputs} inputs"


class WeightedAddModule(nn.Module):
    """``sum_i Weights[i] * X_i``; Weights is a length-N parameter."""

    def __init__(self, weights):
        super().__init__()
        self.Weights = nn.Parameter(weights)

    def forward(self, *xs):
        out = self.Weights[0] * xs[0]
        for i, x in enumerate(xs[1:], start=1):
            out = out + self.Weights[i] * x
        return out


@register
class WeightedAdditionLayer(MultiInputLayer):
    """Weighted sum ``Z = sum_i W(i)*X_i`` of ``numInputs`` inputs: ``weightedAdditionLayer(numInputs, name)``.

    MATLAB's custom-layer documentation example, provided built in. Learnable Weights 1×numInputs,
    initialized with rand (uniform on [0, 1)). Inputs must have the same size; any torch layout.
    """

    MATLAB_NAME = "weightedAdditionLayer"
    EXAMPLE = "weightedAdditionLayer(2, 'wadd')"
    TYPE = "weightedAdditionLayer"   # a custom layer without a Type shows its class name
    DEFAULT_NAME = "layer"           # the default name of unnamed custom layers
    SYNTAX = "weightedAdditionLayer(numInputs, name)"
    FAMILY = "combination"
    POSITIONAL = ("NumInputs", "Name")
    OPTIONS = (
        Option("NumInputs", input_count(2), required=True),
        Option("Weights", numeric_array(), None, learnable=True),
    )

    @classmethod
    def _parse_arguments(cls, args, kwargs):
        # (numInputs, name, pairs...) has an even count; with an odd count the text after numInputs opens a pair
        if len(args) >= 3 and len(args) % 2 == 1 and isinstance(args[1], str) and not cls._is_option_name(args[1]):
            raise cls._unknown_option(args[1])
        return super()._parse_arguments(args, kwargs)


    def infer(self, inputs):
        first = inputs[0]
        for other in inputs[1:]:
            if not first.same_size(other):
                raise size_mismatch(inputs, self.input_names())
        return [first]

    def learnable_sizes(self, inputs):
        return {"Weights": (1, self.NumInputs)}

    def initial_value(self, prop, inputs):
        return torch.rand(1, self.NumInputs)

    def to_torch(self, prop, value, inputs):
        return value.reshape(-1)

    def from_torch(self, prop, value, inputs):
        return value.reshape(1, -1)

    def build(self, inputs):
        return WeightedAddModule(learnable_values(self, inputs)["Weights"])

    def description(self):
        return f"Weighted addition of {self.NumInputs} inputs"
