"""Two layouts, one boundary: MATLAB code's data layouts in, the engine's torch layouts inside.

MATLAB code (``layergraph run`` and translated programs, through :mod:`layergraph.matlab.lang`) calls
``trainNetwork``, ``trainnet``, ``predict``, ``classify``, ``activations`` and ``minibatchpredict``
with MATLAB's layouts; the Python API (``from layergraph import *``) calls the functions of the same
names with torch layouts. The MATLAB-named functions registered in :data:`layergraph.functions.FUNCTIONS`
are the thin wrappers below: each converts its data ONCE, here, and calls the one implementation in
:mod:`layergraph.training` (and :mod:`layergraph.dl` for dlarray inputs).

==========================  ===============================================  ==============================
data                        MATLAB layout (what MATLAB code holds)           torch layout (the engine)
==========================  ===============================================  ==============================
2-D images                  H×W×C×N numeric (``'SSCB'``)                     N×C×H×W
3-D volumes                 H×W×D×C×N numeric (``'SSSCB'``)                  N×C×H×W×D
features                    N×C numeric                                      N×C (the same)
sequences                   N×1 cell of C×T matrices (``'CT'`` each)         list of T×C arrays
image sequences             N×1 cell of H×W×C×T arrays (``'SSCT'`` each)     list of T×C×H×W arrays
class labels                N×1 categorical                                  the same Categorical
responses                   N×R numeric; images H×W×C×N                      N×R; N×C×H×W
sequence responses          N×1 cell of 1×T categorical / R×T numeric        list of T labels / T×R arrays
datastores, tables          as they are (their reads are MATLAB layout)      the engine reads them
dlarray                     by its format labels (:mod:`layergraph.dl`)      B, T, C, S... (one rule)
==========================  ===============================================  ==============================

Outputs come back in MATLAB's layouts: ``predict`` scores N×K (single), image outputs H×W×C×N,
sequence outputs an N×1 cell of K×T; ``classify`` labels N×1 categorical (sequence-to-sequence: an N×1
cell of 1×T categorical) and scores as ``predict``; ``activations`` with ``'OutputAs','channels'``
H×W×C×N (a 1×1×C×N array for a channel-only activation of an image network), sequences an N×1 cell of
C×T. The permutations of images and sequences are the dlarray rule (:func:`layergraph.dl.dlarray.
to_torch_layout` / :func:`~layergraph.dl.dlarray.from_torch_layout`) applied to the formats above, so
numeric arrays and dlarrays cross the boundary the same way.
"""

from __future__ import annotations

import numpy as np
import torch

from ..dl.dlarray import DLArray, from_torch_layout, to_torch_layout
from ..errors import TrainingError
from ..functions import matlab_function
from ..layers.base import Layer, Layout
from ..values import Categorical, Cell, Struct

# The one implementation of each function (torch layouts); captured before the MATLAB-layout wrappers
# below take the MATLAB names in the registry.
import importlib

_loop = importlib.import_module("layergraph.training.loop")
_predict = importlib.import_module("layergraph.training.predict")
_dl_api = importlib.import_module("layergraph.dl.network_api")


class LayoutError(TrainingError):
    """MATLAB-layout data that cannot be read for the network (names the function and the argument)."""


# --------------------------------------------------------------------------------------------------
# The network's input layout


def network_input_layout(network) -> Layout | None:
    """The input layer's layout of a layer array, LayerGraph or network (None when it has none)."""
    lg = getattr(network, "_lg", None)
    if lg is not None:
        if len(lg.input_names) != 1:
            return None
        outs = lg.analysis.output_layouts.get(lg.input_names[0])
        return outs[0] if outs else None
    if isinstance(network, Layer):
        layers = [network]
    elif hasattr(network, "layer_list"):
        layers = network.layer_list()
    elif hasattr(network, "items") and callable(network.items):     # the interpreter's layer array
        layers = [x for x in network.items() if isinstance(x, Layer)]
    elif isinstance(network, (list, tuple)):
        layers = [x for x in network if isinstance(x, Layer)]
    else:
        return None
    inputs = [layer for layer in layers if layer.IS_INPUT]
    if len(inputs) != 1:
        return None
    try:
        return inputs[0].output_layout()
    except Exception:   # a custom input layer without a static layout: decide from the data
        return None


def _is_datastore(x) -> bool:
    from ..data.datastore import Datastore

    if isinstance(x, Datastore):
        return True
    from torch.utils.data import DataLoader, Dataset

    return isinstance(x, (Dataset, DataLoader))


