"""The compiled network: a torch.fx GraphModule with MATLAB's network properties and functions.

``assembleNetwork`` keeps output (loss) layers: ``forward`` returns what reaches them (e.g. softmax
scores) and :meth:`Network.loss` computes their loss. ``dlnetwork`` refuses output layers.
"""

from __future__ import annotations

import copy
import inspect
import math
import numpy as np
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import torch
from torch import fx, nn

from .analysis import NetworkAnalysis, analyze, analyze_graph
from .compile import compile_network
from .errors import GraphError, NetworkError, OptionError, PredictionError
from .functions import matlab_function
from .graph import ConnectionTable, LayerArray, LayerGraph, addLayers, connectLayers, layerGraph
from .layers.base import Layer, LayoutFold, num_str
from .learnables import LearnableSource, LearnableTable


@dataclass
class NetworkMeta:
    graph: LayerGraph
    analysis: NetworkAnalysis
    module_names: dict
    input_names: list
    output_names: list
    output_layers: list
    kind: str  # "assembled" | "dlnetwork"
    extra: dict = field(default_factory=dict)


def _find_tensor(module: nn.Module, attribute: str):
    for candidate in (module, getattr(module, "inner", None)):
        if candidate is None:
            continue
        value = candidate
        try:
            for part in attribute.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        if isinstance(value, torch.Tensor):
            return value
    return None


def _find_owner(module: nn.Module, attribute: str, tensor: torch.Tensor):
    """(object, attribute name) whose attribute is ``tensor`` (for swapping a state buffer)."""
    for candidate in (module, getattr(module, "inner", None)):
        if candidate is None:
            continue
        obj = candidate
        parts = attribute.split(".")
        try:
            for part in parts[:-1]:
                obj = getattr(obj, part)
            if getattr(obj, parts[-1]) is tensor:
                return obj, parts[-1]
        except AttributeError:
            continue
    return None


def port_value(net, env: dict, key: str):
    """The value of layer output ``key`` ('layer/port') after an fx.Interpreter run (``env``): its graph
    node's, or for a sigmoid fused into a swish (compile._swish_pairs) the sigmoid of its input."""
    derived = net._lg.extra.get("derived_ports", {})
    by_name = {n.name: n for n in net.graph.nodes}
    if key in derived:
        node_name, fn = derived[key]
        return {"sigmoid": torch.sigmoid}[fn](env[by_name[node_name]])
    return env[by_name[net._lg.extra["port_nodes"][key]]]


