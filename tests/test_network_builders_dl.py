"""Network builders, part 2 (issue 11 item 9): unet, unet3dLayers/unet3d, blockedNetwork, encoderDecoderNetwork.

Expectations are MathWorks' reference-page printouts:
- unet([480 640 3], 5, EncoderDepth=3): dlnetwork, 48 layers, 53 connections, 36 learnables, 0 states,
  InputNames {'encoderImageInputLayer'}, OutputNames {'FinalNetworkSoftmax-Layer'}
  (https://ww2.mathworks.cn/help/vision/ref/unet.html);
- unet3dLayers([128 128 128 3], 5, 'EncoderDepth', 2, 'NumFirstEncoderFilters', 16): 40 layers, 41 connections,
  'ImageInputLayer' … 'Segmentation-Layer' (…/vision/ref/unet3dlayers.html); unet3d of the same: 46 learnables,
  20 states, input 'encoderImageInputLayer' (…/vision/ref/unet3d.html);
- blockedNetwork(unetBlock, 4, "NamePrefix", "encoder_"): uninitialized dlnetwork, 20 layers, 19 connections,
  16 learnables, 'encoder_Block1Layer1' … 'encoder_Block4Layer5' (…/images/ref/blockednetwork.html);
- encoderDecoderNetwork([224 224 3], encoder, decoder, "OutputChannels", 3, "SkipConnections", "concatenate",
  "LatentNetwork", bridge): 55 layers, 62 connections, 46 learnables, 0 states, input 'encoderImageInputLayer'
  (…/images/ref/encoderdecodernetwork.html).
Output sizes of forward passes are hand-derived ('same' padding keeps the spatial size)."""

from __future__ import annotations

import textwrap

import pytest
import torch

from layergraph import (analyzeNetwork, blockedNetwork, convolution2dLayer, dropoutLayer, encoderDecoderNetwork,
                        maxPooling2dLayer, reluLayer, transposedConv2dLayer, unet, unet3d, unet3dLayers)
from layergraph.errors import OptionError
from layergraph.matlab import port


def counts(graph):
    a = analyzeNetwork(graph, Plots="none")
    assert not a.has_errors, [str(i) for i in a.Issues]
    layers = graph.layer_list() if hasattr(graph, "layer_list") else graph.Layers
    edges = graph.edge_list() if hasattr(graph, "edge_list") else graph.Connections
    return (len(layers), len(edges), sum(len(r.LearnableSizes) for r in a.LayerInfo),
            sum(len(r.StateSizes) for r in a.LayerInfo))


def lg(net):
    return net.to_layer_graph() if hasattr(net, "to_layer_graph") else net


def test_unet_documented_counts_and_forward():
    net, output_size = unet([480, 640, 3], 5, EncoderDepth=3)
    assert counts(lg(net)) == (48, 53, 36, 0)
    assert net.InputNames == ["encoderImageInputLayer"] and net.OutputNames == ["FinalNetworkSoftmax-Layer"]
    assert output_size.tolist() == [[480, 640, 5]]
    small, _ = unet([32, 48, 2], 3, "EncoderDepth", 2, "NumFirstEncoderFilters", 4)
    with torch.no_grad():
        y = small(torch.rand(2, 2, 32, 48))
    assert tuple(y.shape) == (2, 3, 32, 48)
    assert torch.allclose(y.sum(dim=1), torch.ones(2, 32, 48), atol=1e-5)      # softmax over the classes
    with pytest.raises(OptionError, match="ConvolutionPadding must be 'same' or 'valid'"):
        unet([64, 64, 3], 2, ConvolutionPadding="full")


