"""Reading and writing JSON network specs (and their safetensors weights).

Loading parses the JSON (line:column on syntax errors), checks it against the pydantic models generated
from the layer registry (JSON paths on errors), builds every layer through its own constructor with
keyword options (the same validation as Python), names unnamed layers as ``layerGraph`` does, adds the
chains and connections with the LayerGraph edit functions, refuses cycles and restores learnable and
state values from the weights file. Nothing in the file is ever executed.

Saving writes one canonical form: one layer object per line with ``type``, ``Name`` and the options
that differ from MATLAB's defaults; ``layers`` when the graph is one chain, ``chains`` otherwise, and
the connections that the chains do not make, in the graph's Connections order.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from pydantic import ValidationError

from ..errors import LayerGraphError
from ..graph import LayerGraph, addLayers, assign_names, connectLayers, layerGraph
from ..layers import REGISTRY
from ..layers.base import Layer, times_str
from ..layers.options import format_value
from .errors import SpecError, SpecFileError, spec_error
from .models import (
    FORMAT,
    VERSION,
    accepts_functions,
    decode_special,
    function_handle_name,
    network_model,
    spec_fields,
    weight_fields,
)

# one key: safetensors writes metadata in hash-map order, so several keys would make the bytes vary
WEIGHTS_METADATA = {"format": "layergraph-weights/1"}
TOP_KEYS = ("$schema", "format", "version", "layers", "chains", "connections", "weights", "custom_layers")

#: Builds a layer class from embedded MATLAB classdef text: ``fn(name, text, origin) -> Layer class``.
#: ``layergraph.matlab`` registers its restricted custom-layer translator here (the spec layer never
#: imports the MATLAB front end itself; see :func:`_classdef_translator`).
_CLASSDEF_TRANSLATORS: list = []


def register_classdef_translator(fn) -> None:
    """Let specs that embed a custom layer's classdef reopen: ``fn(name, text, origin)`` returns its class."""
    _CLASSDEF_TRANSLATORS[:] = [fn]


def _classdef_translator():
    if not _CLASSDEF_TRANSLATORS:
        import importlib

        importlib.import_module("layergraph.matlab.custom")   # the front end registers its translator
    return _CLASSDEF_TRANSLATORS[0]


def _embedded_classes(data, table: dict, file) -> dict:
    """Layer classes for the spec's ``custom_layers`` entries that the table does not have yet."""
    entries = data.get("custom_layers") if isinstance(data, dict) else None
    if entries is None:
        return table
    if not isinstance(entries, dict):
        raise spec_error(("custom_layers", f"expected an object {{name: {{\"classdef\": text}}}}, got {_show(entries)}"),
                         file=file)
    table = dict(table)
    for name, entry in entries.items():
        if not isinstance(entry, dict) or set(entry) != {"classdef"} or not isinstance(entry["classdef"], str):
            raise spec_error((f"custom_layers.{name}", "expected {\"classdef\": \"<the MATLAB classdef source>\"}"),
                             file=file)
        if name in table:
            continue
        try:
            table[name] = _classdef_translator()(name, entry["classdef"], str(file or "<spec>"))
        except LayerGraphError as exc:
            raise spec_error((f"custom_layers.{name}", f"the classdef does not translate: {exc}"), file=file) from None
    return table


# --------------------------------------------------------------------------------------------------
# Values <-> JSON


class Unencodable(Exception):
    """A property value that JSON cannot hold (a function handle, an arbitrary object)."""


def encode_value(value) -> Any:
    """A canonical layer property value as JSON data (tensors as nested lists in MATLAB layout)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
        return x
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, torch.Tensor):
        return encode_value(value.detach().cpu().to(torch.float64).tolist() if value.dim() else float(value))
    if isinstance(value, np.ndarray):
        return encode_value(value.tolist())
    raise Unencodable(type(value).__name__)


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and bool(torch.equal(a, b) or torch.allclose(a, b, rtol=0.0, atol=0.0, equal_nan=True))
        )
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # an exotic value whose == fails: treat as different
        return False


def _show(value, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)


# --------------------------------------------------------------------------------------------------
# Parsing


class _Object(dict):
    """A JSON object that remembers keys it saw twice."""

    duplicates: list


def _object_hook(pairs):
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


class _BadConstant(Exception):
    pass


def _bad_constant(name):
    raise _BadConstant(name)


class _BigInteger(Exception):
    pass


_MAX_INT_DIGITS = 4300    # Python's own limit for int(str); far beyond any size or count a spec holds


def _parse_int(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > _MAX_INT_DIGITS:
        raise _BigInteger(digits)
    return int(literal)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def parse_json(text: str, file: str | None = None):
    """JSON text as Python data; SpecError with line:column when it is not valid (strict) JSON."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, object_pairs_hook=_object_hook, parse_constant=_bad_constant, parse_int=_parse_int)
    except _BigInteger as exc:
        match = re.search(r"-?[0-9]{%d,}" % (_MAX_INT_DIGITS + 1), text)
        line, col = _line_col(text, match.start()) if match else (None, None)
        raise spec_error((None, f"malformed JSON: an integer with {exc.args[0]:,} digits (at most {_MAX_INT_DIGITS:,})"),
                         file=file, line=line, column=col) from None
    except json.JSONDecodeError as exc:
        raise spec_error((None, f"malformed JSON: {exc.msg}"), file=file, line=exc.lineno, column=exc.colno) from None
    except _BadConstant as exc:
        match = re.search(r"-?\b(NaN|Infinity)\b", text)
        line, col = _line_col(text, match.start()) if match else (None, None)
        raise spec_error(
            (None, f"malformed JSON: {exc.args[0]} is not JSON; write MATLAB's \"Inf\", \"-Inf\" or \"NaN\" as a string"),
            file=file, line=line, column=col,
        ) from None
    except RecursionError:
        raise spec_error((None, "malformed JSON: nested too deeply"), file=file) from None


