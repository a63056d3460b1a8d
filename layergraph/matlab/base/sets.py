"""Set functions: unique ('stable', 'rows', three outputs), ismember (with locations), setdiff,
intersect, union — on numeric arrays and on text (cell arrays of char vectors, string arrays).

Shapes follow MATLAB: a row vector input (for two inputs: both rows) gives a row result, anything else
a column; index outputs are columns; sorted order unless 'stable'.
"""

from __future__ import annotations

import numpy as np

from ..values import Cell, MString, StrArr
from ._core import base, fail, flag, numeric, outputs, shape_of


def _values(v):
    """(list of hashable elements column-major, kind) — kind rebuilds a container of the same type."""
    if isinstance(v, Cell):
        if not all(isinstance(x, str) for x in v.items()):
            raise fail("Cell array input must be a cell array of character vectors.",
                       "MATLAB:UNIQUE:InputClass")
        return [str(x) for x in v.items()], "cell"
    if isinstance(v, StrArr):
        return [str(x) for x in v.items()], "string"
    if isinstance(v, MString):
        return [str(v)], "string"
    if isinstance(v, str):
        return [str(v)], "charcell"          # a char vector among texts counts as one element
    a = numeric(v)
    return [x for x in a.reshape(-1, order="F").tolist()], ("numeric", a.dtype)


def _rebuild(items, kind, row: bool):
    n = len(items)
    shape = (1, n) if row else (n, 1)
    if kind in ("cell", "charcell"):
        arr = np.empty(n, dtype=object)
        for i, x in enumerate(items):
            arr[i] = x
        return Cell(arr.reshape(shape))
    if kind == "string":
        arr = np.empty(n, dtype=object)
        for i, x in enumerate(items):
            arr[i] = MString(x)
        return StrArr(arr.reshape(shape))
    dtype = kind[1]
    out = np.array(items, dtype=dtype).reshape(shape)
    if n == 0 and not row:
        out = np.zeros((0, 1), dtype=dtype)
    return out


def _key(x):
    """Sort key: numbers ascending with NaN last; text by character codes."""
    if isinstance(x, str):
        return (0, x)
    if isinstance(x, (bool, np.bool_)):
        return (0, float(x))
    return (1, 0.0) if np.isnan(x) else (0, float(x))


def _is_row(v) -> bool:
    s = shape_of(v)
    return len(s) == 2 and s[0] == 1


def _col(indices):
    return np.array(indices, dtype=np.float64).reshape(-1, 1)


@base("unique", outputs=("C", "ia", "ic"), nargout_aware=True)
def unique(A, *args, nargout=1):
    """``[C, ia, ic] = unique(A)``: the distinct values sorted (``'stable'``: in order of first appearance),
    C = A(ia) and A = C(ic); ``unique(A, 'rows')`` for the rows of a matrix. NaN values are all distinct
    (each NaN is kept)."""
    stable = flag(args, "stable", "sorted") == "stable"
    last = flag(args, "first", "last") == "last"
    if flag(args, "rows") and not isinstance(A, (Cell, StrArr)):
        a = numeric(A)
        rows = [tuple(r) for r in a.tolist()]
        order = list(range(len(rows)))
        firsts: dict = {}
        for i in (reversed(order) if last else order):
            firsts.setdefault(rows[i], i)
        keys = list(firsts)
        if not stable:
            keys.sort(key=lambda r: tuple(_key(x) for x in r))
        else:
            keys.sort(key=lambda r: firsts[r])
        C = np.array(keys, dtype=a.dtype).reshape(len(keys), a.shape[1]) if keys else np.zeros((0, a.shape[1]))
        ia = _col([firsts[k] + 1 for k in keys])
        pos = {k: i for i, k in enumerate(keys)}
        ic = _col([pos[r] + 1 for r in rows])
        return outputs([C, ia, ic], nargout)
    items, kind = _values(A)
    nan_positions = [i for i, x in enumerate(items) if not isinstance(x, str) and isinstance(x, float) and np.isnan(x)]
    firsts: dict = {}
    indices = range(len(items))
    for i in (reversed(indices) if last else indices):
        x = items[i]
        if i in nan_positions:
            continue
        firsts.setdefault(x, i)
    keys = list(firsts)
    if stable:
        entries = sorted([(firsts[k], k) for k in keys] + [(i, items[i]) for i in nan_positions])
        keys_all = [k for _, k in entries]
        ia_all = [i for i, _ in entries]
    else:
        keys.sort(key=_key)
        keys_all = keys + [items[i] for i in nan_positions]
        ia_all = [firsts[k] for k in keys] + nan_positions
    row = _is_row(A) and kind != "charcell"
    C = _rebuild(keys_all, kind, row)
    pos = {k: j for j, k in enumerate(keys_all) if not (isinstance(k, float) and np.isnan(k))}
    nan_index = {i: ia_all.index(i) for i in nan_positions}     # each NaN is its own element of C
    ic = [(nan_index[i] if i in nan_index else pos[x]) + 1 for i, x in enumerate(items)]
    return outputs([C, _col([i + 1 for i in ia_all]), _col(ic)], nargout)


