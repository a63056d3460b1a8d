"""mobilenetv2: MobileNet-v2 (alpha 1.0) with the Keras names MATLAB's network carries ('Conv1',
'block_1_expand', 'block_2_add', 'Conv_1', 'Logits', 'ClassificationLayer_Logits'); clipped ReLU 6,
channel-wise grouped convolutions with 'same' padding, batch normalization Epsilon 1e-3.

torchvision's mobilenet_v2 has the same layers; it pads stride-2 convolutions symmetrically (1 on
every side, where 'same' pads [0 1 0 1]) and uses Epsilon 1e-5: the pretrained form sets those
Padding/Epsilon values so that the weights compute what they were trained for.
"""

from __future__ import annotations

from .common import NetBuilder, add, bn, classification, conv, fc, gap, grouped_conv, imagenet_input, layer, softmax

#: (expansion, output channels, stride) of block_1 .. block_16 (expanded_conv: 1, 16, 1)
BLOCKS = [(6, 24, 2), (6, 24, 1), (6, 32, 2), (6, 32, 1), (6, 32, 1), (6, 64, 2), (6, 64, 1), (6, 64, 1),
          (6, 64, 1), (6, 96, 1), (6, 96, 1), (6, 96, 1), (6, 160, 2), (6, 160, 1), (6, 160, 1), (6, 320, 1)]


def mobilenetv2_graph(torchvision_padding: bool = False):
    eps = 1e-5 if torchvision_padding else 1e-3
    pad2 = 1 if torchvision_padding else "same"
    relu6 = lambda name: layer("clippedReluLayer", 6, Name=name)
    b = NetBuilder()
    last = b.chain(imagenet_input("input_1", (224, 224, 3), "zscore"),
                   conv("Conv1", 3, 32, stride=2, padding=pad2), bn("bn_Conv1", Epsilon=eps), relu6("Conv1_relu"))
    last = b.chain(grouped_conv("expanded_conv_depthwise", 3, 1, "channel-wise", padding="same"),
                   bn("expanded_conv_depthwise_BN", Epsilon=eps), relu6("expanded_conv_depthwise_relu"),
                   conv("expanded_conv_project", 1, 16), bn("expanded_conv_project_BN", Epsilon=eps), after=last)
    channels = 16
    for k, (t, out, stride) in enumerate(BLOCKS, start=1):
        p = f"block_{k}"
        y = b.chain(conv(f"{p}_expand", 1, channels * t), bn(f"{p}_expand_BN", Epsilon=eps), relu6(f"{p}_expand_relu"),
                    grouped_conv(f"{p}_depthwise", 3, 1, "channel-wise", stride=stride,
                                 padding=pad2 if stride == 2 else "same"),
                    bn(f"{p}_depthwise_BN", Epsilon=eps), relu6(f"{p}_depthwise_relu"),
                    conv(f"{p}_project", 1, out), bn(f"{p}_project_BN", Epsilon=eps), after=last)
        if stride == 1 and channels == out:
            b.chain(add(f"{p}_add"))
            b.connect(last, f"{p}_add/in1")
            b.connect(y, f"{p}_add/in2")
            y = f"{p}_add"
        last, channels = y, out
    b.chain(conv("Conv_1", 1, 1280), bn("Conv_1_bn", Epsilon=eps), relu6("out_relu"), gap("global_average_pooling2d_1"),
            fc("Logits", 1000), softmax("Logits_softmax"), classification("ClassificationLayer_Logits"), after=last)
    return b.graph()


def mobilenetv2_torch_keys():
    keys = [("Conv1", "conv", "features.0.0"), ("bn_Conv1", "bn", "features.0.1"),
            ("expanded_conv_depthwise", "conv", "features.1.conv.0.0"),
            ("expanded_conv_depthwise_BN", "bn", "features.1.conv.0.1"),
            ("expanded_conv_project", "conv", "features.1.conv.1"), ("expanded_conv_project_BN", "bn", "features.1.conv.2")]
    for k in range(1, 17):
        p, f = f"block_{k}", f"features.{k + 1}.conv"
        keys += [(f"{p}_expand", "conv", f"{f}.0.0"), (f"{p}_expand_BN", "bn", f"{f}.0.1"),
                 (f"{p}_depthwise", "conv", f"{f}.1.0"), (f"{p}_depthwise_BN", "bn", f"{f}.1.1"),
                 (f"{p}_project", "conv", f"{f}.2"), (f"{p}_project_BN", "bn", f"{f}.3")]
    keys += [("Conv_1", "conv", "features.18.0"), ("Conv_1_bn", "bn", "features.18.1"), ("Logits", "fc", "classifier.1")]
    return keys
