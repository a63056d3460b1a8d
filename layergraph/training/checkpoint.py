"""Checkpoints: ``CheckpointPath`` writes complete, atomic checkpoints; training resumes from one.

A checkpoint is one ``.safetensors`` file (no pickle): the network as a JSON spec (layergraph.spec) in
the file's metadata, the network's torch state, the solver state (velocities / moments and step
count), the shuffling generator and order, the progress (epoch, iteration, position in the epoch,
elapsed time) and the history that ``info`` is built from. It is written to a temporary file and
renamed, so a crash never leaves a partial checkpoint. The name follows MATLAB:
``net_checkpoint__<iteration>__<yyyy_mm_dd__HH_MM_SS>.safetensors``.

Resume: ``trainNetwork(X, Y, 'path/to/net_checkpoint__....safetensors', options)`` (or
``loadCheckpoint(path)`` passed in place of the layers) continues at the next mini-batch, with the
same data order and solver state as the uninterrupted run.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from typing import Annotated, Literal

import torch

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError,
                      model_validator)

from ..errors import LayerGraphError, TrainingError
from ..functions import matlab_function

FORMAT = "layergraph-checkpoint"
VERSION = 1
SUFFIX = ".safetensors"


def _json_label(c):
    if isinstance(c, (str, bool, int, float)) or c is None:
        return c
    return str(c)


def save_checkpoint(trainer, folder) -> str:
    """Write the trainer's complete state to ``folder``; return the file path."""
    from safetensors.torch import save as st_save

    from ..spec import spec_text

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainingError(f"CheckpointPath '{folder}' cannot be created: {exc.strerror or exc}.") from None
    net = trainer.net
    text, _ = spec_text(net)
    tensors = {}
    for key, value in net.state_dict().items():
        tensors[f"state/{key}"] = value.detach().cpu().contiguous().clone()
    tensors.update(trainer.solver.state_tensors())
    tensors["data/order"] = trainer.order.to(torch.int64).contiguous().clone()
    tensors["data/generator"] = trainer.generator.get_state().contiguous().clone()
    progress = {
        "format": FORMAT, "version": VERSION,
        "kind": net.kind, "style": trainer.style,
        "epoch": trainer.epoch, "iteration": trainer.iteration, "position": trainer.position,
        "elapsed": trainer.elapsed(),
        "history": {k: [None if (isinstance(x, float) and math.isnan(x)) else x for x in v]
                    for k, v in trainer.history.items()},
        "best": [None if math.isinf(trainer.best[0]) else trainer.best[0], trainer.best[1]],
        "bad_validations": trainer.bad_validations,
        "classes": [_json_label(c) for c in net._lg.extra.get("classes", [])] if net._lg.extra.get("classes") else None,
        "solver": trainer.options.SolverName,
    }
    metadata = {"format": FORMAT, "spec": text, "progress": json.dumps(progress)}
    blob = st_save(tensors, metadata=metadata)
    stamp = time.strftime("%Y_%m_%d__%H_%M_%S")
    path = folder / f"net_checkpoint__{trainer.iteration}__{stamp}{SUFFIX}"
    tmp = folder / f".{path.name}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:   # disk full, folder removed or made read-only during training
        try:
            tmp.unlink()
        except OSError:
            pass
        raise TrainingError(f"Cannot write checkpoint '{path}' (CheckpointPath '{folder}'): "
                            f"{exc.strerror or exc}. No partial checkpoint was left.") from None
    return str(path)


