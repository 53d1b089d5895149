"""Nearest-neighbour upsampling and average-pool downsampling by integer factors.

ProGAN resamples with these fixed filters (Karras et al., 2018, Sec. 3);
both are ``keras.ops`` only, and ``downsample_avg(upsample_nearest(x, f), f)``
is exactly ``x``, which is what lets a low-resolution image travel through a
full-resolution pipeline and come back unchanged.
"""

from __future__ import annotations

from keras import ops


def upsample_nearest(x, factor: int):
    """(N, H, W, C) -> (N, H * factor, W * factor, C), each pixel repeated factor x factor times."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def downsample_avg(x, factor: int):
    """(N, H, W, C) -> (N, H / factor, W / factor, C), the mean of each factor x factor tile."""
    if factor == 1:
        return x
    return ops.average_pool(x, pool_size=factor, strides=factor, padding="valid")
