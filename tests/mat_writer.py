"""Test-side writer of MATLAB .mat files holding networks, in MATLAB's own object format.

Writes what ``save('net.mat', 'net')`` writes, as documented in
``shared/matlab-reference/mat-network-format.md``: every network and built-in layer is an object saved
through its save method, i.e. an MCOS object with one saved value ``any`` holding a struct that starts
with ``Version`` (and ``Name`` for layers) and then exactly the field names listed for its (class, save
version). Learnables are structs ``{Value, LearnRateFactor, L2Factor}`` (``Version`` and ``Initializer``
in the newer versions). The container and subsystem are written by mat-io's writer; two of its defects
are worked around here (an object array nested in a struct, and heterogeneous arrays: each element keeps
its own class and the array the class ``nnet.cnn.layer.Layer``).

This is independent of the importer's decoder tables: the field lists below are written from the
reference document.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from matio.subsystem.subsys import MatSubsystem
from matio.utils.matclass import MatlabOpaque, MatlabOpaqueArray

LAYER_ARRAY_CLASS = "nnet.cnn.layer.Layer"
INIT_PREFIX = "nnet.internal.cnn.layer.learnable.initializer."


# --------------------------------------------------------------------------------------------------
# MATLAB values


def struct(**fields):
    a = np.empty((1, 1), dtype=[(k, object) for k in fields])
    for k, v in fields.items():
        a[0, 0][k] = v
    return a


def num(x):
    return np.array(x, dtype=np.float64).reshape(1, -1) if np.ndim(x) <= 1 else np.asarray(x, dtype=np.float64)


def char(s: str):
    return np.array([s]) if s else np.empty((0,), dtype="<U1")


def logical(b: bool):
    return np.array([[bool(b)]])


def cellstr(items):
    a = np.empty((1, len(items)), dtype=object)
    for i, s in enumerate(items):
        a[0, i] = char(s)
    return a


def empty():
    return np.empty((0, 0), dtype=np.float64)


def single(t):
    """A layergraph MATLAB-layout tensor as a float32 array with the same shape."""
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))


def saved_object(classname: str, **fields):
    return MatlabOpaque({"any": struct(**fields)}, classname)


def categorical(labels, categories):
    codes = np.array([[categories.index(x) + 1 for x in labels]], dtype=np.uint8).reshape(-1, 1)
    names = np.empty((len(categories), 1), dtype=object)
    for i, c in enumerate(categories):
        names[i, 0] = char(c)
    return MatlabOpaque({"categoryNames": names, "codes": codes, "isProtected": logical(False),
                         "isOrdinal": logical(False)}, "categorical")


def learnable(value, lr, l2, version: int, init: str | None = None):
    """A learnable struct; version 0: {Value, LearnRateFactor, L2Factor}; 2: with Version and Initializer."""
    fields = {"Value": single(value), "LearnRateFactor": num(lr), "L2Factor": num(l2)}
    if version:
        fields = {"Version": num(version), **fields}
        fields["Initializer"] = struct(Version=num(1), Class=char(INIT_PREFIX + (init or "Glorot")),
                                       ConstructorArguments=empty())
    return struct(**fields)


def layer_array(objects):
    arr = np.empty((len(objects), 1), dtype=object)
    for i, o in enumerate(objects):
        arr[i, 0] = o
    return MatlabOpaqueArray(arr, LAYER_ARRAY_CLASS)


def connections_table(edges):
    src = [s if p == "out" else f"{s}/{p}" for s, p, _, _ in edges]
    dst = [d if q == "in" else f"{d}/{q}" for _, _, d, q in edges]
    return pd.DataFrame({"Source": src, "Destination": dst})


# --------------------------------------------------------------------------------------------------
# Layers: one writer per class; ``version`` picks the field list


def _same_padding(filter_size, dilation):
    pads = []
    for f, d in zip(filter_size, dilation):
        total = (f - 1) * d
        pads.append((total // 2, total - total // 2))
    return [pads[0][0], pads[0][1], pads[1][0], pads[1][1]]


def _lv(version):
    """Learnable struct form for a layer version: newer layer versions save Version/Initializer."""
    return 2 if version else 0


def conv2d(layer, version):
    pad = layer.Padding
    fs, dil = list(layer.FilterSize), list(layer.DilationFactor)
    mode = "same" if pad == "same" else "manual"
    size = _same_padding(fs, dil) if pad == "same" else list(pad)
    lv = 2 if version >= 5 else 0
    f = {"Version": num(version), "Name": char(layer.Name), "FilterSize": num(fs),
         "NumChannels": num(layer.NumChannels), "NumFilters": num(layer.NumFilters), "Stride": num(list(layer.Stride))}
    if version >= 4:
        f["DilationFactor"] = num(dil)
    f["PaddingMode"] = char(mode)
    f["PaddingSize"] = num(size)
    if version >= 6:
        f["PaddingValue"] = num(layer.PaddingValue)
    f["Weights"] = learnable(layer.Weights, layer.WeightLearnRateFactor, layer.WeightL2Factor, lv)
    f["Bias"] = learnable(layer.Bias, layer.BiasLearnRateFactor, layer.BiasL2Factor, lv, "Zeros")
    if version >= 8:
        f["ConvolveOverTime"] = logical(False)
        f["DistributeOverTime"] = logical(False)
        f["ConvolutionDimIdx"] = num([1, 2])
        f["CudnnGPUAlgoForward"] = num(-1)
    return saved_object("nnet.cnn.layer.Convolution2DLayer", **f)


def tconv2d(layer, version=2):
    crop = layer.Cropping
    mode = "same" if crop == "same" else "manual"
    return saved_object(
        "nnet.cnn.layer.TransposedConvolution2DLayer", Version=num(2), Name=char(layer.Name),
        FilterSize=num(list(layer.FilterSize)), NumChannels=num(layer.NumChannels), NumFilters=num(layer.NumFilters),
        Stride=num(list(layer.Stride)), CroppingMode=char(mode),
        CroppingSize=num([0, 0, 0, 0] if crop == "same" else list(crop)), OutputSizeOffset=num([0, 0]),
        Weights=learnable(layer.Weights, layer.WeightLearnRateFactor, layer.WeightL2Factor, 0),
        Bias=learnable(layer.Bias, layer.BiasLearnRateFactor, layer.BiasL2Factor, 0))


def fully_connected(layer, version, image_input=None):
    """``image_input`` (h, w, c): save Weights as h×w×c×Out and Bias 1×1×Out, as releases do after images."""
    lv = 2 if version >= 3 else 0
    w, b = layer.Weights, layer.Bias
    if image_input is not None:
        h, wd, c = image_input
        weights = single(w).T.reshape((h, wd, c, layer.OutputSize), order="F")
        in_size, out_size = num([h, wd, c]), num([1, 1, layer.OutputSize])
        bias = single(b).reshape(1, 1, -1)
    else:
        weights, bias = single(w), single(b)
        in_size, out_size = num(layer.InputSize), num(layer.OutputSize)

    def lstruct(value, lr, l2, init):
        s = learnable(w, lr, l2, lv, init)
        s[0, 0]["Value"] = value
        return s

    return saved_object("nnet.cnn.layer.FullyConnectedLayer", Version=num(version), Name=char(layer.Name),
                        InputSize=in_size, OutputSize=out_size,
                        Weights=lstruct(weights, layer.WeightLearnRateFactor, layer.WeightL2Factor, "Glorot"),
                        Bias=lstruct(bias, layer.BiasLearnRateFactor, layer.BiasL2Factor, "Zeros"))


def batchnorm(layer, version):
    lv = 2 if version >= 3 else 0
    f = {"Version": num(version), "Name": char(layer.Name), "Epsilon": num(layer.Epsilon),
         "NumChannels": num(layer.NumChannels)}
    if version >= 2:
        f["ChannelDim"] = empty()
    f["TrainedMean"] = single(layer.TrainedMean)
    f["TrainedVariance"] = single(layer.TrainedVariance)
    if version >= 3:
        f["MeanDecay"] = num(layer.MeanDecay)
        f["VarianceDecay"] = num(layer.VarianceDecay)
        f["IsMovingAverageMode"] = logical(True)
    f["NumTrainingSamples"] = num(100)
    f["Offset"] = learnable(layer.Offset, layer.OffsetLearnRateFactor, layer.OffsetL2Factor, lv, "Zeros")
    f["Scale"] = learnable(layer.Scale, layer.ScaleLearnRateFactor, layer.ScaleL2Factor, lv, "Ones")
    return saved_object("nnet.cnn.layer.BatchNormalizationLayer", **f)


def recurrent(layer, version):
    """LSTMLayer 4/5, BiLSTMLayer 3, GRULayer 1."""
    kind = type(layer).__name__  # LSTMLayer, BiLSTMLayer, GRULayer
    has_cell = kind != "GRULayer"
    states_as_struct = kind == "LSTMLayer" and version >= 5
    lv = 2 if states_as_struct else 0
    h = layer.NumHiddenUnits * (2 if kind == "BiLSTMLayer" else 1)
    f = {"Version": num(version), "Name": char(layer.Name), "InputSize": num(layer.InputSize),
         "NumHiddenUnits": num(layer.NumHiddenUnits), "ReturnSequence": logical(layer.OutputMode == "sequence"),
         "StateActivationFunction": char(layer.StateActivationFunction),
         "GateActivationFunction": char(layer.GateActivationFunction)}
    if states_as_struct:
        f["HasStateInputs"] = logical(False)
        f["HasStateOutputs"] = logical(False)
    if kind == "GRULayer":
        f["ResetGateMode"] = char(layer.ResetGateMode)
    f["InputWeights"] = learnable(layer.InputWeights, layer.InputWeightsLearnRateFactor, layer.InputWeightsL2Factor, lv)
    f["RecurrentWeights"] = learnable(layer.RecurrentWeights, layer.RecurrentWeightsLearnRateFactor,
                                      layer.RecurrentWeightsL2Factor, lv, "Orthogonal")
    f["Bias"] = learnable(layer.Bias, layer.BiasLearnRateFactor, layer.BiasL2Factor, lv, "UnitForgetGate")
    zeros = np.zeros((h, 1), dtype=np.float32)
    state_names = ("CellState", "HiddenState") if has_cell else ("HiddenState",)
    for key in state_names:
        value = getattr(layer, key)
        value = zeros if value is None else single(value).reshape(h, 1)
        f[key] = struct(Value=value, Remember=logical(True)) if states_as_struct else value
    for key in state_names:
        f["Initial" + key] = zeros
    cls = {"LSTMLayer": "LSTMLayer", "BiLSTMLayer": "BiLSTMLayer", "GRULayer": "GRULayer"}[kind]
    return saved_object("nnet.cnn.layer." + cls, **f)


def _normalization_struct(layer, version, image):
    mode = layer.Normalization
    if mode == "none" and not image:
        return empty()
    f = {"Version": num(2 if version >= 5 else 1), "Type": char(mode)}
    if image:
        f["ImageSize"] = num(list(layer.InputSize))
    if mode in ("zerocenter", "zscore"):
        f["AverageImage" if image else "Mean"] = single(layer.Mean)
    if mode == "zscore":
        f["StandardDeviation"] = single(layer.StandardDeviation)
    if mode in ("rescale-symmetric", "rescale-zero-one"):
        f["Min"] = single(layer.Min)
        f["Max"] = single(layer.Max)
    if image and version >= 5:
        f["NumTrainingSamples"] = num(0)
    return struct(**f)


def image_input(layer, version):
    f = {"Version": num(version), "Name": char(layer.Name), "InputSize": num(list(layer.InputSize)),
         "Normalization": _normalization_struct(layer, version, True), "Augmentations": np.empty((1, 0))}
    if version in (2, 3):
        f["IsAverageImageMeanPerChannel"] = logical(False)
    if version >= 4:
        f["NormalizationDimension"] = char(layer.NormalizationDimension)
    if version >= 5:
        f["SplitComplexInputs"] = logical(False)
    return saved_object("nnet.cnn.layer.ImageInputLayer", **f)


def sequence_input(layer, version):
    f = {"Version": num(version), "Name": char(layer.Name), "InputSize": num(layer.InputSize),
         "Normalization": _normalization_struct(layer, version, False),
         "NormalizationDimension": char(layer.NormalizationDimension)}
    if version >= 5:
        f["MinLength"] = num(layer.MinLength)
        f["SplitComplexInputs"] = logical(False)
    return saved_object("nnet.cnn.layer.SequenceInputLayer", **f)


def feature_input(layer, version=2):
    return saved_object("nnet.cnn.layer.FeatureInputLayer", Version=num(2), Name=char(layer.Name),
                        InputSize=num(layer.InputSize), Normalization=_normalization_struct(layer, version, False),
                        NormalizationDimension=char(layer.NormalizationDimension), SplitComplexInputs=logical(False))


def max_pool2d(layer, version):
    pad = layer.Padding
    f = {"Version": num(version), "Name": char(layer.Name), "PoolSize": num(list(layer.PoolSize)),
         "Stride": num(list(layer.Stride)), "PaddingMode": char("same" if pad == "same" else "manual"),
         "PaddingSize": num([0, 0, 0, 0] if pad == "same" else list(pad)),
         "HasUnpoolingOutputs": logical(layer.HasUnpoolingOutputs)}
    if version >= 3:
        f["PoolOverTime"] = logical(False)
        f["DistributeOverTime"] = logical(False)
        f["PoolingDimIdx"] = num([1, 2])
    return saved_object("nnet.cnn.layer.MaxPooling2DLayer", **f)


def softmax(layer, version):
    f = {"Version": num(version), "Name": char(layer.Name)}
    if version >= 3:
        f["ChannelDim"] = num(3)
    f["VectorFormat"] = logical(False)
    return saved_object("nnet.cnn.layer.SoftmaxLayer", **f)


def classification(layer, version):
    classes = list(layer.Classes)
    f = {"Version": num(version), "Name": char(layer.Name), "ObservationDim": num(4), "NumClasses": num(len(classes)),
         "Categories": categorical(classes, classes)}
    if version >= 4:
        f["ClassWeights"] = empty() if layer.ClassWeights == "none" else num(list(layer.ClassWeights))
    return saved_object("nnet.cnn.layer.ClassificationOutputLayer", **f)


def pixel_classification(layer, version=3, output_size=(1, 1, 1)):
    classes = list(layer.Classes)
    weights = empty() if layer.ClassWeights == "none" else num(list(layer.ClassWeights))
    return saved_object("nnet.cnn.layer.PixelClassificationLayer", Version=num(3), Name=char(layer.Name),
                        OutputSize=num(list(output_size)), Categories=categorical(classes, classes),
                        ClassWeights=weights, ChannelDim=num(3))


def regression(layer, version=2):
    names = list(layer.ResponseNames)
    return saved_object("nnet.cnn.layer.RegressionOutputLayer", Version=num(2), Name=char(layer.Name),
                        ResponseNames=cellstr(names), ObservationDim=num(2))


def simple(classname, **extra):
    def write(layer, version=1):
        return saved_object("nnet.cnn.layer." + classname, Version=num(1), Name=char(layer.Name),
                            **{k: fn(layer) for k, fn in extra.items()})
    return write


def resize2d(layer, version=3):
    scale = empty() if layer.Scale is None else num(list(layer.Scale))
    size = empty() if layer.OutputSize is None else num([math.nan if v is None else v for v in layer.OutputSize])
    method = {"nearest": "nearest", "bilinear": "linear"}.get(layer.Method, layer.Method)
    return saved_object("nnet.cnn.layer.Resize2DLayer", Version=num(3), Name=char(layer.Name), Scale=scale,
                        OutputSize=size, EnableReferenceInput=logical(layer.EnableReferenceInput),
                        Method=char(layer.Method), GeometricTransformMode=char(layer.GeometricTransformMode),
                        NearestRoundingMode=char(layer.NearestRoundingMode), Description=char(layer.description()),
                        Type=char("Resize"), DlresizeMethodName=char(method),
                        GetOutputSizeAndScale=char("iComputeOutputSizeFromScale"))


WRITERS = {
    "Convolution2DLayer": conv2d,
    "TransposedConvolution2DLayer": tconv2d,
    "FullyConnectedLayer": fully_connected,
    "BatchNormalizationLayer": batchnorm,
    "LSTMLayer": recurrent,
    "BiLSTMLayer": recurrent,
    "GRULayer": recurrent,
    "ImageInputLayer": image_input,
    "SequenceInputLayer": sequence_input,
    "FeatureInputLayer": feature_input,
    "MaxPooling2DLayer": max_pool2d,
    "SoftmaxLayer": softmax,
    "ClassificationOutputLayer": classification,
    "RegressionOutputLayer": regression,
    "PixelClassificationLayer": pixel_classification,
    "ReLULayer": simple("ReLULayer"),
    "DropoutLayer": simple("DropoutLayer", Probability=lambda l: num(l.Probability)),
    "LeakyReLULayer": simple("LeakyReLULayer", Scale=lambda l: num(l.Scale)),
    "FlattenLayer": simple("FlattenLayer", NumFlattenDimensions=lambda l: num(1)),
    "DepthConcatenationLayer": simple("DepthConcatenationLayer", NumInputs=lambda l: num(l.NumInputs)),
    "Resize2DLayer": resize2d,
}

# the save versions each class is written in when a test does not choose
DEFAULT_VERSIONS = {"Convolution2DLayer": 8, "TransposedConvolution2DLayer": 2, "FullyConnectedLayer": 3,
                    "BatchNormalizationLayer": 3, "LSTMLayer": 5, "BiLSTMLayer": 3, "GRULayer": 1,
                    "ImageInputLayer": 5, "SequenceInputLayer": 5, "FeatureInputLayer": 2, "MaxPooling2DLayer": 3,
                    "SoftmaxLayer": 4, "ClassificationOutputLayer": 4, "RegressionOutputLayer": 2}


def write_layer(layer, versions=None, image_input_size=None):
    cls = type(layer).display_class_name() if hasattr(type(layer), "display_class_name") else type(layer).__name__
    if cls not in WRITERS:
        raise KeyError(f"no writer for {cls}")
    version = (versions or {}).get(cls, DEFAULT_VERSIONS.get(cls, 1))
    if cls == "FullyConnectedLayer" and image_input_size is not None:
        return WRITERS[cls](layer, version, image_input_size)
    return WRITERS[cls](layer, version)


def write_layers(layers, versions=None, fc_image_inputs=None):
    fc_image_inputs = fc_image_inputs or {}
    return layer_array([write_layer(layer, versions, fc_image_inputs.get(layer.Name)) for layer in layers])


# --------------------------------------------------------------------------------------------------
# Networks


def series_network(net, versions=None, fc_image_inputs=None):
    return saved_object("SeriesNetwork", Version=num(1), Layers=write_layers(net.Layers, versions, fc_image_inputs))


def _edges(graph):
    return graph.edge_list()


def layer_graph(graph, layers, versions=None, classname="nnet.cnn.LayerGraph"):
    return saved_object(classname, Version=num(1), Layers=write_layers(layers, versions),
                        Connections=connections_table(_edges(graph)))


def dag_network(net, versions=None):
    return layer_graph(net._lg.graph, net.Layers, versions, "DAGNetwork")


def dl_network(net, versions=None, version=6):
    inner = layer_graph(net._lg.graph, net.Layers, versions)
    f = {"Version": num(version), "LayerGraph": inner, "Initialized": logical(True),
         "SerializedQuantizationInfo": empty(), "ExampleInputs": np.empty((0, 0), dtype=object),
         "OutputNames": cellstr(list(net.OutputNames))}
    if version >= 6:
        f.update(ExternalInputNames=empty(), ExternalOutputNames=empty(), RetainCustomInputNames=logical(True),
                 RetainCustomOutputNames=logical(True))
    return saved_object("dlnetwork", **f)


def training_options(options, version=7):
    solver = {"sgdm": "SGDM", "adam": "ADAM", "rmsprop": "RMSProp"}[options.SolverName]
    f = {"Version": num(version)}
    for key in ("LearnRateSchedule", "LearnRateDropFactor", "LearnRateDropPeriod", "L2Regularization",
                "GradientThresholdMethod", "GradientThreshold", "MaxEpochs", "MiniBatchSize", "Verbose",
                "VerboseFrequency", "ValidationFrequency", "ValidationPatience", "Shuffle", "CheckpointPath",
                "ExecutionEnvironment", "Plots", "SequenceLength", "SequencePaddingValue", "SequencePaddingDirection",
                "InitialLearnRate"):
        value = getattr(options, key)
        if isinstance(value, bool):
            f[key] = logical(value)
        elif isinstance(value, str):
            f[key] = char(value)
        else:
            f[key] = num(value)
    f["ValidationData"] = empty()
    f["OutputFcn"] = empty()
    extra = {"SGDM": ("Momentum",), "ADAM": ("GradientDecayFactor", "SquaredGradientDecayFactor", "Epsilon"),
             "RMSProp": ("SquaredGradientDecayFactor", "Epsilon")}[solver]
    for key in extra:
        f[key] = num(getattr(options, key))
    return saved_object("nnet.cnn.TrainingOptions" + solver, **f)


def custom_layer(classname, name, **properties):
    """A user-defined layer: a plain property map (no save struct)."""
    props = {"Name": char(name), "Description": char(""), "Type": char("")}
    props.update(properties)
    return MatlabOpaque(props, classname)


def function_layer(name, source, inputs=("in",), outputs=("out",)):
    """A FunctionLayer as MATLAB saves it: a property map whose PredictFcn is a saved function handle.

    The handle is kept as MATLAB writes it inside an object: a 2×1 cell of the object marker and the
    struct {matlabroot, separator, sentinel, function_handle {function, type, file, workspace,
    within_file_path}}, the anonymous function's text carrying MATLAB's 'sf%0' tag.
    """
    handle = struct(function=char("sf%0" + source), type=char("anonymous"), file=char(""),
                    workspace=empty(), within_file_path=char(""))
    wrapper = struct(matlabroot=char("/usr/local/MATLAB/R2022b"), separator=char("/"), sentinel=char("@"),
                     function_handle=handle)
    fcn = np.empty((2, 1), dtype=object)
    fcn[0, 0] = np.array([[0xDD000000]], dtype=np.uint32)
    fcn[1, 0] = wrapper

    def names(items):
        a = np.empty((1, len(items)), dtype=object)
        for i, n in enumerate(items):
            a[0, i] = char(n)
        return a

    props = {"PredictFcn": fcn, "Formattable": logical(False), "Acceleratable": logical(False), "Name": char(name),
             "Description": char(source), "Type": char("Function"),
             "nnet.layer.Layer.PrivateInputs": names(inputs), "nnet.layer.Layer.PrivateOutputs": names(outputs),
             "Version": num(1), "PrivateNumStates": num(0)}
    return MatlabOpaque(props, "nnet.cnn.layer.FunctionLayer")


# --------------------------------------------------------------------------------------------------
# The file


def _saveobj_classes(value, out):
    if isinstance(value, MatlabOpaqueArray):
        for item in value.ravel():
            _saveobj_classes(item, out)
    elif isinstance(value, MatlabOpaque):
        if isinstance(value.properties, dict) and set(value.properties) == {"any"}:
            out.add(value.classname)
        for v in (value.properties or {}).values() if isinstance(value.properties, dict) else ():
            _saveobj_classes(v, out)
    elif isinstance(value, np.ndarray) and value.dtype.hasobject:
        if value.dtype.names:
            for idx in np.ndindex(value.shape):
                for n in value.dtype.names:
                    _saveobj_classes(value[idx][n], out)
        else:
            for item in value.ravel():
                _saveobj_classes(item, out)


class _WriterSubsystem(MatSubsystem):
    """mat-io's subsystem writer, with object arrays nested in structs and per-element classes fixed."""

    def serialize_nested_props(self, prop_value):
        if isinstance(prop_value, MatlabOpaqueArray):
            return self.set_object_metadata(prop_value)
        return super().serialize_nested_props(prop_value)

    def set_mcos_object_metadata(self, obj):
        if isinstance(obj, MatlabOpaqueArray):
            ids = []
            for elem in obj.ravel(order="F"):
                object_id, _ = self.set_object_id(elem, elem.classname in self.saveobj_class_names)
                ids.append(object_id)
            class_id = self.set_class_id(obj.classname)
            return self.create_mcos_metadata(obj.shape, ids, class_id)
        return super().set_mcos_object_metadata(obj)


