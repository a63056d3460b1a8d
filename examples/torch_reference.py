"""Hand-written PyTorch versions of the example networks, loaded with MATLAB-layout weights.

Used by the equivalence tests and the benchmarks: each module is ordinary PyTorch (nn.Conv2d,
nn.BatchNorm2d, nn.Linear), and weights are converted from MATLAB layout here, independently of
layergraph's own conversion code.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _same(size: int, k: int, s: int) -> tuple[int, int]:
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class SamePadConv(nn.Module):
    def __init__(self, cin, cout, k, stride, in_size, same=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride)
        t, b = _same(in_size, k, stride) if same else (0, 0)
        self.pad = (t, b, t, b)
        self.symmetric = t == b
        if self.symmetric:
            self.conv.padding = (t, t)

    def forward(self, x):
        if not self.symmetric:
            x = F.pad(x, self.pad)
        return self.conv(x)


class SamePadMaxPool(nn.Module):
    def __init__(self, k, stride, in_size):
        super().__init__()
        t, b = _same(in_size, k, stride)
        self.pad = (t, b, t, b)
        self.pool = nn.MaxPool2d(k, stride)

    def forward(self, x):
        return self.pool(F.pad(x, self.pad, value=float("-inf")))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, in_size):
        super().__init__()
        out_size = math.ceil(in_size / stride)
        self.conv_a = SamePadConv(cin, cout, 3, stride, in_size)
        self.bn_a = nn.BatchNorm2d(cout, eps=1e-5)
        self.conv_b = SamePadConv(cout, cout, 3, 1, out_size)
        self.bn_b = nn.BatchNorm2d(cout, eps=1e-5)
        self.project = None
        if stride != 1 or cin != cout:
            self.project = nn.Sequential(SamePadConv(cin, cout, 1, stride, in_size, same=False),
                                         nn.BatchNorm2d(cout, eps=1e-5))

    def forward(self, x):
        y = F.relu(self.bn_a(self.conv_a(x)))
        y = self.bn_b(self.conv_b(y))
        shortcut = x if self.project is None else self.project(x)
        return F.relu(y + shortcut)


class ResNet18(nn.Module):
    def __init__(self, in_size=224, channels=3, num_classes=1000, widths=(64, 128, 256, 512)):
        super().__init__()
        self.conv1 = SamePadConv(channels, widths[0], 7, 2, in_size)
        self.bn1 = nn.BatchNorm2d(widths[0], eps=1e-5)
        size = math.ceil(in_size / 2)
        self.pool1 = SamePadMaxPool(3, 2, size)
        size = math.ceil(size / 2)
        blocks, cin = [], widths[0]
        for stage, width in enumerate(widths):
            for block in range(2):
                stride = 2 if (block == 0 and stage > 0) else 1
                blocks.append(BasicBlock(cin, width, stride, size))
                size = math.ceil(size / stride)
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.blocks(x)
        x = x.mean(dim=(2, 3))
        return torch.softmax(self.fc(x), dim=1)


def _conv_weights(conv: nn.Conv2d, layer) -> None:
    w = np.asarray(layer.Weights)                      # MATLAB h×w×C×F
    conv.weight.data = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))).float()
    conv.bias.data = torch.from_numpy(np.asarray(layer.Bias).reshape(-1)).float()


def _bn_weights(bn: nn.BatchNorm2d, layer) -> None:
    bn.weight.data = torch.from_numpy(np.asarray(layer.Scale).reshape(-1)).float()
    bn.bias.data = torch.from_numpy(np.asarray(layer.Offset).reshape(-1)).float()
    bn.running_mean.data = torch.from_numpy(np.asarray(layer.TrainedMean).reshape(-1)).float()
    bn.running_var.data = torch.from_numpy(np.asarray(layer.TrainedVariance).reshape(-1)).float()


def resnet18_from_matlab_layers(layers, in_size, channels, num_classes, widths=(64, 128, 256, 512)) -> ResNet18:
    """A hand-written ResNet18 holding the values of MATLAB layers (``net.Layers``)."""
    by_name = {layer.Name: layer for layer in layers}
    model = ResNet18(in_size, channels, num_classes, widths)
    _conv_weights(model.conv1.conv, by_name["conv1"])
    _bn_weights(model.bn1, by_name["bn_conv1"])
    k = 0
    for stage in range(2, 6):
        for block in "ab":
            name, module = f"res{stage}{block}", model.blocks[k]
            _conv_weights(module.conv_a.conv, by_name[f"{name}_branch2a"])
            _bn_weights(module.bn_a, by_name[f"bn{name}_branch2a"])
            _conv_weights(module.conv_b.conv, by_name[f"{name}_branch2b"])
            _bn_weights(module.bn_b, by_name[f"bn{name}_branch2b"])
            if module.project is not None:
                _conv_weights(module.project[0].conv, by_name[f"{name}_branch1"])
                _bn_weights(module.project[1], by_name[f"bn{name}_branch1"])
            k += 1
    fc = by_name["fc"]
    model.fc.weight.data = torch.from_numpy(np.asarray(fc.Weights)).float()
    model.fc.bias.data = torch.from_numpy(np.asarray(fc.Bias).reshape(-1)).float()
    return model.eval()


class ResidualMLP(nn.Module):
    def __init__(self, num_features=16, hidden=64, num_blocks=4, num_responses=1):
        super().__init__()
        self.fc_in = nn.Linear(num_features, hidden)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)]) for _ in range(num_blocks)
        )
        self.fc_out = nn.Linear(hidden, num_responses)

    def forward(self, x):
        x = F.relu(self.fc_in(x))
        for fc1, fc2 in self.blocks:
            x = F.relu(fc2(F.relu(fc1(x))) + x)
        return self.fc_out(x)


def residual_mlp_from_matlab_layers(layers, num_features=16, hidden=64, num_blocks=4, num_responses=1):
    by_name = {layer.Name: layer for layer in layers}
    model = ResidualMLP(num_features, hidden, num_blocks, num_responses)

    def load(linear, layer):
        linear.weight.data = torch.from_numpy(np.asarray(layer.Weights)).float()
        linear.bias.data = torch.from_numpy(np.asarray(layer.Bias).reshape(-1)).float()

    load(model.fc_in, by_name["fc_in"])
    for k, (fc1, fc2) in enumerate(model.blocks, start=1):
        load(fc1, by_name[f"block{k}_fc1"])
        load(fc2, by_name[f"block{k}_fc2"])
    load(model.fc_out, by_name["fc_out"])
    return model.eval()
