"""MATLAB's Command Window display (``x = 3`` without a semicolon, ``disp``, ``display``) and the ``format``
command, for every value the MATLAB runtime has.

``show(name, value)`` prints what MATLAB prints for an unterminated statement; ``display_text(name, value)``
returns it; ``disp_text(value)`` is ``disp``'s text. The current format (``format short``/``long``/
``shortG``/``shortE``..., ``format loose``/``compact``) is module state that persists for the run;
``reset_format()`` restores MATLAB's default (short, loose). Layouts follow MATLAB R2023b/R2024a in an
80-column Command Window; docs/guide/display.md says which are confirmed against MathWorks printouts.

The interpreter (``layergraph run``) and translated programs (``layergraph.matlab.lang``) both call
:func:`show`, so a value prints the same both ways.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from ..values import Categorical, Table
from .numfmt import complex_page, int_page, real_page
from .values import Cell, FuncHandle, HandleFunction, LayerArr, MString, StrArr, Struct, StructArr

TIMES = "×"
SCREEN_WIDTH = 80

_NUMERIC_STYLES = {
    "short": "short", "long": "long", "shorte": "shortE", "longe": "longE", "shortg": "shortG",
    "longg": "longG",
}


@dataclass
class DisplayFormat:
    """The Command Window format: ``numeric`` (short, long, shortE, longE, shortG, longG) and ``spacing``."""

    numeric: str = "short"
    spacing: str = "loose"

    @property
    def loose(self) -> bool:
        return self.spacing == "loose"


FORMAT = DisplayFormat()


def reset_format() -> None:
    """``format`` with no arguments: short, loose."""
    FORMAT.numeric = "short"
    FORMAT.spacing = "loose"


def set_format(*words) -> None:
    """``format long``, ``format('shortG')``, ``format long g``, ``format compact``, ``format`` (default)."""
    from ..errors import OptionError

    if not words:
        reset_format()
        return
    text = "".join(str(w) for w in words).replace(" ", "").lower()
    if text in ("compact", "loose"):
        FORMAT.spacing = text
        return
    if text == "default":
        reset_format()
        return
    style = _NUMERIC_STYLES.get(text)
    if style is None:
        raise OptionError(f"format: unknown display format '{' '.join(str(w) for w in words)}' (supported: short, "
                          "long, shortE, longE, shortG, longG, compact, loose)")
    FORMAT.numeric = style


# ---- classification -----------------------------------------------------------------------------------

_INT_KINDS = {np.dtype(t): t for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")}


def class_name(v) -> str:
    """MATLAB's class of a runtime value (for headers and ``{2×3 double}`` summaries): the registry's
    ``class``, except that display names a layer array by its base class and shows complex single."""
    from .base._core import class_of

    if isinstance(v, LayerArr):
        return "nnet.cnn.layer.Layer"
    if isinstance(v, np.ndarray) and v.dtype == np.complex64:
        return "single"
    if isinstance(v, np.ndarray) and v.dtype.kind == "U":
        return "char"
    if isinstance(v, HandleFunction):
        return "function_handle"
    return class_of(v)


def _is_struct_array(v) -> bool:
    """A struct array that is not 1×1 (the runtime's :class:`StructArr`)."""
    return isinstance(v, StructArr)


def _shape(v) -> tuple:
    if isinstance(v, np.ndarray):
        return v.shape if v.ndim >= 2 else ((1, v.size) if v.ndim == 1 else (1, 1))
    if isinstance(v, MString):
        return (1, 1)
    if isinstance(v, str):
        return (1 if v else 0, len(v))
    if isinstance(v, (Cell, StrArr, LayerArr)) or _is_struct_array(v):
        return v.a.shape
    if isinstance(v, Categorical):
        return v.shape
    if isinstance(v, Table):
        return v.shape
    return (1, 1)


def size_text(shape) -> str:
    return TIMES.join(str(int(d)) for d in shape)


def _as_array(v) -> np.ndarray:
    a = np.asarray(v)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    return a


def _kind_word(shape) -> str:
    if len(shape) == 2 and shape[0] == 1 and shape[1] != 1:
        return "row vector"
    if len(shape) == 2 and shape[1] == 1 and shape[0] != 1:
        return "column vector"
    if len(shape) == 2:
        return "matrix"
    return "array"


# ---- numeric arrays --------------------------------------------------------------------------------------


def _page_cells(page: np.ndarray, cls: str):
    numeric = FORMAT.numeric
    if cls in ("logical",) or cls in _INT_KINDS.values():
        return int_page(page)
    if np.iscomplexobj(page):
        return complex_page(page, numeric, single=cls == "single")
    return real_page(page, numeric, single=cls == "single")


def _matrix_lines(page: np.ndarray, cls: str, loose: bool) -> list[str]:
    """A 2-D page as rows of text, split into ``Columns i through j`` blocks wider than the screen."""
    header, cells, width = _page_cells(page, cls)
    rows, cols = page.shape
    grid = np.array(cells, dtype=object).reshape(rows, cols)
    out: list[str] = []
    if header:
        out.append(header)
        if loose:
            out.append("")
    per_block = max(1, SCREEN_WIDTH // max(width, 1))
    if cols <= per_block:
        out.extend("".join(grid[i, :]) for i in range(rows))
        return out
    for start in range(0, cols, per_block):
        stop = min(start + per_block, cols)
        if stop - start == 1:
            out.append(f"  Column {start + 1}")
        else:
            out.append(f"  Columns {start + 1} through {stop}")
        if loose:
            out.append("")
        out.extend("".join(grid[i, start:stop]) for i in range(rows))
        if loose and stop < cols:
            out.append("")
    return out


def _pages(a: np.ndarray):
    """(label suffix, 2-D page) for each page of an N-D array, MATLAB's ``(:,:,k)`` order."""
    if a.ndim <= 2:
        yield "", a
        return
    rest = a.shape[2:]
    for k in range(int(np.prod(rest))):
        idx = np.unravel_index(k, rest, order="F")
        yield "(:,:," + ",".join(str(i + 1) for i in idx) + ")", a[(slice(None), slice(None)) + idx]


def _empty_text(shape, cls: str) -> str:
    if cls == "double" and tuple(shape) == (0, 0):
        return "     []"
    kind = _kind_word(shape) if cls not in ("char", "cell", "string", "struct", "logical") else "array"
    if cls == "double" or cls == "single" or cls in _INT_KINDS.values():
        kind = _kind_word(shape) if len(shape) == 2 else "array"
        if kind == "matrix" or len(shape) != 2:
            kind = "matrix" if len(shape) == 2 else "array"
    return f"  {size_text(shape)} empty {cls} {kind}"


def _numeric_display(name: str | None, a: np.ndarray, loose: bool) -> list[str]:
    cls = class_name(a)
    a = _as_array(a)
    blank = [""] if loose else []
    if a.size == 0:
        text = _empty_text(a.shape, cls)
        if name is None:
            return [] if a.shape == (0, 0) and cls == "double" else [text]
        return [f"{name} ="] + blank + [text] + blank
    head: list[str] = []
    if cls != "double":
        head = [f"  {cls}" if a.size == 1 else
                f"  {size_text(a.shape)} {cls} {'array' if cls == 'logical' else _kind_word(a.shape)}"]
        head += blank
    if a.ndim <= 2:
        body = _matrix_lines(a, cls, loose)
        if name is None:
            return body
        return [f"{name} ="] + blank + head + body + blank
    out: list[str] = []
    for label, page in _pages(a):
        out += [f"{name or ''}{label} ="] + blank + _matrix_lines(page, cls, loose) + blank
    if name is not None and head:
        out = [f"{name} ="] + blank + head + out
    return out


# ---- text --------------------------------------------------------------------------------------------------


def _char_display(name, v, loose) -> list[str]:
    blank = [""] if loose else []
    if isinstance(v, np.ndarray):       # a char matrix (rows of equal length)
        rows = ["".join(r) for r in _as_array(v)]
        if name is None:
            return rows
        if not rows or not rows[0]:
            return [f"{name} ="] + blank + [f"  {size_text(v.shape)} empty char array"] + blank
        return [f"{name} ="] + blank + [f"  {size_text(v.shape)} char array"] + blank + \
            [f"    '{r}'" for r in rows] + blank
    if name is None:
        return [v] if v else []
    if not v:
        return [f"{name} ="] + blank + ["  0×0 empty char array"] + blank
    return [f"{name} ="] + blank + [f"    '{v}'"] + blank


def _string_element(s) -> str:
    return "<missing>" if s is None else f'"{s}"'


def _grid_lines(texts: np.ndarray, indent: str = "    ", sep: str = "    ", right=None) -> list[str]:
    """Rows of a 2-D object array of texts: each column as wide as its widest entry (left-aligned)."""
    rows, cols = texts.shape
    widths = [max(len(texts[i, j]) for i in range(rows)) for j in range(cols)]
    out = []
    for i in range(rows):
        parts = []
        for j in range(cols):
            t = texts[i, j]
            parts.append(t.rjust(widths[j]) if right is not None and right[i, j] else t.ljust(widths[j]))
        out.append((indent + sep.join(parts)).rstrip())
    return out


def _string_display(name, v, loose) -> list[str]:
    blank = [""] if loose else []
    if isinstance(v, MString) or isinstance(v, str):
        if name is None:
            return [str(v)]
        return [f"{name} = "] + blank + [f'    "{v}"'] + blank
    a = v.a
    if a.size == 0:
        text = f"  {size_text(a.shape)} empty string array"
        return [text] if name is None else [f"{name} = "] + blank + [text] + blank
    if a.ndim > 2:
        a = a.reshape(a.shape[0], -1, order="F")
    texts = np.empty(a.shape, dtype=object)
    for idx, s in np.ndenumerate(a):
        texts[idx] = _string_element(s)
    body = _grid_lines(texts)
    if name is None:
        return body
    head = [f"  {size_text(v.a.shape)} string array"] + blank if v.a.size != 1 else []
    return [f"{name} = "] + blank + head + body + blank


# ---- cells, structs ---------------------------------------------------------------------------------------


def _short_number(x, cls: str) -> str:
    """One number as it appears inside ``{[...]}`` and struct fields: 1, 0.5000, 1.0000e-04, NaN."""
    if cls == "logical" or cls in _INT_KINDS.values():
        return str(int(x))
    if np.iscomplexobj(np.asarray(x)):
        _, cells, _ = complex_page(np.array([[x]]), FORMAT.numeric, single=cls == "single")
        return cells[0].strip()
    _, cells, _ = real_page(np.array([[float(x)]]), FORMAT.numeric, single=cls == "single")
    return cells[0].strip()


def _inline_numeric(a: np.ndarray, cls: str) -> str | None:
    """``[1 2 3]`` for a short numeric row (as MATLAB shows it inside cells and struct fields), else None."""
    a = _as_array(a)
    if a.ndim != 2 or a.shape[0] != 1 or a.size == 0:
        return None
    if a.size == 1:
        return "[" + _short_number(a.flat[0], cls) + "]"
    if cls == "double" and a.size <= 10:
        header, cells, _ = real_page(a) if not np.iscomplexobj(a) else (True, None, None)
        if header is None and cells is not None:
            return "[" + " ".join(c.strip() for c in cells) + "]"
    if (cls == "logical" or cls in _INT_KINDS.values()) and a.size <= 10:
        return "[" + " ".join(str(int(x)) for x in a.reshape(-1)) + "]"
    return None


def summary(v, in_struct: bool = False) -> str:
    """A value as one short text inside a cell display (``[1 2 3]``, ``'abc'``, ``2×3 double``) or as a
    struct field (``[2×3 double]``, ``{1×2 cell}``)."""
    cls = class_name(v)
    if isinstance(v, (bool, np.bool_, int, float, np.number)):
        v = np.array([[v]])
    if isinstance(v, np.ndarray) and v.dtype.kind != "U":
        a = _as_array(v)
        if a.size == 1 and in_struct:
            return _short_number(a.flat[0], cls)
        inline = _inline_numeric(a, cls)
        if inline is not None:
            return inline
        if a.size == 0 and in_struct:
            return "[]" if a.shape == (0, 0) else f"[{size_text(a.shape)} {cls}]"
        text = f"{size_text(a.shape)} {cls}"
        return f"[{text}]" if in_struct else text
    if isinstance(v, MString):
        return f'"{v}"' if in_struct else f'["{v}"]'
    if isinstance(v, str):
        if not v:
            return "''" if in_struct else "0×0 char"
        return f"'{v}'"
    if isinstance(v, StrArr):
        if v.a.size == 1:
            s = v.a.flat[0]
            return _string_element(s) if in_struct else f"[{_string_element(s)}]"
        text = f"{size_text(v.a.shape)} string"
        return f"[{text}]" if in_struct else text
    if isinstance(v, Cell):
        if in_struct and v.a.ndim == 2 and v.a.shape[0] == 1 and 0 < v.a.size <= 10 and all(
                isinstance(x, str) and not isinstance(x, MString) for x in v.items()):
            return "{" + "  ".join(f"'{x}'" for x in v.items()) + "}"
        if in_struct and v.a.size == 0:
            return "{}" if v.a.shape == (0, 0) else "{" + size_text(v.a.shape) + " cell}"
        text = f"{size_text(v.a.shape)} cell"
        return "{" + text + "}" if in_struct else text
    if isinstance(v, Struct):
        return "[1×1 struct]" if in_struct else "1×1 struct"
    if _is_struct_array(v):
        text = f"{size_text(v.a.shape)} struct"
        return f"[{text}]" if in_struct else text
    if isinstance(v, (FuncHandle, HandleFunction)):
        return _handle_text(v)
    if isinstance(v, Categorical):
        if v.numel == 1:
            return v.names()[0] if in_struct else "[" + v.names()[0] + "]"
        text = f"{size_text(v.shape)} categorical"
        return f"[{text}]" if in_struct else text
    shape = _shape(v)
    text = f"{size_text(shape)} {class_name(v)}"
    return f"[{text}]" if in_struct else text


def _cell_display(name, v: Cell, loose) -> list[str]:
    blank = [""] if loose else []
    a = v.a
    if a.size == 0:
        text = f"  {size_text(a.shape)} empty cell array"
        if name is None:
            return [] if a.shape == (0, 0) else [text]
        return [f"{name} ="] + blank + [text] + blank
    if a.ndim > 2:
        body: list[str] = []
        for label, page in _pages(a):
            body += [f"{name or 'ans'}{label} ="] + blank + _cell_grid(page) + blank
        if name is None:
            return body
        return body
    body = _cell_grid(a)
    if name is None:
        return body
    return [f"{name} ="] + blank + [f"  {size_text(a.shape)} cell array"] + blank + body + blank


def _cell_grid(a: np.ndarray) -> list[str]:
    rows, cols = a.shape
    inner = np.empty(a.shape, dtype=object)
    numeric = np.zeros(a.shape, dtype=bool)
    bracketed = np.zeros(a.shape, dtype=bool)
    for idx, x in np.ndenumerate(a):
        s = summary(x)
        inner[idx] = s
        bracketed[idx] = s.startswith("[") and s.endswith("]") and not s.startswith('["')
        numeric[idx] = bracketed[idx] and not isinstance(x, Categorical)
    widths = [max(len(inner[i, j]) for i in range(rows)) for j in range(cols)]
    texts = np.empty(a.shape, dtype=object)
    for (i, j), s in np.ndenumerate(inner):
        pad = widths[j] - len(s)
        if numeric[i, j]:            # numbers right-aligned inside the brackets: {[   1]}
            texts[i, j] = "{[" + " " * pad + s[1:] + "}"
        elif bracketed[i, j]:        # a categorical label left-aligned inside them: {[M     ]}
            texts[i, j] = "{" + s[:-1] + " " * pad + "]}"
        else:
            texts[i, j] = "{" + s + " " * pad + "}"
    return _grid_lines(texts)


def struct_field_lines(fields: dict, indent: int = 4) -> list[str]:
    """``    name: value`` lines of a scalar struct, names right-aligned."""
    if not fields:
        return []
    width = max(len(k) for k in fields)
    return [" " * indent + k.rjust(width) + ": " + summary(val, in_struct=True) for k, val in fields.items()]


def _struct_display(name, v: Struct, loose) -> list[str]:
    blank = [""] if loose else []
    body = struct_field_lines(v.fields)
    if name is None:
        return body
    if not v.fields:
        return [f"{name} = "] + blank + ["  struct with no fields."] + blank
    return [f"{name} = "] + blank + ["  struct with fields:"] + blank + body + blank


def _struct_array_fields(v) -> list[str]:
    if v.fields:
        return list(v.fields)
    for s in v.a.reshape(-1):
        if isinstance(s, Struct):
            return list(s.fields)
    return []


def _struct_array_display(name, v, loose) -> list[str]:
    blank = [""] if loose else []
    fields = _struct_array_fields(v)
    shape = v.a.shape
    if v.a.size == 0:
        head = f"  {size_text(shape)} empty struct array with " + ("fields:" if fields else "no fields.")
    else:
        head = f"  {size_text(shape)} struct array with " + ("fields:" if fields else "no fields.")
    body = [f"    {f}" for f in fields]
    lines = [head] + (blank + body if fields else [])
    if name is None:
        return lines
    return [f"{name} = "] + blank + lines + blank


# ---- other values ------------------------------------------------------------------------------------------


_OPERAND_END = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.)]}'\"")
_OPERAND_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_([{'\"@")


def compact_handle_text(text: str) -> str:
    """An anonymous function as MATLAB prints it: blanks removed outside quotes (``@(x) x + 1`` ->
    ``@(x)x+1``); a blank separating two elements inside ``[]``/``{}`` becomes a comma (``[x 1]`` -> ``[x,1]``)."""
    out: list[str] = []
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        prev = out[-1] if out else ""
        if ch == '"' or (ch == "'" and prev not in _OPERAND_END):
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            out.append(text[i:j + 1])
            i = j + 1
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        if ch.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            nxt = text[j] if j < n else ""
            if depth and prev and prev[-1] in _OPERAND_END and nxt in _OPERAND_START:
                out.append(",")
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _handle_text(h) -> str:
    if isinstance(h, FuncHandle):
        return compact_handle_text(h.text) if h.text else f"@{h.name}"
    if isinstance(h, HandleFunction):
        return compact_handle_text(h.matlab_text) if h.matlab_text else "@handle"
    return "@" + getattr(h, "__name__", "function")


def _handle_display(name, h, loose) -> list[str]:
    blank = [""] if loose else []
    text = _handle_text(h)
    if name is None:
        return [f"    {text}"]
    return [f"{name} ="] + blank + ["  function_handle with value:"] + blank + [f"    {text}"] + blank


def _categorical_display(name, c: Categorical, loose) -> list[str]:
    blank = [""] if loose else []
    r, cols = c.shape
    kind = "categorical"     # ordinal arrays too (categories page: "A = 3x2 categorical" for an ordinal A)
    body = c.display().rstrip("\n").split("\n")[2:]
    if c.numel == 0:
        head = [f"  {r}{TIMES}{cols} empty {kind} array"]
        return head if name is None else [f"{name} = "] + blank + head + blank
    if name is None:
        return body
    head = [f"  {kind}"] if c.numel == 1 else [f"  {r}{TIMES}{cols} {kind} array"]
    return [f"{name} = "] + blank + head + blank + body + blank


def _table_display(name, t: Table, loose) -> list[str]:
    blank = [""] if loose else []
    lines = t.display().rstrip("\n").split("\n")
    head, body = lines[0], lines[2:]
    if not loose:
        body = [ln for ln in body if ln.strip()]
    if name is None:
        return body
    return [f"{name} = "] + blank + [head] + blank + body + blank


def _properties_lines(v) -> list[str]:
    """``  Class with properties:`` and the MATLAB-readable properties of an object without its own display."""
    from .access import to_matlab

    values = {}
    for prop in v.MATLAB_PROPERTIES:
        try:
            values[prop] = to_matlab(getattr(v, prop))
        except Exception:   # noqa: BLE001 - a property MATLAB cannot show is left out, as MATLAB hides it
            continue
    return [f"  {_object_class(v)} with properties:", ""] + struct_field_lines(values)


def _object_class(v) -> str:
    """The MATLAB class an object shows in its display: ``MATLAB_CLASS`` when the class declares it
    (``containers.Map`` shows ``Map``), else the Python class name."""
    name = getattr(type(v), "MATLAB_CLASS", None) or type(v).__name__
    return str(name).rsplit(".", 1)[-1]


def _object_display(name, v, loose) -> list[str]:
    """Toolbox objects (layers, networks, datastores, options): their MATLAB ``with properties`` text."""
    from ..graph import format_layer_array

    blank = [""] if loose else []
    if isinstance(v, LayerArr):
        text = format_layer_array(list(v.items()))
    elif type(v).__str__ is object.__str__ and getattr(v, "MATLAB_PROPERTIES", None):
        text = "\n".join(_properties_lines(v))
    else:
        text = str(v)
    body = text.rstrip("\n").split("\n")
    if not loose:
        body = [ln for ln in body if ln.strip()]
    if name is None:
        return body
    return [f"{name} = "] + blank + body + blank


# ---- entry points -----------------------------------------------------------------------------------------


def _lines(name: str | None, value, loose: bool) -> list[str]:
    if isinstance(value, (bool, np.bool_, int, float, complex, np.number)):
        value = np.array([[value]])
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "U":
            return _char_display(name, value, loose)
        if value.dtype == object:
            return _cell_display(name, Cell(_as_array(value)), loose)
        return _numeric_display(name, value, loose)
    if isinstance(value, (MString, StrArr)):
        return _string_display(name, value, loose)
    if isinstance(value, str):
        return _char_display(name, value, loose)
    if isinstance(value, Cell):
        return _cell_display(name, value, loose)
    if isinstance(value, Struct):
        return _struct_display(name, value, loose)
    if _is_struct_array(value):
        return _struct_array_display(name, value, loose)
    if isinstance(value, (FuncHandle, HandleFunction)):
        return _handle_display(name, value, loose)
    if isinstance(value, Categorical):
        return _categorical_display(name, value, loose)
    if isinstance(value, Table):
        return _table_display(name, value, loose)
    if value is None:
        return _numeric_display(name, np.zeros((0, 0)), loose)
    return _object_display(name, value, loose)


def display_text(name: str, value) -> str:
    """What MATLAB prints for ``name = value`` without a semicolon (``ans`` for a bare expression)."""
    return "\n".join(_lines(name, value, FORMAT.loose)) + "\n"


def disp_text(value) -> str:
    """``disp(value)``: the value without its name; nothing for ``[]``."""
    lines = _lines(None, value, FORMAT.loose)
    if not lines:
        return ""
    return "\n".join(lines) + "\n"


def _write(text: str, stream=None) -> None:
    (stream or sys.stdout).write(text)
    if stream is None:
        sys.stdout.flush()


def show(name: str, value) -> None:
    """Print ``value`` as MATLAB's Command Window does for an unterminated statement assigning ``name``."""
    _write(display_text(name, value))


#: the interpreter's display hook (``layergraph.matlab.runtime.display_value``) calls this name
display_value = show


def disp(value) -> None:
    """``disp(X)``: prints X without its name."""
    _write(disp_text(value))


def display(value, name: str | None = None) -> None:
    """``display(X)``: the named display (``ans`` when no name is known)."""
    _write(display_text(name or "ans", value))


__all__ = [
    "FORMAT", "DisplayFormat", "reset_format", "set_format", "display_text", "disp_text", "show", "display_value",
    "disp",
    "display", "summary", "class_name", "struct_field_lines",
]