def save_mat(path, variables: dict, version: str = "v7") -> None:
    """Write ``variables`` (MATLAB values made with this module) as a v6, v7 or v7.3 MAT-file."""
    import sys

    from matio.utils.matheaders import MAT_FILE_VERSIONS, write_file_header, write_subsystem_offset
    from matio.v5 import matwriter5
    from matio.v7 import matwriter7

    classes: set = set()
    for value in variables.values():
        _saveobj_classes(value, classes)
    order = "<" if sys.byteorder == "little" else ">"
    if version in ("v6", "v7"):  # v6: the same MAT 5 format without compression
        compress = version == "v7"
        with open(path, "wb") as f:
            write_file_header(f, version=MAT_FILE_VERSIONS.V5)
            writer = matwriter5.MatFile5Writer(f, oned_as="col")
            writer.subsystem = _WriterSubsystem(byte_order=order, oned_as="col", saveobj_classes=sorted(classes))
            writer.subsystem.init_save()
            writer.put_variables(variables, [], compress)
            subsystem = writer.subsystem.set_subsystem()
            if subsystem is not None:
                offset = f.tell()
                stream = matwriter5.write_subsystem(subsystem, "col")
                writer.put_variables({"__subsystem__": stream}, global_vars=[], do_compression=compress)
                write_subsystem_offset(f, offset)
    elif version == "v7.3":
        import h5py

        with h5py.File(path, "w", userblock_size=512) as f:
            writer = matwriter7.MatWrite7(f, oned_as="col")
            writer.subsystem = _WriterSubsystem(byte_order=order, oned_as="col", saveobj_classes=sorted(classes))
            writer.subsystem.init_save()
            writer.put_variables(variables, [])
            subsystem = writer.subsystem.set_subsystem()
            if subsystem is not None:
                writer.write_struct_array(f, "#subsystem#", subsystem)
        with open(path, "r+b") as f:
            write_file_header(f, version=MAT_FILE_VERSIONS.HDF)
    else:
        raise ValueError(version)
