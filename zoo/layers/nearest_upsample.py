"""Nearest-neighbour 2D upsampling as a layer that keeps static shapes for export."""

from __future__ import annotations

import keras

from zoo.layers.resample import upsample_nearest


@keras.saving.register_keras_serializable(package="zoo")
class NearestUpsample2D(keras.layers.Layer):
    """(N, H, W, C) -> (N, H * factor, W * factor, C) by pixel repetition.

    Same values as ``keras.layers.UpSampling2D(interpolation="nearest")``, but
    built from a broadcast and a reshape so the TF-Lite converter keeps H, W, C
    static under a dynamic batch (UpSampling2D's repeat loses them, and the next
    Conv2D then has no builtin kernel).

    Examples:
    >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    >>> keras.ops.convert_to_numpy(NearestUpsample2D(2)(x))[0, :, :, 0]
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    """

    def __init__(self, factor: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, inputs):
        return upsample_nearest(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, h * self.factor, w * self.factor, c)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
