"""Projected recurrent layers: lstmProjectedLayer, gruProjectedLayer.

A projected layer stores each weight matrix W as a product of a smaller learnable matrix and a projector
Q: where the plain layer computes ``W x``, the projected layer computes ``W Q' x`` (MATLAB layout). In
MATLAB layout, with H hidden units, C input channels, P_in = InputProjectorSize and P_out =
OutputProjectorSize:

* ``InputProjector``   C×P_in, ``InputWeights``     gH×P_in  (input side:  InputWeights·InputProjector'·x)
* ``OutputProjector``  H×P_out, ``RecurrentWeights`` gH×P_out (recurrent side: RecurrentWeights·OutputProjector'·h)
* ``Bias``             gH×1 (6H×1 for GRU's 'recurrent-bias-after-multiplication')

with g = 4 gate blocks (i, f, g, o) for the LSTM and 3 (r, z, h̃) for the GRU. Torch layout in: N×T×C,
out: N×T×H (``OutputMode='sequence'``) or N×H (``'last'``). The step equations are those of lstmLayer /
gruLayer with the effective weights ``InputWeights @ InputProjector.T`` and
``RecurrentWeights @ OutputProjector.T``.
"""

from __future__ import annotations

import torch

from .base import initialize, learnable_values, register
from .options import Option, choice, factor, initializer, numeric_array, positive_integer
from .recurrent import (
    RESET_GATE_MODES,
    WEIGHT_INITIALIZERS,
    GRUModule,
    LSTMModule,
    _RecurrentLayer,
    _RecurrentModule,
    recurrent_options,
)


def projected_options(*, gates: int, bias_inits: tuple, default_bias: str) -> tuple:
    """lstmLayer/gruLayer's options plus the projector sizes, initializers, values and factors."""
    base = recurrent_options(gates=gates, directions=1, has_cell=gates == 4, bias_inits=bias_inits,
                             default_bias=default_bias)
    extra = (
        Option("OutputProjectorSize", positive_integer(), required=True),
        Option("InputProjectorSize", positive_integer(), required=True),
        Option("InputProjectorInitializer", initializer(*WEIGHT_INITIALIZERS), "orthogonal"),
        Option("OutputProjectorInitializer", initializer(*WEIGHT_INITIALIZERS), "orthogonal"),
        Option("InputProjector", numeric_array(), None, learnable=True),
        Option("OutputProjector", numeric_array(), None, learnable=True),
        Option("InputProjectorLearnRateFactor", factor(), 1.0),
        Option("OutputProjectorLearnRateFactor", factor(), 1.0),
        Option("InputProjectorL2Factor", factor(), 1.0),
        Option("OutputProjectorL2Factor", factor(), 1.0),
    )
    # NumHiddenUnits first, then the two projector sizes (the positional order), then everything else
    return base[:1] + extra + base[1:]


class _ProjectedLayer(_RecurrentLayer):
    """Sizes and initial values shared by the projected LSTM and GRU."""

    POSITIONAL = ("NumHiddenUnits", "OutputProjectorSize", "InputProjectorSize")

    def learnable_sizes(self, inputs):
        c = self._input(inputs).channels
        h = self.NumHiddenUnits
        rows = self.GATES * h
        return {
            "InputWeights": (rows, self.InputProjectorSize),
            "RecurrentWeights": (rows, self.OutputProjectorSize),
            "Bias": (self.bias_rows(), 1),
            "InputProjector": (c, self.InputProjectorSize),
            "OutputProjector": (h, self.OutputProjectorSize),
        }

    def initial_value(self, prop, inputs):
        sizes = dict(self.learnable_sizes(inputs))
        sizes.update(self.state_sizes(inputs))
        shape = sizes[prop]
        if prop == "InputProjector":
            return initialize(self.InputProjectorInitializer, shape, shape[0], shape[1], layer=self, prop=prop)
        if prop == "OutputProjector":
            return initialize(self.OutputProjectorInitializer, shape, shape[0], shape[1], layer=self, prop=prop)
        if prop == "RecurrentWeights":
            fan_out = self.GATES * self.NumHiddenUnits
            return initialize(self.RecurrentWeightsInitializer, shape, shape[1], fan_out, layer=self, prop=prop)
        return super().initial_value(prop, inputs)

    def description(self):
        return (f"{self.TYPE} with {self.NumHiddenUnits} hidden units, output projector size "
                f"{self.OutputProjectorSize} and input projector size {self.InputProjectorSize}")


