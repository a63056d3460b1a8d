"""Hostile training set-ups: failed checkpoint writes, unwritable folders, damaged checkpoints, odd dtypes."""

import glob
import json
import os

import numpy as np
import pytest
import torch

from layergraph import featureInputLayer, fullyConnectedLayer, loadCheckpoint, predict, regressionLayer, trainNetwork
from layergraph import trainingOptions
from layergraph.errors import TrainingError


def _data(n=12):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    return X, (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32))


def _layers():
    return [featureInputLayer(3, Name="in"), fullyConnectedLayer(1, Name="fc"), regressionLayer(Name="out")]


def _options(**kw):
    base = dict(MaxEpochs=2, MiniBatchSize=4, Verbose=False, InitialLearnRate=0.01)
    base.update(kw)
    return trainingOptions("sgdm", **base)


class Counter:
    def __init__(self):
        self.iterations = 0

    def __call__(self, info):
        if info.State == "iteration":
            self.iterations += 1
        return False


def test_failed_checkpoint_write_raises_project_error_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import layergraph.training.checkpoint as checkpoint

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", disk_full)
    X, Y = _data()
    with pytest.raises(TrainingError, match="No space left on device"):
        trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(tmp_path / "ck")))
    assert os.listdir(tmp_path / "ck") == []


def test_checkpoint_folder_is_created_before_training(tmp_path):
    X, Y = _data()
    folder = tmp_path / "a" / "b"
    counter = Counter()
    trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(folder), MaxEpochs=1, OutputFcn=counter))
    assert counter.iterations == 3 and len(glob.glob(str(folder / "net_checkpoint__*"))) == 1


def test_unusable_checkpoint_path_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    X, Y = _data()
    counter = Counter()
    with pytest.raises(TrainingError, match="CheckpointPath") as info:
        trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(blocker / "sub"), OutputFcn=counter))
    assert counter.iterations == 0 and "cannot be created" in str(info.value)
    with pytest.raises(TrainingError, match="CheckpointPath .* cannot be created: File exists"):
        trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(blocker)))


def test_unwritable_checkpoint_folder_fails_before_training(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)   # root ignores chmod: simulate it
    X, Y = _data()
    counter = Counter()
    with pytest.raises(TrainingError, match="not writable: Permission denied"):
        trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(tmp_path), OutputFcn=counter))
    assert counter.iterations == 0


