"""MATLAB's text formatting and text files: ``sprintf``, ``fprintf``, ``num2str``, ``mat2str``, ``int2str``,
``disp``, ``display``, ``format``, ``fopen``/``fclose``/``fgetl``/``fgets``/``feof``/``frewind``.

Plain Python functions over MATLAB runtime values (see :mod:`layergraph.matlab.values`), registered in the
one registry (``base=True``) so the interpreter and translated programs share them.

``sprintf`` follows MATLAB's rules: the arguments are flattened column-major into one stream and the
format is reused until the stream is used up; output stops at the first conversion that has no data;
a ``%d`` (``%i``, ``%u``, ``%x``, ``%o``, ``%c``) given a non-integer switches to ``%e``; ``%s`` given a
number prints the character with that code (or ``%e`` for a non-integer); ``%d`` given text prints the
character codes; escapes (``\\n``, ``\\t``, ``\\\\``, ``%%``...) are interpreted in the format only.
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys

import numpy as np

from ..errors import LayerGraphError, MatlabRuntimeError
from ..functions import matlab_function
from ..policy import check_read, check_write
from . import display as _display
from .values import Cell, MString, StrArr, num

def _error(identifier: str, message: str) -> MatlabRuntimeError:
    return MatlabRuntimeError(message, identifier=identifier)


# ---- the format string ------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)", re.S)


def unescape(fmt: str) -> str:
    """MATLAB's escape sequences in a format: ``\\n \\t \\\\ \\r \\a \\b \\f \\v \\xHH \\NNN`` (octal)."""
    def repl(m):
        s = m.group(1)
        if s in _ESCAPES:
            return _ESCAPES[s]
        if s[0] == "x" and len(s) > 1:
            return chr(int(s[1:], 16))
        if s[0] in "01234567":
            return chr(int(s, 8))
        return s
    return _ESCAPE.sub(repl, fmt)


_SPEC = re.compile(r"%(?:(\d+)\$)?([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([lh]?)([diouxXfeEgGcs%])")


class _Item:
    """One value of the argument stream: a number, or text (a char row consumed whole by ``%s``)."""

    __slots__ = ("text", "number")

    def __init__(self, text=None, number=None):
        self.text = text
        self.number = number


def _stream(args) -> list:
    items: list = []
    for a in args:
        if isinstance(a, str):
            items.append(_Item(text=str(a)))
        elif isinstance(a, StrArr):
            items.extend(_Item(text="" if s is None else str(s)) for s in a.a.reshape(-1, order="F"))
        elif isinstance(a, Cell):
            raise _error("MATLAB:sprintf:InvalidInputType",
                         "Function is not defined for 'cell' inputs.")
        elif isinstance(a, (bool, np.bool_, int, float, complex, np.number)):
            items.append(_Item(number=a))
        elif isinstance(a, np.ndarray):
            if a.size == 1 and a.dtype.kind in "biuf":
                items.append(_Item(number=a.item()))
                continue
            if a.dtype.kind == "U":   # char matrix: column-major characters
                items.append(_Item(text="".join(a.reshape(-1, order="F"))))
                continue
            if a.dtype == object:
                raise _error("MATLAB:sprintf:InvalidInputType", "Function is not defined for 'cell' inputs.")
            flat = a.reshape(-1, order="F")
            if np.iscomplexobj(flat):
                flat = np.real(flat)   # MATLAB formats the real parts (and warns)
            items.extend(_Item(number=x) for x in flat.tolist())
        else:
            from .display import class_name
            raise _error("MATLAB:sprintf:InvalidInputType",
                         f"Function is not defined for '{class_name(a)}' inputs.")
    return items


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return None


MAX_FIELD = 100_000_000   # characters one conversion may produce (a hostile '%1000000000d' is refused)


def _check_field(width, prec) -> None:
    for field in (width, prec):
        if field is not None and field != "*" and int(field) > MAX_FIELD:
            raise _error("MATLAB:sprintf:FieldTooWide",
                         f"sprintf field width: the array would have {int(field)} elements; the porter allocates at "
                         f"most {MAX_FIELD} elements per array")


