"""Fault injection: every failure of issue 22, reproduced, and what must survive it checked.

Each case asserts the exit code, one line on stderr (zoo.cli.main is the one error
boundary) and that nothing valid was lost or replaced. Commands run in-process through
``zoo.cli.main`` where they can (one TensorFlow start-up for the whole file) on a tiny
registered entry (milliseconds a step); a SIGKILL and a second process holding a run
folder need real processes (tests/fault_worker.py, marked ``subprocess``).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fault_worker
import zoo
from fault_worker import NAME
from zoo import atomic
from zoo.data import DataError, load_arrays, read_idx
from zoo.model import ZooModel, build
from zoo.registry import WeightsFile, get_preset
from zoo.training import checkpoint as ckpt_lib
from zoo.training.run_folder import RunFolder
from zoo.training.trainer import TrainConfig, Trainer
from zoo.weights import check_card_agrees, sha256_file

WORKER = Path(__file__).with_name("fault_worker.py")
DATA = os.environ.get("ZOO_DATA_DIR")
needs_data = pytest.mark.skipif(not (DATA and Path(DATA, "mnist").exists()), reason="offline datasets not found")


# -- helpers -------------------------------------------------------------------------------------------
@pytest.fixture
def entry(register_temporarily):
    """fault_worker's tiny entry, registered so the command line can use it."""
    return register_temporarily(fault_worker.tiny())


def poisoned(preset, name: str = "faults-nan"):
    """The entry with learning rates of 1e10: its weights become Inf/NaN within two steps."""
    recipe = dataclasses.replace(preset.recipe, g_learning_rate=1e10, d_learning_rate=1e10)
    return dataclasses.replace(preset, name=name, recipe=recipe)


def cli(capsys, *args) -> tuple[int, str, str]:
    from zoo.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gan-zoo: "), err
    assert "Traceback" not in err
    return lines[0]


def snapshot(folder) -> dict:
    """Relative path -> bytes of every file under ``folder``: what must not be lost or replaced."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def train_args(run, *extra) -> list:
    return ["train", NAME, "--out", run, "--no-progress", *extra]


def config(out, **kw) -> TrainConfig:
    return TrainConfig(out_dir=out, progress=False, tensorboard=False, **kw)


def train(out, **kw) -> Trainer:
    trainer = Trainer(fault_worker.tiny(), config(out, **kw), images=fault_worker.images())
    trainer.fit()
    return trainer


def run_worker(task: str, folder: Path, wait: bool = True):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.Popen([sys.executable, str(WORKER), task, str(folder)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if wait:
        output = proc.communicate(timeout=300)[0]
        assert proc.returncode == -signal.SIGKILL, f"worker {task} was not killed:\n{output[-3000:]}"
    return proc


def age(path: Path) -> None:
    """Makes a leftover (a file, or a folder and all it holds) look older than zoo.atomic's limit."""
    old = time.time() - 2 * atomic.STALE_AFTER_S
    for p in [*Path(path).rglob("*"), Path(path)]:  # the folder last: touching its files changes it
        os.utime(p, (old, old))


def hidden(folder: Path, prefix: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(prefix))


