"""Network builders MATLAB code calls to make a whole architecture: ``unetLayers`` (Computer Vision Toolbox)
and ``dnCNNLayers`` (Image Processing Toolbox), with MathWorks' layer names, order and connections, so
scripts that edit them by name (``replaceLayer(lgraph, 'Segmentation-Layer', ...)``) work.

Each is registered in the one MATLAB-function registry (the porter and translated programs call it) and
takes MATLAB's arguments: positional, ``'Name', value`` pairs (names case-insensitive) or Python keywords.
"""

from __future__ import annotations

from ..errors import OptionError
from ..functions import matlab_function
from .pretrained.common import NetBuilder, layer


def _options(function: str, args: tuple, kwargs: dict, defaults: dict) -> dict:
    """Name-value pairs (case-insensitive names) and keywords over ``defaults`` (MATLAB names)."""
    if len(args) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs.")
    by_lower = {k.lower(): k for k in defaults}
    out = dict(defaults)
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        name = by_lower.get(str(key).lower())
        if name is None:
            raise OptionError(f"{function}: '{key}' is not a valid option; valid options: {', '.join(defaults)}.")
        out[name] = value
    return out


def _positive_int(function: str, name: str, value) -> int:
    try:
        number = float(value if not hasattr(value, "__len__") or isinstance(value, str) else list(value)[0])
    except (TypeError, ValueError, IndexError):
        raise OptionError(f"{function}: {name} must be a positive integer.") from None
    if number != int(number) or number < 1:
        raise OptionError(f"{function}: {name} must be a positive integer, got {value!r}.")
    return int(number)


def _flat(value) -> list:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_flat(v))
        return out
    return [value]


# --------------------------------------------------------------------------------------------------
# U-Net


