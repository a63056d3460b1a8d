"""Registry of MATLAB-named functions that are not layer constructors (layerGraph, connectLayers,
analyzeNetwork, trainingOptions, trainNetwork, classify, ...).

The Python API, the MATLAB porter and the docs all read this one table, so a function is declared once.
``outputs`` lists MATLAB's output names in order; a function with several outputs returns a tuple in
that order, and the porter keeps as many as the script's left-hand side names.
"""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass, replace
from typing import Callable


@dataclass(frozen=True)
class MatlabFunction:
    name: str
    function: Callable
    outputs: tuple = ("out",)
    data_free: bool = True   # False: needs real data (trainNetwork...), the porter treats it as opaque
    base: bool = False       # a MATLAB base function (sum, size, strsplit...): never exported from layergraph
    nargout_aware: bool = False   # behaviour depends on the caller's nargout: called as fn(*args, nargout=k)
    evaluator: bool = False  # hands its other arguments to the function value given first, returns its outputs

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
    "layergraph.networks.builders",
    "layergraph.io.onnx",
    "layergraph.io.mat",
    "layergraph.evaluation",
    "layergraph.figures",
    "layergraph.matlab.textio",
    "layergraph.matlab.base",
    "layergraph.matlab.base.random",
    "layergraph.matlab.base.matfiles",
    "layergraph.matlab.base.containers",
    "layergraph.matlab.base.tables",
    "layergraph.matlab.base.clock",
    "layergraph.matlab.layouts",   # last: MATLAB-layout trainNetwork/predict/... take the MATLAB names
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
    completes it with :func:`load_all`, so a consumer never sees a partial registry. Every function stored
    dispatches on its arguments' classes first (:func:`matlab_overload`)."""

    def __setitem__(self, key, value):
        if isinstance(value, MatlabFunction) and key in OVERLOADS:
            value = _with_dispatch(value)
        dict.__setitem__(self, key, value)

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
                    base: bool = False, nargout_aware: bool = False, evaluator: bool = False):
    """Decorator registering ``fn`` under its MATLAB name.

    ``base=True`` marks a MATLAB base function (``sum``, ``size``, ``strsplit``, ``cellfun``...): it lives in
    the registry (the interpreter and translated programs call it) but is never exported from
    ``layergraph``. ``nargout_aware=True``: the function's behaviour depends on how many outputs the caller
    asked for; callers pass ``nargout=k`` as a keyword (it returns one value for k <= 1, a tuple of k
    values otherwise). ``evaluator=True`` (``dlfeval``): the function only hands its other arguments to the
    function value given first (dlarrays traced, nothing else changed) and returns that function's outputs;
    a translated program's own function then gets the program's values as they are.
    """

    def wrap(fn):
        key = name or fn.__name__
        FUNCTIONS[key] = MatlabFunction(key, fn, tuple(outputs), data_free, base, nargout_aware, evaluator)
        return fn

    return wrap


# ------------------------------------------------------------------------------------------------
# Dispatch on argument classes: MATLAB's one rule for overloaded functions and operators
#
# MATLAB calls a class's method when an argument of that class is among a function's arguments (the
# leftmost such argument decides): ``sum(X)``, ``exp(X)``, ``X .* Y``, ``X(i, j)`` with a dlarray ``X``
# run dlarray's methods and stay differentiable. Here a class overloads a MATLAB function by
# registering an implementation under the function's MATLAB name (operators under their function
# names: ``plus``, ``times``, ``mtimes``, ``subsref``, ...). Every function in ``FUNCTIONS`` consults the
# table before its own body, so the interpreter and translated programs (``ml.sum``) dispatch alike;
# the interpreter asks :func:`overload_for` for its operators and for names not in the registry.

OVERLOADS: dict[str, dict[type, Callable]] = {}
OVERLOAD_TYPES: set = set()      # every class with an overload (a quick test for the operators' fast paths)

# MATLAB operator -> the function that implements it (MATLAB's names)
OPERATOR_FUNCTIONS = {
    "+": "plus", "-": "minus", ".*": "times", "*": "mtimes", "./": "rdivide", "/": "mrdivide",
    ".\\": "ldivide", "\\": "mldivide", ".^": "power", "^": "mpower",
    "==": "eq", "~=": "ne", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
    "&": "and", "|": "or", "unary-": "uminus", "unary+": "uplus", "~": "not", "!": "not",
    "'": "ctranspose", ".'": "transpose",
}


