"""importNetworkFromONNX / importONNXNetwork / importONNXLayers: our own exports imported back, models
exported by plain torch (torch.onnx.export, the TorchScript exporter: dynamo=False, no onnxscript needed),
placeholders for unknown operators, and bad files."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import layergraph as lg  # noqa: E402
from layergraph import (  # noqa: E402
    OnnxError,
    analyzeNetwork,
    dlnetwork,
    exportONNXNetwork,
    importNetworkFromONNX,
    importONNXLayers,
    importONNXNetwork,
)
from layergraph.errors import OptionError  # noqa: E402
from layergraph.io.onnx.export import build_model  # noqa: E402
from layergraph.io.onnx.importer import ONNXPlaceholderLayer  # noqa: E402

from onnx_helpers import perturb, run_onnx, torch_outputs  # noqa: E402
from test_onnx_export import CASES, _graph, _input  # noqa: E402


def residual_cnn():
    g = lg.layerGraph([
        lg.imageInputLayer([8, 8, 3], Normalization="zscore", Mean=torch.tensor([0.1, 0.2, -0.1]).reshape(1, 1, 3),
                           StandardDeviation=torch.tensor([0.5, 1.5, 2.0]).reshape(1, 1, 3), Name="input"),
        lg.convolution2dLayer(3, 8, Padding="same", Name="conv_1"),
        lg.batchNormalizationLayer(Name="bn_1"),
        lg.reluLayer(Name="relu_1"),
        lg.convolution2dLayer(3, 8, Padding="same", Name="conv_2"),
        lg.batchNormalizationLayer(Name="bn_2"),
        lg.additionLayer(2, Name="add"),
        lg.reluLayer(Name="relu_2"),
        lg.maxPooling2dLayer(2, Stride=2, Name="pool"),
        lg.fullyConnectedLayer(5, Name="fc"),
        lg.softmaxLayer(Name="softmax"),
        lg.classificationLayer(Name="classoutput"),
    ])
    return lg.connectLayers(g, "relu_1", "add/in2")


def bilstm_classifier():
    return [lg.sequenceInputLayer(4, Name="sequence"), lg.bilstmLayer(6, OutputMode="last", Name="bilstm"),
            lg.fullyConnectedLayer(3, Name="fc"), lg.softmaxLayer(Name="softmax"),
            lg.classificationLayer(Name="classoutput")]


@pytest.mark.parametrize("make, shape", [(residual_cnn, (3, 8, 8)), (bilstm_classifier, (7, 4))],
                         ids=["residual_cnn", "bilstm_last"])
def test_acceptance_export_then_import_back(tmp_path, make, shape):
    net = perturb(lg.assembleNetwork(make()))
    path = tmp_path / "net.onnx"
    exportONNXNetwork(net, path)
    for n in (2, 5):   # two batch sizes (and, for the sequence, two lengths)
        x = torch.randn((n,) + shape)
        ort = run_onnx(path, x)[0]
        np.testing.assert_allclose(ort, net.predict(x).numpy(), atol=1e-5)
    imported = importNetworkFromONNX(path)
    assert imported.matlab_class() == "dlnetwork"
    original = [(layer.Name, layer.MATLAB_NAME) for layer in net.Layers if not layer.IS_OUTPUT]
    assert [(layer.Name, layer.MATLAB_NAME) for layer in imported.Layers] == original
    for n in (1, 6):
        x = torch.randn((n,) + shape)
        np.testing.assert_allclose(imported.predict(x).numpy(), run_onnx(path, x)[0], atol=1e-5)
    # the learnables came across in MATLAB layout
    for name in ("conv_1", "fc") if shape == (3, 8, 8) else ("bilstm", "fc"):
        a, b = net.trained_layer(name), imported.trained_layer(name)
        for prop in a.learnable_names():
            torch.testing.assert_close(getattr(b, prop), getattr(a, prop), atol=1e-6, rtol=0)


ROUND_TRIP = sorted(CASES) + ["combination", "resize_reference", "weighted_addition"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_family_round_trip(tmp_path, name):
    """Every exportable family comes back as the same MATLAB layers with onnxruntime's outputs. Layers the
    exporter writes as several generic operators come back from the model's metadata (docs/onnx.md)."""
    opsets = (13,) if name.startswith("resize") or name == "depth_to_space" else (9,) if name == "gelu" else (8,)
    net = perturb(dlnetwork(_graph(name)), seed=3)
    for opset in opsets:
        model = build_model(net, opset=opset)
        path = tmp_path / f"m{opset}.onnx"
        onnx.save(model, str(path))
        imported = importNetworkFromONNX(path)
        if name != "resize_reference":
            assert [layer.MATLAB_NAME for layer in imported.Layers] == [layer.MATLAB_NAME for layer in net.Layers]
        first = net._lg.graph.layer(net.InputNames[0])
        x = _input(first, 3)
        for got, expected in zip(torch_outputs(imported, x), run_onnx(model, x)):
            np.testing.assert_allclose(got, expected, atol=2e-5, rtol=1e-4)


