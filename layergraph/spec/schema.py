"""The published JSON Schema: its text, where it is committed, and how to regenerate it.

    python -m layergraph.spec.schema            # rewrite schemas/layergraph-network.schema.json
    python -m layergraph.spec.schema --check    # exit 1 when the committed file is out of date

``tests/test_spec_schema.py`` fails when the committed file differs from what the layer registry
generates (after adding or changing a layer, regenerate it and commit the result).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .models import builtin_registry, spec_schema

SCHEMA_FILE = "layergraph-network.schema.json"


def schema_text(registry=None) -> str:
    """The schema as the committed file holds it: 2-space indented JSON, UTF-8, final newline."""
    return json.dumps(spec_schema(registry), indent=2, ensure_ascii=False) + "\n"


def committed_schema_path() -> Path:
    """``schemas/layergraph-network.schema.json`` at the root of the source tree."""
    return Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_FILE


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = committed_schema_path()
    text = schema_text(builtin_registry())
    if "--check" in argv:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date; run: python -m layergraph.spec.schema", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
