"""What training prints and draws: MATLAB's verbose table (90/120 characters), trainnet's table, the
training-progress figure (a PNG updated during training; no window needed)."""

from __future__ import annotations

import math
import os
import time

from ..policy import check_write

WIDTHS_90 = (9, 13, 16, 14, 14, 17)
WIDTHS_120 = (9, 13, 16, 14, 14, 14, 14, 17)


def hms(seconds: float) -> str:
    s = int(max(0.0, seconds))
    return f"{s // 3600:02d}:{(s % 3600) // 60:02d}:{s % 60:02d}"


def fmt_accuracy(v) -> str:
    return "" if v is None else ("NaN" if math.isnan(v) else f"{v:.2f}%")


def fmt_loss(v) -> str:
    """4 decimals (``2.3139``); 1 decimal from 1000 up (``3038.8``, ``92238.5``), as MATLAB's tables show."""
    if v is None:
        return ""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    return f"{v:.1f}" if abs(v) >= 1000 else f"{v:.4f}"


def fmt_rmse(v) -> str:
    return "" if v is None else ("NaN" if math.isnan(v) else f"{v:.2f}")


def fmt_rate(v) -> str:
    """``0.0100``, ``0.0005`` but ``1.0000e-04``: fixed 4 decimals above 1e-4, otherwise exponent."""
    return f"{v:.4f}" if v > 1e-4 else f"{v:.4e}"


class VerboseTable:
    """MATLAB's trainNetwork table. ``metric`` is 'accuracy' (classification) or 'rmse' (regression)."""

    def __init__(self, metric: str, validation: bool):
        self.metric = metric
        self.validation = validation
        self.widths = WIDTHS_120 if validation else WIDTHS_90

    @property
    def width(self) -> int:
        return sum(self.widths) + len(self.widths) + 1

    def border(self) -> str:
        return "|" + "=" * (self.width - 2) + "|"

    def header(self) -> str:
        m1, m2 = ("Accuracy", "RMSE") if self.metric == "accuracy" else ("RMSE", "RMSE")
        metric_word = "Accuracy" if self.metric == "accuracy" else "RMSE"
        top = ["Epoch", "Iteration", "Time Elapsed", "Mini-batch"]
        bottom = ["", "", "(hh:mm:ss)", metric_word]
        if self.validation:
            top += ["Validation", "Mini-batch", "Validation"]
            bottom += [metric_word, "Loss", "Loss"]
        else:
            top += ["Mini-batch"]
            bottom += ["Loss"]
        top.append("Base Learning")
        bottom.append("Rate")
        return "\n".join([self.border(), self._line(top, center=True), self._line(bottom, center=True), self.border()])

    def _line(self, cells, center=False) -> str:
        parts = []
        for text, w in zip(cells, self.widths):
            parts.append(_center(text, w) if center else f"{text:>{w - 1}} ")
        return "|" + "|".join(parts) + "|"

    def row(self, epoch, iteration, elapsed, mb_metric, mb_loss, lr, val_metric=None, val_loss=None) -> str:
        f = fmt_accuracy if self.metric == "accuracy" else fmt_rmse
        cells = [str(epoch), str(iteration), hms(elapsed), f(mb_metric)]
        if self.validation:
            cells += [f(val_metric), fmt_loss(mb_loss), fmt_loss(val_loss)]
        else:
            cells += [fmt_loss(mb_loss)]
        cells.append(fmt_rate(lr))
        return self._line(cells)

    def footer(self) -> str:
        return self.border()


def _center(text: str, width: int) -> str:
    """MATLAB's header cells: the label centred, extra space on the right (``  Epoch  ``)."""
    if not text:
        return " " * width
    left = (width - len(text)) // 2
    return " " * left + text + " " * (width - len(text) - left)


