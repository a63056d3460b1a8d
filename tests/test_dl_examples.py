"""The Python renditions of the custom-loop examples run and learn."""

import importlib.util
from pathlib import Path

import numpy as np
import torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_loop_digits_learns_the_digits():
    torch.set_num_threads(1)
    _, accuracy = _load("custom_loop_digits").train(num_epochs=6, verbose=False)
    assert accuracy >= 0.9
