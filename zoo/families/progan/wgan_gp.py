"""WGAN-GP losses with ProGAN's drift term (Gulrajani et al., 2017; Karras et al., 2018).

The critic outputs an unbounded score per image. With ``mix ~ U(0, 1)`` per
sample and ``x_hat = fake + mix * (real - fake)``:

* ``d_loss = mean(D(fake)) - mean(D(real))``
  ``+ gp_weight * mean((||dD(x_hat)/dx_hat||_2 - 1)**2)``
  ``+ drift_weight * mean(D(real)**2)``
* ``g_loss = -mean(D(fake))``

The drift term keeps the critic's output near zero, since the Wasserstein
loss alone is invariant to adding a constant to it.
"""

from __future__ import annotations

import keras
from keras import ops


def input_gradients(critic, x):
    """d(sum of critic(x))/dx, differentiable again (for the penalty's own gradient).

    The sum over the batch is what the authors' code differentiates too; with a
    minibatch-stddev layer one sample's score depends slightly on the others,
    so this is not exactly the per-sample gradient. Only the TensorFlow
    backend is implemented (the trainer is TensorFlow-only).
    """
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise NotImplementedError(f"the gradient penalty is implemented for TensorFlow only, not {backend}")
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(critic(x, training=True))  # inside the tape, so it is recorded
    return tape.gradient(total, x)


def gradient_penalty(critic, real, fake, mix):
    """``mean((||grad D(x_hat)||_2 - 1)**2)`` over the batch (unweighted).

    Args:
        critic: the discriminator, (N, H, W, C) -> (N, 1).
        real, fake: (N, H, W, C) image batches.
        mix: (N, 1, 1, 1) interpolation weights in [0, 1]; 1 gives the real image.
    """
    x_hat = fake + mix * (real - fake)
    grads = input_gradients(critic, x_hat)  # (N, H, W, C)
    # 1e-12 keeps the sqrt differentiable if a gradient is exactly zero.
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape)))) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def wgan_gp_losses(critic, real, fake, mix, gp_weight: float = 10.0, drift_weight: float = 1e-3) -> dict:
    """Both losses plus diagnostics: ``wdist`` (mean real - mean fake score) and ``gp``."""
    real_scores = critic(real, training=True)
    fake_scores = critic(fake, training=True)
    gp = gradient_penalty(critic, real, fake, mix)
    wdist = ops.mean(real_scores) - ops.mean(fake_scores)
    drift = ops.mean(ops.square(real_scores))
    return {
        "g_loss": -ops.mean(fake_scores),
        "d_loss": -wdist + gp_weight * gp + drift_weight * drift,
        "wdist": wdist,
        "gp": gp,
    }
