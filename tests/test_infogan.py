"""InfoGAN family: code control, Q, the mutual-information bound, training and traversals."""

import copy
import dataclasses
import json
import math

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from PIL import Image

import zoo
from zoo.cli import main as cli_main
from zoo import preset_dir
from zoo.families.infogan import InfoGANGenerator, InfoGANModel, InfoGANStep, information
from zoo.families.infogan.generator import sample_noise
from zoo.model import build
from zoo.registry import get_preset, tiny_preset
from zoo.training.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def tiny():
    """infogan-mnist's tiny configuration: the real code paths, milliseconds per step."""
    return tiny_preset("infogan-mnist")


@pytest.fixture(scope="module")
def model(tiny):
    keras.utils.set_random_seed(0)
    g, d = build(tiny)
    return InfoGANModel(tiny, g, d, card={})


def test_real_preset_shapes_and_named_inputs():
    m = zoo.load("infogan-mnist", weights=None, with_discriminator=True)
    assert isinstance(m, InfoGANModel)
    shapes = {t.name.split(":")[0]: tuple(t.shape[1:]) for t in m.generator.inputs}
    assert shapes == {"z": (62,), "c_cat": (10,), "c_cont": (2,)}
    assert m.latent_dim == 62 and m.image_shape == (28, 28, 1)
    out = m.discriminator(np.zeros((3, 28, 28, 1), np.float32), training=False)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "logit": (3, 1), "cat_logits": (3, 10), "cont_mean": (3, 2), "cont_log_std": (3, 2)}
    assert any("q_" in v.path for v in m.discriminator.trainable_variables)  # Q lives in D


def test_fixed_category_and_continuous_codes(model):
    free = model.sample_latents(8, seed=0)
    cat = model.sample_latents(8, seed=0, category=3)
    cont = model.sample_latents(8, seed=0, continuous=[0.5, -1])
    np.testing.assert_array_equal(cat["c_cat"].argmax(1), np.full(8, 3))
    np.testing.assert_array_equal(cat["c_cat"].sum(1), np.ones(8))
    np.testing.assert_array_equal(cont["c_cont"], np.tile([[0.5, -1]], (8, 1)))
    # Fixing a code leaves the seed's noise and the other code unchanged.
    for fixed in (cat, cont):
        np.testing.assert_array_equal(fixed["z"], free["z"])
    np.testing.assert_array_equal(cat["c_cont"], free["c_cont"])
    np.testing.assert_array_equal(cont["c_cat"], free["c_cat"])
    per_sample = model.sample_latents(3, seed=0, category=[0, 9, 4])
    np.testing.assert_array_equal(per_sample["c_cat"].argmax(1), [0, 9, 4])
    assert np.abs(model.sample(4, seed=0, category=3) - model.sample(4, seed=0, category=4)).max() > 1e-4


def test_sampling_is_deterministic(model):
    a = model.sample(6, seed=5, category=2, continuous=[0.1, 0.2])
    np.testing.assert_array_equal(a, model.sample(6, seed=5, category=2, continuous=[0.1, 0.2]))
    assert np.abs(a - model.sample(6, seed=6, category=2, continuous=[0.1, 0.2])).max() > 1e-4
    assert a.shape == (6, 28, 28, 1) and a.dtype == np.float32 and -1 <= a.min() <= a.max() <= 1


@pytest.mark.parametrize("category, match", [
    (10, r"\[0, 10\)"), (-1, r"\[0, 10\)"), (2.5, "whole number"), (True, "integer"),
    ("3", "integer"), ([1, 2], "one integer or 4"), ([[1]] * 4, "one integer or 4"),
])
def test_bad_category_is_a_clear_error(model, category, match):
    with pytest.raises(ValueError, match=match):
        model.sample(4, seed=0, category=category)


@pytest.mark.parametrize("continuous, match", [
    ([0.5], r"2 numbers or an \(4, 2\)"), (np.zeros((4, 3)), r"got shape \(4, 3\)"),
    ([float("nan"), 0], "finite"), ([float("inf"), 0], "finite"), (["a", "b"], "2 numbers"),
])
def test_bad_continuous_is_a_clear_error(model, continuous, match):
    with pytest.raises(ValueError, match=match):
        model.sample(4, seed=0, continuous=continuous)


def test_mi_bound_matches_a_hand_computation():
    rng = np.random.default_rng(0)
    cats = rng.integers(0, 10, 5)
    one_hot = np.eye(10, dtype=np.float32)[cats]
    logits = rng.normal(size=(5, 10)).astype(np.float32)
    codes = rng.uniform(-1, 1, (5, 2)).astype(np.float32)
    mean = rng.normal(size=(5, 2)).astype(np.float32)
    log_std = rng.normal(scale=0.5, size=(5, 2)).astype(np.float32)
    # -log softmax(logits)[c], averaged: the categorical NLL.
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = -log_p[np.arange(5), cats].mean()
    nll = (log_std + 0.5 * np.log(2 * np.pi) + 0.5 * ((codes - mean) / np.exp(log_std)) ** 2).sum(1).mean()
    step = InfoGANStep(latent_dim=6)
    terms = step.info_terms(
        {"c_cat": one_hot, "c_cont": codes}, {"cat_logits": logits, "cont_mean": mean, "cont_log_std": log_std})
    np.testing.assert_allclose(float(terms["mi_cat"]), math.log(10) - ce, rtol=1e-5)
    np.testing.assert_allclose(float(terms["mi_cont"]), 2 * math.log(2) - nll, rtol=1e-5)
    np.testing.assert_allclose(float(terms["info_loss"]), ce + 0.1 * nll, rtol=1e-5)
    np.testing.assert_allclose(float(terms["q_cat_acc"]), (logits.argmax(1) == cats).mean())
    # A Q that is certain of the right category attains the bound's maximum H(c) = ln 10.
    perfect = step.info_terms({"c_cat": one_hot, "c_cont": codes},
                              {"cat_logits": 50 * one_hot, "cont_mean": codes, "cont_log_std": log_std})
    np.testing.assert_allclose(float(perfect["mi_cat"]), math.log(10), atol=1e-5)
    assert float(information.gaussian_nll(codes, mean, np.full((5, 2), -1e4, np.float32))) < 1e30  # clipped


def test_step_losses_add_lambda_times_the_bound(tiny):
    keras.utils.set_random_seed(1)
    g, d = build(tiny)
    step = InfoGANStep.from_preset(tiny)
    latents = step.sample_latents(8, keras.random.SeedGenerator(0))
    real = tf.random.uniform((8, 28, 28, 1), -1, 1)
    out = step.losses(g, d, real, latents)
    assert sorted(out) == ["d_loss", "g_loss", "mi_cat", "mi_cont", "q_cat_acc"]
    # Recompute by hand (training-mode batch norm: the same batch gives the same outputs);
    # real and fake share one discriminator batch.
    both = d(tf.concat([real, g(latents, training=True)], 0), training=True)
    real_out = {k: v[:8] for k, v in both.items()}
    fake_out = {k: v[8:] for k, v in both.items()}
    sp = lambda x: np.log1p(np.exp(np.asarray(x, np.float64)))  # noqa: E731
    cats = np.asarray(latents["c_cat"]).argmax(1)
    logits = np.asarray(fake_out["cat_logits"], np.float64)
    ce = -(logits - np.log(np.exp(logits).sum(1, keepdims=True)))[np.arange(8), cats].mean()
    np.testing.assert_allclose(float(out["mi_cat"]), math.log(10) - ce, rtol=1e-4)
    info = ce + step.continuous_weight * (2 * math.log(2) - float(out["mi_cont"]))  # the NLL, weighted
    np.testing.assert_allclose(float(out["g_loss"]), sp(-fake_out["logit"]).mean() + info, rtol=1e-4)
    np.testing.assert_allclose(
        float(out["d_loss"]), sp(-real_out["logit"]).mean() + sp(fake_out["logit"]).mean() + info, rtol=1e-4)


