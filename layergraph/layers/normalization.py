"""Normalization layers: batch, group, layer, instance and cross-channel (local response) normalization.

Per-channel learnables (Offset β, Scale γ) and statistics use MATLAB's sizes: 1×1×C for 2-D images,
1×1×1×C for 3-D images, C×1 for features and sequences. The torch modules hold them as length-C
parameters/buffers named by the MATLAB property (``Offset``, ``Scale``, ``TrainedMean``, ...).
Torch layout in and out: N×[T]×C×spatial.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .activation import channel_dim, per_channel_shape
from .base import Layer, Layout, initialize, learnable_values, num_str, register
from .options import (Converter, Option, auto_or, choice, factor, initializer, integer_between, numeric_array,
                      positive_integer, real_scalar)

NORM_INITIALIZERS = ("zeros", "ones", "narrow-normal")


def affine_options() -> tuple:
    """Epsilon, NumChannels (read-only), Offset/Scale with initializers and factors, as MATLAB's norm layers."""
    return (
        Option("Epsilon", real_scalar(low=0, low_open=True), 1e-5),
        Option("NumChannels", auto_or(positive_integer()), "auto", settable=False),
        Option("OffsetInitializer", initializer(*NORM_INITIALIZERS), "zeros"),
        Option("ScaleInitializer", initializer(*NORM_INITIALIZERS), "ones"),
        Option("Offset", numeric_array(), None, learnable=True),
        Option("Scale", numeric_array(), None, learnable=True),
        Option("OffsetLearnRateFactor", factor(), 1.0),
        Option("ScaleLearnRateFactor", factor(), 1.0),
        Option("OffsetL2Factor", factor(), 1.0),
        Option("ScaleL2Factor", factor(), 1.0),
    )


