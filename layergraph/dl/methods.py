"""dlarray's methods: the MATLAB functions and operators a ``dlarray`` overloads, registered with the one
dispatch rule of :mod:`layergraph.functions` (:func:`~layergraph.functions.matlab_overload`).

In MATLAB, ``sum(X)``, ``exp(X)``, ``X .* Y``, ``W * X``, ``X(:, idx)``, ``size(X)`` and ``double(X)`` with a
dlarray ``X`` run dlarray's methods: the result is a dlarray (format labels kept where MATLAB keeps them)
and stays differentiable inside ``dlfeval``. Registering them here makes the interpreter
(``layergraph run``) and translated programs (``ml.sum(X)``, ``ml.times(X, Y)``) take the same path as
the Python API (:mod:`layergraph.dl.dlarray`): one implementation.

Operators are registered under MATLAB's function names (``plus``, ``minus``, ``times``, ``mtimes``,
``rdivide``, ``ldivide``, ``mrdivide``, ``power``, ``mpower``, ``uminus``, ``uplus``, ``eq`` ... ``ge``,
``transpose``, ``ctranspose``); indexing under ``parenReference(X, i, j, ...)`` and
``parenAssign(X, value, i, j, ...)`` (MATLAB's names for ``X(i, j)`` and ``X(i, j) = value``; 1-based
subscripts, ``':'`` for a whole dimension).
"""

from __future__ import annotations

import numpy as np
import torch

from ..functions import matlab_overload
from .dlarray import (
    DLArray, DLArrayError, cat, dl_max, dl_mean, dl_min, dl_reshape, dl_sum, elementwise, matlab_shape, mtimes,
    permute, subsasgn, subsref, transpose, unary,
)


def _overload(*names, nargout_aware: bool = False):
    def wrap(fn):
        for name in names:
            matlab_overload(name, DLArray, nargout_aware=nargout_aware)(fn)
        return fn
    return wrap


def _is_scalar(x) -> bool:
    if isinstance(x, DLArray):
        return x.numel() == 1
    return np.size(x) == 1


# ---- arithmetic and comparison operators ---------------------------------------------------------


def _binary(op, name):
    def fn(a, b):
        return elementwise(op, a, b, name)
    fn.__name__ = name
    fn.__doc__ = f"MATLAB ``{name}(A, B)`` on dlarrays: element-wise with implicit expansion, labels kept."
    return fn


