"""Training and prediction the MATLAB way: trainingOptions, trainNetwork, trainnet, classify, predict, ...

See docs/readme/training.md.
"""

from .options import TrainingOptions, trainingOptions
from .loop import TrainingInfo, trainNetwork, trainnet
from .checkpoint import Checkpoint, loadCheckpoint

__all__ = ["TrainingOptions", "trainingOptions", "TrainingInfo", "trainNetwork", "trainnet", "Checkpoint",
           "loadCheckpoint"]
from .predict import activations, classify, minibatchpredict, predict, scores2label, testnet

__all__ += ["activations", "classify", "minibatchpredict", "predict", "scores2label", "testnet"]
