"""Pretrained weights: the torchvision-layout mapping proven against reference torch computations
with random weights (no download), and the loading path (cache, checksum, download, CLI) against
generated files served from 127.0.0.1."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.networks.pretrained import pretrained_graph_from_state
from layergraph.networks.pretrained import weights as W

import pretrained_reference as R

# network: (reference builder, input size, layer whose activations equal the reference logits)
MAPPED = {
    "resnet18": (R.resnet18, 224, "fc1000"),
    "squeezenet": (R.SqueezeNet11, 227, "pool10"),
    "mobilenetv2": (R.MobileNetV2, 224, "Logits"),
    "resnet50": (R.resnet50, 224, "fc1000"),
    "resnet101": (R.resnet101, 224, "fc1000"),
    "vgg16": (R.vgg16, 224, "fc8"),
    "inceptionv3": (R.InceptionV3, 299, "predictions"),
    "densenet201": (R.DenseNet201, 224, "fc1000"),
    "efficientnetb0": (R.EfficientNetB0, 224, "efficientnet-b0|model|head|dense|MatMul"),
}


def _compare(name, reference, size, layer, seed=0):
    ref = R.randomize(R.build(reference), seed)
    state = ref.state_dict()
    if name == "densenet201":
        state = R.legacy_densenet_keys(state)
        assert "features.denseblock1.denselayer1.norm.1.weight" in state
    net = lg.assembleNetwork(pretrained_graph_from_state(name, state))
    torch.manual_seed(seed)
    x = torch.rand(1, 3, size, size) * 255           # MATLAB's 0..255 pixels
    with torch.no_grad():
        expected = ref(R.preprocess(x))
    net.eval()
    with torch.no_grad():
        got = net.activations(x, layer=layer).reshape(expected.shape)
        probs = net(x).reshape(expected.shape)
    scale = expected.abs().max()
    assert float((got - expected).abs().max() / scale) < 1e-4
    assert torch.allclose(probs, torch.softmax(expected, 1), atol=1e-5)
    return net


@pytest.mark.parametrize("name", list(MAPPED))
def test_mapping_reproduces_reference_computation(name):
    reference, size, layer = MAPPED[name]
    net = _compare(name, reference, size, layer)
    assert net.matlab_class() == ("SeriesNetwork" if name.startswith("vgg") else "DAGNetwork")


def test_vgg19_mapping_keys_shapes_and_fc_column_order():
    """vgg19 shares vgg16's mapping code: every tensor of a vgg19 file lands in its layer, and fc6's
    MATLAB columns run H fastest, then W, then C (torchvision's flatten runs C, H, W)."""
    state = {k: v.zero_() for k, v in R.build(R.vgg19).state_dict().items()}
    state["features.34.bias"] = torch.arange(512, dtype=torch.float32)
    state["classifier.6.bias"] = torch.arange(1000, dtype=torch.float32)
    state["classifier.0.weight"][0, 5 * 49 + 2 * 7 + 3] = 1.0          # torch: channel 5, row 2, column 3
    graph = pretrained_graph_from_state("vgg19", state)
    assert torch.equal(graph.layer("conv5_4").Bias.flatten(), torch.arange(512, dtype=torch.float32))
    assert torch.equal(graph.layer("fc8").Bias.flatten(), torch.arange(1000, dtype=torch.float32))
    matlab = graph.layer("fc6").Weights
    assert tuple(matlab.shape) == (4096, 25088)
    assert matlab[0, 2 + 7 * 3 + 49 * 5] == 1.0 and float(matlab[0].abs().sum()) == 1.0


def test_mismatched_or_incomplete_state_dict_is_a_project_error():
    state = R.resnet18().state_dict()
    bad = dict(state)
    bad["fc.weight"] = torch.zeros(10, 512)
    bad["fc.bias"] = torch.zeros(10)
    with pytest.raises(W.PretrainedWeightsError, match="'fc1000' Weights has MATLAB size 10×512, expected 1000×512"):
        pretrained_graph_from_state("resnet18", bad)
    missing = dict(state)
    del missing["layer3.1.bn2.running_var"]
    with pytest.raises(W.PretrainedWeightsError, match="no tensor 'layer3.1.bn2.running_var'"):
        pretrained_graph_from_state("resnet18", missing)
    extra = dict(state)
    extra["aux.weight"] = torch.zeros(1)
    with pytest.raises(W.PretrainedWeightsError, match="does not use: aux.weight"):
        pretrained_graph_from_state("resnet18", extra)


# ---- the loading path ----------------------------------------------------------------------------

def _hashed_file(folder: Path, stem: str, state: dict) -> tuple[Path, bytes]:
    tmp = folder / "tmp.pth"
    torch.save(state, tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    digest = hashlib.sha256(data).hexdigest()
    return folder / f"{stem}-{digest[:8]}.pth", data


@pytest.fixture()
def hub(tmp_path, monkeypatch):
    home = tmp_path / "torch_home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(home / "hub"))
    yield home / "hub" / "checkpoints"
    torch.hub.set_dir(old)


@pytest.fixture()
def squeezenet_file(tmp_path, monkeypatch):
    """A generated squeezenet1_1 weight file, registered as the network's weight file."""
    import dataclasses

    from layergraph.networks.pretrained import catalog

    ref = R.randomize(R.build(R.SqueezeNet11), seed=3)
    path, data = _hashed_file(tmp_path, "squeezenet1_1", ref.state_dict())
    info = dataclasses.replace(catalog.NETWORKS["squeezenet"], weight_file=path.name)
    monkeypatch.setitem(catalog.NETWORKS, "squeezenet", info)
    return ref, path.name, data


def test_missing_file_error_names_file_url_and_folder(hub, squeezenet_file):
    _, file_name, _ = squeezenet_file
    with pytest.raises(W.PretrainedWeightsError) as info:
        lg.squeezenet()
    text = str(info.value)
    assert file_name in text and str(hub) in text
    assert "https://download.pytorch.org/models/" + file_name in text
    assert "layergraph pretrained download squeezenet" in text


def test_cached_file_is_checked_mapped_and_assembled(hub, squeezenet_file):
    ref, file_name, data = squeezenet_file
    hub.mkdir(parents=True)
    (hub / file_name).write_bytes(data)
    net = lg.squeezenet()
    assert net.matlab_class() == "DAGNetwork" and len(net.Layers) == 68
    x = torch.rand(2, 3, 227, 227) * 255
    with torch.no_grad():
        expected = torch.softmax(ref(R.preprocess(x)), 1)
    assert torch.allclose(net.predict(x).reshape(expected.shape), expected, atol=1e-5)
    (hub / file_name).write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(W.PretrainedWeightsError, match="is corrupt"):
        lg.squeezenet()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def local_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = lambda *a, **k: _Quiet(*a, directory=str(served), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_from_local_server_checks_hash(hub, squeezenet_file, local_server):
    _, file_name, data = squeezenet_file
    served, base = local_server
    (served / file_name).write_bytes(data)
    path = W.download("squeezenet", file_name, base + file_name)
    assert path == hub / file_name and path.read_bytes() == data
    assert lg.squeezenet().matlab_class() == "DAGNetwork"
    path.unlink()
    (served / file_name).write_bytes(b"not the published file")
    with pytest.raises(W.PretrainedWeightsError, match="it was not saved"):
        W.download("squeezenet", file_name, base + file_name)
    assert not path.exists() and list(hub.iterdir()) == []
    with pytest.raises(W.PretrainedWeightsError, match="could not download"):
        W.download("squeezenet", file_name, base + "nothing-here.pth")


def test_cli_download_and_list(hub, local_server, capsys):
    from layergraph.cli import main

    served, base = local_server
    path, data = _hashed_file(served, "resnet18", R.resnet18().state_dict())
    path.write_bytes(data)
    assert main(["pretrained", "list"]) == 0
    listed = capsys.readouterr().out
    assert str(hub) in listed
    assert "resnet18-f37072fd.pth" in listed and "not downloaded" in listed
    assert "no public weight file" in listed.splitlines()[2]        # alexnet
    # the published name carries the real file's hash: a generated file must fail the check
    assert main(["pretrained", "download", "resnet18", "--url", base + path.name]) == 1
    assert "it was not saved" in capsys.readouterr().err
    assert main(["pretrained", "download", "googlenet"]) == 1
    assert "no public weight file" in capsys.readouterr().err
    (hub / "resnet18-f37072fd.pth").write_bytes(b"")
    assert main(["pretrained", "list"]) == 0
    assert "cached" in [line for line in capsys.readouterr().out.splitlines() if line.startswith("resnet18")][0]


def test_imagenet_class_names_and_classify(hub, squeezenet_file):
    from layergraph.networks.pretrained.classes import imagenet_class_names

    names = imagenet_class_names()
    # indices of the ILSVRC-2012 order; spellings of MathWorks' example printouts
    assert len(names) == len(set(names)) == 1000
    assert names[:8] == ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead", "electric ray",
                         "stingray", "cock"]
    assert (names[151], names[281], names[417], names[945], names[948], names[999]) == (
        "Chihuahua", "tabby", "balloon", "bell pepper", "Granny Smith", "toilet tissue")
    for shown in ("papillon", "eggnog", "jackfruit", "castle", "sleeping bag", "redshank", "Band Aid", "wok",
                  "seat belt", "orange", "speedboat", "window screen", "isopod", "wooden spoon", "custard apple"):
        assert shown in names
    ref, file_name, data = squeezenet_file
    hub.mkdir(parents=True)
    (hub / file_name).write_bytes(data)
    net = lg.squeezenet()
    assert list(net.Layers[-1].Classes) == names
    X = torch.rand(2, 3, 227, 227) * 255
    labels, scores = lg.classify(net, X)
    with torch.no_grad():
        best = ref(R.preprocess(X)).argmax(1)
    assert [str(l) for l in np.asarray(labels).ravel()] == [names[i] for i in best]


def test_image_pretrained_network(hub, squeezenet_file):
    ref, file_name, data = squeezenet_file
    net, class_names = lg.imagePretrainedNetwork("squeezenet", Weights="none")
    # MathWorks' imagePretrainedNetwork page: 68 layers, 75 connections, 52 learnables, OutputNames prob_flatten
    assert (len(net.Layers), len(net.Connections), len(net.Learnables)) == (68, 75, 52)
    assert net.OutputNames == ["prob_flatten"] and net.InputNames == ["data"]
    assert class_names[:3] == ["tench", "goldfish", "great white shark"]
    with pytest.raises(W.PretrainedWeightsError, match="Missing file"):
        lg.imagePretrainedNetwork()
    hub.mkdir(parents=True)
    (hub / file_name).write_bytes(data)
    net, _ = lg.imagePretrainedNetwork()
    X = torch.rand(2, 3, 227, 227) * 255
    with torch.no_grad():
        expected = torch.softmax(ref(R.preprocess(X)), 1)
    assert torch.allclose(net.predict(X), expected, atol=1e-5)
    net5, names5 = lg.imagePretrainedNetwork("squeezenet", "NumClasses", 5)
    assert names5 == [] and net5.predict(X).shape == (2, 5)
    conv10 = {l.Name: l for l in net5.Layers}["conv10"]
    assert tuple(conv10.Weights.shape) == (1, 1, 512, 5)
    fire9 = {l.Name: l for l in net5.Layers}["fire9-expand3x3"]
    assert torch.equal(fire9.Weights, {l.Name: l for l in net.Layers}["fire9-expand3x3"].Weights)
    resnet, _ = lg.imagePretrainedNetwork("resnet18", Weights="none", NumClasses=3)
    assert resnet.OutputNames == ["prob"] and len(resnet.Layers) == 70
    with pytest.raises(lg.OptionError, match="NumClasses must be a positive integer"):
        lg.imagePretrainedNetwork("resnet18", NumClasses=0)
    with pytest.raises(lg.OptionError, match="Unknown pretrained network 'nasnetlarge'"):
        lg.imagePretrainedNetwork("nasnetlarge")
