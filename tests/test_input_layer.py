"""inputLayer(inputSize, inputFormat): layouts per format, NaN sizes, errors."""

from __future__ import annotations

import math

import pytest
import torch

from layergraph import OptionError, analyzeNetwork, dlnetwork, fullyConnectedLayer, inputLayer, lstmLayer


def test_sequence_format_feeds_recurrent_layers():
    net = dlnetwork([inputLayer([12, math.nan, math.nan], "CBT"), lstmLayer(5, OutputMode="last"),
                     fullyConnectedLayer(3)])
    assert tuple(net(torch.randn(4, 7, 12)).shape) == (4, 3)
    info = analyzeNetwork([inputLayer([12, math.nan, math.nan], "CBT"), lstmLayer(5)], TargetUsage="dlnetwork",
                          Plots="none")
    assert info.layer_info("input").ActivationSizes == ["12(C) × 1(B) × 1(T)"]


def test_image_format_layout_and_description():
    layer = inputLayer([8, 6, 3, math.nan], "SSCB")
    assert layer.description() == "Input with size 8×6×3×NaN and format 'SSCB'"
    info = analyzeNetwork([layer, fullyConnectedLayer(2)], TargetUsage="dlnetwork", Plots="none")
    assert info.layer_info("input").ActivationSizes == ["8(S) × 6(S) × 3(C) × 1(B)"]
    # a fully connected layer sees 8*6*3 elements
    assert info.layer_info("fc").LearnableSizes["Weights"] == (2, 144)


@pytest.mark.parametrize("args, pattern", [
    (([12, math.nan], "CBT"), "2 elements"),
    (([math.nan, 4], "CB"), "the 'C' size is NaN"),
    (([12, 4], "BC"), "InputFormat"),
    (([0, 4], "CB"), "InputSize"),
])
def test_bad_sizes_and_formats(args, pattern):
    with pytest.raises(OptionError, match=pattern):
        inputLayer(*args)
