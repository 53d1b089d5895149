"""GAN losses as pure function pairs over discriminator logits (backend-free).

All take logits, not probabilities: ``softplus`` forms are the numerically
stable versions of ``-log(sigmoid(x))`` and ``-log(1 - sigmoid(x))``.

Every function first casts its logits to float32: under mixed precision the
discriminator returns bfloat16 / float16 logits, and a loss (its means, and
the gradients that start from it) must stay float32.
"""

from keras import ops


def _f32(logits):
    return ops.cast(logits, "float32")


def non_saturating_generator_loss(fake_logits):
    """Goodfellow et al. (2014), Sec. 3: G maximises log D(G(z)).

    ``mean(-log sigmoid(fake))`` = ``mean(softplus(-fake))``.
    """
    fake_logits = _f32(fake_logits)
    return ops.mean(ops.softplus(-fake_logits))


def non_saturating_discriminator_loss(real_logits, fake_logits):
    """Goodfellow et al. (2014): binary cross-entropy, real -> 1, fake -> 0.

    ``mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))``.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def minimax_generator_loss(fake_logits):
    """Goodfellow et al. (2014), Eq. 1: G minimises log(1 - D(G(z))) (saturates early)."""
    fake_logits = _f32(fake_logits)
    return -ops.mean(ops.softplus(fake_logits))


minimax_discriminator_loss = non_saturating_discriminator_loss


def hinge_generator_loss(fake_logits):
    """Lim & Ye (2017), Miyato et al. (2018): G raises D's raw score, ``-mean(fake)``."""
    fake_logits = _f32(fake_logits)
    return -ops.mean(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss: ``mean(relu(1 - real)) + mean(relu(1 + fake))``.

    D stops pushing a sample once it is classified with margin 1 (real >= 1,
    fake <= -1), so confident samples contribute no gradient.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))
