"""Benchmark: port a generated 5,000-line MATLAB script that builds a deep residual network with loops.

    python benchmarks/bench_port.py [--lines 5000] [--repeat 3]

Prints the script size, the network size and the best-of-N wall time of ``layergraph.matlab.port``
(parse + interpretation + Python code generation). Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def generate_script(target_lines: int = 5000) -> str:
    head = [
        "% Generated benchmark script: a deep residual network built with loops.",
        "inputSize = [32 32 3];",
        "lgraph = layerGraph();",
        "lgraph = addLayers(lgraph, [imageInputLayer(inputSize, 'Name', 'input', 'Normalization', 'none')",
        "    convolution2dLayer(3, 16, 'Padding', 'same', 'Name', 'stem')",
        "    reluLayer('Name', 'stem_relu')]);",
        "last = 'stem_relu';",
        "numFilters = 16;",
    ]
    section = [
        "% ---- stage {k}: two residual blocks",
        "for b = 1:2",
        "    name = sprintf('s{k}_b%d', b);",
        "    block = [convolution2dLayer(3, numFilters, 'Padding', 'same', 'Name', [name '_conv']) ...",
        "             batchNormalizationLayer('Name', [name '_bn'])",
        "             additionLayer(2, 'Name', [name '_add'])",
        "             reluLayer('Name', [name '_relu'])];",
        "    lgraph = addLayers(lgraph, block);",
        "    lgraph = connectLayers(lgraph, last, [name '_conv']);",
        "    lgraph = connectLayers(lgraph, last, [name '_add/in2']);",
        "    last = [name '_relu'];",
        "end",
    ]
    tail = [
        "lgraph = addLayers(lgraph, [fullyConnectedLayer(10, 'Name', 'fc'); softmaxLayer('Name', 'sm');",
        "    classificationLayer('Name', 'out')]);",
        "lgraph = connectLayers(lgraph, last, 'fc');",
        "numLayers = numel(lgraph.Layers);",
    ]
    lines = list(head)
    k = 1
    while len(lines) + len(section) + len(tail) <= target_lines:
        lines.extend(s.replace("{k}", str(k)) for s in section)
        k += 1
    lines.extend(tail)
    while len(lines) < target_lines:
        lines.append("% padding comment")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from layergraph.matlab import port
    from layergraph.matlab.source import parse_source

    text = generate_script(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deep_generated.m")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        port(path)  # warm-up (imports, registry)
        best_parse = min(_timed(lambda: parse_source(text, path)) for _ in range(args.repeat))
        times = []
        cpu = []
        result = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            c0 = time.process_time()
            result = port(path)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    graph = result.networks["lgraph"]
    print(f"script: {text.count(chr(10))} lines; network: {len(graph.layer_list())} layers, "
          f"{len(graph.edge_list())} connections; generated Python: {result.python_source.count(chr(10))} lines")
    print(f"parse (tree-sitter + syntax tree): {best_parse:.3f} s")
    print(f"port (parse + interpret + codegen): best {min(times):.3f} s of {args.repeat} "
          f"(all: {', '.join(f'{t:.3f}' for t in times)}); CPU time best {min(cpu):.3f} s")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
