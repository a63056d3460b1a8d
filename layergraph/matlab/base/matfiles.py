"""MATLAB ``save`` and ``load`` over MATLAB values.

``save`` writes plain MATLAB data as a MAT-file MATLAB reads: ``-v7`` (the default: v5 format with
compression, written by ``scipy.io.savemat``), ``-v6`` (uncompressed), ``-v4`` (numeric and char only)
and ``-v7.3`` (HDF5, written by mat-io). A network variable (LayerGraph, SeriesNetwork/DAGNetwork,
dlnetwork, layer array) is written as the project's JSON spec + safetensors weights beside the file
(``file.<var>.json``, ``file.<var>.safetensors``) and recorded in the .mat as a struct
``struct('LayergraphClass', class, 'LayergraphSpec', 'file.<var>.json')``, which ``load`` turns back into
the network (MATLAB itself loads that variable as the struct).

``load`` reads v4, v6/v7 and v7.3 files through :func:`layergraph.io.mat.loadmat` (mat-io), so a network
MATLAB saved (``save('net.mat','net')``) comes back as the network the importer builds; a numeric text
file (``load data.txt``) comes back as a matrix named after the file.

Values and how they are written (MATLAB reads them as):
numeric of every class, logical, char rows, cell, struct and struct arrays as themselves; a string
scalar as a char row and a string array as a cell array of char (MATLAB's string objects need MATLAB's
object format); categorical as a cell array of its labels; table as a struct with one field per variable.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path

import numpy as np

from ...errors import LayerGraphError
from ...functions import matlab_function
from ...policy import check_read, check_write
from ..values import Cell, LayerArr, MString, StrArr, Struct, StructArr
from ._common import runtime_error, text_of

NETWORK_MARKER = ("LayergraphClass", "LayergraphSpec")
_VERSIONS = {"-v7": "7", "-v6": "6", "-v4": "4", "-v7.3": "7.3"}


# ---- MATLAB values -> what the writers take ----------------------------------------------------------

def _network_class(value) -> str | None:
    """MATLAB class name of a network-like value, else None."""
    from ...graph import LayerGraph
    from ...layers.base import Layer
    from ...network import Network

    if isinstance(value, Network):
        return value.matlab_class()
    if isinstance(value, LayerGraph):
        return "LayerGraph" if type(value) is LayerGraph or not hasattr(value, "Initialized") else "dlnetwork"
    if isinstance(value, Layer):
        return "nnet.cnn.layer.Layer"
    if isinstance(value, LayerArr) or (isinstance(value, list) and value and all(isinstance(x, Layer) for x in value)):
        return "nnet.cnn.layer.Layer"
    return None


def _struct_array(shape, fields, rows) -> np.ndarray:
    """A numpy structured array (what savemat writes as a MATLAB struct array)."""
    dtype = [(f, object) for f in fields]
    out = np.empty(shape, dtype=dtype)
    for idx, row in zip(_fortran_indices(shape), rows):
        for f in fields:
            out[idx][f] = row[f]
    return out


def _fortran_indices(shape):
    """Indices of an array of ``shape`` in column-major (MATLAB) order."""
    return [np.unravel_index(i, shape, order="F") for i in range(int(np.prod(shape)))]


class _Writer:
    def __init__(self, filename: Path, fmt: str):
        self.filename = filename
        self.fmt = fmt

    def value(self, v, name: str):
        from ...values import Categorical, Table

        if isinstance(v, np.ndarray):
            if v.dtype == object:
                return self.cell(Cell(v), name)
            return v.reshape(1, -1) if v.ndim < 2 else v
        if isinstance(v, (bool, np.bool_)):
            return np.array([[bool(v)]])
        if isinstance(v, (int, float, np.integer, np.floating)):
            return np.array([[v]], dtype=np.float64)
        if isinstance(v, str):   # char row; a string scalar is written as char
            return str(v) if v else np.zeros((0, 0), dtype="U1")
        if isinstance(v, StrArr):
            return self.cell(Cell(v.a), name)
        if isinstance(v, Cell):
            return self.cell(v, name)
        if isinstance(v, Struct):
            return self.struct((1, 1), list(v.fields), [v.fields], name)
        if isinstance(v, StructArr):
            items = list(v.a.reshape(-1, order="F"))
            return self.struct(v.a.shape, list(v.fields), [x.fields for x in items], name)
        if isinstance(v, dict):
            return self.struct((1, 1), list(v), [v], name)
        if isinstance(v, Categorical):
            labels = np.asarray(v)
            return self.cell(Cell(labels.reshape(v.shape) if labels.ndim < 2 else labels), name)
        if isinstance(v, Table):
            return self.struct((1, 1), list(v.VariableNames), [{k: _column_value(v[k]) for k in v.VariableNames}],
                               name)
        if isinstance(v, (list, tuple)) and _network_class(v) is None:
            return self.cell(Cell.row(list(v)), name)
        cls = _network_class(v)
        if cls is not None:
            return self.network(v, cls, name)
        kind = "function_handle" if type(v).__name__ == "FuncHandle" else type(v).__name__
        raise runtime_error("MATLAB:save:unsupportedClass",
                            f"Variable '{name}' of class '{kind}' cannot be saved by layergraph's save.")

    def cell(self, c: Cell, name: str) -> np.ndarray:
        a = c.a
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(*a.shape):
            out[idx] = self.value(a[idx], name)
        return out

    def struct(self, shape, fields, rows, name) -> np.ndarray:
        converted = [{f: self.value(r.get(f, np.zeros((0, 0))), f"{name}.{f}") for f in fields} for r in rows]
        if not fields:
            return _empty_struct(shape)
        return _struct_array(tuple(shape), fields, converted)

    def network(self, v, cls: str, name: str):
        from ...spec.codec import save_spec

        stem = self.filename.name[:-4] if self.filename.name.lower().endswith(".mat") else self.filename.name
        spec_name = f"{stem}.{name}.json"
        spec_path = self.filename.with_name(spec_name)
        check_write(spec_path, "save")
        check_write(spec_path.with_suffix(".safetensors"), "save")
        graph = list(v.items()) if isinstance(v, LayerArr) else v
        try:
            save_spec(graph, spec_path)
        except LayerGraphError as exc:
            raise runtime_error("layergraph:save:network", f"Variable '{name}' ({cls}) cannot be saved: {exc}") \
                from None
        return self.value(Struct({NETWORK_MARKER[0]: cls, NETWORK_MARKER[1]: spec_name}), name)


def _empty_struct(shape) -> np.ndarray:
    """A struct with no fields (savemat writes a 1x1 struct for an empty dict)."""
    return {} if tuple(shape) == (1, 1) else np.empty(tuple(shape), dtype=[("_", object)])


def _column_value(col):
    from ...values import Categorical

    if isinstance(col, Categorical):
        return col
    a = np.asarray(col)
    if a.dtype == object:
        return Cell(a.reshape(-1, 1))
    return a.reshape(-1, 1) if a.ndim == 1 else a


# ---- what the readers give -> MATLAB values ----------------------------------------------------------

def _from_text_array(a: np.ndarray):
    """mat-io/scipy text: 1-D arrays of str are char rows (one element per row); others string arrays."""
    if a.ndim <= 1:
        rows = [str(x) for x in a.reshape(-1)]
        if not rows:
            return ""
        if len(rows) == 1:
            return rows[0]
        return Cell.column(rows)   # a char matrix: its rows (layergraph has no multi-row char value)
    if a.size == 1:
        return MString(str(a.reshape(-1)[0]))
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(*a.shape):
        out[idx] = str(a[idx])
    return StrArr(out)


def _network_from_marker(fields: dict, base: Path, name: str):
    from ...graph import LayerGraph
    from ...network import assembleNetwork, dlnetwork
    from ...spec.codec import load_spec

    cls = text_of(fields[NETWORK_MARKER[0]])
    spec = text_of(fields[NETWORK_MARKER[1]])
    if cls is None or spec is None or os.path.isabs(spec) or ".." in Path(spec).parts:
        raise runtime_error("layergraph:load:badNetworkRecord",
                            f"Variable '{name}': the network record does not name a spec file beside the MAT-file.")
    path = base / spec
    check_read(path, "load")
    try:
        graph = load_spec(path)
    except LayerGraphError as exc:
        raise runtime_error("layergraph:load:network", f"Variable '{name}': {exc}") from None
    if cls in ("SeriesNetwork", "DAGNetwork"):
        return assembleNetwork(graph)
    if cls == "dlnetwork":
        return dlnetwork(graph)
    if cls == "nnet.cnn.layer.Layer":
        return LayerArr.column(graph.layer_list())
    if cls == "LayerGraph":
        return graph if isinstance(graph, LayerGraph) else graph
    raise runtime_error("layergraph:load:badNetworkRecord", f"Variable '{name}': unknown network class '{cls}'.")


class _Reader:
    def __init__(self, path: Path, decode_networks: bool = True):
        self.base = path.parent
        self.decode_networks = decode_networks

    def value(self, v, name: str):
        from ...values import Categorical
        from ..access import to_matlab

        if isinstance(v, np.ndarray):
            if v.dtype.names:
                return self.struct(v, name)
            if v.dtype == object and v.size and all(x is None for x in v.reshape(-1)):
                # a struct without fields (scipy's EmptyMatStruct, elements None)
                if v.size == 1:
                    return Struct({})
                shape = v.shape if v.ndim >= 2 else (1, v.size)
                out = np.empty(shape, dtype=object)
                for idx in np.ndindex(*shape):
                    out[idx] = Struct({})
                return StructArr(out, fields=[])
            if v.dtype == object:
                out = np.empty(v.shape if v.ndim >= 2 else (1, v.size), dtype=object)
                src = v.reshape(out.shape)
                for idx in np.ndindex(*out.shape):
                    out[idx] = self.value(src[idx], name)
                return Cell(out)
            if v.dtype.kind == "U":
                return _from_text_array(v)
            if v.dtype.kind == "S":
                return _from_text_array(v.astype(str))
            return v.reshape(1, -1) if v.ndim < 2 else v
        if isinstance(v, str):
            return v
        if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            return np.array([[v]])
        if hasattr(v, "toarray"):   # a sparse matrix: dense
            return np.asarray(v.toarray())
        if isinstance(v, Categorical):
            return v
        from ...graph import LayerArray, LayerGraph
        from ...network import Network

        if isinstance(v, (LayerGraph, Network)):
            return v
        if isinstance(v, (LayerArray, list)):
            return to_matlab(list(v))
        classname = getattr(v, "classname", type(v).__name__)
        raise runtime_error("layergraph:load:unsupportedClass",
                            f"Variable '{name}' has class '{classname}', which layergraph's load cannot convert.")

    def struct(self, v: np.ndarray, name: str):
        fields = list(v.dtype.names)
        shape = v.shape if v.ndim >= 2 else (1, v.size)
        src = v.reshape(shape)
        items = []
        for idx in _fortran_indices(shape):
            items.append(Struct({f: self.value(src[idx][f], f"{name}.{f}") for f in fields}))
        if shape == (1, 1):
            s = items[0]
            if self.decode_networks and tuple(fields) == NETWORK_MARKER:
                return _network_from_marker(s.fields, self.base, name)
            return s
        out = np.empty(shape, dtype=object)
        for idx, item in zip(_fortran_indices(shape), items):
            out[idx] = item
        return StructArr(out, fields=fields)


# ---- file names and options -----------------------------------------------------------------------

def _mat_name(filename) -> str:
    name = text_of(filename)
    if name is None:
        raise runtime_error("MATLAB:save:filenameNotString", "The file name must be a character vector or string.")
    return name if Path(name).suffix else name + ".mat"


def _select(names: list[str], available: list[str]) -> list[str]:
    """MATLAB's variable selection: names and ``*`` wildcards, in the order given."""
    out = []
    for pattern in names:
        if any(ch in pattern for ch in "*?["):
            out.extend(n for n in available if fnmatch.fnmatchcase(n, pattern) and n not in out)
        elif pattern not in out:
            out.append(pattern)
    return out


