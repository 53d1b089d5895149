"""The benchmark suite: FLOP counts, the reference loop's fairness, and `gan-zoo bench --quick` end to end.

The quick run's timings are smoke-test numbers: their form and the numbers derived
from them are checked, not their values.
"""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zoo import list_models

REPO = Path(__file__).resolve().parents[1]


def bench(*args, check=True):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "bench", *args], capture_output=True, text=True,
                          env=env, timeout=1500)  # generous: CI machines may be busy
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc


# --- FLOPs ----------------------------------------------------------------------------------------


def _flops(input_shape, *layers):
    import keras

    from benchmarks.flops import count_flops

    return count_flops(keras.Sequential([keras.Input(input_shape), *layers]))


def test_dense_flops_match_hand_count():
    import keras

    assert _flops((4,), keras.layers.Dense(3)).total == 2 * 4 * 3 + 3
    assert _flops((4,), keras.layers.Dense(3, use_bias=False)).total == 24
    assert _flops((4,), keras.layers.Dense(3, activation="relu")).total == 24 + 3 + 3
    # Dense on a sequence applies per position: 5 positions of (24 multiply-add FLOPs + 3 biases).
    assert _flops((5, 4), keras.layers.Dense(3)).total == 5 * 27


def test_zoo_layer_flops_match_hand_count():
    from zoo.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev, PixelNorm

    c = _flops((4, 4, 3), EqualizedConv2D(2, 3), PixelNorm(), MinibatchStdDev(4))
    conv = 2 * (4 * 4 * 2) * (3 * 3 * 3) + 4 * 4 * 2  # + bias
    assert [f for _, _, f in c.per_layer] == [conv, 3 * 32, 4 * 32] and c.uncounted == []
    assert _flops((4,), EqualizedDense(3, use_bias=False)).total == 2 * 4 * 3


def test_step_flops_follow_each_steps_declared_cost():
    from benchmarks.flops import train_step_flops
    from zoo.registry import get_preset

    totals = {}
    for name in ("dcgan-mnist", "progan-fashion-mnist", "stylegan-fashion-mnist"):
        preset = get_preset(name)
        totals[name] = train_step_flops(10, 1, preset.step.from_preset(preset).cost())["total"]
    # 3G + 7D plain; WGAN-GP adds a third D forward, the input gradient and its double backward; R1 reuses
    # the real forward (3D), amortised over its interval: dcgan-mnist's and stylegan-fashion-mnist's lazy
    # R1 every 4 steps adds 3D/4 (37.75, rounded to whole FLOPs; R1 on every step would be 40).
    assert totals == {"dcgan-mnist": 38, "progan-fashion-mnist": 43, "stylegan-fashion-mnist": 38}
    assert train_step_flops(10, 1) == train_step_flops(10, 1, get_preset("mlpgan-mnist").step.from_preset(
        get_preset("mlpgan-mnist")).cost())  # the plain non-saturating step


@pytest.mark.parametrize("name", list_models())
def test_every_entry_has_a_complete_flop_count(name):
    import zoo
    from benchmarks.flops import model_flops

    f = model_flops(zoo.load(name, weights=None, with_discriminator=True))
    assert f["generator"] > 0 and f["discriminator"] > 0
    assert f["generator_uncounted"] == [] and f["discriminator_uncounted"] == []


def test_conv_transpose_and_conv_flops_match_hand_count():
    import keras

    from benchmarks.flops import count_flops

    m = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Conv2DTranspose(2, 3, 2, padding="same")])
    # Every one of the 2*2 input pixels x 3 channels meets the full 3x3x2 kernel; + 4*4*2 biases.
    assert count_flops(m).total == 2 * (2 * 2 * 3) * (3 * 3) * 2 + 4 * 4 * 2 == 464
    m = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 3, 2, padding="same", use_bias=False)])
    # Output 2x2x2, each a 3x3x3 dot product.
    assert count_flops(m).total == 2 * (2 * 2 * 2) * (3 * 3 * 3) == 432


