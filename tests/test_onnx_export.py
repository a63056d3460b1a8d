"""exportONNXNetwork: every exportable layer family, compared with onnxruntime at two batch sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402

import layergraph as lg  # noqa: E402
from layergraph import dlnetwork, exportONNXNetwork  # noqa: E402
from layergraph.errors import OptionError  # noqa: E402
from layergraph.io.onnx.export import DEFAULT_OPSET, OnnxError, build_model  # noqa: E402

from onnx_helpers import perturb, run_onnx, torch_outputs  # noqa: E402

T = 5  # sequence length used for sequence inputs


def img(h=8, w=8, c=3):
    return lg.imageInputLayer([h, w, c], Normalization="none", Name="in")


def seq(c=3):
    return lg.sequenceInputLayer(c, Name="in")


def feat(c=6):
    return lg.featureInputLayer(c, Name="in")


def vol(c=2):
    return lg.image3dInputLayer([6, 6, 4, c], Normalization="none", Name="in")


CASES = {
    # convolution
    "conv2d_same_stride": lambda: [img(), lg.convolution2dLayer(3, 4, Padding="same", Stride=2)],
    "conv2d_asym_dilated": lambda: [img(), lg.convolution2dLayer([3, 2], 4, Padding=[1, 0, 2, 1], DilationFactor=[2, 1])],
    "conv2d_pad_value": lambda: [img(), lg.convolution2dLayer(3, 4, Padding=1, PaddingValue=0.7)],
    "conv2d_replicate": lambda: [img(), lg.convolution2dLayer(3, 4, Padding=2, PaddingValue="replicate")],
    "conv2d_grouped": lambda: [img(c=4), lg.groupedConvolution2dLayer(3, 3, 2, Padding="same")],
    "conv2d_channelwise": lambda: [img(c=4), lg.groupedConvolution2dLayer(3, 1, "channel-wise")],
    "conv1d_causal_sequence": lambda: [seq(), lg.convolution1dLayer(3, 4, Padding="causal", DilationFactor=2)],
    "conv1d_same_sequence": lambda: [seq(), lg.convolution1dLayer(4, 4, Padding="same")],
    "conv3d": lambda: [vol(), lg.convolution3dLayer(3, 3, Padding="same", Stride=[2, 1, 2])],
    "tconv2d_same": lambda: [img(), lg.transposedConv2dLayer(3, 4, Stride=2, Cropping="same")],
    "tconv2d_stride_gt_filter": lambda: [img(), lg.transposedConv2dLayer(2, 4, Stride=3, Cropping="same")],
    "tconv2d_crop": lambda: [img(), lg.transposedConv2dLayer(4, 2, Stride=2, Cropping=[1, 0, 1, 2])],
    "tconv3d": lambda: [vol(), lg.transposedConv3dLayer(3, 2, Stride=2, Cropping="same")],
    "conv2d_image_sequence": lambda: [lg.sequenceInputLayer([6, 6, 2], Name="in"), lg.convolution2dLayer(3, 3),
                                      lg.flattenLayer, lg.lstmLayer(4, OutputMode="last")],
    # pooling
    "maxpool2d_same": lambda: [img(7, 7), lg.maxPooling2dLayer(3, Stride=2, Padding="same")],
    "avgpool2d_same": lambda: [img(7, 7), lg.averagePooling2dLayer(3, Stride=2, Padding="same")],
    "avgpool2d_manual": lambda: [img(), lg.averagePooling2dLayer(2, Padding=[1, 0, 0, 1])],
    "maxpool1d_sequence": lambda: [seq(), lg.maxPooling1dLayer(2, Padding="same")],
    "avgpool1d_sequence": lambda: [seq(), lg.averagePooling1dLayer(2, Stride=2, Padding="same")],
    "pool3d": lambda: [vol(), lg.maxPooling3dLayer(2, Stride=2), lg.averagePooling3dLayer(2, Padding="same")],
    "globalpool2d": lambda: [img(), lg.globalAveragePooling2dLayer, lg.fullyConnectedLayer(3)],
    "globalmaxpool2d": lambda: [img(), lg.globalMaxPooling2dLayer],
    "globalpool1d_sequence": lambda: [seq(), lg.globalAveragePooling1dLayer],
    "globalmaxpool1d_sequence": lambda: [seq(), lg.globalMaxPooling1dLayer],
    "globalpool3d": lambda: [vol(), lg.globalAveragePooling3dLayer, lg.globalMaxPooling3dLayer(Name="g2")],
    # normalization
    "batchnorm_image": lambda: [img(), lg.batchNormalizationLayer],
    "batchnorm_features": lambda: [feat(), lg.batchNormalizationLayer],
    "batchnorm_sequence": lambda: [seq(), lg.batchNormalizationLayer],
    "layernorm_features": lambda: [feat(), lg.layerNormalizationLayer],
    "layernorm_sequence": lambda: [seq(), lg.layerNormalizationLayer],
    "layernorm_image": lambda: [img(), lg.layerNormalizationLayer],
    "layernorm_batch_excluded": lambda: [seq(), lg.layerNormalizationLayer(OperationDimension="batch-excluded")],
    "instancenorm_image": lambda: [img(), lg.instanceNormalizationLayer],
    "instancenorm_sequence": lambda: [seq(), lg.instanceNormalizationLayer],
    "groupnorm_image": lambda: [img(c=4), lg.groupNormalizationLayer(2)],
    "groupnorm_sequence": lambda: [seq(4), lg.groupNormalizationLayer(2)],
    "crosschannel_odd": lambda: [img(c=6), lg.crossChannelNormalizationLayer(3, K=1.5, Alpha=0.3)],
    "crosschannel_even": lambda: [img(c=6), lg.crossChannelNormalizationLayer(4, Alpha=0.5, Beta=0.6)],
    # activations
    "activations": lambda: [img(), lg.reluLayer, lg.leakyReluLayer(0.2), lg.clippedReluLayer(0.5), lg.eluLayer(0.7),
                            lg.tanhLayer, lg.sigmoidLayer, lg.softplusLayer, lg.swishLayer],
    "gelu": lambda: [feat(), lg.geluLayer, lg.geluLayer(Approximation="tanh")],
    "prelu_channels": lambda: [img(), lg.convolution2dLayer(1, 4), lg.preluLayer],
    "prelu_sequence": lambda: [seq(), lg.preluLayer],
    "dropout": lambda: [feat(), lg.dropoutLayer(0.3), lg.fullyConnectedLayer(3)],
    "scaling": lambda: [img(), lg.scalingLayer(Scale=torch.tensor([0.5, 2.0, -1.0]).reshape(1, 1, 3), Offset=0.25)],
    "scaling_sequence": lambda: [seq(), lg.scalingLayer(Scale=2.0, Offset=torch.tensor([1.0, 2.0, 3.0]).reshape(3, 1))],
    "depth_to_space": lambda: [img(4, 4, 8), lg.depthToSpace2dLayer(2, Mode="crd"), lg.spaceToDepthLayer(2)],
    # fully connected, softmax, flatten
    "fc_features": lambda: [feat(), lg.fullyConnectedLayer(4), lg.softmaxLayer],
    "fc_image": lambda: [img(4, 5, 3), lg.fullyConnectedLayer(4)],
    "fc_sequence": lambda: [seq(), lg.fullyConnectedLayer(4), lg.softmaxLayer],
    "softmax_image": lambda: [img(), lg.softmaxLayer],
    "flatten_image": lambda: [img(4, 5, 3), lg.flattenLayer],
    "flatten_volume": lambda: [vol(), lg.flattenLayer],
    # recurrent
    "lstm_sequence": lambda: [seq(), lg.lstmLayer(4)],
    "lstm_last": lambda: [seq(), lg.lstmLayer(4, OutputMode="last")],
    "bilstm_sequence": lambda: [seq(), lg.bilstmLayer(3)],
    "bilstm_last": lambda: [seq(), lg.bilstmLayer(3, OutputMode="last")],
    "lstm_activations": lambda: [seq(), lg.lstmLayer(4, StateActivationFunction="softsign",
                                                      GateActivationFunction="hard-sigmoid")],
    "gru_sequence": lambda: [seq(), lg.gruLayer(4)],
    "gru_last": lambda: [seq(), lg.gruLayer(4, OutputMode="last")],
    "gru_before_multiplication": lambda: [seq(), lg.gruLayer(4, ResetGateMode="before-multiplication")],
    "gru_recurrent_bias": lambda: [seq(), lg.gruLayer(4, ResetGateMode="recurrent-bias-after-multiplication")],
    # resize
    "resize_scale_nearest": lambda: [img(5, 6), lg.resize2dLayer(Scale=1.5)],
    "resize_scale_bilinear": lambda: [img(5, 6), lg.resize2dLayer(Scale=[2, 0.5], Method="bilinear")],
    "resize_outputsize_floor": lambda: [img(5, 6), lg.resize2dLayer(OutputSize=[7, 3], NearestRoundingMode="floor")],
    "resize_asymmetric": lambda: [img(5, 6), lg.resize2dLayer(Scale=2, Method="bilinear",
                                                              GeometricTransformMode="asymmetric")],
    "resize3d": lambda: [vol(), lg.resize3dLayer(Scale=[2, 1, 0.5], Method="trilinear")],
}


def _graph(name):
    if name == "combination":
        g = lg.layerGraph([img(), lg.convolution2dLayer(1, 3, Name="c1"), lg.additionLayer(3, Name="add"),
                           lg.multiplicationLayer(2, Name="mul"), lg.depthConcatenationLayer(2, Name="cat"),
                           lg.concatenationLayer(2, 2, Name="catw")])
        g = lg.connectLayers(g, "in", "add/in2")
        g = lg.connectLayers(g, "in", "add/in3")
        g = lg.connectLayers(g, "c1", "mul/in2")
        g = lg.connectLayers(g, "in", "cat/in2")
        return lg.connectLayers(g, "add", "catw/in2") if False else lg.connectLayers(g, "cat", "catw/in2")
    if name == "weighted_addition":
        g = lg.layerGraph([img(), lg.convolution2dLayer(1, 3, Name="c1"), lg.weightedAdditionLayer(2, "wadd")])
        return lg.connectLayers(g, "in", "wadd/in2")
    if name == "resize_reference":
        g = lg.layerGraph([img(4, 5), lg.resize2dLayer(EnableReferenceInput=True, Name="rs")])
        g = lg.addLayers(g, lg.convolution2dLayer(2, 3, Stride=1, Name="ref"))
        g = lg.connectLayers(g, "in", "ref")
        return lg.connectLayers(g, "ref", "rs/ref")
    return CASES[name]()


def _input(layer, n):
    layout = layer.output_layout()
    return torch.randn(layout.torch_shape(n, T))


def check(layers, opset, seed=0, atol=2e-5):
    net = perturb(dlnetwork(layers), seed)
    model = build_model(net, opset=opset)
    first = net._lg.graph.layer(net.InputNames[0])
    for n in (1, 4):
        x = _input(first, n)
        expected = torch_outputs(net, x)
        got = run_onnx(model, x)
        assert len(got) == len(expected)
        for e, g in zip(expected, got):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=atol, rtol=1e-4)
    return model


@pytest.mark.parametrize("name", sorted(CASES) + ["combination", "resize_reference", "weighted_addition"])
def test_family_matches_onnxruntime(name):
    opset = 13 if name.startswith("resize") or name == "depth_to_space" else 9 if name == "gelu" else DEFAULT_OPSET
    check(_graph(name), opset)


@pytest.mark.parametrize("name", ["softmax_image", "groupnorm_image", "layernorm_sequence", "gelu", "dropout",
                                  "globalpool1d_sequence", "clipped", "conv2d_replicate"])
@pytest.mark.parametrize("opset", [13, 18, 21])
def test_newer_opsets(name, opset):
    layers = [img(), lg.clippedReluLayer(0.5)] if name == "clipped" else _graph(name)
    model = check(layers, opset)
    assert model.opset_import[0].version == opset


def test_node_names_follow_layer_names_and_batch_is_free():
    layers = [img(), lg.convolution2dLayer(3, 4, Name="conv_a"), lg.batchNormalizationLayer(Name="bn_a"),
              lg.reluLayer(Name="relu_a"), lg.fullyConnectedLayer(2, Name="fc_a"), lg.softmaxLayer(Name="prob")]
    model = check(layers, DEFAULT_OPSET)
    names = [node.name for node in model.graph.node]
    for layer in ("conv_a", "bn_a", "relu_a", "fc_a", "prob"):
        assert layer in names
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and [d.dim_value for d in dims[1:]] == [3, 8, 8]
    assert model.graph.output[0].name == "prob"
    assert model.opset_import[0].version == 8


def test_sequence_length_is_free():
    model = check([seq(), lg.lstmLayer(4, OutputMode="sequence", Name="lstm")], DEFAULT_OPSET)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_param == "T" and dims[2].dim_value == 3


def test_export_file_with_matlab_options(tmp_path):
    net = perturb(lg.assembleNetwork([feat(), lg.fullyConnectedLayer(3, Name="fc"), lg.softmaxLayer(Name="sm"),
                                      lg.classificationLayer(Name="classoutput")]))
    path = tmp_path / "net.onnx"
    exportONNXNetwork(net, str(path), "OpsetVersion", 13, "BatchSize", 2, "networkname", "digits")
    model = onnx.load(str(path))
    assert model.graph.name == "digits"
    assert model.opset_import[0].version == 13
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    assert model.graph.output[0].name == "classoutput"
    x = torch.randn(2, 6)
    np.testing.assert_allclose(run_onnx(path, x)[0], net.predict(x).numpy(), atol=1e-6)
    exportONNXNetwork(net, tmp_path / "kw.onnx", OpsetVersion=9, BatchSize=[])
    assert onnx.load(str(tmp_path / "kw.onnx")).graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


def test_input_normalization_is_exported():
    mean = torch.tensor([0.1, -0.2, 0.3]).reshape(1, 1, 3)
    std = torch.tensor([0.5, 2.0, 1.5]).reshape(1, 1, 3)
    for layer in (lg.imageInputLayer([4, 4, 3], Normalization="zscore", Mean=mean, StandardDeviation=std, Name="in"),
                  lg.imageInputLayer([4, 4, 3], Normalization="zerocenter", Mean=mean, Name="in"),
                  lg.imageInputLayer([4, 4, 3], Normalization="rescale-symmetric", Min=mean - 1, Max=mean + 2, Name="in"),
                  lg.imageInputLayer([4, 4, 3], Normalization="rescale-zero-one", Min=mean - 1, Max=mean + 2, Name="in")):
        net = dlnetwork([layer, lg.reluLayer(Name="r")])
        x = torch.randn(3, 3, 4, 4)
        got = run_onnx(build_model(net), x)[0]
        # independent reference: the MATLAB formulas on torch layout
        m, s = mean.reshape(1, 3, 1, 1), std.reshape(1, 3, 1, 1)
        lo, hi = m - 1, m + 2
        ref = {"zscore": (x - m) / s, "zerocenter": x - m, "rescale-symmetric": 2 * (x - lo) / (hi - lo) - 1,
               "rescale-zero-one": (x - lo) / (hi - lo)}[layer.Normalization]
        np.testing.assert_allclose(got, torch.relu(ref).numpy(), atol=1e-5)


def test_unexportable_layer_is_named():
    layers = [seq(), lg.selfAttentionLayer(2, 4, Name="attention_1")]
    with pytest.raises(OnnxError, match="attention_1"):
        build_model(dlnetwork(layers))


def test_bad_options():
    net = dlnetwork([feat(), lg.reluLayer])
    with pytest.raises(OptionError, match="OpsetVersion"):
        build_model(net, opset=99)
    with pytest.raises(OptionError, match="not a recognized parameter"):
        exportONNXNetwork(net, "x.onnx", "Opset", 9)
    with pytest.raises(OptionError, match="BatchSize"):
        exportONNXNetwork(net, "x.onnx", "BatchSize", -1)
    with pytest.raises(OnnxError, match="first argument"):
        exportONNXNetwork(42, "x.onnx")


def test_resize_needs_opset_11():
    with pytest.raises(OnnxError, match="'resize.*OpsetVersion 11"):
        build_model(dlnetwork([img(), lg.resize2dLayer(Scale=2, Name="resize")]), opset=8)


def test_depth_to_space_crd_needs_opset_11():
    layers = [img(4, 4, 8), lg.depthToSpace2dLayer(2, Mode="crd", Name="d2s")]
    with pytest.raises(OnnxError, match="'d2s'.*OpsetVersion 11"):
        build_model(dlnetwork(layers), opset=10)
    check([img(4, 4, 8), lg.depthToSpace2dLayer(2, Name="d2s")], 8)     # DCR, the only mode before 11
