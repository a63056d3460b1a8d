"""ONNX in and out: ``exportONNXNetwork`` and ``importNetworkFromONNX`` (with ``importONNXNetwork`` /
``importONNXLayers``). Needs the ``[onnx]`` extra (onnx; onnxruntime for checks)."""

from .export import OnnxError, exportONNXNetwork

__all__ = ["OnnxError", "exportONNXNetwork"]
