"""MATLAB struct arrays: ``s(2).a = 1``, ``s(i)``, ``[s.a]``, ``numel(s)``, ``s(2) = []``, ``[s1, s2]``.

A 1×1 struct is a :class:`~layergraph.matlab.values.Struct`; any other size is a
:class:`~layergraph.matlab.values.StructArr` (an object array of Structs sharing their field names).
Indexing reuses the interpreter's object-array indexing (column-major, ``end``, logical masks, growth,
deletion); growing fills the new elements with structs whose fields are all ``[]``, as MATLAB does.
"""

from __future__ import annotations

import numpy as np

from .values import Struct, StructArr


def as_struct_array(v) -> StructArr:
    if isinstance(v, StructArr):
        return v
    arr = np.empty((1, 1), dtype=object)
    arr[0, 0] = v
    return StructArr(arr, fields=tuple(v.fields))


def make(a: np.ndarray, fields):
    """A Struct for one element, else a StructArr (every element has every field, in ``fields`` order)."""
    fields = tuple(fields)
    flat = a.reshape(-1, order="F")
    for i, x in enumerate(flat):
        if x is None:
            flat[i] = empty_struct(fields)
        elif tuple(x.fields) != fields:
            flat[i] = Struct({k: x.fields.get(k, np.zeros((0, 0))) for k in fields})
    a = flat.reshape(a.shape, order="F")
    if a.size == 1 and a.ndim == 2:
        return a[0, 0]
    return StructArr(a, fields=fields)


def empty_struct(fields) -> Struct:
    return Struct({k: np.zeros((0, 0)) for k in fields})


def _union(*field_lists):
    out = []
    for fl in field_lists:
        for k in fl:
            if k not in out:
                out.append(k)
    return out


def index_get(interp, base, idx, where):
    """``s(idx)``."""
    arr = as_struct_array(base)
    res = interp._take(arr.a, idx, where)
    if res.ndim != 2:
        res = res.reshape(res.shape[0], -1, order="F")
    return make(res, arr.fields)


def index_set(interp, base, idx, value, where):
    """``s(idx) = value`` (a struct or struct array; ``[]`` deletes). ``base`` may be None (a new variable)."""
    deleting = isinstance(value, np.ndarray) and value.shape == (0, 0)
    if base is None or (isinstance(base, np.ndarray) and base.size == 0):
        arr = StructArr(np.empty((0, 0), dtype=object), fields=())
    else:
        arr = as_struct_array(base)
    if deleting:
        res = interp._put(arr.a, idx, None, where, True, fill=None)
        return make(res, arr.fields)
    if not isinstance(value, (Struct, StructArr)):
        raise interp.error(where, "Conversion to struct from " + _class(value) + " is not possible.",
                           "MATLAB:invalidConversion")
    vals = as_struct_array(value)
    fields = _union(arr.fields, vals.fields)
    res = interp._put(arr.a, idx, vals.a, where, False, fill=None)
    return make(res, fields)


def field_values(base, name):
    """``s.name`` of a struct array: one value per element, in column-major order."""
    return [x.fields[name] for x in base.a.reshape(-1, order="F")]


def concat(interp, rows, node):
    """``[s1, s2; s3, s4]`` of structs and struct arrays (all with the same fields, as MATLAB requires)."""
    hrows = []
    fields = None
    for r in rows:
        parts = [as_struct_array(x) for x in r if not (isinstance(x, np.ndarray) and x.size == 0)]
        if not parts:
            continue
        for p in parts:
            if fields is None:
                fields = list(p.fields)
            elif set(p.fields) != set(fields):
                raise interp.error(node, "Concatenation of structures requires that the structures have the same "
                                         "field names.", "MATLAB:catenate:structFieldBad")
        if len({p.a.shape[0] for p in parts}) != 1:
            raise interp.error(node, "Dimensions of arrays being concatenated are not consistent.",
                               "MATLAB:catenate:dimensionMismatch")
        hrows.append(np.concatenate([p.a for p in parts], axis=1))
    if not hrows:
        return np.zeros((0, 0))
    if len({h.shape[1] for h in hrows}) != 1:
        raise interp.error(node, "Dimensions of arrays being concatenated are not consistent.",
                           "MATLAB:catenate:dimensionMismatch")
    return make(np.concatenate(hrows, axis=0), fields)


def _class(v) -> str:
    from .interp import matlab_class_name

    return matlab_class_name(v)


__all__ = ["as_struct_array", "make", "empty_struct", "index_get", "index_set", "field_values", "concat"]
