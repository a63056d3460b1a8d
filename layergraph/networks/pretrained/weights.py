"""Pretrained weight files: where they live (torch.hub's checkpoints cache), how they are checked
(the sha256 prefix in torchvision's file names), downloaded and mapped into MATLAB layout.

No torchvision import: the files are read with ``torch.load(weights_only=True)``. A missing file is a
:class:`PretrainedWeightsError` naming the file, its URL and where to put it; never a random network.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path

import torch

from ...errors import LayerGraphError
from ...graph import LayerGraph


class PretrainedWeightsError(LayerGraphError):
    """A pretrained weight file is missing, corrupt, or does not fit the network."""


def cache_dir() -> Path:
    """torch.hub's checkpoints folder ($TORCH_HOME/hub/checkpoints, default ~/.cache/torch/hub/checkpoints)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def expected_hash_prefix(file_name: str) -> str | None:
    """torchvision names its files ``name-<first hex digits of sha256>.pth``."""
    match = re.search(r"-([0-9a-f]{8,})\.pth$", file_name)
    return match.group(1) if match else None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_file(path: Path) -> None:
    prefix = expected_hash_prefix(path.name)
    if prefix is not None:
        digest = sha256(path)
        if not digest.startswith(prefix):
            raise PretrainedWeightsError(
                f"Pretrained weight file '{path}' is corrupt: its sha256 starts with {digest[:len(prefix)]}, "
                f"expected {prefix} (from its name). Delete it and download it again."
            )


def missing_message(network: str, file_name: str, url: str) -> str:
    return (
        f"{network}: the pretrained weights are not available offline. Missing file '{file_name}' in "
        f"{cache_dir()} (torch.hub's checkpoints cache). It comes from {url}. Fetch it with "
        f"'layergraph pretrained download {network}', or download it by hand and place it in that folder "
        f"(set TORCH_HOME to use another cache). Use {network}('Weights','none') for the untrained network."
    )


def locate(network: str, file_name: str, url: str) -> Path:
    path = cache_dir() / file_name
    if not path.is_file():
        raise PretrainedWeightsError(missing_message(network, file_name, url))
    return path


def download(network: str, file_name: str, url: str, *, progress=None) -> Path:
    """Download ``url`` into the cache as ``file_name`` (atomic rename after the checksum passes)."""
    target = cache_dir() / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=file_name + ".", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    shutil.copyfileobj(response, out, 1 << 20)
            except OSError as exc:
                raise PretrainedWeightsError(
                    f"{network}: could not download {url}: {exc}. {missing_message(network, file_name, url)}"
                ) from None
        prefix = expected_hash_prefix(file_name)
        if prefix is not None:
            digest = sha256(Path(tmp))
            if not digest.startswith(prefix):
                raise PretrainedWeightsError(
                    f"{network}: the file downloaded from {url} has sha256 {digest[:12]}..., expected a hash "
                    f"starting with {prefix}; it was not saved."
                )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def read_state_dict(path: Path) -> dict:
    check_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file becomes the project's error
        raise PretrainedWeightsError(f"Pretrained weight file '{path}' cannot be read: {exc}") from None
    if not isinstance(state, dict):
        raise PretrainedWeightsError(f"Pretrained weight file '{path}' does not hold a state dict.")
    return state


# ---- mapping into MATLAB layout ----------------------------------------------------------------------

def map_state_dict(graph: LayerGraph, keys, state: dict, *, network: str, bn_epsilon: float | None = None,
                   source: str = "weight file", ignore: tuple = ()) -> LayerGraph:
    """Set the learnables named in ``keys`` [(MATLAB layer, 'conv'|'fc'|'bn', torch prefix)] from ``state``.

    Values pass through each layer's own torch->MATLAB conversion (``from_torch``), so grouped
    convolutions and fully connected layers after images get MATLAB's layouts; shapes are checked.
    """
    from ...analysis import analyze_graph
    from .common import NetBuilder

    analysis = analyze_graph(graph)
    changes: dict[str, dict] = {}
    used = set()

    def tensor(key):
        if key not in state:
            raise PretrainedWeightsError(f"{network}: the {source} has no tensor '{key}'.")
        used.add(key)
        return state[key].detach().to(torch.float32)

    for name, kind, prefix in keys:
        layer = graph.layer(name)
        inputs = analysis.input_layouts[name]
        sizes = dict(layer.learnable_sizes(inputs))
        sizes.update(layer.state_sizes(inputs))
        if kind in ("conv", "fc"):
            w = tensor(prefix + ".weight")
            b = tensor(prefix + ".bias") if prefix + ".bias" in state else torch.zeros(w.shape[0])
            values = {"Weights": layer.from_torch("Weights", w, inputs), "Bias": layer.from_torch("Bias", b, inputs)}
        elif kind == "bn":
            values = {"Scale": tensor(prefix + ".weight"), "Offset": tensor(prefix + ".bias"),
                      "TrainedMean": tensor(prefix + ".running_mean"), "TrainedVariance": tensor(prefix + ".running_var")}
            values = {k: layer.from_torch(k, v, inputs) for k, v in values.items()}
            state.get(prefix + ".num_batches_tracked") is not None and used.add(prefix + ".num_batches_tracked")
            if bn_epsilon is not None:
                values["Epsilon"] = bn_epsilon
        else:  # pragma: no cover - internal tables only use the kinds above
            raise PretrainedWeightsError(f"{network}: unknown mapping kind {kind!r}.")
        for prop, value in values.items():
            if prop in sizes and tuple(value.shape) != tuple(sizes[prop]):
                raise PretrainedWeightsError(
                    f"{network}: {source} tensor for layer '{name}' {prop} has MATLAB size "
                    f"{'×'.join(map(str, value.shape))}, expected {'×'.join(map(str, sizes[prop]))}."
                )
        changes[name] = values
    unused = [k for k in state if k not in used and not k.startswith(tuple(ignore))]
    if unused:
        raise PretrainedWeightsError(
            f"{network}: the {source} has tensors the network does not use: {', '.join(unused[:5])}"
            + (" ..." if len(unused) > 5 else "") + "."
        )
    builder = NetBuilder()
    for layer in graph.layer_list():
        builder.layers.append(layer.copy(**changes[layer.Name]) if layer.Name in changes else layer)
    builder.edges = [(f"{s}/{sp}", f"{d}/{dp}") for s, sp, d, dp in graph.edge_list()]
    return builder.graph()


def fold_input_scale(graph: LayerGraph, conv_name: str, std) -> LayerGraph:
    """Divide the first convolution's weights by the per-channel ``std`` (0..255 scale): a 'zerocenter'
    input followed by it computes what torchvision's ``(x/255 - mean)/std`` preprocessing does."""
    from .common import NetBuilder

    builder = NetBuilder()
    scale = torch.tensor(std, dtype=torch.float32).reshape(1, 1, -1, 1)
    for layer in graph.layer_list():
        if layer.Name == conv_name:
            layer = layer.copy(Weights=layer.Weights / scale)
        builder.layers.append(layer)
    builder.edges = [(f"{s}/{sp}", f"{d}/{dp}") for s, sp, d, dp in graph.edge_list()]
    return builder.graph()
