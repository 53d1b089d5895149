"""ProGAN family: growth, fade-in, the WGAN-GP step, schedule and mid-phase resume."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.families.progan import GrowthSchedule, ProGANDiscriminator, ProGANGenerator, ProGANStep
from zoo.families.progan.wgan_gp import gradient_penalty, wgan_gp_losses
from zoo.layers import upsample_nearest
from zoo.registry import get_preset, tiny_preset
from zoo.training.trainer import TrainConfig, Trainer

FILTERS = (16, 16, 8, 8)


@pytest.fixture(scope="module")
def nets():
    keras.utils.set_random_seed(0)
    return ProGANGenerator(latent_dim=8, filters=FILTERS), ProGANDiscriminator(filters=FILTERS)


@pytest.fixture
def tiny_progan():
    """progan-fashion-mnist's tiny configuration: 4 -> 8 with 2 steps of batch 8 per phase."""
    p = tiny_preset("progan-fashion-mnist", batch_size=8)
    assert p.recipe.schedule.fade_images == p.recipe.schedule.stabilise_images == 16  # the tests below count on it
    return dataclasses.replace(p, recipe=dataclasses.replace(p.recipe, epochs=1))


@pytest.fixture
def tiny_images():
    return np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype(np.float32)


def _z(n=4, dim=8, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_shapes_at_every_resolution_and_phase(nets):
    g, d = nets
    x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 1)).astype(np.float32)
    try:
        for r in (4, 8, 16, 32):
            assert tuple(g.generate_at(_z(), r).shape) == (4, r, r, 1)
            for fading in ((False, True) if r > 4 else (False,)):
                g.set_growth(r, fading, 0.3)
                d.set_growth(r, fading, 0.3)
                assert tuple(g(_z()).shape) == (4, 32, 32, 1)  # always the final shape
                assert tuple(d(x).shape) == (4, 1)
    finally:
        g.set_growth(32, False, 1.0)
        d.set_growth(32, False, 1.0)


def test_low_resolution_output_is_upsampled_exactly(nets):
    g, _ = nets
    try:
        g.set_growth(8)
        np.testing.assert_allclose(np.asarray(g(_z())), np.asarray(upsample_nearest(g.generate_at(_z(), 8), 4)))
    finally:
        g.set_growth(32)


