"""The series networks alexnet, vgg16, vgg19 (Caffe releases; MATLAB returns a Layer array for
'Weights','none' and a SeriesNetwork when pretrained).

alexnet is the Caffe "BVLC AlexNet" (96 filters of 11×11 with stride 4, two-group convolutions,
cross-channel normalization, 227×227×3 input); torchvision's alexnet is a different variant (64
filters, no groups, no normalization), so no public weight file computes MATLAB's alexnet.
vgg16/vgg19 are the same computation as torchvision's vgg16/vgg19.
"""

from __future__ import annotations

from .common import NetBuilder, classification, conv, dropout, fc, grouped_conv, imagenet_input, layer, maxpool, \
    relu, softmax


def _head(first_fc_index: int = 6):
    return [
        fc("fc6", 4096), relu("relu6"), dropout("drop6", 0.5),
        fc("fc7", 4096), relu("relu7"), dropout("drop7", 0.5),
        fc("fc8", 1000), softmax("prob"), classification("output"),
    ]


def alexnet_graph():
    b = NetBuilder()
    lrn = lambda name: layer("crossChannelNormalizationLayer", 5, Name=name, Alpha=1e-4, Beta=0.75, K=1)
    b.chain(
        imagenet_input("data", (227, 227, 3), "zerocenter"),
        conv("conv1", 11, 96, stride=4), relu("relu1"), lrn("norm1"), maxpool("pool1", 3, stride=2),
        grouped_conv("conv2", 5, 128, 2, padding=2), relu("relu2"), lrn("norm2"), maxpool("pool2", 3, stride=2),
        conv("conv3", 3, 384, padding=1), relu("relu3"),
        grouped_conv("conv4", 3, 192, 2, padding=1), relu("relu4"),
        grouped_conv("conv5", 3, 128, 2, padding=1), relu("relu5"), maxpool("pool5", 3, stride=2),
        *_head(),
    )
    return b.graph()


VGG = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


def vgg_graph(depth: int):
    b = NetBuilder()
    layers = [imagenet_input("input", (224, 224, 3), "zerocenter")]
    for s, n in enumerate(VGG[depth], start=1):
        width = min(64 * 2 ** (s - 1), 512)
        for i in range(1, n + 1):
            layers += [conv(f"conv{s}_{i}", 3, width, padding=1), relu(f"relu{s}_{i}")]
        layers.append(maxpool(f"pool{s}", 2, stride=2))
    b.chain(*layers, *_head())
    return b.graph()


def vgg_torch_keys(depth: int):
    keys, index = [], 0
    for s, n in enumerate(VGG[depth], start=1):
        for i in range(1, n + 1):
            keys.append((f"conv{s}_{i}", "conv", f"features.{index}"))
            index += 2
        index += 1
    keys += [("fc6", "fc", "classifier.0"), ("fc7", "fc", "classifier.3"), ("fc8", "fc", "classifier.6")]
    return keys
