"""MATLAB's integer classes (``int8`` ... ``uint64``) and ``single`` in run mode.

* Conversion to an integer class rounds half away from zero and saturates (``int8(200)`` is 127,
  ``int8(-2.5)`` is -3, ``uint8(-1)`` is 0, NaN becomes 0).
* Arithmetic with an integer operand gives that integer class: the operation is done in double, then
  rounded and saturated (``int8(100) + 100`` is 127, ``int32(7) / 2`` is 4, ``int8(1) / 0`` is 127).
  Two different integer classes cannot be combined (MATLAB's error). ``single`` with ``double`` gives
  ``single`` (computed in double and rounded once to single, which is exactly single-precision
  arithmetic for ``+ - * /``).
* Unary minus saturates (``-int8(-128)`` is 127).

Fidelity note: ``int64``/``uint64`` arithmetic goes through double, so results beyond 2^53 lose
precision (MATLAB computes them exactly).
"""

from __future__ import annotations

import numpy as np

INT_CLASSES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
               "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


def is_integer(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "iu"


def is_special(a: np.ndarray) -> bool:
    """An integer or single array (the operands this module handles)."""
    return a.dtype.kind in "iu" or a.dtype == np.float32


def round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def to_integer(values, dtype) -> np.ndarray:
    """Round half away from zero and saturate to ``dtype`` (NaN -> 0), as MATLAB's int8(...) does."""
    dtype = np.dtype(dtype)
    a = np.asarray(values)
    if a.dtype.kind in "iu":
        info = np.iinfo(dtype)
        if a.dtype == dtype:
            return a.copy()
        wide = a.astype(object) if a.dtype == np.uint64 or dtype == np.uint64 else a.astype(np.int64)
        return np.clip(wide, info.min, info.max).astype(dtype)
    x = a.astype(np.float64)
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        r = round_half_away(x)
        r = np.where(np.isnan(r), 0.0, r)
        r = np.clip(r, float(info.min), float(info.max))
    if dtype in (np.dtype(np.int64), np.dtype(np.uint64)):
        out = np.empty(r.shape, dtype=dtype)
        big = r >= float(info.max)
        out[...] = r.astype(dtype) if not big.any() else np.where(big, 0, r).astype(dtype)
        out[big] = info.max
        return out
    return r.astype(dtype)


def cast(name: str, value: np.ndarray) -> np.ndarray:
    if name in INT_CLASSES:
        return to_integer(value, INT_CLASSES[name])
    if name == "single":
        return np.asarray(value).astype(np.float32)
    if name == "double":
        return np.asarray(value).astype(np.float64)
    raise ValueError(name)


class MixedIntegerClasses(TypeError):
    """Two different integer classes in one operation (MATLAB refuses)."""


def result_class(x: np.ndarray, y: np.ndarray):
    """The dtype of ``x op y`` for MATLAB's class rules, or raise TypeError for two integer classes."""
    xi, yi = x.dtype.kind in "iu", y.dtype.kind in "iu"
    if xi and yi and x.dtype != y.dtype:
        raise MixedIntegerClasses("Integers can only be combined with integers of the same class, or scalar doubles.")
    if xi:
        return x.dtype
    if yi:
        return y.dtype
    if x.dtype == np.float32 or y.dtype == np.float32:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def binary(op: str, x: np.ndarray, y: np.ndarray, compute):
    """``x op y`` with at least one integer or single operand. ``compute(op, xd, yd)`` is the interpreter's
    double-precision operator (broadcasting, matrix products, errors) applied to the double values."""
    out_class = result_class(x, y)
    r = compute(op, x.astype(np.float64), y.astype(np.float64))
    if not isinstance(r, np.ndarray) or r.dtype == bool:
        return r
    if out_class.kind in "iu":
        return to_integer(r, out_class)
    return r.astype(out_class)


def negate(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "iu":
        return to_integer(-x.astype(np.float64), x.dtype)
    return -x


# The casts (int8 ... uint64, single, double), class, intmax/intmin, isinteger/isfloat are MATLAB base
# functions of the one registry (layergraph/matlab/base/types.py and arrays.py), for run mode and the
# porter alike; nothing here shadows them.
RUN_FUNCTIONS: dict = {}


__all__ = ["RUN_FUNCTIONS", "MixedIntegerClasses", "INT_CLASSES", "is_integer", "is_special", "round_half_away", "to_integer", "cast", "binary",
           "negate", "result_class"]
