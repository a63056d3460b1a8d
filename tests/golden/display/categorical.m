c = categorical({'red'; 'green'; 'red'})
