"""Reference computations in plain torch for the pretrained-network mapping tests.

Written for these tests from the published architectures: module names (hence state_dict keys and
shapes) are those of torchvision's ImageNet weight files, so a state dict of these modules has the
layout of the real files. Inputs are torchvision's: RGB in [0, 1] normalised with ImageNet mean/std.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

MEAN = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


def preprocess(x255: torch.Tensor) -> torch.Tensor:
    """torchvision's normalisation of an image given on MATLAB's 0..255 scale."""
    return (x255 / 255 - MEAN) / STD


def build(constructor):
    """The module with uninitialized storage (fast for vgg's 138 M parameters); randomize() fills it."""
    with torch.device("meta"):
        module = constructor()
    return module.to_empty(device="cpu")


def randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights (He-uniform scale) and batch-norm statistics (variance positive), eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                bound = (6.0 / m.weight[0].numel()) ** 0.5
                m.weight.uniform_(-bound, bound, generator=g)
                if m.bias is not None:
                    m.bias.uniform_(-0.1, 0.1, generator=g)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(1 + 0.2 * torch.randn(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))
                m.num_batches_tracked.zero_()
    return module.eval()


# ---- ResNet -------------------------------------------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)   # v1.5: stride on the 3x3
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.downsample = None
        if stride != 1 or cin != 4 * width:
            self.downsample = nn.Sequential(nn.Conv2d(cin, 4 * width, 1, stride, bias=False), nn.BatchNorm2d(4 * width))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, block, layers):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, n in enumerate(layers):
            width = 64 * 2 ** i
            blocks = []
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                blocks.append(block(cin, width, stride))
                cin = width * (4 if block is Bottleneck else 1)
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(cin, 1000)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(x.mean((2, 3)))


def resnet18():
    return ResNet(BasicBlock, (2, 2, 2, 2))


def resnet50():
    return ResNet(Bottleneck, (3, 4, 6, 3))


def resnet101():
    return ResNet(Bottleneck, (3, 4, 23, 3))


# ---- VGG ----------------------------------------------------------------------------------------------

class VGG(nn.Module):
    def __init__(self, config):
        super().__init__()
        layers, cin = [], 3
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
                cin = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def vgg16():
    return VGG([64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"])


def vgg19():
    return VGG([64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                512, 512, 512, 512, "M"])


# ---- SqueezeNet 1.1 -----------------------------------------------------------------------------------

class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1x1(s)), F.relu(self.expand3x3(s))], 1)


class SqueezeNet11(nn.Module):
    def __init__(self):
        super().__init__()
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2), nn.ReLU(), pool(), Fire(64, 16, 64), Fire(128, 16, 64), pool(),
            Fire(128, 32, 128), Fire(256, 32, 128), pool(), Fire(256, 48, 192), Fire(384, 48, 192),
            Fire(384, 64, 256), Fire(512, 64, 256))
        self.classifier = nn.Sequential(nn.Dropout(), nn.Conv2d(512, 1000, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# ---- MobileNetV2 --------------------------------------------------------------------------------------

def conv_bn_relu6(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [conv_bn_relu6(cin, hidden, 1)]
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, cout, 1, bias=False),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self):
        super().__init__()
        setting = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                   (6, 320, 1, 1)]
        layers, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for t, c, n, s in setting:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn_relu6(cin, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


# ---- Inception-v3 (torchvision's module names, Google weights with transform_input) ----------------

class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class _Branches(nn.Module):
    def add(self, name, *args, **kw):
        setattr(self, name, BasicConv2d(*args, **kw))


class InceptionA(_Branches):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.add("branch1x1", cin, 64, 1)
        self.add("branch5x5_1", cin, 48, 1)
        self.add("branch5x5_2", 48, 64, 5, padding=2)
        self.add("branch3x3dbl_1", cin, 64, 1)
        self.add("branch3x3dbl_2", 64, 96, 3, padding=1)
        self.add("branch3x3dbl_3", 96, 96, 3, padding=1)
        self.add("branch_pool", cin, pool_features, 1)

    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class InceptionB(_Branches):
    def __init__(self, cin):
        super().__init__()
        self.add("branch3x3", cin, 384, 3, stride=2)
        self.add("branch3x3dbl_1", cin, 64, 1)
        self.add("branch3x3dbl_2", 64, 96, 3, padding=1)
        self.add("branch3x3dbl_3", 96, 96, 3, stride=2)

    def forward(self, x):
        b3d = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3d, F.max_pool2d(x, 3, 2)], 1)


