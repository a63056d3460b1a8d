"""The MATLAB-language namespace translated programs import: ``import layergraph.matlab.lang as ml``.

* Every registered MATLAB function under its MATLAB name (``ml.sum``, ``ml.strsplit``, ``ml.zeros``,
  ``ml.imageDatastore``, ``ml.trainNetwork`` with MATLAB layouts), looked up in the one registry
  :data:`layergraph.functions.FUNCTIONS` (functions the interpreter still implements itself are reached
  the same way, through the interpreter's own table). A MATLAB name that is a Python keyword is spelled
  with a trailing underscore: ``ml.and_``, ``ml.or_``, ``ml.not_``, ``ml.class_``, ``ml.assert_``,
  ``ml.import_``.
* :func:`call` (``ml.call(f, *args, nargout=k)``, from :mod:`layergraph.matlab.base._core`), the one way
  registry functions and translated code call a MATLAB function value.
* The runtime helpers translated code needs, each the same function the interpreter (``layergraph run``)
  uses (:mod:`layergraph.matlab.semantics`): indexing ``ml.index(A, i, j)`` (``A(i, j)``), ``ml.brace``
  (``c{i}``), ``ml.field`` (``s.f``), ``ml.end(A, k, n)``, assignment ``ml.set_index``/``ml.set_brace``/``ml.assign``,
  the operators (``ml.plus``, ``ml.mtimes`` for ``*``, ``ml.times`` for ``.*``, ``ml.ctranspose`` for
  ``'``, ``ml.transpose`` for ``.'``, ``ml.eq`` ...), ranges ``ml.colon(a, b)`` / ``ml.colon(a, step, b)``,
  concatenation ``ml.brackets([[...], [...]])`` (``[a, b; c, d]``) and ``ml.cellarray([[...]])`` (``{...}``),
  ``ml.call(f, *args, nargout=k)`` for function handles and functions, ``ml.show(name, value)`` for
  statements without a semicolon.

Values are MATLAB values (:mod:`layergraph.matlab.values`): numeric arrays as 2-D (or N-D) numpy arrays
in MATLAB layout, ``str`` for char rows, :class:`MString`, :class:`Cell`, :class:`Struct`. Translated
code may also hold a scalar double as a Python ``float`` where the translator proved it equivalent; every
helper here accepts Python ``float``/``int``/``bool`` where a MATLAB scalar is expected.
"""

from __future__ import annotations

import builtins
import keyword
import math
import types

import numpy as np

from ..errors import LayerGraphError, MatlabPortError, MatlabRuntimeError
from ..functions import FUNCTIONS, call_function, overload_for
from . import access as _access
from .access import _AS_MATLAB  # type -> passes as a MATLAB value (filled by _access.passes_as_matlab)
from .access import _SETTABLE  # (class, property) -> handle class? (filled by _access.write_property)
from . import semantics as S
from .semantics import COLON, transpose  # noqa: F401  (ml.transpose is MATLAB's .')
from .base._core import call  # noqa: F401  (the one way registry functions call a function value)
from ..values.subscripts import known_part
from .values import Cell, CsList, FuncHandle, LayerArr, MString, Opaque, ProgramFunction, StrArr, Struct, StructArr, num

#: ``:`` as a subscript (``A(:, 1)`` is ``ml.index(A, ml.C, 1.0)``)
C = COLON


# ---- values ----------------------------------------------------------------------------------------


#: types v() returns as they are (every type but Python and NumPy scalars; filled as they are met)
_UNBOXED_AS_IS: set = {np.ndarray, str, type(None)}
#: the same without None (an output never assigned): what :func:`returns` hands back as it is
_RETURNED_AS_IS: set = {np.ndarray, str}
_SCALAR_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)


def v(x):
    """A MATLAB value from a Python scalar the translated program keeps unboxed (float, int, bool)."""
    t = type(x)
    if t in _UNBOXED_AS_IS:
        return x
    if t is float or t is int:
        return np.array([[float(x)]])
    if t is bool:
        return np.array([[x]])
    if isinstance(x, (np.floating, np.integer)) and not isinstance(x, np.ndarray):
        return np.array([[float(x)]])
    if isinstance(x, np.bool_):
        return np.array([[bool(x)]])
    if not issubclass(t, _SCALAR_TYPES):
        _UNBOXED_AS_IS.add(t)
        _RETURNED_AS_IS.add(t)
    return x


def matrix(rows) -> np.ndarray:
    """A numeric literal ``[1 2; 3 4]`` (rows of Python numbers) as a double matrix."""
    return np.array(rows, dtype=np.float64).reshape(len(rows), -1) if rows else np.zeros((0, 0))


def empty() -> np.ndarray:
    """``[]``."""
    return np.zeros((0, 0))


