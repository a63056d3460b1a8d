"""MATLAB figures over matplotlib (Agg canvas; no window is ever opened).

``figure``, ``plot``, ``scatter``, ``bar``, ``histogram``, ``imshow``, ``montage``, ``subplot``,
``tiledlayout``/``nexttile``, ``hold``, ``title``, ``xlabel``, ``ylabel``, ``legend``, ``grid``, ``axis``,
``colorbar``, ``gcf``/``gca``, ``saveas``, ``exportgraphics``, ``print`` (``-dpng``), ``close``.

Where pictures go: every PNG the project writes for a figure (these functions, the training-progress
plot) goes to one *figures folder*: the current folder by default, else ``set_figures_folder(path)``,
the ``LAYERGRAPH_FIGURES`` environment variable, or ``--figures DIR`` on the command line (in that order
of precedence: an explicit setting wins over the variable). A relative file name given to ``saveas`` /
``exportgraphics`` / ``print`` is taken inside that folder; an absolute one is used as is. Never a
temporary folder. Every write asks :func:`layergraph.policy.check_write` first.

Sizes: a figure is 560×420 pixels (MATLAB's default ``Position`` [680 458 560 420]); ``saveas`` writes
the figure at that pixel size; ``exportgraphics`` crops to the content at ``Resolution`` dpi (150 by
default, 96 screen pixels per inch); ``print -dpng`` writes the whole figure at ``-rN`` dpi (150 default).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import LayerGraphError, OptionError
from .functions import matlab_function
from .policy import check_write


class FigureError(LayerGraphError):
    """A figure function got bad arguments or cannot write its file."""


# MATLAB's default line colours (axes ColorOrder since R2014b)
COLOR_ORDER = ["#0072BD", "#D95319", "#EDB120", "#7E2F8E", "#77AC30", "#4DBEEE", "#A2142F"]
SCREEN_DPI = 96.0          # MATLAB's pixels per inch for figure sizes
DEFAULT_POSITION = (680.0, 458.0, 560.0, 420.0)
_COLORS = {"r": "#FF0000", "g": "#00FF00", "b": "#0000FF", "c": "#00FFFF", "m": "#FF00FF", "y": "#FFFF00",
           "k": "#000000", "w": "#FFFFFF", "red": "#FF0000", "green": "#00FF00", "blue": "#0000FF",
           "cyan": "#00FFFF", "magenta": "#FF00FF", "yellow": "#FFFF00", "black": "#000000", "white": "#FFFFFF",
           "none": "none"}
_MARKERS = {"o": "o", "+": "+", "*": "*", ".": ".", "x": "x", "_": "_", "|": "|", "s": "s", "square": "s",
            "d": "D", "diamond": "D", "^": "^", "v": "v", ">": ">", "<": "<", "p": "p", "pentagram": "p",
            "h": "h", "hexagram": "h", "none": "None"}
_LINESTYLES = ("--", "-.", "-", ":")
_LEGEND_LOCATIONS = {"north": "upper center", "south": "lower center", "east": "center right",
                     "west": "center left", "northeast": "upper right", "northwest": "upper left",
                     "southeast": "lower right", "southwest": "lower left", "best": "best",
                     "northoutside": "lower center", "southoutside": "upper center",
                     "eastoutside": "center left", "westoutside": "center right",
                     "northeastoutside": "upper left", "bestoutside": "upper left"}


# ---------------------------------------------------------------------------------------------------
# The figures folder

_FOLDER: Path | None = None


def set_figures_folder(path) -> Path | None:
    """Set the folder figure PNGs go to (``None``: back to ``$LAYERGRAPH_FIGURES`` or the current folder)."""
    global _FOLDER
    _FOLDER = None if path is None else Path(os.fspath(path)).expanduser()
    return _FOLDER


def figures_folder() -> Path:
    """The figures folder: set_figures_folder(...) > $LAYERGRAPH_FIGURES > the current folder.

    ``$LAYERGRAPH_PLOT_DIR`` (the training-progress variable of earlier versions) is read after
    ``$LAYERGRAPH_FIGURES``."""
    if _FOLDER is not None:
        return _FOLDER
    env = os.environ.get("LAYERGRAPH_FIGURES") or os.environ.get("LAYERGRAPH_PLOT_DIR")
    return Path(env).expanduser() if env else Path.cwd()


def figure_path(filename, function: str) -> Path:
    """Where ``filename`` goes: inside the figures folder when relative; checked by the file policy."""
    text = os.fspath(filename)
    if not text:
        raise FigureError(f"{function}: the file name is empty")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = figures_folder() / path
    resolved = check_write(path, function)
    if not resolved.parent.is_dir():
        raise FigureError(f"{function}: cannot write '{text}': folder '{resolved.parent}' does not exist")
    return resolved


# ---------------------------------------------------------------------------------------------------
# Graphics objects

def _mpl():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise FigureError("figures need matplotlib: pip install 'layergraph[plot]'") from None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    return MplFigure, FigureCanvasAgg


def _cycler():
    from cycler import cycler

    return cycler(color=COLOR_ORDER)


class Text:
    """A MATLAB text object (an axes' Title, XLabel, YLabel): ``String``, ``FontSize``, ``Color``."""

    MATLAB_PROPERTIES = ("String", "FontSize", "Color", "FontWeight")
    MATLAB_SETTABLE = ("String", "FontSize", "Color", "FontWeight")

    def __init__(self, artist):
        object.__setattr__(self, "_artist", artist)

    def __getattr__(self, name):
        a = object.__getattribute__(self, "_artist")
        getters = {"String": a.get_text, "FontSize": a.get_fontsize, "Color": a.get_color,
                   "FontWeight": a.get_fontweight}
        if name in getters:
            return getters[name]()
        raise AttributeError(name)

    def __setattr__(self, name, value):
        a = self._artist
        setters = {"String": lambda v: a.set_text(_text(v)), "FontSize": lambda v: a.set_fontsize(float(v)),
                   "Color": lambda v: a.set_color(_color(v)), "FontWeight": lambda v: a.set_fontweight(str(v))}
        if name not in setters:
            raise FigureError(f"Text: '{name}' is not a settable property")
        setters[name](value)


class Graphic:
    """A plotted object (line, scatter, bar, image): MATLAB's handle to it."""

    MATLAB_PROPERTIES = ("Type", "Color", "LineWidth", "DisplayName", "XData", "YData", "Visible")
    MATLAB_SETTABLE = ("Color", "LineWidth", "DisplayName", "Visible")

    def __init__(self, kind: str, artist, axes):
        object.__setattr__(self, "Type", kind)
        object.__setattr__(self, "_artist", artist)
        object.__setattr__(self, "_axes", axes)

    def __getattr__(self, name):
        a = object.__getattribute__(self, "_artist")
        if name == "DisplayName":
            label = a.get_label()
            return "" if label.startswith("_") else label
        if name == "XData" and hasattr(a, "get_xdata"):
            return np.asarray(a.get_xdata(), dtype=float)
        if name == "YData" and hasattr(a, "get_ydata"):
            return np.asarray(a.get_ydata(), dtype=float)
        if name == "LineWidth" and hasattr(a, "get_linewidth"):
            return float(np.asarray(a.get_linewidth()).reshape(-1)[0])
        if name == "Color" and hasattr(a, "get_color"):
            from matplotlib.colors import to_rgb

            return np.array(to_rgb(a.get_color()))
        if name == "Visible":
            return a.get_visible()
        raise AttributeError(name)

    def __setattr__(self, name, value):
        a = self._artist
        if name == "DisplayName":
            a.set_label(_text(value))
        elif name == "Color":
            a.set_color(_color(value))
        elif name == "LineWidth":
            a.set_linewidth(float(value))
        elif name == "Visible":
            a.set_visible(_on(value))
        else:
            raise FigureError(f"{self.Type}: '{name}' is not a settable property")


class Histogram(Graphic):
    """``h = histogram(X)``: ``Values``, ``BinEdges``, ``NumBins``, ``BinWidth``, ``Data``, ``Normalization``."""

    MATLAB_PROPERTIES = ("Type", "Values", "BinEdges", "NumBins", "BinWidth", "Data", "Normalization",
                         "FaceColor", "DisplayName")
    MATLAB_SETTABLE = ("DisplayName",)

    def __init__(self, patches, axes, data, edges, values, normalization):
        super().__init__("histogram", patches[0] if len(patches) else None, axes)
        object.__setattr__(self, "Values", values)
        object.__setattr__(self, "BinEdges", edges)
        object.__setattr__(self, "NumBins", len(edges) - 1)
        object.__setattr__(self, "Data", data)
        object.__setattr__(self, "Normalization", normalization)
        object.__setattr__(self, "_patches", patches)

    @property
    def BinWidth(self):
        widths = np.diff(self.BinEdges)
        return float(widths[0]) if np.allclose(widths, widths[0]) else "nonuniform"


class Axes:
    """MATLAB axes: ``Title``, ``XLabel``, ``YLabel``, ``XLim``, ``YLim``, ``NextPlot`` ('replace'/'add')."""

    MATLAB_PROPERTIES = ("Title", "XLabel", "YLabel", "XLim", "YLim", "NextPlot", "XGrid", "YGrid", "Parent",
                         "FontSize", "Type")
    MATLAB_SETTABLE = ("XLim", "YLim", "NextPlot", "XGrid", "YGrid", "FontSize")
    MATLAB_METHODS = ("hold", "title", "xlabel", "ylabel", "legend", "grid", "axis", "plot")

    Type = "axes"

    def __init__(self, fig: "Figure", ax):
        object.__setattr__(self, "_fig", fig)
        object.__setattr__(self, "_ax", ax)
        object.__setattr__(self, "_next", "replace")
        object.__setattr__(self, "_grid", False)
        ax.set_prop_cycle(_cycler())
        ax.set_box_aspect(None)

    @property
    def mpl(self):
        """The matplotlib Axes (for Python users who want more)."""
        return self._ax

    @property
    def Parent(self):
        return self._fig

    @property
    def Title(self):
        return Text(self._ax.title)

    @property
    def XLabel(self):
        return Text(self._ax.xaxis.label)

    @property
    def YLabel(self):
        return Text(self._ax.yaxis.label)

    @property
    def XLim(self):
        return np.array(self._ax.get_xlim())

    @property
    def YLim(self):
        return np.array(self._ax.get_ylim())

    @property
    def NextPlot(self):
        return self._next

    @property
    def XGrid(self):
        return "on" if self._grid else "off"

    YGrid = XGrid

    @property
    def FontSize(self):
        return float(self._ax.xaxis.label.get_fontsize())

    def __setattr__(self, name, value):
        if name == "XLim":
            self._ax.set_xlim(*np.asarray(value, dtype=float).reshape(-1)[:2])
        elif name == "YLim":
            self._ax.set_ylim(*np.asarray(value, dtype=float).reshape(-1)[:2])
        elif name == "NextPlot":
            v = str(value).lower()
            if v not in ("replace", "add", "replacechildren", "replaceall"):
                raise FigureError(f"axes: NextPlot must be 'replace' or 'add', not '{value}'")
            object.__setattr__(self, "_next", "add" if v == "add" else "replace")
        elif name in ("XGrid", "YGrid"):
            on = _on(value)
            object.__setattr__(self, "_grid", on)
            self._ax.grid(on, axis="x" if name == "XGrid" else "y")
        elif name == "FontSize":
            for t in [self._ax.title, self._ax.xaxis.label, self._ax.yaxis.label] + self._ax.get_xticklabels() \
                    + self._ax.get_yticklabels():
                t.set_fontsize(float(value))
        else:
            raise FigureError(f"axes: '{name}' is not a settable property")

    def prepare(self):
        """Before drawing: clear unless hold is on (MATLAB's NextPlot 'replace')."""
        if self._next == "replace":
            title = self._ax.get_title()
            self._ax.cla()
            self._ax.set_prop_cycle(_cycler())
            if self._grid:
                self._ax.grid(True)
            del title      # MATLAB's plot resets the title too
        return self._ax


class TiledLayout:
    """``t = tiledlayout(m, n)`` (or 'flow'): ``GridSize``, ``Title``; ``nexttile`` fills it row by row."""

    MATLAB_PROPERTIES = ("GridSize", "Title", "TileSpacing", "Padding")
    MATLAB_SETTABLE = ("TileSpacing", "Padding")
    MATLAB_METHODS = ()

    def __init__(self, fig: "Figure", rows, cols, flow=False):
        self._fig = fig
        self.GridSize = [rows, cols]
        self.flow = flow
        self.tiles: dict[int, Axes] = {}
        self.TileSpacing = "loose"
        self.Padding = "loose"
        self._title = None

    @property
    def Title(self):
        existing = getattr(self._fig.mpl, "_suptitle", None)
        return Text(existing if existing is not None else self._fig.mpl.suptitle(""))

    def tile(self, k: int | None) -> Axes:
        if k is None:
            k = max(self.tiles, default=0) + 1
        k = int(k)
        if k < 1:
            raise FigureError("nexttile: the tile number must be a positive integer")
        rows, cols = self.GridSize
        if self.flow:
            n = max(k, len(self.tiles))
            cols = int(np.ceil(np.sqrt(n)))
            rows = int(np.ceil(n / cols))
            self.GridSize = [rows, cols]
            for i, ax in self.tiles.items():
                ax._ax.set_subplotspec(self._fig.mpl.add_gridspec(rows, cols)[i - 1])
        elif k > rows * cols:
            raise FigureError(f"nexttile: tile {k} is outside the {rows}×{cols} layout")
        if k not in self.tiles:
            spec = self._fig.mpl.add_gridspec(rows, cols)[k - 1]
            self.tiles[k] = Axes(self._fig, self._fig.mpl.add_subplot(spec))
        return self.tiles[k]


class Figure:
    """A MATLAB figure: ``Number``, ``Name``, ``Position`` [left bottom width height] in pixels."""

    MATLAB_PROPERTIES = ("Number", "Name", "Position", "Visible", "Color", "CurrentAxes", "Type")
    MATLAB_SETTABLE = ("Name", "Position", "Visible", "Color")
    MATLAB_METHODS = ("close", "saveas", "exportgraphics", "clf")

    Type = "figure"

    def __init__(self, number: int):
        MplFigure, Canvas = _mpl()
        object.__setattr__(self, "Number", int(number))
        object.__setattr__(self, "_name", "")
        object.__setattr__(self, "_visible", "on")
        object.__setattr__(self, "_position", list(DEFAULT_POSITION))
        fig = MplFigure(figsize=(DEFAULT_POSITION[2] / SCREEN_DPI, DEFAULT_POSITION[3] / SCREEN_DPI), dpi=SCREEN_DPI)
        Canvas(fig)
        object.__setattr__(self, "mpl", fig)
        object.__setattr__(self, "_axes", None)        # current axes
        object.__setattr__(self, "_subplots", {})
        object.__setattr__(self, "layout", None)
        object.__setattr__(self, "chart", None)        # a chart object drawn in the figure (confusionchart)

    @property
    def Name(self):
        return self._name

    @property
    def Position(self):
        return np.array(self._position, dtype=float)

    @property
    def Visible(self):
        return self._visible

    @property
    def Color(self):
        from matplotlib.colors import to_rgb

        return np.array(to_rgb(self.mpl.get_facecolor()))

    @property
    def CurrentAxes(self):
        return self._axes

    def __setattr__(self, name, value):
        if name == "Name":
            object.__setattr__(self, "_name", _text(value))
        elif name == "Position":
            pos = np.asarray(value, dtype=float).reshape(-1)
            if pos.size != 4 or pos[2] <= 0 or pos[3] <= 0:
                raise FigureError("figure: Position must be [left bottom width height] with positive sizes")
            object.__setattr__(self, "_position", pos.tolist())
            self.mpl.set_size_inches(pos[2] / SCREEN_DPI, pos[3] / SCREEN_DPI)
        elif name == "Visible":
            object.__setattr__(self, "_visible", "on" if _on(value) else "off")
        elif name == "Color":
            self.mpl.set_facecolor(_color(value))
        elif name in ("_axes", "layout", "chart"):
            object.__setattr__(self, name, value)
        else:
            raise FigureError(f"figure: '{name}' is not a settable property")

    @property
    def size_pixels(self) -> tuple[int, int]:
        return int(round(self._position[2])), int(round(self._position[3]))

    def axes(self) -> Axes:
        if self._axes is None:
            self._axes = Axes(self, self.mpl.add_subplot(1, 1, 1))
        return self._axes

    def clf(self):
        self.mpl.clf()
        self._axes = None
        self._subplots.clear()
        self.layout = None
        self.chart = None

    def draw(self):
        self.mpl.canvas.draw()

    def __repr__(self):
        return f"<figure {self.Number}{': ' + self._name if self._name else ''}>"


# ---------------------------------------------------------------------------------------------------
# Figure state

_FIGURES: dict[int, Figure] = {}
_CURRENT: list[Figure] = []      # [current figure] (empty: none)


def _current_figure(create: bool = True) -> Figure | None:
    if _CURRENT and _CURRENT[0].Number in _FIGURES:
        return _CURRENT[0]
    if not create:
        return None
    return figure()


def open_figures() -> list[Figure]:
    """Every open figure, by number."""
    return [_FIGURES[k] for k in sorted(_FIGURES)]


def _set_current(fig: Figure):
    _CURRENT[:] = [fig]


# ---------------------------------------------------------------------------------------------------
# Argument helpers

def _text(v) -> str:
    if isinstance(v, (list, tuple)):
        return "\n".join(_text(x) for x in v)
    if hasattr(v, "a") and isinstance(getattr(v, "a"), np.ndarray):
        return "\n".join(str(x) for x in v.a.reshape(-1, order="F"))
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "biuf" and v.size == 1:
            return format(float(v.reshape(-1)[0]), "g")
        return "\n".join(str(x) for x in v.reshape(-1))
    if isinstance(v, float):
        return format(v, "g")
    return str(v)


def _on(v) -> bool:
    if isinstance(v, str):
        low = v.lower()
        if low not in ("on", "off"):
            raise FigureError(f"expected 'on' or 'off', not '{v}'")
        return low == "on"
    return bool(np.asarray(v).reshape(-1)[0])


def _color(v):
    if isinstance(v, str):
        low = v.lower()
        if low in _COLORS:
            return _COLORS[low]
        if low.startswith("#"):
            return low
        raise FigureError(f"'{v}' is not a color name (use 'r', 'red', '#0072BD' or an RGB triplet)")
    rgb = np.asarray(v, dtype=float).reshape(-1)
    if rgb.size not in (3, 4) or rgb.min() < 0 or rgb.max() > 1:
        raise FigureError("a color must be an RGB triplet with values in [0, 1]")
    return tuple(rgb.tolist())


def _is_linespec(s) -> bool:
    return isinstance(s, str) and _parse_linespec(s) is not None


def _parse_linespec(s: str):
    """'r--o' -> dict(color, linestyle, marker), or None if ``s`` is not a line spec."""
    if not s or len(s) > 6:
        return None
    out = {}
    rest = s
    for ls in _LINESTYLES:
        if ls in rest:
            out["linestyle"] = ls
            rest = rest.replace(ls, "", 1)
            break
    for ch in rest:
        if ch in "rgbcmykw" and "color" not in out:
            out["color"] = _COLORS[ch]
        elif ch in "o+*.x_|sd^v><ph" and "marker" not in out:
            out["marker"] = _MARKERS[ch]
        else:
            return None
    if "marker" in out and "linestyle" not in out:
        out["linestyle"] = "None"
    return out


_LINE_PROPERTIES = {"linewidth": "linewidth", "color": "color", "marker": "marker", "markersize": "markersize",
                    "displayname": "label", "linestyle": "linestyle", "markerfacecolor": "markerfacecolor",
                    "markeredgecolor": "markeredgecolor"}


def _line_kwargs(pairs, function: str) -> dict:
    out = {}
    for key, value in pairs:
        k = str(key).lower()
        if k not in _LINE_PROPERTIES:
            raise FigureError(f"{function}: '{key}' is not a recognized property. Valid properties: "
                              "'LineWidth', 'Color', 'Marker', 'MarkerSize', 'DisplayName', 'LineStyle', "
                              "'MarkerFaceColor', 'MarkerEdgeColor'.")
        name = _LINE_PROPERTIES[k]
        if name in ("color", "markerfacecolor", "markeredgecolor"):
            value = _color(value)
        elif name == "marker":
            value = _MARKERS.get(str(value).lower(), str(value))
        elif name in ("linewidth", "markersize"):
            value = float(np.asarray(value).reshape(-1)[0])
        elif name == "label":
            value = _text(value)
        elif name == "linestyle":
            value = "None" if str(value).lower() == "none" else str(value)
        out[name] = value
    return out


def _pairs(args, kwargs, function):
    if len(args) % 2:
        raise FigureError(f"{function}: name-value arguments must come in pairs")
    return list(zip(args[::2], args[1::2])) + list(kwargs.items())


def _split_axes(args):
    if args and isinstance(args[0], Axes):
        return args[0], list(args[1:])
    if args and isinstance(args[0], Figure):
        return args[0].axes(), list(args[1:])
    return None, list(args)


def _numeric(v, function: str, what: str) -> np.ndarray:
    if isinstance(v, str):
        raise FigureError(f"{function}: {what} must be numeric, not the text '{v}'")
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise FigureError(f"{function}: {what} must be numeric") from None
    return arr


def _is_graph(x) -> bool:
    from .graph import LayerArray, LayerGraph
    from .layers.base import Layer

    if isinstance(x, (LayerGraph, LayerArray, Layer)):
        return True
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, Layer) or (isinstance(v, type) and issubclass(v, Layer))
                                                  or getattr(v, "layer_class", None) is not None for v in x):
        return True
    try:
        from .network import Network
    except ImportError:       # pragma: no cover
        return False
    return isinstance(x, Network)


