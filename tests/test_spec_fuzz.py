"""Property test: mutated specs (deletions, type changes, bad values, garbage) raise only the project's errors."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layergraph.analysis import analyze
from layergraph.errors import LayerGraphError
from layergraph.layers import REGISTRY
from layergraph.spec import load_spec, save_spec

BASE = {
    "format": "layergraph-network",
    "version": 1,
    "chains": [
        [
            {"type": "imageInputLayer", "InputSize": [8, 8, 3], "Name": "in"},
            {"type": "convolution2dLayer", "FilterSize": 3, "NumFilters": 4, "Padding": "same", "Name": "conv"},
            {"type": "reluLayer", "Name": "relu_1"},
            {"type": "additionLayer", "NumInputs": 2, "Name": "add"},
            {"type": "fullyConnectedLayer", "OutputSize": 3, "Name": "fc"},
            {"type": "softmaxLayer", "Name": "sm"},
            {"type": "classificationLayer", "Name": "out", "Classes": ["a", "b", "c"]},
        ],
        [{"type": "convolution2dLayer", "FilterSize": [1, 1], "NumFilters": 4, "Stride": 1, "Name": "skip"}],
    ],
    "connections": [["in", "skip"], ["skip", "add/in2"]],
}

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["same", "auto", "Inf", "-Inf", "NaN", "@f", "in", "add/in2", "add/in9", "", "relu_1", "none"]),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=3)),
    max_leaves=12,
)
type_names = st.one_of(st.sampled_from(sorted(REGISTRY)), st.text(max_size=12))


def _paths(node, prefix=()):
    """Every (container, key) position in the document."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((prefix, key))
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((prefix, i))
            out.extend(_paths(value, prefix + (i,)))
    return out


def _get(doc, prefix):
    for key in prefix:
        doc = doc[key]
    return doc


@st.composite
def mutated_specs(draw):
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        positions = _paths(doc)
        if not positions:
            break
        prefix, key = draw(st.sampled_from(positions))
        container = _get(doc, prefix)
        action = draw(st.sampled_from(["delete", "replace", "retype", "add_key", "option_value", "duplicate"]))
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = draw(json_values)
        elif action == "retype":
            target = container[key]
            if isinstance(target, dict):
                target["type"] = draw(type_names)
            else:
                container[key] = draw(type_names)
        elif action == "add_key":
            target = container[key]
            if isinstance(target, dict):
                name = draw(st.one_of(st.sampled_from(["Padding", "Stride", "Weights", "Name", "NumInputs",
                                                       "Classes", "InputSize", "Mean", "Bias"]), st.text(max_size=8)))
                target[name] = draw(json_values)
            elif isinstance(target, list):
                target.append(draw(json_values))
        elif action == "option_value":
            chains = doc.get("chains") if isinstance(doc.get("chains"), list) else []
            layers = [layer for chain in chains if isinstance(chain, list) for layer in chain
                      if isinstance(layer, dict)]
            if layers:
                layer = draw(st.sampled_from(layers))
                cls = REGISTRY.get(layer.get("type")) if isinstance(layer.get("type"), str) else None
                if cls is not None:
                    names = sorted(o.name for o in cls.options().values() if o.settable)
                    layer[draw(st.sampled_from(names))] = draw(json_values)
        elif action == "duplicate":
            if isinstance(container, list):
                container.append(copy.deepcopy(container[key]))
    text = json.dumps(doc)
    if draw(st.integers(0, 9)) == 0:   # sometimes plain garbage: cut or splice the text
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=5))
    return text


def _must_be_ours(text):
    try:
        graph = load_spec(text)
    except LayerGraphError:
        return None
    return graph


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_raise_only_project_errors(text):
    graph = _must_be_ours(text)
    if graph is not None:
        # whatever loads can be analysed and saved again, stably
        analyze(graph)
        saved = save_spec(graph, weights=False)
        assert save_spec(load_spec(saved), weights=False) == saved


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps)))
def test_arbitrary_text_raises_only_project_errors(data):
    if isinstance(data, str) and not data.lstrip().startswith(("{", "[")):
        data = "{" + data          # text, not a file name
    _must_be_ours(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(REGISTRY)), st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=4))
def test_every_layer_type_with_random_options_raises_only_project_errors(type_name, options):
    cls = REGISTRY[type_name]
    settable = sorted(o.name for o in cls.options().values() if o.settable)
    options = {(settable[sum(map(ord, k)) % len(settable)] if k[0].isupper() else k): v for k, v in options.items()}
    layer = dict(options, type=type_name)
    text = json.dumps({"format": "layergraph-network", "version": 1, "layers": [layer]})
    graph = _must_be_ours(text)
    if graph is not None:
        analyze(graph)
