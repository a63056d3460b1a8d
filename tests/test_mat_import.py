"""loadmat: MATLAB .mat files with trained networks, written by the test-side writer in MATLAB's format.

Round trips: our network -> .mat (MATLAB's object format, exact field names per (class, save version))
-> loadmat -> equal layers (options, learnables, factors, states) and equal predictions; mat-io reads the
written files back with equal values; bad input gives MatFileError naming the file and the problem.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

import mat_writer as W  # noqa: E402

from layergraph import (  # noqa: E402
    LayerGraph,
    MatFileError,
    additionLayer,
    assembleNetwork,
    batchNormalizationLayer,
    bilstmLayer,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    depthConcatenationLayer,
    dlnetwork,
    dropoutLayer,
    featureInputLayer,
    flattenLayer,
    fullyConnectedLayer,
    gruLayer,
    imageInputLayer,
    layerGraph,
    leakyReluLayer,
    loadmat,
    lstmLayer,
    maxPooling2dLayer,
    pixelClassificationLayer,
    regressionLayer,
    reluLayer,
    resize2dLayer,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    transposedConv2dLayer,
)
from layergraph.functions import FUNCTIONS  # noqa: E402
from layergraph.io.mat import DECODERS, MatPlaceholderLayer, load_networks, require_reader  # noqa: E402
from layergraph.values.categorical import Categorical  # noqa: E402

ATOL = 1e-6


def randomized(layers, seed=0):
    """The layers with every learnable and state set to random values and non-default factors."""
    gen = torch.Generator().manual_seed(seed)
    graph = layers if isinstance(layers, LayerGraph) else None
    net = assembleNetwork(layers) if _has_output(layers) else dlnetwork(layers)
    out = []
    for i, layer in enumerate(net.Layers):
        changes = {}
        for prop in layer.learnable_names() + layer.state_names():
            value = layer._values.get(prop)
            if value is None:
                continue
            r = torch.rand(value.shape, generator=gen) * 0.6 - 0.3
            if prop == "TrainedVariance":
                r = r.abs() + 0.5
            changes[prop] = r
        opts = layer.options()
        for name in opts:
            if name.endswith("LearnRateFactor"):
                changes[name] = 0.5 + i
            if name.endswith("L2Factor"):
                changes[name] = 0.25 * (i + 1)
        for stat in ("Mean", "StandardDeviation", "Min", "Max"):
            if stat in opts and layer._values.get(stat) is not None:
                changes[stat] = layer._values[stat]
        out.append(layer.copy(**changes))
    if graph is None:
        return out
    g = LayerGraph()
    from layergraph import addLayers

    for layer in out:
        g = addLayers(g, layer)
    for s, sp, d, dp in graph.edge_list():
        g = connectLayers(g, f"{s}/{sp}", f"{d}/{dp}")
    return g


def _has_output(layers):
    items = layers.layer_list() if isinstance(layers, LayerGraph) else layers
    return any(layer.IS_OUTPUT for layer in items)


def assert_same_layers(a_layers, b_layers):
    assert [l.Name for l in a_layers] == [l.Name for l in b_layers]
    for a, b in zip(a_layers, b_layers):
        assert type(a) is type(b), a.Name
        assert a.values().keys() == b.values().keys(), a.Name
        for key, x in a.values().items():
            y = b.values()[key]
            if isinstance(x, torch.Tensor):
                assert isinstance(y, torch.Tensor), (a.Name, key)
                assert torch.equal(x.reshape(-1), y.reshape(-1)), (a.Name, key)
            else:
                assert x == y, (a.Name, key, x, y)


def roundtrip(tmp_path, variables, version="v7"):
    path = tmp_path / "net.mat"
    W.save_mat(path, variables, version)
    assert_mat_io_reads_back(path, variables)
    return path, loadmat(path)


def assert_mat_io_reads_back(path, variables):
    """The independent reader (mat-io's public load_from_mat) finds every value we wrote."""
    import matio
    from matio.utils.matclass import MatlabOpaque, MatlabOpaqueArray

    raw = matio.load_from_mat(path)
    checked = [0]

    def same(written, read, where):
        if isinstance(written, MatlabOpaqueArray) and written.size == 1:
            same(written.ravel()[0], read, where)  # a 1×1 object array reads as the object
        elif isinstance(written, MatlabOpaqueArray):
            assert isinstance(read, MatlabOpaqueArray) and read.shape == written.shape, where
            for i, (w, r) in enumerate(zip(written.ravel(order="F"), read.ravel(order="F"))):
                same(w, r, f"{where}[{i}]")
        elif isinstance(written, MatlabOpaque):
            if written.classname in ("categorical",):
                return  # mat-io converts these to pandas; our own reader is checked elsewhere
            assert isinstance(read, MatlabOpaque), where
            for key, value in written.properties.items():
                same(value, read.properties[key], f"{where}.{key}")
        elif isinstance(written, np.ndarray) and written.dtype.names:
            assert read.dtype.names == written.dtype.names, where
            for name in written.dtype.names:
                same(written[0, 0][name], read[0, 0][name], f"{where}.{name}")
        elif isinstance(written, np.ndarray) and written.dtype == object:
            for i, (w, r) in enumerate(zip(written.ravel(), np.asarray(read, dtype=object).ravel())):
                same(w, r, f"{where}{{{i}}}")
        elif isinstance(written, np.ndarray) and written.dtype.kind in "biuf":
            assert np.array_equal(np.asarray(read).reshape(written.shape), written), where
            assert np.asarray(read).dtype == written.dtype, where
            checked[0] += 1
        elif isinstance(written, np.ndarray) and written.dtype.kind == "U":
            assert "".join(map(str, np.asarray(read).ravel())) == "".join(map(str, written.ravel())), where

    for name, value in variables.items():
        same(value, raw[name], name)
    assert checked[0] > 0


# --------------------------------------------------------------------------------------------------
# Networks used by the round trips

IMAGE_MEAN = torch.linspace(0.1, 0.9, 2).reshape(1, 1, 2)


def cnn_layers():
    return [
        imageInputLayer([8, 8, 2], Normalization="zerocenter", Mean=IMAGE_MEAN, Name="in"),
        convolution2dLayer(3, 4, Padding="same", Name="conv1"),
        batchNormalizationLayer(Name="bn1"),
        reluLayer(Name="relu1"),
        maxPooling2dLayer(2, Stride=2, Name="pool1"),
        convolution2dLayer([2, 3], 3, Padding=[1, 0, 2, 1], Stride=[1, 2], Name="conv2"),
        leakyReluLayer(0.2, Name="leaky"),
        dropoutLayer(0.3, Name="drop"),
        fullyConnectedLayer(3, Name="fc"),
        softmaxLayer(Name="sm"),
        classificationLayer(Classes=["cat", "dog", "emu"], Name="out"),
    ]


def image_input_x(n=5):
    return torch.randn(n, 2, 8, 8, generator=torch.Generator().manual_seed(3))


CNN_VERSIONS = [
    {"Convolution2DLayer": 3, "BatchNormalizationLayer": 1, "FullyConnectedLayer": 2, "ImageInputLayer": 1,
     "MaxPooling2DLayer": 2, "SoftmaxLayer": 2, "ClassificationOutputLayer": 3},
    {"Convolution2DLayer": 4, "BatchNormalizationLayer": 3, "FullyConnectedLayer": 3, "ImageInputLayer": 2,
     "MaxPooling2DLayer": 3, "SoftmaxLayer": 4, "ClassificationOutputLayer": 4},
    {"Convolution2DLayer": 5, "ImageInputLayer": 3, "BatchNormalizationLayer": 2, "SoftmaxLayer": 3},
    {"Convolution2DLayer": 6, "ImageInputLayer": 4},
    {"Convolution2DLayer": 8, "ImageInputLayer": 5},
]


@pytest.mark.parametrize("versions", CNN_VERSIONS, ids=lambda v: "-".join(f"{k[:6]}{n}" for k, n in v.items()))
def test_series_network_cnn_round_trip(tmp_path, versions):
    net = assembleNetwork(randomized(cnn_layers()))
    _, loaded = roundtrip(tmp_path, {"net": W.series_network(net, versions)})
    got = loaded["net"]
    assert got.matlab_class() == "SeriesNetwork"
    assert_same_layers(net.Layers, got.Layers)
    x = image_input_x()
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)
    # the learn-rate and L2 factors come across (the learnables table MATLAB training uses)
    assert [(n, p, lr, l2) for n, p, _, lr, l2 in got.parameter_info()] == \
           [(n, p, lr, l2) for n, p, _, lr, l2 in net.parameter_info()]


