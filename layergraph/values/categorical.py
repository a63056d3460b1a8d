"""MATLAB's ``categorical`` arrays.

A :class:`Categorical` holds integer codes (``-1`` is ``<undefined>``) into a list of category names
(``categories``, ``str``), an ``ordinal`` flag and MATLAB's 2-D shape (``c.shape``: a label vector made
from a Python list or a 1-D array is N×1, as ``classify`` and ``imds.Labels`` return in MATLAB).

Python view: ``np.asarray(c)`` gives the label values, 1-D for vectors (so ``np.mean(YPred == YTest)``,
``set(YPred)``, ``np.array_equal`` keep working); a categorical made from numbers (``categorical([3 1 3])``
or ``classify`` of a network trained on integer labels) remembers the numbers and gives them back, its
category names being MATLAB's text form of the numbers ('1', '3'). Comparisons (``==``, ``!=``, and
``<``, ``<=``, ``>``, ``>=`` for ordinal arrays) with a string, a list of strings, another categorical or
an array of values return a bool ndarray shaped like ``np.asarray(c)``.

This module imports only numpy and :mod:`layergraph.errors` (it sits below layers in the import order).
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import OptionError
from .subscripts import value_positions, whole_positions

UNDEFINED = "<undefined>"


def _is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v == "" or v == "<missing>" or v == UNDEFINED
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return False


def _num2str(v) -> str:
    """MATLAB's text form of a number used as a category name (num2str: integers without a decimal point)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (numbers.Integral, np.integer)):
        return str(int(v))
    f = float(v)
    if f.is_integer():
        return str(int(f))
    return format(f, ".5g") if abs(f) >= 1e-5 else format(f, ".4e")


def _text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (numbers.Number, np.number, np.bool_)):
        return _num2str(v)
    if isinstance(v, Categorical) and v.numel == 1:
        return v.names()[0]
    raise OptionError(f"categorical: a category name must be text, not {type(v).__name__}")


def _as_matrix(values):
    """Values as a 2-D numpy array in MATLAB's shape (1-D and lists become N×1 columns)."""
    if isinstance(values, str):
        arr = np.empty((1, 1), dtype=object)
        arr[0, 0] = values
        return arr
    if hasattr(values, "a") and isinstance(getattr(values, "a"), np.ndarray) and values.a.dtype == object:
        return values.a            # the interpreter's cell/string arrays keep their MATLAB shape
    if isinstance(values, np.ndarray):
        arr = values
    else:
        items = list(values)
        if items and all(isinstance(x, (numbers.Number, np.number, np.bool_)) for x in items):
            arr = np.asarray(items)
        else:
            arr = np.empty(len(items), dtype=object)
            for i, x in enumerate(items):
                arr[i] = x
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        shape = getattr(values, "matlab_shape", None)      # items of a MATLAB cell array keep its shape
        arr = arr.reshape(shape, order="F") if shape is not None and np.prod(shape) == arr.size else arr.reshape(-1, 1)
    return arr


def _names(items) -> list[str]:
    if isinstance(items, str):
        return [items]
    if isinstance(items, Categorical):
        return items.names()
    if hasattr(items, "a") and isinstance(getattr(items, "a"), np.ndarray):
        items = list(items.a.reshape(-1, order="F"))
    return [_text(x) for x in np.asarray(items, dtype=object).reshape(-1)]


