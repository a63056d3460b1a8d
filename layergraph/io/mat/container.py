"""Reading the MAT-file container (v4, v6/v7, v7.3) and MATLAB's object subsystem through mat-io.

MATLAB: ``S = load('file.mat')``. The result is ``{variable: value}`` with plain data as
``scipy.io.loadmat`` gives it (numeric, char and logical arrays in MATLAB's column-major shape,
structs as NumPy structured arrays, cells as object arrays) and MATLAB objects as :class:`MatObject`
(class name + properties) or :class:`MatObjectArray`, which :mod:`layergraph.io.mat.decode` turns into
networks, layers and options.

mat-io (PyPI ``mat-io``, import name ``matio``) decodes the container and the subsystem. Its known
defects are worked around here, in :class:`_Subsystem`:

- in a heterogeneous object array (a layer array) mat-io labels every element with the array's class
  (``nnet.cnn.layer.Layer``); we take each object's own class from the subsystem's object metadata;
- mat-io merges the class's default property values into every object; for objects saved through a
  save method (networks, built-in layers, training options) we read only the saved value (``any``),
  so a field the file does not hold is never invented;
- mat-io reports unreadable variables and objects as warnings and placeholder values; we raise
  :class:`~layergraph.errors.MatFileError` naming the file and variable instead;
- categorical arrays are converted by us (codes, category names, ordinal flag and 2-D shape are kept;
  mat-io's pandas conversion flattens the shape).
"""

from __future__ import annotations

import sys
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import MatFileError

MIN_PYTHON = (3, 11)
MIN_NUMPY = (2, 2)


def _numpy_version() -> tuple:
    parts = []
    for part in np.__version__.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def require_reader(python=None, numpy_version=None) -> None:
    """Raise MatFileError unless the object reader (mat-io) can run: Python >= 3.11 and NumPy >= 2.2."""
    python = tuple(sys.version_info[:2]) if python is None else tuple(python)
    numpy_version = _numpy_version() if numpy_version is None else tuple(numpy_version)
    problems = []
    if python < MIN_PYTHON:
        problems.append(f"Python {python[0]}.{python[1]} (needs 3.11 or newer)")
    if numpy_version < MIN_NUMPY:
        problems.append(f"NumPy {numpy_version[0]}.{numpy_version[1]} (needs 2.2 or newer)")
    if problems:
        raise MatFileError(
            "Reading MATLAB objects from .mat files needs the [mat] extra (mat-io), which requires Python >= 3.11 "
            f"and NumPy >= 2.2; this environment has {' and '.join(problems)}."
        )
    try:
        import matio  # noqa: F401
    except ImportError:
        raise MatFileError(
            "Reading .mat files needs the [mat] extra: pip install 'layergraph[mat]' (mat-io, scipy, h5py)."
        ) from None


@dataclass(eq=False)
class MatObject:
    """A MATLAB object as saved: its own class name and its saved properties (never executed).

    ``saved_struct`` is True when the object was saved through its class's save method: then
    ``properties`` holds ``{'any': <the struct it returned>}``.
    """

    classname: str
    properties: dict | None = None
    saved_struct: bool = False

    # MATLAB code holding one may touch nothing: it is data of a class layergraph does not model
    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    @property
    def saved(self):
        """The struct the save method returned, as a dict of fields (None for a plain property map)."""
        if not self.saved_struct:
            return None
        value = (self.properties or {}).get("any")
        if isinstance(value, np.ndarray) and value.dtype.names and value.size == 1:
            return {name: value.flat[0][name] for name in value.dtype.names}
        return None

    def __repr__(self) -> str:
        return f"MatObject({self.classname})"


@dataclass(eq=False)
class MatObjectArray:
    """An array of MATLAB objects (e.g. a layer array): ``classname`` is the array's class."""

    classname: str
    shape: tuple
    items: list = field(default_factory=list)  # column-major order, as MATLAB stores them

    MATLAB_PROPERTIES = ()
    MATLAB_SETTABLE = ()
    MATLAB_METHODS = ()

    def __repr__(self) -> str:
        return f"MatObjectArray({self.classname}, {'x'.join(map(str, self.shape))})"


@dataclass
class MatCategorical:
    """A categorical array as stored: 0-based codes (-1 undefined), category names, ordinal flag, shape."""

    codes: np.ndarray
    categories: list
    ordinal: bool = False


