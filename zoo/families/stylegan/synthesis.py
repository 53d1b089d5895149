"""StyleGAN's synthesis network g: per-layer styles ws -> image."""

from __future__ import annotations

import keras
from keras import ops

from zoo.families.progan.growth import levels_for
from zoo.families.stylegan.style_layer import NOISE_MODES, StyleLayer, numpy_normal_initializer
from zoo.layers import EqualizedConv2D


def layer_resolutions(resolution: int) -> list[int]:
    """Output size of every style layer, coarsest first: 32 -> [4, 4, 8, 8, 16, 16, 32, 32]."""
    return [4 * 2 ** (i // 2) for i in range(2 * levels_for(resolution))]


@keras.saving.register_keras_serializable(package="zoo")
class SynthesisNetwork(keras.layers.Layer):
    """A learned 4x4 constant, two :class:`StyleLayer` s per resolution, a 1x1 toRGB.

    Layers (for 32x32, ``filters=(C0, C1, C2, C3)``)::

        const (1, 4, 4, C0), broadcast to the batch
        0: noise, bias, LReLU, AdaIN               -> (N, 4, 4, C0)
        1: Conv3x3, noise, bias, LReLU, AdaIN      -> (N, 4, 4, C0)
        2: up 2x, Conv3x3, ... AdaIN               -> (N, 8, 8, C1)
        3: Conv3x3, ... AdaIN                      -> (N, 8, 8, C1)
        ... 16x16 (C2), 32x32 (C3)
        toRGB: EqualizedConv2D 1x1, gain 1, linear -> (N, 32, 32, image_channels)

    so ``num_ws = 2 * levels`` (8 for 32x32) and layer i reads ``ws[:, i]``.
    The output is linear (no tanh), as in the authors' code and this zoo's
    ProGAN; ``ZooModel`` and the exporters clip it to [-1, 1]. There is no
    progressive growing and so only the final toRGB. The authors' [1, 2, 1]
    blur after upsampling is left out (nearest upsampling, as in ProGAN):
    aliasing matters little at 32x32 and the blur costs a depthwise conv per
    layer on CPU.

    Noise (``noise_mode``): "const" adds each layer's stored map (no random op
    in the graph, so the same w always gives the same image); "none" adds
    nothing; "random" adds the (N, H, W, 1) maps passed in ``noise`` (one per
    layer, coarsest first) or, without them, maps drawn with
    ``keras.random.normal`` from ``seed`` (a ``keras.random.SeedGenerator``:
    what the training step uses).

    Args:
        resolution: output size (a power of two >= 4).
        filters: channels per resolution, 4x4 first.
        w_dim: size of w.
        image_channels: channels of the output image.
        leaky_slope: LeakyReLU slope.
        noise_seed: layer i's stored noise map is drawn from ``noise_seed + i``.

    Examples:
    >>> g = SynthesisNetwork(resolution=16, filters=(16, 16, 8), w_dim=32)
    >>> g.num_ws, tuple(g(np.zeros((2, g.num_ws, 32), "float32")).shape)  # two styles per resolution 4, 8, 16
    (6, (2, 16, 16, 1))
    """

    def __init__(self, resolution: int = 32, filters=(128, 128, 64, 32), w_dim: int = 128, image_channels: int = 1,
                 leaky_slope: float = 0.2, noise_seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        levels = levels_for(resolution)
        if len(filters) != levels:
            raise ValueError(f"filters needs one entry per resolution 4..{resolution} ({levels}), got {filters}")
        self.resolution = int(resolution)
        self.filters = tuple(int(f) for f in filters)
        self.w_dim = int(w_dim)
        self.image_channels = int(image_channels)
        self.leaky_slope = float(leaky_slope)
        self.noise_seed = int(noise_seed)
        self.style_layers = []
        for i, res in enumerate(layer_resolutions(self.resolution)):
            # Two layers per resolution: the first upsamples (except at 4x4, where it styles the constant).
            self.style_layers.append(StyleLayer(
                self.filters[i // 2], self.w_dim, res, convolve=i > 0, upsample=i > 0 and i % 2 == 0,
                leaky_slope=leaky_slope, noise_seed=self.noise_seed + i, name=f"layer{i}_{res}x{res}",
            ))
        self.to_rgb = EqualizedConv2D(self.image_channels, 1, gain=1.0, name="to_rgb")

    @property
    def num_ws(self) -> int:
        """Styles per sample: one per style layer."""
        return len(self.style_layers)

    @property
    def noise_shapes(self) -> list[tuple]:
        """(H, W, 1) of each layer's noise map, coarsest first."""
        return [(layer.resolution, layer.resolution, 1) for layer in self.style_layers]

    def build(self, input_shape=None):
        # N(0, 1) as in StyleGAN2, not StyleGAN-1's ones: an all-ones input has zero variance in
        # every channel, so layer 0's AdaIN outputs a flat map, layer 1's conv of it has nearly
        # flat channels (std 0.03 against values of 10 at init), and AdaIN's 1 / std then
        # amplifies rounding errors until training breaks the symmetry.
        self.const = self.add_weight(name="const", shape=(1, 4, 4, self.filters[0]),
                                     initializer=numpy_normal_initializer(self.noise_seed + self.num_ws))
        channels = self.filters[0]
        for layer in self.style_layers:
            res_in = layer.resolution // 2 if layer.upsample else layer.resolution
            layer.build((None, res_in, res_in, channels))
            channels = layer.filters
        self.to_rgb.build((None, self.resolution, self.resolution, channels))

    def call(self, ws, noise_mode: str = "const", noise=None, seed=None):
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must be (N, {self.num_ws}, w_dim), got shape {tuple(ws.shape)}")
        if noise is not None and noise_mode != "random":
            raise ValueError(f"explicit noise maps need noise_mode='random', got {noise_mode!r}")
        if noise is not None and len(noise) != self.num_ws:
            raise ValueError(f"noise needs one map per layer ({self.num_ws}), got {len(noise)}")
        if noise_mode == "random" and noise is None and seed is None:
            raise ValueError("noise_mode='random' needs the noise maps or a seed")
        # (N, 1, 1, 1) zeros + (1, 4, 4, C0): the constant for every sample, by a plain
        # broadcast add (no shape tensor), which keeps H, W, C static for TF-Lite.
        batch_zeros = ops.zeros_like(ops.reshape(ws[:, 0, 0], (-1, 1, 1, 1)))
        x = batch_zeros + ops.cast(self.const, ws.dtype)  # (N, 4, 4, C0)
        for i, layer in enumerate(self.style_layers):
            if noise_mode == "random":
                n = noise[i] if noise is not None else keras.random.normal(
                    (ops.shape(ws)[0], *self.noise_shapes[i]), seed=seed, dtype=ws.dtype)
            else:
                n = noise_mode  # "const" or "none": the layer handles it
            x = layer(x, ws[:, i], noise=n)  # (N, H_i, H_i, C_i)
        return self.to_rgb(x)  # (N, R, R, image_channels), linear

    def compute_output_shape(self, ws_shape):
        return (ws_shape[0], self.resolution, self.resolution, self.image_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "resolution": self.resolution,
            "filters": self.filters,
            "w_dim": self.w_dim,
            "image_channels": self.image_channels,
            "leaky_slope": self.leaky_slope,
            "noise_seed": self.noise_seed,
        }
