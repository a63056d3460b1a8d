"""LayerGraph -> torch.fx GraphModule, built directly from the DAG (no tracing).

Each layer becomes one submodule named after the layer; the generated ``forward`` calls them in
topological order, so there is no per-call graph walking.
"""

from __future__ import annotations

import keyword
import operator
import re

import torch
from torch import fx, nn

from .analysis import NetworkAnalysis, analyze_graph
from .errors import LayerGraphError, LayoutError, NetworkError, OptionError
from .graph import LayerGraph
from .layers.base import Layer


def module_names(layer_names: list[str]) -> dict[str, str]:
    """Valid, unique Python identifiers for layer names (``conv-1`` -> ``conv_1_``), stable across builds."""
    taken: set[str] = set()
    out = {}
    reserved = set(dir(nn.Module)) | set(dir(fx.GraphModule))
    try:   # the assembled network's own methods too (a layer named 'loss' or 'predict')
        from .network import Network

        reserved |= set(dir(Network))
    except ImportError:  # pragma: no cover - network.py imports this module first
        pass
    for name in layer_names:
        ident = re.sub(r"\W", "_", name)
        if not ident or ident[0].isdigit():
            ident = "layer_" + ident
        if keyword.iskeyword(ident) or ident in reserved:
            ident += "_"
        base, k = ident, 1
        while ident in taken:
            ident = f"{base}_{k}"
            k += 1
        taken.add(ident)
        out[name] = ident
    return out


def build_modules(graph: LayerGraph, analysis: NetworkAnalysis) -> dict[str, nn.Module]:
    """One torch module per layer, built for the analysed input sizes; raises NetworkError on failure."""
    modules = {}
    issues = []
    for name in analysis.order:
        layer = graph.layer(name)
        try:
            modules[name] = layer.build(analysis.input_layouts.get(name, []))
        except (LayoutError, OptionError, LayerGraphError) as exc:
            from .analysis import Issue

            issues.append(Issue("Error", name, str(exc)))
    if issues:
        raise NetworkError(issues)
    return modules


def _lowering(module: nn.Module, n_inputs: int):
    """How a stateless layer runs in the generated forward: ("alias",), ("function", fn, kwargs) or None.

    Calling a function instead of a module saves the ~2 us module-call overhead per layer, which
    dominates small networks; the layer's submodule stays registered for inspection.
    """
    from .layers.combination import AddModule
    from .layers.input import InputNormalization
    from .layers.output import SoftmaxModule

    if type(module) is nn.ReLU:
        return ("function", torch.relu, {})
    if type(module) is nn.Identity:
        return ("alias",)
    if type(module) is InputNormalization and module.mode == "none":
        return ("alias",)
    if type(module) is AddModule and n_inputs == 2:
        return ("function", operator.add, {})
    if type(module) is SoftmaxModule:
        return ("function", torch.softmax, {"dim": module.dim})
    return None


def _swish_pairs(graph: LayerGraph, modules: dict) -> dict[str, str]:
    """{multiplication layer: sigmoid layer} where ``x .* sigmoid(x)`` is written as a sigmoidLayer whose
    only consumer is a two-input multiplicationLayer whose other input is the sigmoid's own input
    (MATLAB's efficientnetb0 writes every swish so). The generated forward computes such a pair as one
    ``F.silu`` (one pass over the activation instead of three); the sigmoid's output stays readable
    through ``activations`` (computed from its input on demand, see ``derived_ports``)."""
    from collections import Counter

    from .layers.combination import MultiplyModule

    consumers = Counter((s, sp) for s, sp, _, _ in graph.edge_list())
    pairs = {}
    for layer in graph.layer_list():
        if type(modules.get(layer.Name)) is not MultiplyModule or len(layer.input_names()) != 2:
            continue
        sources = [graph.source_of(layer.Name, p) for p in layer.input_names()]
        for i in (0, 1):
            sig, port = sources[i]
            if (type(modules.get(sig)) is nn.Sigmoid and consumers[(sig, port)] == 1
                    and graph.source_of(sig, graph.layer(sig).input_names()[0]) == sources[1 - i]):
                pairs[layer.Name] = sig
                break
    return pairs


