"""Shared helpers for the MATLAB porter tests."""

from __future__ import annotations

import os

import torch

from layergraph.graph import LayerGraph

CASES = os.path.join(os.path.dirname(__file__), "matlab_cases")


def case(name: str) -> str:
    return os.path.join(CASES, name)


def _same_value(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and bool(
            torch.equal(a, b))
    return a == b


def same_layers(xs, ys) -> bool:
    """Layers equal by MATLAB type and every value (custom classes compared by MATLAB name)."""
    xs, ys = list(xs), list(ys)
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        if type(x).MATLAB_NAME != type(y).MATLAB_NAME:
            return False
        vx, vy = x.values(), y.values()
        if vx.keys() != vy.keys() or not all(_same_value(vx[k], vy[k]) for k in vx):
            return False
    return True


def same_network(a, b) -> bool:
    if isinstance(a, LayerGraph) and isinstance(b, LayerGraph):
        return same_layers(a.layer_list(), b.layer_list()) and sorted(a.edge_list()) == sorted(b.edge_list())
    if isinstance(a, list) and isinstance(b, list):
        return same_layers(a, b)
    ga, gb = getattr(a, "_lg", None), getattr(b, "_lg", None)
    if ga is not None and gb is not None:
        return ga.kind == gb.kind and same_network(ga.graph, gb.graph)
    return False


def rebuild(result) -> dict:
    """Run the *generated* Python (our own output, not user input) and return its namespace."""
    namespace: dict = {}
    exec(compile(result.python_source, "<generated>", "exec"), namespace)  # noqa: S102 - our generated code
    return namespace


def assert_rebuilds(result) -> dict:
    """The generated Python rebuilds every network; every warning and error names file:line:col."""
    import re

    for text in list(result.warnings) + list(result.errors):
        assert re.match(r"^.+:\d+:\d+: ", text), text
    ns = rebuild(result)
    for name, value in result.networks.items():
        assert name in ns, f"generated code does not define {name}"
        assert same_network(ns[name], value), f"generated code rebuilds a different {name}"
    return ns
