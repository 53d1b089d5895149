"""InfoGAN generator for MNIST (Chen et al., 2016, Appendix C.1)."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

INPUT_NAMES = ("z", "c_cat", "c_cont")

# The distribution of the noise z, part of the generator's latent spec: the training step
# (InfoGANStep.sample_latents) and InfoGANModel's sampling both read it from the generator config
# (noise_of), so a generator is always sampled from the noise it was trained on.
# "normal": N(0, I) (the zoo's default); "uniform": U(-1, 1) per dimension, as in the official code.
NOISE = {"normal": "standard normal", "uniform": "uniform on [-1, 1)"}
DEFAULT_NOISE = "normal"


def check_noise(noise) -> str:
    """``noise`` if it is a known noise distribution (a key of :data:`NOISE`), else a ValueError."""
    if not isinstance(noise, str) or noise not in NOISE:
        raise ValueError(f"noise must be one of {', '.join(map(repr, NOISE))}, got {noise!r}")
    return noise


def noise_of(generator_config: dict) -> str:
    """The noise distribution of a generator built from ``generator_config`` (a preset's):
    its ``noise`` entry, or :data:`DEFAULT_NOISE` when the config predates the option.

    Examples:
    >>> noise_of({"latent_dim": 62}), noise_of({"latent_dim": 62, "noise": "uniform"})
    ('normal', 'uniform')
    """
    return check_noise(generator_config.get("noise", DEFAULT_NOISE))


def sample_noise(rng: np.random.Generator, n: int, latent_dim: int, noise: str) -> np.ndarray:
    """(n, latent_dim) float32 noise drawn with NumPy: N(0, 1), or U(-1, 1) in [-1, 1).

    Examples:
    >>> z = sample_noise(np.random.default_rng(0), 1000, 62, "uniform")
    >>> z.shape, z.dtype, bool(-1 <= z.min() and z.max() < 1)
    ((1000, 62), dtype('float32'), True)
    """
    if check_noise(noise) == "normal":
        return rng.standard_normal((n, latent_dim)).astype(np.float32)
    # float32 draws in [0, 1): 2u - 1 rounds into [-1, 1) (never up to 1.0, unlike casting a float64 draw).
    return 2.0 * rng.random((n, latent_dim), dtype=np.float32) - np.float32(1.0)


def sample_noise_tensor(batch_size: int, latent_dim: int, noise: str, seed):
    """(batch_size, latent_dim) noise drawn with ``keras.random`` (the training step's draw)."""
    if check_noise(noise) == "normal":
        return keras.random.normal((batch_size, latent_dim), seed=seed)
    return keras.random.uniform((batch_size, latent_dim), -1.0, 1.0, seed=seed)


@keras.saving.register_keras_serializable(package="zoo")
class InfoGANGenerator(keras.Model):
    """Noise plus latent codes -> image.

    The generator takes three named inputs, so exporters and callers see the
    codes explicitly: ``z`` (N, latent_dim) noise, ``c_cat`` (N, num_categories)
    one-hot categorical code and ``c_cont`` (N, num_continuous) continuous
    codes. Inside, they are concatenated; the network does not know which
    dimensions are "codes" (only the training objective makes them meaningful).

    Shapes for the paper's MNIST setup (the defaults):
    concat (N, 62 + 10 + 2 = 74) -> FC 1024 -> FC 7*7*128 -> reshape (N, 7, 7, 128)
    -> ConvT 64 4x4 s2 -> (N, 14, 14, 64) -> ConvT 1 4x4 s2 + tanh -> (N, 28, 28, 1).
    Each hidden layer is bias-free, then batch norm, then ReLU. tanh (not the
    paper's sigmoid) keeps the zoo-wide [-1, 1] output range.

    Args:
        latent_dim: size of the noise input ``z``.
        num_categories: size of the one-hot categorical code ``c_cat``.
        num_continuous: number of continuous codes in ``c_cont``.
        dense_units: width of the first fully connected layer.
        base_shape: (height, width, channels) of the projected feature map.
        filters: output channels of each hidden stride-2 transposed convolution.
        image_channels: channels of the output image.
        kernel_size: kernel size of every transposed convolution.
        noise: the distribution of ``z`` the generator is trained and sampled
            with, "normal" (N(0, I), the default) or "uniform" (U(-1, 1), the
            official code's). The network does not use it: it is the latent
            spec that the training step and :class:`InfoGANModel` read
            (:func:`noise_of`), recorded in the config.

    Examples:
    >>> g = InfoGANGenerator()
    >>> x = g({"z": np.zeros((2, 62)), "c_cat": np.eye(10)[[3, 7]], "c_cont": np.zeros((2, 2))})
    >>> tuple(x.shape)
    (2, 28, 28, 1)
    >>> g.get_config()["noise"], InfoGANGenerator(noise="uniform").noise
    ('normal', 'uniform')
    """

    def __init__(
        self,
        latent_dim: int = 62,
        num_categories: int = 10,
        num_continuous: int = 2,
        dense_units: int = 1024,
        base_shape=(7, 7, 128),
        filters=(64,),
        image_channels: int = 1,
        kernel_size: int = 4,
        noise: str = DEFAULT_NOISE,
        **kwargs,
    ):
        check_noise(noise)
        if num_categories < 2 or num_continuous < 0:
            raise ValueError(
                f"need num_categories >= 2 and num_continuous >= 0, got {num_categories}, {num_continuous}"
            )
        inputs = {
            "z": keras.Input((latent_dim,), name="z"),
            "c_cat": keras.Input((num_categories,), name="c_cat"),
            "c_cont": keras.Input((num_continuous,), name="c_cont"),
        }
        # (N, latent_dim + num_categories + num_continuous): one flat vector, as in the paper.
        x = layers.Concatenate(name="concat_codes")([inputs[k] for k in INPUT_NAMES])
        x = layers.Dense(dense_units, use_bias=False, name="fc")(x)
        x = layers.BatchNormalization(name="fc_bn")(x)
        x = layers.ReLU()(x)
        h, w, c = base_shape
        x = layers.Dense(h * w * c, use_bias=False, name="project")(x)
        x = layers.BatchNormalization(name="project_bn")(x)
        x = layers.ReLU()(x)
        x = layers.Reshape((h, w, c))(x)  # (N, 7, 7, 128)
        for i, f in enumerate(filters):  # each doubles the resolution
            x = layers.Conv2DTranspose(f, kernel_size, 2, padding="same", use_bias=False, name=f"deconv{i}")(x)
            x = layers.BatchNormalization(name=f"deconv{i}_bn")(x)
            x = layers.ReLU()(x)
        image = layers.Conv2DTranspose(
            image_channels, kernel_size, 2, padding="same", activation="tanh", name="to_image"
        )(x)
        super().__init__(inputs=inputs, outputs=image, **kwargs)
        self.latent_dim = latent_dim
        self.num_categories = num_categories
        self.num_continuous = num_continuous
        self.dense_units = dense_units
        self.base_shape = tuple(base_shape)
        self.filters = tuple(filters)
        self.image_channels = image_channels
        self.kernel_size = kernel_size
        self.noise = noise

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "num_categories": self.num_categories,
            "num_continuous": self.num_continuous,
            "dense_units": self.dense_units,
            "base_shape": self.base_shape,
            "filters": self.filters,
            "image_channels": self.image_channels,
            "kernel_size": self.kernel_size,
            "noise": self.noise,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