@base("ismember", outputs=("Lia", "Locb"), nargout_aware=True)
def ismember(A, B, *args, nargout=1):
    """``[Lia, Locb] = ismember(A, B)``: for each element of A whether it is in B, and the lowest index in
    B where it is (0 if not). Text against a cell array of text compares whole texts; NaN is never a member."""
    if flag(args, "rows"):
        a, b = numeric(A), numeric(B)
        rows_b = {}
        for j, r in enumerate(b.tolist()):
            rows_b.setdefault(tuple(r), j + 1)
        loc = [rows_b.get(tuple(r), 0) for r in a.tolist()]
        return outputs([np.array(loc).reshape(-1, 1) > 0, _col(loc)], nargout)
    a_items, a_kind = _values(A)
    b_items, _ = _values(B)
    where: dict = {}
    for j, x in enumerate(b_items):
        if isinstance(x, float) and np.isnan(x):
            continue
        where.setdefault(x, j + 1)
    loc = [where.get(x, 0) for x in a_items]
    shape = (1, 1) if a_kind == "charcell" else shape_of(A)
    Lia = np.array(loc, dtype=np.float64).reshape(shape, order="F") > 0
    return outputs([Lia, np.array(loc, dtype=np.float64).reshape(shape, order="F")], nargout)


def _two_set(name, keep):
    def run(A, B, *args, nargout=1):
        stable = flag(args, "stable", "sorted") == "stable"
        a_items, a_kind = _values(A)
        b_items, b_kind = _values(B)
        kind = a_kind if a_kind != "charcell" else (b_kind if b_kind != "charcell" else "cell")
        if isinstance(kind, tuple) and isinstance(b_kind, tuple) and b_kind[1] != a_kind[1]:
            kind = ("numeric", np.result_type(a_kind[1], b_kind[1]))
        in_b = {x for x in b_items if not (isinstance(x, float) and np.isnan(x))}
        in_a = {x for x in a_items if not (isinstance(x, float) and np.isnan(x))}
        firsts_a: dict = {}
        for i, x in enumerate(a_items):
            if not (isinstance(x, float) and np.isnan(x)):
                firsts_a.setdefault(x, i)
        firsts_b: dict = {}
        for i, x in enumerate(b_items):
            if not (isinstance(x, float) and np.isnan(x)):
                firsts_b.setdefault(x, i)
        if name == "setdiff":
            keys = [x for x in firsts_a if x not in in_b]
        elif name == "intersect":
            keys = [x for x in firsts_a if x in in_b]
        else:
            keys = list(firsts_a) + [x for x in firsts_b if x not in in_a]
        if not stable:
            keys.sort(key=_key)
        row = (_is_row(A) or a_kind == "charcell" or shape_of(A) == (0, 0)) and \
            (name == "setdiff" or _is_row(B) or b_kind == "charcell" or shape_of(B) == (0, 0))
        if name == "setdiff":
            row = _is_row(A) or a_kind == "charcell"
        C = _rebuild(keys, kind, row)
        ia = _col([firsts_a[k] + 1 for k in keys if k in firsts_a and (name != "union" or True)])
        if name == "intersect":
            ib = _col([firsts_b[k] + 1 for k in keys])
            return outputs([C, ia, ib], nargout)
        if name == "union":
            ia = _col([firsts_a[k] + 1 for k in keys if k in firsts_a])
            ib = _col([firsts_b[k] + 1 for k in keys if k not in firsts_a])
            return outputs([C, ia, ib], nargout)
        return outputs([C, ia], nargout)

    run.__name__ = name
    run.__doc__ = keep
    return run


base("setdiff", outputs=("C", "ia"), nargout_aware=True)(
    _two_set("setdiff", "Values of A not in B (sorted, or 'stable'), ``[C, ia] = setdiff(A, B)``."))
base("intersect", outputs=("C", "ia", "ib"), nargout_aware=True)(
    _two_set("intersect", "Values in both A and B, ``[C, ia, ib] = intersect(A, B)``."))
base("union", outputs=("C", "ia", "ib"), nargout_aware=True)(
    _two_set("union", "Values in A or B (each once), ``[C, ia, ib] = union(A, B)``: ib indexes the values "
                      "only B has."))
