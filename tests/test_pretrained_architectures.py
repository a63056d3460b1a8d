"""Pretrained architectures with 'Weights','none': MATLAB's layer names, order, types, connections,
input sizes and the figures of MathWorks' "Pretrained Deep Neural Networks" table."""

from __future__ import annotations

import math

import pytest

import layergraph as lg
from layergraph import LayerArray, LayerGraph
from layergraph.analysis import analyze_graph
from layergraph.functions import FUNCTIONS

# name: (input size, parameters in millions as MathWorks' table rounds them, layers, connections,
#        names scripts edit, SeriesNetwork?)
TABLE = {
    "alexnet": ((227, 227, 3), "61.0", 25, 24, ("fc8", "prob", "output", "pool5", "fc7", "drop7"), True),
    "vgg16": ((224, 224, 3), "138", 41, 40, ("fc8", "prob", "output", "pool5", "fc7", "drop7"), True),
    "vgg19": ((224, 224, 3), "144", 47, 46, ("fc8", "prob", "output", "pool5", "fc7", "conv5_4"), True),
    "squeezenet": ((227, 227, 3), "1.24", 68, 75, ("conv10", "relu_conv10", "pool10", "prob",
                                                   "ClassificationLayer_predictions", "fire9-concat"), False),
    "googlenet": ((224, 224, 3), "7.0", 144, 170, ("loss3-classifier", "prob", "output", "pool5-drop_7x7_s1",
                                                   "inception_5b-output"), False),
    "resnet18": ((224, 224, 3), "11.7", 71, 78, ("fc1000", "prob", "ClassificationLayer_predictions", "pool5",
                                                 "res5b_relu"), False),
    "resnet50": ((224, 224, 3), "25.6", 177, 192, ("fc1000", "fc1000_softmax", "ClassificationLayer_fc1000",
                                                   "avg_pool", "activation_49_relu", "add_16"), False),
    "resnet101": ((224, 224, 3), "44.6", 347, 379, ("fc1000", "prob", "ClassificationLayer_predictions", "pool5",
                                                    "res4b22_relu", "res5c_relu"), False),
    "mobilenetv2": ((224, 224, 3), "3.5", 154, 163, ("Logits", "Logits_softmax", "ClassificationLayer_Logits",
                                                     "global_average_pooling2d_1", "out_relu", "block_16_project_BN"),
                    False),
    "inceptionv3": ((299, 299, 3), "23.9", 315, 349, ("predictions", "predictions_softmax",
                                                      "ClassificationLayer_predictions", "avg_pool", "mixed10",
                                                      "conv2d_94", "activation_94_relu"), False),
    "densenet201": ((224, 224, 3), "20.0", 709, 806, ("fc1000", "fc1000_softmax", "ClassificationLayer_fc1000",
                                                      "avg_pool", "conv5_block32_concat", "conv1|conv"), False),
    "xception": ((299, 299, 3), "22.9", 170, 181, ("predictions", "predictions_softmax",
                                                   "ClassificationLayer_predictions", "avg_pool",
                                                   "block14_sepconv2_act", "add_12"), False),
    # MathWorks' efficientnetb0 page: DAGNetwork, 290 layers, 363 connections, InputNames {'ImageInput'},
    # OutputNames {'classification'}; the other names from public scripts that edit it (docs/pretrained.md)
    "efficientnetb0": ((224, 224, 3), "5.3", 290, 363, ("ImageInput", "classification", "Softmax",
                                                        "efficientnet-b0|model|head|dense|MatMul",
                                                        "efficientnet-b0|model|head|global_average_pooling2d|GlobAvgPool",
                                                        "efficientnet-b0|model|head|conv2d|Conv2D",
                                                        "efficientnet-b0|model|stem|conv2d|Conv2D",
                                                        "efficientnet-b0|model|blocks_0|se|GlobAvgPool",
                                                        "Conv__301", "Conv__442"), False),
    # MathWorks' darknet19 page: SeriesNetwork, 64 layers, InputNames {'input'}, OutputNames {'output'}
    "darknet19": ((256, 256, 3), "20.8", 64, 63, ("input", "output"), True),
    "darknet53": ((256, 256, 3), "41.6", 184, 206, ("input", "output"), False),
}


