"""Minibatch standard deviation (Karras et al., 2018, Sec. 3)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class MinibatchStdDev(keras.layers.Layer):
    """Appends one feature map holding the average per-group standard deviation.

    The batch of N samples is split into N / G groups of G = min(group_size, N)
    samples each; within a group, the standard deviation of every feature at
    every position is taken over the G samples, those are averaged over
    (H, W, C) into one number per group, and that number fills an extra
    channel of every sample of the group. A generator whose samples vary too
    little shows up as a low value the discriminator can see, which
    discourages mode collapse.

    Groups are strided as in the authors' code: with M = N / G, sample ``k``
    belongs to group ``k % M``. N must be divisible by G. ``contiguous=True``
    puts sample ``k`` in group ``k // G`` instead, so that a batch made of
    two halves (reals, then fakes: the MLP GAN's joint batch) never mixes
    them in one group when N / 2 is divisible by G.

    Shapes: (N, H, W, C) -> (N, H, W, C + 1). The statistic is computed in float32
    under a mixed-precision policy, then cast to the input's (compute) dtype.

    Args:
        group_size: samples per group (4 in ProGAN and StyleGAN).
        epsilon: added to the variance before the square root (finite gradient at 0).
        contiguous: group consecutive samples (``k // G``) instead of strided ones.

    Examples:
    >>> y = keras.ops.convert_to_numpy(MinibatchStdDev(group_size=4)(np.zeros((8, 4, 4, 16), "float32")))
    >>> y.shape, round(float(y[..., -1].max()), 6)  # identical samples: the std map is sqrt(epsilon)
    ((8, 4, 4, 17), 0.0001)
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, contiguous: bool = False, **kwargs):
        super().__init__(**kwargs)
        if group_size < 1:
            raise ValueError(f"group_size must be >= 1, got {group_size}")
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)
        self.contiguous = bool(contiguous)

    def call(self, inputs):
        n, h, w, c = inputs.shape
        # A static batch size (always under JAX, whose reshape needs concrete
        # sizes) gives a Python int; an exported graph's batch is dynamic.
        g = min(self.group_size, n) if n is not None else ops.minimum(self.group_size, ops.shape(inputs)[0])
        if n is not None and n % g:  # a static batch: say so here rather than in a reshape error
            raise ValueError(f"minibatch stddev: the batch of {n} is not divisible by the group size {g}")
        # float32 statistics under a mixed policy: in bfloat16 the mean over G samples and
        # epsilon = 1e-8 against the variance are lost; in float16 squares overflow above 256.
        y = ops.cast(inputs, "float32")
        # (G, M, H, W, C) with y[i, m] sample i * M + m (strided), or (M, G, H, W, C) with
        # y[m, i] sample m * G + i (contiguous); the group axis is the one reduced.
        axis = 1 if self.contiguous else 0
        y = ops.reshape(y, (-1, g, h, w, c) if self.contiguous else (g, -1, h, w, c))
        y = y - ops.mean(y, axis=axis, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=axis) + self.epsilon)  # (M, H, W, C) std over the group
        y = ops.mean(y, axis=(1, 2, 3), keepdims=True)  # (M, 1, 1, 1) one number per group
        if self.contiguous:  # (N, H, W, 1): sample m * G + i gets group m's value
            return ops.concatenate([inputs, ops.cast(ops.repeat(ops.tile(y, (1, h, w, 1)), g, axis=0),
                                                     inputs.dtype)], axis=-1)
        y = ops.tile(y, (g, h, w, 1))  # (N, H, W, 1), sample i * M + m gets group m's value
        return ops.concatenate([inputs, ops.cast(y, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, h, w, c + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon,
                "contiguous": self.contiguous}
