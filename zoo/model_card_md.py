"""Markdown model cards (Hugging Face style) rendered from the JSON cards: ``gan-zoo card NAME``.

The JSON card (:mod:`zoo.card`) stays the one source of truth; this module only
reads it through the typed readers and renders: YAML front matter (licence,
library, tags, datasets), model details, intended use and limits, training data
and recipe, metrics beside the real-data floor (each metrics block's
``real_reference``) and the untrained ceiling (a block's optional
``untrained_reference``, same keys as ``values``), the training curve, how to
use the model from Python, the CLI, TF-Lite and ONNX, the licence and the
citation of the family's paper(s). Citations are plain data in the family's
folder: ``zoo/families/<family>/paper.py`` holding ``PAPERS``, a list of BibTeX
fields (the family's own paper first); a family without one renders without.

``docs/models/NAME.md`` holds the rendered card of every registered entry;
regenerate them all with ``gan-zoo card --all -o docs/models --force`` (``python -m
zoo.model_card_md`` does the same). ``tests/test_model_card_md.py`` fails when
a committed file differs from what its card renders.

Examples:
>>> text = render("dcgan-mnist")
>>> text.splitlines()[:3]
['---', 'license: apache-2.0', 'library_name: keras']
>>> "## Evaluation" in text and "@article" not in text and "@inproceedings{radford2016unsupervised," in text
True
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path

from zoo import card as card_lib

REGENERATE = "gan-zoo card --all -o docs/models --force"
DOCS = Path(__file__).resolve().parents[1] / "docs"  # the repository's docs/ (absent in a plain install)
MARKER = "<!-- generated from the JSON model card by gan-zoo card; regenerate with: " + REGENERATE + " -->"
HF_DATASETS = {"mnist": "mnist", "fashion-mnist": "fashion_mnist"}
# Which way is better for a metric, by the start of its name.
BETTER = (("fid", "lower"), ("kid", "lower"), ("coverage_kl", "lower"), ("is_", "higher"), ("precision", "higher"),
          ("recall", "higher"), ("classes_covered", "higher"), ("category_accuracy", "higher"), ("q_", "higher"))
_METRIC_KEY = re.compile(r"^(?P<base>.+?)_(?P<budget>\d+k)(?P<tail>_se|_std)?$")


def family_papers(preset) -> list[dict]:
    """``PAPERS`` of the family's ``paper.py`` (beside its generator's module), or ``[]``.

    Examples:
    >>> from zoo.registry import get_preset
    >>> [p["year"] for p in family_papers(get_preset("progan-fashion-mnist"))]   # ProGAN, then WGAN-GP
    [2018, 2017]
    """
    package = preset.generator.__module__.rpartition(".")[0]
    if not package:  # a generator defined in a top-level module: no family folder to look in
        return []
    try:
        module = importlib.import_module(f"{package}.paper")
    except ModuleNotFoundError as e:
        if e.name not in (f"{package}.paper", package):
            raise
        return []
    return list(getattr(module, "PAPERS", []))


def bibtex(paper: dict) -> str:
    """One BibTeX entry from a ``PAPERS`` item (``type`` and ``key`` plus the fields, in order)."""
    fields = [(k, v) for k, v in paper.items() if k not in ("type", "key")]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{paper['type']}{{{paper['key']},\n{body}\n}}"


def _parse_values(values: dict) -> tuple[dict, str | None]:
    """``{"fid_domain_10k": 1.0, "kid_domain_10k_se": 0.1, ...}`` -> ``({base: {"value", "se", "std",
    "budget"}}, "10k")``: the budget is returned when every metric shares it, else None (each cell shows its own)."""
    rows = {}
    for key, value in values.items():
        m = _METRIC_KEY.match(key)
        base, tail = (m["base"], m["tail"]) if m else (key, None)
        row = rows.setdefault(base, {"budget": m["budget"] if m else None})
        row[{"_se": "se", "_std": "std"}.get(tail, "value")] = value
    budgets = {row["budget"] for row in rows.values()}
    if len(budgets) == 1:
        for row in rows.values():
            row["budget"] = None
        return rows, budgets.pop()
    return rows, None


def _number(v) -> str:
    if isinstance(v, list):
        return ", ".join(_number(x) for x in v)
    if v is None or isinstance(v, (bool, str)):
        return "-" if v is None else str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.4g}" if isinstance(v, float) else json.dumps(v)


def _cell(entry: dict | None) -> str:
    if not entry or "value" not in entry:
        return "-"
    spread = entry.get("se", entry.get("std"))
    return (_number(entry["value"]) + (f" ± {spread:.2g}" if isinstance(spread, (int, float)) else "")
            + (f" @{entry['budget']}" if entry.get("budget") else ""))


def _better(base: str) -> str:
    return next((way for prefix, way in BETTER if base.startswith(prefix)), "")


def metrics_table(block: dict) -> list[str]:
    """Markdown table lines: each metric of ``block`` beside its real-data and untrained references.

    Examples:
    >>> block = {"values": {"fid_domain_10k": 18.7455, "kid_domain_10k": 1.92, "kid_domain_10k_se": 0.0168},
    ...          "real_reference": {"fid_domain_9k": 1.65}, "untrained_reference": {"fid_domain_10k": 426.1}}
    >>> print("\\n".join(metrics_table(block)))
    | metric | better | this model (@10k) | real data (@9k) | untrained (@10k) |
    |---|---|---|---|---|
    | fid_domain | lower | 18.75 | 1.65 | 426.1 |
    | kid_domain | lower | 1.92 ± 0.017 | - | - |
    """
    model, budget = _parse_values(block["values"])
    columns = [(f"this model (@{budget})" if budget else "this model", model)]
    for key, title in (("real_reference", "real data"), ("untrained_reference", "untrained")):
        if block.get(key):
            rows, b = _parse_values(block[key])
            columns.append((f"{title} (@{b})" if b else title, rows))
    lines = ["| metric | better | " + " | ".join(t for t, _ in columns) + " |", "|---" * (len(columns) + 2) + "|"]
    for base in model:
        lines.append(f"| {base} | {_better(base)} | " + " | ".join(_cell(rows.get(base)) for _, rows in columns) + " |")
    return lines


def _kv_table(items: dict, key: str, value: str) -> list[str]:
    lines = [f"| {key} | {value} |", "|---|---|"]
    for k, v in items.items():
        shown = f"`{json.dumps(v)}`" if isinstance(v, (dict, list)) else _number(v)
        lines.append(f"| {k} | {shown if shown != '' else '-'} |")
    return lines


def _link(target: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(target, out_dir)).as_posix()


def _architecture(preset) -> tuple[list, list]:
    """([(input name, shape without the batch)], output image shape) of a freshly built generator."""
    g = preset.generator(**preset.generator_config, name="generator")
    return [(t.name.split(":")[0], tuple(int(d) for d in t.shape[1:])) for t in g.inputs], [
        int(d) for d in g.output_shape[1:]]


def _front_matter(card: dict, preset) -> list[str]:
    licence = str(card.get("licence", preset.licence)).split()[0].lower()
    dataset = HF_DATASETS.get(card["dataset"], card["dataset"])
    return ["---", f"license: {licence if licence.startswith(('apache', 'mit', 'cc', 'bsd')) else 'other'}",
            "library_name: keras", "pipeline_tag: unconditional-image-generation",
            "tags:", "- gan", f"- {card['family']}", "- keras", "- gan-zoo", "datasets:", f"- {dataset}", "---"]


def _usage(preset, name: str, arch) -> list[str]:
    inputs, image_shape = arch
    shape = "(16, " + ", ".join(str(d) for d in image_shape) + ")"
    if len(inputs) == 1:
        feed = [f"z = np.random.default_rng(0).standard_normal((16, {inputs[0][1][0]})).astype(np.float32)"]
        tfl, onnx = "run(z=z)", '{"z": z}'
    else:
        listed = ", ".join(f'"{n}": (16, {", ".join(map(str, s))})' for n, s in inputs)
        feed = ["import zoo", f'feed = zoo.load("{name}").sample_latents(16, seed=0)  # {{{listed}}}']
        tfl, onnx = "run(**feed)", "feed"
    return [
        "## How to use", "",
        "Python (`pip install` this repository; the weights " + (
            "are fetched once into the Keras cache" if getattr(preset.generator_weights, "url", None)
            else "ship with it") + " and are sha256-checked on load):", "",
        "```python", "import zoo", "", f'm = zoo.load("{name}")',
        f"images = m.sample(16, seed=0)   # float32 {shape} in [-1, 1]; the same seed gives the same images",
        "m.generator                      # the Keras 3 generator", "```", "",
        "Command line:", "", "```bash", f"gan-zoo sample {name} -n 64 --seed 0 -o samples.png",
        f"gan-zoo interpolate {name} --seeds 0,1,2,3 --frames 60 -o walk.gif",
        f"gan-zoo eval {name} -n 10000 --seed 0", f"gan-zoo export {name} --format all -o out/", "```", "",
        "TF-Lite (LiteRT, `pip install ai-edge-litert`) and ONNX Runtime, after the export above:", "",
        "```python", "import numpy as np", *feed, "",
        "from ai_edge_litert.interpreter import Interpreter",
        f'run = Interpreter(model_path="out/{name}.tflite").get_signature_runner("serving_default")',
        f'images = {tfl}["image"]', "", "import onnxruntime as ort",
        f'session = ort.InferenceSession("out/{name}.onnx", providers=["CPUExecutionProvider"])',
        f'images = session.run(["image"], {onnx})[0]', "```", "",
    ]


def _describe_input(info: dict) -> str:
    parts = [info.get("distribution") or "", f"default {info['default']}" if "default" in info else "",
             info.get("meaning") or ""]
    return "; ".join(p for p in parts if p)


def _details(card: dict, papers: list, arch) -> list[str]:
    paper = f" ([{papers[0]['title']}]({papers[0]['url']}), {papers[0]['year']})" if papers else ""
    shape = "x".join(str(d) for d in arch[1])
    lines = ["## Model details", "", f"- **Family:** {card['family']}{paper}",
             f"- **Dataset:** {card['dataset']}", f"- **Output:** {shape} images (height x width x channels), "
             f"float32 in [-1, 1]"]
    if not card_lib.is_shipped(card):
        return lines + ["- **Weights:** not shipped yet (architecture and recipe only)", ""]
    described = card.get("latent", {})
    latent = ", ".join(f"`{n}` {list(s)}" + (f" ({_describe_input(described[n])})" if n in described else "")
                       for n, s in arch[0])
    lines += [f"- **Inputs:** {latent}",
              f"- **Parameters:** generator {card['generator_params']:,}, discriminator "
              f"{card['discriminator_params']:,}",
              f"- **Shipped generator:** {card['shipped_generator']} (batch-norm statistics: "
              f"{card['batchnorm_statistics']})",
              f"- **Framework:** Keras {card['environment']['keras']} ({card['environment']['backend']} backend); "
              "loads on TensorFlow, JAX and PyTorch", "", "| weights file | bytes | sha256 |", "|---|---|---|"]
    lines += [f"| {w['file']} | {w['bytes']:,} | `{w['sha256']}` |" for w in card["weights"].values()]
    return lines + [""]


def _use_and_limits(card: dict) -> list[str]:
    lines = ["## Intended use and limitations", "",
             "Intended for research and teaching: studying GAN architectures and training recipes on small "
             "grayscale images, comparing entries of the zoo under one evaluation protocol, and testing export "
             "runtimes (TF-Lite, ONNX, SavedModel) with a known reference. Seeded latents give the same images "
             "on every Keras backend.", "",
             f"Out of scope: images of any domain other than {card['dataset']}, samples presented as real data, "
             "and training data for downstream models without checking their quality. The metrics below use "
             "the project's own domain classifier as feature network, so they compare entries of this zoo "
             "with each other and are not comparable with published (Inception) FIDs.", ""]
    if card.get("data"):
        lines += [f"Data: {card['data']['note']}", ""]
    if card.get("notes"):
        lines += [f"Notes from the card: {card['notes']}", ""]
    return lines


def _training(card: dict) -> list[str]:
    lines = ["## Training data and recipe", ""]
    data = card.get("data")
    if data:
        lines += [f"{data['images']:,} images of the `{data['split']}` split of `{data['dataset']}`."
                  + (f" Training images sha256: `{data['train_images_sha256']}`." if data.get("train_images_sha256")
                     else ""), ""]
    lines += _kv_table(card["recipe"], "recipe", "value") + [""]
    if card.get("step"):
        lines += ["Training step: " + ", ".join(f"{k} = {_number(v)}"
                                                for k, v in card["step"].items()), ""]
    run = card_lib.run_summary(card)
    if run:
        env = card["environment"]
        lines += [f"Run: {run['steps']:,} steps, {run['images_seen']:,} images seen ({run['epochs']:.3g} epochs), "
                  f"{run['wall_clock_s']:,.0f} s of training on {env['device']} ({env['cpu']}, "
                  f"{env['cpu_count']} cores), TensorFlow {env['tensorflow']}, Keras {env['keras']}.", "",
                  f"Command: `{card['training_command']}`", ""]
    return lines


def _evaluation(card: dict) -> list[str]:
    blocks = card.get("metrics", {})
    if not blocks:
        return ["## Evaluation", "", "No metrics recorded yet.", ""]
    lines = ["## Evaluation", ""]
    for key, block in blocks.items():
        protocol = block.get("protocol", {})
        lines += [f"### {key}", "", *metrics_table(block), ""]
        if protocol.get("feature_net"):
            lines += [f"Features: {protocol['feature_net']}; reference: {protocol.get('reference', '-')}; "
                      f"real-data row: {protocol.get('real_row', '-')}.", ""]
        if key == card_lib.CODES_KEY and block.get("mapping"):
            mapping = ", ".join(f"{c} -> {d}" for c, d in block["mapping"].items())
            lines += [f"Code -> digit mapping (Hungarian): {mapping}.", ""]
        if block.get("class_histogram"):
            shares = ", ".join(f"{i}: {p:.1%}" for i, p in enumerate(block["class_histogram"]))
            lines += [f"Share of samples per predicted class: {shares}.", ""]
        if block.get("command"):
            lines += [f"Command: `{block['command']}`", ""]
    return lines


def _curve(card: dict, name: str, out_dir: Path, docs: Path) -> list[str]:
    points = card_lib.training_curve(card)
    figure = docs / f"{name}-curve.png"
    if not points:
        return []
    lines = ["## Training curve", ""]
    if figure.exists():
        lines += [f"![fid against images seen]({_link(figure, out_dir)})", ""]
    keys = [k for k in points[0] if k not in ("images", "step")]
    lines += ["| images | step | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    lines += [f"| {p['images']:,} | {p['step']:,} | " + " | ".join(_number(p.get(k)) for k in keys) + " |"
              for p in points]
    if card.get("snapshot"):
        lines += ["", "Shipped snapshot: " + ", ".join(f"{k} = {v}" for k, v in card["snapshot"].items())]
    return lines + ["", f"`gan-zoo curve {name} -o curve.png` plots it.", ""]


def render(name: str, out_dir=None, docs=DOCS) -> str:
    """The Markdown model card of the registered entry ``name``.

    Args:
        out_dir: the folder the card will be written to (default ``docs/models``): links to the
            samples figure and the training curve are relative to it.
        docs: the folder holding ``NAME.png`` and ``NAME-curve.png`` (linked only when present).
    """
    import zoo
    from zoo.registry import get_preset

    preset = get_preset(name)
    card = card_lib.check_card(zoo.info(name), source=f"the card of {name}")
    out_dir, docs = Path(out_dir or Path(docs) / "models"), Path(docs)
    papers = family_papers(preset)
    lines = [*_front_matter(card, preset), "", MARKER, "", f"# {name}", "", card["description"], ""]
    samples = docs / f"{name}.png"
    if samples.exists():
        lines += [f"![{name} samples, seed 0]({_link(samples, out_dir)})", ""]
    arch = _architecture(preset)
    lines += _details(card, papers, arch) + _use_and_limits(card)
    if card_lib.is_shipped(card):
        lines += _training(card) + _evaluation(card) + _curve(card, name, out_dir, docs)
    lines += _usage(preset, name, arch)
    lines += ["## Licence", "", str(card.get("licence", preset.licence)), ""]
    if papers:
        lines += ["## Citation", "", f"{card['family']} comes from:", ""]
        lines += [f"- {p['author']}. *{p['title']}*. {p['booktitle']}, {p['year']}. {p['url']}" for p in papers]
        lines += ["", "```bibtex", "\n\n".join(bibtex(p) for p in papers), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_all(out_dir, force: bool = False) -> list[Path]:
    """Writes ``OUT/NAME.md`` for every registered entry (atomically); removes generated cards
    (those carrying :data:`MARKER`) of entries no longer registered. Existing files need ``force``."""
    from zoo import atomic
    from zoo.registry import list_models

    out_dir, names = Path(out_dir), list_models()
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(20, "not a folder", str(out_dir))
    existing = [out_dir / f"{n}.md" for n in names if (out_dir / f"{n}.md").exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} already exists; pass --force to regenerate the cards")
    written = [atomic.write_text(out_dir / f"{n}.md", render(n, out_dir)) for n in names]
    for stale in stale_files(out_dir):
        stale.unlink()
    return written


def stale_files(out_dir) -> list[Path]:
    """Generated cards in ``out_dir`` whose entry is no longer registered."""
    from zoo.registry import list_models

    names = set(list_models())
    return sorted(p for p in Path(out_dir).glob("*.md") if p.stem not in names and MARKER in p.read_text())


def register(subparsers) -> None:
    """Adds ``gan-zoo card`` (called by ``zoo.cli.build_parser``)."""
    p = subparsers.add_parser("card", help="render a model card as Markdown (Hugging Face style)",
                              description="Renders the entry's JSON card as a Markdown model card: details, "
                              "intended use and limits, data and recipe, metrics beside the real-data floor, "
                              "training curve, usage, licence and citation. Prints it, or writes -o FILE "
                              f"atomically. Regenerate docs/models/ with: {REGENERATE}")
    p.add_argument("name", nargs="?", help="a registered model name (see gan-zoo list)")
    p.add_argument("--all", action="store_true", help="every registered entry, as -o FOLDER/NAME.md")
    p.add_argument("-o", "--output", default=None, help="Markdown file (with --all: a folder); default: print")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run_command)


def run_command(args) -> None:
    """``gan-zoo card``: one card to stdout or ``-o FILE``, or ``--all -o FOLDER``."""
    if args.all:
        if args.name or not args.output:
            raise ValueError("--all writes every entry's card into -o FOLDER; give -o and no name")
        written = write_all(args.output, force=args.force)
        print(f"wrote {len(written)} model cards to {args.output}")
        return
    if not args.name:
        raise ValueError("give a model name (or --all -o FOLDER)")
    if not args.output:
        sys.stdout.write(render(args.name))
        return
    from zoo import atomic

    out = Path(args.output)
    if out.is_dir():
        raise IsADirectoryError(21, "is a folder; give a file name inside it", str(out))
    if out.exists() and not args.force:
        raise FileExistsError(f"{out} already exists; pass --force to overwrite it")
    atomic.write_text(out, render(args.name, out.parent.resolve()))
    print(f"wrote the model card of {args.name} to {out}")


if __name__ == "__main__":  # python -m zoo.model_card_md [FOLDER]: regenerate every card
    target = sys.argv[1] if len(sys.argv) > 1 else str(DOCS / "models")
    print(f"wrote {len(write_all(target, force=True))} model cards to {target}")
