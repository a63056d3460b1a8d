"""Size inference over the graph, network issues in MATLAB's wording, and the analyzeNetwork report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .errors import GraphError, LayerGraphError, LayoutError, OptionError
from .functions import matlab_function
from .graph import LayerGraph, _normalize_layers, addLayers, assign_names
from .layers.base import Layer, Layout, TIMES
from .textsafe import printable, printable_message

TARGETS = ("trainNetwork", "dlnetwork")


@dataclass
class Issue:
    """One analyzeNetwork issue: ``Severity`` 'Error' or 'Warning', the ``Layer`` name (None: network)."""

    MATLAB_PROPERTIES = ("Severity", "Layer", "Message")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    Severity: str
    Layer: str | None
    Message: str

    def __str__(self) -> str:
        who = f"Layer '{printable(self.Layer)}'" if self.Layer is not None else "Network"
        return f"{who}: {printable_message(self.Message)}"


@dataclass
class LayerInfoRow:
    """One row of ``LayerInfo``: MATLAB's NetworkAnalysis columns."""

    MATLAB_PROPERTIES = ("Name", "Type", "ActivationSizes", "ActivationFormats", "LearnableSizes",
                         "NumLearnables", "StateSizes")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    Name: str
    Type: str
    ActivationSizes: list = field(default_factory=list)
    ActivationFormats: list = field(default_factory=list)
    LearnableSizes: dict = field(default_factory=dict)
    NumLearnables: int = 0
    StateSizes: dict = field(default_factory=dict)


class NetworkAnalysis:
    """What analyzeNetwork returns: ``TotalLearnables`` (NaN with errors), ``LayerInfo``, ``Issues``."""

    # What MATLAB code may touch (layergraph/matlab/access.py)
    MATLAB_PROPERTIES = ("TotalLearnables", "LayerInfo", "Issues")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    def __init__(self, graph: LayerGraph, target: str):
        self.graph = graph
        self.target = target
        self.Issues: list[Issue] = []
        self.LayerInfo: list[LayerInfoRow] = []
        self.order: list[str] = []                     # topological order (acyclic part)
        self.output_layouts: dict[str, list[Layout]] = {}
        self.input_layouts: dict[str, list[Layout]] = {}

    @property
    def has_errors(self) -> bool:
        return any(i.Severity == "Error" for i in self.Issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.Issues if i.Severity == "Error"]

    @property
    def TotalLearnables(self) -> float:
        if self.has_errors:
            return math.nan
        return sum(row.NumLearnables for row in self.LayerInfo)

    def layer_info(self, name: str) -> LayerInfoRow:
        for row in self.LayerInfo:
            if row.Name == name:
                return row
        raise GraphError(f"Layer '{name}' does not exist in the analysed network.")

    def report(self) -> str:
        return format_report(self)

    def __str__(self) -> str:
        return self.report()

    __repr__ = __str__


def _add_issue(analysis: NetworkAnalysis, layer: str | None, message: str, severity: str = "Error") -> None:
    analysis.Issues.append(Issue(severity, layer, message))


