"""Whole-program translation of a MATLAB script or function file to a Python program (``layergraph port``).

The program imports the MATLAB-language namespace once (``import layergraph.matlab.lang as ml``) and
keeps the script's names, statements, comments and MATLAB array layouts. Every MATLAB value is the
interpreter's value model; every operator, index and concatenation goes through the one implementation
of MATLAB semantics (:mod:`layergraph.matlab.semantics`, reached as ``ml.*``) except where the translator
proves plain Python/numpy equivalent:

* scalar doubles that are provably scalar (every assignment is a scalar double expression: literals,
  ``+ - *`` of such scalars, counters of ``for i = a:b``, ``numel``/``size(x, k)``) are Python numbers;
  ``/`` and ``^`` of them go through ``ml.sdiv``/``ml.spow`` (MATLAB's Inf/NaN instead of Python's errors);
* ``A(i, j)`` with two or more subscripts reads/writes ``A[i - 1, j - 1]`` when ``A`` is a double array
  made by ``zeros``/``ones``/``rand``/``randn`` with as many dimensions as subscripts, each subscript is
  the counter of a ``for`` loop over ``1:n`` where ``n`` is that dimension of ``A`` (the same variable or
  ``size(A, k)``), nothing reassigns ``A``, ``n`` or the counter meanwhile, and (writes) ``A`` has no
  other name yet (no alias can observe the in-place write).

No MATLAB source text is executed: the program is built from the parsed tree; text appears only as
``repr`` literals.
"""

from __future__ import annotations

import keyword
import os
import re
from dataclasses import dataclass, field

from .source import Node, SourceFile

#: Names the emitted code uses itself: a MATLAB variable or function with one of these names gets a
#: trailing underscore (documented in docs/guide/porting-programs.md).
RESERVED = frozenset({"ml", "np", "float", "int", "range", "len", "locals", "map", "None", "True", "False",
                      "nargout", "nargin", "print", "isinstance", "tuple", "list", "dict", "str", "object",
                      "script", "main", "lambda", "type", "math"})

_ARRAY_MAKERS = frozenset({"zeros", "ones", "rand", "randn"})
_FRAME_FUNCTIONS = frozenset({"nargin", "nargout", "exist", "clear", "clearvars", "clc", "close", "format", "more",
                              "error"})
_NO_OUTPUT = frozenset({"disp", "fprintf", "display", "hold", "figure", "plot", "title", "xlabel", "ylabel",
                        "legend", "grid", "axis", "subplot", "drawnow", "warning", "rng", "tic", "clc", "close",
                        "format", "more", "assert", "print", "saveas", "save", "colorbar", "colormap", "imshow",
                        "histogram", "bar", "scatter", "line", "text", "xlim", "ylim", "zlim", "pause"})
#: MATLAB functions of one scalar double computed on unboxed Python numbers (same results: ml.ssqrt
#: falls back to MATLAB's sqrt for negative input; floor/ceil/fix keep NaN, Inf and -0 as IEEE does)
_SCALAR_FUNCTIONS = {"sqrt": "ml.ssqrt", "abs": "abs", "floor": "ml.sfloor", "ceil": "ml.sceil", "fix": "ml.sfix"}
_BINARY = {"+": "plus", "-": "minus", ".*": "times", "*": "mtimes", "./": "rdivide", "/": "mrdivide",
           ".\\": "ldivide", "\\": "mldivide", ".^": "power", "^": "mpower", "&": "and_", "|": "or_"}
_COMPARE = {"==": "eq", "~=": "ne", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}

# expression kinds: I Python int (an integer-valued double), F Python float, B Python bool, V MATLAB value,
# L a value that may be a comma-separated list (c{:}, s.f of a struct array)
I, F, B, V, L = "I", "F", "B", "V", "L"


class TranslateError(Exception):
    pass


def _strip(text: str) -> str:
    quote = text[0]
    body = text[1:-1] if len(text) >= 2 and text[-1] == quote else text[1:]
    return body.replace(quote * 2, quote)


def _number(text: str):
    t = text.lower()
    if t.endswith(("i", "j")):
        raise TranslateError("complex numbers are not supported")
    if t.startswith(("0x", "0b")):
        base = 16 if t.startswith("0x") else 2
        return float(int(re.split(r"[us]", t[2:])[0], base))
    return float(t)


def _py_float(x: float) -> str:
    if x != x:
        return "math.nan"
    if x in (float("inf"), float("-inf")):
        return "math.inf" if x > 0 else "-math.inf"
    return repr(x)


def _args_of(call: Node) -> list:
    for k in call.kids:
        if k.t == "arguments":
            return k.kids
    return []


def _block(node: Node) -> list:
    b = next((k for k in node.kids if k.t == "block"), None)
    return b.kids if b is not None else []


def _walk(node: Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.kids)


def _chain(node: Node):
    """(root identifier node, [(kind, payload node(s), node)]) of x, x(i), x{i}, x.f, x(i).f{j}; or (None, None)."""
    if node.t == "identifier":
        return node, []
    if node.t == "function_call":
        root, chain = _chain(node.f["name"])
        if root is None:
            return None, None
        chain.append(("{}" if node.v == "{}" else "()", _args_of(node), node))
        return root, chain
    if node.t == "field_expression":
        root, chain = _chain(node.f["object"])
        if root is None:
            return None, None
        for fld in node.f.get("field", []):
            if fld.t == "identifier":
                chain.append((".", fld.v, fld))
            elif fld.t == "function_call":
                chain.append((".", fld.f["name"].v, fld))
                chain.append(("{}" if fld.v == "{}" else "()", _args_of(fld), fld))
            elif fld.t == "indirect_access":
                chain.append((".()", fld.kids[0], fld))
            else:
                return None, None
        return root, chain
    return None, None


@dataclass
class FunctionInfo:
    name: str
    node: Node
    params: list
    outputs: list
    body: list
    nested: list = field(default_factory=list)


def function_info(node: Node) -> FunctionInfo:
    params, outputs, body = [], [], []
    for k in node.kids:
        if k.t == "function_arguments":
            params = [a.v if a.t == "identifier" else "~" for a in k.kids]
        elif k.t == "function_output":
            for o in k.kids:
                if o.t == "identifier":
                    outputs.append(o.v)
                elif o.t == "multioutput_variable":
                    outputs.extend(x.v for x in o.kids if x.t == "identifier")
        elif k.t == "block":
            body = k.kids
    info = FunctionInfo(node.f["name"].v, node, params, outputs, [s for s in body if s.t != "function_definition"])
    info.nested = [function_info(s) for s in body if s.t == "function_definition"]
    return info


def _comments_and_quiet(src: SourceFile):
    """MATLAB comments {line: [(col, text)]} and the statements ended by ';' {(line, col)} from the
    tree-sitter tree (the porter's tree drops both)."""
    from .source import _LANGUAGE, _ts

    data = src.text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    tree = _ts.Parser(_LANGUAGE).parse(data)
    lines = data.split(b"\n")
    comments: dict = {}
    quiet: set = set()

    def col(row, bcol):
        return len(lines[row][:bcol].decode("utf-8", "replace")) if row < len(lines) else bcol

    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.type == "comment":
            row, bcol = n.start_point
            text = data[n.start_byte:n.end_byte].decode("utf-8", "replace")
            comments.setdefault(row, []).append((col(row, bcol), text))
            continue
        if n.type in ("source_file", "block"):
            prev = None
            for c in n.children:
                if c.type == ";" and prev is not None:
                    r, b = prev.start_point
                    quiet.add((r, col(r, b)))
                prev = c if c.is_named else prev if c.type == ";" else None
        stack.extend(n.children)
    return comments, quiet


def _comment_lines(text: str) -> list:
    """A MATLAB comment (``% ...``, ``%{ ... %}``, ``...`` continuation text) as Python comment lines."""
    from .codegen import comment_text

    out = []
    for raw in text.split("\n"):
        s = raw.strip()
        if s in ("%{", "%}"):
            continue
        s = s[1:] if s.startswith(("%", "#")) else s
        s = s.lstrip("%")
        out.append("#" + (" " if s and not s.startswith(" ") else "") + comment_text(s.rstrip()))
    return out