def string(text, *more):
    """A string scalar literal ``"text"``; anything else is MATLAB's ``string`` function."""
    if type(text) is str and not more:
        return MString(text)
    return function("string")(text, *more)


def scalar_value(x) -> float:
    """A MATLAB scalar as a Python float (for the translator's unboxed scalars)."""
    if type(x) is float:
        return x
    return S.scalar(v(x))


# ---- indexing and assignment -------------------------------------------------------------------------


def _idx(idx):
    return [i if type(i) is np.ndarray or i is COLON else v(i) for i in idx]


def index(base, *idx):
    """``base(idx...)``: parenthesis indexing (linear column-major with one subscript, logical masks)."""
    if type(base) is np.ndarray:            # a numeric array: S.index_get's own first choice
        if len(idx) == base.ndim > 1 and np.ndarray not in S.OVERLOAD_TYPES:
            res = S.take_along_one(base, idx)  # X(:, :, :, batch): a mini-batch, one call deep
            if res is not None:
                return res
        return S.index_get(base, [i if type(i) is np.ndarray or i is COLON else v(i) for i in idx])
    if len(idx) == 1 and type(idx[0]) is np.ndarray and type(base) in S.OVERLOAD_TYPES:
        impl = overload_for("parenReference", (base,))   # labels(batch): the class's own indexing, directly
        if impl is not None:
            return S.apply_overload(impl, [base, idx[0]])
    if isinstance(base, FuncHandle) or (callable(base) and not isinstance(base, (np.ndarray, str))):
        return call(base, *idx)
    return S.index_get(v(base), _idx(idx))


def index_span(base, a, b):
    """``base(a:b)``: the same as ``index(base, colon(a, b))``; a numeric or logical vector indexed by a range
    of whole numbers inside it (the translator's unboxed ``a``, ``b``) is sliced without building the range."""
    if type(base) is np.ndarray and base.ndim == 2 and (base.shape[0] == 1 or base.shape[1] == 1):
        ta, tb = type(a), type(b)
        if (ta is int or (ta is float and a.is_integer())) and (tb is int or (tb is float and b.is_integer())) \
                and 1 <= a <= b <= base.size:
            start, stop = int(a) - 1, int(b)
            part = base[:, start:stop].copy() if base.shape[0] == 1 else base[start:stop, :].copy()  # row: row
            known_part(base, start, stop, part)     # subscripts cut from known ones (a mini-batch of randperm)
            return part
    return index(base, colon(a, b))


def brace(base, *idx):
    """``base{idx...}``: one element, or a comma-separated list (:class:`CsList`) for several."""
    return S.brace_get(base, _idx(idx))


def field(base, name: str):
    """``base.name``: a struct field or an allow-listed property of a project object (a method of the
    object without arguments is called)."""
    if _access.plain_property(base, name):     # net.Learnables: an allow-listed property, no method
        read = _access.read_plain_property
    else:
        if not isinstance(base, (Struct, CsList, LayerArr)):
            method = _access.method_name(base, name)
            if method is not None and name not in _access.property_names(base):
                return function(method)(base)
        if isinstance(base, CsList):
            return CsList(field(b, name) for b in base)
        if isinstance(base, LayerArr) and base.a.size == 1:
            base = base.a.flat[0]
        read = _access.read_property
    try:
        return read(base, name)
    except MatlabRuntimeError:
        raise
    except LayerGraphError as exc:
        raise MatlabRuntimeError(str(exc), "MATLAB:nonExistentField") from None


def end(base, k: int, n: int):
    """``end`` in subscript position ``k`` (0-based) of ``n`` subscripts of ``base``."""
    return S.end_value(v(base), k, n)


def set_index(base, value, *idx):
    """``base(idx...) = value`` (growth, deletion with ``[]``): the new value of ``base``."""
    return S.index_set(v(base), _idx(idx), v(value))


def set_brace(base, value, *idx):
    """``base{idx...} = value``: the new cell array."""
    return S.brace_set(base, _idx(idx), v(value))


def setfield(base, name: str, value):
    """``base.name = value``: a new struct (or the object with its allow-listed property set)."""
    handle = _SETTABLE.get((type(base), name))
    if handle is not None:      # an allow-listed settable property of this class (write_property decided it)
        try:
            return _access._set_property(base if handle else base.copy(), name, to_py(value))
        except LayerGraphError as exc:
            raise MatlabRuntimeError(str(exc)) from None
    try:
        name = _access.check_field_name(name)
    except LayerGraphError as exc:
        raise MatlabRuntimeError(str(exc), "MATLAB:AddField:InvalidFieldName") from None
    if base is None or (isinstance(base, np.ndarray) and base.size == 0):
        base = Struct()
    if isinstance(base, LayerArr) and base.a.size == 1:
        base = base.a.flat[0]
    if isinstance(base, Struct):
        new = base.copy()
        new.fields[name] = v(value)
        return new
    if isinstance(base, (np.ndarray, str, Cell, StrArr, FuncHandle)):
        raise MatlabRuntimeError(f"cannot assign field '{name}' of a {S.type_name(base)} value",
                                 "MATLAB:invalidStructAssignment")
    try:
        return _access.write_property(base, name, to_py(value))
    except LayerGraphError as exc:
        raise MatlabRuntimeError(str(exc)) from None