def write_idx(path: Path, array: np.ndarray) -> None:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def write_dataset(root: Path, images: np.ndarray, labels: np.ndarray, split: str = "train") -> Path:
    prefix = "train" if split == "train" else "t10k"
    write_idx(root / "mnist" / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(root / "mnist" / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return root


# -- 1. the NaN stop keeps a finite checkpoint ---------------------------------------------------------
def test_checkpoint_save_refuses_nan_and_keeps_the_previous_one(tmp_path):
    path = tmp_path / ckpt_lib.CHECKPOINT_NAME
    ckpt_lib.save(path, {"generator": [np.ones(3, "float32")]}, {"step": 1})
    before = path.read_bytes()
    with pytest.raises(ckpt_lib.NonFiniteCheckpointError, match="ema"):
        ckpt_lib.save(path, {"generator": [np.ones(3, "float32")], "ema": [np.array([1, np.inf], "float32")]},
                      {"step": 2})
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


@needs_data
def test_nan_stop_keeps_a_finite_checkpoint_that_resumes(entry, register_temporarily, tmp_path, capsys):
    register_temporarily(poisoned(entry))
    run = tmp_path / "run"
    args = ["train", "faults-nan", "--out", run, "--no-progress", "--max-steps", 30, "--checkpoint-every", 1]
    code, _, err = cli(capsys, *args)
    line = error_line(err)
    assert code == 1 and "intact" in line
    ckpt = run / ckpt_lib.CHECKPOINT_NAME
    step = ckpt_lib.read_state(ckpt)["step"]
    with np.load(ckpt) as z:  # G, D, EMA and both optimisers
        assert {k.split("/")[0] for k in z.files} >= {"generator", "discriminator", "ema", "g_opt", "d_opt"}
        assert all(np.isfinite(z[k]).all() for k in z.files if z[k].dtype.kind == "f")
    assert step >= 1 and f"(step {step})" in line and not (run / "final").exists()
    good = ckpt.read_bytes()
    # --resume starts from that checkpoint; the same learning rates diverge again, and it stays.
    code, _, err = cli(capsys, *args, "--resume")
    line = error_line(err)
    assert code == 1 and f"step {step + 1}" in line and f"(step {step}) is intact" in line
    assert ckpt.read_bytes() == good


# -- 2. invalid sizes: one line, before anything is written --------------------------------------------
@pytest.mark.parametrize("args, named", [
    (["--batch-size", "0"], "--batch-size"),
    (["--batch-size", "-1"], "--batch-size"),
    (["--max-steps", "0"], "--max-steps"),
    (["--max-steps", "-5"], "--max-steps"),
    (["--epochs", "0"], "--epochs"),
    (["--checkpoint-every", "0"], "--checkpoint-every"),
    (["--eval-every-kimg", "-1"], "--eval-every-kimg"),
    (["--eval-samples", "0"], "--eval-samples"),
    (["--resume", "--force"], "--resume and --force"),
])
def test_invalid_sizes_are_one_line_before_anything_is_written(entry, tmp_path, capsys, args, named):
    run = tmp_path / "run"
    code, _, err = cli(capsys, *train_args(run, *args))
    assert code == 1 and named in error_line(err)
    assert not run.exists()


# -- 3. the run folder: manifest and lock --------------------------------------------------------------
def test_a_run_without_checkpoint_is_not_overwritten(entry, tmp_path, capsys):
    run = tmp_path / "run"
    (run / "final").mkdir(parents=True)
    (run / "final" / "generator.weights.h5").write_bytes(b"a finished run's weights")
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    before = snapshot(run)
    code, _, err = cli(capsys, *train_args(run, "--max-steps", 1))
    line = error_line(err)
    assert code == 1 and "final" in line and "--force" in line
    assert snapshot(run) == before


@needs_data
def test_force_deletes_the_old_run_instead_of_mixing_with_it(entry, tmp_path, capsys):
    run = tmp_path / "run"
    old = {"final/generator.weights.h5": b"old", "best/best.json": b"{}", "metrics.jsonl": b"{}\n",
           "samples/epoch_099.png": b"old", "tensorboard/events.out.old": b"old", "checkpoint.npz": b"old"}
    for rel, data in old.items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_bytes(data)
    (run / "notes.txt").write_text("the user's own file")
    code, _, err = cli(capsys, *train_args(run, "--max-steps", 2, "--force"))
    assert code == 0, err
    now = snapshot(run)
    assert not [rel for rel, data in old.items() if now.get(rel) == data]  # every old output gone or new
    assert not {"best/best.json", "metrics.jsonl", "samples/epoch_099.png", "tensorboard/events.out.old"} & set(now)
    assert now["notes.txt"] == b"the user's own file"
    assert ckpt_lib.read_state(run / "checkpoint.npz")["step"] == 2
    manifest = json.loads((run / "run.json").read_text())
    assert (manifest["name"], manifest["batch_size"], manifest["precision"]) == (NAME, 8, entry.recipe.precision)


@needs_data
def test_resume_with_another_batch_size_or_precision_is_refused(entry, tmp_path, capsys):
    run = tmp_path / "run"
    assert cli(capsys, *train_args(run, "--max-steps", 2))[0] == 0
    before = snapshot(run)
    ours = entry.recipe.precision
    other = "float32" if ours != "float32" else "bfloat16"
    for extra, said in ((["--batch-size", 16], "batch size 8, not 16"),
                        (["--precision", other], f"precision {ours}, not {other}")):
        code, _, err = cli(capsys, *train_args(run, "--max-steps", 3, "--resume", *extra))
        assert code == 1 and said in error_line(err)
    assert snapshot(run) == before


def test_a_second_training_into_a_held_folder_fails_at_once(entry, tmp_path, capsys):
    run = tmp_path / "run"
    holder = RunFolder(run)
    holder.lock()  # as a running training holds it (flock: another open file conflicts, same process or not)
    try:
        t0 = time.perf_counter()
        code, _, err = cli(capsys, *train_args(run, "--max-steps", 1))
        assert code == 1 and "in use by another training" in error_line(err)
        assert time.perf_counter() - t0 < 10
    finally:
        holder.release()
    assert not run.exists()  # the refused training wrote nothing (the holder made the folder and removed it)


@pytest.mark.subprocess
def test_concurrent_run_is_refused_and_the_lock_dies_with_its_process(entry, tmp_path, capsys):
    run = tmp_path / "run"
    proc = run_worker("hold", run, wait=False)
    try:
        deadline = time.time() + 120
        while not ((run / ".lock").exists() and (run / ".lock").read_text().strip() == str(proc.pid)
                   and (run / "checkpoint.npz").exists()):
            assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
            time.sleep(0.2)
        before = (run / "checkpoint.npz").exists()
        # --force would delete the running run's files: refused before anything is touched.
        code, _, err = cli(capsys, *train_args(run, "--max-steps", 1, "--force"))
        assert code == 1 and f"in use by another training (pid {proc.pid})" in error_line(err)
        assert before and (run / "checkpoint.npz").exists() and (run / "run.json").exists()
    finally:
        proc.kill()  # SIGKILL: no cleanup runs, the kernel drops the lock
        proc.communicate(timeout=60)
    step = ckpt_lib.read_state(run / "checkpoint.npz")["step"]
    assert train(run, resume=True, max_steps=step + 2).step == step + 2


# -- 4. checkpoint and final/ survive a kill -----------------------------------------------------------
@pytest.mark.subprocess
def test_kill_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path):
    run = tmp_path / "run"
    run_worker("checkpoint", run)
    assert ckpt_lib.read_state(run / "checkpoint.npz")["step"] == 2  # the third write was cut short
    (leftover,) = hidden(run, ".checkpoint.npz.")
    age(leftover)
    trainer = train(run, resume=True, max_steps=4, checkpoint_every=1)
    assert trainer.step == 4 and not leftover.exists()  # the next write into the folder removed it


@pytest.mark.subprocess
def test_kill_while_writing_final_keeps_the_previous_final(tmp_path):
    run = tmp_path / "run"
    train(run, max_steps=2)
    before = snapshot(run / "final")
    run_worker("final", run)  # resumes to step 3 and dies after the first file of the new final/
    assert snapshot(run / "final") == before
    preset = fault_worker.tiny()
    ZooModel(preset, build(preset)[0], card={}).generator.load_weights(run / "final" / "generator.weights.h5")
    (staged,) = hidden(run, ".final.")
    age(staged)
    train(run, resume=True, max_steps=3)
    card = json.loads((run / "final" / "run_card.json").read_text())
    assert card["run"]["steps"] == 3 and not staged.exists()


def test_failed_final_write_keeps_the_previous_final(tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(run, max_steps=2)
    before = snapshot(run / "final")

    def half(self, final, summary):
        self.state.shipped_generator.save_weights(final / "generator.weights.h5")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Trainer, "_write_final_into", half)
    with pytest.raises(OSError, match="No space"):
        train(run, resume=True, max_steps=3)
    assert snapshot(run / "final") == before and not hidden(run, ".final.")


def test_metrics_line_cut_short_by_a_kill_does_not_break_resume(tmp_path):
    from zoo.training import evaluation

    log = tmp_path / evaluation.METRICS_NAME
    log.write_text('{"step": 2, "images": 16}\n{"step": 4, "ima')  # the append a SIGKILL interrupted
    assert evaluation.read_log(log) == [{"step": 2, "images": 16}]


# -- 5. export --format all is staged ------------------------------------------------------------------
def _artifacts(name: str) -> list[str]:
    import export

    names = [export.artifact_filename(name, f, q) for f, q in export.ALL_ARTIFACTS]
    return names + [n + ".card.json" for n in names] + ["report.json", "report.md"]


def _old_set(out: Path) -> dict:
    for n in _artifacts(NAME):
        if n.endswith("_savedmodel"):
            (out / n).mkdir(parents=True)
            (out / n / "saved_model.pb").write_bytes(b"old")
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / n).write_bytes(b"old")
    return snapshot(out)


