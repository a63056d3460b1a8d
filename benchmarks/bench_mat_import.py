"""Import every .mat file of benchmarks/mat_corpus_manifest.json from a local folder and report.

    python benchmarks/bench_mat_import.py FOLDER [--extract-from MIRRORS]

FOLDER holds the files as ``<owner>+<name>/<path>`` (the manifest's repository with '/' -> '+').
``--extract-from`` copies them there first from local git mirrors ``MIRRORS/<owner>+<name>/repo``
(``git show <commit>:<path>``). For each file: the variables, each network's class, layer count and
learnable count, the (class, save version) pairs decoded, the time to import, and — where the manifest
names an input and MATLAB's stored scores — the largest difference between our prediction and MATLAB's.
Nothing from the files is committed; no code in them is run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def local_path(folder: Path, entry: dict) -> Path:
    return folder / entry["repository"].replace("/", "+") / entry["path"]


def extract(folder: Path, mirrors: Path, entry: dict) -> None:
    target = local_path(folder, entry)
    if target.exists():
        return
    repo = mirrors / entry["repository"].replace("/", "+") / "repo"
    if (repo / ".git").exists():
        repo = repo / ".git"
    if not repo.exists():
        return
    data = subprocess.run(["git", "-C", str(repo), "show", f"{entry['commit']}:{entry['path']}"],
                          capture_output=True, check=False).stdout
    if data:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def saved_pairs(path: Path) -> Counter:
    """(class, save version) of every saved layer/network object in the file, read from the raw objects."""
    from layergraph.io.mat.container import MatObject, MatObjectArray, read_mat_file

    pairs: Counter = Counter()

    def walk(v, seen):
        if isinstance(v, MatObject):
            if id(v) in seen:
                return
            seen.add(id(v))
            saved = v.saved
            if saved is not None:
                version = saved.get("Version")
                ver = int(np.asarray(version).ravel()[0]) if version is not None and np.asarray(version).size else None
                pairs[(v.classname, ver)] += 1
                for x in saved.values():
                    walk(x, seen)
            else:
                pairs[(v.classname, None)] += 1
        elif isinstance(v, MatObjectArray):
            for x in v.items:
                walk(x, seen)
        elif isinstance(v, np.ndarray) and v.dtype.names:
            for idx in np.ndindex(v.shape):
                for n in v.dtype.names:
                    walk(v[idx][n], seen)
        elif isinstance(v, np.ndarray) and v.dtype == object:
            for x in v.ravel():
                walk(x, seen)

    raw, _ = read_mat_file(path)
    seen: set = set()
    for value in raw.values():
        walk(value, seen)
    return pairs


def check_prediction(variables, check) -> float:
    import torch

    net = variables[check["network"]]
    x = np.asarray(variables[check["input"]], dtype=np.float32)
    if x.ndim == 3:  # one H×W×C image -> 1×C×H×W
        t = torch.from_numpy(x).permute(2, 0, 1)[None]
    elif x.ndim == 4:
        t = torch.from_numpy(x).permute(3, 2, 0, 1)
    else:
        t = torch.from_numpy(x.T.copy())
    ours = net.predict(t).numpy()
    theirs = np.asarray(variables[check["scores"]], dtype=np.float32).reshape(ours.shape)
    return float(np.abs(ours - theirs).max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--extract-from", type=Path, help="folder of git mirrors to copy the files from")
    parser.add_argument("--manifest", type=Path, default=ROOT / "benchmarks" / "mat_corpus_manifest.json")
    args = parser.parse_args(argv)
    from layergraph import LayerGraph, loadmat
    from layergraph.errors import LayerGraphError
    from layergraph.network import Network

    entries = json.loads(args.manifest.read_text())["files"]
    totals = Counter()
    all_pairs: Counter = Counter()
    for entry in entries:
        if args.extract_from:
            extract(args.folder, args.extract_from, entry)
        path = local_path(args.folder, entry)
        label = f"{entry['repository']}:{entry['path']}"
        if not path.exists():
            print(f"MISSING  {label}")
            totals["missing"] += 1
            continue
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                variables = loadmat(path)
        except LayerGraphError as exc:
            print(f"ERROR    {label}: {str(exc).splitlines()[0]}")
            totals["error"] += 1
            continue
        seconds = time.perf_counter() - start
        totals["ok"] += 1
        pairs = saved_pairs(path)
        all_pairs.update(pairs)
        parts = []
        for name, value in variables.items():
            if isinstance(value, Network):
                n_learn = sum(p.numel() for _, _, p, _, _ in value.parameter_info())
                parts.append(f"{name}={value.matlab_class()}({len(value.Layers)} layers, {n_learn:,} learnables)")
                totals["networks"] += 1
            elif isinstance(value, LayerGraph):
                held = sum(type(x).__name__.startswith("MatPlaceholder") for x in value.layer_list())
                n_learn = sum(int(np.prod(v.shape)) for x in value.layer_list() for p in x.learnable_names()
                              if (v := x._values.get(p)) is not None)
                parts.append(f"{name}=LayerGraph({len(value.layer_list())} layers, {n_learn:,} learnables"
                             + (f", {held} placeholders" if held else "") + ")")
                totals["networks"] += 1
            elif isinstance(value, list) and value and all(hasattr(x, "MATLAB_NAME") for x in value):
                parts.append(f"{name}=layers({len(value)})")
                totals["layer arrays"] += 1
            elif type(value).__name__ in ("TrainingOptions", "Categorical"):
                parts.append(f"{name}={type(value).__name__}")
            elif hasattr(value, "classname"):
                parts.append(f"{name}=<{value.classname} object, kept as data>")
        line = f"OK       {label} [{seconds:.2f} s]: " + (", ".join(parts) or f"{len(variables)} plain variables")
        check = entry.get("check")
        if check:
            diff = check_prediction(variables, check)
            line += f"; stored scores reproduced, max |diff| = {diff:.2e}"
            totals["checked"] += 1
        print(line)
    print()
    print("saved (class, version) pairs decoded:")
    for (cls, ver), n in sorted(all_pairs.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        print(f"  {cls} v{ver if ver is not None else '-'}: {n}")
    print()
    print(f"files: {totals['ok']} imported, {totals['error']} errors, {totals['missing']} missing; "
          f"{totals['networks']} networks, {totals['layer arrays']} layer arrays, {totals['checked']} prediction checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
