"""resnet18, resnet50, resnet101 with MATLAB's layer names.

* resnet18: Caffe-style names ('conv1', 'bn2a_branch2a', 'res2a', 'pool5', 'fc1000', 'prob',
  'ClassificationLayer_predictions'); 'zscore' input; conv biases frozen (BiasLearnRateFactor 0).
  The same computation as torchvision's resnet18 (weights map exactly).
* resnet50: the Keras-converted names ('input_1', 'activation_1_relu', 'add_1', 'avg_pool',
  'fc1000_softmax', 'ClassificationLayer_fc1000'); ResNet v1 (stride 2 in the first 1×1 conv of a
  stage, max pooling without padding: 55×55 after 'max_pooling2d_1').
* resnet101: the Caffe names of He et al.'s release ('res4b22_branch2c', 'pool5', 'prob',
  'ClassificationLayer_predictions'); ResNet v1, pool1 padded [0 1 0 1] (Caffe's ceil rounding).

torchvision's resnet50/101 are "v1.5" (stride on the 3×3 conv, pool1 padding 1): the pretrained
forms move those strides/paddings (the only differences) so that the weights compute what they were
trained for; 'Weights','none' returns MATLAB's architecture unchanged.
"""

from __future__ import annotations

from .common import NetBuilder, add, bn, classification, conv, fc, gap, image_input, imagenet_input, maxpool, relu, \
    softmax, channel_stats

STAGES18 = ((64, 2), (128, 2), (256, 2), (512, 2))
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)


def resnet18_graph():
    b = NetBuilder()
    last = b.chain(
        imagenet_input("data", (224, 224, 3), "zscore"),
        conv("conv1", 7, 64, stride=2, padding=3, BiasLearnRateFactor=0),
        bn("bn_conv1"), relu("conv1_relu"),
        maxpool("pool1", 3, stride=2, padding=1),
    )
    for s, (width, blocks) in enumerate(STAGES18, start=2):
        for i in range(blocks):
            tag = f"{s}{chr(ord('a') + i)}"
            stride = 2 if (i == 0 and s > 2) else 1
            main = b.chain(
                conv(f"res{tag}_branch2a", 3, width, stride=stride, padding=1, BiasLearnRateFactor=0),
                bn(f"bn{tag}_branch2a"), relu(f"res{tag}_branch2a_relu"),
                conv(f"res{tag}_branch2b", 3, width, padding=1, BiasLearnRateFactor=0),
                bn(f"bn{tag}_branch2b"),
                after=last,
            )
            shortcut = last
            if stride == 2:
                shortcut = b.chain(conv(f"res{tag}_branch1", 1, width, stride=2, BiasLearnRateFactor=0),
                                   bn(f"bn{tag}_branch1"), after=last)
            b.chain(add(f"res{tag}"), relu(f"res{tag}_relu"))
            b.connect(main, f"res{tag}/in1")
            b.connect(shortcut, f"res{tag}/in2")
            last = f"res{tag}_relu"
    b.chain(gap("pool5"), fc("fc1000", 1000), softmax("prob"), classification("ClassificationLayer_predictions"),
            after=last)
    return b.graph()


def resnet18_torch_keys():
    """(MATLAB layer, kind, torchvision state-dict prefix)."""
    keys = [("conv1", "conv", "conv1"), ("bn_conv1", "bn", "bn1")]
    for s, (_, blocks) in enumerate(STAGES18, start=2):
        for i in range(blocks):
            tag, p = f"{s}{chr(ord('a') + i)}", f"layer{s - 1}.{i}"
            keys += [(f"res{tag}_branch2a", "conv", f"{p}.conv1"), (f"bn{tag}_branch2a", "bn", f"{p}.bn1"),
                     (f"res{tag}_branch2b", "conv", f"{p}.conv2"), (f"bn{tag}_branch2b", "bn", f"{p}.bn2")]
            if i == 0 and s > 2:
                keys += [(f"res{tag}_branch1", "conv", f"{p}.downsample.0"), (f"bn{tag}_branch1", "bn", f"{p}.downsample.1")]
    keys.append(("fc1000", "fc", "fc"))
    return keys


# ---- bottleneck networks ----------------------------------------------------------------------------

BOTTLENECK = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


def _block_tags(depth: int, stage: int, n: int) -> list[str]:
    if depth == 101 and stage in (3, 4):
        return [f"{stage}a"] + [f"{stage}b{i}" for i in range(1, n)]
    return [f"{stage}{chr(ord('a') + i)}" for i in range(n)]