def _rounded(total: int, shown: str) -> str:
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return f"{total / 1e6:.{decimals}f}"


def _graph(x) -> LayerGraph:
    return lg.layerGraph(x) if isinstance(x, (list, LayerArray)) else x


@pytest.mark.parametrize("name", sorted(TABLE))
def test_weights_none_matches_mathworks_table(name):
    size, params, n_layers, n_conn, edited, series = TABLE[name]
    result = getattr(lg, name)("Weights", "none")
    assert isinstance(result, LayerArray if series else LayerGraph)
    graph = _graph(result)
    layers = graph.layer_list()
    assert len(layers) == n_layers
    assert len(graph.edge_list()) == n_conn
    assert tuple(layers[0].InputSize) == size
    analysis = analyze_graph(graph)
    assert not analysis.errors, [str(i) for i in analysis.errors]
    assert _rounded(analysis.TotalLearnables, params) == params
    names = {layer.Name for layer in layers}
    assert set(edited) <= names
    # nothing is initialized: the layers carry MATLAB's initializers and empty learnables
    assert all(getattr(layer, "Weights", None) is None for layer in layers if hasattr(layer, "WeightsInitializer"))


def test_constructors_are_registered_matlab_functions_and_exported():
    for name in TABLE:
        assert name in FUNCTIONS and FUNCTIONS[name].outputs == ("net",)
        assert name in lg.__all__
    assert FUNCTIONS["imagePretrainedNetwork"].outputs == ("net", "classNames")
    assert "imagePretrainedNetwork" in lg.__all__


def test_weights_option_forms_and_errors():
    a = lg.resnet18("weights", "none")
    b = lg.resnet18(Weights="none")
    assert [l.Name for l in a.layer_list()] == [l.Name for l in b.layer_list()]
    with pytest.raises(lg.OptionError, match="'Weights' must be 'imagenet' or 'none'"):
        lg.resnet18("Weights", "places365")
    with pytest.raises(lg.OptionError, match="not an option"):
        lg.vgg16("Pretrained", True)


def test_imagenet_weights_for_networks_without_public_source_raise():
    for name in ("alexnet", "googlenet", "xception", "darknet19", "darknet53"):
        with pytest.raises(lg.PretrainedWeightsError, match="no public weight file"):
            getattr(lg, name)()


# ---- full lists against MathWorks printouts / Deep Network Designer exports ----------------------

ALEXNET = """
data Image Input|conv1 2-D Convolution|relu1 ReLU|norm1 Cross Channel Normalization|pool1 2-D Max Pooling
conv2 2-D Grouped Convolution|relu2 ReLU|norm2 Cross Channel Normalization|pool2 2-D Max Pooling
conv3 2-D Convolution|relu3 ReLU|conv4 2-D Grouped Convolution|relu4 ReLU|conv5 2-D Grouped Convolution|relu5 ReLU
pool5 2-D Max Pooling|fc6 Fully Connected|relu6 ReLU|drop6 Dropout|fc7 Fully Connected|relu7 ReLU|drop7 Dropout
fc8 Fully Connected|prob Softmax|output Classification Output
"""


def _rows(text):
    rows = [item.strip() for line in text.strip().splitlines() for item in line.split("|") if item.strip()]
    return [tuple(r.split(" ", 1)) for r in rows]


def test_alexnet_layers_types_and_descriptions():
    layers = lg.alexnet("Weights", "none")
    assert [(l.Name, l.Type) for l in layers] == _rows(ALEXNET)
    text = str(layers)
    assert "2 groups of 128 5×5 convolutions with stride [1  1] and padding [2  2  2  2]" in text
    assert "96 11×11 convolutions with stride [4  4] and padding [0  0  0  0]" in text
    assert "cross channel normalization with 5 channels per element" in text
    assert "227×227×3 images with 'zerocenter' normalization" in text
    norm = layers[3]
    assert (norm.WindowChannelSize, norm.Alpha, norm.Beta, norm.K) == (5, 1e-4, 0.75, 1)
    assert lg.alexnet("Weights", "none")[:-3][-1].Name == "drop7"


