"""MATLAB subscripts: the one check that numeric subscripts are positive whole numbers, shared by the
MATLAB semantics (``layergraph.matlab.semantics``) and the value types (categorical indexing)."""

from __future__ import annotations

import numpy as np


def whole_positions(flat: np.ndarray):
    """``(positions, largest)``: 0-based int64 positions of MATLAB subscripts ``flat`` (1-D) and the largest
    subscript (0 for none); ``(None, None)`` unless every one is a positive integer (NaN, Inf, 0, negative
    and fractional subscripts)."""
    if not flat.size:
        return flat.astype(np.int64), 0
    if flat.size <= 256 and flat.dtype.kind == "f":
        # a few subscripts (a mini-batch): checked as Python floats, two numpy calls in all (in a training
        # loop numpy's reductions run cold and cost more than the interpreter's loop over the values)
        values = flat.tolist()
        if all(map(float.is_integer, values)) and min(values) >= 1:       # whole numbers (no NaN, Inf), >= 1
            return np.subtract(flat, 1, dtype=np.int64, casting="unsafe"), int(max(values))
        # anything else: numpy's checks below decide (the same answers and errors for every size)
    lo, hi = flat.min(), flat.max()
    if not (lo >= 1):                       # NaN fails too
        return None, None
    if flat.dtype.kind in "iub":
        return flat.astype(np.int64) - 1, int(hi)
    if hi == np.inf:                        # Inf is not a whole number (and has no int64 position)
        return None, None
    if not (hi < 2.0 ** 53):                # doubles beyond exact integers: the elementwise test
        if np.any(flat != np.floor(flat)):
            return None, None
        pos = flat.astype(np.int64) - 1
        return pos, int(pos.max()) + 1
    pos = flat.astype(np.int64)
    if (pos != flat).any():                 # fractional
        return None, None
    pos -= 1
    return pos, int(hi)


__all__ = ["whole_positions"]