def test_metadata_is_only_a_shortcut(tmp_path):
    """Without the exporter's metadata, decomposed layers are read operator by operator (placeholders for
    what has no layer form), and malformed metadata is ignored."""
    net = perturb(dlnetwork(_graph("groupnorm_image")), seed=1)
    model = build_model(net, opset=8)
    assert any(p.key == "layergraph.layers" for p in model.metadata_props)
    for value in (None, "{not json", json.dumps({"groupnorm": {"layer": "x"}})):
        del model.metadata_props[:]
        if value is not None:
            helper.set_model_props(model, {"layergraph.layers": value})
        path = tmp_path / "m.onnx"
        onnx.save(model, str(path))
        with pytest.warns(UserWarning, match="placeholder"):
            graph = importNetworkFromONNX(path)
        assert any(isinstance(layer, ONNXPlaceholderLayer) for layer in graph.layer_list())


# --------------------------------------------------------------------------------------------------
# models exported by torch


def _torch_export(module, example, path, dynamic, opset=13, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(path), dynamo=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": dynamic, "y": {0: "N"}}, opset_version=opset, **kwargs)


class TorchConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(6)
        self.conv2 = torch.nn.Conv2d(6, 6, 3, stride=2, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(6 * 2 * 2, 5)
        self.gap = torch.nn.AdaptiveAvgPool2d(1)
        self.fc2 = torch.nn.Linear(6, 5)

    def forward(self, x):
        y = torch.relu(self.bn(self.conv1(x)))
        y = torch.nn.functional.leaky_relu(self.conv2(y), 0.1)
        a = self.fc(torch.flatten(self.pool(y), 1))        # torch (C, H, W) flatten order before Gemm
        b = self.fc2(torch.flatten(self.gap(y), 1))
        return torch.softmax(a + b, dim=1)


@pytest.mark.parametrize("fold", [True, False], ids=["bn_folded", "bn_kept"])
def test_torch_conv_net(tmp_path, fold):
    torch.manual_seed(1)
    module = TorchConvNet().eval()
    with torch.no_grad():
        module.bn.running_mean.uniform_(-1, 1)
        module.bn.running_var.uniform_(0.5, 2)
    path = tmp_path / "conv.onnx"
    kwargs = {} if fold else {"training": torch.onnx.TrainingMode.PRESERVE, "do_constant_folding": False}
    _torch_export(module, torch.randn(1, 3, 8, 8), path, {0: "N"}, **kwargs)
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"Conv", "Gemm", "Flatten"} <= ops
    assert ("BatchNormalization" in ops) == (not fold)
    net = importNetworkFromONNX(path)
    kinds = [layer.MATLAB_NAME for layer in net.Layers]
    assert kinds.count("fullyConnectedLayer") == 2 and "placeholderLayer" not in kinds
    assert ("batchNormalizationLayer" in kinds) == (not fold)
    conv2 = [layer for layer in net.Layers if layer.MATLAB_NAME == "convolution2dLayer"][1]
    assert tuple(conv2.Stride) == (2, 2) and tuple(conv2.Padding) == (1, 1, 1, 1)
    for n in (1, 7):
        x = torch.randn(n, 3, 8, 8)
        np.testing.assert_allclose(net.predict(x).numpy(), run_onnx(path, x)[0], atol=1e-5)
        np.testing.assert_allclose(net.predict(x).numpy(), module(x).detach().numpy(), atol=1e-5)


class TorchRecurrent(torch.nn.Module):
    def __init__(self, kind="lstm", bidirectional=False, head="last_step"):
        super().__init__()
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        self.rnn = cls(3, 4, batch_first=True, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(8 if bidirectional else 4, 2)
        self.head = head
        with torch.no_grad():   # gate blocks very different from each other: a wrong gate order shows
            for name, p in self.rnn.named_parameters():
                blocks = p.shape[0] // 4 if kind == "lstm" else p.shape[0] // 3
                for k in range(p.shape[0] // blocks):
                    p[k * blocks:(k + 1) * blocks] = torch.randn_like(p[k * blocks:(k + 1) * blocks]) * (0.2 + 0.5 * k) + 0.3 * (k - 1)

    def forward(self, x):
        y, state = self.rnn(x)
        if self.head == "last_step":
            return self.fc(y[:, -1, :])
        if self.head == "final_state":
            h = state[0] if isinstance(state, tuple) else state
            return self.fc(h[-1])
        return self.fc(y)


@pytest.mark.parametrize("kind, bidirectional, head, mode", [
    ("lstm", False, "last_step", "last"),
    ("lstm", False, "final_state", "last"),
    ("lstm", True, "sequence", "sequence"),
    ("gru", False, "last_step", "last"),
    ("gru", False, "sequence", "sequence"),
])
def test_torch_recurrent(tmp_path, kind, bidirectional, head, mode):
    torch.manual_seed(2)
    module = TorchRecurrent(kind, bidirectional, head).eval()
    path = tmp_path / "rnn.onnx"
    _torch_export(module, torch.randn(1, 5, 3), path, {0: "N", 1: "T"})
    net = importNetworkFromONNX(path)
    rnn = [layer for layer in net.Layers if layer.MATLAB_NAME in ("lstmLayer", "bilstmLayer", "gruLayer")]
    assert len(rnn) == 1 and rnn[0].OutputMode == mode
    # MATLAB's gate order (LSTM i, f, g, o; GRU r, z, h) is torch's: the weights must come across unchanged
    w = module.rnn.weight_ih_l0.detach()
    torch.testing.assert_close(rnn[0].InputWeights[: w.shape[0]], w)
    if kind == "gru":
        assert rnn[0].ResetGateMode == "recurrent-bias-after-multiplication"
    for n in (1, 7):
        x = torch.randn(n, 6, 3)
        got = net.predict(x).numpy()
        np.testing.assert_allclose(got, run_onnx(path, x)[0], atol=1e-5)
        np.testing.assert_allclose(got, module(x).detach().numpy(), atol=1e-5)


def test_wrong_gate_order_would_show(tmp_path):
    """The check above is sensitive: permuting the LSTM gate blocks changes the outputs."""
    torch.manual_seed(2)
    module = TorchRecurrent("lstm").eval()
    path = tmp_path / "rnn.onnx"
    _torch_export(module, torch.randn(1, 5, 3), path, {0: "N", 1: "T"})
    graph = lg.layerGraph(importNetworkFromONNX(path))
    lstm = [layer for layer in graph.layer_list() if layer.MATLAB_NAME == "lstmLayer"][0]
    h = lstm.NumHiddenUnits
    order = torch.cat([torch.arange(0, h), torch.arange(3 * h, 4 * h), torch.arange(h, 2 * h), torch.arange(2 * h, 3 * h)])
    swapped = lstm.copy(InputWeights=lstm.InputWeights[order], RecurrentWeights=lstm.RecurrentWeights[order],
                        Bias=lstm.Bias[order])   # ONNX's i, o, f, c read as if it were MATLAB's order
    wrong = dlnetwork(lg.replaceLayer(graph, lstm.Name, swapped))
    x = torch.randn(4, 6, 3)
    assert np.abs(wrong.predict(x).numpy() - run_onnx(path, x)[0]).max() > 1e-3


@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (0, 1, 3, 2), (0, 1, 2, 3)], ids=["channels_last", "column_major", "torch"])
@pytest.mark.parametrize("op", ["Flatten", "Reshape"])
def test_transposed_flatten_before_gemm(tmp_path, perm, op):
    """Flatten of an image in any dim order before Gemm (torch's C,H,W; MATLAB's column-major W,H order
    reversed; channels-last H,W,C): the weights are read in that order."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 3 * 4 * 6)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])
    inits = [onnx.numpy_helper.from_array(w, "w"), onnx.numpy_helper.from_array(b, "b"),
             onnx.numpy_helper.from_array(np.array([0, -1], np.int64), "shape")]
    flat = (helper.make_node("Flatten", ["t"], ["f"], name="flat", axis=1) if op == "Flatten"
            else helper.make_node("Reshape", ["t", "shape"], ["f"], name="flat"))
    nodes = [helper.make_node("Transpose", ["x"], ["t"], name="tr", perm=list(perm)), flat,
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1)]
    path = tmp_path / "flat.onnx"
    onnx.save(_model(nodes, [x], [y], inits), str(path))
    net = importNetworkFromONNX(path)
    assert "placeholderLayer" not in [layer.MATLAB_NAME for layer in net.Layers]
    data = torch.randn(7, 3, 4, 6)
    np.testing.assert_allclose(net.predict(data).numpy(), run_onnx(path, data)[0], atol=1e-5)


def test_torch_conv1d_net_reads_n_c_t_input(tmp_path):
    torch.manual_seed(6)
    module = torch.nn.Sequential(
        torch.nn.Conv1d(3, 5, 3, padding=1), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.MaxPool1d(2),
        torch.nn.Conv1d(5, 4, 3, padding=1, dilation=2), torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(),
        torch.nn.Linear(4, 2)).eval()
    path = tmp_path / "c1.onnx"
    _torch_export(module, torch.randn(1, 3, 12), path, {0: "N", 2: "T"})
    net = importNetworkFromONNX(path)
    assert [layer.MATLAB_NAME for layer in net.Layers][:2] == ["sequenceInputLayer", "convolution1dLayer"]
    assert "placeholderLayer" not in [layer.MATLAB_NAME for layer in net.Layers]
    for n, t in ((1, 12), (7, 16)):
        x = torch.randn(n, 3, t)                       # N×C×T for torch and onnxruntime
        got = net.predict(x.transpose(1, 2)).numpy()   # N×T×C for the MATLAB network
        np.testing.assert_allclose(got, run_onnx(path, x)[0], atol=1e-5)


class TorchNormGelu(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 8)
        self.norm = torch.nn.LayerNorm(8)
        self.act = torch.nn.GELU()
        self.out = torch.nn.Linear(8, 3)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 2)
            self.norm.bias.uniform_(-1, 1)

    def forward(self, x):
        return self.out(self.act(self.norm(self.fc(x))))


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("shape, dynamic", [((6,), {0: "N"}), ((5, 6), {0: "N", 1: "T"})], ids=["features", "sequence"])
def test_torch_layernorm_and_gelu(tmp_path, opset, shape, dynamic):
    """PyTorch writes LayerNorm as ReduceMean/Sub/Pow/.../Div/Mul/Add before opset 17 and GELU as
    Div/Erf/Add/Mul/Mul before 20: both patterns become the MATLAB layers."""
    torch.manual_seed(8)
    module = TorchNormGelu().eval()
    path = tmp_path / "ng.onnx"
    _torch_export(module, torch.randn((1,) + shape), path, dynamic, opset=opset)
    net = importNetworkFromONNX(path)
    kinds = [layer.MATLAB_NAME for layer in net.Layers]
    assert kinds[1:] == ["fullyConnectedLayer", "layerNormalizationLayer", "geluLayer", "fullyConnectedLayer"]
    for n in (1, 7):
        x = torch.randn((n,) + shape)
        np.testing.assert_allclose(net.predict(x).numpy(), run_onnx(path, x)[0], atol=1e-5)
        np.testing.assert_allclose(net.predict(x).numpy(), module(x).detach().numpy(), atol=1e-5)


def test_time_major_input_is_read_as_a_sequence(tmp_path):
    torch.manual_seed(5)
    lstm = torch.nn.LSTM(3, 4)   # batch_first=False: the graph input is T×N×C

    class Last(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)[1][0][-1]

    path = tmp_path / "tm.onnx"
    _torch_export(Last().eval(), torch.randn(5, 1, 3), path, {0: "T", 1: "N"})
    net = importNetworkFromONNX(path)
    x = torch.randn(2, 6, 3)                      # N×T×C for the imported network
    expected = run_onnx(path, x.transpose(0, 1))[0]
    np.testing.assert_allclose(net.predict(x).numpy(), expected, atol=1e-5)


# --------------------------------------------------------------------------------------------------
# what a MATLAB user does with the imported network


def test_imported_network_is_editable_trainable_and_saveable(tmp_path):
    net = perturb(lg.assembleNetwork(residual_cnn()))
    path = tmp_path / "net.onnx"
    exportONNXNetwork(net, path)
    graph = importONNXLayers(path, "ImportWeights", True)
    assert analyzeNetwork(graph, TargetUsage="dlnetwork", Plots="none").TotalLearnables == \
        analyzeNetwork(net, Plots="none").TotalLearnables
    graph = lg.replaceLayer(graph, "fc", lg.fullyConnectedLayer(2, Name="fc"))   # new head, by layer name
    tuned = dlnetwork(graph)
    params = [p for _, _, p, _, _ in tuned.parameter_info()]
    before = [p.detach().clone() for p in params]
    opt = torch.optim.SGD(params, lr=0.1)
    x, target = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 1, 0])
    loss = torch.nn.functional.nll_loss(torch.log(tuned(x)), target)
    loss.backward()
    opt.step()
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, params))
    spec_path = tmp_path / "imported.json"
    lg.save_spec(tuned, spec_path)
    again = dlnetwork(lg.load_spec(spec_path))
    assert [layer.Name for layer in again.Layers] == [layer.Name for layer in tuned.Layers]
    assert json.loads(spec_path.read_text())
    x = torch.randn(2, 3, 8, 8)
    np.testing.assert_allclose(again.predict(x).numpy(), tuned.predict(x).numpy(), atol=1e-6)


def test_import_onnx_network_and_layers_options(tmp_path):
    net = perturb(dlnetwork([lg.featureInputLayer(4, Name="in"), lg.fullyConnectedLayer(3, Name="fc"),
                             lg.softmaxLayer(Name="sm")]))
    path = tmp_path / "f.onnx"
    exportONNXNetwork(net, path, OpsetVersion=13)
    assembled = importONNXNetwork(path, "OutputLayerType", "classification")
    assert assembled.matlab_class() == "SeriesNetwork"
    assert assembled.Layers[-1].MATLAB_NAME == "classificationLayer"
    x = torch.randn(5, 4)
    np.testing.assert_allclose(assembled.predict(x).numpy(), net.predict(x).numpy(), atol=1e-6)
    assert importONNXNetwork(path, TargetNetwork="dlnetwork").matlab_class() == "dlnetwork"
    with pytest.raises(OptionError, match="OutputLayerType"):
        importONNXNetwork(path)
    layers = importONNXLayers(path)                       # ImportWeights defaults to false, as in MATLAB
    assert layers.layer("fc").Weights is None
    with_output = importONNXLayers(path, OutputLayerType="regression", ImportWeights=True)
    assert with_output.layer_list()[-1].MATLAB_NAME == "regressionLayer"
    assert torch.equal(with_output.layer("fc").Weights, net.trained_layer("fc").Weights)
    with pytest.raises(OptionError, match="not a recognized parameter"):
        importNetworkFromONNX(path, "Bogus", 1)


def test_registered_as_matlab_functions():
    from layergraph.functions import FUNCTIONS

    for name in ("exportONNXNetwork", "importNetworkFromONNX", "importONNXNetwork", "importONNXLayers"):
        assert name in FUNCTIONS and name in lg.__all__


# --------------------------------------------------------------------------------------------------
# unknown operators and bad files


def _model(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _unknown_op_model(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    w = onnx.numpy_helper.from_array(np.eye(4, dtype=np.float32), "w")
    nodes = [helper.make_node("Gemm", ["x", "w"], ["h"], name="fc1"),
             helper.make_node("Hardmax", ["h"], ["hm"], name="odd_op", axis=1),
             helper.make_node("Relu", ["hm"], ["y"], name="relu")]
    path = tmp_path / "unknown.onnx"
    onnx.save(_model(nodes, [x], [y], [w]), str(path))
    return path


def test_unknown_operator_becomes_a_placeholder_reported_by_analysis(tmp_path):
    path = _unknown_op_model(tmp_path)
    with pytest.warns(UserWarning, match="odd_op.*Hardmax"):
        graph = importNetworkFromONNX(path)          # cannot be initialized: the graph is returned
    placeholder = graph.layer("odd_op")
    assert isinstance(placeholder, ONNXPlaceholderLayer) and placeholder.OperatorType == "Hardmax"
    assert placeholder.ONNXNode == {"Name": "odd_op", "OpType": "Hardmax", "Domain": "", "Input": ["h"],
                                    "Output": ["hm"], "Attributes": {"axis": 1}}
    assert graph.layer("relu").MATLAB_NAME == "reluLayer"       # the layers after it are still imported
    report = analyzeNetwork(graph, TargetUsage="dlnetwork", Plots="none")
    assert any(issue.Layer == "odd_op" and "Hardmax" in str(issue) for issue in report.errors)
    with pytest.warns(UserWarning):
        assert isinstance(importONNXLayers(path).layer("odd_op"), ONNXPlaceholderLayer)
    with pytest.raises(OnnxError, match=r"unknown\.onnx.*odd_op.*Hardmax"):
        importONNXNetwork(path, TargetNetwork="dlnetwork")


def test_custom_domain_operator_is_a_placeholder(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    node = helper.make_node("RunPython", ["x"], ["y"], name="evil", domain="com.example", code="import os")
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
    path = tmp_path / "custom.onnx"
    onnx.save(model, str(path))
    with pytest.warns(UserWarning, match="com.example::RunPython"):
        graph = importNetworkFromONNX(path)
    assert graph.layer("evil").OperatorType == "com.example::RunPython"


def test_file_policy_confines_matlab_code(tmp_path):
    from layergraph.policy import PolicyError, confined

    inside = tmp_path / "allowed"
    inside.mkdir()
    net = dlnetwork([lg.featureInputLayer(4, Name="in"), lg.reluLayer(Name="relu")])
    with confined([inside]):
        exportONNXNetwork(net, inside / "ok.onnx")
        assert importNetworkFromONNX(inside / "ok.onnx").Layers[1].Name == "relu"
        with pytest.raises(PolicyError, match="exportONNXNetwork"):
            exportONNXNetwork(net, tmp_path / "outside.onnx")
        with pytest.raises(PolicyError, match="importNetworkFromONNX"):
            importNetworkFromONNX(tmp_path / "outside.onnx")
    assert not (tmp_path / "outside.onnx").exists()


def test_command_line_reads_onnx_files(tmp_path, capsys, monkeypatch):
    from layergraph.cli import main

    net = perturb(dlnetwork([lg.featureInputLayer(4, Name="in"), lg.fullyConnectedLayer(3, Name="fc"),
                             lg.reluLayer(Name="relu")]))
    exportONNXNetwork(net, tmp_path / "m.onnx")
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "m.onnx", "--target", "dlnetwork"]) == 0
    out = capsys.readouterr().out
    assert "'fc'" in out and "0 errors" in out
    assert main(["import", "m.onnx", "-o", "net.json"]) == 0
    again = dlnetwork(lg.load_spec(tmp_path / "net.json"))
    x = torch.randn(3, 4)
    np.testing.assert_allclose(again.predict(x).numpy(), net.predict(x).numpy(), atol=1e-6)
    (tmp_path / "bad.onnx").write_text("not a model")
    assert main(["analyze", "bad.onnx"]) != 0
    captured = capsys.readouterr()
    assert "bad.onnx" in captured.err + captured.out and "Traceback" not in captured.err


def test_bad_files(tmp_path):
    good = tmp_path / "good.onnx"
    exportONNXNetwork(dlnetwork([lg.featureInputLayer(4, Name="in"), lg.fullyConnectedLayer(3, Name="fc")]), good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    text_file = tmp_path / "notes.onnx"
    text_file.write_text("this is not a model\n" * 20)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    for path, message in ((truncated, "truncated.onnx"), (text_file, "notes.onnx.*not an ONNX model"),
                          (empty, "empty.onnx.*empty"), (tmp_path / "missing.onnx", "cannot read '.*missing.onnx'")):
        with pytest.raises(OnnxError, match=message):
            importNetworkFromONNX(path)


def test_mutated_models_give_project_errors_or_placeholders(tmp_path):
    """Attributes removed or changed, op types swapped: every outcome is a network, a graph with
    placeholders, or an OnnxError naming the file — never a bare Python error."""
    import random

    net = perturb(lg.assembleNetwork(residual_cnn()))
    base = build_model(net, opset=13)
    rng = random.Random(0)
    ops = ["Relu", "Conv", "MaxPool", "Gemm", "Flatten", "Softmax", "Transpose", "Reshape", "Concat", "LSTM"]
    outcomes = set()
    for trial in range(40):
        model = onnx.ModelProto()
        model.CopyFrom(base)
        node = model.graph.node[rng.randrange(len(model.graph.node))]
        choice = rng.randrange(3)
        if choice == 0 and len(node.attribute):
            del node.attribute[rng.randrange(len(node.attribute))]
        elif choice == 1:
            node.op_type = rng.choice(ops)
        else:
            node.attribute.append(helper.make_attribute("axis", rng.randrange(-5, 5)))
        path = tmp_path / f"m{trial}.onnx"
        onnx.save(model, str(path))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importNetworkFromONNX(path)
            outcomes.add("imported")
        except OnnxError as exc:
            assert f"m{trial}.onnx" in str(exc)
            outcomes.add("error")
    assert outcomes == {"imported", "error"}


def test_bad_graph(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    nodes = [helper.make_node("Relu", ["undefined_tensor"], ["y"], name="relu")]
    path = tmp_path / "badgraph.onnx"
    onnx.save(_model(nodes, [x], [y]), str(path))
    with pytest.raises(OnnxError, match=r"badgraph\.onnx.*not a valid ONNX graph"):
        importNetworkFromONNX(path)
    wrong_arity = [helper.make_node("Conv", ["x"], ["y"], name="conv")]
    path2 = tmp_path / "arity.onnx"
    onnx.save(_model(wrong_arity, [x], [y]), str(path2))
    with pytest.raises(OnnxError, match=r"arity\.onnx"):
        importNetworkFromONNX(path2)
