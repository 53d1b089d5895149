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
        spectral_norm: wrap every convolution and the logit layer in
            ``keras.layers.SpectralNormalization`` (Miyato et al., 2018): each
            training-mode call runs one power iteration and divides the kernel
            by its largest singular value (written back into the kernel).
            Off by default (the shipped weights have no such wrapper). Backends
            differ inside the compiled train step: TensorFlow and PyTorch
            write the normalised kernel back; JAX's step keeps the raw kernel
            (forward writes to trained weights are dropped) and differentiates
            through the normalisation. PyTorch needs the step's ``joint_batch``
            (one D call per step: autograd refuses the in-place rewrite of a
            kernel that an earlier call still needs).

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
        spectral_norm: bool = False,
        **kwargs,
    ):
        def sn(layer):  # the layer itself when off: the same variables as without the option
            return layers.SpectralNormalization(layer, name=f"{layer.name}_sn") if spectral_norm else layer

        image = keras.Input(tuple(image_shape), name="image")
        x = image
        for i, f in enumerate(filters):
            x = sn(layers.Conv2D(f, kernel_size, 2, padding="same", name=f"conv{i}"))(x)
            x = layers.LeakyReLU(leaky_slope)(x)
            if dropout:
                x = layers.Dropout(dropout)(x)
        x = layers.Flatten()(x)
        logit = sn(layers.Dense(1, name="logit"))(x)
        super().__init__(inputs=image, outputs=logit, **kwargs)
        self.image_shape = tuple(image_shape)
        self.filters = tuple(filters)
        self.kernel_size = kernel_size
        self.leaky_slope = leaky_slope
        self.dropout = dropout
        self.spectral_norm = spectral_norm

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": self.image_shape,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "leaky_slope": self.leaky_slope,
            "dropout": self.dropout,
            "spectral_norm": self.spectral_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
