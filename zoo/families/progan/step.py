"""ProGAN's training step: WGAN-GP with drift, driven by the growth schedule."""

from __future__ import annotations

import keras

from zoo.families.progan.wgan_gp import wgan_gp_losses
from zoo.layers import downsample_avg, upsample_nearest
from zoo.training.step import GANStep, StepCost, lazy_step_now

# Forward G + 3D (real, fake, interpolates); backward ~2x forward; the penalty's
# input gradient (D) and its double backward (4D).
WGAN_GP_COST = StepCost(3, 13, "3*G + 13*D (forward G + 3D incl. interpolates; backward ~2x forward; "
                        "the penalty's input gradient D and its double backward 4D)")


def wgan_gp_cost(every: int) -> StepCost:
    """With the penalty on every ``every``-th step: its interpolates' forward and backward (3D),
    input gradient (D) and double backward (2D) add 6D on those steps."""
    if every == 1:
        return WGAN_GP_COST
    return StepCost(3, 7 + 6 / every, f"3*G + 7*D + 6*D/{every} (forward G + 2D; backward ~2x forward; the "
                    f"penalty's interpolates, input gradient and double backward, 6D, every {every} steps)")


class ProGANStep(GANStep):
    """Draws z and the penalty's mixing weights, and sets the growth phase.

    The trainer calls :meth:`on_images` before every compiled step with the
    images seen so far; it puts the generator, discriminator and generator
    EMA into the schedule's phase (resolution, fading, alpha) and returns the
    phase's ``(resolution, fading)``, which the trainer uses to recompile the
    step when the graph changes (7 times for 4 -> 32). The phase is a pure
    function of the image counter, which the trainer restores on resume from
    the optimiser's step count, so a resumed run continues mid-phase with the
    same alpha.

    During a fade-in the real images are blended the same way as the fakes
    (the authors' ``process_reals``): pooled to R, mixed with their R/2
    version by alpha, and nearest-upsampled back to the final size, so real
    and fake batches always live at the same effective resolution.

    Args:
        latent_dim: size of z.
        schedule: a :class:`GrowthSchedule`.
        gp_weight: gradient penalty weight (10).
        drift_weight: drift term weight (0.001).
        final_resolution: the size of the images the trainer feeds.
        gp_every: the penalty on every ``gp_every``-th step, weighted ``gp_weight * gp_every``
            (1: every step). The step's graph key then carries whether this step is penalised.

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> from zoo.training import TrainState
    >>> preset = tiny_preset("progan-fashion-mnist")
    >>> state = TrainState.create(preset)
    >>> step = ProGANStep.from_preset(preset)
    >>> step.on_images(0, state), step.on_images(16, state), step.steady_state_images()
    ((4, False), (8, True), 32)
    >>> real = keras.ops.zeros((8, 8, 8, 1))
    >>> latents = step.sample_latents(8, keras.random.SeedGenerator(0))
    >>> sorted(step.losses(state.generator, state.discriminator, real, latents))
    ['alpha', 'd_loss', 'g_loss', 'gp', 'resolution', 'wdist']
    """

    def __init__(self, latent_dim: int, schedule, gp_weight: float = 10.0, drift_weight: float = 1e-3,
                 final_resolution: int = 32, gp_every: int = 1):
        if int(gp_every) != gp_every or gp_every < 1:
            raise ValueError(f"gp_every must be an integer >= 1, got {gp_every}")
        self.gp_every = int(gp_every)
        self.gp_now = True  # set by on_images; read when the compiled step is traced
        self.latent_dim = latent_dim
        self.schedule = schedule
        self.gp_weight = gp_weight
        self.drift_weight = drift_weight
        self.final_resolution = final_resolution
        self.phase = schedule.phase_at(0)

    @classmethod
    def from_preset(cls, preset):
        r = preset.recipe
        return cls(
            latent_dim=preset.generator_config["latent_dim"],
            schedule=r.schedule,
            gp_weight=r.gp_weight,
            drift_weight=r.drift_weight,
            final_resolution=preset.generator_config["resolution"],
            gp_every=r.gp_every,
        )

    def get_config(self) -> dict:
        # The schedule itself is part of the recipe, which the card records.
        return {"latent_dim": self.latent_dim, "gp_weight": self.gp_weight,
                "drift_weight": self.drift_weight, "final_resolution": self.final_resolution,
                "gp_every": self.gp_every}

    def on_images(self, images_seen: int, state):
        """Enters the phase of ``images_seen`` on G, D and the EMA; returns the graph key."""
        self.phase = self.schedule.phase_at(images_seen)
        for model in state.models():
            self._enter(model, self.phase.alpha)
        if self.gp_every == 1:
            return self.phase.key
        self.gp_now = lazy_step_now(images_seen, state.batch_size, self.gp_every)  # steps 0, every, 2*every, ...
        return (*self.phase.key, self.gp_now)

    def cost(self) -> StepCost:
        return wgan_gp_cost(self.gp_every)

    def steady_state_images(self) -> int:
        """The fully grown network (its cost is what the rest of the run pays)."""
        return self.schedule.images_to_final_resolution

    def evaluation_images(self) -> tuple[int, ...]:
        """The end of every phase but the open-ended last one: the curve shows each stage of growth
        (evaluated in that phase's graph, its output nearest-upsampled to the final size)."""
        return tuple(start + length for _, _, start, length in self.schedule.phases()[:-1])

    def _enter(self, model, alpha=None) -> None:
        if model.growth != self.phase.key:
            model.set_growth(*self.phase.key)
        if alpha is not None and float(model.alpha.numpy()) != alpha:
            model.alpha.assign(alpha)

    def sample_latents(self, batch_size: int, seed_generator):
        return {
            "z": keras.random.normal((batch_size, self.latent_dim), seed=seed_generator),
            "mix": keras.random.uniform((batch_size, 1, 1, 1), seed=seed_generator),
        }

    def process_reals(self, real, alpha):
        """Real (N, F, F, C) images at the phase's effective resolution, still (N, F, F, C)."""
        factor = self.final_resolution // self.phase.resolution
        x = downsample_avg(real, factor)  # (N, R, R, C)
        if self.phase.fading:
            old = upsample_nearest(downsample_avg(x, 2), 2)
            x = old + (x - old) * alpha
        return upsample_nearest(x, factor)

    def losses(self, generator, discriminator, real, latents) -> dict:
        # Structure only: inside a compiled step the phase is fixed (on_images set
        # it and chose the trace); alpha is read from the models' variables.
        self._enter(generator)
        self._enter(discriminator)
        fake = generator(latents["z"], training=True)  # (N, F, F, C) at the phase's resolution
        # float32 like the reals: under a mixed policy G outputs its compute dtype
        # (bfloat16 / float16); the critic casts its input back, the penalty's
        # interpolates stay float32.
        fake = keras.ops.cast(fake, "float32")
        real = self.process_reals(keras.ops.cast(real, "float32"), discriminator.alpha)
        gp_weight = self.gp_weight * self.gp_every if self.gp_now else 0.0  # 0: a lazy step skips the penalty
        out = wgan_gp_losses(discriminator, real, fake, latents["mix"], gp_weight, self.drift_weight)
        out["alpha"] = keras.ops.convert_to_tensor(discriminator.alpha)
        out["resolution"] = keras.ops.convert_to_tensor(float(self.phase.resolution))
        return out
