"""``dlarray``: MATLAB's deep learning array, a torch tensor in MATLAB layout with format labels.

A :class:`DLArray` holds its data as a torch tensor in MATLAB's layout (H×W×C×N for ``'SSCB'``,
C×N×T for ``'CBT'``, ...) and an optional format: one label per dimension, ``S`` (spatial), ``C``
(channel), ``B`` (batch), ``T`` (time) and ``U`` (unspecified). Formats are kept in MATLAB's
canonical order ``S... C B T U...``: ``dlarray(rand(3,4,5), 'CBS')`` permutes the data and has dims
``'SCB'`` and size 5×3×4, as in MATLAB.

Operations follow MATLAB's dlarray rules:

* element-wise operations keep the format; two formatted operands must have the same format
  (otherwise :class:`DLArrayError`); an unformatted operand (number, NumPy array, tensor,
  unformatted dlarray) is combined in MATLAB layout with MATLAB's implicit expansion;
* reductions (``sum``, ``mean``, ``max``, ``min``) keep the reduced dimension with size 1 and the format;
* ``reshape`` and linear indexing give unformatted arrays; subscript indexing keeps the format;
* ``cat`` along a dimension needs equal formats.

Indexing from Python (``X[...]``) is 0-based on the MATLAB-layout data; :func:`subsref` is MATLAB's
1-based ``X(i, j, ...)``.

The conversion to and from the engine's torch layout (used by ``forward``/``predict``) is one rule:
:func:`to_torch_layout` orders the labelled dimensions ``B, T, C, S...`` (batch first), inserting a
singleton ``B`` or ``C`` when the format has none; :func:`from_torch_layout` is its inverse for a
network output of a known format.
"""

from __future__ import annotations

import numbers
import threading
from typing import Callable

import numpy as np
import torch

from ..errors import LayerGraphError
from ..functions import matlab_function


class DLArrayError(LayerGraphError, ValueError):
    """A dlarray operation is invalid (bad format, mismatched labels, untraced gradient, ...)."""


_LABELS = "SCBTU"
_RANK = {"S": 0, "C": 1, "B": 2, "T": 3, "U": 4}


# ------------------------------------------------------------------------------------------------
# tracing state (dlfeval)

class _TraceState(threading.local):
    depth = 0


TRACE = _TraceState()


def is_tracing() -> bool:
    return TRACE.depth > 0


# ------------------------------------------------------------------------------------------------
# helpers

def _as_tensor(x) -> torch.Tensor:
    if isinstance(x, DLArray):
        return x.data
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        if x.dtype == bool:
            return torch.from_numpy(x.copy())
        if x.dtype.kind in "iu":
            return torch.from_numpy(x.astype(np.float64))
        if not x.flags.writeable:
            x = x.copy()                    # (ascontiguousarray keeps a contiguous read-only array as it is)
        elif min(x.strides, default=0) < 0:
            x = np.ascontiguousarray(x)
        return torch.from_numpy(x)          # keeps NumPy's strides (no copy)
    if isinstance(x, (bool, np.bool_)):
        return torch.tensor(bool(x))
    if isinstance(x, numbers.Number):
        return torch.tensor(float(x), dtype=torch.float64)
    if isinstance(x, (list, tuple)):
        return torch.as_tensor(np.asarray(x, dtype=np.float64))
    raise DLArrayError(f"dlarray: input must be numeric (a number, NumPy array or torch tensor), not {type(x).__name__}.")


def matlab_shape(shape) -> tuple:
    """MATLAB's size: at least 2 dimensions, trailing singleton dimensions beyond the 2nd removed."""
    shape = list(shape)
    while len(shape) < 2:
        shape.append(1)
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    return tuple(int(s) for s in shape)


def _matlab_tensor(t: torch.Tensor) -> torch.Tensor:
    """Give a tensor MATLAB's rank (>= 2 dims, no trailing singletons beyond the 2nd)."""
    shape = matlab_shape(t.shape)
    if tuple(t.shape) != shape:
        t = t.reshape(shape)
    return t


def check_format(fmt: str, function: str = "dlarray") -> str:
    if not isinstance(fmt, str):
        raise DLArrayError(f"{function}: data format must be a character vector or string scalar such as 'SSCB'.")
    fmt = fmt.upper()
    bad = [ch for ch in fmt if ch not in _LABELS]
    if bad:
        raise DLArrayError(f"{function}: invalid dimension label '{bad[0]}' in format '{fmt}'. "
                           "Labels must be 'S', 'C', 'B', 'T' or 'U'.")
    for ch in "CBT":
        if fmt.count(ch) > 1:
            raise DLArrayError(f"{function}: format '{fmt}' has more than one '{ch}' dimension.")
    return fmt


