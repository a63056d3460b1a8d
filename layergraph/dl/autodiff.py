"""``dlfeval`` and ``dlgradient``: automatic differentiation the MATLAB way, on torch autograd.

``dlfeval(fun, x1, ..., xn)`` calls ``fun`` with tracing on: every dlarray in the inputs (also inside
lists = cell arrays, dicts = structs and Learnables tables) becomes a fresh traced leaf, and dlarrays
created inside ``fun`` are traced too. Its outputs come back untraced (detached), as in MATLAB.

``dlgradient(y, x1, ..., xk, 'RetainData', tf, 'EnableHigherDerivatives', tf)`` returns the gradients of
the real scalar ``y`` with respect to each ``x``, in the same structure as ``x`` (a dlarray, a list,
a dict, a Learnables table). For a table read from a network (``net.Learnables``) the gradient is
taken with respect to the network's parameters and returned in MATLAB layout.
``EnableHigherDerivatives`` keeps the gradient traced so it can be differentiated again (physics-informed
networks, gradient penalties).

Structures are walked by :func:`map_structure`; the MATLAB interpreter's cell/struct values take part
by defining ``_dl_map(fn)`` (return a copy with ``fn`` applied to every element).
"""

from __future__ import annotations

import numpy as np
import torch

from ..functions import call_function, matlab_function
from ..learnables import LearnableTable
from .dlarray import TRACE, DLArray, DLArrayError
from .options import parse_options


_PLAIN = (str, int, float, bool, np.ndarray, torch.Tensor, type(None))


def map_structure(fn, obj):
    """``obj`` with ``fn`` applied to every dlarray inside (lists, tuples, dicts, tables, object arrays)."""
    kind = type(obj)
    if kind is DLArray:
        return fn(obj)
    if kind in _PLAIN and (kind is not np.ndarray or obj.dtype != object):
        return obj
    if isinstance(obj, DLArray):
        return fn(obj)
    if obj is None or isinstance(obj, (str, int, float, bool, torch.Tensor)):
        return obj
    if isinstance(obj, torch.nn.Module):
        _OPAQUE.add(kind)           # a network: passed as it is (dlfeval then skips this walk for its class)
        return obj
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        return obj
    if isinstance(obj, LearnableTable):
        if fn is _untrace and obj.known_untraced():
            return obj
        values = obj.value_list()
        mapped = [map_structure(fn, v) for v in values]
        if all(a is b for a, b in zip(mapped, values)):
            return obj
        return obj.with_values(mapped, keep_sources=False)
    if isinstance(obj, list):
        return [map_structure(fn, v) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(map_structure(fn, v) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, map_structure(fn, v)) for k, v in obj.items())
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        out = np.empty(obj.shape, dtype=object)
        for idx, v in np.ndenumerate(obj):
            out[idx] = map_structure(fn, v)
        return out
    hook = getattr(obj, "_dl_map", None)
    if callable(hook):
        return hook(lambda v: map_structure(fn, v))
    return obj


#: classes whose values map_structure returns as they are (dlfeval's arguments skip the walk)
_OPAQUE = {str, int, float, bool, type(None), torch.Tensor}


def _trace_leaf(x: DLArray) -> DLArray:
    if x._source is not None:
        return x            # a network parameter: already a leaf that requires grad
    t = x.data
    if not t.is_floating_point():
        return x
    return DLArray(t.detach().requires_grad_(True), x.fmt)


def _untrace(x: DLArray) -> DLArray:
    t = x._data if x._data is not None else x._torch
    return x.detach() if t.requires_grad else x


@matlab_function("dlfeval", outputs=("varargout",), nargout_aware=True, evaluator=True)
def dlfeval(fun, *args, nargout=None):
    """``[y1, ..., yk] = dlfeval(fun, x1, ..., xn)``: evaluate ``fun(x1, ..., xn)`` with automatic differentiation.

    Returns what ``fun`` returns (a tuple for several outputs), with every dlarray untraced. ``nargout=k``
    asks a MATLAB function (a script's handle, a translated function) for ``k`` outputs.
    """
    if not callable(fun):
        raise DLArrayError("dlfeval: first input must be a function handle.")
    traced = []
    for a in args:          # map_structure(_trace_leaf, a), without the walk for what it passes through
        kind = type(a)
        if kind is DLArray:
            a = _trace_leaf(a)
        elif kind not in _OPAQUE and (kind is not np.ndarray or a.dtype.kind == "O"):
            a = map_structure(_trace_leaf, a)
        traced.append(a)
    TRACE.depth += 1
    try:
        if torch.is_grad_enabled():
            out = fun(*traced) if nargout is None or nargout == 1 else call_function(fun, *traced, nargout=nargout)
        else:
            with torch.enable_grad():
                out = call_function(fun, *traced, nargout=nargout)
    finally:
        TRACE.depth -= 1
    if TRACE.depth:
        return out     # nested dlfeval: keep the trace for the outer one
    if type(out) is not tuple:
        return map_structure(_untrace, out)
    untraced = []
    for v in out:           # map_structure(_untrace, out) for a tuple of outputs
        kind = type(v)
        if kind is DLArray:
            v = _untrace(v)
        elif not (kind is LearnableTable and v.known_untraced()):
            v = map_structure(_untrace, v)
        untraced.append(v)
    return tuple(untraced)


