"""JSON network specs: load and save LayerGraphs as data, with a JSON Schema generated from the registry.

``load_spec(path_or_text) -> LayerGraph``, ``save_spec(graph, path)`` and ``spec_schema() -> dict``.
See docs/readme/spec-cli.md for the format.
"""

from importlib import import_module as _import_module

from .errors import SpecError, SpecFileError

# imported on first use (PEP 562), so ``from layergraph.spec.errors import ...`` (the command line) does
# not import torch through the layer registry
_LAZY = {
    "layer_from_json": ".codec", "layer_to_json": ".codec", "load_spec": ".codec", "save_spec": ".codec",
    "spec_text": ".codec", "FORMAT": ".models", "VERSION": ".models", "builtin_registry": ".models",
    "network_model": ".models", "spec_schema": ".models",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'layergraph.spec' has no attribute '{name}'")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value
    return value

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
