"""Array creation, size queries and rearrangement: zeros/ones/eye/NaN/Inf/true/false, linspace, colon,
meshgrid/ndgrid, repmat, reshape, permute, squeeze, circshift, flip/fliplr/flipud, rot90, diag, tril/triu,
kron; size/numel/length/ndims/isempty/isscalar/isvector/isrow/iscolumn/ismatrix.

Every function is MATLAB's (R2024b documentation); arrays keep MATLAB's shape (>= 2 dimensions,
trailing singleton dimensions beyond the second dropped) and class.
"""

from __future__ import annotations

import numpy as np

from ..values import Cell, LayerArr, StrArr
from ._core import (INTEGER_CLASSES, NUMERIC_CLASSES, base, check_elements, class_of, drop_trailing, fail,
                    first_nonsingleton, integer, nargs, numeric, outputs, pad_dims, scalar, shape_of, to_class)

# ---- sizes and classes of creation functions -----------------------------------------------------------


def _class_arg(args, default="double"):
    """(remaining args, MATLAB class) from trailing 'double'/'single'/'int8'/.../'logical' or 'like', p."""
    args = list(args)
    cls = default
    if len(args) >= 2 and isinstance(args[-2], str) and str(args[-2]).lower() == "like":
        cls = class_of(args[-1])
        args = args[:-2]
    elif args and isinstance(args[-1], str):
        cls = str(args[-1])
        args = args[:-1]
        if cls not in NUMERIC_CLASSES and cls != "logical":
            raise fail(f"Invalid data type '{cls}'. Must be a numeric or logical class name.", "MATLAB:invalidClass")
    return args, cls


def dims(args, name: str) -> tuple:
    """MATLAB's size arguments: () -> 1x1, (n) -> nxn, (m, n, ...) or ([m n ...]); negatives count as 0."""
    if not args:
        return (1, 1)
    if len(args) == 1:
        a = numeric(args[0])
        if a.size == 1:
            n = _size_int(a)
            shape = (max(n, 0), max(n, 0))
            check_elements(shape, name)
            return shape
        if a.size == 0:
            raise fail("Size vector must have at least two elements.", "MATLAB:checkDimCommon:tooFewDims")
        shape = [_size_int(x) for x in a.reshape(-1)]
    else:
        shape = []
        for x in args:
            a = numeric(x)
            if a.size != 1:
                raise fail("Size inputs must be scalar.", "MATLAB:NonScalarInput")
            shape.append(_size_int(a))
    shape = [max(d, 0) for d in shape]
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    check_elements(shape, name)
    return tuple(shape)


def _size_int(a) -> int:
    x = float(np.asarray(a).reshape(-1)[0])
    if not np.isfinite(x) or x != int(x):
        raise fail("Size inputs must be integers.", "MATLAB:NonIntegerInput")
    return int(x)


def _filled(value, args, name, default="double"):
    args, cls = _class_arg(args, default)
    shape = dims(args, name)
    if cls == "logical":
        return np.full(shape, bool(value))
    if cls in INTEGER_CLASSES:
        return to_class(np.full(shape, value, dtype=np.float64), cls)
    return np.full(shape, value, dtype=NUMERIC_CLASSES[cls])


@base("zeros")
def zeros(*args):
    """``zeros(n)``, ``zeros(m,n,...)``, ``zeros(sz)``, ``zeros(..., 'single')``, ``zeros(..., 'like', p)``."""
    return _filled(0, args, "zeros")


@base("ones")
def ones(*args):
    return _filled(1, args, "ones")


@base("NaN")
def nan_(*args):
    args, cls = _class_arg(args)
    if cls not in ("double", "single"):
        raise fail("Class name must be 'double' or 'single'.", "MATLAB:NaN:invalidClassName")
    return _filled(np.nan, list(args) + [cls], "NaN")


@base("nan")
def nan_lower(*args):
    return nan_(*args)