# ---------------------------------------------------------------------------------------------------
# Figure and axes management

@matlab_function("figure", outputs=("f",), data_free=False)
def figure(*args, **kwargs) -> Figure:
    """``f = figure``, ``figure(n)``, ``figure(f)``, ``figure('Name', text, 'Position', [l b w h], 'Visible', 'off')``."""
    args = list(args)
    fig = None
    if args and isinstance(args[0], Figure):
        fig = args.pop(0)
        _FIGURES[fig.Number] = fig
    elif args and not isinstance(args[0], str):
        n = np.asarray(args.pop(0)).reshape(-1)
        if n.size != 1 or n[0] < 1 or int(n[0]) != n[0]:
            raise FigureError("figure: a figure number must be a positive integer")
        number = int(n[0])
        fig = _FIGURES.get(number) or Figure(number)
        _FIGURES[number] = fig
    pairs = _pairs(args, kwargs, "figure")
    if fig is None:
        number = 1
        while number in _FIGURES:
            number += 1
        fig = Figure(number)
        _FIGURES[number] = fig
    allowed = {"name": "Name", "position": "Position", "visible": "Visible", "color": "Color",
               "numbertitle": None, "windowstyle": None, "units": None, "menubar": None, "toolbar": None}
    for key, value in pairs:
        k = str(key).lower()
        if k not in allowed:
            raise FigureError(f"figure: '{key}' is not a recognized property. Valid properties: 'Name', 'Position', "
                              "'Visible', 'Color', 'NumberTitle', 'WindowStyle', 'Units', 'MenuBar', 'ToolBar'.")
        if allowed[k]:
            setattr(fig, allowed[k], value)
    _set_current(fig)
    return fig


