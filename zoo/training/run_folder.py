"""The run folder (``--out``): one training at a time, and no run's outputs lost or mixed.

A folder holds a run when any of :data:`OUTPUTS` is there, not only a
checkpoint: a finished run whose checkpoint was deleted still has a
``final/`` worth keeping. The rules:

* a folder holding a run is refused unless ``--resume`` (continue it; needs
  its checkpoint) or ``--force`` (start over: the old run's outputs are
  deleted first, so the new run's files are never mixed with them);
* ``RUN/.lock`` is held (``flock``) for the whole training, so a second
  training into the same folder fails at once; the kernel drops the lock
  when its process dies, however it dies;
* ``RUN/run.json``, the manifest, records which entry, batch size and
  precision the run uses and which outputs it writes. ``--resume`` of another
  entry's run is refused, and ``--force`` deletes what the manifest lists
  (plain names inside the folder only) besides :data:`OUTPUTS`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from zoo import atomic
from zoo.errors import ZooError
from zoo.training.checkpoint import CHECKPOINT_NAME
from zoo.training.evaluation import BEST_DIR, METRICS_NAME

LOCK_NAME = ".lock"
MANIFEST_NAME = "run.json"
OUTPUTS = (CHECKPOINT_NAME, "final", BEST_DIR, METRICS_NAME, "samples", "tensorboard", MANIFEST_NAME)


class RunFolderError(ZooError):
    """The run folder cannot be used as asked (in use, holds another run, ...)."""


class RunFolder:
    """The guard of one ``--out`` folder (see the module docstring).

    Examples:
    >>> import tempfile
    >>> run = RunFolder(Path(tempfile.mkdtemp()) / "run")
    >>> run.check(resume=False, force=False)  # an empty folder is free
    >>> run.lock()
    >>> RunFolder(run.path).lock()  # a second training into it (here: in the same process)
    Traceback (most recent call last):
    ...
    zoo.training.run_folder.RunFolderError: ... is in use by another training (pid ...); ...
    >>> run.release()
    """

    def __init__(self, path):
        self.path = Path(path)
        self._lock_file = None
        self._created = False

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_NAME

    def manifest(self) -> dict | None:
        """The folder's ``run.json``, or None (absent or unreadable: it guards, it does not block)."""
        try:
            data = json.loads((self.path / MANIFEST_NAME).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def outputs(self) -> list[Path]:
        """The run outputs present in the folder: :data:`OUTPUTS` plus what the manifest lists."""
        names = list(OUTPUTS)
        for name in (self.manifest() or {}).get("outputs", []):
            # Only plain names: a hand-edited manifest must not reach outside the folder.
            if isinstance(name, str) and name not in (".", "..", "") and "/" not in name and "\\" not in name:
                names.append(name)
        return [self.path / n for n in dict.fromkeys(names) if os.path.lexists(self.path / n)]

    def check(self, resume: bool, force: bool, name: str | None = None) -> None:
        """Refuses what must be refused; reads only."""
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"--out {self.path} is a file, not a folder")
        if resume and not self.checkpoint.exists():
            raise RunFolderError(f"--resume: no checkpoint at {self.checkpoint}")
        found = self.outputs()
        if found and not (resume or force):
            if self.checkpoint.exists():
                raise RunFolderError(f"{self.path} already holds a checkpoint; pass --resume to continue it "
                                     f"or --force to start over")
            shown = ", ".join(sorted(p.name for p in found))
            raise RunFolderError(f"{self.path} already holds a run ({shown}) but no checkpoint to resume; "
                                 f"pass --force to delete it and start over, or choose another --out")
        owner = (self.manifest() or {}).get("name")
        if resume and name is not None and owner not in (None, name):
            raise RunFolderError(f"--resume: {self.path} holds a run of {owner}, not {name}")

    def lock(self) -> None:
        """Takes ``RUN/.lock`` for this process, or fails at once if another training holds it."""
        if not self.path.exists():
            try:
                self.path.mkdir(parents=True)
            except FileExistsError:
                pass  # made by a concurrent start: fine, the lock decides
            except OSError as e:
                raise RunFolderError(f"cannot create the run folder {self.path}: {e.strerror or e}") from None
            else:
                self._created = True
        try:
            f = open(self.path / LOCK_NAME, "a+")
        except OSError as e:
            raise RunFolderError(f"cannot write in the run folder {self.path}: {e.strerror or e}") from None
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise RunFolderError(f"{self.path} is in use by another training (pid {holder}); wait for it "
                                 f"to finish or choose another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._lock_file = f

    def release(self) -> None:
        """Drops the lock; a folder this process created and left empty (a failed start) goes too."""
        if self._lock_file is None:
            return
        f, self._lock_file = self._lock_file, None
        if self._created and [p.name for p in self.path.iterdir()] == [LOCK_NAME]:
            (self.path / LOCK_NAME).unlink(missing_ok=True)
            f.close()
            try:
                self.path.rmdir()
            except OSError:
                pass
            return
        f.close()

    @property
    def locked(self) -> bool:
        return self._lock_file is not None

    def start(self, *, name: str, batch_size: int, precision: str, resume: bool, force: bool) -> None:
        """Under the lock: checks again (nothing can change the folder now), deletes an old run
        on ``force``, and writes the manifest."""
        if not self.locked:
            raise RuntimeError("RunFolder.start needs the lock (call lock() first)")
        self.check(resume, force, name)
        if force:
            self.clear()
        previous = self.manifest() if resume else None
        atomic.write_json(self.path / MANIFEST_NAME, {
            "name": name,
            "batch_size": batch_size,
            "precision": precision,
            "started": (previous or {}).get("started") or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "resumed": ((previous or {}).get("resumed", 0) + 1) if resume else 0,
            "outputs": list(OUTPUTS),
        })

    def clear(self) -> list[str]:
        """Deletes the old run's outputs: all moved into one hidden folder first (a crash midway
        leaves it for :func:`zoo.atomic.clean_stale`), then that folder is removed."""
        found = [p for p in self.outputs()]
        if not found:
            return []
        trash = Path(tempfile.mkdtemp(dir=self.path, prefix=atomic.temp_prefix("previous-run"), suffix=".old"))
        for p in found:
            os.replace(p, trash / p.name)
        shutil.rmtree(trash, ignore_errors=True)
        return sorted(p.name for p in found)
