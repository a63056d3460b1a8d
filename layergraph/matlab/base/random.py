"""MATLAB's random numbers: one global generator shared by ``rng``, ``rand``, ``randn``, ``randi`` and
``randperm`` (MATLAB's default global stream), as plain functions over MATLAB values.

The generator is MATLAB's ``'twister'``: Mersenne Twister mt19937ar, doubles with 53 random bits
(``genrand_res53``), arrays filled in column-major order. ``rng(0)``/``rng('default')`` seed it with
mt19937ar's own default seed 5489 (MATLAB's seed 0), ``rng(n)`` for n > 0 with ``n`` (``init_genrand``).
With that, ``rand`` after ``rng default`` is MATLAB's stream (0.8147 0.9058 0.1270 ...), and so are
``randi`` (one uniform per integer: ``imin - 1 + ceil(u * (imax - imin + 1))``) and ``randperm(n)``
(the stable sort order of ``rand(1, n)``) — each tested against the outputs MathWorks documents.
``randn`` and ``randperm(n, k)`` use the same stream with other algorithms than MATLAB's (documented in
``docs/guide/random-and-files.md``): their numbers differ from MATLAB's.

``rng(seed)`` also seeds torch's global generator (``torch.manual_seed``), so weight initialisation and
shuffling in ``trainNetwork`` are reproducible under ``rng`` as they are in MATLAB (with other numbers).
"""

from __future__ import annotations

import time

import numpy as np

from ...functions import matlab_function
from ...values.subscripts import known_permutation
from ..values import Struct, num
from ._common import as_array, check_allocation, runtime_error, text_of

_MT_DEFAULT_SEED = 5489          # mt19937ar's default seed: what MATLAB's twister seed 0 means
_GENERATORS = ("twister", "simdTwister", "combRecursive", "multFibonacci", "philox", "threefry",
               "v4", "v5uniform", "v5normal")


class _GlobalStream:
    """MATLAB's global random stream: the generator type, the seed it was set with and the MT state."""

    def __init__(self):
        self.reset(0)

    def reset(self, seed: int) -> None:
        self.type = "twister"
        self.seed = int(seed)
        self.mt = np.random.RandomState(_MT_DEFAULT_SEED if seed == 0 else int(seed))

    def reset_startup(self, seed: int = 0) -> None:
        """The stream as MATLAB starts (``rng default``), without touching torch's generator."""
        self.reset(seed)

    def uniform(self, n: int) -> np.ndarray:
        return self.mt.random_sample(n)


STREAM = _GlobalStream()


def _seed_torch(seed: int) -> None:
    import torch

    torch.manual_seed(int(seed))


def _settings() -> Struct:
    """``s = rng``: a struct with Type, Seed and State (625x1 uint32: the 624 MT words and the position)."""
    _, key, pos, _, _ = STREAM.mt.get_state(legacy=True)
    state = np.concatenate([np.asarray(key, dtype=np.uint32), np.asarray([pos], dtype=np.uint32)]).reshape(-1, 1)
    return Struct({"Type": STREAM.type, "Seed": num(STREAM.seed), "State": state})


def _field(s, name):
    if isinstance(s, Struct):
        return s.fields.get(name)
    if isinstance(s, dict):
        return s.get(name)
    return None


def _restore(s) -> None:
    kind = text_of(_field(s, "Type"))
    seed = _field(s, "Seed")
    state = _field(s, "State")
    if kind != "twister" or seed is None or state is None:
        raise runtime_error("MATLAB:rng:badSettings",
                            "The settings structure must have the fields Type ('twister'), Seed and State, "
                            "as returned by rng.")
    words = np.asarray(as_array(state)).reshape(-1)
    if words.size != 625:
        raise runtime_error("MATLAB:rng:badSettings", "The State field of a 'twister' settings structure must "
                                                      "have 625 elements.")
    STREAM.type = "twister"
    STREAM.seed = int(as_array(seed).reshape(-1)[0])
    STREAM.mt.set_state(("MT19937", words[:624].astype(np.uint32), int(words[624]), 0, 0.0))
    _seed_torch(STREAM.seed)