@matlab_function(outputs=("lgraph", "outputSize"))
def unetLayers(imageSize, numClasses, *args, **kwargs):
    """``[lgraph, outputSize] = unetLayers(imageSize, numClasses, Name, Value)``: MATLAB's U-Net.

    Options (MATLAB's defaults): ``EncoderDepth`` 4, ``NumFirstEncoderFilters`` 64 (``NumOutputChannels``
    is its former name), ``FilterSize`` 3, ``ConvolutionPadding`` 'same'. Encoder stage i has two
    convolution+ReLU pairs of NumFirstEncoderFilters*2^(i-1) filters and a 2×2 max pooling with stride 2
    (the last stage a 50 % dropout before it); the bridge doubles the filters again and ends in a dropout;
    decoder stage i upsamples with a 2×2 transposed convolution of stride 2 (+ ReLU), concatenates the
    matching encoder stage's output and applies two convolution+ReLU pairs; then a 1×1 convolution to
    numClasses, 'Softmax-Layer' and a pixelClassificationLayer 'Segmentation-Layer'. With EncoderDepth 3
    on a 480×640×3 input this is MathWorks' documented 46 layers and 48 connections.
    ``outputSize`` is [H W numClasses] (the input's height and width: 'same' padding).
    """
    fn = "unetLayers"
    opts = _options(fn, args, kwargs, {"EncoderDepth": 4, "NumFirstEncoderFilters": 64, "NumOutputChannels": None,
                                       "FilterSize": 3, "ConvolutionPadding": "same"})
    size = [_positive_int(fn, "imageSize", v) for v in _flat(imageSize)]
    if len(size) == 2:
        size.append(1)
    if len(size) != 3:
        raise OptionError(f"{fn}: imageSize must be [height width] or [height width channels].")
    classes = _positive_int(fn, "numClasses", numClasses)
    if classes < 2:
        raise OptionError(f"{fn}: numClasses must be greater than 1.")
    depth = _positive_int(fn, "EncoderDepth", opts["EncoderDepth"])
    first = opts["NumOutputChannels"] if opts["NumOutputChannels"] is not None else opts["NumFirstEncoderFilters"]
    first = _positive_int(fn, "NumFirstEncoderFilters", first)
    filt = [_positive_int(fn, "FilterSize", v) for v in _flat(opts["FilterSize"])]
    filt = filt * 2 if len(filt) == 1 else filt
    padding = str(opts["ConvolutionPadding"]).lower()
    if padding != "same":
        raise OptionError(f"{fn}: ConvolutionPadding '{opts['ConvolutionPadding']}' is not supported here; "
                          "use 'same' (the 'valid' form crops the skip connections).")
    if any(f % 2 == 0 for f in filt):
        raise OptionError(f"{fn}: FilterSize must be odd with 'same' convolution padding.")
    factor = 2 ** depth
    if size[0] % factor or size[1] % factor:
        raise OptionError(f"{fn}: the image height and width ({size[0]}×{size[1]}) must be multiples of "
                          f"2^EncoderDepth = {factor}.")

    def conv(name, n, f=filt):
        return layer("convolution2dLayer", f, n, Name=name, Padding="same", WeightsInitializer="he")

    def relu(name):
        return layer("reluLayer", Name=name)

    b = NetBuilder()
    last = b.chain(layer("imageInputLayer", size, Name="ImageInputLayer"))
    skips = []
    for i in range(1, depth + 1):
        n = first * 2 ** (i - 1)
        p = f"Encoder-Stage-{i}-"
        last = b.chain(conv(p + "Conv-1", n), relu(p + "ReLU-1"), conv(p + "Conv-2", n), relu(p + "ReLU-2"),
                       after=last)
        if i == depth:
            last = b.chain(layer("dropoutLayer", 0.5, Name=p + "DropOut"), after=last)
        skips.append(last)
        last = b.chain(layer("maxPooling2dLayer", 2, Name=p + "MaxPool", Stride=2), after=last)
    n = first * 2 ** depth
    last = b.chain(conv("Bridge-Conv-1", n), relu("Bridge-ReLU-1"), conv("Bridge-Conv-2", n), relu("Bridge-ReLU-2"),
                   layer("dropoutLayer", 0.5, Name="Bridge-DropOut"), after=last)
    for i in range(1, depth + 1):
        n = first * 2 ** (depth - i)
        p = f"Decoder-Stage-{i}-"
        last = b.chain(layer("transposedConv2dLayer", 2, n, Name=p + "UpConv", Stride=2, WeightsInitializer="he"),
                       relu(p + "UpReLU"), layer("depthConcatenationLayer", 2, Name=p + "DepthConcatenation"),
                       after=last)
        b.connect(skips[depth - i], p + "DepthConcatenation/in2")
        last = b.chain(conv(p + "Conv-1", n), relu(p + "ReLU-1"), conv(p + "Conv-2", n), relu(p + "ReLU-2"),
                       after=last)
    b.chain(layer("convolution2dLayer", 1, classes, Name="Final-ConvolutionLayer", WeightsInitializer="he"),
            layer("softmaxLayer", Name="Softmax-Layer"), layer("pixelClassificationLayer", Name="Segmentation-Layer"),
            after=last)
    import numpy as np

    return b.graph(), np.array([[size[0], size[1], classes]], dtype=float)


# --------------------------------------------------------------------------------------------------
# DnCNN


@matlab_function(outputs=("layers",))
def dnCNNLayers(*args, **kwargs):
    """``layers = dnCNNLayers`` / ``dnCNNLayers('NetworkDepth', d)``: the denoising network DnCNN for grayscale
    images as a layer array (MathWorks' current form: 58 layers for the default depth 20, no output layer).

    'InputLayer' (50×50×1 images, no normalization), 'Conv1' (64 3×3 filters, padding 1) and 'ReLU1', then
    for k = 2..d-1 'Conv<k>', 'BNorm<k>', 'ReLU<k>' (64 filters), and 'Conv<d>' (one 3×3 filter): the
    network predicts the noise (residual learning). ``NetworkDepth`` (default 20) is at least 3.
    """
    fn = "dnCNNLayers"
    opts = _options(fn, args, kwargs, {"NetworkDepth": 20})
    depth = _positive_int(fn, "NetworkDepth", opts["NetworkDepth"])
    if depth < 3:
        raise OptionError(f"{fn}: NetworkDepth must be at least 3, got {depth}.")
    from ..graph import LayerArray

    out = [layer("imageInputLayer", [50, 50, 1], Name="InputLayer", Normalization="none"),
           layer("convolution2dLayer", 3, 64, Name="Conv1", Padding=1, WeightsInitializer="he"),
           layer("reluLayer", Name="ReLU1")]
    for k in range(2, depth):
        out += [layer("convolution2dLayer", 3, 64, Name=f"Conv{k}", Padding=1, WeightsInitializer="he"),
                layer("batchNormalizationLayer", Name=f"BNorm{k}"),
                layer("reluLayer", Name=f"ReLU{k}")]
    out.append(layer("convolution2dLayer", 3, 1, Name=f"Conv{depth}", Padding=1, WeightsInitializer="he"))
    return LayerArray(out)


