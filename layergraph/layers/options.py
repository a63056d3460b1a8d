"""Typed option declarations for layers: MATLAB's value rules, normalisation and JSON schema in one place.

Each converter turns what a user (or a JSON spec, or a MATLAB script) gives into the canonical value
stored on the layer, or raises ``ValueError`` with a short "expected ..." text that the caller wraps
into an :class:`~layergraph.errors.OptionError` naming the layer and the option.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

MISSING = object()


def _is_text(value) -> bool:
    return isinstance(value, str)


def _as_flat_numbers(value) -> list:
    """Numbers from a Python scalar, list/tuple, numpy array or tensor, flattened; ValueError otherwise."""
    if isinstance(value, bool):
        return [int(value)]
    if isinstance(value, numbers.Number):
        return [value]
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().reshape(-1).tolist()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise ValueError("numeric values")
        return value.reshape(-1, order="F").tolist()
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, (list, tuple, np.ndarray, torch.Tensor)):
                out.extend(_as_flat_numbers(item))
            elif isinstance(item, numbers.Number) and not isinstance(item, bool):
                out.append(item)
            else:
                raise ValueError("numeric values")
        return out
    raise ValueError("numeric values")


def format_value(value) -> str:
    """A value as MATLAB would echo it in a message: [1 2], 'same', 0.5."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(format_value(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if callable(value):
        return getattr(value, "__name__", "function")
    return str(value)


@dataclass(frozen=True)
class Converter:
    """A value rule: ``convert(value) -> canonical``, a human description and a JSON schema fragment."""

    convert: Callable[[Any], Any]
    expected: str
    schema: dict = field(default_factory=dict)

    def __call__(self, value):
        from ..limits import LimitExceeded

        try:
            return self.convert(value)
        except LimitExceeded:
            raise
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"expected {self.expected}") from None


def _int_value(x) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Number):
        raise ValueError
    if isinstance(x, float) and not x.is_integer():
        raise ValueError
    if isinstance(x, complex):
        raise ValueError
    return int(x)


def _scalar(value):
    nums = _as_flat_numbers(value)
    if len(nums) != 1:
        raise ValueError
    return nums[0]


def positive_integer() -> Converter:
    def convert(v):
        n = _int_value(_scalar(v))
        if n < 1:
            raise ValueError
        return n

    return Converter(convert, "a positive integer", {"type": "integer", "minimum": 1})


def integer_between(low: int, high: int) -> Converter:
    def convert(v):
        n = _int_value(_scalar(v))
        if not low <= n <= high:
            raise ValueError
        return n

    return Converter(convert, f"a positive integer less than or equal to {high}" if low == 1
                     else f"an integer from {low} to {high}", {"type": "integer", "minimum": low, "maximum": high})


def nonnegative_integer() -> Converter:
    def convert(v):
        n = _int_value(_scalar(v))
        if n < 0:
            raise ValueError
        return n

    return Converter(convert, "a nonnegative integer", {"type": "integer", "minimum": 0})


def integer_at_least(low: int) -> Converter:
    def convert(v):
        n = _int_value(_scalar(v))
        if n < low:
            raise ValueError
        return n

    return Converter(convert, f"an integer greater than or equal to {low}", {"type": "integer", "minimum": low})


def input_count(low: int = 2) -> Converter:
    """A number of layer inputs: an integer >= ``low`` and within ``limits.max_layer_inputs``."""

    def convert(v):
        from ..limits import LimitExceeded, current, describe

        n = _int_value(_scalar(v))
        if n < low:
            raise ValueError
        if n > current().max_layer_inputs:
            raise LimitExceeded(f"{n:,} inputs exceed {describe('max_layer_inputs')}")
        return n

    return Converter(convert, f"an integer greater than or equal to {low}", {"type": "integer", "minimum": low})


