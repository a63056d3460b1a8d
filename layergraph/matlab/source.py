"""Reading MATLAB source: byte decoding, tree-sitter parsing, Octave spellings and a compact syntax tree.

The grammar is tree-sitter-matlab. Octave spellings the grammar does not know (``#`` comments, ``!=``,
``!x``, ``endfor``/``endwhile``/``endif``/``endfunction``/``endswitch``) are rewritten to their MATLAB
forms *where the grammar reports them*, with replacements of the same length so that every line:column
still points into the user's file. The tree-sitter tree is then copied once into :class:`Node` objects
(plain Python, cheap to walk many times inside loops).
"""

from __future__ import annotations


import codecs
import gc
import re
from dataclasses import dataclass, field

import tree_sitter as _ts
import tree_sitter_matlab as _tsm

from ..errors import MatlabPortError

_LANGUAGE = _ts.Language(_tsm.language())

# --------------------------------------------------------------------------------------------------
# Decoding


def _kana_count(text: str) -> int:
    return sum(1 for ch in text if "\u3040" <= ch <= "\u30ff")


def decode_source(data: bytes) -> tuple[str, str]:
    """Text and encoding of a source file: UTF-8 (with or without BOM), Shift-JIS, GBK, Latin-1 or cp1252.

    Non-ASCII bytes in MATLAB scripts are nearly always in comments or strings. UTF-8 is tried first
    (it almost never decodes other encodings by accident); then Shift-JIS when its decoding contains
    kana (Japanese comments do; GBK text read as Shift-JIS does not); then GBK when every non-ASCII
    character it gives is a CJK ideograph or CJK punctuation; then Latin-1 when there are no C1
    control bytes, else Windows-1252; Shift-JIS or GBK as a last resort.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = {}
    for enc in ("cp932", "gbk"):
        try:
            candidates[enc] = data.decode(enc)
        except UnicodeDecodeError:
            pass
    if "cp932" in candidates and _kana_count(candidates["cp932"]) > 0:
        return candidates["cp932"], "shift_jis"
    if "gbk" in candidates and all(_is_cjk(ch) for ch in candidates["gbk"] if ord(ch) > 127):
        return candidates["gbk"], "gbk"
    if not any(0x80 <= b <= 0x9F for b in data):
        return data.decode("latin-1"), "latin-1"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    if "cp932" in candidates:
        return candidates["cp932"], "shift_jis"
    if "gbk" in candidates:
        return candidates["gbk"], "gbk"
    return data.decode("latin-1"), "latin-1"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E or 0x3400 <= o <= 0x4DBF


# --------------------------------------------------------------------------------------------------
# Compact syntax tree

_SKIP = {"comment", "line_continuation"}
_OPERATOR_NODES = {
    "binary_operator", "comparison_operator", "boolean_operator", "unary_operator",
    "postfix_operator", "not_operator",
}


class Node:
    """A named syntax node: ``t`` type, ``kids`` named children, ``f`` fields, ``v`` text or operator,
    ``line``/``col`` 0-based position (column in characters), ``src`` the file it came from."""

    __slots__ = ("t", "kids", "f", "v", "line", "col", "src", "end_line", "extra", "quiet", "run")

    def __init__(self, t, line, col, src):
        self.t = t
        self.kids = []
        self.f = {}
        self.v = None
        self.line = line
        self.col = col
        self.src = src
        self.end_line = line
        self.extra = None
        self.quiet = False      # a statement ended by ';' (its value is not displayed)
        self.run = None         # the interpreter's compiled closure for this node (built on first use)

    def field(self, name):
        return self.f.get(name)

    def __repr__(self):
        return f"<{self.t} {self.line + 1}:{self.col + 1}>"


@dataclass
class SourceFile:
    path: str                 # display name (file path or '<string>')
    text: str
    encoding: str
    lines: list = field(default_factory=list)
    root: Node | None = None
    syntax_errors: list = field(default_factory=list)   # (line, col, message), every statement skipped
    syntax_report: list = field(default_factory=list)   # (line, col, message), each syntax error once
    octave_fixes: int = 0

    def location(self, line: int, col: int) -> str:
        return f"{self.path}:{line + 1}:{col + 1}"

    def source_line(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def error(self, node_or_pos, message: str) -> MatlabPortError:
        if isinstance(node_or_pos, Node):
            line, col = node_or_pos.line, node_or_pos.col
        else:
            line, col = node_or_pos
        return MatlabPortError(format_error(self, line, col, message))


def printable(text: str) -> str:
    """``text`` with control characters, ANSI escapes, bidi controls and line separators shown escaped."""
    from ..textsafe import printable as _printable

    return _printable(text)


def format_error(src: SourceFile, line: int, col: int, message: str) -> str:
    """``file:line:col: message`` with the source line and a caret; script text is shown escaped."""
    text = src.source_line(line)
    caret = " " * col + "^"
    return f"{printable(src.location(line, col))}: {printable(message)}\n    {printable(text.rstrip())}\n    {caret}"


class _Columns:
    """Byte column -> character column, per line (only lines with non-ASCII text need work)."""

    def __init__(self, data: bytes):
        self.lines = data.split(b"\n")
        self.cache = {}

    def col(self, row: int, bytecol: int) -> int:
        if row >= len(self.lines):
            return bytecol
        line = self.lines[row]
        if line.isascii():
            return bytecol
        key = (row, bytecol)
        if key not in self.cache:
            self.cache[key] = len(line[:bytecol].decode("utf-8", errors="replace"))
        return self.cache[key]


_OCTAVE_ENDS = {"endfor", "endwhile", "endif", "endfunction", "endswitch", "end_try_catch", "endparfor",
                "end_unwind_protect", "endclassdef", "endmethods", "endproperties"}


_OCTAVE_HINT = re.compile(rb"[#!]|\bend(?:for|while|if|function|switch|_try_catch|parfor|_unwind_protect)\b")


def _octave_fixes(tree, data: bytes) -> list:
    """Same-length byte replacements for Octave spellings at the places the grammar rejected."""
    fixes = []
    protected = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in ("string", "comment"):
            protected.append((node.start_byte, node.end_byte))
            continue
        if node.type == "command":
            name = node.child(0)
            if name is not None and name.type == "command_name":
                word = name.text.decode("utf-8", "replace")
                if word in _OCTAVE_ENDS and node.child_count == 1:
                    fixes.append((name.start_byte, name.end_byte, b"end" + b" " * (len(word) - 3)))
                    continue
        if node.is_error or node.type == "ERROR":
            if node.child_count == 0:
                tok = data[node.start_byte:node.end_byte]
                s = node.start_byte
                if tok.startswith(b"#"):
                    fixes.append((s, s + 1, b"%"))
                elif tok.startswith(b"!"):
                    fixes.append((s, s + 1, b"~"))
                continue
        if node.child_count == 0 and node.type in ("ERROR",):
            continue
        stack.extend(node.children)
    # A '#' that starts a comment may also have been swallowed into other tokens: look at raw lines
    # for '#' at the first non-blank position (unambiguous: MATLAB has no '#' operator).
    pos = 0
    for line in data.split(b"\n"):
        stripped = line.lstrip(b" \t")
        if stripped.startswith(b"#") and not stripped.startswith(b"#!"):
            i = pos + (len(line) - len(stripped))
            fixes.append((i, i + 1, b"%"))
        pos += len(line) + 1
    # '!' is Octave's not ('!x', '!='); outside strings and comments MATLAB has no other use for it
    # except a shell escape at the start of a line, which is left alone.
    if b"!" in data:
        protected.sort()
        starts = [p[0] for p in protected]
        import bisect

        i = data.find(b"!")
        while i != -1:
            k = bisect.bisect_right(starts, i) - 1
            inside = k >= 0 and protected[k][0] <= i < protected[k][1]
            line_start = data.rfind(b"\n", 0, i) + 1
            if not inside and data[line_start:i].strip(b" \t") != b"":
                fixes.append((i, i + 1, b"~"))
            i = data.find(b"!", i + 1)
    out = {}
    for s, e, rep in fixes:
        if data[s:e] != rep:
            out[s] = (s, e, rep)
    return sorted(out.values())


def _has_error(node) -> bool:
    return node.has_error


def parse_source(text: str, path: str = "<string>", encoding: str = "utf-8") -> SourceFile:
    """Parse MATLAB text into a :class:`SourceFile` with its compact tree and any syntax errors."""
    src = SourceFile(path, text, encoding, text.split("\n"))
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    src.lines = data.decode("utf-8").split("\n")
    if not data.endswith(b"\n"):
        data += b"\n"   # the grammar needs a newline after a final 'end'
    parser = _ts.Parser(_LANGUAGE)
    tree = parser.parse(data)
    for _ in range(50):
        if not tree.root_node.has_error and not _OCTAVE_HINT.search(data):
            break
        fixes = _octave_fixes(tree, data)
        if not fixes:
            break
        buf = bytearray(data)
        for s, e, rep in fixes:
            buf[s:e] = rep
        data = bytes(buf)
        src.octave_fixes += len(fixes)
        tree = parser.parse(data)
    if tree.root_node.has_error:
        cols0 = _Columns(data)
        brackets = _bracket_errors(tree, cols0)
        data, tree = _confine_errors(src, parser, data, tree)
        src.syntax_report = _syntax_report(src, brackets)
    cols = _Columns(data)
    # Copying a large tree allocates many objects at once: without the cyclic collector running in the
    # middle, the cost stays linear in the file size (50,000 continuation lines: seconds, not minutes).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        src.root = _convert(tree.root_node, data, cols, src)
        _matlab_precedence(src.root)
    finally:
        if was_enabled:
            gc.enable()
    return src


# --------------------------------------------------------------------------------------------------
# MATLAB's operator precedence (the grammar's differs: it parses '&'/'|' tighter than comparisons,
# '^' right-associative and unary minus above '^'). MathWorks' table, highest first: ^ .^ (left to
# right); unary + - ~; * / \ .* ./ .\; + -; (colon); < <= > >= == ~=; &; |; &&; ||.

_BINARY_PRECEDENCE = {"||": 1, "&&": 2, "|": 3, "&": 4, "<": 5, "<=": 5, ">": 5, ">=": 5, "==": 5, "~=": 5,
                      "!=": 5, "+": 7, "-": 7, "*": 8, "/": 8, "\\": 8, ".*": 8, "./": 8, ".\\": 8, "^": 10,
                      ".^": 10}
_UNARY_PRECEDENCE = 9
_OPERATOR_TYPES = frozenset({"binary_operator", "comparison_operator", "boolean_operator"})
_PREFIX_TYPES = frozenset({"unary_operator", "not_operator"})


def _is_binary(n) -> bool:
    return n.t in _OPERATOR_TYPES and len(n.kids) == 2 and n.v in _BINARY_PRECEDENCE


def _is_prefix(n) -> bool:
    return n.t in _PREFIX_TYPES and len(n.kids) == 1


def _operator_tokens(root) -> list:
    """An operator expression in source order: ('b', node) binary, ('p', node) prefix, ('a', node) operand."""
    out = []
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            out.append(item)
        elif _is_binary(item):
            stack.append(item.kids[1])
            stack.append(("b", item))
            stack.append(item.kids[0])
        elif _is_prefix(item):
            stack.append(item.kids[0])
            stack.append(("p", item))
        else:
            out.append(("a", item))
    return out


def _reassociate(tokens: list):
    """Precedence climbing over the tokens: the operator nodes rebuilt with MATLAB's precedence."""
    pos = 0

    def parse(min_prec):
        nonlocal pos
        kind, node = tokens[pos]
        if kind == "p":
            pos += 1
            operand = parse(_UNARY_PRECEDENCE)
            node.kids = [operand]
            if "operand" in node.f:
                node.f["operand"] = operand
            lhs = node
        else:
            pos += 1
            lhs = node
        while pos < len(tokens) and tokens[pos][0] == "b":
            op = tokens[pos][1]
            prec = _BINARY_PRECEDENCE[op.v]
            if prec < min_prec:
                break
            pos += 1
            rhs = parse(prec + 1)
            op.kids = [lhs, rhs]
            if op.t != "comparison_operator" or op.f:
                op.f["left"], op.f["right"] = lhs, rhs
            op.line, op.col = lhs.line, lhs.col
            lhs = op
        return lhs

    return parse(0)


