"""MATLAB's pretrained image networks (alexnet, googlenet, squeezenet, resnet18/50/101, vgg16/19,
mobilenetv2, ...): the architectures with MATLAB's names, and ImageNet weights read from torch.hub's
cache where a public weight file computes the same network. See docs/pretrained.md."""

from .catalog import (  # noqa: F401
    CONSTRUCTORS,
    NETWORKS,
    alexnet,
    darknet19,
    darknet53,
    densenet201,
    efficientnetb0,
    inceptionv3,
    googlenet,
    imagePretrainedNetwork,
    load_pretrained,
    mobilenetv2,
    network_info,
    pretrained_graph_from_state,
    resnet18,
    resnet50,
    resnet101,
    squeezenet,
    untrained,
    vgg16,
    vgg19,
    xception,
)
from .deeplab import deeplabv3plus, deeplabv3plusLayers  # noqa: F401
from .weights import PretrainedWeightsError, cache_dir, download  # noqa: F401
