"""layergraph: MATLAB's Deep Learning Toolbox vocabulary, validated as a DAG and compiled to PyTorch.

``from layergraph import *`` gives every MATLAB name: the layer constructors (generated from the layer
registry), layerGraph and its edit functions, analyzeNetwork, assembleNetwork, dlnetwork, ...
"""

from __future__ import annotations

from . import layers as _layers
from .errors import (
    CustomLayerError,
    GraphError,
    LayerGraphError,
    LayoutError,
    MatlabPortError,
    NetworkError,
    OptionError,
    SpecError,
    TrainingError,
)
from .graph import (
    LayerArray,
    LayerGraph,
    addLayers,
    connectLayers,
    disconnectLayers,
    layerGraph,
    removeLayers,
    replaceLayer,
)
from .analysis import NetworkAnalysis, analyzeNetwork
from .network import Network, assembleNetwork, dlnetwork, summary
from .layers.base import REGISTRY, Layer, Layout, make_constructor, register

_constructors = {name: make_constructor(cls) for name, cls in sorted(REGISTRY.items())}
globals().update(_constructors)

__version__ = "0.1.0"

__all__ = [
    *sorted(_constructors),
    "LayerGraph",
    "LayerArray",
    "Layer",
    "Layout",
    "register",
    "layerGraph",
    "addLayers",
    "removeLayers",
    "replaceLayer",
    "connectLayers",
    "disconnectLayers",
    "analyzeNetwork",
    "NetworkAnalysis",
    "assembleNetwork",
    "dlnetwork",
    "summary",
    "Network",
    "LayerGraphError",
    "OptionError",
    "GraphError",
    "LayoutError",
    "NetworkError",
    "SpecError",
    "MatlabPortError",
    "TrainingError",
    "CustomLayerError",
]