class Network(fx.GraphModule):
    """A compiled MATLAB network: an ``nn.Module`` taking and returning torch-layout tensors.

    Inputs are positional in ``InputNames`` order; outputs come in ``OutputNames`` order (a tensor
    when there is one). ``Layers`` shows the current values in MATLAB layout.
    """

    # What MATLAB code may touch (layergraph/matlab/access.py); nothing of nn.Module is reachable
    MATLAB_PROPERTIES = ("Layers", "Connections", "InputNames", "OutputNames", "Learnables", "State", "Initialized")
    MATLAB_SETTABLE = ("Learnables", "State")   # net.State = state, net.Learnables.Value{k} = v (custom loops)
    MATLAB_HANDLE = True     # assigned in place, as the update functions update it (docs/custom-loops.md)
    MATLAB_METHODS = ("predict", "classify", "activations", "forward", "summary", "analyzeNetwork", "layerGraph",
                      "plot", "initialize")

    def __init__(self, root: nn.Module, graph: fx.Graph, meta: NetworkMeta):
        super().__init__(root, graph, class_name="Network")
        self._lg = meta

    def __call__(self, *args, **kwargs):
        # the input check lives here, outside the generated forward, so torch.compile, fx and ONNX
        # export see a clean graph (a pre-hook would also work but costs ~20 us per call)
        _check_network_inputs(self, args)
        return super().__call__(*args, **kwargs)

    def __setattr__(self, name, value):
        # net.State = state / net.Learnables = t run every iteration of a custom loop: go straight to the
        # property setters instead of nn.Module's attribute bookkeeping
        if name in ("State", "Learnables"):
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.__dict__.pop("_lg_sources", None)
        result.__dict__.pop("_lg_dl_leaves", None)
        result._lg = replace(self._lg)
        return result

    # ---- MATLAB properties -------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._lg.kind

    @property
    def InputNames(self) -> list[str]:
        return list(self._lg.input_names)

    @property
    def OutputNames(self) -> list[str]:
        if self._lg.kind == "assembled":
            return list(self._lg.graph.OutputNames)
        return list(self._lg.output_names)

    @property
    def Connections(self) -> ConnectionTable:
        return self._lg.graph.Connections

    @property
    def Initialized(self) -> bool:
        return True

    def layer_module(self, name: str) -> nn.Module:
        if name not in self._lg.module_names:
            raise GraphError(f"Layer '{name}' does not exist in the network.")
        return self.get_submodule(self._lg.module_names[name])

    def _tensor_props(self, layer: Layer) -> list[str]:
        return layer.learnable_names() + layer.state_names() + list(getattr(layer, "BUFFERS", ()))

    def trained_layer(self, name: str) -> Layer:
        """The layer ``name`` with its current learnable, state and normalization values (MATLAB layout)."""
        graph = self._lg.graph
        layer = graph.layer(name)
        inputs = self._lg.analysis.input_layouts.get(name, [])
        changes = dict(layer.resolve(inputs)) if (inputs or layer.IS_INPUT) else {}
        if name in self._lg.module_names and hasattr(self, self._lg.module_names[name]):
            module = self.layer_module(name)
            for prop in self._tensor_props(layer):
                tensor = _find_tensor(module, layer.torch_attribute(prop))
                if tensor is None or tensor.numel() == 0:
                    continue
                changes[prop] = layer.from_torch(prop, tensor.detach().cpu().clone().float(), inputs)
        return layer.copy(**changes)

    @property
    def Layers(self) -> LayerArray:
        return LayerArray(self.trained_layer(layer.Name) for layer in self._lg.graph.layer_list())

    def learnable_sources(self, kind: str = "learnable") -> list[tuple[str, str, LearnableSource]]:
        """(layer, property, source) for every learnable (``kind="learnable"``) or state (``"state"``) tensor.

        A source holds the module's tensor (torch layout) and the converters to and from MATLAB layout.
        Computed once per network object.
        """
        cache = self.__dict__.setdefault("_lg_sources", {})
        if kind in cache:
            return cache[kind]
        rows = []
        for layer in self._lg.graph.layer_list():
            if layer.Name not in self._lg.module_names or not hasattr(self, self._lg.module_names[layer.Name]):
                continue
            module = self.layer_module(layer.Name)
            inputs = self._lg.analysis.input_layouts.get(layer.Name, [])
            resolved = layer.copy(**dict(layer.resolve(inputs))) if (inputs or layer.IS_INPUT) else layer
            names = resolved.learnable_names() if kind == "learnable" else resolved.state_names()
            for prop in names:
                tensor = _find_tensor(module, resolved.torch_attribute(prop))
                if tensor is None or tensor.numel() == 0:
                    continue
                rows.append((layer.Name, prop, LearnableSource(
                    tensor,
                    lambda t, lay=resolved, p=prop, ins=inputs: lay.from_torch(p, t, ins),
                    lambda v, lay=resolved, p=prop, ins=inputs: lay.to_torch(p, v, ins),
                    _find_owner(module, resolved.torch_attribute(prop), tensor),
                    prop in getattr(resolved, "RESIZABLE_STATE", ()),
                )))
        cache[kind] = rows
        return rows

    def table_rows(self, kind: str) -> tuple[tuple, tuple, tuple]:
        """(layer names, parameter names, sources) of :meth:`learnable_sources`, as tuples kept per network:
        the tables of a custom loop (Learnables, State, gradients, solver states) share them."""
        cache = self.__dict__.setdefault("_lg_sources", {})
        rows = cache.get(kind + "-rows")
        if rows is None:
            sources = self.learnable_sources(kind)
            rows = cache[kind + "-rows"] = (tuple(r[0] for r in sources), tuple(r[1] for r in sources),
                                            tuple(r[2] for r in sources))
        return rows

    def table_converters(self, kind: str) -> tuple[tuple, tuple]:
        """(torch tensors, their to-MATLAB-layout converters) of :meth:`table_rows`' sources."""
        cache = self.__dict__.setdefault("_lg_sources", {})
        engine = cache.get(kind + "-engine")
        if engine is None:
            sources = self.table_rows(kind)[2]
            engine = cache[kind + "-engine"] = (tuple(src.tensor for src in sources),
                                                tuple(src.to_matlab for src in sources))
        return engine

    def _table(self, kind: str) -> LearnableTable:
        cache = self.__dict__.get("_lg_sources")
        made = cache.get(kind + "-table") if cache is not None else None
        if made is None:
            made = self._table_parts(kind)
        return LearnableTable.lazy(*made, network_rows=True)

    def _table_parts(self, kind: str) -> tuple:
        """What :meth:`_table` makes its tables of (kept per network: net.Learnables is read every iteration)."""
        layers, params, sources = self.table_rows(kind)
        cache = self.__dict__["_lg_sources"]
        writer = cache.get(kind + "-writer")
        if writer is None:
            what = "Learnables" if kind == "learnable" else "State"
            network = weakref.ref(self)         # the network keeps the writer: no reference cycle

            def writer(i, value):
                net = network()
                if net is not None:
                    net._assign_table(LearnableTable([layers[i]], [params[i]], [value]), kind, what)
            cache[kind + "-writer"] = writer
        tensors, converters = self.table_converters(kind)
        made = cache[kind + "-table"] = (layers, params, tensors, converters, sources, writer)
        return made

    @property
    def Learnables(self) -> LearnableTable:
        """``net.Learnables``: a table (Layer, Parameter, Value); Values are dlarrays in MATLAB layout.

        Assigning a table (``net.Learnables = t``) writes its values into the network's parameters.
        """
        return self._table("learnable")

    @Learnables.setter
    def Learnables(self, table) -> None:
        self._assign_table(table, "learnable", "Learnables")

    @property
    def State(self) -> LearnableTable:
        """``net.State``: a table (Layer, Parameter, Value) of the state tensors (batch norm statistics, RNN states)."""
        return self._table("state")

    @State.setter
    def State(self, table) -> None:
        self._assign_table(table, "state", "State")

    def _assign_table(self, table, kind: str, what: str) -> None:
        if not isinstance(table, LearnableTable):
            raise NetworkError([], f"net.{what} must be assigned a table with variables Layer, Parameter and Value.")
        layers, params, sources = self.table_rows(kind)
        row_layers, row_params = table._row_names()
        if row_layers is layers and row_params is params:
            targets = sources          # a table made from this network's rows (forward's state, ...): by position
        else:
            cache = self.__dict__["_lg_sources"]
            index = cache.get(kind + "-index")
            if index is None:
                index = cache[kind + "-index"] = dict(zip(zip(layers, params), sources))
            targets = []
            for layer, prop in zip(row_layers, row_params):
                src = index.get((layer, prop))
                if src is None:
                    raise GraphError(f"net.{what}: the network has no {kind} parameter '{prop}' in layer '{layer}'.")
                targets.append(src)
        tensors, values_in, resized = [], [], []
        engine = table.engine_values()
        values = table.value_list() if engine is None else None
        for i, (layer, prop, src) in enumerate(zip(row_layers, row_params, targets)):
            if engine is not None:             # a table of torch-layout values (forward's state, ...)
                torch_value = engine[i]
                if torch_value is src.tensor:
                    continue
                value = None
            else:
                value = values[i]
                if getattr(value, "_source", None) is src:
                    continue
                torch_value = getattr(value, "_torch", None)
            if torch_value is None:
                data = value.data if hasattr(value, "data") and not isinstance(value, (torch.Tensor, np.ndarray)) \
                    else value
                try:
                    torch_value = src.to_torch(torch.as_tensor(data).detach().to(src.tensor.dtype))
                except (TypeError, ValueError, RuntimeError):
                    raise GraphError(f"net.{what}: value for '{layer}/{prop}' must be a numeric array or dlarray.") from None
            if torch_value is not None and torch_value.shape != src.tensor.shape:
                if src.resizable:
                    torch_value = _state_columns(torch_value, src.tensor)
                elif torch_value.numel() == src.tensor.numel():
                    torch_value = torch_value.reshape(src.tensor.shape)
                else:
                    torch_value = None
            if torch_value is None:
                raise GraphError(f"net.{what}: value for '{layer}/{prop}' has the wrong size.")
            if torch_value.shape != src.tensor.shape:           # a recurrent state with another number of columns
                resized.append((src.tensor, torch_value))
                continue
            tensors.append(src.tensor)
            values_in.append(torch_value)
        # every value checked first: a bad table leaves the network unchanged
        traced = False
        for tensor, value in zip(tensors, values_in):
            if tensor.requires_grad or value.requires_grad:
                traced = True
                break
        if traced:
            with torch.no_grad():
                _copy_all(tensors, values_in)
        elif tensors:
            _copy_all(tensors, values_in)        # nothing traced on either side: nothing for autograd to record
        for tensor, value in resized:
            tensor.data = value.detach().to(tensor.dtype).clone()      # same tensor object, new shape

    def to_layer_graph(self) -> LayerGraph:
        """``layerGraph(net)``: the graph with the current values in its layers."""
        graph = LayerGraph()
        for layer in self.Layers:
            graph = addLayers(graph, layer)
        for src, sport, dst, dport in self._lg.graph.edge_list():
            graph = connectLayers(graph, f"{src}/{sport}", f"{dst}/{dport}")
        return graph

    def set_layer_values(self, name: str, **values) -> None:
        """Set non-tensor properties of a layer (e.g. the output layer's Classes after training)."""
        layer = self._lg.graph.layer(name).copy()
        for key, value in values.items():
            setattr(layer, key, value)
        from .graph import replaceLayer

        self._lg.graph = replaceLayer(self._lg.graph, name, layer)

    # ---- learnables and training support -----------------------------------------------------------

    def parameter_info(self) -> list[tuple[str, str, nn.Parameter, float, float]]:
        """(layer, property, parameter, learn-rate factor, L2 factor) for every learnable."""
        out = []
        for layer in self._lg.graph.layer_list():
            if layer.Name not in self._lg.module_names or not hasattr(self, self._lg.module_names[layer.Name]):
                continue
            module = self.layer_module(layer.Name)
            for prop in layer.learnable_names():
                tensor = _find_tensor(module, layer.torch_attribute(prop))
                if isinstance(tensor, nn.Parameter):
                    lr, l2 = layer.learnable_factors(prop)
                    out.append((layer.Name, prop, tensor, lr, l2))
        return out

    def output_layer(self, index: int = 0) -> Layer:
        if not self._lg.output_layers:
            raise NetworkError([], "loss")
        return self._lg.graph.layer(self._lg.graph.OutputNames[index])

    def loss(self, outputs, targets) -> torch.Tensor:
        """The loss of the output layer(s), normalised as MATLAB does (sum over several outputs)."""
        if self._lg.kind != "assembled":
            raise OptionError("This network has no output layers (dlnetwork); use a loss function such as trainnet's.")
        outs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
        tgts = targets if isinstance(targets, (tuple, list)) and len(outs) > 1 else (targets,)
        total = None
        for i, (y, t) in enumerate(zip(outs, tgts)):
            layer = self.output_layer(i)
            if "layout" in inspect.signature(layer.loss).parameters:
                term = layer.loss(y, t, layout=self._lg.analysis.input_layouts[layer.Name][0])
            else:
                term = layer.loss(y, t)
            total = term if total is None else total + term
        return total

    def activations(self, *inputs, layer: str):
        """The output of ``layer`` (``'name'`` or ``'name/port'``) for these inputs, in torch layout."""
        ports = {**self._lg.extra.get("port_nodes", {}), **self._lg.extra.get("derived_ports", {})}
        key = layer if "/" in layer else None
        if key is None:
            matches = [k for k in ports if k.split("/", 1)[0] == layer]
            if not matches:
                raise GraphError(f"Layer '{layer}' has no activations in this network (unknown or an output layer).")
            key = matches[0]
        if key not in ports:
            raise GraphError(f"'{layer}' is not a layer output of this network.")
        interpreter = fx.Interpreter(self, garbage_collect_values=False)
        interpreter.run(*inputs)
        return port_value(self, interpreter.env, key)

    def predict(self, *inputs):
        """Forward in inference mode (dropout off, batch norm uses trained statistics), without gradients.

        Inputs are torch-layout tensors or NumPy arrays (converted to float32).
        """
        inputs = tuple(_as_input_tensor(x, self) for x in inputs)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return self(*inputs)
        finally:
            self.train(was_training)

    # ---- display -----------------------------------------------------------------------------------

    def matlab_class(self) -> str:
        if self._lg.kind == "dlnetwork":
            return "dlnetwork"
        graph = self._lg.graph
        edges = graph.edge_list()
        layers = graph.layer_list()
        chain = len(edges) == len(layers) - 1 and all(
            len(layer.input_names()) <= 1 and len(layer.output_names()) <= 1 for layer in layers
        ) and len(graph.InputNames) == 1
        return "SeriesNetwork" if chain else "DAGNetwork"

    def __str__(self) -> str:
        cls = self.matlab_class()
        n = len(self._lg.graph.layer_list())
        rows = [("Layers", f"[{n}×1 nnet.cnn.layer.Layer]")]
        if cls != "SeriesNetwork":
            rows.append(("Connections", f"[{len(self._lg.graph.edge_list())}×2 table]"))
        if cls == "dlnetwork":
            rows.append(("Learnables", f"[{len(self.Learnables)}×3 table]"))
            rows.append(("State", f"[{len(self.State)}×3 table]"))
        rows.append(("InputNames", _cellstr(self.InputNames)))
        rows.append(("OutputNames", _cellstr(self.OutputNames)))
        if cls == "dlnetwork":
            rows.append(("Initialized", "1"))
        lines = [f"  {cls} with properties:", ""] + [f"{k:>15}: {v}" for k, v in rows]
        if cls == "dlnetwork":
            lines += ["", "  View summary with summary."]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return self.__str__()


