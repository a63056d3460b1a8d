"""Python bytecodes executed in one iteration of the digits custom loop: the Python API loop and the ported
MATLAB script, per function (a deterministic count, unlike timings on a shared machine).

    python benchmarks/count_custom_loop.py [--top 30]

In the training loop this Python runs cold (the kernels between two statements evict the interpreter's code
and data from the caches), so each bytecode costs far more than in a warm micro-benchmark, and the count
follows the per-iteration overhead better than instruction counts of small numpy calls do (see
docs/custom-loops.md, Speed). The iteration counted is the fifth (caches of the first calls are filled).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "examples"))

from bench_custom_loop import data, network  # noqa: E402
from custom_loop_digits import model_loss  # noqa: E402

from layergraph import adamupdate, dlarray, dlfeval  # noqa: E402
from layergraph.values import onehotencode  # noqa: E402

COUNTED_ITERATION = 5


class BytecodeCounter:
    """Counts executed bytecodes per function while ``on`` (sys.settrace with opcode events)."""

    def __init__(self):
        self.counts = collections.Counter()
        self.on = False

    def trace(self, frame, event, arg):
        if not self.on:
            return None
        frame.f_trace_opcodes = True
        code = frame.f_code
        key = f"{Path(code.co_filename).name}:{code.co_name}"
        counts = self.counts

        def local(frame, event, arg):
            if event == "opcode":
                counts[key] += 1
            return local
        return local

    def start(self, on: bool) -> None:
        self.on = on
        sys.settrace(self.trace if on else None)


def count_api() -> collections.Counter:
    counter = BytecodeCounter()
    XTrain, TTrain = data(8)
    order = np.random.default_rng(0).permutation(XTrain.shape[3])
    net, avg, sq = network(8), [], []
    for it in range(1, COUNTED_ITERATION + 1):
        counter.start(it == COUNTED_ITERATION)
        idx = order[(it - 1) * 64:it * 64]
        X = dlarray(XTrain[:, :, :, idx], "SSCB")
        T = onehotencode(TTrain[idx], 2).T
        loss, grads, state = dlfeval(model_loss, net, X, T)
        net.State = state
        net, avg, sq = adamupdate(net, grads, avg, sq, it, 0.01)
    counter.start(False)
    return counter.counts


def count_ported() -> collections.Counter:
    from layergraph.demo import write_digits_mat
    from layergraph.matlab.source import read_file
    from layergraph.matlab.translate import translate_source

    counter = BytecodeCounter()
    folder = Path(tempfile.mkdtemp(prefix="count-ported-"))
    write_digits_mat(folder)
    source = folder / "custom_loop_digits.m"
    source.write_text("numEpochs = 1;\n" + (ROOT / "examples" / "matlab" / "custom_loop_digits.m").read_text())
    python = translate_source(read_file(str(source))).python_source
    marker = "            iteration = iteration + 1"
    if marker not in python:
        raise SystemExit("the translated loop changed: update the marker in count_ported")
    python = python.replace(marker, f"            _count_(iteration + 1 == {COUNTED_ITERATION})\n{marker}", 1)
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(python, str(source.with_suffix(".py")), "exec"), {"__name__": "__main__", "_count_": counter.start})
    finally:
        counter.start(False)
        os.chdir(here)
    return counter.counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    api, ported = count_api(), count_ported()
    print(f"bytecodes in iteration {COUNTED_ITERATION}: Python API loop {sum(api.values())}, "
          f"ported program {sum(ported.values())}")
    print(f"{'ported':>7} {'API':>7}  function (largest differences first)")
    for key in sorted(set(api) | set(ported), key=lambda k: -abs(ported[k] - api[k]))[:args.top]:
        print(f"{ported[key]:7d} {api[key]:7d}  {key}")


if __name__ == "__main__":
    main()
