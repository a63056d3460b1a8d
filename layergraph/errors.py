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
    """A MATLAB run-time error (MATLAB's MException), raised by ``layergraph run``, by the shared MATLAB
    semantics and by translated programs.

    ``identifier`` is MATLAB's message identifier (``'MATLAB:badsubscript'``, ``''`` when none),
    ``message`` the text MATLAB shows, ``stack`` a list of ``(file, name, line)`` from the innermost frame
    out (``name`` is the function, ``file>local`` for a local function, or the script's name).
    ``using`` names the function the error was raised in when MATLAB says so (``Error using zeros``);
    ``thrown`` is True when MATLAB code threw it (``error``/``throw``): the report then says
    ``Error using fname (line N)``. ``text`` is the porter's located form (``file:line:col: ...``).
    ``str(exc)``: MATLAB's report (:meth:`report`) once the error has a stack, else ``text`` or ``message``.
    """

    def __init__(self, message: str, identifier: str = "", text: str | None = None, *, stack=(),
                 using: str | None = None, thrown: bool = False, source_lines=None):
        self.message = str(message)
        self.identifier = str(identifier or "")
        self.text = text
        self.stack = list(stack)
        self.using = using
        self.thrown = thrown
        self.source_lines = dict(source_lines or {})   # (file, line) -> source text, for the report
        self.location = None      # file:line:col where the error was raised (run mode)
        super().__init__(self.message if text is None else text)

    def add_frame(self, file: str, name: str, line: int, text: str | None = None) -> None:
        """Append a caller's frame (outer frames come last)."""
        self.stack.append((file, name, int(line)))
        if text is not None:
            self.source_lines[(file, int(line))] = text

    def report(self) -> str:
        """MATLAB's printout of an uncaught error (``getReport(ME)``)::

            Error using fname (line 3)
            message
            Error in script (line 7)
            y = fname(x);
        """
        lines = []
        frames = list(self.stack)
        if self.thrown and frames:
            file, name, line = frames[0]
            lines.append(f"Error using {name} (line {line})")
            frames = frames[1:]
        elif self.using:
            lines.append(f"Error using {self.using}")
        lines.append(self.message)
        for file, name, line in frames:
            lines.append(f"Error in {name} (line {line})")
            text = self.source_lines.get((file, line))
            if text is not None:
                lines.append(text.strip())
        return "\n".join(lines)

    def __str__(self) -> str:
        from .textsafe import printable_message

        if self.stack:
            return printable_message(self.report())
        return printable_message(self.text if self.text is not None else self.message)
