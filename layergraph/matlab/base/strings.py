"""Text functions with MATLAB's rules: char rows (``str``), string scalars (``MString``), string arrays
(``StrArr``) and cell arrays of char vectors (``Cell``) keep their kind (a function on a cell array works
element by element and gives a cell array back).

regexp/regexprep take MATLAB's regular-expression syntax (named tokens ``(?<name>...)``, ``\\<``/``\\>``
word boundaries, ``$1``/``$<name>`` in replacements); dynamic expressions ``(??...)``/``(?@...)`` run
MATLAB code and are refused. ``str2num`` reads numbers only and never evaluates text.
"""

from __future__ import annotations

import re

import numpy as np

from ..values import Cell, MString, StrArr, Struct
from ._core import (base, fail, flag, integer, name_value, nargs, numeric, outputs, scalar, shape_of, text_items)

_TEXT_ERROR = "Input must be a string array, character vector, or cell array of character vectors."


def _is_char(v) -> bool:
    return isinstance(v, str) and not isinstance(v, MString)


def map_text(v, fn, name="function"):
    """Apply ``fn`` (str -> str) to every text element, keeping the kind of ``v``."""
    if isinstance(v, MString):
        return MString(fn(str(v)))
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, (Cell, StrArr)):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            x = v.a[i]
            if not isinstance(x, str):
                raise fail(_TEXT_ERROR, "MATLAB:invalidType")
            arr[i] = MString(fn(str(x))) if isinstance(v, StrArr) else fn(str(x))
        return type(v)(arr)
    raise fail(_TEXT_ERROR, f"MATLAB:{name}:InvalidInput")


def map_logical(v, fn, name="function"):
    """A logical array of the shape of a text array (char/string scalar: 1x1)."""
    if isinstance(v, str):
        return np.array([[bool(fn(str(v)))]])
    if isinstance(v, (Cell, StrArr)):
        out = np.empty(v.a.shape, dtype=bool)
        for i in np.ndindex(v.a.shape):
            x = v.a[i]
            if not isinstance(x, str):
                raise fail(_TEXT_ERROR, "MATLAB:invalidType")
            out[i] = bool(fn(str(x)))
        return out
    raise fail(_TEXT_ERROR, f"MATLAB:{name}:InvalidInput")


