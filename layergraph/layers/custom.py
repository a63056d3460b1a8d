"""Custom layers: MATLAB's ``nnet.layer.Layer``, ``nnet.layer.ClassificationLayer`` and
``nnet.layer.RegressionLayer`` in Python.

A custom layer is a subclass of :class:`CustomLayer` that declares its properties the way a MATLAB
``classdef`` does, and implements ``predict`` with torch operations::

    @custom_layer
    class learnableEluLayer(CustomLayer):
        '''ELU with one learnable alpha per channel.'''
        TYPE = "Exponential Linear Unit"
        POSITIONAL = ("NumChannels", "Name")
        NumChannels = Property(convert=positive_integer(), required=True)
        Alpha = Learnable(lambda layer: torch.rand(layer.NumChannels, 1, 1))   # torch layout: C×1×1

        def description(self):
            return f"Exponential linear unit with {self.NumChannels} channels"

        def predict(self, X):
            return torch.relu(X) + self.Alpha * (torch.exp(torch.clamp(X, max=0)) - 1)

``predict`` receives torch-layout tensors (N×C×H×W, N×C, N×T×C, ...) and the learnables as they are
stored, so a learnable meant to broadcast over channels is declared in the layout its ``predict`` uses.
Set ``DATA_LAYOUT = "matlab"`` to receive the inputs in MATLAB's layout instead (H×W×C×N, C×N, C×N×T):
the class then runs MATLAB code unchanged (what the MATLAB porter generates).

Optional methods, as in MATLAB: ``forward`` (training-time behaviour; defaults to predict),
``backward`` (a hand-written gradient, then used through ``torch.autograd.Function``),
``initialize(*layouts)`` (lazy sizing of learnables from the input :class:`Layout` objects).
Output (loss) layers subclass :class:`CustomOutputLayer` and implement ``forwardLoss`` (and
optionally ``backwardLoss``).

Registering (``@custom_layer`` or ``@register``) adds the layer type to the one layer registry: the
Python constructor, the JSON spec and the MATLAB porter all find it there, and registering a second,
different class under the same name is a :class:`~layergraph.errors.CustomLayerError`.
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from torch import nn

from ..errors import CustomLayerError, LayerGraphError, OptionError
from ..functions import matlab_function
from .base import Layer, Layout, register, times_str
from .options import Converter, Option, factor, format_value, input_count, nonnegative_integer, positive_integer

__all__ = [
    "CustomLayer",
    "CustomOutputLayer",
    "Property",
    "Learnable",
    "State",
    "custom_layer",
    "define_custom_layer",
    "torch_to_matlab",
    "matlab_to_torch",
    "setLearnRateFactor",
    "getLearnRateFactor",
    "setL2Factor",
    "getL2Factor",
]


# --------------------------------------------------------------------------------------------------
# Declarations


class Property:
    """A plain property (MATLAB ``properties`` block).

    ``default`` is its value when the constructor does not set it; ``convert`` is an option rule from
    :mod:`layergraph.layers.options` (e.g. ``positive_integer()``) or any callable returning the
    stored value and raising ValueError for bad input; ``required`` makes it a required constructor
    argument (list it in ``POSITIONAL`` to take it positionally).
    """

    def __init__(self, default: Any = None, *, convert: Converter | Callable | None = None, required: bool = False,
                 doc: str = ""):
        self.default = default
        self.convert = convert
        self.required = required
        self.doc = doc


class Learnable:
    """A learnable parameter (MATLAB ``properties (Learnable)``).

    ``value``: its initial value (a tensor, a NumPy array or a number), a callable ``value(layer)``
    evaluated when the layer is constructed (e.g. ``lambda layer: torch.rand(layer.NumChannels, 1, 1)``),
    or None to leave it empty until ``initialize`` sets it. ``learn_rate`` and ``l2`` are MATLAB's
    learn-rate and L2-regularization factors (both 1 by default, as for custom layers in MATLAB);
    each layer also gets ``<Name>LearnRateFactor`` and ``<Name>L2Factor`` properties, so
    ``setLearnRateFactor(layer, 'Alpha', 2)`` and name-value arguments work as for built-in layers.
    """

    def __init__(self, value: Any = None, *, learn_rate: float = 1.0, l2: float = 1.0, doc: str = ""):
        self.value = value
        self.learn_rate = float(learn_rate)
        self.l2 = float(l2)
        self.doc = doc


class State:
    """A state parameter (MATLAB ``properties (State)``): predict/forward return its new value after
    the outputs, and the compiled network keeps it as a buffer."""

    def __init__(self, value: Any = None, *, doc: str = ""):
        self.value = value
        self.doc = doc


def _any_value() -> Converter:
    def convert(v):
        if isinstance(v, (str, bool, numbers.Number, torch.Tensor, np.ndarray, tuple, list, dict)) or v is None:
            return v
        if callable(v):
            return v
        raise ValueError

    return Converter(convert, "a value", {})


def _optional_text() -> Converter:
    def convert(v):
        if v is None:
            return ""
        if isinstance(v, (str, np.str_)):
            return str(v)
        raise ValueError

    return Converter(convert, "a character vector or string", {"type": "string"})


def _optional_names() -> Converter:
    def convert(v):
        if v is None:
            return None
        if isinstance(v, str):
            return (v,)
        if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
            return tuple(v)
        raise ValueError

    return Converter(convert, "a list of names", {"type": "array", "items": {"type": "string"}})


def _as_converter(convert) -> Converter:
    if convert is None:
        return _any_value()
    if isinstance(convert, Converter):
        return convert
    if callable(convert):
        return Converter(convert, getattr(convert, "__doc__", None) or "a valid value", {})
    raise CustomLayerError(f"Property convert must be an option rule or a callable, got {convert!r}.")


def _tensor_converter(owner: str, prop: str, kind: str) -> Converter:
    """Learnable/state values: a tensor, a NumPy numeric array or a real number, stored as float32."""

    def convert(v):
        if v is None:
            return None
        if isinstance(v, torch.Tensor):
            if not (torch.is_floating_point(v) or v.dtype in (torch.int32, torch.int64, torch.bool)):
                raise _not_tensor(owner, prop, kind, v)
            return v.detach().clone().to(torch.float32)
        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
            return torch.from_numpy(np.array(v, dtype=np.float32))
        if isinstance(v, numbers.Real) and not isinstance(v, bool):
            return torch.tensor(float(v), dtype=torch.float32)
        raise _not_tensor(owner, prop, kind, v)

    return Converter(convert, "a numeric array", {"description": f"{kind} parameter: numeric array"})


def _not_tensor(owner: str, prop: str, kind: str, value) -> CustomLayerError:
    shown = type(value).__name__
    if isinstance(value, (str, numbers.Number, list, tuple)):
        shown += f" {format_value(value)}" if not isinstance(value, (list, tuple)) else ""
    return CustomLayerError(
        f"{owner}: {kind} parameter '{prop}' must be a numeric tensor (torch.Tensor, a NumPy numeric array or a "
        f"real number); got {shown}."
    )


# --------------------------------------------------------------------------------------------------
# MATLAB <-> torch data layouts


def _permutation(layout: Layout, ndim: int) -> list[int]:
    """torch dims -> MATLAB order: S..., C, N[, T]."""
    if layout.has_time:
        s = list(range(3, ndim))
        return s + [2, 0, 1]
    s = list(range(2, ndim))
    return s + [1, 0]


def torch_to_matlab(x: torch.Tensor, layout: Layout) -> torch.Tensor:
    """An activation in torch layout (N×[T×]C×S...) in MATLAB's layout (S...×C×N[×T])."""
    return x.permute(_permutation(layout, x.dim()))


