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

StyleGAN, the MLP GAN and ProGAN have their own variant sets (``FAMILY_VARIANTS``): StyleGAN's and
ProGAN's steps take other options than NonSaturatingStep's, and StyleGAN has its own seed recipe.
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


# StyleGAN: the shipped recipe (float32, per-step EMA 0.9978 = a 10k-image half-life at batch 32,
# R1 gamma 0.01 on every step), then the engine's options one at a time.
SG_EMA = dict(precision="bfloat16", ema_decay=None, ema_kimg=10.0, ema_rampup=0.05)
STYLEGAN_VARIANTS = {
    "today": ("the shipped recipe (float32, per-step EMA 0.9978, R1 every step)", {}, {}),
    "bf16": ("mixed_bfloat16 + EMA half-life 10k images with ramp-up 0.05", SG_EMA, {}),
    "lazy": ("bf16 + lazy R1 (every 4 steps)", SG_EMA, dict(r1_every=4)),
    "diffaug": ("lazy + DiffAugment translation + cutout", SG_EMA,
                dict(r1_every=4, augment="translation,cutout")),
    # All four above collapse to one garment shape by 25k images (4 classes, recall < 0.01): what
    # keeps G diverse? A lower learning rate, a stronger R1, the authors' CIFAR batch of 64.
    "lr2.5e-4": ("lazy with both learning rates 2.5e-4 (4x lower)",
                 dict(SG_EMA, g_learning_rate=2.5e-4, d_learning_rate=2.5e-4), dict(r1_every=4)),
    "gamma0.1": ("lazy with R1 gamma 0.1 (10x)", SG_EMA, dict(r1_every=4, r1_gamma=0.1)),
    "batch64": ("lazy with batch 64", dict(SG_EMA, batch_size=64), dict(r1_every=4)),
    # D's only diversity signal is one stddev per group of 4, which brightness alone satisfies:
    # the authors' CIFAR config uses groups of 32. And a 100x R1 (only 10x was tried).
    "mbstd32": ("lazy with D's minibatch stddev over groups of 32", SG_EMA, dict(r1_every=4),
                dict(mbstd_group_size=32)),
    "gamma1": ("lazy with R1 gamma 1.0 (100x)", SG_EMA, dict(r1_every=4, r1_gamma=1.0)),
    "gamma10": ("lazy with R1 gamma 10 (1000x)", SG_EMA, dict(r1_every=4, r1_gamma=10.0)),
}
# MLP GAN: the shared variants plus D options against mode collapse (zoo.families.mlpgan.discriminator).
MLPGAN_VARIANTS = {
    **VARIANTS,
    "mbstd": ("ema10k + minibatch stddev feature in D (groups of 4)", dict(precision="bfloat16", **EMA10), {},
              dict(minibatch_std=4)),
    "dropout": ("ema10k + dropout 0.3 after D's hidden layers", dict(precision="bfloat16", **EMA10), {},
                dict(dropout=0.3)),
    "lr1e-4": ("ema10k with both learning rates 1e-4", dict(precision="bfloat16", g_learning_rate=1e-4,
                                                           d_learning_rate=1e-4, **EMA10), {}),
    "mbstd-drop": ("mbstd + dropout 0.3", dict(precision="bfloat16", **EMA10), {},
                   dict(minibatch_std=4, dropout=0.3)),
}
# mlpgan-fashion-mnist keeps a recall below 0.07 with mbstd-drop (precision ~0.78: few kinds, drawn well).
# What widens G's coverage on top of it: a diversity statistic over more samples, a smoother D (R1,
# spectral norm), the hinge loss, a larger batch.
MBSTD_DROP = dict(minibatch_std=4, dropout=0.3)
MLPGAN_VARIANTS.update({
    "mbstd16-drop": ("mbstd-drop with the stddev over groups of 16", dict(precision="bfloat16", **EMA10), {},
                     dict(MBSTD_DROP, minibatch_std=16)),
    "r1g1-drop": ("mbstd-drop + R1 gamma 1, lazy every 4 steps", dict(precision="bfloat16", **EMA10),
                  dict(r1_gamma=1.0, r1_every=4), MBSTD_DROP),
    "r1g10-drop": ("mbstd-drop + R1 gamma 10, lazy every 4 steps", dict(precision="bfloat16", **EMA10),
                   dict(r1_gamma=10.0, r1_every=4), MBSTD_DROP),
    "sn-drop": ("mbstd-drop + spectral norm on D's dense layers", dict(precision="bfloat16", **EMA10), {},
                dict(MBSTD_DROP, spectral_norm=True)),
    "hinge-drop": ("mbstd-drop + hinge loss", dict(precision="bfloat16", **EMA10), dict(loss="hinge"),
                   MBSTD_DROP),
    "b256-drop": ("mbstd-drop with batch 256", dict(precision="bfloat16", batch_size=256, **EMA10), {},
                  MBSTD_DROP),
})
# ProGAN: the shipped recipe (float32, WGAN-GP on every step, per-step EMA 0.999 = a 44k-image half-life at
# batch 64, longer than a 30k-image phase), then what scripts/progan_cost.py measured as cheaper.
PROGAN_VARIANTS = {
    "today": ("the shipped recipe (float32, penalty every step, per-step EMA 0.999)", {}, {}),
    "bf16-lazy": ("mixed_bfloat16 + the penalty every 4 steps (weight x4)", dict(precision="bfloat16", gp_every=4),
                  {}),
    "bf16-lazy-ema10k": ("bf16-lazy + EMA half-life 10k images, ramp-up 0.05",
                         dict(precision="bfloat16", gp_every=4, ema_decay=None, **EMA10), {}),
}
FAMILY_VARIANTS = {"stylegan": STYLEGAN_VARIANTS, "mlpgan": MLPGAN_VARIANTS,
                   "progan": PROGAN_VARIANTS}  # any other family: VARIANTS