def assign(base, chain, value):
    """``base<chain> = value`` for a chain of accessors ``(("()", (i, j)), (".", "f"), ("{}", (k,)))``
    (``x(i, j).f{k} = value``): the new value of ``base``, as MATLAB builds it level by level."""
    kind, payload = chain[0]
    rest = chain[1:]
    if kind == ".":
        if not rest:
            return setfield(base, payload, value)
        current = None
        if isinstance(base, Struct):
            current = base.fields.get(payload)
        elif base is not None and not (isinstance(base, np.ndarray) and base.size == 0):
            current = field(base, payload)
        return setfield(base, payload, assign(current, rest, value))
    idx = payload
    if kind == "{}":
        if not rest:
            return set_brace(base, value, *idx)
        current = None
        if isinstance(base, Cell):
            try:
                sub = S.index_get(base, _idx(idx))
                current = sub.a.flat[0] if sub.a.size == 1 else None
            except MatlabRuntimeError:
                current = None
        return set_brace(base, assign(current, rest, value), *idx)
    if not rest:
        return set_index(base, value, *idx)
    current = None
    if base is not None and not S.is_empty(base):
        try:
            current = S.index_get(v(base), _idx(idx))
        except MatlabRuntimeError:
            current = None
    if isinstance(current, LayerArr) and current.a.size == 1:
        current = current.a.flat[0]
    return set_index(base, assign(current, rest, value), *idx)


# ---- operators ---------------------------------------------------------------------------------------


def plus(a, b):
    """``a + b``"""
    return S.binary("+", v(a), v(b))


def minus(a, b):
    """``a - b``"""
    return S.binary("-", v(a), v(b))


def times(a, b):
    """``a .* b``"""
    return S.binary(".*", v(a), v(b))


def mtimes(a, b):
    """``a * b``"""
    return S.binary("*", v(a), v(b))


def rdivide(a, b):
    """``a ./ b``"""
    return S.binary("./", v(a), v(b))


def mrdivide(a, b):
    """``a / b``"""
    return S.binary("/", v(a), v(b))


def ldivide(a, b):
    """``a .\\ b``"""
    return S.binary(".\\", v(a), v(b))


def mldivide(a, b):
    """``a \\ b``"""
    return S.binary("\\", v(a), v(b))


def power(a, b):
    """``a .^ b``"""
    return S.binary(".^", v(a), v(b))


def mpower(a, b):
    """``a ^ b``"""
    return S.binary("^", v(a), v(b))


def and_(a, b):
    """``a & b`` (MATLAB's ``and``)"""
    return S.binary("&", v(a), v(b))


def or_(a, b):
    """``a | b`` (MATLAB's ``or``)"""
    return S.binary("|", v(a), v(b))


def not_(a):
    """``~a`` (MATLAB's ``not``)"""
    return S.logical_not(v(a))


def uminus(a):
    """``-a``"""
    return S.negate(v(a), "-")


def uplus(a):
    """``+a``"""
    return S.negate(v(a), "+")


def ctranspose(a):
    """``a'`` (real values: the same as ``.'``)"""
    return S.transpose(v(a))


def eq(a, b):
    """``a == b``"""
    return S.compare("==", v(a), v(b))


def ne(a, b):
    """``a ~= b``"""
    return S.compare("~=", v(a), v(b))


def lt(a, b):
    """``a < b``"""
    return S.compare("<", v(a), v(b))


def le(a, b):
    """``a <= b``"""
    return S.compare("<=", v(a), v(b))


def gt(a, b):
    """``a > b``"""
    return S.compare(">", v(a), v(b))


def ge(a, b):
    """``a >= b``"""
    return S.compare(">=", v(a), v(b))


def neg_pow(op, a, b):
    """``-a^b`` is ``-(a^b)`` in MATLAB."""
    return S.negate(S.binary(op, v(a), v(b)), "-")


def truth(x) -> bool:
    """The truth of an ``if``/``while`` condition (every element nonzero; empty is false)."""
    t = type(x)
    if t is bool:
        return x
    if t is float or t is int:
        return x != 0
    return S.truthy(x)


def sc(x) -> bool:
    """The truth of an operand of ``&&``/``||`` (short-circuit in the translated code)."""
    return truth(v(x) if type(x) is not bool else x)


def lg(x) -> np.ndarray:
    """A Python bool as a MATLAB logical scalar (the value of ``a && b``)."""
    return np.array([[bool(x)]])


def colon(a, b, c=None):
    """``a:b`` or ``a:step:b`` (three arguments: start, step, stop)."""
    return S.colon(v(a), v(b), None if c is None else v(c))


def frange(a, b):
    """The values of ``for i = a:b`` as Python floats (the translator's unboxed loop counter)."""
    lo, hi = scalar_value(a), scalar_value(b)
    n = int(S.range_count(lo, 1.0, hi))
    if lo.is_integer() and abs(lo) < 2 ** 52 and abs(lo + n) < 2 ** 52:
        start = int(lo)
        return map(float, range(start, start + n))
    return (lo + k for k in map(float, range(n)))


def columns(x):
    """The values ``for v = x`` takes: the columns of ``x`` (cells: 1x1 cells; a row: its elements)."""
    return S.iter_columns(v(x))


def switch(value, case) -> bool:
    """Whether ``case`` (a value or a cell of values) matches the ``switch`` value."""
    return S.switch_matches(v(value), v(case))


def sdiv(a, b):
    """``a / b`` of two scalar doubles held as Python numbers (MATLAB's Inf and NaN for division by zero)."""
    try:
        return a / b
    except ZeroDivisionError:
        a = float(a)
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, float(b))


def spow(a, b):
    """``a ^ b`` of two scalar doubles held as Python numbers (MATLAB's results; complex is refused)."""
    r = S.binary("^", np.array([[float(a)]]), np.array([[float(b)]]))
    return float(r[0, 0])


def ssqrt(x):
    """``sqrt(x)`` of a scalar double held as a Python number (negative input: MATLAB's sqrt)."""
    if x >= 0:
        return math.sqrt(x)
    return scalar_value(function("sqrt")(v(x)))


def sfloor(x) -> float:
    """``floor(x)`` of a scalar double held as a Python number (NaN, Inf and -0 as MATLAB keeps them)."""
    return float(np.floor(x))


def sceil(x) -> float:
    """``ceil(x)`` of a scalar double held as a Python number."""
    return float(np.ceil(x))


def sfix(x) -> float:
    """``fix(x)`` (round toward zero) of a scalar double held as a Python number."""
    return float(np.trunc(x))


def count(x) -> int:
    """``numel(x)`` as a Python int (the translator's unboxed scalar)."""
    return int(scalar_value(function("numel")(x)))


def count_length(x) -> int:
    """``length(x)`` as a Python int."""
    return int(scalar_value(function("length")(x)))


def count_dim(x, k) -> int:
    """``size(x, k)`` as a Python int."""
    return int(scalar_value(function("size")(x, k)))


def irange(a, b):
    """The values of ``for i = a:b`` with an integer start, as Python ints (the translator's loop counter)."""
    lo = int(a)
    return range(lo, lo + int(S.range_count(float(lo), 1.0, scalar_value(b))))


def count_to(b) -> int:
    """The number of values of ``1:b`` (a zero-based loop of the translator runs this many times)."""
    return int(S.range_count(1.0, 1.0, scalar_value(b)))


def count_args(*params) -> int:
    """``nargin`` of a translated function: the parameters given (up to the last one not None)."""
    n = len(params)
    while n and params[n - 1] is None:
        n -= 1
    return n


def outs(value, n: int):
    """``n`` values from a comma-separated list (``[a, b] = c{:}``)."""
    items = list(value) if isinstance(value, CsList) else [value]
    if len(items) < n:
        raise MatlabRuntimeError("Insufficient number of outputs from right hand side of equal sign to satisfy "
                                 "assignment.", "MATLAB:needMoreRhsOutputs")
    return tuple(items[:n])


def member(base, name: str, *args, nargout: int = 1):
    """``base.name(args...)``: indexing into a field or property, or the MATLAB method ``name`` of an object
    (the registered function, called with the object first)."""
    if not isinstance(base, (Struct, CsList)):
        method = _access.method_name(base, name)
        if method is not None and name not in _access.property_names(base):
            return function(method)(base, *args, nargout=nargout)
    value = field(base, name)
    if isinstance(value, CsList):
        value = value[0] if value else None
    if callable(value) and not isinstance(value, (np.ndarray, str)):
        return call(value, *args, nargout=nargout)
    return index(value, *args)


#: the errors a translated ``try``/``catch`` catches (every project error; MATLAB's are MatlabRuntimeError)
MatlabError = LayerGraphError


# ---- concatenation -----------------------------------------------------------------------------------


def _expand(row):
    out = []
    for x in row:
        if isinstance(x, CsList):
            out.extend(x)
        else:
            out.append(v(x))
    return out


def brackets(rows):
    """``[r1; r2]`` from rows of values: ``ml.brackets([[a, b], [c, d]])`` is ``[a, b; c, d]``."""
    return S.concat_rows([_expand(r) for r in rows])


def row(*items):
    """``[a, b, c]`` (one row)."""
    return S.concat_rows([_expand(items)])


def cellarray(rows):
    """``{r1; r2}`` from rows of values."""
    return S.cell_rows([r for r in (_expand(r) for r in rows) if r])


def args(*items):
    """Arguments with comma-separated lists (``c{:}``, ``s.f`` of a struct array) expanded."""
    return _expand(items)


# ---- calls -------------------------------------------------------------------------------------------


def _shape_outputs(outs, nargout: int):
    if nargout <= 1:
        return outs[0] if outs else None
    if len(outs) < nargout:
        raise MatlabRuntimeError("Too many output arguments.", "MATLAB:maxlhs")
    return tuple(outs[:nargout])


def handle(name: str):
    """``@name`` for a registered MATLAB function: a Python callable."""
    return function(name)


_SHIM: list = []


def _shim():
    """An interpreter and a syntax node for the functions the interpreter still implements itself."""
    if not _SHIM:
        from .interp import Interpreter
        from .source import parse_source

        src = parse_source("f\n", "<ml>")
        _SHIM.append((Interpreter(max_steps=10 ** 12), src.root.kids[0]))
    return _SHIM[0]


#: types whose values :func:`to_py` hands over as they are (decided once per type: see _passes_as_is)
_PY_AS_IS: dict = {}
#: the MATLAB value types the interpreter's conversion changes (numbers are boxed by v() first)
_PY_CONVERTED = (bool, int, float, np.bool_, np.integer, np.floating, np.ndarray, str, LayerArr, Cell, StrArr,
                 FuncHandle, Struct, StructArr, Opaque, types.FunctionType)


def _passes_as_is(t: type) -> bool:
    """Whether the interpreter's conversion returns every value of type ``t`` unchanged (project objects:
    dlarray, dlnetwork, table, categorical...): true for a type none of whose bases it converts."""
    as_is = _PY_AS_IS.get(t)
    if as_is is None:
        as_is = _PY_AS_IS[t] = not issubclass(t, _PY_CONVERTED)
    return as_is


_EXACT = 2 ** 53        # integers a double holds exactly


def to_py(x):
    """A MATLAB value as the layergraph Python API takes it (the interpreter's conversion)."""
    t = type(x)
    if t is str or _PY_AS_IS.get(t) or _passes_as_is(t):     # handed over as they are (text, project objects)
        return x
    if t is int and -_EXACT < x < _EXACT:    # a whole number held unboxed: itself
        return x
    if t is float or t is int:              # an unboxed scalar: what the conversion makes of num(x)
        f = float(x)
        return int(f) if f.is_integer() and abs(f) < 2 ** 53 else f
    if t is bool:
        return x
    if t is np.ndarray:
        return _access.array_to_py(x)
    if t is types.FunctionType:             # the program's function: MATLAB values in, the API's form out
        return ProgramFunction(x)
    if callable(x) and not isinstance(x, FuncHandle):
        return x
    interp, node = _shim()
    return interp.to_py(v(x), node)


def _to_matlab(x):
    if type(x) is np.ndarray or type(x) is ProgramFunction:
        return _access.to_matlab(x)
    if _access.passes_as_matlab(x):                 # a MATLAB value or project object: itself
        return x
    if callable(x) and not isinstance(x, (FuncHandle, type)) and not hasattr(x, "MATLAB_PROPERTIES"):
        return x
    return _access.to_matlab(x)


def call_program_function(f, args, nargout: int = 1):
    """Call a function of the translated program for the Python API (:class:`ProgramFunction`): the arguments
    as MATLAB values, the results as the API takes them (what the interpreter's handles do)."""
    out = call_function(f, *[a if _AS_MATLAB.get(type(a)) else _to_matlab(a) for a in args], nargout=nargout)
    if nargout is not None and nargout > 1:
        return tuple(o if _PY_AS_IS.get(type(o)) else to_py(o) for o in out)
    return None if out is None else out if _PY_AS_IS.get(type(out)) else to_py(out)


def _strip_location(text: str) -> str:
    import re

    first = text.splitlines()[0] if text else text
    return re.sub(r"^.*?:\d+:\d+: ", "", first, count=1)


def _has_nargout_parameter(fn) -> bool:
    """Whether a registry function takes ``nargout`` (a parameter of that name in its signature)."""
    import inspect

    try:
        return "nargout" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _registered(entry):
    fn = entry.function
    name = entry.name
    if getattr(entry, "base", False):
        aware = getattr(entry, "nargout_aware", False)

        def base_fn(*args, nargout: int = 1):
            a = _expand(args)
            if aware:
                return fn(*a, nargout=nargout)
            out = fn(*a)
            if nargout > 1 or len(entry.outputs) > 1:
                outs = list(out) if isinstance(out, tuple) else [out]
                return _shape_outputs(outs, max(nargout, 1))
            return out

        base_fn.__name__ = name
        base_fn.__doc__ = fn.__doc__
        return base_fn

    aware = getattr(entry, "nargout_aware", False)
    several = len(entry.outputs) > 1
    has_outputs = bool(entry.outputs)
    takes_nargout = []          # whether fn has a nargout parameter (its signature, read at the first call)

    def toolbox_fn(*args, nargout: int = 1):
        pyargs = []                 # [to_py(a) for a in _expand(args)], project objects and text as they are
        for a in args:
            t = type(a)
            if t is str or _PY_AS_IS.get(t):
                pyargs.append(a)
            elif t is np.ndarray:           # to_py's first cases, inline: arrays and unboxed whole numbers
                pyargs.append(_access.array_to_py(a))
            elif t is int and -_EXACT < a < _EXACT:
                pyargs.append(a)
            elif isinstance(a, CsList):
                pyargs.extend(to_py(x) for x in a)
            else:
                pyargs.append(to_py(a))
        if not aware and not takes_nargout:
            takes_nargout.append(_has_nargout_parameter(fn))
        try:
            if aware:
                result = fn(*pyargs, nargout=nargout)
            elif takes_nargout[0]:
                result = fn(*pyargs, nargout=max(nargout, 1))
            else:
                result = fn(*pyargs)
        except MatlabRuntimeError:
            raise
        except LayerGraphError as exc:
            raise MatlabRuntimeError(str(exc), getattr(exc, "identifier", "") or "") from None
        if nargout == 0 and result is not None and not isinstance(result, tuple):
            # a statement without outputs (legend(...), plot(...)): a result MATLAB code cannot hold
            # (a graphics object of the figure layer) is not an error, as in the interpreter
            try:
                return _to_matlab(result)
            except LayerGraphError:
                return None
        if not has_outputs:
            return None if result is None else _to_matlab(result)
        if nargout > 1 or several:
            if nargout > 1 and type(result) is tuple and len(result) == nargout:
                for o in result:        # the outputs asked for, each a MATLAB value already: the tuple itself
                    if not _AS_MATLAB.get(type(o)):
                        break
                else:
                    return result
            outs = [o if _AS_MATLAB.get(type(o)) else _to_matlab(o)
                    for o in (result if isinstance(result, tuple) else (result,))]
            if nargout > 1 and len(outs) >= nargout:
                return tuple(outs[:nargout]) if len(outs) > nargout else tuple(outs)
            return _shape_outputs(outs, max(nargout, 1))
        return result if _AS_MATLAB.get(type(result)) else _to_matlab(result)

    toolbox_fn.__name__ = name
    toolbox_fn.__doc__ = fn.__doc__
    if getattr(entry, "evaluator", False):
        return _evaluator(entry, toolbox_fn)
    return toolbox_fn


def _evaluator(entry, general):
    """``dlfeval(@modelLoss, net, X, T)`` in a translated program: the program's own function gets the
    program's values as they are (dlarrays traced by the registry function) and its outputs come back as
    they are. The general path converts every argument to the API's form and back (two copies of each
    array, and a class change for integer arrays); it remains for anything else."""
    fn = entry.function

    def evaluator_fn(*args, nargout: int = 1):
        if args and type(args[0]) is types.FunctionType and all(map(_access.reaches_function_as_is, args[1:])):
            try:
                return fn(*args, nargout=nargout)
            except MatlabRuntimeError:
                raise
            except LayerGraphError as exc:
                raise MatlabRuntimeError(str(exc), getattr(exc, "identifier", "") or "") from None
        return general(*args, nargout=nargout)

    evaluator_fn.__name__ = entry.name
    evaluator_fn.__doc__ = fn.__doc__
    return evaluator_fn


def _builtin(name: str, b):
    def builtin_fn(*args, nargout: int = 1):
        interp, node = _shim()
        try:
            outs = b(interp, _expand(args), nargout, node)
        except MatlabRuntimeError:
            raise
        except MatlabPortError as exc:
            raise MatlabRuntimeError(_strip_location(str(exc))) from None
        if nargout == 0:
            return outs[0] if outs else None
        return _shape_outputs(list(outs), nargout)

    builtin_fn.__name__ = name
    return builtin_fn


def _layer(name: str, cls):
    def layer_fn(*args, nargout: int = 1):
        try:
            return LayerArr.row([cls(*[to_py(a) for a in _expand(args)])])
        except LayerGraphError as exc:
            raise MatlabRuntimeError(str(exc)) from None

    layer_fn.__name__ = name
    layer_fn.__doc__ = cls.__doc__
    return layer_fn


_CACHE: dict = {}


