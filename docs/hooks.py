"""MkDocs hook: add the reference pages generated from the layer and function registries.

Nothing is written into ``docs/``: the pages exist only in the build, so they can never go stale.
"""

from __future__ import annotations

from mkdocs.structure.files import File


def on_files(files, config):
    from layergraph.reference import all_pages

    for path, text in all_pages().items():
        files.append(File.generated(config, f"reference/{path}", content=text))
    return files
