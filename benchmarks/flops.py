"""FLOPs per image, counted from layer shapes (no profiler, so every backend gets the same number).

The model is called once on a batch of one and every leaf layer's call (a
layer with no sublayers) is recorded with its input and output shapes, so
functional models, ``Sequential`` blocks and subclassed containers (StyleGAN's
mapping and synthesis networks) are counted the same way, and only the layers
on the path that ran are counted (ProGAN's final-resolution graph, not its
unused lower toRGB layers).

Conventions (one multiply-add is 2 FLOPs; the batch dimension is excluded):

- ``Dense`` / ``EqualizedDense``: ``2 * in * units`` per position, + ``units``
  for the bias. Equalized layers scale their weights once per call: that
  work scales with parameters, not images, and is left out like the optimiser.
- ``Conv2D`` / ``EqualizedConv2D``: ``2 * Ho * Wo * Co * kh * kw * Ci / groups``,
  + ``Ho * Wo * Co`` for the bias.
- ``Conv2DTranspose``: every input pixel is multiplied by the whole kernel,
  ``2 * Hi * Wi * Ci * kh * kw * Co`` (taps that "same" padding crops are
  counted: the kernels compute them), + ``Ho * Wo * Co`` for the bias.
- ``BatchNormalization``: 2 per element (the normalisation folded into one
  scale and one shift, as the kernels run it).
- Activations (also a fused ``activation=``): 1 per element. Merges (``Add``,
  ``Multiply``, ...): 1 per output element per extra input. Pooling: one per
  window element. Reshapes, padding, dropout (identity at inference) and
  nearest-neighbour upsampling move data only: 0.
- Per input element: ``PixelNorm`` 3 (square, mean, scale), ``MinibatchStdDev``
  4 (centre, square, mean, root), ``AdaIN`` 7 (mean, centre, square, mean,
  normalise, scale, shift); ``Truncation`` 3 per output element (a lerp).
- Glue a container computes itself between its layers (StyleGAN's noise and
  bias adds, ProGAN's fade-in blend and average pooling) is not counted: a few
  FLOPs per element against hundreds for the 3x3 convolutions around it.
- Any other leaf layer type is listed in ``uncounted`` rather than guessed.

A GAN train step is estimated from the forward counts ``G`` and ``D`` (see
:func:`train_step_flops`).
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np

ZERO_COST = (
    "InputLayer", "Reshape", "Flatten", "Dropout", "SpatialDropout2D", "GaussianNoise", "ZeroPadding2D",
    "Cropping2D", "Concatenate", "Permute", "RepeatVector", "UpSampling2D", "Identity", "Rescaling",
    "NearestUpsample2D",
)
ELEMENTWISE = ("LeakyReLU", "ReLU", "ELU", "PReLU", "Softmax", "Activation")
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
POOLING = ("AveragePooling2D", "MaxPooling2D")
PER_INPUT_ELEMENT = {"PixelNorm": 3, "MinibatchStdDev": 4, "AdaIN": 7}


@dataclasses.dataclass
class FlopCount:
    """Forward FLOPs per image of one model.

    Attributes:
        total: FLOPs per image.
        per_layer: ``[(layer name, class, FLOPs)]`` in call order.
        uncounted: names of leaf layers of a type this module does not know.
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


def _pair(k) -> tuple:
    return (int(k), int(k)) if isinstance(k, int) else tuple(int(v) for v in k)


def layer_flops(layer, in_shapes: list, out_shape) -> int | None:
    """Forward FLOPs per image of one call of ``layer``, or None for an unknown type.

    Args:
        layer: the layer.
        in_shapes: shapes of the call's tensor arguments, the main input first.
        out_shape: shape of the call's output.

    Examples:
    >>> layer_flops(keras.layers.Dense(3), [(1, 4)], (1, 3))  # 2 * 4 * 3 multiply-adds + 3 biases
    27
    """
    kind = type(layer).__name__
    if kind in ZERO_COST:
        return 0
    in_shape = tuple(in_shapes[0])
    out = _elements(out_shape)
    bias = out if getattr(layer, "use_bias", False) else 0
    if kind in ("Dense", "EqualizedDense"):
        positions = math.prod(int(d) for d in in_shape[1:-1])
        return 2 * positions * int(in_shape[-1]) * layer.units + bias + _activation_flops(layer, out_shape)
    if kind in ("Conv2D", "EqualizedConv2D"):
        kh, kw = _pair(layer.kernel_size)
        macs = out * kh * kw * int(in_shape[-1]) // getattr(layer, "groups", 1)
        return 2 * macs + bias + _activation_flops(layer, out_shape)
    if kind == "Conv2DTranspose":
        kh, kw = _pair(layer.kernel_size)
        macs = _elements(in_shape) * kh * kw * layer.filters
        return 2 * macs + bias + _activation_flops(layer, out_shape)
    if kind == "BatchNormalization":
        return 2 * out
    if kind in ELEMENTWISE:
        return out
    if kind in MERGES:
        return out * (len(in_shapes) - 1)
    if kind in POOLING:
        return out * math.prod(_pair(layer.pool_size))
    if kind in PER_INPUT_ELEMENT:
        return PER_INPUT_ELEMENT[kind] * _elements(in_shape)
    if kind == "Truncation":
        return 3 * out
    return None


