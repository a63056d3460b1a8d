"""trainingOptions / predict 'SequenceLength' given as a positive integer: chunked sequences, carried state.

What MATLAB documents (trainingOptions, "SequenceLength"; the brief's summary of
https://www.mathworks.com/help/deeplearning/ref/trainingoptions.html — the stored-docs search did not return
that page, so the wording below is the documented behaviour as summarised, not a quotation):

* each mini-batch is padded to its longest sequence, then split into chunks of the given length that are
  processed in turn; the last chunk may be shorter;
* the recurrent layers' state is carried from one chunk to the next within the mini-batch and reset for each
  new mini-batch;
* MATLAB describes the split as creating extra mini-batches ("processes the smaller sequences in consecutive
  iterations"), so each chunk is its own iteration.

Decisions taken here (layergraph):

* one iteration = one chunk = one parameter update; the iteration count, the training-loss history and
  the OutputFcn/verbose rows all count chunks. Epoch bookkeeping (Shuffle, checkpoints by epoch) stays per
  mini-batch; a checkpoint taken mid-mini-batch resumes at the start of that mini-batch;
* the carried state is detached: gradients do not flow back into earlier chunks (truncated backpropagation
  through time, one chunk long);
* sequence-to-sequence: each chunk's loss uses that chunk's time steps of the responses (padding masked as
  for 'longest'); sequence-to-label (OutputMode 'last'): every chunk's output is compared with the
  observation's label (the label belongs to the whole sequence and every chunk is a mini-batch of its own);
* validation and predict/classify/activations with an integer SequenceLength run the chunks with the state
  carried and join outputs over time ('last' outputs come from the final chunk). For LSTM and GRU this equals
  'longest' exactly (tested below); BiLSTM carries both directions' final states as its network state, so
  its backward direction sees only the current chunk and the result differs from 'longest' (tested, no
  error raised).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from layergraph import (
    bilstmLayer, classificationLayer, fullyConnectedLayer, gruLayer, lstmLayer, regressionLayer,
    sequenceInputLayer, softmaxLayer,
)
from layergraph.layers.recurrent import carry_state, recurrent_modules
from layergraph.training import predict, trainingOptions, trainNetwork


def quiet(solver="adam", **kw):
    return trainingOptions(solver, Verbose=False, **kw)


def _seqs(n=16, seed=0, lo=3, hi=11, c=3):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((int(rng.integers(lo, hi)), c)).astype(np.float32) for _ in range(n)]
    ys = ["up" if s[:, 0].sum() > 0 else "down" for s in xs]
    return xs, ys


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_lstm(x, W, R, b, h, c):
    """MATLAB LSTM on T×C (gate blocks i, f, g, o); returns (T×H outputs, h, c)."""
    outs = []
    H = R.shape[1]
    for t in range(x.shape[0]):
        z = W @ x[t] + R @ h + b
        i, f, g, o = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
        c = np.tanh(g) * _sigmoid(i) + _sigmoid(f) * c
        h = np.tanh(c) * _sigmoid(o)
        outs.append(h)
    return np.stack(outs), h, c


# --------------------------------------------------------------------------------------------------
# The carried state in the recurrent modules


def _trained_lstm_net(output_mode="sequence", layer=lstmLayer):
    xs, ys = _seqs(8)
    if output_mode == "sequence":
        labels = [np.where(s[:, 0] > 0, "pos", "neg") for s in xs]
    else:
        labels = ys
    layers = [sequenceInputLayer(3), layer(5, OutputMode=output_mode, Name="rnn"), fullyConnectedLayer(2),
              softmaxLayer, classificationLayer]
    torch.manual_seed(0)
    net, _ = trainNetwork(xs, labels, layers, quiet(MaxEpochs=1, MiniBatchSize=4))
    return net


def test_chunks_with_carried_state_equal_numpy_lstm_over_the_whole_sequence():
    net = _trained_lstm_net()
    lstm = net.layer_module("rnn")
    L = net.Layers[1]
    W, R, b = (np.asarray(getattr(L, p), dtype=np.float64) for p in ("InputWeights", "RecurrentWeights", "Bias"))
    b = b.reshape(-1)
    x = np.random.default_rng(3).standard_normal((2, 11, 3))
    ref = np.stack([numpy_lstm(x[i], W, R, b, np.zeros(5), np.zeros(5))[0] for i in range(2)])
    xt = torch.tensor(x, dtype=torch.float32)
    with torch.no_grad():
        whole = lstm(xt).numpy()
        with carry_state(lstm) as mods:
            assert mods == [lstm] and lstm.carry
            parts = [lstm(xt[:, s:s + 4]).numpy() for s in range(0, 11, 4)]   # 4 + 4 + 3 steps
        assert not lstm.carry and lstm.carried is None                          # off again, nothing kept
        fresh = lstm(xt[:, 4:8]).numpy()
    np.testing.assert_allclose(whole, ref, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(parts, axis=1), ref, atol=1e-5)
    # without carrying, the second chunk starts again from the zero state: different from the reference
    assert not np.allclose(fresh, ref[:, 4:8], atol=1e-4)


def test_carry_state_is_off_by_default_and_resets_per_block():
    net = _trained_lstm_net()
    lstm = net.layer_module("rnn")
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        a = lstm(x)
        b = lstm(x)
        torch.testing.assert_close(a, b)            # default: every call starts from HiddenState/CellState
        with carry_state(net):
            first = lstm(x)
            second = lstm(x)
            assert lstm.carried["HiddenState"].shape == (2, 5) and not lstm.carried["HiddenState"].requires_grad
        with carry_state(net):
            again = lstm(x)
    torch.testing.assert_close(first, a)
    torch.testing.assert_close(again, a)           # a new block starts from the initial state again
    assert not torch.allclose(second, a)


# --------------------------------------------------------------------------------------------------
# Prediction: chunked with carried state == 'longest' for LSTM and GRU; BiLSTM differs


@pytest.mark.parametrize("layer", [lstmLayer, gruLayer])
@pytest.mark.parametrize("mode", ["sequence", "last"])
def test_predict_integer_sequence_length_equals_longest(layer, mode):
    net = _trained_lstm_net(mode, layer)
    xs, _ = _seqs(7, seed=5, lo=2, hi=14)
    longest = predict(net, xs, MiniBatchSize=3)
    for n in (1, 3, 4, 50):
        chunked = predict(net, xs, MiniBatchSize=3, SequenceLength=n)
        if mode == "sequence":
            assert [c.shape for c in chunked] == [o.shape for o in longest]
            for c, o in zip(chunked, longest):
                np.testing.assert_allclose(c, o, atol=1e-5)
        else:
            np.testing.assert_allclose(chunked, longest, atol=1e-5)


def test_predict_bilstm_chunks_differ_from_longest():
    net = _trained_lstm_net("last", bilstmLayer)
    xs, _ = _seqs(4, seed=2, lo=9, hi=12)
    longest = predict(net, xs, MiniBatchSize=4)
    chunked = predict(net, xs, MiniBatchSize=4, SequenceLength=4)
    assert chunked.shape == longest.shape and np.isfinite(chunked).all()
    assert not np.allclose(chunked, longest, atol=1e-4)
    # a chunk length covering the whole mini-batch is 'longest'
    np.testing.assert_allclose(predict(net, xs, MiniBatchSize=4, SequenceLength=20), longest, atol=1e-6)


# --------------------------------------------------------------------------------------------------
# Training: one iteration per chunk, state carried within and reset between mini-batches


def _expected_iterations(xs, batch, length, epochs):
    per_epoch = sum(math.ceil(max(len(s) for s in xs[i:i + batch]) / length)
                    for i in range(0, (len(xs) // batch) * batch, batch))
    return per_epoch * epochs


@pytest.mark.parametrize("mode", ["sequence", "last"])
def test_training_iterations_count_chunks_and_state_resets_per_mini_batch(mode):
    xs, ys = _seqs(10, seed=1, lo=2, hi=12)
    labels = [np.where(s[:, 0] > 0, "pos", "neg") for s in xs] if mode == "sequence" else ys
    layers = [sequenceInputLayer(3), lstmLayer(4, OutputMode=mode, Name="rnn"), fullyConnectedLayer(2),
              softmaxLayer, classificationLayer]
    calls = []
    import layergraph.layers.recurrent as rec

    original = rec.LSTMModule.forward

    def spy(self, x, hidden=None, cell=None):
        before = None if not (self.carry and self.carried) else self.carried["HiddenState"].clone()
        out = original(self, x, hidden, cell)
        if self.training:
            calls.append((x.shape[1], before, self.carried["HiddenState"].clone() if self.carry else None))
        return out

    rec.LSTMModule.forward = spy
    try:
        torch.manual_seed(0)
        seen = []
        net, info = trainNetwork(xs, labels, layers, quiet("sgdm", MaxEpochs=2, MiniBatchSize=3, Shuffle="never",
                                                           SequenceLength=4, InitialLearnRate=0.01,
                                                           OutputFcn=lambda s: seen.append(s.Iteration) and False))
    finally:
        rec.LSTMModule.forward = original
    expected = _expected_iterations(xs, 3, 4, 2)
    assert len(info.TrainingLoss) == expected == len(calls)       # one update per chunk
    assert seen[-1] == expected and np.isfinite(info.TrainingLoss).all()
    # replay the mini-batches: chunk lengths, first chunk from the initial state, later ones from the carried one
    k = 0
    for _ in range(2):
        for i in range(0, 9, 3):
            t = max(len(s) for s in xs[i:i + 3])
            sizes = [min(4, t - s) for s in range(0, t, 4)]
            for j, size in enumerate(sizes):
                steps, before, after = calls[k]
                assert steps == size
                if len(sizes) == 1:
                    assert before is None and after is None             # no split: no carrying at all
                elif j == 0:
                    assert before is None                               # reset for every mini-batch
                else:
                    torch.testing.assert_close(before, calls[k - 1][2])  # carried from the previous chunk
                k += 1
    assert k == expected


def test_training_without_split_is_unchanged():
    # sequences never longer than SequenceLength: same iterations and same losses as 'longest'
    xs, ys = _seqs(9, seed=4, lo=2, hi=6)
    layers = lambda: [sequenceInputLayer(3), lstmLayer(4, OutputMode="last"), fullyConnectedLayer(2),  # noqa: E731
                      softmaxLayer, classificationLayer]
    torch.manual_seed(1)
    _, a = trainNetwork(xs, ys, layers(), quiet(MaxEpochs=2, MiniBatchSize=3, Shuffle="never"))
    torch.manual_seed(1)
    _, b = trainNetwork(xs, ys, layers(), quiet(MaxEpochs=2, MiniBatchSize=3, Shuffle="never", SequenceLength=8))
    np.testing.assert_allclose(a.TrainingLoss, b.TrainingLoss, rtol=1e-6)


def test_sequence_regression_with_validation_and_left_padding():
    xs, _ = _seqs(12, seed=6, lo=3, hi=13)
    targets = [np.cumsum(s[:, :1], 0) for s in xs]
    layers = [sequenceInputLayer(3), gruLayer(5), fullyConnectedLayer(1), regressionLayer]
    torch.manual_seed(0)
    net, info = trainNetwork(xs, targets, layers, quiet(MaxEpochs=3, MiniBatchSize=4, SequenceLength=5, Shuffle="never",
                                                        SequencePaddingDirection="left",
                                                        ValidationData=(xs[:4], targets[:4]),
                                                        ValidationFrequency=2))
    assert len(info.TrainingLoss) == _expected_iterations(xs, 4, 5, 3)
    assert np.isfinite(info.TrainingLoss).all() and np.isfinite(info.FinalValidationLoss)
    out = predict(net, xs[:3], SequenceLength=5, SequencePaddingDirection="left")
    ref = predict(net, xs[:3], SequencePaddingDirection="left")
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o, r, atol=1e-5)


def test_recurrent_modules_lists_the_recurrent_layers():
    net = _trained_lstm_net()
    assert recurrent_modules(net) == [net.layer_module("rnn")]
