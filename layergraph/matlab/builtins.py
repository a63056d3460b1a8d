"""MATLAB builtins the porter evaluates (pure functions of their arguments; nothing touches files or data).

Each entry is ``fn(interp, args, nargout, node) -> list of outputs``. An opaque argument makes the result
opaque without calling the function.
"""

from __future__ import annotations

import re

import numpy as np

from ..graph import LayerGraph
from ..layers.base import Layer
from .access import check_field_name, matlab_class, property_names
from .values import Cell, CsList, FuncHandle, LayerArr, MString, Opaque, StrArr, Struct, merge_opaque, num

BUILTINS: dict = {}


def builtin(*names, opaque_ok=False):
    def wrap(fn):
        def run(interp, args, nargout, node):
            if not opaque_ok and any(isinstance(a, Opaque) for a in args):
                return [merge_opaque(args)] * max(nargout, 1)
            try:
                out = fn(interp, args, nargout, node)
            except IndexError:
                raise interp.error(node, f"not enough input arguments to {names[0]}") from None
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
                raise interp.error(node, f"{names[0]}: invalid arguments ({exc})") from None
            return out if isinstance(out, list) else [out]

        for n in names:
            BUILTINS[n] = run
        return fn

    return wrap


def _interp_helpers():
    from . import interp as m
    return m


def _nums(interp, v, node):
    return interp.numeric(v, node)


def _int(interp, v, node, what="an integer"):
    x = interp.scalar(v, node, what)
    if x != int(x):
        raise interp.error(node, f"expected {what}, got {x}")
    return int(x)


def _need(interp, args, lo, hi, name, node):
    if len(args) < lo:
        raise interp.error(node, f"not enough input arguments to {name}")
    if hi is not None and len(args) > hi:
        raise interp.error(node, f"too many input arguments to {name}")


def _text(v) -> str | None:
    return str(v) if isinstance(v, str) else None


# ---- array construction -------------------------------------------------------------------------


def _dims(interp, args, node, name):
    args = [a for a in args if not isinstance(a, str)]
    if not args:
        return (1, 1)
    if len(args) == 1:
        a = interp.numeric(args[0], node)
        if a.size == 1:
            n = _int(interp, a, node, f"a size for {name}")
            interp.check_elements((max(n, 0), max(n, 0)), node, name)
            return (max(n, 0), max(n, 0))
        if not np.all(np.isfinite(a)):
            raise interp.error(node, f"{name}: size arguments must be finite integers")
        dims = [int(x) for x in a.reshape(-1)]
    else:
        dims = [_int(interp, a, node, f"a size for {name}") for a in args]
    dims = [max(d, 0) for d in dims]
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    interp.check_elements(dims, node, name)
    return tuple(dims)


@builtin("rand")
def _rand(interp, args, nargout, node):
    return interp.rng.random(_dims(interp, args, node, "rand"))


@builtin("randn")
def _randn(interp, args, nargout, node):
    return interp.rng.standard_normal(_dims(interp, args, node, "randn"))


@builtin("randi")
def _randi(interp, args, nargout, node):
    lim = interp.numeric(args[0], node).reshape(-1)
    lo, hi = (1, int(lim[0])) if lim.size == 1 else (int(lim[0]), int(lim[1]))
    return interp.rng.integers(lo, hi + 1, _dims(interp, args[1:], node, "randi")).astype(float)


@builtin("rng")
def _rng(interp, args, nargout, node):
    if args and isinstance(args[0], np.ndarray) and args[0].size == 1:
        interp.rng = np.random.default_rng(int(args[0].flat[0]))
    elif args and isinstance(args[0], str) and str(args[0]) == "default":
        interp.rng = np.random.default_rng(0)
    return []


@builtin("cell")
def _cell(interp, args, nargout, node):
    shape = _dims(interp, args, node, "cell")
    arr = np.empty(shape, dtype=object)
    arr.fill(np.zeros((0, 0)))      # values are never changed in place: one shared empty is safe
    return Cell(arr)


