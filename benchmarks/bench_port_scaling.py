"""Porter cost as scripts grow: long `...` continuation runs and appending layers in a loop (linear?).

    python benchmarks/bench_port_scaling.py [--sizes 10000 20000 40000 80000]

For each pattern and size, ports a generated script (best of --repeats runs) and prints the seconds, the
microseconds per line/iteration and the growth exponent between successive sizes (1.0 = linear, 2.0 =
quadratic): log(t2/t1) / log(n2/n1).
"""

from __future__ import annotations

import argparse
import math
import time

from layergraph.matlab import port


def continuation(n: int) -> str:
    """One statement continued over n lines: a layer array written one layer per line with `...`."""
    body = "".join(f"    reluLayer('Name', 'r{i}') ...\n" for i in range(n))
    return "layers = [featureInputLayer(2, 'Name', 'in') ...\n" + body + "    ];\n"


def append_end(n: int) -> str:
    return f"layers = featureInputLayer(2);\nfor i = 1:{n}\n    layers(end+1) = reluLayer;\nend\n"


def append_concat(n: int) -> str:
    return f"layers = featureInputLayer(2);\nfor i = 1:{n}\n    layers = [layers; reluLayer];\nend\n"


PATTERNS = {"continuation lines (...)": continuation, "layers(end+1) = ... in a loop": append_end,
            "layers = [layers; ...] in a loop": append_concat}


def timed(script: str, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        port(script, max_steps=10_000_000)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000, 80_000])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    port("x = 1;")  # warm-up: imports and registries
    print(f"{'pattern':<36} {'n':>8} {'seconds':>9} {'us/item':>9} {'exponent':>9}")
    for label, make in PATTERNS.items():
        previous = None
        for n in args.sizes:
            t = timed(make(n), args.repeats)
            exponent = "" if previous is None else f"{math.log(t / previous[1]) / math.log(n / previous[0]):.2f}"
            print(f"{label:<36} {n:>8} {t:>9.2f} {1e6 * t / n:>9.1f} {exponent:>9}", flush=True)
            previous = (n, t)


if __name__ == "__main__":
    main()
