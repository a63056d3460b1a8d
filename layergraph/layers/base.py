"""The Layer base class, activation layouts, the layer registry and the generated MATLAB constructors.

One MATLAB layer type is one subclass of :class:`Layer`. The class declares its MATLAB constructor
name, Type string, default name, options (with MATLAB's defaults and value rules), ports, size rule,
learnables (MATLAB layout) and torch implementation. Registering it (``@register``) makes the MATLAB
constructor available to Python, the JSON spec and the MATLAB porter at once.
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import CustomLayerError, LayoutError, OptionError
from .options import MISSING, Option, format_value, text

TIMES = "×"


# --------------------------------------------------------------------------------------------------
# Activation layouts


@dataclass(frozen=True)
class Layout:
    """The size and format of one activation, as analyzeNetwork reports it.

    ``spatial`` holds the S dimensions in MATLAB order (H, W[, D]); ``channels`` is C; ``has_time``
    adds a T dimension whose length ``time`` may be unknown (None). B is never stored. The torch
    tensor of this layout is ``N × [T ×] C × spatial...`` (batch first, then time, then channels).
    """

    spatial: tuple = ()
    channels: int = 1
    has_time: bool = False
    time: int | None = None

    @property
    def format(self) -> str:
        return "S" * len(self.spatial) + "CB" + ("T" if self.has_time else "")

    @property
    def num_elements(self) -> int:
        """Elements per observation and time step (what a fully connected layer sees)."""
        return int(math.prod(self.spatial)) * self.channels

    def size_string(self) -> str:
        """``28(S) × 28(S) × 1(C) × 1(B)``, the analyzeNetwork activation column."""
        parts = [f"{s}(S)" for s in self.spatial] + [f"{self.channels}(C)", "1(B)"]
        if self.has_time:
            parts.append(f"{self.time if self.time is not None else 1}(T)")
        return f" {TIMES} ".join(parts)

    def matlab_size(self) -> str:
        """``24×254×256`` (per observation, as in MATLAB's size-mismatch messages)."""
        dims = list(self.spatial) + [self.channels]
        if self.has_time and self.time is not None:
            dims.append(self.time)
        return TIMES.join(str(d) for d in dims)

    def torch_shape(self, batch: int = 1, time: int | None = None) -> tuple:
        shape = [batch]
        if self.has_time:
            shape.append(time if time is not None else (self.time or 1))
        return tuple(shape + [self.channels] + list(self.spatial))

    def with_channels(self, channels: int) -> "Layout":
        return Layout(self.spatial, channels, self.has_time, self.time)

    def same_size(self, other: "Layout") -> bool:
        if self.has_time != other.has_time:
            return False
        time_ok = self.time is None or other.time is None or self.time == other.time
        return self.spatial == other.spatial and self.channels == other.channels and time_ok


def image_layout(h: int, w: int, c: int) -> Layout:
    return Layout((h, w), c)


def features_layout(c: int) -> Layout:
    return Layout((), c)


def sequence_layout(c: int, time: int | None = None, spatial: tuple = ()) -> Layout:
    return Layout(tuple(spatial), c, True, time)


# --------------------------------------------------------------------------------------------------
# Display helpers (MATLAB's num2str spacing and the Unicode times sign)


def num_str(x) -> str:
    """A number as MATLAB's num2str prints it: 0.01, 10, 1e-05."""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.5g}"


def vec_str(values: Iterable) -> str:
    """``[1  1]``: int2str of a row vector, two spaces between elements."""
    return "[" + "  ".join(num_str(v) for v in values) + "]"


def times_str(values: Iterable) -> str:
    """``5×5``."""
    return TIMES.join(num_str(v) for v in values)


# --------------------------------------------------------------------------------------------------
# Initializers (MATLAB layout; fan-in and fan-out as MATLAB defines them for the layer)


