"""Recurrent layers: lstmLayer, bilstmLayer, gruLayer.

Torch layout in: N×T×C (batch first). Out: N×T×H for ``OutputMode='sequence'``, N×H for ``'last'``.
Learnables are held by the module under their MATLAB names, in MATLAB layout (rows = gates):

* LSTM   ``InputWeights`` 4H×C, ``RecurrentWeights`` 4H×H, ``Bias`` 4H×1, gate blocks i, f, g, o;
* BiLSTM the same with 8H rows: the forward direction (i, f, g, o) on top of the backward one;
* GRU    ``InputWeights`` 3H×C, ``RecurrentWeights`` 3H×H, ``Bias`` 3H×1 (6H×1 in
  ``'recurrent-bias-after-multiplication'`` mode), gate blocks r (reset), z (update), h̃ (candidate).

MATLAB has one bias per gate, so the torch fast path (``torch.lstm`` / ``torch.gru``, the kernels behind
``nn.LSTM`` / ``nn.GRU``) runs with a zero recurrent bias. Other activation functions and GRU's
``'before-multiplication'`` mode run a hand-written step loop. As in MATLAB, padding is not masked:
``'last'`` is the state after the last (possibly padded) time step.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import LayoutError
from .base import Layer, Layout, initialize, learnable_values, register
from .options import Converter, Option, _as_flat_numbers, boolean, choice, initializer, numeric_array, positive_integer

WEIGHT_INITIALIZERS = ("glorot", "he", "orthogonal", "narrow-normal", "zeros", "ones")


def _gate_factor_converter(n: int) -> Converter:
    """A learn-rate/L2 factor: a nonnegative scalar, or a 1×n vector with one value per gate block."""

    def convert(v):
        nums = [float(x) for x in _as_flat_numbers(v)]
        if len(nums) not in (1, n) or any(x < 0 or x != x or x == float("inf") for x in nums):
            raise ValueError
        return nums[0] if len(nums) == 1 else tuple(nums)

    item = {"type": "number", "minimum": 0}
    return Converter(
        convert,
        f"a nonnegative scalar or a 1×{n} vector of nonnegative numbers (one per gate)",
        {"anyOf": [item, {"type": "array", "items": item, "minItems": n, "maxItems": n}]},
    )


def _factor_options(n: int) -> tuple:
    conv = _gate_factor_converter(n)
    return (
        Option("InputWeightsLearnRateFactor", conv, 1.0),
        Option("RecurrentWeightsLearnRateFactor", conv, 1.0),
        Option("BiasLearnRateFactor", conv, 1.0),
        Option("InputWeightsL2Factor", conv, 1.0),
        Option("RecurrentWeightsL2Factor", conv, 1.0),
        Option("BiasL2Factor", conv, 0.0),
    )


# --------------------------------------------------------------------------------------------------
# Activation functions (MATLAB definitions)


def softsign(x):
    return x / (1 + x.abs())


def hard_sigmoid(x):
    """MATLAB hard-sigmoid: 0 for x < -2.5, 0.2x + 0.5 in between, 1 for x > 2.5."""
    return (0.2 * x + 0.5).clamp(0.0, 1.0)


STATE_FUNCTIONS = {"tanh": torch.tanh, "softsign": softsign}
GATE_FUNCTIONS = {"sigmoid": torch.sigmoid, "hard-sigmoid": hard_sigmoid}


# --------------------------------------------------------------------------------------------------
# Step loops (used when the activations are not torch's, or for GRU before-multiplication)


def lstm_loop(x, w, r, b, h, c, state_fn, gate_fn, reverse: bool = False):
    """One LSTM direction over N×T×C: returns (N×T×H outputs aligned with the input, h_last, c_last)."""
    xp = F.linear(x, w, b)
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    outs = []
    for t in steps:
        gates = xp[:, t] + F.linear(h, r)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = state_fn(g) * gate_fn(i) + gate_fn(f) * c
        h = state_fn(c) * gate_fn(o)
        outs.append(h)
    if reverse:
        outs.reverse()
    return torch.stack(outs, dim=1), h, c


def gru_loop(x, w, r, b_in, b_rec, h, state_fn, gate_fn, mode: str):
    """One GRU direction over N×T×C (MATLAB equations, gate order r, z, h̃)."""
    xp = F.linear(x, w, b_in)
    hidden = h.shape[-1]
    r_r, r_z, r_h = r[:hidden], r[hidden : 2 * hidden], r[2 * hidden :]
    rz = torch.cat([r_r, r_z], dim=0)
    outs = []
    for t in range(x.shape[1]):
        xr, xz, xh = xp[:, t].chunk(3, dim=-1)
        rec = F.linear(h, rz) if b_rec is None else F.linear(h, rz, b_rec[: 2 * hidden])
        hr, hz = rec.chunk(2, dim=-1)
        rg = gate_fn(xr + hr)
        zg = gate_fn(xz + hz)
        if mode == "before-multiplication":
            cand = state_fn(xh + F.linear(rg * h, r_h))
        elif mode == "recurrent-bias-after-multiplication":
            cand = state_fn(xh + rg * F.linear(h, r_h, b_rec[2 * hidden :]))
        else:
            cand = state_fn(xh + rg * F.linear(h, r_h))
        h = (1 - zg) * cand + zg * h
        outs.append(h)
    return torch.stack(outs, dim=1), h


# --------------------------------------------------------------------------------------------------
# Shared layer behaviour


def recurrent_options(*, gates: int, directions: int, has_cell: bool, bias_inits: tuple, default_bias: str) -> tuple:
    """The name-value options of a recurrent layer, with MATLAB's defaults."""
    opts = [
        Option("NumHiddenUnits", positive_integer(), required=True),
        Option("InputSize", positive_integer(), "auto", settable=False),
        Option("OutputMode", choice("sequence", "last"), "sequence"),
        Option("HasStateInputs", boolean(), False),
        Option("HasStateOutputs", boolean(), False),
        Option("StateActivationFunction", choice("tanh", "softsign"), "tanh"),
        Option("GateActivationFunction", choice("sigmoid", "hard-sigmoid"), "sigmoid"),
        Option("InputWeightsInitializer", initializer(*WEIGHT_INITIALIZERS), "glorot"),
        Option("RecurrentWeightsInitializer", initializer(*WEIGHT_INITIALIZERS), "orthogonal"),
        Option("BiasInitializer", initializer(*bias_inits), default_bias),
        Option("InputWeights", numeric_array(), None, learnable=True),
        Option("RecurrentWeights", numeric_array(), None, learnable=True),
        Option("Bias", numeric_array(), None, learnable=True),
        Option("HiddenState", numeric_array(), None, state=True),
    ]
    if has_cell:
        opts.append(Option("CellState", numeric_array(), None, state=True))
    return tuple(opts) + _factor_options(gates * directions)


