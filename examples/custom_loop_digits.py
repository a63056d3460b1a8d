"""Train a network with a custom training loop, the MATLAB way (Python rendition of MathWorks'
"Train Network Using Custom Training Loop", on scikit-learn's 8×8 handwritten digits).

The same program as examples/matlab/custom_loop_digits.m: dlnetwork, dlarray(..., 'SSCB'),
onehotencode, dlfeval with a model-loss function calling forward, crossentropy and dlgradient,
net.State = state, adamupdate; then predict + extractdata + max for the accuracy.

Run:  OMP_NUM_THREADS=1 python examples/custom_loop_digits.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from layergraph import (adamupdate, batchNormalizationLayer, convolution2dLayer, crossentropy, dlarray, dlfeval,
                        dlgradient, dlnetwork, extractdata, forward, fullyConnectedLayer, imageInputLayer,
                        maxPooling2dLayer, predict, reluLayer, softmaxLayer)
from layergraph.demo import digits_matlab_layout
from layergraph.values import categories, onehotencode


def load_digits_matlab_layout(seed: int = 0):
    """XTrain 8×8×1×N single, TTrain N×1 categorical (and the test split), as digitsTrain.mat/digitsTest.mat
    hold them (layergraph.demo.write_digits_mat writes those files from the same arrays)."""
    return digits_matlab_layout(seed)


def model_loss(net, X, T):
    """[loss, gradients, state] = modelLoss(net, X, T)."""
    Y, state = forward(net, X)
    loss = crossentropy(Y, T)
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients, state


def train(num_epochs: int = 8, mini_batch_size: int = 64, learn_rate: float = 0.01, seed: int = 0,
          verbose: bool = True):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    XTrain, TTrain, XTest, TTest = load_digits_matlab_layout(seed)
    classes = categories(TTrain)
    layers = [
        imageInputLayer([8, 8, 1], Normalization="none"),
        convolution2dLayer(3, 16, Padding="same"),
        batchNormalizationLayer,
        reluLayer,
        maxPooling2dLayer(2, Stride=2),
        fullyConnectedLayer(len(classes)),
        softmaxLayer,
    ]
    net = dlnetwork(layers)

    num_observations = XTrain.shape[3]
    num_iterations_per_epoch = num_observations // mini_batch_size
    average_grad, average_sq_grad = [], []
    iteration = 0
    start = time.perf_counter()
    for epoch in range(1, num_epochs + 1):
        order = rng.permutation(num_observations)
        for i in range(num_iterations_per_epoch):
            iteration += 1
            idx = order[i * mini_batch_size:(i + 1) * mini_batch_size]
            X = dlarray(XTrain[:, :, :, idx], "SSCB")
            T = onehotencode(TTrain[idx], 2).T                  # numClasses×miniBatchSize
            loss, gradients, state = dlfeval(model_loss, net, X, T)
            net.State = state
            net, average_grad, average_sq_grad = adamupdate(net, gradients, average_grad, average_sq_grad,
                                                            iteration, learn_rate)
        if verbose:
            print(f"Epoch {epoch}, iteration {iteration}, loss {extractdata(loss).item():.4f}, "
                  f"elapsed {time.perf_counter() - start:.1f} s")

    scores = extractdata(predict(net, dlarray(XTest, "SSCB")))          # numClasses×N
    idx = scores.argmax(axis=0)                                         # [~, idx] = max(scores, [], 1)
    YPred = np.asarray(classes, dtype=object)[idx]
    accuracy = float(np.mean(YPred == np.asarray(TTest).reshape(-1)))
    if verbose:
        print(f"Test accuracy: {accuracy:.4f}")
    return net, accuracy


if __name__ == "__main__":
    torch.set_num_threads(1)
    train()
