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
from .interp import Interpreter
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
    primary: str | None = None
    incomplete: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """False when a branch or loop the porter could not decide touches a network (``incomplete`` says where)."""
        return not self.incomplete

    def primary_network(self):
        """The primary network: the last passed to training, else the last returned or assigned."""
        if self.primary is None:
            raise MatlabPortError(f"{self.source_name}: no network found")
        return self.networks[self.primary]

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
    interp.strict = True
    try:
        frame = interp.run_source(src)
    finally:
        interp.strict = False
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
         var_specs=None, seed: int = 0, max_elements: int | None = None, args=None,
         entry: str | None = None, skip_bad_statements: bool = False) -> PortResult:
    """Port a MATLAB script: a file path, or MATLAB source text (str) or bytes.

    ``workspace``: variables the script needs but cannot compute (``{'numClasses': 10}``); they also
    replace values the script would get from data. ``path``: extra folders searched for function and
    classdef files (the script's own folder is always searched). ``max_elements``: the largest array the
    porter allocates (``ones``, ``zeros``, ``rand``, ``repmat``, ranges, ...; default 1e8 elements).

    A function file (first statement ``function``) runs its main function: ``args`` are its positional
    arguments (MATLAB expressions as one string, ``"[32 32 3], 10"``, or a list of Python values),
    ``var_specs``/``workspace`` entries named like a parameter give that parameter; parameters not given
    are unknown values (``nargin`` counts the given ones). ``entry``: a local function to run instead.

    A file with syntax errors stops the port (MATLAB runs nothing from it): the error names each one at
    file:line:col. ``skip_bad_statements=True`` skips those statements instead and marks the result incomplete.
    ``max_elements`` defaults to ``layergraph.limits`` ``max_porter_elements``.
    """
    if max_elements is None:
        from ..limits import current

        max_elements = current().max_porter_elements
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
                         folders, args, entry, skip_bad_statements)
    except RecursionError:
        raise MatlabPortError("the script nests too deeply to port (expression or call nesting exceeds "
                              "the interpreter's limit).") from None
    finally:
        sys.setrecursionlimit(old_limit)


def parse_args_text(interp: Interpreter, text: str) -> list:
    """``--args 'v1, v2'``: MATLAB expressions (evaluated by the porter, never by Python) as a list."""
    src = parse_source(f"portArgs_ = {{{text}}};", "--args")
    if src.syntax_errors:
        line, col, msg = src.syntax_errors[0]
        raise MatlabPortError(f"--args: cannot read {text!r} ({msg}).")
    interp.strict = True
    try:
        frame = interp.run_source(src)
    finally:
        interp.strict = False
    value = frame.vars.get("portArgs_")
    items = value.items() if hasattr(value, "items") else []
    for i, v in enumerate(items):
        if isinstance(v, Opaque):
            raise MatlabPortError(f"--args: argument {i + 1} of {text!r} is not a constant the porter can compute.")
    return list(items)


def _is_function_file(src) -> bool:
    kinds = [k.t for k in src.root.kids if k.t != "comment"]
    return bool(kinds) and kinds[0] == "function_definition"


