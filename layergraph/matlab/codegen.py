"""Python code generation: a readable script, using ``from layergraph import *``, that rebuilds the networks.

Layers are written from their values (MATLAB constructor name, required arguments positionally, every
option that differs from MATLAB's default as a keyword with its MATLAB name), so a network built by
loops and helper functions comes out as a flat, readable layer list. Graphs are written as
``layerGraph``/``addLayers`` of their connected chains plus ``connectLayers`` for the other edges.
"""

from __future__ import annotations

import keyword
import math

import numpy as np
import torch

from ..graph import LayerGraph
from ..layers.base import Layer

INDENT = "    "


class CodegenError(Exception):
    pass


def py_value(value) -> str:
    """Python source for an option value (canonical layer values: numbers, text, lists, tensors)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "float('nan')"
        if math.isinf(x):
            return "float('inf')" if x > 0 else "-float('inf')"
        return repr(x)
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(py_value(v) for v in value) + "]"
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        body = py_value(t.tolist()) if t.dim() else py_value(float(t.item()))
        return f"torch.tensor({body})"
    if isinstance(value, np.ndarray):
        return f"np.array({py_value(value.tolist())})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_value(k)}: {py_value(v)}" for k, v in value.items()) + "}"
    text = getattr(value, "matlab_text", None)
    if text is not None:
        raise CodegenError(f"a function handle ({text})")
    raise CodegenError(f"a {type(value).__name__} value")


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and bool(
            torch.equal(a, b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        return False


def layer_call(layer: Layer, notes: list) -> str:
    """``convolution2dLayer(5, 20, Padding='same', Name='conv1')``."""
    cls = type(layer)
    values = layer.values()
    opts = cls.options()
    args = []
    used = set()
    for pname in cls.POSITIONAL:
        opt = opts[pname]
        if opt.required:
            args.append(py_value(values[pname]))
            used.add(pname)
        else:
            break
    kwargs = []
    for name, opt in opts.items():
        if name in used or not opt.settable:
            continue
        v = values.get(name)
        if _equal(v, opt.default):
            continue
        if name == "Name":
            continue
        try:
            text = py_value(v)
        except CodegenError as exc:
            notes.append(f"{layer.label()}: option {name} is {exc} and cannot be written as Python; "
                         f"it is left at its default here")
            continue
        key = name if name.isidentifier() and not keyword.iskeyword(name) else None
        if key is None:
            raise CodegenError(f"option name {name!r}")
        kwargs.append(f"{key}={text}")
    if values.get("Name"):
        kwargs.append(f"Name={py_value(values['Name'])}")
    inner = ", ".join(args + kwargs)
    ctor = getattr(cls, "PY_CONSTRUCTOR", None) or cls.MATLAB_NAME
    return f"{ctor}({inner})"


def layer_list(layers, notes, indent: str) -> str:
    if not layers:
        return "[]"
    lines = ["["]
    for layer in layers:
        lines.append(f"{indent}{INDENT}{layer_call(layer, notes)},")
    lines.append(f"{indent}]")
    return "\n".join(lines)


def graph_code(var: str, graph: LayerGraph, notes: list) -> list[str]:
    layers = graph.layer_list()
    edges = list(graph.edge_list())
    chain_edges = set()
    chunks: list[list[Layer]] = []
    prev = None
    for layer in layers:
        linked = False
        if prev is not None and prev.output_names() and layer.input_names():
            key = (prev.Name, prev.output_names()[0], layer.Name, layer.input_names()[0])
            if key in graph._data()["edges"]:
                linked = True
                chain_edges.add(key)
        if linked:
            chunks[-1].append(layer)
        else:
            chunks.append([layer])
        prev = layer
    out = []
    if len(chunks) == 1:
        out.append(f"{var} = layerGraph({layer_list(chunks[0], notes, '')})")
    else:
        out.append(f"{var} = layerGraph()")
        for chunk in chunks:
            out.append(f"{var} = addLayers({var}, {layer_list(chunk, notes, '')})")
    for src, sport, dst, dport in edges:
        if (src, sport, dst, dport) in chain_edges:
            continue
        s = graph._port_string(src, sport, output=True)
        d = graph._port_string(dst, dport, output=False)
        out.append(f"{var} = connectLayers({var}, {py_value(s)}, {py_value(d)})")
    return out


def generate(networks: dict, origin: str, custom_classes: list | None = None) -> tuple[str, list]:
    """(Python source, notes) rebuilding ``networks`` (name -> layer list, LayerGraph or network)."""
    notes: list[str] = []
    body: list[str] = []
    needs_torch = False
    for name, value in networks.items():
        var = name if name.isidentifier() and not keyword.iskeyword(name) else f"{name}_"
        body.append("")
        if isinstance(value, LayerGraph):
            body.extend(graph_code(var, value, notes))
        elif isinstance(value, list):
            body.append(f"{var} = {layer_list(value, notes, '')}")
        else:
            meta = getattr(value, "_lg", None)
            graph = getattr(meta, "graph", None)
            if graph is None:
                notes.append(f"{name}: a {type(value).__name__} value cannot be written as Python")
                continue
            fn = "dlnetwork" if getattr(meta, "kind", "") == "dlnetwork" else "assembleNetwork"
            body.extend(graph_code(f"{var}_graph", graph, notes))
            body.append(f"{var} = {fn}({var}_graph)")
    text = "\n".join(body)
    if "torch." in text:
        needs_torch = True
    header = [
        f'"""Networks defined by {origin}, rebuilt with the layergraph API.',
        "",
        "Generated by `layergraph port`; MATLAB layer names and options are kept.",
        '"""',
        "",
        "from layergraph import *  # noqa: F401,F403 - every MATLAB name",
    ]
    if needs_torch:
        header.append("import torch")
    if "np.array" in text:
        header.append("import numpy as np")
    if custom_classes:
        header.append("from layergraph.matlab.custom import MatlabCustomLayer, PlaceholderLayer, mfun  # noqa: F401")
        for cls_src in custom_classes:
            header.append("")
            header.append("")
            header.append(cls_src)
        header.append("")
    if notes:
        header.append("")
        for n in notes:
            header.append(f"# NOTE: {n}")
    return "\n".join(header) + "\n" + text + "\n", notes


__all__ = ["generate", "layer_call", "py_value", "graph_code", "CodegenError"]
