"""Scalar loops compiled to Python closures (run mode's fast path; no generated text is executed).

A ``for`` loop over a range (``for i = a:step:b``) or a ``while`` loop whose whole body is scalar
arithmetic — assignments to variables of numbers, variables, ``+ - * / .* ./ ^ .^``, unary minus, ``~``,
comparisons, ``& | && ||``, ``if``/``elseif``/``else``, nested such loops, ``break``/``continue`` — runs
as a tree of Python closures built once per loop node (cached on the node) over a dict of plain Python
floats and bools: no 1×1 numpy array is made per operation, and the range is never materialised.

Values keep MATLAB's types: a variable is ``double`` (Python float) or ``logical`` (Python bool) for the
whole loop; a loop is compiled only when every variable's type is known and consistent (at entry, and
from every assignment) and every variable read is defined. Anything else (a function call, indexing,
a non-scalar variable, text) leaves the loop to the general interpreter. Edge cases of an operation
(division by zero, a power that would be complex or overflow) are computed by the interpreter's general
operator on 1×1 arrays, so results and errors are the same as without the fast path. When the loop ends
(normally, by ``break``, or by an error) the variables it assigned are written back as 1×1 arrays.
"""

from __future__ import annotations

import math

import numpy as np

DOUBLE, LOGICAL = "double", "logical"
_BREAK, _CONTINUE = 1, 2
_CONSTANTS = {"pi": (math.pi, DOUBLE), "Inf": (math.inf, DOUBLE), "inf": (math.inf, DOUBLE),
              "NaN": (math.nan, DOUBLE), "nan": (math.nan, DOUBLE), "eps": (2.0 ** -52, DOUBLE),
              "true": (True, LOGICAL), "false": (False, LOGICAL)}


class NotCompilable(Exception):
    """The loop needs the general interpreter."""


def _entry_type(value):
    if type(value) is np.ndarray and value.shape == (1, 1):
        if value.dtype == np.float64:
            return DOUBLE
        if value.dtype == np.bool_:
            return LOGICAL
    return None


def _as_python(value):
    x = value[0, 0]
    return bool(x) if value.dtype == np.bool_ else float(x)


def _as_array(x):
    if type(x) is bool:
        return np.array([[x]])
    return np.array([[float(x)]])