def function(name: str):
    """The MATLAB function ``name`` as a Python callable ``f(*args, nargout=1)``; MATLAB's
    'Undefined function' error if there is none."""
    fn = _CACHE.get(name)
    if fn is not None:
        return fn
    from ..layers.base import REGISTRY

    entry = FUNCTIONS.get(name)
    if entry is not None:
        fn = _registered(entry)
    elif name in REGISTRY:
        fn = _layer(name, REGISTRY[name])
    else:
        from .builtins import BUILTINS

        b = BUILTINS.get(name)
        if b is None:
            raise MatlabRuntimeError(f"Undefined function '{name}' for input arguments of type 'double'.",
                                     "MATLAB:UndefinedFunction")
        fn = _builtin(name, b)
    _CACHE[name] = fn
    return fn


def exists(name: str) -> bool:
    """Whether ``name`` is a MATLAB function this namespace offers."""
    try:
        function(name)
        return True
    except MatlabRuntimeError:
        return False


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    matlab = name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name
    try:
        fn = function(matlab)
    except MatlabRuntimeError:
        raise AttributeError(f"module 'layergraph.matlab.lang' has no MATLAB function '{matlab}'") from None
    if name not in _BUILTIN_NAMES:  # the next ml.<name> is a plain module attribute (never one that would
        globals()[name] = fn        # shadow a Python builtin this module's own code calls: max, sum, abs...)
    return fn


_BUILTIN_NAMES = frozenset(dir(builtins))


def python_name(matlab_name: str) -> str:
    """How ``ml.<name>`` spells a MATLAB function name (keywords get a trailing underscore)."""
    return matlab_name + "_" if keyword.iskeyword(matlab_name) or keyword.issoftkeyword(matlab_name) else matlab_name


# ---- errors, display, stubs --------------------------------------------------------------------------


def error(*args):
    """MATLAB's ``error(msg)`` / ``error(fmt, args...)`` / ``error(id, fmt, args...)``."""
    texts = [str(a) if isinstance(a, str) else a for a in args]
    if not texts:
        raise MatlabRuntimeError("Not enough input arguments.", "MATLAB:narginchk:notEnoughInputs")
    if isinstance(args[0], Struct):
        f = args[0].fields
        raise MatlabRuntimeError(str(f.get("message", "")), str(f.get("identifier", "")))
    identifier = ""
    if len(args) >= 2 and isinstance(args[0], str) and ":" in str(args[0]) and " " not in str(args[0]) \
            and not str(args[0]).endswith(":"):
        identifier, args = str(args[0]), args[1:]
    if len(args) == 1:
        message = str(args[0])
        if identifier:
            message = _sprintf(message)
    else:
        message = _sprintf(*args)
    raise MatlabRuntimeError(message, identifier)


def _sprintf(fmt, *args):
    try:
        out = function("sprintf")(fmt, *args)
        return str(out)
    except MatlabRuntimeError:
        raise
    except Exception:  # noqa: BLE001 - without sprintf, the format text itself
        return str(fmt)


def show(name: str, value) -> None:
    """Display ``name = value`` as MATLAB does for a statement without a semicolon (the function the
    interpreter calls)."""
    try:
        from .runtime import display_value
    except ImportError:  # the display module is not there yet: a plain rendering
        print(f"{name} =\n\n{v(value)!r}\n")
        return
    display_value(name, v(value))


def stub(name: str, where: str):
    """A function the translator found nowhere (registry, script, --path): calling it raises the
    project's error naming the MATLAB function and where the script calls it."""

    def missing(*args, nargout: int = 1, where: str = where):
        raise MatlabRuntimeError(f"Undefined function '{name}' ({where}): layergraph port found no definition "
                                 "(not in the registry of MATLAB functions, the script, or --path).",
                                 "MATLAB:UndefinedFunction")

    missing.__name__ = name
    missing.matlab_stub = True
    return missing


def nargchk(nargin: int, nparams: int, name: str) -> None:
    """Too many inputs to a translated function."""
    if nargin > nparams:
        raise MatlabRuntimeError("Too many input arguments.", "MATLAB:TooManyInputs")


def outputs(name: str, values: dict, names, nargout: int):
    """The outputs of a translated function: the first ``max(nargout, 1)`` of ``names`` (``varargout``
    expands), MATLAB's error for one that was not assigned."""
    want = max(nargout, 1)
    out = []
    for o in names:
        if len(out) >= want:
            break
        if o == "varargout":
            vo = values.get("varargout")
            if isinstance(vo, Cell):
                out.extend(vo.items()[: want - len(out)])
            continue
        if values.get(o) is None:
            if nargout == 0 and not out:
                return None
            raise MatlabRuntimeError(f"Output argument \"{o}\" (and possibly others) not assigned a value in the "
                                     f"execution with \"{name}\" function.", "MATLAB:unassignedOutputs")
        x = values[o]
        out.append(x if type(x) in _UNBOXED_AS_IS else v(x))
    if nargout > len(out) or (nargout > 1 and len(out) < nargout):
        raise MatlabRuntimeError("Too many output arguments.", "MATLAB:maxlhs")
    if nargout <= 1:
        return out[0] if out else None
    return tuple(out[:nargout])