class TrainnetTable:
    """trainnet's verbose table: right-aligned columns under underscores (MATLAB R2023b+ style)."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.widths = [max(len(c), 9) for c in columns]

    def header(self) -> str:
        names = "    ".join(f"{c:>{w}}" for c, w in zip(self.columns, self.widths))
        lines = "    ".join(f"{'_' * len(c):>{w}}" for c, w in zip(self.columns, self.widths))
        return "    " + names + "\n    " + lines

    def row(self, values: dict) -> str:
        cells = []
        for c, w in zip(self.columns, self.widths):
            v = values.get(c)
            if v is None:
                text = ""
            elif c == "TimeElapsed":
                text = hms(v)
            elif isinstance(v, int):
                text = str(v)
            elif c == "LearnRate":
                text = f"{v:.4g}"
            elif "Accuracy" in c:
                text = f"{v:.4f}" if not math.isnan(v) else "NaN"
            else:
                text = f"{v:.4f}" if abs(v) < 1000 else f"{v:.1f}"
            cells.append(f"{text:>{w}}")
        return "    " + "    ".join(cells)


_PROGRESS_COUNT = [0]


def _next_progress_path():
    """training-progress.png in the figures folder (layergraph.figures_folder()); a second training in the
    same process writes training-progress-2.png, and so on."""
    from ..figures import figure_path

    _PROGRESS_COUNT[0] += 1
    n = _PROGRESS_COUNT[0]
    return figure_path("training-progress.png" if n == 1 else f"training-progress-{n}.png", "trainNetwork")


SMOOTHING = 0.6   # weight of the past in the smoothed curve (MATLAB does not document its factor)


def smooth(values, weight: float = SMOOTHING) -> list:
    """The "Training (smoothed)" curve: a bias-corrected exponential moving average,
    ``s_t = w·s_{t-1} + (1−w)·x_t``, shown as ``s_t / (1 − w^t)`` (so it starts at the first value);
    missing values (None/NaN) are skipped and shown as NaN."""
    out, s, n = [], 0.0, 0
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(math.nan)
            continue
        n += 1
        s = weight * s + (1.0 - weight) * float(v)
        out.append(s / (1.0 - weight ** n))
    return out


class ProgressPlot:
    """``Plots='training-progress'``: loss (and accuracy/RMSE) against iteration, saved as a PNG in the
    figures folder (the current folder, ``set_figures_folder``, ``$LAYERGRAPH_FIGURES`` or ``--figures``).

    The file is rewritten at most every ``interval`` seconds during training and once at the end;
    its path is printed when training starts. No window is opened (matplotlib's Agg canvas).
    """

    def __init__(self, metric: str, path: str | None = None, interval: float = 2.0, echo=print):
        from matplotlib.figure import Figure
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.metric = metric
        if path is None:
            path = str(_next_progress_path())
        self.path = str(check_write(path, "trainNetwork"))
        self.interval = interval
        self.last = -math.inf
        self.fig = Figure(figsize=(9, 6))
        FigureCanvasAgg(self.fig)
        self.ax_metric = self.fig.add_subplot(2, 1, 1)
        self.ax_loss = self.fig.add_subplot(2, 1, 2)
        self.it, self.loss, self.met = [], [], []
        self.vit, self.vloss, self.vmet = [], [], []
        echo(f"Training progress plot: {self.path}")

    def add(self, iteration, loss, metric, val_loss=None, val_metric=None):
        self.it.append(iteration)
        self.loss.append(loss)
        self.met.append(metric)
        if val_loss is not None:
            self.vit.append(iteration)
            self.vloss.append(val_loss)
            self.vmet.append(val_metric)
        if time.monotonic() - self.last >= self.interval:
            self.save()

    def save(self, title: str | None = None):
        label = "Accuracy (%)" if self.metric == "accuracy" else "RMSE"
        for ax, ys, vys, name in ((self.ax_metric, self.met, self.vmet, label), (self.ax_loss, self.loss, self.vloss, "Loss")):
            ax.clear()
            # as MATLAB's plot: the raw values light and thin, the smoothed curve dark on top
            ax.plot(self.it, ys, color="#9ecae1", linewidth=0.7, label="Training")
            ax.plot(self.it, smooth(ys), color="#0072BD", linewidth=1.6, label="Training (smoothed)")
            if self.vit:
                ax.plot(self.vit, vys, "k--o", markersize=3, linewidth=0.8, label="Validation")
            ax.legend(loc="best", fontsize=8)
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
        if self.metric == "accuracy":   # 0..100 with a margin, so a curve at 100 % stays visible
            self.ax_metric.set_ylim(-2, 104)
            self.ax_metric.set_yticks(range(0, 101, 10))
        finite = [v for v in self.loss + self.vloss if v is not None and math.isfinite(v)]
        if finite:
            self.ax_loss.set_ylim(0, max(finite) * 1.05 or 1.0)
        self.ax_loss.set_xlabel("Iteration")
        if title:
            self.fig.suptitle(title)
        tmp = self.path + ".tmp.png"
        try:
            self.fig.savefig(tmp, dpi=80)
            os.replace(tmp, self.path)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            from ..errors import TrainingError

            raise TrainingError(f"Cannot write the training-progress plot '{self.path}': {exc.strerror or exc}.") from None
        self.last = time.monotonic()


__all__ = ["VerboseTable", "TrainnetTable", "ProgressPlot", "smooth", "hms", "fmt_loss", "fmt_rate", "fmt_accuracy", "fmt_rmse"]
