"""StyleGAN family: mapping, AdaIN, noise modes, truncation, style mixing, R1, training step, CLI."""

import argparse
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.families.stylegan import (
    MappingNetwork,
    StyleGANDiscriminator,
    StyleGANGenerator,
    StyleGANModel,
    StyleGANStep,
    StyleLayer,
    Truncation,
)
from zoo.families.stylegan.r1 import real_logits_and_r1
from zoo.families.stylegan.styles import broadcast_ws, mix_styles
from zoo.images import label_margins, make_grid
from zoo.layers import AdaIN
from zoo.registry import get_preset
from zoo.registry import tiny_preset as registry_tiny_preset
from zoo.training.trainer import TrainConfig, Trainer

NAME = "stylegan-fashion-mnist"
TINY = registry_tiny_preset(NAME)
TINY_G = {**TINY.generator_config, "truncation_cutoff": None}  # truncation tests: every style truncated
TINY_D = TINY.discriminator_config


@pytest.fixture(scope="module")
def tiny_preset():
    return dataclasses.replace(TINY, generator_config=TINY_G, recipe=dataclasses.replace(TINY.recipe, epochs=1))


@pytest.fixture(scope="module")
def model(tiny_preset):
    """A tiny StyleGANModel with non-zero noise strengths and w_avg (zero at init)."""
    keras.utils.set_random_seed(0)
    g = StyleGANGenerator(**TINY_G, name="generator")
    for layer in g.synthesis.style_layers:
        layer.noise_strength.assign(np.full(layer.filters, 0.5, np.float32))
    g.w_avg.assign(np.random.default_rng(1).normal(size=TINY_G["w_dim"]).astype(np.float32))
    return StyleGANModel(tiny_preset, g, card={})


def _different(a, b, tol=1e-3):
    return np.abs(np.asarray(a) - np.asarray(b)).max() > tol


# -- building blocks -----------------------------------------------------------
def test_mapping_output_shape_and_lr_multiplier(model):
    f = MappingNetwork(latent_dim=8, w_dim=6, num_layers=3, hidden_units=16)
    assert tuple(f(np.zeros((5, 8), np.float32)).shape) == (5, 6)
    assert [d.lr_multiplier for d in f.dense] == [0.01] * 3 and [d.units for d in f.dense] == [16, 16, 6]
    assert model.mapping(model.sample_latents(5, seed=0)["z"]).shape == (5, TINY_G["w_dim"])
    assert model.num_ws == 4 and tuple(model.generator.synthesis.noise_shapes[-1]) == (8, 8, 1)


def test_adain_normalises_each_channel_then_styles_like_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 3.0, (3, 6, 5, 4)).astype(np.float32) * rng.uniform(0.1, 4, (1, 1, 1, 4)).astype(np.float32)
    scale, bias = rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
    plain = np.asarray(AdaIN()(x, np.ones((3, 4), np.float32), np.zeros((3, 4), np.float32)))
    np.testing.assert_allclose(plain.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(plain.std(axis=(1, 2)), 1.0, atol=1e-4)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=(1, 2), keepdims=True), x64.var(axis=(1, 2), keepdims=True)
    eps = AdaIN().epsilon
    want = (x64 - mean) / np.sqrt(var + eps) * scale[:, None, None] + bias[:, None, None]
    np.testing.assert_allclose(np.asarray(AdaIN()(x, scale, bias)), want, rtol=1e-4, atol=1e-4)
    # A constant channel (StyleGAN's first layer at init) takes the style's bias, with no NaN.
    flat = np.asarray(AdaIN()(np.full((3, 6, 5, 4), 2.0, np.float32), scale, bias))
    np.testing.assert_allclose(flat, np.broadcast_to(bias[:, None, None], flat.shape), atol=1e-6)


def test_adain_uses_only_exportable_ops():
    """Reductions and rsqrt only: no fused instance/batch-norm or moments op for converters to reject."""
    fn = tf.function(lambda x, s, b: AdaIN()(x, s, b)).get_concrete_function(
        tf.TensorSpec((None, 4, 4, 3)), tf.TensorSpec((None, 3)), tf.TensorSpec((None, 3)))
    ops = {n.op for n in fn.graph.as_graph_def().node}
    assert {"Mean", "Rsqrt"} <= ops and not {o for o in ops if "Norm" in o or "Moments" in o}


