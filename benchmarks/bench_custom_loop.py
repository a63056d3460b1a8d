"""Cost of an epoch of the MATLAB-style custom training loop (dlarray, dlfeval, forward, crossentropy,
dlgradient, net.State = state, adamupdate) vs the same loop written in plain PyTorch, in one run.

    OMP_NUM_THREADS=1 python benchmarks/bench_custom_loop.py [--size 8] [--epochs 3] [--rounds 5]

Data: scikit-learn's handwritten digits (1437 training images), 8×8 (``--size 8``) or enlarged to
28×28 (``--size 28``, MATLAB's digits size; pixels repeated). Model: conv 3×3×16 'same', batch norm,
ReLU, 2×2 max pooling (stride 2), fully connected 10, softmax; batch 64; Adam, learning rate 0.01.

Loops timed (each epoch: shuffle, index the mini-batch from the MATLAB-layout H×W×C×N array, one-hot
targets, forward, loss, gradients, update, as the MathWorks example does):

* "custom loop": the layergraph API exactly as examples/custom_loop_digits.py writes it;
* "torch, same model": the same compiled network called on the same mini-batch permuted to torch
  layout in the same (channels-last) memory format, the same loss formula, ``torch.autograd.grad`` + ``torch.optim.Adam`` (this isolates what
  the MATLAB API adds);
* "torch, nn.Sequential": an equivalent plain PyTorch model (informational).

``--interpreted``: also the MATLAB script examples/matlab/custom_loop_digits.m run by the interpreter
(``layergraph.matlab.run``; its ``load`` lines replaced by the same arrays given as workspace
variables), one epoch's cost taken as the difference between runs of 1 and 1 + ``--epochs`` epochs
(so start-up, network building and the test-set prediction cancel out).

``--ported`` (with ``--size 8``, the script's image size): also the same script as ``layergraph port``
writes it (``translate_source`` of the whole program; the settings given by a first line
``numEpochs = N;`` that the script's ``exist`` guards keep), run as plain Python (the emitted module executed
as ``python prog.py`` runs it) in a temporary folder holding digitsTrain.mat/digitsTest.mat
(``layergraph.demo.write_digits_mat``). The program runs once, for 1 + ``--rounds`` × ``--epochs`` epochs;
its epochs are timed between the ``fprintf`` lines it prints after each epoch (``ml.fprintf`` is observed,
not changed), and after every ``--epochs`` of its epochs the other loops run their round, so the ported
program is interleaved with them like the rest. Printed with its ratios to "torch, same model" and to
"custom loop" (the Python API loop).

``--steady-allocator``: fixes glibc malloc's trim and mmap thresholds first (see ``steady_allocator``; at
28×28 the default allocator's page faults vary from round to round by up to 20 ms per epoch).

Rounds are interleaved so machine load affects all alike; medians and the median per-round ratio
(with the quartiles of the per-round ratios) are printed. Times are process CPU times (time.process_time), which a busy machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from custom_loop_digits import load_digits_matlab_layout, model_loss  # noqa: E402

from layergraph import (adamupdate, batchNormalizationLayer, convolution2dLayer, dlarray, dlfeval,  # noqa: E402
                        dlnetwork, fullyConnectedLayer, imageInputLayer, maxPooling2dLayer, reluLayer, softmaxLayer)
from layergraph.values import onehotencode  # noqa: E402


def data(size: int):
    XTrain, TTrain, _, _ = load_digits_matlab_layout(0)
    if size != 8:
        reps = -(-size // 8)
        XTrain = np.repeat(np.repeat(XTrain, reps, axis=0), reps, axis=1)[:size, :size]
    return np.ascontiguousarray(XTrain), TTrain


def network(size: int):
    torch.manual_seed(0)
    return dlnetwork([imageInputLayer([size, size, 1], Normalization="none"), convolution2dLayer(3, 16, Padding="same"),
                      batchNormalizationLayer, reluLayer, maxPooling2dLayer(2, Stride=2), fullyConnectedLayer(10),
                      softmaxLayer])


def epoch_custom(state, XTrain, TTrain, rng, batch=64, lr=0.01):
    net, avg, sq, it = state
    n = XTrain.shape[3]
    order = rng.permutation(n)
    for i in range(n // batch):
        it += 1
        idx = order[i * batch:(i + 1) * batch]
        X = dlarray(XTrain[:, :, :, idx], "SSCB")
        T = onehotencode(TTrain[idx], 2).T
        loss, grads, st = dlfeval(model_loss, net, X, T)
        net.State = st
        net, avg, sq = adamupdate(net, grads, avg, sq, it, lr)
    return net, avg, sq, it


def epoch_torch(state, XTrain, labels, rng, batch=64):
    model, opt, params = state
    n = XTrain.shape[3]
    order = rng.permutation(n)
    eye = torch.eye(10)
    for i in range(n // batch):
        idx = order[i * batch:(i + 1) * batch]
        X = torch.from_numpy(XTrain[:, :, :, idx]).permute(3, 2, 0, 1)         # the same batch, N×C×H×W,
        X = X.contiguous(memory_format=torch.channels_last)                     # the same memory format
        T = eye[torch.from_numpy(labels[idx])]
        Y = model(X)
        loss = -(T * torch.log(Y)).sum() / X.shape[0]
        grads = torch.autograd.grad(loss, params)
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--interpreted", action="store_true", help="also time the .m script under layergraph run")
    parser.add_argument("--ported", action="store_true", help="also time the .m script as layergraph port writes it")
    parser.add_argument("--steady-allocator", action="store_true",
                        help="fix glibc malloc's trim and mmap thresholds (see steady_allocator)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.steady_allocator:
        print(steady_allocator())
    XTrain, TTrain = data(args.size)
    labels = np.asarray(TTrain.codes).reshape(-1).astype(np.int64) if hasattr(TTrain, "codes") else \
        np.array([int(s) for s in np.asarray(TTrain).reshape(-1)])

    custom = (network(args.size), [], [], 0)
    same = network(args.size)
    same.train()
    same_params = [p for p in same.parameters()]
    same_state = (same, torch.optim.Adam(same_params, lr=0.01), same_params)
    seq = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2),
                        nn.Flatten(), nn.Linear(16 * (args.size // 2) ** 2, 10), nn.Softmax(dim=1))
    seq_params = list(seq.parameters())
    seq_state = (seq, torch.optim.Adam(seq_params, lr=0.01), seq_params)

    rng = np.random.default_rng(0)
    # warm-up
    custom = epoch_custom(custom, XTrain, TTrain, rng)
    epoch_torch(same_state, XTrain, labels, rng)
    epoch_torch(seq_state, XTrain, labels, rng)
    times = {"custom loop": [], "torch, same model": [], "torch, nn.Sequential": []}

    def one_round():
        nonlocal custom
        t0 = time.process_time()
        for _ in range(args.epochs):
            custom = epoch_custom(custom, XTrain, TTrain, rng)
        t1 = time.process_time()
        for _ in range(args.epochs):
            epoch_torch(same_state, XTrain, labels, rng)
        t2 = time.process_time()
        for _ in range(args.epochs):
            epoch_torch(seq_state, XTrain, labels, rng)
        t3 = time.process_time()
        times["custom loop"].append((t1 - t0) / args.epochs)
        times["torch, same model"].append((t2 - t1) / args.epochs)
        times["torch, nn.Sequential"].append((t3 - t2) / args.epochs)

    if args.ported and args.size == 8:
        times["MATLAB script, ported"] = PortedProgram().run(args.rounds, args.epochs, one_round)
    else:
        for _ in range(args.rounds):
            one_round()
    if args.interpreted and args.size == 8:
        times["MATLAB script, run"] = []
        for _ in range(args.rounds):
            times["MATLAB script, run"].append(epoch_interpreted(args.epochs))
    print(f"digits {args.size}×{args.size}, {XTrain.shape[3]} images, batch 64, adam, "
          f"{torch.get_num_threads()} thread(s); median CPU seconds per epoch over {args.rounds} rounds")
    for name, ts in times.items():
        print(f"  {name:<22} {statistics.median(ts) * 1000:8.1f} ms")
    for ref in ("torch, same model", "torch, nn.Sequential"):
        ratios = [a / b for a, b in zip(times["custom loop"], times[ref])]
        print(f"  ratio custom loop / {ref}: {spread(ratios)}")
    if "MATLAB script, ported" in times:
        for ref in ("torch, same model", "torch, nn.Sequential", "custom loop"):
            ratios = [a / b for a, b in zip(times["MATLAB script, ported"], times[ref])]
            print(f"  ratio MATLAB script (ported) / {ref}: {spread(ratios)}")
    if "MATLAB script, run" in times:
        ratio = statistics.median(times["MATLAB script, run"]) / statistics.median(times["torch, same model"])
        print(f"  ratio MATLAB script (layergraph run) / torch, same model: {ratio:.3f} (medians; not interleaved)")


def steady_allocator() -> str:
    """Fix glibc malloc's trim and mmap thresholds (``mallopt``), for every loop alike.

    By default glibc raises both thresholds after the first large block (an activation) is freed, and from
    then on, depending on how the heap happens to be laid out, hands the top of the heap back to the system
    and faults the same pages in again on the next iteration: at 28×28 that is 14–540 page faults per
    iteration and up to 20 ms of system time per epoch, varying from round to round in every loop. Fixed
    thresholds (256 MB trim, 32 MB mmap) keep the memory in the heap; the loops' own work is then what is
    timed. Users get the same effect with ``MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=33554432``."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "--steady-allocator: no glibc mallopt here; the allocator is left as it is"
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = mallopt(m_trim_threshold, 256 * 2 ** 20) == 1 and mallopt(m_mmap_threshold, 32 * 2 ** 20) == 1
    return "glibc malloc: trim threshold 256 MB, mmap threshold 32 MB" + ("" if ok else " (mallopt refused)")


