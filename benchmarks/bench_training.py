"""Cost of a training epoch through trainNetwork vs a hand-written PyTorch loop (same model, optimizer,
batch size, data), in one run.

    python benchmarks/bench_training.py [--n 2048] [--batch 128] [--rounds 5] [--threads 1]

Model (MATLAB's small image classifier): imageInputLayer([28 28 1]) with 'zerocenter', conv 3×3×16,
ReLU, 2×2 max pooling, fully connected 10, softmax, classification. Optimizer SGDM, momentum 0.9,
learning rate 0.01, L2 1e-4 (MATLAB's defaults).

Two hand-written loops, each doing the minimum (index the batch, forward, loss, backward,
``torch.optim.SGD`` step, ``loss.item()``):

* "same model": the very network trainNetwork trains (the compiled layergraph Network, its
  input normalization and its MATLAB loss ``net.loss``) — this isolates what trainNetwork's loop adds
  (MATLAB's solver form, L2 factors, accuracy, the info struct, checks). This is the 5 % budget.
* "nn.Sequential": an equivalent plain PyTorch model with ``F.cross_entropy`` (informational: it also
  includes differences of the compiled model, which benchmarks/bench_forward.py measures).

trainNetwork's cost per epoch is measured as (time of E+2 epochs − time of E epochs) / 2, so the
one-off set-up (building the network, the normalization pass) is excluded, as for the hand-written
loops which are timed per epoch after a warm-up epoch. Rounds are interleaved so machine load affects
all alike; medians and median per-round ratios are printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn

from layergraph import (
    classificationLayer, convolution2dLayer, fullyConnectedLayer, imageInputLayer, maxPooling2dLayer, reluLayer,
    softmaxLayer,
)
from layergraph.training import trainingOptions, trainNetwork


def layers():
    return [imageInputLayer([28, 28, 1]), convolution2dLayer(3, 16), reluLayer, maxPooling2dLayer(2, Stride=2),
            fullyConnectedLayer(10), softmaxLayer, classificationLayer]


def torch_model():
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(16 * 13 * 13, 10))


def data(n: int):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return X, y


def hand_written_epoch(model, opt, X, y, mean, batch: int, order):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for k in range(len(order) // batch):
        idx = order[k * batch:(k + 1) * batch]
        xb, yb = X.index_select(0, idx) - mean, y.index_select(0, idx)
        out = model(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()


def same_model_epoch(net, opt, X, y, batch: int, order):
    net.train()
    for k in range(len(order) // batch):
        idx = order[k * batch:(k + 1) * batch]
        xb, yb = X.index_select(0, idx), y.index_select(0, idx)
        loss = net.loss(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1, help="E (trainNetwork runs E and E+2 epochs)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    X, y = data(args.n)
    labels = np.array([str(i) for i in range(10)])[y.numpy()]
    mean = X.mean((0, 2, 3), keepdim=True)

    def ours(epochs):
        opts = trainingOptions("sgdm", MaxEpochs=epochs, MiniBatchSize=args.batch, Verbose=False, Shuffle="once")
        t0 = time.perf_counter()
        trainNetwork(X, labels, layers(), opts)
        return time.perf_counter() - t0

    def theirs():
        model = torch_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        order = torch.randperm(args.n)
        hand_written_epoch(model, opt, X, y, mean, args.batch, order)       # warm-up epoch (not timed)
        t0 = time.perf_counter()
        hand_written_epoch(model, opt, X, y, mean, args.batch, order)
        return time.perf_counter() - t0

    def same():
        from layergraph import assembleNetwork
        from layergraph.training.loop import set_input_statistics

        net = assembleNetwork(layers())
        set_input_statistics(net, "imageinput", {"Mean": mean.reshape(1, 1, 1)})
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        order = torch.randperm(args.n)
        same_model_epoch(net, opt, X, y, args.batch, order)                  # warm-up epoch (not timed)
        t0 = time.perf_counter()
        same_model_epoch(net, opt, X, y, args.batch, order)
        return time.perf_counter() - t0

    ours(1), same(), theirs()                                              # warm-up
    a, b, c, ratios_same, ratios_seq = [], [], [], [], []
    for _ in range(args.rounds):
        short = ours(args.epochs)
        long = ours(args.epochs + 2)
        ta = (long - short) / 2
        tb = same()
        tc = theirs()
        a.append(ta)
        b.append(tb)
        c.append(tc)
        ratios_same.append(ta / tb)
        ratios_seq.append(ta / tc)
    it = args.n // args.batch
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {args.n} images 28×28×1, batch {args.batch}, "
          f"{it} iterations/epoch, {args.rounds} rounds")
    print(f"trainNetwork epoch:                          {statistics.median(a) * 1000:8.1f} ms")
    print(f"hand-written loop, same model:               {statistics.median(b) * 1000:8.1f} ms"
          f"   ratio {statistics.median(ratios_same):.3f}")
    print(f"hand-written loop, nn.Sequential + CE loss:  {statistics.median(c) * 1000:8.1f} ms"
          f"   ratio {statistics.median(ratios_seq):.3f}")


if __name__ == "__main__":
    main()
