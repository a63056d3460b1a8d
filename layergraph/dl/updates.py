"""Update rules for custom loops: ``adamupdate``, ``sgdmupdate``, ``rmspropupdate``, ``lbfgsupdate``.

Each takes the learnables as a dlnetwork, a table (Layer/Parameter/Value), a dlarray, or cell arrays
(lists) / structs (dicts) of dlarrays, the gradients in the same structure (``dlgradient``'s output),
and the solver state (``[]``/``None`` on the first call), and returns MATLAB's outputs in MATLAB's
order. Formulas (θ parameters, g gradient, t iteration, α learning rate):

* Adam: m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
  θ ← θ − α·(√(1−β2ᵗ)/(1−β1ᵗ))·m/(√v + ε)   (β1 = 0.9, β2 = 0.999, ε = 1e-8, α = 0.001)
* SGDM (MATLAB's velocity form): v ← μ·v − α·g;  θ ← θ + v   (μ = 0.9, α = 0.01)
* RMSProp: v ← β2·v + (1−β2)·g²;  θ ← θ − α·g/(√v + ε)   (β2 = 0.9, ε = 1e-8, α = 0.001)

A dlnetwork is updated **in place** (its parameters are the torch tensors the network computes with)
and returned; MATLAB returns a new network. Its layers' learn-rate factors multiply α. The solver
state of a network is a table with the network's Layer/Parameter rows.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from ..errors import OptionError
from ..functions import call_function, matlab_function
from ..learnables import LearnableTable
from ..network import Network
from .dlarray import DLArray, DLArrayError, _as_tensor, _matlab_tensor


# ------------------------------------------------------------------------------------------------
# flattening learnables, gradients and states

class Leaves(list):
    """The learnable tensors of a structure, in a fixed order, with how to rebuild the structure."""

    def __init__(self, items, structure, net=None):
        super().__init__(items)
        self.structure = structure
        self.net = net

    def common_factor(self):
        """The learn-rate factor every leaf has, or None when they differ (or there are none)."""
        factors = {leaf.lr_factor for leaf in self}
        return factors.pop() if len(factors) == 1 else None

    def tensors(self) -> list:
        return [leaf.tensor for leaf in self]

    def rebuild(self, values, *, from_dlarrays=False):
        """The structure with new parameter values (working tensors, or dlarrays in MATLAB layout)."""
        if self.net is not None:
            with torch.no_grad():
                for leaf, v in zip(self, values):
                    t = leaf.to_work(v) if from_dlarrays else v
                    if t is not leaf.tensor:
                        leaf.tensor.copy_(t.reshape(leaf.tensor.shape))
            return self.net
        return self.rebuild_structure(list(values))

    def rebuild_structure(self, values):
        """The structure of the learnables holding ``values`` (state outputs: tables for networks)."""
        if self.net is not None:
            layers, params, _ = self.net.table_rows("learnable")
            for v in values:
                if isinstance(v, DLArray):
                    break
            else:               # torch-layout tensors (the solver state of a network)
                return LearnableTable.lazy(layers, params, list(values), self.net.table_converters("learnable")[1])
            vals = [v if isinstance(v, DLArray) else DLArray(None, "", torch_data=v, convert=leaf.src.to_matlab)
                    for leaf, v in zip(self, values)]
            return LearnableTable.shared(layers, params, vals)
        it = iter(zip(self, values))

        def take(_old):
            leaf, v = next(it)
            if isinstance(v, DLArray):
                return v
            if leaf.fmt is None:
                return v.detach().cpu().numpy()
            return DLArray(v, leaf.fmt)
        return _replace(self.structure, take)


class Leaf:
    __slots__ = ("tensor", "fmt", "src", "layer", "param", "lr_factor", "key")

    def __init__(self, tensor, fmt="", src=None, layer="", param="", lr_factor=1.0):
        self.tensor, self.fmt, self.src = tensor, fmt, src
        self.layer, self.param, self.lr_factor = layer, param, lr_factor

    def to_work(self, value) -> torch.Tensor:
        """A gradient/state value (dlarray or numeric) as a tensor in this leaf's working layout."""
        if self.src is not None:
            if isinstance(value, DLArray) and value._torch is not None:
                return value._torch
            data = value.data if isinstance(value, DLArray) else _as_tensor(value)
            return self.src.to_torch(data.to(self.tensor.dtype)).reshape(self.tensor.shape)
        data = value.data if isinstance(value, DLArray) else _as_tensor(value)
        if data.dtype != self.tensor.dtype and data.is_floating_point():
            data = data.to(self.tensor.dtype)
        if tuple(data.shape) != tuple(self.tensor.shape):
            if data.numel() != self.tensor.numel():
                raise DLArrayError("Gradient and parameter sizes do not match "
                                   f"({tuple(data.shape)} and {tuple(self.tensor.shape)}).")
            data = data.reshape(self.tensor.shape)
        return data

    def as_dlarray(self) -> DLArray:
        if self.src is not None:
            return DLArray(None, "", torch_data=self.tensor.detach(), convert=self.src.to_matlab)
        return DLArray(self.tensor, self.fmt or "")


