"""Per-family training-step logic, backend-free (keras.ops / keras.random only).

A step object tells the trainer how to draw latents and how to turn a real
batch into the two losses; the trainer owns gradients and optimisers.
"""

from __future__ import annotations

import keras

from zoo.training import losses


class NonSaturatingStep:
    """Simultaneous update with the non-saturating loss (DCGAN, MLP GAN).

    One generator forward pass feeds both losses, as in the TensorFlow DCGAN
    tutorial; each network then takes a gradient step on its own loss.

    Args:
        latent_dim: size of the generator's latent vector.
        joint_batch: pass real and fake images through the discriminator as
            one batch of 2N. Needed when the discriminator's batch norm sees
            a feature that is constant on real images (MNIST's black border):
            with separate batches, batch norm removes each batch's mean, so D
            is blind to the mean of those pixels and G's border drifts into
            salt-and-pepper noise. False keeps the tutorial's two calls.

    Examples:
    >>> step = NonSaturatingStep(latent_dim=100, joint_batch=True)
    >>> sorted(step.losses(g, d, real, step.sample_latents(8, keras.random.SeedGenerator(0))))
    ['d_loss', 'g_loss']
    """

    generator_loss = staticmethod(losses.non_saturating_generator_loss)
    discriminator_loss = staticmethod(losses.non_saturating_discriminator_loss)

    def __init__(self, latent_dim: int, joint_batch: bool = False):
        self.latent_dim = latent_dim
        self.joint_batch = joint_batch

    @classmethod
    def from_preset(cls, preset):
        return cls(latent_dim=preset.generator_config["latent_dim"], **preset.step_config)

    def get_config(self) -> dict:
        return {"latent_dim": self.latent_dim, "joint_batch": self.joint_batch}

    def sample_latents(self, batch_size: int, seed_generator):
        return keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)

    def losses(self, generator, discriminator, real, latents) -> dict:
        fake = generator(latents, training=True)
        if self.joint_batch:
            n = keras.ops.shape(real)[0]
            logits = discriminator(keras.ops.concatenate([real, keras.ops.cast(fake, real.dtype)], axis=0), training=True)
            real_logits, fake_logits = logits[:n], logits[n:]
        else:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
        return {
            "g_loss": self.generator_loss(fake_logits),
            "d_loss": self.discriminator_loss(real_logits, fake_logits),
        }