def test_infer_codes_shapes_and_probabilities(model):
    x = model.sample(5, seed=0)
    codes = model.infer_codes(x, batch_size=2)  # batches of 2, 2 and 1
    assert codes["category"].shape == (5, 10) and codes["continuous"].shape == (5, 2)
    # By hand: the softmax of Q's logits and Q's mean, all five images in one inference-mode call.
    q = model.discriminator(x, training=False)
    np.testing.assert_allclose(codes["category"], scipy.special.softmax(np.asarray(q["cat_logits"], np.float64), 1),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(codes["continuous"], np.asarray(q["cont_mean"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(codes["category"].sum(1), np.ones(5), atol=1e-6)
    assert model.infer_codes(np.zeros((0, 28, 28, 1)))["category"].shape == (0, 10)
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28, 1\)"):
        model.infer_codes(np.zeros((2, 32, 32, 1)))
    no_d = InfoGANModel(model.preset, model.generator, None, card={})
    with pytest.raises(ValueError, match="with_discriminator=True"):
        no_d.infer_codes(np.zeros((1, 28, 28, 1)))


def test_one_training_step_updates_every_variable_including_q(tiny, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, 28, 28, 1)).astype(np.float32)
    cfg = TrainConfig(out_dir=tmp_path, progress=False, tensorboard=False, batch_size=16, epochs=1)
    learned = _variant(tiny, continuous_std="learned", continuous_weight=0.1)  # Q's std head trains too
    t = Trainer(learned, cfg, images=images)
    variables = t.state.generator.trainable_variables + t.state.discriminator.trainable_variables
    before = [v.numpy().copy() for v in variables]
    losses = {k: float(v) for k, v in t.run_step(tf.constant(images[:16])).items()}
    assert {"g_loss", "d_loss", "mi_cat", "mi_cont", "q_cat_acc"} <= set(losses)
    assert all(np.isfinite(v) for v in losses.values())
    unchanged = [v.path for v, b in zip(variables, before) if np.array_equal(v.numpy(), b)]
    assert not unchanged, unchanged
    # Q: q_fc kernel, q_fc_bn gamma and beta, and kernel + bias of its three output layers.
    assert sum("q_" in v.path for v in t.state.discriminator.trainable_variables) == 9


def test_traversal_layout(model):
    lat = model.traversal_latents("category", rows=3, seed=0)
    assert lat["z"].shape == (30, 6)
    np.testing.assert_array_equal(lat["c_cat"].argmax(1), np.tile(np.arange(10), 3))
    np.testing.assert_array_equal(lat["z"][:10], np.repeat(model.sample_latents(3, seed=0)["z"][:1], 10, 0))
    lat = model.traversal_latents("c2", rows=2, cols=5, span=2.0)
    np.testing.assert_allclose(lat["c_cont"][:5, 1], [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(lat["c_cont"][:, 0], 0)
    np.testing.assert_array_equal(lat["c_cat"].argmax(1), [0] * 5 + [1] * 5)
    assert model.traverse("c1", rows=2, cols=3).shape == (6, 28, 28, 1)
    with pytest.raises(ValueError, match="category, c1, c2"):
        model.traversal_latents("c3")


def test_traverse_cli_writes_a_png(tmp_path, capsys):
    out = tmp_path / "grid.png"
    args = ["traverse", "infogan-mnist", "--untrained", "--rows", "2", "--scale", "1", "-o", str(out)]
    keras.utils.set_random_seed(3)  # both commands get the same fresh initialisation
    assert cli_main([*args, "--code", "category", "--no-labels"]) == 0
    with Image.open(out) as im:
        assert im.size == (10 * 30 + 2, 2 * 30 + 2)
        bare = np.asarray(im)
    keras.utils.set_random_seed(3)
    assert cli_main([*args, "--code", "category", "--force"]) == 0  # labelled: code values on top, noise rows left
    with Image.open(out) as im:
        labelled = np.asarray(im)
    assert labelled.shape[0] > bare.shape[0] and labelled.shape[1] > bare.shape[1]
    np.testing.assert_array_equal(labelled[-bare.shape[0]:, -bare.shape[1]:], bare)
    assert cli_main([*args, "--code", "c1"]) == 1 and "--force" in capsys.readouterr().err
    assert cli_main([*args, "--code", "c2", "--cols", "4", "--force", "--no-labels"]) == 0
    with Image.open(out) as im:
        assert im.size == (4 * 30 + 2, 2 * 30 + 2)
    assert cli_main([*args, "--code", "slant", "--force"]) == 1 and "category, c1, c2" in capsys.readouterr().err
    assert cli_main(["traverse", "dcgan-mnist", "--code", "c1", "--untrained", "-o", str(out), "--force"]) == 1
    assert "no latent codes" in capsys.readouterr().err


# -- recipe options: the noise distribution (the generator's) and the continuous codes' std (the step's) --
def _variant(preset, noise=None, **step_config):
    """``preset`` with the generator's noise and step options set."""
    gen = preset.generator_config if noise is None else {**preset.generator_config, "noise": noise}
    return dataclasses.replace(preset, generator_config=gen, step_config={**preset.step_config, **step_config})


def test_uniform_noise_is_bounded_with_the_moments_of_u_minus1_1():
    z = sample_noise(np.random.default_rng(0), 20_000, 62, "uniform")  # NumPy: the model's draw
    assert z.shape == (20_000, 62) and z.dtype == np.float32
    assert -1.0 <= z.min() and z.max() < 1.0
    assert abs(z.mean()) < 0.01 and z.std() == pytest.approx(1 / math.sqrt(3), abs=0.005)  # 0.577
    step = InfoGANStep(latent_dim=62, noise="uniform")  # keras.random: the training step's draw
    t = keras.ops.convert_to_numpy(step.sample_latents(4096, keras.random.SeedGenerator(0))["z"])
    assert t.shape == (4096, 62) and -1.0 <= t.min() and t.max() < 1.0
    assert abs(t.mean()) < 0.01 and t.std() == pytest.approx(1 / math.sqrt(3), abs=0.005)
    # The default draws are the ones from before the option, bit for bit.
    normal = InfoGANStep(latent_dim=62).sample_latents(8, keras.random.SeedGenerator(0))["z"]
    normal = keras.ops.convert_to_numpy(normal)
    np.testing.assert_array_equal(
        normal, keras.ops.convert_to_numpy(keras.random.normal((8, 62), seed=keras.random.SeedGenerator(0))))
    np.testing.assert_array_equal(sample_noise(np.random.default_rng(3), 5, 62, "normal"),
                                  np.random.default_rng(3).standard_normal((5, 62)).astype(np.float32))


def test_model_and_step_draw_the_noise_named_by_the_generator_config(tiny, model):
    uniform = _variant(tiny, noise="uniform")
    g, d = build(uniform)
    m = InfoGANModel(uniform, g, d, card={})
    assert g.noise == "uniform" and g.get_config()["noise"] == "uniform" and m.noise == "uniform"
    assert InfoGANStep.from_preset(uniform).noise == "uniform"  # training draws what sampling draws
    z = m.sample_latents(2000, seed=0)["z"]
    assert -1.0 <= z.min() and z.max() < 1.0 and z.std() == pytest.approx(1 / math.sqrt(3), abs=0.02)
    trav = m.traversal_latents("c1", rows=50, seed=0)["z"]  # traversals take the seed's noise too
    assert -1.0 <= trav.min() and trav.max() < 1.0
    # Standard normal noise: as before the option (drawn first from the seed, so unchanged).
    normal = _variant(tiny, noise="normal")
    normal_model = InfoGANModel(normal, *build(normal), card={})
    zn = normal_model.sample_latents(2000, seed=0)["z"]
    np.testing.assert_array_equal(zn, np.random.default_rng(0).standard_normal((2000, 6)).astype(np.float32))
    assert np.abs(zn).max() > 2.5
    # The cards say so: the latent block and the export's one-line description.
    assert m.latent_info()["z"] == {"shape": [6], "distribution": "uniform on [-1, 1)"}
    assert m.latent_distribution.startswith("z: uniform on [-1, 1);")
    assert normal_model.latent_info()["z"]["distribution"] == "standard normal"
    assert normal_model.latent_distribution == ("z: standard normal; c_cat: one-hot of a uniform category; "
                                                "c_cont: uniform on [-1, 1]")


def test_uniform_noise_survives_a_preset_folder(tiny, tmp_path):
    uniform = _variant(tiny, noise="uniform")
    g, d = build(uniform)
    preset_dir.save(InfoGANModel(uniform, g, d, card={}), tmp_path / "p")
    loaded = zoo.load(tmp_path / "p")
    assert loaded.noise == "uniform" and loaded.generator.noise == "uniform"
    assert np.abs(loaded.sample_latents(500, seed=0)["z"]).max() < 1.0


def test_fixed_std_nll_is_half_the_squared_error_plus_a_constant():
    rng = np.random.default_rng(0)
    codes = rng.uniform(-1, 1, (7, 2)).astype(np.float32)
    mean = rng.normal(size=(7, 2)).astype(np.float32)
    want = (0.5 * np.log(2 * np.pi) + 0.5 * (codes.astype(np.float64) - mean) ** 2).sum(1).mean()
    np.testing.assert_allclose(float(information.unit_gaussian_nll(codes, mean)), want, rtol=1e-6)
    np.testing.assert_allclose(float(information.gaussian_nll(codes, mean, np.zeros_like(mean))), want, rtol=1e-6)
    # In the step: Q's log-std is ignored, and continuous_weight scales the term.
    one_hot = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 7)]
    logits = rng.normal(size=(7, 10)).astype(np.float32)
    step = InfoGANStep(latent_dim=6, continuous_std="fixed", continuous_weight=1.0)
    terms = [step.info_terms({"c_cat": one_hot, "c_cont": codes},
                             {"cat_logits": logits, "cont_mean": mean, "cont_log_std": np.full((7, 2), s, np.float32)})
             for s in (-3.0, 0.0, 2.0)]
    ce = float(information.categorical_nll(one_hot, logits))
    for t in terms:
        np.testing.assert_allclose(float(t["info_loss"]), ce + want, rtol=1e-5)
        np.testing.assert_allclose(float(t["mi_cont"]), 2 * math.log(2) - want, rtol=1e-5)


def test_shipped_preset_is_the_official_recipe_its_card_records():
    preset = get_preset("infogan-mnist")
    assert preset.generator_config["noise"] == "uniform" and preset.discriminator_config["leaky_slope"] == 0.01
    cfg = InfoGANStep.from_preset(preset).get_config()
    assert cfg == {"latent_dim": 62, "num_categories": 10, "num_continuous": 2, "info_weight": 1.0,
                   "continuous_weight": 1.0, "noise": "uniform", "continuous_std": "fixed"}
    card = json.loads(preset.card_path.read_text())
    assert {k: v for k, v in card["step"].items() if k != "class"}.items() <= cfg.items()
    assert card["generator_config"]["noise"] == "uniform" and card["discriminator_config"]["leaky_slope"] == 0.01
    m = zoo.load("infogan-mnist", weights=None)
    assert m.noise == "uniform" and m.latent_info()["z"]["distribution"] == "uniform on [-1, 1)"
    z = m.sample_latents(256, seed=0)["z"]
    assert z.min() >= -1 and z.max() < 1 and z.min() < -0.9  # U(-1, 1), not N(0, 1)


def test_options_round_trip_through_get_config():
    step = InfoGANStep(latent_dim=6, noise="uniform", continuous_std="fixed", continuous_weight=1.0)
    again = InfoGANStep(**step.get_config())
    assert again.get_config() == step.get_config()
    assert (again.noise, again.continuous_std, again.continuous_weight) == ("uniform", "fixed", 1.0)
    g = InfoGANGenerator(latent_dim=6, dense_units=8, base_shape=(7, 7, 2), filters=(2,), noise="uniform")
    assert InfoGANGenerator.from_config(g.get_config()).noise == "uniform"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(g))
    assert isinstance(restored, InfoGANGenerator) and restored.noise == "uniform"
    old = {k: v for k, v in g.get_config().items() if k != "noise"}  # a config saved before the option
    assert InfoGANGenerator.from_config(old).noise == "normal"


@pytest.mark.parametrize("make, match", [
    (lambda: InfoGANGenerator(noise="gaussian"), r"noise must be one of 'normal', 'uniform', got 'gaussian'"),
    (lambda: InfoGANGenerator(noise=None), "noise must be one of"),
    (lambda: InfoGANStep(noise="Uniform"), "noise must be one of"),
    (lambda: InfoGANStep(continuous_std="learnt"), r"continuous_std must be one of 'learned', 'fixed', got 'learnt'"),
    (lambda: InfoGANStep(continuous_std=1.0), "continuous_std must be one of"),
    (lambda: sample_noise(np.random.default_rng(0), 2, 3, "laplace"), "noise must be one of"),
    (lambda: InfoGANStep.from_preset(_variant(tiny_preset("infogan-mnist"), noise="normal2")), "noise must be one of"),
    (lambda: InfoGANStep.from_preset(
        dataclasses.replace(tiny_preset("infogan-mnist"), step_config={"noise": "uniform"})), "generator_config"),
])
def test_bad_options_are_one_line_value_errors(make, match):
    with pytest.raises(ValueError, match=match) as e:
        make()
    assert "\n" not in str(e.value)


@pytest.mark.filterwarnings("ignore:Gradients do not exist for variables:UserWarning")  # the unused std head
def test_training_step_with_uniform_noise_and_fixed_std(tiny, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, 28, 28, 1)).astype(np.float32)
    official = _variant(tiny, noise="uniform", continuous_std="fixed", continuous_weight=1.0)
    t = Trainer(official, TrainConfig(out_dir=tmp_path, progress=False, tensorboard=False, batch_size=16, epochs=1),
                images=images)
    assert t.gan_step.get_config()["noise"] == "uniform" and t.gan_step.continuous_std == "fixed"
    variables = t.state.generator.trainable_variables + t.state.discriminator.trainable_variables
    before = [v.numpy().copy() for v in variables]
    losses = {k: float(v) for k, v in t.run_step(tf.constant(images[:16])).items()}
    assert all(np.isfinite(v) for v in losses.values())
    unchanged = sorted(v.path for v, b in zip(variables, before) if np.array_equal(v.numpy(), b))
    assert unchanged == ["q_cont_log_std/bias", "q_cont_log_std/kernel"]  # Q's std head is unused