@builtin("struct")
def _struct(interp, args, nargout, node):
    if len(args) % 2:
        raise interp.error(node, "struct needs field-value pairs")
    fields = {}
    for k, v in zip(args[::2], args[1::2]):
        if not isinstance(k, str):
            raise interp.error(node, "struct field names must be text")
        interp.checked(node, check_field_name, k)
        if isinstance(v, Cell):
            if v.a.size != 1:
                raise interp.error(node, "struct arrays (cell values in struct()) are not supported")
            v = v.a.flat[0]
        fields[str(k)] = v
    return Struct(fields)


@builtin("cat")
def _cat(interp, args, nargout, node):
    dim = _int(interp, args[0], node)
    if dim == 1:
        return interp.concat_rows([[x] for x in args[1:]], node)
    if dim == 2:
        return interp.concat_rows([list(args[1:])], node)
    parts = [interp.numeric(x, node) for x in args[1:]]
    nd = max(dim, max(p.ndim for p in parts))
    parts = [p.reshape(p.shape + (1,) * (nd - p.ndim)) for p in parts]
    return np.concatenate(parts, axis=dim - 1)


@builtin("horzcat")
def _horzcat(interp, args, nargout, node):
    return interp.concat_rows([list(args)], node)


@builtin("vertcat")
def _vertcat(interp, args, nargout, node):
    return interp.concat_rows([[x] for x in args], node)


# ---- element-wise math ---------------------------------------------------------------------------

@builtin("power")
def _power(interp, args, nargout, node):
    return interp.binary(".^", args[0], args[1], node)


@builtin("times")
def _times(interp, args, nargout, node):
    return interp.binary(".*", args[0], args[1], node)


@builtin("plus")
def _plus(interp, args, nargout, node):
    return interp.binary("+", args[0], args[1], node)


@builtin("minus")
def _minus(interp, args, nargout, node):
    return interp.binary("-", args[0], args[1], node)


@builtin("unique")
def _unique(interp, args, nargout, node):
    a = args[0]
    if isinstance(a, Cell):
        return Cell.column(sorted(set(str(x) for x in a.items())))
    a = interp.numeric(a, node)
    u = np.unique(a.reshape(-1))
    return u.reshape(1, -1) if a.shape[0] == 1 else u.reshape(-1, 1)


@builtin("isequal")
def _isequal(interp, args, nargout, node):
    a = args[0]
    for b in args[1:]:
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            if a.shape != b.shape or not np.array_equal(a.astype(float), b.astype(float)):
                return np.array([[False]])
        elif isinstance(a, str) and isinstance(b, str):
            if str(a) != str(b):
                return np.array([[False]])
        elif not (a == b):
            return np.array([[False]])
    return np.array([[True]])


# ---- types ---------------------------------------------------------------------------------------

