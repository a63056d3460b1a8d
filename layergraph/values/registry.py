"""Registers the value types' MATLAB functions in the one registry (layergraph.functions, a leaf module)."""

from __future__ import annotations

import sys

from ..functions import matlab_function

_c = sys.modules[__package__ + ".categorical"]
_t = sys.modules[__package__ + ".table"]

for _name in ("categorical", "categories", "countcats", "addcats", "removecats", "mergecats", "renamecats",
              "reordercats", "setcats", "iscategory", "isundefined", "isordinal", "onehotencode", "onehotdecode"):
    matlab_function(_name, outputs=("B",))(getattr(_c, _name))
for _name in ("table", "height", "width", "head", "tail"):
    matlab_function(_name, outputs=("T",) if _name == "table" else ("n",))(getattr(_t, _name))
