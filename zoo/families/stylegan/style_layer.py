"""One layer of StyleGAN's synthesis network: conv, noise, bias, LReLU, AdaIN."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from zoo.layers import AdaIN, EqualizedConv2D, EqualizedDense, NearestUpsample2D

NOISE_MODES = ("const", "random", "none")


def numpy_normal_initializer(seed: int):
    """An initializer drawing N(0, 1) with NumPy from ``seed``, so every fresh model
    (and every backend) gets the same stored noise buffers and constant input."""

    def init(shape, dtype=None):
        values = np.random.default_rng(seed).standard_normal(tuple(shape)).astype(np.float32)
        return ops.convert_to_tensor(values, dtype=dtype or "float32")

    return init


@keras.saving.register_keras_serializable(package="zoo")
class StyleLayer(keras.layers.Layer):
    """``[2x upsample ->] [Conv3x3 ->] + noise -> + bias -> LReLU -> AdaIN(style(w))``.

    The StyleGAN-1 layer (Karras et al., 2019, Fig. 1b). The noise input is
    a single-channel map (N or 1, H, W, 1) broadcast to every channel and
    scaled by a learned per-channel factor (initialised to 0, as in the
    authors' code, so noise enters only as training finds it useful); it is
    added before the bias and activation. The style is an affine function of
    this layer's w: ``scale = A_s(w)`` (its bias starts at 1, so the initial
    style is the identity) and ``bias = A_b(w)``, both (N, C), equalized LR
    with gain 1 (no activation follows them).

    The layer stores a fixed noise map ``const_noise`` (1, H, W, 1), a
    non-trainable weight drawn from ``noise_seed`` with NumPy: ``noise="const"``
    adds it (the same map for every sample; no random op in the graph).

    Shapes: x (N, H_in, W_in, C_in), w (N, w_dim) -> (N, H, W, filters), with
    H = 2 * H_in when ``upsample`` and H = H_in otherwise; ``resolution`` = H.

    Args:
        filters: output channels (C_in when ``convolve`` is False).
        w_dim: size of w.
        resolution: output height and width H (sets the noise buffer's shape).
        convolve: apply the 3x3 convolution (False for the learned 4x4 constant's layer).
        upsample: nearest 2x upsampling before the convolution.
        leaky_slope: LeakyReLU slope (0.2).
        noise_seed: NumPy seed of the stored noise map.

    Examples:
    >>> layer = StyleLayer(16, w_dim=32, resolution=8, upsample=True)
    >>> layer.build((None, 4, 4, 16))
    >>> tuple(layer(np.zeros((2, 4, 4, 16), "float32"), np.zeros((2, 32), "float32"), noise="const").shape)
    (2, 8, 8, 16)
    """

    def __init__(self, filters: int, w_dim: int, resolution: int, convolve: bool = True, upsample: bool = False,
                 leaky_slope: float = 0.2, noise_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if upsample and not convolve:
            raise ValueError("upsample needs convolve: the upsampled map goes through the 3x3 conv")
        self.filters = int(filters)
        self.w_dim = int(w_dim)
        self.resolution = int(resolution)
        self.convolve = bool(convolve)
        self.upsample = bool(upsample)
        self.leaky_slope = float(leaky_slope)
        self.noise_seed = int(noise_seed)
        self.up = NearestUpsample2D(2) if self.upsample else None
        self.conv = EqualizedConv2D(self.filters, 3, use_bias=False, name="conv") if self.convolve else None
        self.act = layers.LeakyReLU(self.leaky_slope)
        self.style_scale = EqualizedDense(self.filters, gain=1.0, bias_init=1.0, name="style_scale")
        self.style_bias = EqualizedDense(self.filters, gain=1.0, name="style_bias")
        self.adain = AdaIN(name="adain")

    def build(self, input_shape):
        """``input_shape``: the shape of x, (N, H_in, W_in, C_in)."""
        in_channels = int(input_shape[-1])
        if self.conv is not None:
            self.conv.build((None, self.resolution, self.resolution, in_channels))
        elif in_channels != self.filters:
            raise ValueError(f"without a convolution the input needs {self.filters} channels, got {in_channels}")
        self.style_scale.build((None, self.w_dim))
        self.style_bias.build((None, self.w_dim))
        self.noise_strength = self.add_weight(name="noise_strength", shape=(self.filters,), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.const_noise = self.add_weight(
            name="const_noise",
            shape=(1, self.resolution, self.resolution, 1),
            initializer=numpy_normal_initializer(self.noise_seed),
            trainable=False,
        )

    def call(self, x, w, noise="const"):
        """``noise``: "const" (the stored map), None or "none" (no noise), or a
        (N or 1, H, W, 1) tensor of standard-normal noise."""
        if self.up is not None:
            x = self.up(x)  # (N, H, W, C_in)
        if self.conv is not None:
            x = self.conv(x)  # (N, H, W, filters)
        if isinstance(noise, str) and noise == "const":
            noise = self.const_noise
        if noise is not None and not (isinstance(noise, str) and noise == "none"):
            # (N or 1, H, W, 1) * (C,) -> one map per channel, scaled by the learned strength.
            x = x + ops.cast(noise, x.dtype) * self.noise_strength
        x = self.act(x + self.bias)
        return self.adain(x, self.style_scale(w), self.style_bias(w))  # styles (N, filters) each

    def compute_output_shape(self, x_shape, w_shape=None, noise_shape=None):
        return (x_shape[0], self.resolution, self.resolution, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "w_dim": self.w_dim,
            "resolution": self.resolution,
            "convolve": self.convolve,
            "upsample": self.upsample,
            "leaky_slope": self.leaky_slope,
            "noise_seed": self.noise_seed,
        }