def test_fully_connected_weights_saved_in_image_layout(tmp_path):
    """Old releases save FC Weights after an image layer as h×w×c×Out; flattening is column-major."""
    layers = [imageInputLayer([4, 3, 2], Normalization="none", Name="in"), fullyConnectedLayer(5, Name="fc"),
              regressionLayer(Name="out")]
    net = assembleNetwork(randomized(layers))
    obj = W.series_network(net, {"FullyConnectedLayer": 2}, fc_image_inputs={"fc": (4, 3, 2)})
    _, loaded = roundtrip(tmp_path, {"net": obj})
    got = loaded["net"]
    x = torch.randn(3, 2, 4, 3)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)
    # independent reference: y = W * x(:) + b with x flattened column-major (h, w, c)
    w = net.Layers[1].Weights.numpy()
    b = net.Layers[1].Bias.numpy().ravel()
    xm = x.permute(0, 2, 3, 1).numpy()  # N×h×w×c
    ref = np.stack([w @ xm[i].reshape(-1, order="F") + b for i in range(3)])
    np.testing.assert_allclose(got.predict(x).numpy(), ref, atol=1e-5)


def sequence_layers(kind):
    seq = sequenceInputLayer(3, Normalization="zscore", Mean=torch.tensor([[0.1], [0.2], [0.3]]),
                             StandardDeviation=torch.tensor([[1.5], [2.0], [0.5]]), Name="seq")
    if kind == "lstm":
        return [seq, lstmLayer(5, Name="lstm1"), bilstmLayer(4, OutputMode="last", Name="bilstm"),
                fullyConnectedLayer(2, Name="fc"), softmaxLayer(Name="sm"),
                classificationLayer(Classes=["no", "yes"], Name="out")]
    return [seq, gruLayer(6, Name="gru", ResetGateMode="recurrent-bias-after-multiplication"),
            fullyConnectedLayer(1, Name="fc"), regressionLayer(Name="out", ResponseNames=["Level"])]


