"""MATLAB's delimited-text and table functions over MATLAB values: ``readtable``/``writetable`` (CSV and
other delimited text), ``readmatrix``/``writematrix``, ``csvread``/``csvwrite``, ``dlmread``/``dlmwrite``,
``table2array``, ``array2table``, ``cell2table``.

Numbers are written as MATLAB writes them: ``writetable``/``writematrix`` in "long g" (15 significant
digits, ``%.15g``), ``csvwrite``/``dlmwrite`` with five significant digits (``%.5g``, MathWorks:
"csvwrite writes a maximum of five significant digits"). Every file goes through the file policy.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np

from ...functions import matlab_function
from ...policy import check_read, check_write
from ...values import Categorical, Table
from ..values import Cell, StrArr
from ._common import as_array, runtime_error, text_of

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _options(args, allowed: dict, fname: str) -> dict:
    """Name-value pairs (names case-insensitive) → {canonical name: value}."""
    if len(args) % 2:
        raise runtime_error("MATLAB:InputParser:ParamMissingValue", f"{fname}: every option needs a value.")
    out = {}
    for name, value in zip(args[::2], args[1::2]):
        key = (text_of(name) or "").lower()
        if key not in allowed:
            raise runtime_error("MATLAB:InputParser:UnmatchedParameter",
                                f"{fname}: '{text_of(name) or name}' is not a recognized parameter (supported: "
                                + ", ".join(allowed.values()) + ").")
        out[allowed[key]] = value
    return out


def _delimiter(value, default=","):
    if value is None:
        return default
    word = text_of(value)
    names = {"comma": ",", "space": " ", "tab": "\t", "\\t": "\t", "semi": ";", "semicolon": ";", "bar": "|"}
    if word is None:
        raise runtime_error("MATLAB:textio:BadDelimiter", "The delimiter must be a character vector or string.")
    return names.get(word.lower(), word)


def _flag(value) -> bool:
    return bool(np.asarray(as_array(value)).reshape(-1)[0]) if not isinstance(value, str) else \
        value.lower() in ("true", "on", "1")


def _read_text(path, fname) -> str:
    resolved = check_read(text_of(path) or str(path), fname)
    if not resolved.exists():
        raise runtime_error("MATLAB:textio:textio:FileNotFound", f"Unable to find or open '{text_of(path)}'. "
                                                                 "Check the path and filename or file permissions.")
    return resolved.read_text(encoding="utf-8-sig", errors="replace")


def _rows(text: str, delim: str | None) -> list[list[str]]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if delim is None:   # guess: comma, tab, semicolon, else whitespace
        sample = "\n".join(lines[:5])
        delim = next((d for d in (",", "\t", ";") if d in sample), " ")
    if delim == " ":
        return [ln.split() for ln in lines]
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)]


def _number(text: str):
    t = text.strip()
    if t == "":
        return np.nan
    try:
        return float(t)
    except ValueError:
        low = t.lower()
        if low in ("nan", "inf", "+inf", "-inf"):
            return float(low.replace("+", ""))
        return None


def _valid_name(name: str, i: int, used: set) -> str:
    """MATLAB's matlab.lang.makeValidName for a header: invalid characters removed/camel-cased; Var<i> when
    nothing is left; a 'x' prefix when it does not start with a letter; duplicates get _1, _2."""
    name = name.strip()
    if not _IDENT.match(name):
        parts = re.split(r"[^A-Za-z0-9_]+", name)
        parts = [p for p in parts if p]
        name = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:]) if parts else ""
        if name and not name[0].isalpha():
            name = "x" + name
    if not name:
        name = f"Var{i + 1}"
    base, k = name, 1
    while name in used:
        name = f"{base}_{k}"
        k += 1
    used.add(name)
    return name


@matlab_function("readtable", outputs=("T",), base=True)
def readtable(filename, *args):
    """MATLAB ``T = readtable(filename)`` for delimited text (CSV): the first row names the variables
    (``'ReadVariableNames', false``: ``Var1``, ``Var2``, ...), columns of numbers become double variables
    (empty fields NaN), others cell arrays of char; ``'Delimiter'`` (default: detected)."""
    opts = _options(list(args), {"delimiter": "Delimiter", "readvariablenames": "ReadVariableNames",
                                 "texttype": "TextType", "filetype": "FileType"}, "readtable")
    text = _read_text(filename, "readtable")
    delim = _delimiter(opts["Delimiter"], None) if "Delimiter" in opts else None
    rows = _rows(text, delim)
    header = _flag(opts["ReadVariableNames"]) if "ReadVariableNames" in opts else True
    if not rows:
        return Table({})
    width = max(len(r) for r in rows)
    names_row = rows[0] if header else []
    data = rows[1:] if header else rows
    used: set = set()
    names = [_valid_name(names_row[i] if i < len(names_row) else "", i, used) for i in range(width)]
    columns = {}
    for j, name in enumerate(names):
        cells = [r[j] if j < len(r) else "" for r in data]
        nums = [_number(c) for c in cells]
        if all(x is not None for x in nums):
            columns[name] = np.asarray(nums, dtype=np.float64)
        else:
            col = np.empty(len(cells), dtype=object)
            for i, c in enumerate(cells):
                col[i] = c
            columns[name] = col   # text: a cell array of char ('TextType' is accepted; text stays char)
    return Table(columns)


def _cell_text(v) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else "%.15g" % v
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, np.ndarray):
        return " ".join(_cell_text(x) for x in v.reshape(-1))
    return str(v)


def _quoted(text: str, delim: str) -> str:
    if delim in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _write(path, fname, text: str) -> None:
    resolved = check_write(text_of(path) or str(path), fname)
    try:
        resolved.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise runtime_error("MATLAB:textio:FileOpenError",
                            f"Unable to open file '{text_of(path)}' for writing: {exc.strerror or exc}.") from None


@matlab_function("writetable", outputs=(), base=True)
def writetable(T, filename=None, *args):
    """MATLAB ``writetable(T, filename)``: delimited text with a header of variable names
    (``'WriteVariableNames', false`` omits it), numbers in long g (15 significant digits), text quoted
    when it holds the delimiter; ``'Delimiter'``. Default file name: the table's variable name is not
    known here, so a name is required."""
    if not isinstance(T, Table):
        raise runtime_error("MATLAB:writetable:FirstArgument", "The first input must be a table.")
    if filename is None:
        raise runtime_error("MATLAB:writetable:NoFileName", "writetable needs a file name.")
    opts = _options(list(args), {"delimiter": "Delimiter", "writevariablenames": "WriteVariableNames",
                                 "filetype": "FileType", "quotestrings": "QuoteStrings"}, "writetable")
    delim = _delimiter(opts.get("Delimiter"))
    header = _flag(opts["WriteVariableNames"]) if "WriteVariableNames" in opts else True
    lines = []
    heads, cols = [], []
    for name in T.VariableNames:
        col = T[name]
        if isinstance(col, Categorical):
            labels = np.asarray(col).reshape(-1)
            heads.append(name)
            cols.append([str(x) for x in labels])
            continue
        arr = np.asarray(col)
        if arr.ndim == 2 and arr.shape[1] > 1:   # a multi-column variable: Name_1, Name_2, ...
            for k in range(arr.shape[1]):
                heads.append(f"{name}_{k + 1}")
                cols.append([_cell_text(x) for x in arr[:, k]])
        else:
            heads.append(name)
            cols.append([_cell_text(x) for x in arr.reshape(-1)])
    if header:
        lines.append(delim.join(_quoted(h, delim) for h in heads))
    for i in range(T.height):
        lines.append(delim.join(_quoted(c[i], delim) for c in cols))
    _write(filename, "writetable", "\n".join(lines) + "\n")


def _numeric_rows(text: str, delim, r0: int = 0, c0: int = 0, skip_text: bool = True) -> np.ndarray:
    rows = _rows(text, delim)
    parsed = [[_number(c) for c in r] for r in rows]
    if skip_text:   # leading header lines (no number at all) are skipped, as readmatrix detects them
        while parsed and all(x is None for x in parsed[0]):
            parsed.pop(0)
    parsed = parsed[r0:]
    width = max((len(r) for r in parsed), default=0)
    out = np.full((len(parsed), width), np.nan)
    for i, r in enumerate(parsed):
        for j, x in enumerate(r):
            out[i, j] = np.nan if x is None else x
    return out[:, c0:]


@matlab_function("readmatrix", outputs=("A",), base=True)
def readmatrix(filename, *args):
    """MATLAB ``A = readmatrix(filename)``: the numbers of a delimited text file (header lines skipped,
    text fields NaN); ``'Delimiter'``, ``'NumHeaderLines'``."""
    opts = _options(list(args), {"delimiter": "Delimiter", "numheaderlines": "NumHeaderLines",
                                 "filetype": "FileType"}, "readmatrix")
    text = _read_text(filename, "readmatrix")
    delim = _delimiter(opts["Delimiter"], None) if "Delimiter" in opts else None
    skip = int(as_array(opts["NumHeaderLines"]).reshape(-1)[0]) if "NumHeaderLines" in opts else 0
    if skip:
        text = "\n".join([ln for ln in text.splitlines() if ln.strip()][skip:])
    return _numeric_rows(text, delim)


def _format_matrix(A, delim: str, fmt: str) -> str:
    a = as_array(A)
    if a.ndim > 2:
        a = a.reshape(a.shape[0], -1, order="F")
    lines = []
    for row in a:
        lines.append(delim.join("" if (isinstance(x, float) and np.isnan(x)) else
                                (fmt % x if a.dtype.kind == "f" else str(int(x)) if a.dtype.kind in "iub" else str(x))
                                for x in row.tolist()))
    return "\n".join(lines) + ("\n" if lines else "")


@matlab_function("writematrix", outputs=(), base=True)
def writematrix(A, filename=None, *args):
    """MATLAB ``writematrix(A, filename)``: numbers in long g (``%.15g``), comma-delimited (``'Delimiter'``);
    a cell or string array is written as text."""
    if filename is None:
        raise runtime_error("MATLAB:writematrix:NoFileName", "writematrix needs a file name.")
    opts = _options(list(args), {"delimiter": "Delimiter", "filetype": "FileType"}, "writematrix")
    delim = _delimiter(opts.get("Delimiter"))
    if isinstance(A, (Cell, StrArr)):
        lines = [delim.join(_quoted(_cell_text(x), delim) for x in row) for row in A.a]
        _write(filename, "writematrix", "\n".join(lines) + "\n")
        return
    _write(filename, "writematrix", _format_matrix(A, delim, "%.15g"))


def _offset(v) -> int:
    return int(as_array(v).reshape(-1)[0])


@matlab_function("csvread", outputs=("M",), base=True)
def csvread(filename, r=None, c=None):
    """MATLAB ``M = csvread(filename, R, C)``: numeric comma-separated values from zero-based row R and
    column C (empty fields are 0, as csvread gives)."""
    text = _read_text(filename, "csvread")
    out = _numeric_rows(text, ",", _offset(r) if r is not None else 0, _offset(c) if c is not None else 0,
                        skip_text=False)
    return np.nan_to_num(out, nan=0.0)


@matlab_function("dlmread", outputs=("M",), base=True)
def dlmread(filename, delimiter=None, r=None, c=None):
    """MATLAB ``M = dlmread(filename, delimiter, R, C)``: numeric delimited values (empty fields 0)."""
    text = _read_text(filename, "dlmread")
    delim = _delimiter(delimiter, None) if delimiter is not None and text_of(delimiter) != "" else None
    out = _numeric_rows(text, delim, _offset(r) if r is not None else 0, _offset(c) if c is not None else 0,
                        skip_text=False)
    return np.nan_to_num(out, nan=0.0)


@matlab_function("csvwrite", outputs=(), base=True)
def csvwrite(filename, M, r=None, c=None):
    """MATLAB ``csvwrite(filename, M)``: comma-separated, at most five significant digits (``%.5g``)."""
    a = as_array(M)
    if r or c:
        a = np.pad(a.astype(np.float64), ((_offset(r or 0), 0), (_offset(c or 0), 0)))
    _write(filename, "csvwrite", _format_matrix(a, ",", "%.5g"))


@matlab_function("dlmwrite", outputs=(), base=True)
def dlmwrite(filename, M, *args):
    """MATLAB ``dlmwrite(filename, M, delimiter)`` or with ``'delimiter'``, ``'precision'`` (digits or a
    format), ``'-append'``; numbers with five significant digits by default."""
    args = list(args)
    append = False
    if args and (text_of(args[0]) or "") == "-append":
        append = True
        args = args[1:]
    delim = ","
    if len(args) % 2 == 1:
        delim = _delimiter(args[0])
        args = args[1:]
    opts = _options(args, {"delimiter": "delimiter", "precision": "precision", "newline": "newline"}, "dlmwrite")
    if "delimiter" in opts:
        delim = _delimiter(opts["delimiter"])
    fmt = "%.5g"
    if "precision" in opts:
        p = opts["precision"]
        fmt = text_of(p) if text_of(p) is not None else f"%.{int(as_array(p).reshape(-1)[0])}g"
    text = _format_matrix(M, delim, fmt)
    if append:
        resolved = check_write(text_of(filename) or str(filename), "dlmwrite")
        with open(resolved, "a", encoding="utf-8") as f:
            f.write(text)
        return
    _write(filename, "dlmwrite", text)


# ---- conversions ------------------------------------------------------------------------------------

def _names_option(args, fname, n: int) -> list[str]:
    opts = _options(list(args), {"variablenames": "VariableNames"}, fname)
    if "VariableNames" not in opts:
        return [f"Var{i + 1}" for i in range(n)]
    v = opts["VariableNames"]
    names = [str(x) for x in v.items()] if isinstance(v, (Cell, StrArr)) else [text_of(v) or ""]
    if len(names) != n:
        raise runtime_error("MATLAB:table:IncorrectNumberOfVarNames",
                            f"The VariableNames property must contain one name for each variable in the table "
                            f"({n} variables, {len(names)} names).")
    return names


@matlab_function("array2table", outputs=("T",), base=True)
def array2table(A, *args):
    """MATLAB ``T = array2table(A, 'VariableNames', names)``: one variable per column of A
    (``Var1``, ``Var2``, ... by default)."""
    a = as_array(A)
    if a.ndim != 2:
        raise runtime_error("MATLAB:array2table:NDArray", "Input must be a 2-D matrix.")
    names = _names_option(args, "array2table", a.shape[1])
    return Table({n: a[:, j] for j, n in enumerate(names)})


@matlab_function("cell2table", outputs=("T",), base=True)
def cell2table(C, *args):
    """MATLAB ``T = cell2table(C, 'VariableNames', names)``: one variable per column of the cell array;
    a column of numeric scalars becomes a double variable, anything else a cell variable."""
    if not isinstance(C, Cell):
        raise runtime_error("MATLAB:cell2table:InputMustBeCell", "Input must be a cell array.")
    a = C.a
    names = _names_option(args, "cell2table", a.shape[1])
    cols = {}
    for j, n in enumerate(names):
        items = list(a[:, j])
        if items and all(isinstance(x, np.ndarray) and x.size == 1 and x.dtype.kind in "fiub" for x in items):
            cols[n] = np.asarray([x.reshape(-1)[0] for x in items])
        else:
            col = np.empty(len(items), dtype=object)
            for i, x in enumerate(items):
                col[i] = x
            cols[n] = col
    return Table(cols)


@matlab_function("table2array", outputs=("A",), base=True)
def table2array(T):
    """MATLAB ``A = table2array(T)``: the variables side by side (a matrix of numbers, or a cell array
    when the variables hold text)."""
    if not isinstance(T, Table):
        raise runtime_error("MATLAB:table2array:InputMustBeTable", "Input must be a table.")
    out = T.brace_get([":", ":"])
    if isinstance(out, np.ndarray) and out.dtype == object:
        return Cell(out)
    return out


__all__ = ["readtable", "writetable", "readmatrix", "writematrix", "csvread", "csvwrite", "dlmread", "dlmwrite",
           "array2table", "cell2table", "table2array"]
