"""x .* sigmoid(x) written as sigmoidLayer + multiplicationLayer (MATLAB's efficientnetb0) runs as one
F.silu in the generated forward; values, gradients and activations of the sigmoid layer are those of
the two layers, and pairs that are not a swish keep both layers."""

from __future__ import annotations

import torch

import layergraph as lg


def _swish_graph(extra_consumer: bool = False, other_input: bool = False):
    g = lg.layerGraph([lg.imageInputLayer([5, 4, 3], Normalization="none", Name="in"),
                       lg.convolution2dLayer(1, 3, Name="conv")])
    g = lg.addLayers(g, lg.sigmoidLayer(Name="sig"))
    g = lg.addLayers(g, lg.multiplicationLayer(2, Name="mul"))
    g = lg.connectLayers(g, "conv", "sig")
    g = lg.connectLayers(g, "in" if other_input else "conv", "mul/in1")
    g = lg.connectLayers(g, "sig", "mul/in2")
    if extra_consumer:
        g = lg.addLayers(g, lg.additionLayer(2, Name="add"))
        g = lg.connectLayers(g, "mul", "add/in1")
        g = lg.connectLayers(g, "sig", "add/in2")
    return g


def _reference(net, x, extra_consumer=False, other_input=False):
    m = net.layer_module("conv")
    y = torch.nn.functional.conv2d(x, m.Weights, m.Bias)
    s = torch.sigmoid(y)
    out = (x if other_input else y) * s
    return out + s if extra_consumer else out


def test_swish_pair_runs_as_silu_with_the_same_values_gradients_and_activations():
    net = lg.dlnetwork(_swish_graph())
    targets = [n.target for n in net.graph.nodes if n.op == "call_function"]
    assert torch.nn.functional.silu in targets
    assert not any(n.op == "call_module" and n.target == "sig" for n in net.graph.nodes)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 4, requires_grad=True)
    y = net(x)
    expected = _reference(net, x)
    assert torch.allclose(y, expected, atol=1e-6)
    g1, = torch.autograd.grad(y.sum(), x)
    g2, = torch.autograd.grad(expected.sum(), x)
    assert torch.allclose(g1, g2, atol=1e-6)
    with torch.no_grad():
        conv = net.activations(x, layer="conv")
        assert torch.allclose(net.activations(x, layer="sig"), torch.sigmoid(conv))
    assert net.OutputNames == ["mul"]


def test_pairs_that_are_not_a_swish_keep_both_layers():
    torch.manual_seed(1)
    x = torch.randn(2, 3, 5, 4)
    for kw in ({"extra_consumer": True}, {"other_input": True}):
        net = lg.dlnetwork(_swish_graph(**kw))
        assert any(n.op == "call_module" and n.target == "sig" for n in net.graph.nodes)
        with torch.no_grad():
            assert torch.allclose(net(x), _reference(net, x, **kw), atol=1e-6)


def test_efficientnetb0_activations_of_a_fused_sigmoid():
    net = lg.dlnetwork(lg.removeLayers(lg.efficientnetb0("Weights", "none"), "classification"))
    assert sum(1 for n in net.graph.nodes if n.target is torch.nn.functional.silu) == 49
    x = torch.rand(1, 3, 224, 224) * 255
    with torch.no_grad():
        bn = net.activations(x, layer="efficientnet-b0|model|stem|tpu_batch_normalization|FusedBatchNorm")
        sig = net.activations(x, layer="efficientnet-b0|model|stem|SigmoidLayer")
        mul = net.activations(x, layer="efficientnet-b0|model|stem|MulLayer")
    assert torch.allclose(sig, torch.sigmoid(bn)) and torch.allclose(mul, bn * torch.sigmoid(bn), atol=1e-5)