def _canonical(fmt: str) -> tuple[str, list[int]]:
    order = sorted(range(len(fmt)), key=lambda i: (_RANK[fmt[i]], i))
    return "".join(fmt[i] for i in order), order


def _cast_pair(a: torch.Tensor, b: torch.Tensor):
    # MATLAB: single op double -> single
    if a.dtype == torch.float32 and b.dtype == torch.float64:
        b = b.float()
    elif b.dtype == torch.float32 and a.dtype == torch.float64:
        a = a.float()
    return a, b


def _pad_right(t: torch.Tensor, ndim: int) -> torch.Tensor:
    """MATLAB implicit expansion aligns dimensions from the left: pad trailing singletons."""
    if t.dim() < ndim:
        return t.reshape(tuple(t.shape) + (1,) * (ndim - t.dim()))
    return t


# ------------------------------------------------------------------------------------------------
# the class

class DLArray:
    """MATLAB ``dlarray``: data (torch tensor, MATLAB layout) plus format labels (``''`` when unformatted).

    Python operators work element-wise (``*`` is MATLAB's ``.*``; ``@`` is matrix multiplication).
    """

    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("dims", "finddim", "stripdims", "extractdata", "gather")   # registered functions only

    __slots__ = ("_data", "_torch", "_convert", "_fmt", "_source", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data: torch.Tensor | None, fmt: str = "", *, torch_data: torch.Tensor | None = None,
                 convert: Callable | None = None, source=None):
        self._data = data
        self._torch = torch_data
        self._convert = convert
        self._fmt = fmt
        self._source = source   # (parameter, to-MATLAB converter): a network learnable

    # ---- data ----------------------------------------------------------------------------------

    @property
    def data(self) -> torch.Tensor:
        """The MATLAB-layout tensor (computed once from the torch-layout tensor when made lazily)."""
        if self._data is None:
            self._data = self._convert(self._torch)
        return self._data

    @property
    def fmt(self) -> str:
        return self._fmt

    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    def dims(self) -> str:
        return self._fmt

    def size(self, dim=None):
        full = tuple(self.data.shape)
        if dim is None:
            return matlab_shape(full)
        d = int(dim)
        return full[d - 1] if d - 1 < len(full) else 1

    def numel(self) -> int:
        return int(self.data.numel())

    def ndims(self) -> int:
        return len(matlab_shape(self.data.shape))

    def extractdata(self) -> np.ndarray:
        return extractdata(self)

    def stripdims(self) -> "DLArray":
        return stripdims(self)

    def finddim(self, label):
        return finddim(self, label)

    def gather(self):
        return self

    def sum(self, *args):
        return dl_sum(self, *args)

    def mean(self, *args):
        return dl_mean(self, *args)

    def reshape(self, *sizes):
        return dl_reshape(self, *sizes)

    def double(self):
        return DLArray(self.data.double(), self._fmt)

    def single(self):
        return DLArray(self.data.float(), self._fmt)

    def detach(self) -> "DLArray":
        """The same values, not traced (what leaves ``dlfeval``)."""
        if self._data is None:
            return DLArray(None, self._fmt, torch_data=self._torch.detach(), convert=self._convert)
        return DLArray(self._data.detach(), self._fmt)

    @property
    def traced(self) -> bool:
        return self.data.requires_grad

    # ---- display ---------------------------------------------------------------------------------

    def __repr__(self) -> str:
        size = "×".join(str(s) for s in self.size())
        kind = f"{size} dlarray" if not self._fmt else f"{size}({self._fmt}) dlarray"
        arr = self.data.detach().cpu().numpy()
        return f"  {kind}\n\n{arr}\n"

    def __len__(self):
        return max(self.size()) if self.numel() else 0

    def __float__(self):
        if self.numel() != 1:
            raise DLArrayError("Only a dlarray with one element converts to a number.")
        return float(self.data.detach().reshape(-1)[0])

    def __int__(self):
        return int(float(self))

    def __array__(self, dtype=None, copy=None):
        arr = _numpy(self.data)
        return arr.astype(dtype) if dtype is not None else arr

    def __bool__(self):
        return bool(torch.all(self.data != 0))

    def item(self) -> float:
        return float(self)

    # ---- element-wise arithmetic -----------------------------------------------------------------

    def __add__(self, other):
        return elementwise(torch.add, self, other, "plus")

    def __radd__(self, other):
        return elementwise(torch.add, other, self, "plus")

    def __sub__(self, other):
        return elementwise(torch.sub, self, other, "minus")

    def __rsub__(self, other):
        return elementwise(torch.sub, other, self, "minus")

    def __mul__(self, other):
        return elementwise(torch.mul, self, other, "times")

    def __rmul__(self, other):
        return elementwise(torch.mul, other, self, "times")

    def __truediv__(self, other):
        return elementwise(torch.div, self, other, "rdivide")

    def __rtruediv__(self, other):
        return elementwise(torch.div, other, self, "rdivide")

    def __pow__(self, other):
        return elementwise(torch.pow, self, other, "power")

    def __rpow__(self, other):
        return elementwise(torch.pow, other, self, "power")

    def __neg__(self):
        return DLArray(-self.data, self._fmt)

    def __pos__(self):
        return self

    def __abs__(self):
        return DLArray(self.data.abs(), self._fmt)

    def __matmul__(self, other):
        return mtimes(self, other)

    def __rmatmul__(self, other):
        return mtimes(other, self)

    def __lt__(self, other):
        return elementwise(torch.lt, self, other, "lt")

    def __le__(self, other):
        return elementwise(torch.le, self, other, "le")

    def __gt__(self, other):
        return elementwise(torch.gt, self, other, "gt")

    def __ge__(self, other):
        return elementwise(torch.ge, self, other, "ge")

    def __eq__(self, other):  # noqa: D105 - MATLAB ==
        return elementwise(torch.eq, self, other, "eq")

    def __ne__(self, other):
        return elementwise(torch.ne, self, other, "ne")

    __hash__ = object.__hash__

    # ---- indexing --------------------------------------------------------------------------------

    def __getitem__(self, key):
        data = self.data
        if not isinstance(key, tuple):
            key = (key,)
        if len(key) == 1 and key[0] is not Ellipsis and data.dim() > 1:
            # linear indexing over the column-major data: unformatted, a column like MATLAB's X(:)
            flat = _column_major(data)
            return DLArray(_matlab_tensor(flat[_index_key(key[0])].reshape(-1, 1)), "")
        key = tuple(_index_key(k) for k in key)
        out = data[key]
        fmt = self._fmt
        if fmt:
            expanded = _expand_key(key, data.dim())
            kept = [fmt[i] for i, k in enumerate(expanded) if not isinstance(k, int)]
            fmt = "".join(kept) if len(kept) == out.dim() else ""
        return DLArray(out if fmt else _matlab_tensor(out), fmt)

    def __setitem__(self, key, value):
        raise DLArrayError("dlarray values are immutable from Python; use subsasgn(X, value, i, j, ...) "
                           "(MATLAB's X(i,j,...) = value), which returns a new dlarray.")


