"""InfoGAN seed scan: train several seeds briefly, score each code against digit class.

The categorical code of InfoGAN is known to depend on the seed (one digit split
by style, two merged). This trains ``--steps`` steps per seed with a named
recipe variant of the entry (``--variant``, see :data:`VARIANTS`), then scores
the EMA generator with ``gan-zoo codes``' measure (Hungarian accuracy of code ->
digit under the project's MNIST classifier: selection by that classifier is a
recipe step, and the card says so). The generator is loaded from the run's
``final/`` preset folder, so it is sampled with the noise it was trained on.

Variants (plain-data overrides of the entry's configs; each sets all four knobs, so a variant
is the same recipe whatever the registered entry ships):

* ``baseline``: the entry as first shipped (D's leaky slope 0.1, z ~ N(0, I), Q's learned std
  with the continuous NLL weighted 0.1).
* ``slope001``: D's leaky slope 0.01, the official code's (the default, and what
  every scan before ``--variant`` ran: its ``--leaky-slope`` defaulted to 0.01).
* ``uniform-z``: slope 0.01 + noise z ~ U(-1, 1) (the generator's ``noise``).
* ``fixed-std``: slope 0.01 + the official continuous L_I (Q's std fixed at 1,
  ``continuous_weight`` 1.0).
* ``official``: slope 0.01 + both.

Rows of ``OUT/scan.jsonl`` carry their ``variant``. Rows written before the
option have none; they map by their ``leaky_slope`` (0.01 -> ``slope001``,
anything else -> ``legacy-slope<x>``, which no variant resumes). Runs live in
``OUT/<variant>/seed<N>``, except ``slope001``'s, which keep the layout of the
earlier scan (``OUT/seed<N>``) so those runs and checkpoints continue.

Resumable: a (variant, seed, steps) whose line is already in ``OUT/scan.jsonl``
is skipped, and a seed's run resumes from its checkpoint, so the scan is
successive halving: every seed to S1 steps, then the best K of the same variant
by accuracy at S1 on to S2 (``--top K --from-steps S1``), and so on.

    python scripts/infogan_seed_scan.py --seeds 0,1,2,3,4,5 --steps 600 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --top 3 --from-steps 600 --steps 1500 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --top 1 --from-steps 1500 --steps 3000 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --variant uniform-z --seeds 0,1,2,3 --steps 600 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --report --out runs/infogan-scan
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

SLOPE_01 = {"discriminator_config": {"leaky_slope": 0.1}}
SLOPE_001 = {"discriminator_config": {"leaky_slope": 0.01}}
LEARNED_STD = {"step_config": {"continuous_std": "learned", "continuous_weight": 0.1}}
FIXED_STD = {"step_config": {"continuous_std": "fixed", "continuous_weight": 1.0}}
NORMAL_Z = {"generator_config": {"noise": "normal"}}
UNIFORM_Z = {"generator_config": {"noise": "uniform"}}
# name -> overrides of the entry's generator_config / discriminator_config / step_config (merged key by key).
VARIANTS = {
    "baseline": {**SLOPE_01, **NORMAL_Z, **LEARNED_STD},
    "slope001": {**SLOPE_001, **NORMAL_Z, **LEARNED_STD},
    "uniform-z": {**SLOPE_001, **UNIFORM_Z, **LEARNED_STD},
    "fixed-std": {**SLOPE_001, **NORMAL_Z, **FIXED_STD},
    "official": {**SLOPE_001, **UNIFORM_Z, **FIXED_STD},
}
DEFAULT_VARIANT = "slope001"  # what the scan ran before --variant existed
LEGACY_LAYOUT = "slope001"  # the variant whose runs are OUT/seed<N> (the earlier scan's folders)
MARKER = "scan_variant.json"  # in each run folder: the variant that trained it


def variant_preset(name: str, seed: int, base=None):
    """The entry ``infogan-mnist`` with variant ``name``'s overrides and recipe seed ``seed``."""
    if name not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {name!r}")
    if base is None:
        from zoo.registry import get_preset

        base = get_preset("infogan-mnist")
    overrides = VARIANTS[name]
    return dataclasses.replace(
        base,
        recipe=dataclasses.replace(base.recipe, seed=seed),
        **{key: {**getattr(base, key), **values} for key, values in overrides.items()},
    )


def row_variant(row: dict) -> str:
    """The variant of a scan.jsonl row; rows from before ``--variant`` map by their leaky slope."""
    if "variant" in row:
        return row["variant"]
    return "slope001" if row["leaky_slope"] == 0.01 else f"legacy-slope{row['leaky_slope']}"


def run_dir(out: Path, variant: str, seed: int) -> Path:
    """The run folder of (variant, seed)."""
    return out / f"seed{seed}" if variant == LEGACY_LAYOUT else out / variant / f"seed{seed}"


