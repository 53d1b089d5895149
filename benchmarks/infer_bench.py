"""Inference benchmark: the generator in every runtime, per batch size.

Runtimes (each a function ``feed dict -> NumPy image``, so every timed call
includes getting the result back to the host, as an application would):

- ``keras_eager``: ``generator(inputs, training=False)``, op by op.
- ``keras_compiled``: ``generator.predict_on_batch`` (Keras's compiled predict function).
- ``keras_xla``: the call in ``tf.function(jit_compile=True)`` (TensorFlow, when XLA is on).
- ``saved_model``: ``tf.saved_model.load(...).signatures["serving_default"]``.
- ``tflite`` (float32, float16, dynamic, int8): the LiteRT interpreter, all usable CPUs.
- ``onnx``: an onnxruntime session (CUDA provider on a GPU when installed).

Artifacts are written by the export layer (verified there) into a temporary
folder; their sizes and export times go into the records.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from benchmarks import env, measure

RUNTIMES = ("keras", "saved_model", "tflite", "onnx")
TFLITE_QUANTIZATIONS = (None, "float16", "dynamic", "int8")
SIGNATURE = "serving_default"  # the export layer's documented signature and output names
OUTPUT = "image"
LATENT_SEED = 0


class Unsupported(RuntimeError):
    """A runtime this backend or device cannot run; its records are ``skipped``, not ``error``."""


def check_runtimes(names) -> tuple:
    """Validates runtime names; raises ValueError listing the valid ones."""
    bad = [n for n in names if n not in RUNTIMES]
    if bad or not names:
        raise ValueError(f"unknown runtime(s) {', '.join(bad) or '(none)'}; valid: {', '.join(RUNTIMES)}")
    return tuple(names)


def feed_for(model, n: int) -> dict:
    """``n`` draws of every generator input, keyed by input name (multi-input families included).

    Examples:
    >>> import zoo
    >>> feed_for(zoo.load("dcgan-mnist", weights=None), 2)["z"].shape
    (2, 100)
    >>> sorted(feed_for(zoo.load("stylegan-fashion-mnist", weights=None), 2))
    ['truncation_psi', 'z']
    """
    names = [t.name.split(":")[0] for t in model.generator.inputs]
    latents = model.sample_latents(n, seed=LATENT_SEED)
    if not isinstance(latents, dict):
        latents = {names[0]: latents}
    dtypes = {t.name.split(":")[0]: t.dtype for t in model.generator.inputs}
    return {k: np.asarray(latents[k], dtype=dtypes[k]) for k in names}


def _keras_feed(feed: dict):
    return next(iter(feed.values())) if len(feed) == 1 else feed


def keras_runners(model, xla: bool) -> dict:
    """Keras-runtime cases by name (``keras_xla`` only on TensorFlow with XLA on)."""
    g = model.generator
    runners = {
        "keras_eager": lambda feed: keras.ops.convert_to_numpy(g(_keras_feed(feed), training=False)),
        "keras_compiled": lambda feed: np.asarray(g.predict_on_batch(_keras_feed(feed))),
    }
    if xla and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: g(x, training=False), jit_compile=True)
        runners["keras_xla"] = lambda feed: fn(_keras_feed(feed)).numpy()
    return runners


def saved_model_runner(path):
    import tensorflow as tf

    fn = tf.saved_model.load(str(path)).signatures[SIGNATURE]
    return lambda feed: fn(**{k: tf.constant(v) for k, v in feed.items()})[OUTPUT].numpy()


def litert_runner(path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path), num_threads=threads).get_signature_runner(SIGNATURE)
    # The signature runner reallocates only when the batch changes, i.e. once per batch size.
    return lambda feed: runner(**feed)[OUTPUT]


def onnx_runner(path, gpu: bool):
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if gpu and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    session = ort.InferenceSession(str(path), providers=providers)
    return lambda feed: session.run([OUTPUT], feed)[0]


def variants(runtimes, xla: bool, backend: str) -> list[tuple]:
    """The ``(runtime, quantization)`` cases the chosen runtimes expand to, in run order.

    Examples:
    >>> variants(["keras", "tflite"], xla=False, backend="tensorflow")[:3]
    [('keras_eager', None), ('keras_compiled', None), ('tflite', None)]
    """
    out = []
    for runtime in check_runtimes(runtimes):
        if runtime == "keras":
            out += [("keras_eager", None), ("keras_compiled", None)]
            out += [("keras_xla", None)] if xla and backend == "tensorflow" else []
        elif runtime == "tflite":
            out += [("tflite", q) for q in TFLITE_QUANTIZATIONS]
        else:
            out.append((runtime, None))
    return out


def make_runner(model, runtime: str, quantization: str | None, workdir, gpu: bool):
    """Builds one case's runner; artifact runtimes first export (and so verify) their file.

    Returns:
        ``(run, info)``: ``run`` maps a feed dict to a NumPy image batch;
        ``info`` holds ``artifact_bytes``, ``export_s`` and the runtime's
        thread count where those apply.

    Raises:
        Unsupported: an artifact runtime on a backend other than TensorFlow.
        export.ExportError: the export or its verification failed.
    """
    if runtime.startswith("keras_"):
        return keras_runners(model, xla=runtime == "keras_xla")[runtime], {}
    if keras.backend.backend() != "tensorflow":
        raise Unsupported(f"{runtime} needs the TensorFlow backend to export (this run uses "
                           f"{keras.backend.backend()}); only the Keras runtime is timed here")
    import export

    threads = env.usable_cpus()
    path = Path(workdir) / export.artifact_filename(model.name, runtime, quantization)
    t = time.perf_counter()
    if runtime == "saved_model":
        result, load = export.to_saved_model(model, path, force=True), saved_model_runner
    elif runtime == "tflite":
        result = export.to_tflite(model, path, quantize=quantization, force=True)
        load = lambda p: litert_runner(p, threads)  # noqa: E731
    elif runtime == "onnx":
        result, load = export.to_onnx(model, path, force=True), lambda p: onnx_runner(p, gpu)
    else:
        raise ValueError(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
    info = {"export_s": round(time.perf_counter() - t, 2), "artifact_bytes": result.size_bytes,
            "runtime_threads": threads if runtime == "tflite" else None}
    return load(path), info


def run_infer_case(run, feed: dict, batch_size: int, *, timing: dict, flops_per_image: int | None,
                   peak_gflops: float | None, backend: str, gpu: bool) -> dict:
    """Times one runtime at one batch size and returns its measured fields.

    Args:
        run: ``feed -> NumPy image`` (see the module docstring).
        feed: generator inputs for this batch size.
        batch_size: images per call.
        timing: keyword arguments of :func:`benchmarks.measure.time_calls`.
        flops_per_image: generator FLOPs per image.
        peak_gflops: the measured float32 matmul peak.
        backend, gpu: where it runs (for device-memory probes).

    Returns:
        Record fields: images_per_s, time_ms (per call; p50/p99 are the
        latency at batch 1), compile_s, timed_iters, achieved_gflops,
        fraction_of_peak, memory, and output shape checks.

    Examples:
    >>> timing = dict(warmup=1, min_iters=3, max_iters=3, min_time_s=0.0)
    >>> feed = {"z": np.zeros((1, 100), "float32")}
    >>> f = run_infer_case(lambda feed: np.zeros((1, 28, 28, 1)), feed, 1, timing=timing,
    ...                    flops_per_image=None, peak_gflops=None, backend="tensorflow", gpu=False)
    >>> f["timed_iters"], f["warmup_iters"], f["achieved_gflops"]
    (3, 1, None)
    >>> run_infer_case(lambda feed: np.zeros((2, 28, 28, 1)), feed, 1, timing=timing,
    ...                flops_per_image=None, peak_gflops=None, backend="tensorflow", gpu=False)
    Traceback (most recent call last):
    ...
    RuntimeError: runtime returned shape (2, 28, 28, 1) (finite: True) for a batch of 1
    """
    out = {}
    with measure.PeakMemory(backend, gpu) as mem:
        result = measure.time_calls(lambda: out.update(image=run(feed)), **timing)
    image = np.asarray(out["image"])
    if image.shape[0] != batch_size or not np.all(np.isfinite(image)):
        raise RuntimeError(f"runtime returned shape {image.shape} (finite: {bool(np.all(np.isfinite(image)))}) "
                           f"for a batch of {batch_size}")
    ips = measure.throughput(batch_size, result["times_s"])
    gflops = flops_per_image * ips / 1e9 if flops_per_image else None
    return {
        "images_per_s": round(ips, 2),
        "time_ms": measure.stats_ms(result["times_s"]),
        "compile_s": result["first_call_s"],
        "warmup_iters": result["warmup_iters"],
        "timed_iters": result["timed_iters"],
        "achieved_gflops": round(gflops, 3) if gflops else None,
        "fraction_of_peak": round(gflops / peak_gflops, 4) if gflops and peak_gflops else None,
        **mem.result(),
    }