def test_dcgan_mnist_generator_flops_and_step_formula():
    import zoo
    from benchmarks.flops import count_flops, model_flops

    m = zoo.load("dcgan-mnist", weights=None, with_discriminator=True)
    dense = 2 * 100 * 7 * 7 * 256 + 2 * 12544 + 12544  # projection, BN, LeakyReLU
    deconv0 = 2 * 7 * 7 * 256 * 25 * 128 + 2 * 6272 + 6272
    deconv1 = 2 * 7 * 7 * 128 * 25 * 64 + 2 * 12544 + 12544
    to_image = 2 * 14 * 14 * 64 * 25 * 1 + 784  # + tanh
    g = count_flops(m.generator)
    assert g.total == dense + deconv0 + deconv1 + to_image and g.uncounted == []
    f = model_flops(m)
    assert f["train_step"] == 3 * f["generator"] + 7 * f["discriminator"]


def test_unknown_layer_is_listed_not_guessed():
    import keras

    from benchmarks.flops import count_flops

    class Odd(keras.layers.Layer):
        def call(self, x):
            return x * 2

    m = keras.Sequential([keras.Input((3,)), Odd(name="odd"), keras.layers.Dense(1)])
    c = count_flops(m)
    assert c.uncounted == ["odd"] and c.total == 2 * 3 + 1


def test_growing_model_is_timed_at_its_final_resolution():
    from benchmarks.train_bench import ZooLoop, synthetic_images
    from zoo.registry import get_preset

    p = get_preset("progan-fashion-mnist")
    loop = ZooLoop(p, 4, synthetic_images(p, 8))
    # Without entering the last phase the step would train (and be timed at) 4x4.
    assert loop.gan_step.phase.key == (32, False)
    assert loop.state.generator.growth == loop.state.discriminator.growth == (32, False)


# --- mixed precision ----------------------------------------------------------------------------------


def test_zoo_loop_trains_at_the_recipe_precision_with_a_float32_ema():
    import keras

    from benchmarks.train_bench import ZooLoop, run_train_case, synthetic_images
    from zoo.registry import tiny_preset

    p = tiny_preset("dcgan-mnist")
    loop = ZooLoop(p, 8, synthetic_images(p, 16), precision="bfloat16")
    assert loop.state.generator.dtype_policy.name == loop.state.discriminator.dtype_policy.name == "mixed_bfloat16"
    assert {v.dtype for v in loop.state.ema.variables} == {"float32"}
    losses = loop.step(next(iter(loop.dataset(loop.images))))
    assert all(math.isfinite(v) for v in losses.values())
    quick = dict(warmup=0, min_iters=1, max_iters=1, min_time_s=0.0)
    f = run_train_case(p, "zoo", 8, mixed_precision="mixed_bfloat16", timing=quick, flops_per_image=None,
                       peak_gflops=None, backend=keras.backend.backend(), gpu=False)
    assert f["nonfinite_losses"] is None and keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        run_train_case(p, "zoo", 8, mixed_precision="bfloat16", timing=quick, flops_per_image=None,
                       peak_gflops=None, backend=keras.backend.backend(), gpu=False)


@pytest.mark.parametrize("bf16", [True, False])
def test_full_run_times_the_bfloat16_step_against_the_tutorial_where_native(bf16, monkeypatch):
    from benchmarks import env, suite

    monkeypatch.setattr(env, "bf16_support", lambda: {"supported": bf16, "why": "test"})
    planned = []
    monkeypatch.setattr(suite._Run, "_train", lambda self, preset, impl, b, x, p, *a: planned.append((impl, b, x, p)))
    run = suite._Run(suite.SuiteConfig(names=["dcgan-mnist"], what=("train",), xla=False).resolved())
    run.gpu = False
    for case in run.train_cases({"dcgan-mnist": {"train_step": 1}}, {}):
        case()
    assert ("reference", 256, False, None) in planned and ("zoo", 256, False, None) in planned
    assert (("zoo", 256, False, "mixed_bfloat16") in planned) == bf16
    assert [p for _, _, _, p in planned].count("mixed_bfloat16") == (1 if bf16 else 0)
    skipped = [r["case"] for r in run.records if r["status"] == "skipped"]
    assert skipped == ([] if bf16 else ["train dcgan-mnist zoo bfloat16"])

    planned.clear()
    run = suite._Run(suite.SuiteConfig(names=["dcgan-mnist"], what=("train",), xla=False, quick=True,
                                       mixed_precision=True).resolved())
    run.gpu = False
    for case in run.train_cases({"dcgan-mnist": {"train_step": 1}}, {}):
        case()
    assert {p for _, _, _, p in planned} == ({None, "mixed_bfloat16"} if bf16 else {None})
    assert any("float16" in r["reason"] for r in run.records if r["status"] == "skipped")


