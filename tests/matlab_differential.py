"""Run a MATLAB snippet both ways — the interpreter (``layergraph.matlab.run``) and the program ``layergraph
port`` emits, executed in-process — and compare the final workspaces (the translator's oracle)."""

from __future__ import annotations

import numpy as np

from layergraph.errors import LayerGraphError
from layergraph.matlab import run
from layergraph.matlab.source import parse_source
from layergraph.matlab.translate import translate_source
from layergraph.matlab.values import Cell, FuncHandle, StrArr, Struct


def interpret(text: str):
    """('ok', workspace) or ('error', identifier)."""
    try:
        return "ok", run(text)
    except LayerGraphError as exc:
        return "error", getattr(exc, "identifier", ""), str(exc)


def translated(text: str) -> str:
    return translate_source(parse_source(text, "snippet.m"), label="snippet.m").python_source


def execute(python: str):
    namespace: dict = {"__name__": "snippet"}
    exec(compile(python, "snippet.py", "exec"), namespace)   # the test runs the emitted program
    try:
        return "ok", namespace["script"]()
    except LayerGraphError as exc:
        import layergraph.matlab.lang as ml

        exc = ml.matlab_error(exc)       # how the program reports it (ml.main, catch ME)
        return "error", getattr(exc, "identifier", ""), str(exc)


def same_value(a, b) -> bool:
    if isinstance(a, FuncHandle) or callable(a) and not isinstance(a, (np.ndarray, str)):
        return isinstance(b, FuncHandle) or callable(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype == object:
            return all(same_value(x, y) for x, y in zip(a.reshape(-1), b.reshape(-1)))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (Cell, StrArr)):
        return same_value(a.a, b.a)
    if isinstance(a, Struct):
        return list(a.fields) == list(b.fields) and all(same_value(a.fields[k], b.fields[k]) for k in a.fields)
    if isinstance(a, str):
        return a == b
    if type(a).__name__ == "MException":
        return a.identifier == b.identifier and a.message == b.message
    return a == b


def compare(text: str) -> tuple[bool, str]:
    """(same, explanation) for one snippet."""
    python = translated(text)
    want = interpret(text)
    got = execute(python)
    if want[0] != got[0]:
        return False, f"interpreter: {want}\ntranslation: {got}\n{python}"
    if want[0] == "error":
        return want[1] == got[1], f"error identifiers differ: {want[1]!r} vs {got[1]!r}\n{python}"
    a, b = want[1], got[1]
    if set(a) != set(b):
        return False, f"variables differ: {sorted(a)} vs {sorted(b)}\n{python}"
    for k in a:
        if not same_value(a[k], b[k]):
            return False, f"{k}: interpreter {a[k]!r}, translation {b[k]!r}\n{python}"
    return True, ""
