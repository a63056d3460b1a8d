"""What every MATLAB base function shares: registration (``base=True``), MATLAB values in and out,
MATLAB's errors, the dimension rules, and the one rule that sends torch tensors and dlarrays to their
implementations.

Base functions are plain Python functions over MATLAB values (:mod:`layergraph.matlab.values`): numeric
and logical arrays are numpy arrays with >= 2 dimensions in MATLAB shape (float64 double, float32
single, int8..uint64, bool logical); char rows are ``str``; string scalars ``MString``; string arrays
``StrArr``; cell arrays ``Cell``; structs ``Struct``. They raise :class:`~layergraph.errors.MatlabRuntimeError`
with MATLAB's identifier and wording; the interpreter adds ``file:line:col``.

**Tensors and dlarrays.** The project has one rule for MATLAB functions on objects:
:func:`layergraph.functions.matlab_overload` (the leftmost argument whose class overloads a name decides,
before the registry's own body). dlarray's methods live in :mod:`layergraph.dl.methods`; the torch
implementations here (:func:`tensor_implementation`) overload the numeric base functions for
``torch.Tensor`` (MATLAB semantics on MATLAB-layout tensors: the custom-layer translator and custom loops
use them).
"""

from __future__ import annotations

import contextvars

import numpy as np

from ...errors import MatlabRuntimeError
from ...functions import matlab_function
from ..values import Cell, FuncHandle, LayerArr, MString, StrArr, Struct, num

# ---- errors ------------------------------------------------------------------------------------------


def fail(message: str, identifier: str = "") -> MatlabRuntimeError:
    """MATLAB's error (``identifier``, ``message``) without a location."""
    return MatlabRuntimeError(message, identifier)


def not_enough_inputs() -> MatlabRuntimeError:
    return fail("Not enough input arguments.", "MATLAB:minrhs")


def too_many_inputs() -> MatlabRuntimeError:
    return fail("Too many input arguments.", "MATLAB:TooManyInputs")


def nargs(args, lo: int, hi: int | None = None) -> None:
    if len(args) < lo:
        raise not_enough_inputs()
    if hi is not None and len(args) > hi:
        raise too_many_inputs()


# ---- the calling context (set by the interpreter while it calls a base function) ---------------------

#: ``(interpreter, node)`` while the interpreter runs a base function: the element budget, and how a
#: function handle or a function name is called back (see :func:`layergraph.matlab.lang.call`).
CONTEXT: contextvars.ContextVar = contextvars.ContextVar("matlab_base_context", default=None)


def check_elements(count, what: str) -> None:
    """Refuse an array larger than the interpreter's per-array budget (no limit outside the interpreter)."""
    ctx = CONTEXT.get()
    if ctx is None or ctx[0] is None:
        return
    interp, node = ctx
    interp.check_elements(count, node, what)


# ---- registration ----------------------------------------------------------------------------------


def base(name: str, outputs=("out",), nargout_aware: bool = False):
    """Register a MATLAB base function (``base=True``: never exported from ``layergraph``)."""

    def wrap(fn):
        fn.matlab_name = name
        matlab_function(name, outputs=tuple(outputs), base=True, nargout_aware=nargout_aware)(fn)
        return fn

    return wrap


def tensor_implementation(name: str, *, nargout_aware: bool = False):
    """Register ``fn`` as MATLAB function ``name`` for ``torch.Tensor`` arguments (and parameters), through
    the project's one class-dispatch rule (:func:`layergraph.functions.matlab_overload`)."""

    def wrap(fn):
        import torch

        from ...functions import matlab_overload

        for cls in (torch.Tensor, torch.nn.Parameter):
            matlab_overload(name, cls, nargout_aware=nargout_aware)(fn)
        return fn

    return wrap


def outputs(values, nargout: int):
    """One value for nargout <= 1, a tuple of the first nargout values otherwise."""
    if nargout <= 1:
        return values[0]
    if nargout > len(values):
        raise fail("Too many output arguments.", "MATLAB:TooManyOutputs")
    return tuple(values[:nargout])


# ---- calling a MATLAB function value -------------------------------------------------------------------


def call(f, *args, nargout: int = 1):
    """Call a MATLAB function value: an interpreter function handle (``@name``, ``@(x) ...``), a function
    name (text: a registered MATLAB function, or, inside the interpreter, a script's function), or a
    Python callable (a translated function: called ``f(*args, nargout=k)`` when k != 1).

    Returns one value for nargout <= 1 (None when a function with no outputs was called with nargout 0),
    a tuple of nargout values otherwise.
    """
    from ..values import FuncHandle

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
            from ..interp import Frame

            frame = Frame(node.src, interp._functions_of(node.src), "<feval>")
            outs = interp.call_named(str(f), list(args), nargout, node, frame)
        return _shape_outputs(list(outs), nargout)
    if isinstance(f, str):
        entry = _functions().get(str(f))
        if entry is None:
            raise fail(f"Undefined function '{f}'.", "MATLAB:UndefinedFunction")
        f = entry.function
        if entry.nargout_aware:
            return f(*args, nargout=nargout)
        return f(*args)
    if callable(f):
        from ...functions import call_function   # the shared calling convention for Python callables

        return call_function(f, *args, nargout=nargout)
    raise fail("Expected a function handle or a function name.", "MATLAB:invalidFunctionHandle")


