"""Runs one backend's half of the cross-backend tests (tests/test_backends.py).

Invoked as ``KERAS_BACKEND=jax python tests/backend_worker.py TASK OUT_DIR``
so each backend gets a fresh process (Keras picks its backend at import).
The TensorFlow run writes the shared inputs (weights of untrained entries,
initial weights of the tiny configs); every run writes its results to
``OUT_DIR/<task>-<backend>.npz`` for the test to compare.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402
from zoo.registry import get_preset, list_models, one_per_family, tiny_preset  # noqa: E402

from step_inputs import fixed_latents, without_dropout  # noqa: E402  (tests/, this script's folder)

BACKEND = keras.backend.backend()
SAMPLE_N = 4


def image_shape(preset) -> tuple:
    """(H, W, C) of the entry's images, read off a freshly built generator."""
    return tuple(int(x) for x in preset.generator(**preset.generator_config).output_shape[1:])


def task_sample(out: Path) -> None:
    """Every entry's samples for seed 0: shipped weights, or weights the TF run saved."""
    results = {}
    for name in list_models():
        preset = get_preset(name)
        if preset.generator_weights is not None:
            m = zoo.load(name)
        else:
            path = out / f"{name}.weights.h5"
            if BACKEND == "tensorflow":
                keras.utils.set_random_seed(0)
                zoo.load(name, weights=None).generator.save_weights(path)
            m = zoo.load(name, weights=path)
        results[name] = m.sample(SAMPLE_N, seed=0)
    np.savez(out / f"sample-{BACKEND}.npz", **results)


def task_steps(out: Path) -> None:
    """Three train steps of each family's tiny config from shared initial weights and latents."""
    from zoo.training.trainer import TrainConfig, Trainer

    results = {}
    only = set(filter(None, os.environ.get("ZOO_TEST_FAMILIES", "").split(",")))  # e.g. the toy family's test
    for name in one_per_family():
        preset = without_dropout(tiny_preset(name))
        if only and preset.family not in only:
            continue
        real = np.random.default_rng(1).uniform(-1, 1, (16, *image_shape(preset))).astype(np.float32)
        # float32 whatever the recipe's precision: the backends agree to float32 rounding, while
        # bfloat16's rounding differs between them (tests/test_precision.py checks bfloat16).
        t = Trainer(preset, TrainConfig(out_dir=out / f"run-{BACKEND}-{name}", tensorboard=False, progress=False,
                                        force=True, precision="float32"), images=real)
        g_path, d_path = out / f"{name}-g.weights.h5", out / f"{name}-d.weights.h5"
        if BACKEND == "tensorflow":
            t.state.generator.save_weights(g_path)
            t.state.discriminator.save_weights(d_path)
        t.state.generator.load_weights(g_path)
        t.state.discriminator.load_weights(d_path)
        if t.state.ema is not None:
            t.state.ema.set_weights(t.state.generator.get_weights())
        # The same latents every step: a compiled step (TensorFlow, JAX) traces this
        # function once, so anything else would differ from eager PyTorch.
        latents = fixed_latents(t.gan_step, t.batch_size, seed=0)
        t.gan_step.sample_latents = lambda n, seed_generator: latents
        history = []
        for i in range(3):
            losses = t.run_step(real[i * 4: i * 4 + t.batch_size])
            history.append([float(losses["g_loss"]), float(losses["d_loss"])])
        results[name] = np.array(history)
        results[name + "/generator"] = np.concatenate([np.ravel(w) for w in t.state.shipped_generator.get_weights()])
    # The benchmark suite's train case runs on this backend too (JAX always compiles with XLA).
    from benchmarks.train_bench import run_train_case

    bench = run_train_case(tiny_preset("dcgan-mnist"), "zoo", 8, xla=BACKEND == "jax", flops_per_image=1000,
                           peak_gflops=None, backend=BACKEND, gpu=False,
                           timing=dict(warmup=1, min_iters=3, max_iters=3, min_time_s=0.0))
    results["bench/images_per_s"] = np.array(bench["images_per_s"])
    results["bench/timed_iters"] = np.array(bench["timed_iters"])
    np.savez(out / f"steps-{BACKEND}.npz", **results)


def task_resume(out: Path) -> None:
    """Two more steps of a checkpointed tiny StyleGAN run started on another backend."""
    from zoo.training.trainer import TrainConfig, Trainer

    preset = tiny_preset("stylegan-fashion-mnist")
    images = np.random.default_rng(2).uniform(-1, 1, (32, 8, 8, 1)).astype(np.float32)
    run = out / "resume-run"
    resume = (run / "checkpoint.npz").exists()
    steps = int(os.environ["ZOO_TEST_STEPS"])
    t = Trainer(preset, TrainConfig(out_dir=run, max_steps=steps, log_every=1, resume=resume, progress=False,
                                    tensorboard=False), images=images)
    start = t.step
    summary = t.fit()
    np.savez(out / f"resume-{BACKEND}.npz", start=start, steps=summary["steps"],
             losses=np.array([[h["g_loss"], h["d_loss"]] for h in t.record["history"]]))


if __name__ == "__main__":
    task, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    {"sample": task_sample, "steps": task_steps, "resume": task_resume}[task](out_dir)