def variants_for(base) -> dict:
    return FAMILY_VARIANTS.get(base.family, VARIANTS)


def _fid(row: dict) -> str:
    return next(k for k in row["evaluation"]["best"] if k.startswith("fid_domain_"))


# Every variant starts from the seed's recipe (float32, per-step EMA 0.999, the plain
# non-saturating loss), whatever recipe the entry ships now, so a row can be rerun as it was.
SEED_RECIPE = dict(precision="float32", ema_decay=0.999, ema_kimg=None, ema_rampup=None)
# Per entry, the seed's settings that SEED_RECIPE, stripping RECIPE_OPTIONS or a newer shipped
# recipe would lose: dcgan-fashion-mnist's seed D had dropout; StyleGAN's EMA and R1 are its own.
# The MLP GANs' seed discriminators had none of the options against collapse that they ship with now.
SEED_MLP_D = dict(dropout=0.0, minibatch_std=0, spectral_norm=False)
SEEDS = {
    "dcgan-fashion-mnist": dict(discriminator=dict(dropout=0.4)),
    "mlpgan-mnist": dict(discriminator=SEED_MLP_D),
    "mlpgan-fashion-mnist": dict(discriminator=SEED_MLP_D),
    "stylegan-fashion-mnist": dict(recipe=dict(ema_decay=0.9978), step=dict(r1_gamma=0.01)),
}


def variant_preset(base, name: str, eval_kimg: float):
    from zoo.training.step import RECIPE_OPTIONS

    _, recipe, step, *disc = variants_for(base)[name]
    seed = SEEDS.get(base.name, {})
    seed_step = {k: v for k, v in base.step_config.items() if k not in RECIPE_OPTIONS}
    return dataclasses.replace(
        base,
        recipe=dataclasses.replace(base.recipe, **{**SEED_RECIPE, **seed.get("recipe", {}), **recipe},
                                   eval_every_kimg=eval_kimg),
        step_config={**seed_step, **seed.get("step", {}), **step},
        discriminator_config={**base.discriminator_config, **seed.get("discriminator", {}),
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
    variants = variants_for(base)
    names = list(variants) if args.variants == "all" else args.variants.split(",")
    unknown = [n for n in names if n not in variants]
    if unknown:
        raise SystemExit(f"unknown variant(s) {unknown} for {args.entry}; choose from {', '.join(variants)}")
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
        what, recipe, step, *disc = variants[name]
        row = {"variant": name, "what": what, "recipe": recipe, "step_config": step,
               "discriminator_config": disc[0] if disc else {},
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
    # Columns at whole kimg: batches make 49,984 and 50,048 the same 50k point (the later evaluation,
    # e.g. after a resume, wins).
    points = sorted({round(c["images"] / 1000) for log in curves.values() for c in log})
    if args.columns_kimg:  # a narrower table: only the evaluations at multiples of this (the figure has all)
        points = [p for p in points if p % args.columns_kimg == 0]
    print("| variant | what | images | wall clock | " + " | ".join(f"fid @{p}k" for p in points)
          + " | best fid | precision / recall at best |")
    print("|---" * (6 + len(points)) + "|")
    for r in rows:
        log = {round(c["images"] / 1000): c["values"] for c in curves[r["variant"]]}
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
    p.add_argument("--variants", default="all", help=f"comma-separated, or all: {', '.join(VARIANTS)} "
                   f"(StyleGAN: {', '.join(STYLEGAN_VARIANTS)})")
    p.add_argument("--images", type=int, default=150_000, help="images per variant (equal for all)")
    p.add_argument("--eval-kimg", type=float, default=25.0)
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--top", type=int, default=None,
                   help="continue only the best TOP variants so far (by best fid) to --images")
    p.add_argument("--exclude", default="", help="with --top: variants not to continue (comma-separated)")
    p.add_argument("--report", action="store_true", help="print the Markdown table of the finished variants")
    p.add_argument("--figure", default=None, help="with --report: write every variant's curve here")
    p.add_argument("--columns-kimg", type=int, default=None,
                   help="with --report: table columns only at multiples of this many thousand images")
    args = p.parse_args()
    report(args) if args.report else run(args)


if __name__ == "__main__":
    main()
