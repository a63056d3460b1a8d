"""clock, etime, now, datestr, date, cputime: hand-worked values (MATLAB's datenum(1970,1,1) = 719529 and
its documented default datestr formats)."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.errors import MatlabRuntimeError
from layergraph.matlab.base.clock import clock, cputime, date, datestr, etime, now

# base functions this file tests (read by test_matlab_base_registry)
EXTRA_TESTED = ('clock', 'etime', 'now', 'datestr', 'date', 'cputime')


def test_clock_and_etime():
    c = clock()
    assert c.shape == (1, 6) and 1 <= c[0, 1] <= 12
    t0 = np.array([[2024.0, 2, 28, 23, 59, 30]])
    t1 = np.array([[2024.0, 3, 1, 0, 0, 30.5]])
    assert etime(t1, t0)[0, 0] == 86400 + 60.5     # 2024 is a leap year: Feb 29 in between


def test_datestr_formats():
    d = 719529.0 + 0.5 + 1 / 86400                  # 1970-01-01 12:00:01
    assert datestr(d) == "01-Jan-1970 12:00:01"
    assert datestr(719529.0) == "01-Jan-1970"
    assert datestr(d, 31) == "1970-01-01 12:00:01"
    assert datestr(d, "yyyy-mm-dd") == "1970-01-01"
    assert datestr(np.array([[2020.0, 5, 17, 8, 3, 9]])) == "17-May-2020 08:03:09"
    with pytest.raises(MatlabRuntimeError, match="not supported"):
        datestr(d, 99)


def test_now_date_cputime_agree_with_the_clock():
    c = clock()
    n = now()[0, 0]
    assert datestr(n, 1) == date() or abs(c[0, 3] * 3600 + c[0, 4] * 60 + c[0, 5] - 86399) < 5
    assert n > 738000 and cputime()[0, 0] >= 0
