"""`ZooModel`, the object `zoo.load` returns."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from zoo import registry, weights as weights_lib
from zoo.errors import WeightsIntegrityError, ZooError
from zoo.weights import WeightsSource

PRETRAINED = "pretrained"


class ZooModel:
    """A generator (and optionally its discriminator) with its model card.

    Args:
        preset: the registry entry.
        generator: latent (N, latent_dim) -> image (N, H, W, C) in [-1, 1].
        discriminator: image -> logit, or None.
        card: the model card dict (default: the entry's shipped card for pretrained
            weights, else :func:`other_weights_card`).
        weights_source: where the generator's weights came from
            (:class:`zoo.weights.WeightsSource`; default: ``"in-memory"``).

    Attributes:
        weights_source: the shipped file with its verified sha256, a preset folder
            (verified too), a file the caller named, a fresh initialisation, or a
            generator handed over in memory. ``card`` describes those weights: its
            metrics and sha256 are the shipped ones only for the shipped weights.

    Examples:
    >>> import zoo
    >>> m = zoo.load("dcgan-mnist")
    >>> x = m.sample(16, seed=0)
    >>> x.shape, x.dtype, bool(np.array_equal(x, m.sample(16, seed=0)))  # same seed, same images
    ((16, 28, 28, 1), dtype('float32'), True)
    >>> m.latent_dim, m.image_shape
    (100, (28, 28, 1))
    >>> m.weights_source.kind, m.weights_source.verified, "fid_domain_10k" in m.card["metrics"]["domain"]["values"]
    ('pretrained', True, True)
    >>> m.sample(2, seed=0, as_uint8=True).dtype  # 0..255, for image files and external FID tools
    dtype('uint8')
    >>> other = zoo.load("dcgan-mnist", weights=None)  # the card no longer claims the shipped metrics
    >>> other.weights_source.kind, other.card["weights"], "metrics" in other.card
    ('random', None, False)
    """

    def __init__(self, preset, generator, discriminator=None, card=None, weights_source: WeightsSource | None = None):
        self.preset = preset
        self.generator = generator
        self.discriminator = discriminator
        self.weights_source = weights_source if weights_source is not None else WeightsSource(weights_lib.IN_MEMORY)
        if card is None:
            card = (registry.info(preset.name) if self.weights_source.kind == weights_lib.PRETRAINED
                    else other_weights_card(preset, self.weights_source))
        self.card = card

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

    def sample(self, n: int, seed: int | None = 0, batch_size: int = 256, as_uint8: bool = False) -> np.ndarray:
        """``n`` images, float32 (n, H, W, C) in [-1, 1]; the same seed gives the same images.
        ``as_uint8=True``: uint8 0..255 instead (:func:`to_uint8`).

        A count whose latents and images could not fit in this machine's memory
        is refused before anything is allocated.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        per_sample = 4 * (sum(int(np.prod(t.shape[1:])) for t in self.generator.inputs)
                          + int(np.prod(self.image_shape)))
        check_fits(n * per_sample, f"{n:,} samples of {self.name}")
        images = self.generate(self.sample_latents(n, seed), batch_size)
        return to_uint8(images) if as_uint8 else images

    def save_to_preset(self, path, overwrite: bool = False):
        """Writes this model as a preset folder (``config.json``, the card, the weights with their
        sha256) that ``zoo.load(path)`` loads back with the same checks; see :mod:`zoo.preset_dir`.
        An existing non-empty folder is refused unless ``overwrite``. Returns the folder's path."""
        from zoo import preset_dir

        return preset_dir.save(self, path, overwrite=overwrite)

    def __repr__(self):
        return f"ZooModel({self.name!r}, latent_dim={self.latent_dim}, image_shape={self.image_shape})"


