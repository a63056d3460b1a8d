"""Name-value arguments the MATLAB way for the data functions: names case-insensitive, Python keywords too."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import OptionError


def name_value(function: str, args, kwargs: Mapping, defaults: Mapping) -> dict:
    """Merge ``'Name', value`` pairs in ``args`` and keywords into ``defaults`` (MATLAB names as keys).

    Unknown names raise OptionError naming the option and listing the valid ones.
    """
    args = list(args)
    if len(args) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs (got {len(args)} values).")
    lookup = {k.lower(): k for k in defaults}
    out = dict(defaults)
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        if not isinstance(key, str):
            raise OptionError(f"{function}: expected an option name, got {key!r}.")
        name = lookup.get(key.lower())
        if name is None:
            raise OptionError(f"{function}: '{key}' is not a recognized parameter. Valid parameters: "
                              + ", ".join(f"'{k}'" for k in defaults) + ".")
        out[name] = value
    return out


def logical(function: str, name: str, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.reshape(-1)[0] in (0, 1):
        return bool(value.reshape(-1)[0])
    raise OptionError(f"{function}: '{name}' must be true or false, got {value!r}.")


def choice(function: str, name: str, value, allowed) -> str:
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise OptionError(f"{function}: '{name}' must be one of " + ", ".join(f"'{a}'" for a in allowed)
                      + f", got {value!r}.")


def text_list(function: str, name: str, value) -> list[str]:
    """A char vector, string, or cell/list of them -> list of str."""
    if isinstance(value, str):
        return [value]
    if hasattr(value, "items") and callable(value.items) and not isinstance(value, Mapping):   # porter Cell
        value = value.items()
    if isinstance(value, np.ndarray):
        value = value.reshape(-1).tolist()
    try:
        items = list(value)
    except TypeError:
        raise OptionError(f"{function}: '{name}' must be text or a list of text, got {value!r}.") from None
    if not all(isinstance(v, str) for v in items):
        raise OptionError(f"{function}: '{name}' must be text or a list of text, got {value!r}.")
    return items


def numbers(function: str, name: str, value, count=None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise OptionError(f"{function}: '{name}' must be numeric, got {value!r}.") from None
    if count is not None and arr.size not in ((count,) if isinstance(count, int) else count):
        raise OptionError(f"{function}: '{name}' must have {count} elements, got {arr.size}.")
    return arr