for _n in ("double", "single", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
    def _cast(interp, args, nargout, node, _n=_n):
        a = interp.numeric(args[0], node).astype(float)
        if _n.startswith(("int", "uint")):
            a = np.sign(a) * np.floor(np.abs(a) + 0.5)
        return a

    builtin(_n)(_cast)


@builtin("logical")
def _logical(interp, args, nargout, node):
    return interp.numeric(args[0], node) != 0


@builtin("class")
def _class(interp, args, nargout, node):
    v = args[0]
    if isinstance(v, np.ndarray):
        return "logical" if v.dtype == bool else "double"
    if isinstance(v, MString) or isinstance(v, StrArr):
        return "string"
    if isinstance(v, str):
        return "char"
    if isinstance(v, Cell):
        return "cell"
    if isinstance(v, Struct):
        return "struct"
    if isinstance(v, FuncHandle):
        return "function_handle"
    if isinstance(v, LayerGraph):
        return "nnet.cnn.LayerGraph"
    if isinstance(v, LayerArr) and v.a.size:
        return "nnet.cnn.layer." + type(v.a.flat[0]).display_class_name()
    if isinstance(v, Layer):
        return "nnet.cnn.layer." + type(v).display_class_name()
    return type(v).__name__


_IS = {
    "isnumeric": lambda v: isinstance(v, np.ndarray) and v.dtype != bool,
    "islogical": lambda v: isinstance(v, np.ndarray) and v.dtype == bool,
    "ischar": lambda v: isinstance(v, str) and not isinstance(v, MString),
    "isstring": lambda v: isinstance(v, (MString, StrArr)),
    "iscell": lambda v: isinstance(v, Cell),
    "isstruct": lambda v: isinstance(v, Struct),
    "iscellstr": lambda v: isinstance(v, Cell) and all(isinstance(x, str) for x in v.items()),
    "isreal": lambda v: isinstance(v, np.ndarray),
    "isfloat": lambda v: isinstance(v, np.ndarray) and v.dtype != bool,
    "isinteger": lambda v: False,
    "is_function_handle": lambda v: isinstance(v, FuncHandle),
}
for _n, _p in _IS.items():
    builtin(_n)(lambda i, a, n, nd, _p=_p: np.array([[bool(_p(a[0]))]]))


@builtin("isa")
def _isa(interp, args, nargout, node):
    v, cls = args[0], str(args[1])
    name = _class(interp, [v], 1, node)
    if cls == "numeric":
        return np.array([[isinstance(v, np.ndarray) and v.dtype != bool]])
    if cls == "float":
        return np.array([[isinstance(v, np.ndarray) and v.dtype != bool]])
    if cls in ("nnet.cnn.layer.Layer", "nnet.layer.Layer"):
        return np.array([[isinstance(v, (Layer, LayerArr))]])
    return np.array([[name == cls or name.endswith("." + cls)]])


@builtin("isfield")
def _isfield(interp, args, nargout, node):
    s, f = args[0], args[1]
    if not isinstance(s, Struct):
        return np.array([[False]])
    if isinstance(f, Cell):
        return np.array([[str(x) in s.fields for x in f.items()]])
    return np.array([[str(f) in s.fields]])


@builtin("isprop")
def _isprop(interp, args, nargout, node):
    _need(interp, args, 2, 2, "isprop", node)
    obj, name = args
    if isinstance(obj, Struct) or not isinstance(name, str):
        return np.array([[False]])
    return np.array([[str(name) in property_names(obj)]])


@builtin("fieldnames", "properties")
def _fieldnames(interp, args, nargout, node):
    s = args[0]
    if isinstance(s, Struct) or isinstance(s, (Layer, LayerArr)) or matlab_class(s) is not None:
        return Cell.column(property_names(s))
    raise interp.error(node, "fieldnames needs a struct or an object")


@builtin("rmfield")
def _rmfield(interp, args, nargout, node):
    if not isinstance(args[0], Struct):
        raise interp.error(node, "rmfield needs a struct")
    s = args[0].copy()
    for f in (args[1].items() if isinstance(args[1], Cell) else [args[1]]):
        name = interp.checked(node, check_field_name, f)
        if name not in s.fields:
            raise interp.error(node, f"A field named '{name}' doesn't exist.")
        s.fields.pop(name)
    return s


# getfield / setfield / subsref / subsasgn: every form reaches fields only through the interpreter's
# access checks (layergraph/matlab/access.py), as s.name and s.(name) do.


def _field_path(interp, args, node, fn):
    path = []
    for a in args:
        if isinstance(a, Cell):
            raise interp.error(node, f"{fn}: indices in the field path are not supported")
        path.append(interp.checked(node, check_field_name, a))
    if not path:
        raise interp.error(node, f"not enough input arguments to {fn}")
    return path


@builtin("getfield")
def _getfield(interp, args, nargout, node):
    _need(interp, args, 2, None, "getfield", node)
    value = args[0]
    for name in _field_path(interp, args[1:], node, "getfield"):
        value = interp.get_field(value, name, node)
    return value


@builtin("setfield")
def _setfield(interp, args, nargout, node):
    _need(interp, args, 3, None, "setfield", node)
    path = _field_path(interp, args[1:-1], node, "setfield")
    chain = [(".", name, node) for name in path]
    return interp.assign_into(args[0], chain, args[-1], None, node)


def _subs_chain(interp, s, node, fn):
    """A substruct value as an accessor chain: only '.' with a text field name and '()'/'{}' with indices."""
    levels = s.items() if isinstance(s, Cell) else [s]
    chain = []
    for level in levels:
        if not isinstance(level, Struct) or set(level.fields) != {"type", "subs"}:
            raise interp.error(node, f"{fn}: the second argument must be a struct with fields 'type' and 'subs'")
        kind, subs = level.fields["type"], level.fields["subs"]
        if not isinstance(kind, str) or str(kind) not in (".", "()", "{}"):
            raise interp.error(node, f"{fn}: type must be '.', '()' or '{{}}'")
        if str(kind) == ".":
            chain.append((".", interp.checked(node, check_field_name, subs), node))
        else:
            idx = subs.items() if isinstance(subs, Cell) else [subs]
            chain.append((str(kind), [_Colon.of(i) for i in idx], node))
    return chain


class _Colon:
    @staticmethod
    def of(i):
        from .interp import COLON
        return COLON if isinstance(i, str) and str(i) == ":" else i


@builtin("substruct")
def _substruct(interp, args, nargout, node):
    if len(args) != 2:
        raise interp.error(node, "substruct: only one level (type, subs) is supported")
    return Struct({"type": args[0], "subs": args[1]})


@builtin("subsref")
def _subsref(interp, args, nargout, node):
    _need(interp, args, 2, 2, "subsref", node)
    value = args[0]
    for kind, payload, where in _subs_chain(interp, args[1], node, "subsref"):
        if kind == ".":
            value = interp.get_field(value, payload, node)
        elif kind == "()":
            value = interp.index_get(value, payload, node)
        else:
            if not isinstance(value, Cell):
                raise interp.error(node, f"brace indexing is only for cell arrays, not {_kind(value)}")
            items = interp.index_get(value, payload, node).items()
            value = items[0] if len(items) == 1 else CsList(items)
    return value


@builtin("subsasgn")
def _subsasgn(interp, args, nargout, node):
    _need(interp, args, 3, 3, "subsasgn", node)
    chain = _subs_chain(interp, args[1], node, "subsasgn")
    if any(kind != "." for kind, _, _ in chain):
        raise interp.error(node, "subsasgn: only field assignment ('.') is supported")
    return interp.assign_into(args[0], chain, args[2], None, node)


@builtin("builtin")
def _builtin_call(interp, args, nargout, node):
    if not args or not isinstance(args[0], str):
        raise interp.error(node, "builtin needs a function name")
    interp.check_call_allowed(str(args[0]), node)
    fn = BUILTINS.get(str(args[0]))
    if fn is None:
        raise interp.error(node, f"builtin: '{args[0]}' is not a function the porter models")
    return fn(interp, list(args[1:]), nargout, node)


def _kind(v):
    return _interp_helpers().type_name(v)


# ---- text --------------------------------------------------------------------------------------------


def _num_to_text(interp, a, node, fmt=None):
    m = _interp_helpers()
    a = interp.numeric(a, node)
    vals = a.reshape(-1, order="F") if a.shape[0] == 1 or a.ndim > 2 else a.reshape(-1)
    if fmt is not None:
        return "".join(_sprintf(interp, fmt, [np.array([[v]]) for v in vals], node))
    parts = [m.matlab_num_str(v) for v in vals]
    if a.size == 1:
        return parts[0]
    if a.ndim == 2 and a.shape[0] > 1:
        raise interp.error(node, "num2str of a matrix gives a char matrix, which is not supported")
    return "  ".join(parts)


@builtin("num2str")
def _num2str(interp, args, nargout, node):
    _need(interp, args, 1, 2, "num2str", node)
    v = args[0]
    if isinstance(v, str):
        return str(v)
    if len(args) == 2:
        if isinstance(args[1], str):
            return _num_to_text(interp, v, node, fmt=str(args[1]))
        p = _int(interp, args[1], node)
        a = interp.numeric(v, node).reshape(-1)
        return "  ".join(f"{x:.{p}g}" for x in a)
    return _num_to_text(interp, v, node)


@builtin("int2str")
def _int2str(interp, args, nargout, node):
    a = interp.numeric(args[0], node).astype(float)
    a = np.sign(a) * np.floor(np.abs(a) + 0.5)
    return _num_to_text(interp, a, node)


@builtin("mat2str")
def _mat2str(interp, args, nargout, node):
    m = _interp_helpers()
    v = args[0]
    if isinstance(v, str):
        return "'" + str(v).replace("'", "''") + "'"
    a = interp.numeric(v, node)
    if a.dtype == bool:
        conv = lambda x: "true" if x else "false"  # noqa: E731
    else:
        conv = m.matlab_num_str
    if a.size == 1:
        return conv(a.flat[0])
    rows = [" ".join(conv(x) for x in row) for row in a]
    return "[" + ";".join(rows) + "]"


@builtin("str2double")
def _str2double(interp, args, nargout, node):
    v = args[0]
    try:
        return num(float(str(v).strip()))
    except ValueError:
        return num(np.nan)


@builtin("string")
def _string(interp, args, nargout, node):
    m = _interp_helpers()
    v = args[0]
    if isinstance(v, (MString, StrArr)):
        return v
    if isinstance(v, str):
        return MString(v)
    if isinstance(v, Cell):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            arr[i] = MString(str(v.a[i]))
        return StrArr(arr)
    if isinstance(v, np.ndarray):
        if v.size == 1:
            return MString(m.matlab_num_str(v.flat[0]))
        arr = np.empty(v.shape, dtype=object)
        for i in np.ndindex(v.shape):
            arr[i] = MString(m.matlab_num_str(v[i]))
        return StrArr(arr)
    raise interp.error(node, f"cannot convert a {m.type_name(v)} value to a string")


@builtin("char")
def _char(interp, args, nargout, node):
    v = args[0]
    if isinstance(v, str):
        return str(v)
    if isinstance(v, StrArr) and v.a.size == 1:
        return str(v.a.flat[0])
    if isinstance(v, Cell) and v.a.size == 1 and isinstance(v.a.flat[0], str):
        return str(v.a.flat[0])
    if isinstance(v, np.ndarray) and (v.ndim == 2 and v.shape[0] <= 1):
        return "".join(chr(int(x)) for x in v.reshape(-1))
    raise interp.error(node, "char matrices are not supported")


@builtin("cellstr")
def _cellstr(interp, args, nargout, node):
    v = args[0]
    if isinstance(v, Cell):
        return v
    if isinstance(v, StrArr):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            arr[i] = str(v.a[i])
        return Cell(arr)
    return Cell.row([str(v)])


@builtin("upper")
def _upper(interp, args, nargout, node):
    return _map_text(interp, args[0], str.upper, node)


@builtin("lower")
def _lower(interp, args, nargout, node):
    return _map_text(interp, args[0], str.lower, node)


@builtin("strtrim")
def _strtrim(interp, args, nargout, node):
    return _map_text(interp, args[0], str.strip, node)


@builtin("deblank")
def _deblank(interp, args, nargout, node):
    return _map_text(interp, args[0], str.rstrip, node)


def _map_text(interp, v, fn, node):
    if isinstance(v, MString):
        return MString(fn(str(v)))
    if isinstance(v, str):
        return fn(v)
    if isinstance(v, (Cell, StrArr)):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            x = v.a[i]
            arr[i] = type(x)(fn(str(x))) if isinstance(x, MString) else fn(str(x))
        return type(v)(arr)
    raise interp.error(node, "expected text")


@builtin("strrep")
def _strrep(interp, args, nargout, node):
    _need(interp, args, 3, 3, "strrep", node)
    old, new = str(args[1]), str(args[2])
    return _map_text(interp, args[0], lambda s: s.replace(old, new), node)


@builtin("strcat")
def _strcat(interp, args, nargout, node):
    if any(isinstance(a, (Cell, StrArr)) for a in args):
        n = max(a.a.size for a in args if isinstance(a, (Cell, StrArr)))
        out = []
        for i in range(n):
            parts = []
            for a in args:
                if isinstance(a, (Cell, StrArr)):
                    items = a.items()
                    parts.append(str(items[i] if len(items) > 1 else items[0]))
                else:
                    parts.append(str(a))
            out.append("".join(parts))
        return Cell.row(out)
    if any(isinstance(a, MString) for a in args):
        return MString("".join(str(a) for a in args))
    parts = []
    for a in args:
        if not isinstance(a, str):
            raise interp.error(node, "strcat expects text arguments")
        parts.append(a.rstrip(" \t\n"))
    return "".join(parts)


@builtin("strjoin")
def _strjoin(interp, args, nargout, node):
    items = [str(x) for x in args[0].items()] if isinstance(args[0], (Cell, StrArr)) else [str(args[0])]
    sep = _escape(str(args[1])) if len(args) > 1 else " "
    out = sep.join(items)
    return MString(out) if isinstance(args[0], StrArr) else out


@builtin("strsplit")
def _strsplit(interp, args, nargout, node):
    s = str(args[0])
    if len(args) > 1:
        parts = s.split(_escape(str(args[1])))
    else:
        parts = s.split()
    return Cell.row(parts)


def _text_pred(fn):
    def run(interp, args, nargout, node):
        a, b = args[0], args[1]
        if isinstance(a, (Cell, StrArr)):
            return np.array([[fn(str(x), str(b)) for x in a.items()]]).reshape(a.a.shape)
        if not isinstance(a, str):
            return np.array([[False]])
        if isinstance(b, (Cell, StrArr)):
            return np.array([[any(fn(str(a), str(x)) for x in b.items())]])
        return np.array([[fn(str(a), str(b))]])

    return run


builtin("contains")(_text_pred(lambda s, p: p in s))
builtin("startsWith")(_text_pred(lambda s, p: s.startswith(p)))
builtin("endsWith")(_text_pred(lambda s, p: s.endswith(p)))


def _strcmp_fn(fold: bool, n: int | None = None):
    def run(interp, args, nargout, node):
        a, b = args[0], args[1]
        limit = _int(interp, args[2], node) if n is not None else None

        def eq(x, y):
            if not (isinstance(x, str) and isinstance(y, str)):
                return False
            x, y = str(x), str(y)
            if fold:
                x, y = x.lower(), y.lower()
            if limit is not None:
                return len(x) >= limit and len(y) >= limit and x[:limit] == y[:limit]
            return x == y

        if isinstance(a, (Cell, StrArr)) or isinstance(b, (Cell, StrArr)):
            ca = a if isinstance(a, (Cell, StrArr)) else None
            cb = b if isinstance(b, (Cell, StrArr)) else None
            ref = ca or cb
            res = np.empty(ref.a.shape, dtype=bool)
            for i in np.ndindex(ref.a.shape):
                res[i] = eq(ca.a[i] if ca else a, cb.a[i] if cb else b)
            return res
        return np.array([[eq(a, b)]])

    return run


builtin("strcmp")(_strcmp_fn(False))
builtin("strcmpi")(_strcmp_fn(True))
builtin("strncmp")(_strcmp_fn(False, 1))
builtin("strncmpi")(_strcmp_fn(True, 1))


@builtin("ismember")
def _ismember(interp, args, nargout, node):
    a, s = args[0], args[1]
    if isinstance(a, str):
        pool = [str(x) for x in s.items()] if isinstance(s, (Cell, StrArr)) else [str(s)]
        return np.array([[str(a) in pool]])
    if isinstance(a, Cell):
        pool = [str(x) for x in s.items()] if isinstance(s, (Cell, StrArr)) else [str(s)]
        return np.array([[str(x) in pool for x in a.items()]]).reshape(a.a.shape)
    x = interp.numeric(a, node)
    return np.isin(x, interp.numeric(s, node))


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _escape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s)


