"""Training and prediction data the MATLAB way: checks, categorical class order, mini-batches, padding.

Data are in torch layout (the module boundary): images N×C×H×W, volumes N×C×D×H×W, features N×C,
sequences a list of T×C arrays (lengths may differ; image sequences T×C×H×W) or an N×T×C array.
A torch ``Dataset`` yielding ``(x, y)`` pairs (or a ``DataLoader`` over one) plays the datastore.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from torch.utils.data import Dataset as _TorchDataset

from ..values import Categorical
from ..errors import TrainingError
from ..network import permute_hint
from ..layers.base import Layout, TIMES

# ------------------------------------------------------------------------------------------------
# Network facts the data must fit


@dataclass
class NetIO:
    """What the data must look like for a network: input layout, output layout, task."""

    input_name: str
    input_layout: Layout
    output_layout: Layout
    task: str  # "classification" | "regression"
    num_outputs: int


def net_io(net, task: str | None = None) -> NetIO:
    meta = net._lg
    if len(meta.input_names) != 1:
        raise TrainingError(
            f"Networks with {len(meta.input_names)} input layers need a datastore of mixed data; layergraph's "
            "training functions take networks with one input layer."
        )
    in_name = meta.input_names[0]
    in_layout = meta.analysis.output_layouts[in_name][0]
    if meta.kind == "assembled":
        if len(meta.output_layers) != 1:
            raise TrainingError(
                f"The network has {len(meta.output_layers)} output layers; layergraph's trainNetwork takes one."
            )
        out_name = meta.graph.OutputNames[0]
        out_layout = meta.analysis.input_layouts[out_name][0]
        layer = meta.graph.layer(out_name)
        task = getattr(layer, "TASK", "regression")
    else:
        names = meta.output_names
        if len(names) != 1:
            raise TrainingError(f"The network has {len(names)} outputs; layergraph's trainnet takes one.")
        name, _, port = names[0].partition("/")
        layer = meta.graph.layer(name)
        idx = layer.output_names().index(port) if port else 0
        out_layout = meta.analysis.output_layouts[name][idx]
        task = task or "regression"
    return NetIO(in_name, in_layout, out_layout, task, out_layout.num_elements)


# ------------------------------------------------------------------------------------------------
# Class labels: MATLAB's categorical order


def _is_missing(label) -> bool:
    return label is None or (isinstance(label, float) and math.isnan(label))


def _plain(label):
    if isinstance(label, np.generic):
        return label.item()
    if isinstance(label, torch.Tensor) and label.numel() == 1:
        return label.item()
    return label


def categorical_order(labels: Sequence) -> list:
    """The categories of ``categorical(labels)``: sorted (numbers numerically, text by character code).

    pandas categoricals keep their declared categories. Unsortable mixtures keep first-seen order.
    """
    if isinstance(labels, Categorical):     # MATLAB categorical: its categories, in order (numbers if made from numbers)
        return labels.category_values()
    cats = getattr(labels, "categories", None)
    if cats is None and hasattr(labels, "cat"):
        cats = labels.cat.categories
    if cats is not None:
        return [_plain(c) for c in cats]
    seen: dict = {}
    for label in labels:
        label = _plain(label)
        if _is_missing(label):
            continue
        try:
            hash(label)
        except TypeError:
            raise TrainingError(f"Invalid training data. Class labels must be hashable values, got {type(label).__name__}.") from None
        seen.setdefault(label, None)
    unique = list(seen)
    try:
        return sorted(unique)
    except TypeError:
        return unique


# ------------------------------------------------------------------------------------------------
# Data sources


def _as_tensor(x, what: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = x.detach()
    else:
        try:
            arr = np.asarray(x)
        except Exception:
            raise TrainingError(f"Invalid {what}. Expected a numeric array.") from None
        if arr.dtype.kind not in "biuf":
            raise TrainingError(f"Invalid {what}. Expected a numeric array, got values of type {arr.dtype}.")
        t = torch.from_numpy(np.ascontiguousarray(arr))
    if t.is_complex():
        raise TrainingError(f"Invalid {what}. Expected a real numeric array, got values of type {t.dtype}.")
    # networks compute in single precision (as MATLAB does): integers, float64, float16 and bfloat16 become float32
    return t if t.dtype == torch.float32 else t.float()


def _is_sequence_list(x) -> bool:
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(s, (np.ndarray, torch.Tensor)) or (isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)))
        for s in x
    )


class Source:
    """Observations addressable by index: an array, a list of sequences, or a torch Dataset."""

    def __init__(self, xs, ys, *, is_seq: bool, dataset=None, loader=None):
        self.xs = xs
        self.ys = ys
        self.is_seq = is_seq
        self.dataset = dataset
        self.loader = loader
        self.background = False        # DispatchInBackground: worker processes read the datastore
        self._prefetch = None

    def prefetch(self, batches) -> None:
        """Start reading ``batches`` (lists of indices, in the order fetch will ask for them) ahead of use.

        Only datastores are read ahead: in worker processes (a torch DataLoader) when DispatchInBackground
        is on, otherwise in one background thread of this process. Arrays need no reading.
        """
        self.stop_prefetch()
        if self.dataset is None or not isinstance(self.dataset, DatastoreDataset):
            return
        batches = [list(map(int, b)) for b in batches]
        if not batches:
            return
        self._prefetch = Prefetcher(self.dataset, batches, workers_for(self.dataset, self.background))

    def stop_prefetch(self) -> None:
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None

    def __len__(self):
        if self.dataset is not None:
            return len(self.dataset)
        return len(self.xs)

    def fetch(self, idx: Sequence[int]):
        if self.dataset is not None:
            items = None
            if self._prefetch is not None:
                items = self._prefetch.take([int(i) for i in idx])
                if items is None:
                    self.stop_prefetch()
            if items is None:
                items = self.dataset.__getitems__([int(i) for i in idx]) if isinstance(self.dataset, DatastoreDataset) \
                    else [self.dataset[int(i)] for i in idx]
            if isinstance(items, CollatedBatch):
                x = items.x if torch.is_floating_point(items.x) else items.x.float()
                ys = items.ys if any(y is not None for y in items.ys) else None
                return (x.float() if x.dtype == torch.float64 else x), ys
            xs = [_as_tensor(it[0] if isinstance(it, (tuple, list)) else it, "data") for it in items]
            ys = [it[1] for it in items] if items and isinstance(items[0], (tuple, list)) and len(items[0]) > 1 else None
            if not self.is_seq:
                xs = torch.stack(xs)
            return xs, ys
        if self.is_seq:
            xs = [self.xs[int(i)] for i in idx]
            if isinstance(self.ys, torch.Tensor):
                return xs, self.ys.index_select(0, torch.as_tensor(idx, dtype=torch.long))
            return xs, (None if self.ys is None else [self.ys[int(i)] for i in idx])
        index = torch.as_tensor(idx, dtype=torch.long)
        x = self.xs.index_select(0, index) if len(idx) != len(self.xs) else self.xs
        if self.ys is None:
            return x, None
        if isinstance(self.ys, torch.Tensor):
            return x, (self.ys.index_select(0, index) if len(idx) != len(self.xs) else self.ys)
        return x, [self.ys[int(i)] for i in idx]

    def labels(self) -> list | None:
        """All responses (for class discovery and checks)."""
        if self.dataset is not None:
            if isinstance(self.dataset, DatastoreDataset):
                return self.dataset.all_responses()
            targets = getattr(self.dataset, "targets", None)
            if targets is not None:
                return list(targets)
            out = []
            for i in range(len(self.dataset)):
                item = self.dataset[i]
                out.append(item[1] if isinstance(item, (tuple, list)) and len(item) > 1 else None)
            return out
        return self.ys


def make_source(X, Y, io: NetIO, *, what: str = "training data", need_y: bool = True) -> Source:
    """Turn user data into a Source, checking it against the network before any iteration."""
    from torch.utils.data import DataLoader, Dataset

    seq_input = io.input_layout.has_time
    X = datastore_dataset(X, io, what)
    if isinstance(X, DatastoreDataset):
        if Y is not None:
            raise TrainingError(f"Invalid {what}. A datastore holds its responses (labels, or combine(X, Y) pairs); "
                                "do not pass responses separately.")
        n = len(X)
        if n == 0:
            raise TrainingError(f"Invalid {what}. The datastore is empty.")
        source = Source(None, None, is_seq=seq_input, dataset=X)
        source.background = X.background
        first, _ = source.fetch([0])
        sample = first[0] if isinstance(first, list) else first[0]
        check_observation_size(sample, io, what, seq_input)
        if need_y and not X.has_responses():
            raise TrainingError(f"Invalid {what}. The datastore has no responses: give an imageDatastore with labels, "
                                "an augmentedImageDatastore with labels or responses, or combine(X, Y).")
        return source
    if isinstance(X, DataLoader) or isinstance(X, Dataset):
        if Y is not None:
            raise TrainingError(f"Invalid {what}. A Dataset or DataLoader must yield (predictors, responses) pairs; "
                                "do not pass responses separately.")
        loader = X if isinstance(X, DataLoader) else None
        ds = X.dataset if loader is not None else X
        try:
            n = len(ds)
        except TypeError:
            raise TrainingError(f"Invalid {what}. The Dataset must have a length (map-style dataset).") from None
        if n == 0:
            raise TrainingError(f"Invalid {what}. The data set is empty.")
        source = Source(None, None, is_seq=seq_input, dataset=ds, loader=loader)
        first, _ = source.fetch([0])
        sample = first[0] if isinstance(first, list) else first[0]
        check_observation_size(sample, io, what, seq_input)
        return source

    if X is None:
        raise TrainingError(f"Invalid {what}. Predictors must not be empty.")
    if seq_input and _is_sequence_list(X):
        xs = [_as_tensor(s, what) for s in X]
        if not xs:
            raise TrainingError(f"Invalid {what}. Predictors must not be empty.")
        for i, s in enumerate(xs):
            if s.dim() < 2 or s.shape[0] == 0:
                raise TrainingError(f"Invalid {what}. Sequence {i + 1} must be a T×C array with at least one time step; "
                                    f"it has size {TIMES.join(map(str, s.shape))}.")
            check_observation_size(s, io, what, True)
            if not torch.isfinite(s).all():
                raise TrainingError(f"Invalid {what}. Predictors must not contain NaN or Inf values (sequence {i + 1}).")
        source = Source(xs, None, is_seq=True)
    else:
        x = _as_tensor(X, what)
        if x.dim() == 0:
            raise TrainingError(f"Invalid {what}. Predictors must be an array with one observation per row, got a "
                                "scalar.")
        if x.numel() == 0 or x.shape[0] == 0:
            raise TrainingError(f"Invalid {what}. Predictors must not be empty.")
        if seq_input and x.dim() == len(io.input_layout.torch_shape()) - 1 + 1 and x.dim() >= 3:
            xs = list(x.unbind(0))
            for s in xs[:1]:
                check_observation_size(s, io, what, True)
            if not torch.isfinite(x).all():
                raise TrainingError(f"Invalid {what}. Predictors must not contain NaN or Inf values.")
            source = Source(xs, None, is_seq=True)
        else:
            if seq_input:
                raise TrainingError(
                    f"Invalid {what}. The network has a sequence input layer; give a list of T×C sequences "
                    f"(or an N×T×C array), got an array of size {TIMES.join(map(str, x.shape))}."
                )
            if x.dim() == 1 and io.input_layout.channels == 1 and not io.input_layout.spatial:
                x = x.reshape(-1, 1)
            check_observation_size(x[0], io, what, False)
            if not torch.isfinite(x).all():
                raise TrainingError(f"Invalid {what}. Predictors must not contain NaN or Inf values.")
            source = Source(x, None, is_seq=False)
    if Y is not None:
        n_y = len(Y) if not isinstance(Y, (np.ndarray, torch.Tensor)) else int(Y.shape[0]) if np.ndim(Y) else 0
        if n_y != len(source):
            raise TrainingError(
                f"Invalid {what}. The number of observations in the predictors ({len(source)}) and the responses "
                f"({n_y}) must be the same."
            )
        source.ys = Y
    elif need_y:
        raise TrainingError(f"Invalid {what}. Responses are missing.")
    return source


def check_observation_size(x: torch.Tensor, io: NetIO, what: str, is_seq: bool) -> None:
    """One observation (torch layout without N) against the input layer."""
    lay = io.input_layout
    expected = (lay.channels,) + tuple(lay.spatial)
    got = tuple(x.shape[1:] if is_seq else x.shape)
    if got == expected:
        return
    name = io.input_name
    given = "training" if what.startswith("training") else "given"
    if is_seq:
        exp = TIMES.join(map(str, tuple(lay.spatial) + (lay.channels,)))
        gotm = TIMES.join(map(str, tuple(got[1:]) + (got[0],))) if got else "0"
        raise TrainingError(
            f"Invalid {what}. The {given} sequences are of feature dimension {gotm} but the input layer "
            f"'{name}' expects sequences of feature dimension {exp}."
        )
    if lay.spatial:
        kind = "images" if len(lay.spatial) == 2 else "volumes"
        exp = TIMES.join(map(str, tuple(lay.spatial) + (lay.channels,)))
        gotm = TIMES.join(map(str, tuple(got[1:]) + got[:1])) if len(got) >= 1 else "0"
        raise TrainingError(
            f"Invalid {what}. The {given} {kind} are of size {gotm} but the input layer '{name}' expects "
            f"{kind} of size {exp} (torch layout N×{TIMES.join(map(str, expected))}).{permute_hint(lay)}"
        )
    raise TrainingError(
        f"Invalid {what}. The predictors have {TIMES.join(map(str, got)) or 1} features but the input layer "
        f"'{name}' expects {lay.channels} features."
    )


# ------------------------------------------------------------------------------------------------
# Datastores (layergraph.data) as training and prediction data


def _matlab_to_torch_observation(x, io: NetIO) -> torch.Tensor:
    """One observation in MATLAB layout (H×W×C image, H×W×D×C volume, C×T sequence, features) -> torch layout."""
    from ..values.categorical import Categorical

    if isinstance(x, Categorical):
        raise TrainingError("Invalid data. Predictors must be numeric, got a categorical array.")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TrainingError(f"Invalid data. Predictors must be numeric arrays, got {arr.dtype}.")
    t = torch.from_numpy(np.ascontiguousarray(arr).astype(np.float32, copy=False))
    lay = io.input_layout
    k = len(lay.spatial)
    if lay.has_time:
        t = t.reshape(t.shape[0], -1) if t.dim() != 2 else t
        return t.transpose(0, 1).contiguous() if k == 0 else t       # C×T -> T×C
    if k:
        while t.dim() > k + 1 and t.shape[-1] == 1:
            t = t[..., 0]
        if t.dim() == k:
            t = t.unsqueeze(-1)
        return t.permute((k,) + tuple(range(k))).contiguous()          # H×W×C -> C×H×W
    return t.reshape(-1)


def _response_value(y):
    """A response read from a datastore: a label (str), or a numeric array."""
    from ..values.categorical import Categorical

    if isinstance(y, Categorical):
        names = y.names()
        if len(names) == 1:
            return names[0]
        return y
    if isinstance(y, (list, tuple)) and len(y) == 1:
        return _response_value(y[0])
    if isinstance(y, np.ndarray) and y.dtype == object and y.size == 1:
        return _response_value(y.reshape(-1)[0])
    return y


class CollatedBatch:
    """A mini-batch read from a datastore: predictors N×… in one tensor and the list of responses."""

    __slots__ = ("x", "ys")

    def __init__(self, x, ys):
        self.x = x
        self.ys = ys


class DatastoreDataset(_TorchDataset):
    """A layergraph datastore as a map-style torch Dataset yielding (predictors in torch layout, response)."""

    def __init__(self, ds, io: NetIO):
        from ..data.augmentation import AugmentedImageDatastore
        from ..data.datastore import CombinedDatastore, ImageDatastore, TransformedDatastore

        self.ds = ds
        self.io = io
        self.kind = ("augmented" if isinstance(ds, AugmentedImageDatastore) else
                     "image" if isinstance(ds, ImageDatastore) else
                     "combined" if isinstance(ds, CombinedDatastore) else
                     "transformed" if isinstance(ds, TransformedDatastore) else "plain")
        self.background = bool(getattr(ds, "DispatchInBackground", False))

    def __len__(self):
        return self.ds.num_observations()

    def _split(self, item):
        if self.kind in ("augmented", "image"):
            return item, None
        if isinstance(item, list) and len(item) >= 2:
            return item[0], item[1]
        if isinstance(item, list) and len(item) == 1:
            return item[0], None
        if isinstance(item, tuple) and len(item) == 2:
            return item
        return item, None

    def __getitem__(self, i: int):
        item = self.ds.read_at(int(i))
        x, y = self._split(item)
        if self.kind in ("augmented", "image"):
            y = self.ds.label_at(int(i))
        y = _response_value(y) if y is not None else None
        if isinstance(y, (np.ndarray, torch.Tensor)) and np.ndim(y) >= 2 and self.io.output_layout.spatial:
            y = _matlab_to_torch_observation(y, NetIO(self.io.input_name, self.io.output_layout,
                                                      self.io.output_layout, self.io.task, 0))
        return _matlab_to_torch_observation(x, self.io), y

    def __getitems__(self, indices):
        """A whole mini-batch at once (torch's DataLoader calls this): an augmentedImageDatastore transforms
        images of one size as one stack; the batch comes back collated (one tensor crosses from a worker)."""
        if self.kind == "augmented" and not self.io.input_layout.has_time and len(self.io.input_layout.spatial) == 2:
            idx = [int(i) for i in indices]
            x = self.ds.read_batch_tensor(idx)
            if x is not None:
                return CollatedBatch(x, [_response_value(self.ds.label_at(i)) for i in idx])
        if self.kind != "augmented":
            items = [self[i] for i in indices]
        else:
            imgs = self.ds.read_many([int(i) for i in indices])
            items = [(_matlab_to_torch_observation(x, self.io), _response_value(self.ds.label_at(int(i))))
                     for x, i in zip(imgs, indices)]
        xs = [it[0] for it in items]
        if self.io.input_layout.has_time:
            return items
        for i, x in zip(indices, xs):
            if x.shape != xs[0].shape:
                files = getattr(getattr(self.ds, "_source", self.ds), "_files", None)
                what = f"'{files[int(i)]}'" if isinstance(files, list) and int(i) < len(files) else f"observation {int(i) + 1}"
                size = lambda t: "×".join(map(str, tuple(t.shape[1:]) + tuple(t.shape[:1])))  # noqa: E731
                raise TrainingError(f"Invalid data. {what} is of size {size(x)} but the first image of its mini-batch "
                                    f"is {size(xs[0])}; use an augmentedImageDatastore to resize images to the "
                                    "network's input size.")
        return CollatedBatch(torch.stack(xs), [it[1] for it in items])

    def has_responses(self) -> bool:
        if self.kind in ("augmented", "image"):
            return self.ds.targets is not None
        return self._split(self.ds.read_at(0))[1] is not None

    def all_responses(self) -> list | None:
        """Every response, read without the predictors where the datastore allows it."""
        targets = getattr(self.ds, "targets", None)
        if self.kind in ("augmented", "image"):
            return None if targets is None else list(targets)
        if self.kind == "combined":
            last = self.ds.UnderlyingDatastores[-1]
            if len(self.ds.UnderlyingDatastores) >= 2:
                t = getattr(last, "targets", None)
                if t is not None:
                    return list(t)
                return [_response_value(last.read_at(i)) for i in range(len(self))]
        return [self[i][1] for i in range(len(self))]

    @property
    def targets(self):
        return self.all_responses()


def datastore_dataset(X, io: NetIO, what: str = "training data"):
    """``X`` as a DatastoreDataset when it is a layergraph datastore, else unchanged."""
    try:
        from ..data.datastore import Datastore
    except ImportError:  # pragma: no cover
        return X
    if isinstance(X, Datastore):
        if not hasattr(X, "read_at") or type(X).__name__ == "TabularTextDatastore":
            raise TrainingError(f"Invalid {what}. A {type(X).__name__} cannot feed a network; read it into arrays.")
        return DatastoreDataset(X, io)
    return X


def workers_for(dataset, background: bool) -> int:
    """Worker processes for reading a datastore: 0 (a background thread) unless DispatchInBackground is on.

    With DispatchInBackground, ``LAYERGRAPH_NUM_WORKERS`` or the number of CPUs (at most 8).
    """
    if not background:
        return 0
    import os

    env = os.environ.get("LAYERGRAPH_NUM_WORKERS")
    if env:
        return max(0, int(env))
    return max(1, min(8, os.cpu_count() or 1))


def _collate_items(items):
    return items


def _seed_worker(worker_id: int) -> None:
    # each worker draws its own augmentation stream (np.random is what imageDataAugmenter uses)
    np.random.seed((torch.initial_seed() + worker_id) % 2**32)


class Prefetcher:
    """Reads mini-batches ahead, in order: worker processes (torch DataLoader) or one background thread."""

    def __init__(self, dataset, batches: list[list[int]], workers: int, depth: int = 2):
        self.batches = batches
        self.next = 0
        self.error = None
        if workers > 0:
            import multiprocessing

            from torch.utils.data import DataLoader

            ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
            self.loader = DataLoader(dataset, batch_sampler=batches, num_workers=workers, collate_fn=_collate_items,
                                     prefetch_factor=depth, worker_init_fn=_seed_worker, multiprocessing_context=ctx,
                                     persistent_workers=False)
            self.it = iter(self.loader)
            self.thread = None
        else:
            import queue
            import threading

            self.loader = None
            self.queue: queue.Queue = queue.Queue(maxsize=depth)
            self.stop = threading.Event()

            def work():
                for b in batches:
                    if self.stop.is_set():
                        return
                    try:
                        items = dataset.__getitems__(b)
                    except BaseException as exc:    # delivered to the reader, which re-raises it
                        self._put(("error", exc))
                        return
                    if not self._put(("ok", items)):
                        return

            self.thread = threading.Thread(target=work, name="layergraph-datastore-prefetch", daemon=True)
            self.thread.start()

    def _put(self, item) -> bool:
        import queue

        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def take(self, idx: list[int]):
        """The items of the next batch if it is ``idx`` (else None: the caller reads directly)."""
        if self.next >= len(self.batches) or self.batches[self.next] != idx:
            return None
        self.next += 1
        if self.loader is not None:
            try:
                return next(self.it)
            except StopIteration:
                return None
            except Exception as exc:
                from ..errors import DataError, LayerGraphError

                text = str(exc).strip().splitlines()
                last = text[-1] if text else str(exc)
                if "DataError" in last or isinstance(exc, LayerGraphError):
                    raise DataError(last.split("DataError: ", 1)[-1]) from None
                raise
        kind, value = self.queue.get()
        if kind == "error":
            raise value
        return value

    def close(self):
        if self.loader is not None:
            del self.it
            self.loader = None
        elif self.thread is not None:
            self.stop.set()
            self.thread.join(timeout=5)
            self.thread = None


# ------------------------------------------------------------------------------------------------
# Responses


@dataclass
class Targets:
    """How responses are encoded for the loss: class indices (−1 = padding) or float arrays."""

    task: str
    classes: list | None = None
    seq: bool = False             # sequence-to-sequence
    index: dict = field(default_factory=dict)

    def encode_labels(self, labels, what: str) -> torch.Tensor:
        out = torch.empty(len(labels), dtype=torch.long)
        for i, label in enumerate(labels):
            label = _plain(label)
            if _is_missing(label):
                raise TrainingError(f"Invalid {what}. Responses must not contain missing (undefined) labels.")
            try:
                out[i] = self.index[label]
            except (KeyError, TypeError):
                raise TrainingError(
                    f"Invalid {what}. The label {label!r} is not one of the network's classes "
                    f"({', '.join(repr(c) for c in self.classes[:10])}{', ...' if len(self.classes) > 10 else ''})."
                ) from None
        return out


def make_targets(source: Source, io: NetIO, classes_given, *, what: str = "training data") -> Targets:
    """Discover classes (MATLAB categorical order) and check responses against the network output."""
    labels = source.labels()
    seq_out = io.output_layout.has_time
    if labels is None:
        raise TrainingError(f"Invalid {what}. Responses are missing.")
    if len(labels) == 0:
        raise TrainingError(f"Invalid {what}. Responses must not be empty.")
    if io.task == "classification":
        if seq_out:
            flat = []
            for i, s in enumerate(labels):
                if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
                    raise TrainingError(
                        f"Invalid {what}. The network outputs sequences (sequence-to-sequence); each response must be "
                        f"a sequence of labels, response {i + 1} is {s!r}."
                    )
                flat.extend(list(np.asarray(s, dtype=object).reshape(-1)))
            found = categorical_order(flat)
        else:
            if isinstance(labels, torch.Tensor):
                labels = labels.tolist()
            elif isinstance(labels, np.ndarray):
                labels = list(labels.reshape(-1)) if labels.ndim <= 1 or labels.shape[1:] == (1,) else None
                if labels is None:
                    raise TrainingError(f"Invalid {what}. Class labels must be a vector with one label per observation.")
            found = categorical_order(labels)
        if classes_given not in (None, "auto"):
            classes = list(classes_given)
            lookup = {str(c): c for c in classes}
            index = {}
            for c in found:
                key = c if c in classes else lookup.get(str(c))
                if key is None:
                    raise TrainingError(f"Invalid {what}. The label {c!r} is not one of the output layer's Classes.")
                index[c] = classes.index(key)
        else:
            classes = found
            index = {c: i for i, c in enumerate(classes)}
        k = io.output_layout.channels
        # MATLAB classifies a 1×1×K output as K scores (SqueezeNet's global pooling gives 1×1×1000)
        if len(classes) != k or any(d != 1 for d in io.output_layout.spatial):
            out_size = TIMES.join(map(str, tuple(io.output_layout.spatial) + (k,)))
            raise TrainingError(
                f"Invalid training data. The output size ({out_size}) of the last layer does not match the number "
                f"of classes of the responses ({len(classes)})."
            )
        return Targets("classification", classes, seq_out, index)
    # regression
    lay = io.output_layout
    expected = (lay.channels,) + tuple(lay.spatial)
    if seq_out:
        for i, s in enumerate(labels):
            t = _as_tensor(s, what)
            t = t.reshape(-1, 1) if t.dim() == 1 else t
            if tuple(t.shape[1:]) != expected:
                raise TrainingError(
                    f"Invalid {what}. The output size ({TIMES.join(map(str, expected))}) of the last layer does not "
                    f"match the response size ({TIMES.join(map(str, t.shape[1:]))}) of sequence {i + 1}."
                )
            if not torch.isfinite(t).all():
                raise TrainingError(f"Invalid {what}. Responses must not contain NaN or Inf values.")
        return Targets("regression", None, True)
    if source.dataset is None:
        t = _as_tensor(labels, what)
        t = t.reshape(t.shape[0], -1) if t.dim() == 1 else t
        got = tuple(t.shape[1:])
        if math.prod(got) != math.prod(expected) or (len(got) > 1 and got != expected):
            raise TrainingError(
                f"Invalid training data. The output size ({TIMES.join(map(str, tuple(lay.spatial) + (lay.channels,)))}) "
                f"of the last layer does not match the response size ({TIMES.join(map(str, got))})."
            )
        if not torch.isfinite(t).all():
            raise TrainingError(f"Invalid {what}. Responses must not contain NaN or Inf values.")
        source.ys = t.reshape((t.shape[0],) + expected) if t.shape[1:] != expected else t
    return Targets("regression", None, False)


def encode_source_targets(source: Source, targets: Targets, what: str) -> None:
    """Pre-encode array responses once (class indices), so batches only index."""
    if source.dataset is not None or source.ys is None:
        return
    if targets.task == "classification" and not targets.seq:
        ys = source.ys
        if isinstance(ys, torch.Tensor):
            ys = ys.tolist()
        elif isinstance(ys, np.ndarray):
            ys = list(ys.reshape(-1))
        source.ys = targets.encode_labels(ys, what)
    elif targets.task == "classification":
        source.ys = [targets.encode_labels(list(np.asarray(s, dtype=object).reshape(-1)), what) for s in source.ys]
    elif targets.seq:
        source.ys = [(_as_tensor(s, what).reshape(-1, 1) if np.ndim(s) == 1 else _as_tensor(s, what)) for s in source.ys]


# ------------------------------------------------------------------------------------------------
# Mini-batches


@dataclass
class SeqOptions:
    length: Any = "longest"
    direction: str = "right"
    value: float = 0.0


def pad_sequences(seqs: list[torch.Tensor], opts: SeqOptions) -> tuple[torch.Tensor, list[int], int]:
    """Pad (or truncate for 'shortest') a list of T×... tensors to one N×T×... tensor.

    Returns the batch, the original lengths and the common length. Right: sequences start together;
    left: sequences end together.
    """
    lengths = [int(s.shape[0]) for s in seqs]
    if opts.length == "shortest":
        t = min(lengths)
    else:
        t = max(lengths)
    out = seqs[0].new_full((len(seqs), t) + tuple(seqs[0].shape[1:]), float(opts.value))
    for i, s in enumerate(seqs):
        n = min(t, s.shape[0])
        if opts.direction == "right":
            out[i, :n] = s[:n]
        else:
            out[i, t - n:] = s[s.shape[0] - n:]
    return out, lengths, t


def pad_targets(targets: list[torch.Tensor], lengths: list[int], t: int, opts: SeqOptions, fill) -> torch.Tensor:
    first = targets[0]
    out = first.new_full((len(targets), t) + tuple(first.shape[1:]), fill)
    for i, s in enumerate(targets):
        n = min(t, s.shape[0])
        if opts.direction == "right":
            out[i, :n] = s[:n]
        else:
            out[i, t - n:] = s[s.shape[0] - n:]
    return out


@dataclass
class Batch:
    x: torch.Tensor
    t: Any                      # class indices (N or N×T, −1 = padding) or float responses
    lengths: list | None = None
    length: int | None = None


def make_batch(source: Source, idx, targets: Targets | None, seq: SeqOptions, device, what: str = "training data") -> Batch:
    xs, ys = source.fetch(idx)
    lengths = t_len = None
    if source.is_seq:
        x, lengths, t_len = pad_sequences(list(xs), seq)
    else:
        x = xs
    y = None
    if targets is not None and ys is not None:
        if targets.task == "classification":
            if targets.seq:
                seqs = ys if source.dataset is None else [
                    targets.encode_labels(list(np.asarray(s, dtype=object).reshape(-1)), what) for s in ys]
                for s, n in zip(seqs, lengths):
                    if s.shape[0] != n:
                        raise TrainingError(f"Invalid {what}. Each response sequence must have as many time steps as "
                                            f"its predictor sequence ({s.shape[0]} vs {n}).")
                y = pad_targets(seqs, lengths, t_len, seq, -1)
            else:
                y = ys if isinstance(ys, torch.Tensor) else targets.encode_labels(ys, what)
        else:
            if targets.seq:
                seqs = ys if source.dataset is None else [_as_tensor(s, what) for s in ys]
                seqs = [s.reshape(-1, 1) if s.dim() == 1 else s for s in seqs]
                y = pad_targets(seqs, lengths, t_len, seq, 0.0)
            else:
                y = ys if isinstance(ys, torch.Tensor) else torch.stack([_as_tensor(v, what).reshape(-1) for v in ys])
    if device is not None and device.type != "cpu":
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True) if isinstance(y, torch.Tensor) else y
    return Batch(x, y, lengths, t_len)


def split_batch(batch: Batch, length: int, direction: str = "right", seq_targets: bool = False) -> list[Batch]:
    """Split a padded sequence mini-batch into chunks of ``length`` time steps (the last may be shorter).

    SequenceLength given as an integer: the mini-batch is padded to its longest sequence first (as
    'longest'), then split. Sequence targets are split with the predictors; other targets (one label or
    response per observation) are shared by every chunk. Each chunk's ``lengths`` count the real
    (non-padding) steps it holds, so the loss masks stay right.
    """
    t = batch.x.shape[1]
    if t <= length:
        return [batch]
    chunks = []
    for s in range(0, t, length):
        e = min(s + length, t)
        lengths = None
        if batch.lengths is not None:
            if direction == "right":
                lengths = [max(0, min(e, n) - s) for n in batch.lengths]
            else:
                lengths = [max(0, e - max(s, t - n)) for n in batch.lengths]
        y = batch.t
        if seq_targets and isinstance(y, torch.Tensor) and y.dim() >= 2:
            y = y[:, s:e]
        chunks.append(Batch(batch.x[:, s:e], y, lengths, e - s))
    return chunks


def chunked_forward(forward, module: torch.nn.Module, x: torch.Tensor, length: int, time_out: bool):
    """Forward N×T×... ``x`` in chunks of ``length`` steps with the recurrent state carried between chunks.

    Outputs with a time dimension (``time_out``) are joined along time; otherwise the last chunk's
    output (the state after the whole padded sequence) is the result.
    """
    from ..layers.recurrent import carry_state

    outs = []
    with carry_state(module):
        for s in range(0, x.shape[1], length):
            outs.append(forward(x[:, s:s + length]))
    if time_out:
        return torch.cat(outs, dim=1)
    return outs[-1]


def epoch_batches(order: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """floor(N / MiniBatchSize) full mini-batches; the remainder is discarded, as MATLAB does."""
    n = (len(order) // batch_size) * batch_size
    return list(order[:n].split(batch_size))


def all_batches(n: int, batch_size: int) -> list[list[int]]:
    """Every observation in order, the last mini-batch possibly smaller (prediction, statistics)."""
    return [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]


# ------------------------------------------------------------------------------------------------
# Input normalization statistics


def compute_input_statistics(source: Source, layer, seq: SeqOptions, batch_size: int) -> dict:
    """Mean / StandardDeviation / Min / Max of the training predictors, in MATLAB layout for ``layer``.

    NormalizationDimension 'auto' and 'channel' give one value per channel; 'element' one per element
    (h×w×c for images, per feature for sequences, averaged over time); 'all' a scalar. The standard
    deviation is the population one (divides by the number of values).
    """
    mode = layer.Normalization
    if not isinstance(mode, str) or mode == "none":
        return {}
    layout = layer.output_layout()
    dim_mode = layer.NormalizationDimension
    k = len(layout.spatial)
    c = layout.channels
    count = 0
    s = s2 = lo = hi = None

    def reduce_dims(x: torch.Tensor):
        # x: observations × C × spatial (time folded into observations)
        if dim_mode == "all":
            return tuple(range(x.dim()))
        if dim_mode == "element":
            return (0,)
        return (0,) + tuple(range(2, x.dim()))

    for idx in all_batches(len(source), batch_size):
        xs, _ = source.fetch(idx)
        if source.is_seq:
            x = torch.cat([v.reshape((-1, c) + tuple(layout.spatial)) for v in xs], 0)
        else:
            x = xs
        x = x.double()
        dims = reduce_dims(x)
        n = math.prod(x.shape[d] for d in dims)
        bs, bs2 = x.sum(dims), (x * x).sum(dims)
        blo, bhi = x.amin(dims), x.amax(dims)
        s = bs if s is None else s + bs
        s2 = bs2 if s2 is None else s2 + bs2
        lo = blo if lo is None else torch.minimum(lo, blo)
        hi = bhi if hi is None else torch.maximum(hi, bhi)
        count += n
    mean = s / count
    std = (s2 / count - mean * mean).clamp_min(0).sqrt()

    def matlab(v: torch.Tensor) -> torch.Tensor:
        v = v.float()
        if v.dim() == 0:
            return v.reshape(1, 1)
        if dim_mode == "element" and k:
            return v.permute(tuple(range(1, k + 1)) + (0,)).contiguous()   # C×H×W -> H×W×C
        return v.reshape((1,) * k + (c,)) if k else v.reshape(c, 1)

    out = {}
    if mode in ("zerocenter", "zscore"):
        out["Mean"] = matlab(mean)
    if mode == "zscore":
        out["StandardDeviation"] = matlab(std)
    if mode in ("rescale-symmetric", "rescale-zero-one"):
        out["Min"] = matlab(lo)
        out["Max"] = matlab(hi)
    return out


def needs_statistics(layer, reset: bool) -> bool:
    mode = layer.Normalization
    if not isinstance(mode, str) or mode == "none":
        return False
    if reset:
        return True
    needed = {"zerocenter": ("Mean",), "zscore": ("Mean", "StandardDeviation"),
              "rescale-symmetric": ("Min", "Max"), "rescale-zero-one": ("Min", "Max")}[mode]
    return any(layer._values.get(p) is None for p in needed)


__all__ = [
    "NetIO", "net_io", "categorical_order", "Source", "make_source", "Targets", "make_targets",
    "encode_source_targets", "SeqOptions", "pad_sequences", "Batch", "make_batch", "split_batch",
    "chunked_forward", "epoch_batches",
    "all_batches", "compute_input_statistics", "needs_statistics", "DatastoreDataset", "datastore_dataset",
    "Prefetcher", "workers_for",
]
