"""darknet19 and darknet53 (Redmon's DarkNet classifiers; 256×256×3 input).

Confirmed from MathWorks' darknet19 page: a SeriesNetwork of 64 layers with InputNames {'input'} and
OutputNames {'output'}; 'Weights','none' gives a Layer array. The other layer names here
('conv1', 'batchnorm1', 'leaky1', 'pool1', ..., 'conv19', 'avg1', 'softmax'; darknet53's additions
'res1'..'res23') and the 'rescale-zero-one' input are this project's choice, **not confirmed**.
No public torch weight file (torchvision has no DarkNet).
"""

from __future__ import annotations

import torch

from .common import NetBuilder, add, bn, classification, conv, gap, image_input, layer, maxpool, softmax


def _input():
    return image_input("input", (256, 256, 3), "rescale-zero-one", Min=torch.tensor(0.0), Max=torch.tensor(255.0))


def _cbl(i, filt, num, stride=1):
    pad = (filt - 1) // 2
    return [conv(f"conv{i}", filt, num, stride=stride, padding=pad), bn(f"batchnorm{i}"),
            layer("leakyReluLayer", 0.1, Name=f"leaky{i}")]


DARKNET19 = [(3, 32), "M", (3, 64), "M", (3, 128), (1, 64), (3, 128), "M", (3, 256), (1, 128), (3, 256), "M",
             (3, 512), (1, 256), (3, 512), (1, 256), (3, 512), "M", (3, 1024), (1, 512), (3, 1024), (1, 512),
             (3, 1024)]


def darknet19_graph():
    layers, i, p = [_input()], 0, 0
    for item in DARKNET19:
        if item == "M":
            p += 1
            layers.append(maxpool(f"pool{p}", 2, stride=2))
        else:
            i += 1
            layers += _cbl(i, *item)
    layers += [conv("conv19", 1, 1000), gap("avg1"), softmax("softmax"), classification("output")]
    b = NetBuilder()
    b.chain(*layers)
    return b.graph()


def darknet53_graph():
    b = NetBuilder()
    x = b.chain(_input(), *_cbl(1, 3, 32))
    i, r, width = 1, 0, 32
    for blocks in (1, 2, 8, 8, 4):
        width *= 2
        i += 1
        x = b.chain(*_cbl(i, 3, width, stride=2), after=x)
        for _ in range(blocks):
            y = b.chain(*_cbl(i + 1, 1, width // 2), *_cbl(i + 2, 3, width), after=x)
            i += 2
            r += 1
            out = b.chain(add(f"res{r}"))
            b.connect(y, f"res{r}/in1")
            b.connect(x, f"res{r}/in2")
            x = out
    b.chain(conv("conv53", 1, 1000), gap("avg1"), softmax("softmax"), classification("output"), after=x)
    return b.graph()
