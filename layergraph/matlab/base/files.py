"""Files and paths: fullfile, fileparts, filesep, pathsep, pwd, isfile, isfolder, dir, mkdir, delete.

Text functions (fullfile, fileparts) only build text. Every function that looks at or changes the file
system asks :mod:`layergraph.policy` first (``check_read`` / ``check_write``): unconfined from Python,
confined to the script's folders when MATLAB code runs. MATLAB's own ``exist`` stays in the interpreter
(it is about the workspace too).
"""

from __future__ import annotations

import fnmatch
import os
import time

import numpy as np

from ...policy import check_read, check_write
from ..values import Cell, MString, StrArr, Struct
from ._core import base, fail, outputs, text_items


def _text(v, what="Input"):
    if not isinstance(v, str):
        raise fail(f"{what} must be a character vector or string scalar.", "MATLAB:invalidType")
    return str(v)


def _like(template, text):
    return MString(text) if isinstance(template, MString) else text


@base("filesep")
def filesep():
    return os.sep


@base("pathsep")
def pathsep():
    return os.pathsep


@base("pwd")
def pwd():
    """The current folder (as the file policy resolves it)."""
    return str(check_read(os.getcwd(), "pwd"))


@base("fullfile")
def fullfile(*parts):
    """Join folder and file names with the file separator, without doubling separators; a cell array or
    string array part gives one path per element (a cell array / string array)."""
    if not parts:
        raise fail("Not enough input arguments.", "MATLAB:minrhs")
    arrays = [p for p in parts if isinstance(p, (Cell, StrArr))]
    if arrays:
        n = max(len(a.items()) for a in arrays)
        out = []
        for i in range(n):
            row = [(a.items()[i] if len(a.items()) > 1 else a.items()[0]) if isinstance(a, (Cell, StrArr)) else a
                   for a in parts]
            out.append(fullfile(*row))
        if isinstance(arrays[0], StrArr):
            return StrArr.row([MString(x) for x in out])
        shape = next(a.a.shape for a in arrays if len(a.items()) == n)
        arr = np.empty(n, dtype=object)
        for i, x in enumerate(out):
            arr[i] = str(x)
        return Cell(arr.reshape(shape, order="F"))
    texts = [_text(p, "All inputs") for p in parts]
    sep = os.sep
    pieces = [t for t in texts if t != ""]
    if not pieces:
        out = ""
    else:
        out = pieces[0]
        for t in pieces[1:]:
            if out.endswith(sep) or out.endswith("/"):
                out = out + t.lstrip("/" + sep)
            else:
                out = out + sep + t.lstrip("/" + sep)
        if sep == "/":
            while "//" in out[1:]:
                out = out[0] + out[1:].replace("//", "/")
    any_string = any(isinstance(p, MString) for p in parts)
    return MString(out) if any_string else out


@base("fileparts", outputs=("filepath", "name", "ext"), nargout_aware=True)
def fileparts(path, *, nargout=1):
    """``[filepath, name, ext] = fileparts('/a/b/c.txt')`` gives '/a/b', 'c', '.txt' (ext from the last
    dot of the file name)."""
    p = _text(path)
    i = max(p.rfind("/"), p.rfind(os.sep))
    folder, file = (p[:i], p[i + 1:]) if i >= 0 else ("", p)
    if i == 0:
        folder = p[0]
    dot = file.rfind(".")
    name, ext = (file[:dot], file[dot:]) if dot >= 0 else (file, "")
    return outputs([_like(path, folder), _like(path, name), _like(path, ext)], nargout)


@base("isfile")
def isfile(path):
    """True for an existing file (not a folder); a cell/string array gives an array."""
    if isinstance(path, (Cell, StrArr)):
        out = np.empty(path.a.shape, dtype=bool)
        for i in np.ndindex(path.a.shape):
            out[i] = bool(isfile(path.a[i]).flat[0])
        return out
    return np.array([[os.path.isfile(check_read(_text(path), "isfile"))]])


@base("isfolder")
def isfolder(path):
    if isinstance(path, (Cell, StrArr)):
        out = np.empty(path.a.shape, dtype=bool)
        for i in np.ndindex(path.a.shape):
            out[i] = bool(isfolder(path.a[i]).flat[0])
        return out
    return np.array([[os.path.isdir(check_read(_text(path), "isfolder"))]])


