% UTF-8 avec BOM : réseau
layers = [
    sequenceInputLayer(3, 'Name', 'entrée')   % UTF-8 avec BOM : réseau
    lstmLayer(10, 'OutputMode', 'last', 'Name', 'lstm')
    fullyConnectedLayer(2, 'Name', 'fc')
    softmaxLayer('Name', 'sm')
    classificationLayer('Name', 'out')];