def _pad(text: str, flags: str, width) -> str:
    if not width:
        return text
    w = int(width)
    return text.ljust(w) if "-" in flags else text.rjust(w)


def _format_number(x, flags: str, width, prec, conv: str) -> str:
    """One number under one conversion, with MATLAB's fallbacks."""
    if isinstance(x, (bool, np.bool_)):
        x = int(x)
    integral = isinstance(x, (int, np.integer))
    xf = float(x)
    special = _special(xf)
    w = width or ""
    p = f".{prec}" if prec is not None else ""
    if conv in "diuoxXc":
        if special is not None:
            return _pad(special, flags.replace("0", ""), width)
        if not integral and xf != int(xf):
            # MATLAB: a non-integer under an integer conversion is printed with %e (%f for ... never)
            return ("%" + flags + w + p + "e") % xf
        value = int(x) if integral else int(xf)
        if conv == "c":
            return _pad(chr(value), flags, width)
        if conv in "oxX" and value < 0:
            return ("%" + flags + w + p + "e") % xf
        c = "d" if conv in "iu" else conv
        return ("%" + flags + w + p + c) % value
    if conv == "s":
        if special is not None:
            return _pad(special, flags, width)
        if integral or xf == int(xf):
            text = chr(int(xf)) if 0 <= xf < 0x110000 else str(int(xf))
            if prec is not None:
                text = text[:int(prec)]
            return _pad(text, flags, width)
        return ("%" + flags + w + p + "e") % xf
    if special is not None:
        return _pad(special, flags.replace("0", ""), width)
    return ("%" + flags + w + p + conv) % xf


def _format_text(s: str, flags: str, width, prec, conv: str) -> str:
    if prec is not None:
        s = s[:int(prec)]
    return _pad(s, flags, width)


@functools.lru_cache(maxsize=512)
def _compile(fmt: str):
    """A format parsed once: (pieces, no-data text). Pieces are literal text (str) or conversions
    (flags, width, precision, conversion); ``%%`` is already literal."""
    text = unescape(fmt)
    pieces: list = []
    literal: list[str] = []
    pos = 0
    for m in _SPEC.finditer(text):
        literal.append(text[pos:m.start()])
        pos = m.end()
        if m.group(6) == "%":
            literal.append("%")
            continue
        flags, width, prec, conv = m.group(2), m.group(3), m.group(4), m.group(6)
        _check_field(width, prec)
        pieces.append("".join(literal))
        literal = []
        pieces.append((flags, width, prec, conv))
    literal.append(text[pos:])
    pieces.append("".join(literal))
    no_data = "".join(p for p in pieces if isinstance(p, str))
    return tuple(pieces), no_data


def format_text(fmt: str, args) -> str:
    """``sprintf(fmt, args...)`` as text (escapes in ``fmt`` interpreted)."""
    pieces, no_data = _compile(str(fmt))
    items = _stream(args)
    if not items or len(pieces) == 1:
        # no data: every conversion prints nothing (and a format without conversions prints once)
        return no_data
    out: list[str] = []
    pos_item = 0
    partial = None    # the rest of a text item being consumed character by character
    count = len(items)

    def next_item():
        nonlocal pos_item, partial
        if partial is not None:
            item = partial
            partial = None
            return item
        if pos_item >= count:
            return None
        item = items[pos_item]
        pos_item += 1
        return item

    def next_number():
        """An item consumed as a number: text gives its characters' codes one at a time."""
        nonlocal partial
        item = next_item()
        if item is None:
            return None
        if item.text is not None:
            if not item.text:
                return next_number()
            if len(item.text) > 1:
                partial = _Item(text=item.text[1:])
            return ord(item.text[0])
        return item.number

    while True:
        stopped = False
        for piece in pieces:
            if piece.__class__ is str:
                out.append(piece)
                continue
            flags, width, prec, conv = piece
            if partial is None and pos_item >= count:
                stopped = True
                break
            if width == "*":
                n = next_number()
                width = str(int(n)) if n is not None else None
                if width and width.startswith("-"):
                    flags += "-"
                    width = width[1:]
                _check_field(width, None)
            if prec == "*":
                n = next_number()
                prec = str(int(n)) if n is not None else None
                _check_field(None, prec)
            if partial is None and pos_item >= count:
                stopped = True
                break
            if conv == "s":
                item = next_item()
                if item.text is not None:
                    out.append(_format_text(item.text, flags, width, prec, conv))
                else:
                    out.append(_format_number(item.number, flags, width, prec, conv))
            elif conv == "c":
                item = next_item()
                if item.text is not None:
                    out.append(_pad(item.text[0], flags, width) if item.text else "")
                    if len(item.text) > 1:
                        partial = _Item(text=item.text[1:])
                else:
                    out.append(_format_number(item.number, flags, width, prec, conv))
            else:
                out.append(_format_number(next_number(), flags, width, prec, conv))
        if stopped or (partial is None and pos_item >= count):
            break
    return "".join(out)