def _matlab_precedence(root) -> None:
    """Rebuild every operator expression of the tree with MATLAB's precedence (iterative: deep trees are fine)."""
    stack = [root]
    while stack:
        node = stack.pop()
        kids = node.kids
        for i, kid in enumerate(kids):
            if (_is_binary(kid) and (_is_binary(kid.kids[0]) or _is_binary(kid.kids[1]) or _is_prefix(kid.kids[0])
                                     or _is_prefix(kid.kids[1]))) or (_is_prefix(kid) and _is_binary(kid.kids[0])):
                tokens = _operator_tokens(kid)
                new = _reassociate(tokens)
                stack.extend(n for k, n in tokens if k == "a")
                if new is not kid:
                    kids[i] = new
                    for key, value in node.f.items():
                        if value is kid:
                            node.f[key] = new
                        elif isinstance(value, list) and any(v is kid for v in value):
                            node.f[key] = [new if v is kid else v for v in value]
            else:
                stack.append(kid)


def _error_nodes(tree) -> list:
    out = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.type == "ERROR" or node.is_missing:
            out.append(node)
            continue
        if node.has_error:
            stack.extend(node.children)
    return out


def _confine_errors(src: SourceFile, parser, data: bytes, tree):
    """Blank the lines holding syntax errors (keeping every offset) so the rest of the file parses as
    if they were not there; each error is reported once, at its place in the original text."""
    cols = _Columns(data)
    blanked: set = set()
    for _ in range(100):
        errors = _error_nodes(tree)
        if not errors:
            break
        rows = set()
        errors.sort(key=lambda n: (n.is_missing, n.start_byte))
        for node in errors:
            row = node.start_point[0]
            if node.is_missing or (node.end_point[0] > row and node.start_point[1] >= len(data.split(b"\n")[row])):
                # a missing token is reported where the parser gave up: blame the statement's line
                row = _statement_row(node)
            if row in blanked:
                row = min(node.end_point[0], len(src.lines) - 1)
                if row in blanked:
                    continue
            if row not in rows and not any(e[0] == row for e in src.syntax_errors):
                if node.start_point[0] == row:
                    _note_syntax_error(src, node, row, cols.col(*node.start_point), data)
                else:
                    text = src.source_line(row)
                    src.syntax_errors.append((row, len(text) - len(text.lstrip()), "syntax error: unfinished statement"))
            rows.add(row)
        rows -= blanked
        if not rows:
            break
        lines = data.split(b"\n")
        for row in rows:
            if row < len(lines):
                lines[row] = b" " * len(lines[row])
        blanked |= rows
        data = b"\n".join(lines)
        tree = parser.parse(data)
    for row in sorted(blanked):
        if not any(e[0] == row for e in src.syntax_errors):
            src.syntax_errors.append((row, 0, "statement skipped because of the syntax error above"))
    src.syntax_errors.sort()
    return data, tree


