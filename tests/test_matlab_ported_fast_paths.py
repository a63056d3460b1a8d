"""The ported program's cheap common cases (issue 15, item 7) keep MATLAB's semantics and errors.

Each fast path of the MATLAB-language namespace (``layergraph.matlab.lang``), the shared semantics and the
access boundary is checked against the general path it shortcuts, or against a NumPy reference, or by the
differential oracle (the interpreter and the emitted program leave the same workspace).
"""

from __future__ import annotations

import builtins
import re

import numpy as np
import pytest

import layergraph.matlab.lang as ml
from layergraph.errors import MatlabRuntimeError
from layergraph.functions import MatlabFunction, call_function
from layergraph.matlab import access
from layergraph.matlab import semantics as S
from layergraph.matlab.values import Cell, CsList
from matlab_differential import compare, translated


# ---- registry calls: nargout from the function's signature, conversions by type --------------------------


def _entry(fn, **kw):
    return MatlabFunction("probe", fn, outputs=kw.pop("outputs", ("a", "b")), **kw)


def test_a_registry_function_with_a_nargout_parameter_gets_each_calls_nargout():
    seen = []

    def probe(x, nargout=1):
        seen.append(nargout)
        return tuple(range(nargout)) if nargout > 1 else 7.0

    fn = ml._registered(_entry(probe))
    assert fn(1.0, nargout=2) == (np.array([[0.0]]), np.array([[1.0]]))
    assert fn(1.0, nargout=3) is not None
    one = fn(1.0)
    assert seen == [2, 3, 1] and one.shape == (1, 1) and one[0, 0] == 7.0   # the signature is read once,
    # the nargout of every call is passed


def test_a_registry_function_without_nargout_never_receives_it():
    def probe(x, y=None):
        return x, 5

    fn = ml._registered(_entry(probe))
    a, b = fn(2.0, nargout=2)
    assert a[0, 0] == 2.0 and b[0, 0] == 5.0
    with pytest.raises(MatlabRuntimeError, match="Too many output arguments"):
        fn(2.0, nargout=3)


def test_project_objects_pass_the_boundary_as_themselves_and_arrays_are_copied():
    from layergraph import dlarray
    from layergraph.values import table

    got = []

    def probe(*args):
        got.extend(args)
        return args[0]

    fn = ml._registered(_entry(probe, outputs=("out",)))
    X = dlarray(np.ones((2, 3), dtype=np.float32), "CB")
    A = np.arange(6.0).reshape(2, 3)
    t = table(np.array([[1.0], [2.0]]), VariableNames=["x"])
    assert fn(X, A, t, "SSCB", 3.0) is X                   # a dlarray result is the same object
    assert got[0] is X and got[2] is t and got[3] == "SSCB"
    assert got[1] is not A and np.array_equal(got[1], A)  # MATLAB's value semantics: the callee gets a copy
    assert got[4] == 3 and type(got[4]) is int            # a whole scalar double as the Python API takes it
    got.clear()
    fn(CsList([1.0, "a"]), 2.0)                            # comma-separated lists expand
    assert got == [1, "a", 2]


def test_arrays_a_registry_function_returns_are_copies_and_objects_are_not():
    kept = np.zeros((2, 2))

    fn = ml._registered(_entry(lambda: kept, outputs=("out",)))
    out = fn()
    assert out is not kept and np.array_equal(out, kept)
    for value in (Cell.row([1.0]), "text", ml.string("s")):
        assert ml._to_matlab(value) is value
    assert access.passes_as_matlab(Cell.row([1.0])) and not access.passes_as_matlab(kept)
    assert not access.passes_as_matlab(3.0) and not access.passes_as_matlab(None)
    assert ml._to_matlab(None).shape == (0, 0) and ml._to_matlab(True).dtype == bool


def test_translated_functions_called_by_handle_get_nargout_and_plain_callables_do_not():
    def with_nargout(a, nargout=1):
        return (a, nargout) if nargout > 1 else a

    def plain(a):
        return a, a

    for _ in range(2):                                     # the second call reads the cached answer
        assert call_function(with_nargout, 1, nargout=2) == (1, 2)
        assert call_function(plain, 1, nargout=2) == (1, 1)


