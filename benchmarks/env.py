"""Which backend and device a run uses, and the environment every record carries.

The suite never picks a backend itself: Keras reads ``KERAS_BACKEND`` at import.
TensorFlow is imported only on the TensorFlow backend, so a JAX or PyTorch run
on a machine whose TensorFlow has no GPU build still reports the right device.
"""

from __future__ import annotations

import functools
import os
import platform
from importlib import metadata
from pathlib import Path

import keras

LIBRARIES = ("keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "ai-edge-litert", "onnxruntime", "tf2onnx")


@functools.lru_cache(maxsize=1)
def device() -> dict:
    """The accelerator the Keras backend computes on.

    Returns:
        ``{"backend", "device" ("cpu" or "gpu"), "device_name"}``; the device
        name is the GPU's model, or the CPU's model name on CPU.

    Examples:
    >>> d = device()
    >>> d["backend"] == keras.backend.backend(), d["device"] in ("cpu", "gpu")
    (True, True)
    """
    backend = keras.backend.backend()
    gpu_name = None
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            gpu_name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    elif backend == "jax":
        import jax

        d = jax.devices()[0]
        gpu_name = d.device_kind if d.platform == "gpu" else None
    elif backend == "torch":
        import torch

        gpu_name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"backend": backend, "device": "gpu" if gpu_name else "cpu", "device_name": gpu_name or cpu_name()}


def is_gpu() -> bool:
    return device()["device"] == "gpu"


def cpu_name() -> str:
    """The CPU's model name (the run cards' ``zoo.training.environment.cpu_name``)."""
    from zoo.training.environment import cpu_name as zoo_cpu_name

    return zoo_cpu_name()


CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of native bfloat16 arithmetic


def cpu_bf16_flags(cpuinfo: str | None = None) -> list[str]:
    """Which of :data:`CPU_BF16_FLAGS` the CPU reports (Linux /proc/cpuinfo; elsewhere none).

    Examples:
    >>> cpu_bf16_flags("flags : fpu avx512f avx512_bf16 amx_tile\\n"), cpu_bf16_flags("flags : fpu avx2\\n")
    (['avx512_bf16'], [])
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return []
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return [f for f in CPU_BF16_FLAGS if f in flags]


@functools.lru_cache(maxsize=1)
def bf16_support() -> dict:
    """Whether this device computes bfloat16 natively: ``{"supported": bool, "why": str}``.

    On a CPU: the ``avx512_bf16`` or ``amx_bf16`` flag (without them oneDNN
    emulates bfloat16 through float32, slower than float32 itself). On a GPU:
    compute capability 8.0 or newer (Ampere), as the backend reports it.

    Examples:
    >>> sorted(bf16_support())
    ['supported', 'why']
    """
    d = device()
    if d["device"] == "cpu":
        flags = cpu_bf16_flags()
        why = f"CPU flags {', '.join(flags)}" if flags else f"the CPU has none of {', '.join(CPU_BF16_FLAGS)}"
        return {"supported": bool(flags), "why": why}
    capability = _gpu_compute_capability(d["backend"])
    if capability is None:
        return {"supported": False, "why": f"{d['device_name']}: compute capability unknown"}
    return {"supported": capability >= (8, 0),
            "why": f"{d['device_name']}: compute capability {capability[0]}.{capability[1]} (bfloat16 needs 8.0)"}


def _gpu_compute_capability(backend: str) -> tuple | None:
    """(major, minor) of the first GPU, or None when the backend does not say."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            cc = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            return tuple(int(x) for x in cc["compute_capability"])
        if backend == "torch":
            import torch

            return tuple(int(x) for x in torch.cuda.get_device_capability(0))
        if backend == "jax":
            import jax

            return tuple(int(x) for x in str(jax.devices()[0].compute_capability).split("."))
    except Exception:  # noqa: BLE001 - a device that does not report it
        return None
    return None


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask, which containers narrow), not the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads() -> dict:
    """Thread settings that change CPU timings; 0 from TensorFlow means "its default" (all usable CPUs)."""
    info = {
        "usable_cpus": usable_cpus(),
        "os_cpu_count": os.cpu_count(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        info["tf_intra_op"] = tf.config.threading.get_intra_op_parallelism_threads()
        info["tf_inter_op"] = tf.config.threading.get_inter_op_parallelism_threads()
    elif keras.backend.backend() == "torch":
        import torch

        info["torch_threads"] = torch.get_num_threads()
    return info


def versions() -> dict:
    """Installed versions of the libraries a result depends on (None: not installed)."""
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


@functools.lru_cache(maxsize=1)
def _static_environment() -> dict:
    return {
        **device(),
        "cpu": cpu_name(),
        "platform": platform.platform(),
        "versions": versions(),
        "threads": threads(),
        "load_average_at_start": _load_average(),
    }


def environment() -> dict:
    """Everything a reader needs to know where a number came from.

    Returns:
        A dict: backend, device, device name, CPU, platform, library
        versions, thread settings and the 1-minute load average when the
        suite started (a busy machine makes every number slower).

    Examples:
    >>> env = environment()
    >>> env["backend"] == keras.backend.backend(), env["versions"]["keras"] == keras.__version__
    (True, True)
    """
    return dict(_static_environment())


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None
