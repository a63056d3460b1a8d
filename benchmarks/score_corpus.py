"""Score the MATLAB porter on a corpus of real public MATLAB files that define networks.

    python benchmarks/score_corpus.py FOLDER [--manifest benchmarks/corpus_manifest.json] [--json out.json]
    python benchmarks/score_corpus.py FOLDER --materialize-from MIRRORS   # lay the files out first

The files are not in this repository (third-party code). ``corpus_manifest.json`` names each one by
repository, path and commit; ``corpus_queries.md`` lists the searches that selected them. FOLDER holds
each repository's ``.m`` files at that commit under ``owner+name/`` (``--materialize-from`` writes them
from local git mirrors laid out as ``MIRRORS/owner+name/repo``), so helper functions next to a file are
found through ``--path`` as MATLAB would find them on its path.

Each file is scored on five stages, each counted only when the previous one passed:

1. found: the porter returns at least one network (the primary one is the last network it names);
2. analysed clean: ``analyzeNetwork`` of that network reports no errors;
3. compiled: ``assembleNetwork`` (output layers) or ``dlnetwork`` builds it;
4. forward: a forward pass on zeros of the input layers' sizes (batch 2) runs;
5. output size: the output has the size the analysis infers for the network's output, and a
   classification network outputs as many scores as its last fully connected layer's OutputSize.

Every file runs in its own process with a time limit, so a hang is counted, not waited for. The
summary lists the first failing stage's most common messages (the top causes to work on).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("found", "analysed clean", "compiled", "forward", "output size")


def materialize(manifest: dict, mirrors: Path, folder: Path) -> None:
    """Write every repository's .m files at the manifest's commit into FOLDER/owner+name/."""
    done = set()
    for entry in manifest["files"]:
        key = (entry["repository"], entry["commit"])
        if key in done:
            continue
        done.add(key)
        repo_dir = mirrors / entry["repository"].replace("/", "+") / "repo"
        target = folder / entry["repository"].replace("/", "+")
        names = subprocess.run(["git", "-C", str(repo_dir), "ls-tree", "-r", "--name-only", entry["commit"]],
                               capture_output=True, text=True, check=True).stdout.splitlines()
        for name in names:
            if not name.lower().endswith(".m"):
                continue
            blob = subprocess.run(["git", "-C", str(repo_dir), "show", f"{entry['commit']}:{name}"],
                                  capture_output=True, check=True).stdout
            out = target / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blob)


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^[^:]*\.m:\d+:\d+: ", "", text)        # drop file:line:col so causes group
    text = re.sub(r"'[^']*'", "'…'", text)
    return f"{type(exc).__name__}: {text[:160]}"


def _score_one(path: str, search_path: list, queue) -> None:
    import torch

    torch.set_num_threads(1)
    from layergraph import analyzeNetwork, assembleNetwork, dlnetwork
    from layergraph.graph import LayerGraph
    from layergraph.matlab import port

    outcome = {"stage": 0, "cause": None, "warnings": 0}
    try:
        result = port(path, path=search_path)
        outcome["warnings"] = len(result.warnings)
        if not result.networks:
            outcome["cause"] = "no network found" + (f" ({_message(Exception(result.errors[0]))})" if result.errors else "")
            queue.put(outcome)
            return
        outcome["stage"] = 1
        name, net = list(result.networks.items())[-1]
        graph = result.graphs()[name]
        analysis = analyzeNetwork(graph, Plots="none")
        if analysis.has_errors:
            outcome["cause"] = "analysis: " + re.sub(r"'[^']*'", "'…'", str(analysis.errors[0]).splitlines()[0])[:160]
            queue.put(outcome)
            return
        outcome["stage"] = 2
        has_output = any(layer.IS_OUTPUT for layer in graph.layer_list())
        compiled = assembleNetwork(graph) if has_output else dlnetwork(graph)
        outcome["stage"] = 3
        inputs = []
        for input_name in compiled.InputNames:
            layout = analysis.output_layouts[input_name][0]
            shape = layout.torch_shape(batch=2, time=5)
            inputs.append(torch.zeros(tuple(int(s) if s is not None else 4 for s in shape)))
        with torch.no_grad():
            out = compiled.eval()(*inputs)
        outcome["stage"] = 4
        outs = out if isinstance(out, tuple) else (out,)
        ok = all(o.shape[0] == 2 for o in outs)
        if has_output and ok:
            final = [layer for layer in graph.layer_list() if layer.IS_OUTPUT][0]
            source_layer = graph.source_of(final.Name, final.input_names()[0])[0]
            expected = analysis.output_layouts[source_layer][0]
            ok = outs[0].shape[-1 if not expected.spatial else 1] == expected.channels
            fcs = [layer for layer in graph.layer_list() if type(layer).__name__ == "FullyConnectedLayer"]
            if ok and getattr(final, "TASK", "") == "classification" and fcs:
                ok = expected.channels == fcs[-1].OutputSize
        if ok:
            outcome["stage"] = 5
        else:
            outcome["cause"] = "output size differs from the analysis"
    except BaseException as exc:  # noqa: BLE001  (a benchmark records every failure)
        outcome["cause"] = _message(exc)
    queue.put(outcome)


def score(folder: Path, manifest: dict, timeout: float) -> list:
    ctx = mp.get_context("spawn")
    rows = []
    for entry in manifest["files"]:
        repo_folder = folder / entry["repository"].replace("/", "+")
        path = repo_folder / entry["path"]
        row = {**entry, "stage": 0, "cause": None}
        if not path.exists():
            row["cause"] = "file missing from the local folder"
            rows.append(row)
            continue
        search = sorted({str(p.parent) for p in repo_folder.rglob("*.m")})
        queue = ctx.Queue()
        proc = ctx.Process(target=_score_one, args=(str(path), search, queue))
        proc.start()
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join()
            row["cause"] = f"timeout after {timeout:.0f} s"
        elif not queue.empty():
            row.update(queue.get())
        else:
            row["cause"] = f"process died (exit code {proc.exitcode})"
        rows.append(row)
        print(f"{row['stage']}/5  {entry['repository']}/{entry['path']}" + (f"  -- {row['cause']}" if row["cause"] else ""),
              flush=True)
    return rows


def summary(rows: list) -> str:
    n = len(rows)
    lines = [f"{n} files"]
    for i, stage in enumerate(STAGES, 1):
        k = sum(r["stage"] >= i for r in rows)
        lines.append(f"  {i}. {stage:15s} {k:3d} / {n}  ({100 * k / max(n, 1):.0f} %)")
    causes = collections.Counter(r["cause"] for r in rows if r["cause"])
    lines.append("Top causes (first failing stage):")
    lines += [f"  {count:3d}  {cause}" for cause, count in causes.most_common(12)]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--manifest", type=Path, default=HERE / "corpus_manifest.json")
    parser.add_argument("--materialize-from", type=Path, metavar="MIRRORS")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="write per-file results here")
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text())
    if args.materialize_from:
        materialize(manifest, args.materialize_from, args.folder)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = score(args.folder, manifest, args.timeout)
    print(summary(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
