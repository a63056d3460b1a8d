"""A layered, top-to-bottom drawing of a LayerGraph, like MATLAB's ``plot(lgraph)``.

networkx gives the graph algorithms, matplotlib draws (through a ``Figure`` object, never pyplot's
global state, so it works headless); no Graphviz binary is needed. Layers are put in rows by their
longest distance from an input, ordered within a row by a few barycenter sweeps to keep edges short
and uncrossed; edges that skip rows (residual connections) are drawn as arcs beside the column.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from ..graph import LayerGraph, layerGraph
from ..textsafe import printable

NODE_COLOR = "#0072BD"     # MATLAB's default blue
ERROR_COLOR = "#D95319"
EDGE_COLOR = "#5A5A5A"


def _acyclic(graph: LayerGraph) -> nx.DiGraph:
    """The graph's layers and edges as a DiGraph, back edges of any cycle dropped (for drawing only)."""
    digraph = nx.DiGraph()
    names = [layer.Name for layer in graph.layer_list()]
    digraph.add_nodes_from(names)
    digraph.add_edges_from((s, d) for s, _, d, _ in graph.edge_list())
    while not nx.is_directed_acyclic_graph(digraph):
        cycle = nx.find_cycle(digraph)
        digraph.remove_edge(*cycle[-1][:2])
    return digraph


def layered_positions(graph: LayerGraph) -> dict[str, tuple[float, float]]:
    """(x, y) for each layer: y = -row (top to bottom), x centred within the row."""
    digraph = _acyclic(graph)
    order = {name: i for i, name in enumerate(digraph.nodes)}
    rank: dict[str, int] = {}
    for name in nx.lexicographical_topological_sort(digraph, key=lambda n: order[n]):
        preds = list(digraph.predecessors(name))
        rank[name] = max((rank[p] + 1 for p in preds), default=0)
    rows: dict[int, list[str]] = {}
    for name in digraph.nodes:
        rows.setdefault(rank[name], []).append(name)
    x = {}
    for members in rows.values():
        for i, name in enumerate(members):
            x[name] = float(i)

    def sweep(neighbours, ranks):
        for r in ranks:
            members = rows[r]
            keys = {}
            for name in members:
                near = [x[n] for n in neighbours(name)]
                keys[name] = (sum(near) / len(near)) if near else x[name]
            members.sort(key=lambda n: (keys[n], order[n]))
            for i, name in enumerate(members):
                x[name] = float(i)

    ranks = sorted(rows)
    for _ in range(4):
        sweep(digraph.predecessors, ranks[1:])
        sweep(digraph.successors, list(reversed(ranks[:-1])))
    sweep(digraph.predecessors, ranks[1:])
    # x: each layer under the mean of its inputs, rows kept in their order with unit spacing
    positions: dict[str, tuple[float, float]] = {}
    xpos: dict[str, float] = {}
    for r in ranks:
        members = rows[r]
        desired = []
        for i, name in enumerate(members):
            preds = [xpos[p] for p in digraph.predecessors(name) if p in xpos]
            desired.append(sum(preds) / len(preds) if preds else i - (len(members) - 1) / 2.0)
        placed = []
        for want in desired:
            placed.append(want if not placed else max(want, placed[-1] + 1.0))
        shift = sum(d - p for d, p in zip(desired, placed)) / len(placed)
        for name, px in zip(members, placed):
            xpos[name] = round(px + shift, 6)
            positions[name] = (xpos[name], -float(r))
    return positions


def _sizes(graph: LayerGraph) -> dict[str, str]:
    """Each layer's (first) output activation size, ``28(S) × 28(S) × 1(C) × 1(B)``, where analysis gives one."""
    from ..analysis import analyze_graph

    try:
        analysis = analyze_graph(graph, "dlnetwork")
    except Exception:  # a graph that cannot be analysed is still drawn, without sizes
        return {}
    return {name: layouts[0].size_string() for name, layouts in analysis.output_layouts.items() if layouts}


def node_labels(graph: LayerGraph, *, show_types: bool = False, show_sizes: bool = False) -> dict[str, str]:
    """The text beside each layer: its name, then (optionally) its Type and its output activation size."""
    sizes = _sizes(graph) if show_sizes else {}
    labels = {}
    for layer in graph.layer_list():
        parts = [printable(layer.Name)]
        if show_types:
            parts.append(printable(layer.TYPE or type(layer).__name__))
        if show_sizes and layer.Name in sizes:
            parts.append(sizes[layer.Name])
        labels[layer.Name] = parts[0] if len(parts) == 1 else parts[0] + "  (" + ", ".join(parts[1:]) + ")"
    return labels


def plot_layer_graph(graph, path=None, *, highlight=(), title: str | None = None, ax=None,
                     show_types: bool = False, show_sizes: bool = False):
    """Draw ``graph`` (a LayerGraph, layer array or network); save it to ``path`` (.png, .svg, .pdf).

    ``highlight`` names layers to draw in red (e.g. layers with analysis errors); ``show_types`` adds
    each layer's Type, ``show_sizes`` its output activation size (as analyzeNetwork reports it).
    Returns the matplotlib Figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    graph = layerGraph(graph)
    positions = layered_positions(graph)
    labels = node_labels(graph, show_types=show_types, show_sizes=show_sizes)
    rows = {}
    for name, (px, py) in positions.items():
        rows.setdefault(py, []).append(px)
    depth = len(rows)
    width = max((len(v) for v in rows.values()), default=1)
    longest = max((len(labels.get(n, n)) for n in positions), default=4)
    if ax is None:   # about 0.6 inch per row and room for the longest label at 9 pt: readable at 100 dpi
        fig_w = min(60.0, 3.0 + width * (1.4 + 0.075 * longest))
        fig_h = min(150.0, 1.5 + 0.6 * depth)
        fig = Figure(figsize=(fig_w, fig_h))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    ax.set_axis_off()
    highlight = set(highlight)
    for src, _, dst, _ in graph.edge_list():
        (x0, y0), (x1, y1) = positions[src], positions[dst]
        span = abs(y1 - y0)
        # an edge skipping rows would run over the layers between: bend it beside them
        rad = 0.0 if span <= 1 else (0.3 if x0 == x1 else 0.12)
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=9, shrinkA=4, shrinkB=4,
                connectionstyle=f"arc3,rad={rad}", color=EDGE_COLOR, linewidth=0.9, zorder=1,
            )
        )
    names = list(positions)
    xs = [positions[n][0] for n in names]
    ys = [positions[n][1] for n in names]
    colors = [ERROR_COLOR if n in highlight else NODE_COLOR for n in names]
    ax.scatter(xs, ys, s=40, c=colors, zorder=3)
    for name in names:
        ax.annotate(   # names are shown literally: no math text ('$x$'), control characters escaped
            labels.get(name, printable(name)), positions[name], xytext=(7, 0), textcoords="offset points",
            va="center", fontsize=9,
            color=ERROR_COLOR if name in highlight else "black", parse_math=False, usetex=False,
        )
    if names:
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6 + 0.075 * longest)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    if title:
        ax.set_title(printable(title), fontsize=10, parse_math=False, usetex=False)
    if path is not None:
        path = Path(path)
        dpi = min(120.0, 16000.0 / max(fig.get_figheight(), fig.get_figwidth()))
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return fig


__all__ = ["layered_positions", "node_labels", "plot_layer_graph"]
