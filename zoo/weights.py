"""Locating and integrity-checking weights files."""

from __future__ import annotations

import hashlib
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

    A URL is downloaded once into the Keras cache (``~/.keras/gan-zoo``);
    ``file://`` URLs work too, which is how the tests exercise this path.
    """
    local = weights_dir / weights.filename
    if not local.exists():
        if weights.url is None:
            raise WeightsIntegrityError(f"weights file {local} is missing and the entry names no URL")
        import keras

        local = Path(
            keras.utils.get_file(
                fname=weights.filename, origin=weights.url, cache_subdir="gan-zoo", file_hash=None
            )
        )
    return verify(local, weights.sha256)
