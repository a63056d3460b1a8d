"""Values crossing from Python functions into MATLAB code keep MATLAB's class and shape."""

import numpy as np
import torch
from PIL import Image

from layergraph.matlab import run
from layergraph.matlab.access import to_matlab


def test_imread_gives_uint8_and_arithmetic_saturates(tmp_path, monkeypatch):
    img = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10
    Image.fromarray(img).save(tmp_path / "x.png")
    monkeypatch.chdir(tmp_path)            # a script run from text may read files under the current folder
    ws = run("J = imread('x.png'); c = class(J); K = J + 250;")
    assert ws["c"] == "uint8"
    assert ws["J"].dtype == np.uint8 and np.array_equal(ws["J"], img)
    # MATLAB's integer arithmetic saturates at intmax('uint8') = 255
    assert ws["K"].dtype == np.uint8 and np.array_equal(ws["K"], np.minimum(img.astype(int) + 250, 255))


def test_single_and_integer_tensors_keep_their_class():
    assert to_matlab(torch.ones(2, 3)).dtype == np.float32          # predict's scores are single in MATLAB
    assert to_matlab(torch.ones(2, 3, dtype=torch.float64)).dtype == np.float64
    assert to_matlab(np.ones((2, 2), dtype=np.int16)).dtype == np.int16
    assert to_matlab(np.ones(3, dtype=np.float32)).shape == (1, 3)


def test_arrays_are_copied_at_the_boundary():
    buffer = np.zeros((2, 2), dtype=np.float32)
    value = to_matlab(buffer)
    buffer[0, 0] = 5                      # a network updating its buffer in place
    assert value[0, 0] == 0               # MATLAB code holds its own copy


def test_categorical_of_a_cell_keeps_the_cell_shape():
    ws = run("r = categorical({'x','y','x'}); c = categorical({'x';'y'}); sr = size(r); sc = size(c);")
    assert ws["sr"].tolist() == [[1, 3]]
    assert ws["sc"].tolist() == [[2, 1]]
