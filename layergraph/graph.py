"""LayerGraph: layers plus port-level connections, MATLAB's edit functions and default naming.

MATLAB value semantics: every edit function returns a new graph and leaves its argument unchanged.
Versions of a graph share one store; the newest version owns it and older versions keep the reverse
edits that lead back to themselves (rerooted on access), so ``lgraph = connectLayers(lgraph, ...)``
costs O(1) per call however large the graph is.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

from .errors import GraphError
from .functions import matlab_function
from .layers.base import Layer, as_layer
from .textsafe import printable

_MISSING = object()

# ------------------------------------------------------------------------------------------------
# Persistent store


class _Version:
    __slots__ = ("data", "link", "diff", "cache")

    def __init__(self, data=None):
        self.data = data
        self.link = None
        self.diff = None
        self.cache = {}


def _reroot(version: _Version) -> dict:
    path = []
    node = version
    while node.data is None:
        path.append(node)
        node = node.link
    for step in reversed(path):
        root = step.link
        data = root.data
        inverse = []
        for dname, key, value in step.diff:
            table = data[dname]
            inverse.append((dname, key, table.get(key, _MISSING)))
            if value is _MISSING:
                table.pop(key, None)
            else:
                table[key] = value
        inverse.reverse()
        root.data, root.link, root.diff = None, step, inverse
        step.data, step.link, step.diff = data, None, None
    return version.data


class _Edit:
    """Records every change to the store so it can be undone (failure) or kept as a reverse diff."""

    def __init__(self, data: dict):
        self.data = data
        self.log: list = []

    def get(self, dname, key, default=None):
        return self.data[dname].get(key, default)

    def set(self, dname, key, value):
        table = self.data[dname]
        self.log.append((dname, key, table.get(key, _MISSING)))
        table[key] = value

    def delete(self, dname, key):
        table = self.data[dname]
        if key in table:
            self.log.append((dname, key, table[key]))
            del table[key]

    def rollback(self):
        for dname, key, old in reversed(self.log):
            if old is _MISSING:
                self.data[dname].pop(key, None)
            else:
                self.data[dname][key] = old
        self.log = []


def _empty_store() -> dict:
    # layers: name -> (order key, Layer); edges: (src, sport, dst, dport) -> order key;
    # inport: (dst, dport) -> (src, sport); outedges: layer name -> tuple of edge keys it touches;
    # meta: counters
    return {"layers": {}, "edges": {}, "inport": {}, "touch": {}, "meta": {"layer": 0, "edge": 0}}


# ------------------------------------------------------------------------------------------------
# Display of layer arrays


class LayerArray(list):
    """A list of layers that prints as MATLAB's ``N×1 Layer array with layers:`` table."""

    def __getitem__(self, index):
        result = super().__getitem__(index)
        return LayerArray(result) if isinstance(index, slice) else result

    def __str__(self) -> str:
        return format_layer_array(self)

    __repr__ = __str__


def format_layer_array(layers: Sequence) -> str:
    """MATLAB's layer-array display."""
    layers = [as_layer(item) for item in layers]
    n = len(layers)
    if n == 0:
        return "  0×0 empty Layer array."
    names = [f"'{printable(layer.Name)}'" for layer in layers]
    types = [layer.TYPE for layer in layers]
    wn = max(len(s) for s in names)
    wt = max(len(s) for s in types)
    lines = [f"  {n}×1 Layer array with layers:", ""]
    for i, layer in enumerate(layers, 1):
        lines.append(f"{i:>6}   {names[i - 1]:<{wn}}   {types[i - 1]:<{wt}}   {printable(layer.description())}".rstrip())
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# Naming


