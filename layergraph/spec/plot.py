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


def plot_layer_graph(graph, path=None, *, highlight=(), title: str | None = None, ax=None):
    """Draw ``graph`` (a LayerGraph, layer array or network); save it to ``path`` (.png, .svg, .pdf).

    ``highlight`` names layers to draw in red (e.g. layers with analysis errors). Returns the figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    graph = layerGraph(graph)
    positions = layered_positions(graph)
    rows = {}
    for name, (px, py) in positions.items():
        rows.setdefault(py, []).append(px)
    depth = len(rows)
    width = max((len(v) for v in rows.values()), default=1)
    longest = max((len(n) for n in positions), default=4)
    if ax is None:
        fig_w = min(60.0, 2.0 + width * (1.2 + 0.09 * longest))
        fig_h = min(150.0, 1.0 + 0.5 * depth)
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
    ax.scatter(xs, ys, s=28, c=colors, zorder=3)
    for name in names:
        ax.annotate(   # names are shown literally: no math text ('$x$'), control characters escaped
            printable(name), positions[name], xytext=(6, 0), textcoords="offset points", va="center", fontsize=8,
            color=ERROR_COLOR if name in highlight else "black", parse_math=False, usetex=False,
        )
    if names:
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6 + 0.06 * longest)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    if title:
        ax.set_title(printable(title), fontsize=10, parse_math=False, usetex=False)
    if path is not None:
        path = Path(path)
        dpi = min(100.0, 16000.0 / max(fig.get_figheight(), fig.get_figwidth()))
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return fig


__all__ = ["layered_positions", "plot_layer_graph"]
