"""The MATLAB-language namespace translated programs import (``import layergraph.matlab.lang as ml``):
every registered MATLAB function under its MATLAB name (``ml.sum``, ``ml.strsplit``, ``ml.imageDatastore``)
and :func:`call`, the one way registry functions call a MATLAB function value.

(Helper "translate" owns this module and extends it with the runtime helpers translated code needs.)
"""

from __future__ import annotations

from ..functions import FUNCTIONS


def call(f, *args, nargout: int = 1):
    """Call a MATLAB function value: an interpreter function handle (``@name``, ``@(x) ...``), a function
    name (text: a registered MATLAB function, or, inside the interpreter, a script's function), or a
    Python callable (a translated function: called ``f(*args, nargout=k)`` when k != 1).

    Returns one value for nargout <= 1 (None when a function with no outputs was called with nargout 0),
    a tuple of nargout values otherwise.
    """
    from .base._core import CONTEXT, fail
    from .values import FuncHandle

    ctx = CONTEXT.get()
    if isinstance(f, FuncHandle) or (isinstance(f, str) and ctx is not None and ctx[0] is not None):
        interp = ctx[0] if ctx is not None and ctx[0] is not None else f.interp
        node = ctx[1] if ctx is not None else None
        if interp is None:
            raise fail(f"The function handle {f!r} cannot be called outside the MATLAB interpreter.",
                       "layergraph:handleOutsideInterpreter")
        if isinstance(f, FuncHandle):
            outs = interp.call_handle(f, list(args), nargout, node)
        else:
            from .interp import Frame

            frame = Frame(node.src, interp._functions_of(node.src), "<feval>")
            outs = interp.call_named(str(f), list(args), nargout, node, frame)
        return _shape_outputs(list(outs), nargout)
    if isinstance(f, str):
        entry = FUNCTIONS.get(str(f))
        if entry is None:
            raise fail(f"Undefined function '{f}'.", "MATLAB:UndefinedFunction")
        f = entry.function
        if entry.nargout_aware:
            return f(*args, nargout=nargout)
        return f(*args)
    if callable(f):
        if nargout == 1:
            return f(*args)
        try:
            return f(*args, nargout=nargout)
        except TypeError:
            out = f(*args)
            return out
    raise fail("Expected a function handle or a function name.", "MATLAB:invalidFunctionHandle")


def _shape_outputs(outs: list, nargout: int):
    if nargout <= 1:
        return outs[0] if outs else None
    return tuple(outs[:nargout])


def __getattr__(name: str):
    entry = FUNCTIONS.get(name)
    if entry is None:
        raise AttributeError(f"module 'layergraph.matlab.lang' has no MATLAB function '{name}'")
    return entry.function


__all__ = ["call"]