def _numpy(t: torch.Tensor) -> np.ndarray:
    arr = t.detach().cpu().numpy()
    if arr.ndim < 2:
        arr = arr.reshape(matlab_shape(arr.shape))
    return arr


def _column_major(t: torch.Tensor) -> torch.Tensor:
    return t.permute(*reversed(range(t.dim()))).reshape(-1) if t.dim() > 1 else t.reshape(-1)


def _index_key(k):
    if isinstance(k, DLArray):
        k = k.data
    if isinstance(k, torch.Tensor) and k.dtype == torch.bool:
        return k
    if isinstance(k, np.ndarray):
        return torch.from_numpy(k) if k.dtype == bool else torch.from_numpy(k.astype(np.int64))
    if isinstance(k, torch.Tensor):
        return k.long()
    if isinstance(k, (np.integer,)):
        return int(k)
    return k


def _expand_key(key, ndim):
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (ndim - (len(key) - 1)))
        else:
            out.append(k)
    out.extend([slice(None)] * (ndim - len(out)))
    return out


# ------------------------------------------------------------------------------------------------
# construction

@matlab_function("dlarray", outputs=("dlX",))
def dlarray(X, fmt: str | None = None) -> DLArray:
    """``dlX = dlarray(X)`` / ``dlarray(X, fmt)``: a deep learning array, optionally with format labels.

    ``X`` is in MATLAB layout (a NumPy array, torch tensor or number). The labels are put in MATLAB's
    canonical order (``S``, ``C``, ``B``, ``T``, ``U``) and the data permuted to match.
    """
    if type(X) is np.ndarray and fmt is not None and not TRACE.depth:
        known = _FORMATS.get(fmt)
        if (known is not None and X.ndim == known[0] and X.dtype in _FLOAT_ARRAYS and X.flags.writeable
                and min(X.strides) >= 0):
            # a float array with a format seen before (a custom loop's mini-batch): what the general
            # path below does for it, without its checks for other inputs
            base = torch.from_numpy(X)
            return DLArray(base if known[2] is None else base.permute(known[2]), known[1])
    if isinstance(X, DLArray):
        if fmt is None:
            return X
        base = X.data
    else:
        base = _as_tensor(X)
        if isinstance(X, (list, tuple)) and base.dim() == 1:
            base = base.reshape(1, -1)          # a list of numbers is a row vector, as MATLAB's [1 2 3]
    if base.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.bool):
        base = base.double()
    if is_tracing() and base.is_floating_point() and not base.requires_grad:
        base = base.detach().requires_grad_(True)
    if fmt is None or fmt == "":
        return DLArray(_matlab_tensor(base), "")
    known = _FORMATS.get(fmt)
    if known is None:
        checked = check_format(fmt)
        canon, order = _canonical(checked)
        known = _FORMATS[fmt] = (len(checked), canon, None if order == list(range(len(checked))) else order)
    n, canon, order = known
    shape = base.shape
    if len(shape) != n:
        shape = list(shape)
        while len(shape) > n and shape and shape[-1] == 1:
            shape.pop()
        if len(shape) > n:
            raise DLArrayError(
                f"dlarray: number of dimension labels ({n}) must be greater than or equal to the number of "
                f"dimensions of the input array ({len(shape)}).")
        base = base.reshape(shape + [1] * (n - len(shape)))
    return DLArray(base if order is None else base.permute(order), canon)


