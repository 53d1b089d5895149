"""ProGAN generator (Karras et al., 2018): 4x4 up to the final resolution, growable."""

from __future__ import annotations

import math

import keras
from keras import layers

from zoo.families.progan.growth import GrowthMixin, levels_for
from zoo.layers import EqualizedConv2D, EqualizedDense, NearestUpsample2D, PixelNorm, upsample_nearest


@keras.saving.register_keras_serializable(package="zoo")
class ProGANGenerator(GrowthMixin, keras.Model):
    """Latent z -> image, with every block of the final resolution built in.

    Block 0: z -> PixelNorm -> EqualizedDense(16 * C0) -> (N, 4, 4, C0) ->
    LReLU -> PixelNorm -> Conv3x3 -> LReLU -> PixelNorm. Block i > 0:
    nearest 2x upsample -> (Conv3x3 -> LReLU -> PixelNorm) x 2, giving
    (N, 4 * 2**i, 4 * 2**i, C_i). Each block has its own 1x1 linear toRGB.
    All weights use the equalized learning rate; the output is linear (no
    tanh), as in the paper; ``ZooModel`` clips samples to [-1, 1].

    The growth state (see ``zoo.families.progan.growth``) selects the output:
    at resolution R the image is ``toRGB_R(x_R)``, or while fading
    ``lerp(up2(toRGB_{R/2}(x_{R/2})), toRGB_R(x_R), alpha)``; calling the
    model always returns the final-resolution shape (the R x R image
    nearest-upsampled), so a training step has fixed shapes in every phase.
    ``generate_at`` gives the R x R image itself. The Functional graph
    (``inputs``/``outputs``, what export traces) is the final, alpha = 1 one.

    Args:
        latent_dim: size of z.
        resolution: final output size (a power of two >= 4).
        filters: channels per resolution, 4x4 first (one entry per block).
        image_channels: channels of the output image.
        leaky_slope: LeakyReLU slope (0.2 in the paper).

    Examples:
    >>> g = ProGANGenerator(latent_dim=64, resolution=32, filters=(64, 64, 32, 16))
    >>> tuple(g(np.zeros((2, 64), "float32")).shape)
    (2, 32, 32, 1)
    >>> tuple(g.generate_at(np.zeros((2, 64), "float32"), 8).shape)
    (2, 8, 8, 1)
    """

    def __init__(self, latent_dim: int = 128, resolution: int = 32, filters=(128, 128, 64, 32),
                 image_channels: int = 1, leaky_slope: float = 0.2, **kwargs):
        levels = levels_for(resolution)
        if len(filters) != levels:
            raise ValueError(f"filters needs one entry per resolution 4..{resolution} ({levels}), got {filters}")
        blocks = [_first_block(latent_dim, filters[0], leaky_slope)]
        blocks += [_up_block(i, f, leaky_slope) for i, f in enumerate(filters[1:], start=1)]
        to_rgb = [EqualizedConv2D(image_channels, 1, gain=1.0, name=f"to_rgb_{4 * 2**i}") for i in range(levels)]

        z = keras.Input((latent_dim,), name="z")
        image = _synthesize(z, blocks, to_rgb, levels - 1, fading=False, alpha=1.0)
        super().__init__(inputs=z, outputs=image, **kwargs)
        # The lower toRGB layers are not on the final graph: build them here so
        # their weights exist (and load) before the first phase that uses them.
        for i, layer in enumerate(to_rgb[:-1]):
            layer.build((None, 4 * 2**i, 4 * 2**i, filters[i]))
        self.blocks = blocks
        self.to_rgb = to_rgb
        self.latent_dim = latent_dim
        self.filters = tuple(filters)
        self.image_channels = image_channels
        self.leaky_slope = leaky_slope
        self._init_growth(resolution)

    def call(self, inputs, training=None, mask=None):
        z = inputs["z"] if isinstance(inputs, dict) else inputs
        image = _synthesize(z, self.blocks, self.to_rgb, self.level, self.fading, self.alpha)
        return upsample_nearest(image, self.final_resolution // self.resolution)

    def generate_at(self, z, resolution: int):
        """The stable (alpha = 1) R x R image of the grown model: (N, R, R, C)."""
        return _synthesize(z, self.blocks, self.to_rgb, levels_for(resolution) - 1, False, 1.0)

    def _growth_layers(self, level: int, fading: bool):
        active = self.blocks[: level + 1] + [self.to_rgb[level]]
        if fading:
            active.append(self.to_rgb[level - 1])
        return active, self.blocks + self.to_rgb

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "resolution": self.final_resolution,
            "filters": self.filters,
            "image_channels": self.image_channels,
            "leaky_slope": self.leaky_slope,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _synthesize(z, blocks, to_rgb, level: int, fading: bool, alpha):
    """The (N, R, R, C) image at ``level`` (R = 4 * 2**level), blended while fading."""
    x = prev = z
    for block in blocks[: level + 1]:
        prev, x = x, block(x)
    image = to_rgb[level](x)
    if fading and level > 0:
        # Old path: the previous resolution's toRGB, nearest-upsampled to R.
        old = upsample_nearest(to_rgb[level - 1](prev), 2)
        image = old + (image - old) * alpha  # alpha 0 -> old path, 1 -> new block
    return image


def _first_block(latent_dim: int, channels: int, slope: float):
    # gain sqrt(2)/4 on the 4x4 projection, as in the authors' code: the dense
    # layer feeds 16 positions, i.e. it is a 4x4 "transposed conv" on a 1x1 input.
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            PixelNorm(name="z_norm"),
            EqualizedDense(16 * channels, gain=math.sqrt(2.0) / 4, name="dense"),
            layers.Reshape((4, 4, channels)),
            layers.LeakyReLU(slope),
            PixelNorm(),
            EqualizedConv2D(channels, 3, name="conv"),
            layers.LeakyReLU(slope),
            PixelNorm(),
        ],
        name="block_4",
    )


def _up_block(level: int, channels: int, slope: float):
    return keras.Sequential(
        [
            NearestUpsample2D(2),
            EqualizedConv2D(channels, 3, name="conv0"),
            layers.LeakyReLU(slope),
            PixelNorm(),
            EqualizedConv2D(channels, 3, name="conv1"),
            layers.LeakyReLU(slope),
            PixelNorm(),
        ],
        name=f"block_{4 * 2**level}",
    )
