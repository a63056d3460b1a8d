"""MathWorks' documented workflows as layergraph's own MATLAB scripts (examples/matlab/), end to end:
each runs with ``layergraph.matlab.run`` and, translated by ``layergraph port``, as a Python program;
both print the same results for the same seed (timing lines excluded).

Small settings keep the tests fast (fewer epochs, hidden units and images): the scripts are read from
examples/matlab/ and only the named numbers are replaced, each replacement checked to apply.
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "matlab"
TIMING = re.compile(r"^(Elapsed time is .*|.*\bseconds?\b.*)$", re.M)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """One folder for the module: the digit folders are written once and shared by the examples."""
    return tmp_path_factory.mktemp("matlab_examples")


def small_script(name: str, folder: Path, replacements: dict) -> Path:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, f"{name}: {old!r} is not in the script any more"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def printed_by_run(script: Path) -> tuple[str, dict]:
    from layergraph.matlab import run

    out = io.StringIO()
    with contextlib.chdir(script.parent), contextlib.redirect_stdout(out):
        workspace = run(str(script))
    return out.getvalue(), workspace


def printed_by_port(script: Path) -> str:
    from layergraph.cli import main

    program = script.with_suffix(".py")
    with contextlib.chdir(script.parent), contextlib.redirect_stdout(io.StringIO()):
        assert main(["port", str(script), "-o", str(program)]) == 0
    out = io.StringIO()
    with contextlib.chdir(script.parent), contextlib.redirect_stdout(out):
        runpy.run_path(str(program), run_name="__main__")
    return out.getvalue()


def without_timing(text: str) -> str:
    return TIMING.sub("", text)


def displayed_scalar(text: str, name: str) -> float:
    match = re.search(rf"^{name} = ?\n\n\s+(\S+)\n", text, re.M)
    assert match, f"'{name} =' is not displayed:\n{text}"
    return float(match.group(1))


# --------------------------------------------------------------------------------------------------
# Create Simple Deep Learning Network for Classification (digits in labelled folders)

DIGITS_SMALL = {"'MaxEpochs', 4": "'MaxEpochs', 2"}


@pytest.fixture(scope="module")
def digits_run(work):
    script = small_script("digits_in_folders.m", work, DIGITS_SMALL)
    return script, printed_by_run(script)


def test_digits_in_folders_runs_as_matlab_prints_it(digits_run):
    from sklearn.datasets import load_digits

    script, (text, workspace) = digits_run
    counts = np.bincount(load_digits().target)
    # labelCount displayed as MATLAB displays a table: size line, header, underlines, one row per label
    table = re.search(r"labelCount = ?\n\n  10×2 table\n\n\s+Label\s+Count\n\s+_____\s+_____\n\n((?:.*\n){10})",
                      text)
    assert table, text
    rows = [line.split() for line in table.group(1).splitlines()]
    assert rows == [[str(d), str(c)] for d, c in enumerate(counts)]
    # size(img): a 28-by-28 grey image
    assert re.search(r"^ans = ?\n\n\s+28\s+28\n", text, re.M), text
    accuracy = displayed_scalar(text, "accuracy")
    assert accuracy >= 0.9
    # the displayed value is the workspace's, rounded to 4 decimals (format short)
    assert accuracy == pytest.approx(float(np.asarray(workspace["accuracy"]).reshape(-1)[0]), abs=5e-5)
    validation = workspace["imdsValidation"]
    assert len(validation.Files) == int(sum(c - int(np.floor(0.75 * c)) for c in counts))   # floor per label


def test_digits_in_folders_ported_prints_the_same(digits_run):
    script, (text, _) = digits_run
    assert without_timing(printed_by_port(script)) == without_timing(text)


# --------------------------------------------------------------------------------------------------
# Sequence Classification Using Deep Learning (Japanese Vowels)

VOWELS_SMALL = {"'MaxEpochs', 50": "'MaxEpochs', 2", "numHiddenUnits = 100": "numHiddenUnits = 12"}


@pytest.fixture(scope="module")
def vowels_run(work):
    script = small_script("japanese_vowels.m", work, VOWELS_SMALL)
    return script, printed_by_run(script)


def test_japanese_vowels_runs(vowels_run):
    _, (text, workspace) = vowels_run
    assert displayed_scalar(text, "numObservations") == 270
    assert displayed_scalar(text, "numFeatures") == 12
    assert displayed_scalar(text, "numClasses") == 9
    # UCI Japanese Vowels: utterances of 7 to 26 frames in the training set
    assert displayed_scalar(text, "shortest") == 7
    assert displayed_scalar(text, "longest") == 26
    lengths = [x.shape[1] for x in workspace["XTrain"].items()]
    assert lengths == sorted(lengths)                       # sorted by length before training
    accuracy = displayed_scalar(text, "accuracy")
    predicted = np.asarray(workspace["YPred"]).reshape(-1)
    truth = np.asarray(workspace["YTest"]).reshape(-1)
    assert accuracy == pytest.approx(float(np.mean(predicted == truth)), abs=5e-5)


def test_japanese_vowels_ported_prints_the_same(vowels_run):
    script, (text, _) = vowels_run
    assert without_timing(printed_by_port(script)) == without_timing(text)


# --------------------------------------------------------------------------------------------------
# A residual network (layerGraph, additionLayer, connectLayers) on 16-by-16 digits

RESIDUAL_SMALL = {"'MaxEpochs', 6": "'MaxEpochs', 1"}


@pytest.fixture(scope="module")
def residual_run(work):
    script = small_script("residual_net.m", work, RESIDUAL_SMALL)
    return script, printed_by_run(script)


def test_residual_net_runs(residual_run):
    _, (text, workspace) = residual_run
    assert re.search(r"^ans = ?\n\n\s+16\s+16\s+1\s+1797\n", text, re.M), text
    # 22 layers of the main branch + 2 of the strided shortcut; 21 + 1 + 3 connections
    assert displayed_scalar(text, "numLayers") == 24
    assert displayed_scalar(text, "numConnections") == 25
    assert re.search(r"^ans = ?\n\n\s+359\s+10\n", text, re.M), text          # size(scores): the test fifth
    predicted = np.asarray(workspace["YPred"]).reshape(-1)
    truth = np.asarray(workspace["YTest"]).reshape(-1)
    assert displayed_scalar(text, "accuracy") == pytest.approx(float(np.mean(predicted == truth)), abs=5e-5)


def test_residual_net_ported_prints_the_same(residual_run):
    script, (text, _) = residual_run
    assert without_timing(printed_by_port(script)) == without_timing(text)


# --------------------------------------------------------------------------------------------------
# Transfer learning from resnet18('Weights','none')

TRANSFER_SMALL = {"splitEachLabel(imds, 30, 10, 'randomized')": "splitEachLabel(imds, 4, 2, 'randomized')",
                  "'MaxEpochs', 3": "'MaxEpochs', 1", "'MiniBatchSize', 30": "'MiniBatchSize', 20"}


@pytest.fixture(scope="module")
def transfer_run(work):
    script = small_script("transfer_learning.m", work, TRANSFER_SMALL)
    return script, printed_by_run(script)


def test_transfer_learning_runs(transfer_run):
    _, (text, workspace) = transfer_run
    assert displayed_scalar(text, "numClasses") == 10
    assert displayed_scalar(text, "numFrozen") == 5
    net = workspace["net"]
    layers = {layer.Name: layer for layer in net.Layers}
    assert "fc1000" not in layers and layers["fc_digits"].OutputSize == 10
    assert layers["fc_digits"].WeightLearnRateFactor == 10
    assert layers["conv1"].WeightLearnRateFactor == 0 and layers["res3a_branch2a"].WeightLearnRateFactor == 1
    assert layers["data"].InputSize == [32, 32, 3] or list(layers["data"].InputSize) == [32, 32, 3]
    predicted = np.asarray(workspace["YPred"]).reshape(-1)
    truth = np.asarray(workspace["YValidation"]).reshape(-1)
    assert len(truth) == 20
    assert displayed_scalar(text, "accuracy") == pytest.approx(float(np.mean(predicted == truth)), abs=5e-5)


def test_transfer_learning_ported_prints_the_same(transfer_run):
    script, (text, _) = transfer_run
    assert without_timing(printed_by_port(script)) == without_timing(text)
