"""Output (loss) layers, softmax and the region-proposal softmax.

Every loss layer exposes ``loss(outputs, targets, layout=None)``: the loss MATLAB's ``forwardLoss``
computes on one mini-batch, with MATLAB's normalisation, on torch-layout outputs (N×K, N×T×K,
N×K×H×W, ...). Targets are either

* an array of the same size as the outputs (one-hot / probabilities; an all-zero vector along the
  channel dimension marks an *undefined* label), or
* class indices (0-based) of the outputs' size without the channel dimension; ``-1`` (or NaN) marks an
  undefined label.

Undefined labels contribute nothing to a loss numerator. Whether they count in the divisor is the
layer's own rule (documented per layer). ``layout`` (the :class:`Layout` of the layer's input) removes
the one ambiguity of torch layouts: a 3-D tensor is read as ``N×T×C`` (sequence) unless the layout says
it is ``N×C×L`` (one spatial dimension). The module :meth:`Layer.build` returns for an output layer
knows its layout and is not called in the network's forward pass.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import LayoutError, TrainingError
from .base import Layer, Layout, register, times_str
from .options import Converter, Option, real_scalar, string_list, vector_or_none

FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


# --------------------------------------------------------------------------------------------------
# softmax


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


# --------------------------------------------------------------------------------------------------
# Shared pieces of the loss layers


def class_list_suffix(classes, noun: str = "class") -> str:
    """`` with 'a', 'b', and 8 other classes`` (MATLAB's display once the classes are known).

    Observed in MATLAB printouts: ``crossentropyex with '0', '1', and 8 other classes`` (10 classes, current
    releases) and ``crossentropyex with classes 'BAC' and 'NON_BAC'`` (2 classes). One and three classes are
    not observed; they follow the two-class form (``with class 'a'``, ``with classes 'a', 'b', and 'c'``).
    """
    if isinstance(classes, str) or not classes:
        return ""
    names = [f"'{c}'" for c in classes]
    plural = "es" if noun.endswith("s") else "s"
    if len(names) == 1:
        return f" with {noun} {names[0]}"
    if len(names) == 2:
        return f" with {noun}{plural} {names[0]} and {names[1]}"
    if len(names) == 3:
        return f" with {noun}{plural} {names[0]}, {names[1]}, and {names[2]}"
    others = len(names) - 2
    return f" with {names[0]}, {names[1]}, and {others} other {noun}{plural}"


def class_description(classes) -> str:
    return "crossentropyex" + class_list_suffix(classes)


def _classes() -> Converter:
    base = string_list()

    def convert(v):
        value = base(v)
        if value == "auto":
            return value
        if len(value) == 0:
            raise ValueError
        if len(set(value)) != len(value):
            raise ValueError
        return value

    return Converter(convert, "'auto' or a list of distinct class names", base.schema)


def _class_weights() -> Converter:
    base = vector_or_none("a vector of positive class weights")

    def convert(v):
        value = base(v)
        if value != "none" and any(not (math.isfinite(w) and w > 0) for w in value):
            raise ValueError
        return value

    return Converter(convert, "'none' or a vector of positive finite class weights", base.schema)


def _weights_vector() -> Converter:
    """A required vector of positive class weights (weightedClassificationLayer)."""
    base = _class_weights()

    def convert(v):
        value = base(v)
        if value == "none":
            raise ValueError
        return value

    return Converter(convert, "a vector of positive finite class weights", {"type": "array", "items": {"type": "number"}})


def _response_names() -> Converter:
    base = string_list()

    def convert(v):
        value = base(v)
        return () if value == "auto" else value

    return Converter(convert, "a list of response names (or {})", {"type": "array", "items": {"type": "string"}})


def _as_tensor(layer: Layer, value, like: torch.Tensor, what: str = "targets") -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.to(like.device)
    try:
        return torch.as_tensor(value, device=like.device)
    except (TypeError, ValueError, RuntimeError):
        raise TrainingError(f"{layer.label()}: {what} must be a numeric array.") from None


def _channel_axis(outputs: torch.Tensor, layout: Layout | None, default_sequence: bool = True) -> int:
    if layout is not None:
        return channel_dim(layout)
    return 2 if (default_sequence and outputs.dim() == 3) else 1


def _is_sequence(outputs: torch.Tensor, layout: Layout | None, default_sequence: bool = True) -> bool:
    if layout is not None:
        return bool(layout.has_time)
    return default_sequence and outputs.dim() == 3


def one_hot_targets(layer: Layer, outputs: torch.Tensor, targets, axis: int) -> torch.Tensor:
    """Targets as an array of the outputs' size; class index -1 / NaN becomes an all-zero (undefined) vector."""
    t = _as_tensor(layer, targets, outputs)
    if tuple(t.shape) == tuple(outputs.shape):
        return t.to(outputs.dtype)
    k = outputs.shape[axis]
    index_shape = tuple(outputs.shape[:axis]) + tuple(outputs.shape[axis + 1:])
    if t.numel() != math.prod(index_shape):
        raise TrainingError(
            f"{layer.label()}: targets of size {times_str(t.shape)} do not match the outputs of size "
            f"{times_str(outputs.shape)}; expected class indices of size {times_str(index_shape)} "
            f"or one-hot targets of size {times_str(outputs.shape)}."
        )
    t = t.reshape(index_shape)
    if torch.is_floating_point(t):
        undefined = torch.isnan(t)
        t = torch.where(undefined, torch.full_like(t, -1), t)
        if not torch.equal(t, torch.round(t)):
            raise TrainingError(f"{layer.label()}: class indices must be integers (0-based; -1 marks an undefined label).")
    elif t.dtype == torch.bool:
        t = t.long()
    idx = t.long()
    bad = (idx < -1) | (idx >= k)
    if bool(bad.any()):
        value = int(idx[bad][0])
        raise TrainingError(
            f"{layer.label()}: class index {value} is out of range; the outputs have {k} classes "
            f"(indices 0 to {k - 1}, -1 for an undefined label)."
        )
    defined = idx >= 0
    hot = torch.nn.functional.one_hot(idx.clamp_min(0), k).to(outputs.dtype)
    hot = hot * defined.unsqueeze(-1).to(outputs.dtype)
    return hot.movedim(-1, axis)


def _matching_targets(layer: Layer, outputs: torch.Tensor, targets) -> torch.Tensor:
    """Numeric responses reshaped to the outputs' size (regression)."""
    t = _as_tensor(layer, targets, outputs).to(outputs.dtype)
    if t.numel() != outputs.numel():
        raise TrainingError(
            f"{layer.label()}: targets of size {times_str(t.shape)} do not match the outputs of size "
            f"{times_str(outputs.shape)}."
        )
    return t.reshape(outputs.shape)


def _bounded_log(y: torch.Tensor) -> torch.Tensor:
    """log(Y) with Y bounded away from zero by single-precision eps, as MATLAB's loss layers do."""
    return torch.log(y.clamp_min(FLOAT32_EPS))


def _weight_shape(outputs: torch.Tensor, axis: int, weights) -> torch.Tensor:
    shape = [1] * outputs.dim()
    shape[axis] = -1
    return torch.as_tensor(weights, dtype=outputs.dtype, device=outputs.device).reshape(shape)


def _check_weights_count(layer: Layer, weights, k: int) -> None:
    if len(weights) != k:
        raise TrainingError(f"{layer.label()}: ClassWeights has {len(weights)} elements but the outputs have {k} classes.")


class LossModule(nn.Module):
    """An output layer as a module: ``module(outputs, targets)`` is the MATLAB loss (not called in forward)."""

    def __init__(self, layer: Layer, layout: Layout | None = None):
        super().__init__()
        self.layer = layer
        self.layout = layout

    def forward(self, outputs, targets):
        return self.layer.loss(outputs, targets, layout=self.layout)

    def extra_repr(self) -> str:
        return f"{self.layer.MATLAB_NAME}: {self.layer.description()}"


ClassificationLoss = LossModule  # the name the first version used


class OutputLayer(Layer):
    """Common ground of the loss layers: one input ``in``, no outputs, a loss module."""

    FAMILY = "output"
    IS_OUTPUT = True
    TASK = "regression"  # "classification": targets are class labels (training reports accuracy)

    def infer(self, inputs):
        self.check_input(inputs[0])
        return []

    def check_input(self, x: Layout) -> None:
        """Raise LayoutError when the layer cannot take input ``x`` (override)."""

    def build(self, inputs):
        return LossModule(self, inputs[0] if inputs else None)

    def _check_classes(self, x: Layout) -> None:
        classes = self._values.get("Classes", "auto")
        if classes != "auto" and x.channels != len(classes):
            raise LayoutError(
                f"Input size mismatch. The layer has {len(classes)} classes, but its input has {x.channels} channels."
            )


class _ClassesMixin:
    """Classes/ClassWeights checks and the derived OutputSize/LossFunction properties."""

    LOSS_FUNCTION = "crossentropyex"

    def _check(self):
        weights = self._values.get("ClassWeights", "none")
        classes = self._values.get("Classes", "auto")
        if weights != "none":
            if classes == "auto":
                raise self.fail("ClassWeights requires Classes to be specified (set 'Classes' as well).")
            if len(weights) != len(classes):
                raise self.fail(f"ClassWeights has {len(weights)} elements but there are {len(classes)} classes.")

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["LossFunction"] = lambda self: self.LOSS_FUNCTION
        props["OutputSize"] = lambda self: "auto" if self.Classes == "auto" else len(self.Classes)
        return props


# --------------------------------------------------------------------------------------------------
# classificationLayer, regressionLayer


@register
class ClassificationOutputLayer(_ClassesMixin, OutputLayer):
    """Cross-entropy output: ``classificationLayer``.

    Loss ``-(1/(N*S)) * sum_n sum_t sum_k w_k T log(Y)`` on softmax scores, Y bounded away from 0 by
    single eps. S is the number of time steps for sequence-to-sequence outputs and 1 otherwise. Class
    weights multiply the terms; there is no division by their sum. Torch layout in: N×K, N×K×1×1 or
    N×T×K. Undefined labels (index -1 or an all-zero target) add nothing but still count in N*S.
    """

    TASK = "classification"

    MATLAB_NAME = "classificationLayer"
    TYPE = "Classification Output"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "classificationLayer(Name=Value)"
    OPTIONS = (
        Option("Classes", _classes(), "auto"),
        Option("ClassWeights", _class_weights(), "none"),
    )

    def check_input(self, x):
        if any(s != 1 for s in x.spatial):
            raise LayoutError(
                f"Invalid input data. The classification layer expects input of size 1×1×K (one score per class), "
                f"but received input of size {x.matlab_size()}. Use pixelClassificationLayer for per-pixel classes."
            )
        self._check_classes(x)

    def loss(self, outputs, targets, layout=None):
        axis = _channel_axis(outputs, layout)
        t = one_hot_targets(self, outputs, targets, axis)
        terms = t * _bounded_log(outputs)
        if self.ClassWeights != "none":
            _check_weights_count(self, self.ClassWeights, outputs.shape[axis])
            terms = terms * _weight_shape(outputs, axis, self.ClassWeights)
        observations = outputs.numel() // max(outputs.shape[axis], 1)  # N, or N*S for sequences
        return -terms.sum() / observations

    def description(self):
        return class_description(self.Classes)


def classification_loss(outputs: torch.Tensor, targets, class_weights="none") -> torch.Tensor:
    """MATLAB crossentropyex on torch-layout scores (kept for callers of the first version)."""
    layer = ClassificationOutputLayer()
    if class_weights != "none":
        layer = ClassificationOutputLayer(Classes=[str(i) for i in range(len(class_weights))], ClassWeights=class_weights)
    return layer.loss(outputs, targets)


@register
class RegressionOutputLayer(OutputLayer):
    """Half mean squared error output: ``regressionLayer``.

    Loss ``sum((Y-T)^2) / (2*N)``, and ``/ (2*N*S)`` for sequence-to-sequence outputs: summed over
    responses and pixels, not averaged over them. Torch layout in: N×R, N×T×R, N×C×H×W.
    """

    MATLAB_NAME = "regressionLayer"
    TYPE = "Regression Output"
    DEFAULT_NAME = "regressionoutput"
    SYNTAX = "regressionLayer(Name=Value)"
    OPTIONS = (Option("ResponseNames", _response_names(), ()),)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["LossFunction"] = lambda self: "mean-squared-error"
        return props

    def check_input(self, x):
        names = self.ResponseNames
        if names and not x.spatial and len(names) != x.channels:
            raise LayoutError(
                f"Input size mismatch. The layer has {len(names)} response names, but its input has {x.channels} channels."
            )

    def loss(self, outputs, targets, layout=None):
        t = _matching_targets(self, outputs, targets)
        n = outputs.shape[0]
        if _is_sequence(outputs, layout):
            n = n * outputs.shape[1]
        return (outputs - t).pow(2).sum() / (2 * n)

    def description(self):
        return "mean-squared-error" + class_list_suffix(self.ResponseNames, "response")


# --------------------------------------------------------------------------------------------------
# Semantic segmentation losses (Computer Vision Toolbox)


def _require_image(layer: Layer, x: Layout) -> None:
    if len(x.spatial) not in (2, 3) or x.has_time:
        raise LayoutError(
            f"Invalid input data. {layer.MATLAB_NAME} expects 2-D or 3-D image input (format 'SSCB' or 'SSSCB'), "
            f"but received input with format '{x.format}'."
        )


@register
class PixelClassificationLayer(_ClassesMixin, OutputLayer):
    """Per-pixel cross entropy: ``pixelClassificationLayer``.

    Unweighted: ``-sum(T log Y) / (N*H*W)``, where the divisor counts every pixel, undefined ones
    included. Weighted (ClassWeights): ``-sum_p w_c(p) log Y_p,c(p) / sum_p w_c(p)``, a weighted mean over
    the labelled pixels of the mini-batch. Torch layout in: N×K×H×W or N×K×H×W×D.
    """

    TASK = "classification"

    MATLAB_NAME = "pixelClassificationLayer"
    TYPE = "Pixel Classification Layer"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "pixelClassificationLayer(Name=Value)"
    OPTIONS = (
        Option("Classes", _classes(), "auto"),
        Option("ClassWeights", _class_weights(), "none"),
    )

    def check_input(self, x):
        _require_image(self, x)
        self._check_classes(x)

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, 1)
        terms = t * _bounded_log(outputs)
        if self.ClassWeights == "none":
            pixels = outputs.numel() // outputs.shape[1]  # N*H*W(*D), undefined pixels included
            return -terms.sum() / pixels
        _check_weights_count(self, self.ClassWeights, outputs.shape[1])
        w = _weight_shape(outputs, 1, self.ClassWeights)
        pixel_weight = (t * w).sum(dim=1)
        return -(terms * w).sum() / (pixel_weight.sum() + FLOAT32_EPS)

    def description(self):
        return "Cross-entropy loss" + class_list_suffix(self.Classes)


