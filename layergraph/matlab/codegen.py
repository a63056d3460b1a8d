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

from ..errors import MatlabPortError
from ..graph import LayerGraph
from ..layers.base import Layer

INDENT = "    "

#: learnable/state values with more elements than this (a pretrained network's weights) are not written
#: as literals: the generated source would be hundreds of MB; a note says so instead.
MAX_LITERAL_ELEMENTS = 10_000


class CodegenError(MatlabPortError):
    """A value cannot be written as Python source (the generated script notes it instead)."""


def comment_text(text) -> str:
    """Script text for a one-line ``#`` comment: control characters, line and paragraph separators escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def doc_text(text) -> str:
    """Script text inside a one-line triple-quoted docstring: also backslashes and quotes escaped."""
    return comment_text(str(text).replace("\\", "\\\\").replace('"', '\\"'))


def py_identifier(name: str, fallback: str) -> str:
    """``name`` if it is a plain ASCII Python identifier that is not a keyword, else ``fallback``."""
    if isinstance(name, str) and name.isidentifier() and name.isascii() and not keyword.iskeyword(name) \
            and not keyword.issoftkeyword(name):
        return name
    return fallback


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
    from .custom import TranslatedHandle

    if isinstance(value, TranslatedHandle):
        return value.source()     # code generated from the handle's parsed expression tree
    from .values import HandleFunction

    if isinstance(value, HandleFunction):
        raise CodegenError(f"a function handle ({comment_text(value.matlab_text)})")
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
            try:
                args.append(py_value(values[pname]))
            except CodegenError as exc:
                raise CodegenError(f"{layer.label()}: {pname} is {exc}") from None
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
        if (opt.learnable or opt.state) and isinstance(v, torch.Tensor) and v.numel() > MAX_LITERAL_ELEMENTS:
            notes.append(f"{layer.label()}: {name} ({v.numel()} values) is not written as a literal; the layer "
                         f"here starts from its initializer (keep the network object or save it as a spec)")
            continue
        try:
            text = py_value(v)
        except CodegenError as exc:
            notes.append(f"{layer.label()}: option {name} is {exc} and cannot be written as Python; "
                         f"it is left at its default here")
            continue
        key = py_identifier(name, "")
        if not key:
            raise CodegenError(f"option name {comment_text(repr(name))}")
        kwargs.append(f"{key}={text}")
    if values.get("Name"):
        kwargs.append(f"Name={py_value(values['Name'])}")
    inner = ", ".join(args + kwargs)
    ctor = getattr(cls, "PY_CONSTRUCTOR", None) or cls.MATLAB_NAME
    if py_identifier(ctor, "") != ctor:
        raise CodegenError(f"layer constructor name {comment_text(repr(ctor))}")
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


def generate(networks: dict, origin: str, custom_classes: list | None = None,
             incomplete: list | None = None) -> tuple[str, list]:
    """(Python source, notes) rebuilding ``networks`` (name -> layer list, LayerGraph or network).

    Strings from the script reach the source only as ``repr()`` literals (layer names, option values) or
    as escaped one-line comments and docstring text (notes, the script's file name).
    """
    notes: list[str] = []
    body: list[str] = []
    used: set = set()
    for index, (name, value) in enumerate(networks.items(), start=1):
        var = py_identifier(name, f"network_{index}")
        if var in used:
            var = f"{var}_{index}"
        used.add(var)
        if incomplete and index == len(networks):
            # the primary network (last): where the port may differ from what MATLAB builds
            body.append("")
            body.append("# INCOMPLETE PORT: the network below may differ from the one MATLAB builds:")
            body.extend(f"#   {comment_text(place)}" for place in incomplete)
        try:
            body.extend(_network_code(name, var, value, notes))
        except CodegenError as exc:
            notes.append(f"{name}: the network cannot be written as Python ({exc})")
    notes = [comment_text(n) for n in notes]
    text = "\n".join(body)
    header = [
        f'"""Networks defined by {doc_text(origin)}, rebuilt with the layergraph API.',
        "",
        "Generated by `layergraph port`; MATLAB layer names and options are kept.",
        '"""',
        "",
        "from layergraph import *  # noqa: F401,F403 - every MATLAB name",
    ]
    if "torch." in text:
        header.append("import torch")
    if "np.array" in text:
        header.append("import numpy as np")
    if "PlaceholderLayer(" in text:
        header.append("from layergraph.layers.placeholder import PlaceholderLayer")
    if "MatlabLambda(" in text or "mfun." in text:
        header.append("from layergraph.matlab.custom import MatlabLambda, mfun  # noqa: F401")
    if custom_classes:
        header.append("from layergraph.layers.custom import Property  # noqa: F401")
        header.append("from layergraph.matlab.custom import ClassdefPlaceholderLayer, MatlabCustomLayer, "
                      "MatlabOutputLayer, mfun  # noqa: F401")
        for cls_src in custom_classes:
            header.append("")
            header.append("")
            header.append(cls_src)
        header.append("")
    if notes:
        header.append("")
        for n in notes:
            header.append(f"# NOTE: {comment_text(n)}")
    return "\n".join(header) + "\n" + text + "\n", notes


def _network_code(name: str, var: str, value, notes: list) -> list[str]:
    out = [""]
    if isinstance(value, LayerGraph):
        out.extend(graph_code(var, value, notes))
    elif isinstance(value, list):
        out.append(f"{var} = {layer_list(value, notes, '')}")
    else:
        meta = getattr(value, "_lg", None)
        graph = getattr(meta, "graph", None)
        if graph is None:
            notes.append(f"{name}: a {type(value).__name__} value cannot be written as Python")
            return []
        fn = "dlnetwork" if getattr(meta, "kind", "") == "dlnetwork" else "assembleNetwork"
        out.extend(graph_code(f"{var}_graph", graph, notes))
        out.append(f"{var} = {fn}({var}_graph)")
    return out


__all__ = ["generate", "layer_call", "py_value", "graph_code", "CodegenError", "comment_text", "doc_text"]
