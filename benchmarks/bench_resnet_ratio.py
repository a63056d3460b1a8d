"""ResNet forward, layergraph vs the same computation written by hand in torch, measured for the
ratio's noise: batch 16, 224×224, one thread, one process, rounds alternating the order (ABBA...) so
neither side always runs first; prints the median per-round ratio with a 95 % bootstrap interval and
the ratio for each order separately. ``--ops`` also prints the aten operator counts of one forward of
each side (load-independent: equal counts mean the two run the same kernels).

    OMP_NUM_THREADS=1 python benchmarks/bench_resnet_ratio.py [--networks resnet18 resnet50] [--rounds 12]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pretrained_reference as R  # noqa: E402

import layergraph as lg  # noqa: E402
from layergraph.networks.pretrained import pretrained_graph_from_state  # noqa: E402

REFERENCES = {"resnet18": R.resnet18, "resnet50": R.resnet50, "resnet101": R.resnet101, "mobilenetv2": R.MobileNetV2,
              "efficientnetb0": R.EfficientNetB0}


def op_counts(f, x) -> Counter:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as p:
        f(x)
    return Counter({e.key: e.count for e in p.key_averages() if e.key.startswith("aten::")})


def bootstrap_ci(values, n=2000, seed=0):
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(n))
    return medians[int(0.025 * n)], medians[int(0.975 * n)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", nargs="*", default=["resnet18", "resnet50"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--ops", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, rounds {args.rounds}")
    for name in args.networks:
        ref = R.randomize(R.build(REFERENCES[name])).eval()
        net = lg.assembleNetwork(pretrained_graph_from_state(name, ref.state_dict()))
        net.eval()

        def hand(x):
            return torch.softmax(ref(R.preprocess(x)), 1)

        x = torch.rand(args.batch, 3, 224, 224) * 255
        with torch.inference_mode():
            ours_first, hand_first, ta, tb = [], [], [], []
            net(x), hand(x)
            if args.ops:
                a, b = op_counts(net, x), op_counts(hand, x)
                keys = sorted(set(a) | set(b), key=lambda k: -(a[k] + b[k]))
                print(f"{name} aten ops (layergraph / hand-written): "
                      + ", ".join(f"{k[6:]} {a[k]}/{b[k]}" for k in keys if a[k] != b[k] or a[k] > 5))
            for r in range(args.rounds):
                order = (net, hand) if r % 4 in (0, 3) else (hand, net)
                times = {}
                for f in order:
                    t0 = time.perf_counter()
                    f(x)
                    times[f] = time.perf_counter() - t0
                ta.append(times[net])
                tb.append(times[hand])
                (ours_first if order[0] is net else hand_first).append(times[net] / times[hand])
        ratios = ours_first + hand_first
        lo, hi = bootstrap_ci(ratios)
        print(f"{name}: layergraph {statistics.median(ta):.3f} s, hand-written {statistics.median(tb):.3f} s; "
              f"ratio median {statistics.median(ratios):.3f} (95% CI {lo:.3f}-{hi:.3f}); "
              f"layergraph first {statistics.median(ours_first):.3f}, hand-written first "
              f"{statistics.median(hand_first):.3f}")


if __name__ == "__main__":
    main()
