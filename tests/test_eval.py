"""The evaluation protocol end to end on a tiny budget, the feature networks and the CLI.

Generators use random weights (``weights=None``): the protocol is what is
under test, not a generator's quality. Real-data features go to a per-module
cache folder, never the user's.
"""

import dataclasses
import json
import shutil
import time

import numpy as np
import pytest

from zoo.errors import WeightsIntegrityError, ZooError

N = 200  # samples per row: above the 128-d domain features, small enough for seconds
NAME = "dcgan-mnist"


@pytest.fixture(scope="module", autouse=True)
def metrics_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("metrics-cache")
        mp.setenv("ZOO_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def report(metrics_cache):
    from zoo.metrics import evaluate

    return evaluate(NAME, n=N, weights=None, seed=0)


def _mnist_test_images(pad_to=None):
    from zoo.data import load_arrays, to_float_images

    images, labels = load_arrays("mnist", "test")
    return to_float_images(images, pad_to=pad_to), labels


# ---------------------------------------------------------------- the protocol


def test_report_names_rows_and_protocol(report):
    untrained, real = report["rows"]
    assert untrained["name"] == f"{NAME} (untrained)" and untrained["n"] == N
    assert real["name"] == "real train vs test" and real["n"] == N
    expected = {f"{m}_domain_200" for m in ("fid", "kid", "is", "precision", "recall", "coverage_kl",
                                             "classes_covered")}
    expected |= {"kid_domain_200_se", "is_domain_200_std"}
    for row in report["rows"]:
        assert set(row["values"]) == expected
        assert all(np.isfinite(v) for v in row["values"].values())
        assert len(row["class_histogram"]) == 10
    p = report["protocol"]
    assert (p["features"], p["n_samples"], p["seed"], p["dataset"]) == ("domain", N, 0, "mnist")
    assert "mnist-classifier" in p["feature_net"] and p["feature_net_id"].startswith("domain-mnist-")
    assert p["reference"] == "mnist test split (1000 images)"
    assert report["cache"] == {"reference": "miss", "real_train": "miss"}


def test_real_row_is_the_floor_an_untrained_generator_is_far_above(report):
    bad, real = (row["values"] for row in report["rows"])
    for metric in ("fid", "kid", "coverage_kl"):
        assert real[f"{metric}_domain_200"] < bad[f"{metric}_domain_200"] / 5, metric
    assert real["classes_covered_domain_200"] == 10
    assert real["is_domain_200"] > 5 > bad["is_domain_200"]
    assert real["recall_domain_200"] > 0.5 > bad["recall_domain_200"]
    assert real["precision_domain_200"] > 0.5


def test_same_seed_same_numbers_without_the_cache(report):
    from zoo.metrics import evaluate

    again = evaluate(NAME, n=N, weights=None, seed=0, use_cache=False)
    assert again["cache"] == {"reference": "off", "real_train": "off"}
    assert [r["values"] for r in again["rows"]] == [r["values"] for r in report["rows"]]
    assert again["protocol"] == report["protocol"]


def test_reference_scored_against_itself_is_perfect_and_32px_is_cropped(report):
    from zoo.metrics import evaluate_images

    images, _ = _mnist_test_images(pad_to=32)  # what a 32x32 entry produces
    out = evaluate_images(images, "mnist", include_real=False)
    v = out["rows"][0]["values"]
    assert out["cache"] == {"reference": "hit"}  # the 28px reference of the first run
    assert abs(v["fid_domain_1k"]) < 1e-4  # round-off only: the traces are in the hundreds
    assert v["precision_domain_1k"] == v["recall_domain_1k"] == 1.0
    assert v["coverage_kl_domain_1k"] < 0.01 and v["classes_covered_domain_1k"] == 10


@pytest.mark.parametrize(
    "images,match",
    [
        (np.full((N, 28, 28, 1), np.nan, np.float32), "NaN/Inf"),
        (np.zeros((N, 28, 28, 3), np.float32), "shape"),
        (np.full((N, 28, 28, 1), 255.0, np.float32), r"\[-1, 1\]"),
        (np.zeros((N, 64, 64, 1), np.float32), "28x28 or 32x32"),
        (np.zeros((50, 28, 28, 1), np.float32), "at least 128 are needed"),
    ],
)
def test_bad_samples_are_rejected_with_a_clear_message(images, match):
    from zoo.metrics import evaluate_images

    with pytest.raises(ValueError, match=match):
        evaluate_images(images, "mnist")


# ---------------------------------------------------------------- Inception-v3


@pytest.fixture(scope="module")
def random_inception():
    from zoo.metrics.features import InceptionExtractor

    return InceptionExtractor(weights=None, batch_size=2)


def test_inception_path_with_random_weights(random_inception):
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    feats, probs = random_inception(images)
    assert feats.shape == (3, 2048) and probs.shape == (3, 1000)
    assert np.isfinite(feats).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert random_inception.id is None  # random weights must never be cached as Inception's


def test_inception_budget_error_comes_before_any_feature_pass(random_inception):
    from zoo.metrics import evaluate_images
    from zoo.metrics.protocol import real_features

    start = time.perf_counter()
    with pytest.raises(ValueError, match="at least 2048 are needed"):
        evaluate_images(np.zeros((N, 28, 28, 1), np.float32), "mnist", extractor=random_inception)
    # the offline MNIST test split (1,000 images) is too small for 2048-d features
    with pytest.raises(ValueError, match="mnist test split: 1000 images are too few"):
        real_features(random_inception, "mnist", "test", 28, use_cache=False)
    assert time.perf_counter() - start < 10  # no 299x299 pass over 1,000 images happened


def test_unfetchable_imagenet_weights_say_so(monkeypatch):
    from keras.src.utils import file_utils

    from zoo.metrics.features import FeatureNetworkError, InceptionExtractor

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(FeatureNetworkError, match="could not fetch the Inception-v3 ImageNet weights") as err:
        InceptionExtractor(weights="imagenet")
    assert "--features domain" in str(err.value) and "URL fetch failure" in str(err.value)


# ---------------------------------------------------------------- domain classifiers


@pytest.mark.parametrize("dataset,bar", [("mnist", 0.98), ("fashion-mnist", 0.91)])
def test_shipped_classifier_hash_card_and_accuracy(dataset, bar):
    from zoo.data import load_arrays, to_float_images
    from zoo.metrics.classifier import accuracy, card_path, load_classifier
    from zoo.weights import sha256_file

    if not card_path(dataset).exists():
        pytest.skip(f"no {dataset} classifier built yet")
    model, card = load_classifier(dataset)  # verifies the sha256 against the card
    assert sha256_file(card_path(dataset).with_name(card["weights"]["filename"])) == card["weights"]["sha256"]
    assert card["weights"]["bytes"] < 2 * 2**20
    assert card["test_accuracy"] >= bar
    assert "train split only" in card["data"]
    x, y = load_arrays(dataset, "test")
    assert accuracy(model, to_float_images(x), y) == pytest.approx(card["test_accuracy"], abs=1e-4)


def test_tampered_classifier_is_refused(tmp_path):
    from zoo.metrics.classifier import card_path, load_classifier, weights_path

    shutil.copy(card_path("mnist"), tmp_path)
    data = bytearray(weights_path("mnist").read_bytes())
    data[-100] ^= 0xFF
    weights_path("mnist", tmp_path).write_bytes(bytes(data))
    with pytest.raises(WeightsIntegrityError, match="sha256|hash"):
        load_classifier("mnist", tmp_path)
    with pytest.raises(WeightsIntegrityError, match="train_classifier fashion-mnist"):
        load_classifier("fashion-mnist", tmp_path / "empty")


# ---------------------------------------------------------------- cards and CLI


@pytest.fixture
def carded_preset(tmp_path):
    from zoo.registry import get_preset

    shipped = get_preset(NAME)
    preset = dataclasses.replace(shipped, weights_dir=tmp_path)
    card = json.loads(shipped.card_path.read_text())  # a real card: the writer validates it
    del card["metrics"]
    preset.card_path.write_text(json.dumps({**card, "notes": "kept"}))
    return preset


def test_card_metrics_block_written_and_reproduced(report, carded_preset):
    from zoo.metrics import compare_with_card, write_card_metrics

    with pytest.raises(ZooError, match="shipped weights"):
        write_card_metrics(carded_preset, report)  # an untrained report never goes into a card
    shipped = {**report, "model": NAME, "weights": "pretrained"}  # as if the weights were shipped
    card = json.loads(write_card_metrics(carded_preset, shipped).read_text())
    assert card["notes"] == "kept" and card["golden"]["n"] == 8  # the rest of the card is kept
    block = card["metrics"]["domain"]
    assert (block["n_samples"], block["seed"]) == (N, 0)
    assert block["values"] == report["rows"][0]["values"]
    assert block["real_reference"] == report["rows"][1]["values"]
    assert block["command"] == f"gan-zoo eval {NAME} -n {N} --seed 0 --features domain --update-card"
    assert compare_with_card(report, card) == []
    card["metrics"]["domain"]["values"]["fid_domain_200"] += 1.0
    assert [d.split(":")[0] for d in compare_with_card(report, card)] == ["fid_domain_200"]
    assert "-n 10000" in compare_with_card({**report, "protocol": {**report["protocol"], "n_samples": 10000}},
                                           card)[0]


def test_cli_eval_prints_the_table_and_writes_json(report, tmp_path, capsys):
    from zoo.cli import main

    out = tmp_path / "eval.json"
    assert main(["eval", NAME, "-n", str(N), "--untrained", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "real train vs test" in printed and f"{NAME} (untrained)" in printed and "cov_kl" in printed
    saved = json.loads(out.read_text())
    assert saved["cache"] == {"reference": "hit", "real_train": "hit"}
    assert [r["values"] for r in saved["rows"]] == [r["values"] for r in report["rows"]]


@pytest.mark.parametrize(
    "args,match",
    [
        (["-n", "50", "--untrained"], "at least 128 are needed"),
        (["--untrained", "--update-card"], "shipped weights only"),
        (["--untrained", "--weights", "x.weights.h5"], "contradict"),
        (["--features", "inception", "-n", "200", "--untrained"], "at least 2048"),
    ],
)
def test_cli_eval_errors_are_one_line(args, match, capsys):
    from zoo.cli import main

    assert main(["eval", NAME, *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gan-zoo: error:") and "\n" not in err
    assert match in err


@pytest.mark.slow
def test_domain_metrics_on_10k_samples_within_two_minutes():
    from zoo.metrics import evaluate

    start = time.perf_counter()
    out = evaluate(NAME, n=10_000, weights=None, seed=0)
    assert time.perf_counter() - start < 120, out["timing_s"]
