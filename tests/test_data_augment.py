"""imageDataAugmenter / augment geometry against the rotation matrix and an independent NumPy warp;
augmentedImageDatastore preprocessing order, sizes and inputs."""

import math
import os

import numpy as np
import pytest
from PIL import Image

from data_fixtures import shared_digit_folders
from layergraph import (Categorical, DataError, OptionError, Table, augment, augmentedImageDatastore,
                        imageDataAugmenter, imageDatastore, imresize, rgb2gray, table)
from layergraph.data import read


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    return shared_digit_folders(tmp_path_factory)


def _blob(h, w, x, y, sigma=1.2):
    yy, xx = np.mgrid[1:h + 1, 1:w + 1]
    return np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma ** 2))


def _centroid(img):
    h, w = img.shape
    yy, xx = np.mgrid[1:h + 1, 1:w + 1]
    return (img * xx).sum() / img.sum(), (img * yy).sum() / img.sum()


def test_defaults_are_the_identity_and_options_validate():
    aug = imageDataAugmenter()
    img = np.random.default_rng(0).random((9, 11))
    assert np.allclose(augment(aug, img), img)
    assert aug.RandRotation.tolist() == [[0, 0]] and aug.FillValue == 0 and aug.RandXReflection is False
    with pytest.raises(OptionError, match="'RandRotate' is not a recognized parameter"):
        imageDataAugmenter("RandRotate", [0, 1])
    with pytest.raises(OptionError, match="RandScale"):
        imageDataAugmenter("RandScale", [2, 1])
    with pytest.raises(OptionError, match="RandXShear"):
        imageDataAugmenter("RandXShear", [-90, 10])
    aug.RandRotation = [-5, 5]
    assert aug.RandRotation.tolist() == [[-5, 5]]
    with pytest.raises(OptionError):
        aug.NoSuchProperty = 1


def test_rotation_moves_a_marker_where_the_rotation_matrix_says():
    h, w = 41, 41
    c = (w + 1) / 2
    img = _blob(h, w, c + 10, c)                    # 10 px right of the centre
    for angle in (30.0, -50.0, 90.0):
        out = augment(imageDataAugmenter("RandRotation", [angle, angle]), img)
        t = math.radians(angle)
        # [x'; y'] = R (p - c) + c with R = [cos -sin; sin cos] on (x right, y down): clockwise on screen
        ex, ey = c + 10 * math.cos(t), c + 10 * math.sin(t)
        gx, gy = _centroid(out)
        assert abs(gx - ex) < 0.05 and abs(gy - ey) < 0.05, (angle, gx, gy, ex, ey)


def test_translation_scale_shear_and_function_handles():
    h, w = 41, 41
    c = (w + 1) / 2
    img = _blob(h, w, c + 4, c - 3)
    out = augment(imageDataAugmenter("RandXTranslation", [3, 3], "RandYTranslation", [-2, -2]), img)
    gx, gy = _centroid(out)
    assert abs(gx - (c + 7)) < 0.02 and abs(gy - (c - 5)) < 0.02
    out = augment(imageDataAugmenter("RandScale", [2, 2]), img)
    gx, gy = _centroid(out)
    assert abs(gx - (c + 8)) < 0.05 and abs(gy - (c - 6)) < 0.05
    out = augment(imageDataAugmenter("RandXShear", [45, 45]), img)        # x' = x + tan(45°)·y about the centre
    gx, gy = _centroid(out)
    assert abs(gx - (c + 4 - 3)) < 0.05 and abs(gy - (c - 3)) < 0.05
    out = augment(imageDataAugmenter(RandYScale=lambda: 0.5), img)
    gx, gy = _centroid(out)
    assert abs(gx - (c + 4)) < 0.05 and abs(gy - (c - 1.5)) < 0.1
    sq = np.arange(36, dtype=float).reshape(6, 6)
    assert np.allclose(augment(imageDataAugmenter(RandRotation=lambda: 90), sq), np.rot90(sq, k=-1))


def test_reflection_happens_half_the_time():
    img = np.arange(12, dtype=float).reshape(3, 4)
    aug = imageDataAugmenter("RandXReflection", True)
    np.random.seed(3)
    outs = [augment(aug, img) for _ in range(200)]
    flipped = sum(np.allclose(o, img[:, ::-1]) for o in outs)
    same = sum(np.allclose(o, img) for o in outs)
    assert flipped + same == 200 and 70 < flipped < 130
    auy = imageDataAugmenter("RandYReflection", True)
    assert all(np.allclose(o, img) or np.allclose(o, img[::-1]) for o in (augment(auy, img) for _ in range(20)))


def _reference_warp(img, A, t, fill):
    """Inverse-map every output pixel; bilinear over the image extended by ``fill`` (written independently)."""
    h, w = img.shape
    cx, cy = (w + 1) / 2, (h + 1) / 2
    inv = np.linalg.inv(A)
    out = np.zeros_like(img, dtype=float)

    def px(r, q):
        return img[r - 1, q - 1] if 1 <= r <= h and 1 <= q <= w else fill

    for yo in range(1, h + 1):
        for xo in range(1, w + 1):
            sx, sy = inv @ np.array([xo - cx - t[0], yo - cy - t[1]]) + np.array([cx, cy])
            x0, y0 = math.floor(sx), math.floor(sy)
            fx, fy = sx - x0, sy - y0
            out[yo - 1, xo - 1] = ((1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1))
                                   + fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1)))
    return out


