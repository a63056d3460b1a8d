"""The compiled network is plain PyTorch: ONNX export runs in onnxruntime with the same outputs."""

from __future__ import annotations

import numpy as np
import onnxruntime
import torch

from layergraph import (
    additionLayer,
    assembleNetwork,
    batchNormalizationLayer,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    fullyConnectedLayer,
    imageInputLayer,
    layerGraph,
    maxPooling2dLayer,
    reluLayer,
    softmaxLayer,
)


def test_onnx_export_matches_torch(tmp_path):
    torch.manual_seed(0)
    g = layerGraph([imageInputLayer([9, 9, 2], Normalization="none"), convolution2dLayer(3, 4, Padding="same", Stride=2),
                    batchNormalizationLayer, reluLayer(Name="relu_1"), convolution2dLayer(3, 4, Padding="same"),
                    additionLayer(2, Name="add"), maxPooling2dLayer(2, Stride=2, Padding="same"),
                    fullyConnectedLayer(3), softmaxLayer, classificationLayer])
    g = connectLayers(g, "relu_1", "add/in2")
    net = assembleNetwork(g).eval()
    x = torch.randn(2, 2, 9, 9)
    path = tmp_path / "net.onnx"
    torch.onnx.export(net, (x,), str(path), dynamo=False, input_names=["imageinput"])
    session = onnxruntime.InferenceSession(str(path))
    (y,) = session.run(None, {"imageinput": x.numpy()})
    np.testing.assert_allclose(y, net(x).detach().numpy(), rtol=1e-5, atol=1e-6)