def real_scalar(*, low=None, high=None, low_open=False, high_open=False, finite=True) -> Converter:
    parts = []
    if low is not None:
        parts.append(f"{'greater than' if low_open else 'at least'} {format_value(float(low))}")
    if high is not None:
        parts.append(f"{'less than' if high_open else 'at most'} {format_value(float(high))}")
    expected = "a finite real number" if finite else "a real number"
    if parts:
        expected += " " + " and ".join(parts)
    schema: dict = {"type": "number"}
    if low is not None:
        schema["exclusiveMinimum" if low_open else "minimum"] = low
    if high is not None:
        schema["exclusiveMaximum" if high_open else "maximum"] = high

    def convert(v):
        x = _scalar(v)
        if isinstance(x, complex):
            raise ValueError
        x = float(x)
        if math.isnan(x) or (finite and math.isinf(x)):
            raise ValueError
        if low is not None and (x <= low if low_open else x < low):
            raise ValueError
        if high is not None and (x >= high if high_open else x > high):
            raise ValueError
        return x

    return Converter(convert, expected, schema)


def boolean() -> Converter:
    def convert(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        x = _scalar(v)
        if x in (0, 1):
            return bool(x)
        raise ValueError

    return Converter(convert, "true or false (or 1 or 0)", {"type": "boolean"})


def text() -> Converter:
    def convert(v):
        if isinstance(v, str):
            return v
        if isinstance(v, np.str_):
            return str(v)
        raise ValueError

    return Converter(convert, "a character vector or string", {"type": "string"})


def choice(*values: str) -> Converter:
    lookup = {v.lower(): v for v in values}
    expected = "one of " + ", ".join(f"'{v}'" for v in values)

    def convert(v):
        if not isinstance(v, str) or v.lower() not in lookup:
            raise ValueError
        return lookup[v.lower()]

    return Converter(convert, expected, {"type": "string", "enum": list(values)})


def size_vector(n: int, *, minimum: int = 1, what: str = "positive integer") -> Converter:
    """A scalar (expanded to n elements, MATLAB's scalar expansion) or a vector of n integers."""
    expected = f"a {what} or a vector of {n} {what}s"

    def convert(v):
        nums = _as_flat_numbers(v)
        if len(nums) == 1:
            nums = nums * n
        if len(nums) != n:
            raise ValueError
        ints = tuple(_int_value(x) for x in nums)
        if any(i < minimum for i in ints):
            raise ValueError
        return ints

    item = {"type": "integer", "minimum": minimum}
    schema = {"anyOf": [item, {"type": "array", "items": item, "minItems": n, "maxItems": n}]}
    return Converter(convert, expected, schema)


def padding_2d(allow_same: bool = True) -> Converter:
    """MATLAB 2-D padding: p -> [p p p p]; [a b] -> [a a b b] (top/bottom, left/right); [t b l r]; 'same'."""
    expected = "a nonnegative integer, a vector [a b] or [t b l r] of nonnegative integers" + (
        ", or 'same'" if allow_same else ""
    )

    def convert(v):
        if isinstance(v, str):
            if allow_same and v.lower() == "same":
                return "same"
            raise ValueError
        nums = [_int_value(x) for x in _as_flat_numbers(v)]
        if any(x < 0 for x in nums):
            raise ValueError
        if len(nums) == 1:
            return (nums[0],) * 4
        if len(nums) == 2:
            return (nums[0], nums[0], nums[1], nums[1])
        if len(nums) == 4:
            return tuple(nums)
        raise ValueError

    item = {"type": "integer", "minimum": 0}
    alts: list = [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 4}]
    if allow_same:
        alts.append({"const": "same"})
    return Converter(convert, expected, {"anyOf": alts})


def numeric_array(*, finite: bool = False, low: float | None = None, low_open: bool = False) -> Converter:
    """A numeric array (learnable values, statistics) stored as a float32 tensor in MATLAB layout; [] -> None.

    Complex values are refused (MATLAB's learnables are real). ``finite`` refuses NaN and Inf; ``low``
    with ``low_open`` requires every element >= low (> low).
    """

    def convert(v):
        t = _numeric_tensor(v)
        if t is None:
            return None
        if finite and not bool(torch.isfinite(t).all()):
            raise ValueError
        if low is not None and bool((t <= low).any() if low_open else (t < low).any()):
            raise ValueError
        return t

    parts = ["a real numeric array (or [])"]
    if finite:
        parts.append("of finite values")
    if low is not None:
        parts.append(f"{'greater than' if low_open else 'at least'} {format_value(float(low))}")
    return Converter(
        convert,
        " ".join(parts),
        {"description": "numeric array in MATLAB layout; stored beside the spec, not inline"},
    )


