"""``trainingOptions``: MATLAB's solver options with MATLAB's defaults, value rules and messages.

``trainingOptions('sgdm', 'MaxEpochs', 5, 'InitialLearnRate', 0.1)`` and
``trainingOptions('adam', MaxEpochs=5)`` both work; option names are case-insensitive, as in MATLAB.
A misspelled name raises MATLAB's message plus the closest valid name.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
from typing import Any, Callable

import numpy as np

from ..errors import TrainingError
from ..functions import matlab_function

SOLVERS = ("sgdm", "rmsprop", "adam")
CLASS_NAMES = {"sgdm": "TrainingOptionsSGDM", "adam": "TrainingOptionsADAM", "rmsprop": "TrainingOptionsRMSProp"}
EXECUTION_ENVIRONMENTS = ("auto", "cpu", "gpu", "multi-gpu", "parallel", "parallel-auto", "parallel-cpu", "parallel-gpu")


class _Rule:
    """One option: default (per solver), converter to the canonical value, and the solvers it belongs to."""

    def __init__(self, name, default, convert: Callable[[Any], Any], expected: str, solvers=SOLVERS):
        self.name = name
        self.default = default
        self.convert = convert
        self.expected = expected
        self.solvers = solvers

    def default_for(self, solver):
        return self.default(solver) if callable(self.default) else self.default


def _number(x) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, np.ndarray) and x.size == 1 and x.dtype.kind in "biuf":
        return float(x.reshape(-1)[0])
    if hasattr(x, "item") and getattr(x, "numel", lambda: 0)() == 1:
        return float(x.item())
    raise ValueError


def _positive_int(x):
    v = _number(x)
    if not (v > 0 and float(v).is_integer()):
        raise ValueError
    return int(v)


def _positive_int_or_inf(x):
    v = _number(x)
    if v == math.inf:
        return math.inf
    return _positive_int(v)


def _nonneg_real(x):
    v = _number(x)
    if not (v >= 0) or math.isnan(v) or v == math.inf:
        raise ValueError
    return v


def _positive_real(x):
    v = _number(x)
    if not (v > 0) or v == math.inf:
        raise ValueError
    return v


def _positive_real_or_inf(x):
    v = _number(x)
    if not (v > 0):
        raise ValueError
    return v


def _unit_closed(x):
    v = _number(x)
    if not 0 <= v <= 1:
        raise ValueError
    return v


def _unit_half_open(x):
    v = _number(x)
    if not 0 <= v < 1:
        raise ValueError
    return v


def _logical(x):
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, str) and x.lower() in ("true", "false", "on", "off"):
        return x.lower() in ("true", "on")
    v = _number(x)
    if v not in (0.0, 1.0):
        raise ValueError
    return bool(v)


def _choice(*values):
    def convert(x):
        if isinstance(x, str):
            for v in values:
                if x.lower() == v:
                    return v
        raise ValueError

    return convert


def _scalar_real(x):
    v = _number(x)
    if math.isnan(v):
        raise ValueError
    return v


def _sequence_length(x):
    if isinstance(x, str):
        return _choice("longest", "shortest")(x)
    return _positive_int(x)


def _text_or_empty(x):
    if x is None:
        return ""
    if isinstance(x, (str, os.PathLike)):
        text = os.fspath(x)
        if isinstance(text, str) and "\x00" not in text:
            return text
    raise ValueError


def _function_or_empty(x):
    if x is None:
        return None
    if callable(x):
        return x
    if isinstance(x, (list, tuple)) and x and all(callable(f) for f in x):
        return list(x)
    if isinstance(x, (list, tuple)) and not x:
        return None
    raise ValueError


def _anything(x):
    return x


def _validation_data(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)) and len(x) == 0:
        return None
    if isinstance(x, (list, tuple)) and len(x) != 2:
        raise ValueError
    return x


def _worker_load(x):
    if x is None:
        return None
    vals = np.asarray(x, dtype=float).reshape(-1)
    if vals.size == 0:
        return None
    if np.any(vals < 0) or not np.all(np.isfinite(vals)):
        raise ValueError
    return vals.tolist()


def _metrics(x):
    if x is None:
        return []
    items = [x] if isinstance(x, str) or callable(x) else list(x)
    out = []
    for item in items:
        if callable(item):
            out.append(item)
        elif isinstance(item, str) and item.lower() in ("accuracy", "rmse", "mse", "crossentropy", "loss"):
            out.append(item.lower())
        else:
            raise ValueError
    return out


RULES = [
    _Rule("Momentum", 0.9, _unit_closed, "a scalar from 0 to 1", ("sgdm",)),
    _Rule("GradientDecayFactor", 0.9, _unit_half_open, "a scalar in the range [0, 1)", ("adam",)),
    _Rule("SquaredGradientDecayFactor", lambda s: 0.999 if s == "adam" else 0.9, _unit_half_open,
          "a scalar in the range [0, 1)", ("adam", "rmsprop")),
    _Rule("Epsilon", 1e-8, _positive_real, "a positive scalar", ("adam", "rmsprop")),
    _Rule("InitialLearnRate", lambda s: 0.01 if s == "sgdm" else 0.001, _positive_real, "a positive scalar"),
    _Rule("MaxEpochs", 30, _positive_int, "a positive integer"),
    _Rule("LearnRateSchedule", "none", _choice("none", "piecewise"), "'none' or 'piecewise'"),
    _Rule("LearnRateDropFactor", 0.1, _unit_closed, "a scalar from 0 to 1"),
    _Rule("LearnRateDropPeriod", 10, _positive_int, "a positive integer"),
    _Rule("MiniBatchSize", 128, _positive_int, "a positive integer"),
    _Rule("Shuffle", "once", _choice("once", "never", "every-epoch"), "'once', 'never' or 'every-epoch'"),
    _Rule("CheckpointPath", "", _text_or_empty, "a folder name"),
    _Rule("CheckpointFrequency", 1, _positive_int, "a positive integer"),
    _Rule("CheckpointFrequencyUnit", "epoch", _choice("epoch", "iteration"), "'epoch' or 'iteration'"),
    _Rule("SequenceLength", "longest", _sequence_length, "'longest', 'shortest' or a positive integer"),
    _Rule("SequencePaddingDirection", "right", _choice("right", "left"), "'right' or 'left'"),
    _Rule("SequencePaddingValue", 0.0, _scalar_real, "a real scalar"),
    _Rule("L2Regularization", 1e-4, _nonneg_real, "a nonnegative scalar"),
    _Rule("GradientThresholdMethod", "l2norm", _choice("l2norm", "global-l2norm", "absolute-value"),
          "'l2norm', 'global-l2norm' or 'absolute-value'"),
    _Rule("GradientThreshold", math.inf, _positive_real_or_inf, "a positive scalar or Inf"),
    _Rule("Verbose", True, _logical, "true or false"),
    _Rule("VerboseFrequency", 50, _positive_int, "a positive integer"),
    _Rule("ValidationData", None, _validation_data, "a {X, Y} pair, a torch Dataset or DataLoader"),
    _Rule("ValidationFrequency", 50, _positive_int, "a positive integer"),
    _Rule("ValidationPatience", math.inf, _positive_int_or_inf, "a positive integer or Inf"),
    _Rule("ExecutionEnvironment", "auto", _choice(*EXECUTION_ENVIRONMENTS), ", ".join(f"'{e}'" for e in EXECUTION_ENVIRONMENTS)),
    _Rule("WorkerLoad", None, _worker_load, "a vector of nonnegative numbers"),
    _Rule("OutputFcn", None, _function_or_empty, "a function handle or a list of them"),
    _Rule("Plots", "none", _choice("none", "training-progress"), "'none' or 'training-progress'"),
    _Rule("ResetInputNormalization", True, _logical, "true or false"),
    # current releases default both to 'auto': 'population' statistics; the best-validation network when
    # ValidationData is given, else the last iteration's
    _Rule("BatchNormalizationStatistics", "auto", _choice("population", "moving", "auto"),
          "'population', 'moving' or 'auto'"),
    _Rule("OutputNetwork", "auto", _choice("last-iteration", "best-validation-loss", "best-validation", "auto"),
          "'auto', 'last-iteration', 'best-validation' or 'best-validation-loss'"),
    _Rule("DispatchInBackground", False, _logical, "true or false"),
    _Rule("PreprocessingEnvironment", "serial", _choice("serial", "background", "parallel"), "'serial', 'background' or 'parallel'"),
    _Rule("Metrics", None, _metrics, "'accuracy', 'rmse', 'mse', 'crossentropy' or a function handle"),
    _Rule("ObjectiveMetricName", "loss", _anything, "a metric name"),
    _Rule("InputDataFormats", "auto", _anything, "'auto' or format strings"),
    _Rule("TargetDataFormats", "auto", _anything, "'auto' or format strings"),
    _Rule("Acceleration", "auto", _choice("auto", "none"), "'auto' or 'none'"),
]
_BY_LOWER = {r.name.lower(): r for r in RULES}


class TrainingOptions:
    """``TrainingOptionsSGDM`` / ``TrainingOptionsADAM`` / ``TrainingOptionsRMSProp``: read and set by MATLAB name."""

    # What MATLAB code may touch (layergraph/matlab/access.py): every option, settable with validation
    MATLAB_PROPERTIES = ("SolverName",) + tuple(r.name for r in RULES)
    MATLAB_SETTABLE = tuple(r.name for r in RULES)
    MATLAB_METHODS = ()

    def __init__(self, solver: str, values: dict):
        object.__setattr__(self, "SolverName", solver)
        object.__setattr__(self, "_values", values)

    def _rules(self):
        return [r for r in RULES if self.SolverName in r.solvers]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        rule = _BY_LOWER.get(name.lower())
        if rule is not None and rule.name in values:
            return values[rule.name]
        raise AttributeError(f"{CLASS_NAMES[self.SolverName]} has no property '{name}'.")

    def __setattr__(self, name, value):
        rule = _rule_for(self.SolverName, name)
        self._values[rule.name] = _convert(rule, value)

    def values(self) -> dict:
        return dict(self._values)

    def copy(self, **changes) -> "TrainingOptions":
        new = TrainingOptions(self.SolverName, dict(self._values))
        for k, v in changes.items():
            setattr(new, k, v)
        return new

    def __eq__(self, other):
        if not isinstance(other, TrainingOptions):
            return NotImplemented
        return self.SolverName == other.SolverName and all(
            _same(self._values[k], other._values.get(k)) for k in self._values
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self):
        return str(self)

    def __str__(self):
        rows = [(r.name, _display(self._values[r.name])) for r in self._rules()]
        width = max(len(k) for k, _ in rows)
        lines = [f"  {CLASS_NAMES[self.SolverName]} with properties:", ""]
        lines += [f"{k:>{width + 4}}: {v}" for k, v in rows]
        return "\n".join(lines) + "\n"


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _display(value) -> str:
    if value is None:
        return "[]"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float):
        if value == math.inf:
            return "Inf"
        if value.is_integer() and abs(value) < 1e9:
            return str(int(value))
        if abs(value) >= 1e-3:
            return f"{value:.4f}"
        return f"{value:.4e}"
    if isinstance(value, int):
        return str(value)
    if callable(value):
        return "@" + getattr(value, "__name__", "function")
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_display(v) for v in value) + "]" if not isinstance(value, tuple) else "{1×2 cell}"
    return f"[1×1 {type(value).__name__}]"


def _rule_for(solver: str, name) -> _Rule:
    if not isinstance(name, str):
        raise TrainingError(f"trainingOptions: expected an option name, got {name!r}.")
    rule = _BY_LOWER.get(name.lower())
    if rule is None or solver not in rule.solvers:
        valid = [r.name for r in RULES if solver in r.solvers]
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        if not close:
            lowered = {v.lower(): v for v in valid}
            close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
            close = [lowered[c] for c in close]
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise TrainingError(f"'{name}' is not an option for solver '{solver}'.{hint}")
    return rule


def _convert(rule: _Rule, value):
    try:
        return rule.convert(value)
    except (ValueError, TypeError):
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        if len(shown) > 60:
            shown = f"a {type(value).__name__}"
        raise TrainingError(f"The value of '{rule.name}' is invalid. Expected {rule.name} to be {rule.expected}; got {shown}.") from None


@matlab_function(outputs=("options",))
def trainingOptions(solverName: str, *args, **kwargs) -> TrainingOptions:
    """``options = trainingOptions(solverName, Name, Value, ...)`` for 'sgdm', 'adam' and 'rmsprop'.

    Every option of MATLAB's trainingOptions with MATLAB's default (see ``print(options)``).
    """
    if not isinstance(solverName, str) or solverName.lower() not in SOLVERS:
        raise TrainingError(
            f"The value of 'solverName' is invalid. Expected solverName to match one of these values: "
            f"'sgdm', 'rmsprop', 'adam'. The input, {solverName!r}, did not match any of the valid values."
        )
    solver = solverName.lower()
    if len(args) % 2:
        raise TrainingError("trainingOptions: name-value arguments must come in pairs "
                            f"(option {args[-1]!r} has no value).")
    given = list(zip(args[::2], args[1::2])) + list(kwargs.items())
    values = {r.name: r.default_for(solver) for r in RULES if solver in r.solvers}
    for name, value in given:
        rule = _rule_for(solver, name)
        values[rule.name] = _convert(rule, value)
    return TrainingOptions(solver, values)


__all__ = ["TrainingOptions", "trainingOptions", "SOLVERS"]
