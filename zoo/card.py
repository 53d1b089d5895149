"""The model card: one schema, one writer, typed readers.

A card is plain JSON. Three kinds share the identity keys ``name``,
``family`` and ``dataset``:

* :class:`RunCard`: ``RUN/final/run_card.json``, written by the trainer at the
  end of a run (built with :func:`run_card`, written with :func:`write_run_card`).
* :class:`ModelCard`: ``<name>.card.json`` shipped beside the weights, written
  by ``zoo.training.publish`` (:func:`model_card`): the run card plus the
  description, data provenance, weight files and golden outputs. ``gan-zoo
  eval --update-card`` and ``gan-zoo codes --update-card`` add blocks under
  ``metrics`` (:class:`Metrics`) with :func:`update_metrics`.
* :class:`ArchitectureCard`: what ``zoo.info`` gives for an entry without
  shipped weights (:func:`architecture_card`), with ``"weights": None``.

Versioning: :data:`CARD_SCHEMA_VERSION`. A card without ``schema_version`` is
version 1 (every card so far); writers add the field only from version 2 on,
so version-1 files stay as they are. A card of a newer version is refused.

Validation checks that the required keys are present and that every known
key has its type; unknown keys are kept and not checked (a field the trainer
adds to the run card flows into the shipped card). JSON numbers: a ``float``
field accepts integers too.

Examples:
>>> from zoo.registry import get_preset
>>> card = read_card(get_preset("dcgan-mnist").card_path)
>>> schema_version(card), domain_metrics(card)["n_samples"], run_summary(card)["steps"] > 0
(1, 10000, True)
>>> check_card({**card, "golden": None}, "an edited card")
Traceback (most recent call last):
...
zoo.card.CardError: an edited card: golden must be an object, got None
"""

# No ``from __future__ import annotations``: the validator reads these TypedDicts'
# annotations at run time, so they must be real types, not strings.

import types
import typing
from pathlib import Path
from typing import TypedDict, Union

from zoo import atomic
from zoo.errors import ZooError

CARD_SCHEMA_VERSION = 1
CODES_KEY = "infogan_codes"  # the metrics block of `gan-zoo codes`; the others are named by features


class CardError(ZooError, ValueError):
    """A card lacks a required key, has a value of the wrong type, or is of a newer schema."""


# --- the schema ---------------------------------------------------------------------------------


class _WeightsFileRequired(TypedDict):
    file: str
    sha256: str
    bytes: int


class WeightsFile(_WeightsFileRequired, total=False):
    storage: str  # "float16": stored at half precision, loaded into float32 variables
    storage_max_abs_sample_difference: float  # 64 samples (seed 0), stored weights against the trained ones


class Golden(TypedDict):
    """Statistics of ``sample(n, seed=seed)`` that loading must reproduce."""

    n: int
    seed: int
    shape: list[int]
    mean: float
    std: float
    per_image_mean: list[float]


class _DataRequired(TypedDict):
    dataset: str
    split: str
    images: int
    note: str


class DataInfo(_DataRequired, total=False):
    train_images_sha256: str  # only when the data folder was at hand at publish time


class RunSummary(TypedDict):
    """The trainer's summary of a run (``Trainer.fit``'s return value)."""

    steps: int
    steps_this_run: int
    images_seen: int
    epochs: float
    wall_clock_s: float
    train_images_per_s_this_run: float | None
    first_step_compile_s: float | None
    final_losses: dict[str, float] | None  # the last logged means: step, losses, images_per_s


class Environment(TypedDict):
    backend: str
    keras: str
    tensorflow: str
    numpy: str
    python: str
    device: str
    cpu: str
    cpu_count: int | None


Values = dict[str, float | list[float]]  # metric name (with its sample budget) -> value