@base("Inf")
def inf_(*args):
    args, cls = _class_arg(args)
    if cls not in ("double", "single"):
        raise fail("Class name must be 'double' or 'single'.", "MATLAB:Inf:invalidClassName")
    return _filled(np.inf, list(args) + [cls], "Inf")


@base("inf")
def inf_lower(*args):
    return inf_(*args)


@base("pi")
def pi_(*args):
    return _filled(np.pi, args, "pi")


@base("eps")
def eps(*args):
    """``eps`` (2^-52), ``eps(x)`` (spacing at x), ``eps('single')``."""
    if len(args) == 1 and not isinstance(args[0], str):
        a = numeric(args[0])
        if a.dtype == np.float32:
            return np.spacing(np.abs(a)).astype(np.float32)
        return np.spacing(np.abs(a.astype(np.float64)))
    args, cls = _class_arg(args)
    value = np.finfo(np.float32 if cls == "single" else np.float64).eps
    return _filled(value, list(args) + [cls], "eps")


@base("realmax")
def realmax(*args):
    args, cls = _class_arg(args)
    return _filled(np.finfo(np.float32 if cls == "single" else np.float64).max, list(args) + [cls], "realmax")


@base("realmin")
def realmin(*args):
    args, cls = _class_arg(args)
    return _filled(np.finfo(np.float32 if cls == "single" else np.float64).tiny, list(args) + [cls], "realmin")


@base("intmax")
def intmax(cls="int32"):
    """``intmax`` is int32 2147483647; ``intmax('uint8')`` is uint8 255."""
    cls = class_of(cls) if not isinstance(cls, str) else str(cls)
    if cls not in INTEGER_CLASSES:
        raise fail("Invalid class name.", "MATLAB:intmax:invalidClassName")
    t = INTEGER_CLASSES[cls]
    return np.array([[np.iinfo(t).max]], dtype=t)


@base("intmin")
def intmin(cls="int32"):
    cls = class_of(cls) if not isinstance(cls, str) else str(cls)
    if cls not in INTEGER_CLASSES:
        raise fail("Invalid class name.", "MATLAB:intmin:invalidClassName")
    t = INTEGER_CLASSES[cls]
    return np.array([[np.iinfo(t).min]], dtype=t)


@base("true")
def true_(*args):
    return np.full(dims(args, "true"), True)


@base("false")
def false_(*args):
    return np.full(dims(args, "false"), False)


@base("eye")
def eye(*args):
    args, cls = _class_arg(args)
    shape = dims(args, "eye")
    if len(shape) > 2:
        raise fail("N-dimensional arrays are not supported.", "MATLAB:eye:NonScalar")
    out = np.eye(shape[0], shape[1])
    return out != 0 if cls == "logical" else to_class(out, cls)


@base("linspace")
def linspace(x1, x2, n=100):
    """``linspace(x1, x2, n)``: n points (default 100); n < 2 gives x2 (MATLAB's rule)."""
    a, b = scalar(x1), scalar(x2)
    n = int(np.floor(scalar(n)))
    if n < 1:
        return np.zeros((1, 0))
    if n == 1:
        return np.array([[b]])
    check_elements(n, "linspace")
    out = a + (b - a) * np.arange(n) / (n - 1)
    out[-1] = b
    return out.reshape(1, -1)


@base("colon")
def colon(j, i, k=None):
    """``colon(j,k)`` is ``j:k``; ``colon(j,i,k)`` is ``j:i:k`` (a row; empty when it cannot step to k)."""
    if k is None:
        start, step, stop = scalar(j), 1.0, scalar(i)
    else:
        start, step, stop = scalar(j), scalar(i), scalar(k)
    if step == 0 or np.isnan(step) or np.isnan(start) or np.isnan(stop) or (step > 0 and start > stop) or \
            (step < 0 and start < stop):
        return np.zeros((1, 0))
    n = (stop - start) / step
    if not np.isfinite(n):
        raise fail("Maximum variable size allowed by the program is exceeded.", "MATLAB:pmaxsize")
    count = int(np.floor(n + 1e-10)) + 1
    check_elements(count, "colon")
    return (start + step * np.arange(count, dtype=np.float64)).reshape(1, -1)


