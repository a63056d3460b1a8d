"""MATLAB's ``containers.Map``: a handle object mapping char or numeric keys to values.

``m = containers.Map()`` then ``m('a') = 1`` changes the one object every copy of ``m`` refers to
(handle semantics). Keys are sorted as MATLAB sorts them (char keys by character codes, numeric keys
ascending); ``keys(m)``, ``values(m)``, ``values(m, keys)``, ``isKey``, ``remove``, ``m.Count``,
``length(m)``, ``m.keys()`` as in MATLAB.

Indexing protocol shared by the interpreter and translated programs: ``m.paren_get(idx)`` for
``m(key)`` and ``m.paren_set(idx, value)`` for ``m(key) = value`` (``idx`` the list of MATLAB subscripts).
"""

from __future__ import annotations

import numpy as np

from ...functions import matlab_function
from ..values import Cell, MString, StrArr
from ._common import runtime_error, text_of

_KEY_TYPES = ("char", "double", "single", "int32", "uint32", "int64", "uint64")
_VALUE_TYPES = ("any", "char", "double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                "int64", "uint64", "logical")
_NO_KEY = ("MATLAB:Containers:Map:NoKey", "The specified key is not present in this container.")


def _numeric_class(a: np.ndarray) -> str:
    if a.dtype == bool:
        return "logical"
    if a.dtype == np.float64:
        return "double"
    if a.dtype == np.float32:
        return "single"
    return str(a.dtype)


class MatlabMap:
    """MATLAB ``containers.Map`` (a handle): ``KeyType`` char or numeric, ``ValueType`` any or a class."""

    MATLAB_CLASS = "containers.Map"
    MATLAB_HANDLE = True
    MATLAB_PROPERTIES = ("Count", "KeyType", "ValueType")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("keys", "values", "isKey", "remove", "length")

    def __init__(self, key_type: str = "char", value_type: str = "any"):
        self._key_type = key_type
        self._value_type = value_type
        self._data: dict = {}

    # ---- MATLAB properties ------------------------------------------------------------------------
    @property
    def Count(self) -> np.ndarray:
        return np.array([[float(len(self._data))]])

    @property
    def KeyType(self) -> str:
        return self._key_type

    @property
    def ValueType(self) -> str:
        return self._value_type

    def matlab_size(self) -> tuple:
        """MATLAB's size(M): Count-by-1."""
        return (len(self._data), 1)

    def __len__(self):
        return len(self._data)

    def __str__(self):
        """MATLAB's display (containers.Map reference page): the count and the two types, unquoted."""
        return ("  Map with properties:\n\n"
                f"        Count: {len(self._data)}\n"
                f"      KeyType: {self._key_type}\n"
                f"    ValueType: {self._value_type}\n")

    def __repr__(self):
        return f"containers.Map(Count={len(self._data)}, KeyType={self._key_type}, ValueType={self._value_type})"

    # ---- keys and values --------------------------------------------------------------------------
    def key(self, k):
        """A MATLAB key as the dict key (str or float), checked against KeyType."""
        if self._key_type == "char":
            t = text_of(k)
            if t is None:
                raise runtime_error("MATLAB:Containers:TypeMismatch",
                                    "Specified key type does not match the type expected for this container.")
            return t
        if isinstance(k, str) or not isinstance(k, (np.ndarray, int, float, np.integer, np.floating)):
            raise runtime_error("MATLAB:Containers:TypeMismatch",
                                "Specified key type does not match the type expected for this container.")
        a = np.asarray(k).reshape(-1)
        if a.size != 1:
            raise runtime_error("MATLAB:Containers:Map:NonScalarKey", "Only one key can be specified.")
        return float(a[0])

    def key_value(self, k):
        """A stored key as the MATLAB value keys(m) shows."""
        if isinstance(k, str):
            return k
        dtype = {"single": np.float32, "double": np.float64}.get(self._key_type, np.dtype(self._key_type))
        return np.array([[k]], dtype=dtype)

    def checked_value(self, v):
        vt = self._value_type
        if vt == "any":
            return v
        if vt == "char":
            if isinstance(v, str) and not isinstance(v, MString):
                return v
        elif isinstance(v, np.ndarray) and v.size == 1 and v.dtype != object:
            if _numeric_class(v) == vt or (vt in ("double", "single") and v.dtype.kind in "fiu"):
                return v.astype({"double": np.float64, "single": np.float32}.get(vt, v.dtype)).reshape(1, 1)
        raise runtime_error("MATLAB:Containers:TypeMismatch",
                            "Specified value type does not match the type expected for this container.")

    def sorted_keys(self) -> list:
        return sorted(self._data)

    def get(self, k):
        key = self.key(k)
        if key not in self._data:
            raise runtime_error(*_NO_KEY)
        return self._data[key]

    def set(self, k, v) -> None:
        self._data[self.key(k)] = self.checked_value(v)

    # ---- the indexing protocol --------------------------------------------------------------------
    def paren_get(self, idx):
        if len(idx) != 1:
            raise runtime_error("MATLAB:Containers:Map:NonScalarKey", "Only one key can be specified.")
        return self.get(idx[0])

    def paren_set(self, idx, value):
        if len(idx) != 1:
            raise runtime_error("MATLAB:Containers:Map:NonScalarKey", "Only one key can be specified.")
        self.set(idx[0], value)
        return self


def _key_list(keys) -> list:
    """Keys given to the constructor/isKey/remove/values: a cell, a numeric array, or one key."""
    if isinstance(keys, (Cell, StrArr)):
        return [MString(x) if isinstance(keys, StrArr) else x for x in keys.items()]
    if isinstance(keys, np.ndarray):
        return [np.array([[x]], dtype=keys.dtype) for x in keys.reshape(-1, order="F")]
    if isinstance(keys, (list, tuple)):
        return list(keys)
    return [keys]


def _infer_value_type(values: list) -> str:
    if values and all(isinstance(v, str) and not isinstance(v, MString) for v in values):
        return "char"
    if values and all(isinstance(v, np.ndarray) and v.size == 1 and v.dtype != object for v in values):
        classes = {_numeric_class(v) for v in values}
        if len(classes) == 1:
            return classes.pop()
    return "any"


@matlab_function("containers.Map", outputs=("M",), base=True)
def containers_Map(*args, **kwargs):
    """MATLAB ``containers.Map()``, ``containers.Map(keys, values)``, ``containers.Map(keys, values,
    'UniformValues', tf)``, ``containers.Map('KeyType', kt, 'ValueType', vt)``."""
    args = list(args)
    for k, v in kwargs.items():
        args += [k, v]
    names = {"keytype": "KeyType", "valuetype": "ValueType", "uniformvalues": "UniformValues"}
    first = (text_of(args[0]) or "").lower() if args else ""
    split = 0 if first in ("keytype", "valuetype") else min(2, len(args))
    positional, rest = args[:split], args[split:]
    if len(rest) % 2:
        raise runtime_error("MATLAB:Containers:Map:KeyValueMismatch",
                            "The number of keys and values must be the same.")
    opts = {}
    for name, value in zip(rest[::2], rest[1::2]):
        word = (text_of(name) or "").lower()
        if word not in names:
            raise runtime_error("MATLAB:Containers:Map:BadParam",
                                f"'{text_of(name) or name}' is not a valid parameter: use 'KeyType', 'ValueType' "
                                "or 'UniformValues'.")
        opts[names[word]] = value
    if len(positional) not in (0, 2):
        raise runtime_error("MATLAB:Containers:Map:KeyValueMismatch",
                            "The number of keys and values must be the same.")
    if not positional:
        kt = text_of(opts.get("KeyType", "char")) or ""
        vt = text_of(opts.get("ValueType", "any")) or ""
        if kt not in _KEY_TYPES:
            raise runtime_error("MATLAB:Containers:Map:UnsupportedKeyType",
                                f"Unsupported key type '{kt}'. Valid key types are " + ", ".join(_KEY_TYPES) + ".")
        if vt not in _VALUE_TYPES:
            raise runtime_error("MATLAB:Containers:Map:UnsupportedValueType",
                                f"Unsupported value type '{vt}'.")
        return MatlabMap(kt, vt)
    keys, values = positional
    key_items = _key_list(keys)
    single_key = not isinstance(keys, (Cell, StrArr)) and not (isinstance(keys, np.ndarray) and keys.size != 1)
    uniform = opts.get("UniformValues")
    uniform = True if uniform is None else bool(np.asarray(uniform).reshape(-1)[0])
    if single_key:
        value_items = [values]
    elif isinstance(values, Cell):
        value_items = values.items()
    elif isinstance(values, np.ndarray) and values.dtype != object:
        value_items = [np.array([[x]], dtype=values.dtype) for x in values.reshape(-1, order="F")]
    elif isinstance(values, StrArr):
        value_items = [MString(x) for x in values.items()]
    else:
        value_items = [values]
    if len(key_items) != len(value_items):
        raise runtime_error("MATLAB:Containers:Map:KeyValueMismatch",
                            "The number of keys and values must be the same.")
    if all(text_of(k) is not None for k in key_items):
        kt = "char"
    elif all(isinstance(k, np.ndarray) and k.size == 1 for k in key_items):
        kt = text_of(opts.get("KeyType")) or "double"
    else:
        raise runtime_error("MATLAB:Containers:Map:UnsupportedKeyType",
                            "Keys must be all character vectors or all numeric scalars.")
    vt = _infer_value_type(value_items) if uniform else "any"
    if "ValueType" in opts:
        vt = text_of(opts["ValueType"]) or vt
    m = MatlabMap(kt, vt)
    for k, v in zip(key_items, value_items):
        m.set(k, v)
    return m


def _need_map(m, fname: str) -> MatlabMap:
    if not isinstance(m, MatlabMap):
        raise runtime_error("MATLAB:UndefinedFunction",
                            f"Undefined function '{fname}' for input arguments of type '{type(m).__name__}'.")
    return m


@matlab_function("keys", outputs=("keySet",), base=True)
def keys(m):
    """MATLAB ``keys(M)``: 1-by-Count cell of the keys, sorted."""
    m = _need_map(m, "keys")
    return Cell.row([m.key_value(k) for k in m.sorted_keys()])


@matlab_function("values", outputs=("valueSet",), base=True)
def values(m, key_set=None):
    """MATLAB ``values(M)`` (in key order) and ``values(M, keySet)`` (a cell of keys)."""
    m = _need_map(m, "values")
    if key_set is None:
        return Cell.row([m._data[k] for k in m.sorted_keys()])
    if not isinstance(key_set, Cell):
        raise runtime_error("MATLAB:Containers:Map:InvalidKeys", "Specify keys as a cell array.")
    out = np.empty(key_set.a.shape, dtype=object)
    for idx in np.ndindex(*key_set.a.shape):
        out[idx] = m.get(key_set.a[idx])
    return Cell(out)


@matlab_function("isKey", outputs=("tf",), base=True)
def isKey(m, key_set):
    """MATLAB ``isKey(M, key)`` (logical) / ``isKey(M, {k1, k2})`` (logical array of the cell's shape)."""
    m = _need_map(m, "isKey")

    def present(k):
        try:
            return m.key(k) in m._data
        except Exception:
            return False

    if isinstance(key_set, Cell):
        out = np.zeros(key_set.a.shape, dtype=bool)
        for idx in np.ndindex(*key_set.a.shape):
            out[idx] = present(key_set.a[idx])
        return out
    return np.array([[present(key_set)]])


@matlab_function("remove", outputs=("M",), base=True)
def remove(m, key_set):
    """MATLAB ``remove(M, key)`` / ``remove(M, {keys})``: deletes the entries (the handle is changed)."""
    m = _need_map(m, "remove")
    for k in _key_list(key_set) if isinstance(key_set, Cell) else [key_set]:
        key = m.key(k)
        if key not in m._data:
            raise runtime_error(*_NO_KEY)
        del m._data[key]
    return m


__all__ = ["MatlabMap", "containers_Map", "keys", "values", "isKey", "remove"]
