"""DCGAN discriminator: strided convolutions to a single real/fake logit."""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="zoo")
class DCGANDiscriminator(keras.Model):
    """Image -> one logit (no sigmoid: the losses take logits for stability).

    Shapes for the defaults: (N, 28, 28, 1) -> Conv 64 s2 -> (N, 14, 14, 64)
    -> Conv 128 s2 -> (N, 7, 7, 128) -> flatten -> Dense -> (N, 1).

    Args:
        image_shape: (height, width, channels) of the input images.
        filters: channels of each stride-2 convolution.
        kernel_size: kernel size of every convolution.
        leaky_slope: negative slope of the LeakyReLU after each convolution.
        dropout: dropout rate after each convolution (0 disables it).

    Examples:
    >>> d = DCGANDiscriminator(image_shape=(28, 28, 1))
    >>> tuple(d(np.zeros((2, 28, 28, 1), "float32")).shape)  # one logit per image
    (2, 1)
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        filters=(64, 128),
        kernel_size: int = 5,
        leaky_slope: float = 0.3,
        dropout: float = 0.3,
        **kwargs,
    ):
        image = keras.Input(tuple(image_shape), name="image")
        x = image
        for i, f in enumerate(filters):
            x = layers.Conv2D(f, kernel_size, 2, padding="same", name=f"conv{i}")(x)
            x = layers.LeakyReLU(leaky_slope)(x)
            if dropout:
                x = layers.Dropout(dropout)(x)
        x = layers.Flatten()(x)
        logit = layers.Dense(1, name="logit")(x)
        super().__init__(inputs=image, outputs=logit, **kwargs)
        self.image_shape = tuple(image_shape)
        self.filters = tuple(filters)
        self.kernel_size = kernel_size
        self.leaky_slope = leaky_slope
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": self.image_shape,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "leaky_slope": self.leaky_slope,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
