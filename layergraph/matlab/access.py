"""What MATLAB code may see and touch: the one place the interpreter asks before it reads a field,
writes a field, calls a method or hands a Python value to a script.

MATLAB code sees only MATLAB values — numeric and logical arrays, char and string text, cells,
structs, layer arrays, function handles of the script or the registry — and the project's own objects,
each through the allow-list its class declares:

* ``MATLAB_PROPERTIES`` — the MATLAB property names MATLAB code may read (``lgraph.Layers``);
* ``MATLAB_SETTABLE`` — the subset it may assign (``layer.Name = 'fc'``, validated by the class);
* ``MATLAB_METHODS`` — MATLAB functions it may call as ``obj.method(...)`` (dispatched to the one
  registry of MATLAB functions, never to a Python method).

Nothing else is reachable: no Python attribute, dunder name, bound method or internal state. Every
value a registered function or a property returns passes through :func:`to_matlab`, which converts
it to a MATLAB value or refuses it. Field names follow MATLAB's rule (a letter, then letters, digits
or underscores, at most 63 characters), so ``s.('__class__')`` is MATLAB's "Invalid field name" error.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import torch

from ..errors import LayerGraphError, MatlabPortError
from ..layers.base import Layer
from .values import (CsList, Cell, FuncHandle, HandleFunction, LayerArr, Opaque, ProgramFunction, StrArr, Struct,
                     StructArr, num)


class MatlabAccessError(MatlabPortError):
    """MATLAB code asked for a field, property or method its value does not have (or may not touch)."""


FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}\Z")
_MISSING = object()


_VALID_NAMES: set = set()     # field names already checked (the same few names, read over and over)


def check_field_name(name) -> str:
    """``name`` if it is a valid MATLAB field name, else MATLAB's 'Invalid field name' error."""
    if type(name) is str and name in _VALID_NAMES:
        return name
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        shown = name if isinstance(name, str) else type(name).__name__
        raise MatlabAccessError(f"Invalid field name '{_printable(str(shown))}': a field name starts with a letter, "
                                "followed by letters, digits or underscores (at most 63 characters).")
    if type(name) is str and len(_VALID_NAMES) < 4096:
        _VALID_NAMES.add(name)
    return str(name)


def _printable(text: str, limit: int = 80) -> str:
    from ..textsafe import printable

    out = printable(text)
    return out if len(out) <= limit else out[:limit] + "..."


# ---- which objects MATLAB code may hold -------------------------------------------------------------


_MATLAB_CLASS: dict = {}


def matlab_class(obj):
    """The class of a project object MATLAB code may hold (it declares MATLAB_PROPERTIES), else None."""
    cls = type(obj)
    found = _MATLAB_CLASS.get(cls, _MISSING)
    if found is not _MISSING:
        return found
    found = None
    for base in cls.__mro__:
        if "MATLAB_PROPERTIES" in base.__dict__ and base.__module__.startswith("layergraph."):
            found = cls
            break
    _MATLAB_CLASS[cls] = found
    return found


def allowed_names(obj, kind: str) -> tuple:
    """``MATLAB_PROPERTIES`` / ``MATLAB_SETTABLE`` / ``MATLAB_METHODS`` of a project object (() if absent)."""
    cls = matlab_class(obj)
    if cls is None:
        return ()
    return tuple(getattr(cls, kind, None) or ())


# MATLAB's numeric and logical classes: double, single, logical, int8..int64, uint8..uint64
_MATLAB_DTYPES = tuple(np.dtype(t) for t in (np.float64, np.float32, np.bool_, np.int8, np.int16, np.int32, np.int64,
                                             np.uint8, np.uint16, np.uint32, np.uint64))