class Scope:
    """Names of one MATLAB workspace (the script, or one function) and what the translator proved."""

    def __init__(self, kind: str, stmts: list, params=(), outputs=(), parent=None):
        self.kind = kind            # "script", "function", "nested"
        self.stmts = stmts
        self.params = [p for p in params if p != "~"]
        self.outputs = list(outputs)
        self.parent = parent
        self.assigned: set = set()      # every name assigned
        self.indexed: set = set()       # names assigned by x(i)=, x{i}=, x.f= (start as None)
        self.globals: set = set()
        self.persistent: set = set()
        self.kinds: dict = {}           # name -> I / F for unboxed scalars
        self.fixed: dict = {}           # name -> (maker statement, dims nodes) for fast indexing
        self.loopvars: dict = {}        # loop counter -> (upper bound node, for statement)
        self.inplace: set = set()       # arrays written in place
        self.uses_nargin = False
        self.names: dict = {}           # MATLAB name -> Python name
        self.collect()

    def collect(self) -> None:
        if self.kind != "script":
            self.assigned.update(self.params)
            self.assigned.update(o for o in self.outputs)
        for st in self.stmts:
            for n in _walk(st):
                if n.t == "lambda":
                    continue
                if n.t == "assignment":
                    left = n.f["left"]
                    for target in (left.kids if left.t == "multioutput_variable" else [left]):
                        if target.t == "identifier":
                            self.assigned.add(target.v)
                        elif target.t != "ignored_argument":
                            root, _ = _chain(target)
                            if root is not None:
                                self.assigned.add(root.v)
                                self.indexed.add(root.v)
                elif n.t == "for_statement":
                    it = next((k for k in n.kids if k.t == "iterator"), None)
                    if it is not None and it.kids and it.kids[0].t == "identifier":
                        self.assigned.add(it.kids[0].v)
                elif n.t == "catch_clause":
                    ident = next((k for k in n.kids if k.t == "identifier"), None)
                    if ident is not None:
                        self.assigned.add(ident.v)
                elif n.t in ("global_operator", "persistent_operator"):
                    names = [k.v for k in n.kids if k.t == "identifier"]
                    (self.globals if n.t == "global_operator" else self.persistent).update(names)
                    self.assigned.update(names)
                elif n.t == "identifier" and n.v in ("nargin", "exist"):
                    self.uses_nargin = True
        for name in self.assigned | set(self.params):
            self.names[name] = name + "_" if (keyword.iskeyword(name) or name in RESERVED) else name

    def py(self, name: str) -> str:
        return self.names.get(name) or (name + "_" if (keyword.iskeyword(name) or name in RESERVED) else name)


