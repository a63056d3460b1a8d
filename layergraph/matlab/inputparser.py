"""MATLAB's ``inputParser`` for the interpreter: the argument parsing real network-building functions start with.

``p = inputParser; addRequired(p, 'numClasses'); addOptional(p, 'width', 16); addParameter(p, 'Dropout', 0.5,
@(x) x >= 0 && x < 1); p.KeepUnmatched = true; parse(p, varargin{:}); opts = p.Results;`` behaves as in
MATLAB: a handle object (the add* functions and parse change ``p`` itself), required then optional positional
arguments, then name-value pairs (names case-insensitive, unique prefixes accepted while PartialMatching is
true, a struct expands to its fields while StructExpand is true), validators (a function handle returning
true, or throwing) and MATLAB's error wording. ``Results``, ``Parameters`` and ``UsingDefaults`` list the
names in alphabetical order, as MATLAB does. Values the porter does not compute pass through unvalidated.
"""

from __future__ import annotations

import numpy as np

from ..errors import MatlabPortError
from .builtins import BUILTINS, builtin
from .values import Cell, FuncHandle, MString, Opaque, Struct


class InputParser:
    """A MATLAB ``inputParser`` (handle object)."""

    MATLAB_PROPERTIES = ("FunctionName", "CaseSensitive", "KeepUnmatched", "PartialMatching", "StructExpand",
                         "Parameters", "Results", "Unmatched", "UsingDefaults")
    MATLAB_SETTABLE = ("FunctionName", "CaseSensitive", "KeepUnmatched", "PartialMatching", "StructExpand")
    MATLAB_METHODS = ("addRequired", "addOptional", "addParameter", "addParamValue", "parse")

    def __init__(self):
        object.__setattr__(self, "_state", {
            "FunctionName": "", "CaseSensitive": False, "KeepUnmatched": False, "PartialMatching": True,
            "StructExpand": True, "Results": Struct({}), "Unmatched": Struct({}), "UsingDefaults": [],
        })
        object.__setattr__(self, "required", [])     # (name, validator)
        object.__setattr__(self, "optional", [])     # (name, default, validator)
        object.__setattr__(self, "parameters", [])   # (name, default, validator)

    def copy(self):
        return self      # a handle: setting a property changes the object every variable refers to

    def __getattr__(self, name):
        state = object.__getattribute__(self, "_state")
        if name == "Parameters":
            return Cell.row(sorted(self.names(), key=str.lower))
        if name == "UsingDefaults":
            return Cell.row(list(state["UsingDefaults"]))
        if name in state:
            value = state[name]
            return np.array([[value]]) if isinstance(value, bool) else value
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name not in self.MATLAB_SETTABLE:
            raise AttributeError(name)
        if name == "FunctionName":
            self._state[name] = str(value)
            return
        if isinstance(value, np.ndarray):
            if value.size != 1:
                raise ValueError(f"{name} must be a logical scalar")
            value = value.flat[0]
        self._state[name] = bool(value)

    def names(self) -> list:
        return [n for n, _ in self.required] + [n for n, _, _ in self.optional] + [n for n, _, _ in self.parameters]


def _text(interp, value, node, what: str) -> str:
    if isinstance(value, (str, MString)):
        return str(value)
    raise interp.error(node, f"{what} must be a character vector or string scalar")


def _parser(interp, args, node, fname: str) -> InputParser:
    if not args or not isinstance(args[0], InputParser):
        raise interp.error(node, f"{fname}: the first argument must be an inputParser object")
    return args[0]


def _add(interp, p: InputParser, name, node, fname):
    name = _text(interp, name, node, f"{fname}: the argument name")
    if not name.isidentifier():
        raise interp.error(node, f"{fname}: '{name}' is not a valid argument name")
    if any(n.lower() == name.lower() for n in p.names()):
        raise interp.error(node, f"{fname}: an argument named '{name}' already exists in the schema")
    return name


def _validator(interp, args, node, fname):
    if not args:
        return None
    if not isinstance(args[0], FuncHandle):
        raise interp.error(node, f"{fname}: the validation function must be a function handle")
    return args[0]


@builtin("inputParser", opaque_ok=True)
def _input_parser(interp, args, nargout, node):
    if args:
        raise interp.error(node, "Too many input arguments.")
    return [InputParser()]


@builtin("addRequired", opaque_ok=True)
def _add_required(interp, args, nargout, node):
    p = _parser(interp, args, node, "addRequired")
    if len(args) < 2:
        raise interp.error(node, "Not enough input arguments.")
    name = _add(interp, p, args[1], node, "addRequired")
    if p.optional or p.parameters:
        raise interp.error(node, "addRequired: required arguments must come before optional arguments and "
                                 "parameters")
    p.required.append((name, _validator(interp, args[2:], node, "addRequired")))
    return []


