"""Table-driven checks of MATLAB base functions (tests/test_matlab_base_*.py).

A case is ``(name, args, expected)`` or ``(name, args, expected, nargout)``: ``FUNCTIONS[name]`` called on
``args`` (nargout passed to nargout-aware functions) must give ``expected`` — same MATLAB class (numpy
dtype), same shape, same values (NaN equals NaN); a tuple of expectations for several outputs.
``expected`` may be an exception class: the call must raise it (MatlabRuntimeError for MATLAB's errors).
"""

from __future__ import annotations

import numpy as np

from layergraph.functions import FUNCTIONS
from layergraph.matlab.values import Cell, MString, StrArr, Struct


def M(rows, dtype=np.float64):
    """A MATLAB matrix from nested rows: M([[1, 2], [3, 4]]); a flat list is a row vector."""
    a = np.array(rows, dtype=dtype)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    return a


def col(values, dtype=np.float64):
    return np.array(values, dtype=dtype).reshape(-1, 1)


def S(x, dtype=np.float64):
    return np.array([[x]], dtype=dtype)


TRUE = np.array([[True]])
FALSE = np.array([[False]])


def call(name, args, nargout=1):
    entry = FUNCTIONS[name]
    if entry.nargout_aware:
        return entry.function(*args, nargout=nargout)
    return entry.function(*args)


def same(got, want) -> bool:
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype != want.dtype:
            return False
        if want.dtype == object:
            return all(same(g, w) for g, w in zip(got.reshape(-1), want.reshape(-1)))
        if want.dtype.kind == "f":
            return bool(np.all((got == want) | (np.isnan(got) & np.isnan(want)) | np.isclose(got, want, rtol=1e-12,
                                                                                             atol=1e-12)))
        return bool(np.array_equal(got, want))
    if isinstance(want, (Cell, StrArr)):
        return type(got) is type(want) and got.a.shape == want.a.shape and all(
            same(g, w) for g, w in zip(got.items(), want.items()))
    if isinstance(want, Struct):
        return isinstance(got, Struct) and list(got.fields) == list(want.fields) and all(
            same(got.fields[k], want.fields[k]) for k in want.fields)
    if isinstance(want, MString):
        return isinstance(got, MString) and str(got) == str(want)
    if isinstance(want, str):
        return type(got) is str and got == want
    return got == want


def check_case(case):
    import pytest

    name, args, expected = case[:3]
    nargout = case[3] if len(case) > 3 else 1
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            call(name, args, nargout)
        return
    got = call(name, args, nargout)
    assert same(got, expected), f"{name}{args!r} (nargout={nargout}) gave {got!r}, expected {expected!r}"


def case_id(case) -> str:
    return case[0]
