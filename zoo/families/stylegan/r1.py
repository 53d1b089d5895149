"""R1 regularisation (Mescheder et al., 2018), the discriminator penalty StyleGAN uses.

``R1 = mean_N(||dD(x)/dx||_2**2)`` on real images only; the discriminator
loss adds ``gamma / 2 * R1``. It pushes D's gradient to zero on the data,
which keeps a non-saturating GAN from oscillating around the equilibrium
without constraining D away from the data (unlike WGAN-GP's interpolates).
"""

from __future__ import annotations

from keras import ops

from zoo.training.backends import value_and_input_gradient


def real_logits_and_r1(critic, real):
    """``(critic(real), R1)``: the (N, 1) logits and the unweighted scalar penalty.

    One forward pass feeds both, as in the authors' code: the logits are
    recorded by an inner tape for the input gradient and by the caller's
    tape for the loss, so the penalty's own gradient (a double backward
    pass) reaches D's weights. The gradient is of the batch's summed logits,
    so with minibatch stddev a sample's gradient includes a small
    contribution through the other samples' statistics (the authors' too).
    """
    # Mixed precision: the critic computes in its policy's dtype (bfloat16 / float16); the
    # logits are cast to float32 inside the differentiated function and the input is
    # float32, so the logits and the input gradient come out float32, and so does R1.
    real = ops.cast(real, "float32")
    logits, grads = value_and_input_gradient(
        lambda x: ops.cast(critic(x, training=True), "float32"), real)  # (N, 1), (N, H, W, C)
    grads = ops.cast(grads, "float32")
    penalty = ops.mean(ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape)))))
    return logits, penalty
