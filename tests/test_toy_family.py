"""A new family needs no edit outside its own folder.

The test writes a toy family as a package in a temporary folder (model
builders, a hinge-loss GANStep, a preset with its tiny configuration),
registers it the way a plugin is registered (``$ZOO_FAMILY_MODULES``), and
shows that listing, sampling, a train step on every backend, checkpoint and
resume, and export all work for it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import textwrap

import numpy as np
import pytest

import zoo
from test_backends import OTHER_BACKENDS, run_worker
from zoo import registry

NAME = "toy-mnist"

PRESETS = textwrap.dedent('''
    """A toy GAN family: one hidden layer each way, hinge loss."""

    from pathlib import Path

    import keras
    from keras import ops

    from zoo.registry import Preset, TrainRecipe, register
    from zoo.training.step import GANStep


    def toy_generator(latent_dim=4, units=16, name="generator"):
        z = keras.Input((latent_dim,), name="z")
        x = keras.layers.Dense(units, activation="relu")(z)
        x = keras.layers.Dense(28 * 28, activation="tanh")(x)
        return keras.Model(z, keras.layers.Reshape((28, 28, 1), name="image")(x), name=name)


    def toy_discriminator(units=16, name="discriminator"):
        image = keras.Input((28, 28, 1), name="image")
        x = keras.layers.Dense(units, activation="relu")(keras.layers.Flatten()(image))
        return keras.Model(image, keras.layers.Dense(1)(x), name=name)


    class HingeStep(GANStep):
        def __init__(self, latent_dim):
            self.latent_dim = latent_dim

        @classmethod
        def from_preset(cls, preset):
            return cls(preset.generator_config["latent_dim"])

        def get_config(self):
            return {"latent_dim": self.latent_dim}

        def sample_latents(self, batch_size, seed_generator):
            return keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)

        def losses(self, generator, discriminator, real, latents):
            fake_logits = discriminator(generator(latents, training=True), training=True)
            real_logits = discriminator(real, training=True)
            d_loss = ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))
            return {"g_loss": -ops.mean(fake_logits), "d_loss": d_loss}


    CONFIG_G, CONFIG_D = dict(latent_dim=4, units=16), dict(units=16)
    register(Preset(
        name="toy-mnist", family="toy", dataset="mnist", description="a toy family from a plugin package",
        generator=toy_generator, generator_config=CONFIG_G,
        discriminator=toy_discriminator, discriminator_config=CONFIG_D,
        step=HingeStep, recipe=TrainRecipe(batch_size=8, epochs=1),
        weights_dir=Path(__file__).parent / "weights",
        tiny=dict(generator_config=CONFIG_G, discriminator_config=CONFIG_D),
    ))
''')


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy package on sys.path and in $ZOO_FAMILY_MODULES, registered; removed afterwards."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "toyfam").mkdir()
    (root / "toyfam" / "__init__.py").write_text("")
    (root / "toyfam" / "presets.py").write_text(PRESETS)
    sys.path.insert(0, str(root))
    mp = pytest.MonkeyPatch()
    mp.setenv(registry.FAMILY_MODULES_ENV, "toyfam.presets")
    mp.setenv("PYTHONPATH", str(root), prepend=":")
    importlib.import_module("toyfam.presets")
    yield root
    registry.unregister(NAME)
    sys.modules.pop("toyfam.presets", None)
    sys.modules.pop("toyfam", None)
    sys.path.remove(str(root))
    mp.undo()


def _images(n=32):
    return np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


def test_listed_and_sampled_like_any_entry(toy):
    from zoo import listing

    assert zoo.list_models("toy-*") == [NAME]
    assert NAME in registry.one_per_family()
    (row,) = listing.model_rows("toy-*")
    assert row["name"] == NAME and "not yet" in listing.text_table([row])
    m = zoo.load(NAME, weights=None)
    x = m.sample(3, seed=0)
    assert x.shape == (3, 28, 28, 1) and np.abs(x).max() <= 1
    np.testing.assert_array_equal(x, m.sample(3, seed=0))


def test_checkpoint_resume_continues_exactly(toy, tmp_path):
    from zoo.training.trainer import TrainConfig, Trainer

    preset = registry.tiny_preset(NAME)

    def cfg(out, steps, resume=False):
        return TrainConfig(out_dir=out, max_steps=steps, resume=resume, progress=False, tensorboard=False)

    straight = Trainer(preset, cfg(tmp_path / "a", 4), images=_images())
    straight.fit()
    Trainer(preset, cfg(tmp_path / "b", 2), images=_images()).fit()
    resumed = Trainer(preset, cfg(tmp_path / "b", 4, resume=True), images=_images())
    assert resumed.step == 2
    resumed.fit()
    for a, b in zip(straight.state.generator.get_weights(), resumed.state.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (tmp_path / "b" / "final" / "generator.weights.h5").exists()
    loaded = zoo.load(NAME, weights=tmp_path / "b" / "final" / "generator.weights.h5")  # the EMA generator
    z = loaded.sample_latents(2, seed=1)
    np.testing.assert_allclose(loaded.generate(z), np.asarray(resumed.state.shipped_generator(z)), atol=1e-6)


def test_exports_and_verifies(toy, tmp_path):
    import export

    m = zoo.load(NAME, weights=None)
    for result in (export.to_onnx(m, tmp_path / "toy.onnx"), export.to_tflite(m, tmp_path / "toy.tflite")):
        assert result.path.exists()


@pytest.mark.subprocess
@pytest.mark.parametrize("backend", OTHER_BACKENDS)  # JAX's is slow (make test-slow), as in test_backends
def test_one_step_on_every_backend(toy, tmp_path, backend):
    for b in ("tensorflow", backend):
        run_worker(b, "steps", tmp_path, ZOO_TEST_FAMILIES="toy", PYTHONPATH=str(toy))
    ref = np.load(tmp_path / "steps-tensorflow.npz")
    assert [k for k in ref.files if "/" not in k] == [NAME]
    got = np.load(tmp_path / f"steps-{backend}.npz")
    np.testing.assert_allclose(got[NAME], ref[NAME], rtol=1e-3, atol=1e-4, err_msg=backend)
