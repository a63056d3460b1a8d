"""The porter's value model.

* numeric and logical arrays: ``numpy.ndarray`` with at least 2 dimensions (float64 or bool);
* char row vectors: ``str``; string scalars: :class:`MString` (a ``str`` subclass); string arrays: :class:`StrArr`;
* cell arrays: :class:`Cell`; layer arrays: :class:`LayerArr` (2-D object arrays of layers);
* scalar structs: :class:`Struct`; function handles: :class:`FuncHandle`;
* LayerGraph, networks, options and other objects from the layergraph API: the Python objects themselves;
* results of calls the porter does not model: :class:`Opaque`.
"""

from __future__ import annotations

import numpy as np

from ..layers.base import Layer


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


class LayerArr(_ObjArray):
    __slots__ = ()

    def __repr__(self):
        return f"LayerArr({self.a.shape[0]}x{self.a.shape[1]})"


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


class FuncHandle:
    """``@name`` (``name`` set) or ``@(params) expr`` (``params``, ``body`` and captured ``env``)."""

    __slots__ = ("name", "params", "body", "env", "interp", "text")
    # A handle has no MATLAB properties or methods (func2str/feval take it as an argument)
    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    def __init__(self, name=None, params=None, body=None, env=None, interp=None, text=""):
        self.name = name
        self.params = params
        self.body = body
        self.env = env
        self.interp = interp
        self.text = text

    def __repr__(self):
        return self.text or f"@{self.name}"


class HandleFunction:
    """A MATLAB function handle handed to the Python API (an initializer, a custom function): calling it
    runs the handle in the interpreter; MATLAB code reading the property back gets the handle itself."""

    def __init__(self, interp, handle: FuncHandle, node):
        self.handle = handle
        self._interp = interp
        self._node = node
        self.__name__ = handle.text or "handle"
        self.matlab_text = handle.text

    __matlab_nargout__ = True     # called as f(*args, nargout=k): MATLAB's calling convention

    def __call__(self, *args, nargout: int = 1):
        from ..policy import confined
        from .access import to_matlab

        # Called later from Python (compiling a ported network): the script's file policy still applies.
        with confined((), read_only=True, extra_read=getattr(self._interp, "read_folders", ())):
            outs = self._interp.call_handle(self.handle, [to_matlab(a) for a in args], nargout, self._node)
            if nargout is not None and nargout > 1:
                return tuple(self._interp.to_py(o, self._node) for o in outs)
            return self._interp.to_py(outs[0], self._node) if outs else None

    def __repr__(self):
        return self.matlab_text or "@handle"


class CsList(list):
    """A comma-separated list (``c{:}``, ``s(2:3).Name``): expands inside [], {} and argument lists."""


class Opaque:
    """A value the porter does not compute (data, plots, unknown functions, undefined variables).

    ``origin`` says where it came from (``imageDatastore at file:3:8``); ``var`` is the variable to supply
    (set when the value is stored in a variable); ``needs`` is the set of supply-able variable names.
    """

    __slots__ = ("origin", "var", "needs", "missing")

    def __init__(self, origin: str, var: str | None = None, needs=(), missing: str | None = None):
        self.origin = origin
        self.var = var
        self.needs = tuple(needs)
        self.missing = missing   # name of an unknown function this value comes from

    def named(self, var: str) -> "Opaque":
        return Opaque(self.origin, var, (var,), self.missing)

    def __repr__(self):
        return f"<opaque {self.var or ''} from {self.origin}>"


def merge_opaque(values) -> Opaque:
    first = None
    needs = []
    for v in values:
        if isinstance(v, Opaque):
            first = first or v
            for n in v.needs:
                if n not in needs:
                    needs.append(n)
    missing = next((v.missing for v in values if isinstance(v, Opaque) and v.missing), None)
    return Opaque(first.origin, None, needs, missing)


def is_layer(v) -> bool:
    return isinstance(v, Layer)


def num(x) -> np.ndarray:
    return np.array([[x]], dtype=np.float64)


def boolean(x) -> np.ndarray:
    return np.array([[bool(x)]])


EMPTY = np.zeros((0, 0))

__all__ = [
    "MString", "Cell", "LayerArr", "StrArr", "Struct", "StructArr", "FuncHandle", "HandleFunction", "CsList", "Opaque", "merge_opaque",
    "num", "boolean", "EMPTY", "is_layer",
]
