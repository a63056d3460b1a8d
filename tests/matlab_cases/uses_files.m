% Uses a function file beside the script and one on the search path (helpers_lib).
base = stemLayers(1, 8);
[block, outName] = residualBlock('r1', 8);
lgraph = layerGraph(base);
lgraph = addLayers(lgraph, block);
lgraph = connectLayers(lgraph, 'stem_relu', 'r1_conv');
lgraph = addSkip(lgraph, 'stem_relu', outName);
lgraph = addLayers(lgraph, [fullyConnectedLayer(4, 'Name', 'fc'); regressionLayer('Name', 'out')]);
lgraph = connectLayers(lgraph, 'r1_relu', 'fc');
