"""Harness cases for the pooling, convolution (1-D, 3-D, grouped, transposed) and extra input layers.

Learnable counts are computed by hand from MATLAB's learnable sizes.
"""

from layergraph.layers.base import Layout

from . import LayerCase

IMG = Layout((5, 6), 3)
IMG_SEQ = Layout((4, 4), 2, True)           # SSCBT
IMG1D_SEQ = Layout((6,), 2, True)           # SCBT
VOL = Layout((4, 3, 3), 2)                  # SSSCB
VOL_SEQ = Layout((3, 4, 2), 1, True)        # SSSCBT
SEQ = Layout((), 3, True)                   # CBT
SIG = Layout((10,), 3)                      # SCB

CASES = [
    # ---- 2-D pooling
    LayerCase("maxPooling2dLayer", (2,), {}, [IMG], 0),
    LayerCase("maxPooling2dLayer", ([3, 2],), {"Stride": [2, 3], "Padding": "same"}, [IMG], 0, id="maxpool2d-same"),
    LayerCase("maxPooling2dLayer", (3,), {"Stride": 2, "Padding": [1, 0, 2, 1]}, [IMG], 0, id="maxpool2d-tblr"),
    LayerCase("maxPooling2dLayer", (2,), {"Stride": 2}, [IMG_SEQ], 0, id="maxpool2d-sscbt"),
    LayerCase("maxPooling2dLayer", ([2, 3],), {"Stride": [2, 1], "Padding": "same"}, [IMG1D_SEQ], 0,
              id="maxpool2d-scbt-space-and-time"),
    LayerCase("maxPooling2dLayer", (2,), {"Stride": 2, "HasUnpoolingOutputs": True}, [IMG], 0, id="maxpool2d-unpool"),
    LayerCase("averagePooling2dLayer", (2,), {}, [IMG], 0),
    LayerCase("averagePooling2dLayer", (3,), {"Stride": 2, "Padding": "same"}, [IMG], 0, id="avgpool2d-same"),
    LayerCase("averagePooling2dLayer", (3,), {"Stride": 2}, [IMG_SEQ], 0, id="avgpool2d-sscbt"),
    LayerCase("globalAveragePooling2dLayer", (), {}, [IMG], 0),
    LayerCase("globalAveragePooling2dLayer", (), {}, [IMG_SEQ], 0, id="gap2d-sscbt"),
    LayerCase("globalMaxPooling2dLayer", (), {}, [IMG], 0),
    LayerCase("maxUnpooling2dLayer", (), {}, [Layout((2, 3), 3), Layout((2, 3), 3), IMG], 0, gradcheck=False,
              input_kind="index:6"),
    # ---- 1-D pooling
    LayerCase("maxPooling1dLayer", (3,), {"Padding": "same"}, [SEQ], 0, id="maxpool1d-cbt"),
    LayerCase("maxPooling1dLayer", (3,), {"Stride": 2, "Padding": [1, 0]}, [SIG], 0, id="maxpool1d-scb"),
    LayerCase("averagePooling1dLayer", (2,), {"Stride": 2}, [SIG], 0),
    LayerCase("averagePooling1dLayer", (2,), {"Stride": 2}, [IMG1D_SEQ], 0, id="avgpool1d-scbt"),
    LayerCase("globalAveragePooling1dLayer", (), {}, [SIG], 0),
    LayerCase("globalMaxPooling1dLayer", (), {}, [IMG1D_SEQ], 0),
    # ---- 3-D pooling
    LayerCase("maxPooling3dLayer", (2,), {"Stride": 2}, [VOL], 0),
    LayerCase("maxPooling3dLayer", ([2, 3, 2],), {"Stride": 2, "Padding": "same"}, [VOL_SEQ], 0, id="maxpool3d-same-seq"),
    LayerCase("averagePooling3dLayer", (3,), {"Stride": 2, "Padding": [[1, 0, 1], [1, 1, 0]]}, [VOL], 0),
    LayerCase("globalAveragePooling3dLayer", (), {}, [VOL], 0),
    LayerCase("globalMaxPooling3dLayer", (), {}, [VOL_SEQ], 0),
]