@builtin("addOptional", opaque_ok=True)
def _add_optional(interp, args, nargout, node):
    p = _parser(interp, args, node, "addOptional")
    if len(args) < 3:
        raise interp.error(node, "Not enough input arguments.")
    name = _add(interp, p, args[1], node, "addOptional")
    p.optional.append((name, args[2], _validator(interp, args[3:4], node, "addOptional")))
    return []


@builtin("addParameter", opaque_ok=True)
def _add_parameter(interp, args, nargout, node):
    p = _parser(interp, args, node, "addParameter")
    if len(args) < 3:
        raise interp.error(node, "Not enough input arguments.")
    name = _add(interp, p, args[1], node, "addParameter")
    rest = list(args[3:])
    validator = None
    if rest and isinstance(rest[0], FuncHandle):
        validator = rest.pop(0)
    # 'PartialMatchPriority', n is accepted (it only orders ambiguous prefixes)
    p.parameters.append((name, args[2], validator))
    return []


BUILTINS["addParamValue"] = _add_parameter


def _validate(interp, p: InputParser, name: str, value, validator, node) -> None:
    if validator is None or isinstance(value, Opaque):
        return
    try:
        out = interp.call_handle(validator, [value], 1, node)
    except MatlabPortError as exc:
        # a validator that throws: MATLAB reports its message for this argument
        text = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise interp.error(node, f"The value of '{name}' is invalid. {text}") from None
    result = out[0] if out else None
    if result is None or (isinstance(result, np.ndarray) and result.size == 0):
        return      # a validator with no output validates by throwing
    ok = isinstance(result, np.ndarray) and result.size >= 1 and bool(np.all(result != 0))
    if not ok and not isinstance(result, Opaque):
        text = getattr(validator, "text", None) or str(validator)
        raise interp.error(node, f"The value of '{name}' is invalid. It must satisfy the function: {text}.")


@builtin("parse", opaque_ok=True)
def _parse(interp, args, nargout, node):
    p = _parser(interp, args, node, "parse")
    values = list(args[1:])
    state = p._state
    case = state["CaseSensitive"]
    results: dict = {}
    unmatched: dict = {}
    pos = 0
    for name, validator in p.required:
        if pos >= len(values):
            raise interp.error(node, "Not enough input arguments.")
        _validate(interp, p, name, values[pos], validator, node)
        results[name] = values[pos]
        pos += 1
    param_names = [n for n, _, _ in p.parameters]

    def match(key: str):
        exact = [n for n in param_names if (n == key if case else n.lower() == key.lower())]
        if exact:
            return exact[0]
        if state["PartialMatching"]:
            pre = [n for n in param_names if (n.startswith(key) if case else n.lower().startswith(key.lower()))]
            if len(pre) == 1:
                return pre[0]
            if len(pre) > 1:
                raise interp.error(node, f"'{key}' matches multiple parameter names: {', '.join(pre)}. To avoid "
                                         "ambiguity, specify the complete name of the parameter.")
        return None

    for name, default, validator in p.optional:
        if pos >= len(values):
            break
        v = values[pos]
        if isinstance(v, (str, MString)) and param_names and match(str(v)) is not None:
            break       # the name-value pairs begin
        if isinstance(v, Struct) and state["StructExpand"] and param_names:
            break
        _validate(interp, p, name, v, validator, node)
        results[name] = v
        pos += 1
    rest = values[pos:]
    i = 0
    while i < len(rest):
        key = rest[i]
        if isinstance(key, Struct) and state["StructExpand"]:
            pairs = list(key.fields.items())
            i += 1
        else:
            if not isinstance(key, (str, MString)):
                if not param_names and not p.optional:
                    raise interp.error(node, "Too many input arguments.")
                raise interp.error(node, "Expected a string scalar or character vector for the parameter name.")
            if i + 1 >= len(rest):
                raise interp.error(node, f"No value was given for '{key}'. Name-value pair arguments require a "
                                         "name followed by a value.")
            pairs = [(str(key), rest[i + 1])]
            i += 2
        for k, v in pairs:
            name = match(k)
            if name is None:
                if state["KeepUnmatched"]:
                    unmatched[k] = v
                    continue
                raise interp.error(node, f"'{k}' is not a recognized parameter. For a list of valid name-value "
                                         "pair arguments, see the documentation for this function.")
            validator = next(val for n, _, val in p.parameters if n == name)
            _validate(interp, p, name, v, validator, node)
            results[name] = v
    defaults = []
    for name, default, _ in p.optional + p.parameters:
        if name not in results:
            results[name] = default
            defaults.append(name)
    state["Results"] = Struct({k: results[k] for k in sorted(results, key=str.lower)})
    state["Unmatched"] = Struct({k: unmatched[k] for k in sorted(unmatched, key=str.lower)})
    state["UsingDefaults"] = sorted(defaults, key=str.lower)
    return []


__all__ = ["InputParser"]
