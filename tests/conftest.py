"""Shared fixtures: point the data layer at the offline datasets beside the repo."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets"
if "ZOO_DATA_DIR" not in os.environ and SHARED_DATA.exists():
    os.environ["ZOO_DATA_DIR"] = str(SHARED_DATA)

import dataclasses  # noqa: E402
import functools  # noqa: E402
import importlib.util  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def tiny_preset():
    """dcgan-mnist's tiny test configuration (zoo.registry.tiny_preset) at the recipe's batch,
    with dropout on, so that resume tests also check that dropout masks continue exactly."""
    from zoo.registry import get_preset, tiny_preset

    p = tiny_preset("dcgan-mnist", batch_size=get_preset("dcgan-mnist").recipe.batch_size)
    return dataclasses.replace(p, discriminator_config={**p.discriminator_config, "dropout": 0.3})


@pytest.fixture
def register_temporarily():
    """``register_temporarily(preset)`` adds ``preset`` to the registry until the test ends."""
    from zoo import registry

    added = []

    def add(preset):
        registry.register(preset)
        added.append(preset.name)
        return preset

    yield add
    for name in added:
        registry.unregister(name)


@pytest.fixture
def tiny_images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)


@pytest.fixture(scope="session")
def load_script():
    """``load_script("name")``: ``scripts/name.py`` as a module (scripts/ is not a package), loaded once."""

    @functools.cache
    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
