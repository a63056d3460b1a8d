"""MATLAB's ``table``: ordered named columns (variables) with the same number of rows.

``t.Label`` / ``t["Label"]`` give a column (a numpy array, a :class:`Categorical`, or an object array of
text); ``t[rows]`` / ``t[rows, cols]`` give a new table (``cols`` a name, a list of names or indices);
``height(t)``, ``width(t)``, ``t.VariableNames``, ``t.Properties.VariableNames``.
Imports only numpy and :mod:`layergraph.errors`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import OptionError
from .categorical import Categorical


def _column(value, name: str):
    """A table variable: Categorical as is, numbers as ndarray, anything else an object array."""
    if isinstance(value, Categorical):
        return value
    if hasattr(value, "a") and isinstance(getattr(value, "a"), np.ndarray):   # interpreter cell/string arrays
        value = value.a
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (str, numbers.Number, np.number)):
        arr = np.empty(1, dtype=object) if isinstance(value, str) else np.asarray([value])
        if isinstance(value, str):
            arr[0] = value
    else:
        items = list(value)
        if items and all(isinstance(x, (numbers.Number, np.number, np.bool_)) for x in items):
            arr = np.asarray(items)
        else:
            arr = np.empty(len(items), dtype=object)
            for i, x in enumerate(items):
                arr[i] = x
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def _rows(col) -> int:
    return col.numel if isinstance(col, Categorical) and col.is_vector else (
        col.shape[0] if isinstance(col, Categorical) else len(col))


class _Properties:
    MATLAB_PROPERTIES = ("VariableNames", "Description", "RowNames", "VariableUnits", "DimensionNames")
    MATLAB_SETTABLE = ("VariableNames", "Description", "RowNames", "VariableUnits")

    def __init__(self, table):
        object.__setattr__(self, "_table", table)

    def __getattr__(self, name):
        t = object.__getattribute__(self, "_table")
        if name == "VariableNames":
            return list(t._names)
        if name == "DimensionNames":
            return ["Row", "Variables"]
        if name in t._meta:
            return t._meta[name]
        if name in ("Description",):
            return ""
        if name in ("RowNames", "VariableUnits"):
            return []
        raise AttributeError(name)

    def __setattr__(self, name, value):
        t = object.__getattribute__(self, "_table")
        if name == "VariableNames":
            names = [str(v) for v in (value.a.reshape(-1) if hasattr(value, "a") else value)]
            if len(names) != len(t._names) or len(set(names)) != len(names):
                raise OptionError(f"table: VariableNames must be {len(t._names)} unique names")
            t._columns = {n: t._columns[o] for n, o in zip(names, t._names)}
            t._names = names
        elif name in ("Description", "RowNames", "VariableUnits"):
            t._meta[name] = value
        else:
            raise OptionError(f"table: '{name}' is not a table property")


class Table:
    """MATLAB table: ordered named columns with ``height`` rows each."""

    MATLAB_PROPERTIES = ("Properties", "VariableNames")
    MATLAB_DYNAMIC_PROPERTIES = "VariableNames"   # t.Var1 reads a variable (layergraph/matlab/access.py)
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("height", "width", "head", "tail")
    MATLAB_DYNAMIC_SETTABLE = True   # t.Name = column adds or replaces a variable (on a copy)

    def __init__(self, columns: dict | None = None, names=None):
        object.__setattr__(self, "_meta", {})
        cols = {}
        for name, value in (columns or {}).items():
            cols[str(name)] = _column(value, str(name))
        heights = {_rows(c) for c in cols.values()}
        if len(heights) > 1:
            detail = ", ".join(f"{n}: {_rows(c)}" for n, c in cols.items())
            raise OptionError(f"table: all variables must have the same number of rows ({detail})")
        object.__setattr__(self, "_columns", cols)
        object.__setattr__(self, "_names", list(cols))

    # ---- sizes -----------------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return _rows(next(iter(self._columns.values()))) if self._columns else 0

    @property
    def width(self) -> int:
        return len(self._names)

    @property
    def shape(self) -> tuple:
        return (self.height, self.width)

    def __len__(self):
        return self.height

    @property
    def VariableNames(self) -> list[str]:
        return list(self._names)

    @property
    def Properties(self) -> _Properties:
        return _Properties(self)

    # ---- access ----------------------------------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        cols = object.__getattribute__(self, "_columns")
        if name in cols:
            return cols[name]
        raise AttributeError(f"table has no variable '{name}' (variables: {', '.join(self._names)})")

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        self[name] = value

    def _var_names(self, cols) -> list[str]:
        if isinstance(cols, slice):
            return self._names[cols]
        if isinstance(cols, (str, numbers.Integral, np.integer)):
            cols = [cols]
        if hasattr(cols, "a") and isinstance(getattr(cols, "a"), np.ndarray):
            cols = list(cols.a.reshape(-1))
        out = []
        arr = np.asarray(cols)
        if arr.dtype == bool:
            return [n for n, keep in zip(self._names, arr.reshape(-1)) if keep]
        for c in cols:
            if isinstance(c, str):
                if c not in self._columns:
                    raise OptionError(f"table: unrecognized variable name '{c}' (variables: {', '.join(self._names)})")
                out.append(c)
            else:
                i = int(c)
                if not 0 <= i < len(self._names):
                    raise OptionError(f"table: variable index {i} is out of range (table has {len(self._names)})")
                out.append(self._names[i])
        return out

    def _take_rows(self, col, rows):
        if isinstance(col, Categorical):
            return col[rows]
        picked = col[rows]
        if np.ndim(picked) < np.ndim(col):
            picked = col[np.atleast_1d(np.arange(len(col))[rows])]
        return picked

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self._columns:
                raise OptionError(f"table: unrecognized variable name '{key}' (variables: {', '.join(self._names)})")
            return self._columns[key]
        if isinstance(key, tuple):
            if len(key) != 2:
                raise OptionError("table: index a table as t[rows] or t[rows, variables]")
            rows, cols = key
            names = self._var_names(cols)
        else:
            rows, names = key, self._names
        if isinstance(rows, Categorical):
            raise OptionError("table: rows cannot be indexed with a categorical array")
        rows_ = np.asarray(rows) if isinstance(rows, (list, np.ndarray)) else rows
        if isinstance(rows_, np.ndarray) and rows_.dtype == bool and rows_.size != self.height:
            raise OptionError(f"table: a logical row index must have {self.height} elements")
        try:
            return Table({n: self._take_rows(self._columns[n], rows_) for n in names})
        except IndexError as exc:
            raise OptionError(f"table: row index out of range ({exc}); the table has {self.height} rows") from None

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise OptionError("table: assign whole variables by name (t['Name'] = values)")
        col = _column(value, key)
        if self._columns and _rows(col) != self.height:
            raise OptionError(f"table: variable '{key}' has {_rows(col)} rows but the table has {self.height}")
        self._columns[key] = col
        if key not in self._names:
            self._names.append(key)

    def copy(self) -> "Table":
        """A new table with the same variables (the column arrays are shared; assignment replaces them)."""
        return Table(dict(self._columns))

    # ---- MATLAB subscripts (1-based; the interpreter and translated programs) ------------------------
    def _matlab_rows(self, sub):
        if isinstance(sub, str) and sub == ":":
            return slice(None)
        a = np.asarray(sub)
        if a.dtype == bool:
            if a.size != self.height:
                raise OptionError(f"table: a logical row index must have {self.height} elements")
            return a.reshape(-1)
        pos = a.reshape(-1).astype(np.float64)
        if pos.size and (np.any(pos != np.floor(pos)) or pos.min() < 1):
            raise OptionError("table: row subscripts must be positive integers or logicals")
        if pos.size and pos.max() > self.height:
            raise OptionError(f"table: row index {int(pos.max())} exceeds the table's {self.height} rows")
        return (pos - 1).astype(np.int64)

    def _matlab_vars(self, sub) -> list[str]:
        if isinstance(sub, str):
            return list(self._names) if sub == ":" else self._var_names([sub])
        if hasattr(sub, "a") and isinstance(getattr(sub, "a"), np.ndarray):   # a cell or string array of names
            return self._var_names([str(x) for x in sub.a.reshape(-1, order="F")])
        a = np.asarray(sub)
        if a.dtype == bool:
            return self._var_names(a.reshape(-1))
        pos = a.reshape(-1).astype(np.float64)
        if pos.size and (np.any(pos != np.floor(pos)) or pos.min() < 1):
            raise OptionError("table: variable subscripts must be positive integers, names or logicals")
        return self._var_names([int(x) - 1 for x in pos])

    def _matlab_subs(self, idx):
        if len(idx) != 2:
            raise OptionError("table: index a table with two subscripts, T(rows, vars)")
        return self._matlab_rows(idx[0]), self._matlab_vars(idx[1])

    def paren_get(self, idx) -> "Table":
        """MATLAB ``T(rows, vars)``: a table."""
        rows, names = self._matlab_subs(idx)
        return self[rows, names]

    def brace_get(self, idx):
        """MATLAB ``T{rows, vars}``: the values, the variables concatenated side by side (a matrix for
        numeric variables, an object array — a cell array in MATLAB — for text)."""
        rows, names = self._matlab_subs(idx)
        sub = self[rows, names]
        cols = []
        for n in names:
            col = sub._columns[n]
            if isinstance(col, Categorical):
                return col if len(names) == 1 else _concat_error()
            arr = np.asarray(col)
            cols.append(arr.reshape(len(arr), -1) if arr.ndim != 1 else arr.reshape(-1, 1))
        if not cols:
            return np.zeros((sub.height, 0))
        if any(c.dtype == object for c in cols):
            if not all(c.dtype == object for c in cols):
                return _concat_error()
            return np.concatenate(cols, axis=1)   # an object array: a cell array in MATLAB
        return np.concatenate(cols, axis=1)

    def __contains__(self, name):
        return name in self._columns

    def __iter__(self):
        return iter(self._names)

    def __eq__(self, other):
        if not isinstance(other, Table) or other._names != self._names or other.height != self.height:
            return False
        for n in self._names:
            a, b = self._columns[n], other._columns[n]
            if isinstance(a, Categorical) != isinstance(b, Categorical):
                return False
            if isinstance(a, Categorical):
                if a.names() != b.names():
                    return False
            elif not np.array_equal(np.asarray(a), np.asarray(b)):
                return False
        return True

    __hash__ = None

    def head(self, k: int = 8) -> "Table":
        return self[: int(k)]

    def tail(self, k: int = 8) -> "Table":
        return self[max(self.height - int(k), 0):]

    def to_dict(self) -> dict:
        return dict(self._columns)

    # ---- display ---------------------------------------------------------------------------------
    def _cell_text(self, col, i) -> str:
        if isinstance(col, Categorical):
            return col.names()[i]
        v = col[i]
        if isinstance(v, str) and col.dtype == object:
            return "{'" + v + "'}"
        return self._scalar(v)

    @staticmethod
    def _scalar(v) -> str:
        """A number as a table shows it: integers in full, others with 5 significant digits (0.81472)."""
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        if isinstance(v, (numbers.Integral, np.integer)):
            return str(int(v))
        if isinstance(v, (numbers.Real, np.floating)):
            f = float(v)
            if np.isnan(f):
                return "NaN"
            if np.isinf(f):
                return "Inf" if f > 0 else "-Inf"
            if f.is_integer() and abs(f) < 1e15:
                return str(int(f))
            return format(f, ".5g")
        return str(v)

    def _column_texts(self, col) -> list[str]:
        """One variable's entries aligned among themselves: numbers right-aligned (the columns of a
        multi-column variable one width, four blanks apart), text and logical left-aligned, text in cells
        padded inside the braces ({'Bob'  })."""
        n = self.height
        if not isinstance(col, Categorical) and col.dtype.kind in "iuf" and col.ndim == 2 and col.shape[1] > 1:
            parts = [[self._scalar(col[i, j]) for i in range(n)] for j in range(col.shape[1])]
            width = max(len(t) for p in parts for t in p)
            return ["    ".join(parts[j][i].rjust(width) for j in range(len(parts))) for i in range(n)]
        texts = [self._cell_text(col, i) for i in range(n)]
        if not texts:
            return texts
        nw = max(len(t) for t in texts)
        if not isinstance(col, Categorical) and col.dtype.kind in "iuf":
            return [t.rjust(nw) for t in texts]
        if all(t.startswith("{'") and t.endswith("'}") for t in texts):
            return [t[:-1] + " " * (nw - len(t)) + "}" for t in texts]
        return [t.ljust(nw) for t in texts]

    def display(self, name: str | None = None) -> str:
        """MATLAB-style display: '  3×2 table' header, variable names centred over underscores, then the
        rows; each variable's entries are aligned among themselves and centred as a block."""
        lines = [f"{name} = {self.height}×{self.width} table" if name else f"  {self.height}×{self.width} table", ""]
        cols = []
        for n in self._names:
            texts = self._column_texts(self._columns[n])
            w = max([len(n)] + [len(t) for t in texts])
            cols.append((n, texts, w))

        def centre(text, w):
            left = (w - len(text)) // 2
            return " " * left + text + " " * (w - len(text) - left)

        rows = [str(r) for r in (self._meta.get("RowNames") or [])]
        if len(rows) != self.height:
            rows = []
        rw = max((len(r) for r in rows), default=0)
        lead = " " * (rw + 4) if rows else ""
        lines.append(lead + "".join("    " + centre(n, w) for n, _, w in cols))
        lines.append(lead + "".join("    " + "_" * w for n, _, w in cols))
        lines.append("")
        for i in range(self.height):
            row = ("    " + rows[i].ljust(rw)) if rows else ""
            lines.append(row + "".join("    " + centre(texts[i], w) for n, texts, w in cols))
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.display()

    def __repr__(self):
        return f"<table {self.height}×{self.width}: {', '.join(self._names)}>"


