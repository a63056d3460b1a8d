"""dlnetwork in custom loops: ``forward``, ``predict``, ``initialize``, ``resetState``, ``dlupdate``.

Inputs: a formatted dlarray is converted to the engine's torch layout by its labels (the one rule of
:func:`~layergraph.dl.dlarray.to_torch_layout`) and the outputs come back as dlarrays in MATLAB layout
with the output's format (``'SSCB'``, ``'CB'``, ``'CBT'``, ...). An unformatted dlarray is read with the
input layer's format and the outputs are unformatted. A torch tensor (or NumPy array) is taken in
torch layout and the outputs are torch tensors (the Python API).

``forward`` runs in training mode and returns the updated state as a table, but leaves the network's
state untouched (MATLAB's value semantics): assign it with ``net.State = state``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import fx

from ..errors import GraphError, OptionError
from ..functions import matlab_function
from ..learnables import LearnableTable
from ..network import Network
from .dlarray import (_TORCH_ORDER, TRACE, DLArray, DLArrayError, _engine_memory, engine_order, from_torch_layout,
                      to_torch_layout)
from .options import parse_options

_FORWARD_OPTIONS = {"outputs": ("Outputs", None), "acceleration": ("Acceleration", "auto"),
                    "inputdataformats": ("InputDataFormats", "auto")}


def _check_net(net, function: str) -> Network:
    if not isinstance(net, Network):
        raise OptionError(f"{function}: first input must be a dlnetwork object, not {type(net).__name__}.")
    return net


def _input_format(net: Network, i: int) -> str:
    name = net.InputNames[i]
    layouts = net._lg.analysis.output_layouts.get(name)
    return layouts[0].format if layouts else ""


def _output_format(net: Network, name: str) -> str:
    layer, _, port = name.partition("/")
    layouts = net._lg.analysis.output_layouts.get(layer)
    if not layouts:
        raise GraphError(f"'{name}' is not a layer output of this network.")
    if port:
        ports = net._lg.graph.layer(layer).output_names()
        if port not in ports:
            raise GraphError(f"Layer '{layer}' has no output '{port}'.")
        return layouts[ports.index(port)].format
    return layouts[0].format


def _prepare(net: Network, inputs, function: str, formats_opt):
    if len(inputs) != len(net._lg.input_names):
        raise OptionError(f"{function}: the network has {len(net.InputNames)} input(s) "
                          f"({', '.join(net.InputNames)}) but {len(inputs)} were given.")
    dtype = _network_dtype(net)
    if len(inputs) == 1 and type(inputs[0]) is DLArray and inputs[0]._fmt:
        X = inputs[0]                                   # one formatted dlarray (a custom loop's forward)
        data = X._data if X._data is not None else X.data
        plan = _TORCH_ORDER.get(X._fmt)
        if plan is not None and not plan[0] and data.dim() == len(plan[1]):
            t = _engine_memory(data.permute(plan[1]))  # to_torch_layout's rule, known for this format
        else:
            t, _ = to_torch_layout(X)
        return [t.to(dtype) if t.dtype != dtype and t.is_floating_point() else t], "formatted"
    tensors, mode = [], None
    for i, X in enumerate(inputs):
        if isinstance(X, DLArray):
            kind = "formatted" if X.fmt else "unformatted"
            fmt = None
            if not X.fmt:
                fmt = _formats_option(formats_opt, i) or _input_format(net, i)
            t, _ = to_torch_layout(X, fmt)
        else:
            kind = "torch"
            t = torch.as_tensor(np.asarray(X)) if not isinstance(X, torch.Tensor) else X
        mode = mode or kind
        if t.dtype != dtype and t.is_floating_point():
            t = t.to(dtype)
        tensors.append(t)
    return tensors, mode


def _network_dtype(net: Network):
    sources = net.learnable_sources("learnable")        # cached per network (nn.Module.parameters() walks it)
    return sources[0][2].tensor.dtype if sources else torch.float32


def _formats_option(opt, i):
    if opt is None or (isinstance(opt, str) and opt.lower() == "auto"):
        return None
    if isinstance(opt, str):
        return opt
    items = list(opt)
    return items[i] if i < len(items) else None


def _output_names(net: Network, outputs) -> list[str] | None:
    """The names given by 'Outputs'; None for the network's own outputs."""
    if outputs is None:
        return None
    if isinstance(outputs, str):
        names = [outputs]
    else:
        names = [str(o) for o in (outputs.a.reshape(-1) if hasattr(outputs, "a") else outputs)]
    return None if names == list(net.OutputNames) else names


