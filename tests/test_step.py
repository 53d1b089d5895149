"""NonSaturatingStep: the joint discriminator batch is what lets batch norm see a mean shift; its options."""

import dataclasses
import types

import keras
import numpy as np
import pytest

from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.registry import get_preset
from zoo.training import losses
from zoo.training.step import NON_SATURATING_COST, NonSaturatingStep


def _logits_gap(joint_batch: bool) -> float:
    """Mean fake logit minus mean real logit when fake = real + 0.5 (a pure mean shift)."""
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    d = MLPDiscriminator(batch_norm=True)
    seen = {}

    def spy(x, training):  # records D's logits on both halves
        out = d(x, training=training)
        seen.setdefault("calls", []).append(np.asarray(out))
        return out

    step = NonSaturatingStep(latent_dim=4, joint_batch=joint_batch)
    step.losses(lambda z, training: real + 0.5, spy, real, np.zeros((16, 4), "float32"))
    logits = np.concatenate(seen["calls"])
    return float(logits[16:].mean() - logits[:16].mean())


def test_separate_batches_hide_a_mean_shift_from_batchnorm():
    # Dense is linear and BN removes each batch's mean, so shifted fakes score like the reals.
    assert abs(_logits_gap(joint_batch=False)) < 1e-4


def test_joint_batch_exposes_a_mean_shift():
    assert abs(_logits_gap(joint_batch=True)) > 1e-2


@pytest.mark.parametrize("joint_batch", [True, False])
def test_step_config_reaches_the_step_and_round_trips(joint_batch):
    preset = dataclasses.replace(get_preset("dcgan-mnist"), step_config={"joint_batch": joint_batch},
                                 generator_config={**get_preset("dcgan-mnist").generator_config, "latent_dim": 7})
    step = preset.step.from_preset(preset)
    assert step.joint_batch is joint_batch and step.latent_dim == 7
    again = NonSaturatingStep(**step.get_config())
    assert again.get_config() == step.get_config()


def test_unknown_step_option_is_an_error():
    preset = get_preset("dcgan-mnist")
    with pytest.raises(TypeError, match="joint"):
        NonSaturatingStep.from_preset(dataclasses.replace(preset, step_config={"jointbatch": True}))


# -- step_config options (NonSaturatingStep) ---------------------------------------------------------
ALL_OPTIONS = dict(joint_batch=True, loss="hinge", r1_gamma=2.5, r1_every=4, augment="translation,cutout",
                   augment_translation=0.25, augment_cutout=0.25)


def test_every_option_reaches_the_step_and_round_trips():
    preset = dataclasses.replace(get_preset("dcgan-mnist"), step_config=ALL_OPTIONS)
    step = preset.step.from_preset(preset)
    assert step.get_config() == {"latent_dim": 100, **ALL_OPTIONS}
    assert NonSaturatingStep(**step.get_config()).get_config() == step.get_config()


def test_defaults_are_todays_step():
    assert NonSaturatingStep(latent_dim=4).get_config() == dict(
        latent_dim=4, joint_batch=False, loss="non-saturating", r1_gamma=0.0, r1_every=1, augment="",
        augment_translation=0.125, augment_cutout=0.5)


@pytest.mark.parametrize("bad", [dict(loss="wasserstein"), dict(r1_gamma=-1.0), dict(r1_every=0),
                                 dict(r1_every=1.5), dict(augment="translation,colour")])
def test_bad_options_are_errors(bad):
    with pytest.raises(ValueError):
        NonSaturatingStep(latent_dim=4, **bad)


