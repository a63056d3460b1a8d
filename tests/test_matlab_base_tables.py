"""Tables in scripts and delimited text files: readtable/writetable, readmatrix/writematrix, csvread/
csvwrite, dlmread/dlmwrite, table2array/array2table/cell2table, T.Var, T(rows,vars), T{rows,vars}.
Expected texts are written by hand from MATLAB's documented formats (long g for writetable/writematrix,
five significant digits for csvwrite)."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.base.tables import (
    array2table, cell2table, csvread, csvwrite, dlmread, dlmwrite, readmatrix, readtable, table2array, writematrix,
    writetable,
)
from layergraph.matlab.values import Cell
from layergraph.values import Table, table

# base functions this file tests (read by test_matlab_base_registry)
EXTRA_TESTED = ('readtable', 'writetable', 'readmatrix', 'writematrix', 'csvread', 'csvwrite', 'dlmread', 'dlmwrite', 'array2table', 'cell2table', 'table2array')


def test_writetable_then_readtable(tmp_path):
    f = tmp_path / "t.csv"
    name = np.empty(3, dtype=object)
    name[:] = ["a", "b,c", "d"]
    T = table(np.array([1.0, 2.0, 3.0]), name, np.array([0.1, np.pi, 1e-20]), VariableNames=["X", "Name", "Y"])
    writetable(T, str(f))
    assert f.read_text() == ('X,Name,Y\n1,a,0.1\n2,"b,c",3.14159265358979\n3,d,1e-20\n')
    back = readtable(str(f))
    assert back.VariableNames == ["X", "Name", "Y"]
    assert back["X"].tolist() == [1.0, 2.0, 3.0] and list(back["Name"]) == ["a", "b,c", "d"]
    assert back["Y"][1] == float("3.14159265358979")
    writetable(T, str(f), "Delimiter", "\t", "WriteVariableNames", False)
    assert f.read_text().splitlines()[0] == "1\ta\t0.1"
    assert readtable(str(f), "Delimiter", "tab", "ReadVariableNames", False).VariableNames == ["Var1", "Var2", "Var3"]


def test_readtable_headers_and_missing_values(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("first name,2nd,,x\nann,1,,5\nbob,,3,6\n")
    T = readtable(str(f))
    assert T.VariableNames == ["firstName", "x2nd", "Var3", "x"]
    assert np.isnan(T["x2nd"][1]) and T["x2nd"][0] == 1.0 and np.isnan(T["Var3"][0])


def test_matrix_files(tmp_path):
    f = tmp_path / "m.csv"
    writematrix(np.array([[1.5, 2.0], [3.0, np.pi]]), str(f))
    assert f.read_text() == "1.5,2\n3,3.14159265358979\n"
    f2 = tmp_path / "h.csv"
    f2.write_text("a,b\n1,2\n3,x\n")
    A = readmatrix(str(f2))
    assert A.shape == (2, 2) and A[0].tolist() == [1, 2] and A[1, 0] == 3 and np.isnan(A[1, 1])
    c = tmp_path / "c.csv"
    csvwrite(str(c), np.array([[np.pi, 1000.12345]]))
    assert c.read_text() == "3.1416,1000.1\n"
    assert csvread(str(c)).tolist() == [[3.1416, 1000.1]]
    c.write_text("1,2,3\n4,,6\n")
    assert csvread(str(c), 1, 0).tolist() == [[4, 0, 6]]
    d = tmp_path / "d.txt"
    dlmwrite(str(d), np.array([[1.0, 2.0]]), " ")
    dlmwrite(str(d), np.array([[3.0, 4.0]]), "-append", "delimiter", " ", "precision", 3)
    assert d.read_text() == "1 2\n3 4\n"
    assert dlmread(str(d), " ").tolist() == [[1, 2], [3, 4]]


def test_conversions():
    T = array2table(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert T.VariableNames == ["Var1", "Var2"] and T["Var2"].tolist() == [2.0, 4.0]
    T = array2table(np.array([[1.0, 2.0]]), "VariableNames", Cell.row(["p", "q"]))
    assert table2array(T).tolist() == [[1.0, 2.0]]
    C = Cell(np.array([[np.array([[1.0]]), "x"], [np.array([[2.0]]), "y"]], dtype=object))
    T = cell2table(C, "VariableNames", Cell.row(["n", "s"]))
    assert T["n"].tolist() == [1.0, 2.0] and list(T["s"]) == ["x", "y"]
    with pytest.raises(MatlabRuntimeError, match="one name for each variable"):
        array2table(np.array([[1.0, 2.0]]), "VariableNames", Cell.row(["p"]))


def test_table_subscripts():
    T = table(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), VariableNames=["A", "B"])
    sub = T.paren_get([np.array([[2.0, 3.0]]), ":"])
    assert isinstance(sub, Table) and sub["A"].tolist() == [2.0, 3.0]
    assert T.paren_get([np.array([[True, False, True]]), "B"])["B"].tolist() == [4.0, 6.0]
    assert T.brace_get([np.array([[1.0]]), Cell.row(["A", "B"])]).tolist() == [[1.0, 4.0]]
    assert T.brace_get([":", np.array([[2.0]])]).tolist() == [[4.0], [5.0], [6.0]]


def test_files_go_through_the_policy(tmp_path):
    from layergraph.policy import PolicyError, confined

    with confined([tmp_path / "allowed"]):
        with pytest.raises(PolicyError):
            readtable(str(tmp_path / "x.csv"))
        with pytest.raises(PolicyError):
            writematrix(np.array([[1.0]]), str(tmp_path / "x.csv"))


def test_scripts_use_tables(tmp_path, monkeypatch):
    from layergraph.matlab.runner import run

    script = tmp_path / "t.m"
    script.write_text("""
T = table([1;2;3], {'a';'b';'c'}, 'VariableNames', {'X','Name'});
x = T.X;
T.Y = T.X * 2;
T.X(2) = 20;
U = T;
U.X = [0;0;0];
R = T(2:3, :);
v = T{2, 'X'};
A = T{:, {'X','Y'}};
names = T{:, 'Name'};
h = height(T); w = width(T); s = size(T);
writetable(T, 'out.csv');
T2 = readtable('out.csv');
last = T2(end, :);
""")
    monkeypatch.chdir(tmp_path)
    ws = run(str(script))
    assert ws["x"].tolist() == [[1], [2], [3]]                       # a column, as in MATLAB
    assert ws["T"]["X"].tolist() == [1, 20, 3] and ws["U"]["X"].tolist() == [0, 0, 0]   # value semantics
    assert ws["R"].height == 2 and ws["v"].tolist() == [[20]]
    assert ws["A"].tolist() == [[1, 2], [20, 4], [3, 6]]
    assert isinstance(ws["names"], Cell) and list(ws["names"].items()) == ["a", "b", "c"]
    assert ws["h"][0, 0] == 3 and ws["w"][0, 0] == 3 and ws["s"].tolist() == [[3, 3]]
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == "X,Name,Y"
    assert ws["last"]["Name"].tolist() == ["c"]