def analyze_graph(graph: LayerGraph, target: str = "trainNetwork") -> NetworkAnalysis:
    """Check connections, structure and sizes of ``graph``; never raises for network problems."""
    analysis = NetworkAnalysis(graph, target)
    layers = graph.layer_list()
    by_name = {layer.Name: layer for layer in layers}
    edges = graph.edge_list()
    out_used: set[tuple[str, str]] = {(e[0], e[1]) for e in edges}

    for layer in layers:
        missing = [p for p in layer.input_names() if graph.source_of(layer.Name, p) is None]
        if missing:
            lines = ["Missing input. Each layer input must be connected to the output of another layer.",
                     "    Detected missing inputs:"]
            lines += [f"        input '{p}'" for p in missing]
            _add_issue(analysis, layer.Name, "\n".join(lines))
        if target == "trainNetwork" and not layer.IS_OUTPUT:
            unused = [p for p in layer.output_names() if (layer.Name, p) not in out_used]
            if unused:
                msg = "Unused output. Each layer output must be connected to the input of another layer."
                if len(layer.output_names()) > 1:
                    msg += "\n    Detected unused outputs:\n" + "\n".join(f"        output '{p}'" for p in unused)
                _add_issue(analysis, layer.Name, msg)
        if target == "dlnetwork" and layer.IS_OUTPUT:
            _add_issue(analysis, layer.Name,
                       "Detected output layer. The network must not have output layers (dlnetwork does not support "
                       "output layers; remove it and use a loss function with trainnet).")

    if layers and not any(layer.IS_INPUT for layer in layers):
        _add_issue(analysis, None, "Missing input layer. The network must have at least one input layer.")
    if target == "trainNetwork" and layers and not any(layer.IS_OUTPUT for layer in layers):
        _add_issue(analysis, None, "Missing output layer. The network must have at least one output layer.")

    digraph = nx.DiGraph()
    digraph.add_nodes_from(by_name)
    digraph.add_edges_from((e[0], e[2]) for e in edges)
    cyclic: set[str] = set()
    for component in nx.strongly_connected_components(digraph):
        if len(component) > 1 or any(digraph.has_edge(n, n) for n in component):
            cycle = [edge[0] for edge in nx.find_cycle(digraph.subgraph(component))]
            position = {layer.Name: i for i, layer in enumerate(layers)}
            start = min(range(len(cycle)), key=lambda k: position[cycle[k]])
            path = cycle[start:] + cycle[:start] + [cycle[start]]
            shown = " -> ".join(f"'{n}'" for n in path)
            _add_issue(analysis, None, f"Invalid graph structure. The network must be acyclic. Detected cycle: {shown}.")
            cyclic |= set(component)

    order = _topological_order(layers, edges, cyclic)
    analysis.order = order
    failed: set[str] = set(cyclic)
    for name in order:
        layer = by_name[name]
        sources = [graph.source_of(name, p) for p in layer.input_names()]
        if any(s is None or s[0] in failed for s in sources):
            failed.add(name)
            continue
        inputs = [analysis.output_layouts[s[0]][by_name[s[0]].output_names().index(s[1])] for s in sources]
        analysis.input_layouts[name] = inputs
        try:
            outputs = layer.infer(inputs)
            sizes = layer.learnable_sizes(inputs)
            states = layer.state_sizes(inputs)
            _check_given_values(layer, sizes, states)
            _check_array_limits(outputs, sizes, states)
        except LayoutError as exc:
            failed.add(name)
            msg = str(exc)
            if len(sources) > 1:
                msg += "\n    Inputs to this layer:\n" + "\n".join(
                    f"        from layer '{s[0]}' (output size {lay.matlab_size()})" for s, lay in zip(sources, inputs)
                )
            _add_issue(analysis, name, msg)
            continue
        except (OptionError, LayerGraphError) as exc:
            failed.add(name)
            _add_issue(analysis, name, str(exc))
            continue
        analysis.output_layouts[name] = outputs
        note = getattr(layer, "analysis_warning", None)
        note = note() if callable(note) else None
        if note:
            _add_issue(analysis, name, note, "Warning")

    for layer in layers:
        name = layer.Name
        row = LayerInfoRow(name, layer.TYPE)
        if name in analysis.output_layouts:
            inputs = analysis.input_layouts.get(name, [])
            outs = analysis.output_layouts[name]
            row.ActivationSizes = [o.size_string() for o in outs]
            row.ActivationFormats = [o.format for o in outs]
            row.LearnableSizes = dict(layer.learnable_sizes(inputs))
            row.StateSizes = dict(layer.state_sizes(inputs))
            row.NumLearnables = sum(math.prod(s) for s in row.LearnableSizes.values())
        analysis.LayerInfo.append(row)
    return analysis


def _check_array_limits(outputs: list[Layout], sizes: dict, states: dict) -> None:
    """Refuse, before anything is allocated, arrays over ``limits.max_array_elements`` (a LayoutError)."""
    from .limits import current, describe

    limit = current().max_array_elements
    for prop, shape in list(sizes.items()) + list(states.items()):
        count = math.prod(int(s) for s in shape)
        if count > limit:
            raise LayoutError(f"{prop} of size {TIMES.join(str(s) for s in shape)} has {count:,} elements, over "
                              f"{describe('max_array_elements')}.")
    for layout in outputs:
        count = layout.num_elements * (layout.time or 1 if layout.has_time else 1)
        if count > limit:
            raise LayoutError(f"The output of size {layout.matlab_size()} has {count:,} elements per observation, "
                              f"over {describe('max_array_elements')}.")


