"""Recipe ablation: train variants of an entry's recipe for the same number of images, compare the curves.

Each variant is plain data (recipe field overrides and step_config overrides)
applied to the registry entry; every run evaluates its EMA generator every
``--eval-kimg`` thousand images (zoo.training.evaluation), so the variants are
compared by fid_domain_5k at equal images. Runs are resumable (a variant whose
result is in ``OUT/ENTRY/results.jsonl`` is skipped; an interrupted one resumes
from its checkpoint). ``--report`` prints the Markdown table for
docs/recipes.md and writes the figure of every variant's curve.

    python scripts/recipe_ablation.py --entry dcgan-mnist --variants all --images 100000 --eval-kimg 20
    python scripts/recipe_ablation.py --entry dcgan-mnist --top 3 --images 300000 --eval-kimg 20
    python scripts/recipe_ablation.py --entry dcgan-mnist --report --figure docs/ablation-dcgan-mnist.png
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

# name -> (what it tests, recipe overrides, step_config overrides[, discriminator_config overrides]).
# "today" is the recipe the previously shipped weights used.
EMA10 = dict(ema_kimg=10.0, ema_rampup=0.05)
VARIANTS = {
    "today": ("the recipe the shipped weights used (float32, per-step EMA 0.999)", {}, {}),
    "bf16": ("today's recipe under mixed_bfloat16", dict(precision="bfloat16"), {}),
    "ema10k": ("bf16 + EMA half-life 10k images, ramp-up 0.05", dict(precision="bfloat16", **EMA10), {}),
    "r1": ("ema10k + R1 gamma 0.05, lazy every 4 steps", dict(precision="bfloat16", **EMA10),
           dict(r1_gamma=0.05, r1_every=4)),
    "hinge": ("ema10k + hinge loss", dict(precision="bfloat16", **EMA10), dict(loss="hinge")),
    "diffaug": ("ema10k + DiffAugment translation + cutout", dict(precision="bfloat16", **EMA10),
                dict(augment="translation,cutout")),
    "ttur": ("ema10k + TTUR: G 1e-4, D 4e-4", dict(precision="bfloat16", g_learning_rate=1e-4,
                                                 d_learning_rate=4e-4, **EMA10), {}),
    # high recall with low precision (samples spread off the data) points at a lenient D: R1 already
    # regularises D, so try it without the seeds' dropout
    "r1-nodrop": ("r1 without dropout in D", dict(precision="bfloat16", **EMA10),
                  dict(r1_gamma=0.05, r1_every=4), dict(dropout=0.0)),
}


VARIANT_BATCH_ROUND = 1000  # a row's budget, rounded: 99,968 images of batch 64 is the 100k budget


def _fid(row: dict) -> str:
    return next(k for k in row["evaluation"]["best"] if k.startswith("fid_domain_"))


# Every variant starts from the seed's recipe (float32, per-step EMA 0.999, the plain
# non-saturating loss), whatever recipe the entry ships now, so a row can be rerun as it was.
SEED_RECIPE = dict(precision="float32", ema_decay=0.999, ema_kimg=None, ema_rampup=None)
# The seeds' D settings that a shipped recipe has since changed (dcgan-fashion-mnist ships without dropout).
SEED_DISCRIMINATOR = {"dcgan-fashion-mnist": dict(dropout=0.4)}


def variant_preset(base, name: str, eval_kimg: float):
    from zoo.training.step import RECIPE_OPTIONS

    _, recipe, step, *disc = VARIANTS[name]
    seed_step = {k: v for k, v in base.step_config.items() if k not in RECIPE_OPTIONS}
    return dataclasses.replace(
        base,
        recipe=dataclasses.replace(base.recipe, **{**SEED_RECIPE, **recipe}, eval_every_kimg=eval_kimg),
        step_config={**seed_step, **step},
        discriminator_config={**base.discriminator_config, **SEED_DISCRIMINATOR.get(base.name, {}),
                              **(disc[0] if disc else {})},
    )


def run(args) -> None:
    from zoo.registry import get_preset
    from zoo.training.trainer import TrainConfig, Trainer

    base = get_preset(args.entry)
    root = Path(args.out) / args.entry
    root.mkdir(parents=True, exist_ok=True)
    results = root / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    done = {(r["variant"], r["images"] // VARIANT_BATCH_ROUND) for r in rows}
    names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    if args.top:  # successive halving: the best TOP variants by best fid so far go on to --images
        latest = {r["variant"]: r for r in rows if r["variant"] not in args.exclude.split(",")}
        names = sorted(latest, key=lambda v: latest[v]["evaluation"]["best"][_fid(latest[v])])[:args.top]
        print(f"continuing {names}", flush=True)
    for name in names:
        if (name, args.images // VARIANT_BATCH_ROUND) in done:
            continue
        preset = variant_preset(base, name, args.eval_kimg)
        out = root / name
        steps = args.images // preset.recipe.batch_size
        config = TrainConfig(out_dir=out, max_steps=steps, resume=(out / "checkpoint.npz").exists(),
                             progress=False, tensorboard=False, checkpoint_every=500, epochs=10**6)
        t0 = time.time()
        summary = Trainer(preset, config).fit()
        row = {"variant": name, "what": VARIANTS[name][0], "recipe": VARIANTS[name][1], "step_config": VARIANTS[name][2],
               "discriminator_config": VARIANTS[name][3] if len(VARIANTS[name]) > 3 else {},
               "images": summary["images_seen"], "wall_clock_s": summary["wall_clock_s"],
               "run_s": round(time.time() - t0, 1), "evaluation": summary.get("evaluation"),
               "command": f"python scripts/recipe_ablation.py --entry {args.entry} --variants {name} "
                          f"--images {args.images} --eval-kimg {args.eval_kimg:g}"}
        with results.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


def report(args) -> None:
    from zoo.training import evaluation

    root = Path(args.out) / args.entry
    rows = [json.loads(line) for line in (root / "results.jsonl").read_text().splitlines()]
    rows = list({r["variant"]: r for r in rows}.values())  # each variant's longest run (its curve has all)
    curves = {r["variant"]: evaluation.read_log(root / r["variant"] / evaluation.METRICS_NAME) for r in rows}
    points = sorted({c["images"] for log in curves.values() for c in log})
    print("| variant | what | images | wall clock | " + " | ".join(f"fid @{p // 1000}k" for p in points)
          + " | best fid | precision / recall at best |")
    print("|---" * (6 + len(points)) + "|")
    for r in rows:
        log = {c["images"]: c["values"] for c in curves[r["variant"]]}
        key = next(k for k in next(iter(log.values())) if k.startswith("fid_domain_"))
        best = min(log.values(), key=lambda v: v[key])
        pr = [next(v for k, v in best.items() if k.startswith(m)) for m in ("precision_", "recall_")]
        cells = [f"{log[p][key]:.2f}" if p in log else "-" for p in points]
        print(f"| `{r['variant']}` | {r['what']} | {r['images']:,} | {r['wall_clock_s'] / 60:.1f} min | "
              + " | ".join(cells) + f" | **{best[key]:.2f}** | {pr[0]:.3f} / {pr[1]:.3f} |")
    if args.figure:
        _figure(curves, args.figure, args.entry)
        print(f"\n![{args.entry} ablation]({args.figure})")


def _figure(curves: dict, path: str, title: str) -> None:
    from zoo import figures

    fig, ax = figures.new_axes(720, 430)
    for name, log in curves.items():
        key = next(k for k in log[0]["values"] if k.startswith("fid_domain_"))
        ax.plot([c["images"] / 1000 for c in log], [c["values"][key] for c in log], marker="o", markersize=3,
                label=name)
    figures.style_axes(ax, title=f"{title}: recipe variants", xlabel="images seen (thousands)", ylabel=key,
                       legend_outside=True)
    figures.save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entry", default="dcgan-mnist")
    p.add_argument("--variants", default="all", help=f"comma-separated, or all: {', '.join(VARIANTS)}")
    p.add_argument("--images", type=int, default=150_000, help="images per variant (equal for all)")
    p.add_argument("--eval-kimg", type=float, default=25.0)
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--top", type=int, default=None,
                   help="continue only the best TOP variants so far (by best fid) to --images")
    p.add_argument("--exclude", default="", help="with --top: variants not to continue (comma-separated)")
    p.add_argument("--report", action="store_true", help="print the Markdown table of the finished variants")
    p.add_argument("--figure", default=None, help="with --report: write every variant's curve here")
    args = p.parse_args()
    report(args) if args.report else run(args)


if __name__ == "__main__":
    main()
