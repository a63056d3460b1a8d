"""Cell arrays, structs and functions as values: cell, cell2mat, num2cell, cellfun/arrayfun/structfun
('UniformOutput', 'ErrorHandler', several outputs), struct (struct arrays from cell values), fieldnames,
isfield, rmfield, orderfields, struct2cell, cell2struct, deal, feval, func2str, str2func.

Function values are called through :func:`layergraph.matlab.lang.call` (interpreter handles, function
names, translated Python functions alike).
"""

from __future__ import annotations

import numpy as np

from ...errors import MatlabPortError
from ..values import Cell, FuncHandle, LayerArr, MString, StrArr, Struct
from ._core import (base, class_of, fail, integer, name_value, numeric, outputs, shape_of, text_items)
from .arrays import dims


def _struct_array_type():
    from .. import values

    return getattr(values, "StructArr", None)


def struct_array(items, shape):
    """A struct array of ``shape`` from Struct items (column-major); 1x1 gives the Struct itself."""
    items = list(items)
    if int(np.prod(shape)) == 1 and len(items) == 1:
        return items[0]
    cls = _struct_array_type()
    if cls is None:
        raise fail("Struct arrays need layergraph's struct-array values (not available in this build).",
                   "layergraph:structArray")
    arr = np.empty(len(items), dtype=object)
    for i, s in enumerate(items):
        arr[i] = s
    fields = list(items[0].fields) if items else []
    return cls(arr.reshape(shape, order="F"), fields=fields)


def struct_items(v) -> list:
    if isinstance(v, Struct):
        return [v]
    if type(v).__name__ == "StructArr":
        return list(v.items())
    raise fail(f"Expected a struct, got {class_of(v)}.", "MATLAB:invalidType")


def _field_name(name) -> str:
    from ..access import check_field_name

    try:
        return check_field_name(str(name) if isinstance(name, str) else name)
    except MatlabPortError as exc:
        raise fail(str(exc), "MATLAB:Cell2Struct:InvalidFieldName") from None


# ---- cell --------------------------------------------------------------------------------------------


@base("cell")
def cell(*args):
    """``cell(n)``, ``cell(m, n, ...)``, ``cell([m n])``: every element is ``[]``."""
    shape = dims(args, "cell")
    arr = np.empty(shape, dtype=object)
    for i in np.ndindex(shape):
        arr[i] = np.zeros((0, 0))
    return Cell(arr)


@base("num2cell")
def num2cell(A):
    """Each element of an array in its own cell (same shape); text gives one character per cell."""
    if isinstance(A, LayerArr):
        arr = np.empty(A.a.shape, dtype=object)
        for i in np.ndindex(A.a.shape):
            arr[i] = LayerArr.row([A.a[i]])
        return Cell(arr)
    if isinstance(A, Cell):
        arr = np.empty(A.a.shape, dtype=object)
        for i in np.ndindex(A.a.shape):
            arr[i] = Cell.row([A.a[i]])
        return Cell(arr)
    if isinstance(A, StrArr):
        return Cell(A.a.copy())
    if isinstance(A, str) and not isinstance(A, MString):
        return Cell.row(list(A)) if A else Cell(np.empty((0, 0), dtype=object))
    a = numeric(A)
    arr = np.empty(a.shape, dtype=object)
    for i in np.ndindex(a.shape):
        arr[i] = a[i].reshape(1, 1).copy()
    return Cell(arr)