def is_matlab_value(v) -> bool:
    """True for the values MATLAB code may hold (arrays, text, cells, structs, handles, project objects)."""
    if isinstance(v, np.ndarray):
        return v.dtype in _MATLAB_DTYPES and v.ndim >= 2
    if isinstance(v, (str, Cell, LayerArr, StrArr, Struct, StructArr, FuncHandle, Opaque)):
        return True
    if isinstance(v, CsList):
        return all(is_matlab_value(x) for x in v)
    return matlab_class(v) is not None


#: type -> whether :func:`to_matlab` returns every value of that type itself (decided once per type)
_AS_MATLAB: dict = {}
#: the Python types :func:`to_matlab` converts (or refuses) before it looks for a project class
_CONVERTED = (bool, np.bool_, int, float, np.integer, np.floating, Layer, torch.Tensor, np.ndarray, list, tuple,
              dict, HandleFunction, ProgramFunction)
_MATLAB_VALUE_TYPES = (str, Cell, LayerArr, StrArr, Struct, StructArr, FuncHandle, Opaque)


def passes_as_matlab(v) -> bool:
    """Whether :func:`to_matlab` returns ``v`` itself: MATLAB values that are objects (text, cells, structs,
    handles) and project objects MATLAB code may hold (dlarray, dlnetwork, table, categorical...). The
    answer depends on the type alone and is kept per type (the common case of every registry call)."""
    t = type(v)
    as_is = _AS_MATLAB.get(t)
    if as_is is None:
        as_is = _AS_MATLAB[t] = (not issubclass(t, _CONVERTED) and t.__name__ != "TranslatedHandle"
                                 and (issubclass(t, _MATLAB_VALUE_TYPES) or matlab_class(v) is not None))
    return as_is


def to_matlab(v):
    """A Python value from the layergraph API as a MATLAB value; anything else is refused.

    The one boundary from Python to MATLAB code: results of registered functions, property values and
    arguments of function handles called from Python all come through here. Numeric arrays are copied
    (MATLAB's value semantics: the caller may keep and change its array); MATLAB values and project
    objects are returned themselves (:func:`passes_as_matlab`).
    """
    if type(v) is np.ndarray and v.dtype.kind in "iuf":   # the common case: a copy (float64 for doubles)
        a = v.copy(order="K") if v.dtype.kind in "iu" or v.dtype == np.float32 else v.astype(np.float64)
        return a.reshape(1, -1) if a.ndim < 2 else a
    if passes_as_matlab(v):
        return v
    if v is None:
        return np.zeros((0, 0))
    if isinstance(v, (bool, np.bool_)):
        return np.array([[bool(v)]])
    if isinstance(v, (int, float, np.integer, np.floating)):
        return num(float(v))
    if isinstance(v, (str, Cell, LayerArr, StrArr, Struct, StructArr, FuncHandle, Opaque)):
        return v
    if isinstance(v, Layer):
        return LayerArr.row([v])
    if isinstance(v, torch.Tensor):
        a = v.detach().cpu()
        a = (a.float() if a.dtype in (torch.float16, torch.bfloat16) else a).numpy()
        a = a if a.dtype.kind in "iub" or a.dtype == np.float32 else a.astype(np.float64)
        return a.reshape(1, -1) if a.ndim < 2 else a.copy()
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            items = [to_matlab(x) if not isinstance(x, str) else x for x in v.reshape(-1, order="F")]
            arr = np.empty(len(items), dtype=object)
            for i, x in enumerate(items):
                arr[i] = x
            shape = v.shape if v.ndim >= 2 else (1, v.size)
            return Cell(arr.reshape(shape, order="F"))
        if v.dtype.kind == "b":
            return v.reshape(1, -1) if v.ndim < 2 else v
        if v.dtype.kind in "iuf":
            # MATLAB's numeric classes survive: uint8 images stay uint8, single stays single
            a = v.copy(order="K") if v.dtype.kind in "iu" or v.dtype == np.float32 else v.astype(np.float64)
            return a.reshape(1, -1) if a.ndim < 2 else a
        raise MatlabAccessError(f"a {v.dtype} array cannot be used by MATLAB code")
    if isinstance(v, (list, tuple)):
        items = list(v)
        if items and all(isinstance(x, Layer) for x in items):
            return LayerArr.column(items)
        if items and all(isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))
                         for x in items):
            return np.array([items], dtype=np.float64)
        return Cell.row([to_matlab(x) for x in items])
    if isinstance(v, dict):
        return Struct({check_field_name(k): to_matlab(x) for k, x in v.items()})
    if isinstance(v, ProgramFunction):
        return v.function
    if isinstance(v, HandleFunction) or (type(v).__name__ == "TranslatedHandle" and hasattr(v, "handle")
                                         and isinstance(v.handle, FuncHandle)):
        return v.handle
    if matlab_class(v) is not None:
        return v
    raise MatlabAccessError(f"a Python {type(v).__name__} value cannot be handed to MATLAB code")


