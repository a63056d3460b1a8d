"""deeplabv3plusLayers on the resnet50 and mobilenetv2 backbones: layer and connection counts from the
base networks' MATLAB counts, the decoder names of MATLAB's DeepLab v3+, output stride 16 / 4 where
the ASPP and the low-level branch read, the backbone's pretrained weights, pixel scores at the input
size. Weight files are replaced by reference state dicts with torchvision's keys (no download)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import layergraph as lg
from layergraph.analysis import analyze_graph
from layergraph.networks.pretrained import weights as W

import pretrained_reference as R

#: DeepLab v3+ adds 33 layers (ASPP 4×3, catAspp, dec_c1/bn1/relu1/upsample1/crop1, dec_c2/bn2/relu2,
#: dec_cat1, dec_c3/bn3/relu3, dec_c4/bn4/relu4, scorer, dec_upsample2, dec_crop2, softmax-out,
#: classification) and 39 connections to the backbone
DECODER_LAYERS, DECODER_CONNECTIONS = 33, 39

# network: (reference, MATLAB layers/connections of the base network, head layers removed, ASPP input,
#           low-level layer, input layer)
CASES = {
    "resnet50": (R.resnet50, 177, 192, 4, "activation_49_relu", "activation_10_relu", "input_1"),
    "mobilenetv2": (R.MobileNetV2, 154, 163, 7, "block_16_project_BN", "block_2_add", "input_1"),
}


@pytest.fixture()
def reference_weights(monkeypatch):
    """locate/read_state_dict return a reference module's random state dict instead of a cached file."""
    refs = {}

    def locate(name, file, url):
        return Path(f"/nonexistent/{file}")

    def read_state_dict(path):
        for name, ref in refs.items():
            if name.replace("mobilenetv2", "mobilenet_v2") in path.name:
                return ref.state_dict()
        raise AssertionError(path)

    monkeypatch.setattr(W, "locate", locate)
    monkeypatch.setattr(W, "read_state_dict", read_state_dict)
    return refs


@pytest.mark.parametrize("network", list(CASES))
def test_deeplabv3plus_backbones(network, reference_weights):
    reference, n_layers, n_conn, head, aspp_in, low, input_name = CASES[network]
    ref = R.randomize(R.build(reference), seed=3)
    reference_weights[network] = ref
    lgraph = lg.deeplabv3plusLayers([64, 96], 5, network)
    layers = lgraph.layer_list()
    assert len(layers) == n_layers - head + DECODER_LAYERS
    assert len(lgraph.edge_list()) == n_conn - head + DECODER_CONNECTIONS
    names = [l.Name for l in layers]
    assert names[0] == input_name and names[-1] == "classification"
    for name in ("aspp_Conv_1", "aspp_Conv_4", "catAspp", "dec_c1", "dec_upsample1", "dec_crop1", "dec_c2",
                 "dec_cat1", "dec_c4", "scorer", "dec_upsample2", "dec_crop2", "softmax-out"):
        assert name in names
    edges = {(s, d) for s, _, d, _ in lgraph.edge_list()}
    assert (aspp_in, "aspp_Conv_1") in edges and (low, "dec_c2") in edges and (input_name, "dec_crop2") in edges
    analysis = analyze_graph(lgraph)
    assert not analysis.errors, [str(i) for i in analysis.errors]
    # output stride 16 at the ASPP input, 4 at the low-level branch (64×96 input)
    assert analysis.layer_info(aspp_in).ActivationSizes[0].startswith("4(S) × 6(S)")
    assert analysis.layer_info(low).ActivationSizes[0].startswith("16(S) × 24(S)")
    # the backbone carries the base network's pretrained weights (MATLAB layout k×k×C×F)
    if network == "resnet50":
        expected = ref.layer1[0].conv1.weight.detach().permute(2, 3, 1, 0)
        assert torch.equal(lgraph.layer("res2a_branch2a").Weights, expected)
        assert lgraph.layer("res5a_branch2b").DilationFactor == (2, 2)
        assert all(tuple(lgraph.layer(n).Stride) == (1, 1) for n in ("res5a_branch2a", "res5a_branch2b", "res5a_branch1"))
        assert lgraph.layer("max_pooling2d_1").Padding == "same"
    else:
        expected = ref.features[0][0].weight.detach().permute(2, 3, 1, 0)
        assert torch.equal(lgraph.layer("Conv1").Weights, expected)
        assert lgraph.layer("block_13_depthwise").DilationFactor == (2, 2)
    net = lg.assembleNetwork(lgraph)
    scores = net.predict(torch.rand(1, 3, 64, 96) * 255)
    assert scores.shape == (1, 5, 64, 96)
    assert torch.allclose(scores.sum(1), torch.ones(1, 64, 96), atol=1e-5)


def test_deeplabv3plus_resnet18_counts(reference_weights):
    reference_weights["resnet18"] = R.randomize(R.build(R.resnet18), seed=4)
    lgraph = lg.deeplabv3plusLayers([64, 64, 3], 3, "resnet18")
    assert len(lgraph.layer_list()) == 71 - 4 + DECODER_LAYERS
    assert len(lgraph.edge_list()) == 78 - 4 + DECODER_CONNECTIONS
