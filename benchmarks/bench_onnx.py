"""ONNX fidelity check: every exportable layer family written with exportONNXNetwork, run by onnxruntime,
and read back with importNetworkFromONNX; plus models exported by torch.onnx.export.

    python benchmarks/bench_onnx.py [--opset 8]

Prints, per case, the largest absolute difference between the network and onnxruntime (batch sizes 1
and 8), between the imported network and onnxruntime, whether the imported layers are the same MATLAB
layers, and the export and import times (one run each, load-dependent: not asserted anywhere).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import layergraph as lg  # noqa: E402
from layergraph.io.onnx.export import DEFAULT_OPSET, build_model  # noqa: E402
from onnx_helpers import perturb, run_onnx, torch_outputs  # noqa: E402
from test_onnx_export import CASES, _graph, _input  # noqa: E402
from test_onnx_import import TorchConvNet, TorchRecurrent  # noqa: E402


def family_rows(opset: int, folder: Path):
    for name in sorted(CASES) + ["combination", "resize_reference"]:
        use = max(opset, 11) if name.startswith("resize") or name == "depth_to_space" else max(opset, 9) if name == "gelu" else opset
        net = perturb(lg.dlnetwork(_graph(name)), seed=7)
        t0 = time.perf_counter()
        model = build_model(net, opset=use)
        t_export = time.perf_counter() - t0
        path = folder / f"{name}.onnx"
        onnx.save(model, str(path))
        first = net._lg.graph.layer(net.InputNames[0])
        err_export = 0.0
        for n in (1, 8):
            x = _input(first, n)
            for got, want in zip(run_onnx(model, x), torch_outputs(net, x)):
                err_export = max(err_export, float(np.abs(got - want).max()))
        t0 = time.perf_counter()
        imported = lg.importNetworkFromONNX(path)
        t_import = time.perf_counter() - t0
        x = _input(first, 8)
        err_import = max(float(np.abs(a - b).max()) for a, b in zip(torch_outputs(imported, x), run_onnx(model, x)))
        same = [l.MATLAB_NAME for l in imported.Layers] == [l.MATLAB_NAME for l in net.Layers]
        meta = any(p.key == "layergraph.layers" for p in model.metadata_props)
        yield name, use, err_export, err_import, same, meta, t_export, t_import


def torch_rows(folder: Path):
    cases = {"torch conv net (Conv, BN folded, Gemm, GAP)": (TorchConvNet(), (3, 8, 8), {0: "N"}),
             "torch LSTM, y[:, -1, :]": (TorchRecurrent("lstm"), (6, 3), {0: "N", 1: "T"}),
             "torch BiLSTM, sequence": (TorchRecurrent("lstm", True, "sequence"), (6, 3), {0: "N", 1: "T"}),
             "torch GRU, h_n[-1]": (TorchRecurrent("gru", False, "final_state"), (6, 3), {0: "N", 1: "T"})}
    for name, (module, shape, dynamic) in cases.items():
        module.eval()
        path = folder / "torch.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (torch.randn((1,) + shape),), str(path), dynamo=False, input_names=["x"],
                              dynamic_axes={"x": dynamic}, opset_version=13)
        t0 = time.perf_counter()
        net = lg.importNetworkFromONNX(path)
        t_import = time.perf_counter() - t0
        err = 0.0
        for n in (1, 7):
            x = torch.randn((n,) + shape)
            err = max(err, float(np.abs(net.predict(x).numpy() - run_onnx(path, x)[0]).max()))
        yield name, err, t_import


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'family':28} {'opset':>5} {'|net-ort|':>10} {'|imp-ort|':>10} {'layers':>7} {'meta':>5} "
              f"{'export ms':>9} {'import ms':>9}")
        worst_e = worst_i = 0.0
        count = same_count = 0
        for name, opset, ee, ei, same, meta, te, ti in family_rows(args.opset, folder):
            count += 1
            same_count += same
            worst_e, worst_i = max(worst_e, ee), max(worst_i, ei)
            print(f"{name:28} {opset:>5} {ee:10.2e} {ei:10.2e} {'same' if same else 'differ':>7} "
                  f"{'yes' if meta else '':>5} {te * 1e3:9.1f} {ti * 1e3:9.1f}")
        print(f"\n{count} families: worst |net-ort| {worst_e:.2e}, worst |imported-ort| {worst_i:.2e}, "
              f"{same_count}/{count} imported as the same MATLAB layers")
        print()
        for name, err, ti in torch_rows(folder):
            print(f"{name:45} |imported-ort| {err:.2e}  import {ti * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
