"""Shared pieces of the pretrained-network constructors: the graph builder, the ``'Weights'`` option,
ImageNet statistics and short layer constructors (from the one layer registry).

A family module builds MATLAB's layer names and order with :class:`NetBuilder` and, where a public
weight file exists, lists (MATLAB layer, kind, torch state-dict prefix) for the mapping; catalog.py
turns that into the MATLAB functions ``net = name``, ``layers = name('Weights','none')``.
"""

from __future__ import annotations

from ...errors import GraphError, OptionError
from ...graph import LayerGraph, _Edit, _insert_edge, _next_key

#: ImageNet channel statistics of torchvision's preprocessing, on MATLAB's 0..255 pixel scale.
IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)     # 123.675 116.28 103.53
IMAGENET_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)      # 58.395 57.12 57.375


def channel_stats(values) -> "torch.Tensor":
    import torch

    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, 3)


class NetBuilder:
    """Collects layers (in MATLAB's Layers order) and connections, then builds one LayerGraph in a
    single edit (linear time even for densenet201's 709 layers).

    ``chain(*layers, after=src)`` appends layers connected one after the other (the first one from
    ``after``, a 'layer' or 'layer/port' name, when given) and returns the last layer's name;
    ``connect(src, dst)`` adds one connection.
    """

    def __init__(self):
        self.layers: list = []
        self.edges: list[tuple[str, str]] = []

    def chain(self, *layers, after: str | None = None) -> str:
        names = [layer.Name for layer in layers]
        if after is not None:
            self.edges.append((after, names[0]))
        for a, b in zip(names, names[1:]):
            self.edges.append((a, b))
        self.layers.extend(layers)
        return names[-1]

    def connect(self, src: str, dst: str) -> None:
        self.edges.append((src, dst))

    def graph(self) -> LayerGraph:
        by_name = {}
        for layer in self.layers:
            if layer.Name in by_name:
                raise GraphError(f"Internal: duplicate layer name '{layer.Name}' in a pretrained architecture.")
            by_name[layer.Name] = layer

        def port(spec: str, output: bool) -> tuple[str, str]:
            name, _, p = spec.partition("/")
            layer = by_name[name]
            ports = layer.output_names() if output else layer.input_names()
            return name, (p or ports[0])

        def apply(edit: _Edit):
            for layer in self.layers:
                edit.set("layers", layer.Name, ((_next_key(edit, "layer"),), layer))
                edit.set("touch", layer.Name, ())
            for src, dst in self.edges:
                s, sp = port(src, True)
                d, dp = port(dst, False)
                _insert_edge(edit, None, s, sp, d, dp)

        return LayerGraph()._edit(apply)


def parse_weights_option(function: str, args: tuple, kwargs: dict) -> str:
    """``'Weights','imagenet'|'none'`` (name case-insensitive, also ``Weights='none'``)."""
    weights = "imagenet"
    if len(args) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs.")
    pairs = list(zip(args[::2], args[1::2])) + list(kwargs.items())
    for key, value in pairs:
        if not isinstance(key, str) or key.lower() != "weights":
            raise OptionError(f"{function}: '{key}' is not an option. Valid option: 'Weights'.")
        if not isinstance(value, str) or value.lower() not in ("imagenet", "none"):
            raise OptionError(f"{function}: 'Weights' must be 'imagenet' or 'none', got {value!r}.")
        weights = value.lower()
    return weights


# ---- layer constructors (from the one layer registry) ------------------------------------------------

def _ctor(name: str):
    from ...layers.base import REGISTRY

    return REGISTRY[name]


def layer(matlab_name: str, *args, **kwargs):
    """A layer from the registry by MATLAB constructor name: ``layer('reluLayer', Name='relu1')``."""
    return _ctor(matlab_name)(*args, **kwargs)


def image_input(name: str, size, normalization: str, **stats):
    return layer("imageInputLayer", list(size), Name=name, Normalization=normalization, **stats)


def imagenet_input(name: str, size, normalization: str):
    """The input layer with ImageNet statistics (per channel, 0..255 scale)."""
    if normalization == "zscore":
        return image_input(name, size, "zscore", Mean=channel_stats(IMAGENET_MEAN),
                           StandardDeviation=channel_stats(IMAGENET_STD))
    return image_input(name, size, normalization, Mean=channel_stats(IMAGENET_MEAN))


def conv(name, filt, num, *, stride=1, padding=0, **kw):
    return layer("convolution2dLayer", filt, num, Name=name, Stride=stride, Padding=padding, **kw)


def grouped_conv(name, filt, per_group, groups, *, stride=1, padding=0, **kw):
    return layer("groupedConvolution2dLayer", filt, per_group, groups, Name=name, Stride=stride, Padding=padding, **kw)


def bn(name, **kw):
    return layer("batchNormalizationLayer", Name=name, **kw)


def relu(name):
    return layer("reluLayer", Name=name)


def maxpool(name, size, *, stride=1, padding=0):
    return layer("maxPooling2dLayer", size, Name=name, Stride=stride, Padding=padding)


def avgpool(name, size, *, stride=1, padding=0):
    return layer("averagePooling2dLayer", size, Name=name, Stride=stride, Padding=padding)


def gap(name):
    return layer("globalAveragePooling2dLayer", Name=name)


def fc(name, n, **kw):
    return layer("fullyConnectedLayer", n, Name=name, **kw)


def softmax(name):
    return layer("softmaxLayer", Name=name)


def classification(name):
    return layer("classificationLayer", Name=name)


def dropout(name, p=0.5):
    return layer("dropoutLayer", p, Name=name)


def add(name, n=2):
    return layer("additionLayer", n, Name=name)


def concat(name, n):
    return layer("depthConcatenationLayer", n, Name=name)
