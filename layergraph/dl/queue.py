"""``minibatchqueue``: mini-batches for custom training loops, from a datastore.

``mbq = minibatchqueue(ds, numOutputs, 'MiniBatchSize', 128, 'MiniBatchFcn', fcn, 'MiniBatchFormat',
{'SSCB', ''}, 'OutputAsDlarray', true, 'OutputCast', 'single', 'PartialMiniBatch', 'return', ...)``;
``hasdata(mbq)``, ``[X, T] = next(mbq)`` (Python: ``X, T = next(mbq)``), ``reset(mbq)``,
``shuffle(mbq)``.

``ds`` is any object with MATLAB's datastore methods ``read``, ``hasdata`` and ``reset`` (and
``shuffle`` for :func:`shuffle`), or a NumPy array / a list or tuple of arrays, whose observations
lie along the **last** dimension (MATLAB layout: H×W×C×N images, C×N features, N×1 labels are
read along their first dimension when they are vectors). One ``read`` gives one or more
observations: a 1×k cell (list) of variables, an n×k cell (2-D object array, list of lists), or a
table (one observation per row).

Without ``MiniBatchFcn`` each output is the concatenation of its observations: along the ``B``
dimension of its ``MiniBatchFormat`` when it has one, else along the dimension after the
observation's last; categorical observations are concatenated into a column.
``DispatchInBackground`` is accepted; mini-batches are prepared in the calling thread.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ..errors import OptionError
from ..functions import call_function, matlab_function
from .dlarray import DLArray, DLArrayError, dlarray
from .options import parse_options

_OPTIONS = {
    "minibatchsize": ("MiniBatchSize", 128),
    "minibatchfcn": ("MiniBatchFcn", None),
    "minibatchformat": ("MiniBatchFormat", None),
    "outputasdlarray": ("OutputAsDlarray", True),
    "outputcast": ("OutputCast", "single"),
    "outputenvironment": ("OutputEnvironment", "auto"),
    "partialminibatch": ("PartialMiniBatch", "return"),
    "dispatchinbackground": ("DispatchInBackground", False),
    "preprocessingenvironment": ("PreprocessingEnvironment", "serial"),
}


class _ArrayObservations:
    """A datastore over in-memory arrays: observation i is the i-th slice of each (last dimension)."""

    def __init__(self, arrays, order=None):
        self.arrays = arrays
        self.n = _count(arrays[0])
        for a in arrays[1:]:
            if _count(a) != self.n:
                raise OptionError("minibatchqueue: all arrays must have the same number of observations.")
        self.order = np.arange(self.n) if order is None else order
        self.pos = 0

    def hasdata(self):
        return self.pos < self.n

    def read(self):
        i = self.order[self.pos]
        self.pos += 1
        return [[_slice(a, i) for a in self.arrays]]

    def reset(self):
        self.pos = 0

    def shuffle(self):
        return _ArrayObservations(self.arrays, torch.randperm(self.n).numpy())   # torch's generator: rng(seed) seeds it


def _is_vector(a) -> bool:
    shape = np.shape(a)
    return len(shape) <= 1 or (len(shape) == 2 and 1 in shape)


def _count(a) -> int:
    if hasattr(a, "codes") and hasattr(a, "categories"):        # Categorical
        return int(np.prod(np.shape(a.codes)))
    shape = np.shape(a)
    if _is_vector(a):
        return int(np.prod(shape)) if shape else 1
    return int(shape[-1])


def _slice(a, i):
    if hasattr(a, "codes") and hasattr(a, "categories"):
        return a[int(i)] if np.ndim(a.codes) <= 1 else a.reshape(-1, 1)[int(i)] if hasattr(a, "reshape") else a[int(i)]
    arr = np.asarray(a)
    if _is_vector(arr):
        return arr.reshape(-1)[int(i)]
    return arr[..., int(i)]


def _rows(data) -> list[list]:
    """A datastore read as observations (lists of variables)."""
    from ..values.table import Table

    if isinstance(data, Table):
        names = data.VariableNames
        return [[data[n][r] for n in names] for r in range(data.height)]
    if hasattr(data, "a") and isinstance(getattr(data, "a"), np.ndarray):      # interpreter cell
        data = data.a
    if isinstance(data, np.ndarray) and data.dtype == object:
        arr = data if data.ndim == 2 else data.reshape(1, -1)
        return [list(arr[r]) for r in range(arr.shape[0])]
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(r, (list, tuple)) for r in data):
            return [list(r) for r in data]
        return [list(data)]
    return [[data]]


def _is_categorical(x) -> bool:
    return hasattr(x, "codes") and hasattr(x, "categories")


def _concat(values, fmt: str | None):
    """The default MiniBatchFcn for one variable."""
    first = values[0]
    if _is_categorical(first):
        from ..values.categorical import Categorical

        codes = np.concatenate([np.asarray(v.codes).reshape(-1) for v in values]).reshape(-1, 1)
        return Categorical(codes, list(first.categories), first.ordinal)
    arrs = [np.asarray(v.data.detach().cpu().numpy() if isinstance(v, DLArray) else v) for v in values]
    if fmt and "B" in fmt:
        dim = fmt.index("B")
        out = []
        for a in arrs:
            if a.ndim <= dim:
                a = np.expand_dims(a.reshape(a.shape + (1,) * (dim - a.ndim)), dim)
            elif a.shape[dim] != 1:
                a = np.expand_dims(a, dim)
            out.append(a)
        return np.concatenate(out, axis=dim)
    if all(a.ndim == 0 for a in arrs):
        return np.asarray([a.item() for a in arrs]).reshape(1, -1)
    nd = max(a.ndim for a in arrs)
    return np.stack([a.reshape(a.shape + (1,) * (nd - a.ndim)) for a in arrs], axis=nd)


_CASTS = {"single": np.float32, "double": np.float64, "int8": np.int8, "int16": np.int16, "int32": np.int32,
          "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
          "logical": np.bool_}


class MiniBatchQueue:
    """MATLAB ``minibatchqueue`` object (see the module docstring)."""

    MATLAB_PROPERTIES = ("MiniBatchSize", "NumOutputs", "PartialMiniBatch", "MiniBatchFcn", "MiniBatchFormat",
                         "OutputAsDlarray", "OutputCast", "OutputEnvironment", "DispatchInBackground")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("hasdata", "next", "reset", "shuffle")

    def __init__(self, ds, num_outputs, opts):
        if isinstance(ds, np.ndarray) or _is_categorical(ds):
            ds = _ArrayObservations([ds])
        elif isinstance(ds, (list, tuple)) and ds and all(isinstance(a, np.ndarray) or _is_categorical(a) for a in ds):
            ds = _ArrayObservations(list(ds))
        for method in ("read", "hasdata", "reset"):
            if not callable(getattr(ds, method, None)):
                raise OptionError("minibatchqueue: the first input must be a datastore (an object with read, hasdata "
                                  "and reset) or numeric arrays.")
        self._ds = ds
        size = opts["MiniBatchSize"]
        if isinstance(size, bool) or not isinstance(size, (numbers.Integral, float, np.number)) or size < 1 \
                or int(size) != size:
            raise OptionError(f"minibatchqueue: MiniBatchSize must be a positive integer, got {size!r}.")
        self.MiniBatchSize = int(size)
        partial = str(opts["PartialMiniBatch"]).lower()
        if partial not in ("return", "discard"):
            raise OptionError("minibatchqueue: PartialMiniBatch must be 'return' or 'discard'.")
        self.PartialMiniBatch = partial
        self.MiniBatchFcn = opts["MiniBatchFcn"]
        self.OutputEnvironment = opts["OutputEnvironment"]
        self.DispatchInBackground = bool(opts["DispatchInBackground"])
        self._buffer: list = []
        if num_outputs is None:
            if self.MiniBatchFcn is not None:
                num_outputs = 1
            else:
                self._fill(1)
                num_outputs = len(self._buffer[0]) if self._buffer else 1
        self.NumOutputs = int(num_outputs)
        self.MiniBatchFormat = self._per_output(opts["MiniBatchFormat"], "", "MiniBatchFormat")
        self.OutputAsDlarray = [bool(v) for v in self._per_output(opts["OutputAsDlarray"], True, "OutputAsDlarray")]
        self.OutputCast = self._per_output(opts["OutputCast"], "single", "OutputCast")
        for cast in self.OutputCast:
            if str(cast).lower() not in _CASTS:
                raise OptionError(f"minibatchqueue: OutputCast '{cast}' is not a numeric type name.")

    def _per_output(self, value, default, name):
        if value is None:
            return [default] * self.NumOutputs
        if isinstance(value, (str, bool, np.bool_)):
            return [value] * self.NumOutputs
        items = list(value.a.reshape(-1)) if hasattr(value, "a") else list(np.asarray(value, dtype=object).reshape(-1))
        if len(items) != self.NumOutputs:
            raise OptionError(f"minibatchqueue: {name} must have one value per output ({self.NumOutputs}).")
        return items

    # ---- reading ---------------------------------------------------------------------------------

    def _fill(self, n: int):
        while len(self._buffer) < n and self._ds.hasdata():
            self._buffer.extend(_rows(self._ds.read()))

    def hasdata(self) -> bool:
        need = self.MiniBatchSize if self.PartialMiniBatch == "discard" else 1
        self._fill(need)
        return len(self._buffer) >= need

    def next(self):
        """The next mini-batch: a tuple of NumOutputs outputs (one output alone when NumOutputs is 1)."""
        if not self.hasdata():
            raise DLArrayError("minibatchqueue: no more data available. Use hasdata to check, and reset or shuffle "
                               "to start again.")
        self._fill(self.MiniBatchSize)
        batch, self._buffer = self._buffer[:self.MiniBatchSize], self._buffer[self.MiniBatchSize:]
        nvars = len(batch[0])
        columns = [[obs[v] for obs in batch] for v in range(nvars)]
        if self.MiniBatchFcn is not None:
            out = call_function(self.MiniBatchFcn, *columns, nargout=self.NumOutputs)
            outputs = list(out) if isinstance(out, tuple) else [out]
        else:
            outputs = [_concat(col, fmt) for col, fmt in zip(columns, self.MiniBatchFormat + [""] * nvars)]
        if len(outputs) < self.NumOutputs:
            raise OptionError(f"minibatchqueue: the mini-batch function returned {len(outputs)} outputs but "
                              f"NumOutputs is {self.NumOutputs}.")
        result = tuple(self._convert(o, k) for k, o in enumerate(outputs[:self.NumOutputs]))
        return result[0] if self.NumOutputs == 1 else result

    def __next__(self):
        if not self.hasdata():
            raise StopIteration
        return self.next()

    def __iter__(self):
        return self

    def _convert(self, value, k: int):
        if _is_categorical(value) or isinstance(value, str):
            return value
        cast = _CASTS[str(self.OutputCast[k]).lower()]
        if isinstance(value, DLArray):
            data = value
        else:
            arr = np.asarray(value)
            if arr.dtype == object:
                return value
            data = arr.astype(cast, copy=False)
        if not self.OutputAsDlarray[k]:
            return data.data.detach().cpu().numpy() if isinstance(data, DLArray) else data
        fmt = self.MiniBatchFormat[k] or None
        if isinstance(data, DLArray):
            return dlarray(DLArray(data.data.to(torch.float32 if cast == np.float32 else data.data.dtype), ""), fmt) \
                if fmt else data
        return dlarray(data, fmt)

    def reset(self):
        self._ds.reset()
        self._buffer = []
        return self

    def shuffle(self):
        if not callable(getattr(self._ds, "shuffle", None)):
            raise OptionError("minibatchqueue: the datastore does not support shuffle (it has no shuffle method).")
        shuffled = self._ds.shuffle()
        self._ds = shuffled if shuffled is not None else self._ds
        self._ds.reset()
        self._buffer = []
        return self

    def __repr__(self):
        return (f"  minibatchqueue with {self.NumOutputs} output(s) and properties:\n\n"
                f"   Mini-batch creation:\n{'MiniBatchSize':>26}: {self.MiniBatchSize}\n"
                f"{'PartialMiniBatch':>26}: '{self.PartialMiniBatch}'\n"
                f"{'MiniBatchFcn':>26}: '{'collate' if self.MiniBatchFcn is None else 'user function'}'\n"
                f"{'DispatchInBackground':>26}: {int(self.DispatchInBackground)}\n\n"
                f"   Outputs:\n{'OutputCast':>26}: {{{', '.join(repr(c) for c in self.OutputCast)}}}\n"
                f"{'OutputAsDlarray':>26}: [{' '.join(str(int(v)) for v in self.OutputAsDlarray)}]\n"
                f"{'MiniBatchFormat':>26}: {{{', '.join(repr(f) for f in self.MiniBatchFormat)}}}\n"
                f"{'OutputEnvironment':>26}: {{'{self.OutputEnvironment}'}}\n")


@matlab_function("minibatchqueue", outputs=("mbq",))
def minibatchqueue(ds, *args, **kwargs) -> MiniBatchQueue:
    """``mbq = minibatchqueue(ds, numOutputs, Name, Value)``: see :mod:`layergraph.dl.queue`."""
    rest = list(args)
    num_outputs = None
    if rest and not isinstance(rest[0], str):
        num_outputs = rest.pop(0)
    _, opts = parse_options("minibatchqueue", rest, kwargs, _OPTIONS)
    return MiniBatchQueue(ds, num_outputs, opts)


@matlab_function("hasdata", outputs=("tf",))
def hasdata(obj) -> bool:
    """``tf = hasdata(mbq)`` (or of a datastore)."""
    return bool(obj.hasdata())


@matlab_function("next", outputs=("varargout",))
def mbq_next(mbq):
    """``[X1, ..., Xn] = next(mbq)`` (MATLAB's ``next``; in Python the builtin ``next(mbq)`` works too)."""
    if not isinstance(mbq, MiniBatchQueue):
        raise OptionError("next: input must be a minibatchqueue.")
    return mbq.next()


@matlab_function("reset", outputs=("obj",))
def reset(obj):
    """``reset(mbq)`` / ``reset(ds)``: start again from the first observation."""
    out = obj.reset()
    return obj if out is None else out


@matlab_function("shuffle", outputs=("obj",))
def shuffle(obj):
    """``shuffle(mbq)``: shuffle the data (through the datastore's shuffle) and reset; returns the queue."""
    if isinstance(obj, MiniBatchQueue):
        return obj.shuffle()
    method = getattr(obj, "shuffle", None)
    if not callable(method):
        raise OptionError(f"shuffle: {type(obj).__name__} has no shuffle method.")
    return method()


__all__ = ["MiniBatchQueue", "minibatchqueue", "hasdata", "mbq_next", "reset", "shuffle"]