_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")
_PATH_TOKEN = re.compile(r'\.?([A-Za-z_$][A-Za-z0-9_$]*)|\[([0-9]+)\]|\.?("(?:[^"\\]|\\.)*")')


def _skip_value(text: str, pos: int) -> int:
    """The index just after the JSON value starting at ``pos`` (text already known to be valid JSON)."""
    char = text[pos]
    if char == '"':
        return json.decoder.scanstring(text, pos + 1)[1]
    if char in "{[":
        depth = 0
        while True:
            char = text[pos]
            if char == '"':
                pos = json.decoder.scanstring(text, pos + 1)[1]
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
    match = _SCALAR.match(text, pos)
    return match.end() if match else pos + 1


def _path_parts(path: str) -> list | None:
    parts, pos = [], 0
    while pos < len(path):
        match = _PATH_TOKEN.match(path, pos)
        if not match or match.end() == pos:
            return None
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(int(match.group(2)))
        else:
            parts.append(json.loads(match.group(3)))
        pos = match.end()
    return parts


def locate(text: str, path: str | None) -> tuple[int, int] | None:
    """(line, column) of the value at a JSON path like ``layers[3].Padding`` in valid JSON text."""
    parts = _path_parts(path or "")
    if parts is None:
        return None
    try:
        pos = _WS.match(text, 1 if text.startswith("\ufeff") else 0).end()
        for part in parts:
            if text[pos] == "{" and isinstance(part, str):
                pos += 1
                while True:
                    pos = _WS.match(text, pos).end()
                    if text[pos] == "}":
                        return None
                    key, pos = json.decoder.scanstring(text, pos + 1)
                    pos = _WS.match(text, pos).end() + 1           # the colon
                    pos = _WS.match(text, pos).end()
                    if key == part:
                        break
                    pos = _WS.match(text, _skip_value(text, pos)).end()
                    if text[pos] == ",":
                        pos += 1
            elif text[pos] == "[" and isinstance(part, int):
                pos += 1
                for _ in range(part):
                    pos = _WS.match(text, pos).end()
                    if text[pos] == "]":
                        return None
                    pos = _WS.match(text, _skip_value(text, pos)).end()
                    if text[pos] == ",":
                        pos += 1
                pos = _WS.match(text, pos).end()
                if text[pos] == "]":
                    return None
            else:
                return None
    except (IndexError, ValueError):
        return None
    return _line_col(text, pos)


def locate_problems(text: str, problems: list) -> list | None:
    located = [locate(text, path) if path else None for path, _ in problems]
    return located if any(loc is not None for loc in located) else None


def _path_str(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            key = str(p)
            out += ("." if out else "") + (key if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key) else json.dumps(key))
    return out


def _find_duplicates(value, parts, problems) -> None:
    if isinstance(value, _Object):
        for key in value.duplicates:
            problems.append((_path_str(parts + [key]), f"duplicate key '{key}' in the same object"))
        for key, item in value.items():
            _find_duplicates(item, parts + [key], problems)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _find_duplicates(item, parts + [i], problems)


# --------------------------------------------------------------------------------------------------
# Registry and suggestions


def _suggest(name, candidates, n: int = 3, cutoff: float = 0.6) -> str:
    name = str(name)
    lower = [c for c in candidates if c.lower() in (name.lower(), name.lower() + "layer")]
    close = lower or difflib.get_close_matches(name, list(candidates), n=n, cutoff=cutoff)
    if not close:
        close = difflib.get_close_matches(name.lower(), [c.lower() for c in candidates], n=n, cutoff=cutoff)
        by_lower = {c.lower(): c for c in candidates}
        close = [by_lower[c] for c in close]
    if not close:
        return ""
    return " Did you mean " + ", ".join(f"'{c}'" for c in close) + "?"


def _registry(registry: Mapping | None, custom_layers: Mapping | None) -> dict:
    table = dict(REGISTRY if registry is None else registry)
    for name, cls in (custom_layers or {}).items():
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise SpecError(f"custom_layers['{name}'] is not a Layer class.")
        table[name] = cls
    return table


# --------------------------------------------------------------------------------------------------
# Validation errors from pydantic -> JSON-path messages


def _walk_loc(data, loc) -> tuple[list, Any, Any]:
    """Path parts for a pydantic ``loc`` (skipping union tags), the value there and its parent."""
    parts: list = []
    current = data
    parent = None
    for item in loc:
        if isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            parts.append(item)
            parent, current = current, current[item]
        elif isinstance(current, dict) and item in current:
            parts.append(item)
            parent, current = current, current[item]
        elif isinstance(current, dict) and current.get("type") == item:
            continue  # the discriminator's tag in the loc
        elif item == "schema_":
            parts.append("$schema")
        else:
            parts.append(item)
            parent, current = current, None
    return parts, current, parent