class Categorical:
    """MATLAB categorical array: codes into ``categories`` (-1 = <undefined>), ``ordinal``, 2-D ``shape``."""

    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ("categories", "countcats", "addcats", "removecats", "mergecats", "renamecats",
                      "reordercats", "setcats", "iscategory", "isundefined", "isordinal", "summary",
                      "onehotencode")
    __array_ufunc__ = None      # ndarray == Categorical defers to Categorical.__eq__
    __hash__ = None

    def __init__(self, codes, categories, ordinal: bool = False, values=None):
        codes = np.asarray(codes, dtype=np.int64)
        if codes.ndim == 1:
            codes = codes.reshape(-1, 1)
        elif codes.ndim == 0:
            codes = codes.reshape(1, 1)
        self.codes = codes
        self.categories = [str(c) for c in categories]
        if len(set(self.categories)) != len(self.categories):
            raise OptionError("categorical: category names must be unique")
        if codes.size and (codes.max() >= len(self.categories) or codes.min() < -1):
            raise OptionError("categorical: a code is out of range of the categories")
        self.ordinal = bool(ordinal)
        # Numbers the categories came from (categorical([1 2 3]), labels of a network trained on ints).
        self._values = None if values is None else list(values)
        if self._values is not None and len(self._values) != len(self.categories):
            self._values = None

    # ---- shape and the numpy view -------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return tuple(self.codes.shape)

    @property
    def numel(self) -> int:
        return int(self.codes.size)

    @property
    def is_vector(self) -> bool:
        return self.codes.ndim == 2 and min(self.codes.shape) <= 1

    def __len__(self):
        return self.numel

    def _flat_codes(self) -> np.ndarray:
        """Codes in the numpy view's shape: 1-D (MATLAB linear order) for vectors, else 2-D."""
        return self.codes.reshape(-1, order="F") if self.is_vector else self.codes

    def _category_values(self) -> np.ndarray:
        if self._values is not None:
            vals = np.asarray(self._values)
            if vals.dtype.kind in "biuf" and vals.ndim == 1:
                return vals
        arr = np.empty(len(self.categories), dtype=object)
        arr[:] = self.categories
        return arr

    def category_values(self) -> list:
        """The categories as Python values: the numbers a numeric categorical was made from, else the names."""
        return self._category_values().tolist()

    def names(self) -> list[str]:
        """Label text of every element in MATLAB linear order ('<undefined>' for undefined)."""
        cats = self.categories
        return [cats[k] if k >= 0 else UNDEFINED for k in self.codes.reshape(-1, order="F")]

    def _value_array(self, codes: np.ndarray) -> np.ndarray:
        vals = self._category_values()
        if vals.dtype.kind in "biuf":
            if (codes < 0).any():
                out = vals.astype(np.float64)[np.where(codes < 0, 0, codes)]
                out[codes < 0] = np.nan
                return out
            return vals[codes]
        ext = np.empty(len(vals) + 1, dtype=object)
        ext[:-1] = vals
        ext[-1] = UNDEFINED
        return ext[codes]

    def __array__(self, dtype=None, copy=None):
        out = self._value_array(self._flat_codes())
        return out.astype(dtype) if dtype is not None else out

    @property
    def dtype(self):
        return self._category_values().dtype

    def tolist(self) -> list:
        return np.asarray(self).tolist()

    def __iter__(self):
        return iter(np.asarray(self).tolist())

    def isundefined(self) -> np.ndarray:
        return self._flat_codes() < 0

    def _new(self, codes, categories=None, values="same") -> "Categorical":
        if categories is None and isinstance(codes, np.ndarray) and codes.ndim == 2 and codes.dtype == np.int64:
            # codes taken from this array (indexing): valid already, the categories shared (no re-validation:
            # this runs for every mini-batch of a custom training loop)
            out = object.__new__(Categorical)
            out.codes = codes
            out.categories = self.categories
            out.ordinal = self.ordinal
            out._values = self._values if values == "same" else (None if values is None else list(values))
            return out
        if values == "same":
            values = self._values if categories is None else None
        return Categorical(codes, self.categories if categories is None else categories, self.ordinal, values)

    # ---- indexing ---------------------------------------------------------------------------
    def __getitem__(self, index) -> "Categorical":
        if isinstance(index, Categorical):
            raise OptionError("categorical: a categorical array cannot be used as an index")
        view = self._flat_codes()
        picked = view[index]
        picked = np.asarray(picked)
        if self.is_vector and picked.ndim <= 1:
            picked = picked.reshape(1, -1) if self.codes.shape[0] == 1 and self.codes.shape[1] != 1 else picked.reshape(-1, 1)
        return self._new(picked)

    def __setitem__(self, index, value):
        view = self._flat_codes().copy()
        view[index] = self._codes_of(value, allow_new=False)
        self.codes = view.reshape(self.codes.shape, order="F") if self.is_vector else view

    def _codes_of(self, value, allow_new: bool = False) -> np.ndarray | int:
        """Codes of ``value`` (text, list of text or categorical) in this array's categories."""
        if isinstance(value, Categorical):
            names = value.names()
        else:
            names = _names(value)
        lookup = {c: i for i, c in enumerate(self.categories)}
        codes = []
        for n in names:
            if n == UNDEFINED or n == "":
                codes.append(-1)
            elif n in lookup:
                codes.append(lookup[n])
            else:
                raise OptionError(f"categorical: '{n}' is not a category of the array "
                                  f"(categories: {', '.join(self.categories)}); use addcats first")
        return codes[0] if len(codes) == 1 else np.asarray(codes)

    # ---- comparisons --------------------------------------------------------------------------
    def _other_codes(self, other):
        """Return codes of ``other`` in this array's categories (-2 for names not among them)."""
        if isinstance(other, Categorical):
            if self.ordinal or other.ordinal:
                if self.categories != other.categories or self.ordinal != other.ordinal:
                    raise OptionError("categorical: ordinal categorical arrays can be compared only when they "
                                      "have the same categories in the same order")
            lookup = {c: i for i, c in enumerate(self.categories)}
            mapped = np.array([lookup.get(c, -2) for c in other.categories] + [-3], dtype=np.int64)
            codes = other._flat_codes()
            return mapped[np.where(codes < 0, len(other.categories), codes)]
        if isinstance(other, str) or (isinstance(other, (list, tuple)) and all(isinstance(x, str) for x in other)) \
                or (hasattr(other, "a") and isinstance(getattr(other, "a"), np.ndarray)):
            lookup = {c: i for i, c in enumerate(self.categories)}
            names = _names(other)
            codes = np.array([lookup.get(n, -2) if n not in ("", UNDEFINED) else -3 for n in names], dtype=np.int64)
            return codes[0] if isinstance(other, str) else codes
        return None

    def _compare(self, other, op):
        codes = self._other_codes(other)
        if codes is None:   # numbers or value arrays: compare the values (the Python view)
            mine = np.asarray(self)
            result = getattr(mine, op)(np.asarray(other))
            return np.asarray(result, dtype=bool) if not isinstance(result, type(NotImplemented)) else result
        mine = self._flat_codes()
        codes = np.asarray(codes)
        if codes.ndim == 1 and mine.ndim == 1 and codes.size not in (1, mine.size):
            raise OptionError(f"categorical: cannot compare arrays of {mine.size} and {codes.size} elements")
        if codes.ndim == 1 and mine.ndim == 2 and codes.size == mine.size:
            codes = codes.reshape(mine.shape, order="F")
        defined = (mine >= 0) & (codes >= 0)
        if op == "__eq__":
            return (mine == codes) & defined
        if op == "__ne__":
            return ~((mine == codes) & defined)
        if not self.ordinal:
            raise OptionError("categorical: relational comparisons (<, <=, >, >=) need an ordinal categorical array")
        if np.any((codes == -2)):
            raise OptionError("categorical: cannot compare with a name that is not a category of the ordinal array")
        return getattr(mine, op)(codes) & defined

    def __eq__(self, other):
        return self._compare(other, "__eq__")

    def __ne__(self, other):
        return self._compare(other, "__ne__")

    def __lt__(self, other):
        return self._compare(other, "__lt__")

    def __le__(self, other):
        return self._compare(other, "__le__")

    def __gt__(self, other):
        return self._compare(other, "__gt__")

    def __ge__(self, other):
        return self._compare(other, "__ge__")

    def __bool__(self):
        raise OptionError("categorical: the truth value of a categorical array is ambiguous; compare it first")

    # ---- display ------------------------------------------------------------------------------
    def __str__(self):
        if self.numel == 1:
            return self.names()[0]
        return self.display()

    def __repr__(self):
        return f"categorical({self.names()!r}, shape={self.shape})"

    def display(self, name: str | None = None) -> str:
        """MATLAB's display: '  3×1 categorical' header and the labels in columns."""
        r, c = self.shape
        kind = "ordinal categorical" if self.ordinal else "categorical"
        lines = [f"{name} = {r}×{c} {kind}" if name else f"  {r}×{c} {kind}", ""]
        text = np.array(self.names(), dtype=object).reshape((r, c), order="F") if self.numel else None
        if text is not None:
            widths = [max(len(str(text[i, j])) for i in range(r)) for j in range(c)]
            for i in range(r):
                lines.append("".join("     " + str(text[i, j]).ljust(widths[j]) + " " for j in range(c)))
        return "\n".join(lines) + "\n"

    def summary_text(self, name: str | None = None) -> str:
        """The text ``summary(A)`` prints: header, then every category with its count, <undefined> last."""
        r, c = self.shape
        kind = "ordinal categorical" if self.ordinal else "categorical"
        header = f"{name}: {r}×{c} {kind}" if name else f"{r}×{c} {kind}"
        names = list(self.categories) + [UNDEFINED]
        codes = self.codes.reshape(-1)
        counts = [int(np.count_nonzero(codes == k)) for k in range(len(self.categories))]
        counts.append(int(np.count_nonzero(codes < 0)))
        lines = [header, ""]
        if r == 1 and c != 1:
            widths = [max(len(n), len(str(k))) for n, k in zip(names, counts)]
            lines.append("".join("     " + n.ljust(w) + " " for n, w in zip(names, widths)))
            lines.append("".join("     " + str(k).ljust(w) + " " for k, w in zip(counts, widths)))
        else:
            width = max(len(n) for n in names)
            kw = max(len(str(k)) for k in counts)
            for n, k in zip(names, counts):
                lines.append("     " + n.ljust(width) + "     " + str(k).rjust(kw) + " ")
        return "\n".join(lines) + "\n"


