"""classify / predict / activations / scores2label on trained networks, the trained values in
net.Layers (MATLAB layout), saving through the spec format, checkpoints and resuming."""

import glob
import os

import numpy as np
import pytest
import torch

from layergraph import (
    assembleNetwork, batchNormalizationLayer, classificationLayer, convolution2dLayer, featureInputLayer,
    fullyConnectedLayer,
    imageInputLayer, reluLayer, softmaxLayer,
)
from layergraph.errors import PredictionError, TrainingError
from layergraph.values import Categorical
from layergraph.spec import load_spec, save_spec
from layergraph.training import (
    activations, classify, loadCheckpoint, predict, scores2label, trainingOptions, trainNetwork,
)


def image_data(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, 6, 6, generator=g)
    X[: n // 2, :, :3] += 1.0
    y = np.array(["top"] * (n // 2) + ["bottom"] * (n - n // 2))
    return X, y


def cnn():
    return [imageInputLayer([6, 6, 1]), convolution2dLayer(3, 4, Name="conv"), reluLayer,
            fullyConnectedLayer(2, Name="fc"), softmaxLayer, classificationLayer]


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    X, y = image_data()
    net, info = trainNetwork(X, y, cnn(), trainingOptions("sgdm", MaxEpochs=6, MiniBatchSize=8, Verbose=False,
                                                          InitialLearnRate=0.05))
    return net, X, y


def test_classify_scores_columns_follow_classes(trained):
    net, X, y = trained
    yp, scores = classify(net, X, MiniBatchSize=5)
    assert list(net.Layers[-1].Classes) == ["bottom", "top"]
    assert scores.shape == (32, 2) and np.allclose(scores.sum(1), 1, atol=1e-5)
    assert (yp == np.array(["bottom", "top"])[scores.argmax(1)]).all()
    assert np.array_equal(predict(net, X), scores) or np.allclose(predict(net, X), scores, atol=1e-6)
    assert np.array_equal(predict(net, X, ReturnCategorical=True), yp)
    labels, best = scores2label(scores, ["bottom", "top"])
    assert np.array_equal(labels, yp) and np.allclose(best, scores.max(1))


def test_predictions_do_not_depend_on_mini_batch_size_for_images(trained):
    net, X, _ = trained
    np.testing.assert_allclose(predict(net, X, MiniBatchSize=3), predict(net, X, MiniBatchSize=32), atol=1e-6)


def test_activations_layouts(trained):
    net, X, _ = trained
    a = activations(net, X[:2], "conv")
    assert a.shape == (2, 4, 4, 4)
    rows = activations(net, X[:2], "conv", OutputAs="rows")
    assert rows.shape == (2, 64)
    # MATLAB's column-major H×W×C order: H fastest
    assert rows[0, 1] == a[0, 0, 1, 0] and rows[0, 4] == a[0, 0, 0, 1] and rows[0, 16] == a[0, 1, 0, 0]
    assert activations(net, X[:2], "conv", OutputAs="columns").shape == (64, 2)
    with pytest.raises(PredictionError, match="layer 'nope' does not exist"):
        activations(net, X[:2], "nope")
    with pytest.raises(PredictionError, match="not a recognized parameter"):
        predict(net, X, BatchSize=3)


def test_layers_show_trained_values_in_matlab_layout(trained):
    net, _, _ = trained
    conv = net.Layers[1]
    w = net.layer_module("conv")
    assert tuple(conv.Weights.shape) == (3, 3, 1, 4)
    assert tuple(net.Layers[3].Weights.shape) == (2, 64)
    assert net.Layers[0].Mean is not None
    assert "crossentropyex with classes 'bottom' and 'top'" in str(net.Layers) or "'bottom'" in str(net.Layers)


def test_save_and_load_through_the_spec_format(trained, tmp_path):
    net, X, _ = trained
    path = tmp_path / "net.json"
    save_spec(net, path)
    assert (tmp_path / "net.safetensors").exists()
    back = assembleNetwork(load_spec(path))
    np.testing.assert_allclose(predict(back, X), predict(net, X), atol=1e-6)
    yp, _ = classify(back, X)
    assert np.array_equal(yp, classify(net, X)[0])


def test_checkpoints_are_complete_and_training_resumes_exactly(tmp_path):
    X, y = image_data(24, seed=3)
    opts = trainingOptions("sgdm", MaxEpochs=3, MiniBatchSize=6, Verbose=False, Shuffle="every-epoch",
                           CheckpointPath=str(tmp_path), InitialLearnRate=0.05,
                           LearnRateSchedule="piecewise", LearnRateDropPeriod=1, LearnRateDropFactor=0.5)
    torch.manual_seed(7)
    full, info = trainNetwork(X, y, cnn(), opts)
    files = sorted(glob.glob(str(tmp_path / "net_checkpoint__*__*.safetensors")), key=lambda p: int(p.split("__")[1]))
    assert [int(os.path.basename(p).split("__")[1]) for p in files] == [4, 8, 12]
    assert not glob.glob(str(tmp_path / ".*tmp*"))
    ckpt = loadCheckpoint(files[0])
    assert (ckpt.Iteration, ckpt.Epoch) == (4, 2)
    resumed, info2 = trainNetwork(X, y, files[0], opts.copy(CheckpointPath=""))
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(info.TrainingLoss, info2.TrainingLoss)
    np.testing.assert_array_equal(info.BaseLearnRate, info2.BaseLearnRate)
    # a checkpoint's network predicts on its own
    yp, _ = classify(ckpt.network, X)
    assert yp.shape == (24, 1) and isinstance(yp, Categorical)   # MATLAB: an N×1 categorical


def test_checkpoint_every_k_iterations(tmp_path):
    X, y = image_data(24, seed=3)
    opts = trainingOptions("adam", MaxEpochs=2, MiniBatchSize=6, Verbose=False, CheckpointPath=str(tmp_path),
                           CheckpointFrequency=3, CheckpointFrequencyUnit="iteration")
    trainNetwork(X, y, cnn(), opts)
    its = sorted(int(os.path.basename(p).split("__")[1]) for p in glob.glob(str(tmp_path / "net_checkpoint__*")))
    assert its == [3, 6]
    with pytest.raises(TrainingError, match="solver 'adam'"):
        trainNetwork(X, y, glob.glob(str(tmp_path / "net_checkpoint__3__*"))[0],
                     trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=6, Verbose=False))


def test_classify_needs_classes_and_assembled_network_with_classes():
    X = torch.randn(5, 3)
    net = assembleNetwork([featureInputLayer(3), fullyConnectedLayer(2), softmaxLayer, classificationLayer])
    with pytest.raises(PredictionError, match="no classes"):
        classify(net, X)
    net2 = assembleNetwork([featureInputLayer(3), fullyConnectedLayer(2), softmaxLayer,
                            classificationLayer(Classes=["x", "y"])])
    yp, scores = classify(net2, X)
    assert set(yp) <= {"x", "y"} and scores.shape == (5, 2)


def test_activations_of_a_layer_run_as_a_torch_function():
    # ReLU after batch norm is lowered to torch.relu in the generated forward: no module call to hook
    net = assembleNetwork([imageInputLayer([6, 6, 1], Normalization="none"), convolution2dLayer(3, 2, Name="conv"),
                           batchNormalizationLayer(Name="bn"), reluLayer(Name="relu"), fullyConnectedLayer(2),
                           softmaxLayer, classificationLayer(Classes=["a", "b"])])
    X = torch.randn(5, 1, 6, 6)
    before_relu = activations(net, X, "bn")
    after_relu = activations(net, X, "relu")
    np.testing.assert_allclose(after_relu, np.maximum(before_relu, 0), rtol=1e-6, atol=1e-7)