# ---- sprintf / fprintf / disp / display / format ----------------------------------------------------------


def _format_arg(fmt, function: str) -> str:
    if isinstance(fmt, StrArr) and fmt.a.size == 1:
        fmt = fmt.a.flat[0]
    if isinstance(fmt, np.ndarray) and fmt.dtype.kind == "U":
        fmt = "".join(fmt.reshape(-1, order="F"))
    if not isinstance(fmt, str):
        raise _error(f"MATLAB:{function}:InvalidFormat" if function != "sprintf" else "MATLAB:sprintf:InvalidFormat",
                     "Format must be a character vector or string scalar." if function == "sprintf"
                     else f"{function}: the format must be a character vector or string scalar")
    return fmt


@matlab_function("sprintf", outputs=("str",), base=True)
def sprintf(fmt, *args):
    """``str = sprintf(formatSpec, A1, ..., An)``: char when the format is char, string when it is a string."""
    text = format_text(_format_arg(fmt, "sprintf"), args)
    return MString(text) if isinstance(fmt, (MString, StrArr)) else text


# Open files: MATLAB file identifiers 3, 4, ... (0 stdin, 1 stdout, 2 stderr).
_FILES: dict[int, dict] = {}


def _stdout():
    return sys.stdout


def _file_for(fid, function: str):
    n = _fid(fid, function)
    if n == 1:
        return None, _stdout()
    if n == 2:
        return None, sys.stderr
    entry = _FILES.get(n)
    if entry is None:
        raise _error("MATLAB:FileIO:InvalidFid", "Invalid file identifier. Use fopen to generate a valid file "
                                                 "identifier.")
    return entry, entry["file"]


