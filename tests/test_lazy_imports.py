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
