"""Evaluating classifiers the MATLAB way: confusionmat, confusionchart, plotconfusion, rocmetrics, perfcurve.

Labels may be categoricals (:class:`layergraph.values.Categorical`), numbers, logicals or text; scores
are N×K arrays with columns in ``ClassNames`` order (what ``classify`` returns). Charts are drawn with
:mod:`layergraph.figures` into the current figure.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import LayerGraphError, OptionError
from .functions import matlab_function
from .values import Categorical, Table, categorical, table
from .values.categorical import UNDEFINED


class EvaluationError(LayerGraphError, ValueError):
    """Bad labels or scores given to an evaluation function."""


# ---------------------------------------------------------------------------------------------------
# Grouping variables

def _is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v in ("", UNDEFINED, "<missing>")
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return False


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _group_values(g, function: str, what: str) -> tuple[list, str]:
    """Elements of a grouping variable as Python values in MATLAB linear order, and its kind."""
    if isinstance(g, Categorical):
        return g.names(), "categorical"
    if hasattr(g, "a") and isinstance(getattr(g, "a"), np.ndarray):      # interpreter cell / string arrays
        return [str(x) for x in g.a.reshape(-1, order="F")], "text"
    if isinstance(g, str):
        return list(g), "text"
    try:
        arr = np.asarray(g)
    except Exception:       # noqa: BLE001
        raise EvaluationError(f"{function}: {what} must be a vector of labels") from None
    if arr.ndim > 2 or (arr.ndim == 2 and min(arr.shape) > 1):
        raise EvaluationError(f"{function}: {what} must be a vector, got shape {arr.shape}")
    flat = arr.reshape(-1)
    if arr.dtype.kind == "b":
        return [bool(x) for x in flat], "logical"
    if arr.dtype.kind in "iuf":
        return [_plain(x) for x in flat], "numeric"
    return [_plain(x) if not isinstance(x, bytes) else x.decode() for x in flat], "text"


def _group_codes(g, function: str, what: str) -> tuple[np.ndarray, list, str]:
    """A grouping variable as (codes into its distinct values, -1 = missing; distinct values; kind).

    Distinct values: the categories for a categorical, sorted values for numbers and logicals, order of
    first appearance for text."""
    if isinstance(g, Categorical):
        return g.codes.reshape(-1, order="F"), list(g.categories), "categorical"
    arr = None
    if not isinstance(g, str) and not hasattr(g, "a"):
        try:
            arr = np.asarray(g)
        except Exception:       # noqa: BLE001 - ragged input: the general path reports it
            arr = None
    if arr is not None and arr.dtype.kind in "biuf":
        if arr.ndim > 2 or (arr.ndim == 2 and min(arr.shape) > 1):
            raise EvaluationError(f"{function}: {what} must be a vector, got shape {arr.shape}")
        flat = arr.reshape(-1)
        ok = np.isfinite(flat) if flat.dtype.kind == "f" else np.ones(flat.shape, dtype=bool)
        uniq, inv = np.unique(flat[ok], return_inverse=True)
        codes = np.full(flat.shape, -1, dtype=np.int64)
        codes[ok] = inv.reshape(-1)
        return codes, uniq.tolist(), "logical" if arr.dtype.kind == "b" else "numeric"
    strs = None
    if arr is not None and arr.dtype.kind == "U" and (arr.ndim <= 1 or (arr.ndim == 2 and min(arr.shape) == 1)):
        strs = arr.reshape(-1)
        values = None
    else:
        values, kind = _group_values(g, function, what)
        if kind == "text" and values and all(isinstance(v, str) for v in values):
            strs = np.array(values, dtype=str)
    if strs is not None and strs.size == 0:
        return np.zeros(0, dtype=np.int64), [], "text"
    if strs is not None and strs.size:
        kind = "text"
        uniq, first, inv = np.unique(strs, return_index=True, return_inverse=True)
        by_first = np.argsort(first, kind="stable")
        rank = np.empty_like(by_first)
        rank[by_first] = np.arange(by_first.size)
        distinct = uniq[by_first].tolist()
        missing_rank = [rank[i] for i, u in enumerate(uniq.tolist()) if _is_missing(u)]
        codes = rank[inv.reshape(-1)].astype(np.int64)
        if missing_rank:
            keep = [r for r in range(len(distinct)) if r not in missing_rank]
            remap = np.full(len(distinct), -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            codes = remap[codes]
            distinct = [distinct[r] for r in keep]
        return codes, distinct, kind
    seen: dict = {}
    codes = np.array([-1 if _is_missing(v) else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)
    return codes, list(seen), kind


@matlab_function("confusionmat", outputs=("C", "order"), data_free=False)
def confusionmat(group, grouphat, *args, **kwargs):
    """``[C, order] = confusionmat(group, grouphat, 'Order', grouporder)``.

    ``C(i, j)`` counts observations known to be in group ``order(i)`` and predicted in ``order(j)`` (rows:
    true, columns: predicted). Missing values (NaN, '', <undefined>) in either are left out. Default order:
    the categories for categoricals, sorted values for numbers and logicals, order of first appearance for
    text. ``order`` is a categorical column for categorical input, a numeric array for numbers, else a list."""
    if len(args) % 2:
        raise EvaluationError("confusionmat: name-value arguments must come in pairs")
    opts = {}
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        if str(key).lower() != "order":
            raise EvaluationError(f"confusionmat: '{key}' is not a recognized parameter. Valid parameters: 'Order'.")
        opts["Order"] = value
    ct, vt, kt = _group_codes(group, "confusionmat", "group")
    cp, vp, kp = _group_codes(grouphat, "confusionmat", "grouphat")
    if ct.size != cp.size:
        raise EvaluationError(f"confusionmat: group and grouphat must have the same number of observations "
                              f"({ct.size} and {cp.size})")
    text = "categorical" in (kt, kp) or "text" in (kt, kp)
    if text:      # compare by name when either side is text or categorical
        vt, vp = [v if isinstance(v, str) else _text_of(v) for v in vt], [v if isinstance(v, str) else _text_of(v) for v in vp]
    if "categorical" in (kt, kp) or not text:
        default = list(dict.fromkeys(vt + vp))
        if not text:
            default = sorted(default)
    else:
        default = list(dict.fromkeys(vt + vp))       # first appearance in [group; grouphat]
    # drop distinct values that never occur (except categories, which MATLAB always lists)
    used_t = set(np.unique(ct[ct >= 0]).tolist())
    used_p = set(np.unique(cp[cp >= 0]).tolist())
    present = {vt[i] for i in used_t} | {vp[i] for i in used_p}
    if "Order" in opts:
        order_vals, _ = _group_values(opts["Order"], "confusionmat", "Order")
        if text:
            order_vals = [v if isinstance(v, str) else _text_of(v) for v in order_vals]
        if len(set(order_vals)) != len(order_vals):
            raise EvaluationError("confusionmat: 'Order' must not repeat a group")
        missing = [v for v in default if v in present and v not in order_vals]
        if missing:
            raise EvaluationError(f"confusionmat: 'Order' must contain every group; {missing[0]!r} is missing")
        order = order_vals
    else:
        keep_all = set(group.categories if isinstance(group, Categorical) else []) | \
            set(grouphat.categories if isinstance(grouphat, Categorical) else [])
        order = [v for v in default if v in present or v in keep_all]
    index = {v: i for i, v in enumerate(order)}
    k = len(order)
    remap_t = np.array([index.get(v, -1) for v in vt] + [-1], dtype=np.int64)
    remap_p = np.array([index.get(v, -1) for v in vp] + [-1], dtype=np.int64)
    rt = remap_t[np.where(ct < 0, len(vt), ct)]
    rp = remap_p[np.where(cp < 0, len(vp), cp)]
    ok = (rt >= 0) & (rp >= 0)
    C = np.bincount(rt[ok] * k + rp[ok], minlength=k * k).reshape(k, k).astype(np.float64) if k else \
        np.zeros((0, 0))
    if "categorical" in (kt, kp):
        order_out = categorical([str(v) for v in order], [str(v) for v in order])
    elif not text:
        order_out = np.asarray(order)
    else:
        order_out = list(order)
    return C, order_out


def _text_of(v) -> str:
    from .values.categorical import _text

    return _text(v)


# ---------------------------------------------------------------------------------------------------
# confusionchart

_NORMALIZATIONS = ("absolute", "column-normalized", "row-normalized", "total-normalized")
_ROW_SUMMARIES = ("off", "absolute", "row-normalized", "total-normalized")
_COLUMN_SUMMARIES = ("off", "absolute", "column-normalized", "total-normalized")
BLUE = (0.0, 0.4470, 0.7410)
RED = (0.8500, 0.3250, 0.0980)


class ConfusionMatrixChart:
    """``cm = confusionchart(...)``: the chart object. Setting a property redraws the chart.

    ``NormalizedValues`` are the cell values under ``Normalization``; ``RowSummary`` ('off', 'absolute',
    'row-normalized', 'total-normalized') and ``ColumnSummary`` ('off', 'absolute', 'column-normalized',
    'total-normalized') add the per-class correct/incorrect summaries beside and below the matrix."""

    MATLAB_PROPERTIES = ("NormalizedValues", "ClassLabels", "Title", "XLabel", "YLabel", "RowSummary",
                         "ColumnSummary", "Normalization", "FontSize", "DiagonalColor", "OffDiagonalColor",
                         "Parent", "Type")
    MATLAB_SETTABLE = ("Title", "XLabel", "YLabel", "RowSummary", "ColumnSummary", "Normalization", "FontSize",
                       "DiagonalColor", "OffDiagonalColor")
    MATLAB_METHODS = ("sortClasses",)

    Type = "confusionmatrixchart"

    def __init__(self, counts: np.ndarray, labels: list, parent, **props):
        object.__setattr__(self, "_counts", np.asarray(counts, dtype=np.float64))
        object.__setattr__(self, "ClassLabels", labels)
        object.__setattr__(self, "Parent", parent)
        object.__setattr__(self, "_props", {
            "Title": "", "XLabel": "Predicted Class", "YLabel": "True Class", "RowSummary": "off",
            "ColumnSummary": "off", "Normalization": "absolute", "FontSize": 10.0,
            "DiagonalColor": BLUE, "OffDiagonalColor": RED,
        })
        for key, value in props.items():
            self._set(key, value, redraw=False)
        self.draw()

    # ---- properties --------------------------------------------------------------------------
    def __getattr__(self, name):
        props = object.__getattribute__(self, "_props")
        if name in props:
            return props[name]
        raise AttributeError(f"ConfusionMatrixChart has no property '{name}'")

    def __setattr__(self, name, value):
        self._set(name, value, redraw=True)

    def _set(self, name, value, redraw: bool):
        canon = {k.lower(): k for k in self.MATLAB_SETTABLE}.get(str(name).lower())
        if canon is None:
            raise EvaluationError(f"confusionchart: '{name}' is not a settable property. Settable: "
                                  + ", ".join(self.MATLAB_SETTABLE) + ".")
        if canon == "Normalization":
            value = _choice(value, _NORMALIZATIONS, "Normalization")
        elif canon == "RowSummary":
            value = _choice(value, _ROW_SUMMARIES, "RowSummary")
        elif canon == "ColumnSummary":
            value = _choice(value, _COLUMN_SUMMARIES, "ColumnSummary")
        elif canon in ("Title", "XLabel", "YLabel"):
            from .figures import _text

            value = _text(value)
        elif canon == "FontSize":
            value = float(np.asarray(value).reshape(-1)[0])
        elif canon in ("DiagonalColor", "OffDiagonalColor"):
            from .figures import _color
            from matplotlib.colors import to_rgb

            value = tuple(to_rgb(_color(value)))
        self._props[canon] = value
        if redraw:
            self.draw()

    @property
    def NormalizedValues(self) -> np.ndarray:
        c = self._counts
        mode = self._props["Normalization"]
        with np.errstate(invalid="ignore", divide="ignore"):
            if mode == "row-normalized":
                return np.nan_to_num(c / c.sum(axis=1, keepdims=True))
            if mode == "column-normalized":
                return np.nan_to_num(c / c.sum(axis=0, keepdims=True))
            if mode == "total-normalized":
                return c / c.sum() if c.sum() else c
        return c.copy()

    def row_summary(self) -> np.ndarray | None:
        """K×2 [correct, incorrect] per true class, as RowSummary shows them (None when 'off')."""
        return _summary(self._counts, self._props["RowSummary"], axis=1)

    def column_summary(self) -> np.ndarray | None:
        """2×K [correct; incorrect] per predicted class, as ColumnSummary shows them (None when 'off')."""
        s = _summary(self._counts, self._props["ColumnSummary"], axis=0)
        return None if s is None else s.T

    def sortClasses(self, order):
        """``sortClasses(cm, order)``: 'auto', 'ascending-diagonal', 'descending-diagonal', 'cluster' or
        a list of class labels."""
        labels = list(self.ClassLabels)
        if isinstance(order, str) and order.lower() in ("auto", "ascending-diagonal", "descending-diagonal",
                                                        "cluster"):
            key = order.lower()
            if key == "auto" or key == "cluster":
                perm = sorted(range(len(labels)), key=lambda i: str(labels[i])) if key == "auto" else \
                    list(range(len(labels)))
            else:
                diag = np.diag(self.NormalizedValues if self._props["Normalization"] != "absolute" else self._counts)
                perm = list(np.argsort(diag if key == "ascending-diagonal" else -diag, kind="stable"))
        else:
            wanted, _ = _group_values(order, "sortClasses", "order")
            names = [str(x) for x in labels]
            wanted = [str(x) for x in wanted]
            if sorted(wanted) != sorted(names):
                raise EvaluationError("sortClasses: order must list every class exactly once")
            perm = [names.index(w) for w in wanted]
        object.__setattr__(self, "_counts", self._counts[np.ix_(perm, perm)])
        object.__setattr__(self, "ClassLabels", [labels[i] for i in perm])
        self.draw()

    # ---- drawing -----------------------------------------------------------------------------
    def _cell_text(self, v: float) -> str:
        if self._props["Normalization"] == "absolute":
            return format(v, "g")
        return f"{100.0 * v:.1f}%" if v else "0"

    def draw(self):
        from matplotlib.colors import to_rgb

        fig = self.Parent
        fig.mpl.clf()
        fig._axes = None
        fig._subplots.clear()
        fig.layout = None
        fig.chart = self
        p = self._props
        k = len(self.ClassLabels)
        values = self.NormalizedValues
        counts = self._counts
        rows = self.row_summary()
        cols = self.column_summary()
        right = 0.25 if rows is not None else 0.0
        bottom = 0.22 if cols is not None else 0.0
        ax = fig.mpl.add_axes([0.2, 0.16 + bottom, 0.72 - right, 0.74 - bottom])
        white = np.ones(3)
        img = np.ones((k, k, 3))
        diag_max = max(float(np.max(np.diag(counts))) if k else 0.0, 1.0)
        off = counts.copy()
        np.fill_diagonal(off, 0)
        off_max = max(float(off.max()) if k else 0.0, 1.0)
        for i in range(k):
            for j in range(k):
                base = np.array(p["DiagonalColor"] if i == j else p["OffDiagonalColor"])
                frac = counts[i, j] / (diag_max if i == j else off_max)
                img[i, j] = white + (base - white) * (0.15 + 0.85 * frac if counts[i, j] else 0.0)
                dark = counts[i, j] and frac > 0.5
                ax.text(j, i, self._cell_text(values[i, j]), ha="center", va="center",
                        fontsize=p["FontSize"], color="white" if dark else "black")
        ax.imshow(img, interpolation="nearest", aspect="auto")
        ticks = list(range(k))
        names = [str(x) for x in self.ClassLabels]
        ax.set_xticks(ticks, names, fontsize=p["FontSize"] * 0.9, rotation=90 if k > 6 else 0)
        ax.set_yticks(ticks, names, fontsize=p["FontSize"] * 0.9)
        ax.set_xticks(np.arange(-0.5, k, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, k, 1), minor=True)
        ax.grid(which="minor", color="#d0d0d0", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        ax.set_xlabel(p["XLabel"], fontsize=p["FontSize"])
        ax.set_ylabel(p["YLabel"], fontsize=p["FontSize"])
        if p["Title"]:
            ax.set_title(p["Title"], fontsize=p["FontSize"] * 1.1)
        blue, red = np.array(to_rgb(BLUE)), np.array(to_rgb(RED))
        pct = p["RowSummary"] != "absolute"
        if rows is not None:
            box = ax.get_position()
            rax = fig.mpl.add_axes([box.x1 + 0.02, box.y0, 0.18, box.height])
            _draw_summary(rax, rows, blue, red, pct, p["FontSize"])
        if cols is not None:
            box = ax.get_position()
            cax = fig.mpl.add_axes([box.x0, 0.06, box.width, 0.16])
            _draw_summary(cax, cols, blue, red, p["ColumnSummary"] != "absolute", p["FontSize"])
        object.__setattr__(self, "_ax", ax)


def _draw_summary(ax, values: np.ndarray, blue, red, percent: bool, fontsize: float):
    rows, cols = values.shape
    img = np.ones((rows, cols, 3))
    white = np.ones(3)
    for i in range(rows):
        for j in range(cols):
            correct = (cols == 2 and j == 0) or (rows == 2 and cols != 2 and i == 0)
            base = blue if correct else red
            v = values[i, j]
            img[i, j] = white + (base - white) * (0.2 + 0.8 * min(float(v) / (100.0 if percent else max(values.max(), 1)), 1.0)
                                                  if v else 0.0)
            ax.text(j, i, (format(v, ".1f") + "%") if percent else format(v, "g"), ha="center", va="center",
                    fontsize=fontsize * 0.9)
    ax.imshow(img, interpolation="nearest", aspect="auto")
    ax.set_xticks([])
    ax.set_yticks([])


def _summary(counts: np.ndarray, mode: str, axis: int) -> np.ndarray | None:
    if mode == "off":
        return None
    correct = np.diag(counts).astype(float)
    total = counts.sum(axis=axis).astype(float)
    wrong = total - correct
    out = np.stack([correct, wrong], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if mode in ("row-normalized", "column-normalized"):
            out = np.nan_to_num(100.0 * out / total[:, None])
        elif mode == "total-normalized":
            out = 100.0 * out / counts.sum() if counts.sum() else out
    return out


def _choice(value, allowed, name):
    v = str(value).lower()
    if v not in allowed:
        raise EvaluationError(f"confusionchart: {name} must be one of " + ", ".join(f"'{a}'" for a in allowed)
                              + f", not '{value}'")
    return v


@matlab_function("confusionchart", outputs=("cm",), data_free=False)
def confusionchart(*args, **kwargs) -> ConfusionMatrixChart:
    """``cm = confusionchart(trueLabels, predictedLabels)``, ``confusionchart(m, classLabels)``,
    ``confusionchart(m)``, ``confusionchart(parent, ...)``; name-value: 'Title', 'RowSummary',
    'ColumnSummary', 'Normalization', 'XLabel', 'YLabel', 'FontSize', 'DiagonalColor', 'OffDiagonalColor'.

    Drawn into the current figure (replacing its contents)."""
    from . import figures

    args = list(args)
    parent = None
    if args and isinstance(args[0], (figures.Figure, figures.TiledLayout, figures.Axes)):
        parent = figures._figure_of(args.pop(0), "confusionchart")
    split = next((i for i, a in enumerate(args) if isinstance(a, str) and a.lower() in
                  {p.lower() for p in ConfusionMatrixChart.MATLAB_SETTABLE}), len(args))
    data, rest = args[:split], args[split:]
    if len(rest) % 2:
        raise EvaluationError("confusionchart: name-value arguments must come in pairs")
    props = dict(zip(rest[::2], rest[1::2]))
    props.update(kwargs)
    if not data:
        raise EvaluationError("confusionchart: expected confusionchart(trueLabels, predictedLabels) or "
                              "confusionchart(m, classLabels)")
    first = data[0]
    is_matrix = (not isinstance(first, Categorical) and not isinstance(first, (list, tuple, str))
                 and np.ndim(first) == 2 and np.asarray(first).shape[0] == np.asarray(first).shape[1]
                 and np.asarray(first).shape[0] > 1 and np.asarray(first).dtype.kind in "iuf"
                 and (len(data) == 1 or np.size(data[1]) == np.asarray(first).shape[0]))
    if is_matrix and len(data) <= 2:
        m = np.asarray(first, dtype=np.float64)
        if np.any(m < 0) or np.any(m != np.round(m)):
            raise EvaluationError("confusionchart: a confusion matrix must hold non-negative integer counts")
        labels = (list(_group_values(data[1], "confusionchart", "classLabels")[0]) if len(data) > 1
                  else [str(i + 1) for i in range(m.shape[0])])
    elif len(data) == 2:
        m, order = confusionmat(data[0], data[1])
        labels = order.names() if isinstance(order, Categorical) else list(np.asarray(order).tolist()) \
            if isinstance(order, np.ndarray) else list(order)
    else:
        raise EvaluationError("confusionchart: expected confusionchart(trueLabels, predictedLabels) or "
                              "confusionchart(m, classLabels)")
    fig = parent or figures.gcf()
    return ConfusionMatrixChart(m, labels, fig, **props)


@matlab_function("plotconfusion", outputs=("fig",), data_free=False)
def plotconfusion(targets, outputs, *args):
    """``plotconfusion(targets, outputs)`` / ``plotconfusion(targets, outputs, name)`` (several pairs allowed):
    the classic confusion plot — counts and percentages of the total in each cell, per-class precision
    (bottom row) and recall (right column) in green/red, overall accuracy in the corner.

    ``targets``/``outputs``: categorical vectors, or K×N one-hot / score matrices (MATLAB layout, one
    column per observation; the largest row of each column is the class)."""
    from . import figures

    pairs = [(targets, outputs, "")]
    rest = list(args)
    if rest and isinstance(rest[0], str):
        pairs[0] = (targets, outputs, rest.pop(0))
    while len(rest) >= 2:
        t, o = rest.pop(0), rest.pop(0)
        name = rest.pop(0) if rest and isinstance(rest[0], str) else ""
        pairs.append((t, o, name))
    fig = figures.gcf()
    fig.clf()
    n = len(pairs)
    cols = int(np.ceil(np.sqrt(n)))
    rows_n = int(np.ceil(n / cols))
    out = []
    for idx, (t, o, name) in enumerate(pairs):
        yt, yp, classes = _plotconfusion_labels(t, o)
        C, _ = confusionmat(yt, yp, "Order", classes)
        ax = fig.mpl.add_subplot(rows_n, cols, idx + 1)
        _draw_plotconfusion(ax, C, classes, (name + " " if name else "") + "Confusion Matrix")
        out.append(C)
    fig.draw()
    return fig


def _plotconfusion_labels(t, o):
    if isinstance(t, Categorical) or isinstance(o, Categorical):
        tc = t if isinstance(t, Categorical) else categorical(t)
        oc = o if isinstance(o, Categorical) else categorical(o)
        classes = list(tc.categories) + [c for c in oc.categories if c not in tc.categories]
        return tc.names(), oc.names(), classes
    T = np.asarray(t, dtype=float)
    O = np.asarray(o, dtype=float)
    if T.ndim != 2 or T.shape != O.shape:
        raise EvaluationError("plotconfusion: targets and outputs must be categorical vectors or K×N matrices of "
                              "the same size")
    if T.shape[0] == 1:         # binary: one row of 0/1 targets and scores
        T = np.vstack([1 - T, T])
        O = np.vstack([1 - O, O])
    classes = [str(i + 1) for i in range(T.shape[0])]
    return [classes[i] for i in T.argmax(0)], [classes[i] for i in O.argmax(0)], classes


def _draw_plotconfusion(ax, C: np.ndarray, classes, title: str):
    k = len(classes)
    total = C.sum()
    green, red, gray, blue = (0.74, 0.90, 0.75), (0.97, 0.75, 0.73), (0.94, 0.94, 0.94), (0.75, 0.80, 0.93)
    img = np.ones((k + 1, k + 1, 3))
    # MATLAB's plotconfusion: rows are Output Class (predicted), columns Target Class
    M = C.T
    for i in range(k + 1):
        for j in range(k + 1):
            if i < k and j < k:
                img[i, j] = green if i == j else red
                pct = 100.0 * M[i, j] / total if total else 0.0
                ax.text(j, i, f"{int(M[i, j])}\n{pct:.1f}%", ha="center", va="center", fontsize=8,
                        fontweight="bold" if i == j else "normal")
            elif i < k:          # right column: precision of predicted class i
                img[i, j] = gray
                s = M[i].sum()
                p = 100.0 * M[i, i] / s if s else np.nan
                ax.text(j, i, _pct_pair(p), ha="center", va="center", fontsize=7)
            elif j < k:          # bottom row: recall of target class j
                img[i, j] = gray
                s = M[:, j].sum()
                r = 100.0 * M[j, j] / s if s else np.nan
                ax.text(j, i, _pct_pair(r), ha="center", va="center", fontsize=7)
            else:
                img[i, j] = blue
                acc = 100.0 * np.trace(M) / total if total else np.nan
                ax.text(j, i, _pct_pair(acc), ha="center", va="center", fontsize=7, fontweight="bold")
    ax.imshow(img, interpolation="nearest", aspect="auto")
    ax.set_xticks(range(k), [str(c) for c in classes])
    ax.set_yticks(range(k), [str(c) for c in classes])
    ax.set_xlabel("Target Class")
    ax.set_ylabel("Output Class")
    ax.set_title(title)


def _pct_pair(p: float) -> str:
    if np.isnan(p):
        return "NaN%\nNaN%"
    return f"{p:.1f}%\n{100 - p:.1f}%"


# ---------------------------------------------------------------------------------------------------
# ROC: perfcurve and rocmetrics

def roc_points(is_positive: np.ndarray, scores: np.ndarray):
    """FPR, TPR and thresholds of the ROC curve: one point per distinct score (descending), plus the
    'reject all' point (0, 0) first, labelled with the largest score (so T(1) = T(2) = max score); an
    observation counts as positive when its score is >= the threshold."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    pos = is_positive[order].astype(float)
    tp = np.cumsum(pos)
    fp = np.cumsum(1.0 - pos)
    last = np.r_[np.nonzero(np.diff(s))[0], s.size - 1]      # last index of each distinct score
    P, N = tp[-1], fp[-1]
    tpr = np.r_[0.0, tp[last] / P] if P else np.r_[0.0, np.zeros(last.size)]
    fpr = np.r_[0.0, fp[last] / N] if N else np.r_[0.0, np.zeros(last.size)]
    thr = np.r_[s[0], s[last]]
    return fpr, tpr, thr


