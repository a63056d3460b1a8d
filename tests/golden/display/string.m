s = "abc"
t = ["a" "bc"]
