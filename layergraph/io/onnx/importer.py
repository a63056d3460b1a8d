"""``importNetworkFromONNX`` (and ``importONNXNetwork`` / ``importONNXLayers``): an ONNX model -> MATLAB layers.

The file is parsed with ``onnx`` (protobuf only: nothing in the file is ever executed) and checked with
``onnx.checker``. Nodes are read in order and mapped to the project's MATLAB layers, with their weights
converted to MATLAB layout. Each ONNX tensor is tracked as a *view* of a layer output: the layer's
torch-layout tensor permuted by ``perm`` (so ``Transpose`` nodes cost nothing and time-major
``T×N×C`` tensors feeding ``LSTM`` are recognized). Operators (or uses) the importer does not know
become placeholder layers named after the op; analysis reports them.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np
import torch

from ...errors import LayerGraphError, OptionError
from ...functions import matlab_function
from ...layers.base import Layer, Layout
from ...layers.placeholder import PlaceholderLayer
from .export import OnnxError, _need_onnx, _options

# --------------------------------------------------------------------------------------------------
# Placeholder layer: unsupported ONNX operators become the one placeholder class (``OperatorType``, ``Reason``, ``ONNXNode``).
ONNXPlaceholderLayer = PlaceholderLayer


def _port_names(base: str, n: int) -> tuple:
    return (base,) if n == 1 else tuple(f"{base}{i}" for i in range(1, n + 1))


# --------------------------------------------------------------------------------------------------
# Values: what an ONNX tensor is in terms of the layers built so far


@dataclass
class Val:
    src: tuple | None = None            # (layer name, port) of the torch-layout tensor
    layout: Layout | None = None        # its MATLAB layout (None below a placeholder)
    perm: tuple = ()                    # ONNX tensor = torch tensor.permute(perm)
    const: np.ndarray | None = None     # an initializer / constant
    special: dict | None = None         # virtual tensors (recurrent outputs, torch-order flatten, ...)
    graph_input: str | None = None      # the input layer this value comes straight from (normalization folding)

    @property
    def rank(self) -> int:
        return len(self.perm)


def _plain(value):
    """An ONNX attribute value as plain data (tensors and graphs by their shape/name only)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    dims = getattr(value, "dims", None)
    if dims is not None:
        return {"tensor": list(dims)}
    return type(value).__name__


def _node_struct(node, attrs: dict) -> dict:
    """MATLAB's PlaceholderLayer.ONNXNode: the node's name, op, domain, inputs, outputs and attributes."""
    return {"Name": node.name, "OpType": node.op_type, "Domain": node.domain, "Input": list(node.input),
            "Output": list(node.output), "Attributes": {k: _plain(v) for k, v in attrs.items()}}


class _Unsupported(Exception):
    """This node (or this use of it) has no layer form; it becomes a placeholder."""


def _identity(n: int) -> tuple:
    return tuple(range(n))


def _rank_of(layout: Layout) -> int:
    return 2 + len(layout.spatial) + (1 if layout.has_time else 0)


def _channel_dim(layout: Layout) -> int:
    return 2 if layout.has_time else 1


