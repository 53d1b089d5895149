"""Scores over class probabilities and feature manifolds.

Inception Score, precision and recall (Kynkaanniemi et al., 2019) and class
coverage. Pure NumPy.
"""

from __future__ import annotations

import numpy as np

from zoo.metrics.distances import check_features


def check_probabilities(probs, name: str = "probabilities") -> np.ndarray:
    """``probs`` as float64 (N, C) rows of a distribution; rejects anything else.

    Examples:
    >>> check_probabilities([[0.5, 0.5]]).shape
    (1, 2)
    """
    p = check_features(probs, name)
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(f"{name} must be non-negative rows summing to 1 (softmax outputs, not logits)")
    return p


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p_i || q) per row, with 0 log 0 = 0."""
    # Logs only where p > 0, so zero entries of q (a class no sample has) raise no warnings.
    pos = p > 0
    log_ratio = np.log(np.where(pos, p, 1.0)) - np.log(np.where(pos, q, 1.0))
    return np.where(pos, p * log_ratio, 0.0).sum(axis=1)


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """Inception Score ``exp(E_x KL(p(y|x) || p(y)))`` (Salimans et al., 2016).

    As in the reference implementation, the samples are cut into ``splits``
    consecutive chunks, each with its own marginal ``p(y)``.

    Returns:
        ``(mean, std)`` over the chunks.

    Examples:
    >>> mean, std = inception_score(np.eye(10)[np.arange(1000) % 10], splits=10)  # confident and diverse
    >>> round(mean, 6), round(std, 6)
    (10.0, 0.0)
    >>> round(inception_score(np.full((1000, 10), 0.1), splits=10)[0], 6)  # no confidence at all
    1.0
    """
    p = check_probabilities(probs)
    if not 1 <= splits <= len(p):
        raise ValueError(f"splits must be between 1 and the number of samples ({len(p)}), got {splits}")
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(axis=0, keepdims=True)
        scores.append(np.exp(_kl_rows(part, py).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _sq_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def _sq_distances(a: np.ndarray, b: np.ndarray, b_norms: np.ndarray) -> np.ndarray:
    return np.maximum(_sq_norms(a)[:, None] + b_norms[None, :] - 2.0 * a @ b.T, 0.0)


def knn_radii(x: np.ndarray, k: int = 3, batch_size: int = 1000) -> np.ndarray:
    """Squared distance of each row to its k-th nearest other row."""
    norms = _sq_norms(x)
    radii = np.empty(len(x))
    for i in range(0, len(x), batch_size):
        d = _sq_distances(x[i : i + batch_size], x, norms)
        # index k, not k - 1: the row itself sits at distance 0 in position 0
        radii[i : i + batch_size] = np.partition(d, k, axis=1)[:, k]
    return radii


def _coverage(queries: np.ndarray, support: np.ndarray, radii: np.ndarray, batch_size: int) -> float:
    """Fraction of queries inside at least one support hypersphere."""
    norms = _sq_norms(support)
    inside = 0
    for i in range(0, len(queries), batch_size):
        d = _sq_distances(queries[i : i + batch_size], support, norms)
        inside += int((d <= radii[None, :]).any(axis=1).sum())
    return inside / len(queries)


def precision_recall(real_features, fake_features, k: int = 3, batch_size: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019).

    Each set's manifold is the union of hyperspheres around its points with
    radius the distance to the k-th nearest neighbour in the same set.
    Precision: the share of fake samples inside the real manifold (quality);
    recall: the share of real samples inside the fake manifold (diversity).
    Use sets of equal size: the radii shrink as a set grows.

    Examples:
    >>> rng = np.random.default_rng(0)
    >>> p, r = precision_recall(rng.normal(size=(500, 4)), rng.normal(size=(500, 4)))
    >>> p > 0.8 and r > 0.8
    True
    """
    real = check_features(real_features, "real features", k + 1)
    fake = check_features(fake_features, "fake features", k + 1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dimensions differ: {real.shape[1]} vs {fake.shape[1]}")
    precision = _coverage(fake, real, knn_radii(real, k, batch_size), batch_size)
    recall = _coverage(real, fake, knn_radii(fake, k, batch_size), batch_size)
    return precision, recall


def class_coverage(probs, real_labels, num_classes: int | None = None, min_share: float = 0.1) -> dict:
    """How the predicted classes of generated samples spread over the real classes.

    Args:
        probs: (N, C) class probabilities of generated samples (argmax is the
            predicted class).
        real_labels: integer labels of the real reference set; their
            frequencies are the target distribution.
        num_classes: C; default the width of ``probs``.
        min_share: a class counts as covered when its predicted frequency is
            at least ``min_share`` times its real frequency (0.1: a tenth of
            its fair share), so a few stray predictions do not count.

    Returns:
        ``{"histogram": [...], "kl": KL(predicted || real), "classes_covered": int}``;
        the KL is 0 for a perfect match and grows as classes are dropped or
        over-produced (it stays finite because every real class has mass).

    Examples:
    >>> class_coverage(np.eye(10)[np.zeros(100, int)], np.arange(10))["classes_covered"]
    1
    """
    p = check_probabilities(probs)
    c = num_classes or p.shape[1]
    labels = np.asarray(real_labels)
    if labels.ndim != 1 or len(labels) == 0 or labels.min() < 0 or labels.max() >= c:
        raise ValueError(f"real_labels must be a non-empty 1-D array of classes in [0, {c})")
    hist = np.bincount(p.argmax(axis=1), minlength=c) / len(p)
    real = np.bincount(labels.astype(np.int64), minlength=c) / len(labels)
    if (real == 0).any():
        raise ValueError("every class needs at least one real label (the KL would be infinite)")
    kl = float(_kl_rows(hist[None, :], real[None, :])[0])
    return {
        "histogram": [round(float(h), 6) for h in hist],
        "kl": kl,
        "classes_covered": int((hist >= min_share * real).sum()),
    }
