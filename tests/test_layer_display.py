"""MATLAB's object display of single layers (``disp(layer)``), checked against golden files.

Each golden file under tests/golden/layer_display/ names the expression, how far it is verified
against a real MATLAB printout, and the MathWorks page it was checked against.
"""

from pathlib import Path

import pytest
import torch

import layergraph
from layergraph import convolution2dLayer, dropoutLayer, fullyConnectedLayer, layerGraph, reluLayer
from layergraph.layers.base import matlab_display_value

GOLDEN = Path(__file__).parent / "golden" / "layer_display"
CASES = sorted(p.stem for p in GOLDEN.glob("*.txt"))


def _golden(name: str) -> tuple[str, dict, str]:
    header, _, body = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8").partition("---\n")
    meta = dict(line[2:].split(": ", 1) for line in header.splitlines() if line.startswith("# "))
    return meta["expression"], meta, body.rstrip("\n")


def test_every_family_has_a_golden_file():
    assert {"dropout", "convolution2d", "batch_normalization", "lstm", "fully_connected", "image_input",
            "classification_output", "regression_output", "addition"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_layer_display_matches_golden(name):
    expression, meta, expected = _golden(name)
    assert meta["checked against"].strip()
    layer = eval(expression, vars(layergraph))
    assert str(layer) == expected
    assert repr(layer) == expected  # the REPL shows the same display


def test_dropout_display_is_mathworks_printout():
    # typed from MathWorks' dropoutLayer page (example "Create Dropout Layer"), not from our output
    printout = ("  DropoutLayer with properties:\n"
                "\n"
                "           Name: 'drop1'\n"
                "\n"
                "   Hyperparameters\n"
                "    Probability: 0.5000")
    assert str(dropoutLayer("Name", "drop1")) == printout


@pytest.mark.parametrize("value, shown", [
    (0.5, "0.5000"), (1e-4, "1.0000e-04"), (1e-5, "1.0000e-05"), (16, "16"), (3.0, "3"), (0.1, "0.1000"),
    (1234.5, "1.2345e+03"), (-0.25, "-0.2500"), (float("inf"), "Inf"), (True, "1"), (False, "0"),
    ("same", "'same'"), ([3, 3], "[3 3]"), ([0.5, 2], "[0.5000 2]"), (["in1", "in2"], "{'in1'  'in2'}"),
    (None, "[]"), (torch.zeros(5, 5, 1, 20), "[5×5×1×20 single]"), (torch.zeros(10), "[10×1 single]"),
])
def test_matlab_number_and_value_format(value, shown):
    assert matlab_display_value(value) == shown


def test_set_learnables_show_their_matlab_size_and_footer_only_when_properties_are_hidden():
    layer = fullyConnectedLayer(3, Name="fc", Weights=torch.ones(3, 4), Bias=torch.zeros(3, 1))
    text = str(layer)
    assert "Weights: [3×4 single]" in text and "Bias: [3×1 single]" in text
    assert text.endswith("\n\n  Show all properties")      # initializers and factors are hidden
    assert "Show all properties" not in str(dropoutLayer())  # every property shown: no footer
    assert str(reluLayer(Name="r")) == "  ReLULayer with properties:\n\n    Name: 'r'"


def test_names_are_right_aligned_in_one_column_across_groups():
    lines = str(convolution2dLayer(5, 20, Name="conv1")).splitlines()
    rows = [line for line in lines[2:] if ": " in line]
    colons = {line.index(": ") for line in rows}
    assert len(colons) == 1                                          # one column for every group
    assert min(len(r) - len(r.lstrip()) for r in rows) == 4          # 4 spaces before the longest name
    assert all(line.startswith("   ") and not line.startswith("    ") for line in lines
               if line.strip() in ("Hyperparameters", "Learnable Parameters"))


def test_layer_array_display_is_unchanged():
    text = str(layerGraph([reluLayer(Name="a"), reluLayer(Name="b")]).Layers)
    assert "Layer array with layers:" in text and "with properties" not in text
