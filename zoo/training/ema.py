"""Generator weight averaging and batch-norm statistics recalibration."""

from __future__ import annotations

import dataclasses

import keras


def ema_decay_at(step, decay: float):
    """Warm-up so the average is not dominated by the random init early on."""
    return keras.ops.minimum(decay, (1.0 + step) / (10.0 + step))


def half_life_decay(batch_size: int, half_life_images):
    """``0.5 ** (batch / half_life)``: after ``half_life`` images the EMA has moved half way.

    A Python float for a Python half-life (exact), else a float32 tensor.
    ``half_life`` 0 gives 0 (the EMA copies the generator).
    """
    if isinstance(half_life_images, (int, float)):
        return 0.5 ** (batch_size / max(half_life_images, 1e-8))
    return keras.ops.power(0.5, batch_size / keras.ops.maximum(half_life_images, 1e-8))


@dataclasses.dataclass(frozen=True)
class EMASchedule:
    """The generator EMA's decay per step, from the recipe.

    Either ``decay``: a per-step decay with :func:`ema_decay_at`'s warm-up
    (the zoo's original form; the half-life in images then depends on the
    batch), or ``half_life_kimg``: StyleGAN's ``ema_kimg``, a half-life in
    thousands of images, so ``decay = 0.5 ** (batch / (1000 * ema_kimg))``
    and the average covers the same images at any batch size. ``rampup``
    (StyleGAN2's ``ema_rampup``) caps the half-life at ``rampup *
    images_seen`` early in training, so the average does not remember the
    random initialisation; None: no cap.
    """

    decay: float | None = None
    half_life_kimg: float | None = None
    rampup: float | None = None

    def __post_init__(self):
        if (self.decay is None) == (self.half_life_kimg is None):
            raise ValueError("EMASchedule needs exactly one of decay and half_life_kimg")
        if self.rampup is not None and self.half_life_kimg is None:
            raise ValueError("EMASchedule: rampup applies to the half-life form (half_life_kimg) only")

    @classmethod
    def from_recipe(cls, recipe) -> "EMASchedule | None":
        """The recipe's schedule: ``ema_kimg`` (with ``ema_rampup``) if set, else ``ema_decay``;
        None when the recipe keeps no EMA (``not recipe.has_ema``)."""
        if recipe.ema_kimg:
            return cls(half_life_kimg=recipe.ema_kimg, rampup=recipe.ema_rampup)
        if recipe.ema_decay:
            return cls(decay=recipe.ema_decay)
        return None

    def decay_at(self, steps, batch_size: int):
        """The decay of the update that ends step number ``steps`` (1 for the first step).

        ``steps`` counts this step (it is the generator optimiser's
        ``iterations`` after its update), so the images seen before it, which
        StyleGAN2's ramp-up uses, are ``(steps - 1) * batch_size``.
        """
        steps = keras.ops.cast(steps, "float32")
        if self.decay is not None:
            return ema_decay_at(steps, self.decay)
        half_life = 1000.0 * self.half_life_kimg  # images
        if self.rampup is None:
            return half_life_decay(batch_size, half_life)
        images_before = (steps - 1.0) * batch_size
        return half_life_decay(batch_size, keras.ops.minimum(half_life, self.rampup * images_before))


def update_ema(ema_model, model, decay) -> None:
    """ema <- decay * ema + (1 - decay) * model, trainable weights only."""
    for e, v in zip(ema_model.trainable_variables, model.trainable_variables):
        e.assign(decay * e + (1.0 - decay) * v)


def recalibrate_batchnorm(model, inputs) -> None:
    """Sets every BatchNormalization's moving statistics to the exact batch
    statistics of ``model(inputs, training=True)``.

    Why: the moving averages (momentum 0.99) lag a fast-changing generator and
    are never updated for an EMA copy, so inference-mode samples differ from
    training-mode ones. One large batch with momentum 0 fixes both.
    """
    bns = [l for l in model._flatten_layers() if isinstance(l, keras.layers.BatchNormalization)]
    saved = [bn.momentum for bn in bns]
    try:
        for bn in bns:
            bn.momentum = 0.0
        model(inputs, training=True)
    finally:
        for bn, m in zip(bns, saved):
            bn.momentum = m
