"""The Labels rule: classify returns MATLAB's categorical; np.asarray gives the label values."""

import numpy as np
import pytest
import torch

from layergraph import (
    categorical, categories, classificationLayer, countcats, featureInputLayer, fullyConnectedLayer,
    softmaxLayer, summary, trainingOptions, trainNetwork,
)
from layergraph.training import classify, predict, scores2label
from layergraph.values import Categorical


def _data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    y = np.where((X[:, 0] + X[:, 1]).numpy() > 0, "yes", "no")
    return X, y


def _train(X, Y):
    torch.manual_seed(0)
    layers = [featureInputLayer(2), fullyConnectedLayer(2), softmaxLayer, classificationLayer]
    net, _ = trainNetwork(X, Y, layers, trainingOptions("sgdm", MaxEpochs=8, MiniBatchSize=10, Verbose=False,
                                                         InitialLearnRate=0.3))
    return net


def test_classify_returns_categorical_column():
    X, y = _data()
    net = _train(X, y)
    yp, scores = classify(net, X)
    assert isinstance(yp, Categorical) and yp.shape == (40, 1)
    assert categories(yp) == ["no", "yes"]
    # labels follow the argmax of the scores (independent: NumPy)
    expected = np.array(["no", "yes"], dtype=object)[scores.argmax(1)]
    assert np.asarray(yp).tolist() == expected.tolist()
    # MATLAB idioms
    acc = np.mean(yp == categorical(y))
    assert acc == pytest.approx(np.mean(expected == y))
    assert np.sum(yp == y) / len(y) == pytest.approx(acc)
    assert (yp == "yes").sum() == (expected == "yes").sum()
    np.testing.assert_array_equal(countcats(yp), [(expected == "no").sum(), (expected == "yes").sum()])
    assert isinstance(predict(net, X, ReturnCategorical=True), Categorical)


def test_categorical_training_labels_keep_category_order():
    X, y = _data()
    # MATLAB's class order is the categories' order, even when it is not alphabetical
    Y = categorical(y, ["yes", "no"])
    net = _train(X, Y)
    yp, scores = classify(net, X)
    assert categories(yp) == ["yes", "no"]
    assert np.asarray(yp).tolist() == np.array(["yes", "no"], dtype=object)[scores.argmax(1)].tolist()


def test_numeric_labels_come_back_as_numbers():
    X, y = _data()
    yn = np.where(y == "yes", 11, 3)
    net = _train(X, yn)
    yp, _ = classify(net, X)
    assert categories(yp) == ["3", "11"]
    assert np.asarray(yp).dtype.kind == "i" and set(yp.tolist()) <= {3, 11}


def test_scores2label_orientation():
    s = np.array([[0.2, 0.8], [0.9, 0.1]])
    col, _ = scores2label(s, ["a", "b"])
    assert col.shape == (2, 1) and col.names() == ["b", "a"]
    row, _ = scores2label(s.T, ["a", "b"], 1)
    assert row.shape == (1, 2) and row.names() == ["b", "a"]


def test_summary_dispatches_on_argument(capsys):
    X, y = _data()
    net = _train(X, y)
    summary(categorical(["a", "b", "a"]), "A")
    out = capsys.readouterr().out
    assert out == categorical(["a", "b", "a"]).summary_text("A")
    assert out.startswith("A: 3×1 categorical") and out.split("\n")[2].split() == ["a", "2"]
    summary(net)
    assert "Number of learnables: 6" in capsys.readouterr().out
    with pytest.raises(Exception, match="network or a categorical"):
        summary(42)


def test_matlab_code_accuracy_idioms_on_categoricals():
    from layergraph.matlab.api import port

    r = port("""YTest = categorical({'a';'b';'a';'c'});
YPred = categorical({'a';'a';'a';'c'});
acc = mean(YPred == YTest);
acc2 = sum(YPred == YTest) / numel(YTest);
isA = YTest == 'a';
notB = 'b' ~= YTest;
k = categories(YTest);
""")
    w = r.workspace
    assert w["acc"].tolist() == [[0.75]] and w["acc2"].tolist() == [[0.75]]
    assert w["isA"].shape == (4, 1) and w["isA"].ravel().tolist() == [True, False, True, False]
    assert w["notB"].ravel().tolist() == [True, False, True, True]
    assert w["k"].items() == ["a", "b", "c"]
