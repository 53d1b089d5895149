"""The baseline: the training loop a user writes from the TensorFlow DCGAN tutorial.

Kept as the tutorial has it: two ``GradientTape``s, ``BinaryCrossentropy(from_logits=True)``
losses, one ``tf.function`` train step, data from
``from_tensor_slices(...).shuffle(...).batch(256)`` without prefetching, float32
and no XLA. Three deviations make it compute exactly what the zoo trainer
computes, so its speed is a fair yardstick and its losses can be checked
against the trainer's:

- the networks are the preset's, built after ``keras.utils.set_random_seed``
  with the recipe's seed (the trainer's order), so the initial weights match;
- the optimisers are the recipe's Adam settings (the tutorial uses 1e-4);
- the noise comes from ``keras.random.normal`` with a ``SeedGenerator`` seeded
  like the trainer's (the tutorial's ``tf.random.normal`` is unseeded).
"""

from __future__ import annotations

import keras

from zoo.model import build

TUTORIAL_BATCH = 256


def tutorial_preset(preset):
    """``preset`` with the tutorial's training math: float32, the plain non-saturating loss, no
    R1 and no augmentation (the step_config options the tutorial loop does not have). The
    architecture, Adam settings and seed stay. The loss-trajectory check compares the zoo
    step with :class:`ReferenceLoop` on this.

    Examples:
    >>> from zoo.registry import get_preset
    >>> p = tutorial_preset(get_preset("dcgan-mnist"))
    >>> p.recipe.precision, p.step_config
    ('float32', {})
    """
    import dataclasses

    from zoo.training.step import RECIPE_OPTIONS

    plain = {k: v for k, v in preset.step_config.items() if k not in RECIPE_OPTIONS}
    return dataclasses.replace(preset, step_config=plain,
                               recipe=dataclasses.replace(preset.recipe, precision="float32"))


class ReferenceLoop:
    """The tutorial's loop on a preset's architecture (TensorFlow backend only).

    Args:
        preset: a registry entry with a single-input generator (``dcgan-mnist``).
        batch_size: images per step (the tutorial's 256 by default).

    Examples:
    >>> from zoo.registry import get_preset
    >>> loop = ReferenceLoop(get_preset("dcgan-mnist"), batch_size=8)
    >>> images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    >>> batch = next(iter(loop.dataset(images)))
    >>> tuple(batch.shape)
    (8, 28, 28, 1)
    >>> sorted(loop.step(batch))  # one train step
    ['d_loss', 'g_loss']
    """

    impl = "reference"

    def __init__(self, preset, batch_size: int = TUTORIAL_BATCH):
        import tensorflow as tf

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.tf = tf
        self.batch_size = batch_size
        self.seed = preset.recipe.seed
        self.noise_dim = int(preset.generator_config["latent_dim"])
        keras.utils.set_random_seed(self.seed)
        self.generator, self.discriminator = build(preset)
        r = preset.recipe
        self.generator_optimizer = keras.optimizers.Adam(r.g_learning_rate, beta_1=r.beta_1, beta_2=r.beta_2)
        self.discriminator_optimizer = keras.optimizers.Adam(r.d_learning_rate, beta_1=r.beta_1, beta_2=r.beta_2)
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        self.noise_seed = keras.random.SeedGenerator(self.seed)
        self.train_step = tf.function(self._tutorial_step)

    def generator_loss(self, fake_output):
        return self.cross_entropy(self.tf.ones_like(fake_output), fake_output)

    def discriminator_loss(self, real_output, fake_output):
        real_loss = self.cross_entropy(self.tf.ones_like(real_output), real_output)
        fake_loss = self.cross_entropy(self.tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def _tutorial_step(self, images):
        tf = self.tf
        noise = keras.random.normal([self.batch_size, self.noise_dim], seed=self.noise_seed)
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated_images, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, self.generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, self.discriminator.trainable_variables)
        self.generator_optimizer.apply_gradients(zip(gradients_of_generator, self.generator.trainable_variables))
        self.discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, self.discriminator.trainable_variables)
        )
        return {"g_loss": gen_loss, "d_loss": disc_loss}

    def dataset(self, images):
        """The tutorial's pipeline, repeated; full batches only, so every step has one shape."""
        tf = self.tf
        ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=self.seed)
        return ds.batch(self.batch_size, drop_remainder=True).repeat()

    def step(self, real) -> dict:
        """One step; reading the losses back waits for it to finish, as a logging loop does."""
        return {k: float(v) for k, v in self.train_step(real).items()}

    def copy_state_from(self, generator, discriminator, noise_seed_state) -> None:
        """Takes another loop's weights, dropout seeds and noise seed, so both start identical."""
        for src, dst in ((generator, self.generator), (discriminator, self.discriminator)):
            if len(src.variables) != len(dst.variables):
                raise ValueError(f"{src.name} and {dst.name} differ: {len(src.variables)} vs {len(dst.variables)} variables")
            for s, d in zip(src.variables, dst.variables):
                d.assign(s)
        self.noise_seed.state.assign(noise_seed_state)
