"""What a run card records about the machine and libraries that trained it."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import keras
import numpy as np


def environment() -> dict:
    import tensorflow as tf

    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": "cpu" if not tf.config.list_physical_devices("GPU") else "gpu",
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
    }


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else ``platform.processor()``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
