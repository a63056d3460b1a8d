"""Trained networks in and out: MATLAB .mat files (``layergraph.io.mat``) and ONNX (``layergraph.io.onnx``)."""
