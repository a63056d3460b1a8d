%% Generative adversarial network on the handwritten digits
% After MathWorks' "Train Generative Adversarial Network (GAN)", on the 8-by-8
% digits (digitsTrain.mat: XTrain 8x8x1xN). Fully connected generator and
% discriminator on the 64 pixels (layergraph.demo.write_digits_mat(folder) writes the data).
%   cd DATAFOLDER; layergraph run .../examples/matlab/gan_digits.m --var numEpochs=1
% examples/gan_digits.py is the same program in Python.

load digitsTrain.mat   % XTrain
X = reshape(XTrain, 64, []);

numLatent = 16;
netG = dlnetwork([
    featureInputLayer(numLatent)
    fullyConnectedLayer(128)
    leakyReluLayer(0.2)
    fullyConnectedLayer(64)
    sigmoidLayer]);
netD = dlnetwork([
    featureInputLayer(64)
    fullyConnectedLayer(128)
    leakyReluLayer(0.2)
    fullyConnectedLayer(1)
    sigmoidLayer]);

% settings (a caller may give them first: layergraph run ... --var numEpochs=1)
if ~exist('miniBatchSize', 'var'), miniBatchSize = 64; end
if ~exist('numEpochs', 'var'), numEpochs = 40; end
if ~exist('learnRate', 'var'), learnRate = 0.002; end
gradientDecayFactor = 0.5;
squaredGradientDecayFactor = 0.999;

ds = arrayDatastore(X, 'IterationDimension', 2);
mbq = minibatchqueue(ds, ...
    'MiniBatchSize', miniBatchSize, ...
    'PartialMiniBatch', 'discard', ...
    'MiniBatchFormat', 'CB');

monitor = trainingProgressMonitor( ...
    'Metrics', ["GeneratorLoss", "DiscriminatorLoss"], ...
    'Info', "Epoch", ...
    'XLabel', "Iteration");

averageGradG = []; averageSqGradG = [];
averageGradD = []; averageSqGradD = [];
numIterations = numEpochs * floor(size(X, 2) / miniBatchSize);
iteration = 0;

for epoch = 1:numEpochs
    shuffle(mbq);
    while hasdata(mbq) && ~monitor.Stop
        iteration = iteration + 1;
        XBatch = next(mbq);
        Z = dlarray(randn(numLatent, miniBatchSize, 'single'), 'CB');

        [lossG, lossD, gradientsG, gradientsD, stateG] = ...
            dlfeval(@modelLoss, netG, netD, XBatch, Z);
        netG.State = stateG;

        [netD, averageGradD, averageSqGradD] = adamupdate(netD, gradientsD, ...
            averageGradD, averageSqGradD, iteration, ...
            learnRate, gradientDecayFactor, squaredGradientDecayFactor);
        [netG, averageGradG, averageSqGradG] = adamupdate(netG, gradientsG, ...
            averageGradG, averageSqGradG, iteration, ...
            learnRate, gradientDecayFactor, squaredGradientDecayFactor);

        recordMetrics(monitor, iteration, ...
            'GeneratorLoss', lossG, 'DiscriminatorLoss', lossD);
        updateInfo(monitor, 'Epoch', epoch);
        monitor.Progress = 100 * iteration / numIterations;
    end
end

ZTest = dlarray(randn(numLatent, 25, 'single'), 'CB');
XGenerated = extractdata(predict(netG, ZTest));
figure
montage(reshape(XGenerated, 8, 8, 1, []))
title('Generated digits')

function [lossG, lossD, gradientsG, gradientsD, stateG] = modelLoss(netG, netD, X, Z)
    [XGenerated, stateG] = forward(netG, Z);
    YReal = forward(netD, X);
    YGenerated = forward(netD, XGenerated);
    lossD = -mean(log(YReal)) - mean(log(1 - YGenerated));
    lossG = -mean(log(YGenerated));
    gradientsG = dlgradient(lossG, netG.Learnables, 'RetainData', true);
    gradientsD = dlgradient(lossD, netD.Learnables);
end
