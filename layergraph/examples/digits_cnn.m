%% Handwritten digits with a small CNN and a custom ELU layer
% The 8-by-8 handwritten digits that ship with scikit-learn (1797 images of
% the digits 0-9). The convolutional layers are followed by the custom
% learnableEluLayer (learnableEluLayer.m, beside this script), which learns
% one alpha per channel.
%
% In MATLAB, load XTrain (8-by-8-by-1-by-N) and YTrain (categorical) first.
% `layergraph demo` ports this script, loads the digits in Python and trains
% the network with layergraph.trainNetwork.

inputSize = [8 8 1];
numClasses = 10;

layers = [
    imageInputLayer(inputSize, 'Name', 'input')

    convolution2dLayer(3, 16, 'Padding', 'same', 'Name', 'conv_1')
    batchNormalizationLayer('Name', 'bn_1')
    learnableEluLayer(16, 'elu_1')

    convolution2dLayer(3, 32, 'Padding', 'same', 'Name', 'conv_2')
    batchNormalizationLayer('Name', 'bn_2')
    learnableEluLayer(32, 'elu_2')
    maxPooling2dLayer(2, 'Stride', 2, 'Name', 'pool')

    fullyConnectedLayer(numClasses, 'Name', 'fc')
    softmaxLayer('Name', 'softmax')
    classificationLayer('Name', 'output')];

options = trainingOptions('adam', ...
    'InitialLearnRate', 0.005, ...
    'MaxEpochs', 6, ...
    'MiniBatchSize', 64, ...
    'Shuffle', 'every-epoch', ...
    'VerboseFrequency', 10, ...
    'Verbose', true);

net = trainNetwork(XTrain, YTrain, layers, options);