def _statement_row(node) -> int:
    while node.parent is not None and node.parent.type not in ("source_file", "block"):
        node = node.parent
    return node.start_point[0]


def _convert(root, data: bytes, cols: _Columns, src: SourceFile) -> Node:
    """Copy the tree-sitter tree into Node objects; ERROR regions become ``error`` nodes."""

    def conv(ts_node) -> Node:
        row, bcol = ts_node.start_point
        t = ts_node.type
        if ts_node.is_error or t == "ERROR" or ts_node.is_missing:
            n = Node("error", row, cols.col(row, bcol), src)
            n.end_line = ts_node.end_point[0]
            n.v = data[ts_node.start_byte:ts_node.end_byte].decode("utf-8", "replace")
            if ts_node.is_missing:
                n.v = f"missing {t}"
            _note_syntax_error(src, ts_node, row, cols.col(row, bcol), data)
            return n
        n = Node(t, row, cols.col(row, bcol), src)
        n.end_line = ts_node.end_point[0]
        if t in ("number", "identifier", "command_name", "command_argument", "string_content",
                 "escape_sequence", "formatting_sequence", "end_keyword", "spread_operator",
                 "ignored_argument", "attribute") or ts_node.child_count == 0:
            n.v = data[ts_node.start_byte:ts_node.end_byte].decode("utf-8", "replace")
            if t not in ("attribute",):
                return n
        if t == "string":
            n.v = data[ts_node.start_byte:ts_node.end_byte].decode("utf-8", "replace")
            return n
        pending_name = None
        for child, fname in _children_with_fields(ts_node):
            if not child.is_named and not (child.is_error or child.is_missing):
                if child.type == ";" and n.kids and t in ("source_file", "block"):
                    n.kids[-1].quiet = True
                    continue
                if t in _OPERATOR_NODES and n.v is None and child.type not in ("(", ")"):
                    n.v = child.type
                elif t == "arguments" and child.type == "=" and n.kids:
                    pending_name = n.kids[-1]
                elif t == "function_call" and child.type == "{":
                    n.v = "{}"
                continue
            if child.type in _SKIP:
                continue
            c = conv(child)
            if pending_name is not None:
                # Name=Value inside a call: mark the name node
                pending_name.extra = "name_value"
                pending_name = None
            n.kids.append(c)
            if fname:
                if fname in ("argument", "field", "arguments"):
                    n.f.setdefault(fname, []).append(c)
                else:
                    n.f[fname] = c
        if t == "lambda":
            n.v = " ".join(data[ts_node.start_byte:ts_node.end_byte].decode("utf-8", "replace").split())
        return n

    return conv(root)