# --------------------------------------------------------------------------------------------------
# ResNet (resnetLayers / resnetNetwork / resnet3dLayers / resnet3dNetwork)


def _resnet(fn: str, inputSize, numClasses, args, kwargs, dims: int, output_layer: bool):
    opts = _options(fn, args, kwargs, {
        "InitialFilterSize": 7, "InitialNumFilters": 64, "InitialStride": 2, "InitialPoolingLayer": "max",
        "StackDepth": [3, 4, 6, 3], "NumFilters": [64, 128, 256, 512], "BottleneckType": "downsample-first-conv",
        "Normalization": "zerocenter"})
    size = [_positive_int(fn, "inputSize", v) for v in _flat(inputSize)]
    if len(size) == dims:
        size.append(1)
    if len(size) != dims + 1:
        raise OptionError(f"{fn}: inputSize must have {dims} or {dims + 1} elements.")
    classes = _positive_int(fn, "numClasses", numClasses)
    depth = [_positive_int(fn, "StackDepth", v) for v in _flat(opts["StackDepth"])]
    filters = [_positive_int(fn, "NumFilters", v) for v in _flat(opts["NumFilters"])]
    if len(depth) != len(filters):
        raise OptionError(f"{fn}: StackDepth and NumFilters must have the same number of elements.")
    bottleneck = str(opts["BottleneckType"]).lower()
    if bottleneck not in ("downsample-first-conv", "none"):
        raise OptionError(f"{fn}: BottleneckType must be 'downsample-first-conv' or 'none'.")
    pooling = str(opts["InitialPoolingLayer"]).lower()
    if pooling not in ("max", "average", "none"):
        raise OptionError(f"{fn}: InitialPoolingLayer must be 'max', 'average' or 'none'.")
    d = "3d" if dims == 3 else "2d"

    def conv(name, f, n, stride=1):
        return layer(f"convolution{d}Layer", f, n, Name=name, Stride=stride, Padding="same", WeightsInitializer="he")

    def bn(name):
        return layer("batchNormalizationLayer", Name=name)

    def relu(name):
        return layer("reluLayer", Name=name)

    b = NetBuilder()
    input_layer = "image3dInputLayer" if dims == 3 else "imageInputLayer"
    last = b.chain(layer(input_layer, size, Name="input", Normalization=opts["Normalization"]),
                   conv("conv1", opts["InitialFilterSize"], _positive_int(fn, "InitialNumFilters",
                                                                           opts["InitialNumFilters"]),
                        stride=opts["InitialStride"]),
                   bn("bn_conv1"), relu("conv1_relu"))
    if pooling != "none":
        kind = "maxPooling" if pooling == "max" else "averagePooling"
        last = b.chain(layer(f"{kind}{d}Layer", 3, Name="maxpool1" if pooling == "max" else "avgpool1", Stride=2,
                             Padding="same"), after=last)
    channels = int(opts["InitialNumFilters"])
    for s, (count, n) in enumerate(zip(depth, filters), start=1):
        out = 4 * n if bottleneck != "none" else n
        for k in range(1, count + 1):
            p = f"stack{s}_block{k}_"
            stride = 2 if (k == 1 and s > 1) else 1
            block_in = last
            if bottleneck != "none":
                last = b.chain(conv(p + "conv1", 1, n, stride), bn(p + "bn1"), relu(p + "relu1"),
                               conv(p + "conv2", 3, n), bn(p + "bn2"), relu(p + "relu2"),
                               conv(p + "conv3", 1, out), bn(p + "bn3"),
                               layer("additionLayer", 2, Name=p + "add"), relu(p + "relu3"), after=block_in)
            else:
                last = b.chain(conv(p + "conv1", 3, n, stride), bn(p + "bn1"), relu(p + "relu1"),
                               conv(p + "conv2", 3, n), bn(p + "bn2"),
                               layer("additionLayer", 2, Name=p + "add"), relu(p + "relu2"), after=block_in)
            if k == 1 and (stride != 1 or channels != out):
                b.chain(conv(p + "conv_shortcut", 1, out, stride), bn(p + "bn_shortcut"), after=block_in)
                b.connect(p + "bn_shortcut", p + "add/in2")
            else:
                b.connect(block_in, p + "add/in2")
            channels = out
    head = [layer(f"globalAveragePooling{d}Layer", Name="gap"), layer("fullyConnectedLayer", classes, Name="fc"),
            layer("softmaxLayer", Name="softmax")]
    if output_layer:
        head.append(layer("classificationLayer", Name="output"))
    b.chain(*head, after=last)
    graph = b.graph()
    if output_layer:
        return graph
    from ..network import dlnetwork

    return dlnetwork(graph)


