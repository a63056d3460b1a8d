"""Data of MathWorks' documented examples made from scikit-learn's and aeon's copies: digits in labelled
folders (writeDigitFolders), japaneseVowelsTrainData / japaneseVowelsTestData."""

from __future__ import annotations

import numpy as np
import pytest

from layergraph.data.example_data import _upscale, write_digit_folders
from layergraph.errors import DataError
from layergraph.functions import FUNCTIONS
from layergraph.policy import PolicyError, confined
from layergraph.values import Categorical, Cell


def test_upscaling_keeps_constants_and_ramps():
    flat = np.full((8, 8), 8.0)                      # 8/16 of full scale
    np.testing.assert_array_equal(_upscale(flat, 28), np.full((28, 28), 128, np.uint8))   # round(127.5) = 128
    ramp = np.tile(np.arange(8.0) * 2, (8, 1))      # 0, 2, ..., 14 along columns
    up = _upscale(ramp, 16).astype(float)
    # bilinear with aligned pixel centres: output column j samples input position (j + 0.5)/2 - 0.5
    expected = np.clip((np.arange(16) + 0.5) / 2 - 0.5, 0, 7) * 2 * 255 / 16
    np.testing.assert_allclose(up[0], np.rint(expected), atol=0)


def test_digit_folders_hold_every_digit_under_its_label(tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = write_digit_folders(tmp_path / "digitsData", per_label=5)
    imds = FUNCTIONS["imageDatastore"].function(folder, "IncludeSubfolders", True, "LabelSource", "foldernames")
    counts = FUNCTIONS["countEachLabel"].function(imds)
    assert list(np.asarray(counts.Count).reshape(-1)) == [5] * 10
    assert [str(v) for v in np.asarray(counts.Label).reshape(-1)] == [str(d) for d in range(10)]
    first_zero = int(np.flatnonzero(digits.target == 0)[0])
    img = FUNCTIONS["readimage"].function(imds, 1)
    assert img.shape == (28, 28) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, _upscale(digits.images[first_zero], 28))
    # the MATLAB-callable form, idempotent and with its options
    small = FUNCTIONS["writeDigitFolders"].function(str(tmp_path / "small"), "ImageSize", 12, "NumPerLabel", 2)
    files = sorted((tmp_path / "small").rglob("*.png"))
    assert small == str(tmp_path / "small") and len(files) == 20
    with pytest.raises(DataError, match="'Colour' is not a recognized parameter"):
        FUNCTIONS["writeDigitFolders"].function(str(tmp_path / "x"), "Colour", 1)


def test_digit_folders_follow_the_file_policy(tmp_path):
    with confined([tmp_path / "allowed"]):
        with pytest.raises(PolicyError, match="writeDigitFolders"):
            write_digit_folders(tmp_path / "elsewhere", per_label=1)


def test_japanese_vowels_as_matlab_returns_them():
    from aeon.datasets import load_japanese_vowels

    XTrain, YTrain = FUNCTIONS["japaneseVowelsTrainData"].function()
    XTest, YTest = FUNCTIONS["japaneseVowelsTestData"].function()
    assert isinstance(XTrain, Cell) and XTrain.a.shape == (270, 1) and XTest.a.shape == (370, 1)
    assert isinstance(YTrain, Categorical) and YTrain.shape == (270, 1) and YTest.shape == (370, 1)
    assert YTrain.categories == [str(k) for k in range(1, 10)]
    assert all(x.shape[0] == 12 and x.dtype == np.float64 for x in XTrain.items())
    # UCI's documentation: 30 training utterances per speaker; test 31 35 88 44 29 24 40 50 29
    assert np.bincount(YTrain.codes.reshape(-1)).tolist() == [30] * 9
    assert np.bincount(YTest.codes.reshape(-1)).tolist() == [31, 35, 88, 44, 29, 24, 40, 50, 29]
    # the same numbers as aeon's own reader (12×T per sequence)
    X, y = load_japanese_vowels(split="train")
    for ours, theirs in zip(XTrain.items()[:20], X[:20]):
        np.testing.assert_allclose(ours, np.asarray(theirs, dtype=float))
    assert [str(v) for v in np.asarray(YTrain).reshape(-1)] == [str(v) for v in y]


def test_randomized_splits_and_shuffles_follow_torchs_generator(tmp_path):
    """rng(seed) seeds torch; the datastores draw from torch's generator, so a seed fixes the split (and the
    state of NumPy's global generator does not matter)."""
    import torch

    f = lambda name: FUNCTIONS[name].function   # noqa: E731
    imds = f("imageDatastore")(write_digit_folders(tmp_path / "d", per_label=6), "IncludeSubfolders", True,
                               "LabelSource", "foldernames")
    torch.manual_seed(3)
    np.random.seed(1)
    train, _ = f("splitEachLabel")(imds, 2, "randomized")
    torch.manual_seed(3)
    np.random.seed(2)
    again, _ = f("splitEachLabel")(imds, 2, "randomized")
    assert train.Files == again.Files
    # each label in turn: the first 2 of a torch.randperm of its 6 files
    torch.manual_seed(3)
    expected = []
    for label in range(10):
        files = [p for p in imds.Files if f"/{label}/" in p.replace("\\", "/")]
        expected += [files[i] for i in torch.randperm(6).numpy()[:2]]
    assert sorted(train.Files) == sorted(expected)
    torch.manual_seed(5)
    first = f("shuffle")(imds).Files
    torch.manual_seed(5)
    assert f("shuffle")(imds).Files == first and sorted(first) == sorted(imds.Files)


def test_demo_command_writes_the_digit_folders(tmp_path, capsys):
    from sklearn.datasets import load_digits

    from layergraph.demo import main

    assert main(["--write-digits", str(tmp_path / "digitsData")]) == 0
    counts = np.bincount(load_digits().target)
    assert [len(list((tmp_path / "digitsData" / str(d)).glob("*.png"))) for d in range(10)] == counts.tolist()
    assert "digitsData" in capsys.readouterr().out
