"""Harness cases for the recurrent and sequence layers (learnable counts computed by hand)."""

from layergraph.layers.base import Layout

from . import LayerCase

SEQ3 = Layout((), 3, True)          # 3 features per time step ('CBT')
H4 = Layout((), 4)                  # a 4-channel 'CB' state input


def lstm_count(c, h, directions=1):
    # InputWeights 4H×C, RecurrentWeights 4H×H, Bias 4H×1 per direction
    return directions * 4 * h * (c + h + 1)


CASES = [
    LayerCase("lstmLayer", (4,), {}, [SEQ3], lstm_count(3, 4)),
    LayerCase("lstmLayer", (4,), {"OutputMode": "last"}, [SEQ3], lstm_count(3, 4), id="lstm-last"),
    LayerCase("lstmLayer", (3,), {"StateActivationFunction": "softsign", "GateActivationFunction": "hard-sigmoid"},
              [SEQ3], lstm_count(3, 3), id="lstm-softsign-hardsigmoid"),
    LayerCase("lstmLayer", (4,), {"HasStateInputs": True, "HasStateOutputs": True, "OutputMode": "last"},
              [SEQ3, H4, H4], lstm_count(3, 4), id="lstm-state-ports"),
    LayerCase("bilstmLayer", (4,), {}, [SEQ3], lstm_count(3, 4, directions=2)),
    LayerCase("bilstmLayer", (2,), {"OutputMode": "last", "StateActivationFunction": "softsign"}, [SEQ3],
              lstm_count(3, 2, directions=2), id="bilstm-last-softsign"),
    LayerCase("bilstmLayer", (2,), {"HasStateInputs": True, "HasStateOutputs": True},
              [SEQ3, Layout((), 4), Layout((), 4)], lstm_count(3, 2, directions=2), id="bilstm-state-ports"),
    LayerCase("gruLayer", (4,), {}, [SEQ3], 3 * 4 * (3 + 4 + 1)),
    LayerCase("gruLayer", (4,), {"ResetGateMode": "before-multiplication", "OutputMode": "last"}, [SEQ3],
              3 * 4 * (3 + 4 + 1), id="gru-before-multiplication"),
    LayerCase("gruLayer", (4,), {"ResetGateMode": "recurrent-bias-after-multiplication"}, [SEQ3],
              3 * 4 * (3 + 4) + 6 * 4, id="gru-recurrent-bias"),
    LayerCase("gruLayer", (3,), {"HasStateInputs": True, "HasStateOutputs": True,
                                 "GateActivationFunction": "hard-sigmoid"},
              [SEQ3, Layout((), 3)], 3 * 3 * (3 + 3 + 1), id="gru-state-ports-hard-sigmoid"),
    LayerCase("lstmLayer", (2,), {"HiddenState": [0.5, -0.5], "CellState": [1.0, 2.0]}, [SEQ3], lstm_count(3, 2),
              id="lstm-initial-state"),
]

IMGSEQ = Layout((4, 5), 3, True)      # 'SSCBT' image sequences
IMG = Layout((4, 5), 3)
SCB = Layout((6,), 4)                 # 1-D image: 6 positions, 4 channels
SEQ8 = Layout((), 8, True)

CASES += [
    LayerCase("sequenceFoldingLayer", (), {}, [IMGSEQ], 0),
    LayerCase("sequenceUnfoldingLayer", (), {}, [Layout((2, 3), 6, True), Layout((), 1)], 0),
    LayerCase("flattenLayer", (), {}, [IMG], 0),
    LayerCase("flattenLayer", (), {}, [IMGSEQ], 0, id="flatten-image-sequence"),
    LayerCase("flattenLayer", (), {}, [Layout((2, 3, 4), 2)], 0, id="flatten-3d"),
    LayerCase("wordEmbeddingLayer", (5, 10), {}, [Layout((), 1, True)], 5 * 11, gradcheck=False,
              input_kind="index:13"),
    LayerCase("wordEmbeddingLayer", (3, 4), {"Weights": [[0.1, 0.2, 0.3, 0.4]] * 3}, [Layout((), 1, True)], 3 * 4,
              gradcheck=False, input_kind="index:6", id="wordEmbedding-no-oov-column"),
    LayerCase("positionEmbeddingLayer", (6, 10), {}, [SEQ3], 6 * 10),
    LayerCase("positionEmbeddingLayer", (5, 6), {"PositionDimension": "spatial"}, [SCB], 5 * 6, id="posembed-spatial"),
    LayerCase("sinusoidalPositionEncodingLayer", (6,), {}, [SEQ3], 0),
    LayerCase("sinusoidalPositionEncodingLayer", (4,), {}, [SCB], 0, id="sinusoidal-spatial"),
    LayerCase("sinusoidalPositionEncodingLayer", (4,), {"Positions": "data-values"}, [Layout((), 1, True)], 0,
              id="sinusoidal-data-values"),
    LayerCase("indexing1dLayer", (), {}, [SEQ3], 0),
    LayerCase("indexing1dLayer", ("last",), {}, [SCB], 0, id="indexing1d-last-spatial"),
    LayerCase("indexing1dLayer", ("last",), {"HasPaddingMaskInput": True}, [SEQ3, Layout((), 1, True)], 0,
              gradcheck=False, id="indexing1d-mask"),
    LayerCase("embeddingConcatenationLayer", (), {}, [SCB], 4, id="embedconcat-spatial"),
    # Q, K: 4×8 + 4; V: 4×8 + 4; O: 8×4 + 8
    LayerCase("selfAttentionLayer", (2, 4), {}, [SEQ8], 2 * (4 * 8 + 4) + (4 * 8 + 4) + (8 * 4 + 8)),
    # V: 6 channels, output 5: Q, K 4×3+4 each; V 6×3+6; O 5×6+5
    LayerCase("selfAttentionLayer", (2, 4), {"NumValueChannels": 6, "OutputSize": 5, "AttentionMask": "causal"},
              [SEQ3], 2 * (4 * 3 + 4) + (6 * 3 + 6) + (5 * 6 + 5), id="selfattention-causal-sizes"),
    LayerCase("selfAttentionLayer", (1, 2), {"HasPaddingMaskInput": True}, [SCB, Layout((6,), 1)],
              2 * (2 * 4 + 2) + (2 * 4 + 2) + (4 * 2 + 4), gradcheck=False, id="selfattention-mask-spatial"),
]
