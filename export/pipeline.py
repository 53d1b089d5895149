"""Write to a temporary sibling, verify, then move into place: the steps every exporter shares."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from export import card as card_lib, common, verify


@dataclasses.dataclass
class ExportResult:
    """One verified artifact: where it is, its card, and how long it took."""

    path: Path
    card_path: Path
    card: dict
    seconds: float

    @property
    def size_bytes(self) -> int:
        if self.path.is_dir():
            return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        return self.path.stat().st_size


def check_targets(paths, force: bool) -> None:
    """Refuses existing targets unless ``force``."""
    for p in paths:
        if Path(p).exists() and not force:
            raise FileExistsError(f"{p} already exists; pass force=True (--force) to overwrite it")


def remove(path: Path) -> None:
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def place(tmp: Path, target: Path) -> None:
    """Moves ``tmp`` onto ``target`` (same folder, so a rename); an old folder goes only after."""
    if target.is_dir() and not target.is_symlink():
        # rename() cannot replace a non-empty folder: move the old one aside first.
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
        os.replace(target, old / "x")
        try:
            os.replace(tmp, target)
        except BaseException:
            os.replace(old / "x", target)
            raise
        finally:
            remove(old)
    else:
        os.replace(tmp, target)


def publish_mode(path: Path) -> None:
    """mkstemp/mkdtemp make owner-only files; give the artifact the usual umask-based mode."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~umask)


def stage_json(path: Path, data: dict) -> Path:
    """Writes JSON to a temporary sibling of ``path`` and returns it (rename it into place)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        publish_mode(Path(tmp))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_json(path: Path, data: dict) -> None:
    """Writes JSON by temporary file and rename."""
    os.replace(stage_json(path, data), path)


def run_checks(model, fmt: str, runners: Callable, tmp: Path, inputs: dict) -> dict:
    """Loads the staged artifact in every runtime and runs ``inputs``; a crash is a failed verification.

    A converter can write a file that loads but cannot run (seen with TF-Lite and
    ``tf.math.lgamma``), so loading and running errors count as verification failures.
    """
    runtime = f"its {fmt} runtime"
    try:
        checks = {}
        for runtime, run in runners(tmp).items():
            checks[runtime] = verify.run_both_batches(run, inputs)
        return checks
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise common.VerificationError(f"{model.name}: the {fmt} artifact failed in {runtime}: {first}") from e


def run_export(
    model,
    path,
    *,
    fmt: str,
    quantization: str | None,
    uint8_output: bool,
    force: bool,
    weights_sha256,
    is_dir: bool,
    write: Callable,
    runners: Callable,
    finalize: Callable | None = None,
    extra_card: dict | None = None,
) -> ExportResult:
    """Builds, verifies and places one artifact and its card; on any failure nothing is left.

    Args:
        write: ``write(fn, specs, tmp)`` writes the artifact at ``tmp`` from the
            serving function; may return a dict merged into the card.
        runners: ``runners(tmp) -> {runtime description: run(inputs) -> outputs}``.
        finalize: ``finalize(tmp, card)`` after verification, e.g. to embed the card.
    """
    start = time.perf_counter()
    path = Path(path)
    sidecar = card_lib.card_path(path)
    check_targets([path, sidecar], force)
    path.parent.mkdir(parents=True, exist_ok=True)
    if weights_sha256 == card_lib.AUTO:
        weights_sha256 = card_lib.source_weights_sha256(model)
    fn, specs = common.serving_function(model, uint8_output)

    if is_dir:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
    card_tmp = None
    try:
        extra = dict(extra_card or {})
        extra.update(write(fn, specs, tmp) or {})
        inputs = common.sample_inputs(model, common.VERIFY_BATCH, common.VERIFY_SEED)
        checks = run_checks(model, fmt, runners, tmp, inputs)
        # The reference is computed after writing, from the live model, so the artifact is
        # compared with the generator as it is now, not with a copy taken before conversion.
        verification = verify.judge(checks, verify.reference_outputs(model, inputs), model, quantization,
                                    uint8_output)
        card = card_lib.build_card(
            model, artifact=path, fmt=fmt, quantization=quantization, uint8_output=uint8_output,
            weights_sha256=weights_sha256, verification=verification, extra=extra,
        )
        if finalize is not None:
            finalize(tmp, card)
        card_tmp = stage_json(sidecar, card)
        publish_mode(tmp)
        place(tmp, path)
        os.replace(card_tmp, sidecar)
    except BaseException:
        remove(tmp)
        if card_tmp is not None:
            remove(card_tmp)
        raise
    return ExportResult(path=path, card_path=sidecar, card=card, seconds=time.perf_counter() - start)
