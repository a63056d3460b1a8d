"""Datastores: imageDatastore over labelled digit folders, label functions, reading, subsets; arrayDatastore,
fileDatastore, tabularTextDatastore, pixelLabelDatastore, combine, transform; bad input; bounded memory."""

import gc
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_fixtures import shared_digit_folders
from layergraph import (Categorical, DataError, OptionError, Table, arrayDatastore, combine, countEachLabel,
                        fileDatastore, hasdata, imageDatastore, numpartitions, pixelLabelDatastore, readall, readimage,
                        splitEachLabel, tabularTextDatastore, transform)
from layergraph import reset, shuffle
from layergraph.data import partition, read, subset
from layergraph.functions import FUNCTIONS


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    return shared_digit_folders(tmp_path_factory)


def test_image_datastore_counts_labels_and_reads(digits):
    root, counts = digits
    imds = imageDatastore(root, "IncludeSubfolders", True, "LabelSource", "foldernames")
    assert len(imds.Files) == sum(counts.values()) == 1797
    assert isinstance(imds.Labels, Categorical)
    assert imds.Labels.categories == [str(d) for d in range(10)]
    # files listed folder by folder in sorted order, each labelled with its folder's name
    assert imds.Files == sorted(imds.Files)
    assert all(os.path.basename(os.path.dirname(f)) == lab for f, lab in zip(imds.Files, np.asarray(imds.Labels)))
    img = readimage(imds, 1)
    assert img.dtype == np.uint8 and img.shape == (28, 28)
    assert np.array_equal(img, np.asarray(Image.open(imds.Files[0])))
    img2, info = readimage(imds, 5, nargout=2)
    assert info["Filename"] == imds.Files[4] and info["FileSize"] == os.path.getsize(imds.Files[4])
    assert str(np.asarray(info["Label"])[0]) == "0"


def test_count_each_label_is_a_table(digits):
    root, counts = digits
    imds = imageDatastore(root, IncludeSubfolders=True, LabelSource="foldernames")
    tbl = countEachLabel(imds)
    assert isinstance(tbl, Table) and tbl.VariableNames == ["Label", "Count"]
    assert list(np.asarray(tbl.Label)) == [str(d) for d in range(10)]
    assert np.asarray(tbl.Count).reshape(-1).tolist() == [counts[str(d)] for d in range(10)]


