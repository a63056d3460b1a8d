"""Speed of the evaluation functions against hand-written NumPy / scikit-learn, in one run.

    PYTHONPATH=. python benchmarks/bench_evaluation.py [--n 100000]

Prints the median time of each and the ratio to the reference (lower is better; timing is never asserted).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _median(fn, repeat=7):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args(argv)

    from sklearn.metrics import confusion_matrix, roc_auc_score

    from layergraph import categorical, confusionmat, perfcurve

    rng = np.random.default_rng(0)
    n, k = args.n, 10
    yt = rng.integers(0, k, n)
    yp = np.where(rng.random(n) < 0.8, yt, rng.integers(0, k, n))
    names = np.array([f"class{i}" for i in range(k)])
    ct, cp = categorical(names[yt]), categorical(names[yp])
    scores = rng.random(n) + 0.5 * (yt == 3)

    rows = [
        ("confusionmat(categorical, categorical)", lambda: confusionmat(ct, cp),
         "numpy bincount on codes", lambda: np.bincount(yt * k + yp, minlength=k * k)),
        ("confusionmat(numbers, numbers)", lambda: confusionmat(yt, yp),
         "sklearn confusion_matrix", lambda: confusion_matrix(yt, yp)),
        ("confusionmat(text, text)", lambda: confusionmat(list(names[yt]), list(names[yp])),
         "sklearn confusion_matrix (text)", lambda: confusion_matrix(names[yt], names[yp])),
        ("mean(YPred == YTest) on categoricals", lambda: np.mean(cp == ct),
         "numpy mean(yp == yt) on ints", lambda: np.mean(yp == yt)),
        ("perfcurve(labels, scores, 3) AUC", lambda: perfcurve(yt, scores, 3),
         "sklearn roc_auc_score", lambda: roc_auc_score(yt == 3, scores)),
        ("categorical(text labels)", lambda: categorical(names[yt]),
         "numpy unique(return_inverse)", lambda: np.unique(names[yt], return_inverse=True)),
    ]
    print(f"n = {n} labels, {k} classes; median of 7 runs")
    print(f"{'layergraph':42s} {'time':>9s}   {'reference':32s} {'time':>9s}  ratio")
    for name, fn, ref_name, ref in rows:
        a, b = _median(fn), _median(ref)
        print(f"{name:42s} {a * 1e3:7.2f}ms   {ref_name:32s} {b * 1e3:7.2f}ms  {a / b:5.1f}")


if __name__ == "__main__":
    main()