@base("cell2mat")
def cell2mat(C):
    """Concatenate the contents of a cell array: each row of cells horizontally, then the rows vertically
    (numeric, logical or char contents of one kind)."""
    if not isinstance(C, Cell):
        raise fail("cell2mat: input must be a cell array.", "MATLAB:cell2mat:InvalidInput")
    a = C.a
    if a.size == 0:
        return np.zeros((0, 0))
    if a.ndim > 2:
        raise fail("cell2mat of an N-D cell array is not supported by layergraph.", "layergraph:cell2matND")
    items = a.reshape(-1).tolist()
    if all(isinstance(x, str) and not isinstance(x, MString) for x in items):
        rows = ["".join(str(a[i, j]) for j in range(a.shape[1])) for i in range(a.shape[0])]
        if len(rows) == 1:
            return rows[0]
        raise fail("Char matrices are not supported; use a cell array of character vectors.", "layergraph:charMatrix")
    if any(isinstance(x, (Cell, Struct, StrArr)) or type(x).__name__ == "StructArr" for x in items):
        raise fail("CELL2MAT does not support cell arrays containing cell arrays or objects.",
                   "MATLAB:cell2mat:UnsupportedCellContent")
    kinds = {numeric(x).dtype for x in items}
    if len(kinds) > 1:
        raise fail("All contents of the input cell array must be of the same data type.",
                   "MATLAB:cell2mat:MixedDataTypes")
    rows = []
    for i in range(a.shape[0]):
        parts = [numeric(a[i, j]) for j in range(a.shape[1])]
        try:
            rows.append(np.concatenate(parts, axis=1))
        except ValueError:
            raise fail("Dimensions of arrays being concatenated are not consistent.", "MATLAB:catenate:dimensionMismatch") \
                from None
    try:
        return np.concatenate(rows, axis=0)
    except ValueError:
        raise fail("Dimensions of arrays being concatenated are not consistent.", "MATLAB:catenate:dimensionMismatch") \
            from None


# ---- cellfun / arrayfun / structfun ---------------------------------------------------------------------


def _fun_options(args):
    rest, opts = name_value(args, {"uniformoutput": "UniformOutput", "errorhandler": "ErrorHandler"})
    uniform = opts.get("UniformOutput", True)
    uniform = bool(numeric(uniform).flat[0]) if not isinstance(uniform, bool) else uniform
    return rest, uniform, opts.get("ErrorHandler")


def _apply(f, inputs_per_call, shape, uniform, handler, nargout, kind):
    from ._core import call

    k = max(nargout, 1)
    results = [[] for _ in range(k)]
    for index, inputs in enumerate(inputs_per_call):
        try:
            out = call(f, *inputs, nargout=k)
        except MatlabPortError as exc:
            if handler is None:
                raise
            info = Struct({"message": getattr(exc, "message", str(exc)),
                           "identifier": getattr(exc, "identifier", "") or "",
                           "index": np.array([[float(index + 1)]])})
            out = call(handler, info, *inputs, nargout=k)
        outs = out if k > 1 else (out,)
        for j in range(k):
            results[j].append(outs[j])
    collected = [_collect(r, shape, uniform, kind) for r in results]
    return outputs(collected, nargout) if nargout > 1 else collected[0]


def _collect(values, shape, uniform, kind):
    if not uniform:
        arr = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            arr[i] = v
        return Cell(arr.reshape(shape, order="F"))
    if not values:
        return np.zeros(shape)
    scalars = []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            v = np.array([[v]])
        elif isinstance(v, (int, float)):
            v = np.array([[float(v)]])
        if not isinstance(v, np.ndarray) or v.size != 1:
            raise fail(f"Non-scalar in Uniform output, at index {len(scalars) + 1}, output 1.\nSet "
                       "'UniformOutput' to false.", f"MATLAB:{kind}:NotAScalarOutput")
        scalars.append(v)
    classes = {class_of(v) for v in scalars}
    if len(classes) > 1:
        raise fail("Mismatch in type of outputs, at index 2, output 1 (" + " versus ".join(sorted(classes)) +
                   ").\nSet 'UniformOutput' to false.", f"MATLAB:{kind}:MismatchInOutputTypes")
    dtype = scalars[0].dtype
    return np.array([v.flat[0] for v in scalars], dtype=dtype).reshape(shape, order="F")


@base("cellfun", outputs=("A",), nargout_aware=True)
def cellfun(func, *args, nargout=1):
    """``[A1, ..., Am] = cellfun(func, C1, ..., Cn, 'UniformOutput', tf, 'ErrorHandler', h)``: func
    applied to the contents of each cell; uniform output gives arrays of the cells' shape, else cell
    arrays. The error handler gets a struct (message, identifier, index) and the inputs."""
    rest, uniform, handler = _fun_options(args)
    if not rest:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    for c in rest:
        if not isinstance(c, Cell):
            raise fail("All of the input arguments must be of the same size and shape.\nPrevious inputs had size "
                       "..., input 2 is not a cell array.", "MATLAB:cellfun:NotACell")
    shape = rest[0].a.shape
    if any(c.a.shape != shape for c in rest):
        raise fail("All of the input arguments must be of the same size and shape.",
                   "MATLAB:cellfun:InputSizeMismatch")
    lists = [c.items() for c in rest]
    calls = [[lst[i] for lst in lists] for i in range(len(lists[0]))]
    return _apply(func, calls, shape, uniform, handler, nargout, "cellfun")