# -- scripts/infogan_seed_scan.py: named variants ---------------------------------------------------
@pytest.fixture(scope="module")
def scan(load_script):
    return load_script("infogan_seed_scan")


def test_scan_variants_are_the_recipes_they_name(scan):
    want = {  # leaky_slope, noise, continuous_std, continuous_weight
        "baseline": (0.1, "normal", "learned", 0.1), "slope001": (0.01, "normal", "learned", 0.1),
        "uniform-z": (0.01, "uniform", "learned", 0.1), "fixed-std": (0.01, "normal", "fixed", 1.0),
        "official": (0.01, "uniform", "fixed", 1.0),
    }
    assert set(scan.VARIANTS) == set(want)
    base = get_preset("infogan-mnist")
    for name, (slope, noise, std, weight) in want.items():
        p = scan.variant_preset(name, seed=4, base=base)
        assert scan.knobs(p) == {"leaky_slope": slope, "noise": noise, "continuous_std": std,
                                 "continuous_weight": weight}, name
        assert p.recipe.seed == 4 and p.generator_config["latent_dim"] == 62
    # A variant is the same recipe whatever the registered entry ships (every knob is set), and
    # building one leaves the entry untouched.
    other = dataclasses.replace(base, generator_config={**base.generator_config, "noise": "uniform"},
                                discriminator_config={**base.discriminator_config, "leaky_slope": 0.2},
                                step_config={"continuous_std": "fixed", "continuous_weight": 3.0})
    before = copy.deepcopy((base.generator_config, base.discriminator_config, base.step_config))
    for name in want:
        assert scan.knobs(scan.variant_preset(name, 0, other)) == scan.knobs(scan.variant_preset(name, 0, base))
    assert (base.generator_config, base.discriminator_config, base.step_config) == before
    json.dumps(scan.VARIANTS)  # plain data
    with pytest.raises(ValueError, match="variant must be one of"):
        scan.variant_preset("dcgan", 0, base)


def test_scan_rows_and_folders_keep_variants_apart(scan, tmp_path):
    # Rows from before --variant carry only leaky_slope (the scan's default was 0.01).
    assert scan.row_variant({"seed": 3, "steps": 600, "leaky_slope": 0.01}) == "slope001"
    assert scan.row_variant({"seed": 3, "steps": 600, "leaky_slope": 0.1}) == "legacy-slope0.1"
    assert scan.row_variant({"variant": "official", "leaky_slope": 0.01}) == "official"
    assert scan.DEFAULT_VARIANT == "slope001"
    folders = {scan.run_dir(tmp_path, v, 3) for v in scan.VARIANTS}
    assert len(folders) == len(scan.VARIANTS) and scan.run_dir(tmp_path, "slope001", 3) == tmp_path / "seed3"
    # A folder trained by another variant is refused (its marker says which); its own is accepted.
    run = scan.run_dir(tmp_path, "official", 3)
    run.mkdir(parents=True)
    (run / scan.MARKER).write_text(json.dumps({"variant": "uniform-z"}))
    with pytest.raises(SystemExit, match="trained by variant 'uniform-z'"):
        scan.check_run_folder(run, "official")
    scan.check_run_folder(run, "uniform-z")
