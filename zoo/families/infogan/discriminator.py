"""InfoGAN discriminator with the auxiliary head Q on a shared body."""

from __future__ import annotations

import keras
from keras import layers

OUTPUT_NAMES = ("logit", "cat_logits", "cont_mean", "cont_log_std")


@keras.saving.register_keras_serializable(package="zoo")
class InfoGANDiscriminator(keras.Model):
    """Image -> real/fake logit and Q's posterior over the latent codes.

    D and Q share every layer up to FC 1024 (the paper's point: Q costs
    almost nothing), so Q's variables are part of this model and train with
    the discriminator's optimiser.

    Shapes for the paper's MNIST setup (the defaults):
    (N, 28, 28, 1) -> Conv 64 4x4 s2 -> (N, 14, 14, 64) -> Conv 128 4x4 s2 + BN
    -> (N, 7, 7, 128) -> flatten -> FC 1024 + BN -> body (N, 1024), then
    - ``logit`` (N, 1): Dense 1 on the body (no sigmoid: losses take logits);
    - Q: FC 128 + BN on the body -> ``cat_logits`` (N, 10), ``cont_mean`` (N, 2)
      and ``cont_log_std`` (N, 2) of a factored Gaussian over the continuous codes.
    Leaky ReLU (slope 0.1) after every hidden layer; the first conv has no BN.

    Args:
        image_shape: (height, width, channels) of the input images.
        filters: channels of each stride-2 convolution.
        kernel_size: kernel size of every convolution.
        dense_units: width of the shared fully connected layer.
        q_units: width of Q's own hidden layer.
        num_categories: classes of the categorical code.
        num_continuous: number of continuous codes.
        leaky_slope: negative slope of every leaky ReLU.

    Examples:
    >>> d = InfoGANDiscriminator()
    >>> out = d(np.zeros((2, 28, 28, 1), "float32"))
    >>> {k: tuple(v.shape) for k, v in sorted(out.items())}
    {'cat_logits': (2, 10), 'cont_log_std': (2, 2), 'cont_mean': (2, 2), 'logit': (2, 1)}
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        filters=(64, 128),
        kernel_size: int = 4,
        dense_units: int = 1024,
        q_units: int = 128,
        num_categories: int = 10,
        num_continuous: int = 2,
        leaky_slope: float = 0.1,
        **kwargs,
    ):
        image = keras.Input(tuple(image_shape), name="image")
        x = image
        for i, f in enumerate(filters):
            first = i == 0  # no batch norm on the input layer (DCGAN practice, as in the paper)
            x = layers.Conv2D(f, kernel_size, 2, padding="same", use_bias=first, name=f"conv{i}")(x)
            if not first:
                x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
            x = layers.LeakyReLU(leaky_slope)(x)
        x = layers.Flatten()(x)
        x = layers.Dense(dense_units, use_bias=False, name="fc")(x)
        x = layers.BatchNormalization(name="fc_bn")(x)
        body = layers.LeakyReLU(leaky_slope)(x)  # (N, dense_units), shared by D and Q
        q = layers.Dense(q_units, use_bias=False, name="q_fc")(body)
        q = layers.BatchNormalization(name="q_fc_bn")(q)
        q = layers.LeakyReLU(leaky_slope)(q)  # (N, q_units)
        outputs = {
            "logit": layers.Dense(1, name="logit")(body),
            "cat_logits": layers.Dense(num_categories, name="q_cat_logits")(q),
            "cont_mean": layers.Dense(num_continuous, name="q_cont_mean")(q),
            "cont_log_std": layers.Dense(num_continuous, name="q_cont_log_std")(q),
        }
        super().__init__(inputs=image, outputs=outputs, **kwargs)
        self.image_shape = tuple(image_shape)
        self.filters = tuple(filters)
        self.kernel_size = kernel_size
        self.dense_units = dense_units
        self.q_units = q_units
        self.num_categories = num_categories
        self.num_continuous = num_continuous
        self.leaky_slope = leaky_slope

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_shape": self.image_shape,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dense_units": self.dense_units,
            "q_units": self.q_units,
            "num_categories": self.num_categories,
            "num_continuous": self.num_continuous,
            "leaky_slope": self.leaky_slope,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