def _is_leaf(obj) -> bool:
    return isinstance(obj, (DLArray, torch.Tensor, numbers.Number)) or (
        isinstance(obj, np.ndarray) and obj.dtype != object)


def _walk(obj, out: list):
    if _is_leaf(obj):
        out.append(obj)
    elif isinstance(obj, LearnableTable):
        for v in obj.Value:
            _walk(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, out)
    elif isinstance(obj, dict):
        for v in obj.values():
            _walk(v, out)
    elif isinstance(obj, np.ndarray):
        for v in obj.reshape(-1, order="F"):
            _walk(v, out)
    elif callable(getattr(obj, "_dl_map", None)):
        obj._dl_map(lambda v: _walk(v, out) or v)
    else:
        raise DLArrayError(f"Learnable parameters must be dlarrays, numeric arrays, or cell arrays, structures or "
                           f"tables of them, not {type(obj).__name__}.")


def _replace(obj, fn):
    if _is_leaf(obj):
        return fn(obj)
    if isinstance(obj, LearnableTable):
        return obj.with_values([_replace(v, fn) for v in obj.Value])
    if isinstance(obj, list):
        return [_replace(v, fn) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_replace(v, fn) for v in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _replace(v, fn)) for k, v in obj.items())
    if isinstance(obj, np.ndarray):
        flat = [_replace(v, fn) for v in obj.reshape(-1, order="F")]
        out = np.empty(obj.size, dtype=object)
        for i, v in enumerate(flat):
            out[i] = v
        return out.reshape(obj.shape, order="F")
    return obj._dl_map(lambda v: _replace(v, fn))


def flatten_params(P, function: str) -> Leaves:
    if isinstance(P, Network):
        cache = P.__dict__.get("_lg_dl_leaves")
        if cache is None:
            factors = {(layer, prop): lr for layer, prop, _, lr, _ in P.parameter_info()}
            cache = [Leaf(src.tensor, "", src, layer, prop, factors.get((layer, prop), 1.0))
                     for layer, prop, src in P.learnable_sources("learnable")]
            P.__dict__["_lg_dl_leaves"] = cache
        return Leaves(cache, None, net=P)
    found: list = []
    _walk(P, found)
    items = []
    for v in found:
        if isinstance(v, DLArray):
            items.append(Leaf(v.data.detach(), v.fmt))
        else:
            items.append(Leaf(_matlab_tensor(_as_tensor(v)), None))   # numeric in, numeric out
    return Leaves(items, P)


def _empty(S) -> bool:
    return S is None or (isinstance(S, (list, tuple)) and len(S) == 0) or (
        isinstance(S, np.ndarray) and S.size == 0)


def flatten_like(S, leaves: Leaves, function: str, *, as_dlarray: bool = False, what: str = "gradients"):
    """The values of ``S`` (same structure as the learnables) aligned with ``leaves``; None for ``[]``."""
    if _empty(S):
        return [None] * len(leaves)
    if leaves.net is not None:
        if not isinstance(S, LearnableTable):
            raise DLArrayError(f"{function}: {what} for a dlnetwork must be a table with variables Layer, "
                               "Parameter and Value (as returned by dlgradient(loss, net.Learnables)).")
        layers, params = S._row_names()
        net_layers, net_params, _ = leaves.net.table_rows("learnable")
        if layers is net_layers and params is net_params and not as_dlarray:
            engine = S.engine_values()
            if engine is not None:          # gradients/averages still in the network's layout
                return list(engine)
        values = S.value_list()
        if (layers is net_layers and params is net_params) or (
                len(values) == len(leaves) and all(l == leaf.layer and p == leaf.param
                                                   for l, p, leaf in zip(layers, params, leaves))):
            # the table lists the learnables in the network's order (dlgradient of net.Learnables, the
            # averages adamupdate returned): by position, no key lookup
            return list(values) if as_dlarray else [leaf.to_work(v) for leaf, v in zip(leaves, values)]
        by_key = {(l, p): v for l, p, v in S.rows()}
        out = []
        for leaf in leaves:
            v = by_key.get((leaf.layer, leaf.param))
            if v is None:
                raise DLArrayError(f"{function}: {what} table has no row for layer '{leaf.layer}', "
                                   f"parameter '{leaf.param}'.")
            out.append(v if as_dlarray else leaf.to_work(v))
        return out
    found: list = []
    _walk(S, found)
    if len(found) != len(leaves):
        raise DLArrayError(f"{function}: {what} must have the same structure as the learnable parameters "
                           f"({len(found)} arrays for {len(leaves)} parameters).")
    if as_dlarray:
        return [v if isinstance(v, DLArray) else DLArray(_matlab_tensor(_as_tensor(v)), "") for v in found]
    return [leaf.to_work(v) for leaf, v in zip(leaves, found)]


