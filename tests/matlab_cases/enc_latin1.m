% Réseau récurrent : entrée séquence, données « météo »
layers = [
    sequenceInputLayer(3, 'Name', 'entrée')   % Réseau récurrent : entrée séquence, données « météo »
    lstmLayer(10, 'OutputMode', 'last', 'Name', 'lstm')
    fullyConnectedLayer(2, 'Name', 'fc')
    softmaxLayer('Name', 'sm')
    classificationLayer('Name', 'out')];