def matlab_compare(a, b, op: str) -> np.ndarray:
    """``a op b`` for MATLAB code (op one of == ~= < <= > >=) with at least one categorical: a logical
    array in MATLAB's 2-D shape (the categorical array's; a scalar categorical broadcasts)."""
    flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
    names = {"==": "__eq__", "~=": "__ne__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__",
             ">=": "__ge__"}
    if op not in names:
        raise OptionError(f"categorical: unsupported comparison '{op}'")
    if not isinstance(a, Categorical) or (isinstance(b, Categorical) and a.numel == 1 and b.numel > 1):
        a, b, op = b, a, flip.get(op, op)
    if isinstance(b, np.ndarray) and b.dtype.kind in "biuf" and a._values is None:
        raise OptionError("categorical: a categorical array can be compared only with text or another categorical")
    other = b
    if isinstance(b, Categorical) and b.numel == 1 and a.numel > 1:
        other = b.names()[0]
    result = np.asarray(a._compare(other, names[op]), dtype=bool)
    return result.reshape(a.shape, order="F") if result.size == a.numel else result


# ---- construction ---------------------------------------------------------------------------------

def _option(kwargs_pairs, function: str, allowed: dict):
    out = {}
    for key, value in kwargs_pairs:
        canon = allowed.get(str(key).lower())
        if canon is None:
            raise OptionError(f"{function}: '{key}' is not a recognized parameter. Valid parameters: "
                              + ", ".join(f"'{a}'" for a in dict.fromkeys(allowed.values())) + ".")
        out[canon] = value
    return out