def _run(net: Network, tensors, names):
    if names is None:
        out = net(*tensors)
        return list(out) if isinstance(out, (tuple, list)) else [out]
    ports = {**net._lg.extra.get("port_nodes", {}), **net._lg.extra.get("derived_ports", {})}
    keys = []
    for name in names:
        key = name if "/" in name else next((k for k in ports if k.split("/", 1)[0] == name), None)
        if key is None or key not in ports:
            raise GraphError(f"'{name}' is not a layer output of this network.")
        keys.append(key)
    interpreter = fx.Interpreter(net, garbage_collect_values=False)
    interpreter.run(*tensors)
    from ..network import port_value

    return [port_value(net, interpreter.env, k) for k in keys]


def _wrap_outputs(net, outs, names, mode):
    """The outputs as dlarrays in MATLAB layout (``names`` None: the network's outputs)."""
    if mode == "torch":
        return outs
    cache = net.__dict__.setdefault("_lg_sources", {})
    key = ("output-formats", None if names is None else tuple(names))
    formats = cache.get(key)
    if formats is None:
        formats = [_output_format(net, name) for name in (net.OutputNames if names is None else names)]
        formats = cache[key] = [(fmt, *_output_plan(fmt)) for fmt in formats]
    wrapped = []
    for y, (fmt, ndim, to_matlab) in zip(outs, formats):
        if to_matlab is not None and y.dim() == ndim:
            d = DLArray(None, fmt, torch_data=y, convert=to_matlab)      # what from_torch_layout makes
        else:
            d = from_torch_layout(y, fmt)
        wrapped.append(d if mode == "formatted" else DLArray(d.data, ""))
    return wrapped


def _output_plan(fmt: str) -> tuple:
    """(rank, to-MATLAB converter) of :func:`engine_order` for an output format; (None, None) when it has
    none (:func:`from_torch_layout` then says why)."""
    try:
        perm, _, _, to_matlab = engine_order(fmt)
    except (DLArrayError, ValueError, KeyError):
        return None, None
    return len(perm), to_matlab


def _set_mode(net: Network, training: bool):
    if net.training != training:
        net.train(training)


@matlab_function("forward", outputs=("Y", "state"))
def forward(net, *args, **kwargs):
    """``[Y1, ..., Yk, state] = forward(net, X1, ..., Xm, 'Outputs', names)``: training-mode outputs and state.

    Returns ``(Y1, ..., Yk, state)``; ``state`` is a table like ``net.State`` with the updated values
    (the network keeps its old state until ``net.State = state``).
    """
    if kwargs or not (len(args) == 1 and type(args[0]) is DLArray) and any(isinstance(a, str) for a in args):
        inputs, opts = parse_options("forward", args, kwargs, _FORWARD_OPTIONS)
        formats_opt, outputs = opts["InputDataFormats"], opts["Outputs"]
    else:
        inputs, formats_opt, outputs = args, None, None
    if not isinstance(net, Network):
        _check_net(net, "forward")
    tensors, mode = _prepare(net, inputs, "forward", formats_opt)
    names = None if outputs is None else _output_names(net, outputs)
    if not net.training:
        net.train(True)
    outs, state = _run_with_state(net, tensors, names)
    return (*_wrap_outputs(net, outs, names, mode), state)


