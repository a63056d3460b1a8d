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

import torch

from ..errors import TrainingError
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
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return str(path)


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
    progress = json.loads(metadata["progress"])
    graph = load_spec(metadata["spec"])
    kind = progress["kind"]
    target = "trainNetwork" if kind == "assembled" else "dlnetwork"
    net = _build(graph, target=target, kind=kind, function="loadCheckpoint")
    _load_state(net, {k[len("state/"):]: v for k, v in tensors.items() if k.startswith("state/")})
    if progress.get("classes") is not None:
        net._lg.extra["classes"] = list(progress["classes"])
    return Checkpoint(net, progress, tensors, path)


load_checkpoint = loadCheckpoint

__all__ = ["Checkpoint", "save_checkpoint", "loadCheckpoint", "load_checkpoint", "is_checkpoint"]
