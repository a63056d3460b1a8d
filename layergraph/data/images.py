"""MATLAB's image functions on NumPy arrays in MATLAB layout (H×W or H×W×C, MATLAB classes as dtypes).

``imread``/``imwrite`` (Pillow), ``imresize`` (MATLAB's kernels, coordinate mapping, antialiasing and
dimension order), ``im2single``/``im2double``/``im2uint8``, ``rgb2gray``, ``imcrop``, ``imrotate``,
``flip`` and ``cat``. Every file open asks :mod:`layergraph.policy` first.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError, OptionError
from ..functions import matlab_function
from ..policy import active_policy, check_read, check_write
from .options import choice, logical, name_value

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".pbm", ".pgm", ".ppm",
                    ".pnm", ".ras", ".cur", ".ico", ".jp2", ".pcx", ".hdf", ".xwd", ".webp")
_WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF",
                  ".gif": "GIF", ".pbm": "PPM", ".pgm": "PPM", ".ppm": "PPM", ".pnm": "PPM", ".webp": "WEBP"}


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency of the data extra
        raise DataError("Reading and writing images needs Pillow: pip install 'layergraph[data]'") from None
    return Image


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """MATLAB's round: halves away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# ------------------------------------------------------------------------------------------------
# imread / imwrite


def read_image_file(path, function: str = "imread", frame: int | None = None):
    """(A, map, alpha) of an image file as MATLAB's imread returns them; errors name the file."""
    Image = _pil()
    path = os.fspath(path)
    # the policy decides every open; unconfined (plain Python) callers skip the path resolution it costs
    target = check_read(path, function) if active_policy() is not None else path
    try:
        with Image.open(target) as im:
            if frame is not None:
                try:
                    im.seek(int(frame) - 1)
                except EOFError:
                    raise DataError(f"{function}: '{path}' has no image number {frame}.") from None
            im.load()
            return _from_pil(im)
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{function}: File '{path}' does not exist.") from None
    except IsADirectoryError:
        raise DataError(f"{function}: '{path}' is a folder, not an image file.") from None
    except Exception as exc:  # PIL raises many types for bad files (UnidentifiedImageError, OSError, SyntaxError...)
        raise DataError(f"{function}: Unable to read file '{path}': {exc.__class__.__name__}: {exc}") from None


def _from_pil(im):
    mode = im.mode
    cmap = np.zeros((0, 0))
    alpha = np.zeros((0, 0))
    if mode == "P" or mode == "PA":
        index = np.asarray(im.getchannel(0) if mode == "PA" else im, dtype=np.uint8)
        pal = im.getpalette() or []
        n = len(pal) // 3
        used = int(index.max()) + 1 if index.size else 1
        cmap = np.asarray(pal[:3 * max(n, used)], dtype=np.float64).reshape(-1, 3) / 255.0
        if "transparency" in im.info and isinstance(im.info["transparency"], (bytes, bytearray)):
            pass  # per-entry palette alpha: MATLAB returns it only for PNG through a separate query
        if mode == "PA":
            alpha = np.asarray(im.getchannel(1), dtype=np.uint8)
        return index, cmap, alpha
    if mode == "1":
        return np.asarray(im, dtype=bool), cmap, alpha
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(im).astype(np.uint16), cmap, alpha
    if mode == "I":
        arr = np.asarray(im)
        if arr.size and arr.min() >= 0 and arr.max() <= 65535:
            return arr.astype(np.uint16), cmap, alpha
        return arr.astype(np.int32), cmap, alpha
    if mode == "F":
        return np.asarray(im, dtype=np.float32), cmap, alpha
    if mode == "L":
        return np.asarray(im, dtype=np.uint8), cmap, alpha
    if mode == "LA":
        arr = np.asarray(im, dtype=np.uint8)
        return np.ascontiguousarray(arr[:, :, 0]), cmap, np.ascontiguousarray(arr[:, :, 1])
    if mode == "RGB":
        return np.asarray(im, dtype=np.uint8), cmap, alpha
    if mode == "RGBA":
        arr = np.asarray(im, dtype=np.uint8)
        return np.ascontiguousarray(arr[:, :, :3]), cmap, np.ascontiguousarray(arr[:, :, 3])
    if mode == "CMYK":
        return np.asarray(im, dtype=np.uint8), cmap, alpha   # MATLAB returns the 4 CMYK planes
    return np.asarray(im.convert("RGB"), dtype=np.uint8), cmap, alpha


