"""The contract between a family and the trainer: :class:`GANStep`.

A family gives the trainer one ``GANStep`` subclass (``Preset.step``). The
step is backend-free (``keras.ops`` / ``keras.random`` only): it draws
latents and turns a real batch into the two losses; the trainer and
``zoo.training.backends`` own gradients, optimisers and the EMA. Everything
else a family needs from the loop is one of the declared hooks below, each
with a do-nothing default, so the trainer never probes attributes.

The shared non-saturating step (DCGAN, MLP GAN) lives here too.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Hashable

import keras

from zoo.training import losses


@dataclasses.dataclass(frozen=True)
class StepCost:
    """One train step's cost per image, in forward passes of G and D.

    Benchmarks multiply the counted forward FLOPs: ``generator_passes * G +
    discriminator_passes * D``. A backward pass costs about twice its forward.
    """

    generator_passes: float
    discriminator_passes: float
    formula: str


# Forward G + 2D (real and fake); backward ~2x forward: D's loss adds 2 * 2D,
# G's loss adds D (input gradients through D on the fake) plus 2G.
NON_SATURATING_COST = StepCost(3, 7, "3*G + 7*D (forward G + 2D; backward ~2x forward)")


class GANStep(abc.ABC):
    """What a family's training step must provide.

    Required:

    * ``from_preset(preset)``: build from the registry entry (architecture
      configs and ``preset.step_config``).
    * ``get_config()``: the constructor arguments, recorded in run cards.
    * ``sample_latents(batch_size, seed_generator)``: the generator's input
      (a tensor or a dict of tensors), drawn with ``keras.random``.
    * ``losses(generator, discriminator, real, latents)``: a dict with
      ``g_loss`` and ``d_loss`` (scalars, differentiated by the trainer),
      any other scalar diagnostics (logged), and optionally ``aux``: a dict
      of tensors handed to :meth:`after_update` and never logged.
      ``losses`` must not write variables (batch-norm statistics aside).

    Hooks, with do-nothing defaults:

    * :meth:`on_images`: eagerly, before every step.
    * :meth:`after_update`: inside the compiled step, after both optimisers.
    * :meth:`cost`: the FLOP description benchmarks use.
    * :meth:`steady_state_images`: where a benchmark should time the step.
    """

    @classmethod
    @abc.abstractmethod
    def from_preset(cls, preset) -> "GANStep":
        """The step for the registry entry ``preset``."""

    @abc.abstractmethod
    def get_config(self) -> dict:
        """Constructor arguments (plain data)."""

    @abc.abstractmethod
    def sample_latents(self, batch_size: int, seed_generator):
        """One batch of generator inputs."""

    @abc.abstractmethod
    def losses(self, generator, discriminator, real, latents) -> dict:
        """``{"g_loss", "d_loss", diagnostics..., optional "aux"}`` for one batch."""

    def on_images(self, images_seen: int, state) -> Hashable | None:
        """Sets the models up for ``images_seen`` (ProGAN's growth phase and fade-in).

        Called eagerly before every step with the run's
        :class:`~zoo.training.state.TrainState`. Returns a graph key: when it
        changes, the trainer rebuilds the compiled step (the graph depends on
        it). None: the graph never changes.
        """
        return None

    def after_update(self, state, aux: dict) -> None:
        """Updates non-trained state after both optimiser steps (StyleGAN's ``w_avg``).

        Runs inside the compiled step; ``aux`` is the ``aux`` entry that
        :meth:`losses` returned (``{}`` when none).
        """
        return None  # (a body besides the docstring: AutoGraph cannot convert an empty one)

    def cost(self) -> StepCost:
        """FLOPs of one step per image, in forward passes of G and D."""
        return NON_SATURATING_COST

    def steady_state_images(self) -> int:
        """Images seen after which the step's graph no longer changes (benchmarks time it there)."""
        return 0


class NonSaturatingStep(GANStep):
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
    >>> from zoo.model import build
    >>> from zoo.registry import tiny_preset
    >>> g, d = build(tiny_preset("dcgan-mnist"))
    >>> step = NonSaturatingStep(latent_dim=8, joint_batch=True)
    >>> real = keras.ops.zeros((4, 28, 28, 1))
    >>> out = step.losses(g, d, real, step.sample_latents(4, keras.random.SeedGenerator(0)))
    >>> sorted(out), tuple(out["g_loss"].shape)
    (['d_loss', 'g_loss'], ())
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