def assign_names(layers: list[Layer], taken=()) -> list[Layer]:
    """MATLAB's automatic names for unnamed layers: ``base`` if unique, ``base_1, base_2, ...`` otherwise.

    Names the user gave are kept and never reused; duplicates among them are an error. ``taken`` is
    any container of names already in the graph (only membership is asked, so this costs O(len(layers))).
    """
    explicit: set[str] = set()
    for layer in layers:
        if layer.Name:
            if layer.Name in explicit:
                raise GraphError(f"Duplicate layer name '{layer.Name}'. Layer names must be unique.")
            if layer.Name in taken:
                raise GraphError(f"Layer name '{layer.Name}' already exists in the layer graph. Layer names must be unique.")
            explicit.add(layer.Name)
    assigned: set[str] = set()

    def blocked(name: str) -> bool:
        return name in taken or name in explicit or name in assigned

    counts: dict[str, int] = {}
    for layer in layers:
        if not layer.Name:
            counts[layer.DEFAULT_NAME] = counts.get(layer.DEFAULT_NAME, 0) + 1
    next_suffix: dict[str, int] = {}
    out = []
    for layer in layers:
        if layer.Name:
            out.append(layer)
            continue
        base = layer.DEFAULT_NAME
        if counts[base] == 1 and not blocked(base):
            name = base
        else:
            k = next_suffix.get(base, 1)
            while blocked(f"{base}_{k}"):
                k += 1
            name = f"{base}_{k}"
            next_suffix[base] = k + 1
        assigned.add(name)
        out.append(layer.with_name(name))
    return out


def _normalize_layers(layers, what: str = "layers") -> list[Layer]:
    if isinstance(layers, LayerGraph):
        raise GraphError(f"Expected an array of layers for {what}, got a LayerGraph.")
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    out = []
    for i, item in enumerate(layers, 1):
        if isinstance(item, (list, tuple)):
            out.extend(_normalize_layers(item, what))
            continue
        try:
            out.append(as_layer(item).copy())
        except TypeError:
            raise GraphError(
                f"Invalid argument: element {i} of {what} is {type(item).__name__!s}, not a layer. "
                "Input must be an array of layers."
            ) from None
    return out


# ------------------------------------------------------------------------------------------------
# Connections table


