"""MATLAB datastores: imageDatastore, arrayDatastore, fileDatastore, tabularTextDatastore, pixelLabelDatastore,
combine and transform, with read / readimage / readall / hasdata / reset / shuffle / subset / partition /
numpartitions / splitEachLabel / countEachLabel.

Datastores hold file names and labels, never the images: every read opens one file (through
:mod:`layergraph.policy`). Data come back in MATLAB layout (images H×W or H×W×C in their class).
Random access (``ds.read_at(i)`` and ``len(ds)``) lets training read observations in parallel
(see :mod:`layergraph.training.data`).
"""

from __future__ import annotations

import copy
import csv
import glob
import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError, OptionError
from ..functions import matlab_function
from ..policy import check_read
from .images import IMAGE_EXTENSIONS, read_image_file, read_image_rgb
from .options import choice, logical, name_value, text_list


def _categorical(codes, categories):
    from ..values.categorical import Categorical

    return Categorical(np.asarray(codes, dtype=np.int64).reshape(-1, 1), list(categories))


def _label_codes(labels, n: int, function: str):
    """(codes, categories) of user labels: a categorical, text or numbers (categories sorted as categorical does)."""
    from ..values.categorical import Categorical, categorical

    if labels is None:
        return None, []
    if not isinstance(labels, Categorical):
        if hasattr(labels, "items") and callable(labels.items) and not isinstance(labels, dict):
            labels = labels.items()
        values = np.asarray(labels, dtype=object).reshape(-1) if not isinstance(labels, np.ndarray) else labels.reshape(-1)
        if len(values) != n:
            raise DataError(f"{function}: the number of labels ({len(values)}) must equal the number of files ({n}).")
        labels = categorical(list(values) if values.dtype == object else values)
    codes = labels.codes.reshape(-1, order="F")
    if len(codes) != n:
        raise DataError(f"{function}: the number of labels ({len(codes)}) must equal the number of files ({n}).")
    return codes.astype(np.int64), list(labels.categories)


# ------------------------------------------------------------------------------------------------
# File lists


def _extensions(value, function: str) -> tuple[str, ...]:
    exts = text_list(function, "FileExtensions", value)
    out = []
    for e in exts:
        e = e.lower()
        out.append(e if e.startswith(".") else "." + e)
    return tuple(out)


def list_files(location, *, subfolders: bool, extensions, function: str) -> list[str]:
    """Files under ``location`` (a folder, file, wildcard pattern or list of them), in sorted order per folder."""
    locations = text_list(function, "location", location) if not isinstance(location, os.PathLike) else [os.fspath(location)]
    files: list[str] = []
    for loc in locations:
        loc = os.fspath(loc)
        resolved = check_read(loc if not any(ch in loc for ch in "*?") else os.path.dirname(loc) or ".", function)
        if any(ch in loc for ch in "*?"):
            matches = sorted(glob.glob(loc, recursive=subfolders))
            if not matches:
                raise DataError(f"{function}: Cannot find files or folders matching: '{loc}'.")
            for m in matches:
                check_read(m, function)
                if os.path.isdir(m):
                    files.extend(_walk(m, subfolders, extensions))
                elif extensions is None or Path(m).suffix.lower() in extensions:
                    files.append(str(Path(m).resolve()))
            continue
        if resolved.is_dir():
            files.extend(_walk(str(resolved), subfolders, extensions))
        elif resolved.is_file():
            if extensions is not None and resolved.suffix.lower() not in extensions:
                raise DataError(f"{function}: the file '{loc}' does not have one of the file extensions "
                                + ", ".join(extensions) + " (set 'FileExtensions').")
            files.append(str(resolved))
        else:
            raise DataError(f"{function}: Cannot find files or folders matching: '{loc}'.")
    if not files:
        what = ", ".join(f"'{os.fspath(x)}'" for x in locations)
        hint = "" if subfolders else " (set 'IncludeSubfolders' to true to look in subfolders)"
        raise DataError(f"{function}: no files with the extensions {', '.join(extensions or ('any',))} found in "
                        f"{what}{hint}.")
    return files


def _walk(folder: str, subfolders: bool, extensions) -> list[str]:
    out = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise DataError(f"Cannot read folder '{folder}': {exc}") from None
    dirs = []
    for e in entries:
        if e.is_file():
            if extensions is None or os.path.splitext(e.name)[1].lower() in extensions:
                out.append(os.path.join(folder, e.name))
        elif e.is_dir() and subfolders:
            dirs.append(e.path)
    for d in dirs:
        out.extend(_walk(d, subfolders, extensions))
    return out


# ------------------------------------------------------------------------------------------------
# Base class


def random_permutation(n: int) -> np.ndarray:
    """A random permutation of 0..n-1 from torch's global generator: the one random source of training
    (weights, shuffling) and of the datastores, so ``rng(seed)`` in MATLAB code (which seeds torch) or
    ``torch.manual_seed(seed)`` in Python makes splits, shuffles and training reproducible together."""
    import torch

    return torch.randperm(int(n)).numpy()


