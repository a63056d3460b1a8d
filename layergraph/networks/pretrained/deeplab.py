"""deeplabv3plusLayers(imageSize, numClasses, network): DeepLab v3+ on a pretrained 'resnet18',
'resnet50' or 'mobilenetv2'.

Decoder names, sizes and options from a Deep Network Designer export of MATLAB's network: ASPP
'aspp_Conv_1' (1×1) and 'aspp_Conv_2..4' (3×3, DilationFactor 6, 12, 18, 'same'), each with
'aspp_BatchNorm_k' and 'aspp_Relu_k', 'catAspp'; 'dec_c1/bn1/relu1', 'dec_upsample1' (8×8 transposed
convolution, Stride 4, Cropping 2, frozen bilinear weights), 'dec_crop1' (center crop to 'dec_relu2');
the low-level branch 'dec_c2' (1×1, 48) from 'res2b_relu'; 'dec_cat1', 'dec_c3', 'dec_c4', 'scorer',
'dec_upsample2', 'dec_crop2' (to the input), 'softmax-out', 'classification'. New convolutions learn
10× faster with frozen (zero) biases, as in the export.

Backbones (see BACKBONES and _output_stride_16): the pretrained network up to the ASPP input, output
stride 16. resnet50 (ASPP from 'activation_49_relu', low level 'activation_10_relu', res5 undilated
stride, dilation 2, 'max_pooling2d_1' 'same', frozen backbone biases) follows a Deep Network Designer
export of MATLAB's network; resnet18's stride/padding changes and all of mobilenetv2's choices
('block_16_project_BN', 'block_2_add', block_13..16 depthwise dilated by 2) are not confirmed.
"""

from __future__ import annotations

import torch

from ...errors import OptionError
from ...functions import matlab_function
from ...graph import LayerGraph
from .common import NetBuilder, bn, concat, conv, image_input, layer, relu


def bilinear_weights(size: int, channels: int) -> torch.Tensor:
    """h×w×channels×channels MATLAB transposed-convolution weights: bilinear per channel, no mixing."""
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    r = torch.arange(size, dtype=torch.float32)
    f = 1 - (r - center).abs() / factor
    kernel = f[:, None] * f[None, :]
    w = torch.zeros(size, size, channels, channels)
    for c in range(channels):
        w[:, :, c, c] = kernel
    return w


#: per base network: input layer, last backbone layer (input of the ASPP), low-level feature layer
#: (stride 4, input of 'dec_c2')
BACKBONES = {
    "resnet18": ("data", "res5b_relu", "res2b_relu"),
    "resnet50": ("input_1", "activation_49_relu", "activation_10_relu"),
    "mobilenetv2": ("input_1", "block_16_project_BN", "block_2_add"),
}


def _output_stride_16(network: str, l):
    """The backbone change to output stride 16: the last stage keeps stride 1 and its 3×3 convolutions
    dilate by 2 ('same' padding)."""
    name, kind = l.Name, l.MATLAB_NAME
    if network == "resnet18":
        if kind == "convolution2dLayer" and tuple(l.Stride) == (2, 2) and name != "conv1":
            l = l.copy(Stride=(1, 1), Padding="same") if name.startswith("res5a") else l.copy(Padding="same")
        if kind == "convolution2dLayer" and name.startswith("res5") and tuple(l.FilterSize) == (3, 3):
            l = l.copy(DilationFactor=(2, 2), Padding="same")
    elif network == "resnet50":
        # Deep Network Designer export of MATLAB's DeepLab v3+ (resnet50): max_pooling2d_1 'same', backbone
        # convolutions with frozen biases, res5 without stride, res5*_branch2b dilated by 2 with 'same' padding
        if name == "max_pooling2d_1":
            l = l.copy(Padding="same")
        elif kind == "convolution2dLayer" and name != "conv1":
            l = l.copy(BiasLearnRateFactor=0)
            if name.startswith("res5") and tuple(l.Stride) == (2, 2):
                l = l.copy(Stride=(1, 1), Padding="same" if tuple(l.FilterSize) == (3, 3) else (0, 0, 0, 0))
            if name.startswith("res5") and name.endswith("branch2b"):
                l = l.copy(DilationFactor=(2, 2), Padding="same")
    elif network == "mobilenetv2":
        # not confirmed: block_13 (the stride-32 stage) keeps stride 1; blocks 13-16 depthwise dilate by 2
        block = name.split("_")[1] if name.startswith("block_") else ""
        if kind == "groupedConvolution2dLayer" and block.isdigit() and int(block) >= 13:
            l = l.copy(Stride=(1, 1), DilationFactor=(2, 2), Padding="same")
    return l


