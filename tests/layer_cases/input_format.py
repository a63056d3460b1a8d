from . import LayerCase

CASES = [
    LayerCase("inputLayer", ([12, float("nan"), float("nan")], "CBT"), {}, [], 0, gradcheck=False),
    LayerCase("inputLayer", ([8, 6, 3, float("nan")], "SSCB"), {}, [], 0, gradcheck=False, id="inputLayer-SSCB"),
]
