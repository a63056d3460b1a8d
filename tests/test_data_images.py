"""Image functions: imread/imwrite against Pillow, imresize against an independent NumPy implementation of
MATLAB's algorithm and MATLAB-documented outputs, class conversions, rgb2gray, imcrop, imrotate, flip, cat."""

import math

import numpy as np
import pytest
from PIL import Image

from layergraph import (DataError, LayerGraphError, OptionError, im2double, im2single, im2uint8, imcrop, imread,
                        imresize, imrotate, imwrite, rgb2gray)
from layergraph.data import cat, flip
from layergraph.functions import FUNCTIONS

# ------------------------------------------------------------------------------------------------
# imread / imwrite


def test_imread_gray_rgb_and_alpha_match_pillow(tmp_path):
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, (7, 5), dtype=np.uint8)
    rgba = rng.integers(0, 256, (4, 6, 4), dtype=np.uint8)
    Image.fromarray(gray).save(tmp_path / "g.png")
    Image.fromarray(rgba).save(tmp_path / "c.png")
    a = imread(tmp_path / "g.png")
    assert a.dtype == np.uint8 and a.shape == (7, 5) and np.array_equal(a, gray)
    rgb, cmap, alpha = imread(str(tmp_path / "c.png"), nargout=3)
    assert rgb.shape == (4, 6, 3) and np.array_equal(rgb, rgba[:, :, :3])
    assert np.array_equal(alpha, rgba[:, :, 3]) and cmap.size == 0


def test_imread_indexed_gives_index_and_colormap(tmp_path):
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    im = Image.fromarray(index)
    pal = [255, 0, 0, 0, 255, 0, 0, 0, 255]
    im.putpalette(pal)
    im.save(tmp_path / "ind.png")
    x, cmap = imread(tmp_path / "ind.png", nargout=2)
    assert x.dtype == np.uint8 and np.array_equal(x, index)
    assert np.allclose(cmap[:3], np.array(pal).reshape(3, 3) / 255)


def test_imwrite_roundtrips_uint16_logical_double_and_indexed(tmp_path):
    u16 = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000)
    imwrite(u16, tmp_path / "a.png")
    back = imread(tmp_path / "a.png")
    assert back.dtype == np.uint16 and np.array_equal(back, u16)
    mask = np.array([[True, False], [False, True]])
    imwrite(mask, str(tmp_path / "m.png"))
    assert imread(tmp_path / "m.png").dtype == bool and np.array_equal(imread(tmp_path / "m.png"), mask)
    d = np.array([[0.0, 0.5, 1.0, 1.7]])   # double: scaled by 255, saturated, rounded half up
    imwrite(d, str(tmp_path / "d.png"))
    assert imread(tmp_path / "d.png").tolist() == [[0, 128, 255, 255]]
    idx = np.array([[1.0, 2.0], [2.0, 1.0]])          # double indices are 1-based
    imwrite(idx, np.array([[1, 0, 0], [0, 0, 1]]), str(tmp_path / "i.png"))
    x, cmap = imread(tmp_path / "i.png", nargout=2)
    assert x.tolist() == [[0, 1], [1, 0]] and np.allclose(cmap[:2], [[1, 0, 0], [0, 0, 1]])


def test_imread_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="missing.png"):
        imread(tmp_path / "missing.png")
    bad = tmp_path / "truncated.png"
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((40, 40), np.uint8) + 7).save(good)
    bad.write_bytes(good.read_bytes()[:60])
    with pytest.raises(DataError, match="truncated.png"):
        imread(bad)
    (tmp_path / "notimage.png").write_text("hello")
    with pytest.raises(DataError, match="notimage.png"):
        imread(tmp_path / "notimage.png")
    with pytest.raises(DataError, match="file format"):
        imwrite(np.zeros((2, 2), np.uint8), str(tmp_path / "x.unknownext"))


def test_image_functions_are_registered():
    for name in ("imread", "imwrite", "imresize", "im2single", "im2double", "im2uint8", "rgb2gray", "imcrop",
                 "imrotate", "flip", "cat"):
        assert name in FUNCTIONS
    import layergraph
    assert "flip" not in layergraph.__all__ and "cat" not in layergraph.__all__


# ------------------------------------------------------------------------------------------------
# imresize against an independent per-pixel NumPy implementation


def _kernel(name, x):
    ax = abs(x)
    if name == "bicubic":
        if ax <= 1:
            return 1.5 * ax ** 3 - 2.5 * ax ** 2 + 1
        if ax <= 2:
            return -0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2
        return 0.0
    if name == "bilinear":
        return max(0.0, 1 - ax)
    if name == "nearest":
        return 1.0 if -0.5 <= x < 0.5 else 0.0
    if name == "lanczos3":
        return float(np.sinc(x) * np.sinc(x / 3)) if ax < 3 else 0.0
    raise AssertionError(name)