def _pydantic_problems(exc: ValidationError, data, registry: dict) -> list:
    problems = []
    seen = set()
    for err in exc.errors(include_url=False):
        kind = err["type"]
        parts, value, parent = _walk_loc(data, err["loc"])
        path = _path_str(parts)
        in_layer = isinstance(parent, dict) and isinstance(parent.get("type"), str) and parent.get("type") in registry
        if kind == "union_tag_invalid":
            tag = value.get("type") if isinstance(value, dict) else None
            msg = f"unknown layer type {_show(tag)}.{_suggest(tag, registry, cutoff=0.75)}"
            msg += " (Custom layers are found only when registered with layergraph.register or passed to load_spec as custom_layers.)"
            path = _path_str(parts + ["type"])
        elif kind == "union_tag_not_found":
            msg = "missing \"type\": each layer object needs the MATLAB constructor name, e.g. {\"type\": \"reluLayer\"}"
        elif kind == "extra_forbidden":
            key = parts[-1] if parts else "?"
            if in_layer:
                cls = registry[parent["type"]]
                if key in weight_fields(cls):
                    msg = (
                        f"'{key}' of {cls.MATLAB_NAME} is a learnable or state value; values are not written inline "
                        "but in the safetensors file named by \"weights\" (key '<layer>/" + str(key) + "')"
                    )
                else:
                    options = list(spec_fields(cls))
                    msg = f"'{key}' is not an option of {cls.MATLAB_NAME}.{_suggest(key, options, 1)}"
                    msg += " Valid options: " + ", ".join(options) + "."
            elif len(parts) == 1:
                msg = f"unknown key '{key}' in the network spec.{_suggest(key, TOP_KEYS, 1)}"
            else:
                msg = f"unknown key '{key}'"
        elif kind == "missing":
            key = parts[-1] if parts else "?"
            path = _path_str(parts[:-1])
            if in_layer or (isinstance(value, type(None)) and isinstance(parent, dict) and parent.get("type") in registry):
                cls = registry[parent["type"]]
                msg = f"missing required option '{key}' of {cls.MATLAB_NAME}. Syntax: {cls.SYNTAX or cls.MATLAB_NAME}"
            else:
                msg = f"missing required key '{key}'"
        elif kind == "value_error" and in_layer:
            cls = registry[parent["type"]]
            cause = err.get("ctx", {}).get("error")
            expected = str(cause) if cause is not None else err["msg"]
            msg = f"invalid value {_show(value)} for option '{parts[-1]}' of {cls.MATLAB_NAME}: {expected}"
        elif kind in ("model_type", "model_attributes_type", "dict_type") and len(parts) >= 1 and parts[0] in ("layers", "chains"):
            msg = f"expected a layer object like {{\"type\": \"reluLayer\"}}, got {_show(value)}"
        elif kind == "list_type" and parts[:1] == ["chains"] and len(parts) == 2:
            msg = f"expected a chain (an array of layer objects), got {_show(value)}"
        elif parts[:1] == ["connections"] and len(parts) >= 2:
            msg = f"expected a connection [\"source\", \"destination\"] of two strings, got {_show(value)}"
            path = _path_str(parts[:2])
            _, value, _ = _walk_loc(data, parts[:2])
            msg = f"expected a connection [\"source\", \"destination\"] of two strings, got {_show(value)}"
        elif parts[:1] == ["weights"]:
            msg = f"expected {{\"file\": \"net.safetensors\", \"sha256\": \"...\"}} (sha256 optional): {err['msg']}, got {_show(value)}"
        else:
            msg = f"{err['msg'][0].lower() + err['msg'][1:]}, got {_show(value)}"
        if (path, msg) not in seen:
            seen.add((path, msg))
            problems.append((path or None, msg))
    return problems


# --------------------------------------------------------------------------------------------------
# Loading


