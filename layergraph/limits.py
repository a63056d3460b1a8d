"""Resource limits: the bounds that turn hostile or mistaken inputs into clear errors, not hours or OOM.

MATLAB has no such limits (it runs until memory is exhausted); layergraph refuses early, naming the
limit, so a JSON spec, a weights file or a MATLAB script cannot make it allocate or loop without end.
Every default can be changed for the whole process, for a block of code, or from the environment:

* ``layergraph.limits.set_limits(max_layer_inputs=100_000)`` — for the rest of the process;
* ``with layergraph.limits.limits(max_array_elements=10**10): ...`` — inside the block only;
* environment variables ``LAYERGRAPH_MAX_LAYER_INPUTS=100000`` etc. (read at import).

=========================  ==================  ==========================================================
limit                      default             what it bounds
=========================  ==================  ==========================================================
``max_layer_inputs``       65,536              ``NumInputs`` of a combination layer (additionLayer,
                                               concatenationLayer, depthConcatenationLayer,
                                               multiplicationLayer, weightedAdditionLayer)
``max_network_nesting``    8                   networkLayer inside networkLayer ... (levels)
``max_array_elements``     1,000,000,000       elements of one learnable or state array and of one
                                               activation of one observation, checked by analysis
                                               (so before anything is allocated)
``max_weights_bytes``      8 GiB               size of a safetensors weights file a spec references
                                               (checked from the file's header before reading)
``max_porter_elements``    100,000,000         elements of one array the MATLAB porter allocates (ones,
                                               zeros, rand, repmat, ranges; ``--max-elements``)
=========================  ==================  ==========================================================
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os

from .errors import LayerGraphError


class LimitError(LayerGraphError):
    """A size or count exceeds one of layergraph's resource limits (see :mod:`layergraph.limits`)."""


class LimitExceeded(ValueError):
    """Raised by option converters for a value over a limit; its text is kept in the OptionError."""


@dataclasses.dataclass(frozen=True)
class Limits:
    max_layer_inputs: int = 65_536
    max_network_nesting: int = 8
    max_array_elements: int = 1_000_000_000
    max_weights_bytes: int = 8 * 2**30
    max_porter_elements: int = 100_000_000


def _from_environment() -> Limits:
    values = {}
    for f in dataclasses.fields(Limits):
        text = os.environ.get("LAYERGRAPH_" + f.name.upper())
        if text:
            try:
                values[f.name] = int(float(text))
            except ValueError:
                raise LimitError(f"environment variable LAYERGRAPH_{f.name.upper()}={text!r} is not a number") from None
    return Limits(**values)


_DEFAULT = _from_environment()
_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("layergraph_limits", default=None)


def current() -> Limits:
    """The limits in force."""
    return _CURRENT.get() or _DEFAULT


def _checked(changes: dict) -> dict:
    names = {f.name for f in dataclasses.fields(Limits)}
    for key, value in changes.items():
        if key not in names:
            raise LimitError(f"'{key}' is not a layergraph limit; the limits are: {', '.join(sorted(names))}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise LimitError(f"limit {key} must be a positive integer, got {value!r}")
    return changes


def set_limits(**changes) -> Limits:
    """Change limits for the whole process (``set_limits(max_layer_inputs=100_000)``); returns the new set."""
    global _DEFAULT
    _DEFAULT = dataclasses.replace(_DEFAULT, **_checked(changes))
    return _DEFAULT


@contextlib.contextmanager
def limits(**changes):
    """``with limits(max_array_elements=10**10): ...`` — changed limits inside the block only."""
    token = _CURRENT.set(dataclasses.replace(current(), **_checked(changes)))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


def describe(name: str) -> str:
    """'the limit max_layer_inputs = 65,536' with how to change it, for error messages."""
    return (f"layergraph's limit {name} = {getattr(current(), name):,} (change it with "
            f"layergraph.limits.set_limits({name}=...) or LAYERGRAPH_{name.upper()})")


__all__ = ["Limits", "LimitError", "LimitExceeded", "current", "set_limits", "limits", "describe"]
