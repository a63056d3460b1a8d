"""Element-wise activation layers: reluLayer, leakyReluLayer, clippedReluLayer, eluLayer, tanhLayer, sigmoidLayer."""

from __future__ import annotations

from torch import nn

from .base import Layer, num_str, register
from .options import Option, real_scalar


@register
class ReLULayer(Layer):
    """ReLU, ``max(0, x)``: ``reluLayer``. Any torch layout in and out."""

    MATLAB_NAME = "reluLayer"
    TYPE = "ReLU"
    DEFAULT_NAME = "relu"
    SYNTAX = "reluLayer(Name=Value)"
    FAMILY = "activation"

    def build(self, inputs):
        return nn.ReLU()

    def description(self):
        return "ReLU"
