"""Forward time of compiled layergraph networks vs hand-written PyTorch with the same weights, in one run.

    python benchmarks/bench_forward.py [--size 112] [--repeats 15]

Prints the median time of each and the ratio (compiled / hand-written), and the cost of the input-size
check (in the call wrapper) per call. Runs are interleaved so machine load affects both alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from residual_mlp import residual_mlp_graph  # noqa: E402
from resnet18 import resnet18_graph  # noqa: E402
from torch_reference import resnet18_from_matlab_layers, residual_mlp_from_matlab_layers  # noqa: E402

from layergraph import assembleNetwork  # noqa: E402


def interleaved(a, b, x, repeats: int, inner: int) -> tuple[float, float, float]:
    """Median seconds per call of a and b, and the median of per-round ratios."""
    ta, tb, ratios = [], [], []
    with torch.inference_mode():
        for _ in range(3):
            a(x), b(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(inner):
                a(x)
            t1 = time.perf_counter()
            for _ in range(inner):
                b(x)
            t2 = time.perf_counter()
            ta.append((t1 - t0) / inner)
            tb.append((t2 - t1) / inner)
            ratios.append(ta[-1] / tb[-1])
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=112, help="ResNet input height/width (default 112)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    net = assembleNetwork(resnet18_graph(input_size=(args.size, args.size, 3), num_classes=1000)).eval()
    ref = resnet18_from_matlab_layers(net.Layers, args.size, 3, 1000)
    x = torch.randn(args.batch, 3, args.size, args.size)
    torch.testing.assert_close(net(x), ref(x), rtol=1e-4, atol=1e-5)
    a, b, r = interleaved(net, ref, x, args.repeats, 1)
    print(f"ResNet-18 {args.size}x{args.size} batch {args.batch}: layergraph {a * 1e3:.1f} ms, "
          f"hand-written {b * 1e3:.1f} ms, ratio {r:.3f}")

    mlp = assembleNetwork(residual_mlp_graph(num_features=16, hidden=64, num_blocks=4)).eval()
    ref_mlp = residual_mlp_from_matlab_layers(mlp.Layers, 16, 64, 4)
    x = torch.randn(10, 16)
    torch.testing.assert_close(mlp(x), ref_mlp(x), rtol=1e-5, atol=1e-6)
    a, b, r = interleaved(mlp, ref_mlp, x, args.repeats * 4, 200)
    print(f"Residual MLP (4 blocks, 64 hidden) batch 10: layergraph {a * 1e6:.1f} us, "
          f"hand-written {b * 1e6:.1f} us, ratio {r:.3f}")

    # the input-size check runs in Network.__call__, outside forward: its own cost per call
    from layergraph.network import _check_network_inputs

    inner = 20000
    t0 = time.perf_counter()
    for _ in range(inner):
        _check_network_inputs(mlp, (x,))
    check = (time.perf_counter() - t0) / inner
    print(f"Input-size check: {check * 1e6:.1f} us per call ({check / a * 100:.1f} % of the residual MLP's call)")

if __name__ == "__main__":
    main()