@register
class DicePixelClassificationLayer(OutputLayer):
    """Generalized Dice loss: ``dicePixelClassificationLayer``.

    Per image n: ``W_k = 1/max(eps, (sum_p T_pk)^2)``, ``numer = 2 sum_k W_k sum_p Y T + eps``,
    ``denom = sum_k W_k sum_p (Y^2 + T^2) + eps``; loss ``sum_n (1 - numer/denom) / N`` with eps the
    single-precision eps. Undefined pixels are left out of both sums (their Y is masked).
    """

    TASK = "classification"

    MATLAB_NAME = "dicePixelClassificationLayer"
    TYPE = "Dice Pixel Classification Layer"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "dicePixelClassificationLayer(Name=Value)"
    OPTIONS = (Option("Classes", _classes(), "auto"),)

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["OutputSize"] = lambda self: "auto" if self.Classes == "auto" else len(self.Classes)
        return props

    def check_input(self, x):
        _require_image(self, x)
        self._check_classes(x)

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, 1)
        labelled = (t != 0).any(dim=1, keepdim=True).to(outputs.dtype)
        y = outputs * labelled
        spatial = tuple(range(2, outputs.dim()))
        counts = t.sum(dim=spatial)  # N×K
        w = 1.0 / torch.clamp_min(counts * counts, FLOAT32_EPS)
        intersection = (y * t).sum(dim=spatial)
        union = (y * y + t * t).sum(dim=spatial)
        numer = 2 * (w * intersection).sum(dim=1) + FLOAT32_EPS
        denom = (w * union).sum(dim=1) + FLOAT32_EPS
        return (1 - numer / denom).sum() / outputs.shape[0]

    def description(self):
        return "Generalized Dice loss" + class_list_suffix(self.Classes)


