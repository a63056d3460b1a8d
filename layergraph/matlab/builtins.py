"""MATLAB builtins that need the interpreter (its random stream, concatenation, access checks, warnings);
MATLAB's base functions over plain values live in the registry (layergraph/matlab/base/).

Each entry is ``fn(interp, args, nargout, node) -> list of outputs``. An opaque argument makes the result
opaque without calling the function.
"""

from __future__ import annotations

import re

import numpy as np

from ..graph import LayerGraph
from ..layers.base import Layer
from .access import check_field_name, matlab_class, property_names
from .values import Cell, CsList, LayerArr, MString, Opaque, StrArr, Struct, merge_opaque, num

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


@builtin("isprop")
def _isprop(interp, args, nargout, node):
    _need(interp, args, 2, 2, "isprop", node)
    obj, name = args
    if isinstance(obj, Struct) or not isinstance(name, str):
        return np.array([[False]])
    return np.array([[str(name) in property_names(obj)]])


@builtin("properties")
def _fieldnames(interp, args, nargout, node):
    s = args[0]
    if isinstance(s, Struct) or isinstance(s, (Layer, LayerArr)) or matlab_class(s) is not None:
        return Cell.column(property_names(s))
    raise interp.error(node, "fieldnames needs a struct or an object")


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
    from ..functions import FUNCTIONS

    entry = FUNCTIONS.get(str(args[0]))
    if entry is not None and entry.base:
        return interp.call_base(entry, list(args[1:]), nargout, node)
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


@builtin("tic", "drawnow", "pause", "beep")
def _silent(interp, args, nargout, node):
    return [] if nargout == 0 else [num(0)]


__all__ = ["BUILTINS"]
