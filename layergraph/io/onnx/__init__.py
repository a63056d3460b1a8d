"""ONNX in and out: ``exportONNXNetwork`` and ``importNetworkFromONNX`` (with ``importONNXNetwork`` /
``importONNXLayers``). Needs the ``[onnx]`` extra (onnx; onnxruntime for checks)."""

from .export import OnnxError, exportONNXNetwork
from .importer import ONNXPlaceholderLayer, importNetworkFromONNX, importONNXLayers, importONNXNetwork

__all__ = ["OnnxError", "exportONNXNetwork", "importNetworkFromONNX", "importONNXNetwork", "importONNXLayers",
           "ONNXPlaceholderLayer"]