def _numeric_tensor(v):
    """``v`` as a float32 tensor (None for [] and empty arrays); ValueError for complex or non-numeric values."""
    if v is None:
        return None
    if isinstance(v, torch.Tensor):
        if v.is_complex():
            raise ValueError
        t = v.detach().clone()
    elif isinstance(v, np.ndarray):
        if v.dtype.kind not in "biuf":
            raise ValueError
        t = torch.from_numpy(np.array(v, dtype=np.float64))
    elif isinstance(v, (list, tuple)):
        if len(v) == 0:
            return None
        t = torch.tensor(np.array(v, dtype=np.float64))
    elif isinstance(v, numbers.Number) and not isinstance(v, bool):
        t = torch.tensor(float(v))
    else:
        raise ValueError
    if t.numel() == 0:
        return None
    if t.is_complex():
        raise ValueError
    if not torch.is_floating_point(t):
        t = t.to(torch.float64)
    return t.to(torch.float32)


def initializer(*names: str) -> Converter:
    """An initializer name (case-insensitive) or a Python callable ``f(size) -> array``."""
    lookup = {n.lower(): n for n in names}
    expected = "one of " + ", ".join(f"'{n}'" for n in names) + ", or a function handle"

    def convert(v):
        if callable(v) and not isinstance(v, str):
            return v
        if isinstance(v, str) and v.lower() in lookup:
            return lookup[v.lower()]
        raise ValueError

    return Converter(convert, expected, {"type": "string", "enum": list(names)})


def factor() -> Converter:
    """A learn-rate or L2 factor: a nonnegative real scalar."""
    return real_scalar(low=0)


def either(*converters: Converter) -> Converter:
    expected = " or ".join(c.expected for c in converters)

    def convert(v):
        for c in converters:
            try:
                return c(v)
            except ValueError:
                continue
        raise ValueError

    return Converter(convert, expected, {"anyOf": [c.schema for c in converters]})


def auto_or(conv: Converter) -> Converter:
    """'auto' or a value of ``conv`` (NumChannels, InputSize, ...)."""

    def convert(v):
        if isinstance(v, str) and v.lower() == "auto":
            return "auto"
        return conv(v)

    return Converter(convert, f"'auto' or {conv.expected}", {"anyOf": [{"const": "auto"}, conv.schema]})


def string_list() -> Converter:
    """A cell array of character vectors / string array (Classes, ResponseNames) or 'auto'."""

    def convert(v):
        if isinstance(v, str):
            return v if v.lower() == "auto" else (v,)
        if isinstance(v, (list, tuple, np.ndarray)):
            return tuple(str(x) for x in v)
        raise ValueError

    return Converter(
        convert,
        "'auto' or a list of class names",
        {"anyOf": [{"const": "auto"}, {"type": "array", "items": {"type": "string"}}]},
    )


def vector_or_none(what: str = "a numeric vector") -> Converter:
    def convert(v):
        if isinstance(v, str) and v.lower() == "none":
            return "none"
        nums = _as_flat_numbers(v)
        if not nums:
            raise ValueError
        return tuple(float(x) for x in nums)

    return Converter(
        convert, f"'none' or {what}", {"anyOf": [{"const": "none"}, {"type": "array", "items": {"type": "number"}}]}
    )


@dataclass(frozen=True)
class Option:
    """One layer property: its MATLAB name, value rule and default.

    ``default`` is the canonical default value (after conversion); ``required`` options come from the
    constructor's positional arguments; ``learnable`` marks MATLAB-layout learnable values (Weights, Bias,
    ...) and ``state`` marks state values (TrainedMean, ...); ``settable=False`` options are read-only
    (derived, shown in properties, not accepted by the constructor).
    """

    name: str
    convert: Converter
    default: Any = None
    required: bool = False
    learnable: bool = False
    state: bool = False
    settable: bool = True
    doc: str = ""
