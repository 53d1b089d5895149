"""The mutual-information lower bound of InfoGAN, as backend-free functions.

Chen et al. (2016), Lemma 5.1: for codes c ~ P(c) and x = G(z, c),
``I(c; x) >= H(c) + E[log Q(c | x)]``. Minimising the negative log-likelihood
of the codes under Q therefore maximises the bound; H(c) is a constant.
"""

from __future__ import annotations

import math

from keras import ops

# Numerical guard on Q's log standard deviation: exp(-2 * log_std) stays finite
# and the Gaussian NLL stays bounded below even if Q becomes over-confident.
LOG_STD_MIN, LOG_STD_MAX = -5.0, 5.0


def categorical_nll(one_hot, logits):
    """Mean over the batch of -log Q(c | x) for a categorical code.

    Args:
        one_hot: (N, K) the codes that generated x.
        logits: (N, K) Q's unnormalised log-probabilities.
    """
    # float32 whatever Q's compute dtype (mixed precision): log_softmax of bfloat16 logits
    # would round the log-probabilities to 3 significant digits.
    one_hot, logits = ops.cast(one_hot, "float32"), ops.cast(logits, "float32")
    return -ops.mean(ops.sum(one_hot * ops.log_softmax(logits, axis=-1), axis=-1))


def gaussian_nll(codes, mean, log_std):
    """Mean over the batch of -log Q(c | x) for a factored Gaussian, summed over codes.

    Per code: ``log_std + 0.5 * log(2 pi) + 0.5 * ((c - mean) / std) ** 2``.

    Args:
        codes: (N, C) the continuous codes that generated x.
        mean, log_std: (N, C) Q's Gaussian parameters (log_std clipped to
            [LOG_STD_MIN, LOG_STD_MAX]).
    """
    codes, mean, log_std = (ops.cast(t, "float32") for t in (codes, mean, log_std))  # float32 (mixed precision)
    log_std = ops.clip(log_std, LOG_STD_MIN, LOG_STD_MAX)
    z = (codes - mean) * ops.exp(-log_std)
    per_code = log_std + 0.5 * math.log(2.0 * math.pi) + 0.5 * ops.square(z)
    return ops.mean(ops.sum(per_code, axis=-1))


def unit_gaussian_nll(codes, mean):
    """:func:`gaussian_nll` with the standard deviation fixed at 1 (Q's std output unused).

    Per code: ``0.5 * log(2 pi) + 0.5 * (c - mean) ** 2``, i.e. a squared error
    with weight 1/2 plus a constant. This is the official InfoGAN code's
    continuous-code likelihood (``Uniform(1, fix_std=True)``: a Gaussian of
    std 1 around Q's mean).

    Args:
        codes: (N, C) the continuous codes that generated x.
        mean: (N, C) Q's Gaussian means.
    """
    codes, mean = ops.cast(codes, "float32"), ops.cast(mean, "float32")  # float32 (mixed precision)
    per_code = 0.5 * math.log(2.0 * math.pi) + 0.5 * ops.square(codes - mean)
    return ops.mean(ops.sum(per_code, axis=-1))


def categorical_entropy(num_categories: int) -> float:
    """H(c) of a uniform categorical code: ln K (ln 10 = 2.303 for MNIST)."""
    return math.log(num_categories)


def uniform_entropy(num_continuous: int, low: float = -1.0, high: float = 1.0) -> float:
    """Differential entropy of ``num_continuous`` independent U(low, high) codes."""
    return num_continuous * math.log(high - low)
