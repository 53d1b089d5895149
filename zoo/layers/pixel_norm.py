"""Pixelwise feature normalisation (Karras et al., 2018, Sec. 4.2)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class PixelNorm(keras.layers.Layer):
    """Scales each pixel's feature vector to unit mean square over channels.

    ``b = a / sqrt(mean_c(a**2) + epsilon)`` at every (sample, row, column);
    ProGAN puts it after every generator convolution (and on the latent) to
    stop the generator and discriminator magnitudes escalating. It has no
    weights. Works on any rank: the last axis is the channel axis.

    Args:
        epsilon: added to the mean square so an all-zero pixel stays finite.

    Examples:
    >>> keras.ops.convert_to_numpy(PixelNorm()(np.ones((2, 4, 4, 8), "float32") * 3.0))[0, 0, 0, :2]
    array([1., 1.], dtype=float32)
    """

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        # The mean square in float32: under mixed_float16 squares overflow above 256, and
        # 1e-8 is below float16's range (a no-op cast for a float32 model).
        x = ops.cast(inputs, "float32")
        norm = ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)  # (..., 1)
        return inputs * ops.cast(norm, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
