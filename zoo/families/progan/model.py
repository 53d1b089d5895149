"""`ProGANModel`: the zoo model with access to the grown model's intermediate resolutions."""

from __future__ import annotations

import keras
import numpy as np

from zoo.model import ZooModel, to_uint8


class ProGANModel(ZooModel):
    """A ProGAN zoo entry; ``sample(n, resolution=R)`` gives the R x R output.

    ``generator`` is the final-resolution, alpha = 1 graph (what export
    traces). The intermediate outputs come from the same weights through the
    lower blocks and their own toRGB layers, which stopped training when the
    next resolution had faded in, so they show the model as it was at that
    stage of growth on top of the blocks' later training.

    Examples:
    >>> import zoo
    >>> m = zoo.load("progan-fashion-mnist", weights=None)
    >>> m.sample(4, seed=0).shape, m.sample(4, seed=0, resolution=8).shape
    ((4, 32, 32, 1), (4, 8, 8, 1))
    >>> m.growth_strip([0, 1]).shape  # 4 resolutions x 2 seeds, each at 32x32
    (8, 32, 32, 1)
    """

    @property
    def resolutions(self) -> tuple:
        """The resolutions ``sample`` accepts: 4, 8, ... up to the final one."""
        return tuple(4 * 2**i for i in range(self.generator.num_levels))

    def sample(self, n: int, seed: int | None = 0, batch_size: int = 256, resolution: int | None = None,
               as_uint8: bool = False) -> np.ndarray:
        """``n`` images in [-1, 1]: (n, 32, 32, 1), or (n, R, R, 1) with ``resolution=R``;
        ``as_uint8=True``: uint8 0..255 instead (``zoo.model.to_uint8``)."""
        if resolution is None or resolution == self.generator.final_resolution:
            return super().sample(n, seed, batch_size, as_uint8=as_uint8)
        if resolution not in self.resolutions:
            raise ValueError(f"resolution must be one of {self.resolutions}, got {resolution}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        z = self._check_inputs(self.sample_latents(n, seed))["z"]
        out = [keras.ops.convert_to_numpy(self.generator.generate_at(z[i : i + batch_size], resolution))
               for i in range(0, n, batch_size)]
        channels = self.image_shape[-1]
        images = np.concatenate(out) if out else np.zeros((0, resolution, resolution, channels), np.float32)
        images = np.clip(images, -1.0, 1.0).astype(np.float32)
        return to_uint8(images) if as_uint8 else images

    def growth_strip(self, seeds) -> np.ndarray:
        """Row-major (len(resolutions) * len(seeds)) images, every one F x F: row i is
        ``sample(1, seed=s, resolution=resolutions[i])`` for each seed, nearest-upsampled."""
        seeds = [int(s) for s in seeds]
        if not seeds:
            raise ValueError("need at least one seed")
        final = self.generator.final_resolution
        rows = []
        for r in self.resolutions:
            x = np.concatenate([self.sample(1, seed=s, resolution=r) for s in seeds])  # (S, r, r, C)
            rows.append(np.repeat(np.repeat(x, final // r, axis=1), final // r, axis=2))
        return np.concatenate(rows)
