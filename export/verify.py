"""Loading artifacts in their real runtimes and judging them against the Keras generator.

Every artifact runs a fixed batch of ``VERIFY_BATCH`` latents and, separately,
the first latent alone (so the dynamic batch dimension is exercised); both
are compared with the clipped float32 output of the Keras generator.
"""

from __future__ import annotations

import math

import numpy as np

from export import common

# (metric, threshold) per TF-Lite quantization; SavedModel and ONNX are float32 (None).
TOLERANCES = {
    None: ("max_abs", 1e-4),
    "float16": ("max_abs", 1e-2),
    "dynamic": ("psnr", 30.0),
    "int8": ("psnr", 25.0),
}
_UINT8_STEP = 0.5 / 127.5  # floor(x * 127.5 + 128) is within half a level of x


def reference_outputs(model, inputs: dict) -> np.ndarray:
    """The Keras generator's clipped output in float64, the ground truth of every check."""
    out = model.generator(common.generator_feed(model, inputs), training=False)
    return np.clip(np.asarray(out, dtype=np.float64), -1.0, 1.0)


def decode(outputs: np.ndarray, uint8_output: bool) -> np.ndarray:
    """Artifact outputs as float64 images in [-1, 1]."""
    outputs = np.asarray(outputs, dtype=np.float64)
    return outputs / 127.5 - 1.0 if uint8_output else outputs


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two [-1, 1] image batches (peak-to-peak 2); inf when identical."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(4.0 / mse)


def run_both_batches(run, inputs: dict) -> np.ndarray:
    """``run`` on the whole batch and on its first row alone, concatenated."""
    full = np.asarray(run(inputs))
    one = np.asarray(run({k: v[:1] for k, v in inputs.items()}))
    return np.concatenate([full, one])


def judge(checks: dict, reference: np.ndarray, model, quantization: str | None, uint8_output: bool) -> dict:
    """Compares every runtime's outputs with the reference; raises VerificationError on failure.

    Args:
        checks: runtime description -> outputs of :func:`run_both_batches`.
        reference: :func:`reference_outputs` of the same inputs.

    Returns:
        The card's ``verification`` dict.

    Examples:
    >>> import zoo
    >>> m = zoo.load("dcgan-mnist", weights=None)
    >>> inputs = common.sample_inputs(m, 4, seed=0)
    >>> ref = reference_outputs(m, inputs)
    >>> exact = np.concatenate([ref, ref[:1]]).astype("float32")  # what run_both_batches gives
    >>> v = judge({"a runtime": exact}, ref, m, None, False)
    >>> v["passed"], v["max_abs_error"], v["psnr_db"]  # psnr_db None: identical outputs
    (True, 0.0, None)
    >>> judge({"a runtime": exact + 0.01}, ref, m, None, False)
    Traceback (most recent call last):
    ...
    export.common.VerificationError: dcgan-mnist: verification failed (a runtime: max-abs error 0.01 > 0.0001)
    """
    metric, threshold = TOLERANCES[quantization]
    if uint8_output and metric == "max_abs":
        threshold += _UINT8_STEP
    expected = np.concatenate([reference, reference[:1]])
    want_dtype = np.uint8 if uint8_output else np.float32
    results, problems = [], []
    for runtime, outputs in checks.items():
        if outputs.dtype != want_dtype or outputs.shape != expected.shape:
            problems.append(f"{runtime} gave {outputs.dtype} {outputs.shape}, expected {np.dtype(want_dtype)} "
                            f"{expected.shape}")
            continue
        images = decode(outputs, uint8_output)
        max_abs = float(np.max(np.abs(images - expected))) if images.size else 0.0
        db = psnr(images, expected)
        results.append({"runtime": runtime, "max_abs_error": max_abs, "psnr_db": _finite(db)})
        value = max_abs if metric == "max_abs" else db
        if not (value <= threshold if metric == "max_abs" else value >= threshold):
            problems.append(f"{runtime}: {_describe(metric, value, threshold)}")
    worst_abs = max((r["max_abs_error"] for r in results), default=math.nan)
    worst_db = min((math.inf if r["psnr_db"] is None else r["psnr_db"] for r in results), default=math.nan)
    verification = {
        "passed": not problems,
        "metric": metric,
        "threshold": threshold,
        "max_abs_error": worst_abs,
        "psnr_db": _finite(worst_db),
        "reference": "Keras generator (training=False), float32, clipped to [-1, 1]",
        "inputs": f"{len(reference)} draws from the {common.latent_distribution(model)} latent distribution "
                  f"(seed {common.VERIFY_SEED}), run as one batch and the first alone",
        "batch_sizes": [len(reference), 1],
        "runtimes": results,
    }
    if problems:
        raise common.VerificationError(f"{model.name}: verification failed ({'; '.join(problems)})")
    return verification


def _finite(x: float) -> float | None:
    return None if math.isinf(x) else x  # JSON has no inf: None means identical outputs


def _describe(metric: str, value: float, threshold: float) -> str:
    if metric == "max_abs":
        return f"max-abs error {value:.3g} > {threshold:.3g}"
    return f"PSNR {value:.2f} dB < {threshold:.1f} dB"


# --- runtimes ---------------------------------------------------------------------------------------


def saved_model_runner(path):
    """``serving_default`` of ``tf.saved_model.load(path)`` as inputs-dict -> image array."""
    import tensorflow as tf

    fn = tf.saved_model.load(str(path)).signatures[common.SIGNATURE_KEY]
    return lambda inputs: fn(**{k: tf.constant(v) for k, v in inputs.items()})[common.OUTPUT_NAME].numpy()


def saved_model_call_runner(path, infos):
    """``tf.saved_model.load(path)`` called directly (its default callable) as inputs-dict -> image array."""
    import tensorflow as tf

    obj = tf.saved_model.load(str(path))
    names = [i.name for i in infos]

    def run(inputs):
        feed = {k: tf.constant(v) for k, v in inputs.items()}
        return obj(feed[names[0]] if len(names) == 1 else feed).numpy()

    return run


def hub_keras_layer_runner(path, infos):
    """``hub.KerasLayer(path)`` with no arguments (the default callable) inside a ``tf_keras`` model,
    the TF Hub convention: ``Sequential`` for one input, a functional model with a dict for several."""
    import tensorflow_hub as hub
    import tf_keras

    layer = hub.KerasLayer(str(path))
    if len(infos) == 1:
        keras_model = tf_keras.Sequential([tf_keras.Input(infos[0].shape[1:], dtype=infos[0].dtype), layer])
        return lambda feed: np.asarray(keras_model(next(iter(feed.values())), training=False))
    inputs = {i.name: tf_keras.Input(i.shape[1:], dtype=i.dtype, name=i.name) for i in infos}
    keras_model = tf_keras.Model(inputs, layer(inputs))
    return lambda feed: np.asarray(keras_model(feed, training=False))


def litert_runner(path):
    """The TF-Lite file in the LiteRT interpreter (``ai_edge_litert``), by signature."""
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner(common.SIGNATURE_KEY)
    # The signature runner resizes its inputs to each call's batch.
    return lambda inputs: runner(**inputs)[common.OUTPUT_NAME]


def onnxruntime_runner(path):
    """``onnx.checker`` then an onnxruntime CPU session."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(str(path), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda inputs: session.run([common.OUTPUT_NAME], inputs)[0]
