"""Subprocess side of tests/test_faults.py: runs a write and SIGKILLs itself at a controlled point.

    python tests/fault_worker.py TASK FOLDER

A SIGKILL runs no cleanup (no ``finally``, no ``except``), which is what an
out-of-memory kill or a power cut does; the test then checks what is left.

* ``checkpoint``: trains with a checkpoint every step and dies halfway
  through writing the third checkpoint's bytes;
* ``final``: resumes FOLDER (a finished run) for one more step and dies after
  the first file of the new ``final/``;
* ``export``: ``export_all`` with stand-in exporters (the staging is under
  test, not the converters) over an existing set (``force=True``), dying
  while the third artifact is written;
* ``hold``: trains slowly, holding FOLDER's lock, until killed.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

NAME = "faults-tiny"  # the name tests/test_faults.py registers the same tiny entry under


def tiny():
    from zoo.registry import tiny_preset

    return dataclasses.replace(tiny_preset("dcgan-mnist"), name=NAME)


def images():
    return np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def config(out: Path, **kw):
    from zoo.training.trainer import TrainConfig

    return TrainConfig(out_dir=out, progress=False, tensorboard=False, **kw)


def task_checkpoint(out: Path) -> None:
    from zoo import atomic
    from zoo.training.trainer import Trainer

    real, calls = atomic.write_bytes, []

    def write_bytes(path, data, mode=None):
        if Path(path).name == "checkpoint.npz":
            calls.append(path)
            if len(calls) == 3:
                with atomic.replacing(path) as tmp:
                    tmp.write_bytes(data[: len(data) // 2])
                    die()
        return real(path, data, mode)

    atomic.write_bytes = write_bytes  # the checkpoint module looks it up at each call
    Trainer(tiny(), config(out, max_steps=10, checkpoint_every=1), images=images()).fit()


def task_final(out: Path) -> None:
    from zoo.training.trainer import Trainer

    def write_final_into(self, final, summary):
        self.state.shipped_generator.save_weights(final / "generator.weights.h5")
        die()

    Trainer._write_final_into = write_final_into
    Trainer(tiny(), config(out, max_steps=3, resume=True), images=images()).fit()


def stand_in_exporter(fail_at=None, error=None, die_at: int | None = None):
    """An ``export.report.export_format`` that writes small stand-in artifacts and cards.

    ``fail_at``: the (format, quantization) that raises ``error`` instead;
    ``die_at``: the call that SIGKILLs the process with its artifact half written.
    """
    calls = []

    def export_format(model, out_dir, fmt, quantize=None, *, uint8_output=False, force=False, opset=None,
                      weights_sha256=None):
        import json

        from export import ExportResult, artifact_filename, card_path

        calls.append((fmt, quantize))
        path = Path(out_dir) / artifact_filename(model.name, fmt, quantize, uint8_output)
        if (fmt, quantize) == fail_at:
            raise error
        if fmt == "saved_model":
            path.mkdir()
            (path / "saved_model.pb").write_bytes(b"new")
        else:
            path.write_bytes(b"new")
        if die_at == len(calls):
            die()
        card = {"format": fmt, "quantization": quantize, "outputs": [{"dtype": "float32"}],
                "verification": {"max_abs_error": 0.0, "psnr_db": None, "metric": "max_abs", "threshold": 1e-4,
                                 "passed": True, "inputs": "stand-in"}}
        card_path(path).write_text(json.dumps(card))
        return ExportResult(path=path, card_path=card_path(path), card=card, seconds=0.01)

    export_format.calls = calls
    return export_format


def task_export(out: Path) -> None:
    from export import report
    from zoo.model import ZooModel, build

    report.export_format = stand_in_exporter(die_at=3)
    preset = tiny()
    report.export_all(ZooModel(preset, build(preset)[0], card={}), out, force=True)


def task_hold(out: Path) -> None:
    from zoo.training.trainer import Trainer

    t = Trainer(tiny(), config(out, epochs=10**6, max_steps=10**6, checkpoint_every=10**6), images=images())
    t.prepare_step()
    step = t.train_step

    def slow(batch):
        time.sleep(0.05)
        return step(batch)

    t.prepare_step = lambda images_seen=None: None
    t.train_step = slow
    t.fit()


if __name__ == "__main__":
    task, folder = sys.argv[1], Path(sys.argv[2])
    {"checkpoint": task_checkpoint, "final": task_final, "export": task_export, "hold": task_hold}[task](folder)
    sys.exit(3)  # every task ends by being killed