class _Importer:
    def __init__(self, model, filename: str, input_formats=None):
        self.model = model
        self.file = filename
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.layers: dict[str, Layer] = {}
        self.order: list[str] = []
        self.edges: list[tuple[str, str]] = []
        self.values: dict[str, Val] = {}
        self.consumers: dict[str, list] = {}
        self.placeholders: list[str] = []
        self.notes: list[str] = []
        self.input_formats = input_formats
        from onnx import numpy_helper

        self.numpy_helper = numpy_helper
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        for out in self.graph.output:
            self.consumers.setdefault(out.name, []).append(None)
        self.meta = _read_metadata(model)
        self.group_of = {node: lname for lname, entry in self.meta.items() for node in entry["nodes"]}
        self.meta_done: set[str] = set()

    # ---- helpers -------------------------------------------------------------------------------

    def fail(self, message: str) -> OnnxError:
        return OnnxError(f"importNetworkFromONNX: '{self.file}': {message}")

    def layer_name(self, base: str) -> str:
        name = re.sub(r"[/\s]+", "_", base or "").strip("_") or "layer"
        candidate, k = name, 1
        while candidate in self.layers:
            k += 1
            candidate = f"{name}_{k}"
        return candidate

    def add(self, layer: Layer, inputs: list[Val], base: str) -> Val:
        name = self.layer_name(base)
        layer = layer.copy(Name=name)
        self.layers[name] = layer
        self.order.append(name)
        for port, val in zip(layer.input_names(), inputs):
            if val.src is None:
                raise self.fail(f"node '{base}' reads a value that is not a layer output.")
            self.edges.append((f"{val.src[0]}/{val.src[1]}" if val.src[1] != "out" else val.src[0],
                               f"{name}/{port}" if len(layer.input_names()) > 1 or port != "in" else name))
        layout = None
        known = [v.layout for v in inputs]
        if all(k is not None for k in known):
            try:
                layout = layer.infer(known)[0] if layer.output_names() else None
            except LayerGraphError:
                layout = None
        rank = _rank_of(layout) if layout is not None else (inputs[0].rank if inputs else 0)
        return Val((name, layer.output_names()[0] if layer.output_names() else "out"), layout, _identity(rank))

    def const(self, name: str) -> np.ndarray | None:
        v = self.values.get(name)
        return None if v is None else v.const

    def need_const(self, node, index: int, what: str) -> np.ndarray:
        if index >= len(node.input) or not node.input[index]:
            raise _Unsupported(f"missing {what}")
        value = self.const(node.input[index])
        if value is None:
            raise _Unsupported(f"{what} is not a constant")
        return value

    def tensor(self, name: str) -> Val:
        if name not in self.values:
            raise self.fail(f"tensor '{name}' is used before it is defined (the graph is not in topological order).")
        return self.values[name]

    def std(self, val: Val, what: str) -> Val:
        """A value in plain torch layout (materializing virtual tensors)."""
        val = self.materialize(val)
        if val.src is None:
            raise _Unsupported(f"{what} is a constant")
        if val.perm != _identity(val.rank):
            raise _Unsupported(f"{what} is a transposed tensor (perm {list(val.perm)})")
        return val

    def materialize(self, val: Val) -> Val:
        if val.special is not None:
            maker = val.special.get("materialize")
            if maker is None:
                raise _Unsupported(f"{val.special.get('kind', 'an intermediate tensor')} used directly")
            return maker()
        return val

    @staticmethod
    def attrs(node) -> dict:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    # ---- the walk ------------------------------------------------------------------------------

    def run(self):
        for init in self.graph.initializer:
            if init.data_location == 1:  # EXTERNAL
                raise self.fail(f"initializer '{init.name}' keeps its data in an external file; only "
                                "self-contained models are read.")
            self.values[init.name] = Val(const=self.numpy_helper.to_array(init).copy())
        inits = {i.name for i in self.graph.initializer}
        real_inputs = [i for i in self.graph.input if i.name not in inits]
        if not real_inputs:
            raise self.fail("the graph has no inputs.")
        for k, inp in enumerate(real_inputs):
            self.values[inp.name] = self.input_layer(inp, k)
        self.find_patterns()
        for node in self.graph.node:
            self.convert(node)
        outputs = []
        for out in self.graph.output:
            val = self.values.get(out.name)
            if val is None:
                raise self.fail(f"graph output '{out.name}' is not computed by any node.")
            try:
                val = self.materialize(val)
            except _Unsupported as exc:
                raise self.fail(f"graph output '{out.name}' cannot be expressed with layers ({exc}).") from None
            if val.src is None:
                raise self.fail(f"graph output '{out.name}' is a constant.")
            if val.perm != _identity(val.rank):
                self.notes.append(f"output '{out.name}' is returned in torch layout (the ONNX model returns it "
                                  f"permuted by {list(val.perm)})")
            outputs.append((out.name, val))
        return outputs

    def input_layer(self, inp, index: int) -> Val:
        import layergraph as lg

        dims = []
        for d in inp.type.tensor_type.shape.dim:
            dims.append(d.dim_value if d.HasField("dim_value") else None)
        rank = len(dims)
        fmt = None
        if self.input_formats:
            fmt = self.input_formats[index] if index < len(self.input_formats) else None
        name = self.layer_name(inp.name)
        perm = _identity(rank)
        if inp.name in self.meta and inp.name not in self.meta_done:
            try:
                layer = self.from_metadata(inp.name).copy(Name=name)
            except (LayerGraphError, ValueError, KeyError, TypeError):
                layer = None
            if layer is not None and layer.IS_INPUT:
                self.layers[name] = layer
                self.order.append(name)
                self.meta_done.add(inp.name)
                val = Val((name, "out"), layer.infer([])[0], perm)
                self.values[self.meta[inp.name]["output"]] = val
                return val
        if rank == 4 and (fmt in (None, "BCSS")):
            if None in dims[1:]:
                raise self.fail(f"input '{inp.name}' needs fixed channel and spatial sizes (got {dims}).")
            layer = lg.imageInputLayer([dims[2], dims[3], dims[1]], Normalization="none", Name=name)
        elif rank == 5 and fmt in (None, "BCSSS"):
            if None in dims[1:]:
                raise self.fail(f"input '{inp.name}' needs fixed channel and spatial sizes (got {dims}).")
            layer = lg.image3dInputLayer([dims[2], dims[3], dims[4], dims[1]], Normalization="none", Name=name)
        elif rank == 2 and fmt in (None, "BC"):
            if dims[1] is None:
                raise self.fail(f"input '{inp.name}' needs a fixed number of features.")
            layer = lg.featureInputLayer(dims[1], Name=name)
        elif rank == 3:
            time_major = fmt == "TBC" or (fmt is None and self._feeds_recurrent_directly(inp.name))
            channels_first = fmt == "BCT" or (fmt is None and self._feeds_1d_operator(inp.name))
            c = dims[1] if channels_first else dims[2]
            if c is None:
                raise self.fail(f"input '{inp.name}' needs a fixed number of channels.")
            layer = lg.sequenceInputLayer(c, Name=name)
            if channels_first:
                perm = (0, 2, 1)
                self.notes.append(f"input '{inp.name}' is N×C×T in the ONNX model; the imported network takes N×T×C")
            elif time_major:
                perm = (1, 0, 2)
                self.notes.append(f"input '{inp.name}' is time-major (T×N×C) in the ONNX model; the imported "
                                  "network takes N×T×C")
        else:
            raise self.fail(f"input '{inp.name}' of rank {rank}"
                            + (f" and format '{fmt}'" if fmt else "") + " has no MATLAB input layer here.")
        self.layers[name] = layer
        self.order.append(name)
        return Val((name, "out"), layer.infer([])[0], perm, graph_input=name)

    def _feeds_1d_operator(self, name: str) -> bool:
        """A rank-3 input read by a 1-D Conv/pooling/BatchNormalization is N×C×T (PyTorch's Conv1d layout)."""
        ops = ("Conv", "MaxPool", "AveragePool", "BatchNormalization", "InstanceNormalization")
        return any(n is not None and n.op_type in ops and n.input[0] == name for n in self.consumers.get(name, []))

    def _feeds_recurrent_directly(self, name: str) -> bool:
        return any(n is not None and n.op_type in ("LSTM", "GRU") and n.input[0] == name
                   for n in self.consumers.get(name, []))

    # ---- fused patterns (PyTorch's GELU and LayerNorm decompositions) ----------------------------

    def find_patterns(self) -> None:
        """Mark the nodes of decomposed GELU / layer normalization: the first node builds the layer."""
        producer = {out: node for node in self.graph.node for out in node.output}
        consts = {i.name: self.numpy_helper.to_array(i) for i in self.graph.initializer}
        for node in self.graph.node:
            if node.op_type == "Constant" and node.output:
                for attr in node.attribute:
                    if attr.name == "value":
                        consts[node.output[0]] = self.numpy_helper.to_array(attr.t)

        def const(name, value=None):
            c = consts.get(name)
            if c is None or c.size != 1:
                return None if value is None else False
            return float(c.reshape(())) if value is None else abs(float(c.reshape(())) - value) < 1e-4 * max(1, abs(value))

        def only_user(name):
            users = self.consumers.get(name, [])
            return users[0] if len(users) == 1 and users[0] is not None else None

        def other(node, name):
            rest = [i for i in node.input if i != name]
            return rest[0] if len(rest) == 1 else (name if list(node.input) == [name, name] else None)

        self.fused: dict[str, tuple] = {}   # node name -> ("build", kind, data) or ("skip",)
        for node in self.graph.node:
            if node.op_type == "Erf":
                self._match_gelu(node, producer, const, only_user, other)
            if node.op_type == "ReduceMean":
                self._match_layernorm(node, producer, consts, const, only_user, other)

    def _mark(self, nodes, x, out, kind, data):
        if any(not n.name or n.name in self.fused for n in nodes):
            return
        order = {id(n): i for i, n in enumerate(self.graph.node)}
        nodes = sorted(nodes, key=lambda n: order[id(n)])
        self.fused[nodes[0].name] = ("build", kind, x, out, data)
        for n in nodes[1:]:
            self.fused[n.name] = ("skip", nodes[0].name)

    def _match_gelu(self, erf, producer, const, only_user, other):
        pre = producer.get(erf.input[0])
        if pre is None or only_user(pre.output[0]) is not erf:
            return
        if pre.op_type == "Div" and const(pre.input[1], math.sqrt(2)):
            x = pre.input[0]
        elif pre.op_type == "Mul" and (const(pre.input[1], 1 / math.sqrt(2)) or const(pre.input[0], 1 / math.sqrt(2))):
            x = pre.input[0] if const(pre.input[1], 1 / math.sqrt(2)) else pre.input[1]
        else:
            return
        plus = only_user(erf.output[0])
        if plus is None or plus.op_type != "Add" or not const(other(plus, erf.output[0]), 1.0):
            return
        mul = only_user(plus.output[0])
        if mul is None or mul.op_type != "Mul":
            return
        partner = other(mul, plus.output[0])
        if partner == x:                                   # x·(1+erf) then ·0.5 (PyTorch)
            last = only_user(mul.output[0])
            if last is None or last.op_type != "Mul" or not const(other(last, mul.output[0]), 0.5):
                return
            self._mark([pre, erf, plus, mul, last], x, last.output[0], "gelu", None)
        else:                                              # (0.5·x)·(1+erf)
            half = producer.get(partner)
            if half is None or half.op_type != "Mul" or x not in half.input or not const(other(half, x), 0.5) \
                    or only_user(half.output[0]) is not mul:
                return
            self._mark([pre, erf, plus, mul, half], x, mul.output[0], "gelu", None)

    def _match_layernorm(self, mean, producer, consts, const, only_user, other):
        x = mean.input[0]
        axes = self._axes(mean, consts)
        if axes is None or not int(self.attrs(mean).get("keepdims", 1)):
            return
        users = [u for u in self.consumers.get(mean.output[0], []) if u is not None]
        if len(users) != 1 or users[0].op_type != "Sub" or list(users[0].input) != [x, mean.output[0]]:
            return
        sub = users[0]
        sq = [u for u in self.consumers.get(sub.output[0], []) if u is not None and u.op_type in ("Pow", "Mul")]
        div = [u for u in self.consumers.get(sub.output[0], []) if u is not None and u.op_type == "Div"]
        if len(sq) != 1 or len(div) != 1 or len(self.consumers.get(sub.output[0], [])) != 2:
            return
        sq, div = sq[0], div[0]
        if sq.op_type == "Pow" and not const(sq.input[1], 2.0):
            return
        if sq.op_type == "Mul" and list(sq.input) != [sub.output[0], sub.output[0]]:
            return
        var = only_user(sq.output[0])
        if var is None or var.op_type != "ReduceMean" or self._axes(var, consts) != axes:
            return
        add = only_user(var.output[0])
        eps = const(other(add, var.output[0])) if add is not None and add.op_type == "Add" else None
        sqrt = only_user(add.output[0]) if eps is not None else None
        if sqrt is None or sqrt.op_type != "Sqrt" or only_user(sqrt.output[0]) is not div \
                or list(div.input) != [sub.output[0], sqrt.output[0]]:
            return
        nodes = [mean, sub, sq, var, add, sqrt, div]
        out, scale, offset = div.output[0], None, None
        mul = only_user(out)
        if mul is not None and mul.op_type == "Mul" and other(mul, out) in consts:
            scale, out = consts[other(mul, out)], mul.output[0]
            nodes.append(mul)
            plus = only_user(out)
            if plus is not None and plus.op_type == "Add" and other(plus, out) in consts:
                offset, out = consts[other(plus, out)], plus.output[0]
                nodes.append(plus)
        self._mark(nodes, x, out, "layernorm", (axes, eps, scale, offset))

    def _axes(self, node, consts):
        axes = self.attrs(node).get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = consts.get(node.input[1])
        return None if axes is None else tuple(int(a) for a in np.asarray(axes).reshape(-1))

    def build_fused(self, node, base) -> bool:
        entry = self.fused.get(node.name) if node.name else None
        if entry is None:
            return False
        if entry[0] == "skip":
            return True
        _, kind, x, out, data = entry
        import layergraph as lg

        try:
            val = self.std(self.tensor(x), "the input")
            if kind == "gelu":
                result = self.add(lg.geluLayer(), [val], base)
            else:
                axes, eps, scale, offset = data
                if val.layout is None:
                    raise _Unsupported("input size unknown")
                axes = sorted(a % val.rank for a in axes)
                if axes != list(range(axes[0], val.rank)):
                    raise _Unsupported("normalization over non-trailing axes")
                c = val.layout.channels
                scale = np.ones(c, np.float32) if scale is None else np.asarray(scale, np.float32)
                offset = np.zeros(c, np.float32) if offset is None else np.asarray(offset, np.float32)
                result = _make_layernorm(self, val, axes[0], eps, scale, offset, base)
        except (_Unsupported, LayerGraphError, ValueError):
            # not expressible after all: read this pattern's nodes one by one
            self.fused = {name: item for name, item in self.fused.items()
                          if name != node.name and not (item[0] == "skip" and item[1] == node.name)}
            return False
        self.values[out] = result
        return True

    def from_metadata(self, lname: str) -> Layer:
        """The layer the exporter described in the model's metadata (JSON options, base64 float32 learnables)."""
        import base64

        from ...spec.codec import layer_from_json

        entry = self.meta[lname]
        tensors = {}
        for prop, t in entry["tensors"].items():
            raw = base64.b64decode(t["data"], validate=True)
            array = np.frombuffer(raw, dtype="<f4").copy()
            tensors[prop] = torch.from_numpy(array.reshape([int(d) for d in t["shape"]]))
        return layer_from_json(entry["layer"], tensors)

    def convert(self, node):
        base = node.name or (node.output[0] if node.output else node.op_type)
        if self.fused and self.build_fused(node, base):
            return
        lname = self.group_of.get(node.name) if node.name else None
        if lname is not None and lname not in self.layers or lname in self.meta_done:
            if lname in self.meta_done:
                return
            entry = self.meta[lname]
            try:
                layer = self.from_metadata(lname)
                inputs = [self.std(self.tensor(t), "a layer input") for t in entry["inputs"]]
            except (LayerGraphError, _Unsupported, ValueError, KeyError, TypeError):
                for n in entry["nodes"]:
                    self.group_of.pop(n, None)
            else:
                self.values[entry["output"]] = self.add(layer, inputs, lname)
                self.meta_done.add(lname)
                return
        handler = HANDLERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        base = node.name or (node.output[0] if node.output else node.op_type)
        try:
            if handler is None:
                raise _Unsupported("the importer has no layer for this operator")
            results = handler(self, node, base)
        except _Unsupported as exc:
            results = self.placeholder(node, base, str(exc))
        except OnnxError:
            raise
        except Exception as exc:  # noqa: BLE001 - a node the handlers cannot read (missing attribute, odd
            # shapes, ...) is a placeholder naming the problem, never a crash of the whole import
            results = self.placeholder(node, base, f"{type(exc).__name__}: {exc}")
        if isinstance(results, Val):
            results = [results]
        for out, val in zip(node.output, results):
            if out:
                self.values[out] = val

    def placeholder(self, node, base: str, reason: str) -> list[Val]:
        inputs = []
        for name in node.input:
            if not name:
                continue
            val = self.values.get(name)
            if val is None or val.const is not None:
                continue
            try:
                val = self.materialize(val)
            except _Unsupported:
                continue
            if val.src is not None:
                inputs.append(val)
        op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        n_out = max(1, len(node.output))
        layer = ONNXPlaceholderLayer(OperatorType=op, Reason=reason, InputNames=_port_names("in", max(1, len(inputs))),
                                     OutputNames=_port_names("out", n_out), ONNXNode=_node_struct(node, self.attrs(node)))
        if not inputs:
            raise self.fail(f"node '{base}' ({op}) has no layer inputs and cannot be imported: {reason}.")
        if len(inputs) < len(layer.input_names()):
            inputs = inputs + [inputs[0]] * (len(layer.input_names()) - len(inputs))
        val = self.add(layer, inputs, base)
        self.placeholders.append(val.src[0])
        name = val.src[0]
        ports = self.layers[name].output_names()
        return [Val((name, p), None, _identity(inputs[0].rank)) for p in ports]

    def build_graph(self):
        from ...graph import LayerGraph, addLayers, connectLayers

        graph = LayerGraph()
        for name in self.order:
            graph = addLayers(graph, self.layers[name])
        for src, dst in self.edges:
            graph = connectLayers(graph, src, dst)
        return graph


