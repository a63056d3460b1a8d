"""MATLAB's data functions: image files and image functions, datastores, augmentation.

Images are NumPy arrays in MATLAB layout (H×W or H×W×C, MATLAB classes as dtypes: uint8, uint16,
single = float32, double = float64, logical = bool). Datastores hold file names, never the images.
"""

from __future__ import annotations

from .images import (
    cat,
    flip,
    im2double,
    im2single,
    im2uint8,
    imcrop,
    imread,
    imresize,
    imrotate,
    imwrite,
    rgb2gray,
)
from . import example_data as _example_data  # noqa: F401  (registers writeDigitFolders, japaneseVowels*Data)
from .datastore import (
    ArrayDatastore,
    CombinedDatastore,
    Datastore,
    FileDatastore,
    ImageDatastore,
    PixelLabelDatastore,
    TabularTextDatastore,
    TransformedDatastore,
    arrayDatastore,
    combine,
    countEachLabel,
    fileDatastore,
    imageDatastore,
    numpartitions,
    partition,
    pixelLabelDatastore,
    read,
    readall,
    readimage,
    splitEachLabel,
    subset,
    tabularTextDatastore,
    transform,
)
from .augmentation import AugmentedImageDatastore, ImageDataAugmenter, augment, augmentedImageDatastore, imageDataAugmenter

__all__ = [
    "ArrayDatastore", "AugmentedImageDatastore", "CombinedDatastore", "Datastore", "FileDatastore",
    "ImageDataAugmenter", "ImageDatastore", "PixelLabelDatastore", "TabularTextDatastore", "TransformedDatastore",
    "arrayDatastore", "augment", "augmentedImageDatastore", "cat", "combine", "countEachLabel", "fileDatastore",
    "flip", "im2double", "im2single", "im2uint8", "imageDataAugmenter", "imageDatastore", "imcrop",
    "imread", "imresize", "imrotate", "imwrite", "numpartitions", "partition", "pixelLabelDatastore", "read",
    "readall", "readimage", "rgb2gray", "splitEachLabel", "subset", "tabularTextDatastore",
    "transform",
]