def test_style_layer_noise_modes():
    layer = StyleLayer(4, w_dim=3, resolution=4)
    layer.build((None, 4, 4, 2))
    layer.noise_strength.assign(np.ones(4, np.float32))
    x, w = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype(np.float32), np.ones((2, 3), np.float32)
    const, none = layer(x, w, noise="const"), layer(x, w, noise=None)
    np.testing.assert_array_equal(const, layer(x, w, noise=layer.const_noise))
    np.testing.assert_array_equal(none, layer(x, w, noise="none"))
    assert _different(const, none)
    again = StyleLayer(4, w_dim=3, resolution=4)
    again.build((None, 4, 4, 2))
    np.testing.assert_array_equal(layer.const_noise, again.const_noise)  # drawn with NumPy from noise_seed
    assert layer.const_noise.trainable is False


# -- truncation ----------------------------------------------------------------
def test_psi_zero_gives_the_same_image_for_every_seed(model):
    x = model.sample(4, seed=0, truncation_psi=0.0)
    np.testing.assert_allclose(x, np.broadcast_to(x[:1], x.shape), atol=1e-6)
    np.testing.assert_allclose(model.sample(2, seed=9, truncation_psi=0.0), x[:2], atol=1e-6)
    ws = model.truncate(model.mapping(model.sample_latents(3, 0)["z"]), 0.0)
    np.testing.assert_array_equal(ws, np.broadcast_to(model.w_avg, ws.shape))


def test_psi_one_equals_the_untruncated_path(model):
    z = model.sample_latents(4, seed=3)["z"]
    w = model.mapping(z)
    np.testing.assert_array_equal(model.truncate(w, 1.0), np.asarray(broadcast_ws(w, model.num_ws)))
    untruncated = model.synthesize(w)  # no truncation layer at all
    np.testing.assert_allclose(model.sample(4, seed=3), untruncated, atol=1e-5)
    np.testing.assert_allclose(model.sample(4, seed=3, truncation_psi=1.0), untruncated, atol=1e-5)
    assert _different(model.sample(4, seed=3, truncation_psi=0.5), untruncated)


def test_truncation_cutoff_touches_only_the_coarse_layers():
    t = Truncation(num_ws=4, w_dim=3, cutoff=2)
    t.build()
    t.w_avg.assign(np.array([1.0, 2.0, 3.0], np.float32))
    w = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    psi = np.full((5, 1), 0.25, np.float32)
    ws = np.asarray(t(w, psi))
    want = np.broadcast_to(0.75 * np.array([1.0, 2.0, 3.0]) + 0.25 * w[:, None], (5, 2, 3))
    np.testing.assert_allclose(ws[:, :2], want, rtol=1e-6)
    np.testing.assert_array_equal(ws[:, 2:], np.broadcast_to(w[:, None], (5, 2, 3)))
    t.update(np.ones((5, 3), np.float32), decay=0.9)
    np.testing.assert_allclose(t.w_avg, 0.9 * np.array([1.0, 2.0, 3.0]) + 0.1, rtol=1e-6)


def test_samples_do_not_depend_on_batching(model):
    """Fixed micro-batches: bitwise the same images whatever batch_size or n (float kernels
    round differently per batch shape and position, which AdaIN chains amplify)."""
    many = model.sample(40, seed=2, truncation_psi=0.8)  # two micro-batches, the second padded
    np.testing.assert_array_equal(model.sample(40, seed=2, truncation_psi=0.8, batch_size=3), many)
    np.testing.assert_array_equal(model.sample(3, seed=2, truncation_psi=0.8), many[:3])
    w = model.mapping(model.sample_latents(40, seed=2)["z"])
    np.testing.assert_array_equal(model.mapping(model.sample_latents(5, seed=2)["z"]), w[:5])
    assert model.sample(0).shape == (0, 8, 8, 1) and model.mapping(np.zeros((0, 8), np.float32)).shape == (0, 8)


