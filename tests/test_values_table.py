"""table: construction, column and row access, height/width, display."""

import numpy as np
import pytest

from layergraph.errors import OptionError
from layergraph.values import Categorical, Table, categorical, height, table, width


def _t():
    return table(categorical(["a", "b", "c"]), np.array([3, 1, 2]), VariableNames=["Label", "Count"])


def test_columns_and_sizes():
    t = _t()
    assert isinstance(t, Table)
    assert t.VariableNames == ["Label", "Count"] and t.Properties.VariableNames == ["Label", "Count"]
    assert height(t) == 3 and width(t) == 2 and t.shape == (3, 2)
    assert isinstance(t.Label, Categorical)
    np.testing.assert_array_equal(t["Count"], [3, 1, 2])
    assert t.Count.sum() == 6


def test_default_names_and_keywords():
    t = table([1, 2], ["x", "y"])
    assert t.VariableNames == ["Var1", "Var2"]
    k = table(Label=["p", "q"], Count=[1, 2])
    assert k.VariableNames == ["Label", "Count"] and k.Label.tolist() == ["p", "q"]


def test_row_indexing():
    t = _t()
    sub = t[1:]
    assert height(sub) == 2 and sub.Label.names() == ["b", "c"] and sub.Count.tolist() == [1, 2]
    mask = t.Count > 1
    assert t[mask].Label.names() == ["a", "c"]
    one = t[[2], "Count"]
    assert one.VariableNames == ["Count"] and one.Count.tolist() == [2]
    assert t[0].Count.tolist() == [3]           # a single row stays a table
    assert t[:, ["Count"]].VariableNames == ["Count"]


def test_assign_and_rename():
    t = _t()
    t["Frac"] = t.Count / t.Count.sum()
    assert t.VariableNames == ["Label", "Count", "Frac"]
    t.Properties.VariableNames = ["L", "C", "F"]
    assert t.C.tolist() == [3, 1, 2]
    with pytest.raises(OptionError, match="rows"):
        t["Bad"] = [1, 2]


def test_errors():
    t = _t()
    with pytest.raises(OptionError, match="same number of rows"):
        table([1, 2], [1, 2, 3])
    with pytest.raises(OptionError, match="unrecognized variable name 'Nope'"):
        t["Nope"]
    with pytest.raises(AttributeError, match="no variable 'Nope'"):
        t.Nope
    with pytest.raises(OptionError, match="2 VariableNames for 1"):
        table([1], VariableNames=["a", "b"])
    with pytest.raises(OptionError, match="out of range"):
        t[[7]]


def test_display():
    t = table(categorical(["circle", "square"]), np.array([4.0, 12.0]), VariableNames=["Label", "Count"])
    assert t.display() == (
        "  2×2 table\n\n"
        # MathWorks countEachLabel printout layout: name centred, underscores the column width,
        # numbers right-aligned among themselves and centred
        "    Label     Count\n"
        "    ______    _____\n\n"
        "    circle      4  \n"
        "    square     12  \n"
    )