@pytest.mark.parametrize("kind,versions", [
    ("lstm", {"LSTMLayer": 4, "SequenceInputLayer": 3}),
    ("lstm", {"LSTMLayer": 5, "SequenceInputLayer": 5}),
    ("gru", {"GRULayer": 1, "SequenceInputLayer": 5}),
])
def test_series_network_recurrent_round_trip(tmp_path, kind, versions):
    net = assembleNetwork(randomized(sequence_layers(kind)))
    _, loaded = roundtrip(tmp_path, {"net": W.series_network(net, versions)})
    got = loaded["net"]
    assert_same_layers(net.Layers, got.Layers)
    x = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)


@pytest.mark.parametrize("version", ["v6", "v7.3"])
def test_feature_network_round_trip_other_containers(tmp_path, version):
    layers = [featureInputLayer(4, Normalization="rescale-symmetric", Min=torch.tensor([[-1.0, 0, 0, 1]]).T,
                                Max=torch.tensor([[1.0, 2, 3, 4]]).T, Name="feat"),
              fullyConnectedLayer(6, Name="fc1"), reluLayer(Name="relu"), fullyConnectedLayer(2, Name="fc2"),
              regressionLayer(Name="out")]
    net = assembleNetwork(randomized(layers))
    path, loaded = roundtrip(tmp_path, {"net": W.series_network(net)}, version=version)
    head = path.read_bytes()[:128]
    assert head.startswith(b"MATLAB 5.0 MAT-file")
    if version == "v6":  # uncompressed: the first element is a matrix (14), not zlib data (15)
        assert int.from_bytes(path.read_bytes()[128:132], "little") == 14
    got = loaded["net"]
    assert_same_layers(net.Layers, got.Layers)
    x = torch.randn(5, 4)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)


def dag_graph(with_output=True):
    layers = [imageInputLayer([6, 6, 2], Normalization="none", Name="in"),
              convolution2dLayer(3, 3, Padding="same", Name="convA"), reluLayer(Name="reluA"),
              convolution2dLayer(1, 2, Name="convB"),
              depthConcatenationLayer(2, Name="cat"),
              transposedConv2dLayer(2, 3, Stride=2, Name="up"),
              resize2dLayer(Scale=0.5, Method="bilinear", Name="resize"),
              flattenLayer(Name="flat"),
              fullyConnectedLayer(2, Name="fc")]
    if with_output:
        layers += [softmaxLayer(Name="sm"), classificationLayer(Classes=["x", "y"], Name="out")]
    g = layerGraph(layers)
    from layergraph import disconnectLayers

    g = disconnectLayers(g, "reluA", "convB")
    g = connectLayers(g, "in", "convB")
    g = disconnectLayers(g, "convB", "cat/in1")
    g = connectLayers(g, "reluA", "cat/in1")
    g = connectLayers(g, "convB", "cat/in2")
    return g


