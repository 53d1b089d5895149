"""WGAN-GP losses with ProGAN's drift term (Gulrajani et al., 2017; Karras et al., 2018).

The critic outputs an unbounded score per image. With ``mix ~ U(0, 1)`` per
sample and ``x_hat = fake + mix * (real - fake)``:

* ``d_loss = mean(D(fake)) - mean(D(real))``
  ``+ gp_weight * mean((||dD(x_hat)/dx_hat||_2 - 1)**2)``
  ``+ drift_weight * mean(D(real)**2)``
* ``g_loss = -mean(D(fake))``

The drift term keeps the critic's output near zero, since the Wasserstein
loss alone is invariant to adding a constant to it.

Mixed precision: the critic may compute in bfloat16 / float16 (a Keras
``mixed_*`` policy); its scores, the interpolates and the penalty's input
gradient are cast to float32 here, so every loss term and the penalty's
norm are float32 whatever the policy.
"""

from __future__ import annotations

from keras import ops

from zoo.training.backends import value_and_input_gradient


def critic_scores(critic, images):
    """(N, 1) float32 scores: under a mixed policy the critic returns bfloat16 / float16."""
    return ops.cast(critic(images, training=True), "float32")


def gradient_penalty(critic, real, fake, mix):
    """``mean((||grad D(x_hat)||_2 - 1)**2)`` over the batch (unweighted).

    Args:
        critic: the discriminator, (N, H, W, C) -> (N, 1).
        real, fake: (N, H, W, C) image batches.
        mix: (N, 1, 1, 1) interpolation weights in [0, 1]; 1 gives the real image.
    """
    # float32 interpolates: the generator's output is in its compute dtype under a mixed policy.
    real, fake, mix = (ops.cast(t, "float32") for t in (real, fake, mix))
    x_hat = fake + mix * (real - fake)  # (N, H, W, C) float32; the critic casts it to its compute dtype
    # Gradient of the batch's summed scores, differentiable again (its own
    # gradient reaches D's weights); see value_and_input_gradient. The input is
    # float32, so the gradient is too (the critic's internal backward pass is
    # in its compute dtype); the norm below is taken in float32.
    _, grads = value_and_input_gradient(lambda x: critic_scores(critic, x), x_hat)  # (N, H, W, C)
    grads = ops.cast(grads, "float32")
    # 1e-12 keeps the sqrt differentiable if a gradient is exactly zero.
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape)))) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def wgan_gp_losses(critic, real, fake, mix, gp_weight: float = 10.0, drift_weight: float = 1e-3) -> dict:
    """Both losses plus diagnostics: ``wdist`` (mean real - mean fake score) and ``gp``.

    ``gp_weight=0`` skips the penalty (a lazy step between penalised ones): no ``gp`` entry,
    and no interpolates or double backward in the graph.
    """
    real_scores = critic_scores(critic, real)  # (N, 1) float32
    fake_scores = critic_scores(critic, fake)
    wdist = ops.mean(real_scores) - ops.mean(fake_scores)
    drift = ops.mean(ops.square(real_scores))
    out = {"g_loss": -ops.mean(fake_scores), "d_loss": -wdist + drift_weight * drift, "wdist": wdist}
    if gp_weight:
        out["gp"] = gradient_penalty(critic, real, fake, mix)
        out["d_loss"] = out["d_loss"] + gp_weight * out["gp"]
    return out