_WIDTH = {"bicubic": 4, "bilinear": 2, "nearest": 1, "lanczos3": 6}


def _resize_1d_reference(v, out_len, scale, name, aa):
    """MATLAB's imresize along one dimension, written pixel by pixel (no shared code with layergraph)."""
    n = len(v)
    width = _WIDTH[name]
    shrink = scale < 1 and aa
    if shrink:
        width = width / scale
    out = []
    for x in range(1, out_len + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        left = math.floor(u - width / 2)
        taps = math.ceil(width) + 2
        acc = 0.0
        wsum = 0.0
        for k in range(taps):
            j = left + k
            d = u - j
            w = scale * _kernel(name, scale * d) if shrink else _kernel(name, d)
            # mirror j into 1..n: ... 2 1 | 1 2 ... n | n n-1 ...
            jj = j
            period = 2 * n
            m = (jj - 1) % period
            jj = m + 1 if m < n else period - m
            acc += w * v[jj - 1]
            wsum += w
        out.append(acc / wsum)
    return np.array(out)


def _resize_reference(a, out, scale, name, aa):
    a = a.astype(np.float64)
    order = [0, 1] if scale[0] <= scale[1] else [1, 0]
    integer = a.dtype.kind in "ui"
    for dim in order:
        a = np.apply_along_axis(_resize_1d_reference, dim, a, out[dim], scale[dim], name, aa)
    return a


@pytest.mark.parametrize("method", ["bicubic", "bilinear", "nearest", "lanczos3"])
@pytest.mark.parametrize("target", [0.37, 1.7, (5, 9), (20, 11), 0.5, 2])
def test_imresize_matches_reference_kernel(method, target):
    rng = np.random.default_rng(7)
    a = rng.random((13, 17))
    got = imresize(a, target, method)
    if np.ndim(target) == 0:
        out = (math.ceil(target * 13), math.ceil(target * 17))
        scale = (target, target)
    else:
        out = tuple(target)
        scale = (out[0] / 13, out[1] / 17)
    assert got.shape == out
    ref = _resize_reference(a, out, scale, method, method != "nearest")
    assert np.allclose(got, ref, atol=1e-12)


def test_imresize_antialiasing_false_and_nan_size():
    rng = np.random.default_rng(3)
    a = rng.random((12, 10))
    got = imresize(a, 0.4, "bicubic", "Antialiasing", False)
    ref = _resize_reference(a, (5, 4), (0.4, 0.4), "bicubic", False)
    assert np.allclose(got, ref)
    b = imresize(a, [6, float("nan")])        # aspect ratio kept: ceil(10 * 6/12) columns
    assert b.shape == (6, 5)
    c = imresize(np.zeros((7, 7, 3)), 2)
    assert c.shape == (14, 14, 3)


def test_imresize_matlab_documented_bilinear_example():
    # MATLAB Answers (MathWorks staff-confirmed output): imresize(x, [2 2], 'bilinear') with antialiasing
    x = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=float)
    got = imresize(x, [2, 2], "bilinear")
    assert np.allclose(np.round(got, 4), [[0.1094, 0.7656], [0.0156, 0.1094]])
    assert np.array_equal(imresize(x, [2, 2], "bilinear", "Antialiasing", False), [[0, 1], [0, 0]])


def test_imresize_uint8_rounds_after_each_pass():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (9, 14), dtype=np.uint8)
    got = imresize(a, [4, 10])
    assert got.dtype == np.uint8
    # rows shrink more (4/9 < 10/14): rows first, rounded to uint8, then columns, rounded again
    step = np.apply_along_axis(_resize_1d_reference, 0, a.astype(float), 4, 4 / 9, "bicubic", True)
    step = np.clip(np.floor(step + 0.5), 0, 255)
    ref = np.apply_along_axis(_resize_1d_reference, 1, step, 10, 10 / 14, "bicubic", True)
    assert np.array_equal(got, np.clip(np.floor(ref + 0.5), 0, 255).astype(np.uint8))


def test_imresize_bad_arguments():
    with pytest.raises(OptionError, match="Colour|not a recognized"):
        imresize(np.zeros((3, 3)), 2, "Colour", 1)
    with pytest.raises(OptionError):
        imresize(np.zeros((3, 3)), [0, 2])
    with pytest.raises(LayerGraphError):
        imresize(np.zeros((3, 3)), -1)


# ------------------------------------------------------------------------------------------------
# Conversions and geometry


