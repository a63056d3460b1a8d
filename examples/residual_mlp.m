% Fully connected residual network: linear -> relu -> N residual blocks -> linear.
% The MATLAB twin of examples/residual_mlp.py.
numFeatures = 16;
hidden = 64;
numBlocks = 4;
numResponses = 1;

lgraph = layerGraph([
    featureInputLayer(numFeatures, 'Name', 'input')
    fullyConnectedLayer(hidden, 'Name', 'fc_in')
    reluLayer('Name', 'relu_in')]);
previous = 'relu_in';
for k = 1:numBlocks
    lgraph = addLayers(lgraph, [
        fullyConnectedLayer(hidden, 'Name', sprintf('block%d_fc1', k))
        reluLayer('Name', sprintf('block%d_relu1', k))
        fullyConnectedLayer(hidden, 'Name', sprintf('block%d_fc2', k))
        additionLayer(2, 'Name', sprintf('block%d_add', k))
        reluLayer('Name', sprintf('block%d_relu2', k))]);
    lgraph = connectLayers(lgraph, previous, sprintf('block%d_fc1', k));
    lgraph = connectLayers(lgraph, previous, sprintf('block%d_add/in2', k));   % the skip connection
    previous = sprintf('block%d_relu2', k);
end
lgraph = addLayers(lgraph, [fullyConnectedLayer(numResponses, 'Name', 'fc_out'); regressionLayer('Name', 'output')]);
lgraph = connectLayers(lgraph, previous, 'fc_out');