def _trapz(x, y) -> float:
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))


@matlab_function("perfcurve", outputs=("X", "Y", "T", "AUC"), data_free=False)
def perfcurve(labels, scores, posclass, *args, **kwargs):
    """``[X, Y, T, AUC] = perfcurve(labels, scores, posclass)``: the ROC curve for one positive class.

    X is the false positive rate, Y the true positive rate (column vectors from (0, 0) to (1, 1)), T the
    score thresholds (descending; an observation with score >= T counts as positive; T(1) is the
    'reject all' point and equals max(scores)), AUC the trapezoidal area under the curve.
    'NegClass' limits the negatives to some classes; 'XCrit'/'YCrit' accept 'fpr'/'tpr' (and 'tnr',
    'fnr', 'ppv' ('prec'), 'reca' for Y) as perfcurve names them."""
    codes, distinct, kind = _group_codes(labels, "perfcurve", "labels")
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size != codes.size:
        raise EvaluationError(f"perfcurve: scores ({s.size}) and labels ({codes.size}) must have the same number "
                              "of elements")
    if isinstance(posclass, Categorical):
        posclass = posclass.names()[0]
    if hasattr(posclass, "a"):
        posclass = posclass.a.reshape(-1)[0]
    if isinstance(posclass, (list, tuple)) and len(posclass) == 1:
        posclass = posclass[0]
    pos = _plain(np.asarray(posclass).reshape(-1)[0]) if not isinstance(posclass, str) else posclass
    if kind in ("categorical", "text"):
        pos = str(pos)
        distinct = [str(v) for v in distinct]
    present = set(np.unique(codes[codes >= 0]).tolist())
    if pos not in distinct or distinct.index(pos) not in present:
        raise EvaluationError(f"perfcurve: the positive class {pos!r} is not among the labels")
    pos_idx = distinct.index(pos)
    opts = {}
    if len(args) % 2:
        raise EvaluationError("perfcurve: name-value arguments must come in pairs")
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        k = str(key).lower()
        if k not in ("negclass", "xcrit", "ycrit"):
            raise EvaluationError(f"perfcurve: '{key}' is not a recognized parameter. Valid parameters: "
                                  "'NegClass', 'XCrit', 'YCrit'.")
        opts[k] = value
    keep = (codes >= 0) & np.isfinite(s)
    if "negclass" in opts and not (isinstance(opts["negclass"], str) and opts["negclass"].lower() == "all"):
        neg, _ = _group_values(opts["negclass"], "perfcurve", "NegClass")
        neg = set(str(v) if kind in ("categorical", "text") else v for v in neg)
        allowed = [i for i, v in enumerate(distinct) if v in neg] + [pos_idx]
        keep &= np.isin(codes, allowed)
    s = s[keep]
    is_pos = codes[keep] == pos_idx
    fpr, tpr, thr = roc_points(is_pos, s)
    P = float(is_pos.sum())
    N = float((~is_pos).sum())
    tp, fp = tpr * P, fpr * N
    crit = {
        "fpr": fpr, "tpr": tpr, "reca": tpr, "sens": tpr, "tnr": 1 - fpr, "spec": 1 - fpr, "fnr": 1 - tpr,
        "ppv": np.divide(tp, tp + fp, out=np.full_like(tp, np.nan), where=(tp + fp) > 0),
    }
    crit["prec"] = crit["ppv"]
    xname = str(opts.get("xcrit", "fpr")).lower()
    yname = str(opts.get("ycrit", "tpr")).lower()
    for name in (xname, yname):
        if name not in crit:
            raise EvaluationError(f"perfcurve: unknown criterion '{name}' (fpr, tpr, tnr, fnr, ppv, prec, reca, "
                                  "sens, spec)")
    X, Y = crit[xname], crit[yname]
    auc = _trapz(X, Y) if not (np.isnan(X).any() or np.isnan(Y).any()) else _trapz(X[~np.isnan(Y)], Y[~np.isnan(Y)])
    return X.reshape(-1, 1), Y.reshape(-1, 1), thr.reshape(-1, 1), auc


