format long
p = pi
format compact
q = 0.5
format
r = pi
