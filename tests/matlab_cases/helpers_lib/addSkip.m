function lgraph = addSkip(lgraph, from, to)
% Connect a skip connection (found through the search path).
lgraph = connectLayers(lgraph, from, to);
end
