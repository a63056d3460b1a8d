"""Element-wise math and reductions with MATLAB's rules: abs/sqrt/exp/log..., floor/ceil/fix/round
(half away from zero, ``round(x, n)``), mod/rem, sign, power, hypot; sum/prod/mean/median/mode/std/var/
max/min/any/all/cumsum/cumprod/nnz (first non-singleton dimension by default, ``dim``, ``vecdim``,
``'all'``, ``'omitnan'``, ``[M, I] = max(...)``), find, sort, sortrows, histcounts, accumarray, diff, dot,
norm, isnan/isinf/isfinite/isreal.

The numeric functions also take torch tensors (MATLAB layout, as the custom-layer translator and custom
training loops hold them): their torch implementations below are overloads for ``torch.Tensor`` under
the project's one class-dispatch rule (:func:`layergraph.functions.matlab_overload`); dlarrays take
dlarray's methods (:mod:`layergraph.dl.methods`) by the same rule.
"""

from __future__ import annotations

import numpy as np

from ._core import (base, check_elements, class_of, drop_trailing, fail, first_nonsingleton, flag, floating,
                    integer, like, nargs, numeric, outputs, pad_dims, scalar, tensor_implementation, to_class,
                    without_flags)

# ---- element-wise ------------------------------------------------------------------------------------

_FLOAT_ONLY = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "expm1": np.expm1, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh,
}


def _elementwise(name, fn):
    def run(X):
        a = numeric(X)
        if a.dtype.kind in "iu":
            raise fail(f"Check for incorrect argument data type or missing argument in call to function '{name}'.",
                       "MATLAB:UndefinedFunction")
        with np.errstate(all="ignore"):
            out = fn(floating(a))
        if np.iscomplexobj(out) or (name in ("sqrt", "log", "log2", "log10") and np.any(a < 0)):
            raise fail(f"{name} of a negative number gives a complex result, which layergraph does not model.",
                       "layergraph:complex")
        return out

    run.__name__ = name
    run.__doc__ = f"MATLAB ``{name}(X)``, element-wise (double or single; integers are refused as in MATLAB)."
    return run


for _name, _fn in _FLOAT_ONLY.items():
    base(_name)(_elementwise(_name, _fn))


@base("abs")
def abs_(X):
    a = numeric(X)
    if a.dtype == bool:
        return a.astype(np.float64)
    if a.dtype.kind == "i":
        return to_class(np.abs(a.astype(np.float64)), class_of(a))   # abs(int8(-128)) saturates to 127
    return np.abs(a)


def _rounding(name, fn):
    def run(X):
        a = numeric(X)
        if a.dtype.kind in "iu":
            return a
        return fn(floating(a))

    run.__name__ = name
    return run


base("floor")(_rounding("floor", np.floor))
base("ceil")(_rounding("ceil", np.ceil))
base("fix")(_rounding("fix", np.trunc))


@base("round")
def round_(X, n=None, how=None):
    """Round half away from zero; ``round(X, n)`` to n decimals (n < 0: left of the point);
    ``round(X, n, 'significant')``."""
    a = numeric(X)
    if a.dtype.kind in "iub" and n is None:
        return a if a.dtype != bool else a.astype(np.float64)
    x = floating(a)
    if n is None:
        return np.sign(x) * np.floor(np.abs(x) + 0.5)
    digits = integer(n, "the number of digits")
    if how is not None and str(how).lower() == "significant":
        with np.errstate(all="ignore"):
            mag = np.where(x == 0, 0, np.floor(np.log10(np.abs(np.where(x == 0, 1, x)))))
        digits = digits - 1 - mag
        f = 10.0 ** digits
        return np.where(x == 0, 0.0, np.sign(x) * np.floor(np.abs(x) * f + 0.5) / f).astype(x.dtype)
    f = 10.0 ** digits
    return (np.sign(x) * np.floor(np.abs(x) * f + 0.5) / f).astype(x.dtype)


@base("sign")
def sign(X):
    a = numeric(X)
    return like(np.sign(floating(a)), a)


def _binary_operands(A, B):
    a, b = numeric(A), numeric(B)
    nd = max(a.ndim, b.ndim)
    a, b = pad_dims(a, nd), pad_dims(b, nd)
    for x, y in zip(a.shape, b.shape):
        if x != y and x != 1 and y != 1:
            raise fail("Arrays have incompatible sizes for this operation.", "MATLAB:sizeDimensionsMustMatch")
    return a, b


def _result_class(a, b):
    for x in (a, b):
        if x.dtype.kind in "iu":
            return class_of(x)
    if a.dtype == np.float32 or b.dtype == np.float32:
        return "single"
    return "double"


@base("mod")
def mod(A, B):
    """``mod(a, m) = a - floor(a./m).*m`` (sign of m); ``mod(a, 0) = a``."""
    a, b = _binary_operands(A, B)
    x, m = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        r = np.where(m == 0, x, x - np.floor(x / np.where(m == 0, 1, m)) * m)
        # exact multiples give 0 (floating error can leave m)
        r = np.where((m != 0) & np.isclose(r, m, rtol=0, atol=0), 0.0, r)
    return to_class(r, _result_class(a, b))


@base("rem")
def rem(A, B):
    """``rem(a, b) = a - fix(a./b).*b`` (sign of a); ``rem(a, 0)`` is NaN for floating point."""
    a, b = _binary_operands(A, B)
    x, m = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        r = np.where(m == 0, np.nan if _result_class(a, b) in ("double", "single") else x,
                     x - np.trunc(x / np.where(m == 0, 1, m)) * m)
    return to_class(r, _result_class(a, b))


