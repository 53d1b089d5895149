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
    # Broadcast against ones and reshape with static H, W, C: ops.repeat loses the
    # spatial shape in the TF-Lite converter when the batch is dynamic.
    _, h, w, c = x.shape
    tiles = ops.reshape(x, (-1, h, 1, w, 1, c)) * ops.ones((1, 1, factor, 1, factor, 1), x.dtype)
    return ops.reshape(tiles, (-1, h * factor, w * factor, c))


def downsample_avg(x, factor: int):
    """(N, H, W, C) -> (N, H / factor, W / factor, C), the mean of each factor x factor tile."""
    if factor == 1:
        return x
    return ops.average_pool(x, pool_size=factor, strides=factor, padding="valid")