def _concat_error():
    raise OptionError("table: the selected variables cannot be concatenated (numeric and text variables mixed)")


def table(*args, **kwargs) -> Table:
    """``T = table(var1, ..., varN, 'VariableNames', names)``: variables named Var1..VarN by default.

    From Python, keyword arguments also name variables: ``table(Label=labels, Count=counts)``."""
    values = list(args)
    names = None
    for i in range(len(values) - 1):
        if isinstance(values[i], str) and values[i].lower() == "variablenames":
            names = values[i + 1]
            values = values[:i] + values[i + 2:]
            break
    extra = {}
    for key, value in kwargs.items():
        if key.lower() == "variablenames":
            names = value
        else:
            extra[key] = value
    if names is not None:
        if isinstance(names, str):
            names = [names]
        elif hasattr(names, "a"):
            names = list(names.a.reshape(-1))
        names = [str(n) for n in names]
        if len(names) != len(values):
            raise OptionError(f"table: {len(names)} VariableNames for {len(values)} variables")
    else:
        names = [f"Var{i + 1}" for i in range(len(values))]
    if len(set(names) | set(extra)) != len(names) + len(extra):
        raise OptionError("table: variable names must be unique")
    cols = dict(zip(names, values))
    cols.update(extra)
    return Table(cols)


def head(t, k: int = 8):
    """``head(T, k)``: the first ``k`` rows (8 by default)."""
    if not isinstance(t, Table):
        raise OptionError(f"head: expected a table, not {type(t).__name__}")
    return t.head(int(k))


def tail(t, k: int = 8):
    """``tail(T, k)``: the last ``k`` rows (8 by default)."""
    if not isinstance(t, Table):
        raise OptionError(f"tail: expected a table, not {type(t).__name__}")
    return t.tail(int(k))


def height(t) -> int:
    """``height(T)``: number of rows."""
    if isinstance(t, Table):
        return t.height
    return int(np.shape(t)[0]) if np.ndim(t) else 1


def width(t) -> int:
    """``width(T)``: number of variables."""
    if isinstance(t, Table):
        return t.width
    shape = np.shape(t)
    return int(shape[1]) if len(shape) > 1 else 1


__all__ = ["Table", "table", "height", "width", "head", "tail"]