def _run_with_state(net: Network, tensors, names):
    """(outputs, the updated state as a table): runs the network on copies of its state tensors, so the
    network keeps its state (MATLAB's value semantics). Batch normalization updates its copies in training
    mode; recurrent layers put their final hidden/cell states (N×dH, MATLAB dH×N) in place of theirs."""
    layers, params, slots, converters, held = _state_plan(net)
    copies = _clone_all(held) if held else ()
    k = 0
    for tensor, where, name in slots:
        if where is not None:
            if type(where) is dict:
                where[name] = copies[k]          # a module's buffer
            else:
                setattr(where, name, copies[k])
            k += 1
    recurrent = _recurrent_modules(net)
    for m in recurrent:
        m.record = True
    try:
        outs = _run(net, tensors, names)
    finally:
        for m in recurrent:
            m.record = False
        updated = []
        for tensor, where, name in slots:
            if where is None:
                value = tensor.clone()
            elif type(where) is dict:
                value = where[name]                 # the copy, or what the layer put there
                where[name] = tensor
            else:
                value = getattr(where, name)
                setattr(where, name, tensor)
            updated.append(value.detach() if value.requires_grad else value)
    return outs, LearnableTable.lazy(layers, params, updated, converters, untraced=True)


def _recurrent_modules(net: Network) -> tuple:
    """The network's recurrent modules that hold a state (LSTM, BiLSTM, GRU and their projected forms)."""
    cache = net.__dict__.setdefault("_lg_sources", {})
    mods = cache.get("recurrent-modules")
    if mods is None:
        from ..layers.recurrent import recurrent_modules

        mods = cache["recurrent-modules"] = tuple(m for m in recurrent_modules(net) if "HiddenState" in m._buffers)
    return mods


def _clone_all(tensors: list) -> list:
    """Copies of ``tensors`` (one torch operation for all of them where torch has it)."""
    if _FOREACH_CLONE is not None and len(tensors) > 1:
        return _FOREACH_CLONE(tensors)
    return [t.clone() for t in tensors]


_FOREACH_CLONE = getattr(torch, "_foreach_clone", None)


def _state_plan(net: Network) -> tuple:
    """(layers, parameters, slots, to-MATLAB converters, the tensors of the slots with an owner) of the
    network's state. A slot is (the network's tensor, where its layer reads it: the module's buffer dict
    or the module itself (None: no owner known), the name there)."""
    cache = net.__dict__.get("_lg_sources")
    plan = cache.get("state-plan") if cache is not None else None
    if plan is None:
        layers, params, sources = net.table_rows("state")
        slots = tuple((src.tensor, *_slot(src.owner)) for src in sources)
        plan = net.__dict__["_lg_sources"]["state-plan"] = (layers, params, slots, net.table_converters("state")[1],
                                                            [slot[0] for slot in slots if slot[1] is not None])
    return plan


def _slot(owner):
    if owner is None:
        return None, None
    obj, name = owner
    buffers = getattr(obj, "_buffers", None)
    if type(buffers) is dict and name in buffers:
        return buffers, name
    return obj, name


def dl_predict(net, *args, nargout=None, **kwargs):
    """``[Y1, ..., Yk] = predict(net, X1, ..., Xm, 'Outputs', names)`` for dlarray inputs (inference mode).

    ``[Y1, ..., Yk, state] = predict(...)`` (``nargout=k+1``) also returns the updated network state, a
    table like ``net.State``: recurrent layers' hidden/cell states after the last time step (dH×N, one
    column per observation); batch normalization's statistics as they are (inference mode). The network
    keeps its state until ``net.State = state``.
    """
    inputs, opts = parse_options("predict", args, kwargs, _FORWARD_OPTIONS)
    net = _check_net(net, "predict")
    tensors, mode = _prepare(net, inputs, "predict", opts["InputDataFormats"])
    names = _output_names(net, opts["Outputs"])
    n_outputs = len(net.OutputNames) if names is None else len(names)
    with_state = nargout is not None and nargout > n_outputs
    _set_mode(net, False)
    with contextlib.nullcontext() if TRACE.depth else torch.no_grad():
        if with_state:
            outs, state = _run_with_state(net, tensors, names)
        else:
            outs = _run(net, tensors, names)
    wrapped = _wrap_outputs(net, outs, names, mode)
    if with_state:
        return (*wrapped, state)
    return wrapped[0] if len(wrapped) == 1 else tuple(wrapped)


