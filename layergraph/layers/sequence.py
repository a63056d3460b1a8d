"""Sequence and transformer-era layers.

sequenceFoldingLayer / sequenceUnfoldingLayer, flattenLayer, wordEmbeddingLayer, selfAttentionLayer,
positionEmbeddingLayer, sinusoidalPositionEncodingLayer, indexing1dLayer, embeddingConcatenationLayer.

Torch layouts: vector sequences N×T×C ('CBT'), 1-D images N×C×S ('SCB'), image sequences N×T×C×H×W.
Layers that work along "the sequence" (attention, position embeddings, indexing, embedding
concatenation) accept 'CBT' (along T) and 'SCB' (along S), as MATLAB's "auto" position dimension does.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayerGraphError, LayoutError
from .base import Layer, Layout, initialize, learnable_values, register
from .options import Converter, Option, auto_or, boolean, choice, factor, initializer, numeric_array, positive_integer, real_scalar

EMBEDDING_INITIALIZERS = ("narrow-normal", "glorot", "he", "orthogonal", "zeros", "ones")


# --------------------------------------------------------------------------------------------------
# sequenceFoldingLayer / sequenceUnfoldingLayer
#
# MATLAB folds h×w×c×N×T into h×w×c×(N·T) so that image layers act on every time step, then unfolds.
# Every layergraph layer already treats T as an extra batch dimension (N×T×C×H×W in torch), so the folded
# section keeps the tensor (and its 'SSCBT' layout) as is: the numbers are those of MATLAB's fold/unfold,
# without reshapes, and the pair works unchanged under torch.fx, torch.compile and ONNX export.
# The ``miniBatchSize`` signal is an N×1 expanded zero (its batch dimension carries N).


class FoldModule(nn.Module):
    """``(out, miniBatchSize)`` = (the image sequence itself, an N×1 zero view carrying N)."""

    def forward(self, x):
        return x, x.new_zeros(()).expand(x.shape[0], 1)


class UnfoldModule(nn.Module):
    """The folded section's output, checked against the folding layer's mini-batch size."""

    def forward(self, x, mini_batch):
        torch._assert(x.shape[0] == mini_batch.shape[0], "sequenceUnfoldingLayer: mini-batch size mismatch")
        return x


@register
class SequenceFoldingLayer(Layer):
    """Sequence folding: ``sequenceFoldingLayer``. Outputs ``out`` and ``miniBatchSize``.

    Torch layout in: N×T×C×H×W; ``out``: the same tensor (layers between folding and unfolding apply per
    time step, as after MATLAB's fold to N·T images); ``miniBatchSize``: an N×1 signal for the
    ``miniBatchSize`` input of a sequenceUnfoldingLayer.
    """

    MATLAB_NAME = "sequenceFoldingLayer"
    TYPE = "Sequence Folding"
    DEFAULT_NAME = "seqfold"
    SYNTAX = "sequenceFoldingLayer(Name=Value)"
    FAMILY = "sequence"

    def output_names(self):
        return ("out", "miniBatchSize")

    def infer(self, inputs):
        x = inputs[0]
        if not x.has_time or not x.spatial:
            raise LayoutError(
                f"Invalid input data. The layer expects image sequence input (format 'SCBT', 'SSCBT' or 'SSSCBT'), "
                f"but received input with format '{x.format}'."
            )
        return [x, Layout((), 1)]

    def build(self, inputs):
        self.infer(inputs)
        return FoldModule()

    def description(self):
        return "Sequence folding"


@register
class SequenceUnfoldingLayer(Layer):
    """Sequence unfolding: ``sequenceUnfoldingLayer``. Inputs ``in`` and ``miniBatchSize``.

    Torch layout in: the folded section's N×T×C[×H×W] output and the folding layer's ``miniBatchSize``
    signal (N×1); out: the same N×T×C[×H×W] tensor, as MATLAB's unfold restores N and T.
    """

    MATLAB_NAME = "sequenceUnfoldingLayer"
    TYPE = "Sequence Unfolding"
    DEFAULT_NAME = "sequnfold"
    SYNTAX = "sequenceUnfoldingLayer(Name=Value)"
    FAMILY = "sequence"

    def input_names(self):
        return ("in", "miniBatchSize")

    def infer(self, inputs):
        x, mb = inputs
        if mb.spatial or mb.has_time or mb.channels != 1:
            raise LayoutError(
                "Invalid miniBatchSize input. Connect the 'miniBatchSize' output of a sequenceFoldingLayer to "
                f"this input (received input with format '{mb.format}')."
            )
        if not x.has_time:
            raise LayoutError(
                f"Invalid input data. The layer expects the output of a folded section (the time dimension is kept "
                f"through it), but received input with format '{x.format}'. Connect a sequenceFoldingLayer before it."
            )
        return [x]

    def build(self, inputs):
        self.infer(inputs)
        return UnfoldModule()

    def description(self):
        return "Sequence unfolding"


# --------------------------------------------------------------------------------------------------
# flattenLayer


class FlattenModule(nn.Module):
    """N [T] C S1..Sk -> N [T] (S1·…·Sk·C), column-major: S1 (H) fastest, then S2 (W), ..., then C."""

    def __init__(self, n_spatial: int, time: bool):
        super().__init__()
        self.n_spatial = n_spatial
        self.lead = 2 if time else 1
        lead = self.lead
        # N [T] C S1..Sk -> N [T] C Sk..S1, so that the row-major flatten puts S1 fastest and C slowest
        self.order = tuple(range(lead + 1)) + tuple(range(lead + n_spatial, lead, -1))

    def forward(self, x):
        if self.n_spatial > 1:
            x = x.permute(self.order)
        return x.flatten(self.lead)

    def extra_repr(self) -> str:
        return "order=column-major (H, W, [D,] C)"


@register
class FlattenLayer(Layer):
    """Flatten: ``flattenLayer``. Collapses the spatial dimensions into the channels (MATLAB column-major).

    Torch layout in: N×C×H×W (N×T×C×H×W); out: N×(H·W·C) (N×T×(H·W·C)), element k = h + H·w + H·W·c.
    """

    MATLAB_NAME = "flattenLayer"
    TYPE = "Flatten"
    DEFAULT_NAME = "flatten"
    SYNTAX = "flattenLayer(Name=Value)"
    FAMILY = "sequence"

    def infer(self, inputs):
        x = inputs[0]
        return [Layout((), x.num_elements, x.has_time, x.time)]

    def build(self, inputs):
        x = inputs[0]
        return FlattenModule(len(x.spatial), x.has_time)

    def description(self):
        return "Flatten"


# --------------------------------------------------------------------------------------------------
# Helpers for layers that act along the sequence (T of 'CBT', S of 'SCB')


def sequence_axis_input(layer: Layer, x: Layout, what: str = "") -> str:
    """'time' for 'CBT', 'spatial' for 'SCB'; LayoutError otherwise."""
    if not x.spatial and x.has_time:
        return "time"
    if len(x.spatial) == 1 and not x.has_time:
        return "spatial"
    raise LayoutError(
        f"Invalid input data. {what or layer.TYPE} layers expect sequence input (format 'CBT') or 1-D image input "
        f"(format 'SCB'), but received input with format '{x.format}'."
    )


def to_nlc(x: torch.Tensor, axis: str) -> torch.Tensor:
    """N×T×C ('CBT') stays; N×C×S ('SCB') -> N×S×C."""
    return x if axis == "time" else x.transpose(1, 2)


def from_nlc(y: torch.Tensor, axis: str) -> torch.Tensor:
    return y if axis == "time" else y.transpose(1, 2)


def with_length(x: Layout, axis: str, length, channels: int) -> Layout:
    if axis == "time":
        return Layout((), channels, True, length)
    return Layout((length,), channels)


def seq_length(x: Layout, axis: str):
    return x.time if axis == "time" else x.spatial[0]


# --------------------------------------------------------------------------------------------------
# wordEmbeddingLayer


class WordEmbeddingModule(nn.Module):
    """1-based word indices N×T×1 (or N×T) -> N×T×Dimension; ``Weights`` Dimension×K in MATLAB layout."""

    def __init__(self, weights, num_words: int, oov_error: bool, label: str):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.num_words = num_words
        self.oov_error = oov_error
        self.label = label

    def forward(self, x):
        idx = torch.round(x[..., 0]).long()  # drop the single channel: N×T (or N)
        if bool((idx < 1).any()):
            raise LayerGraphError(f"{self.label}: word indices must be positive integers (MATLAB indices start at 1).")
        if self.oov_error and bool((idx > self.num_words).any()):
            raise LayerGraphError(
                f"{self.label}: input contains out-of-vocabulary indices (greater than NumWords = {self.num_words}) "
                f"and OOVMode is 'error'."
            )
        last = self.Weights.shape[1]
        idx = idx.clamp(max=last) - 1
        return F.embedding(idx, self.Weights.t())

    def extra_repr(self) -> str:
        return f"dimension={self.Weights.shape[0]}, num_words={self.num_words}, columns={self.Weights.shape[1]}"


@register
class WordEmbeddingLayer(Layer):
    """Word embedding: ``wordEmbeddingLayer(dimension, numWords)``.

    Torch layout in: N×T×1 word indices (1-based, as MATLAB); out: N×T×Dimension. ``Weights`` is
    Dimension×(NumWords+1) (the last column is the out-of-vocabulary vector) or Dimension×NumWords when
    given so; indices greater than NumWords map to the last column (OOVMode 'map-to-last').
    """

    MATLAB_NAME = "wordEmbeddingLayer"
    EXAMPLE = "wordEmbeddingLayer(50, 1000)"
    TYPE = "Word Embedding Layer"
    DEFAULT_NAME = "wordembedding"
    SYNTAX = "wordEmbeddingLayer(dimension, numWords, Name=Value)"
    FAMILY = "sequence"
    POSITIONAL = ("Dimension", "NumWords")
    OPTIONS = (
        Option("Dimension", positive_integer(), required=True),
        Option("NumWords", positive_integer(), required=True),
        Option("OOVMode", choice("map-to-last", "error"), "map-to-last"),
        Option("WeightsInitializer", initializer(*EMBEDDING_INITIALIZERS), "narrow-normal"),
        Option("Weights", numeric_array(), None, learnable=True),
        Option("WeightLearnRateFactor", factor(), 1.0),
        Option("WeightL2Factor", factor(), 1.0),
    )

    def _check(self):
        w = self._values.get("Weights")
        if w is not None:
            if w.dim() != 2 or w.shape[0] != self.Dimension or w.shape[1] not in (self.NumWords, self.NumWords + 1):
                raise self.fail(
                    f"Weights must be a {self.Dimension}×{self.NumWords} or {self.Dimension}×{self.NumWords + 1} "
                    f"matrix (Dimension×NumWords, optionally with an out-of-vocabulary column), "
                    f"but has size {'×'.join(str(s) for s in w.shape)}."
                )

    def infer(self, inputs):
        x = inputs[0]
        if x.spatial or x.channels != 1:
            raise LayoutError(
                f"Invalid input data. The layer expects sequences of word indices with one channel (format 'CBT' or "
                f"'CB' with C = 1), but received input with format '{x.format}' and {x.channels} channels."
            )
        return [Layout((), self.Dimension, x.has_time, x.time)]

    def learnable_sizes(self, inputs):
        self.infer(inputs)
        w = self._values.get("Weights")
        cols = w.shape[1] if w is not None and w.dim() == 2 else self.NumWords + 1
        return {"Weights": (self.Dimension, cols)}

    def initial_value(self, prop, inputs):
        shape = self.learnable_sizes(inputs)["Weights"]
        return initialize(self.WeightsInitializer, shape, self.NumWords, self.Dimension, layer=self, prop=prop)

    def build(self, inputs):
        params = learnable_values(self, inputs)
        return WordEmbeddingModule(params["Weights"], self.NumWords, self.OOVMode == "error", self.label())

    def description(self):
        return f"Word embedding layer with {self.Dimension} dimensions and {self.NumWords} unique words"


# --------------------------------------------------------------------------------------------------
# positionEmbeddingLayer


class PositionEmbeddingModule(nn.Module):
    """Output = Weights(:, 1:L) for every observation (the input supplies only the length L)."""

    def __init__(self, weights, axis: str, label: str):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.axis = axis
        self.label = label

    def forward(self, x):
        n = x.shape[0]
        length = x.shape[1] if self.axis == "time" else x.shape[2]
        if length > self.Weights.shape[1]:
            raise LayerGraphError(
                f"{self.label}: the input has {length} positions, more than MaxPosition = {self.Weights.shape[1]}."
            )
        emb = self.Weights[:, :length].t().unsqueeze(0).repeat(n, 1, 1)  # a copy, not a view of the parameter
        return from_nlc(emb, self.axis)


@register
class PositionEmbeddingLayer(Layer):
    """Learned position embedding: ``positionEmbeddingLayer(outputSize, maxPosition)``.

    Torch layout in: N×T×C ('CBT') or N×C×S ('SCB'); out: the same with OutputSize channels, holding
    ``Weights(:, t)`` at position t (add it to the input with an additionLayer). Weights OutputSize×MaxPosition.
    """

    MATLAB_NAME = "positionEmbeddingLayer"
    EXAMPLE = "positionEmbeddingLayer(16, 128)"
    TYPE = "Position Embedding"
    DEFAULT_NAME = "posembed"
    SYNTAX = "positionEmbeddingLayer(outputSize, maxPosition, Name=Value)"
    FAMILY = "sequence"
    POSITIONAL = ("OutputSize", "MaxPosition")
    OPTIONS = (
        Option("OutputSize", positive_integer(), required=True),
        Option("MaxPosition", positive_integer(), required=True),
        Option("PositionDimension", choice("auto", "temporal", "spatial"), "auto"),
        Option("WeightsInitializer", initializer(*EMBEDDING_INITIALIZERS), "narrow-normal"),
        Option("Weights", numeric_array(), None, learnable=True),
        Option("WeightLearnRateFactor", factor(), 1.0),
        Option("WeightL2Factor", factor(), 1.0),
    )

    def _axis(self, x: Layout) -> str:
        axis = sequence_axis_input(self, x)
        wanted = {"temporal": "time", "spatial": "spatial"}.get(self.PositionDimension, axis)
        if wanted != axis:
            raise LayoutError(
                f"Invalid input data. PositionDimension is '{self.PositionDimension}', but the input has format "
                f"'{x.format}'."
            )
        return axis

    def infer(self, inputs):
        x = inputs[0]
        axis = self._axis(x)
        length = seq_length(x, axis)
        if length is not None and length > self.MaxPosition:
            raise LayoutError(
                f"Input size mismatch. The input has {length} positions, but MaxPosition is {self.MaxPosition}."
            )
        return [with_length(x, axis, length, self.OutputSize)]

    def learnable_sizes(self, inputs):
        self._axis(inputs[0])
        return {"Weights": (self.OutputSize, self.MaxPosition)}

    def initial_value(self, prop, inputs):
        shape = self.learnable_sizes(inputs)["Weights"]
        return initialize(self.WeightsInitializer, shape, self.MaxPosition, self.OutputSize, layer=self, prop=prop)

    def build(self, inputs):
        axis = self._axis(inputs[0])
        return PositionEmbeddingModule(learnable_values(self, inputs)["Weights"], axis, self.label())

    def description(self):
        return f"Position embedding with output size {self.OutputSize} and maximum position {self.MaxPosition}"


# --------------------------------------------------------------------------------------------------
# sinusoidalPositionEncodingLayer


def sinusoidal_table(positions: torch.Tensor, size: int) -> torch.Tensor:
    """(...)-shaped positions -> (..., size): channel 2i = sin(p / 10000^(2i/d)), 2i+1 = cos(same)."""
    i = torch.arange(size // 2, dtype=positions.dtype, device=positions.device)
    freq = torch.pow(torch.tensor(10000.0, dtype=positions.dtype, device=positions.device), -2.0 * i / size)
    angles = positions.unsqueeze(-1) * freq
    return torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).flatten(-2)


class SinusoidalModule(nn.Module):
    def __init__(self, size: int, mode: str):
        super().__init__()
        self.size = size
        self.mode = mode  # 'time', 'spatial' or 'values'

    def forward(self, x):
        if self.mode == "values":
            return sinusoidal_table(x[..., 0], self.size)
        n = x.shape[0]
        length = x.shape[1] if self.mode == "time" else x.shape[2]
        pos = torch.arange(length, dtype=x.dtype, device=x.device)
        table = sinusoidal_table(pos, self.size).unsqueeze(0).expand(n, length, self.size)
        return from_nlc(table, self.mode)

    def extra_repr(self) -> str:
        return f"size={self.size}, positions={self.mode}"


def _even_positive():
    conv = positive_integer()

    def convert(v):
        n = conv(v)
        if n % 2:
            raise ValueError
        return n

    return Converter(convert, "an even positive integer", {"type": "integer", "minimum": 2, "multipleOf": 2})


@register
class SinusoidalPositionEncodingLayer(Layer):
    """Sinusoidal position encoding: ``sinusoidalPositionEncodingLayer(outputSize)``.

    Torch layout in: N×T×C ('CBT'), N×C×S ('SCB'), or N×[T×]1 values ('data-values'); out: the same
    positions with OutputSize channels. Position p (0-based index, or the data value) is encoded as
    channel 2i = sin(p / 10000^(2i/OutputSize)), channel 2i+1 = cos(p / 10000^(2i/OutputSize)).
    """

    MATLAB_NAME = "sinusoidalPositionEncodingLayer"
    EXAMPLE = "sinusoidalPositionEncodingLayer(16)"
    TYPE = "Sinusoidal Position Encoding"
    DEFAULT_NAME = "posenc"
    SYNTAX = "sinusoidalPositionEncodingLayer(outputSize, Name=Value)"
    FAMILY = "sequence"
    POSITIONAL = ("OutputSize",)
    OPTIONS = (
        Option("OutputSize", _even_positive(), required=True),
        Option("Positions", choice("auto", "temporal-indices", "spatial-indices", "data-values"), "auto"),
    )

    def _mode(self, x: Layout) -> str:
        mode = self.Positions
        if mode == "auto":
            if not x.spatial and x.has_time:
                mode = "temporal-indices"
            elif len(x.spatial) == 1 and not x.has_time:
                mode = "spatial-indices"
            else:
                mode = "data-values"
        if mode == "temporal-indices":
            if x.spatial or not x.has_time:
                raise LayoutError(
                    f"Invalid input data. Positions 'temporal-indices' needs sequence input (format 'CBT'), but "
                    f"received input with format '{x.format}'."
                )
            return "time"
        if mode == "spatial-indices":
            if len(x.spatial) != 1 or x.has_time:
                raise LayoutError(
                    f"Invalid input data. Positions 'spatial-indices' needs 1-D image input (format 'SCB'), but "
                    f"received input with format '{x.format}'."
                )
            return "spatial"
        if x.spatial or x.channels != 1:
            raise LayoutError(
                f"Invalid input data. Positions 'data-values' needs input with one channel and no spatial "
                f"dimensions (format 'CB' or 'CBT'), but received input with format '{x.format}' and "
                f"{x.channels} channels."
            )
        return "values"

    def infer(self, inputs):
        x = inputs[0]
        self._mode(x)
        return [x.with_channels(self.OutputSize)]

    def build(self, inputs):
        return SinusoidalModule(self.OutputSize, self._mode(inputs[0]))

    def description(self):
        return f"Sinusoidal position encoding with output size {self.OutputSize}"


# --------------------------------------------------------------------------------------------------
# indexing1dLayer


class Indexing1dModule(nn.Module):
    def __init__(self, index: str, axis: str, masked: bool):
        super().__init__()
        self.index = index
        self.axis = axis
        self.masked = masked

    def forward(self, x, mask=None):
        x = to_nlc(x, self.axis)
        if not self.masked:
            return x[:, 0] if self.index == "first" else x[:, -1]
        m = to_nlc(mask, self.axis)[..., 0] != 0  # N×L
        length = m.shape[1]
        pos = torch.arange(length, device=x.device).unsqueeze(0).expand_as(m)
        if self.index == "first":
            chosen = torch.where(m, pos, torch.full_like(pos, length)).min(dim=1).values.clamp(max=length - 1)
        else:
            chosen = torch.where(m, pos, torch.full_like(pos, -1)).max(dim=1).values.clamp(min=0)
        return x[torch.arange(x.shape[0], device=x.device), chosen]

    def extra_repr(self) -> str:
        return f"index={self.index}, along={self.axis}, masked={self.masked}"


@register
class Indexing1dLayer(Layer):
    """1-D indexing: ``indexing1dLayer`` / ``indexing1dLayer(index)`` with index 'first' (default) or 'last'.

    Torch layout in: N×T×C ('CBT') or N×C×S ('SCB'); out: N×C ('CB'). With HasPaddingMaskInput the
    ``mask`` input (same layout, ones = data, zeros = padding) selects the first/last data element.
    """

    MATLAB_NAME = "indexing1dLayer"
    TYPE = "1-D Indexing"
    DEFAULT_NAME = "index1d"
    SYNTAX = "indexing1dLayer(index, Name=Value)"
    FAMILY = "sequence"
    POSITIONAL = ("Index",)
    OPTIONS = (
        Option("Index", choice("first", "last"), "first"),
        Option("HasPaddingMaskInput", boolean(), False),
    )

    @classmethod
    def _parse_arguments(cls, args, kwargs):
        # the optional positional index is a text value too: a leading text that is not 'first'/'last'
        # starts the name-value pairs (so misspelt option names are reported as such)
        if args and isinstance(args[0], str) and args[0].lower() not in ("first", "last") and len(args) % 2 == 0:
            merged = {}
            for key, value in zip(args[::2], args[1::2]):
                if not isinstance(key, str):
                    break
                merged[cls.option(key).name] = value
            else:
                merged.update(kwargs)
                return super()._parse_arguments((), merged)
        return super()._parse_arguments(args, kwargs)

    def input_names(self):
        return ("in", "mask") if self.HasPaddingMaskInput else ("in",)

    def infer(self, inputs):
        x = inputs[0]
        sequence_axis_input(self, x)  # raises for inputs without a sequence axis
        if self.HasPaddingMaskInput:
            m = inputs[1]
            if m.spatial != x.spatial or m.has_time != x.has_time or m.channels not in (1, x.channels):
                raise LayoutError(
                    f"Invalid mask input. The padding mask must have the format of the data ('{x.format}') with 1 "
                    f"or {x.channels} channels, but has format '{m.format}' and {m.channels} channels."
                )
        return [Layout((), x.channels)]

    def build(self, inputs):
        return Indexing1dModule(self.Index, sequence_axis_input(self, inputs[0]), bool(self.HasPaddingMaskInput))

    def description(self):
        return f"1-D indexing ({self.Index})"


# --------------------------------------------------------------------------------------------------
# embeddingConcatenationLayer


class EmbeddingConcatModule(nn.Module):
    """Prepend the learnable C×1 ``Weights`` vector as position 1 of every sequence."""

    def __init__(self, weights, axis: str):
        super().__init__()
        self.Weights = nn.Parameter(weights)
        self.axis = axis

    def forward(self, x):
        x = to_nlc(x, self.axis)
        token = self.Weights.reshape(1, 1, -1).expand(x.shape[0], 1, x.shape[2])
        return from_nlc(torch.cat([token, x], dim=1), self.axis)


@register
class EmbeddingConcatenationLayer(Layer):
    """Embedding concatenation: ``embeddingConcatenationLayer``.

    Torch layout in: N×T×C ('CBT') or N×C×S ('SCB'); out: the same with one more position, the learnable
    ``Weights`` (C×1) placed first (the class token of a vision transformer).
    """

    MATLAB_NAME = "embeddingConcatenationLayer"
    TYPE = "Embedding Concatenation"
    DEFAULT_NAME = "embedconcat"
    SYNTAX = "embeddingConcatenationLayer(Name=Value)"
    FAMILY = "sequence"
    OPTIONS = (
        Option("WeightsInitializer", initializer("narrow-normal", "glorot", "he", "zeros", "ones"), "narrow-normal"),
        Option("Weights", numeric_array(), None, learnable=True),
        Option("WeightLearnRateFactor", factor(), 1.0),
        Option("WeightL2Factor", factor(), 1.0),
    )

    def infer(self, inputs):
        x = inputs[0]
        axis = sequence_axis_input(self, x)
        length = seq_length(x, axis)
        return [with_length(x, axis, None if length is None else length + 1, x.channels)]

    def learnable_sizes(self, inputs):
        x = inputs[0]
        sequence_axis_input(self, x)
        return {"Weights": (x.channels, 1)}

    def initial_value(self, prop, inputs):
        c = inputs[0].channels
        return initialize(self.WeightsInitializer, (c, 1), c, c, layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return value.reshape(-1)

    def from_torch(self, prop, value, inputs):
        return value.reshape(-1, 1)

    def build(self, inputs):
        axis = sequence_axis_input(self, inputs[0])
        return EmbeddingConcatModule(learnable_values(self, inputs)["Weights"], axis)

    def description(self):
        return "Embedding concatenation"


# --------------------------------------------------------------------------------------------------
# selfAttentionLayer

ATTENTION_WEIGHTS = ("QueryWeights", "KeyWeights", "ValueWeights", "OutputWeights")
ATTENTION_BIASES = ("QueryBias", "KeyBias", "ValueBias", "OutputBias")


class SelfAttentionModule(nn.Module):
    """Multi-head scaled dot-product self-attention with MATLAB-layout projections (rows = output channels).

    Head h uses the contiguous channel block h of the queries, keys and values.
    """

    def __init__(self, params, *, heads, axis, causal, masked, dropout):
        super().__init__()
        for name in ATTENTION_WEIGHTS + ATTENTION_BIASES:
            setattr(self, name, nn.Parameter(params[name]))
        self.heads = heads
        self.axis = axis
        self.causal = causal
        self.masked = masked
        self.dropout = dropout

    def forward(self, x, mask=None):
        x = to_nlc(x, self.axis)  # N×L×C
        n, length, _ = x.shape
        q = F.linear(x, self.QueryWeights, self.QueryBias)
        k = F.linear(x, self.KeyWeights, self.KeyBias)
        v = F.linear(x, self.ValueWeights, self.ValueBias)
        h = self.heads

        def split(t):
            return t.reshape(n, length, h, t.shape[-1] // h).transpose(1, 2)  # N×h×L×d

        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # N×h×Lq×Lk
        if self.causal:
            future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        if self.masked:
            keep = to_nlc(mask, self.axis)[..., 0] != 0  # N×Lk
            scores = scores.masked_fill(~keep[:, None, None, :], float("-inf"))
        attn = torch.softmax(scores, dim=-1)
        if self.dropout > 0:
            attn = F.dropout(attn, self.dropout, self.training)
        merged = (attn @ v).transpose(1, 2).reshape(n, length, -1)
        return from_nlc(F.linear(merged, self.OutputWeights, self.OutputBias), self.axis)

    def extra_repr(self) -> str:
        return f"heads={self.heads}, keys={self.QueryWeights.shape[0]}, values={self.ValueWeights.shape[0]}, " \
               f"out={self.OutputWeights.shape[0]}, causal={self.causal}"


def _attention_mask():
    def convert(v):
        if isinstance(v, str) and v.lower() in ("none", "causal"):
            return v.lower()
        raise ValueError

    return Converter(convert, "'none' or 'causal' (custom mask arrays are not supported)",
                     {"type": "string", "enum": ["none", "causal"]})


@register
class SelfAttentionLayer(Layer):
    """Multi-head self-attention: ``selfAttentionLayer(numHeads, numKeyChannels)``.

    Torch layout in: N×T×C ('CBT', attention over T) or N×C×S ('SCB', over S); out: the same with
    OutputSize channels. QueryWeights/KeyWeights NumKeyChannels×C, ValueWeights NumValueChannels×C,
    OutputWeights OutputSize×NumValueChannels, biases column vectors (MATLAB layout).
    """

    MATLAB_NAME = "selfAttentionLayer"
    EXAMPLE = "selfAttentionLayer(4, 32)"
    TYPE = "Self-Attention"
    DEFAULT_NAME = "selfattention"
    SYNTAX = "selfAttentionLayer(numHeads, numKeyChannels, Name=Value)"
    FAMILY = "sequence"
    POSITIONAL = ("NumHeads", "NumKeyChannels")
    OPTIONS = (
        Option("NumHeads", positive_integer(), required=True),
        Option("NumKeyChannels", positive_integer(), required=True),
        Option("NumValueChannels", auto_or(positive_integer()), "auto"),
        Option("OutputSize", auto_or(positive_integer()), "auto"),
        Option("HasPaddingMaskInput", boolean(), False),
        Option("HasScoresOutput", boolean(), False),
        Option("AttentionMask", _attention_mask(), "none"),
        Option("DropoutProbability", real_scalar(low=0, high=1, high_open=True), 0.0),
        Option("QueryWeightsInitializer", initializer("glorot", "he", "narrow-normal", "zeros", "ones"), "glorot"),
        Option("KeyWeightsInitializer", initializer("glorot", "he", "narrow-normal", "zeros", "ones"), "glorot"),
        Option("ValueWeightsInitializer", initializer("glorot", "he", "narrow-normal", "zeros", "ones"), "glorot"),
        Option("OutputWeightsInitializer", initializer("glorot", "he", "narrow-normal", "zeros", "ones"), "glorot"),
        Option("BiasInitializer", initializer("zeros", "narrow-normal", "ones"), "zeros"),
    ) + tuple(Option(p, numeric_array(), None, learnable=True) for p in ATTENTION_WEIGHTS + ATTENTION_BIASES) + (
        Option("WeightLearnRateFactor", factor(), 1.0),
        Option("BiasLearnRateFactor", factor(), 1.0),
        Option("WeightL2Factor", factor(), 1.0),
        Option("BiasL2Factor", factor(), 0.0),
    )

    def _check(self):
        if self.NumKeyChannels % self.NumHeads:
            raise self.fail(f"NumKeyChannels ({self.NumKeyChannels}) must be divisible by NumHeads ({self.NumHeads}).")
        if self.NumValueChannels != "auto" and self.NumValueChannels % self.NumHeads:
            raise self.fail(
                f"NumValueChannels ({self.NumValueChannels}) must be divisible by NumHeads ({self.NumHeads})."
            )
        if self.HasScoresOutput:
            raise self.fail(
                "HasScoresOutput=true is not supported by layergraph (the attention scores have no activation "
                "layout here); compute them from the layer's weights if you need them."
            )

    def input_names(self):
        return ("in", "mask") if self.HasPaddingMaskInput else ("in",)

    @property
    def value_channels(self) -> int:
        return self.NumKeyChannels if self.NumValueChannels == "auto" else self.NumValueChannels

    def out_channels(self, x: Layout) -> int:
        return x.channels if self.OutputSize == "auto" else self.OutputSize

    def infer(self, inputs):
        x = inputs[0]
        axis = sequence_axis_input(self, x)
        if self.HasPaddingMaskInput:
            m = inputs[1]
            if m.spatial != x.spatial or m.has_time != x.has_time:
                raise LayoutError(
                    f"Invalid mask input. The padding mask must have the format of the data ('{x.format}'), but has "
                    f"format '{m.format}'."
                )
        return [with_length(x, axis, seq_length(x, axis), self.out_channels(x))]

    def learnable_sizes(self, inputs):
        x = inputs[0]
        sequence_axis_input(self, x)
        c, dk, dv, o = x.channels, self.NumKeyChannels, self.value_channels, self.out_channels(x)
        return {
            "QueryWeights": (dk, c), "KeyWeights": (dk, c), "ValueWeights": (dv, c), "OutputWeights": (o, dv),
            "QueryBias": (dk, 1), "KeyBias": (dk, 1), "ValueBias": (dv, 1), "OutputBias": (o, 1),
        }

    def resolve(self, inputs):
        x = inputs[0]
        return {"NumValueChannels": self.value_channels, "OutputSize": self.out_channels(x)}

    def learnable_factors(self, prop):
        if prop.endswith("Bias"):
            return float(self.BiasLearnRateFactor), float(self.BiasL2Factor)
        return float(self.WeightLearnRateFactor), float(self.WeightL2Factor)

    def initial_value(self, prop, inputs):
        shape = self.learnable_sizes(inputs)[prop]
        if prop.endswith("Bias"):
            return initialize(self.BiasInitializer, shape, shape[0], shape[0], layer=self, prop=prop)
        init = self._values[prop.replace("Weights", "WeightsInitializer")]
        return initialize(init, shape, shape[1], shape[0], layer=self, prop=prop)

    def to_torch(self, prop, value, inputs):
        return value.reshape(-1) if prop.endswith("Bias") else value

    def from_torch(self, prop, value, inputs):
        return value.reshape(-1, 1) if prop.endswith("Bias") else value

    def build(self, inputs):
        axis = sequence_axis_input(self, inputs[0])
        return SelfAttentionModule(
            learnable_values(self, inputs), heads=self.NumHeads, axis=axis, causal=self.AttentionMask == "causal",
            masked=bool(self.HasPaddingMaskInput), dropout=float(self.DropoutProbability),
        )

    def description(self):
        return f"Self-attention with {self.NumHeads} heads and {self.NumKeyChannels} key channels"

