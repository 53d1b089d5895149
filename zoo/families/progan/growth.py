"""Growth state shared by the ProGAN generator and discriminator.

Both networks are built once with every block of the final resolution, so a
growing run keeps the weights of the lower-resolution blocks by construction.
Which sub-path a call evaluates is a small piece of state on the model:

* ``resolution`` (Python int): the active output (G) / input (D) resolution;
* ``fading`` (Python bool): whether the newest block is being faded in;
* ``alpha`` (non-trainable scalar variable): the fade-in weight of the newest
  block, 0 -> old path only, 1 -> new block only.

``resolution`` and ``fading`` choose the graph (a compiled step is traced once
per phase); ``alpha`` is a variable so it changes every step without a retrace
and is saved with the model's other variables. A freshly built model is at
the final resolution, not fading, alpha 1: exactly the exported graph.

``set_growth`` also marks the layers the active sub-path does not use as
non-trainable, so ``trainable_variables`` lists exactly the variables that get
gradients in the current phase. Until it is first called every layer is
trainable, so an optimiser built on a fresh model has slots for all of them.
"""

from __future__ import annotations

import math


class GrowthMixin:
    """Adds ``resolution`` / ``fading`` / ``alpha`` and ``set_growth`` to a ProGAN model.

    The model must define ``_growth_layers(level, fading) -> (active, all)``,
    two lists of the layers that depend on the growth state.
    """

    def _init_growth(self, resolution: int) -> None:
        self.final_resolution = int(resolution)
        self.num_levels = levels_for(resolution)
        self.resolution = int(resolution)
        self.fading = False
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="ones", trainable=False)

    @property
    def level(self) -> int:
        """Index of the active resolution: 0 for 4x4, 1 for 8x8, ..."""
        return levels_for(self.resolution) - 1

    @property
    def growth(self) -> tuple:
        """(resolution, fading): what selects the graph."""
        return (self.resolution, self.fading)

    def set_growth(self, resolution: int, fading: bool = False, alpha: float | None = None) -> None:
        """Selects the active sub-path (and optionally the fade-in alpha).

        Args:
            resolution: 4, 8, ... up to the final resolution.
            fading: blend the block of ``resolution`` with the path of
                ``resolution // 2`` by ``alpha``; needs ``resolution > 4``.
            alpha: new value of the ``alpha`` variable; None leaves it.
        """
        level = levels_for(resolution) - 1
        if not 0 <= level < self.num_levels:
            raise ValueError(f"resolution must be a power of two in [4, {self.final_resolution}], got {resolution}")
        if fading and level == 0:
            raise ValueError("the 4x4 network has nothing to fade from")
        self.resolution, self.fading = int(resolution), bool(fading)
        active, every = self._growth_layers(level, self.fading)
        active_ids = {id(layer) for layer in active}
        for layer in every:
            layer.trainable = id(layer) in active_ids
        if alpha is not None:
            self.alpha.assign(float(alpha))


def levels_for(resolution: int) -> int:
    """Number of resolutions from 4 up to ``resolution`` (4 -> 1, 32 -> 4)."""
    levels = math.log2(resolution) - 1
    if resolution < 4 or levels != int(levels):
        raise ValueError(f"resolution must be a power of two >= 4, got {resolution}")
    return int(levels)