def test_unet3d_documented_counts_and_forward():
    lgraph, output_size = unet3dLayers([128, 128, 128, 3], 5, "EncoderDepth", 2, "NumFirstEncoderFilters", 16)
    layers = lgraph.layer_list()
    assert (len(layers), len(lgraph.edge_list())) == (40, 41)
    assert layers[0].Name == "ImageInputLayer" and layers[-1].Name == "Segmentation-Layer"
    assert output_size.tolist() == [[128, 128, 128, 5]]
    by = {x.Name: x for x in layers}
    # 3-D U-Net: the second convolution of each encoder stage doubles the filters; 2×2×2 up-convolutions
    assert [by["Encoder-Stage-1-Conv-1"].NumFilters, by["Encoder-Stage-1-Conv-2"].NumFilters] == [16, 32]
    assert by["Bridge-Conv-2"].NumFilters == 128 and by["Decoder-Stage-2-Conv-2"].NumFilters == 32
    net, _ = unet3d([16, 16, 8, 1], 2, EncoderDepth=2, NumFirstEncoderFilters=4)
    _, _, learn, state = counts(lg(net))
    assert (learn, state) == (46, 20) and net.InputNames == ["encoderImageInputLayer"]
    net.eval()
    with torch.no_grad():
        y = net(torch.rand(1, 1, 16, 16, 8))
    assert tuple(y.shape) == (1, 2, 16, 16, 8)
    assert len(unet3dLayers([8, 8, 8], 2)[0].layer_list()) == 1 + 3 * 7 + 6 + 3 * 8 + 3    # default depth 3


def unet_block(block):
    return [convolution2dLayer(3, 2 ** (5 + block), Padding="same"), reluLayer(),
            convolution2dLayer(3, 2 ** (5 + block), Padding="same"), reluLayer(), maxPooling2dLayer(2, Stride=2)]


def test_blocked_network_documented_names():
    net = blockedNetwork(unet_block, 4, "NamePrefix", "encoder_")
    assert not net.Initialized
    layers = net.layer_list()
    assert (len(layers), len(net.edge_list()), sum(len(x.learnable_names()) for x in layers)) == (20, 19, 16)
    assert net.InputNames == ["encoder_Block1Layer1"] and net.OutputNames == ["encoder_Block4Layer5"]
    assert [x.NumFilters for x in net.layer_list()[::5]] == [64, 128, 256, 512]
    assert blockedNetwork(lambda b: [reluLayer()], 2).layer_list()[1].Name == "Block2Layer1"
    with pytest.raises(OptionError, match="repeats the layer name 'r'"):
        blockedNetwork(lambda b: [reluLayer(Name="r")], 2)


def test_encoder_decoder_network_documented_unet():
    encoder = blockedNetwork(unet_block, 4, NamePrefix="encoder_")
    decoder = blockedNetwork(lambda block: [
        transposedConv2dLayer(2, 2 ** (10 - block), Stride=2), convolution2dLayer(3, 2 ** (10 - block), Padding="same"),
        reluLayer(), convolution2dLayer(3, 2 ** (10 - block), Padding="same"), reluLayer()], 4, NamePrefix="decoder_")
    bridge = [convolution2dLayer(3, 1024, Padding="same"), reluLayer(), convolution2dLayer(3, 1024, Padding="same"),
              reluLayer(), dropoutLayer(0.5)]
    net = encoderDecoderNetwork([224, 224, 3], encoder, decoder, "OutputChannels", 3, "SkipConnections",
                                "concatenate", "LatentNetwork", bridge)
    assert counts(lg(net)) == (55, 62, 46, 0)
    assert net.InputNames == ["encoderImageInputLayer"]
    src = {(e[2], e[3]): e[0] for e in lg(net).edge_list()}
    # the deepest encoder level (before encoder_Block4's pooling) meets the first decoder upsampling
    assert src[("SkipCrop1", "in")] == "encoder_Block4Layer4" and src[("SkipCrop1", "ref")] == "decoder_Block1Layer1"
    assert src[("decoder_Block1Layer2", "in")] == "SkipConcatenation1"


