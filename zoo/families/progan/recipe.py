"""ProGAN's training recipe: the shared optimiser fields plus the growth schedule and WGAN-GP weights."""

from __future__ import annotations

import dataclasses

from zoo.families.progan.schedule import GrowthSchedule
from zoo.registry import TrainRecipe


@dataclasses.dataclass(frozen=True)
class ProGANRecipe(TrainRecipe):
    """A :class:`zoo.registry.TrainRecipe` with ProGAN's schedule and loss weights.

    The schedule is part of the recipe (plain data, written into cards by
    ``to_dict``), so a test or a preset can swap in a tiny one with
    ``dataclasses.replace``.

    Args:
        schedule: the growth schedule (images per fade-in / stabilisation phase).
        gp_weight: WGAN-GP gradient penalty weight lambda (10).
        drift_weight: epsilon of the drift term ``eps * D(x_real)**2`` (0.001).
        gp_every: the penalty on every ``gp_every``-th step only, weighted ``gp_weight * gp_every``
            (lazy regularisation, as StyleGAN2 does for R1); 1: every step, the paper's.

    Examples:
    >>> r = ProGANRecipe(batch_size=64, schedule=GrowthSchedule(fade_images=30_000, stabilise_images=30_000))
    >>> r.to_dict()["schedule"]["fade_images"]
    30000
    """

    schedule: GrowthSchedule = GrowthSchedule()
    gp_weight: float = 10.0
    drift_weight: float = 1e-3
    gp_every: int = 1
