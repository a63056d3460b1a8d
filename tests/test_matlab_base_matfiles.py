"""MATLAB save/load: values saved then loaded are equal in class, shape and value; the files are plain
v5/v7.3 MAT-files an independent reader (scipy.io.loadmat / h5py) reads with MATLAB's layout; networks
come back from the spec written beside the file; command syntax and the workspace forms in scripts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.base.matfiles import load, load_variables, save
from layergraph.matlab.values import Cell, MString, StrArr, Struct, StructArr

# base functions this file tests (read by test_matlab_base_registry)
EXTRA_TESTED = ('save', 'load')


def _values():
    s2 = StructArr(np.array([[Struct({"a": np.array([[1.0]]), "b": "x"}),
                              Struct({"a": np.array([[2.0, 3.0]]), "b": "yz"})]], dtype=object), fields=["a", "b"])
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0] = np.array([[1.0, 2.0, 3.0]])
    cell[1, 0] = "text"
    return {
        "d": np.arange(6, dtype=np.float64).reshape(2, 3, order="F"),
        "nd": np.arange(24, dtype=np.float64).reshape(2, 3, 4),
        "sg": np.array([[1.5, -2.25]], dtype=np.float32),
        "i8": np.array([[-128, 127]], dtype=np.int8),
        "u16": np.array([[65535]], dtype=np.uint16),
        "i64": np.array([[-(2**40)]], dtype=np.int64),
        "tf": np.array([[True, False, True]]),
        "ch": "hello",
        "empty": np.zeros((0, 0)),
        "c": Cell(cell),
        "s": Struct({"name": "net", "size": np.array([[28.0, 28.0, 1.0]]), "inner": Struct({"k": np.array([[7.0]])})}),
        "sa": s2,
    }


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, Struct):
        return isinstance(b, Struct) and list(a.fields) == list(b.fields) and all(
            _same(a.fields[k], b.fields[k]) for k in a.fields)
    if isinstance(a, (Cell, StructArr)):
        return type(a) is type(b) and a.a.shape == b.a.shape and all(
            _same(x, y) for x, y in zip(a.a.reshape(-1), b.a.reshape(-1)))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("version", ["-v7", "-v6", "-v7.3"])
def test_round_trip_keeps_class_shape_and_value(tmp_path, version):
    values = _values()
    f = str(tmp_path / "data.mat")
    save(f, version, workspace=values)
    S = load(f)
    assert set(S.fields) == set(values)
    for name, v in values.items():
        assert _same(v, S.fields[name]), name


def test_files_are_what_an_independent_reader_sees_as_matlab_data(tmp_path):
    f = tmp_path / "x.mat"
    save(str(f), workspace=_values())
    raw = scipy.io.loadmat(str(f), squeeze_me=False, chars_as_strings=False)
    assert raw["d"].tolist() == [[0, 2, 4], [1, 3, 5]]
    assert raw["nd"].shape == (2, 3, 4)
    assert raw["sg"].dtype == np.float32 and raw["i8"].dtype == np.int8 and raw["i64"].dtype == np.int64
    assert raw["ch"].shape == (1, 5) and "".join(raw["ch"][0]) == "hello"      # a char row
    assert raw["c"].shape == (2, 1) and raw["s"].dtype.names == ("name", "size", "inner")
    assert raw["sa"].shape == (1, 2)
    with open(f, "rb") as fh:
        head = fh.read(128)
    assert head.startswith(b"MATLAB 5.0 MAT-file")
    # -v7 compresses: the first data element's type is miCOMPRESSED (15)
    assert np.frombuffer(Path(f).read_bytes()[128:132], dtype="<u4")[0] == 15


def test_v73_is_hdf5(tmp_path):
    import h5py

    f = tmp_path / "big.mat"
    save(str(f), "-v7.3", workspace={"x": np.array([[1.0, 2.0, 3.0]])})
    with h5py.File(f, "r") as h:
        assert h["x"].attrs["MATLAB_class"] in (b"double", "double")
        assert np.asarray(h["x"]).T.tolist() == [[1.0, 2.0, 3.0]]   # HDF5 stores MATLAB arrays transposed


def test_strings_save_as_char_and_cellstr(tmp_path):
    f = str(tmp_path / "s.mat")
    arr = np.empty((1, 2), dtype=object)
    arr[0, 0], arr[0, 1] = "a", "bc"
    save(f, workspace={"s": MString("word"), "sa": StrArr(arr)})
    S = load(f)
    assert S.fields["s"] == "word" and not isinstance(S.fields["s"], MString)
    assert isinstance(S.fields["sa"], Cell) and [str(x) for x in S.fields["sa"].items()] == ["a", "bc"]


def test_selected_variables_wildcards_struct_and_append(tmp_path):
    f = str(tmp_path / "sel.mat")
    ws = {"alpha": np.array([[1.0]]), "beta": np.array([[2.0]]), "gamma": np.array([[3.0]])}
    save(f, "alpha", "gamma", workspace=ws)
    assert set(load(f).fields) == {"alpha", "gamma"}
    save(f, "b*", "-append", workspace=ws)
    assert set(load(f).fields) == {"alpha", "beta", "gamma"}
    save(f, "-struct", "s", workspace={"s": Struct({"p": np.array([[5.0]]), "q": "t"})})
    assert set(load(f).fields) == {"p", "q"}
    assert set(load(f, "q").fields) == {"q"}
    save(f[:-4], workspace={"z": np.array([[9.0]])})          # no extension: .mat is added
    assert load(f).fields["z"][0, 0] == 9.0


def test_errors_are_matlabs(tmp_path, capsys):
    f = str(tmp_path / "e.mat")
    with pytest.raises(MatlabRuntimeError, match="Variable 'nope' not found"):
        save(f, "nope", workspace={"a": np.array([[1.0]])})
    with pytest.raises(MatlabRuntimeError, match="Unable to find file"):
        load(str(tmp_path / "missing.mat"))
    save(f, workspace={"a": np.array([[1.0]])})
    assert list(load(f, "a", "b").fields) == ["a"]
    assert "Warning: Variable 'b' not found." in capsys.readouterr().out
    with pytest.raises(MatlabRuntimeError, match="-regexp"):
        save(f, "-regexp", "a", workspace={"a": np.array([[1.0]])})
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"this is not a mat file at all" * 10)
    with pytest.raises(MatlabRuntimeError, match="bad.mat"):
        load(str(bad))


def test_ascii_numeric_file(tmp_path):
    f = tmp_path / "data.txt"
    f.write_text("1 2 3\n4,5,6\n% a comment\n7 8 9\n")
    assert load(str(f)).tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert load_variables(str(f))["data"].shape == (3, 3)


def test_networks_are_saved_as_specs_and_loaded_back(tmp_path):
    import torch

    from layergraph import assembleNetwork, fullyConnectedLayer, featureInputLayer, layerGraph, reluLayer
    from layergraph import softmaxLayer, classificationLayer

    layers = [featureInputLayer(4, Name="in"), fullyConnectedLayer(3, Name="fc"), reluLayer(Name="r"),
              fullyConnectedLayer(2, Name="fc2"), softmaxLayer(Name="sm"), classificationLayer(Name="out")]
    torch.manual_seed(0)
    net = assembleNetwork(layers_with_weights(layers))
    f = tmp_path / "model.mat"
    save(str(f), workspace={"net": net, "lgraph": layerGraph(layers_with_weights(layers)), "acc": np.array([[0.9]])})
    assert (tmp_path / "model.net.json").exists() and (tmp_path / "model.net.safetensors").exists()
    raw = scipy.io.loadmat(str(f))
    assert raw["net"].dtype.names == ("LayergraphClass", "LayergraphSpec")
    S = load(str(f))
    back = S.fields["net"]
    assert back.matlab_class() == net.matlab_class()
    x = torch.randn(5, 4)
    torch.testing.assert_close(back(x), net(x))
    assert [layer.Name for layer in S.fields["lgraph"].layer_list()] == ["in", "fc", "r", "fc2", "sm", "out"]


def layers_with_weights(layers):
    import copy

    rng = np.random.default_rng(1)
    out = copy.deepcopy(layers)
    for layer in out:
        if type(layer).__name__ == "FullyConnectedLayer":
            n_in = 4 if layer.Name == "fc" else 3
            layer.Weights = rng.standard_normal((layer.OutputSize, n_in)).astype(np.float32)
            layer.Bias = rng.standard_normal((layer.OutputSize, 1)).astype(np.float32)
    return out


def test_categorical_table_and_empty_values(tmp_path):
    from layergraph.values import categorical, table

    f = str(tmp_path / "v.mat")
    labels = categorical(["cat", "dog", "cat"])
    t = table(np.array([1.0, 2.0]), np.array([3.0, 4.0]), VariableNames=["A", "B"])
    save(f, workspace={"lab": labels, "t": t, "e": "", "es": Struct({})})
    S = load(f)
    assert [str(x) for x in S.fields["lab"].items()] == ["cat", "dog", "cat"]    # categorical -> cellstr
    assert isinstance(S.fields["t"], Struct) and S.fields["t"].fields["A"].tolist() == [[1.0], [2.0]]
    assert S.fields["e"] == ""
    assert isinstance(S.fields["es"], Struct)


def _run_script(tmp_path, text, monkeypatch):
    from layergraph.matlab.runner import run

    script = tmp_path / "script.m"
    script.write_text(text)
    monkeypatch.chdir(tmp_path)
    return run(str(script))


def test_scripts_save_and_load_workspaces_with_command_syntax(tmp_path, monkeypatch, capsys):
    ws = _run_script(tmp_path, """
