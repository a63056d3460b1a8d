"""Pydantic models of the JSON network spec, generated from the layer registry.

One model per registered layer type (``type`` is the MATLAB constructor name, the other fields are the
layer's settable, non-learnable options with their MATLAB names), joined in one union discriminated on
``type``. Each option field validates with the option's own converter (the very rule the Python
constructor applies) and shows the converter's JSON-schema fragment in the published schema. Nothing
here knows any particular layer: a layer class registered with :func:`layergraph.register` gets a model
the next time the models are asked for.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model
from pydantic.json_schema import GenerateJsonSchema

from ..layers import REGISTRY
from ..layers.base import Layer
from ..layers.options import Option

FORMAT = "layergraph-network"
VERSION = 1
SCHEMA_ID = "https://layergraph.dev/schemas/layergraph-network.schema.json"

#: JSON has no infinities or NaN; the spec writes MATLAB's names for them as strings.
SPECIAL_FLOATS = {"Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}


def _none():
    return None


def spec_fields(cls: type[Layer]) -> dict[str, Option]:
    """The options a spec may give for a layer class: settable and not learnable/state values."""
    return {
        name: opt
        for name, opt in cls.options().items()
        if opt.settable and not opt.learnable and not opt.state
    }


def weight_fields(cls: type[Layer]) -> list[str]:
    """Learnable and state properties: their values live in the weights file, not in the JSON."""
    return [name for name, opt in cls.options().items() if opt.learnable or opt.state]


def decode_special(value):
    """``"Inf"``/``"-Inf"``/``"NaN"`` strings (also inside arrays) as floats."""
    if isinstance(value, str) and value in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[value]
    if isinstance(value, list):
        return [decode_special(v) for v in value]
    return value


def _has_special(value) -> bool:
    if isinstance(value, str):
        return value in SPECIAL_FLOATS
    if isinstance(value, list):
        return any(_has_special(v) for v in value)
    return False


FUNCTION_HANDLE = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


def function_handle_name(value) -> str | None:
    """``"@name"`` -> ``"name"`` (a function handle written in a spec), else None."""
    if isinstance(value, str):
        match = FUNCTION_HANDLE.fullmatch(value)
        if match:
            return match.group(1)
    return None


def _example_function(x):  # probe: does an option accept function handles?
    return x


def accepts_functions(opt: Option) -> bool:
    try:
        opt.convert(_example_function)
        return True
    except Exception:
        return False


def convert_option(opt: Option, value):
    """Convert a JSON value with the option's converter (ValueError "expected ..." when invalid).

    JSON strings "Inf", "-Inf" and "NaN" stand for the MATLAB values when the string itself is not
    a valid value of the option. A function handle ``"@name"`` for an option that takes functions is
    left as it is: the loader resolves it through the explicit ``functions`` table.
    """
    if function_handle_name(value) is not None and accepts_functions(opt):
        try:
            return opt.convert(value)
        except ValueError:
            return value
    if _has_special(value):
        try:
            return opt.convert(value)
        except ValueError:
            return opt.convert(decode_special(value))
    return opt.convert(value)


def json_default(opt: Option):
    """The option's MATLAB default as JSON (for the schema), or a marker that it has none in JSON."""
    from .codec import Unencodable, encode_value  # local: codec imports this module

    if opt.default is None:
        return _NO_DEFAULT
    try:
        return encode_value(opt.default)
    except Unencodable:
        return _NO_DEFAULT


_NO_DEFAULT = object()


def _field_for(cls: type[Layer], opt: Option):
    schema = dict(opt.convert.schema)
    expected = opt.convert.expected
    schema["description"] = opt.doc or (expected[:1].upper() + expected[1:] + ".")
    schema["title"] = opt.name
    if accepts_functions(opt):
        handle = {
            "type": "string",
            "pattern": FUNCTION_HANDLE.pattern.join("^$"),
            "description": "a function handle '@name', resolved through the functions table given to load_spec",
        }
        kept = {k: v for k, v in schema.items() if k in ("description", "title")}
        fragment = {k: v for k, v in schema.items() if k not in ("description", "title")}
        alternatives = [fragment, handle] if fragment else [handle]
        schema = dict(kept, anyOf=alternatives)
    default = json_default(opt) if not opt.required else _NO_DEFAULT
    if default is not _NO_DEFAULT:
        schema["default"] = default

    def validate(value, _opt=opt):
        return convert_option(_opt, value)

    annotated = Annotated[Any, PlainValidator(validate), WithJsonSchema(schema)]
    if opt.required:
        return (annotated, Field(...))
    # default_factory: an omitted option is not validated and shows no pydantic default in the schema;
    # an explicit null is validated by the converter like any other value.
    return (annotated, Field(default_factory=_none))


