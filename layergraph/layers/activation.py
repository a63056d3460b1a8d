"""Element-wise activation layers and dropout.

reluLayer, leakyReluLayer, clippedReluLayer, eluLayer, tanhLayer, sigmoidLayer, swishLayer, geluLayer,
softplusLayer, preluLayer (learnable Alpha) and dropoutLayer. All accept any torch layout
(N×[T]×C×spatial) and return the same layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, learnable_values, num_str, register, times_str
from .options import Option, choice, factor, numeric_array, real_scalar


def channel_dim(layout: Layout) -> int:
    """Index of C in the torch tensor of ``layout`` (N [T] C S...)."""
    return 2 if layout.has_time else 1


def per_channel_shape(layout: Layout) -> tuple:
    """MATLAB size of a per-channel value: 1×1×C for 2-D images, 1×1×1×C for 3-D, C×1 for features/sequences."""
    k = len(layout.spatial)
    return (1,) * k + (layout.channels,) if k else (layout.channels, 1)


def torch_channel_shape(layout: Layout) -> tuple:
    """Shape that broadcasts a length-C vector over the torch tensor of ``layout`` (batch dim excluded)."""
    lead = (1,) if layout.has_time else ()
    return lead + (layout.channels,) + (1,) * len(layout.spatial)


class NumericPositionalLayer(Layer):
    """A layer whose optional positional arguments are numbers: a leading text argument is an option name.

    So ``leakyReluLayer('Nmae', 'x')`` reports the unknown option instead of a bad Scale.
    """

    @classmethod
    def _parse_arguments(cls, args, kwargs):
        if args and isinstance(args[0], str) and not cls._is_option_name(args[0]):
            raise cls._unknown_option(args[0])
        return super()._parse_arguments(args, kwargs)


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


@register
class LeakyReLULayer(NumericPositionalLayer):
    """Leaky ReLU, ``x`` for x > 0 and ``Scale*x`` otherwise: ``leakyReluLayer(scale)``. Any torch layout."""

    MATLAB_NAME = "leakyReluLayer"
    TYPE = "Leaky ReLU"
    DEFAULT_NAME = "leakyrelu"
    SYNTAX = "leakyReluLayer(scale, Name=Value)"
    FAMILY = "activation"
    POSITIONAL = ("Scale",)
    OPTIONS = (Option("Scale", real_scalar(), 0.01),)

    def build(self, inputs):
        return LeakyReLUModule(self.Scale)

    def description(self):
        return f"Leaky ReLU with scale {num_str(self.Scale)}"


class LeakyReLUModule(nn.Module):
    """``where(x > 0, x, scale*x)``; unlike nn.LeakyReLU it allows any real scale (negative, > 1)."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.where(x > 0, x, x * self.scale)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class ClippedReLUModule(nn.Module):
    def __init__(self, ceiling: float):
        super().__init__()
        self.ceiling = ceiling

    def forward(self, x):
        return torch.clamp(x, 0.0, self.ceiling)

    def extra_repr(self) -> str:
        return f"ceiling={self.ceiling}"


@register
class ClippedReLULayer(Layer):
    """Clipped ReLU, ``min(max(x, 0), Ceiling)``: ``clippedReluLayer(ceiling)`` (ceiling required). Any torch layout."""

    MATLAB_NAME = "clippedReluLayer"
    EXAMPLE = "clippedReluLayer(6)"
    TYPE = "Clipped ReLU"
    DEFAULT_NAME = "clippedrelu"
    SYNTAX = "clippedReluLayer(ceiling, Name=Value)"
    FAMILY = "activation"
    POSITIONAL = ("Ceiling",)
    OPTIONS = (Option("Ceiling", real_scalar(low=0, low_open=True), required=True),)

    def build(self, inputs):
        return ClippedReLUModule(self.Ceiling)

    def description(self):
        return f"Clipped ReLU with ceiling {num_str(self.Ceiling)}"


class ELUModule(nn.Module):
    """``x`` for x >= 0, ``alpha*(exp(x)-1)`` otherwise (any real alpha, as MATLAB)."""

    def __init__(self, alpha: float):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return torch.where(x >= 0, x, self.alpha * torch.expm1(torch.clamp(x, max=0)))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


@register
class ELULayer(NumericPositionalLayer):
    """Exponential linear unit: ``eluLayer(alpha)``; ``x`` for x >= 0, ``Alpha*(exp(x)-1)`` otherwise."""

    MATLAB_NAME = "eluLayer"
    TYPE = "ELU"
    DEFAULT_NAME = "elu"
    SYNTAX = "eluLayer(alpha, Name=Value)"
    FAMILY = "activation"
    POSITIONAL = ("Alpha",)
    OPTIONS = (Option("Alpha", real_scalar(), 1.0),)

    def build(self, inputs):
        return ELUModule(self.Alpha)

    def description(self):
        return f"ELU with Alpha {num_str(self.Alpha)}"


@register
class TanhLayer(Layer):
    """Hyperbolic tangent: ``tanhLayer``. Any torch layout."""

    MATLAB_NAME = "tanhLayer"
    TYPE = "Tanh"
    DEFAULT_NAME = "tanh"
    SYNTAX = "tanhLayer(Name=Value)"
    FAMILY = "activation"

    def build(self, inputs):
        return nn.Tanh()

    def description(self):
        return "Hyperbolic tangent"