@register
class FocalLossLayer(OutputLayer):
    """Focal loss: ``focalLossLayer`` (also the legacy ``focalLossLayer(gamma, alpha)``).

    Loss ``-(1/M) sum alpha T (1-Y)^gamma log Y`` on softmax scores, the multi-class form with one alpha
    for every class. M is the number of labelled positions (observations × pixels whose target is not
    all zero); the loss is 0 when M = 0. Y and 1-Y are bounded away from 0 by single eps.
    """

    TASK = "classification"

    MATLAB_NAME = "focalLossLayer"
    TYPE = "Focal Loss Layer"
    DEFAULT_NAME = "focallossoutput"
    SYNTAX = "focalLossLayer(Name=Value)"
    POSITIONAL = ("Gamma", "Alpha")
    OPTIONS = (
        Option("Gamma", real_scalar(low=0), 2.0),
        Option("Alpha", real_scalar(low=0, low_open=True), 0.25),
        Option("Classes", _classes(), "auto"),
    )

    def _check(self):
        classes = self._values.get("Classes", "auto")
        if classes != "auto" and len(classes) < 2:
            raise self.fail("Classes must contain at least two classes.")

    @classmethod
    def derived_properties(cls):
        props = dict(super().derived_properties())
        props["OutputSize"] = lambda self: "auto" if self.Classes == "auto" else len(self.Classes)
        return props

    def check_input(self, x):
        self._check_classes(x)

    def loss(self, outputs, targets, layout=None):
        axis = _channel_axis(outputs, layout)
        t = one_hot_targets(self, outputs, targets, axis)
        m = (t != 0).any(dim=axis).sum()
        one_minus = (1 - outputs).clamp_min(FLOAT32_EPS)
        terms = self.Alpha * t * one_minus.pow(self.Gamma) * _bounded_log(outputs)
        total = -terms.sum()
        return torch.where(m > 0, total / m.clamp_min(1).to(outputs.dtype), total * 0)

    def description(self):
        return "Focal loss" + class_list_suffix(self.Classes)