def _seed_value(v) -> int:
    a = as_array(v)
    if a.size != 1 or not np.isfinite(float(a.reshape(-1)[0])):
        raise runtime_error("MATLAB:rng:badSeed", "The seed must be a nonnegative integer less than 2^32.")
    x = float(a.reshape(-1)[0])
    if x != int(x) or x < 0 or x >= 2**32:
        raise runtime_error("MATLAB:rng:badSeed", "The seed must be a nonnegative integer less than 2^32.")
    return int(x)


@matlab_function("rng", outputs=("settings",), base=True, nargout_aware=True)
def rng(*args, nargout: int = 1):
    """MATLAB ``rng``: ``rng(seed)``, ``rng('default')``, ``rng('shuffle')``, ``rng(seed, 'twister')``,
    ``rng(s)``; ``s = rng(...)`` returns the settings before the change (``s = rng`` the current ones)."""
    previous = _settings()
    if not args:
        return previous if nargout >= 1 else None
    first = args[0]
    word = text_of(first)
    generator = text_of(args[1]) if len(args) > 1 else None
    if len(args) > 2:
        raise runtime_error("MATLAB:TooManyInputs", "Too many input arguments.")
    if generator is not None and generator != "twister":
        if generator in _GENERATORS:
            raise runtime_error("MATLAB:rng:generatorNotSupported",
                                f"rng: the '{generator}' generator is not available; layergraph implements "
                                "MATLAB's default generator, 'twister'.")
        raise runtime_error("MATLAB:rng:badGenerator", f"Unrecognized random number generator '{generator}'.")
    if word is not None:
        w = word.lower()
        if w == "default":
            STREAM.reset(0)
            _seed_torch(0)
        elif w == "shuffle":
            seed = int(time.time() * 1e6) % (2**32 - 1) + 1
            STREAM.reset(seed)
            _seed_torch(seed)
        elif word in _GENERATORS:
            raise runtime_error("MATLAB:rng:badSeed", "The seed must be a nonnegative integer less than 2^32; "
                                                      "give the generator after it: rng(seed, 'twister').")
        else:
            raise runtime_error("MATLAB:rng:badSeed", f"Unrecognized rng option '{word}'.")
    elif isinstance(first, (Struct, dict)):
        _restore(first)
    else:
        seed = _seed_value(first)
        STREAM.reset(seed)
        _seed_torch(seed)
    return previous if nargout >= 1 else None


# ---- sizes and classes ----------------------------------------------------------------------------

_INT_TYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
              "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64}
_FLOAT_TYPES = {"double": np.float64, "single": np.float32}


def _class_of(p) -> str:
    a = as_array(p)
    if a.dtype == np.float32:
        return "single"
    if a.dtype == bool:
        return "logical"
    for name, t in _INT_TYPES.items():
        if a.dtype == t:
            return name
    return "double"


def _split_class(fname: str, args, allowed) -> tuple[list, str]:
    """(size arguments, class name) from ``args``: a trailing class name or ``'like', p``."""
    args = list(args)
    cls = "double"
    if len(args) >= 2 and (text_of(args[-2]) or "").lower() == "like":
        cls = _class_of(args[-1])
        args = args[:-2]
    elif args and text_of(args[-1]) is not None:
        cls = text_of(args[-1])
        args = args[:-1]
    for a in args:
        if text_of(a) is not None:
            raise runtime_error("MATLAB:UnrecognizedStringChoice",
                                f"{fname}: unrecognized option '{text_of(a)}'.")
    if cls not in allowed:
        raise runtime_error(f"MATLAB:{fname}:invalidClassName" if fname != "rand" else "MATLAB:rand:invalidClass",
                            f"{fname}: the class must be one of " + ", ".join(f"'{c}'" for c in allowed)
                            + f" (got '{cls}').")
    return args, cls