def _observations(x) -> list | None:
    """The items of a MATLAB cell array (column-major), or of a Python list; None for anything else."""
    if isinstance(x, Cell):
        return x.items()
    if isinstance(x, (list, tuple)):
        return list(x)
    return None


def _numeric(x, function: str, what: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise LayoutError(f"{function}: {what} must be numeric, got values of type {arr.dtype}.")
    return arr


def _pad_dims(a: np.ndarray, n: int) -> np.ndarray:
    """MATLAB drops trailing singleton dimensions: a 28×28 image is 28×28×1×1 for a 4-D format."""
    if a.ndim > n:
        extra = a.shape[n:]
        if any(d != 1 for d in extra):
            return a        # the caller reports the mismatch
        return a.reshape(a.shape[:n])
    return a.reshape(a.shape + (1,) * (n - a.ndim))


def _by_format(a: np.ndarray, fmt: str) -> np.ndarray:
    """MATLAB-layout array of format ``fmt`` -> engine layout (the dlarray rule, batch first)."""
    t, _ = to_torch_layout(torch.from_numpy(np.ascontiguousarray(_pad_dims(a, len(fmt)))), fmt)
    return t.contiguous().numpy()


def _sequence_format(layout: Layout | None, obs: np.ndarray) -> str:
    if layout is not None and layout.has_time:
        return "S" * len(layout.spatial) + "CT"
    spatial = max(obs.ndim - 2, 0)
    return "S" * spatial + "CT"


def _one_sequence(x, layout, function, what, i) -> np.ndarray:
    a = _numeric(x, function, f"{what} (sequence {i})")
    fmt = _sequence_format(layout, a)
    if a.ndim > len(fmt):
        raise LayoutError(f"{function}: {what} sequence {i} has size {_size(a)}; expected "
                          f"{_expected(fmt)} arrays in MATLAB layout.")
    t = _by_format(a, fmt)               # 1×T×C×S...
    return t[0]


def _size(a) -> str:
    return "×".join(str(d) for d in a.shape)


def _expected(fmt: str) -> str:
    names = {"S": "H", "C": "C", "B": "N", "T": "T"}
    dims, spatial = [], iter("HWD")
    for ch in fmt:
        dims.append(next(spatial) if ch == "S" else names[ch])
    return "×".join(dims)


def to_engine_predictors(X, layout: Layout | None, function: str, what: str = "the predictors"):
    """MATLAB-layout predictors -> the engine's torch layout (see the module table)."""
    if isinstance(X, DLArray) or _is_datastore(X) or X is None:
        return X
    from ..values import Table

    if isinstance(X, Table):
        return X
    items = _observations(X)
    if items is not None:
        if items and all(isinstance(s, (np.ndarray, torch.Tensor, list)) and not isinstance(s, Cell) for s in items):
            return [_one_sequence(s, layout, function, what, i + 1) for i, s in enumerate(items)]
        if not items:
            raise LayoutError(f"{function}: {what} are an empty cell array.")
        raise LayoutError(f"{function}: {what} must be a cell array of numeric sequences (C×T matrices).")
    a = _numeric(X, function, what)
    if layout is None:
        # no input layer to read (a custom input, or a network being initialized): MATLAB's defaults by rank
        layout = Layout(tuple([1] * max(a.ndim - 2, 0)) if a.ndim >= 3 else (), 1)
        if a.ndim == 3:
            layout = Layout((1, 1), 1)      # H×W×C with one observation
    if layout.has_time:
        if a.ndim <= 2 + len(layout.spatial):        # one sequence given as a C×T matrix
            return [_one_sequence(a, layout, function, what, 1)]
        raise LayoutError(f"{function}: {what}: sequences are an N×1 cell array of "
                          f"{_expected(_sequence_format(layout, a))} matrices in MATLAB; got a numeric "
                          f"array of size {_size(a)}.")
    k = len(layout.spatial)
    if k == 0:
        a = a.reshape(1, -1) if a.ndim == 1 else a
        if a.ndim != 2:
            raise LayoutError(f"{function}: {what}: feature data are N×C (one row per observation); got "
                              f"size {_size(a)}.")
        return np.ascontiguousarray(a)
    fmt = "S" * k + "CB"
    if a.ndim > len(fmt):
        raise LayoutError(f"{function}: {what} have size {_size(a)}; {k}-D images are {_expected(fmt)} "
                          "arrays in MATLAB layout.")
    return _by_format(a, fmt)


def _is_label_sequence(y) -> bool:
    return isinstance(y, Categorical) or (isinstance(y, np.ndarray) and y.dtype == object) or \
        isinstance(y, (list, tuple)) and bool(y) and isinstance(y[0], str)


def to_engine_responses(Y, layout: Layout | None, function: str, what: str = "the responses"):
    """MATLAB-layout responses -> the engine's: labels as they are; sequences' responses T-first."""
    if Y is None or isinstance(Y, Categorical):
        return Y
    items = _observations(Y)
    if items is not None:
        if items and all(isinstance(s, str) for s in items):
            return items                                   # a cellstr of labels
        out = []
        for i, y in enumerate(items):
            if isinstance(y, Categorical):
                out.append(y.__class__(y.codes.reshape(-1), y.categories, y.ordinal)
                           if hasattr(y, "codes") else y)
            elif _is_label_sequence(y):
                out.append(list(np.asarray(y, dtype=object).reshape(-1)))
            else:
                a = _numeric(y, function, f"{what} (sequence {i + 1})")
                a = a.reshape(1, -1) if a.ndim == 1 else a
                out.append(np.ascontiguousarray(a.T))          # R×T -> T×R
        return out
    if isinstance(Y, torch.Tensor):
        Y = Y.detach().cpu().numpy()
    a = np.asarray(Y)
    if a.dtype.kind not in "biuf":
        return Y                                            # labels of another kind: the engine checks them
    if a.ndim >= 3:                                         # image responses H×W×C×N
        fmt = "S" * (a.ndim - 2) + "CB"
        return _by_format(a, fmt)
    if a.ndim == 2 and a.shape[0] == 1 and a.shape[1] > 1 and layout is not None and not layout.spatial \
            and not layout.has_time:
        return np.ascontiguousarray(a.T)                    # a row of N responses: N×1
    return np.ascontiguousarray(a)


def _as_single(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    return a.reshape(1, -1) if a.ndim < 2 else a


def from_engine_output(Y, *, channels_only_as_image: bool = False):
    """Engine outputs -> MATLAB layouts: N×K stays, N×C×S... -> S...×C×N, a list of T×K -> N×1 cell of K×T."""
    if isinstance(Y, Categorical):
        return Y
    if isinstance(Y, (list, tuple)):
        return Cell.column([from_sequence_output(y) for y in Y])
    a = np.asarray(Y)
    if a.ndim > 2 and not channels_only_as_image and all(d == 1 for d in a.shape[2:]):
        a = a.reshape(a.shape[:2])        # a 1×1×K output (global pooling before softmax) is N×K scores
    if a.ndim <= 2:
        if channels_only_as_image and a.ndim == 2:
            return _as_single(a.T.reshape((1, 1) + a.T.shape))   # N×C -> 1×1×C×N
        return _as_single(a)
    fmt = "S" * (a.ndim - 2) + "CB"
    return _as_single(from_torch_layout(torch.from_numpy(np.ascontiguousarray(a)), fmt, lazy=False).data.numpy())


def from_sequence_output(y):
    """One sequence's output: T×K -> K×T (single); labels 1×T categorical."""
    if isinstance(y, Categorical):
        return y
    a = np.asarray(y)
    if a.ndim == 1:
        return _as_single(a.reshape(-1, 1).T)
    if a.ndim == 2:
        return _as_single(a.T)
    fmt = "S" * (a.ndim - 2) + "CT"                         # T×C×S... -> S...×C×T
    t = torch.from_numpy(np.ascontiguousarray(a)).unsqueeze(0)
    return _as_single(from_torch_layout(t, "S" * (a.ndim - 2) + "CBT", lazy=False).data.numpy()
                      .reshape(a.shape[2:] + (a.shape[1], a.shape[0]))) if fmt else a


# --------------------------------------------------------------------------------------------------
# The MATLAB-layout functions (registered under the MATLAB names)


def options_in_engine_layout(options, layout: Layout | None, function: str):
    """trainingOptions whose ValidationData (``{X, Y}`` or a datastore) hold MATLAB-layout data: a copy
    with the data converted (the options MATLAB code holds are left as they are)."""
    vd = getattr(options, "ValidationData", None)
    if vd is None or _is_datastore(vd):
        return options
    items = _observations(vd)
    if items is not None and len(items) == 2:
        pair = (to_engine_predictors(items[0], layout, function, "the validation predictors"),
                to_engine_responses(items[1], layout, function, "the validation responses"))
    else:
        pair = to_engine_predictors(vd, layout, function, "the validation data")
    return options.copy(ValidationData=pair)


@matlab_function("trainNetwork", outputs=("net", "info"), data_free=False)
def trainNetwork(*args, **kwargs):
    """``[net, info] = trainNetwork(X, Y, layers, options)`` / ``trainNetwork(ds, layers, options)`` with
    MATLAB layouts (images H×W×C×N, sequences an N×1 cell of C×T, features N×C, labels N×1 categorical)."""
    return _with_info(_loop.trainNetwork(*_training_args(args, 4, "trainNetwork"), **kwargs))


@matlab_function("trainnet", outputs=("netTrained", "info"), data_free=False)
def trainnet(*args, **kwargs):
    """``[netTrained, info] = trainnet(X, T, net, lossFcn, options)`` / ``trainnet(ds, net, lossFcn, options)``
    with MATLAB layouts."""
    return _with_info(_loop.trainnet(*_training_args(args, 5, "trainnet"), **kwargs))


def _training_args(args, separate_count: int, function: str) -> list:
    """The arguments of a training call in engine layout: with predictors and responses given separately
    (``separate_count`` arguments) the network is the third, else (a datastore) the second; the data follow
    its input layout, and so do the options' validation data (the last argument)."""
    args = list(args)
    if len(args) not in (separate_count, separate_count - 1):
        return args
    separate = len(args) == separate_count
    layout = network_input_layout(args[2 if separate else 1])
    args[0] = to_engine_predictors(args[0], layout, function)
    if separate:
        args[1] = to_engine_responses(args[1], layout, function)
    args[-1] = options_in_engine_layout(args[-1], layout, function)
    return args


def info_struct(info):
    """trainNetwork's ``info`` as MATLAB returns it: a struct whose per-iteration fields are 1×numIterations
    rows (NaN where not computed) and whose final values are scalars."""
    if not hasattr(info, "fields"):
        return info
    fields = {}
    for name in info.fields():
        value = getattr(info, name)
        if isinstance(value, (list, tuple, np.ndarray)):
            fields[name] = np.asarray(value, dtype=np.float64).reshape(1, -1)
        else:
            fields[name] = np.array([[float(value)]])
    return Struct(fields)


def _with_info(result):
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], info_struct(result[1])
    return result


def _wants_dl(X, args, kwargs) -> bool:
    return isinstance(X, DLArray) or any(isinstance(a, DLArray) for a in args) or \
        any(isinstance(a, str) and a.lower() == "outputs" for a in args[::2] if isinstance(a, str)) or \
        "Outputs" in kwargs


@matlab_function("predict", outputs=("Y", "state"), data_free=False)
def predict(net, X, *args, nargout=None, **kwargs):
    """``Y = predict(net, X, Name, Value)`` with MATLAB layouts: scores N×K (single), image outputs
    H×W×C×N, sequence outputs an N×1 cell of K×T; dlarray inputs follow their format labels
    (``[Y, state] = predict(net, X)`` then also returns the updated network state)."""
    if _wants_dl(X, args, kwargs):
        return _dl_api.predict(net, X, *args, nargout=nargout, **kwargs)
    numeric_dl = _numeric_with_formats(net, X, args, kwargs)
    if numeric_dl is not None:
        inputs, options = numeric_dl
        out = _dl_api.predict(net, *inputs, *options, nargout=nargout)
        batchless = not any("B" in x.fmt for x in inputs)
        if isinstance(out, tuple):
            return tuple(_numeric_output(o, batchless) for o in out)
        return _numeric_output(out, batchless)
    _dl_api._no_state_output(net, nargout)
    X = to_engine_predictors(X, network_input_layout(net), "predict", "the data")
    return from_engine_output(_predict.predict(net, X, *args, **kwargs))


def _numeric_with_formats(net, X, args, kwargs):
    """``predict(net, X1, ..., 'InputDataFormats', fmts)`` with numeric X (MATLAB's dlnetwork predict on
    numeric input, as in MathWorks' resetState example ``[scores, state] = predict(net, X,
    InputDataFormats="CT")``): (the inputs as formatted dlarrays, the other options); None otherwise."""
    from ..network import Network

    if not isinstance(net, Network) or net.kind == "assembled":
        return None
    n = next((i for i, a in enumerate(args) if isinstance(a, str)), len(args))
    pairs = list(zip(args[n::2], args[n + 1::2])) + list(kwargs.items())
    formats = [v for k, v in pairs if isinstance(k, str) and k.lower() == "inputdataformats"]
    if not formats or isinstance(formats[-1], str) and formats[-1].lower() == "auto":
        return None
    fmts = formats[-1]
    inputs = [X, *args[:n]]
    if isinstance(fmts, str):
        fmts = [fmts] * len(inputs)
    else:
        fmts = [str(f) for f in (fmts.a.reshape(-1, order="F") if hasattr(fmts, "a") else fmts)]
    if len(fmts) != len(inputs):
        return None
    options = [x for k, v in pairs if not (isinstance(k, str) and k.lower() == "inputdataformats") for x in (k, v)]
    return [_dlarray(np.asarray(x), f) for x, f in zip(inputs, fmts)], options


def _dlarray(x, fmt):
    from ..dl.dlarray import dlarray

    return dlarray(x, fmt)


def _numeric_output(y, batchless: bool):
    """A dlarray output as the numeric array returned for numeric input; for input without a 'B'
    dimension ('CT'), the output's singleton B is dropped (K×1×T -> K×T; K×1 stays 2-D)."""
    from ..dl.dlarray import extractdata

    if not isinstance(y, DLArray):
        return y
    data = extractdata(y)
    fmt = y.fmt
    if batchless and "B" in fmt and data.ndim > 2 and data.shape[fmt.index("B")] == 1:
        data = data.squeeze(fmt.index("B"))
    return data


@matlab_function("classify", outputs=("YPred", "scores"), data_free=False)
def classify(net, X, *args, **kwargs):
    """``[YPred, scores] = classify(net, X, Name, Value)`` with MATLAB layouts: N×1 categorical and N×K
    scores (sequence-to-sequence: N×1 cells of 1×T categorical and K×T scores)."""
    X = to_engine_predictors(X, network_input_layout(net), "classify", "the data")
    labels, scores = _predict.classify(net, X, *args, **kwargs)
    if isinstance(labels, list):
        return Cell.column(labels), from_engine_output(scores)
    return labels, from_engine_output(scores)


@matlab_function("activations", outputs=("act",), data_free=False)
def activations(net, X, layer, *args, **kwargs):
    """``act = activations(net, X, layer, 'OutputAs', ...)`` with MATLAB layouts: 'channels' gives
    H×W×C×N (1×1×C×N for a channel-only activation of an image network), sequences an N×1 cell of C×T;
    'rows' N×(elements) and 'columns' its transpose."""
    layout = network_input_layout(net)
    X = to_engine_predictors(X, layout, "activations", "the data")
    out = _predict.activations(net, X, layer, *args, **kwargs)
    mode = "channels"
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        if isinstance(key, str) and key.lower() == "outputas":
            mode = str(value).lower()
    if mode != "channels":
        return _as_single(out)
    return from_engine_output(out, channels_only_as_image=bool(layout is not None and layout.spatial))


@matlab_function("minibatchpredict", outputs=("Y",), data_free=False)
def minibatchpredict(net, X, *args, **kwargs):
    """``Y = minibatchpredict(net, X, Name, Value)`` with MATLAB layouts (as :func:`predict`)."""
    X = to_engine_predictors(X, network_input_layout(net), "minibatchpredict", "the data")
    out = _predict.minibatchpredict(net, X, *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(from_engine_output(o) for o in out)
    return from_engine_output(out)


#: The MATLAB name -> (MATLAB-layout wrapper, the torch-layout function of the Python API)
BOUNDARY = {
    "trainNetwork": (trainNetwork, _loop.trainNetwork),
    "trainnet": (trainnet, _loop.trainnet),
    "predict": (predict, _dl_api.predict),
    "classify": (classify, _predict.classify),
    "activations": (activations, _predict.activations),
    "minibatchpredict": (minibatchpredict, _predict.minibatchpredict),
}
for _name, (_wrapper, _torch_fn) in BOUNDARY.items():
    _wrapper.torch_layout_function = _torch_fn

__all__ = ["network_input_layout", "to_engine_predictors", "to_engine_responses", "from_engine_output",
           "from_sequence_output", "options_in_engine_layout", "info_struct", "LayoutError", "BOUNDARY", "trainNetwork", "trainnet", "predict", "classify",
           "activations", "minibatchpredict"]