def _children_with_fields(ts_node) -> list:
    """(child, field name) pairs in one pass of a tree cursor (field_name_for_child(i) walks from the first
    child each time, which made a row of 50,000 elements quadratic)."""
    out = []
    cursor = ts_node.walk()
    if cursor.goto_first_child():
        while True:
            out.append((cursor.node, cursor.field_name))
            if not cursor.goto_next_sibling():
                break
    return out


_BLOCK_KEYWORDS = frozenset({"for", "parfor", "while", "if", "switch", "try", "function", "classdef", "methods",
                             "properties", "events", "enumeration", "arguments", "spmd"})
_CLOSE = {")": "(", "]": "[", "}": "{"}


def _bracket_errors(tree, cols) -> list:
    """Unbalanced brackets and blocks, found on the parser's tokens (strings and comments are single tokens):
    (line, col, message, last_row), located at the opening bracket or keyword ("missing ')'", "unclosed '['",
    "missing 'end'") or at a closer without an opener ("unexpected ')'")."""
    found = []
    stack = []      # (token, line, col)
    leaves = []
    todo = [tree.root_node]
    while todo:
        n = todo.pop()
        if n.child_count == 0:
            if not n.is_missing:
                leaves.append(n)
        else:
            todo.extend(reversed(n.children))

    def open_message(tok):
        if tok == "(":
            return "missing ')'"
        if tok in ("[", "{"):
            return f"unclosed '{tok}'"
        return "missing 'end'"

    for leaf in leaves:
        t = leaf.type
        row, bcol = leaf.start_point
        col = cols.col(row, bcol)
        in_brackets = bool(stack) and stack[-1][0] in ("(", "[", "{")
        if t in ("(", "[", "{"):
            stack.append((t, row, col))
        elif t in _CLOSE:
            want = _CLOSE[t]
            if not any(s[0] == want for s in stack):
                found.append((row, col, f"unexpected '{t}'", row))
                continue
            while stack and stack[-1][0] != want:
                tok, r, c = stack.pop()
                found.append((r, c, open_message(tok), row))
            stack.pop()
        elif t in _BLOCK_KEYWORDS and not in_brackets:
            if t == "function":
                # a function without 'end' ends at the next 'function'
                while stack and stack[-1][0] not in ("function", "classdef", "methods"):
                    tok, r, c = stack.pop()
                    found.append((r, c, open_message(tok), row))
                if stack and stack[-1][0] == "function":
                    stack.pop()
            stack.append((t, row, col))
        elif (t == "end" or (t.startswith("end") and t.isalpha() and t != "end")) and not in_brackets:
            while stack and stack[-1][0] in ("(", "[", "{"):
                tok, r, c = stack.pop()
                found.append((r, c, open_message(tok), row))
            if not stack:
                found.append((row, col, "unexpected 'end'", row))
            else:
                stack.pop()
    last = leaves[-1].start_point[0] if leaves else 0
    for tok, r, c in stack:
        if tok == "function" and all(s[0] in ("function",) for s in stack):
            continue    # functions without 'end' (all of them) are MATLAB
        found.append((r, c, open_message(tok), last))
    return sorted(found)


