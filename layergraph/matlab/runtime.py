"""Run-time pieces of ``layergraph run`` that depend on the interpreter's state: MATLAB's exceptions
(``error``, ``MException``, ``throw``, ``rethrow``, ``getReport``, ``lasterr``, ``try/catch ME``),
``warning``, ``assert``, ``tic``/``toc``, and the statement-display hook.

Every function here is ``fn(interp, frame, args, nargout, node) -> list of outputs`` and is registered
in the interpreter's table of frame functions (they need the call stack, so they are not in the registry
of MATLAB functions).
"""

from __future__ import annotations

import re
import sys
import time

import numpy as np

from ..errors import MatlabRuntimeError
from .values import Cell, MString, Struct, num

_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:-")


class MException:
    """MATLAB's MException: ``identifier``, ``message``, ``stack`` (N×1 struct of file, name, line) and
    ``cause``. MATLAB code reads the properties and calls ``getReport``/``throw``/``rethrow`` on it."""

    MATLAB_PROPERTIES = ("identifier", "message", "stack", "cause")
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("getReport", "throw", "rethrow", "throwAsCaller", "addCause")

    def __init__(self, identifier: str = "", message: str = "", error: MatlabRuntimeError | None = None):
        self.identifier = str(identifier)
        self.message = str(message)
        self.error = error          # the exception it was caught from (rethrow keeps its stack)
        self.causes: list = []

    @classmethod
    def from_error(cls, exc) -> "MException":
        if isinstance(exc, MatlabRuntimeError):
            return cls(exc.identifier, exc.message, exc)
        text = str(exc)
        return cls("layergraph:error", text, None)

    @property
    def stack(self):
        from .structs import make

        frames = self.error.stack if self.error is not None else []
        arr = np.empty((len(frames), 1), dtype=object)
        for i, (file, name, line) in enumerate(frames):
            arr[i, 0] = Struct({"file": file, "name": name, "line": num(line)})
        return make(arr, ("file", "name", "line"))

    @property
    def cause(self):
        return Cell.column(self.causes) if self.causes else Cell(np.empty((0, 1), dtype=object))

    def as_error(self) -> MatlabRuntimeError:
        if self.error is not None:
            return self.error
        return MatlabRuntimeError(self.message, self.identifier)

    def report(self) -> str:
        if self.error is not None:
            return self.error.report()
        return self.message

    def __repr__(self):
        return f"MException({self.identifier!r}, {self.message!r})"


def _text(v):
    if isinstance(v, str):
        return str(v)
    if isinstance(v, np.ndarray) and v.size == 0:
        return ""
    return None


def _looks_like_id(text: str) -> bool:
    """MATLAB's message identifier: component:mnemonic (letters, digits, underscores, hyphens), no spaces."""
    parts = text.split(":")
    return len(parts) >= 2 and all(parts) and all(ch in _ID_CHARS for ch in text) and not parts[0][0].isdigit()


def _format(interp, fmt: str, args, node) -> str:
    from .builtins import _sprintf

    return "".join(_sprintf(interp, fmt, list(args), node))


def message_of(interp, args, node, what: str):
    """(identifier, message) from error/warning/MException arguments as MATLAB reads them."""
    if not args:
        raise interp.runtime_error(node, "Not enough input arguments.", "MATLAB:minrhs", using=what)
    first = _text(args[0])
    if first is None:
        raise interp.runtime_error(node, f"The first argument of {what} must be a message (text).",
                                   "MATLAB:error:invalidInput", using=what)
    if len(args) == 1:
        return "", first            # one argument: no identifier, no format conversion
    if _looks_like_id(first) and _text(args[1]) is not None:
        return first, _format(interp, _text(args[1]), args[2:], node)
    return "", _format(interp, first, args[1:], node)


def _error(interp, frame, args, nargout, node):
    if len(args) == 1 and isinstance(args[0], Struct):
        fields = args[0].fields
        message = _text(fields.get("message", "")) or ""
        if not message:
            return []              # error(struct) with an empty message does nothing
        ident = _text(fields.get("identifier", "")) or ""
        raise interp.runtime_error(node, message, ident, thrown=True)
    ident, message = message_of(interp, args, node, "error")
    if not message and len(args) == 1:
        return []                  # error('') does nothing
    raise interp.runtime_error(node, message, ident, thrown=True)


def _mexception(interp, frame, args, nargout, node):
    if len(args) < 2:
        raise interp.runtime_error(node, "Not enough input arguments.", "MATLAB:minrhs", using="MException")
    ident = _text(args[0])
    fmt = _text(args[1])
    if ident is None or fmt is None:
        raise interp.runtime_error(node, "MException takes an identifier and a message (text).",
                                   "MATLAB:MException:invalidInput", using="MException")
    if ident and not _looks_like_id(ident):
        raise interp.runtime_error(node, "The identifier must be of the form component:mnemonic.",
                                   "MATLAB:MException:invalidIdentifier", using="MException")
    message = _format(interp, fmt, args[2:], node) if len(args) > 2 else _format(interp, fmt, [], node)
    return [MException(ident, message)]


