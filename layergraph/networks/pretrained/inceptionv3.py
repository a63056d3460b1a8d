"""inceptionv3: Inception-v3 with the Keras names MATLAB's network carries ('conv2d_1' ...
'conv2d_94', 'batch_normalization_k', 'activation_k_relu', 'mixed0' ... 'mixed10', 'mixed9_0',
'concatenate_1', 'avg_pool', 'predictions', 'predictions_softmax', 'ClassificationLayer_predictions');
299×299×3 input with 'rescale-symmetric' normalization, batch normalization Epsilon 1e-3.

torchvision's inception_v3 (the Google weights, with transform_input) is the same computation
(its average pooling counts the zero padding, as MATLAB's does); its auxiliary classifier
('AuxLogits.*') is not part of MATLAB's network and is not loaded.
"""

from __future__ import annotations

import torch

from .common import NetBuilder, avgpool, bn, classification, concat, conv, fc, gap, image_input, maxpool, relu, \
    softmax


class _Keras:
    """Keras-style automatic names: one counter per layer kind."""

    def __init__(self, builder: NetBuilder):
        self.b = builder
        self.count = {}
        self.torch_names: list[str] = []     # conv i -> torchvision BasicConv2d name

    def next(self, kind):
        self.count[kind] = self.count.get(kind, 0) + 1
        return self.count[kind]

    def conv_bn(self, src, filters, h, w, torch_name, stride=1, padding="same"):
        k = self.next("conv")
        self.torch_names.append(torch_name)
        pad = "same" if padding == "same" else 0
        return self.b.chain(conv(f"conv2d_{k}", [h, w], filters, stride=stride, padding=pad),
                            bn(f"batch_normalization_{k}", Epsilon=1e-3), relu(f"activation_{k}_relu"), after=src)

    def pool(self, src, kind, stride=1, padding="same"):
        k = self.next(kind)
        if kind == "avg":
            return self.b.chain(avgpool(f"average_pooling2d_{k}", 3, stride=stride, padding=padding), after=src)
        return self.b.chain(maxpool(f"max_pooling2d_{k}", 3, stride=stride, padding=padding), after=src)

    def concat(self, name, sources):
        self.b.chain(concat(name, len(sources)))
        for i, s in enumerate(sources, start=1):
            self.b.connect(s, f"{name}/in{i}")
        return name


