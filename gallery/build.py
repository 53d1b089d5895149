"""``gan-zoo site -o site/``: the static gallery, built into a staging folder and moved into place whole.

Layout of the output folder::

    index.html              every entry
    models/NAME.html        one page per entry (card, figures, export matrix, snippets, live panel)
    img/                    the committed figures of docs/, byte for byte
    onnx/NAME.onnx          the generators the pages run (gallery.onnx_site)
    ort/                    onnxruntime-web's WASM build (gallery.runtime), with its NOTICE
    assets/                 style.css and gallery.js
    manifest.json           every other file with its size and sha256

The build is deterministic: the same cards, figures, benchmark results, weights
and library versions give the same bytes (no time stamp is written anywhere;
JSON is written with sorted keys; ONNX files are canonicalized).

Examples:
>>> r = build_site("out/site", ["mlpgan-mnist"], runtime=fake_runtime("out/ort"), exporter=no_export)
>>> sorted(p.name for p in r.out.iterdir())
['assets', 'img', 'index.html', 'manifest.json', 'models', 'ort']
>>> r.live, r.problems
({'mlpgan-mnist': False}, ['mlpgan-mnist: live panel left out (export skipped)'])
>>> build_site("out/site", ["mlpgan-mnist"], runtime=fake_runtime("out/ort"), exporter=no_export)
Traceback (most recent call last):
...
FileExistsError: out/site is not empty; pass --force (force=True) to replace it
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from gallery import data, pages
from zoo import atomic
from zoo.errors import ZooError

STATIC = Path(__file__).resolve().parent / "static"


@dataclasses.dataclass
class SiteReport:
    """What a build wrote: the folder, its entries, sizes by top-level folder, and what was left out."""

    out: Path
    entries: list[str]
    live: dict[str, bool]
    bytes_by_part: dict[str, int]
    files: int
    problems: list[str]

    @property
    def total_bytes(self) -> int:
        """Every file's size, summed."""
        return sum(self.bytes_by_part.values())

    def summary(self) -> str:
        """One line: where, how many pages, how big, and what the bulk is."""
        parts = ", ".join(f"{k} {v / 2**20:.1f}" for k, v in sorted(self.bytes_by_part.items(), key=lambda kv: -kv[1]))
        return (f"wrote {self.out}: {len(self.entries)} entries ({sum(self.live.values())} with a live panel), "
                f"{self.files} files, {self.total_bytes / 2**20:.1f} MiB ({parts} MiB)")


def no_export(name: str, folder) -> None:
    """An ``exporter`` that exports nothing (pages without a live panel): for tests and quick looks."""
    raise ZooError("export skipped")


def fake_runtime(folder) -> Path:
    """A folder standing in for :func:`gallery.runtime.runtime_dir` (placeholder files): for tests."""
    from gallery.runtime import ORT_FILES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ORT_FILES:
        (folder / name).write_text(f"placeholder for {name}\n")
    return folder


def _names(patterns) -> list[str]:
    import zoo

    if not patterns:
        return zoo.list_models()
    names = sorted({n for p in patterns for n in zoo.list_models(p)})
    if not names:
        raise ValueError(f"no model matches {', '.join(patterns)} (see gan-zoo list)")
    return names


