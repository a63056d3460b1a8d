"""``checkLayer``: MATLAB's validity checks for custom layers, with its pass/fail summary.

``checkLayer(layer, validInputSize)`` generates random data of the given size (MATLAB layout: H×W×C for
images, C for features, ``[C 1 T]`` with ``ObservationDimension=2`` for sequences; a list of sizes for
a layer with several inputs; or :class:`~layergraph.layers.base.Layout` objects, the
``networkDataLayout`` syntax) and runs MATLAB's tests on it, printing the same kind of report::

    Running nnet.checklayer.TestLayerWithBackward
    .......... .......... ..
    Done nnet.checklayer.TestLayerWithBackward
    __________

    Test Summary:
    	 22 Passed, 0 Failed, 0 Incomplete, 0 Skipped.
    	 Time elapsed: 0.12 seconds.

Torch tensors always carry the batch first, so the multiple-observation variants always run (MATLAB
skips them without ``ObservationDimension``). Two tests are layergraph's own additions to MATLAB's
list: ``outputsAreFinite`` and ``learnablesAreConsistentInSize``; ``outputSizeIsConsistentAcrossObservations``
checks that the per-observation output size does not depend on the batch size and agrees with what
analyzeNetwork infers.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field

import torch

from .errors import LayerGraphError, OptionError
from .functions import matlab_function
from .layers.base import Layout, times_str
from .layers.custom import CustomLayer, CustomOutputLayer, matlab_to_torch, torch_to_matlab

RULE = "=" * 80


@dataclass
class TestResult:
    """One test: MATLAB's ``matlab.unittest.TestResult`` columns (Name, Passed, Failed, Incomplete)."""

    MATLAB_PROPERTIES = ("Name", "Passed", "Failed", "Incomplete", "Details")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    Name: str
    Passed: bool = False
    Failed: bool = False
    Incomplete: bool = False
    Details: str = ""


@dataclass
class CheckLayerResult:
    """What ``checkLayer`` returns: the test results and the printed report."""

    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    test_class: str
    tests: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def passed(self) -> bool:
        return not any(t.Failed for t in self.tests)

    @property
    def failures(self) -> list:
        return [t for t in self.tests if t.Failed]

    def counts(self) -> tuple[int, int, int, int]:
        passed = sum(t.Passed for t in self.tests)
        failed = sum(t.Failed for t in self.tests)
        incomplete = sum(t.Incomplete for t in self.tests)
        return passed, failed, incomplete, 0

    def report(self) -> str:
        lines = []
        for note in self.notes:
            lines += [note, " "]
        lines.append(f"Running {self.test_class}")
        dots = ""
        for i, t in enumerate(self.tests):
            if i and i % 10 == 0:
                dots += " "
            dots += "."
            if t.Failed or t.Incomplete:
                lines.append(dots)
                dots = ""
                lines += _failure_block(self.test_class, t)
        if dots:
            lines.append(dots)
        lines += [f"Done {self.test_class}", "__________", ""]
        bad = [t for t in self.tests if t.Failed or t.Incomplete]
        if bad:
            lines += ["Failure Summary:", ""]
            names = [f"{self.test_class}/{t.Name}" for t in bad]
            width = max(len("Name"), max(len(n) for n in names))
            header = f"     {'Name':<{width}}  Failed  Incomplete  Reason(s)"
            lines += [header, "    " + "=" * (len(header) - 4)]
            for t, name in zip(bad, names):
                reason = "Failed by verification." if t.Failed else "Filtered by assumption."
                lines.append(
                    f"     {name:<{width}}  {'X' if t.Failed else '':^6}  {'X' if t.Incomplete else '':^10}  {reason}"
                )
            lines.append("")
        p, f, inc, s = self.counts()
        lines += [
            "Test Summary:",
            f"\t {p} Passed, {f} Failed, {inc} Incomplete, {s} Skipped.",
            f"\t Time elapsed: {self.elapsed:.4g} seconds.",
        ]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.report()

    __repr__ = __str__


def _failure_block(test_class: str, t: TestResult) -> list:
    kind = "Verification failed" if t.Failed else "Assumption failed"
    lines = [RULE, f"{kind} in {test_class}/{t.Name}.", "    ----------------", "    Test Diagnostic:",
             "    ----------------"]
    lines += ["    " + line for line in t.Details.splitlines()]
    lines.append(RULE)
    return lines


class _Failure(Exception):
    """A test's verification failed; the message is the diagnostic."""


# --------------------------------------------------------------------------------------------------
# Input sizes