# -- noise -----------------------------------------------------------------------
def test_const_noise_is_seed_deterministic_random_noise_is_not(model):
    w = model.mapping(model.sample_latents(3, seed=0)["z"])
    const = model.synthesize(w, noise_mode="const")
    np.testing.assert_array_equal(const, model.synthesize(w, noise_mode="const", seed=5))
    np.testing.assert_array_equal(model.sample(3, seed=0), model.sample(3, seed=0))
    r0, r0_again, r1 = (model.synthesize(w, noise_mode="random", seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(r0, r0_again)  # the NumPy seed fixes the maps
    assert _different(r0, r1) and _different(r0, const)
    assert _different(model.synthesize(w, noise_mode="none"), const)
    with pytest.raises(ValueError, match="noise_mode"):
        model.synthesize(w, noise_mode="fresh")


def test_generator_graph_has_no_random_op(model):
    from export.common import graph_random_ops

    specs = {"z": tf.TensorSpec((None, 8)), "truncation_psi": tf.TensorSpec((None, 1))}
    fn = tf.function(lambda inputs: model.generator(inputs, training=False)).get_concrete_function(specs)
    assert graph_random_ops(fn.graph) == []
    assert sorted(t.name.split(":")[0] for t in model.generator.inputs) == ["truncation_psi", "z"]


# -- style mixing ------------------------------------------------------------------
def test_mix_crossover_convention(model):
    a, b = model.sample(1, seed=1, truncation_psi=0.7), model.sample(1, seed=2, truncation_psi=0.7)
    np.testing.assert_allclose(model.mix(1, 2, crossover=0, truncation_psi=0.7), b, atol=1e-5)
    np.testing.assert_allclose(model.mix(1, 2, crossover=model.num_ws, truncation_psi=0.7), a, atol=1e-5)
    middle = model.mix(1, 2, crossover=2, truncation_psi=0.7)
    assert _different(middle, a) and _different(middle, b)
    pairs = model.mix([1, 3], [2, 4], crossover=2)
    np.testing.assert_allclose(pairs[:1], model.mix(1, 2, crossover=2), atol=1e-5)
    with pytest.raises(ValueError, match="crossover"):
        model.mix(1, 2, crossover=model.num_ws + 1)


def test_mix_styles_takes_coarse_layers_from_a():
    ws_a, ws_b = np.zeros((2, 5, 3), np.float32), np.ones((2, 5, 3), np.float32)
    got = np.asarray(mix_styles(ws_a, ws_b, 2))
    np.testing.assert_array_equal(got[:, :2], 0.0)
    np.testing.assert_array_equal(got[:, 2:], 1.0)
    np.testing.assert_array_equal(np.asarray(mix_styles(ws_a, ws_b, tf.constant(0))), ws_b)


def test_mixing_grid_layout(model):
    grid = model.mixing_grid([1, 2], [3, 4, 5], crossover=2)
    assert grid.shape == (3 * 4, 8, 8, 1)
    np.testing.assert_allclose(grid[1:4], model.mix([3, 4, 5], [3, 4, 5], model.num_ws), atol=1e-5)  # top row
    np.testing.assert_allclose(grid[4 + 1], model.mix(1, 3, 2)[0], atol=1e-5)  # row 1, column 1


# -- configs ----------------------------------------------------------------------
def test_get_config_round_trips(model):
    g = model.generator
    clone = StyleGANGenerator.from_config(g.get_config())
    clone.set_weights(g.get_weights())
    latents = model.sample_latents(3, seed=4, truncation_psi=0.6)
    np.testing.assert_allclose(clone(latents), g(latents), atol=1e-6)
    for layer in (g.mapping, g.synthesis, g.truncation, g.synthesis.style_layers[2], AdaIN(epsilon=1e-5)):
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
        assert type(again) is type(layer) and again.get_config() == layer.get_config()
    d = StyleGANDiscriminator(**TINY_D)
    d_clone = StyleGANDiscriminator.from_config(d.get_config())
    assert [w.shape for w in d_clone.weights] == [w.shape for w in d.weights]
    step = StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5)
    assert StyleGANStep(**step.get_config()).get_config() == step.get_config()


def test_discriminator_trains_only_the_final_resolution_path():
    d = StyleGANDiscriminator(**TINY_D)
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        out = d(x, training=True)
    grads = tape.gradient(out, d.trainable_variables)
    assert all(g is not None for g in grads) and len(grads) < len(d.weights) - 1


# -- training ----------------------------------------------------------------------
def test_r1_matches_a_linear_critic():
    a = np.random.default_rng(0).normal(size=(1, 4, 4, 1)).astype(np.float32)
    critic = lambda x, training=None: keras.ops.sum(x * a, axis=(1, 2, 3))[:, None]  # noqa: E731
    logits, r1 = real_logits_and_r1(critic, np.ones((3, 4, 4, 1), np.float32))
    np.testing.assert_allclose(np.asarray(logits)[:, 0], a.sum(), rtol=1e-5)
    np.testing.assert_allclose(float(r1), (a**2).sum(), rtol=1e-5)


def test_step_latents_mixing_probability():
    gen = keras.random.SeedGenerator(0)
    never = StyleGANStep(latent_dim=8, resolution=8, style_mixing_prob=0.0)
    always = StyleGANStep(latent_dim=8, resolution=8, style_mixing_prob=1.0)
    assert {int(never.sample_latents(2, gen)["crossover"]) for _ in range(10)} == {4}
    ks = {int(always.sample_latents(2, gen)["crossover"]) for _ in range(30)}
    assert ks <= {1, 2, 3} and len(ks) > 1
    latents = always.sample_latents(2, gen)
    assert [tuple(n.shape) for n in latents["noise"]] == [(2, 4, 4, 1)] * 2 + [(2, 8, 8, 1)] * 2


def _step_losses(step, real, seed=0):
    keras.utils.set_random_seed(3)  # the same fresh weights for every step compared
    g, d = StyleGANGenerator(**TINY_G), StyleGANDiscriminator(**TINY_D)
    latents = step.sample_latents(real.shape[0], keras.random.SeedGenerator(seed))
    return {k: v for k, v in step.losses(g, d, real, latents).items() if k != "aux"}


def test_lazy_r1_alternates_graphs_and_scales_the_penalty():
    real = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
    lazy = StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5, r1_every=4)
    state = type("State", (), {"batch_size": 4})
    assert [lazy.on_images(i * 4, state) for i in range(5)] == [("r1", True)] + [("r1", False)] * 3 + [("r1", True)]
    assert StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5).on_images(4, state) is None  # one graph
    every = _step_losses(StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5), real)
    lazy.on_images(0, state)
    on = _step_losses(lazy, real)
    lazy.on_images(4, state)
    off = _step_losses(lazy, real)
    assert "r1" not in off and float(every["r1"]) > 0
    np.testing.assert_allclose(float(on["r1"]), float(every["r1"]), rtol=1e-5)
    # d_loss = NS loss + gamma / 2 * k * R1 on R1 steps, the NS loss alone between
    ns = float(off["d_loss"])
    np.testing.assert_allclose(float(every["d_loss"]), ns + 0.25 * float(every["r1"]), rtol=1e-5)
    np.testing.assert_allclose(float(on["d_loss"]), ns + 0.25 * 4 * float(on["r1"]), rtol=1e-5)
    with pytest.raises(ValueError, match="r1_every"):
        StyleGANStep(latent_dim=8, resolution=8, r1_every=0)


