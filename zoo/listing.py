"""The model table and the per-dataset comparison tables of ``gan-zoo list``, built
from the registry and the model cards.

Everything is read through the typed readers of :mod:`zoo.card`. Resolution and
generator size come from a shipped card; an entry without shipped weights gets
them from its architecture, by building the generator from the preset (small
models: well under a second each). Metrics come from the card's
``metrics.domain`` block that ``gan-zoo eval --update-card`` writes; an entry
without it shows "-".

A comparison table (``gan-zoo list --compare DATASET``) puts the shipped entries of
one dataset side by side, best fid_domain first, with precision, recall, images seen
and training time from the same cards.

README.md keeps the model table between :data:`START` and :data:`END`, and any number
of comparison tables between ``<!-- compare:DATASET:start -->`` and its ``end`` twin;
``gan-zoo list --markdown --update-readme README.md`` rewrites them all.

Examples:
>>> rows = model_rows("mlpgan-*")
>>> [r["name"] for r in rows], rows[0]["resolution"]
(['mlpgan-fashion-mnist', 'mlpgan-mnist'], '28x28')
>>> list(comparison_rows("fashion-mnist")[0])
['name', 'family', 'fid_domain', 'precision', 'recall', 'G params', 'images seen', 'training']
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from zoo import atomic, card as card_lib

START = "<!-- model-table:start -->"
END = "<!-- model-table:end -->"
COMPARE_START = re.compile(r"<!-- compare:([^\s:]+):start -->")
REGENERATE = "gan-zoo list --markdown --update-readme README.md"
NOT_SHIPPED = "not yet"
NONE = "-"


def _architecture(preset) -> tuple[tuple, int]:
    """(output image shape, generator parameter count) of a freshly built generator.

    ProGAN's generator is built with every block of its final resolution, so
    its output shape and count are those of the fully grown network.
    """
    g = preset.generator(**preset.generator_config, name="generator")
    return tuple(int(d) for d in g.output_shape[1:]), int(g.count_params())


def _card_metric(card, prefix: str):
    """(key, value) of the first metric named ``<prefix>_<budget>`` in any of the card's
    metrics blocks (e.g. ``metrics.infogan_codes``), else None."""
    for values in card_lib.metric_values(card).values():
        for key, value in values.items():
            if key.startswith(prefix + "_") and isinstance(value, (int, float)):
                return key, value
    return None


def _metric_item(values: dict, prefix: str):
    """(key, value) of the card metric ``<prefix>_<budget>`` (e.g. ``fid_domain_10k``,
    not its ``_se``/``_std``), else None."""
    for key, value in values.items():
        if key.startswith(prefix + "_") and not key.endswith(("_se", "_std")):
            return key, value
    return None


def _metric(values: dict, prefix: str, fmt: str, budget: bool = False) -> str:
    """The card metric ``<prefix>_<budget>`` formatted, with its sample budget appended
    when ``budget`` ("27.50 @10k"); "-" when absent."""
    item = _metric_item(values, prefix)
    if item is None:
        return NONE
    key, value = item
    return f"{value:{fmt}}" + (f" @{key.rsplit('_', 1)[1]}" if budget else "")


def _domain_values(card) -> dict:
    """The ``values`` of the card's ``metrics.domain`` block ({} without one)."""
    domain = card_lib.domain_metrics(card)
    return domain["values"] if domain else {}


def _millions(n: int) -> str:
    """A count in millions, as in the "G params" column: "0.86M"."""
    return f"{n / 1e6:.2f}M"


def _entry(name: str):
    """(preset, validated card) of the registered entry ``name``."""
    import zoo
    from zoo.registry import get_preset

    return get_preset(name), card_lib.check_card(zoo.info(name), source=f"the card of {name}")


def model_row(name: str) -> dict:
    """One table row (display strings) for the registered entry ``name``."""
    preset, card = _entry(name)
    if card_lib.is_shipped(card):
        shape, params = card["image_shape"], card["generator_params"]
    else:
        shape, params = _architecture(preset)
    size = card_lib.weights_bytes(card)
    images = card_lib.train_images(card)
    domain = card_lib.domain_metrics(card)
    values = domain["values"] if domain else {}
    classes = _metric(values, "classes_covered_domain", "g")
    if classes != NONE and domain["class_histogram"]:
        classes += f"/{len(domain['class_histogram'])}"
    code = _card_metric(card, "category_accuracy_hungarian")
    return {
        "name": name,
        "family": preset.family,
        "dataset": f"{preset.dataset} ({images / 1000:g}k train)" if images else preset.dataset,
        "resolution": f"{shape[0]}x{shape[1]}",
        "G params": _millions(params),
        "weights": f"{size / 2**20:.1f} MB" if size else NOT_SHIPPED,
        "fid_domain": _metric(values, "fid_domain", ".2f", budget=True),
        "classes": classes,
        "coverage KL": _metric(values, "coverage_kl_domain", ".4f"),
        "notes": f"code acc {code[1]:.3f} @{code[0].rsplit('_', 1)[1]}" if code else "",
    }


