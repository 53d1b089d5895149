"""DCGAN generator (Radford et al., 2016), as in the TensorFlow tutorial."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="zoo")
class DCGANGenerator(keras.Model):
    """Latent vector -> image through a dense projection and transposed convs.

    Shapes for the tutorial configuration (the defaults):
    z (N, 100) -> Dense -> (N, 7, 7, 256) -> ConvT 128 s1 -> (N, 7, 7, 128)
    -> ConvT 64 s2 -> (N, 14, 14, 64) -> ConvT 1 s2 + tanh -> (N, 28, 28, 1).
    Every layer but the last is followed by batch norm and the activation;
    layers feeding batch norm have no bias (the norm's beta replaces it).

    Args:
        latent_dim: size of the input latent z.
        base_shape: (height, width, channels) of the projected feature map.
        filters: output channels of each hidden transposed convolution.
        strides: stride of each hidden transposed convolution (same length
            as ``filters``); the output layer always has stride 2.
        image_channels: channels of the output image.
        kernel_size: kernel size of every transposed convolution.
        activation: "leaky_relu" (tutorial, slope 0.3) or "relu" (DCGAN paper).

    Examples:
    >>> g = DCGANGenerator(latent_dim=100)
    >>> x = keras.ops.convert_to_numpy(g(np.zeros((2, 100), "float32")))
    >>> x.shape, bool(np.abs(x).max() <= 1)  # tanh images
    ((2, 28, 28, 1), True)
    """

    def __init__(
        self,
        latent_dim: int = 100,
        base_shape=(7, 7, 256),
        filters=(128, 64),
        strides=(1, 2),
        image_channels: int = 1,
        kernel_size: int = 5,
        activation: str = "leaky_relu",
        **kwargs,
    ):
        if len(filters) != len(strides):
            raise ValueError(f"filters {filters} and strides {strides} must have the same length")
        if activation not in ("leaky_relu", "relu"):
            raise ValueError(f"activation must be 'leaky_relu' or 'relu', got {activation!r}")

        def act():
            return layers.LeakyReLU(0.3) if activation == "leaky_relu" else layers.ReLU()

        z = keras.Input((latent_dim,), name="z")
        h, w, c = base_shape
        x = layers.Dense(h * w * c, use_bias=False, name="project")(z)
        x = layers.BatchNormalization(name="project_bn")(x)
        x = act()(x)
        x = layers.Reshape((h, w, c))(x)
        for i, (f, s) in enumerate(zip(filters, strides)):
            x = layers.Conv2DTranspose(f, kernel_size, s, padding="same", use_bias=False, name=f"deconv{i}")(x)
            x = layers.BatchNormalization(name=f"deconv{i}_bn")(x)
            x = act()(x)
        x = layers.Conv2DTranspose(
            image_channels, kernel_size, 2, padding="same", use_bias=False, activation="tanh", name="to_image"
        )(x)
        super().__init__(inputs=z, outputs=x, **kwargs)
        self.latent_dim = latent_dim
        self.base_shape = tuple(base_shape)
        self.filters = tuple(filters)
        self.strides = tuple(strides)
        self.image_channels = image_channels
        self.kernel_size = kernel_size
        self.activation = activation

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "base_shape": self.base_shape,
            "filters": self.filters,
            "strides": self.strides,
            "image_channels": self.image_channels,
            "kernel_size": self.kernel_size,
            "activation": self.activation,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
