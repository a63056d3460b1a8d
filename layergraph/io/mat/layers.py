"""One decoder per (MATLAB layer class, save version): saved fields -> layergraph constructor options.

Built-in layers are saved as the struct their save method returns: ``Version`` (the save format), ``Name``
and internal field names that differ from the user-facing properties (``PaddingMode``/``PaddingSize``
for ``Padding``, ``ReturnSequence`` for ``OutputMode``, ``Categories`` for ``Classes``, ...). Each
learnable is a struct ``{Value, LearnRateFactor, L2Factor}`` (newer versions add ``Version`` and
``Initializer {Class, ConstructorArguments}``). Values stay in MATLAB layout, as layer properties take
them.

Never a guess: a class without a decoder, a save version the decoder was not written for, a field it
does not know or a value it cannot map is a :class:`~layergraph.errors.MatFileError` naming the file,
variable, layer, class, version and the fields not understood. Layers whose saved fields are all
user-facing property names go through :func:`decode_generic`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ...errors import LayerGraphError, MatFileError
from ...layers.base import REGISTRY, Layer
from .container import MatCategorical, MatObject, MatObjectArray, _string
from .placeholders import MatPlaceholderLayer, MatPlaceholderOutputLayer

LAYER_PACKAGE = "nnet.cnn.layer."


@dataclass
class Context:
    """Where a value comes from, for messages: file, variable, layer name, class and save version."""

    path: str
    variable: str
    layer: str = ""
    classname: str = ""
    version: object = None

    def where(self) -> str:
        parts = [f"{self.path}: variable '{self.variable}'"]
        if self.layer:
            parts.append(f"layer '{self.layer}'")
        if self.classname:
            parts.append(f"class {self.classname}" + (f" (save version {_vstr(self.version)})" if self.version is not None else ""))
        return ", ".join(parts)

    def error(self, message: str) -> MatFileError:
        return MatFileError(f"{self.where()}: {message}")


def _vstr(v) -> str:
    try:
        f = float(v)
        return str(int(f)) if f.is_integer() else str(f)
    except (TypeError, ValueError):
        return str(v)


# --------------------------------------------------------------------------------------------------
# MATLAB values -> Python


def is_empty(v) -> bool:
    return v is None or (isinstance(v, np.ndarray) and v.size == 0)


def as_str(v, ctx: Context, field: str) -> str:
    if isinstance(v, np.ndarray) and (v.dtype.kind in "UST" or (v.dtype == object and v.size <= 1)):
        return _string(v)
    if isinstance(v, str):
        return v
    raise ctx.error(f"field {field} should be text but is {_describe(v)}.")


def as_float(v, ctx: Context, field: str) -> float:
    a = np.asarray(v)
    if a.dtype.kind not in "biuf" or a.size != 1:
        raise ctx.error(f"field {field} should be a numeric scalar but is {_describe(v)}.")
    return float(a.ravel()[0])


def as_bool(v, ctx: Context, field: str) -> bool:
    a = np.asarray(v)
    if a.dtype.kind not in "biuf" or a.size != 1:
        raise ctx.error(f"field {field} should be a logical scalar but is {_describe(v)}.")
    return bool(a.ravel()[0])


def as_ints(v, ctx: Context, field: str) -> list[int]:
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise ctx.error(f"field {field} should be numeric but is {_describe(v)}.")
    out = a.ravel(order="F").tolist()
    if any(not float(x).is_integer() for x in out):
        raise ctx.error(f"field {field} should hold integers but is {out}.")
    return [int(x) for x in out]


def as_numbers(v, ctx: Context, field: str) -> list[float]:
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise ctx.error(f"field {field} should be numeric but is {_describe(v)}.")
    return [float(x) for x in a.ravel(order="F")]


def as_tensor(v, ctx: Context, field: str):
    """A numeric array in MATLAB layout as a float32 tensor (None when empty)."""
    if is_empty(v):
        return None
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise ctx.error(f"field {field} should be a numeric array but is {_describe(v)}.")
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def as_str_list(v, ctx: Context, field: str) -> list[str]:
    if is_empty(v):
        return []
    if isinstance(v, MatCategorical):
        return [v.categories[c] if c >= 0 else "<undefined>" for c in v.codes.ravel(order="F")]
    a = np.asarray(v)
    if a.dtype == object:
        return [as_str(x, ctx, field) for x in a.ravel(order="F")]
    if a.dtype.kind in "UST":
        return [str(x) for x in a.ravel(order="F")]
    raise ctx.error(f"field {field} should be a list of names but is {_describe(v)}.")


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        kind = "struct" if v.dtype.names else ("cell" if v.dtype == object else str(v.dtype))
        return f"a {'x'.join(map(str, v.shape))} {kind} array"
    if isinstance(v, (MatObject, MatObjectArray)):
        return f"an object of class {v.classname}"
    return type(v).__name__


def struct_fields(v, ctx: Context, field: str) -> dict:
    """A 1x1 struct as {field: value}; a saved-object struct through its saved fields."""
    if isinstance(v, MatObject):
        saved = v.saved
        return saved if saved is not None else dict(v.properties or {})
    if isinstance(v, np.ndarray) and v.dtype.names and v.size == 1:
        return {name: v.flat[0][name] for name in v.dtype.names}
    raise ctx.error(f"field {field} should be a struct but is {_describe(v)}.")


# --------------------------------------------------------------------------------------------------
# Learnables

LEARNABLE_FIELDS = {"Value", "LearnRateFactor", "L2Factor", "Version", "Initializer"}
LEARNABLE_VERSIONS = (1, 2)

# nnet.internal.cnn.layer.learnable.initializer.<Class> -> the initializer name the property shows
INITIALIZERS = {
    "Glorot": "glorot",
    "He": "he",
    "Zeros": "zeros",
    "Ones": "ones",
    "Normal": "narrow-normal",
    "NarrowNormal": "narrow-normal",
    "Orthogonal": "orthogonal",
    "UnitForgetGate": "unit-forget-gate",
}

# property stem of the factor options: Weights -> WeightLearnRateFactor, Bias -> BiasLearnRateFactor
FACTOR_STEMS = {"Weights": "Weight"}
INITIALIZER_OPTIONS = {"Weights": "WeightsInitializer", "Bias": "BiasInitializer", "Offset": "OffsetInitializer",
                       "Scale": "ScaleInitializer", "InputWeights": "InputWeightsInitializer",
                       "RecurrentWeights": "RecurrentWeightsInitializer"}


def learnable(options: dict, saved, ctx: Context, prop: str, cls: type[Layer], transform: Callable | None = None) -> None:
    """Put a saved learnable struct into ``options``: the value, its factors and its initializer name."""
    f = struct_fields(saved, ctx, prop)
    unknown = sorted(set(f) - LEARNABLE_FIELDS)
    if unknown or "Value" not in f:
        raise ctx.error(f"learnable {prop} has fields not understood: {', '.join(unknown) or '(no Value)'} "
                        f"(known: {', '.join(sorted(LEARNABLE_FIELDS))}).")
    if "Version" in f and int(as_float(f["Version"], ctx, prop + ".Version")) not in LEARNABLE_VERSIONS:
        raise ctx.error(f"learnable {prop} has save version {_vstr(as_float(f['Version'], ctx, prop))}, "
                        f"not one of {LEARNABLE_VERSIONS}.")
    value = as_tensor(f["Value"], ctx, prop + ".Value")
    if value is not None:
        options[prop] = transform(value) if transform else value
    stem = FACTOR_STEMS.get(prop, prop)
    opts = cls.options()
    for key, suffix in (("LearnRateFactor", "LearnRateFactor"), ("L2Factor", "L2Factor")):
        if key in f and not is_empty(f[key]):
            numbers = as_numbers(f[key], ctx, f"{prop}.{key}")
            name = stem + suffix
            if name not in opts:
                raise ctx.error(f"{prop}.{key} has no matching property {name} on {cls.MATLAB_NAME}.")
            if len(set(numbers)) != 1:
                raise ctx.error(f"{prop}.{key} is a vector {numbers}; per-gate factors are not supported.")
            options[name] = numbers[0]
    if "Initializer" in f and not is_empty(f["Initializer"]):
        init = struct_fields(f["Initializer"], ctx, prop + ".Initializer")
        name = as_str(init.get("Class", ""), ctx, prop + ".Initializer.Class").rsplit(".", 1)[-1]
        option = INITIALIZER_OPTIONS.get(prop)
        if name in INITIALIZERS and option in opts:
            try:
                opts[option].convert(INITIALIZERS[name])
            except Exception:
                return  # an initializer this layer does not offer; the learned value is what matters
            options[option] = INITIALIZERS[name]


# --------------------------------------------------------------------------------------------------
# The decoder table


@dataclass(frozen=True)
class LayerDecoder:
    """How one MATLAB class is read: the save versions known, required and optional fields, the mapping."""

    classname: str              # e.g. Convolution2DLayer (in package nnet.cnn.layer)
    versions: dict              # version -> tuple of the fields that version saves (besides Version, Name)
    decode: Callable            # (fields, ctx) -> Layer
    optional: frozenset = frozenset()  # fields a version may omit


DECODERS: dict[str, LayerDecoder] = {}


def decoder(classname: str, versions: dict, optional=()):
    def wrap(fn):
        DECODERS[classname] = LayerDecoder(classname, {float(k): tuple(v) for k, v in versions.items()}, fn,
                                           frozenset(optional))
        return fn

    return wrap


def _make(cls_name: str, options: dict, ctx: Context) -> Layer:
    cls = REGISTRY[cls_name]
    opts = cls.options()
    # derived properties (NumChannels, InputSize, ...) are read-only: the input sizes give them again
    options = {k: v for k, v in options.items() if opts[k].settable}
    try:
        return cls(**options)
    except LayerGraphError as exc:
        raise ctx.error(f"the saved values do not make a valid {cls_name}: {exc}") from None


def _padding(f, ctx, mode_field="PaddingMode", size_field="PaddingSize"):
    mode = as_str(f[mode_field], ctx, mode_field).lower()
    if mode == "same":
        return "same"
    if mode == "manual":
        return tuple(as_ints(f[size_field], ctx, size_field))
    raise ctx.error(f"{mode_field} '{mode}' is not understood (known: 'same', 'manual').")


def _require_false(f, ctx, *names):
    for name in names:
        if name in f and not is_empty(f[name]) and as_bool(f[name], ctx, name):
            raise ctx.error(f"{name} is true (a layer folded over time or split complex input), which is not supported.")


def _auto_or_int(v, ctx, field):
    if is_empty(v) or (isinstance(v, np.ndarray) and v.dtype.kind in "UST"):
        return "auto"
    ints = as_ints(v, ctx, field)
    return ints[0] if len(ints) == 1 else ints


# ---- convolution, fully connected ------------------------------------------------------------------

CONV_V3 = ("FilterSize", "NumChannels", "NumFilters", "Stride", "PaddingMode", "PaddingSize", "Weights", "Bias")
CONV_V4 = CONV_V3[:4] + ("DilationFactor",) + CONV_V3[4:]
CONV_V5 = CONV_V4  # [O] (a 2021 file)
CONV_V6 = CONV_V4 + ("PaddingValue",)  # [O]
CONV_V8 = ("FilterSize", "NumChannels", "NumFilters", "Stride", "DilationFactor", "PaddingMode", "PaddingSize",
           "PaddingValue", "Weights", "Bias", "ConvolveOverTime", "DistributeOverTime", "ConvolutionDimIdx",
           "CudnnGPUAlgoForward")


@decoder("Convolution2DLayer", {3: CONV_V3, 4: CONV_V4, 5: CONV_V5, 6: CONV_V6, 8: CONV_V8})
def _conv2d(f, ctx):
    cls = REGISTRY["convolution2dLayer"]
    _require_false(f, ctx, "ConvolveOverTime", "DistributeOverTime")
    if "ConvolutionDimIdx" in f and not is_empty(f["ConvolutionDimIdx"]) and as_ints(f["ConvolutionDimIdx"], ctx, "ConvolutionDimIdx") != [1, 2]:
        raise ctx.error("ConvolutionDimIdx is not [1 2] (convolution over other dimensions is not supported).")
    o = {"Name": f["Name"], "FilterSize": as_ints(f["FilterSize"], ctx, "FilterSize"),
         "NumFilters": as_ints(f["NumFilters"], ctx, "NumFilters")[0],
         "Stride": as_ints(f["Stride"], ctx, "Stride"), "Padding": _padding(f, ctx),
         "NumChannels": _auto_or_int(f["NumChannels"], ctx, "NumChannels")}
    if "DilationFactor" in f:
        o["DilationFactor"] = as_ints(f["DilationFactor"], ctx, "DilationFactor")
    if "PaddingValue" in f:
        pv = f["PaddingValue"]
        o["PaddingValue"] = as_str(pv, ctx, "PaddingValue") if np.asarray(pv).dtype.kind in "UST" else as_float(pv, ctx, "PaddingValue")
    learnable(o, f["Weights"], ctx, "Weights", cls)
    learnable(o, f["Bias"], ctx, "Bias", cls)
    return _make("convolution2dLayer", o, ctx)


TCONV_V2 = ("FilterSize", "NumChannels", "NumFilters", "Stride", "CroppingMode", "CroppingSize", "OutputSizeOffset",
            "Weights", "Bias")


@decoder("TransposedConvolution2DLayer", {2: TCONV_V2})
def _tconv2d(f, ctx):
    cls = REGISTRY["transposedConv2dLayer"]
    mode = as_str(f["CroppingMode"], ctx, "CroppingMode").lower()
    if mode == "same":
        cropping = "same"
    elif mode == "manual":
        cropping = tuple(as_ints(f["CroppingSize"], ctx, "CroppingSize"))
    else:
        raise ctx.error(f"CroppingMode '{mode}' is not understood (known: 'same', 'manual').")
    if any(as_ints(f["OutputSizeOffset"], ctx, "OutputSizeOffset")):
        raise ctx.error("OutputSizeOffset is not zero, which is not supported.")
    o = {"Name": f["Name"], "FilterSize": as_ints(f["FilterSize"], ctx, "FilterSize"),
         "NumFilters": as_ints(f["NumFilters"], ctx, "NumFilters")[0],
         "Stride": as_ints(f["Stride"], ctx, "Stride"), "Cropping": cropping,
         "NumChannels": _auto_or_int(f["NumChannels"], ctx, "NumChannels")}
    learnable(o, f["Weights"], ctx, "Weights", cls)
    learnable(o, f["Bias"], ctx, "Bias", cls)
    return _make("transposedConv2dLayer", o, ctx)


FC_V2 = ("InputSize", "OutputSize", "Weights", "Bias")


@decoder("FullyConnectedLayer", {2: FC_V2, 3: FC_V2})
def _fc(f, ctx):
    cls = REGISTRY["fullyConnectedLayer"]
    out = as_ints(f["OutputSize"], ctx, "OutputSize")
    if not out:
        raise ctx.error("OutputSize is empty.")
    n_out = out[-1]
    in_size = [] if is_empty(f["InputSize"]) else as_ints(f["InputSize"], ctx, "InputSize")
    o = {"Name": f["Name"], "OutputSize": n_out}
    if in_size:
        o["InputSize"] = int(np.prod(in_size))

    def weights(w):
        # after an image layer, old releases save Weights h×w×c×Out: flatten column-major to Out×(h*w*c)
        if w.dim() > 2 or (len(in_size) > 1 and w.dim() == 2 and w.shape[0] != n_out):
            a = w.numpy().reshape((-1, n_out), order="F").T
            return torch.from_numpy(np.ascontiguousarray(a))
        return w

    learnable(o, f["Weights"], ctx, "Weights", cls, weights)
    learnable(o, f["Bias"], ctx, "Bias", cls, lambda b: b.reshape(n_out, 1))
    return _make("fullyConnectedLayer", o, ctx)


# ---- normalization -----------------------------------------------------------------------------------

BN_V1 = ("Epsilon", "NumChannels", "TrainedMean", "TrainedVariance", "NumTrainingSamples", "Offset", "Scale")
BN_V2 = ("Epsilon", "NumChannels", "ChannelDim", "TrainedMean", "TrainedVariance", "NumTrainingSamples", "Offset",
         "Scale")  # [O] (a 2021 file)
BN_V3 = ("Epsilon", "NumChannels", "ChannelDim", "TrainedMean", "TrainedVariance", "MeanDecay", "VarianceDecay",
         "IsMovingAverageMode", "NumTrainingSamples", "Offset", "Scale")


@decoder("BatchNormalizationLayer", {1: BN_V1, 2: BN_V2, 3: BN_V3})
def _bn(f, ctx):
    cls = REGISTRY["batchNormalizationLayer"]
    o = {"Name": f["Name"], "Epsilon": as_float(f["Epsilon"], ctx, "Epsilon"),
         "NumChannels": _auto_or_int(f["NumChannels"], ctx, "NumChannels")}
    for key in ("MeanDecay", "VarianceDecay"):
        if key in f and not is_empty(f[key]):
            o[key] = as_float(f[key], ctx, key)
    for key in ("TrainedMean", "TrainedVariance"):
        value = as_tensor(f[key], ctx, key)
        if value is not None:
            o[key] = value
    learnable(o, f["Offset"], ctx, "Offset", cls)
    learnable(o, f["Scale"], ctx, "Scale", cls)
    return _make("batchNormalizationLayer", o, ctx)


# ---- recurrent -------------------------------------------------------------------------------------

RNN_COMMON = ("InputSize", "NumHiddenUnits", "ReturnSequence", "StateActivationFunction", "GateActivationFunction")
LSTM_V4 = RNN_COMMON + ("InputWeights", "RecurrentWeights", "Bias", "CellState", "HiddenState", "InitialCellState",
                        "InitialHiddenState")
LSTM_V5 = RNN_COMMON + ("HasStateInputs", "HasStateOutputs", "InputWeights", "RecurrentWeights", "Bias", "CellState",
                        "HiddenState", "InitialCellState", "InitialHiddenState")
GRU_V1 = RNN_COMMON + ("ResetGateMode", "InputWeights", "RecurrentWeights", "Bias", "HiddenState", "InitialHiddenState")


def _state(v, ctx, field):
    """A saved recurrent state: a plain array (older versions) or a struct {Value, Remember}."""
    if isinstance(v, np.ndarray) and v.dtype.names:
        f = struct_fields(v, ctx, field)
        unknown = sorted(set(f) - {"Value", "Remember"})
        if unknown:
            raise ctx.error(f"state {field} has fields not understood: {', '.join(unknown)}.")
        return as_tensor(f.get("Value"), ctx, field + ".Value")
    return as_tensor(v, ctx, field)


def _recurrent(f, ctx, constructor: str, has_cell: bool):
    cls = REGISTRY[constructor]
    o = {"Name": f["Name"], "NumHiddenUnits": as_ints(f["NumHiddenUnits"], ctx, "NumHiddenUnits")[0],
         "InputSize": _auto_or_int(f["InputSize"], ctx, "InputSize"),
         "OutputMode": "sequence" if as_bool(f["ReturnSequence"], ctx, "ReturnSequence") else "last",
         "StateActivationFunction": as_str(f["StateActivationFunction"], ctx, "StateActivationFunction"),
         "GateActivationFunction": as_str(f["GateActivationFunction"], ctx, "GateActivationFunction")}
    for key in ("HasStateInputs", "HasStateOutputs"):
        if key in f:
            o[key] = as_bool(f[key], ctx, key)
    if "ResetGateMode" in f:
        o["ResetGateMode"] = as_str(f["ResetGateMode"], ctx, "ResetGateMode")
    for prop in ("InputWeights", "RecurrentWeights", "Bias"):
        learnable(o, f[prop], ctx, prop, cls)
    states = ("HiddenState", "CellState") if has_cell else ("HiddenState",)
    for key in states:
        value = _state(f[key], ctx, key)
        if value is None and f"Initial{key}" in f:
            value = as_tensor(f[f"Initial{key}"], ctx, f"Initial{key}")
        if value is not None:
            o[key] = value
    return _make(constructor, o, ctx)


@decoder("LSTMLayer", {4: LSTM_V4, 5: LSTM_V5})
def _lstm(f, ctx):
    return _recurrent(f, ctx, "lstmLayer", True)


@decoder("BiLSTMLayer", {3: LSTM_V4})
def _bilstm(f, ctx):
    return _recurrent(f, ctx, "bilstmLayer", True)


@decoder("GRULayer", {1: GRU_V1})
def _gru(f, ctx):
    return _recurrent(f, ctx, "gruLayer", False)


# ---- input layers ------------------------------------------------------------------------------------

NORMALIZATION_TYPES = {"zerocenter", "zscore", "rescale-symmetric", "rescale-zero-one", "none"}
# statistic fields of the saved normalization -> the input layer property
STATISTIC_FIELDS = {"AverageImage": "Mean", "Mean": "Mean", "StandardDeviation": "StandardDeviation",
                    "Std": "StandardDeviation", "Min": "Min", "Max": "Max"}
NORMALIZATION_FIELDS = {"Version", "Type", "ImageSize", "NumTrainingSamples", *STATISTIC_FIELDS}


def _normalization(options: dict, v, ctx):
    if is_empty(v):
        options["Normalization"] = "none"
        return
    if isinstance(v, np.ndarray) and v.dtype.kind in "UST":
        options["Normalization"] = as_str(v, ctx, "Normalization")
        return
    f = struct_fields(v, ctx, "Normalization")
    unknown = sorted(set(f) - NORMALIZATION_FIELDS)
    if unknown:
        raise ctx.error(f"Normalization has fields not understood: {', '.join(unknown)} "
                        f"(known: {', '.join(sorted(NORMALIZATION_FIELDS))}).")
    kind = as_str(f.get("Type", np.array(["none"])), ctx, "Normalization.Type").lower()
    if kind not in NORMALIZATION_TYPES:
        raise ctx.error(f"Normalization type '{kind}' is not understood (known: {', '.join(sorted(NORMALIZATION_TYPES))}).")
    options["Normalization"] = kind
    for field, prop in STATISTIC_FIELDS.items():
        if field in f:
            value = as_tensor(f[field], ctx, f"Normalization.{field}")
            if value is not None:
                options[prop] = value


def _augmentations(f, ctx):
    if "Augmentations" not in f:
        return
    v = f["Augmentations"]
    if is_empty(v):
        return
    names = as_str_list(v, ctx, "Augmentations") if not (isinstance(v, np.ndarray) and v.dtype.kind in "UST") else [as_str(v, ctx, "Augmentations")]
    if any(n.lower() != "none" for n in names):
        raise ctx.error(f"Augmentations {names} are not supported (use data augmentation in the datastore).")


def _input(f, ctx, constructor, image: bool):
    _require_false(f, ctx, "SplitComplexInputs")
    o = {"Name": f["Name"], "InputSize": as_ints(f["InputSize"], ctx, "InputSize")}
    _normalization(o, f["Normalization"], ctx)
    if "NormalizationDimension" in f and not is_empty(f["NormalizationDimension"]):
        o["NormalizationDimension"] = as_str(f["NormalizationDimension"], ctx, "NormalizationDimension")
    if "MinLength" in f:
        o["MinLength"] = as_ints(f["MinLength"], ctx, "MinLength")[0]
    if image:
        _augmentations(f, ctx)
        if "IsAverageImageMeanPerChannel" in f and as_bool(f["IsAverageImageMeanPerChannel"], ctx,
                                                            "IsAverageImageMeanPerChannel") and "Mean" in o:
            o["Mean"] = o["Mean"].reshape(1, 1, -1)
    return _make(constructor, o, ctx)


IMG_V1 = ("InputSize", "Normalization", "Augmentations")
IMG_V2 = IMG_V1 + ("IsAverageImageMeanPerChannel",)
IMG_V4 = IMG_V1 + ("NormalizationDimension",)
IMG_V5 = IMG_V4 + ("SplitComplexInputs",)


@decoder("ImageInputLayer", {1: IMG_V1, 2: IMG_V2, 3: IMG_V2, 4: IMG_V4, 5: IMG_V5},
         optional=("IsAverageImageMeanPerChannel",))
def _image_input(f, ctx):
    return _input(f, ctx, "imageInputLayer", True)


@decoder("SequenceInputLayer", {3: ("InputSize", "Normalization", "NormalizationDimension"),
                                5: ("InputSize", "Normalization", "NormalizationDimension", "MinLength",
                                    "SplitComplexInputs")})
def _sequence_input(f, ctx):
    return _input(f, ctx, "sequenceInputLayer", False)


@decoder("FeatureInputLayer", {2: ("InputSize", "Normalization", "NormalizationDimension", "SplitComplexInputs")})
def _feature_input(f, ctx):
    return _input(f, ctx, "featureInputLayer", False)


# ---- pooling -----------------------------------------------------------------------------------------

POOL_V2 = ("PoolSize", "Stride", "PaddingMode", "PaddingSize", "HasUnpoolingOutputs")
POOL_V3 = POOL_V2 + ("PoolOverTime", "DistributeOverTime", "PoolingDimIdx")


@decoder("MaxPooling2DLayer", {2: POOL_V2, 3: POOL_V3})
def _maxpool2d(f, ctx):
    _require_false(f, ctx, "PoolOverTime", "DistributeOverTime")
    if "PoolingDimIdx" in f and not is_empty(f["PoolingDimIdx"]) and as_ints(f["PoolingDimIdx"], ctx, "PoolingDimIdx") != [1, 2]:
        raise ctx.error("PoolingDimIdx is not [1 2] (pooling over other dimensions is not supported).")
    o = {"Name": f["Name"], "PoolSize": as_ints(f["PoolSize"], ctx, "PoolSize"),
         "Stride": as_ints(f["Stride"], ctx, "Stride"), "Padding": _padding(f, ctx),
         "HasUnpoolingOutputs": as_bool(f["HasUnpoolingOutputs"], ctx, "HasUnpoolingOutputs")}
    return _make("maxPooling2dLayer", o, ctx)


# ---- activations, utility, combination ---------------------------------------------------------------


@decoder("SoftmaxLayer", {2: ("VectorFormat",), 3: ("ChannelDim", "VectorFormat"), 4: ("ChannelDim", "VectorFormat")})
def _softmax(f, ctx):
    return _make("softmaxLayer", {"Name": f["Name"]}, ctx)


@decoder("ReLULayer", {1: ()})
def _relu(f, ctx):
    return _make("reluLayer", {"Name": f["Name"]}, ctx)


@decoder("LeakyReLULayer", {1: ("Scale",)})
def _leaky(f, ctx):
    return _make("leakyReluLayer", {"Name": f["Name"], "Scale": as_float(f["Scale"], ctx, "Scale")}, ctx)


@decoder("DropoutLayer", {1: ("Probability",)})
def _dropout(f, ctx):
    return _make("dropoutLayer", {"Name": f["Name"], "Probability": as_float(f["Probability"], ctx, "Probability")}, ctx)


@decoder("FlattenLayer", {1: ("NumFlattenDimensions",)}, optional=("NumFlattenDimensions",))
def _flatten(f, ctx):
    return _make("flattenLayer", {"Name": f["Name"]}, ctx)


@decoder("DepthConcatenationLayer", {1: ("NumInputs",)})
def _depthcat(f, ctx):
    return _make("depthConcatenationLayer", {"Name": f["Name"], "NumInputs": as_ints(f["NumInputs"], ctx, "NumInputs")[0]}, ctx)


RESIZE_V3 = ("Scale", "OutputSize", "EnableReferenceInput", "Method", "GeometricTransformMode", "NearestRoundingMode",
             "Description", "Type", "DlresizeMethodName", "GetOutputSizeAndScale")  # [O]
# derived from the others: the display strings, the dlresize method name and the helper that computes sizes
RESIZE_DERIVED = ("Description", "Type", "DlresizeMethodName", "GetOutputSizeAndScale")


@decoder("Resize2DLayer", {3: RESIZE_V3}, optional=RESIZE_DERIVED)
def _resize2d(f, ctx):
    o = {"Name": f["Name"],
         "EnableReferenceInput": as_bool(f["EnableReferenceInput"], ctx, "EnableReferenceInput"),
         "Method": as_str(f["Method"], ctx, "Method"),
         "GeometricTransformMode": as_str(f["GeometricTransformMode"], ctx, "GeometricTransformMode"),
         "NearestRoundingMode": as_str(f["NearestRoundingMode"], ctx, "NearestRoundingMode")}
    if not is_empty(f["Scale"]):
        o["Scale"] = as_numbers(f["Scale"], ctx, "Scale")
    if not is_empty(f["OutputSize"]):
        o["OutputSize"] = [None if np.isnan(x) else int(x) for x in as_numbers(f["OutputSize"], ctx, "OutputSize")]
    return _make("resize2dLayer", o, ctx)


# ---- output layers -----------------------------------------------------------------------------------


@decoder("ClassificationOutputLayer", {3: ("ObservationDim", "NumClasses", "Categories"),
                                       4: ("ObservationDim", "NumClasses", "Categories", "ClassWeights")})
def _classification(f, ctx):
    o = {"Name": f["Name"]}
    _classes_and_weights(o, f, ctx)
    classes = o.get("Classes", [])
    if classes:
        n = as_ints(f["NumClasses"], ctx, "NumClasses") if not is_empty(f["NumClasses"]) else [len(classes)]
        if n[0] != len(classes):
            raise ctx.error(f"NumClasses is {n[0]} but Categories holds {len(classes)} classes.")
    return _make("classificationLayer", o, ctx)


def _classes_and_weights(o: dict, f: dict, ctx: Context) -> None:
    cats = f["Categories"]
    if isinstance(cats, MatCategorical):
        classes = as_str_list(cats, ctx, "Categories")
    elif is_empty(cats):
        classes = []
    else:
        raise ctx.error(f"Categories should be a categorical array but is {_describe(cats)}.")
    if classes:
        o["Classes"] = classes
    if "ClassWeights" in f and not is_empty(f["ClassWeights"]):
        cw = f["ClassWeights"]
        o["ClassWeights"] = as_str(cw, ctx, "ClassWeights") if np.asarray(cw).dtype.kind in "UST" else as_numbers(cw, ctx, "ClassWeights")


@decoder("PixelClassificationLayer", {3: ("OutputSize", "Categories", "ClassWeights", "ChannelDim")})
def _pixel_classification(f, ctx):
    o = {"Name": f["Name"]}
    _classes_and_weights(o, f, ctx)
    return _make("pixelClassificationLayer", o, ctx)


@decoder("RegressionOutputLayer", {2: ("ResponseNames", "ObservationDim")})
def _regression(f, ctx):
    o = {"Name": f["Name"]}
    names = as_str_list(f["ResponseNames"], ctx, "ResponseNames")
    if names:
        o["ResponseNames"] = names
    return _make("regressionLayer", o, ctx)


# --------------------------------------------------------------------------------------------------
# Entry points


def _class_by_matlab_class(short: str):
    for cls in REGISTRY.values():
        if cls.display_class_name() == short:
            return cls
    return None


def decode_generic(f: dict, ctx: Context, cls: type[Layer]) -> Layer:
    """A layer whose saved fields (besides Version) all carry user-facing property names of ``cls``."""
    opts = cls.options()
    o = {}
    for key, value in f.items():
        if key == "Version":
            continue
        opt = opts[key]
        if isinstance(value, str):
            o[key] = value
        elif opt.learnable:
            learnable(o, value, ctx, key, cls)
        elif opt.state:
            t = as_tensor(value, ctx, key)
            if t is not None:
                o[key] = t
        elif isinstance(value, np.ndarray) and value.dtype.kind in "UST":
            o[key] = as_str(value, ctx, key)
        elif isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            if value.size == 0:
                continue
            nums = as_numbers(value, ctx, key)
            o[key] = nums[0] if len(nums) == 1 else nums
        elif isinstance(value, np.ndarray) and value.dtype == object:
            o[key] = as_str_list(value, ctx, key)
        else:
            raise ctx.error(f"field {key} holds {_describe(value)}, which the generic decoder cannot map.")
    try:
        return cls(**o)
    except LayerGraphError as exc:
        raise ctx.error(f"the saved values do not make a valid {cls.MATLAB_NAME}: {exc}") from None


def decode_layer(obj, ctx: Context) -> Layer:
    """One saved layer object -> a layergraph Layer (or a placeholder for user-defined/FunctionLayer)."""
    if not isinstance(obj, MatObject):
        raise ctx.error(f"a layer array element is {_describe(obj)}, not a layer object.")
    classname = obj.classname
    ctx = Context(ctx.path, ctx.variable, classname=classname)
    if classname == LAYER_PACKAGE + "FunctionLayer":
        return _function_layer(obj, ctx)
    if not obj.saved_struct:
        if classname.startswith("nnet."):
            raise ctx.error("a built-in layer saved without its save struct cannot be decoded.")
        return _custom_placeholder(obj, ctx)
    fields = obj.saved
    if fields is None:
        raise ctx.error("the saved value is not a struct.")
    name = as_str(fields.get("Name", np.array([""])), ctx, "Name") if "Name" in fields else ""
    version = as_float(fields["Version"], ctx, "Version") if "Version" in fields else None
    ctx = Context(ctx.path, ctx.variable, name, classname, version)
    if not classname.startswith(LAYER_PACKAGE):
        raise ctx.error("is not a layer class (layers are nnet.cnn.layer.*Layer).")
    short = classname[len(LAYER_PACKAGE):]
    dec = DECODERS.get(short)
    if dec is not None:
        if version is None or version not in dec.versions:
            known = ", ".join(_vstr(v) for v in sorted(dec.versions))
            raise ctx.error(f"save version {_vstr(version)} is not one the decoder knows (known: {known}); "
                            f"fields: {', '.join(sorted(fields))}.")
        expected = set(dec.versions[version]) | {"Version", "Name"}
        unknown = sorted(set(fields) - expected)
        missing = sorted(expected - set(fields) - dec.optional)
        if unknown or missing:
            msg = []
            if unknown:
                msg.append(f"fields not understood: {', '.join(unknown)}")
            if missing:
                msg.append(f"fields missing: {', '.join(missing)}")
            raise ctx.error("; ".join(msg) + f" (save version {_vstr(version)} has: {', '.join(dec.versions[version])}).")
        fields = dict(fields)
        fields["Name"] = name
        return dec.decode(fields, ctx)
    cls = _class_by_matlab_class(short)
    if cls is None:
        raise ctx.error(f"the layer class is not known to layergraph; fields: {', '.join(sorted(fields))}.")
    options = cls.options()
    unknown = sorted(k for k in fields if k != "Version" and k not in options)
    if unknown:
        raise ctx.error(f"no decoder for this class, and fields not understood (not properties of "
                        f"{cls.MATLAB_NAME}): {', '.join(unknown)}.")
    fields = dict(fields)
    fields["Name"] = name
    return decode_generic(fields, ctx, cls)


def _ports(props, ctx, key_names, key_count, default_stem):
    names = props.get(key_names)
    private = props.get("nnet.layer.Layer.Private" + ("Inputs" if key_names == "InputNames" else "Outputs"))
    if (names is None or is_empty(names)) and private is not None and not is_empty(private):
        names = private
    if names is not None and not is_empty(names):
        return tuple(as_str_list(names, ctx, key_names))
    n = props.get(key_count)
    n = int(as_float(n, ctx, key_count)) if n is not None and not is_empty(n) else 1
    return (default_stem,) if n == 1 else tuple(f"{default_stem}{i}" for i in range(1, n + 1))


def _plain(v):
    """MATLAB property values in a readable, JSON-friendly form (for the placeholder's Properties)."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "UST":
            return _string(v)
        if v.dtype.kind in "biuf":
            return v.tolist() if v.size != 1 else v.ravel()[0].item()
        if v.dtype.names:
            return {n: _plain(v.flat[0][n]) for n in v.dtype.names} if v.size == 1 else f"<{v.shape} struct>"
        return [_plain(x) for x in v.ravel(order="F")]
    if isinstance(v, MatObject):
        return f"<{v.classname} object>"
    if isinstance(v, MatCategorical):
        return [v.categories[c] if c >= 0 else "<undefined>" for c in v.codes.ravel(order="F")]
    return repr(v)


def _internal(key: str) -> bool:
    """Base-class bookkeeping saved with user layers ('nnet.layer.Layer.PrivateInputs', ...), not user properties."""
    return key.startswith("__") or "." in key


BUILTIN_LAYER_PROPERTIES = ("Name", "Description", "Type", "NumInputs", "InputNames", "NumOutputs", "OutputNames")


def _custom_placeholder(obj: MatObject, ctx: Context) -> Layer:
    props = dict(obj.properties or {})
    name = as_str(props["Name"], ctx, "Name") if "Name" in props and not is_empty(props["Name"]) else ""
    ctx = Context(ctx.path, ctx.variable, name, obj.classname)
    inputs = _ports(props, ctx, "InputNames", "NumInputs", "in")
    outputs = _ports(props, ctx, "OutputNames", "NumOutputs", "out")
    extra = {k: _plain(v) for k, v in props.items() if k not in BUILTIN_LAYER_PROPERTIES and not _internal(k)}
    if "Classes" in props or "ResponseNames" in props:
        # the superclass is not saved; MATLAB's output-layer base classes carry Classes / ResponseNames
        return MatPlaceholderOutputLayer(Name=name, MatlabClass=obj.classname, Properties=extra, InputNames=inputs,
                                         OutputNames=())
    return MatPlaceholderLayer(Name=name, MatlabClass=obj.classname, Properties=extra, InputNames=inputs,
                               OutputNames=outputs)


def function_source(v) -> str:
    """The source text of a saved function handle (``@(x).001*x``), found in its 'function' field."""
    if isinstance(v, np.ndarray) and v.dtype.names:
        for idx in np.ndindex(v.shape):
            for name in v.dtype.names:
                item = v[idx][name]
                if name == "function" and isinstance(item, np.ndarray) and item.dtype.kind in "UST":
                    # anonymous functions are saved as 'sf%<n>@(x)...': the prefix is MATLAB's internal tag
                    return re.sub(r"^sf%\d+(?=@)", "", _string(item))
                found = function_source(item)
                if found:
                    return found
    elif isinstance(v, np.ndarray) and v.dtype == object:
        for item in v.ravel():
            found = function_source(item)
            if found:
                return found
    elif isinstance(v, np.ndarray) and v.dtype.kind in "UST":
        return ""
    return ""


def _function_layer(obj: MatObject, ctx: Context) -> Layer:
    props = dict(obj.properties or {})
    name = as_str(props["Name"], ctx, "Name") if "Name" in props and not is_empty(props["Name"]) else ""
    ctx = Context(ctx.path, ctx.variable, name, obj.classname)
    source = function_source(props.get("PredictFcn"))
    if not source:
        raise ctx.error("the FunctionLayer's PredictFcn holds no function source text.")
    inputs = _ports(props, ctx, "InputNames", "NumInputs", "in")
    outputs = _ports(props, ctx, "OutputNames", "NumOutputs", "out")
    extra = {k: _plain(v) for k, v in props.items()
             if k not in BUILTIN_LAYER_PROPERTIES + ("PredictFcn", "Version", "PrivateNumStates") and not _internal(k)}
    return MatPlaceholderLayer(Name=name, MatlabClass="nnet.cnn.layer.FunctionLayer", Source=source,
                               Properties=extra, InputNames=inputs, OutputNames=outputs)


__all__ = ["Context", "DECODERS", "LayerDecoder", "decode_layer", "decode_generic", "function_source"]