@pytest.mark.parametrize("force", [False, True])
def test_export_all_failure_leaves_the_set_unwritten_and_rerun_works(entry, tmp_path, capsys, monkeypatch,
                                                                     force):
    import export
    from export import report

    out = tmp_path / "out"
    before = _old_set(out) if force else {}
    fails = fault_worker.stand_in_exporter(("onnx", None), export.VerificationError("onnx: max-abs error 1 > 1e-4"))
    monkeypatch.setattr(report, "export_format", fails)
    extra = ["--force"] if force else []
    code, _, err = cli(capsys, "export", NAME, "--format", "all", "--untrained", "-o", out, *extra)
    assert code == 1 and "max-abs error" in error_line(err) and len(fails.calls) == 6
    assert snapshot(out) == before and not hidden(out, ".")  # nothing new, nothing old lost, no leftovers
    monkeypatch.setattr(report, "export_format", fault_worker.stand_in_exporter())
    code, out_text, err = cli(capsys, "export", NAME, "--format", "all", "--untrained", "-o", out, *extra)
    assert code == 0, err
    assert sorted(os.listdir(out)) == sorted(_artifacts(NAME)) and b"old" not in snapshot(out).values()


def test_export_all_skips_a_failing_int8_with_its_reason(entry, tmp_path, capsys, monkeypatch):
    import export
    from export import report

    out = tmp_path / "out"
    reason = f"{NAME}: verification failed (LiteRT: PSNR 18.20 dB < 25.0 dB)"
    monkeypatch.setattr(report, "export_format",
                        fault_worker.stand_in_exporter(("tflite", "int8"), export.VerificationError(reason)))
    code, text, err = cli(capsys, "export", NAME, "--format", "all", "--untrained", "-o", out)
    assert code == 0, err
    int8 = export.artifact_filename(NAME, "tflite", "int8")
    assert sorted(os.listdir(out)) == sorted(n for n in _artifacts(NAME) if not n.startswith(int8))
    data = json.loads((out / "report.json").read_text())
    assert data["skipped"] == [{"artifact": int8, "format": "tflite", "quantization": "int8", "reason": reason}]
    assert f"| {int8} | tflite | int8 |" in (out / "report.md").read_text() and "skipped" in text