def test_unwritable_plot_folder_fails_before_training(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LAYERGRAPH_PLOT_DIR", str(blocker))
    X, Y = _data()
    counter = Counter()
    with pytest.raises(TrainingError, match="plot folder"):
        trainNetwork(X, Y, _layers(), _options(Plots="training-progress", OutputFcn=counter))
    assert counter.iterations == 0


def test_nul_in_checkpoint_path():
    with pytest.raises(TrainingError, match="CheckpointPath"):
        trainingOptions("sgdm", CheckpointPath="ck\x00pt")


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ck")
    X, Y = _data()
    trainNetwork(X, Y, _layers(), _options(CheckpointPath=str(folder), MaxEpochs=1))
    [path] = glob.glob(str(folder / "net_checkpoint__*"))
    return path


def _rewrite(src, dst, change):
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(src, framework="pt") as f:
        metadata = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    change(metadata, tensors)
    save_file(tensors, dst, metadata=metadata)
    return dst


def _progress_change(fn):
    def change(metadata, tensors):
        progress = json.loads(metadata["progress"])
        fn(progress)
        metadata["progress"] = json.dumps(progress)
    return change


def _set(key, value):
    return _progress_change(lambda p: p.__setitem__(key, value))


def _drop(key):
    return _progress_change(lambda p: p.pop(key))


DAMAGE = {
    "iteration -5": _set("iteration", -5),
    "position 1e9": _set("position", 10**9),
    "epoch 0": _set("epoch", 0),
    "epoch string": _set("epoch", "1"),
    "iteration float": _set("iteration", 2.5),
    "iteration bool": _set("iteration", True),
    "elapsed negative": _set("elapsed", -1.0),
    "history not a dict": _set("history", [1, 2]),
    "history short": _progress_change(lambda p: p["history"]["loss"].pop()),
    "history strings": _progress_change(lambda p: p["history"].__setitem__("loss", ["x"] * len(p["history"]["loss"]))),
    "best after the end": _set("best", [1.0, 99]),
    "best not a pair": _set("best", 3),
    "kind unknown": _set("kind", "other"),
    "classes a dict": _set("classes", {"a": 1}),
    "missing iteration": _drop("iteration"),
    "missing history": _drop("history"),
    "extra key": _set("surprise", 1),
    "bad JSON": lambda m, t: m.__setitem__("progress", "{not json"),
    "no progress": lambda m, t: m.pop("progress"),
    "no spec": lambda m, t: m.pop("spec"),
    "spec not a spec": lambda m, t: m.__setitem__("spec", "[1, 2]"),
    "no data order": lambda m, t: t.pop("data/order"),
    "order of floats": lambda m, t: t.__setitem__("data/order", torch.zeros(3)),
    "generator wrong": lambda m, t: t.__setitem__("data/generator", torch.zeros(3)),
    "state wrong shape": lambda m, t: t.__setitem__("state/layers.fc.Weights", torch.zeros(7, 7)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_checkpoint_metadata_is_reported(checkpoint_file, tmp_path, damage):
    path = _rewrite(checkpoint_file, str(tmp_path / "net_checkpoint__3__x.safetensors"), DAMAGE[damage])
    X, Y = _data()
    with pytest.raises(TrainingError) as info:
        trainNetwork(X, Y, path, _options())
    assert "damaged" in str(info.value) or "not a layergraph checkpoint" in str(info.value)


def test_intact_checkpoint_resumes(checkpoint_file):
    X, Y = _data()
    assert loadCheckpoint(checkpoint_file).Iteration == 3
    net, info = trainNetwork(X, Y, checkpoint_file, _options())
    assert len(info.TrainingLoss) == 6


def test_position_past_the_epoch_for_this_data(checkpoint_file, tmp_path):
    path = _rewrite(checkpoint_file, str(tmp_path / "net_checkpoint__3__y.safetensors"), _set("position", 50))
    X, Y = _data()
    with pytest.raises(TrainingError, match="position 50"):
        trainNetwork(X, Y, path, _options())


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int32])
def test_predictors_of_other_dtypes_are_converted(dtype):
    X, Y = _data()
    net, info = trainNetwork(X.astype(dtype), Y.astype(dtype), _layers(), _options(MaxEpochs=1))
    out = predict(net, X.astype(dtype))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    expected = predict(net, X.astype(dtype).astype(np.float32))
    np.testing.assert_array_equal(out, expected)


def test_bfloat16_and_complex_predictors():
    X, Y = _data()
    net, _ = trainNetwork(torch.from_numpy(X).to(torch.bfloat16), Y, _layers(), _options(MaxEpochs=1))
    with pytest.raises(TrainingError, match="complex"):
        trainNetwork(torch.from_numpy(X).to(torch.complex64), Y, _layers(), _options(MaxEpochs=1))


def test_scalar_validation_data_is_a_project_error():
    X, Y = _data()
    with pytest.raises(TrainingError, match="scalar"):
        trainNetwork(X, Y, _layers(), _options(ValidationData=[torch.tensor(float("nan")), torch.tensor(1.0)]))


def test_step_scale_beyond_single_precision():
    X, Y = _data()
    with pytest.raises(TrainingError, match="L2Regularization .* beyond single precision"):
        trainNetwork(X, Y, _layers(), _options(L2Regularization=1e300))


@pytest.mark.parametrize("tensor", [torch.zeros(0), torch.ones(9, 9), torch.ones(2, dtype=torch.int64)])
def test_damaged_solver_state(checkpoint_file, tmp_path, tensor):
    def damage(metadata, tensors):
        key = sorted(k for k in tensors if k.startswith("solver.velocity"))[0]
        tensors[key] = tensor

    path = _rewrite(checkpoint_file, str(tmp_path / "net_checkpoint__3__z.safetensors"), damage)
    X, Y = _data()
    with pytest.raises(TrainingError, match="damaged: solver state"):
        trainNetwork(X, Y, path, _options())