@base("meshgrid", outputs=("X", "Y", "Z"), nargout_aware=True)
def meshgrid(x, y=None, z=None, *, nargout=1):
    """``[X,Y] = meshgrid(x,y)``: X repeats x as rows, Y repeats y as columns (size numel(y) x numel(x))."""
    xv = numeric(x).reshape(-1, order="F")
    yv = xv if y is None else numeric(y).reshape(-1, order="F")
    if z is None and nargout <= 2:
        X = np.tile(xv.reshape(1, -1), (yv.size, 1))
        Y = np.tile(yv.reshape(-1, 1), (1, xv.size))
        return outputs([X, Y], nargout)
    zv = xv if z is None else numeric(z).reshape(-1, order="F")
    Y, X, Z = np.meshgrid(yv, xv, zv, indexing="ij")
    return outputs([X.transpose(1, 0, 2), Y.transpose(1, 0, 2), Z.transpose(1, 0, 2)], nargout)


@base("ndgrid", outputs=("X1", "X2", "X3"), nargout_aware=True)
def ndgrid(*vectors, nargout=1):
    """``[X1,X2,...] = ndgrid(x1,x2,...)``: Xk varies along dimension k (``ndgrid(x)`` is ``ndgrid(x,x)``)."""
    if not vectors:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    k = max(nargout, 1)
    vs = [numeric(v).reshape(-1, order="F") for v in vectors]
    if len(vs) == 1:
        vs = vs * max(k, 2)
    grids = np.meshgrid(*vs, indexing="ij")
    grids = [g if g.ndim >= 2 else g.reshape(-1, 1) for g in grids]
    return outputs(grids, nargout)


def _object_array(v):
    return isinstance(v, (Cell, StrArr, LayerArr)) or type(v).__name__ == "StructArr"


@base("repmat")
def repmat(A, *reps):
    """``repmat(A, n)``, ``repmat(A, m, n, ...)``, ``repmat(A, [m n ...])`` (also cells and string arrays)."""
    if not reps:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    from ...layers.base import Layer

    if isinstance(A, Layer):
        A = LayerArr.row([A])
    r = dims(reps, "repmat")
    check_elements(int(np.prod(shape_of(A))) * int(np.prod(r)), "repmat")
    if isinstance(A, str) and not isinstance(A, StrArr) and type(A).__name__ == "str":
        if r[0] != 1 or len(r) > 2:
            raise fail("Char matrices are not supported; use a cell array of character vectors.",
                       "layergraph:charMatrix")
        return A * r[1]
    if _object_array(A):
        return type(A)(np.tile(A.a, r))
    if isinstance(A, str):   # string scalar
        arr = np.empty(r, dtype=object)
        arr.fill(A)
        return StrArr(arr)
    a = numeric(A)
    nd = max(a.ndim, len(r))
    out = np.tile(pad_dims(a, nd), tuple(r) + (1,) * (nd - len(r)))
    return drop_trailing(out)


def _array(A):
    if _object_array(A):
        return A.a, type(A)
    if isinstance(A, str) and type(A) is str:
        return np.array([[c for c in A]], dtype=object).reshape(1, len(A)) if A else np.empty((0, 0), dtype=object), str
    return numeric(A), None


def _wrap(a, kind):
    if kind is None:
        return a
    if kind is str:
        if a.ndim != 2 or (a.shape[0] > 1 and a.shape[1] > 0):
            if a.size == 0:
                return ""
            if a.shape[1] == 1 and a.ndim == 2:
                raise fail("Char column vectors are not supported; use a row of text.", "layergraph:charMatrix")
            raise fail("Char matrices are not supported; use a cell array of character vectors.",
                       "layergraph:charMatrix")
        return "".join(a.reshape(-1))
    if type(kind).__name__ == "type" and kind.__name__ == "StructArr" and a.size == 1:
        return a.flat[0]
    return kind(a)


