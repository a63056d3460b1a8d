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


@pytest.fixture()
def resnet18_in_cache(tmp_path, monkeypatch):
    """A generated resnet18 weight file in a temporary torch.hub cache under its published name."""
    import dataclasses

    from layergraph.networks.pretrained import catalog

    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    ref = R.randomize(R.build(R.resnet18), seed=5)
    path = tmp_path / "tmp.pth"
    torch.save(ref.state_dict(), path)
    data = path.read_bytes()
    name = f"resnet18-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / name).write_bytes(data)
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
    net = lg.resnet18()
    assert net.matlab_class() == "DAGNetwork"
    lgraph = lg.layerGraph(net)
    lgraph = lg.replaceLayer(lgraph, "fc1000", lg.fullyConnectedLayer(3, "Name", "fc3", "WeightLearnRateFactor", 10,
                                                                      "BiasLearnRateFactor", 10))
    lgraph = lg.replaceLayer(lgraph, "ClassificationLayer_predictions", lg.classificationLayer("Name", "out"))
    frozen = [l.Name for l in lgraph.Layers[:-4] if l.learnable_names()]     # everything before pool5
    for name in frozen:
        lgraph = lg.replaceLayer(lgraph, name, _freeze([lgraph.layer(name)])[0])
    torch.manual_seed(0)
    X = torch.rand(4, 3, 224, 224) * 255
    Y = ["cat", "dog", "fish", "dog"]
    opts = lg.trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 2, "InitialLearnRate", 1e-2,
                              "Verbose", False, "Shuffle", "never")
    trained, info = lg.trainNetwork(X, Y, lgraph, opts)
    assert len(info.TrainingLoss) == 2
    before = {l.Name: l for l in lgraph.Layers}
    after = {l.Name: l for l in trained.Layers}
    for name in ("conv1", "res3a_branch1", "res5b_branch2b"):
        assert torch.equal(after[name].Weights, before[name].Weights)
    assert torch.equal(after["bn5b_branch2b"].Scale, before["bn5b_branch2b"].Scale)
    assert before["fc3"].Weights is None and tuple(after["fc3"].Weights.shape) == (3, 512)
    assert list(after["out"].Classes) == ["cat", "dog", "fish"]
    assert trained.predict(X).shape == (4, 3)


def test_frozen_weights_unchanged_and_new_head_changes(resnet18_in_cache):
    net = lg.resnet18()
    lgraph = lg.layerGraph(net)
    head = lg.fullyConnectedLayer(2, "Name", "fc2", "WeightLearnRateFactor", 10, "BiasLearnRateFactor", 10,
                                  "Weights", torch.zeros(2, 512), "Bias", torch.zeros(2, 1))
    lgraph = lg.replaceLayer(lgraph, "fc1000", head)
    lgraph = lg.replaceLayer(lgraph, "ClassificationLayer_predictions", lg.classificationLayer("Name", "out"))
    layers = lgraph.Layers
    for layer in _freeze(layers[1:10]):
        lgraph = lg.replaceLayer(lgraph, layer.Name, layer)
    X = torch.rand(2, 3, 224, 224) * 255
    opts = lg.trainingOptions("sgdm", "MaxEpochs", 1, "MiniBatchSize", 2, "Verbose", False)
    trained, _ = lg.trainNetwork(X, ["a", "b"], lgraph, opts)
    after = {l.Name: l for l in trained.Layers}
    for layer in layers[1:10]:
        for prop in layer.learnable_names():
            assert torch.equal(after[layer.Name]._values[prop], layer._values[prop]), (layer.Name, prop)
    assert not torch.equal(after["fc2"].Weights, torch.zeros(2, 512))          # the new head learned
    assert not torch.equal(after["res5b_branch2b"].Weights, lgraph.layer("res5b_branch2b").Weights)  # not frozen


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
