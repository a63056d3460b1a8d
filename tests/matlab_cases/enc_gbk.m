% 中文注释：序列分类网络，输入层
layers = [
    sequenceInputLayer(3, 'Name', '输入')   % 中文注释：序列分类网络，输入层
    lstmLayer(10, 'OutputMode', 'last', 'Name', 'lstm')
    fullyConnectedLayer(2, 'Name', 'fc')
    softmaxLayer('Name', 'sm')
    classificationLayer('Name', 'out')];
