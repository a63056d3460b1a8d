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
    base: bool = False       # a MATLAB base function (sum, size, strsplit...): never exported from layergraph
    nargout_aware: bool = False   # behaviour depends on the caller's nargout: called as fn(*args, nargout=k)

    @property
    def nargout(self) -> int:
        return len(self.outputs)


# Every module that registers MATLAB functions or layers. The package root imports lazily (so
# ``layergraph --help`` never imports torch); :func:`load_all` imports these so that the registries are
# complete wherever they are enumerated (the porter, the docs, the schema, ``from layergraph import *``).
REGISTERING_MODULES = (
    "layergraph.values",
    "layergraph.layers",
    "layergraph.graph",
    "layergraph.analysis",
    "layergraph.network",
    "layergraph.checklayer",
    "layergraph.training",
    "layergraph.spec",
    "layergraph.dl",
    "layergraph.data",
    "layergraph.networks.pretrained",
    "layergraph.io.onnx",
    "layergraph.io.mat",
    "layergraph.evaluation",
    "layergraph.figures",
    "layergraph.matlab.textio",
)

_LOAD_STATE = {"started": False}


def load_all() -> None:
    """Import every registering module (idempotent): afterwards ``FUNCTIONS`` and the layer ``REGISTRY``
    hold everything layergraph offers, as if the whole package had been imported."""
    if _LOAD_STATE["started"]:
        return
    _LOAD_STATE["started"] = True
    import importlib

    for module in REGISTERING_MODULES:
        importlib.import_module(module)


class _FunctionRegistry(dict):
    """The one table of MATLAB functions. Registration writes to it as modules import; the first read
    completes it with :func:`load_all`, so a consumer never sees a partial registry."""

    def _complete(self):
        if not _LOAD_STATE["started"]:
            load_all()

    def __getitem__(self, key):
        self._complete()
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        self._complete()
        return dict.__contains__(self, key)

    def __iter__(self):
        self._complete()
        return dict.__iter__(self)

    def __len__(self):
        self._complete()
        return dict.__len__(self)

    def get(self, key, default=None):
        self._complete()
        return dict.get(self, key, default)

    def keys(self):
        self._complete()
        return dict.keys(self)

    def values(self):
        self._complete()
        return dict.values(self)

    def items(self):
        self._complete()
        return dict.items(self)

    def copy(self):
        self._complete()
        return dict(self.items())


FUNCTIONS: dict[str, MatlabFunction] = _FunctionRegistry()


def matlab_function(name: str | None = None, *, outputs: tuple = ("out",), data_free: bool = True,
                    base: bool = False, nargout_aware: bool = False):
    """Decorator registering ``fn`` under its MATLAB name.

    ``base=True`` marks a MATLAB base function (``sum``, ``size``, ``strsplit``, ``cellfun``...): it lives in
    the registry (the interpreter and translated programs call it) but is never exported from
    ``layergraph``. ``nargout_aware=True``: the function's behaviour depends on how many outputs the caller
    asked for; callers pass ``nargout=k`` as a keyword (it returns one value for k <= 1, a tuple of k
    values otherwise).
    """

    def wrap(fn):
        key = name or fn.__name__
        FUNCTIONS[key] = MatlabFunction(key, fn, tuple(outputs), data_free, base, nargout_aware)
        return fn

    return wrap


__all__ = ["FUNCTIONS", "MatlabFunction", "matlab_function", "load_all", "REGISTERING_MODULES"]