def test_split_each_label_counts_fractions_randomized_include_exclude(digits):
    root, counts = digits
    imds = imageDatastore(root, "IncludeSubfolders", True, "LabelSource", "foldernames")
    np.random.seed(0)
    train, test = splitEachLabel(imds, 100, "randomized")
    assert np.asarray(countEachLabel(train).Count).reshape(-1).tolist() == [100] * 10
    assert np.asarray(countEachLabel(test).Count).reshape(-1).tolist() == [counts[str(d)] - 100 for d in range(10)]
    assert not set(train.Files) & set(test.Files) and len(train.Files) + len(test.Files) == 1797
    # not randomized: the first files of each label, in order
    a, b, c = splitEachLabel(imds, 0.5, 0.25)
    for d in range(10):
        files = [f for f, lab in zip(imds.Files, np.asarray(imds.Labels)) if lab == str(d)]
        n = len(files)
        mine = [f for f in a.Files if os.path.basename(os.path.dirname(f)) == str(d)]
        assert mine == files[:n // 2]                             # 0.5 * n rounded down
        assert len([f for f in b.Files if f"/{d}/" in f]) == int(np.floor(0.25 * n))
    assert len(a.Files) + len(b.Files) + len(c.Files) == 1797
    only = splitEachLabel(imds, 3, "Include", ["1", "7"])
    assert len(only[0].Files) == 6 and set(np.asarray(only[0].Labels)) == {"1", "7"}
    assert len(only[1].Files) == counts["1"] + counts["7"] - 6
    ex = splitEachLabel(imds, 2, "Exclude", "0")
    assert len(ex[0].Files) == 18
    with pytest.raises(DataError, match="label '0'"):
        splitEachLabel(imds, 1000)
    with pytest.raises(OptionError, match="Colour"):
        splitEachLabel(imds, 0.5, "Colour", "red")


def test_read_hasdata_reset_readsize_readall(digits):
    root, _ = digits
    imds = imageDatastore(os.path.join(root, "3"))
    n = len(imds.Files)
    assert imds.Labels.numel == 0                         # LabelSource 'none'
    first = read(imds)
    assert isinstance(first, np.ndarray) and first.shape == (28, 28)
    count = 1
    while hasdata(imds):
        read(imds)
        count += 1
    assert count == n
    with pytest.raises(DataError, match="no more data"):
        read(imds)
    reset(imds)
    imds.ReadSize = 4
    block, infos = read(imds, nargout=2)
    assert isinstance(block, list) and len(block) == 4 and infos[3]["Filename"] == imds.Files[3]
    assert np.array_equal(block[0], first)
    everything = readall(imds)
    assert len(everything) == n and np.array_equal(everything[-1], np.asarray(Image.open(imds.Files[-1])))
    with pytest.raises(OptionError, match="ReadSize"):
        imds.ReadSize = 0


def test_subset_shuffle_partition(digits):
    root, _ = digits
    imds = imageDatastore(root, "IncludeSubfolders", True, "LabelSource", "foldernames")
    s = subset(imds, [1, 3, 5])
    assert s.Files == [imds.Files[0], imds.Files[2], imds.Files[4]]
    mask = np.zeros(len(imds.Files), bool)
    mask[-2:] = True
    assert subset(imds, mask).Files == imds.Files[-2:]
    np.random.seed(1)
    sh = shuffle(imds)
    assert sorted(sh.Files) == imds.Files and sh.Files != imds.Files
    # labels travel with their files
    assert all(os.path.basename(os.path.dirname(f)) == lab for f, lab in zip(sh.Files, np.asarray(sh.Labels)))
    assert numpartitions(imds) == 1797
    parts = [partition(imds, 4, i).Files for i in range(1, 5)]
    assert sum(parts, []) == imds.Files and [len(p) for p in parts] == [450, 449, 449, 449]
    with pytest.raises(OptionError):
        subset(imds, [0])


def test_labels_given_and_mismatched(digits, tmp_path):
    root, _ = digits
    files = sorted(os.listdir(os.path.join(root, "5")))[:4]
    paths = [os.path.join(root, "5", f) for f in files]
    imds = imageDatastore(paths, "Labels", ["b", "a", "b", "c"])
    assert imds.Labels.categories == ["a", "b", "c"] and list(np.asarray(imds.Labels)) == ["b", "a", "b", "c"]
    with pytest.raises(DataError, match=r"labels \(3\).*files \(4\)"):
        imageDatastore(paths, "Labels", ["a", "b", "c"])
    with pytest.raises(DataError, match=r"labels \(2\)"):
        imds.Labels = ["x", "y"]


def test_bad_locations_and_options(tmp_path, digits):
    with pytest.raises(DataError, match="nowhere"):
        imageDatastore(str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match="empty"):
        imageDatastore(str(empty), "IncludeSubfolders", True)
    with pytest.raises(OptionError, match="'Colour' is not a recognized parameter"):
        imageDatastore(digits[0], "Colour", "red")
    with pytest.raises(OptionError, match="LabelSource"):
        imageDatastore(digits[0], "LabelSource", "filenames")


def test_corrupt_file_is_reported_with_its_path(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(np.zeros((6, 6), np.uint8)).save(folder / "a.png")
    (folder / "b.png").write_bytes((folder / "a.png").read_bytes()[:30])
    imds = imageDatastore(str(folder))
    read(imds)
    with pytest.raises(DataError, match="b.png"):
        read(imds)


def test_array_datastore_iteration_dimension_and_output_type():
    A = np.arange(24).reshape(4, 6)
    ads = arrayDatastore(A)
    first = read(ads)
    assert isinstance(first, list) and len(first) == 1 and first[0].tolist() == [[0, 1, 2, 3, 4, 5]]
    ads2 = arrayDatastore(A, "IterationDimension", 2, "OutputType", "same", "ReadSize", 4)
    block = read(ads2)
    assert block.shape == (4, 4) and np.array_equal(block, A[:, :4])
    assert read(ads2).shape == (4, 2) and not hasdata(ads2)
    assert np.array_equal(readall(ads2), A)
    X = np.zeros((5, 5, 3, 7))
    assert read(arrayDatastore(X, "IterationDimension", 4))[0].shape == (5, 5, 3, 1)
    with pytest.raises(OptionError, match="OutputType"):
        arrayDatastore(A, "OutputType", "table")


def test_file_datastore_reads_with_readfcn(tmp_path):
    for k in range(3):
        (tmp_path / f"f{k}.txt").write_text(str(k * 10))
    fds = fileDatastore(str(tmp_path), "ReadFcn", lambda f: int(Path(f).read_text()), "FileExtensions", ".txt")
    assert readall(fds) == [0, 10, 20]
    assert read(fds) == 0
    with pytest.raises(OptionError, match="ReadFcn"):
        fileDatastore(str(tmp_path))
    bad = fileDatastore(str(tmp_path), "ReadFcn", lambda f: 1 / 0)
    with pytest.raises(DataError, match="f0.txt"):
        read(bad)


def test_tabular_text_datastore_reads_tables(tmp_path):
    (tmp_path / "a.csv").write_text("Name,Age,Height\nann,31,1.7\nbob,45,1.8\ncy,,1.6\n")
    (tmp_path / "b.csv").write_text("Name,Age,Height\ndee,22,1.5\n")
    ttds = tabularTextDatastore(str(tmp_path))
    assert ttds.VariableNames == ["Name", "Age", "Height"]
    ttds.ReadSize = 2
    t1 = read(ttds)
    assert isinstance(t1, Table) and t1.height == 2 and list(np.asarray(t1.Name).reshape(-1)) == ["ann", "bob"]
    t2 = read(ttds)
    assert t2.height == 1 and np.isnan(np.asarray(t2.Age, float)).all()     # empty field -> NaN
    t3 = read(ttds)
    assert list(np.asarray(t3.Name).reshape(-1)) == ["dee"] and not hasdata(ttds)
    ttds.SelectedVariableNames = ["Age"]
    everything = readall(ttds)
    assert everything.VariableNames == ["Age"] and np.asarray(everything.Age).reshape(-1)[[0, 1, 3]].tolist() == [31, 45, 22]
    sel = tabularTextDatastore(str(tmp_path / "a.csv"), "SelectedVariableNames", {"Height", "Name"} and ["Height", "Name"])
    assert readall(sel).VariableNames == ["Height", "Name"]
    with pytest.raises(OptionError, match="Weight"):
        tabularTextDatastore(str(tmp_path), "SelectedVariableNames", ["Weight"])


def test_pixel_label_datastore_gray_and_rgb(tmp_path):
    lab = np.array([[0, 1], [2, 7]], np.uint8)
    (tmp_path / "gray").mkdir()
    Image.fromarray(lab).save(tmp_path / "gray" / "l1.png")
    pxds = pixelLabelDatastore(str(tmp_path / "gray"), ["sky", "road", "car"], [0, 1, 2])
    c = read(pxds)[0]
    assert isinstance(c, Categorical) and c.shape == (2, 2) and c.categories == ["sky", "road", "car"]
    assert c.names() == ["sky", "car", "road", "<undefined>"]      # column-major order; 7 matches no id
    rgb = np.zeros((1, 2, 3), np.uint8)
    rgb[0, 1] = [255, 0, 0]
    (tmp_path / "rgb").mkdir()
    Image.fromarray(rgb).save(tmp_path / "rgb" / "r.png")
    pxds2 = pixelLabelDatastore(str(tmp_path / "rgb"), ["bg", "red"], np.array([[0, 0, 0], [255, 0, 0]]))
    assert read(pxds2)[0].names() == ["bg", "red"]
    with pytest.raises(DataError, match="2 class names but 3"):
        pixelLabelDatastore(str(tmp_path / "gray"), ["a", "b"], [0, 1, 2])


def test_combine_and_transform(digits):
    root, _ = digits
    imds = imageDatastore(os.path.join(root, "2"))
    n = len(imds.Files)
    ads = arrayDatastore(np.arange(n).reshape(-1, 1))
    cds = combine(imds, ads)
    item = read(cds)
    assert isinstance(item, list) and len(item) == 2 and item[0].shape == (28, 28) and item[1] == [[0]]
    tds = transform(imds, lambda img: img.astype(float) / 255)
    out = read(tds)
    assert out.dtype == np.float64 and np.allclose(out, readimage(imds, 1) / 255)
    tinfo = transform(imds, lambda img, info: (info["Filename"], info), "IncludeInfo", True)
    assert read(tinfo) == imds.Files[0]
    with pytest.raises(DataError, match="different numbers"):
        combine(imds, arrayDatastore(np.arange(3).reshape(-1, 1)))
    with pytest.raises(DataError, match="transform function failed"):
        read(transform(imds, lambda img: img.nosuch))


def test_data_functions_are_registered():
    for name in ("imageDatastore", "readimage", "read", "readall", "hasdata", "reset", "shuffle", "subset", "partition",
                 "numpartitions", "splitEachLabel", "countEachLabel", "combine", "transform", "arrayDatastore",
                 "fileDatastore", "tabularTextDatastore", "pixelLabelDatastore"):
        assert name in FUNCTIONS, name
    from layergraph.data import ImageDatastore
    assert "Labels" in ImageDatastore.MATLAB_SETTABLE and "splitEachLabel" in ImageDatastore.MATLAB_METHODS


def test_memory_stays_bounded_over_a_2000_image_folder(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(2000):
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(folder / f"i{k:04d}.png", compress_level=0)
    imds = imageDatastore(str(folder))
    gc.collect()
    tracemalloc.start()
    try:
        total = 0
        while hasdata(imds):
            total += int(read(imds)[0, 0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the images alone are 2000 × 1 KB = 2 MB; one image at a time stays far below that
    assert peak < 512 * 1024, peak