@pytest.mark.parametrize("loss, g_fn, d_fn", [
    ("non-saturating", losses.non_saturating_generator_loss, losses.non_saturating_discriminator_loss),
    ("hinge", losses.hinge_generator_loss, losses.hinge_discriminator_loss),
])
def test_loss_option_selects_the_pair(loss, g_fn, d_fn):
    rng = np.random.default_rng(1)
    real = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    fake = rng.uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    d = MLPDiscriminator(hidden_units=(8,), batch_norm=False)
    out = NonSaturatingStep(latent_dim=4, loss=loss).losses(lambda z, training: fake, d, real, np.zeros((6, 4)))
    real_logits, fake_logits = d(real, training=True), d(fake, training=True)
    assert float(out["g_loss"]) == float(g_fn(fake_logits))
    assert float(out["d_loss"]) == float(d_fn(real_logits, fake_logits))


def _linear_critic(seed=0):
    """D(x) = <w, x> + b: its input gradient is w for every image, so R1 = ||w||^2 by hand."""
    d = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    w = np.random.default_rng(seed).normal(0, 0.1, (784, 1)).astype("float32")
    d.layers[-1].set_weights([w, np.array([0.3], "float32")])
    return d, float(np.sum(w.astype(np.float64) ** 2))


@pytest.mark.parametrize("joint_batch", [False, True])
def test_r1_adds_gamma_over_2_times_the_squared_gradient_norm(joint_batch):
    d, r1 = _linear_critic()
    real = np.random.default_rng(2).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    fake = -real

    def d_loss(**options):
        step = NonSaturatingStep(latent_dim=4, joint_batch=joint_batch, **options)
        return float(step.losses(lambda z, training: fake, d, real, np.zeros((5, 4)))["d_loss"])

    plain = d_loss()
    assert d_loss(r1_gamma=3.0) - plain == pytest.approx(3.0 / 2 * r1, rel=1e-4)
    # Lazy (every 4): applied with weight 4 on the steps that have it.
    assert d_loss(r1_gamma=3.0, r1_every=4) - plain == pytest.approx(4 * 3.0 / 2 * r1, rel=1e-4)


def test_lazy_r1_graph_keys_follow_the_step_index():
    state = types.SimpleNamespace(batch_size=16)
    lazy = NonSaturatingStep(latent_dim=4, r1_gamma=1.0, r1_every=3)
    assert [lazy.on_images(i * 16, state) for i in range(7)] == [("r1", i % 3 == 0) for i in range(7)]
    # One graph whenever R1 is off or on every step.
    assert NonSaturatingStep(latent_dim=4, r1_gamma=1.0).on_images(16, state) is None
    assert NonSaturatingStep(latent_dim=4, r1_every=3).on_images(16, state) is None


def test_cost_counts_r1():
    assert NonSaturatingStep(latent_dim=4).cost() == NON_SATURATING_COST
    every = NonSaturatingStep(latent_dim=4, r1_gamma=1.0).cost()
    assert (every.generator_passes, every.discriminator_passes) == (3, 10)  # StyleGAN's default (R1 every step)
    lazy = NonSaturatingStep(latent_dim=4, r1_gamma=1.0, r1_every=4).cost()
    assert (lazy.generator_passes, lazy.discriminator_passes) == (3, 7 + 3 / 4)


def test_augmentation_draws_come_from_the_seed_generator():
    step = NonSaturatingStep(latent_dim=4, augment="translation,cutout")
    a = step.sample_latents(6, keras.random.SeedGenerator(5))
    b = step.sample_latents(6, keras.random.SeedGenerator(5))
    assert tuple(a["z"].shape) == (6, 4) and sorted(a["augment"]) == ["cutout", "translation"]
    assert tuple(a["augment"]["cutout"].shape) == (6, 2, 2)  # (image, real / fake, y / x)
    for name in a["augment"]:
        np.testing.assert_array_equal(a["augment"][name], b["augment"][name])
    # Off: the plain tensor, drawn exactly as before.
    plain = NonSaturatingStep(latent_dim=4).sample_latents(6, keras.random.SeedGenerator(5))
    np.testing.assert_array_equal(plain, keras.random.normal((6, 4), seed=keras.random.SeedGenerator(5)))