def _leaves(model) -> list:
    return [layer for layer in model._flatten_layers(include_self=False)
            if not list(layer._flatten_layers(include_self=False))]


def _example_inputs(model):
    """A batch of one standard-normal input per model input (ones for a scalar like psi)."""
    rng = np.random.default_rng(0)

    def one(spec):
        shape = (1, *[int(d) for d in spec.shape[1:]])
        return rng.standard_normal(shape).astype("float32") if len(shape) > 1 and shape[-1] > 1 \
            else np.ones(shape, "float32")

    for owner in (model, getattr(model, "_functional", None)):  # a Sequential keeps its graph in _functional
        try:
            return keras.tree.map_structure(one, owner.input)
        except (AttributeError, ValueError):
            continue
    raise ValueError(f"{model.name} has no defined input; pass count_flops(model, inputs=...)")


def count_flops(model, inputs=None) -> FlopCount:
    """Forward FLOPs per image of a built Keras model.

    Calls the model once (inference mode) on ``inputs`` (default: a batch of
    one built from ``model.input``), recording every leaf layer call.

    Args:
        model: a built ``keras.Model`` (functional, Sequential or subclassed).
        inputs: a batch of one for the model, when ``model.input`` is not defined.

    Returns:
        A :class:`FlopCount`.

    Examples:
    >>> m = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Conv2DTranspose(2, 3, 2, padding="same")])
    >>> count_flops(m).total  # 2 * (2*2*3) * (3*3) * 2 + 4*4*2 biases
    464
    """
    records = []

    def recording(layer):
        original = layer.call

        def call(*args, **kwargs):
            out = original(*args, **kwargs)
            shapes = [tuple(t.shape) for t in keras.tree.flatten((args, kwargs)) if hasattr(t, "shape")]
            records.append((layer, shapes, tuple(keras.tree.flatten(out)[0].shape)))
            return out

        return call

    leaves = _leaves(model)
    for layer in leaves:
        object.__setattr__(layer, "call", recording(layer))  # an instance attribute shadows the method
    try:
        model(_example_inputs(model) if inputs is None else inputs, training=False)
    finally:
        for layer in leaves:
            object.__delattr__(layer, "call")
    per_layer, uncounted = [], []
    for layer, in_shapes, out_shape in records:
        f = layer_flops(layer, in_shapes, out_shape)
        if f is None:
            uncounted.append(layer.name)
        per_layer.append((layer.name, type(layer).__name__, int(f or 0)))
    return FlopCount(sum(f for _, _, f in per_layer), per_layer, uncounted)


def train_step_flops(generator_flops: int, discriminator_flops: int, cost=None) -> dict:
    """FLOPs per image of one GAN train step, from the forward counts.

    The step declares its cost in forward passes (``GANStep.cost()``, a
    :class:`zoo.training.step.StepCost`): for the non-saturating step, forward
    ``G + 2D`` (D sees a real and a fake image) and a backward pass of about
    twice its forward give ``3G + 7D``; WGAN-GP (``3G + 13D``) and R1
    (``3G + 10D``) add the penalty's input gradient and its double backward.
    Optimiser and EMA updates scale with parameters, not images, and are
    left out (under 1% here at batch 32 and above).

    Args:
        generator_flops: forward FLOPs per image of the generator.
        discriminator_flops: forward FLOPs per image of the discriminator.
        cost: the step's ``StepCost``; None: the non-saturating step's.

    Returns:
        ``{"total", "formula"}``.

    Examples:
    >>> from zoo.families.progan.step import WGAN_GP_COST
    >>> train_step_flops(10, 1)["total"], train_step_flops(10, 1, WGAN_GP_COST)["total"]
    (37, 43)
    """
    from zoo.training.step import NON_SATURATING_COST

    cost = cost or NON_SATURATING_COST
    total = cost.generator_passes * generator_flops + cost.discriminator_passes * discriminator_flops
    return {"total": int(round(total)), "formula": cost.formula}


def model_flops(model, cost=None) -> dict:
    """Generator, discriminator and train-step FLOPs per image of a ZooModel with its discriminator.

    Args:
        model: a ZooModel loaded ``with_discriminator=True`` (else generator only).
        cost: the step's ``StepCost`` (``GANStep.cost()``); None: non-saturating.

    Examples:
    >>> import zoo
    >>> f = model_flops(zoo.load("dcgan-mnist", weights=None, with_discriminator=True))
    >>> f["generator_uncounted"], f["train_step"] == 3 * f["generator"] + 7 * f["discriminator"]
    ([], True)
    """
    g = count_flops(model.generator)
    out = {"generator": g.total, "generator_uncounted": g.uncounted}
    if model.discriminator is not None:
        d = count_flops(model.discriminator)
        step = train_step_flops(g.total, d.total, cost)
        out.update(discriminator=d.total, discriminator_uncounted=d.uncounted,
                   train_step=step["total"], train_step_formula=step["formula"])
    return out
