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


class TableError(LayerGraphError, KeyError):
    """A table variable or row does not exist."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class LearnableSource(NamedTuple):
    """Where a row's value lives in a network: the tensor (torch layout) and the layout converters."""

    tensor: torch.Tensor
    to_matlab: Callable
    to_torch: Callable


class LearnableRow(NamedTuple):
    Layer: str
    Parameter: str
    Value: object


class _Column(list):
    """A table variable (a list you can index and assign: ``t.Value[k] = v``)."""

    __slots__ = ("_table", "_name")


class LearnableTable:
    """MATLAB table with variables ``Layer``, ``Parameter``, ``Value`` (``height(t)`` rows).

    ``t.Layer``, ``t["Value"]``, ``t.Value[k]`` (read and assign), ``t[rows]`` (a sub-table by int, slice,
    list or boolean mask), ``len(t)``, iteration over rows (``LearnableRow`` tuples), ``t.VariableNames``.
    """

    MATLAB_PROPERTIES = ("Layer", "Parameter", "Value", "Properties", "VariableNames")
    MATLAB_SETTABLE = ("Value",)
    MATLAB_METHODS = ("height", "width", "size", "numel")
    VariableNames = ("Layer", "Parameter", "Value")

    __slots__ = ("_layer", "_param", "_value", "_sources")

    def __init__(self, Layer=(), Parameter=(), Value=(), sources=None):
        self._layer = list(Layer)
        self._param = list(Parameter)
        self._value = _Column(Value)
        if not (len(self._layer) == len(self._param) == len(self._value)):
            raise TableError("Table variables must have the same number of rows.")
        self._sources = list(sources) if sources is not None else [None] * len(self._layer)

    # ---- MATLAB table interface ------------------------------------------------------------------

    @property
    def Layer(self) -> list:
        return self._layer

    @property
    def Parameter(self) -> list:
        return self._param

    @property
    def Value(self) -> list:
        return self._value

    @Value.setter
    def Value(self, values):
        values = list(values)
        if len(values) != len(self._layer):
            raise TableError(f"To assign to the Value variable, provide {len(self._layer)} values.")
        self._value = _Column(values)

    @property
    def height(self) -> int:
        return len(self._layer)

    @property
    def width(self) -> int:
        return 3

    def __len__(self) -> int:
        return len(self._layer)

    def __iter__(self):
        return (LearnableRow(l, p, v) for l, p, v in zip(self._layer, self._param, self._value))

    def __getitem__(self, key):
        if isinstance(key, str):
            if key == "Layer":
                return self._layer
            if key == "Parameter":
                return self._param
            if key == "Value":
                return self._value
            raise TableError(f"Unrecognized table variable name '{key}'.")
        if isinstance(key, tuple):   # t[rows, :] like MATLAB t(rows,:)
            key = key[0]
        rows = self._rows(key)
        return LearnableTable([self._layer[i] for i in rows], [self._param[i] for i in rows],
                              [self._value[i] for i in rows], [self._sources[i] for i in rows])

    def _rows(self, key) -> list[int]:
        n = len(self._layer)
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

    def row_key(self, i: int) -> tuple[str, str]:
        return self._layer[i], self._param[i]

    def source(self, i: int) -> LearnableSource | None:
        """The network parameter row ``i`` shows, while its Value is still the one read from the network."""
        src = self._sources[i]
        if src is None:
            return None
        value = self._value[i]
        if getattr(value, "_source", None) is not src:
            return None
        return src

    def with_values(self, values, *, keep_sources: bool = False) -> "LearnableTable":
        """A table with the same Layer/Parameter and new values (e.g. gradients, update state)."""
        return LearnableTable(self._layer, self._param, values, self._sources if keep_sources else None)

    def copy(self) -> "LearnableTable":
        return LearnableTable(self._layer, self._param, list(self._value), self._sources)

    # ---- display -----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        def show(v):
            shape = getattr(v, "shape", None)
            if callable(getattr(v, "size", None)) and hasattr(v, "dims"):
                size = "×".join(str(s) for s in v.size())
                return f"{{{size} dlarray}}"
            if shape is not None:
                return "{" + "×".join(str(s) for s in shape) + " " + type(v).__name__ + "}"
            return repr(v)

        rows = [(f'"{l}"', f'"{p}"', show(v)) for l, p, v in self]
        heads = ("Layer", "Parameter", "Value")
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(heads)]
        lines = [f"  {height_str(len(rows))} table", "",
                 "    " + "    ".join(h.center(w) for h, w in zip(heads, widths)),
                 "    " + "    ".join("_" * w for w in widths), ""]
        for r in rows:
            lines.append("    " + "    ".join(c.ljust(w) for c, w in zip(r, widths)))
        return "\n".join(lines) + "\n"


_WRAPPER = [None]


def set_value_wrapper(fn: Callable) -> None:
    """Install how a network tensor is shown as a table Value (``layergraph.dl`` installs dlarray)."""
    _WRAPPER[0] = fn


def wrap_source(src: LearnableSource):
    """The Value shown for a network tensor: a lazily converted MATLAB-layout dlarray (once dl is loaded)."""
    if _WRAPPER[0] is None:
        return src.to_matlab(src.tensor.detach())
    return _WRAPPER[0](src)


def height_str(n: int) -> str:
    return f"{n}×3"


__all__ = ["LearnableTable", "LearnableRow", "LearnableSource", "TableError", "set_value_wrapper", "wrap_source"]