_GRAD_OPTIONS = {"retaindata": ("RetainData", False), "enablehigherderivatives": ("EnableHigherDerivatives", False)}


def _targets(x, function: str):
    """Flatten ``x`` into (tensors, rebuild(grads) -> structure)."""
    tensors: list[torch.Tensor] = []

    def visit_value(v):
        if v._source is not None:
            src = v._source
            tensors.append(src.tensor)
            return lambda g, src=src: DLArray(None, "", torch_data=g, convert=src.to_matlab)
        t = v.data
        if not t.requires_grad:
            raise DLArrayError(
                f"{function}: value to differentiate with respect to is not traced. It must be a traced dlarray: "
                "pass it to dlfeval, or create it inside the function that dlfeval evaluates.")
        tensors.append(t)
        fmt = v.fmt
        return lambda g, fmt=fmt: DLArray(g, fmt)

    def visit(obj):
        if isinstance(obj, DLArray):
            start = len(tensors)
            build = visit_value(obj)
            return lambda grads: build(grads[start])
        if isinstance(obj, LearnableTable):
            if obj.shows_network():
                # net.Learnables as read: the network's own parameters, gradients in a table of the same rows
                sources = obj._sources
                start, n = len(tensors), len(sources)
                tensors.extend([s.tensor for s in sources])
                layers, params = obj._row_names()
                converters = [s.to_matlab for s in sources]

                def build_table(grads):
                    mine = grads[start:start + n]
                    return LearnableTable.lazy(layers, params, mine, converters,
                                               untraced=not any(g.requires_grad for g in mine))
                return build_table
            parts = []
            for i, v in enumerate(obj.value_list()):
                src = obj.source(i)
                if src is not None:
                    start = len(tensors)
                    tensors.append(src.tensor)
                    parts.append(lambda grads, s=start, src=src: DLArray(None, "", torch_data=grads[s],
                                                                           convert=src.to_matlab))
                else:
                    parts.append(visit(v))
            return lambda grads: obj.with_values([p(grads) for p in parts], keep_sources=False)
        if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
            parts = [visit(v) for v in obj]
            kind = type(obj)
            return lambda grads: kind(p(grads) for p in parts)
        if isinstance(obj, dict):
            parts = {k: visit(v) for k, v in obj.items()}
            kind = type(obj)
            return lambda grads: kind((k, p(grads)) for k, p in parts.items())
        if isinstance(obj, np.ndarray) and obj.dtype == object:
            parts = {idx: visit(v) for idx, v in np.ndenumerate(obj)}

            def build(grads, parts=parts, shape=obj.shape):
                out = np.empty(shape, dtype=object)
                for idx, p in parts.items():
                    out[idx] = p(grads)
                return out
            return build
        hook = getattr(obj, "_dl_map", None)
        if callable(hook):
            # structures from the interpreter: collect in visiting order, rebuild with the same hook
            collected = []
            hook(lambda v: collected.append(visit(v)) or v)
            return lambda grads: _rebuild_hook(obj, collected, grads)
        raise DLArrayError(f"{function}: inputs to differentiate with respect to must be dlarrays, or cell arrays, "
                           f"structures or tables of dlarrays, not {type(obj).__name__}.")

    return tensors, visit(x)


def _rebuild_hook(obj, parts, grads):
    it = iter(parts)
    return obj._dl_map(lambda v: next(it)(grads))


@matlab_function("dlgradient", outputs=("varargout",))
def dlgradient(y, *args, **kwargs):
    """``[dydx1, ..., dydxk] = dlgradient(y, x1, ..., xk, 'RetainData', tf, 'EnableHigherDerivatives', tf)``.

    ``y`` must be a traced real scalar dlarray (inside :func:`dlfeval`). One gradient per ``x``, each
    in the structure and layout of its ``x``; a tuple when there are several.
    """
    if kwargs or not (len(args) == 1 and type(args[0]) is LearnableTable) and any(isinstance(a, str) for a in args):
        xs, opts = parse_options("dlgradient", args, kwargs, _GRAD_OPTIONS, trailing=True)
        higher = bool(opts["EnableHigherDerivatives"])
        retain = higher or bool(opts["RetainData"])
    else:
        xs, higher, retain = args, False, False
    value = y.data if isinstance(y, DLArray) else None
    if not TRACE.depth or value is None or not value.requires_grad:
        if value is not None and value.numel() != 1:
            raise DLArrayError("Value to differentiate is non-scalar. It must be a traced real dlarray scalar.")
        raise DLArrayError("Value to differentiate is not traced. It must be a traced real dlarray scalar. "
                           "Use dlgradient inside a function called by dlfeval to trace the variables.")
    if value.numel() != 1:
        raise DLArrayError("Value to differentiate is non-scalar. It must be a traced real dlarray scalar.")
    if value.is_complex():
        raise DLArrayError("Value to differentiate must be real. It must be a traced real dlarray scalar.")
    if not xs:
        raise DLArrayError("dlgradient: not enough input arguments; give the variables to differentiate with respect to.")
    if len(xs) == 1 and type(xs[0]) is LearnableTable:
        rows = xs[0].__dict__
        if rows["_cols"] is None and rows.get("_network_rows", False):
            return _network_gradients(value, rows, retain, higher)
    tensors, builders = [], []
    for x in xs:
        ts, build = _targets(x, "dlgradient")
        builders.append((len(tensors), len(ts), build))
        tensors.extend(ts)
    if tensors:
        try:
            grads = _autograd(value, tensors, retain, higher)
        except RuntimeError as exc:
            _grad_error(exc)
        grads = [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, tensors)]
        if not higher:
            grads = [g.detach() if g.requires_grad else g for g in grads]
    else:
        grads = []
    out = tuple(build(grads[start:start + n]) for start, n, build in builders)
    return out[0] if len(out) == 1 else out


