"""MATLAB container values every layer of the package may use: string scalars, string arrays, cell
arrays and scalar structs (the interpreter's value model; see :mod:`layergraph.matlab.values`).

* char row vectors are ``str``; string scalars :class:`MString` (a ``str`` subclass);
* string arrays :class:`StrArr`, cell arrays :class:`Cell`: 2-D (or N-D) numpy object arrays in MATLAB
  shape, column-major when listed (:meth:`items`);
* scalar structs :class:`Struct` (ordered fields); struct arrays :class:`StructArr`.

Imports only numpy (below layers, data, training and dl in the import order), so the datasets and the
layout boundary can build MATLAB values (``japaneseVowelsTrainData`` returns a 270×1 cell).
"""

from __future__ import annotations

import numpy as np


class MString(str):
    """A MATLAB string scalar ("text")."""

    __slots__ = ()


class _ObjArray:
    __slots__ = ("a", "_grow")

    def __init__(self, a, _grow=None):
        self._grow = _grow   # [buffer, used] shared by the versions built by appended()
        if not isinstance(a, np.ndarray):
            items = list(a)
            arr = np.empty((1, len(items)), dtype=object)
            for i, x in enumerate(items):
                arr[0, i] = x
            a = arr
        self.a = a

    def items(self) -> list:
        return list(self.a.reshape(-1, order="F"))

    def appended(self, item, column: bool):
        """A new array: this vector with ``item`` appended (``x(end+1) = item``, ``[x; item]``), or None.

        MATLAB value semantics at amortised O(1): versions share a buffer with spare capacity; an append
        writes past the end every older version sees, so none of them changes.
        """
        a = self.a
        n = a.size
        if a.ndim != 2 or (n and not (a.shape[1 if column else 0] == 1)):
            return None
        state = self._grow
        if state is None or state[1] != n or state[0].size == 0 or n == 0 or \
                a.base is not state[0]:
            buf = np.empty(max(8, 2 * n + 1), dtype=object)
            buf[:n] = a.reshape(-1, order="F")
            state = [buf, n]
        elif n == state[0].size:
            buf = np.empty(2 * n + 1, dtype=object)
            buf[:n] = state[0][:n]
            state = [buf, n]
        buf = state[0]
        buf[n] = item
        state[1] = n + 1
        view = buf[:n + 1]
        return type(self)(view.reshape((n + 1, 1) if column else (1, n + 1)), state)

    def __len__(self):
        return self.a.size

    @classmethod
    def column(cls, items):
        items = list(items)
        arr = np.empty((len(items), 1), dtype=object)
        for i, x in enumerate(items):
            arr[i, 0] = x
        return cls(arr)

    @classmethod
    def row(cls, items):
        items = list(items)
        arr = np.empty((1, len(items)), dtype=object)
        for i, x in enumerate(items):
            arr[0, i] = x
        return cls(arr)

    def __eq__(self, other):
        return type(self) is type(other) and self.a.shape == other.a.shape and all(
            _same(x, y) for x, y in zip(self.items(), other.items())
        )

    __hash__ = None


def _same(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape and bool(np.all(x == y))
    return x == y


class Cell(_ObjArray):
    __slots__ = ()

    def __repr__(self):
        return "Cell(" + repr(self.items()) + ")"


class StrArr(_ObjArray):
    __slots__ = ()

    def __repr__(self):
        return "StrArr(" + repr(self.items()) + ")"


class Struct:
    __slots__ = ("fields",)

    def __init__(self, fields=None):
        self.fields = dict(fields or {})

    def copy(self):
        return Struct(self.fields)

    def __repr__(self):
        return f"Struct({list(self.fields)})"

    def __eq__(self, other):
        return isinstance(other, Struct) and self.fields.keys() == other.fields.keys() and all(
            _same(self.fields[k], other.fields[k]) for k in self.fields
        )

    __hash__ = None


class StructArr(_ObjArray):
    """A MATLAB struct array that is not 1×1 (``s(2).a = 1``, ``struct('a', {1, 2})``): an object array of
    :class:`Struct` elements sharing ``fields`` (field names in order). A 1×1 struct is a :class:`Struct`."""

    __slots__ = ("fields",)

    def __init__(self, a, _grow=None, fields=None):
        super().__init__(a, _grow)
        if fields is None:
            fields = []
            for x in self.a.reshape(-1, order="F"):
                for k in (x.fields if isinstance(x, Struct) else ()):
                    if k not in fields:
                        fields.append(k)
        self.fields = tuple(fields)

    @classmethod
    def column(cls, items, fields=None):
        out = super().column(items)
        return cls(out.a, fields=fields)

    @classmethod
    def row(cls, items, fields=None):
        out = super().row(items)
        return cls(out.a, fields=fields)

    def __repr__(self):
        return f"StructArr({self.a.shape[0]}x{self.a.shape[1]}, {list(self.fields)})"


class CellList(list):
    """The items of a MATLAB cell or string array handed to a Python function, in column-major order, with
    the array's MATLAB shape in ``matlab_shape`` (``categorical({'a','b'})`` is 1×2, ``{'a';'b'}`` 2×1)."""

    __slots__ = ("matlab_shape",)

    def __init__(self, items=(), matlab_shape=None):
        super().__init__(items)
        self.matlab_shape = tuple(matlab_shape) if matlab_shape is not None else (len(self), 1)


__all__ = ["MString", "Cell", "CellList", "StrArr", "Struct", "StructArr"]
