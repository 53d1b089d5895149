"""The options of one training run: :class:`TrainConfig`, validated on construction."""

from __future__ import annotations

import dataclasses
import numbers
from pathlib import Path

from zoo.errors import ZooError
from zoo.registry import PRECISIONS

# (field, how the command line spells it, smallest value, None allowed). Checked in one place,
# before anything is built or written: without it a batch size of 0 silently meant the recipe's
# (`0 or recipe.batch_size`), --max-steps 0 wrote an untrained final/ and --checkpoint-every 0
# died with ZeroDivisionError after the first step.
_LIMITS = (
    ("epochs", "--epochs", 1, True),
    ("batch_size", "--batch-size", 1, True),
    ("max_steps", "--max-steps", 1, True),
    ("checkpoint_every", "--checkpoint-every", 1, False),
    ("log_every", "log_every", 1, False),
    ("eval_every_images", "--eval-every-kimg (as images)", 0, True),
    ("eval_samples", "--eval-samples", 1, False),
)


class TrainConfigError(ZooError, ValueError):
    """A :class:`TrainConfig` value is out of range or contradicts another."""


@dataclasses.dataclass
class TrainConfig:
    """Run options (the architecture and optimiser come from the preset's recipe).

    Sizes are validated on construction (:class:`TrainConfigError`, one line
    naming the option), so nothing is built or written for a bad one.

    Examples:
    >>> TrainConfig(out_dir="run", batch_size=0)
    Traceback (most recent call last):
    ...
    zoo.training.config.TrainConfigError: --batch-size must be an integer >= 1, got 0
    """

    out_dir: Path
    data_dir: str | None = None
    epochs: int | None = None  # None: the recipe's
    batch_size: int | None = None  # None: the recipe's
    max_steps: int | None = None  # stop early after this many steps in total
    checkpoint_every: int = 500
    log_every: int = 25
    resume: bool = False
    force: bool = False
    progress: bool = True
    tensorboard: bool = True
    jit_compile: bool = False
    strategy: str | None = None  # zoo.training.distribute.STRATEGIES; None: one device
    precision: str | None = None  # None: the recipe's (zoo.registry.PRECISIONS)
    eval_every_images: int | None = None  # None: the recipe's eval_every_kimg; 0: no evaluation
    eval_samples: int = 5000  # generated images per evaluation

    def __post_init__(self):
        self.out_dir = Path(self.out_dir)
        for field, flag, low, optional in _LIMITS:
            value = getattr(self, field)
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise TrainConfigError(f"{flag} must be an integer >= {low}, got {value!r}")
        if self.resume and self.force:
            raise TrainConfigError("--resume and --force exclude each other: --resume continues the run in the "
                                   "folder, --force deletes it and starts over")
        if self.precision is not None and self.precision not in PRECISIONS:
            raise TrainConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
