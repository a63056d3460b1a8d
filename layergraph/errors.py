"""The project's own errors. Every message names the layer, option, port, JSON path or file:line:col."""

from __future__ import annotations


class LayerGraphError(Exception):
    """Base class of every error layergraph raises on bad input.

    Its text never carries terminal control sequences: user text in it (layer names, file names) is
    shown with control characters escaped (see :mod:`layergraph.textsafe`).
    """

    def __str__(self) -> str:
        from .textsafe import printable_message

        return printable_message(super().__str__())


class OptionError(LayerGraphError, ValueError):
    """A layer or function option is unknown, missing or has a bad value."""


class GraphError(LayerGraphError):
    """A graph edit is invalid (unknown layer or port, duplicate name, connected input, ...)."""


class LayoutError(LayerGraphError):
    """A layer cannot accept the sizes or formats of its inputs (raised by size rules)."""


class NetworkError(LayerGraphError):
    """A network is invalid; ``issues`` holds every problem found, as analyzeNetwork reports them."""

    def __init__(self, issues, function: str = "assembleNetwork"):
        self.issues = list(issues)
        self.function = function
        lines = [f"Error using {function}", "Invalid network.", "Caused by:"]
        for issue in self.issues:
            text = str(issue)
            lines.extend("    " + line for line in text.splitlines())
        super().__init__("\n".join(lines))


class SpecError(LayerGraphError):
    """A JSON network spec is malformed or invalid; the message names the JSON path."""


class MatlabPortError(LayerGraphError):
    """A MATLAB script cannot be ported; the message names file:line:col."""


class TrainingError(LayerGraphError):
    """Training data, options or the training run itself are invalid."""


class PredictionError(LayerGraphError, ValueError):
    """Data given to a trained network for prediction does not fit it (size, layout, type)."""


class CustomLayerError(LayerGraphError):
    """A custom layer class is defined or behaves incorrectly."""


class MatFileError(LayerGraphError):
    """A .mat file cannot be read or one of its objects cannot be decoded; names the file and variable."""


class DataError(LayerGraphError, ValueError):
    """A data file, folder or datastore is invalid (missing, unreadable, empty, mismatched); names the file."""


class MatlabRuntimeError(MatlabPortError):
    """A MATLAB run-time error (MATLAB's ``MException``): ``identifier`` (``MATLAB:badsubscript``) and
    ``message`` as MATLAB gives them. Raised without a location by the shared MATLAB semantics
    (:mod:`layergraph.matlab.semantics`) and by translated programs; the interpreter re-raises it with
    ``file:line:col`` (``text``) added."""

    def __init__(self, message: str, identifier: str = "", text: str | None = None):
        self.message = message
        self.identifier = identifier
        super().__init__(message if text is None else text)
