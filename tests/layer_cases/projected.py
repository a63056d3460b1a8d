"""Harness cases for the projected recurrent layers and networkLayer (learnable counts computed by hand)."""

from layergraph.layers.base import Layout

from . import LayerCase

SEQ3 = Layout((), 3, True)          # 3 features per time step ('CBT')


def projected_count(c, h, p_out, p_in, gates, bias_rows=None):
    # InputWeights gH×P_in, RecurrentWeights gH×P_out, Bias gH×1, InputProjector C×P_in, OutputProjector H×P_out
    bias = gates * h if bias_rows is None else bias_rows
    return gates * h * p_in + gates * h * p_out + bias + c * p_in + h * p_out


CASES = [
    # 4·4·2 + 4·4·3 + 16 + 3·2 + 4·3 = 32 + 48 + 16 + 6 + 12 = 114
    LayerCase("lstmProjectedLayer", (4, 3, 2), {}, [SEQ3], 114),
    LayerCase("lstmProjectedLayer", (4, 2, 2), {"OutputMode": "last"}, [SEQ3], projected_count(3, 4, 2, 2, 4),
              id="lstmp-last"),
    LayerCase("lstmProjectedLayer", (3, 2, 1), {"StateActivationFunction": "softsign",
                                                "GateActivationFunction": "hard-sigmoid"},
              [SEQ3], projected_count(3, 3, 2, 1, 4), id="lstmp-softsign-hardsigmoid"),
    LayerCase("lstmProjectedLayer", (4, 2, 2), {"HasStateInputs": True, "HasStateOutputs": True},
              [SEQ3, Layout((), 4), Layout((), 4)], projected_count(3, 4, 2, 2, 4), id="lstmp-state-ports"),
    # 3·4·2 + 3·4·3 + 12 + 3·2 + 4·3 = 24 + 36 + 12 + 6 + 12 = 90
    LayerCase("gruProjectedLayer", (4, 3, 2), {}, [SEQ3], 90),
    LayerCase("gruProjectedLayer", (4, 2, 2), {"ResetGateMode": "before-multiplication", "OutputMode": "last"},
              [SEQ3], projected_count(3, 4, 2, 2, 3), id="grup-before-multiplication"),
    LayerCase("gruProjectedLayer", (4, 2, 2), {"ResetGateMode": "recurrent-bias-after-multiplication"},
              [SEQ3], projected_count(3, 4, 2, 2, 3, bias_rows=24), id="grup-recurrent-bias"),
    LayerCase("gruProjectedLayer", (3, 2, 2), {"HasStateInputs": True, "HasStateOutputs": True},
              [SEQ3, Layout((), 3)], projected_count(3, 3, 2, 2, 3), id="grup-state-ports"),
]

# networkLayer. Its nested learned values travel inline in the Network JSON text (not in the weights file
# the spec round trip expects for layer learnables), so the harness cases nest learnable-free networks;
# nested learnables (counts, values, JSON round trip, training) are tested in tests/test_layers_projected.py.
from layergraph import additionLayer, reluLayer, sequenceInputLayer, tanhLayer  # noqa: E402
from layergraph.graph import layerGraph  # noqa: E402

CASES += [
    LayerCase("networkLayer", ([reluLayer(Name="relu"), tanhLayer(Name="tanh")],), {}, [Layout((), 3)], 0,
              id="networkLayer-chain"),
    # two unconnected inputs (add/in1, add/in2) -> ports in1, in2
    LayerCase("networkLayer", (layerGraph([additionLayer(2, Name="add"), reluLayer(Name="relu")]),), {},
              [Layout((), 3), Layout((), 3)], 0, id="networkLayer-two-inputs"),
    # a nested input layer is an input of the network layer
    LayerCase("networkLayer", ([sequenceInputLayer(3, Name="seq"), tanhLayer(Name="tanh")],), {}, [SEQ3], 0,
              id="networkLayer-nested-input-layer"),
]
