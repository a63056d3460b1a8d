"""MATLAB's value semantics, implemented once: indexing (linear column-major, ``end``, logical masks,
growth, deletion), operators (``*`` vs ``.*``, implicit expansion, comparisons), transpose, ranges,
concatenation ``[...]``/``{...}``, truth values and ``for``-loop columns.

Plain functions over MATLAB values (:mod:`layergraph.matlab.values`). The interpreter (``run``, the
porter) and translated programs (:mod:`layergraph.matlab.lang`) both call them, so the two cannot
disagree. Errors are :class:`~layergraph.errors.MatlabRuntimeError` with MATLAB's identifier and no
location: the interpreter adds ``file:line:col``.

``limit`` (where a function takes it) is the interpreter's element budget per array (None: no limit).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import LayerGraphError, MatlabRuntimeError
from ..functions import OPERATOR_FUNCTIONS, OVERLOAD_TYPES, overload_for
from ..graph import LayerGraph
from ..layers.base import Layer
from ..values import Categorical, Table
from ..values.subscripts import value_positions as _value_positions, whole_positions as _whole_positions
from ..values.categorical import matlab_compare
from . import structs as _structs
from .values import Cell, CsList, FuncHandle, LayerArr, MString, Opaque, StrArr, Struct, StructArr, merge_opaque, num

COLON = object()  # a bare ':' index
DEFAULT_MAX_ELEMENTS = 100_000_000   # elements per array the porter allocates (ones, zeros, rand, repmat, ...)


# ---- small helpers ---------------------------------------------------------------------------------


def fail(message: str, identifier: str = "") -> MatlabRuntimeError:
    return MatlabRuntimeError(message, identifier)


def is_empty(v) -> bool:
    if isinstance(v, np.ndarray):
        return v.size == 0
    if isinstance(v, MString):
        return False
    if isinstance(v, str):
        return len(v) == 0
    if isinstance(v, (Cell, LayerArr, StrArr)):
        return v.a.size == 0
    return False


def matlab_num_str(x: float) -> str:
    """num2str / string() of a real scalar."""
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    digits = max(5, int(np.floor(np.log10(abs(x)))) + 5) if x != 0 else 5
    return f"{x:.{min(digits, 16)}g}"


def pad(a: np.ndarray, nd: int) -> np.ndarray:
    if a.ndim < nd:
        return a.reshape(a.shape + (1,) * (nd - a.ndim))
    return a


def squeeze_trailing(a: np.ndarray) -> np.ndarray:
    while a.ndim > 2 and a.shape[-1] == 1:
        a = a.reshape(a.shape[:-1])
    return a


def size_text(a: np.ndarray) -> str:
    return "x".join(str(d) for d in a.shape)


def range_count(a: float, step: float, b: float) -> float:
    """Number of elements of ``a:step:b`` (a float: may be huge or infinite, checked before allocating)."""
    if step == 0 or (step > 0 and a > b) or (step < 0 and a < b) or np.isnan(step) or np.isnan(a) or np.isnan(b):
        return 0
    n = (b - a) / step
    if not np.isfinite(n):
        return float("inf")
    return float(np.floor(n + 1e-10)) + 1


def make_range(a: float, step: float, b: float) -> np.ndarray:
    n = range_count(a, step, b)
    if n == 0:
        return np.zeros((1, 0))
    return (a + step * np.arange(int(n), dtype=np.float64)).reshape(1, -1)


def colon(a, b, c=None, limit=None):
    """``a:b`` / ``a:step:b`` (``colon(a, step, b)`` with three arguments) over MATLAB values."""
    parts = [a, b] if c is None else [a, b, c]
    for p in parts:
        if isinstance(p, Opaque):
            return merge_opaque(parts)
    vals = [scalar(p, "a range bound") for p in parts]
    if len(vals) == 2:
        lo, step, hi = vals[0], 1.0, vals[1]
    else:
        lo, step, hi = vals
    check_elements(range_count(lo, step, hi), "the range", limit)
    special = next((p.dtype for p in parts if isinstance(p, np.ndarray) and p.dtype.kind in "iu"), None)
    if special is not None:           # uint8(1):uint8(5) is uint8
        return _numeric_types.to_integer(make_range(lo, step, hi), special)
    if any(isinstance(p, np.ndarray) and p.dtype == np.float32 for p in parts):
        return make_range(lo, step, hi).astype(np.float32)
    return make_range(lo, step, hi)


def end_value(base, k: int, n: int) -> np.ndarray:
    """The value of ``end`` in position ``k`` of ``n`` subscripts of ``base``."""
    if base is None:
        return num(0)
    shape = shape_of(base)
    if n == 1:
        return num(int(np.prod(shape)))
    if k < n - 1:
        return num(shape[k] if k < len(shape) else 1)
    return num(int(np.prod(shape[k:])) if k < len(shape) else 1)


def type_name(v) -> str:
    if isinstance(v, np.ndarray):
        return "logical" if v.dtype == bool else "numeric"
    if isinstance(v, MString):
        return "string"
    if isinstance(v, str):
        return "char"
    if isinstance(v, Cell):
        return "cell"
    if isinstance(v, LayerArr):
        return "layer array"
    if isinstance(v, StrArr):
        return "string array"
    if isinstance(v, Struct):
        return "struct"
    if isinstance(v, FuncHandle):
        return "function handle"
    if isinstance(v, Layer):
        return "layer"
    if isinstance(v, LayerGraph):
        return "LayerGraph"
    if isinstance(v, Opaque):
        return "opaque"
    if v is None:
        return "undefined"
    return type(v).__name__


def switch_matches(value, case_value) -> bool:
    options = case_value.items() if isinstance(case_value, Cell) else [case_value]
    return any(switch_match(value, o) for o in options)


def brace_get(base, idx):
    """``base{idx}``: the element (one) or a comma-separated list (several)."""
    if not isinstance(base, Cell):
        raise fail(f"brace indexing is only for cell arrays, not {type_name(base)}", "MATLAB:cellRefFromNonCell")
    items = index_get(base, idx).items()
    return items[0] if len(items) == 1 else CsList(items)


def brace_set(base, idx, value, limit=None):
    """A new cell array: base with base{idx} = value."""
    if base is None or (isinstance(base, np.ndarray) and base.size == 0):
        base = Cell(np.empty((0, 0), dtype=object))
    if not isinstance(base, Cell):
        raise fail(f"brace indexing is only for cell arrays, not {type_name(base)}", "MATLAB:cellAssToNonCell")
    return index_set(base, idx, Cell.row([value]), limit)


def _pow(x, y):
    r = x ** y
    if isinstance(r, complex):
        raise ValueError
    return r


def negate(v, op="-"):
    """Unary ``-v`` / ``+v`` (logical becomes double, as in MATLAB)."""
    if isinstance(v, Opaque):
        return v
    if (type(v) in OVERLOAD_TYPES) and (impl := overload_for(OPERATOR_FUNCTIONS["unary" + op], [v])) is not None:
        return apply_overload(impl, [v])
    x = numeric(v)
    if x.dtype == bool:
        x = x.astype(np.float64)          # -true and +true are double in MATLAB
    if op == "-" and x.dtype.kind in "iu":
        return _numeric_types.negate(x)   # saturating: -int8(-128) is 127
    return -x if op == "-" else x


def logical_not(v):
    """``~v``."""
    if isinstance(v, Opaque):
        return v
    return numeric(v) == 0


def cell_rows(rows):
    """``{r1; r2; ...}`` where each row is a list of values (empty rows already dropped)."""
    if not rows:
        return Cell(np.empty((0, 0), dtype=object))
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise fail("dimensions of arrays being concatenated are not consistent (cell rows)",
                   "MATLAB:catenate:dimensionMismatch")
    arr = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        for j, x in enumerate(r):
            arr[i, j] = x
    return Cell(arr)


def shape_of(v) -> tuple:
    if isinstance(v, np.ndarray):
        return v.shape
    if type(v) in OVERLOAD_TYPES and overload_for("size", (v,)) is not None:
        return tuple(int(d) for d in np.asarray(overload_for("size", (v,))(v)).reshape(-1))
    if hasattr(type(v), "matlab_size"):
        return tuple(v.matlab_size())
    if isinstance(v, MString):
        return (1, 1)
    if isinstance(v, str):
        return (1, len(v)) if v else (0, 0)
    if isinstance(v, (Cell, LayerArr, StrArr, StructArr)):
        return v.a.shape
    if isinstance(v, (Categorical, Table)):
        return tuple(v.shape)
    if isinstance(v, LayerGraph):
        return (1, 1)
    if isinstance(v, Layer) or isinstance(v, Struct) or isinstance(v, FuncHandle):
        return (1, 1)
    return (1, 1)

FAST_BINARY = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, ".*": lambda x, y: x * y,
    "/": lambda x, y: x / y, "./": lambda x, y: x / y, "^": _pow, ".^": _pow,
}
FAST_COMPARE = {
    "==": lambda x, y: x == y, "~=": lambda x, y: x != y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
}

# the names the moved code uses
_FAST_BINARY, _FAST_COMPARE = FAST_BINARY, FAST_COMPARE
_pad, _size, _squeeze_trailing, _is_empty = pad, size_text, squeeze_trailing, is_empty


def _raise(message: str, identifier: str = ""):
    raise fail(message, identifier)


def to_m(v):
    from .access import to_matlab

    return to_matlab(v)


def _to_py(v):
    """A MATLAB value as the Python API takes it (the interpreter's conversion, for overloaded assignment)."""
    from .lang import to_py

    return to_py(v)


class _NumericTypes:
    """numeric_types (integer classes and single), imported when first used (it imports the interpreter)."""

    def __getattr__(self, name):
        from . import numeric_types

        return getattr(numeric_types, name)


_numeric_types = _NumericTypes()


class _StructsShim:
    """What layergraph.matlab.structs asks of its caller, answered by these functions."""

    def _take(self, arr, idx, where):
        return take(arr, idx)

    def _put(self, arr, idx, vals, where, deleting, fill=None):
        return put(arr, idx, vals, deleting, fill)

    def error(self, where, message, identifier=""):
        return fail(message, identifier)


_SHIM = _StructsShim()


# ---- moved from the Interpreter: indexing, operators, concatenation -----------------------------------


def check_elements(count, what: str, limit=None) -> bool:
    if limit is None:
        return False
    """Refuse to allocate an array of more than ``max_elements`` elements (``count``: a number or a shape)."""
    if isinstance(count, (tuple, list)):
        dims = [float(d) for d in count]
        total = float(np.prod(dims)) if dims else 1.0
        shown = "×".join(matlab_num_str(d) for d in dims)
    else:
        total = float(count)
        shown = None
    if total <= limit:
        return False
    size = f"{matlab_num_str(total)} elements" + (f" ({shown})" if shown else "")
    raise fail(f"{what}: the array would have {size}; the porter allocates at most "
                           f"{matlab_num_str(limit)} elements per array (raise the limit with "
                           "max_elements=... or --max-elements N)")


def truthy(v) -> bool:
    if type(v) is np.ndarray and v.size == 1:
        return bool(v.flat[0] != 0)
    if isinstance(v, np.ndarray):
        if v.size == 0:
            return False
        return bool(np.all(v != 0))
    if isinstance(v, str):
        return len(v) > 0 and all(ord(c) != 0 for c in v)
    if isinstance(v, (bool, int, float)):
        return bool(v)
    raise fail(f"cannot use a {type_name(v)} value as a condition")


def iter_columns(value):
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return
        if value.ndim == 2 and value.shape[0] == 1:
            dt = value.dtype
            for x in value[0]:
                yield np.array([[x]], dtype=dt)
            return
        a = value.reshape(value.shape[0], -1, order="F")
        for j in range(a.shape[1]):
            yield a[:, j:j + 1].copy()
    elif isinstance(value, str):
        for ch in value:
            yield ch
    elif isinstance(value, StructArr):
        a = value.a.reshape(value.a.shape[0], -1, order="F")
        for j in range(a.shape[1]):
            yield _structs.make(a[:, j:j + 1].copy(), value.fields)
    elif isinstance(value, (Cell, LayerArr, StrArr)):
        a = value.a
        for j in range(a.shape[1]):
            yield type(value)(a[:, j:j + 1].copy())
    elif isinstance(value, Struct):
        yield value
    else:
        raise fail(f"cannot loop over a {type_name(value)} value")


def switch_match(value, option) -> bool:
    if isinstance(value, str) and isinstance(option, str):
        return str(value) == str(option)
    if isinstance(value, np.ndarray) and isinstance(option, np.ndarray):
        return value.size == 1 and option.size == 1 and float(value.flat[0]) == float(option.flat[0])
    return False


def index_positions(idx, shape, allow_grow=False, colon=None):
    """Per-index integer position arrays (0-based) for shape; k indices (k>=1).

    ``colon``: what a ``:`` subscript (:data:`COLON`) gives (None: every position, ``np.arange``)."""
    n = len(idx)
    if n == 1:
        dims = [math.prod(shape)]
    else:
        dims = list(shape[: n - 1]) + [math.prod(shape[n - 1:]) if len(shape) >= n else 1]
        while len(dims) < n:
            dims.append(1)
    out = []
    for i, d in zip(idx, dims):
        if i is COLON:
            out.append(np.arange(d) if colon is None else colon)
            continue
        if type(i) is np.ndarray and i.dtype.kind in "iuf":        # numeric subscripts (the common case)
            pos, top = _value_positions(i, d)
            if pos is None:
                flat = i.reshape(-1, order="F")
                bad = flat[~np.isfinite(flat) | (flat < 1) | (flat != np.floor(flat))][0]
                raise fail(f"array indices must be positive integers (got {matlab_num_str(bad)})")
            if not allow_grow and top > d:
                raise fail(f"index exceeds the number of array elements: index {top}, but the dimension has {d}")
            out.append(pos)
            continue
        if isinstance(i, str) and not isinstance(i, MString) and i == ":":
            out.append(np.arange(d))
            continue
        if not isinstance(i, np.ndarray):
            raise fail(f"invalid index of type {type_name(i)}")
        if i.dtype == bool:
            flat = i.reshape(-1, order="F")
            if flat.size > d and np.any(flat[d:]):
                raise fail(f"index out of bounds: logical index has {flat.size} elements, "
                                        f"the array {d}")
            out.append(np.nonzero(flat)[0])
            continue
        flat = i.reshape(-1, order="F")
        pos, top = _whole_positions(flat)
        if pos is None:
            bad = flat[~np.isfinite(flat) | (flat < 1) | (flat != np.floor(flat))][0]
            raise fail(f"array indices must be positive integers (got {matlab_num_str(bad)})")
        if not allow_grow and top > d:
            raise fail(f"index exceeds the number of array elements: index "
                                    f"{top}, but the dimension has {d}")
        out.append(pos)
    return out, dims


def index_get(base, idx, allow_grow=False):
    if type(base) is np.ndarray and np.ndarray not in OVERLOAD_TYPES:     # the common case first
        return take(base, idx)
    if isinstance(base, Opaque):
        return base
    if type(base) in OVERLOAD_TYPES and (impl := overload_for("parenReference", [base])) is not None:
        return apply_overload(impl, [base] + [":" if i is COLON else i for i in idx])
    if base is None:
        raise fail("indexing an undefined value")
    if hasattr(type(base), "paren_get"):   # handle objects indexed by key (containers.Map)
        return base.paren_get([":" if i is COLON else i for i in idx])
    if isinstance(base, Layer):
        base = LayerArr.row([base])
    if isinstance(base, (bool, int, float)):
        base = num(float(base))
    if isinstance(base, (Struct, StructArr)):
        return _structs.index_get(_SHIM, base, idx, None)
    if isinstance(base, Categorical):       # YPred(1:5): the codes indexed as a numeric array
        return base._new(take(base.codes, idx))
    if isinstance(base, str):
        arr = np.array([list(base)], dtype=object) if base else np.empty((0, 0), dtype=object)
        res = take(arr, idx)
        return "".join(res.reshape(-1, order="F").tolist())
    if isinstance(base, np.ndarray):
        return take(base, idx)
    if isinstance(base, (Cell, LayerArr, StrArr)):
        res = take(base.a, idx)
        if isinstance(base, StrArr) and res.size == 1:
            return MString(res.flat[0])
        return type(base)(res if res.ndim == 2 else res.reshape(res.shape[0], -1, order="F"))
    if isinstance(base, LayerGraph):
        raise fail("a LayerGraph cannot be indexed; use lgraph.Layers(i)")
    raise fail(f"a {type_name(base)} value cannot be indexed")


def take(arr: np.ndarray, idx):
    shape = arr.shape
    if not idx:
        return arr
    if len(idx) == arr.ndim > 1:                # A(:, :, :, idx): one numeric subscript, colons elsewhere
        res = take_along_one(arr, idx)
        if res is not None:
            return res
    pos, dims = index_positions(idx, shape, colon=slice(None))
    if len(idx) == 1:
        i0 = idx[0]
        if i0 is COLON:                       # A(:): one column-major copy
            return arr.flatten(order="F").reshape(-1, 1)
        flat = arr.reshape(-1, order="F")
        res = flat[pos[0]]
        is_vec_idx = isinstance(i0, np.ndarray) and (i0.ndim == 2 and min(i0.shape) <= 1)
        if arr.ndim == 2 and shape[0] == 1 and is_vec_idx:
            return res.reshape(1, -1)
        if arr.ndim == 2 and shape[1] == 1 and is_vec_idx:
            return res.reshape(-1, 1)
        if isinstance(i0, np.ndarray):
            if i0.dtype == bool:
                return res.reshape(-1, 1) if not (arr.ndim == 2 and shape[0] == 1) else res.reshape(1, -1)
            return res.reshape(i0.shape, order="F")
        return res.reshape(1, -1)
    a = arr if len(dims) == arr.ndim and tuple(dims) == shape else arr.reshape(dims, order="F")
    picked = [k for k, p in enumerate(pos) if type(p) is not slice]
    if not picked:                            # A(:, :): a copy
        res = a.copy()
    elif len(picked) == 1:                    # A(:, :, :, idx): positions along one dimension (a new array)
        res = a[tuple(pos)]
    else:
        res = a[np.ix_(*[np.arange(d) if type(p) is slice else p for p, d in zip(pos, dims)])]
    return _squeeze_trailing(res) if res.ndim > 2 else res


def take_along_one(arr: np.ndarray, idx):
    """``A(:, ..., v, ..., :)`` with as many subscripts as ``A`` has dimensions, all ``:`` but one numeric
    array of valid subscripts: the positions along that one dimension (the mini-batch of a training loop).
    None for anything else, and for invalid subscripts (the general path gives MATLAB's error)."""
    where = -1
    for k, i in enumerate(idx):
        if i is not COLON:
            if where >= 0 or type(i) is not np.ndarray:
                return None
            where = k
    sub = idx[where] if where >= 0 else None
    if sub is None or sub.dtype.kind not in "iuf":
        return None
    pos, top = _value_positions(sub, arr.shape[where])
    if pos is None or top > arr.shape[where]:
        return None
    key = [slice(None)] * arr.ndim
    key[where] = pos
    res = arr[tuple(key)]
    return _squeeze_trailing(res) if res.ndim > 2 and res.shape[-1] == 1 else res


def index_set(base, idx, value, limit=None):
    """A new array: base with base(idx) = value (growing as MATLAB does; value [] deletes)."""
    deleting = isinstance(value, np.ndarray) and value.size == 0 and value.ndim == 2 and value.shape == (0, 0)
    if (type(base) in OVERLOAD_TYPES or (type(value) in OVERLOAD_TYPES and isinstance(base, np.ndarray))) and \
            (impl := overload_for("parenAssign", [base, value])) is not None:
        return apply_overload(impl, [base, value] + [":" if i is COLON else i for i in idx])
    if hasattr(type(base), "paren_set"):   # handle objects assigned by key (containers.Map)
        return base.paren_set([":" if i is COLON else i for i in idx], value)
    if isinstance(value, (Struct, StructArr)) and (base is None or isinstance(base, (Struct, StructArr)) or (
            isinstance(base, np.ndarray) and base.size == 0)):
        return _structs.index_set(_SHIM, base, idx, value, None)     # s(2) = t, s(3).f = v
    if isinstance(base, Layer):
        base = LayerArr.row([base])
    if base is None:
        if deleting:
            raise fail("cannot delete elements of an undefined variable")
        if isinstance(value, LayerArr):
            base = LayerArr(np.empty((0, 0), dtype=object))
        elif isinstance(value, Cell):
            base = Cell(np.empty((0, 0), dtype=object))
        elif isinstance(value, (MString, StrArr)):
            base = StrArr(np.empty((0, 0), dtype=object))
        elif isinstance(value, str):
            base = ""
        else:
            base = np.zeros((0, 0))
    if isinstance(base, np.ndarray) and base.size == 0 and isinstance(value, (LayerArr, Cell, StrArr)):
        base = type(value)(np.empty((0, 0), dtype=object))
    if isinstance(base, str) and not isinstance(base, MString):
        arr = np.array([list(base)], dtype=object) if base else np.empty((0, 0), dtype=object)
        if isinstance(value, str):
            vals = np.array([list(value)], dtype=object) if value else np.empty((0, 0), dtype=object)
        elif isinstance(value, np.ndarray):
            vals = np.vectorize(lambda x: chr(int(x)), otypes=[object])(value) if value.size else value
        else:
            raise fail(f"cannot store a {type_name(value)} in a char array")
        res = put(arr, idx, vals, deleting, fill=" ", limit=limit)
        return "".join(res.reshape(-1, order="F").tolist())
    if isinstance(base, np.ndarray):
        if deleting:
            return put(base, idx, value, True, fill=0, limit=limit)
        if isinstance(value, Opaque):
            return value
        vals = numeric(value)
        if base.dtype.kind in "iu" and vals.dtype != base.dtype:
            vals = _numeric_types.to_integer(vals, base.dtype)    # x(2) = 3.7 in an int8 array: 4
        elif base.dtype == np.float32 and vals.dtype != np.float32 and vals.dtype != bool:
            vals = vals.astype(np.float32)
        if base.dtype == bool and vals.dtype != bool:
            base = base.astype(np.float64)
        elif base.dtype != bool and vals.dtype == bool:
            vals = vals.astype(np.float64)
        return put(base, idx, vals, False, fill=0, limit=limit)
    if isinstance(base, (Cell, LayerArr, StrArr)):
        if deleting:
            return type(base)(put(base.a, idx, None, True, fill=None, limit=limit))
        if isinstance(base, LayerArr):
            if isinstance(value, Layer):
                value = LayerArr.row([value])
            if not isinstance(value, LayerArr):
                raise fail(f"cannot store a {type_name(value)} in a layer array")
        elif isinstance(base, Cell):
            if not isinstance(value, Cell):
                raise fail("use braces c{i} = value to store a value in a cell array, "
                                        "or assign a cell")
        elif isinstance(base, StrArr):
            if isinstance(value, str):
                value = StrArr.row([MString(value)])
            if not isinstance(value, StrArr):
                raise fail(f"cannot store a {type_name(value)} in a string array")
        if len(idx) == 1 and isinstance(idx[0], np.ndarray) and idx[0].size == 1 and value.a.size == 1 \
                and float(idx[0].flat[0]) == base.a.size + 1 and base.a.ndim == 2:
            # x(end+1) = v: amortised append (a column stays a column, anything else becomes a row)
            column = base.a.shape[1] == 1 and base.a.shape[0] > 1
            fast = base.appended(value.a.flat[0], column)
            if fast is not None:
                return fast
        fill = MString("") if isinstance(base, StrArr) else (
            np.zeros((0, 0)) if isinstance(base, Cell) else None)
        res = put(base.a, idx, value.a, False, fill=fill, limit=limit)
        if isinstance(base, LayerArr) and res.size != base.a.size and has_gap(base.a, res):
            raise fail("assigning past the end of a layer array leaves a gap; "
                                    "use layers(end+1) = ...")
        return type(base)(res)
    if isinstance(base, (Struct, StructArr)):
        return _structs.index_set(_SHIM, base, idx, value, None)
    if isinstance(base, Categorical):       # YPred(3) = 'cat', YPred(2) = [] (MATLAB: categories kept)
        if deleting:
            return base._new(put(base.codes, idx, None, True, fill=-1, limit=limit))
        try:
            codes = np.asarray(base._codes_of(_to_py(value)), dtype=np.int64)
        except LayerGraphError as exc:
            raise fail(str(exc)) from None
        codes = codes.reshape(1, -1) if codes.ndim < 2 else codes
        return base._new(put(base.codes, idx, codes, False, fill=-1, limit=limit))
    raise fail(f"a {type_name(base)} value cannot be indexed for assignment")


def has_gap(old: np.ndarray, new: np.ndarray) -> bool:
    """True if growing a layer array left unassigned (None) elements; checks only what is new."""
    flat = new.reshape(-1, order="F")
    if old.size == 0 or (old.ndim == 2 and new.ndim == 2 and (old.shape[0] == new.shape[0] == 1
                                                              or old.shape[1] == new.shape[1] == 1)):
        flat = flat[old.size:]
    return any(x is None for x in flat)


def put(arr: np.ndarray, idx, vals, deleting: bool, fill, limit=None):
    shape = arr.shape
    if deleting:
        if len(idx) == 1:
            pos, _ = index_positions(idx, shape)
            flat = arr.reshape(-1, order="F")
            keep = np.ones(flat.size, dtype=bool)
            keep[pos[0]] = False
            res = flat[keep]
            if arr.ndim == 2 and shape[1] == 1:
                return res.reshape(-1, 1)
            return res.reshape(1, -1)
        colons = [i is COLON for i in idx]
        if sum(not c for c in colons) != 1:
            raise fail("a null assignment can have only one non-colon index")
        k = colons.index(False)
        pos, dims = index_positions(idx, shape)
        a = arr.reshape(dims, order="F")
        return np.delete(a, pos[k], axis=k)
    if len(idx) == 1 and isinstance(idx[0], np.ndarray) and idx[0].dtype == bool and idx[0].shape == shape \
            and vals.size == 1 and arr.dtype != object and vals.dtype == arr.dtype:
        res = arr.copy(order="K")              # A(mask) = scalar with a mask of A's size: one copy
        res[idx[0]] = vals.reshape(-1)[0]
        return res
    pos, dims = index_positions(idx, shape, allow_grow=True)
    nsel = int(np.prod([len(p) for p in pos]))
    v = vals
    if v.size != 1 and v.size != nsel:
        raise fail(f"unable to perform assignment: the left side has {nsel} elements "
                                f"and the right side {v.size}")
    if len(idx) == 1:
        p = pos[0]
        total = int(np.prod(shape))
        need = int(p.max()) + 1 if p.size else 0
        check_elements(need, limit=limit, what="the indexed assignment")
        flat = arr.reshape(-1, order="F")
        if need > total:
            if arr.ndim == 2 and (shape[0] <= 1 or total == 0) and not (shape[1] == 1 and shape[0] > 1):
                new_shape = (1, need)
            elif arr.ndim == 2 and shape[1] == 1:
                new_shape = (need, 1)
            else:
                raise fail("cannot grow a matrix with a linear index")
            if arr.dtype == object:
                grown = np.empty(need, dtype=object)
                grown[:total] = flat
                for j in range(total, need):      # only the new elements: appending stays linear
                    grown[j] = fill
            else:
                grown = np.empty(need, dtype=arr.dtype)
                grown[total:] = fill if fill is not None else 0
                grown[:total] = flat
            flat = grown
            out_shape = new_shape
        else:
            flat = flat.copy()
            out_shape = shape
        src = v.reshape(-1, order="F")
        if src.size == 1:
            if flat.dtype == object:
                for j in p:
                    flat[j] = src[0]
            else:
                flat[p] = src[0]
        else:
            flat[p] = src
        return flat.reshape(out_shape, order="F")
    need = [max(d, int(pp.max()) + 1 if pp.size else 0) for d, pp in zip(dims, pos)]
    check_elements(need, limit=limit, what="the indexed assignment")
    if len(idx) < len(shape) and need[-1] > dims[-1]:
        raise fail("cannot grow an N-D array through a merged trailing index")
    a = arr.reshape(dims, order="F")
    if need != list(dims):
        if arr.dtype == object:
            grown = np.empty(need, dtype=object)
            grown.fill(fill)
        else:
            grown = np.zeros(need, dtype=arr.dtype)
        grown[tuple(slice(0, d) for d in dims)] = a
        a = grown
    else:
        a = a.copy()
    sel = np.ix_(*pos)
    if v.size == 1:
        if a.dtype == object:
            a[sel] = np.full([len(pp) for pp in pos], None, dtype=object)
            sub = a[sel]
            for j in np.ndindex(sub.shape):
                sub[j] = v.flat[0]
            a[sel] = sub
        else:
            a[sel] = v.flat[0]
    else:
        a[sel] = v.reshape([len(pp) for pp in pos], order="F")
    if len(idx) >= len(shape) or list(a.shape) != list(dims):
        return _squeeze_trailing(a) if a.ndim > 2 else a
    return a.reshape(shape, order="F")


def numeric(v) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, MString):
        raise fail("a string cannot be used as a number here (use str2double)")
    if isinstance(v, str):
        return np.array([[float(ord(c)) for c in v]]) if v else np.zeros((0, 0))
    if isinstance(v, (bool, np.bool_)):
        return np.array([[bool(v)]])
    if isinstance(v, (int, float)):
        return num(v)
    if isinstance(v, torch.Tensor):
        return to_m(v)
    raise fail(f"a {type_name(v)} value cannot be used as a number here")


