"""Network builders (issue 11 item 9): unetLayers, dnCNNLayers, resnetLayers/resnetNetwork, resnet3dLayers/
resnet3dNetwork. Counts and names are MathWorks-documented printouts (reference pages' examples):
unetLayers([480 640 3], 5, 'EncoderDepth', 3) has 46 layers and 48 connections, input 'ImageInputLayer' and
output 'Segmentation-Layer'; dnCNNLayers is a 1×58 layer array 'InputLayer' (50×50×1), 'Conv1', 'ReLU1',
'Conv2', 'BNorm2', 'ReLU2', ..., 'Conv20'; resnetNetwork([224 224 3], 10) has 176 layers, 191 connections,
214 learnables and 106 states (input 'input', output 'softmax'), with StackDepth [3 4 23 3] 346 layers and
378 connections; resnet3dLayers([224 224 64 3], 10) has 177 layers and 192 connections ('input', 'output')."""

from __future__ import annotations

import textwrap

import pytest
import torch

from layergraph import analyzeNetwork, dnCNNLayers, resnet3dLayers, resnetLayers, resnetNetwork, unetLayers
from layergraph.errors import OptionError
from layergraph.matlab import port


def counts(graph):
    a = analyzeNetwork(graph, Plots="none")
    assert not a.has_errors, [str(i) for i in a.Issues]
    return (len(graph.layer_list()), len(graph.edge_list()), sum(len(r.LearnableSizes) for r in a.LayerInfo),
            sum(len(r.StateSizes) for r in a.LayerInfo))


def test_unet_layers_documented_example():
    lgraph, output_size = unetLayers([480, 640, 3], 5, "EncoderDepth", 3)
    layers = lgraph.layer_list()
    assert len(layers) == 46 and len(lgraph.edge_list()) == 48
    assert layers[0].Name == "ImageInputLayer" and layers[-1].Name == "Segmentation-Layer"
    assert output_size.tolist() == [[480, 640, 5]]
    names = [layer.Name for layer in layers]
    # each decoder stage concatenates the matching encoder stage (the deepest one after its dropout)
    src = {(e[2], e[3]): e[0] for e in lgraph.edge_list()}
    assert src[("Decoder-Stage-1-DepthConcatenation", "in2")] == "Encoder-Stage-3-DropOut"
    assert src[("Decoder-Stage-3-DepthConcatenation", "in2")] == "Encoder-Stage-1-ReLU-2"
    assert names.index("Bridge-DropOut") < names.index("Decoder-Stage-1-UpConv")
    # filters: 64, 128, 256 in the encoder, 512 in the bridge, halved back in the decoder
    by = {layer.Name: layer for layer in layers}
    assert [by[f"Encoder-Stage-{i}-Conv-1"].NumFilters for i in (1, 2, 3)] == [64, 128, 256]
    assert by["Bridge-Conv-2"].NumFilters == 512 and by["Decoder-Stage-3-Conv-2"].NumFilters == 64
    # default depth 4: 1 + 4*5 + 1 + 5 + 4*7 + 3 layers, chain + 4 skip connections
    g4, _ = unetLayers([64, 64, 1], 2)
    assert len(g4.layer_list()) == 58 and len(g4.edge_list()) == 57 + 4


def test_unet_forward_keeps_the_image_size():
    from layergraph import assembleNetwork

    lgraph, output_size = unetLayers([32, 32, 1], 3, EncoderDepth=2, NumFirstEncoderFilters=4)
    net = assembleNetwork(lgraph)
    with torch.no_grad():
        y = net(torch.zeros(2, 1, 32, 32))
    assert tuple(y.shape) == (2, 3, 32, 32) and output_size.tolist() == [[32, 32, 3]]
    with pytest.raises(OptionError, match="multiples of 2\\^EncoderDepth = 4"):
        unetLayers([30, 32, 1], 3, EncoderDepth=2)


def test_dncnn_layers_documented_names():
    layers = dnCNNLayers()
    names = [layer.Name for layer in layers]
    assert len(layers) == 58
    assert names[:6] == ["InputLayer", "Conv1", "ReLU1", "Conv2", "BNorm2", "ReLU2"] and names[-1] == "Conv20"
    assert list(layers[0].InputSize) == [50, 50, 1]
    assert layers[1].NumFilters == 64 and layers[-1].NumFilters == 1
    assert len(dnCNNLayers("NetworkDepth", 5)) == 1 + 2 + 3 * 3 + 1


def test_resnet_documented_counts():
    # resnetNetwork: 176 layers, 191 connections, 214 learnables, 106 states; resnetLayers adds 'output'
    assert counts(resnetLayers([224, 224, 3], 10)) == (177, 192, 214, 106)
    net = resnetNetwork([224, 224, 3], 10)
    assert len(net.Layers) == 176 and net.Layers[0].Name == "input" and net.Layers[-1].Name == "softmax"
    g101 = resnetLayers([224, 224, 3], 10, StackDepth=[3, 4, 23, 3], NumFilters=[64, 128, 256, 512])
    assert (len(g101.layer_list()) - 1, len(g101.edge_list()) - 1) == (346, 378)
    g3 = resnet3dLayers([32, 32, 16, 3], 10)
    assert (len(g3.layer_list()), len(g3.edge_list())) == (177, 192)
    assert g3.layer_list()[0].Name == "input" and g3.layer_list()[-1].Name == "output"


def test_builders_from_a_ported_script(tmp_path):
    path = tmp_path / "seg.m"
    path.write_text(textwrap.dedent("""\
        imageSize = [64 64 3];
        [lgraph, outSize] = unetLayers(imageSize, 4, 'EncoderDepth', 2, 'NumFirstEncoderFilters', 8);
        lgraph = replaceLayer(lgraph, 'Segmentation-Layer', pixelClassificationLayer('Name', 'labels'));
        denoiser = dnCNNLayers('NetworkDepth', 6);
        n = outSize(3);
    """))
    r = port(str(path))
    names = [layer.Name for layer in r.graphs()["lgraph"].layer_list()]
    assert names[-1] == "labels" and len(names) == 1 + 2 * 5 + 1 + 5 + 2 * 7 + 3
    assert float(r.workspace["n"].flat[0]) == 4
    assert len(r.networks["denoiser"]) == 1 + 2 + 3 * 4 + 1


def test_denoising_network_is_the_dncnn_architecture_without_mathworks_weights():
    import pytest

    from layergraph.functions import FUNCTIONS
    from layergraph.matlab import port
    from layergraph.networks.pretrained import PretrainedWeightsError

    denoisingNetwork = FUNCTIONS["denoisingNetwork"].function
    with pytest.raises(PretrainedWeightsError, match="Weights','none'"):
        denoisingNetwork("DnCNN")
    net = denoisingNetwork("dncnn", "Weights", "none")
    names = [layer.Name for layer in net.Layers]
    # MathWorks' DnCNN: 58 layers for depth 20, InputLayer .. Conv20 (the dnCNNLayers reference page)
    assert len(names) == 58 and names[0] == "InputLayer" and names[-1] == "Conv20"
    result = port("net = denoisingNetwork('DnCNN');\nlayers = net.Layers;\n")
    assert len(result.networks["net"].Layers) == 58
    assert any("architecture" in str(w) for w in result.warnings)
