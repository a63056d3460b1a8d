"""MATLAB layers, one class per layer type. Importing this package registers every built-in layer."""

from .base import REGISTRY, Layer, Layout, as_layer, layer_class, make_constructor, register, unregister
from . import input, convolution, activation, normalization, pooling, combination, recurrent, sequence, resize, output, custom, utility, projected, network_layer  # noqa: F401  (registration)

__all__ = ["REGISTRY", "Layer", "Layout", "as_layer", "layer_class", "make_constructor", "register", "unregister"]
