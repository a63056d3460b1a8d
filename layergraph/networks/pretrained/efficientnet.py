"""efficientnetb0: EfficientNet-b0 with the names MATLAB's network carries (it was converted from the
TensorFlow release through ONNX): 'ImageInput', 'efficientnet-b0|model|stem|conv2d|Conv2D',
'efficientnet-b0|model|blocks_k|...', squeeze-excitation convolutions 'Conv__301' ... 'Conv__442',
'efficientnet-b0|model|head|dense|MatMul', 'Softmax', 'classification'.

Swish is written as MATLAB's network writes it: a sigmoidLayer and a multiplicationLayer
(``x .* sigmoid(x)``); squeeze-excitation is globalAveragePooling2dLayer → 1×1 convolution → swish →
1×1 convolution → sigmoidLayer → multiplicationLayer with the block's features. Depthwise
convolutions are channel-wise groupedConvolution2dLayer; TensorFlow's 'same' padding becomes explicit
Padding ([0 1 0 1] for 3×3 stride 2, [1 2 1 2] for 5×5 stride 2); batch normalization Epsilon 1e-3.

torchvision's efficientnet_b0 is the same computation except that it pads stride-2 convolutions
symmetrically (1 or 2 on every side) and uses batch normalization Epsilon 1e-5: the pretrained form
sets those Padding/Epsilon values so that the weights compute what they were trained for.
"""

from __future__ import annotations

from .common import NetBuilder, add, bn, classification, conv, fc, gap, grouped_conv, imagenet_input, layer, softmax

P = "efficientnet-b0|model"

#: torchvision's stages: (expansion, kernel, stride, output channels, repeats)
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
          (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]

#: numbers of the ONNX-named squeeze-excitation convolutions (reduce, expand) of blocks_0 .. blocks_15
SE_CONVS = [(301, 304), (309, 312), (319, 322), (327, 330), (337, 340), (345, 348), (355, 358), (365, 368),
            (373, 376), (383, 386), (393, 396), (401, 404), (411, 414), (421, 424), (431, 434), (439, 442)]


def blocks():
    """(MATLAB block index, torchvision 'features.s.i', expansion, kernel, stride, in, out)."""
    out, k, cin = [], 0, 32
    for s, (t, kernel, stride, cout, n) in enumerate(STAGES, start=1):
        for i in range(n):
            out.append((k, f"features.{s}.{i}", t, kernel, stride if i == 0 else 1, cin, cout))
            k, cin = k + 1, cout
    return out


def _padding(kernel: int, stride: int, torchvision: bool):
    half = (kernel - 1) // 2
    if stride == 1 or torchvision:
        return half
    return [half - 1, half, half - 1, half]        # TensorFlow 'same': [0 1 0 1] (3×3), [1 2 1 2] (5×5)