def _need_mexception(interp, args, node, what):
    if not args or not isinstance(args[0], MException):
        raise interp.runtime_error(node, f"{what} needs an MException object.", "MATLAB:invalidInput", using=what)
    return args[0]


def _throw(interp, frame, args, nargout, node):
    me = _need_mexception(interp, args, node, "throw")
    raise interp.runtime_error(node, me.message, me.identifier, thrown=True)


def _rethrow(interp, frame, args, nargout, node):
    if args and isinstance(args[0], Struct):     # rethrow(lasterror-style struct)
        fields = args[0].fields
        raise interp.runtime_error(node, _text(fields.get("message", "")) or "",
                                   _text(fields.get("identifier", "")) or "", thrown=True)
    me = _need_mexception(interp, args, node, "rethrow")
    if me.error is not None:
        raise me.error
    raise interp.runtime_error(node, me.message, me.identifier, thrown=True)


def _add_cause(interp, frame, args, nargout, node):
    me = _need_mexception(interp, args, node, "addCause")
    if len(args) < 2 or not isinstance(args[1], MException):
        raise interp.runtime_error(node, "addCause needs an MException cause.", "MATLAB:invalidInput",
                                   using="addCause")
    new = MException(me.identifier, me.message, me.error)
    new.causes = me.causes + [args[1]]
    return [new]


def _get_report(interp, frame, args, nargout, node):
    me = _need_mexception(interp, args, node, "getReport")
    return [me.report()]


def remember_error(interp, exc) -> None:
    interp.last_error = exc


def _lasterr(interp, frame, args, nargout, node):
    exc = getattr(interp, "last_error", None)
    if exc is None:
        return ["", ""] if nargout > 1 else [""]
    message = exc.message if isinstance(exc, MatlabRuntimeError) else str(exc)
    ident = exc.identifier if isinstance(exc, MatlabRuntimeError) else ""
    return [message, ident] if nargout > 1 else [message]


def _warning(interp, frame, args, nargout, node):
    states = interp.__dict__.setdefault("warning_states", {})
    first = _text(args[0]) if args else None
    if first in ("off", "on", "query", "error"):
        ident = _text(args[1]) if len(args) > 1 else "all"
        if first in ("off", "on"):
            states[ident or "all"] = first
        return []
    ident, message = message_of(interp, args, node, "warning")
    if states.get(ident) == "off" or (states.get("all") == "off" and states.get(ident) != "on"):
        return []
    interp.last_warning = (message, ident)
    sys.stdout.flush()
    print(f"Warning: {message}", file=sys.stderr)
    if node is not None and (len(interp.call_stack) > 1 or node.src.path != "<string>"):
        print(f"> In {interp.call_stack[-1]} (line {node.line + 1})", file=sys.stderr)
    return []


def _lastwarn(interp, frame, args, nargout, node):
    message, ident = getattr(interp, "last_warning", ("", ""))
    return [message, ident] if nargout > 1 else [message]


def _tic(interp, frame, args, nargout, node):
    now = time.perf_counter_ns()
    if nargout >= 1:
        return [np.array([[now]], dtype=np.uint64)]
    interp.tic_time = now
    return []


def _toc(interp, frame, args, nargout, node):
    now = time.perf_counter_ns()
    if args:
        start = int(np.asarray(args[0]).reshape(-1)[0])
    else:
        start = getattr(interp, "tic_time", None)
        if start is None:
            raise interp.runtime_error(node, "You must call TIC without an output argument before calling TOC "
                                             "without an input argument.", "MATLAB:toc:callTicFirstNoInputs",
                                       using="toc")
    elapsed = (now - start) / 1e9
    if nargout >= 1:
        return [num(elapsed)]
    sys.stdout.write(f"Elapsed time is {elapsed:.6f} seconds.\n")
    return []