def _check_given_values(layer: Layer, sizes: dict, states: dict) -> None:
    for prop, shape in list(sizes.items()) + list(states.items()):
        value = layer._values.get(prop)
        if value is None:
            continue
        got = tuple(value.shape)
        if prop in getattr(layer, "RESIZABLE_STATE", ()) and len(got) == 2 and got[0] == shape[0]:
            continue        # a recurrent state with one column per observation (dH×N, net.State after forward)
        if got != tuple(shape) and not (
            value.numel() == math.prod(shape) and [s for s in got if s != 1] == [s for s in shape if s != 1]
        ):
            want = TIMES.join(str(s) for s in shape)
            have = TIMES.join(str(s) for s in got) if got else "1×1"
            raise LayoutError(f"Invalid {prop} size. Expected {want}, but {prop} has size {have}.")


def _topological_order(layers: list[Layer], edges, skip: set[str]) -> list[str]:
    """Kahn's algorithm, ties broken by Layers order (so chains keep array order)."""
    import heapq

    position = {layer.Name: i for i, layer in enumerate(layers)}
    indegree = {layer.Name: 0 for layer in layers if layer.Name not in skip}
    successors: dict[str, list[str]] = {name: [] for name in indegree}
    for src, _, dst, _ in edges:
        if src in skip or dst in skip:
            continue
        indegree[dst] += 1
        successors[src].append(dst)
    heap = [(position[n], n) for n, d in indegree.items() if d == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, name = heapq.heappop(heap)
        order.append(name)
        for nxt in successors[name]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(heap, (position[nxt], nxt))
    return order


def graph_from_layer_array(layers) -> tuple[LayerGraph, list[Issue]]:
    """A graph from a layer array for analysis: misplaced input/output layers become issues, not errors."""
    items = _normalize_layers(layers, "analyzeNetwork")
    named = assign_names(items)
    issues = []
    graph = LayerGraph()
    segment: list[Layer] = []
    for i, layer in enumerate(named):
        if layer.IS_INPUT and i > 0:
            issues.append(Issue("Error", layer.Name, "An input layer must be first in the layer array."))
        if layer.IS_OUTPUT and i < len(named) - 1:
            issues.append(Issue("Error", layer.Name, "An output layer must be last in the layer array."))
        if segment and (not segment[-1].output_names() or not layer.input_names()):
            graph = addLayers(graph, segment)
            segment = []
        segment.append(layer)
    if segment:
        graph = addLayers(graph, segment)
    return graph, issues


def analyze(x, target: str = "trainNetwork") -> NetworkAnalysis:
    """Analyse a layer list, LayerGraph or network."""
    if target not in TARGETS:
        raise OptionError(f"analyzeNetwork: TargetUsage must be 'trainNetwork' or 'dlnetwork', got {target!r}.")
    extra: list[Issue] = []
    if isinstance(x, LayerGraph):
        graph = x
    elif hasattr(x, "to_layer_graph"):
        graph = x.to_layer_graph()
        if getattr(x, "kind", None) == "dlnetwork" and target == "trainNetwork":
            target = "dlnetwork"
    else:
        graph, extra = graph_from_layer_array(x)
    analysis = analyze_graph(graph, target)
    analysis.Issues = extra + analysis.Issues
    return analysis


def default_target(x) -> str:
    """TargetUsage 'auto': 'trainNetwork' when the network has output (loss) layers, else 'dlnetwork'.

    The Python API and the command line share this default, so a network analyses the same way in both.
    """
    if getattr(x, "kind", None) == "dlnetwork":
        return "dlnetwork"
    try:
        graph = x if isinstance(x, LayerGraph) else (x.to_layer_graph() if hasattr(x, "to_layer_graph")
                                                      else graph_from_layer_array(x)[0])
    except LayerGraphError:
        return "trainNetwork"
    return "trainNetwork" if any(layer.IS_OUTPUT for layer in graph.layer_list()) else "dlnetwork"


@matlab_function(outputs=("netinfo",))
def analyzeNetwork(x, *args, Plots: str = "analyzer", TargetUsage: str = "auto"):
    """``analyzeNetwork(layers_or_graph_or_net)`` prints MATLAB's report and returns a NetworkAnalysis.

    Name-value options: ``TargetUsage`` ('auto', 'trainNetwork' or 'dlnetwork'; 'auto' analyses for
    trainNetwork when the network has output layers and for dlnetwork otherwise), ``Plots`` ('analyzer'
    prints the report, 'none' only returns the analysis).
    """
    options = {"plots": Plots, "targetusage": TargetUsage}
    if len(args) % 2:
        raise OptionError("analyzeNetwork: name-value arguments must come in pairs.")
    for key, value in zip(args[::2], args[1::2]):
        if not isinstance(key, str) or key.lower() not in options:
            raise OptionError(f"analyzeNetwork: '{key}' is not an option. Valid options: 'Plots', 'TargetUsage'.")
        options[key.lower()] = value
    plots = str(options["plots"]).lower()
    if plots not in ("analyzer", "none"):
        raise OptionError(f"analyzeNetwork: Plots must be 'analyzer' or 'none', got {options['plots']!r}.")
    target = {"trainnetwork": "trainNetwork", "dlnetwork": "dlnetwork", "auto": "auto"}.get(
        str(options["targetusage"]).lower())
    if target is None:
        raise OptionError(
            f"analyzeNetwork: TargetUsage must be 'auto', 'trainNetwork' or 'dlnetwork', got {options['targetusage']!r}."
        )
    if target == "auto":
        target = default_target(x)
    result = analyze(x, target)
    if plots == "analyzer":
        print(result.report())
    return result


# ------------------------------------------------------------------------------------------------
# Report


def _count_str(n: float) -> str:
    """29330 -> '29.3k', 7012345 -> '7.01M' (three significant digits, as summary() abbreviates)."""
    n = int(n)
    if n < 1000:
        return str(n)
    value, unit = (n / 1e6, "M") if n >= 1e6 else (n / 1e3, "k")
    return f"{value:.3g}{unit}"


def format_report(analysis: NetworkAnalysis) -> str:
    """The analyzeNetwork report as text: one row per layer, learnables, total and the issues."""
    rows = []
    for i, info in enumerate(analysis.LayerInfo, 1):
        acts = info.ActivationSizes or (["-"] if info.Name in analysis.output_layouts else ["?"])
        learn = [f"{k} {TIMES.join(str(s) for s in v)}" for k, v in info.LearnableSizes.items()]
        learn += [f"{k} {TIMES.join(str(s) for s in v)} (state)" for k, v in info.StateSizes.items()]
        learn = [printable(s) for s in learn]
        rows.append((str(i), f"'{printable(info.Name)}'", printable(info.Type), acts, learn or ["-"]))
    headers = ("#", "Name", "Type", "Activations", "Learnables and States")
    wi = max([len(headers[0])] + [len(r[0]) for r in rows])
    wn = max([len(headers[1])] + [len(r[1]) for r in rows])
    wt = max([len(headers[2])] + [len(r[2]) for r in rows])
    wa = max([len(headers[3])] + [len(a) for r in rows for a in r[3]])
    lines = [f"Analysis for {analysis.target} usage", ""]
    lines.append(f"  {headers[0]:>{wi}}   {headers[1]:<{wn}}   {headers[2]:<{wt}}   {headers[3]:<{wa}}   {headers[4]}")
    for idx, name, typ, acts, learn in rows:
        height = max(len(acts), len(learn))
        for k in range(height):
            first = k == 0
            lines.append(
                (
                    f"  {idx if first else '':>{wi}}   {name if first else '':<{wn}}   {typ if first else '':<{wt}}   "
                    f"{acts[k] if k < len(acts) else '':<{wa}}   {learn[k] if k < len(learn) else ''}"
                ).rstrip()
            )
    total = analysis.TotalLearnables
    lines.append("")
    if math.isnan(total):
        lines.append("Total learnables: NaN (the network has errors)")
    else:
        lines.append(f"Total learnables: {int(total)}" + (f" ({_count_str(total)})" if total >= 1000 else ""))
    errors = [i for i in analysis.Issues if i.Severity == "Error"]
    warnings = [i for i in analysis.Issues if i.Severity == "Warning"]
    lines.append(f"{len(errors)} error{'s' if len(errors) != 1 else ''}, {len(warnings)} warning{'s' if len(warnings) != 1 else ''}.")
    for title, group in (("Errors", errors), ("Warnings", warnings)):
        if group:
            lines.append("")
            lines.append(f"{title}:")
            for issue in group:
                lines.extend("  " + line for line in str(issue).splitlines())
    return "\n".join(lines) + "\n"


__all__ = ["analyzeNetwork", "analyze", "analyze_graph", "NetworkAnalysis", "Issue", "LayerInfoRow", "format_report"]
