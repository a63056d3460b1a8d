"""Datastores feeding trainNetwork / trainnet / classify / predict / minibatchpredict / activations."""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from data_fixtures import shared_digit_folders
from layergraph import (Categorical, DataError, TrainingError, activations, arrayDatastore, augmentedImageDatastore,
                        batchNormalizationLayer, classificationLayer, classify, combine, convolution2dLayer,
                        fullyConnectedLayer, imageDataAugmenter, imageDatastore, imageInputLayer, maxPooling2dLayer,
                        minibatchpredict, predict, reluLayer, softmaxLayer, splitEachLabel, trainingOptions,
                        trainNetwork, trainnet)


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    return shared_digit_folders(tmp_path_factory)


def _cnn(size, channels):
    return [imageInputLayer([size, size, channels]),
            convolution2dLayer(3, 8, "Padding", "same"), batchNormalizationLayer, reluLayer,
            maxPooling2dLayer(2, "Stride", 2),
            convolution2dLayer(3, 16, "Padding", "same"), batchNormalizationLayer, reluLayer,
            maxPooling2dLayer(2, "Stride", 2),
            fullyConnectedLayer(10), softmaxLayer, classificationLayer]


def test_digit_folders_to_augmented_training_reach_85_percent(digits):
    torch.manual_seed(0)
    np.random.seed(0)
    root, _ = digits
    imds = imageDatastore(root, "IncludeSubfolders", True, "LabelSource", "foldernames")
    train, test = splitEachLabel(imds, 100, "randomized")
    augmenter = imageDataAugmenter("RandRotation", [-10, 10], "RandXTranslation", [-2, 2], "RandYTranslation", [-2, 2])
    autrain = augmentedImageDatastore([32, 32], train, "ColorPreprocessing", "gray2rgb", "DataAugmentation", augmenter)
    autest = augmentedImageDatastore([32, 32], test, "ColorPreprocessing", "gray2rgb")
    opts = trainingOptions("adam", "MaxEpochs", 2, "MiniBatchSize", 32, "InitialLearnRate", 0.003, "Verbose", False)
    net, info = trainNetwork(autrain, _cnn(32, 3), opts)
    pred, scores = classify(net, autest)
    assert isinstance(pred, Categorical) and scores.shape == (len(test.Files), 10)
    accuracy = np.mean(pred == test.Labels)
    assert accuracy >= 0.85, accuracy


@pytest.fixture(scope="module")
def small_net(digits):
    torch.manual_seed(1)
    root, _ = digits
    imds = imageDatastore([os.path.join(root, d) for d in ("0", "1")], "LabelSource", "foldernames")
    opts = trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 40, "Verbose", False)
    layers = _cnn(28, 1)
    layers[-3] = fullyConnectedLayer(2)
    net, _ = trainNetwork(imds, layers, opts)
    return net, imds


def _stack(files):
    return np.stack([np.asarray(Image.open(f), dtype=np.float32)[None] for f in files])     # N×1×28×28


def test_predict_classify_activations_on_an_image_datastore_match_arrays(small_net):
    net, imds = small_net
    X = _stack(imds.Files)
    expected = predict(net, X)
    assert np.allclose(predict(net, imds), expected, atol=1e-5)
    assert np.allclose(minibatchpredict(net, imds, "MiniBatchSize", 33), expected, atol=1e-5)
    labels, scores = classify(net, imds, "MiniBatchSize", 50)
    assert np.allclose(scores, expected, atol=1e-5)
    assert np.mean(labels == imds.Labels) > 0.9
    act = activations(net, imds, "conv_2")
    assert np.allclose(act, activations(net, X, "conv_2"), atol=1e-5)


def test_combined_array_datastores_train_a_network(small_net):
    torch.manual_seed(2)
    net, imds = small_net
    X = np.transpose(_stack(imds.Files), (2, 3, 1, 0))                   # MATLAB layout H×W×C×N
    labels = np.asarray(imds.Labels)
    cds = combine(arrayDatastore(X, "IterationDimension", 4), arrayDatastore(labels))
    layers = _cnn(28, 1)
    layers[-3] = fullyConnectedLayer(2)
    net2, info = trainNetwork(cds, layers, trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 40, "Verbose", False))
    pred, _ = classify(net2, imds)
    assert np.mean(pred == imds.Labels) > 0.9
    net3, _ = trainnet(imds, layers[:-1], "crossentropy", trainingOptions("adam", "MaxEpochs", 1, "MiniBatchSize", 40,
                                                                          "Verbose", False))
    scores = minibatchpredict(net3, imds)
    assert scores.shape == (len(imds.Files), 2)


def test_datastore_errors_are_reported_not_hung(tmp_path, small_net):
    net, imds = small_net
    folder = tmp_path / "data"
    for d in ("a", "b"):
        (folder / d).mkdir(parents=True)
        for k in range(6):
            Image.fromarray(np.full((28, 28), 40 * k, np.uint8)).save(folder / d / f"{k}.png")
    (folder / "b" / "3.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    bad = imageDatastore(str(folder), "IncludeSubfolders", True, "LabelSource", "foldernames")
    with pytest.raises(DataError, match=r"b[/\\]3\.png"):
        classify(net, bad, "MiniBatchSize", 4)
    layers = _cnn(28, 1)
    layers[-3] = fullyConnectedLayer(2)
    with pytest.raises(DataError, match=r"b[/\\]3\.png"):
        trainNetwork(bad, layers, trainingOptions("sgdm", "MaxEpochs", 2, "MiniBatchSize", 4, "Verbose", False))
    unlabeled = imageDatastore(str(folder / "a"))
    with pytest.raises(TrainingError, match="no responses"):
        trainNetwork(unlabeled, layers, trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 2, "Verbose", False))


def test_dispatch_in_background_uses_worker_processes(tmp_path, small_net, monkeypatch):
    net, imds = small_net
    monkeypatch.setenv("LAYERGRAPH_NUM_WORKERS", "1")
    au = augmentedImageDatastore([28, 28], imds, "DispatchInBackground", True)
    assert np.allclose(predict(net, au, "MiniBatchSize", 64), predict(net, imds), atol=1e-5)
    folder = tmp_path / "w"
    folder.mkdir()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(folder / "ok.png")
    (folder / "zbad.png").write_bytes(b"not a png")
    aub = augmentedImageDatastore([28, 28], imageDatastore(str(folder)), "DispatchInBackground", True)
    with pytest.raises(DataError, match="zbad.png"):
        predict(net, aub)


def test_images_of_different_sizes_are_named(tmp_path, small_net):
    net, _ = small_net
    (tmp_path / "s").mkdir()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "s" / "a.png")
    Image.fromarray(np.zeros((30, 28), np.uint8)).save(tmp_path / "s" / "b.png")
    with pytest.raises(TrainingError, match=r"b\.png' is of size 30×28×1"):
        predict(net, imageDatastore(str(tmp_path / "s")))