def _scalar(value, name: str, function: str, *, low=None, high=None, low_open=False, high_open=False) -> float:
    if isinstance(value, DLArray):
        value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    else:
        try:
            x = float(np.asarray(value, dtype=np.float64).reshape(-1)[0]) if np.size(value) == 1 else None
        except (TypeError, ValueError):
            x = None
    if x is None or not math.isfinite(x):
        raise OptionError(f"{function}: {name} must be a finite real scalar, got {value!r}.")
    if low is not None and (x < low or (low_open and x == low)):
        raise OptionError(f"{function}: {name} must be {'>' if low_open else '>='} {low}, got {x:g}.")
    if high is not None and (x > high or (high_open and x == high)):
        raise OptionError(f"{function}: {name} must be {'<' if high_open else '<='} {high}, got {x:g}.")
    return x


def _positional(function, args, names_defaults):
    vals = list(args)
    if len(vals) > len(names_defaults):
        raise OptionError(f"{function}: too many input arguments.")
    return [vals[i] if i < len(vals) and not _empty_default(vals[i]) else d for i, (n, d) in enumerate(names_defaults)]


def _empty_default(v) -> bool:
    return v is None or (isinstance(v, (list, np.ndarray)) and np.size(v) == 0)


def _zeros(leaves, given):
    return [g if g is not None else torch.zeros_like(leaf.tensor) for leaf, g in zip(leaves, given)]


def _apply_steps(leaves: Leaves, steps):
    """θ ← θ + step for each leaf (in place for a network); returns the rebuilt learnables."""
    if leaves.net is not None:
        with torch.no_grad():
            for leaf, s in zip(leaves, steps):
                leaf.tensor.add_(s)
        return leaves.net
    return leaves.rebuild([leaf.tensor + s for leaf, s in zip(leaves, steps)])


# ------------------------------------------------------------------------------------------------
# adam

@matlab_function("adamupdate", outputs=("netUpdated", "averageGrad", "averageSqGrad"))
def adamupdate(net, grad, averageGrad, averageSqGrad, iteration, *args):
    """``[netUpdated, averageGrad, averageSqGrad] = adamupdate(net, grad, averageGrad, averageSqGrad,
    iteration, learnRate, gradDecay, sqGradDecay, epsilon)`` (defaults 0.001, 0.9, 0.999, 1e-8).
    """
    lr, b1, b2, eps = _positional("adamupdate", args, [("learnRate", 0.001), ("gradDecay", 0.9),
                                                        ("sqGradDecay", 0.999), ("epsilon", 1e-8)])
    lr = _scalar(lr, "learnRate", "adamupdate", low=0, low_open=True)
    b1 = _scalar(b1, "gradDecay", "adamupdate", low=0, high=1, high_open=True)
    b2 = _scalar(b2, "sqGradDecay", "adamupdate", low=0, high=1, high_open=True)
    eps = _scalar(eps, "epsilon", "adamupdate", low=0, low_open=True)
    t = _scalar(iteration, "iteration", "adamupdate", low=1)
    if t != int(t):
        raise OptionError(f"adamupdate: iteration must be a positive integer, got {t:g}.")
    leaves = flatten_params(net, "adamupdate")
    with torch.no_grad():
        g = flatten_like(grad, leaves, "adamupdate")
        for x in g:
            if x is None:
                raise DLArrayError("adamupdate: gradients must not be empty.")
        m = _zeros(leaves, flatten_like(averageGrad, leaves, "adamupdate", what="averageGrad"))
        v = _zeros(leaves, flatten_like(averageSqGrad, leaves, "adamupdate", what="averageSqGrad"))
        m = torch._foreach_mul(m, b1)
        torch._foreach_add_(m, g, alpha=1 - b1)
        v = torch._foreach_mul(v, b2)
        torch._foreach_addcmul_(v, g, g, value=1 - b2)
        shrink = math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        denom = torch._foreach_sqrt(v)
        torch._foreach_add_(denom, eps)
        factor = leaves.common_factor()
        if leaves.net is not None and factor is not None:
            if factor:
                torch._foreach_addcdiv_(leaves.tensors(), m, denom, value=-lr * shrink * factor)
            updated = leaves.net
        else:
            steps = [-(lr * shrink * leaf.lr_factor) * (mi / di) for leaf, mi, di in zip(leaves, m, denom)]
            updated = _apply_steps(leaves, steps)
    return updated, leaves.rebuild_structure(m), leaves.rebuild_structure(v)