@matlab_function(outputs=("lgraph",))
def resnetLayers(inputSize, numClasses, *args, **kwargs):
    """``lgraph = resnetLayers(inputSize, numClasses, Name, Value)``: a 2-D residual network (ResNet-50 with
    the defaults: 177 layers, 192 connections, as MathWorks documents) ending in 'softmax' and a
    classificationLayer 'output'. Options and defaults: ``InitialFilterSize`` 7, ``InitialNumFilters`` 64,
    ``InitialStride`` 2, ``InitialPoolingLayer`` 'max' ('average', 'none'), ``StackDepth`` [3 4 6 3],
    ``NumFilters`` [64 128 256 512], ``BottleneckType`` 'downsample-first-conv' ('none': two 3×3
    convolutions per block), ``Normalization`` 'zerocenter'. The first block of every stack after the first
    downsamples (stride 2 in its first convolution); a 1×1 convolution + batch normalization shortcut
    appears where the block changes the size."""
    return _resnet("resnetLayers", inputSize, numClasses, args, kwargs, 2, True)


@matlab_function(outputs=("net",))
def resnetNetwork(inputSize, numClasses, *args, **kwargs):
    """``net = resnetNetwork(inputSize, numClasses, Name=Value)``: :func:`resnetLayers` as a dlnetwork (no
    output layer; output 'softmax': 176 layers, 191 connections, 214 learnables, 106 states by default)."""
    return _resnet("resnetNetwork", inputSize, numClasses, args, kwargs, 2, False)


@matlab_function(outputs=("lgraph",))
def resnet3dLayers(inputSize, numClasses, *args, **kwargs):
    """``lgraph = resnet3dLayers(inputSize, numClasses, Name, Value)``: :func:`resnetLayers` with 3-D layers
    (inputSize [h w d] or [h w d c]); 177 layers and 192 connections with the defaults."""
    return _resnet("resnet3dLayers", inputSize, numClasses, args, kwargs, 3, True)


@matlab_function(outputs=("net",))
def resnet3dNetwork(inputSize, numClasses, *args, **kwargs):
    """``net = resnet3dNetwork(inputSize, numClasses, Name=Value)``: :func:`resnet3dLayers` as a dlnetwork."""
    return _resnet("resnet3dNetwork", inputSize, numClasses, args, kwargs, 3, False)


__all__ = ["unetLayers", "dnCNNLayers", "resnetLayers", "resnetNetwork", "resnet3dLayers", "resnet3dNetwork"]