class _Compiler:
    """Compiles one loop for the variable types found at its entry."""

    def __init__(self, interp, frame):
        self.interp = interp
        self.frame = frame
        self.types: dict = {}        # variable -> DOUBLE / LOGICAL
        self.assigned: set = set()
        self.defined: set = set()    # variables defined at this point of the straight-line order
        self.arrays: set = set()     # double matrices used only as x(i), x(i, j) (read and written in place)
        self.written_arrays: set = set()

    # ---- variables ----

    def var_type(self, name):
        t = self.types.get(name)
        if t is not None:
            return t
        value = self.frame.vars.get(name)
        if value is None:
            return None
        t = _entry_type(value)
        if t is None:
            raise NotCompilable(f"variable '{name}' is not a scalar double or logical")
        self.types[name] = t
        return t

    def bind(self, name, t):
        old = self.var_type(name) if name in self.frame.vars or name in self.types else None
        if old is not None and old != t:
            raise NotCompilable(f"variable '{name}' changes type")
        self.types[name] = t
        self.assigned.add(name)
        self.defined.add(name)

    # ---- expressions: (closure env -> value, type) ----

    def expr(self, node):
        t = node.t
        if t == "number":
            value = self.interp.eval_number(node)
            x = float(value[0, 0])
            return (lambda env: x), DOUBLE
        if t == "identifier":
            name = node.v
            if name in self.arrays:
                raise NotCompilable(f"'{name}' is used as a whole array")
            vt = self.var_type(name)
            if vt is None:
                if name in _CONSTANTS and name not in self.frame.functions:
                    c, ct = _CONSTANTS[name]
                    return (lambda env: c), ct
                raise NotCompilable(f"'{name}' is not a variable")
            if name not in self.defined and name not in self.frame.vars:
                raise NotCompilable(f"'{name}' may be read before it is assigned")
            return (lambda env: env[name]), vt
        if t == "parenthesis":
            return self.expr(node.kids[0])
        if t == "binary_operator":
            return self.binary(node)
        if t == "comparison_operator":
            return self.compare(node)
        if t == "boolean_operator":
            return self.short_circuit(node)
        if t == "unary_operator":
            operand, ot = self.expr(node.f.get("operand", node.kids[0]))
            if node.v == "-":
                if ot == LOGICAL:
                    return (lambda env: -float(operand(env))), DOUBLE
                return (lambda env: -operand(env)), DOUBLE
            if ot == LOGICAL:
                return (lambda env: float(operand(env))), DOUBLE
            return operand, DOUBLE
        if t == "not_operator":
            operand, _ = self.expr(node.kids[0])
            return (lambda env: operand(env) == 0), LOGICAL
        if t == "function_call":
            return self.element_read(node), DOUBLE
        raise NotCompilable(f"'{t}' is not scalar arithmetic")

    # ---- x(i), x(i, j) on double matrices ----

    def subscripts(self, call):
        """(array name, [subscript closures]) of ``x(i)`` / ``x(i, j)``, x an array variable of the loop."""
        if call.v == "{}":
            raise NotCompilable("brace indexing")
        name_node = call.f.get("name")
        if name_node is None or name_node.t != "identifier" or name_node.v not in self.arrays:
            raise NotCompilable("a call or an indexed value that is not an array variable")
        args = self.interp._args_of(call)
        if not 1 <= len(args) <= 2 or any(a.t in ("spread_operator", "end_keyword") or _has_end(a) for a in args):
            raise NotCompilable("subscripts")
        subs = [self.expr(a)[0] for a in args]
        return name_node.v, subs

    def element_read(self, call):
        name, subs = self.subscripts(call)
        interp = self.interp
        if len(subs) == 1:
            (f1,) = subs

            def read1(env):
                a = env[name]
                k = f1(env)
                rows = a.shape[0]
                if type(k) is float and k.is_integer() and 1 <= k <= a.size:
                    k = int(k) - 1
                    return float(a[k % rows, k // rows])
                return _as_python(interp.index_get(a, [_as_array(k)], call))    # MATLAB's error (or value)
            return read1
        f1, f2 = subs

        def read2(env):
            a = env[name]
            r = f1(env)
            c = f2(env)
            if type(r) is float and type(c) is float and r.is_integer() and c.is_integer() and \
                    1 <= r <= a.shape[0] and 1 <= c <= a.shape[1]:
                return float(a[int(r) - 1, int(c) - 1])
            return _as_python(interp.index_get(a, [_as_array(r), _as_array(c)], call))
        return read2

    def element_write(self, st, call):
        name, subs = self.subscripts(call)
        fn, vt = self.expr(st.f["right"])
        self.written_arrays.add(name)
        interp = self.interp
        quiet = st.quiet

        def grow(env, idx, v):
            env[name] = interp.index_set(env[name], idx, _as_array(v), call)   # growth, errors: general path
            if not quiet:
                interp.display(name, env[name])

        if len(subs) == 1:
            (f1,) = subs

            def write1(env):
                v = fn(env)
                a = env[name]
                k = f1(env)
                rows = a.shape[0]
                if quiet and type(k) is float and k.is_integer() and 1 <= k <= a.size:
                    k = int(k) - 1
                    a[k % rows, k // rows] = v
                else:
                    grow(env, [_as_array(k)], v)
            return write1
        f1, f2 = subs

        def write2(env):
            v = fn(env)
            a = env[name]
            r = f1(env)
            c = f2(env)
            if quiet and type(r) is float and type(c) is float and r.is_integer() and c.is_integer() and \
                    1 <= r <= a.shape[0] and 1 <= c <= a.shape[1]:
                a[int(r) - 1, int(c) - 1] = v
            else:
                grow(env, [_as_array(r), _as_array(c)], v)
        return write2

    def binary(self, node):
        op = node.v
        left = node.f.get("left") or node.kids[0]
        right = node.f.get("right") or node.kids[-1]
        if op in ("^", ".^") and left.t == "unary_operator" and left.v in ("-", "+"):
            inner, _ = self.expr(left.f.get("operand", left.kids[0]))
            b, _ = self.expr(right)
            powf = self.power(inner, b, node)
            if left.v == "-":
                return (lambda env: -powf(env)), DOUBLE
            return powf, DOUBLE
        a, at = self.expr(left)
        b, bt = self.expr(right)
        if op in ("&", "|"):
            if op == "&":
                return (lambda env: a(env) != 0 and b(env) != 0), LOGICAL
            return (lambda env: a(env) != 0 or b(env) != 0), LOGICAL
        both_logical = at == LOGICAL and bt == LOGICAL
        direct = None if both_logical else _direct(op, left, right, self)
        if direct is not None:
            return direct, DOUBLE
        if op == "+":
            fn = (lambda env: float(a(env) + b(env))) if both_logical else (lambda env: a(env) + b(env))
        elif op == "-":
            fn = (lambda env: float(a(env) - b(env))) if both_logical else (lambda env: a(env) - b(env))
        elif op in ("*", ".*"):
            fn = (lambda env: float(a(env) * b(env))) if both_logical else (lambda env: a(env) * b(env))
        elif op in ("/", "./"):
            general = self.general(op, node)

            def fn(env):
                x = a(env)
                y = b(env)
                try:
                    return x / y if type(x) is float or type(y) is float else float(x / y)
                except ZeroDivisionError:
                    return general(x, y)
        elif op in ("^", ".^"):
            fn = self.power(a, b, node)
        else:
            raise NotCompilable(f"operator '{op}'")
        return fn, DOUBLE

    def power(self, a, b, node):
        general = self.general("^", node)

        def fn(env):
            x = a(env)
            y = b(env)
            try:
                r = x ** y
            except (OverflowError, ZeroDivisionError):
                return general(x, y)
            if type(r) is not float:
                return general(x, y) if type(r) is complex else float(r)
            return r
        return fn

    def general(self, op, node):
        """The interpreter's own operator on 1×1 arrays (division by zero, complex or overflowing powers)."""
        interp = self.interp

        def fn(x, y):
            out = interp.binary(op, _as_array(x), _as_array(y), node)
            return _as_python(out)
        return fn

    def compare(self, node):
        op = node.v
        a, _ = self.expr(node.kids[0])
        b, _ = self.expr(node.kids[1])
        if op == "==":
            return (lambda env: a(env) == b(env)), LOGICAL
        if op in ("~=", "!="):
            return (lambda env: a(env) != b(env)), LOGICAL
        if op == "<":
            return (lambda env: a(env) < b(env)), LOGICAL
        if op == "<=":
            return (lambda env: a(env) <= b(env)), LOGICAL
        if op == ">":
            return (lambda env: a(env) > b(env)), LOGICAL
        if op == ">=":
            return (lambda env: a(env) >= b(env)), LOGICAL
        raise NotCompilable(f"comparison '{op}'")

    def short_circuit(self, node):
        a, _ = self.expr(node.f.get("left", node.kids[0]))
        b, _ = self.expr(node.f.get("right", node.kids[-1]))
        if node.v == "&&":
            return (lambda env: a(env) != 0 and b(env) != 0), LOGICAL
        return (lambda env: a(env) != 0 or b(env) != 0), LOGICAL

    def condition(self, node):
        fn, _ = self.expr(node)
        return lambda env: fn(env) != 0

    # ---- statements: closure env -> None / _BREAK / _CONTINUE ----

    def block(self, stmts):
        fns = [self.stmt(s) for s in stmts]
        fns = [f for f in fns if f is not None]
        if not fns:
            return lambda env: None
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            f1, f2 = fns

            def two(env):
                r = f1(env)
                if r is not None:
                    return r
                return f2(env)
            return two

        def many(env):
            for f in fns:
                r = f(env)
                if r is not None:
                    return r
            return None
        return many

    def stmt(self, st):
        t = st.t
        if t == "comment":
            return None
        if t == "assignment":
            left = st.f["left"]
            if left.t == "function_call":
                return self.element_write(st, left)
            if left.t != "identifier":
                raise NotCompilable("indexed assignment")
            name = left.v
            fn, vt = self.expr(st.f["right"])
            self.bind(name, vt)
            if not st.quiet:
                interp = self.interp

                def shown(env):
                    env[name] = v = fn(env)
                    interp.display(name, _as_array(v))
                return shown

            def assign(env):
                env[name] = fn(env)
            return assign
        if t == "if_statement":
            return self.if_stmt(st)
        if t == "for_statement":
            return self.for_stmt(st)
        if t == "while_statement":
            return self.while_stmt(st)
        if t == "break_statement":
            return lambda env: _BREAK
        if t == "continue_statement":
            return lambda env: _CONTINUE
        if t == "block":
            return self.block(st.kids)
        raise NotCompilable(f"statement '{t}'")

    def branch_block(self, block):
        """A conditional block: what it assigns is not definitely assigned afterwards."""
        before = set(self.defined)
        fn = self.block(block.kids) if block is not None else (lambda env: None)
        self.defined = before
        return fn

    def if_stmt(self, st):
        arms = []
        cond = st.f.get("condition")
        if cond is None:
            raise NotCompilable("if without condition")
        arms.append((self.condition(cond), self.branch_block(next((k for k in st.kids if k.t == "block"), None))))
        other = None
        for k in st.kids:
            if k.t == "elseif_clause":
                c = k.f.get("condition")
                if c is None:
                    raise NotCompilable("elseif without condition")
                arms.append((self.condition(c), self.branch_block(next((b for b in k.kids if b.t == "block"), None))))
            elif k.t == "else_clause":
                other = self.branch_block(next((b for b in k.kids if b.t == "block"), None))
        if len(arms) == 1 and other is None:
            (c1, b1), = arms

            def if1(env):
                if c1(env):
                    return b1(env)
                return None
            return if1

        def if_n(env):
            for c, b in arms:
                if c(env):
                    return b(env)
            if other is not None:
                return other(env)
            return None
        return if_n

    def range_parts(self, node):
        if node.t != "range" or len(node.kids) not in (2, 3):
            raise NotCompilable("not a range")
        parts = [self.expr(k) for k in node.kids]
        fns = [p[0] for p in parts]
        if len(fns) == 2:
            fa, fb = fns
            return lambda env: (float(fa(env)), 1.0, float(fb(env)))
        fa, fs, fb = fns
        return lambda env: (float(fa(env)), float(fs(env)), float(fb(env)))

    def for_stmt(self, st):
        it = next((k for k in st.kids if k.t == "iterator"), None)
        if it is None or len(it.kids) < 2 or it.kids[0].t != "identifier":
            raise NotCompilable("for header")
        var = it.kids[0].v
        bounds = self.range_parts(it.kids[1])
        self.bind(var, DOUBLE)
        block = next((k for k in st.kids if k.t == "block"), None)
        before = set(self.defined)
        body = self.block(block.kids) if block is not None else (lambda env: None)
        self.defined = before | {var}
        return _compiled_for(var, bounds, body)

    def while_stmt(self, st):
        cond = st.f.get("condition")
        if cond is None:
            raise NotCompilable("while without condition")
        c = self.condition(cond)
        block = next((k for k in st.kids if k.t == "block"), None)
        before = set(self.defined)
        body = self.block(block.kids) if block is not None else (lambda env: None)
        self.defined = before

        def loop(env):
            while c(env):
                r = body(env)
                if r == _BREAK:
                    break
            return None
        return loop


def _operand(node, compiler):
    """('var', name) / ('const', value) for a variable or a number operand, else None."""
    if node.t == "identifier" and compiler.types.get(node.v) is not None:
        return "var", node.v
    if node.t == "number":
        return "const", float(compiler.interp.eval_number(node)[0, 0])
    return None


def _direct(op, left, right, compiler):
    """``x + y``, ``x - 1``, ``2 * x`` ... on variables and numbers as one closure (the hot loop case)."""
    if op not in ("+", "-", "*", ".*"):
        return None
    la, ra = _operand(left, compiler), _operand(right, compiler)
    if la is None or ra is None:
        return None
    (lk, lv), (rk, rv) = la, ra
    if op == "+":
        if lk == "var" and rk == "var":
            return lambda env: env[lv] + env[rv]
        if lk == "var":
            return lambda env: env[lv] + rv
        if rk == "var":
            return lambda env: lv + env[rv]
    elif op == "-":
        if lk == "var" and rk == "var":
            return lambda env: env[lv] - env[rv]
        if lk == "var":
            return lambda env: env[lv] - rv
        if rk == "var":
            return lambda env: lv - env[rv]
    else:
        if lk == "var" and rk == "var":
            return lambda env: env[lv] * env[rv]
        if lk == "var":
            return lambda env: env[lv] * rv
        if rk == "var":
            return lambda env: lv * env[rv]
    return None


def _has_end(node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.t == "end_keyword":
            return True
        stack.extend(n.kids)
    return False


def _indexed_names(node) -> set:
    """Names used as ``name(...)`` (indexing or calls) anywhere in the loop."""
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.t == "function_call":
            name = n.f.get("name")
            if name is not None and name.t == "identifier":
                out.add(name.v)
        stack.extend(n.kids)
    return out


def _sig(value):
    t = _entry_type(value)
    if t is not None:
        return t
    if type(value) is np.ndarray and value.ndim == 2 and value.dtype == np.float64:
        return "array"
    return "other"


def _count(a, step, b):
    from .interp import range_count

    return int(range_count(a, step, b))


def _compiled_for(var, bounds, body):
    def loop(env):
        a, step, b = bounds(env)
        n = _count(a, step, b)
        if n <= 0:
            return None
        if step == 1.0 and a.is_integer() and abs(a) + n < 2 ** 53:
            values = map(float, range(int(a), int(a) + n))
        else:
            values = (a + step * k for k in map(float, range(n)))
        for x in values:
            env[var] = x
            r = body(env)
            if r == _BREAK:
                break
        return None
    return loop


def _mentioned(node) -> tuple:
    out = []
    seen = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.t == "identifier" and n.v not in seen:
            seen.add(n.v)
            out.append(n.v)
        stack.extend(n.kids)
    return tuple(out)


def run_loop(interp, st, frame) -> bool:
    """Run the ``for``/``while`` statement ``st`` compiled, if it can be; False: use the general path."""
    if st.run is None:
        st.run = (_mentioned(st), {}, _indexed_names(st))
    names, cache, indexed = st.run
    sig = tuple(_sig(frame.vars[n]) if n in frame.vars else
                ("fn" if n in frame.functions else None) for n in names)
    entry = cache.get(sig)
    if entry is None:
        compiler = _Compiler(interp, frame)
        try:
            for n in indexed:
                if n in frame.vars:
                    if _sig(frame.vars[n]) not in ("array", DOUBLE):
                        raise NotCompilable(f"'{n}' is not a double matrix")
                    compiler.arrays.add(n)
            fn = compiler.stmt(st)
            reads = [n for n in names if n in frame.vars and compiler.types.get(n) is not None]
            entry = (fn, tuple(reads), tuple(sorted(compiler.assigned)), tuple(sorted(compiler.arrays)),
                     frozenset(compiler.written_arrays))
        except NotCompilable:
            entry = False
        if len(cache) < 8:
            cache[sig] = entry
    if entry is False:
        return False
    fn, reads, assigned, arrays, written = entry
    vars_ = frame.vars
    env = {n: _as_python(vars_[n]) for n in reads}
    owned = frame.owned or {}
    for n in arrays:
        a = vars_[n]
        if n in written and owned.get(n) is not a:
            a = a.copy()          # value semantics: other variables may hold the same array
        env[n] = a
    try:
        fn(env)
    finally:
        for n in assigned:
            if n in env:
                vars_[n] = _as_array(env[n])
                if frame.shared is not None and n in frame.shared:
                    interp.write_shared(frame, n, vars_[n])
        for n in written:
            vars_[n] = env[n]
            if frame.shared is not None and n in frame.shared:
                interp.write_shared(frame, n, env[n])
            elif interp.run_mode:
                if frame.owned is None:
                    frame.owned = {}
                frame.owned[n] = env[n]     # the loop's private copy: later x(i) = v writes need no copy
    return True


__all__ = ["run_loop", "NotCompilable"]