# ------------------------------------------------------------------------------------------------
# sgdm

@matlab_function("sgdmupdate", outputs=("netUpdated", "vel"))
def sgdmupdate(net, grad, vel, *args):
    """``[netUpdated, vel] = sgdmupdate(net, grad, vel, learnRate, momentum)`` (defaults 0.01, 0.9).

    MATLAB's velocity form: ``vel = momentum*vel - learnRate*grad; param = param + vel``.
    """
    lr, mu = _positional("sgdmupdate", args, [("learnRate", 0.01), ("momentum", 0.9)])
    lr = _scalar(lr, "learnRate", "sgdmupdate", low=0, low_open=True)
    mu = _scalar(mu, "momentum", "sgdmupdate", low=0, high=1)
    leaves = flatten_params(net, "sgdmupdate")
    with torch.no_grad():
        g = flatten_like(grad, leaves, "sgdmupdate")
        velocity = _zeros(leaves, flatten_like(vel, leaves, "sgdmupdate", what="vel"))
        new_v = [mu * vi - (lr * leaf.lr_factor) * gi for leaf, vi, gi in zip(leaves, velocity, g)]
        updated = _apply_steps(leaves, new_v)
    return updated, leaves.rebuild_structure(new_v)


# ------------------------------------------------------------------------------------------------
# rmsprop

@matlab_function("rmspropupdate", outputs=("netUpdated", "averageSqGrad"))
def rmspropupdate(net, grad, averageSqGrad, *args):
    """``[netUpdated, averageSqGrad] = rmspropupdate(net, grad, averageSqGrad, learnRate, sqGradDecay, epsilon)``
    (defaults 0.001, 0.9, 1e-8)."""
    lr, b2, eps = _positional("rmspropupdate", args, [("learnRate", 0.001), ("sqGradDecay", 0.9),
                                                       ("epsilon", 1e-8)])
    lr = _scalar(lr, "learnRate", "rmspropupdate", low=0, low_open=True)
    b2 = _scalar(b2, "sqGradDecay", "rmspropupdate", low=0, high=1, high_open=True)
    eps = _scalar(eps, "epsilon", "rmspropupdate", low=0, low_open=True)
    leaves = flatten_params(net, "rmspropupdate")
    with torch.no_grad():
        g = flatten_like(grad, leaves, "rmspropupdate")
        v = _zeros(leaves, flatten_like(averageSqGrad, leaves, "rmspropupdate", what="averageSqGrad"))
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        steps = [-(lr * leaf.lr_factor) * gi / (vi.sqrt() + eps) for leaf, gi, vi in zip(leaves, g, v)]
        updated = _apply_steps(leaves, steps)
    return updated, leaves.rebuild_structure(v)


__all__ = ["adamupdate", "sgdmupdate", "rmspropupdate", "flatten_params", "flatten_like", "Leaves", "Leaf"]


# ------------------------------------------------------------------------------------------------
# L-BFGS

