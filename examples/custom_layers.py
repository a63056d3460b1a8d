"""Custom layers in Python, the way MATLAB's documentation defines them, checked with checkLayer
and used in a network.

    python examples/custom_layers.py

Three of MATLAB's classic custom-layer examples:

* ``learnableEluLayer``: the ELU with one learnable alpha per channel (Steve Eddins' R2017b example),
  with its hand-written backward;
* ``channelPreluLayer``: the PReLU of MATLAB's "Define Custom Deep Learning Layer" page, sized lazily
  by ``initialize`` from the input layout (the built-in ``preluLayer`` of R2024a is a different layer,
  so this one has its own name);
* ``customWeightedAdditionLayer``: MATLAB's weighted addition example, a multi-input layer with a learnable
  weight per input (layergraph also ships it built in as ``weightedAdditionLayer``; this is the same layer
  written as a custom layer).
"""

from __future__ import annotations

import torch

from layergraph.layers.custom import CustomLayer, Learnable, Property, custom_layer
from layergraph.layers.options import integer_at_least, positive_integer


@custom_layer
class LearnableELULayer(CustomLayer):
    """ELU with a learnable alpha per channel: ``learnableEluLayer(numChannels, name)``.

    Z = max(X, 0) + Alpha .* (exp(min(X, 0)) - 1). Alpha is C×1×1 so that it broadcasts over the
    channels of an N×C×H×W (torch layout) input.
    """

    MATLAB_NAME = "learnableEluLayer"
    TYPE = "Exponential Linear Unit"
    POSITIONAL = ("NumChannels", "Name")
    NumChannels = Property(convert=positive_integer(), required=True)
    Alpha = Learnable(lambda layer: torch.rand(layer.NumChannels, 1, 1))

    def description(self):
        return f"Exponential linear unit with {self.NumChannels} channels"

    def predict(self, X):
        return torch.clamp(X, min=0) + self.Alpha * (torch.exp(torch.clamp(X, max=0)) - 1)

    def backward(self, X, Z, dLdZ):
        # The blog's backward: dLdX = dLdZ.*((X>0) + (X<=0).*(alpha+Z)); dLdAlpha summed over H, W, N.
        dLdX = dLdZ * ((X > 0) + (X <= 0) * (self.Alpha + Z))
        dLdAlpha = ((torch.exp(torch.clamp(X, max=0)) - 1) * dLdZ).sum(dim=(0, 2, 3)).reshape(self.Alpha.shape)
        return dLdX, dLdAlpha


@custom_layer
class ChannelPReLULayer(CustomLayer):
    """PReLU with a learnable slope per channel, sized from the input: ``channelPreluLayer(Name=...)``.

    Z = max(0, X) + Alpha .* min(0, X). Autograd computes the gradient (no backward).
    """

    MATLAB_NAME = "channelPreluLayer"
    TYPE = "PReLU"
    Alpha = Learnable()          # empty until initialize sees the input

    def initialize(self, layout):
        # One slope per channel, shaped to broadcast over N×C×S... (torch layout).
        self.Alpha = torch.rand((layout.channels,) + (1,) * len(layout.spatial))

    def description(self):
        return "PReLU" if self.Alpha is None else f"PReLU with {self.Alpha.shape[0]} channels"

    def predict(self, X):
        return torch.clamp(X, min=0) + self.Alpha * torch.clamp(X, max=0)


@custom_layer
class WeightedAdditionLayer(CustomLayer):
    """Weighted sum of its inputs, one learnable weight per input: ``customWeightedAdditionLayer(numInputs, name)``.

    Z = sum_i W(i) * X_i; Weights is 1×numInputs, initialized with rand as in MATLAB's example.
    """

    MATLAB_NAME = "customWeightedAdditionLayer"
    TYPE = "Weighted Addition"
    POSITIONAL = ("NumInputs", "Name")
    Weights = Learnable(lambda layer: torch.rand(1, layer.NumInputs))

    def _check(self):
        super()._check()
        if self.NumInputs < 2:
            raise self.fail("customWeightedAdditionLayer needs at least 2 inputs.")

    def description(self):
        return f"Weighted addition of {self.NumInputs} inputs"

    def predict(self, *X):
        Z = X[0] * self.Weights[0, 0]
        for i in range(1, len(X)):
            Z = Z + X[i] * self.Weights[0, i]
        return Z


if __name__ == "__main__":
    from layergraph import analyzeNetwork, assembleNetwork
    from layergraph.checklayer import checkLayer
    from layergraph.layers import REGISTRY

    make = {name: REGISTRY[name] for name in ("learnableEluLayer", "channelPreluLayer", "customWeightedAdditionLayer")}
    elu = make["learnableEluLayer"](20, "elu")
    print(elu, "\n")
    checkLayer(elu, [5, 5, 20], ObservationDimension=4)
    print()
    checkLayer(make["channelPreluLayer"](), [5, 5, 20], ObservationDimension=4)
    print()
    checkLayer(make["customWeightedAdditionLayer"](3, "wadd"), [[5, 5, 4]] * 3, ObservationDimension=4)
    print()

    from layergraph import (classificationLayer, connectLayers, convolution2dLayer, fullyConnectedLayer,
                            imageInputLayer, layerGraph, softmaxLayer)

    layers = [
        imageInputLayer([8, 8, 1], Name="in"),
        convolution2dLayer(3, 8, Padding="same", Name="conv"),
        make["learnableEluLayer"](8, "elu"),
        make["customWeightedAdditionLayer"](2, "wadd"),
        fullyConnectedLayer(10, Name="fc"),
        softmaxLayer(Name="sm"),
        classificationLayer(Name="out"),
    ]
    lgraph = layerGraph(layers)
    lgraph = connectLayers(lgraph, "conv", "wadd/in2")
    analyzeNetwork(lgraph)
    net = assembleNetwork(lgraph)
    print(net(torch.randn(4, 1, 8, 8)).shape)
