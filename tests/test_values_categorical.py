"""categorical: construction, comparisons, category edits, one-hot, summary (MathWorks examples)."""

import numpy as np
import pytest

from layergraph.errors import OptionError
from layergraph.values import (
    Categorical, addcats, categorical, categories, countcats, isundefined, mergecats, onehotdecode,
    onehotencode, removecats, renamecats, reordercats, setcats,
)
from layergraph.values.categorical import summary

GOLDEN = __import__("pathlib").Path(__file__).parent / "golden"


def test_categories_sorted_and_column_shape():
    # MathWorks 'categories' page: categorical({'plane' 'car' 'train' 'car' 'plane'}) has car, plane, train
    a = categorical(["plane", "car", "train", "car", "plane"])
    assert categories(a) == ["car", "plane", "train"]
    assert a.shape == (5, 1) and len(a) == 5
    assert a.codes.reshape(-1).tolist() == [1, 0, 2, 0, 1]
    assert np.asarray(a).tolist() == ["plane", "car", "train", "car", "plane"]


def test_valueset_catnames_matrix_countcats():
    # MathWorks countcats page: categorical([1 3; 2 1; 3 1], 1:3, ["red" "green" "blue"])
    a = categorical(np.array([[1, 3], [2, 1], [3, 1]]), [1, 2, 3], ["red", "green", "blue"])
    assert a.shape == (3, 2) and categories(a) == ["red", "green", "blue"]
    np.testing.assert_array_equal(countcats(a), [[1, 2], [1, 0], [1, 1]])
    # per row (dim 2): row 1 red+blue, row 2 green+red, row 3 blue+red
    np.testing.assert_array_equal(countcats(a, 2), [[1, 0, 1], [1, 1, 0], [1, 0, 1]])


def test_row_vector_counts_and_summary_golden(capsys):
    # MathWorks countcats page: A = categorical(["red" "blue" "green" "blue" "red"], ["red" "green" "blue"])
    a = categorical(np.array([["red", "blue", "green", "blue", "red"]]), ["red", "green", "blue"])
    assert a.shape == (1, 5)
    np.testing.assert_array_equal(countcats(a), [2, 1, 2])
    summary(a, "A")
    assert capsys.readouterr().out == (GOLDEN / "summary_categorical_row.txt").read_text()


def test_column_summary_golden(capsys):
    a = categorical(["plane", "car", "train", "car", "plane", ""])
    summary(a, "A")
    assert capsys.readouterr().out == (GOLDEN / "summary_categorical_column.txt").read_text()


def test_missing_values_are_undefined():
    a = categorical(["x", "", "y", "<missing>"])
    assert isundefined(a).tolist() == [False, True, False, True]
    b = categorical(np.array([1.0, np.nan, 2.0]))
    assert isundefined(b).tolist() == [False, True, False]
    assert categories(b) == ["1", "2"]


def test_values_outside_valueset_are_undefined():
    a = categorical(["a", "b", "z"], ["a", "b"])
    assert a.names() == ["a", "b", "<undefined>"]


def test_comparisons_give_logical_arrays():
    a = categorical(["cat", "dog", "cat"])
    b = categorical(["cat", "cat", "cat"])
    assert (a == "cat").dtype == bool
    assert (a == "cat").tolist() == [True, False, True]
    assert (a != "cat").tolist() == [False, True, False]
    assert (a == b).tolist() == [True, False, True]
    assert (a == ["dog", "dog", "cat"]).tolist() == [False, True, True]
    assert (a == "bird").tolist() == [False, False, False]      # not a category: no element equal
    assert (np.array(["cat", "x", "cat"], dtype=object) == a).tolist() == [True, False, True]
    # accuracy idioms
    assert np.mean(a == b) == pytest.approx(2 / 3)
    assert np.sum(a == b) / len(a) == pytest.approx(2 / 3)


def test_comparison_with_categorical_of_other_category_order():
    a = categorical(["a", "b"], ["a", "b"])
    b = categorical(["a", "b"], ["b", "a"])
    assert (a == b).tolist() == [True, True]


def test_undefined_never_equal():
    a = categorical(["a", ""])
    assert (a == a).tolist() == [True, False]


def test_ordinal_relations():
    sizes = categorical(["small", "large", "medium"], ["small", "medium", "large"], Ordinal=True)
    assert (sizes > "small").tolist() == [False, True, True]
    assert (sizes <= "medium").tolist() == [True, False, True]
    plain = categorical(["a", "b"])
    with pytest.raises(OptionError, match="ordinal"):
        plain < "b"
    same = categorical(["small", "large", "medium"], ["small", "medium", "large"], "Ordinal", True)
    assert same.ordinal


def test_numeric_categorical_keeps_numbers_for_python():
    a = categorical(np.array([3, 11, 3]))
    assert categories(a) == ["3", "11"]             # numeric sort, not text sort
    assert np.asarray(a).dtype.kind == "i" and np.asarray(a).tolist() == [3, 11, 3]
    assert (a == np.array([3, 3, 3])).tolist() == [True, False, True]
    assert set(a) == {3, 11}


