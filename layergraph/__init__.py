"""layergraph: MATLAB's Deep Learning Toolbox vocabulary, validated as a DAG and compiled to PyTorch.

``from layergraph import *`` gives every MATLAB name: the layer constructors (generated from the layer
registry), layerGraph and its edit functions, analyzeNetwork, assembleNetwork, dlnetwork, ...
"""

from __future__ import annotations

from . import layers as _layers
from .values import (
    Categorical,
    Table,
    addcats,
    categorical,
    categories,
    countcats,
    iscategory,
    isundefined,
    mergecats,
    onehotdecode,
    onehotencode,
    removecats,
    renamecats,
    reordercats,
    setcats,
    table,
)
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
from .layers.custom import (
    CustomLayer,
    CustomOutputLayer,
    Learnable,
    Property,
    State,
    custom_layer,
    define_custom_layer,
    getL2Factor,
    getLearnRateFactor,
    matlab_to_torch,
    setL2Factor,
    setLearnRateFactor,
    torch_to_matlab,
)
from .checklayer import CheckLayerResult, checkLayer
from .training import (
    Checkpoint,
    TrainingInfo,
    TrainingOptions,
    activations,
    classify,
    loadCheckpoint,
    minibatchpredict,
    predict,
    scores2label,
    testnet,
    trainingOptions,
    trainNetwork,
    trainnet,
)
from .spec import load_spec, save_spec, spec_schema
from .dl import (
    DLArray,
    dims,
    dlarray,
    dlfeval,
    dlgradient,
    extractdata,
    finddim,
    gather,
    isdlarray,
    stripdims,
)

_constructors = {name: make_constructor(cls) for name, cls in sorted(REGISTRY.items())}
globals().update(_constructors)

__version__ = "0.1.0"

__all__ = [
    *sorted(_constructors),
    # MATLAB value types (layergraph.values); height/width stay in the registry only
    "Categorical", "Table", "categorical", "categories", "countcats", "addcats", "removecats", "mergecats",
    "renamecats", "reordercats", "setcats", "iscategory", "isundefined", "onehotencode", "onehotdecode", "table",
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
    "CustomLayer",
    "CustomOutputLayer",
    "Property",
    "Learnable",
    "State",
    "custom_layer",
    "define_custom_layer",
    "setLearnRateFactor",
    "getLearnRateFactor",
    "setL2Factor",
    "getL2Factor",
    "torch_to_matlab",
    "matlab_to_torch",
    "checkLayer",
    "CheckLayerResult",
    "trainingOptions",
    "TrainingOptions",
    "trainNetwork",
    "trainnet",
    "TrainingInfo",
    "classify",
    "predict",
    "activations",
    "minibatchpredict",
    "scores2label",
    "testnet",
    "loadCheckpoint",
    "Checkpoint",
    "load_spec",
    "save_spec",
    "spec_schema",
    # custom training loops (layergraph.dl); MATLAB base functions such as sum/mean/max are never exported
    "DLArray",
    "dlarray",
    "dims",
    "finddim",
    "stripdims",
    "extractdata",
    "gather",
    "isdlarray",
    "dlfeval",
    "dlgradient",
]
