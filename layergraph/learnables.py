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
    resizable: bool = False        # a recurrent state: dH (one column) or N×dH (one column per observation)


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

    # A custom loop makes several of these tables per iteration (net.Learnables, the gradients, the solver
    # state, forward's state), all with the same Layer/Parameter rows. They are kept as shared tuples plus
    # a list of values; the table's columns (object arrays, what Table's methods and users index) are
    # built only when something reads them, and from then on they are the table's truth.

    def __init__(self, Layer=(), Parameter=(), Value=(), sources=None):
        layers, params, values = tuple(Layer), tuple(Parameter), list(Value)
        if not (len(layers) == len(params) == len(values)):
            raise TableError("Table variables must have the same number of rows.")
        _fill(self, layers, params, values, list(sources) if sources is not None else None, None)

    @classmethod
    def shared(cls, layers: tuple, params: tuple, values: list, sources=None, writer=None, *,
               untraced: bool = False) -> "LearnableTable":
        """A table over row names the caller keeps (tuples of equal length to ``values``); no checks.
        ``untraced``: the caller knows no value is traced (``dlfeval`` then passes the table on as it is)."""
        out = cls.__new__(cls)
        _fill(out, layers, params, values, sources, writer)
        out.__dict__["_untraced"] = untraced
        return out

    @classmethod
    def lazy(cls, layers: tuple, params: tuple, tensors: list, converters, sources=None, writer=None, *,
             untraced: bool = False, network_rows: bool = False) -> "LearnableTable":
        """A table whose values are torch-layout ``tensors``, shown as MATLAB-layout dlarrays (made with
        ``converters``, one per row) only when something reads the Value column; custom-loop functions read
        the tensors themselves (:meth:`engine_values`). ``network_rows``: the tensors are the network's own
        (``sources``), as ``net.Learnables`` shows them."""
        out = cls.__new__(cls)
        out.__dict__.update({"_meta": {}, "_names": ["Layer", "Parameter", "Value"], "_layers": layers,
                             "_params": params, "_values": None, "_engine": (tensors, converters),
                             "_sources": sources, "_writer": writer, "_cols": None, "_untraced": untraced,
                             "_network_rows": network_rows})       # what _fill sets, and the flags
        return out

    def engine_values(self) -> list | None:
        """The torch-layout tensors of a table made by :meth:`lazy` whose values nobody has read or set
        since; None otherwise."""
        d = self.__dict__
        if d["_values"] is None and d["_cols"] is None:
            return d["_engine"][0]
        return None

    def shows_network(self) -> bool:
        """Whether every row still shows its network tensor (a table read from a network, untouched since)."""
        d = self.__dict__
        if d["_cols"] is None and d.get("_network_rows", False):
            return True
        sources = d["_sources"]
        return sources is not None and all(s is not None and getattr(v, "_source", None) is s
                                           for v, s in zip(self.value_list(), sources))

    def known_untraced(self) -> bool:
        """Whether the table was made with untraced values and its columns were not touched since."""
        d = self.__dict__
        return d.get("_untraced", False) and d["_cols"] is None

    @property
    def _columns(self) -> dict:
        d = self.__dict__
        cols = d["_cols"]
        if cols is None:
            values = _objects(self.value_list())
            if d["_writer"] is not None:
                values = values.view(BoundValues)
                values._writer = d["_writer"]
            cols = d["_cols"] = {"Layer": _objects(d["_layers"]), "Parameter": _objects(d["_params"]),
                                 "Value": values}
        return cols

    @_columns.setter
    def _columns(self, cols) -> None:
        self.__dict__["_cols"] = cols

    @property
    def height(self) -> int:
        d = self.__dict__
        return len(d["_layers"]) if d["_cols"] is None else len(d["_cols"]["Value"])

    def value_list(self) -> list:
        """The Value column as a list (without building the table's columns)."""
        d = self.__dict__
        cols = d["_cols"]
        if cols is not None:
            return list(cols["Value"])
        values = d["_values"]
        if values is None:
            tensors, converters = d["_engine"]
            sources = d["_sources"] or (None,) * len(tensors)
            values = d["_values"] = [wrap_tensor(t, c, src) for t, c, src in zip(tensors, converters, sources)]
        return values

    def _row_names(self) -> tuple[tuple, tuple]:
        d = self.__dict__
        cols = d["_cols"]
        if cols is None:
            return d["_layers"], d["_params"]
        return tuple(cols["Layer"]), tuple(cols["Parameter"])

    def rows(self):
        """Iterate over rows as ``LearnableRow(Layer, Parameter, Value)``."""
        layers, params = self._row_names()
        return (LearnableRow(l, p, v) for l, p, v in zip(layers, params, self.value_list()))

    def __getitem__(self, key):
        if isinstance(key, str):
            return super().__getitem__(key)
        rows = key[0] if isinstance(key, tuple) else key
        if isinstance(key, tuple) and not (isinstance(key[1], slice) and key[1] == slice(None)):
            return super().__getitem__(key)
        idx = self._row_indices(rows)
        layers, params = self._row_names()
        values, sources = self.value_list(), self._sources
        return LearnableTable([layers[i] for i in idx], [params[i] for i in idx], [values[i] for i in idx],
                              [sources[i] for i in idx] if sources is not None else None)

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
        sources = self._sources
        src = sources[i] if sources is not None and i < len(sources) else None
        if src is None:
            return None
        if getattr(self.value_list()[i], "_source", None) is not src:
            return None
        return src

    def with_values(self, values, *, keep_sources: bool = False) -> "LearnableTable":
        """A table with the same Layer/Parameter and new values (gradients, update state, ...)."""
        layers, params = self._row_names()
        values = list(values)
        if len(values) != len(layers):
            raise TableError(f"To assign to the Value variable, provide {len(layers)} values.")
        return LearnableTable.shared(layers, params, values, self._sources if keep_sources else None)

    def copy(self) -> "LearnableTable":
        """An unbound copy (assigning its values does not write into a network)."""
        layers, params = self._row_names()
        return LearnableTable.shared(layers, params, list(self.value_list()), self._sources)

    def bind(self, writer) -> "LearnableTable":
        """Make ``t.Value[k] = v`` call ``writer(k, v)`` too (tables read from a network)."""
        d = self.__dict__
        d["_writer"] = writer
        cols = d["_cols"]
        if cols is not None:
            values = cols["Value"].view(BoundValues)
            values._writer = writer
            cols["Value"] = values
        return self

    def _cell_text(self, col, i) -> str:
        v = col[i]
        if hasattr(v, "dims") and callable(getattr(v, "size", None)):
            return "{" + "×".join(str(s) for s in v.size()) + " dlarray}"
        if isinstance(v, str):
            return '"' + v + '"'
        return super()._cell_text(col, i)


def _fill(table: LearnableTable, layers: tuple, params: tuple, values: list, sources, writer) -> None:
    d = table.__dict__
    d["_meta"] = {}
    d["_names"] = ["Layer", "Parameter", "Value"]
    d["_layers"] = layers
    d["_params"] = params
    d["_values"] = values
    d["_engine"] = None
    d["_sources"] = sources
    d["_writer"] = writer
    d["_cols"] = None


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
    """Install how a torch-layout tensor is shown as a table Value: ``fn(tensor, convert, source)``
    (``layergraph.dl`` installs a lazily converted dlarray)."""
    _WRAPPER[0] = fn


def wrap_tensor(tensor: torch.Tensor, convert: Callable, source: LearnableSource | None = None):
    """A table Value for a torch-layout tensor: a MATLAB-layout dlarray converted on first use (once dl is
    loaded); ``source`` when it shows a network tensor."""
    if _WRAPPER[0] is None:
        return convert(tensor.detach())
    return _WRAPPER[0](tensor, convert, source)


__all__ = ["LearnableTable", "LearnableRow", "LearnableSource", "TableError", "set_value_wrapper", "wrap_tensor"]
