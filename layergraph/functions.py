"""Registry of MATLAB-named functions that are not layer constructors (layerGraph, connectLayers,
analyzeNetwork, trainingOptions, trainNetwork, classify, ...).

The Python API, the MATLAB porter and the docs all read this one table, so a function is declared once.
``outputs`` lists MATLAB's output names in order; a function with several outputs returns a tuple in
that order, and the porter keeps as many as the script's left-hand side names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class MatlabFunction:
    name: str
    function: Callable
    outputs: tuple = ("out",)
    data_free: bool = True   # False: needs real data (trainNetwork...), the porter treats it as opaque

    @property
    def nargout(self) -> int:
        return len(self.outputs)


FUNCTIONS: dict[str, MatlabFunction] = {}


def matlab_function(name: str | None = None, *, outputs: tuple = ("out",), data_free: bool = True):
    """Decorator registering ``fn`` under its MATLAB name."""

    def wrap(fn):
        key = name or fn.__name__
        FUNCTIONS[key] = MatlabFunction(key, fn, tuple(outputs), data_free)
        return fn

    return wrap


__all__ = ["FUNCTIONS", "MatlabFunction", "matlab_function"]