def matlab_to_torch(x: torch.Tensor, layout: Layout) -> torch.Tensor:
    """The inverse of :func:`torch_to_matlab` for an activation of ``layout``."""
    perm = _permutation(layout, x.dim())
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return x.permute(inverse)


# --------------------------------------------------------------------------------------------------
# The base class


class CustomLayer(Layer):
    """Base class of custom intermediate layers (MATLAB ``nnet.layer.Layer``).

    Class attributes: ``MATLAB_NAME`` (the constructor name; defaults to the class name), ``TYPE``
    (defaults to the class name, as MATLAB displays an empty Type), ``DESCRIPTION`` (default
    Description), ``NUM_INPUTS``/``NUM_OUTPUTS`` (defaults 1), ``POSITIONAL`` (constructor arguments
    taken positionally, e.g. ``("NumChannels", "Name")``), ``DATA_LAYOUT`` ("torch" or "matlab").
    Declare properties with :class:`Property`, :class:`Learnable` and :class:`State`.

    Every custom layer has MATLAB's built-in properties Name, Description, NumInputs, InputNames,
    NumOutputs and OutputNames (settable; setting NumInputs to 3 names the inputs in1, in2, in3).
    """

    TYPE: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    DEFAULT_NAME: ClassVar[str] = "layer"
    FAMILY: ClassVar[str] = "custom"
    NUM_INPUTS: ClassVar[int] = 1
    NUM_OUTPUTS: ClassVar[int] = 1
    DATA_LAYOUT: ClassVar[str] = "torch"
    IS_CUSTOM: ClassVar[bool] = True
    EXAMPLE_BATCH: ClassVar[int] = 2     # batch size of the example run that infers output sizes
    EXAMPLE_TIME: ClassVar[int] = 3      # sequence length used when the input's is unknown

    _declared: ClassVar[dict] = {}

    # ---- class set-up ------------------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = {}
        for base in reversed(cls.__mro__[1:]):
            declared.update(getattr(base, "_declared", {}) or {})
        for key, value in list(cls.__dict__.items()):
            if isinstance(value, (Property, Learnable, State)):
                if not key.isidentifier() or key.startswith("_"):
                    raise CustomLayerError(f"{cls.__name__}: invalid property name {key!r}.")
                declared[key] = value
                delattr(cls, key)
        cls._declared = declared
        if "MATLAB_NAME" not in cls.__dict__:
            cls.MATLAB_NAME = cls.__name__
        if not cls.__dict__.get("TYPE"):
            cls.TYPE = cls.__name__
        if "CLASS_NAME" not in cls.__dict__:
            cls.CLASS_NAME = cls.__name__
        if cls.DATA_LAYOUT not in ("torch", "matlab"):
            raise CustomLayerError(f"{cls.__name__}: DATA_LAYOUT must be 'torch' or 'matlab', got {cls.DATA_LAYOUT!r}.")
        cls.OPTIONS = cls._custom_options()
        for reserved in ("predict", "forward", "backward", "initialize", "forwardLoss", "backwardLoss"):
            if reserved in declared:
                raise CustomLayerError(f"{cls.__name__}: '{reserved}' is a method name and cannot be a property.")
        cls._finalize_options()

    @classmethod
    def _custom_options(cls) -> tuple:
        opts = [
            Option("Description", _optional_text(), ""),
            Option("NumInputs", input_count(1), cls.NUM_INPUTS),
            Option("InputNames", _optional_names(), None),
            Option("NumOutputs", nonnegative_integer(), 0 if cls.IS_OUTPUT else cls.NUM_OUTPUTS),
            Option("OutputNames", _optional_names(), None),
        ]
        builtin = {o.name for o in opts} | {"Name"}
        for key, decl in cls._declared.items():
            if key in builtin:
                raise CustomLayerError(f"{cls.__name__}: '{key}' is a built-in layer property and cannot be redeclared.")
            if isinstance(decl, Property):
                default = decl.default
                opts.append(Option(key, _as_converter(decl.convert), default, required=decl.required, doc=decl.doc))
            elif isinstance(decl, Learnable):
                opts.append(Option(key, _tensor_converter(cls.__name__, key, "learnable"), None, learnable=True,
                                   doc=decl.doc))
                opts.append(Option(f"{key}LearnRateFactor", factor(), decl.learn_rate))
                opts.append(Option(f"{key}L2Factor", factor(), decl.l2))
            else:
                opts.append(Option(key, _tensor_converter(cls.__name__, key, "state"), None, state=True, doc=decl.doc))
        return tuple(opts)

    @classmethod
    def _convert(cls, opt: Option, value, layer_name: str = ""):
        if opt.learnable or opt.state:
            return opt.convert.convert(value)      # CustomLayerError names the class and the parameter
        return super()._convert(opt, value, layer_name)

    # ---- construction ------------------------------------------------------------------------------

    def __init__(self, *args, **kwargs):
        given_inputs = _given(type(self), args, kwargs, "InputNames")
        given_outputs = _given(type(self), args, kwargs, "OutputNames")
        super().__init__(*args, **kwargs)
        values = self._values
        if given_inputs and not _given(type(self), args, kwargs, "NumInputs") and values["InputNames"] is not None:
            values["NumInputs"] = len(values["InputNames"])
        if given_outputs and not _given(type(self), args, kwargs, "NumOutputs") and values["OutputNames"] is not None:
            values["NumOutputs"] = len(values["OutputNames"])
        for key, decl in self._declared.items():
            if isinstance(decl, (Learnable, State)) and values.get(key) is None and decl.value is not None:
                initial = decl.value(self) if callable(decl.value) else decl.value
                values[key] = self._convert(self.option(key), initial, self.Name)
        self._check()

    @classmethod
    def from_values(cls, values: dict) -> "CustomLayer":
        """A layer from stored property values (JSON spec, porter) without running any constructor code."""
        layer = object.__new__(cls)
        defaults = {name: opt.default for name, opt in cls.options().items()}
        stored = dict(defaults)
        for key, value in values.items():
            opt = cls.option(key)
            stored[opt.name] = cls._convert(opt, value)
        object.__setattr__(layer, "_values", stored)
        layer._check()
        return layer

    def _check(self) -> None:
        v = self._values
        for kind, count_key, names_key in (("input", "NumInputs", "InputNames"), ("output", "NumOutputs", "OutputNames")):
            names = v.get(names_key)
            if names is not None:
                if len(names) != v[count_key]:
                    raise CustomLayerError(
                        f"{self.label()} ({type(self).__name__}): {names_key} has {len(names)} names but "
                        f"{count_key} is {v[count_key]}."
                    )
                if len(set(names)) != len(names):
                    raise CustomLayerError(f"{self.label()} ({type(self).__name__}): {names_key} must be unique.")
        if self.IS_OUTPUT and v["NumOutputs"] != 0:
            raise CustomLayerError(f"{self.label()} ({type(self).__name__}): an output layer has no outputs (NumOutputs 0).")

    def __setattr__(self, name: str, value) -> None:
        if name in ("NumInputs", "NumOutputs"):
            names_key = "InputNames" if name == "NumInputs" else "OutputNames"
            old = (self._values[name], self._values[names_key])
            self._values[names_key] = None
            try:
                super().__setattr__(name, value)
            except LayerGraphError:
                self._values[name], self._values[names_key] = old
                raise
            return
        if name in ("InputNames", "OutputNames"):
            count_key = "NumInputs" if name == "InputNames" else "NumOutputs"
            names = self._convert(self.option(name), value, self.Name)
            old = (self._values[name], self._values[count_key])
            self._values[name] = names
            self._values[count_key] = len(names) if names is not None else old[1]
            try:
                self._check()
            except LayerGraphError:
                self._values[name], self._values[count_key] = old
                raise
            return
        super().__setattr__(name, value)

    def __getattr__(self, name: str):
        if name == "Description":
            values = self.__dict__.get("_values")
            if values is not None and not values.get("Description"):
                return self.description()
        if name in ("InputNames", "OutputNames"):
            values = self.__dict__.get("_values")
            if values is not None:
                return list(self.input_names() if name == "InputNames" else self.output_names())
        return super().__getattr__(name)

    def label(self) -> str:
        return f"{self.MATLAB_NAME} '{self.Name}'" if self.Name else self.MATLAB_NAME

    def who(self) -> str:
        """How errors name the layer: its label and its Python class."""
        return f"{self.label()} (class {type(self).__qualname__})"

    # ---- ports -------------------------------------------------------------------------------------

    def input_names(self) -> tuple:
        names = self._values.get("InputNames")
        if names is not None:
            return tuple(names)
        n = self._values.get("NumInputs", 1)
        return ("in",) if n == 1 else tuple(f"in{i}" for i in range(1, n + 1))

    def output_names(self) -> tuple:
        if self.IS_OUTPUT:
            return ()
        names = self._values.get("OutputNames")
        if names is not None:
            return tuple(names)
        n = self._values.get("NumOutputs", 1)
        return ("out",) if n == 1 else tuple(f"out{i}" for i in range(1, n + 1))

    # ---- display -----------------------------------------------------------------------------------

    def description(self) -> str:
        text = self._values.get("Description")
        if text:
            return text
        return self.DESCRIPTION or type(self).__name__

    def __str__(self) -> str:
        plain = [("Name", self.Name)]
        if self.NumInputs > 1:
            plain += [("NumInputs", self.NumInputs), ("InputNames", list(self.input_names()))]
        if not self.IS_OUTPUT and self.NumOutputs > 1:
            plain += [("NumOutputs", self.NumOutputs), ("OutputNames", list(self.output_names()))]
        learn, states = [], []
        for key, decl in self._declared.items():
            value = self._values.get(key)
            if isinstance(decl, Property):
                plain.append((key, value))
            elif isinstance(decl, Learnable):
                learn.append((key, value))
            else:
                states.append((key, value))
        from .base import _property_str

        def block(rows):
            width = max(len(k) for k, _ in rows)
            return [f"{k:>{width + 4}}: {_property_str(v)}" for k, v in rows]

        lines = [f"  {self.display_class_name()} with properties:", ""] + block(plain)
        lines += ["", "   Learnable Parameters"] + (block(learn) if learn else ["    No properties."])
        if not self.IS_OUTPUT:
            lines += ["", "   State Parameters"] + (block(states) if states else ["    No properties."])
        return "\n".join(lines)

    # ---- the MATLAB methods a subclass implements ------------------------------------------------

    def predict(self, *X):
        """The layer's computation (required): torch tensors in, the output tensor(s) out."""
        raise CustomLayerError(f"{self.who()} must define predict(self, *X).")

    def forward(self, *X):
        """Training-time computation (optional); defaults to predict."""
        return self.predict(*X)

    def initialize(self, *layouts: Layout) -> None:
        """Lazy initialization (optional): set empty learnables from the input layouts."""

    @classmethod
    def has_method(cls, name: str) -> bool:
        mine = getattr(cls, name, None)
        base = getattr(CustomLayer, name, None)
        return mine is not None and mine is not base

    @classmethod
    def defines_forward(cls) -> bool:
        return "forward" in _methods(cls)

    @classmethod
    def defines_backward(cls) -> bool:
        return "backward" in _methods(cls)

    # ---- learnables, initialization ---------------------------------------------------------------

    def tensor_names(self) -> list[str]:
        return self.learnable_names() + self.state_names()

    def resolved(self, inputs: list[Layout]) -> "CustomLayer":
        """A copy whose empty learnables and states are set by ``initialize(*layouts)``; checked."""
        layer = self.copy()
        missing = [p for p in self.tensor_names() if layer._values.get(p) is None]
        if missing:
            try:
                layer.initialize(*inputs)
            except LayerGraphError:
                raise
            except Exception as exc:  # the user's code failed: say where
                raise CustomLayerError(f"{self.who()}: initialize failed: {type(exc).__name__}: {exc}") from exc
        for p in self.tensor_names():
            value = layer._values.get(p)
            if value is None:
                kind = "learnable" if p in self.learnable_names() else "state"
                how = "define initialize(self, *layouts) to set it, or give it" if not missing or not \
                    self.has_method("initialize") else "initialize did not set it; give it"
                raise CustomLayerError(
                    f"{self.who()}: {kind} parameter '{p}' is empty; {how} an initial value (a numeric tensor)."
                )
            if not isinstance(value, torch.Tensor):
                raise _not_tensor(self.who(), p, "learnable", value)
        return layer

    def learnable_sizes(self, inputs: list[Layout]) -> dict[str, tuple]:
        if not self.learnable_names():
            return {}
        layer = self._resolved_quietly(inputs)
        return {p: tuple(layer._values[p].shape) for p in self.learnable_names()}

    def state_sizes(self, inputs: list[Layout]) -> dict[str, tuple]:
        if not self.state_names():
            return {}
        layer = self._resolved_quietly(inputs)
        return {p: tuple(layer._values[p].shape) for p in self.state_names()}

    def _resolved_quietly(self, inputs) -> "CustomLayer":
        """``resolved`` without moving the global random stream (analysis must not change training)."""
        if all(self._values.get(p) is not None for p in self.tensor_names()):
            return self.resolved(inputs)
        with torch.random.fork_rng(devices=[]):
            return self.resolved(inputs)

    def initial_value(self, prop: str, inputs: list[Layout]) -> torch.Tensor:
        return self.resolved(inputs)._values[prop]

    def resolve(self, inputs: list[Layout]) -> dict:
        """Plain properties that ``initialize`` sets (e.g. a NumChannels read from the layout)."""
        if not self.has_method("initialize") or all(self._values.get(p) is not None for p in self.tensor_names()):
            return {}
        layer = self._resolved_quietly(inputs)
        tensors = set(self.tensor_names())
        return {k: v for k, v in layer._values.items() if k not in tensors and not _same(v, self._values.get(k))}

    # ---- size rule: run predict on a small example -----------------------------------------------

    def example_inputs(self, inputs: list[Layout], batch: int | None = None, dtype=torch.float32,
                       generator: torch.Generator | None = None) -> list[torch.Tensor]:
        batch = batch or self.EXAMPLE_BATCH
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        xs = []
        for layout in inputs:
            shape = layout.torch_shape(batch, layout.time or self.EXAMPLE_TIME)
            xs.append(torch.randn(shape, generator=generator, dtype=dtype))
        return xs

    def infer(self, inputs: list[Layout]) -> list[Layout]:
        if len(inputs) != len(self.input_names()):
            raise CustomLayerError(f"{self.who()}: expected {len(self.input_names())} inputs, got {len(inputs)}.")
        layer = self._resolved_quietly(inputs)
        xs = self.example_inputs(inputs)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            outputs, _ = run_method(layer, "predict", xs, inputs)
        return [self._output_layout(y, inputs, i) for i, y in enumerate(outputs)]

    def _output_layout(self, y: torch.Tensor, inputs: list[Layout], index: int) -> Layout:
        like = inputs[0]
        batch = self.EXAMPLE_BATCH
        port = self.output_names()[index]
        if y.dim() < 2 or y.shape[0] != batch:
            raise CustomLayerError(
                f"{self.who()}: predict returned output '{port}' of size {times_str(y.shape)} for a batch of {batch} "
                f"observations; expected a tensor with the batch (N) first and at least N×C (torch layout)."
            )
        if like.has_time and y.dim() >= 3:
            example_t = like.time or self.EXAMPLE_TIME
            time = like.time if y.shape[1] == example_t else int(y.shape[1])
            return Layout(tuple(int(s) for s in y.shape[3:]), int(y.shape[2]), True, time)
        return Layout(tuple(int(s) for s in y.shape[2:]), int(y.shape[1]))

    # ---- torch implementation ------------------------------------------------------------------------

    def build(self, inputs: list[Layout]) -> nn.Module:
        return CustomLayerModule(self.resolved(inputs), inputs)