def efficientnetb0_graph(torchvision_padding: bool = False):
    eps = 1e-5 if torchvision_padding else 1e-3
    b = NetBuilder()

    def swish(prefix: str, source: str, suffix: str = "") -> str:
        b.chain(layer("sigmoidLayer", Name=f"{prefix}|SigmoidLayer{suffix}"), after=source)
        b.chain(layer("multiplicationLayer", 2, Name=f"{prefix}|MulLayer{suffix}"))
        b.connect(source, f"{prefix}|MulLayer{suffix}/in1")
        b.connect(f"{prefix}|SigmoidLayer{suffix}", f"{prefix}|MulLayer{suffix}/in2")
        return f"{prefix}|MulLayer{suffix}"

    last = b.chain(imagenet_input("ImageInput", (224, 224, 3), "zscore"),
                   conv(f"{P}|stem|conv2d|Conv2D", 3, 32, stride=2, padding=_padding(3, 2, torchvision_padding)),
                   bn(f"{P}|stem|tpu_batch_normalization|FusedBatchNorm", Epsilon=eps))
    last = swish(f"{P}|stem", last)
    for k, _, t, kernel, stride, cin, cout in blocks():
        p = f"{P}|blocks_{k}"
        expanded = cin * t
        bn_index, block_input = 0, last
        if t != 1:
            last = b.chain(conv(f"{p}|conv2d|Conv2D", 1, expanded),
                           bn(f"{p}|tpu_batch_normalization|FusedBatchNorm", Epsilon=eps), after=last)
            last = swish(p, last)
            bn_index = 1
        suffix = "_1" if t != 1 else ""
        y = b.chain(grouped_conv(f"{p}|depthwise_conv2d|depthwise", kernel, 1, "channel-wise", stride=stride,
                                 padding=_padding(kernel, stride, torchvision_padding)),
                    bn(f"{p}|tpu_batch_normalization{'_1' if bn_index else ''}|FusedBatchNorm", Epsilon=eps),
                    after=last)
        y = swish(p, y, suffix)
        reduce_, expand = SE_CONVS[k]
        se = b.chain(gap(f"{p}|se|GlobAvgPool"), conv(f"Conv__{reduce_}", 1, max(1, cin // 4)), after=y)
        se = swish(f"{p}|se", se)
        se = b.chain(conv(f"Conv__{expand}", 1, expanded), layer("sigmoidLayer", Name=f"{p}|se|SigmoidLayer_1"),
                     after=se)
        b.chain(layer("multiplicationLayer", 2, Name=f"{p}|se|MulLayer_1"))
        b.connect(y, f"{p}|se|MulLayer_1/in1")
        b.connect(se, f"{p}|se|MulLayer_1/in2")
        out = b.chain(conv(f"{p}|conv2d{'_1' if t != 1 else ''}|Conv2D", 1, cout),
                      bn(f"{p}|tpu_batch_normalization_{bn_index + 1}|FusedBatchNorm", Epsilon=eps),
                      after=f"{p}|se|MulLayer_1")
        if stride == 1 and cin == cout:
            b.chain(add(f"{p}|Add"))
            b.connect(out, f"{p}|Add/in1")
            b.connect(block_input, f"{p}|Add/in2")
            out = f"{p}|Add"
        last = out
    last = b.chain(conv(f"{P}|head|conv2d|Conv2D", 1, 1280),
                   bn(f"{P}|head|tpu_batch_normalization|FusedBatchNorm", Epsilon=eps), after=last)
    last = swish(f"{P}|head", last)
    b.chain(gap(f"{P}|head|global_average_pooling2d|GlobAvgPool"), fc(f"{P}|head|dense|MatMul", 1000),
            softmax("Softmax"), classification("classification"), after=last)
    return b.graph()


def efficientnetb0_torch_keys():
    """(MATLAB layer, kind, torchvision state-dict prefix)."""
    keys = [(f"{P}|stem|conv2d|Conv2D", "conv", "features.0.0"),
            (f"{P}|stem|tpu_batch_normalization|FusedBatchNorm", "bn", "features.0.1")]
    for k, f, t, *_ in blocks():
        p = f"{P}|blocks_{k}"
        reduce_, expand = SE_CONVS[k]
        j = 0
        if t != 1:
            keys += [(f"{p}|conv2d|Conv2D", "conv", f"{f}.block.0.0"),
                     (f"{p}|tpu_batch_normalization|FusedBatchNorm", "bn", f"{f}.block.0.1")]
            j = 1
        keys += [(f"{p}|depthwise_conv2d|depthwise", "conv", f"{f}.block.{j}.0"),
                 (f"{p}|tpu_batch_normalization{'_1' if j else ''}|FusedBatchNorm", "bn", f"{f}.block.{j}.1"),
                 (f"Conv__{reduce_}", "conv", f"{f}.block.{j + 1}.fc1"),
                 (f"Conv__{expand}", "conv", f"{f}.block.{j + 1}.fc2"),
                 (f"{p}|conv2d{'_1' if j else ''}|Conv2D", "conv", f"{f}.block.{j + 2}.0"),
                 (f"{p}|tpu_batch_normalization_{j + 1}|FusedBatchNorm", "bn", f"{f}.block.{j + 2}.1")]
    keys += [(f"{P}|head|conv2d|Conv2D", "conv", "features.8.0"),
             (f"{P}|head|tpu_batch_normalization|FusedBatchNorm", "bn", "features.8.1"),
             (f"{P}|head|dense|MatMul", "fc", "classifier.1")]
    return keys