_FORMATS: dict = {}     # format text -> (number of labels, canonical format, permutation or None)
_FLOAT_ARRAYS = (np.dtype(np.float32), np.dtype(np.float64))


def _wrap_like(t: torch.Tensor, fmt: str) -> DLArray:
    return DLArray(t if fmt else _matlab_tensor(t), fmt)


@matlab_function("dims", outputs=("fmt",))
def dims(X) -> str:
    """``fmt = dims(dlX)``: the format labels ('' for an unformatted dlarray)."""
    return X.fmt if isinstance(X, DLArray) else ""


@matlab_function("finddim", outputs=("dim",))
def finddim(X, label: str) -> np.ndarray:
    """``dim = finddim(dlX, label)``: 1-based indices of the dimensions with ``label`` (a row vector)."""
    fmt = dims(X)
    found = [i + 1 for i, ch in enumerate(fmt) if ch == str(label).upper()]
    return np.asarray(found, dtype=np.float64).reshape(1, -1)


@matlab_function("stripdims", outputs=("Y",))
def stripdims(X) -> DLArray:
    """``Y = stripdims(dlX)``: the same data without format labels."""
    if not isinstance(X, DLArray):
        return X
    return DLArray(_matlab_tensor(X.data), "")


@matlab_function("extractdata", outputs=("X",))
def extractdata(X):
    """``X = extractdata(dlX)``: the data as a numeric (NumPy) array in MATLAB layout.

    A value read from a network (``net.Learnables.Value[k]``) gives a copy, as in MATLAB: the network's
    parameters change in place when it is updated. Other dlarrays give their data without copying."""
    if isinstance(X, DLArray):
        arr = _numpy(X.data)
        return arr.copy() if X._source is not None else arr
    if isinstance(X, torch.Tensor):
        return _numpy(X)
    return X


@matlab_function("gather", outputs=("X",))
def gather(X):
    """``X = gather(X)``: data on the CPU (every layergraph array already is); returns ``X``."""
    if isinstance(X, DLArray) and X.data.device.type != "cpu":
        return DLArray(X.data.cpu(), X.fmt)
    return X


@matlab_function("isdlarray", outputs=("tf",))
def isdlarray(X) -> bool:
    """``tf = isdlarray(X)``."""
    return isinstance(X, DLArray)


# ------------------------------------------------------------------------------------------------
# element-wise operations

def _operand(x, fmt: str, ndim: int) -> torch.Tensor:
    t = _as_tensor(x)
    return _pad_right(t, ndim) if ndim else t


def elementwise(op, a, b, name: str = "operation") -> DLArray:
    """Apply ``op`` element-wise with MATLAB's dlarray label rules and implicit expansion."""
    fa = a.fmt if isinstance(a, DLArray) else ""
    fb = b.fmt if isinstance(b, DLArray) else ""
    if fa and fb and fa != fb:
        raise DLArrayError(f"{name}: formats of the dlarray inputs must match: '{fa}' and '{fb}'. "
                           "Use stripdims or permute one input to the other's format.")
    fmt = fa or fb
    ta, tb = _as_tensor(a), _as_tensor(b)
    ndim = max(ta.dim(), tb.dim())
    ta, tb = _pad_right(ta, ndim), _pad_right(tb, ndim)
    ta, tb = _cast_pair(ta, tb)
    try:
        out = op(ta, tb)
    except RuntimeError as exc:
        raise DLArrayError(f"{name}: arrays have incompatible sizes for this operation "
                           f"({'×'.join(map(str, matlab_shape(ta.shape)))} and "
                           f"{'×'.join(map(str, matlab_shape(tb.shape)))}).") from exc
    if out.dtype == torch.bool:
        out = out
    return _wrap_like(out, fmt)