_SPEC = re.compile(r"%([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([diouxXfeEgGcs%])")


def _sprintf(interp, fmt: str, args, node) -> list:
    m = _interp_helpers()
    fmt = _escape(fmt)
    values = []
    for a in args:
        if isinstance(a, str):
            values.append(str(a))
        elif isinstance(a, (Cell, StrArr)):
            values.extend(str(x) for x in a.items())
        elif isinstance(a, np.ndarray):
            values.extend(float(x) for x in a.reshape(-1, order="F"))
        else:
            raise interp.error(node, f"sprintf cannot format a {m.type_name(a)} value")
    specs = [s for s in _SPEC.finditer(fmt) if s.group(4) != "%"]
    out = []
    i = 0
    while True:
        pieces = []
        pos = 0
        for s in _SPEC.finditer(fmt):
            pieces.append(fmt[pos:s.start()])
            pos = s.end()
            flags, width, prec, conv = s.group(1), s.group(2), s.group(3), s.group(4)
            if conv == "%":
                pieces.append("%")
                continue
            if i >= len(values):
                if values or i > 0:
                    pos = len(fmt) + 1
                    break
                pieces.append("")
                continue
            v = values[i]
            i += 1
            for field in (width, prec):
                if field and field.isdigit():
                    interp.check_elements(float(field), node, "sprintf field width")
            spec = "%" + flags + (width or "") + ("." + prec if prec else "")
            if conv == "s":
                pieces.append((spec + "s") % (v if isinstance(v, str) else m.matlab_num_str(v)))
            elif conv == "c":
                pieces.append((spec + "s") % (v if isinstance(v, str) else chr(int(v))))
            elif conv in "diu":
                if isinstance(v, str):
                    pieces.append(v)
                elif float(v).is_integer():
                    pieces.append((spec + "d") % int(v))
                else:
                    pieces.append(("%" + flags + (width or "") + "e") % v)
            elif conv in "oxX":
                pieces.append((spec + conv) % int(v))
            else:
                if isinstance(v, str):
                    pieces.append(v)
                else:
                    pieces.append((spec + conv) % v)
        else:
            pieces.append(fmt[pos:])
        out.append("".join(pieces))
        if not specs or i >= len(values) or pos > len(fmt):
            break
    return out


