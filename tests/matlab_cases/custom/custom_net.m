% Network with custom layers defined by classdef files beside the script.
layers = [
    imageInputLayer([8 8 3], 'Name', 'in', 'Normalization', 'none')
    convolution2dLayer(3, 4, 'Padding', 'same', 'Name', 'conv')
    channelEluLayer(4, 'elu')
    examplePreluLayer(4, Name="prelu")
    fullyConnectedLayer(2, 'Name', 'fc')
    softmaxLayer('Name', 'sm')
    classificationLayer('Name', 'out')];
lgraph = layerGraph(layers);
