% Transfer learning: take the ResNet-18 architecture, replace the layers
% that classify into ImageNet's 1000 classes by new ones for the 10 digits,
% freeze the first layers and train the rest on a small data set; the
% workflow of MathWorks' transfer-learning examples.
%
% resnet18('Weights','none') builds the architecture with fresh weights
% and needs no download. With the ImageNet weights installed, use
%     net = resnet18;  lgraph = layerGraph(net);
% instead: the rest of the script is the same.
%
%   layergraph run examples/matlab/transfer_learning.m
%   layergraph port examples/matlab/transfer_learning.m -o transfer_learning.py

rng(0)

lgraph = resnet18('Weights', 'none');

% A small data set: 30 training and 10 validation images of each digit
imds = imageDatastore(writeDigitFolders('digitsData'), ...
    'IncludeSubfolders', true, 'LabelSource', 'foldernames');
[imdsTrain, imdsValidation] = splitEachLabel(imds, 30, 10, 'randomized');
numClasses = numel(categories(imdsTrain.Labels))

% The network is convolutional up to a global pooling layer: a smaller
% input layer lets it see the digits at 32-by-32 (gray images become RGB
% in the augmented datastores)
inputSize = [32 32 3];
lgraph = replaceLayer(lgraph, 'data', imageInputLayer(inputSize, 'Name', 'data'));
augimdsTrain = augmentedImageDatastore(inputSize(1:2), imdsTrain, ...
    'ColorPreprocessing', 'gray2rgb');
augimdsValidation = augmentedImageDatastore(inputSize(1:2), imdsValidation, ...
    'ColorPreprocessing', 'gray2rgb');

% New last learnable layer and output layer, found by name
newFC = fullyConnectedLayer(numClasses, 'Name', 'fc_digits', ...
    'WeightLearnRateFactor', 10, 'BiasLearnRateFactor', 10);
lgraph = replaceLayer(lgraph, 'fc1000', newFC);
lgraph = replaceLayer(lgraph, 'ClassificationLayer_predictions', ...
    classificationLayer('Name', 'output_digits'));

% Freeze the first convolution and the first residual stage
frozen = {'conv1', 'res2a_branch2a', 'res2a_branch2b', 'res2b_branch2a', 'res2b_branch2b'};
layers = lgraph.Layers;
for i = 1:numel(layers)
    if any(strcmp(layers(i).Name, frozen))
        layer = layers(i);
        layer.WeightLearnRateFactor = 0;
        layer.BiasLearnRateFactor = 0;
        lgraph = replaceLayer(lgraph, layer.Name, layer);
    end
end
numFrozen = numel(frozen)

options = trainingOptions('sgdm', ...
    'InitialLearnRate', 0.01, ...
    'MaxEpochs', 3, ...
    'MiniBatchSize', 30, ...
    'Shuffle', 'every-epoch', ...
    'Verbose', false);
net = trainNetwork(augimdsTrain, lgraph, options);

YPred = classify(net, augimdsValidation);
YValidation = imdsValidation.Labels;
accuracy = mean(YPred == YValidation)
