"""Deep learning operations in function form (MATLAB's dlarray functions), differentiable with dlgradient.

Inputs are dlarrays in MATLAB layout; a formatted dlarray says which dimension is which, an
unformatted one needs ``'DataFormat'`` (as in MATLAB). Outputs keep the input's format (losses are
unformatted scalars). Weights are in MATLAB layout: ``fullyconnect`` K×(inputs), ``dlconv``
filterH×filterW×C×F, ``dltranspconv`` filterH×filterW×F×C, ``lstm`` 4H×C with gates [input forget
cell-candidate output], ``gru`` 3H×C with gates [reset update candidate].
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import OptionError
from ..functions import matlab_function
from ..layers.convolution import pad_nd, same_padding, torch_pad, transposed_crops
from .dlarray import (DLArray, DLArrayError, _as_tensor, _fortran_reshape, _matlab_tensor, check_format, engine_order,
                      from_torch_layout, to_torch_layout, unary)
from .options import parse_options

# ------------------------------------------------------------------------------------------------
# helpers


def _formatted(X, fmt_option, function: str) -> DLArray:
    """``X`` as a formatted dlarray (the 'DataFormat' option labels unformatted data)."""
    if isinstance(X, DLArray) and X.fmt:
        if fmt_option:
            raise DLArrayError(f"{function}: 'DataFormat' must not be given for a formatted dlarray.")
        return X
    if not fmt_option:
        raise DLArrayError(f"{function}: input data must be a formatted dlarray, or give 'DataFormat'.")
    data = X.data if isinstance(X, DLArray) else _as_tensor(X)
    fmt = check_format(fmt_option, function)
    shape = list(data.shape) + [1] * (len(fmt) - data.dim())
    return DLArray(data.reshape(shape[:len(fmt)]) if len(shape) >= len(fmt) else data, fmt)


def _result(Y: DLArray, unformatted_input: bool) -> DLArray:
    return DLArray(_matlab_tensor(Y.data), "") if unformatted_input else Y


def _t(x) -> torch.Tensor:
    return x.data if isinstance(x, DLArray) else _as_tensor(x)


def _dims_of(fmt: str, labels: str) -> list[int]:
    return [i for i, ch in enumerate(fmt) if ch in labels]


def _num(v, name, function) -> float:
    if isinstance(v, DLArray):
        v = float(v)
    arr = np.asarray(v, dtype=np.float64).reshape(-1)
    if arr.size != 1:
        raise OptionError(f"{function}: {name} must be a scalar.")
    return float(arr[0])


def _vec(v, n: int, name: str, function: str) -> tuple:
    arr = np.asarray(v, dtype=np.float64).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n or np.any(arr < 1) or np.any(arr != np.round(arr)):
        raise OptionError(f"{function}: {name} must be a positive integer or a vector of {n} of them.")
    return tuple(int(a) for a in arr)


# ------------------------------------------------------------------------------------------------
# activations

@matlab_function("relu", outputs=("Y",))
def relu(X):
    """``Y = relu(X)``: max(X, 0), element-wise; keeps the format."""
    return unary(torch.relu, X)


@matlab_function("leakyrelu", outputs=("Y",))
def leakyrelu(X, scaleFactor=0.01):
    """``Y = leakyrelu(X, scaleFactor)`` (default 0.01): X for X >= 0, scaleFactor·X otherwise."""
    s = _num(scaleFactor, "scaleFactor", "leakyrelu")
    return unary(lambda t: torch.where(t >= 0, t, s * t), X)


@matlab_function("sigmoid", outputs=("Y",))
def sigmoid(X):
    """``Y = sigmoid(X)``: 1/(1+exp(-X)), element-wise."""
    return unary(torch.sigmoid, X)


def dl_tanh(X):
    """MATLAB ``tanh(X)`` for dlarrays (a base MATLAB name: not exported from layergraph)."""
    return unary(torch.tanh, X)


@matlab_function("gelu", outputs=("Y",))
def gelu(X, *args, **kwargs):
    """``Y = gelu(X, 'Approximation', 'none'|'tanh')``: X·Φ(X) (Φ the normal CDF), or the tanh approximation."""
    _, opts = parse_options("gelu", args, kwargs, {"approximation": ("Approximation", "none")})
    mode = str(opts["Approximation"]).lower()
    if mode not in ("none", "tanh"):
        raise OptionError("gelu: Approximation must be 'none' or 'tanh'.")
    return unary(lambda t: F.gelu(t, approximate=mode), X)


@matlab_function("softmax", outputs=("Y",))
def softmax(X, *args, **kwargs):
    """``Y = softmax(X)``: softmax over the channel ('C') dimension (``'DataFormat'`` for unformatted X)."""
    _, opts = parse_options("softmax", args, kwargs, {"dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "softmax")
    if "C" not in Xf.fmt:
        raise DLArrayError(f"softmax: input must have a channel ('C') dimension; its format is '{Xf.fmt}'.")
    c = Xf.fmt.index("C")
    return _result(DLArray(torch.softmax(Xf.data, dim=c), Xf.fmt), not (isinstance(X, DLArray) and X.fmt))


@matlab_function("dropout", outputs=("Y",))
def dropout(X, probability=0.5):
    """``Y = dropout(X, p)``: zero each element with probability ``p`` and scale the rest by 1/(1-p)."""
    p = _num(probability, "probability", "dropout")
    if not 0 <= p < 1:
        raise OptionError("dropout: probability must be in [0, 1).")
    return unary(lambda t: F.dropout(t, p, training=True), X)


# ------------------------------------------------------------------------------------------------
# losses

_NORMALIZATIONS = ("batch-size", "all-elements", "mask-included", "none")


def _loss_inputs(Y, T, fmt_opt, function, *, torch_layout: bool = False):
    """(predictions, targets of the same shape, format). With ``torch_layout`` (losses that only sum
    element-wise terms and look up dimensions by label), a network output still held in the engine's
    layout is used as it is and the targets are permuted to it instead: the format then lists the labels
    in that layout's order (``B``, [``T``,] ``C``, ``S``...)."""
    if torch_layout and fmt_opt is None and type(Y) is DLArray and Y._data is None and Y._torch is not None:
        plan = _engine_plan(Y.fmt, Y._torch.dim())
        if plan is not None and Y._convert is plan[3]:          # a network output held in engine layout
            perm, inverse, engine_fmt, _ = plan
            y = Y._torch
            t = _t(T)
            t = t.to(y.dtype) if t.dtype != y.dtype else t
            shape = tuple(y.shape[p] for p in perm)                 # the MATLAB-layout shape of Y
            t = _targets_like(t, shape, function)
            return y, t.permute(inverse), engine_fmt
    unformatted = not (isinstance(Y, DLArray) and Y.fmt)
    Yf = _formatted(Y, fmt_opt, function) if (not unformatted or fmt_opt) else None
    y = _t(Y)
    t = _t(T)
    t = t.to(y.dtype) if t.dtype != y.dtype else t
    if Yf is not None:
        y = Yf.data
        t = _targets_like(t, tuple(y.shape), function)
        fmt = Yf.fmt
    else:
        fmt = ""
    return y, t, fmt


