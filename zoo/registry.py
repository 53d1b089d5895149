"""The model registry: presets are plain data, registered by their family.

Families live in ``zoo/families/<family>/`` and call :func:`register` from
their ``presets.py``; the registry imports every family package on first use,
so adding a family needs no edit here.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any, Callable

from zoo.errors import UnknownModelError


@dataclasses.dataclass(frozen=True)
class TrainRecipe:
    """Optimiser and schedule of one entry (plain data, recorded in cards)."""

    batch_size: int = 64
    epochs: int = 20
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    adam_epsilon: float = 1e-7  # Keras' default; ProGAN uses the authors' 1e-8
    ema_decay: float | None = 0.999  # None: no generator EMA
    seed: int = 0

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

    @property
    def card_path(self) -> Path:
        return self.weights_dir / f"{self.name}.card.json"


_REGISTRY: dict[str, Preset] = {}
_families_loaded = False


def register(preset: Preset) -> Preset:
    """Adds a preset; a second entry with the same name is a programming error."""
    if preset.name in _REGISTRY:
        raise ValueError(f"model {preset.name!r} is registered twice")
    _REGISTRY[preset.name] = preset
    return preset


def _load_families() -> None:
    global _families_loaded
    if _families_loaded:
        return
    _families_loaded = True
    import zoo.families

    for info in pkgutil.iter_modules(zoo.families.__path__):
        if info.ispkg:
            importlib.import_module(f"zoo.families.{info.name}.presets")


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
    and recipe only, with ``"weights": None``.
    """
    preset = get_preset(name)
    if preset.card_path.exists():
        return json.loads(preset.card_path.read_text())
    return {
        "name": preset.name,
        "family": preset.family,
        "dataset": preset.dataset,
        "description": preset.description,
        "generator_config": preset.generator_config,
        "discriminator_config": preset.discriminator_config,
        "recipe": preset.recipe.to_dict(),
        "weights": None,
    }