SQUEEZENET_HEAD = ["data", "conv1", "relu_conv1", "pool1"]
FIRE = ["{f}-squeeze1x1", "{f}-relu_squeeze1x1", "{f}-expand1x1", "{f}-relu_expand1x1", "{f}-expand3x3",
        "{f}-relu_expand3x3", "{f}-concat"]


def test_squeezenet_names_types_connections():
    graph = lg.squeezenet("Weights", "none")
    expected = list(SQUEEZENET_HEAD)
    for k in range(2, 10):
        expected += [n.format(f=f"fire{k}") for n in FIRE]
        if k in (3, 5):
            expected.append(f"pool{k}")
    expected += ["drop9", "conv10", "relu_conv10", "pool10", "prob", "ClassificationLayer_predictions"]
    layers = graph.layer_list()
    assert [l.Name for l in layers] == expected
    types = {l.Name: l.Type for l in layers}
    assert types["fire2-concat"] == "Depth concatenation"
    assert types["pool10"] == "2-D Global Average Pooling"
    assert types["ClassificationLayer_predictions"] == "Classification Output"
    # Deep Network Designer's export of squeezenet: pool3 and pool5 pad [0 1 0 1], pool1 does not
    assert tuple(graph.layer("pool3").Padding) == (0, 1, 0, 1)
    assert tuple(graph.layer("pool5").Padding) == (0, 1, 0, 1)
    assert tuple(graph.layer("pool1").Padding) == (0, 0, 0, 0)
    assert tuple(graph.layer("fire2-expand3x3").Padding) == (1, 1, 1, 1)
    edges = {(s if sp == "out" else f"{s}/{sp}", d if dp == "in" else f"{d}/{dp}") for s, sp, d, dp in graph.edge_list()}
    for k in range(2, 10):
        f = f"fire{k}"
        assert (f"{f}-relu_squeeze1x1", f"{f}-expand1x1") in edges
        assert (f"{f}-relu_squeeze1x1", f"{f}-expand3x3") in edges
        assert (f"{f}-relu_expand1x1", f"{f}-concat/in1") in edges
        assert (f"{f}-relu_expand3x3", f"{f}-concat/in2") in edges
    assert ("fire3-concat/out" if False else "fire3-concat", "pool3") in edges
    assert ("pool3", "fire4-squeeze1x1") in edges and ("fire9-concat", "drop9") in edges
    assert len(edges) == 75