class LBFGSState:
    """MATLAB ``lbfgsState``: the L-BFGS solver state that ``lbfgsupdate`` takes and returns.

    Properties (MATLAB names): ``Loss``, ``Gradients``, ``Iteration``, ``HistorySize`` (10),
    ``InitialInverseHessianFactor`` (1), ``StepHistory``, ``GradientsDifferenceHistory``,
    ``HistoryIndices``, ``LineSearchStatus`` ("" before the first update, then "completed" or "failed").
    """

    MATLAB_PROPERTIES = ("Loss", "Gradients", "Iteration", "HistorySize", "InitialInverseHessianFactor",
                         "StepHistory", "GradientsDifferenceHistory", "HistoryIndices", "LineSearchStatus")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    def __init__(self, HistorySize=10, InitialInverseHessianFactor=1.0):
        self.HistorySize = int(_scalar(HistorySize, "HistorySize", "lbfgsState", low=1))
        self.InitialInverseHessianFactor = _scalar(InitialInverseHessianFactor, "InitialInverseHessianFactor",
                                                   "lbfgsState", low=0, low_open=True)
        self.Loss = None
        self.Gradients = None
        self.Iteration = 0
        self.StepHistory: list = []
        self.GradientsDifferenceHistory: list = []
        self.HistoryIndices: list = []
        self.LineSearchStatus = ""
        self._g = None          # gradient (working tensors)

    def __repr__(self):
        return (f"  LBFGSState with properties:\n\n{'Loss':>30}: {self.Loss}\n{'Iteration':>30}: {self.Iteration}\n"
                f"{'HistorySize':>30}: {self.HistorySize}\n{'InitialInverseHessianFactor':>30}: "
                f"{self.InitialInverseHessianFactor}\n{'LineSearchStatus':>30}: \"{self.LineSearchStatus}\"\n")


@matlab_function("lbfgsState", outputs=("solverState",))
def lbfgsState(*args, **kwargs) -> LBFGSState:
    """``solverState = lbfgsState('HistorySize', 10, 'InitialInverseHessianFactor', 1)``."""
    from .options import parse_options

    _, opts = parse_options("lbfgsState", args, kwargs, {"historysize": ("HistorySize", 10),
                                                         "initialinversehessianfactor": ("InitialInverseHessianFactor", 1.0)})
    return LBFGSState(opts["HistorySize"], opts["InitialInverseHessianFactor"])


def _dot(a, b) -> float:
    return float(sum((x * y).sum() for x, y in zip(a, b)))


def _loss_value(x) -> float:
    if isinstance(x, DLArray):
        return float(x.data.detach().reshape(-1)[0])
    return float(np.asarray(x.detach() if isinstance(x, torch.Tensor) else x, dtype=np.float64).reshape(-1)[0])


def lbfgs_direction(g, S, Y, h0):
    """The L-BFGS two-loop recursion: d = -H g with history S (steps) and Y (gradient differences)."""
    q = [x.clone() for x in g]
    alphas = []
    for s, y in zip(reversed(S), reversed(Y)):
        rho = 1.0 / _dot(y, s)
        a = rho * _dot(s, q)
        alphas.append((a, rho))
        q = [qi - a * yi for qi, yi in zip(q, y)]
    r = [h0 * qi for qi in q]
    for (s, y), (a, rho) in zip(zip(S, Y), reversed(alphas)):
        b = rho * _dot(y, r)
        r = [ri + (a - b) * si for ri, si in zip(r, s)]
    return [-ri for ri in r]


