"""ProGAN discriminator (critic): the generator's mirror image, growable."""

from __future__ import annotations

import keras
from keras import layers

from zoo.families.progan.growth import GrowthMixin, levels_for
from zoo.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev, downsample_avg


@keras.saving.register_keras_serializable(package="zoo")
class ProGANDiscriminator(GrowthMixin, keras.Model):
    """Image -> one unbounded WGAN score, with every block of the final resolution built in.

    At resolution R the (N, F, F, C) input (F the final resolution) is
    average-pooled to R x R, goes through fromRGB_R (1x1 conv + LReLU), then
    the blocks from R down: block R = (Conv3x3 -> LReLU) x 2 -> 2x2 average
    pool, and the 4x4 head = minibatch stddev -> Conv3x3 -> LReLU ->
    EqualizedDense(C0) -> LReLU -> EqualizedDense(1, gain 1). While fading,
    block R's output is blended with fromRGB_{R/2} of the input pooled to R/2:
    ``lerp(old, new, alpha)``, the mirror of the generator's fade-in.

    The input always has the final shape, so a low-resolution generator
    output (nearest-upsampled to F) is pooled back to exactly R x R.

    Args:
        image_shape: (F, F, C) of the input images.
        filters: channels per resolution, 4x4 first (fromRGB_R and the first
            conv of block R output ``filters[level(R)]``; its second conv
            outputs the next lower resolution's count).
        leaky_slope: LeakyReLU slope.
        mbstd_group_size: group size of the minibatch stddev layer (4).

    Examples:
    >>> d = ProGANDiscriminator(image_shape=(32, 32, 1), filters=(64, 64, 32, 16))
    >>> tuple(d(np.zeros((4, 32, 32, 1), "float32")).shape)
    (4, 1)
    """

    def __init__(self, image_shape=(32, 32, 1), filters=(128, 128, 64, 32), leaky_slope: float = 0.2,
                 mbstd_group_size: int = 4, **kwargs):
        image_shape = tuple(int(s) for s in image_shape)
        if image_shape[0] != image_shape[1]:
            raise ValueError(f"images must be square, got {image_shape}")
        levels = levels_for(image_shape[0])
        if len(filters) != levels:
            raise ValueError(f"filters needs one entry per resolution 4..{image_shape[0]} ({levels}), got {filters}")
        from_rgb = [_from_rgb(i, f, leaky_slope) for i, f in enumerate(filters)]
        blocks = [_head(filters[0], leaky_slope, mbstd_group_size)]
        blocks += [_down_block(i, filters[i], filters[i - 1], leaky_slope) for i in range(1, levels)]

        image = keras.Input(image_shape, name="image")
        score = _criticize(image, from_rgb, blocks, levels - 1, levels - 1, fading=False, alpha=1.0)
        super().__init__(inputs=image, outputs=score, **kwargs)
        for i, layer in enumerate(from_rgb[:-1]):  # off the final graph: build explicitly
            layer.build((None, 4 * 2**i, 4 * 2**i, image_shape[-1]))
        self.from_rgb = from_rgb
        self.blocks = blocks
        self.image_shape = image_shape
        self.filters = tuple(filters)
        self.leaky_slope = leaky_slope
        self.mbstd_group_size = mbstd_group_size
        self._init_growth(image_shape[0])

    def call(self, inputs, training=None, mask=None):
        image = inputs["image"] if isinstance(inputs, dict) else inputs
        return _criticize(image, self.from_rgb, self.blocks, self.level, self.num_levels - 1, self.fading, self.alpha)

    def _growth_layers(self, level: int, fading: bool):
        active = self.blocks[: level + 1] + [self.from_rgb[level]]
        if fading:
            active.append(self.from_rgb[level - 1])
        return active, self.blocks + self.from_rgb

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": self.image_shape,
            "filters": self.filters,
            "leaky_slope": self.leaky_slope,
            "mbstd_group_size": self.mbstd_group_size,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _criticize(image, from_rgb, blocks, level: int, final_level: int, fading: bool, alpha):
    """Score of (N, F, F, C) images with the sub-network of ``level``; (N, 1)."""
    factor = 2 ** (final_level - level)  # F / R
    x = from_rgb[level](downsample_avg(image, factor))  # (N, R, R, C_level)
    first = level
    if fading and level > 0:
        x = blocks[level](x)  # (N, R/2, R/2, C_{level-1})
        old = from_rgb[level - 1](downsample_avg(image, 2 * factor))
        x = old + (x - old) * alpha  # alpha 0 -> old path, 1 -> new block
        first = level - 1
    for i in range(first, -1, -1):  # down to the 4x4 head, blocks[0]
        x = blocks[i](x)
    return x


def _from_rgb(level: int, channels: int, slope: float):
    return keras.Sequential(
        [EqualizedConv2D(channels, 1, name="conv"), layers.LeakyReLU(slope)], name=f"from_rgb_{4 * 2**level}"
    )


def _down_block(level: int, channels: int, out_channels: int, slope: float):
    return keras.Sequential(
        [
            EqualizedConv2D(channels, 3, name="conv0"),
            layers.LeakyReLU(slope),
            EqualizedConv2D(out_channels, 3, name="conv1"),
            layers.LeakyReLU(slope),
            layers.AveragePooling2D(2),
        ],
        name=f"block_{4 * 2**level}",
    )


def _head(channels: int, slope: float, group_size: int):
    return keras.Sequential(
        [
            MinibatchStdDev(group_size, name="mbstd"),  # (N, 4, 4, C0 + 1)
            EqualizedConv2D(channels, 3, name="conv"),
            layers.LeakyReLU(slope),
            layers.Flatten(),
            EqualizedDense(channels, name="dense"),
            layers.LeakyReLU(slope),
            EqualizedDense(1, gain=1.0, name="score"),
        ],
        name="block_4",
    )
