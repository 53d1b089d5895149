"""`ZooModel`, the object `zoo.load` returns."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo import registry, weights as weights_lib
from zoo.errors import WeightsIntegrityError

PRETRAINED = "pretrained"


class ZooModel:
    """A generator (and optionally its discriminator) with its model card.

    Args:
        preset: the registry entry.
        generator: latent (N, latent_dim) -> image (N, H, W, C) in [-1, 1].
        discriminator: image -> logit, or None.
        card: the model card dict.

    Examples:
    >>> m = zoo.load("dcgan-mnist")
    >>> m.sample(16, seed=0).shape
    (16, 28, 28, 1)
    """

    def __init__(self, preset, generator, discriminator=None, card=None):
        self.preset = preset
        self.generator = generator
        self.discriminator = discriminator
        self.card = card if card is not None else registry.info(preset.name)

    @property
    def name(self) -> str:
        return self.preset.name

    @property
    def latent_dim(self) -> int:
        return int(self.generator.input_shape[-1])

    @property
    def image_shape(self) -> tuple:
        return tuple(int(d) for d in self.generator.output_shape[1:])

    def sample_latents(self, n: int, seed: int | None = 0) -> np.ndarray:
        """Standard-normal latents from NumPy, so a seed means the same z on every backend."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def generate(self, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Images for the given latents, in inference mode, as float32 in [-1, 1]."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (N, {self.latent_dim}), got {z.shape}")
        out = [
            np.asarray(self.generator(z[i : i + batch_size], training=False))
            for i in range(0, len(z), batch_size)
        ]
        images = np.concatenate(out) if out else np.zeros((0, *self.image_shape), np.float32)
        return np.clip(images, -1.0, 1.0).astype(np.float32)

    def sample(self, n: int, seed: int | None = 0, batch_size: int = 256) -> np.ndarray:
        """``n`` images, float32 (n, H, W, C) in [-1, 1]; the same seed gives the same images."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return self.generate(self.sample_latents(n, seed), batch_size)

    def __repr__(self):
        return f"ZooModel({self.name!r}, latent_dim={self.latent_dim}, image_shape={self.image_shape})"


def build(preset) -> tuple:
    """Fresh (generator, discriminator) for a preset, built and randomly initialised."""
    g = preset.generator(**preset.generator_config, name="generator")
    d = preset.discriminator(**preset.discriminator_config, name="discriminator")
    return g, d


def load(name: str, weights: str | Path | None = PRETRAINED, with_discriminator: bool = False) -> ZooModel:
    """Builds a zoo entry and loads its weights.

    Args:
        name: a registered name (see :func:`zoo.list_models`).
        weights: ``"pretrained"`` (default) for the shipped, sha256-checked
            weights; ``None`` for a fresh initialisation; or a path to a
            generator ``.weights.h5`` file.
        with_discriminator: also build the discriminator (and load its
            pretrained weights when ``weights="pretrained"``).
    """
    preset = registry.get_preset(name)
    g, d = build(preset)
    if weights == PRETRAINED:
        if preset.generator_weights is None:
            raise WeightsIntegrityError(
                f"{name} has no pretrained weights yet; use weights=None for a fresh model"
            )
        g.load_weights(weights_lib.resolve(preset.generator_weights, preset.weights_dir))
        if with_discriminator and preset.discriminator_weights is not None:
            d.load_weights(weights_lib.resolve(preset.discriminator_weights, preset.weights_dir))
    elif weights is not None:
        path = Path(weights)
        if not path.exists():
            raise FileNotFoundError(f"weights file {path} does not exist")
        g.load_weights(path)
    return ZooModel(preset, g, d if with_discriminator else None)
