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
    """

    generator_loss = staticmethod(losses.non_saturating_generator_loss)
    discriminator_loss = staticmethod(losses.non_saturating_discriminator_loss)

    def __init__(self, latent_dim: int):
        self.latent_dim = latent_dim

    @classmethod
    def from_preset(cls, preset):
        return cls(latent_dim=preset.generator_config["latent_dim"])

    def sample_latents(self, batch_size: int, seed_generator):
        return keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)

    def losses(self, generator, discriminator, real, latents) -> dict:
        fake = generator(latents, training=True)
        real_logits = discriminator(real, training=True)
        fake_logits = discriminator(fake, training=True)
        return {
            "g_loss": self.generator_loss(fake_logits),
            "d_loss": self.discriminator_loss(real_logits, fake_logits),
        }