def test_dag_network_and_layer_graph_round_trip(tmp_path):
    graph = randomized(dag_graph())
    net = assembleNetwork(graph)
    _, loaded = roundtrip(tmp_path, {"dag": W.dag_network(net), "lgraph": W.layer_graph(graph, graph.layer_list())})
    got = loaded["dag"]
    assert got.matlab_class() == "DAGNetwork"
    assert sorted(got._lg.graph.edge_list()) == sorted(net._lg.graph.edge_list())
    assert_same_layers(net.Layers, got.Layers)
    x = torch.randn(3, 2, 6, 6)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)
    lg = loaded["lgraph"]
    assert isinstance(lg, LayerGraph)
    assert sorted(lg.edge_list()) == sorted(graph.edge_list())
    assert_same_layers(graph.layer_list(), lg.layer_list())


@pytest.mark.parametrize("version", [4, 6])
def test_dlnetwork_round_trip(tmp_path, version):
    graph = randomized(dag_graph(with_output=False))
    net = dlnetwork(graph)
    _, loaded = roundtrip(tmp_path, {"dlnet": W.dl_network(net, version=version)})
    got = loaded["dlnet"]
    assert got.matlab_class() == "dlnetwork"
    assert_same_layers(net.Layers, got.Layers)
    assert list(got.Learnables.Layer) == list(net.Learnables.Layer)
    assert list(got.Learnables.Parameter) == list(net.Learnables.Parameter)
    x = torch.randn(2, 2, 6, 6)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)


def test_layer_array_and_training_options(tmp_path):
    layers = cnn_layers()
    net = assembleNetwork(randomized(layers))
    opts = {"sgdm": trainingOptions("sgdm", MaxEpochs=7, InitialLearnRate=0.003, Momentum=0.8, Shuffle="every-epoch",
                                    MiniBatchSize=16, Verbose=False, L2Regularization=0.0005),
            "adam": trainingOptions("adam", GradientDecayFactor=0.8, SquaredGradientDecayFactor=0.99, Epsilon=1e-7,
                                    LearnRateSchedule="piecewise", LearnRateDropPeriod=3),
            "rmsprop": trainingOptions("rmsprop", SquaredGradientDecayFactor=0.95, SequenceLength="shortest")}
    variables = {"layers": W.write_layers(net.Layers)}
    for solver, o in opts.items():
        variables["opt_" + solver] = W.training_options(o)
    _, loaded = roundtrip(tmp_path, variables)
    # a layer array keeps its learned values; sizes derived from the inputs come back once assembled
    assert_same_layers(net.Layers, assembleNetwork(loaded["layers"]).Layers)
    for solver, o in opts.items():
        got = loaded["opt_" + solver]
        assert got.SolverName == o.SolverName
        for key, value in o.values().items():
            if key in ("ValidationData", "OutputFcn"):
                continue
            assert getattr(got, key) == value, (solver, key)


def test_every_decoder_version_is_exercised():
    """Each (class, version) the decoders know is written by the writer somewhere in these tests."""
    written = {
        ("Convolution2DLayer", v) for v in (3, 4, 5, 6, 8)} | {
        ("BatchNormalizationLayer", 1), ("BatchNormalizationLayer", 2), ("BatchNormalizationLayer", 3), ("FullyConnectedLayer", 2),
        ("FullyConnectedLayer", 3), ("ImageInputLayer", 1), ("ImageInputLayer", 2), ("ImageInputLayer", 3),
        ("ImageInputLayer", 4), ("ImageInputLayer", 5), ("MaxPooling2DLayer", 2), ("MaxPooling2DLayer", 3),
        ("SoftmaxLayer", 2), ("SoftmaxLayer", 3), ("SoftmaxLayer", 4), ("PixelClassificationLayer", 3), ("ClassificationOutputLayer", 3), ("ClassificationOutputLayer", 4),
        ("LSTMLayer", 4), ("LSTMLayer", 5), ("BiLSTMLayer", 3), ("GRULayer", 1), ("SequenceInputLayer", 3),
        ("SequenceInputLayer", 5), ("FeatureInputLayer", 2), ("RegressionOutputLayer", 2), ("ReLULayer", 1),
        ("DropoutLayer", 1), ("LeakyReLULayer", 1), ("FlattenLayer", 1), ("DepthConcatenationLayer", 1),
        ("TransposedConvolution2DLayer", 2), ("Resize2DLayer", 3)}
    known = {(name, int(v)) for name, dec in DECODERS.items() for v in dec.versions}
    assert known == written


