"""Mixed precision: every family's step under mixed_bfloat16 tracks float32, and what ships is float32.

``TrainRecipe.precision`` ("bfloat16" / "float16") builds G and D under Keras'
``mixed_*`` policy: float32 variables, low-precision compute. The families keep
the numerically delicate parts in float32: the D outputs that every loss reads,
WGAN-GP's interpolates and gradient norm, R1, InfoGAN's information terms, and
the per-sample statistics of AdaIN, minibatch stddev and pixel norm
(``zoo/layers``). The EMA generator is built float32 and is what ships.

Tolerances, measured on the tiny configurations (TensorFlow, CPU, 3 real batches;
JAX and PyTorch gave the same picture), from the same initial weights and latents
and at each step's steady state (ProGAN fully grown):

* first step (only the arithmetic differs): bfloat16 within 1.1% of float32
  (ProGAN's critic score: its penalty's input gradient runs through bfloat16;
  StyleGAN 0.25%, the others <= 0.05%);
* all three steps: within 4% relative (ProGAN's d_loss of ~7: 0.23 absolute);
  from the second step Adam's sign-like first updates turn the rounding of
  near-zero gradients into a slightly different trajectory (evaluated on the
  float32 run's weights, the bfloat16 losses stay within 0.5% of float32's).

The checks below allow ``FIRST_STEP_TOL`` and ``TOL`` (atol + rtol * |float32|).

float16 (mixed_float16) runs without loss scaling and tracks float32 more
closely than bfloat16 (10 mantissa bits against 8: <= 0.3% at the first step,
<= 2.5% over three). Loss scaling would need the trainer to scale each loss
before differentiating and to wrap both optimisers in
``keras.optimizers.LossScaleOptimizer`` (zoo/training, not the families); the
gradients it protects underflow little at these sizes: at batch 256 float16
zeroes 8e-4 of StyleGAN's weight-gradient entries (bfloat16, whose range is
float32's: 3e-4).
"""

import contextlib
import dataclasses
import gzip

import keras
import numpy as np
import pytest

from step_inputs import fixed_latents, without_dropout
from zoo.registry import one_per_family, tiny_preset

STEPS = 3
FIRST_STEP_TOL = (0.01, 0.015)  # (atol, rtol) on step 1: only the arithmetic differs
TOL = (0.02, 0.05)  # (atol, rtol) on every step: the trajectories drift apart too


@contextlib.contextmanager
def eagerly():
    """TensorFlow runs the compiled step eagerly inside: the same ops, a third of the time (no trace)."""
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    try:
        yield
    finally:
        tf.config.run_functions_eagerly(False)


def three_steps(name: str, precision: str, weights=None, seed: int = 1):
    """``(losses (STEPS, 2) of [g_loss, d_loss], state, initial weights)`` of the tiny config of
    ``name`` at ``precision``.

    The step runs at its steady state (ProGAN fully grown), from ``weights`` (G's and D's
    ``get_weights`` lists; None: the recipe's initialisation), with the same latents every step.
    """
    from zoo.training import TrainState, build_train_step

    preset = without_dropout(tiny_preset(name))
    recipe = dataclasses.replace(preset.recipe, precision=precision)
    state = TrainState.create(preset, recipe=recipe)
    if weights is not None:
        state.generator.set_weights(weights[0])
        state.discriminator.set_weights(weights[1])
        if state.ema is not None:
            state.ema.set_weights(weights[0])
    initial = (state.generator.get_weights(), state.discriminator.get_weights())
    step = preset.step.from_preset(preset)
    step.on_images(step.steady_state_images(), state)
    latents = fixed_latents(step, state.batch_size)
    step.sample_latents = lambda n, seed_generator: latents  # a compiled step traces it once
    shape = tuple(state.generator.output_shape[1:])  # (H, W, C)
    real = np.random.default_rng(seed).uniform(-1, 1, (state.batch_size, *shape)).astype("float32")
    train_step = build_train_step(step, state, recipe=recipe)
    history = []
    for _ in range(STEPS):
        losses = train_step(real)
        assert all(keras.backend.standardize_dtype(v.dtype) == "float32" for v in losses.values()), losses
        history.append([float(losses["g_loss"]), float(losses["d_loss"])])
    return np.array(history), state, initial