def _dims(fname: str, args) -> tuple:
    """MATLAB's size arguments: none → 1x1, ``n`` → n x n, ``m, n, ...`` or ``[m n ...]``; negative → 0,
    trailing singleton dimensions beyond the second dropped."""
    if not args:
        return (1, 1)
    if len(args) == 1:
        a = as_array(args[0]).reshape(-1)
        if a.size == 1:
            vals = [a[0], a[0]]
        elif a.size == 0:
            raise runtime_error("MATLAB:getdimarg:invalidDims", "Size vector must have at least two elements.")
        else:
            vals = list(a)
    else:
        vals = []
        for x in args:
            a = as_array(x).reshape(-1)
            if a.size != 1:
                raise runtime_error("MATLAB:getdimarg:dimensionMustBeScalar",
                                    "Size inputs must be scalar.")
            vals.append(a[0])
    dims = []
    for v in vals:
        v = float(v)
        if not np.isfinite(v) or v != int(v):
            raise runtime_error("MATLAB:NonIntegerInput", "Size inputs must be integers.")
        dims.append(max(int(v), 0))
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    check_allocation(dims, fname)
    return tuple(dims)


def _fill(values: np.ndarray, dims) -> np.ndarray:
    return values.reshape(dims, order="F")


# ---- rand, randn, randi, randperm -----------------------------------------------------------------


_LEGACY = ("seed", "state", "twister")


def _legacy_seed(fname: str, args) -> bool:
    """MATLAB's legacy ``rand('seed', s)`` / ``rand('state', s)`` / ``rand('twister', s)`` (and ``randn``):
    the global twister is seeded with ``s`` (as ``rng(s)``) and torch with it. MATLAB's legacy 'seed' and
    'state' generators are other algorithms: the numbers that follow differ from MATLAB's."""
    if not args or (text_of(args[0]) or "").lower() not in _LEGACY:
        return False
    if len(args) != 2:
        raise runtime_error("MATLAB:rand:invalidLegacySyntax",
                            f"{fname}('{text_of(args[0])}', s) needs one seed; layergraph sets the twister with it "
                            "(use rng(s)).")
    seed = _seed_value(args[1])
    STREAM.reset(seed)
    _seed_torch(seed)
    return True


@matlab_function("rand", outputs=("X",), base=True)
def rand(*args):
    """MATLAB ``rand``: uniform numbers on (0,1) from the global stream, column-major; ``rand(n)``,
    ``rand(m, n, ...)``, ``rand([m n])``, ``'single'``/``'double'``, ``'like', p``."""
    if _legacy_seed("rand", args):
        return None
    sizes, cls = _split_class("rand", args, ("double", "single"))
    dims = _dims("rand", sizes)
    n = int(np.prod(dims))
    out = _fill(STREAM.uniform(n), dims)
    return out.astype(np.float32) if cls == "single" else out


@matlab_function("randn", outputs=("X",), base=True)
def randn(*args):
    """MATLAB ``randn``: standard normal numbers from the global stream (sizes and class as ``rand``).

    Differs from MATLAB: the numbers come from the Marsaglia polar method on the twister's uniforms, not
    MATLAB's ziggurat, so they are not MATLAB's numbers (same distribution, reproducible under ``rng``)."""
    if _legacy_seed("randn", args):
        return None
    sizes, cls = _split_class("randn", args, ("double", "single"))
    dims = _dims("randn", sizes)
    n = int(np.prod(dims))
    out = _fill(STREAM.mt.standard_normal(n), dims)
    return out.astype(np.float32) if cls == "single" else out


_RANDI_CLASSES = ("double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32", "logical")