@builtin("sprintf")
def _sprintf_b(interp, args, nargout, node):
    _need(interp, args, 1, None, "sprintf", node)
    if not isinstance(args[0], str):
        raise interp.error(node, "sprintf needs a format text")
    text = "".join(_sprintf(interp, str(args[0]), args[1:], node))
    return MString(text) if isinstance(args[0], MString) else text


@builtin("compose")
def _compose(interp, args, nargout, node):
    return MString("".join(_sprintf(interp, str(args[0]), args[1:], node)))


# ---- functional ------------------------------------------------------------------------------------


def _call(interp, f, args, nargout, node):
    if isinstance(f, FuncHandle):
        return interp.call_handle(f, args, nargout, node)
    if isinstance(f, str):
        from .interp import Frame
        frame = Frame(node.src, interp._functions_of(node.src), "<feval>")
        return interp.call_named(str(f), args, nargout, node, frame)
    raise interp.error(node, "expected a function handle or a function name")


@builtin("feval")
def _feval(interp, args, nargout, node):
    return _call(interp, args[0], list(args[1:]), nargout, node)


def _split_uniform(interp, args, node):
    uniform = True
    rest = list(args)
    if len(rest) >= 2 and isinstance(rest[-2], str) and str(rest[-2]).lower() == "uniformoutput":
        uniform = bool(interp.truthy(rest[-1], node))
        rest = rest[:-2]
    return uniform, rest