def test_namespace_attributes_are_cached_without_shadowing_python_builtins():
    assert ml.numel is ml.function("numel")
    assert "numel" in vars(ml)                             # a plain module attribute after the first use
    assert ml.max is ml.function("max") and ml.sum is ml.function("sum")
    assert vars(ml).get("max") is None and vars(ml).get("sum") is None
    assert set(vars(ml)) & set(dir(builtins)) <= {"__name__", "__doc__", "__package__", "__loader__", "__spec__",
                                                  "__build_class__", "__import__"}
    # lang's own code still calls Python's max: outputs() of a translated function
    assert ml.outputs("f", {"a": 1.0, "b": 2.0}, ("a", "b"), 2)[1][0, 0] == 2.0


def test_field_names_are_checked_every_time():
    assert access.check_field_name("Learnables") == "Learnables"
    assert access.check_field_name("Learnables") == "Learnables"
    for bad in ("__class__", "1a", "a-b", "x" * 64):
        with pytest.raises(access.MatlabAccessError, match="Invalid field name"):
            access.check_field_name(bad)
    with pytest.raises(MatlabRuntimeError):
        ml.setfield(ml.Struct(), "_x", 1.0)


def test_properties_read_through_the_property_and_methods_are_never_returned():
    from layergraph import dlnetwork, featureInputLayer, fullyConnectedLayer

    net = dlnetwork([featureInputLayer(3), fullyConnectedLayer(2)])
    L = ml.field(net, "Learnables")
    assert [str(x) for x in L.Parameter.reshape(-1)] == ["Weights", "Bias"]
    with pytest.raises(MatlabRuntimeError):
        ml.field(net, "parameters")                       # a Python method of the module: not a property


# ---- indexing ---------------------------------------------------------------------------------------------


def _reference_take(arr, subs):
    """MATLAB's A(s1, ..., sk) for k == ndim, subscripts 1-based vectors or ':' (NumPy's np.ix_)."""
    pos = [np.arange(d) if s is ml.C else np.asarray(s, dtype=np.int64).reshape(-1) - 1
           for s, d in zip(subs, arr.shape)]
    return arr[np.ix_(*pos)]


@pytest.mark.parametrize("order", ["C", "F"])
def test_colon_subscripts_with_one_index_vector_take_what_matlab_takes(order):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.random((4, 3, 2, 9)).astype(np.float32), order=order)
    batch = np.array([[9.0, 1.0, 4.0, 4.0]])
    for subs in [(ml.C, ml.C, ml.C, batch), (ml.C, np.array([[3.0, 1.0]]), ml.C, ml.C),
                 (np.array([[2.0]]), ml.C, ml.C, ml.C), (ml.C, ml.C, ml.C, ml.C),
                 (np.array([[1.0, 2.0]]), np.array([[3.0]]), ml.C, batch)]:
        got = ml.index(X, *subs)
        want = _reference_take(X, subs)
        assert got.dtype == np.float32 and got.shape == want.shape and np.array_equal(got, want)
        got[...] = -1                                      # a new array, never a view of X
        assert X.min() >= 0
    assert ml.index(X, ml.C, ml.C, ml.C, np.array([[True] + [False] * 8])).shape == (4, 3, 2)


@pytest.mark.parametrize("bad, message", [
    (0.0, "array indices must be positive integers (got 0)"),
    (1.5, "array indices must be positive integers (got 1.5)"),
    (np.nan, "array indices must be positive integers (got NaN)"),
    (-2.0, "array indices must be positive integers (got -2)"),
    (10.0, "index exceeds the number of array elements: index 10, but the dimension has 9"),
])
def test_bad_subscripts_keep_their_errors(bad, message):
    X = np.zeros((2, 2, 1, 9))
    with pytest.raises(MatlabRuntimeError) as err:
        ml.index(X, ml.C, ml.C, ml.C, np.array([[1.0, bad]]))
    assert str(err.value).startswith(message)
    with pytest.raises(MatlabRuntimeError, match=re.escape("positive integers (got 0.5)")):
        ml.index(np.zeros((1, 5)), np.array([[2.0, 0.5]], dtype=np.float32))


def test_integer_typed_subscripts_index_as_doubles_do():
    v = np.arange(10.0).reshape(1, -1)
    for dtype in (np.uint8, np.int32, np.float32):
        assert np.array_equal(ml.index(v, np.array([[3, 1]], dtype=dtype)), np.array([[2.0, 0.0]]))
    with pytest.raises(MatlabRuntimeError, match="positive integers"):
        ml.index(v, np.array([[0]], dtype=np.int8))


