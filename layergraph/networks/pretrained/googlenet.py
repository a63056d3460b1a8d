"""googlenet: the Caffe "BVLC GoogLeNet" (no batch normalization, local response normalization, 5×5
branches) with MATLAB's names ('inception_3a-1x1', 'loss3-classifier', 'prob', 'output').
torchvision's googlenet is a different network (batch normalization, 3×3 instead of 5×5 branches),
so no public torch weight file computes MATLAB's googlenet.
"""

from __future__ import annotations

from .common import NetBuilder, classification, concat, conv, dropout, fc, gap, imagenet_input, layer, maxpool, \
    relu, softmax

#: 1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5, pool_proj
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


def googlenet_graph():
    b = NetBuilder()
    lrn = lambda name: layer("crossChannelNormalizationLayer", 5, Name=name, Alpha=1e-4, Beta=0.75, K=1)
    last = b.chain(
        imagenet_input("data", (224, 224, 3), "zerocenter"),
        conv("conv1-7x7_s2", 7, 64, stride=2, padding=3), relu("conv1-relu_7x7"),
        maxpool("pool1-3x3_s2", 3, stride=2, padding=(0, 1, 0, 1)), lrn("pool1-norm1"),
        conv("conv2-3x3_reduce", 1, 64), relu("conv2-relu_3x3_reduce"),
        conv("conv2-3x3", 3, 192, padding=1), relu("conv2-relu_3x3"), lrn("conv2-norm2"),
        maxpool("pool2-3x3_s2", 3, stride=2, padding=(0, 1, 0, 1)),
    )
    for tag, (c1, r3, c3, r5, c5, pp) in INCEPTION.items():
        m = f"inception_{tag}"
        o1 = b.chain(conv(f"{m}-1x1", 1, c1), relu(f"{m}-relu_1x1"), after=last)
        o3 = b.chain(conv(f"{m}-3x3_reduce", 1, r3), relu(f"{m}-relu_3x3_reduce"),
                     conv(f"{m}-3x3", 3, c3, padding=1), relu(f"{m}-relu_3x3"), after=last)
        o5 = b.chain(conv(f"{m}-5x5_reduce", 1, r5), relu(f"{m}-relu_5x5_reduce"),
                     conv(f"{m}-5x5", 5, c5, padding=2), relu(f"{m}-relu_5x5"), after=last)
        op = b.chain(maxpool(f"{m}-pool", 3, stride=1, padding=1), conv(f"{m}-pool_proj", 1, pp),
                     relu(f"{m}-relu_pool_proj"), after=last)
        last = b.chain(concat(f"{m}-output", 4))
        for i, src in enumerate((o1, o3, o5, op), start=1):
            b.connect(src, f"{m}-output/in{i}")
        if tag in ("3b", "4e"):
            last = b.chain(maxpool(f"pool{tag[0]}-3x3_s2", 3, stride=2, padding=(0, 1, 0, 1)), after=last)
    b.chain(gap("pool5-7x7_s1"), dropout("pool5-drop_7x7_s1", 0.4), fc("loss3-classifier", 1000), softmax("prob"),
            classification("output"), after=last)
    return b.graph()
