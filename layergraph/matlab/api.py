"""``port``: a MATLAB script in, its networks out (as values, Python source and JSON specs)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field


from ..errors import LayerGraphError, MatlabPortError
from ..graph import LayerArray, LayerGraph, layerGraph
from ..layers.base import Layer
from ..policy import confined
from .access import to_matlab
from .interp import DEFAULT_MAX_ELEMENTS, Interpreter
from .source import decode_source, format_error, parse_source, read_file
from .values import LayerArr, Opaque


def _load_registries() -> None:
    """Import every module that registers MATLAB functions (analyzeNetwork, trainingOptions, checkLayer, ...)."""
    from .. import analysis, checklayer, network, networks, training  # noqa: F401  (registration)


@dataclass
class PortResult:
    """What :func:`port` found: ``networks`` (variable -> layer list, LayerGraph or network), ``warnings``
    and ``errors`` (each naming file:line:col), ``python_source``, the script's final ``workspace`` and
    ``notes`` on values the generated Python cannot carry (they are also comments in the source)."""

    networks: dict
    warnings: list
    errors: list
    python_source: str
    workspace: dict = field(repr=False, default_factory=dict)
    source_name: str = "<string>"
    notes: list = field(default_factory=list)

    def graphs(self) -> dict:
        """Every network as a LayerGraph (layer lists connected in order, networks via layerGraph(net))."""
        return {name: as_layer_graph(name, value) for name, value in self.networks.items()}

    def to_json(self, name: str | None = None):
        """The JSON spec (parsed) of network ``name``, or a dict name -> spec for every network.

        Learned values set by the script (``layers(2).Weights = W``) are not inlined; write them with
        :meth:`save_json`, which stores them beside the spec.
        """
        import json

        try:
            from ..spec import save_spec
        except ImportError as exc:
            raise MatlabPortError(f"JSON specs need layergraph.spec.save_spec ({exc}).") from None
        graphs = self.graphs()
        if name is not None:
            if name not in graphs:
                raise MatlabPortError(f"no network named '{name}' (networks: {', '.join(graphs) or 'none'})")
            graphs = {name: graphs[name]}
        out = {key: json.loads(save_spec(g, weights=False)) for key, g in graphs.items()}
        return out[name] if name is not None else out

    def save_json(self, path: str, name: str | None = None) -> list[str]:
        """Write JSON specs: one file for one network, else ``path`` with the variable name inserted."""
        try:
            from ..spec import save_spec
        except ImportError as exc:
            raise MatlabPortError(f"JSON specs need layergraph.spec.save_spec ({exc}).") from None
        graphs = self.graphs()
        if name is not None:
            graphs = {name: graphs[name]}
        written = []
        root, ext = os.path.splitext(path)
        for key, g in graphs.items():
            target = path if len(graphs) == 1 else f"{root}_{key}{ext or '.json'}"
            save_spec(g, target)
            written.append(target)
        return written


def as_layer_graph(name: str, value) -> LayerGraph:
    try:
        if isinstance(value, LayerGraph):
            return value
        if isinstance(value, list):
            return layerGraph(value)
        to_graph = getattr(value, "to_layer_graph", None)
        if to_graph is not None:
            return to_graph()
    except LayerGraphError as exc:
        raise MatlabPortError(f"network '{name}': {exc}") from None
    raise MatlabPortError(f"variable '{name}' does not hold a network")


def _network_value(value):
    if isinstance(value, LayerArr):
        items = value.items()
        if items and all(isinstance(x, Layer) for x in items):
            return LayerArray(items)
        return None
    if isinstance(value, Layer):
        return LayerArray([value])
    if isinstance(value, LayerGraph):
        return value
    if type(value).__name__ in ("Network", "SeriesNetwork", "DAGNetwork") and hasattr(value, "to_layer_graph"):
        return value
    return None


def parse_var(interp: Interpreter, spec: str):
    """``NAME=VALUE`` with VALUE a MATLAB expression (evaluated by the porter, never by Python)."""
    if "=" not in spec:
        raise MatlabPortError(f"--var {spec!r}: expected NAME=VALUE (e.g. --var numClasses=10).")
    name, text = spec.split("=", 1)
    name = name.strip()
    if not name.isidentifier():
        raise MatlabPortError(f"--var {spec!r}: '{name}' is not a valid MATLAB variable name.")
    src = parse_source(f"{name} = {text};", f"--var {name}")
    if src.syntax_errors:
        line, col, msg = src.syntax_errors[0]
        raise MatlabPortError(f"--var {name}: cannot read the value {text!r} ({msg}).")
    frame = interp.run_source(src)
    value = frame.vars.get(name)
    if isinstance(value, Opaque):
        raise MatlabPortError(f"--var {name}: the value {text!r} is not a constant the porter can compute.")
    return name, value


def _workspace_value(name: str, value):
    """A Python value given in ``workspace=`` as a MATLAB value (only what MATLAB code may hold)."""
    try:
        return to_matlab(value)
    except LayerGraphError as exc:
        raise MatlabPortError(f"workspace variable '{name}': {exc}") from None


def script_folders(path_or_source, search) -> list[str]:
    """Folders a port may read: the script's own folder and the --path folders (nothing is written)."""
    folders = []
    if isinstance(path_or_source, (str, os.PathLike)) and not isinstance(path_or_source, bytes):
        p = os.fspath(path_or_source)
        if "\n" not in p and "\x00" not in p and (p.endswith(".m") or os.path.isfile(p)):
            folders.append(os.path.dirname(os.path.abspath(p)))
    folders.extend(os.path.abspath(d) for d in search if isinstance(d, (str, os.PathLike)) and "\x00" not in str(d))
    return folders


