"""Shared helpers of the ONNX tests: random learnables, running a model with onnxruntime."""

from __future__ import annotations

import numpy as np
import torch


def perturb(net, seed: int = 0):
    """Give every learnable and state a random, nonzero value (so wrong layouts or gate orders show)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.3)
        for name, buf in net.named_buffers():
            if buf is None or not buf.is_floating_point() or buf.numel() == 0:
                continue
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "TrainedVariance":
                buf.copy_(torch.rand(buf.shape, generator=gen) + 0.5)
            elif leaf in ("TrainedMean", "HiddenState", "CellState"):
                buf.copy_(torch.randn(buf.shape, generator=gen) * 0.3)
    return net


def run_onnx(model_or_path, *inputs):
    """Outputs of onnxruntime for positional torch inputs (in graph-input order)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    source = model_or_path.SerializeToString() if hasattr(model_or_path, "SerializeToString") else str(model_or_path)
    sess = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.ascontiguousarray(x.numpy() if isinstance(x, torch.Tensor) else x, dtype=np.float32)
             for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feeds)


def torch_outputs(net, *inputs):
    y = net.predict(*inputs)
    return [t.numpy() for t in (y if isinstance(y, (tuple, list)) else (y,))]
