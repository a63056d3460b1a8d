"""xception: Xception with the Keras names MATLAB's network carries; Keras' SeparableConv2D is two
layers ('block2_sepconv1_channel-wise', a channel-wise groupedConvolution2dLayer, then
'block2_sepconv1_point-wise', a 1×1 convolution2dLayer); shortcut convolutions 'conv2d_1..4' with
'batch_normalization_1..4'; additions 'add_1..12'; 299×299×3 'rescale-symmetric' input.

No public torch weight file of torchvision computes it (torchvision has no Xception).
"""

from __future__ import annotations

import torch

from .common import NetBuilder, add, bn, classification, conv, fc, gap, grouped_conv, image_input, maxpool, relu, \
    softmax


def _sep(name, filters):
    return [grouped_conv(f"{name}_channel-wise", 3, 1, "channel-wise", padding="same"),
            conv(f"{name}_point-wise", 1, filters)]


def xception_graph():
    b = NetBuilder()
    x = b.chain(image_input("input_1", (299, 299, 3), "rescale-symmetric", Min=torch.tensor(0.0),
                            Max=torch.tensor(255.0)),
                conv("block1_conv1", 3, 32, stride=2), bn("block1_conv1_bn", Epsilon=1e-3), relu("block1_conv1_act"),
                conv("block1_conv2", 3, 64), bn("block1_conv2_bn", Epsilon=1e-3), relu("block1_conv2_act"))
    n_add = 0
    for k, (block, (f1, f2)) in enumerate({2: (128, 128), 3: (256, 256), 4: (728, 728), 13: (728, 1024)}.items(),
                                          start=1):
        if block == 13:
            x = _middle(b, x, range(5, 13), n_add)
            n_add += 8
        residual = b.chain(conv(f"conv2d_{k}", 1, f2, stride=2, padding="same"),
                           bn(f"batch_normalization_{k}", Epsilon=1e-3), after=x)
        layers = [] if block == 2 else [relu(f"block{block}_sepconv1_act")]
        layers += _sep(f"block{block}_sepconv1", f1) + [bn(f"block{block}_sepconv1_bn", Epsilon=1e-3),
                                                        relu(f"block{block}_sepconv2_act")]
        layers += _sep(f"block{block}_sepconv2", f2) + [bn(f"block{block}_sepconv2_bn", Epsilon=1e-3),
                                                        maxpool(f"block{block}_pool", 3, stride=2, padding="same")]
        main = b.chain(*layers, after=x)
        n_add += 1
        x = b.chain(add(f"add_{n_add}"))
        b.connect(main, f"add_{n_add}/in1")
        b.connect(residual, f"add_{n_add}/in2")
    x = b.chain(*_sep("block14_sepconv1", 1536), bn("block14_sepconv1_bn", Epsilon=1e-3), relu("block14_sepconv1_act"),
                *_sep("block14_sepconv2", 2048), bn("block14_sepconv2_bn", Epsilon=1e-3), relu("block14_sepconv2_act"),
                gap("avg_pool"), fc("predictions", 1000), softmax("predictions_softmax"),
                classification("ClassificationLayer_predictions"), after=x)
    return b.graph()


def _middle(b: NetBuilder, x: str, blocks, n_add: int) -> str:
    for block in blocks:
        layers = []
        for j in (1, 2, 3):
            layers += [relu(f"block{block}_sepconv{j}_act"), *_sep(f"block{block}_sepconv{j}", 728),
                       bn(f"block{block}_sepconv{j}_bn", Epsilon=1e-3)]
        main = b.chain(*layers, after=x)
        n_add += 1
        out = b.chain(add(f"add_{n_add}"))
        b.connect(main, f"add_{n_add}/in1")
        b.connect(x, f"add_{n_add}/in2")
        x = out
    return x