@base("reshape")
def reshape(A, *sz):
    """``reshape(A, m, n, ...)`` / ``reshape(A, [m n ...])`` in column-major order; one size may be ``[]``."""
    if not sz:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    a, kind = _array(A)
    if len(sz) == 1:
        v = numeric(sz[0])
        if v.size < 2:
            raise fail("Size vector must have at least two elements.", "MATLAB:getReshapeDims:sizeVector")
        shape = [int(x) for x in v.reshape(-1)]
    else:
        shape, free = [], None
        for i, s in enumerate(sz):
            v = numeric(s)
            if v.size == 0:
                if free is not None:
                    raise fail("Size can only have one unknown dimension.", "MATLAB:getReshapeDims:unknownDim")
                free = i
                shape.append(-1)
            else:
                shape.append(integer(v, "a size"))
        if free is not None:
            known = int(np.prod([d for d in shape if d != -1]))
            if known == 0 or a.size % known:
                raise fail(f"Product of known dimensions, {known}, not divisible into total number of elements, "
                           f"{a.size}.", "MATLAB:getReshapeDims:notDivisible")
            shape[free] = a.size // known
    if int(np.prod(shape)) != a.size:
        raise fail("Number of elements must not change. Use [] as one of the size inputs to automatically "
                   "calculate the appropriate size for that dimension.", "MATLAB:getReshapeDims:notSameNumel")
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    return _wrap(a.reshape(shape, order="F"), kind)


@base("permute")
def permute(A, order):
    """``permute(A, dimorder)``: dimension k of the result is dimension dimorder(k) of A."""
    a, kind = _array(A)
    perm = [integer(x) - 1 for x in numeric(order).reshape(-1)]
    if sorted(perm) != list(range(len(perm))) or len(perm) < a.ndim:
        raise fail("ORDER must have at least N elements for an N-D array.", "MATLAB:permute:tooFewIndices") \
            if len(perm) < a.ndim else fail("ORDER contains an invalid permutation index.",
                                            "MATLAB:permute:badIndex")
    return _wrap(drop_trailing(pad_dims(a, len(perm)).transpose(perm)), kind)


@base("ipermute")
def ipermute(A, order):
    perm = [integer(x) for x in numeric(order).reshape(-1)]
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p - 1] = i + 1
    return permute(A, np.array([inverse], dtype=float))


@base("squeeze")
def squeeze(A):
    """Remove dimensions of length 1 (a 2-D array is returned unchanged; a 1x1xN becomes Nx1)."""
    a, kind = _array(A)
    if a.ndim <= 2:
        return A
    shape = [d for d in a.shape if d != 1]
    if len(shape) < 2:
        shape = (shape + [1, 1])[:2] if shape else [1, 1]
    return _wrap(a.reshape(shape, order="F"), kind)


@base("circshift")
def circshift(A, K, dim=None):
    """``circshift(A, K)`` shifts along the first non-singleton dimension (K a vector: one per dimension);
    ``circshift(A, K, dim)``."""
    a, kind = _array(A)
    k = numeric(K).reshape(-1)
    if dim is not None:
        d = integer(dim) - 1
        a2 = pad_dims(a, d + 1)
        return _wrap(drop_trailing(np.roll(a2, int(k[0]), axis=d)), kind)
    if k.size == 1:
        d = first_nonsingleton(a.shape)
        return _wrap(np.roll(a, int(k[0]), axis=d), kind)
    a2 = pad_dims(a, k.size)
    for d, s in enumerate(k):
        a2 = np.roll(a2, int(s), axis=d)
    return _wrap(drop_trailing(a2), kind)


@base("flip")
def flip(A, dim=None):
    """``flip(A)`` reverses along the first non-singleton dimension; ``flip(A, dim)``; text reverses."""
    a, kind = _array(A)
    d = first_nonsingleton(a.shape) if dim is None else integer(dim) - 1
    if d >= a.ndim:
        return A
    return _wrap(np.flip(a, axis=d).copy(), kind)