def test_ctrl_c_during_export_is_one_line_and_leaves_nothing(entry, tmp_path, capsys, monkeypatch):
    from export import report

    out = tmp_path / "out"
    monkeypatch.setattr(report, "export_format", fault_worker.stand_in_exporter(("tflite", "float16"),
                                                                                KeyboardInterrupt()))
    code, _, err = cli(capsys, "export", NAME, "--format", "all", "--untrained", "-o", out)
    assert code == 130 and error_line(err) == "gan-zoo: interrupted"
    assert os.listdir(out) == []


@pytest.mark.subprocess
def test_kill_during_export_keeps_the_old_set(tmp_path, monkeypatch):
    from export import report

    out = tmp_path / "out"
    before = _old_set(out)
    run_worker("export", out)  # force=True over the old set, killed while writing the third artifact
    (stage,) = hidden(out, ".export.")
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(".export.")} == before
    age(stage)
    monkeypatch.setattr(report, "export_format", fault_worker.stand_in_exporter())
    preset = fault_worker.tiny()
    report.export_all(ZooModel(preset, build(preset)[0], card={}), out, force=True)
    assert sorted(os.listdir(out)) == sorted(_artifacts(NAME))  # the stale stage is gone too


# -- 6. one line from the CLI's error boundary ---------------------------------------------------------
@pytest.fixture(scope="module")
def weights_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("weights")
    g, _ = build(fault_worker.tiny())
    g.save_weights(folder / "good.weights.h5")
    raw = (folder / "good.weights.h5").read_bytes()
    (folder / "truncated.weights.h5").write_bytes(raw[: len(raw) // 2])
    (folder / "text.weights.h5").write_text("not HDF5\n")
    (folder / "notzip.keras").write_text("not a zip\n")
    g.set_weights([np.full_like(w, np.nan) for w in g.get_weights()])
    g.save_weights(folder / "nan.weights.h5")
    return folder


@pytest.mark.parametrize("name, said", [
    ("truncated.weights.h5", "cannot load weights file"),
    ("text.weights.h5", "cannot load weights file"),
    ("notzip.keras", "cannot load weights file"),
    ("nan.weights.h5", "NaN or Inf"),
])
def test_bad_weights_files_are_one_line(entry, weights_files, tmp_path, capsys, name, said):
    out = tmp_path / "grid.png"
    code, _, err = cli(capsys, "sample", NAME, "-n", 4, "--weights", weights_files / name, "-o", out)
    assert code == 1 and said in error_line(err) and name in error_line(err)
    assert not out.exists()
    assert cli(capsys, "sample", NAME, "-n", 4, "--weights", weights_files / "good.weights.h5", "-o", out)[0] == 0


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_output_where_nothing_can_be_written_is_one_line(entry, tmp_path, capsys, where):
    # Root ignores chmod, so "read-only" is a path below a regular file, or /proc.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    base = blocker if where == "under-a-file" else Path("/proc/gan-zoo-faults")
    code, _, err = cli(capsys, "sample", NAME, "--untrained", "-n", 4, "-o", base / "grid.png")
    assert code == 1 and str(base) in error_line(err)
    code, _, err = cli(capsys, *train_args(base / "run", "--max-steps", 1))
    assert code == 1 and str(base / "run") in error_line(err)
    assert os.listdir(tmp_path) == ["file"] and blocker.read_text() == "x"


def test_output_onto_an_existing_folder_is_refused_even_with_force(entry, tmp_path, capsys):
    folder = tmp_path / "grid.png"
    folder.mkdir()
    (folder / "keep").write_text("x")
    code, _, err = cli(capsys, "sample", NAME, "--untrained", "-n", 4, "-o", folder, "--force")
    assert code == 1 and "is a folder" in error_line(err)
    assert snapshot(tmp_path) == {"grid.png/keep": b"x"}


@pytest.mark.parametrize("n, said", [(1_000_000_000_000, "more than this machine's"), (0, "no images")])
def test_sample_counts_that_cannot_fit_or_draw_nothing_are_one_line(entry, tmp_path, capsys, n, said):
    out = tmp_path / "grid.png"
    code, _, err = cli(capsys, "sample", NAME, "--untrained", "-n", n, "-o", out)
    assert code == 1 and said in error_line(err) and not out.exists()


def test_empty_weights_path_is_an_error_not_the_shipped_weights(capsys, tmp_path):
    out = tmp_path / "grid.png"
    code, _, err = cli(capsys, "sample", "dcgan-mnist", "-n", 4, "--weights", "", "-o", out)
    assert code == 1 and "--weights is empty" in error_line(err) and not out.exists()


@pytest.mark.parametrize("damage", ["not-a-zip", "truncated", "empty"])
def test_corrupt_checkpoint_is_one_line_and_left_alone(entry, tmp_path, capsys, damage):
    run = tmp_path / "run"
    train(run, max_steps=1)
    ckpt = run / ckpt_lib.CHECKPOINT_NAME
    raw = ckpt.read_bytes()
    ckpt.write_bytes({"not-a-zip": b"PK\x03\x04 but no zip", "truncated": raw[: len(raw) // 2], "empty": b""}[damage])
    before = snapshot(run)
    code, _, err = cli(capsys, *train_args(run, "--max-steps", 2, "--resume"))
    assert code == 1 and "cannot be read" in error_line(err)
    assert snapshot(run) == before


def test_gzip_that_raises_zlib_error_is_one_line(entry, tmp_path, capsys):
    root = write_dataset(tmp_path / "data", np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8))
    bad = root / "mnist" / "train-images-idx3-ubyte.gz"
    # A valid gzip header, then a deflate block of the reserved type: zlib.error, not OSError.
    bad.write_bytes(bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]) + b"\xff" * 64)
    with pytest.raises(DataError, match="cannot read IDX"):
        read_idx(bad)
    code, _, err = cli(capsys, *train_args(tmp_path / "run", "--data-dir", root))
    assert code == 1 and "cannot read IDX" in error_line(err) and not (tmp_path / "run").exists()


def test_unexpected_exception_is_one_line_with_a_debug_hint(entry, tmp_path, capsys, monkeypatch):
    import zoo.images
    from zoo.cli import main

    def broken(*a, **k):
        raise RuntimeError("a bug\nwith two lines")

    monkeypatch.setattr(zoo.images, "save_png", broken)
    args = ["sample", NAME, "--untrained", "-n", 4, "-o", tmp_path / "grid.png"]
    code, _, err = cli(capsys, *args)
    assert code == 1 and error_line(err) == ("gan-zoo: error: unexpected RuntimeError: a bug with two lines "
                                             "(rerun with --debug for the traceback)")
    for debug in (["--debug", *args], [*args, "--debug"]):  # before or after the command
        with pytest.raises(RuntimeError, match="a bug"):
            main([str(a) for a in debug])


def test_usage_errors_exit_2():
    from zoo.cli import main

    with pytest.raises(SystemExit) as e:
        main(["sample", "dcgan-mnist"])  # -o is required
    assert e.value.code == 2


# -- 7. IDX contents are checked on load ---------------------------------------------------------------
@pytest.mark.parametrize("images, labels, said", [
    (np.full((4, 28, 28), 1e30, ">f4"), np.zeros(4, np.uint8), "uint8"),
    (np.zeros((4, 32, 32), np.uint8), np.zeros(4, np.uint8), "28x28"),
    (np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 2, 10], np.uint8), "0..9"),
])
def test_idx_contents_are_checked_on_load(entry, tmp_path, capsys, images, labels, said):
    root = write_dataset(tmp_path / "data", images, labels)
    with pytest.raises(DataError, match=said):
        load_arrays("mnist", "train", data_dir=root)
    code, _, err = cli(capsys, *train_args(tmp_path / "run", "--data-dir", root))
    assert code == 1 and said in error_line(err) and not (tmp_path / "run").exists()


