"""Output (loss) layers and softmax: softmaxLayer, classificationLayer, regressionLayer."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import LayoutError
from .base import Layer, register
from .options import Option, string_list, vector_or_none

FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


class SoftmaxModule(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return torch.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def channel_dim(layout) -> int:
    """Index of C in the torch tensor of ``layout`` (N [T] C S...)."""
    return 2 if layout.has_time else 1


@register
class SoftmaxLayer(Layer):
    """Softmax over the channel dimension: ``softmaxLayer``. Any torch layout in and out."""

    MATLAB_NAME = "softmaxLayer"
    TYPE = "Softmax"
    DEFAULT_NAME = "softmax"
    SYNTAX = "softmaxLayer(Name=Value)"
    FAMILY = "output"

    def build(self, inputs):
        return SoftmaxModule(channel_dim(inputs[0]))

    def description(self):
        return "softmax"


def class_description(classes) -> str:
    if classes == "auto" or not classes:
        return "crossentropyex"
    names = [f"'{c}'" for c in classes]
    if len(names) == 1:
        return f"crossentropyex with {names[0]}"
    if len(names) == 2:
        return f"crossentropyex with {names[0]} and {names[1]}"
    others = len(names) - 2
    return f"crossentropyex with {names[0]}, {names[1]}, and {others} other class{'es' if others > 1 else ''}"


@register
class ClassificationOutputLayer(Layer):
    """Cross-entropy output: ``classificationLayer``. Loss ``-sum(w_k T log Y) / (N*S)`` on softmax scores.

    Torch layout in: N×K (N×T×K for sequence-to-sequence). Targets: class indices (0-based) or one-hot.
    """

    MATLAB_NAME = "classificationLayer"
    TYPE = "Classification Output"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "classificationLayer(Name=Value)"
    FAMILY = "output"
    IS_OUTPUT = True
    OPTIONS = (
        Option("Classes", string_list(), "auto"),
        Option("ClassWeights", vector_or_none("a vector of class weights"), "none"),
    )

    def _check(self):
        if self.ClassWeights != "none":
            if self.Classes == "auto":
                raise self.fail("ClassWeights requires Classes to be specified.")
            if len(self.ClassWeights) != len(self.Classes):
                raise self.fail(
                    f"ClassWeights has {len(self.ClassWeights)} elements but there are {len(self.Classes)} classes."
                )

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["LossFunction"] = lambda self: "crossentropyex"
        props["OutputSize"] = lambda self: "auto" if self.Classes == "auto" else len(self.Classes)
        return props

    def infer(self, inputs):
        x = inputs[0]
        if self.Classes != "auto" and x.channels != len(self.Classes):
            raise LayoutError(
                f"Input size mismatch. The layer has {len(self.Classes)} classes, but its input has {x.channels} channels."
            )
        return []

    def build(self, inputs):
        return ClassificationLoss(self)

    def loss(self, outputs, targets):
        return classification_loss(outputs, targets, self.ClassWeights)

    def description(self):
        return class_description(self.Classes)


def one_hot_like(outputs: torch.Tensor, targets: torch.Tensor, dim: int) -> torch.Tensor:
    if targets.shape == outputs.shape and torch.is_floating_point(targets):
        return targets.to(outputs.dtype)
    k = outputs.shape[dim]
    hot = torch.nn.functional.one_hot(targets.long(), k).to(outputs.dtype)
    if dim != hot.dim() - 1:
        hot = hot.movedim(-1, dim)
    return hot


def classification_loss(outputs: torch.Tensor, targets: torch.Tensor, class_weights="none") -> torch.Tensor:
    """MATLAB crossentropyex: -(1/(N*S)) sum_n sum_t sum_k w_k T log(Y), Y bounded away from 0."""
    dim = 2 if outputs.dim() == 3 else 1
    t = one_hot_like(outputs, targets, dim)
    y = outputs.clamp_min(FLOAT32_EPS)
    terms = t * torch.log(y)
    if class_weights != "none":
        shape = [1] * outputs.dim()
        shape[dim] = -1
        terms = terms * torch.as_tensor(class_weights, dtype=outputs.dtype, device=outputs.device).reshape(shape)
    n = outputs.shape[0] * (outputs.shape[1] if dim == 2 else 1)
    return -terms.sum() / n


class ClassificationLoss(nn.Module):
    """The output layer as a module: ``module(Y, T)`` is the MATLAB loss (not called in forward)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, outputs, targets):
        return self.layer.loss(outputs, targets)


@register
class RegressionOutputLayer(Layer):
    """Half mean squared error output: ``regressionLayer``. Loss ``sum((Y-T)^2) / (2*N*S)``.

    Torch layout in: N×R (N×T×R for sequence-to-sequence, N×C×H×W for image responses).
    """

    MATLAB_NAME = "regressionLayer"
    TYPE = "Regression Output"
    DEFAULT_NAME = "regressionoutput"
    SYNTAX = "regressionLayer(Name=Value)"
    FAMILY = "output"
    IS_OUTPUT = True
    OPTIONS = (Option("ResponseNames", string_list(), "auto"),)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["LossFunction"] = lambda self: "mean-squared-error"
        return props

    def infer(self, inputs):
        return []

    def build(self, inputs):
        return ClassificationLoss(self)

    def loss(self, outputs, targets):
        targets = targets.to(outputs.dtype).reshape(outputs.shape)
        sq = (outputs - targets).pow(2).sum()
        n = outputs.shape[0]
        if outputs.dim() == 3:
            n = n * outputs.shape[1]
        return sq / (2 * n)

    def description(self):
        names = self.ResponseNames
        if names == "auto" or not names:
            return "mean-squared-error"
        return "mean-squared-error with response " + ", ".join(f"'{n}'" for n in names)
