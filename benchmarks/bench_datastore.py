"""Cost of one epoch of reading + augmenting images through layergraph's datastores vs a hand-written
PIL + torch DataLoader pipeline with the same number of worker processes, in one run.

    python benchmarks/bench_datastore.py [--n 10000] [--workers 2] [--batch 128] [--rounds 3] [--folder DIR]

Data: ``n`` generated 64×64 grayscale PNGs in 10 label folders (written once into ``--folder``, default a
folder under the system temporary directory, and reused).

layergraph (what trainNetwork runs): ``imageDatastore(folder, 'IncludeSubfolders', true, 'LabelSource',
'foldernames')`` -> ``augmentedImageDatastore([32 32], imds, 'DataAugmentation', imageDataAugmenter(
'RandRotation', [-15 15], 'RandXTranslation', [-4 4], 'RandYTranslation', [-4 4]), 'DispatchInBackground',
true)``; one epoch = every shuffled mini-batch fetched through the training data path
(``layergraph.training.data``: Source.prefetch -> worker processes -> N×C×H×W float tensors + labels).

Hand-written: a torch Dataset that opens the PNG with PIL, draws an angle and a translation, applies
``Image.rotate(angle, BILINEAR, translate=...)``, ``resize((32, 32), BILINEAR)``, converts to a float tensor;
``DataLoader(batch_size, shuffle=True, num_workers=workers)``.

Both pipelines do the same work in kind (decode, bilinear warp, bilinear resize, tensor) with the same
workers; layergraph's follows MATLAB's numerics (imresize's antialiased bilinear kernel, the
augmenter's geometry), Pillow's its own. Rounds alternate the two; medians are printed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time

import numpy as np
import torch
from PIL import Image


def make_folder(folder: str, n: int) -> None:
    done = os.path.join(folder, f".complete-{n}")
    if os.path.exists(done):
        return
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    for k in range(n):
        label = k % 10
        sub = os.path.join(folder, f"class{label}")
        os.makedirs(sub, exist_ok=True)
        cx, cy = rng.uniform(16, 48, 2)
        img = 255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (4 + label) ** 2))
        img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(sub, f"img{k:05d}.png"))
    open(done, "w").close()


class HandWritten(torch.utils.data.Dataset):
    def __init__(self, files, labels):
        self.files = files
        self.labels = labels

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as im:
            angle = random.uniform(-15, 15)
            tx, ty = random.uniform(-4, 4), random.uniform(-4, 4)
            im = im.rotate(angle, Image.BILINEAR, translate=(tx, ty))
            im = im.resize((32, 32), Image.BILINEAR)
            x = torch.from_numpy(np.asarray(im, dtype=np.float32)).unsqueeze(0)
        return x, self.labels[i]


def _seed(worker_id):
    random.seed(torch.initial_seed() + worker_id)


def epoch_handwritten(files, labels, batch, workers) -> float:
    loader = torch.utils.data.DataLoader(HandWritten(files, labels), batch_size=batch, shuffle=True, drop_last=True,
                                         num_workers=workers, worker_init_fn=_seed)
    t = time.perf_counter()
    n = 0
    for x, y in loader:
        n += x.shape[0]
    return time.perf_counter() - t


def epoch_layergraph(auimds, batch) -> float:
    from layergraph.layers.base import Layout
    from layergraph.training.data import NetIO, epoch_batches, make_source

    io = NetIO("input", Layout(channels=1, spatial=(32, 32)), Layout(channels=10), "classification", 10)
    t = time.perf_counter()
    source = make_source(auimds, None, io)
    order = torch.randperm(len(source))
    batches = epoch_batches(order, batch)
    source.prefetch([b.tolist() for b in batches])
    n = 0
    for b in batches:
        x, y = source.fetch(b.tolist())
        n += x.shape[0]
    source.stop_prefetch()
    return time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", default=os.path.join(tempfile.gettempdir(), "layergraph-bench-datastore"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.environ["LAYERGRAPH_NUM_WORKERS"] = str(args.workers)

    from layergraph import augmentedImageDatastore, imageDataAugmenter, imageDatastore

    make_folder(args.folder, args.n)
    imds = imageDatastore(args.folder, "IncludeSubfolders", True, "LabelSource", "foldernames")
    aug = imageDataAugmenter("RandRotation", [-15, 15], "RandXTranslation", [-4, 4], "RandYTranslation", [-4, 4])
    auimds = augmentedImageDatastore([32, 32], imds, "DataAugmentation", aug, "DispatchInBackground", True)
    files = imds.Files
    labels = [int(os.path.basename(os.path.dirname(f))[5:]) for f in files]
    print(f"{len(files)} PNGs 64×64, resize to 32×32 + rotation ±15° + translation ±4 px, batch {args.batch}, "
          f"{args.workers} worker processes, torch threads 1")
    ours, hand = [], []
    for r in range(args.rounds):
        hand.append(epoch_handwritten(files, labels, args.batch, args.workers))
        ours.append(epoch_layergraph(auimds, args.batch))
        print(f"round {r + 1}: layergraph {ours[-1]:.2f} s, hand-written PIL+DataLoader {hand[-1]:.2f} s, "
              f"ratio {ours[-1] / hand[-1]:.2f}")
    mo, mh = statistics.median(ours), statistics.median(hand)
    print(f"median epoch: layergraph {mo:.2f} s ({len(files) / mo:.0f} images/s), hand-written {mh:.2f} s "
          f"({len(files) / mh:.0f} images/s); ratio {mo / mh:.2f}")


if __name__ == "__main__":
    main()
