"""Pretrained architectures: build time with 'Weights','none', and forward time at each network's input
size vs the same computation written by hand in torch (tests/pretrained_reference.py), same weights.

    python benchmarks/bench_pretrained.py [--batch 16] [--repeats 5] [--networks resnet18 squeezenet ...]

The hand-written side computes the whole network as the MATLAB one does: input normalisation,
the layers, softmax. Runs are interleaved so machine load affects both alike; the ratio is the median
of per-round ratios (layergraph / hand-written).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pretrained_reference as R  # noqa: E402

import layergraph as lg  # noqa: E402
from layergraph.networks.pretrained import NETWORKS, pretrained_graph_from_state  # noqa: E402

REFERENCES = {
    "squeezenet": R.SqueezeNet11, "resnet18": R.resnet18, "mobilenetv2": R.MobileNetV2, "resnet50": R.resnet50,
    "resnet101": R.resnet101, "densenet201": R.DenseNet201, "inceptionv3": R.InceptionV3, "vgg16": R.vgg16,
    "vgg19": R.vgg19, "efficientnetb0": R.EfficientNetB0,
}


def hand_written(ref):
    def run(x):
        return torch.softmax(ref(R.preprocess(x)), 1)
    return run


def interleaved(a, b, x, repeats: int):
    ta, tb, ratios = [], [], []
    with torch.inference_mode():
        a(x), b(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            a(x)
            t1 = time.perf_counter()
            b(x)
            t2 = time.perf_counter()
            ta.append(t1 - t0)
            tb.append(t2 - t1)
            ratios.append(ta[-1] / tb[-1])
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--networks", nargs="*", default=list(NETWORKS))
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}")
    print(f"{'network':<13}{'build (s)':>10}{'layergraph (s)':>16}{'hand-written (s)':>18}{'ratio':>8}")
    for name in args.networks:
        t0 = time.perf_counter()
        getattr(lg, name)("Weights", "none")
        build = time.perf_counter() - t0
        if name not in REFERENCES:
            print(f"{name:<13}{build:>10.3f}{'-':>16}{'-':>18}{'-':>8}")
            continue
        ref = R.randomize(R.build(REFERENCES[name])).eval()
        net = lg.assembleNetwork(pretrained_graph_from_state(name, ref.state_dict() if name != "densenet201"
                                                             else R.legacy_densenet_keys(ref.state_dict())))
        net.eval()
        size = NETWORKS[name].input_size
        x = torch.rand(args.batch, 3, size[0], size[1]) * 255
        ours, theirs, ratio = interleaved(net, hand_written(ref), x, args.repeats)
        print(f"{name:<13}{build:>10.3f}{ours:>16.3f}{theirs:>18.3f}{ratio:>8.3f}")
        del net, ref


if __name__ == "__main__":
    main()