def _entry(folder: str, name: str) -> Struct:
    full = os.path.join(folder, name)
    st = os.stat(full)
    is_dir = os.path.isdir(full)
    stamp = time.localtime(st.st_mtime)
    return Struct({
        "name": name,
        "folder": folder,
        "date": time.strftime("%d-%b-%Y %H:%M:%S", stamp),
        "bytes": np.array([[0.0 if is_dir else float(st.st_size)]]),
        "isdir": np.array([[is_dir]]),
        "datenum": np.array([[st.st_mtime / 86400.0 + 719529.0]]),
    })


@base("dir")
def dir_(name=None):
    """A struct array (n-by-1) with fields name, folder, date, bytes, isdir, datenum for a folder's
    entries (with '.' and '..' as MATLAB lists them), a file, or a wildcard pattern ('*.png',
    'data/**/*.jpg'). Nothing found: an empty 0x1 struct array."""
    from .cells import struct_array

    target = "." if name is None else _text(name)
    resolved = str(check_read(target if "*" not in target else os.path.dirname(target.split("**")[0]) or ".", "dir"))
    entries = []
    if "*" in target:
        if "**" in target:
            root, _, rest = target.partition("**")
            root = root.rstrip("/" + os.sep) or "."
            pattern = rest.lstrip("/" + os.sep)
            for folder, dirs, files in os.walk(check_read(root, "dir")):
                dirs.sort()
                for f in sorted(files + dirs):
                    if fnmatch.fnmatch(f, pattern):
                        entries.append(_entry(os.path.abspath(folder), f))
        else:
            folder, pattern = os.path.split(target)
            folder = os.path.abspath(check_read(folder or ".", "dir"))
            if os.path.isdir(folder):
                for f in sorted(os.listdir(folder)):
                    if fnmatch.fnmatch(f, pattern):
                        entries.append(_entry(folder, f))
    elif os.path.isdir(resolved):
        folder = os.path.abspath(resolved)
        here = _entry(folder, "").fields
        entries = [Struct({**here, "name": "."}), Struct({**here, "name": ".."})]
        entries += [_entry(folder, f) for f in sorted(os.listdir(folder))]
    elif os.path.isfile(resolved):
        entries = [_entry(os.path.dirname(os.path.abspath(resolved)), os.path.basename(resolved))]
    if not entries:
        from .cells import _struct_array_type

        cls = _struct_array_type()
        if cls is None:
            return Struct({})
        return cls(np.empty((0, 1), dtype=object),
                   fields=["name", "folder", "date", "bytes", "isdir", "datenum"])
    return struct_array(entries, (len(entries), 1))


@base("mkdir", outputs=("status", "msg"), nargout_aware=True)
def mkdir(folder, sub=None, *, nargout=1):
    """Create a folder (and its parents); an existing folder is not an error (status 1 and a message)."""
    path = _text(folder) if sub is None else os.path.join(_text(folder), _text(sub))
    target = check_write(path, "mkdir")
    existed = os.path.isdir(target)
    try:
        os.makedirs(target, exist_ok=True)
    except OSError as exc:
        if nargout >= 1:
            return outputs([np.array([[False]]), exc.strerror or str(exc)], max(nargout, 1))
        raise fail(f"Cannot create folder '{path}': {exc.strerror}.", "MATLAB:MKDIR:OSError") from None
    msg = "Directory already exists." if existed else ""
    return outputs([np.array([[True]]), msg], max(nargout, 1)) if nargout > 1 else np.array([[True]])


@base("delete", outputs=())
def delete(*names):
    """Delete files (wildcards allowed); a missing file is a warning in MATLAB, nothing here."""
    import glob

    for n in names:
        for t in text_items(n):
            for path in (sorted(glob.glob(t)) if any(c in t for c in "*?") else [t]):
                target = check_write(path, "delete")
                if os.path.isdir(target):
                    raise fail(f"'{path}' is a folder; use rmdir.", "MATLAB:DELETE:Permission")
                if os.path.exists(target):
                    os.remove(target)
    return None
