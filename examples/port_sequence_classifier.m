%% Sequence classification with an LSTM (Japanese Vowels style)
% Port with:  layergraph port examples/port_sequence_classifier.m -o lstm_net.py
% The data loading, training and plotting below are not needed for the network,
% so the porter reports them as opaque and still ports the layers.

[XTrain, YTrain] = japaneseVowelsTrainData;
figure
plot(XTrain{1}')
xlabel("Time Step")
title("Training Observation 1")

numObservations = numel(XTrain);
for i = 1:numObservations
    sequence = XTrain{i};
    sequenceLengths(i) = size(sequence, 2);
end

inputSize = 12;           % features per time step
numHiddenUnits = 100;
numClasses = 9;

layers = [ ...
    sequenceInputLayer(inputSize, 'Name', 'sequence')
    bilstmLayer(numHiddenUnits, 'OutputMode', 'last', 'Name', 'bilstm')
    fullyConnectedLayer(numClasses, 'Name', 'fc')
    softmaxLayer('Name', 'softmax')
    classificationLayer('Name', 'classification')];

maxEpochs = 100;
miniBatchSize = 27;
options = trainingOptions('adam', ...
    'ExecutionEnvironment', 'cpu', ...
    'GradientThreshold', 1, ...
    'MaxEpochs', maxEpochs, ...
    'MiniBatchSize', miniBatchSize, ...
    'SequenceLength', 'longest', ...
    'Shuffle', 'never', ...
    'Verbose', 0, ...
    'Plots', 'training-progress');

net = trainNetwork(XTrain, YTrain, layers, options);
[XTest, YTest] = japaneseVowelsTestData;
YPred = classify(net, XTest, 'MiniBatchSize', miniBatchSize, 'SequenceLength', 'longest');
acc = sum(YPred == YTest) ./ numel(YTest)
