a = int8(5)
b = int8([1 -2 100])
c = uint16([7; 300])