@builtin("cellfun")
def _cellfun(interp, args, nargout, node):
    uniform, rest = _split_uniform(interp, args[1:], node)
    f = args[0]
    cells = rest
    shape = cells[0].a.shape
    lists = [c.items() for c in cells]
    results = [_call(interp, f, [lst[i] for lst in lists], 1, node)[0] for i in range(len(lists[0]))]
    return _collect(interp, results, shape, uniform, node)


@builtin("arrayfun")
def _arrayfun(interp, args, nargout, node):
    uniform, rest = _split_uniform(interp, args[1:], node)
    f = args[0]
    arrays = []
    shape = None
    for a in rest:
        if isinstance(a, (LayerArr, Cell)):
            arrays.append([type(a).row([x]) for x in a.items()])
            shape = shape or a.a.shape
        else:
            x = interp.numeric(a, node)
            arrays.append([np.array([[v]], dtype=x.dtype) for v in x.reshape(-1, order="F")])
            shape = shape or x.shape
    results = [_call(interp, f, [lst[i] for lst in arrays], 1, node)[0] for i in range(len(arrays[0]))]
    return _collect(interp, results, shape, uniform, node)


def _collect(interp, results, shape, uniform, node):
    if not uniform:
        arr = np.empty(len(results), dtype=object)
        for i, r in enumerate(results):
            arr[i] = r
        return Cell(arr.reshape(shape, order="F"))
    vals = []
    for r in results:
        a = interp.numeric(r, node) if not isinstance(r, (bool, int, float)) else np.array([[r]])
        if a.size != 1:
            raise interp.error(node, "non-scalar result with UniformOutput true; use 'UniformOutput', false")
        vals.append(a.flat[0])
    if not vals:
        return np.zeros(shape)
    return np.array(vals).reshape(shape, order="F")


