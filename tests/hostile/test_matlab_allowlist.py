"""For every object type MATLAB code can obtain, every name in dir(obj) outside its allow-list is refused
(read, write and method call), directly at the access check and through MATLAB code."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph import analyzeNetwork, assembleNetwork, dlnetwork, layerGraph, trainingOptions
from layergraph.analysis import Issue
from layergraph.layers import REGISTRY, make_constructor
from layergraph.matlab import port
from layergraph.matlab.access import (
    FIELD_NAME, MatlabAccessError, is_matlab_value, method_name, read_property, to_matlab, write_property,
)
from layergraph.matlab.values import Cell, FuncHandle, LayerArr, MString, StrArr, Struct

from layer_cases import all_cases


def _layers():
    seen = {}
    for case in all_cases():
        if case.constructor not in seen:
            seen[case.constructor] = make_constructor(REGISTRY[case.constructor])(*case.args, **case.kwargs)
    return list(seen.values())


def _objects():
    fi, fc = REGISTRY["featureInputLayer"](3, Name="in"), REGISTRY["fullyConnectedLayer"](2, Name="fc")
    sm, out = REGISTRY["softmaxLayer"](Name="sm"), REGISTRY["classificationLayer"](Name="out")
    graph = layerGraph([fi, fc, sm, out])
    analysis = analyzeNetwork([fi, fc], Plots="none")
    bad = analyzeNetwork([fi, REGISTRY["additionLayer"](2, Name="add")], Plots="none")
    objs = {
        "LayerGraph": graph,
        "ConnectionTable": graph.Connections,
        "Network (assembleNetwork)": assembleNetwork(graph),
        "Network (dlnetwork)": dlnetwork([fi, fc]),
        "NetworkAnalysis": analysis,
        "LayerInfoRow": analysis.LayerInfo[0],
        "Issue": bad.Issues[0],
        "FuncHandle": FuncHandle(name="sin", text="@sin"),
        "Struct": Struct({"a": np.ones((1, 1))}),
        "Cell": Cell.row([1.0]),
        "LayerArr": LayerArr.row([fi]),
        "StrArr": StrArr.row([MString("a")]),
        "MString": MString("text"),
        "char": "text",
        "double": np.ones((2, 2)),
    }
    for solver in ("sgdm", "adam", "rmsprop"):
        objs[f"TrainingOptions ({solver})"] = trainingOptions(solver)
    from layergraph.checklayer import CheckLayerResult, TestResult
    objs["CheckLayerResult"] = CheckLayerResult("t", [TestResult("x")])
    objs["TestResult"] = TestResult("x")
    from layergraph.values.categorical import categorical
    from layergraph.values.table import table
    objs["Table"] = table(np.array([1.0, 2.0]), np.array([3.0, 4.0]), VariableNames=["Var1", "Score"])
    objs["Categorical"] = categorical(["a", "b", "a"])
    for layer in _layers():
        objs[f"layer {layer.MATLAB_NAME}"] = layer
    return objs


OBJECTS = _objects()


def _allowed(obj, kind):
    if isinstance(obj, (Struct, Cell, LayerArr, StrArr, str, np.ndarray, FuncHandle)):
        return set()
    names = set(getattr(type(obj), kind, ()) or ())
    if kind == "MATLAB_PROPERTIES" and getattr(type(obj), "MATLAB_DYNAMIC_PROPERTIES", None):
        names |= set(getattr(obj, type(obj).MATLAB_DYNAMIC_PROPERTIES))     # a table's variables
    return names


def test_every_object_type_declares_its_allow_list():
    for label, obj in OBJECTS.items():
        if isinstance(obj, (Cell, LayerArr, StrArr, str, np.ndarray, Struct)):
            continue
        for kind in ("MATLAB_PROPERTIES", "MATLAB_SETTABLE", "MATLAB_METHODS"):
            assert isinstance(getattr(type(obj), kind), tuple), (label, kind)
        assert set(type(obj).MATLAB_SETTABLE) <= set(type(obj).MATLAB_PROPERTIES), label


@pytest.mark.parametrize("label", list(OBJECTS))
def test_every_name_outside_the_allow_list_is_refused(label):
    obj = OBJECTS[label]
    props, settable, methods = (_allowed(obj, k) for k in ("MATLAB_PROPERTIES", "MATLAB_SETTABLE", "MATLAB_METHODS"))
    names = set(dir(obj)) | {"__class__", "__dict__", "__globals__", "__init__", "__reduce__", "mro", "_values"}
    checked = 0
    for name in sorted(names):
        if name not in props:
            with pytest.raises(MatlabAccessError):
                read_property(obj, name)
        if name not in settable and not isinstance(obj, Struct):
            with pytest.raises(MatlabAccessError):
                write_property(obj, name, 1.0)
        if name not in methods:
            assert method_name(obj, name) is None, (label, name)
        checked += 1
    assert checked >= len(names)
    for name in props:   # the allowed names read (a MATLAB value or an allow-listed object comes back)
        try:
            value = read_property(obj, name)
        except MatlabAccessError as exc:
            if "cannot be handed to MATLAB code" in str(exc):
                assert label == "layer functionLayer" and name == "PredictFcn"   # a Python function, not a handle
                continue
            assert "has no property" in str(exc) and isinstance(obj, type(OBJECTS["TrainingOptions (sgdm)"]))
            continue   # a solver-specific option of another solver
        assert is_matlab_value(value), (label, name)


@pytest.mark.parametrize("label", [k for k in OBJECTS if not k.startswith("layer ")] + ["layer convolution2dLayer",
                                                                                       "layer lstmLayer"])
def test_matlab_code_reaches_no_name_outside_the_allow_list(label):
    """The same through a script: one try/catch per name; nothing outside the allow-list is read."""
    obj = OBJECTS[label]
    props = _allowed(obj, "MATLAB_PROPERTIES") | _allowed(obj, "MATLAB_METHODS")
    if isinstance(obj, Struct):
        props = set(obj.fields)
    names = sorted(n for n in set(dir(obj)) - props)
    lines = ["leaked = {};"]
    for n in names:
        access = f"obj.{n}" if FIELD_NAME.match(n) else f"obj.('{n}')"
        lines.append(f"try; v = {access}; leaked{{end+1}} = '{n}'; catch; end")
        lines.append(f"try; obj.('{n}') = 1; if ~isstruct(obj); leaked{{end+1}} = '{n}='; end; catch; end")
    result = port("\n".join(lines), workspace={"obj": obj})
    assert result.workspace["leaked"].items() == []
    assert not result.errors


def test_python_values_that_are_not_matlab_values_are_refused():
    for value in (object(), {1, 2}, print, np.ones(2, dtype=complex), type, __builtins__):
        with pytest.raises(MatlabAccessError):
            to_matlab(value)
    from layergraph.errors import MatlabPortError
    with pytest.raises(MatlabPortError, match="workspace variable 'x'"):
        port("y = x;", workspace={"x": object()})


def test_table_variables_are_read_as_dynamic_properties_and_nothing_else():
    t = OBJECTS["Table"]
    ws = port("a = t.Var1; b = t.Score; n = t.VariableNames; f = fieldnames(t);", workspace={"t": t}).workspace
    assert ws["a"].reshape(-1).tolist() == [1.0, 2.0] and ws["b"].reshape(-1).tolist() == [3.0, 4.0]
    assert ws["n"].items() == ["Var1", "Score"]
    assert ws["f"].items() == ["Properties", "VariableNames", "Var1", "Score"]
    from layergraph.errors import MatlabPortError
    for attempt in ("x = t._columns;", "x = t.('_names');", "x = t.Missing;", "t.Var1 = 3;"):
        with pytest.raises(MatlabPortError):
            port(attempt, workspace={"t": t})
