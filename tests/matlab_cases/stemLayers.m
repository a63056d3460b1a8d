function layers = stemLayers(channels, numFilters)
%STEMLAYERS  Input and first convolution (a function file found beside the script).
layers = [
    imageInputLayer([16 16 channels], 'Name', 'in', 'Normalization', 'none')
    convolution2dLayer(3, numFilters, 'Padding', 'same', 'Name', 'stem_conv')
    reluLayer('Name', 'stem_relu')
    ];
end
