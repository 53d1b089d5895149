"""InfoGAN family: code control, Q, the mutual-information bound, training and traversals."""

import math

import keras
import numpy as np
import pytest
import scipy.special
import tensorflow as tf
from PIL import Image

import zoo
from zoo.cli import main as cli_main
from zoo.families.infogan import InfoGANModel, InfoGANStep, information
from zoo.model import build
from zoo.registry import tiny_preset
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
    info = ce + 0.1 * (2 * math.log(2) - float(out["mi_cont"]))
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
    t = Trainer(tiny, cfg, images=images)
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