def _targets_like(t: torch.Tensor, shape: tuple, function: str) -> torch.Tensor:
    if t.dim() < len(shape):
        t = t.reshape(tuple(t.shape) + (1,) * (len(shape) - t.dim()))
    if tuple(t.shape) != shape:
        if t.numel() != math.prod(shape):
            raise DLArrayError(f"{function}: predictions and targets must have the same size "
                               f"({shape} and {tuple(t.shape)}).")
        t = _fortran_reshape(t, shape)          # MATLAB's element order
    return t


def _engine_plan(fmt: str, ndim: int):
    """:func:`engine_order` of a network output's format, or None when ``fmt`` is not one
    (``S... C B [T]`` with one label per dimension)."""
    if len(fmt) != ndim or fmt.count("C") != 1 or fmt.count("B") != 1 or fmt.count("T") > 1 or "U" in fmt:
        return None
    return engine_order(fmt)


def _batch_size(y: torch.Tensor, fmt: str) -> int:
    if "B" in fmt:
        return int(y.shape[fmt.index("B")])
    if not fmt:
        return int(y.shape[-1]) if y.dim() >= 2 else 1     # unformatted: observations along the last dim
    return 1


def _normalize(total, y, fmt, mask, how, function, per_channel: bool):
    how = str(how).lower()
    if how not in _NORMALIZATIONS:
        raise OptionError(f"{function}: NormalizationFactor must be one of " + ", ".join(f"'{n}'" for n in _NORMALIZATIONS))
    if how == "batch-size":
        return total / _batch_size(y, fmt)
    if how == "all-elements":
        n = y.numel()
        if per_channel and "C" in fmt:
            n = n // int(y.shape[fmt.index("C")])
        return total / n
    if how == "mask-included":
        if mask is None:
            return total / _batch_size(y, fmt)
        m = torch.broadcast_to(mask, y.shape)
        n = m.sum()
        if per_channel and "C" in fmt:
            n = n / int(y.shape[fmt.index("C")])
        return total / n
    return total


def _mask(mask, y):
    if mask is None:
        return None
    m = _t(mask).to(y.dtype)
    if m.dim() < y.dim():
        m = m.reshape(tuple(m.shape) + (1,) * (y.dim() - m.dim()))
    return m


def _scalar_loss(v: torch.Tensor) -> DLArray:
    return DLArray(v.reshape(1, 1), "")


_CROSSENTROPY_OPTIONS = {
    "targetcategories": ("TargetCategories", None), "classificationmode": ("ClassificationMode", None),
    "mask": ("Mask", None), "normalizationfactor": ("NormalizationFactor", "batch-size"),
    "dataformat": ("DataFormat", None), "weightsformat": ("WeightsFormat", None), "reduction": ("Reduction", "sum")}
_CLASSIFICATION_MODES = {"single-label": "exclusive", "multilabel": "independent"}


@matlab_function("crossentropy", outputs=("loss",))
def crossentropy(Y, targets, *args, **kwargs):
    """``loss = crossentropy(Y, targets, weights, Name, Value)``: cross-entropy of probabilities ``Y``.

    'TargetCategories' "exclusive" (default: −Σ T·log Y over channels) or "independent"
    (−Σ T·log Y + (1−T)·log(1−Y)); 'ClassificationMode' "single-label"/"multilabel" (the newer names);
    'Mask' (element weights), 'NormalizationFactor' "batch-size" (default), "all-elements", "mask-included",
    "none"; 'DataFormat' for unformatted Y; class ``weights`` (one per channel).
    """
    if not args and not kwargs:
        loss = _crossentropy_of_engine_output(Y, targets)
        if loss is not None:
            return loss
    rest = list(args)
    weights = None
    if rest and not isinstance(rest[0], str):
        weights = rest.pop(0)
    _, opts = parse_options("crossentropy", rest, kwargs, _CROSSENTROPY_OPTIONS)
    mode = opts["ClassificationMode"] or opts["TargetCategories"] or "exclusive"
    mode = str(mode).lower()
    mode = _CLASSIFICATION_MODES.get(mode, mode)
    if mode not in ("exclusive", "independent"):
        raise OptionError("crossentropy: TargetCategories must be 'exclusive' or 'independent' "
                          "(ClassificationMode 'single-label' or 'multilabel').")
    summed = str(opts["Reduction"]).lower() != "none"
    y, t, fmt = _loss_inputs(Y, targets, opts["DataFormat"], "crossentropy",
                             torch_layout=summed and opts["Mask"] is None)
    if mode == "exclusive":
        elem = t * torch.log(y)
    else:
        elem = t * torch.log(y) + (1 - t) * torch.log(1 - y)
    if weights is not None:
        w = _t(weights).to(y.dtype).reshape(-1)
        c = fmt.index("C") if "C" in fmt else 0
        shape = [1] * y.dim()
        shape[c] = -1
        elem = elem * w.reshape(shape)
    m = _mask(opts["Mask"], y)
    if m is not None:
        elem = elem * m
    if not summed:
        return DLArray(-elem, fmt) if fmt else DLArray(_matlab_tensor(-elem), "")
    return _scalar_loss(_normalize(-elem.sum(), y, fmt, m, opts["NormalizationFactor"], "crossentropy",
                                   per_channel=(mode == "exclusive")))


