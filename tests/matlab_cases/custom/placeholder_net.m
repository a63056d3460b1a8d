layers = [
    featureInputLayer(5, 'Name', 'in')
    loopyLayer('loopy')
    fullyConnectedLayer(3, 'Name', 'fc')
    ];
