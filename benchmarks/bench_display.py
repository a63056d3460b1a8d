"""Cost of MATLAB text output: ``sprintf``/``fprintf`` and the Command Window display, against plain Python
formatting of the same text (ratios in one run; nothing is asserted).

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_display.py [--repeat 5] [--n 10000]

- sprintf('%d: %.4f\\n', i, x) called n times (registry function, MATLAB values) vs '%d: %.4f\\n' % (i, x);
- sprintf('%d,%d\\n', A) over one 2×n matrix (the format recycled) vs one Python join;
- display_text('x', A) of a 100×100 random matrix (Columns blocks) vs numpy's str();
- a `layergraph run` loop printing n lines with fprintf vs a Python loop writing the same lines.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args(argv)
    n = args.n

    from layergraph.functions import FUNCTIONS
    from layergraph.matlab import display as D
    from layergraph.matlab import run

    sprintf = FUNCTIONS["sprintf"].function
    values = [(np.array([[float(i)]]), np.array([[i / 7.0]])) for i in range(n)]
    plain = [(i, i / 7.0) for i in range(n)]
    rows = []

    t_ml = best(lambda: [sprintf("%d: %.4f\n", a, b) for a, b in values], args.repeat)
    t_py = best(lambda: ["%d: %.4f\n" % (a, b) for a, b in plain], args.repeat)
    rows.append(("sprintf scalar pairs", n, t_ml, t_py))

    A = np.vstack([np.arange(n, dtype=float), np.arange(n, dtype=float) * 2])
    t_ml = best(lambda: sprintf("%d,%d\n", A), args.repeat)
    t_py = best(lambda: "".join("%d,%d\n" % (int(a), int(b)) for a, b in A.T), args.repeat)
    rows.append(("sprintf recycled over 2xn", n, t_ml, t_py))

    M = np.random.default_rng(0).random((100, 100))
    t_ml = best(lambda: D.display_text("x", M), args.repeat)
    t_py = best(lambda: str(M), args.repeat)
    rows.append(("display 100x100 matrix", 1, t_ml, t_py))

    script = f"for i = 1:{n}\n  fprintf('%d: %.4f\\n', i, i / 7);\nend\n"

    def run_script():
        with contextlib.redirect_stdout(io.StringIO()):
            run(script)

    def python_loop():
        out = io.StringIO()
        for i in range(1, n + 1):
            out.write("%d: %.4f\n" % (i, i / 7))

    t_ml = best(run_script, args.repeat)
    t_py = best(python_loop, args.repeat)
    rows.append(("layergraph run fprintf loop", n, t_ml, t_py))

    print(f"{'case':32s} {'n':>7s} {'layergraph (ms)':>16s} {'python (ms)':>12s} {'ratio':>7s}")
    for name, count, a, b in rows:
        print(f"{name:32s} {count:7d} {a * 1e3:16.2f} {b * 1e3:12.2f} {a / b:7.1f}")


if __name__ == "__main__":
    main()
