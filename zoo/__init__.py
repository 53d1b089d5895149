"""gan-zoo: generative adversarial networks on Keras 3, with pretrained weights.

Examples:
>>> import zoo
>>> zoo.list_models("dcgan-*")
['dcgan-fashion-mnist', 'dcgan-mnist']
>>> zoo.load("dcgan-mnist").sample(64, seed=0).shape
(64, 28, 28, 1)
"""

from zoo.errors import TrainingDivergedError, UnknownModelError, WeightsIntegrityError, ZooError
from zoo.model import ZooModel, load
from zoo.registry import info, list_models

__version__ = "0.1.0"
__all__ = [
    "list_models",
    "info",
    "load",
    "ZooModel",
    "ZooError",
    "UnknownModelError",
    "WeightsIntegrityError",
    "TrainingDivergedError",
]
