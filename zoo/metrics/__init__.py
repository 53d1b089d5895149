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

from zoo.lazy import lazy_exports

# The protocol's defaults (zoo.metrics.protocol), here so that the ``eval`` parser reads them without Keras.
DEFAULT_N = 10_000
DEFAULT_SEED = 0

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

# Each public name and the module it comes from, imported on first use: importing this package
# (as the ``gan-zoo`` parser does through its ``eval`` entry point) must not import Keras or TensorFlow.
_LAZY = {
    "feature_statistics": "zoo.metrics.distances",
    "fid": "zoo.metrics.distances",
    "frechet_distance": "zoo.metrics.distances",
    "kid": "zoo.metrics.distances",
    "mmd2_unbiased": "zoo.metrics.distances",
    "compare_with_card": "zoo.metrics.protocol",
    "evaluate": "zoo.metrics.protocol",
    "evaluate_images": "zoo.metrics.protocol",
    "write_card_metrics": "zoo.metrics.protocol",
    "class_coverage": "zoo.metrics.scores",
    "inception_score": "zoo.metrics.scores",
    "precision_recall": "zoo.metrics.scores",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