def unary(fn, X) -> DLArray:
    """Apply ``fn`` (torch) to a dlarray or numeric input, keeping the format."""
    if isinstance(X, DLArray):
        return DLArray(fn(X.data), X.fmt)
    return DLArray(_matlab_tensor(fn(_as_tensor(X))), "")


def mtimes(a, b) -> DLArray:
    """MATLAB ``A * B`` (matrix product) for 2-D arrays; the result is unformatted."""
    ta, tb = _cast_pair(_as_tensor(a), _as_tensor(b))
    if ta.dim() == 0 or tb.dim() == 0 or ta.numel() == 1 or tb.numel() == 1:
        return elementwise(torch.mul, a, b, "mtimes")
    if ta.dim() != 2 or tb.dim() != 2:
        raise DLArrayError("mtimes: arguments must be 2-D (use pagemtimes or reshape).")
    if ta.shape[1] != tb.shape[0]:
        raise DLArrayError("Incorrect dimensions for matrix multiplication. Check that the number of columns in the "
                           "first matrix matches the number of rows in the second matrix.")
    return DLArray(ta @ tb, "")


def transpose(X) -> DLArray:
    """MATLAB ``X.'`` / ``X'`` (real data): 2-D only; the result is unformatted."""
    t = _as_tensor(X)
    if t.dim() > 2:
        raise DLArrayError("transpose: transpose on N-D arrays is not defined. Use permute instead.")
    if isinstance(X, DLArray) and X.fmt:
        raise DLArrayError(f"transpose: not supported for a formatted dlarray ('{X.fmt}'); use stripdims first.")
    return DLArray(t.reshape(matlab_shape(t.shape)).T, "")


# ------------------------------------------------------------------------------------------------
# reductions

def _dims_arg(X: DLArray, dim, function: str) -> list[int] | None:
    t = X.data
    if dim is None:
        shape = matlab_shape(t.shape)
        first = next((i for i, s in enumerate(shape) if s != 1), 0)
        return [first]
    if isinstance(dim, str):
        if dim.lower() == "all":
            return None
        raise DLArrayError(f"{function}: dimension must be a positive integer, a vector of them or 'all'.")
    dims_ = np.asarray(dim, dtype=np.float64).reshape(-1)
    if not dims_.size or np.any(dims_ < 1) or np.any(dims_ != np.round(dims_)):
        raise DLArrayError(f"{function}: dimension argument must be a positive integer scalar or vector.")
    return [int(d) - 1 for d in dims_]


def _reduce(X, dim, fn, function: str) -> DLArray:
    X = X if isinstance(X, DLArray) else DLArray(_matlab_tensor(_as_tensor(X)), "")
    t = X.data
    sel = _dims_arg(X, dim, function)
    if sel is None:
        out = fn(t, tuple(range(t.dim())))
        return DLArray(out, X.fmt) if X.fmt else DLArray(out.reshape(1, 1), "")
    real = [d for d in sel if d < t.dim()]
    if not real:
        return X
    out = fn(t, tuple(real))
    return _wrap_like(out, X.fmt)


def dl_sum(X, dim=None, *flags) -> DLArray:
    """MATLAB ``sum(X)``, ``sum(X, dim)``, ``sum(X, vecdim)``, ``sum(X, 'all')``: reduced dims kept (size 1)."""
    if isinstance(dim, str) and dim.lower() in ("double", "native", "default", "omitnan", "includenan"):
        flags, dim = (dim,) + flags, None
    omit = any(str(f).lower() == "omitnan" for f in flags)
    fn = (lambda t, d: torch.nansum(t, dim=d, keepdim=True)) if omit else (lambda t, d: t.sum(dim=d, keepdim=True))
    return _reduce(X, dim, fn, "sum")


def dl_mean(X, dim=None, *flags) -> DLArray:
    """MATLAB ``mean(X)``, ``mean(X, dim)``, ``mean(X, vecdim)``, ``mean(X, 'all')``."""
    if isinstance(dim, str) and dim.lower() in ("double", "native", "default", "omitnan", "includenan"):
        flags, dim = (dim,) + flags, None
    omit = any(str(f).lower() == "omitnan" for f in flags)
    fn = (lambda t, d: torch.nanmean(t, dim=d, keepdim=True)) if omit else (lambda t, d: t.mean(dim=d, keepdim=True))
    return _reduce(X, dim, fn, "mean")


def dl_max(X, Y=None, dim=None):
    """MATLAB ``max(X, [], dim)`` -> (values, 1-based indices) or ``max(X, Y)`` element-wise."""
    return _minmax(X, Y, dim, torch.max, torch.maximum, "max")


