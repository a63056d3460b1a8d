% ResNet-18-style image classifier: the MATLAB twin of examples/resnet18.py.
% Stem, four stages of two basic blocks, 1x1 stride-2 projection shortcuts where the shape
% changes, global average pooling, fc.   Port it:  layergraph port examples/resnet18.m -o resnet18_ported.py
inputSize = [224 224 3];
numClasses = 1000;
widths = [64 128 256 512];

lgraph = layerGraph([
    imageInputLayer(inputSize, 'Normalization', 'none', 'Name', 'input')
    convolution2dLayer(7, widths(1), 'Stride', 2, 'Padding', 'same', 'Name', 'conv1')
    batchNormalizationLayer('Name', 'bn_conv1')
    reluLayer('Name', 'conv1_relu')
    maxPooling2dLayer(3, 'Stride', 2, 'Padding', 'same', 'Name', 'pool1')]);

previous = 'pool1';
channels = widths(1);
blockNames = 'ab';
for stage = 2:5
    width = widths(stage - 1);
    for b = 1:2
        name = sprintf('res%d%s', stage, blockNames(b));
        stride = 1;
        if b == 1 && stage > 2
            stride = 2;     % the first block of stages 3-5 halves the size
        end
        lgraph = addLayers(lgraph, [
            convolution2dLayer(3, width, 'Stride', stride, 'Padding', 'same', 'Name', [name '_branch2a'])
            batchNormalizationLayer('Name', ['bn' name '_branch2a'])
            reluLayer('Name', [name '_branch2a_relu'])
            convolution2dLayer(3, width, 'Padding', 'same', 'Name', [name '_branch2b'])
            batchNormalizationLayer('Name', ['bn' name '_branch2b'])
            additionLayer(2, 'Name', name)
            reluLayer('Name', [name '_relu'])]);
        lgraph = connectLayers(lgraph, previous, [name '_branch2a']);
        if stride ~= 1 || channels ~= width
            lgraph = addLayers(lgraph, [
                convolution2dLayer(1, width, 'Stride', stride, 'Name', [name '_branch1'])
                batchNormalizationLayer('Name', ['bn' name '_branch1'])]);
            lgraph = connectLayers(lgraph, previous, [name '_branch1']);
            lgraph = connectLayers(lgraph, ['bn' name '_branch1'], [name '/in2']);
        else
            lgraph = connectLayers(lgraph, previous, [name '/in2']);
        end
        previous = [name '_relu'];
        channels = width;
    end
end

lgraph = addLayers(lgraph, [
    globalAveragePooling2dLayer('Name', 'pool5')
    fullyConnectedLayer(numClasses, 'Name', 'fc')
    softmaxLayer('Name', 'prob')
    classificationLayer('Name', 'output')]);
lgraph = connectLayers(lgraph, previous, 'pool5');