RESNET18 = """
data conv1 bn_conv1 conv1_relu pool1
res2a_branch2a bn2a_branch2a res2a_branch2a_relu res2a_branch2b bn2a_branch2b res2a res2a_relu
res2b_branch2a bn2b_branch2a res2b_branch2a_relu res2b_branch2b bn2b_branch2b res2b res2b_relu
res3a_branch2a bn3a_branch2a res3a_branch2a_relu res3a_branch2b bn3a_branch2b res3a_branch1 bn3a_branch1 res3a res3a_relu
res3b_branch2a bn3b_branch2a res3b_branch2a_relu res3b_branch2b bn3b_branch2b res3b res3b_relu
res4a_branch2a bn4a_branch2a res4a_branch2a_relu res4a_branch2b bn4a_branch2b res4a_branch1 bn4a_branch1 res4a res4a_relu
res4b_branch2a bn4b_branch2a res4b_branch2a_relu res4b_branch2b bn4b_branch2b res4b res4b_relu
res5a_branch2a bn5a_branch2a res5a_branch2a_relu res5a_branch2b bn5a_branch2b res5a_branch1 bn5a_branch1 res5a res5a_relu
res5b_branch2a bn5b_branch2a res5b_branch2a_relu res5b_branch2b bn5b_branch2b res5b res5b_relu
pool5 fc1000 prob ClassificationLayer_predictions
"""
#: connections of resnet18 that are not between neighbours in Layers order (Deep Network Designer export)
RESNET18_SKIPS = """
pool1 res2a/in2|bn2a_branch2b res2a/in1|res2a_relu res2b/in2|bn2b_branch2b res2b/in1
res2b_relu res3a_branch1|bn3a_branch2b res3a/in1|bn3a_branch1 res3a/in2|res3a_relu res3b/in2|bn3b_branch2b res3b/in1
res3b_relu res4a_branch1|bn4a_branch2b res4a/in1|bn4a_branch1 res4a/in2|res4a_relu res4b/in2|bn4b_branch2b res4b/in1
res4b_relu res5a_branch1|bn5a_branch2b res5a/in1|bn5a_branch1 res5a/in2|res5a_relu res5b/in2|bn5b_branch2b res5b/in1
"""
#: neighbours in Layers order that are NOT connected
RESNET18_BREAKS = {("bn2a_branch2b", "res2a"), ("bn2b_branch2b", "res2b"), ("bn3a_branch2b", "res3a_branch1"),
                   ("bn3a_branch1", "res3a"), ("bn3b_branch2b", "res3b"), ("bn4a_branch2b", "res4a_branch1"),
                   ("bn4a_branch1", "res4a"), ("bn4b_branch2b", "res4b"), ("bn5a_branch2b", "res5a_branch1"),
                   ("bn5a_branch1", "res5a"), ("bn5b_branch2b", "res5b")}


def _edge_set(graph):
    return {(s, d if dp == "in" else f"{d}/{dp}") for s, _, d, dp in graph.edge_list()}


def test_resnet18_names_connections_and_options():
    graph = lg.resnet18("Weights", "none")
    names = RESNET18.split()
    assert [l.Name for l in graph.layer_list()] == names
    expected = {(a, b) for a, b in zip(names, names[1:]) if (a, b) not in RESNET18_BREAKS}
    expected = {(a, b) for a, b in expected}
    expected |= {tuple(row) for row in _rows(RESNET18_SKIPS)}
    # neighbours followed by an addition are connected through an explicit port
    expected = {(a, b) for a, b in expected if not (b in ("res2a", "res2b", "res3a", "res3b", "res4a", "res4b",
                                                          "res5a", "res5b"))} | {
        (a, b) for a, b in expected if b.endswith(("/in1", "/in2"))}
    assert _edge_set(graph) == expected
    assert len(expected) == 78
    first = graph.layer("data")
    assert first.Normalization == "zscore"
    assert [round(float(v), 3) for v in first.Mean.flatten()] == [123.675, 116.28, 103.53]
    assert [round(float(v), 3) for v in first.StandardDeviation.flatten()] == [58.395, 57.12, 57.375]
    conv1 = graph.layer("conv1")
    assert tuple(conv1.Padding) == (3, 3, 3, 3) and tuple(conv1.Stride) == (2, 2) and conv1.BiasLearnRateFactor == 0
    assert tuple(graph.layer("pool1").Padding) == (1, 1, 1, 1)
    assert tuple(graph.layer("res3a_branch1").Stride) == (2, 2)


GOOGLENET_HEAD = ("data conv1-7x7_s2 conv1-relu_7x7 pool1-3x3_s2 pool1-norm1 conv2-3x3_reduce conv2-relu_3x3_reduce "
                  "conv2-3x3 conv2-relu_3x3 conv2-norm2 pool2-3x3_s2").split()
INCEPTION = ("-1x1 -relu_1x1 -3x3_reduce -relu_3x3_reduce -3x3 -relu_3x3 -5x5_reduce -relu_5x5_reduce -5x5 -relu_5x5 "
             "-pool -pool_proj -relu_pool_proj -output").split()


