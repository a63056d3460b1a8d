"""The README's ten-line example runs as written and does what it says."""

from __future__ import annotations

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def test_ten_line_example_runs(capsys):
    text = README.read_text()
    section = text[text.index("## Ten lines"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)   # the project's own documentation, not user input
    scores = namespace["scores"]
    assert tuple(scores.shape) == (8, 10)
    torch.testing.assert_close(scores.sum(1), torch.ones(8))
    assert "0 errors, 0 warnings." in capsys.readouterr().out
