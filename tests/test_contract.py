"""Contract tests run for every registered entry: new entries get them for free."""

import keras
import numpy as np
import pytest

import zoo
from zoo.card import check_card
from zoo.registry import get_preset

NAMES = zoo.list_models()
SHIPPED = [n for n in NAMES if get_preset(n).generator_weights is not None]


@pytest.fixture(scope="module", params=NAMES)
def fresh(request):
    keras.utils.set_random_seed(0)
    return zoo.load(request.param, weights=None, with_discriminator=True)


def test_sample_shape_range_dtype(fresh):
    x = fresh.sample(5, seed=0)
    assert x.shape == (5, *fresh.image_shape) and x.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1 and np.isfinite(x).all()
    assert fresh.sample(0).shape == (0, *fresh.image_shape)


def test_same_seed_same_images_other_seed_other_images(fresh):
    a, b, c = fresh.sample(4, seed=7), fresh.sample(4, seed=7), fresh.sample(4, seed=8)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3


def test_batching_does_not_change_samples(fresh):
    np.testing.assert_allclose(fresh.sample(10, seed=1, batch_size=3), fresh.sample(10, seed=1), atol=1e-5)


def test_generator_and_discriminator_interfaces(fresh):
    g, d = fresh.generator, fresh.discriminator
    assert "z" in [t.name.split(":")[0] for t in g.inputs]
    assert tuple(g.output_shape[1:]) == fresh.image_shape
    assert tuple(d.inputs[0].shape[1:]) == fresh.image_shape
    out = d(fresh.sample(3), training=False)
    logits = out["logit"] if isinstance(out, dict) else out  # families with auxiliary heads return a dict
    assert tuple(logits.shape) == (3, 1)


def test_wrong_latent_shape_is_rejected(fresh):
    latents = fresh.sample_latents(2, seed=0)
    if isinstance(latents, dict):
        latents = {**latents, "z": np.zeros((2, fresh.latent_dim + 1), np.float32)}
    else:
        latents = np.zeros((2, fresh.latent_dim + 1), np.float32)
    with pytest.raises(ValueError, match=f"\\(N, {fresh.latent_dim}\\)"):
        fresh.generate(latents)


def test_get_config_round_trip(fresh):
    for model in (fresh.generator, fresh.discriminator):
        clone = type(model).from_config(model.get_config())
        assert clone.count_params() == model.count_params()
        assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_saved_weights_reload_exactly(fresh, tmp_path):
    path = tmp_path / "g.weights.h5"
    fresh.generator.save_weights(path)
    again = zoo.load(fresh.name, weights=path)
    np.testing.assert_array_equal(again.sample(3, seed=2), fresh.sample(3, seed=2))


def test_missing_weights_path_is_clear(fresh, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        zoo.load(fresh.name, weights=tmp_path / "nope.weights.h5")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_match_golden_outputs(name):
    """The card records statistics of sample(8, seed=0); loading must reproduce them."""
    m = zoo.load(name, with_discriminator=True)
    golden = m.card["golden"]
    x = m.sample(golden["n"], seed=golden["seed"])
    assert x.shape == tuple(golden["shape"])
    np.testing.assert_allclose(
        [x.mean(), x.std(), *x.reshape(len(x), -1).mean(1)],
        [golden["mean"], golden["std"], *golden["per_image_mean"]],
        atol=1e-3,
    )
    assert m.discriminator is not None


@pytest.mark.parametrize("name", SHIPPED)
def test_card_is_complete(name):
    card = check_card(zoo.info(name), name)  # every required key, every known type (zoo.card)
    assert card["weights"]["generator"]["sha256"] == get_preset(name).generator_weights.sha256