def compile_network(graph: LayerGraph, analysis: NetworkAnalysis, *, kind: str, function: str):
    """Build the Network (a GraphModule subclass) for an analysed, error-free graph."""
    from .network import Network, NetworkMeta

    if analysis.has_errors:
        raise NetworkError(analysis.errors, function)
    modules = build_modules(graph, analysis)
    names = module_names([layer.Name for layer in graph.layer_list()])
    root = nn.Module()
    for layer_name in (layer.Name for layer in graph.layer_list()):
        if layer_name in modules:
            root.add_module(names[layer_name], modules[layer_name])

    fx_graph = fx.Graph()
    values: dict[tuple[str, str], fx.Node] = {}
    input_names = [layer.Name for layer in graph.layer_list() if layer.IS_INPUT]
    placeholders = {name: fx_graph.placeholder(names[name]) for name in input_names}
    output_layer_names = []
    swish = _swish_pairs(graph, modules)
    fused_sigmoids = set(swish.values())
    derived_ports: dict[str, tuple[str, str]] = {}
    for name in analysis.order:
        layer = graph.layer(name)
        if layer.IS_OUTPUT:
            output_layer_names.append(name)
            continue
        if layer.IS_INPUT:
            args = (placeholders[name],)
        else:
            # a fused swish's multiplication reads the sigmoid's input, not the (absent) sigmoid node
            args = () if name in swish else tuple(values[graph.source_of(name, p)] for p in layer.input_names())
        if name in fused_sigmoids:
            # computed inside its multiplication (F.silu); activations derive it from its input
            derived_ports[f"{name}/{layer.output_names()[0]}"] = (args[0].name, "sigmoid")
            continue
        lowered = _lowering(modules[name], len(args))
        if name in swish:
            sig = swish[name]
            x = values[graph.source_of(sig, graph.layer(sig).input_names()[0])]
            node = fx_graph.call_function(torch.nn.functional.silu, (x,))
            node.name = names[name]
        elif lowered is None:
            node = fx_graph.call_module(names[name], args)
        elif lowered[0] == "alias":
            node = args[0]
        else:
            node = fx_graph.call_function(lowered[1], args, lowered[2])
            node.name = names[name]
        outs = layer.output_names()
        if len(outs) == 1:
            values[(name, outs[0])] = node
        else:
            for i, port in enumerate(outs):
                values[(name, port)] = fx_graph.call_function(operator.getitem, (node, i))

    if kind == "assembled":
        output_names = [layer.Name for layer in graph.layer_list() if layer.IS_OUTPUT]
        result_nodes = [values[graph.source_of(name, graph.layer(name).input_names()[0])] for name in output_names]
    else:
        used = {(e[0], e[1]) for e in graph.edge_list()}
        output_names, result_nodes = [], []
        for layer in graph.layer_list():
            outs = layer.output_names()
            for port in outs:
                if (layer.Name, port) not in used and (layer.Name, port) in values:
                    output_names.append(layer.Name if len(outs) == 1 else f"{layer.Name}/{port}")
                    result_nodes.append(values[(layer.Name, port)])
    fx_graph.output(result_nodes[0] if len(result_nodes) == 1 else tuple(result_nodes))
    fx_graph.lint()

    meta = NetworkMeta(
        graph=graph,
        analysis=analysis,
        module_names=names,
        input_names=input_names,
        output_names=output_names,
        output_layers=output_layer_names if kind == "assembled" else [],
        kind=kind,
    )
    network = Network(root, fx_graph, meta)
    for layer in graph.layer_list():
        # output layers (the loss needs targets) and lowered layers are not called in forward,
        # but every layer keeps its submodule, in Layers order
        if layer.Name in modules and not hasattr(network, names[layer.Name]):
            network.add_module(names[layer.Name], modules[layer.Name])
    network._modules = {names[l.Name]: network._modules[names[l.Name]] for l in graph.layer_list() if l.Name in modules}
    meta.extra["port_nodes"] = {f"{layer}/{port}": node.name for (layer, port), node in values.items()}
    meta.extra["derived_ports"] = derived_ports
    return network


__all__ = ["compile_network", "module_names", "build_modules"]