def _given(cls, args, kwargs, name: str) -> bool:
    if any(k.lower() == name.lower() for k in kwargs):
        return True
    return any(isinstance(a, str) and a.lower() == name.lower() for a in args)


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    try:
        return bool(a == b)
    except Exception:
        return False


def _methods(cls) -> set:
    """Method names a custom layer class (not the base classes) defines."""
    out = set()
    for klass in cls.__mro__:
        if klass in (CustomLayer, CustomOutputLayer, Layer, object):
            break
        out |= set(klass.__dict__)
    return out


# --------------------------------------------------------------------------------------------------
# Calling the user's methods with checks


def _as_outputs(result, count: int, who: str, method: str, states: int = 0) -> tuple[list, list]:
    several = isinstance(result, tuple) or (
        isinstance(result, list) and result and all(isinstance(v, torch.Tensor) for v in result))
    values = list(result) if several else [result]
    expected = count + states
    if len(values) != expected and not (states and len(values) == count):
        extra = f" and {states} state value{'s' if states != 1 else ''}" if states else ""
        raise CustomLayerError(
            f"{who}: {method} returned {len(values)} value{'s' if len(values) != 1 else ''}; expected {count} "
            f"output{'s' if count != 1 else ''}{extra}."
        )
    outs, new_states = values[:count], values[count:]
    for i, y in enumerate(values):
        if not isinstance(y, torch.Tensor):
            what = f"output {i + 1}" if i < count else f"state {i - count + 1}"
            raise CustomLayerError(
                f"{who}: {method} returned {type(y).__name__} as {what}; expected a torch.Tensor (use torch operations "
                f"on the inputs)."
            )
    return outs, new_states


