import json
import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.model import build
from zoo.registry import get_preset
from zoo.training.ema import recalibrate_batchnorm
from zoo.training.trainer import TrainConfig, Trainer

# One preset per family: the real architecture and step logic of each family.
FAMILY_PRESETS = sorted({get_preset(n).family: n for n in zoo.list_models()}.values())


def _cfg(out, **kw):
    return TrainConfig(out_dir=out, progress=False, tensorboard=False, checkpoint_every=10**6, **kw)


@pytest.mark.parametrize("name", FAMILY_PRESETS)
def test_one_real_step_has_finite_losses_and_gradients_everywhere(name):
    preset = get_preset(name)
    keras.utils.set_random_seed(0)
    g, d = build(preset)
    step = preset.step.from_preset(preset)
    real = tf.random.uniform((8, *d.inputs[0].shape[1:]), -1, 1)
    latents = step.sample_latents(8, keras.random.SeedGenerator(0))
    with tf.GradientTape(persistent=True) as tape:
        losses = step.losses(g, d, real, latents)
    # InfoGAN's official loss scores the continuous codes with a fixed std: Q's log-std head
    # (kept so that both variants share one discriminator) is the one part without a gradient.
    unused = {"q_cont_log_std/kernel", "q_cont_log_std/bias"} if step.get_config().get("continuous_std") == "fixed" \
        else set()
    for key, model in (("g_loss", g), ("d_loss", d)):
        assert np.isfinite(float(losses[key]))
        trained = [v for v in model.trainable_variables if v.path not in unused]
        assert len(trained) == len(model.trainable_variables) - (len(unused) if model is d else 0)
        grads = tape.gradient(losses[key], trained)
        for v, gr in zip(trained, grads):
            assert gr is not None, f"{key}: no gradient for {v.path}"
            assert np.isfinite(gr.numpy()).all(), v.path
            assert np.abs(gr.numpy()).max() > 0, f"{key}: zero gradient for {v.path}"


def _weights(trainer):
    return [v.numpy() for v in trainer.state.generator.variables + trainer.state.discriminator.variables + trainer.state.ema.variables]


def test_resume_continues_exactly(tiny_preset, tiny_images, tmp_path):
    straight = Trainer(tiny_preset, _cfg(tmp_path / "a", epochs=2, batch_size=16, max_steps=6), images=tiny_images)
    straight.fit()
    first = Trainer(tiny_preset, _cfg(tmp_path / "b", epochs=2, batch_size=16, max_steps=3), images=tiny_images)
    first.fit()
    resumed = Trainer(
        tiny_preset, _cfg(tmp_path / "b", epochs=2, batch_size=16, max_steps=6, resume=True), images=tiny_images
    )
    assert resumed.step == 3
    resumed.fit()
    assert resumed.step == straight.step == 6
    for a, b in zip(_weights(straight), _weights(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupt_saves_a_checkpoint_that_resumes(tiny_preset, tiny_images, tmp_path, how):
    t = Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16), images=tiny_images)
    real_prepare, calls = t.prepare_step, []

    def prepare_and_wrap(*args, **kwargs):
        # The loop selects a compiled step before every step (lazy R1 alternates two graphs):
        # wrap whichever one it selected, once.
        real_prepare(*args, **kwargs)
        real_step = t.train_step
        if getattr(real_step, "counts_calls", False):
            return

        def interrupt_on_third(batch):
            calls.append(1)
            if len(calls) == 3:
                if how == "ctrl-c":
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signal.SIGTERM)  # the trainer's handler raises KeyboardInterrupt
            return real_step(batch)

        interrupt_on_third.counts_calls = True
        t.train_step = interrupt_on_third

    t.prepare_step = prepare_and_wrap
    with pytest.raises(KeyboardInterrupt):
        t.fit()
    again = Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16, resume=True), images=tiny_images)
    assert again.step == 2
    assert again.fit()["steps"] == 4


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_preset, tiny_images, tmp_path):
    Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16, max_steps=2), images=tiny_images).fit()
    ckpt = tmp_path / "checkpoint.npz"
    before = ckpt.read_bytes()
    bad = tiny_images.copy()
    bad[:] = np.nan
    t = Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16, resume=True), images=bad)
    with pytest.raises(zoo.TrainingDivergedError, match="d_loss became nan at step 3.*intact"):
        t.fit()
    assert ckpt.read_bytes() == before


def test_existing_run_is_refused_without_resume_or_force(tiny_preset, tiny_images, tmp_path):
    Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16, max_steps=1), images=tiny_images).fit()
    with pytest.raises(zoo.ZooError, match="--resume.*--force"):
        Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16), images=tiny_images)
    with pytest.raises(zoo.ZooError, match="no checkpoint"):
        Trainer(tiny_preset, _cfg(tmp_path / "empty", epochs=1, resume=True), images=tiny_images)
    Trainer(tiny_preset, _cfg(tmp_path, epochs=1, batch_size=16, force=True), images=tiny_images)


def test_completed_run_writes_final_weights_grids_and_card(tiny_preset, tiny_images, tmp_path):
    trainer = Trainer(tiny_preset, _cfg(tmp_path, epochs=2, batch_size=32), images=tiny_images)
    summary = trainer.fit()
    assert summary["steps"] == 4 and summary["images_seen"] == 128
    final = tmp_path / "final"
    for f in ("generator.weights.h5", "generator_live.weights.h5", "discriminator.weights.h5",
              "generator_samples.png", "run_card.json"):
        assert (final / f).exists(), f
    assert (tmp_path / "samples" / "epoch_002.png").exists()
    card = json.loads((final / "run_card.json").read_text())
    assert card["shipped_generator"] == "ema" and card["run"]["steps"] == 4
    m = zoo.ZooModel(tiny_preset, build(tiny_preset)[0], card=card)
    m.generator.load_weights(final / "generator.weights.h5")
    # final/generator is the EMA generator the trainer ended with (batch norm recalibrated), not the live one.
    z = m.sample_latents(4, seed=0)
    ema, live = trainer.state.ema, trainer.state.generator
    np.testing.assert_allclose(m.generate(z), np.asarray(ema(z, training=False)), atol=1e-6)
    assert np.abs(m.generate(z) - np.asarray(live(z, training=False))).max() > 1e-4


def test_recalibrated_batchnorm_matches_training_mode(tiny_preset):
    g, _ = build(tiny_preset)
    z = np.random.default_rng(0).standard_normal((256, 8)).astype(np.float32)
    before = np.abs(np.asarray(g(z, training=False)) - np.asarray(g(z, training=True))).max()
    recalibrate_batchnorm(g, z)
    after = np.abs(np.asarray(g(z, training=False)) - np.asarray(g(z, training=True))).max()
    assert after < 1e-3 < before
    assert all(bn.momentum == 0.99 for bn in g.layers if isinstance(bn, keras.layers.BatchNormalization))
