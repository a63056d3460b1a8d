% Deep network built with loops and local helper functions.
inputSize = [64 64 3];
numStages = 3;
filters = [16, 32, ...
           64];
blocksPerStage = 2;
useBN = true;

layers = [imageInputLayer(inputSize, 'Name', 'input', 'Normalization', 'none')
          convolution2dLayer(3, filters(1), 'Padding', 'same', 'Name', 'stem')];
skips = {};
for s = 1:numStages
    for b = 1:blocksPerStage
        name = sprintf('s%d_b%d', s, b);
        layers = [layers; convBlock(filters(s), name, useBN)]; %#ok<AGROW>
        if b == 1 && s > 1
            skips{end+1} = name;
        end
    end
    if s < numStages
        layers(end+1) = convolution2dLayer(1, filters(s+1), 'Stride', 2, 'Name', ['down' num2str(s)]);
    end
end

head = 'softmax';
switch lower(head)
    case {'softmax', 'soft'}
        tail = [fullyConnectedLayer(numel(filters) * 2, 'Name', 'fc'); softmaxLayer('Name', 'prob')];
    otherwise
        tail = fullyConnectedLayer(1);
end
layers = [layers; tail; classificationLayer('Name', 'out')];

% a while loop and string building
k = 0;
total = 0;
while true
    k = k + 1;
    if mod(k, 2) == 0, continue; end
    total = total + k;
    if k >= 7, break; end
end

lgraph = layerGraph(layers);
names = {lgraph.Layers(3:5).Name};
numLayers = numel(lgraph.Layers);
lastName = lgraph.Layers(end).Name;

function block = convBlock(numFilters, prefix, withBN)
% convBlock  conv + (bn) + relu, named after the prefix.
if nargin < 3
    withBN = false;
end
block = convolution2dLayer(3, numFilters, 'Padding', 'same', 'Name', [prefix '_conv']);
if withBN
    block(end+1) = batchNormalizationLayer('Name', [prefix '_bn']);
end
block = [block
         reluLayer('Name', strcat(prefix, '_relu'))];
end
