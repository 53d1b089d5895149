"""Fully connected GAN discriminator: flattened image -> one logit."""

from __future__ import annotations

import keras
from keras import layers

from zoo.families.mlpgan.generator import _activation
from zoo.layers import MinibatchStdDev


@keras.saving.register_keras_serializable(package="zoo")
class MLPDiscriminator(keras.Model):
    """(N, 28, 28, 1) -> flatten (N, 784) -> Dense 512 -> Dense 256 -> logit (N, 1).

    Options that fight mode collapse (off by default, as the seeds): dropout after each
    hidden layer, and a minibatch standard-deviation feature appended before the logit
    (N, 256) -> (N, 257): the ProGAN statistic over groups of consecutive samples, so
    that the joint batch [reals; fakes] never mixes the two in one group.

    Args:
        image_shape: input (height, width, channels).
        hidden_units: widths of the hidden dense layers.
        batch_norm: batch norm after each hidden dense layer (seed 004).
        activation: "leaky_relu" (seed 004) or "gelu" (seed 002).
        spectral_norm: wrap every dense layer in ``keras.layers.SpectralNormalization``
            (off by default: the shipped weights have no such wrapper; see
            ``DCGANDiscriminator`` for how the backends differ in training).
        dropout: dropout rate after each hidden activation (0: none).
        minibatch_std: group size of the minibatch stddev feature (0: none). The
            batch (2N for a joint batch) must be divisible by it.

    Examples:
    >>> d = MLPDiscriminator()
    >>> tuple(d(np.zeros((2, 28, 28, 1), "float32")).shape)
    (2, 1)
    """

    def __init__(self, image_shape=(28, 28, 1), hidden_units=(512, 256), batch_norm=True,
                 activation="leaky_relu", spectral_norm=False, dropout=0.0, minibatch_std=0, **kwargs):
        def sn(layer):  # the layer itself when off: the same variables as without the option
            return layers.SpectralNormalization(layer, name=f"{layer.name}_sn") if spectral_norm else layer

        image = keras.Input(tuple(image_shape), name="image")
        x = layers.Flatten()(image)
        for i, units in enumerate(hidden_units):
            x = sn(layers.Dense(units, use_bias=not batch_norm, name=f"dense{i}"))(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"dense{i}_bn")(x)
            x = _activation(activation)(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"dense{i}_dropout")(x)
        if minibatch_std:  # (N, F) -> (N, 1, 1, F) -> (N, 1, 1, F + 1) -> (N, F + 1)
            x = layers.Reshape((1, 1, hidden_units[-1]))(x)
            x = MinibatchStdDev(minibatch_std, contiguous=True, name="mbstd")(x)
            x = layers.Flatten()(x)
        logit = sn(layers.Dense(1, name="logit"))(x)
        super().__init__(inputs=image, outputs=logit, **kwargs)
        self.image_shape = tuple(image_shape)
        self.hidden_units = tuple(hidden_units)
        self.batch_norm = batch_norm
        self.activation = activation
        self.spectral_norm = spectral_norm
        self.dropout = float(dropout)
        self.minibatch_std = int(minibatch_std)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": self.image_shape,
            "hidden_units": self.hidden_units,
            "batch_norm": self.batch_norm,
            "activation": self.activation,
            "spectral_norm": self.spectral_norm,
            "dropout": self.dropout,
            "minibatch_std": self.minibatch_std,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
