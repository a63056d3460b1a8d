"""A fully connected residual network: linear -> relu -> N residual blocks -> linear.

Each block is fc -> relu -> fc, added to the block input, then relu. Written as layer arrays plus
connectLayers. Run it: ``python examples/residual_mlp.py``.
"""

from __future__ import annotations

from layergraph import (
    additionLayer,
    addLayers,
    analyzeNetwork,
    assembleNetwork,
    connectLayers,
    featureInputLayer,
    fullyConnectedLayer,
    layerGraph,
    regressionLayer,
    reluLayer,
)


def residual_mlp_graph(num_features=16, hidden=64, num_blocks=4, num_responses=1):
    lgraph = layerGraph([
        featureInputLayer(num_features, Name="input"),
        fullyConnectedLayer(hidden, Name="fc_in"),
        reluLayer(Name="relu_in"),
    ])
    previous = "relu_in"
    for k in range(1, num_blocks + 1):
        lgraph = addLayers(lgraph, [
            fullyConnectedLayer(hidden, Name=f"block{k}_fc1"),
            reluLayer(Name=f"block{k}_relu1"),
            fullyConnectedLayer(hidden, Name=f"block{k}_fc2"),
            additionLayer(2, Name=f"block{k}_add"),
            reluLayer(Name=f"block{k}_relu2"),
        ])
        lgraph = connectLayers(lgraph, previous, f"block{k}_fc1")
        lgraph = connectLayers(lgraph, previous, f"block{k}_add/in2")
        previous = f"block{k}_relu2"
    lgraph = addLayers(lgraph, [fullyConnectedLayer(num_responses, Name="fc_out"), regressionLayer(Name="output")])
    return connectLayers(lgraph, previous, "fc_out")


if __name__ == "__main__":
    import torch

    lgraph = residual_mlp_graph()
    analyzeNetwork(lgraph)
    net = assembleNetwork(lgraph)
    print("predictions:", net.predict(torch.randn(4, 16)).squeeze(1).tolist())
