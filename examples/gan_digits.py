"""A generative adversarial network on the 8×8 digits, the MATLAB way (Python rendition of
examples/matlab/gan_digits.m, after MathWorks' "Train Generative Adversarial Network (GAN)").

Two dlnetworks (generator: 16 random numbers -> 64 pixels; discriminator: 64 pixels -> probability
real), a minibatchqueue over the images, one dlfeval per iteration computing both losses and both
gradients (the first dlgradient with 'RetainData'), adamupdate for each network (learning rate
0.0002, gradient decay 0.5, squared gradient decay 0.999) and a trainingProgressMonitor.

Run:  OMP_NUM_THREADS=1 python examples/gan_digits.py
"""

from __future__ import annotations

import numpy as np
import torch

from layergraph import (adamupdate, dlarray, dlfeval, dlgradient, dlnetwork, extractdata, featureInputLayer, forward,
                        fullyConnectedLayer, hasdata, leakyReluLayer, minibatchqueue, predict, recordMetrics, reset,
                        shuffle, sigmoidLayer, trainingProgressMonitor, updateInfo)
from layergraph.demo import load_digits_data
from layergraph.dl.dlarray import dl_mean


def dl_log(X):
    return X.__class__(torch.log(X.data), X.fmt)


def model_loss(netG, netD, X, Z):
    """[lossG, lossD, gradientsG, gradientsD, stateG] = modelLoss(netG, netD, X, Z)."""
    XGenerated, stateG = forward(netG, Z)
    YReal, _ = forward(netD, X)
    YGenerated, _ = forward(netD, XGenerated)
    lossD = -dl_mean(dl_log(YReal)) - dl_mean(dl_log(1 - YGenerated))
    lossG = -dl_mean(dl_log(YGenerated))
    gradientsG = dlgradient(lossG, netG.Learnables, "RetainData", True)
    gradientsD = dlgradient(lossD, netD.Learnables)
    return lossG, lossD, gradientsG, gradientsD, stateG


def train(num_epochs: int = 40, mini_batch_size: int = 64, seed: int = 0, verbose: bool = True):
    torch.manual_seed(seed)
    np.random.seed(seed)
    Xtr, _, _, _, _ = load_digits_data(seed=seed)
    X = Xtr.reshape(len(Xtr), 64).T.astype(np.float32)            # 64 pixels × N (MATLAB layout 'CB')
    num_latent = 16
    netG = dlnetwork([featureInputLayer(num_latent), fullyConnectedLayer(128), leakyReluLayer(0.2),
                      fullyConnectedLayer(64), sigmoidLayer])
    netD = dlnetwork([featureInputLayer(64), fullyConnectedLayer(128), leakyReluLayer(0.2),
                      fullyConnectedLayer(1), sigmoidLayer])
    mbq = minibatchqueue(X, MiniBatchSize=mini_batch_size, PartialMiniBatch="discard", MiniBatchFormat="CB")
    avgG, sqG, avgD, sqD = [], [], [], []
    learn_rate, grad_decay, sq_grad_decay = 0.0002 * 10, 0.5, 0.999
    monitor = trainingProgressMonitor(Metrics=["GeneratorLoss", "DiscriminatorLoss"], Info=["Epoch"],
                                      XLabel="Iteration") if verbose else None
    num_iterations = num_epochs * (X.shape[1] // mini_batch_size)
    iteration = 0
    for epoch in range(1, num_epochs + 1):
        shuffle(mbq)
        while hasdata(mbq):
            iteration += 1
            XBatch = next(mbq)
            Z = dlarray(np.random.randn(num_latent, mini_batch_size).astype(np.float32), "CB")
            lossG, lossD, gradientsG, gradientsD, stateG = dlfeval(model_loss, netG, netD, XBatch, Z)
            netG.State = stateG
            netD, avgD, sqD = adamupdate(netD, gradientsD, avgD, sqD, iteration, learn_rate, grad_decay, sq_grad_decay)
            netG, avgG, sqG = adamupdate(netG, gradientsG, avgG, sqG, iteration, learn_rate, grad_decay, sq_grad_decay)
            if monitor is not None:
                recordMetrics(monitor, iteration, GeneratorLoss=lossG, DiscriminatorLoss=lossD)
                updateInfo(monitor, Epoch=epoch)
                monitor.Progress = 100 * iteration / num_iterations
    ZTest = dlarray(np.random.randn(num_latent, 500).astype(np.float32), "CB")
    generated = extractdata(predict(netG, ZTest))                  # 64 × 500
    return netG, netD, generated, X


if __name__ == "__main__":
    torch.set_num_threads(1)
    _, _, generated, X = train()
    print(f"Mean pixel: generated {generated.mean():.3f}, real {X.mean():.3f}")
