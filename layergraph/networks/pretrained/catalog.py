"""The pretrained constructors (alexnet, googlenet, ..., registered as MATLAB functions) and the
catalogue behind them: MathWorks' table figures, MATLAB's layer/connection counts, the public weight
file (torchvision's) and how it corresponds to MATLAB's network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...functions import matlab_function
from ...graph import LayerArray, LayerGraph
from . import darknet as darknet_arch, densenet as densenet_arch, efficientnet as efficientnet_arch, inceptionv3 as inceptionv3_arch, xception as xception_arch
from . import googlenet as googlenet_arch, mobilenetv2 as mobilenetv2_arch, resnet, series, squeezenet as squeezenet_arch
from .common import IMAGENET_MEAN, IMAGENET_STD, channel_stats, parse_weights_option
from .weights import PretrainedWeightsError, fold_input_scale, locate, map_state_dict, read_state_dict

TORCHVISION = "https://download.pytorch.org/models/"


@dataclass(frozen=True)
class PretrainedNetwork:
    """One network: MathWorks' table row (depth, size MB, parameters in millions, input size), MATLAB's
    Layers/Connections counts, the builder, and the weight source with its correspondence."""

    name: str
    depth: int
    size_mb: float
    parameters_millions: float
    input_size: tuple
    num_layers: int
    num_connections: int
    series: bool
    build: Callable[[], LayerGraph]
    weight_file: str | None = None
    correspondence: str = "none"     # 'exact', 'adapted' or 'none'
    note: str = ""
    pretrained_build: Callable[[], LayerGraph] | None = None
    torch_keys: Callable[[], list] | None = None
    bn_epsilon: float | None = None
    first_conv: str | None = None    # folded with 1/std when the input is 'zerocenter'
    ignore: tuple = ()               # weight-file tensors MATLAB's network has no place for
    state_transform: Callable[[dict], dict] | None = None

    @property
    def weight_url(self) -> str | None:
        return TORCHVISION + self.weight_file if self.weight_file else None


NETWORKS: dict[str, PretrainedNetwork] = {}


def _add(net: PretrainedNetwork) -> None:
    NETWORKS[net.name] = net


_add(PretrainedNetwork("alexnet", 8, 227, 61.0, (227, 227, 3), 25, 24, True, series.alexnet_graph,
                       note="Caffe BVLC AlexNet (grouped convolutions, cross-channel normalization); torchvision's "
                            "alexnet is another variant, so there is no public torch weight file for it."))
_add(PretrainedNetwork("vgg16", 16, 515, 138, (224, 224, 3), 41, 40, True, lambda: series.vgg_graph(16),
                       "vgg16-397923af.pth", "exact", torch_keys=lambda: series.vgg_torch_keys(16), first_conv="conv1_1"))
_add(PretrainedNetwork("vgg19", 19, 535, 144, (224, 224, 3), 47, 46, True, lambda: series.vgg_graph(19),
                       "vgg19-dcbb9e9d.pth", "exact", torch_keys=lambda: series.vgg_torch_keys(19), first_conv="conv1_1"))
_add(PretrainedNetwork("squeezenet", 18, 5.2, 1.24, (227, 227, 3), 68, 75, False, squeezenet_arch.squeezenet_graph,
                       "squeezenet1_1-b8a52dc0.pth", "exact", torch_keys=squeezenet_arch.squeezenet_torch_keys,
                       first_conv="conv1"))
_add(PretrainedNetwork("googlenet", 22, 27, 7.0, (224, 224, 3), 144, 170, False, googlenet_arch.googlenet_graph,
                       note="Caffe BVLC GoogLeNet (no batch normalization, 5×5 branches); torchvision's googlenet "
                            "is another network, so there is no public torch weight file for it."))
_add(PretrainedNetwork("resnet18", 18, 44, 11.7, (224, 224, 3), 71, 78, False, resnet.resnet18_graph,
                       "resnet18-f37072fd.pth", "exact", torch_keys=resnet.resnet18_torch_keys))
_add(PretrainedNetwork("resnet50", 50, 96, 25.6, (224, 224, 3), 177, 192, False, resnet.resnet50_graph,
                       "resnet50-0676ba61.pth", "adapted",
                       note="torchvision's ResNet-50 is v1.5: the pretrained form puts the stride-2 of each stage's "
                            "first block on 'res*a_branch2b' (not 'res*a_branch2a'), pads 'max_pooling2d_1' by 1 and "
                            "uses batch normalization Epsilon 1e-5.",
                       pretrained_build=lambda: resnet.resnet50_graph(torchvision_strides=True),
                       torch_keys=lambda: resnet.bottleneck_torch_keys(50), bn_epsilon=1e-5, first_conv="conv1"))
_add(PretrainedNetwork("resnet101", 101, 167, 44.6, (224, 224, 3), 347, 379, False, resnet.resnet101_graph,
                       "resnet101-63fe2227.pth", "adapted",
                       note="torchvision's ResNet-101 is v1.5: the pretrained form puts the stride-2 of each stage's "
                            "first block on 'res*a_branch2b' and pads 'pool1' by 1 on every side.",
                       pretrained_build=lambda: resnet.resnet101_graph(torchvision_strides=True),
                       torch_keys=lambda: resnet.bottleneck_torch_keys(101), first_conv="conv1"))
_add(PretrainedNetwork("mobilenetv2", 53, 13, 3.5, (224, 224, 3), 154, 163, False, mobilenetv2_arch.mobilenetv2_graph,
                       "mobilenet_v2-b0353104.pth", "adapted",
                       note="torchvision pads stride-2 convolutions by 1 on every side ('same' pads [0 1 0 1]) and "
                            "uses batch normalization Epsilon 1e-5; the pretrained form sets those values.",
                       pretrained_build=lambda: mobilenetv2_arch.mobilenetv2_graph(torchvision_padding=True),
                       torch_keys=mobilenetv2_arch.mobilenetv2_torch_keys, bn_epsilon=1e-5))
_add(PretrainedNetwork("inceptionv3", 48, 89, 23.9, (299, 299, 3), 315, 349, False,
                       lambda: inceptionv3_arch.inceptionv3_graph()[0], "inception_v3_google-0cc3c7bd.pth", "exact",
                       note="torchvision's Google weights; the auxiliary classifier (AuxLogits.*) is not loaded.",
                       torch_keys=inceptionv3_arch.inceptionv3_torch_keys, ignore=("AuxLogits.",)))
_add(PretrainedNetwork("densenet201", 201, 77, 20.0, (224, 224, 3), 709, 806, False, densenet_arch.densenet201_graph,
                       "densenet201-c1103571.pth", "adapted",
                       note="batch normalization Epsilon 1e-5 (torchvision) instead of Keras' 1.001e-5.",
                       pretrained_build=lambda: densenet_arch.densenet201_graph(epsilon=1e-5),
                       torch_keys=densenet_arch.densenet201_torch_keys, state_transform=densenet_arch.densenet_state_keys))
_add(PretrainedNetwork("efficientnetb0", 82, 20, 5.3, (224, 224, 3), 290, 363, False,
                       efficientnet_arch.efficientnetb0_graph, "efficientnet_b0_rwightman-7f5810bc.pth", "adapted",
                       note="torchvision pads stride-2 convolutions symmetrically (MATLAB/TensorFlow 'same' pads "
                            "[0 1 0 1] / [1 2 1 2]) and uses batch normalization Epsilon 1e-5; the pretrained form "
                            "sets those values.",
                       pretrained_build=lambda: efficientnet_arch.efficientnetb0_graph(torchvision_padding=True),
                       torch_keys=efficientnet_arch.efficientnetb0_torch_keys, bn_epsilon=1e-5))
_add(PretrainedNetwork("xception", 71, 85, 22.9, (299, 299, 3), 170, 181, False, xception_arch.xception_graph,
                       note="torchvision publishes no Xception weights, so there is no public torch weight file for it."))
_add(PretrainedNetwork("darknet19", 19, 78, 20.8, (256, 256, 3), 64, 63, True, darknet_arch.darknet19_graph,
                       note="torchvision publishes no DarkNet weights, so there is no public torch weight file for it."))
_add(PretrainedNetwork("darknet53", 53, 155, 41.6, (256, 256, 3), 184, 206, False, darknet_arch.darknet53_graph,
                       note="torchvision publishes no DarkNet weights, so there is no public torch weight file for it."))


def network_info(name: str) -> PretrainedNetwork:
    key = str(name).lower()
    if key not in NETWORKS:
        from ...errors import OptionError

        raise OptionError(f"Unknown pretrained network '{name}'. Available: {', '.join(sorted(NETWORKS))}.")
    return NETWORKS[key]


def pretrained_graph_from_state(name: str, state: dict, *, source: str = "weight file") -> LayerGraph:
    """The network ``name`` with the tensors of a torchvision-layout ``state`` dict, in MATLAB layout."""
    info = network_info(name)
    if info.torch_keys is None:
        raise PretrainedWeightsError(f"{name}: {info.note}")
    graph = (info.pretrained_build or info.build)()
    state = info.state_transform(state) if info.state_transform else dict(state)
    graph = map_state_dict(graph, info.torch_keys(), state, network=name, bn_epsilon=info.bn_epsilon,
                           source=source, ignore=info.ignore)
    first = graph.layer_list()[0]
    if first.Normalization == "rescale-symmetric":
        pass   # x/127.5 - 1: what torchvision's transform_input makes of its normalised input
    elif first.Normalization == "zscore":
        graph = _replace_input(graph, first.copy(Mean=channel_stats(IMAGENET_MEAN),
                                                 StandardDeviation=channel_stats(IMAGENET_STD)))
    else:
        graph = _replace_input(graph, first.copy(Mean=channel_stats(IMAGENET_MEAN)))
        graph = fold_input_scale(graph, info.first_conv, IMAGENET_STD)
    return _with_classes(graph)


def _replace_input(graph: LayerGraph, layer) -> LayerGraph:
    from .common import NetBuilder

    b = NetBuilder()
    b.layers = [layer if l.Name == layer.Name else l for l in graph.layer_list()]
    b.edges = [(f"{s}/{sp}", f"{d}/{dp}") for s, sp, d, dp in graph.edge_list()]
    return b.graph()


def _with_classes(graph: LayerGraph) -> LayerGraph:
    from .classes import imagenet_class_names

    last = graph.layer_list()[-1]
    names = imagenet_class_names()
    return _replace_input(graph, last.copy(Classes=names)) if names is not None else graph


def load_pretrained(name: str):
    """``net = name``: the assembled network with ImageNet weights from the torch.hub cache."""
    from ...network import assembleNetwork

    info = network_info(name)
    if info.weight_file is None:
        raise PretrainedWeightsError(
            f"{name}: no public weight file computes MATLAB's {name}. {info.note} "
            f"Use {name}('Weights','none') for the untrained network."
        )
    path = locate(name, info.weight_file, info.weight_url)
    state = read_state_dict(path)
    return assembleNetwork(pretrained_graph_from_state(name, state, source=f"weight file '{path.name}'"))


def untrained(name: str):
    info = network_info(name)
    graph = info.build()
    return LayerArray(graph.layer_list()) if info.series else graph


def _constructor(name: str):
    def constructor(*args, **kwargs):
        weights = parse_weights_option(name, args, kwargs)
        return untrained(name) if weights == "none" else load_pretrained(name)

    constructor.__name__ = constructor.__qualname__ = name
    info = NETWORKS[name]
    kind = "SeriesNetwork" if info.series else "DAGNetwork"
    constructor.__doc__ = (
        f"``net = {name}`` (pretrained {kind}, ImageNet) or ``{name}('Weights','none')`` (the untrained "
        f"{'Layer array' if info.series else 'LayerGraph'}). Input {info.input_size}, "
        f"{info.parameters_millions} M parameters (MathWorks' table)."
    )
    return matlab_function(name, outputs=("net",))(constructor)


alexnet = _constructor("alexnet")
googlenet = _constructor("googlenet")
squeezenet = _constructor("squeezenet")
resnet18 = _constructor("resnet18")
resnet50 = _constructor("resnet50")
resnet101 = _constructor("resnet101")
vgg16 = _constructor("vgg16")
vgg19 = _constructor("vgg19")
mobilenetv2 = _constructor("mobilenetv2")
inceptionv3 = _constructor("inceptionv3")
densenet201 = _constructor("densenet201")
xception = _constructor("xception")
efficientnetb0 = _constructor("efficientnetb0")
darknet19 = _constructor("darknet19")
darknet53 = _constructor("darknet53")

CONSTRUCTORS = ["alexnet", "googlenet", "squeezenet", "resnet18", "resnet50", "resnet101", "vgg16", "vgg19",
                "mobilenetv2", "inceptionv3", "densenet201", "xception", "efficientnetb0", "darknet19", "darknet53"]


# ---- imagePretrainedNetwork (R2024a) -------------------------------------------------------------------

def _head_for_dlnetwork(graph: LayerGraph, name: str, num_classes) -> LayerGraph:
    """Drop the classification layer; squeezenet's 1×1×1000 scores get a flattenLayer 'prob_flatten'
    (MathWorks' page: OutputNames {'prob_flatten'}); NumClasses replaces the last learnable layer by
    one of the same type with that many outputs (same name, MATLAB's initializers)."""
    from ...graph import addLayers, connectLayers, removeLayers, replaceLayer
    from .common import layer as make_layer

    output = graph.layer_list()[-1]
    source = graph.source_of(output.Name, "in")[0]
    graph = removeLayers(graph, output.Name)
    if name == "squeezenet":
        graph = addLayers(graph, make_layer("flattenLayer", Name=f"{source}_flatten"))
        graph = connectLayers(graph, source, f"{source}_flatten")
    if num_classes is not None:
        last = next(l for l in reversed(graph.layer_list()) if l.learnable_names() and "Weights" in l.learnable_names())
        if last.MATLAB_NAME == "fullyConnectedLayer":
            new = make_layer("fullyConnectedLayer", num_classes, Name=last.Name)
        else:
            new = make_layer(last.MATLAB_NAME, last.FilterSize, num_classes, Name=last.Name, Stride=last.Stride,
                             Padding=last.Padding)
        graph = replaceLayer(graph, last.Name, new)
    return graph


def _image_pretrained_options(args: tuple, kwargs: dict) -> tuple[int | None, str]:
    from ...errors import OptionError

    if len(args) % 2:
        raise OptionError("imagePretrainedNetwork: name-value arguments must come in pairs.")
    num_classes, weights = None, "pretrained"
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        k = str(key).lower()
        if k == "numclasses":
            if isinstance(value, bool) or not float(value).is_integer() or value < 1:
                raise OptionError(f"imagePretrainedNetwork: NumClasses must be a positive integer, got {value!r}.")
            num_classes = int(value)
        elif k == "weights":
            if str(value).lower() not in ("pretrained", "none"):
                raise OptionError(f"imagePretrainedNetwork: Weights must be \"pretrained\" or \"none\", got {value!r}.")
            weights = str(value).lower()
        else:
            raise OptionError(f"imagePretrainedNetwork: '{key}' is not an option. Valid options: NumClasses, Weights.")
    return num_classes, weights


@matlab_function(outputs=("net", "classNames"))
def imagePretrainedNetwork(name: str = "squeezenet", *args, **kwargs):
    """``[net, classNames] = imagePretrainedNetwork(name, NumClasses=k, Weights="pretrained"|"none")``.

    A dlnetwork (no classification layer) and the 1000 ImageNet class names (a list of str; empty when
    NumClasses replaces the head). ``Weights="none"``: the architecture with MATLAB's initializers
    (layergraph networks are always initialized).
    """
    from ...network import dlnetwork

    num_classes, weights = _image_pretrained_options(args, kwargs)
    info = network_info(name)
    if weights == "none":
        graph = info.build()
    else:
        from .weights import locate, read_state_dict

        if info.weight_file is None:
            raise PretrainedWeightsError(
                f"{info.name}: no public weight file computes MATLAB's {info.name}. {info.note} "
                f"Use imagePretrainedNetwork(\"{info.name}\", Weights=\"none\") for the untrained network."
            )
        path = locate(info.name, info.weight_file, info.weight_url)
        graph = pretrained_graph_from_state(info.name, read_state_dict(path), source=f"weight file '{path.name}'")
    from .classes import imagenet_class_names

    net = dlnetwork(_head_for_dlnetwork(graph, info.name, num_classes))
    return net, ([] if num_classes is not None else imagenet_class_names())
