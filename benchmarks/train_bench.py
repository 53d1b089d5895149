"""Train-step benchmark: the zoo trainer's compiled GAN step against the tutorial loop.

Both loops are timed the same way: each timed step pulls its batch from the
loop's own input pipeline, runs the compiled step and reads the losses back
(what a logging loop does, and what makes the time real on asynchronous
devices). The first step (tracing and compilation) and the warm-up steps are
reported apart from the timed ones.

Synthetic images (uniform in [-1, 1], the data's shape and range) are used:
the speed of a step does not depend on pixel values, and the suite then needs
no dataset on disk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import keras
import numpy as np

from benchmarks import measure
from benchmarks.reference import ReferenceLoop

SYNTHETIC_SEED = 7
# The suite's Keras mixed policies and the zoo recipe's precision that trains under each.
POLICY_PRECISION = {None: "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


def synthetic_images(preset, n: int) -> np.ndarray:
    """``n`` float32 images in [-1, 1] with the discriminator's input shape.

    Examples:
    >>> from zoo.registry import get_preset
    >>> synthetic_images(get_preset("dcgan-mnist"), 4).shape
    (4, 28, 28, 1)
    """
    shape = _image_shape(preset)
    return np.random.default_rng(SYNTHETIC_SEED).uniform(-1, 1, (n, *shape)).astype(np.float32)


_SHAPES: dict = {}


def _image_shape(preset) -> tuple:
    # Not every family puts the image shape in its config (the MLP GAN uses its default): ask the model.
    if preset.name not in _SHAPES:
        _SHAPES[preset.name] = _built_shape(preset)
    return _SHAPES[preset.name]


def _built_shape(preset) -> tuple:
    d = preset.discriminator(**preset.discriminator_config)
    inputs = d.inputs[0] if isinstance(d.inputs, (list, tuple)) else d.inputs
    return tuple(int(x) for x in inputs.shape[1:])


class ZooLoop:
    """The zoo's compiled train step (``zoo.training.build_train_step``) and input pipeline.

    Exactly the step ``Trainer.fit`` runs per batch, on a fresh
    :class:`~zoo.training.TrainState`, with no run folder.

    Args:
        preset: the registry entry.
        batch_size: images per step.
        images: float32 training images.
        jit_compile: compile the step with XLA.
        precision: the recipe's ``precision`` to train in ("float32", "bfloat16",
            "float16"): G and D under Keras' mixed policy, exactly as ``gan-zoo
            train --precision`` builds them (float32 weights and EMA).

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> loop = ZooLoop(tiny_preset("dcgan-mnist"), 8, synthetic_images(tiny_preset("dcgan-mnist"), 16))
    >>> sorted(loop.step(next(iter(loop.dataset(loop.images)))))  # dcgan-mnist's recipe has lazy R1
    ['d_loss', 'g_loss', 'r1']
    """

    impl = "zoo"

    def __init__(self, preset, batch_size: int, images: np.ndarray, jit_compile: bool = False,
                 precision: str = "float32"):
        from zoo.training import TrainState, build_train_step

        self.preset = preset
        self.batch_size = batch_size
        self.images = images
        # The trainer's way: the precision is part of the recipe, and TrainState.create
        # builds G and D under its policy (a global policy set around it would be overridden).
        recipe = dataclasses.replace(preset.recipe, precision=precision)
        self.state = TrainState.create(preset, batch_size, recipe=recipe)
        self.gan_step = preset.step.from_preset(preset)
        self.recipe, self.jit_compile = recipe, jit_compile
        # A growing model (ProGAN) is timed in its last phase: the final-resolution graph
        # that the FLOP count describes and that most of its training images see. From there the
        # images seen advance as in the trainer, so a step whose graph alternates (lazy R1: the
        # penalty every r1_every-th step) is timed over its whole cycle, not on one graph.
        self.images_seen = self.gan_step.steady_state_images()
        self.compiled = {}
        self.train_step = self.select_step()

    def select_step(self):
        """The compiled step for the current images seen (the trainer's ``prepare_step``)."""
        from zoo.training import build_train_step

        key = self.gan_step.on_images(self.images_seen, self.state)
        if key not in self.compiled:
            self.compiled[key] = build_train_step(self.gan_step, self.state, recipe=self.recipe,
                                                  jit_compile=self.jit_compile)
        return self.compiled[key]

    def dataset(self, images):
        """The trainer's pipeline (``zoo.data.images_dataset``), repeated."""
        from zoo.data import images_dataset

        return images_dataset(images, self.batch_size, seed=self.preset.recipe.seed).repeat()

    def step(self, real) -> dict:
        self.train_step = self.select_step()
        losses = self.train_step(real)
        self.images_seen += self.batch_size
        return {k: float(v) for k, v in losses.items()}


@contextlib.contextmanager
def precision_policy(policy: str | None):
    """Sets the Keras dtype policy for models built inside the block (None: leave float32)."""
    previous = keras.config.dtype_policy().name
    if policy:
        keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def compare_trajectories(preset, steps: int = 4, batch_size: int = 16) -> dict:
    """Runs the zoo step and the reference loop on identical state and batches.

    The reference takes the trainer's initial weights, dropout seeds and
    noise seed, then both see the same batches in the same order.

    Returns:
        ``{"zoo": [...], "reference": [...], "max_abs_diff": float}``: per-step
        ``{"g_loss", "d_loss"}`` of each.

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> r = compare_trajectories(tiny_preset("dcgan-mnist"), steps=3, batch_size=8)
    >>> len(r["zoo"]), r["max_abs_diff"] < 1e-4
    (3, True)
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    from benchmarks.reference import tutorial_preset

    preset = tutorial_preset(preset)  # the same math on both sides, whatever the entry's recipe adds
    images = synthetic_images(preset, batch_size * steps)
    zoo_loop = ZooLoop(preset, batch_size, images)
    ref = ReferenceLoop(preset, batch_size)
    state = zoo_loop.state
    ref.copy_state_from(state.generator, state.discriminator, state.seed_generator.state.value)
    batches = [images[i * batch_size:(i + 1) * batch_size] for i in range(steps)]
    zoo_losses = [zoo_loop.step(b) for b in batches]
    ref_losses = [ref.step(b) for b in batches]
    diff = max(abs(a[k] - b[k]) for a, b in zip(zoo_losses, ref_losses) for k in a)
    return {"zoo": zoo_losses, "reference": ref_losses, "max_abs_diff": diff}


def run_train_case(preset, impl: str, batch_size: int, *, xla: bool = False, mixed_precision: str | None = None,
                   timing: dict, flops_per_image: int | None, peak_gflops: float | None, backend: str,
                   gpu: bool) -> dict:
    """Times one train-step case and returns its measured fields.

    Args:
        preset: the registry entry.
        impl: ``"zoo"`` (the trainer) or ``"reference"`` (the tutorial loop).
        batch_size: images per step.
        xla: compile the zoo step with XLA (the reference never is).
        mixed_precision: ``"mixed_bfloat16"`` or ``"mixed_float16"`` (the zoo trains at the
            recipe precision "bfloat16" / "float16"; the reference builds under the policy), or None.
        timing: keyword arguments of :func:`benchmarks.measure.time_calls`.
        flops_per_image: train-step FLOPs per image, for achieved GFLOP/s.
        peak_gflops: the measured matmul peak in the compute dtype.
        backend, gpu: where it runs (for device-memory probes).

    Returns:
        Record fields: images_per_s, time_ms, compile_s, timed_iters,
        achieved_gflops, fraction_of_peak, memory and the last losses.

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> quick = dict(warmup=1, min_iters=2, max_iters=2, min_time_s=0.0)
    >>> f = run_train_case(tiny_preset("dcgan-mnist"), "zoo", 8, timing=quick, flops_per_image=1000,
    ...                    peak_gflops=None, backend=keras.backend.backend(), gpu=False)
    >>> f["timed_iters"], f["images_per_s"] > 0, sorted(f["last_losses"])
    (2, True, ['d_loss', 'g_loss', 'r1'])
    """
    if impl not in ("zoo", "reference"):
        raise ValueError(f"unknown train implementation {impl!r}; valid: zoo, reference")
    # Enough images for a few distinct batches; the pipelines repeat them.
    images = synthetic_images(preset, batch_size * 4)
    # Drop earlier cases' models and graphs first (clear_session also resets the dtype policy).
    keras.backend.clear_session()
    if mixed_precision not in POLICY_PRECISION:
        raise ValueError(f"unknown mixed_precision {mixed_precision!r}; valid: "
                         f"{', '.join(p for p in POLICY_PRECISION if p)} or None")
    # The zoo trains at the recipe's precision (TrainState.create sets the policy); the
    # tutorial loop builds its models under the global policy.
    reference_policy = mixed_precision if impl == "reference" else None
    with measure.PeakMemory(backend, gpu) as mem, precision_policy(reference_policy):
        if impl == "zoo":
            loop = ZooLoop(preset, batch_size, images, xla, precision=POLICY_PRECISION[mixed_precision])
        else:
            loop = ReferenceLoop(preset, batch_size)
        batches = iter(loop.dataset(images))
        last = {}

        def one_step():
            last.update(loop.step(next(batches)))

        result = measure.time_calls(one_step, **timing)
    ips = measure.throughput(batch_size, result["times_s"])
    gflops = flops_per_image * ips / 1e9 if flops_per_image else None
    bad = {k: v for k, v in last.items() if not math.isfinite(v)}
    return {
        "images_per_s": round(ips, 2),
        "time_ms": measure.stats_ms(result["times_s"]),
        "compile_s": result["first_call_s"],
        "warmup_iters": result["warmup_iters"],
        "timed_iters": result["timed_iters"],
        "achieved_gflops": round(gflops, 3) if gflops else None,
        "fraction_of_peak": round(gflops / peak_gflops, 4) if gflops and peak_gflops else None,
        "last_losses": last,
        "nonfinite_losses": sorted(bad) or None,
        **mem.result(),
    }