def _elements(A):
    """The elements arrayfun iterates over (column-major) and the array's shape."""
    if isinstance(A, (Cell, LayerArr)):
        return [type(A).row([x]) for x in A.items()], A.a.shape
    if isinstance(A, StrArr):
        return list(A.items()), A.a.shape
    if isinstance(A, Struct):
        return [A], (1, 1)
    if type(A).__name__ == "StructArr":
        return list(A.items()), A.a.shape
    if isinstance(A, str) and not isinstance(A, MString):
        return list(A), shape_of(A)
    if isinstance(A, MString):
        return [A], (1, 1)
    a = numeric(A)
    return [np.array([[x]], dtype=a.dtype) for x in a.reshape(-1, order="F")], a.shape


@base("arrayfun", outputs=("A",), nargout_aware=True)
def arrayfun(func, *args, nargout=1):
    """``[A1, ..., Am] = arrayfun(func, A1, ..., An, 'UniformOutput', tf, 'ErrorHandler', h)``: func
    applied to each element (each element of a struct array is a struct)."""
    rest, uniform, handler = _fun_options(args)
    if not rest:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    elems = [_elements(a) for a in rest]
    shape = elems[0][1]
    if any(tuple(e[1]) != tuple(shape) for e in elems):
        raise fail("All of the input arguments must be of the same size and shape.",
                   "MATLAB:arrayfun:InputSizeMismatch")
    calls = [[e[0][i] for e in elems] for i in range(len(elems[0][0]))]
    return _apply(func, calls, shape, uniform, handler, nargout, "arrayfun")


@base("structfun", outputs=("A",), nargout_aware=True)
def structfun(func, S, *args, nargout=1):
    """func applied to each field of a scalar struct: uniform output gives a column vector (one element per
    field, in field order); otherwise a struct with the same fields."""
    rest, uniform, handler = _fun_options(args)
    if not isinstance(S, Struct):
        raise fail("Input argument must be a scalar structure.", "MATLAB:structfun:NotAScalarStruct")
    names = list(S.fields)
    calls = [[S.fields[n]] for n in names]
    out = _apply(func, calls, (len(names), 1), uniform, handler, nargout, "structfun")
    if uniform:
        return out

    def as_struct(c):
        return Struct({n: v for n, v in zip(names, c.items())})

    return tuple(as_struct(c) for c in out) if isinstance(out, tuple) else as_struct(out)


# ---- structs -----------------------------------------------------------------------------------------


@base("struct")
def struct(*args):
    """``struct('f1', v1, 'f2', v2, ...)``: a cell value makes a struct array of the cell's size (its
    elements are the values; a 1x1 cell gives its content); ``struct()`` has no fields;
    ``struct('f', {})`` is a 0x0 struct array."""
    if len(args) == 1 and isinstance(args[0], Struct):
        return args[0]
    if len(args) % 2:
        raise fail("Field and value input arguments must come in pairs.", "MATLAB:struct:FieldValuePairs")
    pairs = []
    shape = None
    for k, v in zip(args[::2], args[1::2]):
        if not isinstance(k, str):
            raise fail("Field names must be a string scalar or character vector.", "MATLAB:struct:InvalidFieldName")
        name = _field_name(k)
        if isinstance(v, Cell) and v.a.size != 1:
            if shape is not None and v.a.shape != shape:
                raise fail("Array dimensions of input 4 must match those of input 2, or be scalar.",
                           "MATLAB:struct:CellDimensionsMismatch")
            shape = v.a.shape
        pairs.append((name, v))
    if shape is None:
        return Struct({name: (v.a.flat[0] if isinstance(v, Cell) else v) for name, v in pairs})
    n = int(np.prod(shape))
    items = []
    for i in range(n):
        fields = {}
        for name, v in pairs:
            if isinstance(v, Cell):
                fields[name] = v.a.flat[0] if v.a.size == 1 else v.a.reshape(-1, order="F")[i]
            else:
                fields[name] = v
        items.append(Struct(fields))
    if n == 0:
        cls = _struct_array_type()
        if cls is None:
            raise fail("Struct arrays need layergraph's struct-array values (not available in this build).",
                       "layergraph:structArray")
        return cls(np.empty(shape, dtype=object), fields=[name for name, _ in pairs])
    return struct_array(items, shape)