def test_report_checks_the_bfloat16_target():
    from benchmarks.report import TARGET_BF16_TRAIN_RATIO, new_record, targets

    def rec(impl, ips, mp=None):
        return new_record("train", "dcgan-mnist", f"{impl} {mp}", {}, impl=impl, batch_size=256, xla=False,
                          mixed_precision=mp, images_per_s=ips, time_ms={"median": 1.0, "p95": 1.0})

    records = [rec("reference", 100.0), rec("zoo", 110.0), rec("zoo", 150.0, "mixed_bfloat16")]
    (bf16,) = [t for t in targets(records, gpu=False) if "bfloat16" in t["target"]]
    assert bf16["measured"] == 1.5 and bf16["met"] and str(TARGET_BF16_TRAIN_RATIO) in bf16["target"]
    records[-1]["images_per_s"] = 120.0
    (bf16,) = [t for t in targets(records, gpu=False) if "bfloat16" in t["target"]]
    assert bf16["measured"] == 1.2 and not bf16["met"]


# --- the reference loop is a fair yardstick -----------------------------------------------------------


def test_reference_loop_and_zoo_trainer_give_the_same_losses(tiny_preset):
    from benchmarks.train_bench import compare_trajectories

    r = compare_trajectories(tiny_preset, steps=4, batch_size=8)
    assert len(r["zoo"]) == len(r["reference"]) == 4
    for a, b in zip(r["zoo"], r["reference"]):
        for k in ("g_loss", "d_loss"):
            assert math.isclose(a[k], b[k], rel_tol=1e-5, abs_tol=1e-6), (k, a, b)
    assert r["zoo"][0] != r["zoo"][-1]  # the weights moved: a real trajectory, not a constant


def test_timing_helpers():
    from benchmarks.measure import stats_ms, throughput, time_calls

    calls = []
    r = time_calls(lambda: calls.append(1), warmup=2, min_iters=4, max_iters=4, min_time_s=0.0)
    assert len(calls) == 1 + 2 + 4  # the first (compiling) call, the warm-up, the timed calls
    assert r["timed_iters"] == len(r["times_s"]) == 4 and r["total_s"] == pytest.approx(sum(r["times_s"]))
    # NumPy's linear-interpolation percentiles by hand: p95 = 4 + 0.8 * (10 - 4), p99 = 4 + 0.96 * (10 - 4).
    assert stats_ms([0.001, 0.002, 0.003, 0.004, 0.010]) == {
        "median": 3.0, "p50": 3.0, "p95": 8.8, "p99": 9.76, "mean": 4.0, "min": 1.0, "max": 10.0}
    assert throughput(8, [0.5, 0.25, 0.25]) == pytest.approx(24.0)  # 3 calls of 8 images in 1 s, not 8 / median
    with pytest.raises(ValueError, match="took 0.0 s"):
        throughput(8, [0.0])
    with pytest.raises(ValueError, match="min_iters"):
        time_calls(lambda: None, warmup=0, min_iters=0, max_iters=1, min_time_s=0)


@pytest.mark.skipif(sys.platform != "linux", reason="the per-block peak resets VmHWM through /proc")
def test_peak_memory_is_the_peak_of_each_block():
    import numpy as np

    from benchmarks.measure import PeakMemory

    with PeakMemory() as busy:
        block = np.ones(200 * 2**20, np.uint8)  # 200 MiB, every page written
        del block
    with PeakMemory() as idle:  # the high-water mark was reset: the last block's 200 MiB do not count
        pass
    assert busy.result()["host_memory_method"] == idle.result()["host_memory_method"] == "VmHWM reset per case"
    assert busy.result()["peak_host_mb"] - idle.result()["peak_host_mb"] >= 190


def test_bad_options_are_one_clear_error():
    from benchmarks.report import check_record, new_record
    from benchmarks.suite import SuiteConfig

    with pytest.raises(ValueError, match="valid: train, infer"):
        SuiteConfig(what=("bogus",)).resolved()
    with pytest.raises(ValueError, match="valid: keras, saved_model, tflite, onnx"):
        SuiteConfig(runtimes=("tensorrt",)).resolved()
    with pytest.raises(KeyError, match="dcgan-mnist"):
        SuiteConfig(names=["dcgan-mnsit"]).resolved()
    with pytest.raises(ValueError, match="positive"):
        SuiteConfig(batch_sizes=(0,)).resolved()
    rec = new_record("infer", "x", "x b1", {}, batch_size=1, images_per_s=float("nan"))
    with pytest.raises(ValueError, match="positive finite"):
        check_record(rec)