def input_layouts(layer, sizes, observation_dimension=None) -> tuple[list[Layout], int | None]:
    """Layouts of the layer's inputs from MATLAB size vectors (or Layout objects)."""
    n_in = len(layer.input_names())
    if isinstance(sizes, Layout):
        sizes = [sizes]
    elif isinstance(sizes, (list, tuple)) and sizes and all(isinstance(s, (int, float)) for s in sizes):
        sizes = [list(sizes)]
    elif not isinstance(sizes, (list, tuple)) or not sizes:
        raise OptionError(
            f"checkLayer: validInputSize must be a vector of sizes, or a list of them for a layer with several inputs; "
            f"got {sizes!r}."
        )
    if len(sizes) != n_in:
        raise OptionError(
            f"checkLayer: {layer.label()} has {n_in} input{'s' if n_in != 1 else ''} but validInputSize gives "
            f"{len(sizes)} size{'s' if len(sizes) != 1 else ''}."
        )
    layouts = []
    batch = None
    for s in sizes:
        if isinstance(s, Layout):
            layouts.append(s)
            continue
        layout, b = _layout_from_size(list(s), observation_dimension)
        layouts.append(layout)
        batch = batch or b
    return layouts, batch


def _layout_from_size(size: list, obs: int | None) -> tuple[Layout, int | None]:
    try:
        dims = [int(d) for d in size]
    except (TypeError, ValueError):
        raise OptionError(f"checkLayer: validInputSize must contain positive integers, got {size!r}.") from None
    if not dims or any(d < 1 or d != float(s) for d, s in zip(dims, size)):
        raise OptionError(f"checkLayer: validInputSize must contain positive integers, got {size!r}.")
    if obs is None:
        if len(dims) == 2 and dims[1] == 1:
            return Layout((), dims[0]), None          # C×1: one feature observation
        before, batch, after = dims, None, []
    else:
        if obs < 2:
            raise OptionError(f"checkLayer: ObservationDimension must be an integer greater than 1, got {obs}.")
        before = dims[: obs - 1]
        batch = dims[obs - 1] if len(dims) >= obs else None
        after = dims[obs:]
        if not before:
            raise OptionError("checkLayer: validInputSize has no channel dimension before the observation dimension.")
    if len(after) > 1:
        raise OptionError(f"checkLayer: validInputSize {size!r} has more than one dimension after the observations.")
    layout = Layout(tuple(before[:-1]), before[-1], bool(after), after[0] if after else None)
    return layout, batch


# --------------------------------------------------------------------------------------------------
# Calling the layer