# -- 8. caches are re-verified -------------------------------------------------------------------------
def test_bad_cached_download_is_fetched_again_once(tmp_path, monkeypatch, register_temporarily):
    preset = fault_worker.tiny()
    remote = tmp_path / "remote" / "w.weights.h5"
    remote.parent.mkdir()
    build(preset)[0].save_weights(remote)
    weights = WeightsFile("w.weights.h5", sha256_file(remote), url=remote.as_uri())
    register_temporarily(dataclasses.replace(preset, name="faults-url", weights_dir=tmp_path / "pkg",
                                             generator_weights=weights))
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    cached = tmp_path / "cache" / "gan-zoo" / "w.weights.h5"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"a download cut short")
    zoo.load("faults-url")
    assert sha256_file(cached) == weights.sha256
    remote.write_bytes(b"replaced at the source")  # stays bad: one error, and no bad copy kept
    cached.unlink()
    with pytest.raises(zoo.WeightsIntegrityError, match="downloaded twice"):
        zoo.load("faults-url")
    assert not cached.exists()


class CountingExtractor:
    """A stand-in feature network (two features per image) for the cache logic."""

    kind, id, feature_dim, description = "domain", "faults-extractor", 2, "stand-in"

    def input_size(self, size):
        return size

    def __call__(self, x):
        feats = np.stack([x.mean((1, 2, 3)), x.std((1, 2, 3))], 1).astype(np.float64)
        return feats, np.full((len(x), 10), 0.1)


