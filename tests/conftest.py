"""Shared fixtures: point the data layer at the offline datasets beside the repo."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets"
if "ZOO_DATA_DIR" not in os.environ and SHARED_DATA.exists():
    os.environ["ZOO_DATA_DIR"] = str(SHARED_DATA)

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def tiny_preset():
    """dcgan-mnist with a tiny architecture: same code paths, milliseconds per step."""
    from zoo.registry import get_preset

    p = get_preset("dcgan-mnist")
    return dataclasses.replace(
        p,
        generator_config=dict(latent_dim=8, base_shape=(7, 7, 8), filters=(4,), strides=(2,)),
        discriminator_config=dict(image_shape=(28, 28, 1), filters=(4, 8), dropout=0.3),
        generator_weights=None,
        discriminator_weights=None,
    )


@pytest.fixture
def tiny_images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