def returns(name: str, names, nargout: int, *values):
    """The outputs of a translated function whose outputs are all assigned when it ends (the translator
    proved it): the same as :func:`outputs` of those values, without a dict of the function's locals."""
    if nargout == len(values) > 1 and all(map(_RETURNED_AS_IS.__contains__, map(type, values))):
        return values               # every output asked for, each a value v() leaves alone (and not None)
    want = nargout if nargout > 1 else 1
    if want <= len(values):
        if want == 1:
            x = values[0]
            if x is not None:
                return x if type(x) in _UNBOXED_AS_IS else v(x)
        else:
            out = []
            for x in values[:want]:
                if x is None:
                    break
                out.append(x if type(x) in _UNBOXED_AS_IS else v(x))
            else:
                return tuple(out)
    return outputs(name, dict(zip(names, values)), names, nargout)


def loaded(data, name: str, current, where: str = ""):
    """After ``load(file)`` without outputs: the variable ``name`` from the loaded struct, else its value
    before the load; a name defined nowhere stays MATLAB's undefined function (an error when called)."""
    if isinstance(data, Struct) and name in data.fields:
        return data.fields[name]
    if current is None:
        return stub(name, where)
    return current


def varargin(args) -> Cell:
    """The ``varargin`` cell of a translated function."""
    return Cell.row([v(a) for a in args])


def matlab_error(exc):
    """The error as MATLAB reports it: the shared semantics' messages in MATLAB's words and identifiers
    (the wording ``layergraph run`` uses)."""
    if isinstance(exc, MatlabRuntimeError) and not exc.stack and exc.text is None:
        from .runtime import matlab_wording

        exc.message, exc.identifier = matlab_wording(exc.message, exc.identifier)
        exc.args = (exc.message,)
    return exc


def main(script) -> None:
    """Run a translated script as ``python prog.py`` does: a MATLAB error ends it with MATLAB's message."""
    import sys

    try:
        script()
    except MatlabRuntimeError as exc:
        exc = matlab_error(exc)
        print(f"Error: {exc.message}", file=sys.stderr)
        sys.exit(1)


def exception(exc) -> Struct:
    """The ``ME`` of ``catch ME`` (its ``message`` and ``identifier``)."""
    exc = matlab_error(exc)
    try:
        from .runtime import MException

        return MException.from_error(exc)
    except ImportError:
        if isinstance(exc, MatlabRuntimeError):
            return Struct({"message": exc.message, "identifier": exc.identifier})
        return Struct({"message": str(exc), "identifier": ""})


def workspace(names: dict, renamed: dict | None = None) -> dict:
    """The MATLAB workspace of a translated program (its local variables: unboxed scalars boxed again,
    translator temporaries and variables never assigned left out, renamed names under their MATLAB name)."""
    renamed = renamed or {}
    out = {}
    for k, x in names.items():
        if k.startswith("_") or x is None or k in ("nargin", "nargout") or getattr(x, "matlab_stub", False):
            continue
        if k == "varargin" and isinstance(x, tuple):
            continue
        name = renamed.get(k, k[:-1] if k.endswith("_") and (keyword.iskeyword(k[:-1]) or k[:-1] in _RESERVED)
                          else k)
        out[name] = v(x)
    return out


_RESERVED = frozenset({"ml", "np", "float", "int", "range", "len", "locals", "map", "None", "True", "False",
                       "nargout", "nargin", "print", "isinstance", "tuple", "list", "dict", "str", "object",
                       "script", "main", "lambda", "type", "math"})


__all__ = [
    "C", "v", "matrix", "empty", "string", "index", "brace", "field", "end", "set_index", "set_brace", "setfield", "assign",
    "plus", "minus", "times", "mtimes", "rdivide", "mrdivide", "ldivide", "mldivide", "power", "mpower", "and_",
    "or_", "not_", "uminus", "uplus", "ctranspose", "transpose", "eq", "ne", "lt", "le", "gt", "ge", "truth",
    "sc", "lg", "colon", "frange", "columns", "switch", "brackets", "row", "cellarray", "args", "call", "handle",
    "function", "exists", "python_name", "error", "show", "stub", "outputs", "varargin", "exception",
    "workspace", "num", "math", "matlab_error", "main", "loaded", "sdiv", "spow", "irange", "count_args", "outs", "ssqrt", "count", "count_dim", "count_to", "member", "MatlabError",
    "scalar_value", "index_span", "sfloor", "sceil", "sfix", "returns",
]