class _RecurrentLayer(Layer):
    """Options, ports, size rule and initialization shared by lstmLayer, bilstmLayer and gruLayer."""

    GATES = 4            # gate blocks per direction
    DIRECTIONS = 1
    HAS_CELL = True
    FAMILY = "recurrent"
    POSITIONAL = ("NumHiddenUnits",)
    # net.State may hold these with one column per observation (dH×N, after forward/predict on N observations)
    RESIZABLE_STATE = ("HiddenState", "CellState")
    # MATLAB's object display (Layer.__str__): port and state-port rows under Name
    DISPLAY_TOP = ("InputNames", "OutputNames", "NumInputs", "NumOutputs", "HasStateInputs", "HasStateOutputs")

    # ---- checks and ports ---------------------------------------------------------------------------

    def state_props(self) -> tuple:
        return ("HiddenState", "CellState") if self.HAS_CELL else ("HiddenState",)

    def _check(self):
        if self.HasStateInputs:
            given = [p for p in self.state_props() if self._values.get(p) is not None]
            if given:
                raise self.fail(
                    f"{' and '.join(given)} must be empty when HasStateInputs is true "
                    f"(the initial state comes from the {' and '.join(repr(n) for n in self.state_port_names())} inputs)."
                )

    def state_port_names(self) -> tuple:
        return ("hidden", "cell") if self.HAS_CELL else ("hidden",)

    def input_names(self):
        return ("in",) + (self.state_port_names() if self.HasStateInputs else ())

    def output_names(self):
        return ("out",) + (self.state_port_names() if self.HasStateOutputs else ())

    @property
    def state_channels(self) -> int:
        return self.DIRECTIONS * self.NumHiddenUnits

    # ---- size rule ---------------------------------------------------------------------------------

    def _input(self, inputs) -> Layout:
        x = inputs[0]
        if x.spatial and not x.has_time:
            raise LayoutError(
                f"Invalid input data. {self.TYPE} layers expect vector sequence input (format 'CBT'), but received "
                f"image input with format '{x.format}' (size {x.matlab_size()}). Use a sequenceInputLayer for "
                f"sequence data."
            )
        if x.spatial:
            raise LayoutError(
                f"Invalid input data. {self.TYPE} layers expect vector sequence input (format 'CBT'), but received "
                f"input with format '{x.format}' (size {x.matlab_size()}). Flatten image sequences first, for "
                f"example with a flattenLayer."
            )
        if not x.has_time:
            raise LayoutError(
                f"Invalid input data. {self.TYPE} layers expect sequence input (format 'CBT'), but received input "
                f"with format '{x.format}'. Use a sequenceInputLayer, or set OutputMode 'sequence' on the "
                f"recurrent layer before this one."
            )
        if self.InputSize != "auto" and self.InputSize != x.channels:
            raise LayoutError(
                f"Input size mismatch. The layer expects input with {self.InputSize} channels, but received input "
                f"with {x.channels} channels."
            )
        for port, state in zip(self.input_names()[1:], inputs[1:]):
            if state.spatial or state.has_time or state.channels != self.state_channels:
                raise LayoutError(
                    f"Invalid {port} state input. The layer expects input of format 'CB' with {self.state_channels} "
                    f"channels, but received input with format '{state.format}' and size {state.matlab_size()}."
                )
        return x

    def infer(self, inputs):
        x = self._input(inputs)
        channels = self.state_channels
        out = Layout((), channels, True, x.time) if self.OutputMode == "sequence" else Layout((), channels)
        return [out] + [Layout((), channels)] * (len(self.output_names()) - 1)

    def resolve(self, inputs):
        return {"InputSize": self._input(inputs).channels}

    def bias_rows(self) -> int:
        return self.GATES * self.DIRECTIONS * self.NumHiddenUnits

    def learnable_sizes(self, inputs):
        c = self._input(inputs).channels
        rows = self.GATES * self.DIRECTIONS * self.NumHiddenUnits
        return {
            "InputWeights": (rows, c),
            "RecurrentWeights": (rows, self.NumHiddenUnits),
            "Bias": (self.bias_rows(), 1),
        }

    def state_sizes(self, inputs):
        if self.HasStateInputs:
            return {}
        return {p: (self.state_channels, 1) for p in self.state_props()}

    def initial_value(self, prop, inputs):
        sizes = dict(self.learnable_sizes(inputs))
        sizes.update(self.state_sizes(inputs))
        shape = sizes[prop]
        h = self.NumHiddenUnits
        fan_out = self.GATES * self.DIRECTIONS * h
        if prop == "InputWeights":
            return initialize(self.InputWeightsInitializer, shape, shape[1], fan_out, layer=self, prop=prop)
        if prop == "RecurrentWeights":
            return initialize(self.RecurrentWeightsInitializer, shape, h, fan_out, layer=self, prop=prop)
        if prop == "Bias":
            return initialize(self.BiasInitializer, shape, h, fan_out, layer=self, prop=prop, gate_rows=h)
        return torch.zeros(shape)

    def to_torch(self, prop, value, inputs):
        if prop in self.state_props() and value.dim() == 2 and value.shape[1] != 1 \
                and value.shape[0] == self.state_channels:
            return value.t().contiguous()        # MATLAB dH×N (one column per observation) -> torch N×dH
        return value.reshape(-1) if prop in ("Bias",) + self.state_props() else value

    def from_torch(self, prop, value, inputs):
        if prop in self.state_props() and value.dim() == 2:
            return value.t()                     # N×dH (the state after a call on N observations) -> dH×N
        return value.reshape(-1, 1) if prop in ("Bias",) + self.state_props() else value

    def module_kwargs(self) -> dict:
        return dict(
            name=self.Name,
            hidden=self.NumHiddenUnits,
            last=self.OutputMode == "last",
            state_fn=self.StateActivationFunction,
            gate_fn=self.GateActivationFunction,
            state_inputs=bool(self.HasStateInputs),
            state_outputs=bool(self.HasStateOutputs),
        )

    def description(self):
        return f"{self.TYPE} with {self.NumHiddenUnits} hidden units"