def _sort_key(v):
    return (0, float(v), "") if isinstance(v, (numbers.Number, np.number)) else (1, 0.0, str(v))


def categorical(values=(), *args, **kwargs) -> Categorical:
    """``C = categorical(A, valueset, catnames, 'Ordinal', tf)``, MATLAB's categorical constructor.

    Without ``valueset`` the categories are the sorted unique values (numbers numerically, text in
    character order); '' / NaN / '<missing>' become <undefined>. Values not in ``valueset`` are <undefined>.
    """
    positional = []
    rest = list(args)
    while rest and not (isinstance(rest[0], str) and str(rest[0]).lower() in ("ordinal", "protected")
                        and len(rest) >= 2 and isinstance(rest[1], (bool, np.bool_, int, np.ndarray))):
        positional.append(rest.pop(0))
    if len(rest) % 2:
        raise OptionError("categorical: name-value arguments must come in pairs.")
    if len(positional) > 2:
        raise OptionError("categorical: too many input arguments (categorical(A, valueset, catnames, 'Ordinal', tf)).")
    opts = _option(list(zip(rest[::2], rest[1::2])) + list(kwargs.items()), "categorical",
                   {"ordinal": "Ordinal", "protected": "Protected", "valueset": "valueset", "catnames": "catnames"})
    valueset = positional[0] if positional else opts.get("valueset")
    catnames = positional[1] if len(positional) > 1 else opts.get("catnames")
    ordinal = bool(np.asarray(opts.get("Ordinal", False)).reshape(-1)[0]) if "Ordinal" in opts else False

    if valueset is None and catnames is None and not isinstance(values, (str, Categorical)) \
            and not hasattr(values, "a") and getattr(values, "matlab_shape", (0, 1))[1] == 1:
        fast = _text_categorical(values, ordinal)
        if fast is not None:
            return fast
    if isinstance(values, Categorical):
        if valueset is None and catnames is None:
            return Categorical(values.codes.copy(), values.categories, ordinal or values.ordinal, values._values)
        arr = np.array(values.names(), dtype=object).reshape(values.shape, order="F")
    else:
        arr = _as_matrix(values)
    flat = list(arr.reshape(-1))
    numeric = arr.dtype.kind in "biuf" or (flat and all(isinstance(x, (numbers.Number, np.number)) for x in flat))

    if valueset is None:
        present = [v for v in flat if not _is_missing(v)]
        if numeric:
            uniq = sorted(set(float(v) if not isinstance(v, (numbers.Integral, np.integer)) else int(v) for v in present))
            if arr.dtype.kind == "b":
                uniq = sorted(set(bool(v) for v in present))
            vset = uniq
        else:
            vset = sorted(set(_text(v) for v in present))
    else:
        vset = list(_as_matrix(valueset).reshape(-1, order="F")) if not isinstance(valueset, str) else [valueset]
        if isinstance(valueset, Categorical):
            vset = valueset.names()
        if not numeric:
            vset = [_text(v) for v in vset]
        if len(set(map(str, vset))) != len(vset):
            raise OptionError("categorical: valueset must contain unique values")

    if catnames is None:
        names = [_text(v) if not isinstance(v, str) else v for v in vset]
    else:
        names = _names(catnames)
        if len(names) != len(vset):
            raise OptionError(f"categorical: catnames has {len(names)} names but valueset has {len(vset)} values")
    if len(set(names)) != len(names):
        if catnames is None:
            raise OptionError("categorical: the values give duplicate category names")
        merged = list(dict.fromkeys(names))       # duplicate catnames merge values into one category
        index = [merged.index(n) for n in names]
    else:
        merged = names
        index = list(range(len(names)))

    if numeric:
        lookup = {}
        for i, v in enumerate(vset):
            if not _is_missing(v):
                lookup[float(v)] = index[i]
        codes = np.array([-1 if _is_missing(v) else lookup.get(float(v), -1) for v in flat], dtype=np.int64)
    elif flat and all(isinstance(v, str) for v in flat):      # text: vectorised lookup
        strs = np.array(flat, dtype=str)
        uniq, inv = np.unique(strs, return_inverse=True)
        lookup = {v: index[i] for i, v in enumerate(vset)}
        per_unique = np.array([-1 if _is_missing(u) else lookup.get(u, -1) for u in uniq.tolist()] + [-1],
                              dtype=np.int64)
        codes = per_unique[inv.reshape(-1)]
    else:
        lookup = {v: index[i] for i, v in enumerate(vset)}
        codes = np.array([-1 if _is_missing(v) else lookup.get(_text(v), -1) for v in flat], dtype=np.int64)
    codes = codes.reshape(arr.shape)
    keep_values = None
    if numeric and catnames is None:
        keep_values = list(vset)
    return Categorical(codes, merged, ordinal, keep_values)


