"""InfoGAN generator for MNIST (Chen et al., 2016, Appendix C.1)."""

from __future__ import annotations

import keras
from keras import layers

INPUT_NAMES = ("z", "c_cat", "c_cont")


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

    Examples:
    >>> g = InfoGANGenerator()
    >>> x = g({"z": np.zeros((2, 62)), "c_cat": np.eye(10)[[3, 7]], "c_cont": np.zeros((2, 2))})
    >>> tuple(x.shape)
    (2, 28, 28, 1)
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
        **kwargs,
    ):
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
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
