"""The model table of ``gan-zoo list``, built from the registry and the model cards.

Everything is read through the typed readers of :mod:`zoo.card`. Resolution and
generator size come from a shipped card; an entry without shipped weights gets
them from its architecture, by building the generator from the preset (small
models: well under a second each). Metrics come from the card's
``metrics.domain`` block that ``gan-zoo eval --update-card`` writes; an entry
without it shows "-".

README.md keeps the Markdown table between :data:`START` and :data:`END`;
``gan-zoo list --markdown --update-readme README.md`` rewrites that block.

Examples:
>>> rows = model_rows("mlpgan-*")
>>> [r["name"] for r in rows], rows[0]["resolution"]
(['mlpgan-fashion-mnist', 'mlpgan-mnist'], '28x28')
"""

from __future__ import annotations

from pathlib import Path

from zoo import atomic, card as card_lib

START = "<!-- model-table:start -->"
END = "<!-- model-table:end -->"
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


def _metric(values: dict, prefix: str, fmt: str, budget: bool = False) -> str:
    """The card metric ``<prefix>_<budget>`` (e.g. ``fid_domain_10k``) formatted, with
    its sample budget appended when ``budget`` ("27.50 @10k"); "-" when absent."""
    for key, value in values.items():
        if key.startswith(prefix + "_") and not key.endswith(("_se", "_std")):
            return f"{value:{fmt}}" + (f" @{key.rsplit('_', 1)[1]}" if budget else "")
    return NONE


def model_row(name: str) -> dict:
    """One table row (display strings) for the registered entry ``name``."""
    import zoo
    from zoo.registry import get_preset

    preset = get_preset(name)
    card = card_lib.check_card(zoo.info(name), source=f"the card of {name}")
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
        "G params": f"{params / 1e6:.2f}M",
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


def readme_block(text: str) -> str:
    """The text between the model-table markers of a README (stripped)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START} ... {END} block found")
    return text[start + len(START) : end].strip()


def update_readme(path: str | Path, table: str) -> bool:
    """Replaces the block between the markers of ``path`` with ``table``, atomically
    (:mod:`zoo.atomic`). Returns whether it changed."""
    path = Path(path)
    text = path.read_text()
    readme_block(text)  # raises when the markers are missing
    start, end = text.find(START) + len(START), text.find(END)
    new = text[:start] + "\n\n" + table.strip() + "\n\n" + text[end:]  # blank lines: Markdown tables
    if new == text:
        return False
    atomic.write_text(path, new, mode=path.stat().st_mode & 0o777)  # the README keeps its mode
    return True