class _Harness:
    """Random data and calls of the layer's methods in single or double precision."""

    def __init__(self, layer: CustomLayer, layouts: list[Layout], multi_batch: int):
        self.layer = layer
        self.cls = type(layer)
        self.layouts = layouts
        self.multi_batch = multi_batch
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.resolved = layer if isinstance(layer, CustomOutputLayer) else layer.resolved(layouts)

    def batch(self, observations: str) -> int:
        return 1 if observations == "one" else self.multi_batch

    def inputs(self, observations: str, dtype=torch.float64, seed: int = 1) -> list[torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        n = self.batch(observations)
        xs = []
        for layout in self.layouts:
            shape = layout.torch_shape(n, layout.time or CustomLayer.EXAMPLE_TIME)
            xs.append(torch.randn(shape, generator=g, dtype=dtype))
        return xs

    def view(self, dtype=torch.float64, requires_grad=False):
        """The resolved layer with its learnables cast to ``dtype`` (leaf tensors when requires_grad)."""
        layer = object.__new__(self.cls)
        values = dict(self.resolved._values)
        params = []
        for p in self.resolved.learnable_names():
            t = values[p].detach().to(dtype).clone().requires_grad_(requires_grad)
            values[p] = t
            params.append(t)
        for s in self.resolved.state_names():
            values[s] = values[s].detach().to(dtype).clone()
        object.__setattr__(layer, "_values", values)
        return layer, params

    def to_call(self, xs):
        if self.cls.DATA_LAYOUT == "matlab":
            return [torch_to_matlab(x, lay) for x, lay in zip(xs, self.layouts)]
        return list(xs)

    def call(self, view, method: str, xs):
        result = getattr(view, method)(*self.to_call(xs))
        values = list(result) if isinstance(result, (tuple, list)) else [result]
        n_out = len(view.output_names())
        return values[:n_out] if len(values) >= n_out else values

    def outputs(self, method: str, observations: str, dtype=torch.float64):
        view, _ = self.view(dtype)
        with torch.no_grad():
            return self.call(view, method, self.inputs(observations, dtype))


def _check_outputs(h: _Harness, outs, method: str, xs) -> None:
    n_out = len(h.layer.output_names())
    if len(outs) != n_out:
        raise _Failure(f"Incorrect number of outputs for '{method}'.\nExpected {n_out}, the number of layer outputs "
                       f"(NumOutputs), but '{method}' returned {len(outs)}.")
    for port, y in zip(h.layer.output_names(), outs):
        if not isinstance(y, torch.Tensor):
            raise _Failure(f"Incorrect type of output '{port}' for '{method}'.\nExpected a torch.Tensor, got "
                           f"{type(y).__name__}.")


def _size(t) -> str:
    return times_str(t.shape) if t.dim() else "scalar"


def _obs_size(y: torch.Tensor, h: _Harness) -> tuple:
    """Per-observation size of an output (the batch dimension removed, in the layer's data layout)."""
    if h.cls.DATA_LAYOUT == "matlab":
        lay = h.layouts[0]
        ndim = y.dim()
        n_axis = ndim - 2 if lay.has_time and ndim >= 3 else ndim - 1
        return tuple(s for i, s in enumerate(y.shape) if i != n_axis)
    return tuple(y.shape[1:])


# --------------------------------------------------------------------------------------------------
# Tests of intermediate layers


def _syntax(h: _Harness) -> None:
    n_in, n_out = len(h.layer.input_names()), len(h.layer.output_names())
    problems = []
    methods = [("predict", n_in)]
    if h.cls.defines_forward():
        methods.append(("forward", n_in))
    if h.cls.defines_backward():
        methods.append(("backward", n_in + 2 * n_out))
    if h.cls.has_method("initialize"):
        methods.append(("initialize", n_in))
    for name, count in methods:
        fn = getattr(h.resolved, name)
        try:
            inspect.signature(fn).bind(*range(count))
        except TypeError:
            what = {"backward": f"{n_in} inputs, {n_out} outputs and {n_out} output gradients"}.get(
                name, f"{count} input{'s' if count != 1 else ''}")
            problems.append(f"The '{name}' method must accept {what} (after self); its signature is "
                            f"{name}{inspect.signature(fn)}.")
    if problems:
        raise _Failure("Incorrect function syntax.\n" + "\n".join(problems))


def _does_not_error(method):
    def test(h: _Harness, observations: str) -> None:
        xs = h.inputs(observations, torch.float32)
        view, _ = h.view(torch.float32)
        try:
            with torch.no_grad():
                outs = h.call(view, method, xs)
        except Exception as exc:
            raise _Failure(f"The function '{method}' threw an error:\n{type(exc).__name__}: {exc}") from None
        _check_outputs(h, outs, method, xs)

    return test


def _forward_predict_size(h: _Harness, observations: str) -> None:
    zp = h.outputs("predict", observations, torch.float32)
    zf = h.outputs("forward", observations, torch.float32)
    for port, a, b in zip(h.layer.output_names(), zp, zf):
        if tuple(a.shape) != tuple(b.shape):
            raise _Failure(f"Incorrect size of output '{port}' for 'forward'.\nThe output of 'forward' must be the same "
                           f"size as the output of 'predict': expected {_size(a)}, got {_size(b)}.")


def _consistent_across_observations(h: _Harness) -> None:
    one = h.outputs("predict", "one", torch.float32)
    many = h.outputs("predict", "multiple", torch.float32)
    try:
        with torch.random.fork_rng(devices=[]):
            inferred = h.layer.infer(h.layouts)
    except LayerGraphError as exc:
        raise _Failure(f"The layer's output sizes cannot be inferred:\n{exc}") from None
    for port, a, b, lay in zip(h.layer.output_names(), one, many, inferred):
        if _obs_size(a, h) != _obs_size(b, h):
            raise _Failure(
                f"Incorrect size of output '{port}' for 'predict'.\nThe size of one observation must not depend on the "
                f"number of observations: {_size(a)} for 1 observation, {_size(b)} for {h.multi_batch}."
            )
        if h.cls.DATA_LAYOUT == "torch":
            expected = lay.torch_shape(h.multi_batch, lay.time or CustomLayer.EXAMPLE_TIME)
            if tuple(b.shape) != tuple(expected):
                raise _Failure(f"Incorrect size of output '{port}' for 'predict'.\nExpected {times_str(expected)} "
                               f"(the size inferred for the network), got {_size(b)}.")


def _consistent_in_type(method):
    def test(h: _Harness, precision: str) -> None:
        dtype = torch.float32 if precision == "single" else torch.float64
        outs = h.outputs(method, "multiple", dtype)
        for port, y in zip(h.layer.output_names(), outs):
            if y.dtype != dtype:
                raise _Failure(f"Incorrect type of output '{port}' for '{method}'.\nExpected {_tn(dtype)}, the type of "
                               f"the input, got {_tn(y.dtype)}.")

    return test


def _tn(dtype) -> str:
    return {torch.float32: "single (float32)", torch.float64: "double (float64)"}.get(dtype, str(dtype))


def _training_method(h: _Harness) -> str:
    return "forward" if h.cls.defines_forward() else "predict"


def _backward_values(h: _Harness, observations: str, dtype=torch.float64):
    """(xs, params, dLdZ, the user's backward results) for random data."""
    xs = h.inputs(observations, dtype)
    view, params = h.view(dtype)
    with torch.no_grad():
        outs = h.call(view, _training_method(h), xs)
    g = torch.Generator().manual_seed(7)
    dz = [torch.randn(y.shape, generator=g, dtype=dtype) for y in outs]
    call_x = h.to_call(xs)
    grads = view.backward(*call_x, *outs, *dz)
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    return call_x, params, outs, dz, grads


def _backward_does_not_error(h: _Harness, observations: str) -> None:
    try:
        _backward_values(h, observations, torch.float32)
    except Exception as exc:
        raise _Failure(f"The function 'backward' threw an error:\n{type(exc).__name__}: {exc}") from None


def _gradient_names(h: _Harness) -> list[tuple[str, str]]:
    ins = h.layer.input_names()
    names = [(f"dLd{'X' if len(ins) == 1 else port}", f"input '{port}'") for port in ins]
    names += [(f"dLd{p}", f"learnable '{p}'") for p in h.resolved.learnable_names()]
    return names


def _backward_size(h: _Harness, observations: str) -> None:
    xs, params, _, _, grads = _backward_values(h, observations, torch.float32)
    names = _gradient_names(h)
    if len(grads) != len(names):
        raise _Failure(f"Incorrect number of outputs for 'backward'.\nExpected {len(names)} "
                       f"({', '.join(n for n, _ in names)}), got {len(grads)}.")
    for (name, what), g, ref in zip(names, grads, list(xs) + list(params)):
        if not isinstance(g, torch.Tensor) or tuple(g.shape) != tuple(ref.shape):
            got = _size(g) if isinstance(g, torch.Tensor) else type(g).__name__
            raise _Failure(f"Incorrect size of '{name}' for 'backward'.\nThe derivative of the loss with respect to the "
                           f"{what} must be the same size as it: expected {_size(ref)}, got {got}.")


def _backward_type(h: _Harness, precision: str) -> None:
    dtype = torch.float32 if precision == "single" else torch.float64
    xs, params, _, _, grads = _backward_values(h, "multiple", dtype)
    for (name, what), g in zip(_gradient_names(h), grads):
        if isinstance(g, torch.Tensor) and g.dtype != dtype:
            raise _Failure(f"Incorrect type of '{name}' for 'backward'.\nExpected {_tn(dtype)}, got {_tn(g.dtype)}.")


def _autograd(h: _Harness, observations: str, method: str):
    """(inputs and learnables, dLdZ, autograd gradients) in double precision; None entries when unused."""
    xs = [x.requires_grad_(True) for x in h.inputs(observations, torch.float64)]
    view, params = h.view(torch.float64, requires_grad=True)
    outs = h.call(view, method, xs)
    g = torch.Generator().manual_seed(7)
    dz = [torch.randn(y.shape, generator=g, dtype=torch.float64) for y in outs]
    leaves = xs + params
    grads = torch.autograd.grad(outs, leaves, dz, allow_unused=True)
    return leaves, view, outs, dz, grads


def _backward_propagation(h: _Harness, observations: str) -> None:
    try:
        _autograd(h, observations, _training_method(h))
    except Exception as exc:
        raise _Failure(
            "Backward propagation (automatic differentiation through 'forward'/'predict') threw an error:\n"
            f"{type(exc).__name__}: {exc}\nUse differentiable torch operations, or define backward."
        ) from None


def _finite_difference(h: _Harness, method: str, observations: str, index: int, dz, samples: int = 48):
    """Central differences of sum(Z .* dLdZ) with respect to sampled elements of leaf ``index``."""
    xs = h.inputs(observations, torch.float64)
    view, params = h.view(torch.float64)
    leaves = xs + params
    target = leaves[index]
    flat = target.reshape(-1)
    n = flat.numel()
    g = torch.Generator().manual_seed(11 + index)
    picks = torch.randperm(n, generator=g)[: min(n, samples)].tolist()
    eps = 1e-6
    out = {}

    def objective():
        with torch.no_grad():
            zs = h.call(view, method, xs)
        return sum(float((z * d).sum()) for z, d in zip(zs, dz))

    for i in picks:
        old = float(flat[i])
        flat[i] = old + eps
        up = objective()
        flat[i] = old - eps
        down = objective()
        flat[i] = old
        out[i] = (up - down) / (2 * eps)
    return out


def _gradients_correct(h: _Harness) -> None:
    method = _training_method(h)
    names = _gradient_names(h)
    if h.cls.defines_backward():
        call_x, params, outs, dz, grads = _backward_values(h, "multiple", torch.float64)
        try:
            leaves, _, _, dz2, auto = _autograd(h, "multiple", method)
            reference, how = [a if a is not None else torch.zeros_like(l) for a, l in zip(auto, leaves)], "autograd"
        except Exception:
            reference, how = None, "finite differences"
        for k, ((name, what), got) in enumerate(zip(names, grads)):
            if not isinstance(got, torch.Tensor):
                raise _Failure(f"The derivative '{name}' for 'backward' is not a tensor.")
            if reference is not None:
                ref = reference[k]
                if h.cls.DATA_LAYOUT == "matlab" and k < len(call_x):
                    ref = torch_to_matlab(ref, h.layouts[k])
                if tuple(ref.shape) != tuple(got.shape):
                    raise _Failure(
                        f"The derivative '{name}' for 'backward' cannot be compared with the numerical gradient.\n"
                        f"It has size {_size(got)}; the gradient with respect to the {what} has size {_size(ref)}."
                    )
                if not torch.allclose(got.double(), ref, rtol=1e-6, atol=1e-6):
                    err = (got.double() - ref).abs().max().item()
                    raise _Failure(
                        f"The derivative '{name}' for 'backward' is inconsistent with the numerical gradient.\n"
                        f"Compared with {how} in double precision: largest absolute difference {err:.3g} "
                        f"(tolerance 1e-06)."
                    )
            else:
                numeric = _finite_difference(h, method, "multiple", k, dz)
                flat = got.double().reshape(-1) if h.cls.DATA_LAYOUT == "torch" or k >= len(call_x) else \
                    matlab_to_torch(got.double(), h.layouts[k]).reshape(-1)
                for i, value in numeric.items():
                    if not math.isclose(float(flat[i]), value, rel_tol=1e-4, abs_tol=1e-5):
                        raise _Failure(
                            f"The derivative '{name}' for 'backward' is inconsistent with the numerical gradient.\n"
                            f"Element {i + 1}: backward gives {float(flat[i]):.6g}, finite differences {value:.6g}."
                        )
        return
    leaves, _, _, dz, auto = _autograd(h, "multiple", method)
    for k, ((name, what), got) in enumerate(zip(names, auto)):
        flat = (got if got is not None else torch.zeros_like(leaves[k])).reshape(-1)
        numeric = _finite_difference(h, method, "multiple", k, dz)
        for i, value in numeric.items():
            if not math.isclose(float(flat[i]), value, rel_tol=1e-4, abs_tol=1e-5):
                raise _Failure(
                    f"The derivative '{name}' computed by automatic differentiation is inconsistent with the numerical "
                    f"gradient.\nElement {i + 1}: autograd gives {float(flat[i]):.6g}, finite differences {value:.6g}."
                )


def _outputs_finite(h: _Harness) -> None:
    for method in ("predict", "forward") if h.cls.defines_forward() else ("predict",):
        for port, y in zip(h.layer.output_names(), h.outputs(method, "multiple", torch.float32)):
            if not bool(torch.isfinite(y).all()):
                bad = int((~torch.isfinite(y)).sum())
                raise _Failure(f"Output '{port}' of '{method}' is not finite.\n{bad} of {y.numel()} elements are NaN or "
                               f"Inf for standard normal inputs.")


def _learnables_size(h: _Harness) -> None:
    sizes = h.layer.learnable_sizes(h.layouts)
    for p in h.resolved.learnable_names():
        value = h.resolved._values.get(p)
        if not isinstance(value, torch.Tensor):
            raise _Failure(f"Learnable parameter '{p}' is not a tensor (got {type(value).__name__}).")
        if tuple(value.shape) != tuple(sizes[p]):
            raise _Failure(f"Incorrect size of learnable parameter '{p}'.\nExpected {times_str(sizes[p])}, got "
                           f"{_size(value)}.")
        if value.numel() == 0:
            raise _Failure(f"Learnable parameter '{p}' is empty after initialization.")
    _, params = h.view(torch.float64)
    try:
        leaves, _, _, _, auto = _autograd(h, "multiple", _training_method(h))
    except Exception:
        if h.cls.defines_backward():
            return                       # gradients come from backward, checked by backwardIsConsistentInSize
        raise
    for p, grad, ref in zip(h.resolved.learnable_names(), auto[len(h.layouts):], params):
        if grad is not None and tuple(grad.shape) != tuple(ref.shape):
            raise _Failure(f"The gradient of learnable '{p}' has size {_size(grad)}; expected {_size(ref)}.")


def _initialize_keeps_values(h: _Harness) -> None:
    layer = h.resolved.copy()
    before = {p: layer._values[p].clone() for p in layer.tensor_names()}
    layer.initialize(*h.layouts)
    for p, value in before.items():
        now = layer._values.get(p)
        if not isinstance(now, torch.Tensor) or now.shape != value.shape or not torch.equal(now, value):
            raise _Failure(f"The function 'initialize' changed the nonempty parameter '{p}'.\nInitialize must only set "
                           f"parameters that are empty.")


# --------------------------------------------------------------------------------------------------
# Tests of output layers


class _LossHarness:
    def __init__(self, layer: CustomOutputLayer, layouts: list[Layout], multi_batch: int):
        self.layer = layer
        self.cls = type(layer)
        self.layout = layouts[0]
        self.multi_batch = multi_batch

    def data(self, observations: str, dtype=torch.float64):
        n = 1 if observations == "one" else self.multi_batch
        shape = self.layout.torch_shape(n, self.layout.time or CustomLayer.EXAMPLE_TIME)
        g = torch.Generator().manual_seed(3)
        y = torch.randn(shape, generator=g, dtype=dtype)
        dim = 2 if self.layout.has_time else 1
        if self.cls.TASK == "classification":
            y = torch.softmax(y, dim=dim)
            labels = torch.randint(0, shape[dim], shape[:dim] + shape[dim + 1:], generator=g)
            t = torch.nn.functional.one_hot(labels, shape[dim]).to(dtype).movedim(-1, dim)
        else:
            t = torch.randn(shape, generator=g, dtype=dtype)
        return y, t


def _loss_does_not_error(h: _LossHarness, observations: str) -> None:
    y, t = h.data(observations, torch.float32)
    try:
        h.layer.forwardLoss(y, t)
    except Exception as exc:
        raise _Failure(f"The function 'forwardLoss' threw an error:\n{type(exc).__name__}: {exc}") from None


def _loss_is_scalar(h: _LossHarness, observations: str) -> None:
    y, t = h.data(observations, torch.float32)
    value = h.layer.forwardLoss(y, t)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        got = _size(value) if isinstance(value, torch.Tensor) else type(value).__name__
        raise _Failure(f"Incorrect size of 'loss' for 'forwardLoss'.\nThe output of 'forwardLoss' must be a scalar, got "
                       f"{got}.")


def _loss_type(h: _LossHarness, precision: str) -> None:
    dtype = torch.float32 if precision == "single" else torch.float64
    y, t = h.data("multiple", dtype)
    value = h.layer.forwardLoss(y, t)
    if value.dtype != dtype:
        raise _Failure(f"Incorrect type of 'loss' for 'forwardLoss'.\nExpected {_tn(dtype)}, got {_tn(value.dtype)}.")


def _backward_loss_does_not_error(h: _LossHarness, observations: str) -> None:
    y, t = h.data(observations, torch.float32)
    try:
        h.layer.backwardLoss(y, t)
    except Exception as exc:
        raise _Failure(f"The function 'backwardLoss' threw an error:\n{type(exc).__name__}: {exc}") from None


def _backward_loss_size(h: _LossHarness, observations: str) -> None:
    y, t = h.data(observations, torch.float32)
    dy = h.layer.backwardLoss(y, t)
    if not isinstance(dy, torch.Tensor) or tuple(dy.shape) != tuple(y.shape):
        got = _size(dy) if isinstance(dy, torch.Tensor) else type(dy).__name__
        raise _Failure(f"Incorrect size of 'dLdY' for 'backwardLoss'.\nThe derivative of the loss with respect to Y must "
                       f"be the same size as Y: expected {_size(y)}, got {got}.")


def _backward_loss_type(h: _LossHarness, precision: str) -> None:
    dtype = torch.float32 if precision == "single" else torch.float64
    y, t = h.data("multiple", dtype)
    dy = h.layer.backwardLoss(y, t)
    if dy.dtype != dtype:
        raise _Failure(f"Incorrect type of 'dLdY' for 'backwardLoss'.\nExpected {_tn(dtype)}, got {_tn(dy.dtype)}.")


def _loss_autograd(h: _LossHarness):
    y, t = h.data("multiple", torch.float64)
    y.requires_grad_(True)
    value = h.layer.forwardLoss(y, t)
    (grad,) = torch.autograd.grad(value, [y])
    return y.detach(), t, grad


def _loss_backward_propagation(h: _LossHarness) -> None:
    try:
        _loss_autograd(h)
    except Exception as exc:
        raise _Failure(f"Backward propagation through 'forwardLoss' threw an error:\n{type(exc).__name__}: {exc}") from None


def _loss_gradients(h: _LossHarness) -> None:
    y, t = h.data("multiple", torch.float64)
    if h.cls.defines_backward_loss():
        got = h.layer.backwardLoss(y, t)
        try:
            _, _, reference = _loss_autograd(h)
            how = "autograd"
        except Exception:
            reference, how = None, "finite differences"
        if reference is not None:
            if not torch.allclose(got.double(), reference, rtol=1e-6, atol=1e-6):
                err = (got.double() - reference).abs().max().item()
                raise _Failure(f"The derivative 'dLdY' for 'backwardLoss' is inconsistent with the numerical gradient.\n"
                               f"Compared with {how} in double precision: largest absolute difference {err:.3g} "
                               f"(tolerance 1e-06).")
            return
    else:
        _, _, got = _loss_autograd(h)
    flat_y = y.reshape(-1)
    flat_g = got.double().reshape(-1)
    g = torch.Generator().manual_seed(5)
    eps = 1e-6
    for i in torch.randperm(flat_y.numel(), generator=g)[:48].tolist():
        old = float(flat_y[i])
        flat_y[i] = old + eps
        up = float(h.layer.forwardLoss(y, t))
        flat_y[i] = old - eps
        down = float(h.layer.forwardLoss(y, t))
        flat_y[i] = old
        numeric = (up - down) / (2 * eps)
        if not math.isclose(float(flat_g[i]), numeric, rel_tol=1e-4, abs_tol=1e-5):
            raise _Failure(f"The derivative 'dLdY' is inconsistent with the numerical gradient.\nElement {i + 1}: "
                           f"{float(flat_g[i]):.6g} versus finite differences {numeric:.6g}.")


# --------------------------------------------------------------------------------------------------
# The function


def _plan(layer) -> tuple[str, list]:
    cls = type(layer)
    obs = ("one", "multiple")
    prec = ("single", "double")
    tests: list = []
    if isinstance(layer, CustomOutputLayer):
        with_backward = cls.defines_backward_loss()
        name = f"nnet.checklayer.TestOutputLayer{'With' if with_backward else 'Without'}Backward"
        tests += [(f"forwardLossDoesNotError(Observations={o})", _loss_does_not_error, o) for o in obs]
        if with_backward:
            tests += [(f"backwardLossDoesNotError(Observations={o})", _backward_loss_does_not_error, o) for o in obs]
        tests += [(f"forwardLossIsScalar(Observations={o})", _loss_is_scalar, o) for o in obs]
        if with_backward:
            tests += [(f"backwardLossIsConsistentInSize(Observations={o})", _backward_loss_size, o) for o in obs]
        tests += [(f"forwardLossIsConsistentInType(Precision={p},Device=cpu)", _loss_type, p) for p in prec]
        if with_backward:
            tests += [(f"backwardLossIsConsistentInType(Precision={p},Device=cpu)", _backward_loss_type, p)
                      for p in prec]
        else:
            tests.append(("backwardPropagationDoesNotError", _loss_backward_propagation, None))
        tests.append(("gradientsAreNumericallyCorrect", _loss_gradients, None))
        return name, tests
    with_backward = cls.defines_backward()
    name = f"nnet.checklayer.TestLayer{'With' if with_backward else 'Without'}Backward"
    tests.append(("functionSyntaxesAreCorrect", _syntax, None))
    if cls.has_method("initialize"):
        tests.append(("initializeDoesNotChangeLearnableParametersWhenTheyAreNotEmpty", _initialize_keeps_values, None))
    tests += [(f"predictDoesNotError(Observations={o})", _does_not_error("predict"), o) for o in obs]
    tests += [(f"forwardDoesNotError(Observations={o})", _does_not_error("forward"), o) for o in obs]
    tests += [(f"forwardPredictAreConsistentInSize(Observations={o})", _forward_predict_size, o) for o in obs]
    tests.append(("outputSizeIsConsistentAcrossObservations", _consistent_across_observations, None))
    if with_backward:
        tests += [(f"backwardDoesNotError(Observations={o})", _backward_does_not_error, o) for o in obs]
        tests += [(f"backwardIsConsistentInSize(Observations={o})", _backward_size, o) for o in obs]
    tests += [(f"predictIsConsistentInType(Precision={p},Device=cpu)", _consistent_in_type("predict"), p) for p in prec]
    tests += [(f"forwardIsConsistentInType(Precision={p},Device=cpu)", _consistent_in_type("forward"), p) for p in prec]
    if with_backward:
        tests += [(f"backwardIsConsistentInType(Precision={p},Device=cpu)", _backward_type, p) for p in prec]
    else:
        tests += [(f"backwardPropagationDoesNotError(Observations={o})", _backward_propagation, o) for o in obs]
    tests.append(("gradientsAreNumericallyCorrect", _gradients_correct, None))
    tests.append(("outputsAreFinite", _outputs_finite, None))
    if layer.learnable_names():
        tests.append(("learnablesAreConsistentInSize", _learnables_size, None))
    return name, tests


@matlab_function(outputs=("result",))
def checkLayer(layer, validInputSize, *args, ObservationDimension=None, CheckCodegenCompatibility=False,
               Verbose=True) -> CheckLayerResult:
    """``checkLayer(layer, validInputSize)``: run MATLAB's custom-layer checks and print the summary.

    ``validInputSize``: the MATLAB size of one observation (``[5 5 20]`` for 5×5 images with 20 channels,
    ``[C 1]`` for features, ``[C 1 T]`` with ``ObservationDimension=2`` for sequences), a list of such
    sizes for a layer with several inputs, or :class:`Layout` objects. ``ObservationDimension`` says
    where the observations are in the size vector (4 for 2-D images, 5 for 3-D, 2 for sequences); an
    entry there sets the number of observations for the multiple-observation tests (default 2).
    ``Verbose=False`` returns the result without printing. Returns a :class:`CheckLayerResult`.
    """
    options = {"observationdimension": ObservationDimension, "checkcodegencompatibility": CheckCodegenCompatibility,
               "verbose": Verbose}
    positional_layouts = [a for a in args if isinstance(a, Layout)]
    rest = [a for a in args if not isinstance(a, Layout)]
    if len(rest) % 2:
        raise OptionError("checkLayer: name-value arguments must come in pairs.")
    for key, value in zip(rest[::2], rest[1::2]):
        if not isinstance(key, str) or key.lower() not in options:
            raise OptionError(
                f"checkLayer: '{key}' is not an option. Valid options: 'ObservationDimension', "
                f"'CheckCodegenCompatibility', 'Verbose'."
            )
        options[key.lower()] = value
    if not isinstance(layer, CustomLayer):
        what = getattr(layer, "MATLAB_NAME", type(layer).__name__)
        raise OptionError(f"checkLayer: the layer must be a custom layer (a CustomLayer or CustomOutputLayer), "
                          f"got {what}.")
    if options["checkcodegencompatibility"]:
        raise OptionError("checkLayer: CheckCodegenCompatibility is not available: layergraph does not generate "
                          "C/C++ code (the compiled network is a torch module; see torch.compile or ONNX export).")
    obs = options["observationdimension"]
    if obs is not None:
        try:
            obs = int(obs)
        except (TypeError, ValueError):
            raise OptionError(f"checkLayer: ObservationDimension must be a positive integer, got {obs!r}.") from None
    sizes = validInputSize
    if positional_layouts:
        sizes = [validInputSize] + positional_layouts
    layouts, batch = input_layouts(layer, sizes, obs)
    multi = batch if batch and batch > 1 else 2

    start = time.perf_counter()
    notes = []
    if not torch.cuda.is_available():
        notes.append("Skipping GPU tests. No compatible GPU device found.")
    if isinstance(layer, CustomOutputLayer):
        harness = _LossHarness(layer, layouts, multi)
    else:
        if not type(layer).has_method("initialize"):
            notes.insert(0, "Skipping initialization tests. The layer does not have an initialize function.")
        harness = _Harness(layer, layouts, multi)
    test_class, plan = _plan(layer)
    result = CheckLayerResult(test_class, notes=notes)
    for name, fn, param in plan:
        t = TestResult(name)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                fn(harness, param) if param is not None else fn(harness)
            t.Passed = True
        except _Failure as exc:
            t.Failed = True
            t.Details = str(exc)
        except Exception as exc:  # the layer's code failed where the test did not expect it
            t.Failed = True
            t.Details = f"The test threw an error:\n{type(exc).__name__}: {exc}"
        result.tests.append(t)
    result.elapsed = time.perf_counter() - start
    if options["verbose"]:
        print(result.report(), end="")
    return result


__all__ = ["checkLayer", "CheckLayerResult", "TestResult", "input_layouts"]
