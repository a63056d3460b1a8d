"""``net.Learnables`` and ``net.State``: MATLAB tables with variables Layer, Parameter and Value.

A :class:`LearnableTable` has one row per learnable (or state) parameter. ``Value`` holds dlarrays in
MATLAB layout (``net.Learnables.Value{k}`` in MATLAB is ``net.Learnables.Value[k]`` in Python, 0-based).
Rows that come from a network remember the parameter they show, so ``dlgradient(loss, net.Learnables)``
differentiates with respect to the network's own parameters and update functions write back in place.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import torch

from .errors import LayerGraphError
from .values.table import Table


class TableError(LayerGraphError, KeyError):
    """A table variable or row does not exist."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class LearnableSource(NamedTuple):
    """Where a row's value lives in a network: the tensor (torch layout) and the layout converters."""

    tensor: torch.Tensor
    to_matlab: Callable
    to_torch: Callable
    owner: tuple | None = None     # (object, attribute) holding the tensor, to swap it (forward's state)


class LearnableRow(NamedTuple):
    Layer: str
    Parameter: str
    Value: object


class LearnableTable(Table):
    """MATLAB table with variables ``Layer``, ``Parameter``, ``Value`` (a :class:`~layergraph.values.Table`).

    ``t.Layer``, ``t["Value"]``, ``t.Value[k]`` (read and assign), ``t[rows]`` (a sub-table by int, slice,
    list or boolean mask), ``height(t)``, ``t.VariableNames``; :meth:`rows` iterates (Layer, Parameter, Value).
    """

    MATLAB_PROPERTIES = ("Layer", "Parameter", "Value", "Properties", "VariableNames")
    MATLAB_SETTABLE = ("Value",)

    def __init__(self, Layer=(), Parameter=(), Value=(), sources=None):
        layers, params, values = list(Layer), list(Parameter), list(Value)
        if not (len(layers) == len(params) == len(values)):
            raise TableError("Table variables must have the same number of rows.")
        # the columns are built directly (object arrays of equal length): this runs every iteration of a loop
        object.__setattr__(self, "_meta", {})
        object.__setattr__(self, "_columns", {"Layer": _objects(layers), "Parameter": _objects(params),
                                              "Value": _objects(values)})
        object.__setattr__(self, "_names", ["Layer", "Parameter", "Value"])
        object.__setattr__(self, "_sources", list(sources) if sources is not None else [None] * len(layers))

    def rows(self):
        """Iterate over rows as ``LearnableRow(Layer, Parameter, Value)``."""
        cols = self._columns
        return (LearnableRow(l, p, v) for l, p, v in zip(cols["Layer"], cols["Parameter"], cols["Value"]))

    def __getitem__(self, key):
        if isinstance(key, str):
            return super().__getitem__(key)
        rows = key[0] if isinstance(key, tuple) else key
        if isinstance(key, tuple) and not (isinstance(key[1], slice) and key[1] == slice(None)):
            return super().__getitem__(key)
        idx = self._row_indices(rows)
        cols = self._columns
        return LearnableTable([cols["Layer"][i] for i in idx], [cols["Parameter"][i] for i in idx],
                              [cols["Value"][i] for i in idx], [self._sources[i] for i in idx])

    def _row_indices(self, key) -> list[int]:
        n = self.height
        if isinstance(key, slice):
            return list(range(n))[key]
        if isinstance(key, (int, np.integer)):
            if not -n <= int(key) < n:
                raise TableError(f"Row index {key} exceeds table dimensions ({n} rows).")
            return [int(key) % n]
        arr = np.asarray(key)
        if arr.dtype == bool:
            if arr.size != n:
                raise TableError(f"A logical row index must have {n} elements.")
            return [int(i) for i in np.nonzero(arr.reshape(-1))[0]]
        return [int(i) for i in arr.reshape(-1)]

    def source(self, i: int) -> LearnableSource | None:
        """The network tensor row ``i`` shows, while its Value is still the one read from the network."""
        src = self._sources[i] if i < len(self._sources) else None
        if src is None:
            return None
        if getattr(self._columns["Value"][i], "_source", None) is not src:
            return None
        return src

    def with_values(self, values, *, keep_sources: bool = False) -> "LearnableTable":
        """A table with the same Layer/Parameter and new values (gradients, update state, ...)."""
        cols = self._columns
        out = LearnableTable.__new__(LearnableTable)
        values = list(values)
        if len(values) != len(cols["Layer"]):
            raise TableError(f"To assign to the Value variable, provide {len(cols['Layer'])} values.")
        object.__setattr__(out, "_meta", {})
        object.__setattr__(out, "_columns", {"Layer": cols["Layer"].copy(), "Parameter": cols["Parameter"].copy(),
                                             "Value": _objects(values)})
        object.__setattr__(out, "_names", ["Layer", "Parameter", "Value"])
        object.__setattr__(out, "_sources", self._sources if keep_sources else [None] * len(values))
        return out

    def copy(self) -> "LearnableTable":
        """An unbound copy (assigning its values does not write into a network)."""
        cols = self._columns
        return LearnableTable(list(cols["Layer"]), list(cols["Parameter"]), list(cols["Value"]), self._sources)

    def bind(self, writer) -> "LearnableTable":
        """Make ``t.Value[k] = v`` call ``writer(k, v)`` too (tables read from a network)."""
        values = self._columns["Value"].view(BoundValues)
        values._writer = writer
        self._columns["Value"] = values
        return self

    def _cell_text(self, col, i) -> str:
        v = col[i]
        if hasattr(v, "dims") and callable(getattr(v, "size", None)):
            return "{" + "×".join(str(s) for s in v.size()) + " dlarray}"
        if isinstance(v, str):
            return '"' + v + '"'
        return super()._cell_text(col, i)


class BoundValues(np.ndarray):
    """The Value column of a table read from a network: assigning an element (``t.Value[k] = v``) also
    writes ``v`` into the network's tensor, so ``net.Learnables.Value[k] = v`` works as in MATLAB."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        writer = getattr(self, "_writer", None)
        if writer is not None:
            for i in np.arange(len(self))[key].reshape(-1):
                writer(int(i), np.ndarray.__getitem__(self, int(i)))

    def __array_finalize__(self, obj):
        self._writer = None


def _objects(items) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return arr


_WRAPPER = [None]


def set_value_wrapper(fn: Callable) -> None:
    """Install how a network tensor is shown as a table Value (``layergraph.dl`` installs dlarray)."""
    _WRAPPER[0] = fn


def wrap_source(src: LearnableSource):
    """The Value shown for a network tensor: a lazily converted MATLAB-layout dlarray (once dl is loaded)."""
    if _WRAPPER[0] is None:
        return src.to_matlab(src.tensor.detach())
    return _WRAPPER[0](src)


__all__ = ["LearnableTable", "LearnableRow", "LearnableSource", "TableError", "set_value_wrapper", "wrap_source"]
