"""Cost of calling MATLAB base functions through the registry vs the NumPy/torch call they wrap.

    OMP_NUM_THREADS=1 python benchmarks/bench_base_functions.py

Prints, per case, microseconds per call for the registry function and for the hand-written NumPy (or
torch) equivalent, and their ratio. The registry functions add MATLAB's argument handling (dimension
rules, flags, classes); the ratio is the price of that on small and large inputs.
"""

from __future__ import annotations

import timeit

import numpy as np
import torch

from layergraph.functions import FUNCTIONS

torch.set_num_threads(1)


def fn(name):
    return FUNCTIONS[name].function


small = np.arange(9.0).reshape(3, 3)
large = np.random.default_rng(0).standard_normal((1000, 1000))
t_small = torch.arange(9.0).reshape(3, 3)

CASES = [
    ("sum(3x3)", lambda: fn("sum")(small), lambda: np.sum(small, axis=0, keepdims=True)),
    ("sum(1000x1000)", lambda: fn("sum")(large), lambda: np.sum(large, axis=0, keepdims=True)),
    ("mean(A,'all') 1000x1000", lambda: fn("mean")(large, "all"), lambda: np.mean(large)),
    ("max(3x3) 2 outputs", lambda: fn("max")(small, nargout=2),
     lambda: (small.max(axis=0), small.argmax(axis=0))),
    ("sort(1000x1000)", lambda: fn("sort")(large), lambda: np.sort(large, axis=0)),
    ("size(A)", lambda: fn("size")(large), lambda: np.array([large.shape], dtype=float)),
    ("strsplit", lambda: fn("strsplit")("a,b,c,d", ","), lambda: "a,b,c,d".split(",")),
    ("sum(tensor 3x3)", lambda: fn("sum")(t_small), lambda: torch.sum(t_small, dim=0, keepdim=True)),
]


def per_call(f, number):
    return min(timeit.repeat(f, number=number, repeat=5)) / number * 1e6


def main():
    print(f"{'case':28s} {'registry us':>12s} {'numpy us':>10s} {'ratio':>7s}")
    for label, registry, reference in CASES:
        number = 20 if "1000" in label else 2000
        r, n = per_call(registry, number), per_call(reference, number)
        print(f"{label:28s} {r:12.2f} {n:10.2f} {r / n:7.2f}")


if __name__ == "__main__":
    main()
