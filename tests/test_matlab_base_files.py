"""MATLAB base functions: files and paths (files.py) and validation (validation.py).

From the MathWorks pages: fullfile.html (no doubled separators), fileparts.html ('/home/user/file.txt'
gives '/home/user', 'file', '.txt'), filesep/pathsep, isfile/isfolder, dir.html (struct with name,
folder, date, bytes, isdir, datenum), mkdir.html (an existing folder is not an error), delete.html;
isequal.html (values compared regardless of numeric class; NaN ~= NaN, isequaln treats them equal),
assert.html, validatestring.html (case-insensitive prefix match), validateattributes.html."""

import os

import numpy as np
import pytest

from layergraph.errors import LayerGraphError, MatlabRuntimeError
from layergraph.functions import FUNCTIONS
from layergraph.matlab.values import Cell, MString, Struct
from matlab_base_helpers import FALSE, TRUE, M, S, case_id, check_case

C = Cell.row

CASES = [
    ("fullfile", ("a", "b", "c.m"), os.path.join("a", "b", "c.m")),
    ("fullfile", ("a/", "b"), "a/b"),
    ("fullfile", ("/data", "", "x.png"), "/data/x.png"),
    ("fullfile", ("d", C(["x", "y"])), C(["d/x", "d/y"])),
    ("fullfile", (MString("a"), "b"), MString("a/b")),
    ("fileparts", ("/home/user/file.txt",), "/home/user"),
    ("fileparts", ("/home/user/file.txt",), ("/home/user", "file", ".txt"), 3),
    ("fileparts", ("file.tar.gz",), ("", "file.tar", ".gz"), 3),
    ("fileparts", ("noext",), ("", "noext", ""), 3),
    ("filesep", (), os.sep),
    ("pathsep", (), os.pathsep),
    # validation
    ("isequal", (M([1, 2]), M([1, 2])), TRUE),
    ("isequal", (M([1, 2]), M([1, 2], np.int8)), TRUE),       # numeric class ignored
    ("isequal", ("a", S(97)), TRUE),
    ("isequal", (M([1, 2]), M([[1], [2]])), FALSE),           # size matters
    ("isequal", (S(np.nan), S(np.nan)), FALSE),
    ("isequaln", (S(np.nan), S(np.nan)), TRUE),
    ("isequal", (C(["a", S(1)]), C(["a", S(1)])), TRUE),
    ("isequal", (Struct({"a": S(1), "b": S(2)}), Struct({"b": S(2), "a": S(1)})), TRUE),
    ("isequal", (MString("ab"), "ab"), TRUE),
    ("isequal", (S(1), S(1), S(2)), FALSE),
    ("assert", (TRUE,), None),
    ("assert", (M([1, 1]),), None),
    ("assert", (FALSE,), MatlabRuntimeError),
    ("assert", (np.zeros((0, 0)),), MatlabRuntimeError),      # empty is false
    ("validatestring", ("app", C(["apple", "banana"])), "apple"),
    ("validatestring", ("BAN", C(["apple", "banana"])), "banana"),
    ("validatestring", ("a", C(["apple", "apricot"])), MatlabRuntimeError),     # ambiguous
    ("validatestring", ("r", C(["rgb", "rgba"])), "rgb"),     # one match is a prefix of the others
    ("validatestring", ("x", C(["apple"])), MatlabRuntimeError),
    ("validateattributes", (S(3), C(["numeric"]), C(["positive", "scalar", "integer"])), None),
    ("validateattributes", (S(-1), C(["numeric"]), C(["positive"])), MatlabRuntimeError),
    ("validateattributes", ("x", C(["numeric"]), C([])), MatlabRuntimeError),
    ("validateattributes", (M([1, 2, 3]), C(["double"]), C(["vector", "numel", S(3), "increasing"])), None),
    ("validateattributes", (M([[1, 2]]), Cell(np.empty((0, 0), dtype=object)), C(["size", M([1, np.nan])])), None),
    ("validateattributes", (M([1, 2]), C(["numeric"]), C(["size", M([2, 1])])), MatlabRuntimeError),
    ("validateattributes", (M([1, 5]), C(["numeric"]), C(["<=", S(4)])), MatlabRuntimeError),
    ("validateattributes", (M([0.5]), C(["numeric"]), C(["integer"])), MatlabRuntimeError),
]