def dl_min(X, Y=None, dim=None):
    """MATLAB ``min(X, [], dim)`` -> (values, 1-based indices) or ``min(X, Y)`` element-wise."""
    return _minmax(X, Y, dim, torch.min, torch.minimum, "min")


def _minmax(X, Y, dim, reduce, pairwise, name):
    empty = Y is None or (isinstance(Y, (list, np.ndarray)) and np.size(Y) == 0)
    if not empty:
        return elementwise(pairwise, X, Y, name)
    X = X if isinstance(X, DLArray) else DLArray(_matlab_tensor(_as_tensor(X)), "")
    sel = _dims_arg(X, dim, name)
    t = X.data
    if sel is None:
        flat = t.reshape(-1)
        v, i = reduce(flat, dim=0)
        idx = DLArray(torch.tensor([[float(i) + 1]], dtype=torch.float64), "")
        return DLArray(v.reshape(1, 1), ""), idx
    d = sel[0]
    if d >= t.dim():
        return X, DLArray(torch.ones(X.shape, dtype=torch.float64), X.fmt)
    v, i = reduce(t, dim=d, keepdim=True)
    return _wrap_like(v, X.fmt), _wrap_like((i + 1).double(), X.fmt)


# ------------------------------------------------------------------------------------------------
# reshape, indexing (MATLAB 1-based), concatenation, permute

def _fortran_reshape(t: torch.Tensor, shape) -> torch.Tensor:
    rev = t.permute(*reversed(range(t.dim()))) if t.dim() > 1 else t
    out = rev.reshape(tuple(reversed(shape)))
    return out.permute(*reversed(range(len(shape)))) if len(shape) > 1 else out


def dl_reshape(X, *sizes) -> DLArray:
    """MATLAB ``reshape(X, sz1, sz2, ...)`` or ``reshape(X, [sz...])`` (column-major); the result is unformatted."""
    t = _as_tensor(X)
    if len(sizes) == 1 and not isinstance(sizes[0], numbers.Number):
        sizes = tuple(np.asarray(sizes[0]).reshape(-1).tolist())
    shape, unknown = [], None
    for i, s in enumerate(sizes):
        if s is None or (isinstance(s, (list, np.ndarray)) and np.size(s) == 0):
            if unknown is not None:
                raise DLArrayError("reshape: only one size can be [].")
            unknown = i
            shape.append(1)
        else:
            shape.append(int(s))
    if unknown is not None:
        known = int(np.prod(shape))
        shape[unknown] = t.numel() // max(known, 1)
    if int(np.prod(shape)) != t.numel():
        raise DLArrayError(f"reshape: number of elements must not change. Use [] as one of the size inputs to "
                           f"automatically calculate the appropriate size for that dimension.")
    return DLArray(_matlab_tensor(_fortran_reshape(t, shape)), "")


def _matlab_index(k, size: int):
    if isinstance(k, str) and k == ":":
        return slice(None)
    if isinstance(k, slice):
        return k
    if isinstance(k, DLArray):
        k = k.data
    arr = k.detach().cpu().numpy() if isinstance(k, torch.Tensor) else np.asarray(k)
    if arr.dtype == bool:
        return torch.from_numpy(np.nonzero(arr.reshape(-1, order="F"))[0])
    arr = arr.reshape(-1, order="F")
    if arr.size and (np.any(arr < 1) or np.any(arr != np.round(arr))):
        raise DLArrayError("Index in position must be a positive integer or logical.")
    if arr.size and int(arr.max()) > size:
        raise DLArrayError(f"Index exceeds the number of array elements. Index must not exceed {size}.")
    return torch.from_numpy(arr.astype(np.int64) - 1)


