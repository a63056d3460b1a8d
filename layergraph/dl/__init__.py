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
from .network_api import dlupdate, forward, initialize, predict, resetState
from .ops import (
    attention, avgpool, batchnorm, binarycrossentropy, crossentropy, dlconv, dltranspconv, dropout, embed,
    fullyconnect, gelu, groupnorm, gru, huber, instancenorm, l1loss, l2loss, layernorm, leakyrelu, lstm, maxpool,
    mse, onehotdecode, padsequences, relu, sigmoid, softmax,
)
from .queue import MiniBatchQueue, hasdata, mbq_next, minibatchqueue, reset, shuffle
from .monitor import (
    AnimatedLine, TrainingProgressMonitor, addpoints, animatedline, drawnow, groupSubPlot, recordMetrics,
    trainingProgressMonitor, updateInfo,
)
from . import methods as _methods  # noqa: F401  (dlarray's MATLAB methods: the registry dispatches on dlarrays)
from .updates import LBFGSState, adamupdate, lbfgsState, lbfgsupdate, rmspropupdate, sgdmupdate

__all__ = [
    "DLArray", "DLArrayError", "dlarray", "dims", "extractdata", "finddim", "gather", "isdlarray", "stripdims",
    "dlfeval", "dlgradient", "forward", "predict", "initialize", "resetState", "dlupdate",
    "attention", "avgpool", "batchnorm", "binarycrossentropy", "crossentropy", "dlconv", "dltranspconv", "dropout",
    "embed", "fullyconnect", "gelu", "groupnorm", "gru", "huber", "instancenorm", "l1loss", "l2loss", "layernorm",
    "leakyrelu", "lstm", "maxpool", "mse", "onehotdecode", "padsequences", "relu", "sigmoid", "softmax",
    "MiniBatchQueue", "minibatchqueue", "hasdata", "mbq_next", "reset", "shuffle",
    "TrainingProgressMonitor", "trainingProgressMonitor", "recordMetrics", "updateInfo", "groupSubPlot",
    "AnimatedLine", "animatedline", "addpoints", "drawnow",
    "adamupdate", "sgdmupdate", "rmspropupdate", "lbfgsupdate", "lbfgsState", "LBFGSState",
]

from ..learnables import set_value_wrapper as _set_value_wrapper


def _wrap_network_tensor(tensor, convert, source):
    return DLArray(None, "", torch_data=tensor, convert=convert, source=source)


_set_value_wrapper(_wrap_network_tensor)