class ConnectionTable:
    """MATLAB's ``Connections`` table: ``Source`` and ``Destination`` columns of name or name/port strings."""

    MATLAB_PROPERTIES = ("Source", "Destination")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    def __init__(self, rows: list[tuple[str, str]]):
        self.rows = rows

    @property
    def Source(self) -> list[str]:
        return [r[0] for r in self.rows]

    @property
    def Destination(self) -> list[str]:
        return [r[1] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __eq__(self, other):
        if isinstance(other, ConnectionTable):
            return self.rows == other.rows
        return self.rows == list(other)

    def __str__(self) -> str:
        if not self.rows:
            return "  0×2 empty table"
        ws = max(len("Source"), *(len(repr_q(s)) for s, _ in self.rows))
        wd = max(len("Destination"), *(len(repr_q(d)) for _, d in self.rows))
        lines = [f"    {'Source':^{ws}}    {'Destination':^{wd}}", f"    {'_' * ws}    {'_' * wd}", ""]
        for s, d in self.rows:
            lines.append(f"    {repr_q(s):<{ws}}    {repr_q(d):<{wd}}")
        return "\n".join(lines)

    __repr__ = __str__


def repr_q(s: str) -> str:
    return f"{{'{printable(s)}'}}"


# ------------------------------------------------------------------------------------------------
# LayerGraph


class LayerGraph:
    """MATLAB's LayerGraph. Build it with :func:`layerGraph` and edit it with the MATLAB functions."""

    # What MATLAB code may touch (layergraph/matlab/access.py): MATLAB's LayerGraph properties are read-only
    MATLAB_PROPERTIES = ("Layers", "Connections", "InputNames", "OutputNames")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("addLayers", "removeLayers", "replaceLayer", "connectLayers", "disconnectLayers", "plot",
                      "analyzeNetwork", "assembleNetwork", "dlnetwork", "layerGraph")

    __slots__ = ("_version",)

    def __init__(self, layers=None):
        object.__setattr__(self, "_version", _Version(_empty_store()))
        if layers is not None:
            built = _add_layers(self, layers, what="layerGraph")
            object.__setattr__(self, "_version", built._version)

    @classmethod
    def _from_version(cls, version: _Version) -> "LayerGraph":
        g = object.__new__(cls)
        object.__setattr__(g, "_version", version)
        return g

    def __setattr__(self, name, value):
        raise GraphError(
            f"LayerGraph property '{name}' is read-only. Use addLayers, removeLayers, replaceLayer, "
            "connectLayers or disconnectLayers, which return a new graph."
        )

    # ---- store access ------------------------------------------------------------------------------

    def _data(self) -> dict:
        return _reroot(self._version)

    def _edit(self, fn) -> "LayerGraph":
        data = self._data()
        edit = _Edit(data)
        try:
            fn(edit)
        except BaseException:
            edit.rollback()
            raise
        new = _Version(data)
        old = self._version
        old.data, old.link, old.diff = None, new, list(reversed(edit.log))
        return type(self)._from_version(new)   # an uninitialized dlnetwork stays one through its edits

    def _cached(self, key, compute):
        cache = self._version.cache
        if key not in cache:
            cache[key] = compute(self._data())
        return cache[key]

    # ---- read-only views ---------------------------------------------------------------------------

    def layer_list(self) -> list[Layer]:
        """The layers in Layers order (shared objects: treat as read-only)."""

        def compute(data):
            items = sorted(data["layers"].values(), key=lambda kv: kv[0])
            return [layer for _, layer in items]

        return self._cached("layers", compute)

    def layer(self, name: str) -> Layer:
        if not isinstance(name, str):
            raise GraphError(f"A layer name must be a character vector or string scalar, got {_shown(name)}.")
        entry = self._data()["layers"].get(name)
        if entry is None:
            raise self._unknown_layer(name)
        return entry[1]

    def has_layer(self, name: str) -> bool:
        return isinstance(name, str) and name in self._data()["layers"]

    def edge_list(self) -> list[tuple[str, str, str, str]]:
        """Connections as (source layer, output port, destination layer, input port), in table order."""

        def compute(data):
            return [k for k, _ in sorted(data["edges"].items(), key=lambda kv: kv[1])]

        return self._cached("edges", compute)

    def source_of(self, layer: str, port: str):
        """(source layer, output port) feeding ``layer/port``, or None."""
        return self._data()["inport"].get((layer, port))

    @property
    def Layers(self) -> LayerArray:
        return LayerArray(layer.copy() for layer in self.layer_list())

    @property
    def Connections(self) -> ConnectionTable:
        def compute(data):
            rows = []
            for src, sport, dst, dport in self.edge_list():
                rows.append((self._port_string(src, sport, output=True), self._port_string(dst, dport, output=False)))
            return rows

        return ConnectionTable(self._cached("connections", compute))

    @property
    def InputNames(self) -> list[str]:
        return [layer.Name for layer in self.layer_list() if layer.IS_INPUT]

    @property
    def OutputNames(self) -> list[str]:
        return [layer.Name for layer in self.layer_list() if layer.IS_OUTPUT]

    def _port_string(self, name: str, port: str, *, output: bool) -> str:
        layer = self.layer(name)
        ports = layer.output_names() if output else layer.input_names()
        return name if len(ports) == 1 else f"{name}/{port}"

    def __len__(self) -> int:
        return len(self._data()["layers"])

    def __eq__(self, other) -> bool:
        if not isinstance(other, LayerGraph):
            return NotImplemented
        return self.layer_list() == other.layer_list() and sorted(self.edge_list()) == sorted(other.edge_list())

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> "LayerGraph":
        return self  # graphs are values: a copy is the same value

    def __deepcopy__(self, memo) -> "LayerGraph":
        return self

    def __reduce__(self):
        return (_rebuild_graph, ([layer.copy() for layer in self.layer_list()], list(self.edge_list())))

    def __str__(self) -> str:
        n = len(self.layer_list())
        c = len(self.edge_list())
        return (
            "  LayerGraph with properties:\n\n"
            f"         Layers: [{n}×1 nnet.cnn.layer.Layer]\n"
            f"    Connections: [{c}×2 table]\n"
            f"     InputNames: {_cellstr(self.InputNames)}\n"
            f"    OutputNames: {_cellstr(self.OutputNames)}\n"
        )

    __repr__ = __str__

    # ---- errors ------------------------------------------------------------------------------------

    def _unknown_layer(self, name) -> GraphError:
        names = list(self._data()["layers"])
        close = difflib.get_close_matches(str(name), names, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return GraphError(f"Layer '{name}' does not exist in the layer graph.{hint}")

    # ---- port resolution ---------------------------------------------------------------------------

    def _resolve(self, spec: str, *, output: bool) -> tuple[str, str]:
        if not isinstance(spec, str) or not spec:
            raise GraphError(f"Invalid connection {'source' if output else 'destination'} {spec!r}: expected 'layer' or 'layer/port'.")
        data = self._data()["layers"]
        if spec in data:
            name, port = spec, None
        elif "/" in spec:
            name, port = spec.rsplit("/", 1)
            if name not in data:
                raise self._unknown_layer(name)
        else:
            raise self._unknown_layer(spec)
        layer = data[name][1]
        ports = layer.output_names() if output else layer.input_names()
        kind = "output" if output else "input"
        if port is None:
            if len(ports) == 0:
                raise GraphError(
                    f"Layer '{name}' has no {kind}s"
                    + (" (an output layer has no outputs)." if output else " (an input layer cannot be a destination).")
                )
            if len(ports) > 1:
                raise GraphError(
                    f"Layer '{name}' has multiple {kind}s. Specify which {kind} of layer '{name}' to use."
                )
            return name, ports[0]
        if port not in ports:
            listed = ", ".join(f"'{p}'" for p in ports) or "none"
            raise GraphError(f"Layer '{name}' has no {kind} named '{port}'. Its {kind}s are: {listed}.")
        return name, port


def _rebuild_graph(layers, edges) -> "LayerGraph":
    graph = LayerGraph()
    for layer in layers:
        graph = addLayers(graph, layer)
    for src, sport, dst, dport in edges:
        graph = connectLayers(graph, f"{src}/{sport}", f"{dst}/{dport}")
    return graph


def _shown(value, limit: int = 60) -> str:
    try:
        text = printable(repr(value))
    except Exception:  # an object whose repr fails
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cellstr(names: list[str]) -> str:
    return "{" + "  ".join(f"'{printable(n)}'" for n in names) + "}" if names else "{}"


# ------------------------------------------------------------------------------------------------
# Edits (each runs inside LayerGraph._edit, so a failure leaves no trace)


def _next_key(edit: _Edit, counter: str) -> int:
    value = edit.get("meta", counter)
    edit.set("meta", counter, value + 1)
    return value


def _touch_add(edit: _Edit, name: str, key) -> None:
    edit.set("touch", name, edit.get("touch", name, ()) + (key,))


def _touch_remove(edit: _Edit, name: str, key) -> None:
    remaining = tuple(k for k in edit.get("touch", name, ()) if k != key)
    edit.set("touch", name, remaining)


def _insert_edge(edit: _Edit, graph: LayerGraph, src: str, sport: str, dst: str, dport: str) -> None:
    existing = edit.get("inport", (dst, dport))
    if existing is not None:
        shown = existing[0] if existing[1] == "out" else f"{existing[0]}/{existing[1]}"
        raise GraphError(
            f"Unable to connect to input '{dport}' of layer '{dst}': it is already connected to '{shown}'. "
            "Disconnect it first with disconnectLayers."
        )
    key = (src, sport, dst, dport)
    edit.set("edges", key, (_next_key(edit, "edge"),))
    edit.set("inport", (dst, dport), (src, sport))
    _touch_add(edit, src, key)
    if dst != src:
        _touch_add(edit, dst, key)


def _delete_edge(edit: _Edit, key) -> None:
    src, sport, dst, dport = key
    edit.delete("edges", key)
    edit.delete("inport", (dst, dport))
    _touch_remove(edit, src, key)
    if dst != src:
        _touch_remove(edit, dst, key)


def _insert_chain(edit: _Edit, graph: LayerGraph, layers: list[Layer], order_keys: list) -> None:
    for layer, key in zip(layers, order_keys):
        edit.set("layers", layer.Name, (key, layer))
        edit.set("touch", layer.Name, ())
    for a, b in zip(layers, layers[1:]):
        outs, ins = a.output_names(), b.input_names()
        if not outs:
            raise GraphError(
                f"Layer '{a.Name}' ({a.TYPE}) has no outputs, so it cannot be followed by layer '{b.Name}' in a layer array."
            )
        if not ins:
            raise GraphError(
                f"Layer '{b.Name}' ({b.TYPE}) has no inputs, so it cannot follow layer '{a.Name}' in a layer array."
            )
        _insert_edge(edit, graph, a.Name, outs[0], b.Name, ins[0])


def _add_layers(graph: LayerGraph, layers, what: str = "addLayers") -> LayerGraph:
    new_layers = _normalize_layers(layers, what)

    def apply(edit: _Edit):
        named = assign_names(new_layers, edit.data["layers"].keys())
        keys = [(_next_key(edit, "layer"),) for _ in named]
        _insert_chain(edit, graph, named, keys)

    return graph._edit(apply)


@matlab_function(outputs=("lgraph",))
def layerGraph(layers=None) -> LayerGraph:
    """``lgraph = layerGraph``, ``layerGraph(layers)`` (connected in array order) or ``layerGraph(net)``."""
    if layers is None:
        return LayerGraph()
    if isinstance(layers, LayerGraph):
        return layers if type(layers) is LayerGraph else LayerGraph._from_version(layers._version)
    to_graph = getattr(layers, "to_layer_graph", None)
    if to_graph is not None:
        return to_graph()
    if isinstance(layers, (list, tuple, Layer)) or getattr(layers, "layer_class", None) is not None:
        return LayerGraph(layers)
    raise GraphError(
        "Invalid argument at position 1. Input must be an array of layers, a SeriesNetwork, a DAGNetwork, or a dlnetwork."
    )


def _as_graph(lgraph, fn: str) -> LayerGraph:
    if isinstance(lgraph, LayerGraph):
        return lgraph
    to_graph = getattr(lgraph, "to_layer_graph", None)
    if to_graph is not None:
        return to_graph()
    raise GraphError(f"{fn}: the first argument must be a LayerGraph (create one with layerGraph), got {type(lgraph).__name__}.")


@matlab_function(outputs=("lgraph",))
def addLayers(lgraph, larray) -> LayerGraph:
    """Add layers, connected one after the other; no connection to existing layers is made."""
    return _add_layers(_as_graph(lgraph, "addLayers"), larray)


def _names_arg(names, fn: str) -> list[str]:
    if isinstance(names, str):
        return [names]
    if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
        return list(names)
    raise GraphError(f"{fn}: layer names must be a character vector, string, or a list of them; got {names!r}.")


@matlab_function(outputs=("lgraph",))
def removeLayers(lgraph, layerNames) -> LayerGraph:
    """Remove layers and every connection touching them."""
    graph = _as_graph(lgraph, "removeLayers")
    names = _names_arg(layerNames, "removeLayers")
    for name in names:
        if not graph.has_layer(name):
            raise graph._unknown_layer(name)

    def apply(edit: _Edit):
        for name in dict.fromkeys(names):
            for key in edit.get("touch", name, ()):
                _delete_edge(edit, key)
            edit.delete("touch", name)
            edit.delete("layers", name)

    return graph._edit(apply)


@matlab_function(outputs=("lgraph",))
def connectLayers(lgraph, s: str, d: str) -> LayerGraph:
    """Connect output ``s`` ('layer' or 'layer/out') to input ``d`` ('layer' or 'layer/in2')."""
    graph = _as_graph(lgraph, "connectLayers")
    src, sport = graph._resolve(s, output=True)
    dst, dport = graph._resolve(d, output=False)
    return graph._edit(lambda edit: _insert_edge(edit, graph, src, sport, dst, dport))


@matlab_function(outputs=("lgraph",))
def disconnectLayers(lgraph, s: str, d: str) -> LayerGraph:
    """Remove the connection from ``s`` to ``d``."""
    graph = _as_graph(lgraph, "disconnectLayers")
    src, sport = graph._resolve(s, output=True)
    dst, dport = graph._resolve(d, output=False)
    key = (src, sport, dst, dport)
    if key not in graph._data()["edges"]:
        raise GraphError(f"Unable to disconnect: there is no connection from '{s}' to '{d}'.")
    return graph._edit(lambda edit: _delete_edge(edit, key))


@matlab_function(outputs=("lgraph",))
def replaceLayer(lgraph, layerName: str, larray, *args, ReconnectBy: str = "name", **kwargs) -> LayerGraph:
    """Replace a layer by a layer array connected in sequence, reconnected by port 'name' or 'order'."""
    graph = _as_graph(lgraph, "replaceLayer")
    if not isinstance(layerName, str):
        raise GraphError(f"replaceLayer: layerName must be a character vector or string scalar naming one layer, "
                         f"got {_shown(layerName)}.")
    ReconnectBy = _parse_reconnect(args, kwargs, ReconnectBy)
    old = graph.layer(layerName)
    new_layers = _normalize_layers(larray, "replaceLayer")
    if not new_layers:
        raise GraphError("replaceLayer: the replacement layer array is empty.")
    data = graph._data()
    old_key = data["layers"][layerName][0]
    incoming = [(p, graph.source_of(layerName, p)) for p in old.input_names()]
    outgoing = [k for k in graph.edge_list() if k[0] == layerName and k[2] != layerName]

    def apply(edit: _Edit):
        for key in edit.get("touch", layerName, ()):
            _delete_edge(edit, key)
        edit.delete("touch", layerName)
        edit.delete("layers", layerName)
        named = assign_names(new_layers, edit.data["layers"].keys())
        _insert_chain(edit, graph, named, [old_key + (i,) for i in range(len(named))])
        first, last = named[0], named[-1]
        in_map = _port_map(old.input_names(), first.input_names(), ReconnectBy, layerName, first.Name, "input")
        out_map = _port_map(old.output_names(), last.output_names(), ReconnectBy, layerName, last.Name, "output")
        for port, source in incoming:
            if source is not None:
                if source[0] == layerName:  # a self-connection becomes last -> first of the replacement
                    source = (last.Name, out_map[source[1]])
                _insert_edge(edit, graph, source[0], source[1], first.Name, in_map[port])
        for src, sport, dst, dport in outgoing:
            _insert_edge(edit, graph, last.Name, out_map[sport], dst, dport)

    return graph._edit(apply)


def _parse_reconnect(args, kwargs, default):
    value = default
    args = list(args)
    if len(args) % 2:
        raise GraphError("replaceLayer: name-value arguments must come in pairs.")
    pairs = list(zip(args[::2], args[1::2])) + list(kwargs.items())
    for key, v in pairs:
        if not isinstance(key, str) or key.lower() != "reconnectby":
            raise GraphError(f"replaceLayer: '{key}' is not an option. Valid option: 'ReconnectBy'.")
        value = v
    if not isinstance(value, str) or value.lower() not in ("name", "order"):
        raise GraphError(f"replaceLayer: ReconnectBy must be 'name' or 'order', got {value!r}.")
    return value.lower()


def _port_map(old_ports, new_ports, mode, old_name, new_name, kind) -> dict:
    if mode == "order":
        if len(new_ports) < len(old_ports):
            raise GraphError(
                f"replaceLayer: layer '{new_name}' has {len(new_ports)} {kind}(s) but the replaced layer "
                f"'{old_name}' has {len(old_ports)}; cannot reconnect by order."
            )
        return dict(zip(old_ports, new_ports))
    missing = [p for p in old_ports if p not in new_ports]
    if missing:
        raise GraphError(
            f"replaceLayer: layer '{new_name}' has no {kind} named '{missing[0]}' (the replaced layer "
            f"'{old_name}' had it). Use ReconnectBy='order' or give the new layer matching {kind} names."
        )
    return {p: p for p in old_ports}


__all__ = [
    "LayerGraph",
    "LayerArray",
    "ConnectionTable",
    "layerGraph",
    "addLayers",
    "removeLayers",
    "connectLayers",
    "disconnectLayers",
    "replaceLayer",
    "assign_names",
    "format_layer_array",
]