def knobs(preset) -> dict:
    """The settings the variants change, as the trainer will use them."""
    from zoo.families.infogan.generator import noise_of

    step = preset.step.from_preset(preset).get_config()
    return {"leaky_slope": preset.discriminator_config["leaky_slope"], "noise": noise_of(preset.generator_config),
            "continuous_std": step["continuous_std"], "continuous_weight": step["continuous_weight"]}


def check_run_folder(run: Path, variant: str) -> None:
    """Refuses to resume a run folder that another variant trained (its marker says which).
    Each variant has its own folders, so this only trips on a hand-moved folder."""
    marker = run / MARKER
    if marker.exists() and (trained := json.loads(marker.read_text())["variant"]) != variant:
        raise SystemExit(f"{run} was trained by variant {trained!r}, not {variant!r}; use another --out")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0,1,2,3,4,5")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--variant", choices=sorted(VARIANTS), default=None,
                   help=f"recipe variant (default {DEFAULT_VARIANT}; with --report: only that variant's rows)")
    p.add_argument("--samples-per-code", type=int, default=500)
    p.add_argument("--out", default="runs/infogan-scan")
    p.add_argument("--top", type=int, default=None, help="continue the best TOP seeds of --from-steps")
    p.add_argument("--from-steps", type=int, default=None)
    p.add_argument("--report", action="store_true", help="print the Markdown table of OUT/scan.jsonl")
    args = p.parse_args()
    if args.report:
        return report(Path(args.out) / "scan.jsonl", args.variant)
    variant = args.variant or DEFAULT_VARIANT

    import zoo
    from zoo.families.infogan import disentanglement as dis
    from zoo.training.trainer import TrainConfig, Trainer

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "scan.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    rows = [r for r in rows if row_variant(r) == variant]
    done = {(r["seed"], r["steps"]) for r in rows}
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.top:
        ranked = sorted((r for r in rows if r["steps"] == args.from_steps), key=lambda r: -r["accuracy"])
        seeds = [r["seed"] for r in ranked[:args.top]]
        print(f"continuing seeds {seeds} (best {args.top} of variant {variant} at {args.from_steps} steps)", flush=True)
    print(f"variant {variant}: {json.dumps(VARIANTS[variant])}", flush=True)
    for seed in seeds:
        if (seed, args.steps) in done:
            continue
        preset = variant_preset(variant, seed)
        run = run_dir(out, variant, seed)
        check_run_folder(run, variant)
        run.mkdir(parents=True, exist_ok=True)
        (run / MARKER).write_text(json.dumps({"variant": variant, "overrides": VARIANTS[variant]}) + "\n")
        resume = (run / "checkpoint.npz").exists()
        t0 = time.time()
        trainer = Trainer(preset, TrainConfig(out_dir=run, max_steps=args.steps, resume=resume,
                                              progress=False, tensorboard=False, checkpoint_every=200))
        summary = trainer.fit()
        # The run's final/ preset folder: its config (noise included) is the variant's, and its
        # generator.weights.h5 is the EMA generator.
        model = zoo.load(run / "final")
        acc = dis.category_accuracy(model, samples_per_code=args.samples_per_code, seed=0)
        row = {"variant": variant, "overrides": VARIANTS[variant], "seed": seed, "steps": summary["steps"],
               "images": summary["images_seen"], **knobs(preset), "wall_clock_s": summary["wall_clock_s"],
               "run_s": round(time.time() - t0, 1), "accuracy": round(acc["accuracy"], 4),
               "purity": [round(x, 3) for x in acc["purity"]], "mapping": acc["mapping"],
               "min_purity": round(min(acc["purity"]), 3), "final_losses": summary["final_losses"]}
        with log.open("a") as f:
            f.write(json.dumps(row, default=str) + "\n")
        print(json.dumps(row, default=str), flush=True)


def report(log: Path, variant: str | None = None) -> None:
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows = sorted((r for r in rows if variant is None or row_variant(r) == variant),
                  key=lambda r: (row_variant(r), r["steps"], r["seed"]))
    print("| variant | seed | steps | images | Hungarian accuracy | lowest code purity | code -> digit | "
          "train wall clock |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        mapping = " ".join(f"{c}:{d}" for c, d in sorted(r["mapping"].items(), key=lambda x: int(x[0])))
        print(f"| {row_variant(r)} | {r['seed']} | {r['steps']:,} | {r['images']:,} | {r['accuracy']:.3f} | "
              f"{r['min_purity']:.3f} | {mapping} | {r['wall_clock_s'] / 60:.1f} min |")


if __name__ == "__main__":
    main()