def check_writable_folder(folder, what: str, *, create: bool) -> None:
    """Raise TrainingError unless ``folder`` exists (or, with ``create``, can be made) and takes new files.

    Called before training starts for CheckpointPath (created here, as MATLAB requires it to exist) and
    for the training-progress plot folder, so a run never fails at its first checkpoint or plot.
    """
    import tempfile

    text = os.fspath(folder)
    if "\x00" in text:
        raise TrainingError(f"{what} {text!r} contains a NUL character.")
    path = Path(text)
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrainingError(f"{what} '{text}' cannot be created: {exc.strerror or exc}.") from None
    if not path.is_dir():
        raise TrainingError(f"{what} '{text}' is not a folder.")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".layergraph-write-test-"):
            pass
    except OSError as exc:
        raise TrainingError(f"{what} '{text}' is not writable: {exc.strerror or exc}.") from None


@dataclass
class Checkpoint:
    """A loaded checkpoint: ``network`` (ready to predict or to resume) plus the saved progress."""

    network: object
    progress: dict
    tensors: dict
    path: str

    @property
    def Iteration(self) -> int:
        return int(self.progress["iteration"])

    @property
    def Epoch(self) -> int:
        return int(self.progress["epoch"])

    def restore(self, trainer) -> None:
        """Put the trainer where the checkpointed run was (called by trainNetwork/trainnet)."""
        p = self.progress
        batches = -(-trainer.n // max(1, int(trainer.options.MiniBatchSize)))
        if p["position"] > batches:
            raise TrainingError(f"Checkpoint '{self.path}' is damaged: position {p['position']} in the epoch, but an "
                                f"epoch of this data has {batches} mini-batches.")
        if p["solver"] != trainer.options.SolverName:
            raise TrainingError(
                f"The checkpoint was written by solver '{p['solver']}'; resume it with trainingOptions('{p['solver']}', ...)."
            )
        trainer.solver.load_state_tensors(self.tensors)
        order = self.tensors["data/order"]
        if len(order) != trainer.n:
            raise TrainingError(
                f"The checkpoint was written for {len(order)} training observations; the data given has {trainer.n}."
            )
        trainer.order = order.clone()
        trainer.generator.set_state(self.tensors["data/generator"].clone())
        trainer.epoch = int(p["epoch"])
        trainer.iteration = int(p["iteration"])
        trainer.position = int(p["position"])
        trainer.start_offset = float(p["elapsed"])
        trainer.history = {k: [math.nan if x is None else x for x in v] for k, v in p["history"].items()}
        best_loss, best_it = p["best"]
        trainer.best = (math.inf if best_loss is None else best_loss, best_it, None)
        trainer.bad_validations = int(p["bad_validations"])


def is_checkpoint(x) -> bool:
    if isinstance(x, Checkpoint):
        return True
    return isinstance(x, (str, os.PathLike)) and os.fspath(x).endswith(SUFFIX) and os.path.isfile(x)


def _load_state(net, state: dict) -> None:
    own = net.state_dict()
    for key, value in state.items():
        if key not in own:
            module_name, _, attr = key.rpartition(".")
            try:
                module = net.get_submodule(module_name)
            except AttributeError:
                module = None
            if module is None or attr not in module._buffers:
                raise TrainingError(f"The checkpoint holds '{key}', which the network does not have.")
            setattr(module, attr, value.clone())   # a statistic not computed in a fresh build
        elif own[key].shape == value.shape:
            own[key].copy_(value)
        else:  # e.g. input normalization statistics not computed yet in a fresh build
            module_name, _, attr = key.rpartition(".")
            setattr(net.get_submodule(module_name), attr, value.clone())


class _Progress(BaseModel):
    """The ``progress`` metadata of a checkpoint (what resuming needs), validated before use."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["layergraph-checkpoint"]
    version: Literal[1]
    kind: Literal["assembled", "dlnetwork"]
    style: Literal["trainNetwork", "trainnet"]
    epoch: Annotated[StrictInt, Field(ge=1, le=10**9)]
    iteration: Annotated[StrictInt, Field(ge=0, le=10**12)]
    position: Annotated[StrictInt, Field(ge=0, le=10**12)]
    elapsed: Annotated[StrictFloat | StrictInt, Field(ge=0, allow_inf_nan=False)]
    history: dict[str, list[StrictFloat | StrictInt | None]]
    best: tuple[StrictFloat | StrictInt | None, Annotated[StrictInt, Field(ge=0)]]
    bad_validations: Annotated[StrictInt, Field(ge=0)]
    classes: list[StrictStr | StrictBool | StrictInt | StrictFloat | None] | None
    solver: StrictStr

    @model_validator(mode="after")
    def _consistent(self):
        keys = {"loss", "metric", "vloss", "vmetric", "lr"}
        if set(self.history) != keys:
            raise ValueError(f"history must have exactly the keys {', '.join(sorted(keys))}")
        for key, values in self.history.items():
            if len(values) != self.iteration:
                raise ValueError(f"history '{key}' has {len(values)} entries for iteration {self.iteration}")
        if self.best[1] > self.iteration:
            raise ValueError(f"best iteration {self.best[1]} is after iteration {self.iteration}")
        return self


def _validated_progress(text, path) -> dict:
    if not isinstance(text, str):
        raise TrainingError(f"Checkpoint '{path}' is damaged: it has no progress metadata.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise TrainingError(f"Checkpoint '{path}' is damaged: its progress metadata is not JSON ({exc}).") from None
    try:
        _Progress.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "progress"
            problems.append(f"{where}: {err['msg']}")
        raise TrainingError(f"Checkpoint '{path}' is damaged: its progress metadata is invalid ("
                            + "; ".join(problems) + ").") from None
    return data


@matlab_function(outputs=("checkpoint",), data_free=False)
def loadCheckpoint(path) -> Checkpoint:
    """Read a checkpoint written by ``CheckpointPath``: ``ckpt.network`` and the saved progress."""
    from safetensors import safe_open

    from ..network import _build
    from ..spec import load_spec

    path = os.fspath(path)
    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (OSError, Exception) as exc:
        if isinstance(exc, TrainingError):
            raise
        raise TrainingError(f"Cannot read checkpoint '{path}': {exc}.") from None
    if metadata.get("format") != FORMAT:
        raise TrainingError(f"'{path}' is not a layergraph checkpoint.")
    progress = _validated_progress(metadata.get("progress"), path)
    for key in ("data/order", "data/generator"):
        if key not in tensors:
            raise TrainingError(f"Checkpoint '{path}' is damaged: it has no '{key}'.")
    if tensors["data/order"].dim() != 1 or tensors["data/order"].is_floating_point():
        raise TrainingError(f"Checkpoint '{path}' is damaged: 'data/order' is not a vector of indices.")
    if tensors["data/generator"].dtype != torch.uint8:
        raise TrainingError(f"Checkpoint '{path}' is damaged: 'data/generator' is not a generator state.")
    if not isinstance(metadata.get("spec"), str):
        raise TrainingError(f"Checkpoint '{path}' is damaged: it has no network spec.")
    try:
        graph = load_spec(metadata["spec"])
        kind = progress["kind"]
        target = "trainNetwork" if kind == "assembled" else "dlnetwork"
        net = _build(graph, target=target, kind=kind, function="loadCheckpoint")
        _load_state(net, {k[len("state/"):]: v for k, v in tensors.items() if k.startswith("state/")})
    except LayerGraphError as exc:
        raise TrainingError(f"Checkpoint '{path}' is damaged: {exc}") from None
    except (RuntimeError, ValueError, TypeError, AttributeError) as exc:   # torch shape/dtype mismatches
        raise TrainingError(f"Checkpoint '{path}' is damaged: its network state does not fit the network ({exc}).") from None
    if progress.get("classes") is not None:
        net._lg.extra["classes"] = list(progress["classes"])
    return Checkpoint(net, progress, tensors, path)


load_checkpoint = loadCheckpoint

__all__ = ["Checkpoint", "save_checkpoint", "loadCheckpoint", "load_checkpoint", "is_checkpoint"]
