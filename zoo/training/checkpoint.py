"""Checkpoints: every variable as a NumPy array plus a JSON state, written atomically.

Arrays are stored by position in each object's ``variables`` list, which is a
fixed function of the architecture, so a checkpoint needs no pickled code.

A checkpoint is the one thing a run can always go back to, so :func:`save`
refuses to replace it with one that holds NaN or Inf anywhere (a diverged
update poisons the weights a step before the losses show it), and
:func:`load` turns a truncated or foreign file into one clear error.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from zoo import atomic
from zoo.errors import TrainingDivergedError, ZooError

CHECKPOINT_NAME = "checkpoint.npz"
STATE_KEY = "__state__"


class NonFiniteCheckpointError(TrainingDivergedError):
    """The variables to save hold NaN or Inf; the previous checkpoint was kept."""


class CorruptCheckpointError(ZooError):
    """A checkpoint file cannot be read (truncated, corrupt, or not a checkpoint)."""


# What a damaged .npz raises, depending on where the damage is.
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError)


def save(path: Path, groups: dict, state: dict) -> None:
    """``groups`` maps a name to a list of variables; ``state`` is JSON-able.

    Raises:
        NonFiniteCheckpointError: some variable holds NaN or Inf; nothing was
            written and the checkpoint already at ``path`` is untouched.
    """
    arrays = {STATE_KEY: np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)}
    poisoned = []
    for name, variables in groups.items():
        for i, v in enumerate(variables):
            a = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                poisoned.append(name)
            arrays[f"{name}/{i:04d}"] = a
    if poisoned:
        names = ", ".join(dict.fromkeys(poisoned))
        raise NonFiniteCheckpointError(f"NaN or Inf in the variables of {names}; checkpoint not written")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic.write_bytes(path, buf.getvalue())


def _corrupt(path: Path, e: BaseException) -> CorruptCheckpointError:
    reason = (str(e).strip().splitlines() or [""])[0]
    return CorruptCheckpointError(
        f"checkpoint {path} cannot be read ({type(e).__name__}: {reason}); it is truncated or corrupt. "
        f"Start over with --force, or put back a good copy"
    )


def read_state(path: Path) -> dict:
    """The JSON state of the checkpoint at ``path`` without touching any variable."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(bytes(data[STATE_KEY]).decode())
    except _READ_ERRORS as e:
        raise _corrupt(path, e) from e


def load(path: Path, groups: dict) -> dict:
    """Assigns saved arrays to ``groups``' variables and returns the state.

    Every array is read and shape-checked before the first assignment, so a
    damaged file leaves the variables as they were.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            state = json.loads(bytes(data[STATE_KEY]).decode())
            staged = []
            for name, variables in groups.items():
                keys = sorted(k for k in data.files if k.startswith(name + "/"))
                if len(keys) != len(variables):
                    raise ZooError(
                        f"checkpoint {path}: {name} has {len(keys)} arrays but the model has "
                        f"{len(variables)} variables; it was written for another architecture"
                    )
                for key, v in zip(keys, variables):
                    a = data[key]
                    if tuple(a.shape) != tuple(v.shape):
                        raise ZooError(f"checkpoint {path}: {key} has shape {a.shape}, expected {v.shape}")
                    staged.append((v, a))
    except _READ_ERRORS as e:
        raise _corrupt(path, e) from e
    for v, a in staged:
        v.assign(a)
    return state