def read_image_rgb(path, function: str = "readimage") -> np.ndarray:
    """The image a datastore reads: gray or RGB, indexed images through their colormap, alpha dropped."""
    a, cmap, _ = read_image_file(path, function)
    if cmap.size:
        return ind2rgb_uint8(a, cmap)
    return a


def ind2rgb_uint8(index: np.ndarray, cmap: np.ndarray) -> np.ndarray:
    table = np.clip(_round_half_away(cmap * 255.0), 0, 255).astype(np.uint8)
    idx = np.clip(index.astype(np.intp), 0, len(table) - 1)
    return table[idx]


@matlab_function(outputs=("A", "map", "transparency"), data_free=False)
def imread(filename, *args, nargout: int = 1):
    """``A = imread(filename)``, ``[X, map] = imread(...)``, ``[A, map, alpha] = imread(...)``.

    ``A``: uint8/uint16 H×W (gray), H×W×3 (RGB), logical (1-bit), or the index image of an indexed file
    with ``map`` its N×3 double colormap; ``alpha`` the separate H×W transparency (empty if none).
    ``imread(filename, idx)`` reads frame ``idx`` of a multi-image GIF/TIFF. Python returns ``A``;
    ``nargout=2|3`` returns the tuple.
    """
    frame = None
    for a in args:
        if isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool):
            frame = int(a)
        elif isinstance(a, str) and a.lower() in ("frames", "index"):
            continue
    a, cmap, alpha = read_image_file(filename, "imread", frame)
    if nargout <= 1:
        return a
    return (a, cmap, alpha)[:nargout]