def scalar(v, what="a scalar") -> float:
    a = numeric(v)
    if a.size != 1:
        raise fail(f"expected {what}, got an array of size {'x'.join(map(str, a.shape))}")
    return float(a.flat[0])


def binary(op, a, b, limit=None):
    if type(a) is np.ndarray and type(b) is np.ndarray and a.shape == (1, 1) and b.shape == (1, 1) \
            and a.dtype == np.float64 and b.dtype == np.float64:
        fast = _FAST_BINARY.get(op)
        if fast is not None:
            try:
                return np.array([[fast(float(a[0, 0]), float(b[0, 0]))]])
            except (ZeroDivisionError, OverflowError, TypeError, ValueError):
                pass
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return merge_opaque([a, b])
    if isinstance(a, CsList):
        a = a[0]
    if isinstance(b, CsList):
        b = b[0]
    if (type(a) in OVERLOAD_TYPES or type(b) in OVERLOAD_TYPES) and \
            (impl := overload_for(OPERATOR_FUNCTIONS[op], [a, b])) is not None:
        return apply_overload(impl, [a, b])
    if op == "+" and (isinstance(a, (MString, StrArr)) or isinstance(b, (MString, StrArr))):
        return string_plus(a, b)
    x = numeric(a)
    y = numeric(b)
    if (x.dtype.kind in "iu" or x.dtype == np.float32 or y.dtype.kind in "iu" or y.dtype == np.float32) \
            and op not in ("&", "|"):
        # integer classes and single (numeric_types.py): computed in double, then rounded/saturated
        try:
            return _numeric_types.binary(op, x, y, lambda o, xd, yd: binary(o, xd, yd, limit))
        except _numeric_types.MixedIntegerClasses as exc:
            raise fail(str(exc), "MATLAB:mixedClasses") from None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if op in ("*", "/", "\\", "^") and x.size != 1 and y.size != 1:
            if op == "*":
                if x.ndim > 2 or y.ndim > 2 or x.shape[1] != y.shape[0]:
                    raise fail(f"incorrect dimensions for matrix multiplication "
                                           f"({_size(x)} * {_size(y)})")
                check_elements([x.shape[0], y.shape[1]], limit=limit, what="'*'")
                return x.astype(np.float64, copy=False) @ y.astype(np.float64, copy=False)
            if op == "/":
                return np.linalg.lstsq(y.T.astype(float), x.T.astype(float), rcond=None)[0].T
            if op == "\\":
                return np.linalg.lstsq(x.astype(float), y.astype(float), rcond=None)[0]
            raise fail("matrix power needs a square matrix and a scalar")
        if op == "^" and x.size != 1:
            if x.ndim != 2 or x.shape[0] != x.shape[1] or float(y.flat[0]) != int(y.flat[0]):
                raise fail("matrix power needs a square matrix and an integer exponent (use .^)")
            return np.linalg.matrix_power(x.astype(float), int(y.flat[0]))
        if op == "\\":
            op = "/"
            x, y = y, x
        nd = max(x.ndim, y.ndim)
        xx, yy = _pad(x, nd), _pad(y, nd)
        for dx, dy in zip(xx.shape, yy.shape):
            if dx != dy and dx != 1 and dy != 1:
                raise fail(f"arrays have incompatible sizes for this operation "
                                       f"({_size(x)} and {_size(y)})")
        if x.size != 1 and y.size != 1 and x.shape != y.shape:
            check_elements([max(a, b) if min(a, b) else 0 for a, b in zip(xx.shape, yy.shape)], limit=limit,
                                what=f"'{op}'")
        xf = xx.astype(np.float64) if xx.dtype == bool else xx
        yf = yy.astype(np.float64) if yy.dtype == bool else yy
        if op == "+":
            return xf + yf
        if op == "-":
            return xf - yf
        if op in ("*", ".*"):
            return xf * yf
        if op in ("/", "./"):
            return xf / yf
        if op == ".\\":
            return yf / xf
        if op in ("^", ".^"):
            if yf.size == 1 and yf.dtype == np.float64 and xf.dtype == np.float64:
                return np.power(xf, float(yf.flat[0]))   # numpy's fast x.^2, x.^0.5
            return np.power(xf.astype(float, copy=False), yf)
        if op == "&":
            return (xx != 0) & (yy != 0)
        if op == "|":
            return (xx != 0) | (yy != 0)
    raise fail(f"unsupported operator '{op}'")


