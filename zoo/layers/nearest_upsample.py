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
    >>> NearestUpsample2D(2)(keras.ops.ones((1, 4, 4, 3))).shape
    (1, 8, 8, 3)
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