def test_googlenet_names_types_connections():
    graph = lg.googlenet("Weights", "none")
    expected = list(GOOGLENET_HEAD)
    for tag in ("3a", "3b", "pool3-3x3_s2", "4a", "4b", "4c", "4d", "4e", "pool4-3x3_s2", "5a", "5b"):
        expected += [tag] if tag.startswith("pool") else [f"inception_{tag}{s}" for s in INCEPTION]
    expected += ["pool5-7x7_s1", "pool5-drop_7x7_s1", "loss3-classifier", "prob", "output"]
    layers = graph.layer_list()
    assert [l.Name for l in layers] == expected
    assert graph.layer("inception_3a-output").Type == "Depth concatenation"
    assert graph.layer("pool1-norm1").Type == "Cross Channel Normalization"
    assert graph.layer("pool5-drop_7x7_s1").Probability == 0.4
    edges = _edge_set(graph)
    for m in ("inception_3a", "inception_4e", "inception_5b"):
        prev = {"inception_3a": "pool2-3x3_s2", "inception_4e": "inception_4d-output",
                "inception_5b": "inception_5a-output"}[m]
        for branch in ("-1x1", "-3x3_reduce", "-5x5_reduce", "-pool"):
            assert (prev, m + branch) in edges
        for i, src in enumerate(("-relu_1x1", "-relu_3x3", "-relu_5x5", "-relu_pool_proj"), start=1):
            assert (m + src, f"{m}-output/in{i}") in edges
    assert ("inception_3b-output", "pool3-3x3_s2") in edges and ("pool3-3x3_s2", "inception_4a-1x1") in edges


def test_inceptionv3_and_densenet201_details():
    inc = lg.inceptionv3("Weights", "none")
    first = inc.layer_list()[0]
    assert first.Name == "input_1" and first.Normalization == "rescale-symmetric"
    assert tuple(inc.layer("conv2d_1").Stride) == (2, 2) and inc.layer("batch_normalization_1").Epsilon == 1e-3
    assert tuple(inc.layer("conv2d_94").FilterSize) == (1, 1)
    assert inc.layer("mixed9_0").NumInputs == 2 and inc.layer("mixed10").NumInputs == 4
    dense = lg.densenet201("Weights", "none")
    # Deep Network Designer export of densenet201: conv1|conv pads 3 with stride 2, pool1 pads 1,
    # conv2_block1_concat takes the block input as in1 and the new features as in2
    assert tuple(dense.layer("conv1|conv").Padding) == (3, 3, 3, 3)
    assert tuple(dense.layer("pool1").Padding) == (1, 1, 1, 1)
    edges = _edge_set(dense)
    assert ("pool1", "conv2_block1_concat/in1") in edges and ("conv2_block1_2_conv", "conv2_block1_concat/in2") in edges
    assert dense.layer("conv2_block1_2_conv").Padding == "same"


def test_xception_separable_convolutions_and_shortcuts():
    graph = lg.xception("Weights", "none")
    dw = graph.layer("block2_sepconv1_channel-wise")
    pw = graph.layer("block2_sepconv1_point-wise")
    assert dw.Type == "2-D Grouped Convolution" and dw.NumGroups == "channel-wise" and dw.Padding == "same"
    assert tuple(pw.FilterSize) == (1, 1) and pw.NumFilters == 128
    edges = _edge_set(graph)
    assert ("block1_conv2_act", "conv2d_1") in edges and ("batch_normalization_1", "add_1/in2") in edges
    assert ("block2_pool", "add_1/in1") in edges and ("add_4", "add_5/in2") in edges
    assert tuple(graph.layer("conv2d_4").Stride) == (2, 2) and graph.layer("block13_pool").Padding == "same"


