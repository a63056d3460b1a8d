"""Harness cases for the pooling, convolution (1-D, 3-D, grouped, transposed) and extra input layers.

Learnable counts are computed by hand from MATLAB's learnable sizes.
"""

from layergraph.layers.base import Layout

from . import LayerCase

IMG = Layout((7, 9), 3)
IMG_SEQ = Layout((6, 5), 2, True)           # SSCBT
IMG1D_SEQ = Layout((6,), 2, True)           # SCBT
VOL = Layout((5, 6, 4), 2)                  # SSSCB
VOL_SEQ = Layout((5, 6, 4), 2, True)        # SSSCBT
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
    LayerCase("maxUnpooling2dLayer", (), {}, [Layout((3, 4), 3), Layout((3, 4), 3), IMG], 0, gradcheck=False,
              input_kind="index:12"),
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
