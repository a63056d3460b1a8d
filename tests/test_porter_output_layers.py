"""Issue 11 item 8: custom output layer classdefs (forwardLoss in plain MATLAB arithmetic) are translated and
match a NumPy reference computed here in MATLAB layout; a forwardLoss that cannot be translated becomes a
placeholder output layer: analysis warns, the network compiles, training raises an error naming the layer.
The classdefs are our own, shaped like the dice/focal/weighted cross-entropy/Tversky layers real code has."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch

from layergraph import analyzeNetwork, assembleNetwork
from layergraph.errors import CustomLayerError
from layergraph.matlab import port


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def classdef(name, body, props="", ctor="", base="nnet.layer.ClassificationLayer"):
    return f"""\
        classdef {name} < {base}
            properties
                {props}
            end
            methods
                function layer = {name}(varargin)
                    layer.Name = 'loss';
                    {ctor}
                end
                function loss = forwardLoss(layer, Y, T)
                    {body}
                end
            end
        end
    """


SEG_NET = """\
    layers = [imageInputLayer([6 5 1], 'Name', 'in', 'Normalization', 'none')
        convolution2dLayer(3, 3, 'Padding', 'same', 'Name', 'conv')
        softmaxLayer('Name', 'sm')
        {ctor}];
"""
FEAT_NET = """\
    layers = [featureInputLayer(4, 'Name', 'in')
        fullyConnectedLayer(3, 'Name', 'fc')
        softmaxLayer('Name', 'sm')
        {ctor}];
"""


def run_loss(tmp_path, net_text, seg: bool):
    r = port(write(tmp_path, "net.m", net_text))
    graph = r.graphs()["layers"]
    assert not analyzeNetwork(graph, Plots="none").has_errors
    net = assembleNetwork(graph)
    torch.manual_seed(0)
    x = torch.rand(2, 1, 6, 5) if seg else torch.rand(5, 4)
    y = net(x)
    labels = torch.randint(0, 3, (2, 6, 5) if seg else (5,))
    t = torch.nn.functional.one_hot(labels, 3).float()
    t = t.permute(0, 3, 1, 2) if seg else t
    loss = float(net.loss(y, t).detach())
    # MATLAB layout for the NumPy reference: H x W x C x N (images), C x N (features)
    perm = (2, 3, 1, 0) if seg else (1, 0)
    return loss, y.detach().numpy().transpose(perm).astype(np.float64), t.numpy().transpose(perm), r


def test_dice_loss(tmp_path):
    write(tmp_path, "diceLoss.m", classdef("diceLoss", """
                    N = size(Y, 4);
                    inter = sum(Y .* T, [1 2]);
                    union = sum(Y .^ 2 + T .^ 2, [1 2]);
                    dice = (2 * inter + layer.Epsilon) ./ (union + layer.Epsilon);
                    loss = sum(1 - mean(dice, 3), 'all') / N;""", props="Epsilon = 1e-8;"))
    loss, Y, T, r = run_loss(tmp_path, SEG_NET.format(ctor="diceLoss()"), seg=True)
    inter = (Y * T).sum(axis=(0, 1), keepdims=True)
    union = (Y ** 2 + T ** 2).sum(axis=(0, 1), keepdims=True)
    dice = (2 * inter + 1e-8) / (union + 1e-8)
    assert loss == pytest.approx((1 - dice.mean(axis=2)).sum() / 2, rel=1e-5)
    assert "class diceLoss(MatlabOutputLayer)" in r.python_source


def test_tversky_loss(tmp_path):
    write(tmp_path, "tverskyLoss.m", classdef("tverskyLoss", """
                    TP = sum(Y .* T, [1 2]);
                    FP = sum(Y .* (1 - T), [1 2]);
                    FN = sum((1 - Y) .* T, [1 2]);
                    TI = TP ./ (TP + layer.Alpha .* FP + layer.Beta .* FN);
                    N = size(Y, 4);
                    loss = sum(1 - mean(TI, 3), 'all') / N;""", props="Alpha = 0.3;\n                Beta = 0.7;"))
    loss, Y, T, _ = run_loss(tmp_path, SEG_NET.format(ctor="tverskyLoss()"), seg=True)
    tp = (Y * T).sum(axis=(0, 1))
    fp = (Y * (1 - T)).sum(axis=(0, 1))
    fn = ((1 - Y) * T).sum(axis=(0, 1))
    ti = tp / (tp + 0.3 * fp + 0.7 * fn)
    assert loss == pytest.approx((1 - ti.mean(axis=0)).sum() / 2, rel=1e-5)


def test_focal_loss(tmp_path):
    write(tmp_path, "focalLoss.m", classdef("focalLoss", """
                    N = size(Y, 2);
                    p = max(Y, 1e-7);
                    ce = -T .* log(p);
                    w = layer.Alpha .* (1 - p) .^ layer.Gamma;
                    loss = sum(w .* ce, 'all') / N;""", props="Gamma = 2;\n                Alpha = 0.25;"))
    loss, Y, T, _ = run_loss(tmp_path, FEAT_NET.format(ctor="focalLoss()"), seg=False)
    p = np.maximum(Y, 1e-7)
    assert loss == pytest.approx((0.25 * (1 - p) ** 2 * (-T * np.log(p))).sum() / 5, rel=1e-5)


def test_weighted_cross_entropy(tmp_path):
    write(tmp_path, "weightedCE.m", classdef("weightedCE", """
                    N = size(Y, 2);
                    W = layer.ClassWeights;
                    loss = -sum(W .* T .* log(Y), 'all') / N;""", props="ClassWeights", ctor="""
                    layer.ClassWeights = varargin{1};"""))
    loss, Y, T, _ = run_loss(tmp_path, FEAT_NET.format(ctor="weightedCE([0.5; 2; 1])"), seg=False)
    w = np.array([[0.5], [2.0], [1.0]])
    assert loss == pytest.approx(-(w * T * np.log(Y)).sum() / 5, rel=1e-5)


def test_an_untranslatable_loss_is_a_placeholder_that_analyses_compiles_and_refuses_training(tmp_path):
    write(tmp_path, "loopLoss.m", classdef("loopLoss", """
                    loss = 0;
                    for k = 1:size(Y, 2)
                        loss = loss - sum(T(:, k) .* log(Y(:, k)));
                    end"""))
    r = port(write(tmp_path, "net.m", FEAT_NET.format(ctor="loopLoss()")))
    assert any("loopLoss" in w and "placeholder" in w for w in r.warnings)
    graph = r.graphs()["layers"]
    analysis = analyzeNetwork(graph, Plots="none")
    assert not analysis.has_errors
    assert any(i.Severity == "Warning" and i.Layer == "loss" and "loopLoss" in str(i) for i in analysis.Issues)
    net = assembleNetwork(graph)
    y = net(torch.rand(2, 4))
    with pytest.raises(CustomLayerError, match="Layer 'loss' is a placeholder"):
        net.loss(y, torch.tensor([0, 1]))