@pytest.mark.parametrize("r", [8, 16, 32])
def test_generator_fade_in_blend(nets, r):
    """alpha 0: the upsampled old toRGB path; alpha 1: the new block; in between: the lerp."""
    g, _ = nets
    z = _z()
    old = np.asarray(upsample_nearest(g.generate_at(z, r // 2), 2 * 32 // r))
    new = np.asarray(upsample_nearest(g.generate_at(z, r), 32 // r))
    assert np.abs(old - new).max() > 1e-3
    try:
        for alpha in (0.0, 1.0, 0.25):
            g.set_growth(r, fading=True, alpha=alpha)
            np.testing.assert_allclose(np.asarray(g(z)), (1 - alpha) * old + alpha * new, rtol=1e-5, atol=1e-6)
    finally:
        g.set_growth(32, False, 1.0)


@pytest.mark.parametrize("r", [8, 32])
def test_discriminator_fade_in_blend(nets, r):
    _, d = nets
    x = np.random.default_rng(1).uniform(-1, 1, (4, 32, 32, 1)).astype(np.float32)
    try:
        d.set_growth(r // 2)
        old_path = np.asarray(d(x))
        d.set_growth(r)
        new_path = np.asarray(d(x))
        d.set_growth(r, fading=True, alpha=0.0)
        np.testing.assert_allclose(np.asarray(d(x)), old_path, rtol=1e-5, atol=1e-6)
        d.set_growth(r, fading=True, alpha=1.0)
        np.testing.assert_allclose(np.asarray(d(x)), new_path, rtol=1e-5, atol=1e-6)
    finally:
        d.set_growth(32, False, 1.0)


def test_fresh_models_are_the_final_graph(nets):
    """The Functional graph (what export traces) is the final-resolution, alpha = 1 path."""
    g, d = nets
    assert g.growth == (32, False) and float(g.alpha.numpy()) == 1.0
    graph = keras.Model(g.inputs, g.outputs)
    np.testing.assert_allclose(np.asarray(graph(_z())), np.asarray(g(_z())), rtol=1e-6)
    x = np.asarray(g(_z()))
    np.testing.assert_allclose(np.asarray(keras.Model(d.inputs, d.outputs)(x)), np.asarray(d(x)), rtol=1e-6)


def test_set_growth_marks_exactly_the_active_layers_trainable(nets):
    g, d = nets
    try:
        g.set_growth(16, fading=True)
        d.set_growth(16, fading=True)
        g_paths = {v.path.split("/")[0] for v in g.trainable_variables}
        d_paths = {v.path.split("/")[0] for v in d.trainable_variables}
        assert g_paths == {"block_4", "block_8", "block_16", "to_rgb_16", "to_rgb_8"}
        assert d_paths == {"block_4", "block_8", "block_16", "from_rgb_16", "from_rgb_8"}
        assert len(g.variables) == len(ProGANGenerator(latent_dim=8, filters=FILTERS).variables)
    finally:
        g.set_growth(32)
        d.set_growth(32)


def test_schedule_phases_alpha_and_boundaries():
    s = GrowthSchedule(resolutions=(4, 8, 16), fade_images=100, stabilise_images=50)
    expect = {0: (4, False, 1.0), 49: (4, False, 1.0), 50: (8, True, 0.0), 75: (8, True, 0.25),
              149: (8, True, 0.99), 150: (8, False, 1.0), 200: (16, True, 0.0), 300: (16, False, 1.0),
              10**9: (16, False, 1.0)}
    for images, (r, fading, alpha) in expect.items():
        p = s.phase_at(images)
        assert (p.resolution, p.fading) == (r, fading) and p.alpha == pytest.approx(alpha), images
    assert s.images_to_final_resolution == 300
    assert [p.index for p in map(s.phase_at, (0, 50, 150, 200, 300))] == [0, 1, 2, 3, 4]


def test_gradient_penalty_matches_hand_computation_for_a_linear_critic():
    """D(x) = <w, x>: the input gradient is w for every sample, so GP = (||w|| - 1)^2."""
    critic = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)])
    w = np.array([[0.5], [1.0], [-2.0], [0.25]], np.float32)
    critic.layers[-1].kernel.assign(w)
    rng = np.random.default_rng(0)
    real, fake = (rng.normal(size=(3, 2, 2, 1)).astype(np.float32) for _ in range(2))
    mix = rng.uniform(size=(3, 1, 1, 1)).astype(np.float32)
    gp = float(gradient_penalty(critic, tf.constant(real), tf.constant(fake), tf.constant(mix)))
    assert gp == pytest.approx((np.linalg.norm(w) - 1.0) ** 2, rel=1e-5)

    losses = wgan_gp_losses(critic, tf.constant(real), tf.constant(fake), tf.constant(mix), 10.0, 1e-3)
    real_s, fake_s = real.reshape(3, -1) @ w, fake.reshape(3, -1) @ w
    hand_d = fake_s.mean() - real_s.mean() + 10 * (np.linalg.norm(w) - 1) ** 2 + 1e-3 * (real_s**2).mean()
    assert float(losses["d_loss"]) == pytest.approx(hand_d, rel=1e-5)
    assert float(losses["g_loss"]) == pytest.approx(-fake_s.mean(), rel=1e-5)


class _HalfSquaredNorm(keras.layers.Layer):
    def call(self, x):
        return 0.5 * keras.ops.sum(keras.ops.square(x), axis=(1, 2, 3))[:, None]


def test_gradient_penalty_interpolates_between_real_and_fake():
    """D(x) = ||x||^2 / 2 has gradient x, so GP = mean((||fake + mix (real - fake)|| - 1)^2)."""
    critic = keras.Sequential([keras.Input((2, 2, 1)), _HalfSquaredNorm()])
    rng = np.random.default_rng(1)
    real, fake = (rng.normal(size=(4, 2, 2, 1)).astype(np.float32) for _ in range(2))
    mix = rng.uniform(size=(4, 1, 1, 1)).astype(np.float32)
    x_hat = fake + mix * (real - fake)
    hand = np.mean((np.linalg.norm(x_hat.reshape(4, -1), axis=1) - 1) ** 2)
    gp = float(gradient_penalty(critic, tf.constant(real), tf.constant(fake), tf.constant(mix)))
    assert gp == pytest.approx(hand, rel=1e-5)


def _cfg(out, **kw):
    return TrainConfig(out_dir=out, progress=False, tensorboard=False, checkpoint_every=10**6, **kw)


def _all_weights(t):
    return [v.numpy() for v in t.state.generator.variables + t.state.discriminator.variables + t.state.ema.variables]


def test_resume_mid_phase_restores_phase_alpha_and_counter(tiny_progan, tiny_images, tmp_path):
    # Phases of 2 steps: stabilise 4x4 (steps 0-1), fade in 8x8 (2-3, alpha 0 then 0.5), stabilise 8x8.
    straight = Trainer(tiny_progan, _cfg(tmp_path / "a", max_steps=6, log_every=1), images=tiny_images)
    straight.fit()
    first = Trainer(tiny_progan, _cfg(tmp_path / "b", max_steps=3), images=tiny_images)
    first.fit()
    assert first.state.generator.growth == (8, True)
    resumed = Trainer(tiny_progan, _cfg(tmp_path / "b", max_steps=6, resume=True, log_every=1), images=tiny_images)
    assert resumed.step == 3  # the image counter is step * batch = 24, inside the fade-in
    assert float(resumed.state.generator.alpha.numpy()) == 0.0  # as checkpointed after step 2's alpha
    resumed.prepare_step()
    phase = resumed.gan_step.phase
    assert (phase.resolution, phase.fading, phase.alpha) == (8, True, 0.5)
    for model in (resumed.state.generator, resumed.state.discriminator, resumed.state.ema):
        assert model.growth == (8, True) and float(model.alpha.numpy()) == 0.5
    resumed.fit()
    assert resumed.step == straight.step == 6
    np.testing.assert_array_equal(resumed.state.seed_generator.state.numpy(), straight.state.seed_generator.state.numpy())
    # Usually bit-identical, but multithreaded CPU kernels may sum in another order,
    # and Adam with beta_1 = 0, eps = 1e-8 turns a relative change in a near-zero
    # gradient into a step of up to lr = 1e-3; a wrong phase or alpha after resume
    # moves the losses by far more than this tolerance.
    for a, b in zip(_all_weights(straight), _all_weights(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=3e-3)
    np.testing.assert_allclose(straight.record["history"][-1]["d_loss"], resumed.record["history"][-1]["d_loss"],
                               rtol=1e-2)
    logged = [(h["resolution"], h["alpha"]) for h in straight.record["history"]]
    assert logged == [(4, 1), (4, 1), (8, 0), (8, 0.5), (8, 1), (8, 1)]


def test_one_step_updates_exactly_the_active_variables(tiny_progan, tiny_images, tmp_path):
    t = Trainer(tiny_progan, _cfg(tmp_path), images=tiny_images)
    t.state.g_opt.iterations.assign(2)  # 16 images seen: the start of the 8x8 fade-in
    t.prepare_step()
    assert t.state.generator.growth == (8, True)
    t.state.generator.alpha.assign(0.5)  # mid fade, so both paths get gradient
    t.state.discriminator.alpha.assign(0.5)
    before = {id(v): v.numpy() for m in (t.state.generator, t.state.discriminator) for v in m.trainable_variables}
    losses = t.train_step(tf.constant(tiny_images[:8]))
    assert all(np.isfinite(float(v)) for v in losses.values())
    for model in (t.state.generator, t.state.discriminator):
        assert len(model.trainable_variables) == len([v for v in model.variables if v.path.split("/")[-1] != "alpha"])
        for v in model.trainable_variables:
            assert np.abs(v.numpy() - before[id(v)]).max() > 0, f"{v.path} did not change"
    # At 4x4 only the 4x4 block and its toRGB/fromRGB train; the 8x8 parts keep their values.
    t.state.g_opt.iterations.assign(0)
    t.prepare_step()
    g_frozen = {v.path: v.numpy() for v in t.state.generator.variables if v.path.startswith(("block_8", "to_rgb_8"))}
    t.train_step(tf.constant(tiny_images[:8]))
    for v in t.state.generator.variables:
        if v.path in g_frozen:
            np.testing.assert_array_equal(v.numpy(), g_frozen[v.path])
    assert [v.path for v in t.state.ema.trainable_variables] == [v.path for v in t.state.generator.trainable_variables]


def test_zoo_model_samples_intermediate_resolutions():
    m = zoo.load("progan-fashion-mnist", weights=None)
    assert m.sample(3, seed=0).shape == (3, 32, 32, 1)
    x8 = m.sample(3, seed=0, resolution=8)
    assert x8.shape == (3, 8, 8, 1) and x8.dtype == np.float32 and np.abs(x8).max() <= 1
    np.testing.assert_allclose(x8, m.sample(3, seed=0, resolution=8, batch_size=2), atol=1e-5)
    np.testing.assert_array_equal(m.sample(3, seed=0, resolution=32), m.sample(3, seed=0))
    with pytest.raises(ValueError, match="resolution"):
        m.sample(2, resolution=12)


def test_growth_strip_rows_are_resolutions_and_cli_writes_it(tmp_path):
    from PIL import Image

    from zoo.cli import main
    from zoo.images import label_margins, make_grid

    keras.utils.set_random_seed(4)
    m = zoo.load("progan-fashion-mnist", weights=None)
    strip = m.growth_strip([3, 5])  # (4 resolutions * 2 seeds, 32, 32, 1), row-major
    assert strip.shape == (8, 32, 32, 1)
    np.testing.assert_allclose(strip[6:], np.concatenate([m.sample(1, seed=s) for s in (3, 5)]), atol=1e-5)
    # Row 1 is the 8x8 image, each pixel repeated in a 4x4 block.
    np.testing.assert_allclose(strip[2, ::4, ::4], m.sample(1, seed=3, resolution=8)[0], atol=1e-5)
    out = tmp_path / "growth.png"
    keras.utils.set_random_seed(4)  # the command's fresh initialisation is m's
    assert main(["growth", "progan-fashion-mnist", "--seeds", "3,5", "-o", str(out), "--untrained",
                 "--scale", "1"]) == 0
    with Image.open(out) as im:  # 2 seeds x 4 resolutions of 32x32 tiles, 2 px apart, below/right of the labels
        left, top = label_margins(["4x4", "8x8", "16x16", "32x32"], ["seed 3", "seed 5"], scale=1)
        assert im.size == (2 * 34 + 2 + left, 4 * 34 + 2 + top)
        np.testing.assert_array_equal(np.asarray(im)[top:, left:], make_grid(strip, ncols=2))
    assert main(["growth", "progan-fashion-mnist", "-o", str(out), "--untrained"]) == 1  # exists, no --force
    assert main(["growth", "stylegan-fashion-mnist", "-o", str(tmp_path / "s.png"), "--untrained"]) == 1


def test_step_takes_the_recipe_and_draws_uniform_mixing_weights():
    from scipy import stats

    p = get_preset("progan-fashion-mnist")
    schedule = GrowthSchedule(resolutions=(4, 8), fade_images=24, stabilise_images=40)
    custom = dataclasses.replace(
        p, recipe=dataclasses.replace(p.recipe, schedule=schedule, gp_weight=3.0, drift_weight=0.5))
    step = ProGANStep.from_preset(custom)
    assert (step.schedule, step.gp_weight, step.drift_weight) == (schedule, 3.0, 0.5)
    # The reals are padded to the size the generator draws, so both reach D at one size.
    assert step.final_resolution == p.generator_config["resolution"] == p.pad_to
    assert custom.recipe.to_dict()["schedule"] == dataclasses.asdict(schedule)  # what the card records
    latents = step.sample_latents(4096, keras.random.SeedGenerator(0))
    assert tuple(latents["z"].shape) == (4096, p.generator_config["latent_dim"])
    assert tuple(latents["mix"].shape) == (4096, 1, 1, 1)  # one interpolation weight per image
    # WGAN-GP interpolates with U(0, 1) weights (fixed seed: a fixed p-value, not a flaky one).
    assert stats.kstest(np.asarray(latents["mix"]).ravel(), "uniform").pvalue > 0.01


def test_the_trainer_evaluates_at_every_phase_end_in_that_phase(tiny_progan, tiny_images, tmp_path, monkeypatch):
    """Phase ends (16 and 32 images) are evaluated in the phase that just ended; best only from 8x8."""
    from zoo.training import evaluation

    def record(self, state, view_class, step, wall_clock_s, recalibrate, writer=None):
        row = {"step": step, "images": state.images_seen, "eval_s": 0.0, "growth": state.ema.growth,
               "alpha": float(state.ema.alpha.numpy()), "values": {self.key: 100.0 - step}}
        self.rows.append(row)
        return row

    monkeypatch.setattr(evaluation.Evaluator, "evaluate", record)
    config = _cfg(tmp_path, max_steps=5, eval_every_images=10**6, eval_samples=256)
    t = Trainer(tiny_progan, config, images=tiny_images)
    assert t.evaluator.points == (16, 32) and t.evaluator.best_from == 32
    t.fit()
    got = [(r["images"], r["growth"], r["alpha"]) for r in t.evaluator.rows]
    # 16: the 4x4 network; 32: the end of the fade-in (alpha 0.5 at its last step); 40: the run's end.
    assert got == [(16, (4, False), 1.0), (32, (8, True), 0.5), (40, (8, False), 1.0)]
    assert t.evaluator.best["images"] == 40  # the 4x4 row is never a snapshot


def test_lazy_penalty_alternates_graphs_and_scales_the_penalty(tiny_progan):
    from zoo.training import TrainState

    preset = dataclasses.replace(tiny_progan, recipe=dataclasses.replace(tiny_progan.recipe, gp_every=2))
    state = TrainState.create(preset)
    step = ProGANStep.from_preset(preset)
    assert step.get_config()["gp_every"] == 2
    assert step.cost().discriminator_passes == 7 + 6 / 2
    assert [step.on_images(n, state) for n in (0, 8, 16, 24)] == [
        (4, False, True), (4, False, False), (8, True, True), (8, True, False)]
    real = keras.ops.convert_to_tensor(np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32"))
    latents = step.sample_latents(8, keras.random.SeedGenerator(0))
    step.on_images(32, state)  # the 8x8 stabilisation phase: alpha 1 on both steps
    penalised = step.losses(state.generator, state.discriminator, real, latents)  # step 4: a cycle's first
    assert "gp" in penalised
    step.on_images(40, state)
    skipped = step.losses(state.generator, state.discriminator, real, latents)
    assert "gp" not in skipped
    # Same critic scores; the penalised step adds gp_weight * gp_every * gp.
    assert float(skipped["wdist"]) == pytest.approx(float(penalised["wdist"]), rel=1e-5)
    gap = float(penalised["d_loss"]) - float(skipped["d_loss"])
    assert gap == pytest.approx(2 * 10.0 * float(penalised["gp"]), rel=1e-4)
    with pytest.raises(ValueError, match="gp_every must be an integer >= 1"):
        ProGANStep(latent_dim=8, schedule=preset.recipe.schedule, gp_every=0)
