"""The data sets of MathWorks' documented deep learning examples, made from data that ships with Python
packages (no download, no MathWorks files):

* :func:`writeDigitFolders` — handwritten digits in labelled folders (``<folder>/<label>/digit_NNNN.png``),
  MATLAB's ``DigitDataset`` layout, made from scikit-learn's 1,797 8×8 digits upscaled to 28×28 grey PNGs;
  ``imageDatastore(folder, 'IncludeSubfolders', true, 'LabelSource', 'foldernames')`` reads them;
* :func:`japaneseVowelsTrainData` / :func:`japaneseVowelsTestData` — the UCI Japanese Vowels data (the
  copy aeon ships) as MATLAB's functions of the same names return it: ``[XTrain, YTrain]`` with XTrain
  a 270×1 cell of 12×T double (test: 370×1) and YTrain a 270×1 categorical of the 9 speakers '1'...'9'.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..functions import matlab_function
from ..policy import check_write
from ..values import Cell, categorical


# --------------------------------------------------------------------------------------------------
# Digits in labelled folders


def _digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise DataError(f"writeDigitFolders: needs scikit-learn ({exc}); pip install 'layergraph[data]'") from None
    digits = load_digits()
    return digits.images, digits.target


def _upscale(image8: np.ndarray, size: int) -> np.ndarray:
    """An 8×8 digit (values 0..16) as a size×size uint8 image: bilinear resampling (pixel centres
    aligned, as imresize's 'bilinear' without antialiasing), then rounded."""
    src = image8.astype(np.float64) * (255.0 / 16.0)
    n = src.shape[0]
    pos = (np.arange(size) + 0.5) * (n / size) - 0.5
    pos = np.clip(pos, 0, n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    rows = src[lo, :] * (1 - frac)[:, None] + src[hi, :] * frac[:, None]
    out = rows[:, lo] * (1 - frac)[None, :] + rows[:, hi] * frac[None, :]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def write_digit_folders(folder, size: int = 28, per_label: int | None = None) -> str:
    """Write scikit-learn's digits as ``folder/<label>/digit_NNNN.png`` (``size``×``size`` grey uint8).

    ``per_label`` keeps only the first that many images of each label (None: all 1,797). Files already
    there are left as they are (the function is idempotent). Returns the folder.
    """
    from PIL import Image

    if isinstance(size, bool) or int(size) != size or not 8 <= int(size) <= 512:
        raise DataError(f"writeDigitFolders: the image size must be an integer from 8 to 512, got {size!r}.")
    root = check_write(Path(str(folder)), "writeDigitFolders")
    images, targets = _digits()
    counts: dict[int, int] = {}
    for index, (image, label) in enumerate(zip(images, targets)):
        label = int(label)
        counts[label] = counts.get(label, 0) + 1
        if per_label is not None and counts[label] > int(per_label):
            continue
        path = check_write(root / str(label) / f"digit_{index + 1:04d}.png", "writeDigitFolders")
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_upscale(image, int(size)), mode="L").save(path)
    return str(folder)


@matlab_function("writeDigitFolders", outputs=("folder",), data_free=False)
def writeDigitFolders(folder="digitsData", *args, **kwargs):
    """``folder = writeDigitFolders(folder, 'ImageSize', 28, 'NumPerLabel', n)``: scikit-learn's
    handwritten digits as 28×28 grey PNG files in one folder per label (MATLAB's DigitDataset layout),
    for ``imageDatastore(folder, 'IncludeSubfolders', true, 'LabelSource', 'foldernames')``."""
    if len(args) % 2:
        raise DataError("writeDigitFolders: name-value arguments must come in pairs.")
    size, per_label = 28, None
    for key, value in list(zip(args[::2], args[1::2])) + list(kwargs.items()):
        k = str(key).lower()
        if k == "imagesize":
            size = _scalar(value, "ImageSize")
        elif k == "numperlabel":
            per_label = _scalar(value, "NumPerLabel")
        else:
            raise DataError(f"writeDigitFolders: '{key}' is not a recognized parameter. Valid parameters: "
                            "'ImageSize', 'NumPerLabel'.")
    return write_digit_folders(str(folder), size, per_label)


def _scalar(value, name: str) -> int:
    v = np.asarray(value).reshape(-1)
    if v.size != 1 or v.dtype.kind not in "iuf" or float(v[0]) != int(v[0]) or v[0] < 1:
        raise DataError(f"writeDigitFolders: '{name}' must be a positive integer.")
    return int(v[0])


# --------------------------------------------------------------------------------------------------
# Japanese Vowels


def _aeon_file(name: str, function: str) -> Path:
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{function}: needs aeon, which ships the UCI Japanese Vowels data; "
                        "pip install 'layergraph[data]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "JapaneseVowels" / name
    if not path.exists():
        raise DataError(f"{function}: {path} is missing from the aeon installation.")
    return path


def read_ts_sequences(path: Path, function: str = "read") -> tuple[list, list]:
    """A multivariate .ts file (aeon format): sequences as C×T float64 arrays (MATLAB layout), and labels.

    Reads a file inside an installed package (not a path MATLAB code chose), so no file policy applies."""
    sequences, labels = [], []
    in_data = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dims, label = line.split(":")
        sequences.append(np.array([[float(v) for v in d.split(",")] for d in dims], dtype=np.float64))
        labels.append(label.strip())
    return sequences, labels


def _japanese_vowels(split: str, function: str):
    sequences, labels = read_ts_sequences(_aeon_file(f"JapaneseVowels_{split}.ts", function), function)
    X = Cell.column(sequences)
    Y = categorical(np.array(labels, dtype=object).reshape(-1, 1))
    return X, Y


@matlab_function("japaneseVowelsTrainData", outputs=("XTrain", "YTrain"), data_free=False)
def japaneseVowelsTrainData():
    """``[XTrain, YTrain] = japaneseVowelsTrainData``: 270 sequences (a 270×1 cell of 12×T double,
    T from 7 to 26) and their speakers (270×1 categorical, '1' to '9'), from the UCI data aeon ships."""
    return _japanese_vowels("TRAIN", "japaneseVowelsTrainData")


@matlab_function("japaneseVowelsTestData", outputs=("XTest", "YTest"), data_free=False)
def japaneseVowelsTestData():
    """``[XTest, YTest] = japaneseVowelsTestData``: 370 test sequences (370×1 cell of 12×T double) and
    their speakers (370×1 categorical)."""
    return _japanese_vowels("TEST", "japaneseVowelsTestData")


__all__ = ["write_digit_folders", "writeDigitFolders", "japaneseVowelsTrainData", "japaneseVowelsTestData",
           "read_ts_sequences"]
