%% Residual network, as exported by Deep Network Designer
% Generated-code style: layerGraph(); tempLayers = [...]; addLayers; connectLayers.

lgraph = layerGraph();

tempLayers = [
    imageInputLayer([32 32 3],"Name","data","Normalization","zerocenter")
    convolution2dLayer([3 3],16,"Name","conv1","Padding","same")
    batchNormalizationLayer("Name","bn1")
    reluLayer("Name","relu1")];
lgraph = addLayers(lgraph,tempLayers);

tempLayers = [
    convolution2dLayer([3 3],16,"Name","conv2","Padding","same")
    batchNormalizationLayer("Name","bn2")
    reluLayer("Name","relu2")
    convolution2dLayer([3 3],16,"Name","conv3","Padding","same")
    batchNormalizationLayer("Name","bn3")];
lgraph = addLayers(lgraph,tempLayers);

tempLayers = [
    additionLayer(2,"Name","add")
    reluLayer("Name","relu_out")
    fullyConnectedLayer(10,"Name","fc")
    softmaxLayer("Name","softmax")
    classificationLayer("Name","classoutput")];
lgraph = addLayers(lgraph,tempLayers);

% clean up helper variable
clear tempLayers;

lgraph = connectLayers(lgraph,"relu1","conv2");
lgraph = connectLayers(lgraph,"relu1","add/in2");
lgraph = connectLayers(lgraph,"bn3","add/in1");

plot(lgraph);