def check_target(out: Path, force: bool) -> None:
    """Refuses a file, and a non-empty folder unless ``force``."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(20, "not a folder", str(out))
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} is not empty; pass --force (force=True) to replace it")


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _entry(name: str, stage: Path, docs: Path, results: Path, exporter: Callable) -> tuple[dict, bool, str | None]:
    """Writes one entry's page, figures and ONNX file into ``stage``; returns (index row, live, problem)."""
    from zoo.model_card_md import render

    row = data.summary(name)
    figures = {"grid": None, "curve": None, "family": []}
    for key, path in (("grid", data.sample_grid(name, docs)), ("curve", data.curve(name, docs))):
        if path is not None:
            figures[key] = _copy(path, stage / "img" / path.name).name
    for path in data.figures(name, docs):
        figures["family"].append((_copy(path, stage / "img" / path.name).name, data.caption(name, path)))
    row["thumb"] = figures["grid"]
    onnx, reason = None, None
    if not row["shipped"]:
        reason = "no shipped weights yet"
    else:
        try:
            result = exporter(name, stage / "onnx")
            onnx = {"inputs": result.inputs, "image_shape": list(result.image_shape), "bytes": result.bytes,
                    "opset": result.opset, "max_abs_error": result.max_abs_error, "psnr_db": result.psnr_db}
        except ZooError as e:
            reason = str(e)
    # The card renders its own figures only when it finds them: an empty folder keeps them out (the
    # page shows them in its figures section).
    with tempfile.TemporaryDirectory() as no_figures:
        card_md = render(name, out_dir=stage / "models", docs=Path(no_figures))
    page = pages.entry_page(row, onnx, reason, figures, data.latencies(name, results), card_md)
    (stage / "models").mkdir(exist_ok=True)
    (stage / "models" / f"{name}.html").write_text(page)
    row["live"] = onnx is not None
    return row, onnx is not None, None if onnx is not None else f"{name}: live panel left out ({reason})"


def _manifest(stage: Path) -> dict:
    files = {}
    for path in sorted(p for p in stage.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        files[path.relative_to(stage).as_posix()] = {"bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    return {"generator": "gan-zoo site", "files": files}


def build_site(out, names=None, *, force: bool = False, docs=data.DOCS, results=data.RESULTS,
               runtime=None, exporter: Callable | None = None) -> SiteReport:
    """Builds the gallery into ``out`` (atomically: a failed build leaves ``out`` as it was).

    Args:
        names: glob patterns of entries (default: every registered entry).
        force: replace a non-empty ``out``.
        docs: the folder of the committed figures (``NAME.png``, ``NAME-curve.png``, ``NAME-*``).
        results: the folder of committed benchmark runs (``*/results.json``).
        runtime: a folder holding onnxruntime-web's files (default: :func:`gallery.runtime.runtime_dir`,
            which fetches the pinned package with npm once).
        exporter: ``exporter(name, folder)`` writes ``folder/NAME.onnx`` and returns a
            :class:`gallery.onnx_site.SiteOnnx` (default :func:`gallery.onnx_site.site_onnx`); a
            :class:`~zoo.errors.ZooError` leaves that entry's page without a live panel.

    Returns:
        A :class:`SiteReport`.
    """
    out = Path(out)
    check_target(out, force)
    selected = _names(names)
    if runtime is None:
        from gallery.runtime import runtime_dir

        runtime = runtime_dir()  # before any slow work: no npm or network is a one-line error at once
    if exporter is None:
        from gallery.onnx_site import site_onnx as exporter
    docs, results = Path(docs), Path(results)
    rows, live, problems = [], {}, []
    with atomic.replacing_dir(out) as stage:
        for f in sorted(STATIC.iterdir()):
            if f.is_file():
                _copy(f, stage / "assets" / f.name)
        for f in sorted(Path(runtime).iterdir()):
            if f.is_file():
                _copy(f, stage / "ort" / f.name)
        for name in selected:
            row, live[name], problem = _entry(name, stage, docs, results, exporter)
            rows.append(row)
            problems += [problem] if problem else []
        (stage / "index.html").write_text(pages.index_page(rows))
        manifest = _manifest(stage)
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    by_part: dict[str, int] = {}
    for rel, info in manifest["files"].items():
        part = rel.split("/")[0] if "/" in rel else "pages"
        by_part[part] = by_part.get(part, 0) + info["bytes"]
    by_part["pages"] = by_part.get("pages", 0) + (out / "manifest.json").stat().st_size
    return SiteReport(out=out, entries=selected, live=live, bytes_by_part=by_part,
                      files=len(manifest["files"]) + 1, problems=problems)
