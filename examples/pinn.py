"""A physics-informed neural network, the MATLAB way (Python rendition of examples/matlab/pinn.m).

Solve the 1-D Poisson problem u''(x) = -π² sin(πx) on [0, 1] with u(0) = u(1) = 0 (solution
u = sin(πx)) with a small tanh network: the loss is the mean squared residual of the equation at
collocation points plus the boundary error. The second derivative comes from dlgradient twice
('EnableHigherDerivatives'); training is Adam, then L-BFGS (lbfgsupdate), as MathWorks' PINN examples do.

Run:  OMP_NUM_THREADS=1 python examples/pinn.py
"""

from __future__ import annotations

import math

import numpy as np
import torch

from layergraph import (adamupdate, dlarray, dlfeval, dlgradient, dlnetwork, extractdata, featureInputLayer, forward,
                        fullyConnectedLayer, lbfgsState, lbfgsupdate, predict, tanhLayer)
from layergraph.dl.dlarray import dl_mean, dl_sum


def model_loss(net, X, X0, U0):
    """[loss, gradients] = modelLoss(net, X, X0, U0): PDE residual + boundary condition."""
    U, _ = forward(net, X)
    Ux = dlgradient(dl_sum(U, "all"), X, "EnableHigherDerivatives", True)
    Uxx = dlgradient(dl_sum(Ux, "all"), X, "EnableHigherDerivatives", True)
    f = -(math.pi ** 2) * dlarray(torch.sin(math.pi * X.data.detach()), "CB")
    residual = Uxx - f
    loss_pde = dl_mean(residual * residual, "all")
    U0pred, _ = forward(net, X0)
    loss_bc = dl_mean((U0pred - U0) * (U0pred - U0), "all")
    loss = loss_pde + loss_bc
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients


def train(num_adam: int = 300, num_lbfgs: int = 60, seed: int = 0, verbose: bool = True):
    torch.manual_seed(seed)
    layers = [featureInputLayer(1), fullyConnectedLayer(16), tanhLayer, fullyConnectedLayer(16), tanhLayer,
              fullyConnectedLayer(1)]
    net = dlnetwork(layers)
    X = dlarray(np.linspace(0, 1, 41).reshape(1, -1), "CB")
    X0 = dlarray(np.array([[0.0, 1.0]]), "CB")
    U0 = np.zeros((1, 2))
    avg, sq = [], []
    for iteration in range(1, num_adam + 1):
        loss, gradients = dlfeval(model_loss, net, X, X0, U0)
        net, avg, sq = adamupdate(net, gradients, avg, sq, iteration, 0.01)
    if verbose:
        print(f"Adam: {num_adam} iterations, loss {extractdata(loss).item():.3e}")
    state = lbfgsState()
    loss_fcn = lambda n: dlfeval(model_loss, n, X, X0, U0)      # noqa: E731
    for _ in range(num_lbfgs):
        net, state = lbfgsupdate(net, loss_fcn, state)
        if state.LineSearchStatus == "failed":
            break
    if verbose:
        print(f"L-BFGS: {state.Iteration} iterations, loss {state.Loss:.3e}")
    XTest = np.linspace(0, 1, 101).reshape(1, -1)
    UTest = extractdata(predict(net, dlarray(XTest.astype(np.float32), "CB")))
    error = float(np.max(np.abs(UTest - np.sin(math.pi * XTest))))
    if verbose:
        print(f"Max error against sin(pi x): {error:.4f}")
    return net, error


if __name__ == "__main__":
    torch.set_num_threads(1)
    train()
