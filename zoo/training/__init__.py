"""Training: the step contract, the train state, the compiled step, the trainer and checkpoints.

Public API: :class:`~zoo.training.step.GANStep` (what a family implements),
:class:`TrainState` (what a step updates), :func:`build_train_step` (the
compiled step on the active backend) and ``zoo.training.trainer.Trainer``
(the run: data, checkpoints, logs, ``final/``).

The names load on first use, so light submodules (``zoo.training.distribute``'s
``STRATEGIES``, read by the ``gan-zoo`` parser) import without Keras.
"""

from zoo.lazy import lazy_exports

__all__ = ["GANStep", "StepCost", "TrainState", "build_train_step"]

_LAZY = {
    "build_train_step": "zoo.training.backends",
    "TrainState": "zoo.training.state",
    "GANStep": "zoo.training.step",
    "StepCost": "zoo.training.step",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