for _name, _op in (("plus", torch.add), ("minus", torch.sub), ("times", torch.mul), ("rdivide", torch.div),
                   ("power", torch.pow), ("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le),
                   ("gt", torch.gt), ("ge", torch.ge)):
    _overload(_name)(_binary(_op, _name))


@_overload("ldivide")
def ldivide(a, b):
    """MATLAB ``A .\\ B`` = ``B ./ A``."""
    return elementwise(torch.div, b, a, "ldivide")


@_overload("mtimes")
def dl_mtimes(a, b):
    """MATLAB ``A * B``: matrix product of 2-D arrays (unformatted result); a scalar factor is element-wise."""
    return mtimes(a, b)


@_overload("mrdivide")
def mrdivide(a, b):
    """MATLAB ``A / b`` with a scalar ``b`` (element-wise); a matrix divisor is not supported for dlarrays."""
    if not _is_scalar(b):
        raise DLArrayError("mrdivide: dlarray supports A / B only for a scalar B (use ./ for element-wise division).")
    return elementwise(torch.div, a, b, "mrdivide")


@_overload("mpower")
def mpower(a, b):
    """MATLAB ``a ^ b`` with scalars (a scalar power of a dlarray is element-wise for a scalar base)."""
    if not (_is_scalar(a) and _is_scalar(b)):
        raise DLArrayError("mpower: dlarray supports A ^ B for scalars only (use .^ for element-wise power).")
    return elementwise(torch.pow, a, b, "mpower")


@_overload("uminus")
def uminus(a):
    """MATLAB ``-X``."""
    return -a


@_overload("uplus")
def uplus(a):
    """MATLAB ``+X``."""
    return a


@_overload("transpose", "ctranspose")
def dl_transpose(a):
    """MATLAB ``X.'`` and ``X'`` (real data): 2-D, unformatted dlarrays only."""
    return transpose(a)


# ---- indexing ------------------------------------------------------------------------------------


@_overload("parenReference")
def paren_reference(X, *subs):
    """MATLAB ``X(i, j, ...)`` (1-based, ``':'`` for a whole dimension): subscripts keep the format."""
    return subsref(X, *subs)


@_overload("parenAssign")
def paren_assign(X, value, *subs):
    """MATLAB ``X(i, j, ...) = value``: a new dlarray, differentiable with respect to both."""
    if not isinstance(X, DLArray):
        X = DLArray(torch.as_tensor(np.asarray(X, dtype=np.float64)), "")
    return subsasgn(X, value, *subs)


# ---- element-wise functions ----------------------------------------------------------------------


def _elementwise_function(name, fn):
    def method(X):
        return unary(fn, X)
    method.__name__ = name
    method.__doc__ = f"MATLAB ``{name}(X)`` of a dlarray (format kept, differentiable)."
    return method


for _name, _fn in (("exp", torch.exp), ("log", torch.log), ("abs", torch.abs), ("sqrt", torch.sqrt),
                   ("tanh", torch.tanh), ("sin", torch.sin), ("cos", torch.cos), ("tan", torch.tan),
                   ("sign", torch.sign), ("erf", torch.erf), ("log1p", torch.log1p), ("expm1", torch.expm1),
                   ("atan", torch.atan), ("asin", torch.asin), ("acos", torch.acos), ("sinh", torch.sinh),
                   ("cosh", torch.cosh)):
    _overload(_name)(_elementwise_function(_name, _fn))


# ---- reductions ----------------------------------------------------------------------------------


@_overload("sum")
def dl_sum_method(X, *args):
    """MATLAB ``sum(X)``, ``sum(X, dim)``, ``sum(X, 'all')`` of a dlarray (reduced dims kept, size 1)."""
    return dl_sum(X, *args)


@_overload("mean")
def dl_mean_method(X, *args):
    """MATLAB ``mean(X)``, ``mean(X, dim)``, ``mean(X, 'all')`` of a dlarray."""
    return dl_mean(X, *args)


@_overload("max", nargout_aware=True)
def dl_max_method(X, Y=None, dim=None, *flags, nargout=None):
    """MATLAB ``[M, I] = max(X, [], dim)`` / ``max(X, Y)`` of dlarrays."""
    out = dl_max(X, Y, dim)
    return out[0] if isinstance(out, tuple) and nargout is not None and nargout <= 1 else out


@_overload("min", nargout_aware=True)
def dl_min_method(X, Y=None, dim=None, *flags, nargout=None):
    """MATLAB ``[M, I] = min(X, [], dim)`` / ``min(X, Y)`` of dlarrays."""
    out = dl_min(X, Y, dim)
    return out[0] if isinstance(out, tuple) and nargout is not None and nargout <= 1 else out


# ---- size, shape and type ------------------------------------------------------------------------


def _row(values) -> np.ndarray:
    return np.asarray([float(v) for v in values], dtype=np.float64).reshape(1, -1)


@_overload("size", nargout_aware=True)
def dl_size(X, *dims, nargout=1):
    """MATLAB ``sz = size(X)``, ``size(X, dim)``, ``[m, n, ...] = size(X)`` of a dlarray (doubles)."""
    shape = matlab_shape(X.data.shape)
    if dims:
        picked = []
        for d in dims:
            for k in np.asarray(d, dtype=np.float64).reshape(-1):
                k = int(k)
                picked.append(shape[k - 1] if k - 1 < len(shape) else 1)
        return _row(picked)
    if nargout is not None and nargout > 1:
        out = [shape[i] if i < len(shape) else 1 for i in range(nargout - 1)]
        out.append(int(np.prod(shape[nargout - 1:])) if nargout - 1 < len(shape) else 1)
        return tuple(_row([v]) for v in out)
    return _row(shape)


@_overload("numel")
def dl_numel(X):
    """MATLAB ``numel(X)``."""
    return _row([X.numel()])


@_overload("ndims")
def dl_ndims(X):
    """MATLAB ``ndims(X)``."""
    return _row([X.ndims()])


@_overload("length")
def dl_length(X):
    """MATLAB ``length(X)``: the largest dimension (0 when empty)."""
    return _row([len(X)])


@_overload("isempty")
def dl_isempty(X):
    """MATLAB ``isempty(X)``."""
    return np.array([[X.numel() == 0]])


@_overload("reshape")
def dl_reshape_method(X, *sizes):
    """MATLAB ``reshape(X, sz1, ..., szN)`` / ``reshape(X, [sz...])`` of a dlarray (unformatted result)."""
    return dl_reshape(X, *sizes)


@_overload("permute")
def dl_permute_method(X, order):
    """MATLAB ``permute(X, order)`` of a dlarray (unformatted result)."""
    return permute(X, order)


@_overload("cat")
def dl_cat_method(dim, *arrays):
    """MATLAB ``cat(dim, A, B, ...)`` with dlarrays."""
    return cat(float(np.asarray(dim).reshape(-1)[0]), *arrays)


@_overload("horzcat")
def dl_horzcat(*arrays):
    """MATLAB ``[A, B]`` with dlarrays."""
    return cat(2, *arrays)


@_overload("vertcat")
def dl_vertcat(*arrays):
    """MATLAB ``[A; B]`` with dlarrays."""
    return cat(1, *arrays)


@_overload("double")
def dl_double(X):
    """MATLAB ``double(X)`` of a dlarray: a dlarray with double data (traced values stay traced)."""
    return X.double()


@_overload("single")
def dl_single(X):
    """MATLAB ``single(X)`` of a dlarray: a dlarray with single data."""
    return X.single()


@_overload("class")
def dl_class(X):
    """MATLAB ``class(X)`` of a dlarray: ``'dlarray'``."""
    return "dlarray"


@_overload("underlyingType")
def dl_underlying_type(X):
    """MATLAB ``underlyingType(X)``: ``'single'`` or ``'double'`` (``'logical'`` for comparisons)."""
    return {torch.float32: "single", torch.float64: "double", torch.bool: "logical"}.get(X.dtype, str(X.dtype))


__all__: list[str] = []