def test_edited_metrics_cache_is_recomputed_not_used(tmp_path, monkeypatch):
    from zoo.metrics.protocol import real_features

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    root = write_dataset(tmp_path / "data", rng.integers(0, 256, (16, 28, 28), dtype=np.uint8),
                         np.arange(16, dtype=np.uint8) % 10, split="test")
    ex = CountingExtractor()

    def features():
        return real_features(ex, "mnist", "test", 28, data_dir=root)

    first = features()
    assert first["cache"] == "miss" and features()["cache"] == "hit"
    (path,) = (tmp_path / "cache").rglob("*.npz")
    with np.load(path) as z:
        arrays = dict(z)
    np.savez(path, **{**arrays, "mu": arrays["mu"] + 100.0})  # edited, its stored sha256 kept
    again = features()
    assert again["cache"] == "miss" and np.allclose(again["mu"], first["mu"])
    assert features()["cache"] == "hit"  # rewritten with a matching sha256


# -- 9. smaller ----------------------------------------------------------------------------------------
def test_classifier_integrity_error_names_its_card(tmp_path):
    from zoo.metrics import classifier

    for f in (classifier.weights_path("mnist"), classifier.card_path("mnist")):
        shutil.copy(f, tmp_path / f.name)
    with open(classifier.weights_path("mnist", tmp_path), "ab") as f:
        f.write(b"\0")
    with pytest.raises(zoo.WeightsIntegrityError, match=r"its card .*mnist-classifier\.card\.json expects"):
        classifier.load_classifier("mnist", tmp_path)