def reaches_function_as_is(v) -> bool:
    """Whether an evaluator (``dlfeval``) may hand MATLAB code's value ``v`` to MATLAB code's function as it
    is: numeric and logical arrays, numbers, char rows and the project objects MATLAB code may hold (dlarray,
    dlnetwork, tables, categorical). Anything else (cells, structs, layer arrays, handles, comma-separated
    lists) takes the API's form, in which dlfeval finds the dlarrays inside it."""
    t = type(v)
    if t is np.ndarray:
        return v.dtype.kind in "biuf"
    as_is = _AS_IS_ARGUMENT.get(t)
    if as_is is None:            # decided once per type
        as_is = _AS_IS_ARGUMENT[t] = t in (float, int, bool, str) or (
            not issubclass(t, _MATLAB_VALUE_TYPES) and matlab_class(v) is not None)
    return as_is


_AS_IS_ARGUMENT: dict = {}


def array_to_py(v: np.ndarray):
    """A MATLAB numeric or logical array as the layergraph Python API takes it: a scalar as a Python
    number (bool for logical), a row or column as a list of numbers, anything else as a copy (MATLAB's
    value semantics; in the array's own memory order, the layout a Python caller's array would have)."""
    if v.size == 1 and v.ndim == 2:
        x = v[0, 0]
        if v.dtype == bool:
            return bool(x)
        x = float(x)
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    if v.dtype == bool:
        v = v.astype(np.float64)
    if v.ndim == 2 and (v.shape[0] == 1 or v.shape[1] == 1):
        return [int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)
                for x in v.reshape(-1)]
    return v.copy(order="K")


# ---- properties --------------------------------------------------------------------------------------


def read_property(obj, name: str):
    """``obj.name`` for MATLAB code: struct fields, layer-array elements, allow-listed properties only."""
    name = check_field_name(name)
    if isinstance(obj, Struct):
        if name not in obj.fields:
            raise MatlabAccessError(f"Reference to non-existent field '{name}'.")
        return obj.fields[name]
    if isinstance(obj, Layer):
        if name not in type(obj).MATLAB_PROPERTIES:
            raise MatlabAccessError(f"{obj.label()} has no property '{name}'")
        try:
            return to_matlab(type(obj).__getattr__(obj, name))
        except AttributeError:
            raise MatlabAccessError(f"{obj.label()} has no property '{name}'") from None
    if isinstance(obj, (np.ndarray, str, Cell, StrArr, FuncHandle)):
        raise MatlabAccessError(f"a {_kind(obj)} value has no field or property '{name}'")
    if name not in allowed_names(obj, "MATLAB_PROPERTIES"):
        if name in dynamic_names(obj):   # e.g. a table's variables: t.Var1 (a column: N-by-1 in MATLAB)
            value = type(obj).__getattr__(obj, name)
            if isinstance(value, np.ndarray) and value.ndim == 1:
                value = value.reshape(-1, 1)
            return to_matlab(value)
        raise MatlabAccessError(f"a {_kind(obj)} value has no property '{name}'")
    return to_matlab(_read_attribute(obj, name))


_PLAIN_PROPERTY: dict = {}


