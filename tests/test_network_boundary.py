"""Inputs are checked against the input layer outside the generated forward, with MATLAB/torch layouts
and a permute hint in the message; prediction errors never speak of training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layergraph import (assembleNetwork, classificationLayer, classify, convolution2dLayer, dlnetwork,
                        featureInputLayer, fullyConnectedLayer, imageInputLayer, lstmLayer, predict,
                        sequenceInputLayer, softmaxLayer)
from layergraph.errors import LayerGraphError, PredictionError


def image_net():
    return assembleNetwork([imageInputLayer([6, 5, 3]), convolution2dLayer(3, 4), fullyConnectedLayer(2),
                            softmaxLayer, classificationLayer(Classes=["a", "b"])])


def test_wrong_layout_names_the_input_layer_both_layouts_and_the_permute():
    net = image_net()
    x_matlab = np.random.rand(6, 5, 3, 2).astype(np.float32)         # H×W×C×N as MATLAB holds it
    with pytest.raises(PredictionError) as err:
        net(torch.from_numpy(x_matlab))
    text = str(err.value)
    assert "'imageinput'" in text and "6×5×3×N in MATLAB layout" in text and "N×3×6×5 in torch layout" in text
    assert "got a tensor of size 6×5×3×2" in text and "x.permute(3, 2, 0, 1)" in text
    # the hint is right: permuting MATLAB's array gives what the network accepts
    out = net(torch.from_numpy(x_matlab).permute(3, 2, 0, 1))
    assert tuple(out.shape) == (2, 2)


@pytest.mark.parametrize("shape", [(2, 3, 6, 4), (2, 3, 5, 6), (2, 3, 6), (2, 2, 6, 5)])
def test_spatial_size_rank_and_channels_are_checked(shape):
    with pytest.raises(PredictionError, match="expects 6×5×3×N"):
        image_net()(torch.zeros(shape))


def test_features_and_sequences():
    feat = dlnetwork([featureInputLayer(4), fullyConnectedLayer(2)])
    assert tuple(feat(torch.zeros(7, 4)).shape) == (7, 2)
    with pytest.raises(PredictionError, match="N×4 in torch layout"):
        feat(torch.zeros(4, 7, 1))
    seq = dlnetwork([sequenceInputLayer(5), lstmLayer(3, OutputMode="last"), fullyConnectedLayer(2)])
    assert tuple(seq(torch.zeros(2, 9, 5)).shape) == (2, 2)
    with pytest.raises(PredictionError, match="N×T×5 in torch layout.*list of T×C arrays"):
        seq(torch.zeros(2, 5, 9))


def test_number_of_inputs_is_checked():
    with pytest.raises(PredictionError, match="1 input"):
        image_net()(torch.zeros(1, 3, 6, 5), torch.zeros(1, 3, 6, 5))


def test_net_predict_accepts_numpy_and_equals_the_tensor_call():
    net = image_net()
    x = np.random.default_rng(0).random((3, 3, 6, 5)).astype(np.float64)
    out = net.predict(x)
    torch.testing.assert_close(out, net.predict(torch.from_numpy(x.astype(np.float32))))


def test_predict_and_classify_errors_are_prediction_errors_without_training():
    net = image_net()
    for call in (lambda: classify(net, np.zeros((2, 6, 5, 3))), lambda: predict(net, "text"),
                 lambda: classify(net, np.zeros((2, 3, 6, 5)), "Nope", 1)):
        with pytest.raises(PredictionError) as err:
            call()
        assert "training" not in str(err.value).lower() and "Training" not in type(err.value).__name__
        assert isinstance(err.value, LayerGraphError)
    with pytest.raises(PredictionError, match="given images are of size 5×3×6"):
        classify(net, np.zeros((2, 6, 5, 3)))


def test_the_check_is_not_part_of_the_generated_forward():
    net = image_net()
    assert "PredictionError" not in net.code and "_check" not in net.code
    wrong = torch.rand(2, 3, 6, 6)   # a size the convolution and FC cannot take
    with pytest.raises(PredictionError):
        net(wrong)
    with pytest.raises(RuntimeError):   # forward itself does not check: torch's own shape error
        net.forward(wrong)