def _text_categorical(values, ordinal: bool) -> Categorical | None:
    """categorical(text) without a value set, vectorised (None when ``values`` is not plain text)."""
    try:
        arr = np.asarray(values)
    except Exception:       # noqa: BLE001 - ragged input: the general path handles or reports it
        return None
    if arr.dtype.kind != "U" or arr.ndim > 2:
        return None
    shape = arr.shape if arr.ndim == 2 else ((arr.size, 1) if arr.ndim == 1 else (1, 1))
    uniq, inv = np.unique(arr.reshape(-1), return_inverse=True)      # sorted by character code, as MATLAB
    names = uniq.tolist()
    keep = [i for i, n in enumerate(names) if not _is_missing(n)]
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    codes = remap[inv.reshape(-1)].reshape(shape)
    return Categorical(codes, [names[i] for i in keep], ordinal)


def from_labels(classes, index, row: bool = False) -> Categorical:
    """A label column (N×1; 1×N with ``row``) picking ``classes[index]``: what classify returns.

    ``classes`` may be names or numbers (numbers are remembered, so np.asarray gives them back)."""
    index = np.asarray(index, dtype=np.int64).reshape((1, -1) if row else (-1, 1))
    classes = list(classes.names() if isinstance(classes, Categorical) else classes)
    numeric = classes and all(isinstance(c, (numbers.Number, np.number)) and not isinstance(c, (bool, np.bool_))
                              for c in classes)
    return Categorical(index, [_text(c) for c in classes], False, classes if numeric else None)


def as_categorical(x, function: str = "categorical") -> Categorical:
    """``x`` as a Categorical (labels given as text, numbers or a categorical)."""
    if isinstance(x, Categorical):
        return x
    try:
        return categorical(x)
    except OptionError:
        raise
    except Exception as exc:       # noqa: BLE001 - report bad label input as the project's error
        raise OptionError(f"{function}: labels must be a categorical array, text or numbers ({exc})") from None


# ---- MATLAB's categorical functions ----------------------------------------------------------------

def _need(c, function):
    if not isinstance(c, Categorical):
        raise OptionError(f"{function}: the first argument must be a categorical array, not {type(c).__name__}")
    return c


def categories(c) -> list[str]:
    """``C = categories(A)``: the category names in order (MATLAB: a column cell array)."""
    return list(_need(c, "categories").categories)


def countcats(c, dim=None) -> np.ndarray:
    """``B = countcats(A, dim)``: element count per category (along the first non-singleton dimension)."""
    _need(c, "countcats")
    k = len(c.categories)
    if dim is None:
        if c.is_vector:
            codes = c.codes.reshape(-1)
            return np.array([np.count_nonzero(codes == i) for i in range(k)], dtype=np.float64).reshape(
                (1, k) if c.shape[0] == 1 and c.shape[1] != 1 else (k, 1)).reshape(-1)
        dim = 1
    dim = int(dim)
    if dim not in (1, 2):
        raise OptionError("countcats: dim must be 1 or 2")
    codes = c.codes if dim == 1 else c.codes.T
    out = np.array([[np.count_nonzero(codes[:, j] == i) for j in range(codes.shape[1])] for i in range(k)],
                   dtype=np.float64)
    return out if dim == 1 else out.T


def iscategory(c, names) -> np.ndarray | bool:
    _need(c, "iscategory")
    got = [n in c.categories for n in _names(names)]
    return got[0] if isinstance(names, str) else np.array(got)


def isundefined(c) -> np.ndarray:
    return _need(c, "isundefined").isundefined()


def isordinal(c) -> bool:
    return isinstance(c, Categorical) and c.ordinal


