tf = true
mask = [1 2 3] > 1