@base("fieldnames")
def fieldnames(S):
    """Field names of a struct (or struct array), or the MATLAB property names of an object, as a column
    cell array."""
    from ..access import matlab_class, property_names
    from ...layers.base import Layer

    if isinstance(S, Struct):
        return Cell.column(list(S.fields))
    if type(S).__name__ == "StructArr":
        return Cell.column(list(S.fields))
    if isinstance(S, (Layer, LayerArr)) or matlab_class(S) is not None:
        return Cell.column(property_names(S))
    raise fail("Invalid input argument of type '" + class_of(S) + "'. Input must be a structure or a Java or "
               "COM object.", "MATLAB:UndefinedFunction")


@base("isfield")
def isfield(S, field):
    """True where ``field`` (text, or each element of a cell array of text) is a field of struct S; false
    for anything that is not a struct."""
    names = list(S.fields) if isinstance(S, Struct) or type(S).__name__ == "StructArr" else None
    if isinstance(field, (Cell, StrArr)):
        out = np.empty(field.a.shape, dtype=bool)
        for i in np.ndindex(field.a.shape):
            x = field.a[i]
            out[i] = names is not None and isinstance(x, str) and str(x) in names
        return out
    return np.array([[names is not None and isinstance(field, str) and str(field) in names]])


@base("rmfield")
def rmfield(S, field):
    if not (isinstance(S, Struct) or type(S).__name__ == "StructArr"):
        raise fail("Input must be a structure.", "MATLAB:rmfield:InvalidInput")
    drop = [_field_name(n) for n in text_items(field)]
    for name in drop:
        if name not in S.fields:
            raise fail(f"A field named '{name}' doesn't exist.", "MATLAB:rmfield:InvalidFieldname")
    if isinstance(S, Struct):
        return Struct({k: v for k, v in S.fields.items() if k not in drop})
    items = [Struct({k: v for k, v in s.fields.items() if k not in drop}) for s in S.items()]
    return type(S)(_objects(items, S.a.shape), fields=[f for f in S.fields if f not in drop])


def _objects(items, shape):
    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return arr.reshape(shape, order="F")


@base("orderfields", outputs=("S", "perm"), nargout_aware=True)
def orderfields(S, order=None, *, nargout=1):
    """Fields in ASCII order (uppercase before lowercase), or in the order of a cell array of names, of
    another struct's fields, or of a permutation vector; ``[S, perm] = orderfields(...)``."""
    names = list(S.fields)
    if order is None:
        new = sorted(names)
    elif isinstance(order, Struct):
        new = list(order.fields)
    elif isinstance(order, (Cell, StrArr)):
        new = text_items(order)
    else:
        new = [names[integer(p) - 1] for p in numeric(order).reshape(-1)]
    if sorted(new) != sorted(names):
        raise fail("The second input must contain the same fields as the first.", "MATLAB:orderfields:InvalidOrder")
    perm = np.array([[names.index(n) + 1.0] for n in new]).reshape(-1, 1)
    if isinstance(S, Struct):
        out = Struct({n: S.fields[n] for n in new})
    else:
        items = [Struct({n: s.fields[n] for n in new}) for s in S.items()]
        out = type(S)(_objects(items, S.a.shape), fields=new)
    return outputs([out, perm], nargout)


@base("struct2cell")
def struct2cell(S):
    """The field values of a scalar struct as an n-by-1 cell (n fields)."""
    if isinstance(S, Struct):
        return Cell.column(list(S.fields.values()))
    if type(S).__name__ == "StructArr":
        items = S.items()
        arr = np.empty((len(S.fields), len(items)), dtype=object)
        for j, s in enumerate(items):
            for i, f in enumerate(S.fields):
                arr[i, j] = s.fields[f]
        return Cell(arr.reshape((len(S.fields),) + S.a.shape, order="F") if S.a.shape[0] != 1 else
                    arr.reshape((len(S.fields), 1, len(items))))
    raise fail("Input must be a structure.", "MATLAB:struct2cell:InvalidInput")