@register
class SigmoidLayer(Layer):
    """Logistic sigmoid ``1/(1+exp(-x))``: ``sigmoidLayer``. Any torch layout."""

    MATLAB_NAME = "sigmoidLayer"
    TYPE = "Sigmoid"
    DEFAULT_NAME = "sigmoid"
    SYNTAX = "sigmoidLayer(Name=Value)"
    FAMILY = "activation"

    def build(self, inputs):
        return nn.Sigmoid()

    def description(self):
        return "sigmoid"


@register
class SwishLayer(Layer):
    """Swish ``x/(1+exp(-x))`` (torch SiLU): ``swishLayer``. Any torch layout."""

    MATLAB_NAME = "swishLayer"
    TYPE = "Swish"
    DEFAULT_NAME = "swish"
    SYNTAX = "swishLayer(Name=Value)"
    FAMILY = "activation"

    def build(self, inputs):
        return nn.SiLU()

    def description(self):
        # swishLayer doc page's Layer-array printout: "4   ''   Swish   Swish"
        return "Swish"


@register
class GELULayer(Layer):
    """Gaussian error linear unit: ``geluLayer(Approximation='none'|'tanh')``. Any torch layout."""

    MATLAB_NAME = "geluLayer"
    TYPE = "GELU"
    DEFAULT_NAME = "gelu"
    SYNTAX = "geluLayer(Name=Value)"
    FAMILY = "activation"
    OPTIONS = (Option("Approximation", choice("none", "tanh"), "none"),)

    def build(self, inputs):
        return nn.GELU(approximate=self.Approximation)

    def description(self):
        return "GELU"


@register
class SoftplusLayer(Layer):
    """Softplus ``log(1+exp(x))``: ``softplusLayer``. Any torch layout."""

    MATLAB_NAME = "softplusLayer"
    TYPE = "Softplus"
    DEFAULT_NAME = "softplus"
    SYNTAX = "softplusLayer(Name=Value)"
    FAMILY = "activation"

    def build(self, inputs):
        return nn.Softplus()

    def description(self):
        return "Softplus"


class PReLUModule(nn.Module):
    """``max(0,x) + Alpha*min(0,x)``; Alpha is a parameter shaped to broadcast over N×[T]×C×S..."""

    def __init__(self, alpha: torch.Tensor):
        super().__init__()
        self.Alpha = nn.Parameter(alpha)

    def forward(self, x):
        return torch.clamp(x, min=0) + self.Alpha * torch.clamp(x, max=0)

    def extra_repr(self) -> str:
        return f"Alpha={tuple(self.Alpha.shape)}"


PRELU_INITIAL_ALPHA = 0.25


@register
class PReLULayer(Layer):
    """Parametrized ReLU (built-in since R2024a): ``preluLayer(Alpha=a)``; ``max(0,x) + Alpha.*min(0,x)``.

    Alpha is learnable. Left empty it is created per channel (1×1×C for images, C×1 for features and
    sequences) filled with 0.25; a given scalar Alpha stays one shared value (1×1). Any torch layout.
    """

    MATLAB_NAME = "preluLayer"
    TYPE = "PReLU"
    DEFAULT_NAME = "prelu"
    SYNTAX = "preluLayer(Name=Value)"
    FAMILY = "activation"
    OPTIONS = (
        Option("Alpha", numeric_array(), None, learnable=True),
        Option("AlphaLearnRateFactor", factor(), 1.0),
        Option("AlphaL2Factor", factor(), 1.0),
    )

    def _shared(self) -> bool:
        return self.Alpha is not None and self.Alpha.numel() == 1

    def learnable_sizes(self, inputs):
        x = inputs[0]
        if self._shared():
            return {"Alpha": (1, 1)}
        shape = per_channel_shape(x)
        if self.Alpha is not None and self.Alpha.numel() != x.channels:
            raise LayoutError(
                f"Invalid Alpha size. Expected a scalar or {times_str(shape)} (one value per channel), "
                f"but Alpha has size {times_str(self.Alpha.shape)}."
            )
        return {"Alpha": shape}

    def initial_value(self, prop, inputs):
        return torch.full(per_channel_shape(inputs[0]), PRELU_INITIAL_ALPHA)

    def to_torch(self, prop, value, inputs):
        if value.numel() == 1:
            return value.reshape(())
        return value.reshape(torch_channel_shape(inputs[0]))

    def from_torch(self, prop, value, inputs):
        if value.numel() == 1 and self._shared():
            return value.reshape(1, 1)
        return value.reshape(per_channel_shape(inputs[0]))

    def build(self, inputs):
        return PReLUModule(learnable_values(self, inputs)["Alpha"])

    def description(self):
        return "PReLU"


class DropoutModule(nn.Module):
    """Inverted dropout: zero with probability p and scale survivors by 1/(1-p) in training; identity in eval."""

    def __init__(self, probability: float):
        super().__init__()
        self.probability = probability

    def forward(self, x):
        return F.dropout(x, self.probability, self.training)

    def extra_repr(self) -> str:
        return f"p={self.probability}"


@register
class DropoutLayer(NumericPositionalLayer):
    """Dropout: ``dropoutLayer(probability)``; an independent mask per element, identity at prediction.

    Any torch layout in and out.
    """

    MATLAB_NAME = "dropoutLayer"
    TYPE = "Dropout"
    DEFAULT_NAME = "dropout"
    SYNTAX = "dropoutLayer(probability, Name=Value)"
    FAMILY = "activation"
    POSITIONAL = ("Probability",)
    OPTIONS = (Option("Probability", real_scalar(low=0, high=1, high_open=True), 0.5),)

    def build(self, inputs):
        return DropoutModule(self.Probability)

    def description(self):
        return f"{num_str(self.Probability * 100)}% dropout"
