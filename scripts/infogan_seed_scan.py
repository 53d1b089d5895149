"""InfoGAN seed scan: train several seeds briefly, score each code against digit class.

The categorical code of InfoGAN is known to depend on the seed (one digit split
by style, two merged). This trains ``--steps`` steps per seed with the entry's
recipe (plus ``--leaky-slope`` in D, the official code's 0.01), then scores the
EMA generator with ``gan-zoo codes``' measure (Hungarian accuracy of code ->
digit under the project's MNIST classifier: selection by that classifier is a
recipe step, and the card says so). Resumable: a (seed, steps) whose line is already in
``OUT/scan.jsonl`` is skipped, and a seed's run resumes from its checkpoint,
so the scan is successive halving: every seed to S1 steps, then the best K by
accuracy at S1 on to S2 (``--top K --from-steps S1``), and so on.

    python scripts/infogan_seed_scan.py --seeds 0,1,2,3,4,5 --steps 600 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --top 3 --from-steps 600 --steps 1500 --out runs/infogan-scan
    python scripts/infogan_seed_scan.py --top 1 --from-steps 1500 --steps 3000 --out runs/infogan-scan
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0,1,2,3,4,5")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--leaky-slope", type=float, default=0.01)
    p.add_argument("--samples-per-code", type=int, default=500)
    p.add_argument("--out", default="runs/infogan-scan")
    p.add_argument("--top", type=int, default=None, help="continue the best TOP seeds of --from-steps")
    p.add_argument("--from-steps", type=int, default=None)
    p.add_argument("--report", action="store_true", help="print the Markdown table of OUT/scan.jsonl")
    args = p.parse_args()
    if args.report:
        return report(Path(args.out) / "scan.jsonl")

    import zoo
    from zoo.families.infogan import disentanglement as dis
    from zoo.registry import get_preset
    from zoo.training.trainer import TrainConfig, Trainer

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "scan.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    done = {(r["seed"], r["steps"]) for r in rows}
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.top:
        ranked = sorted((r for r in rows if r["steps"] == args.from_steps), key=lambda r: -r["accuracy"])
        seeds = [r["seed"] for r in ranked[:args.top]]
        print(f"continuing seeds {seeds} (best {args.top} at {args.from_steps} steps)", flush=True)
    base = get_preset("infogan-mnist")
    for seed in seeds:
        if (seed, args.steps) in done:
            continue
        preset = dataclasses.replace(
            base,
            recipe=dataclasses.replace(base.recipe, seed=seed),
            discriminator_config={**base.discriminator_config, "leaky_slope": args.leaky_slope},
        )
        run = out / f"seed{seed}"
        resume = (run / "checkpoint.npz").exists()
        t0 = time.time()
        trainer = Trainer(preset, TrainConfig(out_dir=run, max_steps=args.steps, resume=resume,
                                              progress=False, tensorboard=False, checkpoint_every=200))
        summary = trainer.fit()
        model = zoo.load("infogan-mnist", weights=str(run / "final" / "generator.weights.h5"))
        acc = dis.category_accuracy(model, samples_per_code=args.samples_per_code, seed=0)
        row = {"seed": seed, "steps": summary["steps"], "images": summary["images_seen"],
               "leaky_slope": args.leaky_slope, "wall_clock_s": summary["wall_clock_s"],
               "run_s": round(time.time() - t0, 1), "accuracy": round(acc["accuracy"], 4),
               "purity": [round(x, 3) for x in acc["purity"]], "mapping": acc["mapping"],
               "min_purity": round(min(acc["purity"]), 3), "final_losses": summary["final_losses"]}
        with log.open("a") as f:
            f.write(json.dumps(row, default=str) + "\n")
        print(json.dumps(row, default=str), flush=True)


def report(log: Path) -> None:
    rows = sorted((json.loads(line) for line in log.read_text().splitlines()), key=lambda r: (r["steps"], r["seed"]))
    print("| seed | steps | images | Hungarian accuracy | lowest code purity | code -> digit | train wall clock |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        mapping = " ".join(f"{c}:{d}" for c, d in sorted(r["mapping"].items(), key=lambda x: int(x[0])))
        print(f"| {r['seed']} | {r['steps']:,} | {r['images']:,} | {r['accuracy']:.3f} | {r['min_purity']:.3f} | "
              f"{mapping} | {r['wall_clock_s'] / 60:.1f} min |")


if __name__ == "__main__":
    main()
