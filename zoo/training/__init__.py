"""Training: the step contract, the train state, the compiled step, the trainer and checkpoints.

Public API: :class:`~zoo.training.step.GANStep` (what a family implements),
:class:`TrainState` (what a step updates), :func:`build_train_step` (the
compiled step on the active backend) and ``zoo.training.trainer.Trainer``
(the run: data, checkpoints, logs, ``final/``).
"""

from zoo.training.backends import build_train_step
from zoo.training.state import TrainState
from zoo.training.step import GANStep, StepCost

__all__ = ["GANStep", "StepCost", "TrainState", "build_train_step"]
