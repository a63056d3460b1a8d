"""MATLAB's Command Window number formats (``format short``/``long``/``shortE``/``longE``/``shortG``/
``longG``) for real and complex numeric arrays, integer types and logical arrays.

Numbers only: :mod:`layergraph.matlab.display` lays the blocks out (names, headers, blank lines, column
blocks). Every function takes a 2-D page of a MATLAB array and returns ``(header, cells, width)``:
``header`` is the common scale factor line (``   1.0e+03 *``) or None, ``cells`` the text of each element
(right-aligned to ``width`` including the separating blanks).
"""

from __future__ import annotations

import math

import numpy as np

SHORT, LONG = "short", "long"


def _finite(a: np.ndarray) -> np.ndarray:
    return a[np.isfinite(a)]


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return None


def _int_text(x: float) -> str:
    return _special(x) or str(int(x))


def _decimals(numeric: str, single: bool) -> int:
    if numeric.startswith("long"):
        return 7 if single else 15
    return 4


def all_integers(a: np.ndarray) -> bool:
    f = _finite(a)
    return bool(np.all(f == np.round(f))) if f.size else True


def real_page(a: np.ndarray, numeric: str = SHORT, single: bool = False):
    """Elements of a real double/single page as MATLAB shows them in the Command Window."""
    a = np.asarray(a, dtype=np.float64)
    f = _finite(a)
    maxabs = float(np.max(np.abs(f))) if f.size else 0.0
    if numeric in ("shortG", "longG"):
        digits = 5 if numeric == "shortG" else (7 if single else 15)
        texts = [_special(x) or _g(x, digits) for x in a.reshape(-1)]
        width = max(len(t) for t in texts) + 3 if texts else 0
        return None, [t.rjust(width) for t in texts], width
    if numeric in ("shortE", "longE"):
        d = _decimals(numeric, single)
        texts = [_special(x) or _e(x, d) for x in a.reshape(-1)]
        width = max(len(t) for t in texts) + 3 if texts else 0
        return None, [t.rjust(width) for t in texts], width
    d = _decimals(numeric, single)
    if all_integers(a) and maxabs < 1e9:
        # integers: five-blank-and-digit columns up to 999, twelve-wide beyond
        texts = [_int_text(x) for x in a.reshape(-1)]
        longest = max((len(t) for t in texts), default=1)
        width = 6 if maxabs < 1000 else 12
        width = max(width, longest + 2)
        return None, [t.rjust(width) for t in texts], width
    scalar = a.size == 1
    limit = 1000.0 if numeric == SHORT else 100.0
    if maxabs != 0 and (maxabs >= limit or maxabs < 0.001):
        if scalar:
            texts = [_special(x) or _e(x, d) for x in a.reshape(-1)]
            width = max(len(t) for t in texts) + 3
            return None, [t.rjust(width) for t in texts], width
        exponent = int(math.floor(math.log10(maxabs)))
        header = f"   1.0e{exponent:+03d} *"
        scaled = a / (10.0 ** exponent)
        texts = [_special(x) or ("0" if x == 0 else f"{x:.{d}f}") for x in scaled.reshape(-1)]
        width = max(d + 6, max(len(t) for t in texts) + 3)
        return header, [t.rjust(width) for t in texts], width
    # an exact zero among non-integers prints as a bare 0 (MATLAB's "         0    0.5000")
    texts = [_special(x) or ("0" if x == 0 and a.size > 1 else f"{x:.{d}f}") for x in a.reshape(-1)]
    if numeric == SHORT:
        width = max(10, max(len(t) for t in texts) + 2)
    else:
        width = max(d + 5, max(len(t) for t in texts) + 2)
    return None, [t.rjust(width) for t in texts], width


def complex_page(a: np.ndarray, numeric: str = SHORT, single: bool = False):
    """Complex elements: ``re + imi`` with the real and imaginary parts in the real format."""
    re, im = np.real(a).astype(np.float64), np.imag(a).astype(np.float64)
    both = np.concatenate([re.reshape(-1), im.reshape(-1)])
    d = _decimals(numeric, single)
    f = _finite(both)
    maxabs = float(np.max(np.abs(f))) if f.size else 0.0
    header = None
    if True:   # complex numbers keep their decimals even when integer-valued (3.0000 + 4.0000i)
        if maxabs != 0 and (maxabs >= 1000 or maxabs < 0.001) and a.size > 1:
            exponent = int(math.floor(math.log10(maxabs)))
            header = f"   1.0e{exponent:+03d} *"
            re, im = re / 10.0 ** exponent, im / 10.0 ** exponent
        if maxabs != 0 and (maxabs >= 1000 or maxabs < 0.001) and a.size == 1:
            part = lambda x: _special(abs(x)) or _e(abs(x), d)   # noqa: E731
            rtexts = [_special(x) or _e(x, d) for x in re.reshape(-1)]
        else:
            part = lambda x: _special(abs(x)) or f"{abs(x):.{d}f}"   # noqa: E731
            rtexts = [_special(x) or f"{x:.{d}f}" for x in re.reshape(-1)]
    itexts = [("-" if (x < 0 or (x == 0 and math.copysign(1, x) < 0)) else "+") + " " + part(x) + "i"
              for x in im.reshape(-1)]
    rw = max(len(t) for t in rtexts)
    iw = max(len(t) for t in itexts)
    texts = [r.rjust(rw) + " " + i.rjust(iw) for r, i in zip(rtexts, itexts)]
    width = rw + iw + 4
    return header, [t.rjust(width) for t in texts], width


def int_page(a: np.ndarray):
    """Integer-typed elements (int8 ... uint64) and logical: right-aligned, columns two blanks apart."""
    texts = [str(int(x)) for x in a.reshape(-1)]
    width = max((len(t) for t in texts), default=1) + 3
    return None, [t.rjust(width) for t in texts], width


def _e(x: float, d: int) -> str:
    return f"{x:.{d}e}"


def _g(x: float, digits: int) -> str:
    if x == int(x) and abs(x) < 10 ** digits:
        return str(int(x))
    text = f"{x:.{digits}g}"
    return text


__all__ = ["real_page", "complex_page", "int_page", "all_integers"]
