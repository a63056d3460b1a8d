"""Trained MATLAB networks in .mat files: ``loadmat`` (MATLAB ``load``), networks, layers and options.

Needs the ``[mat]`` extra (mat-io, scipy, h5py; Python >= 3.11, NumPy >= 2.2). See docs/import-export.md.
"""

from .container import MatCategorical, MatObject, MatObjectArray, read_mat_file, require_reader
from .layers import DECODERS, decode_layer
from .networks import load_networks, loadmat
from .placeholders import MatPlaceholderLayer, MatPlaceholderOutputLayer

__all__ = ["loadmat", "load_networks", "read_mat_file", "require_reader", "MatObject", "MatObjectArray",
           "MatCategorical", "MatPlaceholderLayer", "MatPlaceholderOutputLayer", "DECODERS", "decode_layer"]
