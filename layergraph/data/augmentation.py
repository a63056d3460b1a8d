"""imageDataAugmenter, augment and augmentedImageDatastore.

Geometry conventions (documented in docs/data.md): images in MATLAB's intrinsic coordinates, x = column
(right), y = row (down), pixel centres at integers 1..W / 1..H. An augmenter draws one random affine map
and applies it about the image centre c = ((W+1)/2, (H+1)/2):

    p_out = A · (p_in − c) + c + t,   A = Shear · Scale · Rotation · Reflection

with Rotation(θ) = [cos θ  −sin θ; sin θ  cos θ] acting on (x, y) — because y points down, a positive
angle turns the picture clockwise on screen — reflection x → −x (RandXReflection) / y → −y, Scale
diag(sx, sy), Shear [1 tan φx; tan φy 1] and t = (tx, ty) in pixels (positive tx moves the picture
right, positive ty down). The output has the input's size; samples are bilinear for numeric images
(nearest for categorical) and FillValue outside the input's extent.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import DataError, OptionError
from ..functions import matlab_function
from .datastore import AugmentedLike, Datastore, ImageDatastore, _categorical
from .images import _int_range, _like, gray_values, resize_weights, sample_image
from .options import choice, logical, name_value

_RANGE_PROPS = {"RandRotation": (0.0, 0.0), "RandScale": (1.0, 1.0), "RandXScale": (1.0, 1.0),
                "RandYScale": (1.0, 1.0), "RandXShear": (0.0, 0.0), "RandYShear": (0.0, 0.0),
                "RandXTranslation": (0.0, 0.0), "RandYTranslation": (0.0, 0.0)}
_SHEAR_LIMIT = 90.0


class ImageDataAugmenter:
    """``imageDataAugmenter``: random reflection, rotation, scale, shear and translation settings."""

    MATLAB_PROPERTIES = ("FillValue", "RandXReflection", "RandYReflection", "RandRotation", "RandScale",
                         "RandXScale", "RandYScale", "RandXShear", "RandYShear", "RandXTranslation",
                         "RandYTranslation")
    MATLAB_SETTABLE = MATLAB_PROPERTIES
    MATLAB_METHODS = ("augment",)

    def __init__(self, **props):
        object.__setattr__(self, "_values", {"FillValue": 0.0, "RandXReflection": False, "RandYReflection": False,
                                             **{k: v for k, v in _RANGE_PROPS.items()}})
        for k, v in props.items():
            setattr(self, k, v)

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            v = values[name]
            return np.array(v, dtype=np.float64).reshape(1, 2) if isinstance(v, tuple) else v
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name not in self.MATLAB_PROPERTIES:
            raise OptionError(f"imageDataAugmenter: '{name}' is not a property. Valid properties: "
                              + ", ".join(self.MATLAB_PROPERTIES) + ".")
        self._values[name] = _validate(name, value)

    def __reduce__(self):
        return (_rebuild_augmenter, (dict(self._values),))

    def draw(self, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """One random (A, t): the 2×2 linear part and translation (x, y) described in the module docs."""
        rng = np.random if rng is None else rng
        v = self._values
        rx = -1.0 if (v["RandXReflection"] and rng.random() < 0.5) else 1.0
        ry = -1.0 if (v["RandYReflection"] and rng.random() < 0.5) else 1.0
        theta = math.radians(_draw(v["RandRotation"], rng))
        c, s = math.cos(theta), math.sin(theta)
        if v["RandScale"] != (1.0, 1.0):
            sx = sy = _draw(v["RandScale"], rng)
        else:
            sx, sy = _draw(v["RandXScale"], rng), _draw(v["RandYScale"], rng)
        shx = math.tan(math.radians(_draw(v["RandXShear"], rng)))
        shy = math.tan(math.radians(_draw(v["RandYShear"], rng)))
        t = np.array([_draw(v["RandXTranslation"], rng), _draw(v["RandYTranslation"], rng)])
        # Shear · Scale · Rotation · Reflection, multiplied out
        r00, r01, r10, r11 = c * rx, -s * ry, s * rx, c * ry
        m00, m01, m10, m11 = sx * r00, sx * r01, sy * r10, sy * r11
        A = np.array([[m00 + shx * m10, m01 + shx * m11], [shy * m00 + m10, shy * m01 + m11]])
        return A, t

    def is_identity(self) -> bool:
        v = self._values
        return (not v["RandXReflection"] and not v["RandYReflection"]
                and all(v[k] == d for k, d in _RANGE_PROPS.items()))

    def augment(self, I):
        return augment(self, I)

    def __repr__(self):
        lines = ["  imageDataAugmenter with properties:", ""]
        for k in self.MATLAB_PROPERTIES:
            v = self._values[k]
            if isinstance(v, tuple):
                text = f"[{_num(v[0])} {_num(v[1])}]"
            elif callable(v):
                text = "@" + getattr(v, "__name__", "fcn")
            elif isinstance(v, bool):
                text = str(int(v))
            else:
                text = _num(v) if np.ndim(v) == 0 else "[" + " ".join(_num(x) for x in np.ravel(v)) + "]"
            lines.append(f"{k:>20}: {text}")
        return "\n".join(lines)


def _rebuild_augmenter(values):
    aug = ImageDataAugmenter()
    aug._values.update(values)
    return aug


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def _draw(spec, rng) -> float:
    if callable(spec):
        value = np.asarray(spec(), dtype=np.float64).reshape(-1)
        if value.size != 1:
            raise DataError("imageDataAugmenter: a range function must return one number.")
        return float(value[0])
    lo, hi = spec
    if lo == hi:
        return lo
    return lo + (hi - lo) * rng.random()


def _validate(name, value):
    if name in ("RandXReflection", "RandYReflection"):
        return logical("imageDataAugmenter", name, value)
    if name == "FillValue":
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
        if arr.size == 0:
            raise OptionError("imageDataAugmenter: 'FillValue' must be a numeric scalar or vector.")
        return float(arr[0]) if arr.size == 1 else tuple(arr.tolist())
    if callable(value):
        return value
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise OptionError(f"imageDataAugmenter: '{name}' must be a two-element vector [min max] or a function "
                          f"handle, got {value!r}.") from None
    if arr.size != 2 or not np.isfinite(arr).all() or arr[0] > arr[1]:
        raise OptionError(f"imageDataAugmenter: '{name}' must be a two-element vector [min max] with min <= max, "
                          f"got {value!r}.")
    if "Scale" in name and arr[0] <= 0:
        raise OptionError(f"imageDataAugmenter: '{name}' values must be positive, got {arr.tolist()}.")
    if "Shear" in name and (abs(arr) >= _SHEAR_LIMIT).any():
        raise OptionError(f"imageDataAugmenter: '{name}' angles must be in (-90, 90) degrees, got {arr.tolist()}.")
    return (float(arr[0]), float(arr[1]))


@matlab_function(outputs=("aug",))
def imageDataAugmenter(*args, **kwargs):
    """``aug = imageDataAugmenter('RandXReflection', tf, 'RandRotation', [min max], 'RandScale', [min max],
    'RandXScale', ..., 'RandYScale', ..., 'RandXShear', ..., 'RandYShear', ..., 'RandXTranslation', [min max],
    'RandYTranslation', [min max], 'FillValue', v)``; ranges or function handles returning one value.
    Defaults give the identity transformation."""
    defaults = {k: None for k in ImageDataAugmenter.MATLAB_PROPERTIES}
    opts = name_value("imageDataAugmenter", args, kwargs, defaults)
    return ImageDataAugmenter(**{k: v for k, v in opts.items() if v is not None})


def warp_image(img: np.ndarray, A: np.ndarray, t: np.ndarray, fill, method: str = "bilinear") -> np.ndarray:
    """Apply p_out = A(p_in − c) + c + t to H×W[×C] ``img`` (output the same size), by inverse mapping.

    Bilinear samples of the image extended without end by the fill value (the rule of
    :func:`layergraph.data.images.sample_image`). Bilinear warps run in torch's grid_sample (zero padding
    of ``img − fill``, which is the same rule; float64 for float64 images, float32 otherwise); 'nearest'
    and 'bicubic' in NumPy. Returns float64.
    """
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    fillv = np.asarray(fill, dtype=np.float64).reshape(-1)
    if fillv.size not in (1, c):
        raise DataError(f"imageDataAugmenter: FillValue has {fillv.size} values but the image has {c} channels.")
    inv = _inverse(A)
    cx, cy = (w + 1) / 2.0, (h + 1) / 2.0
    if method == "bilinear":
        import torch

        x = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float64).reshape(1, h, w, c)).permute(0, 3, 1, 2)
        out = _grid_sample(x, [inv], [t], fillv, img.dtype == np.float64)
        return out.permute(0, 2, 3, 1).reshape(img.shape).numpy()
    ys, xs = np.mgrid[1:h + 1, 1:w + 1].astype(np.float64)
    dx, dy = xs - cx - t[0], ys - cy - t[1]
    src_x = inv[0, 0] * dx + inv[0, 1] * dy + cx
    src_y = inv[1, 0] * dx + inv[1, 1] * dy + cy
    return sample_image(img, src_x, src_y, method, fillv)


def _warp_tensor(x, As, ts, fill, double: bool, widen: bool = True):
    """Warp each image of an N×C×H×W float tensor by its own (A, t); float64 result (see warp_image), or
    the working precision's when not ``widen``."""
    n, c, h, w = x.shape
    fillv = np.asarray(fill, dtype=np.float64).reshape(-1)
    if fillv.size not in (1, c):
        raise DataError(f"imageDataAugmenter: FillValue has {fillv.size} values but the image has {c} channels.")
    invs = [_inverse(A) for A in As]
    return _grid_sample(x, invs, ts, fillv, double, widen)


