"""Per-family example cases for the shared layer harness (tests/test_layer_harness.py).

Each module here defines ``CASES``: a list of :class:`LayerCase`. Every registered layer must appear in
at least one case; the harness fails otherwise.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LayerCase:
    constructor: str                 # MATLAB constructor name
    args: tuple = ()                 # positional arguments, as MATLAB takes them
    kwargs: dict = field(default_factory=dict)  # name-value options (MATLAB names)
    inputs: list = field(default_factory=list)  # input Layouts (one per input port)
    learnables: int | None = None    # expected number of learnable values, computed by hand
    gradcheck: bool = True           # run torch.autograd.gradcheck on the built module
    input_kind: str = "float"        # "float" or "index:<max>" for integer inputs (embeddings)
    id: str = ""

    def label(self) -> str:
        return self.id or f"{self.constructor}{self.args}{self.kwargs or ''}"


def all_cases() -> list[LayerCase]:
    cases: list[LayerCase] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases
