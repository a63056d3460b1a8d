"""Custom layer classdef files (``classdef myLayer < nnet.layer.Layer``) found beside a script.

A classdef whose ``predict`` is element-wise math (as MATLAB's ELU and PReLU examples are) becomes a
:class:`MatlabCustomLayer` subclass: its properties and learnables are options, and ``predict`` is
translated into a small expression tree evaluated with torch (never Python eval/exec) on tensors in
MATLAB layout (H×W×C×N, C×N, C×N×T), so ``layer.Alpha`` of size 1×1×C broadcasts as it does in MATLAB.
Anything else becomes a :class:`ClassdefPlaceholderLayer` (the one placeholder layer class), as MATLAB's importers do: the network still ports,
and analysis reports the placeholder. This is deliberately small so the custom-layer base class of
issue 7 can absorb it.
"""

from __future__ import annotations

import contextvars
import keyword
import math
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from ..errors import CustomLayerError, LayoutError, MatlabPortError
from ..layers.base import Layer, Layout
from ..layers.options import Converter, Option, numeric_array, text
from ..layers.custom import CustomOutputLayer, Property
from ..layers.placeholder import PlaceholderLayer
from .access import FIELD_NAME
from .source import Node
from .values import Opaque, Struct

# --------------------------------------------------------------------------------------------------
# MATLAB functions on tensors (shared by the evaluator and the generated Python): the registry's
# functions (layergraph/matlab/base) through their tensor implementations, so a custom layer reduces as
# MATLAB does (first non-singleton dimension), not along dimension 1


def _t(x, like=None):
    if isinstance(x, torch.Tensor):
        return x
    dtype = like.dtype if isinstance(like, torch.Tensor) else torch.float32
    return torch.as_tensor(x, dtype=dtype)


def _registry(name):
    """MATLAB ``name`` from the one registry of MATLAB functions, on a tensor in MATLAB layout (its tensor
    implementation: first non-singleton dimension by default, NaN rules, round half away from zero)."""

    def run(x, *rest):
        from ..functions import FUNCTIONS

        return FUNCTIONS[name].function(_t(x), *rest)

    run.__name__ = name
    return run


_max = _registry("max")
_min = _registry("min")
_sum = _registry("sum")
_mean = _registry("mean")


def _size(x, dim):
    x = _t(x)
    d = int(dim) - 1
    return float(x.shape[d]) if d < x.dim() else 1.0


def _numel(x):
    return float(_t(x).numel())


def _mtimes(a, b):
    ta, tb = _t(a, b), _t(b, a)
    if ta.numel() == 1 or tb.numel() == 1:
        return ta * tb
    return ta @ tb


def _logical(x):
    return x.to(torch.float32)


mfun = SimpleNamespace(
    exp=_registry("exp"), log=_registry("log"), abs=_registry("abs"), sqrt=_registry("sqrt"),
    tanh=_registry("tanh"), sigmoid=lambda x: torch.sigmoid(_t(x)), sin=_registry("sin"), cos=_registry("cos"),
    erf=lambda x: torch.erf(_t(x)), relu=lambda x: torch.relu(_t(x)), sign=_registry("sign"),
    floor=_registry("floor"), ceil=_registry("ceil"), round=_registry("round"), log1p=_registry("log1p"),
    max=_max, min=_min, sum=_sum, mean=_mean, mtimes=_mtimes, size=_size, numel=_numel,
    gt=lambda a, b: _logical(_t(a, b) > _t(b, a)), lt=lambda a, b: _logical(_t(a, b) < _t(b, a)),
    ge=lambda a, b: _logical(_t(a, b) >= _t(b, a)), le=lambda a, b: _logical(_t(a, b) <= _t(b, a)),
    eq=lambda a, b: _logical(_t(a, b) == _t(b, a)), ne=lambda a, b: _logical(_t(a, b) != _t(b, a)),
    not_=lambda a: _logical(_t(a) == 0),
    and_=lambda a, b: _logical((_t(a, b) != 0) & (_t(b, a) != 0)),
    or_=lambda a, b: _logical((_t(a, b) != 0) | (_t(b, a) != 0)),
    identity=lambda x: x,
    const=lambda v: torch.as_tensor(v, dtype=torch.float32),
)

_FUNCS = {  # MATLAB name -> (mfun attribute, min args, max args)
    "exp": ("exp", 1, 1), "log": ("log", 1, 1), "abs": ("abs", 1, 1), "sqrt": ("sqrt", 1, 1),
    "tanh": ("tanh", 1, 1), "sigmoid": ("sigmoid", 1, 1), "sin": ("sin", 1, 1), "cos": ("cos", 1, 1),
    "erf": ("erf", 1, 1), "relu": ("relu", 1, 1), "sign": ("sign", 1, 1), "floor": ("floor", 1, 1),
    "ceil": ("ceil", 1, 1), "round": ("round", 1, 1), "log1p": ("log1p", 1, 1),
    "max": ("max", 1, 3), "min": ("min", 1, 3), "sum": ("sum", 1, 2), "mean": ("mean", 1, 2),
    "single": ("identity", 1, 1), "double": ("identity", 1, 1), "size": ("size", 2, 2), "numel": ("numel", 1, 1),
}
_BINOPS = {"+": "+", "-": "-", ".*": "*", "./": "/", ".^": "**", "^": "**", "*": "mtimes", "/": "/"}
_CMPOPS = {">": "gt", "<": "lt", ">=": "ge", "<=": "le", "==": "eq", "~=": "ne", "!=": "ne"}


# --------------------------------------------------------------------------------------------------
# predict translation: MATLAB syntax tree -> expression tree (tuples)


class _NotTranslatable(Exception):
    pass


_CAPTURED: contextvars.ContextVar = contextvars.ContextVar("matlab_captured_values", default=None)


def translate_predict(fd, layer_var: str, props: set) -> tuple:
    """(statements, inputs, outputs) of a translatable predict; _NotTranslatable otherwise."""
    params = fd.params
    if not params:
        raise _NotTranslatable("predict takes no layer argument")
    inputs = params[1:]
    if not inputs or any(p in ("~", "varargin") for p in inputs):
        raise _NotTranslatable("predict has no named inputs")
    stmts = []
    local = set(inputs)
    for st in fd.body:
        if st.t != "assignment" or st.f["left"].t != "identifier":
            raise _NotTranslatable(f"line {st.line + 1}: only 'name = expression' statements are translated")
        expr = _tr(st.f["right"], fd.params[0], props, local)
        name = st.f["left"].v
        stmts.append((name, expr))
        local.add(name)
    outputs = fd.outputs
    if not outputs or any(o not in local for o in outputs):
        raise _NotTranslatable("predict does not assign its outputs")
    return stmts, inputs, outputs


def _tr(node: Node, layer_var: str | None, props: set, local: set, captured: dict | None = None):
    if captured is not None:
        return _Tr(layer_var, props, local, captured)(node)
    t = node.t
    if t == "number":
        try:
            return ("num", float(node.v))
        except ValueError:
            raise _NotTranslatable(f"line {node.line + 1}: number '{node.v}'") from None
    if t == "identifier":
        if node.v in local:
            return ("var", node.v)
        if node.v == "pi":
            return ("num", math.pi)
        if node.v == "eps":
            return ("num", float(np.finfo(np.float32).eps))
        if _CAPTURED.get() is not None and node.v in _CAPTURED.get():
            value = _CAPTURED.get()[node.v]
            if isinstance(value, np.ndarray) and value.dtype in (np.float64, np.bool_) and value.ndim == 2 \
                    and value.size <= 4096:
                value = value.astype(np.float64)
                return ("num", float(value[0, 0])) if value.size == 1 else ("const", value.tolist())
            raise _NotTranslatable(f"line {node.line + 1}: the captured value '{node.v}' is not a numeric array")
        raise _NotTranslatable(f"line {node.line + 1}: '{node.v}' is not an input or local value")
    if t == "parenthesis":
        return _tr(node.kids[0], layer_var, props, local)
    if t == "field_expression":
        obj = node.f.get("object")
        fields = node.f.get("field", [])
        if obj is not None and obj.t == "identifier" and obj.v == layer_var and len(fields) == 1 and \
                fields[0].t == "identifier" and fields[0].v in props:
            return ("prop", fields[0].v)
        raise _NotTranslatable(f"line {node.line + 1}: field access other than {layer_var}.Property")
    if t == "binary_operator":
        op = node.v
        if op not in _BINOPS:
            raise _NotTranslatable(f"line {node.line + 1}: operator '{op}'")
        left = node.f.get("left") or node.kids[0]
        right = node.f.get("right") or node.kids[-1]
        if op in ("^", ".^") and left.t == "unary_operator" and left.v == "-":
            inner = ("bin", _BINOPS[op], _tr(left.f.get("operand", left.kids[0]), layer_var, props, local),
                     _tr(right, layer_var, props, local))
            return ("neg", inner)
        return ("bin", _BINOPS[op], _tr(left, layer_var, props, local), _tr(right, layer_var, props, local))
    if t == "string" and isinstance(node.v, str) and len(node.v) >= 2:
        return ("str", node.v[1:-1])
    if t == "matrix" and len(node.kids) == 1 and node.kids[0].t == "row" and node.kids[0].kids and all(
            k.t == "number" for k in node.kids[0].kids):
        try:
            return ("list", [float(k.v) for k in node.kids[0].kids])
        except ValueError:
            raise _NotTranslatable(f"line {node.line + 1}: numbers in '[...]'") from None
    if t == "comparison_operator":
        if node.v not in _CMPOPS:
            raise _NotTranslatable(f"line {node.line + 1}: operator '{node.v}'")
        return ("call", _CMPOPS[node.v], [_tr(k, layer_var, props, local) for k in node.kids])
    if t == "unary_operator":
        inner = _tr(node.f.get("operand", node.kids[0]), layer_var, props, local)
        return ("neg", inner) if node.v == "-" else inner
    if t == "not_operator":
        return ("call", "not_", [_tr(node.kids[0], layer_var, props, local)])
    if t == "function_call" and node.v != "{}":
        name = node.f["name"].v
        args = []
        for k in node.kids:
            if k.t == "arguments":
                args = k.kids
        if name not in _FUNCS:
            raise _NotTranslatable(f"line {node.line + 1}: function '{name}'")
        attr, lo, hi = _FUNCS[name]
        if not lo <= len(args) <= hi:
            raise _NotTranslatable(f"line {node.line + 1}: {name} with {len(args)} arguments")
        targs = []
        for i, a in enumerate(args):
            if a.t == "matrix" and not a.kids and name in ("max", "min") and i == 1:
                targs.append(("none",))
                continue
            targs.append(_tr(a, layer_var, props, local))
        return ("call", attr, targs)
    raise _NotTranslatable(f"line {node.line + 1}: '{t}' syntax")


class _Tr:
    """_tr with the values an anonymous function captured (numeric arrays become constants)."""

    def __init__(self, layer_var, props, local, captured):
        self.args = (layer_var, props, local)
        self.captured = captured

    def __call__(self, node):
        token = _CAPTURED.set(self.captured)
        try:
            return _tr(node, *self.args)
        finally:
            _CAPTURED.reset(token)


def evaluate(expr, env: dict, layer_ns):
    kind = expr[0]
    if kind == "num":
        return expr[1]
    if kind == "const":
        return mfun.const(expr[1])
    if kind == "var":
        return env[expr[1]]
    if kind == "prop":
        value = getattr(layer_ns, expr[1])
        if isinstance(value, (list, tuple, np.ndarray)):
            return torch.as_tensor(np.asarray(value, dtype=np.float64), dtype=torch.float32)
        return value
    if kind == "none":
        return None
    if kind in ("str", "list"):
        return expr[1]
    if kind == "neg":
        return -evaluate(expr[1], env, layer_ns)
    if kind == "bin":
        op = expr[1]
        a = evaluate(expr[2], env, layer_ns)
        b = evaluate(expr[3], env, layer_ns)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "**":
            return _t(a, b) ** b if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor) else (
                _t(a, b) ** _t(b, a))
        if op == "mtimes":
            return mfun.mtimes(a, b)
    if kind == "call":
        fn = getattr(mfun, expr[1])
        return fn(*[evaluate(a, env, layer_ns) for a in expr[2]])
    raise ValueError(kind)


def py_name(name: str) -> str:
    """A MATLAB identifier as a Python name (Python keywords such as ``lambda`` get a trailing underscore)."""
    if not name.isidentifier() or not name.isascii():
        raise ValueError(f"not an identifier: {name!r}")
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def render(expr) -> str:
    """Python source of an expression tree (numbers as literals, names as identifiers, calls into mfun)."""
    kind = expr[0]
    if kind == "num":
        v = float(expr[1])
        if math.isnan(v):
            return "float('nan')"
        if math.isinf(v):
            return "float('inf')" if v > 0 else "(-float('inf'))"
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if kind == "const":
        return "mfun.const(" + repr([[float(x) for x in row] for row in expr[1]]).replace("nan", "float('nan')").replace(
            "inf", "float('inf')") + ")"
    if kind == "var":
        return py_name(expr[1])
    if kind == "prop":
        return f"layer.{expr[1]}"
    if kind == "none":
        return "None"
    if kind in ("str", "list"):
        return repr(expr[1])
    if kind == "neg":
        return f"(-{render(expr[1])})"
    if kind == "bin":
        op = expr[1]
        if op == "mtimes":
            return f"mfun.mtimes({render(expr[2])}, {render(expr[3])})"
        return f"({render(expr[2])} {op} {render(expr[3])})"
    if kind == "call":
        if not hasattr(mfun, expr[1]):
            raise ValueError(expr[1])
        return f"mfun.{expr[1]}(" + ", ".join(render(a) for a in expr[2]) + ")"
    raise ValueError(kind)


# --------------------------------------------------------------------------------------------------
# functionLayer(@(X) ...): a MATLAB anonymous function as a torch function


def _matlab_perm(rank: int):
    """Torch layout -> MATLAB layout permutation by rank: N×C -> C×N, N×T×C -> C×N×T, N×C×H×W -> H×W×C×N,
    N×C×H×W×D -> H×W×D×C×N (a 3-D tensor is taken as a sequence)."""
    return {2: (1, 0), 3: (2, 0, 1), 4: (2, 3, 1, 0), 5: (2, 3, 4, 1, 0)}.get(rank)


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


class MatlabLambda:
    """A MATLAB anonymous function translated to torch: ``functionLayer(@(X) max(X, 0))`` ported.

    ``fn`` computes on MATLAB-layout tensors (C×N features, C×N×T sequences, H×W×C×N images); calling
    the object converts torch-layout inputs to MATLAB layout and the result back, by tensor rank.
    """

    def __init__(self, fn, text: str = ""):
        self.fn = fn
        self.matlab_text = text
        self.__name__ = text[1:] if text.startswith("@") else (text or "lambda")

    def __call__(self, *xs):
        ts = [_t(x) for x in xs]
        ms = [x.permute(_matlab_perm(x.dim())) if _matlab_perm(x.dim()) else x for x in ts]
        out = self.fn(*ms)
        outs = out if isinstance(out, tuple) else (out,)
        back = []
        for z in outs:
            z = _t(z, ms[0] if ms else None)
            rank = ms[0].dim() if ms else z.dim()
            while z.dim() < rank:
                z = z.unsqueeze(-1)
            perm = _matlab_perm(z.dim())
            back.append(z.permute(_inverse(perm)) if perm else z)
        return back[0] if len(back) == 1 else tuple(back)

    def __repr__(self):
        return self.matlab_text or "@lambda"


class TranslatedHandle(MatlabLambda):
    """A MatlabLambda built in the porter from a handle's parsed expression tree (also written as Python)."""

    def __init__(self, params, expr, text: str, handle=None):
        self.params = list(params)
        self.expr = expr
        self.handle = handle

        def fn(*xs):
            return evaluate(self.expr, dict(zip(self.params, xs)), None)

        super().__init__(fn, text)

    def source(self) -> str:
        """``MatlabLambda(lambda X: mfun.max(X, 0), '@(X) max(X,0)')``: code from the tree, text as a literal."""
        params = ", ".join(py_name(p) for p in self.params)
        return f"MatlabLambda(lambda {params}: {render(self.expr)}, {self.matlab_text!r})"


_HANDLE_FUNCS = {k: v for k, v in _FUNCS.items() if v[1] == 1}


def translate_handle(interp, handle) -> TranslatedHandle:
    """The torch translation of a function handle (``@(X) expr`` or ``@sigmoid``), or _NotTranslatable."""
    if handle.name is not None:
        entry = _HANDLE_FUNCS.get(handle.name)
        if entry is None:
            raise _NotTranslatable(f"'{handle.name}' is not an element-wise function the porter translates")
        return TranslatedHandle(["X"], ("call", entry[0], [("var", "X")]), handle.text, handle)
    params = list(handle.params or [])
    if not params or any(p == "~" or not p.isidentifier() for p in params):
        raise _NotTranslatable("the function needs named inputs")
    captured = {k: v for k, v in (handle.env or {}).items() if k not in params}
    expr = _tr(handle.body, None, set(), set(params), captured)
    return TranslatedHandle(params, expr, handle.text, handle)


# --------------------------------------------------------------------------------------------------
# Layout conversion between torch and MATLAB


def to_matlab_layout(x: torch.Tensor, layout: Layout) -> torch.Tensor:
    k = len(layout.spatial)
    if layout.has_time:  # torch N x T x C x S... -> MATLAB S... x C x N x T
        perm = list(range(3, 3 + k)) + [2, 0, 1]
    else:  # torch N x C x S... -> MATLAB S... x C x N
        perm = list(range(2, 2 + k)) + [1, 0]
    return x.permute(perm)


def from_matlab_layout(z: torch.Tensor, layout: Layout) -> torch.Tensor:
    k = len(layout.spatial)
    while z.dim() < k + 2 + (1 if layout.has_time else 0):
        z = z.unsqueeze(-1)
    if layout.has_time:
        perm = list(range(3, 3 + k)) + [2, 0, 1]
    else:
        perm = list(range(2, 2 + k)) + [1, 0]
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return z.permute(inverse)


# --------------------------------------------------------------------------------------------------
# Layer classes


def _any_value() -> Converter:
    def convert(v):
        if isinstance(v, np.ndarray):
            return torch.as_tensor(np.array(v, dtype=np.float64)).to(torch.float32)
        return v

    return Converter(convert, "any value", {})


def _count() -> Converter:
    def convert(v):
        if isinstance(v, (list, tuple)) and len(v) == 1:
            v = v[0]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 1:
            raise ValueError
        return int(v)

    return Converter(convert, "a positive integer", {"type": "integer", "minimum": 1})


def _names() -> Converter:
    def convert(v):
        if v is None:
            return None
        if isinstance(v, str):
            return [v]
        if isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v):
            return list(v)
        raise ValueError

    return Converter(convert, "a list of port names", {})


class _CustomModule(nn.Module):
    def __init__(self, layer_cls, props: dict, learnables: dict, layouts: list):
        super().__init__()
        self.layer_cls = layer_cls
        self.props = props
        self.layouts = layouts
        self.learnable_names = list(learnables)
        for name, value in learnables.items():
            self.register_parameter(name, nn.Parameter(value.detach().clone().to(torch.float32)))

    def forward(self, *xs):
        ms = [to_matlab_layout(x, lay) for x, lay in zip(xs, self.layouts)]
        nd = max(m.dim() for m in ms)
        ns = SimpleNamespace()
        # MATLAB broadcasting aligns leading dimensions: pad values with trailing singleton dimensions
        for name, value in self.props.items():
            if isinstance(value, torch.Tensor) and 0 < value.dim() < nd:
                value = value.reshape(tuple(value.shape) + (1,) * (nd - value.dim()))
            setattr(ns, name, value)
        for name in self.learnable_names:
            value = getattr(self, name)
            if 0 < value.dim() < nd:
                value = value.reshape(tuple(value.shape) + (1,) * (nd - value.dim()))
            setattr(ns, name, value)
        out = self.layer_cls.predict(ns, *ms)
        outs = out if isinstance(out, tuple) else (out,)
        res = tuple(from_matlab_layout(_t(z, ms[0]), self.layouts[0]) for z in outs)
        return res[0] if len(res) == 1 else res


class MatlabCustomLayer(Layer):
    """A custom layer translated from a MATLAB classdef (see the module docstring).

    Subclasses set ``MATLAB_NAME``, ``TYPE``, ``PROPERTIES`` (plain properties and defaults),
    ``LEARNABLES`` (names) and a static ``predict(layer, X1, ..., Xn)`` on MATLAB-layout tensors.
    """

    MATLAB_NAME = "customLayer"
    TYPE = ""
    DEFAULT_NAME = "layer"
    FAMILY = "custom"
    PROPERTIES: dict = {}
    LEARNABLES: tuple = ()
    SOURCE = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        opts = [Option("Description", text(), ""), Option("Type", text(), ""),
                Option("NumInputs", _count(), 1), Option("InputNames", _names(), None),
                Option("NumOutputs", _count(), 1), Option("OutputNames", _names(), None)]
        for name, default in cls.PROPERTIES.items():
            opts.append(Option(name, _any_value(), default))
        for name in cls.LEARNABLES:
            opts.append(Option(name, numeric_array(), None, learnable=True))
        cls.OPTIONS = tuple(opts)
        cls.CLASS_NAME = cls.MATLAB_NAME
        if not cls.TYPE:
            cls.TYPE = cls.MATLAB_NAME
        cls._finalize_options()

    @staticmethod
    def predict(layer, *xs):
        raise CustomLayerError(f"{layer.MATLAB_NAME}: the ported classdef has no predict method that could be translated.")

    def input_names(self) -> tuple:
        names = self._values.get("InputNames")
        if names:
            return tuple(names)
        n = self._values.get("NumInputs", 1)
        return ("in",) if n == 1 else tuple(f"in{i}" for i in range(1, n + 1))

    def output_names(self) -> tuple:
        names = self._values.get("OutputNames")
        if names:
            return tuple(names)
        n = self._values.get("NumOutputs", 1)
        return ("out",) if n == 1 else tuple(f"out{i}" for i in range(1, n + 1))

    def description(self) -> str:
        return self._values.get("Description") or self.TYPE

    def learnable_sizes(self, inputs) -> dict:
        out = {}
        for name in self.LEARNABLES:
            value = self._values.get(name)
            if value is None:
                raise LayoutError(f"Learnable '{name}' of custom layer '{self.Name}' ({self.MATLAB_NAME}) "
                                  "is not set; set it in the constructor.")
            out[name] = tuple(value.shape) if value.dim() >= 2 else (value.numel(), 1)
        return out

    def _module(self, inputs):
        props = {}
        for name in self.PROPERTIES:
            v = self._values.get(name)
            props[name] = v
        learn = {name: self._values[name] for name in self.LEARNABLES if self._values.get(name) is not None}
        missing = [n for n in self.LEARNABLES if n not in learn]
        if missing:
            raise LayoutError(f"Learnable '{missing[0]}' of custom layer '{self.Name}' ({self.MATLAB_NAME}) "
                              "is not set; set it in the constructor.")
        return _CustomModule(type(self), props, learn, list(inputs))

    def infer(self, inputs):
        if len(inputs) != len(self.input_names()):
            raise LayoutError(f"custom layer '{self.Name}' expects {len(self.input_names())} inputs")
        module = self._module(inputs)
        xs = [torch.zeros(lay.torch_shape(1, lay.time or 1)) for lay in inputs]
        try:
            with torch.no_grad():
                out = module(*xs)
        except Exception as exc:  # noqa: BLE001 - any failure of the translated math is a size problem
            raise LayoutError(f"The custom layer predict of {self.MATLAB_NAME} fails for inputs of size "
                              f"{inputs[0].matlab_size()}: {exc}") from None
        outs = out if isinstance(out, tuple) else (out,)
        result = []
        base = inputs[0]
        for z in outs:
            shape = tuple(z.shape)
            if base.has_time:
                result.append(Layout(tuple(shape[3:]), shape[2], True, base.time))
            else:
                result.append(Layout(tuple(shape[2:]), shape[1]))
        return result

    def build(self, inputs):
        return self._module(inputs)


class ClassdefPlaceholderLayer(PlaceholderLayer):
    """The placeholder (:class:`~layergraph.layers.placeholder.PlaceholderLayer`) for one custom-layer classdef
    whose predict (or output layer's forwardLoss) cannot be translated. Subclasses set ``MATLAB_NAME`` (the
    class name), ``TYPE``, ``PROPERTIES``, ``LEARNABLES`` and ``REASON``: the classdef's properties are options,
    so its constructor runs in the porter as for a translated layer; analysis reports the placeholder."""

    PROPERTIES: dict = {}
    LEARNABLES: tuple = ()
    SOURCE = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        opts = [o for o in PlaceholderLayer.OPTIONS if o.name not in ("InputNames", "OutputNames")]
        opts += [Option("Description", text(), ""), Option("Type", text(), ""),
                 Option("NumInputs", _count(), 1), Option("InputNames", _names(), None),
                 Option("NumOutputs", _count(), 1), Option("OutputNames", _names(), None)]
        taken = {o.name for o in opts}
        for name, default in cls.PROPERTIES.items():
            if name not in taken:
                opts.append(Option(name, _any_value(), default))
        for name in cls.LEARNABLES:
            if name not in taken:
                opts.append(Option(name, numeric_array(), None, learnable=True))
        cls.OPTIONS = tuple(opts)
        cls.CLASS_NAME = cls.MATLAB_NAME
        cls.PY_CONSTRUCTOR = cls.MATLAB_NAME
        if not cls.TYPE or cls.TYPE == "Placeholder":
            cls.TYPE = cls.MATLAB_NAME
        cls._finalize_options()

    def input_names(self) -> tuple:
        return MatlabCustomLayer.input_names(self)

    def output_names(self) -> tuple:
        return () if self.is_output else MatlabCustomLayer.output_names(self)


_LOSS_LAYOUT: contextvars.ContextVar = contextvars.ContextVar("matlab_loss_layout", default=None)


def _loss_to_matlab(x: torch.Tensor, layout) -> torch.Tensor:
    """Predictions/targets in torch layout as MATLAB arrays (S... x C x N, C x N x T) for a translated loss."""
    if layout is not None:
        return to_matlab_layout(x, layout)
    if x.dim() < 2:
        return x
    return x.permute(list(range(2, x.dim())) + [1, 0])


class MatlabOutputLayer(CustomOutputLayer):
    """A custom output layer translated from a MATLAB classdef (``< nnet.layer.ClassificationLayer`` or
    ``RegressionLayer``) whose ``forwardLoss(layer, Y, T)`` is plain MATLAB arithmetic (dice, focal, weighted
    cross-entropy, Tversky ...): the loss runs with torch on Y and T in MATLAB layout (H×W×C×N, C×N), so
    ``sum(..., [1 2])``, ``size(Y, 4)`` and ``sum(..., 'all')`` mean what they mean in MATLAB; autograd gives
    the gradient (a ``backwardLoss`` in the classdef is not needed)."""

    SOURCE = ""
    CLASSDEF_TEXT = ""
    TRANSLATION = None

    @staticmethod
    def matlab_loss(layer, Y, T):
        stmts, inputs, outputs = type(layer).TRANSLATION
        env = dict(zip(inputs, (Y, T)))
        for name, expr in stmts:
            env[name] = evaluate(expr, env, layer)
        return env[outputs[0]]

    def loss(self, outputs, targets, layout=None):
        token = _LOSS_LAYOUT.set(layout)
        try:
            return super().loss(outputs, targets)
        finally:
            _LOSS_LAYOUT.reset(token)

    def forwardLoss(self, Y, T):
        layout = _LOSS_LAYOUT.get()
        value = type(self).matlab_loss(self, _loss_to_matlab(Y, layout), _loss_to_matlab(T, layout))
        value = _t(value, Y)
        if value.numel() != 1:
            raise CustomLayerError(f"{self.who()}: forwardLoss returned an array of size "
                                   f"{'x'.join(str(n) for n in value.shape)}; the loss must be a scalar.")
        return value.reshape(())


# --------------------------------------------------------------------------------------------------
# classdef handling in the interpreter


class ClassInfo:
    def __init__(self, name, src):
        self.name = name
        self.src = src
        self.supers: list[str] = []
        self.props: dict = {}       # name -> default node or None
        self.learnables: dict = {}
        self.methods: dict = {}
        self.cls = None
        self.reason = ""
        self.translation = None
        self.type_string = ""


def _class_info(interp, name: str, src) -> ClassInfo:
    from .interp import FunctionDef

    info = interp.custom_classes.get(name)
    if info is not None:
        return info
    cdef = next(k for k in src.root.kids if k.t == "class_definition")
    info = ClassInfo(name, src)
    functions: dict = {}
    for k in cdef.kids:
        if k.t == "superclasses":
            for p in k.kids:
                info.supers.append(".".join(x.v for x in p.kids if x.t == "identifier") or (p.v or ""))
        elif k.t == "properties":
            attrs = []
            for a in k.kids:
                if a.t == "attributes":
                    attrs = [(x.kids[0].v if x.kids else x.v or "").strip() for x in a.kids if x.t == "attribute"]
            learnable = any(x.split("=")[0].strip() == "Learnable" for x in attrs)
            for p in k.kids:
                if p.t != "property":
                    continue
                pname = p.f["name"].v if "name" in p.f else p.kids[0].v
                if not isinstance(pname, str) or not FIELD_NAME.match(pname):
                    raise interp.error(p, f"classdef {name}: invalid property name '{pname}'")
                default = next((d.kids[0] for d in p.kids if d.t == "default_value" and d.kids), None)
                (info.learnables if learnable else info.props)[pname] = default
        elif k.t == "methods":
            for m in k.kids:
                if m.t == "function_definition" and "name" in m.f:
                    fd = FunctionDef(m, src, functions)
                    functions[fd.name] = fd
    info.methods = functions
    interp.custom_classes[name] = info
    return info


_BUILTIN_PROPS = ("Name", "Description", "Type", "NumInputs", "InputNames", "NumOutputs", "OutputNames")


def call_classdef(interp, name: str, src, args: list, nargout: int, node: Node) -> list:
    info = _class_info(interp, name, src)
    is_layer = any(s.startswith("nnet.layer.") for s in info.supers)
    if not is_layer:
        interp.warn(node, f"classdef '{name}' is not a custom layer (superclasses: "
                          f"{', '.join(info.supers) or 'none'}); its objects are treated as opaque")
        return [Opaque(f"{name} at {interp.where(node)}")]
    from .interp import Frame

    frame_defaults = {}
    dframe = Frame(src, info.methods, name)
    for pname, default in list(info.props.items()) + list(info.learnables.items()):
        frame_defaults[pname] = interp.eval(default, dframe) if default is not None else np.zeros((0, 0))
    obj = Struct({"Name": "", **frame_defaults})
    ctor = info.methods.get(name)
    if ctor is None:
        if args:
            raise interp.error(node, f"{name} has no constructor and takes no arguments")
    else:
        interp.depth += 1
        try:
            if interp.depth > interp.max_depth:
                raise interp.error(node, f"maximum recursion depth ({interp.max_depth}) exceeded")
            frame = Frame(src, info.methods, name, nargin=len(args), nargout=1)
            interp.bind_args(ctor, args, frame, node)
            out_name = ctor.outputs[0] if ctor.outputs else "obj"
            frame.vars[out_name] = obj
            interp.run_body(ctor.body, frame)
        finally:
            interp.depth -= 1
        obj = frame.vars.get(out_name)
        if not isinstance(obj, Struct):
            raise interp.error(node, f"the constructor of {name} did not return the layer")
    layer_cls = _layer_class(interp, info, obj, node, frame_defaults)
    values = {}
    for key, value in obj.fields.items():
        if key == "Type" and key not in layer_cls.options():
            continue        # the Type shown for the class (its TYPE), not an option of a translated output layer
        if key not in layer_cls.options():
            raise interp.error(node, f"{name}: the constructor sets '{key}', which is not a declared property")
        if isinstance(value, Opaque):
            raise interp.opaque_error(node, value, f"property {key} of custom layer {name}")
        if isinstance(value, np.ndarray) and value.size == 0:
            continue
        if key in ("Description", "Type", "Name") and not isinstance(value, str):
            raise interp.error(node, f"{name}: {key} must be text")
        if key in info.learnables or (issubclass(layer_cls, MatlabOutputLayer) and isinstance(value, np.ndarray)
                                      and value.size > 1):
            values[key] = value     # a translated loss uses the array with its MATLAB shape (a C×1 weight vector)
        else:
            values[key] = interp.to_py(value, node)
    try:
        layer = layer_cls(**values)
    except Exception as exc:  # noqa: BLE001 - report any construction failure at the call site
        raise interp.error(node, f"{name}: {exc}") from None
    return [layer]


def _layer_class(interp, info: ClassInfo, obj: Struct, node: Node, defaults: dict):
    if info.cls is not None:
        return info.cls
    type_string = obj.fields.get("Type")
    type_string = str(type_string) if isinstance(type_string, str) else ""
    props = {}
    for pname in info.props:
        if pname in _BUILTIN_PROPS:
            continue
        value = defaults.get(pname)
        if value is None or (isinstance(value, np.ndarray) and value.size == 0):
            props[pname] = None
        else:
            try:
                props[pname] = _any_value()(interp.to_py(value, node))
            except ValueError:
                props[pname] = None
    learnables = tuple(info.learnables)
    is_output = any(s in ("nnet.layer.ClassificationLayer", "nnet.layer.RegressionLayer") for s in info.supers)
    predict = info.methods.get("predict")
    reason = ""
    translation = None
    if is_output:
        loss_fd = info.methods.get("forwardLoss")
        if loss_fd is None:
            reason = "the class has no forwardLoss method"
        else:
            try:
                translation = translate_predict(loss_fd, loss_fd.params[0] if loss_fd.params else "layer",
                                                set(props) | set(learnables))
                if len(translation[1]) != 2 or len(translation[2]) != 1:
                    raise _NotTranslatable("forwardLoss must take (layer, Y, T) and return the loss")
            except _NotTranslatable as exc:
                reason = f"its forwardLoss cannot be translated: {exc}"
                translation = None
        if translation is not None:
            task = "regression" if "nnet.layer.RegressionLayer" in info.supers else "classification"
            skip = set(_BUILTIN_PROPS) | {"Classes", "ResponseNames"}
            ns = {"MATLAB_NAME": info.name, "TYPE": type_string or info.name, "TASK": task,
                  "TRANSLATION": translation, "SOURCE": info.src.path, "CLASSDEF_TEXT": info.src.text,
                  "PY_CONSTRUCTOR": info.name, "__module__": __name__}
            for pname, default in props.items():
                if pname not in skip:
                    ns[pname] = Property(default)
            cls = type(info.name, (MatlabOutputLayer,), ns)
            info.cls = cls
            return cls
    elif predict is None:
        reason = "the class has no predict method"
    else:
        try:
            translation = translate_predict(predict, predict.params[0], set(props) | set(learnables))
        except _NotTranslatable as exc:
            reason = str(exc)
    attrs = {"MATLAB_NAME": info.name, "TYPE": type_string, "PROPERTIES": props, "LEARNABLES": learnables,
             "SOURCE": info.src.path, "CLASSDEF_TEXT": info.src.text, "__module__": __name__}
    if translation is None:
        base = ClassdefPlaceholderLayer
        attrs["REASON"] = reason
        attrs["IS_OUTPUT"] = is_output
        cls = type(info.name, (base,), attrs)
        interp.warn(node, f"custom layer {info.name}: {reason}; it becomes a placeholder layer "
                          "(the network still ports; analysis flags the layer)")
    else:
        stmts, inputs, outputs = translation

        def predict_fn(layer, *xs, _stmts=stmts, _inputs=inputs, _outputs=outputs):
            env = dict(zip(_inputs, xs))
            for name, expr in _stmts:
                env[name] = evaluate(expr, env, layer)
            res = tuple(env[o] for o in _outputs)
            return res[0] if len(res) == 1 else res

        attrs["predict"] = staticmethod(predict_fn)
        attrs["TRANSLATION"] = translation
        cls = type(info.name, (MatlabCustomLayer,), attrs)
    cls.PY_CONSTRUCTOR = info.name
    info.cls = cls
    return cls


