"""The published JSON Schema: committed file up to date, generated from the registry, consistent with loading."""

from __future__ import annotations

import json
from pathlib import Path

from layergraph.layers import REGISTRY
from layergraph.spec import builtin_registry, load_spec, spec_schema
from layergraph.spec.schema import committed_schema_path, schema_text

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_up_to_date():
    path = ROOT / "schemas" / "layergraph-network.schema.json"
    assert committed_schema_path() == path
    committed = path.read_text(encoding="utf-8")
    generated = schema_text(builtin_registry())
    assert committed == generated, (
        "schemas/layergraph-network.schema.json is out of date with the layer registry; "
        "regenerate it with: python -m layergraph.spec.schema"
    )


def test_schema_has_one_model_per_registered_layer_in_a_discriminated_union():
    schema = spec_schema()
    layer_defs = {name for name in schema["$defs"] if name not in ("WeightsRef", "ClassdefSource")}
    assert layer_defs == set(REGISTRY)
    items = schema["properties"]["layers"]["items"]
    assert items["discriminator"]["propertyName"] == "type"
    assert set(items["discriminator"]["mapping"]) == set(REGISTRY)
    chain_items = schema["properties"]["chains"]["items"]["items"]
    assert set(chain_items["discriminator"]["mapping"]) == set(REGISTRY)
    assert schema["oneOf"] == [{"required": ["layers"]}, {"required": ["chains"]}]
    assert schema["required"] == ["format", "version"]
    embedded = schema["properties"]["custom_layers"]["additionalProperties"]
    assert embedded == {"$ref": "#/$defs/ClassdefSource"}
    assert schema["$defs"]["ClassdefSource"]["required"] == ["classdef"]


def test_layer_models_list_settable_options_but_not_learnables():
    schema = spec_schema()
    for name, cls in REGISTRY.items():
        model = schema["$defs"][name]
        props = model["properties"]
        assert props["type"]["const"] == name
        assert model["additionalProperties"] is False
        for opt_name, opt in cls.options().items():
            if opt.learnable or opt.state or not opt.settable:
                assert opt_name not in props, (name, opt_name)
            else:
                assert opt_name in props, (name, opt_name)
        required = {o.name for o in cls.options().values() if o.required}
        assert set(model.get("required", [])) == required | {"type"}


def test_convolution_options_carry_the_converter_schema_and_matlab_defaults():
    conv = spec_schema()["$defs"]["convolution2dLayer"]["properties"]
    assert conv["NumFilters"]["type"] == "integer" and conv["NumFilters"]["minimum"] == 1
    assert conv["Stride"]["default"] == [1, 1]
    assert conv["Padding"]["default"] == [0, 0, 0, 0]
    assert {"const": "same"} in conv["Padding"]["anyOf"]
    assert conv["WeightsInitializer"]["default"] == "glorot"
    handle = [alt for alt in conv["WeightsInitializer"]["anyOf"] if alt.get("pattern")]
    assert handle and handle[0]["pattern"].startswith("^@")


def test_schema_is_plain_json_and_deterministic():
    first = schema_text()
    assert first == schema_text()
    assert json.loads(first)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _check(instance, schema, root):
    """A small JSON Schema checker for the keywords the generated schema uses (enough to confirm the
    examples are valid against the published schema without a jsonschema dependency)."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return _check(instance, root["$defs"][name], root)
    if "discriminator" in schema:
        tag = instance.get("type")
        target = schema["discriminator"]["mapping"].get(tag)
        assert target is not None, f"no model for type {tag!r}"
        return _check(instance, {"$ref": target}, root)
    if "anyOf" in schema:
        errors = []
        for alt in schema["anyOf"]:
            try:
                _check(instance, alt, root)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{instance!r} matches no alternative: {errors}")
    if "const" in schema:
        assert instance == schema["const"]
    if "enum" in schema:
        assert instance in schema["enum"]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(instance, dict)
        for key in schema.get("required", []):
            assert key in instance, f"missing {key}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(instance) <= set(props), set(instance) - set(props)
        for key, value in instance.items():
            if key in props:
                _check(value, props[key], root)
    elif kind == "array":
        assert isinstance(instance, list)
        assert len(instance) >= schema.get("minItems", 0)
        assert len(instance) <= schema.get("maxItems", 10**9)
        if "items" in schema:
            for item in instance:
                _check(item, schema["items"], root)
    elif kind == "integer":
        assert isinstance(instance, int) and not isinstance(instance, bool)
        assert instance >= schema.get("minimum", -(10**18))
    elif kind == "number":
        assert isinstance(instance, (int, float)) and not isinstance(instance, bool)
    elif kind == "string":
        assert isinstance(instance, str)
    elif kind == "boolean":
        assert isinstance(instance, bool)


def test_example_specs_are_valid_against_the_committed_schema():
    schema = json.loads((ROOT / "schemas" / "layergraph-network.schema.json").read_text())
    for path in sorted((ROOT / "examples").glob("*.json")):
        instance = json.loads(path.read_text())
        _check(instance, schema, schema)
        load_spec(path)


def test_schema_checker_rejects_what_the_loader_rejects():
    import pytest

    schema = spec_schema()
    bad = {"format": "layergraph-network", "version": 1,
           "layers": [{"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 0}]}
    with pytest.raises(AssertionError):
        _check(bad, schema, schema)
