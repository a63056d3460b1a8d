"""A ResNet-18-style image classifier written as MATLAB layer arrays plus connectLayers.

Stem (7×7/2 conv, batch norm, ReLU, 3×3/2 max pool), four stages of two basic blocks (64, 128, 256,
512 filters), 1×1 stride-2 projection shortcuts where the shape changes, global average pooling, fc.
Run it: ``python examples/resnet18.py``.
"""

from __future__ import annotations

from layergraph import (
    additionLayer,
    addLayers,
    analyzeNetwork,
    assembleNetwork,
    batchNormalizationLayer,
    classificationLayer,
    connectLayers,
    convolution2dLayer,
    fullyConnectedLayer,
    globalAveragePooling2dLayer,
    imageInputLayer,
    layerGraph,
    maxPooling2dLayer,
    reluLayer,
    softmaxLayer,
)

STAGE_WIDTHS = (64, 128, 256, 512)


def resnet18_graph(input_size=(224, 224, 3), num_classes=1000, widths=STAGE_WIDTHS):
    lgraph = layerGraph([
        imageInputLayer(list(input_size), Normalization="none", Name="input"),
        convolution2dLayer(7, widths[0], Stride=2, Padding="same", Name="conv1"),
        batchNormalizationLayer(Name="bn_conv1"),
        reluLayer(Name="conv1_relu"),
        maxPooling2dLayer(3, Stride=2, Padding="same", Name="pool1"),
    ])
    previous, channels = "pool1", widths[0]
    for stage, width in enumerate(widths, start=2):
        for block in "ab":
            name = f"res{stage}{block}"
            stride = 2 if (block == "a" and stage > 2) else 1
            lgraph = addLayers(lgraph, [
                convolution2dLayer(3, width, Stride=stride, Padding="same", Name=f"{name}_branch2a"),
                batchNormalizationLayer(Name=f"bn{name}_branch2a"),
                reluLayer(Name=f"{name}_branch2a_relu"),
                convolution2dLayer(3, width, Padding="same", Name=f"{name}_branch2b"),
                batchNormalizationLayer(Name=f"bn{name}_branch2b"),
                additionLayer(2, Name=name),
                reluLayer(Name=f"{name}_relu"),
            ])
            lgraph = connectLayers(lgraph, previous, f"{name}_branch2a")
            if stride != 1 or channels != width:
                lgraph = addLayers(lgraph, [
                    convolution2dLayer(1, width, Stride=stride, Name=f"{name}_branch1"),
                    batchNormalizationLayer(Name=f"bn{name}_branch1"),
                ])
                lgraph = connectLayers(lgraph, previous, f"{name}_branch1")
                lgraph = connectLayers(lgraph, f"bn{name}_branch1", f"{name}/in2")
            else:
                lgraph = connectLayers(lgraph, previous, f"{name}/in2")
            previous, channels = f"{name}_relu", width
    lgraph = addLayers(lgraph, [
        globalAveragePooling2dLayer(Name="pool5"),
        fullyConnectedLayer(num_classes, Name="fc"),
        softmaxLayer(Name="prob"),
        classificationLayer(Name="output"),
    ])
    return connectLayers(lgraph, previous, "pool5")


if __name__ == "__main__":
    import torch

    lgraph = resnet18_graph(input_size=(64, 64, 3), num_classes=10)
    analyzeNetwork(lgraph)
    net = assembleNetwork(lgraph)
    scores = net.predict(torch.randn(2, 3, 64, 64))
    print("scores:", tuple(scores.shape), "rows sum to", scores.sum(1).tolist())