@matlab_function("predict", outputs=("Y", "state"), data_free=False)
def predict(net, X, *args, nargout=None, **kwargs):
    """``Y = predict(net, X, ...)``: one function for both MATLAB forms.

    With dlarray inputs (or the ``'Outputs'`` option) it is the dlnetwork ``predict`` of custom loops
    (dlarrays in and out, by their labels); otherwise the SeriesNetwork/DAGNetwork/dlnetwork ``predict``
    of :mod:`layergraph.training` (torch-layout data, mini-batches, NumPy out).
    ``[Y1, ..., Yk, state] = predict(net, X, ...)`` (``nargout=k+1``, dlarray inputs) also returns the
    updated network state (see :func:`dl_predict`).
    """
    rest = list(args)
    dl_inputs = isinstance(X, DLArray) or any(isinstance(a, DLArray) for a in rest)
    wants_outputs = any(isinstance(a, str) and a.lower() == "outputs" for a in rest) or "Outputs" in kwargs
    if dl_inputs or wants_outputs or isinstance(X, torch.Tensor) and X.requires_grad:
        return dl_predict(net, X, *args, nargout=nargout, **kwargs)
    _no_state_output(net, nargout)
    from ..training.predict import predict as batch_predict

    return batch_predict(net, X, *args, **kwargs)


def _no_state_output(net, nargout) -> None:
    """``[Y, state] = predict(net, X)`` with numeric X: the state output needs dlarray input here."""
    if nargout is not None and isinstance(net, Network) and nargout > len(net.OutputNames):
        raise OptionError(f"predict: the state output ([Y, state] = predict(net, X)) needs dlarray input "
                          f"(dlarray(X, fmt)); the network has {len(net.OutputNames)} output(s).")


@matlab_function("initialize", outputs=("net",))
def initialize(net, *args):
    """``net = initialize(net)``: a dlnetwork is built initialized, so it is returned as is; an
    uninitialized dlnetwork (a layer graph in progress, as Deep Network Designer code builds one) is
    built and initialized with :func:`~layergraph.network.dlnetwork`."""
    from ..graph import LayerGraph
    from ..network import dlnetwork

    if isinstance(net, LayerGraph):
        return dlnetwork(net)
    return _check_net(net, "initialize")


@matlab_function("resetState", outputs=("net",))
def resetState(net):
    """``net = resetState(net)``: recurrent layers' HiddenState/CellState back to their initial values (in place)."""
    net = _check_net(net, "resetState")
    with torch.no_grad():
        for layer_name, prop, src in net.learnable_sources("state"):
            if prop not in ("HiddenState", "CellState"):
                continue
            initial = net._lg.graph.layer(layer_name)._values.get(prop)
            channels = src.tensor.shape[-1]
            if initial is None or (hasattr(initial, "numel") and initial.numel() == 0):
                value = torch.zeros(channels, dtype=src.tensor.dtype)
            else:
                value = src.to_torch(torch.as_tensor(initial).to(src.tensor.dtype)).reshape(channels)
            if src.tensor.shape != value.shape:           # dH×N after net.State = state: back to one column
                src.tensor.data = value
            else:
                src.tensor.copy_(value)
    return net


@matlab_function("dlupdate", outputs=("netUpdated", "varargout"))
def dlupdate(fun, P, *others):
    """``[netUpdated, X1, ...] = dlupdate(fun, net, A1, ...)`` / ``params = dlupdate(fun, params, ...)``.

    Calls ``fun(p, a1, ...)`` on every learnable (dlarray in MATLAB layout) with the matching elements of
    the other inputs (same structure). The first output of ``fun`` replaces the learnable; further
    outputs are returned as structures like ``P``. A network is updated in place and returned.
    """
    from .updates import flatten_like, flatten_params

    leaves = flatten_params(P, "dlupdate")
    other_leaves = [flatten_like(o, leaves, "dlupdate", as_dlarray=True) for o in others]
    results = []
    for i, leaf in enumerate(leaves):
        value = leaf.as_dlarray()
        out = fun(value, *[ol[i] for ol in other_leaves])
        results.append(out if isinstance(out, tuple) else (out,))
    n = len(results[0]) if results else 1
    updated = leaves.rebuild([r[0] for r in results], from_dlarrays=True)
    extras = [leaves.rebuild_structure([r[k] for r in results]) for k in range(1, n)]
    return updated if not extras else (updated, *extras)


__all__ = ["forward", "predict", "dl_predict", "initialize", "resetState", "dlupdate"]
