"""The documented transfer-learning workflow on a pretrained network, end to end: replaceLayer on
'fc1000'/'ClassificationLayer_predictions', frozen layers (learn-rate factors 0), trainNetwork;
series surgery ``net.Layers[:-3]``; feature extraction with activations(..., 'OutputAs', 'rows')."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

import layergraph as lg
from layergraph.matlab.api import port

import pretrained_reference as R


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A generated resnet18 weight file named as torchvision names its files (hash prefix in the name)."""
    folder = tmp_path_factory.mktemp("hub")
    ref = R.randomize(R.build(R.resnet18), seed=5)
    path = folder / "tmp.pth"
    torch.save(ref.state_dict(), path)
    data = path.read_bytes()
    path.unlink()
    name = f"resnet18-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / name).write_bytes(data)
    return ref, folder, name


@pytest.fixture()
def resnet18_in_cache(resnet18_file, monkeypatch):
    """That file in a temporary torch.hub cache, registered as resnet18's weight file."""
    import dataclasses

    from layergraph.networks.pretrained import catalog

    ref, folder, name = resnet18_file
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(folder))
    monkeypatch.setitem(catalog.NETWORKS, "resnet18", dataclasses.replace(catalog.NETWORKS["resnet18"], weight_file=name))
    yield ref
    torch.hub.set_dir(old)


def _freeze(layers):
    """MATLAB's freezeWeights example helper: every learn-rate factor of these layers set to 0."""
    out = []
    for layer in layers:
        layer = layer.copy()
        for opt in layer.options():
            if opt.endswith("LearnRateFactor"):
                setattr(layer, opt, 0)
        out.append(layer)
    return out


def test_resnet18_transfer_learning_from_python(resnet18_in_cache):
    """MATLAB's documented workflow: frozen layers keep their weights, the new head learns."""
    net = lg.resnet18()
    assert net.matlab_class() == "DAGNetwork"
    lgraph = lg.layerGraph(net)
    head = lg.fullyConnectedLayer(3, "Name", "fc3", "WeightLearnRateFactor", 10, "BiasLearnRateFactor", 10,
                                  "Weights", torch.zeros(3, 512), "Bias", torch.zeros(3, 1))
    lgraph = lg.replaceLayer(lgraph, "fc1000", head)
    lgraph = lg.replaceLayer(lgraph, "ClassificationLayer_predictions", lg.classificationLayer("Name", "out"))
    layers = lgraph.Layers
    frozen = [l for l in layers[1:40] if l.learnable_names()]          # conv1 ... res3b
    for layer in _freeze(frozen):
        lgraph = lg.replaceLayer(lgraph, layer.Name, layer)
    torch.manual_seed(0)
    X = torch.rand(4, 3, 224, 224) * 255
    Y = ["cat", "dog", "fish", "dog"]
    opts = lg.trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 2, "InitialLearnRate", 1e-2,
                              "Verbose", False, "Shuffle", "never")
    trained, info = lg.trainNetwork(X, Y, lgraph, opts)
    assert len(info.TrainingLoss) == 2
    after = {l.Name: l for l in trained.Layers}
    for layer in frozen:
        for prop in layer.learnable_names():
            assert torch.equal(after[layer.Name]._values[prop], layer._values[prop]), (layer.Name, prop)
    assert not torch.equal(after["fc3"].Weights, torch.zeros(3, 512))            # the new head learned
    assert not torch.equal(after["res5b_branch2b"].Weights, lgraph.layer("res5b_branch2b").Weights)  # not frozen
    assert list(after["out"].Classes) == ["cat", "dog", "fish"]
    assert trained.predict(X).shape == (4, 3)


def test_series_surgery_on_untrained_alexnet_and_vgg():
    for name in ("alexnet", "vgg16"):
        layers = getattr(lg, name)("Weights", "none")
        new = lg.LayerArray(list(layers[:-3]) + [lg.fullyConnectedLayer(5), lg.softmaxLayer, lg.classificationLayer])
        graph = lg.layerGraph(new)
        assert len(graph.layer_list()) == len(layers)
        assert [l.Name for l in graph.layer_list()][-4:] == ["drop7", "fc", "softmax", "classoutput"]


def test_activations_pool5_rows_on_pretrained(resnet18_in_cache):
    ref = resnet18_in_cache
    net = lg.resnet18()
    X = torch.rand(3, 3, 224, 224) * 255
    features = lg.activations(net, X, "pool5", "OutputAs", "rows")
    assert features.shape == (3, 512)
    with torch.no_grad():
        x = R.preprocess(X)
        x = torch.nn.functional.max_pool2d(torch.relu(ref.bn1(ref.conv1(x))), 3, 2, 1)
        for i in range(1, 5):
            x = getattr(ref, f"layer{i}")(x)
        expected = x.mean((2, 3)).numpy()
    assert np.abs(np.asarray(features) - expected).max() / np.abs(expected).max() < 1e-4


