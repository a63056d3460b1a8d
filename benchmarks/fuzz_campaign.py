"""Hostile-input campaign over layergraph's whole audit surface; reports inputs and non-clean outcomes.

    PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/fuzz_campaign.py            # the full campaign
    PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/fuzz_campaign.py --scale 0.05  # a quick look

Surfaces (each input is one call, run in this process):

* ``spec``     mutated JSON specs (values, keys, structure, text bytes) through load_spec, analysis and,
               for valid small networks, compilation and a forward pass;
* ``weights``  mutated safetensors files (header bytes, header fields, tensor values, dtypes, keys) beside
               valid specs, through load_spec / analysis / compilation;
* ``porter``   mutated MATLAB scripts (the examples and the test scripts: lines deleted, duplicated or
               swapped, numbers and strings replaced, hostile statements inserted) through
               layergraph.matlab.port (max_steps 100,000) and analysis of what it found;
* ``api``      layer constructors with random option values (from the harness's valid cases, one
               argument or option replaced), then infer/learnables/display/JSON of what was built;
* ``edits``    random sequences of graph edits (add/remove/connect/disconnect/replace with real and
               hostile names and ports), then analysis and display;
* ``training`` small trainNetwork runs with hostile options and data, and resumes from damaged
               checkpoints.

Outcome of an input: *clean* when it returns or raises a LayerGraphError (the project's errors);
*raw traceback* when any other exception escapes; *hang* when it runs past ``--timeout`` seconds;
*audit event* when, while it runs, Python's audit hook sees os.system / subprocess / exec of a process,
``exec``/``eval`` of code other than torch.fx's generated code (``<eval_with_key>``), or a file opened
for writing outside the temporary folder. The report lists counts per surface, how many inputs reached
each stage, and the first examples of every non-clean outcome (``--report`` writes them as JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

import layergraph  # noqa: E402
from layergraph.errors import LayerGraphError  # noqa: E402

TMP = Path(tempfile.mkdtemp(prefix="layergraph-fuzz-"))
os.environ["LAYERGRAPH_PLOT_DIR"] = str(TMP)


# --------------------------------------------------------------------------------------------------
# Outcome bookkeeping, timeouts and the audit hook


class Hang(BaseException):
    """Raised by the alarm when one input runs past the timeout."""


class Audit:
    active = False
    events: list = []


_TEMP_ROOTS = tuple({os.path.realpath(tempfile.gettempdir()), str(TMP)})
_PROCESS_EVENTS = {"os.system", "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.fork",
                   "os.forkpty", "pty.spawn", "os.startfile", "ctypes.dlopen"}


def _writes(mode, flags) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC):
        return True
    return False


def _audit_hook(event, args):
    if not Audit.active:
        return
    if event in _PROCESS_EVENTS:
        Audit.events.append((event, repr(args)[:200]))
    elif event == "exec":
        code = args[0] if args else None
        name = str(getattr(code, "co_filename", ""))
        # allowed: torch.fx's generated forward code, and networkx's argmap wrappers (networkx compiles its
        # own decorators' signatures on first use; no data reaches them). Everything else counts, including a
        # module imported for the first time after the warm-up.
        if not (name.startswith("<eval_with_key>") or name.startswith("<class 'networkx.utils.decorators.argmap'>")):
            Audit.events.append((event, f"code from {name!r}"))
    elif event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        if isinstance(path, int) or path is None or not _writes(mode, flags):
            return
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            real = repr(path)
        if not real.startswith(_TEMP_ROOTS) and real != os.devnull:
            Audit.events.append((event, f"write {real!r}"))


sys.addaudithook(_audit_hook)


def _alarm(signum, frame):
    raise Hang()


signal.signal(signal.SIGALRM, _alarm)


class Surface:
    def __init__(self, name):
        self.name = name
        self.inputs = 0
        self.clean_errors = 0
        self.raw = 0
        self.hangs = 0
        self.audits = 0
        self.stages = Counter()
        self.examples = defaultdict(list)
        self.kinds = Counter()
        self.seconds = 0.0


SURFACES: dict[str, Surface] = {}


def run_input(surface: str, label: str, fn, timeout: float) -> None:
    s = SURFACES.setdefault(surface, Surface(surface))
    s.inputs += 1
    stage = ["start"]
    Audit.events = []
    start = time.perf_counter()
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            signal.setitimer(signal.ITIMER_REAL, timeout)
            Audit.active = True
            try:
                fn(stage)
            finally:
                Audit.active = False
                signal.setitimer(signal.ITIMER_REAL, 0)
    except LayerGraphError:
        s.clean_errors += 1
    except Hang:
        s.hangs += 1
        _example(s, "hang", label, f"stage {stage[0]}: over {timeout} s")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - every other exception is what we count
        s.raw += 1
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                      if "layergraph" in f.filename), frames[-1].filename if frames else "?")
        kind = f"{type(exc).__name__} at {where}"
        s.kinds[kind] += 1
        _example(s, "raw", label, f"stage {stage[0]}: {kind}: {str(exc)[:300]}")
    finally:
        Audit.active = False
    s.stages[stage[0]] += 1
    s.seconds += time.perf_counter() - start
    if Audit.events:
        s.audits += 1
        _example(s, "audit", label, "; ".join(f"{e}: {d}" for e, d in Audit.events[:3]))


def _example(s: Surface, kind: str, label: str, text: str) -> None:
    if len(s.examples[kind]) < 25:
        s.examples[kind].append({"input": label[:2000], "outcome": text})


# --------------------------------------------------------------------------------------------------
# Hostile values


def hostile_values(rng: random.Random) -> list:
    return [
        None, True, False, 0, -1, 1, 2, 3, 7, -7, 10**7, 10**12, 2**63, -(2**63), 10**400, 0.5, -0.5, 1e-300,
        1e300, float("nan"), float("inf"), -float("inf"), "", "same", "none", "auto", "x" * 5000, "\x1b[31mred",
        "a\nb", "\x00", "..", "/etc/passwd", "$x^2$", "'; drop", "ü∑", "NaN", "Inf", "-Inf", "@sin", "@(x) x",
        [], [1], [1, 2], [0, 0], [-1, -1], [1, 2, 3], [1, 2, 3, 4], [1.5, 2], [[1, 2], [3, 4]], [[[]]], [None],
        ["a", "b"], [float("nan"), 1], {}, {"a": 1}, (1, 2), complex(1, 2), np.float16(1.5), np.int64(3),
        np.zeros((2, 2)), np.zeros(0), np.array(["a"]), torch.zeros(3), torch.ones(2, 2, dtype=torch.complex64),
        torch.tensor(float("nan")), rng.randint(-5, 300), rng.random() * 10, lambda x: x, object(), b"bytes",
    ]


def _random_json_value(rng: random.Random, depth=0):
    choice = rng.randrange(14)
    if choice == 0:
        return rng.randint(-10, 10**rng.randint(1, 12))
    if choice == 1:
        return rng.choice([0, -1, 1, 2, 3, 10**9, 10**15, -(10**12), 2**31, 2**53 + 1])
    if choice == 2:
        return rng.choice([0.5, -0.0, 1e-320, 1e308, 3.25, -2.5])
    if choice == 3:
        return rng.choice(["NaN", "Inf", "-Inf", "same", "none", "auto", "", "@f", "x" * 3000, "\u202e\x1b[2J",
                           "../../etc/passwd", "/dev/zero", "a/b", "in1", "out", "conv_1", "\x00"])
    if choice == 4:
        return rng.choice([True, False, None])
    if choice == 5 and depth < 4:
        return [_random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if choice == 6 and depth < 4:
        return {rng.choice(["type", "Name", "NumInputs", "x", "Network", "values", "file"]):
                _random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if choice == 7:
        return [rng.randint(0, 50) for _ in range(rng.randint(1, 5))]
    if choice == 8:
        return [[1, 2], [3, 4]]
    if choice == 9:
        return rng.randint(1, 64)
    return rng.choice([1, 2, 3, [3, 3], [1, 1], "relu", "zscore", "glorot", 0.1])


# --------------------------------------------------------------------------------------------------
# Seeds: valid networks and layer cases


def layer_cases():
    from layer_cases import all_cases

    return all_cases()


def _input_for(layout):
    from layergraph import featureInputLayer, image3dInputLayer, imageInputLayer, sequenceInputLayer

    if layout.has_time:
        if layout.spatial:
            return sequenceInputLayer(list(layout.spatial) + [layout.channels], Name="in")
        return sequenceInputLayer(layout.channels, Name="in")
    if len(layout.spatial) == 2:
        return imageInputLayer(list(layout.spatial) + [layout.channels], Name="in")
    if len(layout.spatial) == 3:
        return image3dInputLayer(list(layout.spatial) + [layout.channels], Name="in")
    if not layout.spatial:
        return featureInputLayer(layout.channels, Name="in")
    return None


def seed_graphs(cases) -> list:
    """Small valid graphs: each single-input layer case behind a matching input layer, plus examples."""
    from layergraph import layerGraph

    graphs = []
    for case in cases:
        try:
            layer = getattr(layergraph, case.constructor)(*case.args, **case.kwargs)
            if layer.IS_INPUT:
                graphs.append(layerGraph([layer]))
                continue
            if len(case.inputs) != 1:
                continue
            first = _input_for(case.inputs[0])
            if first is None:
                continue
            graphs.append(layerGraph([first, layer]))
        except LayerGraphError:
            continue
    for script in sorted((ROOT / "layergraph" / "examples").glob("*.m")):
        try:
            result = layergraph.matlab.port(str(script))
            graphs.extend(result.graphs().values())
        except Exception:  # noqa: BLE001 - a seed that does not port is simply not used
            continue
    return graphs


def seed_specs(graphs) -> list[str]:
    from layergraph.spec import spec_text

    out = []
    for graph in graphs:
        try:
            text, _ = spec_text(graph)
            out.append(text)
        except LayerGraphError:
            continue
    return out


def seed_scripts() -> list[tuple[str, str]]:
    files = sorted((ROOT / "layergraph" / "examples").glob("*.m")) + sorted((ROOT / "tests" / "matlab_cases").rglob("*.m"))
    out = []
    for f in files:
        try:
            out.append((f.name, f.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return out


# --------------------------------------------------------------------------------------------------
# Surfaces


def _analyse_and_maybe_build(graph, rng, stage, forward: bool):
    from layergraph.analysis import analyze

    stage[0] = "analysed"
    has_output = any(l.IS_OUTPUT for l in graph.layer_list())
    result = analyze(graph, "trainNetwork" if has_output else "dlnetwork")
    str(result.report())
    if result.has_errors or not forward:
        return
    total = result.TotalLearnables
    if not (isinstance(total, (int, float)) and total < 2_000_000):
        return
    stage[0] = "compiled"
    net = layergraph.assembleNetwork(graph) if has_output else layergraph.dlnetwork(graph)
    inputs = []
    for name in net._lg.graph.InputNames if hasattr(net._lg.graph, "InputNames") else []:
        lay = result.output_layouts.get(name, [None])[0]
        if lay is None or lay.num_elements * 6 > 10**7:   # the campaign's own input tensor stays small
            return
        inputs.append(torch.randn(*lay.torch_shape(batch=2, time=3)))
    if inputs:
        stage[0] = "forward"
        with torch.no_grad():
            net(*inputs)


def _mutate_tree(data, rng: random.Random):
    """A random structural mutation somewhere in parsed JSON data (in place)."""
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [i])

    walk(data, [])
    path = rng.choice(paths[1:] or paths)
    if not path:
        return data
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    op = rng.randrange(8)
    if op == 0:
        del parent[key]
    elif op == 1:
        parent[key] = _random_json_value(rng)
    elif op == 2 and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    elif op == 3:
        parent[key] = [parent[key]]
    elif op == 4 and isinstance(parent, dict):
        parent[rng.choice(["Name", "NumInputs", "Padding", "Stride", "bogus", "type", "InputSize", "Weights",
                           "Network", "OutputSize", "FilterSize"])] = _random_json_value(rng)
    elif op == 5 and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
        parent[key] = rng.choice([0, -1, parent[key] * 10**rng.randint(1, 9), 10**rng.randint(5, 400)])
    elif op == 6 and isinstance(parent[key], str):
        parent[key] = rng.choice([parent[key] + "\x1b[0m", parent[key] * 50, "", parent[key].upper(), "../x",
                                  parent[key] + "/in9"])
    else:
        parent[key] = _random_json_value(rng)
    return data


def _mutate_text(text: str, rng: random.Random) -> str:
    op = rng.randrange(6)
    pos = rng.randrange(max(1, len(text)))
    if op == 0:
        return text[:pos]
    if op == 1:
        return text[:pos] + rng.choice(['"', "{", "}", "[", "]", ",", ":", "\\", "\x00", "9" * 5000, "NaN",
                                        "1e999", "-", "\ud800"]) + text[pos:]
    if op == 2:
        return text[:pos] + text[pos + rng.randint(1, 20):]
    if op == 3:
        return text.replace('"', "'", 1)
    if op == 4:
        return "[" * 5000 + "]" * 5000
    return text[:pos] + text[pos:pos + 200] + text[pos:]


def fuzz_spec(rng, specs, n, timeout):
    from layergraph.spec import load_spec

    for i in range(n):
        seed = rng.choice(specs)
        forward = rng.random() < 0.25
        if rng.random() < 0.4:     # gentle: one option of one layer set to a plausible value
            data = json.loads(seed)
            layers = data.get("layers") or [layer for chain in data.get("chains", []) for layer in chain]
            layer = rng.choice(layers)
            keys = [k for k in layer if k not in ("type", "Name")] or ["Name"]
            layer[rng.choice(keys)] = rng.choice([0, 1, 2, 3, 4, 16, 1000, 10**6, 10**9, -1, 0.5, [2, 2], [1, 1],
                                                  [3, 3, 3], "same", "none", "auto", "zeros", True, "NaN", [],
                                                  [[1, 1], [0, 0]], "last", "sequence", "x/y"])
            text = json.dumps(data)
        elif rng.random() < 0.75:
            data = json.loads(seed)
            for _ in range(rng.randint(1, 3)):
                data = _mutate_tree(data, rng)
            try:
                text = json.dumps(data, allow_nan=False)
            except (ValueError, TypeError):
                text = json.dumps(data)
        else:
            text = _mutate_text(seed, rng)

        def case(stage, text=text, forward=forward):
            stage[0] = "parsed"
            graph = load_spec(text, base_dir=TMP)
            stage[0] = "loaded"
            _analyse_and_maybe_build(graph, rng, stage, forward)

        run_input("spec", text[:1500], case, timeout)


def _weight_seeds(graphs, rng):
    """(spec path, weights path) pairs of networks with learned values, written under TMP."""
    from layergraph.spec import save_spec

    out = []
    folder = TMP / "weights"
    folder.mkdir(exist_ok=True)
    for i, graph in enumerate(graphs):
        try:
            has_output = any(l.IS_OUTPUT for l in graph.layer_list())
            result = layergraph.analysis.analyze(graph, "trainNetwork" if has_output else "dlnetwork")
            if result.has_errors or not (0 < result.TotalLearnables < 200_000):
                continue
            net = layergraph.assembleNetwork(graph) if has_output else layergraph.dlnetwork(graph)
            path = folder / f"seed{i}.json"
            save_spec(net, path)
            if path.with_suffix(".safetensors").exists():
                out.append((path.read_text(), path.with_suffix(".safetensors").read_bytes()))
        except LayerGraphError:
            continue
    return out


def _mutate_weights(blob: bytes, rng: random.Random) -> bytes:
    import struct

    from safetensors.torch import load, save

    op = rng.randrange(9)
    n = struct.unpack("<Q", blob[:8])[0]
    if op == 0:   # flip bytes in the header
        b = bytearray(blob)
        for _ in range(rng.randint(1, 5)):
            b[rng.randrange(8, 8 + n)] = rng.randrange(256)
        return bytes(b)
    if op == 1:   # header length lies
        return struct.pack("<Q", rng.choice([0, 1, n + 1, n - 1, 2**63, 10**12])) + blob[8:]
    if op == 2:   # truncate
        return blob[: rng.randrange(len(blob))]
    if op == 3:   # header fields
        header = json.loads(blob[8:8 + n])
        key = rng.choice([k for k in header if k != "__metadata__"] or list(header))
        entry = header[key]
        if isinstance(entry, dict):
            field = rng.choice(["dtype", "shape", "data_offsets"])
            entry[field] = rng.choice([[0, 10**15], [5, 1], "F99", "C64", "I8", [10**12, 10**12], [-1, 2], [], None,
                                       [0], [2**40, 2**40]])
        raw = json.dumps(header).encode()
        return struct.pack("<Q", len(raw)) + raw + blob[8 + n:]
    tensors = load(blob)
    key = rng.choice(list(tensors))
    if op == 4:
        tensors.pop(key)
    elif op == 5:
        tensors[key] = tensors[key].clone().fill_(rng.choice([float("nan"), float("inf"), 0.0, -1.0, 1e38]))
    elif op == 6:
        tensors[key] = rng.choice([torch.zeros(0), torch.zeros(1, 0, 3), torch.ones(3, dtype=torch.complex64),
                                   torch.ones(2, 2, dtype=torch.int64), torch.ones(7, 5), torch.tensor(1.0),
                                   torch.ones(2, dtype=torch.bool), torch.ones(2, 2, dtype=torch.float16)])
    elif op == 7:
        tensors["nolayer/Weights"] = torch.ones(2)
        tensors[key + "x"] = torch.ones(2)
    else:
        tensors = {}
    return save(tensors)


def fuzz_weights(rng, pairs, n, timeout):
    from layergraph.spec import load_spec

    folder = TMP / "weights-cases"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        text, blob = rng.choice(pairs)
        data = json.loads(text)
        try:
            mutated = _mutate_weights(blob, rng)
        except Exception:  # noqa: BLE001 - a mutation that safetensors cannot write: use a raw flip
            mutated = blob[: len(blob) // 2]
        name = f"case{i}.safetensors"
        (folder / name).write_bytes(mutated)
        if rng.random() < 0.1:
            data["weights"]["file"] = rng.choice(["/dev/zero", "../weights/seed0.safetensors", "/etc/hostname",
                                                  "nofile.safetensors", ".", "a\x00b"])
        else:
            data["weights"]["file"] = name
        if rng.random() < 0.7:
            data["weights"].pop("sha256", None)
        spec = json.dumps(data)
        partial = rng.random() < 0.2

        def case(stage, spec=spec, partial=partial):
            stage[0] = "parsed"
            graph = load_spec(spec, base_dir=folder, partial_weights=partial)
            stage[0] = "loaded"
            _analyse_and_maybe_build(graph, rng, stage, True)

        run_input("weights", f"{data['weights']} partial={partial}", case, timeout)


PORTER_STATEMENTS = [
    "x = zeros(1e5);", "x = ones(1e9, 1e9);", "x = rand(100000, 100000);", "while true, end",
    "for i = 1:1e12, end", "h = @sin; g = h.interp;", "s.('__class__') = 1;", "system('touch CANARY');",
    "eval('x = 1');", "f = str2func('system');", "x = py.os.getcwd();", "l = fullyConnectedLayer(1e12);",
    "l = additionLayer(1e7);", "l = resize3dLayer('Scale', 1e9);", "return", "break", "x = -true;",
    "layers = [layers; reluLayer];", "lgraph = replaceLayer(lgraph, ['relu'], reluLayer);",
    "save('/tmp/../etc/x.mat');", "load('/etc/passwd');", "a = 'x\n'; b = [a a];", "x = 1:1e9;",
    "x = repmat([1 2], 1e6, 1e6);", "c = cell(1e6, 1e6);", "s = struct('a', {});", "x = inf(1, 3);",
    "x(1e10) = 1;", "n = str2double('1e400');", "y = x{1};", "error('boom');", "assert(false);",
    "clear all", "function y = f(x), y = f(x); end", "x = 1 +", "layers(1e9) = [];", "x = [1 2; 3];",
    "name = sprintf('%c', 27); l = reluLayer('Name', name);", "x = uint8(300) + int8(-200);",
]


def _mutate_script(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        i = rng.randrange(max(1, len(lines)))
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(i, lines[i])
        elif op == 2 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3 and lines:
            import re

            lines[i] = re.sub(r"\b\d+(\.\d+)?\b", lambda m: str(rng.choice([0, -1, 1e9, 1e300, "NaN", "Inf", 0.5,
                                                                          2**53, 65537, 3])), lines[i], count=1)
        elif op == 4 and lines:
            import re

            lines[i] = re.sub(r"'[^']*'", lambda m: rng.choice(["''", "'../x'", "'$a$'", "'a''b'", "'\x1b[2J'",
                                                                 "'__class__'", "'in9'", "'/etc/passwd'"]),
                              lines[i], count=1)
        elif op == 5:
            lines.insert(i, rng.choice(PORTER_STATEMENTS))
        elif lines:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(["(", ")", "[", "]", "{", "'", "...", ";", ",", "=", "@", "."])
    return "\n".join(lines)


def fuzz_porter(rng, scripts, n, timeout):
    from layergraph.analysis import analyze
    from layergraph.matlab import port

    for i in range(n):
        name, text = rng.choice(scripts)
        if rng.random() < 0.15:
            text = "\n".join(rng.choice(PORTER_STATEMENTS) for _ in range(rng.randint(1, 4)))
        else:
            text = _mutate_script(text, rng)

        def case(stage, text=text):
            stage[0] = "parsed"
            result = port(text, max_steps=100_000)
            stage[0] = "ported"
            for graph in list(result.graphs().values())[:2]:
                stage[0] = "analysed"
                str(analyze(graph).report())

        run_input("porter", f"{name}:\n{text}", case, timeout)


def fuzz_api(rng, cases, n, timeout):
    from layergraph.spec import layer_to_json

    values = hostile_values(rng)
    for i in range(n):
        case = rng.choice(cases)
        args = list(case.args)
        kwargs = dict(case.kwargs)
        ctor = getattr(layergraph, case.constructor)
        op = rng.randrange(4)
        if op == 0 and args:
            args[rng.randrange(len(args))] = rng.choice(values)
        elif op == 1:
            try:
                names = list(type(ctor()).options()) if not args else []
            except Exception:  # noqa: BLE001
                names = []
            if not names:
                from layergraph.layers import REGISTRY

                names = list(REGISTRY[case.constructor].options())
            kwargs[rng.choice(names + ["Bogus", "name", "NAME"])] = rng.choice(values)
        elif op == 2:
            args.append(rng.choice(values))
        else:
            args = args + [rng.choice(["Name", "Padding", "Stride", 3, None]), rng.choice(values)]

        def call(stage, ctor=ctor, args=args, kwargs=kwargs, case=case):
            stage[0] = "called"
            layer = ctor(*args, **kwargs)
            stage[0] = "constructed"
            str(layer), repr(layer), layer.description()
            if case.inputs:
                stage[0] = "inferred"
                outs = layer.infer(list(case.inputs))
                layer.learnable_sizes(list(case.inputs))
                layer.state_sizes(list(case.inputs))
            stage[0] = "serialised"
            layer_to_json(layer)

        run_input("api", f"{case.constructor}(*{args!r:.300}, **{kwargs!r:.300})", call, timeout)


def fuzz_edits(rng, n, timeout):
    from layergraph import (additionLayer, connectLayers, disconnectLayers, featureInputLayer, fullyConnectedLayer,
                            layerGraph, regressionLayer, reluLayer, removeLayers, replaceLayer, addLayers)
    from layergraph.analysis import analyze

    names = ["in", "fc", "relu", "add", "out", "x", "add/in1", "add/in2", "add/in3", "relu/out", "fc/in", "",
             "\x1b[2J", "in/out", "add/", "/in", 3, None, ["relu"], ["relu", "fc"]]
    for i in range(n):
        ops = []
        for _ in range(rng.randint(1, 6)):
            ops.append((rng.randrange(6), rng.choice(names), rng.choice(names)))

        def edits(stage, ops=ops):
            g = layerGraph([featureInputLayer(4, Name="in"), fullyConnectedLayer(4, Name="fc"), reluLayer(Name="relu"),
                            additionLayer(2, Name="add"), regressionLayer(Name="out")])
            g = connectLayers(g, "fc", "add/in2")
            for op, a, b in ops:
                stage[0] = "edited"
                if op == 0:
                    g = connectLayers(g, a, b)
                elif op == 1:
                    g = disconnectLayers(g, a, b)
                elif op == 2:
                    g = removeLayers(g, a)
                elif op == 3:
                    g = replaceLayer(g, a, rng.choice([reluLayer(Name="r2"), additionLayer(3, Name="a3"),
                                                       [reluLayer(Name="p"), reluLayer(Name="q")]]),
                                     "ReconnectBy", rng.choice(["name", "order", "bogus"]))
                elif op == 4:
                    g = addLayers(g, rng.choice([reluLayer(Name=str(a)), [reluLayer, reluLayer], "relu"]))
                else:
                    g = connectLayers(g, b, a)
            stage[0] = "analysed"
            str(analyze(g).report()), str(g.Connections), str(g.Layers)

        run_input("edits", repr(ops), edits, timeout)


def fuzz_training(rng, n, timeout):
    from layergraph import (featureInputLayer, fullyConnectedLayer, regressionLayer, softmaxLayer,
                            classificationLayer, trainNetwork, trainingOptions)

    values = hostile_values(rng)
    option_names = ["MaxEpochs", "MiniBatchSize", "InitialLearnRate", "Shuffle", "ValidationData",
                    "ValidationFrequency", "L2Regularization", "GradientThreshold", "GradientThresholdMethod",
                    "LearnRateSchedule", "LearnRateDropFactor", "CheckpointPath", "CheckpointFrequency",
                    "OutputNetwork", "Verbose", "Plots", "SequenceLength", "ExecutionEnvironment", "Momentum",
                    "ResetInputNormalization", "BatchNormalizationStatistics", "OutputFcn", "ValidationPatience"]
    ck_folder = TMP / "training-ck"
    base_X = np.random.default_rng(0).standard_normal((12, 3)).astype(np.float32)
    base_Y = base_X.sum(1, keepdims=True)
    ckpts = []
    with contextlib.redirect_stdout(io.StringIO()):
        trainNetwork(base_X, base_Y, [featureInputLayer(3), fullyConnectedLayer(1), regressionLayer],
                     trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=4, Verbose=False, CheckpointPath=str(ck_folder)))
    ckpts = sorted(ck_folder.glob("net_checkpoint__*"))
    for i in range(n):
        kind = rng.randrange(3)
        opts = {"MaxEpochs": 1, "MiniBatchSize": 4, "Verbose": False}
        X, Y = base_X, base_Y
        layers = [featureInputLayer(3), fullyConnectedLayer(1), regressionLayer]
        damaged = None
        if kind == 0:
            key = rng.choice(option_names)
            value = rng.choice(values)
            if key == "MaxEpochs" and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 50:
                value = 50   # a run asked to train for 1e300 epochs runs until stopped, as in MATLAB
            if key == "CheckpointPath" and isinstance(value, str):
                value = str(TMP / "ck-case") if rng.random() < 0.5 else value
            opts[key] = value
        elif kind == 1:
            op = rng.randrange(7)
            if op == 0:
                X = X.copy(); X[0, 0] = np.nan
            elif op == 1:
                X = X[:5]
            elif op == 2:
                X = X.astype(rng.choice([np.float16, np.int8, np.float64, np.complex64, object]))
            elif op == 3:
                Y = np.array(["a", "b", "c"] * 4)
            elif op == 4:
                layers = [featureInputLayer(3), fullyConnectedLayer(2), softmaxLayer, classificationLayer]
                Y = rng.choice([np.arange(12) % 2, np.array([None] * 12, dtype=object), np.ones(12) * np.nan])
            elif op == 5:
                X = np.zeros((0, 3), dtype=np.float32)
                Y = np.zeros((0, 1), dtype=np.float32)
            else:
                X = X.reshape(12, 3, 1)
        else:
            damaged = TMP / f"damaged{i}.safetensors"
            from safetensors import safe_open
            from safetensors.torch import save_file

            src = rng.choice(ckpts)
            with safe_open(str(src), framework="pt") as f:
                meta = dict(f.metadata())
                tensors = {k: f.get_tensor(k) for k in f.keys()}
            progress = json.loads(meta["progress"])
            key = rng.choice(list(progress) + ["spec", "tensor"])
            if key == "spec":
                meta["spec"] = rng.choice(["", "{", json.dumps({"format": "x"}), meta["spec"].replace("1", "-1", 1)])
            elif key == "tensor":
                tk = rng.choice(list(tensors))
                tensors[tk] = rng.choice([torch.zeros(0), torch.ones(9, 9), torch.ones(2, dtype=torch.int64)])
            else:
                progress[key] = _random_json_value(rng)
                meta["progress"] = json.dumps(progress)
            save_file(tensors, str(damaged), metadata=meta)

        def train(stage, X=X, Y=Y, layers=layers, opts=opts, damaged=damaged):
            stage[0] = "options"
            options = trainingOptions("sgdm", **opts)
            stage[0] = "training"
            trainNetwork(X, Y, str(damaged) if damaged is not None else layers, options)
            stage[0] = "trained"

        run_input("training", f"opts={opts!r:.300} X={getattr(X, 'dtype', None)}{getattr(X, 'shape', None)} "
                              f"damaged={damaged is not None}", train, timeout)


# --------------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every surface's input count")
    parser.add_argument("--spec", type=int, default=3000)
    parser.add_argument("--weights", type=int, default=1500)
    parser.add_argument("--porter", type=int, default=2500)
    parser.add_argument("--api", type=int, default=3500)
    parser.add_argument("--edits", type=int, default=1500)
    parser.add_argument("--training", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per input before it counts as a hang")
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit for the campaign")
    parser.add_argument("--report", default=None, help="write counts and examples as JSON to this file")
    args = parser.parse_args(argv)
    if args.memory_gb > 0:
        import resource

        limit = int(args.memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    counts = {k: max(1, int(getattr(args, k) * args.scale)) for k in ("spec", "weights", "porter", "api", "edits",
                                                                       "training")}
    started = time.perf_counter()
    cases = layer_cases()
    # warm-up (not counted, no audit): one small pass over every surface, so modules that load lazily
    # (matplotlib, safetensors, the porter's code generator, ...) are imported before the audit starts
    with contextlib.redirect_stdout(io.StringIO()):
        warm_graphs = seed_graphs(cases)
        warm = random.Random(args.seed + 1)
        fuzz_spec(warm, seed_specs(warm_graphs), 60, args.timeout)
        fuzz_weights(warm, _weight_seeds(warm_graphs[:40], warm), 30, args.timeout)
        fuzz_porter(warm, seed_scripts(), 40, args.timeout)
        fuzz_api(warm, cases, 60, args.timeout)
        fuzz_edits(warm, 20, args.timeout)
        fuzz_training(warm, 10, args.timeout)
    SURFACES.clear()
    graphs = warm_graphs
    specs = seed_specs(graphs)
    print(f"seeds: {len(cases)} layer cases, {len(graphs)} graphs, {len(specs)} specs", flush=True)
    fuzz_spec(rng, specs, counts["spec"], args.timeout)
    print("spec done", flush=True)
    with contextlib.redirect_stdout(io.StringIO()):
        pairs = _weight_seeds(graphs, rng)
    fuzz_weights(rng, pairs, counts["weights"], args.timeout)
    print("weights done", flush=True)
    fuzz_porter(rng, seed_scripts(), counts["porter"], args.timeout)
    print("porter done", flush=True)
    fuzz_api(rng, cases, counts["api"], args.timeout)
    fuzz_edits(rng, counts["edits"], args.timeout)
    print("api/edits done", flush=True)
    fuzz_training(rng, counts["training"], args.timeout)
    elapsed = time.perf_counter() - started

    header = f"{'surface':<10} {'inputs':>7} {'project errors':>15} {'raw tracebacks':>15} {'hangs':>6} {'audit events':>13} {'seconds':>8}"
    print()
    print(header)
    total = Surface("total")
    for s in SURFACES.values():
        print(f"{s.name:<10} {s.inputs:>7} {s.clean_errors:>15} {s.raw:>15} {s.hangs:>6} {s.audits:>13} {s.seconds:>8.0f}")
        for attr in ("inputs", "clean_errors", "raw", "hangs", "audits"):
            setattr(total, attr, getattr(total, attr) + getattr(s, attr))
    print(f"{'total':<10} {total.inputs:>7} {total.clean_errors:>15} {total.raw:>15} {total.hangs:>6} {total.audits:>13} "
          f"{elapsed:>8.0f}")
    print()
    for s in SURFACES.values():
        print(f"{s.name}: stages reached: " + ", ".join(f"{k} {v}" for k, v in s.stages.most_common()))
        for kind, count in s.kinds.most_common(15):
            print(f"    raw: {count} x {kind}")
        for kind in ("hang", "audit"):
            for ex in s.examples.get(kind, [])[:5]:
                print(f"    {kind}: {ex['outcome']} <- {ex['input'][:200]!r}")
    if args.report:
        Path(args.report).write_text(json.dumps({
            "seed": args.seed, "counts": counts, "seconds": elapsed,
            "surfaces": {s.name: {"inputs": s.inputs, "project_errors": s.clean_errors, "raw": s.raw, "hangs": s.hangs,
                                  "audit_events": s.audits, "stages": dict(s.stages), "raw_kinds": dict(s.kinds),
                                  "examples": s.examples} for s in SURFACES.values()},
        }, indent=1, default=str))
    return 0 if total.raw == 0 and total.hangs == 0 and total.audits == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
