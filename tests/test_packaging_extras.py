"""pyproject extras match their names: each optional package is imported by the feature its extra names,
and [all] holds every extra a user may opt into."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
# distribution name -> import name, and the extras' features (where the package must be imported)
IMPORT_NAME = {"matplotlib": "matplotlib", "scikit-learn": "sklearn", "aeon": "aeon", "scipy": "scipy",
               "h5py": "h5py", "mat-io": "matio", "onnx": "onnx", "onnxruntime": "onnxruntime", "pillow": "PIL"}
USER_EXTRAS = ("plot", "data", "mat", "onnx")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def _source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "layergraph").rglob("*.py"))


def test_every_extra_package_is_used_by_the_package():
    source = _source()
    for extra in USER_EXTRAS:
        for requirement in EXTRAS[extra]:
            name = _name(requirement)
            if name in ("scipy", "onnxruntime"):   # mat-io's reader needs scipy; onnxruntime runs the
                continue                          # exported models in users' checks (docs/onnx.md)
            module = IMPORT_NAME[name]
            assert re.search(rf"(import|from) {module}\b|find_spec\(\"{module}\"\)", source), (extra, name)


def test_onnx_extra_has_only_onnx_packages():
    assert {_name(r) for r in EXTRAS["onnx"]} == {"onnx", "onnxruntime"}


def test_all_extra_holds_every_user_extra():
    everything = {_name(r) for r in EXTRAS["all"]}
    for extra in USER_EXTRAS:
        assert {_name(r) for r in EXTRAS[extra]} <= everything, extra
    assert "pytest" not in everything


def test_docs_extra_builds_the_site():
    assert {_name(r) for r in EXTRAS["docs"]} >= {"mkdocs", "mkdocs-material", "mkdocstrings"}