def test_bad_cli_option_is_a_usage_error(capsys):
    from zoo.cli import main

    with pytest.raises(SystemExit) as e:
        main(["bench", "--quick", "--out", "x", "--batch-sizes", "0"])
    assert e.value.code == 2 and "expected comma-separated positive integers, got '0'" in capsys.readouterr().err


def test_model_core_never_imports_benchmarks():
    pattern = re.compile(r"^\s*(from|import)\s+benchmarks\b", re.M)
    offenders = [str(p) for p in (REPO / "zoo").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


# --- gan-zoo bench --quick, end to end ------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = bench("--quick", "--out", str(out), "--no-progress")
    return out, json.loads((out / "results.json").read_text()), proc


@pytest.mark.subprocess
def test_quick_run_covers_every_runtime_and_both_loops(quick_run):
    _, results, proc = quick_run
    records = results["records"]
    assert [r for r in records if r["status"] != "ok"] == []
    train = {(r["impl"], r["batch_size"]) for r in records if r["kind"] == "train"}
    assert train == {("zoo", 16), ("reference", 16)}
    infer = {(r["runtime"], r["quantization"], r["batch_size"]) for r in records if r["kind"] == "infer"}
    variants = {("keras_eager", None), ("keras_compiled", None), ("saved_model", None), ("onnx", None),
                ("tflite", None), ("tflite", "float16"), ("tflite", "dynamic"), ("tflite", "int8")}
    assert infer == {(rt, q, b) for rt, q in variants for b in (1, 8)}
    assert "18 cases (18 ok, 0 skipped, 0 failed)" in proc.stdout


@pytest.mark.subprocess
def test_every_record_has_the_fields_and_sane_numbers(quick_run):
    from benchmarks.report import INFER_FIELDS, REQUIRED_FIELDS, TRAIN_FIELDS, check_record

    _, results, _ = quick_run
    for r in results["records"]:
        check_record(r)
        assert set(REQUIRED_FIELDS + (TRAIN_FIELDS if r["kind"] == "train" else INFER_FIELDS)) <= set(r)
        env = r["environment"]
        assert env["backend"] == "tensorflow" and env["device"] in ("cpu", "gpu") and env["device_name"]
        assert env["versions"]["keras"] and env["threads"]["usable_cpus"] >= 1
        for v in (r["images_per_s"], r["achieved_gflops"], r["fraction_of_peak"], r["peak_host_mb"],
                  *r["time_ms"].values()):
            assert isinstance(v, (int, float)) and math.isfinite(v) and v > 0, (r["case"], v)
        assert r["flops_per_image"] > 0 and r["compile_s"] >= 0
        # Derived numbers follow from the measured ones (rounded to 3 and 4 decimals).
        assert r["achieved_gflops"] == pytest.approx(r["flops_per_image"] * r["images_per_s"] / 1e9, rel=1e-3, abs=1e-3)
        if r["kind"] == "infer":
            peak = results["peaks"]["float32"]["gflops"]
            assert r["fraction_of_peak"] == pytest.approx(r["achieved_gflops"] / peak, rel=1e-2, abs=1e-4)
        if r["kind"] == "infer" and r["runtime"] in ("saved_model", "tflite", "onnx"):
            assert r["artifact_bytes"] > 0
    assert results["peaks"]["float32"]["gflops"] > 0


@pytest.mark.subprocess
def test_quick_run_writes_report_plots_and_refuses_to_overwrite(quick_run):
    from PIL import Image

    out, results, _ = quick_run
    md = (out / "results.md").read_text()
    for heading in ("## Matrix-multiply peak", "## Train step", "## Generator inference", "### Batch-1 latency",
                    "## Targets", "quick mode"):
        assert heading in md
    assert results["plots"] == ["infer_dcgan-mnist.png", "train.png"]
    for name in results["plots"]:
        assert Image.open(out / name).size[0] > 100
    before = (out / "results.json").read_bytes()
    proc = bench("--quick", "--out", str(out), check=False)
    assert proc.returncode == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "results.json").read_bytes() == before