def run_method(layer: CustomLayer, method: str, xs: list[torch.Tensor], layouts: list[Layout]):
    """Call ``predict``/``forward`` with the layer's data layout; check the outputs' count, type and dtype."""
    cls = type(layer)
    fn = getattr(layer, method)
    args = xs
    if cls.DATA_LAYOUT == "matlab":
        args = [torch_to_matlab(x, lay) for x, lay in zip(xs, layouts)]
    try:
        result = fn(*args)
    except LayerGraphError:
        raise
    except Exception as exc:
        raise CustomLayerError(f"{layer.who()}: {method} failed: {type(exc).__name__}: {exc}") from exc
    n_out = len(layer.output_names())
    outs, states = _as_outputs(result, n_out, layer.who(), method, len(layer.state_names()))
    if cls.DATA_LAYOUT == "matlab":
        outs = [matlab_to_torch(y, layouts[0]) if y.dim() == xs[0].dim() else y for y in outs]
    dtype = xs[0].dtype if xs else torch.float32
    for port, y in zip(layer.output_names(), outs):
        if y.dtype != dtype:
            raise CustomLayerError(
                f"{layer.who()}: {method} returned output '{port}' of type {_dtype(y.dtype)}; expected {_dtype(dtype)}, "
                f"the type of its input."
            )
    return outs, states


