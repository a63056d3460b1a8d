"""MATLAB's clock and date functions over MATLAB values: ``clock``, ``etime``, ``now``, ``date``,
``datestr`` (default formats), ``cputime``. ``tic``/``toc`` live with the interpreter's run-time functions.

Serial date numbers are MATLAB's: days since the year 0 (``datenum(1970,1,1)`` is 719529), local time.
"""

from __future__ import annotations

import datetime as _dt
import time

import numpy as np

from ...functions import matlab_function
from ._common import as_array, runtime_error, text_of

_EPOCH_DATENUM = 719529.0   # datenum(1970, 1, 1)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@matlab_function("clock", outputs=("c",), base=True)
def clock():
    """MATLAB ``c = clock``: [year month day hour minute seconds] (local time, seconds with fraction)."""
    now = _dt.datetime.now()
    return np.array([[now.year, now.month, now.day, now.hour, now.minute,
                      now.second + now.microsecond / 1e6]], dtype=np.float64)


def _datetime_of_vector(v) -> _dt.datetime:
    a = as_array(v).reshape(-1).astype(np.float64)
    if a.size != 6:
        raise runtime_error("MATLAB:etime:InvalidInput", "Date vectors must have six elements.")
    y, mo, d, h, mi, s = a
    base = _dt.datetime(int(y), 1, 1)
    # months and days may overflow as in MATLAB's datenum arithmetic
    month_total = int(mo) - 1
    year = int(y) + month_total // 12
    base = _dt.datetime(year, month_total % 12 + 1, 1)
    return base + _dt.timedelta(days=d - 1, hours=h, minutes=mi, seconds=s)


@matlab_function("etime", outputs=("e",), base=True)
def etime(t1, t0):
    """MATLAB ``e = etime(t1, t0)``: seconds between two ``clock`` vectors."""
    return np.array([[(_datetime_of_vector(t1) - _datetime_of_vector(t0)).total_seconds()]])


def _datenum_of(moment: _dt.datetime) -> float:
    return _EPOCH_DATENUM + (moment - _dt.datetime(1970, 1, 1)).total_seconds() / 86400.0


@matlab_function("now", outputs=("t",), base=True)
def now():
    """MATLAB ``t = now``: the current date and time as a serial date number (local time)."""
    return np.array([[_datenum_of(_dt.datetime.now())]])


def _moment_of(v) -> _dt.datetime:
    a = as_array(v).reshape(-1).astype(np.float64)
    if a.size == 6 and a[0] > 31:
        return _datetime_of_vector(a)
    if a.size != 1:
        raise runtime_error("MATLAB:datestr:ConvertDateNumber", "datestr takes one date number or a date vector.")
    days = float(a[0]) - _EPOCH_DATENUM
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(days=days)


@matlab_function("datestr", outputs=("str",), base=True)
def datestr(d, fmt=None):
    """MATLAB ``datestr(d)``: ``'dd-mmm-yyyy HH:MM:SS'`` (``'dd-mmm-yyyy'`` at midnight); ``datestr(d, 1)``
    / ``'dd-mmm-yyyy'``, ``datestr(d, 31)`` / ``'yyyy-mm-dd HH:MM:SS'``. Other formats are an error."""
    m = _moment_of(d)
    m = m.replace(microsecond=0) + _dt.timedelta(seconds=round(m.microsecond / 1e6))
    day = f"{m.day:02d}-{_MONTHS[m.month - 1]}-{m.year:04d}"
    clock_text = f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    code = text_of(fmt) if fmt is not None and text_of(fmt) is not None else \
        (int(as_array(fmt).reshape(-1)[0]) if fmt is not None else None)
    if code is None:
        return day if (m.hour, m.minute, m.second) == (0, 0, 0) else f"{day} {clock_text}"
    if code in (0, "dd-mmm-yyyy HH:MM:SS"):
        return f"{day} {clock_text}"
    if code in (1, "dd-mmm-yyyy"):
        return day
    if code in (31, "yyyy-mm-dd HH:MM:SS"):
        return f"{m.year:04d}-{m.month:02d}-{m.day:02d} {clock_text}"
    if code in (29, "yyyy-mm-dd"):
        return f"{m.year:04d}-{m.month:02d}-{m.day:02d}"
    if code in (13, "HH:MM:SS"):
        return clock_text
    raise runtime_error("MATLAB:datestr:UnsupportedFormat",
                        f"datestr: the format {code!r} is not supported by layergraph (supported: 0, 1, 13, 29, 31).")


@matlab_function("date", outputs=("c",), base=True)
def date():
    """MATLAB ``date``: today as ``'dd-mmm-yyyy'``."""
    t = _dt.datetime.now()
    return f"{t.day:02d}-{_MONTHS[t.month - 1]}-{t.year:04d}"


@matlab_function("cputime", outputs=("t",), base=True)
def cputime():
    """MATLAB ``cputime``: CPU seconds used by this process."""
    return np.array([[time.process_time()]])


__all__ = ["clock", "etime", "now", "datestr", "date", "cputime"]
