"""Write to a temporary sibling, verify, then move into place (:mod:`zoo.atomic`): the steps every exporter shares."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from export import card as card_lib, common, verify
from zoo import atomic


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

    # Context managers exit in reverse: the artifact is renamed into place before its card,
    # and when anything fails both temporaries go and the old artifact and card stay.
    staged_artifact = atomic.replacing_dir(path) if is_dir else atomic.replacing(path)
    with atomic.replacing(sidecar) as card_tmp, staged_artifact as tmp:
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
        card_tmp.write_text(atomic.json_text(card))
    return ExportResult(path=path, card_path=sidecar, card=card, seconds=time.perf_counter() - start)