def test_semantic_segmentation_network_round_trip(tmp_path):
    layers = [imageInputLayer([8, 8, 3], Normalization="none", Name="in"),
              convolution2dLayer(3, 4, Padding="same", Name="conv"), reluLayer(Name="relu"),
              maxPooling2dLayer(2, Stride=2, Name="pool"),
              transposedConv2dLayer(4, 4, Stride=2, Cropping=[1, 1, 1, 1], Name="up"),
              convolution2dLayer(1, 3, Name="score"), softmaxLayer(Name="sm"),
              pixelClassificationLayer(Classes=["sky", "road", "car"], ClassWeights=[1.0, 2.0, 0.5], Name="labels")]
    net = assembleNetwork(randomized(layers))
    _, loaded = roundtrip(tmp_path, {"net": W.series_network(net)})
    got = loaded["net"]
    assert_same_layers(net.Layers, got.Layers)
    x = torch.randn(2, 3, 8, 8)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)


def test_generic_decoder_for_user_facing_fields(tmp_path):
    """A layer saved with user-facing property names (here an additionLayer) goes through the generic decoder."""
    add = W.saved_object("nnet.cnn.layer.AdditionLayer", Version=W.num(1), Name=W.char("add"), NumInputs=W.num(3))
    _, loaded = roundtrip(tmp_path, {"layers": W.layer_array([add])})
    (layer,) = loaded["layers"]
    assert layer == additionLayer(3, Name="add")


# --------------------------------------------------------------------------------------------------
# Placeholders: user-defined layers and FunctionLayer


def test_custom_and_function_layers_become_placeholders(tmp_path):
    inp = imageInputLayer([4, 4, 1], Normalization="none", Name="in")
    layers = W.layer_array([
        W.write_layer(inp),
        W.custom_layer("myScaleLayer", "scale1", Alpha=W.num([1.5, 2.0])),
        W.function_layer("fn", "@(x).001*x"),
        W.function_layer("split", "@(X) deal(X(1:2,:), X(3:end,:))", outputs=("out1", "out2")),
    ])
    path = tmp_path / "custom.mat"
    W.save_mat(path, {"layers": layers})
    loaded = loadmat(path)["layers"]
    scale, fn = loaded[1], loaded[2]
    assert isinstance(scale, MatPlaceholderLayer) and scale.MatlabClass == "myScaleLayer"
    assert scale.Name == "scale1" and scale.Properties["Alpha"] == [[1.5, 2.0]]
    assert isinstance(fn, MatPlaceholderLayer) and fn.Source == "@(x).001*x"
    assert "@(x).001*x" in fn.description()
    split = loaded[3]
    assert split.Source == "@(X) deal(X(1:2,:), X(3:end,:))"
    assert list(split.OutputNames) == ["out1", "out2"] and list(split.InputNames) == ["in"]
    assert fn.Properties == {"Formattable": False, "Acceleratable": False}
    from layergraph import analyzeNetwork

    report = analyzeNetwork(layerGraph(list(loaded)), Plots="none")
    assert any("placeholder" in str(issue).lower() for issue in report.Issues)


def test_network_with_placeholder_comes_back_as_layer_graph(tmp_path):
    inp = imageInputLayer([4, 4, 1], Normalization="none", Name="in")
    obj = W.saved_object("SeriesNetwork", Version=W.num(1), Layers=W.layer_array([
        W.write_layer(inp), W.custom_layer("myLayer", "mine"),
        W.custom_layer("weightedClassificationLayer", "out", Classes=W.categorical(["a", "b"], ["a", "b"]),
                       ClassWeights=W.num([0.5, 2.0]))]))
    path = tmp_path / "net.mat"
    W.save_mat(path, {"net": obj})
    with pytest.warns(UserWarning, match="placeholder"):
        got = loadmat(path)["net"]
    assert isinstance(got, LayerGraph)
    assert [l.Name for l in got.layer_list()] == ["in", "mine", "out"]
    out = got.layer("out")
    assert out.IS_OUTPUT and out.output_names() == ()
    assert out.MatlabClass == "weightedClassificationLayer"
    assert out.Properties == {"Classes": ["a", "b"], "ClassWeights": [[0.5, 2.0]]}
    assert got.edge_list() == [("in", "out", "mine", "in"), ("mine", "out", "out", "in")]
    assert all(type(name) is str for edge in got.edge_list() for name in edge)