class _ProjectedModule(_RecurrentModule):
    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.InputProjector = torch.nn.Parameter(params["InputProjector"])
        self.OutputProjector = torch.nn.Parameter(params["OutputProjector"])

    def effective(self):
        """(gH×C input weights, gH×H recurrent weights): W·Q' for each side."""
        return self.InputWeights @ self.InputProjector.T, self.RecurrentWeights @ self.OutputProjector.T

    def extra_repr(self) -> str:
        return (f"input_size={self.InputProjector.shape[0]}, hidden={self.hidden}, "
                f"input_projector={self.InputProjector.shape[1]}, output_projector={self.OutputProjector.shape[1]}, "
                f"output={'last' if self.last else 'sequence'}, activations=({self.state_name}, {self.gate_name})")


class ProjectedLSTMModule(_ProjectedModule, LSTMModule):
    """MATLAB projected LSTM on N×T×C: LSTMModule's forward with W·Q' weights; hidden/cell N×H."""


@register
class LSTMProjectedLayer(_ProjectedLayer):
    """Projected LSTM: ``lstmProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize)``.

    Torch layout in: N×T×C (plus N×H ``hidden``/``cell`` if HasStateInputs). Out: N×T×H or N×H ('last').
    MATLAB layout: InputWeights 4H×P_in, RecurrentWeights 4H×P_out, Bias 4H×1, InputProjector C×P_in,
    OutputProjector H×P_out; gate blocks i, f, g, o.
    """

    MATLAB_NAME = "lstmProjectedLayer"
    EXAMPLE = "lstmProjectedLayer(50, 8, 4)"
    CLASS_NAME = "LSTMProjectedLayer"
    TYPE = "Projected LSTM"
    DEFAULT_NAME = "lstmp"
    SYNTAX = "lstmProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize, Name=Value)"
    OPTIONS = projected_options(gates=4, bias_inits=("unit-forget-gate", "narrow-normal", "ones"),
                                default_bias="unit-forget-gate")

    def build(self, inputs):
        self._input(inputs)
        return ProjectedLSTMModule(learnable_values(self, inputs), **self.module_kwargs())


class ProjectedGRUModule(_ProjectedModule, GRUModule):
    """MATLAB projected GRU on N×T×C: GRUModule's forward (all reset-gate modes) with W·Q' weights."""


@register
class GRUProjectedLayer(_ProjectedLayer):
    """Projected GRU: ``gruProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize)``.

    Torch layout in: N×T×C (plus N×H ``hidden`` if HasStateInputs). Out: N×T×H or N×H ('last').
    MATLAB layout: InputWeights 3H×P_in, RecurrentWeights 3H×P_out, Bias 3H×1 (6H×1 for ResetGateMode
    'recurrent-bias-after-multiplication'), InputProjector C×P_in, OutputProjector H×P_out; gates r, z, h̃.
    """

    MATLAB_NAME = "gruProjectedLayer"
    EXAMPLE = "gruProjectedLayer(50, 8, 4)"
    CLASS_NAME = "GRUProjectedLayer"
    TYPE = "Projected GRU"
    DEFAULT_NAME = "grup"
    SYNTAX = "gruProjectedLayer(numHiddenUnits, outputProjectorSize, inputProjectorSize, Name=Value)"
    GATES = 3
    HAS_CELL = False
    OPTIONS = projected_options(gates=3, bias_inits=("zeros", "narrow-normal", "ones"), default_bias="zeros") + (
        Option("ResetGateMode", choice(*RESET_GATE_MODES), "after-multiplication"),
    )

    def bias_rows(self) -> int:
        rows = 3 * self.NumHiddenUnits
        return 2 * rows if self.ResetGateMode == "recurrent-bias-after-multiplication" else rows

    def build(self, inputs):
        self._input(inputs)
        return ProjectedGRUModule(learnable_values(self, inputs), reset_mode=self.ResetGateMode,
                                  **self.module_kwargs())


__all__ = ["LSTMProjectedLayer", "GRUProjectedLayer", "ProjectedLSTMModule", "ProjectedGRUModule"]
