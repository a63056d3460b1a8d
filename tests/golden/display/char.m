name = 'abc'
none = ''
