"""The generated reference pages: one per layer and per MATLAB function, option tables equal to the
registry, and every layer page's example runs and prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

import layergraph
from layergraph.functions import FUNCTIONS
from layergraph.layers.base import REGISTRY
from layergraph.reference import all_pages

PAGES = all_pages()


def test_a_page_per_layer_and_per_function():
    assert {p for p in PAGES if p.startswith("layers/")} == {f"layers/{n}.md" for n in REGISTRY}
    assert {p for p in PAGES if p.startswith("functions/")} == {f"functions/{n}.md" for n in FUNCTIONS}
    assert len(PAGES) >= 80


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_layer_page_option_table_matches_the_registry_and_its_example_runs(name):
    cls = REGISTRY[name]
    page = PAGES[f"layers/{name}.md"]
    table = re.findall(r"^\| `(\w+)` \| (.*?) \| (.*?) \|$", page, re.M)
    settable = [o for o in cls.options().values() if o.settable]
    assert [row[0] for row in table] == [o.name for o in settable]
    for (_, default, _), option in zip(table, settable):
        assert (default == "required") == bool(option.required)
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"reference/layers/{name}.md", "exec"), namespace)   # the project's own page text
    layer = namespace["layer"]
    assert isinstance(layer, cls)
    printed = out.getvalue().strip()
    assert f"Prints `{printed.replace('|', chr(92) + '|')}`." in page


def test_function_pages_name_outputs_in_matlab_order():
    page = PAGES["functions/trainNetwork.md"]
    assert "[net, info] = trainNetwork(...)" in page
    assert "`layergraph.training" in page


def test_index_links_every_page():
    index = PAGES["index.md"]
    for path in PAGES:
        if path != "index.md":
            assert f"({path})" in index, path


def test_every_exported_layer_constructor_has_a_page():
    exported = [n for n in layergraph.__all__ if n in REGISTRY]
    assert exported and all(f"layers/{n}.md" in PAGES for n in exported)
