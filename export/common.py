"""Names, validation and the serving graph shared by every exporter.

Every artifact is traced from the same pure function: the generator's named
inputs (taken from ``model.generator.inputs``, so families with extra inputs
such as InfoGAN codes or StyleGAN's truncation psi need no change here) ->
``{"image": ...}``, clipped to [-1, 1] and optionally scaled to uint8.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from zoo.errors import ZooError

FORMATS = ("saved_model", "tflite", "onnx")
QUANTIZATIONS = (None, "float16", "dynamic", "int8")
SIGNATURE_KEY = "serving_default"
OUTPUT_NAME = "image"
LATENT_DISTRIBUTION = "standard normal"
VERIFY_BATCH = 64  # verification runs this batch and batch 1 through every runtime
VERIFY_SEED = 1234
CALIBRATION_SAMPLES = 256
CALIBRATION_SEED = 0  # differs from VERIFY_SEED so int8 is not judged on its own calibration set

# Op types that draw random numbers; an exported generator must be a pure function of its inputs.
_RANDOM_OP = re.compile(r"Random|TruncatedNormal|Multinomial")


class ExportError(ZooError):
    """An entry cannot be exported as asked (random op, non-builtin TF-Lite op, ...)."""


class VerificationError(ExportError):
    """An artifact disagrees with its Keras generator; nothing was written."""


def check_format(fmt: str, allow_all: bool = False) -> str:
    """Returns ``fmt`` or raises ValueError listing the valid formats."""
    valid = FORMATS + (("all",) if allow_all else ())
    if fmt not in valid:
        raise ValueError(f"unknown export format {fmt!r}; valid formats: {', '.join(valid)}")
    return fmt


def check_quantize(quantize: str | None) -> str | None:
    """Returns ``quantize`` or raises ValueError listing the valid modes."""
    if quantize not in QUANTIZATIONS:
        valid = ", ".join(str(q) for q in QUANTIZATIONS)
        raise ValueError(f"unknown TF-Lite quantization {quantize!r}; valid modes: {valid}")
    return quantize


def artifact_filename(name: str, fmt: str, quantize: str | None = None, uint8_output: bool = False) -> str:
    """File (or folder) name export_all and the CLI give an artifact.

    Examples:
    >>> artifact_filename("dcgan-mnist", "tflite", "int8")
    'dcgan-mnist_int8.tflite'
    >>> artifact_filename("dcgan-mnist", "saved_model", uint8_output=True)
    'dcgan-mnist_uint8_savedmodel'
    """
    check_format(fmt)
    stem = name + (f"_{check_quantize(quantize)}" if quantize else "") + ("_uint8" if uint8_output else "")
    return {"saved_model": f"{stem}_savedmodel", "tflite": f"{stem}.tflite", "onnx": f"{stem}.onnx"}[fmt]


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """Name, shape (None for the batch) and dtype of one artifact input or output."""

    name: str
    shape: tuple
    dtype: str

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


def input_infos(model) -> list[TensorInfo]:
    """The generator's inputs, in order, with a dynamic batch dimension."""
    infos = []
    for t in model.generator.inputs:
        name = t.name.split(":")[0]
        infos.append(TensorInfo(name, (None, *(int(d) for d in t.shape[1:])), str(np.dtype(t.dtype))))
    if len({i.name for i in infos}) != len(infos):
        raise ExportError(f"{model.name}: generator input names {[i.name for i in infos]} are not unique")
    return infos


def output_info(model, uint8_output: bool) -> TensorInfo:
    return TensorInfo(OUTPUT_NAME, (None, *model.image_shape), "uint8" if uint8_output else "float32")


def sample_inputs(model, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` draws of every generator input from the entry's own distributions, by input name.

    Uses ``model.sample_latents``, which returns an array for single-input
    generators and a dict keyed by input name for families with extra inputs
    (InfoGAN codes, StyleGAN's psi, ...), so those need no change here.

    Examples:
    >>> import zoo
    >>> feed = sample_inputs(zoo.load("infogan-mnist", weights=None), 2, seed=0)
    >>> {name: x.shape for name, x in feed.items()}  # every input, by name
    {'c_cat': (2, 10), 'c_cont': (2, 2), 'z': (2, 62)}
    """
    infos = input_infos(model)
    names = [i.name for i in infos]
    latents = model.sample_latents(n, seed)
    if not isinstance(latents, dict):
        if len(names) != 1:
            raise ExportError(f"{model.name}: the generator takes inputs {names} but sample_latents gave one array; "
                              "it must return a dict keyed by input name")
        latents = {names[0]: latents}
    if sorted(latents) != sorted(names):
        raise ExportError(f"{model.name}: sample_latents gave {sorted(latents)}, the generator takes {names}")
    return {i.name: np.asarray(latents[i.name], dtype=i.dtype) for i in infos}


def latent_distribution(model) -> str:
    return getattr(model, "latent_distribution", None) or model.card.get("latent_distribution") or LATENT_DISTRIBUTION


def generator_feed(model, inputs: dict):
    """What to pass to the Keras generator: the tensor itself, or a dict by input name."""
    return next(iter(inputs.values())) if len(inputs) == 1 else dict(inputs)


def uint8_scale(x):
    """[-1, 1] -> [0.5, 255.5], whose floor is the uint8 level (works on tf tensors and NumPy).

    Floor of x * 127.5 + 128 rather than a round: TF, TF-Lite and ONNX break ties differently.
    """
    return x * 127.5 + 128.0


def serving_function(model, uint8_output: bool = False):
    """The traced ``tf.function`` every format is built from, with its input signature.

    Raises:
        ExportError: the graph contains a random op (it would not be a
            pure function of its inputs, and TF-Lite cannot run it).

    Examples:
    >>> import tensorflow as tf, zoo
    >>> fn, specs = serving_function(zoo.load("dcgan-mnist", weights=None), uint8_output=True)
    >>> [(s.name, s.shape.as_list()) for s in specs]
    [('z', [None, 100])]
    >>> image = fn(tf.zeros((2, 100)))["image"]
    >>> image.dtype.name, image.shape.as_list()
    ('uint8', [2, 28, 28, 1])
    """
    import tensorflow as tf

    infos = input_infos(model)
    specs = [tf.TensorSpec(i.shape, i.dtype, name=i.name) for i in infos]
    generator = model.generator

    def serve(*tensors):
        feed = generator_feed(model, {i.name: t for i, t in zip(infos, tensors)})
        image = tf.cast(generator(feed, training=False), tf.float32)
        if uint8_output:
            # Clip after scaling (the same as clipping to [-1, 1] first): clipping the tanh output
            # directly makes the int8 quantizer give the clip a coarse scale (about 10 levels off).
            image = tf.cast(tf.floor(tf.clip_by_value(uint8_scale(image), 0.0, 255.5)), tf.uint8)
        else:
            image = tf.clip_by_value(image, -1.0, 1.0)
        return {OUTPUT_NAME: image}

    fn = tf.function(serve, input_signature=specs)
    random_ops = graph_random_ops(fn.get_concrete_function().graph)
    if random_ops:
        raise ExportError(
            f"{model.name}: the generator graph contains random ops ({', '.join(random_ops)}); an export must be "
            "a pure function of its inputs: make noise a constant buffer or an explicit input"
        )
    return fn, specs


def graph_random_ops(graph) -> list[str]:
    """Sorted random op types in a graph, including its nested functions."""
    graph_def = graph.as_graph_def()
    ops = {n.op for n in graph_def.node}
    ops |= {n.op for f in graph_def.library.function for n in f.node_def}
    return sorted(op for op in ops if _RANDOM_OP.search(op))