def _backbone(network: str, image_size) -> NetBuilder:
    """The pretrained base network (its weight file must be cached) up to the ASPP input, at output stride 16."""
    from .catalog import NETWORKS, pretrained_graph_from_state
    from .weights import locate, read_state_dict

    info = NETWORKS[network]
    input_name, end, _ = BACKBONES[network]
    path = locate(network, info.weight_file, info.weight_url)
    graph = pretrained_graph_from_state(network, read_state_dict(path), source=f"weight file '{path.name}'")
    keep = []
    for l in graph.layer_list():
        keep.append(l)
        if l.Name == end:
            break
    b = NetBuilder()
    for l in keep:
        if l.Name == input_name:
            stats = {"Mean": l.Mean}
            if l.Normalization == "zscore":
                stats["StandardDeviation"] = l.StandardDeviation
            l = image_input(input_name, image_size, l.Normalization, **stats)
        b.layers.append(_output_stride_16(network, l))
    names = {l.Name for l in keep}
    b.edges = [(f"{s}/{sp}", f"{d}/{dp}") for s, sp, d, dp in graph.edge_list() if s in names and d in names]
    return b


def _new_conv(name, filt, num, **kw):
    return conv(name, filt, num, WeightLearnRateFactor=10, BiasLearnRateFactor=0, **kw)


@matlab_function(outputs=("lgraph",))
def deeplabv3plusLayers(imageSize, numClasses, network, *args, **kwargs):
    """``lgraph = deeplabv3plusLayers(imageSize, numClasses, network)`` with network 'resnet18', 'resnet50'
    or 'mobilenetv2': DeepLab v3+ (output stride 16) on the pretrained base network (its weight file
    must be in the cache) and a
    pixelClassificationLayer named 'classification'."""
    network = str(network).lower()
    if network not in BACKBONES:
        raise OptionError(f"deeplabv3plusLayers: network '{network}' is not supported here; use "
                          f"{', '.join(repr(n) for n in BACKBONES)}.")
    options = dict(zip([str(a).lower() for a in args[::2]], args[1::2]))
    options.update({k.lower(): v for k, v in kwargs.items()})
    factor = options.pop("downsamplingfactor", 16)
    if options:
        raise OptionError(f"deeplabv3plusLayers: unknown option(s) {', '.join(options)}; valid: DownsamplingFactor.")
    if factor != 16:
        raise OptionError("deeplabv3plusLayers: only DownsamplingFactor 16 is supported here.")
    size = [int(s) for s in (list(imageSize) + [3])[:3]] if len(list(imageSize)) == 2 else [int(s) for s in imageSize]
    k = int(numClasses)
    b = _backbone(network, size)
    input_name, end, low = BACKBONES[network]
    rates = {1: None, 2: 6, 3: 12, 4: 18}
    for i, rate in rates.items():
        filt, extra = (1, {}) if rate is None else (3, {"DilationFactor": rate})
        b.chain(_new_conv(f"aspp_Conv_{i}", filt, 256, padding="same", **extra), bn(f"aspp_BatchNorm_{i}"),
                relu(f"aspp_Relu_{i}"), after=end)
    b.chain(concat("catAspp", 4), _new_conv("dec_c1", 1, 256), bn("dec_bn1"), relu("dec_relu1"),
            layer("transposedConv2dLayer", 8, 256, Name="dec_upsample1", Stride=4, Cropping=2,
                  WeightLearnRateFactor=0, BiasLearnRateFactor=0, Weights=bilinear_weights(8, 256),
                  Bias=torch.zeros(1, 1, 256)),
            layer("crop2dLayer", "centercrop", Name="dec_crop1"))
    for i in range(1, 5):
        b.connect(f"aspp_Relu_{i}", f"catAspp/in{i}")
    b.chain(_new_conv("dec_c2", 1, 48), bn("dec_bn2"), relu("dec_relu2"), after=low)
    b.connect("dec_relu2", "dec_crop1/ref")
    b.chain(concat("dec_cat1", 2), _new_conv("dec_c3", 3, 256, padding="same"), bn("dec_bn3"), relu("dec_relu3"),
            _new_conv("dec_c4", 3, 256, padding="same"), bn("dec_bn4"), relu("dec_relu4"), _new_conv("scorer", 1, k),
            layer("transposedConv2dLayer", 8, k, Name="dec_upsample2", Stride=4, Cropping=2, WeightLearnRateFactor=0,
                  BiasLearnRateFactor=0, Weights=bilinear_weights(8, k), Bias=torch.zeros(1, 1, k)),
            layer("crop2dLayer", "centercrop", Name="dec_crop2"), layer("softmaxLayer", Name="softmax-out"),
            layer("pixelClassificationLayer", Name="classification"))
    b.connect("dec_relu2", "dec_cat1/in1")
    b.connect("dec_crop1", "dec_cat1/in2")
    b.connect(input_name, "dec_crop2/ref")
    return b.graph()


@matlab_function(outputs=("net",))
def deeplabv3plus(imageSize, numClasses, network, *args, **kwargs):
    """``net = deeplabv3plus(imageSize, numClasses, 'resnet18')``: the dlnetwork form of
    :func:`deeplabv3plusLayers` (no pixel classification layer; output 'softmax-out')."""
    from ...graph import removeLayers
    from ...network import dlnetwork

    lgraph = deeplabv3plusLayers(imageSize, numClasses, network, *args, **kwargs)
    return dlnetwork(removeLayers(lgraph, "classification"))