# The interpreter's own (porter) wording of common run-time errors -> MATLAB's message and identifier.
# The MATLAB texts are those MATLAB R2019b+ prints (the example for the index error); see
# docs/guide/running.md for which are confirmed.
_MATLAB_WORDING = [
    (re.compile(r"index exceeds the number of array elements: index \d+, but the dimension has (\d+)"),
     "Index exceeds the number of array elements. Index must not exceed {0}.", "MATLAB:badsubscript"),
    (re.compile(r"array indices must be positive integers"),
     "Array indices must be positive integers or logical values.", "MATLAB:badsubscript"),
    (re.compile(r"index out of bounds: logical index"),
     "The logical indices contain a true value outside of the array bounds.", "MATLAB:badsubscript"),
    (re.compile(r"arrays have incompatible sizes"),
     "Arrays have incompatible sizes for this operation.", "MATLAB:sizeDimensionsMustMatch"),
    (re.compile(r"string arrays have incompatible sizes"),
     "Arrays have incompatible sizes for this operation.", "MATLAB:sizeDimensionsMustMatch"),
    (re.compile(r"incorrect dimensions for matrix multiplication"),
     "Incorrect dimensions for matrix multiplication. Check that the number of columns in the first matrix "
     "matches the number of rows in the second matrix. To operate on each element of the matrix individually, "
     "use TIMES (.*) for elementwise multiplication.", "MATLAB:innerdim"),
    (re.compile(r"unable to perform assignment: the left side has"),
     "Unable to perform assignment because the left and right sides have a different number of elements.",
     "MATLAB:subsassignnumelmismatch"),
    (re.compile(r"dimensions of arrays being concatenated are not consistent"),
     "Dimensions of arrays being concatenated are not consistent.", "MATLAB:catenate:dimensionMismatch"),
    (re.compile(r"brace indexing is only for cell arrays"),
     "Brace indexing is not supported for variables of this type.", "MATLAB:cellRefFromNonCell"),
    (re.compile(r"a null assignment can have only one non-colon index"),
     "A null assignment can have only one non-colon index.", "MATLAB:nullAssignmentNonColonIndex"),
    (re.compile(r"matrix power needs a square matrix"),
     "Incorrect dimensions for raising a matrix to a power. Check that the matrix is square and the power is a "
     "scalar. To operate on each element of the matrix individually, use POWER (.^) for elementwise power.",
     "MATLAB:mpower:notScalarAndSquareMatrix"),
]


def matlab_wording(message: str, identifier: str = ""):
    """(message, identifier) in MATLAB's words for the interpreter's own messages; others unchanged."""
    for pattern, text, ident in _MATLAB_WORDING:
        m = pattern.search(message)
        if m is not None:
            return text.format(*m.groups()), identifier or ident
    return message, identifier


def display_value(name: str, value) -> None:
    """Show an unterminated statement's value (``x = 3`` without a semicolon) as the Command Window does.

    The one display hook of the interpreter: it uses ``layergraph.matlab.display`` (MATLAB's formats)
    when that module exists; the fallback below only keeps the MATLAB layout (``name =``, blank line,
    value, blank line) without MATLAB's number formats.
    """
    try:
        from .display import display_value as show   # MATLAB's Command Window formats
    except ImportError:
        show = _minimal_display
    show(name, value)


def _minimal_display(name: str, value) -> None:
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiub":
        x = value.flat[0]
        text = f"     {int(x)}" if value.dtype.kind in "iub" or float(x).is_integer() else f"    {float(x):.4f}"
    elif isinstance(value, MString):
        text = f'    "{value}"'
    elif isinstance(value, str):
        text = f"    '{value}'"
    else:
        text = "    " + repr(value)
    sys.stdout.write(f"{name} =\n\n{text}\n\n")


def _count_check(interp, frame, args, node, what, count, ident):
    if len(args) != 2:
        raise interp.runtime_error(node, "Not enough input arguments." if len(args) < 2 else
                                   "Too many input arguments.", "MATLAB:minrhs", using=what)
    lo, hi = (float(np.asarray(a).reshape(-1)[0]) for a in args)
    if frame.fd is None:
        raise interp.runtime_error(node, f"You can only call {what} from within a MATLAB function.",
                                   f"MATLAB:{what}:notInFunction", using=what)
    noun = "input" if what == "narginchk" else "output"
    if count < lo:
        raise interp.runtime_error(node, f"Not enough {noun} arguments.", f"MATLAB:{what}:notEnough{ident}",
                                   thrown=True)
    if count > hi:
        raise interp.runtime_error(node, f"Too many {noun} arguments.", f"MATLAB:{what}:tooMany{ident}",
                                   thrown=True)
    return []


def _narginchk(interp, frame, args, nargout, node):
    return _count_check(interp, frame, args, node, "narginchk", frame.nargin, "Inputs")


def _nargoutchk(interp, frame, args, nargout, node):
    return _count_check(interp, frame, args, node, "nargoutchk", frame.nargout, "Outputs")


FRAME_FUNCTIONS = {
    "narginchk": _narginchk, "nargoutchk": _nargoutchk,
    "error": _error, "MException": _mexception, "throw": _throw, "rethrow": _rethrow,
    "throwAsCaller": _throw, "addCause": _add_cause, "getReport": _get_report, "lasterr": _lasterr,
    "warning": _warning, "lastwarn": _lastwarn, "tic": _tic, "toc": _toc,
}

__all__ = ["MException", "FRAME_FUNCTIONS", "display_value", "remember_error", "message_of"]
