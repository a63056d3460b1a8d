"""The example residual networks compute what hand-written PyTorch computes with the same weights."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from residual_mlp import residual_mlp_graph  # noqa: E402
from resnet18 import resnet18_graph  # noqa: E402
from torch_reference import resnet18_from_matlab_layers, residual_mlp_from_matlab_layers  # noqa: E402

from layergraph import analyzeNetwork, assembleNetwork, layerGraph  # noqa: E402


def _randomize_batchnorm(net):
    """Give every batch-norm layer non-trivial statistics and affine values, then reassemble."""
    g = layerGraph(net)
    from layergraph import replaceLayer

    rng = np.random.default_rng(0)
    for layer in g.Layers:
        if layer.MATLAB_NAME == "batchNormalizationLayer":
            c = layer.Offset.numel()
            layer.Offset = rng.standard_normal((1, 1, c)) * 0.1
            layer.Scale = 1 + rng.standard_normal((1, 1, c)) * 0.1
            layer.TrainedMean = rng.standard_normal((1, 1, c)) * 0.1
            layer.TrainedVariance = 1 + rng.random((1, 1, c))
            g = replaceLayer(g, layer.Name, layer)
    return assembleNetwork(g)


def test_resnet18_matches_hand_written_pytorch():
    torch.manual_seed(0)
    widths = (8, 16, 16, 32)
    lgraph = resnet18_graph(input_size=(33, 33, 3), num_classes=5, widths=widths)
    info = analyzeNetwork(lgraph, Plots="none")
    assert info.Issues == []
    # 4 stages × 2 blocks, 3 projections; 21 layers of conv/bn... count layers independently:
    # stem 5 + 8 blocks × 7 + 3 projections × 2 + head 4 = 71
    assert len(lgraph.Layers) == 71
    net = _randomize_batchnorm(assembleNetwork(lgraph))
    reference = resnet18_from_matlab_layers(net.Layers, 33, 3, 5, widths)
    x = torch.randn(4, 3, 33, 33)
    torch.testing.assert_close(net.predict(x), reference(x), rtol=1e-4, atol=1e-5)


def test_resnet18_full_size_learnables():
    # torchvision's ResNet-18 has 11,689,512 parameters with 1000 classes (no conv biases, BN affine only);
    # MATLAB's version adds a bias to each of the 20 convolutions: 64 + 4*64 + 128*5 + 256*5 + 512*5 = 4800.
    info = analyzeNetwork(resnet18_graph(), Plots="none")
    assert info.TotalLearnables == 11_689_512 + 4_800


def test_residual_mlp_matches_hand_written_pytorch():
    torch.manual_seed(0)
    net = assembleNetwork(residual_mlp_graph(num_features=16, hidden=32, num_blocks=3))
    reference = residual_mlp_from_matlab_layers(net.Layers, 16, 32, 3)
    x = torch.randn(10, 16)
    torch.testing.assert_close(net.predict(x), reference(x), rtol=1e-5, atol=1e-6)
