"""The MATLAB custom-loop scripts of examples/matlab/ and what they need: the digits data files they load,
the dispatch of MATLAB functions on dlarrays, and the interpreter running them."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

import layergraph
from layergraph.demo import write_digits_mat
from layergraph.values import Categorical


def test_write_digits_mat_writes_matlab_layout_files_that_load(tmp_path):
    paths = write_digits_mat(tmp_path / "data")
    assert [p.rsplit("/", 1)[1] for p in paths] == ["digitsTrain.mat", "digitsTest.mat"]
    train = layergraph.loadmat(paths[0])
    test = layergraph.loadmat(paths[1])
    assert set(train) == {"XTrain", "TTrain"} and set(test) == {"XTest", "TTest"}
    X, T = train["XTrain"], train["TTrain"]
    # 1797 digits, 20 % held out (stratified): 1437 + 360, H×W×C×N single, N×1 categorical
    assert X.shape == (8, 8, 1, 1437) and X.dtype == np.float32
    assert test["XTest"].shape == (8, 8, 1, 360)
    assert isinstance(T, Categorical) and T.shape == (1437, 1) and T.categories == [str(d) for d in range(10)]
    assert 0.0 <= X.min() and X.max() <= 1.0
    # every training image is a scikit-learn digit /16 whose label is the stored category
    digits = load_digits()
    flat = (digits.images.astype(np.float32) / 16).reshape(len(digits.images), -1)
    lookup = {row.tobytes(): label for row, label in zip(flat, digits.target)}
    labels = np.asarray(T).reshape(-1)
    for n in range(0, 1437, 97):
        image = X[:, :, 0, n]                  # H×W as MATLAB indexes it
        assert str(lookup[np.ascontiguousarray(image).reshape(-1).tobytes()]) == labels[n]
    counts = np.bincount(labels.astype(int), minlength=10)
    expected = 0.8 * np.bincount(digits.target, minlength=10)    # stratified: 80 % of each digit
    assert counts.sum() == 1437 and np.all(np.abs(counts - expected) <= 1)
