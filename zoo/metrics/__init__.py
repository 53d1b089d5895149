"""Evaluation metrics for the zoo: FID, KID, Inception Score, precision/recall, class coverage.

The metric functions are pure NumPy over features and probabilities; the
feature networks (``zoo.metrics.features``) and the protocol
(``zoo.metrics.protocol``) import Keras lazily.

Metric names say the feature network and the sample budget:
``fid_domain_10k`` is the FID of 10,000 samples in the domain classifier's
feature space, ``fid_inception_10k`` the same in Inception-v3's.

Examples:
>>> import numpy as np
>>> from zoo.metrics import fid, evaluate
>>> rng = np.random.default_rng(0)
>>> fid(rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))) < 0.1
True
>>> report = evaluate("dcgan-mnist", n=200, include_real=False)  # the card's numbers use n=10000
>>> sorted(report["rows"][0]["values"])[:3]
['classes_covered_domain_200', 'coverage_kl_domain_200', 'fid_domain_200']
"""

from zoo.metrics.distances import feature_statistics, fid, frechet_distance, kid, mmd2_unbiased
from zoo.metrics.protocol import compare_with_card, evaluate, evaluate_images, write_card_metrics
from zoo.metrics.scores import class_coverage, inception_score, precision_recall


__all__ = [
    "fid",
    "frechet_distance",
    "feature_statistics",
    "kid",
    "mmd2_unbiased",
    "inception_score",
    "precision_recall",
    "class_coverage",
    "evaluate",
    "evaluate_images",
    "compare_with_card",
    "write_card_metrics",
]
