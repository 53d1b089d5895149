"""The exported SavedModel drops in with no glue: a default callable (``tf.saved_model.load(path)(z)``,
``hub.KerasLayer(path)`` with no arguments), ``serving_default`` kept for TF Serving, and TF Serving's
numbered folder layout (``--serving-version N``)."""

import importlib.util

import numpy as np
import pytest

import export
import zoo
from zoo.cli import main

HUB_MISSING = [m for m in ("tensorflow_hub", "tf_keras") if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="module")
def dcgan_saved_model(tmp_path_factory):
    m = zoo.load("dcgan-mnist", weights=None)
    result = export.to_saved_model(m, tmp_path_factory.mktemp("sm") / "dcgan-mnist_savedmodel")
    return m, result


def test_loaded_object_is_callable_and_equals_the_keras_generator(dcgan_saved_model):
    import tensorflow as tf

    m, result = dcgan_saved_model
    obj = tf.saved_model.load(str(result.path))
    z = m.sample_latents(16, seed=3)
    want = np.clip(m.generate(z), -1, 1)
    for n in (1, 16):
        got = obj(tf.constant(z[:n])).numpy()
        assert got.shape == (n, 28, 28, 1) and got.dtype == np.float32
        np.testing.assert_allclose(got, want[:n], atol=1e-4)
    # serving_default stays for TF Serving and signature users.
    signature = obj.signatures["serving_default"]
    np.testing.assert_allclose(signature(z=tf.constant(z))["image"].numpy(), want, atol=1e-4)
    # TF Hub's reusable-SavedModel attributes: the generator's variables are listed.
    assert len(obj.variables) == len(m.generator.weights) > 0
    assert result.card["default_callable"] == "__call__" and result.card["serving_version"] is None
    runtimes = [r["runtime"] for r in result.card["verification"]["runtimes"]]
    assert "tf.saved_model.load default callable" in runtimes


@pytest.mark.skipif(bool(HUB_MISSING), reason=f"{', '.join(HUB_MISSING)} not installed: "
                    "hub.KerasLayer cannot be tried (pip install tensorflow-hub tf-keras)")
def test_hub_keras_layer_with_no_arguments_in_a_tf_keras_sequential(dcgan_saved_model):
    import tensorflow_hub as hub
    import tf_keras

    m, result = dcgan_saved_model
    seq = tf_keras.Sequential([tf_keras.Input((m.latent_dim,)), hub.KerasLayer(str(result.path))])
    z = m.sample_latents(8, seed=4)
    np.testing.assert_allclose(seq.predict(z, verbose=0), np.clip(m.generate(z), -1, 1), atol=1e-4)
    assert len(seq.weights) == len(m.generator.weights)  # the layer tracks the SavedModel's variables


def test_generator_with_several_inputs_is_called_with_a_dict(tmp_path):
    import tensorflow as tf

    m = zoo.load("infogan-mnist", weights=None)
    result = export.to_saved_model(m, tmp_path / "infogan")
    feed = m.sample_latents(4, seed=1)
    got = tf.saved_model.load(str(result.path))({k: tf.constant(v) for k, v in feed.items()}).numpy()
    np.testing.assert_allclose(got, np.clip(m.generate(feed), -1, 1), atol=1e-4)
    assert result.card["default_callable_input"] == "dict by input name"


def test_serving_versions_sit_side_by_side_in_tf_servings_layout(tmp_path):
    m = zoo.load("dcgan-mnist", weights=None)
    base = tmp_path / "models" / "dcgan-mnist"
    export.to_saved_model(m, base, serving_version=1)
    r2 = export.to_saved_model(m, base, serving_version=2)  # a new version needs no force
    assert (base / "1" / "saved_model.pb").is_file() and (base / "2" / "saved_model.pb").is_file()
    assert (base / "2" / "variables").is_dir() and r2.card["serving_version"] == 2
    with pytest.raises(FileExistsError, match="already exists"):
        export.to_saved_model(m, base, serving_version=1)
    with pytest.raises(ValueError, match="non-negative integer"):
        export.to_saved_model(m, base, serving_version=-3)


def test_cli_serving_version(tmp_path, capsys):
    out = tmp_path / "models"
    assert main(["export", "dcgan-mnist", "--format", "saved_model", "--serving-version", "7",
                 "--untrained", "-o", str(out)]) == 0
    assert (out / "dcgan-mnist" / "7" / "saved_model.pb").is_file()
    assert str(out / "dcgan-mnist" / "7") in capsys.readouterr().out
    assert main(["export", "dcgan-mnist", "--format", "saved_model", "--serving-version", "7",
                 "--untrained", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "dcgan-mnist", "--format", "onnx", "--serving-version", "1",
                 "--untrained", "-o", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        "gan-zoo: error: --serving-version applies to --format saved_model only")
