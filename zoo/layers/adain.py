"""Adaptive instance normalisation (Huang & Belongie, 2017; StyleGAN's AdaIN)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class AdaIN(keras.layers.Layer):
    """Normalises every channel of every sample, then applies a per-sample style.

    ``out[n, h, w, c] = (x - mean_n,c) / sqrt(var_n,c + epsilon) * scale[n, c] + bias[n, c]``
    with the mean and (biased) variance taken over H and W of one sample and
    one channel: instance normalisation, whose fixed statistics the style
    (scale, bias) then replaces. The layer has no weights: StyleGAN computes
    the style from w with a learned affine layer outside it.

    Written with reductions, a square and ``rsqrt`` only, so it converts to
    TF-Lite builtins (MEAN, SQUARED_DIFFERENCE, RSQRT, MUL, ADD) and ONNX
    (ReduceMean / GlobalAveragePool, Sqrt, Reciprocal) without the fused
    instance-norm ops that some converters reject. The variance is the two-pass ``mean((x - mean)**2)``,
    not ``mean(x**2) - mean**2``, which cancels catastrophically in float32
    when a channel's mean is large against its spread.

    Shapes: x (N, H, W, C), scale and bias (N, C) -> (N, H, W, C). The statistics are
    float32 under a mixed-precision policy; the output has x's (compute) dtype.

    Args:
        epsilon: added to the variance. 1e-5, not the authors' 1e-8: TF-Lite's
            float16 export stores constants in half precision, where 1e-8
            rounds to 0, and a constant channel (StyleGAN's first layer at
            initialisation) then gives ``0 * rsqrt(0)`` = NaN. 1e-5 survives
            float16 and is negligible against the unit-scale activations of
            an equalized-LR network; a constant channel normalises to 0 and
            so takes the style's bias.

    Examples:
    >>> x = np.random.default_rng(0).normal(3.0, 2.0, (2, 4, 4, 8)).astype("float32")
    >>> y = keras.ops.convert_to_numpy(AdaIN()(x, np.ones((2, 8), "float32"), np.zeros((2, 8), "float32")))
    >>> y.shape, bool(np.abs(y.mean(axis=(1, 2))).max() < 1e-5), bool(np.abs(y.std(axis=(1, 2)) - 1).max() < 1e-3)
    ((2, 4, 4, 8), True, True)
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x, scale, bias):
        channels = x.shape[-1]
        # Statistics and the normalisation in float32 whatever the compute dtype: under a
        # mixed policy x is bfloat16 (8 mantissa bits: sums over H * W values and the small
        # variance of a nearly flat channel, which 1 / std then amplifies, round badly) or
        # float16 (squares above 65504 overflow). For a float32 model every cast is a no-op.
        compute_dtype = x.dtype
        x = ops.cast(x, "float32")
        mean = ops.mean(x, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        centred = x - mean
        var = ops.mean(ops.square(centred), axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        normalised = centred * ops.rsqrt(var + self.epsilon)  # (N, H, W, C) float32
        # Reshape (not x[:, None, None]) keeps the op set to RESHAPE for TF-Lite.
        scale = ops.reshape(ops.cast(scale, "float32"), (-1, 1, 1, channels))
        bias = ops.reshape(ops.cast(bias, "float32"), (-1, 1, 1, channels))
        return ops.cast(normalised * scale + bias, compute_dtype)

    def compute_output_shape(self, x_shape, scale_shape=None, bias_shape=None):
        return x_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
