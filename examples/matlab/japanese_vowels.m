% Recognise nine speakers from sequences of LPC cepstrum coefficients with a
% bidirectional LSTM, the workflow of MathWorks' "Sequence Classification
% Using Deep Learning" example (the Japanese Vowels data), for layergraph.
%
% japaneseVowelsTrainData / japaneseVowelsTestData read the UCI Japanese
% Vowels data that the aeon package ships: 270 training and 370 test
% sequences, each a 12-by-T matrix (12 features, T time steps).
%
%   layergraph run examples/matlab/japanese_vowels.m
%   layergraph port examples/matlab/japanese_vowels.m -o japanese_vowels.py

rng(0)

[XTrain, YTrain] = japaneseVowelsTrainData;
numObservations = numel(XTrain)
numFeatures = size(XTrain{1}, 1)
classNames = categories(YTrain);
numClasses = numel(classNames)

% Sort the training sequences by length, so that a mini-batch holds
% sequences of similar length and needs little padding
sequenceLengths = zeros(numObservations, 1);
for i = 1:numObservations
    sequenceLengths(i) = size(XTrain{i}, 2);
end
[sequenceLengths, idx] = sort(sequenceLengths);
XTrain = XTrain(idx);
YTrain = YTrain(idx);
shortest = sequenceLengths(1)
longest = sequenceLengths(end)

% BiLSTM whose last time step is classified
numHiddenUnits = 100;
layers = [ ...
    sequenceInputLayer(numFeatures)
    bilstmLayer(numHiddenUnits, 'OutputMode', 'last')
    fullyConnectedLayer(numClasses)
    softmaxLayer
    classificationLayer];

miniBatchSize = 27;
options = trainingOptions('adam', ...
    'ExecutionEnvironment', 'cpu', ...
    'GradientThreshold', 1, ...
    'MaxEpochs', 50, ...
    'MiniBatchSize', miniBatchSize, ...
    'SequenceLength', 'longest', ...
    'SequencePaddingDirection', 'left', ...
    'Shuffle', 'never', ...
    'Verbose', 0);

net = trainNetwork(XTrain, YTrain, layers, options);

% Classify the test sequences, padded per mini-batch like the training data
% (on the left, so that the last time step the BiLSTM reports is data)
[XTest, YTest] = japaneseVowelsTestData;
YPred = classify(net, XTest, ...
    'MiniBatchSize', miniBatchSize, ...
    'SequenceLength', 'longest', ...
    'SequencePaddingDirection', 'left');
accuracy = sum(YPred == YTest) / numel(YTest)
