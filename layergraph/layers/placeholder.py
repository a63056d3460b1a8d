"""``PlaceholderLayer``: the one layer that stands in for something layergraph does not run.

MATLAB's importers put a ``nnet.cnn.layer.PlaceholderLayer`` where they meet what they cannot build; layergraph
does the same everywhere with this one class:

- the ONNX importer, for an operator it cannot express as MATLAB layers (``OperatorType``, ``ONNXNode``);
- the .mat importer, for a user-defined layer class (saved without its code) or a ``functionLayer``
  (``MatlabClass``, ``Properties``, ``Source`` = the function's MATLAB text, shown and never run);
- the MATLAB porter, for a custom-layer classdef whose ``predict`` cannot be translated (a subclass per
  classdef that adds the classdef's properties, so ``MATLAB_NAME`` is the class name) and for an unknown
  function called as an element of a layer array (``MatlabClass`` = the function's name).

The graph keeps its shape; ``analyzeNetwork`` reports the layer as an error naming what it stands for, and
building the network raises the same message. Replace it (``replaceLayer``) with a real layer to run it.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import LayoutError
from .base import Layer
from .options import Converter, Option, boolean, text


def _anything() -> Converter:
    return Converter(lambda v: v, "any value", {})


def _names() -> Converter:
    def convert(v):
        if isinstance(v, str):
            return (v,)
        return tuple(str(x) for x in v)

    return Converter(convert, "a list of names", {"type": "array", "items": {"type": "string"}})


def _struct() -> Converter:
    def convert(v):
        if v is None or isinstance(v, dict):
            return v
        raise ValueError

    return Converter(convert, "a struct (dict)", {"type": "object"})


class PlaceholderLayer(Layer):
    """Stands in for a layer that cannot run here (MATLAB class ``nnet.cnn.layer.PlaceholderLayer``).

    Properties (all optional): ``OperatorType`` (ONNX op, ``domain::op`` for custom domains) and ``ONNXNode``;
    ``MatlabClass`` (the MATLAB layer class or function it replaces), ``Properties`` (saved property values),
    ``Source`` (MATLAB source text, shown and never run); ``Reason`` (why it is a placeholder);
    ``InputNames``/``OutputNames``; ``IsOutput`` (it replaces an output layer).
    """

    MATLAB_NAME: ClassVar[str] = "placeholderLayer"
    CLASS_NAME: ClassVar[str] = "PlaceholderLayer"
    PY_CONSTRUCTOR: ClassVar[str] = "PlaceholderLayer"
    TYPE: ClassVar[str] = "Placeholder"
    DEFAULT_NAME: ClassVar[str] = "placeholder"
    FAMILY: ClassVar[str] = "utility"
    #: class-level defaults of a subclass standing for one MATLAB class (the porter's classdef placeholders)
    REASON: ClassVar[str] = ""
    ORIGIN: ClassVar[str] = ""
    OPTIONS: ClassVar[tuple] = (
        Option("OperatorType", text(), ""),
        Option("MatlabClass", text(), ""),
        Option("Reason", text(), ""),
        Option("Source", text(), ""),
        Option("Properties", _anything(), None),
        Option("ONNXNode", _struct(), None),
        Option("InputNames", _names(), ("in",)),
        Option("OutputNames", _names(), ("out",)),
        Option("IsOutput", boolean(), False),
    )

    def _get(self, name: str, default=None):
        return self._values.get(name, default)

    @property
    def IS_OUTPUT(self) -> bool:  # noqa: N802 - Layer's class attribute, per instance here (IsOutput)
        return bool(self._values.get("IsOutput"))

    @property
    def is_output(self) -> bool:
        return bool(self.IS_OUTPUT or self._get("IsOutput"))

    def input_names(self) -> tuple:
        return tuple(self._get("InputNames") or ("in",))

    def output_names(self) -> tuple:
        return () if self.is_output else tuple(self._get("OutputNames") or ("out",))

    def stands_for(self) -> str:
        """What the placeholder replaces, in words."""
        op = self._get("OperatorType") or ""
        cls = self._get("MatlabClass") or ("" if type(self).MATLAB_NAME == "placeholderLayer" else type(self).MATLAB_NAME)
        source = self._get("Source") or ""
        if op:
            return f"the ONNX operator '{op}'"
        if source:
            return f"a {cls or 'FunctionLayer'} whose function is the MATLAB code {source}"
        if cls:
            return f"the {'output ' if self.is_output else ''}layer class '{cls}'"
        return "a layer layergraph cannot build"

    def reason(self) -> str:
        return self._get("Reason") or type(self).REASON

    def description(self) -> str:
        op = self._get("OperatorType") or ""
        if op:
            return f"Placeholder for the ONNX operator '{op}'"
        if self._get("Source"):
            return f"Placeholder for {self._get('MatlabClass') or 'FunctionLayer'} {self._get('Source')} (MATLAB code, not run)"
        return f"Placeholder for {self.stands_for()}"

    def analysis_warning(self) -> str | None:
        """Output placeholders analyse (as a warning): the network still compiles; only its loss is missing."""
        if not self.is_output:
            return None
        reason = self.reason()
        return (f"Layer is a placeholder for {self.stands_for()}{f' ({reason})' if reason else ''}. The network "
                "analyses and compiles; training needs its loss: define the layer in Python and replace it.")

    def loss(self, outputs, targets, layout=None):
        from ..errors import CustomLayerError

        raise CustomLayerError(f"Layer '{self.Name}' is a placeholder for {self.stands_for()}: its loss is not "
                               "available, so the network cannot be trained. Define the layer in Python (a "
                               "custom output layer with forwardLoss) and replaceLayer the placeholder.")

    def infer(self, inputs):
        if self.is_output:
            return []
        reason = self.reason()
        raise LayoutError(
            f"Layer is a placeholder for {self.stands_for()}{f' ({reason})' if reason else ''}. "
            "Define the layer in Python and replace the placeholder (replaceLayer) before analysing or "
            "building the network."
        )

    def learnable_sizes(self, inputs):
        return {}

    def build(self, inputs):
        if self.is_output:
            from torch import nn

            return nn.Identity()
        return self.infer(inputs)


PlaceholderLayer._finalize_options()


def placeholder_output(**values) -> PlaceholderLayer:
    """A placeholder for an output layer (no outputs)."""
    return PlaceholderLayer(IsOutput=True, **values)


__all__ = ["PlaceholderLayer", "placeholder_output"]