# --------------------------------------------------------------------------------------------------
# Independent reader and plain data


def test_mat_io_reads_written_files_back(tmp_path):
    import matio

    net = assembleNetwork(randomized(cnn_layers()))
    path = tmp_path / "net.mat"
    W.save_mat(path, {"net": W.series_network(net)})
    raw = matio.load_from_mat(path)
    saved = raw["net"].properties["any"][0, 0]
    elements = saved["Layers"].ravel()
    assert len(elements) == len(net.Layers)
    conv = elements[1].properties["any"][0, 0]
    assert str(conv["Name"][0]) == "conv1"
    np.testing.assert_array_equal(conv["Weights"][0, 0]["Value"], net.Layers[1].Weights.numpy())
    np.testing.assert_array_equal(conv["Bias"][0, 0]["Value"], net.Layers[1].Bias.numpy())
    bn = elements[2].properties["any"][0, 0]
    np.testing.assert_array_equal(bn["TrainedVariance"], net.Layers[2].TrainedVariance.numpy())


@pytest.mark.parametrize("fmt", ["4", "5"])
def test_plain_data_like_scipy(tmp_path, fmt):
    import scipy.io

    path = tmp_path / "data.mat"
    data = {"a": np.arange(6.0).reshape(2, 3), "b": np.array([[1, 2]], dtype=np.int16)}
    if fmt == "5":
        data.update(s={"x": np.array([[1.5]]), "name": "abc"}, c=np.array([[np.array([[1.0]]), "txt"]], dtype=object),
                    flag=np.array([[True, False]]), t="hello")
    scipy.io.savemat(path, data, format=fmt)
    got = loadmat(path)
    ref = scipy.io.loadmat(path)
    np.testing.assert_array_equal(got["a"], ref["a"])
    assert got["a"].shape == (2, 3)
    np.testing.assert_array_equal(got["b"], ref["b"])
    if fmt == "5":
        assert got["s"]["x"][0, 0][0, 0] == 1.5
        assert str(got["t"][0]) == "hello"
        assert got["flag"].dtype == bool and got["flag"].tolist() == [[True, False]]
        assert got["c"][0, 0][0, 0] == 1.0


def test_categorical_becomes_project_categorical(tmp_path):
    path = tmp_path / "labels.mat"
    W.save_mat(path, {"Y": W.categorical(["b", "a", "b", "c"], ["a", "b", "c"])})
    y = loadmat(path)["Y"]
    assert isinstance(y, Categorical)
    assert y.categories == ["a", "b", "c"]
    assert list(np.asarray(y)) == ["b", "a", "b", "c"]


def test_network_inside_struct_and_cell_is_converted(tmp_path):
    net = assembleNetwork(randomized(cnn_layers()))
    holder = W.struct(model=W.series_network(net), note=W.char("trained"))
    path, loaded = roundtrip(tmp_path, {"S": holder})
    inner = loaded["S"][0, 0]["model"]
    x = image_input_x(2)
    torch.testing.assert_close(inner.predict(x), net.predict(x), atol=ATOL, rtol=0)


# --------------------------------------------------------------------------------------------------
# Bad input


def test_not_a_mat_file(tmp_path):
    path = tmp_path / "x.mat"
    path.write_text("this is not a MAT-file, just some text padding the header out" * 4)
    with pytest.raises(MatFileError, match=r"x\.mat: not a MAT-file"):
        loadmat(path)


def test_missing_file(tmp_path):
    with pytest.raises(MatFileError, match="no such file"):
        loadmat(tmp_path / "none.mat")


@pytest.mark.parametrize("keep", [100, 0.5, 0.9])
def test_truncated_file(tmp_path, keep):
    net = assembleNetwork(randomized(cnn_layers()))
    full = tmp_path / "full.mat"
    W.save_mat(full, {"net": W.series_network(net)})
    data = full.read_bytes()
    cut = tmp_path / "cut.mat"
    cut.write_bytes(data[: keep if isinstance(keep, int) else int(len(data) * keep)])
    with pytest.raises(MatFileError, match=r"cut\.mat"):
        loadmat(cut)


