"""Name-value options for the dl functions: MATLAB pairs (case-insensitive) or Python keywords."""

from __future__ import annotations

from ..errors import OptionError


def parse_options(function: str, args, kwargs, spec: dict, *, trailing: bool = True):
    """Split ``args`` into positional arguments and the trailing ``'Name', value`` pairs.

    ``spec`` maps lower-case names to ``(MatlabName, default)``. Returns (positional, options dict keyed
    by MATLAB names). Unknown names raise :class:`OptionError` listing the valid ones.
    """
    if not kwargs and not any(isinstance(a, str) for a in args):
        return list(args), {name: default for name, default in spec.values()}
    args = list(args)
    cut = len(args)
    if trailing:
        i = 0
        while i < len(args):
            a = args[i]
            if isinstance(a, str) and a.lower() in spec:
                cut = i
                break
            i += 1
    positional, pairs = args[:cut], args[cut:]
    if len(pairs) % 2:
        raise OptionError(f"{function}: name-value arguments must come in pairs.")
    opts = {name: default for name, default in spec.values()}
    if not pairs and not kwargs:
        return positional, opts
    for key, value in list(zip(pairs[::2], pairs[1::2])) + list(kwargs.items()):
        entry = spec.get(str(key).lower()) if isinstance(key, str) else None
        if entry is None:
            valid = ", ".join(f"'{name}'" for name, _ in spec.values())
            raise OptionError(f"{function}: '{key}' is not a recognized parameter. Valid parameters: {valid}.")
        opts[entry[0]] = value
    return positional, opts


__all__ = ["parse_options"]