@matlab_function("gcf", outputs=("fig",), data_free=False)
def gcf() -> Figure:
    """``fig = gcf``: the current figure (a new one if none is open)."""
    return _current_figure()


@matlab_function("gca", outputs=("ax",), data_free=False)
def gca() -> Axes:
    """``ax = gca``: the current axes (created in the current figure if it has none)."""
    return _current_figure().axes()


@matlab_function("clf", outputs=(), data_free=False)
def clf(fig=None):
    """``clf``: clear the current figure."""
    (fig or _current_figure()).clf()


@matlab_function("close", outputs=(), data_free=False)
def close(*args):
    """``close``, ``close(fig)``, ``close(n)``, ``close('all')``, ``close all``."""
    if not args:
        fig = _current_figure(create=False)
        targets = [fig] if fig else []
    elif isinstance(args[0], str):
        if args[0].lower() != "all":
            named = [f for f in _FIGURES.values() if f.Name == args[0]]
            if not named:
                raise FigureError(f"close: no figure named '{args[0]}'")
            targets = named
        else:
            targets = list(_FIGURES.values())
    else:
        targets = []
        for a in args:
            if isinstance(a, Figure):
                targets.append(a)
            else:
                for n in np.asarray(a).reshape(-1):
                    if int(n) in _FIGURES:
                        targets.append(_FIGURES[int(n)])
    for fig in targets:
        _FIGURES.pop(fig.Number, None)
        if _CURRENT and _CURRENT[0] is fig:
            _CURRENT.clear()
    if not _CURRENT and _FIGURES:
        _set_current(_FIGURES[max(_FIGURES)])


