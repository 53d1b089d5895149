"""InfoGAN's training step: the non-saturating GAN loss plus lambda * L_I."""

from __future__ import annotations

import keras
from keras import ops

from zoo.families.infogan import information
from zoo.families.infogan.generator import DEFAULT_NOISE, check_noise, noise_of, sample_noise_tensor
from zoo.training import losses as gan_losses
from zoo.training.step import GANStep

# How L_I scores each continuous code: "learned" uses Q's Gaussian mean and log-std
# (information.gaussian_nll); "fixed" uses Q's mean with std 1, as the official code does
# (information.unit_gaussian_nll), and Q's log-std output is unused.
CONTINUOUS_STD = ("learned", "fixed")


class InfoGANStep(GANStep):
    """Draws noise and codes, and adds the mutual-information term to both losses.

    ``L_I = CE(c_cat | x) + continuous_weight * NLL(c_cont | x)`` on the
    generated batch, and (Chen et al., 2016, Eq. 6)
    ``g_loss = NS_G + info_weight * L_I``, ``d_loss = NS_D + info_weight * L_I``.
    The trainer takes ``d_loss``'s gradient with respect to every discriminator
    variable, Q's head included, so Q trains with D's optimiser; ``g_loss``'s
    gradient trains G to make its codes recoverable.

    The continuous part is down-weighted (``continuous_weight=0.1``): the paper
    (Sec. 7 / App. C) uses a smaller lambda for continuous codes so that the
    differential-entropy term stays on the scale of the GAN loss; Q learns the
    Gaussian's log-std here rather than fixing it at 1. The official code's
    continuous term is ``continuous_std="fixed", continuous_weight=1.0``.

    Besides the two losses the returned dict holds diagnostics (the trainer
    logs every key): ``mi_cat`` = ln K - CE (the categorical bound, rising to
    ln 10 = 2.30 when Q recovers the category), ``mi_cont`` = C ln 2 - NLL (the
    continuous bound for U(-1, 1) codes) and ``q_cat_acc``, Q's accuracy at
    recovering the category of generated images.

    Args:
        latent_dim: size of the noise z.
        num_categories: size of the categorical code.
        num_continuous: number of U(-1, 1) continuous codes.
        info_weight: lambda, weight of L_I in both losses.
        continuous_weight: extra weight of the continuous NLL inside L_I.
        noise: the distribution of z, "normal" (N(0, I)) or "uniform"
            (U(-1, 1)). It belongs to the generator (its ``noise`` config,
            which :class:`InfoGANModel` samples from too): :meth:`from_preset`
            takes it from ``preset.generator_config`` and refuses it in
            ``step_config``.
        continuous_std: "learned" (Q's log-std, the default) or "fixed" (std 1,
            the official code: each code scored by ``0.5 * (c - mean) ** 2``
            plus a constant), see :data:`CONTINUOUS_STD`.

    Examples:
    >>> from zoo.model import build
    >>> from zoo.registry import tiny_preset
    >>> preset = tiny_preset("infogan-mnist")
    >>> g, d = build(preset)
    >>> step = InfoGANStep.from_preset(preset)
    >>> latents = step.sample_latents(8, keras.random.SeedGenerator(0))
    >>> sorted(step.losses(g, d, keras.ops.zeros((8, 28, 28, 1)), latents))
    ['d_loss', 'g_loss', 'mi_cat', 'mi_cont', 'q_cat_acc']
    >>> step.get_config()["noise"], step.get_config()["continuous_std"]
    ('uniform', 'fixed')
    """

    def __init__(self, latent_dim=62, num_categories=10, num_continuous=2, info_weight=1.0,
                 continuous_weight=0.1, noise=DEFAULT_NOISE, continuous_std="learned"):
        check_noise(noise)
        if continuous_std not in CONTINUOUS_STD:
            raise ValueError(f"continuous_std must be one of {', '.join(map(repr, CONTINUOUS_STD))}, "
                             f"got {continuous_std!r}")
        self.latent_dim = latent_dim
        self.num_categories = num_categories
        self.num_continuous = num_continuous
        self.info_weight = info_weight
        self.continuous_weight = continuous_weight
        self.noise = noise
        self.continuous_std = continuous_std

    @classmethod
    def from_preset(cls, preset):
        cfg = preset.generator_config
        if "noise" in preset.step_config:
            raise ValueError("noise is the generator's option (generator_config), not the step's (step_config): "
                             "the model samples the noise from the generator config too")
        return cls(cfg["latent_dim"], cfg["num_categories"], cfg["num_continuous"], noise=noise_of(cfg),
                   **preset.step_config)

    def get_config(self) -> dict:
        return {
            "latent_dim": self.latent_dim,
            "num_categories": self.num_categories,
            "num_continuous": self.num_continuous,
            "info_weight": self.info_weight,
            "continuous_weight": self.continuous_weight,
            "noise": self.noise,
            "continuous_std": self.continuous_std,
        }

    def sample_latents(self, batch_size: int, seed_generator) -> dict:
        """z (N, latent_dim) ~ N(0, I) or U(-1, 1) (``noise``); c_cat one-hot of a uniform
        category (N, K); c_cont ~ U(-1, 1) (N, C)."""
        z = sample_noise_tensor(batch_size, self.latent_dim, self.noise, seed_generator)
        category = keras.random.randint((batch_size,), 0, self.num_categories, seed=seed_generator)
        c_cont = keras.random.uniform((batch_size, self.num_continuous), -1.0, 1.0, seed=seed_generator)
        return {"z": z, "c_cat": ops.one_hot(category, self.num_categories), "c_cont": c_cont}

    def info_terms(self, latents, q) -> dict:
        """Categorical CE, continuous NLL and the diagnostics from Q's outputs ``q``
        (the discriminator's dict on the generated batch)."""
        ce = information.categorical_nll(latents["c_cat"], q["cat_logits"])
        if self.continuous_std == "fixed":
            nll = information.unit_gaussian_nll(latents["c_cont"], q["cont_mean"])
        else:
            nll = information.gaussian_nll(latents["c_cont"], q["cont_mean"], q["cont_log_std"])
        hit = ops.argmax(q["cat_logits"], axis=-1) == ops.argmax(latents["c_cat"], axis=-1)
        return {
            "info_loss": ce + self.continuous_weight * nll,
            "mi_cat": information.categorical_entropy(self.num_categories) - ce,
            "mi_cont": information.uniform_entropy(self.num_continuous) - nll,
            "q_cat_acc": ops.mean(ops.cast(hit, "float32")),
        }

    def losses(self, generator, discriminator, real, latents) -> dict:
        fake = generator(latents, training=True)  # (N, 28, 28, 1)
        # Real and fake go through D as ONE batch (2N, 28, 28, 1). D ends in
        # FC 1024 -> batch norm -> Dense 1: with separate real and fake batches,
        # each unit is normalised to zero mean per batch, so the mean logit of
        # either batch is the same bias and D cannot tell real from fake (seen
        # here: D stuck at chance, G drawing noise). A joint batch keeps the gap.
        n = ops.shape(real)[0]
        both = discriminator(ops.concatenate([real, ops.cast(fake, real.dtype)], axis=0), training=True)
        # float32 heads: under a mixed policy D's outputs are bfloat16 / float16; the
        # GAN loss and L_I (a log-softmax and a Gaussian NLL) are computed in float32.
        both = {k: ops.cast(v, "float32") for k, v in both.items()}
        real_out = {k: v[:n] for k, v in both.items()}
        fake_out = {k: v[n:] for k, v in both.items()}  # feeds D's logit and Q
        info = self.info_terms(latents, fake_out)
        penalty = self.info_weight * info.pop("info_loss")
        return {
            "g_loss": gan_losses.non_saturating_generator_loss(fake_out["logit"]) + penalty,
            "d_loss": gan_losses.non_saturating_discriminator_loss(real_out["logit"], fake_out["logit"]) + penalty,
            **info,
        }