def test_class_conversions_hand_worked():
    u8 = np.array([[0, 128, 255]], dtype=np.uint8)
    assert np.allclose(im2double(u8), [[0, 128 / 255, 1]])
    assert im2single(u8).dtype == np.float32
    assert np.allclose(im2double(np.array([[0, 65535]], np.uint16)), [[0, 1]])
    assert np.allclose(im2double(np.array([[-32768, 32767]], np.int16)), [[0, 1]])
    assert im2uint8(np.array([[-0.2, 0.5, 0.501, 1.3]])).tolist() == [[0, 128, 128, 255]]
    assert im2uint8(np.array([[0, 257, 65535]], np.uint16)).tolist() == [[0, 1, 255]]
    assert im2uint8(np.array([[True, False]])).tolist() == [[255, 0]]


def test_rgb2gray_weights_and_rounding():
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0] = [255, 0, 0]
    rgb[0, 1] = [0, 255, 0]
    rgb[0, 2] = [10, 20, 30]
    g = rgb2gray(rgb)
    assert g.dtype == np.uint8
    # documented weights 0.2989 R + 0.5870 G + 0.1140 B
    assert g.tolist() == [[76, 150, round(0.2989 * 10 + 0.5870 * 20 + 0.1140 * 30)]]
    with pytest.raises(DataError):
        rgb2gray(np.zeros((2, 2)))


def test_imcrop_includes_both_edges():
    a = np.arange(1, 26).reshape(5, 5)
    assert imcrop(a, [2, 1, 2, 1]).tolist() == [[2, 3, 4], [7, 8, 9]]      # width 2 -> 3 columns, as MATLAB
    assert imcrop(a, [4, 4, 10, 10]).tolist() == [[19, 20], [24, 25]]      # clipped to the image


def test_imrotate_direction_sizes_and_marker():
    a = np.zeros((5, 7), np.uint8)
    a[0, 6] = 9                      # top-right corner
    r = imrotate(a, 90)              # counterclockwise: the top-right corner goes to the top-left
    assert r.shape == (7, 5) and r[0, 0] == 9
    assert imrotate(a, -90)[6, 4] == 9
    assert imrotate(a, 180)[4, 0] == 9
    # a Gaussian blob 5 px right of the centre (x = 16, y = 11 in 1-based MATLAB coordinates; centre (11, 11))
    yy, xx = np.mgrid[1:22, 1:22]
    b = np.exp(-((xx - 16.0) ** 2 + (yy - 11.0) ** 2) / 2.0)
    r = imrotate(b, 30, "bilinear", "crop")
    t = math.radians(30)
    cx = (r * xx).sum() / r.sum()
    cy = (r * yy).sum() / r.sum()
    # counterclockwise on screen (y down): x' = 11 + 5 cos t, y' = 11 - 5 sin t
    assert abs(cx - (11 + 5 * math.cos(t))) < 0.05 and abs(cy - (11 - 5 * math.sin(t))) < 0.05
    loose = imrotate(np.ones((10, 20)), 30, "bilinear")
    assert loose.shape == (math.ceil(10 * math.cos(t) + 20 * math.sin(t)), math.ceil(20 * math.cos(t) + 10 * math.sin(t)))


def test_flip_and_cat_use_matlab_dimensions():
    a = np.array([[1, 2], [3, 4]])
    assert flip(a).tolist() == [[3, 4], [1, 2]]
    assert flip(a, 2).tolist() == [[2, 1], [4, 3]]
    assert flip(np.array([[1, 2, 3]])).tolist() == [[3, 2, 1]]       # row vector: first non-singleton dim
    c = cat(3, a, a + 10)
    assert c.shape == (2, 2, 2) and c[:, :, 1].tolist() == [[11, 12], [13, 14]]
    assert cat(1, a, a).shape == (4, 2)
    assert cat(4, np.zeros((2, 2, 3)), np.ones((2, 2, 3))).shape == (2, 2, 3, 2)
    with pytest.raises(OptionError, match="not consistent"):
        cat(1, np.zeros((2, 2)), np.zeros((2, 3)))


def test_matlab_code_reaches_the_same_functions_with_several_outputs():
    from layergraph.matlab import port

    r = port("I = [1 2 3 4; 5 6 7 8; 9 10 11 12];\n[J, rect] = imcrop(I, [2 1 2 1]);\n"
             "K = imresize(I, [2 2], 'bilinear');\nF = flip(I, 2);\nC = cat(3, I, I);\n")
    ws = r.workspace
    assert ws["J"].tolist() == [[2, 3, 4], [6, 7, 8]] and ws["rect"].tolist() == [[2, 1, 2, 1]]
    I = np.arange(1, 13, dtype=float).reshape(3, 4)
    assert np.allclose(ws["K"], imresize(I, [2, 2], "bilinear"))
    assert ws["F"].tolist() == I[:, ::-1].tolist() and ws["C"].shape == (3, 4, 2)
