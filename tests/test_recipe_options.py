"""Training-recipe options as plain data, each tested on the dcgan-mnist tiny configuration.

Step options live in ``Preset.step_config`` (loss, r1_gamma / r1_every, augment), trainer
options in the ``TrainRecipe`` (d_beta_*, ema_kimg / ema_rampup), architecture options in
``discriminator_config`` (spectral_norm). Every default is the plain DCGAN step.
"""

import dataclasses

import keras
import numpy as np
import pytest

from zoo.families.dcgan.discriminator import DCGANDiscriminator
from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.registry import tiny_preset
from zoo.training import TrainState, augment, backends, build_train_step
from zoo.training.ema import EMASchedule, ema_decay_at
from zoo.training.step import NonSaturatingStep

STEPS = 3
_np = keras.ops.convert_to_numpy  # any backend's tensor (PyTorch's too, when it requires grad)
REAL = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")


def _plain():
    """dcgan-mnist's tiny configuration with the plain DCGAN recipe (float32, per-step EMA 0.999, no
    step options), whatever the entry's shipped recipe adds: each test turns on one option."""
    p = tiny_preset("dcgan-mnist")
    return dataclasses.replace(p, step_config={}, recipe=dataclasses.replace(
        p.recipe, precision="float32", ema_decay=0.999, ema_kimg=None, ema_rampup=None))


def _preset(step_config=None, discriminator_config=None, **recipe):
    p = _plain()
    return dataclasses.replace(
        p,
        step_config={**p.step_config, **(step_config or {})},
        discriminator_config={**p.discriminator_config, **(discriminator_config or {})},
        recipe=dataclasses.replace(p.recipe, **recipe),
    )


def _train(preset, steps: int = STEPS):
    """``steps`` steps as the trainer runs them: ``on_images`` picks one compiled step per graph key."""
    state = TrainState.create(preset)
    step = preset.step.from_preset(preset)
    compiled, history = {}, []
    for _ in range(steps):
        key = step.on_images(state.images_seen, state)
        if key not in compiled:
            compiled[key] = build_train_step(step, state, recipe=preset.recipe)
        history.append({k: float(v) for k, v in compiled[key](REAL).items()})
    return state, history, compiled


def _weights(state) -> np.ndarray:
    """The generator's and the EMA's weights (the same variables whatever D's options)."""
    return np.concatenate([np.ravel(v) for m in (state.generator, state.ema) for v in m.get_weights()])


@pytest.fixture(scope="module")
def plain():
    state, history, _ = _train(_preset())
    return _weights(state), history