def save_variables(filename, variables: dict, *, version: str = "7", append: bool = False,
                   compress: bool = True) -> Path:
    """Write ``{name: MATLAB value}`` to ``filename`` (MAT-file ``version`` '4', '6', '7' or '7.3')."""
    path = check_write(filename, "save")
    for name in variables:
        if not name.isidentifier() or not name[0].isalpha():
            raise runtime_error("MATLAB:save:invalidVariableName", f"'{name}' is not a valid variable name.")
    if append and path.exists():
        old = load_variables(path, decode_networks=False)
        old.update(variables)
        variables = old
    writer = _Writer(path, version)
    data = {name: writer.value(v, name) for name, v in variables.items()}
    try:
        if version == "7.3":
            import matio

            matio.save_to_mat(str(path), data, version="v7.3", oned_as="row")
        else:
            from scipy.io import savemat

            savemat(str(path), data, format="4" if version == "4" else "5",
                    do_compression=compress and version == "7", oned_as="row")
    except (TypeError, ValueError) as exc:
        raise runtime_error("MATLAB:save:unsupported", f"Unable to write file '{filename}': {exc}") from None
    except OSError as exc:
        raise runtime_error("MATLAB:save:permissionDenied",
                            f"Unable to write file '{filename}': {exc.strerror or exc}.") from None
    return path