class _AffineNormLayer(Layer):
    """Shared behaviour: per-channel Offset and Scale, NumChannels resolved from the input."""

    FAMILY = "normalization"
    TITLE = "Normalization"  # the description's first words

    def learnable_sizes(self, inputs):
        shape = per_channel_shape(inputs[0])
        return {"Offset": shape, "Scale": shape}

    def resolve(self, inputs):
        return {"NumChannels": inputs[0].channels}

    def initial_value(self, prop, inputs):
        c = inputs[0].channels
        init = self.OffsetInitializer if prop == "Offset" else self.ScaleInitializer
        return initialize(init, per_channel_shape(inputs[0]), c, c, layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return value.reshape(-1)

    def from_torch(self, prop, value, inputs):
        return value.reshape(per_channel_shape(inputs[0]))

    def description(self):
        if self.NumChannels == "auto":
            return self.TITLE
        return f"{self.TITLE} with {self.NumChannels} channels"


def _to_channels_first(x: torch.Tensor, time: bool) -> torch.Tensor:
    """N×T×C×S... -> N×C×T×S... (so that C is dim 1 for torch's functional norms)."""
    return x.transpose(1, 2) if time else x


# --------------------------------------------------------------------------------------------------
# Batch normalization


class BatchNormModule(nn.Module):
    """Batch normalization on N×[T]×C×S...; running statistics are the buffers TrainedMean/TrainedVariance.

    Training: normalize with the mini-batch mean and biased variance over N, T and S; update
    ``TrainedMean ← MeanDecay·mean + (1−MeanDecay)·TrainedMean`` and likewise the variance with
    VarianceDecay, using the unbiased (m/(m−1)) batch variance as torch does. Eval: use the buffers.
    """

    def __init__(self, offset, scale, mean, variance, epsilon, mean_decay, variance_decay, time: bool):
        super().__init__()
        self.Offset = nn.Parameter(offset)
        self.Scale = nn.Parameter(scale)
        self.register_buffer("TrainedMean", mean)
        self.register_buffer("TrainedVariance", variance)
        self.epsilon = float(epsilon)
        self.mean_decay = float(mean_decay)
        self.variance_decay = float(variance_decay)
        self.time = time

    def forward(self, x):
        x = _to_channels_first(x, self.time)
        if not self.training or self.mean_decay == self.variance_decay:
            y = F.batch_norm(x, self.TrainedMean, self.TrainedVariance, self.Scale, self.Offset,
                             self.training, self.mean_decay, self.epsilon)
        else:
            y = F.batch_norm(x, None, None, self.Scale, self.Offset, True, 0.0, self.epsilon)
            with torch.no_grad():
                dims = [d for d in range(x.dim()) if d != 1]
                m = x.numel() // x.shape[1]
                mean = x.mean(dim=dims)
                var = x.var(dim=dims, unbiased=False) * (m / max(m - 1, 1))
                self.TrainedMean.mul_(1 - self.mean_decay).add_(self.mean_decay * mean)
                self.TrainedVariance.mul_(1 - self.variance_decay).add_(self.variance_decay * var)
        return _to_channels_first(y, self.time)

    def extra_repr(self) -> str:
        return f"channels={self.Offset.numel()}, Epsilon={self.epsilon}, MeanDecay={self.mean_decay}"


@register
class BatchNormalizationLayer(_AffineNormLayer):
    """Batch normalization: ``batchNormalizationLayer``; per-channel statistics over S, T and B.

    Learnables Offset and Scale (1×1×C for images, C×1 for features/sequences); state TrainedMean
    (initially zeros) and TrainedVariance (initially ones). Torch layout in/out: N×[T]×C×S...
    """

    MATLAB_NAME = "batchNormalizationLayer"
    # MATLAB's object display (Layer.__str__)
    DISPLAY_TOP = ("NumChannels",)
    DISPLAY_HYPERPARAMETERS = ("MeanDecay", "VarianceDecay", "Epsilon")
    TYPE = "Batch Normalization"
    DEFAULT_NAME = "batchnorm"
    SYNTAX = "batchNormalizationLayer(Name=Value)"
    TITLE = "Batch normalization"
    OPTIONS = affine_options() + (
        Option("MeanDecay", real_scalar(low=0, high=1), 0.1),
        Option("VarianceDecay", real_scalar(low=0, high=1), 0.1),
        Option("TrainedMean", numeric_array(finite=True), None, state=True),
        Option("TrainedVariance", numeric_array(finite=True, low=0), None, state=True),
    )

    def state_sizes(self, inputs):
        shape = per_channel_shape(inputs[0])
        return {"TrainedMean": shape, "TrainedVariance": shape}

    def initial_value(self, prop, inputs):
        shape = per_channel_shape(inputs[0])
        if prop == "TrainedMean":
            return torch.zeros(shape)
        if prop == "TrainedVariance":
            return torch.ones(shape)
        return super().initial_value(prop, inputs)

    def build(self, inputs):
        v = learnable_values(self, inputs)
        return BatchNormModule(v["Offset"], v["Scale"], v["TrainedMean"], v["TrainedVariance"], self.Epsilon,
                               self.MeanDecay, self.VarianceDecay, inputs[0].has_time)


# --------------------------------------------------------------------------------------------------
# Group and instance normalization


class GroupNormModule(nn.Module):
    """Group normalization: per observation over S, T and the C/G consecutive channels of each group."""

    def __init__(self, offset, scale, groups: int, epsilon: float, time: bool):
        super().__init__()
        self.Offset = nn.Parameter(offset)
        self.Scale = nn.Parameter(scale)
        self.groups = groups
        self.epsilon = float(epsilon)
        self.time = time

    def forward(self, x):
        x = _to_channels_first(x, self.time)
        y = F.group_norm(x, self.groups, self.Scale, self.Offset, self.epsilon)
        return _to_channels_first(y, self.time)

    def extra_repr(self) -> str:
        return f"groups={self.groups}, Epsilon={self.epsilon}"


def _num_groups() -> Converter:
    def convert(v):
        if isinstance(v, str):
            lowered = v.lower()
            if lowered in ("all-channels", "channel-wise"):
                return lowered
            raise ValueError
        return positive_integer()(v)

    return Converter(
        convert,
        "a positive integer, 'all-channels' or 'channel-wise'",
        {"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["all-channels", "channel-wise"]}]},
    )


@register
class GroupNormalizationLayer(_AffineNormLayer):
    """Group normalization: ``groupNormalizationLayer(numGroups)``; numGroups | 'all-channels' | 'channel-wise'.

    Groups are consecutive blocks of C/G channels; biased variance; per-channel Offset/Scale.
    """

    MATLAB_NAME = "groupNormalizationLayer"
    EXAMPLE = "groupNormalizationLayer(4)"
    TYPE = "Group Normalization"
    DEFAULT_NAME = "groupnorm"
    SYNTAX = "groupNormalizationLayer(numGroups, Name=Value)"
    TITLE = "Group normalization"
    POSITIONAL = ("NumGroups",)
    OPTIONS = (Option("NumGroups", _num_groups(), required=True),) + affine_options()

    def groups_for(self, layout: Layout) -> int:
        c = layout.channels
        if self.NumGroups == "all-channels":
            return 1
        if self.NumGroups == "channel-wise":
            return c
        if c % self.NumGroups:
            raise LayoutError(
                f"Invalid number of groups. The number of channels ({c}) must be divisible by the number of "
                f"groups ({self.NumGroups})."
            )
        return self.NumGroups

    def infer(self, inputs):
        self.groups_for(inputs[0])
        return [inputs[0]]

    def build(self, inputs):
        v = learnable_values(self, inputs)
        x = inputs[0]
        return GroupNormModule(v["Offset"], v["Scale"], self.groups_for(x), self.Epsilon, x.has_time)


@register
class InstanceNormalizationLayer(_AffineNormLayer):
    """Instance normalization: ``instanceNormalizationLayer``; per observation and channel over S and T."""

    MATLAB_NAME = "instanceNormalizationLayer"
    TYPE = "Instance Normalization"
    DEFAULT_NAME = "instancenorm"
    SYNTAX = "instanceNormalizationLayer(Name=Value)"
    TITLE = "Instance normalization"
    OPTIONS = affine_options()

    def build(self, inputs):
        v = learnable_values(self, inputs)
        x = inputs[0]
        return GroupNormModule(v["Offset"], v["Scale"], x.channels, self.Epsilon, x.has_time)


# --------------------------------------------------------------------------------------------------
# Layer normalization


class DimsNormModule(nn.Module):
    """Normalize over the torch dims ``dims`` (biased variance), then per-channel Scale and Offset."""

    def __init__(self, offset, scale, dims: tuple, epsilon: float, channel_shape: tuple):
        super().__init__()
        self.Offset = nn.Parameter(offset)
        self.Scale = nn.Parameter(scale)
        self.dims = tuple(dims)
        self.epsilon = float(epsilon)
        self.channel_shape = tuple(channel_shape)

    def forward(self, x):
        mean = x.mean(dim=self.dims, keepdim=True)
        var = (x - mean).pow(2).mean(dim=self.dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.epsilon)
        return y * self.Scale.reshape(self.channel_shape) + self.Offset.reshape(self.channel_shape)

    def extra_repr(self) -> str:
        return f"dims={self.dims}, Epsilon={self.epsilon}"


@register
class LayerNormalizationLayer(_AffineNormLayer):
    """Layer normalization: ``layerNormalizationLayer(OperationDimension=...)``; per-channel Offset/Scale.

    OperationDimension: 'auto' (spatial-channel for inputs with 2+ spatial dims, otherwise channel-only),
    'channel-only' (per observation, time step and position, over C), 'spatial-channel' (over S and C),
    'batch-excluded' (over every dimension except B, including T).
    """

    MATLAB_NAME = "layerNormalizationLayer"
    TYPE = "Layer Normalization"
    DEFAULT_NAME = "layernorm"
    SYNTAX = "layerNormalizationLayer(Name=Value)"
    TITLE = "Layer normalization"
    OPTIONS = affine_options() + (
        Option("OperationDimension", choice("auto", "channel-only", "spatial-channel", "batch-excluded"), "auto"),
    )

    def operation_dimension(self, layout: Layout) -> str:
        if self.OperationDimension != "auto":
            return self.OperationDimension
        return "spatial-channel" if len(layout.spatial) > 1 else "channel-only"

    def torch_dims(self, layout: Layout) -> tuple:
        c = channel_dim(layout)
        spatial = tuple(range(c + 1, c + 1 + len(layout.spatial)))
        mode = self.operation_dimension(layout)
        if mode == "channel-only":
            return (c,)
        if mode == "spatial-channel":
            return (c,) + spatial
        return tuple(range(1, c + 1 + len(layout.spatial)))

    def build(self, inputs):
        v = learnable_values(self, inputs)
        x = inputs[0]
        shape = ((1,) if x.has_time else ()) + (x.channels,) + (1,) * len(x.spatial)
        return DimsNormModule(v["Offset"], v["Scale"], self.torch_dims(x), self.Epsilon, shape)


# --------------------------------------------------------------------------------------------------
# Cross-channel (local response) normalization


class CrossChannelNormModule(nn.Module):
    """``y = x / (K + Alpha*ss/w)^Beta``, ss = sum of x² over floor((w−1)/2) channels behind and floor(w/2) ahead."""

    def __init__(self, window: int, alpha: float, beta: float, k: float, cdim: int):
        super().__init__()
        self.window = window
        self.alpha = alpha
        self.beta = beta
        self.k = k
        self.cdim = cdim

    def forward(self, x):
        w = self.window
        sq = x.pow(2).movedim(self.cdim, -1)
        sq = F.pad(sq, ((w - 1) // 2, w // 2))
        ss = sq.unfold(-1, w, 1).sum(-1).movedim(-1, self.cdim)
        return x / (self.k + self.alpha * ss / w).pow(self.beta)

    def extra_repr(self) -> str:
        return f"window={self.window}, alpha={self.alpha}, beta={self.beta}, K={self.k}"


@register
class CrossChannelNormalizationLayer(Layer):
    """Local response normalization across channels: ``crossChannelNormalizationLayer(windowChannelSize)``.

    Alpha is divided by the window size; for even windows MATLAB looks one channel further ahead than
    behind (the mirror of torch's LocalResponseNorm). Torch layout in/out: N×[T]×C×S...
    """

    MATLAB_NAME = "crossChannelNormalizationLayer"
    EXAMPLE = "crossChannelNormalizationLayer(5)"
    TYPE = "Cross Channel Normalization"
    DEFAULT_NAME = "crossnorm"
    SYNTAX = "crossChannelNormalizationLayer(windowChannelSize, Name=Value)"
    FAMILY = "normalization"
    POSITIONAL = ("WindowChannelSize",)
    OPTIONS = (
        Option("WindowChannelSize", integer_between(1, 16), required=True),   # the current page's limit
        Option("Alpha", real_scalar(), 1e-4),
        Option("Beta", real_scalar(), 0.75),
        Option("K", real_scalar(), 2.0),
    )

    def build(self, inputs):
        return CrossChannelNormModule(self.WindowChannelSize, self.Alpha, self.Beta, self.K, channel_dim(inputs[0]))

    def description(self):
        return f"cross channel normalization with {num_str(self.WindowChannelSize)} channels per element"
