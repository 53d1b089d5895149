"""InfoGAN code disentanglement: Hungarian matching, the measurement protocol and ``gan-zoo codes``."""

import dataclasses
import json

import keras
import numpy as np
import pytest
from keras import layers
from PIL import Image

from zoo.cli import main as cli_main
from zoo.errors import ZooError
from zoo.families.infogan import InfoGANModel
from zoo.families.infogan import disentanglement as dis
from zoo.model import build
from zoo.registry import get_preset, tiny_preset

K, C = 10, 2
NAME = "infogan-mnist"


# -- hungarian_accuracy --------------------------------------------------------
def test_permuted_perfect_mapping_scores_one():
    perm = np.array([3, 7, 0, 9, 1, 4, 8, 2, 6, 5])
    codes = np.repeat(np.arange(K), 5)
    acc, mapping, confusion = dis.hungarian_accuracy(codes, perm[codes], K)
    assert acc == 1.0
    assert mapping == {c: int(perm[c]) for c in range(K)}
    np.testing.assert_array_equal(confusion, 5 * np.eye(K, dtype=np.int64)[perm])


def test_known_confusion_matrix_hand_computed_optimum():
    # Rows = codes, columns = labels. Majority vote would send codes 0 and 1 both to
    # label 0; the one-to-one optimum is 0->1, 1->0, 2->2 with 3 + 4 + 6 = 13 of 21
    # (the other permutations give 11, 8, 6, 4 and 0).
    want = np.array([[5, 3, 0], [4, 0, 1], [0, 2, 6]])
    codes = np.concatenate([np.full(want[i, j], i) for i in range(3) for j in range(3)])
    labels = np.concatenate([np.full(want[i, j], j) for i in range(3) for j in range(3)])
    order = np.random.default_rng(0).permutation(len(codes))  # order does not matter
    acc, mapping, confusion = dis.hungarian_accuracy(codes[order], labels[order], 3)
    np.testing.assert_array_equal(confusion, want)
    assert mapping == {0: 1, 1: 0, 2: 2}
    assert acc == pytest.approx(13 / 21)


def test_random_labels_score_about_one_in_k():
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(K), 10_000)
    acc, mapping, _ = dis.hungarian_accuracy(codes, rng.integers(0, K, len(codes)), K)
    # The best of 10! assignments of noise sits a little above 0.1: 0.104 on average
    # over seeds at this size (0.119 at 500 samples per code, 0.125 at 300).
    assert 0.1 <= acc < 0.107
    assert sorted(mapping.values()) == list(range(K))


@pytest.mark.parametrize("codes, labels, match", [
    ([0, 1], [0], "equal-length"), ([], [], "non-empty"), ([0, 3], [0, 1], r"codes must be integers in \[0, 3\)"),
    ([0, 1], [0, -1], "labels must be"), ([0.0, 1.0], [0, 1], "codes must be integers"),
])
def test_bad_inputs_are_clear_errors(codes, labels, match):
    with pytest.raises(ValueError, match=match):
        dis.hungarian_accuracy(np.asarray(codes), np.asarray(labels), 3)


def test_r2_scores():
    true = np.array([[0.0, 1.0], [1.0, 2.0], [2.0, 6.0]])
    assert dis.r2_scores(true, true) == [1.0, 1.0]
    np.testing.assert_allclose(dis.r2_scores(true, np.full((3, 2), [1.0, 3.0])), [0.0, 0.0], atol=1e-12)
    assert dis.r2_scores(true[:, :1], -true[:, :1]) == [pytest.approx(1 - 20 / 2)]  # SS_res 0+4+16, SS_tot 2
    with pytest.raises(ValueError, match="constant"):
        dis.r2_scores(np.ones((3, 1)), np.zeros((3, 1)))