class Translator:
    def __init__(self, src: SourceFile, path_functions: dict | None = None, label: str | None = None):
        self.src = src
        self.label = label or os.path.basename(src.path)
        self.comments, self.quiet = _comments_and_quiet(src)
        self.used_comments: set = set()
        top = [k for k in src.root.kids if k.t not in ("comment",)]
        self.functions = {}
        self.infos = []
        for k in top:
            if k.t == "function_definition" and "name" in k.f:
                info = function_info(k)
                self.infos.append(info)
                self.functions.setdefault(info.name, info)
        self.path_functions = dict(path_functions or {})     # name -> (SourceFile, FunctionInfo)
        self.script_body = [k for k in top if k.t not in ("function_definition", "class_definition")]
        self.stubs: dict = {}      # name -> [locations]
        self.floor = 0             # comments before this line belong to another unit
        self.untranslated: list = []   # (file:line, reason) of statements that raise an error instead
        self.tmp = 0
        self.out: list = []

    # ---- helpers ---------------------------------------------------------------------------------------

    def where(self, node: Node) -> str:
        return f"{self.label}:{node.line + 1}"

    def temp(self, base: str = "t") -> str:
        self.tmp += 1
        return f"_{base}{self.tmp}"

    def emit(self, indent: int, text: str) -> None:
        self.out.append("    " * indent + text)

    def emit_comments(self, indent: int, upto_line: int) -> None:
        for line in sorted(self.comments):
            if line > upto_line:
                break
            if line in self.used_comments or line < self.floor:
                continue
            self.used_comments.add(line)
            for col, text in self.comments[line]:
                for c in _comment_lines(text):
                    self.emit(indent, c)

    def is_quiet(self, st: Node) -> bool:
        q = getattr(st, "quiet", None)
        if q:
            return True
        return (st.line, st.col) in self.quiet

    def add_loaded(self, scope: Scope) -> None:
        """``load(file)`` without outputs creates variables MATLAB code then uses: the names the scope uses
        that nothing else defines become variables the load statements set (``ml.loaded``)."""
        scope.loaded = []
        if not any(_is_bare_load(st) for st in _statements(scope.stmts)):
            return
        skip = set()
        for st in scope.stmts:
            for n in _walk(st):
                if n.t == "field_expression":
                    skip.update(id(f) for f in n.f.get("field", []))
                    skip.update(id(f.f["name"]) for f in n.f.get("field", []) if f.t == "function_call")
                elif n.t == "lambda":
                    skip.update(id(k) for k in _walk(n))
        for st in scope.stmts:
            for n in _walk(st):
                if n.t == "identifier" and id(n) not in skip and n.v not in scope.assigned and n.v.isidentifier() \
                        and n.v not in scope.loaded and self.known_function(n.v, scope) is None:
                    scope.loaded.append(n.v)
        for name in scope.loaded:
            scope.assigned.add(name)
            scope.indexed.add(name)          # starts as None: not an unboxed scalar
            scope.names[name] = name + "_" if (keyword.iskeyword(name) or name in RESERVED) else name

    def emit_load(self, args: list, scope: Scope, indent: int, mark: str) -> None:
        tmp = self.temp("loaded")
        if self.known_function("load", scope) == "ml":
            call = f"ml.load({', '.join(args)})"
        else:
            call = f"{self.stub_name('load', self.current)}({', '.join(args + [f'where={self.where(self.current)!r}'])})"
        self.emit(indent, f"{tmp} = {call}{mark}")
        for name in getattr(scope, "loaded", ()):
            py = scope.py(name)
            self.emit(indent, f"{py} = ml.loaded({tmp}, {name!r}, {py}, {self.where(self.current)!r})")

    def known_function(self, name: str, scope: Scope) -> str | None:
        """How a name that is not a variable is called: 'local', 'path', 'ml', 'frame', or None (a stub)."""
        s = scope
        while s is not None:
            for info in getattr(s, "nested_infos", ()):
                if info.name == name:
                    return "local"
            s = s.parent
        if name in self.functions:
            return "local"
        if name in self.path_functions:
            return "path"
        if name in _FRAME_FUNCTIONS:
            return "frame"
        from . import lang

        return "ml" if lang.exists(name) else None

    def is_var(self, name: str, scope: Scope) -> bool:
        s = scope
        while s is not None:
            if name in s.assigned:
                return True
            if s.kind != "nested":
                break
            s = s.parent
        return False

    def var(self, name: str, scope: Scope) -> str:
        s = scope
        while s is not None:
            if name in s.assigned:
                return s.py(name)
            s = s.parent
        return scope.py(name)

    def kind_of_var(self, name: str, scope: Scope):
        return scope.kinds.get(name, V) if name in scope.assigned else V

    def stub_name(self, name: str, node: Node) -> str:
        self.stubs.setdefault(name, []).append(self.where(node))
        return f"_missing_{name}"

    # ---- type inference ------------------------------------------------------------------------------------

    def infer(self, scope: Scope) -> None:
        """Unboxed scalars (I/F) and fast-indexable arrays of a scope."""
        cands = {n for n in scope.assigned if n not in scope.indexed and n not in scope.globals
                 and n not in scope.persistent and n not in scope.params and n not in ("varargin", "varargout", "ans")}
        if scope.kind == "nested" or getattr(scope, "nested_infos", None):
            cands = set()   # shared with nested functions: keep MATLAB values
        captured = set()
        for st in scope.stmts:
            for n in _walk(st):
                if n.t == "lambda":
                    captured.update(k.v for k in _walk(n) if k.t == "identifier")
        assigns: dict = {}
        for st in scope.stmts:
            for n in _walk(st):
                if n.t == "assignment":
                    left = n.f["left"]
                    if left.t == "identifier":
                        assigns.setdefault(left.v, []).append(("expr", n.f["right"]))
                    elif left.t == "multioutput_variable":
                        for t in left.kids:
                            if t.t == "identifier":
                                assigns.setdefault(t.v, []).append(("multi", None))
                elif n.t == "for_statement":
                    it = next((k for k in n.kids if k.t == "iterator"), None)
                    if it is not None and len(it.kids) >= 2 and it.kids[0].t == "identifier":
                        assigns.setdefault(it.kids[0].v, []).append(("for", it.kids[1]))
                elif n.t == "catch_clause":
                    ident = next((k for k in n.kids if k.t == "identifier"), None)
                    if ident is not None:
                        assigns.setdefault(ident.v, []).append(("multi", None))
                elif n.t in ("command",) and n.kids and n.kids[0].v in ("clear", "clearvars"):
                    cands = set()
                elif n.t == "identifier" and n.v in ("clear", "clearvars", "eval", "load", "assignin", "evalin"):
                    cands = set()
        # scalars and fast-indexable arrays depend on each other: start optimistic (every candidate an unboxed
        # integer, every array made by zeros/ones/rand/randn fast) and drop what fails until nothing changes
        scope.kinds = {n: I for n in cands}
        allowed = None
        for _round in range(10):
            scope.fixed, scope.loopvars, scope.inplace = {}, {}, set()
            self.find_fixed(scope, assigns, captured, allowed)
            kinds = {n: I for n in cands}
            changed = True
            while changed:
                changed = False
                scope.kinds = kinds
                for name in list(kinds):
                    k = None
                    for how, rhs in assigns.get(name, [("multi", None)]):
                        if how == "expr":
                            e = self.static_kind(rhs, scope)
                        elif how == "for":
                            e = self.loop_kind(rhs, scope)
                        else:
                            e = V
                        if e not in (I, F):
                            k = V
                            break
                        k = F if (k == F or e == F) else I
                    if k in (None, V):
                        del kinds[name]
                        changed = True
                    elif k != kinds[name]:
                        kinds[name] = k
                        changed = True
            scope.kinds = kinds
            snapshot = set(scope.fixed)
            scope.fixed, scope.loopvars, scope.inplace = {}, {}, set()
            self.find_fixed(scope, assigns, captured, snapshot)
            if set(scope.fixed) == snapshot:
                break
            allowed = set(scope.fixed)
        self.find_zero_based(scope)

    def find_zero_based(self, scope: Scope) -> None:
        """Loops ``for i = 1:n`` whose counter is used only as a proved subscript (``A(i, j)`` -> ``A[i0, j0]``)
        and that have no ``break``: they count from zero; the counter gets its final MATLAB value after the loop."""
        scope.zero_based = {}
        for var, loops in scope.loopvars.items():
            for bound, loop in loops:
                if id(loop) in scope.zero_based:
                    continue
                body = _block(loop)
                uses, ok = [], True
                stack = list(body)
                while stack:
                    n = stack.pop()
                    if n.t == "break_statement":
                        ok = False          # a break anywhere inside (even an inner loop's) keeps the counter
                    if n.t in ("lambda",):
                        if any(k.t == "identifier" and k.v == var for k in _walk(n)):
                            ok = False
                        continue
                    if n.t == "function_call" and n.v != "{}" and n.f["name"].t == "identifier":
                        args = _args_of(n)
                        if any(a.t == "identifier" and a.v == var for a in args):
                            if n.f["name"].v not in scope.fixed or self.fast_index(n, scope) is None:
                                ok = False
                            stack.extend(a for a in args if not (a.t == "identifier" and a.v == var))
                            continue
                    if n.t == "identifier" and n.v == var:
                        ok = False
                    if n.t == "for_statement":
                        it = next((k for k in n.kids if k.t == "iterator"), None)
                        if it is not None and it.kids and it.kids[0].t == "identifier" and it.kids[0].v == var:
                            ok = False
                    stack.extend(n.kids)
                if ok:
                    self.tmp += 1
                    scope.zero_based[id(loop)] = f"_{scope.py(var)}{self.tmp}"

    def loop_kind(self, rng: Node, scope: Scope):
        if rng.t != "range" or len(rng.kids) != 2:
            return V
        lo, hi = (self.static_kind(k, scope) for k in rng.kids)
        if lo == I and hi in (I, F):
            return I
        if lo in (I, F) and hi in (I, F):
            return F
        return V

    def static_kind(self, node: Node, scope: Scope):
        t = node.t
        if t == "number":
            try:
                x = _number(node.v)
            except (TranslateError, ValueError):
                return V
            return I if x.is_integer() and abs(x) < 2 ** 31 else F
        if t == "identifier":
            if node.v in scope.kinds:
                return scope.kinds[node.v]
            return V
        if t == "parenthesis":
            return self.static_kind(node.kids[0], scope)
        if t == "unary_operator":
            k = self.static_kind(node.f.get("operand", node.kids[0]), scope)
            return k if k in (I, F) else V
        if t == "binary_operator":
            a = self.static_kind(node.f.get("left") or node.kids[0], scope)
            b = self.static_kind(node.f.get("right") or node.kids[-1], scope)
            if a not in (I, F) or b not in (I, F):
                return V
            if node.v in ("+", "-", "*", ".*") and a == I and b == I and (
                    (node.f.get("right") or node.kids[-1]).t == "number"
                    or (node.f.get("left") or node.kids[0]).t == "number"):
                return I
            if node.v in ("+", "-", "*", ".*", "/", "./", "^", ".^"):
                return F
            return V
        if t == "function_call" and node.v != "{}":
            name = node.f["name"]
            args = _args_of(node)
            if name.t == "identifier" and not self.is_var(name.v, scope):
                if name.v in ("numel", "length") and len(args) == 1:
                    return I
                if name.v == "size" and len(args) == 2:
                    return I
                if name.v in _SCALAR_FUNCTIONS and len(args) == 1 and self.static_kind(args[0], scope) in (I, F):
                    return F
            if name.t == "identifier" and self.fast_index(node, scope) is not None:
                return F
        return V

    def find_fixed(self, scope: Scope, assigns: dict, captured: set, allowed=None) -> None:
        """Arrays made once at the top level by zeros/ones/rand/randn(dims...) with dims unboxed scalars or
        literals: ``A(i, j)`` with loop counters over exactly those dims reads ``A[i - 1, j - 1]``."""
        top_index = {id(st): i for i, st in enumerate(scope.stmts)}
        for pos, st in enumerate(scope.stmts):
            if st.t != "assignment" or st.f["left"].t != "identifier":
                continue
            name = st.f["left"].v
            rhs = st.f["right"]
            if allowed is not None and name not in allowed:
                continue
            if len(assigns.get(name, [])) != 1 or name in captured or name in scope.globals or name in scope.params:
                continue
            if rhs.t != "function_call" or rhs.v == "{}" or rhs.f["name"].t != "identifier":
                continue
            maker = rhs.f["name"].v
            dims = _args_of(rhs)
            if maker not in _ARRAY_MAKERS or self.is_var(maker, scope) or len(dims) < 2:
                continue
            if not all((d.t == "number" and self.static_kind(d, scope) == I) or
                       (d.t == "identifier" and scope.kinds.get(d.v) == I and len(assigns.get(d.v, [])) == 1)
                       for d in dims):
                continue
            scope.fixed[name] = (pos, dims)
        del top_index
        # loop counters: for i = 1:n (n an unboxed integer assigned once, or size(A, k)); a counter assigned only
        # by for statements
        for st in scope.stmts:
            for n in _walk(st):
                if n.t != "for_statement":
                    continue
                it = next((k for k in n.kids if k.t == "iterator"), None)
                if it is None or len(it.kids) < 2 or it.kids[0].t != "identifier":
                    continue
                var, rng = it.kids[0].v, it.kids[1]
                if scope.kinds.get(var) != I or any(how != "for" for how, _ in assigns.get(var, [])):
                    continue
                if rng.t != "range" or len(rng.kids) != 2 or rng.kids[0].t != "number" or rng.kids[0].v != "1":
                    continue
                scope.loopvars.setdefault(var, []).append((rng.kids[1], n))
        # in-place writes: the array is written only by fast subscripts, and no bare use of it comes before
        # the last write or inside a loop that writes it
        for name, (pos, dims) in list(scope.fixed.items()):
            writes, bare = [], []
            for st in scope.stmts[pos + 1:]:
                for n in _walk(st):
                    if n.t == "assignment":
                        left = n.f["left"]
                        if left.t == "function_call" and left.v != "{}" and left.f["name"].t == "identifier" \
                                and left.f["name"].v == name:
                            writes.append(n)
                    if n.t == "identifier" and n.v == name:
                        bare.append(n)
            ok = True
            write_nodes = {id(w.f["left"].f["name"]) for w in writes}
            bare = [b for b in bare if id(b) not in write_nodes]
            reads = set()
            for st in scope.stmts[pos + 1:]:
                for n in _walk(st):
                    if n.t == "function_call" and n.v != "{}" and n.f["name"].t == "identifier" and \
                            n.f["name"].v == name:
                        reads.add(id(n.f["name"]))
            escapes = [b for b in bare if id(b) not in reads]
            for w in writes:
                if self.fast_index(w.f["left"], scope, name_ok=True) is None or \
                        self.static_kind(w.f["right"], scope) not in (I, F):
                    ok = False
            if writes and ok:
                last = max((w.line, w.col) for w in writes)
                if any((b.line, b.col) <= last for b in escapes):
                    ok = False
                for loops in scope.loopvars.values():
                    for bound, loop in loops:
                        inside = {id(x) for x in _walk(loop)}
                        if any(id(w) in inside for w in writes) and any(id(b) in inside for b in escapes):
                            ok = False
            if writes and ok:
                scope.inplace.add(name)
            elif writes:
                del scope.fixed[name]

    def fast_index(self, node: Node, scope: Scope, name_ok: bool = False):
        """``[i - 1, j - 1]`` text for ``A(i, j)`` when provably plain numpy indexing, else None."""
        if node.t != "function_call" or node.v == "{}" or node.f["name"].t != "identifier":
            return None
        name = node.f["name"].v
        fixed = scope.fixed.get(name)
        if fixed is None:
            return None
        pos, dims = fixed
        subs = _args_of(node)
        prefix = suffix = ""
        if len(subs) == 1 and len(dims) == 2 and dims[0].t == "number" and dims[0].v == "1":
            dims, prefix = dims[1:], "0, "            # a row vector zeros(1, n): v(j) is v[0, j - 1]
        elif len(subs) == 1 and len(dims) == 2 and dims[1].t == "number" and dims[1].v == "1":
            dims, suffix = dims[:1], ", 0"            # a column vector zeros(n, 1): v(i) is v[i - 1, 0]
        elif len(subs) != len(dims) or len(subs) < 2:
            return None
        parts = []
        for k, (s, d) in enumerate(zip(subs, dims)):
            if s.t != "identifier" or s.v not in scope.loopvars:
                return None
            loop = bound = None
            for b_, l_ in scope.loopvars[s.v]:
                if any(x is node for x in _walk(l_)):
                    if loop is None or any(x is l_ for x in _walk(loop)):
                        loop, bound = l_, b_      # the innermost loop over this counter that holds the index
            if loop is None:
                return None
            if any(x is not loop and x.t == "for_statement" and x.kids and x.kids[0].kids and
                   x.kids[0].kids[0].t == "identifier" and x.kids[0].kids[0].v == s.v for x in _walk(loop)
                   if any(y is node for y in _walk(x))):
                return None
            same = (bound.t == d.t == "identifier" and bound.v == d.v) or \
                   (bound.t == d.t == "number" and bound.v == d.v) or \
                   (bound.t == "function_call" and bound.f["name"].t == "identifier" and bound.f["name"].v == "size"
                    and len(_args_of(bound)) == 2 and _args_of(bound)[0].t == "identifier"
                    and _args_of(bound)[0].v == name and _args_of(bound)[1].t == "number"
                    and _args_of(bound)[1].v == str(k + 1))
            if not same:
                return None
            zero = getattr(scope, "zero_based", {}).get(id(loop))
            parts.append(zero if zero is not None else f"{scope.py(s.v)} - 1")
        return prefix + ", ".join(parts) + suffix

    # ---- expressions -----------------------------------------------------------------------------------

    def expr(self, node: Node, scope: Scope, end=None):
        """(python text, kind) of an expression; ``end``: (base text, k, n) inside a subscript."""
        t = node.t
        if t == "number":
            x = _number(node.v)
            if x.is_integer() and abs(x) < 2 ** 31:
                return str(int(x)), I
            return _py_float(x), F
        if t == "string":
            body = _strip(node.v)
            return (f"ml.string({body!r})" if node.v.startswith('"') else repr(body)), V
        if t == "identifier":
            return self.identifier(node, scope)
        if t == "parenthesis":
            text, k = self.expr(node.kids[0], scope, end)
            if k == L:
                return f"ml.args({text})[0]", V
            return f"({text})", k
        if t == "binary_operator":
            return self.binary(node, scope, end)
        if t == "comparison_operator":
            (a, ka), (b, kb) = self.expr(node.kids[0], scope, end), self.expr(node.kids[1], scope, end)
            if ka in (I, F) and kb in (I, F):
                op = {"~=": "!=", "!=": "!="}.get(node.v, node.v)
                return f"{a} {op} {b}", B
            return f"ml.{_COMPARE[node.v]}({self.val(a, ka)}, {self.val(b, kb)})", V
        if t == "boolean_operator":
            a = self.cond(node.f.get("left", node.kids[0]), scope, end)
            b = self.cond(node.f.get("right", node.kids[-1]), scope, end)
            word = "and" if node.v == "&&" else "or"
            return f"({a} {word} {b})", B
        if t == "unary_operator":
            text, k = self.expr(node.f.get("operand", node.kids[0]), scope, end)
            if k in (I, F):
                return (f"-{text}" if node.v == "-" else text), k
            return f"ml.{'uminus' if node.v == '-' else 'uplus'}({self.val(text, k)})", V
        if t == "not_operator":
            text, k = self.expr(node.kids[0], scope, end)
            if k == B:
                return f"(not {text})", B
            if k in (I, F):
                return f"({text} == 0)", B
            return f"ml.not_({self.val(text, k)})", V
        if t == "postfix_operator":
            text, k = self.expr(node.f.get("operand", node.kids[0]), scope, end)
            if k in (I, F):
                return text, k
            return f"ml.{'ctranspose' if node.v == chr(39) else 'transpose'}({self.val(text, k)})", V
        if t == "range":
            parts = [self.value(k, scope, end) for k in node.kids]
            return f"ml.colon({', '.join(parts)})", V
        if t == "end_keyword":
            if end is None:
                raise TranslateError("'end' outside of an index expression")
            base, k, n = end
            return f"ml.end({base}, {k}, {n})", V
        if t == "matrix":
            return self.matrix(node, scope, end)
        if t == "cell":
            rows = [r for r in node.kids if r.t == "row"]
            parts = ["[" + ", ".join(self.item(x, scope, end) for x in r.kids) + "]" for r in rows]
            return f"ml.cellarray([{', '.join(parts)}])", V
        if t == "lambda":
            return self.lambda_(node, scope), V
        if t == "handle_operator":
            target = node.kids[0]
            name = target.v if target.t == "identifier" else None
            if name is None:
                raise TranslateError("unsupported function handle")
            how = self.known_function(name, scope)
            if how in ("local", "path"):
                return self.fn_name(name), V
            if how == "ml":
                return f"ml.handle({name!r})", V
            return self.stub_name(name, node), V
        if t in ("function_call", "field_expression"):
            return self.call_chain(node, scope, end, nargout=1)
        if t == "spread_operator":
            return "ml.C", V
        raise TranslateError(f"unsupported syntax '{t}'")

    def val(self, text: str, kind) -> str:
        """Text of a MATLAB value (unboxed scalars and bools boxed; comma lists take their first)."""
        if kind == B:
            return f"ml.lg({text})"
        if kind == L:
            return f"ml.args({text})[0]"
        return text

    def value(self, node: Node, scope: Scope, end=None) -> str:
        text, k = self.expr(node, scope, end)
        return self.val(text, k)

    def item(self, node: Node, scope: Scope, end=None) -> str:
        """An element of an argument list or a [...]/{...} row: comma lists expand."""
        text, k = self.expr(node, scope, end)
        if k == L:
            return f"*ml.args({text})"
        return self.val(text, k)

    def cond(self, node: Node, scope: Scope, end=None) -> str:
        text, k = self.expr(node, scope, end)
        if k == B:
            return text
        if k in (I, F):
            return f"({text} != 0)"
        return f"ml.truth({self.val(text, k)})"

    def binary(self, node: Node, scope: Scope, end):
        op = node.v
        left = node.f.get("left") or node.kids[0]
        right = node.f.get("right") or node.kids[-1]
        a, ka = self.expr(left, scope, end)
        b, kb = self.expr(right, scope, end)
        if ka in (I, F) and kb in (I, F):
            kind = self.static_kind(node, scope)
            kind = kind if kind in (I, F) else F
            if op in ("+", "-"):
                return f"{a} {op} {b}", (I if ka == kb == I and kind == I else F)
            if op in ("*", ".*"):
                if ka == kb == I and (left.t == "number" or right.t == "number"):
                    return f"{a} * {b}", I       # a counter times a literal integer stays an exact integer
                if ka == kb == I:
                    return f"float({a} * {b})", F
                return f"{a} * {b}", F
            if op in ("/", "./"):
                if right.t == "number" and _number(right.v) != 0:
                    return f"{a} / {b}", F
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\[[A-Za-z0-9_ ,+-]*\]", b):
                    # an element of a double array is a numpy float64: IEEE division (Inf/NaN) as in MATLAB
                    return f"{a} / {b}", F
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*|\(\d+\)|\d+(\.\d*)?", b):
                    # a name, an element or a number: plain division unless it is zero
                    return f"({a} / {b} if {b} != 0 else ml.sdiv({a}, {b}))", F
                return f"ml.sdiv({a}, {b})", F
            if op in ("^", ".^"):
                return f"ml.spow({a}, {b})", F
        fn = _BINARY.get(op)
        if fn is None:
            raise TranslateError(f"unsupported operator '{op}'")
        return f"ml.{fn}({self.val(a, ka)}, {self.val(b, kb)})", V

    def matrix(self, node: Node, scope: Scope, end):
        rows = [r for r in node.kids if r.t == "row"]
        if not rows or all(not r.kids for r in rows):
            return "ml.empty()", V
        literal = []
        for r in rows:
            vals = []
            for x in r.kids:
                sign = 1.0
                if x.t == "unary_operator" and x.v in ("-", "+") and x.kids and x.kids[0].t == "number":
                    sign = -1.0 if x.v == "-" else 1.0
                    x = x.kids[0]
                if x.t != "number":
                    literal = None
                    break
                try:
                    vals.append(sign * _number(x.v))
                except TranslateError:
                    literal = None
                    break
            if literal is None:
                break
            literal.append(vals)
        if literal is not None and len({len(r) for r in literal}) == 1 and literal[0]:
            body = ", ".join("[" + ", ".join(_py_float(x) if not x.is_integer() else str(int(x)) for x in r) + "]"
                             for r in literal)
            return f"ml.matrix([{body}])", V
        parts = ["[" + ", ".join(self.item(x, scope, end) for x in r.kids) + "]" for r in rows]
        if len(parts) > 1 or sum(len(r.kids) for r in rows) > 3:
            inner = (",\n" + "    " * 3).join(parts)
            if sum(len(r.kids) for r in rows) > 3 and len(parts) > 1:
                return f"ml.brackets([\n            {inner},\n        ])", V
        return f"ml.brackets([{', '.join(parts)}])", V

    def identifier(self, node: Node, scope: Scope):
        name = node.v
        if self.is_var(name, scope) or (scope.kind == "script" and name in scope.assigned):
            return self.var(name, scope), self.kind_of_var(name, scope)
        if name == "nargin" and scope.kind != "script":
            return "nargin", I
        if name == "nargout" and scope.kind != "script":
            return "nargout", I
        if name == "end":
            raise TranslateError("'end' outside of an index expression")
        return self.call_named(name, [], node, scope, nargout=1)

    def call_named(self, name: str, argnodes: list, node: Node, scope: Scope, nargout: int = 1, end=None):
        """A call of a function (not a variable) by name."""
        args = self.call_args(argnodes, scope, end)
        how = self.known_function(name, scope)
        nk = "" if nargout == 1 else f", nargout={nargout}" if args else f"nargout={nargout}"
        if how == "frame":
            return self.frame_call(name, argnodes, args, node, scope, nargout)
        if name in ("feval",) and argnodes and argnodes[0].t == "string":
            target = _strip(argnodes[0].v)
            return self.call_named(target, argnodes[1:], node, scope, nargout, end)
        if name == "feval" and args:
            return f"ml.call({', '.join(args)}{nk})", V
        if name in ("eval", "evalin", "evalc", "str2func", "assignin", "builtin", "run"):
            raise TranslateError(f"'{name}' executes MATLAB text; the translated program does not execute text")
        if how in ("local", "path"):
            return f"{self.fn_name(name)}({', '.join(args)}{nk})", V
        if how == "ml" and name in _SCALAR_FUNCTIONS and len(argnodes) == 1 and nargout == 1:
            text, kind = self.expr(argnodes[0], scope, end)
            if kind in (I, F):
                return f"{_SCALAR_FUNCTIONS[name]}({text})", F
        if how == "ml" and name in ("numel", "length") and len(argnodes) == 1 and nargout == 1 and \
                self.static_kind(node, scope) == I:
            return f"ml.count({', '.join(args)})" if name == "numel" else f"ml.count_length({', '.join(args)})", I
        if how == "ml" and name == "size" and len(argnodes) == 2 and nargout == 1 and \
                self.static_kind(node, scope) == I:
            return f"ml.count_dim({', '.join(args)})", I
        if how == "ml":
            return f"ml.{_ml_name(name)}({', '.join(args)}{nk})", V
        where = f"where={self.where(node)!r}"
        return f"{self.stub_name(name, node)}({', '.join(args + [where])}{nk})", V

    def frame_call(self, name, argnodes, args, node, scope, nargout):
        if name == "nargin":
            return ("nargin", I) if scope.kind != "script" else ("ml.error('nargin is only valid in a function')", V)
        if name == "nargout":
            return ("nargout", I) if scope.kind != "script" else ("ml.error('nargout is only valid in a function')", V)
        if name == "exist" and argnodes and argnodes[0].t == "string":
            target = _strip(argnodes[0].v)
            if self.is_var(target, scope):
                return f"ml.lg({self.var(target, scope)} is not None)" if target in scope.indexed else \
                    f"ml.num(1.0 if {target!r} in locals() else 0.0)", V
            how = self.known_function(target, scope)
            return ("ml.num(2.0)" if how in ("local", "path") else "ml.num(5.0)" if how == "ml" else "ml.num(0.0)"), V
        if name == "error":
            return f"ml.error({', '.join(args)})", V
        return "None", V

    def call_args(self, argnodes: list, scope: Scope, end=None) -> list:
        out = []
        for a in argnodes:
            if a.extra == "name_value" and a.t == "identifier":
                out.append(repr(a.v))
                continue
            out.append(self.item(a, scope, end))
        return out

    def fn_name(self, name: str) -> str:
        return name + "_" if keyword.iskeyword(name) or name in RESERVED else name

    def subs(self, argnodes: list, base: str, scope: Scope) -> list:
        n = len(argnodes)
        out = []
        for k, a in enumerate(argnodes):
            if a.t == "spread_operator":
                out.append("ml.C")
                continue
            text, kind = self.expr(a, scope, (base, k, n))
            out.append(f"*ml.args({text})" if kind == L else self.val(text, kind))
        return out

    def call_chain(self, node: Node, scope: Scope, end, nargout: int = 1):
        root, chain = _chain(node)
        if root is None:
            obj = node.f.get("object")
            base, k = self.expr(obj, scope, end)
            base = self.val(base, k)
            chain = []
            for fld in node.f.get("field", []):
                if fld.t == "identifier":
                    chain.append((".", fld.v, fld))
                else:
                    raise TranslateError("unsupported field syntax")
            return self.apply(base, chain, scope, nargout)
        name = root.v
        if self.is_var(name, scope) or (scope.kind == "script" and name in scope.assigned):
            if chain and chain[0][0] == "()" and len(chain) == 1:
                fast = self.fast_index(node, scope)
                if fast is not None:
                    return f"{self.var(name, scope)}[{fast}]", F
            base, k = self.var(name, scope), self.kind_of_var(name, scope)
            return self.apply(self.val(base, k), chain, scope, nargout)
        # a function call, possibly followed by accessors
        if not chain:
            return self.call_named(name, [], node, scope, nargout, end)
        if chain[0][0] == "()":
            rest = chain[1:]
            text, kind = self.call_named(name, chain[0][1], chain[0][2], scope, nargout if not rest else 1, end)
            if not rest:
                return text, kind
            return self.apply(text, rest, scope, nargout)
        if chain[0][0] == "{}":
            raise TranslateError(f"'{name}' is not a variable (brace indexing needs a cell array)")
        text, _ = self.call_named(name, [], node, scope, 1, end)
        return self.apply(text, chain, scope, nargout)

    def apply(self, base: str, chain: list, scope: Scope, nargout: int):
        kind = V
        i = 0
        while i < len(chain):
            k, payload, where = chain[i]
            if k == ".":
                if i + 1 < len(chain) and chain[i + 1][0] == "()":
                    args = self.subs(chain[i + 1][1], f"ml.field({base}, {payload!r})", scope)
                    last = i + 2 == len(chain)
                    nk = f", nargout={nargout}" if last and nargout != 1 else ""
                    base = f"ml.member({base}, {payload!r}{''.join(', ' + a for a in args)}{nk})"
                    i += 2
                    kind = V
                    continue
                base = f"ml.field({base}, {payload!r})"
                kind = L
            elif k == ".()":
                name = self.value(payload, scope)
                base = f"ml.field({base}, {name})"
                kind = L
            elif k == "()":
                args = self.subs(payload, base, scope)
                last = i + 1 == len(chain)
                nk = f", nargout={nargout}" if last and nargout != 1 else ""
                span = self.span(payload, args)
                if span is not None and not nk:       # x(a:b): ml.index_span(x, a, b) is ml.index(x, ml.colon(a, b))
                    base = f"ml.index_span({self.val(base, kind)}, {span})"
                    kind = V
                    i += 1
                    continue
                base = f"ml.index({self.val(base, kind)}{''.join(', ' + a for a in args)}{nk})" if nk else \
                    f"ml.index({self.val(base, kind)}{''.join(', ' + a for a in args)})"
                kind = V
            elif k == "{}":
                args = self.subs(payload, base, scope)
                base = f"ml.brace({self.val(base, kind)}{''.join(', ' + a for a in args)})"
                kind = L
            i += 1
        return base, kind

    @staticmethod
    def span(payload: list, args: list) -> str | None:
        """``a, b`` of a single subscript ``a:b`` (translated as ``ml.colon(a, b)``), else None."""
        if len(payload) != 1 or payload[0].t != "range" or len(payload[0].kids) != 2 or len(args) != 1:
            return None
        text = args[0]
        if not (text.startswith("ml.colon(") and text.endswith(")")):
            return None
        return text[len("ml.colon("):-1]

    def lambda_(self, node: Node, scope: Scope) -> str:
        params = []
        for k in node.kids:
            if k.t == "arguments":
                params = [a.v for a in k.kids]
        body = node.f.get("expression")
        inner = Scope("lambda", [], params)
        inner.assigned = set(params)
        for p in params:
            inner.names[p] = p + "_" if (keyword.iskeyword(p) or p in RESERVED) else p
        inner.kinds = {}
        inner.parent = None
        # free variables of the enclosing scope are captured by value when the handle is made
        free = []
        for n in _walk(body):
            if n.t == "identifier" and n.v not in params and self.is_var(n.v, scope) and n.v not in free:
                free.append(n.v)
        for f in free:
            inner.assigned.add(f)
            inner.names[f] = scope.py(f) if f in scope.assigned else self.var(f, scope)
            if scope.kinds.get(f):
                inner.kinds[f] = scope.kinds[f]
        inner.fixed = {}
        inner.loopvars = {}
        inner.kind = "lambda"
        saved_is_var = None
        del saved_is_var
        if body.t in ("function_call", "field_expression", "identifier") and not (
                body.t == "identifier" and body.v in inner.assigned):
            text, k = self.expr_nargout(body, inner)
        else:
            text, k = self.expr(body, inner)
            text = self.val(text, k)
        plist = ", ".join([inner.names[p] for p in params] + ["nargout=1"])
        lam = f"lambda {plist}: {text}"
        if free:
            captured = ", ".join(inner.names[f] for f in free)
            values = ", ".join(self.val(self.var(f, scope), self.kind_of_var(f, scope)) if False else
                               self.var(f, scope) for f in free)
            return f"(lambda {captured}: ({lam}))({values})"
        return f"({lam})"

    def expr_nargout(self, body: Node, inner: Scope):
        """A lambda body that is a call: it receives the lambda's nargout."""
        if body.t == "identifier" and body.v not in inner.assigned:
            how = self.known_function(body.v, inner)
            if how in ("local", "path", "ml"):
                fname = self.fn_name(body.v) if how != "ml" else f"ml.{_ml_name(body.v)}"
                return f"{fname}(nargout=nargout)", V
        root, chain = _chain(body)
        if root is not None and root.v not in inner.assigned and len(chain) == 1 and chain[0][0] == "()":
            how = self.known_function(root.v, inner)
            if how in ("local", "path", "ml"):
                args = self.call_args(chain[0][1], inner)
                fname = self.fn_name(root.v) if how != "ml" else f"ml.{_ml_name(root.v)}"
                return f"{fname}({', '.join(args + ['nargout=nargout'])})", V
        text, k = self.expr(body, inner)
        return self.val(text, k), V

    # ---- statements ------------------------------------------------------------------------------------

    def block(self, stmts: list, scope: Scope, indent: int) -> None:
        n0 = len(self.out)
        for st in stmts:
            self.statement(st, scope, indent)
        if len(self.out) == n0:
            self.emit(indent, "pass")

    def statement(self, st: Node, scope: Scope, indent: int) -> None:
        self.current = st
        self.emit_comments(indent, st.line)
        mark = f"  # {self.where(st)}"
        t = st.t
        try:
            if t == "assignment":
                self.assignment(st, scope, indent, mark)
            elif t == "if_statement":
                self.if_(st, scope, indent, mark)
            elif t == "for_statement":
                self.for_(st, scope, indent, mark)
            elif t == "while_statement":
                self.emit(indent, f"while {self.cond(st.f['condition'], scope)}:{mark}")
                self.block(_block(st), scope, indent + 1)
            elif t == "switch_statement":
                self.switch_(st, scope, indent, mark)
            elif t == "try_statement":
                self.try_(st, scope, indent, mark)
            elif t == "break_statement":
                self.emit(indent, "break" + mark)
            elif t == "continue_statement":
                self.emit(indent, "continue" + mark)
            elif t == "return_statement":
                self.emit(indent, self.return_text(scope) + mark)
            elif t == "block":
                self.block(st.kids, scope, indent)
            elif t == "command":
                self.command(st, scope, indent, mark)
            elif t in ("global_operator", "persistent_operator"):
                names = [scope.py(k.v) for k in st.kids if k.t == "identifier"]
                for nm in names:
                    key = self.global_name(scope, nm)
                    self.emit(indent, f"{nm} = _G.setdefault({key}, ml.empty()){mark}")
            elif t in ("function_definition", "class_definition", "comment", "arguments_statement"):
                return
            elif t == "error":
                self.emit(indent, f"raise ml.MatlabError({('syntax error: ' + (st.v or '')[:60])!r})" + mark)
            else:
                self.expression_statement(st, scope, indent, mark)
        except TranslateError as exc:
            self.untranslated.append((self.where(st), str(exc)))
            self.emit(indent, f"ml.error({('layergraph:port:untranslatable')!r}, "
                              f"{(self.where(st) + ': ' + str(exc))!r}){mark}")

    def global_name(self, scope: Scope, name: str) -> str:
        return repr(name) if name in scope.globals else repr(scope.owner + "/" + name)

    def return_text(self, scope: Scope) -> str:
        if scope.kind == "script":
            return "return ml.workspace(locals())"
        self.sync_globals_text(scope)
        outs = ", ".join(repr(o) for o in scope.outputs)
        names = f"({outs}{',' if len(scope.outputs) == 1 else ''})"
        if getattr(scope, "outputs_assigned", False):    # every output assigned before the end: no locals() dict
            values = ", ".join(scope.py(o) for o in scope.outputs)
            return f"return ml.returns({scope.owner!r}, {names}, nargout, {values})"
        return f"return ml.outputs({scope.owner!r}, locals(), {names}, nargout)"

    @staticmethod
    def outputs_assigned(info, scope: Scope) -> bool:
        """Whether every output of a (not nested) function is assigned by a statement of its body's top level
        (so always, when the end is reached): no ``varargout``, no ``return``, nothing that may unassign or
        assign variables by name (``clear``, ``eval``, ``load``...), no global or persistent output."""
        if scope.kind != "function" or not scope.outputs or "varargout" in scope.outputs or info.nested:
            return False
        if any(o in scope.globals or o in scope.persistent for o in scope.outputs):
            return False
        for st in info.body:
            for n in _walk(st):
                if n.t == "return_statement":
                    return False
                if n.t == "identifier" and n.v in ("clear", "clearvars", "eval", "evalin", "assignin", "load"):
                    return False
                if n.t == "command" and n.kids and n.kids[0].v in ("clear", "clearvars", "load"):
                    return False
        assigned = set()
        for st in info.body:
            if st.t != "assignment":
                continue
            left = st.f["left"]
            for target in (left.kids if left.t == "multioutput_variable" else [left]):
                if target.t == "identifier":
                    assigned.add(target.v)
        return all(o in assigned for o in scope.outputs)

    def sync_globals_text(self, scope):
        return None

    def store(self, target: Node, value: str, kind, scope: Scope, indent: int, mark: str) -> str | None:
        """Emit the assignment of ``value`` to ``target``; returns the root variable name."""
        if target.t == "identifier":
            name = target.v
            py = scope.py(name)
            if kind == B:
                value, kind = f"ml.lg({value})", V
            if kind == L:
                value = f"ml.args({value})[0]"
            if scope.kinds.get(name) in (I, F) or kind not in (I, F):
                self.emit(indent, f"{py} = {value}{mark}")
            else:
                self.emit(indent, f"{py} = ml.v({value}){mark}")
            self.after_store(name, scope, indent)
            return name
        root, chain = _chain(target)
        if root is None:
            raise TranslateError("unsupported assignment target")
        name = root.v
        py = scope.py(name)
        value = self.val(value, kind)
        if len(chain) == 1 and chain[0][0] == "()" and name in scope.inplace:
            fast = self.fast_index(target, scope, name_ok=True)
            if fast is not None:
                self.emit(indent, f"{py}[{fast}] = {value}{mark}")
                return name
        if len(chain) == 1 and chain[0][0] in ("()", "{}"):
            subs = self.subs(chain[0][1], py, scope)
            fn = "set_index" if chain[0][0] == "()" else "set_brace"
            self.emit(indent, f"{py} = ml.{fn}({py}, {value}{''.join(', ' + s for s in subs)}){mark}")
        elif len(chain) == 1 and chain[0][0] == ".":
            self.emit(indent, f"{py} = ml.setfield({py}, {chain[0][1]!r}, {value}){mark}")
        else:
            parts = []
            base = py
            for k, payload, where in chain:
                if k == ".":
                    parts.append(f"('.', {payload!r})")
                    base = f"ml.field({base}, {payload!r})"
                elif k == ".()":
                    name_text = self.value(payload, scope)
                    parts.append(f"('.', {name_text})")
                    base = f"ml.field({base}, {name_text})"
                else:
                    subs = self.subs(payload, base, scope)
                    parts.append(f"({k!r}, ({''.join(s + ', ' for s in subs)}))")
                    base = f"ml.{'index' if k == '()' else 'brace'}({base}{''.join(', ' + s for s in subs)})"
            self.emit(indent, f"{py} = ml.assign({py}, ({', '.join(parts)},), {value}){mark}")
        self.after_store(name, scope, indent)
        return name

    def after_store(self, name: str, scope: Scope, indent: int) -> None:
        if name in scope.globals or name in scope.persistent:
            self.emit(indent, f"_G[{self.global_name(scope, scope.py(name))}] = {scope.py(name)}")

    def assignment(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        left, right = st.f["left"], st.f["right"]
        quiet = self.is_quiet(st)
        if left.t == "multioutput_variable":
            targets = left.kids
            n = len(targets)
            text, _ = self.expr_multi(right, scope, n)
            simple = all(t.t in ("identifier", "ignored_argument") for t in targets)
            if simple:
                names = ["_" if t.t == "ignored_argument" else scope.py(t.v) for t in targets]
                if any(t.t == "identifier" and scope.kinds.get(t.v) for t in targets):
                    tmp = self.temp("o")
                    self.emit(indent, f"{tmp} = {text}{mark}")
                    for i, t in enumerate(targets):
                        if t.t == "identifier":
                            conv = "ml.scalar_value" if scope.kinds.get(t.v) else ""
                            self.emit(indent, f"{scope.py(t.v)} = {conv}({tmp}[{i}])" if conv else
                                      f"{scope.py(t.v)} = {tmp}[{i}]")
                else:
                    self.emit(indent, f"{', '.join(names)}{',' if n == 1 else ''} = {text}{mark}")
                for t in targets:
                    if t.t == "identifier":
                        self.after_store(t.v, scope, indent)
            else:
                tmp = self.temp("o")
                self.emit(indent, f"{tmp} = {text}{mark}")
                for i, t in enumerate(targets):
                    if t.t != "ignored_argument":
                        self.store(t, f"{tmp}[{i}]", V, scope, indent, "")
            if not quiet:
                for t in targets:
                    if t.t != "ignored_argument":
                        root = t if t.t == "identifier" else _chain(t)[0]
                        self.emit(indent, f"ml.show({root.v!r}, {self.var(root.v, scope)})")
            return
        text, kind = self.expr(right, scope)
        if left.t == "identifier" and scope.kinds.get(left.v) in (I, F) and kind not in (I, F):
            text, kind = f"ml.scalar_value({self.val(text, kind)})", F
        name = self.store(left, text, kind, scope, indent, mark)
        if not quiet and name is not None:
            self.emit(indent, f"ml.show({name!r}, {self.var(name, scope)})")

    def expr_multi(self, node: Node, scope: Scope, n: int):
        """A right-hand side asked for ``n`` outputs: a tuple."""
        root, chain = _chain(node)
        if root is not None and not self.is_var(root.v, scope):
            if not chain:
                return self.call_named(root.v, [], node, scope, nargout=n)
            if len(chain) == 1 and chain[0][0] == "()":
                return self.call_named(root.v, chain[0][1], chain[0][2], scope, nargout=n)
        if root is not None and self.is_var(root.v, scope):
            text, kind = self.call_chain(node, scope, None, nargout=n)
            if kind == L:
                return f"ml.outs({text}, {n})", V
            return text, V
        text, kind = self.expr(node, scope)
        return f"ml.outs({text}, {n})", V

    def expression_statement(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        quiet = self.is_quiet(st)
        if st.t == "identifier" and self.is_var(st.v, scope):
            if not quiet:
                self.emit(indent, f"ml.show({st.v!r}, {self.val(self.var(st.v, scope), self.kind_of_var(st.v, scope))})"
                                  f"{mark}")
            return
        root, chain = _chain(st)
        is_call = root is not None and not self.is_var(root.v, scope) and (
            not chain or (len(chain) == 1 and chain[0][0] == "()"))
        if is_call:
            name = root.v
            args = chain[0][1] if chain else []
            if name == "load" and getattr(scope, "loaded", None):
                self.emit_load(self.call_args(args, scope), scope, indent, mark)
                return
            if name == "error" or name in _NO_OUTPUT or self.known_function(name, scope) == "frame":
                text, _ = self.call_named(name, args, st, scope, nargout=0)
                self.emit(indent, f"{text}{mark}")
                return
            text, _ = self.call_named(name, args, st, scope, nargout=0)
            tmp = self.temp("r")
            self.emit(indent, f"{tmp} = {text}{mark}")
            self.emit(indent, f"if {tmp} is not None:")
            self.emit(indent + 1, f"ans = {tmp}")
            if not quiet:
                self.emit(indent + 1, "ml.show('ans', ans)")
            scope.assigned.add("ans")
            return
        text, kind = self.expr(st, scope)
        self.emit(indent, f"ans = {self.val(text, kind)}{mark}")
        scope.assigned.add("ans")
        if not quiet:
            self.emit(indent, "ml.show('ans', ans)")

    def command(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        name = st.kids[0].v
        args = [repr(k.v) for k in st.kids[1:]]
        quiet = self.is_quiet(st)
        if self.is_var(name, scope):
            if not quiet and not args:
                self.emit(indent, f"ml.show({name!r}, {self.val(self.var(name, scope), self.kind_of_var(name, scope))})"
                                  f"{mark}")
            return
        if name in ("clc", "close", "format", "more", "clear", "clearvars"):
            if name in ("clear", "clearvars") and scope.assigned:
                targets = [a.strip("'") for a in args] or []
                if targets and all(self.is_var(t, scope) for t in targets):
                    for t in targets:
                        self.emit(indent, f"{scope.py(t)} = None{mark}")
                    return
            self.emit(indent, f"pass  # {name} {' '.join(k.v for k in st.kids[1:])}".rstrip() + mark)
            return
        if name == "load" and getattr(scope, "loaded", None):
            self.emit_load(args, scope, indent, mark)
            return
        how = self.known_function(name, scope)
        if how == "ml":
            self.emit(indent, f"ml.{_ml_name(name)}({', '.join(args)}{', ' if args else ''}nargout=0){mark}")
        elif how in ("local", "path"):
            self.emit(indent, f"{self.fn_name(name)}({', '.join(args)}{', ' if args else ''}nargout=0){mark}")
        else:
            self.emit(indent, f"{self.stub_name(name, st)}({', '.join(args + [f'where={self.where(st)!r}'])}){mark}")

    def if_(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        self.emit(indent, f"if {self.cond(st.f['condition'], scope)}:{mark}")
        self.block(_block(st), scope, indent + 1)
        for k in st.kids:
            if k.t == "elseif_clause":
                self.emit_comments(indent, k.line)
                self.emit(indent, f"elif {self.cond(k.f['condition'], scope)}:  # {self.where(k)}")
                self.block(_block(k), scope, indent + 1)
            elif k.t == "else_clause":
                self.emit_comments(indent, k.line)
                self.emit(indent, f"else:  # {self.where(k)}")
                self.block(_block(k), scope, indent + 1)

    def for_(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        it = next((k for k in st.kids if k.t in ("iterator", "parfor_options")), None)
        if it is None or len(it.kids) < 2 or it.kids[0].t != "identifier":
            raise TranslateError("unsupported for-loop header")
        var, rng = it.kids[0].v, it.kids[1]
        py = scope.py(var)
        kind = scope.kinds.get(var)
        zero = getattr(scope, "zero_based", {}).get(id(st))
        if zero is not None:
            count = self.temp("n")
            self.emit(indent, f"{count} = ml.count_to({self.num_text(*self.expr(rng.kids[1], scope))}){mark}")
            self.emit(indent, f"for {zero} in range({count}):  # {py} = {zero} + 1")
            self.block(_block(st), scope, indent + 1)
            self.emit(indent, f"if {count}:")
            self.emit(indent + 1, f"{py} = {count}  # the counter's last value, as after the MATLAB loop")
            if var in scope.globals or var in scope.persistent:
                self.after_store(var, scope, indent + 1)
            return
        if kind == I and rng.t == "range" and len(rng.kids) == 2:
            lo, hi = (self.expr(k, scope) for k in rng.kids)
            self.emit(indent, f"for {py} in ml.irange({lo[0]}, {self.num_text(*hi)}):{mark}")
        elif kind in (I, F) and rng.t == "range" and len(rng.kids) == 2:
            lo, hi = (self.expr(k, scope) for k in rng.kids)
            self.emit(indent, f"for {py} in ml.frange({self.num_text(*lo)}, {self.num_text(*hi)}):{mark}")
        else:
            self.emit(indent, f"for {py} in ml.columns({self.value(rng, scope)}):{mark}")
        body_start = len(self.out)
        if var in scope.globals or var in scope.persistent:
            self.after_store(var, scope, indent + 1)
        self.block(_block(st), scope, indent + 1)
        del body_start

    def num_text(self, text, kind) -> str:
        return text if kind in (I, F) else f"ml.scalar_value({self.val(text, kind)})"

    def switch_(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        tmp = self.temp("switch")
        self.emit(indent, f"{tmp} = {self.value(st.f['condition'], scope)}{mark}")
        first = True
        cases = [k for k in st.kids if k.t in ("case_clause", "otherwise_clause")]
        for k in cases:
            self.emit_comments(indent, k.line)
            if k.t == "case_clause":
                word = "if" if first else "elif"
                self.emit(indent, f"{word} ml.switch({tmp}, {self.value(k.f['condition'], scope)}):  # {self.where(k)}")
                first = False
            else:
                if first:
                    self.emit(indent, f"if True:  # {self.where(k)} otherwise")
                else:
                    self.emit(indent, f"else:  # {self.where(k)}")
            self.block(_block(k), scope, indent + 1)

    def try_(self, st: Node, scope: Scope, indent: int, mark: str) -> None:
        catch = next((k for k in st.kids if k.t == "catch_clause"), None)
        self.emit(indent, f"try:{mark}")
        self.block(_block(st), scope, indent + 1)
        exc = self.temp("err")
        self.emit(indent, f"except ml.MatlabError as {exc}:")
        if catch is None:
            self.emit(indent + 1, "pass")
            return
        ident = next((k for k in catch.kids if k.t == "identifier"), None)
        n0 = len(self.out)
        if ident is not None:
            self.emit(indent + 1, f"{scope.py(ident.v)} = ml.exception({exc})")
        self.block(_block(catch), scope, indent + 1) if _block(catch) else None
        if len(self.out) == n0:
            self.emit(indent + 1, "pass")

    # ---- functions and the program ---------------------------------------------------------------------

    def function(self, info: FunctionInfo, indent: int, parent: Scope | None = None, label_owner=None) -> None:
        kind = "nested" if parent is not None else "function"
        scope = Scope(kind, info.body, info.params, info.outputs, parent)
        scope.owner = info.name
        scope.nested_infos = info.nested
        self.add_loaded(scope)
        self.infer(scope)
        self.emit_comments(indent, info.node.line)
        params = [p for p in info.params if p != "varargin"]
        has_varargin = bool(info.params) and info.params[-1] == "varargin"
        plist = [("_" + str(i) if p == "~" else scope.py(p)) + "=None" for i, p in enumerate(params)]
        if has_varargin:
            plist.append("*varargin")
        plist.append("nargout=1")
        self.emit(indent, f"def {self.fn_name(info.name)}({', '.join(plist)}):  # {self.where(info.node)}")
        doc = self.src.source_line(info.node.line).strip()
        from .codegen import doc_text

        self.emit(indent + 1, f'"""MATLAB: {doc_text(doc)}"""')
        if parent is not None:
            shared = sorted(n for n in scope.assigned if parent is not None and n in parent.assigned
                            and n not in info.params and n not in info.outputs)
            if shared:
                self.emit(indent + 1, f"nonlocal {', '.join(scope.py(n) for n in shared)}")
                for n in shared:
                    scope.assigned.discard(n)
        if scope.uses_nargin or any(n.t == "identifier" and n.v == "nargin" for st in info.body for n in _walk(st)):
            count = " + ".join([f"({scope.py(p)} is not None)" for p in params if p != "~"] or ["0"])
            self.emit(indent + 1, f"nargin = ml.count_args({', '.join(scope.py(p) if p != '~' else 'None' for p in params)})"
                      + (" + len(varargin)" if has_varargin else ""))
            del count
        if has_varargin:
            self.emit(indent + 1, "varargin = ml.varargin(varargin)")
        for name in sorted(scope.indexed - set(info.params) - scope.globals - scope.persistent):
            if parent is not None and name in parent.assigned and name not in info.outputs:
                continue
            self.emit(indent + 1, f"{scope.py(name)} = None")
        for k in params:
            if k != "~" and scope.kinds.get(k):
                self.emit(indent + 1, f"{scope.py(k)} = ml.scalar_value({scope.py(k)})")
        for nested in info.nested:
            self.function(nested, indent + 1, scope)
        scope.outputs_assigned = self.outputs_assigned(info, scope)
        self.block(info.body, scope, indent + 1)
        if not info.body or info.body[-1].t != "return_statement":
            self.emit(indent + 1, self.return_text(scope))
        self.emit(0, "")

    def program(self, networks_note: str = "") -> str:
        from .codegen import doc_text

        self.emit(0, f'"""{doc_text(self.label)} translated by layergraph port (the whole program)."""')
        self.emit(0, "")
        self.emit(0, "import math")
        self.emit(0, "")
        self.emit(0, "import numpy as np")
        self.emit(0, "")
        self.emit(0, "import layergraph.matlab.lang as ml")
        self.emit(0, "")
        header_at = len(self.out)
        self.emit(0, "_G = {}  # MATLAB global and persistent variables")
        self.emit(0, "")
        body_start = len(self.out)
        kids = [k for k in self.src.root.kids if k.t != "comment"]
        for info in self.infos:
            before = [k for k in kids if k.end_line < info.node.line]
            self.floor = before[-1].end_line + 1 if before else 0
            self.function(info, 0)
            self.emit_comments(1, info.node.end_line)
        self.floor = 0
        for name, (psrc, info) in self.path_functions.items():
            sub = Translator(psrc, label=os.path.basename(psrc.path))
            sub.functions = dict(self.functions)
            sub.path_functions = self.path_functions
            sub.stubs = self.stubs
            sub.comments = {}
            sub.function(info, 0)
            self.out.extend(sub.out)
        if self.script_body:
            scope = Scope("script", self.script_body)
            scope.owner = "script"
            self.add_loaded(scope)
            self.infer(scope)
            self.emit(0, "def script():")
            self.emit(1, f'"""The statements of {doc_text(self.label)}; returns its workspace."""')
            for name in sorted(scope.indexed):
                self.emit(1, f"{scope.py(name)} = None")
            self.block(self.script_body, scope, 1)
            self.emit_comments(1, 10 ** 9)
            self.emit(1, "return ml.workspace(locals())")
            self.emit(0, "")
            self.emit(0, "")
            self.emit(0, 'if __name__ == "__main__":')
            self.emit(1, "ml.main(script)")
        elif self.infos:
            self.emit(0, "")
            self.emit(0, 'if __name__ == "__main__":')
            self.emit(1, f"{self.fn_name(self.infos[0].name)}(nargout=0)")
        stubs = []
        for name, places in sorted(self.stubs.items()):
            stubs.append(f"_missing_{name} = ml.stub({name!r}, {places[0]!r})  # called at {', '.join(places)}")
        if stubs:
            stubs = ["# Functions found nowhere (registry, script, --path): calling one raises an error"] + stubs + [""]
        self.out[header_at:header_at] = stubs
        del body_start
        text = "\n".join(self.out).rstrip() + "\n"
        if networks_note:
            text += networks_note
        return text


def _ml_name(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


@dataclass
class Translation:
    python_source: str
    stubs: dict          # MATLAB function name -> [file:line ...]
    untranslated: list = field(default_factory=list)   # (file:line, reason)


def _statements(stmts):
    """Every statement, inside blocks too."""
    stack = list(stmts)
    while stack:
        st = stack.pop()
        yield st
        for k in st.kids:
            if k.t == "block" or k.t.endswith("_clause"):
                stack.extend(k.kids)
        if st.t.endswith("_statement"):
            stack.extend(k for k in st.kids if k.t == "block")


def _is_bare_load(st: Node) -> bool:
    """``load file`` / ``load('file')`` as a statement (no outputs: it creates variables)."""
    if st.t == "command":
        return bool(st.kids) and st.kids[0].v == "load"
    return st.t == "function_call" and st.v != "{}" and st.f.get("name") is not None and \
        st.f["name"].t == "identifier" and st.f["name"].v == "load"


def _called_names(root: Node) -> set:
    """Names the code calls as functions (call syntax, command syntax, handles, bare identifiers that are
    never assigned)."""
    assigned, names = set(), set()
    for n in _walk(root):
        if n.t == "assignment":
            left = n.f["left"]
            for t in (left.kids if left.t == "multioutput_variable" else [left]):
                r = t if t.t == "identifier" else _chain(t)[0]
                if r is not None:
                    assigned.add(r.v)
        elif n.t in ("function_arguments", "arguments") or n.t == "iterator":
            assigned.update(k.v for k in n.kids[:1 if n.t == "iterator" else None] if k.t == "identifier")
        elif n.t == "function_call" and n.f.get("name") is not None and n.f["name"].t == "identifier":
            names.add(n.f["name"].v)
        elif n.t in ("command_name",) or (n.t == "handle_operator" and n.kids and n.kids[0].t == "identifier"):
            names.add(n.v if n.t == "command_name" else n.kids[0].v)
        elif n.t == "identifier":
            names.add(n.v)
    return names - assigned


def translate_source(src: SourceFile, search_path=(), label: str | None = None) -> Translation:
    """The whole program of a parsed MATLAB file as Python source."""
    from .source import read_file

    path_functions = {}
    called = _called_names(src.root)
    here = os.path.dirname(os.path.abspath(src.path)) if src.path not in ("<string>", "") else None
    dirs = ([here] if here else []) + [os.path.abspath(p) for p in search_path]
    local = {k.f["name"].v for k in src.root.kids if k.t == "function_definition" and "name" in k.f}
    seen = set()
    pending = sorted(called - local)
    while pending:
        name = pending.pop()
        if name in seen or not name.isidentifier():
            continue
        seen.add(name)
        for d in dirs:
            p = os.path.join(d, name + ".m")
            if os.path.isfile(p) and os.path.abspath(p) != os.path.abspath(src.path):
                fsrc = read_file(p)
                defs = [k for k in fsrc.root.kids if k.t == "function_definition" and "name" in k.f]
                if defs:
                    info = function_info(defs[0])
                    info.name = name
                    path_functions[name] = (fsrc, info)
                    pending.extend(x for x in _called_names(defs[0]) if x not in seen)
                break
    tr = Translator(src, path_functions, label)
    text = tr.program()
    return Translation(text, tr.stubs, tr.untranslated)


__all__ = ["translate_source", "Translation", "Translator", "RESERVED"]