@matlab_function("lbfgsupdate", outputs=("netUpdated", "solverState"))
def lbfgsupdate(net, lossFcn, solverState, *args, **kwargs):
    """``[netUpdated, solverState] = lbfgsupdate(net, lossFcn, solverState, Name, Value)``.

    ``lossFcn(net)`` returns ``(loss, gradients)`` (usually ``lambda n: dlfeval(modelLoss, n, X, T)``).
    Options: ``LineSearchMethod`` ("weak-wolfe" (default), "strong-wolfe", "backtracking"),
    ``MaxNumLineSearchIterations`` (20), ``NumLossFunctionOutputs`` (2). The initial inverse Hessian is
    ``InitialInverseHessianFactor``·I on the first iteration and (sᵀy / yᵀy)·I afterwards; the line search
    starts at step 1 and bisects/expands a bracket (sufficient decrease c1 = 1e-4, curvature c2 = 0.9).
    """
    from .options import parse_options

    _, opts = parse_options("lbfgsupdate", args, kwargs, {
        "linesearchmethod": ("LineSearchMethod", "weak-wolfe"),
        "maxnumlinesearchiterations": ("MaxNumLineSearchIterations", 20),
        "numlossfunctionoutputs": ("NumLossFunctionOutputs", 2)})
    method = str(opts["LineSearchMethod"]).lower()
    if method not in ("weak-wolfe", "strong-wolfe", "backtracking"):
        raise OptionError("lbfgsupdate: LineSearchMethod must be \"weak-wolfe\", \"strong-wolfe\" or \"backtracking\".")
    max_ls = int(_scalar(opts["MaxNumLineSearchIterations"], "MaxNumLineSearchIterations", "lbfgsupdate", low=1))
    if solverState is None or (isinstance(solverState, (list, np.ndarray)) and np.size(solverState) == 0):
        solverState = LBFGSState()
    if not isinstance(solverState, LBFGSState):
        raise OptionError("lbfgsupdate: solverState must be an lbfgsState object.")
    state = solverState
    leaves = flatten_params(net, "lbfgsupdate")
    x0 = [leaf.tensor.detach().clone() for leaf in leaves]

    def evaluate(x):
        if leaves.net is not None:
            with torch.no_grad():
                for leaf, xi in zip(leaves, x):
                    leaf.tensor.copy_(xi)
            target = leaves.net
        else:
            target = leaves.rebuild(list(x))
        out = call_function(lossFcn, target, nargout=2)
        if not isinstance(out, tuple) or len(out) < 2:
            raise OptionError("lbfgsupdate: lossFcn must return [loss, gradients].")
        loss, grads = out[0], out[1]
        with torch.no_grad():
            g = [t.detach().clone() for t in flatten_like(grads, leaves, "lbfgsupdate")]
        return _loss_value(loss), g, out

    if state._g is None:
        f0, g0, _ = evaluate(x0)
    else:
        f0, g0 = state.Loss, state._g
    S, Y = state.StepHistory, state.GradientsDifferenceHistory
    if S:
        h0 = _dot(S[-1], Y[-1]) / _dot(Y[-1], Y[-1])
    else:
        h0 = state.InitialInverseHessianFactor
    d = lbfgs_direction(g0, S, Y, h0)
    slope0 = _dot(g0, d)
    c1, c2 = 1e-4, 0.9
    alpha, lo, hi = 1.0, 0.0, math.inf
    status = "failed"
    best = None
    for _ in range(max_ls):
        x = [xi + alpha * di for xi, di in zip(x0, d)]
        f, g, raw = evaluate(x)
        slope = _dot(g, d)
        if not math.isfinite(f) or f > f0 + c1 * alpha * slope0:
            hi = alpha
            alpha = (lo + hi) / 2
            continue
        if method == "backtracking":
            best = (x, f, g, raw, alpha)
            status = "completed"
            break
        if slope < c2 * slope0:
            lo = alpha
            alpha = 2 * alpha if hi == math.inf else (lo + hi) / 2
            continue
        if method == "strong-wolfe" and abs(slope) > c2 * abs(slope0):
            hi = alpha
            alpha = (lo + hi) / 2
            continue
        best = (x, f, g, raw, alpha)
        status = "completed"
        break
    new = LBFGSState(state.HistorySize, state.InitialInverseHessianFactor)
    new.Iteration = state.Iteration + 1
    new.LineSearchStatus = status
    if best is None:
        # no acceptable step: the learnables stay where they were
        result = evaluate(x0)
        new.Loss, new._g = f0, g0
        new.StepHistory, new.GradientsDifferenceHistory = list(S), list(Y)
        new.HistoryIndices = list(range(1, len(S) + 1))
        new.Gradients = result[2][1]
        final = leaves.net if leaves.net is not None else leaves.rebuild(x0)
        return final, new
    x, f, g, raw, alpha = best
    s = [alpha * di for di in d]
    y = [gi - g0i for gi, g0i in zip(g, g0)]
    S2, Y2 = list(S), list(Y)
    if _dot(s, y) > 1e-12:
        S2.append(s)
        Y2.append(y)
        if len(S2) > new.HistorySize:
            S2, Y2 = S2[-new.HistorySize:], Y2[-new.HistorySize:]
    new.StepHistory, new.GradientsDifferenceHistory = S2, Y2
    new.HistoryIndices = list(range(1, len(S2) + 1))
    new.Loss, new._g, new.Gradients = f, g, raw[1]
    if leaves.net is not None:
        with torch.no_grad():
            for leaf, xi in zip(leaves, x):
                leaf.tensor.copy_(xi)
        return leaves.net, new
    return leaves.rebuild(list(x)), new


__all__ += ["lbfgsupdate", "lbfgsState", "LBFGSState", "lbfgs_direction"]
