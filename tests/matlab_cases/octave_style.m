# Octave spellings: '#' comments, '!=', '!', endfor/endif/endwhile/endfunction
n_blocks = 2;
layers = [featureInputLayer(6, 'Name', 'x')];
for i = 1:n_blocks
  # a block
  layers(end+1) = fullyConnectedLayer(8 * i, 'Name', sprintf("fc%d", i));
  if i != n_blocks
    layers(end+1) = reluLayer('Name', sprintf("relu%d", i));
  endif
endfor
k = 0;
while k < 3
  k = k + 1;
endwhile
use_tanh = false;
if !use_tanh
  layers(end+1) = sigmoidLayer('Name', 'act');
end
layers = finish(layers);

function out = finish(in)
  out = [in; fullyConnectedLayer(1, 'Name', 'head'); regressionLayer('Name', 'loss')];
endfunction
