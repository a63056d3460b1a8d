"""Validation and comparison: validateattributes (the common attributes), validatestring, assert,
isequal, isequaln.

Error identifiers and wording follow MATLAB's (``MATLAB:expectedPositive``, "Expected input to be
positive."); where the wording could not be checked against MathWorks' pages, docs/guide/base-functions.md
says so.
"""

from __future__ import annotations

import numpy as np

from ..values import Cell, FuncHandle, MString, StrArr, Struct
from ._core import base, class_of, fail, numeric, shape_of, size_text, text_items

# ---- isequal ---------------------------------------------------------------------------------------


def _equal(a, b, nan_equal: bool) -> bool:
    if isinstance(a, (Cell,)) or isinstance(b, (Cell,)):
        if not (isinstance(a, Cell) and isinstance(b, Cell)) or a.a.shape != b.a.shape:
            return False
        return all(_equal(x, y, nan_equal) for x, y in zip(a.items(), b.items()))
    if isinstance(a, Struct) or isinstance(b, Struct):
        if not (isinstance(a, Struct) and isinstance(b, Struct)) or set(a.fields) != set(b.fields):
            return False
        return all(_equal(a.fields[k], b.fields[k], nan_equal) for k in a.fields)
    if type(a).__name__ == "StructArr" or type(b).__name__ == "StructArr":
        if type(a) is not type(b) or a.a.shape != b.a.shape or set(a.fields) != set(b.fields):
            return False
        return all(_equal(x, y, nan_equal) for x, y in zip(a.items(), b.items()))
    if isinstance(a, (MString, StrArr)) or isinstance(b, (MString, StrArr)):
        ta = a.items() if isinstance(a, StrArr) else [a] if isinstance(a, str) else None
        tb = b.items() if isinstance(b, StrArr) else [b] if isinstance(b, str) else None
        if ta is None or tb is None:
            return False
        if shape_of(a) != shape_of(b) and not (isinstance(a, str) and isinstance(b, str)):
            return False
        return [str(x) for x in ta] == [str(x) for x in tb]
    if isinstance(a, FuncHandle) or isinstance(b, FuncHandle):
        return a is b
    numeric_like = (np.ndarray, str, bool, int, float, np.bool_, np.integer, np.floating)
    if isinstance(a, numeric_like) and isinstance(b, numeric_like):
        x, y = numeric(a), numeric(b)
        if x.shape != y.shape:
            return False
        x, y = x.astype(np.float64), y.astype(np.float64)
        same = (x == y)
        if nan_equal:
            same = same | (np.isnan(x) & np.isnan(y))
        return bool(np.all(same))
    if type(a).__name__ == "Categorical" and type(b).__name__ == "Categorical":
        return tuple(a.shape) == tuple(b.shape) and bool(np.all(np.asarray(a) == np.asarray(b)))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


@base("isequal")
def isequal(A, B, *more):
    """True when all arguments have equal size and values (numeric class is ignored: ``isequal(1,
    int8(1))`` and ``isequal('a', 97)`` are true; NaN is not equal to NaN); cells and structs compare
    element by element (struct field order does not matter)."""
    args = (A, B) + more
    return np.array([[all(_equal(args[0], x, False) for x in args[1:])]])


@base("isequaln")
def isequaln(A, B, *more):
    """isequal with NaN equal to NaN."""
    args = (A, B) + more
    return np.array([[all(_equal(args[0], x, True) for x in args[1:])]])


# ---- assert ---------------------------------------------------------------------------------------------


def _format(fmt, args):
    from ...functions import FUNCTIONS

    entry = FUNCTIONS.get("sprintf")
    if entry is not None and args and entry.base:
        out = entry.function(fmt, *args)
        return str(out)
    from .strings import escapes

    return escapes(str(fmt)) if args or "\\" in str(fmt) else str(fmt)


@base("assert", outputs=())
def assert_(cond, *args):
    """``assert(cond)``, ``assert(cond, msg, A1, ...)``, ``assert(cond, errID, msg, A1, ...)``: raise
    MATLAB's error when cond is false (or empty, or has any zero)."""
    c = numeric(cond) if not isinstance(cond, (Cell, Struct)) else None
    if c is None:
        raise fail("The condition input argument must be a scalar logical.", "MATLAB:assertion:LogicalScalar")
    if c.size and bool(np.all(c.astype(np.float64) != 0)):
        return None
    if not args:
        raise fail("Assertion failed.", "MATLAB:assertion:failed")
    if len(args) >= 2 and isinstance(args[0], str) and ":" in str(args[0]) and " " not in str(args[0]) \
            and isinstance(args[1], str):
        identifier, message, rest = str(args[0]), args[1], args[2:]
    else:
        identifier, message, rest = "", args[0], args[1:]
    if not isinstance(message, str):
        raise fail("The message must be a character vector or string scalar.", "MATLAB:assertion:MessageType")
    raise fail(_format(message, rest), identifier)