# covered by test_folder_functions and test_pwd below (they need a real folder)
EXTRA_TESTED = ("mkdir", "isfolder", "isfile", "dir", "delete", "pwd")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_file_and_validation_functions(case):
    check_case(case)


def _call(name, *args, nargout=None):
    entry = FUNCTIONS[name]
    if entry.nargout_aware and nargout is not None:
        return entry.function(*args, nargout=nargout)
    return entry.function(*args)


def test_validation_messages_and_identifiers():
    with pytest.raises(MatlabRuntimeError) as err:
        _call("validateattributes", S(-1), C(["numeric"]), C(["positive"]), "f", "lr")
    assert err.value.identifier == "MATLAB:expectedPositive"
    assert err.value.message == "Expected lr to be positive."
    with pytest.raises(MatlabRuntimeError) as err:
        _call("assert", FALSE, "my:id", "value %d too big", S(5))
    assert err.value.identifier == "my:id"
    with pytest.raises(MatlabRuntimeError) as err:
        _call("assert", FALSE)
    assert err.value.message == "Assertion failed."


def test_folder_functions(tmp_path):
    """mkdir, isfolder, isfile, dir and delete on a real folder."""
    root = str(tmp_path)
    sub = os.path.join(root, "out")
    assert _call("mkdir", sub).item() is True or bool(_call("mkdir", sub).item())
    status, msg = _call("mkdir", sub, nargout=2)           # an existing folder is not an error
    assert bool(status.item()) and msg == "Directory already exists."
    assert bool(_call("isfolder", sub).item()) and not bool(_call("isfile", sub).item())
    path = os.path.join(sub, "a.txt")
    with open(path, "w") as f:
        f.write("hello")
    assert bool(_call("isfile", path).item())
    listing = _call("dir", sub)
    items = listing.items() if hasattr(listing, "items") and not isinstance(listing, Struct) else [listing]
    names = [s.fields["name"] for s in items]
    assert names == [".", "..", "a.txt"]
    entry = items[2].fields
    assert entry["bytes"].item() == 5.0 and not bool(entry["isdir"].item()) and entry["folder"] == sub
    one = _call("dir", os.path.join(sub, "*.txt"))
    assert isinstance(one, Struct) and one.fields["name"] == "a.txt"
    _call("delete", path)
    assert not os.path.exists(path)


def test_file_functions_obey_the_policy(tmp_path):
    """Inside a confined run, reading or writing outside the allowed folders is refused."""
    from layergraph.policy import confined

    inside = tmp_path / "in"
    inside.mkdir()
    with confined([str(inside)]):
        _call("mkdir", str(inside / "ok"))
        with pytest.raises(LayerGraphError):
            _call("mkdir", "/definitely/not/allowed/here")
        with pytest.raises(LayerGraphError):
            _call("dir", "/")
        with pytest.raises(LayerGraphError):
            _call("delete", "/etc/hostname")
    assert (inside / "ok").is_dir()


def test_pwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _call("pwd") == str(tmp_path.resolve())


def test_frewind_goes_back_to_the_first_line(tmp_path):
    """frewind.html: "sets the file position indicator to the beginning of a file" — fgetl after frewind
    reads the first line again (helper "display"'s text-file functions, through the registry)."""
    path = tmp_path / "lines.txt"
    path.write_text("first\nsecond\n")
    fid = _call("fopen", str(path), "r", nargout=1)
    assert _call("fgetl", fid) == "first"
    assert _call("fgetl", fid) == "second"
    _call("frewind", fid)
    assert _call("fgetl", fid) == "first"
    _call("fclose", fid)


def test_exist_for_files_and_folders(tmp_path):
    """exist.html: 2 for a file, 7 for a folder, 0 when absent; exist(name, 'file'/'dir') — a script run
    with layergraph run may look at its own folder."""
    from layergraph.matlab import run

    (tmp_path / "data.csv").write_text("1\n")
    (tmp_path / "sub").mkdir()
    script = tmp_path / "probe.m"
    script.write_text("a = exist('data.csv', 'file');\nb = exist('sub', 'dir');\nc = exist('sub');\n"
                      "d = exist('nothing.txt', 'file');\ne = exist('data.csv');\n")
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        ws = run(str(script))
    finally:
        os.chdir(old)
    assert [ws[k].item() for k in "abcde"] == [2.0, 7.0, 7.0, 0.0, 2.0]
