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


def _unet(fn: str, imageSize, numClasses, args, kwargs, dims: int, dlnet: bool):
    """U-Net (2-D: unetLayers/unet; 3-D: unet3dLayers/unet3d) as a LayerGraph with a pixel classification
    layer, or (``dlnet``) a dlnetwork without it whose skip connections go through center crops."""
    three = dims == 3
    opts = _options(fn, args, kwargs, {"EncoderDepth": 3 if three else 4, "NumFirstEncoderFilters": 32 if three else 64,
                                       "NumOutputChannels": None, "FilterSize": 3, "ConvolutionPadding": "same"})
    size = [_positive_int(fn, "imageSize", v) for v in _flat(imageSize)]
    if len(size) == dims:
        size.append(1)
    if len(size) != dims + 1:
        shape = "[height width depth]" if three else "[height width]"
        raise OptionError(f"{fn}: the input size must be {shape[:-1]}] or {shape[:-1]} channels].")
    classes = _positive_int(fn, "numClasses", numClasses)
    if classes < 2:
        raise OptionError(f"{fn}: numClasses must be greater than 1.")
    depth = _positive_int(fn, "EncoderDepth", opts["EncoderDepth"])
    first = opts["NumOutputChannels"] if opts["NumOutputChannels"] is not None else opts["NumFirstEncoderFilters"]
    first = _positive_int(fn, "NumFirstEncoderFilters", first)
    filt = [_positive_int(fn, "FilterSize", v) for v in _flat(opts["FilterSize"])]
    filt = filt * dims if len(filt) == 1 else filt
    if len(filt) != dims:
        raise OptionError(f"{fn}: FilterSize must be a scalar or have {dims} elements.")
    padding = str(opts["ConvolutionPadding"]).lower()
    if padding not in ("same", "valid"):
        raise OptionError(f"{fn}: ConvolutionPadding must be 'same' or 'valid', got '{opts['ConvolutionPadding']}'.")
    valid = padding == "valid"
    what = "height, width and depth" if three else "height and width"
    if valid:
        # every 'valid' convolution shrinks by FilterSize-1; each pooling input must be even
        out = []
        for axis, v in enumerate(size[:dims]):
            shrink = 2 * (filt[axis] - 1)
            for _ in range(depth):
                v -= shrink
                if v < 1 or v % 2:
                    raise OptionError(f"{fn}: with 'valid' convolution padding the image {what} "
                                      f"({'×'.join(map(str, size[:dims]))}) must leave an even size at least 2 "
                                      "before every max pooling.")
                v //= 2
            v -= shrink
            for _ in range(depth):
                v = 2 * v - shrink
            if v < 1:
                raise OptionError(f"{fn}: the image {what} ({'×'.join(map(str, size[:dims]))}) is too small for "
                                  f"EncoderDepth {depth} with 'valid' convolution padding.")
            out.append(v)
    else:
        if any(f % 2 == 0 for f in filt):
            raise OptionError(f"{fn}: FilterSize must be odd with 'same' convolution padding.")
        factor = 2 ** depth
        if any(v % factor for v in size[:dims]):
            raise OptionError(f"{fn}: the image {what} ({'×'.join(map(str, size[:dims]))}) must be multiples of "
                              f"2^EncoderDepth = {factor}.")
        out = size[:dims]
    d = "3d" if three else "2d"

    def conv(name, n, f=filt):
        return layer(f"convolution{d}Layer", f, n, Name=name, Padding=0 if valid else "same",
                     WeightsInitializer="he")

    def unit(p, k, n):      # convolution (+ batch normalization in 3-D) + ReLU
        out = [conv(f"{p}Conv-{k}", n)]
        if three:
            out.append(layer("batchNormalizationLayer", Name=f"{p}BN-{k}"))
        return out + [layer("reluLayer", Name=f"{p}ReLU-{k}")]

    b = NetBuilder()
    input_layer = "image3dInputLayer" if three else "imageInputLayer"
    last = b.chain(layer(input_layer, size, Name="encoderImageInputLayer" if dlnet else "ImageInputLayer"))
    skips = []
    for i in range(1, depth + 1):
        p = f"Encoder-Stage-{i}-"
        n = first * 2 ** (i - 1)
        # 3-D U-Net (Çiçek et al.): the second convolution of a stage doubles the channels
        last = b.chain(*unit(p, 1, n), *unit(p, 2, 2 * n if three else n), after=last)
        if i == depth and not three:
            last = b.chain(layer("dropoutLayer", 0.5, Name=p + "DropOut"), after=last)
        skips.append(last)
        last = b.chain(layer(f"maxPooling{d}Layer", 2, Name=p + "MaxPool", Stride=2), after=last)
    n = first * 2 ** depth
    last = b.chain(*unit("Bridge-", 1, n), *unit("Bridge-", 2, 2 * n if three else n), after=last)
    channels = 2 * n if three else n
    if not three:
        last = b.chain(layer("dropoutLayer", 0.5, Name="Bridge-DropOut"), after=last)
    for i in range(1, depth + 1):
        n = first * 2 ** (depth - i + (1 if three else 0))
        p = f"Decoder-Stage-{i}-"
        up = [layer(f"transposedConv{d}Layer", 2, channels if three else n, Name=p + "UpConv", Stride=2,
                    WeightsInitializer="he")]
        if not three:
            up.append(layer("reluLayer", Name=p + "UpReLU"))
        last = b.chain(*up, layer("depthConcatenationLayer", 2, Name=p + "DepthConcatenation"), after=last)
        if dlnet or valid:
            b.chain(layer(f"crop{d}Layer", "centercrop", Name=p + "Crop"), after=skips[depth - i])
            b.connect(up[-1].Name, p + "Crop/ref")
            b.connect(p + "Crop", p + "DepthConcatenation/in2")
        else:
            b.connect(skips[depth - i], p + "DepthConcatenation/in2")
        last = b.chain(*unit(p, 1, n), *unit(p, 2, n), after=last)
        channels = n
    final = "FinalNetwork" if dlnet else ""
    head = [layer(f"convolution{d}Layer", 1, classes, Name=final + "Final-ConvolutionLayer", WeightsInitializer="he"),
            layer("softmaxLayer", Name=final + "Softmax-Layer")]
    if not dlnet:
        head.append(layer("pixelClassificationLayer", Name="Segmentation-Layer"))
    b.chain(*head, after=last)
    import numpy as np

    output_size = np.array([list(out) + [classes]], dtype=float)
    if not dlnet:
        return b.graph(), output_size
    from ..network import dlnetwork

    return dlnetwork(b.graph()), output_size


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
    ``outputSize`` is [H W numClasses] (the input's height and width with 'same' padding). With
    ``ConvolutionPadding`` 'valid' every convolution is unpadded, each skip connection passes a center crop
    'Decoder-Stage-i-Crop' before the concatenation, and the output is smaller (572×572 → 388×388 with the
    defaults, as in Ronneberger et al.).
    """
    return _unet("unetLayers", imageSize, numClasses, args, kwargs, 2, False)


@matlab_function(outputs=("net", "outputSize"))
def unet(imageSize, numClasses, *args, **kwargs):
    """``[net, outputSize] = unet(imageSize, numClasses, Name=Value)`` (R2024a): :func:`unetLayers` as an
    initialized dlnetwork: no pixel classification layer, input 'encoderImageInputLayer', output
    'FinalNetworkSoftmax-Layer' (after 'FinalNetworkFinal-ConvolutionLayer'), and each skip connection
    passes a center crop 'Decoder-Stage-i-Crop' (crop2dLayer, reference: the decoder's upsampled output)
    before the concatenation. EncoderDepth 3 on 480×640×3: 48 layers, 53 connections, 36 learnables, as
    MathWorks documents. Same options and defaults as unetLayers."""
    return _unet("unet", imageSize, numClasses, args, kwargs, 2, True)


@matlab_function(outputs=("lgraph", "outputSize"))
def unet3dLayers(inputSize, numClasses, *args, **kwargs):
    """``[lgraph, outputSize] = unet3dLayers(inputSize, numClasses, Name, Value)``: the 3-D U-Net.

    Options (defaults): ``EncoderDepth`` 3, ``NumFirstEncoderFilters`` 32, ``FilterSize`` 3,
    ``ConvolutionPadding`` 'same'. Encoder stage i: 'Encoder-Stage-i-Conv-1' (F·2^(i-1) filters), 'BN-1',
    'ReLU-1', 'Conv-2' (twice as many), 'BN-2', 'ReLU-2', 'MaxPool' (2×2×2, stride 2); the bridge likewise
    (F·2^D, F·2^(D+1)); decoder stage i: 'UpConv' (2×2×2 transposed convolution, stride 2, keeping the
    channels), 'DepthConcatenation' with the matching encoder stage, two convolution + batch normalization
    + ReLU units; then 'Final-ConvolutionLayer' (1×1×1), 'Softmax-Layer', 'Segmentation-Layer'.
    EncoderDepth 2, 16 first filters: 40 layers and 41 connections, as MathWorks documents.
    ``outputSize`` is [H W D numClasses]."""
    return _unet("unet3dLayers", inputSize, numClasses, args, kwargs, 3, False)


@matlab_function(outputs=("net", "outputSize"))
def unet3d(inputSize, numClasses, *args, **kwargs):
    """``[net, outputSize] = unet3d(inputSize, numClasses, Name=Value)`` (R2024a): :func:`unet3dLayers` as an
    initialized dlnetwork (no pixel classification layer; input 'encoderImageInputLayer'; skip connections
    through crop3dLayer center crops; output 'FinalNetworkSoftmax-Layer')."""
    return _unet("unet3d", inputSize, numClasses, args, kwargs, 3, True)


# --------------------------------------------------------------------------------------------------
# blockedNetwork / encoderDecoderNetwork


def _layers_of(fn: str, what: str, value) -> list:
    """The layers of a layer array value (a Python list/LayerArray, the interpreter's layer array, one layer)."""
    from ..layers.base import Layer

    if isinstance(value, Layer):
        return [value]
    items = getattr(value, "a", None)
    items = list(items.flat) if items is not None else value
    if isinstance(items, (list, tuple)) or hasattr(items, "__iter__"):
        out = list(items)
        if out and all(isinstance(x, Layer) for x in out):
            return out
    raise OptionError(f"{fn}: {what} must be an array of layers, got {type(value).__name__}.")


def _graph_parts(fn: str, what: str, value):
    """(layers, edges) of a network argument: a dlnetwork (initialized or not), a LayerGraph or a layer array.
    Edges are ('src[/port]', 'dst/port') strings for NetBuilder."""
    from ..graph import LayerGraph, assign_names
    from ..network import Network

    if isinstance(value, Network):
        value = value.to_layer_graph()
    if isinstance(value, LayerGraph):
        layers = list(value.layer_list())
        edges = [(f"{s}/{sp}", f"{d}/{dp}") for s, sp, d, dp in value.edge_list()]
        return layers, edges
    layers = assign_names(_layers_of(fn, what, value))
    return layers, [(a.Name, b.Name) for a, b in zip(layers, layers[1:])]


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


@matlab_function(outputs=("net",))
def blockedNetwork(fun, numBlocks, *args, **kwargs):
    """``net = blockedNetwork(fun, numBlocks, NamePrefix=prefix)``: an uninitialized dlnetwork of numBlocks
    blocks connected one after the other; block i is the layer array ``fun(i)`` (a MATLAB function handle,
    called through :func:`layergraph.matlab.lang.call`, or a Python callable taking the block number).

    Layer j of block i is named 'Block<i>Layer<j>' (a name the block's layer already has is kept), and
    ``NamePrefix`` (default '') is put before every name: MathWorks' example gives 20 layers, 19
    connections, 16 learnables, 'encoder_Block1Layer1' … 'encoder_Block4Layer5'."""
    from ..graph import LayerGraph
    from ..matlab.base._core import call
    from ..matlab.values import FuncHandle
    from ..network import UninitializedNetwork

    fn = "blockedNetwork"
    opts = _options(fn, args, kwargs, {"NamePrefix": ""})
    count = _positive_int(fn, "numBlocks", numBlocks)
    prefix = _text(opts["NamePrefix"])
    matlab_value = isinstance(fun, (FuncHandle, str))
    if not (matlab_value or callable(fun)):
        raise OptionError(f"{fn}: fun must be a function handle, got {type(fun).__name__}.")
    import numpy as np

    b = NetBuilder()
    seen: set[str] = set()
    last = None
    for i in range(1, count + 1):
        value = call(fun, np.array([[float(i)]]) if matlab_value else i)
        layers = _layers_of(fn, f"the layers fun({i}) returns", value)
        if not layers:
            raise OptionError(f"{fn}: fun({i}) returned no layers.")
        named = []
        for j, lay in enumerate(layers, start=1):
            name = prefix + (lay.Name or f"Block{i}Layer{j}")
            if name in seen:
                raise OptionError(f"{fn}: block {i} repeats the layer name '{name}'; leave the block's layers "
                                  "unnamed (they are named Block<i>Layer<j>) or give them unique names.")
            seen.add(name)
            named.append(lay.with_name(name))
        last = b.chain(*named, after=last)
    graph: LayerGraph = b.graph()
    return UninitializedNetwork._from_version(graph._version)


_DOWNSAMPLING = ("maxPooling2dLayer", "maxPooling3dLayer", "averagePooling2dLayer", "averagePooling3dLayer",
                 "convolution2dLayer", "convolution3dLayer")
_UPSAMPLING = ("transposedConv2dLayer", "transposedConv3dLayer")


def _strided(lay) -> bool:
    stride = getattr(lay, "Stride", 1)
    return any(float(v) > 1 for v in _flat(stride))


@matlab_function(outputs=("net",))
def encoderDecoderNetwork(inputSize, encoder, decoder, *args, **kwargs):
    """``net = encoderDecoderNetwork(inputSize, encoder, decoder, Name=Value)``: an initialized dlnetwork
    joining an image input layer 'encoderImageInputLayer', the encoder, the ``LatentNetwork`` (a layer
    array, default none), the decoder and the final layers.

    ``SkipConnections`` 'none' (default) or 'concatenate': the output of the layer before each encoder
    downsampling (a pooling layer or a strided convolution) is center-cropped ('SkipCrop<k>', crop2dLayer/
    crop3dLayer) to the matching decoder upsampling output (a strided transposed convolution; the deepest
    encoder level meets the first decoder upsampling) and joined to it by a depthConcatenationLayer
    'SkipConcatenation<k>' placed right after that upsampling layer. ``OutputChannels`` adds a final 1×1
    convolution with that many filters ('FinalNetworkConvolution'); ``FinalNetwork`` (a layer array) is
    appended instead, each name prefixed 'FinalNetwork'. MathWorks' U-Net example (4 blocks each side, a
    5-layer bridge, OutputChannels 3, 'concatenate'): 55 layers, 62 connections, 46 learnables.
    'SkipConnections','auto' and the other options are refused."""
    from ..network import dlnetwork

    fn = "encoderDecoderNetwork"
    opts = _options(fn, args, kwargs, {"SkipConnections": "none", "LatentNetwork": None, "OutputChannels": None,
                                       "FinalNetwork": None, "SkipConnectionNames": None})
    if opts["SkipConnectionNames"] is not None:
        raise OptionError(f"{fn}: the option 'SkipConnectionNames' is not supported; skip connections are found "
                          "from the encoder's downsampling layers.")
    skip = _text(opts["SkipConnections"]).lower()
    if skip not in ("none", "concatenate"):
        raise OptionError(f"{fn}: SkipConnections '{opts['SkipConnections']}' is not supported; use 'none' or "
                          "'concatenate'.")
    size = [_positive_int(fn, "inputSize", v) for v in _flat(inputSize)]
    if len(size) not in (3, 4):
        raise OptionError(f"{fn}: inputSize must be [height width channels] or [height width depth channels].")
    dims = len(size) - 1
    d = "3d" if dims == 3 else "2d"

    enc_layers, enc_edges = _graph_parts(fn, "encoder", encoder)
    dec_layers, dec_edges = _graph_parts(fn, "decoder", decoder)
    lat_layers, lat_edges = ([], []) if _is_empty(opts["LatentNetwork"]) else \
        _graph_parts(fn, "LatentNetwork", opts["LatentNetwork"])
    final_layers: list = []
    if not _is_empty(opts["FinalNetwork"]):
        from ..graph import assign_names

        final_layers = [x.with_name("FinalNetwork" + x.Name)
                        for x in assign_names(_layers_of(fn, "FinalNetwork", opts["FinalNetwork"]))]
    elif not _is_empty(opts["OutputChannels"]):
        channels = _positive_int(fn, "OutputChannels", opts["OutputChannels"])
        final_layers = [layer(f"convolution{d}Layer", 1, channels, Name="FinalNetworkConvolution")]

    def ends(layers, edges, what):
        into = {e[1].partition("/")[0] for e in edges}
        out_of = {e[0].partition("/")[0] for e in edges}
        heads = [x.Name for x in layers if x.Name not in into]
        tails = [x.Name for x in layers if x.Name not in out_of]
        if len(heads) != 1 or len(tails) != 1:
            raise OptionError(f"{fn}: the {what} must have one input and one output (it has {len(heads)} and "
                              f"{len(tails)}).")
        return heads[0], tails[0]

    b = NetBuilder()
    has_input = bool(enc_layers) and not enc_layers[0].input_names()
    if has_input:
        last = None
    else:
        input_layer = "image3dInputLayer" if dims == 3 else "imageInputLayer"
        last = b.chain(layer(input_layer, size, Name="encoderImageInputLayer"))
    parts = [("encoder", enc_layers, enc_edges), ("LatentNetwork", lat_layers, lat_edges),
             ("decoder", dec_layers, dec_edges)]
    edges_out: list[tuple[str, str]] = []
    for what, layers, edges in parts:
        if not layers:
            continue
        head, tail = ends(layers, edges, what)
        b.layers.extend(layers)
        edges_out.extend(edges)
        if last is not None:
            edges_out.append((last, head))
        last = tail
    if skip == "concatenate":
        source_of = {e[1].partition("/")[0]: e[0] for e in enc_edges}
        if not has_input and enc_layers:
            source_of.setdefault(ends(enc_layers, enc_edges, "encoder")[0], "encoderImageInputLayer")
        sources = [source_of[x.Name] for x in enc_layers
                   if type(x).MATLAB_NAME in _DOWNSAMPLING and _strided(x) and x.Name in source_of]
        ups = [x.Name for x in dec_layers if type(x).MATLAB_NAME in _UPSAMPLING and _strided(x)]
        if len(sources) != len(ups):
            raise OptionError(f"{fn}: 'SkipConnections','concatenate' needs as many decoder upsampling layers "
                              f"({len(ups)}) as encoder downsampling layers ({len(sources)}).")
        for k, (src, up) in enumerate(zip(reversed(sources), ups), start=1):
            crop, cat = f"SkipCrop{k}", f"SkipConcatenation{k}"
            edges_out[:] = [(cat if e[0].partition("/")[0] == up else e[0], e[1]) for e in edges_out]
            if last == up:
                last = cat
            b.layers.extend([layer(f"crop{d}Layer", "centercrop", Name=crop),
                             layer("depthConcatenationLayer", 2, Name=cat)])
            edges_out += [(src, crop + "/in"), (up, crop + "/ref"), (up, cat + "/in1"), (crop, cat + "/in2")]
    if final_layers:
        last = b.chain(*final_layers, after=last)
    b.edges.extend(edges_out)
    names = [x.Name for x in b.layers]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise OptionError(f"{fn}: layer names repeat across encoder, latent network, decoder and final network: "
                          f"{', '.join(dup)}.")
    return dlnetwork(b.graph())


def _is_empty(value) -> bool:
    if value is None:
        return True
    size = getattr(value, "size", None)
    return isinstance(size, int) and size == 0 or (isinstance(value, (list, tuple)) and not value)


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


@matlab_function(outputs=("net",))
def denoisingNetwork(modelName, *args, **kwargs):
    """``net = denoisingNetwork('DnCNN')``: MathWorks' pretrained DnCNN denoiser (Image Processing Toolbox).

    MathWorks' trained weights are not available outside MATLAB, so this raises
    :class:`~layergraph.networks.pretrained.PretrainedWeightsError` naming the way out;
    ``denoisingNetwork('DnCNN', 'Weights', 'none')`` (a layergraph extension, as for the pretrained image
    networks) gives the untrained architecture: ``dlnetwork(dnCNNLayers)``. The porter builds that
    architecture by itself, with a warning, since porting needs only the layers.
    """
    from .pretrained.weights import PretrainedWeightsError

    fn = "denoisingNetwork"
    if not isinstance(modelName, str) or modelName.lower() != "dncnn":
        raise OptionError(f"{fn}: modelName must be 'DnCNN', got {modelName!r}.")
    opts = _options(fn, args, kwargs, {"Weights": "pretrained"})
    weights = str(opts["Weights"]).lower()
    if weights not in ("pretrained", "none"):
        raise OptionError(f"{fn}: Weights must be 'pretrained' or 'none', got {opts['Weights']!r}.")
    if weights == "pretrained":
        raise PretrainedWeightsError(
            f"{fn}: MathWorks' trained DnCNN weights are not available outside MATLAB. Use "
            f"denoisingNetwork('DnCNN','Weights','none') (or dlnetwork(dnCNNLayers)) for the untrained network.")
    from ..network import dlnetwork

    return dlnetwork(dnCNNLayers())


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


__all__ = ["unetLayers", "unet", "unet3dLayers", "unet3d", "blockedNetwork", "encoderDecoderNetwork", "dnCNNLayers", "resnetLayers", "resnetNetwork", "resnet3dLayers", "resnet3dNetwork"]
