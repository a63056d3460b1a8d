"""JSON network specs: load and save LayerGraphs as data, with a JSON Schema generated from the registry.

``load_spec(path_or_text) -> LayerGraph``, ``save_spec(graph, path)`` and ``spec_schema() -> dict``.
See docs/readme/spec-cli.md for the format.
"""

from .codec import layer_from_json, layer_to_json, load_spec, save_spec, spec_text
from .errors import SpecError, SpecFileError
from .models import FORMAT, VERSION, builtin_registry, network_model, spec_schema

__all__ = [
    "load_spec",
    "save_spec",
    "spec_schema",
    "spec_text",
    "layer_to_json",
    "layer_from_json",
    "network_model",
    "builtin_registry",
    "SpecError",
    "SpecFileError",
    "FORMAT",
    "VERSION",
]
