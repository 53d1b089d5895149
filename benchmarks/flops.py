"""FLOPs per image, counted from layer shapes (no profiler, so every backend gets the same number).

Conventions (one multiply-add is 2 FLOPs; the batch dimension is excluded):

- ``Dense``: ``2 * in * units`` per position, + ``units`` for the bias.
- ``Conv2D``: ``2 * Ho * Wo * Co * kh * kw * Ci / groups``, + ``Ho * Wo * Co`` for the bias.
- ``Conv2DTranspose``: every input pixel is multiplied by the whole kernel,
  ``2 * Hi * Wi * Ci * kh * kw * Co`` (taps that "same" padding crops are
  counted: the kernels compute them), + ``Ho * Wo * Co`` for the bias.
- ``BatchNormalization``: 2 per element (the normalisation folded into one
  scale and one shift, as the kernels run it).
- Activations (also a fused ``activation=``): 1 per element. Merges (``Add``,
  ``Multiply``, ...): 1 per output element per extra input. Pooling: one per
  window element. Reshapes, padding, dropout (identity at inference) and
  nearest-neighbour upsampling move data only: 0.
- Nested functional models are counted layer by layer. Any other layer type
  is listed in ``uncounted`` rather than guessed.

A GAN train step is estimated from the forward counts ``G`` and ``D`` (see
:func:`train_step_flops`).
"""

from __future__ import annotations

import dataclasses
import math

import keras

ZERO_COST = (
    "InputLayer", "Reshape", "Flatten", "Dropout", "SpatialDropout2D", "GaussianNoise", "ZeroPadding2D",
    "Cropping2D", "Concatenate", "Permute", "RepeatVector", "UpSampling2D", "Identity", "Rescaling",
)
ELEMENTWISE = ("LeakyReLU", "ReLU", "ELU", "PReLU", "Softmax", "Activation")
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
POOLING = ("AveragePooling2D", "MaxPooling2D")


@dataclasses.dataclass
class FlopCount:
    """Forward FLOPs per image of one model.

    Attributes:
        total: FLOPs per image.
        per_layer: ``[(layer name, class, FLOPs)]`` in model order.
        uncounted: names of layers of a type this module does not know.
    """

    total: int
    per_layer: list
    uncounted: list

    def to_dict(self) -> dict:
        return {"total": self.total, "uncounted": self.uncounted,
                "per_layer": [{"layer": n, "class": c, "flops": f} for n, c, f in self.per_layer]}


def _elements(shape) -> int:
    return math.prod(int(d) for d in shape[1:])


def _activation_flops(layer, out_shape) -> int:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None)
    return 0 if act is None or name == "linear" else _elements(out_shape)


def layer_flops(layer) -> int | None:
    """Forward FLOPs per image of one called layer, or None for an unknown type.

    Examples:
    >>> d = keras.layers.Dense(3)
    >>> _ = keras.Sequential([keras.Input((4,)), d])
    >>> layer_flops(d)  # 2 * 4 * 3 multiply-adds + 3 biases
    27
    """
    kind = type(layer).__name__
    if kind in ZERO_COST:
        return 0
    in_shape, out_shape = tuple(layer.input.shape), tuple(layer.output.shape)
    out = _elements(out_shape)
    bias = out if getattr(layer, "use_bias", False) else 0
    if kind == "Dense":
        positions = math.prod(int(d) for d in in_shape[1:-1])
        return 2 * positions * int(in_shape[-1]) * layer.units + bias + _activation_flops(layer, out_shape)
    if kind == "Conv2D":
        kh, kw = layer.kernel_size
        macs = out * kh * kw * int(in_shape[-1]) // layer.groups
        return 2 * macs + bias + _activation_flops(layer, out_shape)
    if kind == "Conv2DTranspose":
        kh, kw = layer.kernel_size
        macs = _elements(in_shape) * kh * kw * layer.filters
        return 2 * macs + bias + _activation_flops(layer, out_shape)
    if kind in ("BatchNormalization",):
        return 2 * out
    if kind in ELEMENTWISE:
        return out
    if kind in MERGES:
        return out * (len(layer.input) - 1 if isinstance(layer.input, (list, tuple)) else 0)
    if kind in POOLING:
        return out * math.prod(layer.pool_size)
    return None


def count_flops(model) -> FlopCount:
    """Forward FLOPs per image of a built functional Keras model.

    Args:
        model: a functional ``keras.Model`` (or Sequential); nested
            functional models are descended into.

    Returns:
        A :class:`FlopCount`.

    Examples:
    >>> m = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Conv2DTranspose(2, 3, 2, padding="same")])
    >>> count_flops(m).total  # 2 * (2*2*3) * (3*3) * 2 + 4*4*2 biases
    464
    """
    per_layer, uncounted = [], []
    for layer in model.layers:
        if isinstance(layer, keras.Model) and hasattr(layer, "_nodes_by_depth"):
            inner = count_flops(layer)
            per_layer += [(f"{layer.name}/{n}", c, f) for n, c, f in inner.per_layer]
            uncounted += [f"{layer.name}/{n}" for n in inner.uncounted]
            continue
        try:
            f = layer_flops(layer)
        except (AttributeError, ValueError):  # a layer called more than once has no single shape
            f = None
        if f is None:
            uncounted.append(layer.name)
            f = 0
        per_layer.append((layer.name, type(layer).__name__, int(f)))
    return FlopCount(sum(f for _, _, f in per_layer), per_layer, uncounted)


def train_step_flops(generator_flops: int, discriminator_flops: int) -> dict:
    """FLOPs per image of one simultaneous GAN step, from the forward counts.

    The estimate, for the non-saturating step every current family uses:
    forward ``G + 2D`` (D sees a real and a fake image); a backward pass
    costs about twice its forward (input and weight gradients), so the
    discriminator loss adds ``2 * 2D`` and the generator loss adds ``D``
    (input gradients through D on the fake) plus ``2G``. Total
    ``3G + 7D``. Optimiser and EMA updates scale with parameters, not
    images, and are left out (under 1% here at batch 32 and above).

    Args:
        generator_flops: forward FLOPs per image of the generator.
        discriminator_flops: forward FLOPs per image of the discriminator.

    Returns:
        ``{"total", "formula"}``.

    Examples:
    >>> train_step_flops(10, 1)["total"]
    37
    """
    return {"total": 3 * generator_flops + 7 * discriminator_flops, "formula": "3*G + 7*D (forward G + 2D, backward ~2x)"}


def model_flops(model) -> dict:
    """Generator, discriminator and train-step FLOPs per image of a ZooModel with its discriminator.

    Examples:
    >>> f = model_flops(zoo.load("dcgan-mnist", weights=None, with_discriminator=True))
    >>> f["generator"] > 0
    True
    """
    g = count_flops(model.generator)
    out = {"generator": g.total, "generator_uncounted": g.uncounted}
    if model.discriminator is not None:
        d = count_flops(model.discriminator)
        step = train_step_flops(g.total, d.total)
        out.update(discriminator=d.total, discriminator_uncounted=d.uncounted,
                   train_step=step["total"], train_step_formula=step["formula"])
    return out