class EvalMetrics(TypedDict):
    """``metrics.<features>`` (``domain``, ``inception``): written by ``gan-zoo eval --update-card``."""

    protocol: dict
    n_samples: int
    seed: int
    values: Values
    class_histogram: list[float] | None
    real_reference: Values | None
    generator_sha256: str | None
    command: str
    gan_zoo_version: str


class CodesMetrics(TypedDict):
    """``metrics.infogan_codes``: written by ``gan-zoo codes --update-card``."""

    protocol: dict
    values: Values
    mapping: dict[str, int]  # code (as a string) -> class
    per_code_accuracy: list[float]
    confusion: list[list[float]]
    generator_sha256: str | None
    discriminator_sha256: str | None
    command: str | None
    gan_zoo_version: str


class Metrics(TypedDict, total=False):
    domain: EvalMetrics
    inception: EvalMetrics
    infogan_codes: CodesMetrics


class _Identity(TypedDict):
    name: str
    family: str
    dataset: str


class ArchitectureCard(_Identity):
    """An entry without shipped weights: architecture and recipe only."""

    description: str
    generator_config: dict
    discriminator_config: dict
    recipe: dict
    weights: None


class _RunRequired(_Identity):
    train_images: int
    recipe: dict  # the preset's recipe with the run's batch_size and epochs
    generator_config: dict
    discriminator_config: dict
    shipped_generator: str  # "ema" or "live"
    batchnorm_statistics: str
    generator_params: int
    discriminator_params: int
    run: RunSummary
    environment: Environment


class RunCard(_RunRequired, total=False):
    # Optional: runs made before these fields existed lack them (six shipped cards do).
    schema_version: int
    step: dict  # {"class": step class name, **its get_config()}
    strategy: str | None
    replicas: int
    xla: bool | str  # a string where a run mixed the two (progan-fashion-mnist)


class _ModelRequired(_RunRequired):
    description: str
    licence: str
    image_shape: list[int]
    latent: dict  # ZooModel.latent_info(): input name -> shape and distribution
    output_range: list[float]
    data: DataInfo
    training_command: str
    weights: dict[str, WeightsFile]  # "generator", "discriminator"
    golden: Golden


class ModelCard(_ModelRequired, RunCard, total=False):
    notes: str
    metrics: Metrics
    # Evaluation while training (zoo.training.evaluation): one point per evaluation,
    # {images, step, fid_domain_<n>, precision, recall}, and which snapshot shipped and why.
    training_curve: list[dict]
    snapshot: dict


Card = Union[ModelCard, ArchitectureCard]


# --- validation ---------------------------------------------------------------------------------


def _is_typeddict(t) -> bool:
    return isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__required_keys__")


def _describe(t) -> str:
    origin = typing.get_origin(t)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(t))
    if t is type(None):
        return "null"
    if origin is dict or t is dict or _is_typeddict(t):
        return "an object"
    if origin is list or t is list:
        return "a list"  # a bad item is reported with its index
    return {int: "an integer", float: "a number", str: "a string", bool: "a boolean"}[t]


def _join(where: str, key) -> str:
    return f"{where}.{key}" if where else str(key)


def _check(value, t, where: str) -> None:
    """Raises CardError when ``value`` is not of the annotation ``t``; ``where`` is its key path."""
    origin = typing.get_origin(t)
    if origin in (Union, types.UnionType):
        options = [o for o in typing.get_args(t) if o is not type(None)]
        if value is not None and len(options) == 1:
            _check(value, options[0], where)  # "X or null" with a value: X's own error says more
            return
        for option in typing.get_args(t):
            try:
                _check(value, option, where)
                return
            except CardError:
                pass
    elif _is_typeddict(t):
        _check_fields(value, t, where)
        return
    elif origin is list:
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check(item, typing.get_args(t)[0], f"{where}[{i}]")
            return
    elif origin is dict:
        if isinstance(value, dict):
            for key, item in value.items():
                _check(item, typing.get_args(t)[1], _join(where, key))
            return
    elif t is type(None):
        if value is None:
            return
    elif t in (int, float):
        # bool is an int in Python but not a number in a card; float fields take JSON integers.
        if isinstance(value, (int, float) if t is float else int) and not isinstance(value, bool):
            return
    elif isinstance(value, t):
        return
    raise CardError(f"{where or 'the card'} must be {_describe(t)}, got {_shown(value)}")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_fields(value, td, where: str) -> None:
    if not isinstance(value, dict):
        raise CardError(f"{where or 'the card'} must be an object, got {_shown(value)}")
    hints = typing.get_type_hints(td)
    missing = [k for k in hints if k in td.__required_keys__ and k not in value]
    if missing:
        raise CardError(f"{where or 'the card'} lacks the required key{'s' * (len(missing) > 1)} "
                        f"{', '.join(missing)}")
    for key, item in value.items():
        if key in hints:
            _check(item, hints[key], _join(where, key))


