"""GAN losses as pure function pairs over discriminator logits (backend-free).

All take logits, not probabilities: ``softplus`` forms are the numerically
stable versions of ``-log(sigmoid(x))`` and ``-log(1 - sigmoid(x))``.
"""

from keras import ops


def non_saturating_generator_loss(fake_logits):
    """Goodfellow et al. (2014), Sec. 3: G maximises log D(G(z)).

    ``mean(-log sigmoid(fake))`` = ``mean(softplus(-fake))``.
    """
    return ops.mean(ops.softplus(-fake_logits))


def non_saturating_discriminator_loss(real_logits, fake_logits):
    """Goodfellow et al. (2014): binary cross-entropy, real -> 1, fake -> 0.

    ``mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))``.
    """
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def minimax_generator_loss(fake_logits):
    """Goodfellow et al. (2014), Eq. 1: G minimises log(1 - D(G(z))) (saturates early)."""
    return -ops.mean(ops.softplus(fake_logits))


minimax_discriminator_loss = non_saturating_discriminator_loss
