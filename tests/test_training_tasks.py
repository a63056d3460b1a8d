"""Output layers decide the training task: classification layers other than classificationLayer train
with labels and report accuracy; classify returns their classes."""

from __future__ import annotations

import math

import numpy as np

from layergraph import classify, featureInputLayer, fullyConnectedLayer, softmaxLayer, trainingOptions, trainNetwork
from layergraph import sseClassificationLayer


def test_sse_classification_layer_trains_as_classification():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4)).astype(np.float32)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]
    options = trainingOptions("sgdm", "MaxEpochs", 2, "MiniBatchSize", 20, "Verbose", False)
    layers = [featureInputLayer(4), fullyConnectedLayer(3), softmaxLayer, sseClassificationLayer("sse")]
    net, info = trainNetwork(x, labels, layers, options)
    assert len(info.TrainingAccuracy) == 6   # floor(60/20) iterations × 2 epochs
    assert all(0 <= a <= 100 and not math.isnan(a) for a in info.TrainingAccuracy)
    predicted, scores = classify(net, x)
    assert set(predicted) <= {"a", "b", "c"} and scores.shape == (60, 3)


def test_trained_network_with_batch_norm_saves_and_loads(tmp_path):
    import torch

    from layergraph import (assembleNetwork, batchNormalizationLayer, classificationLayer, convolution2dLayer,
                            imageInputLayer, layerGraph, load_spec, reluLayer, save_spec)

    net = assembleNetwork([imageInputLayer([8, 8, 1], Normalization="none"), convolution2dLayer(3, 4),
                           batchNormalizationLayer, reluLayer, fullyConnectedLayer(2), softmaxLayer,
                           classificationLayer])
    assert net.Layers[2].NumChannels == 4
    save_spec(layerGraph(net), tmp_path / "net.json")
    again = assembleNetwork(load_spec(tmp_path / "net.json"))
    x = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(again.predict(x), net.predict(x))
