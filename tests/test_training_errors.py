"""Bad input: MATLAB-like messages before the first iteration (nothing is trained, nothing printed)."""

import numpy as np
import pytest
import torch

from layergraph import (
    classificationLayer, dlnetwork, featureInputLayer, fullyConnectedLayer, imageInputLayer, regressionLayer,
    sequenceInputLayer, softmaxLayer, lstmLayer,
)
from layergraph.errors import LayerGraphError, TrainingError
from layergraph.training import trainingOptions, trainNetwork, trainnet


def opts(**kw):
    kw.setdefault("Verbose", False)
    kw.setdefault("MiniBatchSize", 4)
    kw.setdefault("MaxEpochs", 1)
    return trainingOptions("sgdm", **kw)


def clf(features=3, k=2):
    return [featureInputLayer(features), fullyConnectedLayer(k), softmaxLayer, classificationLayer]


def raises(match, *args, capsys=None, fn=trainNetwork):
    with pytest.raises(TrainingError, match=match) as e:
        fn(*args)
    assert isinstance(e.value, LayerGraphError)
    return str(e.value)


def test_feature_size_mismatch():
    raises(r"The predictors have 4 features but the input layer 'input' expects 3 features",
           torch.randn(8, 4), ["a", "b"] * 4, clf(), opts())


def test_image_size_mismatch():
    layers = [imageInputLayer([8, 8, 1]), fullyConnectedLayer(1), regressionLayer]
    raises(r"The training images are of size 8×8×3 but the input layer 'imageinput' expects images of size 8×8×1",
           torch.randn(6, 3, 8, 8), torch.randn(6, 1), layers, opts())


def test_sequence_feature_mismatch():
    layers = [sequenceInputLayer(12), lstmLayer(4, OutputMode="last"), fullyConnectedLayer(2), softmaxLayer,
              classificationLayer]
    raises(r"sequences are of feature dimension 10 but the input layer 'sequenceinput' expects sequences of feature "
           r"dimension 12", [np.zeros((5, 10), np.float32)] * 4, ["a", "b"] * 2, layers, opts())


def test_label_count_vs_output_size():
    raises(r"The output size \(2\) of the last layer does not match the number of classes of the responses \(3\)",
           torch.randn(9, 3), ["a", "b", "c"] * 3, clf(), opts())


def test_regression_response_size():
    layers = [featureInputLayer(3), fullyConnectedLayer(2), regressionLayer]
    raises(r"The output size \(2\) of the last layer does not match the response size \(3\)",
           torch.randn(8, 3), torch.randn(8, 3), layers, opts())


def test_network_without_output_layer_for_trainNetwork():
    msg = raises(r"Invalid network", torch.randn(8, 3), ["a", "b"] * 4,
                 [featureInputLayer(3), fullyConnectedLayer(2), softmaxLayer], opts())
    assert "Missing output layer" in msg


def test_trainnet_refuses_output_layers():
    from layergraph import assembleNetwork

    net = assembleNetwork(clf())
    raises(r"must not have output layers; remove layer 'classoutput'", torch.randn(8, 3), ["a", "b"] * 4, net,
           "crossentropy", opts(), fn=trainnet)
    raises(r"Invalid network", torch.randn(8, 3), ["a", "b"] * 4, clf(), "crossentropy", opts(), fn=trainnet)
    raises(r"invalid loss function 'cross-entropy'", torch.randn(8, 3), ["a", "b"] * 4,
           dlnetwork(clf()[:-1]), "cross-entropy", opts(), fn=trainnet)


def test_nan_and_inf_in_data():
    X = torch.randn(8, 3)
    X[2, 1] = float("nan")
    raises(r"Predictors must not contain NaN or Inf", X, ["a", "b"] * 4, clf(), opts())
    layers = [featureInputLayer(3), fullyConnectedLayer(1), regressionLayer]
    Y = torch.randn(8, 1)
    Y[0] = float("inf")
    raises(r"Responses must not contain NaN or Inf", torch.randn(8, 3), Y, layers, opts())
    raises(r"missing \(undefined\) labels", torch.randn(4, 3), ["a", None, "b", "a"], clf(), opts())


def test_empty_data_and_mismatched_counts():
    raises(r"Predictors must not be empty", torch.zeros(0, 3), [], clf(), opts())
    raises(r"number of observations in the predictors \(8\) and the responses \(7\)", torch.randn(8, 3),
           ["a", "b"] * 3 + ["a"], clf(), opts())


def test_mini_batch_larger_than_data():
    raises(r"The mini-batch size \(128\) must not exceed the number of observations \(8\)", torch.randn(8, 3),
           ["a", "b"] * 4, clf(), opts(MiniBatchSize=128))


def test_wrong_arguments(capsys):
    raises(r"Layers argument must be an array of layers or a layer graph", torch.randn(8, 3), ["a", "b"] * 4,
           "not a network", opts())
    raises(r"last argument must be training options", torch.randn(8, 3), ["a", "b"] * 4, clf(), {"MaxEpochs": 1})
    raises(r"expected trainNetwork\(X, Y, layers, options\)", torch.randn(8, 3), clf())
    raises(r"requires ValidationData", torch.randn(8, 3), ["a", "b"] * 4, clf(),
           opts(OutputNetwork="best-validation-loss"))
    raises(r"label 'c' is not one of the output layer's Classes", torch.randn(8, 3), ["a", "b"] * 4, clf(),
           opts(ValidationData=(torch.randn(4, 3), ["a", "b", "c", "a"])))
    assert capsys.readouterr().out == ""             # nothing printed before the checks


def test_gpu_requested_without_gpu():
    if torch.cuda.is_available():
        return
    raises(r"requires a CUDA GPU", torch.randn(8, 3), ["a", "b"] * 4, clf(), opts(ExecutionEnvironment="gpu"))