def _crossentropy_of_engine_output(Y, targets):
    """``crossentropy(Y, targets)`` with the default options (exclusive classes, divided by the batch size)
    for the common case of a custom loop: ``Y`` a network output still in the engine's layout and
    ``targets`` a NumPy array of Y's dtype and MATLAB-layout size. The targets are transposed in NumPy
    (no torch operation) and the loss is −Σ T·log Y / N, as the general path computes it. Returns None
    for anything else (the general path then handles it, errors included)."""
    if type(Y) is not DLArray or Y._data is not None or type(targets) is not np.ndarray:
        return None
    y = Y._torch
    if y is None:
        return None
    key = (Y._fmt, y.dim())
    plan = _ENGINE_PLANS.get(key)
    if plan is None:
        plan = _ENGINE_PLANS[key] = _engine_plan(*key) or False
    if plan is False or Y._convert is not plan[3]:
        return None
    perm, inverse, engine_fmt, _ = plan
    shape = y.shape
    if (targets.dtype != _NUMPY_DTYPES.get(y.dtype) or not targets.flags.writeable
            or targets.shape != tuple(map(shape.__getitem__, perm)) or min(targets.strides, default=0) < 0):
        return None
    t = torch.from_numpy(targets.transpose(inverse))           # the targets in Y's (engine) layout
    total = (t * torch.log(y)).sum()
    return DLArray((total / -shape[engine_fmt.index("B")]).reshape(1, 1), "")


_ENGINE_PLANS: dict = {}     # (format, rank) -> _engine_plan(...) or False
_NUMPY_DTYPES = {torch.float32: np.dtype(np.float32), torch.float64: np.dtype(np.float64)}


@matlab_function("binarycrossentropy", outputs=("loss",))
def binarycrossentropy(Y, targets, *args, **kwargs):
    """``loss = binarycrossentropy(Y, targets)``: −Σ T·log Y + (1−T)·log(1−Y), divided by the batch size."""
    _, opts = parse_options("binarycrossentropy", args, kwargs, {
        "mask": ("Mask", None), "normalizationfactor": ("NormalizationFactor", "batch-size"),
        "dataformat": ("DataFormat", None)})
    y, t, fmt = _loss_inputs(Y, targets, opts["DataFormat"], "binarycrossentropy", torch_layout=opts["Mask"] is None)
    elem = -(t * torch.log(y) + (1 - t) * torch.log(1 - y))
    m = _mask(opts["Mask"], y)
    if m is not None:
        elem = elem * m
    return _scalar_loss(_normalize(elem.sum(), y, fmt, m, opts["NormalizationFactor"], "binarycrossentropy", False))


@matlab_function("mse", outputs=("loss",))
def mse(Y, targets, *args, **kwargs):
    """``loss = mse(Y, targets)``: half mean squared error, Σ (Y−T)² / (2N) with N the number of observations."""
    _, opts = parse_options("mse", args, kwargs, {"dataformat": ("DataFormat", None)})
    y, t, fmt = _loss_inputs(Y, targets, opts["DataFormat"], "mse", torch_layout=True)
    return _scalar_loss(((y - t) ** 2).sum() / (2 * _batch_size(y, fmt)))


def _regression_loss(name, elem_fn, Y, targets, args, kwargs, extra=None):
    spec = {"mask": ("Mask", None), "normalizationfactor": ("NormalizationFactor", "batch-size"),
            "dataformat": ("DataFormat", None), "reduction": ("Reduction", "sum"), "weights": ("Weights", None)}
    spec.update(extra or {})
    rest = list(args)
    weights = None
    if rest and not isinstance(rest[0], str):
        weights = rest.pop(0)
    _, opts = parse_options(name, rest, kwargs, spec)
    y, t, fmt = _loss_inputs(Y, targets, opts["DataFormat"], name)
    elem = elem_fn(y - t, opts)
    w = weights if weights is not None else opts["Weights"]
    if w is not None:
        wt = _t(w).to(y.dtype)
        elem = elem * (wt.reshape(tuple(wt.shape) + (1,) * (y.dim() - wt.dim())) if wt.dim() < y.dim() else wt)
    m = _mask(opts["Mask"], y)
    if m is not None:
        elem = elem * m
    if str(opts["Reduction"]).lower() == "none":
        return DLArray(elem, fmt) if fmt else DLArray(_matlab_tensor(elem), "")
    return _scalar_loss(_normalize(elem.sum(), y, fmt, m, opts["NormalizationFactor"], name, False))


@matlab_function("l1loss", outputs=("loss",))
def l1loss(Y, targets, *args, **kwargs):
    """``loss = l1loss(Y, targets, weights, Name, Value)``: Σ |Y−T|, divided by the batch size by default."""
    return _regression_loss("l1loss", lambda d, o: d.abs(), Y, targets, args, kwargs)


@matlab_function("l2loss", outputs=("loss",))
def l2loss(Y, targets, *args, **kwargs):
    """``loss = l2loss(Y, targets, weights, Name, Value)``: Σ (Y−T)², divided by the batch size by default."""
    return _regression_loss("l2loss", lambda d, o: d * d, Y, targets, args, kwargs)


@matlab_function("huber", outputs=("loss",))
def huber(Y, targets, *args, **kwargs):
    """``loss = huber(Y, targets, 'TransitionPoint', δ)`` (δ = 1): ½d² for |d| ≤ δ, δ(|d| − ½δ) otherwise."""
    def elem(d, opts):
        delta = _num(opts["TransitionPoint"], "TransitionPoint", "huber")
        a = d.abs()
        return torch.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _regression_loss("huber", elem, Y, targets, args, kwargs, {"transitionpoint": ("TransitionPoint", 1.0)})


# ------------------------------------------------------------------------------------------------
# fully connected, convolution, pooling

