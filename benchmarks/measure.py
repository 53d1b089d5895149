"""Timing loops and peak-memory probes shared by the train and inference benchmarks."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def stats_ms(seconds) -> dict:
    """Median, p50, p95, p99, mean, min and max of per-call times, in milliseconds.

    Examples:
    >>> stats_ms([0.001, 0.002, 0.003])["median"]
    2.0
    """
    a = np.asarray(seconds, np.float64) * 1e3
    if a.size == 0:
        raise ValueError("no timed calls")
    pct = lambda q: round(float(np.percentile(a, q)), 4)
    return {
        "median": pct(50), "p50": pct(50), "p95": pct(95), "p99": pct(99),
        "mean": round(float(a.mean()), 4), "min": round(float(a.min()), 4), "max": round(float(a.max()), 4),
    }


def time_calls(fn, *, warmup: int, min_iters: int, max_iters: int, min_time_s: float,
               max_time_s: float | None = None) -> dict:
    """Times ``fn()`` after a first (compiling) call and ``warmup`` untimed calls.

    ``fn`` must block until its result exists (return NumPy / a Python float),
    otherwise asynchronous runtimes would be timed as free. It runs at least
    ``min_iters`` and at most ``max_iters`` timed calls, stopping once
    ``min_time_s`` has passed; a slow case stops at ``max_time_s`` even
    below ``min_iters`` (but after at least 3 calls), so one slow runtime
    cannot stall the suite.

    Returns:
        ``{"first_call_s", "warmup_iters", "timed_iters", "total_s", "times_s"}``.

    Examples:
    >>> r = time_calls(lambda: sum(range(100)), warmup=1, min_iters=3, max_iters=10, min_time_s=0.0)
    >>> r["timed_iters"]
    3
    """
    if min_iters < 1 or max_iters < min_iters:
        raise ValueError(f"need 1 <= min_iters <= max_iters, got {min_iters}, {max_iters}")
    t0 = time.perf_counter()
    fn()  # first call: tracing, compilation, allocation; reported apart from steady state
    first = time.perf_counter() - t0
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_iters and (len(times) < min_iters or time.perf_counter() - start < min_time_s):
        over = max_time_s is not None and time.perf_counter() - start > max_time_s
        if over and len(times) >= min(3, min_iters):
            break
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {
        "first_call_s": round(first, 4), "warmup_iters": warmup, "timed_iters": len(times),
        "total_s": sum(times), "times_s": times,
    }


def throughput(items_per_call: int, times_s) -> float:
    """Items per second over the timed calls (total items / total time, not 1 / median)."""
    total = float(np.sum(times_s))
    if total <= 0 or not math.isfinite(total):
        raise ValueError(f"timed calls took {total} s in total")
    return items_per_call * len(times_s) / total


def _status_kb(key: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class PeakMemory:
    """Peak host memory (and device memory on GPU) while the ``with`` block runs.

    Host: Linux lets a process reset its resident-set high-water mark
    (``VmHWM``) by writing 5 to ``/proc/self/clear_refs``, so each case gets
    its own peak. Where that is unavailable the lifetime peak
    (``ru_maxrss``) is reported and ``host_method`` says so. Python's
    tracemalloc is not used: it misses TensorFlow's and the runtimes' C++
    allocations, which are nearly all of the memory.

    Examples:
    >>> with PeakMemory() as mem:
    ...     x = bytearray(10**7)
    >>> mem.result()["peak_host_mb"] > 0
    True
    """

    def __init__(self, backend: str | None = None, gpu: bool = False):
        self.backend, self.gpu = backend, gpu
        self.host_method = "VmHWM reset per case"
        self.host_kb = self.device_bytes = None

    def __enter__(self):
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            self.host_method = "ru_maxrss (process lifetime peak)"
        if self.gpu:
            _reset_device_peak(self.backend)
        return self

    def __exit__(self, *exc):
        if self.host_method.startswith("VmHWM"):
            self.host_kb = _status_kb("VmHWM")
        if self.host_kb is None:
            import resource

            self.host_method = "ru_maxrss (process lifetime peak)"
            self.host_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.gpu:
            self.device_bytes = _device_peak(self.backend)
        return False

    def result(self) -> dict:
        return {
            "peak_host_mb": round(self.host_kb / 1024, 1) if self.host_kb else None,
            "host_memory_method": self.host_method,
            "peak_device_mb": round(self.device_bytes / 2**20, 1) if self.device_bytes else None,
        }


def _reset_device_peak(backend: str) -> None:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")
        elif backend == "torch":
            import torch

            torch.cuda.reset_peak_memory_stats()
    except (RuntimeError, ValueError):  # not every build tracks peaks; the record then says None
        pass


def _device_peak(backend: str) -> int | None:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return tf.config.experimental.get_memory_info("GPU:0")["peak"]
        if backend == "torch":
            import torch

            return torch.cuda.max_memory_allocated()
        if backend == "jax":
            import jax

            # JAX cannot reset its peak: this is the process's peak so far.
            return (jax.devices()[0].memory_stats() or {}).get("peak_bytes_in_use")
    except (RuntimeError, ValueError):
        return None
    return None
