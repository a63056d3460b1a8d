"""Networks, layer graphs, layer arrays and training options from a .mat file, and ``loadmat``.

MATLAB class -> layergraph value:

==============================================  ==============================================
``SeriesNetwork``, ``DAGNetwork``                an assembled :class:`~layergraph.Network`
                                                 (output layer kept; ``assembleNetwork``)
``dlnetwork``                                    a ``dlnetwork``
``nnet.cnn.LayerGraph``                          a :class:`~layergraph.LayerGraph`
layer array (``nnet.cnn.layer.Layer``)           a list of layers (:class:`~layergraph.LayerArray`)
``nnet.cnn.TrainingOptionsSGDM/ADAM/RMSProp``    ``trainingOptions(...)``
``categorical``                                  the project's categorical
other objects (datastores, ...)                  :class:`MatObject` (class name + properties)
==============================================  ==============================================

A network that holds placeholder layers (user-defined layers, FunctionLayer) cannot be compiled; it
comes back as its LayerGraph (a warning says so) so it can be inspected and the placeholders replaced.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ...errors import LayerGraphError, MatFileError
from ...functions import matlab_function
from .container import MatCategorical, MatObject, MatObjectArray, _string, read_mat_file
from .layers import Context, _vstr, as_float, as_str, as_str_list, decode_layer, is_empty, struct_fields
from .placeholders import MatPlaceholderLayer

NETWORK_CLASSES = ("SeriesNetwork", "DAGNetwork", "dlnetwork", "nnet.cnn.LayerGraph")
OPTION_CLASSES = {"nnet.cnn.TrainingOptionsSGDM": "sgdm", "nnet.cnn.TrainingOptionsADAM": "adam",
                  "nnet.cnn.TrainingOptionsRMSProp": "rmsprop"}

# save version -> fields, per network class ([O] observed, [I] inferred; see docs/import-export.md)
SERIES_FIELDS = {1: ("Version", "Layers")}
GRAPH_FIELDS = {1: ("Version", "Layers", "Connections")}
DLNETWORK_FIELDS = {
    4: ("Version", "LayerGraph", "Initialized", "SerializedQuantizationInfo", "ExampleInputs", "OutputNames"),
    6: ("Version", "LayerGraph", "Initialized", "SerializedQuantizationInfo", "ExampleInputs", "OutputNames",
        "ExternalInputNames", "ExternalOutputNames", "RetainCustomInputNames", "RetainCustomOutputNames"),
}


def _checked_fields(obj: MatObject, ctx: Context, table: dict) -> dict:
    fields = obj.saved
    if fields is None:
        raise ctx.error("the object was not saved as a struct (unknown format).")
    version = as_float(fields["Version"], ctx, "Version") if "Version" in fields else None
    ctx.version = version
    if version not in table:
        raise ctx.error(f"save version {_vstr(version)} is not one the decoder knows "
                        f"(known: {', '.join(map(str, table))}); fields: {', '.join(sorted(fields))}.")
    expected = set(table[version])
    unknown, missing = sorted(set(fields) - expected), sorted(expected - set(fields))
    if unknown or missing:
        parts = ([f"fields not understood: {', '.join(unknown)}"] if unknown else []) + (
            [f"fields missing: {', '.join(missing)}"] if missing else [])
        raise ctx.error("; ".join(parts) + ".")
    return fields


def decode_layers(value, ctx: Context) -> list:
    if isinstance(value, MatObject):
        items = [value]
    elif isinstance(value, MatObjectArray):
        items = value.items
    elif is_empty(value):
        items = []
    else:
        raise ctx.error(f"Layers should be a layer array but is {type(value).__name__}.")
    layers = [decode_layer(item, ctx) for item in items]
    names = [layer.Name for layer in layers]
    dup = sorted({n for n in names if n and names.count(n) > 1})
    if dup:
        raise ctx.error(f"the layer array has duplicate layer names: {', '.join(dup)}.")
    return layers


def _connections(value, ctx: Context) -> list[tuple[str, str]]:
    """The Connections table (Source, Destination) as (source, destination) pairs."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - mat-io depends on pandas
        pd = None
    if pd is not None and isinstance(value, pd.DataFrame):
        cols = list(value.columns)
        if cols != ["Source", "Destination"]:
            raise ctx.error(f"Connections has columns {cols}, not Source and Destination.")
        return [(_string(np.asarray(s, dtype=object)) if not isinstance(s, str) else s,
                 _string(np.asarray(d, dtype=object)) if not isinstance(d, str) else d)
                for s, d in zip(value["Source"], value["Destination"])]
    if is_empty(value):
        return []
    raise ctx.error(f"Connections should be a table but is {type(value).__name__}.")


def build_graph(layers: list, connections: list, ctx: Context):
    from ...graph import LayerGraph, addLayers, connectLayers

    graph = LayerGraph()
    try:
        for layer in layers:
            graph = addLayers(graph, layer)
        for src, dst in connections:
            graph = connectLayers(graph, src, dst)
    except LayerGraphError as exc:
        raise ctx.error(f"the saved layers and connections do not make a layer graph: {exc}") from None
    return graph


