"""minibatchqueue over arrays and datastore-like objects; trainingProgressMonitor and animated lines."""

import numpy as np
import pytest

from layergraph import OptionError, set_figures_folder
from layergraph.dl import (addpoints, animatedline, dims, drawnow, extractdata, groupSubPlot, hasdata,
                           minibatchqueue, recordMetrics, reset, shuffle, trainingProgressMonitor, updateInfo)
from layergraph.values import categorical


class RowStore:
    """A minimal datastore: each read is one observation as a 1×2 cell {image, label}."""

    def __init__(self, X, y, order=None):
        self.X, self.y = X, y
        self.order = list(range(len(y))) if order is None else order
        self.i = 0

    def hasdata(self):
        return self.i < len(self.order)

    def read(self):
        k = self.order[self.i]
        self.i += 1
        return [self.X[:, :, :, k], self.y[k]]

    def reset(self):
        self.i = 0

    def shuffle(self):
        return RowStore(self.X, self.y, list(np.random.default_rng(1).permutation(len(self.y))))


def test_minibatches_from_arrays_with_formats_and_partial_batches():
    X = np.arange(2 * 2 * 1 * 10, dtype=np.float64).reshape(2, 2, 1, 10)
    T = categorical(np.array([str(i % 3) for i in range(10)], dtype=object).reshape(-1, 1))
    mbq = minibatchqueue([X, T], 2, "MiniBatchSize", 4, "MiniBatchFormat", ["SSCB", ""], "OutputAsDlarray", [1, 0])
    sizes = []
    while hasdata(mbq):
        x, t = next(mbq)
        assert dims(x) == "SSCB" and extractdata(x).dtype == np.float32      # OutputCast 'single'
        sizes.append(x.size(4))
        assert t.shape == (x.size(4), 1)
    assert sizes == [4, 4, 2]
    reset(mbq)
    x, _ = next(mbq)
    np.testing.assert_array_equal(extractdata(x), X[:, :, :, :4])
    drop = minibatchqueue([X, T], 2, MiniBatchSize=4, PartialMiniBatch="discard", OutputAsDlarray=[True, False])
    assert len(list(drop)) == 2


def test_minibatches_from_a_datastore_with_a_minibatch_function_and_shuffle():
    X = np.random.default_rng(0).random((3, 3, 1, 7))
    y = np.arange(7)
    calls = []

    def preprocess(images, labels):
        calls.append(len(images))
        return np.concatenate([im[..., None] for im in images], axis=3), np.eye(7)[:, labels]

    mbq = minibatchqueue(RowStore(X, y), 2, MiniBatchSize=3, MiniBatchFcn=preprocess, MiniBatchFormat=["SSCB", "CB"])
    x, t = next(mbq)
    assert calls == [3] and x.size() == (3, 3, 1, 3) and dims(t) == "CB"
    np.testing.assert_allclose(extractdata(t), np.eye(7)[:, :3])
    shuffle(mbq)
    seen = []
    while hasdata(mbq):
        _, t = next(mbq)
        seen += list(extractdata(t).argmax(axis=0))
    assert sorted(seen) == list(range(7)) and seen != list(range(7))
    with pytest.raises(OptionError, match="MiniBatchSize must be a positive integer"):
        minibatchqueue(RowStore(X, y), MiniBatchSize=0)


def test_training_progress_monitor_writes_the_figure_and_console_lines(tmp_path):
    set_figures_folder(tmp_path)
    try:
        lines = []
        monitor = trainingProgressMonitor("Metrics", ["TrainingLoss", "ValidationLoss"], "Info", ["Epoch"],
                                          "XLabel", "Iteration")
        monitor._echo = lines.append
        groupSubPlot(monitor, "Loss", ["TrainingLoss", "ValidationLoss"])
        for i in range(1, 4):
            recordMetrics(monitor, i, "TrainingLoss", 1.0 / i)
            updateInfo(monitor, "Epoch", 1)
        recordMetrics(monitor, 3, ValidationLoss=0.5)
        monitor.Progress = 100
        assert monitor.Stop is False
        np.testing.assert_allclose(monitor.MetricData["TrainingLoss"], [[1, 1], [2, 0.5], [3, 1 / 3]])
        assert (tmp_path / "training-progress.png").exists() or list(tmp_path.glob("training-progress*.png"))
        assert lines[-1] == "Iteration 3 | Progress 100% | Epoch: 1 | TrainingLoss: 0.3333 | ValidationLoss: 0.5"
        with pytest.raises(OptionError, match="'Accuracy' is not a metric"):
            recordMetrics(monitor, 4, "Accuracy", 1)
        from layergraph import figure
        figure()
        h = animatedline("Color", "r")
        addpoints(h, [1, 2], [3, 4])
        addpoints(h, 3, 5)
        xs, ys = h.getpoints()
        np.testing.assert_array_equal(xs, [[1, 2, 3]])
        np.testing.assert_array_equal(ys, [[3, 4, 5]])
        drawnow()
        assert list(tmp_path.glob("figure-*.png"))
    finally:
        set_figures_folder(None)
