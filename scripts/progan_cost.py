"""ProGAN's train-step cost at every resolution of its growth schedule, per precision and penalty cadence.

Times the trainer's compiled step (``benchmarks.train_bench.ZooLoop``, synthetic
images) in the stabilisation phase of each resolution, and prices the whole
schedule: images per phase times seconds per image, plus the final phase up to
``--total-kimg``. Results go to stdout as a markdown table (and ``--json``).

    python scripts/progan_cost.py --precisions float32,bfloat16 --gp-every 1,4 --steps 8
    python scripts/progan_cost.py --precisions bfloat16 --gp-every 4 --xla
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time


def time_phase(preset, precision: str, gp_every: int, images_seen: int, steps: int, xla: bool = False) -> dict:
    """Images per second over ``steps`` timed steps at ``images_seen`` (after compiling every graph
    the cadence uses: one warm-up step per penalised / lazy graph)."""
    from benchmarks.train_bench import ZooLoop, synthetic_images

    recipe = dataclasses.replace(preset.recipe, gp_every=gp_every)
    batch = recipe.batch_size
    real = synthetic_images(preset, batch)
    loop = ZooLoop(dataclasses.replace(preset, recipe=recipe), batch, real, jit_compile=xla, precision=precision)
    loop.images_seen = images_seen
    t0 = time.perf_counter()
    for _ in range(gp_every + 1):  # compiles each graph of the cycle, then one more warm step
        loop.step(real)
    compile_s = time.perf_counter() - t0
    # Whole cycles only, so the lazy steps and the penalised one are in their real proportion.
    timed = max(gp_every, steps - steps % gp_every)
    t0 = time.perf_counter()
    for _ in range(timed):
        loop.step(real)
    seconds = time.perf_counter() - t0
    return {"precision": precision, "gp_every": gp_every, "xla": xla, "images_seen": images_seen, "steps": timed,
            "images_per_s": timed * loop.batch_size / seconds, "compile_s": round(compile_s, 1)}


def main(argv=None) -> None:
    from zoo.registry import get_preset

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entry", default="progan-fashion-mnist")
    ap.add_argument("--precisions", default="float32,bfloat16")
    ap.add_argument("--gp-every", default="1,4", help="comma-separated penalty cadences")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per case")
    ap.add_argument("--total-kimg", type=float, default=480, help="the run's length, for the schedule's price")
    ap.add_argument("--xla", action="store_true", help="compile the steps with XLA (jit_compile)")
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args(argv)

    preset = get_preset(args.entry)
    schedule = preset.recipe.schedule
    stabilise = [(r, start) for r, fading, start, _ in schedule.phases() if not fading]
    rows = []
    for precision in args.precisions.split(","):
        for every in (int(x) for x in args.gp_every.split(",")):
            for resolution, start in stabilise:
                row = time_phase(preset, precision, every, start, args.steps, args.xla)
                row["resolution"] = resolution
                rows.append(row)
                print(json.dumps(row), flush=True)

    print(f"\nXLA: {'on' if args.xla else 'off'}, batch {preset.recipe.batch_size}")
    print("\n| precision | gp_every | " + " | ".join(f"{r}x{r} img/s" for r, _ in stabilise)
          + f" | schedule to {args.total_kimg:g}k images (h) |")
    print("|---|---|" + "---|" * len(stabilise) + "---|")
    for precision in args.precisions.split(","):
        for every in (int(x) for x in args.gp_every.split(",")):
            speed = {r["resolution"]: r["images_per_s"] for r in rows
                     if r["precision"] == precision and r["gp_every"] == every}
            # Each phase runs at its resolution's speed (a fade-in at the new resolution's).
            hours, total = 0.0, 1000 * args.total_kimg
            for resolution, _, start, length in schedule.phases():
                n = max(0.0, min(length or total, total - start))
                hours += n / speed[resolution] / 3600
            print(f"| {precision} | {every} | " + " | ".join(f"{speed[r]:.0f}" for r, _ in stabilise)
                  + f" | {hours:.2f} |")
    if args.json:
        from zoo import atomic

        atomic.write_json(args.json, rows)


if __name__ == "__main__":
    main()