def test_unknown_layer_class_names_everything(tmp_path):
    strange = W.saved_object("nnet.cnn.layer.WarpDriveLayer", Version=W.num(2), Name=W.char("warp"),
                             Flux=W.num(3))
    path = tmp_path / "odd.mat"
    W.save_mat(path, {"layers": W.layer_array([strange])})
    with pytest.raises(MatFileError) as info:
        loadmat(path)
    msg = str(info.value)
    for part in ("odd.mat", "variable 'layers'", "layer 'warp'", "nnet.cnn.layer.WarpDriveLayer", "version 2", "Flux"):
        assert part in msg


def test_unknown_version_and_field(tmp_path):
    relu = W.saved_object("nnet.cnn.layer.ReLULayer", Version=W.num(9), Name=W.char("r"))
    path = tmp_path / "v.mat"
    W.save_mat(path, {"layers": W.layer_array([relu])})
    with pytest.raises(MatFileError, match=r"layer 'r'.*save version 9.*not one the decoder knows"):
        loadmat(path)
    drop = W.saved_object("nnet.cnn.layer.DropoutLayer", Version=W.num(1), Name=W.char("d"),
                          Probability=W.num(0.5), Mystery=W.num(1))
    W.save_mat(path, {"layers": W.layer_array([drop])})
    with pytest.raises(MatFileError, match=r"layer 'd'.*DropoutLayer.*fields not understood: Mystery"):
        loadmat(path)


def test_unknown_network_class(tmp_path):
    obj = W.saved_object("nnet.cnn.QuantumNetwork", Version=W.num(1), Layers=W.empty())
    path = tmp_path / "q.mat"
    W.save_mat(path, {"qnet": obj})
    with pytest.raises(MatFileError, match=r"q\.mat: variable 'qnet', class nnet\.cnn\.QuantumNetwork"):
        loadmat(path)


def test_file_without_networks(tmp_path):
    import scipy.io

    path = tmp_path / "data.mat"
    scipy.io.savemat(path, {"x": np.ones((2, 2))})
    assert set(loadmat(path)) == {"x"}
    with pytest.raises(MatFileError, match=r"data\.mat: the MAT-file holds no network"):
        load_networks(path)


def test_old_python_or_numpy_gives_clear_error():
    with pytest.raises(MatFileError, match=r"Python >= 3\.11 and NumPy >= 2\.2.*Python 3\.10"):
        require_reader(python=(3, 10), numpy_version=(2, 3))
    with pytest.raises(MatFileError, match=r"NumPy 1\.26"):
        require_reader(python=(3, 12), numpy_version=(1, 26))


def test_registered_matlab_functions():
    assert FUNCTIONS["loadmat"].function is loadmat
    assert FUNCTIONS["loadmat"].outputs == ("S",)
    from layergraph.io.mat.networks import load

    with pytest.raises(MatFileError, match="nonexistent.mat: no such file"):
        load(Path(__file__).parent / "nonexistent.mat")


# --------------------------------------------------------------------------------------------------
# Command line


def test_cli_import_writes_spec_and_weights(tmp_path):
    net = assembleNetwork(randomized(cnn_layers()))
    path = tmp_path / "trained.mat"
    W.save_mat(path, {"net": W.series_network(net)})
    out = tmp_path / "net.json"
    from layergraph.cli import main

    assert main(["import", str(path), "-o", str(out)]) == 0
    assert out.with_suffix(".safetensors").exists()
    from layergraph import load_spec

    loaded = load_spec(out)
    got = assembleNetwork(loaded)
    x = image_input_x(2)
    torch.testing.assert_close(got.predict(x), net.predict(x), atol=ATOL, rtol=0)


def test_cli_import_bad_file(tmp_path, capsys):
    from layergraph.cli import main

    path = tmp_path / "bad.mat"
    path.write_bytes(b"\x00garbage" * 10)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "bad.mat" in err and "Traceback" not in err


def test_cli_analyze_reads_mat_files(tmp_path, capsys):
    from layergraph.cli import main

    net = assembleNetwork(randomized(cnn_layers()))
    path = tmp_path / "trained.mat"
    W.save_mat(path, {"net": W.series_network(net)})
    assert main(["validate", str(path)]) == 0
    assert "valid network" in capsys.readouterr().out
