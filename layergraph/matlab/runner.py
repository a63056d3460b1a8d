"""``layergraph run``: execute a MATLAB script or function file with real values.

``run(path_or_source, workspace=None, args=None, path=None, entry=None)`` runs the whole file in the
interpreter's run mode — every registered MATLAB function really runs (``imageDatastore``,
``trainNetwork``, ``classify``, ...), unterminated statements display their values, and a run-time error is
MATLAB's :class:`~layergraph.errors.MatlabRuntimeError` (``Error using ...`` / ``Error in script (line N)``).
It returns the final workspace: ``{name: MATLAB value}`` (for a function file, the function's workspace,
outputs included).

File policy (:mod:`layergraph.policy`): MATLAB code may read and write files under the script's own folder,
the current folder and the ``path`` folders, nothing else; ``eval``, ``evalin``, ``system``, ``py.*`` and the
other functions in ``policy.REFUSED_FUNCTIONS`` are refused.
"""

from __future__ import annotations

import os
import sys

from ..errors import LayerGraphError, MatlabPortError, MatlabRuntimeError
from ..policy import confined
from .source import decode_source, parse_source, read_file

#: elements per array run mode allocates (MATLAB's own limit is memory; this stops a runaway script early)
RUN_MAX_ELEMENTS = 2_000_000_000


class RunUsageError(LayerGraphError):
    """The run itself is set up wrongly (no such file, a bad --var/--args, an unknown entry function)."""


def _source(path_or_source):
    if isinstance(path_or_source, bytes):
        text, enc = decode_source(path_or_source)
        return parse_source(text, "<string>", enc), None
    if isinstance(path_or_source, os.PathLike) or (
            isinstance(path_or_source, str) and "\n" not in path_or_source
            and (path_or_source.endswith(".m") or os.path.isfile(path_or_source))):
        p = os.fspath(path_or_source)
        if not os.path.isfile(p):
            raise RunUsageError(f"{p}: no such file.")
        try:
            return read_file(p), os.path.dirname(os.path.abspath(p))
        except MatlabPortError as exc:
            raise RunUsageError(str(exc)) from None
    if isinstance(path_or_source, str):
        return parse_source(path_or_source, "<string>"), None
    raise RunUsageError("run() takes a .m file path, MATLAB source text, or bytes.")


def run_folders(script_dir, search) -> list[str]:
    """Folders MATLAB code may read and write in run mode: the script's folder, the current folder and
    the --path folders."""
    folders = []
    if script_dir:
        folders.append(script_dir)
    folders.append(os.getcwd())
    folders.extend(os.path.abspath(os.fspath(d)) for d in search)
    return folders


def run(path_or_source, workspace=None, args=None, path=None, entry: str | None = None, *,
        var_specs=None, max_depth: int = 500, seed: int = 0, file_folders=()) -> dict:
    """Run a MATLAB script or function file (``layergraph run``) and return its final workspace.

    ``workspace``: initial variables (Python or MATLAB values; the script may overwrite them).
    ``var_specs``: ``["k=v", ...]`` with MATLAB expressions (the CLI's ``--var``). ``args``: the main
    function's arguments (a list of values, or MATLAB expressions as one string ``"[32 32 3], 10"``).
    ``path``: extra folders searched for function files (and allowed for file access). ``entry``: a local
    function of the file to run instead of the main one. ``file_folders``: more folders MATLAB code may read
    and write (the CLI adds ``--figures DIR``).

    Raises :class:`MatlabRuntimeError` (``str()`` is MATLAB's error report) when the MATLAB code fails,
    :class:`RunUsageError` when the run is set up wrongly.
    """
    from .api import _load_registries

    _load_registries()
    search = [path] if isinstance(path, (str, os.PathLike)) else list(path or [])
    src, script_dir = _source(path_or_source)
    if src.syntax_errors:
        # MATLAB parses the whole file first: nothing runs, and the report names file, line and column
        line, col, msg = src.syntax_errors[0]
        name = os.path.basename(src.path) if src.path != "<string>" else src.path
        text = f"Error: File: {name} Line: {line + 1} Column: {col + 1}\n{_syntax_message(msg)}"
        exc = MatlabRuntimeError(_syntax_message(msg), "MATLAB:syntaxError", text)
        exc.location = src.location(line, col)
        raise exc
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    from .display import reset_format
    from .textio import close_all_files

    reset_format()          # each run starts in format short, loose (format changes last for the run)
    try:
        with confined(run_folders(script_dir, search) + [os.path.abspath(os.fspath(f)) for f in file_folders]):
            try:
                return _run(src, workspace, args, search, entry, var_specs, max_depth, seed)
            except RecursionError:
                raise MatlabRuntimeError("Maximum recursion limit reached (the interpreter's nesting limit).",
                                         "MATLAB:recursionLimit") from None
    finally:
        sys.setrecursionlimit(old_limit)
        close_all_files()   # files the script fopen'ed and never fclose'd
        reset_format()


