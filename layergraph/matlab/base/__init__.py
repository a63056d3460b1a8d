"""MATLAB's base functions (``sum``, ``size``, ``strsplit``, ``cellfun``, ...) in the one registry of MATLAB
functions (:data:`layergraph.functions.FUNCTIONS`, registered with ``base=True``: never exported from
``layergraph``). Plain Python functions over MATLAB values; the interpreter (``layergraph run``, the
porter) and translated programs (:mod:`layergraph.matlab.lang`) call the same ones.
See docs/guide/base-functions.md for the list and the fidelity notes."""

from . import arrays, cells, files, math, sets, strings, types, validation  # noqa: F401  (registration)