def schema_version(card: dict) -> int:
    """The card's schema version; a card without the field is version 1."""
    return card.get("schema_version", 1)


def _validate(card, td, source) -> dict:
    try:
        if isinstance(card, dict) and "schema_version" in card:
            _check(card["schema_version"], int, "schema_version")
            if not 1 <= card["schema_version"] <= CARD_SCHEMA_VERSION:
                raise CardError(f"schema_version {card['schema_version']} is not one this gan-zoo reads "
                                f"(1 to {CARD_SCHEMA_VERSION}); upgrade gan-zoo")
        _check_fields(card, td, "")
    except CardError as e:
        raise CardError(f"{source}: {e}") from None
    return card


def check_card(card: dict, source: str = "model card") -> Card:
    """Returns ``card`` unchanged if it is a valid :class:`ModelCard` (or, with
    ``"weights": None``, :class:`ArchitectureCard`); else raises CardError naming
    ``source`` and the offending key."""
    kind = ArchitectureCard if isinstance(card, dict) and card.get("weights", ...) is None else ModelCard
    return _validate(card, kind, source)


def check_run_card(card: dict, source: str = "run card") -> RunCard:
    """Returns ``card`` unchanged if it is a valid :class:`RunCard`; else raises CardError."""
    return _validate(card, RunCard, source)


# --- reading and writing ------------------------------------------------------------------------


def _load_json(path: Path):
    import json

    try:
        return json.loads(Path(path).read_text())
    except ValueError as e:
        raise CardError(f"{path}: not valid JSON ({e})") from None


def read_card(path) -> Card:
    """The validated model card at ``path``."""
    return check_card(_load_json(path), str(path))


def read_run_card(path) -> RunCard:
    """The validated run card at ``path`` (``RUN/final/run_card.json``)."""
    return check_run_card(_load_json(path), str(path))


def write_card(path, card: ModelCard) -> Path:
    """Validates ``card`` and writes it to ``path`` atomically (indent 2, trailing newline)."""
    check_card(card, str(path))
    return atomic.write_json(path, card)


def write_run_card(path, card: RunCard) -> Path:
    """Validates a run card and writes it atomically; anything JSON cannot hold is
    written as its ``str()``, as the trainer always has."""
    check_run_card(card, str(path))
    return atomic.write_json(path, card, default=str)


def update_metrics(path, key: str, block: dict) -> Path:
    """Stores ``block`` under ``metrics.<key>`` of the card at ``path``; the rest is kept."""
    card = read_card(path)
    card.setdefault("metrics", {})[key] = block
    return write_card(path, card)


def load_card(preset) -> Card:
    """The card of a registry entry: its shipped card, else its :func:`architecture_card`."""
    if preset.card_path.exists():
        return read_card(preset.card_path)
    return architecture_card(preset)


# --- builders -----------------------------------------------------------------------------------


def architecture_card(preset) -> ArchitectureCard:
    """The card of an entry with no shipped weights: what it is and how it trains."""
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