def plain_property(obj, name) -> bool:
    """Whether ``obj.name`` for MATLAB code is just the Python property ``name`` of a project object's class
    (an allow-listed MATLAB property, no MATLAB method of that name, not a layer): what
    :func:`read_property` then does is ``to_matlab(getattr(obj, name))``. Decided once per class and name."""
    cls = type(obj)
    key = (cls, name)
    plain = _PLAIN_PROPERTY.get(key)
    if plain is None:
        plain = (type(name) is str and FIELD_NAME.match(name) is not None and not issubclass(cls, Layer)
                 and not isinstance(obj, (Struct, StructArr, CsList, LayerArr, np.ndarray, str, Cell, StrArr,
                                          FuncHandle, Opaque))
                 and matlab_class(obj) is not None and name in allowed_names(obj, "MATLAB_PROPERTIES")
                 and name not in allowed_names(obj, "MATLAB_METHODS") and _class_property(cls, name))
        _PLAIN_PROPERTY[key] = plain
    return plain


def read_plain_property(obj, name: str):
    """:func:`read_property` of a :func:`plain_property` (the same value and errors, fewer questions)."""
    try:
        value = getattr(obj, name)
    except AttributeError:
        raise MatlabAccessError(f"a {_kind(obj)} value has no property '{name}'") from None
    return to_matlab(value)


def dynamic_names(obj) -> list:
    """Names a class serves through ``__getattr__`` as MATLAB data (a table's VariableNames).

    A class opts in with ``MATLAB_DYNAMIC_PROPERTIES = "VariableNames"``: the allow-listed property that
    lists them. Only ``type(obj).__getattr__`` answers (never a Python attribute of the same name).
    """
    cls = matlab_class(obj)
    source = getattr(cls, "MATLAB_DYNAMIC_PROPERTIES", None) if cls is not None else None
    if not source or source not in allowed_names(obj, "MATLAB_PROPERTIES") or \
            getattr(cls, "__getattr__", None) is None:
        return []
    names = _read_attribute(obj, source)
    return [n for n in names if isinstance(n, str) and FIELD_NAME.match(n)] if isinstance(names, (list, tuple)) \
        else []


#: (class, name) -> whether the class defines ``name`` as a ``property`` (a data descriptor: what getattr
#: returns, whatever the instance holds)
_IS_PROPERTY: dict = {}


def _class_property(cls, name: str) -> bool:
    key = (cls, name)
    found = _IS_PROPERTY.get(key)
    if found is None:
        attr = next((b.__dict__[name] for b in cls.__mro__ if name in b.__dict__), _MISSING)
        found = _IS_PROPERTY[key] = isinstance(attr, property)
    return found


def _read_attribute(obj, name: str):
    """getattr of an allow-listed property; a Python method of the same name is never returned."""
    if _class_property(type(obj), name):    # the common case (net.Learnables): the property itself
        try:
            return getattr(obj, name)
        except AttributeError:
            raise MatlabAccessError(f"a {_kind(obj)} value has no property '{name}'") from None
    static = inspect.getattr_static(obj, name, _MISSING)
    if static is not _MISSING and not isinstance(static, property) and callable(static) \
            and not isinstance(static, (Layer,)):
        fallback = getattr(type(obj), "__getattr__", None)
        if fallback is None:
            raise MatlabAccessError(f"a {_kind(obj)} value has no property '{name}'")
        return fallback(obj, name)
    try:
        return getattr(obj, name)
    except AttributeError:
        raise MatlabAccessError(f"a {_kind(obj)} value has no property '{name}'") from None


