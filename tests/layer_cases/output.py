"""Harness cases for the output (loss) layers, softmax and rpnSoftmaxLayer (layergraph/layers/output.py)."""

from layergraph.layers.base import Layout

from . import LayerCase

FEAT4 = Layout((), 4)
IMG3 = Layout((5, 6), 3)
SEQ4 = Layout((), 4, True)
ONE_BY_ONE = Layout((1, 1), 3)

CASES = [
    LayerCase("softmaxLayer", (), {}, [IMG3], 0, id="softmax-image"),
    LayerCase("softmaxLayer", (), {}, [SEQ4], 0, id="softmax-sequence"),
    LayerCase("classificationLayer", (), {"Classes": ["a", "b", "c", "d"]}, [FEAT4], 0, gradcheck=False,
              id="classification-classes"),
    LayerCase("classificationLayer", (), {"Classes": ["a", "b", "c", "d"], "ClassWeights": [1, 2, 3, 4]}, [SEQ4], 0,
              gradcheck=False, id="classification-weighted-sequence"),
    LayerCase("classificationLayer", (), {}, [ONE_BY_ONE], 0, gradcheck=False, id="classification-1x1"),
    LayerCase("regressionLayer", (), {"ResponseNames": ["r1", "r2", "r3", "r4"]}, [SEQ4], 0, gradcheck=False,
              id="regression-sequence"),
    LayerCase("regressionLayer", (), {}, [IMG3], 0, gradcheck=False, id="regression-image"),
    LayerCase("pixelClassificationLayer", (), {}, [IMG3], 0, gradcheck=False),
    LayerCase("pixelClassificationLayer", (), {"Classes": ["x", "y", "z"], "ClassWeights": [0.5, 1, 2]}, [IMG3], 0,
              gradcheck=False, id="pixel-weighted"),
    LayerCase("pixelClassificationLayer", (), {}, [Layout((3, 4, 2), 3)], 0, gradcheck=False, id="pixel-3d"),
    LayerCase("dicePixelClassificationLayer", (), {}, [IMG3], 0, gradcheck=False),
    LayerCase("dicePixelClassificationLayer", (), {"Classes": ["x", "y", "z"]}, [IMG3], 0, gradcheck=False,
              id="dice-classes"),
    LayerCase("focalLossLayer", (), {}, [IMG3], 0, gradcheck=False),
    LayerCase("focalLossLayer", (), {"Gamma": 1.5, "Alpha": 0.5, "Classes": ["x", "y", "z"]}, [IMG3], 0,
              gradcheck=False, id="focal-options"),
    LayerCase("focalLossLayer", (3, 0.75), {}, [FEAT4], 0, gradcheck=False, id="focal-legacy-positional"),
    LayerCase("weightedClassificationLayer", ([1, 2, 3, 4],), {}, [FEAT4], 0, gradcheck=False),
    LayerCase("tverskyPixelClassificationLayer", (), {"Alpha": 0.3, "Beta": 0.7}, [IMG3], 0, gradcheck=False),
    LayerCase("sseClassificationLayer", (), {}, [FEAT4], 0, gradcheck=False),
    LayerCase("maeRegressionLayer", (), {}, [FEAT4], 0, gradcheck=False),
    LayerCase("rpnSoftmaxLayer", (), {}, [Layout((3, 4), 6)], 0),
    LayerCase("rpnClassificationLayer", (), {}, [Layout((12, 3), 2)], 0, gradcheck=False),
    LayerCase("rcnnBoxRegressionLayer", (), {}, [Layout((1, 1), 8)], 0, gradcheck=False),
]


# utility layers (layergraph/layers/utility.py)


def _square_plus_one(x):
    return x * x + 1


def _sum_and_product(a, b):
    return a + b, a * b


def _channel_sum(x):
    return x.sum(dim=1, keepdim=True)


CASES += [
    LayerCase("identityLayer", (), {}, [IMG3], 0),
    LayerCase("identityLayer", (), {}, [SEQ4], 0, id="identity-sequence"),
    LayerCase("functionLayer", (_square_plus_one,), {}, [IMG3], 0),
    LayerCase("functionLayer", (_sum_and_product,), {"NumInputs": 2, "NumOutputs": 2}, [FEAT4, FEAT4], 0,
              id="function-2in-2out"),
    LayerCase("functionLayer", (_channel_sum,), {"Description": "channel sum"}, [IMG3], 0, id="function-channel-sum"),
    LayerCase("scalingLayer", (), {"Scale": 0.5, "Offset": 2.0}, [IMG3], 0),
    LayerCase("scalingLayer", (), {"Scale": [1.0, 2.0, 3.0, 4.0]}, [SEQ4], 0, id="scaling-vector-sequence"),
    LayerCase("quadraticLayer", (), {}, [FEAT4], 0),
    LayerCase("quadraticLayer", (), {}, [SEQ4], 0, id="quadratic-sequence"),
]
CASES += [
    LayerCase("depthToSpace2dLayer", (2,), {}, [Layout((3, 4), 8)], 0),
    LayerCase("depthToSpace2dLayer", ([2, 1],), {"Mode": "crd"}, [Layout((3, 4), 6)], 0, id="depthToSpace-crd-2x1"),
    LayerCase("spaceToDepthLayer", (2,), {}, [Layout((4, 6), 3)], 0),
    LayerCase("spaceToDepthLayer", ([1, 3],), {}, [Layout((4, 6), 2)], 0, id="spaceToDepth-1x3"),
]
