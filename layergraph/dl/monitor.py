"""``trainingProgressMonitor`` and ``animatedline``/``addpoints``/``drawnow`` for custom loops, headless.

``monitor = trainingProgressMonitor('Metrics', ["TrainingLoss", "ValidationLoss"], 'Info', ["Epoch"],
'XLabel', "Iteration")``; ``recordMetrics(monitor, iteration, 'TrainingLoss', loss)``;
``updateInfo(monitor, 'Epoch', epoch)``; ``monitor.Progress = 100*iteration/numIterations``;
``monitor.Stop`` (false: there is no Stop button to press; set it to end a loop from code);
``groupSubPlot(monitor, "Loss", ["TrainingLoss", "ValidationLoss"])``.

The figure (one subplot per metric group, the info and progress in its title) is written as a PNG in
the figures folder (``training-progress.png``, or ``-N`` for later monitors; the path is printed) at
most every 2 seconds, when Progress reaches 100 and on ``drawnow``; every time it is written a
console line reports the x value, the progress, the info and the latest metrics.

``h = animatedline(...)`` is a line in the current figure (:mod:`layergraph.figures`);
``addpoints(h, x, y)`` appends points; ``drawnow`` writes the open figures to the figures folder
(``figure-N.png``; ``drawnow limitrate`` at most every 2 seconds).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from ..errors import OptionError
from ..functions import matlab_function
from .dlarray import DLArray
from .options import parse_options

_MONITORS: list = []


def _names(value, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = list(value.a.reshape(-1)) if hasattr(value, "a") else list(np.asarray(value, dtype=object).reshape(-1))
    if not all(isinstance(v, str) for v in items):
        raise OptionError(f"trainingProgressMonitor: {what} must be text (a string array or cell array of names).")
    return [str(v) for v in items]


def _value(v) -> float:
    if isinstance(v, DLArray):
        v = v.data.detach().cpu().numpy()
    arr = np.asarray(v, dtype=np.float64).reshape(-1)
    if arr.size != 1:
        raise OptionError("recordMetrics: metric values must be numeric scalars.")
    return float(arr[0])


class TrainingProgressMonitor:
    """MATLAB ``trainingProgressMonitor`` (see the module docstring)."""

    MATLAB_PROPERTIES = ("Metrics", "Info", "XLabel", "Progress", "Stop", "Status", "Visible", "MetricData",
                         "InfoData")
    MATLAB_SETTABLE = ("Metrics", "Info", "XLabel", "Progress", "Stop", "Status", "Visible")
    MATLAB_METHODS = ("recordMetrics", "updateInfo", "groupSubPlot")
    MATLAB_HANDLE = True     # a MATLAB handle object: monitor.Progress = p changes this monitor

    def __init__(self, Metrics=(), Info=(), XLabel="Iteration", Visible=True, path=None, interval: float = 2.0,
                 echo=print):
        self.Metrics = _names(Metrics, "Metrics")
        self.Info = _names(Info, "Info")
        self.XLabel = str(XLabel)
        self.Visible = bool(Visible)
        self.Status = "Running"
        self.Stop = False
        self._progress = 0.0
        self.MetricData = {m: np.zeros((0, 2)) for m in self.Metrics}
        self.InfoData = {k: None for k in self.Info}
        self._groups: dict[str, list[str]] = {}
        self._scales: dict[str, str] = {}
        self._interval = interval
        self._last = -math.inf
        self._echo = echo
        self._start = time.monotonic()
        if path is None:
            from ..training.display import _next_progress_path

            path = _next_progress_path()
        from ..policy import check_write

        self.path = str(check_write(path, "trainingProgressMonitor"))
        _MONITORS.append(self)
        if echo is not None:
            echo(f"Training progress monitor: {self.path}")

    # ---- properties ------------------------------------------------------------------------------

    @property
    def Progress(self) -> float:
        return self._progress

    @Progress.setter
    def Progress(self, value):
        v = _value(value)
        if not 0 <= v <= 100:
            raise OptionError("trainingProgressMonitor: Progress must be between 0 and 100.")
        self._progress = v
        if v >= 100:
            self.draw(force=True)

    # ---- recording -------------------------------------------------------------------------------

    def recordMetrics(self, step, *args, **kwargs):
        values = _pairs_or_struct("recordMetrics", args, kwargs)
        x = _value(step)
        for name, v in values.items():
            if name not in self.MetricData:
                raise OptionError(f"recordMetrics: '{name}' is not a metric of this monitor (Metrics: "
                                  + ", ".join(self.Metrics) + ").")
            self.MetricData[name] = np.vstack([self.MetricData[name], [[x, _value(v)]]])
        self._x = x
        self.draw()

    def updateInfo(self, *args, **kwargs):
        for name, v in _pairs_or_struct("updateInfo", args, kwargs).items():
            if name not in self.InfoData:
                raise OptionError(f"updateInfo: '{name}' is not an information field of this monitor (Info: "
                                  + ", ".join(self.Info) + ").")
            self.InfoData[name] = v.data.detach().cpu().numpy() if isinstance(v, DLArray) else v
        self.draw()

    def groupSubPlot(self, name, metrics):
        names = _names(metrics, "metrics")
        unknown = [m for m in names if m not in self.MetricData]
        if unknown:
            raise OptionError(f"groupSubPlot: '{unknown[0]}' is not a metric of this monitor.")
        self._groups[str(name)] = names

    def yscale(self, name, scale):
        if str(scale) not in ("linear", "log"):
            raise OptionError("yscale: scale must be 'linear' or 'log'.")
        self._scales[str(name)] = str(scale)

    # ---- output ----------------------------------------------------------------------------------

    def _panels(self) -> list[tuple[str, list[str]]]:
        grouped = {m for ms in self._groups.values() for m in ms}
        panels = list(self._groups.items())
        panels += [(m, [m]) for m in self.Metrics if m not in grouped]
        return panels

    def line(self) -> str:
        parts = [f"{self.XLabel} {getattr(self, '_x', 0):g}", f"Progress {self._progress:.0f}%"]
        for k, v in self.InfoData.items():
            if v is not None:
                parts.append(f"{k}: {_fmt(v)}")
        for m, data in self.MetricData.items():
            if len(data):
                parts.append(f"{m}: {data[-1, 1]:.4g}")
        return " | ".join(parts)

    def draw(self, force: bool = False):
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        if self._echo is not None:
            self._echo(self.line())
        self._save()

    def _save(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..figures import COLOR_ORDER

        panels = self._panels() or [("", [])]
        fig = Figure(figsize=(9, 2.6 * len(panels) + 0.8))
        FigureCanvasAgg(fig)
        for i, (title, metrics) in enumerate(panels):
            ax = fig.add_subplot(len(panels), 1, i + 1)
            for k, m in enumerate(metrics):
                data = self.MetricData[m]
                if len(data):
                    ax.plot(data[:, 0], data[:, 1], color=COLOR_ORDER[k % len(COLOR_ORDER)], linewidth=1.0,
                            marker="o" if len(data) < 30 else None, markersize=3, label=m)
            if len(metrics) > 1:
                ax.legend(loc="best")
            ax.set_title(title)
            ax.set_xlabel(self.XLabel)
            ax.grid(True, alpha=0.3)
            if self._scales.get(title) == "log":
                ax.set_yscale("log")
        info = ", ".join(f"{k}: {_fmt(v)}" for k, v in self.InfoData.items() if v is not None)
        elapsed = time.monotonic() - self._start
        fig.suptitle(f"Training Progress ({self.Status}) — {self._progress:.0f}%   Elapsed {elapsed:.0f} s"
                     + (f"\n{info}" if info else ""), fontsize=10)
        fig.tight_layout()
        tmp = self.path + ".tmp.png"
        try:
            fig.savefig(tmp, dpi=80)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise OptionError(f"trainingProgressMonitor: cannot write '{self.path}': {exc.strerror or exc}.") from None

    def __repr__(self):
        return (f"  TrainingProgressMonitor with properties:\n\n{'Stop':>12}: {int(self.Stop)}\n"
                f"{'Progress':>12}: {self._progress:g}\n{'Metrics':>12}: {self.Metrics}\n{'Info':>12}: {self.Info}\n"
                f"{'XLabel':>12}: \"{self.XLabel}\"\n{'Status':>12}: \"{self.Status}\"\n")


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    arr = np.asarray(v)
    if arr.dtype.kind in "fiu" and arr.size == 1:
        return f"{float(arr.reshape(-1)[0]):.4g}"
    return str(v)


def _pairs_or_struct(function, args, kwargs) -> dict:
    out = {}
    rest = list(args)
    if len(rest) == 1 and isinstance(rest[0], dict):
        out.update(rest[0])
        rest = []
    if len(rest) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs.")
    for k, v in zip(rest[::2], rest[1::2]):
        out[str(k)] = v
    out.update(kwargs)
    return out


@matlab_function("trainingProgressMonitor", outputs=("monitor",))
def trainingProgressMonitor(*args, **kwargs) -> TrainingProgressMonitor:
    """``monitor = trainingProgressMonitor('Metrics', names, 'Info', names, 'XLabel', text, 'Visible', tf)``."""
    _, opts = parse_options("trainingProgressMonitor", args, kwargs, {
        "metrics": ("Metrics", ()), "info": ("Info", ()), "xlabel": ("XLabel", "Iteration"),
        "visible": ("Visible", True), "status": ("Status", "Running"), "progress": ("Progress", 0)})
    monitor = TrainingProgressMonitor(opts["Metrics"], opts["Info"], opts["XLabel"], opts["Visible"])
    monitor.Status = str(opts["Status"])
    monitor.Progress = opts["Progress"]
    return monitor


@matlab_function("recordMetrics", outputs=())
def recordMetrics(monitor, step, *args, **kwargs):
    """``recordMetrics(monitor, step, 'Name', value, ...)`` or ``recordMetrics(monitor, step, struct)``."""
    return monitor.recordMetrics(step, *args, **kwargs)


@matlab_function("updateInfo", outputs=())
def updateInfo(monitor, *args, **kwargs):
    """``updateInfo(monitor, 'Name', value, ...)``."""
    return monitor.updateInfo(*args, **kwargs)


@matlab_function("groupSubPlot", outputs=())
def groupSubPlot(monitor, name, metrics):
    """``groupSubPlot(monitor, groupName, metricNames)``: plot these metrics in one subplot."""
    return monitor.groupSubPlot(name, metrics)


# ------------------------------------------------------------------------------------------------
# animated lines

class AnimatedLine:
    """MATLAB ``animatedline``: a line you add points to (``addpoints``); drawn in a figures axes."""

    MATLAB_PROPERTIES = ("Color", "LineWidth", "DisplayName", "MaximumNumPoints", "Visible")
    MATLAB_SETTABLE = ("Color", "LineWidth", "DisplayName", "Visible")
    MATLAB_METHODS = ("addpoints", "clearpoints", "getpoints")

    def __init__(self, graphic, maximum: float):
        object.__setattr__(self, "_graphic", graphic)
        object.__setattr__(self, "_x", [])
        object.__setattr__(self, "_y", [])
        object.__setattr__(self, "MaximumNumPoints", maximum)

    def __getattr__(self, name):
        return getattr(object.__getattribute__(self, "_graphic"), name)

    def __setattr__(self, name, value):
        setattr(self._graphic, name, value)

    def addpoints(self, x, y):
        xs = np.asarray(x.data.detach().numpy() if isinstance(x, DLArray) else x, dtype=float).reshape(-1)
        ys = np.asarray(y.data.detach().numpy() if isinstance(y, DLArray) else y, dtype=float).reshape(-1)
        if xs.size != ys.size:
            raise OptionError("addpoints: x and y must have the same number of elements.")
        self._x.extend(xs.tolist())
        self._y.extend(ys.tolist())
        if math.isfinite(self.MaximumNumPoints) and len(self._x) > self.MaximumNumPoints:
            k = int(self.MaximumNumPoints)
            object.__setattr__(self, "_x", self._x[-k:])
            object.__setattr__(self, "_y", self._y[-k:])
        artist = self._graphic._artist
        artist.set_data(self._x, self._y)
        ax = artist.axes
        ax.relim()
        ax.autoscale_view()

    def getpoints(self):
        return np.asarray(self._x).reshape(1, -1), np.asarray(self._y).reshape(1, -1)

    def clearpoints(self):
        object.__setattr__(self, "_x", [])
        object.__setattr__(self, "_y", [])
        self._graphic._artist.set_data([], [])


@matlab_function("animatedline", outputs=("h",), data_free=False)
def animatedline(*args, **kwargs) -> AnimatedLine:
    """``h = animatedline(ax, 'Color', c, 'LineWidth', w, 'DisplayName', s, 'MaximumNumPoints', n)``."""
    from .. import figures

    rest = list(args)
    ax = rest.pop(0) if rest and isinstance(rest[0], figures.Axes) else None
    pairs = list(zip(rest[::2], rest[1::2])) + list(kwargs.items())
    maximum = math.inf
    style = []
    for k, v in pairs:
        if str(k).lower() == "maximumnumpoints":
            maximum = float(v)
        else:
            style += [k, v]
    line = figures.plot(*(([ax] if ax is not None else []) + [np.zeros(0), np.zeros(0)] + style))
    return AnimatedLine(line, maximum)


@matlab_function("addpoints", outputs=())
def addpoints(h, x, y):
    """``addpoints(h, x, y)``: append points to an animated line."""
    if not isinstance(h, AnimatedLine):
        raise OptionError("addpoints: first input must be an animatedline.")
    h.addpoints(x, y)


@matlab_function("getpoints", outputs=("x", "y"))
def getpoints(h):
    """``[x, y] = getpoints(h)``: the points of an animated line (row vectors)."""
    if not isinstance(h, AnimatedLine):
        raise OptionError("getpoints: first input must be an animatedline.")
    return h.getpoints()


@matlab_function("clearpoints", outputs=())
def clearpoints(h):
    """``clearpoints(h)``: remove every point of an animated line."""
    if not isinstance(h, AnimatedLine):
        raise OptionError("clearpoints: first input must be an animatedline.")
    h.clearpoints()


_LAST_DRAW = [-math.inf]


@matlab_function("drawnow", outputs=())
def drawnow(*args):
    """``drawnow`` / ``drawnow limitrate``: write the open figures (``figure-N.png`` in the figures folder);
    with 'limitrate' at most every 2 seconds. Training progress monitors are redrawn too."""
    limit = any(str(a).lower() == "limitrate" for a in args)
    now = time.monotonic()
    if limit and now - _LAST_DRAW[0] < 2.0:
        return
    _LAST_DRAW[0] = now
    from ..figures import open_figures, save_open_figures

    if open_figures():
        save_open_figures()
    for m in _MONITORS:
        m.draw(force=True)


__all__ = ["TrainingProgressMonitor", "trainingProgressMonitor", "recordMetrics", "updateInfo", "groupSubPlot",
           "AnimatedLine", "animatedline", "addpoints", "getpoints", "clearpoints", "drawnow"]
