"""The truncation trick in W (Karras et al., 2019, Sec. 3.3) and its running average of w."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class Truncation(keras.layers.Layer):
    """Pulls the first ``cutoff`` per-layer styles towards the running average of w.

    ``ws'[:, i] = (1 - t_i) * w_avg + t_i * ws[:, i]`` with ``t_i = psi`` for
    layers ``i < cutoff`` and ``t_i = 1`` for the rest. Written as this
    two-sided lerp (not ``w_avg + t * (w - w_avg)``) so that both ends are
    exact in floating point: psi = 1 returns ws bit for bit (0 * w_avg +
    1 * w) and psi = 0 returns w_avg itself, so every seed gives the same
    styles. psi is a tensor (N, 1), one value per sample, so it can be a
    model input; psi > 1 extrapolates away from the average.

    ``w_avg`` (w_dim,) is a non-trainable weight, zero at initialisation and
    moved by :meth:`update` in the training step: an exponential moving
    average of the batch mean of the mapping output (decay 0.995 in the
    authors' code). It is saved with the generator's weights.

    Shapes: w (N, w_dim) or ws (N, num_ws, w_dim), psi (N, 1) -> (N, num_ws, w_dim).

    Args:
        num_ws: synthesis layers, i.e. styles per sample.
        w_dim: size of w.
        cutoff: truncate layers ``0 .. cutoff - 1`` (the coarse ones); None for every layer.

    Examples:
    >>> t = Truncation(num_ws=4, w_dim=8, cutoff=2)
    >>> ws = keras.ops.convert_to_numpy(t(np.ones((3, 8), "float32"), np.zeros((3, 1), "float32")))
    >>> ws.shape, ws[0, :, 0]  # psi 0: the 2 coarse styles become w_avg (0 here), the rest stay w
    ((3, 4, 8), array([0., 0., 1., 1.], dtype=float32))
    """

    def __init__(self, num_ws: int, w_dim: int, cutoff: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if cutoff is not None and not 0 <= cutoff <= num_ws:
            raise ValueError(f"cutoff must be in [0, {num_ws}] or None, got {cutoff}")
        self.num_ws = int(num_ws)
        self.w_dim = int(w_dim)
        self.cutoff = None if cutoff is None else int(cutoff)

    def build(self, input_shape=None):
        # aggregation="mean": under tf.distribute each replica's update (its share's
        # batch mean) is averaged, which is exactly the update of the whole batch.
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros", trainable=False,
                                     aggregation="mean")

    @property
    def layer_mask(self) -> np.ndarray:
        """(1, num_ws, 1) float32: 1 where psi applies, 0 where the style is left alone."""
        cutoff = self.num_ws if self.cutoff is None else self.cutoff
        return (np.arange(self.num_ws) < cutoff).astype(np.float32).reshape(1, self.num_ws, 1)

    def call(self, w, psi):
        if len(w.shape) == 2:
            w = ops.expand_dims(w, 1)  # (N, 1, w_dim); broadcasts against t below
        psi = ops.reshape(ops.cast(psi, w.dtype), (-1, 1, 1))  # (N, 1, 1)
        # t (N, num_ws, 1): psi on the masked layers, exactly 1 on the others.
        t = 1.0 + ops.convert_to_tensor(self.layer_mask, w.dtype) * (psi - 1.0)
        return (1.0 - t) * ops.cast(self.w_avg, w.dtype) + t * w  # (N, num_ws, w_dim)

    def update(self, w, decay: float) -> None:
        """``w_avg <- decay * w_avg + (1 - decay) * mean_N(w)`` for a batch w (N, w_dim)."""
        self.update_towards(ops.mean(ops.stop_gradient(ops.cast(w, self.w_avg.dtype)), axis=0), decay)

    def update_towards(self, w_mean, decay: float) -> None:
        """``w_avg <- decay * w_avg + (1 - decay) * w_mean`` for a batch's mean w (w_dim,)."""
        self.w_avg.assign(decay * self.w_avg + (1.0 - decay) * ops.cast(w_mean, self.w_avg.dtype))

    def compute_output_shape(self, w_shape, psi_shape=None):
        return (w_shape[0], self.num_ws, self.w_dim)

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws, "w_dim": self.w_dim, "cutoff": self.cutoff}