class _RecurrentModule(nn.Module):
    """Learnables under their MATLAB names; initial states as buffers unless they come from inputs."""

    def __init__(self, params: dict, *, hidden, last, state_fn, gate_fn, state_inputs, state_outputs, name=""):
        super().__init__()
        self.layer_name = name
        self.InputWeights = nn.Parameter(params["InputWeights"])
        self.RecurrentWeights = nn.Parameter(params["RecurrentWeights"])
        self.Bias = nn.Parameter(params["Bias"])
        for name in ("HiddenState", "CellState"):
            if name in params:
                self.register_buffer(name, params[name])
        self.hidden = hidden
        self.last = last
        self.state_name = state_fn
        self.gate_name = gate_fn
        self.state_fn = STATE_FUNCTIONS[state_fn]
        self.gate_fn = GATE_FUNCTIONS[gate_fn]
        self.state_inputs = state_inputs
        self.state_outputs = state_outputs
        self.fast = state_fn == "tanh" and gate_fn == "sigmoid"
        # State carrying between calls (trainingOptions/predict 'SequenceLength' given as an integer):
        # when ``carry`` is on, a call without state inputs starts from the detached final state of the
        # previous call and stores its own final state. Off by default; see ``carry_state``.
        self.carry = False
        self.carried = None      # {buffer name: N×dH tensor} or None
        # Recording the updated state (dlnetwork forward/predict with a state output): when ``record`` is on,
        # a call without state inputs replaces the HiddenState/CellState buffers by its final states
        # (N×dH, detached). The callers swap the buffers for copies first and put the network's back
        # afterwards, so the network keeps its state until ``net.State = state`` (network_api.forward).
        self.record = False

    def reset_carried(self) -> None:
        self.carried = None

    def _initial(self, x, given, buffer_name, directions):
        """(directions, N, H) initial state from a state input (N×dH), the carried state or the layer's buffer."""
        n, h = x.shape[0], self.hidden
        if given is None and self.carry and self.carried is not None:
            carried = self.carried.get(buffer_name)
            if carried is not None and carried.shape[0] == n:
                given = carried.to(x.dtype)
        if given is None:
            given = getattr(self, buffer_name).to(x.dtype)
            if given.dim() == 1:                 # dH: the same initial state for every observation
                given = given.unsqueeze(0).expand(n, directions * h)
            elif given.shape[0] != n:            # N×dH from an earlier call on N observations (net.State = state)
                if given.shape[0] != 1:
                    raise LayoutError(
                        f"Layer '{self.layer_name}': the {buffer_name} of the network state has {given.shape[0]} "
                        f"columns (one per observation of an earlier call, size {given.shape[1]}×{given.shape[0]}) "
                        f"but the input has {n} observations. Use input with {given.shape[0]} observations, "
                        f"or reset the state (resetState) or assign a {given.shape[1]}×1 state first."
                    )
                given = given.expand(n, directions * h)
        return given.reshape(n, directions, h).transpose(0, 1).contiguous()

    def effective(self):
        """(input weights, recurrent weights) as the gate equations use them (projected layers override)."""
        return self.InputWeights, self.RecurrentWeights

    def _store(self, **states) -> None:
        """Keep the final states (N×dH, detached) for the next call when carrying is on; put them in the
        state buffers when recording is on."""
        if self.carry:
            self.carried = {k: v.detach() for k, v in states.items()}
        if self.record:
            buffers = self._buffers
            for k, v in states.items():
                old = buffers.get(k)
                if old is not None:
                    buffers[k] = v.detach().to(old.dtype)

    def _finish(self, y, states):
        out = y[:, -1] if self.last else y
        if self.state_outputs:
            return (out,) + tuple(states)
        return out

    def extra_repr(self) -> str:
        return (
            f"input_size={self.InputWeights.shape[1]}, hidden={self.hidden}, "
            f"output={'last' if self.last else 'sequence'}, activations=({self.state_name}, {self.gate_name})"
        )


