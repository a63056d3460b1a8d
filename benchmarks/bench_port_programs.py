"""The programs ``layergraph port`` emits, against the same programs written by hand with numpy.

Two named MATLAB programs (benchmarks/programs/):

* ``preprocess_loops.m`` — loop-heavy preprocessing: a 400x50 feature matrix built element by element,
  per-feature mean and standard deviation with explicit loops, standardising and clipping element by
  element (about 80,000 scalar iterations);
* ``preprocess_vectorised.m`` — the vectorised version of such preprocessing on 20000x64 data: ``mod``,
  ``mean``, implicit expansion, logical-mask assignment, row norms and ``Z' * Z``.

Each is translated once (``layergraph port``), its ``script()`` timed against a hand-written numpy function
doing the same work (same loops for the loop program), in alternating rounds; the median of each is
reported with their ratio, and both results are checked to agree.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_port_programs.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def loops_numpy():
    """preprocess_loops.m written by hand: the same loops over numpy arrays."""
    n, d = 400, 50
    X = np.zeros((n, d))
    for i in range(n):
        for j in range(d):
            X[i, j] = ((i + 1) * 7 + (j + 1) * 13) / 10 - (j + 1)
    mu = np.zeros(d)
    for j in range(d):
        s = 0.0
        for i in range(n):
            s = s + X[i, j]
        mu[j] = s / n
    sd = np.zeros(d)
    for j in range(d):
        s = 0.0
        for i in range(n):
            r = X[i, j] - mu[j]
            s = s + r * r
        sd[j] = math.sqrt(s / (n - 1))
    Y = np.zeros((n, d))
    for i in range(n):
        for j in range(d):
            z = (X[i, j] - mu[j]) / sd[j]
            if z > 1.5:
                z = 1.5
            elif z < -1.5:
                z = -1.5
            Y[i, j] = z
    return Y.sum()


def vectorised_numpy():
    """preprocess_vectorised.m written by hand with numpy (MATLAB's column-major reshape)."""
    n, d = 20000, 64
    idx = np.arange(1, n * d + 1, dtype=np.float64).reshape((n, d), order="F")
    X = np.mod(idx * 7919, 1000) / 100
    mu = X.mean(axis=0, keepdims=True)
    Xc = X - mu
    sd = np.sqrt((Xc ** 2).sum(axis=0, keepdims=True) / (n - 1))
    Z = Xc / sd
    Z[Z > 1.5] = 1.5
    Z[Z < -1.5] = -1.5
    row_norm = np.sqrt((Z ** 2).sum(axis=1, keepdims=True))
    C = Z.T @ Z / (n - 1)
    return Z.sum() + row_norm.sum() + C.sum()


def translated(name: str):
    from layergraph.matlab.source import read_file
    from layergraph.matlab.translate import translate_source

    program = translate_source(read_file(os.path.join(HERE, "programs", name))).python_source
    namespace = {"__name__": name}
    exec(compile(program, name.replace(".m", ".py"), "exec"), namespace)   # the benchmark runs the emitted program
    return namespace["script"], program


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"{'program':26s} {'emitted (ms)':>13s} {'numpy (ms)':>11s} {'ratio':>6s}")
    for name, reference in (("preprocess_loops.m", loops_numpy), ("preprocess_vectorised.m", vectorised_numpy)):
        script, _ = translated(name)
        got = float(script()["checksum"][0, 0])
        want = float(reference())
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (name, got, want)
        emitted, hand = [], []
        for r in range(args.rounds):        # alternate the order to share the machine's noise
            if r % 2:
                hand.append(timed(reference))
                emitted.append(timed(script))
            else:
                emitted.append(timed(script))
                hand.append(timed(reference))
        e, h = statistics.median(emitted), statistics.median(hand)
        em, hm = min(emitted), min(hand)
        print(f"{name:26s} {e * 1e3:13.1f} {h * 1e3:11.1f} {e / h:6.2f}   (fastest rounds: {em * 1e3:.1f} vs {hm * 1e3:.1f} ms, {em / hm:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