def model_rows(pattern: str | None = None) -> list[dict]:
    """Rows for the entries matching the glob ``pattern`` (all when None), sorted by name.

    The "notes" column is left out when no row has a note (keeps the table narrow).
    """
    import zoo

    rows = [model_row(n) for n in zoo.list_models(pattern)]
    if not any(r["notes"] for r in rows):
        for r in rows:
            del r["notes"]
    return rows


def _where(environment: dict) -> str:
    """Where a run trained: "2 CPU cores" on the CPU, else the device ("GPU")."""
    if environment["device"] != "cpu":
        return environment["device"].upper()
    n = environment["cpu_count"]
    return "CPU" if n is None else f"{n} CPU core" + ("" if n == 1 else "s")


def comparison_row(name: str, preset, card) -> dict:
    """One comparison row (display strings) for the shipped entry ``name``."""
    values, run = _domain_values(card), card_lib.run_summary(card)
    images = run["images_seen"]
    return {
        "name": name,
        "family": preset.family,
        "fid_domain": _metric(values, "fid_domain", ".2f", budget=True),
        "precision": _metric(values, "precision_domain", ".3f"),
        "recall": _metric(values, "recall_domain", ".3f"),
        "G params": _millions(card["generator_params"]),
        "images seen": _millions(images) if images >= 1e6 else f"{images / 1e3:.0f}k",
        "training": f"{run['wall_clock_s'] / 3600:.1f} h, {_where(card['environment'])}",
    }


def comparison_rows(dataset: str) -> list[dict]:
    """Rows for every entry with shipped weights trained on ``dataset``, best fid_domain
    first (entries without one last, then by name).

    Raises ValueError, naming the datasets that have shipped entries, when none is on ``dataset``.
    """
    import zoo

    entries = [(n, *_entry(n)) for n in zoo.list_models()]
    shipped = [e for e in entries if card_lib.is_shipped(e[2])]
    chosen = [e for e in shipped if e[1].dataset == dataset]
    if not chosen:
        known = ", ".join(sorted({preset.dataset for _, preset, _ in shipped}))
        raise ValueError(f"no shipped model is trained on {dataset!r}; datasets with shipped models: {known}")

    def fid(entry) -> tuple[float, str]:
        item = _metric_item(_domain_values(entry[2]), "fid_domain")
        return (item[1] if item else math.inf), entry[0]

    return [comparison_row(*e) for e in sorted(chosen, key=fid)]


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table: header, separator, one line per row."""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) or NONE for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def text_table(rows: list[dict]) -> str:
    """A plain, column-aligned table for the terminal."""
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols).rstrip()]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip() for r in rows]
    return "\n".join(lines)


def compare_markers(dataset: str) -> tuple[str, str]:
    """The (start, end) markers of the README block comparing the entries of ``dataset``."""
    return f"<!-- compare:{dataset}:start -->", f"<!-- compare:{dataset}:end -->"


def readme_block(text: str, start: str = START, end: str = END) -> str:
    """The text between the markers ``start`` and ``end`` of a README (stripped); each
    must occur exactly once, ``start`` first."""
    if text.count(start) > 1:
        raise ValueError(f"more than one {start} block found")
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no {start} ... {end} block found")
    return text[i + len(start) : j].strip()


def replace_block(text: str, table: str, start: str = START, end: str = END) -> str:
    """``text`` with its block between ``start`` and ``end`` replaced by ``table``."""
    readme_block(text, start, end)  # raises when the markers are missing or repeated
    i, j = text.find(start) + len(start), text.find(end)
    return text[:i] + "\n\n" + table.strip() + "\n\n" + text[j:]  # blank lines: Markdown tables


def regenerate_readme(path: str | Path) -> dict[str, bool]:
    """Rewrites the model table and every comparison block of ``path`` from the cards, in
    one atomic write. Returns whether each block changed, by label ("model table",
    "fashion-mnist comparison"), in README order after the model table."""
    path = Path(path)
    text = new = path.read_text()
    tables = {"model table": ((START, END), markdown_table(model_rows()))}
    for dataset in dict.fromkeys(COMPARE_START.findall(text)):  # each dataset once, in README order
        tables[f"{dataset} comparison"] = (compare_markers(dataset), markdown_table(comparison_rows(dataset)))
    changed = {}
    for label, (markers, table) in tables.items():
        before, new = new, replace_block(new, table, *markers)
        changed[label] = new != before
    if new != text:
        atomic.write_text(path, new, mode=path.stat().st_mode & 0o777)  # the README keeps its mode
    return changed