def layer_class_from_classdef(name: str, text: str, origin: str = "<spec>"):
    """The layer class that classdef source ``text`` defines, built by the restricted custom-layer
    translator exactly as when a script calls its constructor (nothing in the text is executed).

    Used to reopen a JSON spec that embeds the classdef of a custom layer; raises MatlabPortError with
    file:line:col when the text is not a classdef named ``name``.
    """
    from .interp import Frame, Interpreter
    from .source import parse_source

    src = parse_source(text, f"{origin}:custom_layers.{name}")
    if src.syntax_errors:
        line, col, message = src.syntax_errors[0]
        raise src.error((line, col), message)
    cdef = next((k for k in src.root.kids if k.t == "class_definition"), None)
    if cdef is None or "name" not in cdef.f or cdef.f["name"].v != name:
        raise MatlabPortError(f"{origin}: custom_layers.{name} is not the classdef of '{name}'")
    interp = Interpreter()
    info = _class_info(interp, name, src)
    if not any(sup.startswith("nnet.layer.") for sup in info.supers):
        raise MatlabPortError(f"{origin}: classdef '{name}' is not a custom layer (superclasses: "
                              f"{', '.join(info.supers) or 'none'})")
    dframe = Frame(src, info.methods, name)
    defaults = {p: interp.eval(d, dframe) if d is not None else np.zeros((0, 0))
                for p, d in list(info.props.items()) + list(info.learnables.items())}
    return _layer_class(interp, info, Struct({"Name": "", **defaults}), cdef, defaults)


def class_source(cls) -> str:
    """Python source of a translated (or placeholder) custom layer class, for the generated script."""
    if issubclass(cls, MatlabOutputLayer):
        return _output_class_source(cls)
    placeholder = issubclass(cls, PlaceholderLayer)
    base = "ClassdefPlaceholderLayer" if placeholder else "MatlabCustomLayer"
    from .codegen import doc_text, py_value

    source_name = cls.SOURCE.replace(chr(92), "/").split("/")[-1]
    what = "placeholder: " + cls.REASON if placeholder else "predict translated to torch"
    props = "{" + ", ".join(f"{k!r}: {py_value(v)}" for k, v in dict(cls.PROPERTIES).items()) + "}"
    lines = [f"class {py_name(cls.MATLAB_NAME)}({base}):",
             f'    """Custom layer from {doc_text(source_name)} ({doc_text(what)})."""',
             "",
             f"    MATLAB_NAME = {cls.MATLAB_NAME!r}",
             f"    TYPE = {cls.TYPE if cls.TYPE != cls.MATLAB_NAME else ''!r}",
             f"    PROPERTIES = {props}",
             f"    LEARNABLES = {tuple(str(x) for x in cls.LEARNABLES)!r}"]
    if placeholder:
        lines.append(f"    REASON = {cls.REASON!r}")
        if getattr(cls, "IS_OUTPUT", False):
            lines.append("    IS_OUTPUT = True")
        return "\n".join(lines)
    stmts, inputs, outputs = cls.TRANSLATION
    lines += ["", "    @staticmethod", f"    def predict(layer, {', '.join(py_name(x) for x in inputs)}):"]
    for name, expr in stmts:
        lines.append(f"        {py_name(name)} = {render(expr)}")
    lines.append(f"        return {', '.join(py_name(x) for x in outputs)}")
    return "\n".join(lines)


def _output_class_source(cls) -> str:
    from .codegen import doc_text, py_value

    source_name = cls.SOURCE.replace(chr(92), "/").split("/")[-1]
    lines = [f"class {py_name(cls.MATLAB_NAME)}(MatlabOutputLayer):",
             f'    """Custom output layer from {doc_text(source_name)} (forwardLoss translated to torch)."""',
             "",
             f"    MATLAB_NAME = {cls.MATLAB_NAME!r}",
             f"    TASK = {cls.TASK!r}"]
    for key, decl in cls._declared.items():
        lines.append(f"    {key} = Property({py_value(decl.default)})")
    stmts, inputs, outputs = cls.TRANSLATION
    lines += ["", "    @staticmethod", f"    def matlab_loss(layer, {', '.join(py_name(x) for x in inputs)}):"]
    for name, expr in stmts:
        lines.append(f"        {py_name(name)} = {render(expr)}")
    lines.append(f"        return {py_name(outputs[0])}")
    return "\n".join(lines)


def custom_class_sources(networks: dict) -> list[str]:
    seen = {}
    for value in networks.values():
        if hasattr(value, "layer_list"):
            layers = value.layer_list()
        elif isinstance(value, list):
            layers = value
        else:
            meta = getattr(value, "_lg", None)
            layers = meta.graph.layer_list() if meta is not None else []
        for layer in layers:
            cls = type(layer)
            if issubclass(cls, (MatlabCustomLayer, ClassdefPlaceholderLayer, MatlabOutputLayer)) and \
                    cls.__module__ == __name__:
                seen.setdefault(cls.MATLAB_NAME, cls)
    return [class_source(c) for c in seen.values()]


__all__ = ["MatlabCustomLayer", "MatlabOutputLayer", "PlaceholderLayer", "ClassdefPlaceholderLayer", "MatlabLambda", "TranslatedHandle", "translate_handle", "mfun", "call_classdef", "custom_class_sources",
           "to_matlab_layout", "from_matlab_layout", "translate_predict"]


def _register_with_spec_loader() -> None:
    from ..spec.codec import register_classdef_translator

    register_classdef_translator(layer_class_from_classdef)


_register_with_spec_loader()