class InceptionC(_Branches):
    def __init__(self, cin, c7):
        super().__init__()
        self.add("branch1x1", cin, 192, 1)
        self.add("branch7x7_1", cin, c7, 1)
        self.add("branch7x7_2", c7, c7, (1, 7), padding=(0, 3))
        self.add("branch7x7_3", c7, 192, (7, 1), padding=(3, 0))
        self.add("branch7x7dbl_1", cin, c7, 1)
        self.add("branch7x7dbl_2", c7, c7, (7, 1), padding=(3, 0))
        self.add("branch7x7dbl_3", c7, c7, (1, 7), padding=(0, 3))
        self.add("branch7x7dbl_4", c7, c7, (7, 1), padding=(3, 0))
        self.add("branch7x7dbl_5", c7, 192, (1, 7), padding=(0, 3))
        self.add("branch_pool", cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for i in range(1, 6):
            bd = getattr(self, f"branch7x7dbl_{i}")(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionD(_Branches):
    def __init__(self, cin):
        super().__init__()
        self.add("branch3x3_1", cin, 192, 1)
        self.add("branch3x3_2", 192, 320, 3, stride=2)
        self.add("branch7x7x3_1", cin, 192, 1)
        self.add("branch7x7x3_2", 192, 192, (1, 7), padding=(0, 3))
        self.add("branch7x7x3_3", 192, 192, (7, 1), padding=(3, 0))
        self.add("branch7x7x3_4", 192, 192, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(_Branches):
    def __init__(self, cin):
        super().__init__()
        self.add("branch1x1", cin, 320, 1)
        self.add("branch3x3_1", cin, 384, 1)
        self.add("branch3x3_2a", 384, 384, (1, 3), padding=(0, 1))
        self.add("branch3x3_2b", 384, 384, (3, 1), padding=(1, 0))
        self.add("branch3x3dbl_1", cin, 448, 1)
        self.add("branch3x3dbl_2", 448, 384, 3, padding=1)
        self.add("branch3x3dbl_3a", 384, 384, (1, 3), padding=(0, 1))
        self.add("branch3x3dbl_3b", 384, 384, (3, 1), padding=(1, 0))
        self.add("branch_pool", cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(F.avg_pool2d(x, 3, 1, 1))], 1)


class InceptionAux(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.conv0 = BasicConv2d(cin, 128, 1)
        self.conv1 = BasicConv2d(128, 768, 5)
        self.fc = nn.Linear(768, 1000)


class InceptionV3(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = InceptionA(192, 32), InceptionA(256, 64), InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b, self.Mixed_6c = InceptionC(768, 128), InceptionC(768, 160)
        self.Mixed_6d, self.Mixed_6e = InceptionC(768, 160), InceptionC(768, 192)
        self.AuxLogits = InceptionAux(768)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b, self.Mixed_7c = InceptionE(1280), InceptionE(2048)
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x):
        # transform_input: torchvision's normalised input back to the Google model's x/127.5 - 1
        x = torch.cat([x[:, i:i + 1] * (s / 0.5) + (m - 0.5) / 0.5
                       for i, (m, s) in enumerate(zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))], 1)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return self.fc(x.mean((2, 3)))


# ---- DenseNet-201 -------------------------------------------------------------------------------------

class DenseLayer(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, 128, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(128)
        self.conv2 = nn.Conv2d(128, 32, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(F.relu(self.norm2(self.conv1(F.relu(self.norm1(x))))))


class DenseNet201(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Module()
        f = self.features
        f.conv0 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        f.norm0 = nn.BatchNorm2d(64)
        c = 64
        for s, n in enumerate((6, 12, 48, 32), start=1):
            block = nn.Module()
            for i in range(1, n + 1):
                setattr(block, f"denselayer{i}", DenseLayer(c))
                c += 32
            setattr(f, f"denseblock{s}", block)
            if s < 4:
                t = nn.Module()
                t.norm = nn.BatchNorm2d(c)
                t.conv = nn.Conv2d(c, c // 2, 1, bias=False)
                setattr(f, f"transition{s}", t)
                c //= 2
        f.norm5 = nn.BatchNorm2d(c)
        self.classifier = nn.Linear(c, 1000)

    def forward(self, x):
        f = self.features
        x = F.max_pool2d(F.relu(f.norm0(f.conv0(x))), 3, 2, 1)
        for s in range(1, 5):
            for layer in getattr(f, f"denseblock{s}").children():
                x = torch.cat([x, layer(x)], 1)
            if s < 4:
                t = getattr(f, f"transition{s}")
                x = F.avg_pool2d(t.conv(F.relu(t.norm(x))), 2, 2)
        return self.classifier(F.relu(f.norm5(x)).mean((2, 3)))


def legacy_densenet_keys(state: dict) -> dict:
    """torchvision's published densenet files spell 'denselayer1.norm.1.weight' (old module names)."""
    import re

    return {re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()}


# ---- EfficientNet-b0 (torchvision's module names: features.s.i.block.j, SE fc1/fc2) -------------------

def conv_bn_silu(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.SiLU())


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x):
        s = torch.sigmoid(self.fc2(F.silu(self.fc1(x.mean((2, 3), keepdim=True)))))
        return x * s


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [conv_bn_silu(cin, hidden, 1)]
        layers += [conv_bn_silu(hidden, hidden, kernel, stride, hidden), SqueezeExcitation(hidden, max(1, cin // 4)),
                   nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class EfficientNetB0(nn.Module):
    def __init__(self):
        super().__init__()
        setting = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                   (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
        stages, cin = [conv_bn_silu(3, 32, 3, 2)], 32
        for t, k, s, c, n in setting:
            blocks = []
            for i in range(n):
                blocks.append(MBConv(cin, c, k, s if i == 0 else 1, t))
                cin = c
            stages.append(nn.Sequential(*blocks))
        stages.append(conv_bn_silu(cin, 1280, 1))
        self.features = nn.Sequential(*stages)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))