@matlab_function("fullyconnect", outputs=("Y",))
def fullyconnect(X, weights, bias, *args, **kwargs):
    """``Y = fullyconnect(X, weights, bias)``: weights K×(prod of S and C sizes); Y is 'CB' (or 'CBT').

    The S and C dimensions are flattened column-major (MATLAB's order) for each observation/time step.
    """
    _, opts = parse_options("fullyconnect", args, kwargs, {"dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "fullyconnect")
    fmt = Xf.fmt
    feat = _dims_of(fmt, "SCU")
    rest = [i for i in range(len(fmt)) if i not in feat]
    x = Xf.data.permute(feat + rest)
    nfeat = int(np.prod([Xf.data.shape[i] for i in feat])) if feat else 1
    rest_shape = [Xf.data.shape[i] for i in rest]
    x2 = _fortran_reshape(x, [nfeat] + rest_shape) if feat else x.reshape([1] + rest_shape)
    x2 = x2.reshape(nfeat, -1)
    w = _t(weights).to(x2.dtype)
    if w.dim() != 2 or w.shape[1] != nfeat:
        raise DLArrayError(f"fullyconnect: weights must be K×{nfeat} for this input (got {tuple(w.shape)}).")
    b = _t(bias).to(x2.dtype).reshape(-1, 1)
    y = w @ x2 + b
    out_fmt = "C" + "".join(fmt[i] for i in rest)
    y = y.reshape([w.shape[0]] + rest_shape)
    return _result(DLArray(y, out_fmt), not (isinstance(X, DLArray) and X.fmt))


def _spatial_options(function, args, kwargs, extra=None):
    spec = {"stride": ("Stride", 1), "dilationfactor": ("DilationFactor", 1), "padding": ("Padding", 0),
            "paddingvalue": ("PaddingValue", 0), "dataformat": ("DataFormat", None),
            "weightsformat": ("WeightsFormat", None)}
    spec.update(extra or {})
    return parse_options(function, args, kwargs, spec)


def _pads(padding, sizes, kernel, stride, dilation, function) -> list:
    n = len(sizes)
    if isinstance(padding, str):
        if padding.lower() != "same":
            raise OptionError(f"{function}: Padding must be 'same', a scalar, or a 2-by-{n} matrix.")
        return [same_padding(s, k, st, d) for s, k, st, d in zip(sizes, kernel, stride, dilation)]
    arr = np.asarray(padding, dtype=np.int64)
    if arr.size == 1:
        return [(int(arr.reshape(-1)[0]),) * 2] * n
    if arr.size == n:
        return [(int(p), int(p)) for p in arr.reshape(-1)]
    if arr.shape == (2, n):
        return [(int(arr[0, i]), int(arr[1, i])) for i in range(n)]
    if n == 2 and arr.size == 4:       # [top bottom left right], like the layers
        a = arr.reshape(-1)
        return [(int(a[0]), int(a[1])), (int(a[2]), int(a[3]))]
    raise OptionError(f"{function}: Padding must be 'same', a scalar, a vector of {n}, or a 2-by-{n} matrix.")


def _to_engine(X, fmt_opt, function):
    Xf = _formatted(X, fmt_opt, function)
    if "T" in Xf.fmt and "S" in Xf.fmt:
        raise DLArrayError(f"{function}: inputs with both spatial and time dimensions are not supported.")
    t, full = to_torch_layout(Xf)
    if "T" in full:      # 1-D over time: N×T×C -> N×C×T
        t = t.transpose(1, 2)
    return Xf, t, full


def _from_engine(y, full, X):
    if "T" in full:
        y = y.transpose(1, 2)
    out = from_torch_layout(y, full, lazy=False)
    if not (isinstance(X, DLArray) and X.fmt):
        return DLArray(_matlab_tensor(out.data), "")
    if out.fmt != X.fmt:    # a singleton B or C was inserted
        keep = [i for i, ch in enumerate(out.fmt) if ch in X.fmt]
        return DLArray(out.data.reshape([out.data.shape[i] for i in keep]), X.fmt)
    return out


@matlab_function("dlconv", outputs=("Y",))
def dlconv(X, weights, bias, *args, **kwargs):
    """``Y = dlconv(X, weights, bias, 'Stride', s, 'DilationFactor', d, 'Padding', p, 'PaddingValue', v)``.

    Weights filterSize×C×F in MATLAB layout (``'Padding'`` 'same' puts the odd extra after, as MATLAB);
    ``bias`` F values (or 0). Convolves over the S dimensions (or T for 'CBT' data).
    """
    _, opts = _spatial_options("dlconv", args, kwargs)
    Xf, x, full = _to_engine(X, opts["DataFormat"], "dlconv")
    n = x.dim() - 2
    w = _t(weights).to(x.dtype)
    if w.dim() < n + 2:
        w = w.reshape(tuple(w.shape) + (1,) * (n + 2 - w.dim()))
    wt = w.permute((n + 1, n) + tuple(range(n))).contiguous()       # F×C×k...
    groups = max(1, int(x.shape[1]) // int(wt.shape[1]))
    b = _t(bias).to(x.dtype).reshape(-1)
    if b.numel() == 1 and wt.shape[0] != 1:
        b = b.expand(wt.shape[0])
    stride = _vec(opts["Stride"], n, "Stride", "dlconv")
    dil = _vec(opts["DilationFactor"], n, "DilationFactor", "dlconv")
    pads = _pads(opts["Padding"], list(x.shape[2:]), list(wt.shape[2:]), stride, dil, "dlconv")
    if any(p for pair in pads for p in pair):
        x = pad_nd(x, pads, opts["PaddingValue"])
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    return _from_engine(conv(x, wt, b, stride, 0, dil, groups), full, X)


@matlab_function("dltranspconv", outputs=("Y",))
def dltranspconv(X, weights, bias, *args, **kwargs):
    """``Y = dltranspconv(X, weights, bias, 'Stride', s, 'Cropping', c)``: weights filterSize×F×C (MATLAB)."""
    _, opts = _spatial_options("dltranspconv", args, kwargs, {"cropping": ("Cropping", 0)})
    Xf, x, full = _to_engine(X, opts["DataFormat"], "dltranspconv")
    n = x.dim() - 2
    w = _t(weights).to(x.dtype)
    if w.dim() < n + 2:
        w = w.reshape(tuple(w.shape) + (1,) * (n + 2 - w.dim()))
    wt = w.permute((n + 1, n) + tuple(range(n))).contiguous()       # C×F×k... (ConvTranspose layout)
    stride = _vec(opts["Stride"], n, "Stride", "dltranspconv")
    conv_t = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[n]
    y = conv_t(x, wt, None, stride)
    crop = opts["Cropping"]
    if isinstance(crop, str):
        plans = [transposed_crops(int(s), int(k), st, "same") for s, k, st in zip(x.shape[2:], wt.shape[2:], stride)]
    else:
        pads = _pads(crop, list(x.shape[2:]), list(wt.shape[2:]), stride, (1,) * n, "dltranspconv")
        plans = [transposed_crops(int(s), int(k), st, c) for s, k, st, c in zip(x.shape[2:], wt.shape[2:], stride, pads)]
    if any(off for _, _, off in plans):
        y = F.pad(y, torch_pad([(0, off) for _, _, off in plans]))
    index = [slice(None), slice(None)] + [slice(b, int(y.shape[2 + d]) - a) for d, (b, a, _) in enumerate(plans)]
    y = y[tuple(index)]
    b = _t(bias).to(y.dtype).reshape(-1)
    y = y + b.reshape((1, -1) + (1,) * n)
    return _from_engine(y, full, X)


def _pool(kind, X, poolsize, args, kwargs):
    function = f"{kind}pool"
    extra = {"paddingvalue": ("PaddingValue", 0 if kind == "avg" else -math.inf)}
    _, opts = _spatial_options(function, args, kwargs, extra)
    Xf, x, full = _to_engine(X, opts["DataFormat"], function)
    n = x.dim() - 2
    if isinstance(poolsize, str):
        if poolsize.lower() != "global":
            raise OptionError(f"{function}: pool size must be a vector or 'global'.")
        dims_ = tuple(range(2, x.dim()))
        y = x.amax(dim=dims_, keepdim=True) if kind == "max" else x.mean(dim=dims_, keepdim=True)
        return _from_engine(y, full, X)
    k = _vec(poolsize, n, "poolsize", function)
    stride = _vec(opts["Stride"], n, "Stride", function)
    pads = _pads(opts["Padding"], list(x.shape[2:]), k, stride, (1,) * n, function)
    if any(p for pair in pads for p in pair):
        x = F.pad(x, torch_pad(pads), value=float(opts["PaddingValue"]))
    if kind == "max":
        pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[n]
        y = pool(x, k, stride)
    else:
        pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[n]
        y = pool(x, k, stride)
    return _from_engine(y, full, X)


@matlab_function("maxpool", outputs=("Y",))
def maxpool(X, poolsize, *args, **kwargs):
    """``Y = maxpool(X, poolsize, 'Stride', s, 'Padding', p)`` or ``maxpool(X, 'global')`` (Stride 1 by default)."""
    return _pool("max", X, poolsize, args, kwargs)


@matlab_function("avgpool", outputs=("Y",))
def avgpool(X, poolsize, *args, **kwargs):
    """``Y = avgpool(X, poolsize, 'Stride', s, 'Padding', p, 'PaddingValue', v)`` or ``avgpool(X, 'global')``.

    Padded elements count in the average (PaddingValue 0), as MATLAB's default.
    """
    return _pool("avg", X, poolsize, args, kwargs)


# ------------------------------------------------------------------------------------------------
# normalization

def _channel_shape(fmt: str, ndim: int) -> list:
    shape = [1] * ndim
    if "C" in fmt:
        shape[fmt.index("C")] = -1
    return shape


def _affine(xhat, offset, scale, fmt):
    shape = _channel_shape(fmt, xhat.dim())
    return xhat * _t(scale).to(xhat.dtype).reshape(shape) + _t(offset).to(xhat.dtype).reshape(shape)


def _stat_shape(t, fmt):
    return _t(t).reshape(_channel_shape(fmt, len(fmt)))


@matlab_function("batchnorm", outputs=("Y", "runningMean", "runningVar"), nargout_aware=True)
def batchnorm(X, offset, scaleFactor, *args, nargout=None, **kwargs):
    """Batch normalization in function form (MATLAB's three syntaxes):

    * ``[Y, mu, sigmaSq] = batchnorm(X, offset, scaleFactor)``: batch statistics;
    * ``Y = batchnorm(X, offset, scaleFactor, trainedMean, trainedVar)``: inference (``nargout=1``, the
      Python default for five arguments);
    * ``[Y, runMean, runVar] = batchnorm(X, offset, scaleFactor, runMean, runVar)`` with ``nargout=3``
      (or 'MeanDecay'/'VarianceDecay' given): batch statistics, running statistics updated
      (new = (1−decay)·old + decay·batch, decay 0.1; the variance as MATLAB: unbiased, M/(M−1)).
    Statistics are per channel over every other dimension; 'Epsilon' 1e-5.
    """
    rest = list(args)
    stats = []
    while rest and not isinstance(rest[0], str) and len(stats) < 2:
        stats.append(rest.pop(0))
    _, opts = parse_options("batchnorm", rest, kwargs, {
        "epsilon": ("Epsilon", 1e-5), "meandecay": ("MeanDecay", None), "variancedecay": ("VarianceDecay", None),
        "dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "batchnorm")
    fmt, x = Xf.fmt, Xf.data
    eps = float(opts["Epsilon"])
    red = tuple(i for i, ch in enumerate(fmt) if ch != "C")
    unformatted = not (isinstance(X, DLArray) and X.fmt)
    training = not stats or nargout == 3 or opts["MeanDecay"] is not None or opts["VarianceDecay"] is not None
    if not training:
        mu, var = _stat_shape(stats[0], fmt).to(x.dtype), _stat_shape(stats[1], fmt).to(x.dtype)
        return _result(DLArray(_affine((x - mu) / torch.sqrt(var + eps), offset, scaleFactor, fmt), fmt), unformatted)
    mu = x.mean(dim=red, keepdim=True)
    var = x.var(dim=red, keepdim=True, unbiased=False)
    Y = _result(DLArray(_affine((x - mu) / torch.sqrt(var + eps), offset, scaleFactor, fmt), fmt), unformatted)
    m = int(np.prod([x.shape[i] for i in red])) if red else 1
    if not stats:
        return Y, DLArray(mu.detach().reshape(-1, 1), ""), DLArray(var.detach().reshape(-1, 1), "")
    md = 0.1 if opts["MeanDecay"] is None else float(opts["MeanDecay"])
    vd = 0.1 if opts["VarianceDecay"] is None else float(opts["VarianceDecay"])
    old_mu, old_var = _t(stats[0]), _t(stats[1])
    unbiased = var.detach() * (m / max(m - 1, 1))
    new_mu = (1 - md) * old_mu.to(x.dtype) + md * mu.detach().reshape(old_mu.shape)
    new_var = (1 - vd) * old_var.to(x.dtype) + vd * unbiased.reshape(old_var.shape)
    wrap = (lambda v, like: DLArray(v, like.fmt) if isinstance(like, DLArray) else DLArray(_matlab_tensor(v), ""))
    return Y, wrap(new_mu, stats[0]), wrap(new_var, stats[1])


def _norm(x, dims_, eps):
    mu = x.mean(dim=dims_, keepdim=True)
    var = x.var(dim=dims_, keepdim=True, unbiased=False)
    return (x - mu) / torch.sqrt(var + eps)


@matlab_function("layernorm", outputs=("Y",))
def layernorm(X, offset, scaleFactor, *args, **kwargs):
    """``Y = layernorm(X, offset, scaleFactor, 'OperationDimension', ...)``: normalize each observation.

    'OperationDimension' "auto" (default: over S and C (and U); over C only when there is a T
    dimension), "channel-only", "spatial-channel", "batch-excluded" (every dimension but B).
    """
    _, opts = parse_options("layernorm", args, kwargs, {
        "epsilon": ("Epsilon", 1e-5), "operationdimension": ("OperationDimension", "auto"),
        "dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "layernorm")
    fmt = Xf.fmt
    mode = str(opts["OperationDimension"]).lower()
    if mode == "auto":
        mode = "channel-only" if "T" in fmt and "S" not in fmt else "spatial-channel"
    labels = {"channel-only": "C", "spatial-channel": "SCU", "batch-excluded": "SCTU"}.get(mode)
    if labels is None:
        raise OptionError("layernorm: OperationDimension must be 'auto', 'channel-only', 'spatial-channel' or "
                          "'batch-excluded'.")
    dims_ = tuple(_dims_of(fmt, labels))
    xhat = _norm(Xf.data, dims_, float(opts["Epsilon"]))
    return _result(DLArray(_affine(xhat, offset, scaleFactor, fmt), fmt), not (isinstance(X, DLArray) and X.fmt))


@matlab_function("instancenorm", outputs=("Y",))
def instancenorm(X, offset, scaleFactor, *args, **kwargs):
    """``Y = instancenorm(X, offset, scaleFactor)``: normalize each channel of each observation over S (and T)."""
    _, opts = parse_options("instancenorm", args, kwargs, {"epsilon": ("Epsilon", 1e-5),
                                                            "dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "instancenorm")
    fmt = Xf.fmt
    dims_ = tuple(_dims_of(fmt, "STU"))
    xhat = _norm(Xf.data, dims_, float(opts["Epsilon"]))
    return _result(DLArray(_affine(xhat, offset, scaleFactor, fmt), fmt), not (isinstance(X, DLArray) and X.fmt))


@matlab_function("groupnorm", outputs=("Y",))
def groupnorm(X, numGroups, offset, scaleFactor, *args, **kwargs):
    """``Y = groupnorm(X, numGroups, offset, scaleFactor)``: channels split into groups, each normalized
    over its channels and the S (and T) dimensions, per observation."""
    _, opts = parse_options("groupnorm", args, kwargs, {"epsilon": ("Epsilon", 1e-5),
                                                         "dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "groupnorm")
    fmt, x = Xf.fmt, Xf.data
    if "C" not in fmt:
        raise DLArrayError("groupnorm: input must have a channel ('C') dimension.")
    c = fmt.index("C")
    C = int(x.shape[c])
    if isinstance(numGroups, str):
        g = {"all-channels": 1, "channel-wise": C}.get(numGroups.lower())
        if g is None:
            raise OptionError("groupnorm: numGroups must be a positive integer, 'all-channels' or 'channel-wise'.")
    else:
        g = int(_num(numGroups, "numGroups", "groupnorm"))
    if g < 1 or C % g:
        raise OptionError(f"groupnorm: the number of channels ({C}) must be divisible by numGroups ({g}).")
    shape = list(x.shape)
    grouped = x.reshape(shape[:c] + [g, C // g] + shape[c + 1:])      # groups are contiguous channel blocks
    dims_ = [i if i < c else i + 1 for i in _dims_of(fmt, "STU")] + [c + 1]
    xhat = _norm(grouped, tuple(dims_), float(opts["Epsilon"])).reshape(shape)
    return _result(DLArray(_affine(xhat, offset, scaleFactor, fmt), fmt), not (isinstance(X, DLArray) and X.fmt))


# ------------------------------------------------------------------------------------------------
# recurrent

def _sequence(X, fmt_opt, function):
    Xf = _formatted(X, fmt_opt, function)
    fmt = Xf.fmt
    if any(ch in fmt for ch in "SU"):
        raise DLArrayError(f"{function}: input must have channel, batch and time dimensions only ('CBT').")
    x = Xf.data
    if "B" not in fmt:
        x = x.unsqueeze(fmt.index("C") + 1)
    if "T" not in fmt:
        x = x.unsqueeze(-1)
    return Xf, x     # C×B×T


def _seq_out(ys, Xf, X):
    y = torch.stack(ys, dim=-1)      # H×B×T
    fmt = Xf.fmt
    if "T" not in fmt:
        y = y[..., 0]
    if "B" not in fmt:
        y = y.squeeze(1) if y.dim() > 1 else y
    return _result(DLArray(y, fmt), not (isinstance(X, DLArray) and X.fmt))


def _state(h, H, B, dtype):
    t = _t(h).to(dtype)
    if t.numel() == H:
        return t.reshape(H, 1).expand(H, B)
    return t.reshape(H, B)


@matlab_function("lstm", outputs=("Y", "hiddenState", "cellState"))
def lstm(X, H0, C0, weights, recurrentWeights, bias, *args, **kwargs):
    """``[Y, hiddenState, cellState] = lstm(X, H0, C0, weights, recurrentWeights, bias)``.

    Gates [input; forget; cell candidate; output] (4H rows), σ for the gates and tanh for the state
    ('StateActivationFunction' 'tanh'|'softsign'|'relu', 'GateActivationFunction' 'sigmoid'|'hard-sigmoid').
    """
    _, opts = parse_options("lstm", args, kwargs, {
        "dataformat": ("DataFormat", None), "stateactivationfunction": ("StateActivationFunction", "tanh"),
        "gateactivationfunction": ("GateActivationFunction", "sigmoid")})
    Xf, x = _sequence(X, opts["DataFormat"], "lstm")
    state_fn, gate_fn = _activation(opts["StateActivationFunction"]), _activation(opts["GateActivationFunction"])
    W, R = _t(weights).to(x.dtype), _t(recurrentWeights).to(x.dtype)
    b = _t(bias).to(x.dtype).reshape(-1, 1)
    H = R.shape[1]
    B = x.shape[1]
    h, c = _state(H0, H, B, x.dtype), _state(C0, H, B, x.dtype)
    xw = torch.einsum("gc,cbt->gbt", W, x) + b.unsqueeze(-1)
    ys = []
    for t in range(x.shape[2]):
        z = xw[..., t] + R @ h
        i, f, g, o = gate_fn(z[:H]), gate_fn(z[H:2 * H]), state_fn(z[2 * H:3 * H]), gate_fn(z[3 * H:])
        c = f * c + i * g
        h = o * state_fn(c)
        ys.append(h)
    Y = _seq_out(ys, Xf, X)
    return Y, DLArray(h, ""), DLArray(c, "")


@matlab_function("gru", outputs=("Y", "hiddenState"))
def gru(X, H0, weights, recurrentWeights, bias, *args, **kwargs):
    """``[Y, hiddenState] = gru(X, H0, weights, recurrentWeights, bias, 'ResetGateMode', mode)``.

    Gates [reset; update; candidate] (3H rows): r = σ(W_r x + R_r h + b_r), z = σ(W_z x + R_z h + b_z),
    h̃ = tanh(W_h x + r ⊙ (R_h h) + b_h) ("after-multiplication", the default), or
    tanh(W_h x + R_h (r ⊙ h) + b_h) ("before-multiplication"), or with a recurrent bias (6H bias,
    "recurrent-bias-after-multiplication"); h = (1 − z) ⊙ h̃ + z ⊙ h_prev.
    """
    _, opts = parse_options("gru", args, kwargs, {
        "dataformat": ("DataFormat", None), "resetgatemode": ("ResetGateMode", "after-multiplication"),
        "stateactivationfunction": ("StateActivationFunction", "tanh"),
        "gateactivationfunction": ("GateActivationFunction", "sigmoid")})
    mode = str(opts["ResetGateMode"]).lower()
    if mode not in ("after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"):
        raise OptionError("gru: ResetGateMode must be 'after-multiplication', 'before-multiplication' or "
                          "'recurrent-bias-after-multiplication'.")
    Xf, x = _sequence(X, opts["DataFormat"], "gru")
    state_fn, gate_fn = _activation(opts["StateActivationFunction"]), _activation(opts["GateActivationFunction"])
    W, R = _t(weights).to(x.dtype), _t(recurrentWeights).to(x.dtype)
    bias_all = _t(bias).to(x.dtype).reshape(-1, 1)
    H = R.shape[1]
    b, rb = bias_all[:3 * H], (bias_all[3 * H:] if mode == "recurrent-bias-after-multiplication" else None)
    h = _state(H0, H, x.shape[1], x.dtype)
    xw = torch.einsum("gc,cbt->gbt", W, x) + b.unsqueeze(-1)
    ys = []
    for t in range(x.shape[2]):
        rh = R[:2 * H] @ h
        if rb is not None:
            rh = rh + rb[:2 * H]
        r = gate_fn(xw[:H, :, t] + rh[:H])
        z = gate_fn(xw[H:2 * H, :, t] + rh[H:])
        if mode == "before-multiplication":
            cand = state_fn(xw[2 * H:, :, t] + R[2 * H:] @ (r * h))
        else:
            rec = R[2 * H:] @ h
            if rb is not None:
                rec = rec + rb[2 * H:]
            cand = state_fn(xw[2 * H:, :, t] + r * rec)
        h = (1 - z) * cand + z * h
        ys.append(h)
    return _seq_out(ys, Xf, X), DLArray(h, "")


def _activation(name):
    name = str(name).lower()
    table = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "softsign": F.softsign,
             "hard-sigmoid": lambda z: torch.clamp(0.2 * z + 0.5, 0, 1)}
    if name not in table:
        raise OptionError(f"'{name}' is not a supported activation function.")
    return table[name]


# ------------------------------------------------------------------------------------------------
# embedding and attention

@matlab_function("embed", outputs=("Y",))
def embed(X, weights, *args, **kwargs):
    """``Y = embed(X, weights)``: 1-based indices ``X`` to columns of ``weights`` (embeddingDim×numWords).

    The output has a channel dimension of size embeddingDim (replacing a singleton 'C', or added).
    """
    _, opts = parse_options("embed", args, kwargs, {"dataformat": ("DataFormat", None)})
    Xf = _formatted(X, opts["DataFormat"], "embed") if (isinstance(X, DLArray) and X.fmt) or opts["DataFormat"] \
        else DLArray(_matlab_tensor(_t(X)), "")
    W = _t(weights)
    idx = Xf.data.detach()
    if torch.any(idx != torch.round(idx)) or torch.any(idx < 1) or torch.any(idx > W.shape[1]):
        raise DLArrayError(f"embed: indices must be integers from 1 to the number of words ({W.shape[1]}).")
    fmt = Xf.fmt
    data = idx.long() - 1
    if "C" in fmt:
        c = fmt.index("C")
        if data.shape[c] != 1:
            raise DLArrayError("embed: the channel dimension of the indices must be a singleton.")
        data = data.squeeze(c)
        fmt_rest = fmt[:c] + fmt[c + 1:]
    else:
        fmt_rest = fmt
    emb = W[:, data.reshape(-1)].reshape((W.shape[0],) + tuple(data.shape))        # D × rest...
    if not fmt:
        return DLArray(_matlab_tensor(emb.reshape(W.shape[0], -1)), "")
    labels = "C" + fmt_rest
    from .dlarray import _canonical
    canon, order = _canonical(labels)
    return DLArray(emb.permute(order), canon)


@matlab_function("attention", outputs=("Y", "weights"))
def attention(queries, keys, values, numHeads, *args, **kwargs):
    """``[Y, weights] = attention(queries, keys, values, numHeads, 'Scale', s, 'AttentionMask', m, ...)``.

    Inputs 'CBT' (channels split into ``numHeads`` heads); weights = softmax over keys of
    scale·(Kᵀ Q) per head (scale 1/√(channels per head) by default); Y = V·weights; the weights output
    is numKeys×numQueries×numHeads×numObservations. 'AttentionMask' "none", "causal" or a logical
    numKeys×numQueries mask (true = attend); 'DropoutProbability' 0.
    """
    _, opts = parse_options("attention", args, kwargs, {
        "scale": ("Scale", "auto"), "attentionmask": ("AttentionMask", "none"), "paddingmask": ("PaddingMask", None),
        "dropoutprobability": ("DropoutProbability", 0.0), "dataformat": ("DataFormat", None)})
    heads = int(_num(numHeads, "numHeads", "attention"))
    Qf, q = _sequence(queries, opts["DataFormat"], "attention")
    _, k = _sequence(keys, opts["DataFormat"], "attention")
    _, v = _sequence(values, opts["DataFormat"], "attention")
    C, B, Tq = q.shape
    Tk = k.shape[2]
    if C % heads or k.shape[0] % heads or v.shape[0] % heads:
        raise OptionError("attention: the number of channels must be divisible by numHeads.")
    dk, dv = C // heads, v.shape[0] // heads
    scale = 1 / math.sqrt(dk) if isinstance(opts["Scale"], str) else _num(opts["Scale"], "Scale", "attention")
    qh = q.reshape(heads, dk, B, Tq)       # channel c = head·dk + j  (row-major split, see docs)
    kh = k.reshape(heads, dk, B, Tk)
    vh = v.reshape(heads, dv, B, Tk)
    scores = scale * torch.einsum("hdbk,hdbq->kqhb", kh, qh)        # Tk×Tq×heads×B
    mask = opts["AttentionMask"]
    if isinstance(mask, str):
        if mask.lower() == "causal":
            allowed = torch.arange(Tk).reshape(-1, 1) <= torch.arange(Tq).reshape(1, -1)
            scores = scores.masked_fill(~allowed.reshape(Tk, Tq, 1, 1), -math.inf)
        elif mask.lower() != "none":
            raise OptionError("attention: AttentionMask must be 'none', 'causal' or a logical array.")
    else:
        allowed = _t(mask).bool()
        allowed = allowed.reshape(tuple(allowed.shape) + (1,) * (4 - allowed.dim()))
        scores = scores.masked_fill(~allowed, -math.inf)
    if opts["PaddingMask"] is not None:
        pm = _t(opts["PaddingMask"]).bool().reshape(-1, B, Tk) if _t(opts["PaddingMask"]).dim() > 2 else \
            _t(opts["PaddingMask"]).bool().reshape(B, Tk).unsqueeze(0)
        keep = pm.any(dim=0).T.reshape(Tk, 1, 1, B)
        scores = scores.masked_fill(~keep, -math.inf)
    w = torch.softmax(scores, dim=0)
    p = _num(opts["DropoutProbability"], "DropoutProbability", "attention")
    if p:
        w = F.dropout(w, p, training=True)
    y = torch.einsum("hdbk,kqhb->hdbq", vh, w).reshape(heads * dv, B, Tq)
    fmt = Qf.fmt
    if "T" not in fmt:
        y = y[..., 0]
    Y = _result(DLArray(y, fmt), not (isinstance(queries, DLArray) and queries.fmt))
    return Y, DLArray(w, "")


# ------------------------------------------------------------------------------------------------
# one-hot and sequence padding

@matlab_function("onehotdecode", outputs=("A",))
def onehotdecode(B, classes, featureDim, *args):
    """``A = onehotdecode(B, classes, featureDim)``: also for dlarrays (decoded from their data)."""
    from ..values.categorical import onehotdecode as decode

    if isinstance(B, DLArray):
        B = B.data.detach().cpu().numpy()
    return decode(B, classes, featureDim, *args)


@matlab_function("padsequences", outputs=("XPad", "mask"))
def padsequences(X, paddingDim, *args, **kwargs):
    """``[XPad, mask] = padsequences(X, paddingDim, 'Length', 'longest'|'shortest'|n, 'Direction',
    'right'|'left'|'both', 'PaddingValue', v)``: pad (or truncate) the arrays in ``X`` (a list) along
    ``paddingDim`` and concatenate them along dimension ``paddingDim + 1``. ``mask`` is true on data.
    """
    _, opts = parse_options("padsequences", args, kwargs, {
        "length": ("Length", "longest"), "direction": ("Direction", "right"), "paddingvalue": ("PaddingValue", 0),
        "uniformoutput": ("UniformOutput", True)})
    items = list(X.a.reshape(-1, order="F")) if hasattr(X, "a") else list(X)
    if not items:
        raise OptionError("padsequences: X must be a nonempty cell array.")
    dim = int(paddingDim) - 1
    arrs = []
    dl = any(isinstance(v, DLArray) for v in items)
    for v in items:
        t = _t(v)
        t = t.reshape(tuple(t.shape) + (1,) * (dim + 1 - t.dim())) if t.dim() <= dim else t
        arrs.append(t)
    lengths = [int(a.shape[dim]) for a in arrs]
    length = opts["Length"]
    if isinstance(length, str):
        target = {"longest": max(lengths), "shortest": min(lengths)}.get(length.lower())
        if target is None:
            raise OptionError("padsequences: Length must be 'longest', 'shortest' or a positive integer.")
    else:
        target = int(_num(length, "Length", "padsequences"))
    direction = str(opts["Direction"]).lower()
    if direction not in ("left", "right", "both"):
        raise OptionError("padsequences: Direction must be 'left', 'right' or 'both'.")
    value = float(opts["PaddingValue"])
    padded, masks = [], []
    for a, n in zip(arrs, lengths):
        keep = min(n, target)
        if direction == "left":
            a = a.narrow(dim, n - keep, keep)
            before, after = target - keep, 0
        elif direction == "both":
            start = (n - keep) // 2
            a = a.narrow(dim, start, keep)
            before = (target - keep) // 2
            after = target - keep - before
        else:
            a = a.narrow(dim, 0, keep)
            before, after = 0, target - keep
        shape = list(a.shape)
        pads = []
        m = torch.ones(shape, dtype=torch.bool)
        for piece, size in (("before", before), ("after", after)):
            shape_p = list(shape)
            shape_p[dim] = size
            pads.append((torch.full(shape_p, value, dtype=a.dtype), torch.zeros(shape_p, dtype=torch.bool)))
        padded.append(torch.cat([pads[0][0], a, pads[1][0]], dim=dim))
        masks.append(torch.cat([pads[0][1], m, pads[1][1]], dim=dim))
    nd = max([p.dim() for p in padded] + [dim + 2])
    out = torch.cat([p.reshape(tuple(p.shape) + (1,) * (nd - p.dim())) for p in padded], dim=dim + 1)
    mask = torch.cat([p.reshape(tuple(p.shape) + (1,) * (nd - p.dim())) for p in masks], dim=dim + 1)
    if dl:
        return DLArray(_matlab_tensor(out), ""), _matlab_tensor(mask).numpy()
    return _matlab_tensor(out).numpy(), _matlab_tensor(mask).numpy()


__all__ = [
    "relu", "leakyrelu", "sigmoid", "dl_tanh", "gelu", "softmax", "dropout", "crossentropy", "binarycrossentropy",
    "mse", "l1loss", "l2loss", "huber", "fullyconnect", "dlconv", "dltranspconv", "maxpool", "avgpool",
    "batchnorm", "layernorm", "instancenorm", "groupnorm", "lstm", "gru", "embed", "attention", "onehotdecode",
    "padsequences",
]