def subsref(X, *subs) -> DLArray:
    """MATLAB ``X(i, j, ...)`` with 1-based subscripts (``':'`` for a whole dimension).

    Subscript indexing keeps the format; linear indexing ``X(k)`` gives an unformatted column
    (``X(:)``) or, for a row/column index vector, follows MATLAB's shape rule for vectors.
    """
    Xd = X if isinstance(X, DLArray) else DLArray(_matlab_tensor(_as_tensor(X)), "")
    t = Xd.data
    if len(subs) == 1:
        flat = _column_major(t)
        k = subs[0]
        idx = _matlab_index(k, flat.numel())
        out = flat[idx]
        if isinstance(k, str):
            return DLArray(out.reshape(-1, 1), "")
        src = k.data.detach().cpu().numpy() if isinstance(k, DLArray) else (
            k.detach().cpu().numpy() if isinstance(k, torch.Tensor) else np.asarray(k))
        src_shape = (1, src.size) if src.ndim <= 1 else matlab_shape(src.shape)   # a Python list is a row
        xs = matlab_shape(t.shape)
        if src.dtype != bool and len(src_shape) == 2 and min(src_shape) > 1 or len(src_shape) > 2:
            out = _fortran_reshape(out, list(src_shape))
        elif len(xs) == 2 and (xs[0] == 1 or xs[1] == 1):
            out = out.reshape(1, -1) if xs[0] == 1 else out.reshape(-1, 1)
        else:
            out = out.reshape(1, -1) if (src.dtype != bool and src_shape[0] == 1) else out.reshape(-1, 1)
        return DLArray(out, "")
    nd = max(t.dim(), len(subs))
    t = _pad_right(t, nd)
    if len(subs) < t.dim():
        # the last subscript indexes the remaining dimensions together (MATLAB)
        lead = list(t.shape[:len(subs) - 1])
        t = _fortran_reshape(t, lead + [int(np.prod(t.shape[len(subs) - 1:]))])
        fmt = ""
    else:
        fmt = Xd.fmt if len(Xd.fmt) == len(subs) or not Xd.fmt else ""
    out = t
    for d, k in enumerate(subs):
        idx = _matlab_index(k, t.shape[d])
        if isinstance(idx, slice):
            continue
        out = out.index_select(d, idx)
    return _wrap_like(out, fmt)


def subsasgn(X, value, *subs) -> DLArray:
    """MATLAB ``X(i, j, ...) = value``: a new dlarray (differentiable with respect to both)."""
    Xd = X if isinstance(X, DLArray) else DLArray(_matlab_tensor(_as_tensor(X)), "")
    t = Xd.data.clone()
    v = _as_tensor(value)
    v = v.to(t.dtype)
    if len(subs) == 1:
        flat = _column_major(t).clone()
        idx = _matlab_index(subs[0], flat.numel())
        flat[idx] = v.reshape(-1) if v.numel() > 1 else v.reshape(())
        shape = list(t.shape)
        return DLArray(_fortran_reshape(flat, shape) if len(shape) > 1 else flat, Xd.fmt)
    index = tuple(_matlab_index(k, t.shape[d]) for d, k in enumerate(subs))
    tensors = [i for i in index if isinstance(i, torch.Tensor)]
    if len(tensors) <= 1:
        t[index] = v.reshape(t[index].shape) if v.numel() > 1 else v.reshape(())
    else:
        grids = torch.meshgrid(*[i if isinstance(i, torch.Tensor) else torch.arange(t.shape[d])
                                 for d, i in enumerate(index)], indexing="ij")
        t[tuple(grids)] = v.reshape(grids[0].shape) if v.numel() > 1 else v.reshape(())
    return DLArray(t, Xd.fmt)


def cat(dim, *arrays) -> DLArray:
    """MATLAB ``cat(dim, A, B, ...)``: formatted inputs need equal formats; the format is kept."""
    fmts = {a.fmt for a in arrays if isinstance(a, DLArray) and a.fmt}
    if len(fmts) > 1:
        raise DLArrayError("cat: formats of the dlarray inputs must match: " + ", ".join(f"'{f}'" for f in sorted(fmts)) + ".")
    fmt = fmts.pop() if fmts else ""
    d = int(dim) - 1
    ts = [_as_tensor(a) for a in arrays if _as_tensor(a).numel() or len(arrays) == 1]
    nd = max([d + 1] + [t.dim() for t in ts])
    ts = [_pad_right(t, nd) for t in ts]
    base = ts[0].dtype
    ts = [t.to(torch.float32) if base == torch.float32 else t for t in ts]
    try:
        out = torch.cat(ts, dim=d)
    except RuntimeError as exc:
        raise DLArrayError("Dimensions of arrays being concatenated are not consistent.") from exc
    if fmt and out.dim() != len(fmt):
        fmt = ""
    return _wrap_like(out, fmt)


def horzcat(*arrays) -> DLArray:
    """MATLAB ``[A, B]``."""
    return cat(2, *arrays)


def vertcat(*arrays) -> DLArray:
    """MATLAB ``[A; B]``."""
    return cat(1, *arrays)


def permute(X, order) -> DLArray:
    """MATLAB ``permute(X, order)`` (1-based); the result is unformatted."""
    t = _as_tensor(X)
    order = [int(o) - 1 for o in np.asarray(order).reshape(-1)]
    t = _pad_right(t, len(order))
    return DLArray(_matlab_tensor(t.permute(order)), "")


# ------------------------------------------------------------------------------------------------
# the one boundary: dlarray labels <-> the engine's torch layout

