"""What MATLAB code may touch: the one place that decides which files a MATLAB script reads or writes.

Python callers of layergraph are not confined: ``imread('/any/path.png')`` from Python reads the file.
MATLAB code run or ported by layergraph is: the interpreter enters :func:`confined` with the folders the
script may use (its own folder, the current folder, ``--allow-dir`` folders), and every MATLAB file
function (``load``, ``save``, ``imread``, ``imwrite``, ``readtable``, ``writetable``, ``saveas``,
``exportgraphics``, datastores, ...) asks :func:`check_read` / :func:`check_write` before it opens a
path. ``port``, ``validate``, ``analyze`` and ``plot`` enter it with ``read_only=True`` and no folders,
so a data function reached while porting can open nothing.

Functions that start programs or evaluate text (``system``, ``eval``, ``py.*``, ...) are refused in
every mode; :data:`REFUSED_FUNCTIONS` lists them for the interpreter.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LayerGraphError


class PolicyError(LayerGraphError, PermissionError):
    """MATLAB code asked for a file or an operation the policy does not allow."""


REFUSED_FUNCTIONS = frozenset({
    "system", "unix", "dos", "!", "eval", "evalin", "evalc", "assignin", "evalinContext",
    "websave", "webread", "webwrite", "urlread", "urlwrite", "ftp", "sftp", "sendmail",
    "py", "java", "javaObject", "javaMethod", "javaaddpath", "NET", "loadlibrary", "calllib",
    "mex", "perl",
})


@dataclass(frozen=True)
class FilePolicy:
    """Folders MATLAB code may read and write under (resolved, symlinks followed)."""

    folders: tuple[Path, ...] = ()
    read_only: bool = False
    extra_read: tuple[Path, ...] = field(default_factory=tuple)

    def allows(self, path: Path, folders) -> bool:
        return any(path == root or root in path.parents for root in folders)


_ACTIVE: contextvars.ContextVar[FilePolicy | None] = contextvars.ContextVar("layergraph_file_policy", default=None)


def _resolve(path) -> Path:
    text = os.fspath(path)
    if "\x00" in text:
        raise PolicyError(f"file name contains a NUL character: {text!r}")
    return Path(text).expanduser().resolve()


@contextlib.contextmanager
def confined(folders=(), *, read_only: bool = False, extra_read=()):
    """Run the body with MATLAB file access limited to ``folders`` (and ``extra_read`` for reading)."""
    policy = FilePolicy(tuple(_resolve(f) for f in folders), read_only, tuple(_resolve(f) for f in extra_read))
    token = _ACTIVE.set(policy)
    try:
        yield policy
    finally:
        _ACTIVE.reset(token)


def active_policy() -> FilePolicy | None:
    """The policy in force, or None when called from Python (unconfined)."""
    return _ACTIVE.get()


def check_read(path, function: str = "load") -> Path:
    """Return the resolved path MATLAB function ``function`` may read, or raise PolicyError."""
    resolved = _resolve(path)
    policy = _ACTIVE.get()
    if policy is None:
        return resolved
    if policy.allows(resolved, policy.folders + policy.extra_read):
        return resolved
    raise PolicyError(f"{function}: reading '{os.fspath(path)}' is not allowed: MATLAB code may read files only "
                      f"under {_describe(policy.folders + policy.extra_read)}")


def check_write(path, function: str = "save") -> Path:
    """Return the resolved path MATLAB function ``function`` may write, or raise PolicyError."""
    resolved = _resolve(path)
    policy = _ACTIVE.get()
    if policy is None:
        return resolved
    if policy.read_only:
        raise PolicyError(f"{function}: writing '{os.fspath(path)}' is not allowed while porting or analysing a "
                          "script (use 'layergraph run' to execute it)")
    if policy.allows(resolved, policy.folders):
        return resolved
    raise PolicyError(f"{function}: writing '{os.fspath(path)}' is not allowed: MATLAB code may write files only "
                      f"under {_describe(policy.folders)}")


def check_function(name: str) -> None:
    """Raise PolicyError if MATLAB code may never call ``name`` (shell, text evaluation, py.*, java.*)."""
    if name in REFUSED_FUNCTIONS or name.startswith(("py.", "java.", "javax.", "NET.")):
        raise PolicyError(f"'{name}' is not available: layergraph never runs shell commands, evaluates text "
                          "or reaches Python/Java from MATLAB code")


def _describe(folders) -> str:
    return ", ".join(f"'{f}'" for f in folders) if folders else "no folder (file access is off in this mode)"


__all__ = ["FilePolicy", "PolicyError", "REFUSED_FUNCTIONS", "active_policy", "check_function", "check_read",
           "check_write", "confined"]
