"""2-D convolution with the equalized learning rate of Karras et al. (2018)."""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class EqualizedConv2D(keras.layers.Layer):
    """Stride-1 convolution whose kernel is stored N(0, 1) and scaled at run time.

    The convolutional twin of :class:`zoo.layers.EqualizedDense`: the
    effective kernel is ``kernel * gain / sqrt(k * k * in_channels) *
    lr_multiplier`` (the He constant of the layer's fan-in), the stored kernel
    starts N(0, 1 / lr_multiplier**2). Resampling is left to separate
    up/downsampling steps, as in ProGAN, so there is no stride argument.

    Shapes (NHWC): (N, H, W, C_in) -> (N, H, W, filters) with "same" padding,
    (N, H - k + 1, W - k + 1, filters) with "valid".

    Args:
        filters: output channels.
        kernel_size: square kernel size (3 for ProGAN blocks, 1 for toRGB/fromRGB).
        gain: He gain; sqrt(2) before a (leaky) ReLU, 1 for a linear output.
        lr_multiplier: learning-rate multiplier (see ``EqualizedDense``).
        use_bias: add a per-channel bias.
        padding: "same" or "valid".

    Examples:
    >>> conv = EqualizedConv2D(16, 3)
    >>> tuple(conv(np.zeros((2, 8, 8, 4), "float32")).shape)
    (2, 8, 8, 16)
    >>> round(conv.scale, 4)  # sqrt(2) / sqrt(3 * 3 * 4)
    0.2357
    """

    def __init__(self, filters: int, kernel_size: int = 3, gain: float = math.sqrt(2.0),
                 lr_multiplier: float = 1.0, use_bias: bool = True, padding: str = "same", **kwargs):
        super().__init__(**kwargs)
        if lr_multiplier <= 0:
            raise ValueError(f"lr_multiplier must be > 0, got {lr_multiplier}")
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.padding = padding

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        k = self.kernel_size
        self.scale = self.gain / math.sqrt(k * k * in_channels) * self.lr_multiplier
        self.kernel = self.add_weight(
            name="kernel",
            shape=(k, k, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        # Scaling the (k, k, C_in, F) kernel is cheaper than scaling the (N, H, W, F) output.
        x = ops.conv(inputs, self.kernel * self.scale, strides=1, padding=self.padding)
        if self.bias is not None:
            x = x + self.bias * self.lr_multiplier
        return x

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        if self.padding == "valid":
            h = None if h is None else h - self.kernel_size + 1
            w = None if w is None else w - self.kernel_size + 1
        return (n, h, w, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "gain": self.gain,
            "lr_multiplier": self.lr_multiplier,
            "use_bias": self.use_bias,
            "padding": self.padding,
        }