def _network_gradients(value, rows: dict, retain: bool, higher: bool) -> LearnableTable:
    """``dlgradient(y, net.Learnables)`` for a table read from a network and untouched since (the custom
    loop's form): the gradients with respect to the network's parameters, in a table of the same rows
    (what the general path's ``_targets`` builds for such a table)."""
    tensors, converters = rows["_engine"]
    try:
        grads = _autograd(value, tensors, retain, higher)
    except RuntimeError as exc:
        _grad_error(exc)
    out, traced = [], False
    for g, t in zip(grads, tensors):
        if g is None:
            g = torch.zeros_like(t)
        elif g.requires_grad:
            if higher:
                traced = True
            else:
                g = g.detach()
        out.append(g)
    return LearnableTable.lazy(rows["_layers"], rows["_params"], out, converters, untraced=not traced)


def _autograd(value: torch.Tensor, tensors, retain: bool, higher: bool) -> tuple:
    """``torch.autograd.grad(value, tensors, retain_graph=retain, create_graph=higher, allow_unused=True)``.

    For a plain tensor and plain tensors/parameters (what dlgradient differentiates), it calls the function
    torch.autograd.grad itself ends in (``torch.autograd.graph._engine_run_backward``) with the gradient
    of ones that torch.autograd.grad makes for a scalar: torch.autograd.grad's own argument handling
    (tensor-subclass checks, gradient outputs) is about a third of dlgradient's Python per call. When
    this torch lacks that function, or it failed its check on first use, and for anything else,
    torch.autograd.grad is called."""
    run = _RUN_BACKWARD[0]
    if run is _UNCHECKED:
        run = _RUN_BACKWARD[0] = _checked_run_backward()
    if run is not None and type(value) is torch.Tensor:
        for t in tensors:
            if type(t) is not torch.Tensor and type(t) is not torch.nn.Parameter:
                break
        else:
            return run((value,), (torch.ones_like(value),), retain, higher, tuple(tensors), True, accumulate_grad=False)
    return torch.autograd.grad(value, tensors, retain_graph=retain, create_graph=higher, allow_unused=True)


_UNCHECKED = object()
_RUN_BACKWARD = [_UNCHECKED]


def _checked_run_backward():
    """torch's ``_engine_run_backward`` if it gives what torch.autograd.grad gives on a small graph, else None."""
    try:
        from torch.autograd.graph import _engine_run_backward

        with torch.enable_grad():
            x = torch.tensor([1.0, 2.0], requires_grad=True)
            w = torch.nn.Parameter(torch.tensor([3.0, -1.0]))
            unused = torch.zeros(1, requires_grad=True)
            y = (x * x * w).sum()
            got = _engine_run_backward((y,), (torch.ones_like(y),), True, False, (x, w, unused), True,
                                       accumulate_grad=False)
            want = torch.autograd.grad(y, (x, w, unused), allow_unused=True)
        ok = (len(got) == 3 and got[2] is None and want[2] is None
              and all(torch.equal(a, b) for a, b in zip(got[:2], want[:2])))
        return _engine_run_backward if ok else None
    except Exception:           # another torch: use torch.autograd.grad
        return None


def _grad_error(exc: RuntimeError):
    """Raise the project's error for torch's errors that a MATLAB user can cause; re-raise others."""
    if "second time" in str(exc) or "freed" in str(exc):
        raise DLArrayError("dlgradient: the trace of this value was released by an earlier dlgradient call. "
                           "Use dlgradient(..., 'RetainData', true) in the earlier call to differentiate "
                           "the same value again.") from None
    if "inplace operation" in str(exc):
        raise DLArrayError("dlgradient: a value the loss was computed from was changed afterwards (for example "
                           "net.Learnables or net.State assigned inside the function dlfeval evaluates, after "
                           "forward; the network is updated in place). Change the network outside dlfeval, "
                           "after the gradients are computed.") from None
    raise exc


__all__ = ["dlfeval", "dlgradient", "map_structure"]
