"""sprintf / fprintf / num2str / mat2str / int2str / fopen... against MATLAB's documented results.

Expected texts come from the MathWorks pages of each function (https://www.mathworks.com/help/matlab/ref/
sprintf.html, fprintf.html, num2str.html, mat2str.html, int2str.html, fopen.html, fgetl.html) or are derived by
hand from the rules those pages state (format recycled over column-major data; %d of a non-integer becomes %e;
num2str's 4 digits after the point / max(floor(log10(|x|))+5, 5) significant digits).
"""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import LayerGraphError
from layergraph.functions import FUNCTIONS
from layergraph.matlab.values import MString

sprintf = FUNCTIONS["sprintf"].function
num2str = FUNCTIONS["num2str"].function
mat2str = FUNCTIONS["mat2str"].function
int2str = FUNCTIONS["int2str"].function


def row(*xs):
    return np.array([xs], dtype=np.float64)


@pytest.mark.parametrize("fmt, args, expected", [
    # sprintf page: "formatSpec can also include additional text before a percent sign"
    ("The array is %dx%d.", (row(2, 3),), "The array is 2x3."),
    # format recycled over the data, column-major
    ("%d %d\n", (np.array([[1.0, 3.0], [2.0, 4.0]]),), "1 2\n3 4\n"),
    # output stops at the first conversion without data
    ("%d and %d;", (row(1, 2, 3),), "1 and 2;3 and "),
    # sprintf page: %d with a non-integer switches to %e
    ("%d", (np.pi,), "3.141593e+00"),
    ("%s", (np.pi,), "3.141593e+00"),
    ("%s", (row(72, 105),), "Hi"),
    ("%d,", ("ab",), "97,98,"),
    ("%c|", ("abc",), "a|b|c|"),
    ("%s and %s", ("cats", "dogs"), "cats and dogs"),
    ("%5.2f|%-6s|%%", (np.pi, "ab"), " 3.14|ab    |%"),
    ("%+.3e", (12345.678,), "+1.235e+04"),
    ("%g %g %g", (0.0001, 1e-5, 123456789.0), "0.0001 1e-05 1.23457e+08"),
    ("%x %o %X", (row(255, 8, 255),), "ff 10 FF"),
    ("%05d", (42.0,), "00042"),
    ("%*d|", (row(5, 3),), "    3|"),
    ("%.2s", ("abcdef",), "ab"),
    ("%d %f", (row(np.inf, np.nan),), "Inf NaN"),
    ("%6.1f|", (-np.inf,), "  -Inf|"),
    ("tab\there\\\\n", (), "tab\there\\n"),
    ("no data %d here\n", (), "no data  here\n"),
    ("%d", (np.zeros((0, 0)),), ""),
    ("%d %s\n", (np.array([[True]]), MString("str")), "1 str\n"),
    ("\\x41\\101", (), "AA"),
])
def test_sprintf(fmt, args, expected):
    assert sprintf(fmt, *args) == expected


def test_sprintf_string_format_gives_string():
    out = sprintf(MString("%d"), 5.0)
    assert isinstance(out, MString) and out == "5"
    assert not isinstance(sprintf("%d", 5.0), MString)


def test_sprintf_refuses_cells():
    from layergraph.matlab.values import Cell
    with pytest.raises(LayerGraphError, match="cell"):
        sprintf("%d", Cell.row([1.0]))


@pytest.mark.parametrize("value, extra, expected", [
    (np.pi, (), "3.1416"),                          # num2str page
    (row(np.pi), (8,), "3.1415927"),                # num2str(pi, 8)
    (123.456, (), "123.456"),
    (1234.5678, (), "1234.5678"),
    (0.000123456, (), "0.00012346"),
    (np.finfo(float).eps, (), "2.2204e-16"),
    (1e10, (), "10000000000"),
    (-7.0, (), "-7"),
    (np.array([[True]]), (), "1"),
    (row(1, 10, 100), (), "1   10  100"),        # integers: width of the widest + 2
    (row(1, 2, 3), (), "1  2  3"),
    (row(np.pi, 2.5), (), "3.1416         2.5"),   # %12.5g columns, shared leading blanks removed
    (np.nan, (), "NaN"),
    (np.inf, (), "Inf"),
    (np.pi, ("%10.5f",), "3.14159"),            # leading blanks trimmed even with formatSpec
    (row(1, 2), ("%d,",), "1,2,"),
    ("already text", (), "already text"),
])
def test_num2str(value, extra, expected):
    assert num2str(value, *extra) == expected