def _is_mat_file(path: Path) -> bool:
    if path.suffix.lower() == ".mat":
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(128)
    except OSError:
        return False
    return head.startswith(b"MATLAB") or head[:4] == b"\x00\x00\x00\x00"


def _load_ascii(path: Path) -> np.ndarray:
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, 1):
            text = line.split("%", 1)[0].replace(",", " ").strip()
            if not text:
                continue
            try:
                rows.append([float(x) for x in text.split()])
            except ValueError:
                raise runtime_error("MATLAB:load:unableToReadAscii",
                                    f"Unable to read file '{path}'. Input must be a MAT-file or an ASCII file "
                                    f"containing numeric data with same number of columns in each row "
                                    f"(line {line_no}).") from None
    if rows and any(len(r) != len(rows[0]) for r in rows):
        raise runtime_error("MATLAB:load:unableToReadAscii",
                            f"Unable to read file '{path}'. Input must be a MAT-file or an ASCII file containing "
                            "numeric data with same number of columns in each row.")
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(rows[0]) if rows else 0)


def load_variables(filename, names=(), *, decode_networks: bool = True) -> dict:
    """``{name: MATLAB value}`` from a MAT-file (v4-v7.3; networks converted) or a numeric text file."""
    name = str(filename)
    path = Path(name)
    if not path.exists() and not path.suffix:
        path = Path(name + ".mat")
    path = check_read(path, "load")
    if not path.exists():
        raise runtime_error("MATLAB:load:couldNotReadFile",
                            f"Unable to find file or directory '{filename}'.")
    if not _is_mat_file(path):
        stem = path.stem if path.stem.isidentifier() else "X"
        return {stem: _load_ascii(path)}
    from ...io.mat import loadmat

    try:
        raw = loadmat(path)
    except LayerGraphError as exc:
        raise runtime_error("MATLAB:load:notMatFile" if "not a MAT-file" in str(exc) else "layergraph:load:mat",
                            str(exc)) from None
    wanted = _select(list(names), list(raw)) if names else list(raw)
    reader = _Reader(path, decode_networks)
    out = {}
    for var in wanted:
        if var not in raw:
            sys.stdout.write(f"Warning: Variable '{var}' not found.\n")
            continue
        out[var] = reader.value(raw[var], var)
    return out


