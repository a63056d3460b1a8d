% A small residual network trained on handwritten digits held as a
% 4-D array (height x width x channels x observations), built as a layer
% graph: the shortcut connections are extra edges (connectLayers) into
% addition layers, as in MathWorks' residual-network examples.
%
%   layergraph run examples/matlab/residual_net.m
%   layergraph port examples/matlab/residual_net.m -o residual_net.py

rng(0)

% Read 16-by-16 digit images from labelled folders into one 4-D array
imds = imageDatastore(writeDigitFolders('digitsData16', 'ImageSize', 16), ...
    'IncludeSubfolders', true, 'LabelSource', 'foldernames');
images = readall(imds);                 % a cell array of 16-by-16 uint8 images
X = im2double(cat(4, images{:}));       % 16-by-16-by-1-by-numImages, values in [0, 1]
Y = imds.Labels;
numImages = numel(Y);
size(X)

% Hold out a fifth of the images for testing
idx = randperm(numImages);
numTrain = round(0.8 * numImages);
XTrain = X(:, :, :, idx(1:numTrain));
YTrain = Y(idx(1:numTrain));
XTest = X(:, :, :, idx(numTrain+1:end));
YTest = Y(idx(numTrain+1:end));

% The main branch: a stem, then two residual units
layers = [
    imageInputLayer([16 16 1], 'Name', 'input')
    convolution2dLayer(3, 16, 'Padding', 'same', 'Name', 'conv_stem')
    batchNormalizationLayer('Name', 'bn_stem')
    reluLayer('Name', 'relu_stem')

    convolution2dLayer(3, 16, 'Padding', 'same', 'Name', 'conv_1a')
    batchNormalizationLayer('Name', 'bn_1a')
    reluLayer('Name', 'relu_1a')
    convolution2dLayer(3, 16, 'Padding', 'same', 'Name', 'conv_1b')
    batchNormalizationLayer('Name', 'bn_1b')
    additionLayer(2, 'Name', 'add_1')
    reluLayer('Name', 'relu_1')

    convolution2dLayer(3, 32, 'Padding', 'same', 'Stride', 2, 'Name', 'conv_2a')
    batchNormalizationLayer('Name', 'bn_2a')
    reluLayer('Name', 'relu_2a')
    convolution2dLayer(3, 32, 'Padding', 'same', 'Name', 'conv_2b')
    batchNormalizationLayer('Name', 'bn_2b')
    additionLayer(2, 'Name', 'add_2')
    reluLayer('Name', 'relu_2')

    globalAveragePooling2dLayer('Name', 'gap')
    fullyConnectedLayer(10, 'Name', 'fc')
    softmaxLayer('Name', 'softmax')
    classificationLayer('Name', 'output')];
lgraph = layerGraph(layers);

% First shortcut: the identity
lgraph = connectLayers(lgraph, 'relu_stem', 'add_1/in2');

% Second shortcut: a strided 1-by-1 convolution matches the new size
shortcut = [
    convolution2dLayer(1, 32, 'Stride', 2, 'Name', 'conv_skip')
    batchNormalizationLayer('Name', 'bn_skip')];
lgraph = addLayers(lgraph, shortcut);
lgraph = connectLayers(lgraph, 'relu_1', 'conv_skip');
lgraph = connectLayers(lgraph, 'bn_skip', 'add_2/in2');

numLayers = numel(lgraph.Layers)
numConnections = height(lgraph.Connections)

options = trainingOptions('adam', ...
    'InitialLearnRate', 0.01, ...
    'MaxEpochs', 6, ...
    'MiniBatchSize', 64, ...
    'Shuffle', 'every-epoch', ...
    'Verbose', false);
net = trainNetwork(XTrain, YTrain, lgraph, options);

% Accuracy on the held-out images, and the scores of the first one
[YPred, scores] = classify(net, XTest);
accuracy = mean(YPred == YTest)
size(scores)
