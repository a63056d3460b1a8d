"""Building an N-layer chain one MATLAB call at a time, then analysing and compiling it.

    python benchmarks/bench_graph_scaling.py [--sizes 1250 2500 5000 10000]

Each step is ``lgraph = addLayers(lgraph, layer)`` then ``lgraph = connectLayers(lgraph, prev, name)``,
as a MATLAB script would write it (every call returns a new graph and leaves its argument unchanged).
"""

from __future__ import annotations

import argparse
import time

from layergraph import (
    addLayers,
    analyzeNetwork,
    assembleNetwork,
    connectLayers,
    featureInputLayer,
    fullyConnectedLayer,
    layerGraph,
    regressionLayer,
    reluLayer,
)


def build_chain(n: int):
    lgraph = layerGraph(featureInputLayer(8, Name="input"))
    previous = "input"
    for i in range(n):
        layer = fullyConnectedLayer(8, Name=f"fc{i}") if i % 2 == 0 else reluLayer(Name=f"relu{i}")
        lgraph = addLayers(lgraph, layer)
        lgraph = connectLayers(lgraph, previous, layer.Name)
        previous = layer.Name
    lgraph = addLayers(lgraph, regressionLayer(Name="output"))
    return connectLayers(lgraph, previous, "output")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1250, 2500, 5000, 10000])
    args = parser.parse_args(argv)
    print(f"{'layers':>8} {'build s':>9} {'analyze s':>10} {'compile s':>10} {'total s':>9} {'us/layer':>9}")
    for n in args.sizes:
        t0 = time.perf_counter()
        lgraph = build_chain(n)
        t1 = time.perf_counter()
        info = analyzeNetwork(lgraph, Plots="none")
        t2 = time.perf_counter()
        assembleNetwork(lgraph)
        t3 = time.perf_counter()
        assert not info.Issues
        total = t3 - t0
        print(f"{n:>8} {t1 - t0:>9.2f} {t2 - t1:>10.2f} {t3 - t2:>10.2f} {total:>9.2f} {total / n * 1e6:>9.0f}")


if __name__ == "__main__":
    main()