class Datastore:
    """Common behaviour: a read position, ReadSize, random access by index for training."""

    MATLAB_PROPERTIES: tuple = ()
    MATLAB_SETTABLE: tuple = ()
    MATLAB_METHODS = ("read", "readall", "hasdata", "reset", "preview", "shuffle", "subset", "partition",
                      "numpartitions", "combine", "transform", "isShuffleable", "isPartitionable")
    _function = "datastore"

    def __init__(self):
        self._position = 0
        self._read_size = 1

    # random access (training and readimage) -------------------------------------------------------
    def __len__(self) -> int:
        return self.num_observations()

    def num_observations(self) -> int:
        raise NotImplementedError

    def read_at(self, i: int):
        """Observation ``i`` (0-based) as read() returns it with ReadSize 1."""
        raise NotImplementedError

    def info_at(self, i: int) -> dict:
        return {}

    # MATLAB property: ReadSize ----------------------------------------------------------------------
    @property
    def ReadSize(self) -> int:
        return self._read_size

    @ReadSize.setter
    def ReadSize(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < 1 \
                or int(value) != value:
            raise OptionError(f"{self._function}: 'ReadSize' must be a positive integer, got {value!r}.")
        self._read_size = int(value)

    # reading --------------------------------------------------------------------------------------
    def hasdata(self) -> bool:
        return self._position < self.num_observations()

    def reset(self) -> None:
        self._position = 0

    def _read_block(self, idx: list[int]):
        items = [self.read_at(i) for i in idx]
        return items if len(items) > 1 else items[0]

    def read(self, nargout: int = 1):
        if not self.hasdata():
            raise DataError(f"read: no more data to read from the {type(self).__name__}. Use reset to read it again.")
        n = self.num_observations()
        idx = list(range(self._position, min(self._position + self._read_size, n)))
        self._position = idx[-1] + 1
        data = self._read_block(idx)
        if nargout <= 1:
            return data
        info = [self.info_at(i) for i in idx]
        return data, (info[0] if len(info) == 1 else info)

    def readall(self):
        return [self.read_at(i) for i in range(self.num_observations())]

    def preview(self):
        return self.read_at(0)

    def isShuffleable(self) -> bool:
        return True

    def isPartitionable(self) -> bool:
        return True

    def numpartitions(self, pool=None) -> int:
        return self.num_observations()

    def _take(self, indices: np.ndarray):
        """A copy holding observations ``indices`` (0-based), reset."""
        raise NotImplementedError

    def subset(self, indices):
        idx = _indices(indices, self.num_observations(), "subset")
        return self._take(idx)

    def shuffle(self):
        return self._take(random_permutation(self.num_observations()))

    def partition(self, n, index):
        n, index = int(n), int(index)
        total = self.num_observations()
        if n < 1 or not 1 <= index <= n:
            raise OptionError(f"partition: the partition index must be between 1 and N = {n}, got {index}.")
        parts = np.array_split(np.arange(total), n)
        return self._take(parts[index - 1])

    def copy(self):
        out = copy.copy(self)
        out._position = 0
        return out

    def __repr__(self):
        return f"{type(self).__name__} with {self.num_observations()} observations"


def _indices(indices, n: int, function: str) -> np.ndarray:
    arr = np.asarray(indices).reshape(-1)
    if arr.dtype == bool:
        if arr.size != n:
            raise OptionError(f"{function}: a logical index must have {n} elements, got {arr.size}.")
        return np.flatnonzero(arr)
    if arr.size and (arr.dtype.kind not in "iuf" or np.any(arr != np.round(arr))):
        raise OptionError(f"{function}: indices must be positive integers or a logical vector.")
    idx = arr.astype(np.int64) - 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise OptionError(f"{function}: index {int(idx.max()) + 1 if idx.max() >= n else int(idx.min()) + 1} is out of "
                          f"range; the datastore has {n} observations.")
    return idx


# ------------------------------------------------------------------------------------------------
# imageDatastore


class ImageDatastore(Datastore):
    """``imageDatastore``: image files and their labels; reads one file per observation."""

    MATLAB_PROPERTIES = ("Files", "Folders", "Labels", "ReadSize", "ReadFcn", "SupportedOutputFormats",
                         "DefaultOutputFormat", "AlternateFileSystemRoots")
    MATLAB_SETTABLE = ("Files", "Labels", "ReadSize", "ReadFcn")
    MATLAB_METHODS = Datastore.MATLAB_METHODS + ("readimage", "splitEachLabel", "countEachLabel")
    _function = "imageDatastore"

    def __init__(self, files: list[str], codes=None, categories=(), read_fcn=None, folders=()):
        super().__init__()
        self._files = list(files)
        self._codes = None if codes is None else np.asarray(codes, dtype=np.int64)
        self._categories = list(categories)
        self.ReadFcn = read_fcn
        self._folders = list(folders)

    @property
    def Files(self) -> list[str]:
        return list(self._files)

    @Files.setter
    def Files(self, value):
        files = text_list("imageDatastore", "Files", value)
        if self._codes is not None and len(files) != len(self._files):
            self._codes = None
            self._categories = []
        self._files = files
        self._position = 0

    @property
    def Folders(self) -> list[str]:
        return list(self._folders)

    @property
    def Labels(self):
        if self._codes is None:
            return _categorical(np.zeros(0, dtype=np.int64), [])
        return _categorical(self._codes, self._categories)

    @Labels.setter
    def Labels(self, value):
        codes, cats = _label_codes(value, len(self._files), "imageDatastore")
        self._codes, self._categories = codes, cats

    @property
    def SupportedOutputFormats(self):
        return ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif"]

    @property
    def DefaultOutputFormat(self):
        return "png"

    @property
    def AlternateFileSystemRoots(self):
        return []

    @property
    def targets(self):
        """The labels as a categorical (training reads them without opening an image)."""
        return None if self._codes is None else self.Labels

    def num_observations(self) -> int:
        return len(self._files)

    def label_at(self, i: int):
        if self._codes is None:
            return None
        k = int(self._codes[i])
        return self._categories[k] if k >= 0 else None

    def read_at(self, i: int):
        path = self._files[i]
        if self.ReadFcn is not None:
            try:
                return self.ReadFcn(path)
            except DataError:
                raise
            except Exception as exc:
                raise DataError(f"imageDatastore: the ReadFcn failed on '{path}': {exc}") from None
        return read_image_rgb(path, "readimage")

    def info_at(self, i: int) -> dict:
        path = self._files[i]
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        info = {"Filename": path, "FileSize": size}
        if self._codes is not None:
            info["Label"] = self.Labels[i]
        return info

    def readimage(self, i, nargout: int = 1):
        n = len(self._files)
        if isinstance(i, bool) or not isinstance(i, (int, float, np.integer, np.floating)) or int(i) != i \
                or not 1 <= int(i) <= n:
            raise OptionError(f"readimage: the index must be an integer from 1 to {n}, got {i!r}.")
        img = self.read_at(int(i) - 1)
        return img if nargout <= 1 else (img, self.info_at(int(i) - 1))

    def numpartitions(self, pool=None) -> int:
        return len(self._files)

    def _take(self, indices):
        out = self.copy()
        idx = np.asarray(indices, dtype=np.int64)
        out._files = [self._files[i] for i in idx]
        out._codes = None if self._codes is None else self._codes[idx]
        return out

    # labels --------------------------------------------------------------------------------------
    def countEachLabel(self):
        return countEachLabel(self)

    def splitEachLabel(self, *args, **kwargs):
        return splitEachLabel(self, *args, **kwargs)

    def __repr__(self):
        lines = ["  ImageDatastore with properties:", ""]
        shown = self._files[:3]
        lines.append("                       Files: {")
        lines.extend(f"                              '{f}';" for f in shown)
        if len(self._files) > 3:
            lines.append(f"                               ... and {len(self._files) - 3} more")
        lines.append("                              }")
        lines.append(f"                      Labels: {len(self._files) if self._codes is not None else 0}×1 categorical")
        lines.append(f"                    ReadSize: {self._read_size}")
        return "\n".join(lines)


@matlab_function(outputs=("imds",), data_free=False)
def imageDatastore(location, *args, **kwargs):
    """``imds = imageDatastore(location, 'IncludeSubfolders', tf, 'LabelSource', 'foldernames'|'none', 'Labels',
    L, 'FileExtensions', exts, 'ReadFcn', @f, 'ReadSize', n)``.

    ``location``: a folder, a file, a wildcard pattern or a list of them. Files are listed in sorted order
    (subfolders after the files of a folder). 'foldernames' labels each file with the name of the folder it
    is in (a categorical with sorted categories).
    """
    opts = name_value("imageDatastore", args, kwargs, {
        "IncludeSubfolders": False, "LabelSource": "none", "Labels": None, "FileExtensions": None,
        "ReadFcn": None, "ReadSize": 1, "AlternateFileSystemRoots": None, "FileSet": None})
    subfolders = logical("imageDatastore", "IncludeSubfolders", opts["IncludeSubfolders"])
    source = choice("imageDatastore", "LabelSource", opts["LabelSource"], ("none", "foldernames"))
    exts = IMAGE_EXTENSIONS if opts["FileExtensions"] is None else _extensions(opts["FileExtensions"], "imageDatastore")
    read_fcn = opts["ReadFcn"]
    if read_fcn is not None and not callable(read_fcn):
        raise OptionError(f"imageDatastore: 'ReadFcn' must be a function handle, got {read_fcn!r}.")
    if isinstance(location, ImageDatastore):
        files = location.Files
    else:
        files = list_files(location, subfolders=subfolders, extensions=exts, function="imageDatastore")
    folders = sorted({os.path.dirname(f) for f in files})
    ds = ImageDatastore(files, read_fcn=read_fcn, folders=folders)
    if opts["Labels"] is not None:
        ds.Labels = opts["Labels"]
    elif source == "foldernames":
        names = [os.path.basename(os.path.dirname(f)) for f in files]
        cats = sorted(set(names))
        lookup = {c: i for i, c in enumerate(cats)}
        ds._codes = np.array([lookup[n] for n in names], dtype=np.int64)
        ds._categories = cats
    ds.ReadSize = opts["ReadSize"]
    return ds


@matlab_function(outputs=("img", "fileinfo"), data_free=False)
def readimage(imds, i, nargout: int = 1):
    """``[img, info] = readimage(imds, i)``: image number ``i`` (1-based) of an image datastore."""
    if not isinstance(imds, ImageDatastore):
        raise OptionError("readimage: the first argument must be an imageDatastore.")
    return imds.readimage(i, nargout=nargout)


@matlab_function(outputs=("data", "info"), data_free=False)
def read(ds, nargout: int = 1):
    """``[data, info] = read(ds)``: the next ReadSize observations (one observation as is, several as a list)."""
    if not isinstance(ds, Datastore):
        raise OptionError("read: the argument must be a datastore.")
    return ds.read(nargout=nargout)


@matlab_function(outputs=("data",), data_free=False)
def readall(ds, *args, **kwargs):
    """``data = readall(ds)``: every observation (a list; tables for tabularTextDatastore)."""
    if not isinstance(ds, Datastore):
        raise OptionError("readall: the argument must be a datastore.")
    return ds.readall()


@matlab_function(outputs=("subds",), data_free=False)
def subset(ds, indices):
    """``subds = subset(ds, indices)``: observations at 1-based ``indices`` (or a logical vector)."""
    return ds.subset(indices)


@matlab_function(outputs=("subds",), data_free=False)
def partition(ds, n, index):
    """``subds = partition(ds, N, index)``: part ``index`` of N contiguous, nearly equal parts."""
    if isinstance(n, str):
        raise OptionError("partition: partition by 'Files' or 'Observations' is not supported; give N and index.")
    return ds.partition(n, index)


@matlab_function(outputs=("N",), data_free=False)
def numpartitions(ds, pool=None):
    """``N = numpartitions(ds)``: the default number of partitions (one per file/observation)."""
    return ds.numpartitions(pool)


@matlab_function(outputs=("data",), data_free=False)
def preview(ds):
    """``data = preview(ds)``: the first observation (first rows for tables), without moving the read position."""
    return ds.preview()


@matlab_function(outputs=("tf",))
def isShuffleable(ds):
    """``tf = isShuffleable(ds)``."""
    return bool(ds.isShuffleable())


@matlab_function(outputs=("tf",))
def isPartitionable(ds):
    """``tf = isPartitionable(ds)``."""
    return bool(ds.isPartitionable())


@matlab_function(outputs=("data",), data_free=False)
def readByIndex(ds, ind):
    """``data = readByIndex(auimds, ind)``: the observations at 1-based ``ind`` (augmentedImageDatastore)."""
    if not hasattr(ds, "readByIndex"):
        raise OptionError("readByIndex: the argument must be an augmentedImageDatastore.")
    return ds.readByIndex(ind)


@matlab_function(outputs=("subds",), data_free=False)
def partitionByIndex(ds, n, index):
    """``subds = partitionByIndex(auimds, N, index)``: part ``index`` of N."""
    return ds.partition(n, index)


@matlab_function(outputs=("tbl",), data_free=False)
def countEachLabel(ds):
    """``tbl = countEachLabel(imds)``: a table with variables Label (categorical) and Count, one row per category."""
    from ..values.table import Table

    codes, cats = _labels_of(ds, "countEachLabel")
    counts = np.bincount(codes[codes >= 0], minlength=len(cats)).astype(np.float64)
    return Table({"Label": _categorical(np.arange(len(cats)), cats), "Count": counts.reshape(-1, 1)})


def _labels_of(ds, function: str):
    base = ds
    while isinstance(base, (AugmentedLike,)):
        base = base.underlying_labels_source()
    if isinstance(base, ImageDatastore):
        if base._codes is None:
            raise DataError(f"{function}: the datastore has no labels (create it with 'LabelSource','foldernames' "
                            "or set its Labels).")
        return base._codes, base._categories
    raise OptionError(f"{function}: the argument must be an imageDatastore with labels.")


class AugmentedLike:
    """Marker for datastores whose labels come from another one (augmentedImageDatastore)."""

    def underlying_labels_source(self):
        raise NotImplementedError


@matlab_function(outputs=("imds1", "imds2"), data_free=False)
def splitEachLabel(imds, *args, **kwargs):
    """``[imds1, ..., imdsM] = splitEachLabel(imds, p1, ..., pN, 'randomized', 'Include', L, 'Exclude', L)``.

    Each ``p`` is a fraction of each label's files (rounded down) or a number of files; the last output holds
    the remaining files. Files keep their order (the first files of each label), or are picked at random
    with 'randomized'. Returns a tuple of N+1 datastores.
    """
    if not isinstance(imds, ImageDatastore):
        raise OptionError("splitEachLabel: the first argument must be an imageDatastore with labels.")
    args = list(args)
    props = []
    randomized = False
    rest = []
    i = 0
    while i < len(args):
        a = args[i]
        if isinstance(a, str):
            if a.lower() == "randomized":
                randomized = True
                i += 1
                continue
            rest = args[i:]
            break
        props.append(a)
        i += 1
    opts = name_value("splitEachLabel", rest, kwargs, {"Include": None, "Exclude": None})
    if not props:
        raise OptionError("splitEachLabel: give at least one proportion or number of files p.")
    codes, cats = _labels_of(imds, "splitEachLabel")
    keep_cats = set(range(len(cats)))
    if opts["Include"] is not None:
        inc = set(text_list("splitEachLabel", "Include", opts["Include"]) if not hasattr(opts["Include"], "categories")
                  else [str(x) for x in np.asarray(opts["Include"]).reshape(-1)])
        unknown = inc - set(cats)
        if unknown:
            raise OptionError(f"splitEachLabel: 'Include' label(s) {sorted(unknown)} are not labels of the datastore.")
        keep_cats = {k for k in keep_cats if cats[k] in inc}
    if opts["Exclude"] is not None:
        exc = set(text_list("splitEachLabel", "Exclude", opts["Exclude"]) if not hasattr(opts["Exclude"], "categories")
                  else [str(x) for x in np.asarray(opts["Exclude"]).reshape(-1)])
        keep_cats = {k for k in keep_cats if cats[k] not in exc}
    ps = []
    for p in props:
        try:
            v = float(np.asarray(p, dtype=np.float64).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            raise OptionError(f"splitEachLabel: a proportion must be a number, got {p!r}.") from None
        if v < 0:
            raise OptionError(f"splitEachLabel: proportions must be nonnegative, got {v}.")
        ps.append(v)
    fractions = all(v < 1 for v in ps)
    if fractions and sum(ps) > 1 + 1e-12:
        raise OptionError(f"splitEachLabel: the proportions must add up to at most 1, got {sum(ps)}.")
    if not fractions and any(v != int(v) for v in ps):
        raise OptionError("splitEachLabel: give proportions between 0 and 1 or whole numbers of files, not a mixture.")
    groups = [[] for _ in range(len(ps) + 1)]
    for k in sorted(keep_cats):
        members = np.flatnonzero(codes == k)
        if randomized:
            members = members[random_permutation(len(members))]
        n = len(members)
        counts = [int(math.floor(v * n + 1e-9)) for v in ps] if fractions else [int(v) for v in ps]
        if sum(counts) > n:
            raise DataError(f"splitEachLabel: label '{cats[k]}' has {n} files, fewer than the {sum(counts)} "
                            "requested.")
        start = 0
        for g, c in enumerate(counts):
            groups[g].extend(members[start:start + c].tolist())
            start += c
        groups[-1].extend(members[start:].tolist())
    outs = []
    for g in groups:
        idx = np.asarray(g if randomized else sorted(g), dtype=np.int64)
        outs.append(imds._take(idx))
    return tuple(outs)


# ------------------------------------------------------------------------------------------------
# arrayDatastore


class ArrayDatastore(Datastore):
    """``arrayDatastore``: slices of an in-memory array along IterationDimension."""

    MATLAB_PROPERTIES = ("ReadSize", "IterationDimension", "OutputType")
    MATLAB_SETTABLE = ("ReadSize",)
    _function = "arrayDatastore"

    def __init__(self, data, dim: int, output_type: str):
        super().__init__()
        self._data = data
        self.IterationDimension = dim
        self.OutputType = output_type

    def num_observations(self) -> int:
        if isinstance(self._data, (list, tuple)):
            return len(self._data)
        d = self.IterationDimension - 1
        return self._data.shape[d] if d < self._data.ndim else 1

    def _slice(self, idx):
        if isinstance(self._data, (list, tuple)):
            return [self._data[i] for i in idx]
        d = self.IterationDimension - 1
        arr = self._data if d < self._data.ndim else self._data.reshape(self._data.shape + (1,) * (d + 1 - self._data.ndim))
        return np.take(arr, idx, axis=d)

    def read_at(self, i: int):
        if isinstance(self._data, (list, tuple)):
            return self._data[i]
        return self._slice([i])

    def _read_block(self, idx):
        if self.OutputType == "same":
            return self._slice(idx)
        if isinstance(self._data, (list, tuple)):
            return [self._data[i] for i in idx]
        return [self._slice([i]) for i in idx]

    def read(self, nargout: int = 1):
        out = super().read(nargout)
        data = out[0] if nargout > 1 else out
        if self.OutputType == "cell" and not isinstance(data, list):
            data = [data]
        return (data, out[1]) if nargout > 1 else data

    def readall(self):
        if self.OutputType == "same":
            return self._slice(list(range(self.num_observations())))
        return [self.read_at(i) for i in range(self.num_observations())]

    def _take(self, indices):
        out = self.copy()
        idx = list(np.asarray(indices, dtype=np.int64))
        out._data = [self._data[i] for i in idx] if isinstance(self._data, (list, tuple)) else self._slice(idx)
        return out


@matlab_function(outputs=("ads",), data_free=False)
def arrayDatastore(A, *args, **kwargs):
    """``ads = arrayDatastore(A, 'IterationDimension', 1, 'ReadSize', 1, 'OutputType', 'cell'|'same')``.

    read returns a list holding one slice (OutputType 'cell', MATLAB's default) or the slices concatenated
    along IterationDimension ('same'). A list (MATLAB cell array) iterates over its elements.
    """
    opts = name_value("arrayDatastore", args, kwargs, {"IterationDimension": 1, "ReadSize": 1, "OutputType": "cell"})
    dim = opts["IterationDimension"]
    if isinstance(dim, bool) or not isinstance(dim, (int, float, np.integer, np.floating)) or dim < 1 or int(dim) != dim:
        raise OptionError(f"arrayDatastore: 'IterationDimension' must be a positive integer, got {dim!r}.")
    out_type = choice("arrayDatastore", "OutputType", opts["OutputType"], ("cell", "same"))
    if hasattr(A, "items") and callable(A.items) and not isinstance(A, dict):
        A = A.items()
    data = list(A) if isinstance(A, (list, tuple)) else np.asarray(A)
    ds = ArrayDatastore(data, int(dim), out_type)
    ds.ReadSize = opts["ReadSize"]
    return ds


# ------------------------------------------------------------------------------------------------
# fileDatastore


class FileDatastore(Datastore):
    """``fileDatastore``: any files, each read by ReadFcn."""

    MATLAB_PROPERTIES = ("Files", "Folders", "ReadFcn", "ReadMode", "UniformRead", "BlockSize")
    MATLAB_SETTABLE = ("Files", "ReadFcn")
    _function = "fileDatastore"

    def __init__(self, files, read_fcn, uniform: bool):
        super().__init__()
        self._files = list(files)
        self.ReadFcn = read_fcn
        self.ReadMode = "file"
        self.UniformRead = uniform
        self.BlockSize = math.inf

    @property
    def Files(self):
        return list(self._files)

    @property
    def Folders(self):
        return sorted({os.path.dirname(f) for f in self._files})

    def num_observations(self) -> int:
        return len(self._files)

    def read_at(self, i: int):
        path = self._files[i]
        check_read(path, "fileDatastore")
        try:
            return self.ReadFcn(path)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"fileDatastore: the ReadFcn failed on '{path}': {exc}") from None

    def info_at(self, i):
        return {"Filename": self._files[i], "FileSize": os.path.getsize(self._files[i])}

    def readall(self):
        items = [self.read_at(i) for i in range(len(self._files))]
        if self.UniformRead and items and all(isinstance(x, np.ndarray) for x in items):
            return np.concatenate([np.atleast_2d(x) for x in items], axis=0)
        return items

    def _take(self, indices):
        out = self.copy()
        out._files = [self._files[i] for i in np.asarray(indices, dtype=np.int64)]
        return out


@matlab_function(outputs=("fds",), data_free=False)
def fileDatastore(location, *args, **kwargs):
    """``fds = fileDatastore(location, 'ReadFcn', @f, 'IncludeSubfolders', tf, 'FileExtensions', exts,
    'UniformRead', tf)``: read returns ``f(filename)`` for one file at a time."""
    opts = name_value("fileDatastore", args, kwargs, {"ReadFcn": None, "IncludeSubfolders": False,
                                                      "FileExtensions": None, "ReadMode": "file", "UniformRead": False,
                                                      "PreviewFcn": None, "BlockSize": None})
    if opts["ReadFcn"] is None or not callable(opts["ReadFcn"]):
        raise OptionError("fileDatastore: 'ReadFcn' is required and must be a function handle.")
    choice("fileDatastore", "ReadMode", opts["ReadMode"], ("file",))
    exts = None if opts["FileExtensions"] is None else _extensions(opts["FileExtensions"], "fileDatastore")
    files = list_files(location, subfolders=logical("fileDatastore", "IncludeSubfolders", opts["IncludeSubfolders"]),
                       extensions=exts, function="fileDatastore")
    return FileDatastore(files, opts["ReadFcn"], logical("fileDatastore", "UniformRead", opts["UniformRead"]))


# ------------------------------------------------------------------------------------------------
# tabularTextDatastore


class TabularTextDatastore(Datastore):
    """``tabularTextDatastore``: CSV/text files with a header row, read as tables of ReadSize rows."""

    MATLAB_PROPERTIES = ("Files", "VariableNames", "SelectedVariableNames", "ReadSize", "Delimiter",
                         "NumHeaderLines", "ReadVariableNames")
    MATLAB_SETTABLE = ("SelectedVariableNames", "ReadSize")
    _function = "tabularTextDatastore"

    def __init__(self, files, delimiter, header_lines: int, read_names: bool):
        super().__init__()
        self._files = list(files)
        self.Delimiter = delimiter
        self.NumHeaderLines = header_lines
        self.ReadVariableNames = read_names
        self._read_size = 20000
        self._rows_cache = None
        self._file_index = 0
        self._row_in_file = 0
        self.VariableNames = self._header(self._files[0])
        self._selected = list(self.VariableNames)

    @property
    def Files(self):
        return list(self._files)

    @property
    def SelectedVariableNames(self):
        return list(self._selected)

    @SelectedVariableNames.setter
    def SelectedVariableNames(self, value):
        names = text_list("tabularTextDatastore", "SelectedVariableNames", value)
        unknown = [n for n in names if n not in self.VariableNames]
        if unknown:
            raise OptionError(f"tabularTextDatastore: SelectedVariableNames {unknown} are not variables of the file "
                              f"(variables: {', '.join(self.VariableNames)}).")
        self._selected = names

    def _open(self, path):
        resolved = check_read(path, "tabularTextDatastore")
        try:
            return open(resolved, newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise DataError(f"tabularTextDatastore: cannot open '{path}': {exc}") from None

    def _reader(self, f):
        return csv.reader(f, delimiter=self.Delimiter)

    def _header(self, path):
        with self._open(path) as f:
            rows = self._reader(f)
            for _ in range(self.NumHeaderLines):
                next(rows, None)
            first = next(rows, None)
        if first is None:
            raise DataError(f"tabularTextDatastore: '{path}' has no rows.")
        if self.ReadVariableNames:
            return [_valid_name(h, i) for i, h in enumerate(first)]
        return [f"Var{i + 1}" for i in range(len(first))]

    def _file_rows(self, path) -> list[list[str]]:
        with self._open(path) as f:
            rows = self._reader(f)
            for _ in range(self.NumHeaderLines + (1 if self.ReadVariableNames else 0)):
                next(rows, None)
            out = [r for r in rows if r]
        width = len(self.VariableNames)
        for k, r in enumerate(out):
            if len(r) != width:
                line = k + 1 + self.NumHeaderLines + (1 if self.ReadVariableNames else 0)
                raise DataError(f"tabularTextDatastore: '{path}' line {line} has {len(r)} fields, expected {width}.")
        return out

    def _table(self, rows):
        from ..values.table import Table

        cols = {}
        for name in self._selected:
            j = self.VariableNames.index(name)
            values = [r[j] for r in rows]
            cols[name] = _column_values(values)
        return Table(cols)

    def num_observations(self) -> int:
        return sum(len(self._file_rows(f)) for f in self._files)

    def hasdata(self) -> bool:
        while self._file_index < len(self._files):
            if self._rows_cache is None:
                self._rows_cache = self._file_rows(self._files[self._file_index])
            if self._row_in_file < len(self._rows_cache):
                return True
            self._file_index += 1
            self._row_in_file = 0
            self._rows_cache = None
        return False

    def reset(self):
        self._file_index = 0
        self._row_in_file = 0
        self._rows_cache = None

    def read(self, nargout: int = 1):
        if not self.hasdata():
            raise DataError("read: no more data to read from the TabularTextDatastore. Use reset to read it again.")
        rows = self._rows_cache[self._row_in_file:self._row_in_file + self._read_size]
        start = self._row_in_file
        self._row_in_file += len(rows)
        table = self._table(rows)
        if nargout <= 1:
            return table
        return table, {"Filename": self._files[self._file_index], "FileSize": os.path.getsize(self._files[self._file_index]),
                       "Offset": start}

    def readall(self):
        rows = []
        for f in self._files:
            rows.extend(self._file_rows(f))
        return self._table(rows)

    def preview(self):
        return self._table(self._file_rows(self._files[0])[:8])

    def read_at(self, i):
        raise DataError("tabularTextDatastore: reads tables of rows; use read or readall.")

    def numpartitions(self, pool=None):
        return len(self._files)

    def _take(self, indices):
        out = self.copy()
        out._files = [self._files[i] for i in np.asarray(indices, dtype=np.int64)]
        out.reset()
        return out

    def shuffle(self):
        raise DataError("shuffle: a tabularTextDatastore is not shuffleable (MATLAB's isShuffleable is false).")

    def isShuffleable(self):
        return False

    def partition(self, n, index):
        return Datastore.partition(_FilesView(self), n, index)


class _FilesView:
    def __init__(self, ds):
        self.ds = ds

    def num_observations(self):
        return len(self.ds._files)

    def _take(self, idx):
        return self.ds._take(idx)


def _valid_name(text: str, i: int) -> str:
    import re

    name = re.sub(r"\W", "_", text.strip())
    if not name or not name[0].isalpha():
        name = "x" + name if name else f"Var{i + 1}"
    return name[:63]


def _column_values(values: list[str]):
    try:
        arr = np.array([float(v) if v.strip() != "" else np.nan for v in values], dtype=np.float64)
        return arr.reshape(-1, 1)
    except ValueError:
        out = np.empty((len(values), 1), dtype=object)
        for i, v in enumerate(values):
            out[i, 0] = v
        return out


@matlab_function(outputs=("ttds",), data_free=False)
def tabularTextDatastore(location, *args, **kwargs):
    """``ttds = tabularTextDatastore(location, 'SelectedVariableNames', names, 'ReadSize', 20000, 'Delimiter', ',',
    'NumHeaderLines', 0, 'ReadVariableNames', true, 'FileExtensions', exts, 'IncludeSubfolders', tf)``.

    read returns a table of up to ReadSize rows (one file at a time); readall a table of every row.
    Columns whose every value parses as a number are numeric (empty fields NaN); others text.
    """
    opts = name_value("tabularTextDatastore", args, kwargs, {
        "SelectedVariableNames": None, "ReadSize": 20000, "Delimiter": ",", "NumHeaderLines": 0,
        "ReadVariableNames": True, "FileExtensions": None, "IncludeSubfolders": False, "TextType": "char"})
    exts = (".csv", ".txt", ".dat", ".tsv") if opts["FileExtensions"] is None else _extensions(opts["FileExtensions"],
                                                                                                "tabularTextDatastore")
    files = list_files(location, subfolders=logical("tabularTextDatastore", "IncludeSubfolders", opts["IncludeSubfolders"]),
                       extensions=exts, function="tabularTextDatastore")
    delim = opts["Delimiter"]
    if not isinstance(delim, str) or len(delim.replace("\\t", "\t")) != 1:
        raise OptionError(f"tabularTextDatastore: 'Delimiter' must be one character, got {delim!r}.")
    ds = TabularTextDatastore(files, delim.replace("\\t", "\t"), int(opts["NumHeaderLines"]),
                              logical("tabularTextDatastore", "ReadVariableNames", opts["ReadVariableNames"]))
    if opts["SelectedVariableNames"] is not None:
        ds.SelectedVariableNames = opts["SelectedVariableNames"]
    ds.ReadSize = opts["ReadSize"]
    return ds


# ------------------------------------------------------------------------------------------------
# pixelLabelDatastore


class PixelLabelDatastore(Datastore):
    """``pixelLabelDatastore``: label images read as categorical H×W matrices of the given classes."""

    MATLAB_PROPERTIES = ("Files", "ClassNames", "ReadSize", "ReadFcn")
    MATLAB_SETTABLE = ("ReadSize",)
    _function = "pixelLabelDatastore"

    def __init__(self, files, classes, ids):
        super().__init__()
        self._files = list(files)
        self.ClassNames = list(classes)
        self._ids = ids          # per class: an array of pixel values (scalar ids, or RGB triplets as rows)
        self.ReadFcn = None

    @property
    def Files(self):
        return list(self._files)

    def num_observations(self):
        return len(self._files)

    def read_at(self, i):
        from ..values.categorical import Categorical

        img = read_image_rgb(self._files[i], "pixelLabelDatastore")
        codes = np.full(img.shape[:2], -1, dtype=np.int64)
        for k, ids in enumerate(self._ids):
            for v in ids:
                v = np.asarray(v).reshape(-1)
                if v.size == 1:
                    gray = img if img.ndim == 2 else img[:, :, 0]
                    mask = gray == v[0]
                else:
                    if img.ndim != 3 or img.shape[2] != v.size:
                        raise DataError(f"pixelLabelDatastore: '{self._files[i]}' is not an RGB label image but the "
                                        "pixel label IDs are RGB triplets.")
                    mask = np.all(img == v.reshape(1, 1, -1), axis=2)
                codes[mask] = k
        return Categorical(codes, self.ClassNames)

    def _read_block(self, idx):
        return [self.read_at(i) for i in idx]

    def info_at(self, i):
        return {"Filename": self._files[i], "FileSize": os.path.getsize(self._files[i])}

    def _take(self, indices):
        out = self.copy()
        out._files = [self._files[i] for i in np.asarray(indices, dtype=np.int64)]
        return out


@matlab_function(outputs=("pxds",), data_free=False)
def pixelLabelDatastore(location, classNames, pixelLabelIDs, *args, **kwargs):
    """``pxds = pixelLabelDatastore(location, classNames, pixelLabelIDs, 'IncludeSubfolders', tf, 'ReadSize', n)``.

    ``pixelLabelIDs``: one value per class (gray label images), an M×3 array of RGB triplets, or a list with an
    array of ids per class. read returns a list holding one categorical H×W matrix; pixels matching no id are
    <undefined>.
    """
    opts = name_value("pixelLabelDatastore", args, kwargs, {"IncludeSubfolders": False, "ReadSize": 1,
                                                            "FileExtensions": None, "ReadFcn": None})
    classes = text_list("pixelLabelDatastore", "classNames", classNames)
    if hasattr(pixelLabelIDs, "items") and callable(pixelLabelIDs.items) and not isinstance(pixelLabelIDs, dict):
        pixelLabelIDs = pixelLabelIDs.items()
    if isinstance(pixelLabelIDs, (list, tuple)) and pixelLabelIDs and any(np.ndim(v) > 0 for v in pixelLabelIDs):
        ids = [np.asarray(v, dtype=np.float64).reshape(-1, 3) if np.size(v) % 3 == 0 and np.ndim(v) == 2
               else np.asarray(v, dtype=np.float64).reshape(-1, 1) for v in pixelLabelIDs]
    else:
        arr = np.asarray(pixelLabelIDs, dtype=np.float64)
        if arr.ndim == 2 and arr.shape[1] == 3 and arr.shape[0] == len(classes):
            ids = [arr[k:k + 1] for k in range(len(classes))]
        else:
            arr = arr.reshape(-1)
            ids = [arr[k:k + 1].reshape(-1, 1) for k in range(arr.size)]
    if len(ids) != len(classes):
        raise DataError(f"pixelLabelDatastore: {len(classes)} class names but {len(ids)} pixel label IDs.")
    exts = IMAGE_EXTENSIONS if opts["FileExtensions"] is None else _extensions(opts["FileExtensions"], "pixelLabelDatastore")
    files = list_files(location, subfolders=logical("pixelLabelDatastore", "IncludeSubfolders", opts["IncludeSubfolders"]),
                       extensions=exts, function="pixelLabelDatastore")
    ds = PixelLabelDatastore(files, classes, ids)
    ds.ReadSize = opts["ReadSize"]
    return ds


# ------------------------------------------------------------------------------------------------
# combine and transform


class CombinedDatastore(Datastore):
    """``combine(ds1, ds2, ...)``: reads one observation from each and returns them side by side (a list)."""

    MATLAB_PROPERTIES = ("UnderlyingDatastores", "SupportedOutputFormats")
    _function = "combine"

    def __init__(self, stores):
        super().__init__()
        self.UnderlyingDatastores = list(stores)
        counts = {s.num_observations() for s in stores if not isinstance(s, TabularTextDatastore)}
        if len(counts) > 1:
            raise DataError("combine: the datastores have different numbers of observations ("
                            + ", ".join(str(s.num_observations()) for s in stores) + ").")

    @property
    def SupportedOutputFormats(self):
        return ["mat"]

    def num_observations(self):
        return self.UnderlyingDatastores[0].num_observations()

    def read_at(self, i):
        out = []
        for s in self.UnderlyingDatastores:
            item = s.read_at(i)
            if isinstance(s, (CombinedDatastore, TransformedDatastore)) and isinstance(item, list):
                out.extend(item)
            elif isinstance(s, ArrayDatastore) and s.OutputType == "cell":
                out.append(item)
            else:
                out.append(item)
        return out

    def _read_block(self, idx):
        items = [self.read_at(i) for i in idx]
        return items[0] if len(items) == 1 else items

    def reset(self):
        super().reset()
        for s in self.UnderlyingDatastores:
            s.reset()

    def _take(self, indices):
        out = self.copy()
        out.UnderlyingDatastores = [s._take(indices) for s in self.UnderlyingDatastores]
        return out

    @property
    def targets(self):
        last = self.UnderlyingDatastores[-1]
        return getattr(last, "targets", None) if len(self.UnderlyingDatastores) > 1 else None


class TransformedDatastore(Datastore):
    """``transform(ds, @fcn)``: applies ``fcn`` to the data of each read."""

    MATLAB_PROPERTIES = ("UnderlyingDatastores", "Transforms", "IncludeInfos")
    _function = "transform"

    def __init__(self, store, fcn, include_info: bool):
        super().__init__()
        self.UnderlyingDatastores = [store]
        self.Transforms = [fcn]
        self.IncludeInfos = [include_info]

    def num_observations(self):
        return self.UnderlyingDatastores[0].num_observations()

    def _apply(self, data, info):
        fcn = self.Transforms[0]
        try:
            if self.IncludeInfos[0]:
                out = fcn(data, info)
                return out[0] if isinstance(out, tuple) else out
            return fcn(data)
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"transform: the transform function failed: {exc}") from None

    def read_at(self, i):
        s = self.UnderlyingDatastores[0]
        return self._apply(s.read_at(i), s.info_at(i))

    def info_at(self, i):
        return self.UnderlyingDatastores[0].info_at(i)

    def read(self, nargout: int = 1):
        if not self.hasdata():
            raise DataError("read: no more data to read from the TransformedDatastore. Use reset to read it again.")
        s = self.UnderlyingDatastores[0]
        n = self.num_observations()
        idx = list(range(self._position, min(self._position + self._read_size, n)))
        self._position = idx[-1] + 1
        if len(idx) == 1:
            data, info = s.read_at(idx[0]), s.info_at(idx[0])
        else:
            data, info = [s.read_at(i) for i in idx], [s.info_at(i) for i in idx]
        out = self._apply(data, info)
        return out if nargout <= 1 else (out, info)

    def reset(self):
        super().reset()
        self.UnderlyingDatastores[0].reset()

    def _take(self, indices):
        out = self.copy()
        out.UnderlyingDatastores = [self.UnderlyingDatastores[0]._take(indices)]
        return out

    @property
    def targets(self):
        return None


@matlab_function(outputs=("dsnew",), data_free=False)
def combine(*stores, **kwargs):
    """``dsnew = combine(ds1, ds2, ...)``: read returns ``{data1, data2, ...}`` (a list), one observation of each.

    ``combine(imds, labelds)`` is how MATLAB pairs predictors and responses for training.
    """
    if not stores or not all(isinstance(s, Datastore) for s in stores):
        raise OptionError("combine: every argument must be a datastore.")
    if kwargs:
        name_value("combine", (), kwargs, {"ReadOrder": "associated"})
    return CombinedDatastore(stores)


@matlab_function(outputs=("dsnew",), data_free=False)
def transform(ds, *args, **kwargs):
    """``dsnew = transform(ds, @fcn, 'IncludeInfo', tf)`` (or ``transform(ds1, ds2, ..., @fcn)``)."""
    args = list(args)
    stores = [ds]
    while args and isinstance(args[0], Datastore):
        stores.append(args.pop(0))
    if not args or not callable(args[0]):
        raise OptionError("transform: give a function handle after the datastore(s).")
    fcn = args.pop(0)
    opts = name_value("transform", args, kwargs, {"IncludeInfo": False})
    base = stores[0] if len(stores) == 1 else CombinedDatastore(stores)
    return TransformedDatastore(base, fcn, logical("transform", "IncludeInfo", opts["IncludeInfo"]))


__all__ = ["isPartitionable", "isShuffleable", "partitionByIndex", "preview", "readByIndex", "ArrayDatastore", "CombinedDatastore", "Datastore", "FileDatastore", "ImageDatastore",
           "PixelLabelDatastore", "TabularTextDatastore", "TransformedDatastore", "arrayDatastore", "combine",
           "countEachLabel", "fileDatastore", "imageDatastore", "list_files", "numpartitions", "partition",
           "pixelLabelDatastore", "read", "readall", "readimage", "splitEachLabel", "subset",
           "tabularTextDatastore", "transform"]
