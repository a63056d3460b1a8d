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
