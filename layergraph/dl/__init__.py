"""Custom training loops the MATLAB way: dlarray, dlfeval/dlgradient, function-form deep learning
operations, update rules, minibatchqueue and the training progress monitor."""

from .dlarray import (
    DLArray,
    DLArrayError,
    dlarray,
    dims,
    extractdata,
    finddim,
    gather,
    isdlarray,
    stripdims,
)
from .autodiff import dlfeval, dlgradient

__all__ = [
    "DLArray", "DLArrayError", "dlarray", "dims", "extractdata", "finddim", "gather", "isdlarray", "stripdims",
    "dlfeval", "dlgradient",
]

from ..learnables import set_value_wrapper as _set_value_wrapper


def _wrap_network_tensor(src):
    return DLArray(None, "", torch_data=src.tensor, convert=src.to_matlab, source=src)


_set_value_wrapper(_wrap_network_tensor)
