"""The device's measured matrix-multiply peak, the yardstick for achieved GFLOP/s.

A square ``n x n @ n x n`` product costs ``2 n^3`` FLOPs. It is timed on the
current Keras backend (compiled where the backend compiles), best-of-repeats,
because the best run is the closest to what the hardware can do with these
libraries and threads.
"""

from __future__ import annotations

import time

import keras
import numpy as np

DTYPES = ("float32", "bfloat16")


def _compiled_matmul():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda a, b: tf.matmul(a, b))
    if backend == "jax":
        import jax

        return jax.jit(keras.ops.matmul)
    return keras.ops.matmul  # torch: eager matmul is already one kernel call


def matmul_peak(dtype: str = "float32", n: int = 2048, repeats: int = 10) -> dict:
    """Measured matmul GFLOP/s in ``dtype`` on the backend's device.

    Args:
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        n: matrix size; large enough that one product takes milliseconds.
        repeats: timed products; the fastest counts.

    Returns:
        ``{"dtype", "n", "gflops", "best_s", "median_s"}``.

    Raises:
        ValueError: a bad dtype or size.

    Examples:
    >>> r = matmul_peak("float32", n=256, repeats=3)
    >>> sorted(r), r["n"], r["best_s"] <= r["median_s"]
    (['best_s', 'dtype', 'gflops', 'median_s', 'n'], 256, True)
    >>> matmul_peak("int4")
    Traceback (most recent call last):
    ...
    ValueError: unknown dtype 'int4'; valid: float32, bfloat16, float16
    """
    if dtype not in DTYPES + ("float16",):
        raise ValueError(f"unknown dtype {dtype!r}; valid: {', '.join(DTYPES + ('float16',))}")
    if n < 1 or repeats < 1:
        raise ValueError(f"n and repeats must be >= 1, got {n}, {repeats}")
    rng = np.random.default_rng(0)
    a = keras.ops.convert_to_tensor(rng.standard_normal((n, n), np.float32), dtype=dtype)
    b = keras.ops.convert_to_tensor(rng.standard_normal((n, n), np.float32), dtype=dtype)
    mm = _compiled_matmul()

    def run():
        c = mm(a, b)
        keras.ops.convert_to_numpy(c[:1, :1])  # waits for asynchronous (GPU) execution

    run()  # compile and warm the caches
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    best = min(times)
    return {"dtype": dtype, "n": n, "gflops": round(2 * n**3 / best / 1e9, 2),
            "best_s": round(best, 6), "median_s": round(float(np.median(times)), 6)}


def measure_peaks(quick: bool = False, gpu: bool = False) -> dict:
    """float32 and bfloat16 matmul peaks (and float16 on a GPU, for ``mixed_float16``).

    A dtype the device cannot multiply gets an ``error`` entry instead.

    Examples:
    >>> peaks = measure_peaks(quick=True)  # 512 x 512 products; the full run uses 2048
    >>> sorted(peaks), peaks["float32"]["n"]
    (['bfloat16', 'float32'], 512)
    """
    n, repeats = (512, 5) if quick else (2048, 10)
    out = {}
    for dtype in DTYPES + (("float16",) if gpu else ()):
        try:
            out[dtype] = matmul_peak(dtype, n, repeats)
        except Exception as e:  # noqa: BLE001 - a CPU build without bf16 kernels is a result, not a crash
            out[dtype] = {"dtype": dtype, "n": n, "gflops": None, "error": f"{type(e).__name__}: {e}"}
    return out