def _shape_outputs(outs: list, nargout: int):
    if nargout <= 1:
        return outs[0] if outs else None
    return tuple(outs[:nargout])


def _functions():
    from ...functions import FUNCTIONS

    return FUNCTIONS


# ---- MATLAB values -----------------------------------------------------------------------------------

INTEGER_CLASSES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
                   "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}
NUMERIC_CLASSES = {"double": np.float64, "single": np.float32, **INTEGER_CLASSES}


def class_of(v) -> str:
    """MATLAB's ``class(v)``."""
    if isinstance(v, np.ndarray):
        if v.dtype == bool:
            return "logical"
        if v.dtype == np.float32:
            return "single"
        for k, t in INTEGER_CLASSES.items():
            if v.dtype == t:
                return k
        return "double"
    if isinstance(v, (bool, np.bool_)):
        return "logical"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "double"
    if isinstance(v, (MString, StrArr)):
        return "string"
    if isinstance(v, str):
        return "char"
    if isinstance(v, Cell):
        return "cell"
    if isinstance(v, Struct) or type(v).__name__ == "StructArr":
        return "struct"
    if isinstance(v, FuncHandle) or (callable(v) and not isinstance(v, type) and not hasattr(v, "MATLAB_PROPERTIES")
                                      and type(v).__name__ in ("function", "builtin_function_or_method")):
        return "function_handle"
    name = getattr(type(v), "MATLAB_CLASS", None) or type(v).__name__   # containers.Map declares its class
    if name == "Categorical":
        return "categorical"
    if name == "Table":
        return "table"
    if name == "DLArray":
        return "dlarray"
    from ...graph import LayerGraph
    from ...layers.base import Layer

    if isinstance(v, LayerGraph):
        return "nnet.cnn.LayerGraph"
    if isinstance(v, LayerArr) and v.a.size:
        return "nnet.cnn.layer." + type(v.a.flat[0]).display_class_name()
    if isinstance(v, Layer):
        return "nnet.cnn.layer." + type(v).display_class_name()
    return name


