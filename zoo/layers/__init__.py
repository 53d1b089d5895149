"""Reusable Keras layers shared by the families (ProGAN, StyleGAN).

Every layer uses ``keras.ops`` only, so it runs on any Keras backend, and
round-trips through ``get_config`` / ``keras.saving``.
"""

from zoo.layers.adain import AdaIN
from zoo.layers.equalized_conv2d import EqualizedConv2D
from zoo.layers.equalized_dense import EqualizedDense
from zoo.layers.minibatch_stddev import MinibatchStdDev
from zoo.layers.pixel_norm import PixelNorm
from zoo.layers.nearest_upsample import NearestUpsample2D
from zoo.layers.resample import downsample_avg, upsample_nearest

__all__ = [
    "AdaIN",
    "EqualizedConv2D",
    "EqualizedDense",
    "MinibatchStdDev",
    "PixelNorm",
    "downsample_avg",
    "NearestUpsample2D",
    "upsample_nearest",
]
