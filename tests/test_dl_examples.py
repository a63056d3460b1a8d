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
    _, accuracy = _load("custom_loop_digits").train(num_epochs=4, verbose=False)
    assert accuracy >= 0.9


def test_pinn_solves_the_poisson_problem_with_second_derivatives_and_lbfgs():
    torch.set_num_threads(1)
    _, error = _load("pinn").train(num_adam=300, num_lbfgs=60, verbose=False)
    assert error < 0.01           # max |u - sin(pi x)| on [0, 1]


def test_gan_generator_learns_the_pixel_statistics():
    torch.set_num_threads(1)
    _, _, generated, X = _load("gan_digits").train(num_epochs=6, verbose=False)
    assert generated.shape == (64, 500) and np.all((generated >= 0) & (generated <= 1))
    # the untrained generator's pixels average about 0.5; the digits' about 0.3
    assert abs(generated.mean() - X.mean()) < 0.08


def test_matlab_renditions_parse_and_call_registered_functions():
    import re

    from layergraph.functions import FUNCTIONS
    from layergraph.matlab.source import read_file

    names = {"dlarray", "dlfeval", "dlgradient", "forward", "predict", "adamupdate", "crossentropy", "extractdata",
             "onehotencode", "minibatchqueue", "trainingProgressMonitor", "recordMetrics", "updateInfo", "shuffle",
             "hasdata", "next", "lbfgsupdate", "lbfgsState", "dlnetwork"}
    used = set()
    for name in ("custom_loop_digits", "gan_digits", "pinn"):
        src = read_file(str(EXAMPLES / "matlab" / f"{name}.m"))
        assert src.syntax_errors == []
        used |= {n for n in names if re.search(rf"\b{n}\b", src.text)}
    assert used == names
    assert all(n in FUNCTIONS for n in used)
