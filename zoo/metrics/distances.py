"""Distances between feature sets: Frechet distance (FID) and KID.

Pure NumPy functions over (N, D) feature arrays, computed in float64.
"""

from __future__ import annotations

import numpy as np


def check_features(x, name: str = "features", min_samples: int = 1) -> np.ndarray:
    """``x`` as a float64 (N, D) array; rejects bad shapes, NaN/Inf and too few rows.

    Examples:
    >>> check_features(np.zeros((4, 2))).shape
    (4, 2)
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contain {int((~np.isfinite(x)).sum())} NaN/Inf values")
    if len(x) < min_samples:
        raise ValueError(f"{name}: need at least {min_samples} samples, got {len(x)}")
    return x


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of (N, D) features, the summary FID compares.

    The covariance of D-dimensional features is only full-rank with at least
    D samples, so fewer is an error that says how many are needed.

    Returns:
        ``(mu, sigma)``: float64 (D,) and (D, D) (unbiased, ``np.cov``).

    Examples:
    >>> mu, sigma = feature_statistics(np.random.default_rng(0).normal(size=(500, 8)))
    >>> mu.shape, sigma.shape
    ((8,), (8, 8))
    """
    x = check_features(features)
    n, d = x.shape
    if n < d:
        raise ValueError(
            f"the covariance of {d}-dimensional features needs at least {d} samples, got {n}; "
            f"use at least {d} samples (e.g. -n {d})"
        )
    return x.mean(axis=0), np.cov(x, rowvar=False)


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between two Gaussians (Heusel et al., 2017).

    ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``. The trace of the matrix
    square root is taken as the sum of square roots of the eigenvalues of
    ``S1^(1/2) S2 S1^(1/2)`` (same spectrum as ``S1 S2``, but symmetric), which
    stays real and finite for singular covariances where ``scipy.linalg.sqrtm``
    needs an epsilon fix-up.

    Examples:
    >>> mu, s = np.zeros(2), np.eye(2)
    >>> round(frechet_distance(mu, s, mu + 1, 4 * s), 6)
    4.0
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"statistics do not match: mu {mu1.shape} / {mu2.shape}, sigma {s1.shape} / {s2.shape}"
        )
    for name, a in (("mu1", mu1), ("sigma1", s1), ("mu2", mu2), ("sigma2", s2)):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} contains NaN/Inf")
    r1 = _sqrt_psd(s1)
    m = r1 @ s2 @ r1
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)


def fid(features_a, features_b) -> float:
    """Frechet distance between the Gaussian fits of two feature sets.

    Examples:
    >>> rng = np.random.default_rng(0)
    >>> fid(rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4))) < 0.05
    True
    """
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    """``(x . y / D + coef0) ** degree``, the KID kernel (Binkowski et al., 2018).

    Examples:
    >>> polynomial_kernel(np.ones((1, 4)), np.ones((2, 4)))
    array([[8., 8.]])
    """
    if int(degree) != degree or degree < 1:
        raise ValueError(f"degree must be a positive integer, got {degree}")
    k = x @ y.T
    # In place, and repeated products instead of ``**``: KID evaluates 300
    # of these 1000x1000 matrices, and a generic power is the slow part.
    k /= x.shape[1]
    k += coef0
    out = k.copy()
    for _ in range(degree - 1):
        out *= k
    return out


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, coef0: float = 1.0) -> float:
    """Unbiased estimate of the squared MMD with the polynomial kernel (diagonals excluded).

    Examples:
    >>> rng = np.random.default_rng(0)
    >>> abs(mmd2_unbiased(rng.normal(size=(300, 4)), rng.normal(size=(300, 4)))) < 0.05
    True
    """
    m, n = len(x), len(y)
    kxx = polynomial_kernel(x, x, degree, coef0)
    kyy = polynomial_kernel(y, y, degree, coef0)
    kxy = polynomial_kernel(x, y, degree, coef0)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.mean()
    )


def kid(features_a, features_b, n_subsets: int = 100, subset_size: int = 1000, seed: int = 0,
        degree: int = 3, coef0: float = 1.0) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2 averaged over random subsets.

    Each of ``n_subsets`` rounds draws ``subset_size`` rows (without
    replacement, capped at the smaller set) from each side with a NumPy
    generator seeded by ``seed``, so the value is a fixed function of the inputs.

    Returns:
        ``(mean, standard_error)`` over the subsets, the error being
        ``std(ddof=1) / sqrt(n_subsets)``.

    Examples:
    >>> rng = np.random.default_rng(0)
    >>> mean, se = kid(rng.normal(size=(500, 8)), rng.normal(1, 1, size=(500, 8)), n_subsets=10, subset_size=100)
    >>> mean > 10 * se
    True
    """
    a = check_features(features_a, "features_a", 2)
    b = check_features(features_b, "features_b", 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")
    if n_subsets < 2:
        raise ValueError(f"n_subsets must be >= 2 for a standard error, got {n_subsets}")
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = np.empty(n_subsets)
    for i in range(n_subsets):
        xa = a[rng.choice(len(a), m, replace=False)]
        xb = b[rng.choice(len(b), m, replace=False)]
        values[i] = mmd2_unbiased(xa, xb, degree, coef0)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(n_subsets))
