"""The model registry: presets are plain data, registered by their family.

Families live in ``zoo/families/<family>/`` and call :func:`register` from
their ``presets.py``; the registry imports every family package on first use,
so adding a family needs no edit here. A family outside this package (a
plugin) is a module that calls :func:`register` on import, named in the
``gan_zoo.families`` entry-point group or in ``$ZOO_FAMILY_MODULES``
(comma-separated module names).
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
import os
import pkgutil
from pathlib import Path
from typing import Any, Callable

from zoo.errors import UnknownModelError


PRECISIONS = ("float32", "bfloat16", "float16")


@dataclasses.dataclass(frozen=True)
class TrainRecipe:
    """Optimiser, schedule and training options of one entry (plain data, recorded in cards).

    The loss options (loss function, R1, augmentation) are the step's and
    live in ``Preset.step_config``; everything the trainer itself does is here.
    """

    batch_size: int = 64
    epochs: int = 20
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_1: float = 0.5  # the generator's Adam betas, and the discriminator's unless d_beta_* are set
    beta_2: float = 0.999
    adam_epsilon: float = 1e-7  # Keras' default; ProGAN uses the authors' 1e-8
    ema_decay: float | None = 0.999  # per-step decay of the generator EMA; None: no EMA (see ema_kimg)
    seed: int = 0
    d_beta_1: float | None = None  # None: beta_1
    d_beta_2: float | None = None  # None: beta_2
    # EMA as a half-life in thousands of images (StyleGAN's ema_kimg): decay = 0.5 ** (batch / (1000 *
    # ema_kimg)) per step, independent of the batch size. Overrides ema_decay when set. ema_rampup r
    # caps the half-life at r * images_seen early in training (StyleGAN2's ramp-up); None: no cap.
    ema_kimg: float | None = None
    ema_rampup: float | None = None
    # Keras dtype policy while training: "float32", or "bfloat16" / "float16" for mixed_* (float32
    # variables, low-precision compute). Losses, penalties, the EMA and shipped weights stay float32.
    precision: str = "float32"
    # Evaluate the EMA generator every this many thousand images (zoo.training.evaluation); None: never.
    eval_every_kimg: float | None = None

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    @property
    def has_ema(self) -> bool:
        return bool(self.ema_decay or self.ema_kimg)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class WeightsFile:
    """A shipped weights file: a path inside the package, or a URL, plus its sha256."""

    filename: str
    sha256: str
    url: str | None = None  # fetched once into the Keras cache when not shipped


@dataclasses.dataclass(frozen=True)
class Preset:
    """One zoo entry: architecture, recipe, data and weights, all plain data.

    ``generator`` / ``discriminator`` are the model classes and their
    ``*_config`` dicts the constructor arguments (mirrored by ``get_config``).
    ``step`` is the family's training-step class (see ``zoo.training.step``),
    built with ``step.from_preset(preset)``; ``step_config`` holds its loss
    options (plain data, recorded in cards). ``model_class`` (default
    ``zoo.ZooModel``) adds family API such as InfoGAN's code control.
    """

    name: str
    family: str
    dataset: str
    description: str
    generator: Callable[..., Any]
    generator_config: dict
    discriminator: Callable[..., Any]
    discriminator_config: dict
    step: Callable[..., Any]
    recipe: TrainRecipe
    weights_dir: Path
    generator_weights: WeightsFile | None = None
    discriminator_weights: WeightsFile | None = None
    step_config: dict = dataclasses.field(default_factory=dict)
    pad_to: int | None = None  # pad 28x28 data to this size (32 for ProGAN/StyleGAN)
    model_class: Callable[..., Any] | None = None  # a ZooModel subclass for family-specific API
    licence: str = "Apache-2.0 (code and weights)"
    # The family's tiny test configuration: overrides of generator_config,
    # discriminator_config and (as a dict of fields) recipe that keep every code
    # path but train in milliseconds. Tests and workers read it through tiny_preset().
    tiny: dict = dataclasses.field(default_factory=dict)

    @property
    def card_path(self) -> Path:
        return self.weights_dir / f"{self.name}.card.json"


_REGISTRY: dict[str, Preset] = {}
_families_loaded = False


FAMILY_MODULES_ENV = "ZOO_FAMILY_MODULES"


def register(preset: Preset) -> Preset:
    """Adds a preset; a second entry with the same name is a programming error.

    The preset's step must be a :class:`zoo.training.step.GANStep`: the
    trainer relies on that contract and nothing else.
    """
    from zoo.training.step import GANStep

    if preset.name in _REGISTRY:
        raise ValueError(f"model {preset.name!r} is registered twice")
    if not (isinstance(preset.step, type) and issubclass(preset.step, GANStep)):
        raise TypeError(f"{preset.name}: step must be a zoo.training.step.GANStep subclass, got {preset.step!r}")
    unknown = set(preset.tiny) - {"generator_config", "discriminator_config", "recipe"}
    if unknown:
        raise ValueError(f"{preset.name}: tiny may override generator_config, discriminator_config and "
                         f"recipe, not {sorted(unknown)}")
    _REGISTRY[preset.name] = preset
    return preset


def unregister(name: str) -> Preset:
    """Removes and returns the entry ``name`` (plugins and tests that register temporarily)."""
    _load_families()
    if name not in _REGISTRY:
        raise UnknownModelError(f"unknown model {name!r}")
    return _REGISTRY.pop(name)


def _load_families() -> None:
    global _families_loaded
    if _families_loaded:
        return
    _families_loaded = True
    import zoo.families

    for info in pkgutil.iter_modules(zoo.families.__path__):
        if info.ispkg:
            importlib.import_module(f"zoo.families.{info.name}.presets")
    from importlib.metadata import entry_points

    for ep in entry_points(group="gan_zoo.families"):
        ep.load()
    for module in filter(None, (m.strip() for m in os.environ.get(FAMILY_MODULES_ENV, "").split(","))):
        importlib.import_module(module)


def tiny_preset(name: str, batch_size: int = 8) -> Preset:
    """The entry ``name`` shrunk to its family's tiny test configuration.

    Same classes and code paths, a few thousand parameters, no weights, the
    recipe's batch set to ``batch_size``. Every test and benchmark smoke run
    uses it, so a new family is tested by declaring ``tiny`` beside its presets.

    Examples:
    >>> p = tiny_preset("dcgan-mnist")
    >>> p.generator_weights is None, p.recipe.batch_size, p.generator_config["latent_dim"]
    (True, 8, 8)
    """
    p = get_preset(name)
    if not p.tiny:
        raise ValueError(f"{name}: its family {p.family!r} declares no tiny test configuration (Preset.tiny)")
    # No evaluation while training unless a test asks for it (TrainConfig.eval_every_images).
    recipe = dataclasses.replace(p.recipe, **{"eval_every_kimg": None, **p.tiny.get("recipe", {}),
                                              "batch_size": batch_size})
    return dataclasses.replace(
        p,
        generator_config=p.tiny.get("generator_config", p.generator_config),
        discriminator_config=p.tiny.get("discriminator_config", p.discriminator_config),
        recipe=recipe,
        generator_weights=None,
        discriminator_weights=None,
    )


def one_per_family() -> list[str]:
    """The first registered entry (by name) of each family, sorted."""
    seen: dict[str, str] = {}
    for name in list_models():
        seen.setdefault(get_preset(name).family, name)
    return sorted(seen.values())


def list_models(pattern: str | None = None) -> list[str]:
    """Sorted registered names, optionally filtered by a glob such as ``"dcgan-*"``."""
    _load_families()
    names = sorted(_REGISTRY)
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)] if pattern else names


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name lists the closest ones."""
    _load_families()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"unknown model {name!r}{hint} (available: {', '.join(sorted(_REGISTRY))})"
        )
    return _REGISTRY[name]


def info(name: str) -> dict:
    """The model card of ``name`` as a dict; loads no weights.

    Entries without shipped weights get a card describing the architecture
    and recipe only, with ``"weights": None``. ``name`` may also be a preset
    folder (see ``zoo.preset_dir``): its card, once its weights' sha256 are checked.
    """
    from zoo import card as card_lib, preset_dir

    folder = preset_dir.folder_of(name)
    if folder is not None:
        return preset_dir.read(folder)[1]
    return card_lib.load_card(get_preset(name))