def addcats(c, newcats, *args, **kwargs) -> Categorical:
    """``B = addcats(A, newcats, 'Before'|'After', where)``: new categories (last by default)."""
    _need(c, "addcats")
    opts = _option(list(zip(args[::2], args[1::2])) + list(kwargs.items()), "addcats",
                   {"before": "Before", "after": "After"})
    new = _names(newcats)
    clash = [n for n in new if n in c.categories]
    if clash:
        raise OptionError(f"addcats: '{clash[0]}' is already a category")
    cats = list(c.categories)
    if "Before" in opts or "After" in opts:
        if c.ordinal is False and False:
            pass
        key = "Before" if "Before" in opts else "After"
        where = _text(opts[key])
        if where not in cats:
            raise OptionError(f"addcats: '{where}' is not a category")
        pos = cats.index(where) + (0 if key == "Before" else 1)
    else:
        pos = len(cats)
    order = cats[:pos] + new + cats[pos:]
    remap = np.array([order.index(n) for n in cats] + [-1], dtype=np.int64)
    codes = remap[np.where(c.codes < 0, len(cats), c.codes)]
    return c._new(codes, order, values=None)


def removecats(c, oldcats=None) -> Categorical:
    """``B = removecats(A, oldcats)``: drop categories (elements in them become <undefined>);
    without ``oldcats``, drop the unused ones."""
    _need(c, "removecats")
    if oldcats is None:
        used = set(int(k) for k in np.unique(c.codes) if k >= 0)
        drop = {n for i, n in enumerate(c.categories) if i not in used}
    else:
        drop = set(_names(oldcats))
    keep = [n for n in c.categories if n not in drop]
    remap = np.array([keep.index(n) if n in keep else -1 for n in c.categories] + [-1], dtype=np.int64)
    codes = remap[np.where(c.codes < 0, len(c.categories), c.codes)]
    values = None if c._values is None else [v for v, n in zip(c._values, c.categories) if n in keep]
    return Categorical(codes, keep, c.ordinal, values)


def mergecats(c, oldcats, newcat=None) -> Categorical:
    """``B = mergecats(A, oldcats, newcat)``: merge categories into one (named ``oldcats{1}`` by default),
    placed where the first of them was."""
    _need(c, "mergecats")
    old = _names(oldcats)
    missing = [n for n in old if n not in c.categories]
    if missing:
        raise OptionError(f"mergecats: '{missing[0]}' is not a category")
    if c.ordinal:
        idx = sorted(c.categories.index(n) for n in old)
        if idx != list(range(idx[0], idx[0] + len(idx))):
            raise OptionError("mergecats: categories of an ordinal array must be consecutive to merge")
    target = _text(newcat) if newcat is not None else old[0]
    first = min(c.categories.index(n) for n in old)
    cats = []
    for i, n in enumerate(c.categories):
        if n in old:
            if i == first:
                cats.append(target)
        else:
            cats.append(n)
    if len(set(cats)) != len(cats):
        raise OptionError(f"mergecats: '{target}' is already a category")
    remap = np.array([cats.index(target) if n in old else cats.index(n) for n in c.categories] + [-1], dtype=np.int64)
    codes = remap[np.where(c.codes < 0, len(c.categories), c.codes)]
    return c._new(codes, cats, values=None)


def renamecats(c, oldnames, newnames=None) -> Categorical:
    """``B = renamecats(A, newnames)`` (all categories) or ``renamecats(A, oldnames, newnames)``."""
    _need(c, "renamecats")
    if newnames is None:
        new = _names(oldnames)
        if len(new) != len(c.categories):
            raise OptionError(f"renamecats: {len(new)} new names for {len(c.categories)} categories")
        cats = new
    else:
        old, new = _names(oldnames), _names(newnames)
        if len(old) != len(new):
            raise OptionError("renamecats: oldnames and newnames must have the same number of names")
        cats = list(c.categories)
        for o, n in zip(old, new):
            if o not in cats:
                raise OptionError(f"renamecats: '{o}' is not a category")
            cats[cats.index(o)] = n
    if len(set(cats)) != len(cats):
        raise OptionError("renamecats: the new category names must be unique")
    return c._new(c.codes.copy(), cats, values=None)


def reordercats(c, neworder=None) -> Categorical:
    """``B = reordercats(A, neworder)`` (names or 1-based indices); without it, alphabetical order."""
    _need(c, "reordercats")
    if neworder is None:
        order = sorted(c.categories)
    else:
        arr = neworder if isinstance(neworder, (list, tuple, str)) else np.asarray(neworder).reshape(-1)
        if not isinstance(arr, str) and len(arr) and all(isinstance(x, (numbers.Number, np.number)) for x in arr):
            order = [c.categories[int(i) - 1] for i in arr]
        else:
            order = _names(arr)
    if sorted(order) != sorted(c.categories):
        raise OptionError("reordercats: neworder must list every category exactly once")
    remap = np.array([order.index(n) for n in c.categories] + [-1], dtype=np.int64)
    codes = remap[np.where(c.codes < 0, len(c.categories), c.codes)]
    values = None if c._values is None else [c._values[c.categories.index(n)] for n in order]
    return Categorical(codes, order, c.ordinal, values)


