"""networkLayer: a layer containing a nested network.

``networkLayer(net)`` takes a dlnetwork (layergraph :class:`~layergraph.network.Network`), a LayerGraph or
a layer array. The nested network must not contain output (loss) layers. During training and inference
the layer behaves as the nested network:

* inputs: the nested network's inputs, in layer order: each input layer, and each unconnected input port
  of the other layers. One input is the port ``'in'``; several are ``'in1'``..``'inN'``.
* outputs: the nested network's unconnected outputs, in layer order: ``'out'`` or ``'out1'``..``'outN'``.
* sizes: the nested layers' size rules, run on the layer's input sizes (an input layer inside must see
  the size it declares).
* learnables and states: those of the nested layers, named ``'<inner layer>/<property>'`` in MATLAB layout.

The ``Network`` property holds the nested network in canonical form: JSON text with the nested network's
spec (``layergraph.spec``) and its learned values inline (exact float32 values), so a networkLayer saves
and loads like any other layer. ``layer.Network`` gives that text; :meth:`NetworkLayer.nested_graph`
gives the LayerGraph.
"""

from __future__ import annotations

import contextvars
import json
from collections import OrderedDict

import torch
from torch import nn

from ..errors import LayerGraphError, LayoutError
from ..limits import LimitExceeded, current as current_limits, describe as describe_limit
from .base import Layer, Layout, register
from .options import Converter, Option