def _fid(fid, function: str) -> int:
    try:
        a = np.asarray(fid, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        a = np.zeros(0)
    if a.size != 1 or not float(a[0]).is_integer():
        raise _error("MATLAB:FileIO:InvalidFid", "Invalid file identifier. Use fopen to generate a valid file "
                                                 "identifier.")
    return int(a[0])


def _is_fid(v) -> bool:
    return (isinstance(v, (int, float, np.number)) and not isinstance(v, bool)) or (
        isinstance(v, np.ndarray) and v.size == 1 and v.dtype.kind in "iuf")


@matlab_function("fprintf", outputs=("nbytes",), base=True, nargout_aware=True)
def fprintf(*args, nargout: int = 0):
    """``fprintf(formatSpec, A...)`` to the Command Window, ``fprintf(fileID, formatSpec, A...)`` to a file
    from ``fopen`` (1 standard output, 2 standard error); returns the number of bytes with ``nargout=1``."""
    if not args:
        raise _error("MATLAB:minrhs", "Not enough input arguments.")
    stream = _stdout()
    entry = None
    if _is_fid(args[0]) and (len(args) >= 2 or not isinstance(args[0], str)):
        entry, stream = _file_for(args[0], "fprintf")
        args = args[1:]
        if not args:
            return num(0) if nargout else None
    text = format_text(_format_arg(args[0], "fprintf"), args[1:])
    if entry is not None:
        if "b" in entry["mode"]:
            data = text.encode(entry["encoding"], errors="replace")
            stream.write(data)
            count = len(data)
        else:
            stream.write(text)
            count = len(text.encode(entry["encoding"], errors="replace"))
    else:
        stream.write(text)
        stream.flush()
        count = len(text.encode("utf-8", errors="replace"))
    return num(count) if nargout else None


@matlab_function("disp", outputs=(), base=True)
def disp(X):
    """``disp(X)``: X without its name (nothing for ``[]``)."""
    _display.disp(X)


@matlab_function("display", outputs=(), base=True)
def display(X, name: str | None = None):
    """``display(X)``: X shown with its name as an unterminated statement shows it (the interpreter passes
    the variable's name, as MATLAB's inputname; ``ans`` otherwise)."""
    _display.display(X, name)


@matlab_function("format", outputs=(), base=True)
def format(*style):   # noqa: A001 - MATLAB's name
    """``format``, ``format long``, ``format('shortG')``, ``format compact``: the Command Window's display
    format, kept for the rest of the run."""
    words = []
    for s in style:
        if isinstance(s, StrArr) and s.a.size == 1:
            s = s.a.flat[0]
        if not isinstance(s, str):
            raise _error("MATLAB:format:InvalidInput", "format: the style must be text such as 'long' or 'compact'")
        words.append(str(s))
    try:
        _display.set_format(*words)
    except LayerGraphError as exc:
        raise _error("MATLAB:format:UnknownFormat", str(exc)) from None


# ---- num2str / int2str / mat2str ---------------------------------------------------------------------------


def _num_array(v, function: str) -> np.ndarray:
    if isinstance(v, (bool, np.bool_, int, float, complex, np.number)):
        return np.array([[v]])
    if isinstance(v, np.ndarray) and v.dtype.kind in "biufc":
        return v if v.ndim >= 2 else v.reshape(1, -1)
    from .display import class_name
    raise _error(f"MATLAB:{function}:InvalidInput" if function != "num2str" else "MATLAB:num2str:nonNumericInput",
                 f"{function}: the input must be numeric or logical, not {class_name(v)}")


def _char_rows(rows: list[str]):
    """A char row (one row) or a char matrix (several rows, padded to equal length) as the runtime keeps it."""
    if len(rows) == 1:
        return rows[0]
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return np.zeros((len(rows), 0), dtype="<U1")
    return np.array([list(r.ljust(width)) for r in rows], dtype="<U1")


def _trim_common(rows: list[str]) -> list[str]:
    """Remove the blank columns at the left and right that every row shares (MATLAB's num2str does)."""
    if not rows:
        return rows
    width = max(len(r) for r in rows)
    rows = [r.ljust(width) for r in rows]
    lead = min((len(r) - len(r.lstrip(" ")) for r in rows if r.strip()), default=0)
    rows = [r[lead:] for r in rows]
    end = max((len(r.rstrip(" ")) for r in rows), default=0)
    return [r[:end] for r in rows]


def _significant(x: float) -> int:
    """num2str's default significant digits for a non-integer: max(floor(log10(|x|)) + 5, 5), at most 16."""
    if x == 0 or not math.isfinite(x):
        return 5
    return min(max(int(math.floor(math.log10(abs(x)))) + 5, 5), 16)


def _g(x: float, digits: int) -> str:
    special = _special(x)
    if special:
        return special
    return f"{x:.{digits}g}"


def _int_text(x) -> str:
    return _special(float(x)) or str(int(x))


def _is_integer_array(a: np.ndarray) -> bool:
    if a.dtype.kind in "biu":
        return True
    f = a[np.isfinite(a)]
    return bool(np.all(f == np.round(f)))


@matlab_function("num2str", outputs=("s",), base=True)
def num2str(A, precision_or_format=None):
    """``s = num2str(A)``, ``num2str(A, precision)``, ``num2str(A, formatSpec)``.

    Integers print as ``%d``; a non-integer scalar with ``max(floor(log10(|x|)) + 5, 5)`` significant digits
    (``num2str(pi)`` is ``3.1416``); matrix columns are two blanks apart for integers and ``%(p+7).pg`` wide
    otherwise, with the blank columns every row shares removed; a matrix gives a char matrix.
    """
    if isinstance(A, str) or (isinstance(A, np.ndarray) and A.dtype.kind == "U"):
        return A
    if isinstance(A, StrArr) or isinstance(A, MString):
        raise _error("MATLAB:num2str:nonNumericInput", "num2str: the input must be numeric, logical or char, not "
                                                       "string")
    a = _num_array(A, "num2str")
    if a.ndim > 2:
        a = a.reshape(a.shape[0], -1, order="F")
    if np.iscomplexobj(a):
        return _complex_num2str(a, precision_or_format)
    if a.size == 0:
        return ""
    rows, cols = a.shape
    arg = precision_or_format
    if isinstance(arg, StrArr) and arg.a.size == 1:
        arg = arg.a.flat[0]
    if isinstance(arg, str):
        fmt = str(arg)
        texts = [format_text(fmt, [a[i, :]]) for i in range(rows)]
        return _char_rows(_trim_common(texts))   # num2str trims leading blanks even from formatSpec
    if arg is not None:
        digits = int(np.asarray(arg, dtype=np.float64).reshape(-1)[0])
        if a.size == 1:
            x = a.flat[0]
            return _int_text(x) if a.dtype.kind in "biu" else _g(float(x), digits)
        width = digits + 7
        texts = ["".join(_g(float(x), digits).rjust(width) for x in a[i, :]) for i in range(rows)]
        return _char_rows(_trim_common(texts))
    if _is_integer_array(a):
        texts_grid = [[_int_text(x) for x in a[i, :]] for i in range(rows)]
        if a.size == 1:
            return texts_grid[0][0]
        width = max(len(t) for r in texts_grid for t in r) + 2
        texts = ["".join(t.rjust(width) for t in r) for r in texts_grid]
        return _char_rows(_trim_common(texts))
    f = np.abs(a[np.isfinite(a)].astype(np.float64))
    maxabs = float(f.max()) if f.size else 0.0
    if a.size == 1:
        return _g(float(a.flat[0]), _significant(float(a.flat[0])))
    digits = _significant(maxabs)
    width = digits + 7
    texts = ["".join(_g(float(x), digits).rjust(width) for x in a[i, :]) for i in range(rows)]
    return _char_rows(_trim_common(texts))


def _complex_num2str(a: np.ndarray, arg):
    def one(z: complex) -> str:
        re_t = num2str(np.array([[z.real]]), arg)
        im = z.imag
        im_t = num2str(np.array([[abs(im)]]), arg)
        sign = "-" if im < 0 or (im == 0 and math.copysign(1, im) < 0) else "+"
        return f"{re_t}{sign}{im_t}i"
    rows = ["  ".join(one(complex(z)) for z in a[i, :]) for i in range(a.shape[0])]
    return _char_rows(rows)


@matlab_function("int2str", outputs=("chr",), base=True)
def int2str(N):
    """``chr = int2str(N)``: N rounded (halves away from zero) and printed as integers."""
    if isinstance(N, str) or (isinstance(N, np.ndarray) and N.dtype.kind == "U"):
        text = N if isinstance(N, str) else "".join(N.reshape(-1))
        N = np.array([[ord(c) for c in text]], dtype=np.float64)
    a = _num_array(N, "int2str")
    if a.dtype.kind == "f":
        a = np.where(np.isfinite(a), np.sign(a) * np.floor(np.abs(a) + 0.5), a)
    elif a.dtype.kind == "c":
        a = np.real(a)
        a = np.where(np.isfinite(a), np.sign(a) * np.floor(np.abs(a) + 0.5), a)
    return num2str(a)


def _mat2str_number(x, digits: int, cls: str) -> str:
    if cls == "logical":
        return "true" if x else "false"
    if isinstance(x, (complex, np.complexfloating)):
        re_t = _mat2str_number(float(np.real(x)), digits, "double")
        im = float(np.imag(x))
        im_t = _mat2str_number(abs(im), digits, "double")
        sign = "-" if im < 0 or (im == 0 and math.copysign(1, im) < 0) else "+"
        return f"{re_t}{sign}{im_t}i"
    if cls not in ("double", "single"):
        return str(int(x))
    xf = float(x)
    special = _special(xf)
    if special:
        return special
    if xf == int(xf) and abs(xf) < 1e15:
        return str(int(xf))
    return f"{xf:.{digits}g}"


@matlab_function("mat2str", outputs=("chr",), base=True)
def mat2str(A, *options):
    """``chr = mat2str(A)``, ``mat2str(A, n)`` (n significant digits, 15 by default), ``mat2str(A, 'class')``:
    MATLAB syntax text of a 2-D numeric, logical or char array (``[1 2;3 4]``, ``'abc'``, ``[true false]``)."""
    digits = 15
    with_class = False
    for opt in options:
        if isinstance(opt, StrArr) and opt.a.size == 1:
            opt = opt.a.flat[0]
        if isinstance(opt, str):
            if opt.lower() != "class":
                raise _error("MATLAB:mat2str:InvalidOptionString", "Invalid option string.")
            with_class = True
        else:
            digits = int(np.asarray(opt, dtype=np.float64).reshape(-1)[0])
    from .display import class_name

    if isinstance(A, MString) or isinstance(A, StrArr):
        items = [A] if isinstance(A, MString) else list(A.a.reshape(-1))
        texts = ['"' + str(s).replace('"', '""') + '"' for s in items]
        if len(texts) == 1:
            return texts[0]
        shape = A.a.shape
        rows = [" ".join(texts[j * shape[0] + i] for j in range(shape[1])) for i in range(shape[0])]
        return "[" + ";".join(rows) + "]"
    if isinstance(A, str) or (isinstance(A, np.ndarray) and A.dtype.kind == "U"):
        rows = [A] if isinstance(A, str) else ["".join(r) for r in A]
        quoted = ["'" + r.replace("'", "''") + "'" for r in rows]
        return quoted[0] if len(quoted) == 1 else "[" + ";".join(quoted) + "]"
    a = _num_array(A, "mat2str")
    if a.ndim > 2:
        raise _error("MATLAB:mat2str:TwoDInput", "Input matrix must be 2-D.")
    cls = class_name(a)
    rows, cols = a.shape
    if a.size == 0:
        text = f"zeros({rows},{cols})"
        if cls == "logical":
            text = f"false({rows},{cols})"
        elif with_class and cls != "double":
            text = f"zeros({rows},{cols},'{cls}')"
        return text
    body = ";".join(" ".join(_mat2str_number(a[i, j], digits, cls) for j in range(cols)) for i in range(rows))
    text = body if a.size == 1 else "[" + body + "]"
    if with_class and cls not in ("double", "logical"):
        text = f"{cls}({text})"
    return text


# ---- files ------------------------------------------------------------------------------------------------

_MODES = {"r": "r", "w": "w", "a": "a", "r+": "r+", "w+": "w+", "a+": "a+", "rt": "r", "wt": "w", "at": "a",
          "r+t": "r+", "w+t": "w+", "a+t": "a+", "rb": "rb", "wb": "wb", "ab": "ab", "r+b": "r+b", "w+b": "w+b",
          "a+b": "a+b"}


@matlab_function("fopen", outputs=("fileID", "errmsg"), base=True, nargout_aware=True)
def fopen(filename, permission="r", *rest, nargout: int = 1):
    """``fileID = fopen(filename, permission)``: 3, 4, ... or -1 when the file cannot be opened (with the
    reason as a second output). Reading and writing follow the file policy (``check_read``/``check_write``).
    ``fopen('all')`` lists the open identifiers; ``[name, permission] = fopen(fid)`` describes one."""
    if _is_fid(filename):
        n = _fid(filename, "fopen")
        entry = _FILES.get(n)
        if entry is None:
            result = ("", "")
        else:
            result = (entry["name"], entry["permission"])
        return result if nargout > 1 else result[0]
    if isinstance(filename, StrArr) and filename.a.size == 1:
        filename = filename.a.flat[0]
    if isinstance(permission, StrArr) and permission.a.size == 1:
        permission = permission.a.flat[0]
    if not isinstance(filename, str):
        raise _error("MATLAB:fopen:InvalidInput", "fopen: the file name must be text")
    if filename == "all":
        ids = np.array([sorted(_FILES)], dtype=np.float64).reshape(1, -1) if _FILES else np.zeros((1, 0))
        return ids
    perm = str(permission)
    mode = _MODES.get(perm)
    if mode is None:
        raise _error("MATLAB:fopen:InvalidPermission", f"Invalid permission: '{perm}'.")
    encoding = "utf-8"
    for i in range(0, len(rest) - 1, 1):
        if isinstance(rest[i], str) and i + 1 < len(rest) and isinstance(rest[i + 1], str):
            encoding = str(rest[i + 1])
    if len(rest) >= 2 and isinstance(rest[1], str):
        encoding = str(rest[1])
    writing = mode[0] in "wa" or "+" in mode
    path = check_write(filename, "fopen") if writing else check_read(filename, "fopen")
    try:
        if "b" in mode:
            f = open(path, mode)   # noqa: SIM115 - kept open until fclose
        else:
            f = open(path, mode, encoding=encoding, newline="")   # noqa: SIM115
    except OSError as exc:
        message = exc.strerror or str(exc)
        return (num(-1), message) if nargout > 1 else num(-1)
    n = 3
    while n in _FILES:
        n += 1
    _FILES[n] = {"file": f, "name": os.fspath(filename), "permission": perm, "mode": mode, "encoding": encoding}
    return (num(n), "") if nargout > 1 else num(n)


@matlab_function("fclose", outputs=("status",), base=True)
def fclose(fileID):
    """``fclose(fileID)`` / ``fclose('all')``: 0 on success."""
    if isinstance(fileID, str) and fileID == "all":
        for n in list(_FILES):
            _FILES.pop(n)["file"].close()
        return num(0)
    n = _fid(fileID, "fclose")
    entry = _FILES.pop(n, None)
    if entry is None:
        raise _error("MATLAB:FileIO:InvalidFid", "Invalid file identifier. Use fopen to generate a valid file "
                                                 "identifier.")
    entry["file"].close()
    return num(0)


def _read_line(fileID, keep_newline: bool):
    entry, f = _file_for(fileID, "fgetl")
    if entry is None:
        raise _error("MATLAB:FileIO:InvalidFid", "Invalid file identifier. Use fopen to generate a valid file "
                                                 "identifier.")
    line = f.readline()
    if isinstance(line, bytes):
        line = line.decode(entry["encoding"], errors="replace")
    if line == "":
        return num(-1)
    if keep_newline:
        return line
    return line.rstrip("\n").rstrip("\r") if line.endswith("\n") else line


@matlab_function("fgetl", outputs=("tline",), base=True)
def fgetl(fileID):
    """``tline = fgetl(fileID)``: the next line without its newline, or -1 at the end of the file."""
    return _read_line(fileID, keep_newline=False)


@matlab_function("fgets", outputs=("tline",), base=True)
def fgets(fileID):
    """``tline = fgets(fileID)``: the next line with its newline, or -1 at the end of the file."""
    return _read_line(fileID, keep_newline=True)


@matlab_function("feof", outputs=("status",), base=True)
def feof(fileID):
    """``status = feof(fileID)``: true once every character has been read."""
    entry, f = _file_for(fileID, "feof")
    if entry is None:
        return np.array([[False]])
    pos = f.tell()
    chunk = f.read(1)
    if chunk:
        f.seek(pos)
    return np.array([[not chunk]])


@matlab_function("frewind", outputs=(), base=True)
def frewind(fileID):
    """``frewind(fileID)``: back to the start of the file."""
    entry, f = _file_for(fileID, "frewind")
    if entry is not None:
        f.seek(0)


def close_all_files() -> None:
    """Close every file MATLAB code opened (the runtime calls this when a run ends)."""
    for n in list(_FILES):
        try:
            _FILES.pop(n)["file"].close()
        except OSError:
            pass


__all__ = [
    "format_text", "unescape", "sprintf", "fprintf", "num2str", "int2str", "mat2str", "disp", "display",
    "format", "fopen", "fclose", "fgetl", "fgets", "feof", "frewind", "close_all_files",
]
