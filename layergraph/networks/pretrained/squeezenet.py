"""squeezenet: SqueezeNet v1.1 (Caffe release) with MATLAB's names ('fire2-squeeze1x1', 'conv10',
'pool10', 'ClassificationLayer_predictions'); 227×227×3 'zerocenter' input; pool3/pool5 padded
[0 1 0 1] (Caffe's ceil rounding). The same computation as torchvision's squeezenet1_1 (whose max
pooling uses ceil_mode=True).
"""

from __future__ import annotations

from .common import NetBuilder, classification, concat, conv, dropout, gap, imagenet_input, maxpool, relu, softmax

FIRES = {2: (16, 64), 3: (16, 64), 4: (32, 128), 5: (32, 128), 6: (48, 192), 7: (48, 192), 8: (64, 256), 9: (64, 256)}


def squeezenet_graph():
    b = NetBuilder()
    last = b.chain(imagenet_input("data", (227, 227, 3), "zerocenter"), conv("conv1", 3, 64, stride=2),
                   relu("relu_conv1"), maxpool("pool1", 3, stride=2))
    for k, (sq, ex) in FIRES.items():
        f = f"fire{k}"
        squeeze = b.chain(conv(f"{f}-squeeze1x1", 1, sq), relu(f"{f}-relu_squeeze1x1"), after=last)
        e1 = b.chain(conv(f"{f}-expand1x1", 1, ex), relu(f"{f}-relu_expand1x1"), after=squeeze)
        e3 = b.chain(conv(f"{f}-expand3x3", 3, ex, padding=1), relu(f"{f}-relu_expand3x3"), after=squeeze)
        last = b.chain(concat(f"{f}-concat", 2))
        b.connect(e1, f"{f}-concat/in1")
        b.connect(e3, f"{f}-concat/in2")
        if k in (3, 5):
            last = b.chain(maxpool(f"pool{k}", 3, stride=2, padding=(0, 1, 0, 1)), after=last)
    b.chain(dropout("drop9", 0.5), conv("conv10", 1, 1000), relu("relu_conv10"), gap("pool10"), softmax("prob"),
            classification("ClassificationLayer_predictions"), after=last)
    return b.graph()


def squeezenet_torch_keys():
    keys = [("conv1", "conv", "features.0")]
    index = {2: 3, 3: 4, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11, 9: 12}
    for k, i in index.items():
        for part in ("squeeze", "expand1x1", "expand3x3"):
            suffix = "squeeze1x1" if part == "squeeze" else part
            keys.append((f"fire{k}-{suffix}", "conv", f"features.{i}.{part}"))
    keys.append(("conv10", "conv", "classifier.1"))
    return keys