@builtin("num2cell")
def _num2cell(interp, args, nargout, node):
    v = args[0]
    if isinstance(v, LayerArr):
        arr = np.empty(v.a.shape, dtype=object)
        for i in np.ndindex(v.a.shape):
            arr[i] = LayerArr.row([v.a[i]])
        return Cell(arr)
    a = interp.numeric(v, node)
    arr = np.empty(a.shape, dtype=object)
    for i in np.ndindex(a.shape):
        arr[i] = np.array([[a[i]]])
    return Cell(arr)


@builtin("deal")
def _deal(interp, args, nargout, node):
    n = max(nargout, 1)
    if len(args) == 1:
        return [args[0]] * n
    if len(args) != n:
        raise interp.error(node, "deal: the number of outputs must match the number of inputs")
    return list(args)


@builtin("func2str")
def _func2str(interp, args, nargout, node):
    return repr(args[0])


@builtin("str2func")
def _str2func(interp, args, nargout, node):
    s = str(args[0])
    if s.startswith("@"):
        raise interp.error(node, "str2func of an anonymous function text is not supported")
    return FuncHandle(name=s, interp=interp, text="@" + s)


@builtin("initialize")
def _initialize(interp, args, nargout, node):
    from ..functions import FUNCTIONS

    if not args or not isinstance(args[0], LayerGraph):
        raise interp.error(node, "initialize needs an uninitialized dlnetwork (built with dlnetwork and addLayers)")
    return interp.call_registered(FUNCTIONS["dlnetwork"], [args[0]], 1, node)


