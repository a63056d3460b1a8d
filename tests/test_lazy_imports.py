"""The registries are complete wherever they are read, however little of the package was imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _registering_modules() -> set[str]:
    found = set()
    for path in (ROOT / "layergraph").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "@matlab_function" in text or "\n@register" in text:
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_a_functions_consumer_sees_every_registered_function():
    code = ("import sys, json\n"
            "from layergraph.functions import FUNCTIONS\n"
            "names = sorted(FUNCTIONS)\n"
            "import layergraph\n"
            "layergraph.load_all()\n"
            "print(json.dumps([names, sorted(FUNCTIONS), sorted(m for m in sys.modules if m.startswith('layergraph'))]))")
    first, after, modules = json.loads(_run(code))
    assert first == after and len(first) > 100           # complete on the first read, nothing added later
    missing = _registering_modules() - set(modules)
    assert not missing, missing                           # load_all imported every registering module
    for name in ("layerGraph", "trainNetwork", "dlfeval", "plot", "confusionchart", "categorical", "resnet18"):
        assert name in first, name


def test_the_command_line_starts_without_torch(tmp_path):
    code = ("import sys, io, contextlib\n"
            "import layergraph.cli as cli\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf):\n"
            "    code = cli.main(['--help'])\n"
            "print(code, 'torch' in sys.modules, 'validate' in buf.getvalue() and 'port' in buf.getvalue())")
    assert _run(code).split() == ["0", "False", "True"]


def test_schema_is_cached_per_source_version_and_then_needs_no_torch(tmp_path):
    setup = f"import os, sys, json; os.environ['LAYERGRAPH_CACHE'] = {str(tmp_path)!r}\nimport layergraph.cli as cli\n"
    report = "print(json.dumps([cli.schema_text_cached(), 'torch' in sys.modules]))"
    generated, torch_first = json.loads(_run(setup + report))
    assert torch_first                                          # the first call builds it from the registry
    assert len(list((tmp_path / "layergraph").glob("schema-*.json"))) == 1
    cached, torch_second = json.loads(_run(setup + report))
    assert cached == generated and not torch_second             # read back without importing torch
    fresh = json.loads(_run("import json\nfrom layergraph.spec.schema import schema_text\n"
                            "print(json.dumps(schema_text()))"))
    assert generated == fresh                                   # the same text the registry generates


def test_star_import_exports_all_and_every_layer_constructor():
    code = ("import json\n"
            "ns = {}\n"
            "exec('from layergraph import *', ns)\n"
            "import layergraph\n"
            "from layergraph.layers.base import REGISTRY\n"
            "names = sorted(k for k in ns if k != '__builtins__')\n"
            "print(json.dumps([names, sorted(layergraph.__all__), sorted(REGISTRY),\n"
            "                  all(ns[k] is getattr(layergraph, k) for k in layergraph.__all__)]))")
    names, exported, registry, same = json.loads(_run(code))
    assert names == exported and same
    assert set(registry) <= set(names)                     # every registered layer has its constructor
    for name in ("trainNetwork", "layerGraph", "dlarray", "plot", "categorical", "resnet18", "summary"):
        assert name in names
    for shadowing in ("sum", "max", "min", "abs", "round", "any", "all", "mean", "size"):
        assert shadowing not in names                      # MATLAB base names never shadow Python's