def resnet50_graph(torchvision_strides: bool = False):
    """MATLAB's resnet50 (Keras names). ``torchvision_strides``: the pretrained adaptation (v1.5)."""
    b = NetBuilder()
    act = iter(range(1, 1000))
    last = b.chain(
        image_input("input_1", (224, 224, 3), "zerocenter", Mean=channel_stats(CAFFE_MEAN_RGB)),
        conv("conv1", 7, 64, stride=2, padding=3),
        bn("bn_conv1", Epsilon=1e-3), relu(f"activation_{next(act)}_relu"),
        maxpool("max_pooling2d_1", 3, stride=2, padding=1 if torchvision_strides else 0),
    )
    n_add = 0
    for s, n in enumerate(BOTTLENECK[50], start=2):
        width = 64 * 2 ** (s - 2)
        for i, tag in enumerate(_block_tags(50, s, n)):
            stride = 2 if (i == 0 and s > 2) else 1
            s1, s3 = (1, stride) if torchvision_strides else (stride, 1)
            n_add += 1
            main = b.chain(
                conv(f"res{tag}_branch2a", 1, width, stride=s1), bn(f"bn{tag}_branch2a", Epsilon=1e-3),
                relu(f"activation_{next(act)}_relu"),
                conv(f"res{tag}_branch2b", 3, width, stride=s3, padding="same" if not torchvision_strides else 1),
                bn(f"bn{tag}_branch2b", Epsilon=1e-3), relu(f"activation_{next(act)}_relu"),
                conv(f"res{tag}_branch2c", 1, 4 * width), bn(f"bn{tag}_branch2c", Epsilon=1e-3),
                after=last,
            )
            shortcut = last
            if i == 0:
                shortcut = b.chain(conv(f"res{tag}_branch1", 1, 4 * width, stride=stride),
                                   bn(f"bn{tag}_branch1", Epsilon=1e-3), after=last)
            out = b.chain(add(f"add_{n_add}"), relu(f"activation_{next(act)}_relu"))
            b.connect(main, f"add_{n_add}/in1")
            b.connect(shortcut, f"add_{n_add}/in2")
            last = out
    b.chain(gap("avg_pool"), fc("fc1000", 1000), softmax("fc1000_softmax"), classification("ClassificationLayer_fc1000"),
            after=last)
    return b.graph()


def resnet101_graph(torchvision_strides: bool = False):
    """MATLAB's resnet101 (Caffe names, shortcut branch first)."""
    b = NetBuilder()
    last = b.chain(
        image_input("data", (224, 224, 3), "zerocenter", Mean=channel_stats(CAFFE_MEAN_RGB)),
        conv("conv1", 7, 64, stride=2, padding=3, BiasLearnRateFactor=0),
        bn("bn_conv1"), relu("conv1_relu"),
        maxpool("pool1", 3, stride=2, padding=1 if torchvision_strides else (0, 1, 0, 1)),
    )
    for s, n in enumerate(BOTTLENECK[101], start=2):
        width = 64 * 2 ** (s - 2)
        for i, tag in enumerate(_block_tags(101, s, n)):
            stride = 2 if (i == 0 and s > 2) else 1
            s1, s3 = (1, stride) if torchvision_strides else (stride, 1)
            shortcut = last
            if i == 0:
                shortcut = b.chain(conv(f"res{tag}_branch1", 1, 4 * width, stride=stride, BiasLearnRateFactor=0),
                                   bn(f"bn{tag}_branch1"), after=last)
            main = b.chain(
                conv(f"res{tag}_branch2a", 1, width, stride=s1, BiasLearnRateFactor=0), bn(f"bn{tag}_branch2a"),
                relu(f"res{tag}_branch2a_relu"),
                conv(f"res{tag}_branch2b", 3, width, stride=s3, padding=1, BiasLearnRateFactor=0),
                bn(f"bn{tag}_branch2b"), relu(f"res{tag}_branch2b_relu"),
                conv(f"res{tag}_branch2c", 1, 4 * width, BiasLearnRateFactor=0), bn(f"bn{tag}_branch2c"),
                after=last,
            )
            out = b.chain(add(f"res{tag}"), relu(f"res{tag}_relu"))
            b.connect(shortcut, f"res{tag}/in1")
            b.connect(main, f"res{tag}/in2")
            last = out
    b.chain(gap("pool5"), fc("fc1000", 1000), softmax("prob"), classification("ClassificationLayer_predictions"),
            after=last)
    return b.graph()


def bottleneck_torch_keys(depth: int):
    keys = [("conv1", "conv", "conv1"), ("bn_conv1", "bn", "bn1")]
    for s, n in enumerate(BOTTLENECK[depth], start=2):
        for i, tag in enumerate(_block_tags(depth, s, n)):
            p = f"layer{s - 1}.{i}"
            for br, j in (("2a", 1), ("2b", 2), ("2c", 3)):
                keys += [(f"res{tag}_branch{br}", "conv", f"{p}.conv{j}"), (f"bn{tag}_branch{br}", "bn", f"{p}.bn{j}")]
            if i == 0:
                keys += [(f"res{tag}_branch1", "conv", f"{p}.downsample.0"), (f"bn{tag}_branch1", "bn", f"{p}.downsample.1")]
    keys.append(("fc1000", "fc", "fc"))
    return keys
