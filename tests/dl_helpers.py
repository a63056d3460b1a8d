"""Networks shared by the custom-loop tests (tests/test_dl_*.py)."""

from __future__ import annotations

import torch

from layergraph import (batchNormalizationLayer, convolution2dLayer, dlnetwork, fullyConnectedLayer, imageInputLayer,
                        reluLayer, softmaxLayer)


def image_net(seed: int):
    """A small image classifier (4×4×2 images, 5 classes) with batch-norm state: conv 3×3×3 'same', batch
    norm, ReLU, fully connected 5, softmax; weights drawn after ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    return dlnetwork([imageInputLayer([4, 4, 2], Normalization="none"), convolution2dLayer(3, 3, Padding="same"),
                      batchNormalizationLayer, reluLayer, fullyConnectedLayer(5), softmaxLayer])
