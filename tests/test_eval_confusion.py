"""confusionmat / confusionchart / plotconfusion against MathWorks' examples, sklearn and NumPy."""

import struct
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from layergraph import confusionchart, confusionmat, figures, plotconfusion, saveas
from layergraph.evaluation import ConfusionMatrixChart, EvaluationError
from layergraph.figures import close, exportgraphics, gcf, set_figures_folder
from layergraph.values import Categorical, categorical


def png_size(path):
    data = Path(path).read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(autouse=True)
def _clean(tmp_path):
    set_figures_folder(tmp_path)
    yield
    close("all")
    set_figures_folder(None)


def test_mathworks_example_with_missing_prediction():
    # MathWorks confusionmat page: g1 = [3 2 2 3 1 1]', g2 = [4 2 3 NaN 1 1]'
    g1 = np.array([3, 2, 2, 3, 1, 1])
    g2 = np.array([4, 2, 3, np.nan, 1, 1])
    C, order = confusionmat(g1, g2)
    np.testing.assert_array_equal(C, [[2, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(order, [1, 2, 3, 4])


def test_matches_sklearn_on_random_labels():
    rng = np.random.default_rng(1)
    yt = rng.integers(0, 5, 300)
    yp = np.where(rng.random(300) < 0.6, yt, rng.integers(0, 5, 300))
    C, order = confusionmat(yt, yp)
    np.testing.assert_array_equal(C, confusion_matrix(yt, yp, labels=order))
    assert C.sum() == 300 and np.trace(C) / C.sum() == pytest.approx(np.mean(yt == yp))


def test_order_option_and_errors():
    yt = np.array([1, 2, 3, 1])
    yp = np.array([1, 3, 3, 2])
    C, order = confusionmat(yt, yp, "Order", [3, 2, 1])
    np.testing.assert_array_equal(order, [3, 2, 1])
    np.testing.assert_array_equal(C, confusion_matrix(yt, yp, labels=[3, 2, 1]))
    C2, _ = confusionmat(yt, yp, Order=[3, 2, 1, 7])      # extra groups give empty rows/columns
    assert C2.shape == (4, 4) and C2[3].sum() == 0
    with pytest.raises(EvaluationError, match="missing"):
        confusionmat(yt, yp, "Order", [1, 2])
    with pytest.raises(EvaluationError, match="same number"):
        confusionmat(yt, yp[:3])
    with pytest.raises(EvaluationError, match="not a recognized parameter"):
        confusionmat(yt, yp, "Sort", 1)


def test_categorical_order_is_categories_including_unused():
    yt = categorical(["b", "a", "b"], ["b", "a", "z"])
    yp = categorical(["b", "b", "a"], ["b", "a", "z"])
    C, order = confusionmat(yt, yp)
    assert isinstance(order, Categorical) and order.names() == ["b", "a", "z"]
    np.testing.assert_array_equal(C, [[1, 1, 0], [1, 0, 0], [0, 0, 0]])


def test_text_order_of_first_appearance():
    C, order = confusionmat(["dog", "cat", "dog"], ["cat", "cat", "bird"])
    assert order == ["dog", "cat", "bird"]
    np.testing.assert_array_equal(C, [[0, 1, 1], [0, 1, 0], [0, 0, 0]])


def test_accuracy_idioms_on_categoricals():
    yt = categorical(["a", "b", "c", "a", "b"])
    yp = categorical(["a", "c", "c", "a", "a"])
    C, _ = confusionmat(yt, yp)
    assert np.mean(yp == yt) == pytest.approx(np.trace(C) / C.sum()) == pytest.approx(3 / 5)
    assert np.sum(yp == yt) / yt.numel == pytest.approx(3 / 5)


def _chart():
    yt = categorical(["a", "a", "a", "b", "b", "c"])
    yp = categorical(["a", "a", "b", "b", "c", "c"])
    return confusionchart(yt, yp)


def test_confusionchart_properties_and_normalization():
    cm = _chart()
    assert isinstance(cm, ConfusionMatrixChart) and cm.Parent is gcf()
    counts = np.array([[2, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(cm.NormalizedValues, counts)
    assert cm.ClassLabels == ["a", "b", "c"] and cm.XLabel == "Predicted Class" and cm.YLabel == "True Class"
    cm.Normalization = "row-normalized"
    np.testing.assert_allclose(cm.NormalizedValues, counts / counts.sum(1, keepdims=True))
    cm.Normalization = "column-normalized"
    np.testing.assert_allclose(cm.NormalizedValues, counts / counts.sum(0, keepdims=True))
    cm.Normalization = "total-normalized"
    np.testing.assert_allclose(cm.NormalizedValues, counts / 6)
    cm.RowSummary = "row-normalized"
    np.testing.assert_allclose(cm.row_summary(), [[200 / 3, 100 / 3], [50, 50], [100, 0]])
    cm.ColumnSummary = "absolute"
    np.testing.assert_allclose(cm.column_summary(), [[2, 1, 1], [0, 1, 1]])
    cm.Title = "Digits"
    assert cm.Title == "Digits" and cm._ax.get_title() == "Digits"
    with pytest.raises(EvaluationError, match="Normalization must be one of"):
        cm.Normalization = "percent"
    with pytest.raises(EvaluationError, match="not a settable property"):
        cm.ClassLabels = ["x"]
    assert set(ConfusionMatrixChart.MATLAB_SETTABLE) <= set(ConfusionMatrixChart.MATLAB_PROPERTIES)


def test_confusionchart_name_value_and_matrix_form():
    cm = confusionchart(np.array([[5, 1], [2, 7]]), ["no", "yes"], "Title", "T", "RowSummary", "absolute")
    assert cm.Title == "T" and cm.RowSummary == "absolute" and cm.ClassLabels == ["no", "yes"]
    np.testing.assert_array_equal(cm.row_summary(), [[5, 1], [7, 2]])
    cm2 = confusionchart(np.array([[1, 0], [0, 1]]), Normalization="row-normalized")
    assert cm2.ClassLabels == ["1", "2"] and cm2.Normalization == "row-normalized"


def test_sort_classes():
    cm = _chart()
    cm.sortClasses(["c", "a", "b"])
    assert cm.ClassLabels == ["c", "a", "b"]
    np.testing.assert_array_equal(cm.NormalizedValues, [[1, 0, 0], [0, 2, 1], [1, 0, 1]])
    cm.sortClasses("descending-diagonal")
    assert cm.ClassLabels[0] == "a"


def test_saveas_and_exportgraphics_write_pngs(tmp_path):
    _chart()
    saveas(gcf(), "c.png")
    assert png_size(tmp_path / "c.png") == (560, 420)
    exportgraphics(gcf(), "c_export.png")
    w, h = png_size(tmp_path / "c_export.png")
    assert 0 < w <= 875 + 2 and 0 < h <= 656 + 2       # cropped content at 150 dpi
    exportgraphics(gcf(), "c_300.png", "Resolution", 300)
    w2, _ = png_size(tmp_path / "c_300.png")
    assert abs(w2 - 2 * w) <= 4


def test_plotconfusion_categorical_and_onehot(tmp_path):
    fig = plotconfusion(categorical(["a", "b", "a"]), categorical(["a", "a", "a"]))
    texts = [t.get_text() for t in fig.mpl.axes[0].texts]
    assert "2\n66.7%" in texts                         # a->a: 2 of 3 observations
    assert "66.7%\n33.3%" in texts                     # overall accuracy
    targets = np.eye(3)[:, [0, 1, 2, 1]]
    outputs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]]).T
    fig = plotconfusion(targets, outputs)
    texts = [t.get_text() for t in fig.mpl.axes[0].texts]
    assert "75.0%\n25.0%" in texts
    saveas(fig, "pc.png")
    assert png_size(tmp_path / "pc.png") == (560, 420)
