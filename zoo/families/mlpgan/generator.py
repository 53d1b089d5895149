"""Fully connected GAN generator (Goodfellow et al., 2014; seeds 004 and 002)."""

from __future__ import annotations

import math

import keras
from keras import layers


def _activation(name: str):
    if name == "leaky_relu":
        return layers.LeakyReLU(0.3)
    if name == "gelu":
        return layers.Activation("gelu")
    raise ValueError(f"activation must be 'leaky_relu' or 'gelu', got {name!r}")


@keras.saving.register_keras_serializable(package="zoo")
class MLPGenerator(keras.Model):
    """Latent vector -> image through dense layers.

    Shapes (seed 004 defaults): z (N, 100) -> Dense 256 -> Dense 512
    -> Dense 784 + tanh -> reshape (N, 28, 28, 1). With ``batch_norm`` each
    hidden Dense is bias-free and followed by batch norm, then the activation.
    tanh (not seed 002's sigmoid) keeps the zoo-wide [-1, 1] output range.

    Args:
        latent_dim: size of z.
        hidden_units: widths of the hidden dense layers.
        image_shape: output (height, width, channels).
        batch_norm: batch norm after each hidden dense layer.
        activation: "leaky_relu" (seed 004) or "gelu" (seed 002).

    Examples:
    >>> g = MLPGenerator(latent_dim=30, hidden_units=(100, 150), batch_norm=False, activation="gelu")
    >>> tuple(g(np.zeros((2, 30), "float32")).shape)
    (2, 28, 28, 1)
    """

    def __init__(self, latent_dim=100, hidden_units=(256, 512), image_shape=(28, 28, 1),
                 batch_norm=True, activation="leaky_relu", **kwargs):
        _activation(activation)  # validate early
        z = keras.Input((latent_dim,), name="z")
        x = z
        for i, units in enumerate(hidden_units):
            x = layers.Dense(units, use_bias=not batch_norm, name=f"dense{i}")(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"dense{i}_bn")(x)
            x = _activation(activation)(x)
        x = layers.Dense(math.prod(image_shape), activation="tanh", name="to_pixels")(x)
        image = layers.Reshape(tuple(image_shape), name="image")(x)
        super().__init__(inputs=z, outputs=image, **kwargs)
        self.latent_dim = latent_dim
        self.hidden_units = tuple(hidden_units)
        self.image_shape = tuple(image_shape)
        self.batch_norm = batch_norm
        self.activation = activation

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "hidden_units": self.hidden_units,
            "image_shape": self.image_shape,
            "batch_norm": self.batch_norm,
            "activation": self.activation,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
