%% Train Network Using Custom Training Loop (handwritten digits)
% A rendition of MathWorks' "Train Network Using Custom Training Loop" on the
% 8-by-8 handwritten digits that ship with scikit-learn (saved to
% digitsTrain.mat / digitsTest.mat with XTrain 8x8x1xN single and TTrain
% categorical; layergraph.demo.write_digits_mat(folder) writes them).
%   cd DATAFOLDER; layergraph run .../examples/matlab/custom_loop_digits.m --var numEpochs=1
% examples/custom_loop_digits.py is the same program in Python.

load digitsTrain.mat   % XTrain, TTrain
load digitsTest.mat    % XTest, TTest

classes = categories(TTrain);
numClasses = numel(classes);

layers = [
    imageInputLayer([8 8 1], 'Normalization', 'none')
    convolution2dLayer(3, 16, 'Padding', 'same')
    batchNormalizationLayer
    reluLayer
    maxPooling2dLayer(2, 'Stride', 2)
    fullyConnectedLayer(numClasses)
    softmaxLayer];
net = dlnetwork(layers);

% settings (a caller may give them first: layergraph run ... --var numEpochs=1)
if ~exist('numEpochs', 'var'), numEpochs = 8; end
if ~exist('miniBatchSize', 'var'), miniBatchSize = 64; end
if ~exist('learnRate', 'var'), learnRate = 0.01; end

numObservations = size(XTrain, 4);
numIterationsPerEpoch = floor(numObservations / miniBatchSize);
averageGrad = [];
averageSqGrad = [];
iteration = 0;

for epoch = 1:numEpochs
    idx = randperm(numObservations);
    for i = 1:numIterationsPerEpoch
        iteration = iteration + 1;
        batch = idx((i-1)*miniBatchSize+1 : i*miniBatchSize);
        X = dlarray(XTrain(:, :, :, batch), 'SSCB');
        T = onehotencode(TTrain(batch), 2)';

        [loss, gradients, state] = dlfeval(@modelLoss, net, X, T);
        net.State = state;
        [net, averageGrad, averageSqGrad] = adamupdate(net, gradients, ...
            averageGrad, averageSqGrad, iteration, learnRate);
    end
    fprintf('Epoch %d, iteration %d, loss %.4f\n', epoch, iteration, extractdata(loss));
end

scores = predict(net, dlarray(XTest, 'SSCB'));
scores = extractdata(scores);
[~, idx] = max(scores, [], 1);
YPred = classes(idx);
accuracy = mean(YPred(:) == TTest(:));
fprintf('Test accuracy: %.4f\n', accuracy);

function [loss, gradients, state] = modelLoss(net, X, T)
    [Y, state] = forward(net, X);
    loss = crossentropy(Y, T);
    gradients = dlgradient(loss, net.Learnables);
end