# ---- errors and messages -------------------------------------------------------------------------


@builtin("error", opaque_ok=True)
def _error(interp, args, nargout, node):
    texts = [a for a in args if isinstance(a, str)]
    msg = ""
    if texts:
        start = 1 if len(texts) > 1 and ":" in str(texts[0]) and " " not in str(texts[0]) else 0
        fmt_args = [a for a in args[args.index(texts[start]) + 1:]]
        if any(isinstance(a, Opaque) for a in fmt_args):
            msg = str(texts[start])
        else:
            msg = "".join(_sprintf(interp, str(texts[start]), fmt_args, node))
    raise interp.error(node, f"the script called error(): {msg}")


@builtin("warning", opaque_ok=True)
def _warning(interp, args, nargout, node):
    texts = [str(a) for a in args if isinstance(a, str)]
    if texts and texts[0] not in ("off", "on", "query"):
        interp.warn(node, "the script warns: " + texts[-1] if len(texts) > 1 else texts[0])
    return []


@builtin("assert")
def _assert(interp, args, nargout, node):
    if not interp.truthy(args[0], node):
        msg = str(args[1]) if len(args) > 1 and isinstance(args[1], str) else "assertion failed"
        raise interp.error(node, f"assertion failed: {msg}")
    return []


@builtin("tic", "drawnow", "pause", "beep")
def _silent(interp, args, nargout, node):
    return [] if nargout == 0 else [num(0)]


__all__ = ["BUILTINS"]
