"""Generator weight averaging and batch-norm statistics recalibration."""

from __future__ import annotations

import keras


def ema_decay_at(step, decay: float):
    """Warm-up so the average is not dominated by the random init early on."""
    return keras.ops.minimum(decay, (1.0 + step) / (10.0 + step))


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