VALUES = {
    "row": np.arange(1.0, 8.0).reshape(1, -1),
    "column": np.arange(1.0, 8.0).reshape(-1, 1),
    "matrix": np.arange(12.0).reshape(3, 4),
    "scalar": np.array([[5.0]]),
    "logical": np.array([[True, False, True, True]]),
    "int8": np.array([[1, -2, 3]], dtype=np.int8),
    "single column": np.arange(4, dtype=np.float32).reshape(-1, 1),
    "text": "abcdef",
    "cell": Cell.row([1.0, "a", 2.0]),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_index_span_is_index_of_a_range(name):
    base = VALUES[name]
    for a, b in [(1, 1), (2, 3), (1.0, 3.0), (2, 1), (3, 2.5), (0, 2), (2, 99), (1.5, 3), (-1, 1), (float("nan"), 2)]:
        try:
            want = ml.index(base, ml.colon(a, b))
        except MatlabRuntimeError as exc:
            with pytest.raises(MatlabRuntimeError) as err:
                ml.index_span(base, a, b)
            assert str(err.value) == str(exc)
            continue
        got = ml.index_span(base, a, b)
        assert type(got) is type(want)
        if isinstance(want, np.ndarray):
            assert got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want)
        elif isinstance(want, Cell):
            assert got.a.shape == want.a.shape and list(got.a.reshape(-1)) == list(want.a.reshape(-1))
        else:
            assert got == want


def test_index_span_copies():
    v = np.arange(1.0, 6.0).reshape(1, -1)
    part = ml.index_span(v, 2, 4)
    part[0, 0] = 100.0
    assert v[0, 1] == 2.0


def test_the_translator_slices_ranges_and_keeps_floor_of_scalars_unboxed():
    python = translated("n = floor(7 / 2);\nv = 1:10;\nfor i = 1:n\n  w = v((i-1)*2+1 : i*2);\nend\n"
                        "x = v(3:end);\n")
    assert "ml.sfloor(" in python and "ml.irange(1, n)" in python
    assert "ml.index_span(v, " in python and python.count("ml.index_span(") == 2


