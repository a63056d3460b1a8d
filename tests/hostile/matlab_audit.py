"""A Python audit hook for the MATLAB hostile-input tests (installed once per process, switched on per run).

While switched on it records every event that would mean MATLAB code reached Python: a shell or process
start, ``exec``/``eval``/``compile`` of anything but torch.fx's own generated code (code objects named
``<eval_with_key>...``), ``open`` for writing, and ``import`` (run the same call once first, switched
off, so that lazy imports of the project itself happen in the warm-up).
"""

from __future__ import annotations

import contextlib
import os
import sys

_PROCESS_EVENTS = {"os.system", "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.fork",
                   "os.forkpty", "pty.spawn", "os.startfile", "ctypes.dlopen", "socket.connect", "webbrowser.open",
                   "shutil.rmtree", "os.remove", "os.rename", "os.mkdir", "os.symlink", "os.truncate"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

_state = {"installed": False, "on": False, "events": []}


def _fx_code(name) -> bool:
    return isinstance(name, str) and name.startswith("<eval_with_key>")


def _hook(event, args):
    if not _state["on"]:
        return
    if event in _PROCESS_EVENTS:
        _state["events"].append((event, repr(args)[:200]))
    elif event == "exec":
        code = args[0] if args else None
        if not _fx_code(getattr(code, "co_filename", None)):
            _state["events"].append((event, getattr(code, "co_filename", repr(code))))
    elif event == "compile":
        if not _fx_code(args[1] if len(args) > 1 else None):
            _state["events"].append((event, repr(args[1] if len(args) > 1 else args)[:200]))
    elif event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing:
            _state["events"].append((event, repr(path)[:200]))
    elif event == "import":
        _state["events"].append((event, repr(args[0])[:200]))


def install() -> None:
    """Install the hook (once per process; an audit hook cannot be removed)."""
    if not _state["installed"]:
        sys.addaudithook(_hook)
        _state["installed"] = True


@contextlib.contextmanager
def audited():
    """Record audit events inside the block; yields the list of (event, detail)."""
    install()
    events: list = []
    _state["events"] = events
    _state["on"] = True
    try:
        yield events
    finally:
        _state["on"] = False


def run_audited(fn):
    """Run ``fn()`` once unaudited (warm-up), then again audited; return (result or exception, events)."""
    def call():
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is returned to the test
            return exc

    call()
    with audited() as events:
        outcome = call()
    return outcome, list(events)
