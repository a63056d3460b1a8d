"""The porter's value model.

* numeric and logical arrays: ``numpy.ndarray`` with at least 2 dimensions (float64 or bool);
* char row vectors: ``str``; string scalars: :class:`MString` (a ``str`` subclass); string arrays: :class:`StrArr`;
* cell arrays: :class:`Cell`; layer arrays: :class:`LayerArr` (2-D object arrays of layers);
* scalar structs: :class:`Struct` (MString, StrArr, Cell and Struct live in :mod:`layergraph.values.containers`,
  below data, training and dl); function handles: :class:`FuncHandle`;
* LayerGraph, networks, options and other objects from the layergraph API: the Python objects themselves;
* results of calls the porter does not model: :class:`Opaque`.
"""

from __future__ import annotations

import numpy as np

from ..layers.base import Layer
from ..values.containers import Cell, MString, StrArr, Struct, StructArr, _ObjArray, _same  # noqa: F401  (moved below)


class LayerArr(_ObjArray):
    __slots__ = ()

    def __repr__(self):
        return f"LayerArr({self.a.shape[0]}x{self.a.shape[1]})"


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

    def __call__(self, *args, nargout: int = 1):
        """Call the handle from Python (registry functions taking handles: cellfun, dlfeval, transform, ...):
        MATLAB values in, one value out for nargout <= 1 (None if it returns nothing), a tuple otherwise."""
        interp = self.interp
        if interp is None:
            from ..errors import MatlabRuntimeError

            raise MatlabRuntimeError(f"The function handle {self!r} cannot be called outside the MATLAB "
                                     "interpreter.", "layergraph:handleOutsideInterpreter")
        from .access import to_matlab

        node = interp.current if interp.current is not None else (self.body if self.body is not None else None)
        outs = list(interp.call_handle(self, [to_matlab(a) for a in args], nargout, node))
        if nargout <= 1:
            return outs[0] if outs else None
        return tuple(outs[:nargout])

    def __repr__(self):
        return self.text or f"@{self.name}"


class HandleFunction:
    """A MATLAB function handle handed to the Python API (an initializer, a custom function): calling it
    runs the handle in the interpreter; MATLAB code reading the property back gets the handle itself."""

    def __init__(self, interp, handle: FuncHandle, node, matlab_values: bool = False):
        self.handle = handle
        self._interp = interp
        self._node = node
        self._matlab_values = matlab_values     # an evaluator's (dlfeval's): MATLAB values in and out as they are
        self.__name__ = handle.text or "handle"
        self.matlab_text = handle.text

    __matlab_nargout__ = True     # called as f(*args, nargout=k): MATLAB's calling convention

    def __call__(self, *args, nargout: int = 1):
        from ..policy import confined
        from .access import to_matlab

        # Called later from Python (compiling a ported network): the script's file policy still applies.
        with confined((), read_only=True, extra_read=getattr(self._interp, "read_folders", ())):
            if self._matlab_values:
                outs = self._interp.call_handle(self.handle, list(args), nargout, self._node)
                return tuple(outs) if nargout is not None and nargout > 1 else (outs[0] if outs else None)
            outs = self._interp.call_handle(self.handle, [to_matlab(a) for a in args], nargout, self._node)
            if nargout is not None and nargout > 1:
                return tuple(self._interp.to_py(o, self._node) for o in outs)
            return self._interp.to_py(outs[0], self._node) if outs else None

    def __repr__(self):
        return self.matlab_text or "@handle"


class ProgramFunction:
    """A function of a translated program (a ``def``, a lambda, ``ml.handle(name)``) handed to the Python
    API by a registry function (``dlfeval(@modelLoss, ...)``, ``transform(ds, @f)``...): calling it gives the
    function MATLAB values and the API the results in its own form, as :class:`HandleFunction` does for the
    interpreter's handles; MATLAB code reading it back gets the function itself."""

    __matlab_nargout__ = True     # called as f(*args, nargout=k): MATLAB's calling convention

    def __init__(self, function):
        self.function = function
        self.__name__ = getattr(function, "__name__", "handle")

    def __call__(self, *args, nargout: int = 1):
        call = _PROGRAM_CALL[0]
        if call is None:        # imported once (a function-level import costs a module __getattr__ per call)
            from .lang import call_program_function as call
            _PROGRAM_CALL[0] = call
        return call(self.function, args, nargout)

    def __repr__(self):
        return f"@{self.__name__}"


_PROGRAM_CALL: list = [None]


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