def _dtype(dtype) -> str:
    return str(dtype).replace("torch.", "")


class CustomLayerModule(nn.Module):
    """The torch module of a custom layer: learnables as parameters named after the properties, states as
    buffers; ``forward`` calls the layer's ``forward`` when training (if it defines one), else ``predict``,
    and goes through a ``torch.autograd.Function`` when the layer defines ``backward``."""

    def __init__(self, layer: CustomLayer, inputs: list[Layout]):
        super().__init__()
        values = dict(layer._values)
        for p in layer.learnable_names():
            self.register_parameter(p, nn.Parameter(values[p].clone().to(torch.float32)))
            values[p] = None
        for s in layer.state_names():
            self.register_buffer(s, values[s].clone().to(torch.float32))
            values[s] = None
        self._layer_class = type(layer)
        self._values = values
        self._layouts = list(inputs)
        self._learnables = list(layer.learnable_names())
        self._states = list(layer.state_names())
        self._custom_backward = type(layer).defines_backward()
        self._custom_forward = type(layer).defines_forward()

    def view(self, params=None) -> CustomLayer:
        """The layer as predict/forward/backward see it: its properties with the current tensors."""
        layer = object.__new__(self._layer_class)
        values = dict(self._values)
        for i, p in enumerate(self._learnables):
            values[p] = params[i] if params is not None else getattr(self, p)
        for s in self._states:
            values[s] = getattr(self, s)
        object.__setattr__(layer, "_values", values)
        return layer

    def method_name(self) -> str:
        return "forward" if self.training and self._custom_forward else "predict"

    def forward(self, *xs):
        if self._custom_backward:
            params = [getattr(self, p) for p in self._learnables]
            self._pending_states = None
            outs = _CustomBackward.apply(self, len(xs), *xs, *params)
            states = self._pending_states
            self._pending_states = None
        else:
            outs, states = run_method(self.view(), self.method_name(), list(xs), self._layouts)
        if states:
            with torch.no_grad():
                for s, value in zip(self._states, states):
                    getattr(self, s).copy_(value.detach().reshape(getattr(self, s).shape))
        if isinstance(outs, torch.Tensor):
            return outs
        return outs[0] if len(outs) == 1 else tuple(outs)

    def extra_repr(self) -> str:
        parts = [self._layer_class.__name__]
        parts += [f"{p}={tuple(getattr(self, p).shape)}" for p in self._learnables]
        if self._custom_backward:
            parts.append("custom backward")
        return ", ".join(parts)