a = [1 2; 3 4];
name = 'digits';
c = {1, 'two'};
save data.mat a name
save('all.mat')
clear a
load data.mat
S = load('all.mat');
b = S.c{2};
clear c
load('all.mat', 'c')
s.p = 3; s.q = 'x';
save('st.mat', '-struct', 's')
T = load('st.mat');
""", monkeypatch)
    assert ws["a"].tolist() == [[1, 2], [3, 4]] and ws["name"] == "digits"
    assert ws["b"] == "two" and isinstance(ws["c"], Cell)
    assert isinstance(ws["T"], Struct) and set(ws["T"].fields) == {"p", "q"}
    assert set(scipy.io.loadmat(str(tmp_path / "data.mat"))) >= {"a", "name"}


def test_script_file_access_goes_through_the_policy(tmp_path, monkeypatch):
    from layergraph.errors import MatlabRuntimeError as RunError

    outside = tmp_path.parent / "outside_rngio.mat"
    with pytest.raises(RunError, match="not allowed"):
        _run_script(tmp_path, f"x = 1;\nsave('{outside}', 'x')\n", monkeypatch)
    assert not outside.exists()


def test_porting_never_reads_or_writes(tmp_path, monkeypatch):
    from layergraph.matlab import port

    monkeypatch.chdir(tmp_path)
    result = port("x = 1;\nsave('p.mat', 'x')\nS = load('p.mat');\n")
    assert not (tmp_path / "p.mat").exists()
    assert "S" in result.workspace


def test_a_network_saved_by_matlab_loads_through_the_importer(tmp_path, monkeypatch):
    """issue 16: load('net.mat') in a script returns the network the .mat importer builds (file written in
    MATLAB's object format by the tests' own writer)."""
    import torch

    import mat_writer as W
    from layergraph import assembleNetwork, featureInputLayer, fullyConnectedLayer, regressionLayer, reluLayer

    layers = layers_with_weights([featureInputLayer(4, Name="in"), fullyConnectedLayer(3, Name="fc"),
                                  reluLayer(Name="r"), fullyConnectedLayer(2, Name="fc2")])
    net = assembleNetwork(layers + [regressionLayer(Name="out")])
    W.save_mat(tmp_path / "trained.mat", {"net": W.series_network(net), "acc": W.num(0.5)})
    ws = _run_script(tmp_path, "load('trained.mat')\nS = load('trained.mat', 'net');\nk = class(net);\n",
                     monkeypatch)
    x = torch.randn(3, 4)
    torch.testing.assert_close(ws["net"].predict(x), net.predict(x))
    assert ws["acc"][0, 0] == 0.5 and ws["S"].fields["net"].matlab_class() == "SeriesNetwork"


def test_ascii_save_and_load(tmp_path):
    f = str(tmp_path / "x.txt")
    save(f, "x", "-ascii", workspace={"x": np.array([[1.0, -2.5], [3.0, 0.125]])})
    assert Path(f).read_text() == "   1.0000000e+00  -2.5000000e+00\n   3.0000000e+00   1.2500000e-01\n"
    assert load(f).tolist() == [[1.0, -2.5], [3.0, 0.125]]
    save(f, "x", "-ascii", "-double", workspace={"x": np.array([[np.pi]])})
    assert Path(f).read_text() == "   3.141592653589793e+00\n"


def test_save_from_python_code_uses_the_callers_variables(tmp_path):
    """A translated program calls ml.save('f.mat', 'a') without a workspace: its local variables are saved."""
    def translated_function():
        a = np.array([[1.0, 2.0]])
        label = "x"
        save(str(tmp_path / "f.mat"), "a")
        save(str(tmp_path / "all.mat"))
        return a, label

    translated_function()
    assert set(load(str(tmp_path / "f.mat")).fields) == {"a"}
    assert set(load(str(tmp_path / "all.mat")).fields) == {"a", "label"}