def _inverse(A) -> np.ndarray:
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    if det == 0:
        raise DataError("imageDataAugmenter: the drawn transformation is singular (a scale of 0?).")
    return np.array([[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]]) / det


def _round_like(x, dtype):
    """Values of a float64 tensor rounded and saturated to an integer class, as MATLAB stores them (see
    images._round_unsigned); float classes unchanged (single rounded to float32 precision)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        lo, hi = _int_range(dtype)
        nudge = 1e-9 if x.element_size() == 8 else 1e-4   # a tie computed a rounding error below .5
        return x.clamp(lo, hi).add_(0.5 + nudge).floor_()
    if dtype.kind == "i":
        lo, hi = _int_range(dtype)
        return (x.abs() + 0.5).floor().mul(x.sign()).clamp(lo, hi)
    if dtype == np.float32:
        return x.float().double()
    return x


@functools.lru_cache(maxsize=32)
def _base_grid(h: int, w: int) -> np.ndarray:
    """H×W×3 normalised pixel centres (u, v, 1), align_corners=False."""
    u = (2 * np.arange(w) + 1) / w - 1
    v = (2 * np.arange(h) + 1) / h - 1
    g = np.ones((h, w, 3))
    g[:, :, 0] = u[None, :]
    g[:, :, 1] = v[:, None]
    return g


def _grid_sample(x, invs, ts, fillv: np.ndarray, double: bool, widen: bool = True):
    """N×C×H×W float64 tensor, each image inverse-mapped by its own 2×2 ``inv`` and translation ``t``
    (bilinear over the image extended by the fill value); float64 N×C×H×W tensor. Float64 images are
    sampled in double precision, others in single (then widened)."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    tdtype = torch.float64 if double else torch.float32
    # pixel p (1-based) <-> normalised u = 2(p − c)/size (align_corners=False); in those units the inverse map
    # is u_src = D⁻¹·inv·D·u_out − D⁻¹·inv·t with D = diag(W/2, H/2)
    d = np.array([w / 2.0, h / 2.0])
    inv = np.stack(invs)                                                    # n×2×2
    t = np.asarray(ts, dtype=np.float64).reshape(n, 2)
    thetas = np.empty((n, 2, 3))
    thetas[:, :, :2] = inv * d[None, None, :] / d[None, :, None]
    thetas[:, :, 2] = -np.einsum("nij,nj->ni", inv, t) / d[None, :]
    base = torch.from_numpy(_base_grid(h, w)).to(tdtype).reshape(h * w, 3)
    coeffs = torch.from_numpy(np.ascontiguousarray(thetas.transpose(2, 0, 1).reshape(3, n * 2))).to(tdtype)
    grid = (base @ coeffs).reshape(h, w, n, 2).permute(2, 0, 1, 3).contiguous()   # one GEMM for the batch
    f = torch.from_numpy(np.array(np.broadcast_to(fillv, (c,)), dtype=np.float64)).reshape(1, c, 1, 1) \
        if fillv.any() else None
    src = (x.double() - f) if f is not None else x
    out = F.grid_sample(src.to(tdtype), grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    out = out.double() if widen else out
    return out + f.to(out.dtype) if f is not None else out


def _apply(aug: ImageDataAugmenter, images: list, A, t):
    from ..values.categorical import Categorical

    out = []
    for img in images:
        if isinstance(img, Categorical):
            codes = img.codes.astype(np.float64)
            warped = warp_image(codes, A, t, -1.0, "nearest")
            out.append(Categorical(np.round(warped).astype(np.int64), img.categories, img.ordinal))
            continue
        arr = np.asarray(img)
        if arr.ndim not in (2, 3):
            raise DataError(f"augment: images must be H×W or H×W×C arrays, got size {'×'.join(map(str, arr.shape))}.")
        warped = warp_image(arr, A, t, aug._values["FillValue"], "bilinear")
        out.append(_like(warped, arr.dtype))
    return out


@matlab_function(outputs=("augI",))
def augment(augmenter, I):
    """``augI = augment(augmenter, I)``: one random transformation applied to ``I`` (an image, or a list of images
    — numeric or categorical — all transformed identically)."""
    if not isinstance(augmenter, ImageDataAugmenter):
        raise OptionError("augment: the first argument must be an imageDataAugmenter.")
    if hasattr(I, "items") and callable(I.items) and not isinstance(I, dict):
        I = I.items()
    many = isinstance(I, (list, tuple))
    images = list(I) if many else [I]
    A, t = augmenter.draw()
    out = _apply(augmenter, images, A, t)
    return out if many else out[0]


# ------------------------------------------------------------------------------------------------
# augmentedImageDatastore


class AugmentedImageDatastore(Datastore, AugmentedLike):
    """``augmentedImageDatastore``: images from an imageDatastore, an array or a table, colour-converted,
    augmented and resized/cropped to OutputSize as they are read; nothing is kept in memory."""

    MATLAB_PROPERTIES = ("ColorPreprocessing", "DataAugmentation", "DispatchInBackground", "MiniBatchSize",
                         "NumObservations", "OutputSize", "OutputSizeMode")
    MATLAB_SETTABLE = ("ColorPreprocessing", "DataAugmentation", "DispatchInBackground", "MiniBatchSize",
                       "OutputSize", "OutputSizeMode")
    MATLAB_METHODS = ("read", "readall", "readByIndex", "hasdata", "reset", "preview", "shuffle", "subset",
                      "partitionByIndex", "numpartitions", "combine", "transform", "isShuffleable",
                      "isPartitionable")
    _function = "augmentedImageDatastore"

    def __init__(self, output_size, source, responses, codes, categories, response_name="response"):
        super().__init__()
        self._source = source            # ImageDatastore, or an H×W×C×N array
        self._responses = responses      # numeric N×R responses (regression) or None
        self._codes = codes              # label codes (classification) or None
        self._categories = categories
        self._response_name = response_name
        self.OutputSize = output_size
        self.OutputSizeMode = "resize"
        self.ColorPreprocessing = "none"
        self.DataAugmentation = "none"
        self.DispatchInBackground = False
        self.MiniBatchSize = 128

    def __setattr__(self, name, value):
        if name == "OutputSize":
            arr = np.asarray(value, dtype=np.float64).reshape(-1)
            if arr.size not in (2, 3) or np.any(arr < 1) or np.any(arr != np.round(arr)):
                raise OptionError(f"augmentedImageDatastore: 'OutputSize' must be [height width] (or [h w c]) "
                                  f"positive integers, got {value!r}.")
            value = tuple(int(x) for x in arr[:2])
        elif name == "OutputSizeMode":
            value = choice(self._function, "OutputSizeMode", value, ("resize", "centercrop", "randcrop"))
        elif name == "ColorPreprocessing":
            value = choice(self._function, "ColorPreprocessing", value, ("none", "gray2rgb", "rgb2gray"))
        elif name == "DataAugmentation":
            if isinstance(value, str):
                value = choice(self._function, "DataAugmentation", value, ("none",))
            elif not isinstance(value, ImageDataAugmenter):
                raise OptionError("augmentedImageDatastore: 'DataAugmentation' must be 'none' or an imageDataAugmenter.")
        elif name == "DispatchInBackground":
            value = logical(self._function, "DispatchInBackground", value)
        elif name == "MiniBatchSize":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < 1 \
                    or int(value) != value:
                raise OptionError(f"augmentedImageDatastore: 'MiniBatchSize' must be a positive integer, got {value!r}.")
            value = int(value)
            object.__setattr__(self, "_read_size", value)
        object.__setattr__(self, name, value)

    @property
    def NumObservations(self) -> int:
        return self.num_observations()

    @property
    def ReadSize(self):
        return self.MiniBatchSize

    def num_observations(self) -> int:
        if isinstance(self._source, Datastore):
            return self._source.num_observations()
        return self._source.shape[3] if self._source.ndim == 4 else 1

    def underlying_labels_source(self):
        if isinstance(self._source, ImageDatastore) and self._codes is None:
            return self._source
        return _LabelHolder(self._codes, self._categories)

    @property
    def targets(self):
        """Labels as a categorical (classification), numeric responses, or None."""
        if self._codes is not None:
            return _categorical(self._codes, self._categories)
        if self._responses is not None:
            return list(self._responses)
        if isinstance(self._source, ImageDatastore) and self._source._codes is not None:
            return self._source.Labels
        return None

    def label_at(self, i: int):
        if self._codes is not None:
            k = int(self._codes[i])
            return self._categories[k] if k >= 0 else None
        if self._responses is not None:
            return self._responses[i]
        if isinstance(self._source, ImageDatastore):
            return self._source.label_at(i)
        return None

    def _raw(self, i: int) -> np.ndarray:
        if isinstance(self._source, Datastore):
            img = self._source.read_at(i)
            if isinstance(img, list) and len(img) == 1:
                img = img[0]
            return np.asarray(img)
        return self._source[:, :, :, i]

    def read_at(self, i: int) -> np.ndarray:
        """Observation ``i`` after colour preprocessing, augmentation and resizing/cropping (MATLAB layout)."""
        return self.read_many([i])[0]

    def read_many(self, indices) -> list[np.ndarray]:
        """Observations ``indices`` (0-based), transformed together when their images share one size."""
        raws = [self._raw(i) for i in indices]
        return self._named(indices, lambda: self.transform_batch(raws))

    def read_batch_tensor(self, indices):
        """Observations ``indices`` as one float32 tensor N×C×H×W (torch layout, values of the image class),
        or None when the images differ in size or class. The training path of :mod:`layergraph.training`."""
        raws = [self._raw(i) for i in indices]
        keys = {(np.asarray(r).shape, np.asarray(r).dtype.str) for r in raws}
        if len(keys) != 1:
            return None
        x, _ = self._named(indices, lambda: self._pipeline(raws, self._draws(raws)))
        return x.float()

    def _named(self, indices, run):
        try:
            return run()
        except DataError as exc:
            if len(indices) == 1 or not isinstance(self._source, ImageDatastore):
                i = indices[0]
                where = (f" ('{self._source._files[i]}')" if isinstance(self._source, ImageDatastore)
                         else f" (observation {i + 1})")
                if len(indices) == 1:
                    raise DataError(f"{exc}{where}") from None
                raise
            for i in indices:        # find the image the error is about
                try:
                    self.transform_batch([self._raw(i)])
                except DataError:
                    raise DataError(f"{exc} ('{self._source._files[i]}')") from None
            raise

    def transform_image(self, img: np.ndarray, rng=None) -> np.ndarray:
        return self.transform_batch([img], rng)[0]

    def _draws(self, imgs, rng=None) -> list:
        """Random draws image by image in order (augmentation, then the random crop)."""
        aug = self.DataAugmentation
        augmenting = isinstance(aug, ImageDataAugmenter) and not aug.is_identity()
        r = np.random if rng is None else rng
        draws = []
        for img in imgs:
            A, t = aug.draw(r) if augmenting else (None, None)
            crop = None
            if self.OutputSizeMode == "randcrop":
                oh, ow = self.OutputSize
                h, w = np.shape(img)[:2]
                if h >= oh and w >= ow and (h, w) != (oh, ow):
                    crop = (int(r.random() * (h - oh + 1)), int(r.random() * (w - ow + 1)))
            draws.append((A, t, crop))
        return draws

    def transform_batch(self, imgs: list, rng=None) -> list[np.ndarray]:
        """MATLAB's per-image pipeline — colour preprocessing, augmentation at the image's own size, then
        resizing or cropping to OutputSize — applied to a list of images (MATLAB layout in and out).

        Random draws happen image by image in order, so the result does not depend on how images are
        grouped; images of one size and class go through the pipeline as one stack.
        """
        imgs = [np.asarray(img) for img in imgs]
        draws = self._draws(imgs, rng)
        groups: dict = {}
        for k, img in enumerate(imgs):
            groups.setdefault((img.shape, img.dtype.str), []).append(k)
        out: list = [None] * len(imgs)
        for members in groups.values():
            x, dtype = self._pipeline([imgs[k] for k in members], [draws[k] for k in members])
            arr = x.permute(0, 2, 3, 1).numpy()
            for j, k in enumerate(members):
                img = arr[j]
                img = img[:, :, 0] if img.shape[2] == 1 else img
                out[k] = img.astype(dtype) if dtype != np.float64 else img.copy()
        return out

    def _pipeline(self, imgs: list, draws):
        """Same-size images -> float tensor N×C×h×w holding values of the image class (integers for
        integer classes; float32 or float64, whichever holds them exactly), and that class."""
        import torch

        stack = np.stack([np.asarray(i) for i in imgs])
        dtype = stack.dtype
        if dtype == bool:
            raise DataError("augmentedImageDatastore: logical images are not supported; convert them first.")
        x = torch.from_numpy(stack)
        x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
        aug = self.DataAugmentation
        augmenting = isinstance(aug, ImageDataAugmenter) and not aug.is_identity()
        # integer classes are exact in float32, which the warp uses; float64 images stay float64
        x = x.double() if dtype == np.float64 or not augmenting else x.float()
        if self.ColorPreprocessing == "rgb2gray" and x.shape[1] == 3:
            x = _round_like(gray_values(x.double(), 1), dtype).unsqueeze(1)
        gray2rgb = self.ColorPreprocessing == "gray2rgb" and x.shape[1] == 1
        # Warping, resizing and cropping act on each channel alike, so a gray image (with a scalar FillValue)
        # is processed once and replicated at the end: the same values for a third of the work.
        late = gray2rgb and (not augmenting or np.size(aug._values["FillValue"]) == 1)
        if gray2rgb and not late:
            x = x.expand(-1, 3, -1, -1)
        if augmenting:
            x = _round_like(_warp_tensor(x, [d[0] for d in draws], [d[1] for d in draws], aug._values["FillValue"],
                                         dtype == np.float64, widen=False), dtype)
        oh, ow = self.OutputSize
        h, w = x.shape[2], x.shape[3]
        mode = self.OutputSizeMode
        if (h, w) != (oh, ow):
            if mode == "resize":
                # MATLAB documents augmentedImageDatastore's resize as imresize's bilinear method with antialiasing
                import torch

                scale = (oh / h, ow / w)
                # integer classes up to 16 bits resize in single precision, as they warp (the result is
                # rounded to the class); float classes in double
                work = torch.float32 if dtype.kind in "ui" and dtype.itemsize <= 2 else torch.float64
                x = x.to(work)
                for dim in ((0, 1) if scale[0] <= scale[1] else (1, 0)):
                    wts = torch.from_numpy(resize_weights(x.shape[2 + dim], (oh, ow)[dim], float(scale[dim]),
                                                          "bilinear", True)).to(work)
                    if dim == 0:      # one GEMM: rows of every image at once
                        n_, c_, h_, w_ = x.shape
                        x = (wts @ x.permute(2, 0, 1, 3).reshape(h_, -1)).reshape(-1, n_, c_, w_).permute(1, 2, 0, 3)
                    else:
                        x = x @ wts.T
                    x = _round_like(x, dtype)
            elif h < oh or w < ow:
                raise DataError(f"augmentedImageDatastore: with OutputSizeMode '{mode}' the output size {oh}×{ow} "
                                f"must not exceed the image size {h}×{w}")
            elif mode == "centercrop":
                top, left = (h - oh) // 2, (w - ow) // 2
                x = x[:, :, top:top + oh, left:left + ow]
            else:
                x = torch.stack([x[k, :, d[2][0]:d[2][0] + oh, d[2][1]:d[2][1] + ow] for k, d in enumerate(draws)])
        if late:
            x = x.expand(-1, 3, -1, -1)
        return x.contiguous(), dtype

    def _read_block(self, idx):
        return self._table(idx)

    def _table(self, idx):
        from ..values.table import Table

        images = np.empty((len(idx), 1), dtype=object)
        for k, img in enumerate(self.read_many(list(idx))):
            images[k, 0] = img
        cols = {"input": images}
        if self._codes is not None or (isinstance(self._source, ImageDatastore) and self._source._codes is not None):
            codes, cats = (self._codes, self._categories) if self._codes is not None else \
                (self._source._codes, self._source._categories)
            cols["response"] = _categorical(np.asarray(codes)[idx], cats)
        elif self._responses is not None:
            cols[self._response_name] = np.asarray(self._responses)[idx]
        return Table(cols)

    def read(self, nargout: int = 1):
        if not self.hasdata():
            raise DataError("read: no more data to read from the augmentedImageDatastore. Use reset to read it again.")
        n = self.num_observations()
        idx = list(range(self._position, min(self._position + self.MiniBatchSize, n)))
        self._position = idx[-1] + 1
        t = self._table(idx)
        return t if nargout <= 1 else (t, {"MiniBatchIndices": np.asarray(idx) + 1})

    def readByIndex(self, ind):
        from .datastore import _indices

        return self._table(list(_indices(ind, self.num_observations(), "readByIndex")))

    def readall(self):
        return self._table(list(range(self.num_observations())))

    def preview(self):
        return self._table(list(range(min(8, self.num_observations()))))

    def _take(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        out = object.__new__(type(self))
        object.__setattr__(out, "__dict__", dict(self.__dict__))
        object.__setattr__(out, "_position", 0)
        if isinstance(self._source, Datastore):
            object.__setattr__(out, "_source", self._source._take(idx))
        else:
            object.__setattr__(out, "_source", self._source[:, :, :, idx])
        if self._codes is not None:
            object.__setattr__(out, "_codes", self._codes[idx])
        if self._responses is not None:
            object.__setattr__(out, "_responses", np.asarray(self._responses)[idx])
        return out

    def partitionByIndex(self, n, index):
        return self.partition(n, index)

    def __repr__(self):
        return "\n".join([
            "  augmentedImageDatastore with properties:", "",
            f"         NumObservations: {self.num_observations()}",
            f"           MiniBatchSize: {self.MiniBatchSize}",
            f"        DataAugmentation: {'''none''' if isinstance(self.DataAugmentation, str) else '[1×1 imageDataAugmenter]'}",
            f"      ColorPreprocessing: '{self.ColorPreprocessing}'",
            f"              OutputSize: [{self.OutputSize[0]} {self.OutputSize[1]}]",
            f"          OutputSizeMode: '{self.OutputSizeMode}'",
            f"    DispatchInBackground: {int(self.DispatchInBackground)}",
        ])


class _LabelHolder(ImageDatastore):
    def __init__(self, codes, cats):
        super().__init__([], codes, cats)
        if codes is None:
            self._codes = None


@matlab_function(outputs=("auimds",), data_free=False)
def augmentedImageDatastore(outputSize, *args, **kwargs):
    """``auimds = augmentedImageDatastore(outputSize, imds | X, Y | X | tbl [, responseNames], 'DataAugmentation',
    aug, 'ColorPreprocessing', 'none'|'gray2rgb'|'rgb2gray', 'OutputSizeMode', 'resize'|'centercrop'|'randcrop',
    'DispatchInBackground', false)``.

    ``X``: images H×W×C×N in MATLAB layout (an H×W×N array counts as N gray images when its third size is
    not 1 or 3 and no Y... give H×W×1×N to be explicit). ``Y``: labels (classification) or an N×R numeric
    array (regression). Each read applies, in order: colour preprocessing, the augmenter (at the image's own
    size), then resizing (imresize bilinear with antialiasing) or cropping to OutputSize. read returns a table
    with variables ``input`` and ``response`` of MiniBatchSize rows.
    """
    from ..values.categorical import Categorical
    from ..values.table import Table

    args = list(args)
    if not args:
        raise OptionError("augmentedImageDatastore: give an imageDatastore, an image array X (and Y) or a table.")
    data = args.pop(0)
    responses = None
    codes, cats = None, []
    response_name = "response"
    if isinstance(data, Table):
        names = data.VariableNames
        X = list(np.asarray(data[names[0]], dtype=object).reshape(-1))
        if args and not (isinstance(args[0], str) and args[0].lower() in _AUG_OPTIONS):
            response_name = str(args.pop(0))
        elif len(names) > 1:
            response_name = names[1]
        else:
            response_name = None
        if response_name is not None:
            col = data[response_name]
            if isinstance(col, Categorical):
                codes, cats = col.codes.reshape(-1, order="F").astype(np.int64), list(col.categories)
            elif np.asarray(col).dtype.kind not in "biuf":
                from .datastore import _label_codes

                codes, cats = _label_codes(list(np.asarray(col, dtype=object).reshape(-1)), len(X),
                                           "augmentedImageDatastore")
            else:
                responses = np.asarray(col, dtype=np.float64).reshape(len(X), -1)
        if X and isinstance(X[0], str):
            source = ImageDatastore([str(x) for x in X])
        else:
            imgs = [np.asarray(x) for x in X]
            source = np.stack([i if i.ndim == 3 else i[:, :, None] for i in imgs], axis=3)
    elif isinstance(data, Datastore):
        if not isinstance(data, ImageDatastore):
            raise OptionError("augmentedImageDatastore: the data must be an imageDatastore, an image array or a table.")
        source = data
    else:
        X = np.asarray(data)
        if X.dtype.kind not in "biuf":
            raise OptionError("augmentedImageDatastore: X must be a numeric array of images (H×W×C×N).")
        if X.ndim == 2:
            X = X[:, :, None, None]
        elif X.ndim == 3:
            X = X[:, :, :, None] if X.shape[2] in (1, 3) else X[:, :, None, :]
        elif X.ndim != 4:
            raise OptionError(f"augmentedImageDatastore: X must be H×W×C×N, got size {'×'.join(map(str, X.shape))}.")
        source = X
        if args and not (isinstance(args[0], str) and args[0].lower() in _AUG_OPTIONS):
            Y = args.pop(0)
            n = X.shape[3]
            if isinstance(Y, Categorical) or (np.asarray(Y, dtype=object).dtype == object
                                              and not np.asarray(Y).dtype.kind in "biuf"):
                from .datastore import _label_codes

                codes, cats = _label_codes(Y, n, "augmentedImageDatastore")
            else:
                Ya = np.asarray(Y, dtype=np.float64)
                Ya = Ya.reshape(n, -1) if Ya.ndim <= 1 or Ya.shape[0] == n else Ya.reshape(-1, n).T
                if Ya.shape[0] != n:
                    raise DataError(f"augmentedImageDatastore: X has {n} images but Y has {Ya.shape[0]} responses.")
                responses = Ya
    opts = name_value("augmentedImageDatastore", args, kwargs, {
        "DataAugmentation": "none", "ColorPreprocessing": "none", "OutputSizeMode": "resize",
        "DispatchInBackground": False, "BackgroundExecution": None})
    ds = AugmentedImageDatastore(outputSize, source, responses, codes, cats, "response")
    ds.DataAugmentation = opts["DataAugmentation"]
    ds.ColorPreprocessing = opts["ColorPreprocessing"]
    ds.OutputSizeMode = opts["OutputSizeMode"]
    ds.DispatchInBackground = opts["DispatchInBackground"] if opts["BackgroundExecution"] is None \
        else opts["BackgroundExecution"]
    if responses is not None and codes is None and np.asarray(responses).shape[0] != ds.num_observations():
        raise DataError("augmentedImageDatastore: the numbers of images and responses differ.")
    return ds


_AUG_OPTIONS = {"dataaugmentation", "colorpreprocessing", "outputsizemode", "dispatchinbackground",
                "backgroundexecution"}


__all__ = ["AugmentedImageDatastore", "ImageDataAugmenter", "augment", "augmentedImageDatastore",
           "imageDataAugmenter", "warp_image"]