@base("fliplr")
def fliplr(A):
    a, kind = _array(A)
    return _wrap(a[:, ::-1].copy(), kind)


@base("flipud")
def flipud(A):
    a, kind = _array(A)
    return _wrap(a[::-1].copy(), kind)


@base("rot90")
def rot90(A, k=1):
    """Rotate counterclockwise by k*90 degrees (``rot90([1 2;3 4])`` is ``[2 4;1 3]``)."""
    a, kind = _array(A)
    return _wrap(np.rot90(a, integer(k) % 4, axes=(0, 1)).copy(), kind)


@base("diag")
def diag(v, k=0):
    """``diag(v)`` puts a vector on diagonal k; ``diag(A)`` is the k-th diagonal of a matrix as a column."""
    a = numeric(v)
    k = integer(k)
    if a.ndim != 2:
        raise fail("First input must be 2-D.", "MATLAB:diag:firstInputMustBe2D")
    if a.shape[0] == 1 or a.shape[1] == 1:
        return np.diag(a.reshape(-1), k)
    return np.diag(a, k).reshape(-1, 1)


@base("tril")
def tril(A, k=0):
    return np.tril(numeric(A), integer(k))


@base("triu")
def triu(A, k=0):
    return np.triu(numeric(A), integer(k))


@base("kron")
def kron(A, B):
    return np.kron(numeric(A), numeric(B))


# ---- size queries --------------------------------------------------------------------------------


@base("size", outputs=("sz",), nargout_aware=True)
def size(A, *dim, nargout=1):
    """``sz = size(A)``, ``size(A, dim)`` (dims beyond ndims are 1; a vector of dims), ``[m, n] = size(A)``
    (the last output is the product of the remaining dimensions)."""
    shape = list(shape_of(A))
    if dim:
        ds = [integer(x) for d in dim for x in numeric(d).reshape(-1)]
        if any(d < 1 for d in ds):
            raise fail("Dimension argument must be a positive integer scalar or a vector of unique positive "
                       "integers.", "MATLAB:getdimarg:invalidDim")
        vals = [float(shape[d - 1]) if d <= len(shape) else 1.0 for d in ds]
        if nargout <= 1:
            return np.array([vals])
        return outputs([np.array([[v]]) for v in vals], nargout)
    if nargout <= 1:
        return np.array([shape], dtype=float)
    out = [np.array([[float(s)]]) for s in shape[: nargout - 1]]
    while len(out) < nargout - 1:
        out.append(np.array([[1.0]]))
    rest = shape[nargout - 1:]
    out.append(np.array([[float(np.prod(rest)) if rest else 1.0]]))
    return tuple(out)


@base("numel")
def numel(A):
    return np.array([[float(np.prod(shape_of(A)))]])


@base("length")
def length(A):
    """The largest dimension, 0 for an empty array."""
    s = shape_of(A)
    return np.array([[0.0 if 0 in s else float(max(s))]])


@base("ndims")
def ndims(A):
    return np.array([[float(len(shape_of(A)))]])


@base("isempty")
def isempty(A):
    return np.array([[0 in shape_of(A)]])


@base("isscalar")
def isscalar(A):
    return np.array([[int(np.prod(shape_of(A))) == 1]])


@base("isvector")
def isvector(A):
    s = shape_of(A)
    return np.array([[len(s) == 2 and (s[0] == 1 or s[1] == 1)]])


@base("isrow")
def isrow(A):
    s = shape_of(A)
    return np.array([[len(s) == 2 and s[0] == 1]])


@base("iscolumn")
def iscolumn(A):
    s = shape_of(A)
    return np.array([[len(s) == 2 and s[1] == 1]])


@base("ismatrix")
def ismatrix(A):
    return np.array([[len(shape_of(A)) == 2]])


@base("issquare")
def issquare(A):
    s = shape_of(A)
    return np.array([[len(s) == 2 and s[0] == s[1]]])
