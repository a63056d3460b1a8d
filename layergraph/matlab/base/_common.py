"""Helpers shared by the MATLAB base-function modules: the runtime error and argument readers."""

from __future__ import annotations

import numbers

import numpy as np

from ...errors import MatlabRuntimeError


def runtime_error(identifier: str, message: str) -> MatlabRuntimeError:
    """MATLAB's MException: ``identifier`` (``MATLAB:...``) and ``message``."""
    return MatlabRuntimeError(message, identifier)


def is_text(v) -> bool:
    return isinstance(v, str)


def text_of(v) -> str | None:
    """A char row / string scalar (or a 1-element string array) as str, else None."""
    if isinstance(v, str):
        return str(v)
    a = getattr(v, "a", None)
    if isinstance(a, np.ndarray) and a.dtype == object and a.size == 1 and isinstance(a.flat[0], str) \
            and type(v).__name__ == "StrArr":
        return str(a.flat[0])
    return None


def as_array(v) -> np.ndarray:
    """A MATLAB numeric/logical value (or a Python number/list from the Python API) as an ndarray."""
    if isinstance(v, np.ndarray):
        return v
    if isinstance(v, (bool, np.bool_)):
        return np.array([[bool(v)]])
    if isinstance(v, numbers.Number):
        return np.array([[v]], dtype=np.float64)
    if isinstance(v, (list, tuple)):
        return np.asarray(v, dtype=np.float64).reshape(1, -1)
    if hasattr(v, "numpy") and callable(v.numpy):   # torch tensor from Python
        return np.asarray(v.numpy())
    raise TypeError(f"expected a numeric value, got {type(v).__name__}")


def matlab_array(a) -> np.ndarray:
    """An ndarray with at least two dimensions (MATLAB's shape rules)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a


def scalar_of(v, what: str) -> float:
    a = as_array(v)
    if a.size != 1:
        raise runtime_error("MATLAB:badarg", f"{what} must be a scalar.")
    return float(a.reshape(-1)[0])


def check_allocation(dims, what: str) -> None:
    """Refuse an array of shape ``dims`` larger than the active limit, before allocating it: the
    interpreter's per-array budget while it runs a base function (``_core.CONTEXT``), else
    ``layergraph.limits``' ``max_array_elements`` (from Python)."""
    from ._core import CONTEXT, check_elements

    ctx = CONTEXT.get()
    if ctx is not None and ctx[0] is not None:
        check_elements(tuple(dims), what)
        return
    from ...limits import current

    total = float(np.prod([float(d) for d in dims])) if len(dims) else 1.0
    limit = current().max_array_elements
    if total > limit:
        raise runtime_error("MATLAB:array:SizeLimitExceeded",
                            f"{what}: requested {'x'.join(str(int(d)) for d in dims)} array exceeds the maximum "
                            f"array size layergraph allocates ({limit} elements; see layergraph.limits "
                            "max_array_elements).")
