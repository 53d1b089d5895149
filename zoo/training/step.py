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
from keras import ops

from zoo.training import augment as augmentation
from zoo.training import losses
from zoo.training.backends import value_and_input_gradient


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


def lazy_step_now(images_seen: int, batch_size: int, every: int) -> bool:
    """Lazy regularisation (StyleGAN2): whether the step that starts at ``images_seen`` applies its
    penalty (R1; ProGAN's gradient penalty), true on steps 0, every, 2 * every, ... (the penalty is
    then scaled by ``every``)."""
    return (images_seen // batch_size) % every == 0


def r1_cost(every: int) -> StepCost:
    """With R1 on every ``every``-th step: its input gradient (D) and double backward (2D) add 3D
    on those steps (3G + 10D when every step, StyleGAN's default)."""
    if every == 1:
        return StepCost(3, 10, "3*G + 10*D (forward G + 2D; backward ~2x forward; R1's input gradient D "
                        "and its double backward 2D on every step)")
    return StepCost(3, 7 + 3 / every, f"3*G + 7*D + 3*D/{every} (forward G + 2D; backward ~2x forward; "
                    f"R1's input gradient and double backward, 3D, every {every} steps)")


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
    * :meth:`steady_state_images`: where a benchmark should time the step,
      and from where an evaluation may become the run's best snapshot.
    * :meth:`evaluation_images`: extra evaluation points (ProGAN's phase ends).
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
        """Images seen after which the step's graph no longer changes (benchmarks time it there;
        evaluations before it are on the curve but never the best snapshot)."""
        return 0

    def evaluation_images(self) -> tuple[int, ...]:
        """Image counts where the trainer evaluates besides its regular cadence (the first
        step that reaches each one), e.g. where a growth phase ends; none by default."""
        return ()


# loss option -> (generator loss, discriminator loss), both over logits
LOSSES = {
    "non-saturating": (losses.non_saturating_generator_loss, losses.non_saturating_discriminator_loss),
    "hinge": (losses.hinge_generator_loss, losses.hinge_discriminator_loss),
}


# NonSaturatingStep's step_config options beyond the plain DCGAN step (its defaults turn each off):
# what a comparison against the plain step (the tutorial loop, the ablation's seed recipe) strips.
RECIPE_OPTIONS = ("loss", "r1_gamma", "r1_every", "augment", "augment_translation", "augment_cutout")


class RegularisedStep(GANStep):
    """A :class:`GANStep` with the discriminator regularisers that the non-saturating and
    StyleGAN steps share: (lazy) R1 and DiffAugment. Subclasses call
    :meth:`init_regularisers` from their constructor and add :meth:`regulariser_config`
    to their ``get_config``."""

    def init_regularisers(self, r1_gamma: float, r1_every: int, augment: str, augment_translation: float,
                          augment_cutout: float) -> None:
        if r1_gamma < 0 or int(r1_every) != r1_every or r1_every < 1:
            raise ValueError(f"need r1_gamma >= 0 and an integer r1_every >= 1, got {r1_gamma}, {r1_every}")
        self.r1_gamma = float(r1_gamma)
        self.r1_every = int(r1_every)
        self.augment = augment
        self.augment_names = augmentation.parse_policy(augment)  # () when off
        self.augment_translation = float(augment_translation)
        self.augment_cutout = float(augment_cutout)
        self.r1_now = True  # set by on_images; read when the compiled step is traced

    def regulariser_config(self) -> dict:
        return {
            "r1_gamma": self.r1_gamma,
            "r1_every": self.r1_every,
            "augment": self.augment,
            "augment_translation": self.augment_translation,
            "augment_cutout": self.augment_cutout,
        }

    def on_images(self, images_seen: int, state):
        """Lazy R1 (:func:`lazy_step_now`): ``("r1", True)`` on every ``r1_every``-th step,
        ``("r1", False)`` between (two compiled steps); None when R1 is off or on every step."""
        if not self.r1_gamma or self.r1_every == 1:
            return None
        self.r1_now = lazy_step_now(images_seen, state.batch_size, self.r1_every)
        return ("r1", self.r1_now)

    def augment_images(self, images, params: dict | None, which: int):
        """DiffAugment of ``images`` with draw ``which`` (0: real, 1: fake); identity when ``params`` is None."""
        return augmentation.apply_draw(images, params, which, self.augment_names, self.augment_translation,
                                       self.augment_cutout)


class NonSaturatingStep(RegularisedStep):
    """Simultaneous update with the non-saturating (or hinge) loss (DCGAN, MLP GAN).

    One generator forward pass feeds both losses, as in the TensorFlow DCGAN
    tutorial; each network then takes a gradient step on its own loss. Every
    option below defaults to off, which is the tutorial's step exactly.

    Args:
        latent_dim: size of the generator's latent vector.
        joint_batch: pass real and fake images through the discriminator as
            one batch of 2N. Needed when the discriminator's batch norm sees
            a feature that is constant on real images (MNIST's black border):
            with separate batches, batch norm removes each batch's mean, so D
            is blind to the mean of those pixels and G's border drifts into
            salt-and-pepper noise. False keeps the tutorial's two calls.
        loss: "non-saturating" or "hinge" (:data:`LOSSES`).
        r1_gamma: R1 weight gamma (0: off): ``d_loss += gamma / 2 * R1`` with
            ``R1 = mean_N ||dD(x)/dx||^2`` on the real batch (through the
            augmentation, if any). Needs a discriminator without batch norm.
        r1_every: lazy regularisation (StyleGAN2): R1 only on every k-th
            step (step 0, k, 2k, ...), scaled by k. The step index comes from
            :meth:`on_images`, whose graph key tells the trainer which of the
            two compiled steps to run; a step built without calling it
            applies R1 (step 0's graph).
        augment: DiffAugment policy, comma-separated from
            ``zoo.training.augment.POLICIES`` ("translation,cutout"); "" off.
        augment_translation: largest shift as a fraction of the side (1/8: 3 px at 28).
        augment_cutout: cutout box side as a fraction of the side (1/2: 14 px at 28).

    Examples:
    >>> from zoo.model import build
    >>> from zoo.registry import tiny_preset
    >>> g, d = build(tiny_preset("dcgan-mnist"))
    >>> step = NonSaturatingStep(latent_dim=8, joint_batch=True)
    >>> real = keras.ops.zeros((4, 28, 28, 1))
    >>> out = step.losses(g, d, real, step.sample_latents(4, keras.random.SeedGenerator(0)))
    >>> sorted(out), tuple(out["g_loss"].shape)
    (['d_loss', 'g_loss'], ())
    >>> lazy = NonSaturatingStep(latent_dim=8, r1_gamma=1.0, r1_every=4, augment="translation,cutout")
    >>> [lazy.on_images(i * 8, type("State", (), {"batch_size": 8})) for i in range(5)]
    [('r1', True), ('r1', False), ('r1', False), ('r1', False), ('r1', True)]
    """

    def __init__(self, latent_dim: int, joint_batch: bool = False, loss: str = "non-saturating",
                 r1_gamma: float = 0.0, r1_every: int = 1, augment: str = "",
                 augment_translation: float = 0.125, augment_cutout: float = 0.5):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.init_regularisers(r1_gamma, r1_every, augment, augment_translation, augment_cutout)
        self.latent_dim = latent_dim
        self.joint_batch = joint_batch
        self.loss = loss
        self.generator_loss, self.discriminator_loss = LOSSES[loss]

    @classmethod
    def from_preset(cls, preset):
        return cls(latent_dim=preset.generator_config["latent_dim"], **preset.step_config)

    def get_config(self) -> dict:
        return {
            "latent_dim": self.latent_dim,
            "joint_batch": self.joint_batch,
            "loss": self.loss,
            **self.regulariser_config(),
        }

    def cost(self) -> StepCost:
        return r1_cost(self.r1_every) if self.r1_gamma else NON_SATURATING_COST

    def sample_latents(self, batch_size: int, seed_generator):
        """z (N, latent_dim); with augmentation, ``{"z": z, "augment": augmentation.draw(...)}``."""
        z = keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)
        if not self.augment_names:
            return z
        return {"z": z, "augment": augmentation.draw(self.augment_names, batch_size, seed_generator)}

    def losses(self, generator, discriminator, real, latents) -> dict:
        z, params = (latents["z"], latents["augment"]) if self.augment_names else (latents, None)
        fake = generator(z, training=True)
        r1_now = self.r1_gamma > 0 and self.r1_now
        if self.joint_batch:
            n = ops.shape(real)[0]
            fake_in = self.augment_images(ops.cast(fake, real.dtype), params, 1)

            def critic(x):  # reals (N, H, W, C) -> logits (2N, 1) of [reals; fakes]
                both = ops.concatenate([self.augment_images(x, params, 0), fake_in], axis=0)  # (2N, H, W, C)
                return discriminator(both, training=True)

            # Without batch norm the fake half does not depend on the reals, so the gradient of
            # the summed logits with respect to the reals is that of the real half.
            logits, real_grads = _value_and_r1_gradient(critic, real, r1_now)
            real_logits, fake_logits = logits[:n], logits[n:]
        else:
            real_logits, real_grads = _value_and_r1_gradient(
                lambda x: discriminator(self.augment_images(x, params, 0), training=True), real, r1_now)
            fake_logits = discriminator(self.augment_images(fake, params, 1), training=True)
        out = {"g_loss": self.generator_loss(fake_logits), "d_loss": self.discriminator_loss(real_logits, fake_logits)}
        if r1_now:
            grads = ops.cast(real_grads, "float32")  # (N, H, W, C); the penalty stays float32
            out["r1"] = ops.mean(ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape)))))
            out["d_loss"] = out["d_loss"] + (0.5 * self.r1_gamma * self.r1_every) * out["r1"]
        return out  # "r1" (the unweighted penalty) on R1 steps only: the trainer averages it over those


def _value_and_r1_gradient(critic, real, needed: bool):
    """``(critic(real), d sum(critic(real)) / d real)`` when ``needed`` (differentiable again), else
    ``(critic(real), None)``: one forward pass either way."""
    if not needed:
        return critic(real), None
    return value_and_input_gradient(critic, real)