def setcats(c, newcats) -> Categorical:
    """``B = setcats(A, newcats)``: exactly these categories; elements of other categories become <undefined>."""
    _need(c, "setcats")
    order = _names(newcats)
    remap = np.array([order.index(n) if n in order else -1 for n in c.categories] + [-1], dtype=np.int64)
    codes = remap[np.where(c.codes < 0, len(c.categories), c.codes)]
    return c._new(codes, order, values=None)


def summary(c, name: str | None = None) -> None:
    """``summary(A)`` for a categorical: prints every category with its element count."""
    print(_need(c, "summary").summary_text(name), end="")


# ---- one-hot --------------------------------------------------------------------------------------

_ONEHOT_TYPES = {"single": np.float32, "double": np.float64, "logical": np.bool_, "int8": np.int8,
                 "int16": np.int16, "int32": np.int32, "int64": np.int64, "uint8": np.uint8,
                 "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


def _identity(k: int, dtype) -> np.ndarray:
    key = (k, dtype)
    eye = _IDENTITIES.get(key)
    if eye is None:
        eye = np.eye(k, dtype=dtype)
        eye.flags.writeable = False         # shared: only ever read (indexing it makes a new array)
        if len(_IDENTITIES) < 64:
            _IDENTITIES[key] = eye
    return eye


_IDENTITIES: dict = {}


def onehotencode(A, featureDim, *args, **kwargs) -> np.ndarray:
    """``B = onehotencode(A, featureDim, typename, 'ClassNames', classes)``.

    ``A`` is a categorical with size 1 in dimension ``featureDim`` (1-based, MATLAB's dimensions);
    ``B`` has that dimension replaced by the number of classes (one 1 per element; NaN for <undefined>).
    ``typename`` is 'single' by default ('double', 'logical', integer types allowed). MATLAB layout."""
    A = as_categorical(A, "onehotencode")
    typename = "single"
    classes = A.categories
    if args or kwargs:
        rest = list(args)
        if rest and isinstance(rest[0], str) and rest[0].lower() != "classnames":
            typename = rest.pop(0)
        opts = _option(list(zip(rest[::2], rest[1::2])) + list(kwargs.items()), "onehotencode",
                       {"classnames": "ClassNames", "typename": "typename"})
        typename = str(opts.get("typename", typename)).lower()
        if "ClassNames" in opts:
            classes = _names(opts["ClassNames"])
    dtypes = _ONEHOT_TYPES
    if typename not in dtypes:
        raise OptionError(f"onehotencode: typename '{typename}' is not supported")
    dim = int(featureDim)
    shape = list(A.shape)
    while len(shape) < dim:
        shape.append(1)
    if dim < 1 or shape[dim - 1] != 1:
        raise OptionError(f"onehotencode: dimension {dim} of the input must have size 1 (input is "
                          f"{'×'.join(map(str, A.shape))})")
    k = len(classes)
    work = dtypes[typename] if typename in ("single", "double") else np.float64
    if classes == A.categories:
        # the array's own categories: one 1 per element at its code (NaN rows for <undefined>)
        codes = A.codes.reshape(-1, order="F")
        if codes.size and codes.min() >= 0:
            flat = _identity(k, work)[codes]                     # the identity's rows, picked by code
        else:
            undefined = codes < 0
            flat = np.zeros((codes.size, k), dtype=work)
            flat[np.arange(codes.size), np.where(undefined, 0, codes)] = 1.0
            flat[undefined, :] = np.nan
        names = ()
    else:
        names = A.names()
        flat = np.zeros((len(names), k), dtype=work)
        lookup = {n: i for i, n in enumerate(classes)}
        for i, n in enumerate(names):
            j = lookup.get(n)
            if j is None:
                if n == UNDEFINED:
                    flat[i, :] = np.nan
                    continue
                raise OptionError(f"onehotencode: '{n}' is not one of the class names")
            flat[i, j] = 1.0
    # element i (MATLAB linear order over shape with dim removed) -> position along the other dims
    other = [s for d, s in enumerate(shape) if d != dim - 1]
    moved = flat.reshape(other + [k], order="F") if other else flat.reshape(k)
    out = moved if dim - 1 == moved.ndim - 1 else np.moveaxis(moved, -1, dim - 1)
    if work is dtypes[typename]:
        return out
    if np.isnan(out).any():
        raise OptionError(f"onehotencode: <undefined> elements need a floating-point typename, not '{typename}'")
    return out.astype(dtypes[typename])


def onehotdecode(B, classes, featureDim, *args) -> Categorical:
    """``A = onehotdecode(B, classes, featureDim)``: the class with the largest value along ``featureDim``
    (first on ties); ``A`` has size 1 in that dimension. MATLAB layout."""
    names = _names(classes)
    arr = np.asarray(B, dtype=np.float64)
    dim = int(featureDim)
    if dim < 1 or dim > max(arr.ndim, 2):
        raise OptionError(f"onehotdecode: featureDim {dim} is out of range for a {arr.ndim}-D input")
    while arr.ndim < dim:
        arr = arr[..., None]
    if arr.shape[dim - 1] != len(names):
        raise OptionError(f"onehotdecode: dimension {dim} has {arr.shape[dim - 1]} elements but there are "
                          f"{len(names)} classes")
    idx = np.argmax(arr, axis=dim - 1)
    idx = np.where(np.all(np.isnan(arr), axis=dim - 1), -1, idx)
    idx = np.expand_dims(idx, dim - 1)
    if idx.ndim > 2:
        idx = idx.reshape(idx.shape[:2]) if all(s == 1 for s in idx.shape[2:]) else idx
    numeric = all(isinstance(c, (numbers.Number, np.number)) for c in np.asarray(classes, dtype=object).reshape(-1)) \
        if not isinstance(classes, (str, Categorical)) else False
    values = list(np.asarray(classes).reshape(-1)) if numeric else None
    return Categorical(idx, names, False, values)


__all__ = [
    "Categorical", "UNDEFINED", "categorical", "categories", "countcats", "addcats", "removecats", "mergecats",
    "renamecats", "reordercats", "setcats", "iscategory", "isundefined", "isordinal", "summary", "onehotencode",
    "onehotdecode", "from_labels", "as_categorical", "matlab_compare",
]


# ---- MATLAB's parenthesis indexing from MATLAB code (the registry's dispatch rule) ----------------------

def _positions(sub, size: int) -> np.ndarray:
    """0-based positions of a MATLAB subscript (':' , 1-based numbers or a logical mask) in ``size`` elements."""
    if isinstance(sub, str) and sub == ":":
        return np.arange(size)
    if type(sub) is np.ndarray and sub.dtype.kind in "iuf":      # a MATLAB value: checked once (see value_positions)
        pos, top = value_positions(sub, size)
    else:
        arr = np.asarray(sub)
        if arr.dtype == bool:
            return np.flatnonzero(arr.reshape(-1, order="F"))
        flat = arr.reshape(-1, order="F")
        if flat.dtype.kind not in "iuf":
            flat = flat.astype(np.float64)
        pos, top = whole_positions(flat)
    if pos is None:
        raise OptionError("Index in position 1 is invalid. Array indices must be positive integers or logical values.")
    if top > size:
        raise OptionError(f"Index exceeds the number of array elements. Index must not exceed {size}.")
    return pos


def paren_reference(c: Categorical, *subs) -> Categorical:
    """MATLAB ``C(i)`` / ``C(i, j)`` of a categorical array (1-based subscripts, ``':'``, logical masks).

    Linear indexing follows MATLAB's shape rule: ``C(:)`` is a column; a vector indexed by a vector keeps
    the vector's orientation; otherwise the result has the index's shape."""
    codes = c.codes
    if len(subs) == 1:
        sub = subs[0]
        if type(sub) is np.ndarray and sub.ndim == 2 and min(sub.shape) == 1 and codes.size > 1 \
                and min(codes.shape) == 1 and sub.dtype.kind in "iuf":
            # a vector indexed by a vector of numbers (a mini-batch's labels): the vector's orientation
            picked = codes.reshape(-1)[_positions(sub, codes.size)]
            return c._new(picked.reshape(1, -1) if codes.shape[0] == 1 else picked.reshape(-1, 1))
        flat = codes.reshape(-1, order="F")
        picked = flat[_positions(sub, flat.size)]
        if isinstance(sub, str):
            shape = (picked.size, 1)
        else:
            index = np.asarray(sub)
            ishape = index.shape if index.ndim == 2 else (1, index.size)
            if index.dtype == bool or (c.is_vector and min(ishape) <= 1):
                shape = (1, picked.size) if codes.shape[0] == 1 and codes.shape[1] != 1 else (picked.size, 1)
            else:
                shape = ishape
        return c._new(picked.reshape(shape, order="F"))
    if len(subs) == 2:
        rows = _positions(subs[0], codes.shape[0])
        cols = _positions(subs[1], codes.shape[1])
        return c._new(codes[np.ix_(rows, cols)])
    raise OptionError("categorical: indexing with more than two subscripts is not supported")


def transpose(c: Categorical) -> Categorical:
    """MATLAB ``C'`` / ``C.'`` of a 2-D categorical array."""
    return c._new(np.ascontiguousarray(c.codes.T))


def _register_indexing():
    from ..functions import matlab_overload

    matlab_overload("parenReference", Categorical)(paren_reference)
    matlab_overload("transpose", Categorical)(transpose)
    matlab_overload("ctranspose", Categorical)(transpose)


_register_indexing()
