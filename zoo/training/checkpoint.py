"""Checkpoints: every variable as a NumPy array plus a JSON state, written atomically.

Arrays are stored by position in each object's ``variables`` list, which is a
fixed function of the architecture, so a checkpoint needs no pickled code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zoo import atomic

CHECKPOINT_NAME = "checkpoint.npz"


def save(path: Path, groups: dict, state: dict) -> None:
    """``groups`` maps a name to a list of variables; ``state`` is JSON-able."""
    import io

    arrays = {"__state__": np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)}
    for name, variables in groups.items():
        for i, v in enumerate(variables):
            arrays[f"{name}/{i:04d}"] = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic.write_bytes(path, buf.getvalue())


def load(path: Path, groups: dict) -> dict:
    """Assigns saved arrays to ``groups``' variables and returns the state."""
    with np.load(path) as data:
        state = json.loads(bytes(data["__state__"]).decode())
        for name, variables in groups.items():
            keys = sorted(k for k in data.files if k.startswith(name + "/"))
            if len(keys) != len(variables):
                raise ValueError(
                    f"checkpoint {path}: {name} has {len(keys)} arrays but the model has "
                    f"{len(variables)} variables; it was written for another architecture"
                )
            for key, v in zip(keys, variables):
                if tuple(data[key].shape) != tuple(v.shape):
                    raise ValueError(f"checkpoint {path}: {key} has shape {data[key].shape}, expected {v.shape}")
                v.assign(data[key])
    return state
