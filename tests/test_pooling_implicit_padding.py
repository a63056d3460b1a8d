"""Pooling with symmetric padding runs torch's implicit padding (no padded copy of the input): the same
values as padding explicitly with -inf (max) or zeros counted in the average (MATLAB's average pooling
counts padding), in 1-D, 2-D and 3-D; asymmetric padding and padding above half the pool keep the
explicit path."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import layergraph as lg
from layergraph.layers.pooling import PoolModule

POOLS = {"max": (F.max_pool1d, F.max_pool2d, F.max_pool3d), "avg": (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)}


def _explicit(kind, x, pool, stride, pads):
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    xp = F.pad(x, flat, value=float("-inf") if kind == "max" else 0.0)
    return POOLS[kind][len(pool) - 1](xp, pool, stride)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("pool,stride,pads", [(3, 2, (1, 1)), (2, 1, (1, 1)), (5, 2, (2, 2)), (3, 1, (0, 0)),
                                              (3, 2, (0, 1)), (2, 2, (2, 2))])
def test_padding_paths_agree(kind, n, pool, stride, pads):
    torch.manual_seed(n)
    x = torch.randn(2, 3, *([9] * n)) - 4          # negative values: zero padding would show in a max
    module = PoolModule(kind, (pool,) * n, (stride,) * n, [pads] * n)
    expected = _explicit(kind, x, (pool,) * n, (stride,) * n, [pads] * n)
    assert torch.allclose(module(x), expected, atol=1e-6)


def test_resnet18_pool1_matches_hand_computation():
    """maxPooling2dLayer(3,'Stride',2,'Padding',1) in an assembled network: the 2×2 output of a 4×4 input
    holds the maxima of the windows rows/cols {-1,0,1} and {1,2,3}: their top-left real elements (padding
    never wins)."""
    layers = [lg.imageInputLayer([4, 4, 1], Normalization="none"), lg.maxPooling2dLayer(3, Stride=2, Padding=1)]
    net = lg.dlnetwork(layers)
    x = -torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4) - 1     # all negative, max = top-left
    y = net.predict(x)
    assert y.flatten().tolist() == [-1.0, -2.0, -5.0, -6.0]