class LSTMModule(_RecurrentModule):
    """MATLAB LSTM on N×T×C; forward(x[, hidden, cell]) with hidden/cell N×H."""

    def forward(self, x, hidden=None, cell=None):
        h0 = self._initial(x, hidden, "HiddenState", 1)
        c0 = self._initial(x, cell, "CellState", 1)
        (w, r), b = self.effective(), self.Bias
        if self.fast:
            y, h, c = torch.lstm(x, (h0, c0), [w, r, b, torch.zeros_like(b)], True, 1, 0.0, False, False, True)
            h, c = h[0], c[0]
        else:
            y, h, c = lstm_loop(x, w, r, b, h0[0], c0[0], self.state_fn, self.gate_fn)
        if hidden is None and cell is None:
            self._store(HiddenState=h, CellState=c)
        return self._finish(y, (h, c))


@register
class LSTMLayer(_RecurrentLayer):
    """Long short-term memory: ``lstmLayer(numHiddenUnits)``.

    Torch layout in: N×T×C (plus N×H ``hidden`` and ``cell`` inputs if HasStateInputs). Out: N×T×H
    (``OutputMode='sequence'``) or N×H (``'last'``), plus N×H ``hidden`` and ``cell`` if HasStateOutputs.
    InputWeights 4H×C, RecurrentWeights 4H×H and Bias 4H×1 in MATLAB layout, gate blocks i, f, g, o.
    """

    MATLAB_NAME = "lstmLayer"
    DISPLAY_HYPERPARAMETERS = ("InputSize", "NumHiddenUnits", "OutputMode", "StateActivationFunction",
                               "GateActivationFunction")
    EXAMPLE = "lstmLayer(100, OutputMode='last')"
    TYPE = "LSTM"
    DEFAULT_NAME = "lstm"
    SYNTAX = "lstmLayer(numHiddenUnits, Name=Value)"
    OPTIONS = recurrent_options(gates=4, directions=1, has_cell=True,
                                bias_inits=("unit-forget-gate", "narrow-normal", "ones"), default_bias="unit-forget-gate")

    def build(self, inputs):
        self._input(inputs)
        return LSTMModule(learnable_values(self, inputs), **self.module_kwargs())