def _as_input_tensor(x, net: "Network"):
    if isinstance(x, torch.Tensor):
        return x
    try:
        import numpy as np

        array = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise PredictionError(f"predict: inputs must be tensors or numeric arrays, got {type(x).__name__}.") from None
    parameter = next(net.parameters(), None)
    return torch.from_numpy(array).to(parameter.device if parameter is not None else "cpu")


def _torch_layout_text(layout, batch: str = "N") -> str:
    dims = [batch] + (["T"] if layout.has_time else []) + [str(layout.channels)]
    dims += [str(s) if s is not None else "?" for s in layout.spatial]
    return "×".join(dims)


def _matlab_layout_text(layout) -> str:
    dims = [str(s) if s is not None else "?" for s in layout.spatial] + [str(layout.channels)]
    if layout.has_time:
        return "×".join(dims) + "×N×T" if layout.spatial else f"{layout.channels}×T per sequence (C×T)"
    return "×".join(dims) + "×N"


def permute_hint(layout) -> str:
    """How to turn MATLAB-layout data for this input layout into torch layout (empty when nothing to say)."""
    k = len(layout.spatial)
    if layout.has_time:
        if k == 0:
            return " From MATLAB (a cell of C×T sequences)? Give a list of T×C arrays, or an N×T×C tensor."
        return ""
    if k == 2:
        return " H×W×C×N from MATLAB? use x.permute(3, 2, 0, 1)."
    if k == 3:
        return " H×W×D×C×N from MATLAB? use x.permute(4, 3, 0, 1, 2)."
    return ""