def test_efficientnetb0_structure_as_matlab_exports_show_it():
    """Swish as sigmoidLayer + multiplicationLayer, squeeze-excitation through 'Conv__*' convolutions,
    TensorFlow 'same' padding written out ([0 1 0 1] for 3×3 stride 2, [1 2 1 2] for 5×5 stride 2),
    Epsilon 1e-3 (Deep Network Designer exports of MATLAB's efficientnetb0)."""
    g = lg.efficientnetb0("Weights", "none")
    p = "efficientnet-b0|model"
    edges = {(d, dp): s for s, sp, d, dp in g.edge_list()}
    assert edges[(f"{p}|stem|MulLayer", "in1")] == f"{p}|stem|tpu_batch_normalization|FusedBatchNorm"
    assert edges[(f"{p}|stem|MulLayer", "in2")] == f"{p}|stem|SigmoidLayer"
    assert list(g.layer(f"{p}|stem|conv2d|Conv2D").Padding) == [0, 1, 0, 1]
    assert list(g.layer(f"{p}|blocks_1|depthwise_conv2d|depthwise").Padding) == [0, 1, 0, 1]
    assert list(g.layer(f"{p}|blocks_3|depthwise_conv2d|depthwise").Padding) == [1, 2, 1, 2]
    assert list(g.layer(f"{p}|blocks_2|depthwise_conv2d|depthwise").Padding) == [1, 1, 1, 1]
    dw = g.layer(f"{p}|blocks_1|depthwise_conv2d|depthwise")
    assert dw.MATLAB_NAME == "groupedConvolution2dLayer" and dw.NumFiltersPerGroup == 1
    assert g.layer(f"{p}|blocks_1|tpu_batch_normalization_2|FusedBatchNorm").Epsilon == pytest.approx(1e-3)
    # blocks_1 squeeze-excitation: 96 channels squeezed to 16 // 4 = 4 by Conv__309, back to 96 by Conv__312
    assert edges[("Conv__309", "in")] == f"{p}|blocks_1|se|GlobAvgPool"
    assert edges[("Conv__312", "in")] == f"{p}|blocks_1|se|MulLayer"
    assert g.layer("Conv__309").NumFilters == 4 and g.layer("Conv__312").NumFilters == 96
    assert edges[(f"{p}|blocks_1|se|MulLayer_1", "in1")] == f"{p}|blocks_1|MulLayer_1"
    assert edges[(f"{p}|blocks_1|se|MulLayer_1", "in2")] == f"{p}|blocks_1|se|SigmoidLayer_1"
    # residual additions only where stride 1 and channels unchanged: blocks 2, 4, 6, 7, 9, 10, 12, 13, 14
    adds = sorted(int(l.Name.split("blocks_")[1].split("|")[0]) for l in g.layer_list() if l.Name.endswith("|Add"))
    assert adds == [2, 4, 6, 7, 9, 10, 12, 13, 14]
    analysis = analyze_graph(g)
    # 224 -> 112 (stem) -> 56 (blocks_1) ... -> 7 (head)
    assert analysis.layer_info(f"{p}|blocks_1|MulLayer_1").ActivationSizes[0].startswith("56(S) × 56(S) × 96(C)")
    assert analysis.layer_info(f"{p}|head|MulLayer").ActivationSizes[0].startswith("7(S) × 7(S) × 1280(C)")


def test_efficientnetb0_edits_of_public_scripts():
    """replaceLayer on 'efficientnet-b0|model|head|dense|MatMul' and 'classification', as transfer-learning
    scripts do; the dlnetwork form ends at 'Softmax' (289 layers: no classification layer)."""
    g = lg.efficientnetb0("Weights", "none")
    g = lg.replaceLayer(g, "efficientnet-b0|model|head|dense|MatMul",
                        lg.fullyConnectedLayer(5, "Name", "new_fc", "WeightLearnRateFactor", 10))
    g = lg.replaceLayer(g, "classification", lg.classificationLayer("Name", "new_out"))
    edges = {(s, d) for s, _, d, _ in g.edge_list()}
    assert ("efficientnet-b0|model|head|global_average_pooling2d|GlobAvgPool", "new_fc") in edges
    assert ("new_fc", "Softmax") in edges and ("Softmax", "new_out") in edges
    analysis = analyze_graph(g)
    assert not analysis.errors and analysis.layer_info("new_fc").ActivationSizes[0] == "5(C) × 1(B)"
    net, classes = lg.imagePretrainedNetwork("efficientnetb0", NumClasses=3, Weights="none")
    assert net.OutputNames == ["Softmax"] and len(net.Layers) == 289 and classes == []
