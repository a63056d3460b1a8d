"""MATLAB subscripts: the one check that numeric subscripts are positive whole numbers, shared by the
MATLAB semantics (``layergraph.matlab.semantics``) and the value types (categorical indexing)."""

from __future__ import annotations

import numpy as np

_minimum, _maximum, _any = np.minimum.reduce, np.maximum.reduce, np.logical_or.reduce


def whole_positions(flat: np.ndarray):
    """``(positions, largest)``: 0-based int64 positions of MATLAB subscripts ``flat`` (1-D) and the largest
    subscript (0 for none); ``(None, None)`` unless every one is a positive integer (NaN, Inf, 0, negative
    and fractional subscripts)."""
    if not flat.size:
        return flat.astype(np.int64), 0
    lo, hi = _minimum(flat), _maximum(flat)     # the ufuncs' reductions (fewer instructions than .min())
    if not (lo >= 1):                       # NaN fails too
        return None, None
    if flat.dtype.kind in "iub":
        return flat.astype(np.int64) - 1, int(hi)
    if hi == np.inf:                        # Inf is not a whole number (and has no int64 position)
        return None, None
    if not (hi < 2.0 ** 53):                # doubles beyond exact integers: the elementwise test
        if _any(flat != np.floor(flat)):
            return None, None
        pos = flat.astype(np.int64) - 1
        return pos, int(pos.max()) + 1
    pos = flat.astype(np.int64)
    if _any(pos != flat):                   # fractional
        return None, None
    pos -= 1
    return pos, int(hi)


#: the last subscript array :func:`value_positions` checked, its positions and its largest subscript
_LAST_CHECKED: list = [None, None, 0]


def value_positions(sub: np.ndarray):
    """:func:`whole_positions` of a numeric subscript array of MATLAB code, ``A(idx)``.

    MATLAB code never changes a value in place, so the answer for the last array checked is kept: a
    mini-batch's subscripts index the images and then the labels, and are checked once. The array kept
    (one that owns its data) is made read-only, so that no Python code holding it can change it behind the
    kept answer; the positions returned are read-only too (shared by the callers)."""
    last = _LAST_CHECKED
    if sub is last[0]:
        return last[1], last[2]
    pos, top = whole_positions(sub.reshape(-1, order="F"))
    if pos is not None and sub.base is None:
        sub.flags.writeable = False
        pos.flags.writeable = False
        last[0], last[1], last[2] = sub, pos, top
    return pos, top


__all__ = ["whole_positions", "value_positions"]
