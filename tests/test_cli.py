"""The gan-zoo command end to end, in subprocesses, as a user runs it."""

import json
import os
import subprocess
import sys

import pytest
from PIL import Image


def run(*args, check=True):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_list_and_info():
    out = run("list").stdout
    assert "dcgan-mnist" in out and "dcgan-fashion-mnist" in out
    assert "dcgan-mnist" not in run("list", "*fashion*").stdout
    card = json.loads(run("info", "dcgan-mnist").stdout)
    assert card["name"] == "dcgan-mnist"


def test_unknown_model_is_one_line_without_traceback():
    proc = run("info", "dcgan-mnsit", check=False)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("gan-zoo")]
    assert lines == [lines[0]] and "did you mean dcgan-mnist" in lines[0]
    assert "Traceback" not in proc.stderr


def test_sample_writes_grid_and_refuses_overwrite(tmp_path):
    out = tmp_path / "grid.png"
    run("sample", "dcgan-mnist", "-n", "16", "--seed", "3", "--untrained", "-o", str(out), "--scale", "1")
    with Image.open(out) as im:
        assert im.size == (4 * 30 + 2, 4 * 30 + 2)
    proc = run("sample", "dcgan-mnist", "--untrained", "-o", str(out), check=False)
    assert proc.returncode == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    run("sample", "dcgan-mnist", "--untrained", "-n", "4", "-o", str(out), "--force")


@pytest.mark.skipif("ZOO_DATA_DIR" not in os.environ, reason="offline datasets not found")
def test_train_then_resume(tmp_path):
    run_dir = tmp_path / "run"
    args = ["train", "dcgan-fashion-mnist", "--out", str(run_dir), "--batch-size", "16", "--no-progress"]
    first = json.loads(run(*args, "--max-steps", "2").stdout.split("\nfinal")[0])
    assert first["steps"] == 2 and (run_dir / "checkpoint.npz").exists()
    assert "--resume" in run(*args, "--max-steps", "3", check=False).stderr
    second = json.loads(run(*args, "--max-steps", "3", "--resume").stdout.split("\nfinal")[0])
    assert second["steps"] == 3 and second["steps_this_run"] == 1


def test_train_without_data_says_where_to_put_it(tmp_path):
    proc = run("train", "dcgan-mnist", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1 and str(tmp_path / "mnist") in proc.stderr and "Traceback" not in proc.stderr