# --------------------------------------------------------------------------------------------------
# Custom output layers of the MATLAB documentation examples, made available as layers


class _NamePositional:
    """Constructors of MATLAB's doc-example layers: ``f(leading..., name, trailing...)``.

    ``POSITIONAL`` holds the leading arguments; ``TRAILING`` the ones after the name. A string in the
    name's position that is not an option name is the name when the rest of the arguments fit (the full
    positional form, or name-value pairs after the name); otherwise the arguments are name-value pairs.
    """

    TRAILING: tuple = ()

    @classmethod
    def _parse_arguments(cls, args, kwargs):
        args = list(args)
        i = len(cls.POSITIONAL)
        if len(args) > i and isinstance(args[i], str) and not cls._is_option_name(args[i]):
            rest = args[i + 1:]
            n = len(cls.TRAILING)
            take = None
            if len(rest) >= n and (len(rest) - n) % 2 == 0 and all(not isinstance(a, str) for a in rest[:n]):
                take = n
            elif len(rest) % 2 == 0:
                take = 0
            if take is not None:
                pairs = ["Name", args[i]]
                for name, value in zip(cls.TRAILING[:take], rest[:take]):
                    pairs += [name, value]
                args = args[:i] + pairs + rest[take:]
        return super()._parse_arguments(tuple(args), kwargs)



