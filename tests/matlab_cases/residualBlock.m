function [layers, addName] = residualBlock(prefix, numFilters)
% Two outputs: the layers and the name of the addition layer input to connect the skip to.
layers = [
    convolution2dLayer(3, numFilters, 'Padding', 'same', 'Name', [prefix '_conv'])
    additionLayer(2, 'Name', [prefix '_add'])
    reluLayer('Name', [prefix '_relu'])
    ];
addName = [prefix '_add/in2'];
end
