"""Reference pages generated from the registries: one Markdown page per layer and per MATLAB function.

The documentation site builds them at build time (``docs/hooks.py``), so a layer or function added to
its registry gets its page without an edit anywhere else. Each layer page shows the MATLAB syntax, every
option with its default and valid values, the ports, learnables and states of an example layer, the
example itself (run by the tests) and its one-line description as a layer array shows it.
"""

from __future__ import annotations

import inspect

from .layers.base import REGISTRY, Layer
from .layers.options import format_value


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default_text(option) -> str:
    if option.required:
        return "required"
    if option.default is None:
        return "`[]`"
    return f"`{format_value(option.default)}`"


def example_layer(cls: type[Layer]) -> Layer:
    """Build the layer of ``cls.example()`` with the public constructors (what the page shows)."""
    import layergraph

    if not cls.__module__.startswith("layergraph.layers.") or not cls.EXAMPLE:
        return cls()  # user-registered classes: their examples are never evaluated
    namespace = {name: getattr(layergraph, name) for name in layergraph.__all__}
    return eval(cls.EXAMPLE, {"__builtins__": {"float": float}}, namespace)  # the project's own class text


def option_rows(cls: type[Layer]) -> list[tuple[str, str, str]]:
    """(name, default, valid values) for every option a user can set, in declaration order."""
    return [(o.name, _default_text(o), o.convert.expected) for o in cls.options().values() if o.settable]


def layer_page(cls: type[Layer]) -> str:
    """The Markdown reference page of one registered layer class."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    lines = [f"# {cls.MATLAB_NAME}", "", doc, "", "## Syntax", "", "```matlab",
             cls.SYNTAX or f"{cls.MATLAB_NAME}(Name=Value)", "```", "",
             "| | |", "|---|---|",
             f"| MATLAB class | `{cls.display_class_name()}` |",
             f"| Type | {_cell(cls.TYPE)} |",
             f"| Default name | `{cls.DEFAULT_NAME}` (then `{cls.DEFAULT_NAME}_1`, `{cls.DEFAULT_NAME}_2`, ...) |",
             f"| Family | {cls.FAMILY or 'other'} |", ""]
    lines += ["## Options", "", "Names are case-insensitive as in MATLAB; Python keywords use the same names.", "",
              "| Option | Default | Valid values |", "|---|---|---|"]
    lines += [f"| `{name}` | {_cell(default)} | {_cell(valid)} |" for name, default, valid in option_rows(cls)]
    readonly = [o.name for o in cls.options().values() if not o.settable]
    if readonly:
        lines += ["", "Read-only (derived) properties: " + ", ".join(f"`{n}`" for n in readonly) + "."]
    layer = example_layer(cls)
    lines += ["", "## Example", "", "```python", "from layergraph import *", "",
              f"layer = {cls.example()}", "print(layer.description())", "```", "",
              f"Prints `{_cell(layer.description())}`.", "",
              "## Ports, learnables and states", "",
              f"- Inputs: {', '.join(f'`{n}`' for n in layer.input_names()) or 'none (an input layer)'}",
              f"- Outputs: {', '.join(f'`{n}`' for n in layer.output_names()) or 'none (an output layer)'}",
              f"- Learnables: {', '.join(f'`{n}`' for n in layer.learnable_names()) or 'none'}"
              " (MATLAB layout when read or set as properties)",
              f"- States: {', '.join(f'`{n}`' for n in layer.state_names()) or 'none'}", ""]
    return "\n".join(lines)


def function_page(entry) -> str:
    """The Markdown reference page of one registered MATLAB function (``layergraph.functions``)."""
    fn = entry.function
    api = getattr(fn, "torch_layout_function", fn)   # the Python API's function (torch layouts)
    doc = inspect.cleandoc(fn.__doc__ or "No description.")
    outputs = list(entry.outputs)
    lhs = outputs[0] if len(outputs) == 1 else "[" + ", ".join(outputs) + "]"
    lines = [f"# {entry.name}", "", doc, "", "## Syntax", "", "```matlab", f"{lhs} = {entry.name}(...)", "```", "",
             "| | |", "|---|---|",
             f"| Outputs (MATLAB order) | {', '.join(f'`{o}`' for o in outputs)} |",
             f"| Python | `{api.__module__}.{api.__qualname__}` |",
             *([f"| MATLAB code (`run`, ported programs) | `{fn.__module__}.{fn.__qualname__}`: MATLAB layouts, "
                "converted once (see the layout rule) |"] if api is not fn else []),
             "| Ported scripts | " + ("evaluated while porting" if entry.data_free
                                    else "needs real data: kept as a call in the ported program") + " |", ""]
    try:
        signature = str(inspect.signature(api))
    except (TypeError, ValueError):
        signature = "(...)"
    lines += ["## Python signature", "", "```python", f"{entry.name}{signature}", "```", ""]
    return "\n".join(lines)


def layer_pages() -> dict[str, str]:
    """``{'layers/convolution2dLayer.md': text, ...}`` for every registered layer."""
    return {f"layers/{name}.md": layer_page(cls) for name, cls in sorted(REGISTRY.items(), key=lambda kv: kv[0].lower())}


def function_pages() -> dict[str, str]:
    """``{'functions/trainNetwork.md': text, ...}`` for every registered MATLAB function."""
    import layergraph  # noqa: F401  (registers every function)
    from .functions import FUNCTIONS

    return {f"functions/{name}.md": function_page(entry)
            for name, entry in sorted(FUNCTIONS.items(), key=lambda kv: kv[0].lower())}


def index_page(layer_names: list[str], function_names: list[str]) -> str:
    by_family: dict[str, list[str]] = {}
    for name in layer_names:
        by_family.setdefault(REGISTRY[name].FAMILY or "other", []).append(name)
    lines = ["# Reference", "", "Generated from the layer and function registries: every page lists what the code "
             "accepts.", "", f"## Layers ({len(layer_names)})", ""]
    for family in sorted(by_family):
        lines.append(f"**{family}**: " + ", ".join(f"[{n}](layers/{n}.md)" for n in sorted(by_family[family], key=str.lower)))
        lines.append("")
    lines += [f"## MATLAB functions ({len(function_names)})", "",
              ", ".join(f"[{n}](functions/{n}.md)" for n in function_names), ""]
    return "\n".join(lines)


def all_pages() -> dict[str, str]:
    """Every generated page, keyed by its path below ``docs/reference/``."""
    layers = layer_pages()
    functions = function_pages()
    pages = {**layers, **functions}
    pages["index.md"] = index_page(sorted(REGISTRY, key=str.lower),
                                   [p.split("/", 1)[1][:-3] for p in functions])
    return pages


__all__ = ["all_pages", "example_layer", "function_page", "layer_page", "option_rows"]