OPTIONS = {
    "hinge": dict(step_config=dict(loss="hinge")),
    "r1": dict(step_config=dict(r1_gamma=10.0)),
    "lazy-r1": dict(step_config=dict(r1_gamma=10.0, r1_every=2)),
    "diffaugment": dict(step_config=dict(augment="translation,cutout", joint_batch=True)),
    # joint_batch: one D call per step (PyTorch refuses Keras' in-place kernel rewrite between two calls).
    "spectral-norm": dict(discriminator_config=dict(spectral_norm=True), step_config=dict(joint_batch=True)),
    "d-lr-betas": dict(d_learning_rate=1e-3, d_beta_1=0.0, d_beta_2=0.99),
    "ema-half-life": dict(ema_kimg=0.01, ema_rampup=0.05),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_option_trains_and_changes_the_run(name, plain):
    state, history, compiled = _train(_preset(**OPTIONS[name]))
    assert all(np.isfinite(list(h.values())).all() for h in history)
    assert state.step == STEPS
    assert not np.allclose(_weights(state), plain[0], rtol=0, atol=1e-7), f"{name} changed nothing"
    if name == "lazy-r1":  # steps 0 and 2 with R1, step 1 without: two graphs, each built once
        assert sorted(compiled) == [("r1", False), ("r1", True)]


def test_explicit_defaults_are_the_plain_run(plain):
    defaults = dict(loss="non-saturating", r1_gamma=0.0, r1_every=1, augment="")
    state, history, _ = _train(_preset(step_config=defaults, discriminator_config=dict(spectral_norm=False)))
    np.testing.assert_array_equal(_weights(state), plain[0])
    assert history == plain[1]


def test_lazy_r1_changes_d_loss_exactly_on_every_kth_step():
    preset, k, gamma = _preset(), 3, 4.0
    state = TrainState.create(preset)
    g, d = state.generator, state.discriminator
    z = keras.random.normal((8, 8), seed=1)
    plain = NonSaturatingStep(latent_dim=8)
    lazy = NonSaturatingStep(latent_dim=8, r1_gamma=gamma, r1_every=k)
    _, grads = backends.value_and_input_gradient(lambda x: d(x, training=True), REAL)
    r1 = np.mean(np.sum(_np(grads).astype(np.float64) ** 2, axis=(1, 2, 3)))  # mean_N ||dD/dx||^2
    for i in range(2 * k + 1):
        key = lazy.on_images(i * state.batch_size, state)
        extra = float(lazy.losses(g, d, REAL, z)["d_loss"]) - float(plain.losses(g, d, REAL, z)["d_loss"])
        if i % k == 0:
            assert key == ("r1", True) and extra == pytest.approx(k * gamma / 2 * r1, rel=1e-4)
        else:
            assert key == ("r1", False) and extra == 0.0


def test_d_betas_reach_only_the_discriminators_optimiser():
    state = TrainState.create(_preset(d_learning_rate=1e-3, d_beta_1=0.0, d_beta_2=0.99))
    assert (float(state.d_opt.beta_1), float(state.d_opt.beta_2)) == (0.0, 0.99)
    assert float(state.d_opt.learning_rate) == pytest.approx(1e-3)
    assert (float(state.g_opt.beta_1), float(state.g_opt.beta_2)) == (0.5, 0.999)
    default = TrainState.create(_preset())  # None: the generator's betas
    assert (float(default.d_opt.beta_1), float(default.d_opt.beta_2)) == (0.5, 0.999)


# -- EMA as a half-life in images ----------------------------------------------------------------------
def test_recipe_picks_the_ema_schedule():
    r = _plain().recipe
    assert EMASchedule.from_recipe(r) == EMASchedule(decay=0.999)
    assert EMASchedule.from_recipe(dataclasses.replace(r, ema_kimg=10.0, ema_rampup=0.05)) == EMASchedule(
        half_life_kimg=10.0, rampup=0.05)
    assert EMASchedule.from_recipe(dataclasses.replace(r, ema_decay=None)) is None
    state = TrainState.create(_preset())
    with pytest.raises(ValueError, match="EMA"):
        build_train_step(NonSaturatingStep(latent_dim=8), state)


def test_per_step_decay_keeps_the_warm_up_formula():
    schedule = EMASchedule(decay=0.999)
    for steps in (1, 5, 10_000):
        assert float(schedule.decay_at(steps, 64)) == float(ema_decay_at(np.float32(steps), 0.999))


@pytest.mark.parametrize("batch", [32, 64])
def test_half_life_decay_is_exact(batch):
    decay = EMASchedule(half_life_kimg=10.0).decay_at(7, batch)
    assert decay == 0.5 ** (batch / 10_000)


def test_rampup_caps_the_half_life():
    schedule, batch = EMASchedule(half_life_kimg=10.0, rampup=0.05), 32
    assert float(schedule.decay_at(1, batch)) == 0.0  # no images yet: the EMA copies the generator
    # Step 101 follows 100 * 32 images: half-life min(10000, 0.05 * 3200) = 160 images.
    assert float(schedule.decay_at(101, batch)) == pytest.approx(0.5 ** (32 / 160), rel=1e-6)
    # Once rampup * images passes the half-life, the cap is gone.
    assert float(schedule.decay_at(100_000, batch)) == pytest.approx(0.5 ** (32 / 10_000), rel=1e-6)


@pytest.mark.parametrize("batch", [32, 64])
def test_half_life_halves_the_distance_to_a_constant_model_at_any_batch(batch):
    preset = _preset(ema_kimg=0.256, batch_size=batch)
    state = TrainState.create(preset, batch)
    schedule = EMASchedule.from_recipe(preset.recipe)
    ema, live = state.ema.trainable_variables, state.generator.trainable_variables
    for e, v in zip(ema, live):  # the live model sits 1 away from the EMA in every weight, and stays
        e.assign(v - 1.0)
    distances = []
    for images in range(batch, 512 + 1, batch):
        state.g_opt.iterations.assign_add(1)
        backends._update_ema(state, schedule)
        if images in (256, 512):
            distances.append(np.mean([np.mean(_np(v) - _np(e)) for e, v in zip(ema, live)]))
    np.testing.assert_allclose(distances, [0.5, 0.25], rtol=1e-5)


# -- spectral normalisation in D -----------------------------------------------------------------------
def test_default_discriminators_build_todays_variables():
    cfg = tiny_preset("dcgan-mnist").discriminator_config
    names = [v.path for v in DCGANDiscriminator(**cfg).weights]
    assert names == ["conv0/kernel", "conv0/bias", "conv1/kernel", "conv1/bias", "logit/kernel", "logit/bias"]
    mlp = [v.path for v in MLPDiscriminator(hidden_units=(8,), batch_norm=False).weights]
    assert mlp == ["dense0/kernel", "dense0/bias", "logit/kernel", "logit/bias"]


def test_mlp_discriminator_collapse_options():
    keras.utils.set_random_seed(0)
    d = MLPDiscriminator(hidden_units=(16, 8), minibatch_std=4, dropout=0.3)
    again = MLPDiscriminator.from_config(d.get_config())
    assert again.get_config() == d.get_config() and (again.minibatch_std, again.dropout) == (4, 0.3)
    again.set_weights(d.get_weights())
    # logit weights: 8 features + the stddev feature; the weights load into a clone
    assert tuple(d.get_layer("logit").kernel.shape) == (9, 1)
    np.testing.assert_allclose(_np(again(REAL)), _np(d(REAL)), atol=1e-6)
    # the stddev feature is per group of consecutive samples: making the first group identical
    # changes only its logits (strided groups would change all of them)
    varied = REAL.copy()
    same = np.concatenate([np.repeat(varied[:1], 4, axis=0), varied[4:]])
    np.testing.assert_allclose(_np(d(same))[4:], _np(d(varied))[4:], atol=1e-6)  # group 2 untouched
    assert np.abs(_np(d(same))[:4] - _np(d(varied))[:4]).max() > 1e-4
    assert np.abs(_np(d(same))[:4] - _np(d(np.repeat(varied[:1], 8, axis=0)))[:4]).max() < 1e-6
    dropped = [l for l in d.layers if isinstance(l, keras.layers.Dropout)]
    assert len(dropped) == 2 and _np(d(REAL, training=True)).shape == (8, 1)


@pytest.mark.parametrize("make", [
    lambda: DCGANDiscriminator(**{**tiny_preset("dcgan-mnist").discriminator_config, "spectral_norm": True}),
    lambda: MLPDiscriminator(hidden_units=(16,), batch_norm=False, spectral_norm=True),
])
def test_spectral_norm_makes_each_kernel_1_lipschitz(make):
    keras.utils.set_random_seed(0)
    d = make()
    assert d.get_config()["spectral_norm"] is True and type(d).from_config(d.get_config()).spectral_norm
    wrapped = [l for l in d.layers if isinstance(l, keras.layers.SpectralNormalization)]
    assert len(wrapped) >= 2
    sigma_before = [np.linalg.svd(_np(l.kernel).reshape(-1, l.kernel.shape[-1]), compute_uv=False)[0]
                    for l in wrapped]
    assert max(abs(s - 1) for s in sigma_before) > 0.1  # the initialisation is not normalised
    for _ in range(50):  # one power iteration per training-mode call
        d(REAL, training=True)
    for layer in wrapped:
        kernel = _np(layer.kernel).reshape(-1, layer.kernel.shape[-1])  # (fan_in, units)
        assert np.linalg.svd(kernel, compute_uv=False)[0] == pytest.approx(1.0, abs=2e-2), layer.name


# -- DiffAugment ---------------------------------------------------------------------------------------
def _uniforms(n, seed):
    return np.random.default_rng(seed).uniform(0, 1, (n, 2)).astype("float32")


def _shifted(x, dy, dx):
    """NumPy reference: out[i, j] = x[i - dy, j - dx], 0 outside."""
    out = np.zeros_like(x)
    h, w = x.shape[:2]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[i, j] = x[i - dy, j - dx]
    return out


def test_translation_moves_pixels_by_the_drawn_shift():
    x = np.random.default_rng(3).normal(size=(16, 28, 28, 2)).astype("float32")
    u = _uniforms(16, 4)
    out = _np(augment.translate(x, u))
    dy, dx = (_np(s) for s in augment.translation_shifts(u, 28, 28))
    assert out.shape == x.shape and np.abs(np.concatenate([dy, dx])).max() == 3  # 28 / 8, rounded down
    for m in range(16):
        np.testing.assert_array_equal(out[m], _shifted(x[m], dy[m], dx[m]))
    # The whole range [-3, 3] is reachable, including the top end (float32 rounding guarded).
    edges = np.array([[0.0, 0.99999994]], "float32")
    assert [int(_np(s)[0]) for s in augment.translation_shifts(edges, 28, 28)] == [-3, 3]


def test_cutout_zeroes_exactly_the_drawn_box():
    x = np.random.default_rng(5).uniform(0.5, 1, (16, 28, 28, 1)).astype("float32")  # no zeros of its own
    u = _uniforms(16, 6)
    out = _np(augment.cutout(x, u))
    top, left, bh, bw = augment.cutout_boxes(u, 28, 28)
    assert (bh, bw) == (14, 14)
    for m, (t, l) in enumerate(zip(_np(top), _np(left))):
        box = np.zeros((28, 28, 1), bool)
        box[max(t, 0):max(t + 14, 0), max(l, 0):max(l + 14, 0)] = True  # clipped at the border
        np.testing.assert_array_equal(out[m] == 0, box)
        np.testing.assert_array_equal(out[m][~box], x[m][~box])


@pytest.mark.parametrize("name", augment.POLICIES)
def test_augmentation_is_differentiable(name):
    x = np.random.default_rng(7).normal(size=(4, 28, 28, 1)).astype("float32")
    w = np.random.default_rng(8).normal(size=(4, 28, 28, 1)).astype("float32")
    u = _uniforms(4, 9)
    fn = lambda images: keras.ops.multiply(augment.diff_augment(images, {name: u}, (name,)), w)  # noqa: E731
    _, grad = backends.value_and_input_gradient(fn, x)
    grad = _np(grad)
    if name == "cutout":  # the mask itself
        np.testing.assert_array_equal(grad, _np(augment.cutout(np.ones_like(x), u)) * w)
    else:  # the reverse shift of w
        dy, dx = (_np(s) for s in augment.translation_shifts(u, 28, 28))
        for m in range(4):
            np.testing.assert_array_equal(grad[m], _shifted(w[m], -dy[m], -dx[m]))


@pytest.mark.parametrize("joint_batch", [False, True])
def test_real_and_fake_are_augmented_alike_with_their_own_draws(joint_batch):
    step = NonSaturatingStep(latent_dim=8, joint_batch=joint_batch, augment="translation,cutout")
    latents = step.sample_latents(4, keras.random.SeedGenerator(0))
    real = np.random.default_rng(1).uniform(0.5, 1, (4, 28, 28, 1)).astype("float32")
    fake = -real
    seen = []

    def spy(x, training):
        seen.append(_np(x))
        return keras.ops.sum(x, axis=(1, 2, 3))[:, None]

    step.losses(lambda z, training: fake, spy, real, latents)
    inputs = np.concatenate(seen)  # (2N, 28, 28, 1): reals, then fakes
    for which, images in enumerate((real, fake)):
        params = {name: u[:, which] for name, u in latents["augment"].items()}
        want = augment.diff_augment(images, params, ("translation", "cutout"))
        np.testing.assert_array_equal(inputs[4 * which:4 * which + 4], _np(want))
    assert not np.array_equal(inputs[:4] == 0, inputs[4:] == 0)  # independent draws
