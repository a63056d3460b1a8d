"""MATLAB's "Sequence Classification Using Deep Learning" example (Japanese Vowels, BiLSTM), in layergraph.

The MATLAB script, line for line:

    [XTrain, YTrain] = japaneseVowelsTrainData;          % 270 sequences, 12 features, 9 speakers
    [~, idx] = sort(cellfun(@(x) size(x, 2), XTrain));  % sort by length
    XTrain = XTrain(idx); YTrain = YTrain(idx);
    layers = [sequenceInputLayer(12)
              bilstmLayer(100, 'OutputMode', 'last')
              fullyConnectedLayer(9)
              softmaxLayer
              classificationLayer];
    options = trainingOptions('adam', 'ExecutionEnvironment', 'cpu', 'GradientThreshold', 1, ...
        'MaxEpochs', 50, 'MiniBatchSize', 27, 'SequenceLength', 'longest', 'Shuffle', 'never', ...
        'Verbose', 0, 'Plots', 'training-progress');
    net = trainNetwork(XTrain, YTrain, layers, options);
    YPred = classify(net, XTest, 'MiniBatchSize', 27, 'SequenceLength', 'longest');
    acc = sum(YPred == YTest) ./ numel(YTest)              % MATLAB reports about 0.95

The data ship with the ``aeon`` package (``pip install aeon``; no network needed). aeon stores each
sequence as 12×T (MATLAB's C×T); layergraph takes T×C, so each one is transposed.

Run:  python examples/japanese_vowels_bilstm.py [--epochs 50] [--seed 0] [--verbose] [--plot]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from layergraph import bilstmLayer, classificationLayer, fullyConnectedLayer, sequenceInputLayer, softmaxLayer
from layergraph.training import classify, trainingOptions, trainNetwork


def load(split: str):
    from aeon.datasets import load_japanese_vowels

    X, y = load_japanese_vowels(split=split)
    seqs = [np.ascontiguousarray(np.asarray(x, dtype=np.float32).T) for x in X]   # 12×T -> T×12
    labels = [str(v) for v in y]
    order = np.argsort([len(s) for s in seqs], kind="stable")                     # sort by length
    return [seqs[i] for i in order], [labels[i] for i in order]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    XTrain, YTrain = load("train")
    XTest, YTest = load("test")
    print(f"{len(XTrain)} training and {len(XTest)} test sequences of {XTrain[0].shape[1]} features, "
          f"{len(set(YTrain))} classes")

    layers = [
        sequenceInputLayer(12),
        bilstmLayer(100, "OutputMode", "last"),
        fullyConnectedLayer(9),
        softmaxLayer,
        classificationLayer,
    ]
    options = trainingOptions(
        "adam",
        "ExecutionEnvironment", "cpu",
        "GradientThreshold", 1,
        "MaxEpochs", args.epochs,
        "MiniBatchSize", 27,
        "SequenceLength", "longest",
        "Shuffle", "never",
        "Verbose", args.verbose,
        "VerboseFrequency", 10,
        "Plots", "training-progress" if args.plot else "none",
    )
    start = time.perf_counter()
    net, info = trainNetwork(XTrain, YTrain, layers, options)
    seconds = time.perf_counter() - start
    YPred, _ = classify(net, XTest, "MiniBatchSize", 27, "SequenceLength", "longest")
    acc = float(np.mean(YPred == np.asarray(YTest)))
    print(net.Layers)
    print(f"training: {len(info.TrainingLoss)} iterations in {seconds:.1f} s, final mini-batch loss "
          f"{info.TrainingLoss[-1]:.4f}")
    print(f"acc = {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