def _has_placeholders(layers) -> list[str]:
    return [layer.Name for layer in layers if isinstance(layer, MatPlaceholderLayer)]  # output ones included


def _compiled(graph_or_layers, layers, ctx: Context, kind: str):
    from ...graph import layerGraph
    from ...network import assembleNetwork, dlnetwork

    held = _has_placeholders(layers)
    if held:
        warnings.warn(f"{ctx.where()}: the network holds placeholder layers ({', '.join(held)}); it is returned as "
                      "a LayerGraph. Replace the placeholders to compile it.", stacklevel=4)
        return graph_or_layers if not isinstance(graph_or_layers, list) else layerGraph(graph_or_layers)
    try:
        return assembleNetwork(graph_or_layers) if kind == "assembled" else dlnetwork(graph_or_layers)
    except LayerGraphError as exc:
        raise ctx.error(f"the saved network cannot be built: {exc}") from None


def decode_network(obj: MatObject, ctx: Context):
    cls = obj.classname
    ctx = Context(ctx.path, ctx.variable, classname=cls)
    if cls == "SeriesNetwork":
        fields = _checked_fields(obj, ctx, SERIES_FIELDS)
        layers = decode_layers(fields["Layers"], ctx)
        return _compiled(layers, layers, ctx, "assembled")
    if cls in ("DAGNetwork", "nnet.cnn.LayerGraph"):
        fields = _checked_fields(obj, ctx, GRAPH_FIELDS)
        layers = decode_layers(fields["Layers"], ctx)
        graph = build_graph(layers, _connections(fields["Connections"], ctx), ctx)
        return graph if cls == "nnet.cnn.LayerGraph" else _compiled(graph, layers, ctx, "assembled")
    if cls == "dlnetwork":
        fields = _checked_fields(obj, ctx, DLNETWORK_FIELDS)
        inner = fields["LayerGraph"]
        if not isinstance(inner, MatObject) or inner.classname != "nnet.cnn.LayerGraph":
            raise ctx.error("field LayerGraph does not hold an nnet.cnn.LayerGraph.")
        gctx = Context(ctx.path, ctx.variable, classname=inner.classname)
        gfields = _checked_fields(inner, gctx, GRAPH_FIELDS)
        layers = decode_layers(gfields["Layers"], gctx)
        graph = build_graph(layers, _connections(gfields["Connections"], gctx), gctx)
        return _compiled(graph, layers, ctx, "dlnetwork")
    raise ctx.error("is not a network class.")


# --------------------------------------------------------------------------------------------------
# Training options

# saved field -> handled how: None = the trainingOptions option of the same name; "skip" = not an option
OPTION_SKIP = {"Version"}


def decode_options(obj: MatObject, ctx: Context):
    from ...training import trainingOptions
    from ...training.options import TrainingOptions

    solver = OPTION_CLASSES[obj.classname]
    ctx = Context(ctx.path, ctx.variable, classname=obj.classname)
    fields = obj.saved
    if fields is None:
        raise ctx.error("the options object was not saved as a struct.")
    version = as_float(fields["Version"], ctx, "Version") if "Version" in fields else None
    ctx.version = version
    if version is None or version < 1:
        raise ctx.error(f"save version {_vstr(version)} is not understood.")
    probe = trainingOptions(solver)
    known = set(TrainingOptions.__dataclass_fields__) if hasattr(TrainingOptions, "__dataclass_fields__") else set()
    kwargs, unknown, dropped = {}, [], []
    for key, value in fields.items():
        if key in OPTION_SKIP:
            continue
        if not hasattr(probe, key) and key not in known:
            unknown.append(key)
            continue
        if isinstance(value, (MatObject, MatObjectArray)):
            dropped.append(key)  # e.g. ValidationData as a datastore: data paths of another machine
            continue
        converted = _option_value(value, ctx, key)
        if converted is _EMPTY:
            continue
        kwargs[key] = converted
    if unknown:
        raise ctx.error(f"fields not understood (not trainingOptions options): {', '.join(sorted(unknown))}.")
    try:
        options = trainingOptions(solver, **kwargs)
    except LayerGraphError as exc:
        raise ctx.error(f"the saved values do not make valid training options: {exc}") from None
    if dropped:
        warnings.warn(f"{ctx.where()}: option(s) {', '.join(dropped)} hold MATLAB objects (e.g. a datastore) and are "
                      "left at their defaults.", stacklevel=3)
    return options


_EMPTY = object()


def _option_value(value, ctx, key):
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "UST":
            return as_str(value, ctx, key)
        if value.dtype.kind == "b":
            return bool(value.ravel()[0]) if value.size == 1 else value.tolist()
        if value.dtype.kind in "iuf":
            if value.size == 0:
                return _EMPTY
            if value.size == 1:
                x = float(value.ravel()[0])
                return int(x) if x.is_integer() and key not in ("InitialLearnRate", "L2Regularization", "Momentum",
                                                               "LearnRateDropFactor", "GradientThreshold",
                                                               "SequencePaddingValue", "GradientDecayFactor",
                                                               "SquaredGradientDecayFactor", "Epsilon") else x
            return value.ravel(order="F").tolist()
        if value.dtype == object:
            return _EMPTY if value.size == 0 else as_str_list(value, ctx, key)
    raise ctx.error(f"option {key} holds a value that cannot be mapped.")


