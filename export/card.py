"""The sidecar card (``ARTIFACT.card.json``) that describes an exported artifact."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

import numpy as np

from export import common

AUTO = "auto"  # weights_sha256 default: work out where the generator's weights came from
LIBRARIES = (
    "gan-zoo", "keras", "tensorflow", "numpy", "ai-edge-litert", "tf2onnx", "onnx", "onnxruntime",
    "tensorflow-hub", "tf-keras",
)


def card_path(artifact: str | Path) -> Path:
    """``out/dcgan-mnist.tflite`` -> ``out/dcgan-mnist.tflite.card.json``.

    The full artifact name is kept so the TF-Lite and ONNX files of one entry
    do not share a card.

    Examples:
    >>> card_path("out/dcgan-mnist_savedmodel").name
    'dcgan-mnist_savedmodel.card.json'
    """
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".card.json")


def library_versions() -> dict[str, str | None]:
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    return versions


def _array_digests(arrays) -> list[str]:
    return sorted(hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for a in arrays)


def weights_fingerprint(model) -> str:
    """sha256 over the generator's weight values, in order: identifies the exact weights exported."""
    h = hashlib.sha256()
    for w in model.generator.weights:
        h.update(np.ascontiguousarray(np.asarray(w)).tobytes())
    return h.hexdigest()


def source_weights_sha256(model) -> str | None:
    """sha256 of the weights file the generator was loaded from, or None for fresh weights.

    Uses ``model.weights_sha256`` when the model records it; otherwise the
    entry's shipped file counts only if its arrays are the generator's (a
    model loaded with ``weights=None`` or another file gets None).
    """
    if hasattr(model, "weights_sha256"):
        return model.weights_sha256
    shipped = getattr(model.preset, "generator_weights", None)
    if shipped is None:
        return None
    path = Path(model.preset.weights_dir) / shipped.filename
    if not path.exists():
        return None
    import h5py

    arrays = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda _, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    ours = [np.asarray(w) for w in model.generator.weights]
    return shipped.sha256 if _array_digests(arrays) == _array_digests(ours) else None


def build_card(
    model,
    *,
    artifact: Path,
    fmt: str,
    quantization: str | None,
    uint8_output: bool,
    weights_sha256: str | None,
    verification: dict,
    extra: dict | None = None,
) -> dict:
    """The card dict for one artifact (written beside it, and into ONNX ``metadata_props``)."""
    out = common.output_info(model, uint8_output)
    card = {
        "zoo_name": model.name,
        "family": getattr(model.preset, "family", None),
        "artifact": Path(artifact).name,
        "format": fmt,
        "quantization": quantization,
        "signature": common.SIGNATURE_KEY if fmt in ("saved_model", "tflite") else None,
        "inputs": [i.to_dict() for i in common.input_infos(model)],
        "outputs": [out.to_dict()],
        "layout": "NHWC",
        "latent_distribution": common.latent_distribution(model),
        "output_range": [0, 255] if uint8_output else [-1.0, 1.0],
        "output_scaling": "floor((x + 1) * 127.5 + 0.5) of the [-1, 1] image" if uint8_output else None,
        "source_weights_sha256": weights_sha256,
        "generator_weights_fingerprint": weights_fingerprint(model),
        "library_versions": library_versions(),
    }
    card.update(extra or {})
    card["verification"] = verification
    return card