# -- the protocol on stub networks ---------------------------------------------
def code_painter(latent_dim=3, paint_z=False):
    """A generator whose output is its codes: the one-hot category in pixels (0, 0..K-1),
    the continuous codes in pixels (1, 0..C-1), zero elsewhere; with ``paint_z``, also
    z / 4 in pixels (2, 0..latent_dim-1) (a quarter, so that N(0, 1) noise is not clipped)."""
    inputs = {n: keras.Input((d,), name=n) for n, d in (("z", latent_dim), ("c_cat", K), ("c_cont", C))}
    x = layers.Concatenate()([inputs["c_cat"], inputs["c_cont"], inputs["z"]])  # (N, K + C + D)
    paint = layers.Dense(28 * 28, use_bias=False)
    y = layers.Reshape((28, 28, 1))(paint(x))
    kernel = np.zeros((K + C + latent_dim, 28 * 28), np.float32)
    kernel[np.arange(K), np.arange(K)] = 1.0
    kernel[K + np.arange(C), 28 + np.arange(C)] = 1.0
    if paint_z:
        kernel[K + C + np.arange(latent_dim), 56 + np.arange(latent_dim)] = 0.25
    paint.set_weights([kernel])
    return keras.Model(inputs, y)


class StubQ:
    """Stands in for the discriminator: reads the painted codes back, optionally distorted."""

    def __init__(self, cat_perm=None, cont=lambda c: c):
        self.cat_perm = np.arange(K) if cat_perm is None else np.asarray(cat_perm)
        self.cont = cont

    def __call__(self, x, training=False):
        x = np.asarray(x)
        cat = x[:, 0, :K, 0].argmax(1)
        return {"cat_logits": 10.0 * np.eye(K)[self.cat_perm[cat]], "cont_mean": self.cont(x[:, 1, :C, 0])}


@pytest.fixture(scope="module")
def painted():
    return InfoGANModel(get_preset(NAME), code_painter(), StubQ(), card={})


@pytest.fixture(scope="module")
def tiny_model():
    """infogan-mnist's tiny configuration, untrained."""
    tiny = tiny_preset(NAME)
    assert (tiny.generator_config["num_categories"], tiny.generator_config["num_continuous"]) == (K, C)
    keras.utils.set_random_seed(0)
    g, d = build(tiny)
    return InfoGANModel(tiny, g, d, card={})


def test_code_that_determines_the_class_scores_100_percent(painted):
    perm = np.random.default_rng(1).permutation(K)
    reads_code = lambda x: np.eye(K)[perm[x[:, 0, :K, 0].argmax(1)]]  # noqa: E731
    out = dis.category_accuracy(painted, reads_code, samples_per_code=30, seed=0)
    assert out["accuracy"] == 1.0
    assert out["mapping"] == {c: int(perm[c]) for c in range(K)}
    np.testing.assert_array_equal(out["confusion"], 30 * np.eye(K, dtype=int)[perm])
    assert out["purity"] == [1.0] * K and out["per_code_accuracy"] == [1.0] * K
    assert out["samples_per_code"] == 30 and out["classifier"] == "a custom classifier"


def test_random_classifier_scores_about_ten_percent(tiny_model):
    def random_scores(x):
        return np.random.default_rng(int(np.abs(x).sum() * 1e3) % 2**32).random((len(x), K))

    out = dis.category_accuracy(tiny_model, random_scores, samples_per_code=300, seed=0)
    # 300 per code: each confusion cell ~ Binomial(300, 0.1) = 30 +- 5.2; the Hungarian
    # maximum picks lucky cells, so a little above 0.1 (0.118 to 0.134 over 300 seeds).
    assert 0.1 <= out["accuracy"] < 0.15
    # The shares are read off the confusion matrix (rows: codes, 300 samples each).
    confusion = np.asarray(out["confusion"])
    np.testing.assert_array_equal(confusion.sum(axis=1), np.full(K, 300))
    np.testing.assert_allclose(out["purity"], confusion.max(axis=1) / 300)
    np.testing.assert_allclose(out["per_code_accuracy"], [confusion[c, out["mapping"][c]] / 300 for c in range(K)])
    assert out["accuracy"] == pytest.approx(np.mean(out["per_code_accuracy"]))


def test_samples_per_code_fix_the_category_and_vary_the_noise(painted):
    seen = []
    out = dis.category_accuracy(painted, lambda x: seen.append(x) or np.eye(K)[x[:, 0, :K, 0].argmax(1)],
                                samples_per_code=7, seed=3, batch_size=4)
    x = np.concatenate(seen)  # (K * 7, 28, 28, 1), in code order
    np.testing.assert_array_equal(x[:, 0, :K, 0].argmax(1), np.repeat(np.arange(K), 7))
    assert len(np.unique(x[:, 1, 0, 0])) == K * 7  # every sample has its own continuous code
    assert out["accuracy"] == 1.0