# ---- validatestring ---------------------------------------------------------------------------------------


@base("validatestring")
def validatestring(text, valid, *args):
    """The element of ``valid`` that ``text`` matches case-insensitively as a prefix (an exact match wins;
    several matches where one is a prefix of all the others give the shortest)."""
    if not isinstance(text, str):
        raise fail("Expected input to be one of these types:\n\nchar, string\n\nInstead its type was " +
                   class_of(text) + ".", "MATLAB:validatestring:invalidType")
    options = text_items(valid)
    t = str(text).lower()
    matches = [o for o in options if o.lower().startswith(t)] if t else []
    exact = [o for o in options if o.lower() == t]
    if exact:
        return _like(text, valid, exact[0])
    if len(matches) == 1:
        return _like(text, valid, matches[0])
    if matches:
        shortest = min(matches, key=len)
        if all(m.lower().startswith(shortest.lower()) for m in matches):
            return _like(text, valid, shortest)
        listed = ", ".join(f"'{m}'" for m in matches)
        raise fail(f"Expected input to match one of these values:\n\n{listed}\n\nThe input, '{text}', matched more "
                   "than one valid value.", "MATLAB:ambiguousStringChoice")
    listed = ", ".join(f"'{o}'" for o in options)
    raise fail(f"Expected input to match one of these values:\n\n{listed}\n\nThe input, '{text}', did not match "
               "any of the valid values.", "MATLAB:unrecognizedStringChoice")


def _like(text, valid, choice):
    return MString(choice) if isinstance(text, MString) or isinstance(valid, StrArr) else str(choice)


# ---- validateattributes ------------------------------------------------------------------------------------


_CATEGORIES = {
    "numeric": lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iuf",
    "float": lambda v: isinstance(v, np.ndarray) and v.dtype.kind == "f",
    "integer": lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iu",
}


def _who(func, var, index):
    if index is not None and var:
        return f"input number {index}, {var},"
    if index is not None:
        return f"input number {index}"
    return var or "input"


@base("validateattributes", outputs=())
def validateattributes(A, classes, attributes, *args):
    """Check A's class (any of ``classes``; ``{}`` for any) and attributes: 2d, 3d, column, row, scalar,
    scalartext, vector, square, nonempty, nonsparse, binary, even, odd, integer, real, finite, nonnan,
    nonnegative, nonzero, positive, increasing, decreasing, nondecreasing, nonincreasing, and with a value
    size, numel, ncols, nrows, ndims, >, >=, <, <=. Optional funcName, varName, argIndex."""
    func = var = None
    index = None
    rest = list(args)
    if rest and not isinstance(rest[0], str):
        index = int(numeric(rest[0]).flat[0])
        rest = []
    if rest:
        func = str(rest.pop(0))
    if rest and isinstance(rest[0], str):
        var = str(rest.pop(0))
    if rest:
        index = int(numeric(rest.pop(0)).flat[0])
    who = _who(func, var, index)
    names = text_items(classes) if not (isinstance(classes, Cell) and classes.a.size == 0) else []
    if names:
        mine = class_of(A)
        ok = any(mine == n or (n in _CATEGORIES and _CATEGORIES[n](A)) for n in names)
        if not ok:
            raise fail(f"Expected {who} to be one of these types:\n\n{', '.join(names)}\n\nInstead its type "
                       f"was {mine}.", "MATLAB:invalidType")
    items = attributes.items() if isinstance(attributes, Cell) else []
    shape = shape_of(A)
    i = 0
    while i < len(items):
        attr = str(items[i]).lower() if isinstance(items[i], str) else None
        if attr is None:
            raise fail("Attributes must be a cell array of character vectors (and values).",
                       "MATLAB:validateattributes:badAttribute")
        value = items[i + 1] if attr in ("size", "numel", "ncols", "nrows", "ndims", ">", ">=", "<", "<=") else None
        i += 2 if value is not None else 1
        _check(attr, value, A, shape, who)


def _values_of(A):
    return numeric(A).astype(np.float64) if isinstance(A, (np.ndarray, bool, int, float)) or \
        (isinstance(A, str) and not isinstance(A, MString)) else None