def _syntax_report(src: SourceFile, brackets: list) -> list:
    """Each syntax error once: bracket/block problems first (at the opening bracket or keyword), then the
    parser's errors on lines those do not cover."""
    out = [(r, c, f"syntax error: {m}") for r, c, m, _ in brackets]
    spans = [(r, last) for r, _, _, last in brackets]
    for row, col, msg in src.syntax_errors:
        if msg.startswith("statement skipped"):
            continue
        if any(a <= row <= b for a, b in spans):
            continue
        out.append((row, col, msg))
    return sorted(set(out))


def _note_syntax_error(src: SourceFile, ts_node, row, col, data) -> None:
    if ts_node.is_missing:
        msg = f"syntax error: missing '{ts_node.type}'"
    else:
        snippet = data[ts_node.start_byte:ts_node.end_byte].decode("utf-8", "replace").strip().split("\n")[0]
        msg = f"syntax error near '{snippet[:30]}'" if snippet else "syntax error"
        if snippet in ("'", '"'):
            msg = f"syntax error: unterminated text (missing closing {snippet})"
    src.syntax_errors.append((row, col, msg))


def read_file(path: str) -> SourceFile:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise MatlabPortError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    text, enc = decode_source(data)
    return parse_source(text, path, enc)


__all__ = ["Node", "SourceFile", "decode_source", "parse_source", "read_file", "format_error"]
