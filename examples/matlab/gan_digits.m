%% Generative adversarial network on the handwritten digits
% After MathWorks' "Train Generative Adversarial Network (GAN)", on the 8-by-8
% digits (digitsTrain.mat: XTrain 8x8x1xN). Fully connected generator and
% discriminator on the 64 pixels. Run with `layergraph run` once the
% whole-script interpreter lands; examples/gan_digits.py is the same program.

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

miniBatchSize = 64;
numEpochs = 40;
learnRate = 0.002;
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
