"""Fully connected layer with the equalized learning rate of Karras et al. (2018)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class EqualizedDense(keras.layers.Layer):
    """Dense layer whose weights are stored N(0, 1) and scaled at run time.

    ProGAN's equalized learning rate (Karras et al., 2018, Sec. 4.1): the
    stored kernel is drawn from N(0, 1) and multiplied on every call by the He
    constant ``gain / sqrt(fan_in)``. At initialisation the effective weights
    are therefore He-initialised, but because the scale is part of the model
    rather than of the initial values, Adam/RMSProp (whose step size does not
    depend on the gradient's scale) move every layer's effective weights at
    the same relative speed.

    ``lr_multiplier`` (StyleGAN's mapping network uses 0.01) slows one layer
    down: the stored kernel is drawn from N(0, 1 / lr_multiplier**2) and the
    run-time scale is multiplied by ``lr_multiplier``, so the effective
    weights at initialisation are unchanged while an Adam step of size ``lr``
    on the stored kernel moves the effective weight by about
    ``lr * lr_multiplier * gain / sqrt(fan_in)``. The bias is handled the same
    way (stored as ``bias_init / lr_multiplier``, used times ``lr_multiplier``).

    Shapes: (..., fan_in) -> (..., units).

    Args:
        units: output features.
        gain: He gain; sqrt(2) before a (leaky) ReLU, 1 for a linear output.
        lr_multiplier: learning-rate multiplier of this layer (see above).
        use_bias: add a bias after the matrix product.
        bias_init: the effective initial value of the bias (StyleGAN's style
            affines start at 1).

    Examples:
    >>> layer = EqualizedDense(64, lr_multiplier=0.01)
    >>> tuple(layer(np.zeros((2, 32), "float32")).shape)
    (2, 64)
    """

    def __init__(self, units: int, gain: float = math.sqrt(2.0), lr_multiplier: float = 1.0,
                 use_bias: bool = True, bias_init: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if lr_multiplier <= 0:
            raise ValueError(f"lr_multiplier must be > 0, got {lr_multiplier}")
        self.units = int(units)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.bias_init = float(bias_init)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        # Effective weight = kernel * scale with kernel ~ N(0, 1/lr^2): He std gain/sqrt(fan_in).
        self.scale = self.gain / math.sqrt(fan_in) * self.lr_multiplier
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
            )

    def call(self, inputs):
        x = ops.matmul(inputs, self.kernel * self.scale)
        if self.bias is not None:
            x = x + self.bias * self.lr_multiplier
        return x

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "bias_init": self.bias_init,
        }
