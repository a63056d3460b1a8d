"""The MATLAB porter on the project's .m cases: expected networks are built by hand with the Python API."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import (
    additionLayer, analyzeNetwork, assembleNetwork, batchNormalizationLayer, classificationLayer,
    connectLayers, convolution2dLayer, featureInputLayer, fullyConnectedLayer, imageInputLayer, layerGraph,
    addLayers, lstmLayer, regressionLayer, reluLayer, sequenceInputLayer, sigmoidLayer, softmaxLayer,
)
from layergraph.errors import MatlabPortError
from layergraph.matlab import MatlabCustomLayer, PlaceholderLayer, port
from matlab_helpers import assert_rebuilds, case, same_layers


def _dnd_expected():
    g = layerGraph()
    g = addLayers(g, [
        imageInputLayer([32, 32, 3], Name="data", Normalization="zerocenter"),
        convolution2dLayer(3, 16, Name="conv1", Padding="same"),
        batchNormalizationLayer(Name="bn1"),
        reluLayer(Name="relu1"),
    ])
    g = addLayers(g, [
        convolution2dLayer(3, 16, Name="conv2", Padding="same"),
        batchNormalizationLayer(Name="bn2"),
        reluLayer(Name="relu2"),
        convolution2dLayer(3, 16, Name="conv3", Padding="same"),
        batchNormalizationLayer(Name="bn3"),
    ])
    g = addLayers(g, [
        additionLayer(2, Name="add"), reluLayer(Name="relu_out"), fullyConnectedLayer(10, Name="fc"),
        softmaxLayer(Name="softmax"), classificationLayer(Name="classoutput"),
    ])
    g = connectLayers(g, "relu1", "conv2")
    g = connectLayers(g, "relu1", "add/in2")
    g = connectLayers(g, "bn3", "add/in1")
    return g


def test_deep_network_designer_style_ports_analyses_and_compiles_without_help():
    r = port(case("dnd_residual.m"))
    assert list(r.networks) == ["lgraph"]  # tempLayers was cleared by the script
    assert r.networks["lgraph"] == _dnd_expected()
    assert r.errors == []
    assert any("dnd_residual.m:36:1" in w and "plot" in w for w in r.warnings)   # figures are skipped when porting
    assert_rebuilds(r)
    info = analyzeNetwork(r.networks["lgraph"], "Plots", "none")
    assert not info.errors
    net = assembleNetwork(r.networks["lgraph"])
    assert tuple(net(torch.randn(2, 3, 32, 32)).shape) == (2, 10)


def _block(n, prefix, bn=True):
    out = [convolution2dLayer(3, n, Padding="same", Name=prefix + "_conv")]
    if bn:
        out.append(batchNormalizationLayer(Name=prefix + "_bn"))
    out.append(reluLayer(Name=prefix + "_relu"))
    return out


def test_loops_and_local_functions_build_the_deep_network():
    r = port(case("loops_helpers.m"))
    expected = [imageInputLayer([64, 64, 3], Name="input", Normalization="none"),
                convolution2dLayer(3, 16, Padding="same", Name="stem")]
    expected += _block(16, "s1_b1") + _block(16, "s1_b2")
    expected.append(convolution2dLayer(1, 32, Stride=2, Name="down1"))
    expected += _block(32, "s2_b1") + _block(32, "s2_b2")
    expected.append(convolution2dLayer(1, 64, Stride=2, Name="down2"))
    expected += _block(64, "s3_b1") + _block(64, "s3_b2")
    expected += [fullyConnectedLayer(6, Name="fc"), softmaxLayer(Name="prob"), classificationLayer(Name="out")]
    assert list(r.networks) == ["layers", "tail", "lgraph"]
    assert list(r.networks["layers"]) == expected
    assert r.networks["lgraph"] == layerGraph(expected)
    w = r.workspace
    assert w["names"].items() == ["s1_b1_conv", "s1_b1_bn", "s1_b1_relu"]
    assert float(w["numLayers"][0, 0]) == len(expected)
    assert w["lastName"] == "out"
    assert float(w["total"][0, 0]) == 1 + 3 + 5 + 7
    assert w["skips"].items() == ["s2_b1", "s3_b1"]
    assert r.warnings == [] and r.errors == []
    assert_rebuilds(r)
    net = assembleNetwork(r.networks["lgraph"])
    assert tuple(net(torch.randn(1, 3, 64, 64)).shape) == (1, 6)


def test_function_files_beside_the_script_and_on_the_search_path():
    with pytest.raises(MatlabPortError, match=r"(?s)uses_files\.m:8:10.*addSkip.*--path"):
        port(case("uses_files.m"))  # addSkip lives in helpers_lib, not beside the script
    r = port(case("uses_files.m"), path=[case("helpers_lib")])
    g = layerGraph([imageInputLayer([16, 16, 1], Name="in", Normalization="none"),
                    convolution2dLayer(3, 8, Padding="same", Name="stem_conv"), reluLayer(Name="stem_relu")])
    g = addLayers(g, [convolution2dLayer(3, 8, Padding="same", Name="r1_conv"), additionLayer(2, Name="r1_add"),
                      reluLayer(Name="r1_relu")])
    g = connectLayers(g, "stem_relu", "r1_conv")
    g = connectLayers(g, "stem_relu", "r1_add/in2")
    g = addLayers(g, [fullyConnectedLayer(4, Name="fc"), regressionLayer(Name="out")])
    g = connectLayers(g, "r1_relu", "fc")
    assert r.networks["lgraph"] == g
    assert r.workspace["outName"] == "r1_add/in2"  # second output of a two-output function file
    assert_rebuilds(r)
    assert not analyzeNetwork(r.networks["lgraph"], "Plots", "none").errors


def _digits_layers(num_classes):
    return [imageInputLayer([28, 28, 1]), convolution2dLayer(3, 8, Padding="same"), batchNormalizationLayer,
            reluLayer, convolution2dLayer(3, 16, Padding="same", Stride=2), batchNormalizationLayer, reluLayer,
            fullyConnectedLayer(num_classes), softmaxLayer, classificationLayer]


def test_data_and_plot_code_around_the_network():
    with pytest.raises(MatlabPortError) as err:
        port(case("with_data.m"))
    text = str(err.value)
    assert "with_data.m:27:5" in text and "fullyConnectedLayer(numClasses)" in text
    assert "'numClasses'" in text and "--var numClasses=" in text and "workspace=" in text
    assert "with_data.m:17:20" in text  # where the opaque value came from (categories)
    r = port(case("with_data.m"), workspace={"numClasses": 10})
    assert list(r.networks) == ["layers"]
    assert same_layers(r.networks["layers"], [x() if callable(x) and not hasattr(x, "Name") else x
                                              for x in _digits_layers(10)])
    joined = "\n".join(r.warnings)
    for where, what in [("4:8", "imageDatastore"), ("10:5", "imshow"), ("39:7", "trainNetwork"),
                        ("43:1", "disp")]:
        assert f"with_data.m:{where}: warning:" in joined and what in joined
    assert_rebuilds(r)


def test_var_option_values_are_matlab_expressions():
    r = port(case("with_data.m"), var_specs=["numClasses=2*3+1"])
    assert r.networks["layers"][7].OutputSize == 7


def test_classdef_custom_layers_translate_to_torch():
    r = port(case("custom/custom_net.m"))
    layers = r.networks["layers"]
    elu, prelu = layers[2], layers[3]
    assert isinstance(elu, MatlabCustomLayer) and not isinstance(elu, PlaceholderLayer)
    assert type(elu).MATLAB_NAME == "channelEluLayer" and elu.Name == "elu"
    assert elu.TYPE == "Exponential Linear Unit"
    assert elu.Description == "Exponential linear unit with 4 channels"
    assert tuple(elu.Alpha.shape) == (1, 1, 4)
    assert torch.allclose(elu.Alpha.reshape(-1), torch.tensor([0.30, 0.35, 0.40, 0.45]))
    assert prelu.Name == "prelu" and tuple(prelu.Alpha.shape) == (1, 1, 4) and prelu.Scale == 1
    assert r.warnings == []
    ns = assert_rebuilds(r)
    # analysis and compilation with no user help
    info = analyzeNetwork(r.networks["lgraph"], "Plots", "none")
    assert not info.errors
    net = assembleNetwork(r.networks["lgraph"])
    assert tuple(net(torch.randn(2, 3, 8, 8)).shape) == (2, 2)
    # the translated math against a NumPy reference in MATLAB layout (H x W x C x N)
    x = np.random.default_rng(1).standard_normal((2, 4, 5, 5)).astype(np.float32)  # torch N x C x H x W
    xm = x.transpose(2, 3, 1, 0)
    a = elu.Alpha.numpy().reshape(1, 1, 4, 1)
    ref_elu = np.maximum(xm, 0) + a * (np.exp(np.minimum(xm, 0)) - 1)
    from layergraph.layers.base import image_layout
    for cls_layer, ref in [(elu, ref_elu)]:
        module = cls_layer.build([image_layout(5, 5, 4)])
        got = module(torch.from_numpy(x)).detach().numpy().transpose(2, 3, 1, 0)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    p = prelu.Alpha.numpy().reshape(1, 1, 4, 1)
    ref_prelu = 1 * (np.maximum(0, xm) + p * np.minimum(0, xm))
    got = prelu.build([image_layout(5, 5, 4)])(torch.from_numpy(x)).detach().numpy().transpose(2, 3, 1, 0)
    np.testing.assert_allclose(got, ref_prelu, rtol=1e-5, atol=1e-6)
    # the generated class computes the same thing
    gen = ns["lgraph"].layer_list()[2]
    got2 = gen.build([image_layout(5, 5, 4)])(torch.from_numpy(x)).detach().numpy().transpose(2, 3, 1, 0)
    np.testing.assert_allclose(got2, ref_elu, rtol=1e-5, atol=1e-6)
    assert "def predict(layer, X):" in r.python_source and "mfun.exp" in r.python_source


def test_untranslatable_classdef_becomes_a_placeholder_that_analysis_flags():
    r = port(case("custom/placeholder_net.m"))
    layers = r.networks["layers"]
    assert isinstance(layers[1], PlaceholderLayer) and layers[1].Name == "loopy"
    assert any("placeholder_net.m:3:5" in w and "placeholder" in w for w in r.warnings)
    info = analyzeNetwork(layers, "Plots", "none", "TargetUsage", "dlnetwork")
    assert any("placeholder" in str(i) and "loopyLayer" in str(i) for i in info.errors)
    assert_rebuilds(r)


def test_octave_spellings():
    r = port(case("octave_style.m"))
    expected = [featureInputLayer(6, Name="x"), fullyConnectedLayer(8, Name="fc1"), reluLayer(Name="relu1"),
                fullyConnectedLayer(16, Name="fc2"), sigmoidLayer(Name="act"), fullyConnectedLayer(1, Name="head"),
                regressionLayer(Name="loss")]
    assert list(r.networks["layers"]) == expected
    assert float(r.workspace["k"][0, 0]) == 3
    assert r.warnings == [] and r.errors == []
    assert_rebuilds(r)


@pytest.mark.parametrize("name, layer_name", [
    ("enc_latin1.m", "entrée"), ("enc_shiftjis.m", "入力"), ("enc_gbk.m", "输入"), ("enc_utf8_bom.m", "entrée"),
])
def test_source_encodings(name, layer_name):
    r = port(case(name))
    expected = [sequenceInputLayer(3, Name=layer_name), lstmLayer(10, OutputMode="last", Name="lstm"),
                fullyConnectedLayer(2, Name="fc"), softmaxLayer(Name="sm"), classificationLayer(Name="out")]
    assert list(r.networks["layers"]) == expected
    assert r.warnings == [] and r.errors == []
    assert_rebuilds(r)


def test_examples_port():
    import os

    root = os.path.join(os.path.dirname(__file__), "..", "examples")
    for name in sorted(os.listdir(root)):
        if name.endswith(".m"):
            r = port(os.path.join(root, name))
            assert r.networks, name
            assert_rebuilds(r)


def test_dlnetwork_designer_style_initialize():
    from layergraph import dlnetwork

    r = port(case("dnd_dlnetwork.m"))
    g = layerGraph([featureInputLayer(4, Name="features"), fullyConnectedLayer(16, Name="fc_1"), reluLayer(Name="relu")])
    g = addLayers(g, [fullyConnectedLayer(16, Name="fc_2"), additionLayer(2, Name="add"),
                      fullyConnectedLayer(3, Name="fc_out"), softmaxLayer(Name="softmax")])
    g = connectLayers(g, "relu", "fc_2")
    g = connectLayers(g, "relu", "add/in2")
    net = r.networks["net"]
    assert type(net).__name__ == "Network" and net._lg.kind == "dlnetwork"
    assert net._lg.graph == g
    assert tuple(net(torch.randn(5, 4)).shape) == (5, 3)
    assert tuple(dlnetwork(g)(torch.randn(5, 4)).shape) == (5, 3)
    assert_rebuilds(r)


def test_json_spec_of_a_ported_network():
    from layergraph.spec import load_spec

    r = port(case("dnd_residual.m"))
    spec = r.to_json("lgraph")
    assert spec["layers"][0]["Name"] == "data"
    assert load_spec(spec) == r.networks["lgraph"]
    assert set(r.to_json()) == {"lgraph"}