def _string(value) -> str:
    """A MATLAB char row or string scalar as str."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return ""
        if value.dtype.kind in "UST" or value.dtype == object:
            if value.size == 1:
                item = value.flat[0]
                return _string(item) if not isinstance(item, str) else str(item)
            return "".join(str(v) for v in value.ravel(order="F"))
    return str(value)


def _make_subsystem_class():
    from matio.subsystem.subsys import MatSubsystem
    from matio.utils.matconvert import convert_mat_to_py, matlab_classdef_types

    class _Subsystem(MatSubsystem):
        """mat-io's subsystem reader with the workarounds listed in the module docstring."""

        def __init__(self, byte_order, path):
            super().__init__(byte_order, raw_data=False, add_table_attrs=False)
            self.path = path

        def load_subsystem(self, subsystem_data):
            try:
                for name in subsystem_data.dtype.names or ():
                    if name == "MCOS":
                        self.load_mcos_data(subsystem_data[0, 0][name])
            except Exception as exc:
                raise MatFileError(f"{self.path}: the MATLAB object data (subsystem) cannot be read: {exc}") from None

        def load_opaque_object(self, metadata, type_system, classname=None):
            if type_system != "MCOS":
                raise MatFileError(
                    f"{self.path}: holds a {type_system} object{' of class ' + classname if classname else ''}, "
                    "which cannot be read (only MATLAB class objects can)."
                )
            if self.version is None:
                raise MatFileError(f"{self.path}: holds MATLAB objects but no object data (subsystem) to read them from.")
            if metadata.dtype.names:
                return super().load_mcos_enumeration(metadata, type_system)
            return self.load_mcos_object(metadata, type_system)

        def load_mcos_object(self, metadata, type_system="MCOS"):
            metadata = np.atleast_2d(metadata)
            ndims = int(metadata[1, 0])
            dims = tuple(int(d) for d in metadata[2 : 2 + ndims, 0])
            count = int(np.prod(dims))
            object_ids = [int(i) for i in metadata[2 + ndims : 2 + ndims + count, 0]]
            array_class = self.get_classname(int(metadata[-1, 0]))
            items = [self._object(i) for i in object_ids]
            if len(items) == 1 and dims == (1, 1):
                return items[0]
            return MatObjectArray(array_class, dims, items)

        def _object(self, object_id):
            if object_id == 0:
                return None  # a deleted handle
            if object_id in self.mcos_object_cache:
                return self.mcos_object_cache[object_id]
            class_id, saveobj_id, normobj_id, _ = self.get_object_metadata(object_id)
            classname = self.get_classname(class_id)  # the object's own class, not the array's
            if classname == "categorical":
                props = self.get_properties(object_id)
                obj = _categorical_from_props(props)
            elif classname in matlab_classdef_types:
                obj = convert_mat_to_py(self.get_properties(object_id), classname, byte_order=self.byte_order,
                                        add_table_attrs=False)
            else:
                obj = MatObject(classname, None, bool(saveobj_id))
                self.mcos_object_cache[object_id] = obj  # before reading properties: objects may refer back
                if saveobj_id:
                    obj.properties = self.get_saved_properties(saveobj_id, True)
                    obj.properties.update(self.get_dynamic_properties(self.get_object_metadata(object_id)[3]))
                else:
                    # properties equal to the class default are not saved: the defaults complete them
                    obj.properties = self.get_properties(object_id)
            self.mcos_object_cache[object_id] = obj
            return obj

    return _Subsystem


def _categorical_from_props(props) -> MatCategorical:
    names = props.get("categoryNames")
    categories = [] if names is None else [_string(n) for n in np.asarray(names, dtype=object).ravel(order="F")]
    codes = props.get("codes")
    codes = np.zeros((0, 0), dtype=np.int64) if codes is None else np.asarray(codes).astype(np.int64) - 1
    ordinal = props.get("isOrdinal")
    ordinal = bool(np.asarray(ordinal).ravel()[0]) if ordinal is not None and np.asarray(ordinal).size else False
    return MatCategorical(np.atleast_2d(codes), categories, ordinal)


