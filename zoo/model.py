"""`ZooModel`, the object `zoo.load` returns."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from zoo import registry, weights as weights_lib
from zoo.errors import WeightsIntegrityError, ZooError

PRETRAINED = "pretrained"


class ZooModel:
    """A generator (and optionally its discriminator) with its model card.

    Args:
        preset: the registry entry.
        generator: latent (N, latent_dim) -> image (N, H, W, C) in [-1, 1].
        discriminator: image -> logit, or None.
        card: the model card dict.

    Examples:
    >>> import zoo
    >>> m = zoo.load("dcgan-mnist")
    >>> x = m.sample(16, seed=0)
    >>> x.shape, x.dtype, bool(np.array_equal(x, m.sample(16, seed=0)))  # same seed, same images
    ((16, 28, 28, 1), dtype('float32'), True)
    >>> m.latent_dim, m.image_shape
    (100, (28, 28, 1))
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
        """Size of the noise vector z (the generator input named "z" when there are several)."""
        if len(self.generator.inputs) == 1:
            return int(self.generator.inputs[0].shape[-1])
        (z,) = [t for t in self.generator.inputs if t.name.split(":")[0] == "z"]
        return int(z.shape[-1])

    @property
    def image_shape(self) -> tuple:
        return tuple(int(d) for d in self.generator.output_shape[1:])

    def sample_latents(self, n: int, seed: int | None = 0):
        """Generator inputs for ``n`` samples, drawn with NumPy so a seed means the
        same latents on every backend. Standard-normal z here; families with more
        inputs (codes, psi) override this and return a dict keyed by input name."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def latent_info(self) -> dict:
        """How ``sample_latents`` draws the generator inputs, for model and export cards.
        Families with codes or extra inputs override this along with ``sample_latents``."""
        return {"z": {"shape": [self.latent_dim], "distribution": "standard normal"}}

    def _check_inputs(self, inputs) -> dict:
        names = [t.name.split(":")[0] for t in self.generator.inputs]
        if not isinstance(inputs, dict):
            if len(names) != 1:
                raise ValueError(f"{self.name} takes inputs {names}; pass a dict")
            inputs = {names[0]: inputs}
        if sorted(inputs) != sorted(names):
            raise ValueError(f"{self.name} takes inputs {names}, got {sorted(inputs)}")
        out, n = {}, None
        for t in self.generator.inputs:
            name = t.name.split(":")[0]
            a = np.asarray(inputs[name], dtype=t.dtype)
            if a.shape[1:] != tuple(t.shape[1:]) or (n is not None and len(a) != n):
                want = ", ".join(str(d) for d in t.shape[1:])
                raise ValueError(f"input {name!r} must have shape (N, {want}), got {a.shape}")
            n = len(a)
            out[name] = a
        return out

    def generate(self, latents, batch_size: int = 256) -> np.ndarray:
        """Images for the given generator inputs (an array for single-input generators,
        else a dict), in inference mode, as float32 in [-1, 1]."""
        inputs = self._check_inputs(latents)
        n = len(next(iter(inputs.values())))
        single = len(inputs) == 1
        out = []
        for i in range(0, n, batch_size):
            batch = {k: v[i : i + batch_size] for k, v in inputs.items()}
            out.append(keras.ops.convert_to_numpy(self.generator(next(iter(batch.values())) if single else batch, training=False)))
        images = np.concatenate(out) if out else np.zeros((0, *self.image_shape), np.float32)
        return np.clip(images, -1.0, 1.0).astype(np.float32)

    def sample(self, n: int, seed: int | None = 0, batch_size: int = 256) -> np.ndarray:
        """``n`` images, float32 (n, H, W, C) in [-1, 1]; the same seed gives the same images.

        A count whose latents and images could not fit in this machine's memory
        is refused before anything is allocated.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        per_sample = 4 * (sum(int(np.prod(t.shape[1:])) for t in self.generator.inputs)
                          + int(np.prod(self.image_shape)))
        check_fits(n * per_sample, f"{n:,} samples of {self.name}")
        return self.generate(self.sample_latents(n, seed), batch_size)

    def __repr__(self):
        return f"ZooModel({self.name!r}, latent_dim={self.latent_dim}, image_shape={self.image_shape})"


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def check_fits(nbytes: int, what: str) -> None:
    """Refuses, before allocating, an array larger than the machine's memory
    (a MemoryError or the OOM killer would otherwise end the process midway).

    Examples:
    >>> check_fits(10**18, "10**12 samples")
    Traceback (most recent call last):
    ...
    MemoryError: 10**12 samples need 1000000.0 TB, more than this machine's ... of memory
    """
    total = physical_memory()
    if total is not None and nbytes > total:
        raise MemoryError(f"{what} need {nbytes / 1e12:.1f} TB, more than this machine's "
                          f"{total / 1e9:.1f} GB of memory")


def load_weights_file(model, path, what: str = "weights file") -> None:
    """``model.load_weights(path)`` with one clear error for a file that is not a weights file of
    this architecture (truncated or non-HDF5 .h5, a .keras that is not a zip, another model's
    weights) and for weights holding NaN or Inf (a diverged run: they would draw blank images)."""
    path = Path(path)
    try:
        model.load_weights(path)
    except Exception as e:  # h5py, zipfile and Keras each raise their own kinds
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ZooError(f"cannot load {what} {path}: {reason}") from e
    bad = [w.path for w in model.weights if not np.isfinite(keras.ops.convert_to_numpy(w)).all()]
    if bad:
        raise ZooError(f"{what} {path} holds NaN or Inf in {len(bad)} of {len(model.weights)} arrays "
                       f"(first: {bad[0]}); it comes from a run that diverged")


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
    if weights is not None and weights != PRETRAINED:
        if str(weights) == "":
            raise ValueError("weights is an empty path; pass a file, \"pretrained\" or None")
        if not Path(weights).exists():
            raise FileNotFoundError(f"weights file {weights} does not exist")
    card = None
    if weights == PRETRAINED:
        if preset.generator_weights is None:
            raise WeightsIntegrityError(
                f"{name} has no pretrained weights yet; use weights=None for a fresh model"
            )
        card = registry.info(name)
        weights_lib.check_card_agrees(preset, card)  # the card must describe the weights loaded
    g, d = build(preset)
    if weights == PRETRAINED:
        load_weights_file(g, weights_lib.resolve(preset.generator_weights, preset.weights_dir))
        if with_discriminator and preset.discriminator_weights is not None:
            load_weights_file(d, weights_lib.resolve(preset.discriminator_weights, preset.weights_dir))
    elif weights is not None:
        load_weights_file(g, weights)
    return (preset.model_class or ZooModel)(preset, g, d if with_discriminator else None, card=card)