def _split_save_args(args) -> tuple[list, dict]:
    opts = {"version": "7", "append": False, "struct": None, "compress": True, "ascii": False, "double": False,
            "tabs": False}
    names = []
    items = [text_of(a) for a in args]
    if any(t is None for t in items):
        raise runtime_error("MATLAB:save:invalidInput", "Variable names and options must be character vectors or "
                                                        "strings.")
    i = 0
    while i < len(items):
        word = items[i]
        low = word.lower()
        if low in _VERSIONS:
            opts["version"] = _VERSIONS[low]
        elif low == "-append":
            opts["append"] = True
        elif low == "-nocompression":
            opts["compress"] = False
        elif low == "-mat":
            pass
        elif low == "-ascii":
            opts["ascii"] = True
        elif low == "-double":
            opts["double"] = True
        elif low == "-tabs":
            opts["tabs"] = True
        elif low == "-struct":
            if i + 1 >= len(items):
                raise runtime_error("MATLAB:save:missingStructName", "The -struct option needs a structure name.")
            opts["struct"] = (items[i + 1], [])
            i += 1
            while i + 1 < len(items) and not items[i + 1].startswith("-"):
                opts["struct"][1].append(items[i + 1])
                i += 1
        elif low.startswith("-"):
            raise runtime_error("MATLAB:save:unsupportedOption", f"save: the option '{word}' is not supported by "
                                                                 "layergraph (supported: -v7, -v6, -v4, -v7.3, "
                                                                 "-append, -struct, -nocompression, -mat, -ascii, "
                                                                 "-double, -tabs).")
        else:
            names.append(word)
        i += 1
    return names, opts


