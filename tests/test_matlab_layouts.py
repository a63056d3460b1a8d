"""The layout boundary (issue 14 item 4): MATLAB code's trainNetwork/predict/classify/activations/
minibatchpredict/trainnet take MATLAB layouts and convert once to the engine's torch layouts; the Python
API keeps torch layouts; both run the same implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import layergraph
from layergraph import (classificationLayer, convolution2dLayer, featureInputLayer, fullyConnectedLayer,
                        imageInputLayer, lstmLayer, regressionLayer, reluLayer, sequenceInputLayer, softmaxLayer,
                        trainingOptions)
from layergraph.functions import FUNCTIONS
from layergraph.matlab import layouts
from layergraph.values import Categorical, Cell, categorical

RNG = np.random.default_rng(0)
OPTS = dict(MaxEpochs=1, MiniBatchSize=8, Verbose=False, Shuffle="never")


def matlab(name):
    return FUNCTIONS[name].function


@pytest.fixture(scope="module")
def image_net():
    torch.manual_seed(0)
    X = RNG.random((6, 5, 1, 16))                 # MATLAB H×W×C×N
    Y = categorical(np.array(["a", "b"] * 8).reshape(-1, 1))
    layers = [imageInputLayer([6, 5, 1], Normalization="none"), convolution2dLayer(3, 4, Name="conv"),
              reluLayer(), fullyConnectedLayer(2, Name="fc"), softmaxLayer(), classificationLayer()]
    net, info = matlab("trainNetwork")(X, Y, layers, trainingOptions("sgdm", **OPTS))
    return net, X, Y


def test_registry_holds_matlab_layout_wrappers_and_python_api_keeps_torch_layout():
    for name, (wrapper, torch_fn) in layouts.BOUNDARY.items():
        assert FUNCTIONS[name].function is wrapper
        assert FUNCTIONS[name].function.torch_layout_function is torch_fn
    assert layergraph.trainNetwork is layouts.BOUNDARY["trainNetwork"][1]
    assert layergraph.classify is layouts.BOUNDARY["classify"][1]
    assert FUNCTIONS["classify"].outputs == ("YPred", "scores")
    assert FUNCTIONS["trainNetwork"].outputs == ("net", "info")


def test_images_hwcn_become_nchw_by_plain_transpose():
    X = RNG.random((6, 5, 3, 4))
    out = layouts.to_engine_predictors(X, layergraph.imageInputLayer([6, 5, 3]).output_layout(), "f")
    assert out.shape == (4, 3, 6, 5)
    np.testing.assert_array_equal(out, np.transpose(X, (3, 2, 0, 1)))
    # MATLAB drops trailing singletons: one grey image is just H×W
    one = RNG.random((6, 5))
    out = layouts.to_engine_predictors(one, layergraph.imageInputLayer([6, 5, 1]).output_layout(), "f")
    np.testing.assert_array_equal(out, one[None, None])


def test_sequences_cell_of_c_by_t_become_list_of_t_by_c_and_features_stay():
    seqs = [RNG.random((3, t)) for t in (4, 7)]
    out = layouts.to_engine_predictors(Cell.column(seqs), sequenceInputLayer(3).output_layout(), "f")
    assert [o.shape for o in out] == [(4, 3), (7, 3)]
    for o, s in zip(out, seqs):
        np.testing.assert_array_equal(o, s.T)
    F = RNG.random((10, 4))
    np.testing.assert_array_equal(layouts.to_engine_predictors(F, featureInputLayer(4).output_layout(), "f"), F)


def test_bad_layouts_are_reported_with_the_function_name():
    with pytest.raises(layouts.LayoutError, match="trainNetwork.*N×1 cell array"):
        layouts.to_engine_predictors(RNG.random((3, 4, 5)), sequenceInputLayer(3).output_layout(), "trainNetwork")
    with pytest.raises(layouts.LayoutError, match="predict.*H×W×C×N"):
        layouts.to_engine_predictors(RNG.random((6, 5, 1, 2, 3)), imageInputLayer([6, 5, 1]).output_layout(), "predict")


def test_classify_and_predict_give_matlab_outputs_equal_to_the_torch_api(image_net):
    net, X, Y = image_net
    labels, scores = matlab("classify")(net, X)
    ref_labels, ref_scores = layergraph.classify(net, np.transpose(X, (3, 2, 0, 1)))
    assert isinstance(labels, Categorical) and labels.shape == (16, 1)
    assert scores.shape == (16, 2) and scores.dtype == np.float32          # MATLAB: single N×K
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)
    assert list(np.asarray(labels).reshape(-1)) == list(np.asarray(ref_labels).reshape(-1))
    p = matlab("predict")(net, X[:, :, :, 0])                               # one H×W image
    np.testing.assert_allclose(p, ref_scores[:1], rtol=1e-6)


def test_activations_come_back_hwcn(image_net):
    net, X, _ = image_net
    conv = matlab("activations")(net, X, "conv")
    ref = layergraph.activations(net, np.transpose(X, (3, 2, 0, 1)), "conv")   # N×C×H×W
    assert conv.shape == (4, 3, 4, 16)
    np.testing.assert_allclose(conv, np.transpose(ref, (2, 3, 1, 0)), rtol=1e-6)
    fc = matlab("activations")(net, X, "fc")
    assert fc.shape == (1, 1, 2, 16)                                          # MATLAB: 1×1×K×N
    rows = matlab("activations")(net, X, "fc", "OutputAs", "rows")
    np.testing.assert_allclose(rows, fc[0, 0].T, rtol=1e-6)


def test_validation_data_in_options_are_converted(image_net):
    _, X, Y = image_net
    torch.manual_seed(0)
    layers = [imageInputLayer([6, 5, 1], Normalization="none"), fullyConnectedLayer(2), softmaxLayer(),
              classificationLayer()]
    opts = trainingOptions("sgdm", ValidationData=Cell.row([X, Y]), ValidationFrequency=1, **OPTS)
    net, info = matlab("trainNetwork")(X, Y, layers, opts)
    assert np.isfinite(info.fields["ValidationLoss"]).any()
    assert isinstance(opts.ValidationData, Cell)           # the options MATLAB code holds are unchanged


def test_sequence_to_sequence_outputs_are_cells_of_k_by_t():
    torch.manual_seed(0)
    lengths = (4, 7, 5, 6)
    seqs = Cell.column([RNG.random((3, t)) for t in lengths])
    Ys = Cell.column([categorical(np.array([["a", "b"][i % 2]] * t).reshape(1, -1)) for i, t in enumerate(lengths)])
    layers = [sequenceInputLayer(3), lstmLayer(5, OutputMode="sequence"), fullyConnectedLayer(2), softmaxLayer(),
              classificationLayer()]
    net, _ = matlab("trainNetwork")(seqs, Ys, layers, trainingOptions("adam", **{**OPTS, "MiniBatchSize": 2}))
    labels, scores = matlab("classify")(net, seqs)
    assert isinstance(labels, Cell) and labels.a.shape == (4, 1)
    assert [lab.shape for lab in labels.items()] == [(1, t) for t in lengths]
    assert [s.shape for s in scores.items()] == [(2, t) for t in lengths]
    ref = layergraph.predict(net, [s.T for s in seqs.items()])
    for s, r in zip(scores.items(), ref):
        np.testing.assert_allclose(s, r.T, rtol=1e-6)
    p = matlab("predict")(net, seqs)
    assert isinstance(p, Cell) and [x.shape for x in p.items()] == [(2, t) for t in lengths]


def test_regression_responses_n_by_r_and_features():
    torch.manual_seed(0)
    X = RNG.random((20, 3))
    T = X @ np.array([[1.0], [2.0], [-1.0]])
    layers = [featureInputLayer(3), fullyConnectedLayer(1), regressionLayer()]
    net, _ = matlab("trainNetwork")(X, T, layers, trainingOptions("adam", **OPTS))
    Y = matlab("predict")(net, X)
    assert Y.shape == (20, 1) and Y.dtype == np.float32
    np.testing.assert_allclose(Y, layergraph.predict(net, X), rtol=1e-6)


def test_train_info_is_a_struct_of_rows(image_net):
    from layergraph.values import Struct

    _, X, Y = image_net
    layers = [imageInputLayer([6, 5, 1], Normalization="none"), fullyConnectedLayer(2), softmaxLayer(),
              classificationLayer()]
    net, info = matlab("trainNetwork")(X, Y, layers, trainingOptions("sgdm", **OPTS))
    assert isinstance(info, Struct)
    assert list(info.fields)[:2] == ["TrainingLoss", "TrainingAccuracy"]
    iterations = 16 // 8                                   # one epoch of 16 observations, mini-batches of 8
    assert info.fields["TrainingLoss"].shape == (1, iterations)
    assert info.fields["OutputNetworkIteration"].shape == (1, 1)


def test_numeric_arrays_and_dlarrays_cross_by_the_same_rule():
    from layergraph.dl.dlarray import dlarray, to_torch_layout

    X = RNG.random((6, 5, 3, 4))
    numeric = layouts.to_engine_predictors(X, imageInputLayer([6, 5, 3]).output_layout(), "f")
    labelled, _ = to_torch_layout(dlarray(X, "SSCB"))
    np.testing.assert_array_equal(numeric, labelled.numpy())
    seq = RNG.random((3, 7))
    (one,) = layouts.to_engine_predictors(Cell.column([seq]), sequenceInputLayer(3).output_layout(), "f")
    labelled, _ = to_torch_layout(dlarray(seq, "CT"))        # 1×7×3: batch inserted
    np.testing.assert_array_equal(one, labelled.numpy()[0])
