"""Inputs that make train steps comparable across backends and precisions (shared by
tests/backend_worker.py and tests/test_precision.py)."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np


def fixed_latents(step, n: int, seed: int = 0):
    """The step's latent structure filled with fixed NumPy values, identical on every backend.

    StyleGAN's crossover (an integer) mixes at layer 1; every other leaf is uniform in [0, 1).
    """
    structure = step.sample_latents(n, keras.random.SeedGenerator(0))
    rng = np.random.default_rng(seed)
    values = []
    for leaf in keras.tree.flatten(structure):
        a = np.asarray(keras.ops.convert_to_numpy(leaf))
        values.append(np.ones_like(a) if a.dtype.kind in "iu" else rng.uniform(0, 1, a.shape).astype(a.dtype))
    return keras.tree.pack_sequence_as(structure, [keras.ops.convert_to_tensor(v) for v in values])


def without_dropout(preset):
    """``preset`` with every ``dropout`` rate in its model configs set to 0.

    Dropout masks come from each backend's random stream and from a uniform draw in the
    layer's compute dtype, so masked losses agree neither across backends nor across
    precisions; every other op of the step still runs.
    """
    def strip(config: dict) -> dict:
        return {**config, "dropout": 0.0} if config.get("dropout") else config
    return dataclasses.replace(preset, generator_config=strip(preset.generator_config),
                               discriminator_config=strip(preset.discriminator_config))