def initialize(
    initializer, shape: Sequence[int], fan_in: int, fan_out: int, *, layer: "Layer", prop: str, gate_rows: int = 0
) -> torch.Tensor:
    """Initial values for a learnable of MATLAB size ``shape`` with MATLAB's named initializers."""
    shape = tuple(int(s) for s in shape)
    if callable(initializer):
        value = initializer(shape)
        value = torch.as_tensor(np.asarray(value, dtype=np.float32))
        if tuple(value.shape) != shape and value.numel() == math.prod(shape):
            value = value.reshape(shape)
        if tuple(value.shape) != shape:
            raise OptionError(
                f"{layer.label()}: the {prop} initializer function returned an array of size "
                f"{times_str(value.shape)}; expected {times_str(shape)}."
            )
        return value.to(torch.float32)
    name = initializer.lower()
    if name == "glorot":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return (torch.rand(shape) * 2 - 1) * bound
    if name == "he":
        return torch.randn(shape) * math.sqrt(2.0 / fan_in)
    if name == "narrow-normal":
        return torch.randn(shape) * 0.01
    if name == "zeros":
        return torch.zeros(shape)
    if name == "ones":
        return torch.ones(shape)
    if name == "orthogonal":
        rows = shape[0]
        cols = int(math.prod(shape[1:])) if len(shape) > 1 else 1
        z = torch.randn(max(rows, cols), min(rows, cols), dtype=torch.float64)
        q, r = torch.linalg.qr(z, mode="reduced")
        q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
        if rows < cols:
            q = q.T
        return q.reshape(shape).to(torch.float32)
    if name == "unit-forget-gate":
        value = torch.zeros(shape)
        h = gate_rows
        blocks = shape[0] // (4 * h) if h else 0
        for b in range(blocks):
            value[b * 4 * h + h : b * 4 * h + 2 * h] = 1.0
        return value
    raise OptionError(f"{layer.label()}: unknown initializer {format_value(initializer)} for {prop}.")


# --------------------------------------------------------------------------------------------------
# Registry


REGISTRY: dict[str, type["Layer"]] = {}


def register(cls: type["Layer"]) -> type["Layer"]:
    """Class decorator: make ``cls.MATLAB_NAME`` a layer constructor everywhere (Python, JSON, porter)."""
    name = cls.MATLAB_NAME
    if not name or not name.isidentifier():
        raise CustomLayerError(f"{cls.__name__}: MATLAB_NAME must be a valid identifier, got {name!r}.")
    existing = REGISTRY.get(name)
    if existing is not None and existing is not cls:
        raise CustomLayerError(
            f"Layer type '{name}' is already registered by {existing.__module__}.{existing.__qualname__}; "
            f"cannot register {cls.__module__}.{cls.__qualname__} under the same name."
        )
    cls._finalize_options()
    REGISTRY[name] = cls
    return cls


def unregister(name: str) -> None:
    REGISTRY.pop(name, None)


def layer_class(name: str) -> type["Layer"]:
    """The layer class for a MATLAB constructor name (exact, then case-insensitive)."""
    if name in REGISTRY:
        return REGISTRY[name]
    lower = {k.lower(): v for k, v in REGISTRY.items()}
    if isinstance(name, str) and name.lower() in lower:
        return lower[name.lower()]
    hint = difflib.get_close_matches(str(name), list(REGISTRY), n=3)
    suggestion = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    raise OptionError(f"Unknown layer type '{name}'.{suggestion}")


def make_constructor(cls: type["Layer"]) -> Callable[..., "Layer"]:
    def constructor(*args, **kwargs):
        return cls(*args, **kwargs)

    constructor.__name__ = cls.MATLAB_NAME
    constructor.__qualname__ = cls.MATLAB_NAME
    constructor.__doc__ = cls.constructor_doc()
    constructor.layer_class = cls
    return constructor


def as_layer(item) -> "Layer":
    """A layer from a layer, a bare constructor (``reluLayer``) or a layer class; TypeError otherwise."""
    if isinstance(item, Layer):
        return item
    cls = getattr(item, "layer_class", None)
    if cls is None and isinstance(item, type) and issubclass(item, Layer):
        cls = item
    if cls is not None:
        return cls()
    raise TypeError(item)


# --------------------------------------------------------------------------------------------------
# The Layer base class


