"""analyzeNetwork: sizes, learnables, MATLAB's issue wording, targets and the printed report."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from layergraph import (
    NetworkError,
    additionLayer,
    analyzeNetwork,
    assembleNetwork,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    dlnetwork,
    featureInputLayer,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    regressionLayer,
    reluLayer,
    softmaxLayer,
)

GOLDEN = Path(__file__).parent / "golden"


def e1_layers():
    return [imageInputLayer([28, 28, 3]), convolution2dLayer([5, 5], 10), reluLayer,
            fullyConnectedLayer(10), softmaxLayer, classificationLayer]


def e3_layers():
    return [imageInputLayer([28, 28, 1]), convolution2dLayer(12, 25), reluLayer,
            fullyConnectedLayer(1), regressionLayer]


def test_learnable_totals_match_matlab_examples():
    # Totals computed by hand from MATLAB's learnable shapes (reference §11 E1, E3):
    # E1: conv 5*5*3*10 + 10 = 760; fc 10*(24*24*10) + 10 = 57610.
    info = analyzeNetwork(e1_layers(), Plots="none")
    assert info.TotalLearnables == 760 + 57610 == 58370
    # E3: conv 12*12*1*25 + 25 = 3625; fc 1*(17*17*25) + 1 = 7226.
    assert analyzeNetwork(e3_layers(), Plots="none").TotalLearnables == 10851


def test_layer_info_rows_sizes_formats_learnables():
    info = analyzeNetwork(e1_layers(), Plots="none")
    conv = info.layer_info("conv")
    assert conv.ActivationSizes == ["24(S) × 24(S) × 10(C) × 1(B)"]
    assert conv.ActivationFormats == ["SSCB"]
    assert conv.LearnableSizes == {"Weights": (5, 5, 3, 10), "Bias": (1, 1, 10)}
    assert conv.NumLearnables == 760
    fc = info.layer_info("fc")
    assert fc.LearnableSizes == {"Weights": (10, 5760), "Bias": (10, 1)}
    assert info.Issues == []


def test_report_golden(capsys):
    result = analyzeNetwork(e3_layers())
    printed = capsys.readouterr().out
    assert printed == (GOLDEN / "analyze_E3.txt").read_text() + "\n"
    assert result.report() + "\n" == printed
    analyzeNetwork(e3_layers(), Plots="none")
    assert capsys.readouterr().out == ""


def test_missing_input_and_unused_output():
    g = layerGraph([featureInputLayer(4, Name="in"), fullyConnectedLayer(4, Name="fc"),
                    additionLayer(2, Name="add"), regressionLayer(Name="out")])
    g = layerGraph(g)
    from layergraph import addLayers
    g = addLayers(g, reluLayer(Name="dangling"))
    info = analyzeNetwork(g, Plots="none")
    texts = [str(i) for i in info.Issues]
    assert ("Layer 'add': Missing input. Each layer input must be connected to the output of another layer.\n"
            "    Detected missing inputs:\n        input 'in2'") in texts
    assert "Layer 'dangling': Missing input. Each layer input must be connected to the output of another layer.\n" \
           "    Detected missing inputs:\n        input 'in'" in texts
    assert "Layer 'dangling': Unused output. Each layer output must be connected to the input of another layer." in texts
    assert math.isnan(info.TotalLearnables)


def test_missing_input_and_output_layers():
    info = analyzeNetwork([fullyConnectedLayer(3), reluLayer], Plots="none", TargetUsage="trainNetwork")
    texts = [str(i) for i in info.Issues]
    assert "Network: Missing input layer. The network must have at least one input layer." in texts
    assert "Network: Missing output layer. The network must have at least one output layer." in texts


def test_default_target_is_auto_output_layers_decide():
    no_output = [featureInputLayer(3), fullyConnectedLayer(2)]
    info = analyzeNetwork(no_output, Plots="none")
    assert info.target == "dlnetwork" and not info.has_errors
    with_output = no_output + [softmaxLayer, classificationLayer]
    assert analyzeNetwork(with_output, Plots="none").target == "trainNetwork"
    assert analyzeNetwork(no_output, "TargetUsage", "trainNetwork", Plots="none").has_errors


def test_input_layer_not_first_and_output_layer_not_last():
    info = analyzeNetwork([featureInputLayer(3), reluLayer(Name="r"), regressionLayer(Name="mid"),
                           featureInputLayer(3, Name="late")], Plots="none")
    texts = [str(i) for i in info.Issues]
    assert "Layer 'late': An input layer must be first in the layer array." in texts
    assert "Layer 'mid': An output layer must be last in the layer array." in texts


def test_size_mismatch_lists_each_source():
    g = layerGraph([imageInputLayer([8, 8, 3], Name="in"), convolution2dLayer(3, 4, Name="a"),
                    additionLayer(2, Name="add"), fullyConnectedLayer(2), softmaxLayer, classificationLayer])
    from layergraph import addLayers
    g = addLayers(g, convolution2dLayer(3, 4, Padding="same", Name="b"))
    g = connectLayers(g, "in", "b")
    g = connectLayers(g, "b", "add/in2")
    info = analyzeNetwork(g, Plots="none")
    assert [str(i) for i in info.Issues] == [
        "Layer 'add': Input size mismatch. Size of input to this layer is different from the expected input size.\n"
        "    Inputs to this layer:\n"
        "        from layer 'a' (output size 6×6×4)\n"
        "        from layer 'b' (output size 8×8×4)"]
    with pytest.raises(NetworkError) as err:
        assembleNetwork(g)
    assert "Invalid network." in str(err.value) and "from layer 'b' (output size 8×8×4)" in str(err.value)


def test_cycle_is_reported():
    g = layerGraph([featureInputLayer(2, Name="in"), additionLayer(2, Name="add"), reluLayer(Name="r"),
                    fullyConnectedLayer(2, Name="fc"), regressionLayer(Name="out")])
    g = connectLayers(g, "r", "add/in2")
    info = analyzeNetwork(g, Plots="none")
    assert ("Network: Invalid graph structure. The network must be acyclic. "
            "Detected cycle: 'add' -> 'r' -> 'add'.") in [str(i) for i in info.Issues]


def test_target_usage_dlnetwork():
    layers = e1_layers()
    info = analyzeNetwork(layers, "TargetUsage", "dlnetwork", "Plots", "none")
    assert [i.Layer for i in info.Issues] == ["classoutput"]
    assert "must not have output layers" in info.Issues[0].Message
    ok = analyzeNetwork(layers[:-1], TargetUsage="dlnetwork", Plots="none")
    assert ok.Issues == [] and ok.TotalLearnables == 58370


def test_every_issue_listed_when_compiling():
    with pytest.raises(NetworkError) as err:
        assembleNetwork([fullyConnectedLayer(3), additionLayer(2)])
    text = str(err.value)
    assert text.startswith("Error using assembleNetwork\nInvalid network.\nCaused by:")
    assert "Missing input layer" in text and "Missing output layer" in text and "input 'in2'" in text
    assert len(err.value.issues) >= 4
    with pytest.raises(NetworkError, match="Error using dlnetwork"):
        dlnetwork(e1_layers())


def test_given_weights_of_wrong_size_are_an_issue():
    fc = fullyConnectedLayer(2, Weights=[[1.0, 2.0, 3.0]], Bias=[0.0, 0.0])
    info = analyzeNetwork([featureInputLayer(4), fc, regressionLayer], Plots="none")
    assert [str(i) for i in info.Issues] == [
        "Layer 'fc': Invalid Weights size. Expected 2×4, but Weights has size 1×3."]