def inceptionv3_graph():
    b = NetBuilder()
    k = _Keras(b)
    x = b.chain(image_input("input_1", (299, 299, 3), "rescale-symmetric", Min=torch.tensor(0.0),
                            Max=torch.tensor(255.0)))
    x = k.conv_bn(x, 32, 3, 3, "Conv2d_1a_3x3", stride=2, padding="valid")
    x = k.conv_bn(x, 32, 3, 3, "Conv2d_2a_3x3", padding="valid")
    x = k.conv_bn(x, 64, 3, 3, "Conv2d_2b_3x3")
    x = k.pool(x, "max", stride=2, padding=0)
    x = k.conv_bn(x, 80, 1, 1, "Conv2d_3b_1x1", padding="valid")
    x = k.conv_bn(x, 192, 3, 3, "Conv2d_4a_3x3", padding="valid")
    x = k.pool(x, "max", stride=2, padding=0)
    for i, (block, pool_proj) in enumerate((("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64))):
        b1 = k.conv_bn(x, 64, 1, 1, f"{block}.branch1x1")
        b5 = k.conv_bn(x, 48, 1, 1, f"{block}.branch5x5_1")
        b5 = k.conv_bn(b5, 64, 5, 5, f"{block}.branch5x5_2")
        b3 = k.conv_bn(x, 64, 1, 1, f"{block}.branch3x3dbl_1")
        b3 = k.conv_bn(b3, 96, 3, 3, f"{block}.branch3x3dbl_2")
        b3 = k.conv_bn(b3, 96, 3, 3, f"{block}.branch3x3dbl_3")
        bp = k.pool(x, "avg")
        bp = k.conv_bn(bp, pool_proj, 1, 1, f"{block}.branch_pool")
        x = k.concat(f"mixed{i}", [b1, b5, b3, bp])
    b3 = k.conv_bn(x, 384, 3, 3, "Mixed_6a.branch3x3", stride=2, padding="valid")
    bd = k.conv_bn(x, 64, 1, 1, "Mixed_6a.branch3x3dbl_1")
    bd = k.conv_bn(bd, 96, 3, 3, "Mixed_6a.branch3x3dbl_2")
    bd = k.conv_bn(bd, 96, 3, 3, "Mixed_6a.branch3x3dbl_3", stride=2, padding="valid")
    bp = k.pool(x, "max", stride=2, padding=0)
    x = k.concat("mixed3", [b3, bd, bp])
    for i, (block, c) in enumerate((("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192))):
        b1 = k.conv_bn(x, 192, 1, 1, f"{block}.branch1x1")
        b7 = k.conv_bn(x, c, 1, 1, f"{block}.branch7x7_1")
        b7 = k.conv_bn(b7, c, 1, 7, f"{block}.branch7x7_2")
        b7 = k.conv_bn(b7, 192, 7, 1, f"{block}.branch7x7_3")
        bd = k.conv_bn(x, c, 1, 1, f"{block}.branch7x7dbl_1")
        bd = k.conv_bn(bd, c, 7, 1, f"{block}.branch7x7dbl_2")
        bd = k.conv_bn(bd, c, 1, 7, f"{block}.branch7x7dbl_3")
        bd = k.conv_bn(bd, c, 7, 1, f"{block}.branch7x7dbl_4")
        bd = k.conv_bn(bd, 192, 1, 7, f"{block}.branch7x7dbl_5")
        bp = k.pool(x, "avg")
        bp = k.conv_bn(bp, 192, 1, 1, f"{block}.branch_pool")
        x = k.concat(f"mixed{4 + i}", [b1, b7, bd, bp])
    b3 = k.conv_bn(x, 192, 1, 1, "Mixed_7a.branch3x3_1")
    b3 = k.conv_bn(b3, 320, 3, 3, "Mixed_7a.branch3x3_2", stride=2, padding="valid")
    b7 = k.conv_bn(x, 192, 1, 1, "Mixed_7a.branch7x7x3_1")
    b7 = k.conv_bn(b7, 192, 1, 7, "Mixed_7a.branch7x7x3_2")
    b7 = k.conv_bn(b7, 192, 7, 1, "Mixed_7a.branch7x7x3_3")
    b7 = k.conv_bn(b7, 192, 3, 3, "Mixed_7a.branch7x7x3_4", stride=2, padding="valid")
    bp = k.pool(x, "max", stride=2, padding=0)
    x = k.concat("mixed8", [b3, b7, bp])
    for i, block in enumerate(("Mixed_7b", "Mixed_7c")):
        b1 = k.conv_bn(x, 320, 1, 1, f"{block}.branch1x1")
        b3 = k.conv_bn(x, 384, 1, 1, f"{block}.branch3x3_1")
        b3a = k.conv_bn(b3, 384, 1, 3, f"{block}.branch3x3_2a")
        b3b = k.conv_bn(b3, 384, 3, 1, f"{block}.branch3x3_2b")
        b3 = k.concat(f"mixed9_{i}", [b3a, b3b])
        bd = k.conv_bn(x, 448, 1, 1, f"{block}.branch3x3dbl_1")
        bd = k.conv_bn(bd, 384, 3, 3, f"{block}.branch3x3dbl_2")
        bda = k.conv_bn(bd, 384, 1, 3, f"{block}.branch3x3dbl_3a")
        bdb = k.conv_bn(bd, 384, 3, 1, f"{block}.branch3x3dbl_3b")
        bd = k.concat(f"concatenate_{i + 1}", [bda, bdb])
        bp = k.pool(x, "avg")
        bp = k.conv_bn(bp, 192, 1, 1, f"{block}.branch_pool")
        x = k.concat(f"mixed{9 + i}", [b1, b3, bd, bp])
    b.chain(gap("avg_pool"), fc("predictions", 1000), softmax("predictions_softmax"),
            classification("ClassificationLayer_predictions"), after=x)
    return b.graph(), k.torch_names


def inceptionv3_torch_keys():
    _, names = inceptionv3_graph()
    keys = []
    for i, name in enumerate(names, start=1):
        keys += [(f"conv2d_{i}", "conv", f"{name}.conv"), (f"batch_normalization_{i}", "bn", f"{name}.bn")]
    keys.append(("predictions", "fc", "fc"))
    return keys
