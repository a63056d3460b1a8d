% 日本語のコメント：シーケンス分類ネットワーク
layers = [
    sequenceInputLayer(3, 'Name', '入力')   % 日本語のコメント：シーケンス分類ネットワーク
    lstmLayer(10, 'OutputMode', 'last', 'Name', 'lstm')
    fullyConnectedLayer(2, 'Name', 'fc')
    softmaxLayer('Name', 'sm')
    classificationLayer('Name', 'out')];