PROGRAMS = {
    "spans": """
v = [4 8 15 16 23 42];
w = v';
n = floor(numel(v) / 4);
for i = 1:n
    a = v((i-1)*2+1 : i*2);
    b = w(i:i+1);
end
c = v(2:end);
d = v(4:3);
e = w(5:4);
t = 'matlab';
u = t(2:4);
m = magic(4);
f = m(3:6);
k = int8([1 2 3]);
g = k(2:3);
h = v(1.0:2.0);
""",
    "rounding": """
a = floor(7 / 2);
b = ceil(-0.5);
inv = 1 / b;
c = fix(-7 / 2);
d = floor(1 / 0);
e = ceil(0 / 0);
f = fix(2.5) + floor(-2.5);
for i = 1:ceil(5 / 2)
    last = i;
end
""",
    "outputs": """
[a, b] = two(3);
c = two(4);
two(5);
function [x, y] = two(u)
    x = [u u];
    y = numel(x) + u;
end
""",
    "unassigned output": """
[p, q] = maybe(0.5);
function [p, q] = maybe(u)
    p = u;
    if u > 1
        q = 2;
    end
end
""",
    "handles given to the API": """
y = dlfeval(@(x) x * 2, [1 2 3]);
sz = dlfeval(@(x) size(x), [1 2 3]);
one = dlfeval(@(x) x + 1, 3);
[a, b] = dlfeval(@twoOut, [4; 5], 'ab');
s = dlfeval(@sin, [0 1]);
function [p, q] = twoOut(u, t)
    p = u';
    q = [t, 'c'];
end
""",
    "handles called by the update functions": """
net = dlnetwork([featureInputLayer(3, 'Normalization', 'none'), fullyConnectedLayer(2)]);
net2 = dlupdate(@(w) w * 0 + 1, net);
v = extractdata(net2.Learnables.Value{1});
s = sum(v(:));
x0 = dlarray([1; 2]);
f = @(x) dlfeval(@q, x);
x1 = extractdata(lbfgsupdate(x0, f, lbfgsState));
function [l, g] = q(x)
    l = sum(x .^ 2, 'all');
    g = dlgradient(l, x);
end
""",
    "span errors": """
v = [1 2 3];
try
    x = v(2:5);
catch err
    id = err.identifier;
end
try
    y = v(0:1);
catch err2
    id2 = err2.identifier;
end
""",
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_programs_leave_the_interpreters_workspace(name):
    same, why = compare(PROGRAMS[name])
    assert same, why


def test_ceil_of_a_small_negative_is_negative_zero_as_in_matlab():
    namespace: dict = {}
    exec(compile(translated("b = ceil(-0.5);\ninv = 1 / b;\n"), "snippet.py", "exec"), namespace)
    ws = namespace["script"]()
    assert ws["inv"][0, 0] == -np.inf


def test_whole_positions_refuse_what_matlab_refuses():
    pos, top = S._whole_positions(np.array([3.0, 1.0]))
    assert np.array_equal(pos, [2, 0]) and top == 3
    pos, top = S._whole_positions(np.array([], dtype=np.float64))
    assert pos.dtype == np.int64 and pos.size == 0 and top == 0
    pos, top = S._whole_positions(np.array([2.0 ** 60]))                 # beyond 2^53: still whole
    assert np.array_equal(pos, [2 ** 60 - 1]) and top == 2 ** 60
    pos, top = S._whole_positions(np.array([4, 2], dtype=np.uint8))
    assert np.array_equal(pos, [3, 1]) and top == 4
    for bad in ([0.0], [1.0, np.nan], [2.5], [-np.inf], [3.0, 2.0 ** 51 + 0.5]):
        assert S._whole_positions(np.array(bad, dtype=np.float64)) == (None, None)


@pytest.mark.parametrize("size", [4, 300])                 # Python's checks for a few, numpy's for many
def test_subscript_checks_agree_for_few_and_many_subscripts(size):
    good = np.arange(size, 0, -1, dtype=np.float64)
    pos, top = S._whole_positions(good)
    assert np.array_equal(pos, good.astype(np.int64) - 1) and top == size and pos.dtype == np.int64
    for bad in (np.nan, 0.5, 0.0, -3.0, -np.inf):
        arr = good.copy()
        arr[size // 2] = bad
        assert S._whole_positions(arr) == (None, None)
    arr = np.zeros((1, 400))
    messages = set()
    for n in (4, 300):                                     # Inf: the same error for few and many subscripts
        sub = np.arange(1.0, n + 1).reshape(1, -1)
        sub[0, -1] = np.inf
        with pytest.raises(MatlabRuntimeError) as err, np.errstate(invalid="ignore"):
            ml.index(arr, sub)
        messages.add(str(err.value).split(":")[0])
    assert len(messages) == 1
    single = good.astype(np.float32)
    assert np.array_equal(S._whole_positions(single)[0], pos)


def test_functions_sharing_code_share_the_nargout_answer_and_wrappers_are_asked_each_time():
    import functools

    makers = [lambda a, nargout=1: (a, nargout) for _ in range(3)]
    assert all(call_function(f, 1, nargout=2) == (1, 2) for f in makers)

    def inner(a):
        return a, a

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        return inner(*args)

    assert call_function(wrapper, 3, nargout=2) == (3, 3)   # the signature of inner: no nargout


def test_arrays_handed_to_the_api_are_copies_in_their_own_memory_order():
    F = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    got = ml.to_py(F)
    assert got is not F and not np.shares_memory(got, F) and np.array_equal(got, F)
    assert got.flags["F_CONTIGUOUS"]                        # the layout a Python caller's array would have
    C = np.arange(12.0).reshape(3, 4)
    assert ml.to_py(C).flags["C_CONTIGUOUS"] and ml.to_py(np.array([[2.0, 3.0]])) == [2, 3]


def test_functions_whose_outputs_are_always_assigned_return_them_without_locals():
    python = translated("""[a, b] = two(3);
c = two(4);
function [x, y] = two(u)
    x = [u u];
    [y, ~] = size(x);
end
function [p, q] = maybe(u)
    p = u;
    if u > 1
        q = 2;
    end
end
function r = early(u)
    r = u;
    return
end
function varargout = many(u)
    varargout{1} = u;
end
""")
    assert "return ml.returns('two', ('x', 'y'), nargout, x, y)" in python
    for name in ("maybe", "early", "many"):
        assert f"return ml.outputs({name!r}, locals()" in python


def test_returns_is_outputs_of_the_same_values():
    arr = np.arange(4.0).reshape(2, 2)
    names = ("a", "b", "c")
    for nargout in (0, 1, 2, 3, 4):
        for values in ((arr, 2.0, "t"), (arr, None, "t"), (None, 1.0, 2.0), (3, arr, True)):
            try:
                want = ml.outputs("f", dict(zip(names, values)), names, nargout)
            except MatlabRuntimeError as exc:
                with pytest.raises(MatlabRuntimeError) as err:
                    ml.returns("f", names, nargout, *values)
                assert (err.value.identifier, str(err.value)) == (exc.identifier, str(exc))
                continue
            got = ml.returns("f", names, nargout, *values)
            assert type(got) is type(want)
            for g, w in zip(got if isinstance(got, tuple) else [got], want if isinstance(want, tuple) else [want]):
                assert type(g) is type(w) and (g is w or np.array_equal(g, w) or g == w)



def test_a_program_function_given_to_the_api_is_the_function_again_when_read_back():
    from layergraph.matlab.values import ProgramFunction

    def f(x, nargout=1):
        return ml.size(x)

    wrapped = ml.to_py(f)
    assert isinstance(wrapped, ProgramFunction) and ml._to_matlab(wrapped) is f
    assert wrapped([1, 2, 3]) == [1, 3]              # MATLAB values in (a 1x3 row), the API's form out


def test_unboxed_numbers_reach_the_api_as_the_interpreter_hands_them():
    from layergraph.matlab.interp import Interpreter

    interp, node = ml._shim()
    assert isinstance(interp, Interpreter)
    for x in (5, -7, 2 ** 60, 3.0, 2.5, True, float("nan"), 2.0 ** 60):
        got, want = ml.to_py(x), interp.to_py(ml.v(x), node)
        assert type(got) is type(want) and (got == want or (got != got and want != want))


def test_arrays_from_the_api_are_copies_whatever_their_memory_order():
    F = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    got = ml._to_matlab(F)
    assert got is not F and not np.shares_memory(got, F) and np.array_equal(got, F) and got.dtype == np.float32


def test_infinite_subscripts_are_not_whole_numbers():
    for bad in ([np.inf], [1.0, np.inf], [np.inf] * 300):
        assert S._whole_positions(np.array(bad, dtype=np.float64)) == (None, None)


def test_a_subscript_array_is_checked_once_and_kept_read_only(monkeypatch):
    from layergraph.values import subscripts

    calls = []
    check = subscripts.whole_positions
    monkeypatch.setattr(subscripts, "whole_positions", lambda flat: calls.append(flat.size) or check(flat))
    X = np.arange(2.0 * 3 * 5).reshape(2, 3, 5, order="F")
    labels = np.arange(10.0, 15.0).reshape(-1, 1)
    batch = ml.index_span(np.array([[4.0, 2.0, 5.0, 1.0]]), 1, 3)          # [4 2 5], an array of its own
    images = ml.index(X, ml.C, ml.C, batch)
    picked = ml.index(labels, batch)
    assert np.array_equal(images, X[:, :, [3, 1, 4]]) and np.array_equal(picked, [[13.0], [11.0], [14.0]])
    assert calls == [3]                                    # the second use of the same array: not checked again
    assert not batch.flags.writeable                        # no Python code can change it behind the answer
    with pytest.raises(ValueError):
        batch[0, 0] = 1.0
    same_values = batch.copy()                              # another array with the same values: checked
    assert np.array_equal(ml.index(labels, same_values), picked) and calls == [3, 3]
    view = np.array([[1.0, 2.0, 3.0]])[:, :2]               # a view (its base could change): never kept
    ml.index(labels, view)
    ml.index(labels, view)
    assert calls == [3, 3, 2, 2] and view.flags.writeable
    with pytest.raises(MatlabRuntimeError, match="index exceeds"):   # the kept answer still meets each bound
        ml.index(np.zeros((1, 4)), batch)


def test_one_subscript_among_colons_takes_along_its_dimension_like_the_general_rule():
    A = np.arange(1.0, 2 * 3 * 4 + 1).reshape(2, 3, 4, order="F")
    for subs, want in [
        ((ml.C, ml.C, np.array([[4.0, 1.0]])), A[:, :, [3, 0]]),
        ((ml.C, np.array([[3.0], [3.0]]), ml.C), A[:, [2, 2], :]),
        ((np.array([[2.0]]), ml.C, ml.C), A[[1], :, :]),
        ((ml.C, ml.C, np.array([[2.0]])), A[:, :, 1]),                # trailing singleton dropped: 2x3
        ((ml.C, ml.C, np.array([[1.0, 2.0], [3.0, 4.0]])), A[:, :, [0, 2, 1, 3]]),   # a matrix: column-major
        ((ml.C, ml.C, np.zeros((1, 0))), A[:, :, []]),
    ]:
        got = ml.index(A, *subs)
        assert got.shape == want.shape and np.array_equal(got, want)
    assert np.array_equal(ml.index(A, ml.C, np.array([[False, True, True]]), ml.C), A[:, [1, 2], :])
    with pytest.raises(MatlabRuntimeError, match="index exceeds"):
        ml.index(A, ml.C, ml.C, np.array([[5.0]]))
    with pytest.raises(MatlabRuntimeError, match=re.escape("positive integers (got 1.5)")):
        ml.index(A, ml.C, np.array([[1.5]]), ml.C)


@pytest.mark.parametrize("shape", [(5, 1), (1, 5)])
def test_a_categorical_vector_indexed_by_a_vector_keeps_its_orientation(shape):
    from layergraph.values import categorical

    labels = categorical(np.array(["b", "a", "c", "a", "b"], dtype=object).reshape(shape))
    for sub in (np.array([[5.0, 1.0, 2.0]]), np.array([[5.0], [1.0], [2.0]]), np.array([[5, 1, 2]], dtype=np.int32)):
        got = ml.index(labels, sub)
        assert got.codes.shape == ((3, 1) if shape == (5, 1) else (1, 3))
        assert [str(x) for x in np.asarray(got).reshape(-1)] == ["b", "b", "a"]
    with pytest.raises(MatlabRuntimeError, match="must not exceed 5"):
        ml.index(labels, np.array([[6.0]]))
    with pytest.raises(MatlabRuntimeError, match="positive integers"):
        ml.index(labels, np.array([[0.0, 1.0]]))


def test_randperm_keeps_the_stable_order_of_tied_draws(monkeypatch):
    from layergraph.matlab.base import random as mrandom

    draws = np.array([0.5, 0.2, 0.5, 0.2, 0.9])
    monkeypatch.setattr(mrandom.STREAM, "uniform", lambda n: draws[:n].copy())
    assert np.array_equal(mrandom.randperm(5), [[2.0, 4.0, 1.0, 3.0, 5.0]])   # ties in order of their draws
    monkeypatch.setattr(mrandom.STREAM, "uniform", lambda n: np.array([0.3, 0.1, 0.2]))
    assert np.array_equal(mrandom.randperm(3), [[2.0, 3.0, 1.0]])


DLFEVAL_PROGRAMS = {
    # dlfeval hands its other arguments to the function (dlarrays traced): an int8 array stays int8
    "class kept": ("y = dlfeval(@(x) x + 3, int8([1 2]));\nc = class(y);\n",
                   {"y": np.array([[4, 5]], dtype=np.int8), "c": "int8"}),
    # y = sum(a x^2) with a = 2: dy/dx = 2 a x
    "gradient": ("x = dlarray([1 2 3]);\n[y, g] = dlfeval(@f, x, 2);\nyv = extractdata(y); gv = extractdata(g);\n"
                 "function [y, g] = f(x, a)\n  y = sum(a * x.^2);\n  g = dlgradient(y, x);\nend\n",
                 {"yv": np.array([[28.0]]), "gv": np.array([[4.0, 8.0, 12.0]])}),
    # a dlarray inside a cell or a struct is traced too (these take the API's form)
    "cell": ("c = {dlarray([1 2])};\ng = extractdata(dlfeval(@h, c));\n"
             "function g = h(c)\n  y = sum(c{1}.^2);\n  g = dlgradient(y, c{1});\nend\n",
             {"g": np.array([[2.0, 4.0]])}),
    "struct": ("s.x = dlarray([3 4]);\ng = extractdata(dlfeval(@h, s));\n"
               "function g = h(s)\n  y = sum(s.x.^2);\n  g = dlgradient(y, s.x);\nend\n",
               {"g": np.array([[6.0, 8.0]])}),
}


@pytest.mark.parametrize("name", list(DLFEVAL_PROGRAMS))
def test_dlfeval_gives_the_programs_function_its_values(name):
    from matlab_differential import execute, interpret

    text, want = DLFEVAL_PROGRAMS[name]
    for kind, ws in (("layergraph run", interpret(text)), ("layergraph port", execute(translated(text)))):
        assert ws[0] == "ok", (kind, ws)
        for var, value in want.items():
            got = ws[1][var]
            assert type(got) is type(value), (kind, var, got)
            if isinstance(value, np.ndarray):
                assert got.dtype == value.dtype and got.shape == value.shape, (kind, var, got)
                assert np.allclose(got, value), (kind, var, got)
            else:
                assert got == value, (kind, var, got)


def test_dlfeval_in_a_program_passes_arrays_without_copies():
    seen = []

    def model_loss(x, t, nargout=1):
        seen.append(t)
        return ml.plus(x, 1.0)

    T = np.arange(6.0).reshape(2, 3)
    out = ml.dlfeval(model_loss, np.array([[1.0]]), T)
    assert seen[0] is T and np.array_equal(out, [[2.0]])
    ml.dlfeval(model_loss, np.array([[1.0]]), Cell.row([T]))       # a cell: the general path (a copy inside)
    assert isinstance(seen[1], Cell) and seen[1].a[0, 0] is not T and np.array_equal(seen[1].a[0, 0], T)


def test_mini_batches_cut_from_randperm_need_no_subscript_check(monkeypatch):
    from layergraph.values import subscripts

    calls = []
    check = subscripts.whole_positions
    monkeypatch.setattr(subscripts, "whole_positions", lambda flat: calls.append(flat.size) or check(flat))
    ml.rng(3.0)
    idx = ml.randperm(10.0)
    order = idx.reshape(-1).astype(int)
    assert sorted(order.tolist()) == list(range(1, 11))
    labels = np.arange(101.0, 111.0).reshape(-1, 1)
    X = np.arange(3.0 * 10).reshape(3, 10)
    for start in (1, 5):
        batch = ml.index_span(idx, start, start + 3)                       # idx(start:start+3)
        assert np.array_equal(ml.index(X, ml.C, batch), X[:, order[start - 1:start + 3] - 1])
        assert np.array_equal(ml.index(labels, batch), labels[order[start - 1:start + 3] - 1])
    assert np.array_equal(ml.index(labels, idx), labels[order - 1])        # the permutation itself
    assert calls == []                                                      # none of them was checked
    # the largest of a part is known only as the permutation's (10) until a dimension is smaller
    small = np.arange(1.0, 8.0).reshape(1, -1)                             # 7 elements
    part = ml.index_span(idx, 1, 4)
    top = int(part.max())
    if top <= 7:
        assert np.array_equal(ml.index(small, part), small[:, order[:4] - 1])
    else:
        with pytest.raises(MatlabRuntimeError, match=f"index {top}, but the dimension has 7"):
            ml.index(small, part)
    tiny = np.arange(1.0, 3.0).reshape(1, -1)                              # 2 elements: some part exceeds it
    part = ml.index_span(idx, 7, 10)
    with pytest.raises(MatlabRuntimeError, match=f"index {int(part.max())}, but the dimension has 2"):
        ml.index(tiny, part)


def test_property_assignment_keeps_value_semantics_when_the_decision_is_kept():
    from layergraph import fullyConnectedLayer

    layer = fullyConnectedLayer(3, Name="fc")
    for k in range(3):                                     # the first call decides, the next ones reuse it
        renamed = ml.setfield(layer, "Name", f"fc{k}")
        assert renamed.Name == f"fc{k}" and layer.Name == "fc"      # a layer is a value: a copy changes
    with pytest.raises(MatlabRuntimeError, match="read-only property 'NumInputs'"):
        ml.setfield(layer, "NumInputs", 2.0)
    with pytest.raises(MatlabRuntimeError):
        ml.setfield(layer, "Name", 5.0)                     # the class still validates every value
    assert layer.Name == "fc"