class RocMetrics:
    """``rocObj = rocmetrics(Labels, Scores, ClassNames)``: one-versus-all ROC curves per class.

    ``AUC`` (1×K, ClassNames order), ``Metrics`` (a table with ClassName, Threshold, FalsePositiveRate,
    TruePositiveRate), ``ClassNames``, ``Labels``, ``Scores``; ``plot(rocObj)`` draws every curve,
    ``average(rocObj, type)`` the 'micro', 'macro' or 'weighted' average curve."""

    MATLAB_PROPERTIES = ("AUC", "Metrics", "ClassNames", "Labels", "Scores", "Prior")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("plot", "average")

    def __init__(self, labels, scores, class_names, kind):
        self.Labels = labels
        self.Scores = scores
        self.ClassNames = class_names
        self._kind = kind
        codes, distinct, _ = _group_codes(labels, "rocmetrics", "Labels")
        distinct = [str(v) for v in distinct]
        names = [str(c) for c in class_names]
        self._positive = [codes == (distinct.index(n) if n in distinct else -2) for n in names]
        curves = [roc_points(self._positive[j], scores[:, j]) for j in range(len(names))]
        self._curves = curves
        self.AUC = np.array([[_trapz(f, t) for f, t, _ in curves]])
        counts = np.array([p.sum() for p in self._positive], dtype=float)
        self.Prior = counts / counts.sum()
        col = []
        for name, (f, t, th) in zip(names, curves):
            col.extend([name] * len(f))
        self.Metrics = table(categorical(col, names), np.concatenate([c[2] for c in curves]),
                             np.concatenate([c[0] for c in curves]), np.concatenate([c[1] for c in curves]),
                             VariableNames=["ClassName", "Threshold", "FalsePositiveRate", "TruePositiveRate"])

    def curve(self, class_name) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(FPR, TPR, thresholds) of one class."""
        names = [str(c) for c in self.ClassNames]
        if str(class_name) not in names:
            raise EvaluationError(f"rocmetrics: '{class_name}' is not one of the ClassNames")
        return self._curves[names.index(str(class_name))]

    def average(self, kind: str = "micro"):
        """``[FPR, TPR, Thresholds, AUC] = average(rocObj, type)``; 'micro' pools every one-versus-all
        decision; 'macro'/'weighted' average the per-class TPR over the union of FPR values."""
        kind = str(kind).lower()
        names = [str(c) for c in self.ClassNames]
        if kind == "micro":
            is_pos = np.concatenate(self._positive)
            s = np.concatenate([self.Scores[:, j] for j in range(len(names))])
            fpr, tpr, thr = roc_points(is_pos, s)
            return fpr.reshape(-1, 1), tpr.reshape(-1, 1), thr.reshape(-1, 1), _trapz(fpr, tpr)
        if kind not in ("macro", "weighted"):
            raise EvaluationError("average: type must be 'micro', 'macro' or 'weighted'")
        grid = np.unique(np.concatenate([c[0] for c in self._curves]))
        weights = self.Prior if kind == "weighted" else np.full(len(names), 1.0 / len(names))
        tpr = np.zeros_like(grid)
        for w, (f, t, _) in zip(weights, self._curves):
            tpr += w * np.interp(grid, f, t)     # the highest TPR at each FPR step
        grid = np.r_[0.0, grid]
        tpr = np.r_[0.0, tpr]
        return grid.reshape(-1, 1), tpr.reshape(-1, 1), np.full((grid.size, 1), np.nan), _trapz(grid, tpr)

    def plot(self, *args):
        """``plot(rocObj)``: the ROC curve of each class in the current axes, with AUCs in the legend."""
        from . import figures

        ax = figures.gca()
        mpl_ax = ax.prepare()
        for name, (f, t, _), auc in zip(self.ClassNames, self._curves, self.AUC.reshape(-1)):
            mpl_ax.plot(f, t, label=f"{name} (AUC = {auc:.4g})")
        mpl_ax.plot([0, 1], [0, 1], "k:", linewidth=0.8)
        mpl_ax.set_xlabel("False Positive Rate")
        mpl_ax.set_ylabel("True Positive Rate")
        mpl_ax.set_title("ROC Curve")
        mpl_ax.legend(loc="lower right")
        return ax

    _matlab_plot = plot


@matlab_function("rocmetrics", outputs=("rocObj",), data_free=False)
def rocmetrics(Labels, Scores, ClassNames, *args, **kwargs) -> RocMetrics:
    """``rocObj = rocmetrics(Labels, Scores, ClassNames)``: Scores is N×K with columns in ClassNames order
    (an N-vector with one class name for a binary problem)."""
    if len(args) % 2:
        raise EvaluationError("rocmetrics: name-value arguments must come in pairs")
    for key, _ in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        if str(key).lower() not in ("prior", "cost", "fixedmetric", "fixedmetricvalues", "additionalmetrics"):
            raise EvaluationError(f"rocmetrics: '{key}' is not a recognized parameter")
    codes, distinct, kind = _group_codes(Labels, "rocmetrics", "Labels")
    if isinstance(ClassNames, Categorical):
        names = ClassNames.names()
    elif isinstance(ClassNames, str):
        names = [ClassNames]
    else:
        names, _ = _group_values(ClassNames, "rocmetrics", "ClassNames")
    s = np.asarray(Scores, dtype=float)
    if s.ndim == 1:
        s = s.reshape(-1, 1)
    if s.shape[0] != codes.size:
        raise EvaluationError(f"rocmetrics: Scores has {s.shape[0]} rows but there are {codes.size} labels")
    if s.shape[1] != len(names):
        raise EvaluationError(f"rocmetrics: Scores has {s.shape[1]} columns but there are {len(names)} ClassNames")
    present = {str(distinct[i]) for i in np.unique(codes[codes >= 0]).tolist()}
    for n in names:
        if str(n) not in present:
            raise EvaluationError(f"rocmetrics: class '{n}' does not occur in Labels")
    return RocMetrics(Labels, s, list(names), kind)


@matlab_function("sortClasses", outputs=(), data_free=False)
def sortClasses(cm, order):
    """``sortClasses(cm, order)``: reorder a confusion chart's classes ('auto', 'ascending-diagonal',
    'descending-diagonal', 'cluster' or a list of class labels)."""
    if not isinstance(cm, ConfusionMatrixChart):
        raise EvaluationError(f"sortClasses: expected a confusion matrix chart, not {type(cm).__name__}")
    cm.sortClasses(order)


@matlab_function("average", outputs=("FPR", "TPR", "Thresholds", "AUC"), data_free=False)
def average(rocObj, kind="micro"):
    """``[FPR, TPR, Thresholds, AUC] = average(rocObj, type)``: the 'micro', 'macro' or 'weighted' average
    ROC curve of a rocmetrics object."""
    if not isinstance(rocObj, RocMetrics):
        raise EvaluationError(f"average: expected a rocmetrics object, not {type(rocObj).__name__}")
    return rocObj.average(kind)


__all__ = ["sortClasses", "average", "EvaluationError", "confusionmat", "confusionchart", "ConfusionMatrixChart", "plotconfusion",
           "perfcurve", "rocmetrics", "RocMetrics", "roc_points"]
