"""ExecutionEnvironment 'parallel': 2 CPU processes (gloo, DDP, spawned in-process) match one process
with the same global mini-batch."""

import numpy as np
import torch

from layergraph import classificationLayer, featureInputLayer, fullyConnectedLayer, reluLayer, softmaxLayer
from layergraph.training import classify, trainingOptions, trainNetwork


def test_two_cpu_processes_match_one_process(monkeypatch):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(48, 3, generator=g)
    y = np.array(["a", "b", "c"])[(X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()]
    W1 = torch.linspace(-0.4, 0.4, 15).reshape(5, 3)
    W2 = torch.linspace(0.3, -0.3, 15).reshape(3, 5)
    layers = [featureInputLayer(3, Normalization="zscore"), fullyConnectedLayer(5, Weights=W1, Bias=torch.zeros(5, 1)),
              reluLayer, fullyConnectedLayer(3, Weights=W2, Bias=torch.zeros(3, 1)), softmaxLayer, classificationLayer]
    common = dict(MaxEpochs=3, MiniBatchSize=8, Shuffle="never", InitialLearnRate=0.1, Verbose=False,
                  GradientThreshold=0.5, L2Regularization=1e-3, ValidationData=(X[:16], y[:16]), ValidationFrequency=4)
    one, info1 = trainNetwork(X, y, layers, trainingOptions("sgdm", ExecutionEnvironment="cpu", **common))
    monkeypatch.setenv("LAYERGRAPH_NUM_WORKERS", "2")
    two, info2 = trainNetwork(X, y, layers, trainingOptions("sgdm", ExecutionEnvironment="parallel", **common))
    for (k, a), b in zip(one.state_dict().items(), two.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=k)
    np.testing.assert_allclose(info1.TrainingLoss, info2.TrainingLoss, rtol=1e-5)
    np.testing.assert_allclose(info1.ValidationLoss, info2.ValidationLoss, rtol=1e-5)
    assert list(two.Layers[-1].Classes) == ["a", "b", "c"]
    np.testing.assert_array_equal(classify(one, X)[0], classify(two, X)[0])