def _caller_variables(frame) -> dict:
    """The MATLAB variables of the Python code that called ``save`` without ``workspace=`` (a translated
    program's function or script): its local names holding MATLAB values (no modules, functions, classes
    or ``_private`` names)."""
    from ...values import Categorical, Table

    plain = (np.ndarray, str, bool, int, float, np.number, Cell, StrArr, Struct, StructArr, Categorical, Table)
    return {name: value for name, value in frame.f_locals.items()
            if not name.startswith("_") and (isinstance(value, plain) or _network_class(value) is not None)}


@matlab_function("save", outputs=(), base=True)
def save(filename="matlab.mat", *args, workspace: dict | None = None):
    """MATLAB ``save(filename, vars..., options...)``: the variables of ``workspace`` (all of them when no
    names are given) to a MAT-file; ``'-struct', 's'`` saves the fields of struct ``s``; ``'-append'``,
    ``'-v7'`` (default), ``'-v6'``, ``'-v4'``, ``'-v7.3'``, ``'-nocompression'``. From Python pass the
    variables as ``workspace={'a': a, ...}``; without it, the calling function's local variables are the
    workspace (what a translated program's ``ml.save('f.mat', 'a')`` means)."""
    workspace = dict(workspace) if workspace is not None else _caller_variables(sys._getframe(1))
    fname = _mat_name(filename)
    names, opts = _split_save_args(args)
    if opts["struct"] is not None:
        sname, fields = opts["struct"]
        s = workspace.get(sname)
        if not isinstance(s, Struct):
            raise runtime_error("MATLAB:save:notScalarStruct",
                                f"The argument to -struct must be the name of a scalar structure variable ('{sname}').")
        chosen = _select(fields, list(s.fields)) if fields else list(s.fields)
        missing = [f for f in chosen if f not in s.fields]
        if missing:
            raise runtime_error("MATLAB:save:fieldNotFound", f"Field '{missing[0]}' not found in '{sname}'.")
        variables = {f: s.fields[f] for f in chosen}
    else:
        chosen = _select(names, list(workspace)) if names else [n for n in workspace if not n.startswith("_")]
        missing = [n for n in chosen if n not in workspace]
        if missing:
            raise runtime_error("MATLAB:save:variableNotFound", f"Variable '{missing[0]}' not found.")
        variables = {n: workspace[n] for n in chosen}
    if opts["ascii"]:
        _save_ascii(text_of(filename) or fname, variables, double=opts["double"], tabs=opts["tabs"],
                    append=opts["append"])
        return
    save_variables(fname, variables, version=opts["version"], append=opts["append"], compress=opts["compress"])


