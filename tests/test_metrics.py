"""zoo.metrics' pure functions against independent NumPy/SciPy references.

Each metric is recomputed here the slow, obvious way (scipy.linalg.sqrtm,
explicit loops, scipy.spatial cdist) on fixed inputs, plus the properties a
distance must have. No Keras: these run in a second; only the last tests (the
protocol block's latents for a tiny InfoGAN) build a model and take a few seconds.
"""

import math

import numpy as np
import pytest
from scipy import linalg, stats
from scipy.spatial.distance import cdist

from zoo.metrics import (
    class_coverage,
    feature_statistics,
    fid,
    frechet_distance,
    inception_score,
    kid,
    mmd2_unbiased,
    precision_recall,
)
from zoo.metrics.features import center_crop, check_images, softmax
from zoo.metrics.protocol import budget_tag


def _features(seed, n=300, d=6, shift=0.0, scale=1.0):
    """Correlated Gaussian features; the seed draws the rows, the distribution is fixed."""
    mix = np.random.default_rng(1234).normal(size=(d, d)) / np.sqrt(d)  # a non-diagonal covariance
    return np.random.default_rng(seed).normal(size=(n, d)) @ mix * scale + shift


# ---------------------------------------------------------------- FID


def _fid_scipy(a, b):
    """The textbook formula with scipy's general matrix square root."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))


@pytest.mark.parametrize("shift,scale", [(0.0, 1.0), (0.5, 1.0), (0.0, 2.0), (1.0, 0.3)])
def test_fid_matches_scipy_sqrtm(shift, scale):
    a, b = _features(0), _features(1, shift=shift, scale=scale)
    assert fid(a, b) == pytest.approx(_fid_scipy(a, b), rel=1e-7, abs=1e-9)


def test_fid_of_known_gaussians():
    # N(0, I) vs N(1, 4I) in d dims: d * (1 + 1 + 4 - 2 * 2) = 2d
    d = 5
    assert frechet_distance(np.zeros(d), np.eye(d), np.ones(d), 4 * np.eye(d)) == pytest.approx(2 * d)


def test_fid_properties():
    a, b = _features(0), _features(1, shift=0.3)
    assert abs(fid(a, a)) < 1e-9
    assert fid(a, b) == pytest.approx(fid(b, a), rel=1e-9)
    assert fid(a, b) > 0
    # a pure translation leaves the covariances equal: FID is the squared shift
    c = np.arange(a.shape[1]) / 10
    assert fid(a, a + c) == pytest.approx(c @ c, rel=1e-9)
    # further apart is worse
    assert fid(a, _features(1, shift=1.0)) > fid(a, b)


def test_fid_with_singular_covariance_stays_finite():
    a = _features(0, d=4)
    a = np.concatenate([a, np.zeros((len(a), 2))], axis=1)  # two dead (always-zero) features
    b = _features(1, d=4, shift=0.2)
    b = np.concatenate([b, np.zeros((len(b), 2))], axis=1)
    value = fid(a, b)
    assert np.isfinite(value)
    assert value == pytest.approx(fid(a[:, :4], b[:, :4]), rel=1e-6)


def test_feature_statistics_matches_numpy():
    a = _features(3)
    mu, sigma = feature_statistics(a)
    np.testing.assert_allclose(mu, a.mean(0))
    np.testing.assert_allclose(sigma, np.cov(a.T))


def test_too_few_samples_for_the_covariance_says_how_many():
    with pytest.raises(ValueError, match="needs at least 16 samples, got 10"):
        fid(np.zeros((10, 16)), np.zeros((100, 16)))


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.full((50, 4), np.nan), "NaN/Inf"),
        (np.zeros((50, 4, 1)), r"shape \(N, D\)"),
        (np.array([["a"] * 4] * 50), "numeric"),
    ],
)
def test_fid_rejects_bad_features(bad, match):
    with pytest.raises(ValueError, match=match):
        fid(bad, np.zeros((50, 4)))


def test_frechet_distance_rejects_mismatched_statistics():
    with pytest.raises(ValueError, match="statistics do not match"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# ---------------------------------------------------------------- KID


def _mmd2_loop(x, y):
    """Unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3, one pair at a time."""
    d = x.shape[1]

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1.0) ** 3

    m, n = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kyy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return kxx + kyy - 2 * kxy


def test_mmd2_unbiased_matches_a_direct_loop():
    x, y = _features(0, n=20, d=5), _features(1, n=25, d=5, shift=0.4)
    assert mmd2_unbiased(x, y) == pytest.approx(_mmd2_loop(x, y), rel=1e-10)


def test_kid_subsets_match_a_direct_loop():
    a, b = _features(0, n=40, d=5), _features(1, n=50, d=5, shift=0.5)
    # The documented draw order: per subset, a's rows then b's rows, one default_rng(seed).
    rng = np.random.default_rng(7)
    ref = []
    for _ in range(4):
        ia = rng.choice(40, 15, replace=False)
        ib = rng.choice(50, 15, replace=False)
        ref.append(_mmd2_loop(a[ia], b[ib]))
    mean, se = kid(a, b, n_subsets=4, subset_size=15, seed=7)
    assert mean == pytest.approx(np.mean(ref), rel=1e-10)
    assert se == pytest.approx(np.std(ref, ddof=1) / 2, rel=1e-8)


def test_kid_with_whole_sets_has_no_subset_noise():
    # Every "subset" is a permutation of the whole set, and MMD ignores order.
    a, b = _features(0, n=30, d=5), _features(1, n=30, d=5, shift=0.5)
    mean, se = kid(a, b, n_subsets=3, subset_size=1000)
    assert mean == pytest.approx(_mmd2_loop(a, b), rel=1e-10)
    assert se < 1e-12


def test_kid_properties():
    a, b = _features(0, n=400), _features(1, n=400)
    same_mean, same_se = kid(a, b, n_subsets=20, subset_size=200)
    far_mean, far_se = kid(a, _features(1, n=400, shift=1.0), n_subsets=20, subset_size=200)
    assert abs(same_mean) < 3 * same_se + 1e-3  # unbiased: about zero for one distribution
    assert far_mean > 10 * far_se
    assert kid(a, b, n_subsets=5, subset_size=50, seed=3) == kid(a, b, n_subsets=5, subset_size=50, seed=3)
    with pytest.raises(ValueError, match="feature dimensions differ"):
        kid(a, a[:, :3])
    with pytest.raises(ValueError, match="n_subsets"):
        kid(a, b, n_subsets=1)


# ---------------------------------------------------------------- Inception Score


def _is_reference(p, splits):
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0)
        scores.append(math.exp(np.mean([stats.entropy(row, py) for row in part])))
    return np.mean(scores), np.std(scores)


@pytest.mark.parametrize("splits", [1, 3])
def test_inception_score_matches_scipy_entropy(splits):
    probs = softmax(np.random.default_rng(0).normal(scale=3, size=(90, 10)))
    mean, std = inception_score(probs, splits=splits)
    ref_mean, ref_std = _is_reference(probs, splits)
    assert mean == pytest.approx(ref_mean, rel=1e-10)
    assert std == pytest.approx(ref_std, rel=1e-8, abs=1e-12)


def test_inception_score_bounds():
    one_hot = np.eye(10)[np.arange(500) % 10]
    assert inception_score(one_hot, splits=5)[0] == pytest.approx(10.0)  # confident and diverse: C
    assert inception_score(np.eye(10)[np.zeros(500, int)], splits=5)[0] == pytest.approx(1.0)  # one class
    assert inception_score(np.full((500, 10), 0.1), splits=5)[0] == pytest.approx(1.0)  # unsure


def test_inception_score_rejects_logits_and_bad_splits():
    with pytest.raises(ValueError, match="not logits"):
        inception_score(np.random.default_rng(0).normal(size=(20, 10)))
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((5, 2), 0.5), splits=6)


# ---------------------------------------------------------------- precision / recall


def _pr_brute_force(real, fake, k):
    def manifold_share(queries, support):
        d_support = cdist(support, support)
        radii = np.sort(d_support, axis=1)[:, k]  # column 0 is the point itself
        return float((cdist(queries, support) <= radii[None, :]).any(axis=1).mean())

    return manifold_share(fake, real), manifold_share(real, fake)


@pytest.mark.parametrize("shift,scale", [(0.0, 1.0), (0.8, 1.0), (0.0, 0.4)])
def test_precision_recall_match_brute_force(shift, scale):
    real, fake = _features(0, n=120, d=4), _features(1, n=120, d=4, shift=shift, scale=scale)
    got = precision_recall(real, fake, k=3, batch_size=17)  # odd batches: exercises the chunking
    assert got == pytest.approx(_pr_brute_force(real, fake, 3), abs=1e-12)


def test_precision_recall_properties():
    real = _features(0, n=200, d=4)
    assert precision_recall(real, real) == (1.0, 1.0)
    # a collapsed generator: sharp (in the manifold) but covering little of it
    collapsed = real[:5].repeat(40, axis=0) + 1e-3 * _features(1, n=200, d=4)
    p, r = precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.2
    far = _features(1, n=200, d=4, shift=100.0)
    assert precision_recall(real, far) == (0.0, 0.0)
    with pytest.raises(ValueError, match="at least 4 samples"):
        precision_recall(real[:3], real[:3])


# ---------------------------------------------------------------- class coverage


def test_class_coverage_by_hand():
    # 10 samples predicted as classes 0,0,0,0,1,1,1,2,2,3 of 4; real labels uniform
    pred = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 3])
    probs = 0.7 * np.eye(4)[pred] + 0.075  # argmax is pred, rows sum to 1
    out = class_coverage(probs, np.arange(4).repeat(5))
    assert out["histogram"] == [0.4, 0.3, 0.2, 0.1]
    kl = 0.4 * math.log(0.4 / 0.25) + 0.3 * math.log(0.3 / 0.25) + 0.2 * math.log(0.2 / 0.25) + 0.1 * math.log(0.1 / 0.25)
    assert out["kl"] == pytest.approx(kl, rel=1e-12)
    assert out["classes_covered"] == 4


def test_class_coverage_dropped_and_rare_classes():
    real = np.arange(10).repeat(10)  # uniform over 10 classes
    pred = np.array([0] * 60 + [1] * 39 + [2])  # class 2 at 1% < a tenth of its 10% share
    out = class_coverage(np.eye(10)[pred], real)
    assert out["classes_covered"] == 2
    kl = 0.6 * math.log(6) + 0.39 * math.log(3.9) + 0.01 * math.log(0.1)
    assert out["kl"] == pytest.approx(kl, rel=1e-12)
    perfect = class_coverage(np.eye(10)[real], real)
    assert perfect["kl"] == 0.0 and perfect["classes_covered"] == 10


def test_class_coverage_rejects_bad_labels():
    probs = np.eye(3)[[0, 1, 2]]
    with pytest.raises(ValueError, match="real_labels"):
        class_coverage(probs, [0, 1, 5])
    with pytest.raises(ValueError, match="every class"):
        class_coverage(probs, [0, 1, 1])


# ---------------------------------------------------------------- images and names


@pytest.mark.parametrize(
    "images,match",
    [
        (np.zeros((4, 28, 28)), r"shape \(N, H, W, C\)"),
        (np.zeros((4, 28, 28, 2)), r"shape \(N, H, W, C\)"),
        (np.zeros((0, 28, 28, 1)), "empty"),
        (np.zeros((4, 28, 28, 1), np.uint8), "dtype uint8"),
        (np.full((4, 28, 28, 1), 2.0), r"\[-1, 1\]"),
        (np.where(np.arange(4)[:, None, None, None] == 1, np.nan, 0.0) * np.ones((4, 28, 28, 1)), "NaN/Inf values in 1 of 4"),
    ],
)
def test_check_images_rejects_bad_samples(images, match):
    with pytest.raises(ValueError, match=match):
        check_images(images)


def test_check_images_accepts_tanh_round_off_and_crop_recentres():
    x = np.full((2, 32, 32, 1), 1.00001, np.float32)
    assert check_images(x).dtype == np.float32
    y = np.arange(32 * 32, dtype=np.float32).reshape(1, 32, 32, 1)
    np.testing.assert_array_equal(center_crop(y, 28)[0, 0, 0], y[0, 2, 2])


def test_budget_tag():
    assert [budget_tag(n) for n in (10000, 50000, 2500, 200, 9000)] == ["10k", "50k", "2500", "200", "9k"]


# ---------------------------------------------------------------- the protocol block's latents (Keras)


def test_protocol_latents_default_keeps_the_standard_normal_text():
    from types import SimpleNamespace

    from zoo.metrics.protocol import describe_protocol

    extractor = SimpleNamespace(kind="domain", description="a classifier", id="domain-x")
    p = describe_protocol(extractor, "mnist", 200, 3, {"n": 1000})  # images handed over as arrays
    assert p["latents"] == "standard normal from numpy.random.default_rng(3)"


@pytest.mark.parametrize("noise,latents", [
    ("normal", "standard normal from numpy.random.default_rng(0)"),  # byte-identical to the shipped cards
    ("uniform", "uniform on [-1, 1) from numpy.random.default_rng(0)"),
])
def test_protocol_latents_follow_the_model(noise, latents, register_temporarily, tmp_path, monkeypatch):
    """evaluate() names the z distribution the model's sample_latents drew (a tiny InfoGAN, random weights)."""
    import dataclasses

    from zoo.metrics import evaluate
    from zoo.registry import tiny_preset

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    tiny = tiny_preset("infogan-mnist")
    register_temporarily(dataclasses.replace(tiny, name=f"infogan-test-{noise}",
                                             generator_config={**tiny.generator_config, "noise": noise}))
    report = evaluate(f"infogan-test-{noise}", n=200, weights=None, include_real=False)
    assert report["protocol"]["latents"] == latents
