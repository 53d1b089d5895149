"""Locating and integrity-checking weights files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from zoo.errors import WeightsIntegrityError
from zoo.registry import WeightsFile


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: Path, expected_sha256: str) -> Path:
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise WeightsIntegrityError(
            f"weights file {path} has sha256 {actual}, but the registry expects "
            f"{expected_sha256}; the file is corrupt or was replaced"
        )
    return path


def resolve(weights: WeightsFile, weights_dir: Path) -> Path:
    """Path of a verified local copy: shipped in the package, else fetched by URL.

    A URL is downloaded once into the Keras cache (``~/.keras/gan-zoo``, or
    ``$ZOO_CACHE_DIR/gan-zoo``); ``file://`` URLs work too, which is how the
    tests exercise this path.
    """
    local = weights_dir / weights.filename
    if not local.exists():
        if weights.url is None:
            raise WeightsIntegrityError(f"weights file {local} is missing and the entry names no URL")
        import keras

        cache_dir = os.environ.get("ZOO_CACHE_DIR")
        if cache_dir:  # get_file silently falls back to /tmp when the folder is missing
            Path(cache_dir).expanduser().mkdir(parents=True, exist_ok=True)
        local = Path(
            keras.utils.get_file(
                fname=weights.filename,
                origin=weights.url,
                cache_dir=cache_dir,
                cache_subdir="gan-zoo",
            )
        )
    return verify(local, weights.sha256)
