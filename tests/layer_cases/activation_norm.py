"""Harness cases for activation, dropout, normalization, combination, crop and resize layers."""

from layergraph.layers.base import Layout

from . import LayerCase

IMG = Layout((5, 6), 4)          # 5×5... H=5, W=6, C=4
VOL = Layout((3, 4, 5), 2)       # H=3, W=4, D=5, C=2
FEAT = Layout((), 6)
SEQ = Layout((), 3, True)
IMG_SEQ = Layout((4, 5), 2, True)

CASES = [
    # activations
    LayerCase("leakyReluLayer", (), {}, [IMG], 0),
    LayerCase("leakyReluLayer", (0.2,), {}, [SEQ], 0, id="leakyRelu-positional"),
    LayerCase("clippedReluLayer", (6,), {}, [IMG], 0),
    LayerCase("eluLayer", (), {}, [FEAT], 0),
    LayerCase("eluLayer", (0.5,), {}, [IMG], 0, id="elu-alpha"),
    LayerCase("tanhLayer", (), {}, [IMG], 0),
    LayerCase("sigmoidLayer", (), {}, [SEQ], 0),
    LayerCase("swishLayer", (), {}, [IMG], 0),
    LayerCase("geluLayer", (), {}, [IMG], 0),
    LayerCase("geluLayer", (), {"Approximation": "tanh"}, [FEAT], 0, id="gelu-tanh"),
    LayerCase("softplusLayer", (), {}, [IMG], 0),
    LayerCase("preluLayer", (), {}, [IMG], 4),                       # 1×1×4 Alpha
    LayerCase("preluLayer", (), {}, [SEQ], 3, id="prelu-sequence"),  # 3×1 Alpha
    LayerCase("preluLayer", (), {"Alpha": 0.1}, [IMG], 1, id="prelu-scalar"),
    LayerCase("dropoutLayer", (), {}, [IMG], 0),
    LayerCase("dropoutLayer", (0.2,), {}, [SEQ], 0, id="dropout-0.2"),
    # normalization: Offset + Scale, C each
    LayerCase("batchNormalizationLayer", (), {}, [IMG], 2 * 4),
    LayerCase("batchNormalizationLayer", (), {"Epsilon": 1e-3}, [FEAT], 2 * 6, id="batchnorm-features"),
    LayerCase("batchNormalizationLayer", (), {}, [SEQ], 2 * 3, id="batchnorm-sequence"),
    LayerCase("batchNormalizationLayer", (), {}, [VOL], 2 * 2, id="batchnorm-volume"),
    LayerCase("groupNormalizationLayer", (2,), {}, [IMG], 2 * 4),
    LayerCase("groupNormalizationLayer", ("all-channels",), {}, [IMG_SEQ], 2 * 2, id="groupnorm-all-channels"),
    LayerCase("groupNormalizationLayer", ("channel-wise",), {}, [IMG], 2 * 4, id="groupnorm-channel-wise"),
    LayerCase("layerNormalizationLayer", (), {}, [IMG], 2 * 4),
    LayerCase("layerNormalizationLayer", (), {}, [SEQ], 2 * 3, id="layernorm-sequence"),
    LayerCase("layerNormalizationLayer", (), {"OperationDimension": "batch-excluded"}, [SEQ], 2 * 3,
              id="layernorm-batch-excluded"),
    LayerCase("instanceNormalizationLayer", (), {}, [IMG], 2 * 4),
    LayerCase("crossChannelNormalizationLayer", (3,), {}, [IMG], 0),
    LayerCase("crossChannelNormalizationLayer", (2,), {"K": 1, "Beta": 0.5}, [IMG], 0, id="crossnorm-even"),
    # combination
    LayerCase("depthConcatenationLayer", (2,), {}, [IMG, IMG.with_channels(2)], 0),
    LayerCase("concatenationLayer", (3, 2), {}, [IMG, IMG.with_channels(1)], 0),
    LayerCase("concatenationLayer", (2, 3), {}, [IMG, Layout((5, 2), 4), Layout((5, 1), 4)], 0, id="concat-width"),
    LayerCase("concatenationLayer", (1, 2), {}, [SEQ, Layout((), 2, True)], 0, id="concat-sequence-channels"),
    LayerCase("multiplicationLayer", (2,), {}, [IMG, IMG], 0),
    LayerCase("multiplicationLayer", (3,), {}, [IMG, IMG.with_channels(1), Layout((1, 6), 4)], 0,
              id="multiplication-broadcast"),
    LayerCase("weightedAdditionLayer", (3,), {}, [IMG, IMG, IMG], 3),   # Weights 1×3
    # crop and resize
    LayerCase("crop2dLayer", ("centercrop",), {}, [IMG, Layout((2, 3), 1)], 0),
    LayerCase("crop2dLayer", ([2, 1],), {}, [IMG, Layout((3, 4), 4)], 0, id="crop2d-custom"),
    LayerCase("crop3dLayer", (), {}, [VOL, Layout((2, 2, 3), 1)], 0),
    LayerCase("crop3dLayer", ([1, 2, 3],), {}, [VOL, Layout((2, 2, 3), 2)], 0, id="crop3d-custom"),
    LayerCase("resize2dLayer", ("Scale", 2), {}, [IMG], 0),
    LayerCase("resize2dLayer", ("OutputSize", [3, 8]), {"Method": "bilinear"}, [IMG], 0, id="resize2d-bilinear"),
    LayerCase("resize2dLayer", ("EnableReferenceInput", True), {"Method": "bilinear"}, [IMG, Layout((7, 3), 1)], 0,
              id="resize2d-reference"),
    LayerCase("resize2dLayer", ("Scale", 0.5), {"GeometricTransformMode": "asymmetric"}, [IMG_SEQ], 0,
              id="resize2d-sequence"),
    LayerCase("resize3dLayer", ("Scale", [2, 1, 0.5]), {"Method": "trilinear"}, [VOL], 0),
]