def spread(ratios) -> str:
    """The median per-round ratio and the middle half of the rounds (quartiles)."""
    if len(ratios) < 4:
        return f"{statistics.median(ratios):.3f}"
    q1, q2, q3 = statistics.quantiles(ratios, n=4)
    return f"{q2:.3f} (rounds' quartiles {q1:.3f}–{q3:.3f})"


def epoch_interpreted(epochs: int) -> float:
    """CPU seconds of one epoch of examples/matlab/custom_loop_digits.m under the interpreter."""
    from layergraph.demo import digits_matlab_layout
    from layergraph.matlab import run

    XTrain, TTrain, XTest, TTest = digits_matlab_layout(0)
    script = Path(__file__).resolve().parents[1] / "examples" / "matlab" / "custom_loop_digits.m"
    source = script.read_text().replace("load digitsTrain.mat", "").replace("load digitsTest.mat", "")
    data = {"XTrain": XTrain, "TTrain": TTrain, "XTest": XTest, "TTest": TTest}
    import contextlib
    import io

    cost = []
    for n in (1, 1 + epochs):
        t0 = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            run(source, workspace={**data, "numEpochs": n})
        cost.append(time.process_time() - t0)
    return (cost[1] - cost[0]) / epochs


class PortedProgram:
    """examples/matlab/custom_loop_digits.m as ``layergraph port`` writes it, run in a temporary folder holding
    the digits .mat files, its epochs timed between the lines it prints after each epoch."""

    def __init__(self):
        import tempfile

        from layergraph.demo import write_digits_mat

        self.folder = Path(tempfile.mkdtemp(prefix="bench-ported-"))
        write_digits_mat(self.folder)
        self.script = Path(__file__).resolve().parents[1] / "examples" / "matlab" / "custom_loop_digits.m"

    def run(self, rounds: int, epochs: int, between) -> list:
        """Run the program for 1 + rounds × epochs epochs (the first one warms up); after every ``epochs`` of
        its epochs call ``between()`` (the other loops' round). Returns the CPU seconds per epoch of each round."""
        import contextlib
        import io
        import os

        import layergraph.matlab.lang as ml
        from layergraph.matlab.source import read_file
        from layergraph.matlab.translate import translate_source

        source = self.folder / "custom_loop_digits.m"
        source.write_text(f"numEpochs = {1 + rounds * epochs};\n" + self.script.read_text())
        code = compile(translate_source(read_file(str(source))).python_source, str(source.with_suffix(".py")), "exec")
        printed = ml.fprintf
        per_round, seen, spent, mark = [], 0, 0.0, 0.0

        def epoch_line(*args, **kwargs):             # the program's fprintf after each epoch
            nonlocal seen, spent, mark
            now = time.process_time()
            if args and isinstance(args[0], str) and args[0].startswith("Epoch"):
                seen += 1
                if seen > 1:
                    spent += now - mark
                    if (seen - 1) % epochs == 0:
                        per_round.append(spent / epochs)
                        spent = 0.0
                        between()
            out = printed(*args, **kwargs)
            mark = time.process_time()
            return out

        here = os.getcwd()
        os.chdir(self.folder)
        ml.fprintf = epoch_line
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, {"__name__": "__main__"})           # as `python prog.py` runs it
        finally:
            ml.fprintf = printed
            os.chdir(here)
        return per_round


if __name__ == "__main__":
    main()
