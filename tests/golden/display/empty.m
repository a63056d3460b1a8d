e = []
z = zeros(0, 3)
c = {}
