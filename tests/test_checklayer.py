"""checkLayer: MATLAB's test names, pass/fail for good and broken layers, the printed summary (golden files).

Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change of the report.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re

import pytest
import torch

from layergraph.checklayer import checkLayer, input_layouts
from layergraph.errors import OptionError
from layergraph.layers import REGISTRY, Layout, layer_class
from layergraph.layers.custom import CustomLayer, CustomOutputLayer, Learnable

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"


@pytest.fixture(autouse=True)
def restore_registry():
    saved = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(saved)


@pytest.fixture
def ex():
    spec = importlib.util.spec_from_file_location("custom_layers_example", ROOT / "examples" / "custom_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalized(text: str) -> str:
    return re.sub(r"Time elapsed: [0-9.e+-]+ seconds\.", "Time elapsed: <t> seconds.", text)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"checklayer_{name}.txt"
    text = normalized(text)
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def names(result, *, failed=True):
    return [t.Name for t in result.tests if t.Failed == failed]


# --------------------------------------------------------------------------------------------------
# The three documentation examples pass, with MATLAB's report


def test_elu_passes_with_golden_report(ex, capsys):
    result = checkLayer(layer_class("learnableEluLayer")(20, "elu"), [5, 5, 20], ObservationDimension=4)
    printed = capsys.readouterr().out
    assert result.passed and printed == result.report()
    assert result.test_class == "nnet.checklayer.TestLayerWithBackward"
    run = names(result, failed=False)
    for expected in ("functionSyntaxesAreCorrect", "predictDoesNotError(Observations=one)",
                     "forwardPredictAreConsistentInSize(Observations=multiple)",
                     "backwardIsConsistentInSize(Observations=one)",
                     "backwardIsConsistentInType(Precision=double,Device=cpu)",
                     "gradientsAreNumericallyCorrect", "outputsAreFinite", "learnablesAreConsistentInSize",
                     "outputSizeIsConsistentAcrossObservations"):
        assert expected in run
    check_golden("elu", printed)


def test_prelu_with_initialize_passes(ex, capsys):
    result = checkLayer(layer_class("channelPreluLayer")(), [5, 5, 20])
    assert result.passed
    assert result.test_class == "nnet.checklayer.TestLayerWithoutBackward"
    assert "initializeDoesNotChangeLearnableParametersWhenTheyAreNotEmpty" in names(result, failed=False)
    assert "backwardPropagationDoesNotError(Observations=multiple)" in names(result, failed=False)
    check_golden("prelu", capsys.readouterr().out)


def test_weighted_addition_multiple_inputs(ex, capsys):
    layer = layer_class("customWeightedAdditionLayer")(3, "wadd")
    result = checkLayer(layer, [[4, 4, 2], [4, 4, 2], [4, 4, 2]], "ObservationDimension", 4)
    assert result.passed
    check_golden("weighted_addition", capsys.readouterr().out)
    with pytest.raises(OptionError, match="has 3 inputs but validInputSize gives 1 size"):
        checkLayer(layer, [4, 4, 2])


# --------------------------------------------------------------------------------------------------
# Broken layers fail the right tests


class WrongGradientSize(CustomLayer):
    Alpha = Learnable(torch.full((3, 1, 1), 0.5))

    def predict(self, X):
        return X * self.Alpha

    def backward(self, X, Z, dLdZ):
        return dLdZ * self.Alpha, (X * dLdZ).sum(dim=(0, 2, 3))      # 3, not 3×1×1


def test_wrong_backward_size_fails_with_golden_report(capsys):
    result = checkLayer(WrongGradientSize(Name="bad"), [2, 2, 3], ObservationDimension=4)
    assert not result.passed
    failed = names(result)
    assert "backwardIsConsistentInSize(Observations=one)" in failed
    assert "backwardIsConsistentInSize(Observations=multiple)" in failed
    assert "gradientsAreNumericallyCorrect" in failed
    assert "predictDoesNotError(Observations=one)" not in failed
    check_golden("wrong_backward_size", capsys.readouterr().out)


class WrongGradientValue(CustomLayer):
    """ELU whose backward forgets the exp: wrong values, right sizes."""

    Alpha = Learnable(torch.ones(1))

    def predict(self, X):
        return torch.clamp(X, min=0) + self.Alpha * (torch.exp(torch.clamp(X, max=0)) - 1)

    def backward(self, X, Z, dLdZ):
        dLdX = dLdZ * ((X > 0) + (X <= 0) * self.Alpha)
        dLdAlpha = ((torch.exp(torch.clamp(X, max=0)) - 1) * dLdZ).sum().reshape(1)
        return dLdX, dLdAlpha


def test_wrong_backward_values_fail_gradient_check_only():
    result = checkLayer(WrongGradientValue(), [3, 3, 2], Verbose=False)
    assert names(result) == ["gradientsAreNumericallyCorrect"]
    assert "dLdX" in result.failures[0].Details and "autograd" in result.failures[0].Details


class ReturnsDouble(CustomLayer):
    def predict(self, X):
        return X.double() * 2


def test_wrong_output_type():
    result = checkLayer(ReturnsDouble(), [4, 1], Verbose=False)
    assert "predictIsConsistentInType(Precision=single,Device=cpu)" in names(result)
    assert "predictIsConsistentInType(Precision=double,Device=cpu)" not in names(result)
    assert "Expected single (float32)" in result.failures[0].Details or any(
        "Expected single (float32)" in t.Details for t in result.failures)


class DependsOnBatch(CustomLayer):
    def predict(self, X):
        return X.reshape(1, -1).expand(X.shape[0], -1).contiguous()


def test_output_size_depending_on_batch_size():
    result = checkLayer(DependsOnBatch(), [3, 1], Verbose=False)
    assert "outputSizeIsConsistentAcrossObservations" in names(result)


class LogLayer(CustomLayer):
    def predict(self, X):
        return torch.log(X)


def test_non_finite_outputs():
    result = checkLayer(LogLayer(), [3, 3, 2], Verbose=False)
    assert "outputsAreFinite" in names(result)


class ForwardChangesSize(CustomLayer):
    def predict(self, X):
        return X

    def forward(self, X):
        return X[:, :1]


def test_forward_predict_size_mismatch():
    result = checkLayer(ForwardChangesSize(), [2, 2, 3], Verbose=False)
    assert "forwardPredictAreConsistentInSize(Observations=one)" in names(result)


class Detached(CustomLayer):
    def predict(self, X):
        return X.detach() * 2


def test_non_differentiable_predict_without_backward():
    result = checkLayer(Detached(), [2, 1], Verbose=False)
    failed = names(result)
    assert "backwardPropagationDoesNotError(Observations=one)" in failed
    assert "gradientsAreNumericallyCorrect" in failed


class NoInputs(CustomLayer):
    def predict(self):
        return torch.zeros(1, 1)


def test_wrong_predict_syntax():
    result = checkLayer(NoInputs(), [2, 1], Verbose=False)
    assert "functionSyntaxesAreCorrect" in names(result)
    assert "predictDoesNotError(Observations=one)" in names(result)


# --------------------------------------------------------------------------------------------------
# Output layers


class SSE(CustomOutputLayer):
    def forwardLoss(self, Y, T):
        return ((Y - T) ** 2).sum() / Y.shape[0]

    def backwardLoss(self, Y, T):
        return 2 * (Y - T) / Y.shape[0]


class SSEWrongBackward(SSE):
    def backwardLoss(self, Y, T):
        return (Y - T) / Y.shape[0]


class MAE(CustomOutputLayer):
    TASK = "regression"

    def forwardLoss(self, Y, T):
        return (Y - T).abs().sum() / Y.shape[0]


def test_output_layer_checks(capsys):
    result = checkLayer(SSE(Name="sse"), [1, 1, 10], ObservationDimension=4)
    assert result.passed and result.test_class == "nnet.checklayer.TestOutputLayerWithBackward"
    check_golden("output_layer", capsys.readouterr().out)
    bad = checkLayer(SSEWrongBackward(), [10, 1], Verbose=False)
    assert names(bad) == ["gradientsAreNumericallyCorrect"]
    mae = checkLayer(MAE(), [4, 1], Verbose=False)
    assert mae.passed and mae.test_class == "nnet.checklayer.TestOutputLayerWithoutBackward"


# --------------------------------------------------------------------------------------------------
# Sizes and options


def test_valid_input_sizes_to_layouts():
    layer = ReturnsDouble()
    assert input_layouts(layer, [5, 5, 20]) == ([Layout((5, 5), 20)], None)
    assert input_layouts(layer, [5, 5, 20, 8], 4) == ([Layout((5, 5), 20)], 8)
    assert input_layouts(layer, [12, 1]) == ([Layout((), 12)], None)
    assert input_layouts(layer, [12, 1, 30], 2) == ([Layout((), 12, True, 30)], 1)
    assert input_layouts(layer, [4, 4, 4, 3]) == ([Layout((4, 4, 4), 3)], None)
    assert input_layouts(layer, Layout((), 7)) == ([Layout((), 7)], None)


def test_sequence_layer_check():
    result = checkLayer(LogLayer(), [3, 1, 5], ObservationDimension=2, Verbose=False)
    assert "outputsAreFinite" in names(result) and "predictDoesNotError(Observations=multiple)" not in names(result)


def test_bad_options():
    with pytest.raises(OptionError, match="'Observation' is not an option"):
        checkLayer(LogLayer(), [3, 1], "Observation", 2)
    with pytest.raises(OptionError, match="must be a custom layer"):
        checkLayer(layer_class("reluLayer")(), [3, 1])
    with pytest.raises(OptionError, match="positive integers"):
        checkLayer(LogLayer(), [3, 0])
    with pytest.raises(OptionError, match="CheckCodegenCompatibility is not available"):
        checkLayer(LogLayer(), [3, 1], CheckCodegenCompatibility=True)
