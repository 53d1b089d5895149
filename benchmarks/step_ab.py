"""Profile of the train-step ratio: the zoo's compiled DCGAN step against the tutorial's, without XLA.

The suite times each loop with its own input pipeline, one case after the other. This
script isolates the compiled steps: the zoo step (one persistent tape), the same step
with the tutorial's two tapes, the zoo step in bfloat16 (``--precision bfloat16``), and
the tutorial loop's float32 step, fed one fixed batch and run in interleaved rounds, so
machine drift hits all of them alike. Each variant's ``ratio`` is its images/s over the
tutorial's: on a loaded machine the ratio is the number to read, not the absolute speed.

Usage: python -m benchmarks.step_ab [BATCH] [ROUNDS] [VARIANT,...]   (prints JSON; dcgan-mnist,
TensorFlow; variants: zoo, two-tapes, bf16, reference; default all, bf16 only where native)
"""

from __future__ import annotations

import json
import statistics
import sys
import time

STEPS_PER_ROUND = 3
VARIANTS = {"zoo": "zoo (persistent tape)", "two-tapes": "zoo, two tapes", "bf16": "zoo bfloat16",
            "reference": "reference (tutorial, float32)"}


def variants(batch_size: int, names=tuple(VARIANTS)) -> tuple:
    """``({label: compiled step}, the fixed batch)``, all on dcgan-mnist; ``names`` picks from VARIANTS."""
    import tensorflow as tf

    from benchmarks.reference import ReferenceLoop
    from benchmarks.train_bench import ZooLoop, synthetic_images
    from zoo.registry import get_preset

    preset = get_preset("dcgan-mnist")
    images = synthetic_images(preset, batch_size)
    steps = {}
    if "zoo" in names or "two-tapes" in names:
        loop = ZooLoop(preset, batch_size, images)
        if "zoo" in names:
            steps[VARIANTS["zoo"]] = loop.train_step
        if "two-tapes" in names:
            steps[VARIANTS["two-tapes"]] = tf.function(_two_tape_step(loop))
    if "bf16" in names:
        steps[VARIANTS["bf16"]] = ZooLoop(preset, batch_size, images, precision="bfloat16").train_step
    if "reference" in names:
        steps[VARIANTS["reference"]] = ReferenceLoop(preset, batch_size).train_step
    return steps, tf.constant(images)


def _two_tape_step(loop):
    import tensorflow as tf

    state, gan_step = loop.state, loop.gan_step
    g, d = state.generator, state.discriminator

    def two_tape_step(real):
        latents = gan_step.sample_latents(state.batch_size, state.seed_generator)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            losses = gan_step.losses(g, d, real, latents)
        g_grads = g_tape.gradient(losses["g_loss"], g.trainable_variables)
        d_grads = d_tape.gradient(losses["d_loss"], d.trainable_variables)
        state.d_opt.apply(d_grads, d.trainable_variables)
        state.g_opt.apply(g_grads, g.trainable_variables)
        return losses

    return two_tape_step


def main(batch_size: int = 256, rounds: int = 5, names=None) -> dict:
    from benchmarks.env import bf16_support

    if names is None:
        names = [n for n in VARIANTS if n != "bf16" or bf16_support()["supported"]]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; valid: {', '.join(VARIANTS)}")
    steps, real = variants(batch_size, names)
    times = {k: [] for k in steps}
    for f in steps.values():  # tracing and warm-up
        for _ in range(2):
            float(f(real)["d_loss"])
    for _ in range(rounds):
        for k, f in steps.items():
            t0 = time.perf_counter()
            for _ in range(STEPS_PER_ROUND):
                float(f(real)["d_loss"])  # reading the loss waits for the step
            times[k].append((time.perf_counter() - t0) / STEPS_PER_ROUND)
    medians = {k: statistics.median(v) for k, v in times.items()}
    reference = medians.get(VARIANTS["reference"])
    return {"batch": batch_size, "rounds": rounds, "bf16": bf16_support(), "variants": {
        k: {"median_ms": round(1000 * m, 1), "images_per_s": round(batch_size / m, 1),
            "ratio": round(reference / m, 3) if reference else None}
        for k, m in medians.items()}}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(*[int(a) for a in args[:2]], *([args[2].split(",")] if len(args) > 2 else [])), indent=1))