def layer_model(cls: type[Layer]) -> type[BaseModel]:
    """The pydantic model of one layer type."""
    fields: dict[str, Any] = {
        "type": (Literal[cls.MATLAB_NAME], Field(..., title="type", description="MATLAB constructor name")),
    }
    for name, opt in spec_fields(cls).items():
        fields[name] = _field_for(cls, opt)
    doc = (cls.__doc__ or cls.MATLAB_NAME).strip().splitlines()[0]
    syntax = f" MATLAB: {cls.SYNTAX}" if cls.SYNTAX else ""
    return create_model(
        cls.MATLAB_NAME,
        __config__=ConfigDict(extra="forbid", title=cls.MATLAB_NAME, json_schema_extra={"description": doc + syntax}),
        **fields,
    )


class WeightsRef(BaseModel):
    """The safetensors file holding learnable and state values in MATLAB layout."""

    model_config = ConfigDict(extra="forbid")
    file: str = Field(..., description="path of the .safetensors file, relative to the spec file")
    sha256: str = Field(
        default_factory=_none, description="SHA-256 of the file as written by save_spec; loading checks it when present"
    )


_CACHE: dict = {}


def _registry_key(registry: Mapping[str, type[Layer]]) -> tuple:
    return tuple(sorted((name, id(cls)) for name, cls in registry.items()))


class ClassdefSource(BaseModel):
    """A custom layer's MATLAB classdef, embedded in the spec."""

    model_config = ConfigDict(extra="forbid")
    classdef: str = Field(..., description="the text of the classdef file (classdef name < nnet.layer.Layer ...)")


def network_model(registry: Mapping[str, type[Layer]] | None = None) -> type[BaseModel]:
    """The model of a whole spec for ``registry`` (default: the global layer registry); cached."""
    registry = REGISTRY if registry is None else registry
    key = _registry_key(registry)
    model = _CACHE.get(key)
    if model is not None:
        return model
    models = [layer_model(registry[name]) for name in sorted(registry)]
    if len(models) == 1:
        layer_type: Any = models[0]
    else:
        layer_type = Annotated[Union[tuple(models)], Field(discriminator="type")]
    connection = Annotated[
        list[str],
        Field(min_length=2, max_length=2, description="[source, destination] as MATLAB writes them: 'relu_1', 'add/in2'"),
    ]
    model = create_model(
        "LayergraphNetwork",
        __config__=ConfigDict(
            extra="forbid",
            title="layergraph network spec",
            json_schema_extra={
                "description": (
                    "A MATLAB Deep Learning Toolbox network as data. 'layers' is one chain connected in order "
                    "(as layerGraph(layers) connects an array); 'chains' is several chains (as addLayers adds "
                    "them); 'connections' adds edges between them (as connectLayers does)."
                ),
            },
        ),
        schema_=(str, Field(default_factory=_none, alias="$schema", description="optional URI of this schema (ignored)")),
        format=(Literal[FORMAT], Field(..., title="format", description="always 'layergraph-network'")),
        version=(Literal[VERSION], Field(..., title="version", description="format version")),
        layers=(list[layer_type], Field(default_factory=_none, description="one chain of layers, connected in order")),
        chains=(
            list[list[layer_type]],
            Field(default_factory=_none, description="several chains of layers, each connected in order"),
        ),
        connections=(
            list[connection],
            Field(default_factory=_none, description="extra connections: [source, destination] pairs"),
        ),
        weights=(
            WeightsRef,
            Field(default_factory=_none, description="learnable and state values (MATLAB layout), keys '<layer>/<Property>'"),
        ),
        custom_layers=(
            dict[str, ClassdefSource],
            Field(default_factory=_none, description="MATLAB classdef source of custom layers the spec uses, "
                                                     "translated (never executed) when the spec is loaded"),
        ),
    )
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = model
    return model


class _SortedSchema(GenerateJsonSchema):
    pass


def spec_schema(registry: Mapping[str, type[Layer]] | None = None) -> dict:
    """The JSON Schema (draft 2020-12) of the spec format for ``registry`` (default: all registered layers)."""
    model = network_model(registry)
    schema = model.model_json_schema(by_alias=True, schema_generator=_SortedSchema)
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID}
    out.update(schema)
    # exactly one of layers / chains
    out["oneOf"] = [{"required": ["layers"]}, {"required": ["chains"]}]
    return json.loads(json.dumps(out))


def builtin_registry() -> dict[str, type[Layer]]:
    """The layers that ship with layergraph (what the committed schema in ``schemas/`` covers)."""
    return {
        name: cls
        for name, cls in REGISTRY.items()
        if cls.__module__ == "layergraph" or cls.__module__.startswith("layergraph.")
    }


__all__ = [
    "FORMAT",
    "VERSION",
    "SCHEMA_ID",
    "network_model",
    "layer_model",
    "spec_schema",
    "spec_fields",
    "weight_fields",
    "builtin_registry",
    "convert_option",
    "decode_special",
]