def _as_graph(value):
    """A LayerGraph from a Network, a LayerGraph, a layer array or canonical text (ValueError otherwise)."""
    from ..graph import LayerGraph, layerGraph

    if isinstance(value, str):
        return _graph_from_text(value)
    if isinstance(value, LayerGraph):
        return value
    if hasattr(value, "to_layer_graph"):
        return value.to_layer_graph()
    if isinstance(value, Layer):
        value = [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
        return layerGraph(list(value))
    raise ValueError


def _graph_from_text(text: str):
    """The LayerGraph of a networkLayer's canonical text (ValueError/LimitExceeded when it is not one)."""
    memo = _MEMO.get()
    if memo is not None and text in memo:
        return memo[text]
    level = _PARSING.get() + 1
    if level > current_limits().max_network_nesting:
        raise LimitExceeded(f"networkLayer nested more than {describe_limit('max_network_nesting')}")
    token = _PARSING.set(level)
    memo_token = _MEMO.set({}) if memo is None else None
    try:
        graph = _parse_network_text(text)
        _MEMO.get()[text] = graph
        return graph
    finally:
        _PARSING.reset(token)
        if memo_token is not None:
            _MEMO.reset(memo_token)


def _parse_network_text(text: str):
    from ..graph import replaceLayer
    from ..spec import load_spec

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError from None
    if not isinstance(data, dict) or set(data) != {"network", "values"} or not isinstance(data["values"], dict):
        raise ValueError
    try:
        graph = load_spec(data["network"], weights=False)
    except LayerGraphError as exc:
        raise LimitExceeded(f"the nested network is invalid: {_one_line(exc)}") from None
    by_layer: dict = {}
    for key, value in data["values"].items():
        if not isinstance(key, str) or "/" not in key:
            raise LimitExceeded(f"nested value key {key!r} is not '<layer>/<Property>'")
        name, prop = key.rsplit("/", 1)
        try:
            by_layer.setdefault(name, {})[prop] = torch.tensor(value, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError, OverflowError):
            raise LimitExceeded(f"nested value '{key}' is not a numeric array") from None
    for name, values in by_layer.items():
        if not graph.has_layer(name):
            raise LimitExceeded(f"nested value for layer '{name}', which the nested network does not have")
        try:
            graph = replaceLayer(graph, name, graph.layer(name).copy(**values))
        except LayerGraphError as exc:
            raise LimitExceeded(f"nested values of layer '{name}': {_one_line(exc)}") from None
    return graph


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _graph_to_text(graph) -> str:
    from ..spec import spec_text

    for layer in graph.layer_list():
        if layer.IS_OUTPUT:
            raise ValueError
    text, tensors = spec_text(graph)
    values = {key: tensors[key].detach().cpu().to(torch.float32).tolist() for key in sorted(tensors)}
    return json.dumps({"network": json.loads(text), "values": values}, sort_keys=True, separators=(",", ":"))


# canonical text -> nesting depth, and any accepted text -> its canonical text (bounded, least recent out):
# a nested network's text is checked once, not again at every level above it (which made loading
# nested specs exponential in the depth)
_CANONICAL: "OrderedDict[str, tuple[str, int]]" = OrderedDict()
_CACHE_SIZE = 256
_PARSING = contextvars.ContextVar("layergraph_network_nesting", default=0)
# within one parse of a nested network, each nested text is parsed once (the same subtree is reached from
# validation, construction and the layer's mirror of its values)
_MEMO: contextvars.ContextVar = contextvars.ContextVar("layergraph_network_parse_memo", default=None)


def _remember(key: str, canonical: str, depth: int) -> None:
    _CANONICAL[key] = (canonical, depth)
    _CANONICAL.move_to_end(key)
    while len(_CANONICAL) > _CACHE_SIZE:
        _CANONICAL.popitem(last=False)


def _depth_of_graph(graph) -> int:
    """Levels of networkLayer nesting: 1 for a network without networkLayers inside."""
    inner = [_canonical(layer._values["Network"])[1] for layer in graph.layer_list() if isinstance(layer, NetworkLayer)]
    return 1 + max(inner, default=0)


def _canonical(value) -> tuple[str, int]:
    """(canonical text, nesting depth) of a networkLayer's Network value; LimitExceeded past the limit."""
    if isinstance(value, str):
        hit = _CANONICAL.get(value)
        if hit is not None:
            _CANONICAL.move_to_end(value)
            _check_depth(hit[1])
            return hit
    graph = _as_graph(value)
    depth = _depth_of_graph(graph)
    _check_depth(depth)
    text = _graph_to_text(graph)
    _remember(text, text, depth)
    if isinstance(value, str):
        _remember(value, text, depth)
    return text, depth


def _check_depth(depth: int) -> None:
    if depth > current_limits().max_network_nesting:
        raise LimitExceeded(f"networkLayer nested {depth} levels deep exceeds {describe_limit('max_network_nesting')}")


def _network_converter() -> Converter:
    def convert(value):
        return _canonical(value)[0]

    return Converter(
        convert,
        "a dlnetwork, layer graph or layer array without output layers (or its networkLayer JSON text)",
        {"type": "string"},
    )


@register
class NetworkLayer(Layer):
    """Nested network: ``networkLayer(net)``.

    Torch layout in/out: those of the nested network's inputs and outputs. Learnables and states are the
    nested layers', named ``'<inner layer>/<property>'`` (MATLAB layout).
    """

    MATLAB_NAME = "networkLayer"
    EXAMPLE = "networkLayer(dlnetwork([featureInputLayer(4), fullyConnectedLayer(3)]))"
    CLASS_NAME = "NetworkLayer"
    TYPE = "Network"
    DEFAULT_NAME = "network"
    SYNTAX = "networkLayer(net, Name=Value)"
    FAMILY = "utility"
    POSITIONAL = ("Network",)
    OPTIONS = (Option("Network", _network_converter(), required=True),)

    # ---- nested values mirrored as '<inner>/<prop>' entries -----------------------------------------

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._mirror()

    def _mirror(self) -> None:
        """Mirror the nested learned values into ``_values`` under '<inner>/<prop>' (a function of Network)."""
        for key in [k for k in self._values if "/" in k]:
            del self._values[key]
        for layer in self.nested_graph().layer_list():
            for prop in layer.learnable_names() + layer.state_names():
                value = layer._values.get(prop)
                if value is not None:
                    self._values[f"{layer.Name}/{prop}"] = value

    def nested_graph(self):
        cache = self.__dict__.get("_graph_cache")
        if cache is None or cache[0] is not self._values["Network"]:
            try:
                cache = (self._values["Network"], _graph_from_text(self._values["Network"]))
            except (LimitExceeded, ValueError) as exc:   # limits lowered since the layer was made
                raise self.fail(f"invalid nested network: {exc}") from None
            object.__setattr__(self, "_graph_cache", cache)
        return cache[1]

    def _set_nested(self, changes: dict) -> None:
        from ..graph import replaceLayer

        graph = self.nested_graph()
        by_layer: dict = {}
        for key, value in changes.items():
            name, prop = key.rsplit("/", 1)
            if not graph.has_layer(name):
                raise self.fail(f"the nested network has no layer '{name}'.")
            inner = graph.layer(name)
            if prop not in inner.learnable_names() + inner.state_names():
                raise self.fail(f"'{prop}' is not a learnable or state parameter of nested layer '{name}'.")
            if value is not None and not isinstance(value, torch.Tensor):
                value = torch.as_tensor(value, dtype=torch.float32)
            by_layer.setdefault(name, {})[prop] = value
        for name, values in by_layer.items():
            graph = replaceLayer(graph, name, graph.layer(name).copy(**values))
        self._values["Network"] = _graph_to_text(graph)
        self._mirror()

    def __setattr__(self, name, value):
        if not name.startswith("_") and "/" in name:
            self._set_nested({name: value})
            return
        super().__setattr__(name, value)
        if name.lower() == "network":
            self._mirror()

    def __getattr__(self, name):
        if not name.startswith("_") and "/" in name:
            values = self.__dict__.get("_values", {})
            if name in values:
                return values[name]
            inner, prop = name.rsplit("/", 1)
            if self.nested_graph().has_layer(inner):
                return getattr(self.nested_graph().layer(inner), prop)
        return super().__getattr__(name)

    def copy(self, **changes):
        nested = {k: v for k, v in changes.items() if "/" in k}
        plain = {k: v for k, v in changes.items() if "/" not in k}
        new = super().copy(**plain)
        if nested:
            new._set_nested(nested)
        elif "Network" in plain:
            new._mirror()
        return new

    # ---- ports -------------------------------------------------------------------------------------

    def _inner_inputs(self) -> list:
        """(inner layer name, port or None for an input layer) for each input, in layer order."""
        graph = self.nested_graph()
        out = []
        for layer in graph.layer_list():
            if layer.IS_INPUT:
                out.append((layer.Name, None))
                continue
            for port in layer.input_names():
                if graph.source_of(layer.Name, port) is None:
                    out.append((layer.Name, port))
        return out

    def _inner_outputs(self) -> list:
        graph = self.nested_graph()
        used = {(e[0], e[1]) for e in graph.edge_list()}
        return [(layer.Name, port) for layer in graph.layer_list() for port in layer.output_names()
                if (layer.Name, port) not in used]

    def input_names(self):
        n = len(self._inner_inputs())
        return ("in",) if n == 1 else tuple(f"in{i}" for i in range(1, n + 1))

    def output_names(self):
        n = len(self._inner_outputs())
        return ("out",) if n == 1 else tuple(f"out{i}" for i in range(1, n + 1))

    # ---- nested analysis ---------------------------------------------------------------------------

    def _analyze(self, inputs: list[Layout]):
        """(order, {inner: input layouts}, {(inner, port): layout}) for these outer input layouts."""
        from ..analysis import _topological_order

        graph = self.nested_graph()
        layers = graph.layer_list()
        given = dict(zip(self._inner_inputs(), inputs))
        order = _topological_order(layers, graph.edge_list(), set())
        if len(order) != len(layers):
            raise LayoutError(f"{self.label()}: the nested network must be acyclic.")
        in_layouts: dict = {}
        values: dict = {}
        for name in order:
            layer = graph.layer(name)
            if layer.IS_INPUT:
                declared = layer.infer([])
                outer = given[(name, None)]
                if not outer.same_size(declared[0]) or outer.format != declared[0].format:
                    raise LayoutError(
                        f"Invalid input data for nested input layer '{name}'. It expects input of size "
                        f"{declared[0].matlab_size()} (format '{declared[0].format}'), but received input of size "
                        f"{outer.matlab_size()} (format '{outer.format}')."
                    )
                lays = []
                outs = declared
            else:
                lays = []
                for port in layer.input_names():
                    src = graph.source_of(name, port)
                    lays.append(given[(name, port)] if src is None else values[src])
                try:
                    outs = layer.infer(lays)
                except LayoutError as exc:
                    raise LayoutError(f"Nested layer '{name}': {exc}") from None
            in_layouts[name] = lays
            for port, lay in zip(layer.output_names(), outs):
                values[(name, port)] = lay
        return order, in_layouts, values

    def infer(self, inputs):
        _, _, values = self._analyze(inputs)
        return [values[key] for key in self._inner_outputs()]

    def _split(self, prop: str):
        name, inner_prop = prop.rsplit("/", 1)
        return self.nested_graph().layer(name), inner_prop

    def learnable_sizes(self, inputs):
        _, in_layouts, _ = self._analyze(inputs)
        out = {}
        for layer in self.nested_graph().layer_list():
            for prop, shape in layer.learnable_sizes(in_layouts[layer.Name]).items():
                out[f"{layer.Name}/{prop}"] = tuple(shape)
        return out

    def state_sizes(self, inputs):
        _, in_layouts, _ = self._analyze(inputs)
        out = {}
        for layer in self.nested_graph().layer_list():
            for prop, shape in layer.state_sizes(in_layouts[layer.Name]).items():
                out[f"{layer.Name}/{prop}"] = tuple(shape)
        return out

    def learnable_names(self):
        return [f"{layer.Name}/{p}" for layer in self.nested_graph().layer_list() for p in layer.learnable_names()]

    def state_names(self):
        return [f"{layer.Name}/{p}" for layer in self.nested_graph().layer_list() for p in layer.state_names()]

    def learnable_factors(self, prop):
        layer, inner = self._split(prop)
        return layer.learnable_factors(inner)

    def _inner_inputs_of(self, name, inputs):
        _, in_layouts, _ = self._analyze(inputs)
        return in_layouts[name]

    def initial_value(self, prop, inputs):
        layer, inner = self._split(prop)
        value = layer._values.get(inner)
        if value is not None:
            return value
        return layer.initial_value(inner, self._inner_inputs_of(layer.Name, inputs))

    def to_torch(self, prop, value, inputs):
        layer, inner = self._split(prop)
        return layer.to_torch(inner, value, self._inner_inputs_of(layer.Name, inputs))

    def from_torch(self, prop, value, inputs):
        layer, inner = self._split(prop)
        return layer.from_torch(inner, value, self._inner_inputs_of(layer.Name, inputs))

    def torch_attribute(self, prop):
        from ..compile import module_names

        layer, inner = self._split(prop)
        names = module_names([lay.Name for lay in self.nested_graph().layer_list()])
        return f"layers.{names[layer.Name]}.{layer.torch_attribute(inner)}"

    def build(self, inputs):
        from ..compile import module_names

        graph = self.nested_graph()
        order, in_layouts, _ = self._analyze(inputs)
        names = module_names([lay.Name for lay in graph.layer_list()])
        modules = {names[name]: graph.layer(name).build(in_layouts[name]) for name in order}
        position = {key: i for i, key in enumerate(self._inner_inputs())}
        plan = []
        for name in order:
            layer = graph.layer(name)
            if layer.IS_INPUT:
                args = [("input", position[(name, None)])]
            else:
                args = []
                for port in layer.input_names():
                    src = graph.source_of(name, port)
                    args.append(("input", position[(name, port)]) if src is None else ("value", src))
            plan.append((names[name], name, tuple(args), tuple(layer.output_names())))
        return NestedNetworkModule(modules, plan, self._inner_outputs())

    def description(self):
        n = len(self.nested_graph().layer_list())
        return f"Network with {n} layers"


class NestedNetworkModule(nn.Module):
    """Runs the nested layers' modules in topological order; forward(*inputs) in the layer's input order."""

    def __init__(self, modules: dict, plan: list, outputs: list):
        super().__init__()
        self.layers = nn.ModuleDict(modules)
        self.plan = plan
        self.outputs = outputs

    def forward(self, *inputs):
        values: dict = {}
        for ident, name, args, ports in self.plan:
            xs = [inputs[ref] if kind == "input" else values[ref] for kind, ref in args]
            y = self.layers[ident](*xs)
            if len(ports) == 1:
                values[(name, ports[0])] = y
            else:
                for port, item in zip(ports, y):
                    values[(name, port)] = item
        outs = tuple(values[key] for key in self.outputs)
        return outs[0] if len(outs) == 1 else outs


__all__ = ["NetworkLayer", "NestedNetworkModule"]