def _port(path_or_source, workspace, path, max_steps, max_depth, var_specs, seed, max_elements,
          folders=(), args=None, entry=None, skip_bad_statements=False) -> PortResult:
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
    interp.skip_bad_statements = bool(skip_bad_statements)
    for spec in var_specs or ():
        k, v = parse_var(interp, spec)
        pinned[k] = v
    function_file = _is_function_file(src) or entry is not None
    positional = []
    if args is not None:
        if isinstance(args, str):
            positional = parse_args_text(interp, args)
        else:
            positional = [_workspace_value(f"argument {i + 1}", v) for i, v in enumerate(args)]
    returned = {}
    try:
        if entry is not None and "." in entry:
            frame, returned = _run_class_method(interp, src, entry, positional, pinned)
        elif function_file:
            functions = interp.collect_functions(src)
            fd_name = entry
            if fd_name is None:
                first = next(k for k in src.root.kids if k.t == "function_definition")
                fd_name = first.f["name"].v if "name" in first.f else None
            fd = functions.get(fd_name) if fd_name else None
            params = fd.params if fd is not None else []
            named = {k: v for k, v in pinned.items() if k in params}
            interp.pinned = {k: v for k, v in pinned.items() if k not in params}
            frame, returned = interp.run_main_function(src, positional, named, entry)
        else:
            if args is not None:
                raise MatlabPortError(f"{src.path}: --args needs a function file (this file is a script).")
            interp.pinned = pinned
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
    networks, primary = _collect_networks(frame.vars, returned, interp.sinks)
    networks = {name: _legacy_groups(name, value, interp.warnings, src.path) for name, value in networks.items()}
    building = [e for e, builds in interp.recovered if builds]
    if building or (not networks and interp.recovered):
        # a network itself could not be built (never a silently wrong network): report the first failure
        raise (building or [interp.recovered[0][0]])[0]
    from .codegen import generate
    from .custom import custom_class_sources

    classes = custom_class_sources(networks)
    python_source, notes = generate(networks, os.path.basename(src.path) if src.path != "<string>" else "a MATLAB "
                                    "script", classes, list(interp.incomplete))
    return PortResult(networks, list(interp.warnings), list(interp.errors), python_source, dict(frame.vars),
                      src.path, list(notes), primary, list(interp.incomplete))


