"""containers.Map: the behaviour in MathWorks' containers.Map reference page (handle semantics, sorted keys,
KeyType/ValueType, UniformValues, values(M, keys), isKey, remove, Count/length, errors)."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.functions import FUNCTIONS
from layergraph.matlab.base.containers import MatlabMap, containers_Map, isKey, keys, remove, values
from layergraph.matlab.values import Cell

# base functions this file tests (read by test_matlab_base_registry)
EXTRA_TESTED = ('containers.Map', 'keys', 'values', 'isKey', 'remove')


def n(x):
    return np.array([[float(x)]])


def test_documented_example_months():
    # keySet = {'Jan','Feb','Mar','Apr'}; valueSet = [327.2 368.2 197.6 178.4]; M = containers.Map(keySet,valueSet)
    M = containers_Map(Cell.row(["Jan", "Feb", "Mar", "Apr"]), np.array([[327.2, 368.2, 197.6, 178.4]]))
    assert M.Count[0, 0] == 4 and M.KeyType == "char" and M.ValueType == "double"
    assert [k for k in keys(M).items()] == ["Apr", "Feb", "Jan", "Mar"]            # sorted
    assert [v[0, 0] for v in values(M).items()] == [178.4, 368.2, 327.2, 197.6]   # in key order
    assert M.paren_get(["Mar"])[0, 0] == 197.6
    got = values(M, Cell.row(["Feb", "Jan"]))
    assert [v[0, 0] for v in got.items()] == [368.2, 327.2]


def test_numeric_keys_and_mixed_values():
    # keySet = [5 10 15]; valueSet = {'five','ten','fifteen'} -> KeyType double, ValueType char
    M = containers_Map(np.array([[15.0, 5.0, 10.0]]), Cell.row(["fifteen", "five", "ten"]))
    assert M.KeyType == "double" and M.ValueType == "char"
    assert [k[0, 0] for k in keys(M).items()] == [5.0, 10.0, 15.0]
    assert M.paren_get([n(10)]) == "ten"
    mixed = containers_Map(Cell.row(["a", "b"]), Cell.row([n(1), "text"]))
    assert mixed.ValueType == "any"
    uniform_off = containers_Map(Cell.row(["a", "b"]), Cell.row([n(1), n(2)]), "UniformValues", False)
    assert uniform_off.ValueType == "any"


def test_single_key_empty_map_and_types():
    M = containers_Map("k", np.array([[1.0, 2.0]]))
    assert M.Count[0, 0] == 1 and M.paren_get(["k"]).tolist() == [[1.0, 2.0]]
    E = containers_Map("KeyType", "double", "ValueType", "any")
    assert E.KeyType == "double" and E.Count[0, 0] == 0 and E.matlab_size() == (0, 1)
    E.paren_set([n(3)], "three")
    assert E.paren_get([n(3)]) == "three"
    with pytest.raises(MatlabRuntimeError, match="Specified key type does not match"):
        E.paren_get(["x"])
    D = containers_Map("KeyType", "char", "ValueType", "double")
    with pytest.raises(MatlabRuntimeError, match="Specified value type does not match"):
        D.paren_set(["x"], "text")
    with pytest.raises(MatlabRuntimeError, match="Unsupported key type"):
        containers_Map("KeyType", "cell", "ValueType", "any")


def test_handle_semantics_is_key_and_remove():
    M = containers_Map()
    h = M
    h.paren_set(["a"], n(1))
    h.paren_set(["b"], n(2))
    assert M.Count[0, 0] == 2
    assert isKey(M, "a")[0, 0] and not isKey(M, "z")[0, 0]
    assert isKey(M, Cell.row(["a", "z", "b"])).tolist() == [[True, False, True]]
    assert remove(M, "a") is M and M.Count[0, 0] == 1
    with pytest.raises(MatlabRuntimeError, match="The specified key is not present in this container."):
        remove(M, "a")
    with pytest.raises(MatlabRuntimeError) as err:
        M.paren_get(["nope"])
    assert err.value.identifier == "MATLAB:Containers:Map:NoKey"
    with pytest.raises(MatlabRuntimeError, match="number of keys and values"):
        containers_Map(Cell.row(["a", "b"]), Cell.row([n(1)]))


def test_registered_and_declares_what_matlab_may_touch():
    assert FUNCTIONS["containers.Map"].base and FUNCTIONS["keys"].base and FUNCTIONS["isKey"].base
    assert MatlabMap.MATLAB_PROPERTIES == ("Count", "KeyType", "ValueType")
    assert set(MatlabMap.MATLAB_METHODS) >= {"keys", "values", "isKey", "remove"}


def test_scripts_use_maps_as_handles(tmp_path, monkeypatch):
    from layergraph.matlab.runner import run

    script = tmp_path / "m.m"
    script.write_text("""
m = containers.Map();
m('a') = 1;
h = m;
h('b') = [2 3];
n = m.Count;
k = keys(m);
k2 = m.keys();
len = length(m);
tf = isKey(m, 'b');
v = m('b');
m2 = containers.Map({'x','y'}, {10, 'text'});
vt = m2.ValueType;
cls = class(m);
try
    q = m('zz');
catch ME
    id = ME.identifier;
end
""")
    monkeypatch.chdir(tmp_path)
    ws = run(str(script))
    assert ws["n"][0, 0] == 2 and ws["len"][0, 0] == 2
    assert list(ws["k"].items()) == ["a", "b"] and list(ws["k2"].items()) == ["a", "b"]
    assert ws["tf"][0, 0] and ws["v"].tolist() == [[2.0, 3.0]] and ws["vt"] == "any"
    assert ws["id"] == "MATLAB:Containers:Map:NoKey"
    assert ws["cls"] == "containers.Map"


def test_display_is_matlabs(capsys):
    from layergraph.matlab.display import display_value

    M = containers_Map(Cell.row(["Jan", "Feb", "Mar", "Apr"]), np.array([[327.2, 368.2, 197.6, 178.4]]))
    display_value("M", M)
    lines = capsys.readouterr().out.splitlines()
    # the containers.Map reference page: "Map with properties:", Count/KeyType/ValueType right-aligned, unquoted
    body = [ln for ln in lines if ln.strip()]
    assert body == ["M = ", "  Map with properties:", "        Count: 4", "      KeyType: char",
                    "    ValueType: double"]
