"""``export_all``, the single-format dispatcher the CLI uses, and ``report.json`` / ``report.md``."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from export import card as card_lib, common, pipeline
from export.onnx_export import to_onnx
from export.saved_model import to_saved_model
from export.tflite import to_tflite
from zoo import atomic

# (format, quantization) of every artifact export_all writes.
ALL_ARTIFACTS = (
    ("saved_model", None),
    ("tflite", None),
    ("tflite", "float16"),
    ("tflite", "dynamic"),
    ("tflite", "int8"),
    ("onnx", None),
)
# Artifacts export_all may leave out when they fail verification, recording the measured reason in the
# report: int8 TF-Lite may not reach its PSNR for some architectures (issue 19). Any other failure
# leaves the whole set unwritten.
SKIPPABLE = (("tflite", "int8"),)


@dataclasses.dataclass
class ExportReport:
    """What export_all wrote: the verified artifacts, the two report files, and what it skipped."""

    results: list
    json_path: Path
    md_path: Path
    skipped: list = dataclasses.field(default_factory=list)  # {"artifact", "format", "quantization", "reason"}


def export_format(model, out_dir, fmt: str, quantize: str | None = None, *, uint8_output: bool = False,
                  force: bool = False, opset: int | None = None, weights_sha256=card_lib.AUTO):
    """Exports one format into ``out_dir`` under its standard name (see :func:`artifact_filename`).

    Examples:
    >>> import zoo
    >>> m = zoo.load("dcgan-mnist")
    >>> export_format(m, "onnx-out", "onnx").path
    PosixPath('onnx-out/dcgan-mnist.onnx')
    """
    common.check_format(fmt)
    common.check_quantize(quantize)
    if quantize is not None and fmt != "tflite":
        raise ValueError(f"quantization applies to the tflite format only, not {fmt!r}")
    path = Path(out_dir) / common.artifact_filename(model.name, fmt, quantize, uint8_output)
    kw = dict(uint8_output=uint8_output, force=force, weights_sha256=weights_sha256)
    if fmt == "saved_model":
        return to_saved_model(model, path, **kw)
    if fmt == "tflite":
        return to_tflite(model, path, quantize, **kw)
    return to_onnx(model, path, opset, **kw)


def export_all(model, out_dir, *, uint8_output: bool = False, force: bool = False, opset: int | None = None,
               weights_sha256=card_lib.AUTO) -> ExportReport:
    """Exports every format and TF-Lite quantization, verified, plus ``report.json`` and ``report.md``.

    Every target is checked before the first export, so an existing file
    without ``force`` costs nothing. The set is staged: every artifact is
    written and verified in a hidden folder inside ``out_dir``, and only when
    all of them passed are they moved into place (renames, the reports last).
    A failure (or Ctrl-C) leaves the contents of ``out_dir`` as they were,
    old artifacts included, and nothing to clean up (a SIGKILL leaves the
    hidden folder, which the next write there removes once it is stale); the one exception is an artifact in
    :data:`SKIPPABLE` that fails verification: it is left out, with the
    verification's message in the report's ``skipped``.

    Args:
        model: a :class:`zoo.ZooModel`.
        out_dir: folder for the artifacts, cards and reports (created).
        uint8_output: scale to uint8 inside every graph.
        force: replace existing artifacts and reports.
        opset: ONNX opset (None: tf2onnx's default).
        weights_sha256: as in :func:`to_tflite`.

    Returns:
        An :class:`ExportReport`.

    Examples:
    >>> from zoo.model import ZooModel, build
    >>> from zoo.registry import tiny_preset
    >>> tiny = tiny_preset("dcgan-mnist")  # a few thousand parameters: every artifact in seconds
    >>> report = export_all(ZooModel(tiny, build(tiny)[0]), "out/")
    >>> [r.path.name for r in report.results][:2], report.md_path.name
    (['dcgan-mnist_savedmodel', 'dcgan-mnist.tflite'], 'report.md')
    """
    out_dir = Path(out_dir)
    targets = [out_dir / common.artifact_filename(model.name, f, q, uint8_output) for f, q in ALL_ARTIFACTS]
    reports = [out_dir / "report.json", out_dir / "report.md"]
    pipeline.check_targets(targets + [card_lib.card_path(t) for t in targets] + reports, force)
    if weights_sha256 == card_lib.AUTO:
        weights_sha256 = card_lib.source_weights_sha256(model)
    with atomic.scratch_dir(out_dir, "export") as stage:
        staged, skipped = [], []
        for f, q in ALL_ARTIFACTS:
            try:
                staged.append(export_format(model, stage, f, q, uint8_output=uint8_output, opset=opset,
                                            weights_sha256=weights_sha256))
            except common.VerificationError as e:
                if (f, q) not in SKIPPABLE:
                    raise
                skipped.append({"artifact": common.artifact_filename(model.name, f, q, uint8_output),
                                "format": f, "quantization": q, "reason": str(e)})
        write_report(model, staged, stage, weights_sha256, skipped)
        # Everything verified: move the set into place, each artifact before its card, the reports last.
        results = []
        for r in staged:
            target = out_dir / r.path.name
            atomic.place(r.path, target)
            atomic.place(r.card_path, card_lib.card_path(target))
            results.append(dataclasses.replace(r, path=target, card_path=card_lib.card_path(target)))
        for s in skipped:  # an old copy (--force) would contradict the report
            for old in (out_dir / s["artifact"], card_lib.card_path(out_dir / s["artifact"])):
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                elif old.exists() or old.is_symlink():
                    old.unlink()
        for path in reports:
            atomic.place(stage / path.name, path)
    return ExportReport(results=results, json_path=reports[0], md_path=reports[1], skipped=skipped)


def report_rows(results) -> list[dict]:
    rows = []
    for r in results:
        v = r.card["verification"]
        rows.append({
            "artifact": r.path.name,
            "format": r.card["format"],
            "quantization": r.card["quantization"],
            "output_dtype": r.card["outputs"][0]["dtype"],
            "size_bytes": r.size_bytes,
            "max_abs_error": v["max_abs_error"],
            "psnr_db": v["psnr_db"],
            "metric": v["metric"],
            "threshold": v["threshold"],
            "passed": v["passed"],
            "export_seconds": round(r.seconds, 2),
        })
    return rows


def write_report(model, results, out_dir, weights_sha256, skipped=()) -> ExportReport:
    """Writes ``report.json`` and ``report.md`` for verified results (and the skipped artifacts)."""
    out_dir = Path(out_dir)
    rows = report_rows(results)
    data = {
        "zoo_name": model.name,
        "source_weights_sha256": weights_sha256,
        "verification_inputs": results[0].card["verification"]["inputs"] if results else None,
        "library_versions": card_lib.library_versions(),
        "artifacts": rows,
        "skipped": list(skipped),
    }
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    atomic.write_json(json_path, data)
    atomic.write_text(md_path, markdown(data))
    return ExportReport(results=results, json_path=json_path, md_path=md_path, skipped=list(skipped))


def _size(n: int) -> str:
    return f"{n / 2**20:.2f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def markdown(data: dict) -> str:
    """The report as a Markdown table (one row per artifact)."""
    weights = data["source_weights_sha256"] or "none (freshly initialised generator)"
    lines = [
        f"# Export report: {data['zoo_name']}",
        "",
        f"Source weights sha256: {weights}  ",
        f"Verification: {data['verification_inputs']}, against the Keras generator.",
        "",
        "| artifact | format | quantization | output | size | max-abs error | PSNR (dB) | check | time (s) |",
        "|---|---|---|---|---:|---:|---:|---|---:|",
    ]
    for r in data["artifacts"]:
        db = "inf" if r["psnr_db"] is None else f"{r['psnr_db']:.1f}"
        op = "<=" if r["metric"] == "max_abs" else ">="
        check = f"{'max-abs' if r['metric'] == 'max_abs' else 'PSNR'} {op} {r['threshold']:.3g}: "
        check += "pass" if r["passed"] else "FAIL"
        lines.append(
            f"| {r['artifact']} | {r['format']} | {r['quantization'] or 'float32'} | {r['output_dtype']} | "
            f"{_size(r['size_bytes'])} | {r['max_abs_error']:.2e} | {db} | {check} | {r['export_seconds']:.1f} |"
        )
    for s in data.get("skipped", []):
        reason = s["reason"].replace("|", "/")
        lines.append(f"| {s['artifact']} | {s['format']} | {s['quantization'] or 'float32'} | - | - | - | - | "
                     f"skipped: {reason} | - |")
    return "\n".join(lines) + "\n"