def _read_v5(path: Path, subsystem_offset, byte_order) -> dict:
    from io import BytesIO

    from matio.utils.matheaders import check_mat_version
    from matio.v5.matreader5 import MatFile5Reader

    subsystem_cls = _make_subsystem_class()
    with open(path, "rb") as f:
        subsystem = None
        if subsystem_offset > 0:
            f.seek(subsystem_offset)
            outer = MatFile5Reader(f, byte_order=byte_order)
            outer.initialize_read()
            hdr, _ = outer.read_var_header()
            stream = BytesIO(outer.read_var_array(hdr, False))
            inner_order, _ = check_mat_version(stream.read(4))
            stream.read(4)
            reader = MatFile5Reader(stream, byte_order=inner_order)
            reader.initialize_read()
            hdr, _ = reader.read_var_header()
            subsystem = subsystem_cls(inner_order, str(path))
            subsystem.load_subsystem(reader.read_var_array(hdr, False))
        reader = MatFile5Reader(f, byte_order=byte_order, subsystem=subsystem)
        reader.mat_stream.seek(128)
        reader.initialize_read()
        variables = {}
        while not reader.end_of_stream():
            hdr, next_position = reader.read_var_header()
            name = hdr.name.decode("latin1")
            if name == "":
                reader.mat_stream.seek(next_position)
                continue
            try:
                variables[name] = reader.read_var_array(hdr, True)
            except MatFileError:
                raise
            except Exception as exc:
                raise MatFileError(f"{path}: variable '{name}' cannot be read ({type(exc).__name__}: {exc}).") from None
            reader.mat_stream.seek(next_position)
    return variables


def _read_v73(path: Path, byte_order) -> dict:
    import h5py
    from matio.utils.matheaders import MAT_HDF_REFS_GROUP, MAT_HDF_SUBSYS_GROUP
    from matio.v7.matreader7 import MatRead7

    subsystem_cls = _make_subsystem_class()
    variables = {}
    with h5py.File(path, "r") as f:
        subsystem = None
        if MAT_HDF_SUBSYS_GROUP in f:
            data = MatRead7(f, None).read_struct(f[MAT_HDF_SUBSYS_GROUP])
            subsystem = subsystem_cls(byte_order, str(path))
            subsystem.load_subsystem(data)
        reader = MatRead7(f, subsystem)
        for name in f:
            if name in (MAT_HDF_REFS_GROUP, MAT_HDF_SUBSYS_GROUP):
                continue
            try:
                variables[name] = reader.read_h5_data(f[name])
            except MatFileError:
                raise
            except Exception as exc:
                raise MatFileError(f"{path}: variable '{name}' cannot be read ({type(exc).__name__}: {exc}).") from None
    return variables


def read_mat_file(path) -> tuple[dict, str]:
    """``({name: raw value}, format)`` of a MAT-file; format is 'v4', 'v7' (v6 and v7) or 'v7.3'."""
    require_reader()
    from matio.utils.matheaders import MAT_FILE_VERSIONS, read_mat_header
    from matio.v4 import loadmat4

    path = Path(path)
    if not path.exists():
        raise MatFileError(f"{path}: no such file")
    if path.is_dir():
        raise MatFileError(f"{path}: is a directory, not a MAT-file")
    size = path.stat().st_size
    if size < 4:
        raise MatFileError(f"{path}: not a MAT-file (the file has only {size} bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            offset, version, byte_order = read_mat_header(path)
    except Exception:
        raise MatFileError(f"{path}: not a MAT-file (no MATLAB MAT-file header)") from None
    if version != MAT_FILE_VERSIONS.V4:
        with open(path, "rb") as f:
            head = f.read(128)
        if len(head) < 128:
            raise MatFileError(f"{path}: not a MAT-file or truncated (header of {len(head)} of 128 bytes)")
        if version == MAT_FILE_VERSIONS.V5 and offset >= size:
            raise MatFileError(f"{path}: truncated MAT-file (the object data should start at byte {offset}, "
                               f"but the file has {size} bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if version == MAT_FILE_VERSIONS.V4:
                variables, fmt = loadmat4(path, byte_order, None), "v4"
                variables.pop("__globals__", None)
            elif version == MAT_FILE_VERSIONS.HDF:
                variables, fmt = _read_v73(path, byte_order), "v7.3"
            else:
                variables, fmt = _read_v5(path, offset, byte_order), "v7"
    except MatFileError:
        raise
    except (zlib.error, EOFError, ValueError, OSError, IndexError, KeyError, TypeError) as exc:
        raise MatFileError(f"{path}: truncated or corrupt MAT-file ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # mat-io's own MatReadError and anything else from a damaged file
        raise MatFileError(f"{path}: cannot read the MAT-file ({type(exc).__name__}: {exc})") from None
    return variables, fmt


__all__ = ["MatObject", "MatObjectArray", "MatCategorical", "read_mat_file", "require_reader"]