def test_diffaugment_reaches_the_discriminator_and_round_trips():
    real = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
    plain = StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5)
    aug = StyleGANStep(latent_dim=8, resolution=8, r1_gamma=0.5, augment="translation,cutout")
    latents = aug.sample_latents(4, keras.random.SeedGenerator(0))
    assert sorted(latents["augment"]) == ["cutout", "translation"]
    assert tuple(latents["augment"]["cutout"].shape) == (4, 2, 2)
    a, b = _step_losses(plain, real), _step_losses(aug, real)
    assert all(np.isfinite(float(v)) for v in b.values())
    assert _different(a["d_loss"], b["d_loss"], 1e-6) and _different(a["r1"], b["r1"], 1e-6)
    assert StyleGANStep(**aug.get_config()).get_config() == aug.get_config()
    assert aug.cost().discriminator_passes == 10 and StyleGANStep(latent_dim=8, r1_every=4).cost().discriminator_passes == 7.75
    with pytest.raises(ValueError, match="DiffAugment"):
        StyleGANStep(latent_dim=8, resolution=8, augment="flip")


def test_two_training_steps_give_finite_losses_and_track_w_avg(tiny_preset, tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (32, 8, 8, 1)).astype(np.float32)
    cfg = TrainConfig(out_dir=tmp_path, max_steps=2, log_every=1, progress=False, tensorboard=False,
                      checkpoint_every=10**6)
    t = Trainer(tiny_preset, cfg, images=images)
    summary = t.fit()
    assert summary["steps"] == 2
    history = t.record["history"]
    for row in history:
        assert all(np.isfinite(row[k]) for k in ("g_loss", "d_loss")) and np.isfinite(row.get("r1", 0.0))
    assert "r1" in history[0]  # step 0 applies R1 (the preset's lazy R1 skips it on steps 1-3)
    w_avg = np.asarray(t.state.generator.w_avg)
    assert np.abs(w_avg).max() > 0  # moved from its zero init
    np.testing.assert_array_equal(np.asarray(t.state.ema.w_avg), w_avg)  # the EMA copy follows it
    assert t.state.ema is not None and (tmp_path / "final" / "run_card.json").exists()


