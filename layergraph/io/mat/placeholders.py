"""Placeholder layers for what a .mat file holds but layergraph does not run.

A user-defined layer (``classdef myLayer < nnet.layer.Layer``) is saved as its class name and property
values, without its code; a ``functionLayer`` keeps the MATLAB source text of its function handle.
Neither is ever executed: the importer puts a :class:`MatPlaceholderLayer` in the network, named
after the layer and showing the MATLAB class (and the source text), so the graph keeps its shape and
``analyzeNetwork`` reports the placeholder. Define the layer in Python (``custom_layer``) and
``replaceLayer`` the placeholder to run the network.
"""

from __future__ import annotations

from typing import ClassVar

from ...errors import LayoutError
from ...layers.base import Layer
from ...layers.options import Converter, Option, text


def _anything() -> Converter:
    return Converter(lambda v: v, "any value", {})


def _names() -> Converter:
    def convert(v):
        if isinstance(v, str):
            return (v,)
        return tuple(str(x) for x in v)

    return Converter(convert, "a list of names", {"type": "array", "items": {"type": "string"}})


class MatPlaceholderLayer(Layer):
    """Stands in for a MATLAB layer from a .mat file that cannot run here (user-defined or FunctionLayer).

    ``MatlabClass`` is the saved class, ``Properties`` the saved property values (MATLAB values as read),
    ``Source`` the MATLAB source text of a FunctionLayer's function (shown, never run).
    """

    MATLAB_NAME: ClassVar[str] = "placeholderLayer"
    CLASS_NAME: ClassVar[str] = "PlaceholderLayer"
    TYPE: ClassVar[str] = "Placeholder"
    DEFAULT_NAME: ClassVar[str] = "placeholder"
    FAMILY: ClassVar[str] = "custom"
    OPTIONS: ClassVar[tuple] = (
        Option("MatlabClass", text(), ""),
        Option("Source", text(), ""),
        Option("Properties", _anything(), None),
        Option("InputNames", _names(), ("in",)),
        Option("OutputNames", _names(), ("out",)),
        Option("IsOutput", _anything(), False),
    )

    def input_names(self) -> tuple:
        return tuple(self._values.get("InputNames") or ())

    def output_names(self) -> tuple:
        return () if self._values.get("IsOutput") else tuple(self._values.get("OutputNames") or ())

    def description(self) -> str:
        if self.Source:
            return f"Placeholder for {self.MatlabClass} {self.Source} (MATLAB code, not run)"
        return f"Placeholder for the user-defined layer class '{self.MatlabClass}'"

    def infer(self, inputs):
        what = (f"a {self.MatlabClass} whose function is the MATLAB code {self.Source}" if self.Source
                else f"the user-defined MATLAB layer class '{self.MatlabClass}'")
        raise LayoutError(
            f"Layer '{self.Name}' is a placeholder for {what}, imported from a .mat file; MATLAB code is never run. "
            "Define the layer in Python and replace the placeholder (replaceLayer) to use the network."
        )

    def build(self, inputs):
        return self.infer(inputs)


class MatPlaceholderOutputLayer(MatPlaceholderLayer):
    """A placeholder for a user-defined output layer (its class derives from a classification or
    regression output layer: it saves ``Classes`` or ``ResponseNames``)."""

    MATLAB_NAME: ClassVar[str] = "placeholderOutputLayer"
    IS_OUTPUT: ClassVar[bool] = True

    def output_names(self) -> tuple:
        return ()


__all__ = ["MatPlaceholderLayer", "MatPlaceholderOutputLayer"]