def _input_specs(net: "Network") -> list:
    """Per network input: (name, layout, rank, channel dim, channels, known spatial sizes or None)."""
    specs = []
    for name in net._lg.input_names:
        layouts = net._lg.analysis.output_layouts.get(name)
        if not layouts:
            specs.append((name, None, 0, 0, 0, None))
            continue
        layout = layouts[0]
        cdim = 2 if layout.has_time else 1
        spatial = tuple(layout.spatial)
        specs.append((name, layout, 2 + int(layout.has_time) + len(spatial), cdim, layout.channels,
                      None if any(s is None for s in spatial) else torch.Size(spatial)))
    return specs


def _state_columns(value: torch.Tensor, tensor: torch.Tensor) -> torch.Tensor | None:
    """A recurrent state value (torch layout) for the state tensor ``tensor``: dH (one column, the same
    for every observation) or N×dH (one column per observation); None when its size does not fit."""
    channels = tensor.shape[-1]
    if value.numel() == channels:
        return value.reshape(channels)
    if value.dim() == 2 and value.shape[1] == channels:
        return value
    return None


def _copy_all(tensors: list, values: list) -> None:
    """``tensors[i].copy_(values[i])`` for every i (one torch operation where torch has it)."""
    if _FOREACH_COPY is not None and len(tensors) > 1:
        _FOREACH_COPY(tensors, values)
    else:
        for tensor, value in zip(tensors, values):
            tensor.copy_(value)