def check_backward_result(layer: CustomLayer, grads, xs, params) -> list[torch.Tensor]:
    """The user's backward results, checked: one per input then one per learnable, each of its size and type."""
    who = layer.who()
    values = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    names = [f"dLd{port}" if len(xs) > 1 else "dLdX" for port in layer.input_names()]
    names += [f"dLd{p}" for p in layer.learnable_names()]
    expected = len(xs) + len(params)
    if len(values) != expected:
        raise CustomLayerError(
            f"{who}: backward returned {len(values)} value{'s' if len(values) != 1 else ''}; expected {expected} "
            f"({', '.join(names)}): one gradient per input, then one per learnable parameter."
        )
    out = []
    targets = list(xs) + list(params)
    for name, g, ref, i in zip(names, values, targets, range(expected)):
        what = "input" if i < len(xs) else f"learnable '{layer.learnable_names()[i - len(xs)]}'"
        if not isinstance(g, torch.Tensor):
            raise CustomLayerError(f"{who}: backward returned {type(g).__name__} as {name}; expected a torch.Tensor.")
        if tuple(g.shape) != tuple(ref.shape):
            raise CustomLayerError(
                f"{who}: backward returned {name} of size {times_str(g.shape) or 'scalar'}; expected "
                f"{times_str(ref.shape) or 'scalar'}, the size of the {what}."
            )
        if g.dtype != ref.dtype:
            raise CustomLayerError(
                f"{who}: backward returned {name} of type {_dtype(g.dtype)}; expected {_dtype(ref.dtype)}, the type of "
                f"the {what}."
            )
        out.append(g)
    return out


class _CustomBackward(torch.autograd.Function):
    """predict/forward with the layer's own backward."""

    @staticmethod
    def forward(ctx, module: CustomLayerModule, n_in: int, *args):
        xs, params = list(args[:n_in]), list(args[n_in:])
        layer = module.view(params)
        outs, states = run_method(layer, module.method_name(), xs, module._layouts)
        module._pending_states = states
        ctx.module = module
        ctx.n_in = n_in
        ctx.n_out = len(outs)
        ctx.save_for_backward(*xs, *params, *outs)
        return tuple(outs) if len(outs) > 1 else outs[0]

    @staticmethod
    def backward(ctx, *grad_outputs):
        saved = ctx.saved_tensors
        module, n_in, n_out = ctx.module, ctx.n_in, ctx.n_out
        n_params = len(saved) - n_in - n_out
        xs, params, outs = list(saved[:n_in]), list(saved[n_in:n_in + n_params]), list(saved[n_in + n_params:])
        layer = module.view(params)
        cls = type(layer)
        gz = list(grad_outputs)
        call_x, call_z, call_g = xs, outs, gz
        if cls.DATA_LAYOUT == "matlab":
            lay = module._layouts
            call_x = [torch_to_matlab(x, lay[i]) for i, x in enumerate(xs)]
            call_z = [torch_to_matlab(z, lay[0]) if z.dim() == xs[0].dim() else z for z in outs]
            call_g = [torch_to_matlab(g, lay[0]) if g.dim() == xs[0].dim() else g for g in gz]
        try:
            result = layer.backward(*call_x, *call_z, *call_g)
        except LayerGraphError:
            raise
        except Exception as exc:
            raise CustomLayerError(f"{layer.who()}: backward failed: {type(exc).__name__}: {exc}") from exc
        result = list(result) if isinstance(result, (tuple, list)) else [result]
        if cls.DATA_LAYOUT == "matlab" and len(result) == n_in + n_params:
            result = [matlab_to_torch(g, module._layouts[i]) if i < n_in and isinstance(g, torch.Tensor) else g
                      for i, g in enumerate(result)]
        grads = check_backward_result(layer, result, xs, params)
        return (None, None, *grads)


# --------------------------------------------------------------------------------------------------
# Custom output layers


