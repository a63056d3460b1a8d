"""MATLAB value types every layer above may use: ``categorical``, ``table``, string, cell and struct.

Imports only numpy and :mod:`layergraph.errors` (below layers in the import order); the MATLAB-named
functions are registered in :mod:`layergraph.functions` by :mod:`layergraph.values.registry`.
"""

from .categorical import (
    UNDEFINED,
    Categorical,
    addcats,
    as_categorical,
    categorical,
    categories,
    countcats,
    from_labels,
    iscategory,
    isordinal,
    isundefined,
    mergecats,
    onehotdecode,
    onehotencode,
    removecats,
    renamecats,
    reordercats,
    setcats,
)
from .table import Table, height, table, width
from .containers import Cell, MString, StrArr, Struct, StructArr
from . import registry as _registry  # noqa: F401  (registers the MATLAB functions)

__all__ = [
    "Categorical", "UNDEFINED", "categorical", "categories", "countcats", "addcats", "removecats", "mergecats",
    "renamecats", "reordercats", "setcats", "iscategory", "isundefined", "isordinal", "onehotencode",
    "onehotdecode", "from_labels", "as_categorical", "Table", "table", "height", "width",
    "Cell", "MString", "StrArr", "Struct", "StructArr",
]
