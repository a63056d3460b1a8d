"""Prediction the MATLAB way: classify, predict, activations (SeriesNetwork/DAGNetwork) and
minibatchpredict, scores2label, testnet (dlnetwork).

Inputs use the same layouts as training (torch layout; sequences as lists of T×C arrays). Outputs
are NumPy arrays in torch layout: scores N×K, sequence outputs a list of T×K arrays (each trimmed
to its sequence's length, as MATLAB returns cell arrays), activations N×C×H×W.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import PredictionError, TrainingError
from ..functions import matlab_function
from ..values import Categorical, from_labels
from .data import SeqOptions, all_batches, categorical_order, chunked_forward, make_batch, make_source, net_io

_PREDICT_OPTIONS = {
    "minibatchsize": "MiniBatchSize",
    "sequencelength": "SequenceLength",
    "sequencepaddingdirection": "SequencePaddingDirection",
    "sequencepaddingvalue": "SequencePaddingValue",
    "executionenvironment": "ExecutionEnvironment",
    "acceleration": "Acceleration",
    "outputas": "OutputAs",
    "outputs": "Outputs",
    "returncategorical": "ReturnCategorical",
    "inputdataformats": "InputDataFormats",
}


def _options(function: str, args, kwargs, allowed) -> dict:
    if len(args) % 2:
        raise PredictionError(f"{function}: name-value arguments must come in pairs.")
    out = {"MiniBatchSize": 128, "SequenceLength": "longest", "SequencePaddingDirection": "right",
           "SequencePaddingValue": 0.0, "ExecutionEnvironment": "auto", "Acceleration": "auto",
           "OutputAs": "channels", "Outputs": None, "ReturnCategorical": False, "InputDataFormats": "auto"}
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        name = _PREDICT_OPTIONS.get(str(key).lower())
        if name is None or name not in allowed:
            raise PredictionError(f"{function}: '{key}' is not a recognized parameter. Valid parameters: "
                                + ", ".join(f"'{a}'" for a in allowed) + ".")
        out[name] = value
    bs = out["MiniBatchSize"]
    if isinstance(bs, bool) or not isinstance(bs, (int, np.integer, float)) or bs < 1 or int(bs) != bs:
        raise PredictionError(f"{function}: MiniBatchSize must be a positive integer, got {bs!r}.")
    out["MiniBatchSize"] = int(bs)
    sl = out["SequenceLength"]
    if isinstance(sl, str):
        if sl.lower() not in ("longest", "shortest"):
            raise PredictionError(f"{function}: SequenceLength must be 'longest', 'shortest' or a positive integer.")
        out["SequenceLength"] = sl.lower()
    if str(out["SequencePaddingDirection"]).lower() not in ("left", "right"):
        raise PredictionError(f"{function}: SequencePaddingDirection must be 'left' or 'right'.")
    out["SequencePaddingDirection"] = str(out["SequencePaddingDirection"]).lower()
    return out


def _device_for(net, env: str) -> torch.device:
    if env == "gpu":
        if not torch.cuda.is_available():
            raise PredictionError("ExecutionEnvironment 'gpu' requires a CUDA GPU, but none is available.")
        return torch.device("cuda")
    if env == "cpu":
        return torch.device("cpu")
    try:
        return next(net.parameters()).device
    except StopIteration:
        return torch.device("cpu")


def _seq_options(opts) -> SeqOptions:
    sl = opts["SequenceLength"]
    if not isinstance(sl, str):
        sl = "longest"   # an integer pads to the longest sequence, then _run splits the mini-batch into chunks
    return SeqOptions(sl, opts["SequencePaddingDirection"], float(opts["SequencePaddingValue"]))


def _run(net, X, opts, function: str, capture: str | None = None):
    """Forward every observation in mini-batches; returns outputs per observation (list) or an array."""
    io = net_io(net)
    try:
        source = make_source(X, None, io, what="data", need_y=False)
    except TrainingError as exc:   # the shared data checks; prediction reports its own error type
        raise PredictionError(f"{function}: {exc}") from None
    device = _device_for(net, opts["ExecutionEnvironment"])
    seq = _seq_options(opts)
    chunk = opts["SequenceLength"] if not isinstance(opts["SequenceLength"], str) else None
    seq_out = io.output_layout.has_time
    captured: list = []
    hook = None
    if capture is not None:
        if capture not in net._lg.module_names:
            raise PredictionError(f"{function}: layer '{capture}' does not exist in the network.")
        if net._lg.graph.layer(capture).IS_OUTPUT:
            raise PredictionError(f"{function}: layer '{capture}' is an output layer; give the layer before it.")
        module_name = net._lg.module_names[capture]
        if any(n.op == "call_module" and n.target == module_name for n in net.graph.nodes):
            hook = net.layer_module(capture).register_forward_hook(lambda m, a, out: captured.append(out))
        # else: a stateless layer the generated forward runs as a torch function (ReLU, addition, ...);
        # its output is read from the graph node instead (Network.activations)
    was_training = net.training
    net.eval()
    results = []
    lengths_all = []
    try:
        with torch.no_grad():
            source.prefetch(all_batches(len(source), opts["MiniBatchSize"]))
            for idx in all_batches(len(source), opts["MiniBatchSize"]):
                batch = make_batch(source, idx, None, seq, device)
                x = batch.x.to(device)
                if chunk and source.is_seq and x.shape[1] > chunk:
                    # SequenceLength n: chunks of n steps in turn, recurrent state carried between them
                    # and reset for each mini-batch; outputs over time are joined, others come from the last chunk
                    out = chunked_forward(net, net, x, chunk, seq_out)
                else:
                    out = net(x)
                if capture is not None and hook is None:
                    out = net.activations(x, layer=capture)
                elif capture is not None:
                    parts = [c[0] if isinstance(c, tuple) else c for c in captured]
                    captured.clear()
                    if len(parts) > 1 and _captured_has_time(net, capture):
                        out = torch.cat(parts, dim=1)
                    else:
                        out = parts[-1]
                results.append(out.detach().cpu())
                lengths_all.append(batch.lengths)
    finally:
        source.stop_prefetch()
        if hook is not None:
            hook.remove()
        net.train(was_training)
    time_out = (results[0].dim() >= 3 and source.is_seq and (seq_out if capture is None else _captured_has_time(net, capture)))
    if not time_out:
        return torch.cat(results, 0).numpy(), False
    per_obs = []
    for out, lengths in zip(results, lengths_all):
        t = out.shape[1]
        for i, n in enumerate(lengths):
            n = min(n, t)
            per_obs.append((out[i, :n] if seq.direction == "right" else out[i, t - n:]).numpy())
    return per_obs, True


def _captured_has_time(net, name: str) -> bool:
    outs = net._lg.analysis.output_layouts.get(name)
    return bool(outs and outs[0].has_time)


def _classes(net) -> list:
    classes = net._lg.extra.get("classes")
    if classes is not None:
        return list(classes)
    if net.kind == "assembled":
        layer = net._lg.graph.layer(net._lg.graph.OutputNames[0])
        if getattr(layer, "Classes", "auto") != "auto":
            return list(layer.Classes)
    raise PredictionError(
        "classify: the network's output layer has no classes. Train it with trainNetwork or set the "
        "classificationLayer's 'Classes' before assembleNetwork."
    )


def _label_array(classes: list, idx: np.ndarray, row: bool = False) -> Categorical:
    """MATLAB's categorical labels (N×1; a sequence's labels 1×T); np.asarray gives the label values."""
    return from_labels(classes, np.asarray(idx).reshape(-1), row=row)


@matlab_function(outputs=("Y",), data_free=False)
def predict(net, X, *args, **kwargs):
    """``Y = predict(net, X, Name, Value)``: scores or responses (N×K; sequence outputs a list of T×K)."""
    opts = _options("predict", args, kwargs, ("MiniBatchSize", "SequenceLength", "SequencePaddingDirection",
                                              "SequencePaddingValue", "ExecutionEnvironment", "Acceleration",
                                              "ReturnCategorical"))
    out, _ = _run(net, X, opts, "predict")
    if opts["ReturnCategorical"]:
        classes = _classes(net)
        if isinstance(out, list):
            return [_label_array(classes, o.argmax(-1), row=True) for o in out]
        return _label_array(classes, out.argmax(1))
    return out


@matlab_function(outputs=("YPred", "scores"), data_free=False)
def classify(net, X, *args, **kwargs):
    """``[YPred, scores] = classify(net, X, Name, Value)``: labels (in the training labels' type) and scores.

    Columns of ``scores`` follow the output layer's Classes (MATLAB's categorical order). For
    sequence-to-sequence networks both are lists, one entry per sequence.
    """
    opts = _options("classify", args, kwargs, ("MiniBatchSize", "SequenceLength", "SequencePaddingDirection",
                                               "SequencePaddingValue", "ExecutionEnvironment", "Acceleration"))
    if net.kind == "assembled":
        layer = net._lg.graph.layer(net._lg.graph.OutputNames[0])
        if getattr(layer, "TASK", "regression") != "classification":
            raise PredictionError("classify: the network has a regression output layer; use predict.")
    classes = _classes(net)
    scores, is_seq = _run(net, X, opts, "classify")
    if is_seq:
        return [_label_array(classes, s.argmax(-1), row=True) for s in scores], scores
    return _label_array(classes, scores.reshape(scores.shape[0], -1).argmax(1)), scores


@matlab_function(outputs=("act",), data_free=False)
def activations(net, X, layer, *args, **kwargs):
    """``act = activations(net, X, layer, 'OutputAs', 'channels'|'rows'|'columns')``.

    'channels' (default): the layer output in torch layout (N×C×H×W; sequences a list of T×C);
    'rows': N×(elements) flattened in MATLAB's column-major order (H fastest, then W, then C);
    'columns': the transpose of 'rows'.
    """
    opts = _options("activations", args, kwargs, ("MiniBatchSize", "SequenceLength", "SequencePaddingDirection",
                                                  "SequencePaddingValue", "ExecutionEnvironment", "Acceleration",
                                                  "OutputAs"))
    if not isinstance(layer, str):
        raise PredictionError("activations: the layer must be given by name.")
    out, is_seq = _run(net, X, opts, "activations", capture=layer)
    mode = str(opts["OutputAs"]).lower()
    if mode not in ("channels", "rows", "columns"):
        raise PredictionError("activations: OutputAs must be 'channels', 'rows' or 'columns'.")
    if mode == "channels" or is_seq:
        return out
    n = out.shape[0]
    if out.ndim > 2:
        rows = _matlab_flatten(out)   # N×C×H×W -> per observation H×W×C, column-major
    else:
        rows = out.reshape(n, -1)
    return rows if mode == "rows" else rows.T


def _matlab_flatten(out: np.ndarray) -> np.ndarray:
    n = out.shape[0]
    per = np.transpose(out, (0,) + tuple(range(2, out.ndim)) + (1,))   # N×H×W×C
    return np.stack([per[i].reshape(-1, order="F") for i in range(n)])


@matlab_function(outputs=("Y",), data_free=False)
def minibatchpredict(net, X, *args, **kwargs):
    """``Y = minibatchpredict(net, X, MiniBatchSize=128, Outputs=layerName)`` for a dlnetwork (or any network)."""
    opts = _options("minibatchpredict", args, kwargs, ("MiniBatchSize", "SequenceLength", "SequencePaddingDirection",
                                                       "SequencePaddingValue", "ExecutionEnvironment", "Acceleration",
                                                       "Outputs", "InputDataFormats"))
    if opts["Outputs"] is not None:
        name = opts["Outputs"]
        if isinstance(name, (list, tuple)):
            return tuple(_run(net, X, opts, "minibatchpredict", capture=n)[0] for n in name)
        return _run(net, X, opts, "minibatchpredict", capture=name)[0]
    return _run(net, X, opts, "minibatchpredict")[0]


@matlab_function(outputs=("Y", "score"))
def scores2label(scores, classNames, *args):
    """``[Y, score] = scores2label(scores, classNames)``: the class of the highest score per row (dim 2).

    ``classNames`` keep their order (as given), matching the columns of ``scores``.
    """
    s = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    if isinstance(scores, list) and scores and np.ndim(scores[0]) >= 2:
        pairs = [scores2label(x, classNames) for x in scores]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    classes = list(classNames)
    dim = s.ndim - 1 if not args else int(args[0]) - 1
    if s.shape[dim] != len(classes):
        raise PredictionError(f"scores2label: the scores have {s.shape[dim]} columns but there are {len(classes)} class names.")
    idx = s.argmax(dim)
    if idx.ndim <= 1:
        return _label_array(classes, idx, row=(dim == 0 and s.ndim == 2)), s.max(dim)
    labels = _label_array(classes, idx)
    labels.codes = labels.codes.reshape(idx.shape)
    return labels, s.max(dim)


@matlab_function(outputs=("metricValues",), data_free=False)
def testnet(net, X, *args):
    """``metricValues = testnet(net, X, T, metrics)``: 'accuracy' (percent), 'crossentropy', 'mse',
    'rmse', 'mae', 'binary-crossentropy', or callables ``f(Y, T)``; one value per metric, in order."""
    if len(args) < 2:
        raise PredictionError("testnet: expected testnet(net, X, T, metrics).")
    T, metrics = args[0], args[1]
    rest = args[2:]
    metrics = [metrics] if isinstance(metrics, str) or callable(metrics) else list(metrics)
    opts = _options("testnet", rest, {}, ("MiniBatchSize", "SequenceLength", "SequencePaddingDirection",
                                          "SequencePaddingValue", "ExecutionEnvironment", "Acceleration"))
    Y, is_seq = _run(net, X, opts, "testnet")
    if is_seq:
        Y = np.concatenate(Y, 0)
        T = np.concatenate([np.asarray(t, dtype=object).reshape(-1) if not np.asarray(t).dtype.kind in "f"
                            else np.asarray(t) for t in T], 0)
    y = torch.as_tensor(np.asarray(Y, dtype=np.float32))
    values = []
    for m in metrics:
        key = m.lower() if isinstance(m, str) else m
        if key in ("accuracy", "crossentropy", "index-crossentropy"):
            classes = net._lg.extra.get("classes")
            if classes is None:
                classes = categorical_order(list(np.asarray(T, dtype=object).reshape(-1)))
            index = {c: i for i, c in enumerate(classes)}
            try:
                t = torch.as_tensor([index[_plain(v)] for v in np.asarray(T, dtype=object).reshape(-1)])
            except KeyError as exc:
                raise PredictionError(f"testnet: label {exc.args[0]!r} is not one of the network's classes.") from None
            if key == "accuracy":
                values.append(100.0 * float((y.argmax(1) == t).float().mean()))
            else:
                p = y.clamp_min(float(torch.finfo(torch.float32).eps))
                values.append(float(-torch.log(p[torch.arange(len(t)), t]).mean()))
            continue
        t = torch.as_tensor(np.asarray(T, dtype=np.float32)).reshape(y.shape)
        if callable(key):
            values.append(float(key(y, t)))
        elif key == "mse":
            values.append(float(((y - t) ** 2).mean()))
        elif key == "rmse":
            values.append(math.sqrt(float(((y - t) ** 2).mean())))
        elif key == "mae":
            values.append(float((y - t).abs().mean()))
        elif key == "binary-crossentropy":
            p = y.clamp(1e-7, 1 - 1e-7)
            values.append(float(-(t * p.log() + (1 - t) * (1 - p).log()).mean()))
        else:
            raise PredictionError(f"testnet: unknown metric {m!r}. Use 'accuracy', 'crossentropy', 'mse', 'rmse', "
                                "'mae', 'binary-crossentropy' or a function handle.")
    return values[0] if len(values) == 1 else values


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


__all__ = ["predict", "classify", "activations", "minibatchpredict", "scores2label", "testnet"]