def port(path_or_source, workspace=None, path=None, *, max_steps: int = 1_000_000, max_depth: int = 100,
         var_specs=None, seed: int = 0, max_elements: int = DEFAULT_MAX_ELEMENTS) -> PortResult:
    """Port a MATLAB script: a file path, or MATLAB source text (str) or bytes.

    ``workspace``: variables the script needs but cannot compute (``{'numClasses': 10}``); they also
    replace values the script would get from data. ``path``: extra folders searched for function and
    classdef files (the script's own folder is always searched). ``max_elements``: the largest array the
    porter allocates (``ones``, ``zeros``, ``rand``, ``repmat``, ranges, ...; default 1e8 elements).
    """
    _load_registries()
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    search = [path] if isinstance(path, (str, os.PathLike)) else list(path or [])
    try:
        # The one file policy (layergraph/policy.py): porting reads only the script, its folder and the
        # --path folders, and writes nothing.
        folders = script_folders(path_or_source, search)
        with confined((), read_only=True, extra_read=folders):
            return _port(path_or_source, workspace, path, max_steps, max_depth, var_specs, seed, max_elements,
                         folders)
    except RecursionError:
        raise MatlabPortError("the script nests too deeply to port (expression or call nesting exceeds "
                              "the interpreter's limit).") from None
    finally:
        sys.setrecursionlimit(old_limit)


def _port(path_or_source, workspace, path, max_steps, max_depth, var_specs, seed, max_elements,
          folders=()) -> PortResult:
    search = [path] if isinstance(path, str) else list(path or [])
    if isinstance(path_or_source, bytes):
        text, enc = decode_source(path_or_source)
        src = parse_source(text, "<string>", enc)
    elif isinstance(path_or_source, os.PathLike) or (
            isinstance(path_or_source, str) and "\n" not in path_or_source
            and (path_or_source.endswith(".m") or os.path.isfile(path_or_source))):
        p = os.fspath(path_or_source)
        if not os.path.isfile(p):
            raise MatlabPortError(f"{p}: no such file.")
        src = read_file(p)
    elif isinstance(path_or_source, str):
        src = parse_source(path_or_source, "<string>")
    else:
        raise MatlabPortError("port() takes a .m file path, MATLAB source text, or bytes.")
    pinned = {k: _workspace_value(k, v) for k, v in (workspace or {}).items()}
    interp = Interpreter(workspace=pinned, search_path=search, max_steps=max_steps, max_depth=max_depth, seed=seed,
                         max_elements=max_elements)
    interp.read_folders = tuple(folders)
    for spec in var_specs or ():
        k, v = parse_var(interp, spec)
        pinned[k] = v
    interp.pinned = pinned
    try:
        frame = interp.run_source(src, pinned)
    except RecursionError:
        node = interp.current
        where = f"{node.src.location(node.line, node.col)}: " if node is not None else ""
        raise MatlabPortError(f"{where}the script nests too deeply (recursion limit reached).") from None
    except LayerGraphError:
        raise
    except Exception as exc:  # noqa: BLE001 - an interpreter gap must still be a located, clean error
        node = interp.current
        text = f"the porter cannot run this statement ({type(exc).__name__}: {exc})"
        if node is not None:
            raise MatlabPortError(format_error(node.src, node.line, node.col, text)) from exc
        raise MatlabPortError(text) from exc
    networks = {}
    for name, value in frame.vars.items():
        net = _network_value(value)
        if net is not None:
            networks[name] = net
    from .codegen import generate
    from .custom import custom_class_sources

    classes = custom_class_sources(networks)
    python_source, notes = generate(networks, os.path.basename(src.path) if src.path != "<string>" else "a MATLAB "
                                    "script", classes)
    return PortResult(networks, list(interp.warnings), list(interp.errors), python_source, dict(frame.vars),
                      src.path, list(notes))


__all__ = ["port", "PortResult", "as_layer_graph", "parse_var"]