def test_num2str_matrix_is_char_matrix():
    out = num2str(np.array([[1.0, 2.0], [10.0, 20.0]]))
    assert isinstance(out, np.ndarray) and out.dtype.kind == "U"
    assert ["".join(r) for r in out] == [" 1   2", "10  20"]


@pytest.mark.parametrize("value, extra, expected", [
    (np.array([[1.0, 2.0], [3.0, 4.0]]), (), "[1 2;3 4]"),     # mat2str page
    (np.pi, (), "3.14159265358979"),                         # 15 significant digits by default
    (np.array([[np.pi]]), (4,), "3.142"),
    (np.array([[True, False]]), (), "[true false]"),
    (np.array([[1.0], [2.0]]), (), "[1;2]"),
    ("abc", (), "'abc'"),
    ("it's", (), "'it''s'"),
    (np.array([[-np.inf, np.nan]]), (), "[-Inf NaN]"),
    (np.zeros((0, 3)), (), "zeros(0,3)"),
    (np.array([[1, 2]], dtype=np.int8), ("class",), "int8([1 2])"),
    (np.array([[1 + 2j]]), (), "1+2i"),
])
def test_mat2str(value, extra, expected):
    assert mat2str(value, *extra) == expected


@pytest.mark.parametrize("value, expected", [
    (2.5, "3"), (-2.5, "-3"), (2.4, "2"), (row(1.2, 3.7), "1  4"),   # int2str page: rounds halves away from 0
])
def test_int2str(value, expected):
    assert int2str(value) == expected


def test_fprintf_to_stdout_stderr_and_files(tmp_path, capsys):
    fprintf = FUNCTIONS["fprintf"].function
    fopen, fclose = FUNCTIONS["fopen"].function, FUNCTIONS["fclose"].function
    fgetl, fgets, feof = FUNCTIONS["fgetl"].function, FUNCTIONS["fgets"].function, FUNCTIONS["feof"].function
    fprintf("%d apples\n", 3.0)
    fprintf(1.0, "to stdout %s\n", "x")
    fprintf(2.0, "to stderr\n")
    captured = capsys.readouterr()
    assert captured.out == "3 apples\nto stdout x\n"
    assert captured.err == "to stderr\n"
    path = str(tmp_path / "out.txt")
    fid = fopen(path, "w")
    assert fid == 3.0
    assert fprintf(fid, "%d,%d\n", row(1, 2, 3, 4), nargout=1) == 8
    assert fclose(fid) == 0.0
    fid = fopen(path, "r")
    assert fgetl(fid) == "1,2"
    assert fgets(fid) == "3,4\n"
    assert bool(feof(fid)[0, 0])
    assert fgetl(fid) == -1.0
    fclose(fid)
    assert fopen(str(tmp_path / "missing.txt"), "r") == -1.0
    fid, message = fopen(str(tmp_path / "missing.txt"), "r", nargout=2)
    assert fid == -1.0 and message


def test_fopen_follows_the_file_policy(tmp_path):
    from layergraph.policy import PolicyError, confined

    fopen = FUNCTIONS["fopen"].function
    with confined([str(tmp_path)]):
        with pytest.raises(PolicyError):
            fopen("/etc/hostname", "r")
        with pytest.raises(PolicyError):
            fopen(str(tmp_path.parent / "outside.txt"), "w")


def test_fclose_of_unknown_id_is_an_error():
    with pytest.raises(LayerGraphError, match="Invalid file identifier"):
        FUNCTIONS["fclose"].function(99.0)


def test_base_text_functions_are_not_exported():
    import layergraph

    for name in ("sprintf", "fprintf", "num2str", "mat2str", "int2str", "disp", "fopen", "format"):
        assert FUNCTIONS[name].base
        assert name not in getattr(layergraph, "__all__", [])