def _syntax_message(msg: str) -> str:
    return "Invalid syntax" + (f" ({msg})" if msg else "") + "."


def _label(src) -> str:
    from .interp import script_label

    return script_label(src)


def _run(src, workspace, args, search, entry, var_specs, max_depth, seed) -> dict:
    from .access import to_matlab
    from .api import parse_args_text, parse_var
    from .interp import Frame, Interpreter, function_label

    try:
        initial = {k: to_matlab(v) for k, v in (workspace or {}).items()}
    except LayerGraphError as exc:
        raise RunUsageError(f"workspace: {exc}") from None
    interp = Interpreter(search_path=search, max_steps=float("inf"), max_depth=max_depth, seed=seed,
                         max_elements=RUN_MAX_ELEMENTS, run_mode=True)
    for spec in var_specs or ():
        try:
            k, v = _strict(interp, parse_var, spec)
        except MatlabPortError as exc:
            raise RunUsageError(str(exc)) from None
        initial[k] = v
    positional = []
    if args is not None:
        if isinstance(args, str):
            try:
                positional = _strict(interp, parse_args_text, args)
            except MatlabPortError as exc:
                raise RunUsageError(str(exc)) from None
        else:
            positional = [to_matlab(v) for v in args]
    kinds = [k.t for k in src.root.kids if k.t != "comment"]
    function_file = (bool(kinds) and kinds[0] == "function_definition") or entry is not None
    if not function_file:
        if args is not None:
            raise RunUsageError(f"{src.path}: --args needs a function file (this file is a script).")
        frame = interp.run_source(src, initial)
        return dict(frame.vars)
    functions = interp.collect_functions(src)
    interp.main_src, interp.main_functions = src, functions
    name = entry
    if name is None:
        first = next(k for k in src.root.kids if k.t == "function_definition")
        name = first.f["name"].v if "name" in first.f else None
    fd = functions.get(name) if name else None
    if fd is None:
        raise RunUsageError(f"{src.path}: no function named '{name}' (functions: {', '.join(functions) or 'none'})")
    params = [p for p in fd.params if p != "varargin"]
    slots = list(positional)
    for i, p in enumerate(params):
        if p in initial:
            if i < len(positional):
                raise RunUsageError(f"parameter '{p}' of {fd.name} is given twice (--args and --var)")
            while len(slots) <= i:
                slots.append(None)
            slots[i] = initial.pop(p)
    if any(s is None for s in slots):
        missing = [params[i] for i, s in enumerate(slots) if s is None]
        raise RunUsageError(f"{fd.name}: parameter(s) {', '.join(missing)} not given (MATLAB passes arguments in "
                            "order: give the earlier ones with --args or --var)")
    if initial:
        raise RunUsageError(f"{fd.name} has no parameter named {', '.join(initial)} (parameters: "
                            f"{', '.join(params) or 'none'})")
    frame = Frame(fd.file, fd.functions, fd.name, nargin=len(slots), nargout=0)
    frame.fd = fd
    interp.main_frame = frame
    interp.call_stack = [function_label(fd)]
    interp.live_frames.append(frame)
    interp.bind_args(fd, slots, frame, fd.node)
    interp.run_body(fd.body, frame)
    return dict(frame.vars)


def _strict(interp, fn, text):
    """Evaluate --var/--args text in the porter's strict mode (constants only, no data functions)."""
    interp.run_mode = False
    try:
        return fn(interp, text)
    finally:
        interp.run_mode = True


def format_report(exc: MatlabRuntimeError) -> str:
    """What ``layergraph run`` prints for an uncaught error (MATLAB's layout)."""
    return str(exc)


__all__ = ["run", "RunUsageError", "run_folders", "format_report", "RUN_MAX_ELEMENTS"]