def test_ported_script_runs_the_transfer_workflow(resnet18_in_cache):
    script = """
net = resnet18;
lgraph = layerGraph(net);
numClasses = 4;
newFc = fullyConnectedLayer(numClasses, 'Name', 'new_fc', 'WeightLearnRateFactor', 10, 'BiasLearnRateFactor', 10);
lgraph = replaceLayer(lgraph, 'fc1000', newFc);
lgraph = replaceLayer(lgraph, 'ClassificationLayer_predictions', classificationLayer('Name', 'new_out'));
lgraph = removeLayers(lgraph, 'prob');
lgraph = addLayers(lgraph, softmaxLayer('Name', 'new_prob'));
lgraph = connectLayers(lgraph, 'new_fc', 'new_prob');
lgraph = connectLayers(lgraph, 'new_prob', 'new_out');
inputSize = net.Layers(1).InputSize;
layersB = vgg16('Weights', 'none');
layersB = [layersB(1:end-3); fullyConnectedLayer(7); softmaxLayer; classificationLayer];
"""
    result = port(script)
    assert not result.errors, result.errors
    lgraph = result.graphs()["lgraph"]
    names = [l.Name for l in lgraph.layer_list()]
    assert "fc1000" not in names and "new_fc" in names and names[-1] == "new_prob"
    assert lgraph.layer("new_fc").WeightLearnRateFactor == 10
    # the pretrained weights are not written into the generated Python as literals
    assert len(result.python_source) < 5_000_000 and "is not written as a literal" in result.python_source
    vgg = result.graphs()["layersB"]
    assert len(vgg.layer_list()) == 41 and vgg.layer_list()[-3].OutputSize == 7


def test_deeplabv3plus_on_pretrained_resnet18(resnet18_in_cache):
    ref = resnet18_in_cache
    lgraph = lg.deeplabv3plusLayers([64, 96], 4, "resnet18")
    names = [l.Name for l in lgraph.layer_list()]
    # decoder names of a Deep Network Designer export of MATLAB's DeepLab v3+ (resnet18)
    for name in ("aspp_Conv_1", "aspp_Conv_4", "aspp_BatchNorm_2", "aspp_Relu_3", "catAspp", "dec_c1", "dec_upsample1",
                 "dec_crop1", "dec_c2", "dec_relu2", "dec_cat1", "dec_c4", "scorer", "dec_upsample2", "dec_crop2",
                 "softmax-out", "classification"):
        assert name in names
    assert "pool5" not in names and "fc1000" not in names
    assert lgraph.layer("aspp_Conv_4").DilationFactor == (18, 18) and lgraph.layer("aspp_Conv_2").Padding == "same"
    assert lgraph.layer("dec_c1").WeightLearnRateFactor == 10 and lgraph.layer("dec_c1").BiasLearnRateFactor == 0
    up = lgraph.layer("dec_upsample2")
    assert tuple(up.Stride) == (4, 4) and tuple(up.Cropping) == (2, 2, 2, 2) and up.WeightLearnRateFactor == 0
    # bilinear kernel: 1-D profile (1, 3, 5, 7, 7, 5, 3, 1)/8, no mixing between classes
    profile = torch.tensor([1, 3, 5, 7, 7, 5, 3, 1]) / 8
    assert torch.allclose(up.Weights[:, :, 2, 2], profile[:, None] * profile[None, :])
    assert float(up.Weights[:, :, 1, 2].abs().sum()) == 0
    edges = {(s, d if dp == "in" else f"{d}/{dp}") for s, _, d, dp in lgraph.edge_list()}
    assert ("res2b_relu", "dec_c2") in edges and ("dec_relu2", "dec_crop1/ref") in edges
    assert ("data", "dec_crop2/ref") in edges and ("res5b_relu", "aspp_Conv_1") in edges
    # the backbone carries resnet18's pretrained weights (MATLAB layout)
    expected = ref.layer1[0].conv1.weight.detach().permute(2, 3, 1, 0)
    assert torch.equal(lgraph.layer("res2a_branch2a").Weights, expected)
    net = lg.assembleNetwork(lgraph)
    scores = net.predict(torch.rand(1, 3, 64, 96) * 255)
    assert scores.shape == (1, 4, 64, 96)
    assert torch.allclose(scores.sum(1), torch.ones(1, 64, 96), atol=1e-5)
    with pytest.raises(lg.OptionError, match="not supported here"):
        lg.deeplabv3plusLayers([64, 64], 2, "xception")
    dl = lg.deeplabv3plus([64, 96], 4, "resnet18")
    assert dl.kind == "dlnetwork" and dl.OutputNames == ["softmax-out"]
    assert dl.predict(torch.rand(1, 3, 64, 96) * 255).shape == (1, 4, 64, 96)