def test_indexing_returns_categorical():
    a = categorical(["a", "b", "c", "a"])
    sub = a[1:3]
    assert isinstance(sub, Categorical) and sub.names() == ["b", "c"] and sub.shape == (2, 1)
    assert a[a == "a"].names() == ["a", "a"]
    assert str(a[2]) == "c"
    a[0] = "c"
    assert a.names()[0] == "c"
    with pytest.raises(OptionError, match="not a category"):
        a[0] = "zzz"


def test_addcats_removecats_mergecats_renamecats():
    a = categorical(["a", "b", "c", "a"])
    b = addcats(a, ["d"])
    assert categories(b) == ["a", "b", "c", "d"] and b.names() == a.names()
    b2 = addcats(a, "z", "Before", "b")
    assert categories(b2) == ["a", "z", "b", "c"] and b2.names() == a.names()
    r = removecats(a, "b")
    assert categories(r) == ["a", "c"] and r.names() == ["a", "<undefined>", "c", "a"]
    assert categories(removecats(b)) == ["a", "b", "c"]          # unused 'd' dropped
    m = mergecats(a, ["b", "c"], "bc")
    assert categories(m) == ["a", "bc"] and m.names() == ["a", "bc", "bc", "a"]
    assert categories(mergecats(a, ["c", "a"])) == ["c", "b"]
    n = renamecats(a, ["x", "y", "z"])
    assert n.names() == ["x", "y", "z", "x"]
    n2 = renamecats(a, "b", "B")
    assert categories(n2) == ["a", "B", "c"]
    with pytest.raises(OptionError):
        renamecats(a, ["x"])
    o = reordercats(a, ["c", "a", "b"])
    assert categories(o) == ["c", "a", "b"] and o.names() == a.names()
    assert categories(reordercats(a, [3, 1, 2])) == ["c", "a", "b"]
    s = setcats(a, ["a", "b"])
    assert s.names() == ["a", "b", "<undefined>", "a"]


def test_onehotencode_matlab_layout():
    # N×1 labels, featureDim 2 -> N×K (NumPy reference: identity rows picked by code)
    a = categorical(["b", "a", "c", "b"])
    b = onehotencode(a, 2)
    np.testing.assert_array_equal(b, np.eye(3, dtype=np.float32)[[1, 0, 2, 1]])
    assert b.dtype == np.float32
    # 1×N labels, featureDim 1 -> K×N
    row = categorical(np.array([["b", "a", "c"]]))
    np.testing.assert_array_equal(onehotencode(row, 1), np.eye(3)[[1, 0, 2]].T)
    # typename and ClassNames
    d = onehotencode(a, 2, "double", "ClassNames", ["c", "b", "a"])
    np.testing.assert_array_equal(d, np.eye(3)[[1, 2, 0, 1]])
    assert d.dtype == np.float64
    u = onehotencode(categorical(["a", ""], ["a", "b"]), 2)
    assert np.isnan(u[1]).all() and u[0].tolist() == [1, 0]
    with pytest.raises(OptionError, match="dimension 1"):
        onehotencode(a, 1)


def test_onehotdecode_roundtrip_and_argmax():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    y = onehotdecode(scores, ["x", "y", "z"], 2)
    assert y.shape == (3, 1) and y.names() == ["y", "x", "z"]
    yt = onehotdecode(scores.T, ["x", "y", "z"], 1)
    assert yt.shape == (1, 3) and yt.names() == ["y", "x", "z"]
    a = categorical(["b", "a", "c"])
    assert onehotdecode(onehotencode(a, 2), categories(a), 2).names() == a.names()
    with pytest.raises(OptionError, match="3 elements but there are 2"):
        onehotdecode(scores, ["x", "y"], 2)


def test_bad_inputs_are_project_errors():
    with pytest.raises(OptionError, match="not a recognized parameter"):
        categorical(["a"], Colour=True)
    with pytest.raises(OptionError, match="catnames"):
        categorical(["a", "b"], ["a", "b"], ["x"])
    with pytest.raises(OptionError, match="categorical array"):
        countcats(["a", "b"])
    with pytest.raises(OptionError, match="already a category"):
        addcats(categorical(["a"]), "a")


def test_display():
    a = categorical(np.array([["red", "blue", "green"]]))
    assert a.display("A") == "A = 1×3 categorical\n\n     red      blue      green \n"


def test_categorical_parenthesis_indexing_checks_subscripts_as_matlab():
    from layergraph.values.categorical import paren_reference

    c = categorical(["a", "b", "c", "a"])                        # 4×1
    picked = paren_reference(c, np.array([[4.0, 2.0]]))           # a column indexed by a row: a column
    assert picked.shape == (2, 1) and picked.names() == ["a", "b"]
    assert paren_reference(c, np.array([[True, False, True, False]])).names() == ["a", "c"]
    assert paren_reference(c, np.array([3], dtype=np.uint8)).names() == ["c"]
    for bad in ([0.0], [1.5], [np.nan], [-1.0], [np.inf], [2.0, np.inf]):
        with pytest.raises(OptionError, match="positive integers"):
            paren_reference(c, np.array([bad]))
    with pytest.raises(OptionError, match="must not exceed 4"):
        paren_reference(c, np.array([[1.0, 5.0]]))
    many = np.arange(1, 301, dtype=np.float64) % 4 + 1            # more subscripts than the quick check takes
    assert paren_reference(c, many.reshape(1, -1)).names()[:4] == ["b", "c", "a", "a"]
