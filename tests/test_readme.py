"""Every Python block of the README runs as written, in order, in one namespace (as a reader would paste them)."""

from __future__ import annotations

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_is_a_short_guide_with_contents():
    text = README.read_text()
    assert len(text.splitlines()) <= 400
    assert "## Contents" in text
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        headings = [re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
                    for h in re.findall(r"^#+ (.+)$", text, re.M)]
        assert anchor in headings, anchor


def test_readme_links_point_to_files_that_exist():
    root = README.parent
    for target in re.findall(r"\]\(((?:docs|examples)/[^)#]+)", README.read_text()):
        assert (root / target).is_file(), target


def test_every_python_block_runs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    namespace: dict = {}
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 4
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md block {i + 1}", "exec"), namespace)  # the project's own documentation
        if i == 0:   # the ten lines: 8 softmax score rows of 10 classes
            assert tuple(namespace["scores"].shape) == (8, 10)
            torch.testing.assert_close(namespace["scores"].sum(1), torch.ones(8))
    out = capsys.readouterr().out
    assert namespace["accuracy"] > 0.8
    assert len(namespace["back"].Layers) >= 5 and (tmp_path / "digits.onnx").stat().st_size > 0
    assert "0 errors, 0 warnings." in out
    assert "layerGraph" in out or "addLayers" in out or "imageInputLayer" in out   # the ported Python was printed


def test_the_porting_excerpt_is_what_port_writes_for_the_digits_example():
    """The README's MATLAB / ported-Python pair are lines of examples/matlab/digits_in_folders.m and of
    what ``layergraph port`` writes for it today."""
    from layergraph.matlab.source import read_file
    from layergraph.matlab.translate import translate_source

    text = README.read_text()
    script = README.parent / "examples" / "matlab" / "digits_in_folders.m"
    matlab = re.findall(r"```matlab\n(.*?)```", text, re.S)[0]
    ported = re.findall(r"```py\n(.*?)```", text, re.S)[0]
    source_lines = {line.strip() for line in script.read_text().splitlines()}
    for line in matlab.strip().splitlines():
        assert line.strip() in source_lines, line
    emitted = translate_source(read_file(str(script))).python_source.splitlines()
    for line in ported.rstrip().splitlines():
        assert line in emitted, line
