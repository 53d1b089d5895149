"""Data-parallel training (zoo.training.distribute) and the TFX Trainer module (export/tfx.py).

The distributed runs need a fresh process each (logical CPU devices must be
configured before TensorFlow starts, a multi-worker strategy before anything
else runs), so this file is also their worker script:
``python tests/test_distribute.py TASK OUT_DIR [ARGS]``. Everything runs on
tiny configs (tests/backend_worker.py's ``tiny_preset``) on the CPU.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve()
STYLEGAN = "stylegan-fashion-mnist"  # no batch norm: replicas can match one device exactly
WORKER_TIMEOUT_S = 900


# -- the worker side (runs in subprocesses) -------------------------------------
def _tiny_trainer(out_dir: Path, images, **config):
    from zoo.registry import tiny_preset
    from zoo.training.trainer import TrainConfig, Trainer

    config = {"tensorboard": False, "progress": False, "force": True, **config}
    preset = tiny_preset(STYLEGAN)
    # float32: the entry trains in bfloat16, whose rounding differs between one device's reduction and
    # the replicas' (step 2's losses by 3e-3); the comparison is of the strategies, not the precision.
    preset = dataclasses.replace(preset, recipe=dataclasses.replace(preset.recipe, precision="float32"))
    return Trainer(preset, TrainConfig(out_dir=out_dir, **config), images=images)


def _images(n: int = 16):
    return np.random.default_rng(1).uniform(-1, 1, (n, 8, 8, 1)).astype(np.float32)


def _all_weights(t) -> list:
    models = [t.state.generator, t.state.discriminator] + ([t.state.ema] if t.state.ema is not None else [])
    return [np.asarray(v) for m in models for v in m.weights]


def task_mirrored(out: Path) -> None:
    """Three steps on one device, then on a 2-replica MirroredStrategy from the same weights."""
    import tensorflow as tf

    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from zoo.errors import ZooError

    real = _images()
    results, start = {}, None
    for name, strategy in (("single", None), ("mirrored", "mirrored")):
        t = _tiny_trainer(out / name, real, strategy=strategy)
        if start is None:
            start = _all_weights(t)
        else:
            models = [t.state.generator, t.state.discriminator] + ([t.state.ema] if t.state.ema is not None else [])
            for v, a in zip([v for m in models for v in m.weights], start):
                v.assign(a)
        losses = []
        for i in range(3):
            step = t.run_step(real[i * 4: i * 4 + t.batch_size])
            losses.append([float(step["g_loss"]), float(step["d_loss"])])
        results[f"{name}/replicas"] = t.replicas
        results[f"{name}/losses"] = np.array(losses)
        results[f"{name}/step"] = t.step
        for i, w in enumerate(_all_weights(t)):
            results[f"{name}/w{i:03d}"] = w
    try:
        _tiny_trainer(out / "odd", real, strategy="mirrored", batch_size=6 + 1)
        results["odd_batch_error"] = ""
    except ZooError as e:
        results["odd_batch_error"] = str(e)
    np.savez(out / "mirrored.npz", **results)


def task_worker(out: Path, index: str) -> None:
    """One worker of a 2-worker MultiWorkerMirroredStrategy (TF_CONFIG set by the test)."""
    t = _tiny_trainer(out / "run", _images(), strategy="multi-worker", max_steps=2, log_every=1,
                      checkpoint_every=1000)
    wrote_to = str(t.out_dir)
    summary = t.fit()
    np.savez(out / f"worker-{index}.npz", steps=summary["steps"], replicas=t.replicas, wrote_to=wrote_to,
             generator=np.concatenate([np.ravel(w) for w in t.state.generator.get_weights()]))


def task_jax(out: Path) -> None:
    """Two steps under keras.distribution.DataParallel over 2 JAX CPU devices."""
    import jax

    t = _tiny_trainer(out / "jax", _images(), strategy="data-parallel", max_steps=2)
    summary = t.fit()
    kernel = t.state.generator.trainable_variables[0].value
    np.savez(out / "jax.npz", devices=len(jax.devices()), steps=summary["steps"],
             kernel_devices=len(kernel.sharding.device_set),
             finite=all(np.isfinite(np.asarray(v)).all() for v in t.state.generator.weights))


# -- the test side ---------------------------------------------------------------
def run_worker(task: str, out: Path, *args, wait: bool = True, **env):
    full_env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu",
                **env}
    if "TF_CONFIG" not in env:
        full_env.pop("TF_CONFIG", None)
    cmd = [sys.executable, str(HERE), task, str(out), *args]
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return finish(proc, task) if wait else proc


def finish(proc, task: str) -> None:
    output, _ = proc.communicate(timeout=WORKER_TIMEOUT_S)
    assert proc.returncode == 0, f"worker {task} failed:\n{output[-4000:]}"


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.subprocess
def test_two_mirrored_replicas_match_one_device(tmp_path):
    run_worker("mirrored", tmp_path)
    r = np.load(tmp_path / "mirrored.npz")
    assert int(r["single/replicas"]) == 1 and int(r["mirrored/replicas"]) == 2
    assert int(r["single/step"]) == int(r["mirrored/step"]) == 3
    np.testing.assert_allclose(r["mirrored/losses"], r["single/losses"], rtol=1e-5, atol=1e-6)
    names = sorted(k.split("/")[1] for k in r.files if k.startswith("single/w"))
    assert names
    for name in names:  # every weight: G, D, the EMA and StyleGAN's w_avg (a replica-written mean)
        a, b = r[f"single/{name}"], r[f"mirrored/{name}"]
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(a).max())), err_msg=name)
    assert "global batch of 7 does not divide into 2 replicas" in str(r["odd_batch_error"])


@pytest.mark.subprocess
def test_two_workers_train_and_the_chief_checkpoint_loads_on_one_device(tmp_path, monkeypatch):
    ports = free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs = [
        run_worker("worker", tmp_path, str(i), wait=False,
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
        for i in range(2)
    ]
    try:
        for i, proc in enumerate(procs):
            finish(proc, f"worker {i}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    w0, w1 = np.load(tmp_path / "worker-0.npz"), np.load(tmp_path / "worker-1.npz")
    assert int(w0["replicas"]) == int(w1["replicas"]) == 2
    assert int(w0["steps"]) == int(w1["steps"]) == 2
    # The workers trained on different halves of each batch: equal weights mean the gradients were all-reduced.
    np.testing.assert_array_equal(w0["generator"], w1["generator"])
    run = tmp_path / "run"
    assert str(w0["wrote_to"]) == str(run) and str(w1["wrote_to"]) != str(run)  # worker 1 wrote to scratch
    assert not Path(str(w1["wrote_to"])).exists()  # and cleaned it up
    assert [p.name for p in run.rglob("checkpoint*")] == ["checkpoint.npz"]
    card = json.loads((run / "final" / "run_card.json").read_text())
    assert card["strategy"] == "multi-worker" and card["replicas"] == 2

    # The checkpoint holds plain arrays: a single-device trainer resumes from it.
    monkeypatch.syspath_prepend(str(HERE.parent))  # backend_worker
    t = _tiny_trainer(run, _images(), resume=True, max_steps=2, force=False)
    assert t.strategy is None and t.step == 2
    np.testing.assert_array_equal(np.concatenate([np.ravel(w) for w in t.state.generator.get_weights()]), w0["generator"])


def test_strategy_errors(monkeypatch, tmp_path, capsys):
    import keras

    from zoo.cli import build_parser, main
    from zoo.errors import ZooError
    from zoo.training.distribute import make_strategy

    assert make_strategy(None) is None
    with pytest.raises(ZooError, match="unknown strategy 'horovod'"):
        make_strategy("horovod")
    with pytest.raises(ZooError, match="data-parallel is keras.distribution.DataParallel for the JAX backend"):
        make_strategy("data-parallel")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ZooError, match="reads the cluster from TF_CONFIG, which is not set"):
        make_strategy("multi-worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ZooError, match="TF_CONFIG must be JSON"):
        make_strategy("multi-worker")
    monkeypatch.delenv("TF_CONFIG")
    with pytest.raises(ZooError, match="no TPU found"):
        make_strategy("tpu")
    with monkeypatch.context() as m:
        m.setattr(keras.backend, "backend", lambda: "jax")
        with pytest.raises(ZooError, match="needs the TensorFlow backend.*under JAX use --strategy data-parallel"):
            make_strategy("mirrored")
        m.setattr(keras.backend, "backend", lambda: "torch")
        with pytest.raises(ZooError, match="needs the TensorFlow backend"):
            make_strategy("tpu")

    # The CLI passes --strategy through to the trainer, whose error is one line.
    args = build_parser().parse_args(["train", "dcgan-mnist", "--out", str(tmp_path), "--strategy", "mirrored"])
    assert args.strategy == "mirrored"
    capsys.readouterr()
    assert main(["train", "dcgan-mnist", "--out", str(tmp_path / "run"), "--strategy", "tpu"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gan-zoo: error: --strategy tpu: no TPU found") and err.count("\n") == 1


@pytest.mark.skipif(__import__("importlib.util").util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.subprocess
@pytest.mark.slow  # JAX compiles on the CPU for ~40 s (make test-slow); TensorFlow's strategies run by default
def test_jax_data_parallel_trains(tmp_path):
    run_worker("jax", tmp_path, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    r = np.load(tmp_path / "jax.npz")
    assert int(r["devices"]) == 2 and int(r["steps"]) == 2 and bool(r["finite"])
    assert int(r["kernel_devices"]) == 2  # the weights are replicated on both devices


def test_tfx_run_fn_trains_and_writes_a_saved_model(tmp_path):
    import tensorflow as tf

    import zoo
    from export.tfx import run_fn
    from zoo.errors import ZooError

    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    data.mkdir()
    np.save(data / "a.npy", rng.integers(0, 256, (16, 28, 28), dtype=np.uint8))
    np.savez(data / "b.npz", images=rng.uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32))
    fn_args = types.SimpleNamespace(
        custom_config={"model": "mlpgan-fashion-mnist", "batch_size": 8, "max_steps": 2},
        train_files=[str(data / "*.npy"), str(data / "b.npz")],
        model_run_dir=str(tmp_path / "run"),
        serving_model_dir=str(tmp_path / "serving"),
    )
    run_fn(fn_args)
    card = json.loads((tmp_path / "run" / "final" / "run_card.json").read_text())
    assert card["run"]["steps"] == 2 and card["train_images"] == 24 and card["strategy"] is None
    loaded = tf.saved_model.load(str(tmp_path / "serving"))
    serve = loaded.signatures["serving_default"]
    (name, spec), = serve.structured_input_signature[1].items()
    z = rng.standard_normal((3, spec.shape[-1])).astype(np.float32)
    image = serve(**{name: tf.constant(z)})["image"].numpy()
    # The served model is the run's shipped (EMA) generator.
    trained = zoo.load("mlpgan-fashion-mnist", weights=tmp_path / "run" / "final" / "generator.weights.h5")
    np.testing.assert_allclose(image, trained.generate(z), atol=1e-5)
    assert (tmp_path / "serving" / "assets.extra" / "card.json").exists()

    with pytest.raises(ZooError, match="custom_config must name the zoo entry"):
        run_fn(types.SimpleNamespace(**{**vars(fn_args), "custom_config": {}}))
    np.save(data / "c.npy", np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(ZooError, match="different sizes"):
        run_fn(fn_args)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]
    task, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    {"mirrored": task_mirrored, "worker": task_worker, "jax": task_jax}[task](out_dir, *sys.argv[3:])