# --------------------------------------------------------------------------------------------------
# bilstmLayer


class BiLSTMModule(_RecurrentModule):
    """MATLAB BiLSTM on N×T×C: rows 1:4H of each learnable are the forward direction, 4H+1:8H the backward.

    Output channels are [forward; backward]. ``'last'`` is [h_forward(T); h_backward final], the backward
    direction's state after it has read the whole (reversed) sequence, as current MATLAB releases define it.
    """

    def forward(self, x, hidden=None, cell=None):
        h0 = self._initial(x, hidden, "HiddenState", 2)
        c0 = self._initial(x, cell, "CellState", 2)
        w, r, b = self.InputWeights, self.RecurrentWeights, self.Bias
        g = 4 * self.hidden
        wf, wb, rf, rb, bf, bb = w[:g], w[g:], r[:g], r[g:], b[:g], b[g:]
        if self.fast:
            zero = torch.zeros_like(bf)
            y, h, c = torch.lstm(x, (h0, c0), [wf, rf, bf, zero, wb, rb, bb, zero], True, 1, 0.0, False, True, True)
            hf, hb, cf, cb = h[0], h[1], c[0], c[1]
        else:
            yf, hf, cf = lstm_loop(x, wf, rf, bf, h0[0], c0[0], self.state_fn, self.gate_fn)
            yb, hb, cb = lstm_loop(x, wb, rb, bb, h0[1], c0[1], self.state_fn, self.gate_fn, reverse=True)
            y = torch.cat([yf, yb], dim=-1)
        h_last = torch.cat([hf, hb], dim=-1)
        if hidden is None and cell is None:
            self._store(HiddenState=h_last, CellState=torch.cat([cf, cb], dim=-1))
        out = h_last if self.last else y
        if self.state_outputs:
            return out, h_last, torch.cat([cf, cb], dim=-1)
        return out


@register
class BiLSTMLayer(_RecurrentLayer):
    """Bidirectional LSTM: ``bilstmLayer(numHiddenUnits)``.

    Torch layout in: N×T×C (plus N×2H ``hidden`` and ``cell`` if HasStateInputs). Out: N×T×2H or N×2H
    (``'last'``), channels [forward; backward]. InputWeights 8H×C, RecurrentWeights 8H×H, Bias 8H×1 in MATLAB
    layout: the forward block (i, f, g, o) on top of the backward block. HiddenState/CellState are 2H×1.
    """

    MATLAB_NAME = "bilstmLayer"
    DISPLAY_HYPERPARAMETERS = ("InputSize", "NumHiddenUnits", "OutputMode", "StateActivationFunction",
                               "GateActivationFunction")
    EXAMPLE = "bilstmLayer(100, OutputMode='last')"
    TYPE = "BiLSTM"
    DEFAULT_NAME = "biLSTM"
    SYNTAX = "bilstmLayer(numHiddenUnits, Name=Value)"
    DIRECTIONS = 2
    OPTIONS = recurrent_options(gates=4, directions=2, has_cell=True,
                                bias_inits=("unit-forget-gate", "narrow-normal", "ones"), default_bias="unit-forget-gate")

    def build(self, inputs):
        self._input(inputs)
        return BiLSTMModule(learnable_values(self, inputs), **self.module_kwargs())