def _legacy_groups(name: str, value, warnings: list, where: str = "<string>"):
    """Issue 11 item 7: a convolution2dLayer whose NumChannels is a fraction of its input's channels (the
    two-group AlexNet convolutions of older MATLAB releases, 'NumChannels', 48 on 96 channels) builds as a
    groupedConvolution2dLayer with that many groups, with a warning (Weights are regrouped, MATLAB layout)."""
    if not isinstance(value, (LayerGraph, LayerArray)):
        return value
    legacy = [x for x in (value.layer_list() if isinstance(value, LayerGraph) else list(value))
              if type(x).__name__ == "Convolution2DLayer" and x.NumChannels != "auto"]
    if not legacy:
        return value
    from ..analysis import analyze_graph
    from ..graph import replaceLayer
    from ..layers import REGISTRY

    try:
        graph = as_layer_graph(name, value)
        analysis = analyze_graph(graph)
    except LayerGraphError:
        return value
    changed = False
    for layer in legacy:
        inputs = analysis.input_layouts.get(layer.Name)
        if not inputs:
            continue
        channels, per = inputs[0].channels, int(layer.NumChannels)
        groups = channels // per if per else 0
        if groups < 2 or channels != groups * per or layer.NumFilters % groups:
            continue
        options = {k: getattr(layer, k) for k in ("Stride", "DilationFactor", "PaddingValue", "WeightsInitializer",
                                                   "BiasInitializer", "WeightLearnRateFactor", "BiasLearnRateFactor",
                                                   "WeightL2Factor", "BiasL2Factor")}
        options["Padding"] = layer.Padding if getattr(layer, "PaddingMode", "manual") == "manual" else "same"
        weights = layer.Weights
        if weights is not None:
            import numpy as np
            import torch

            w = weights.detach().cpu().numpy().reshape(tuple(layer.FilterSize) + (per, layer.NumFilters), order="F")
            options["Weights"] = torch.as_tensor(np.reshape(w, w.shape[:3] + (layer.NumFilters // groups, groups),
                                                            order="F"))
        if layer.Bias is not None:
            options["Bias"] = layer.Bias.reshape(1, 1, layer.NumFilters // groups, groups)
        new = REGISTRY["groupedConvolution2dLayer"](list(layer.FilterSize), layer.NumFilters // groups, groups,
                                                    Name=layer.Name, **options)
        graph = replaceLayer(graph, layer.Name, new)
        changed = True
        warnings.append(f"{where}: warning: network '{name}': layer '{layer.Name}' is a legacy grouped convolution (NumChannels {per} on "
                        f"an input with {channels} channels): it builds as groupedConvolution2dLayer with {groups} "
                        f"groups of {layer.NumFilters // groups} filters")
    if not changed:
        return value
    if isinstance(value, LayerGraph):
        return graph
    return LayerArray(graph.layer_list())


def _run_class_method(interp: Interpreter, src, entry: str, positional: list, pinned: dict):
    """``--entry Class.method`` on a classdef file that is not a layer (``classdef Model``): a static method is
    called with the arguments; any other method on a default-constructed object (property defaults, then the
    constructor with no arguments), the object first. Returns (frame, outputs) like a main function."""
    from .custom import _class_info
    from .interp import Frame
    from .values import Struct

    class_name, method = entry.split(".", 1)
    interp.check_syntax(src)
    cdef = next((k for k in src.root.kids if k.t == "class_definition"), None)
    if cdef is None or "name" not in cdef.f or cdef.f["name"].v != class_name:
        raise MatlabPortError(f"{src.path}: --entry {entry}: the file does not define classdef {class_name}")
    info = _class_info(interp, class_name, src)
    fd = info.methods.get(method)
    if fd is None:
        names = ", ".join(n for n in info.methods if n != class_name) or "none"
        raise MatlabPortError(f"{src.path}: --entry {entry}: {class_name} has no method '{method}' (methods: {names})")
    static = any(k.t == "methods" and any(a.t == "attributes" and any(
        (x.v or "").split("=")[0].strip() == "Static" for x in a.kids) for a in k.kids) and fd.node in k.kids
        for k in cdef.kids)
    interp.main_src, interp.main_functions = src, info.methods
    args = list(positional)
    if not static:
        dframe = Frame(src, info.methods, class_name)
        import numpy as np

        obj = Struct({p: interp.eval(d, dframe) if d is not None else np.zeros((0, 0))
                      for p, d in list(info.props.items()) + list(info.learnables.items())})
        ctor = info.methods.get(class_name)
        if ctor is not None:
            cframe = Frame(src, info.methods, class_name, nargin=0, nargout=1)
            out_name = ctor.outputs[0] if ctor.outputs else "obj"
            cframe.vars[out_name] = obj
            interp.run_body(ctor.body, cframe)
            obj = cframe.vars.get(out_name, obj)
        args = [obj] + args
    params = [p for p in fd.params if p != "varargin"]
    named = {k: v for k, v in pinned.items() if k in params}
    interp.pinned = {k: v for k, v in pinned.items() if k not in params}
    frame = Frame(fd.file, info.methods, fd.name, nargin=len(args), nargout=len(fd.outputs))
    frame.fd = fd
    interp.main_frame = frame
    interp.bind_args(fd, args, frame, fd.node)
    for key, value in named.items():
        frame.vars[key] = value
    interp.run_body(fd.body, frame)
    return frame, {o: frame.vars[o] for o in fd.outputs if o in frame.vars and o != "varargout"}


def _collect_networks(variables: dict, returned: dict, sinks: list):
    """Every network (by variable or call site) in order, the primary one last (issue 11 item 2): the last
    passed to training, else the last returned by the main function, else the last assigned."""
    found = {}          # name -> raw value
    for name, value in variables.items():
        if _network_value(value) is not None:
            found[name] = value
    primary = None
    for name, value in returned.items():
        if _network_value(value) is not None:
            found.pop(name, None)
            found[name] = value
            primary = name
    for label, value, training in sinks:
        key = label if found.get(label) is value else next((k for k in reversed(found) if found[k] is value), None)
        if key is None:
            key = label
            n = 2
            while key in found:
                key = f"{label}_{n}"
                n += 1
            found[key] = value
        if training:
            primary = key
    if primary is None and found:
        primary = list(found)[-1]
    networks = {name: _network_value(value) for name, value in found.items() if name != primary}
    if primary is not None:
        networks[primary] = _network_value(found[primary])
    return networks, primary