def test_q_recovery_exact_on_stub_q(painted):
    perfect = dis.q_recovery(painted, n=500, seed=0)
    assert perfect["category_accuracy"] == 1.0 and perfect["n"] == 500
    np.testing.assert_allclose(perfect["continuous_r2"], [1.0, 1.0], atol=1e-6)

    latents = painted.sample_latents(500, seed=0)
    c = latents["c_cont"].astype(np.float64)
    wrong = InfoGANModel(painted.preset, painted.generator,
                         StubQ(cat_perm=np.roll(np.arange(K), 1), cont=lambda v: np.zeros_like(v)), card={})
    out = dis.q_recovery(wrong, n=500, seed=0)
    assert out["category_accuracy"] == 0.0  # a relabelled code is wrong: Q must return the code itself
    want = 1 - (c**2).sum(0) / ((c - c.mean(0)) ** 2).sum(0)  # Q's mean stuck at 0: R^2 slightly below 0
    np.testing.assert_allclose(out["continuous_r2"], want, rtol=1e-5)
    assert all(r <= 0 for r in out["continuous_r2"])


def test_q_recovery_matches_a_direct_computation(tiny_model):
    out = dis.q_recovery(tiny_model, n=300, seed=0, batch_size=128)
    # By hand: the same latents through G, then D's Q heads in inference mode, all 300 at once.
    latents = tiny_model.sample_latents(300, seed=0)
    q = tiny_model.discriminator(tiny_model.generate(latents), training=False)
    hits = np.asarray(q["cat_logits"]).argmax(1) == latents["c_cat"].argmax(1)
    c, mean = latents["c_cont"].astype(np.float64), np.asarray(q["cont_mean"], np.float64)
    r2 = 1 - ((c - mean) ** 2).sum(0) / ((c - c.mean(0)) ** 2).sum(0)
    assert out["category_accuracy"] == pytest.approx(hits.mean()) and out["n"] == 300
    np.testing.assert_allclose(out["continuous_r2"], r2, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="discriminator"):
        dis.q_recovery(InfoGANModel(tiny_model.preset, tiny_model.generator, None, card={}), n=10)


def test_measure_names_carry_the_budget(painted):
    reads = lambda x: np.eye(K)[x[:, 0, :K, 0].argmax(1)]  # noqa: E731
    report = dis.measure(painted, reads, samples_per_code=20, seed=0, q_samples=300)
    assert report["values"] == {"category_accuracy_hungarian_200": 1.0, "q_category_accuracy_300": 1.0,
                                "q_continuous_r2_300": [1.0, 1.0]}
    assert "Hungarian" in report["protocol"]["text"] and "20 samples" in report["protocol"]["text"]
    assert report["q_real"] is None
    text = dis.format_table({"model": "stub", **report})
    assert "category_accuracy_hungarian_200: 1.0000" in text and "c1 1.0000, c2 1.0000" in text


def test_codes_metric_samples_the_generators_noise():
    """The measurement draws z from the generator config's noise, and its protocol text says which."""
    base = get_preset(NAME)
    uniform = dataclasses.replace(base, generator_config={**base.generator_config, "noise": "uniform"})
    normal = dataclasses.replace(base, generator_config={**base.generator_config, "noise": "normal"})
    reads = lambda x: np.eye(K)[x[:, 0, :K, 0].argmax(1)]  # noqa: E731
    for preset, inside, words in ((uniform, True, "noise z ~ U(-1, 1)"), (normal, False, "noise z ~ N(0, I)")):
        seen = []
        m = InfoGANModel(preset, code_painter(paint_z=True), StubQ(), card={})
        report = dis.measure(m, lambda x: seen.append(x) or reads(x), samples_per_code=50, seed=0, q_samples=None)
        z = 4 * np.concatenate(seen)[:, 2, :3, 0]  # (500, 3): the noise each sample was drawn with
        assert z.shape == (K * 50, 3) and report["values"]["category_accuracy_hungarian_500"] == 1.0
        assert (-1 <= z.min() and z.max() < 1) == inside, preset.generator_config
        assert words in report["protocol"]["text"]
    assert dis.protocol_text(10, 5, 0, "c", None) == dis.protocol_text(10, 5, 0, "c", None, noise="normal")