def _check(attr, value, A, shape, who):
    def need(ok, what, ident):
        if not ok:
            raise fail(f"Expected {who} to be {what}.", ident)

    x = _values_of(A)
    n = int(np.prod(shape))
    if attr == "2d":
        need(len(shape) == 2, "two-dimensional", "MATLAB:expected2D")
    elif attr == "3d":
        need(len(shape) <= 3, "three-dimensional", "MATLAB:expected3D")
    elif attr == "column":
        need(len(shape) == 2 and shape[1] == 1, "a column vector", "MATLAB:expectedColumn")
    elif attr == "row":
        need(len(shape) == 2 and shape[0] == 1, "a row vector", "MATLAB:expectedRow")
    elif attr == "scalar":
        need(n == 1, "a scalar", "MATLAB:expectedScalar")
    elif attr == "scalartext":
        need(isinstance(A, str), "a scalar text", "MATLAB:expectedScalartext")
    elif attr == "vector":
        need(len(shape) == 2 and (shape[0] == 1 or shape[1] == 1), "a vector", "MATLAB:expectedVector")
    elif attr == "square":
        need(len(shape) == 2 and shape[0] == shape[1], "a square matrix", "MATLAB:expectedSquare")
    elif attr == "nonempty":
        need(n > 0, "nonempty", "MATLAB:expectedNonempty")
    elif attr in ("nonsparse", "real"):
        need(True, attr, "")
    elif attr == "diag":
        need(x is not None and x.ndim == 2 and np.all(x == np.diag(np.diag(x))), "diagonal", "MATLAB:expectedDiag")
    elif x is None:
        raise fail(f"Expected {who} to be numeric for the attribute '{attr}'.", "MATLAB:invalidType")
    elif attr == "binary":
        need(bool(np.all((x == 0) | (x == 1))), "binary", "MATLAB:expectedBinary")
    elif attr == "even":
        need(bool(np.all(np.mod(x, 2) == 0)), "even", "MATLAB:expectedEven")
    elif attr == "odd":
        need(bool(np.all(np.mod(x, 2) == 1)), "odd", "MATLAB:expectedOdd")
    elif attr == "integer":
        need(bool(np.all(np.isfinite(x) & (x == np.floor(x)))), "integer-valued", "MATLAB:expectedInteger")
    elif attr == "finite":
        need(bool(np.all(np.isfinite(x))), "finite", "MATLAB:expectedFinite")
    elif attr == "nonnan":
        need(not bool(np.any(np.isnan(x))), "non-NaN", "MATLAB:expectedNonNaN")
    elif attr == "nonnegative":
        need(bool(np.all(x >= 0)), "nonnegative", "MATLAB:expectedNonnegative")
    elif attr == "nonzero":
        need(bool(np.all(x != 0)), "nonzero", "MATLAB:expectedNonZero")
    elif attr == "positive":
        need(bool(np.all(x > 0)), "positive", "MATLAB:expectedPositive")
    elif attr in ("increasing", "decreasing", "nondecreasing", "nonincreasing"):
        d = np.diff(x.reshape(-1, order="F"))
        ok = {"increasing": d > 0, "decreasing": d < 0, "nondecreasing": d >= 0, "nonincreasing": d <= 0}[attr]
        need(bool(np.all(ok)) and not np.any(np.isnan(x)), attr,
             "MATLAB:expected" + attr.capitalize())
    elif attr in (">", ">=", "<", "<="):
        limit = float(numeric(value).flat[0])
        ok = {">": x > limit, ">=": x >= limit, "<": x < limit, "<=": x <= limit}[attr]
        ident = {">": "MATLAB:notGreater", ">=": "MATLAB:notGreaterEqual", "<": "MATLAB:notLess",
                 "<=": "MATLAB:notLessEqual"}[attr]
        shown = f"{limit:g}"
        need(bool(np.all(ok)), f"an array with all of the values {attr} {shown}", ident)
    elif attr == "numel":
        k = int(numeric(value).flat[0])
        need(n == k, f"an array with number of elements equal to {k}", "MATLAB:incorrectNumel")
    elif attr == "ncols":
        k = int(numeric(value).flat[0])
        need(len(shape) >= 2 and shape[1] == k, f"an array with {k} columns", "MATLAB:incorrectNumcols")
    elif attr == "nrows":
        k = int(numeric(value).flat[0])
        need(shape[0] == k, f"an array with {k} rows", "MATLAB:incorrectNumrows")
    elif attr == "ndims":
        k = int(numeric(value).flat[0])
        need(len(shape) == k, f"an array with {k} dimensions", "MATLAB:incorrectNumdims")
    elif attr == "size":
        want = numeric(value).reshape(-1)
        got = list(shape) + [1] * max(0, want.size - len(shape))
        ok = len(got) == want.size and all(np.isnan(w) or g == w for g, w in zip(got, want))
        if not ok:
            shown = "x".join("N" if np.isnan(w) else str(int(w)) for w in want)
            raise fail(f"Expected {who} to be of size {shown}, but it is of size {size_text(shape)}.",
                       "MATLAB:incorrectSize")
    else:
        raise fail(f"Unknown attribute '{attr}'.", "MATLAB:validateattributes:badAttribute")