def run_card(preset, *, train_images: int, recipe: dict, step: dict, shipped_generator: str,
             batchnorm_statistics: str, generator_params: int, discriminator_params: int,
             strategy: str | None, replicas: int, xla, run: dict, environment: dict) -> RunCard:
    """The card of a finished run; the keys are in the order every run card has had."""
    return {
        "name": preset.name,
        "family": preset.family,
        "dataset": preset.dataset,
        "train_images": train_images,
        "recipe": recipe,
        "generator_config": preset.generator_config,
        "discriminator_config": preset.discriminator_config,
        "step": step,
        "shipped_generator": shipped_generator,
        "batchnorm_statistics": batchnorm_statistics,
        "generator_params": generator_params,
        "discriminator_params": discriminator_params,
        "strategy": strategy,
        "replicas": replicas,
        "xla": xla,
        "run": run,
        "environment": environment,
    }


def model_card(preset, run: RunCard, *, image_shape, latent: dict, data: DataInfo, training_command: str,
               weights: dict, generator: str, golden: Golden, notes: str | None = None,
               training_curve: list | None = None, snapshot: dict | None = None) -> ModelCard:
    """The shipped card of a published run (``zoo.training.publish``).

    Args:
        run: the run's card; all its keys but the identity are carried over.
        generator: "ema" or "live", the generator the publisher chose; a run
            without an EMA copy can only ship "live".
    """
    card = {
        "name": preset.name,
        "family": preset.family,
        "dataset": preset.dataset,
        "description": preset.description,
        "licence": preset.licence,
        "image_shape": list(image_shape),
        "latent": latent,
        "output_range": [-1.0, 1.0],
        "data": data,
        **{k: v for k, v in run.items() if k not in ("name", "family", "dataset")},
        "training_command": training_command,
        "weights": weights,
        "shipped_generator": generator if run["shipped_generator"] == "ema" else "live",
        "golden": golden,
    }
    if notes:
        card["notes"] = notes
    if training_curve:
        card["training_curve"] = training_curve
    if snapshot:
        card["snapshot"] = snapshot
    return card


# --- typed readers ------------------------------------------------------------------------------
# They take a validated card: required keys are indexed directly, optional ones are handled here.


def is_shipped(card: Card) -> bool:
    """Whether the card describes shipped weights (a :class:`ModelCard`)."""
    return card["weights"] is not None


def weights_bytes(card: Card) -> int:
    """Total size of the card's weight files (0 when nothing is shipped)."""
    return sum(w["bytes"] for w in card["weights"].values()) if is_shipped(card) else 0


def train_images(card: Card) -> int | None:
    """How many training images the shipped weights saw (None when nothing is shipped)."""
    return card["data"]["images"] if is_shipped(card) else None


def run_summary(card: Card) -> RunSummary | None:
    """The training run's summary (None when nothing is shipped)."""
    return card["run"] if is_shipped(card) else None


def metric_block(card: Card, key: str) -> dict | None:
    """The block ``metrics.<key>``, or None."""
    return card.get("metrics", {}).get(key)


def domain_metrics(card: Card) -> EvalMetrics | None:
    """``metrics.domain`` (``gan-zoo eval --features domain --update-card``), or None."""
    return metric_block(card, "domain")


def training_curve(card: Card) -> list[dict]:
    """The card's evaluation-while-training curve (``[]`` for cards trained before it existed)."""
    return card.get("training_curve", [])


def codes_metrics(card: Card) -> CodesMetrics | None:
    """``metrics.infogan_codes`` (``gan-zoo codes --update-card``), or None."""
    return metric_block(card, CODES_KEY)


def metric_values(card: Card) -> dict[str, Values]:
    """The ``values`` of every known metrics block (:class:`Metrics`), by block key, in the card's order."""
    known = Metrics.__optional_keys__  # other blocks are not validated, so not read either
    return {key: block["values"] for key, block in card.get("metrics", {}).items() if key in known}
