"""Spec errors: every message names the file, the JSON path (``layers[3].Padding``) or line:column."""

from __future__ import annotations

from ..errors import SpecError


class SpecFileError(SpecError):
    """The spec file (or text) cannot be read at all: missing, a directory, unreadable, not UTF-8."""


def _where(file, path, line, column) -> str:
    parts = []
    if file:
        parts.append(f"{file}:{line}:{column}" if line is not None else file)
    elif line is not None:
        parts.append(f"line {line}, column {column}")
    if path:
        parts.append(path)
    return ": ".join(parts)


def spec_error(problems, *, file: str | None = None, line: int | None = None, column: int | None = None,
               locations: list | None = None, cls=SpecError) -> SpecError:
    """A SpecError for one or more ``(path, message)`` problems (path may be None).

    ``locations`` gives each problem's ``(line, column)`` in the text (or None), shown before its path.

    The message is ``file:line:col: message`` or ``file: path: message``; several problems are listed
    one per line. Attributes: ``problems``, ``path`` (of the first problem), ``file``, ``line``, ``column``.
    """
    if isinstance(problems, tuple):
        problems = [problems]
    problems = list(problems)
    if locations is not None and line is None and locations[0] is not None:
        line, column = locations[0]
    shown = []
    for i, (path, message) in enumerate(problems[:20]):
        at = locations[i] if locations is not None and locations[i] is not None else (None, None)
        where = _where(file, path, *at) if locations is not None else _where(file, path, line, column)
        shown.append(f"{where}: {message}" if where else message)
    if len(problems) > 20:
        shown.append(f"... and {len(problems) - 20} more problems")
    if len(problems) == 1:
        text = shown[0]
    else:
        text = f"{len(problems)} problems in the network spec:\n" + "\n".join("  " + s for s in shown)
    err = cls(text)
    err.problems = problems
    err.path = problems[0][0] if problems else None
    err.file = file
    err.line = line
    err.column = column
    return err


__all__ = ["SpecError", "SpecFileError", "spec_error"]
