"""Classes and conversions: double, single, int8..uint64 (round half away from zero, saturate, NaN -> 0),
logical, class, isa, isnumeric, islogical, ischar, iscell, isstruct, isstring, iscellstr, isfloat,
isinteger, and ``isa(f, 'function_handle')`` for function handles."""

from __future__ import annotations

import numpy as np

from ..values import Cell, FuncHandle, LayerArr, MString, StrArr, Struct
from ._core import INTEGER_CLASSES, base, class_of, fail, numeric, tensor_implementation, to_class


def _convert(cls):
    def run(X):
        if isinstance(X, MString):
            raise fail(f"Conversion to {cls} from string is not possible.", "MATLAB:invalidConversion")
        if isinstance(X, (Cell, Struct, StrArr)):
            raise fail(f"Conversion to {cls} from {class_of(X)} is not possible.", "MATLAB:invalidConversion")
        if type(X).__name__ == "Categorical":
            codes = np.asarray(X.codes, dtype=np.float64) + 1
            return to_class(np.where(codes <= 0, np.nan, codes), cls)
        return to_class(numeric(X), cls)

    run.__name__ = cls
    run.__doc__ = (f"MATLAB ``{cls}(X)``" + (": rounds half away from zero and saturates; NaN becomes 0."
                                            if cls in INTEGER_CLASSES else "."))
    return run


for _cls in ("double", "single", *INTEGER_CLASSES):
    base(_cls)(_convert(_cls))


tensor_implementation("double")(lambda x: x.double())
tensor_implementation("single")(lambda x: x.float())


@base("logical")
def logical(X):
    """Nonzero -> true; NaN cannot be converted (MATLAB's error)."""
    if isinstance(X, (Cell, Struct, str)):
        raise fail(f"Conversion to logical from {class_of(X)} is not possible.", "MATLAB:invalidConversion")
    return to_class(numeric(X), "logical")


@base("class")
def class_(v):
    return class_of(v)


_ABSTRACT = {
    "numeric": lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iuf",
    "float": lambda v: isinstance(v, np.ndarray) and v.dtype.kind == "f",
    "integer": lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iu",
}


@base("isa")
def isa(v, cls):
    """``isa(A, classname)``: the class, or a category 'numeric', 'float', 'integer'; a layer is an
    'nnet.cnn.layer.Layer'."""
    name = str(cls)
    if name in _ABSTRACT:
        return np.array([[bool(_ABSTRACT[name](v))]])
    from ...layers.base import Layer

    if name in ("nnet.cnn.layer.Layer", "nnet.layer.Layer"):
        return np.array([[isinstance(v, (Layer, LayerArr))]])
    mine = class_of(v)
    return np.array([[mine == name or mine.endswith("." + name)]])


def _is(name, pred, doc):
    def run(v):
        return np.array([[bool(pred(v))]])

    run.__name__ = name
    run.__doc__ = doc
    base(name)(run)


_is("isnumeric", lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iuf", "Numeric arrays (not logical, not char).")
_is("islogical", lambda v: isinstance(v, np.ndarray) and v.dtype == bool, "Logical arrays.")
_is("ischar", lambda v: isinstance(v, str) and not isinstance(v, MString), "Char arrays (not strings).")
_is("isstring", lambda v: isinstance(v, (MString, StrArr)), "String scalars and string arrays.")
_is("iscell", lambda v: isinstance(v, Cell), "Cell arrays.")
_is("isstruct", lambda v: isinstance(v, Struct) or type(v).__name__ == "StructArr", "Structs and struct arrays.")
_is("iscellstr", lambda v: isinstance(v, Cell) and all(isinstance(x, str) and not isinstance(x, MString)
                                                      for x in v.items()),
    "Cell arrays whose every element is a char vector (an empty cell counts).")
_is("isfloat", lambda v: isinstance(v, np.ndarray) and v.dtype.kind == "f", "double or single arrays.")
_is("isinteger", lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "iu", "int8..uint64 arrays.")
