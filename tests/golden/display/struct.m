s.a = 1;
s.b = {'A','B','C'};
s.name = 'text';
s
