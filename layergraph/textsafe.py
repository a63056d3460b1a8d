"""Text from users (layer names, file names, option values) made safe to print on a terminal.

A layer name is any text in MATLAB, so it can hold an ESC (ANSI colour and cursor sequences), a
carriage return, a backspace or a bidirectional override — all ways to make a printed report or an
error message show something other than what is there ("terminal spoofing"). Everything layergraph
prints passes user text through :func:`printable` (names in reports, the layer-array display and the
training display) or :func:`printable_message` (whole error messages, which keep their own line breaks).
The names themselves are never changed: only what is shown.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, Unicode line/paragraph separators, bidi embeddings/overrides/isolates,
# zero-width and BOM characters that can hide or reorder text
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_UNSAFE_KEEP_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(match: re.Match) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text) -> str:
    """``text`` with every control, separator and bidi character shown as an escape (``\\e``, ``\\n``, ``\\x07``)."""
    text = str(text)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def printable_message(text) -> str:
    """Like :func:`printable` but keeps line breaks (for multi-line messages the project writes itself)."""
    text = str(text)
    return _UNSAFE_KEEP_NEWLINE.sub(_escape, text) if _UNSAFE_KEEP_NEWLINE.search(text) else text


__all__ = ["printable", "printable_message"]
