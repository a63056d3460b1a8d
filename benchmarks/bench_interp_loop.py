"""Interpreter speed on a scalar loop: ``s = 0; for i = 1:N, s = s + i; end`` run by ``layergraph run``
versus the same loop in a CPython function (issue 14's acceptance line: at most 20x).

Prints, in one run: the ratio at N = 1e6 (best of --repeat runs of each), how the interpreter's time
scales with N, a compiled loop that writes array elements, and for comparison a loop the fast path does not
compile (a cell assignment in the body), which runs in the general interpreter.

Times are CPU time of this process (time.process_time), so a busy machine (other jobs on the same cores)
does not inflate one side of a ratio more than the other.

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/bench_interp_loop.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time


def python_loop(n):
    s = 0.0
    for i in range(1, n + 1):
        s = s + i
    return s


def paired(fa, fb, repeat):
    """Best time of each, the two measured alternately (a busy machine slows both alike)."""
    ta, tb = [], []
    for _ in range(repeat):
        t = time.process_time()
        fa()
        ta.append(time.process_time() - t)
        t = time.process_time()
        fb()
        tb.append(time.process_time() - t)
    return min(ta), min(tb)


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    from layergraph.matlab import run
    from layergraph.matlab.api import _load_registries
    from layergraph.matlab.source import parse_source

    _load_registries()
    n = args.n
    source = f"s = 0; for i = 1:{n}, s = s + i; end"
    t_parse = best(lambda: parse_source(source), args.repeat)
    t_py, t_run = paired(lambda: python_loop(n), lambda: run(source), args.repeat)
    check = run(source)["s"][0, 0]
    assert check == python_loop(n), (check, python_loop(n))
    print(f"loop of {n:,} iterations (s = s + i), best of {args.repeat}")
    print(f"  CPython function          {t_py * 1e3:9.1f} ms")
    print(f"  layergraph run            {t_run * 1e3:9.1f} ms   (parse {t_parse * 1e3:.1f} ms)")
    print(f"  ratio                     {t_run / t_py:9.1f} x   (acceptance: <= 20x)")
    print("scaling (layergraph run / CPython):")
    for m in (10_000, 100_000, 1_000_000):
        src = f"s = 0; for i = 1:{m}, s = s + i; end"
        tp, tr = paired(lambda: python_loop(m), lambda: run(src), args.repeat)
        print(f"  N = {m:>9,}   run {tr * 1e3:8.1f} ms   python {tp * 1e3:7.1f} ms   ratio {tr / tp:5.1f} x")
    m = 100_000
    tp = best(lambda: python_loop(m), args.repeat)
    filled = f"s = 0; x = zeros(1, {m}); for i = 1:{m}, s = s + i; x(i) = s; end"
    tf = best(lambda: run(filled), args.repeat)
    print(f"compiled loop with element writes (x(i) = s), N = {m:,}: {tf * 1e3:.1f} ms, "
          f"{tf / m * 1e6:.2f} us/iteration, {tf / tp:.0f}x the CPython loop of s = s + i")
    general = f"s = 0; c = cell(1, 1); for i = 1:{m // 10}, s = s + i; c{{1}} = s; end"
    tg = best(lambda: run(general), 1)
    print(f"general interpreter (body with c{{1}} = s, not compiled), N = {m // 10:,}: {tg * 1e3:.1f} ms, "
          f"{tg / (m // 10) * 1e6:.1f} us/iteration")


if __name__ == "__main__":
    main()