def to_torch_layout(X: DLArray, fmt: str | None = None) -> tuple[torch.Tensor, str]:
    """A formatted dlarray as an engine tensor: dims ordered ``B, T, C, S...`` (batch first).

    A format without ``B`` or ``C`` gets a singleton one. ``fmt`` gives the labels of an unformatted
    array's MATLAB-layout data (e.g. the input layer's format). Returns the tensor and the format
    (with inserted labels) the data had.
    """
    data = X.data if isinstance(X, DLArray) else _as_tensor(X)
    fmt = X.fmt if isinstance(X, DLArray) and X.fmt else (fmt or "")
    if not fmt:
        raise DLArrayError("The input dlarray is unformatted and the network input has no known format; "
                           "use dlarray(X, fmt).")
    if "U" in fmt:
        raise DLArrayError(f"Network inputs cannot have 'U' (unspecified) dimensions: format '{fmt}'.")
    if data.dim() < len(fmt):
        data = _pad_right(data, len(fmt))
    if data.dim() > len(fmt):
        data = data.reshape(tuple(data.shape[:len(fmt)]))
    plan = _TORCH_ORDER.get(fmt)
    if plan is None:
        plan = _TORCH_ORDER[fmt] = _torch_order(fmt)
    inserts, order, labels = plan
    for pos in inserts:
        data = data.unsqueeze(pos)
    return _engine_memory(data.permute(order)), labels


def _torch_order(fmt: str):
    """The one layout rule: (positions of inserted singleton C/B dims, the permutation of the MATLAB-layout
    dims to B, T, C, S..., the labels with the inserts)."""
    labels = list(fmt)
    inserts = []
    for missing in "CB":
        if missing not in labels:
            canon, _ = _canonical("".join(labels) + missing)
            inserts.append(canon.index(missing))
            labels = list(canon)
    order = [labels.index("B")]
    if "T" in labels:
        order.append(labels.index("T"))
    order.append(labels.index("C"))
    order += [i for i, ch in enumerate(labels) if ch == "S"]
    return tuple(inserts), tuple(order), "".join(labels)


_TORCH_ORDER: dict = {}


def _engine_memory(t: torch.Tensor) -> torch.Tensor:
    """The memory format handed to the engine: channels-last for images (N×C×H×W stored N×H×W×C, the
    fast path of CPU convolution, pooling and normalization kernels), contiguous otherwise. Values and
    shapes are unchanged; only the strides differ."""
    if t.dim() == 4:
        t = t.contiguous(memory_format=torch.channels_last)
        n, c, h, w = t.shape
        strides = (h * w * c, 1, w * c, c)      # canonical, also for singleton dims (kernels look at them)
    else:
        t = t.contiguous()
        strides, acc = [], 1
        for size in reversed(t.shape):
            strides.append(acc)
            acc *= int(size)
        strides = tuple(reversed(strides))
    return t if t.stride() == strides or t.numel() == 0 else t.as_strided(t.shape, strides)


def from_torch_layout(t: torch.Tensor, fmt: str, *, lazy: bool = True) -> DLArray:
    """The inverse of :func:`to_torch_layout`: an engine tensor (``N×[T×]C×S...``) as a dlarray of ``fmt``."""
    perm, _, _, to_matlab = engine_order(fmt)
    if t.dim() != len(perm):
        raise DLArrayError(f"A network output of {t.dim()} dimensions does not match format '{fmt}'.")
    if lazy:
        return DLArray(None, fmt, torch_data=t, convert=to_matlab)
    return DLArray(t.permute(perm), fmt)


def engine_order(fmt: str) -> tuple:
    """How a network output of format ``fmt`` (``S... C B [T]``) is laid out in the engine (``B [T] C S...``):
    (the permutation engine -> MATLAB, its inverse, the labels in engine order, a function applying the
    permutation)."""
    plan = _ENGINE_ORDER.get(fmt)
    if plan is None:
        _, to_engine, labels = _torch_order(fmt)        # the rule of to_torch_layout, run backwards
        perm = tuple(sorted(range(len(to_engine)), key=to_engine.__getitem__))
        plan = _ENGINE_ORDER[fmt] = (perm, to_engine, "".join(labels[i] for i in to_engine),
                                     lambda x: x.permute(perm))
    return plan


_ENGINE_ORDER: dict = {}


__all__ = [
    "DLArray", "DLArrayError", "dlarray", "dims", "finddim", "stripdims", "extractdata", "gather", "isdlarray",
    "elementwise", "unary", "mtimes", "transpose", "dl_sum", "dl_mean", "dl_max", "dl_min", "dl_reshape",
    "subsref", "subsasgn", "cat", "horzcat", "vertcat", "permute", "to_torch_layout", "from_torch_layout", "engine_order",
    "is_tracing", "matlab_shape",
]