@register
class WeightedClassificationLayer(_NamePositional, OutputLayer):
    """Weighted cross entropy of the MATLAB custom-layer example: ``weightedClassificationLayer(classWeights, name)``.

    Loss ``-sum_n sum_k w_k T log Y / N`` (plain division by N, no bounding of Y, as in the example).
    Torch layout in: N×K or N×K×1×1.
    """

    TASK = "classification"

    MATLAB_NAME = "weightedClassificationLayer"
    EXAMPLE = "weightedClassificationLayer([1, 2, 1])"
    TYPE = "weightedClassificationLayer"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "weightedClassificationLayer(classWeights, name)"
    POSITIONAL = ("ClassWeights",)
    OPTIONS = (Option("ClassWeights", _weights_vector(), required=True),)

    def check_input(self, x):
        if x.has_time or any(s != 1 for s in x.spatial):
            raise LayoutError(
                f"Invalid input data. weightedClassificationLayer expects input of size 1×1×K, "
                f"but received input with format '{x.format}' and size {x.matlab_size()}."
            )
        if x.channels != len(self.ClassWeights):
            raise LayoutError(
                f"Input size mismatch. The layer has {len(self.ClassWeights)} class weights, "
                f"but its input has {x.channels} channels."
            )

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, 1)
        _check_weights_count(self, self.ClassWeights, outputs.shape[1])
        w = _weight_shape(outputs, 1, self.ClassWeights)
        return -(w * t * torch.log(outputs)).sum() / outputs.shape[0]

    def description(self):
        return "Weighted cross entropy"