# --------------------------------------------------------------------------------------------------
# Operator handlers: handler(importer, node, base name) -> Val or [Val]

HANDLERS: dict[str, Callable] = {}


def handles(*ops):
    def wrap(fn):
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return wrap


def _t(a) -> torch.Tensor:
    return torch.tensor(np.array(a, dtype=np.float32))


def _pads_to_matlab(pads, n: int):
    before, after = list(pads[:n]), list(pads[n:])
    if n == 1:
        return [before[0], after[0]]
    if n == 2:
        return [before[0], after[0], before[1], after[1]]
    return [before, after]


def _same_pads(sizes, kernel, strides, dilations):
    from ...layers.convolution import same_padding

    return [same_padding(s, k, st, d) for s, k, st, d in zip(sizes, kernel, strides, dilations)]


def _spatial_input(imp, node, val: Val, n: int) -> Val:
    """The conv/pool input as a torch-layout value with n operated dims (images, or sequences as N×C×T)."""
    val = imp.materialize(val)
    if val.src is None:
        raise _Unsupported("the input is a constant")
    layout = val.layout
    if layout is None:
        raise _Unsupported("the input size is unknown (below a placeholder)")
    if not layout.has_time and len(layout.spatial) == n and val.perm == _identity(n + 2):
        return val
    if layout.has_time and n == 1 and not layout.spatial and val.perm == (0, 2, 1):
        return val
    raise _Unsupported(f"{n}-D operator on input of format '{layout.format}' (perm {list(val.perm)})")


def _out_view(imp, val_in: Val, result: Val) -> Val:
    """Keep the channels-first view of a sequence after a 1-D conv/pool on N×C×T."""
    if val_in.layout is not None and val_in.layout.has_time:
        return Val(result.src, result.layout, (0, 2, 1))
    return result


@handles("Pad")
def _pad(imp, node, base):
    a = imp.attrs(node)
    mode = a.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if imp.opset >= 11:
        pads = imp.need_const(node, 1, "pads")
        value = 0.0
        if len(node.input) > 2 and node.input[2]:
            value = float(np.asarray(imp.need_const(node, 2, "pad value")).reshape(()))
        if len(node.input) > 3 and node.input[3]:
            raise _Unsupported("Pad with axes")
    else:
        pads, value = np.asarray(a["pads"]), float(a.get("value", 0.0))
    pads = [int(p) for p in np.asarray(pads).reshape(-1)]
    val = imp.materialize(imp.tensor(node.input[0]))
    rank = len(pads) // 2
    before, after = pads[:rank], pads[rank:]
    if before[:2] != [0, 0] or after[:2] != [0, 0] or any(p < 0 for p in pads):
        raise _Unsupported("padding of the batch or channel dimension (or cropping)")
    modes = {"constant": value, "edge": "replicate", "reflect": "symmetric-exclude-edge"}
    if mode not in modes:
        raise _Unsupported(f"Pad mode '{mode}'")
    return Val(special={"kind": "padding (only read by a following Conv)", "source": val,
                        "pads": list(zip(before[2:], after[2:])), "value": modes[mode]})


@handles("Conv")
def _conv(imp, node, base):
    import layergraph as lg

    a = imp.attrs(node)
    w = imp.need_const(node, 1, "weights")
    n = w.ndim - 2
    raw = imp.tensor(node.input[0])
    pre_pad, pad_value = None, 0.0
    if raw.special and "pads" in raw.special:
        pre_pad, pad_value, raw = raw.special["pads"], raw.special["value"], raw.special["source"]
        if len(pre_pad) != n:
            raise _Unsupported("padding of other dimensions than the convolved ones")
    x = _spatial_input(imp, node, raw, n)
    bias = imp.const(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0], np.float32)
    if bias is None:
        raise _Unsupported("the bias is not a constant")
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    strides = list(a.get("strides", [1] * n))
    dil = list(a.get("dilations", [1] * n))
    group = int(a.get("group", 1))
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = list(a.get("pads", [0] * (2 * n)))
    if auto == "SAME_UPPER":
        padding = "same"
    elif auto == "VALID":
        padding = 0
    elif auto == "SAME_LOWER":
        sizes = x.layout.spatial if not x.layout.has_time else None
        if sizes is None:
            raise _Unsupported("SAME_LOWER padding over an unknown length")
        sp = _same_pads(sizes, kernel, strides, dil)
        padding = _pads_to_matlab([a_ for _, a_ in sp] + [b_ for b_, _ in sp], n)
    else:
        padding = _pads_to_matlab(pads, n)
    if pre_pad is not None:
        if padding == "same" or (pad_value != 0 and any(pads)):
            raise _Unsupported("Pad before a Conv that pads too")
        total = [pb + cb for (pb, _), cb in zip(pre_pad, pads[:n])] + [pa + ca for (_, pa), ca in zip(pre_pad, pads[n:])]
        padding = _pads_to_matlab(total, n)
    wt = _t(w)
    if group == 1:
        from ...layers.convolution import filter_from_torch

        ctor = {1: lg.convolution1dLayer, 2: lg.convolution2dLayer, 3: lg.convolution3dLayer}[n]
        fs = kernel[0] if n == 1 else kernel
        layer = ctor(fs, int(w.shape[0]), Stride=strides[0] if n == 1 else strides,
                     DilationFactor=dil[0] if n == 1 else dil, Padding=padding, PaddingValue=pad_value,
                     Weights=filter_from_torch("Weights", wt, n), Bias=filter_from_torch("Bias", _t(bias), n))
    else:
        if n != 2:
            raise _Unsupported("grouped convolution other than 2-D")
        fpg = int(w.shape[0]) // group
        layer = lg.groupedConvolution2dLayer(kernel, fpg, group, Stride=strides, DilationFactor=dil, Padding=padding,
                                             PaddingValue=pad_value)
        layer = layer.copy(Weights=layer.from_torch("Weights", wt, [x.layout]),
                           Bias=layer.from_torch("Bias", _t(bias), [x.layout]))
    return _out_view(imp, x, imp.add(layer, [Val(x.src, x.layout, _identity(x.rank))], base))


@handles("ConvTranspose")
def _tconv(imp, node, base):
    import layergraph as lg
    from ...layers.convolution import filter_from_torch, transposed_crops

    a = imp.attrs(node)
    w = imp.need_const(node, 1, "weights")
    n = w.ndim - 2
    if n not in (2, 3):
        raise _Unsupported("transposed convolution other than 2-D/3-D")
    x = _spatial_input(imp, node, imp.tensor(node.input[0]), n)
    if int(a.get("group", 1)) != 1 or any(d != 1 for d in a.get("dilations", [1] * n)):
        raise _Unsupported("grouped or dilated transposed convolution")
    if "output_shape" in a or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise _Unsupported("output_shape/auto_pad on ConvTranspose")
    bias = imp.const(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[1], np.float32)
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    strides = list(a.get("strides", [1] * n))
    pads = list(a.get("pads", [0] * (2 * n)))
    outpad = list(a.get("output_padding", [0] * n))
    sizes = list(x.layout.spatial)
    plan_same = [transposed_crops(s, k, st, "same") for s, k, st in zip(sizes, kernel, strides)]
    if [p[0] for p in plan_same] + [p[1] for p in plan_same] == pads and [p[2] for p in plan_same] == outpad:
        cropping = "same"
    else:
        cropping = _pads_to_matlab(pads, n)
        plan = [transposed_crops(s, k, st, (b_, a_)) for s, k, st, b_, a_ in zip(sizes, kernel, strides, pads[:n], pads[n:])]
        if [p[2] for p in plan] != outpad:
            raise _Unsupported("output_padding that MATLAB's cropping rule does not produce")
    ctor = lg.transposedConv2dLayer if n == 2 else lg.transposedConv3dLayer
    layer = ctor(kernel, int(w.shape[1]), Stride=strides, Cropping=cropping,
                 Weights=filter_from_torch("Weights", _t(w), n), Bias=filter_from_torch("Bias", _t(bias), n))
    return imp.add(layer, [x], base)


@handles("MaxPool", "AveragePool")
def _pool(imp, node, base):
    import layergraph as lg

    a = imp.attrs(node)
    kernel = list(a["kernel_shape"])
    n = len(kernel)
    x = _spatial_input(imp, node, imp.tensor(node.input[0]), n)
    if len(node.output) > 1 and node.output[1]:
        raise _Unsupported("MaxPool indices output")
    if int(a.get("ceil_mode", 0)) or any(d != 1 for d in a.get("dilations", [1] * n)):
        raise _Unsupported("ceil_mode or dilated pooling")
    strides = list(a.get("strides", [1] * n))
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = list(a.get("pads", [0] * (2 * n)))
    if node.op_type == "AveragePool" and not int(a.get("count_include_pad", 0)) and any(pads) \
            and auto not in ("VALID",):
        raise _Unsupported("average pooling that excludes the padding (MATLAB counts it)")
    if node.op_type == "AveragePool" and not int(a.get("count_include_pad", 0)) and auto.startswith("SAME"):
        raise _Unsupported("average pooling that excludes the padding (MATLAB counts it)")
    padding = "same" if auto == "SAME_UPPER" else 0 if auto == "VALID" else _pads_to_matlab(pads, n)
    if auto == "SAME_LOWER":
        raise _Unsupported("SAME_LOWER pooling")
    kind = "max" if node.op_type == "MaxPool" else "average"
    ctor = {("max", 1): lg.maxPooling1dLayer, ("max", 2): lg.maxPooling2dLayer, ("max", 3): lg.maxPooling3dLayer,
            ("average", 1): lg.averagePooling1dLayer, ("average", 2): lg.averagePooling2dLayer,
            ("average", 3): lg.averagePooling3dLayer}[(kind, n)]
    layer = ctor(kernel[0] if n == 1 else kernel, Stride=strides[0] if n == 1 else strides, Padding=padding)
    return _out_view(imp, x, imp.add(layer, [Val(x.src, x.layout, _identity(x.rank))], base))


