%% A small residual CNN, written the way Deep Network Designer exports it, with a helper function.
% Port with:  layergraph port examples/port_residual_cnn.m -o residual_cnn.py --json residual_cnn.json
% Analyse:    layergraph analyze examples/port_residual_cnn.m

imageSize = [28 28 1];
numClasses = 10;
widths = [16 32];

lgraph = layerGraph();
tempLayers = [
    imageInputLayer(imageSize, "Name", "input")
    convolution2dLayer([3 3], widths(1), "Name", "stem_conv", "Padding", "same")
    batchNormalizationLayer("Name", "stem_bn")
    reluLayer("Name", "stem_relu")];
lgraph = addLayers(lgraph, tempLayers);

last = "stem_relu";
for k = 1:numel(widths)
    [lgraph, last] = addResidualUnit(lgraph, last, widths(k), k);
end

tempLayers = [
    fullyConnectedLayer(numClasses, "Name", "fc")
    softmaxLayer("Name", "softmax")
    classificationLayer("Name", "classoutput")];
lgraph = addLayers(lgraph, tempLayers);
lgraph = connectLayers(lgraph, last, "fc");

% clean up helper variable
clear tempLayers;

figure
plot(lgraph)

function [lgraph, outName] = addResidualUnit(lgraph, inName, numFilters, k)
% ADDRESIDUALUNIT  conv-bn-relu-conv-bn + projection shortcut, joined by an addition layer.
p = "unit" + k;
main = [
    convolution2dLayer(3, numFilters, "Name", p + "_conv1", "Padding", "same", "Stride", 2)
    batchNormalizationLayer("Name", p + "_bn1")
    reluLayer("Name", p + "_relu1")
    convolution2dLayer(3, numFilters, "Name", p + "_conv2", "Padding", "same")
    batchNormalizationLayer("Name", p + "_bn2")
    additionLayer(2, "Name", p + "_add")
    reluLayer("Name", p + "_relu2")];
lgraph = addLayers(lgraph, main);
lgraph = addLayers(lgraph, convolution2dLayer(1, numFilters, "Name", p + "_skip", "Stride", 2));
lgraph = connectLayers(lgraph, inName, p + "_conv1");
lgraph = connectLayers(lgraph, inName, p + "_skip");
lgraph = connectLayers(lgraph, p + "_skip", p + "_add/in2");
outName = p + "_relu2";
end
