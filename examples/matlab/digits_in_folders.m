% Classify handwritten digits stored as image files in one folder per label,
% the workflow of MathWorks' "Create Simple Deep Learning Network for
% Classification" example, written for layergraph.
%
% The digits are scikit-learn's 1,797 handwritten digits, upscaled to
% 28-by-28 grey PNG files in digitsData/0 ... digitsData/9.
%
%   layergraph run examples/matlab/digits_in_folders.m
%   layergraph port examples/matlab/digits_in_folders.m -o digits_in_folders.py
%   python digits_in_folders.py

rng(0)                                  % the same seed gives the same split, weights and order

% Image files in labelled folders: the folder names are the labels
digitDatasetPath = writeDigitFolders('digitsData');
imds = imageDatastore(digitDatasetPath, ...
    'IncludeSubfolders', true, 'LabelSource', 'foldernames');

% How many images of each digit, and the size of one image
labelCount = countEachLabel(imds)
img = readimage(imds, 1);
size(img)

% Three quarters of each label for training, the rest for validation
[imdsTrain, imdsValidation] = splitEachLabel(imds, 0.75, 'randomized');

% A small convolutional network: three conv-batchnorm-relu blocks
layers = [
    imageInputLayer([28 28 1])

    convolution2dLayer(3, 8, 'Padding', 'same')
    batchNormalizationLayer
    reluLayer
    maxPooling2dLayer(2, 'Stride', 2)

    convolution2dLayer(3, 16, 'Padding', 'same')
    batchNormalizationLayer
    reluLayer
    maxPooling2dLayer(2, 'Stride', 2)

    convolution2dLayer(3, 32, 'Padding', 'same')
    batchNormalizationLayer
    reluLayer

    fullyConnectedLayer(10)
    softmaxLayer
    classificationLayer];

% Stochastic gradient descent with momentum, validated during training
options = trainingOptions('sgdm', ...
    'InitialLearnRate', 0.01, ...
    'MaxEpochs', 4, ...
    'MiniBatchSize', 64, ...
    'Shuffle', 'every-epoch', ...
    'ValidationData', imdsValidation, ...
    'ValidationFrequency', 10, ...
    'Verbose', false);

net = trainNetwork(imdsTrain, layers, options);

% Classify the validation images and measure the accuracy
YPred = classify(net, imdsValidation);
YValidation = imdsValidation.Labels;
accuracy = sum(YPred == YValidation) / numel(YValidation)
