"""perfcurve and rocmetrics against sklearn.metrics and hand-worked curves."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from layergraph import perfcurve, rocmetrics
from layergraph.evaluation import EvaluationError, RocMetrics
from layergraph.figures import close, figure, gca, plot
from layergraph.values import Categorical, Table, categorical


def test_hand_worked_curve():
    labels = np.array([1, 1, 0, 0])
    scores = np.array([0.9, 0.4, 0.6, 0.2])
    X, Y, T, AUC = perfcurve(labels, scores, 1)
    # thresholds 0.9, 0.6, 0.4, 0.2 (score >= T is positive), 'reject all' first
    np.testing.assert_allclose(X.ravel(), [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(Y.ravel(), [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(T.ravel(), [0.9, 0.9, 0.6, 0.4, 0.2])
    assert AUC == pytest.approx(0.75)
    assert X.shape == (5, 1)


def test_matches_sklearn_with_ties_and_text_labels():
    rng = np.random.default_rng(0)
    y = rng.choice(["versicolor", "virginica"], 200)
    s = np.round(rng.random(200) + 0.4 * (y == "virginica"), 2)     # rounding makes ties
    X, Y, T, AUC = perfcurve(y, s, "virginica")
    fpr, tpr, thr = roc_curve(y == "virginica", s, drop_intermediate=False)
    np.testing.assert_allclose(X.ravel(), fpr)
    np.testing.assert_allclose(Y.ravel(), tpr)
    np.testing.assert_allclose(T.ravel()[1:], thr[1:])
    assert T[0, 0] == s.max()
    assert AUC == pytest.approx(roc_auc_score(y == "virginica", s))


def test_categorical_labels_negclass_and_criteria():
    y = categorical(["a", "b", "c", "a", "b", "c"])
    s = np.array([0.9, 0.2, 0.8, 0.7, 0.1, 0.3])
    _, _, _, auc_all = perfcurve(y, s, "a")
    assert auc_all == pytest.approx(roc_auc_score(np.asarray(y) == "a", s))
    _, _, _, auc_b = perfcurve(y, s, "a", "NegClass", ["b"])
    assert auc_b == pytest.approx(1.0)
    X, Y, _, _ = perfcurve(y, s, "a", XCrit="tnr", YCrit="fnr")
    fpr, tpr, _ = roc_curve(np.asarray(y) == "a", s, drop_intermediate=False)
    np.testing.assert_allclose(X.ravel(), 1 - fpr)
    np.testing.assert_allclose(Y.ravel(), 1 - tpr)
    with pytest.raises(EvaluationError, match="not among the labels"):
        perfcurve(y, s, "zebra")
    with pytest.raises(EvaluationError, match="same number"):
        perfcurve(y, s[:3], "a")


def _three_class(n=120, seed=3):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, 3, n)
    sc = rng.random((n, 3))
    sc[np.arange(n), lab] += 0.6
    sc /= sc.sum(1, keepdims=True)
    names = ["setosa", "versicolor", "virginica"]
    return categorical([names[i] for i in lab], names), sc, names, lab


def test_rocmetrics_auc_and_metrics_table():
    y, sc, names, lab = _three_class()
    roc = rocmetrics(y, sc, names)
    assert isinstance(roc, RocMetrics) and roc.AUC.shape == (1, 3)
    expected = [roc_auc_score(lab == k, sc[:, k]) for k in range(3)]
    np.testing.assert_allclose(roc.AUC.ravel(), expected)
    m = roc.Metrics
    assert isinstance(m, Table) and m.VariableNames == ["ClassName", "Threshold", "FalsePositiveRate",
                                                        "TruePositiveRate"]
    assert isinstance(m.ClassName, Categorical)
    for k, name in enumerate(names):
        rows = m[m.ClassName == name]
        fpr, tpr, _ = roc_curve(lab == k, sc[:, k], drop_intermediate=False)
        np.testing.assert_allclose(rows.FalsePositiveRate, fpr)
        np.testing.assert_allclose(rows.TruePositiveRate, tpr)
    np.testing.assert_allclose(roc.Prior, np.bincount(lab) / lab.size)


def test_rocmetrics_micro_average_matches_sklearn():
    y, sc, names, lab = _three_class()
    roc = rocmetrics(y, sc, names)
    _, _, _, auc = roc.average("micro")
    assert auc == pytest.approx(roc_auc_score(np.eye(3)[lab], sc, average="micro"))
    _, _, _, macro = roc.average("macro")
    assert 0.5 < macro <= 1.0


def test_rocmetrics_plot_and_errors():
    y, sc, names, _ = _three_class()
    roc = rocmetrics(y, sc, names)
    figure()
    plot(roc)
    ax = gca().mpl
    assert len(ax.get_lines()) == 4          # three classes + the chance diagonal
    assert ax.get_legend().get_texts()[0].get_text().startswith("setosa (AUC = ")
    close("all")
    with pytest.raises(EvaluationError, match="columns"):
        rocmetrics(y, sc[:, :2], names)
    with pytest.raises(EvaluationError, match="does not occur"):
        rocmetrics(y, sc, ["setosa", "versicolor", "rose"])


def test_mathworks_perfcurve_example_fisher_iris():
    # MathWorks perfcurve page: versicolor vs virginica on the first two measurements, scores from an
    # (unregularised) logistic regression, [X,Y,T,AUC] = perfcurve(species(51:end,:), scores, 'virginica')
    # gives AUC = 0.7918.
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    iris = load_iris()
    pred = iris.data[50:, :2]
    resp = np.arange(100) >= 50
    scores = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(pred, resp).predict_proba(pred)[:, 1]
    species = np.array(iris.target_names)[iris.target[50:]]
    X, Y, T, AUC = perfcurve(species, scores, "virginica")
    assert round(AUC, 4) == 0.7918
    assert X[0, 0] == 0 and Y[0, 0] == 0 and X[-1, 0] == 1 and Y[-1, 0] == 1


def test_methods_are_registered_functions():
    from layergraph.evaluation import ConfusionMatrixChart, average
    from layergraph.functions import FUNCTIONS
    from layergraph.values import Categorical, Table

    from layergraph.figures import Axes, Figure, TiledLayout

    for cls in (RocMetrics, ConfusionMatrixChart, Table, Categorical, Figure, Axes, TiledLayout):
        for name in cls.MATLAB_METHODS:
            assert name in FUNCTIONS, (cls.__name__, name)
    y, sc, names, lab = _three_class()
    roc = rocmetrics(y, sc, names)
    assert average(roc, "micro")[3] == pytest.approx(roc.average("micro")[3])
    with pytest.raises(EvaluationError, match="rocmetrics object"):
        average(3)
