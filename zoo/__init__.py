"""gan-zoo: generative adversarial networks on Keras 3, with pretrained weights.

Examples:
>>> import zoo
>>> zoo.list_models("dcgan-*")
['dcgan-fashion-mnist', 'dcgan-mnist']
>>> zoo.load("dcgan-mnist").sample(64, seed=0).shape
(64, 28, 28, 1)

``import zoo`` itself does not import Keras or TensorFlow (so ``gan-zoo --help``
answers at once): the names below load on first use, and the families'
serializable classes register as soon as Keras is imported, so
``keras.saving.load_model("g.keras")`` works after a plain ``import zoo``.
"""

import importlib
import importlib.abc
import importlib.util
import sys

from zoo.errors import TrainingDivergedError, UnknownModelError, WeightsIntegrityError, ZooError
from zoo.lazy import lazy_exports

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

# Public names that need Keras, and the module each comes from (imported on first use).
_LAZY = {"load": "zoo.model", "ZooModel": "zoo.model", "info": "zoo.registry", "list_models": "zoo.registry"}
_registered = False


# (the lambda looks register_serializables up when it runs: it is defined below)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, on_load=lambda: register_serializables())


def register_serializables() -> None:
    """Imports every family, which registers its Keras-serializable classes
    (``@keras.saving.register_keras_serializable``). Idempotent."""
    global _registered
    if _registered:
        return
    _registered = True
    from zoo import registry

    registry.list_models()  # loads every family's presets, hence its model and layer modules


def _initializing(prefixes, but: str) -> bool:
    """Whether a module under one of ``prefixes``, other than ``but``, is part-way through its import."""
    for name, module in list(sys.modules.items()):
        if name != but and name.split(".")[0] in prefixes and getattr(getattr(module, "__spec__", None), "_initializing", False):
            return True
    return False


class _RegisterAfterKeras(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Registers the zoo's classes right after ``keras`` is first imported, unless a zoo, Keras or
    TensorFlow module is still part-way through its own import (then the zoo module that needed
    Keras registers them through :func:`__getattr__` or the registry)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; also keeps find_spec below from finding this finder
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        if not _initializing({"zoo", "keras", "tensorflow", "jax", "torch"}, but="keras"):
            register_serializables()


if "keras" in sys.modules:
    register_serializables()
elif not any(isinstance(f, _RegisterAfterKeras) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterKeras())