def _read_source(source, base_dir):
    """(text, display name, directory for relative weights paths)."""
    if isinstance(source, (bytes, bytearray)):
        try:
            return bytes(source).decode("utf-8"), None, Path(base_dir or ".")
        except UnicodeDecodeError as exc:
            raise spec_error((None, f"the spec is not UTF-8 text ({exc.reason} at byte {exc.start})"), cls=SpecFileError) from None
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return source, None, Path(base_dir or ".")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = str(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise spec_error((None, "no such file"), file=name, cls=SpecFileError) from None
        except IsADirectoryError:
            raise spec_error((None, "is a directory, not a spec file"), file=name, cls=SpecFileError) from None
        except OSError as exc:
            raise spec_error((None, f"cannot read the file ({exc.strerror or exc})"), file=name, cls=SpecFileError) from None
        except ValueError:  # e.g. an embedded NUL: neither JSON text nor a usable file name
            raise spec_error((None, "neither JSON text nor a valid file name"), file=repr(name)[:60],
                             cls=SpecFileError) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise spec_error((None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"), file=name, cls=SpecFileError) from None
        return text, name, Path(base_dir) if base_dir is not None else path.parent
    raise SpecError(
        f"load_spec expects a file path, JSON text, bytes or a parsed dict; got {type(source).__name__}."
    )


def _check_header(data, file) -> None:
    if not isinstance(data, dict):
        raise spec_error(
            (None, f"a network spec is a JSON object {{\"format\": \"{FORMAT}\", ...}}, got {_show(data)}"), file=file
        )
    fmt = data.get("format")
    if "format" not in data:
        raise spec_error((None, f"not a layergraph network spec: missing \"format\": \"{FORMAT}\""), file=file)
    if fmt != FORMAT:
        raise spec_error(("format", f"expected \"{FORMAT}\", got {_show(fmt)}"), file=file)
    version = data.get("version")
    if "version" not in data:
        raise spec_error((None, f"missing \"version\" (this layergraph reads format version {VERSION})"), file=file)
    if isinstance(version, bool) or not isinstance(version, int):
        raise spec_error(("version", f"expected an integer format version, got {_show(version)}"), file=file)
    if version > VERSION:
        raise spec_error(
            ("version", f"the spec uses format version {version}, written by a newer layergraph; this layergraph "
                        f"reads format version {VERSION}. Upgrade layergraph to load it."),
            file=file,
        )
    if version < 1:
        raise spec_error(("version", f"invalid format version {version}; the first version is 1"), file=file)
    has_layers, has_chains = "layers" in data, "chains" in data
    if has_layers == has_chains:
        what = "both" if has_layers else "neither"
        raise spec_error(
            (None, f"the spec has {what} \"layers\" and \"chains\": give \"layers\" (one chain, connected in order) "
                   "or \"chains\" (several chains), not both"),
            file=file,
        )


def _construct(cls: type[Layer], raw: dict, path: str, file, functions: Mapping | None = None) -> Layer:
    options = spec_fields(cls)
    kwargs = {}
    for key, value in raw.items():
        if key == "type":
            continue
        opt = options[key]
        handle = function_handle_name(value)
        if handle is not None and accepts_functions(opt) and not _accepts(opt, value):
            fn = (functions or {}).get(handle)
            if fn is None:
                known = sorted(functions or {})
                hint = _suggest(handle, known) if known else ""
                raise spec_error(
                    (f"{path}.{key}", f"function handle '@{handle}' is not in the functions table.{hint} Specs never "
                                      f"contain code: pass functions={{'{handle}': f}} to load_spec to provide it"),
                    file=file,
                )
            value = fn
        elif _needs_decoding(opt, value):
            value = decode_special(value)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except LayerGraphError as exc:
        raise spec_error((path, str(exc)), file=file) from None


def _accepts(opt, value) -> bool:
    try:
        opt.convert(value)
        return True
    except ValueError:
        return False


def _needs_decoding(opt, value) -> bool:
    from .models import _has_special

    if not _has_special(value):
        return False
    try:
        opt.convert(value)
        return False
    except ValueError:
        return True


_SAFETENSORS_HEADER_MAX = 100 * 2**20   # safetensors' own bound on the JSON header
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                "BOOL": 1, "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1, "C64": 8, "C128": 16}


def _confined_weights_path(name, base: Path, file) -> Path:
    """The weights file ``name`` resolved inside ``base`` (the spec's folder), or a SpecError.

    Refused: NUL, absolute paths, '..' components, symlinks (anywhere on the way) that leave the folder,
    anything but a regular file (devices such as /dev/zero, FIFOs, sockets, folders).
    """
    import stat

    if not isinstance(name, str) or not name:
        raise spec_error(("weights.file", f"the weights file name must be a non-empty string, got {_show(name)}"),
                         file=file)
    if "\x00" in name:
        raise spec_error(("weights.file", f"the weights file name contains a NUL character: {_show(name)}"), file=file)
    rel = Path(name)
    if rel.is_absolute() or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise spec_error(("weights.file", f"weights file '{name}' is an absolute path: a spec may only reference "
                                          "a weights file in its own folder (or below it)"), file=file)
    if ".." in re.split(r"[/\\]", name):
        raise spec_error(("weights.file", f"weights file '{name}' goes up with '..': a spec may only reference a "
                                          "weights file in its own folder (or below it)"), file=file)
    try:
        root = base.resolve()
        target = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError) as exc:   # symlink loops, bad names
        raise spec_error(("weights.file", f"cannot resolve weights file '{name}' ({exc})"), file=file) from None
    if target != root and root not in target.parents:
        raise spec_error(("weights.file", f"weights file '{name}' resolves to '{target}', outside the spec's folder "
                                          f"'{root}' (a symlink leaves it): refused"), file=file)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise spec_error(("weights.file", f"weights file '{name}' not found (looked for {root / rel})"), file=file) from None
    except OSError as exc:
        raise spec_error(("weights.file", f"cannot read weights file '{name}' ({exc.strerror or exc})"), file=file) from None
    if not stat.S_ISREG(info.st_mode):
        raise spec_error(("weights.file", f"weights file '{name}' is not a regular file (a folder, device, FIFO or "
                                          "socket): refused"), file=file)
    return target


def _read_weights_blob(target: Path, name: str, file) -> bytes:
    """The file's bytes, after checking its safetensors header against the size limit."""
    import stat
    import struct

    from ..limits import current, describe

    limit = current().max_weights_bytes
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)

    def bad(message):
        return spec_error(("weights.file", f"'{name}' is not a valid safetensors file ({message})"), file=file)

    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise spec_error(("weights.file", f"cannot read weights file '{name}' ({exc.strerror or exc})"), file=file) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise spec_error(("weights.file", f"weights file '{name}' is not a regular file: refused"), file=file)
        size = info.st_size
        if size > limit:
            raise spec_error(("weights.file", f"weights file '{name}' has {size:,} bytes, over {describe('max_weights_bytes')}"),
                             file=file)
        head = f.read(8)
        if len(head) < 8:
            raise bad("shorter than its 8-byte header length")
        (n,) = struct.unpack("<Q", head)
        if n > min(_SAFETENSORS_HEADER_MAX, size - 8):
            raise bad(f"its header claims {n:,} bytes, the file has {size:,}")
        try:
            header = json.loads(f.read(n).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise bad("its header is not JSON") from None
        if not isinstance(header, dict):
            raise bad("its header is not a JSON object")
        end = 0
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            try:
                dtype, shape, (lo, hi) = entry["dtype"], entry["shape"], entry["data_offsets"]
                count = math.prod(int(d) for d in shape)
                if dtype not in _DTYPE_BYTES or any(int(d) < 0 for d in shape) or not 0 <= lo <= hi:
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                raise bad(f"its header entry {_show(key)} is malformed") from None
            if count * _DTYPE_BYTES[dtype] != hi - lo:
                raise bad(f"tensor {_show(key)}: {times_str(tuple(shape)) if shape else 'scalar'} {dtype} does not "
                          f"match its {hi - lo:,} bytes")
            end = max(end, hi)
        if 8 + n + end != size:
            raise bad(f"its header describes {8 + n + end:,} bytes, the file has {size:,}")
        f.seek(0)
        return f.read(size)


def _load_weights(ref: dict, base: Path, file) -> dict:
    name = ref["file"]
    target = _confined_weights_path(name, base, file)
    blob = _read_weights_blob(target, name, file)
    digest = ref.get("sha256")
    if digest is not None and hashlib.sha256(blob).hexdigest() != str(digest).lower():
        raise spec_error(
            ("weights.sha256", f"weights file '{name}' does not match the spec (its SHA-256 differs): it was changed "
                               "or written for another network. Save the network again to pair them."),
            file=file,
        )
    try:
        from safetensors.torch import load as load_safetensors

        tensors = load_safetensors(blob)
    except Exception as exc:  # safetensors raises its own error types for any malformed file
        raise spec_error(("weights.file", f"'{name}' is not a valid safetensors file ({exc})"), file=file) from None
    return tensors


def _apply_weights(layers: list[Layer], tensors: dict, paths: dict, file, partial: bool = False) -> tuple[list[Layer], list]:
    by_name = {layer.Name: i for i, layer in enumerate(layers)}
    problems = []
    grouped: dict[int, dict] = {}
    for key in sorted(tensors):
        if "/" not in key:
            problems.append(("weights", f"weights file key '{key}' is not '<layer>/<Property>'"))
            continue
        lname, prop = key.rsplit("/", 1)
        if lname not in by_name:
            problems.append(("weights", f"weights file has values for layer '{lname}' ('{key}'), which is not in the spec"
                                        f".{_suggest(lname, by_name)} The weights file does not match the spec."))
            continue
        layer = layers[by_name[lname]]
        allowed = weight_fields(type(layer))
        if prop not in allowed:
            shown = ", ".join(allowed) or "none"
            problems.append(("weights", f"weights file key '{key}': '{prop}' is not a learnable or state property of "
                                        f"{layer.MATLAB_NAME} (those are: {shown})"))
            continue
        value = tensors[key]
        if value.is_complex():
            problems.append(("weights", f"'{key}': layer '{lname}' {prop} has complex values; learnables are real"))
            continue
        if value.numel() == 0:
            problems.append(("weights", f"'{key}': layer '{lname}' {prop} is empty (size "
                                        f"{times_str(tuple(value.shape)) if value.dim() else '0'})"))
            continue
        grouped.setdefault(by_name[lname], {})[prop] = value
    if not partial:
        if not tensors:
            problems.append(("weights", "the weights file holds no values; load with partial_weights=True "
                                        "(CLI: --partial-weights) to initialise every layer afresh"))
        else:
            for i, layer in enumerate(layers):
                learnables = [n for n, opt in type(layer).options().items() if opt.learnable]
                missing = [n for n in learnables if n not in grouped.get(i, {})]
                if missing:
                    problems.append(("weights", f"the weights file has no {', '.join(missing)} for layer "
                                                f"'{layer.Name}' ({layer.MATLAB_NAME}); load with partial_weights=True "
                                                "(CLI: --partial-weights) to initialise missing values afresh"))
    if problems:
        raise spec_error(problems, file=file)
    loaded = []
    out = list(layers)
    for index, values in grouped.items():
        layer = out[index].copy()
        for prop, value in values.items():
            try:
                setattr(layer, prop, value)
            except LayerGraphError as exc:
                raise spec_error(("weights", f"'{layer.Name}/{prop}': {exc}"), file=file) from None
            loaded.append((layer.Name, prop))
        out[index] = layer
    return out, loaded


def _check_weight_sizes(graph: LayerGraph, loaded: list, file) -> None:
    """Sizes of the restored values against what each layer expects for its inputs."""
    if not loaded:
        return
    from ..analysis import analyze_graph

    analysis = analyze_graph(graph)
    problems = []
    for name, prop in loaded:
        inputs = analysis.input_layouts.get(name)
        if inputs is None:
            continue
        layer = graph.layer(name)
        try:
            expected = dict(layer.learnable_sizes(inputs))
            expected.update(layer.state_sizes(inputs))
        except LayerGraphError:
            continue
        if prop not in expected:
            continue
        shape = tuple(int(s) for s in expected[prop])
        value = layer._values.get(prop)
        got = tuple(value.shape)
        squeezed = lambda s: [d for d in s if d != 1]  # noqa: E731
        if got != shape and not (value.numel() == math.prod(shape) and squeezed(got) == squeezed(shape)):
            problems.append(
                ("weights", f"'{name}/{prop}' has size {times_str(got) if got else '1×1'}, but layer '{name}' expects "
                            f"{times_str(shape)}: the weights file does not match the spec")
            )
    if problems:
        raise spec_error(problems, file=file)


def _check_cycles(graph: LayerGraph, connection_edges: list, file) -> None:
    import networkx as nx

    digraph = nx.DiGraph()
    digraph.add_nodes_from(layer.Name for layer in graph.layer_list())
    digraph.add_edges_from((s, d) for s, _, d, _ in graph.edge_list())
    if nx.is_directed_acyclic_graph(digraph):
        return
    cycle = nx.find_cycle(digraph)
    names = [cycle[0][0]] + [edge[1] for edge in cycle]
    shown = " -> ".join(f"'{n}'" for n in names)
    in_cycle = {(e[0], e[1]) for e in cycle}
    path = None
    for index, (src, dst) in connection_edges:
        if (src, dst) in in_cycle:
            path = f"connections[{index}]"
            break
    raise spec_error((path, f"the network has a cycle: {shown}. A network must be acyclic."), file=file)


def load_spec(source, *, registry: Mapping | None = None, custom_layers: Mapping | None = None,
              functions: Mapping | None = None, weights: bool = True, base_dir=None,
              partial_weights: bool = False) -> LayerGraph:
    """A LayerGraph from a JSON network spec: a file path, JSON text, bytes or an already parsed dict.

    ``custom_layers`` maps extra MATLAB names to Layer classes (in addition to the registered layers;
    ``registry`` replaces the registry entirely); ``functions`` maps the names of function handles the
    spec writes as ``"@name"`` (functionLayer's PredictFcn, initializer functions) to Python callables.
    ``weights=False`` skips the weights file. The weights file must lie in the spec file's folder (or
    below it; for text, ``base_dir``, default the current folder): absolute paths, '..', symlinks leaving
    the folder and anything but a regular file are refused, and its size is checked from its header
    against ``layergraph.limits`` before it is read. Every learnable of every layer must be in the file
    unless ``partial_weights=True`` (missing values are then initialised afresh). Raises
    :class:`~layergraph.errors.SpecError` for every problem.
    """
    table = _registry(registry, custom_layers)
    text = None
    if isinstance(source, Mapping):
        data, file, base = source, None, Path(base_dir or ".")
    else:
        text, file, base = _read_source(source, base_dir)
        data = parse_json(text, file)
    try:
        table = _embedded_classes(data, table, file)
        return _load(data, table, file, base, functions, weights, partial_weights)
    except SpecError as exc:
        if text is None or getattr(exc, "line", None) is not None or not getattr(exc, "problems", None):
            raise
        located = locate_problems(text, exc.problems)
        if located is None:
            raise
        raise spec_error(exc.problems, file=file, locations=located, cls=type(exc)) from None


def _load(data, table, file, base, functions, weights, partial=False) -> LayerGraph:
    problems: list = []
    _find_duplicates(data, [], problems)
    if problems:
        raise spec_error(problems, file=file)
    _check_header(data, file)
    try:
        network_model(table).model_validate(data)
    except ValidationError as exc:
        raise spec_error(_pydantic_problems(exc, data, table), file=file) from None
    except RecursionError:
        raise spec_error((None, "the spec is nested too deeply"), file=file) from None

    # layers, in file order, with their JSON paths
    if "layers" in data:
        chains = [[(f"layers[{i}]", raw) for i, raw in enumerate(data["layers"])]]
    else:
        chains = [[(f"chains[{c}][{i}]", raw) for i, raw in enumerate(chain)] for c, chain in enumerate(data["chains"])]
    flat = [item for chain in chains for item in chain]
    seen: dict[str, str] = {}
    problems = []
    for path, raw in flat:
        name = raw.get("Name")
        if isinstance(name, str) and name:
            if name in seen:
                problems.append((f"{path}.Name", f"duplicate layer name '{name}' (also at {seen[name]}). Layer names must be unique."))
            else:
                seen[name] = path
    if problems:
        raise spec_error(problems, file=file)
    layers = [_construct(table[raw["type"]], raw, path, file, functions) for path, raw in flat]
    try:
        layers = assign_names(layers)
    except LayerGraphError as exc:  # duplicates are caught above; keep the project's error if anything remains
        raise spec_error(("layers", str(exc)), file=file) from None
    paths = {layer.Name: path for layer, (path, _) in zip(layers, flat)}

    loaded: list = []
    if weights and data.get("weights") is not None:
        tensors = _load_weights(data["weights"], base, file)
        layers, loaded = _apply_weights(layers, tensors, paths, file, partial)

    # chains
    graph = LayerGraph()
    start = 0
    for chain in chains:
        members = layers[start:start + len(chain)]
        for (path, _), prev, layer in zip(chain[1:], members, members[1:]):
            if not prev.output_names():
                raise spec_error((path, f"layer '{layer.Name}' cannot follow layer '{prev.Name}' in a chain: "
                                        f"'{prev.Name}' ({prev.TYPE}) has no outputs. Start a new chain."), file=file)
            if not layer.input_names():
                raise spec_error((path, f"layer '{layer.Name}' ({layer.TYPE}) has no inputs, so it cannot follow "
                                        f"layer '{prev.Name}' in a chain. Start a new chain."), file=file)
        if members:
            try:
                graph = addLayers(graph, members)
            except LayerGraphError as exc:
                raise spec_error((chain[0][0].rsplit("[", 1)[0] if len(chains) > 1 else "layers", str(exc)), file=file) from None
        start += len(chain)

    # connections
    connection_edges = []
    for index, (src, dst) in enumerate(data.get("connections") or []):
        try:
            s = graph._resolve(src, output=True)
        except LayerGraphError as exc:
            raise spec_error((f"connections[{index}][0]", f"source {_show(src)}: {exc}"), file=file) from None
        try:
            d = graph._resolve(dst, output=False)
        except LayerGraphError as exc:
            raise spec_error((f"connections[{index}][1]", f"destination {_show(dst)}: {exc}"), file=file) from None
        try:
            graph = connectLayers(graph, f"{s[0]}/{s[1]}", f"{d[0]}/{d[1]}")
        except LayerGraphError as exc:
            raise spec_error((f"connections[{index}]", f"{_show([src, dst])}: {exc}"), file=file) from None
        connection_edges.append((index, (s[0], d[0])))
    _check_cycles(graph, connection_edges, file)
    _check_weight_sizes(graph, loaded, file)
    return graph


# --------------------------------------------------------------------------------------------------
# Saving


def layer_to_json(layer: Layer) -> tuple[dict, dict]:
    """(the layer's JSON object, its learnable/state tensors by property) in canonical form."""
    cls = type(layer)
    obj: dict = {"type": cls.MATLAB_NAME, "Name": layer.Name}
    values = layer._values
    for name, opt in spec_fields(cls).items():
        if name == "Name":
            continue
        value = values.get(name)
        if not opt.required and _same(value, opt.default):
            continue
        if callable(value) and not isinstance(value, (str, torch.Tensor)):
            fname = getattr(value, "__name__", "")
            if not fname or function_handle_name("@" + fname) is None:
                raise SpecError(
                    f"Cannot save layer '{layer.Name}' ({cls.MATLAB_NAME}) as JSON: its {name} is an anonymous "
                    "function handle, which a JSON spec cannot hold (specs never contain code). Use a named "
                    "function: it is written as '@name' and given back to load_spec(functions={...})."
                )
            obj[name] = "@" + fname
            continue
        try:
            obj[name] = encode_value(value)
        except Unencodable:
            raise SpecError(
                f"Cannot save layer '{layer.Name}' ({cls.MATLAB_NAME}) as JSON: its {name} is a "
                f"{type(value).__name__}, which a JSON spec cannot hold."
            ) from None
    tensors = {}
    for name in weight_fields(cls):
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(np.asarray(value, dtype=np.float32))
        tensors[name] = value.detach().cpu().contiguous()
    return obj, tensors


def layer_from_json(obj: Mapping, tensors: Mapping | None = None, *, registry: Mapping | None = None,
                    custom_layers: Mapping | None = None, functions: Mapping | None = None) -> Layer:
    """One layer from its JSON object (and learnable/state tensors by property), validated like a spec."""
    data = {"format": FORMAT, "version": VERSION, "layers": [dict(obj)]}
    table = _registry(registry, custom_layers)
    try:
        network_model(table).model_validate(data)
    except ValidationError as exc:
        raise spec_error(_pydantic_problems(exc, data, table)) from None
    layer = _construct(table[obj["type"]], dict(obj), "layers[0]", None, functions)
    for prop, value in (tensors or {}).items():
        setattr(layer, prop, value)
    return layer


def _chains_and_connections(graph: LayerGraph):
    layers = graph.layer_list()
    edges = graph.edge_list()
    edge_set = set(edges)
    chains: list[list[Layer]] = []
    used = set()
    prev = None
    for layer in layers:
        link = None
        if prev is not None and prev.output_names() and layer.input_names():
            link = (prev.Name, prev.output_names()[0], layer.Name, layer.input_names()[0])
        if link is not None and link in edge_set:
            chains[-1].append(layer)
            used.add(link)
        else:
            chains.append([layer])
        prev = layer
    connections = []
    for edge in edges:
        if edge in used:
            continue
        src, sport, dst, dport = edge
        connections.append([graph._port_string(src, sport, output=True), graph._port_string(dst, dport, output=False)])
    return chains, connections


def _weights_bytes(tensors: dict) -> bytes:
    from safetensors.torch import save as save_safetensors

    return save_safetensors(tensors, metadata=dict(WEIGHTS_METADATA))


def _classdefs(graph: LayerGraph) -> dict:
    """MATLAB classdef text of custom layers translated from classdef files, embedded so the spec reopens."""
    return {type(layer).MATLAB_NAME: type(layer).CLASSDEF_TEXT for layer in graph.layer_list()
            if isinstance(getattr(type(layer), "CLASSDEF_TEXT", None), str)}


def _prepare(graph: LayerGraph):
    chains, connections = _chains_and_connections(graph)
    objects: dict[str, dict] = {}
    tensors: dict[str, torch.Tensor] = {}
    for layer in graph.layer_list():
        obj, values = layer_to_json(layer)
        _check_round_trip(layer, obj, values)
        objects[layer.Name] = obj
        for prop, value in values.items():
            tensors[f"{layer.Name}/{prop}"] = value
    return chains, connections, objects, tensors


def _format(chains, connections, objects, weights, classdefs=None) -> str:
    lines = ["{", f'  "format": "{FORMAT}",', f'  "version": {VERSION},']

    def block(items, indent):
        return [indent + item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]

    if len(chains) <= 1:
        items = [_dumps(objects[layer.Name]) for chain in chains for layer in chain]
        lines += ['  "layers": ['] + block(items, "    ") + ["  ]"]
    else:
        lines.append('  "chains": [')
        for c, chain in enumerate(chains):
            items = [_dumps(objects[layer.Name]) for layer in chain]
            lines += ["    ["] + block(items, "      ") + ["    ]" + ("," if c < len(chains) - 1 else "")]
        lines.append("  ]")
    if connections:
        lines[-1] += ","
        lines += ['  "connections": ['] + block([_dumps(c) for c in connections], "    ") + ["  ]"]
    if weights is not None:
        lines[-1] += ","
        lines.append(f'  "weights": {_dumps(weights)}')
    if classdefs:
        lines[-1] += ","
        items = [f"{_dumps(name)}: {_dumps({'classdef': text})}" for name, text in sorted(classdefs.items())]
        lines += ['  "custom_layers": {'] + block(items, "    ") + ["  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def spec_text(graph, *, weights: dict | None = None) -> tuple[str, dict]:
    """(canonical JSON text, learned tensors by '<layer>/<Property>') for a graph, layer array or network.

    ``weights`` is the ``{"file": ..., "sha256": ...}`` reference to write (None: no weights entry).
    """
    graph = layerGraph(graph)
    chains, connections, objects, tensors = _prepare(graph)
    return _format(chains, connections, objects, weights, _classdefs(graph)), tensors


def _check_round_trip(layer: Layer, obj: dict, tensors: dict) -> None:
    """Refuse to save a layer whose JSON would not load back equal (never write a lossy spec)."""
    try:
        functions = {
            getattr(v, "__name__", ""): v
            for v in layer._values.values()
            if callable(v) and not isinstance(v, (str, torch.Tensor))
        }
        back = layer_from_json(obj, tensors, registry={obj["type"]: type(layer)}, functions=functions)
    except LayerGraphError as exc:
        raise SpecError(f"Cannot save layer '{layer.Name}' ({layer.MATLAB_NAME}): its options do not load back ({exc}).") from None
    # read-only options (NumChannels filled in by a compiled network, ...) are derived again on load
    options = type(layer).options()
    stored = [k for k in layer._values if k not in options or options[k].settable]
    if all(_same(layer._values[k], back._values.get(k)) for k in stored):
        return
    for name in stored:
        if not _same(layer._values[name], back._values.get(name)):
            raise SpecError(
                f"Cannot save layer '{layer.Name}' ({layer.MATLAB_NAME}): option '{name}' with value "
                f"{_show(encode_value(layer._values[name]) if not callable(layer._values[name]) else 'function')} "
                "does not survive the JSON round trip."
            )
    raise SpecError(f"Cannot save layer '{layer.Name}' ({layer.MATLAB_NAME}): it does not survive the JSON round trip.")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise SpecError(f"Cannot write '{path}': {exc.strerror or exc}.") from None


def save_spec(graph, path=None, *, weights=None) -> str:
    """Write ``graph`` (a LayerGraph, layer array or network) as a canonical JSON spec; return the text.

    Learnable and state values (MATLAB layout) go to a safetensors file beside the spec: ``weights``
    names it (default: the spec's name with ``.safetensors``; ``False``: do not save learned values),
    and the spec records its name and SHA-256. Without ``path`` only the text is returned; a graph with
    learned values then needs ``weights`` to name the file to write.
    """
    graph = layerGraph(graph)
    chains, connections, objects, tensors = _prepare(graph)
    target = Path(path) if path is not None else None
    ref = None
    if tensors and weights is not False:
        if weights is None:
            if target is None:
                raise SpecError(
                    "save_spec: the network has learned values; give a path (they are written beside it in a "
                    ".safetensors file) or weights='file.safetensors'."
                )
            wpath = target.with_suffix(".safetensors")
        else:
            wpath = Path(weights)
        blob = _weights_bytes(tensors)
        if target is not None:
            try:
                shown = os.path.relpath(wpath.resolve(), target.parent.resolve())
            except ValueError:  # another drive (Windows)
                shown = str(wpath.resolve())
        else:
            shown = str(wpath)
        ref = {"file": Path(shown).as_posix(), "sha256": hashlib.sha256(blob).hexdigest()}
        _write_atomic(wpath, blob)
    text = _format(chains, connections, objects, ref, _classdefs(graph))
    if target is not None:
        _write_atomic(target, text.encode("utf-8"))
    return text


__all__ = ["load_spec", "save_spec", "spec_text", "register_classdef_translator", "layer_to_json", "layer_from_json", "encode_value", "parse_json"]
