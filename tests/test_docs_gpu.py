"""docs/gpu.md: every Python block runs here (no GPU: the code falls back to the CPU), in order."""

from __future__ import annotations

import re
from pathlib import Path

import torch

PAGE = Path(__file__).resolve().parents[1] / "docs" / "gpu.md"


def test_gpu_page_blocks_run_and_fall_back_to_the_cpu(capsys):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    namespace: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/gpu.md block {i + 1}", "exec"), namespace)   # the project's own docs
    out = capsys.readouterr().out
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert namespace["device"].type == expected
    assert f"{expected} (256, 2)" in out                       # the scores are on the chosen device
    accuracy = float(re.search(r"training accuracy ([0-9.]+)", out).group(1))
    assert accuracy > 0.9                                       # a linearly separable rule, learned
    assert "(8, 2)" in out
    torch.testing.assert_close(namespace["scores"].sum(1).cpu(), torch.ones(256))
