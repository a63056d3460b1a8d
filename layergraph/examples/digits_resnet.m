%% A small residual network on the handwritten digits
% Two residual blocks in the style of MATLAB's "Train Residual Network"
% example: the main branch is convolution - batch normalization - ReLU, and
% an additionLayer adds the shortcut. The second block halves the image
% size, so its shortcut is a strided 1-by-1 convolution.
%
% In MATLAB, load XTrain (8-by-8-by-1-by-N) and YTrain (categorical) first.

numClasses = 10;
netWidth = 16;

layers = [
    imageInputLayer([8 8 1], 'Name', 'input')
    convolution2dLayer(3, netWidth, 'Padding', 'same', 'Name', 'convInp')
    batchNormalizationLayer('Name', 'BNInp')
    reluLayer('Name', 'reluInp')

    convolution2dLayer(3, netWidth, 'Padding', 'same', 'Name', 'S1U1_conv1')
    batchNormalizationLayer('Name', 'S1U1_BN1')
    reluLayer('Name', 'S1U1_relu1')
    convolution2dLayer(3, netWidth, 'Padding', 'same', 'Name', 'S1U1_conv2')
    batchNormalizationLayer('Name', 'S1U1_BN2')
    additionLayer(2, 'Name', 'add11')
    reluLayer('Name', 'relu11')

    convolution2dLayer(3, 2*netWidth, 'Padding', 'same', 'Stride', 2, 'Name', 'S2U1_conv1')
    batchNormalizationLayer('Name', 'S2U1_BN1')
    reluLayer('Name', 'S2U1_relu1')
    convolution2dLayer(3, 2*netWidth, 'Padding', 'same', 'Name', 'S2U1_conv2')
    batchNormalizationLayer('Name', 'S2U1_BN2')
    additionLayer(2, 'Name', 'add21')
    reluLayer('Name', 'relu21')

    globalAveragePooling2dLayer('Name', 'globalPool')
    fullyConnectedLayer(numClasses, 'Name', 'fcFinal')
    softmaxLayer('Name', 'softmax')
    classificationLayer('Name', 'classoutput')];

lgraph = layerGraph(layers);
lgraph = connectLayers(lgraph, 'reluInp', 'add11/in2');

skip = [
    convolution2dLayer(1, 2*netWidth, 'Stride', 2, 'Name', 'skipConv')
    batchNormalizationLayer('Name', 'skipBN')];
lgraph = addLayers(lgraph, skip);
lgraph = connectLayers(lgraph, 'relu11', 'skipConv');
lgraph = connectLayers(lgraph, 'skipBN', 'add21/in2');

options = trainingOptions('sgdm', ...
    'InitialLearnRate', 0.05, ...
    'Momentum', 0.9, ...
    'MaxEpochs', 6, ...
    'MiniBatchSize', 64, ...
    'L2Regularization', 1e-4, ...
    'Shuffle', 'every-epoch', ...
    'VerboseFrequency', 10, ...
    'Verbose', true);

net = trainNetwork(XTrain, YTrain, lgraph, options);