_FOREACH_COPY = getattr(torch, "_foreach_copy_", None)


def _check_network_inputs(net: "Network", args: tuple):
    """Every input must match its input layer in rank, channels and known spatial sizes (MATLAB's check)."""
    specs = net.__dict__.get("_input_check")
    if specs is None:
        specs = net.__dict__["_input_check"] = _input_specs(net)
    if len(args) != len(specs):
        raise PredictionError(f"The network has {len(specs)} input(s) ({', '.join(s[0] for s in specs)}) but was "
                              f"called with {len(args)}.")
    for (name, layout, rank, cdim, channels, spatial), x in zip(specs, args):
        if layout is None or not isinstance(x, torch.Tensor):
            continue
        shape = x.shape
        if len(shape) == rank and shape[cdim] == channels and (spatial is None or shape[cdim + 1:] == spatial):
            continue
        if spatial is None and len(shape) == rank and shape[cdim] == channels:
            if all(w is None or g == w for g, w in zip(shape[cdim + 1:], layout.spatial)):
                continue
        raise PredictionError(
            f"Input layer '{name}' expects {_matlab_layout_text(layout)} in MATLAB layout, which is "
            f"{_torch_layout_text(layout)} in torch layout; got a tensor of size "
            f"{'×'.join(str(d) for d in shape)}.{permute_hint(layout)}")
    return None


