"""Fixtures for the data tests, made with scikit-learn's digits and Pillow (no third-party files)."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image


def digit_images():
    from sklearn.datasets import load_digits

    d = load_digits()
    # 8×8 values 0..16 -> 28×28 uint8 (Pillow's bilinear resize: independent of layergraph.imresize)
    imgs = [np.asarray(Image.fromarray(np.round(x * (255 / 16)).astype(np.uint8)).resize((28, 28), Image.BILINEAR))
            for x in d.images]
    return imgs, d.target


def make_digit_folders(root) -> dict:
    """root/<digit>/img<k>.png for every scikit-learn digit; returns {label: count}."""
    imgs, target = digit_images()
    counts: dict = {}
    for k, (img, lab) in enumerate(zip(imgs, target)):
        folder = os.path.join(root, str(lab))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(img).save(os.path.join(folder, f"img{k:04d}.png"))
        counts[str(lab)] = counts.get(str(lab), 0) + 1
    return counts


def shared_digit_folders(tmp_path_factory):
    """The digit folders, written once per test session (under the session's base temporary folder)."""
    root = tmp_path_factory.getbasetemp() / "digit_folders"
    done = root / ".complete"
    if not done.exists():
        make_digit_folders(str(root))
        done.write_text("ok")
    counts = {d: len([f for f in os.listdir(root / d) if f.endswith(".png")]) for d in sorted(os.listdir(root))
              if (root / d).is_dir()}
    return str(root), counts