@base("cell2struct")
def cell2struct(C, fields, dim=1):
    """``cell2struct(C, fields, dim)``: along dimension dim of C, the cells are the fields (in order);
    the other dimension gives the struct array's elements (one element: a scalar struct)."""
    if not isinstance(C, Cell):
        raise fail("Input must be a cell array.", "MATLAB:cell2struct:ArgumentMustBeCell")
    names = [_field_name(n) for n in text_items(fields)]
    d = integer(dim, "a dimension")
    a = C.a if C.a.ndim == 2 else C.a.reshape(C.a.shape[0], -1)
    if d == 2:
        a = a.T
    elif d != 1:
        raise fail("cell2struct along a dimension above 2 is not supported.", "layergraph:cell2structDim")
    if a.shape[0] != len(names):
        raise fail("Number of field names must match number of fields in new structure.",
                   "MATLAB:cell2struct:ArgumentMismatch")
    items = [Struct({n: a[i, j] for i, n in enumerate(names)}) for j in range(a.shape[1])]
    if len(items) == 1:
        return items[0]
    return struct_array(items, (len(items), 1))


# ---- functions as values --------------------------------------------------------------------------------


@base("deal", outputs=("varargout",), nargout_aware=True)
def deal(*args, nargout=1):
    """``[a, b] = deal(x)`` copies x; ``[a, b] = deal(x, y)`` distributes."""
    n = max(nargout, 1)
    if len(args) == 1:
        return args[0] if n == 1 else tuple([args[0]] * n)
    if len(args) != n:
        raise fail("The number of outputs should match the number of inputs.", "MATLAB:deal:narginNargoutMismatch")
    return args[0] if n == 1 else tuple(args)


@base("feval", outputs=("varargout",), nargout_aware=True)
def feval(f, *args, nargout=1):
    """Call a function handle or a function named by text (``feval('sum', [1 2])``)."""
    from ._core import call

    if not isinstance(f, (str, FuncHandle)) and not callable(f):
        raise fail("Argument must contain a character vector or function handle.", "MATLAB:feval:ArgNotAFunction")
    return call(f, *args, nargout=nargout)


@base("func2str")
def func2str(f):
    """``func2str(@sin)`` is 'sin'; an anonymous function gives its text, '@(x) ...'."""
    if isinstance(f, FuncHandle):
        if f.name is not None:
            return str(f.name)
        return str(f.text)
    text = getattr(f, "matlab_text", None)
    if text:
        return str(text)
    raise fail("Input must be a function handle.", "MATLAB:func2str:InputNotFunctionHandle")


@base("str2func")
def str2func(text):
    """A handle from text: a function name (``'sin'``, ``'@sin'``) or an anonymous function
    (``'@(x) x.^2'``), parsed with layergraph's MATLAB parser (never evaluated as Python). As in MATLAB, an
    anonymous function made this way sees no workspace variables."""
    if not isinstance(text, str):
        raise fail("Input must be a character vector or string scalar.", "MATLAB:str2func:InvalidInput")
    s = str(text).strip()
    from ._core import CONTEXT

    ctx = CONTEXT.get()
    interp = ctx[0] if ctx is not None else None
    if not s.startswith("@("):
        name = s[1:].strip() if s.startswith("@") else s
        if not name.replace(".", "_").isidentifier():
            raise fail(f"Invalid function name '{name}'.", "MATLAB:str2func:InvalidFunctionName")
        return FuncHandle(name=name, interp=interp, text="@" + name)
    from ..source import parse_source

    src = parse_source("__str2func__ = " + s + ";\n", "<str2func>")
    if src.syntax_errors:
        raise fail(f"Invalid expression '{s}'.", "MATLAB:str2func:InvalidExpression")
    node = _find_lambda(src.root)
    if node is None:
        raise fail(f"Invalid expression '{s}'.", "MATLAB:str2func:InvalidExpression")
    params = []
    for k in node.kids:
        if k.t == "arguments":
            params = [a.v for a in k.kids]
    body = node.f.get("expression")
    return FuncHandle(params=params, body=body, env={}, interp=interp, text=node.v or s)


def _find_lambda(node):
    if node.t == "lambda":
        return node
    for k in node.kids:
        found = _find_lambda(k)
        if found is not None:
            return found
    for k in getattr(node, "f", {}).values():
        if hasattr(k, "t"):
            found = _find_lambda(k)
            if found is not None:
                return found
    return None