@register
class TverskyPixelClassificationLayer(_NamePositional, OutputLayer):
    """Tversky loss of the MATLAB custom-layer example: ``tverskyPixelClassificationLayer(name, alpha, beta)``.

    Per image and class: ``TP = sum Y T``, ``FP = sum Y (1-T)``, ``FN = sum (1-Y) T`` over the pixels,
    ``TI = (TP + eps) / (TP + Alpha FP + Beta FN + eps)`` with eps = 1e-8; loss ``sum_n sum_k (1 - TI) / N``.
    Alpha weights false positives, Beta false negatives. As in the example, an undefined pixel (all-zero
    target) is not masked: its scores count as false positives.
    """

    TASK = "classification"

    MATLAB_NAME = "tverskyPixelClassificationLayer"
    TYPE = "tverskyPixelClassificationLayer"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "tverskyPixelClassificationLayer(name, alpha, beta)"
    TRAILING = ("Alpha", "Beta")
    OPTIONS = (
        Option("Alpha", real_scalar(low=0), 0.5),
        Option("Beta", real_scalar(low=0), 0.5),
        Option("Epsilon", real_scalar(low=0), 1e-8, settable=False),
    )

    def check_input(self, x):
        _require_image(self, x)

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, 1)
        spatial = tuple(range(2, outputs.dim()))
        tp = (outputs * t).sum(dim=spatial)
        fp = (outputs * (1 - t)).sum(dim=spatial)
        fn = ((1 - outputs) * t).sum(dim=spatial)
        eps = self.Epsilon
        ti = (tp + eps) / (tp + self.Alpha * fp + self.Beta * fn + eps)
        return (1 - ti).sum() / outputs.shape[0]

    def description(self):
        return "Tversky loss"


@register
class SSEClassificationLayer(_NamePositional, OutputLayer):
    """Sum of squares error of the MATLAB custom-layer example: ``sseClassificationLayer(name)``.

    Loss ``sum (Y - T)^2 / N`` with one-hot targets. Any torch layout.
    """

    TASK = "classification"

    MATLAB_NAME = "sseClassificationLayer"
    TYPE = "sseClassificationLayer"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "sseClassificationLayer(name)"

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, _channel_axis(outputs, layout))
        return (outputs - t).pow(2).sum() / outputs.shape[0]

    def description(self):
        return "Sum of squares error"


@register
class MAERegressionLayer(_NamePositional, OutputLayer):
    """Mean absolute error of the MATLAB custom-layer example: ``maeRegressionLayer(name)``.

    Loss ``sum_n (sum_r |Y - T| / R) / N``: R is the number of channels (responses); everything else
    (pixels, time steps) is summed.
    """

    MATLAB_NAME = "maeRegressionLayer"
    TYPE = "maeRegressionLayer"
    DEFAULT_NAME = "regressionoutput"
    SYNTAX = "maeRegressionLayer(name)"

    def loss(self, outputs, targets, layout=None):
        t = _matching_targets(self, outputs, targets)
        r = outputs.shape[_channel_axis(outputs, layout)] if outputs.dim() > 1 else 1
        return (outputs - t).abs().sum() / r / outputs.shape[0]

    def description(self):
        return "Mean absolute error"


# --------------------------------------------------------------------------------------------------
# Faster R-CNN pieces (Computer Vision Toolbox)


class RPNSoftmaxModule(nn.Module):
    """N×2A×H×W -> N×2×(H·W)×A: softmax over the class pair (channel a with channel a+A).

    The (H·W) index is MATLAB's column-major one, ``h + H*w``.
    """

    def forward(self, x):
        n, c, h, w = x.shape
        a = c // 2
        z = torch.softmax(x.reshape(n, 2, a, h, w), dim=1)
        return z.permute(0, 1, 4, 3, 2).reshape(n, 2, w * h, a)