@matlab_function("randi", outputs=("X",), base=True)
def randi(limits, *args):
    """MATLAB ``randi(imax, ...)`` / ``randi([imin imax], ...)``: uniform integers, one uniform ``u`` of
    the global stream each: ``imin - 1 + ceil(u * (imax - imin + 1))`` (MATLAB's numbers); sizes as
    ``rand``; class ``'double'`` (default), ``'single'``, integer classes, ``'logical'`` or ``'like', p``."""
    lim = as_array(limits).reshape(-1).astype(np.float64)
    if lim.size == 1:
        lo, hi = 1.0, float(lim[0])
    elif lim.size == 2:
        lo, hi = float(lim[0]), float(lim[1])
    else:
        raise runtime_error("MATLAB:randi:invalidLimits",
                            "The first input must be a positive integer scalar IMAX, or a 2-element vector "
                            "[IMIN IMAX].")
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo != int(lo) or hi != int(hi):
        raise runtime_error("MATLAB:randi:invalidLimits", "IMIN and IMAX must be real integer values.")
    if lim.size == 1 and hi < 1:
        raise runtime_error("MATLAB:randi:invalidLimits", "IMAX must be a positive integer.")
    if hi < lo:
        raise runtime_error("MATLAB:randi:invalidLimits", "IMAX must be greater than or equal to IMIN.")
    if hi - lo >= 2**53:
        raise runtime_error("MATLAB:randi:rangeTooLarge", "The range IMAX-IMIN must be less than 2^53.")
    sizes, cls = _split_class("randi", args, _RANDI_CLASSES)
    if cls in _INT_TYPES:
        info = np.iinfo(_INT_TYPES[cls])
        if lo < info.min or hi > info.max:
            raise runtime_error("MATLAB:randi:invalidLimits",
                                f"IMIN and IMAX must be within the range of the integer class '{cls}'.")
    if cls == "logical" and (lo < 0 or hi > 1):
        raise runtime_error("MATLAB:randi:invalidLimits", "IMIN and IMAX must be 0 or 1 for class 'logical'.")
    dims = _dims("randi", sizes)
    n = int(np.prod(dims))
    u = STREAM.uniform(n)
    values = lo - 1 + np.maximum(np.ceil(u * (hi - lo + 1)), 1)
    out = _fill(values, dims)
    if cls == "logical":
        return out.astype(bool)
    if cls in _INT_TYPES:
        return out.astype(_INT_TYPES[cls])
    return out.astype(_FLOAT_TYPES[cls])


def _count(v, what: str) -> int:
    a = as_array(v).reshape(-1)
    if a.size != 1 or not np.isfinite(float(a[0])) or float(a[0]) != int(a[0]) or float(a[0]) < 0:
        raise runtime_error("MATLAB:randperm:inputType", f"{what} must be a nonnegative integer scalar.")
    return int(a[0])


@matlab_function("randperm", outputs=("p",), base=True)
def randperm(n, k=None):
    """MATLAB ``randperm(n)``: a random permutation of 1:n as a row (MATLAB's numbers: the stable sort
    order of ``rand(1, n)``); ``randperm(n, k)``: k distinct integers from 1:n (a partial Fisher–Yates
    shuffle on the same stream — differs from MATLAB's numbers)."""
    n = _count(n, "N")
    if k is None:
        u = STREAM.uniform(n)
        order = np.argsort(u)           # numpy's fastest sort; the stable sort's order unless two draws tie
        if n > 1 and not (np.diff(u[order]) > 0).all():
            order = np.argsort(u, kind="stable")
        out = (order + 1).astype(np.float64)
        out.shape = (1, n)                   # reshaped in place: an array of its own
        known_permutation(out, order)        # MATLAB code indexing with it needs no check of its subscripts
        return out
    k = _count(k, "K")
    if k > n:
        raise runtime_error("MATLAB:randperm:inputKTooLarge", "K must be less than or equal to N.")
    p = np.arange(1, n + 1, dtype=np.float64)
    u = STREAM.uniform(k)
    for i in range(k):
        j = i + min(int(u[i] * (n - i)), n - i - 1)
        p[i], p[j] = p[j], p[i]
    return p[:k].reshape(1, -1)


__all__ = ["STREAM", "rng", "rand", "randn", "randi", "randperm"]