def is_numeric_array(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype != bool and v.dtype != object


def is_text(v) -> bool:
    """char row or string scalar."""
    return isinstance(v, str)


def is_text_array(v) -> bool:
    return isinstance(v, str) or isinstance(v, StrArr) or (
        isinstance(v, Cell) and all(isinstance(x, str) for x in v.items()))


def text_items(v) -> list:
    """Text of a char row, string scalar, string array or cell array of text, column-major."""
    if isinstance(v, str):
        return [str(v)]
    if isinstance(v, (StrArr, Cell)):
        out = []
        for x in v.items():
            if not isinstance(x, str):
                raise fail("Input must be a string array, character vector, or cell array of character vectors.",
                           "MATLAB:invalidType")
            out.append(str(x))
        return out
    raise fail("Input must be a string array, character vector, or cell array of character vectors.",
               "MATLAB:invalidType")


def numeric(v) -> np.ndarray:
    """A value as a MATLAB numeric/logical array (char gives its character codes)."""
    if isinstance(v, np.ndarray):
        if v.ndim < 2:
            return v.reshape((1, -1)) if v.ndim == 1 else v.reshape(1, 1)
        return v
    if isinstance(v, MString):
        raise fail("A string cannot be used as a number here (use str2double).", "MATLAB:invalidConversion")
    if isinstance(v, str):
        return np.array([[float(ord(c)) for c in v]]) if v else np.zeros((0, 0))
    if isinstance(v, (bool, np.bool_)):
        return np.array([[bool(v)]])
    if isinstance(v, (int, float, np.integer, np.floating)):
        return num(float(v))
    raise fail(f"Invalid data type. Input must be numeric or logical, not {class_of(v)}.", "MATLAB:invalidType")


def floating(a: np.ndarray) -> np.ndarray:
    """The array MATLAB computes on: single stays single, everything else is double."""
    if a.dtype == np.float32 or a.dtype == np.float64:
        return a
    return a.astype(np.float64)


def to_class(a, cls: str) -> np.ndarray:
    """Convert to a MATLAB numeric class: integers round half away from zero and saturate, NaN -> 0."""
    a = numeric(a)
    if cls in ("double", "single"):
        return a.astype(NUMERIC_CLASSES[cls])
    if cls == "logical":
        if a.dtype != bool and np.isnan(a.astype(np.float64)).any():
            raise fail("NaN's cannot be converted to logicals.", "MATLAB:nologicalnan")
        return a != 0
    t = INTEGER_CLASSES[cls]
    if a.dtype.kind in "iub":
        info = np.iinfo(t)
        if a.dtype.kind == "b":
            return a.astype(t)
        wide = a.astype(object) if a.dtype == np.uint64 or a.dtype == np.int64 else a.astype(np.int64)
        return np.clip(wide, info.min, info.max).astype(t)
    x = a.astype(np.float64)
    x = np.where(np.isnan(x), 0.0, x)
    x = np.sign(x) * np.floor(np.abs(x) + 0.5)
    info = np.iinfo(t)
    with np.errstate(invalid="ignore"):
        out = np.where(x >= float(info.max), 0, np.where(x <= float(info.min), 0, x))
        res = out.astype(t)
    res[x >= float(info.max)] = info.max
    res[x <= float(info.min)] = info.min
    return res


def like(result: np.ndarray, a: np.ndarray) -> np.ndarray:
    """MATLAB's result class for arithmetic on ``a``: an integer input gives its class back (saturated)."""
    if a.dtype.kind in "iu":
        return to_class(result, class_of(a))
    if a.dtype == np.float32:
        return result.astype(np.float32)
    return result


def scalar(v, what: str = "a scalar") -> float:
    a = numeric(v)
    if a.size != 1:
        raise fail(f"Expected {what}, got an array of size {'x'.join(map(str, a.shape))}.", "MATLAB:expectedScalar")
    return float(a.flat[0])


def integer(v, what: str = "an integer") -> int:
    x = scalar(v, what)
    if not np.isfinite(x) or x != int(x):
        raise fail(f"Expected {what}, got {x:g}.", "MATLAB:expectedInteger")
    return int(x)


def positive_dim(v) -> int:
    d = integer(v, "a dimension")
    if d < 1:
        raise fail("Dimension argument must be a positive integer scalar or a vector of unique positive integers.",
                   "MATLAB:getdimarg:invalidDim")
    return d


def shape_of(v) -> tuple:
    """MATLAB's size of any value (a scalar object is 1x1)."""
    if isinstance(v, np.ndarray):
        return v.shape if v.ndim >= 2 else (1, v.size)
    if isinstance(v, MString):
        return (1, 1)
    if isinstance(v, str):
        return (1, len(v)) if v else (0, 0)
    if hasattr(v, "a") and isinstance(getattr(v, "a"), np.ndarray):   # Cell, StrArr, LayerArr, StructArr
        return v.a.shape
    shape = getattr(v, "shape", None)
    if isinstance(shape, tuple) and type(v).__name__ in ("Categorical", "Table"):
        return tuple(shape)
    if type(v).__name__ == "DLArray":
        return tuple(v.size()) if callable(getattr(v, "size", None)) else tuple(v.shape)
    if hasattr(type(v), "matlab_size"):   # an object with MATLAB's size (containers.Map: Count-by-1)
        return tuple(v.matlab_size())
    return (1, 1)


def squeeze_trailing(shape) -> tuple:
    shape = list(shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    return tuple(shape)


def drop_trailing(a: np.ndarray) -> np.ndarray:
    while a.ndim > 2 and a.shape[-1] == 1:
        a = a.reshape(a.shape[:-1])
    return a


def pad_dims(a: np.ndarray, nd: int) -> np.ndarray:
    return a.reshape(a.shape + (1,) * (nd - a.ndim)) if a.ndim < nd else a


def first_nonsingleton(shape) -> int:
    """MATLAB's default dimension (0-based): the first whose size is not 1 (dimension 1 if none)."""
    for i, d in enumerate(shape):
        if d != 1:
            return i
    return 0


def flag(args, *names) -> str | None:
    """The first text argument among ``names`` (case-insensitive), else None."""
    for a in args:
        if isinstance(a, str) and str(a).lower() in names:
            return str(a).lower()
    return None


def without_flags(args, *names) -> list:
    return [a for a in args if not (isinstance(a, str) and str(a).lower() in names)]


def name_value(args, names: dict) -> tuple[list, dict]:
    """Split trailing ``'Name', value`` pairs (names case-insensitive; ``names`` maps lower -> canonical)."""
    args = list(args)
    found = {}
    i = 0
    rest = []
    while i < len(args):
        a = args[i]
        if isinstance(a, str) and str(a).lower() in names and i + 1 < len(args):
            found[names[str(a).lower()]] = args[i + 1]
            i += 2
            continue
        rest.append(a)
        i += 1
    return rest, found


def cell_like(items, shape) -> Cell:
    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return Cell(arr.reshape(shape, order="F"))


def cell_column(items) -> Cell:
    return Cell.column(list(items))


def cell_row(items) -> Cell:
    return Cell.row(list(items))


def logical(x) -> np.ndarray:
    return np.array([[bool(x)]])


def empty() -> np.ndarray:
    return np.zeros((0, 0))


def size_text(shape) -> str:
    return "x".join(str(int(d)) for d in shape)


__all__ = [
    "CONTEXT", "base", "tensor_implementation", "fail", "call",
    "numeric", "floating", "to_class", "class_of", "shape_of", "first_nonsingleton", "outputs",
]
