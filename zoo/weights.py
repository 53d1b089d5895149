"""Locating and integrity-checking weights files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from zoo.errors import WeightsIntegrityError
from zoo.registry import WeightsFile


# WeightsSource.kind values.
PRETRAINED, FILE, PRESET, RANDOM, IN_MEMORY = "pretrained", "file", "preset", "random", "in-memory"
SOURCE_KINDS = (PRETRAINED, FILE, PRESET, RANDOM, IN_MEMORY)


@dataclasses.dataclass(frozen=True)
class WeightsSource:
    """Where a model's generator weights came from (``ZooModel.weights_source``).

    Attributes:
        kind: ``"pretrained"`` (the entry's shipped file, sha256 checked against the
            registry), ``"preset"`` (a preset folder's file, sha256 checked against its
            ``config.json``), ``"file"`` (a weights file the caller named; its sha256 is
            recorded, not checked), ``"random"`` (a fresh initialisation) or
            ``"in-memory"`` (a generator handed to ``ZooModel`` directly).
        path: the weights file, or None.
        sha256: that file's sha256, or None.
        preset_dir: the preset folder, for ``"preset"``.

    Examples:
    >>> str(WeightsSource(RANDOM))
    'a fresh random initialisation'
    >>> WeightsSource(FILE, "g.weights.h5", "ab" * 32).to_dict()["verified"]
    False
    """

    kind: str
    path: str | None = None
    sha256: str | None = None
    preset_dir: str | None = None

    def __post_init__(self):
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(SOURCE_KINDS)}, got {self.kind!r}")

    @property
    def verified(self) -> bool:
        """Whether the file's sha256 was checked against what its registry entry or preset expects."""
        return self.kind in (PRETRAINED, PRESET)

    def to_dict(self) -> dict:
        """Plain data, for cards: every field plus ``verified``."""
        return {**dataclasses.asdict(self), "verified": self.verified}

    def __str__(self) -> str:
        digest = f"sha256 {self.sha256[:12]}..." if self.sha256 else "no sha256"
        return {
            PRETRAINED: f"the shipped file {self.path} ({digest}, verified)",
            PRESET: f"the preset folder {self.preset_dir} ({Path(self.path or '').name}, {digest}, verified)",
            FILE: f"the weights file {self.path} ({digest}, not checked against any card)",
            RANDOM: "a fresh random initialisation",
            IN_MEMORY: "a generator given to ZooModel directly",
        }[self.kind]


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, expected_sha256: str, source: str = "the registry") -> Path:
    """Returns ``path`` if its sha256 is ``expected_sha256``; ``source`` names who expects it."""
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise WeightsIntegrityError(
            f"weights file {path} has sha256 {actual}, but {source} expects "
            f"{expected_sha256}; the file is corrupt or was replaced"
        )
    return path


def check_card_agrees(preset, card: dict) -> None:
    """Refuses an entry whose model card names other weights than its registry entry.

    The registry's sha256 is what loading checks; a card edited by hand (or
    left behind by another publish) would otherwise describe weights that are
    not the ones loaded.

    Raises:
        WeightsIntegrityError: naming the card, the field and both values.
    """
    shipped = card.get("weights") if isinstance(card, dict) else None
    if not shipped:
        return  # an architecture card: nothing shipped, nothing to compare
    registry = {"generator": preset.generator_weights, "discriminator": preset.discriminator_weights}
    for role in sorted(set(shipped) | {r for r, w in registry.items() if w is not None}):
        ours, theirs = registry.get(role), shipped.get(role) or {}
        for field, want in (("file", ours and ours.filename), ("sha256", ours and ours.sha256)):
            if theirs.get(field) != want:
                raise WeightsIntegrityError(
                    f"{preset.card_path} says weights.{role}.{field} is {theirs.get(field)!r} but the "
                    f"registry entry {preset.name} says {want!r}; the card was edited or is out of date"
                )


def resolve(weights: WeightsFile, weights_dir: Path) -> Path:
    """Path of a verified local copy: shipped in the package, else fetched by URL.

    A URL is downloaded once into the Keras cache (``~/.keras/gan-zoo``, or
    ``$ZOO_CACHE_DIR/gan-zoo``); ``file://`` URLs work too, which is how the
    tests exercise this path. A cached copy that fails its sha256 (a download
    cut short, a file replaced) is deleted and downloaded again, once.
    """
    local = weights_dir / weights.filename
    if local.exists():
        return verify(local, weights.sha256)
    if weights.url is None:
        raise WeightsIntegrityError(f"weights file {local} is missing and the entry names no URL")
    cached = _download(weights)
    try:
        return verify(cached, weights.sha256)
    except WeightsIntegrityError:
        cached.unlink(missing_ok=True)
    cached = _download(weights)
    try:
        return verify(cached, weights.sha256, source=f"the registry (downloaded twice from {weights.url})")
    except WeightsIntegrityError:
        cached.unlink(missing_ok=True)  # never leave a bad copy for the next call to trust
        raise


def _download(weights: WeightsFile) -> Path:
    import keras

    cache_dir = os.environ.get("ZOO_CACHE_DIR")
    if cache_dir:  # get_file silently falls back to /tmp when the folder is missing
        Path(cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
    try:
        return Path(keras.utils.get_file(fname=weights.filename, origin=weights.url, cache_dir=cache_dir,
                                         cache_subdir="gan-zoo"))
    except Exception as e:  # urllib, HTTP and file errors surface as many exception types
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise WeightsIntegrityError(f"cannot download {weights.url}: {reason}") from e