class CustomOutputLayer(CustomLayer):
    """Base class of custom output (loss) layers (MATLAB ``nnet.layer.ClassificationLayer`` /
    ``nnet.layer.RegressionLayer``).

    Implement ``forwardLoss(self, Y, T)`` returning a scalar loss over the mini-batch (Y the
    predictions, T the targets of the same size, torch layout), and optionally
    ``backwardLoss(self, Y, T)`` returning dL/dY. ``TASK`` is "classification" (targets given as class
    indices are one-hot encoded to Y's size; the layer has a ``Classes`` property) or "regression"
    (a ``ResponseNames`` property).
    """

    IS_OUTPUT: ClassVar[bool] = True
    TASK: ClassVar[str] = "classification"
    DEFAULT_NAME: ClassVar[str] = "output"

    def __init_subclass__(cls, **kwargs):
        if cls.__dict__.get("TASK", cls.TASK) not in ("classification", "regression"):
            raise CustomLayerError(f"{cls.__name__}: TASK must be 'classification' or 'regression', got {cls.TASK!r}.")
        super().__init_subclass__(**kwargs)

    @classmethod
    def _custom_options(cls) -> tuple:
        from .options import string_list

        opts = list(super()._custom_options())
        opts = [o for o in opts if o.name not in ("NumOutputs", "OutputNames")]
        opts.append(Option("NumOutputs", nonnegative_integer(), 0, settable=False))
        opts.append(Option("OutputNames", _optional_names(), None, settable=False))
        extra = "Classes" if cls.TASK == "classification" else "ResponseNames"
        if extra not in cls._declared:
            opts.append(Option(extra, string_list(), "auto"))
        return tuple(opts)

    def infer(self, inputs: list[Layout]) -> list[Layout]:
        if self.TASK == "classification" and self.Classes != "auto" and inputs[0].channels != len(self.Classes):
            from ..errors import LayoutError

            raise LayoutError(
                f"Input size mismatch. The layer has {len(self.Classes)} classes, but its input has "
                f"{inputs[0].channels} channels."
            )
        return []

    def forwardLoss(self, Y, T):
        """The loss (required): a scalar tensor."""
        raise CustomLayerError(f"{self.who()} must define forwardLoss(self, Y, T).")

    @classmethod
    def defines_backward_loss(cls) -> bool:
        return "backwardLoss" in _methods(cls)

    def prepare_targets(self, Y: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
        """Targets of Y's size: class indices become one-hot along the channel dimension."""
        if T.shape == Y.shape:
            return T.to(Y.dtype)
        if self.TASK == "classification" and not torch.is_floating_point(T) or (
            self.TASK == "classification" and T.dim() == Y.dim() - 1
        ):
            dim = 2 if Y.dim() == 3 else 1
            hot = torch.nn.functional.one_hot(T.long(), Y.shape[dim]).to(Y.dtype)
            return hot.movedim(-1, dim) if dim != hot.dim() - 1 else hot
        if T.numel() == Y.numel():
            return T.to(Y.dtype).reshape(Y.shape)
        raise CustomLayerError(
            f"{self.who()}: targets of size {times_str(T.shape)} do not match predictions of size {times_str(Y.shape)}."
        )

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        T = self.prepare_targets(outputs, targets)
        if self.defines_backward_loss():
            return _CustomLoss.apply(self, outputs, T)
        return self._forward_loss(outputs, T)

    def _forward_loss(self, Y, T) -> torch.Tensor:
        try:
            value = self.forwardLoss(Y, T)
        except LayerGraphError:
            raise
        except Exception as exc:
            raise CustomLayerError(f"{self.who()}: forwardLoss failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            got = type(value).__name__ if not isinstance(value, torch.Tensor) else f"size {times_str(value.shape)}"
            raise CustomLayerError(f"{self.who()}: forwardLoss returned {got}; expected a scalar tensor.")
        return value.reshape(())

    def build(self, inputs):
        return CustomLossModule(self)

    def resolved(self, inputs):
        return self.copy()


class _CustomLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, layer: CustomOutputLayer, Y, T):
        ctx.layer = layer
        ctx.save_for_backward(Y, T)
        return layer._forward_loss(Y, T)

    @staticmethod
    def backward(ctx, grad):
        Y, T = ctx.saved_tensors
        layer = ctx.layer
        try:
            dY = layer.backwardLoss(Y, T)
        except LayerGraphError:
            raise
        except Exception as exc:
            raise CustomLayerError(f"{layer.who()}: backwardLoss failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(dY, torch.Tensor) or tuple(dY.shape) != tuple(Y.shape):
            got = type(dY).__name__ if not isinstance(dY, torch.Tensor) else f"size {times_str(dY.shape)}"
            raise CustomLayerError(
                f"{layer.who()}: backwardLoss returned {got}; expected dLdY of size {times_str(Y.shape)}, the size of Y."
            )
        return None, dY.to(Y.dtype) * grad, None


class CustomLossModule(nn.Module):
    """The output layer as a module: ``module(Y, T)`` is its loss."""

    def __init__(self, layer: CustomOutputLayer):
        super().__init__()
        self.layer = layer

    def forward(self, outputs, targets):
        return self.layer.loss(outputs, targets)


# --------------------------------------------------------------------------------------------------
# Registration and programmatic definition


def custom_layer(cls=None, *, name: str | None = None):
    """Class decorator registering a custom layer type (``@custom_layer`` or ``@custom_layer(name=...)``).

    The constructor name is ``name`` or the class's MATLAB_NAME (its class name by default). Registering
    a different class under a name already taken raises CustomLayerError naming both classes.
    """

    def wrap(klass):
        if not (isinstance(klass, type) and issubclass(klass, CustomLayer)):
            raise CustomLayerError(
                f"custom_layer: {getattr(klass, '__name__', klass)!r} is not a subclass of CustomLayer or CustomOutputLayer."
            )
        if name is not None:
            klass.MATLAB_NAME = name
        if not klass.has_method("predict") and not issubclass(klass, CustomOutputLayer):
            raise CustomLayerError(f"{klass.__qualname__}: a custom layer must define predict(self, *X).")
        if issubclass(klass, CustomOutputLayer) and "forwardLoss" not in _methods(klass):
            raise CustomLayerError(f"{klass.__qualname__}: a custom output layer must define forwardLoss(self, Y, T).")
        return register(klass)

    if cls is not None:
        return wrap(cls)
    return wrap


def define_custom_layer(class_name: str, *, predict: Callable | None = None, forward: Callable | None = None,
                        backward: Callable | None = None, initialize: Callable | None = None,
                        forwardLoss: Callable | None = None, backwardLoss: Callable | None = None,
                        properties: dict | None = None, learnables: dict | None = None, states: dict | None = None,
                        positional: tuple = (), type_name: str = "", description: Any = "",
                        num_inputs: int = 1, num_outputs: int = 1, data_layout: str = "torch",
                        output: str | None = None, matlab_name: str | None = None,
                        register_class: bool = True, module: str | None = None) -> type:
    """Create (and register) a custom layer class from parts: the route for generated code such as the
    MATLAB porter's translation of a ``classdef``.

    ``properties``/``learnables``/``states`` map names to :class:`Property`/:class:`Learnable`/:class:`State`
    declarations (or to plain default values); the methods are plain functions taking the layer first.
    ``description`` is a string or a function ``description(layer) -> str``. ``output`` is None for an
    intermediate layer, or "classification"/"regression" for an output layer.
    """
    namespace: dict[str, Any] = {
        "__doc__": f"Custom layer {class_name}.",
        "__module__": module or __name__,
        "TYPE": type_name,
        "POSITIONAL": tuple(positional),
        "DATA_LAYOUT": data_layout,
        "NUM_INPUTS": num_inputs,
        "NUM_OUTPUTS": num_outputs,
    }
    if matlab_name:
        namespace["MATLAB_NAME"] = matlab_name
    for table, kind in ((properties, Property), (learnables, Learnable), (states, State)):
        for key, decl in (table or {}).items():
            if not isinstance(decl, (Property, Learnable, State)):
                decl = Property(decl) if kind is Property else kind(decl)
            namespace[key] = decl
    for key, fn in (("predict", predict), ("forward", forward), ("backward", backward), ("initialize", initialize),
                    ("forwardLoss", forwardLoss), ("backwardLoss", backwardLoss)):
        if fn is not None:
            namespace[key] = fn
    if callable(description):
        namespace["description"] = lambda self, _f=description: str(_f(self))
    elif description:
        namespace["DESCRIPTION"] = str(description)
    if output is not None:
        namespace["TASK"] = output
        base: type = CustomOutputLayer
    else:
        base = CustomLayer
    cls = type(class_name, (base,), namespace)
    return custom_layer(cls) if register_class else cls


# --------------------------------------------------------------------------------------------------
# MATLAB's learn-rate and L2 factor functions (for any layer with factor properties)


def _factor_option(layer: Layer, parameter: str, kind: str, function: str) -> str:
    if not isinstance(layer, Layer):
        raise OptionError(f"{function}: the first argument must be a layer.")
    names = layer.learnable_names()
    match = next((n for n in names if n.lower() == str(parameter).lower()), None)
    if match is None:
        shown = ", ".join(f"'{n}'" for n in names) or "none"
        raise OptionError(
            f"{function}: '{parameter}' is not a learnable parameter of {layer.label()}. Learnable parameters: {shown}."
        )
    stem = {"Weights": "Weight"}.get(match, match)
    for candidate in (f"{match}{kind}", f"{stem}{kind}"):
        if candidate in layer.options():
            return candidate
    raise OptionError(f"{function}: {layer.label()} has no {kind} for '{match}'.")


def _single_layer(x):
    """A layer, or the one layer of a 1-by-1 layer array (MATLAB's ``layers(2)``)."""
    if isinstance(x, Layer):
        return x
    if isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], Layer):
        return x[0]
    items = getattr(x, "layers", None)
    if isinstance(items, (list, tuple)) and len(items) == 1 and isinstance(items[0], Layer):
        return items[0]
    return None


