"""StyleGAN's training step: non-saturating loss with R1, style mixing, the running w average."""

from __future__ import annotations

import keras
from keras import ops

from zoo.families.stylegan.r1 import real_logits_and_r1
from zoo.families.stylegan.styles import broadcast_ws, mix_styles
from zoo.families.stylegan.synthesis import layer_resolutions
from zoo.training import augment as augmentation
from zoo.training import losses as gan_losses
from zoo.training.step import RegularisedStep, StepCost, r1_cost


class StyleGANStep(RegularisedStep):
    """Draws two latents, a crossover and the noise maps; mixes styles; NS loss + R1.

    Per step (Karras et al., 2019, Sec. 3.1 and App. C):

    * ``w = mapping(z)``, ``w_mix = mapping(z_mix)``, both (N, w_dim);
    * the generator's ``w_avg`` moves towards the batch mean of w with
      ``w_avg_decay`` (the truncation centre; see :class:`Truncation`);
    * style mixing: with probability ``style_mixing_prob`` the batch gets a
      crossover k uniform in [1, num_ws - 1] (layers < k styled by w, the
      rest by w_mix), else k = num_ws (no mixing); one k per batch, as in
      the authors' code;
    * fresh N(0, 1) noise maps for every layer (no truncation in training);
    * ``g_loss = mean(softplus(-D(fake)))``,
      ``d_loss = mean(softplus(D(fake))) + mean(softplus(-D(real))) + r1_gamma / 2 * R1``;
    * optionally (off by default, as the shipped weights were trained) lazy R1
      and DiffAugment of D's inputs, the options :class:`NonSaturatingStep`
      has (``zoo.training.step``).

    ``losses`` returns the batch mean of w as ``aux``; :meth:`after_update`
    moves the live generator's ``w_avg`` towards it. The trainer's EMA
    averages trainable weights only; the authors copy the non-trainable ones
    (``w_avg``, the noise buffers) into the averaged generator, so
    :meth:`after_update` also sets the EMA's ``w_avg`` to the live one's.

    Besides the losses the returned dict holds ``r1`` (the unweighted
    penalty; on R1 steps only when lazy) and ``crossover`` (the batch's k;
    num_ws when not mixed).

    Args:
        latent_dim: size of z.
        resolution: the generator's output size (sets the layers and noise shapes).
        r1_gamma: R1 weight gamma.
        style_mixing_prob: probability that a batch is style-mixed (0.9).
        w_avg_decay: decay of the running average of w (0.995).
        r1_every: lazy R1 (StyleGAN2): the penalty on every k-th step only, scaled by k.
        augment: DiffAugment policy ("translation,cutout"; "" off), applied to
            real and fake images before D; R1 is the gradient through it.
        augment_translation: largest shift as a fraction of the side (1/8: 4 px at 32).
        augment_cutout: cutout box side as a fraction of the side (1/2: 16 px at 32).

    Examples:
    >>> from zoo.model import build
    >>> from zoo.registry import tiny_preset
    >>> preset = tiny_preset("stylegan-fashion-mnist")
    >>> g, d = build(preset)
    >>> step = StyleGANStep.from_preset(preset)
    >>> real = keras.ops.zeros((4, 8, 8, 1))
    >>> out = step.losses(g, d, real, step.sample_latents(4, keras.random.SeedGenerator(0)))
    >>> sorted(out), tuple(out["aux"]["w_mean"].shape)
    (['aux', 'crossover', 'd_loss', 'g_loss', 'r1'], (8,))
    """

    def __init__(self, latent_dim: int, resolution: int = 32, r1_gamma: float = 0.01,
                 style_mixing_prob: float = 0.9, w_avg_decay: float = 0.995, r1_every: int = 1,
                 augment: str = "", augment_translation: float = 0.125, augment_cutout: float = 0.5):
        if not 0.0 <= style_mixing_prob <= 1.0:
            raise ValueError(f"style_mixing_prob must be in [0, 1], got {style_mixing_prob}")
        self.init_regularisers(r1_gamma, r1_every, augment, augment_translation, augment_cutout)
        self.latent_dim = int(latent_dim)
        self.resolution = int(resolution)
        self.style_mixing_prob = float(style_mixing_prob)
        self.w_avg_decay = float(w_avg_decay)
        self.layer_resolutions = layer_resolutions(self.resolution)
        self.num_ws = len(self.layer_resolutions)

    @classmethod
    def from_preset(cls, preset):
        cfg = preset.generator_config
        return cls(latent_dim=cfg["latent_dim"], resolution=cfg.get("resolution", 32), **preset.step_config)

    def get_config(self) -> dict:
        return {
            "latent_dim": self.latent_dim,
            "resolution": self.resolution,
            "style_mixing_prob": self.style_mixing_prob,
            "w_avg_decay": self.w_avg_decay,
            **self.regulariser_config(),
        }

    def cost(self) -> StepCost:
        # Forward G + 2D; backward ~2x forward; R1's input gradient and double backward add 3D.
        return r1_cost(self.r1_every) if self.r1_gamma else StepCost(3, 7, "3*G + 7*D (no R1)")

    def sample_latents(self, batch_size: int, seed_generator) -> dict:
        """z, z_mix (N, latent_dim); crossover (scalar int32); noise: one (N, H, H, 1) map per layer;
        with augmentation, ``augment``: DiffAugment's uniforms (``zoo.training.augment.draw``)."""
        z = keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)
        z_mix = keras.random.normal((batch_size, self.latent_dim), seed=seed_generator)
        mixed = keras.random.uniform((), seed=seed_generator) < self.style_mixing_prob
        k = keras.random.randint((), 1, max(self.num_ws, 2), seed=seed_generator, dtype="int32")
        crossover = ops.where(mixed, k, self.num_ws)
        noise = [keras.random.normal((batch_size, r, r, 1), seed=seed_generator) for r in self.layer_resolutions]
        latents = {"z": z, "z_mix": z_mix, "crossover": crossover, "noise": noise}
        if self.augment_names:
            latents["augment"] = augmentation.draw(self.augment_names, batch_size, seed_generator)
        return latents

    def after_update(self, state, aux: dict) -> None:
        """Moves the live ``w_avg`` towards this batch's mean w; the EMA copies it."""
        state.generator.truncation.update_towards(aux["w_mean"], self.w_avg_decay)
        if state.ema is not None:
            state.ema.truncation.w_avg.assign(state.generator.truncation.w_avg)

    def losses(self, generator, discriminator, real, latents) -> dict:
        w = generator.mapping(latents["z"], training=True)  # (N, w_dim)
        w_mix = generator.mapping(latents["z_mix"], training=True)
        ws = mix_styles(broadcast_ws(w, self.num_ws), broadcast_ws(w_mix, self.num_ws), latents["crossover"])
        fake = generator.synthesis(ws, noise_mode="random", noise=latents["noise"], training=True)  # (N, R, R, C)
        # float32 logits: under a mixed policy D outputs bfloat16 / float16, and the
        # losses, R1 and their sum must be float32 (R1's logits already are).
        params = latents.get("augment")  # DiffAugment's draws; None when off
        fake_logits = ops.cast(discriminator(self.augment_images(fake, params, 1), training=True), "float32")  # (N, 1)

        def critic(x, training=True):  # reals (N, R, R, C) -> logits (N, 1); R1 differentiates through the augmentation
            return discriminator(self.augment_images(x, params, 0), training=training)

        out = {"crossover": ops.cast(latents["crossover"], "float32"),
               "aux": {"w_mean": ops.mean(ops.cast(ops.stop_gradient(w), "float32"), axis=0)}}  # (w_dim,)
        if self.r1_gamma > 0 and self.r1_now:
            real_logits, out["r1"] = real_logits_and_r1(critic, real)
            penalty = (0.5 * self.r1_gamma * self.r1_every) * out["r1"]
        else:
            real_logits, penalty = ops.cast(critic(real), "float32"), 0.0
        out["g_loss"] = gan_losses.non_saturating_generator_loss(fake_logits)
        out["d_loss"] = gan_losses.non_saturating_discriminator_loss(real_logits, fake_logits) + penalty
        return out
