"""Profile of the train-step ratio: the zoo's compiled DCGAN step against the tutorial's, without XLA.

The suite times each loop with its own input pipeline, one case after the other. This
script isolates the compiled steps: the zoo step (one persistent tape), the same step
with the tutorial's two tapes, and the tutorial loop's step, fed one fixed batch and run
in interleaved rounds, so machine drift hits all three alike.

Usage: python -m benchmarks.step_ab [BATCH] [ROUNDS]   (prints JSON; dcgan-mnist, TensorFlow)
"""

from __future__ import annotations

import json
import statistics
import sys
import time

STEPS_PER_ROUND = 3


def variants(batch_size: int) -> tuple:
    """``({name: compiled step}, the fixed batch)``, all on dcgan-mnist."""
    import tensorflow as tf

    from benchmarks.reference import ReferenceLoop
    from benchmarks.train_bench import ZooLoop, synthetic_images
    from zoo.registry import get_preset

    preset = get_preset("dcgan-mnist")
    images = synthetic_images(preset, batch_size)
    loop = ZooLoop(preset, batch_size, images)
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

    steps = {"zoo (persistent tape)": loop.train_step, "zoo, two tapes": tf.function(two_tape_step),
             "reference (tutorial)": ReferenceLoop(preset, batch_size).train_step}
    return steps, tf.constant(images)


def main(batch_size: int = 256, rounds: int = 5) -> dict:
    steps, real = variants(batch_size)
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
    return {"batch": batch_size, "rounds": rounds, "variants": {
        k: {"median_ms": round(1000 * statistics.median(v), 1), "images_per_s": round(batch_size / statistics.median(v), 1)}
        for k, v in times.items()}}


if __name__ == "__main__":
    print(json.dumps(main(*[int(a) for a in sys.argv[1:3]]), indent=1))