@matlab_function("subplot", outputs=("ax",), data_free=False)
def subplot(m, n=None, p=None) -> Axes:
    """``ax = subplot(m, n, p)`` (p may be a vector of tiles to span; also ``subplot(mnp)`` as 221)."""
    if n is None:
        code = int(np.asarray(m).reshape(-1)[0])
        m, n, p = code // 100, (code // 10) % 10, code % 10
    m, n = int(np.asarray(m).reshape(-1)[0]), int(np.asarray(n).reshape(-1)[0])
    tiles = [int(v) for v in np.asarray(p).reshape(-1)]
    if m < 1 or n < 1 or not tiles or min(tiles) < 1 or max(tiles) > m * n:
        raise FigureError(f"subplot: tile {tiles} is outside a {m}×{n} grid")
    fig = _current_figure()
    key = (m, n, tuple(sorted(tiles)))
    if key not in fig._subplots:
        rows = [(t - 1) // n for t in tiles]
        cols = [(t - 1) % n for t in tiles]
        spec = fig.mpl.add_gridspec(m, n)[min(rows):max(rows) + 1, min(cols):max(cols) + 1]
        fig._subplots[key] = Axes(fig, fig.mpl.add_subplot(spec))
    fig._axes = fig._subplots[key]
    return fig._axes


@matlab_function("tiledlayout", outputs=("t",), data_free=False)
def tiledlayout(*args, **kwargs) -> TiledLayout:
    """``t = tiledlayout(m, n)`` or ``tiledlayout('flow')``; 'TileSpacing' and 'Padding' accepted."""
    args = list(args)
    fig = _current_figure()
    fig.clf()
    if args and isinstance(args[0], str) and args[0].lower() in ("flow", "vertical", "horizontal"):
        kind = args.pop(0).lower()
        layout = TiledLayout(fig, 1, 1, flow=kind == "flow")
        if kind == "vertical":
            layout.GridSize = [100, 1]
        elif kind == "horizontal":
            layout.GridSize = [1, 100]
    else:
        if len(args) < 2:
            raise FigureError("tiledlayout: expected tiledlayout(m, n) or tiledlayout('flow')")
        m, n = int(np.asarray(args.pop(0)).reshape(-1)[0]), int(np.asarray(args.pop(0)).reshape(-1)[0])
        if m < 1 or n < 1:
            raise FigureError("tiledlayout: the grid size must be positive")
        layout = TiledLayout(fig, m, n)
    for key, value in _pairs(args, kwargs, "tiledlayout"):
        k = str(key).lower()
        if k == "tilespacing":
            layout.TileSpacing = str(value)
        elif k == "padding":
            layout.Padding = str(value)
        else:
            raise FigureError(f"tiledlayout: '{key}' is not a recognized parameter. Valid parameters: "
                              "'TileSpacing', 'Padding'.")
    fig.layout = layout
    return layout


@matlab_function("nexttile", outputs=("ax",), data_free=False)
def nexttile(*args) -> Axes:
    """``ax = nexttile`` (the next tile) or ``nexttile(k)`` / ``nexttile(t, k)``."""
    args = list(args)
    layout = args.pop(0) if args and isinstance(args[0], TiledLayout) else None
    fig = layout._fig if layout else _current_figure()
    if layout is None:
        layout = fig.layout or tiledlayout("flow")
    ax = layout.tile(int(np.asarray(args[0]).reshape(-1)[0]) if args else None)
    fig._axes = ax
    return ax


@matlab_function("hold", outputs=(), data_free=False)
def hold(*args):
    """``hold on``, ``hold off``, ``hold(ax, 'on')``; ``hold`` alone toggles."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    if not rest:
        ax.NextPlot = "replace" if ax.NextPlot == "add" else "add"
        return
    state = str(rest[0]).lower()
    if state not in ("on", "off", "all"):
        raise FigureError(f"hold: expected 'on' or 'off', not '{rest[0]}'")
    ax.NextPlot = "replace" if state == "off" else "add"


# ---------------------------------------------------------------------------------------------------
# Plotting

def _plot_graph(ax, graph, args, kwargs):
    """``plot(lgraph)``: the layer graph drawn top to bottom in the current axes; returns the matplotlib
    Figure. Extension (not in MATLAB): ``ShowTypes=True`` adds each layer's Type, ``ShowSizes=True`` its
    output activation size (also as name-value pairs)."""
    from .spec.plot import plot_layer_graph

    options = {"showtypes": False, "showsizes": False}
    if len(args) % 2:
        raise FigureError("plot(lgraph): options must come in name-value pairs (ShowTypes, ShowSizes)")
    pairs = list(zip(args[::2], args[1::2])) + list(kwargs.items())
    for key, value in pairs:
        if not isinstance(key, str) or key.lower() not in options:
            raise FigureError(f"plot(lgraph): '{key}' is not an option (valid: ShowTypes, ShowSizes)")
        options[key.lower()] = bool(value)
    ax = ax or gca()
    mpl_ax = ax.prepare()
    return plot_layer_graph(graph, ax=mpl_ax, show_types=options["showtypes"], show_sizes=options["showsizes"])


@matlab_function("plot", outputs=("h",), data_free=False)
def plot(*args, **kwargs):
    """``plot(Y)``, ``plot(X, Y, LineSpec, ..., Name, Value)``, ``plot(ax, ...)``: returns the line handles
    (one per line). ``plot(lgraph)`` draws a layer graph (or network, or layer array) in the current axes
    and returns the matplotlib Figure; ``plot(lgraph, ShowTypes=True, ShowSizes=True)`` labels the layers
    with their types and output activation sizes too (an extension)."""
    ax, rest = _split_axes(args)
    if rest and hasattr(rest[0], "_matlab_plot"):       # plot(rocObj) and other objects that draw themselves
        return rest[0]._matlab_plot(*rest[1:])
    if rest and _is_graph(rest[0]):
        return _plot_graph(ax, rest[0], rest[1:], kwargs)
    ax = ax or gca()
    groups = []
    i = 0
    while i < len(rest) and not (isinstance(rest[i], str) and not _is_linespec(rest[i])):
        x = rest[i]
        if isinstance(x, str):
            raise FigureError(f"plot: a line spec '{x}' must follow data")
        y = rest[i + 1] if i + 1 < len(rest) and not isinstance(rest[i + 1], str) else None
        step = 1 if y is None else 2
        spec = rest[i + step] if i + step < len(rest) and _is_linespec(rest[i + step]) else None
        groups.append((x, y, spec))
        i += step + (1 if spec is not None else 0)
    if not groups:
        raise FigureError("plot: not enough input arguments (plot(Y) or plot(X, Y))")
    style = _line_kwargs(_pairs(rest[i:], kwargs, "plot"), "plot")
    mpl_ax = ax.prepare()
    handles = []
    for x, y, spec in groups:
        if y is None:
            yv = _numeric(x, "plot", "Y")
            if yv.ndim == 1 or min(yv.shape) == 1:
                yv = yv.reshape(-1)
            xv = np.arange(1, (yv.shape[0] if yv.ndim else 1) + 1, dtype=float)
        else:
            xv, yv = _numeric(x, "plot", "X"), _numeric(y, "plot", "Y")
            if xv.ndim == 2 and min(xv.shape) == 1:
                xv = xv.reshape(-1)
            if yv.ndim == 2 and min(yv.shape) == 1:
                yv = yv.reshape(-1)
            if yv.ndim == 2 and xv.ndim == 1 and yv.shape[0] != xv.size and yv.shape[1] == xv.size:
                yv = yv.T
            if xv.ndim == 1 and yv.ndim == 1 and xv.size != yv.size:
                raise FigureError(f"plot: vectors must be the same length (X has {xv.size}, Y has {yv.size})")
        opts = dict(_parse_linespec(spec) if spec else {})
        opts.update(style)
        lines = mpl_ax.plot(xv, yv, **opts)
        handles.extend(Graphic("line", ln, ax) for ln in lines)
    return handles[0] if len(handles) == 1 else handles


@matlab_function("scatter", outputs=("s",), data_free=False)
def scatter(*args, **kwargs):
    """``scatter(x, y, sz, c, 'filled', mkr, Name, Value)``: marker area ``sz`` in points² (36 by default)."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    if len(rest) < 2:
        raise FigureError("scatter: expected scatter(x, y)")
    x = _numeric(rest[0], "scatter", "x").reshape(-1)
    y = _numeric(rest[1], "scatter", "y").reshape(-1)
    if x.size != y.size:
        raise FigureError(f"scatter: x and y must have the same length ({x.size} and {y.size})")
    rest = rest[2:]
    size, color, filled, marker = 36.0, None, False, "o"
    if rest and not isinstance(rest[0], str):
        size = _numeric(rest.pop(0), "scatter", "sz")
        size = size.reshape(-1) if size.size > 1 else (float(size.reshape(-1)[0]) if size.size else 36.0)
    if rest and (not isinstance(rest[0], str) or rest[0].lower() in _COLORS):
        c = rest.pop(0)
        arr = None if isinstance(c, str) else np.asarray(c, dtype=float)
        color = _color(c) if arr is None or arr.shape in ((3,), (1, 3)) else arr.reshape(-1) if arr.ndim == 1 or min(arr.shape) == 1 else arr
    while rest and isinstance(rest[0], str) and (rest[0].lower() == "filled" or rest[0] in _MARKERS
                                                  and rest[0].lower() not in ("linewidth", "displayname")):
        word = rest.pop(0)
        if word.lower() == "filled":
            filled = True
        else:
            marker = _MARKERS[word]
    opts = {}
    for key, value in _pairs(rest, kwargs, "scatter"):
        k = str(key).lower()
        if k == "markerfacecolor":
            opts["facecolors"] = _color(value) if not (isinstance(value, str) and value.lower() == "flat") else None
            filled = True
        elif k == "markeredgecolor":
            opts["edgecolors"] = _color(value)
        elif k == "linewidth":
            opts["linewidths"] = float(value)
        elif k == "displayname":
            opts["label"] = _text(value)
        elif k == "marker":
            marker = _MARKERS.get(str(value).lower(), str(value))
        else:
            raise FigureError(f"scatter: '{key}' is not a recognized property. Valid properties: "
                              "'MarkerFaceColor', 'MarkerEdgeColor', 'LineWidth', 'DisplayName', 'Marker'.")
    mpl_ax = ax.prepare()
    if color is None:
        color = mpl_ax._get_lines.get_next_color()
    kw = {"s": size, "marker": marker}
    if isinstance(color, np.ndarray) and color.ndim == 1 and color.size == x.size:
        kw["c"] = color
        if not filled:
            kw["facecolors"] = "none"
    elif filled:
        kw["c"] = [color] if not isinstance(color, np.ndarray) else color
    else:
        kw["facecolors"] = "none"
        kw["edgecolors"] = color
    kw.update({k: v for k, v in opts.items() if v is not None})
    art = mpl_ax.scatter(x, y, **kw)
    return Graphic("scatter", art, ax)


@matlab_function("bar", outputs=("b",), data_free=False)
def bar(*args, **kwargs):
    """``bar(y)``, ``bar(x, y)``, ``bar(..., width)``, ``bar(Y)`` with a matrix (grouped), ``'FaceColor'``."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    nums = []
    while rest and not isinstance(rest[0], str) and len(nums) < 3:
        nums.append(rest.pop(0))
    if not nums:
        raise FigureError("bar: expected bar(y) or bar(x, y)")
    if len(nums) == 1:
        y = _numeric(nums[0], "bar", "y")
        x = None
        width = 0.8
    else:
        x = _numeric(nums[0], "bar", "x").reshape(-1)
        y = _numeric(nums[1], "bar", "y")
        width = float(np.asarray(nums[2]).reshape(-1)[0]) if len(nums) > 2 else 0.8
    if y.ndim == 2 and min(y.shape) == 1:
        y = y.reshape(-1)
    if y.ndim == 0:
        y = y.reshape(1)
    if x is None:
        x = np.arange(1, y.shape[0] + 1, dtype=float)
    if x.size != y.shape[0]:
        raise FigureError(f"bar: x has {x.size} values but y has {y.shape[0]} rows")
    color = None
    label = None
    for key, value in _pairs(rest, kwargs, "bar"):
        k = str(key).lower()
        if k == "facecolor":
            color = _color(value)
        elif k == "displayname":
            label = _text(value)
        else:
            raise FigureError(f"bar: '{key}' is not a recognized property. Valid properties: 'FaceColor', 'DisplayName'.")
    mpl_ax = ax.prepare()
    step = float(np.min(np.diff(np.sort(x)))) if x.size > 1 else 1.0
    if y.ndim == 1:
        art = mpl_ax.bar(x, y, width=width * step, color=color or COLOR_ORDER[0], label=label)
        mpl_ax.set_xticks(x)
        return Graphic("bar", art, ax)
    groups = y.shape[1]
    each = width * step / groups
    handles = []
    for j in range(groups):
        off = (j - (groups - 1) / 2) * each
        handles.append(Graphic("bar", mpl_ax.bar(x + off, y[:, j], width=each, color=COLOR_ORDER[j % 7]), ax))
    mpl_ax.set_xticks(x)
    return handles


def _nice(width: float) -> float:
    """Round a bin width up to 1, 2, 5 or 10 times a power of ten."""
    if width <= 0 or not np.isfinite(width):
        return 1.0
    p = 10.0 ** np.floor(np.log10(width))
    for m in (1.0, 2.0, 5.0, 10.0):
        if width <= m * p * (1 + 1e-12):
            return m * p
    return 10.0 * p


def auto_bin_edges(data: np.ndarray) -> np.ndarray:
    """Bin edges for ``histogram(X)`` without a binning option.

    Integer data spanning at most 50 values gets one bin per integer (edges at half-integers); otherwise
    Scott's rule (3.5·σ·n^(-1/3)) rounded up to a 1-2-5 width, edges on multiples of the width, at most
    100 bins. (MATLAB's 'auto' method is documented only as 'chooses a bin width to cover the data range
    and reveal the shape of the distribution'; this is our reading of it.)"""
    x = data[np.isfinite(data)]
    if x.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = float(x.min()), float(x.max())
    if np.all(x == np.round(x)) and hi - lo <= 50:
        return np.arange(lo - 0.5, hi + 1.0, 1.0)
    if hi == lo:
        return np.array([lo - 0.5, hi + 0.5])
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    width = 3.5 * sd * x.size ** (-1.0 / 3.0) if sd > 0 else (hi - lo) / 10
    width = max(width, (hi - lo) / 100)
    width = _nice(width)
    start = np.floor(lo / width) * width
    stop = np.ceil(hi / width) * width
    if stop <= hi:
        stop += width
    n = int(round((stop - start) / width))
    return start + width * np.arange(n + 1)


@matlab_function("histogram", outputs=("h",), data_free=False)
def histogram(*args, **kwargs) -> Histogram:
    """``h = histogram(X)``, ``histogram(X, nbins)``, ``histogram(X, edges)``; 'NumBins', 'BinEdges',
    'BinWidth', 'Normalization' ('count', 'probability', 'percentage', 'pdf', 'countdensity', 'cdf',
    'cumcount'), 'FaceColor', 'DisplayName'. The last bin includes its right edge."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    if not rest:
        raise FigureError("histogram: expected histogram(X)")
    if isinstance(rest[0], __import__("layergraph").values.Categorical):
        return _categorical_histogram(ax, rest[0], rest[1:], kwargs)
    data = _numeric(rest.pop(0), "histogram", "X").reshape(-1)
    edges = None
    if rest and not isinstance(rest[0], str):
        b = np.asarray(rest.pop(0), dtype=float).reshape(-1)
        if b.size == 1:
            nb = int(b[0])
            if nb < 1:
                raise FigureError("histogram: the number of bins must be a positive integer")
            edges = np.linspace(np.nanmin(data), np.nanmax(data), nb + 1) if data.size else np.linspace(0, 1, nb + 1)
        else:
            edges = b
    norm, color, label = "count", COLOR_ORDER[0], None
    for key, value in _pairs(rest, kwargs, "histogram"):
        k = str(key).lower()
        if k == "numbins":
            nb = int(value)
            lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
            edges = np.linspace(lo, hi if hi > lo else lo + 1, nb + 1)
        elif k == "binedges":
            edges = np.asarray(value, dtype=float).reshape(-1)
        elif k == "binwidth":
            w = float(value)
            lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
            start = np.floor(lo / w) * w
            n = max(int(np.ceil((hi - start) / w)), 1)
            if start + n * w <= hi:
                n += 1
            edges = start + w * np.arange(n + 1)
        elif k == "normalization":
            norm = str(value).lower()
            if norm not in ("count", "probability", "percentage", "pdf", "countdensity", "cdf", "cumcount"):
                raise FigureError(f"histogram: unknown Normalization '{value}'")
        elif k == "facecolor":
            color = _color(value)
        elif k == "displayname":
            label = _text(value)
        else:
            raise FigureError(f"histogram: '{key}' is not a recognized parameter. Valid parameters: 'NumBins', "
                              "'BinEdges', 'BinWidth', 'Normalization', 'FaceColor', 'DisplayName'.")
    if edges is None:
        edges = auto_bin_edges(data)
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise FigureError("histogram: bin edges must be increasing with at least two edges")
    counts, _ = np.histogram(data[np.isfinite(data)], bins=edges)
    counts = counts.astype(float)
    widths = np.diff(edges)
    n = counts.sum()
    values = {"count": counts, "probability": counts / n if n else counts,
              "percentage": 100 * counts / n if n else counts,
              "pdf": counts / (n * widths) if n else counts, "countdensity": counts / widths,
              "cdf": np.cumsum(counts) / n if n else counts, "cumcount": np.cumsum(counts)}[norm]
    mpl_ax = ax.prepare()
    patches = mpl_ax.bar(edges[:-1], values, width=widths, align="edge", color=color, alpha=0.6,
                         edgecolor="black", linewidth=0.5, label=label)
    return Histogram(list(patches), ax, data, edges, values, norm)


def _categorical_histogram(ax, c, rest, kwargs):
    from .values.categorical import countcats

    counts = np.asarray(countcats(c), dtype=float).reshape(-1)
    mpl_ax = ax.prepare()
    x = np.arange(1, len(c.categories) + 1)
    patches = mpl_ax.bar(x, counts, width=0.5, color=COLOR_ORDER[0], alpha=0.6, edgecolor="black")
    mpl_ax.set_xticks(x, c.categories)
    h = Histogram(list(patches), ax, c, np.arange(len(c.categories) + 1) + 0.5, counts, "count")
    object.__setattr__(h, "Categories", list(c.categories))
    return h


# ---------------------------------------------------------------------------------------------------
# Images

def _display_image(I, limits=None) -> tuple[np.ndarray, dict]:
    """An image as matplotlib shows it (RGB float in [0, 1], or 2-D with a gray colormap and limits)."""
    arr = np.asarray(I)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise FigureError(f"imshow: expected an H×W grayscale or H×W×3 RGB image, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind == "b":
        scaled = arr.astype(float)
        rng = (0.0, 1.0)
    elif kind in "ui":
        info = np.iinfo(arr.dtype)
        scaled = arr.astype(float)
        rng = (float(info.min), float(info.max))
    elif kind == "f":
        scaled = arr.astype(float)
        rng = (0.0, 1.0)
    else:
        raise FigureError(f"imshow: unsupported image type {arr.dtype}")
    if limits is not None:
        lim = np.asarray(limits, dtype=float).reshape(-1)
        if lim.size == 0:
            finite = scaled[np.isfinite(scaled)]
            rng = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if rng[0] == rng[1]:
                rng = (rng[0], rng[0] + 1.0)
        elif lim.size == 2 and lim[1] > lim[0]:
            rng = (float(lim[0]), float(lim[1]))
        else:
            raise FigureError("imshow: display range must be [] or [low high] with low < high")
    out = np.clip((scaled - rng[0]) / (rng[1] - rng[0]), 0.0, 1.0)
    if out.ndim == 2:
        return out, {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    return out, {}


@matlab_function("imshow", outputs=("himage",), data_free=False)
def imshow(I, *args, **kwargs):
    """``imshow(I)``, ``imshow(I, [])`` (scale to min..max), ``imshow(I, [low high])``, ``imshow(filename)``.

    ``I``: H×W grayscale or H×W×3 RGB in MATLAB layout; uint8/uint16 use their full range, floating
    point [0, 1], logical black/white. Axes are hidden and pixels square."""
    if isinstance(I, (str, os.PathLike)):
        from .policy import check_read

        path = check_read(I, "imshow")
        try:
            from PIL import Image
        except ImportError:
            raise FigureError("imshow of a file needs Pillow") from None
        try:
            I = np.asarray(Image.open(path))
        except (OSError, ValueError) as exc:
            raise FigureError(f"imshow: cannot read image '{I}': {exc}") from None
    args = list(args)
    limits = None
    if args and not isinstance(args[0], str):
        limits = args.pop(0)
    ax = None
    for key, value in _pairs(args, kwargs, "imshow"):
        k = str(key).lower()
        if k == "parent":
            ax = value
        elif k in ("initialmagnification", "border", "interpolation"):
            pass
        elif k == "displayrange":
            limits = value
        else:
            raise FigureError(f"imshow: '{key}' is not a recognized parameter. Valid parameters: 'Parent', "
                              "'DisplayRange', 'InitialMagnification', 'Border', 'Interpolation'.")
    ax = ax or gca()
    img, opts = _display_image(I, limits)
    mpl_ax = ax.prepare()
    art = mpl_ax.imshow(img, interpolation="nearest", **opts)
    mpl_ax.set_axis_off()
    return Graphic("image", art, ax)


def montage_image(images, size=None, background=0.0) -> np.ndarray:
    """Tile images into one (row by row): ``images`` is a list of H×W(×3) arrays or an H×W×C×N array.

    Grid: ``size`` [rows cols] (NaN in one of them: computed), else about square —
    cols = ceil(sqrt(N·H/W)) so the montage is roughly square, rows = ceil(N/cols)."""
    if isinstance(images, np.ndarray) and images.ndim == 4:
        frames = [images[:, :, :, i] for i in range(images.shape[3])]
    elif isinstance(images, np.ndarray) and images.ndim == 3 and images.shape[2] not in (1, 3):
        frames = [images[:, :, i] for i in range(images.shape[2])]
    else:
        frames = [np.asarray(f) for f in images]
    if not frames:
        raise FigureError("montage: no images to show")
    frames = [f[:, :, 0] if f.ndim == 3 and f.shape[2] == 1 else f for f in frames]
    h, w = frames[0].shape[:2]
    rgb = any(f.ndim == 3 for f in frames)
    dtype = np.result_type(*[f.dtype for f in frames])
    for i, f in enumerate(frames):
        if f.shape[:2] != (h, w):
            raise FigureError(f"montage: image {i + 1} is {f.shape[0]}×{f.shape[1]}, the first is {h}×{w}")
    n = len(frames)
    if size is not None:
        s = np.asarray(size, dtype=float).reshape(-1)
        if s.size != 2:
            raise FigureError("montage: Size must be [rows cols]")
        if np.isnan(s[0]):
            cols = int(s[1])
            rows = int(np.ceil(n / cols))
        elif np.isnan(s[1]):
            rows = int(s[0])
            cols = int(np.ceil(n / rows))
        else:
            rows, cols = int(s[0]), int(s[1])
    else:
        cols = max(1, int(np.ceil(np.sqrt(n * h / w))))
        rows = int(np.ceil(n / cols))
    shape = (rows * h, cols * w) + ((3,) if rgb else ())
    out = np.full(shape, background, dtype=dtype)
    for i, f in enumerate(frames[: rows * cols]):
        r, c = divmod(i, cols)
        if rgb and f.ndim == 2:
            f = np.repeat(f[:, :, None], 3, axis=2)
        out[r * h:(r + 1) * h, c * w:(c + 1) * w] = f
    return out


@matlab_function("montage", outputs=("img",), data_free=False)
def montage(images, *args, **kwargs):
    """``montage(I)`` / ``montage({I1, I2, ...})``, ``'Size', [rows cols]``, ``'BackgroundColor'``,
    ``'DisplayRange'``: one image of the frames, row by row, shown with imshow."""
    size, limits = None, None
    for key, value in _pairs(list(args), kwargs, "montage"):
        k = str(key).lower()
        if k == "size":
            size = value
        elif k == "displayrange":
            limits = value
        elif k in ("backgroundcolor", "bordersize", "thumbnailsize", "parent"):
            pass
        else:
            raise FigureError(f"montage: '{key}' is not a recognized parameter. Valid parameters: 'Size', "
                              "'DisplayRange', 'BackgroundColor', 'BorderSize', 'ThumbnailSize', 'Parent'.")
    if hasattr(images, "a") and isinstance(getattr(images, "a"), np.ndarray):
        images = list(images.a.reshape(-1, order="F"))
    img = montage_image(images, size)
    return imshow(img, limits) if limits is not None else imshow(img)


# ---------------------------------------------------------------------------------------------------
# Annotations

def _axes_and_text(args, function):
    ax, rest = _split_axes(args)
    layout = None
    if rest and isinstance(rest[0], TiledLayout):
        layout = rest.pop(0)
    if not rest:
        raise FigureError(f"{function}: expected {function}(text)")
    return ax, layout, rest


def _text_props(pairs, function):
    out = {}
    for key, value in pairs:
        k = str(key).lower()
        if k == "fontsize":
            out["fontsize"] = float(value)
        elif k == "color":
            out["color"] = _color(value)
        elif k == "fontweight":
            out["fontweight"] = str(value)
        elif k == "interpreter":
            pass
        else:
            raise FigureError(f"{function}: '{key}' is not a recognized property. Valid properties: 'FontSize', "
                              "'Color', 'FontWeight', 'Interpreter'.")
    return out


@matlab_function("title", outputs=("t",), data_free=False)
def title(*args, **kwargs) -> Text:
    """``title(text)``, ``title(text, subtitle)``, ``title(ax, ...)``, ``title(t, text)`` for a tiled layout."""
    ax, layout, rest = _axes_and_text(args, "title")
    label = _text(rest.pop(0))
    if rest and not (isinstance(rest[0], str) and rest[0].lower() in ("fontsize", "color", "fontweight", "interpreter")):
        label += "\n" + _text(rest.pop(0))
    props = _text_props(_pairs(rest, kwargs, "title"), "title")
    if layout is not None:
        return Text(layout._fig.mpl.suptitle(label, **props))
    ax = ax or gca()
    return Text(ax._ax.set_title(label, **props))


@matlab_function("xlabel", outputs=("t",), data_free=False)
def xlabel(*args, **kwargs) -> Text:
    """``xlabel(text)``, ``xlabel(ax, text)``."""
    ax, layout, rest = _axes_and_text(args, "xlabel")
    label = _text(rest.pop(0))
    props = _text_props(_pairs(rest, kwargs, "xlabel"), "xlabel")
    if layout is not None:
        return Text(layout._fig.mpl.supxlabel(label, **props))
    return Text((ax or gca())._ax.set_xlabel(label, **props))


@matlab_function("ylabel", outputs=("t",), data_free=False)
def ylabel(*args, **kwargs) -> Text:
    """``ylabel(text)``, ``ylabel(ax, text)``."""
    ax, layout, rest = _axes_and_text(args, "ylabel")
    label = _text(rest.pop(0))
    props = _text_props(_pairs(rest, kwargs, "ylabel"), "ylabel")
    if layout is not None:
        return Text(layout._fig.mpl.supylabel(label, **props))
    return Text((ax or gca())._ax.set_ylabel(label, **props))


@matlab_function("legend", outputs=("lgd",), data_free=False)
def legend(*args, **kwargs):
    """``legend(label1, ..., labelN)``, ``legend({labels})``, ``legend('show'|'off')``, ``'Location', loc``."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    mpl_ax = ax._ax
    labels = []
    loc = "upper right"
    i = 0
    while i < len(rest):
        v = rest[i]
        if isinstance(v, str) and v.lower() == "location" and i + 1 < len(rest):
            key = str(rest[i + 1]).lower()
            if key not in _LEGEND_LOCATIONS:
                raise FigureError(f"legend: unknown Location '{rest[i + 1]}'")
            loc = _LEGEND_LOCATIONS[key]
            i += 2
            continue
        if isinstance(v, str) and v.lower() in ("off", "hide"):
            if mpl_ax.get_legend():
                mpl_ax.get_legend().remove()
            return None
        if isinstance(v, str) and v.lower() in ("show", "boxoff", "boxon"):
            i += 1
            continue
        if isinstance(v, (list, tuple)) or hasattr(v, "a"):
            labels.extend(_text(x) for x in (v.a.reshape(-1, order="F") if hasattr(v, "a") else v))
        else:
            labels.append(_text(v))
        i += 1
    for key, value in kwargs.items():
        if key.lower() == "location":
            loc = _LEGEND_LOCATIONS.get(str(value).lower(), "upper right")
        else:
            raise FigureError(f"legend: '{key}' is not a recognized parameter")
    handles = [h for h in mpl_ax.get_lines() + list(mpl_ax.collections) + list(mpl_ax.containers)
               if not (getattr(h, "get_label", lambda: "_")() or "_").startswith("_") or labels]
    if labels:
        handles = (list(mpl_ax.get_lines()) + list(mpl_ax.collections) + list(mpl_ax.containers))[: len(labels)]
        return mpl_ax.legend(handles, labels, loc=loc)
    return mpl_ax.legend(loc=loc)


@matlab_function("grid", outputs=(), data_free=False)
def grid(*args):
    """``grid on``, ``grid off``, ``grid minor``, ``grid(ax, 'on')``; ``grid`` alone toggles."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    if not rest:
        ax.XGrid = "off" if ax.XGrid == "on" else "on"
        ax._ax.grid(ax.XGrid == "on")
        return
    state = str(rest[0]).lower()
    if state == "minor":
        ax._ax.minorticks_on()
        ax._ax.grid(True, which="minor", alpha=0.3)
        return
    ax.XGrid = state
    ax.YGrid = state


@matlab_function("axis", outputs=("lim",), data_free=False)
def axis(*args):
    """``axis([xmin xmax ymin ymax])``, ``axis equal|image|square|tight|off|on|normal``; ``axis`` returns the limits."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    mpl_ax = ax._ax
    if not rest:
        return np.concatenate([ax.XLim, ax.YLim])
    for v in rest:
        if isinstance(v, str):
            mode = v.lower()
            if mode == "equal":
                mpl_ax.set_aspect("equal", adjustable="datalim")
            elif mode == "image":
                mpl_ax.set_aspect("equal")
                mpl_ax.autoscale(tight=True)
            elif mode == "square":
                mpl_ax.set_box_aspect(1)
            elif mode == "tight":
                mpl_ax.autoscale(tight=True)
            elif mode == "off":
                mpl_ax.set_axis_off()
            elif mode == "on":
                mpl_ax.set_axis_on()
            elif mode in ("normal", "auto", "fill"):
                mpl_ax.set_aspect("auto")
                mpl_ax.autoscale(True)
            elif mode == "ij":
                if not mpl_ax.yaxis_inverted():
                    mpl_ax.invert_yaxis()
            elif mode == "xy":
                if mpl_ax.yaxis_inverted():
                    mpl_ax.invert_yaxis()
            else:
                raise FigureError(f"axis: unknown option '{v}'")
        else:
            lim = np.asarray(v, dtype=float).reshape(-1)
            if lim.size not in (4, 6) or lim[1] <= lim[0] or lim[3] <= lim[2]:
                raise FigureError("axis: limits must be [xmin xmax ymin ymax] with min < max")
            mpl_ax.set_xlim(lim[0], lim[1])
            mpl_ax.set_ylim(lim[2], lim[3])
    return np.concatenate([ax.XLim, ax.YLim])


@matlab_function("colorbar", outputs=("c",), data_free=False)
def colorbar(*args):
    """``colorbar``: a colour bar for the last image or coloured scatter of the current axes."""
    ax, rest = _split_axes(args)
    ax = ax or gca()
    if rest and isinstance(rest[0], str) and rest[0].lower() == "off":
        return None
    mappable = (ax._ax.images or [None])[-1] or next((c for c in ax._ax.collections if c.get_array() is not None), None)
    if mappable is None:
        from matplotlib.cm import ScalarMappable

        mappable = ScalarMappable(cmap="parula" if "parula" in __import__("matplotlib").colormaps else "viridis")
    return ax.Parent.mpl.colorbar(mappable, ax=ax._ax)


# ---------------------------------------------------------------------------------------------------
# Saving

_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "pdf": "pdf", "svg": "svg", "tif": "tif", "tiff": "tif",
            "eps": "eps", "epsc": "eps", "bmp": "png"}


def _figure_of(obj, function) -> Figure:
    if obj is None:
        return _current_figure()
    if isinstance(obj, Figure):
        return obj
    if isinstance(obj, Axes):
        return obj.Parent
    if isinstance(obj, TiledLayout):
        return obj._fig
    if hasattr(obj, "Parent") and isinstance(getattr(obj, "Parent"), Figure):
        return obj.Parent
    raise FigureError(f"{function}: expected a figure, axes, tiled layout or chart, not {type(obj).__name__}")


def _save(fig: Figure, path: Path, fmt: str, dpi: float, tight: bool = False, function: str = "saveas"):
    if fmt == "png" and path.suffix.lower() == ".bmp":
        raise FigureError(f"{function}: .bmp is not supported; use .png")
    try:
        fig.mpl.savefig(path, format=fmt, dpi=dpi, bbox_inches="tight" if tight else None,
                        pad_inches=0.05 if tight else 0.1, facecolor=fig.mpl.get_facecolor())
    except OSError as exc:
        raise FigureError(f"{function}: cannot write '{path}': {exc}") from None
    return path


@matlab_function("saveas", outputs=(), data_free=False)
def saveas(fig, filename, formattype=None):
    """``saveas(fig, filename)``, ``saveas(fig, filename, formattype)``: the figure at its pixel size
    (560×420 by default). Format from the extension ('.png', '.jpg', '.pdf', '.svg', '.tif', '.eps')
    or ``formattype``; a name without extension gets '.' + formattype (or '.fig'-less '.png')."""
    target = _figure_of(fig, "saveas")
    name = os.fspath(filename)
    ext = Path(name).suffix.lower().lstrip(".")
    if formattype is not None:
        fmt = _FORMATS.get(str(formattype).lower())
        if fmt is None:
            raise FigureError(f"saveas: unsupported format '{formattype}' (png, jpg, pdf, svg, tif, eps)")
        if not ext:
            name += "." + fmt
    else:
        if not ext:
            name += ".png"
            ext = "png"
        fmt = _FORMATS.get(ext)
        if fmt is None:
            raise FigureError(f"saveas: unsupported file extension '.{ext}' (png, jpg, pdf, svg, tif, eps)")
    path = figure_path(name, "saveas")
    return _save(target, path, fmt, SCREEN_DPI, function="saveas")


@matlab_function("exportgraphics", outputs=(), data_free=False)
def exportgraphics(obj, filename, *args, **kwargs):
    """``exportgraphics(obj, filename, 'Resolution', dpi)``: the content tightly cropped, at ``Resolution``
    dots per inch (150 by default) — a 560×420 figure's content is about 875×656 pixels."""
    fig = _figure_of(obj, "exportgraphics")
    dpi = 150.0
    for key, value in _pairs(list(args), kwargs, "exportgraphics"):
        k = str(key).lower()
        if k == "resolution":
            dpi = float(np.asarray(value).reshape(-1)[0])
            if dpi <= 0:
                raise FigureError("exportgraphics: Resolution must be positive")
        elif k in ("backgroundcolor", "contenttype", "colorspace", "append", "padding"):
            pass
        else:
            raise FigureError(f"exportgraphics: '{key}' is not a recognized parameter. Valid parameters: "
                              "'Resolution', 'BackgroundColor', 'ContentType', 'Colorspace', 'Append', 'Padding'.")
    name = os.fspath(filename)
    ext = Path(name).suffix.lower().lstrip(".")
    fmt = _FORMATS.get(ext)
    if fmt is None or ext == "bmp":
        raise FigureError(f"exportgraphics: unsupported file extension '.{ext}' (png, jpg, tif, pdf, eps, svg)")
    path = figure_path(name, "exportgraphics")
    return _save(fig, path, fmt, dpi, tight=True, function="exportgraphics")


@matlab_function("print", outputs=(), data_free=False)
def print_figure(*args):
    """``print(fig, filename, '-dpng', '-r300')``, ``print -dpng name``: the whole figure at ``-rN`` dpi
    (150 by default; a 560×420-pixel figure is 5.83×4.375 inches, 875×656 pixels at 150 dpi)."""
    fig, fmt, dpi, name = None, None, 150.0, None
    for a in args:
        if isinstance(a, Figure):
            fig = a
        elif isinstance(a, str) and a.startswith("-d"):
            fmt = {"png": "png", "jpeg": "jpg", "pdf": "pdf", "svg": "svg", "tiff": "tif", "epsc": "eps",
                   "eps": "eps"}.get(a[2:].lower())
            if fmt is None:
                raise FigureError(f"print: unsupported device '{a}' (-dpng, -djpeg, -dpdf, -dsvg, -dtiff, -depsc)")
        elif isinstance(a, str) and a.startswith("-r"):
            try:
                dpi = float(a[2:])
            except ValueError:
                raise FigureError(f"print: bad resolution '{a}'") from None
            if dpi <= 0:
                raise FigureError(f"print: bad resolution '{a}'")
        elif isinstance(a, str) and a.startswith("-"):
            continue
        elif isinstance(a, (str, os.PathLike)):
            name = os.fspath(a)
        else:
            fig = _figure_of(a, "print")
    if name is None:
        raise FigureError("print: printing to a printer is not supported; give a file name and a device (-dpng)")
    fig = fig or _current_figure()
    ext = Path(name).suffix.lower().lstrip(".")
    if fmt is None:
        fmt = _FORMATS.get(ext, "png") if ext else "png"
    if not ext:
        name += "." + fmt
    path = figure_path(name, "print")
    return _save(fig, path, fmt, dpi, function="print")


def save_open_figures(folder=None) -> list[Path]:
    """Save every open figure as FOLDER/figure-N.png (N its number); what ``layergraph run --figures DIR``
    does at the end of a script. ``folder`` defaults to the figures folder."""
    root = Path(os.fspath(folder)) if folder is not None else figures_folder()
    paths = []
    for fig in open_figures():
        path = check_write(root / f"figure-{fig.Number}.png", "saveas")
        if not path.parent.is_dir():
            raise FigureError(f"saveas: folder '{path.parent}' does not exist")
        paths.append(_save(fig, path, "png", SCREEN_DPI))
    return paths


# `print` is MATLAB's name; the Python function is print_figure so the module never shadows builtins.print
globals()["print"] = print_figure

__all__ = [
    "Figure", "Axes", "TiledLayout", "Graphic", "Histogram", "Text", "FigureError", "COLOR_ORDER",
    "set_figures_folder", "figures_folder", "figure_path", "open_figures", "save_open_figures",
    "figure", "gcf", "gca", "clf", "close", "subplot", "tiledlayout", "nexttile", "hold", "plot", "scatter",
    "bar", "histogram", "auto_bin_edges", "imshow", "montage", "montage_image", "title", "xlabel", "ylabel",
    "legend", "grid", "axis", "colorbar", "saveas", "exportgraphics", "print_figure",
]