# --------------------------------------------------------------------------------------------------
# Values


def to_categorical(value: MatCategorical):
    """The project's categorical for a saved categorical array (codes -1 = <undefined>)."""
    from ...values.categorical import Categorical

    return Categorical(value.codes, list(value.categories), ordinal=value.ordinal)


def is_network_value(value) -> bool:
    from ...graph import LayerGraph
    from ...network import Network

    if isinstance(value, (Network, LayerGraph)):
        return True
    from ...layers.base import Layer

    return isinstance(value, list) and bool(value) and all(isinstance(x, Layer) for x in value)


def decode_value(value, ctx: Context):
    """Convert every MATLAB object inside a value (structs and cells are walked)."""
    if isinstance(value, MatCategorical):
        return to_categorical(value)
    if isinstance(value, MatObject):
        cls = value.classname
        if cls in NETWORK_CLASSES:
            return decode_network(value, ctx)
        if cls in OPTION_CLASSES:
            return decode_options(value, ctx)
        if cls.startswith("nnet.cnn.layer.") or (value.saved_struct and cls.startswith("nnet.")):
            if cls.startswith("nnet.cnn.layer."):
                from ...graph import LayerArray

                return LayerArray([decode_layer(value, ctx)])
            raise Context(ctx.path, ctx.variable, classname=cls).error(
                "this Deep Learning Toolbox class is not known to the importer.")
        if cls.startswith("nnet.") or cls.startswith("deep."):
            raise Context(ctx.path, ctx.variable, classname=cls).error(
                "this Deep Learning Toolbox class is not known to the importer.")
        return value
    if isinstance(value, MatObjectArray):
        if value.classname.startswith("nnet.cnn.layer.") or any(
                isinstance(i, MatObject) and i.classname.startswith("nnet.cnn.layer.") for i in value.items):
            from ...graph import LayerArray

            return LayerArray(decode_layers(value, ctx))
        return value
    if isinstance(value, np.ndarray) and value.dtype.names:
        out = value.copy()
        for idx in np.ndindex(out.shape):
            for name in out.dtype.names:
                out[idx][name] = decode_value(out[idx][name], ctx)
        return out
    if isinstance(value, np.ndarray) and value.dtype == object and value.dtype.kind == "O":
        out = np.empty(value.shape, dtype=object)
        for idx in np.ndindex(value.shape):
            out[idx] = decode_value(value[idx], ctx)
        return out
    return value


@matlab_function("loadmat", outputs=("S",), data_free=False)
def loadmat(path, *variables) -> dict:
    """``S = load('net.mat')``: the file's variables, MATLAB network objects converted.

    Plain data come as ``scipy.io.loadmat`` gives them (MATLAB layout); SeriesNetwork/DAGNetwork become
    assembled networks, dlnetwork a dlnetwork, LayerGraph a LayerGraph, layer arrays layer lists,
    training options ``trainingOptions``, categorical the project's categorical. Reads v4, v6/v7 and
    v7.3 files. ``variables`` selects variables by name (as ``load(file, 'net')``). Raises MatFileError
    naming the file, variable, layer, class and version for anything it cannot read; never runs code
    from the file.
    """
    from ...policy import check_read

    check_read(path, "load")
    raw, _ = read_mat_file(path)
    wanted = [str(v) for v in variables]
    for name in wanted:
        if name not in raw:
            raise MatFileError(f"{path}: no variable '{name}' in the file (variables: {', '.join(raw) or 'none'}).")
    out = {}
    for name, value in raw.items():
        if wanted and name not in wanted:
            continue
        out[name] = decode_value(value, Context(str(path), name))
    return out


def load_networks(path) -> dict:
    """``{variable: network}`` of the networks, layer graphs and layer arrays in a .mat file.

    Raises MatFileError naming the file when it holds none.
    """
    variables = loadmat(path)
    nets = {name: value for name, value in variables.items() if is_network_value(value)}
    if not nets:
        listing = ", ".join(f"{k} ({_kind(v)})" for k, v in variables.items()) or "no variables"
        raise MatFileError(f"{path}: the MAT-file holds no network, layer graph or layer array ({listing}).")
    return nets


def _kind(value) -> str:
    if isinstance(value, (MatObject, MatObjectArray)):
        return value.classname
    if isinstance(value, np.ndarray):
        kind = "struct" if value.dtype.names else ("cell" if value.dtype == object else str(value.dtype))
        return f"{'x'.join(map(str, value.shape))} {kind}"
    return type(value).__name__


__all__ = ["loadmat", "load_networks", "decode_value", "decode_network", "decode_layers", "build_graph"]


def load(filename, *variables) -> dict:
    """MATLAB ``S = load(filename, vars...)`` for MAT-files: :func:`loadmat` (networks converted).

    Not registered under the name ``load``: the porter keeps treating ``load`` as data it does not read,
    and the interpreter decides how a workspace receives the variables; both can call this.
    """
    return loadmat(filename, *variables)