# --------------------------------------------------------------------------------------------------
# gruLayer

RESET_GATE_MODES = ("after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication")


class GRUModule(_RecurrentModule):
    """MATLAB GRU on N×T×C (gate blocks r, z, h̃); forward(x[, hidden]) with hidden N×H."""

    def __init__(self, params, *, reset_mode, **kwargs):
        super().__init__(params, **kwargs)
        self.reset_mode = reset_mode
        self.fast = self.fast and reset_mode != "before-multiplication"

    def forward(self, x, hidden=None):
        h0 = self._initial(x, hidden, "HiddenState", 1)
        (w, r), b = self.effective(), self.Bias
        g = 3 * self.hidden
        if self.reset_mode == "recurrent-bias-after-multiplication":
            b_in, b_rec = b[:g], b[g:]
        else:
            b_in, b_rec = b, None
        if self.fast:
            rec = torch.zeros_like(b_in) if b_rec is None else b_rec
            y, h = torch.gru(x, h0, [w, r, b_in, rec], True, 1, 0.0, False, False, True)
            h = h[0]
        else:
            y, h = gru_loop(x, w, r, b_in, b_rec, h0[0], self.state_fn, self.gate_fn, self.reset_mode)
        if hidden is None:
            self._store(HiddenState=h)
        return self._finish(y, (h,))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_gate_mode={self.reset_mode}"


@register
class GRULayer(_RecurrentLayer):
    """Gated recurrent unit: ``gruLayer(numHiddenUnits)``.

    Torch layout in: N×T×C (plus N×H ``hidden`` if HasStateInputs). Out: N×T×H or N×H (``'last'``).
    InputWeights 3H×C, RecurrentWeights 3H×H, Bias 3H×1 (6H×1 = [input-side; recurrent-side] for
    ResetGateMode 'recurrent-bias-after-multiplication'), gate blocks r, z, h̃.
    """

    MATLAB_NAME = "gruLayer"
    DISPLAY_HYPERPARAMETERS = ("InputSize", "NumHiddenUnits", "OutputMode", "ResetGateMode",
                               "StateActivationFunction", "GateActivationFunction")
    EXAMPLE = "gruLayer(50)"
    TYPE = "GRU"
    DEFAULT_NAME = "gru"
    SYNTAX = "gruLayer(numHiddenUnits, Name=Value)"
    GATES = 3
    HAS_CELL = False
    OPTIONS = recurrent_options(gates=3, directions=1, has_cell=False,
                                bias_inits=("zeros", "narrow-normal", "ones"), default_bias="zeros") + (
        Option("ResetGateMode", choice(*RESET_GATE_MODES), "after-multiplication"),
    )

    def bias_rows(self) -> int:
        rows = 3 * self.NumHiddenUnits
        return 2 * rows if self.ResetGateMode == "recurrent-bias-after-multiplication" else rows

    def build(self, inputs):
        self._input(inputs)
        return GRUModule(learnable_values(self, inputs), reset_mode=self.ResetGateMode, **self.module_kwargs())


# --------------------------------------------------------------------------------------------------
# State carried between calls (chunked sequences)


def recurrent_modules(module: nn.Module) -> list:
    """The recurrent modules (LSTM, BiLSTM, GRU) inside a torch module tree."""
    return [m for m in module.modules() if isinstance(m, _RecurrentModule)]


@contextlib.contextmanager
def carry_state(module: nn.Module, on: bool = True):
    """Within the block, every recurrent module of ``module`` carries its final state from one call to the next.

    The carried state starts empty (the layers' HiddenState/CellState are the first call's initial
    state) and is dropped on exit, so each ``with`` block is one independent run — for example one
    mini-batch split into chunks of SequenceLength time steps. The carried state is detached: gradients
    do not flow from one chunk into the previous one. Layers fed by state inputs do not carry.
    ``on=False`` makes the block a no-op. The BiLSTM carries both directions' final states; the backward
    direction of a chunk then starts from the state it reached at the start of the previous chunk, which
    is why chunked BiLSTM results differ from whole-sequence ones.
    """
    mods = recurrent_modules(module) if on else []
    saved = [(m.carry, m.carried) for m in mods]
    for m in mods:
        m.carry, m.carried = True, None
    try:
        yield mods
    finally:
        for m, (carry, carried) in zip(mods, saved):
            m.carry, m.carried = carry, carried
