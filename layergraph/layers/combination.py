"""Combination layers: additionLayer, depthConcatenationLayer, concatenationLayer."""

from __future__ import annotations

from torch import nn

from ..errors import LayoutError
from .base import Layer, register
from .options import Option, integer_at_least


def size_mismatch(layer_inputs, names) -> LayoutError:
    """MATLAB's size-mismatch text; analysis adds the 'from layer ...' lines."""
    return LayoutError("Input size mismatch. Size of input to this layer is different from the expected input size.")


class AddModule(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


@register
class AdditionLayer(Layer):
    """Element-wise sum of ``numInputs`` inputs ``in1..inN``: ``additionLayer(numInputs)``. Any torch layout."""

    MATLAB_NAME = "additionLayer"
    TYPE = "Addition"
    DEFAULT_NAME = "addition"
    SYNTAX = "additionLayer(numInputs, Name=Value)"
    FAMILY = "combination"
    POSITIONAL = ("NumInputs",)
    OPTIONS = (Option("NumInputs", integer_at_least(2), required=True),)

    def input_names(self):
        return tuple(f"in{i}" for i in range(1, self._values["NumInputs"] + 1))

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props.pop("NumInputs", None)
        return props

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