@matlab_function(outputs=(), data_free=False)
def imwrite(A, *args, **kwargs):
    """``imwrite(A, filename)``, ``imwrite(X, map, filename)``, ``imwrite(..., 'Alpha', a, 'Quality', q)``.

    uint8/uint16 are written as they are; double/single in [0, 1] are scaled to uint8 (im2uint8), logical
    as 1-bit. The format comes from the extension (or a format argument such as 'png').
    """
    Image = _pil()
    args = list(args)
    cmap = None
    if args and not isinstance(args[0], (str, os.PathLike)):
        cmap = np.asarray(args.pop(0), dtype=np.float64)
    if not args or not isinstance(args[0], (str, os.PathLike)):
        raise OptionError("imwrite: expected imwrite(A, filename) or imwrite(X, map, filename).")
    filename = os.fspath(args.pop(0))
    fmt_arg = None
    if args and isinstance(args[0], str) and len(args) % 2 == 1:
        fmt_arg = args.pop(0).lower()
    opts = name_value("imwrite", args, kwargs, {"Alpha": None, "Quality": 75, "Mode": None, "Compression": None,
                                                "BitDepth": None, "Transparency": None, "Comment": None})
    ext = ("." + fmt_arg) if fmt_arg else Path(filename).suffix.lower()
    if fmt_arg and not Path(filename).suffix:
        filename = filename + "." + fmt_arg
    fmt = _WRITE_FORMATS.get(ext)
    if fmt is None:
        raise DataError(f"imwrite: Unable to determine the file format from the file name '{filename}'.")
    arr = np.asarray(A)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise DataError(f"imwrite: image data must be H×W or H×W×3, got size {'×'.join(map(str, arr.shape))} "
                        f"for '{filename}'.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if cmap is not None:
        idx = arr.astype(np.float64)
        if arr.dtype.kind == "f":
            idx = idx - 1   # double indices are 1-based in MATLAB
        im = Image.fromarray(np.clip(idx, 0, 255).astype(np.uint8))      # 'L'; putpalette makes it 'P'
        pal = np.clip(_round_half_away(cmap * 255), 0, 255).astype(np.uint8).reshape(-1)
        im.putpalette(pal.tolist())
    elif arr.dtype == bool:
        im = Image.fromarray(arr.astype(np.uint8) * 255).convert("1")
    elif arr.dtype == np.uint16 and fmt in ("PNG", "TIFF") and arr.ndim == 2:
        im = Image.fromarray(np.ascontiguousarray(arr))                   # 'I;16'
    else:
        u8 = im2uint8(arr) if arr.dtype != np.uint8 else arr
        im = Image.fromarray(np.ascontiguousarray(u8))                    # 'L', 'RGB' or 'RGBA'
    if opts["Alpha"] is not None:
        alpha = im2uint8(np.asarray(opts["Alpha"]))
        im = im.convert("LA" if im.mode in ("L", "1") else "RGBA")
        im.putalpha(Image.fromarray(np.ascontiguousarray(alpha)))
    resolved = check_write(filename, "imwrite")
    save = {}
    if fmt == "JPEG":
        save["quality"] = int(opts["Quality"])
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
    try:
        im.save(resolved, fmt, **save)
    except OSError as exc:
        raise DataError(f"imwrite: Unable to write file '{filename}': {exc}") from None


# ------------------------------------------------------------------------------------------------
# Class conversions


@functools.lru_cache(maxsize=16)
def _int_range(dtype) -> tuple[float, float]:
    info = np.iinfo(dtype)
    return float(info.min), float(info.max)


def _to_unit(A: np.ndarray) -> np.ndarray:
    """Values of any MATLAB image class on the [0, 1] scale, as float64."""
    A = np.asarray(A)
    if A.dtype == bool:
        return A.astype(np.float64)
    if A.dtype.kind in "ui":
        lo, hi = _int_range(A.dtype)
        return (A.astype(np.float64) - lo) / (hi - lo)
    return A.astype(np.float64)


@matlab_function(outputs=("I2",))
def im2double(A, *args):
    """``im2double(I)``: uint8 /255, uint16 /65535, int16 (x+32768)/65535, logical 0/1; floats unchanged."""
    if args and isinstance(args[0], str) and args[0].lower() == "indexed":
        return np.asarray(A).astype(np.float64) + (1 if np.asarray(A).dtype.kind in "ui" else 0)
    return _to_unit(A)


@matlab_function(outputs=("I2",))
def im2single(A, *args):
    """``im2single(I)``: as im2double, in single precision (float32)."""
    if args and isinstance(args[0], str) and args[0].lower() == "indexed":
        return np.asarray(A).astype(np.float32) + (1 if np.asarray(A).dtype.kind in "ui" else 0)
    A = np.asarray(A)
    if A.dtype == np.float32:
        return A.copy()
    return _to_unit(A).astype(np.float32)


@matlab_function(outputs=("I2",))
def im2uint8(A, *args):
    """``im2uint8(I)``: floats in [0, 1] scaled by 255 (saturating, rounded), uint16 /257, logical ×255."""
    A = np.asarray(A)
    if A.dtype == np.uint8:
        return A.copy()
    if A.dtype == bool:
        return A.astype(np.uint8) * 255
    if A.dtype.kind in "ui":
        x = _to_unit(A) * 255.0
    else:
        x = np.nan_to_num(A.astype(np.float64), nan=0.0) * 255.0
    return np.clip(_round_half_away(x), 0, 255).astype(np.uint8)


def _round_unsigned(x: np.ndarray, dtype) -> np.ndarray:
    """MATLAB's round to an unsigned class (halves up, saturating). Values within 1e-9 of a half count as the
    half, so the last bits of a sum (which depend on how BLAS orders it) never decide the integer."""
    lo, hi = _int_range(dtype)
    return np.floor(np.clip(x, lo, hi) + (0.5 + 1e-9))


def _like(x: np.ndarray, dtype) -> np.ndarray:
    """Cast float results back to an image class: integers rounded and saturated, as MATLAB does."""
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        return _round_unsigned(x, dtype).astype(dtype)
    if dtype.kind == "i":
        lo, hi = _int_range(dtype)
        return np.clip(_round_half_away(x), lo, hi).astype(dtype)
    if dtype == bool:
        return x > 0.5
    return x.astype(dtype)


# MATLAB documents rgb2gray's weights as 0.2989 R + 0.5870 G + 0.1140 B (from the NTSC luma conversion).
RGB2GRAY_WEIGHTS = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


@matlab_function(outputs=("I",))
def rgb2gray(RGB):
    """``I = rgb2gray(RGB)``: weighted sum 0.2989 R + 0.5870 G + 0.1140 B, same class (integers rounded).

    An N×3 colormap gives an N×3 gray colormap.
    """
    A = np.asarray(RGB)
    if A.ndim == 2 and A.shape[1] == 3 and A.dtype.kind == "f":
        g = A @ RGB2GRAY_WEIGHTS
        return np.repeat(g[:, None], 3, axis=1)
    if A.ndim != 3 or A.shape[2] != 3:
        raise DataError(f"rgb2gray: the input must be an H×W×3 RGB image or an N×3 colormap, got size "
                        f"{'×'.join(map(str, A.shape))}.")
    return _like(gray_values(A.astype(np.float64), 2), A.dtype)


def gray_values(x, axis: int):
    """0.2989·R + 0.5870·G + 0.1140·B along ``axis`` (NumPy array or torch tensor), summed in that order."""
    r, g, b = RGB2GRAY_WEIGHTS
    if hasattr(x, "select"):
        return x.select(axis, 0) * r + x.select(axis, 1) * g + x.select(axis, 2) * b
    return np.take(x, 0, axis) * r + np.take(x, 1, axis) * g + np.take(x, 2, axis) * b


# ------------------------------------------------------------------------------------------------
# imresize


def _cubic(x):
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
            + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def _triangle(x):
    return (x + 1) * ((-1 <= x) & (x < 0)) + (1 - x) * ((0 <= x) & (x <= 1))


def _box(x):
    return ((-0.5 <= x) & (x < 0.5)).astype(np.float64)


def _lanczos(a):
    def k(x):
        return np.sinc(x) * np.sinc(x / a) * (np.abs(x) < a)
    return k


RESIZE_KERNELS = {"nearest": (_box, 1.0), "bilinear": (_triangle, 2.0), "bicubic": (_cubic, 4.0),
                  "box": (_box, 1.0), "triangle": (_triangle, 2.0), "cubic": (_cubic, 4.0),
                  "lanczos2": (_lanczos(2), 4.0), "lanczos3": (_lanczos(3), 6.0)}


@functools.lru_cache(maxsize=256)
def resize_taps(in_len: int, out_len: int, scale: float, method: str, antialiasing: bool):
    """(indices, weights), each out_len×P: output pixel i is Σ_k weights[i, k] · input[indices[i, k]] (0-based).

    The sparse form of :func:`resize_weights` (same numbers, taps merged per input pixel and empty taps
    dropped); imresize and augmentedImageDatastore sum the taps in this order.
    """
    dense = resize_weights(in_len, out_len, scale, method, antialiasing)
    nz = [np.flatnonzero(row) for row in dense]
    p = max(1, max(len(z) for z in nz))
    ind = np.zeros((out_len, p), dtype=np.int64)
    w = np.zeros((out_len, p))
    for i, z in enumerate(nz):
        ind[i, :len(z)] = z
        ind[i, len(z):] = z[-1] if len(z) else 0
        w[i, :len(z)] = dense[i, z]
    return ind, w


def resize_along(x, dim: int, ind: np.ndarray, w: np.ndarray):
    """Σ_k w[:, k] · x[ind[:, k]] along axis ``dim`` of a NumPy array or torch tensor (float64), taps in order."""
    shape = [1] * x.ndim
    shape[dim] = ind.shape[0]
    acc = None
    for k in range(ind.shape[1]):
        if hasattr(x, "index_select"):
            import torch

            part = x.index_select(dim, torch.from_numpy(ind[:, k])) * torch.from_numpy(w[:, k].reshape(shape))
        else:
            part = np.take(x, ind[:, k], axis=dim) * w[:, k].reshape(shape)
        acc = part if acc is None else acc + part
    return acc


@functools.lru_cache(maxsize=256)
def resize_weights(in_len: int, out_len: int, scale: float, method: str, antialiasing: bool) -> np.ndarray:
    """The out_len×in_len matrix imresize applies along one dimension.

    Output pixel x (1-based) sits at input coordinate u = x/scale + 0.5·(1 − 1/scale). The kernel is
    evaluated at u − j for the ceil(width)+2 input pixels j around u; when shrinking with antialiasing
    it is stretched to h(t) = scale·k(scale·t) with width/scale. Weights are normalised to sum 1 and
    indices beyond the edges are mirrored (symmetric padding).
    """
    kernel, width = RESIZE_KERNELS[method]
    if scale < 1 and antialiasing:
        h = lambda t: scale * kernel(scale * t)  # noqa: E731
        width = width / scale
    else:
        h = kernel
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    p = int(math.ceil(width)) + 2
    ind = left[:, None] + np.arange(p)[None, :]
    w = h(u[:, None] - ind)
    w = w / w.sum(axis=1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    cols = aux[np.mod(ind.astype(np.int64) - 1, 2 * in_len)] - 1
    out = np.zeros((out_len, in_len))
    np.add.at(out, (np.repeat(np.arange(out_len), p), cols.reshape(-1)), w.reshape(-1))
    return out


def _resize_args(A, args, kwargs):
    defaults = {"Method": None, "Antialiasing": None, "OutputSize": None, "Scale": None, "Colormap": "optimized",
                "Dither": True}
    args = list(args)
    size_or_scale = None
    if args and not isinstance(args[0], str):
        size_or_scale = args.pop(0)
    method = None
    if args and isinstance(args[0], str) and args[0].lower() in RESIZE_KERNELS:
        method = args.pop(0).lower()
    opts = name_value("imresize", args, kwargs, defaults)
    if opts["Method"] is not None:
        method = choice("imresize", "Method", opts["Method"], tuple(RESIZE_KERNELS))
    method = method or "bicubic"
    if opts["OutputSize"] is not None:
        size_or_scale = opts["OutputSize"]
    elif opts["Scale"] is not None:
        size_or_scale = opts["Scale"]
    if size_or_scale is None:
        raise OptionError("imresize: give a scale factor or an output size [numrows numcols].")
    aa = opts["Antialiasing"]
    aa = (method != "nearest") if aa is None else logical("imresize", "Antialiasing", aa)
    rows, cols = A.shape[0], A.shape[1]
    s = np.asarray(size_or_scale, dtype=np.float64).reshape(-1)
    if s.size == 1:
        if not s[0] > 0:
            raise OptionError(f"imresize: the scale factor must be positive, got {s[0]!r}.")
        scale = (float(s[0]), float(s[0]))
        out = (int(math.ceil(s[0] * rows)), int(math.ceil(s[0] * cols)))
    elif s.size == 2:
        if np.isnan(s).all():
            raise OptionError("imresize: at most one element of the output size may be NaN.")
        if np.isnan(s[0]):
            sc = s[1] / cols
            out = (int(math.ceil(sc * rows)), int(s[1]))
        elif np.isnan(s[1]):
            sc = s[0] / rows
            out = (int(s[0]), int(math.ceil(sc * cols)))
        else:
            out = (int(s[0]), int(s[1]))
        if min(out) < 1 or np.any(s[~np.isnan(s)] != np.round(s[~np.isnan(s)])):
            raise OptionError(f"imresize: the output size must be positive integers, got {s.tolist()}.")
        if np.isnan(s).any():
            scale = (sc, sc)
        else:
            scale = (out[0] / rows, out[1] / cols)
    else:
        raise OptionError(f"imresize: the second argument must be a scale or [numrows numcols], got {s.tolist()}.")
    return out, scale, method, aa


@matlab_function(outputs=("B",))
def imresize(A, *args, **kwargs):
    """``B = imresize(A, scale | [numrows numcols], method, 'Antialiasing', tf)`` — MATLAB's algorithm.

    Default method 'bicubic' (Keys cubic, a = −0.5); 'nearest', 'bilinear', 'box', 'triangle', 'cubic',
    'lanczos2', 'lanczos3'. Antialiasing (default true except for 'nearest') widens the kernel by 1/scale
    when shrinking. A scale gives ceil(scale·size); NaN in the size keeps the aspect ratio. The dimension
    with the smaller scale is resized first; integer images are rounded and saturated after each pass, as
    MATLAB does. Only the first two dimensions are resized.
    """
    A = np.asarray(A)
    if A.ndim < 2 or A.size == 0:
        raise DataError("imresize: the image must be a nonempty array with at least two dimensions.")
    out, scale, method, aa = _resize_args(A, args, kwargs)
    return resize_image(A, out, scale, method, aa)


def resize_image(A: np.ndarray, out, scale=None, method: str = "bicubic", antialiasing: bool = True) -> np.ndarray:
    """Resize H×W[×C…] ``A`` to ``out`` (rows, cols) as imresize does."""
    rows, cols = A.shape[0], A.shape[1]
    if scale is None:
        scale = (out[0] / rows, out[1] / cols)
    dtype = A.dtype
    is_bool = dtype == bool
    x = A.astype(np.float64) if (dtype.kind in "uib") else A
    order = (0, 1) if scale[0] <= scale[1] else (1, 0)
    for dim in order:
        if x.shape[dim] == out[dim] and scale[dim] == 1:
            continue
        ind, w = resize_taps(x.shape[dim], out[dim], float(scale[dim]), method, antialiasing)
        x = resize_along(x, dim, ind, w)
        if dtype.kind == "u":
            x = _round_unsigned(x, dtype)
        elif dtype.kind == "i":
            x = np.clip(_round_half_away(x), *_int_range(dtype))
    if is_bool:
        return x > 0.5
    if dtype.kind in "ui":
        return x.astype(dtype)
    return x.astype(dtype, copy=False)


# ------------------------------------------------------------------------------------------------
# Geometry: sampling, imcrop, imrotate, flip, cat


def sample_image(A: np.ndarray, xs: np.ndarray, ys: np.ndarray, method: str = "bilinear", fill=0.0) -> np.ndarray:
    """Values of H×W[×C] ``A`` at 1-based spatial coordinates (x = column, y = row).

    The image is taken as extended without end by ``fill`` (per channel) and interpolated: bilinear and
    bicubic samples near the border blend the edge pixels with the fill value, as when an image is padded
    with its fill value before interpolation; 'nearest' takes the closest pixel, or ``fill`` beyond
    half a pixel outside the image. Returns float64 with the shape of ``xs`` (plus C).
    """
    h, w = A.shape[:2]
    img = A.astype(np.float64, copy=False).reshape(h, w, -1)
    c = img.shape[2]
    fillv = np.broadcast_to(np.asarray(fill, dtype=np.float64).reshape(-1), (c,))
    pad = {"nearest": 1, "bilinear": 1, "bicubic": 2}.get(method)
    if pad is None:
        raise OptionError(f"interpolation method must be 'nearest', 'bilinear' or 'bicubic', got {method!r}.")
    big = np.empty((h + 2 * pad, w + 2 * pad, c))
    big[...] = fillv
    big[pad:pad + h, pad:pad + w] = img
    # 0-based coordinates in the padded image; anything beyond the padding is fill as well
    x = xs + (pad - 1)
    y = ys + (pad - 1)
    hp, wp = h + 2 * pad, w + 2 * pad
    if method == "nearest":
        xi = _round_half_away(x)
        yi = _round_half_away(y)
        ok = (xi >= 0) & (xi <= wp - 1) & (yi >= 0) & (yi <= hp - 1)
        out = big[np.clip(yi, 0, hp - 1).astype(np.intp), np.clip(xi, 0, wp - 1).astype(np.intp)]
    elif method == "bilinear":
        ok = (x >= 0) & (x <= wp - 1) & (y >= 0) & (y <= hp - 1)
        x = np.clip(x, 0, wp - 1)
        y = np.clip(y, 0, hp - 1)
        x0 = np.minimum(np.floor(x).astype(np.intp), wp - 2)
        y0 = np.minimum(np.floor(y).astype(np.intp), hp - 2)
        fx = (x - x0)[..., None]
        fy = (y - y0)[..., None]
        out = ((big[y0, x0] * (1 - fx) + big[y0, x0 + 1] * fx) * (1 - fy)
               + (big[y0 + 1, x0] * (1 - fx) + big[y0 + 1, x0 + 1] * fx) * fy)
    else:
        ok = (x >= 1) & (x <= wp - 2) & (y >= 1) & (y <= hp - 2)
        x = np.clip(x, 1, wp - 2)
        y = np.clip(y, 1, hp - 2)
        x0 = np.minimum(np.floor(x).astype(np.intp), wp - 3)
        y0 = np.minimum(np.floor(y).astype(np.intp), hp - 3)
        out = np.zeros(xs.shape + (c,))
        for dy in (-1, 0, 1, 2):
            wy = _cubic(y - (y0 + dy))[..., None]
            yy = np.clip(y0 + dy, 0, hp - 1)
            for dx in (-1, 0, 1, 2):
                wx = _cubic(x - (x0 + dx))[..., None]
                out += big[yy, np.clip(x0 + dx, 0, wp - 1)] * wx * wy
    out = np.where(ok[..., None], out, fillv)
    return out.reshape(xs.shape + A.shape[2:])


@matlab_function(outputs=("J", "rect"))
def imcrop(I, rect, nargout: int = 1):
    """``J = imcrop(I, [xmin ymin width height])``: columns round(xmin)…round(xmin+width), rows likewise.

    As in MATLAB, an integer rectangle of width w gives w+1 columns (both edges' pixels are included).
    """
    A = np.asarray(I)
    r = np.asarray(rect, dtype=np.float64).reshape(-1)
    if r.size != 4:
        raise OptionError(f"imcrop: rect must be [xmin ymin width height], got {r.tolist()}.")
    h, w = A.shape[:2]
    c1, c2 = int(_round_half_away(r[0])), int(_round_half_away(r[0] + r[2]))
    r1, r2 = int(_round_half_away(r[1])), int(_round_half_away(r[1] + r[3]))
    c1, r1 = max(c1, 1), max(r1, 1)
    c2, r2 = min(c2, w), min(r2, h)
    J = A[r1 - 1:r2, c1 - 1:c2].copy() if (c2 >= c1 and r2 >= r1) else A[:0, :0].copy()
    return J if nargout <= 1 else (J, r)


@matlab_function(outputs=("J",))
def imrotate(I, angle, method: str = "nearest", bbox: str = "loose"):
    """``J = imrotate(I, angle, method, bbox)``: counterclockwise by ``angle`` degrees about the centre.

    method 'nearest' (default), 'bilinear', 'bicubic'; bbox 'loose' (default, the whole rotated image,
    zeros outside) or 'crop' (the size of I). Multiples of 90° are exact (rot90).
    """
    A = np.asarray(I)
    method = choice("imrotate", "method", method, ("nearest", "bilinear", "bicubic"))
    bbox = choice("imrotate", "bbox", bbox, ("loose", "crop"))
    angle = float(angle)
    k = angle / 90.0
    if k == round(k):
        J = np.rot90(A, int(round(k)) % 4, axes=(0, 1)).copy()
        if bbox == "crop" and J.shape[:2] != A.shape[:2]:
            h, w = A.shape[:2]
            oy, ox = (J.shape[0] - h) // 2, (J.shape[1] - w) // 2
            if oy >= 0 and ox >= 0:
                J = J[oy:oy + h, ox:ox + w]
            else:
                pad = np.zeros(A.shape, dtype=A.dtype)
                hh, ww = min(h, J.shape[0]), min(w, J.shape[1])
                py, px = (h - hh) // 2, (w - ww) // 2
                jy, jx = (J.shape[0] - hh) // 2, (J.shape[1] - ww) // 2
                pad[py:py + hh, px:px + ww] = J[jy:jy + hh, jx:jx + ww]
                J = pad
        return J
    h, w = A.shape[:2]
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    if bbox == "loose":
        oh = int(math.ceil(abs(h * c) + abs(w * s) - 1e-9))
        ow = int(math.ceil(abs(w * c) + abs(h * s) - 1e-9))
    else:
        oh, ow = h, w
    # output pixel (x', y') about the output centre maps back to the input through the inverse rotation;
    # counterclockwise on screen (y down) means x' = c·x + s·y, y' = −s·x + c·y about the centres
    yo, xo = np.meshgrid(np.arange(1, oh + 1) - (oh + 1) / 2, np.arange(1, ow + 1) - (ow + 1) / 2, indexing="ij")
    xs = c * xo - s * yo + (w + 1) / 2
    ys = s * xo + c * yo + (h + 1) / 2
    out = sample_image(A, xs, ys, method, 0.0)
    return _like(out, A.dtype)


# Not registered: MATLAB's flip is the registry's base function (layergraph/matlab/base/arrays.py, the
# same rule on any MATLAB array); this is the Python API's flip for images.
def flip(A, dim=None):
    """``B = flip(A, dim)``: reverse the order along dimension ``dim`` (default: first non-singleton)."""
    A = np.asarray(A)
    if dim is None:
        dims = [i for i, n in enumerate(A.shape) if n != 1]
        d = dims[0] if dims else 0
    else:
        d = int(dim) - 1
        if d < 0:
            raise OptionError(f"flip: dim must be a positive integer, got {dim!r}.")
        if d >= A.ndim:
            return A.copy()
    return np.flip(A, axis=d).copy()


@matlab_function(outputs=("C",))
def cat(dim, *arrays):
    """``C = cat(dim, A, B, ...)``: concatenate along MATLAB dimension ``dim`` (images: 3 = channels, 4 = N)."""
    d = int(dim) - 1
    if d < 0:
        raise OptionError(f"cat: dim must be a positive integer, got {dim!r}.")
    arrs = [np.asarray(a) for a in arrays if np.asarray(a).size or np.asarray(a).ndim > 2]
    if not arrs:
        return np.zeros((0, 0))
    nd = max(max(a.ndim for a in arrs), d + 1, 2)
    arrs = [a.reshape(a.shape + (1,) * (nd - a.ndim)) for a in arrs]
    try:
        return np.concatenate(arrs, axis=d)
    except ValueError:
        sizes = ", ".join("×".join(map(str, a.shape)) for a in arrs)
        raise OptionError(f"cat: dimensions of arrays being concatenated are not consistent ({sizes}).") from None


__all__ = ["IMAGE_EXTENSIONS", "RESIZE_KERNELS", "RGB2GRAY_WEIGHTS", "cat", "flip", "im2double", "im2single",
           "im2uint8", "imcrop", "imread", "imresize", "imrotate", "imwrite", "read_image_file", "read_image_rgb",
           "resize_image", "resize_weights", "rgb2gray", "sample_image"]
