T = table([25; 30], {'Alice'; 'Bob'}, 'VariableNames', {'Age', 'Name'})
