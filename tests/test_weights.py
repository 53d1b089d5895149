import dataclasses
import shutil

import keras
import numpy as np
import pytest

import zoo
from zoo.model import build
from zoo.registry import WeightsFile
from zoo.weights import sha256_file


@pytest.fixture
def published(tiny_preset, tmp_path, register_temporarily):
    """A tiny preset whose generator weights are 'shipped' in tmp_path, registered under a test name."""
    g, _ = build(tiny_preset)
    path = tmp_path / "tiny.weights.h5"
    g.save_weights(path)
    preset = dataclasses.replace(
        tiny_preset,
        name="tiny-test",
        weights_dir=tmp_path,
        generator_weights=WeightsFile("tiny.weights.h5", sha256_file(path)),
    )
    register_temporarily(preset)
    return preset, g


def test_pretrained_load_verifies_and_loads(published):
    preset, g = published
    m = zoo.load("tiny-test")
    z = m.sample_latents(2, seed=0)
    np.testing.assert_allclose(m.generate(z), np.asarray(g(z, training=False)), atol=1e-6)


def test_hash_mismatch_is_refused_with_both_hashes(published):
    preset, _ = published
    path = preset.weights_dir / "tiny.weights.h5"
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(zoo.WeightsIntegrityError) as e:
        zoo.load("tiny-test")
    msg = str(e.value)
    assert str(path) in msg and preset.generator_weights.sha256 in msg and sha256_file(path) in msg


def test_url_weights_fetched_once_into_cache(published, tmp_path, monkeypatch, register_temporarily):
    preset, g = published
    remote = tmp_path / "remote"
    remote.mkdir()
    shutil.move(preset.weights_dir / "tiny.weights.h5", remote / "tiny.weights.h5")
    url_preset = dataclasses.replace(
        preset,
        weights_dir=tmp_path / "pkg",
        generator_weights=dataclasses.replace(preset.generator_weights, url=(remote / "tiny.weights.h5").as_uri()),
        name="tiny-url-test",
    )
    register_temporarily(url_preset)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    m = zoo.load("tiny-url-test")
    assert (tmp_path / "cache" / "gan-zoo" / "tiny.weights.h5").exists()
    z = m.sample_latents(2, seed=1)
    np.testing.assert_allclose(m.generate(z), np.asarray(g(z, training=False)), atol=1e-6)


def test_entry_without_weights_says_so(tiny_preset, register_temporarily):
    register_temporarily(dataclasses.replace(tiny_preset, name="tiny-none"))
    with pytest.raises(zoo.WeightsIntegrityError, match="weights=None"):
        zoo.load("tiny-none")
    keras.utils.set_random_seed(1)
    assert zoo.load("tiny-none", weights=None).sample(1).shape == (1, 28, 28, 1)
