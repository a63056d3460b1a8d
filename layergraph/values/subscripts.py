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
    if flat.size <= 256 and flat.dtype.kind == "f":
        # a few subscripts (a mini-batch): checked as Python floats, two numpy calls in all (more instructions
        # than numpy's reductions, but in a training loop numpy's reduction machinery runs cold: measured
        # 9 µs slower per mini-batch in the digits custom loop of benchmarks/bench_custom_loop.py)
        values = flat.tolist()
        if all(map(float.is_integer, values)) and min(values) >= 1:       # whole numbers (no NaN, Inf), >= 1
            return np.subtract(flat, 1, dtype=np.int64, casting="unsafe"), int(max(values))
        # anything else: numpy's checks below decide (the same answers and errors for every size)
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


# Subscript arrays of MATLAB code whose positions are known. MATLAB code never changes a value in place,
# so a mini-batch's subscripts (``batch = idx(a:b)`` of ``idx = randperm(n)``), used for the images and then
# for the labels, are checked at most once. An array kept here owns its data and is made read-only, so that
# no Python code holding it can change it behind the kept answer; the positions are read-only too (shared).
# Entries: [array, 0-based positions, largest subscript, whether that largest is exact (else an upper bound)].
_CHECKED: list = []          # the last subscripts checked, and parts cut from known ones
_PERMUTATIONS: list = []     # positions a function made (randperm): known without a check
_KEEP = 2


def _known(sub):
    for entry in _CHECKED:
        if entry[0] is sub:
            return entry
    for entry in _PERMUTATIONS:
        if entry[0] is sub:
            return entry
    return None


def _keep(kept: list, sub: np.ndarray, pos: np.ndarray, top: int, exact: bool) -> None:
    sub.flags.writeable = False
    pos.flags.writeable = False
    kept.insert(0, [sub, pos, top, exact])
    del kept[_KEEP:]


def value_positions(sub: np.ndarray, extent: int | None = None):
    """:func:`whole_positions` of a numeric subscript array of MATLAB code, ``A(idx)``, for a dimension of
    ``extent`` elements: the largest subscript returned is exact whenever it exceeds ``extent`` (below, it
    may be an upper bound of a part of a permutation)."""
    entry = _known(sub)
    if entry is not None:
        if not entry[3] and extent is not None and entry[2] > extent:
            entry[2], entry[3] = int(_maximum(entry[1])) + 1, True
        return entry[1], entry[2]
    pos, top = whole_positions(sub.reshape(-1, order="F"))
    if pos is not None and sub.base is None:
        _keep(_CHECKED, sub, pos, top, True)
    return pos, top


def known_permutation(values: np.ndarray, positions: np.ndarray) -> None:
    """Record that ``values`` (a new array of its own, MATLAB code's value) holds the subscripts
    ``positions + 1`` (0-based, every one of 0..n-1): ``randperm``'s output."""
    if values.base is None and positions.size:
        _keep(_PERMUTATIONS, values, positions, int(positions.size), True)


def known_part(source: np.ndarray, start: int, stop: int, part: np.ndarray) -> None:
    """``part`` is a new array holding ``source``'s elements ``start:stop`` (0-based; a vector's range
    ``source(a:b)``): if ``source``'s positions are known, so are ``part``'s (no check)."""
    entry = _known(source)
    if entry is not None and part.base is None:
        _keep(_CHECKED, part, entry[1][start:stop], entry[2], False)


__all__ = ["whole_positions", "value_positions", "known_permutation", "known_part"]
