"""A fast run of MATLAB's Japanese Vowels example (data from aeon): a subset, a few epochs, the loss drops.

The full example (50 epochs, test accuracy about 0.96) is examples/japanese_vowels_bilstm.py.
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from japanese_vowels_bilstm import load  # noqa: E402

from layergraph import bilstmLayer, classificationLayer, fullyConnectedLayer, sequenceInputLayer, softmaxLayer  # noqa: E402
from layergraph.training import classify, trainingOptions, trainNetwork  # noqa: E402


def test_japanese_vowels_subset_trains():
    torch.manual_seed(0)
    X, Y = load("train")
    assert len(X) == 270 and X[0].shape[1] == 12 and len(set(Y)) == 9
    assert all(len(a) <= len(b) for a, b in zip(X, X[1:]))          # sorted by length
    keep = list(range(0, 270, 3))                                    # 90 sequences, all 9 speakers
    Xs, Ys = [X[i] for i in keep], [Y[i] for i in keep]
    layers = [sequenceInputLayer(12), bilstmLayer(16, "OutputMode", "last"), fullyConnectedLayer(9), softmaxLayer,
              classificationLayer]
    opts = trainingOptions("adam", "GradientThreshold", 1, "MaxEpochs", 6, "MiniBatchSize", 15,
                           "Shuffle", "never", "Verbose", False, "InitialLearnRate", 0.01)
    net, info = trainNetwork(Xs, Ys, layers, opts)
    assert len(info.TrainingLoss) == 36
    assert info.TrainingLoss[-6:].mean() < 0.7 * info.TrainingLoss[:6].mean()
    yp, scores = classify(net, Xs, "MiniBatchSize", 15)
    assert scores.shape == (90, 9) and list(net.Layers[-1].Classes) == [str(k) for k in range(1, 10)]
    assert np.mean(yp == np.asarray(Ys)) > 0.5