def variable_dtypes(model) -> set:
    """The dtypes of ``model``'s weights (not its dropout layers' integer seed-generator states)."""
    return {keras.backend.standardize_dtype(v.dtype) for v in model.variables if "seed_generator" not in v.path}


@pytest.mark.parametrize("name", one_per_family())
def test_bfloat16_steps_track_float32(name):
    with eagerly():  # the float32 reference; the bfloat16 step below is compiled, as in training
        ref, _, initial = three_steps(name, "float32")
    got, state, _ = three_steps(name, "bfloat16", weights=initial)
    # The low-precision run really computes in bfloat16, with float32 weights and EMA.
    assert state.generator.dtype_policy.name == "mixed_bfloat16"
    assert state.discriminator.dtype_policy.name == "mixed_bfloat16"
    assert variable_dtypes(state.generator) == variable_dtypes(state.discriminator) == {"float32"}
    shipped = state.shipped_generator
    assert shipped is state.ema and shipped.dtype_policy.name == "float32" and variable_dtypes(shipped) == {"float32"}

    atol, rtol = FIRST_STEP_TOL
    np.testing.assert_allclose(got[0], ref[0], atol=atol, rtol=rtol, err_msg=f"{name}: first step")
    atol, rtol = TOL
    np.testing.assert_allclose(got, ref, atol=atol, rtol=rtol, err_msg=f"{name}: {STEPS} steps")

    # float16 runs too (without loss scaling; see the module docstring), here eagerly to save the trace.
    with eagerly():
        half, state, _ = three_steps(name, "float16", weights=initial)
    assert state.generator.dtype_policy.name == "mixed_float16"
    np.testing.assert_allclose(half, ref, atol=atol, rtol=rtol, err_msg=f"{name}: float16")


def write_tiny_mnist(root, n: int = 16) -> None:
    """``root/mnist/`` with n-image IDX train and test splits (random pixels): the CLI's data, in milliseconds."""
    folder = root / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, (n,), dtype=np.uint8)
        for kind, array, ndim in (("images-idx3", images, 3), ("labels-idx1", labels, 1)):
            # IDX header: 0, 0, type 0x08 (uint8), ndim, then each size as a big-endian int32.
            header = bytes([0, 0, 0x08, ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
            with gzip.open(folder / f"{split}-{kind}-ubyte.gz", "wb") as f:
                f.write(header + array.tobytes())


def test_cli_trains_in_bfloat16_and_ships_float32(tmp_path, monkeypatch):
    import h5py

    import zoo
    from zoo.cli import main
    from zoo.model import ZooModel
    from zoo.training import trainer as trainer_lib

    write_tiny_mnist(tmp_path / "data")
    trainers = []
    original_init = trainer_lib.Trainer.__init__

    def init(self, *args, **kwargs):  # keeps the run's Trainer, whose EMA the shipped file must match
        original_init(self, *args, **kwargs)
        trainers.append(self)

    monkeypatch.setattr(trainer_lib.Trainer, "__init__", init)
    monkeypatch.setattr(trainer_lib, "RECALIBRATION_SIZE", 64)  # batch-norm recalibration: 6 s at 2048 on CPU
    out = tmp_path / "run"
    assert main(["train", "dcgan-mnist", "--out", str(out), "--max-steps", "2", "--precision", "bfloat16",
                 "--batch-size", "8", "--data-dir", str(tmp_path / "data"), "--no-progress",
                 "--eval-every-kimg", "0"]) == 0
    (t,) = trainers
    assert t.step == 2 and t.state.generator.dtype_policy.name == "mixed_bfloat16"

    weights = out / "final" / "generator.weights.h5"
    with h5py.File(weights, "r") as f:
        stored = []
        f.visititems(lambda _, item: stored.append(str(item.dtype)) if isinstance(item, h5py.Dataset) else None)
    assert stored and set(stored) == {"float32"}

    loaded = zoo.load("dcgan-mnist", weights=weights)
    assert variable_dtypes(loaded.generator) == {"float32"}
    from_file = loaded.sample(4, seed=0)
    from_ema = ZooModel(t.preset, t.state.ema, card={}).sample(4, seed=0)
    assert from_file.dtype == np.float32
    np.testing.assert_array_equal(from_file, from_ema)
