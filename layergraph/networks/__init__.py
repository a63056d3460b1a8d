"""MATLAB's ready-made networks: the pretrained architectures (``pretrained/``) and, beside them,
network builders (``builders/``, e.g. resnetLayers, unetLayers)."""

from . import pretrained, builders  # noqa: F401,E402  (registers the MATLAB functions)
