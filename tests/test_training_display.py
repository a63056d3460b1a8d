"""The verbose table as MATLAB prints it, with an injected clock so the time column is deterministic.

Golden files: tests/golden/training_*.txt (regenerate with LAYERGRAPH_UPDATE_GOLDEN=1).
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from layergraph import (
    featureInputLayer, fullyConnectedLayer, imageInputLayer, convolution2dLayer, reluLayer, regressionLayer,
    softmaxLayer, classificationLayer,
)
from layergraph.training import trainingOptions, trainNetwork, trainnet
from layergraph.training.display import VerboseTable, fmt_loss, fmt_rate, hms
from layergraph import dlnetwork

GOLDEN = Path(__file__).parent / "golden"


class Clock:
    """Advances 7 seconds per reading."""

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 7.0
        return self.t


def check_golden(name, text):
    path = GOLDEN / name
    if os.environ.get("LAYERGRAPH_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text)
    assert text == path.read_text()


def data(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g)
    y = np.array(["cat", "dog", "emu"])[(X[:, 0] > 0.3).long() + (X[:, 1] > 0.5).long()]
    return X, y


def fixed_layers(k=3):
    W = torch.linspace(-0.5, 0.5, k * 3).reshape(k, 3)
    return [featureInputLayer(3), fullyConnectedLayer(k, Weights=W, Bias=torch.zeros(k, 1)), softmaxLayer,
            classificationLayer]


def test_formats():
    assert fmt_rate(0.01) == "0.0100" and fmt_rate(5e-4) == "0.0005" and fmt_rate(1e-4) == "1.0000e-04"
    assert fmt_rate(1e-6) == "1.0000e-06"
    assert fmt_loss(2.31394) == "2.3139" and fmt_loss(3038.84) == "3038.8" and fmt_loss(92238.51) == "92238.5"
    assert hms(3725.9) == "01:02:05"


def test_table_widths_and_headers():
    t = VerboseTable("accuracy", False)
    lines = t.header().splitlines()
    assert all(len(l) == 90 for l in lines)
    assert lines[1] == "|  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Mini-batch  |  Base Learning  |"
    assert lines[2] == "|         |             |   (hh:mm:ss)   |   Accuracy   |     Loss     |      Rate       |"
    assert t.row(30, 1170, 56, 98.4375, 0.15163, 0.01) == \
        "|      30 |        1170 |       00:00:56 |       98.44% |       0.1516 |          0.0100 |"
    v = VerboseTable("accuracy", True)
    lines = v.header().splitlines()
    assert all(len(l) == 120 for l in lines)
    assert lines[1] == ("|  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Validation  |  Mini-batch  |"
                        "  Validation  |  Base Learning  |")
    assert v.row(8, 72, 41, 100.0, 0.1395, 1e-4, 86.666, 0.4461) == \
        "|       8 |          72 |       00:00:41 |      100.00% |       86.67% |       0.1395 |       0.4461 |      1.0000e-04 |"
    assert v.row(1, 5, 3, 25.0, 3.2166, 1e-4) == \
        "|       1 |           5 |       00:00:03 |       25.00% |              |       3.2166 |              |      1.0000e-04 |"
    r = VerboseTable("rmse", False).header().splitlines()
    assert r[2] == "|         |             |   (hh:mm:ss)   |     RMSE     |     Loss     |      Rate       |"


def test_golden_classification_table(capsys):
    X, y = data()
    opts = trainingOptions("sgdm", MaxEpochs=4, MiniBatchSize=10, VerboseFrequency=10, Shuffle="never",
                           InitialLearnRate=0.2)
    trainNetwork(X, y, fixed_layers(), opts, clock=Clock())
    out = capsys.readouterr().out
    check_golden("training_classification.txt", out)
    lines = out.splitlines()
    assert lines[0] == "Training on single CPU."
    assert lines[-1] == "Training finished: Max epochs completed."
    iters = [int(l.split("|")[2]) for l in lines if re.match(r"^\|\s+\d", l)]
    assert iters == [1, 10, 20, 30, 36]              # 1, every VerboseFrequency, last (4 × floor(96/10))


def test_golden_validation_table(capsys):
    X, y = data()
    Xv, yv = data(30, seed=1)
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=16, VerboseFrequency=50, ValidationFrequency=4,
                           ValidationData=(Xv, yv), Shuffle="never", InitialLearnRate=1e-4 * 1000,
                           LearnRateSchedule="piecewise", LearnRateDropPeriod=1, LearnRateDropFactor=0.001)
    net, info = trainNetwork(X, y, fixed_layers(), opts, clock=Clock())
    out = capsys.readouterr().out
    check_golden("training_validation.txt", out)
    iters = [int(l.split("|")[2]) for l in out.splitlines() if re.match(r"^\|\s+\d", l)]
    assert iters == [1, 4, 8, 12]                    # 6 it/epoch; validation rows and the last
    assert "1.0000e-04" in out
    assert np.isfinite(info.ValidationLoss[[0, 3, 7, 11]]).all()
    assert np.isnan(info.ValidationLoss[[1, 2, 4]]).all()


def test_golden_regression_table_and_normalization_line(capsys):
    g = torch.Generator().manual_seed(3)
    X = torch.rand(40, 1, 4, 4, generator=g)
    Y = X.mean((1, 2, 3)).unsqueeze(1) * 10
    layers = [imageInputLayer([4, 4, 1]), convolution2dLayer(2, 2, Weights=torch.full((2, 2, 1, 2), 0.1), Bias=torch.zeros(1, 1, 2)),
              reluLayer, fullyConnectedLayer(1, Weights=torch.full((1, 18), 0.05), Bias=torch.zeros(1, 1)), regressionLayer]
    opts = trainingOptions("adam", MaxEpochs=3, MiniBatchSize=8, VerboseFrequency=5, Shuffle="never")
    trainNetwork(X, Y, layers, opts, clock=Clock())
    out = capsys.readouterr().out
    check_golden("training_regression.txt", out)
    lines = out.splitlines()
    assert lines[:2] == ["Training on single CPU.", "Initializing input data normalization."]
    assert "     RMSE     " in lines[4]


def test_golden_trainnet_table(capsys):
    X, y = data()
    net = dlnetwork([featureInputLayer(3), fullyConnectedLayer(3, Weights=torch.linspace(-0.5, 0.5, 9).reshape(3, 3),
                                                               Bias=torch.zeros(3, 1)), softmaxLayer])
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=16, VerboseFrequency=5, Shuffle="never",
                           Metrics="accuracy")
    trainnet(X, y, net, "crossentropy", opts, clock=Clock())
    out = capsys.readouterr().out
    check_golden("training_trainnet.txt", out)
    assert out.splitlines()[-1] == "Training stopped: Max epochs completed"


def test_verbose_false_prints_nothing(capsys):
    X, y = data()
    trainNetwork(X, y, fixed_layers(), trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=32, Verbose=False))
    assert capsys.readouterr().out == ""


def test_training_progress_plot_png(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAYERGRAPH_PLOT_DIR", str(tmp_path))
    X, y = data()
    trainNetwork(X, y, fixed_layers(), trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=32, Verbose=False,
                                                       Plots="training-progress"))
    out = capsys.readouterr().out
    m = re.search(r"Training progress plot: (.+\.png)", out)
    assert m
    png = Path(m.group(1))
    assert png.parent == tmp_path and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hardware_line_only_when_execution_environment_is_auto(capsys):
    X, y = data()
    trainNetwork(X, y, fixed_layers(), trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=32,
                                                       ExecutionEnvironment="cpu"), clock=Clock())
    assert capsys.readouterr().out.splitlines()[0].startswith("|====")