def _cellstr(names) -> str:
    return "{" + "  ".join(f"'{n}'" for n in names) + "}" if names else "{}"


def _graph_of(x, function: str) -> tuple[LayerGraph, list]:
    from .analysis import graph_from_layer_array

    if isinstance(x, LayerGraph):
        return layerGraph(x), []      # an UninitializedNetwork is read as the plain graph it holds
    if isinstance(x, Network):
        return x.to_layer_graph(), []
    if isinstance(x, (list, tuple, Layer)) or getattr(x, "layer_class", None) is not None:
        return graph_from_layer_array(x if isinstance(x, (list, tuple)) else [x])
    raise GraphError(f"{function}: Layers argument must be an array of layers or a layer graph.")


def _build(x, *, target: str, kind: str, function: str) -> Network:
    graph, extra = _graph_of(x, function)
    analysis = analyze_graph(graph, target)
    issues = extra + analysis.errors
    if issues:
        raise NetworkError(issues, function)
    return compile_network(graph, analysis, kind=kind, function=function)


@matlab_function(outputs=("net",))
def assembleNetwork(layers) -> Network:
    """``net = assembleNetwork(layers_or_lgraph)``: a ready-to-predict network that keeps its output layers.

    Learnables left empty are initialized with the layers' initializers (MATLAB requires them set).
    """
    return _build(layers, target="trainNetwork", kind="assembled", function="assembleNetwork")


class UninitializedNetwork(LayerGraph):
    """An uninitialized dlnetwork (MATLAB's ``net = dlnetwork`` or ``dlnetwork(layers, Initialize=false)``).

    A layer graph in progress: ``addLayers``, ``removeLayers``, ``replaceLayer``, ``connectLayers`` and
    ``disconnectLayers`` return another uninitialized dlnetwork (value semantics, as for a LayerGraph);
    ``initialize(net)`` (or ``dlnetwork(net)``) checks it and builds the initialized :class:`Network`.
    """

    __slots__ = ()
    MATLAB_PROPERTIES = LayerGraph.MATLAB_PROPERTIES + ("Initialized",)
    MATLAB_METHODS = LayerGraph.MATLAB_METHODS + ("initialize", "summary")

    @property
    def Initialized(self) -> bool:
        return False

    @property
    def InputNames(self) -> list[str]:
        """Input layers and the unconnected inputs of other layers (a dlnetwork's inputs), in Layers order."""
        fed = {(d, dp) for _, _, d, dp in self.edge_list()}
        out = []
        for layer in self.layer_list():
            if layer.IS_INPUT:
                out.append(layer.Name)
            else:
                out += [self._port_string(layer.Name, p, output=False) for p in layer.input_names()
                        if (layer.Name, p) not in fed]
        return out

    @property
    def OutputNames(self) -> list[str]:
        """Layers whose outputs are not connected (a dlnetwork's outputs)."""
        used = {s for s, _, _, _ in self.edge_list()}
        return [layer.Name for layer in self.layer_list() if layer.output_names() and layer.Name not in used]

    def __str__(self) -> str:
        layers = self.layer_list()
        n, c = len(layers), len(self.edge_list())
        learn = sum(len(layer.learnable_names()) for layer in layers)
        state = sum(len(layer.state_names()) for layer in layers)
        rows = [("Layers", f"[{n}×1 nnet.cnn.layer.Layer]"), ("Connections", f"[{c}×2 table]"),
                ("Learnables", f"[{learn}×3 table]"), ("State", f"[{state}×3 table]"),
                ("InputNames", _cellstr(self.InputNames)), ("OutputNames", _cellstr(self.OutputNames)),
                ("Initialized", "0")]
        lines = ["  dlnetwork with properties:", ""] + [f"{k:>15}: {v}" for k, v in rows]
        return "\n".join(lines + ["", "  View summary with summary."]) + "\n"

    __repr__ = __str__


