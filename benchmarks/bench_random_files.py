"""Cost of the MATLAB base functions rand/randi/randperm and save/load against the NumPy/SciPy calls
they wrap (ratios in one run; medians of repeated timings).

    PYTHONPATH=. python benchmarks/bench_random_files.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.io


def median_time(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    from layergraph.matlab.base.matfiles import load, save
    from layergraph.matlab.base.random import rand, randi, randperm, rng

    rs = np.random.RandomState(5489)
    rows = []
    rng(0)
    rows.append(("rand(1000)", median_time(lambda: rand(1000)), median_time(lambda: rs.random_sample((1000, 1000)))))
    rows.append(("randi(10, 1000)", median_time(lambda: randi(10, 1000)),
                 median_time(lambda: np.ceil(rs.random_sample((1000, 1000)) * 10))))
    rows.append(("randperm(1e6)", median_time(lambda: randperm(10**6)),
                 median_time(lambda: np.argsort(rs.random_sample(10**6), kind="stable") + 1)))
    a = np.random.default_rng(0).standard_normal((1000, 1000))
    with tempfile.TemporaryDirectory() as d:
        f1, f2 = str(Path(d) / "a.mat"), str(Path(d) / "b.mat")
        rows.append(("save -v7 1000x1000", median_time(lambda: save(f1, workspace={"a": a}), 3),
                     median_time(lambda: scipy.io.savemat(f2, {"a": a}, do_compression=True), 3)))
        rows.append(("load -v7 1000x1000", median_time(lambda: load(f1), 3),
                     median_time(lambda: scipy.io.loadmat(f2), 3)))
    print(f"{'operation':<22}{'layergraph s':>14}{'numpy/scipy s':>15}{'ratio':>8}")
    for name, ours, ref in rows:
        print(f"{name:<22}{ours:>14.4f}{ref:>15.4f}{ours / ref:>8.2f}")


if __name__ == "__main__":
    main()
