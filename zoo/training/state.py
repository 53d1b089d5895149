"""Everything a train step reads and writes: :class:`TrainState`."""

from __future__ import annotations

import contextlib
import dataclasses

import keras


POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Keras' global dtype policy for ``precision`` ("float32", "bfloat16", "float16") inside the block."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@dataclasses.dataclass
class TrainState:
    """The networks, optimisers and random state of one training run.

    ``zoo.training.backends.build_train_step`` compiles a step over it, the
    trainer checkpoints it (:meth:`checkpoint_groups`), and a family's
    :class:`~zoo.training.step.GANStep` hooks receive it.

    Attributes:
        generator, discriminator: the trained networks.
        ema: the generator's weight average (a second generator), or None.
        g_opt, d_opt: their Adam optimisers (built, so every slot exists).
        seed_generator: the ``keras.random.SeedGenerator`` the step draws from.
        batch_size: the global batch (images per step).

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> state = TrainState.create(tiny_preset("dcgan-mnist"))
    >>> state.step, state.images_seen, state.ema is not None
    (0, 0, True)
    """

    generator: keras.Model
    discriminator: keras.Model
    ema: keras.Model | None
    g_opt: keras.optimizers.Optimizer
    d_opt: keras.optimizers.Optimizer
    seed_generator: keras.random.SeedGenerator
    batch_size: int

    @classmethod
    def create(cls, preset, batch_size: int | None = None, strategy=None, recipe=None) -> "TrainState":
        """Fresh networks and optimisers for ``preset``'s architecture and recipe (or ``recipe``).

        Seeds Keras' global RNG with the recipe's seed first, so the initial
        weights are a function of the recipe. Under a ``tf.distribute``
        ``strategy`` every variable is created in its scope (optimisers
        cannot create their slots later, inside a replica).
        """
        from zoo.model import build

        r = recipe or preset.recipe
        keras.utils.set_random_seed(r.seed)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            with dtype_policy(r.precision):  # float32 variables; bfloat16 / float16 compute when mixed
                generator, discriminator = build(preset)
            ema = None
            if r.has_ema:  # always float32: it is what ships
                ema = preset.generator(**preset.generator_config, name="generator_ema")
                ema.set_weights(generator.get_weights())
            d_betas = (r.beta_1 if r.d_beta_1 is None else r.d_beta_1, r.beta_2 if r.d_beta_2 is None else r.d_beta_2)
            g_opt = keras.optimizers.Adam(r.g_learning_rate, beta_1=r.beta_1, beta_2=r.beta_2, epsilon=r.adam_epsilon)
            d_opt = keras.optimizers.Adam(r.d_learning_rate, beta_1=d_betas[0], beta_2=d_betas[1],
                                          epsilon=r.adam_epsilon)
            g_opt.build(generator.trainable_variables)
            d_opt.build(discriminator.trainable_variables)
            seed_generator = keras.random.SeedGenerator(r.seed)
        return cls(generator, discriminator, ema, g_opt, d_opt, seed_generator, batch_size or r.batch_size)

    @property
    def step(self) -> int:
        """Steps taken. The optimiser's counter is updated inside the compiled
        step, so it is right even if Ctrl-C lands between the step and the
        loop's bookkeeping."""
        return int(self.g_opt.iterations.numpy())

    @property
    def images_seen(self) -> int:
        return self.step * self.batch_size

    @property
    def shipped_generator(self) -> keras.Model:
        """The generator to publish: the EMA copy when the run keeps one."""
        return self.ema if self.ema is not None else self.generator

    def models(self) -> list:
        """The networks that exist (generator, discriminator, then the EMA if any)."""
        return [m for m in (self.generator, self.discriminator, self.ema) if m is not None]

    def checkpoint_groups(self) -> dict:
        """Name -> list of variables; the checkpoint stores them by position."""
        groups = {
            "generator": self.generator.variables,
            "discriminator": self.discriminator.variables,
            "g_opt": self.g_opt.variables,
            "d_opt": self.d_opt.variables,
            "seed": [self.seed_generator.state],
        }
        if self.ema is not None:
            groups["ema"] = self.ema.variables
        return groups
