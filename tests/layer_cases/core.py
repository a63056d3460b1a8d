from layergraph.layers.base import Layout

from . import LayerCase

IMG = Layout((7, 9), 3)

CASES = [
    LayerCase("imageInputLayer", ([7, 9, 3],), {}, [], 0, gradcheck=False),
    LayerCase("imageInputLayer", ([7, 9, 3],), {"Normalization": "zscore", "Mean": 0.5, "StandardDeviation": 2.0}, [], 0,
              id="imageInput-zscore"),
    LayerCase("featureInputLayer", (6,), {}, [], 0, gradcheck=False),
    LayerCase("sequenceInputLayer", (4,), {}, [], 0, gradcheck=False),
    LayerCase("convolution2dLayer", (3, 8), {}, [IMG], 3 * 3 * 3 * 8 + 8),
    LayerCase("convolution2dLayer", ([3, 2], 4), {"Padding": "same", "Stride": 2}, [IMG], 3 * 2 * 3 * 4 + 4,
              id="conv2d-same-stride2"),
    LayerCase("fullyConnectedLayer", (5,), {}, [IMG], 5 * 7 * 9 * 3 + 5),
    LayerCase("fullyConnectedLayer", (5,), {}, [Layout((), 6, True)], 5 * 6 + 5, id="fc-sequence"),
    LayerCase("reluLayer", (), {}, [IMG], 0),
    LayerCase("additionLayer", (3,), {}, [IMG, IMG, IMG], 0),
    LayerCase("softmaxLayer", (), {}, [Layout((), 4)], 0),
    LayerCase("classificationLayer", (), {}, [Layout((), 4)], 0, gradcheck=False),
    LayerCase("regressionLayer", (), {}, [Layout((), 2)], 0, gradcheck=False),
]
