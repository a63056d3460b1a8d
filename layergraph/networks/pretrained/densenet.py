"""densenet201: DenseNet-201 with the Keras names MATLAB's network carries ('/' written as '|':
'conv1|conv', 'conv2_block1_0_bn', 'conv2_block1_concat', 'pool2_pool', 'bn', 'avg_pool', 'fc1000',
'fc1000_softmax', 'ClassificationLayer_fc1000'); 'zscore' input with ImageNet statistics;
batch normalization Epsilon 1.001e-5 (Keras).

torchvision's densenet201 is the same computation with Epsilon 1e-5 (the pretrained form uses it).
Its weight file keeps the old key names ('denselayer1.norm.1.weight'); both spellings are read.
"""

from __future__ import annotations

import re

from .common import NetBuilder, avgpool, bn, classification, concat, conv, fc, gap, imagenet_input, maxpool, relu, \
    softmax

BLOCKS = (6, 12, 48, 32)
GROWTH = 32
EPS = 1.001e-5


def densenet201_graph(epsilon: float = EPS):
    b = NetBuilder()
    x = b.chain(imagenet_input("input_1", (224, 224, 3), "zscore"),
                conv("conv1|conv", 7, 64, stride=2, padding=3, BiasLearnRateFactor=0),
                bn("conv1|bn", Epsilon=epsilon), relu("conv1|relu"), maxpool("pool1", 3, stride=2, padding=1))
    channels = 64
    for s, n in enumerate(BLOCKS, start=2):
        for i in range(1, n + 1):
            p = f"conv{s}_block{i}"
            y = b.chain(bn(f"{p}_0_bn", Epsilon=epsilon), relu(f"{p}_0_relu"),
                        conv(f"{p}_1_conv", 1, 4 * GROWTH, BiasLearnRateFactor=0), bn(f"{p}_1_bn", Epsilon=epsilon),
                        relu(f"{p}_1_relu"), conv(f"{p}_2_conv", 3, GROWTH, padding="same", BiasLearnRateFactor=0),
                        after=x)
            b.chain(concat(f"{p}_concat", 2))
            b.connect(x, f"{p}_concat/in1")
            b.connect(y, f"{p}_concat/in2")
            x = f"{p}_concat"
            channels += GROWTH
        if s < 5:
            channels //= 2
            x = b.chain(bn(f"pool{s}_bn", Epsilon=epsilon), relu(f"pool{s}_relu"),
                        conv(f"pool{s}_conv", 1, channels, BiasLearnRateFactor=0), avgpool(f"pool{s}_pool", 2, stride=2),
                        after=x)
    b.chain(bn("bn", Epsilon=epsilon), relu("relu"), gap("avg_pool"), fc("fc1000", 1000), softmax("fc1000_softmax"),
            classification("ClassificationLayer_fc1000"), after=x)
    return b.graph()


def densenet201_torch_keys():
    keys = [("conv1|conv", "conv", "features.conv0"), ("conv1|bn", "bn", "features.norm0")]
    for s, n in enumerate(BLOCKS, start=2):
        for i in range(1, n + 1):
            p, t = f"conv{s}_block{i}", f"features.denseblock{s - 1}.denselayer{i}"
            keys += [(f"{p}_0_bn", "bn", f"{t}.norm1"), (f"{p}_1_conv", "conv", f"{t}.conv1"),
                     (f"{p}_1_bn", "bn", f"{t}.norm2"), (f"{p}_2_conv", "conv", f"{t}.conv2")]
        if s < 5:
            keys += [(f"pool{s}_bn", "bn", f"features.transition{s - 1}.norm"),
                     (f"pool{s}_conv", "conv", f"features.transition{s - 1}.conv")]
    keys += [("bn", "bn", "features.norm5"), ("fc1000", "fc", "classifier")]
    return keys


_LEGACY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var|"
                     r"num_batches_tracked))$")


def densenet_state_keys(state: dict) -> dict:
    """torchvision's densenet files spell 'denselayer1.norm.1.weight' for 'denselayer1.norm1.weight'."""
    out = {}
    for key, value in state.items():
        match = _LEGACY.match(key)
        out[match.group(1) + match.group(2) if match else key] = value
    return out