def _factor_target(function: str, target, args: tuple):
    """(layer, parameter name, rest, rebuild) for the MATLAB forms ``f(layer, param, ...)``,
    ``f(net, layerName, param, ...)`` and ``f(net, 'layerName/param', ...)``; ``rebuild(newLayer)`` gives
    the updated value (a layer, or the network/graph with that layer replaced)."""
    layer = _single_layer(target)
    if layer is not None:
        if not args:
            raise OptionError(f"{function}: not enough input arguments.")
        return layer, args[0], args[1:], lambda new: new
    graph = None
    from ..graph import LayerGraph

    if isinstance(target, LayerGraph):
        graph = target
    elif hasattr(target, "to_layer_graph"):
        graph = target.to_layer_graph()
    if graph is None:
        raise OptionError(f"{function}: the first argument must be a layer, a 1-by-1 layer array or a network.")
    if not args:
        raise OptionError(f"{function}: not enough input arguments.")
    first = str(args[0])
    if "/" in first:
        layer_name, parameter = first.split("/", 1)
        rest = args[1:]
    else:
        if len(args) < 2:
            raise OptionError(f"{function}: give the layer name and the parameter name (or 'layer/parameter').")
        layer_name, parameter, rest = first, args[1], args[2:]
    layer = graph.layer(layer_name)

    def rebuild(new):
        from ..graph import replaceLayer

        updated = replaceLayer(graph, layer_name, new)
        if isinstance(target, LayerGraph):
            return updated
        meta = getattr(target, "_lg", None)
        from ..network import assembleNetwork, dlnetwork

        return dlnetwork(updated) if getattr(meta, "kind", "") == "dlnetwork" else assembleNetwork(updated)

    return layer, parameter, rest, rebuild


def _set_factor(function: str, kind: str, target, args: tuple):
    layer, parameter, rest, rebuild = _factor_target(function, target, args)
    if len(rest) != 1:
        raise OptionError(f"{function}: expected one factor value.")
    prop = _factor_option(layer, parameter, kind, function)
    new = layer.copy()
    setattr(new, prop, rest[0])
    return rebuild(new)


def _get_factor(function: str, kind: str, target, args: tuple) -> float:
    layer, parameter, rest, _ = _factor_target(function, target, args)
    if rest:
        raise OptionError(f"{function}: too many input arguments.")
    return float(getattr(layer, _factor_option(layer, parameter, kind, function)))


@matlab_function(outputs=("layerUpdated",))
def setLearnRateFactor(layer, *args):
    """``layer = setLearnRateFactor(layer, parameterName, factor)``, ``net = setLearnRateFactor(net, layerName,
    parameterName, factor)`` or ``(net, 'layerName/parameterName', factor)``: a copy with the factor set (a
    1-by-1 layer array counts as its layer)."""
    return _set_factor("setLearnRateFactor", "LearnRateFactor", layer, args)


@matlab_function(outputs=("factor",))
def getLearnRateFactor(layer, *args) -> float:
    """``factor = getLearnRateFactor(layer, parameterName)`` or ``(net, layerName, parameterName)``."""
    return _get_factor("getLearnRateFactor", "LearnRateFactor", layer, args)


@matlab_function(outputs=("layerUpdated",))
def setL2Factor(layer, *args):
    """``layer = setL2Factor(layer, parameterName, factor)`` and the network forms of
    :func:`setLearnRateFactor`: a copy with the L2 factor set."""
    return _set_factor("setL2Factor", "L2Factor", layer, args)


@matlab_function(outputs=("factor",))
def getL2Factor(layer, *args) -> float:
    """``factor = getL2Factor(layer, parameterName)`` or ``(net, layerName, parameterName)``."""
    return _get_factor("getL2Factor", "L2Factor", layer, args)