class _LayerMatlabNames:
    """``Layer.MATLAB_PROPERTIES`` / ``MATLAB_SETTABLE`` / ``MATLAB_METHODS`` of each layer class, derived
    from its registry options (plus the read-only Name/NumInputs/InputNames/... every layer has), so a
    MATLAB script reaches exactly the properties the MATLAB layer has (see layergraph/matlab/access.py)."""

    METHODS = ("setLearnRateFactor", "getLearnRateFactor", "setL2Factor", "getL2Factor")

    def __init__(self, kind: str):
        self.kind = kind

    def __get__(self, obj, cls):
        cache = cls.__dict__.get("_matlab_names")
        if cache is None:
            opts = cls.options()
            props = list(opts) + [d for d in cls.derived_properties() if d not in opts]
            cache = {"MATLAB_PROPERTIES": tuple(props),
                     "MATLAB_SETTABLE": tuple(n for n, o in opts.items() if o.settable),
                     "MATLAB_METHODS": self.METHODS}
            type.__setattr__(cls, "_matlab_names", cache)
        return cache[self.kind]


def _short_value(value, limit: int = 80) -> str:
    """A value for an error message, at most ``limit`` characters, one line, no control characters."""
    from ..textsafe import printable

    if isinstance(value, (torch.Tensor, np.ndarray)):
        return "an array"
    if isinstance(value, (list, tuple)) and len(value) > 16:
        return f"a list of {len(value)} values"
    if isinstance(value, Layer):
        return f"a {type(value).MATLAB_NAME} layer"
    try:
        text = printable(format_value(value))
    except Exception:  # an exotic object whose str() fails
        text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Layer:
    """A MATLAB layer: its options, ports, size rule, learnables and torch implementation.

    Properties are read and set with MATLAB's names (``layer.Name``, ``layer.Weights``). Learnable
    values are in MATLAB layout. Subclasses declare the class attributes below and override
    :meth:`infer`, :meth:`build` and, if they have learnables, :meth:`learnable_sizes`,
    :meth:`to_torch` and :meth:`from_torch`.
    """

    MATLAB_NAME: ClassVar[str] = ""
    CLASS_NAME: ClassVar[str] = ""  # MATLAB class, e.g. Convolution2DLayer (defaults to the Python name)
    TYPE: ClassVar[str] = ""
    DEFAULT_NAME: ClassVar[str] = "layer"
    OPTIONS: ClassVar[tuple] = ()
    POSITIONAL: ClassVar[tuple] = ()
    SYNTAX: ClassVar[str] = ""
    EXAMPLE: ClassVar[str] = ""  # a Python call building one, for the reference docs (default: no arguments)
    IS_INPUT: ClassVar[bool] = False
    IS_OUTPUT: ClassVar[bool] = False
    FAMILY: ClassVar[str] = ""
    # What MATLAB code may touch (derived from OPTIONS per class; see _LayerMatlabNames)
    MATLAB_PROPERTIES = _LayerMatlabNames("MATLAB_PROPERTIES")
    MATLAB_SETTABLE = _LayerMatlabNames("MATLAB_SETTABLE")
    MATLAB_METHODS = _LayerMatlabNames("MATLAB_METHODS")

    _options: ClassVar[dict]
    _options_lower: ClassVar[dict]

    # ---- class set-up ------------------------------------------------------------------------------

    @classmethod
    def _finalize_options(cls) -> None:
        opts = {"Name": Option("Name", text(), "")}
        for opt in cls.OPTIONS:
            opts[opt.name] = opt
        cls._options = opts
        cls._options_lower = {k.lower(): v for k, v in opts.items()}
        for p in cls.POSITIONAL:
            if p not in opts:
                raise CustomLayerError(f"{cls.__name__}: positional argument {p!r} is not an option.")

    @classmethod
    def options(cls) -> dict:
        if "_options" not in cls.__dict__:
            cls._finalize_options()
        return cls._options

    @classmethod
    def option(cls, name: str) -> Option:
        opt = cls.options().get(name) or cls._options_lower.get(str(name).lower())
        if opt is None:
            raise cls._unknown_option(name)
        return opt

    @classmethod
    def _unknown_option(cls, name) -> OptionError:
        settable = [o.name for o in cls.options().values() if o.settable]
        close = difflib.get_close_matches(str(name), settable, n=1, cutoff=0.6)
        if not close:
            close = [o for o in settable if o.lower() == str(name).lower()]
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return OptionError(
            f"{cls.MATLAB_NAME}: '{name}' is not an option of {cls.MATLAB_NAME}.{hint} "
            f"Valid options: {', '.join(settable)}."
        )

    @classmethod
    def constructor_doc(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        opts = [o for o in cls.options().values() if o.settable]
        lines = [doc, "", f"MATLAB: {cls.SYNTAX or cls.MATLAB_NAME + '(...)'}", "", "Options (MATLAB defaults):"]
        for o in opts:
            default = "required" if o.required else format_value(o.default) if o.default is not None else "[]"
            lines.append(f"  {o.name} = {default}  ({o.convert.expected})")
        return "\n".join(lines)

    @classmethod
    def example(cls) -> str:
        """A Python expression that builds one of these layers, e.g. ``convolution2dLayer(3, 16, Padding='same')``."""
        return cls.EXAMPLE or f"{cls.MATLAB_NAME}()"

    @classmethod
    def display_class_name(cls) -> str:
        return cls.CLASS_NAME or cls.__name__

    # ---- construction ------------------------------------------------------------------------------

    def __init__(self, *args, **kwargs):
        values = self._parse_arguments(args, kwargs)
        object.__setattr__(self, "_values", values)
        self._check()

    @classmethod
    def _is_option_name(cls, value) -> bool:
        cls.options()
        return isinstance(value, str) and value.lower() in cls._options_lower

    @classmethod
    def _parse_arguments(cls, args: tuple, kwargs: dict) -> dict:
        opts = cls.options()
        given: dict[str, Any] = {}
        args = list(args)
        i = 0
        for pname in cls.POSITIONAL:
            if i >= len(args):
                break
            arg = args[i]
            opt = opts[pname]
            if not opt.required and isinstance(arg, str) and (len(args) - i) % 2 == 0:
                # an optional positional never swallows a name: 'Name' (or a misspelled option) starts the pairs
                if cls._is_option_name(arg):
                    break
                try:
                    opt.convert(arg)
                except ValueError:
                    break
            given[pname] = arg
            i += 1
        rest = args[i:]
        if len(rest) % 2:
            bad = rest[-1] if not isinstance(rest[0], str) else rest[0]
            if len(rest) == 1 and not isinstance(rest[0], str):
                raise OptionError(
                    f"{cls.MATLAB_NAME}: too many positional arguments (got {format_value(rest[0])}). "
                    f"Syntax: {cls.SYNTAX or cls.MATLAB_NAME}."
                )
            raise OptionError(
                f"{cls.MATLAB_NAME}: name-value arguments must come in pairs (option {format_value(bad)} has no value)."
            )
        for j in range(0, len(rest), 2):
            key, value = rest[j], rest[j + 1]
            if not isinstance(key, str):
                raise OptionError(
                    f"{cls.MATLAB_NAME}: expected an option name at argument {i + j + 1}, got {format_value(key)}. "
                    f"Syntax: {cls.SYNTAX or cls.MATLAB_NAME}."
                )
            opt = cls.option(key)
            given[opt.name] = value
        for key, value in kwargs.items():
            opt = cls.option(key)
            given[opt.name] = value
        values: dict[str, Any] = {}
        for name, value in given.items():
            opt = opts[name]
            if not opt.settable:
                raise OptionError(f"{cls.MATLAB_NAME}: '{name}' is read-only and cannot be set.")
            values[name] = cls._convert(opt, value)
        for name, opt in opts.items():
            if name in values:
                continue
            if opt.required:
                raise OptionError(
                    f"{cls.MATLAB_NAME}: missing required argument '{name}'. Syntax: {cls.SYNTAX or cls.MATLAB_NAME}."
                )
            values[name] = opt.default
        return values

    @classmethod
    def _convert(cls, opt: Option, value, layer_name: str = ""):
        if opt.learnable or opt.state:
            if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
                return None
        try:
            return opt.convert(value)
        except ValueError as exc:
            who = f"{cls.MATLAB_NAME}" + (f" '{layer_name}'" if layer_name else "")
            shown = _short_value(value)
            raise OptionError(f"{who}: invalid value {shown} for option '{opt.name}': {exc}.") from None

    def _check(self) -> None:
        """Cross-option checks (override); raise OptionError via self.fail(...)."""

    def fail(self, message: str) -> OptionError:
        return OptionError(f"{self.label()}: {message}")

    # ---- property access ---------------------------------------------------------------------------

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        values = self.__dict__.get("_values")
        if values is None:
            raise AttributeError(name)
        if name in values:
            return values[name]
        derived = type(self).derived_properties()
        if name in derived:
            return derived[name](self)
        raise AttributeError(f"{self.display_class_name()} has no property '{name}'.")

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        opt = self.options().get(name)
        if opt is None:
            raise self._unknown_option(name)
        if not opt.settable:
            raise OptionError(f"{self.label()}: '{name}' is read-only and cannot be set.")
        converted = self._convert(opt, value, self.Name)
        old = self._values[name]
        self._values[name] = converted
        try:
            self._check()
        except OptionError:
            self._values[name] = old
            raise

    @classmethod
    def derived_properties(cls) -> dict:
        """Read-only computed properties (InputNames, NumInputs, ...)."""
        return {
            "InputNames": lambda self: list(self.input_names()),
            "OutputNames": lambda self: list(self.output_names()),
            "NumInputs": lambda self: len(self.input_names()),
            "NumOutputs": lambda self: len(self.output_names()),
            "Type": lambda self: self.TYPE,
            "Description": lambda self: self.description(),
        }

    def values(self) -> dict:
        return dict(self._values)

    def copy(self, **changes) -> "Layer":
        new = object.__new__(type(self))
        object.__setattr__(new, "_values", dict(self._values))
        for key, value in changes.items():
            new._values[key] = value
        return new

    def with_name(self, name: str) -> "Layer":
        return self.copy(Name=name)

    def __eq__(self, other) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        a, b = self._values, other._values
        if a.keys() != b.keys():
            return False
        for k in a:
            x, y = a[k], b[k]
            if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
                if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
                    return False
                if x.shape != y.shape or not torch.equal(x, y):
                    return False
            elif x != y:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def label(self) -> str:
        """How messages refer to this layer: ``convolution2dLayer 'conv1'`` or ``convolution2dLayer``."""
        from ..textsafe import printable

        return f"{self.MATLAB_NAME} '{printable(self.Name)}'" if self.Name else self.MATLAB_NAME

    # ---- ports -------------------------------------------------------------------------------------

    def input_names(self) -> tuple:
        return () if self.IS_INPUT else ("in",)

    def output_names(self) -> tuple:
        return () if self.IS_OUTPUT else ("out",)

    # ---- size rule, learnables, torch implementation ----------------------------------------------

    def infer(self, inputs: list[Layout]) -> list[Layout]:
        """Output layouts for the given input layouts, or LayoutError with a MATLAB-style message."""
        return [inputs[0]] * len(self.output_names())

    def learnable_sizes(self, inputs: list[Layout]) -> dict[str, tuple]:
        """MATLAB sizes of the learnables for these inputs (report, weight import, checks)."""
        return {}

    def state_sizes(self, inputs: list[Layout]) -> dict[str, tuple]:
        return {}

    def learnable_factors(self, prop: str) -> tuple[float, float]:
        """(learn-rate factor, L2 factor) of a learnable, from the layer's factor options."""
        lr = self._values.get(f"{prop}LearnRateFactor", self._values.get(f"{_factor_stem(prop)}LearnRateFactor", 1.0))
        l2 = self._values.get(f"{prop}L2Factor", self._values.get(f"{_factor_stem(prop)}L2Factor", 1.0))
        return (1.0 if lr is None else float(np.mean(lr)), 1.0 if l2 is None else float(np.mean(l2)))

    def build(self, inputs: list[Layout]) -> nn.Module:
        """The torch module computing this layer on torch-layout tensors (override)."""
        raise CustomLayerError(f"{type(self).__name__}: a layer class must implement build(inputs) -> nn.Module.")

    def to_torch(self, prop: str, value: torch.Tensor, inputs: list[Layout]) -> torch.Tensor:
        """A MATLAB-layout learnable/state value in the layout the torch module stores it."""
        return value

    def from_torch(self, prop: str, value: torch.Tensor, inputs: list[Layout]) -> torch.Tensor:
        """The inverse of :meth:`to_torch`."""
        return value

    def torch_attribute(self, prop: str) -> str:
        """Name of the module parameter/buffer that holds ``prop`` (override when it differs)."""
        return prop

    def resolve(self, inputs: list[Layout]) -> dict:
        """'auto' properties filled in from the input sizes (NumChannels, InputSize, ...)."""
        return {}

    def initial_value(self, prop: str, inputs: list[Layout]) -> torch.Tensor:
        """Initial value of a learnable/state left empty, in MATLAB layout (override per layer)."""
        raise CustomLayerError(
            f"{type(self).__name__}: no initial value for {prop}; the class must implement initial_value(prop, inputs)."
        )

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Output layers: the loss MATLAB computes, normalised as MATLAB does (override)."""
        raise CustomLayerError(f"{type(self).__name__}: an output layer class must implement loss(outputs, targets).")

    def learnable_names(self) -> list[str]:
        return [o.name for o in self.options().values() if o.learnable]

    def state_names(self) -> list[str]:
        return [o.name for o in self.options().values() if o.state]

    # ---- display -----------------------------------------------------------------------------------

    def description(self) -> str:
        return self.TYPE

    # MATLAB's grouped property display (``disp(layer)``). A class declares where its properties go:
    # DISPLAY_TOP lists the properties shown under Name before any group header (port rows, NumChannels,
    # Classes, ...); DISPLAY_HIDDEN the options MATLAB keeps behind "Show all properties" besides the
    # initializers and learn-rate/L2 factors (hidden for every layer); DISPLAY_HYPERPARAMETERS, when set,
    # the exact Hyperparameters rows (derived properties such as PaddingMode, LossFunction included).
    # DISPLAY_GROUPS, when set, replaces the derivation entirely: ((header, (names...)), ...), header ""
    # for the ungrouped rows under the class line.
    DISPLAY_TOP: ClassVar[tuple] = ()
    DISPLAY_HIDDEN: ClassVar[tuple] = ()
    DISPLAY_HYPERPARAMETERS: ClassVar[tuple | None] = None
    DISPLAY_GROUPS: ClassVar[tuple | None] = None
    SHOW_ALL_FOOTER = "  Show all properties"

    @classmethod
    def _hidden_by_default(cls, name: str) -> bool:
        return name.endswith(("Initializer", "LearnRateFactor", "L2Factor")) or name in cls.DISPLAY_HIDDEN

    def display_groups(self) -> list[tuple[str, list[str]]]:
        """The property groups of MATLAB's display: ``[("", [...]), ("Hyperparameters", [...]), ...]``."""
        if self.DISPLAY_GROUPS is not None:
            return [(header, list(names)) for header, names in self.DISPLAY_GROUPS]
        opts = self.options()
        top = ["Name"]
        if not self.IS_INPUT and len(self.input_names()) > 1:
            top += ["NumInputs", "InputNames"]
        if len(self.output_names()) > 1:
            top += ["NumOutputs", "OutputNames"]
        top += [n for n in self.DISPLAY_TOP if n not in top]
        learn = [o.name for o in opts.values() if o.learnable]
        state = [o.name for o in opts.values() if o.state and o.name not in top]
        derived = type(self).derived_properties()
        if self.IS_OUTPUT and self.DISPLAY_HYPERPARAMETERS is None:
            # output layers: Classes/ClassWeights/ResponseNames and OutputSize under Name, the loss alone
            # under Hyperparameters (ClassificationOutputLayer / RegressionOutputLayer displays)
            top += [o.name for o in opts.values()
                    if o.name not in top and not (o.learnable or o.state or self._hidden_by_default(o.name))]
            top += ["OutputSize"] if "OutputSize" in derived and "OutputSize" not in top else []
            hyper = ["LossFunction"] if "LossFunction" in derived else []
        elif self.DISPLAY_HYPERPARAMETERS is not None:
            hyper = [n for n in self.DISPLAY_HYPERPARAMETERS if n not in top]
        else:
            hyper = []
            for o in opts.values():
                if o.name in top or o.learnable or o.state or self._hidden_by_default(o.name):
                    continue
                if o.name == "Padding" and "PaddingMode" in derived:
                    hyper += ["PaddingMode", "PaddingSize"]
                    continue
                hyper.append(o.name)
        groups = [("", top)]
        for header, names in (("Hyperparameters", hyper), ("Learnable Parameters", learn), ("State Parameters", state)):
            if names:
                groups.append((header, names))
        return groups

    def display_hides_properties(self) -> bool:
        """True when some property is not in the display (MATLAB then prints its "Show all properties" link)."""
        shown = {n for _, names in self.display_groups() for n in names}
        return any(name not in shown for name in self.options())

    def display_value(self, name: str) -> str:
        """One property as MATLAB's display shows it (names lists are cell arrays: ``{}`` when empty)."""
        value = getattr(self, name)
        if name.endswith("Names") and isinstance(value, (list, tuple)) and not value:
            return "{}"
        return matlab_display_value(value)

    def __str__(self) -> str:
        """MATLAB's display of the layer object (``disp(layer)``): class line, grouped properties, footer."""
        from ..textsafe import printable

        groups = [(h, names) for h, names in self.display_groups() if names or not h]
        width = max(len(n) for _, names in groups for n in names)
        lines = [f"  {self.display_class_name()} with properties:", ""]
        for i, (header, names) in enumerate(groups):
            if header:
                if i:
                    lines.append("")
                lines.append(f"   {header}")
            for name in names:
                lines.append(f"{name:>{width + 4}}: {printable(self.display_value(name))}")
        if self.display_hides_properties():
            lines += ["", self.SHOW_ALL_FOOTER]
        return "\n".join(lines)

    __repr__ = __str__


def _format_short(x: float) -> str:
    """A real scalar in MATLAB's ``format short``: 16, 0.5000, 1.0000e-04, 1.2346e+03."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x.is_integer() and abs(x) < 1e9:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.4f}"
    return f"{x:.4e}"


def matlab_display_value(value) -> str:
    """A property value as MATLAB's object display shows it: 'text', 16, 0.5000, [3 3], {'in1'  'in2'},
    [5×5×1×20 single], [] (empty), 0/1 (logical), @fun (function handle)."""
    if value is None:
        return "[]"
    if isinstance(value, torch.Tensor):
        if value.numel() == 0:
            return "[]"
        dims = tuple(value.shape) if value.dim() >= 2 else (value.numel(), 1)
        kind = "single" if value.dtype == torch.float32 else "double" if value.dtype == torch.float64 else str(value.dtype).replace("torch.", "")
        return f"[{times_str(dims)} {kind}]"
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return "[]"
        if value.ndim <= 1 and value.size <= 8 and value.dtype.kind in "biuf":
            return matlab_display_value(value.tolist())
        dims = value.shape if value.ndim >= 2 else (value.size, 1)
        kind = {"float32": "single", "float64": "double"}.get(str(value.dtype), str(value.dtype))
        return f"[{times_str(dims)} {kind}]"
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _format_short(float(value))
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return "{}" if isinstance(value, list) else "[]"
        if all(isinstance(v, str) for v in value):
            return "{" + "  ".join(f"'{v}'" for v in value) + "}"
        if all(isinstance(v, (list, tuple)) for v in value):   # a matrix: MATLAB shows its size and class
            return f"[{len(value)}×{max(len(v) for v in value)} double]"
        if len(value) > 8:
            return f"[1×{len(value)} double]"
        return "[" + " ".join(_element(v) for v in value) + "]"
    if callable(value):
        return "@" + getattr(value, "__name__", "function")
    return str(value)


def _element(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _format_short(float(v))
    return str(v)


def _factor_stem(prop: str) -> str:
    return {"Weights": "Weight", "Bias": "Bias"}.get(prop, prop)


def _element_str(v) -> str:
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        return num_str(v)
    return _property_str(v)


def _property_str(value) -> str:
    if value is None:
        return "[]"
    if isinstance(value, torch.Tensor):
        dims = tuple(value.shape) if value.dim() >= 2 else (value.numel(), 1)
        return f"[{times_str(dims)} single]"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return "{" + "  ".join(f"'{v}'" for v in value) + "}"
        if value and all(isinstance(v, (list, tuple)) for v in value):   # a matrix: rows separated by ';'
            return "[" + "; ".join(" ".join(_element_str(v) for v in row) for row in value) + "]"
        return "[" + " ".join(_element_str(v) for v in value) + "]"
    if callable(value):
        return "@" + getattr(value, "__name__", "function")
    if isinstance(value, (int, float)):
        return num_str(value)
    return str(value)


# --------------------------------------------------------------------------------------------------
# Shared torch pieces


class LayoutFold(nn.Module):
    """Apply a module written for ``N × C × spatial`` to ``N × T × C × spatial`` by folding T into N."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        n, t = x.shape[0], x.shape[1]
        y = self.inner(x.reshape((n * t,) + tuple(x.shape[2:])))
        return y.reshape((n, t) + tuple(y.shape[1:]))


def require_inputs(layer: Layer, inputs: list[Layout], *, spatial: int | None = None, time: bool | None = None,
                   what: str = "") -> Layout:
    """The single input layout, checked for the number of S dimensions / presence of T."""
    x = inputs[0]
    if spatial is not None and len(x.spatial) != spatial:
        raise LayoutError(
            f"Invalid input data. The layer expects {what or f'input with {spatial} spatial dimensions'}, "
            f"but received input with format '{x.format}'."
        )
    if time is not None and x.has_time != time:
        raise LayoutError(
            f"Invalid input data. The layer expects {what or ('sequence' if time else 'non-sequence') + ' input'}, "
            f"but received input with format '{x.format}'."
        )
    return x


def learnable_values(layer: Layer, inputs) -> dict:
    """Torch-layout tensors for each learnable/state: the layer's MATLAB values (size-checked) or initial ones."""
    expected = dict(layer.learnable_sizes(inputs))
    expected.update(layer.state_sizes(inputs))
    out = {}
    for prop, shape in expected.items():
        value = layer._values.get(prop)
        if value is None:
            value = layer.initial_value(prop, inputs)
        else:
            value = value.to(torch.float32)
            if tuple(value.shape) != tuple(shape) and not (
                    prop in getattr(layer, "RESIZABLE_STATE", ()) and value.dim() == 2 and value.shape[0] == shape[0]):
                if value.numel() == math.prod(shape) and _squeezed(value.shape) == _squeezed(shape):
                    value = value.reshape(shape)
                else:
                    raise LayoutError(
                        f"Invalid {prop} size. Expected {times_str(shape)}, but {prop} has size {times_str(value.shape)}."
                    )
        # a copy: training must never write into the tensors held by the user's layer objects
        out[prop] = layer.to_torch(prop, value, inputs).to(torch.float32).clone().contiguous()
    return out


def _squeezed(shape) -> tuple:
    return tuple(int(s) for s in shape if s != 1)



__all__ = [
    "learnable_values",
    "Layer",
    "Layout",
    "REGISTRY",
    "register",
    "unregister",
    "layer_class",
    "make_constructor",
    "as_layer",
    "initialize",
    "num_str",
    "matlab_display_value",
    "vec_str",
    "times_str",
    "image_layout",
    "features_layout",
    "sequence_layout",
    "LayoutFold",
    "require_inputs",
    "MISSING",
]