def apply_overload(impl, args: list):
    """Run an operator or indexing that an argument's class overloads (a dlarray's ``plus``, ``mtimes``,
    ``parenReference``, ...: MATLAB's dispatch rule, :func:`layergraph.functions.overload_for`)."""
    try:
        return impl(*args)
    except LayerGraphError as exc:
        raise fail(str(exc)) from None


def string_plus(a, b):
    def parts(v):
        if isinstance(v, StrArr):
            return v.items(), v.a.shape
        if isinstance(v, str):
            return [str(v)], (1, 1)
        if isinstance(v, np.ndarray):
            return [matlab_num_str(x) for x in v.reshape(-1, order="F")], v.shape
        if isinstance(v, Cell):
            return [str(x) for x in v.items()], v.a.shape
        raise fail(f"cannot add a {type_name(v)} to a string")

    pa, sa = parts(a)
    pb, sb = parts(b)
    if len(pa) == 1:
        res, shape = [pa[0] + y for y in pb], sb
    elif len(pb) == 1:
        res, shape = [x + pb[0] for x in pa], sa
    elif len(pa) == len(pb):
        res, shape = [x + y for x, y in zip(pa, pb)], sa
    else:
        raise fail("string arrays have incompatible sizes")
    if len(res) == 1:
        return MString(res[0])
    arr = np.empty(len(res), dtype=object)
    for i, s in enumerate(res):
        arr[i] = MString(s)
    return StrArr(arr.reshape(shape, order="F"))