def test_encoder_decoder_forward_and_refusals():
    enc = blockedNetwork(lambda b: [convolution2dLayer(3, 4 * b, Padding="same"), reluLayer(),
                                    maxPooling2dLayer(2, Stride=2)], 2, NamePrefix="e_")
    dec = blockedNetwork(lambda b: [transposedConv2dLayer(2, 4 * (3 - b), Stride=2), reluLayer()], 2, NamePrefix="d_")
    net = encoderDecoderNetwork([16, 16, 1], enc, dec, SkipConnections="concatenate", OutputChannels=5)
    with torch.no_grad():
        y = net(torch.rand(3, 1, 16, 16))
    assert tuple(y.shape) == (3, 5, 16, 16)
    plain = encoderDecoderNetwork([16, 16, 1], enc, dec)
    assert len(plain.Layers) == 1 + 6 + 4 and plain.OutputNames == ["d_Block2Layer2"]
    with pytest.raises(OptionError, match="SkipConnections 'auto' is not supported"):
        encoderDecoderNetwork([16, 16, 1], enc, dec, SkipConnections="auto")


def test_builders_from_a_ported_script(tmp_path):
    path = tmp_path / "seg.m"
    path.write_text(textwrap.dedent("""\
        block = @(k) [convolution2dLayer(3, 4*k, 'Padding', 'same'); reluLayer; maxPooling2dLayer(2, 'Stride', 2)];
        encoder = blockedNetwork(block, 2, 'NamePrefix', 'enc_');
        upBlock = @(k) [transposedConv2dLayer(2, 8/k, 'Stride', 2); reluLayer];
        decoder = blockedNetwork(upBlock, 2, 'NamePrefix', 'dec_');
        net = encoderDecoderNetwork([32 32 1], encoder, decoder, 'SkipConnections', 'concatenate', ...
            'OutputChannels', 2);
        [seg, outSize] = unet([32 32 1], 3, EncoderDepth=2, NumFirstEncoderFilters=4);
        seg = replaceLayer(seg, 'FinalNetworkSoftmax-Layer', sigmoidLayer('Name', 'probabilities'));
        vol = unet3dLayers([16 16 16], 2, 'EncoderDepth', 1, 'NumFirstEncoderFilters', 4);
        vol = removeLayers(vol, 'Segmentation-Layer');
        n = numel(encoder.Layers);
    """))
    r = port(str(path))
    ws = r.workspace
    assert float(ws["n"].flat[0]) == 6
    assert [x.Name for x in ws["encoder"].layer_list()][:2] == ["enc_Block1Layer1", "enc_Block1Layer2"]
    assert len(ws["net"].Layers) == 1 + 6 + 4 + 2 * 2 + 1
    assert ws["seg"].Layers[-1].Name == "probabilities" and ws["outSize"].tolist() == [[32, 32, 3]]
    assert ws["vol"].layer_list()[-1].Name == "Softmax-Layer"


def test_unet_valid_padding_sizes_of_the_papers():
    from layergraph import assembleNetwork, unetLayers

    # Ronneberger et al. (U-Net): a 572×572 tile gives a 388×388 map with unpadded 3×3 convolutions, depth 4
    lgraph, output_size = unetLayers([572, 572, 1], 2, "ConvolutionPadding", "valid", "NumFirstEncoderFilters", 1)
    assert output_size.tolist() == [[388, 388, 2]]
    names = [x.Name for x in lgraph.layer_list()]
    assert len(names) == 58 + 4 and "Decoder-Stage-4-Crop" in names
    net = assembleNetwork(lgraph)
    with torch.no_grad():
        assert tuple(net(torch.rand(1, 1, 572, 572)).shape) == (1, 2, 388, 388)
    # Çiçek et al. (3-D U-Net): 132×132×116 gives 44×44×28 (depth 3, 3×3×3 unpadded convolutions)
    assert unet3dLayers([132, 132, 116, 3], 3, ConvolutionPadding="valid")[1].tolist() == [[44, 44, 28, 3]]
    net, output_size = unet([44, 60, 3], 3, EncoderDepth=2, NumFirstEncoderFilters=2, ConvolutionPadding="valid")
    with torch.no_grad():
        assert tuple(net(torch.rand(1, 3, 44, 60)).shape) == (1, 3, 4, 20) and output_size.tolist() == [[4, 20, 3]]
    with pytest.raises(OptionError, match="even size"):
        unetLayers([46, 46, 1], 2, EncoderDepth=2, ConvolutionPadding="valid")