CASES += [
    # ---- convolution2dLayer padding values and sequences
    LayerCase("convolution2dLayer", (3, 4), {"Padding": "same", "PaddingValue": "symmetric-include-edge"}, [IMG],
              3 * 3 * 3 * 4 + 4, id="conv2d-symmetric-include"),
    LayerCase("convolution2dLayer", ([2, 3], 2), {"Padding": [1, 0, 2, 1], "PaddingValue": "symmetric-exclude-edge",
                                                  "Stride": [2, 1]}, [IMG], 2 * 3 * 3 * 2 + 2, id="conv2d-reflect"),
    LayerCase("convolution2dLayer", (3, 2), {"Padding": 1, "PaddingValue": "replicate", "DilationFactor": 2}, [IMG],
              3 * 3 * 3 * 2 + 2, id="conv2d-replicate-dilated"),
    LayerCase("convolution2dLayer", (3, 2), {"Padding": "same", "PaddingValue": -1.5}, [IMG_SEQ], 3 * 3 * 2 * 2 + 2,
              id="conv2d-sscbt-value"),
    LayerCase("convolution2dLayer", ([2, 3], 4), {"Padding": "same"}, [IMG1D_SEQ], 2 * 3 * 2 * 4 + 4,
              id="conv2d-scbt-space-and-time"),
    # ---- 1-D convolution
    LayerCase("convolution1dLayer", (3, 5), {"Padding": "causal", "DilationFactor": 2}, [SEQ], 3 * 3 * 5 + 5,
              id="conv1d-causal-cbt"),
    LayerCase("convolution1dLayer", (4, 2), {"Stride": 2, "Padding": [1, 2]}, [SIG], 4 * 3 * 2 + 2, id="conv1d-scb"),
    LayerCase("convolution1dLayer", (3, 2), {"Padding": "same", "PaddingValue": "replicate"}, [IMG1D_SEQ],
              3 * 2 * 2 + 2, id="conv1d-scbt"),
    # ---- 3-D convolution
    LayerCase("convolution3dLayer", (2, 3), {}, [VOL], 2 * 2 * 2 * 2 * 3 + 3),
    LayerCase("convolution3dLayer", ([3, 2, 3], 2), {"Stride": 2, "Padding": "same"}, [VOL_SEQ], 3 * 2 * 3 * 1 * 2 + 2,
              id="conv3d-same-seq"),
    LayerCase("convolution3dLayer", (3, 2), {"Padding": [[1, 0, 1], [1, 2, 0]], "PaddingValue": "symmetric-exclude-edge"},
              [VOL], 3 * 3 * 3 * 2 * 2 + 2, id="conv3d-2x3-reflect"),
    # ---- grouped convolution: Weights h×w×cpg×fpg×G, Bias 1×1×fpg×G
    LayerCase("groupedConvolution2dLayer", (3, 2, 2), {"Padding": "same"}, [Layout((6, 5), 4)],
              3 * 3 * 2 * 2 * 2 + 2 * 2),
    LayerCase("groupedConvolution2dLayer", ([3, 2], 3, "channel-wise"), {"Stride": 2}, [IMG], 3 * 2 * 1 * 3 * 3 + 3 * 3,
              id="grouped-channel-wise"),
    # ---- transposed convolution: Weights h×w×NumFilters×NumChannels, Bias 1×1×NumFilters
    LayerCase("transposedConv2dLayer", (3, 4), {"Stride": 2, "Cropping": "same"}, [IMG], 3 * 3 * 4 * 3 + 4),
    LayerCase("transposedConv2dLayer", ([2, 3], 2), {"Stride": [3, 2], "Cropping": [1, 0, 0, 2]}, [IMG_SEQ],
              2 * 3 * 2 * 2 + 2, id="tconv2d-manual-seq"),
    LayerCase("transposedConv3dLayer", (2, 3), {"Stride": 2}, [VOL], 2 * 2 * 2 * 3 * 2 + 3),
    LayerCase("transposedConv3dLayer", (3, 2), {"Stride": [2, 1, 3], "Cropping": "same"}, [VOL], 3 * 3 * 3 * 2 * 2 + 2,
              id="tconv3d-same"),
    # ---- input layers
    LayerCase("image3dInputLayer", ([4, 5, 3, 2],), {"Normalization": "none"}, [], 0, gradcheck=False),
    LayerCase("image3dInputLayer", ([4, 5, 3, 2],), {"Normalization": "rescale-symmetric", "Min": -1.0, "Max": 3.0}, [],
              0, gradcheck=False, id="image3d-rescale"),
    LayerCase("roiInputLayer", (), {}, [], 0, gradcheck=False),
    LayerCase("sequenceInputLayer", ([6, 2],), {"Normalization": "zscore", "Mean": [0.5, -1.0],
                                               "StandardDeviation": [2.0, 4.0]}, [], 0, gradcheck=False,
              id="sequence-1d-image-zscore"),
]

CASES += [
    # global pooling over T removes the time dimension
    LayerCase("globalAveragePooling1dLayer", (), {}, [SEQ], 0, id="gap1d-cbt-sequence-to-one"),
    LayerCase("globalMaxPooling2dLayer", (), {}, [IMG1D_SEQ], 0, id="gmp2d-scbt-space-and-time"),
]