def write_property(obj, name: str, value):
    """A copy of project object ``obj`` with MATLAB property ``name`` set (validated by its class).

    ``value`` is already converted to the Python API's form. Struct fields are set by the caller.
    """
    name = check_field_name(name)
    handle = _SETTABLE.get((type(obj), name))
    if handle is None:
        settable = type(obj).MATLAB_SETTABLE if isinstance(obj, Layer) else allowed_names(obj, "MATLAB_SETTABLE")
        if name in settable:       # decided once per class and name: the checks below pass, the same way
            handle = _SETTABLE[(type(obj), name)] = bool(getattr(type(obj), "MATLAB_HANDLE", False))
    if handle is not None:
        return _set_property(obj if handle else obj.copy(), name, value)
    settable = type(obj).MATLAB_SETTABLE if isinstance(obj, Layer) else allowed_names(obj, "MATLAB_SETTABLE")
    if name not in settable and getattr(matlab_class(obj), "MATLAB_DYNAMIC_SETTABLE", False) and \
            name not in allowed_names(obj, "MATLAB_PROPERTIES"):
        # a table: t.Var = column adds or replaces a variable (a copy: MATLAB's value semantics); never a
        # name the Python object has (methods, attributes)
        if name.startswith("_") or (name not in dynamic_names(obj) and hasattr(obj, name)):
            raise MatlabAccessError(f"Unrecognized property '{name}' for a {_kind(obj)} value (a name layergraph "
                                    "reserves; choose another variable name).")
        new = obj.copy()
        try:
            new[name] = value
        except LayerGraphError as exc:
            raise MatlabAccessError(f"Cannot assign table variable '{name}': {exc}") from None
        return new
    if name not in settable:
        props = type(obj).MATLAB_PROPERTIES if isinstance(obj, Layer) else allowed_names(obj, "MATLAB_PROPERTIES")
        who = obj.label() if isinstance(obj, Layer) else f"a {_kind(obj)} value"
        if name in props:
            raise MatlabAccessError(f"You cannot set the read-only property '{name}' of {who}.")
        raise MatlabAccessError(f"Unrecognized property '{name}' for {who}.")
    # a handle object (MATLAB_HANDLE: trainingProgressMonitor; a dlnetwork, updated in place like the update
    # functions do) is changed itself; any other object is copied (MATLAB's value semantics)
    return _set_property(obj if getattr(type(obj), "MATLAB_HANDLE", False) else obj.copy(), name, value)


#: (class, MATLAB property name) -> whether the class is a handle class, for the allow-listed settable ones
_SETTABLE: dict = {}


def _set_property(new, name: str, value):
    try:
        setattr(new, name, value)
    except LayerGraphError:
        raise
    except (AttributeError, TypeError, ValueError) as exc:
        raise MatlabAccessError(f"cannot set {name}: {exc}") from None
    return new


def method_name(obj, name: str) -> str | None:
    """``name`` if MATLAB code may call it as ``obj.name(...)`` (a registered MATLAB function), else None."""
    if isinstance(obj, LayerArr):
        items = obj.items()
        obj = items[0] if len(items) == 1 else None
    if obj is None or isinstance(obj, (Struct, np.ndarray, str, Cell, StrArr, FuncHandle, Opaque)):
        return None
    methods = type(obj).MATLAB_METHODS if isinstance(obj, Layer) else allowed_names(obj, "MATLAB_METHODS")
    return name if name in methods else None


def property_names(obj) -> list[str]:
    """``fieldnames`` / ``properties`` of a struct or project object."""
    if isinstance(obj, Struct):
        return list(obj.fields)
    if isinstance(obj, LayerArr) and obj.a.size == 1:
        obj = obj.a.flat[0]
    if isinstance(obj, Layer):
        return list(type(obj).MATLAB_PROPERTIES)
    return list(allowed_names(obj, "MATLAB_PROPERTIES")) + [n for n in dynamic_names(obj)
                                                              if n not in allowed_names(obj, "MATLAB_PROPERTIES")]


def _kind(v) -> str:
    from .interp import type_name

    return type_name(v)


__all__ = ["MatlabAccessError", "check_field_name", "is_matlab_value", "matlab_class", "method_name",
           "array_to_py", "passes_as_matlab", "property_names", "read_property", "to_matlab", "write_property"]
