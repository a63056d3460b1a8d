% Deep Network Designer (R2024a and later) exports a dlnetwork built step by step.
net = dlnetwork;
tempNet = [
    featureInputLayer(4,"Name","features")
    fullyConnectedLayer(16,"Name","fc_1")
    reluLayer("Name","relu")];
net = addLayers(net,tempNet);
tempNet = [
    fullyConnectedLayer(16,"Name","fc_2")
    additionLayer(2,"Name","add")
    fullyConnectedLayer(3,"Name","fc_out")
    softmaxLayer("Name","softmax")];
net = addLayers(net,tempNet);
clear tempNet;
net = connectLayers(net,"relu","fc_2");
net = connectLayers(net,"relu","add/in2");
net = initialize(net);