def call_function(f: Callable, *args, nargout: int = 1):
    """Call a MATLAB function value from Python with MATLAB's output count (the shared calling convention).

    ``f`` is a function handle of a running script (the interpreter's), a translated function, or a plain
    Python callable. Those that take ``nargout`` get it when it is not 1 and return a tuple of that many
    values; a plain Python callable is called as it is (it returns a tuple for several outputs)."""
    if nargout is not None and nargout != 1 and _takes_nargout(f):
        return f(*args, nargout=nargout)
    return f(*args)


#: code objects of plain Python functions -> whether the function takes nargout (its parameter names are
#: its code's: read once per def or lambda, however many function objects share the code)
_TAKES_NARGOUT: dict = {}


def _takes_nargout(f) -> bool:
    plain = type(f) is types.FunctionType       # a def or lambda (a translated function)
    if plain:
        accepts = f.__dict__.get("__matlab_nargout__")
        if accepts is not None:
            return bool(accepts)
        if "__wrapped__" not in f.__dict__ and "__signature__" not in f.__dict__:
            known = _TAKES_NARGOUT.get(f.__code__)
            if known is not None:
                return known
        else:
            plain = False
    else:
        accepts = getattr(f, "__matlab_nargout__", None)
        if accepts is not None:
            return bool(accepts)
    import inspect

    try:
        params = inspect.signature(f).parameters
    except (TypeError, ValueError):
        return False
    takes = "nargout" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if plain:
        if len(_TAKES_NARGOUT) > 4096:
            _TAKES_NARGOUT.clear()
        _TAKES_NARGOUT[f.__code__] = takes
    return takes


def matlab_overload(name: str, cls: type, *, nargout_aware: bool = False):
    """Decorator: ``fn`` implements MATLAB function ``name`` (or operator function ``plus``, ``subsref``...)
    for arguments of class ``cls`` (MATLAB: a method of ``cls``). ``fn`` gets the call's arguments as
    given; ``nargout_aware=True`` lets it receive ``nargout=k`` too (otherwise the keyword is dropped)."""

    def wrap(fn):
        impl = fn
        if not nargout_aware:
            def impl(*args, nargout=None, _fn=fn, **kwargs):
                return _fn(*args, **kwargs)
            functools.update_wrapper(impl, fn)
        OVERLOADS.setdefault(name, {})[cls] = impl
        OVERLOAD_TYPES.add(cls)
        registered = dict.get(FUNCTIONS, name)
        if registered is not None:
            dict.__setitem__(FUNCTIONS, name, _with_dispatch(registered))
        return fn

    return wrap


def overload_for(name: str, args) -> Callable | None:
    """The implementation MATLAB would call for ``name(args...)`` because of an argument's class (the
    leftmost argument whose class overloads ``name``), else None."""
    table = OVERLOADS.get(name)
    if table:
        for a in args:
            impl = table.get(type(a))
            if impl is not None:
                return impl
    return None


def overloaded_function(name: str, args) -> MatlabFunction | None:
    """A registry entry for a function only a class defines (``exp`` of a dlarray when no base ``exp`` is
    registered): the overload :func:`overload_for` picks, called with ``nargout=k``; else None."""
    impl = overload_for(name, args)
    if impl is None:
        return None
    return MatlabFunction(name, impl, ("out", "varargout"), True, True, True)


def _with_dispatch(entry: MatlabFunction) -> MatlabFunction:
    """The registry entry whose function dispatches first (only names some class overloads are wrapped)."""
    if getattr(entry.function, "__matlab_overloadable__", False):
        return entry
    return replace(entry, function=_dispatching(entry.name, entry.function))


def _dispatching(name: str, fn: Callable) -> Callable:
    """``fn`` preceded by the class dispatch of :func:`overload_for` (the registry's stored function)."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        table = OVERLOADS.get(name)
        if table:
            for a in args:
                impl = table.get(type(a))
                if impl is not None:
                    return impl(*args, **kwargs)
        return fn(*args, **kwargs)

    call.__matlab_overloadable__ = True
    return call


__all__ = ["FUNCTIONS", "MatlabFunction", "matlab_function", "load_all", "REGISTERING_MODULES",
           "call_function", "OVERLOADS", "OVERLOAD_TYPES", "OPERATOR_FUNCTIONS", "matlab_overload", "overload_for",
           "overloaded_function"]