@handles("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(imp, node, base):
    import layergraph as lg

    val = imp.materialize(imp.tensor(node.input[0]))
    n = val.rank - 2
    x = _spatial_input(imp, node, val, n)
    kind = "Max" if node.op_type == "GlobalMaxPool" else "Average"
    layer = getattr(lg, f"global{kind}Pooling{n}dLayer")()
    result = imp.add(layer, [Val(x.src, x.layout, _identity(x.rank))], base)
    if x.layout.has_time:
        # pooling over T leaves N×C (features), where ONNX keeps N×C×1: flatten/squeeze of the last dim read it
        def squeeze(axes):
            if [a % 3 for a in axes] != [2]:
                raise _Unsupported("squeeze of the pooled channels")
            return result

        def reshape(rnode):
            if rnode.op_type == "Flatten":
                if int(imp.attrs(rnode).get("axis", 1)) != 1:
                    raise _Unsupported("flatten of the pooled sequence")
                return result
            target = _reshape_target(imp, rnode)
            if len(target) != 2 or target[1] not in (-1, x.layout.channels):
                raise _Unsupported("reshape of the pooled sequence")
            return result

        return Val(special={"kind": "pooled sequence (N×C×1)", "squeeze": squeeze, "reshape": reshape})
    return _out_view(imp, x, result)


def _per_channel_input(imp, node, what: str) -> Val:
    """A value whose ONNX dim 1 is the channel dim (images/features as is, sequences as N×C×T)."""
    val = imp.materialize(imp.tensor(node.input[0]))
    if val.src is None or val.layout is None:
        raise _Unsupported(f"{what} on a value of unknown size")
    cdim = _channel_dim(val.layout)
    if val.perm[0] != 0 or val.perm[1] != cdim:
        raise _Unsupported(f"{what} over a dimension other than the channels")
    return val


def _keep_view(src_val: Val, result: Val) -> Val:
    return Val(result.src, result.layout, src_val.perm)


def _as_std(val: Val) -> Val:
    return Val(val.src, val.layout, _identity(val.rank))


def _per_channel(layout: Layout, v) -> torch.Tensor:
    from ...layers.activation import per_channel_shape

    return _t(v).reshape(per_channel_shape(layout))


@handles("BatchNormalization")
def _batchnorm(imp, node, base):
    import layergraph as lg

    x = _per_channel_input(imp, node, "batch normalization")
    if len(node.output) > 1 and any(node.output[1:]):
        raise _Unsupported("training-mode outputs")
    a = imp.attrs(node)
    scale, offset, mean, var = (imp.need_const(node, i, w) for i, w in
                                ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")))
    L = x.layout
    layer = lg.batchNormalizationLayer(Epsilon=float(a.get("epsilon", 1e-5)), Scale=_per_channel(L, scale),
                                       Offset=_per_channel(L, offset), TrainedMean=_per_channel(L, mean),
                                       TrainedVariance=_per_channel(L, var))
    return _keep_view(x, imp.add(layer, [_as_std(x)], base))


@handles("InstanceNormalization", "GroupNormalization")
def _instancenorm(imp, node, base):
    import layergraph as lg

    x = _per_channel_input(imp, node, "instance normalization")
    a = imp.attrs(node)
    scale, offset = imp.need_const(node, 1, "scale"), imp.need_const(node, 2, "bias")
    L = x.layout
    eps = float(a.get("epsilon", 1e-5))
    if node.op_type == "GroupNormalization":
        if imp.opset < 21:
            raise _Unsupported("GroupNormalization before opset 21 (per-group scale)")
        layer = lg.groupNormalizationLayer(int(a["num_groups"]), Epsilon=eps)
    else:
        layer = lg.instanceNormalizationLayer(Epsilon=eps)
    layer = layer.copy(Scale=_per_channel(L, scale), Offset=_per_channel(L, offset))
    return _keep_view(x, imp.add(layer, [_as_std(x)], base))


@handles("LayerNormalization")
def _layernorm(imp, node, base):
    import layergraph as lg

    val = imp.std(imp.tensor(node.input[0]), "the input")
    L = val.layout
    if L is None:
        raise _Unsupported("input size unknown")
    a = imp.attrs(node)
    axis = int(a.get("axis", -1)) % val.rank
    if len(node.output) > 1 and any(node.output[1:]):
        raise _Unsupported("mean/inverse-std outputs")
    scale = imp.need_const(node, 1, "scale")
    offset = imp.const(node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros_like(scale)
    return _make_layernorm(imp, val, axis, float(a.get("epsilon", 1e-5)), scale, offset, base)


def _make_layernorm(imp, val: Val, axis: int, eps: float, scale, offset, base) -> Val:
    import layergraph as lg

    L = val.layout
    cdim = _channel_dim(L)
    if axis == cdim and val.rank == cdim + 1:
        mode = "channel-only"
    elif axis == 1 and L.has_time and val.rank == 3:
        mode = "batch-excluded"
    elif axis == 1 and not L.has_time and L.spatial:
        mode = "spatial-channel"
        scale, offset = np.asarray(scale), np.asarray(offset)
        if scale.size != L.channels:
            flat_s = scale.reshape(L.channels, -1)
            flat_o = offset.reshape(L.channels, -1)
            if not (np.all(flat_s == flat_s[:, :1]) and np.all(flat_o == flat_o[:, :1])):
                raise _Unsupported("element-wise scale (MATLAB's is per channel)")
            scale, offset = flat_s[:, 0], flat_o[:, 0]
    else:
        raise _Unsupported(f"normalization from axis {axis} of a '{L.format}' tensor")
    layer = lg.layerNormalizationLayer(OperationDimension=mode, Epsilon=eps,
                                       Scale=_per_channel(L, np.asarray(scale).reshape(-1)),
                                       Offset=_per_channel(L, np.asarray(offset).reshape(-1)))
    return imp.add(layer, [val], base)


@handles("LRN")
def _lrn(imp, node, base):
    import layergraph as lg

    x = _per_channel_input(imp, node, "LRN")
    a = imp.attrs(node)
    layer = lg.crossChannelNormalizationLayer(int(a["size"]), Alpha=float(a.get("alpha", 1e-4)),
                                              Beta=float(a.get("beta", 0.75)), K=float(a.get("bias", 1.0)))
    return _keep_view(x, imp.add(layer, [_as_std(x)], base))


# ---- element-wise ----------------------------------------------------------------------------------


def _elementwise(imp, node, base, layer) -> Val:
    val = imp.materialize(imp.tensor(node.input[0]))
    if val.src is None:
        raise _Unsupported("constant input")
    return _keep_view(val, imp.add(layer, [_as_std(val)], base))


def _simple(ctor_name, **fixed):
    def handler(imp, node, base):
        import layergraph as lg

        return _elementwise(imp, node, base, getattr(lg, ctor_name)(**fixed))

    return handler


HANDLERS["Relu"] = _simple("reluLayer")
HANDLERS["Tanh"] = _simple("tanhLayer")
HANDLERS["Softplus"] = _simple("softplusLayer")
HANDLERS["Identity"] = lambda imp, node, base: imp.tensor(node.input[0])


@handles("Sigmoid")
def _sigmoid(imp, node, base):
    import layergraph as lg

    x = imp.tensor(node.input[0])
    users = imp.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0] is not None and users[0].op_type == "Mul" and node.input[0] in users[0].input:
        # x * sigmoid(x): swish, made when the Mul is reached
        return Val(special={"kind": "swish gate", "of": node.input[0], "node": base})
    return _elementwise(imp, node, base, lg.sigmoidLayer())


@handles("LeakyRelu")
def _leaky(imp, node, base):
    import layergraph as lg

    return _elementwise(imp, node, base, lg.leakyReluLayer(float(imp.attrs(node).get("alpha", 0.01))))


@handles("Elu")
def _elu(imp, node, base):
    import layergraph as lg

    return _elementwise(imp, node, base, lg.eluLayer(float(imp.attrs(node).get("alpha", 1.0))))


@handles("Gelu")
def _gelu(imp, node, base):
    import layergraph as lg

    approx = imp.attrs(node).get("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    return _elementwise(imp, node, base, lg.geluLayer(Approximation=approx))


@handles("Clip")
def _clip(imp, node, base):
    import layergraph as lg

    a = imp.attrs(node)
    if imp.opset >= 11:
        lo = imp.const(node.input[1]) if len(node.input) > 1 and node.input[1] else None
        hi = imp.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if (len(node.input) > 1 and node.input[1] and lo is None) or (len(node.input) > 2 and node.input[2] and hi is None):
            raise _Unsupported("non-constant bounds")
        lo = -np.inf if lo is None else float(lo)
        hi = np.inf if hi is None else float(hi)
    else:
        lo, hi = float(a.get("min", -np.inf)), float(a.get("max", np.inf))
    if lo != 0:
        raise _Unsupported(f"Clip from {lo} (only clipped ReLU, from 0, has a layer)")
    return _elementwise(imp, node, base, lg.reluLayer() if np.isinf(hi) else lg.clippedReluLayer(hi))


@handles("PRelu")
def _prelu(imp, node, base):
    import layergraph as lg

    val = imp.materialize(imp.tensor(node.input[0]))
    slope = np.asarray(imp.need_const(node, 1, "slope"), np.float32)
    L = val.layout
    if L is None or val.perm != _identity(val.rank):
        raise _Unsupported("PRelu on a transposed or unknown tensor")
    if slope.size == 1:
        alpha = _t(slope).reshape(1, 1)
    elif slope.size == L.channels:
        alpha = _per_channel(L, slope.reshape(-1))
    else:
        raise _Unsupported("element-wise PRelu slope")
    return imp.add(lg.preluLayer(Alpha=alpha), [val], base)


@handles("Dropout")
def _dropout(imp, node, base):
    import layergraph as lg

    a = imp.attrs(node)
    ratio = float(a.get("ratio", 0.5))
    if imp.opset >= 12 and len(node.input) > 1 and node.input[1]:
        r = imp.const(node.input[1])
        if r is None:
            raise _Unsupported("non-constant ratio")
        ratio = float(r)
    return [_elementwise(imp, node, base, lg.dropoutLayer(ratio))]


@handles("Softmax")
def _softmax(imp, node, base):
    import layergraph as lg

    val = imp.materialize(imp.tensor(node.input[0]))
    if val.src is None or val.layout is None:
        raise _Unsupported("softmax of an unknown tensor")
    axis = int(imp.attrs(node).get("axis", -1 if imp.opset >= 13 else 1)) % val.rank
    cdim = _channel_dim(val.layout)
    if val.perm[axis] != cdim:
        raise _Unsupported("softmax over a dimension other than the channels")
    if imp.opset < 13 and axis != val.rank - 1:
        trailing = [val.perm[d] for d in range(axis + 1, val.rank)]
        sizes = [1] * val.rank
        for d, s in enumerate(val.layout.torch_shape(1, 2)):
            sizes[d] = s
        if any(sizes[d] != 1 for d in trailing):
            raise _Unsupported("softmax before opset 13 over several dimensions")
    return _keep_view(val, imp.add(lg.softmaxLayer(), [_as_std(val)], base))


# ---- arithmetic ------------------------------------------------------------------------------------


def _broadcast_const(val: Val, c: np.ndarray):
    """A constant that broadcasts over ``val`` -> its MATLAB-layout per-observation array, or None."""
    L = val.layout
    c = np.asarray(c, np.float32)
    if c.size == 1:
        return float(c.reshape(()))
    if L is None:
        return None
    rank = val.rank
    full = c.reshape((1,) * (rank - c.ndim) + c.shape)
    # back to the torch layout order
    inverse = [val.perm.index(d) for d in range(rank)]
    torch_c = np.transpose(full, inverse)
    if torch_c.shape[0] != 1 or (L.has_time and torch_c.shape[1] != 1):
        return None
    lead = 2 if L.has_time else 1
    obs = torch_c.reshape(torch_c.shape[lead:])          # C × S...
    if obs.ndim == 0:
        return float(obs)
    k = len(L.spatial)
    obs = np.broadcast_to(obs, (obs.shape[0],) + tuple(obs.shape[1:])) if obs.ndim == k + 1 else None
    if obs is None:
        return None
    if k == 0:
        return _t(obs.reshape(-1, 1))
    return _t(np.transpose(obs, list(range(1, k + 1)) + [0]))   # S... × C


def _scale_offset(imp, node, base, val: Val, scale=None, offset=None) -> Val:
    import layergraph as lg

    if val.graph_input is not None and scale is None and offset is not None and val.layout is not None:
        # x - mean straight after the input: the input layer's 'zerocenter' normalization
        layer = imp.layers[val.graph_input]
        if layer.Normalization == "none" and len(imp.consumers.get(node.input[0], [])) == 1 \
                and isinstance(offset, torch.Tensor) and hasattr(layer, "stat_to_torch"):
            try:
                layer.Normalization = "zerocenter"
                layer.Mean = -offset
                return Val(val.src, val.layout, val.perm, graph_input=val.graph_input)
            except LayerGraphError:
                layer.Normalization = "none"
    if val.graph_input is not None and offset is None and isinstance(scale, torch.Tensor):
        layer = imp.layers[val.graph_input]
        if layer.Normalization == "zerocenter" and len(imp.consumers.get(node.input[0], [])) == 1:
            try:
                layer.StandardDeviation = 1.0 / scale
                layer.Normalization = "zscore"
                return Val(val.src, val.layout, val.perm)
            except LayerGraphError:
                layer.Normalization = "zerocenter"
    kwargs = {}
    if scale is not None:
        kwargs["Scale"] = scale
    if offset is not None:
        kwargs["Offset"] = offset
    return _keep_view(val, imp.add(lg.scalingLayer(**kwargs), [_as_std(val)], base))


def _binary_operands(imp, node):
    a, b = imp.tensor(node.input[0]), imp.tensor(node.input[1])
    return a, b


@handles("Add", "Sub", "Mul", "Div")
def _arith(imp, node, base):
    import layergraph as lg

    a, b = _binary_operands(imp, node)
    op = node.op_type
    # swish: x * sigmoid(x)
    for gate, other_name in ((b, node.input[0]), (a, node.input[1])):
        if op == "Mul" and gate.special and gate.special.get("kind") == "swish gate" and gate.special["of"] == other_name:
            return _elementwise(imp, node, base, lg.swishLayer())
    # MatMul + bias: fully connected
    if op == "Add" and a.special and a.special.get("kind") == "matmul" and b.const is not None:
        return a.special["finish"](b.const, None)
    if op == "Add" and b.special and b.special.get("kind") == "matmul" and a.const is not None:
        return b.special["finish"](a.const, None)
    if a.const is None and b.const is None:
        a, b = imp.materialize(a), imp.materialize(b)
        if a.perm != b.perm or a.rank != b.rank:
            raise _Unsupported("operands of different layouts")
        if op == "Add":
            return _keep_view(a, imp.add(lg.additionLayer(2), [_as_std(a), _as_std(b)], base))
        if op == "Mul":
            return _keep_view(a, imp.add(lg.multiplicationLayer(2), [_as_std(a), _as_std(b)], base))
        raise _Unsupported(f"{op} of two tensors")
    if a.const is not None and b.const is not None:
        fn = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return Val(const=fn(a.const, b.const))
    x, c, const_first = (b, a.const, True) if a.const is not None else (a, b.const, False)
    x = imp.materialize(x)
    value = _broadcast_const(x, c)
    if value is None:
        raise _Unsupported("a constant that does not broadcast per channel")
    if op == "Add":
        return _scale_offset(imp, node, base, x, offset=value)
    if op == "Mul":
        return _scale_offset(imp, node, base, x, scale=value)
    if op == "Sub":
        if const_first:
            return _scale_offset(imp, node, base, x, scale=-1.0, offset=value)
        return _scale_offset(imp, node, base, x, offset=-value)
    if const_first:
        raise _Unsupported("a constant divided by a tensor")
    return _scale_offset(imp, node, base, x, scale=1.0 / value)


@handles("DepthToSpace", "SpaceToDepth")
def _depth_space(imp, node, base):
    import layergraph as lg

    a = imp.attrs(node)
    block = int(a["blocksize"])
    if node.op_type == "DepthToSpace":
        mode = a.get("mode", b"DCR")
        mode = (mode.decode() if isinstance(mode, bytes) else mode).lower()
        layer = lg.depthToSpace2dLayer([block, block], Mode=mode)
    else:
        layer = lg.spaceToDepthLayer([block, block])
    val = imp.std(imp.tensor(node.input[0]), "the input")
    return imp.add(layer, [val], base)


@handles("Sum")
def _sum(imp, node, base):
    import layergraph as lg

    vals = [imp.materialize(imp.tensor(n)) for n in node.input]
    if any(v.src is None for v in vals) or len({v.perm for v in vals}) != 1:
        raise _Unsupported("Sum of constants or of differently laid-out tensors")
    if len(vals) == 1:
        return vals[0]
    return _keep_view(vals[0], imp.add(lg.additionLayer(len(vals)), [_as_std(v) for v in vals], base))


@handles("Concat")
def _concat(imp, node, base):
    import layergraph as lg

    raw = [imp.tensor(n) for n in node.input]
    if all(v.const is not None or (v.special and v.special.get("kind") == "shape") for v in raw):
        # a shape assembled from kept dims (0) and constants: the reshapes and expands that read it
        parts, dims = [], []
        for v in raw:
            ints = [] if v.const is None else [int(x) for x in np.asarray(v.const).reshape(-1)]
            parts.extend(v.special["value"] if v.const is None else ints)
            dims.extend(v.special.get("dims", [None] * len(v.special["value"])) if v.const is None else ints)
        if all(v.const is not None for v in raw):
            return Val(const=np.concatenate([np.asarray(v.const) for v in raw], axis=int(imp.attrs(node)["axis"])))
        return Val(special={"kind": "shape", "value": parts, "dims": dims})
    vals = [imp.materialize(v) for v in raw]
    if any(v.src is None or v.layout is None for v in vals) or len({v.perm for v in vals}) != 1:
        raise _Unsupported("Concat of constants or of differently laid-out tensors")
    axis = int(imp.attrs(node)["axis"]) % vals[0].rank
    torch_dim = vals[0].perm[axis]
    L = vals[0].layout
    lead = 2 if L.has_time else 1
    if torch_dim == 0:
        raise _Unsupported("concatenation along the batch")
    if torch_dim == lead:
        layer = lg.depthConcatenationLayer(len(vals))
    elif L.has_time and torch_dim == 1:
        layer = lg.concatenationLayer(len(L.spatial) + 3, len(vals))
    else:
        layer = lg.concatenationLayer(torch_dim - lead, len(vals))
    return _keep_view(vals[0], imp.add(layer, [_as_std(v) for v in vals], base))


# ---- fully connected -------------------------------------------------------------------------------


def _fc_layer(imp, src: Val, w_torch: np.ndarray, bias, base) -> Val:
    """fullyConnectedLayer on ``src`` (torch layout) from torch-order weights (out × in)."""
    import layergraph as lg

    out = int(w_torch.shape[0])
    bias = np.zeros(out, np.float32) if bias is None else np.asarray(bias, np.float32).reshape(-1)
    if bias.size != out:
        raise _Unsupported("bias size differs from the output size")
    layer = lg.fullyConnectedLayer(out)
    L = src.layout
    if L is None:
        raise _Unsupported("input size unknown")
    if L.num_elements != w_torch.shape[1]:
        raise _Unsupported(f"weights for {w_torch.shape[1]} inputs on an input of {L.num_elements} elements")
    weights = layer.from_torch("Weights", _t(w_torch), [L])
    layer = layer.copy(Weights=weights, Bias=_t(bias).reshape(-1, 1))
    return imp.add(layer, [_as_std(src)], base)


def _flat_source(imp, val: Val) -> Val | None:
    """The image value whose torch-order flatten ``val`` is (Flatten/Reshape before Gemm), if it is one."""
    if val.special and val.special.get("kind") == "torch flatten":
        return val.special["source"]
    return None


def _flat_weights(val: Val, src: Val | None, w: np.ndarray) -> np.ndarray:
    """Weights (out × in) reading a flatten of ``src`` permuted by the view's perm -> torch (C,H,W) column order."""
    perm = val.special.get("perm") if val.special else None
    if src is None or perm is None or tuple(perm) == _identity(len(perm)):
        return w
    shape = src.layout.torch_shape(1)
    permuted = [shape[p] for p in perm][1:]
    wr = np.asarray(w).reshape((w.shape[0],) + tuple(permuted))
    order = [0] + [1 + list(perm[1:]).index(d) for d in range(1, len(perm))]
    return np.transpose(wr, order).reshape(w.shape[0], -1)


@handles("Gemm")
def _gemm(imp, node, base):
    a = imp.attrs(node)
    if float(a.get("alpha", 1.0)) != 1.0 or int(a.get("transA", 0)):
        raise _Unsupported("Gemm with alpha != 1 or transA")
    w = imp.need_const(node, 1, "weights")
    w_torch = w if int(a.get("transB", 0)) else w.T
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = imp.need_const(node, 2, "bias") * float(a.get("beta", 1.0))
    x = imp.tensor(node.input[0])
    src = _flat_source(imp, x)
    w_torch = _flat_weights(x, src, w_torch)
    if src is None:
        src = imp.std(x, "the Gemm input")
        if src.layout is None or src.layout.has_time or src.layout.spatial:
            raise _Unsupported("Gemm on a non-feature tensor")
    return _fc_layer(imp, src, w_torch, bias, base)


@handles("MatMul")
def _matmul(imp, node, base):
    w = imp.const(node.input[1])
    if w is None or w.ndim != 2:
        raise _Unsupported("MatMul by a non-constant or non-2-D matrix")
    x = imp.tensor(node.input[0])
    src = _flat_source(imp, x)
    w_torch = _flat_weights(x, src, w.T)
    if src is None:
        src = imp.std(x, "the MatMul input")
        if src.layout is None or src.layout.spatial:
            raise _Unsupported("MatMul on an image tensor")

    def finish(bias, name=None):
        return _fc_layer(imp, src, w_torch, bias, name or base)

    users = imp.consumers.get(node.output[0], [])
    if len(users) == 1 and users[0] is not None and users[0].op_type == "Add":
        other = [n for n in users[0].input if n != node.output[0]]
        if other and imp.const(other[0]) is not None and np.asarray(imp.const(other[0])).size == w.shape[1]:
            return Val(special={"kind": "matmul", "finish": finish, "materialize": lambda: finish(None, base)})
    return finish(None, base)


# ---- shape operators -------------------------------------------------------------------------------


def _compose(perm_view: tuple, perm_node: list) -> tuple:
    return tuple(perm_view[p] for p in perm_node)


@handles("Transpose")
def _transpose(imp, node, base):
    val = imp.tensor(node.input[0])
    perm = list(imp.attrs(node).get("perm", list(range(val.rank))[::-1]))
    if val.const is not None:
        return Val(const=np.transpose(val.const, perm))
    if val.special is not None:
        fn = val.special.get("transpose")
        if fn is None:
            val = imp.materialize(val)
        else:
            return fn(perm)
    return Val(val.src, val.layout, _compose(val.perm, perm), graph_input=None)


def _reshape_target(imp, node) -> list[int]:
    if node.op_type == "Flatten":
        return None
    shape = imp.const(node.input[1]) if imp.opset >= 5 else np.asarray(imp.attrs(node)["shape"])
    if shape is None:
        shape = _shape_expression(imp, node.input[1])
    if shape is None:
        raise _Unsupported("a shape computed at run time")
    return [int(s) for s in np.asarray(shape).reshape(-1)]


def _shape_expression(imp, name):
    """Shapes built as Concat(Gather(Shape(x), [0]), const...) — N kept from the input: returned with 0s."""
    v = imp.values.get(name)
    if v is not None and v.special and v.special.get("kind") == "shape":
        return v.special["value"]
    return None


def _column_major_perm(val: Val) -> bool:
    L = val.layout
    k = len(L.spatial)
    lead = 2 if L.has_time else 1
    expected = tuple(range(lead + 1)) + tuple(range(lead + k, lead, -1))
    return val.perm == expected


@handles("Flatten", "Reshape")
def _reshape(imp, node, base):
    import layergraph as lg

    val = imp.tensor(node.input[0])
    if val.const is not None:
        target = _reshape_target(imp, node)
        if target is None:
            axis = int(imp.attrs(node).get("axis", 1))
            return Val(const=val.const.reshape(int(np.prod(val.const.shape[:axis])), -1))
        return Val(const=val.const.reshape([d if d != 0 else val.const.shape[i] for i, d in enumerate(target)]))
    if val.special is not None and val.special.get("reshape") is not None:
        return val.special["reshape"](node)
    val = imp.materialize(val)
    L = val.layout
    if L is None:
        raise _Unsupported("reshape of a tensor of unknown size")
    if node.op_type == "Flatten":
        axis = int(imp.attrs(node).get("axis", 1)) % max(val.rank, 1)
        keep = 1 if axis == 1 else None
    else:
        target = _reshape_target(imp, node)
        keep = None
        if len(target) == 2 and target[0] in (0, -1) or (len(target) == 2 and target[1] == -1):
            keep = 1
        elif len(target) == 2 and target[1] == L.num_elements:
            keep = 1
        elif len(target) == 3 and target[:2] == [0, 0] and L.has_time:
            keep = 2
    if keep == 1 and not L.has_time:
        if not L.spatial:
            return val
        if val.perm == _identity(val.rank):
            if all(s == 1 for s in L.spatial):
                # 1×1×C: torch's and MATLAB's flatten orders agree; a following Gemm reads the image directly
                return Val(special={"kind": "torch flatten", "source": val,
                                    "materialize": lambda: imp.add(lg.flattenLayer(), [val], base)})
            return Val(special={"kind": "torch flatten", "source": val,
                                "materialize": lambda: _raise("a torch-order flatten of an image used directly")})
        if _column_major_perm(val):
            return imp.add(lg.flattenLayer(), [_as_std(val)], base)
        if val.perm[0] == 0:
            # any other order (channels-last, ...): a following Gemm/MatMul reads its weights in that order
            return Val(special={"kind": "torch flatten", "source": _as_std(val), "perm": val.perm,
                                "materialize": lambda: _raise("a transposed flatten of an image used directly")})
    if keep == 2 and L.has_time:
        if not L.spatial:
            return val
        if _column_major_perm(val) or all(s == 1 for s in L.spatial):
            return imp.add(lg.flattenLayer(), [_as_std(val)], base)
    raise _Unsupported(f"reshape of a '{L.format}' tensor that has no layer form")


def _raise(message):
    raise _Unsupported(message)


@handles("Squeeze", "Unsqueeze")
def _squeeze(imp, node, base):
    val = imp.tensor(node.input[0])
    a = imp.attrs(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = imp.const(node.input[1])
    if axes is None:
        raise _Unsupported("squeeze without axes")
    axes = [int(x) for x in np.asarray(axes).reshape(-1)]
    if val.const is not None:
        c = val.const
        c = np.squeeze(c, axis=tuple(axes)) if node.op_type == "Squeeze" else np.expand_dims(c, axis=tuple(axes))
        return Val(const=c)
    if val.special is not None and val.special.get("squeeze") is not None and node.op_type == "Squeeze":
        return val.special["squeeze"](axes)
    if val.special is not None and val.special.get("kind") == "shape":
        return val
    raise _Unsupported(f"{node.op_type} of a layer output")


@handles("Shape")
def _shape(imp, node, base):
    val = imp.tensor(node.input[0])
    return Val(special={"kind": "shape of", "of": val})


@handles("Gather")
def _gather(imp, node, base):
    data = imp.tensor(node.input[0])
    idx = imp.const(node.input[1])
    axis = int(imp.attrs(node).get("axis", 0))
    if idx is None:
        raise _Unsupported("Gather with run-time indices")
    if data.const is not None:
        return Val(const=np.take(data.const, idx, axis=axis))
    if data.special is not None and data.special.get("kind") == "shape of":
        # sizes of the batch (and time) dims: the reshapes below keep them (encoded as 0)
        idx = [int(i) for i in np.asarray(idx).reshape(-1)]
        return Val(special={"kind": "shape", "value": [0 if i in (0, 1) else -1 for i in idx],
                            "dims": [(data.special["of"], i) for i in idx]})
    if data.special is not None and data.special.get("gather") is not None:
        return data.special["gather"](axis, np.asarray(idx))
    raise _Unsupported("Gather of a layer output")


@handles("ReduceMean", "ReduceMax")
def _reduce(imp, node, base):
    import layergraph as lg

    raw = imp.tensor(node.input[0])
    if raw.special and raw.special.get("kind") == "spatial reduction":
        a = imp.attrs(node)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = imp.const(node.input[1])
        kind = "Max" if node.op_type == "ReduceMax" else "Average"
        if axes is not None and [int(x) for x in np.asarray(axes).reshape(-1)] == [1] and not int(a.get("keepdims", 1)) \
                and raw.special["pool"] == kind:
            n = raw.special["k"] + 1
            return imp.add(getattr(lg, f"global{kind}Pooling{n}dLayer")(), [raw.special["source"]], base)
        raise _Unsupported("reduction of a partial reduction")
    val = imp.std(raw, "the reduced tensor")
    L = val.layout
    if L is None:
        raise _Unsupported("reduction of a tensor of unknown size")
    a = imp.attrs(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = imp.const(node.input[1])
    if axes is None:
        raise _Unsupported("reduction over all dimensions")
    axes = sorted(int(x) % val.rank for x in np.asarray(axes).reshape(-1))
    keep = int(a.get("keepdims", 1))
    kind = "Max" if node.op_type == "ReduceMax" else "Average"
    k = len(L.spatial)
    spatial_axes = list(range((3 if L.has_time else 2), val.rank))
    if not L.has_time and axes == spatial_axes and k in (1, 2, 3):
        pooled = imp.add(getattr(lg, f"global{kind}Pooling{k}dLayer")(), [val], base)
        return pooled if keep else imp.add(lg.flattenLayer(), [pooled], f"{base}_flatten")
    if L.has_time and not keep and axes == [1] and k == 0:
        return imp.add(getattr(lg, f"global{kind}Pooling1dLayer")(), [val], base)
    if L.has_time and keep and axes == spatial_axes and k in (1, 2):
        users = imp.consumers.get(node.output[0], [])
        nxt = users[0] if len(users) == 1 and users[0] is not None else None
        if nxt is not None and nxt.op_type == node.op_type:
            # spatial then time: the global pooling of an image sequence over S and T (sequence-to-one)
            return Val(special={"kind": "spatial reduction", "source": val, "k": k, "pool": kind})
    raise _Unsupported(f"{node.op_type} over axes {axes}")


@handles("Constant")
def _constant(imp, node, base):
    from onnx import numpy_helper

    a = {x.name: x for x in node.attribute}
    if "value" in a:
        return Val(const=numpy_helper.to_array(a["value"].t).copy())
    for key in ("value_float", "value_int"):
        if key in a:
            from onnx import helper

            return Val(const=np.asarray(helper.get_attribute_value(a[key])))
    for key in ("value_floats", "value_ints"):
        if key in a:
            from onnx import helper

            return Val(const=np.asarray(helper.get_attribute_value(a[key])))
    raise _Unsupported("a constant of a kind not read")


@handles("ConstantOfShape")
def _constant_of_shape(imp, node, base):
    from onnx import numpy_helper

    shape = imp.tensor(node.input[0])
    a = {x.name: x for x in node.attribute}
    fill = numpy_helper.to_array(a["value"].t).reshape(-1)[0] if "value" in a else np.float32(0)
    if shape.const is not None:
        dims = [int(d) for d in np.asarray(shape.const).reshape(-1)]
    elif shape.special and shape.special.get("kind") == "shape":
        dims = [1 if d in (0, -1) else int(d) for d in shape.special["value"]]   # batch/time kept: broadcast
    else:
        raise _Unsupported("a shape computed at run time")
    return Val(const=np.full(dims, fill), special={"kind": "broadcast constant"})


@handles("Expand")
def _expand(imp, node, base):
    val = imp.tensor(node.input[0])
    if val.const is None:
        raise _Unsupported("Expand of a layer output")
    return Val(const=val.const, special={"kind": "broadcast constant"})


@handles("Resize", "Upsample")
def _resize(imp, node, base):
    import layergraph as lg

    if node.op_type == "Upsample" or imp.opset < 11:
        raise _Unsupported("Resize before opset 11 / Upsample")
    val = imp.std(imp.tensor(node.input[0]), "the Resize input")
    L = val.layout
    if L is None or L.has_time or len(L.spatial) not in (2, 3):
        raise _Unsupported("resize of a non-image tensor")
    a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in imp.attrs(node).items()}
    mode = a.get("mode", "nearest")
    ctm = a.get("coordinate_transformation_mode", "half_pixel")
    if ctm not in ("half_pixel", "asymmetric") or mode not in ("nearest", "linear"):
        raise _Unsupported(f"mode '{mode}' with coordinate transformation '{ctm}'")
    if mode == "linear" and a.get("antialias", 0):
        raise _Unsupported("antialias")
    n = len(L.spatial)
    kwargs = dict(GeometricTransformMode=ctm.replace("_", "-"))
    if mode == "nearest":
        nm = a.get("nearest_mode", "round_prefer_floor")
        if nm not in ("round_prefer_ceil", "floor"):
            raise _Unsupported(f"nearest_mode '{nm}'")
        kwargs.update(Method="nearest", NearestRoundingMode="round" if nm == "round_prefer_ceil" else "floor")
    else:
        kwargs["Method"] = "bilinear" if n == 2 else "trilinear"
    scales = imp.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    sizes = imp.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    if scales is not None and np.asarray(scales).size:
        s = [float(v) for v in np.asarray(scales).reshape(-1)]
        if s[:2] != [1.0, 1.0]:
            raise _Unsupported("resizing the batch or channels")
        kwargs["Scale"] = s[2:]
    elif sizes is not None:
        kwargs["OutputSize"] = [int(v) for v in np.asarray(sizes).reshape(-1)[2:]]
    else:
        expr = imp.values.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        dims = expr.special.get("dims") if expr is not None and expr.special else None
        if not dims or len(dims) != n + 2 or any(not isinstance(d, tuple) or d[1] != i for i, d in enumerate(dims[:2])):
            raise _Unsupported("sizes computed at run time" if expr is not None else "no scales or sizes")
        rest = dims[2:]
        ctor = lg.resize2dLayer if n == 2 else lg.resize3dLayer
        if all(isinstance(d, int) for d in rest):
            kwargs["OutputSize"] = rest
        elif all(isinstance(d, tuple) for d in rest) and len({id(d[0]) for d in rest}) == 1 \
                and [d[1] for d in rest] == list(range(2, 2 + n)):
            ref = imp.std(rest[0][0], "the reference input")
            return imp.add(ctor(EnableReferenceInput=True, **kwargs), [val, ref], base)
        else:
            raise _Unsupported("sizes computed at run time")
    ctor = lg.resize2dLayer if n == 2 else lg.resize3dLayer
    return imp.add(ctor(**kwargs), [val], base)


# ---- recurrent -------------------------------------------------------------------------------------

_ACTIVATION_NAMES = {"Sigmoid": "sigmoid", "HardSigmoid": "hard-sigmoid", "Tanh": "tanh", "Softsign": "softsign"}


def _lstm_to_matlab(m: np.ndarray, h: int) -> np.ndarray:
    """ONNX gate blocks i, o, f, c -> MATLAB i, f, g(c), o."""
    i, o, f, c = m[:h], m[h:2 * h], m[2 * h:3 * h], m[3 * h:4 * h]
    return np.concatenate([i, f, c, o], axis=0)


def _gru_to_matlab(m: np.ndarray, h: int) -> np.ndarray:
    """ONNX gate blocks z, r, h -> MATLAB r, z, h̃."""
    z, r, c = m[:h], m[h:2 * h], m[2 * h:3 * h]
    return np.concatenate([r, z, c], axis=0)


def _recurrent_activations(imp, a, gru: bool, directions: int) -> dict:
    acts = [x.decode() if isinstance(x, bytes) else x for x in a.get("activations", [])]
    if not acts:
        return {}
    per = 2 if gru else 3
    alphas = list(a.get("activation_alpha", []))
    betas = list(a.get("activation_beta", []))
    first = acts[:per]
    if acts != first * directions or any(x not in _ACTIVATION_NAMES for x in first):
        raise _Unsupported(f"activations {acts}")
    gate, state = first[0], first[1]
    if not gru and first[2] != state:
        raise _Unsupported("different cell and hidden activations")
    for k, name in enumerate(acts):
        if name == "HardSigmoid":
            alpha = alphas[k] if k < len(alphas) else 0.2
            beta = betas[k] if k < len(betas) else 0.5
            if abs(alpha - 0.2) > 1e-7 or abs(beta - 0.5) > 1e-7:
                raise _Unsupported("HardSigmoid other than MATLAB's 0.2x+0.5")
    return dict(GateActivationFunction=_ACTIVATION_NAMES[gate], StateActivationFunction=_ACTIVATION_NAMES[state])


@handles("LSTM", "GRU")
def _recurrent(imp, node, base):
    import layergraph as lg

    gru = node.op_type == "GRU"
    a = imp.attrs(node)
    x = imp.materialize(imp.tensor(node.input[0]))
    if x.src is None or x.layout is None or not x.layout.has_time or x.layout.spatial:
        raise _Unsupported("recurrent input that is not a sequence")
    if int(a.get("layout", 0)) == 0:
        if x.perm != (1, 0, 2):
            raise _Unsupported("the LSTM input is not the time-major view of a sequence")
    elif x.perm != (0, 1, 2):
        raise _Unsupported("the LSTM input is not a batch-first sequence")
    if "clip" in a or int(a.get("input_forget", 0)):
        raise _Unsupported("clip or input_forget")
    if len(node.input) > 4 and node.input[4]:
        raise _Unsupported("sequence_lens (MATLAB does not mask padding)")
    if not gru and len(node.input) > 7 and node.input[7]:
        raise _Unsupported("peephole weights")
    h = int(a["hidden_size"])
    direction = a.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction == "reverse":
        raise _Unsupported("reverse direction only")
    dirs = 2 if direction == "bidirectional" else 1
    if gru and dirs == 2:
        raise _Unsupported("bidirectional GRU (MATLAB has no biGRU layer)")
    W, R = imp.need_const(node, 1, "input weights"), imp.need_const(node, 2, "recurrent weights")
    gates = 3 if gru else 4
    B = imp.const(node.input[3]) if len(node.input) > 3 and node.input[3] else np.zeros((dirs, 2 * gates * h), np.float32)
    if B is None:
        raise _Unsupported("bias is not a constant")
    reorder = _gru_to_matlab if gru else _lstm_to_matlab
    options = _recurrent_activations(imp, a, gru, dirs)
    ws, rs, bs = [], [], []
    mode = None
    for d in range(dirs):
        ws.append(reorder(W[d], h))
        rs.append(reorder(R[d], h))
        wb, rb = reorder(B[d][: gates * h], h), reorder(B[d][gates * h:], h)
        if gru:
            lbr = int(a.get("linear_before_reset", 0))
            if lbr and np.any(rb[2 * h:] != 0):
                mode = "recurrent-bias-after-multiplication"
                bs.append(np.concatenate([wb, rb]))
                continue
            mode = "after-multiplication" if lbr else "before-multiplication"
        bs.append(wb + rb)
    states = {}
    for index, prop in ((5, "HiddenState"), (6, "CellState")):
        if gru and prop == "CellState":
            continue
        if len(node.input) > index and node.input[index]:
            v = imp.tensor(node.input[index])
            if v.const is None:
                raise _Unsupported(f"{prop} from a layer output (use state inputs)")
            c = np.asarray(v.const, np.float32)
            if c.shape[1] != 1:
                if not np.all(c == c[:, :1]):
                    raise _Unsupported(f"a per-observation initial {prop}")
                c = c[:, :1]
            states[prop] = _t(c.reshape(dirs * h, 1))
    ctor = lg.gruLayer if gru else (lg.bilstmLayer if dirs == 2 else lg.lstmLayer)
    common = dict(InputWeights=_t(np.concatenate(ws)), RecurrentWeights=_t(np.concatenate(rs)),
                  Bias=_t(np.concatenate(bs)).reshape(-1, 1), **options, **states)
    if gru:
        common["ResetGateMode"] = mode
    made: dict = {}

    def layer_for(output_mode: str) -> Val:
        if output_mode not in made:
            name = base if not made else f"{base}_{output_mode}"
            made[output_mode] = imp.add(ctor(h, OutputMode=output_mode, **common), [_as_std(x)], name)
        return made[output_mode]

    # Y: [T, dir, N, H] is a view of the virtual batch-first N × T × dir × H tensor
    def y_view(perm, squeezed=False, merged=False):
        spec = {"kind": "recurrent sequence output"}

        def transpose(p):
            return y_view(_compose(perm, p), squeezed, merged)

        def squeeze(axes):
            if dirs != 1 or merged or squeezed or len(axes) != 1 or perm[axes[0] % len(perm)] != 2:
                raise _Unsupported("squeeze of the recurrent output")
            rest = [p if p < 2 else p - 1 for p in perm if p != 2]
            return y_view(tuple(rest), True, merged)

        def reshape(rnode):
            target = _reshape_target(imp, rnode) if rnode.op_type == "Reshape" else None
            if squeezed or merged or target is None or len(target) != 3:
                raise _Unsupported("reshape of the recurrent output")
            # merge dir and H (adjacent, in that order, last) into channels
            if list(perm[-2:]) != [2, 3]:
                raise _Unsupported("reshape of the recurrent output")
            return y_view(tuple(perm[:-2]) + (2,), True, True)

        def gather(axis, idx):
            final = squeezed or merged
            axis = axis % len(perm)
            if not final or perm[axis] != 1 or dirs != 1 or np.asarray(idx).size != 1:
                raise _Unsupported("indexing the recurrent output")
            i = int(np.asarray(idx).reshape(()))
            if i != -1:
                raise _Unsupported("a time step other than the last")
            val = layer_for("last")
            rest = tuple(p if p < 1 else p - 1 for p in perm if p != 1)
            return Val(val.src, val.layout, rest)

        def materialize():
            if not (squeezed or merged):
                raise _Unsupported("the 4-D recurrent output used directly")
            val = layer_for("sequence")
            return Val(val.src, val.layout, perm)

        spec.update(transpose=transpose, squeeze=squeeze, reshape=reshape, gather=gather, materialize=materialize)
        return Val(special=spec)

    # Y_h: [dir, N, H] is a view of the virtual N × dir × H tensor
    def yh_view(perm, final=False):
        spec = {"kind": "recurrent final state"}

        def transpose(p):
            return yh_view(_compose(perm, p), final)

        def squeeze(axes):
            if dirs != 1 or final or len(axes) != 1 or perm[axes[0] % len(perm)] != 1:
                raise _Unsupported("squeeze of the final state")
            return yh_view(tuple(p if p < 1 else p - 1 for p in perm if p != 1), True)

        def reshape(rnode):
            if final:
                raise _Unsupported("reshape of the final state")
            if rnode.op_type == "Flatten":
                ok = int(imp.attrs(rnode).get("axis", 1)) == 1
            else:
                target = _reshape_target(imp, rnode)
                ok = len(target) == 2 and target[1] in (-1, dirs * h)
            if not ok or tuple(perm) != (0, 1, 2):
                raise _Unsupported("reshape of the final state")
            return yh_view((0, 1), True)

        def gather(axis, idx):
            axis = axis % len(perm)
            if final or perm[axis] != 1 or dirs != 1 or np.asarray(idx).size != 1:
                raise _Unsupported("indexing the final state")
            if int(np.asarray(idx).reshape(())) not in (0, -1):
                raise _Unsupported("indexing the final state")
            return yh_view(tuple(p if p < 1 else p - 1 for p in perm if p != 1), True)

        def materialize():
            if not final:
                raise _Unsupported("the 3-D final state used directly")
            val = layer_for("last")
            return Val(val.src, val.layout, perm)

        spec.update(transpose=transpose, squeeze=squeeze, reshape=reshape, gather=gather, materialize=materialize)
        return Val(special=spec)

    results = [y_view((1, 2, 0, 3)), yh_view((1, 0, 2))]
    if not gru:
        results.append(Val(special={"kind": "LSTM cell state output"}))
    return results


# --------------------------------------------------------------------------------------------------
# Reading the file


def _read_metadata(model) -> dict:
    """The exporter's layer descriptions (``layergraph.layers``), checked for shape; {} when absent or malformed."""
    import json

    from .export import METADATA_KEY

    for prop in model.metadata_props:
        if prop.key != METADATA_KEY:
            continue
        try:
            data = json.loads(prop.value)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        good = {}
        for lname, entry in data.items():
            if (isinstance(entry, dict) and isinstance(entry.get("layer"), dict) and isinstance(entry.get("tensors"), dict)
                    and isinstance(entry.get("inputs"), list) and isinstance(entry.get("output"), str)
                    and isinstance(entry.get("nodes"), list)
                    and all(isinstance(t, dict) and isinstance(t.get("data"), str) and isinstance(t.get("shape"), list)
                            for t in entry["tensors"].values())):
                good[str(lname)] = entry
        return good
    return {}


def read_model(filename, function: str):
    """The checked ModelProto of an ONNX file, or an OnnxError naming the file and what is wrong."""
    from ...policy import check_read

    onnx, _ = _need_onnx()
    if not isinstance(filename, (str, os.PathLike)):
        raise OptionError(f"{function}: filename must be a character vector or string.")
    shown = os.fspath(filename)
    path = check_read(filename, function)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OnnxError(f"{function}: cannot read '{shown}': {exc.strerror or exc}.") from None
    if not data:
        raise OnnxError(f"{function}: '{shown}' is empty, not an ONNX model.")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # noqa: BLE001 - protobuf decode errors have several types
        raise OnnxError(f"{function}: '{shown}' is not an ONNX model (the protobuf cannot be decoded: "
                        f"{type(exc).__name__}).") from None
    if not model.HasField("graph") or (not model.graph.node and not model.graph.output):
        raise OnnxError(f"{function}: '{shown}' is not an ONNX model (no graph found; the file may be truncated "
                        "or of another format).")
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001
        message = str(exc).strip().splitlines()
        raise OnnxError(f"{function}: '{shown}' is not a valid ONNX graph: {message[0] if message else exc}") from None
    return model, shown


def _formats(value, what: str):
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        text_value = str(item).upper()
        if text_value not in ("BC", "BCSS", "BCSSS", "BTC", "TBC", "BCT"):
            raise OptionError(f"importNetworkFromONNX: '{what}' value '{item}' is not supported "
                              "(use 'BC', 'BCSS', 'BCSSS', 'BTC', 'TBC' or 'BCT').")
        out.append(text_value)
    return out


def import_graph(filename, function: str, input_formats=None):
    """(LayerGraph, importer) for an ONNX file."""
    model, shown = read_model(filename, function)
    imp = _Importer(model, shown, input_formats)
    try:
        imp.run()
        return imp.build_graph(), imp
    except LayerGraphError as exc:
        if isinstance(exc, OnnxError):
            raise
        raise OnnxError(f"{function}: '{shown}': the model cannot be imported: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - bad input never escapes as a bare Python error
        raise OnnxError(f"{function}: '{shown}': the model cannot be imported ({type(exc).__name__}: {exc}).") from None


def load_networks(path) -> dict:
    """``{file stem: network}`` for the command line: a dlnetwork, or the LayerGraph when placeholders
    stand in for unsupported operators (analysis reports them)."""
    from pathlib import Path

    from ...network import dlnetwork

    graph, imp = import_graph(path, "importNetworkFromONNX")
    return {Path(path).stem: graph if imp.placeholders else _built(lambda: dlnetwork(graph), imp, "importNetworkFromONNX")}


def _report(imp, function: str) -> None:
    if imp.placeholders:
        names = ", ".join(f"'{n}' ({imp.layers[n].OperatorType})" for n in imp.placeholders)
        warnings.warn(f"{function}: '{imp.file}': unsupported operators became placeholder layers: {names}. "
                      "analyzeNetwork reports them; replace them before building the network.", stacklevel=3)


@matlab_function(outputs=("net",), data_free=False)
def importNetworkFromONNX(filename, *args, **kwargs):
    """``net = importNetworkFromONNX(modelfile)``: an initialized dlnetwork of MATLAB layers.

    Options ``InputDataFormats`` / ``OutputDataFormats`` ('BC', 'BCSS', 'BCSSS', 'BTC', 'TBC') and
    ``Namespace`` (accepted; no code is generated). Unsupported operators become placeholder layers; the
    network then cannot be initialized and the LayerGraph is returned instead (with a warning naming
    them), as MATLAB returns an uninitialized dlnetwork.
    """
    from ...network import dlnetwork

    opts = _options(args, kwargs, "importNetworkFromONNX",
                    {"InputDataFormats": None, "OutputDataFormats": None, "Namespace": None, "PackageName": None})
    graph, imp = import_graph(filename, "importNetworkFromONNX", _formats(opts["InputDataFormats"], "InputDataFormats"))
    if imp.placeholders:
        _report(imp, "importNetworkFromONNX")
        return graph
    return _built(lambda: dlnetwork(graph), imp, "importNetworkFromONNX")


def _built(make, imp, function: str):
    """The network ``make()`` builds, with a build failure reported against the file."""
    try:
        return make()
    except LayerGraphError as exc:
        raise OnnxError(f"{function}: '{imp.file}': the imported layers do not form a valid network:\n{exc}") from None


@matlab_function(outputs=("lgraph",), data_free=False)
def importONNXLayers(filename, *args, **kwargs):
    """``lgraph = importONNXLayers(modelfile, 'OutputLayerType', type, 'ImportWeights', tf)``: a LayerGraph.

    ``ImportWeights`` defaults to false, as in MATLAB (learnables and states left empty).
    """
    opts = _options(args, kwargs, "importONNXLayers",
                    {"OutputLayerType": None, "ImportWeights": False, "Classes": None, "InputDataFormats": None,
                     "OutputDataFormats": None, "FoldConstants": None, "PackageName": None})
    graph, imp = import_graph(filename, "importONNXLayers", _formats(opts["InputDataFormats"], "InputDataFormats"))
    _report(imp, "importONNXLayers")
    if not opts["ImportWeights"]:
        from ...graph import replaceLayer

        for layer in graph.layer_list():
            cleared = {p: None for p in layer.learnable_names() + layer.state_names() if layer._values.get(p) is not None}
            if cleared:
                graph = replaceLayer(graph, layer.Name, layer.copy(**cleared))
    return _with_output_layer(graph, opts["OutputLayerType"], opts["Classes"], "importONNXLayers")


def _with_output_layer(graph, output_type, classes, function: str):
    import layergraph as lg
    from ...graph import addLayers, connectLayers

    if output_type is None:
        return graph
    kind = str(output_type).lower()
    makers = {"classification": lambda: lg.classificationLayer(Name="ClassificationLayer"),
              "regression": lambda: lg.regressionLayer(Name="RegressionLayer"),
              "pixelclassification": lambda: lg.pixelClassificationLayer(Name="PixelClassificationLayer")}
    if kind not in makers:
        raise OptionError(f"{function}: 'OutputLayerType' must be 'classification', 'regression' or "
                          f"'pixelclassification', got {output_type!r}.")
    outputs = [(layer.Name, port) for layer in graph.layer_list() for port in layer.output_names()
               if not any(e[0] == layer.Name and e[1] == port for e in graph.edge_list())]
    if len(outputs) != 1:
        raise OptionError(f"{function}: 'OutputLayerType' needs a network with one output (found {len(outputs)}).")
    layer = makers[kind]()
    if classes is not None and kind != "regression":
        layer = layer.copy(Classes=classes) if "Classes" in layer.options() else layer
    graph = addLayers(graph, layer)
    src = outputs[0][0] if outputs[0][1] == "out" else f"{outputs[0][0]}/{outputs[0][1]}"
    return connectLayers(graph, src, layer.Name)


@matlab_function(outputs=("net",), data_free=False)
def importONNXNetwork(filename, *args, **kwargs):
    """``net = importONNXNetwork(modelfile, 'OutputLayerType', type)`` (DAGNetwork) or
    ``importONNXNetwork(modelfile, 'TargetNetwork', 'dlnetwork')``. Unsupported operators are an error."""
    from ...network import assembleNetwork, dlnetwork

    opts = _options(args, kwargs, "importONNXNetwork",
                    {"OutputLayerType": None, "Classes": None, "TargetNetwork": "dagnetwork",
                     "InputDataFormats": None, "OutputDataFormats": None, "FoldConstants": None,
                     "GenerateCustomLayers": None, "PackageName": None})
    target = str(opts["TargetNetwork"]).lower()
    if target not in ("dagnetwork", "dlnetwork"):
        raise OptionError(f"importONNXNetwork: 'TargetNetwork' must be 'dagnetwork' or 'dlnetwork', got "
                          f"{opts['TargetNetwork']!r}.")
    if target == "dagnetwork" and opts["OutputLayerType"] is None:
        raise OptionError("importONNXNetwork: specify 'OutputLayerType' ('classification', 'regression' or "
                          "'pixelclassification') to import a DAGNetwork, or 'TargetNetwork','dlnetwork'.")
    graph, imp = import_graph(filename, "importONNXNetwork", _formats(opts["InputDataFormats"], "InputDataFormats"))
    if imp.placeholders:
        names = ", ".join(f"'{n}' ({imp.layers[n].OperatorType}: {imp.layers[n].Reason})" for n in imp.placeholders)
        raise OnnxError(f"importONNXNetwork: '{imp.file}': unsupported operators: {names}. "
                        "Use importONNXLayers or importNetworkFromONNX to get a graph with placeholder layers.")
    if target == "dlnetwork":
        return _built(lambda: dlnetwork(graph), imp, "importONNXNetwork")
    graph = _with_output_layer(graph, opts["OutputLayerType"], opts["Classes"], "importONNXNetwork")
    return _built(lambda: assembleNetwork(graph), imp, "importONNXNetwork")


__all__ = ["importNetworkFromONNX", "importONNXNetwork", "importONNXLayers", "ONNXPlaceholderLayer", "read_model"]