def test_stale_temporaries_of_a_killed_writer_are_cleaned_by_the_next_write(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs, as a SIGKILLed writer's
    stale_file = tmp_path / f".checkpoint.npz.{dead.pid}-abcd1234.tmp"
    stale_dir = tmp_path / ".final.abcd1234.tmp"  # a name without a pid counts by its age alone
    fresh = tmp_path / f".report.json.{dead.pid}-wxyz5678.tmp"  # written to a moment ago
    running = tmp_path / f".best.{os.getpid()}-abcd1234.tmp"  # old, but its writer still runs
    foreign = tmp_path / ".notes.tmp"  # not a name zoo.atomic makes
    for p in (stale_file, fresh, running, foreign):
        p.write_bytes(b"half")
    (stale_dir / "sub").mkdir(parents=True)
    (stale_dir / "sub" / "generator.weights.h5").write_bytes(b"half")
    for p in (stale_file, stale_dir, running, foreign):
        age(p)
    atomic.write_text(tmp_path / "report.json", "{}")
    assert sorted(os.listdir(tmp_path)) == sorted([fresh.name, running.name, foreign.name, "report.json"])


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_card_names_the_weights_its_registry_entry_loads(name):
    check_card_agrees(get_preset(name), zoo.info(name))


@pytest.mark.parametrize("field", ["sha256", "file"])
def test_an_edited_card_is_refused_on_load(tmp_path, register_temporarily, field):
    shipped = get_preset("dcgan-mnist")
    preset = register_temporarily(dataclasses.replace(shipped, name="faults-card", weights_dir=tmp_path))
    card = json.loads(shipped.card_path.read_text())
    card["weights"]["generator"][field] = "0" * 64 if field == "sha256" else "other.weights.h5"
    preset.card_path.write_text(json.dumps(card))
    with pytest.raises(zoo.WeightsIntegrityError, match=rf"faults-card\.card\.json says weights\.generator\.{field}"):
        zoo.load("faults-card")