@register
class RPNSoftmaxLayer(Layer):
    """Region-proposal softmax: ``rpnSoftmaxLayer``.

    MATLAB input H×W×2A; channel a (0-based) belongs to anchor a mod A and class floor(a/A), so channel a
    pairs with a+A. Output (H·W)×A×2 (torch N×2×(H·W)×A), softmax over the pair.
    """

    MATLAB_NAME = "rpnSoftmaxLayer"
    TYPE = "RPN Softmax"
    DEFAULT_NAME = "rpnsoftmax"
    SYNTAX = "rpnSoftmaxLayer(Name=Value)"
    FAMILY = "output"

    def infer(self, inputs):
        x = inputs[0]
        if len(x.spatial) != 2 or x.has_time:
            raise LayoutError(
                f"Invalid input data. rpnSoftmaxLayer expects 2-D image input (format 'SSCB'), "
                f"but received input with format '{x.format}'."
            )
        if x.channels % 2:
            raise LayoutError(
                f"Invalid input data. rpnSoftmaxLayer expects an even number of channels (2 per anchor), "
                f"but its input has {x.channels} channels."
            )
        h, w = x.spatial
        return [Layout((h * w, x.channels // 2), 2)]

    def build(self, inputs):
        return RPNSoftmaxModule()

    def description(self):
        return "rpn softmax"


@register
class RPNClassificationLayer(OutputLayer):
    """Region-proposal cross entropy: ``rpnClassificationLayer``.

    Loss ``-sum T log Y / max(nnz(T), 1)``: normalised by the number of nonzero target entries (the
    sampled anchors), not by N. Exactly 2 classes (object, background). Unsampled anchors have all-zero
    targets (or index -1).
    """

    TASK = "classification"

    MATLAB_NAME = "rpnClassificationLayer"
    TYPE = "RPN Classification Output"
    DEFAULT_NAME = "classoutput"
    SYNTAX = "rpnClassificationLayer(Name=Value)"

    def check_input(self, x):
        if x.channels != 2:
            raise LayoutError(
                f"Invalid input data. rpnClassificationLayer expects 2 classes (object and background), "
                f"but its input has {x.channels} channels."
            )

    def loss(self, outputs, targets, layout=None):
        t = one_hot_targets(self, outputs, targets, _channel_axis(outputs, layout, default_sequence=False))
        count = torch.count_nonzero(t).clamp_min(1).to(outputs.dtype)
        return -(t * _bounded_log(outputs)).sum() / count

    def description(self):
        return "cross-entropy loss with 'object' and 'background' classes"


@register
class RCNNBoxRegressionLayer(OutputLayer):
    """Box regression with smooth L1: ``rcnnBoxRegressionLayer``.

    With x = Y - T: ``l = 0.5 x^2`` if |x| < 1 else ``|x| - 0.5`` (beta = 1); loss ``sum(w .* l)``. The
    weights come with the targets, ``loss(Y, (T, W))``; targets alone mean W = 1/N (MATLAB's trainers
    pass instance weights such as 1/N, with zeros for boxes that do not count).
    """

    MATLAB_NAME = "rcnnBoxRegressionLayer"
    TYPE = "Box Regression Output"
    DEFAULT_NAME = "boxRegression"
    SYNTAX = "rcnnBoxRegressionLayer(Name=Value)"

    def loss(self, outputs, targets, layout=None):
        weights = None
        if isinstance(targets, (tuple, list)) and len(targets) == 2 and not isinstance(targets[0], (int, float)):
            targets, weights = targets
        t = _matching_targets(self, outputs, targets)
        x = outputs - t
        ax = x.abs()
        elementwise = torch.where(ax < 1, 0.5 * x * x, ax - 0.5)
        if weights is None:
            return elementwise.sum() / outputs.shape[0]
        w = _as_tensor(self, weights, outputs, "instance weights").to(outputs.dtype)
        try:
            w = torch.broadcast_to(w, outputs.shape) if w.numel() != outputs.numel() else w.reshape(outputs.shape)
        except RuntimeError:
            raise TrainingError(
                f"{self.label()}: instance weights of size {times_str(w.shape)} do not match the outputs of size "
                f"{times_str(outputs.shape)}."
            ) from None
        return (w * elementwise).sum()

    def description(self):
        return "smooth-l1 loss"


__all__ = [
    "FLOAT32_EPS",
    "LossModule",
    "OutputLayer",
    "one_hot_targets",
    "class_description",
    "class_list_suffix",
    "classification_loss",
    "channel_dim",
]
