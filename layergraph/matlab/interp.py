"""A restricted MATLAB interpreter over the syntax tree (no Python eval/exec anywhere).

It runs what network-building scripts need (values, arrays, indexing, control flow, local and file
functions, function handles, the common builtins) and calls the layergraph registries for every layer
constructor and MATLAB-named function. What it does not model becomes an :class:`Opaque` value with a
warning; an opaque value reaching a network raises :class:`MatlabPortError` naming the variable to supply.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re

import numpy as np
import torch

from ..errors import LayerGraphError, MatlabPortError, MatlabRuntimeError
from ..functions import FUNCTIONS, overloaded_function
from ..values.containers import CellList
from ..graph import LayerGraph
from ..layers.base import REGISTRY, Layer
from ..policy import PolicyError, check_function
from .access import (
    MatlabAccessError, array_to_py, check_field_name, method_name, reaches_function_as_is, read_property, to_matlab,
    write_property,
)
from .source import Node, SourceFile, format_error, printable, read_file
from .values import (
    Cell, CsList, FuncHandle, HandleFunction, LayerArr, MString, Opaque, StrArr, Struct, StructArr, merge_opaque, num,
)
from . import structs as _structs

from . import semantics as S
from .semantics import (  # noqa: F401  (re-exported: the one implementation lives in semantics.py)
    COLON, DEFAULT_MAX_ELEMENTS, is_empty as _is_empty, make_range, matlab_num_str, range_count, shape_of, type_name,
)


class _ControlFlow(Exception):
    """break / continue / return unwinding to their loop or function (``node``: the statement)."""

    def __init__(self, node=None):
        super().__init__()
        self.node = node


class _Break(_ControlFlow):
    pass


class _Continue(_ControlFlow):
    pass


class _Return(_ControlFlow):
    pass


class Frame:
    __slots__ = ("vars", "file", "nargin", "nargout", "name", "functions", "fd", "shared", "global_version",
                 "owned")

    def __init__(self, file: SourceFile, functions: dict, name: str = "<script>", nargin=0, nargout=0):
        self.vars: dict = {}
        self.file = file
        self.functions = functions
        self.name = name
        self.nargin = nargin
        self.nargout = nargout
        self.fd = None               # the FunctionDef this frame runs (run mode: parameter checks)
        self.shared = None           # name -> store dict for global/persistent variables of this frame
        self.global_version = 0
        self.owned = None            # run mode: name -> array only this variable refers to (written in place)


class FunctionDef:
    __slots__ = ("name", "params", "outputs", "body", "file", "functions", "node", "nv", "defaults", "parent",
                 "shared_names")

    def __init__(self, node: Node, file: SourceFile, functions: dict):
        self.node = node
        self.name = node.f["name"].v
        self.params = []
        self.outputs = []
        self.file = file
        self.functions = functions
        self.body = []
        self.parent = None      # the enclosing function of a nested function
        self.shared_names = None   # nested function: names it shares with its parent's workspace
        self.nv = None          # (struct name, {field: default node}) from an arguments block
        self.defaults = {}      # positional argument -> default node (arguments block)
        for k in node.kids:
            if k.t == "arguments_statement":
                for p in k.kids:
                    if p.t != "property" or not p.kids:
                        continue
                    pname = p.kids[0]
                    default = next((d.kids[0] for d in p.kids if d.t == "default_value" and d.kids), None)
                    if pname.t == "property_name":
                        parts = [x.v for x in pname.kids if x.t == "identifier"]
                        if len(parts) == 2:
                            if self.nv is None:
                                self.nv = (parts[0], {})
                            self.nv[1][parts[1]] = default
                    elif pname.t == "identifier" and default is not None:
                        self.defaults[pname.v] = default
            if k.t == "function_arguments":
                self.params = [a.v if a.t == "identifier" else "~" for a in k.kids]
            elif k.t == "function_output":
                for o in k.kids:
                    if o.t == "identifier":
                        self.outputs.append(o.v)
                    elif o.t == "multioutput_variable":
                        self.outputs.extend(x.v for x in o.kids if x.t == "identifier")
            elif k.t == "block":
                self.body = k.kids


class Interpreter:
    def __init__(self, workspace=None, search_path=None, max_steps: int = 1_000_000, max_depth: int = 100,
                 seed: int = 0, max_elements: int = DEFAULT_MAX_ELEMENTS, run_mode: bool = False):
        #: run mode (``layergraph run``): every function really runs, nothing is opaque, errors are
        #: MatlabRuntimeError with MATLAB's report; the porter (run_mode False) is lenient instead.
        self.run_mode = run_mode
        self.call_stack: list = ["<script>"]   # names MATLAB shows in error stacks, innermost last
        self.globals: dict = {}                 # global variables (run mode)
        self.live_frames: list = []             # frames of the functions running now (nested functions)
        self.global_version = 0                 # bumped on every write of a global
        self.persistents: dict = {}             # (file, function) -> {name: value}
        self.max_elements = int(max_elements)
        self.warnings: list[str] = []
        self._seen_warnings: set = set()
        self.errors: list[str] = []
        self.search_path = [os.path.abspath(p) for p in (search_path or [])]
        self.max_steps = max_steps
        self.max_depth = max_depth
        self.steps = 0
        self.depth = 0
        self.end_ctx: list = []
        self.file_cache: dict = {}
        self.lookup_cache: dict = {}
        from .base.random import STREAM
        STREAM.reset_startup(seed)   # rand/randn/randi start as at MATLAB start-up (rng default)
        self.pinned = dict(workspace or {})
        self.custom_classes: dict = {}   # classdef name -> info (custom.py)
        self.current: Node | None = None
        self.sinks: list = []            # (label, value, training) for values reaching trainNetwork, plot, ...
        self.recovered: list = []        # (MatlabPortError, builds_network) for statements skipped with a warning
        self.try_depth = 0               # inside a MATLAB try block, errors go to its catch
        self.strict = False              # --var/--args values: every error is an error
        self.incomplete: list = []       # undecidable branches that touch a network (issue 11 item 4)
        self.skip_bad_statements = False  # syntax errors skip their statements instead of stopping the port
        self.in_statement = False        # inside a statement of the script or main function
        self.step_limit = max_steps      # steps allowed before tick() checks the budgets
        self.main_frame: Frame | None = None
        from . import builtins as _b
        self.builtins = _b.BUILTINS

    # ---- diagnostics --------------------------------------------------------------------------------

    def check_elements(self, count, node: Node, what: str) -> bool:
        try:
            return S.check_elements(count, what, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def where(self, node: Node) -> str:
        return node.src.location(node.line, node.col)

    def check_syntax(self, src: SourceFile) -> None:
        """MATLAB runs nothing from a file with syntax errors: the port stops, naming each error once
        (file:line:col, at the opening bracket or keyword). With ``skip_bad_statements`` the statements
        with errors are skipped instead (each a located error) and the port is marked incomplete."""
        if not src.syntax_errors:
            return
        report = src.syntax_report or src.syntax_errors
        if not self.skip_bad_statements:
            count = f"{len(report)} syntax error{'s' if len(report) != 1 else ''}"
            blocks = [format_error(src, line, col, msg) for line, col, msg in report]
            raise MatlabPortError(f"{src.path}: {count}; MATLAB runs nothing from a file with syntax errors "
                                  "(--skip-bad-statements ports the rest):\n" + "\n".join(blocks))
        for line, col, msg in src.syntax_errors:
            self.errors.append(format_error(src, line, col, msg))
            self.warnings.append(f"{src.location(line, col)}: error: {msg} (statement skipped)")
        self.incomplete.append(f"{src.path}: statements with syntax errors were skipped (--skip-bad-statements)")

    def warn(self, node: Node, message: str) -> None:
        text = printable(f"{self.where(node)}: warning: {message}")
        if text not in self._seen_warnings:
            self._seen_warnings.add(text)
            self.warnings.append(text)

    def error(self, node: Node, message: str, identifier: str = "", using: str | None = None):
        """The error to raise at ``node``: a located MatlabPortError when porting; in run mode MATLAB's
        MException (:class:`MatlabRuntimeError`) with ``identifier`` and the frame's stack entry."""
        if self.run_mode:
            return self.runtime_error(node, message, identifier, using)
        return MatlabPortError(format_error(node.src, node.line, node.col, message))

    def located(self, node: Node, exc: MatlabRuntimeError) -> MatlabRuntimeError:
        """A run-time error of the shared semantics (no location) at ``node``: in run mode MATLAB's error
        with this frame's stack entry, when porting ``file:line:col``."""
        if exc.text is not None or exc.stack:
            return exc          # already located
        if self.run_mode:
            return self.runtime_error(node, exc.message, exc.identifier)
        return MatlabRuntimeError(exc.message, exc.identifier,
                                  format_error(node.src, node.line, node.col, exc.message))

    def runtime_error(self, node: Node, message: str, identifier: str = "", using: str | None = None,
                      thrown: bool = False) -> MatlabRuntimeError:
        if not thrown:
            message, identifier = _matlab_wording(message, identifier)
        exc = MatlabRuntimeError(message, identifier, using=using, thrown=thrown)
        if node is not None:
            exc.location = node.src.location(node.line, node.col)     # file:line:col of the innermost frame
            exc.add_frame(node.src.path, self.call_stack[-1] if self.call_stack else "<script>", node.line + 1,
                          node.src.source_line(node.line))
        return exc

    # ---- entry points -------------------------------------------------------------------------------

    def run_source(self, src: SourceFile, workspace: dict | None = None) -> Frame:
        functions = self.collect_functions(src)
        self.main_src, self.main_functions = src, functions
        self.call_stack = [script_label(src)]
        frame = Frame(src, functions)
        for k, v in (workspace or {}).items():
            frame.vars[k] = v
        self.check_syntax(src)
        body = [k for k in src.root.kids if k.t not in ("function_definition", "class_definition")]
        if any(k.t == "class_definition" for k in src.root.kids) and not body:
            return frame
        self.run_body(body, frame)
        return frame

    def run_body(self, stmts, frame: Frame) -> None:
        """A script or function body: ``return`` ends it; ``break``/``continue`` outside a loop are MATLAB errors."""
        try:
            self.exec_block(stmts, frame)
        except _Return:
            pass
        except (_Break, _Continue) as exc:
            word = "break" if isinstance(exc, _Break) else "continue"
            where = exc.node if exc.node is not None else self.current
            raise self.error(where, f"{word} is not defined outside a for or while loop; to exit a script or "
                                    "function, use return") from None

    def collect_functions(self, src: SourceFile) -> dict:
        functions: dict = {}
        for k in src.root.kids:
            if k.t == "function_definition" and "name" in k.f:
                fd = FunctionDef(k, src, functions)
                functions.setdefault(fd.name, fd)
                self._collect_nested(fd, functions)
        return functions

    def _collect_nested(self, parent: FunctionDef, functions: dict) -> None:
        """Nested functions (a ``function ... end`` inside a function's body) are callable in the file and
        share their parent's variables (see :meth:`nested_frame`)."""
        for k in parent.body:
            if k.t == "function_definition" and "name" in k.f:
                fd = FunctionDef(k, parent.file, functions)
                fd.parent = parent
                functions.setdefault(fd.name, fd)
                self._collect_nested(fd, functions)

    def shared_with_parent(self, fd: FunctionDef) -> frozenset:
        """Names a nested function shares with its parent: every name the parent's own code mentions."""
        if fd.shared_names is None:
            parent = fd.parent
            names = set(parent.params) | set(parent.outputs)
            stack = [k for k in parent.body if k.t != "function_definition"]
            while stack:
                n = stack.pop()
                if n.t == "identifier":
                    names.add(n.v)
                stack.extend(k for k in n.kids if k.t != "function_definition")
            own = set(fd.params) | set(fd.outputs)
            fd.shared_names = frozenset(names - own)
        return fd.shared_names

    # ---- statements ---------------------------------------------------------------------------------

    def exec_block(self, stmts, frame: Frame) -> None:
        for st in stmts:
            self.exec_stmt(st, frame)

    def tick(self, node: Node) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            exc = self.error(node, f"step budget exceeded ({self.max_steps} steps): the script does not finish "
                                   "(an infinite loop?). Raise max_steps if the script is just long.")
            exc.fatal = True
            raise exc
        if self.steps > self.step_limit:
            exc = self.error(node, "this statement uses more than its share of the step budget")
            exc.fatal = exc.statement_budget = True
            raise exc

    def exec_stmt(self, st: Node, frame: Frame) -> None:
        self.steps += 1
        if self.steps > self.step_limit:
            self.tick(st)
        if not self.run_mode and frame.shared is not None and frame.global_version != self.global_version:
            self.refresh_globals(frame)     # the porter too: a function called earlier changed a global
        if not self.in_statement and not self.strict and not self.run_mode and (
                frame.name == "<script>" or frame is self.main_frame):
            # each statement of the script (or main function) may use a quarter of the step budget: a data
            # loop that does not finish is skipped, what it assigns becomes unknown, and the port goes on
            self.in_statement = True
            self.step_limit = min(self.max_steps, self.steps + max(self.max_steps // 4, 1))
            try:
                self._exec_stmt(st, frame)
            except MatlabPortError as exc:
                if not getattr(exc, "statement_budget", False) or self.steps > self.max_steps:
                    raise
                self.skip_statement(st, frame)
            finally:
                self.in_statement = False
                self.step_limit = self.max_steps
            return
        if self.run_mode:
            if frame.shared is not None and frame.global_version != self.global_version:
                self.refresh_globals(frame)
            try:
                self._exec_stmt(st, frame)
            except MatlabRuntimeError as exc:
                if not exc.stack:        # raised without a location (shared semantics): this statement's
                    exc.message, exc.identifier = _matlab_wording(exc.message, exc.identifier)
                    exc.add_frame(st.src.path, self.call_stack[-1], st.line + 1, st.src.source_line(st.line))
                raise
            except _ControlFlow:
                raise
            except MatlabPortError as exc:
                raise self.runtime_error(st, _strip_location(str(exc).split("\n")[0]), "") from None
            except LayerGraphError as exc:
                raise self.runtime_error(st, str(exc), getattr(exc, "identifier", "") or "") from None
            return
        self._exec_stmt(st, frame)

    def skip_statement(self, st: Node, frame: Frame) -> None:
        """A statement that ran out of its share of the step budget: every variable it assigns is unknown."""
        names = []
        stack = [st]
        while stack:
            node = stack.pop()
            if node.t == "assignment":
                left = node.f["left"]
                for target in (left.kids if left.t == "multioutput_variable" else [left]):
                    root = target.v if target.t == "identifier" else (
                        self.lvalue_chain(target)[0] if target.t in ("function_call", "field_expression") else None)
                    if root and root not in names:
                        names.append(root)
            elif node.t == "for_statement":
                it = next((k for k in node.kids if k.t == "iterator"), None)
                if it is not None and it.kids and it.kids[0].t == "identifier" and it.kids[0].v not in names:
                    names.append(it.kids[0].v)
            stack.extend(node.kids)
        builds = False
        for name in names:
            if _holds_network(frame.vars.get(name)):
                builds = True
            if (frame.name == "<script>" or frame is self.main_frame) and name in self.pinned:
                frame.vars[name] = self.pinned[name]
            else:
                frame.vars[name] = Opaque(f"a statement that did not finish at {self.where(st)}").named(name)
        limit = max(self.max_steps // 4, 1)
        exc = self.error(st, f"step budget exceeded: this statement did not finish within {limit} steps (a quarter "
                             "of the step budget; an infinite loop? Raise max_steps if the script is just long)")
        self.recovered.append((exc, builds))
        shown = ", ".join(f"'{n}'" for n in names[:8]) + (", ..." if len(names) > 8 else "")
        self.warn(st, f"this statement did not finish within {limit} steps (a data loop?); it is skipped"
                      + (f" and {shown} {'is' if len(names) == 1 else 'are'} unknown" if names else ""))

    def _exec_stmt(self, st: Node, frame: Frame) -> None:
        t = st.t
        self.current = st
        if t == "assignment":
            try:
                self.exec_assignment(st, frame)
            except MatlabPortError as exc:
                self.recover(st, frame, exc)
            if self.run_mode and not st.quiet:
                self.display_assigned(st, frame)
        elif t == "if_statement":
            self.exec_if(st, frame)
        elif t == "for_statement":
            self.exec_for(st, frame)
        elif t == "while_statement":
            self.exec_while(st, frame)
        elif t == "switch_statement":
            self.exec_switch(st, frame)
        elif t == "break_statement":
            raise _Break(st)
        elif t == "continue_statement":
            raise _Continue(st)
        elif t == "return_statement":
            raise _Return(st)
        elif t == "block":
            self.exec_block(st.kids, frame)
        elif t == "try_statement":
            self.exec_try(st, frame)
        elif t == "command":
            self.exec_command(st, frame)
        elif t == "global_operator":
            self.declare_shared(st, frame, self.globals)
        elif t == "persistent_operator":
            if frame.fd is None:
                raise self.error(st, "The PERSISTENT declaration is only allowed in a function.")
            self.declare_shared(st, frame, self.persistents.setdefault((frame.file.path, frame.fd.name), {}))
        elif t in ("function_definition", "class_definition", "comment", "global_operator",
                   "persistent_operator", "arguments_statement"):
            return
        elif t == "error":
            return  # reported as a syntax error; the rest of the file still runs
        else:
            try:
                self.exec_expression_statement(st, frame)
            except MatlabPortError as exc:
                self.recover(st, frame, exc)

    def recover(self, st: Node, frame: Frame, exc: MatlabPortError) -> None:
        """Data never aborts a port: a statement that cannot run becomes a located warning and what it
        assigns an unknown value. Re-raises inside a MATLAB try (its catch runs) and for fatal errors
        (step budget, recursion), and inside called functions (the error ends the function, as in MATLAB, and
        the calling statement of the script or main function is skipped). A statement that would change a network makes that variable unknown,
        so the network is never silently wrong; the port then fails if no network remains."""
        if self.try_depth or self.strict or self.run_mode or getattr(exc, "fatal", False) or \
                "maximum recursion depth" in str(exc):
            raise exc
        if frame.name != "<script>" and frame is not self.main_frame:
            raise exc       # inside a called function MATLAB stops the function: the caller's statement is skipped
        targets = []
        if st.t == "assignment":
            left = st.f["left"]
            nodes = left.kids if left.t == "multioutput_variable" else [left]
            for target in nodes:
                if target.t == "ignored_argument":
                    continue
                root = target.v if target.t == "identifier" else self.lvalue_chain(target)[0]
                if root:
                    targets.append(root)
        builds = bool(getattr(exc, "builds", False))
        message = str(exc).splitlines()[0]
        for name in targets:
            old = frame.vars.get(name)
            if old is not None and _holds_network(old):
                builds = True
            unknown = Opaque(f"a statement that could not run at {self.where(st)}")
            if frame.name == "<script>" and name in self.pinned or frame is self.main_frame and name in self.pinned:
                frame.vars[name] = self.pinned[name]
            else:
                frame.vars[name] = unknown.named(name)
        self.recovered.append((exc, builds))
        what = (" and " + ", ".join(f"'{n}'" for n in targets) + (" is" if len(targets) == 1 else " are")
                + " unknown") if targets else ""
        self.warn(st, f"this statement cannot run in the porter ({_strip_location(message)}); it is skipped{what}")

    def exec_expression_statement(self, st: Node, frame: Frame) -> None:
        if self.run_mode:
            self.run_expression_statement(st, frame)
            return
        if st.t == "identifier" and st.v not in frame.vars:
            self.call_named(st.v, [], 0, st, frame)
            return
        if st.t == "function_call" and st.v != "{}" and st.f["name"].v not in frame.vars:
            self.eval_chain(st, frame, nargout=0)
            return
        self.eval(st, frame)

    def run_expression_statement(self, st: Node, frame: Frame) -> None:
        """Run mode: an expression statement sets ``ans`` (a bare variable does not) and, without ';',
        displays it."""
        if st.t == "identifier" and st.v in frame.vars:
            if not st.quiet:
                self.display(st.v, frame.vars[st.v])
            return
        if st.t == "identifier":
            outs = self.call_named(st.v, [], 0, st, frame)
            value = outs[0] if outs else None
        elif st.t in ("function_call", "field_expression"):
            value = self.eval_chain(st, frame, nargout=0)
        else:
            value = self.eval(st, frame)
        if value is None:
            return
        for item in (value if isinstance(value, CsList) else [value]):
            frame.vars["ans"] = item
            if not st.quiet:
                self.display("ans", item)

    def display(self, name: str, value) -> None:
        """The one place a statement's value is shown (runtime.display_value: MATLAB's formats)."""
        from .runtime import display_value

        display_value(name, value)

    def exec_command(self, st: Node, frame: Frame) -> None:
        name = st.kids[0].v
        args = [k.v for k in st.kids[1:]]  # command syntax passes char arguments
        if name.startswith("!"):
            self.check_call_allowed("!", st)
        if name in frame.vars:
            if self.run_mode and not args and not st.quiet:
                self.display(name, frame.vars[name])
            return
        outs = self.call_named(name, args, 0, st, frame)
        if self.run_mode and outs:
            frame.vars["ans"] = outs[0]
            if not st.quiet:
                self.display("ans", outs[0])

    def exec_if(self, st: Node, frame: Frame) -> None:
        cond = st.f.get("condition")
        if self.condition(cond, frame, st):
            block = next((k for k in st.kids if k.t == "block"), None)
            if block is not None:
                self.exec_block(block.kids, frame)
            return
        for k in st.kids:
            if k.t == "elseif_clause":
                if self.condition(k.f.get("condition"), frame, k):
                    block = next((b for b in k.kids if b.t == "block"), None)
                    if block is not None:
                        self.exec_block(block.kids, frame)
                    return
            elif k.t == "else_clause":
                block = next((b for b in k.kids if b.t == "block"), None)
                if block is not None:
                    self.exec_block(block.kids, frame)
                return

    def condition(self, node: Node, frame: Frame, where: Node) -> bool:
        if node is None:
            raise self.error(where, "missing condition")
        v = self.eval(node, frame)
        if isinstance(v, Opaque):
            self.warn(node, f"the condition depends on a value the porter does not compute "
                            f"({_opaque_desc(v)}); treated as false")
            self.check_unknown_branch(where, frame, node)
            return False
        return self.truthy(v, node)

    def check_unknown_branch(self, st: Node, frame: Frame, where: Node) -> None:
        """Never a silently wrong network (issue 11 item 4): a branch or loop the porter cannot decide whose
        body assigns a variable holding a network, or calls a layer constructor or a graph-edit function,
        makes the port incomplete (a located warning; ``result.complete`` is False; the CLI exits 1).
        Calls to user functions (local, on the path) are followed: a helper that builds layers counts."""
        name = self.touches_network(st, frame)
        if name is not None:
            text = f"the porter cannot decide this branch or loop, and its body {name}: the network may be incomplete"
            self.warn(where, text)
            self.incomplete.append(f"{self.where(where)}: {text}")

    def touches_network(self, st: Node, frame: Frame, seen=None) -> str | None:
        """How the statements under ``st`` change a network (assign a variable holding one, call a layer
        constructor or a graph-edit function, directly or through user functions), or None."""
        seen = set() if seen is None else seen
        stack = list(st.kids)
        while stack:
            node = stack.pop()
            name = None
            if node.t == "assignment":
                left = node.f["left"]
                for target in (left.kids if left.t == "multioutput_variable" else [left]):
                    root = target.v if target.t == "identifier" else (
                        self.lvalue_chain(target)[0] if target.t in ("function_call", "field_expression") else None)
                    if root and _holds_network(frame.vars.get(root)):
                        name = f"assigns '{root}', which holds a network"
                        break
            elif node.t == "function_call" and "name" in node.f and node.f["name"].t == "identifier":
                callee = node.f["name"].v
                if callee not in frame.vars and (callee in REGISTRY or callee in _GRAPH_EDITS):
                    name = f"calls {callee}"
                elif callee not in frame.vars:
                    name = self._helper_touches(callee, node, frame, seen)
            elif node.t == "identifier" and node.v not in frame.vars:
                if node.v in REGISTRY:
                    name = f"calls {node.v}"
                elif node.v not in seen:
                    name = self._helper_touches(node.v, node, frame, seen)
            if name is not None:
                return name if name.endswith(")") else f"{name} (line {node.line + 1})"
            stack.extend(node.kids)
        return None

    def _helper_touches(self, callee: str, node: Node, frame: Frame, seen: set) -> str | None:
        if callee in seen or len(seen) > 200 or not callee.isidentifier():
            return None
        seen.add(callee)
        fd = frame.functions.get(callee)
        if fd is None and callee not in self.builtins and callee not in FUNCTIONS:
            try:
                path = self.find_file(callee, frame)
                if path is not None:
                    src, functions = self.load_file(path)
                    fd = functions.get(callee) or next(iter(functions.values()), None)
            except MatlabPortError:
                return None
        if fd is None:
            return None
        inner = Frame(fd.file, fd.functions, fd.name)
        body = Node("block", fd.node.line, fd.node.col, fd.file)
        body.kids = list(fd.body)
        how = self.touches_network(body, inner, seen)
        if how is None:
            return None
        return f"calls {callee}, which {how.split(' (line')[0]} (line {node.line + 1})"

    def truthy(self, v, node: Node) -> bool:
        try:
            return S.truthy(v)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def exec_for(self, st: Node, frame: Frame) -> None:
        if self.run_mode and _fastloop.run_loop(self, st, frame):
            return      # a scalar loop over a range, run as compiled closures (fastloop.py)
        it = next(k for k in st.kids if k.t in ("iterator", "parfor_options")) if st.kids else None
        if it is None or len(it.kids) < 2:
            raise self.error(st, "unsupported for-loop header")
        var = it.kids[0].v
        value = self.eval(it.kids[1], frame)
        block = next((k for k in st.kids if k.t == "block"), None)
        body = block.kids if block is not None else []
        if isinstance(value, Opaque):
            self.warn(it.kids[1], f"the loop range depends on a value the porter does not compute "
                                  f"({_opaque_desc(value)}); the loop is skipped")
            self.check_unknown_branch(st, frame, it.kids[1])
            return
        for item in self.iter_columns(value, it.kids[1]):
            self.tick(st)
            frame.vars[var] = item
            try:
                self.exec_block(body, frame)
            except _Break:
                break
            except _Continue:
                continue

    def iter_columns(self, value, node):
        try:
            yield from S.iter_columns(value)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def exec_while(self, st: Node, frame: Frame) -> None:
        if self.run_mode and _fastloop.run_loop(self, st, frame):
            return
        cond = st.f.get("condition")
        block = next((k for k in st.kids if k.t == "block"), None)
        body = block.kids if block is not None else []
        while True:
            self.tick(st)
            if not self.condition(cond, frame, st):
                break
            try:
                self.exec_block(body, frame)
            except _Break:
                break
            except _Continue:
                continue

    def exec_switch(self, st: Node, frame: Frame) -> None:
        value = self.eval(st.f["condition"], frame)
        if isinstance(value, Opaque):
            self.warn(st, f"the switch value depends on a value the porter does not compute "
                          f"({_opaque_desc(value)}); only 'otherwise' runs")
            self.check_unknown_branch(st, frame, st)
        for k in st.kids:
            if k.t == "case_clause":
                if isinstance(value, Opaque):
                    continue
                cv = self.eval(k.f["condition"], frame)
                options = cv.items() if isinstance(cv, Cell) else [cv]
                if any(self.switch_match(value, o) for o in options):
                    block = next((b for b in k.kids if b.t == "block"), None)
                    if block is not None:
                        self.exec_block(block.kids, frame)
                    return
            elif k.t == "otherwise_clause":
                block = next((b for b in k.kids if b.t == "block"), None)
                if block is not None:
                    self.exec_block(block.kids, frame)
                return

    switch_match = staticmethod(S.switch_match)

    def exec_try(self, st: Node, frame: Frame) -> None:
        block = next((k for k in st.kids if k.t == "block"), None)
        catch = next((k for k in st.kids if k.t == "catch_clause"), None)
        failed = None
        self.try_depth += 1
        depth = len(self.call_stack)
        try:
            if block is not None:
                self.exec_block(block.kids, frame)
        except MatlabPortError as exc:
            if self.run_mode and getattr(exc, "fatal", False):
                raise
            failed = exc
        except MatlabRuntimeError as exc:
            failed = exc
        except RecursionError:
            if not self.run_mode:
                raise
            failed = self.runtime_error(self.current, "Maximum recursion limit reached.", "MATLAB:recursionLimit")
        finally:
            self.try_depth -= 1
            del self.call_stack[depth:]
        if failed is not None and block is not None and not self.try_depth and not self.run_mode:
            how = self.touches_network(block, frame)
            if how is not None:
                text = (f"this try block failed in the porter ({_strip_location(str(failed).splitlines()[0])}) and "
                        f"its body {how}: the catch runs, and the network may be incomplete")
                self.warn(st, text)
                self.incomplete.append(f"{self.where(st)}: {text}")
        if failed is None or catch is None:
            return
        ident = next((k for k in catch.kids if k.t == "identifier"), None)
        if ident is not None:
            if self.run_mode:
                from .runtime import MException
                frame.vars[ident.v] = MException.from_error(failed)
            else:
                frame.vars[ident.v] = Struct({"message": str(failed), "identifier": "layergraph:port"})
        if self.run_mode:
            from .runtime import remember_error
            remember_error(self, failed)
        cblock = next((k for k in catch.kids if k.t == "block"), None)
        if cblock is not None:
            self.exec_block(cblock.kids, frame)

    # ---- assignment ---------------------------------------------------------------------------------

    def exec_assignment(self, st: Node, frame: Frame) -> None:
        left = st.f["left"]
        right = st.f["right"]
        if left.t == "multioutput_variable":
            targets = left.kids
            values = self.eval_multi(right, frame, len(targets))
            if len(values) < len(targets):
                raise self.error(right, f"too many output arguments: {len(targets)} requested, "
                                        f"{len(values)} available")
            for target, value in zip(targets, values):
                if target.t == "ignored_argument":
                    continue
                self.assign(target, value, frame)
            return
        value = self.eval(right, frame)
        if isinstance(value, CsList):
            if not value:
                raise self.error(right, "the right-hand side produced no value")
            value = value[0]
        self.assign(left, value, frame)

    def display_assigned(self, st: Node, frame: Frame) -> None:
        """``x = 3`` / ``[a, b] = f()`` / ``s.f = 1`` without ';': display each assigned variable."""
        left = st.f["left"]
        for target in (left.kids if left.t == "multioutput_variable" else [left]):
            if target.t == "ignored_argument":
                continue
            root = target.v if target.t == "identifier" else self.lvalue_chain(target)[0]
            if root is not None and root in frame.vars:
                self.display(root, frame.vars[root])

    def assign(self, target: Node, value, frame: Frame) -> None:
        if target.t == "identifier":
            self.set_var(frame, target.v, value)
            return
        root, chain = self.lvalue_chain(target)
        if root is None:
            raise self.error(target, "unsupported assignment target")
        base = frame.vars.get(root)
        if isinstance(base, Opaque):
            return
        owned = frame.owned
        if owned is not None and owned.get(root) is base and len(chain) == 1 and chain[0][0] == "()":
            if self.store_in_place(base, chain[0], value, frame):
                return          # x(i) = v on an array nothing else refers to: no copy (MATLAB's copy-on-write)
        new = self.assign_into(base, chain, value, frame, target)
        self.set_var(frame, root, new)
        if self.run_mode and type(new) is np.ndarray and _fresh(new, base, value) and \
                (frame.shared is None or root not in frame.shared):
            if frame.owned is None:
                frame.owned = {}
            frame.owned[root] = new     # a fresh array made by this assignment: only this variable has it

    def store_in_place(self, base: np.ndarray, access, value, frame: Frame) -> bool:
        """``x(i) = v`` / ``x(i, j) = v`` with scalar in-range subscripts and a scalar of x's class, written
        into x itself. Only for arrays the variable owns (see :meth:`assign`); False: the general path."""
        if type(value) is not np.ndarray or value.shape != (1, 1) or value.dtype != base.dtype or base.ndim != 2:
            return False
        argnodes = access[1]
        if len(argnodes) not in (1, 2):
            return False
        idx = self.eval_index_args(argnodes, frame, base, access[2])
        subs = []
        for i in idx:
            if type(i) is not np.ndarray or i.shape != (1, 1) or i.dtype != np.float64:
                return self._store_general(base, idx, value, frame, access)
            k = float(i[0, 0])
            if not k.is_integer() or k < 1:
                return self._store_general(base, idx, value, frame, access)
            subs.append(int(k) - 1)
        rows, cols = base.shape
        if len(subs) == 1:
            k = subs[0]
            if k >= rows * cols:
                return self._store_general(base, idx, value, frame, access)
            base[k % rows, k // rows] = value[0, 0]
        else:
            r, c = subs
            if r >= rows or c >= cols:
                return self._store_general(base, idx, value, frame, access)
            base[r, c] = value[0, 0]
        return True

    def _store_general(self, base, idx, value, frame, access) -> bool:
        """The indices are already evaluated (they may have side effects): finish with the general path."""
        # (evaluating the subscripts may have ended the ownership: A(A > 0) = 0 reads A)
        root = next((k for k, v in frame.owned.items() if v is base), None) or \
            next(k for k, v in frame.vars.items() if v is base)
        new = self.index_set(base, idx, value, access[2])
        self.set_var(frame, root, new)
        if type(new) is np.ndarray and _fresh(new, base, value) and frame.owned is not None:
            frame.owned[root] = new
        return True

    def set_var(self, frame: Frame, name: str, value) -> None:
        if isinstance(value, Opaque):
            if (frame.name == "<script>" or frame is self.main_frame) and name in self.pinned:
                frame.vars[name] = self.pinned[name]
                return
            value = value.named(name)
        frame.vars[name] = value
        if frame.shared is not None and name in frame.shared:
            self.write_shared(frame, name, value)

    # ---- global and persistent variables (run mode) ---------------------------------------------------

    def write_shared(self, frame: Frame, name: str, value) -> None:
        store = frame.shared[name]
        store[name] = value
        if store is self.globals:
            self.global_version += 1
            frame.global_version = self.global_version

    def refresh_globals(self, frame: Frame) -> None:
        """Another function changed a global: this frame's variables declared global see the new values."""
        for name, store in frame.shared.items():
            if store is self.globals:
                frame.vars[name] = store[name]
        frame.global_version = self.global_version

    def declare_shared(self, st: Node, frame: Frame, store: dict) -> None:
        """``global a b`` / ``persistent n``: the names are bound to the store (new ones start as [])."""
        if frame.shared is None:
            frame.shared = {}
        for k in st.kids:
            if k.t != "identifier":
                continue
            name = k.v
            if name not in store:
                store[name] = np.zeros((0, 0))
            frame.shared[name] = store
            frame.vars[name] = store[name]
        frame.global_version = self.global_version
    def lvalue_chain(self, node: Node):
        """(root variable, [(kind, payload)]) for x, x(i), x{i}, x.f, x(i).f{j}... (built once per node)"""
        if node.t == "identifier":
            return node.v, []
        cached = node.run
        if cached is None:
            root, chain = self._lvalue_chain(node)
            cached = node.run = (root, tuple(chain) if chain is not None else None)
        root, chain = cached
        return root, (list(chain) if chain is not None else None)

    def _lvalue_chain(self, node: Node):
        if node.t == "identifier":
            return node.v, []
        if node.t == "function_call":
            root, chain = self._lvalue_chain(node.f["name"])
            args = node.f.get("arguments")
            argnodes = (args[0].f.get("argument", []) if isinstance(args, list) else [])
            argnodes = self._args_of(node)
            chain.append(("{}" if node.v == "{}" else "()", argnodes, node))
            return root, chain
        if node.t == "field_expression":
            root, chain = self._lvalue_chain(node.f["object"])
            if root is None:
                return None, None
            for fld in node.f.get("field", []):
                self._field_accessors(fld, chain)
            return root, chain
        return None, None

    def _field_accessors(self, fld: Node, chain: list) -> None:
        if fld.t == "identifier":
            chain.append((".", fld.v, fld))
        elif fld.t == "function_call":
            chain.append((".", fld.f["name"].v, fld))
            chain.append(("{}" if fld.v == "{}" else "()", self._args_of(fld), fld))
        elif fld.t == "indirect_access":
            chain.append((".()", fld.kids[0], fld))
        else:
            raise self.error(fld, f"unsupported field syntax '{fld.t}'")

    @staticmethod
    def _args_of(call: Node) -> list:
        for k in call.kids:
            if k.t == "arguments":
                return k.kids
        return []

    def assign_into(self, base, chain, value, frame, node):
        kind, payload, where = chain[0]
        rest = chain[1:]
        if kind == ".":
            return self.assign_field(base, payload, rest, value, frame, where)
        if kind == ".()":
            name = self.eval(payload, frame)
            if not isinstance(name, str):
                raise self.error(where, "dynamic field names must be text")
            return self.assign_field(base, str(name), rest, value, frame, where)
        idx = self.eval_index_args(payload, frame, base, where)
        if any(isinstance(i, Opaque) for i in idx):
            self.warn(where, "an index depends on a value the porter does not compute; assignment skipped")
            return base
        if kind == "{}":
            if base is None or (isinstance(base, np.ndarray) and base.size == 0):
                base = Cell(np.empty((0, 0), dtype=object))
            if not isinstance(base, Cell):
                raise self.error(where, f"brace indexing is only for cell arrays, not {type_name(base)}")
            if rest:
                current = self.index_get(base, idx, where, allow_grow=True)
                inner = current.items()[0] if isinstance(current, Cell) and current.a.size == 1 else None
                value = self.assign_into(inner, rest, value, frame, node)
            return self.index_set(base, idx, Cell.row([value]), where)
        # parenthesis indexing
        if rest:
            current = None
            if base is not None and not _is_empty(base):
                try:
                    current = self.index_get(base, idx, where)
                except MatlabPortError:
                    current = None
            if isinstance(current, LayerArr) and current.a.size == 1:
                current = current.a.flat[0]
            elif isinstance(current, Struct):
                pass
            new_elem = self.assign_into(current, rest, value, frame, node)
            value = new_elem
        if isinstance(value, Layer):
            value = LayerArr.row([value])
        return self.index_set(base, idx, value, where)

    def assign_field(self, base, name, rest, value, frame, where):
        """``base.name = value`` (after ``rest``): struct fields, or an allow-listed property (access.py)."""
        name = self.checked(where, check_field_name, name)
        if base is None or (isinstance(base, np.ndarray) and base.size == 0):
            base = Struct()
        if isinstance(base, LayerArr):
            if base.a.size != 1:
                raise self.error(where, "property assignment needs a single layer: index the layer array first")
            base = base.a.flat[0]
        if isinstance(base, StructArr):
            raise self.error(where, "Scalar structure required for this assignment.",
                             "MATLAB:index:expected_one_output_from_expression")
        if isinstance(base, Struct):
            new = base.copy()
            if rest:
                value = self.assign_into(new.fields.get(name), rest, value, frame, where)
            new.fields[name] = value
            return new
        if isinstance(base, Opaque):
            return base
        if isinstance(base, (np.ndarray, str, Cell, StrArr, FuncHandle)):
            raise self.error(where, f"cannot assign field '{name}' of a {type_name(base)} value")
        if rest:
            current = self.checked(where, read_property, base, name)
            value = self.assign_into(current, rest, value, frame, where)
        if isinstance(value, Opaque):
            what = f"the {name} property of layer '{base.Name}'" if isinstance(base, Layer) else f"property {name}"
            kind = self.data_value_option(type(base), name) if isinstance(base, Layer) else None
            if kind is not None:
                keeps = "keeps its initializer" if kind == "learnable" else "keeps its value"
                self.warn(where, f"{what} is set from data the porter does not read ({_opaque_desc(value)}); "
                                 f"the layer {keeps}")
                return base
            raise self.opaque_error(where, value, what)
        return self.checked(where, write_property, base, name, self.to_py(value, where, for_network=True))

    def call_object(self, where: Node, fn, *args):
        """Call a method of a MATLAB object (``paren_get``/``paren_set``); its MATLAB error is located here."""
        try:
            return fn(*args)
        except MatlabRuntimeError as exc:
            if self.run_mode:
                raise self.runtime_error(where, exc.message, exc.identifier) from None
            raise self.error(where, exc.message) from None

    def checked(self, where: Node, fn, *args):
        """Call an access/policy check; its refusal becomes an error at the script location."""
        try:
            return fn(*args)
        except LayerGraphError as exc:
            err = self.error(where, str(exc))
            if isinstance(exc, MatlabAccessError) and not str(exc).startswith("Reference to non-existent field"):
                err.fatal = True    # code reaching for what it may not touch is not data: the port ends
            raise err from None

    def check_call_allowed(self, name: str, where: Node) -> None:
        """The one policy check before MATLAB code calls a function by name (system, eval, py.*, ... refused)."""
        try:
            check_function(name)
        except PolicyError as exc:
            raise self.error(where, str(exc)) from None

    # ---- expressions --------------------------------------------------------------------------------

    def eval(self, node: Node, frame: Frame):
        t = node.t
        if t == "number":
            return self.eval_number(node)
        if t == "identifier":
            v = frame.vars.get(node.v, _UNSET)
            if v is not _UNSET:
                if frame.owned:
                    frame.owned.pop(node.v, None)    # the array may now be held elsewhere: no in-place writes
                return v
            out = self.call_named(node.v, [], 1, node, frame)
            return out[0] if out else self.no_value(node, node.v)
        if t == "string":
            return self.eval_string(node)
        if t == "binary_operator":
            return self.eval_binary(node, frame)
        if t in ("function_call", "field_expression"):
            outs = self.eval_chain_multi(node, frame, 1)
            if isinstance(outs, CsList):
                return outs
            if not outs:
                raise self.error(node, "the expression returns no value")
            return outs[0]
        if t == "matrix":
            return self.eval_matrix(node, frame)
        if t == "cell":
            return self.eval_cell(node, frame)
        if t == "parenthesis":
            v = self.eval(node.kids[0], frame)
            if isinstance(v, CsList):
                return v[0] if v else self.no_value(node, "expression")
            return v
        if t == "comparison_operator":
            return self.compare(node.v, self.eval(node.kids[0], frame), self.eval(node.kids[1], frame), node)
        if t == "boolean_operator":
            a = self.eval(node.f.get("left", node.kids[0]), frame)
            if isinstance(a, Opaque):
                return a
            ta = self.truthy(a, node)
            if node.v == "&&" and not ta:
                return np.array([[False]])
            if node.v == "||" and ta:
                return np.array([[True]])
            b = self.eval(node.f.get("right", node.kids[-1]), frame)
            if isinstance(b, Opaque):
                return b
            return np.array([[self.truthy(b, node)]])
        if t == "unary_operator":
            v = self.eval(node.f.get("operand", node.kids[0]), frame)
            try:
                return S.negate(v, node.v)
            except MatlabRuntimeError as exc:
                raise self.located(node, exc) from None
        if t == "not_operator":
            v = self.eval(node.kids[0], frame)
            try:
                return S.logical_not(v)
            except MatlabRuntimeError as exc:
                raise self.located(node, exc) from None
        if t == "postfix_operator":
            v = self.eval(node.f.get("operand", node.kids[0]), frame)
            return self.transpose(v, node)
        if t == "range":
            return self.eval_range(node, frame)
        if t == "end_keyword":
            return self.eval_end(node)
        if t == "lambda":
            return self.make_lambda(node, frame)
        if t == "handle_operator":
            target = node.kids[0]
            return FuncHandle(name=target.v if target.t == "identifier" else _text_of(target), interp=self,
                              text="@" + (target.v or ""))
        if t == "spread_operator":
            return COLON
        if t == "error":
            raise self.error(node, "syntax error")
        if t == "metaclass_operator" and self.run_mode:
            raise self.error(node, "Metaclass queries (?ClassName) are not supported by layergraph run.")
        if t == "metaclass_operator":
            return Opaque(f"metaclass at {self.where(node)}")
        raise self.error(node, f"unsupported syntax '{t}'")

    def no_value(self, node, what):
        raise self.error(node, f"{what} returns no value")

    def eval_number(self, node: Node):
        text = node.v
        if node.extra is None:
            t = text.lower()
            if t.endswith(("i", "j")):
                raise self.error(node, "complex numbers are not supported")
            try:
                if t.startswith(("0x", "0b")):
                    base = 16 if t.startswith("0x") else 2
                    body = re.split(r"[us]", t[2:])[0]     # 0xFFu8, 0b101s16: the suffix names the type
                    if not body or len(body) * (4 if base == 16 else 1) > 64:
                        raise ValueError
                    value = float(int(body, base))
                else:
                    value = float(t)      # MATLAB reads a decimal literal as double: huge is Inf
            except (ValueError, OverflowError):
                raise self.error(node, f"invalid number '{text[:40]}{'...' if len(text) > 40 else ''}' "
                                       "(hexadecimal and binary literals have at most 64 bits)") from None
            node.extra = value
        return np.array([[node.extra]])

    def eval_string(self, node: Node):
        if node.extra is None:
            raw = node.v
            quote = raw[0]
            body = raw[1:-1] if len(raw) >= 2 and raw[-1] == quote else raw[1:]
            body = body.replace(quote * 2, quote)
            node.extra = MString(body) if quote == '"' else body
        return node.extra

    def eval_range(self, node: Node, frame: Frame):
        parts = [self.eval(k, frame) for k in node.kids]
        if len(parts) not in (2, 3):
            raise self.error(node, "invalid range")
        try:
            return S.colon(*parts, limit=self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def eval_end(self, node: Node):
        if not self.end_ctx:
            raise self.error(node, "'end' used outside of an index expression")
        return S.end_value(*self.end_ctx[-1])

    def make_lambda(self, node: Node, frame: Frame):
        params = []
        for k in node.kids:
            if k.t == "arguments":
                params = [a.v for a in k.kids]
        body = node.f.get("expression")
        if body is None:
            raise self.error(node, "anonymous function without a body")
        text = node.v or "@(...)"
        frame.owned = None       # the handle captures the variables: none may be written in place any more
        return FuncHandle(params=params, body=body, env=dict(frame.vars), interp=self, text=text)

    # ---- chains: x(i).f{j}, f(args), obj.prop ------------------------------------------------------

    def eval_chain(self, node: Node, frame: Frame, nargout: int):
        outs = self.eval_chain_multi(node, frame, max(nargout, 1) if nargout else 0)
        if nargout == 0:
            return outs[0] if outs else None
        if not outs:
            raise self.error(node, "the expression returns no value")
        return outs[0]

    def eval_multi(self, node: Node, frame: Frame, nargout: int) -> list:
        if node.t in ("function_call", "field_expression", "identifier"):
            return list(self.eval_chain_multi(node, frame, nargout))
        v = self.eval(node, frame)
        if isinstance(v, CsList):
            return list(v)
        return [v]

    def eval_chain_multi(self, node: Node, frame: Frame, nargout: int) -> list:
        root, chain = self.lvalue_chain(node)
        if root is None:
            # expression followed by accessors: only for field_expression on a general object
            obj = node.f.get("object")
            base = self.eval(obj, frame)
            chain = []
            for fld in node.f.get("field", []):
                self._field_accessors(fld, chain)
            return self.apply_chain(base, chain, frame, nargout)
        if root in frame.vars:
            base = frame.vars[root]
            if frame.owned and root in frame.owned:
                if not (len(chain) == 1 and chain[0][0] == "()" and chain[0][1] and type(base) is np.ndarray):
                    frame.owned.pop(root, None)
                else:
                    outs = self.apply_chain(base, chain, frame, nargout)
                    if any(type(o) is np.ndarray and (o is base or (o.base is not None and np.shares_memory(o, base)))
                           for o in outs):
                        frame.owned.pop(root, None)     # a view of the array: no in-place writes any more
                    return outs
            if isinstance(base, FuncHandle) and chain and chain[0][0] == "()":
                args = self.eval_args(chain[0][1], frame)
                outs = self.call_handle(base, args, nargout if len(chain) == 1 else 1, chain[0][2])
                if len(chain) == 1:
                    return outs
                return self.apply_chain(outs[0], chain[1:], frame, nargout)
            return self.apply_chain(base, chain, frame, nargout)
        # a function: root(args) or root; possibly a dotted package name
        name = root
        i = 0
        while i < len(chain) and chain[i][0] == "." and not self.function_exists(name, frame):
            name = name + "." + chain[i][1]
            i += 1
        if i == len(chain) or chain[i][0] != "()":
            if i < len(chain) and chain[i][0] == "{}":
                raise self.error(chain[i][2], f"'{name}' is not a variable (brace indexing needs a cell array)")
            args = []
            rest = chain[i:]
            where = node
        else:
            args = self.eval_args(chain[i][1], frame)
            rest = chain[i + 1:]
            where = chain[i][2]
        outs = self.call_named(name, args, nargout if not rest else 1, where, frame)
        if not rest:
            return outs
        if not outs:
            raise self.error(where, f"{name} returns no value")
        return self.apply_chain(outs[0], rest, frame, nargout)

    def apply_chain(self, base, chain, frame, nargout):
        value = base
        for pos, (kind, payload, where) in enumerate(chain):
            if isinstance(value, Opaque):
                return [value]
            if kind == "." or kind == ".()":
                name = payload if kind == "." else self.eval(payload, frame)
                if not isinstance(name, str):
                    raise self.error(where, "dynamic field names must be text")
                method = method_name(value, str(name)) if not isinstance(value, CsList) else None
                if method is not None and not self.has_property(value, method):
                    # obj.method(args): the registered MATLAB function, with obj as first argument
                    if pos + 1 < len(chain) and chain[pos + 1][0] == "()":
                        args = self.eval_args(chain[pos + 1][1], frame)
                        rest = chain[pos + 2:]
                        outs = self.call_named(method, [value] + args, nargout if not rest else 1, where,
                                               self.function_frame(where))
                    else:
                        rest = chain[pos + 1:]
                        outs = self.call_named(method, [value], nargout if not rest else 1, where,
                                               self.function_frame(where))
                    if not rest:
                        return outs
                    if not outs:
                        raise self.error(where, f"{method} returns no value")
                    return self.apply_chain(outs[0], rest, frame, nargout)
                value = self.get_field(value, str(name), where)
            elif kind == "()":
                if isinstance(value, FuncHandle):
                    args = self.eval_args(payload, frame)
                    outs = self.call_handle(value, args, 1, where)
                    value = outs[0]
                    continue
                idx = self.eval_index_args(payload, frame, value, where)
                if type(value) is np.ndarray and value.ndim == 2 and 0 < len(idx) <= 2:
                    element = _scalar_element(value, idx)
                    if element is not None:       # x(i), x(i, j) with scalar in-range subscripts
                        value = element
                        continue
                if any(isinstance(i, Opaque) for i in idx):
                    return [merge_opaque(idx)]
                value = self.index_get(value, idx, where)
            elif kind == "{}":
                idx = self.eval_index_args(payload, frame, value, where)
                if any(isinstance(i, Opaque) for i in idx):
                    return [merge_opaque(idx)]
                if hasattr(type(value), "brace_get"):   # T{rows, vars} on a table
                    value = to_matlab(self.call_object(where, value.brace_get, [":" if i is COLON else i for i in idx]))
                    continue
                if not isinstance(value, Cell):
                    raise self.error(where, f"brace indexing is only for cell arrays, not {type_name(value)}")
                sub = self.index_get(value, idx, where)
                items = sub.items()
                value = items[0] if len(items) == 1 else CsList(items)
        if isinstance(value, CsList):
            return value
        return [value]

    def get_field(self, value, name: str, where: Node):
        """``value.name``: struct fields and allow-listed properties only (access.read_property)."""
        if isinstance(value, CsList):
            return CsList(self.get_field(v, name, where) for v in value)
        if isinstance(value, LayerArr):
            items = value.items()
            if len(items) == 1:
                return self.get_field(items[0], name, where)
            return CsList(self.get_field(x, name, where) for x in items)
        if isinstance(value, Opaque):
            return value
        if isinstance(value, StructArr):
            name = self.checked(where, check_field_name, name)
            if name not in value.fields:
                raise self.error(where, f"Reference to non-existent field '{name}'.", "MATLAB:nonExistentField")
            return CsList(_structs.field_values(value, name))
        return self.checked(where, read_property, value, name)

    @staticmethod
    def has_property(value, name: str) -> bool:
        from .access import property_names
        return name in property_names(value)

    def function_frame(self, node: Node) -> Frame:
        return Frame(node.src, self._functions_of(node.src), "<method>")

    def eval_args(self, argnodes, frame: Frame) -> list:
        out = []
        for a in argnodes:
            if a.extra == "name_value" and a.t == "identifier":
                out.append(MString(a.v))
                continue
            v = self.eval(a, frame)
            if isinstance(v, CsList):
                out.extend(v)
            else:
                out.append(v)
        return out

    def eval_index_args(self, argnodes, frame: Frame, base, where) -> list:
        n = len(argnodes)
        out = []
        for k, a in enumerate(argnodes):
            if a.t == "spread_operator":
                out.append(COLON)
                continue
            self.end_ctx.append((base, k, n))
            try:
                v = self.eval(a, frame)
            finally:
                self.end_ctx.pop()
            if isinstance(v, CsList):
                out.extend(v)
            else:
                out.append(v)
        return out

    # ---- function calls -----------------------------------------------------------------------------

    def function_exists(self, name: str, frame: Frame) -> bool:
        return (name in frame.functions or name in REGISTRY or name in FUNCTIONS or name in self.builtins
                or self.find_file(name, frame) is not None)

    def find_file(self, name: str, frame: Frame):
        key = (name, frame.file.path)
        try:
            return self.lookup_cache[key]
        except KeyError:
            pass
        found = None
        if name.isidentifier():
            here = os.path.dirname(os.path.abspath(frame.file.path)) if frame.file.path != "<string>" else None
            for d in ([here] if here else []) + self.search_path:
                p = os.path.join(d, name + ".m")
                if os.path.isfile(p):
                    found = p
                    break
        self.lookup_cache[key] = found
        return found

    def load_file(self, path: str) -> SourceFile:
        if path not in self.file_cache:
            src = read_file(path)
            self.check_syntax(src)
            self.file_cache[path] = (src, self.collect_functions(src))
        return self.file_cache[path]

    def call_named(self, name: str, args: list, nargout: int, node: Node, frame: Frame) -> list:
        self.check_call_allowed(name, node)
        if name in NETWORK_SINKS and args:
            self.note_sinks(name, args, node)
        fd = frame.functions.get(name)
        if fd is not None:
            return self.call_user(fd, args, nargout, node)
        path = self.find_file(name, frame)
        if path is not None:
            src, functions = self.load_file(path)
            builtin = self.mathworks_copy(name, src)
            if builtin is not None:
                self.warn(node, f"{path} is a copy of MathWorks' own {name} (it uses internal nnet.* APIs); the "
                                f"built-in {builtin} is used instead")
                return [self.call_layer(builtin, args, node)]
            kinds = [k.t for k in src.root.kids if k.t not in ("comment",)]
            if kinds and kinds[0] == "class_definition":
                from .custom import call_classdef
                return call_classdef(self, name, src, args, nargout, node)
            if kinds and kinds[0] == "function_definition":
                fd = functions.get(name) or next(iter(functions.values()))
                return self.call_user(fd, args, nargout, node)
            # a script: runs in the caller's workspace
            if args:
                raise self.error(node, f"'{name}' is a script and takes no arguments")
            self.depth += 1
            try:
                if self.depth > self.max_depth:
                    raise self.error(node, f"maximum recursion depth ({self.max_depth}) exceeded calling '{name}'")
                sub = Frame(src, functions, frame.name)
                sub.vars = frame.vars
                frame.owned = None       # the script shares this workspace
                self.call_stack.append(script_label(src))
                self.run_body([k for k in src.root.kids if k.t != "function_definition"], sub)
                self.call_stack.pop()
            except MatlabRuntimeError as exc:
                self.call_stack.pop()
                exc.add_frame(node.src.path, self.call_stack[-1], node.line + 1, node.src.source_line(node.line))
                raise
            finally:
                self.depth -= 1
            return []
        if self.run_mode:
            special = _RUN_FUNCTIONS.get(name)
            if special is not None:
                return special(self, frame, args, nargout, node)
        special = _FRAME_FUNCTIONS.get(name)
        if special is _noop and self.run_mode and name in FUNCTIONS:
            special = None      # run mode: close all really closes the figures (the porter skips it)
        if special is not None:
            return special(self, frame, args, nargout, node)
        if name in REGISTRY:
            return [self.call_layer(name, args, node)]
        fn = FUNCTIONS.get(name) or (overloaded_function(name, args) if args else None)
        if fn is not None:
            return self.call_registered(fn, args, nargout, node)
        b = self.builtins.get(name)
        if b is not None:
            out = b(self, args, nargout, node)
            return out
        if name in ("varargin", "varargout"):
            raise self.error(node, f"'{name}' is not defined here")
        if self.run_mode:
            if frame.fd is not None and name in frame.fd.params:
                raise self.runtime_error(node, "Not enough input arguments.", "MATLAB:minrhs")
            raise self.undefined(name, args, node)
        what = f"'{name}' is not a variable, a function file or a function the porter models"
        self.warn(node, f"{what}; its result is treated as opaque data")
        return [Opaque(f"{name} at {self.where(node)}", missing=name)] * max(nargout, 1)

    def undefined(self, name: str, args: list, node: Node) -> MatlabRuntimeError:
        """MATLAB's error for a name that is neither a variable nor a function."""
        if args:
            kind = matlab_class_name(args[0])
            return self.runtime_error(node, f"Undefined function '{name}' for input arguments of type '{kind}'.",
                                      "MATLAB:UndefinedFunction")
        return self.runtime_error(node, f"Undefined function or variable '{name}'.", "MATLAB:UndefinedFunction")

    _MATHWORKS_COPY = re.compile(r"\bnnet\.internal\.|\bnnet\.cnn\.layer\.[A-Za-z]+\.|The MathWorks, Inc")

    def mathworks_copy(self, name: str, src: SourceFile) -> str | None:
        """The registry layer a file on the path copies (issue 11 item 7): ``reluLayer.m`` or a classdef
        ``ReLULayer`` taken from MathWorks' toolbox source (it calls internal ``nnet.*`` APIs) -> 'reluLayer'."""
        cls = REGISTRY.get(name)
        if cls is None:
            cls = next((c for c in REGISTRY.values() if getattr(c, "CLASS_NAME", "") == name), None)
        if cls is None or not self._MATHWORKS_COPY.search(src.text or ""):
            return None
        return cls.MATLAB_NAME

    def note_sinks(self, name: str, args: list, node: Node) -> None:
        """Record every network value passed to trainNetwork, trainnet, dlnetwork, plot, ... (issue 11 item 2)."""
        argnodes = self._args_of(node) if node.t == "function_call" else []
        for i, a in enumerate(args):
            if not _holds_network(a):
                continue
            argnode = argnodes[i] if i < len(argnodes) else None
            label = argnode.v if argnode is not None and argnode.t == "identifier" else f"{name}_line{node.line + 1}"
            self.sinks.append((label, a, NETWORK_SINKS[name]))

    def run_main_function(self, src: SourceFile, positional: list, named: dict, name: str | None = None):
        """Run a function file's main (first) function, or the local function ``name``, as MATLAB would when
        called with ``positional`` arguments and the parameters in ``named``. Returns (frame, outputs).

        ``nargin`` counts the arguments up to the last one given; a parameter not given is an unknown value
        (after ``arguments`` defaults); outputs assigned are returned in order."""
        functions = self.collect_functions(src)
        self.main_src, self.main_functions = src, functions
        self.check_syntax(src)
        fds = [FunctionDef(k, src, functions) for k in src.root.kids
               if k.t == "function_definition" and "name" in k.f]
        if name is not None:
            fd = functions.get(name)
            if fd is None:
                raise MatlabPortError(f"{src.path}: no function named '{name}' (functions: "
                                      f"{', '.join(functions) or 'none'})")
        elif not fds:
            raise MatlabPortError(f"{src.path}: no function to run")
        else:
            fd = functions.get(fds[0].name, fds[0])
        params = [p for p in fd.params if p not in ("varargin",)]
        nv_name = fd.nv[0] if fd.nv else None
        for key in named:
            if key not in params:
                raise MatlabPortError(f"--var {key}: {fd.name} has no parameter '{key}' (parameters: "
                                      f"{', '.join(params) or 'none'})")
        for i, key in enumerate(params[:len(positional)]):
            if key in named:
                raise MatlabPortError(f"parameter '{key}' of {fd.name} is given twice (argument {i + 1} of --args "
                                      "and --var); give it one way")
        slots = list(positional)
        for i, key in enumerate(params):
            if key in named:
                while len(slots) <= i:
                    slots.append(_UNSET)
                slots[i] = named[key]
        where = self.where(fd.node)
        args = []
        for i, v in enumerate(slots):
            if v is _UNSET:
                key = params[i]
                v = Opaque(f"parameter '{key}' of {fd.name} at {where} (not given: use --args or --var {key}=VALUE)",
                           key, (key,))
            args.append(v)
        if nv_name is not None and nv_name in params and len(args) > params.index(nv_name):
            args = args[:params.index(nv_name)]
        frame = Frame(fd.file, fd.functions, fd.name, nargin=len(args), nargout=len(fd.outputs))
        frame.fd = fd
        self.main_frame = frame
        self.bind_args(fd, args, frame, fd.node)
        for key in params:
            if key != "~" and key not in frame.vars:
                frame.vars[key] = Opaque(f"parameter '{key}' of {fd.name} at {where} (not given: use --args or "
                                         f"--var {key}=VALUE)", key, (key,))
        self.run_body(fd.body, frame)
        outputs = {o: frame.vars[o] for o in fd.outputs if o in frame.vars and o != "varargout"}
        return frame, outputs

    def bind_args(self, fd: FunctionDef, args: list, frame: Frame, node: Node) -> None:
        params = fd.params
        has_varargin = bool(params) and params[-1] == "varargin"
        nv_name = fd.nv[0] if fd.nv and params and params[-1] == fd.nv[0] else None
        fixed = params[:-1] if (has_varargin or nv_name) else params
        positional = list(args)
        pairs = []
        if nv_name is not None and len(args) > len(fixed):
            positional, pairs = list(args[:len(fixed)]), list(args[len(fixed):])
        if len(positional) > len(fixed) and not has_varargin:
            if self.run_mode:
                raise self.runtime_error(node, "Too many input arguments.", "MATLAB:TooManyInputs")
            raise self.error(node, f"too many input arguments: {fd.name} takes at most {len(fixed)}, "
                                   f"got {len(args)}")
        frame.nargin = len(args)
        for p, a in zip(fixed, positional):
            if p != "~":
                frame.vars[p] = a
        if has_varargin:
            frame.vars["varargin"] = Cell.row(positional[len(fixed):])
        for p in fixed[len(positional):]:
            if p in fd.defaults:
                frame.vars[p] = self.eval(fd.defaults[p], frame)
        if nv_name is not None:
            fields = {}
            if len(pairs) % 2:
                raise self.error(node, f"{fd.name}: name-value arguments must come in pairs")
            lower = {k.lower(): k for k in fd.nv[1]}
            for key, value in zip(pairs[::2], pairs[1::2]):
                if not isinstance(key, str) or str(key).lower() not in lower:
                    valid = ", ".join(fd.nv[1])
                    raise self.error(node, f"{fd.name}: '{key}' is not a valid name-value argument "
                                           f"(valid: {valid})")
                fields[lower[str(key).lower()]] = value
            for k, default in fd.nv[1].items():
                if k not in fields and default is not None:
                    fields[k] = self.eval(default, frame)
            frame.vars[nv_name] = Struct(fields)

    def call_user(self, fd: FunctionDef, args: list, nargout: int, node: Node) -> list:
        outputs = fd.outputs
        has_varargout = bool(outputs) and outputs[-1] == "varargout"
        if nargout > len(outputs) and not has_varargout:
            if self.run_mode:
                raise self.runtime_error(node, "Too many output arguments.", "MATLAB:TooManyOutputs")
            raise self.error(node, f"too many output arguments: {fd.name} returns at most {len(outputs)}, "
                                   f"{nargout} requested")
        self.depth += 1
        pushed = False
        try:
            if self.depth > self.max_depth:
                if self.run_mode:
                    raise self.runtime_error(node, f"Maximum recursion limit of {self.max_depth} reached.",
                                             "MATLAB:recursionLimit")
                raise self.error(node, f"maximum recursion depth ({self.max_depth}) exceeded calling "
                                       f"'{fd.name}' (infinite recursion?)")
            frame = Frame(fd.file, fd.functions, fd.name, nargin=len(args), nargout=nargout)
            frame.fd = fd
            parent = None
            if fd.parent is not None:
                parent = next((f for f in reversed(self.live_frames) if f.fd is fd.parent), None)
                if parent is not None:
                    parent.owned = None      # shared with the nested function
                    for name in self.shared_with_parent(fd):
                        if name in parent.vars:
                            frame.vars[name] = parent.vars[name]
            self.call_stack.append(function_label(fd))
            self.live_frames.append(frame)
            pushed = True
            try:
                self.bind_args(fd, args, frame, node)
                self.run_body(fd.body, frame)
            finally:
                self.live_frames.pop()
                if parent is not None:      # what the nested function changed, its parent sees
                    for name in self.shared_with_parent(fd):
                        if name in frame.vars:
                            parent.vars[name] = frame.vars[name]
        except RecursionError:
            raise self.error(node, f"maximum recursion depth exceeded calling '{fd.name}'") from None
        except MatlabRuntimeError as exc:
            if pushed:
                self.call_stack.pop()
                pushed = False
            exc.add_frame(node.src.path, self.call_stack[-1], node.line + 1, node.src.source_line(node.line))
            raise
        finally:
            if pushed:
                self.call_stack.pop()
            self.depth -= 1
        out = []
        want = max(nargout, 1)
        for o in outputs:
            if len(out) >= want:
                break
            if o == "varargout":
                vo = frame.vars.get("varargout")
                if isinstance(vo, Cell):
                    out.extend(vo.items()[: want - len(out)])
                continue
            if o not in frame.vars:
                if nargout == 0 and not out:
                    return []
                if self.run_mode:
                    raise self.runtime_error(node, f'Output argument "{o}" (and possibly others) not assigned a '
                                                   f'value in the execution with "{fd.name}" function.',
                                             "MATLAB:unassignedOutputs")
                raise self.error(node, f"output argument '{o}' of {fd.name} was not assigned")
            out.append(frame.vars[o])
        return out

    def call_handle(self, h: FuncHandle, args: list, nargout: int, node: Node) -> list:
        if h.name is not None:
            frame = Frame(node.src, self._functions_of(node.src), "<handle>")
            return self.call_named(h.name, args, nargout, node, frame)
        if len(args) > len(h.params):
            raise self.error(node, f"too many input arguments for {h.text}")
        self.depth += 1
        try:
            if self.depth > self.max_depth:
                raise self.error(node, f"maximum recursion depth ({self.max_depth}) exceeded")
            frame = Frame(h.body.src, self._functions_of(h.body.src), "<lambda>", nargin=len(args))
            frame.vars = dict(h.env)
            for p, a in zip(h.params, args):
                frame.vars[p] = a
            return self.eval_multi(h.body, frame, max(nargout, 1))
        finally:
            self.depth -= 1

    def _functions_of(self, src: SourceFile) -> dict:
        for s, fns in self.file_cache.values():
            if s is src:
                return fns
        return getattr(self, "main_functions", {}) if src is getattr(self, "main_src", None) else {}

    def opaque_error(self, node: Node, value: Opaque, what: str) -> MatlabPortError:
        needs = value.needs or ((value.var,) if value.var else ())
        if needs:
            names = ", ".join(f"'{n}'" for n in needs)
            example = needs[0]
            hint = (f" Supply {names} with --var {example}=VALUE on the command line or "
                    f"workspace={{'{example}': ...}} from Python.")
            if "parameter '" in value.origin:
                hint += " Function arguments can also be given in order with --args 'VALUE1, VALUE2'."
            detail = f"depends on {names}, which comes from {value.origin} (not computed by the porter)."
        else:
            hint = " Assign the value to a variable and supply it with --var NAME=VALUE or workspace={...}."
            detail = f"comes from {value.origin}, which the porter does not compute."
        if value.missing and value.missing.isidentifier() and value.missing not in _DATA_FUNCTIONS:
            hint += (f" If '{value.missing}' is a function of yours, put {value.missing}.m beside the script or "
                     f"add its folder with --path DIR (path=[...] from Python).")
        exc = self.error(node, f"{what} needs a value that {detail}{hint}")
        exc.builds = True
        return exc

    def data_value_option(self, cls, key) -> str | None:
        """'learnable' for a learnable/state option (Weights, Bias, TrainedMean, ...), 'classes' for
        Classes/ClassWeights, else None: options whose value from data the port may leave at its default."""
        if not isinstance(key, (str, MString)):
            return None
        opt = cls.options().get(str(key)) or cls._options_lower.get(str(key).lower())
        if opt is None:
            return None
        if getattr(opt, "learnable", False) or getattr(opt, "state", False):
            return "learnable"
        if opt.name in ("Classes", "ClassWeights"):
            return "classes"
        return None

    def without_data_values(self, name: str, cls, args: list, node: Node) -> list:
        """Issue 11 item 5: ``'Weights', X`` (any learnable or state) with X from data keeps the layer's
        initializer, ``'Classes'``/``'ClassWeights'`` from data keep 'auto'/'none', each with a warning."""
        out = list(args)
        i = 0
        while i + 1 < len(out):
            kind = self.data_value_option(cls, out[i]) if isinstance(out[i + 1], Opaque) else None
            if kind is None:
                i += 1
                continue
            key = str(out[i])
            keeps = "keeps its initializer" if kind == "learnable" else (
                "keeps 'auto'" if key.lower() == "classes" else "keeps 'none'")
            self.warn(node, f"{name}: '{key}' comes from data the porter does not read "
                            f"({_opaque_desc(out[i + 1])}); the layer {keeps}")
            del out[i:i + 2]
        return out

    def call_layer(self, name: str, args: list, node: Node):
        cls = REGISTRY[name]
        if any(isinstance(a, Opaque) for a in args):
            args = self.without_data_values(name, cls, args, node)
        for a in args:
            if isinstance(a, Opaque):
                raise self.opaque_error(node, a, f"{name}")
        pyargs = [self.to_py(a, node, for_network=True) for a in args]
        if name == "functionLayer" and args and isinstance(args[0], FuncHandle):
            pyargs[0] = self.translated_handle(args[0], node, "functionLayer")
        try:
            return cls(*pyargs)
        except LayerGraphError as exc:
            raise self.error(node, str(exc)) from None
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
            raise self.error(node, f"{name}: invalid arguments ({exc})") from None

    def translated_handle(self, handle: FuncHandle, node: Node, what: str):
        """A handle as torch code generated from its parsed expression tree (functionLayer's PredictFcn)."""
        from .custom import _NotTranslatable, translate_handle

        try:
            return translate_handle(self, handle)
        except _NotTranslatable as exc:
            raise self.error(node, f"{what}: the function handle {handle.text} cannot be translated to torch "
                                   f"({exc}); a ported functionLayer takes element-wise MATLAB math on its inputs "
                                   "(+ - .* ./ .^, exp, log, sqrt, tanh, sigmoid, relu, abs, max, min, sum, mean, "
                                   "comparisons) and numeric values it captured") from None

    def call_registered(self, fn, args: list, nargout: int, node: Node) -> list:
        name = fn.name
        if name == "dlnetwork" and not _initialized(args):
            # R2024 Deep Network Designer code: net = dlnetwork; net = addLayers(net, ...); net = initialize(net)
            # An uninitialized dlnetwork is a graph in progress; initialize(net) builds the network.
            if not args:
                return [LayerGraph()]
            return self.call_registered(FUNCTIONS["layerGraph"], [args[0]], 1, node)
        if getattr(fn, "base", False):
            return self.call_base(fn, args, nargout, node)
        if self.run_mode:
            return self.call_registered_run(fn, args, nargout, node)
        builds = bool(fn.outputs) and fn.outputs[0] in ("lgraph", "net", "layers", "layer", "dlnet")
        if not fn.data_free:
            self.warn(node, f"{name} needs data the porter does not have; its result is treated as opaque")
            return [Opaque(f"{name} at {self.where(node)}")] * max(nargout, 1)
        opaque = [a for a in args if isinstance(a, Opaque)]
        if opaque:
            if builds:
                raise self.opaque_error(node, merge_opaque(opaque), name)
            self.warn(node, f"{name} is called with a value the porter does not compute; its result is opaque")
            return [Opaque(f"{name} at {self.where(node)}")] * max(nargout, 1)
        pyargs = [self.to_py(a, node, for_network=builds) for a in args]
        try:
            sig = _SIGNATURES.get(name)
            if sig is None:
                sig = _SIGNATURES[name] = inspect.signature(fn.function)
            sig.bind(*pyargs)
        except TypeError:
            raise self.error(node, f"wrong number of arguments to {name} ({len(args)} given)") from None
        except ValueError:
            pass
        # functions whose extra MATLAB outputs cost work (imread's map, read's info) take the count asked for
        extra = {"nargout": max(nargout, 1)} if "nargout" in getattr(sig, "parameters", {}) else {}
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = fn.function(*pyargs, **extra)
        except LayerGraphError as exc:
            if name in _PRETRAINED and type(exc).__name__ == "PretrainedWeightsError" and \
                    not any(isinstance(a, str) and a.lower() == "weights" for a in args):
                # Porting needs the architecture only: without the weight file, the untrained architecture
                # (name('Weights','none')); the pretrained weights load when the program runs.
                reason = str(exc).split(". ")[0].removeprefix(f"{name}: ")
                self.warn(node, f"{name}: the port builds the architecture ({name}('Weights','none')) because "
                                f"the pretrained weights are not available here ({reason}); the weights are "
                                "loaded when the program runs")
                outs = self.call_registered(fn, list(args) + ["Weights", "none"], nargout, node)
                if outs and isinstance(outs[0], LayerArr):
                    # a series architecture as a LayerGraph, so net.Layers and layerGraph(net) work as on the
                    # SeriesNetwork MATLAB returns
                    outs[0] = self.call_registered(FUNCTIONS["layerGraph"], [outs[0]], 1, node)[0]
                return outs
            raise self.error(node, f"{name}: {exc}") from None
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
            raise self.error(node, f"{name}: invalid arguments ({exc})") from None
        if not fn.outputs:
            return []
        if len(fn.outputs) > 1 or (nargout > 1 and isinstance(result, tuple)):   # several outputs or varargout
            outs = list(result) if isinstance(result, tuple) else [result]
        else:
            outs = [result]
        return [self.checked(node, to_matlab, o) for o in outs]

    def call_base(self, fn, args: list, nargout: int, node: Node) -> list:
        """A MATLAB base function (``base=True``): MATLAB values in, MATLAB values out, no conversion.
        Under ``layergraph run`` what it prints reaches stdout; while porting it is discarded (and functions
        that only change what a run prints, such as ``format``, are not called)."""
        name = fn.name
        if not self.run_mode and name in _RUN_ONLY:
            return []
        if not self.run_mode and any(isinstance(a, Opaque) for a in args):
            # the porter: an Opaque argument makes every output Opaque, keeping where the value came from;
            # a function without outputs (disp, fprintf) is skipped with a warning
            if not fn.outputs:
                self.warn(node, f"{name} is called with a value the porter does not compute; it is skipped")
                return []
            return [merge_opaque(args)] * max(nargout, 1)
        extra = {"nargout": nargout} if getattr(fn, "nargout_aware", False) else {}
        if name == "display" and len(args) == 1 and node.t == "function_call":
            argnodes = self._args_of(node)   # display(x) shows the variable's name, as MATLAB's inputname
            if len(argnodes) == 1 and argnodes[0].t == "identifier":
                extra = {"name": argnodes[0].v}
        from .base._core import CONTEXT

        token = CONTEXT.set((self, node))   # lang.call (function handles) and the element budget use it
        try:
            if self.run_mode:
                result = fn.function(*args, **extra)
            else:   # the porter prints nothing (fprintf(2, ...) included)
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    result = fn.function(*args, **extra)
        except MatlabPortError as exc:
            if getattr(exc, "stack", None) or getattr(exc, "text", None) is not None or \
                    (not isinstance(exc, MatlabRuntimeError) and _LOCATED.match(str(exc))):
                raise           # raised (and located) inside a function handle the base function called
            message = getattr(exc, "message", None) or str(exc)
            identifier = getattr(exc, "identifier", "") or ""
            if self.run_mode:
                raise self.runtime_error(node, message, identifier, using=name) from None
            err = self.error(node, message if message.startswith(name) else f"{name}: {message}")
            err.identifier = identifier
            raise err from None
        except LayerGraphError as exc:
            text = str(exc)
            if self.run_mode:
                code = "layergraph:policy" if isinstance(exc, PolicyError) else getattr(exc, "identifier", "") or ""
                raise self.runtime_error(node, text, code, using=name) from None
            raise self.error(node, text if text.startswith(name) else f"{name}: {text}") from None
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
            text = str(exc)
            if isinstance(exc, TypeError) and "required positional argument" in text:
                raise self.error(node, "Not enough input arguments.", "MATLAB:minrhs", using=name) from None
            if isinstance(exc, TypeError) and "positional argument" in text and " given" in text:
                raise self.error(node, "Too many input arguments.", "MATLAB:TooManyInputs", using=name) from None
            if self.run_mode:
                raise self.runtime_error(node, f"Invalid arguments ({exc}).", "", using=name) from None
            raise self.error(node, f"{name}: invalid arguments ({exc})") from None
        finally:
            CONTEXT.reset(token)
        if result is None or not fn.outputs:
            return []
        if isinstance(result, tuple) and (nargout > 1 or len(fn.outputs) > 1):
            return list(result)
        return [result]

    def call_registered_run(self, fn, args: list, nargout: int, node: Node) -> list:
        """Run mode: the registered function really runs (data, training, files under the run policy); its
        printout goes to standard output; its errors are MATLAB's ``Error using name``."""
        name = fn.name
        if getattr(fn, "evaluator", False) and args and isinstance(args[0], FuncHandle) \
                and all(map(reaches_function_as_is, args[1:])):      # dlfeval(@modelLoss, net, X, T)
            pyargs = [HandleFunction(self, args[0], node, matlab_values=True), *args[1:]]
        else:
            pyargs = [self.to_py(a, node) for a in args]
        kwargs = {}
        if getattr(fn, "nargout_aware", False):
            kwargs["nargout"] = nargout
        else:
            sig = _SIGNATURES.get(name)
            if sig is None:
                try:
                    sig = _SIGNATURES[name] = inspect.signature(fn.function)
                except (TypeError, ValueError):
                    sig = None
            if sig is not None and "nargout" in sig.parameters:
                kwargs["nargout"] = max(nargout, 1)
        try:
            result = fn.function(*pyargs, **kwargs)
        except MatlabRuntimeError:
            raise
        except PolicyError as exc:
            raise self.runtime_error(node, str(exc), "layergraph:policy", using=name) from None
        except LayerGraphError as exc:
            text = str(exc)
            prefix = f"{name}: "
            raise self.runtime_error(node, text[len(prefix):] if text.startswith(prefix) else text,
                                     getattr(exc, "identifier", "") or "", using=name) from None
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - a Python failure inside a function is MATLAB's "Error using"
            detail = str(exc) or type(exc).__name__
            if isinstance(exc, TypeError) and "argument" in detail:
                detail = f"Invalid arguments ({detail})."
            raise self.runtime_error(node, detail, "", using=name) from exc
        if not fn.outputs:
            return []       # no MATLAB outputs (whatever the Python function returns stays in Python)
        if nargout == 0 and getattr(fn.function, "__module__", "").startswith("layergraph.figures"):
            return []       # graphics functions return their handle only when asked (no ans = <figure>)
        if nargout > 1 or len(fn.outputs) > 1:
            outs = list(result) if isinstance(result, tuple) else [result]
        else:
            outs = [result]
        # only the outputs the caller asked for cross into MATLAB (net, not the training info, for net = ...)
        return [self.checked(node, to_matlab, o) for o in outs[:max(nargout, 1)]]

    # ---- conversions ---------------------------------------------------------------------------------

    def to_py(self, v, node: Node, for_network: bool = False):
        """A porter value as the layergraph Python API takes it."""
        if isinstance(v, np.ndarray):
            return array_to_py(v)
        if isinstance(v, MString):
            return str(v)
        if isinstance(v, str):
            return v
        if isinstance(v, LayerArr):
            return list(v.items())
        if isinstance(v, (Cell, StrArr)):
            return CellList([self.to_py(x, node, for_network) for x in v.items()], v.a.shape)
        if isinstance(v, FuncHandle):
            return _py_callable(self, v, node)
        if isinstance(v, Struct):
            return {k: self.to_py(x, node, for_network) for k, x in v.fields.items()}
        if isinstance(v, StructArr):
            return [self.to_py(x, node, for_network) for x in v.items()]
        if isinstance(v, Opaque):
            raise self.opaque_error(node, v, "this call")
        return v

    # ---- indexing -----------------------------------------------------------------------------------

    def index_positions(self, idx, shape, where, allow_grow=False):
        try:
            return S.index_positions(idx, shape, allow_grow)
        except MatlabRuntimeError as exc:
            raise self.located(where, exc) from None

    def index_get(self, base, idx, where, allow_grow=False):
        try:
            return S.index_get(base, idx, allow_grow)
        except MatlabRuntimeError as exc:
            raise self.located(where, exc) from None

    def _take(self, arr: np.ndarray, idx, where):
        try:
            return S.take(arr, idx)
        except MatlabRuntimeError as exc:
            raise self.located(where, exc) from None

    def index_set(self, base, idx, value, where):
        try:
            return S.index_set(base, idx, value, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(where, exc) from None

    _has_gap = staticmethod(S.has_gap)

    def _put(self, arr: np.ndarray, idx, vals, where, deleting: bool, fill):
        try:
            return S.put(arr, idx, vals, deleting, fill, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(where, exc) from None

    # ---- arithmetic ---------------------------------------------------------------------------------

    def numeric(self, v, node) -> np.ndarray:
        try:
            return S.numeric(v)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def scalar(self, v, node, what="a scalar") -> float:
        try:
            return S.scalar(v, what)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def eval_binary(self, node: Node, frame: Frame):
        op = node.v
        left = node.f.get("left") or node.kids[0]
        right = node.f.get("right") or node.kids[-1]
        if op in ("^", ".^") and left.t == "unary_operator" and left.v in ("-", "+"):
            # MATLAB: -a^b is -(a^b); the grammar binds the sign tighter
            inner = self.binary(op, self.eval(left.f.get("operand", left.kids[0]), frame),
                                self.eval(right, frame), node)
            return -inner if left.v == "-" and not isinstance(inner, Opaque) else inner
        return self.binary(op, self.eval(left, frame), self.eval(right, frame), node)

    def binary(self, op, a, b, node):
        try:
            return S.binary(op, a, b, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def apply_overload(self, impl, args: list, node):
        try:
            return S.apply_overload(impl, args)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def string_plus(self, a, b, node):
        try:
            return S.string_plus(a, b)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def compare(self, op, a, b, node):
        try:
            return S.compare(op, a, b, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def transpose(self, v, node):
        try:
            return S.transpose(v)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def error_value(self, node, message):
        raise self.error(node, message)

    # ---- concatenation -------------------------------------------------------------------------------

    def eval_row_items(self, row: Node, frame: Frame) -> list:
        items = []
        for k in row.kids:
            v = self.eval(k, frame)
            if isinstance(v, CsList):
                items.extend(v)
            else:
                items.append(v)
        return items

    def eval_matrix(self, node: Node, frame: Frame):
        rows = [self.eval_row_items(r, frame) for r in node.kids if r.t == "row"]
        return self.concat_rows(rows, node)

    def concat_rows(self, rows, node):
        flat = [x for r in rows for x in r]
        opaque = [x for x in flat if isinstance(x, Opaque)]
        if opaque and any(isinstance(x, (Layer, LayerArr)) for x in flat) and all(
                x.missing and x.var is None for x in opaque):
            # the porter: an unknown function's value among layers becomes a placeholder layer
            rows = [[self.placeholder_for(x, flat) if isinstance(x, Opaque) else x for x in r] for r in rows]
        try:
            return S.concat_rows(rows, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def ncat(self, parts, axis, node):
        try:
            return S.ncat(parts, axis, self.max_elements)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def hcat_obj(self, parts, node, cls):
        try:
            return S.hcat_obj(parts, cls)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def vcat_obj(self, parts, node, cls):
        try:
            return S.vcat_obj(parts, cls)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def placeholder_for(self, value: Opaque, siblings: list):
        """An unknown function called as an element of a layer array (``[... mishLayer ...]``) becomes a
        placeholder layer named after the function (issue 11 item 4); the port is then incomplete."""
        from ..layers.placeholder import PlaceholderLayer

        fname = value.missing
        taken = set()
        for x in siblings:
            for layer in (x.items() if isinstance(x, LayerArr) else [x] if isinstance(x, Layer) else []):
                taken.add(getattr(layer, "Name", ""))
        name, n = fname, 2
        while name in taken:
            name, n = f"{fname}_{n}", n + 1
        where = value.origin.split(" at ", 1)[1] if " at " in value.origin else ""
        reason = f"'{fname}' is not a function the porter knows (no function file on the path)"
        text = (f"unknown function '{fname}' in a layer array: a placeholder layer '{name}' stands in for it "
                f"(put {fname}.m beside the script or in a --path folder, or replace the layer)")
        self.incomplete.append(f"{where}: {text}" if where else text)
        if where:
            self.warnings.append(printable(f"{where}: warning: {text}"))
        return PlaceholderLayer(Name=name, MatlabClass=fname, Reason=reason)

    def concat_layers(self, rows, node):
        try:
            return S.concat_layers(rows)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None

    def eval_cell(self, node: Node, frame: Frame):
        rows = []
        for r in node.kids:
            if r.t != "row":
                continue
            items = self.eval_row_items(r, frame)
            if items:
                rows.append(items)
        try:
            return S.cell_rows(rows)
        except MatlabRuntimeError as exc:
            raise self.located(node, exc) from None


_UNSET = object()


def _scalar_element(a: np.ndarray, idx):
    """``a(k)`` / ``a(r, c)`` of a 2-D array for scalar whole-number subscripts in range, else None."""
    subs = []
    for i in idx:
        if type(i) is not np.ndarray or i.shape != (1, 1) or i.dtype != np.float64:
            return None
        k = float(i[0, 0])
        if not k.is_integer() or k < 1:
            return None
        subs.append(int(k) - 1)
    rows, cols = a.shape
    if len(subs) == 1:
        k = subs[0]
        if k >= rows * cols:
            return None
        return np.array([[a[k % rows, k // rows]]], dtype=a.dtype)
    r, c = subs
    if r >= rows or c >= cols:
        return None
    return np.array([[a[r, c]]], dtype=a.dtype)


def _fresh(new, base, value) -> bool:
    """True if the array an indexed assignment made shares no memory with its inputs (only the variable
    it is stored in will refer to it)."""
    if new is base or new is value:
        return False
    if new.base is None:
        return True
    return not (type(base) is np.ndarray and np.may_share_memory(new, base)) and \
        not (type(value) is np.ndarray and np.may_share_memory(new, value))


def _initialized(args) -> bool:
    """False for dlnetwork() and dlnetwork(x, 'Initialize', false)."""
    if not args:
        return False
    for key, value in zip(args[1::2], args[2::2]):
        if isinstance(key, str) and str(key).lower() == "initialize" and isinstance(value, np.ndarray) \
                and value.size == 1 and not bool(value.flat[0]):
            return False
    return True
_SIGNATURES: dict = {}

# Well-known data and display functions: an opaque value from them never suggests a missing file.
_DATA_FUNCTIONS = {
    "imageDatastore", "load", "imread", "readtable", "categories", "countEachLabel", "splitEachLabel",
    "fullfile", "matlabroot", "randperm", "readimage", "augmentedImageDatastore", "digitTrain4DArrayData",
    "japaneseVowelsTrainData", "size", "numel", "unique", "categorical", "table", "readmatrix",
}


def _nargin(interp, frame, args, nargout, node):
    if args:
        raise interp.error(node, "nargin(fn) is not supported; use nargin inside a function")
    if frame.name in ("<script>",):
        raise interp.error(node, "nargin is only valid inside a function")
    return [num(frame.nargin)]


def _nargout(interp, frame, args, nargout, node):
    if frame.name in ("<script>",):
        raise interp.error(node, "nargout is only valid inside a function")
    return [num(frame.nargout)]


def _clear(interp, frame, args, nargout, node):
    names = [str(a) for a in args if isinstance(a, str)]
    if not names or any(n in ("all", "-all", "variables") for n in names):
        frame.vars.clear()
    else:
        for n in names:
            frame.vars.pop(n, None)
    return []


def _exist(interp, frame, args, nargout, node):
    if args and isinstance(args[0], Opaque):
        return [Opaque(f"exist at {interp.where(node)}", needs=args[0].needs)]   # a name from data: unknown
    if not args or not isinstance(args[0], str):
        raise interp.error(node, "exist needs a name")
    name = str(args[0])
    kind = str(args[1]) if len(args) > 1 and isinstance(args[1], str) else None
    if name in frame.vars and kind in (None, "var"):
        return [num(1)]
    if kind == "var":
        return [num(0)]
    if interp.find_file(name, frame) is not None and kind in (None, "file"):
        return [num(2)]
    if kind in (None, "file", "dir") and name:
        from ..policy import check_read   # a data file or folder: 2 / 7, under the file policy

        try:
            path = check_read(name, "exist")
        except LayerGraphError:
            path = None
        if path is not None and kind in (None, "dir") and os.path.isdir(path):
            return [num(7)]
        if path is not None and kind in (None, "file") and os.path.isfile(path):
            return [num(2)]
    if (name in REGISTRY or name in FUNCTIONS or name in interp.builtins) and kind in (None, "builtin"):
        return [num(5)]
    return [num(0)]


def _noop(interp, frame, args, nargout, node):
    return []


#: functions a network reaches (True: training; the primary network is the last one passed to training)
NETWORK_SINKS = {"trainNetwork": True, "trainnet": True, "assembleNetwork": False, "dlnetwork": False,
                 "analyzeNetwork": False, "plot": False, "deepNetworkDesigner": False}


def _holds_network(value) -> bool:
    """A layer array of layers, a layer, a LayerGraph or a network."""
    if isinstance(value, LayerArr):
        items = value.items()
        return bool(items) and all(isinstance(x, Layer) for x in items)
    if isinstance(value, (Layer, LayerGraph)):
        return True
    return type(value).__name__ in ("Network", "SeriesNetwork", "DAGNetwork") and hasattr(value, "to_layer_graph")


def _strip_location(message: str) -> str:
    return re.sub(r"^.*?:\d+:\d+: ", "", message, count=1)


_GRAPH_EDITS = frozenset({"addLayers", "removeLayers", "replaceLayer", "connectLayers", "disconnectLayers",
                          "layerGraph", "dlnetwork", "setL2Factor", "setLearnRateFactor", "assembleNetwork"})

_PRETRAINED = frozenset({"alexnet", "googlenet", "squeezenet", "resnet18", "resnet50", "resnet101", "vgg16",
                         "vgg19", "mobilenetv2", "inceptionv3", "densenet201", "xception", "darknet19",
                         "darknet53", "denoisingNetwork"})

_LOCATED = re.compile(r"^[^\n]*:\d+:\d+: ")   # an error text that already names file:line:col

_FRAME_FUNCTIONS = {"nargin": _nargin, "nargout": _nargout, "clear": _clear, "clearvars": _clear,
                    "exist": _exist, "clc": _noop, "close": _noop, "more": _noop}
from .base.matfiles import FRAME_FUNCTIONS as _FILE_FUNCTIONS  # noqa: E402  (save/load use the workspace)

_FRAME_FUNCTIONS.update(_FILE_FUNCTIONS)
# base functions whose only effect is on what a run prints: the porter does not call them
_RUN_ONLY = {"format"}


from .runtime import FRAME_FUNCTIONS as _RUN_FUNCTIONS  # noqa: E402  (run mode: error, MException, tic, ...)
from .runtime import matlab_wording as _matlab_wording  # noqa: E402
from . import fastloop as _fastloop  # noqa: E402  (run mode: scalar loops as compiled closures)
from . import numeric_types as _numeric_types  # noqa: E402  (integer classes and single)

_RUN_FUNCTIONS = {**_RUN_FUNCTIONS, **_numeric_types.RUN_FUNCTIONS}


def _text_of(node: Node) -> str:
    return node.v or node.t


def _opaque_desc(v: Opaque) -> str:
    if v.needs:
        return "depends on " + ", ".join(f"'{n}'" for n in v.needs)
    return f"from {v.origin}"


def script_label(src: SourceFile) -> str:
    """The name MATLAB shows for a script or function file in an error stack (its file name without .m)."""
    if src.path in ("<string>", ""):
        return "<string>"
    return os.path.splitext(os.path.basename(src.path))[0]


def function_label(fd) -> str:
    """``fname`` for a file's main function, ``file>local`` for a local function (MATLAB's stack names)."""
    file = script_label(fd.file)
    kids = [k for k in fd.file.root.kids if k.t != "comment"]
    if (kids and kids[0] is fd.node) or file == fd.name or file == "<string>":
        return fd.name
    return f"{file}>{fd.name}"


def matlab_class_name(v) -> str:
    """MATLAB's class() of a value (for messages): the registry's ``class``."""
    from .base._core import class_of

    return class_of(v)


to_m = to_matlab  # the one Python -> MATLAB boundary lives in access.py


def _py_callable(interp: Interpreter, h: FuncHandle, node: Node):
    return HandleFunction(interp, h, node)


__all__ = ["Interpreter", "Frame", "to_m", "type_name", "make_range", "range_count", "matlab_num_str", "COLON",
           "DEFAULT_MAX_ELEMENTS"]