# -- registry and CLI --------------------------------------------------------------
def test_preset_and_fresh_model():
    p = get_preset(NAME)
    res = p.generator_config["resolution"]
    assert p.pad_to == res  # Fashion-MNIST's 28x28 images are padded to the size the generator draws
    m = zoo.load(NAME, weights=None)
    assert isinstance(m, StyleGANModel) and m.image_shape == (res, res, 1)
    assert m.num_ws == 2 * len(range(2, int(np.log2(res)) + 1))  # two styles per resolution 4, 8, ..., res
    assert m.latent_info()["truncation_psi"]["default"] == 1.0  # untruncated unless asked
    assert StyleGANStep.from_preset(p).get_config()["r1_gamma"] == p.step_config["r1_gamma"]


def test_mix_cli_writes_the_grid(tmp_path):
    from PIL import Image

    from zoo.cli import parse_seeds
    from zoo.families.stylegan import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    out = tmp_path / "mix.png"
    args = parser.parse_args(["mix", NAME, "--rows", "1,2", "--cols", "3,4,5", "-o", str(out), "--untrained",
                              "--scale", "1"])
    keras.utils.set_random_seed(5)
    args.func(args)
    keras.utils.set_random_seed(5)  # the same fresh initialisation as the command's
    m = zoo.load(NAME, weights=None)
    want = make_grid(m.mixing_grid([1, 2], [3, 4, 5], m.num_ws // 2), ncols=4)  # the default crossover: half
    left, top = label_margins(["", "seed 1", "seed 2"], ["", "seed 3", "seed 4", "seed 5"], scale=1)
    with Image.open(out) as im:
        assert im.size == (4 * 34 + 2 + left, 3 * 34 + 2 + top)  # 4 columns x 3 rows of 32x32 tiles, labelled
        np.testing.assert_array_equal(np.asarray(im)[top:, left:], want)
    with pytest.raises(FileExistsError):
        args.func(args)
    with pytest.raises(ValueError, match="comma-separated"):
        parse_seeds("1,x")


def test_truncation_strip_rows_are_seeds_columns_are_psi(model):
    strip = model.truncation_strip([1, 2, 3], [0.0, 0.5, 1.0])  # (9, H, W, C), row-major
    assert strip.shape == (9, *model.image_shape)
    np.testing.assert_allclose(strip[0::3], np.broadcast_to(strip[:1], strip[0::3].shape), atol=1e-6)  # psi 0
    for r, seed in enumerate([1, 2, 3]):
        np.testing.assert_allclose(strip[3 * r + 2], model.sample(1, seed=seed)[0], atol=1e-5)  # psi 1
        np.testing.assert_allclose(strip[3 * r + 1], model.sample(1, seed=seed, truncation_psi=0.5)[0], atol=1e-5)
    with pytest.raises(ValueError, match="at least one"):
        model.truncation_strip([1], [])


def test_truncation_cli_writes_the_strip_and_refuses_other_families(tmp_path):
    from PIL import Image

    from zoo.families.stylegan import cli

    parser = argparse.ArgumentParser()
    cli.register_truncation(parser.add_subparsers())
    out = tmp_path / "strip.png"
    args = parser.parse_args(["truncation", NAME, "--seeds", "1,2", "--psi", "0,0.5,1", "-o", str(out),
                              "--untrained", "--scale", "1"])
    keras.utils.set_random_seed(5)
    args.func(args)
    keras.utils.set_random_seed(5)  # the same fresh initialisation as the command's
    want = make_grid(zoo.load(NAME, weights=None).truncation_strip([1, 2], [0.0, 0.5, 1.0]), ncols=3)
    left, top = label_margins(["seed 1", "seed 2"], ["psi 0", "psi 0.5", "psi 1"], scale=1)
    with Image.open(out) as im:
        assert im.size == (3 * 34 + 2 + left, 2 * 34 + 2 + top)  # 3 psi columns x 2 seed rows, labelled
        np.testing.assert_array_equal(np.asarray(im)[top:, left:], want)
    bad = parser.parse_args(["truncation", "dcgan-mnist", "-o", str(tmp_path / "x.png"), "--untrained"])
    with pytest.raises(ValueError, match="not a StyleGAN entry"):
        bad.func(bad)
    bad = parser.parse_args(["truncation", NAME, "--psi", "0,a", "-o", str(tmp_path / "y.png"), "--untrained"])
    with pytest.raises(ValueError, match="comma-separated numbers"):
        bad.func(bad)
