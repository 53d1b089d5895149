"""What the site shows about an entry, read from the project's own artifacts.

Cards through :mod:`zoo.card`'s typed readers (a card without a metrics block
shows "not measured"), figures from ``docs/`` (``NAME.png``, ``NAME-curve.png``
and the family's ``NAME-*.png``/``.gif``; a missing one is left out), and batch-1
latencies from the committed benchmark runs (``benchmarks/results/*/results.json``).
Nothing here imports ``benchmarks`` or runs a model.

Examples:
>>> s = summary("infogan-mnist")
>>> s["family"], s["resolution"], s["classes"]
('infogan', '28x28', '10/10')
>>> [f.name for f in figures("stylegan-fashion-mnist")]
['stylegan-fashion-mnist-mix.png', 'stylegan-fashion-mnist-truncation.png']
>>> summary("infogan-mnist", entry_card={**card("infogan-mnist"), "metrics": {}})["fid"]   # metrics being re-measured
'not measured'
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from zoo import card as card_lib
from zoo.model_card_md import DOCS

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"  # committed benchmark runs (absent in a plain install)
NOT_MEASURED = "not measured"
FIGURE_SUFFIXES = (".png", ".gif")
# Captions of the family figures, by the part of the file name after "NAME-"; others show that part.
CAPTIONS = {
    "category": "InfoGAN categorical code: one column per code value (rows: noise seeds)",
    "c1": "InfoGAN continuous code c1 from -2 to 2 (rows: noise seeds)",
    "c2": "InfoGAN continuous code c2 from -2 to 2 (rows: noise seeds)",
    "codes": "InfoGAN codes against digit classes (Hungarian matching)",
    "growth": "ProGAN: the same seeds at every resolution (rows: 4, 8, 16, 32 px)",
    "truncation": "StyleGAN truncation: rows are seeds, columns psi 0, 0.25, 0.5, 0.7, 0.85, 1",
    "mix": "StyleGAN style mixing: coarse styles from the rows, fine ones from the columns",
    "walk": "latent walk (gan-zoo interpolate)",
}
# (runtime, quantization) of the benchmark's inference records -> the export matrix's row label.
FORMATS = (
    ("onnx", None, "ONNX"),
    ("saved_model", None, "SavedModel"),
    ("tflite", None, "TF-Lite float32"),
    ("tflite", "float16", "TF-Lite float16"),
    ("tflite", "dynamic", "TF-Lite dynamic-range"),
    ("tflite", "int8", "TF-Lite int8"),
)


def card(name: str) -> dict:
    """The validated card of the registered entry ``name`` (shipped, else architecture)."""
    import zoo

    return card_lib.check_card(zoo.info(name), source=f"the card of {name}")


def _value(values: dict, prefix: str):
    """(value, budget) of ``<prefix>_<budget>`` in a metrics ``values`` dict, else (None, None)."""
    for key, value in (values or {}).items():
        if key.startswith(prefix + "_") and not key.endswith(("_se", "_std")) and isinstance(value, (int, float)):
            return value, key.rsplit("_", 1)[1]
    return None, None


def summary(name: str, entry_card: dict | None = None) -> dict:
    """The index row of ``name``: display strings (``entry_card`` defaults to the entry's card)."""
    from zoo import listing

    entry_card = entry_card if entry_card is not None else card(name)
    row = listing.model_row(name)
    domain = card_lib.domain_metrics(entry_card)
    fid, budget = _value(domain["values"] if domain else {}, "fid_domain")
    floor, floor_budget = _value((domain or {}).get("real_reference") or {}, "fid_domain")
    covered, _ = _value(domain["values"] if domain else {}, "classes_covered_domain")
    histogram = (domain or {}).get("class_histogram")
    return {
        "name": name,
        "family": row["family"],
        "dataset": row["dataset"],
        "resolution": row["resolution"],
        "params": row["G params"],
        "shipped": card_lib.is_shipped(entry_card),
        "description": entry_card["description"],
        "fid": NOT_MEASURED if fid is None else f"{fid:.2f} @{budget}",
        "floor": NOT_MEASURED if floor is None else f"{floor:.2f} @{floor_budget}",
        "classes": NOT_MEASURED if covered is None else f"{covered:g}" + (f"/{len(histogram)}" if histogram else ""),
    }


def sample_grid(name: str, docs=DOCS) -> Path | None:
    """``docs/NAME.png`` (``gan-zoo sample NAME -n 64 --seed 0``), or None when not committed."""
    path = Path(docs) / f"{name}.png"
    return path if path.is_file() else None


def curve(name: str, docs=DOCS) -> Path | None:
    """``docs/NAME-curve.png`` (``gan-zoo curve NAME``), or None."""
    path = Path(docs) / f"{name}-curve.png"
    return path if path.is_file() else None


def figures(name: str, docs=DOCS) -> list[Path]:
    """The family figures ``docs/NAME-*.png`` / ``.gif`` other than the curve, sorted by name."""
    docs = Path(docs)
    if not docs.is_dir():
        return []
    found = [p for p in docs.iterdir() if p.is_file() and p.name.startswith(name + "-")
             and p.suffix in FIGURE_SUFFIXES and p.name != f"{name}-curve.png"]
    # "dcgan-mnist-walk.gif" belongs to dcgan-mnist, never to a longer name such as "dcgan-mnist-x-..."
    others = [n for n in _registered() if n != name and n.startswith(name + "-")]
    return sorted((p for p in found if not any(p.name.startswith(o + "-") or p.stem == o for o in others)),
                  key=lambda p: p.name)


def _registered() -> list[str]:
    from zoo.registry import list_models

    return list_models()


def caption(name: str, figure: Path) -> str:
    """The caption of a family figure: :data:`CAPTIONS` by its suffix, else the suffix itself."""
    part = figure.stem[len(name) + 1:]
    return CAPTIONS.get(part, part.replace("-", " "))


@dataclasses.dataclass(frozen=True)
class Latency:
    """One batch-1 inference record of a committed benchmark run."""

    status: str  # "ok", "skipped", "error"
    median_ms: float | None
    artifact_bytes: int | None
    reason: str | None
    run: str  # the run's folder under benchmarks/results
    started: str
    device: str


def _runs(results: Path) -> list[tuple[str, dict]]:
    """(folder name, results.json) of every committed run, in the order later ones take precedence:
    quick (smoke) runs before full ones, then by start time."""
    runs = []
    for path in sorted(Path(results).glob("*/results.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a half-copied or foreign file: not a run
        if isinstance(data, dict) and isinstance(data.get("records"), list):
            runs.append((path.parent.name, data))
    return sorted(runs, key=lambda r: (not r[1].get("quick"), str(r[1].get("started", "")), r[0]))


def latencies(name: str, results=RESULTS) -> dict[tuple, Latency]:
    """``{(runtime, quantization): Latency}`` at batch 1 for ``name``; for each case the newest full run
    that has it wins (a quick run only where no full run has the case)."""
    found = {}
    for run, data in _runs(results):
        env = data.get("environment") or {}
        device = f"{env.get('device', '?')} ({env.get('cpu') or env.get('device_name') or '?'})"
        for r in data["records"]:
            if r.get("kind") != "infer" or r.get("entry") != name or r.get("batch_size") != 1:
                continue
            t = r.get("time_ms") or {}
            found[(r.get("runtime"), r.get("quantization"))] = Latency(
                status=r.get("status", "ok"), median_ms=t.get("median"), artifact_bytes=r.get("artifact_bytes"),
                reason=r.get("reason"), run=run, started=str(data.get("started", ""))[:10], device=device)
    return found