@base("hypot")
def hypot(A, B):
    a, b = _binary_operands(A, B)
    return to_class(np.hypot(a.astype(np.float64), b.astype(np.float64)), _result_class(a, b))


def _predicate(name, fn):
    def run(X):
        a = numeric(X)
        if a.dtype.kind in "iub":
            return np.full(a.shape, name == "isfinite")
        return fn(a)

    run.__name__ = name
    return run


base("isnan")(_predicate("isnan", np.isnan))
base("isinf")(_predicate("isinf", np.isinf))
base("isfinite")(_predicate("isfinite", np.isfinite))


@base("isreal")
def isreal(X):
    """True for every real value (layergraph has no complex numbers; cells and structs are not real)."""
    from ..values import Cell, Struct

    return np.array([[not isinstance(X, (Cell, Struct))]])


# ---- reductions --------------------------------------------------------------------------------------

_NANFLAGS = ("omitnan", "includenan", "omitmissing", "includemissing")
_OUTTYPES = ("double", "native", "default")


class _Reduction:
    """Parsed ``f(A, dim|vecdim|'all', outtype, nanflag)``."""

    def __init__(self, A, args, name, start=0):
        self.a = numeric(A)
        args = list(args[start:])
        self.omit = flag(args, *_NANFLAGS) in ("omitnan", "omitmissing")
        self.outtype = flag(args, *_OUTTYPES) or "default"
        self.all = flag(args, "all") is not None
        rest = without_flags(args, *_NANFLAGS, *_OUTTYPES, "all")
        self.axes = None
        if rest:
            d = numeric(rest[0]).reshape(-1)
            if d.size == 0:
                self.axes = None
            else:
                if np.any(d < 1) or np.any(d != np.floor(d)):
                    raise fail("Dimension argument must be a positive integer scalar or a vector of unique "
                               "positive integers.", "MATLAB:getdimarg:invalidDim")
                self.axes = sorted({int(x) - 1 for x in d})
        self.name = name

    def shaped(self, ordered: bool = False):
        """(array, axes): 'all' flattens to a column (column-major when ``ordered``: linear indices); the
        default is the first non-singleton dimension."""
        a = self.a
        if self.all:
            return (a.reshape(-1, 1, order="F") if ordered else a.reshape(-1, 1)), [0]
        if self.axes is None:
            return a, [first_nonsingleton(a.shape)]
        nd = max(a.ndim, max(self.axes) + 1)
        return pad_dims(a, nd), self.axes

    def empty_matrix(self):
        """``f([])`` with no dimension: MATLAB's special case of the 0x0 empty matrix."""
        return self.a.shape == (0, 0) and self.axes is None and not self.all


def _finish(out):
    return drop_trailing(out)


def _sum_like(name, fn, nanfn, empty_value):
    def run(A, *args):
        r = _Reduction(A, args, name)
        a, axes = r.shaped()
        x = a.astype(np.float64, copy=False) if a.dtype != np.float32 or r.outtype == "double" else a
        if r.empty_matrix():
            out = np.array([[empty_value]])
        else:
            with np.errstate(all="ignore"):
                out = (nanfn if r.omit else fn)(x, axis=tuple(axes), keepdims=True)
            out = _finish(out)
        if r.outtype == "native":
            return to_class(out, class_of(r.a)) if r.a.dtype != bool else out != 0
        if r.a.dtype == np.float32 and r.outtype == "default":
            return out.astype(np.float32, copy=False)
        return out.astype(np.float64, copy=False)

    run.__name__ = name
    return run


sum_ = base("sum")(_sum_like("sum", np.sum, np.nansum, 0.0))
prod = base("prod")(_sum_like("prod", np.prod, np.nanprod, 1.0))


@base("mean")
def mean(A, *args):
    """Mean along the first non-singleton dimension; ``mean([])`` is NaN; ``'omitnan'``; integers give double."""
    r = _Reduction(A, args, "mean")
    a, axes = r.shaped()
    x = a.astype(np.float32 if a.dtype == np.float32 else np.float64, copy=False)
    if r.empty_matrix():
        out = np.array([[np.nan]])
    else:
        with np.errstate(all="ignore"):
            if r.omit:
                count = np.sum(~np.isnan(x), axis=tuple(axes), keepdims=True)
                total = np.nansum(x, axis=tuple(axes), keepdims=True)
                out = total / count
            else:
                n = int(np.prod([x.shape[i] for i in axes]))
                out = np.sum(x, axis=tuple(axes), keepdims=True) / n if n else \
                    np.full(np.sum(x, axis=tuple(axes), keepdims=True).shape, np.nan)
        out = _finish(out).astype(x.dtype, copy=False)
    if r.outtype == "native":
        return to_class(out, class_of(r.a))
    return out


