"""Placeholder layers for what a .mat file holds but layergraph does not run.

A user-defined layer (``classdef myLayer < nnet.layer.Layer``) is saved as its class name and property
values, without its code; a ``functionLayer`` keeps the MATLAB source text of its function handle.
Neither is ever executed: the importer puts the one :class:`~layergraph.layers.placeholder.PlaceholderLayer`
in the network (``MatlabClass``, ``Properties``, ``Source``), named after the layer, so the graph keeps its
shape and ``analyzeNetwork`` reports the placeholder. Define the layer in Python (``custom_layer``) and
``replaceLayer`` the placeholder to run the network.
"""

from __future__ import annotations

from ...layers.placeholder import PlaceholderLayer

#: The .mat importer's placeholders are the one placeholder class (names kept for existing imports).
MatPlaceholderLayer = PlaceholderLayer


def MatPlaceholderOutputLayer(**values) -> PlaceholderLayer:  # noqa: N802 - the former class name
    """A placeholder for a user-defined output layer (its saved properties include Classes/ResponseNames)."""
    values.pop("OutputNames", None)
    return PlaceholderLayer(IsOutput=True, **values)


__all__ = ["MatPlaceholderLayer", "MatPlaceholderOutputLayer"]