def to_uint8(images) -> np.ndarray:
    """Images in [-1, 1] -> uint8 0..255 as ``floor((x + 1) * 127.5 + 0.5)`` (the export's
    ``--uint8-output`` mapping), clipped first.

    Examples:
    >>> to_uint8(np.array([-1.0, -0.5, 0.0, 1.0, 2.0]))
    array([  0,  64, 128, 255, 255], dtype=uint8)
    """
    x = np.clip(np.asarray(images, np.float32), -1.0, 1.0)
    return np.floor((x + 1.0) * 127.5 + 0.5).astype(np.uint8)


def other_weights_card(preset, source: WeightsSource, changed: bool = False) -> dict:
    """The card of a model whose weights are not the ones its entry ships: the architecture and
    recipe (``zoo.card.architecture_card``, ``"weights": None``) plus ``weights_source`` and a
    ``weights_note`` saying why the shipped card's weights, metrics, golden outputs and run are
    left out. ``changed``: the weights were loaded from a verified source but changed since."""
    from zoo import card as card_lib

    what = f"{source}, changed since loading" if changed else str(source)
    note = (f"the generator's weights are {what}: not the ones {preset.name} ships, so the shipped card's "
            f"weights, metrics, golden outputs and training run do not apply to them and are left out "
            f"(zoo.info({preset.name!r}) has them)")
    return {**card_lib.architecture_card(preset), "weights_source": source.to_dict(), "weights_note": note}


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


def load(name, weights: str | Path | None = PRETRAINED, with_discriminator: bool = False) -> ZooModel:
    """Builds a zoo entry, or a preset folder, and loads its weights.

    Args:
        name: a registered name (see :func:`zoo.list_models`), or a preset folder
            (``m.save_to_preset(DIR)``, a run's ``RUN/final``) as a path or a
            ``file:///abs/DIR`` URL; a registered name always means the entry.
        weights: ``"pretrained"`` (default) for the shipped (or the folder's)
            sha256-checked weights; ``None`` for a fresh initialisation; or a
            path to a generator ``.weights.h5`` file.
        with_discriminator: also build the discriminator (and load its
            pretrained weights when ``weights="pretrained"``).

    The model's ``weights_source`` says which of these it got, and its ``card``
    claims the shipped weights, metrics and sha256 only for the shipped weights.
    """
    from zoo import preset_dir

    folder = preset_dir.folder_of(name)
    if folder is not None:
        preset, card = preset_dir.read(folder)  # every weights file's sha256 checked here
    else:
        preset, card = registry.get_preset(name), None
    if weights is not None and weights != PRETRAINED:
        if str(weights) == "":
            raise ValueError("weights is an empty path; pass a file, \"pretrained\" or None")
        if not Path(weights).exists():
            raise FileNotFoundError(f"weights file {weights} does not exist")
    if weights == PRETRAINED and folder is None:
        if preset.generator_weights is None:
            raise WeightsIntegrityError(
                f"{name} has no pretrained weights yet; use weights=None for a fresh model"
            )
        card = registry.info(name)
        weights_lib.check_card_agrees(preset, card)  # the card must describe the weights loaded
    g, d = build(preset)
    if weights == PRETRAINED:
        # A preset folder's files were verified by preset_dir.read; resolve() verifies the shipped ones.
        paths = {role: (folder / w.filename if folder is not None else weights_lib.resolve(w, preset.weights_dir))
                 for role, w in (("generator", preset.generator_weights), ("discriminator", preset.discriminator_weights))
                 if w is not None and (role == "generator" or with_discriminator)}
        load_weights_file(g, paths["generator"])
        if "discriminator" in paths:
            load_weights_file(d, paths["discriminator"])
        kind = weights_lib.PRESET if folder is not None else weights_lib.PRETRAINED
        source = WeightsSource(kind, str(paths["generator"]), preset.generator_weights.sha256,
                               preset_dir=None if folder is None else str(folder))
    elif weights is not None:
        load_weights_file(g, weights)
        source = WeightsSource(weights_lib.FILE, str(weights), weights_lib.sha256_file(weights))
        card = None
    else:
        source, card = WeightsSource(weights_lib.RANDOM), None
    return (preset.model_class or ZooModel)(preset, g, d if with_discriminator else None, card=card,
                                            weights_source=source)