def _save_ascii(filename: str, variables: dict, *, double: bool, tabs: bool, append: bool) -> None:
    """``save f.txt x -ascii``: each numeric (or char, as codes) variable's rows, 8 significant digits in
    ``%16.7e`` (``-double``: 16 digits, ``%24.15e``); ``-tabs`` separates the values with tabs."""
    path = check_write(filename, "save")
    fmt = "%.15e" if double else "%.7e"
    width = 24 if double else 16
    lines = []
    for name, v in variables.items():
        if isinstance(v, str):
            a = np.array([[float(ord(ch)) for ch in v]]) if v else np.zeros((0, 0))
        elif isinstance(v, np.ndarray) and v.dtype != object:
            a = v.reshape(v.shape[0], -1, order="F") if v.ndim > 2 else v
        else:
            raise runtime_error("MATLAB:save:asciiNonNumeric",
                                f"Variable '{name}' is not numeric or char and cannot be saved with -ascii.")
        for row in np.asarray(a, dtype=np.float64):
            if tabs:
                lines.append("\t".join(fmt % x for x in row))
            else:
                lines.append("".join((fmt % x).rjust(width) for x in row))
    try:
        with open(path, "a" if append else "w", encoding="ascii") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))
    except OSError as exc:
        raise runtime_error("MATLAB:save:permissionDenied",
                            f"Unable to write file '{filename}': {exc.strerror or exc}.") from None


@matlab_function("load", outputs=("S",), base=True, nargout_aware=True)
def load(filename="matlab.mat", *args, nargout: int = 1):
    """MATLAB ``S = load(filename, vars...)``: a struct of the file's variables (a MAT-file, networks
    converted; ``'-mat'``/``'-ascii'`` accepted); for a numeric text file, the matrix. Loading into a
    workspace (``load f.mat`` without an output) is :func:`load_into`."""
    fname = text_of(filename)
    if fname is None:
        raise runtime_error("MATLAB:load:filenameNotString", "The file name must be a character vector or string.")
    names = [text_of(a) for a in args]
    if any(n is None for n in names):
        raise runtime_error("MATLAB:load:invalidInput", "Variable names must be character vectors or strings.")
    names = [n for n in names if n.lower() not in ("-mat", "-ascii")]
    variables = load_variables(fname, names)
    path = Path(fname)
    if path.exists() and not _is_mat_file(path):
        return next(iter(variables.values()))
    return Struct(variables)


def load_into(workspace: dict, filename="matlab.mat", *args) -> list[str]:
    """``load filename vars...`` without an output: the variables go into ``workspace``; returns their names."""
    fname = text_of(filename)
    names = [n for n in (text_of(a) or "" for a in args) if n.lower() not in ("-mat", "-ascii")]
    variables = load_variables(fname, names)
    workspace.update(variables)
    return list(variables)


# ---- the interpreter's workspace-aware forms ----------------------------------------------------------

def _guarded(interp, node, name, fn, *args, **kwargs):
    """Call ``fn``; its MATLAB errors become the interpreter's located ``Error using name``."""
    from ...errors import MatlabRuntimeError

    try:
        return fn(*args, **kwargs)
    except MatlabRuntimeError as exc:
        raise interp.runtime_error(node, exc.message, exc.identifier, using=name) from None
    except LayerGraphError as exc:
        raise interp.runtime_error(node, str(exc), "layergraph:policy" if "not allowed" in str(exc) else "",
                                   using=name) from None


def _frame_save(interp, frame, args, nargout, node):
    if not interp.run_mode:   # porting: nothing is written
        return []
    visible = {k: v for k, v in frame.vars.items() if not k.startswith("_")}
    _guarded(interp, node, "save", save, *args, workspace=visible)
    return []


def _frame_load(interp, frame, args, nargout, node):
    if not interp.run_mode:   # porting: the file's data are not read
        from ..values import Opaque

        interp.warn(node, "'load' reads a file the porter does not read; its result is treated as opaque data")
        return [Opaque(f"load at {interp.where(node)}", missing="load")] * max(nargout, 1)
    if nargout >= 1:
        return [_guarded(interp, node, "load", load, *args)]
    _guarded(interp, node, "load", load_into, frame.vars, *args)
    return []


FRAME_FUNCTIONS = {"save": _frame_save, "load": _frame_load}

__all__ = ["save", "load", "load_into", "save_variables", "load_variables", "FRAME_FUNCTIONS", "NETWORK_MARKER"]