def _patterns(p) -> list:
    return text_items(p)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def escapes(s: str) -> str:
    """MATLAB's escape sequences in a format-like argument (strjoin/strsplit delimiters)."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s)


def _ignore_case(args) -> bool:
    _, opts = name_value(args, {"ignorecase": "IgnoreCase"})
    v = opts.get("IgnoreCase", False)
    return bool(numeric(v).flat[0]) if not isinstance(v, bool) else v


# ---- conversion --------------------------------------------------------------------------------------


def _num_text(x) -> str:
    try:
        from .. import interp as _i

        return _i.matlab_num_str(x)
    except (ImportError, AttributeError):   # pragma: no cover - moved to semantics by helper "translate"
        from .. import semantics as _s

        return _s.matlab_num_str(x)


@base("string")
def string(v):
    """``string(x)``: char -> string scalar, cell of text -> string array, numbers -> their shortest text
    (``string(pi)`` is "3.1416"), logical -> "true"/"false"."""
    if isinstance(v, (MString, StrArr)):
        return v
    if isinstance(v, str):
        return MString(v)
    if isinstance(v, Cell):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            x = v.a[i]
            arr[i] = string(x) if not isinstance(x, StrArr) else x
            if not isinstance(arr[i], MString):
                raise fail("Conversion from cell failed. Element must be a string scalar, a character vector, or "
                           "a numeric scalar.", "MATLAB:string:MustBeCellOfTextOrScalar")
        return StrArr(arr)
    if isinstance(v, np.ndarray):
        conv = (lambda x: "true" if x else "false") if v.dtype == bool else _num_text
        if v.size == 1:
            return MString(conv(v.flat[0]))
        arr = np.empty(v.shape, dtype=object)
        for i in np.ndindex(v.shape):
            arr[i] = MString(conv(v[i]))
        return StrArr(arr)
    if type(v).__name__ == "Categorical":
        labels = np.asarray(v)
        arr = np.empty(labels.shape, dtype=object)
        for i in np.ndindex(labels.shape):
            arr[i] = MString(str(labels[i]))
        return StrArr(arr) if arr.size != 1 else arr.flat[0]
    raise fail(f"Conversion to string from {type(v).__name__} is not possible.", "MATLAB:string:ConversionFailed")


@base("char")
def char(*args):
    """``char(codes)``, ``char(string)``, ``char({'abc'})`` (one row: layergraph has no char matrices)."""
    if not args:
        return ""
    if len(args) > 1:
        items = [char(a) for a in args]
        if len(items) == 1 or all(x == "" for x in items[1:]):
            return items[0]
        raise fail("Char matrices are not supported; use a cell array of character vectors.", "layergraph:charMatrix")
    v = args[0]
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (StrArr, Cell)):
        items = v.items()
        if len(items) == 1 and isinstance(items[0], str):
            return str(items[0])
        if not items:
            return ""
        raise fail("Char matrices are not supported; use a cell array of character vectors.", "layergraph:charMatrix")
    if isinstance(v, np.ndarray):
        if v.ndim == 2 and v.shape[0] <= 1:
            return "".join(chr(int(x)) for x in v.reshape(-1))
        raise fail("Char matrices are not supported; use a cell array of character vectors.", "layergraph:charMatrix")
    if type(v).__name__ == "Categorical" and getattr(v, "size", 0) == 1:
        return str(np.asarray(v).reshape(-1)[0])
    raise fail(f"Conversion to char from {type(v).__name__} is not possible.", "MATLAB:invalidConversion")


@base("cellstr")
def cellstr(v):
    """char -> 1x1 cell; string array -> cell of char of the same shape; a cell of text is returned."""
    if isinstance(v, Cell):
        if not all(isinstance(x, str) for x in v.items()):
            raise fail("Input must be a string array, character array, or cell array of character vectors.",
                       "MATLAB:cellstr:MustBeCharacterArrayOrCellArrayOfStrings")
        return Cell(np.vectorize(lambda x: str(x), otypes=[object])(v.a)) if v.a.size else v
    if isinstance(v, StrArr):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            arr[i] = str(v.a[i])
        return Cell(arr)
    if isinstance(v, str):
        return Cell.row([str(v).rstrip(" ") if _is_char(v) else str(v)])
    raise fail("Input must be a string array, character array, or cell array of character vectors.",
               "MATLAB:cellstr:MustBeCharacterArrayOrCellArrayOfStrings")


_NUMBER = re.compile(r"^[+-]?(?:(?:\d[\d,]*\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?|inf|infinity|nan)$", re.IGNORECASE)


def _to_double(text: str) -> float:
    t = text.strip()
    if not _NUMBER.match(t) or t.startswith(",") or ",," in t:
        return float("nan")
    t = t.replace(",", "").lower().replace("d", "e")
    if t.lstrip("+-") in ("infinity",):
        t = t.replace("infinity", "inf")
    try:
        return float(t)
    except ValueError:
        return float("nan")


@base("str2double")
def str2double(v):
    """Text to double; NaN when the text is not one real number (``'1,200'`` reads 1200; no evaluation).
    A cell or string array gives an array of the same shape; a number gives NaN."""
    if isinstance(v, str):
        return np.array([[_to_double(str(v))]])
    if isinstance(v, (Cell, StrArr)):
        out = np.empty(v.a.shape, dtype=np.float64)
        for i in np.ndindex(v.a.shape):
            x = v.a[i]
            out[i] = _to_double(str(x)) if isinstance(x, str) else np.nan
        return out
    return np.array([[np.nan]])


_VALUE = {"true": 1.0, "false": 0.0, "inf": np.inf, "-inf": -np.inf, "+inf": np.inf, "nan": np.nan,
          "pi": np.pi, "-pi": -np.pi}


@base("str2num", outputs=("X", "tf"), nargout_aware=True)
def str2num(text, *, nargout=1):
    """``[X, tf] = str2num('1 2; 3 4')``: a numeric matrix written as text (numbers, Inf, NaN, pi, true,
    false; rows split by ';' or newlines, elements by spaces or commas, optional brackets). Unlike MATLAB it
    never evaluates the text: anything else gives ``[]`` and tf false."""
    if not isinstance(text, str):
        raise fail("Input must be a character vector or string scalar.", "MATLAB:str2num:InvalidArgument")
    t = str(text).strip()
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    rows = [r for r in re.split(r"[;\n]", t) if r.strip()]
    values = []
    try:
        for r in rows:
            items = [x for x in re.split(r"[,\s]+", r.strip()) if x]
            row = []
            for x in items:
                low = x.lower()
                if low in _VALUE:
                    row.append(_VALUE[low])
                elif _NUMBER.match(x) and "," not in x:
                    row.append(float(low.replace("d", "e")))
                else:
                    raise ValueError(x)
            values.append(row)
        if values and len({len(r) for r in values}) != 1:
            raise ValueError("ragged")
    except ValueError:
        return outputs([np.zeros((0, 0)), np.array([[False]])], nargout)
    X = np.array(values, dtype=np.float64) if values else np.zeros((0, 0))
    if all(x.lower() in ("true", "false") for r in rows for x in re.split(r"[,\s]+", r.strip()) if x) and values:
        X = X != 0
    return outputs([X, np.array([[True]])], nargout)


@base("newline")
def newline():
    return "\n"


@base("blanks")
def blanks(n):
    return " " * max(integer(n, "a nonnegative integer"), 0)


@base("deblank")
def deblank(s):
    """Remove trailing whitespace and null characters."""
    return map_text(s, lambda x: x.rstrip(" \t\n\r\v\f\0"), "deblank")


@base("strtrim")
def strtrim(s):
    """Remove leading and trailing whitespace (and null characters)."""
    return map_text(s, lambda x: x.strip(" \t\n\r\v\f\0"), "strtrim")


@base("upper")
def upper(s):
    return map_text(s, str.upper, "upper")


@base("lower")
def lower(s):
    return map_text(s, str.lower, "lower")


@base("strlength")
def strlength(s):
    """Number of characters of each text element (a char row or string scalar: 1x1)."""
    if isinstance(s, str):
        return np.array([[float(len(s))]])
    if isinstance(s, (Cell, StrArr)):
        out = np.empty(s.a.shape, dtype=np.float64)
        for i in np.ndindex(s.a.shape):
            out[i] = float(len(str(s.a[i])))
        return out
    raise fail(_TEXT_ERROR, "MATLAB:strlength:InvalidInput")


@base("strrep")
def strrep(s, old, new):
    """Replace every occurrence (overlapping occurrences each count, as MATLAB's strrep does)."""
    o, n = str(old), str(new)

    def rep(x):
        if not o:
            return x
        starts = [i for i in range(len(x) - len(o) + 1) if x.startswith(o, i)]
        if not starts:
            return x
        out, pos = [], 0
        for i in starts:
            if i >= pos:
                out.append(x[pos:i])
            out.append(n)
            pos = i + len(o)
        out.append(x[pos:])
        return "".join(out)

    return map_text(s, rep, "strrep")


@base("replace")
def replace(s, old, new):
    """Replace every occurrence of each of ``old`` with the matching ``new`` (non-overlapping, left to right)."""
    olds = text_items(old)
    news = text_items(new)
    if len(news) == 1:
        news = news * len(olds)
    if len(news) != len(olds):
        raise fail("NEW must be the same size as OLD or a scalar.", "MATLAB:string:ReplaceSizeMismatch")
    pairs = dict(zip(olds, news))
    pattern = re.compile("|".join(re.escape(o) for o in sorted(olds, key=len, reverse=True) if o)) if any(olds) else None
    return map_text(s, (lambda x: pattern.sub(lambda m: pairs[m.group(0)], x)) if pattern else (lambda x: x),
                    "replace")


@base("erase")
def erase(s, pattern):
    return replace(s, pattern, "")


@base("strcat")
def strcat(*args):
    """Concatenate horizontally; trailing whitespace of char arguments is removed; a cell argument gives a
    cell (element by element), a string argument a string."""
    if not args:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    arrays = [a for a in args if isinstance(a, (Cell, StrArr))]
    if arrays:
        shape = next((a.a.shape for a in arrays if a.a.size != 1), arrays[0].a.shape)
        n = int(np.prod(shape))
        out = []
        for i in range(n):
            parts = []
            for a in args:
                if isinstance(a, (Cell, StrArr)):
                    items = a.items()
                    if len(items) not in (1, n):
                        raise fail("All the inputs must be the same size or scalars.", "MATLAB:strcat:InvalidInputSize")
                    parts.append(str(items[i] if len(items) > 1 else items[0]))
                elif _is_char(a):
                    parts.append(a.rstrip(" \t\n\r\v\f\0") if not any(isinstance(b, StrArr) for b in args) else a)
                else:
                    parts.append(str(a))
            out.append("".join(parts))
        kind = StrArr if any(isinstance(a, (StrArr, MString)) for a in args) else Cell
        arr = np.empty(len(out), dtype=object)
        for i, x in enumerate(out):
            arr[i] = MString(x) if kind is StrArr else x
        return kind(arr.reshape(shape, order="F"))
    if any(isinstance(a, MString) for a in args):
        return MString("".join(str(a) for a in args))
    parts = []
    for a in args:
        if isinstance(a, np.ndarray):
            a = "".join(chr(int(c)) for c in a.reshape(-1))
        if not isinstance(a, str):
            raise fail("Inputs must be character vectors, cell arrays of character vectors, or string arrays.",
                       "MATLAB:strcat:InvalidInputType")
        parts.append(a.rstrip(" \t\n\r\v\f\0"))
    return "".join(parts)


@base("strjoin")
def strjoin(C, delimiter=" "):
    """Join a cell array of char vectors (or a string array) with a delimiter (escape sequences such as
    ``\\n`` in it are interpreted); a cell array of delimiters goes between successive elements."""
    items = text_items(C)
    if isinstance(delimiter, (Cell, StrArr)):
        ds = [escapes(d) for d in text_items(delimiter)]
        if len(ds) != max(len(items) - 1, 0):
            raise fail("The number of delimiters must be one less than the number of elements.",
                       "MATLAB:strjoin:WrongNumberOfDelimiterElements")
        out = items[0] if items else ""
        for d, x in zip(ds, items[1:]):
            out += d + x
    else:
        out = escapes(str(delimiter)).join(items)
    return MString(out) if isinstance(C, StrArr) else out


def _split_text(s: str, delims: list, collapse: bool) -> list:
    if not delims:
        return [s]
    pattern = "|".join(re.escape(d) for d in sorted(delims, key=len, reverse=True))
    if collapse:
        pattern = f"(?:{pattern})+"
    return re.split(pattern, s)


@base("strsplit", outputs=("C", "matches"), nargout_aware=True)
def strsplit(s, delimiter=None, *args, nargout=1):
    """Split at whitespace or at a delimiter (text or a cell of texts; escape sequences interpreted); by
    default consecutive delimiters count as one ('CollapseDelimiters', true). Returns a 1-by-n cell."""
    if not isinstance(s, str):
        raise fail("First input must be either a character vector or a string scalar.",
                   "MATLAB:strsplit:InvalidStringType")
    _, opts = name_value(args, {"collapsedelimiters": "CollapseDelimiters"})
    collapse = bool(numeric(opts.get("CollapseDelimiters", True)).flat[0]) if not isinstance(
        opts.get("CollapseDelimiters", True), bool) else opts.get("CollapseDelimiters", True)
    if delimiter is None:
        delims = [" ", "\f", "\n", "\r", "\t", "\v"]
    else:
        delims = [escapes(d) for d in text_items(delimiter)]
    parts = _split_text(str(s), delims, collapse)
    found = re.findall(("(?:%s)+" if collapse else "%s") % "|".join(
        re.escape(d) for d in sorted(delims, key=len, reverse=True)), str(s)) if delims else []
    wrap = MString if isinstance(s, MString) else str
    if isinstance(s, MString):
        C = StrArr.row([wrap(p) for p in parts])
        return outputs([C, StrArr.row([wrap(f) for f in found])], nargout)
    return outputs([Cell.row(parts), Cell.row(found)], nargout)


@base("split")
def split(s, delimiter=None):
    """Split text at whitespace (consecutive whitespace counts as one) or at delimiters; a scalar input
    gives an n-by-1 result (string array for strings, cell array for char)."""
    delims = [" ", "\f", "\n", "\r", "\t", "\v"] if delimiter is None else text_items(delimiter)
    collapse = delimiter is None
    if isinstance(s, (Cell, StrArr)) and s.a.size != 1:
        raise fail("Splitting several texts (a non-scalar array) is not supported by layergraph's split.",
                   "layergraph:splitArray")
    text = str(s.items()[0]) if isinstance(s, (Cell, StrArr)) else str(s)
    parts = _split_text(text, delims, collapse)
    if isinstance(s, (MString, StrArr)):
        return StrArr.column([MString(p) for p in parts])
    return Cell.column(parts)


@base("join")
def join(s, delimiter=" "):
    """Join the elements of a string array or cell array (along its last non-singleton dimension of a
    vector) with a delimiter (default a space)."""
    items = text_items(s)
    out = str(delimiter).join(items)
    if isinstance(s, (StrArr, MString)):
        return MString(out)
    return Cell.row([out]) if isinstance(s, Cell) else out


def _strcmp(fold: bool, limited: bool):
    """strcmp/strcmpi/strncmp/strncmpi: true only for text equal to text (a number is never equal); a
    cell or string array compares element by element (the other argument scalar or the same size)."""

    def run(a, b, *n):
        if limited:
            if not n:
                raise fail("Not enough input arguments.", "MATLAB:minrhs")
            k = integer(n[0], "a nonnegative integer")
        else:
            k = None

        def cmp(x, y):
            if not (isinstance(x, str) and isinstance(y, str)):
                return False
            x, y = str(x), str(y)
            if fold:
                x, y = x.lower(), y.lower()
            if k is not None:
                return x[:k] == y[:k]      # "compares up to n characters"
            return x == y

        if isinstance(a, (Cell, StrArr)) or isinstance(b, (Cell, StrArr)):
            ca = a if isinstance(a, (Cell, StrArr)) else None
            cb = b if isinstance(b, (Cell, StrArr)) else None
            if ca is not None and cb is not None and ca.a.size != 1 and cb.a.size != 1 and ca.a.shape != cb.a.shape:
                raise fail("Inputs must be the same size or either one can be a scalar.",
                           "MATLAB:strcmp:InputsSizeMismatch")
            ref = ca if (ca is not None and (cb is None or ca.a.size != 1)) else cb
            res = np.empty(ref.a.shape, dtype=bool)
            for i in np.ndindex(ref.a.shape):
                x = (ca.a[i] if ca.a.size != 1 else ca.a.flat[0]) if ca is not None else a
                y = (cb.a[i] if cb.a.size != 1 else cb.a.flat[0]) if cb is not None else b
                res[i] = cmp(x, y)
            return res
        return np.array([[cmp(a, b)]])

    return run


base("strcmp")(_strcmp(False, False))
base("strcmpi")(_strcmp(True, False))
base("strncmp")(_strcmp(False, True))
base("strncmpi")(_strcmp(True, True))


def _text_test(name, test):
    def run(s, pattern, *args):
        fold = _ignore_case(args)
        pats = _patterns(pattern)
        if fold:
            pats = [p.lower() for p in pats]
        return map_logical(s, lambda x: any(test(x.lower() if fold else x, p) for p in pats), name)

    run.__name__ = name
    return run


base("contains")(_text_test("contains", lambda s, p: p in s))
base("startsWith")(_text_test("startsWith", lambda s, p: s.startswith(p)))
base("endsWith")(_text_test("endsWith", lambda s, p: s.endswith(p)))


def _position_or_pattern(s: str, pos, after: bool) -> str | None:
    if isinstance(pos, str):
        p = str(pos)
        i = s.find(p)
        if i < 0:
            return None
        return s[i + len(p):] if after else s[:i]
    k = integer(pos, "a position")
    if k < 0 or k > len(s) + (0 if after else 1):
        raise fail("Numeric position exceeds the number of characters.", "MATLAB:string:PositionOutOfRange")
    return s[k:] if after else s[:k - 1]


def _extract(name, after):
    def run(s, pos):
        def one(x):
            out = _position_or_pattern(x, pos, after)
            return out
        if isinstance(s, (Cell, StrArr)):
            arr = np.empty(s.a.shape, dtype=object)
            for i in np.ndindex(s.a.shape):
                r = one(str(s.a[i]))
                arr[i] = (MString(r) if isinstance(s, StrArr) else r) if r is not None else (
                    _MISSING if isinstance(s, StrArr) else "")
            return type(s)(arr)
        r = one(str(s))
        if r is None:
            return _MISSING if isinstance(s, MString) else ""
        return MString(r) if isinstance(s, MString) else r

    run.__name__ = name
    return run


_MISSING = MString("")   # MATLAB gives <missing> for a string without the pattern; layergraph has no missing


base("extractAfter")(_extract("extractAfter", True))
base("extractBefore")(_extract("extractBefore", False))


@base("extractBetween")
def extractBetween(s, start, stop, *args):
    """Every substring between an occurrence of ``start`` and the next ``stop`` (text boundaries), or
    between positions start..stop (inclusive). Char input gives a cell array (one column), string input a
    string array."""
    text = str(s)
    _, opts = name_value(args, {"boundaries": "Boundaries"})
    inclusive = str(opts.get("Boundaries", "exclusive")).lower() == "inclusive"
    if not isinstance(start, str):
        a, b = integer(start), integer(stop)
        pieces = [text[a - 1:b]]
    else:
        pieces = []
        pos = 0
        st, sp = str(start), str(stop)
        while True:
            i = text.find(st, pos)
            if i < 0:
                break
            j = text.find(sp, i + len(st))
            if j < 0:
                break
            pieces.append(text[i:j + len(sp)] if inclusive else text[i + len(st):j])
            pos = j + len(sp)
    if isinstance(s, MString):
        return StrArr.column([MString(p) for p in pieces]) if len(pieces) != 1 else MString(pieces[0])
    return Cell.column(pieces) if len(pieces) != 1 else Cell.row(pieces)


@base("pad")
def pad(s, *args):
    """Pad text with spaces (or a character) to a length (default: the longest element): 'right' (default),
    'left', 'both' (extra character on the right)."""
    args = list(args)
    n = None
    if args and not isinstance(args[0], str):
        n = integer(args.pop(0), "a length")
    side = "right"
    if args and isinstance(args[0], str) and str(args[0]).lower() in ("left", "right", "both"):
        side = str(args.pop(0)).lower()
    ch = str(args.pop(0)) if args else " "
    items = text_items(s)
    width = n if n is not None else max((len(x) for x in items), default=0)

    def one(x):
        k = max(width - len(x), 0)
        if side == "left":
            return ch * k + x
        if side == "both":
            return ch * (k // 2) + x + ch * (k - k // 2)
        return x + ch * k

    return map_text(s, one, "pad")


# ---- regular expressions ----------------------------------------------------------------------------


def translate_regex(expr: str, ignore_case: bool = False):
    """MATLAB's regular expression as a compiled Python pattern."""
    if "(??" in expr or "(?@" in expr:
        raise fail("Dynamic expressions ((??...), (?@...)) run MATLAB code and are not supported.",
                   "layergraph:regexpDynamic")
    py = re.sub(r"\(\?<([A-Za-z]\w*)>", r"(?P<\1>", expr)
    py = py.replace(r"\<", r"\b").replace(r"\>", r"\b")
    try:
        return re.compile(py, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise fail(f"Invalid regular expression: {exc}.", "MATLAB:regexp:invalidPattern") from None


_SELECTORS = ("match", "tokens", "names", "start", "end", "split", "tokenextents")


def _regexp(s, expression, args, nargout, ignore_case):
    opts = [str(a).lower() for a in args if isinstance(a, str)]
    once = "once" in opts
    if "ignorecase" in opts:
        ignore_case = True
    if "matchcase" in opts:
        ignore_case = False
    selectors = [o for o in opts if o in _SELECTORS]
    if not selectors:
        selectors = ["start", "end", "tokenextents", "match", "tokens", "names", "split"]
    if isinstance(s, (Cell, StrArr)) and not isinstance(s, MString):
        per = [_regexp(x, expression, args, max(nargout, 1), ignore_case) for x in s.items()]
        k = max(nargout, 1)
        outs = []
        for j in range(k):
            arr = np.empty(len(per), dtype=object)
            for i, p in enumerate(per):
                arr[i] = p[j] if isinstance(p, tuple) else p
            outs.append(Cell(arr.reshape(s.a.shape, order="F")))
        return outputs(outs, nargout)
    if not isinstance(s, str):
        raise fail("The first argument (STRING) must be a character vector, cell array of character vectors, or "
                   "string array.", "MATLAB:regexp:InvalidStringType")
    text = str(s)
    pattern = translate_regex(str(expression), ignore_case)
    matches = list(pattern.finditer(text))
    if once:
        matches = matches[:1]
    as_text = MString if isinstance(s, MString) else str

    def tokens_of(m):
        groups = [g if g is not None else "" for g in m.groups()]
        if not groups:
            groups = [m.group(0)]
        return Cell.row([as_text(g) for g in groups])

    def names_of(ms):
        names = list(pattern.groupindex)
        structs = [Struct({n: as_text(m.group(n) or "") for n in names}) for m in ms]
        if once or len(structs) == 1:
            return structs[0] if structs else (Struct({n: "" for n in names}) if once else Struct({n: "" for n in names}))
        from .. import values as _v

        if not structs:
            return Struct({n: "" for n in names})
        if hasattr(_v, "StructArr"):
            return _v.StructArr.row(structs)
        raise fail("regexp 'names' with several matches gives a struct array, which needs layergraph's struct "
                   "arrays.", "layergraph:structArray")

    result = {}
    for sel in selectors:
        if sel == "match":
            result[sel] = (as_text(matches[0].group(0)) if matches else as_text("")) if once else \
                Cell.row([as_text(m.group(0)) for m in matches]) if matches else Cell(np.empty((1, 0), dtype=object))
        elif sel == "tokens":
            result[sel] = (tokens_of(matches[0]) if matches else Cell(np.empty((1, 0), dtype=object))) if once else \
                Cell.row([tokens_of(m) for m in matches]) if matches else Cell(np.empty((1, 0), dtype=object))
        elif sel == "names":
            result[sel] = names_of(matches)
        elif sel == "start":
            v = [float(m.start() + 1) for m in matches]
            result[sel] = (np.array([[v[0]]]) if v else np.zeros((1, 0))) if once else \
                (np.array([v]) if v else np.zeros((1, 0)))
        elif sel == "end":
            v = [float(m.end()) for m in matches]
            result[sel] = (np.array([[v[0]]]) if v else np.zeros((1, 0))) if once else \
                (np.array([v]) if v else np.zeros((1, 0)))
        elif sel == "tokenextents":
            def ext(m):
                n = len(m.groups())
                if n == 0:
                    return np.array([[m.start() + 1.0, float(m.end())]])
                return np.array([[m.start(i) + 1.0, float(m.end(i))] for i in range(1, n + 1)])
            result[sel] = (ext(matches[0]) if matches else np.zeros((0, 2))) if once else \
                Cell.row([ext(m) for m in matches]) if matches else Cell(np.empty((1, 0), dtype=object))
        elif sel == "split":
            pieces, pos = [], 0
            for m in matches:
                pieces.append(as_text(text[pos:m.start()]))
                pos = m.end()
            pieces.append(as_text(text[pos:]))
            result[sel] = Cell.row(pieces)
    return outputs([result[s] for s in selectors], max(nargout, 1)) if nargout > 1 else result[selectors[0]]


@base("regexp", outputs=("out",), nargout_aware=True)
def regexp(s, expression, *args, nargout=1):
    """``regexp(str, expr, 'match'|'tokens'|'names'|'split'|'start'|'end'|'tokenExtents', 'once',
    'ignorecase')``; without selectors the outputs are start, end, tokenExtents, match, tokens, names,
    split in that order."""
    return _regexp(s, expression, args, nargout, False)


@base("regexpi", outputs=("out",), nargout_aware=True)
def regexpi(s, expression, *args, nargout=1):
    return _regexp(s, expression, args, nargout, True)


def _replacement(rep: str):
    """A MATLAB replacement text ($0, $1.., $<name>, escape sequences) as a function of a match."""
    parts = []
    i = 0
    while i < len(rep):
        c = rep[i]
        if c == "$" and i + 1 < len(rep):
            m = re.match(r"\$(\d+)|\$<([A-Za-z]\w*)>", rep[i:])
            if m:
                parts.append(("group", int(m.group(1)) if m.group(1) is not None else m.group(2)))
                i += m.end()
                continue
        if c == "\\" and i + 1 < len(rep):
            parts.append(("text", _ESCAPES.get(rep[i + 1], rep[i + 1])))
            i += 2
            continue
        parts.append(("text", c))
        i += 1

    def run(m):
        out = []
        for kind, v in parts:
            if kind == "text":
                out.append(v)
            else:
                try:
                    out.append(m.group(v) or "")
                except (IndexError, error_type):
                    out.append("")
        return "".join(out)

    return run


error_type = re.error


@base("regexprep")
def regexprep(s, expression, replacement, *args):
    """Replace matches of MATLAB regular expressions (``$1``, ``$<name>``, ``$0``); 'once', 'ignorecase';
    cell arrays of expressions/replacements apply in turn."""
    opts = [str(a).lower() for a in args if isinstance(a, str)]
    fold = "ignorecase" in opts
    count = 1 if "once" in opts else 0
    exprs = text_items(expression)
    reps = text_items(replacement)
    if len(reps) == 1:
        reps = reps * len(exprs)
    if len(reps) != len(exprs):
        raise fail("The number of replacements must match the number of expressions, or be one.",
                   "MATLAB:regexprep:ReplacementMismatch")
    compiled = [(translate_regex(e, fold), _replacement(r)) for e, r in zip(exprs, reps)]

    def one(x):
        for pat, fn in compiled:
            x = pat.sub(fn, x, count=count)
        return x

    return map_text(s, one, "regexprep")