def test_warp_matches_independent_reference_with_fill_value():
    rng = np.random.default_rng(11)
    img = rng.random((9, 13)) * 100
    aug = imageDataAugmenter("RandRotation", [-40, 40], "RandScale", [0.7, 1.4], "RandXShear", [-10, 10],
                             "RandXTranslation", [-2, 2], "RandYTranslation", [-2, 2], "RandXReflection", True,
                             "FillValue", 50)
    for seed in range(4):
        np.random.seed(seed)
        A, t = aug.draw()
        np.random.seed(seed)
        got = augment(aug, img)
        assert np.allclose(got, _reference_warp(img, A, t, 50.0), atol=1e-9)


def test_augment_applies_one_transform_to_a_list_including_categorical():
    img = np.zeros((8, 8), np.uint8)
    img[1, 6] = 200
    labels = Categorical(np.where(img > 0, 1, 0), ["bg", "dot"])
    out_img, out_lab = augment(imageDataAugmenter("RandRotation", [90, 90]), [img, labels])
    assert out_img.dtype == np.uint8 and out_img[6, 6] == 200          # clockwise quarter turn
    assert isinstance(out_lab, Categorical) and out_lab.codes[6, 6] == 1 and out_lab.codes.sum() == 1


def test_augmented_datastore_resize_uses_bilinear_imresize(digits):
    root, _ = digits
    imds = imageDatastore(os.path.join(root, "4"))
    au = augmentedImageDatastore([32, 32], imds, "ColorPreprocessing", "gray2rgb")
    t = read(au)
    assert isinstance(t, Table) and t.height == 128 and t.VariableNames == ["input"]
    first = np.asarray(t.input, dtype=object).reshape(-1)[0]
    raw = np.asarray(Image.open(imds.Files[0]))
    expected = imresize(raw, [32, 32], "bilinear")
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert all(np.array_equal(first[:, :, k], expected) for k in range(3))
    au.MiniBatchSize = 5
    au.reset()
    assert read(au).height == 5 and au.NumObservations == len(imds.Files)
    small = augmentedImageDatastore([20, 24], imds, "OutputSizeMode", "centercrop")
    assert np.array_equal(small.read_at(0), raw[4:24, 2:26])
    np.random.seed(0)
    rc = augmentedImageDatastore([10, 10], imds, "OutputSizeMode", "randcrop")
    crop = rc.read_at(0)
    assert crop.shape == (10, 10) and any(np.array_equal(crop, raw[r:r + 10, q:q + 10]) for r in range(19) for q in range(19))
    big = augmentedImageDatastore([40, 40], imds, "OutputSizeMode", "centercrop")
    with pytest.raises(DataError, match=r"img\d+\.png"):
        big.read_at(0)


def test_augmented_datastore_with_labels_arrays_and_tables(digits, tmp_path):
    root, _ = digits
    imds = imageDatastore(root, "IncludeSubfolders", True, "LabelSource", "foldernames")
    au = augmentedImageDatastore([28, 28], imds, "DataAugmentation", imageDataAugmenter("RandRotation", [-5, 5]))
    t = read(au)
    assert t.VariableNames == ["input", "response"] and isinstance(t.response, Categorical)
    assert list(np.asarray(t.response)) == list(np.asarray(imds.Labels)[:128])
    rgb = np.random.default_rng(2).integers(0, 256, (10, 12, 3, 6), dtype=np.uint8)
    Y = ["a", "b", "a", "c", "b", "a"]
    aux = augmentedImageDatastore([5, 6], rgb, Y, "ColorPreprocessing", "rgb2gray")
    tt = read(aux)
    assert list(np.asarray(tt.response)) == Y
    img0 = np.asarray(tt.input, dtype=object).reshape(-1)[0]
    assert np.array_equal(img0, imresize(rgb2gray(rgb[:, :, :, 0]), [5, 6], "bilinear"))
    reg = augmentedImageDatastore([10, 12], rgb.astype(float), np.arange(6.0))
    assert np.asarray(read(reg).response).reshape(-1).tolist() == list(range(6))
    tbl = table(imds.Files[:3], ["x", "y", "x"], "VariableNames", ["files", "labels"])
    aut = augmentedImageDatastore([14, 14], tbl)
    tr = read(aut)
    assert list(np.asarray(tr.response)) == ["x", "y", "x"] and np.asarray(tr.input, dtype=object).reshape(-1)[0].shape == (14, 14)
    with pytest.raises(OptionError, match="'Augmentation' is not a recognized parameter"):
        augmentedImageDatastore([28, 28], imds, "Augmentation", "none")
    with pytest.raises(DataError, match=r"labels \(2\).*files \(6\)"):
        augmentedImageDatastore([5, 6], rgb, ["a", "b"])
    with pytest.raises(OptionError, match="OutputSize"):
        augmentedImageDatastore([0, 6], rgb)


def test_stacked_transform_equals_image_by_image(digits):
    root, _ = digits
    imds = imageDatastore(os.path.join(root, "6"))
    aug = imageDataAugmenter("RandRotation", [-20, 20], "RandXTranslation", [-3, 3], "RandXReflection", True,
                             "RandScale", [0.9, 1.1])
    for mode, size in (("resize", [20, 30]), ("randcrop", [20, 22])):
        au = augmentedImageDatastore(size, imds, "DataAugmentation", aug, "ColorPreprocessing", "gray2rgb",
                                     "OutputSizeMode", mode)
        np.random.seed(5)
        together = au.read_many(list(range(7)))
        np.random.seed(5)
        one_by_one = [au.read_at(i) for i in range(7)]
        assert all(a.shape == (20, size[1], 3) and np.array_equal(a, b) for a, b in zip(together, one_by_one))
