"""Every entry samples and every family trains on TensorFlow, JAX and PyTorch.

Each backend runs in its own process (tests/backend_worker.py); TensorFlow
runs first and writes the shared inputs. A backend that is not installed is
skipped here, but `make test` installs all three. JAX's sample and training
comparisons are marked slow (`make test-slow`); the checkpoint chain runs all three.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from zoo.registry import one_per_family

pytestmark = pytest.mark.subprocess  # every test here runs backend workers in subprocesses
WORKER = Path(__file__).with_name("backend_worker.py")
# JAX compiles every entry's graphs on the CPU (~5x TensorFlow's time: 100-140 s per test here), so its
# full-matrix checks are `slow` (make test-slow); PyTorch's run by default, and the checkpoint chain
# below still crosses all three backends in the default suite.
SLOW_BACKENDS = ("jax",)
OTHER_BACKENDS = [
    pytest.param(b, marks=[pytest.mark.skipif(importlib.util.find_spec(b) is None, reason=f"{b} is not installed"),
                           *([pytest.mark.slow] if b in SLOW_BACKENDS else [])])
    for b in ("jax", "torch")
]


def run_worker(backend: str, task: str, out: Path, **env) -> None:
    full_env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
                "JAX_PLATFORMS": "cpu", **{k: str(v) for k, v in env.items()}}
    proc = subprocess.run([sys.executable, str(WORKER), task, str(out)], env=full_env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"{backend} {task} failed:\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The TensorFlow half of every comparison (and the inputs the others load)."""
    out = tmp_path_factory.mktemp("backends")
    run_worker("tensorflow", "sample", out)
    run_worker("tensorflow", "steps", out)
    return out


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_every_entry_samples_the_same_images(shared, backend):
    run_worker(backend, "sample", shared)
    ref, got = np.load(shared / "sample-tensorflow.npz"), np.load(shared / f"sample-{backend}.npz")
    assert sorted(got.files) == sorted(ref.files)
    for name in ref.files:
        assert got[name].shape == ref[name].shape, name
        diff = float(np.abs(got[name] - ref[name]).max())
        assert diff <= 1e-4, f"{name}: {backend} differs from tensorflow by {diff:.2e}"
        assert np.abs(ref[name]).max() > 0.05, f"{name}: degenerate images make the comparison vacuous"


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_every_family_trains_with_the_same_losses(shared, backend):
    run_worker(backend, "steps", shared)
    ref, got = np.load(shared / "steps-tensorflow.npz"), np.load(shared / f"steps-{backend}.npz")
    assert float(got["bench/images_per_s"]) > 0 and int(got["bench/timed_iters"]) == 3  # the bench's train case
    families = [k for k in ref.files if "/" not in k]
    assert sorted(families) == one_per_family()  # every registered family, from the registry
    for name in families:
        assert np.isfinite(got[name]).all(), f"{name}: non-finite losses on {backend}: {got[name]}"
        # Step 1 starts from the same weights and latents, so the losses agree to float32 rounding.
        np.testing.assert_allclose(got[name][0], ref[name][0], rtol=1e-4, atol=1e-5, err_msg=f"{name} step 1")
        # Later steps add the optimisers' updates (measured: all within 2e-6).
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-3, atol=1e-4, err_msg=f"{name} steps 1-3")
        w_ref, w_got = ref[name + "/generator"], got[name + "/generator"]
        assert np.abs(w_got - w_ref).max() < 1e-3, f"{name}: generators drifted apart after 3 steps"
        assert np.abs(w_ref).max() > 0


def test_a_checkpoint_resumes_on_every_backend(tmp_path):
    chain = ["tensorflow"] + [b.values[0] for b in OTHER_BACKENDS if importlib.util.find_spec(b.values[0])]
    chain.append("tensorflow")  # and back
    for i, backend in enumerate(chain):
        run_worker(backend, "resume", tmp_path, ZOO_TEST_STEPS=2 * (i + 1))
        result = np.load(tmp_path / f"resume-{backend}.npz")
        assert int(result["start"]) == 2 * i and int(result["steps"]) == 2 * (i + 1), backend
        assert np.isfinite(result["losses"]).all()
        assert len(result["losses"]) == 2 * (i + 1)  # the history travels with the checkpoint