@matlab_function(outputs=("net",))
def dlnetwork(layers=None, *args, Initialize: bool = True):
    """``net = dlnetwork(layers_or_lgraph)``: an initialized network without output layers.

    ``net = dlnetwork`` (no layers) and ``dlnetwork(layers, Initialize=false)`` give an
    :class:`UninitializedNetwork` to build with ``addLayers``/``connectLayers`` and then ``initialize``.
    """
    if len(args) % 2:
        raise OptionError("dlnetwork: name-value arguments must come in pairs.")
    for key, value in zip(args[::2], args[1::2]):
        if not isinstance(key, str) or key.lower() != "initialize":
            raise OptionError(f"dlnetwork: '{key}' is not an option. Valid option: 'Initialize'.")
        Initialize = bool(value)
    if layers is None:
        return UninitializedNetwork()
    if not Initialize:
        graph, extra = _graph_of(layers, "dlnetwork")
        if extra:
            raise NetworkError(extra, "dlnetwork")
        return UninitializedNetwork._from_version(graph._version)
    return _build(layers, target="dlnetwork", kind="dlnetwork", function="dlnetwork")


def summary_text(net) -> str:
    """The text ``summary(net)`` prints (initialized, number of learnables, inputs); see :func:`summary`."""
    from .analysis import _count_str

    if isinstance(net, Network):
        total = sum(p.numel() for _, _, p, _, _ in net.parameter_info())
        graph, initialized, names = net._lg.graph, True, net.InputNames
    else:
        graph, extra = _graph_of(net, "summary")
        if extra:
            raise NetworkError(extra, "summary")
        initialized = False
        analysis = analyze_graph(graph, "dlnetwork")
        total = analysis.TotalLearnables
        names = graph.InputNames
    lines = [f"   Initialized: {'true' if initialized else 'false'}", ""]
    if isinstance(total, float) and math.isnan(total):
        lines.append("   Number of learnables: NaN (the layers have errors)")
    else:
        lines.append(f"   Number of learnables: {_count_str(total)}")
    lines += ["", "   Inputs:"]
    for i, name in enumerate(names, 1):
        lines.append(f"      {i}   '{name}'   {graph.layer(name).description()}")
    return "\n".join(lines) + "\n"


@matlab_function(outputs=())
def summary(net, name: str | None = None) -> None:
    """``summary(X)``, one MATLAB name dispatching on its argument; prints and returns nothing (so a
    Python prompt shows the text once; :func:`summary_text` returns it).

    ``summary(net)`` prints initialized, number of learnables and the inputs of a dlnetwork (initialized
    or not); ``summary(A)`` of a categorical prints each category with its count (``name`` is the variable
    name MATLAB shows). Extension: ``summary(layers)`` of a layer array or LayerGraph prints the same for
    the network those layers would make (MATLAB documents summary for dlnetwork objects only)."""
    from .values import Categorical

    if isinstance(net, Categorical):
        print(net.summary_text(name), end="")
        return None
    if not isinstance(net, (Network, LayerGraph, Layer, list, tuple)) and getattr(net, "layer_class", None) is None:
        raise OptionError(f"summary: expected a network or a categorical array (or a layer array), not {type(net).__name__}")
    print(summary_text(net))
    return None


__all__ = ["Network", "UninitializedNetwork", "assembleNetwork", "dlnetwork", "summary", "summary_text"]