@base("median")
def median(A, *args):
    """Median along the first non-singleton dimension; NaN if the slice has a NaN (unless 'omitnan')."""
    r = _Reduction(A, args, "median")
    a, axes = r.shaped()
    x = a.astype(np.float32 if a.dtype == np.float32 else np.float64)
    if r.empty_matrix():
        return np.array([[np.nan]], dtype=x.dtype)
    with np.errstate(all="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        if any(x.shape[i] == 0 for i in axes):
            shape = list(x.shape)
            for i in axes:
                shape[i] = 1
            return _finish(np.full(shape, np.nan, dtype=x.dtype))
        out = (np.nanmedian if r.omit else np.median)(x, axis=tuple(axes), keepdims=True)
    return _finish(out).astype(x.dtype)


@base("mode", outputs=("M", "F"), nargout_aware=True)
def mode(A, *args, nargout=1):
    """Most frequent value (the smallest of equally frequent ones) along the first non-singleton
    dimension; ``[M, F] = mode(...)`` also gives the count. ``mode([])`` is NaN."""
    r = _Reduction(A, args, "mode")
    a, axes = r.shaped()
    if r.empty_matrix():
        return outputs([np.array([[np.nan]]), np.array([[0.0]])], nargout)
    if len(axes) != 1:
        a = np.moveaxis(a, axes, list(range(a.ndim - len(axes), a.ndim)))
        shape = a.shape[: a.ndim - len(axes)]
        flat = a.reshape(shape + (-1,))
        axis = flat.ndim - 1
    else:
        flat, axis = a, axes[0]
    moved = np.moveaxis(flat, axis, -1)
    out_shape = moved.shape[:-1]
    M = np.empty(out_shape, dtype=np.float64)
    F = np.empty(out_shape, dtype=np.float64)
    for idx in np.ndindex(out_shape):
        v = moved[idx].astype(np.float64)
        v = v[~np.isnan(v)]
        if v.size == 0:
            M[idx], F[idx] = np.nan, 0
            continue
        vals, counts = np.unique(v, return_counts=True)
        k = int(np.argmax(counts))          # first (smallest) value with the highest count
        M[idx], F[idx] = vals[k], counts[k]
    if len(axes) == 1:
        M, F = np.expand_dims(M, axis), np.expand_dims(F, axis)
    else:
        for ax in sorted(axes):
            M, F = np.expand_dims(M, ax), np.expand_dims(F, ax)
    M = _finish(M)
    return outputs([like(M, r.a) if r.a.dtype.kind in "iuf" else M, _finish(F)], nargout)


def _var(A, args, name):
    args = list(args)
    w = 0
    if args and not isinstance(args[0], str):
        wv = numeric(args[0])
        if wv.size == 1:
            w = float(wv.flat[0])
            if w not in (0.0, 1.0):
                raise fail("W must be 0, 1, or a vector of nonnegative weights.", "MATLAB:var:invalidWgts")
        elif wv.size > 1:
            raise fail("Weight vectors are not supported by layergraph's var/std.", "layergraph:varWeights")
        args = args[1:]
    r = _Reduction(A, args, name)
    a, axes = r.shaped()
    x = a.astype(np.float32 if a.dtype == np.float32 else np.float64)
    if r.empty_matrix():
        return np.array([[np.nan]], dtype=x.dtype)
    with np.errstate(all="ignore"), np.testing.suppress_warnings() as sup:
        sup.filter(RuntimeWarning)
        if r.omit:
            n = np.sum(~np.isnan(x), axis=tuple(axes), keepdims=True)
            mu = np.nansum(x, axis=tuple(axes), keepdims=True) / n
            ss = np.nansum((x - mu) ** 2, axis=tuple(axes), keepdims=True)
        else:
            n = np.full(np.sum(x, axis=tuple(axes), keepdims=True).shape,
                        int(np.prod([x.shape[i] for i in axes])))
            mu = np.sum(x, axis=tuple(axes), keepdims=True) / n
            ss = np.sum((x - mu) ** 2, axis=tuple(axes), keepdims=True)
        denom = n if w == 1 else np.where(n == 1, 1, n - 1)
        out = np.where(n == 0, np.nan, ss / denom)
    return _finish(out).astype(x.dtype)


@base("var")
def var(A, *args):
    """Variance normalized by N-1 (``var(A, 1)``: by N; a single observation gives 0)."""
    return _var(A, args, "var")


@base("std")
def std(A, *args):
    """Standard deviation, ``sqrt(var(...))``."""
    return np.sqrt(_var(A, args, "std"))


def _logical_reduction(name, fn, empty_value):
    def run(A, *args):
        r = _Reduction(A, args, name)
        a, axes = r.shaped()
        if r.empty_matrix():
            return np.array([[empty_value]])
        x = a.astype(np.float64)
        return _finish(fn(np.where(np.isnan(x), 1.0, x) != 0, axis=tuple(axes), keepdims=True))

    run.__name__ = name
    return run


base("any")(_logical_reduction("any", np.any, False))
base("all")(_logical_reduction("all", np.all, True))


@base("nnz")
def nnz(X):
    return np.array([[float(np.count_nonzero(numeric(X)))]])


def _cumulative(name, fn, nanfn):
    def run(A, *args):
        a = numeric(A)
        reverse = flag(args, "reverse") is not None
        omit = flag(args, *_NANFLAGS) in ("omitnan", "omitmissing")
        rest = without_flags(args, "reverse", "forward", *_NANFLAGS)
        d = first_nonsingleton(a.shape) if not rest else integer(rest[0], "a dimension") - 1
        if d >= a.ndim:
            return floating(a).copy() if a.dtype.kind != "iu" else a.copy()
        x = a.astype(np.float32 if a.dtype == np.float32 else np.float64)
        if reverse:
            x = np.flip(x, axis=d)
        out = (nanfn if omit else fn)(x, axis=d)
        if reverse:
            out = np.flip(out, axis=d)
        return like(out, a) if a.dtype.kind in "iu" else out

    run.__name__ = name
    return run


base("cumsum")(_cumulative("cumsum", np.cumsum, np.nancumsum))
base("cumprod")(_cumulative("cumprod", np.cumprod, np.nancumprod))


def _minmax(name, pairwise, reduce, argpick):
    def run(A, *args, nargout=1):
        if args and not (isinstance(args[0], np.ndarray) and args[0].size == 0 and args[0].shape == (0, 0)) \
                and not isinstance(args[0], str):
            # max(A, B): element-wise with implicit expansion, NaN ignored
            if nargout > 1:
                raise fail(f"{name} with two matrices to compare and two output arguments is not supported.",
                           f"MATLAB:{name}:TwoInTwoOutCaseNotSupported")
            a, b = _binary_operands(A, args[0])
            out = pairwise(a.astype(np.float64), b.astype(np.float64))
            return to_class(out, _result_class(a, b)) if _result_class(a, b) != "double" or \
                a.dtype == bool and b.dtype == bool else out
        r = _Reduction(A, args, name, start=1)
        a = r.a
        if a.size == 0 and (r.empty_matrix() or r.all):
            return outputs([np.zeros((0, 0), dtype=a.dtype if a.dtype != bool else np.float64),
                            np.zeros((0, 0))], max(nargout, 1)) if nargout > 1 else \
                np.zeros((0, 0), dtype=a.dtype if a.dtype != bool else np.float64)
        x, axes = r.shaped(ordered=nargout > 1)
        if len(axes) != 1 and nargout > 1:
            raise fail(f"{name} with a vector of dimensions and two outputs is not supported.",
                       f"MATLAB:{name}:vecdimsWithIndexOutput")
        xf = x.astype(np.float64, copy=False)
        if any(xf.shape[i] == 0 for i in axes) or (len(axes) == 1 and axes[0] >= xf.ndim):
            vals = x if not any(xf.shape[i] == 0 for i in axes) else np.zeros(
                tuple(1 if i in axes else s for i, s in enumerate(xf.shape)))[tuple(
                    slice(0, 0) if i in axes else slice(None) for i in range(xf.ndim))]
            return outputs([vals, np.ones(vals.shape)], nargout) if nargout > 1 else vals
        if len(axes) == 1 and not (x.dtype.kind == "f" and np.isnan(x).any()):
            d = axes[0]
            if nargout > 1:
                idx = np.expand_dims(argpick(x, axis=d), d)
                vals = _finish(np.take_along_axis(x, idx, axis=d))
                index = _finish(idx.astype(np.float64) + 1)
            else:
                vals = _finish((np.max if name == "max" else np.min)(x, axis=d, keepdims=True))
                index = None
        elif len(axes) == 1:
            d = axes[0]
            moved = np.moveaxis(xf, d, -1)
            nanmask = np.isnan(moved)
            filled = np.where(nanmask, -np.inf if name == "max" else np.inf, moved)
            idx = argpick(filled, axis=-1)
            allnan = nanmask.all(axis=-1)
            idx = np.where(allnan, 0, idx)
            vals = np.take_along_axis(moved, idx[..., None], axis=-1)[..., 0]
            vals = np.where(allnan, np.nan, vals)
            vals = _finish(np.expand_dims(vals, d))
            index = _finish(np.expand_dims(idx.astype(np.float64) + 1, d))
        else:
            with np.testing.suppress_warnings() as sup:
                sup.filter(RuntimeWarning)
                vals = _finish(reduce(xf, axis=tuple(axes), keepdims=True))
            index = None
        vals = to_class(vals, class_of(a)) if a.dtype.kind in "iu" or a.dtype == np.float32 else vals
        if a.dtype == bool:
            vals = vals.astype(np.float64) != 0
        return outputs([vals, index], nargout) if nargout > 1 else vals

    run.__name__ = name
    return run


max_ = base("max", outputs=("M", "I"), nargout_aware=True)(
    _minmax("max", np.fmax, np.nanmax, np.argmax))
min_ = base("min", outputs=("M", "I"), nargout_aware=True)(
    _minmax("min", np.fmin, np.nanmin, np.argmin))


@base("find", outputs=("k", "col", "v"), nargout_aware=True)
def find(X, n=None, direction="first", *, nargout=1):
    """Linear indices of nonzero elements (column-major); ``find(X, n)``, ``find(X, n, 'last')``;
    ``[row, col] = find(X)``, ``[row, col, v] = find(X)``. A row vector gives rows, anything else columns."""
    a = numeric(X)
    flat = a.reshape(-1, order="F")
    idx = np.nonzero(flat.astype(np.float64) != 0)[0]
    if n is not None:
        k = integer(n, "a positive integer")
        if k < 0:
            raise fail("Second argument must be a positive scalar integer.", "MATLAB:find:secondArgNotPosInt")
        direction = str(direction).lower()
        if direction not in ("first", "last"):
            raise fail("Invalid search direction. Must be 'first' or 'last'.", "MATLAB:find:invalidDirection")
        idx = idx[:k] if direction == "first" else idx[max(len(idx) - k, 0):]
    row_shape = a.ndim == 2 and a.shape[0] == 1 and a.shape[1] != 1 or (a.shape == (1, 1))

    def shaped(v):
        if a.shape == (0, 0) and not v.size:
            return np.zeros((0, 0))
        return v.reshape(1, -1) if row_shape else v.reshape(-1, 1)

    if nargout <= 1:
        return shaped(idx.astype(np.float64) + 1)
    rows = a.shape[0]
    r = (idx % rows).astype(np.float64) + 1
    c = (idx // rows).astype(np.float64) + 1
    vals = flat[idx]
    return outputs([shaped(r), shaped(c), shaped(vals)], nargout)


def _sort_key_nan(x, descend):
    """Sorting with NaN last (ascending) or first (descending), as MATLAB does."""
    return x


@base("sort", outputs=("B", "I"), nargout_aware=True)
def sort(A, *args, nargout=1):
    """Sort along the first non-singleton dimension (``'ascend'``/``'descend'``, ``sort(A, dim)``); NaN go
    last ascending and first descending; ``[B, I] = sort(...)`` (stable: equal values keep their order).
    A cell array of text sorts by character codes."""
    from ..values import Cell, StrArr

    mode = flag(args, "ascend", "descend") or "ascend"
    rest = without_flags(args, "ascend", "descend", "comparisonmethod", "auto", "real", "abs",
                         "missingplacement", "first", "last")
    if isinstance(A, (Cell, StrArr)):
        items = [str(x) for x in A.items()]
        order = sorted(range(len(items)), key=lambda i: items[i], reverse=False)
        if mode == "descend":
            order = sorted(range(len(items)), key=lambda i: items[i], reverse=True)
        shape = A.a.shape
        arr = np.empty(len(items), dtype=object)
        for j, i in enumerate(order):
            arr[j] = A.items()[i]
        out = type(A)(arr.reshape(shape, order="F"))
        return outputs([out, np.array(order, dtype=np.float64).reshape(shape, order="F") + 1], nargout)
    if isinstance(A, str):
        chars = sorted(A, reverse=mode == "descend")
        return outputs(["".join(chars), np.array([sorted(range(len(A)), key=lambda i: A[i],
                                                         reverse=mode == "descend")]) + 1.0], nargout)
    a = numeric(A)
    d = first_nonsingleton(a.shape) if not rest else integer(rest[0], "a dimension") - 1
    if d >= a.ndim or a.size == 0:
        return outputs([a.copy(), np.ones(a.shape)], nargout)
    x = a.astype(np.float64, copy=False)
    if not (a.dtype.kind == "f" and np.isnan(a).any()):
        if nargout <= 1:      # values only: stability cannot be seen
            out = np.sort(a, axis=d)
            return out if mode == "ascend" else np.flip(out, axis=d)
        order = np.argsort(x if mode == "ascend" else -x, axis=d, kind="stable")
        return outputs([np.take_along_axis(a, order, axis=d), order.astype(np.float64) + 1], nargout)
    if mode == "ascend":
        key = np.where(np.isnan(x), np.inf, x)
        order = np.argsort(key, axis=d, kind="stable")
        # among +Inf and NaN keys, the real Infs come first
        nan_after = np.take_along_axis(np.isnan(x), order, axis=d)
        order = np.take_along_axis(order, np.argsort(nan_after, axis=d, kind="stable"), axis=d)
    else:
        key = np.where(np.isnan(x), -np.inf, -x)
        order = np.argsort(key, axis=d, kind="stable")
        nan_first = ~np.take_along_axis(np.isnan(x), order, axis=d)
        order = np.take_along_axis(order, np.argsort(nan_first, axis=d, kind="stable"), axis=d)
    B = np.take_along_axis(a, order, axis=d)
    return outputs([B, order.astype(np.float64) + 1], nargout)


@base("sortrows", outputs=("B", "index"), nargout_aware=True)
def sortrows(A, column=None, direction=None, *, nargout=1):
    """Sort rows by the first column, ties by the next (``sortrows(A, [2 -1])``: column 2 ascending, then
    column 1 descending; ``sortrows(A, 'descend')``); stable."""
    from ..values import Cell

    if isinstance(column, str):
        direction, column = column, None
    desc_all = direction is not None and str(direction).lower() == "descend"
    if isinstance(A, Cell):
        rows = [tuple(A.a[i, j] for j in range(A.a.shape[1])) for i in range(A.a.shape[0])]
        cols = list(range(A.a.shape[1])) if column is None else [abs(int(c)) - 1 for c in numeric(column).reshape(-1)]
        order = list(range(len(rows)))
        for c in reversed(cols):
            order.sort(key=lambda i: _cell_key(rows[i][c]), reverse=desc_all)
        out = Cell(A.a[order, :])
        return outputs([out, np.array(order, dtype=np.float64).reshape(-1, 1) + 1], nargout)
    a = numeric(A)
    if a.ndim != 2:
        raise fail("First input argument must be a 2-D matrix.", "MATLAB:sortrows:inputDimensionMismatch")
    if column is None:
        spec = [(j, desc_all) for j in range(a.shape[1])]
    else:
        spec = []
        for c in numeric(column).reshape(-1):
            c = int(c)
            if c == 0 or abs(c) > a.shape[1]:
                raise fail("Column sort vector must contain integers with absolute value between 1 and the "
                           "number of columns in the first argument.", "MATLAB:sortrows:COLmismatchX")
            spec.append((abs(c) - 1, (c < 0) != desc_all))
    order = np.arange(a.shape[0])
    for j, desc in reversed(spec):
        col = a[order, j].astype(np.float64)
        key = np.where(np.isnan(col), np.inf, col) if not desc else np.where(np.isnan(col), np.inf, -col)
        order = order[np.argsort(key, kind="stable")]
    return outputs([a[order, :], order.astype(np.float64).reshape(-1, 1) + 1], nargout)


def _cell_key(v):
    if isinstance(v, str):
        return (1, str(v), 0.0)
    a = numeric(v)
    return (0, "", float(a.flat[0]) if a.size else -np.inf)


@base("histcounts", outputs=("N", "edges", "bin"), nargout_aware=True)
def histcounts(X, edges=None, *args, nargout=1):
    """``[N, edges, bin] = histcounts(X, edges)``: bin k counts edges(k) <= x < edges(k+1), the last bin
    also counts x == edges(end); values outside (and NaN) are not counted (bin 0). ``histcounts(X, nbins)``
    uses nbins equal bins from min(X) to max(X) (MATLAB picks 'nice' limits; see docs/guide/base-functions.md).
    ``'Normalization'``: 'count', 'probability', 'pdf', 'cdf', 'countdensity', 'cumcount'."""
    from ._core import name_value

    rest, opts = name_value(args, {"normalization": "Normalization", "binedges": "BinEdges"})
    x = numeric(X).astype(np.float64).reshape(-1, order="F")
    if "BinEdges" in opts:
        edges = opts["BinEdges"]
    if edges is None:
        raise fail("histcounts needs bin edges or a number of bins in layergraph (automatic binning is not "
                   "modelled).", "layergraph:histcountsAutoBins")
    e = numeric(edges).astype(np.float64).reshape(-1)
    if e.size == 1:
        nb = integer(e[0], "the number of bins")
        finite = x[np.isfinite(x)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        e = np.linspace(lo, hi, nb + 1)
    if e.size < 2 or np.any(np.diff(e) < 0):
        raise fail("Bin edges must be a vector that is real, numeric or logical, and monotonically "
                   "nondecreasing.", "MATLAB:histcounts:InvalidEdges")
    bins = np.searchsorted(e, x, side="right")
    bins = np.where(x == e[-1], e.size - 1, bins)
    bins = np.where((x < e[0]) | (x > e[-1]) | np.isnan(x), 0, bins)
    counts = np.bincount(bins, minlength=e.size)[1:e.size].astype(np.float64)
    norm = str(opts.get("Normalization", "count")).lower()
    widths = np.diff(e)
    if norm == "probability":
        counts = counts / x.size
    elif norm == "pdf":
        counts = counts / x.size / widths
    elif norm == "countdensity":
        counts = counts / widths
    elif norm == "cumcount":
        counts = np.cumsum(counts)
    elif norm == "cdf":
        counts = np.cumsum(counts) / x.size
    elif norm != "count":
        raise fail("Normalization must be 'count', 'probability', 'countdensity', 'pdf', 'cumcount' or 'cdf'.",
                   "MATLAB:histcounts:InvalidNormalization")
    bin_shape = numeric(X).shape
    return outputs([counts.reshape(1, -1), e.reshape(1, -1),
                    bins.astype(np.float64).reshape(bin_shape, order="F")], nargout)


@base("accumarray")
def accumarray(subs, val, sz=None, fun=None, fillval=None):
    """``A = accumarray(subs, val)``: A(subs(i,:)) accumulates val(i) (sum, or ``fun`` applied to the
    column vector of values of each subscript, through :func:`layergraph.matlab.lang.call`); a scalar val
    is used for every subscript; unfilled elements are ``fillval`` (0)."""
    from ._core import call

    s = numeric(subs).astype(np.float64)
    if s.ndim != 2:
        raise fail("First input SUBS must be a real, full, numeric matrix or a cell vector.",
                   "MATLAB:accumarray:InvalidSubs")
    if s.shape[0] == 1 and s.shape[1] >= 1 and numeric(val).size != 1 and numeric(val).size == s.shape[1]:
        s = s.reshape(-1, 1)
    if np.any(s < 1) or np.any(s != np.floor(s)):
        raise fail("Index into output array must be positive integers.", "MATLAB:accumarray:nonPosIdx")
    s = s.astype(np.int64)
    n = s.shape[0]
    v = numeric(val).astype(np.float64).reshape(-1, order="F")
    if v.size == 1:
        v = np.full(n, v[0])
    if v.size != n:
        raise fail("Second input VAL must be a vector with one element for each row in SUBS, or a scalar.",
                   "MATLAB:accumarray:InputsDimsMismatch")
    extent = s.max(axis=0) if n else np.zeros(s.shape[1], dtype=np.int64)
    if sz is not None and numeric(sz).size:
        shape = [int(x) for x in numeric(sz).reshape(-1)]
        if any(e > d for e, d in zip(extent, shape)):
            raise fail("First input SUBS and third input SZ must satisfy ALL(MAX(SUBS)<=SZ).",
                       "MATLAB:accumarray:InvalidSize")
    else:
        shape = [int(e) for e in extent] if s.shape[1] > 1 else [int(extent[0]) if n else 0, 1]
    check_elements(shape, "accumarray")
    fill = 0.0 if fillval is None or numeric(fillval).size == 0 else float(numeric(fillval).flat[0])
    out = np.full(shape, fill, dtype=np.float64)
    keys = [tuple(int(x) - 1 for x in row) for row in s]
    if fun is None or (isinstance(fun, np.ndarray) and fun.size == 0):
        acc = np.zeros(shape, dtype=np.float64)
        seen = np.zeros(shape, dtype=bool)
        for k, x in zip(keys, v):
            acc[k] += x
            seen[k] = True
        out[seen] = acc[seen]
        return out
    groups: dict = {}
    for k, x in zip(keys, v):
        groups.setdefault(k, []).append(x)
    for k, xs in groups.items():
        r = numeric(call(fun, np.array(xs, dtype=np.float64).reshape(-1, 1)))
        if r.size != 1:
            raise fail("The function FUN must return a scalar.", "MATLAB:accumarray:nonscalarFunOutput")
        out[k] = float(r.flat[0])
    return out


@base("diff")
def diff(X, n=1, dim=None):
    """n-th difference along the first non-singleton dimension (``diff(X, n, dim)``)."""
    a = numeric(X)
    k = integer(n, "the difference order")
    if dim is None:
        x = floating(a)
        for _ in range(k):
            if x.size == 0:
                break
            d = first_nonsingleton(x.shape)
            if x.shape[d] <= 1:
                shape = list(x.shape)
                shape[d] = 0
                return np.zeros(shape if len(shape) >= 2 else (0, 0))
            x = np.diff(x, axis=d)
        return like(x, a) if a.dtype.kind in "iu" else x
    d = integer(dim, "a dimension") - 1
    x = pad_dims(floating(a), d + 1)
    x = np.diff(x, n=k, axis=d) if x.shape[d] > k else np.zeros(
        tuple(0 if i == d else s for i, s in enumerate(x.shape)))
    return drop_trailing(x)


@base("dot")
def dot(A, B, dim=None):
    """``dot(a, b)`` of vectors is sum(a.*b); of matrices, column by column (first non-singleton dim)."""
    a, b = numeric(A).astype(np.float64), numeric(B).astype(np.float64)
    if min(a.shape) == 1 and min(b.shape) == 1 and a.ndim == b.ndim == 2 and dim is None:
        if a.size != b.size:
            raise fail("A and B must be same size.", "MATLAB:dot:InputSizeMismatch")
        return np.array([[float(np.sum(a.reshape(-1) * b.reshape(-1)))]])
    if a.shape != b.shape:
        raise fail("A and B must be same size.", "MATLAB:dot:InputSizeMismatch")
    d = first_nonsingleton(a.shape) if dim is None else integer(dim) - 1
    return drop_trailing(np.sum(a * b, axis=d, keepdims=True))


@base("norm")
def norm(X, p=2):
    """Vector p-norm (2, 1, Inf, -Inf, 'fro', any p); matrix 2-norm (largest singular value), 1, Inf, 'fro'."""
    a = numeric(X).astype(np.float64)
    if a.ndim > 2:
        raise fail("Input must be 2-D.", "MATLAB:norm:inputMustBe2D")
    fro = isinstance(p, str)
    if fro and str(p).lower() != "fro":
        if str(p).lower() == "inf":
            p, fro = np.inf, False
        else:
            raise fail("The only matrix norms available are 1, 2, inf, and 'fro'.", "MATLAB:norm:unknownNorm")
    if a.size == 0:
        return np.array([[0.0]])
    if fro:
        return np.array([[float(np.sqrt(np.sum(a * a)))]])
    pv = scalar(p)
    if min(a.shape) == 1:
        v = np.abs(a.reshape(-1))
        if pv == np.inf:
            r = v.max()
        elif pv == -np.inf:
            r = v.min()
        elif pv == 2:
            r = np.sqrt(np.sum(v * v))
        else:
            r = np.sum(v ** pv) ** (1.0 / pv)
        return np.array([[float(r)]])
    if pv == 2:
        return np.array([[float(np.linalg.svd(a, compute_uv=False)[0])]])
    if pv == 1:
        return np.array([[float(np.abs(a).sum(axis=0).max())]])
    if pv == np.inf:
        return np.array([[float(np.abs(a).sum(axis=1).max())]])
    raise fail("The only matrix norms available are 1, 2, inf, and 'fro'.", "MATLAB:norm:unknownNorm")


@base("cross")
def cross(A, B):
    a, b = numeric(A).astype(np.float64), numeric(B).astype(np.float64)
    if a.size != 3 or b.size != 3:
        raise fail("A and B must be of length 3 in the dimension in which the cross product is taken.",
                   "MATLAB:cross:InvalidDimAorBForCrossProd")
    return np.cross(a.reshape(-1), b.reshape(-1)).reshape(a.shape)


# ---- torch tensors (MATLAB layout): the custom-layer translator and custom loops ------------------------


def _torch():
    import torch

    return torch


def _t(x, like_=None):
    torch = _torch()
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray) and x.dtype == bool:
        x = x.astype(np.float32)
    dtype = like_.dtype if isinstance(like_, torch.Tensor) else torch.float32
    return torch.as_tensor(np.asarray(x) if not isinstance(x, (int, float)) else x, dtype=dtype)


def _matched(a, b):
    """Two operands with MATLAB's implicit expansion: leading dimensions align (pad trailing singletons)."""
    ta, tb = _t(a, b if hasattr(b, "dtype") else None), _t(b, a if hasattr(a, "dtype") else None)
    if ta.dim() and tb.dim() and ta.dim() != tb.dim():
        nd = max(ta.dim(), tb.dim())
        ta = ta.reshape(tuple(ta.shape) + (1,) * (nd - ta.dim()))
        tb = tb.reshape(tuple(tb.shape) + (1,) * (nd - tb.dim()))
    return ta, tb


def _t_dims(x, args):
    """Reduction dimensions of a tensor call: (dims tuple, keep) from dim / vecdim / 'all'."""
    rest = [a for a in args if not isinstance(a, str)]
    if flag(args, "all"):
        return tuple(range(x.dim())), True
    if rest and rest[0] is not None and not (hasattr(rest[0], "size") and np.size(rest[0]) == 0):
        d = np.asarray(rest[0].detach().cpu() if hasattr(rest[0], "detach") else rest[0]).reshape(-1)
        return tuple(int(v) - 1 for v in d if int(v) - 1 < x.dim()), True
    shape = tuple(x.shape)
    return (first_nonsingleton(shape) if shape else 0,), True


_TORCH_UNARY = {
    "sqrt": "sqrt", "exp": "exp", "log": "log", "log2": "log2", "log10": "log10", "log1p": "log1p",
    "expm1": "expm1", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
    "abs": "abs", "floor": "floor", "ceil": "ceil", "fix": "trunc", "sign": "sign", "isnan": "isnan",
    "isinf": "isinf", "isfinite": "isfinite",
}
for _name, _attr in _TORCH_UNARY.items():
    tensor_implementation(_name)(lambda x, _attr=_attr: getattr(_torch(), _attr)(_t(x)))


@tensor_implementation("round")
def _t_round(x, n=None, how=None):
    torch = _torch()
    x = _t(x)
    if n is None:
        return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)     # half away from zero (torch.round: half even)
    f = 10.0 ** int(scalar(n))
    return torch.sign(x) * torch.floor(torch.abs(x) * f + 0.5) / f


@tensor_implementation("mod")
def _t_mod(a, b):
    torch = _torch()
    ta, tb = _matched(a, b)
    safe = torch.where(tb == 0, torch.ones_like(tb), tb)
    return torch.where(tb == 0, ta, ta - torch.floor(ta / safe) * tb)


@tensor_implementation("rem")
def _t_rem(a, b):
    torch = _torch()
    ta, tb = _matched(a, b)
    return ta - torch.trunc(ta / tb) * tb


@tensor_implementation("hypot")
def _t_hypot(a, b):
    ta, tb = _matched(a, b)
    return _torch().hypot(ta, tb)


def _t_reduction(fn):
    def run(x, *args):
        x = _t(x)
        dims, keep = _t_dims(x, args)
        if not dims:
            return x
        omit = flag(args, "omitnan") is not None
        return fn(x, dims, omit)

    return run


tensor_implementation("sum")(_t_reduction(
    lambda x, d, omit: (_torch().nansum if omit else _torch().sum)(x, dim=d, keepdim=True)))
tensor_implementation("prod")(_t_reduction(lambda x, d, omit: _prod_dims(x, d)))
tensor_implementation("mean")(_t_reduction(
    lambda x, d, omit: (_torch().nanmean if omit else _torch().mean)(x, dim=d, keepdim=True)))
tensor_implementation("var")(lambda x, *args: _t_var(x, args))
tensor_implementation("std")(lambda x, *args: _torch().sqrt(_t_var(x, args)))


def _prod_dims(x, dims):
    for d in sorted(dims, reverse=True):
        x = _torch().prod(x, dim=d, keepdim=True)
    return x


def _t_var(x, args):
    args = list(args)
    w = 0
    if args and not isinstance(args[0], str) and args[0] is not None and np.size(args[0]) == 1:
        w = int(float(np.asarray(args[0]).reshape(-1)[0]))
        args = args[1:]
    elif args and not isinstance(args[0], str) and np.size(args[0]) == 0:
        args = args[1:]
    x = _t(x)
    dims, _ = _t_dims(x, args)
    n = int(np.prod([x.shape[d] for d in dims]))
    return _torch().var(x, dim=dims, keepdim=True, correction=0 if (w == 1 or n == 1) else 1)


@tensor_implementation("median")
def _t_median(x, *args):
    x = _t(x)
    dims, _ = _t_dims(x, args)
    if len(dims) != 1:
        raise fail("median over several dimensions of a tensor is not supported.", "layergraph:tensorVecdim")
    # MATLAB's median of an even count is the mean of the two middle values (torch.median takes the lower)
    return _torch().quantile(x, 0.5, dim=dims[0], keepdim=True)


def _t_minmax(name):
    def run(a, b=None, dim=None, *flags, nargout=1):
        torch = _torch()
        empty_b = b is None or (not hasattr(b, "dim") and np.size(b) == 0)
        if not empty_b:
            ta, tb = _matched(a, b)
            return (torch.fmax if name == "max" else torch.fmin)(ta, tb)
        x = _t(a)
        args = [dim] + list(flags) if dim is not None else list(flags)
        dims, _ = _t_dims(x, args)
        if len(dims) == x.dim() and flag(args, "all"):
            flat = x.permute(*reversed(range(x.dim()))).reshape(-1)   # column-major linear index
            filled = torch.where(torch.isnan(flat), torch.full_like(flat, -np.inf if name == "max" else np.inf), flat)
            i = torch.argmax(filled) if name == "max" else torch.argmin(filled)
            val = flat[i].reshape([1] * x.dim())
            return val if nargout <= 1 else (val, (i + 1).to(x.dtype).reshape([1] * x.dim()))
        if len(dims) != 1:
            fn = torch.amax if name == "max" else torch.amin
            return fn(x, dim=dims, keepdim=True)
        d = dims[0]
        filled = torch.where(torch.isnan(x), torch.full_like(x, -np.inf if name == "max" else np.inf), x)
        vals, idx = (torch.max if name == "max" else torch.min)(filled, dim=d, keepdim=True)
        allnan = torch.isnan(x).all(dim=d, keepdim=True)
        vals = torch.where(allnan, torch.full_like(vals, np.nan), vals)
        return vals if nargout <= 1 else (vals, (idx + 1).to(x.dtype))

    return run


tensor_implementation("max", nargout_aware=True)(_t_minmax("max"))
tensor_implementation("min", nargout_aware=True)(_t_minmax("min"))
