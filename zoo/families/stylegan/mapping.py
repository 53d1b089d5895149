"""StyleGAN's mapping network f: z -> w (Karras et al., 2019, Sec. 2)."""

from __future__ import annotations

import keras
from keras import layers

from zoo.layers import EqualizedDense, PixelNorm


@keras.saving.register_keras_serializable(package="zoo")
class MappingNetwork(keras.layers.Layer):
    """Pixel-normalised z -> an MLP of equalized-LR dense layers -> w.

    ``z (N, latent_dim) -> PixelNorm -> [EqualizedDense -> LReLU] x num_layers
    -> w (N, w_dim)``; the hidden layers have ``hidden_units`` units and the
    last one ``w_dim``. Every layer uses the 0.01 learning-rate multiplier of
    the authors' code: the mapping learns a hundred times slower than the
    synthesis network, which keeps w (and its running average, the
    truncation centre) from racing ahead of the layers that read it. As in
    the authors' code the last layer is also followed by the LReLU.

    w is one vector per sample here; the generator broadcasts it to one copy
    per synthesis layer, (N, num_ws, w_dim), before truncation and mixing.

    Args:
        latent_dim: size of z.
        w_dim: size of w.
        num_layers: dense layers (8 in the paper, 2 in the authors' CIFAR config).
        hidden_units: width of the hidden layers (default ``w_dim``).
        lr_multiplier: learning-rate multiplier of every layer (0.01).
        leaky_slope: LeakyReLU slope (0.2).

    Examples:
    >>> f = MappingNetwork(latent_dim=64, w_dim=32, num_layers=2)
    >>> tuple(f(np.zeros((3, 64), "float32")).shape)
    (3, 32)
    """

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, num_layers: int = 4, hidden_units: int | None = None,
                 lr_multiplier: float = 0.01, leaky_slope: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim)
        self.num_layers = int(num_layers)
        self.hidden_units = int(hidden_units or w_dim)
        self.lr_multiplier = float(lr_multiplier)
        self.leaky_slope = float(leaky_slope)
        self.norm = PixelNorm(name="z_norm")
        units = [self.hidden_units] * (self.num_layers - 1) + [self.w_dim]
        self.dense = [EqualizedDense(u, lr_multiplier=self.lr_multiplier, name=f"dense{i}") for i, u in enumerate(units)]
        self.act = layers.LeakyReLU(self.leaky_slope)

    def build(self, input_shape=None):
        fan_in = self.latent_dim
        for layer in self.dense:
            layer.build((None, fan_in))
            fan_in = layer.units

    def call(self, z):
        x = self.norm(z)  # (N, latent_dim), unit mean square per sample
        for layer in self.dense:
            x = self.act(layer(x))  # (N, hidden_units), the last (N, w_dim)
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.w_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "latent_dim": self.latent_dim,
            "w_dim": self.w_dim,
            "num_layers": self.num_layers,
            "hidden_units": self.hidden_units,
            "lr_multiplier": self.lr_multiplier,
            "leaky_slope": self.leaky_slope,
        }
