"""The MATLAB-language namespace translated programs import (``import layergraph.matlab.lang as ml``):
every registered MATLAB function under its MATLAB name (``ml.sum``, ``ml.strsplit``, ``ml.imageDatastore``)
and :func:`call`, the one way registry functions call a MATLAB function value.

(Helper "translate" owns this module and extends it with the runtime helpers translated code needs.)
"""

from __future__ import annotations

from ..functions import FUNCTIONS
from .base._core import call  # noqa: F401  (the one way registry functions call a function value)


def __getattr__(name: str):
    entry = FUNCTIONS.get(name)
    if entry is None:
        raise AttributeError(f"module 'layergraph.matlab.lang' has no MATLAB function '{name}'")
    return entry.function


__all__ = ["call"]