def test_card_block_written_for_shipped_weights_only(painted, tmp_path):
    preset = dataclasses.replace(get_preset(NAME), weights_dir=tmp_path)
    shipped = json.loads(get_preset(NAME).card_path.read_text())  # a real card: the writer validates it
    del shipped["metrics"][dis.CARD_KEY]
    preset.card_path.write_text(json.dumps(shipped))
    reads = lambda x: np.eye(K)[x[:, 0, :K, 0].argmax(1)]  # noqa: E731
    report = {"model": NAME, "weights": "untrained", "command": "gan-zoo codes ...",
              **dis.measure(painted, reads, samples_per_code=5, q_samples=50)}
    with pytest.raises(ZooError, match="shipped weights"):
        dis.write_card_codes(preset, report)
    card = json.loads(dis.write_card_codes(preset, {**report, "weights": "pretrained"}).read_text())
    assert card["metrics"]["domain"] == shipped["metrics"]["domain"]  # the rest of the card is kept
    block = card["metrics"][dis.CARD_KEY]
    assert block["values"] == report["values"] and block["protocol"]["samples_per_code"] == 5
    assert block["mapping"] == {str(c): c for c in range(K)} and block["command"] == "gan-zoo codes ..."


# -- gan-zoo codes -------------------------------------------------------------
def test_codes_cli_json_figure_and_overwrite_refusal(tmp_path, capsys):
    out, fig = tmp_path / "codes.json", tmp_path / "codes.png"
    args = ["codes", NAME, "--untrained", "--samples-per-code", "10", "--q-samples", "50",
            "--out", str(out), "--figure", str(fig)]
    assert cli_main(args) == 0
    printed = capsys.readouterr().out
    assert "category_accuracy_hungarian_100" in printed and "q_real_test_accuracy_hungarian_1k" in printed
    report = json.loads(out.read_text())
    assert report["model"] == NAME and report["weights"] == "untrained"
    assert set(report["values"]) == {"category_accuracy_hungarian_100", "q_category_accuracy_50",
                                     "q_continuous_r2_50", "q_real_test_accuracy_hungarian_1k"}
    # The stored accuracy is the optimal one-to-one matching of the stored confusion matrix.
    from scipy.optimize import linear_sum_assignment

    confusion = np.asarray(report["category"]["confusion"])
    rows, cols = linear_sum_assignment(confusion, maximize=True)
    mapping = {int(c): label for c, label in report["category"]["mapping"].items()}
    assert sum(confusion[c, mapping[c]] for c in range(K)) == confusion[rows, cols].sum()
    assert report["values"]["category_accuracy_hungarian_100"] == pytest.approx(confusion[rows, cols].sum() / 100)
    assert len(report["values"]["q_continuous_r2_50"]) == C
    assert sorted(mapping.values()) == list(range(K))
    assert report["protocol"]["samples_per_code"] == 10 and "mnist-classifier" in report["protocol"]["classifier"]
    with Image.open(fig) as im:
        assert im.size == (56 + K * 36 + 8, 48 + K * 36 + 8)  # labels, then one 36-px cell per code and class

    before = out.read_bytes()
    assert cli_main(args) == 1 and "--force" in capsys.readouterr().err
    assert out.read_bytes() == before  # refused, untouched
    # A generator file without its discriminator: no trained Q, so only the category is measured.
    g = tmp_path / "g.weights.h5"
    build(get_preset(NAME))[0].save_weights(g)
    assert cli_main(["codes", NAME, "--weights", str(g), "--samples-per-code", "10", "--seed", "1",
                     "--out", str(out), "--force"]) == 0
    assert "no trained Q" in capsys.readouterr().out
    again = json.loads(out.read_text())
    assert again["weights"] == str(g) and again["protocol"]["seed"] == 1
    assert again["q"] is None and again["q_real"] is None
    assert list(again["values"]) == ["category_accuracy_hungarian_100"]


@pytest.mark.parametrize("args, match", [
    (["--untrained", "--update-card"], "shipped weights only"),
    (["--untrained", "--weights", "g.weights.h5"], "contradict"),
    (["--d-weights", "d.weights.h5"], "goes with --weights"),
    (["--samples-per-code", "0", "--untrained"], "must be >= 1"),
])
def test_codes_cli_errors_are_one_line(args, match, capsys):
    assert cli_main(["codes", NAME, *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gan-zoo: error:") and "\n" not in err and match in err
    assert cli_main(["codes", "dcgan-mnist", "--untrained"]) == 1
    assert "only InfoGAN" in capsys.readouterr().err