def compare(op, a, b, limit=None):
    if type(a) is np.ndarray and type(b) is np.ndarray and a.shape == (1, 1) and b.shape == (1, 1) \
            and a.dtype == np.float64 and b.dtype == np.float64:
        fast = _FAST_COMPARE.get(op)
        if fast is not None:
            return np.array([[fast(float(a[0, 0]), float(b[0, 0]))]])
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return merge_opaque([a, b])
    if op == "!=":
        op = "~="
    if (type(a) in OVERLOAD_TYPES or type(b) in OVERLOAD_TYPES) and \
            (impl := overload_for(OPERATOR_FUNCTIONS[op], [a, b])) is not None:
        return apply_overload(impl, [a, b])
    if isinstance(a, (MString, StrArr)) or isinstance(b, (MString, StrArr)):
        la = a.items() if isinstance(a, StrArr) else [str(a)] if isinstance(a, str) else None
        lb = b.items() if isinstance(b, StrArr) else [str(b)] if isinstance(b, str) else None
        if la is None or lb is None:
            raise fail("cannot compare a string with a non-text value")
        if len(la) == 1:
            la = la * len(lb)
        if len(lb) == 1:
            lb = lb * len(la)
        fn = {"==": lambda x, y: x == y, "~=": lambda x, y: x != y, "<": lambda x, y: x < y,
              ">": lambda x, y: x > y, "<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y}[op]
        res = np.array([[fn(x, y) for x, y in zip(la, lb)]])
        return res
    if isinstance(a, Categorical) or isinstance(b, Categorical):
        try:
            return matlab_compare(a, b, op)
        except LayerGraphError as exc:
            raise fail(str(exc)) from None
    if isinstance(a, Layer) or isinstance(b, Layer) or isinstance(a, LayerGraph) or isinstance(b, LayerGraph):
        if op in ("==", "~="):
            eq = a == b
            return np.array([[eq if op == "==" else not eq]])
    x = numeric(a)
    y = numeric(b)
    nd = max(x.ndim, y.ndim)
    xx, yy = _pad(x, nd), _pad(y, nd)
    for dx, dy in zip(xx.shape, yy.shape):
        if dx != dy and dx != 1 and dy != 1:
            raise fail(f"arrays have incompatible sizes for comparison ({_size(x)} and {_size(y)})")
    if x.size != 1 and y.size != 1 and x.shape != y.shape:
        check_elements([max(a, b) if min(a, b) else 0 for a, b in zip(xx.shape, yy.shape)], limit=limit,
                            what=f"'{op}'")
    with np.errstate(invalid="ignore"):
        if op == "==":
            return xx == yy
        if op == "~=":
            return xx != yy
        if op == "<":
            return xx < yy
        if op == "<=":
            return xx <= yy
        if op == ">":
            return xx > yy
        if op == ">=":
            return xx >= yy
    raise fail(f"unsupported comparison '{op}'")


def transpose(v):
    if type(v) is np.ndarray and v.dtype.kind != "O" and np.ndarray not in OVERLOAD_TYPES:   # the common case
        if v.ndim > 2:
            raise fail("transpose is defined only for 2-D arrays")
        return v.T
    if isinstance(v, Opaque):
        return v
    if (type(v) in OVERLOAD_TYPES) and \
            (impl := overload_for("transpose", [v])) is not None:
        return apply_overload(impl, [v])
    if isinstance(v, np.ndarray):
        if v.ndim > 2:
            raise fail("transpose is defined only for 2-D arrays")
        return v.T if v.dtype != object else v.T.copy()    # values are never changed in place: a view
    if isinstance(v, (Cell, LayerArr, StrArr)):
        return type(v)(v.a.T.copy())
    if isinstance(v, MString):
        return v
    if isinstance(v, str):
        if len(v) <= 1:
            return v
        return _raise("a transposed char vector (char matrix) is not supported")
    if isinstance(v, (Layer, Struct)):
        return v
    raise fail(f"cannot transpose a {type_name(v)} value")


def concat_rows(rows, limit=None):
    flat = [x for r in rows for x in r]
    if not flat:
        return np.zeros((0, 0))
    opaque = [x for x in flat if isinstance(x, Opaque)]
    if opaque:
        return merge_opaque(opaque)
    if any(isinstance(x, (Layer, LayerArr)) for x in flat):
        return concat_layers(rows)
    if any(isinstance(x, (Struct, StructArr)) for x in flat) and not any(isinstance(x, Cell) for x in flat):
        return _structs.concat(_SHIM, rows, None)
    if any(isinstance(x, Cell) for x in flat):
        hrows = [hcat_obj([x if isinstance(x, Cell) else Cell.row([x]) for x in r if not _is_empty(x)
                       or isinstance(x, Cell)], Cell) for r in rows]
        return vcat_obj([h for h in hrows if h.a.size], Cell) if any(h.a.size for h in hrows) \
            else Cell(np.empty((0, 0), dtype=object))
    if any(isinstance(x, (MString, StrArr)) for x in flat):
        def as_str(x):
            if isinstance(x, StrArr):
                return x
            if isinstance(x, str):
                return StrArr.row([MString(x)])
            if isinstance(x, np.ndarray):
                return StrArr.row([MString(matlab_num_str(v)) for v in x.reshape(-1, order="F")])
            raise fail(f"cannot concatenate a {type_name(x)} with strings")
        hrows = [hcat_obj([as_str(x) for x in r], StrArr) for r in rows]
        return vcat_obj(hrows, StrArr)
    if any(isinstance(x, str) for x in flat):
        lines = []
        for r in rows:
            parts = []
            for x in r:
                if isinstance(x, str):
                    parts.append(x)
                elif isinstance(x, np.ndarray):
                    parts.append("".join(chr(int(c)) for c in x.reshape(-1, order="F")))
                else:
                    raise fail(f"cannot concatenate a {type_name(x)} with text")
            lines.append("".join(parts))
        lines = [ln for ln in lines if ln] or [""]
        if len(lines) == 1:
            return lines[0]
        if len({len(ln) for ln in lines}) != 1:
            raise fail("dimensions of arrays being concatenated are not consistent "
                                   "(char rows of different lengths)")
        return _raise("char matrices are not supported; use a cell array of char vectors")
    for x in flat:
        if not isinstance(x, np.ndarray):
            if isinstance(x, (bool, int, float)):
                continue
            raise fail(f"cannot concatenate a {type_name(x)} value into a numeric array")
    hrows = []
    for r in rows:
        parts = [numeric(x) for x in r]
        parts = [p for p in parts if not (p.ndim == 2 and p.shape == (0, 0))]
        if not parts:
            continue
        hrows.append(ncat(parts, 1, limit))
    if not hrows:
        return np.zeros((0, 0))
    return ncat(hrows, 0, limit)


def ncat(parts, axis, limit=None):
    if len(parts) == 1:
        return parts[0]
    check_elements(sum(p.size for p in parts), limit=limit, what="the concatenation")
    nd = max(max(p.ndim for p in parts), 2)
    parts = [_pad(p, nd) for p in parts]
    special = next((p.dtype for p in parts if p.dtype.kind in "iu"), None) or next(
        (p.dtype for p in parts if p.dtype == np.float32), None)
    if special is not None:
        # [int8(1) 2.7] is int8 (the leftmost integer class wins), [single(1) 2] is single
        parts = [p if p.dtype == special else (_numeric_types.to_integer(p, special) if special.kind in "iu"
                                               else p.astype(special)) for p in parts]
    elif any(p.dtype != bool for p in parts):
        parts = [p.astype(np.float64) if p.dtype == bool else p for p in parts]
    ref = list(parts[0].shape)
    for p in parts[1:]:
        s = list(p.shape)
        if [d for i, d in enumerate(s) if i != axis] != [d for i, d in enumerate(ref) if i != axis]:
            raise fail("dimensions of arrays being concatenated are not consistent "
                                   f"({_size(parts[0])} and {_size(p)})")
    return np.concatenate(parts, axis=axis)


def hcat_obj(parts, cls):
    parts = [p for p in parts if p.a.size]
    if not parts:
        return cls(np.empty((0, 0), dtype=object))
    if len(parts) == 1:
        return parts[0]
    h = {p.a.shape[0] for p in parts}
    if len(h) != 1:
        raise fail("dimensions of arrays being concatenated are not consistent")
    return cls(np.concatenate([p.a for p in parts], axis=1))


def vcat_obj(parts, cls):
    parts = [p for p in parts if p.a.size]
    if not parts:
        return cls(np.empty((0, 0), dtype=object))
    if len(parts) == 1:
        return parts[0]
    w = {p.a.shape[1] for p in parts}
    if len(w) != 1:
        raise fail("dimensions of arrays being concatenated are not consistent")
    return cls(np.concatenate([p.a for p in parts], axis=0))


def concat_layers(rows):
    if len(rows) == 1 and len(rows[0]) == 2 and isinstance(rows[0][0], LayerArr) and isinstance(rows[0][1], Layer):
        fast = rows[0][0].appended(rows[0][1], column=False)      # [layers, layer]
        if fast is not None:
            return fast
    if len(rows) == 2 and len(rows[0]) == 1 and len(rows[1]) == 1 and isinstance(rows[0][0], LayerArr) \
            and isinstance(rows[1][0], Layer) and rows[0][0].a.size:
        fast = rows[0][0].appended(rows[1][0], column=True)       # [layers; layer]
        if fast is not None:
            return fast
    hrows = []
    for r in rows:
        parts = []
        for x in r:
            if isinstance(x, Layer):
                parts.append(LayerArr.row([x]))
            elif isinstance(x, LayerArr):
                parts.append(x)
            elif _is_empty(x):
                continue
            else:
                raise fail(f"cannot concatenate a {type_name(x)} value with layers")
        if not parts:
            continue
        if len(parts) == 1:
            hrows.append(parts[0])
        elif all(p.a.shape[0] == 1 for p in parts):
            hrows.append(LayerArr(np.concatenate([p.a for p in parts], axis=1)))
        else:
            hrows.append(LayerArr.row([x for p in parts for x in p.items()]))
    if not hrows:
        return LayerArr(np.empty((0, 0), dtype=object))
    if len(hrows) == 1:
        return hrows[0]
    cols = []
    for h in hrows:
        if h.a.shape[1] == 1:
            cols.append(h.a)
        else:
            cols.append(LayerArr.column(h.items()).a)
    return LayerArr(np.concatenate(cols, axis=0))
