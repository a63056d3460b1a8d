%% Sequence classification with a BiLSTM: the Japanese Vowels speakers
% MATLAB's "Sequence Classification Using Deep Learning" example: nine male
% speakers said the Japanese vowels /ae/; each utterance is a sequence of
% 12 LPC cepstrum coefficients. The data ship with the aeon Python package.
%
% In MATLAB: [XTrain, YTrain] = japaneseVowelsTrainData;
% The original trains for 100 epochs; 50 are enough here.

inputSize = 12;
numHiddenUnits = 100;
numClasses = 9;

layers = [ ...
    sequenceInputLayer(inputSize)
    bilstmLayer(numHiddenUnits, 'OutputMode', 'last')
    fullyConnectedLayer(numClasses)
    softmaxLayer
    classificationLayer];

maxEpochs = 50;
miniBatchSize = 27;

options = trainingOptions('adam', ...
    'ExecutionEnvironment', 'cpu', ...
    'GradientThreshold', 1, ...
    'MaxEpochs', maxEpochs, ...
    'MiniBatchSize', miniBatchSize, ...
    'SequenceLength', 'longest', ...
    'Shuffle', 'never', ...
    'VerboseFrequency', 20, ...
    'Verbose', 1);

net = trainNetwork(XTrain, YTrain, layers, options);
