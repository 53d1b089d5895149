"""The export layer: every artifact round-trips in its real runtime, or nothing is written.

Entries have random weights here (``weights=None``); the tolerances are the
same ones the shipped weights must meet. Cost is kept down by exporting every
format and quantization for one entry, the three float32 formats for every
registered entry, and tiny or toy generators for the failure paths.
"""

import ast
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import export
import zoo
from export import common
from zoo.model import ZooModel, build
from zoo.registry import get_preset

NAMES = zoo.list_models()
FULL = "dcgan-mnist"  # gets every format and quantization; the other entries the float32 formats
REQUIRED_CARD_KEYS = {
    "zoo_name", "format", "quantization", "inputs", "outputs", "latent_distribution", "output_range",
    "source_weights_sha256", "library_versions", "verification",
}
SUFFIX = {"saved_model": "_savedmodel", "tflite": ".tflite", "onnx": ".onnx"}


# --- helpers -----------------------------------------------------------------------------------------


def toy_model(name, body, inputs=None, model_class=ZooModel):
    """A ZooModel around a small functional generator ``body(inputs) -> (N, 28, 28, 1)``."""
    inputs = inputs or {"z": keras.Input((8,), name="z")}
    single = len(inputs) == 1
    generator = keras.Model(next(iter(inputs.values())) if single else inputs, body(inputs))
    return model_class(dataclasses.replace(get_preset("dcgan-mnist"), name=name), generator, card={})


def dense_image(inputs):
    x = inputs["z"] if len(inputs) == 1 else keras.layers.Concatenate()(list(inputs.values()))
    return keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(28 * 28, activation="tanh")(x))


def run_tflite(path, z, resize=True):
    """Plain LiteRT interpreter on one input, as an app would run it (batch 1 needs no resize)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    if resize:
        it.resize_tensor_input(inp["index"], z.shape)
    it.allocate_tensors()
    it.set_tensor(inp["index"], z)
    it.invoke()
    return it.get_tensor(out["index"])


def run_onnx(path, feed):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["image"], feed)[0]


def run_saved_model(path, feed):
    import tensorflow as tf

    fn = tf.saved_model.load(str(path)).signatures["serving_default"]
    return fn(**{k: tf.constant(v) for k, v in feed.items()})["image"].numpy()


def run_artifact(fmt, path, feed):
    if fmt == "saved_model":
        return run_saved_model(path, feed)
    if fmt == "onnx":
        return run_onnx(path, feed)
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path)).get_signature_runner("serving_default")(**feed)["image"]


# --- every format and quantization for one entry -----------------------------------------------------


@pytest.fixture(scope="module")
def dcgan_all(tmp_path_factory):
    keras.utils.set_random_seed(0)
    m = zoo.load(FULL, weights=None)
    return m, export.export_all(m, tmp_path_factory.mktemp("all"))


def test_export_all_writes_verified_artifacts_and_report(dcgan_all):
    m, report = dcgan_all
    out = report.json_path.parent
    names = sorted(p.name for p in out.iterdir())
    expected = {common.artifact_filename(m.name, f, q) for f, q in export.ALL_ARTIFACTS}
    assert expected <= set(names) and {"report.json", "report.md"} <= set(names)
    assert not [n for n in names if n.startswith(".")], "temporary files left behind"
    data = json.loads(report.json_path.read_text())
    rows = {(r["format"], r["quantization"]): r for r in data["artifacts"]}
    assert set(rows) == set(export.ALL_ARTIFACTS)
    # Each row restates its artifact's card (as written on disk) and measures the file itself.
    for r in report.results:
        row, v = rows[(r.card["format"], r.card["quantization"])], json.loads(r.card_path.read_text())["verification"]
        assert row["artifact"] == r.path.name and row["output_dtype"] == "float32"
        assert [row[k] for k in ("max_abs_error", "psnr_db", "metric", "threshold", "passed")] == [
            v[k] for k in ("max_abs_error", "psnr_db", "metric", "threshold", "passed")]
        files = [f for f in r.path.rglob("*") if f.is_file()] if r.path.is_dir() else [r.path]
        assert row["size_bytes"] == sum(f.stat().st_size for f in files) and row["export_seconds"] > 0
    assert data["zoo_name"] == FULL and data["source_weights_sha256"] is None  # random weights: no source file
    assert data["verification_inputs"] == report.results[0].card["verification"]["inputs"]
    # Quantized TF-Lite files are smaller than the float32 one.
    assert rows[("tflite", "int8")]["size_bytes"] < rows[("tflite", "float16")]["size_bytes"] < rows[
        ("tflite", None)]["size_bytes"]
    md = report.md_path.read_text()
    assert md.count(f"| {FULL}") == len(export.ALL_ARTIFACTS)
    assert f"| {FULL}_int8.tflite | tflite | int8 | float32 |" in md and "| PSNR >= 25: pass |" in md


def test_cards_describe_each_artifact(dcgan_all):
    m, report = dcgan_all
    for r in report.results:
        card = json.loads(export.card_path(r.path).read_text())
        assert REQUIRED_CARD_KEYS <= set(card), REQUIRED_CARD_KEYS - set(card)
        assert card == r.card and card["zoo_name"] == FULL
        assert card["inputs"] == [{"name": "z", "shape": [None, m.latent_dim], "dtype": "float32"}]
        assert card["outputs"] == [{"name": "image", "shape": [None, 28, 28, 1], "dtype": "float32"}]
        assert card["output_range"] == [-1.0, 1.0] and card["latent_distribution"] == "standard normal"
        assert card["source_weights_sha256"] is None  # random weights: no source file
        assert card["library_versions"]["tensorflow"] and card["library_versions"]["onnxruntime"]
        v = card["verification"]
        assert v["passed"] and v["batch_sizes"] == [64, 1] and v["runtimes"]
        assert (v["metric"], v["threshold"]) == export.TOLERANCES[card["quantization"]]  # the tolerance applied


def test_onnx_metadata_props_carry_the_card(dcgan_all):
    import onnx

    _, report = dcgan_all
    (r,) = [r for r in report.results if r.card["format"] == "onnx"]
    props = {p.key: p.value for p in onnx.load(str(r.path)).metadata_props}
    assert props["zoo_name"] == FULL and props["format"] == "onnx"
    assert json.loads(props["verification"]) == r.card["verification"]
    assert json.loads(props["inputs"])[0]["name"] == "z"


def test_saved_model_serving_default_and_hub_keras_layer(dcgan_all):
    import tensorflow_hub as hub
    import tf_keras

    m, report = dcgan_all
    path = report.json_path.parent / f"{FULL}_savedmodel"
    z = m.sample_latents(64, seed=5)
    for n in (1, 64):
        np.testing.assert_allclose(run_saved_model(path, {"z": z[:n]}), m.generate(z[:n]), atol=1e-4)
    layer = hub.KerasLayer(str(path), signature="serving_default", signature_outputs_as_dict=True)
    inp = tf_keras.Input((m.latent_dim,), name="z")
    hub_model = tf_keras.Model(inp, layer({"z": inp})["image"])
    np.testing.assert_allclose(hub_model.predict(z, verbose=0), m.generate(z), atol=1e-4)


def test_tflite_files_run_at_batch_1_and_64_with_builtin_ops_only(dcgan_all):
    from export.tflite import flatbuffer_ops

    m, report = dcgan_all
    z = m.sample_latents(8, seed=6)
    want = m.generate(z)
    for r in report.results:
        if r.card["format"] != "tflite":
            continue
        # An app's default: batch 1 with no resize, through the plain interpreter API.
        one = run_tflite(r.path, z[:1], resize=False)
        full = run_tflite(r.path, z)
        assert one.shape == (1, 28, 28, 1) and full.shape == (8, 28, 28, 1)
        tol = 1e-4 if r.card["quantization"] is None else 0.1
        assert np.abs(full - want).max() <= tol and np.abs(one - want[:1]).max() <= tol
        ops = flatbuffer_ops(r.path.read_bytes())
        assert not [op for op in ops if op.startswith("Flex") or op == "CUSTOM" or "RANDOM" in op], ops


def test_artifacts_contain_no_random_op(dcgan_all):
    import onnx
    import tensorflow as tf

    m, report = dcgan_all
    out = report.json_path.parent
    onnx_ops = {n.op_type for n in onnx.load(str(out / f"{FULL}.onnx")).graph.node}
    assert not [op for op in onnx_ops if "Random" in op], onnx_ops
    fn = tf.saved_model.load(str(out / f"{FULL}_savedmodel")).signatures["serving_default"]
    assert common.graph_random_ops(fn.graph) == []
    # Same latents, same image: the graph is a pure function of z.
    z = m.sample_latents(4, seed=9)
    for fmt, path in [("onnx", out / f"{FULL}.onnx"), ("tflite", out / f"{FULL}.tflite")]:
        np.testing.assert_array_equal(run_artifact(fmt, path, {"z": z}), run_artifact(fmt, path, {"z": z}))


# --- every registered entry ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in NAMES if n != FULL])
def test_every_entry_round_trips_in_every_float_format(name, tmp_path):
    keras.utils.set_random_seed(1)
    m = zoo.load(name, weights=None)
    feed = common.sample_inputs(m, 3, seed=11)
    want = m.generate(feed)
    for fmt in export.FORMATS:
        r = export.export_format(m, tmp_path, fmt)
        assert r.card["outputs"][0]["shape"] == [None, *m.image_shape]
        assert sorted(i["name"] for i in r.card["inputs"]) == sorted(feed) and "z" in feed
        np.testing.assert_allclose(run_artifact(fmt, r.path, feed), want, atol=1e-4)
        assert export.card_path(r.path).exists()


def test_generator_with_dict_inputs_exports_every_input_by_name(tmp_path):
    class TwoInputs(ZooModel):
        def sample_latents(self, n, seed=0):
            rng = np.random.default_rng(seed)
            return {"z": rng.standard_normal((n, 8)).astype("float32"),
                    "code": rng.uniform(-1, 1, (n, 3)).astype("float32")}

    inputs = {"z": keras.Input((8,), name="z"), "code": keras.Input((3,), name="code")}
    m = toy_model("toy-two-inputs", dense_image, inputs, TwoInputs)
    feed = m.sample_latents(2, seed=3)
    for fmt in ("tflite", "onnx"):
        r = export.export_format(m, tmp_path, fmt)
        assert sorted(i["name"] for i in r.card["inputs"]) == ["code", "z"]
        np.testing.assert_allclose(run_artifact(fmt, r.path, feed), m.generate(feed), atol=1e-4)


# --- uint8 output -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saturating():
    """Latents that drive the tanh to both ends, so 0 and 255 must both appear."""
    keras.utils.set_random_seed(2)
    m = zoo.load("dcgan-mnist", weights=None)
    return m, m.sample_latents(8, seed=0) * 50.0


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_uint8_output_dtype_and_range(fmt, saturating, tmp_path):
    m, z = saturating
    r = export.export_format(m, tmp_path, fmt, uint8_output=True)
    assert r.path.name == f"dcgan-mnist_uint8{SUFFIX[fmt]}"
    assert r.card["outputs"][0]["dtype"] == "uint8" and r.card["output_range"] == [0, 255]
    out = run_artifact(fmt, r.path, {"z": z})
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    # Within half a level (plus float noise) of the float image, as the card's scaling says.
    assert np.abs(out / 127.5 - 1.0 - m.generate(z)).max() <= 0.5 / 127.5 + 1e-4


# --- failures: nothing is left behind ------------------------------------------------------------------


@pytest.fixture
def tiny(tiny_preset):
    keras.utils.set_random_seed(3)
    return ZooModel(tiny_preset, build(tiny_preset)[0], card={})


def corrupt_graph(monkeypatch):
    """Every artifact traced from now on adds 0.05 to the image: a graph that disagrees with Keras."""
    real = common.serving_function

    def bad(model, uint8_output=False):
        import tensorflow as tf

        fn, specs = real(model, uint8_output)
        wrapped = tf.function(lambda *t: {"image": fn(*t)["image"] + 0.05}, input_signature=specs)
        return wrapped, specs

    monkeypatch.setattr(common, "serving_function", bad)


@pytest.mark.parametrize("fmt, quantize, tolerance, match", [
    ("onnx", None, ("max_abs", -1.0), "max-abs error .* > -1"),
    ("tflite", "dynamic", ("psnr", 1000.0), "PSNR .* dB < 1000.0 dB"),
])
def test_violated_tolerance_is_refused_and_leaves_nothing(fmt, quantize, tolerance, match, tiny, tmp_path,
                                                           monkeypatch):
    # The artifact is fine; the tolerance it is judged by is out of reach.
    monkeypatch.setitem(export.TOLERANCES, quantize, tolerance)
    with pytest.raises(export.VerificationError, match=match):
        export.export_format(tiny, tmp_path, fmt, quantize)
    assert list(tmp_path.iterdir()) == []


def test_export_all_skips_a_failing_int8_and_says_why_in_the_report(tiny, tmp_path, monkeypatch):
    # int8 is the one artifact --format all may leave out, with its measured reason (issue 19).
    monkeypatch.setitem(export.TOLERANCES, "int8", ("psnr", 1000.0))
    report = export.export_all(tiny, tmp_path)
    int8 = common.artifact_filename(tiny.name, "tflite", "int8")
    assert [s["artifact"] for s in report.skipped] == [int8] and "PSNR" in report.skipped[0]["reason"]
    assert json.loads(report.json_path.read_text())["skipped"] == report.skipped
    done = [common.artifact_filename(tiny.name, f, q) for f, q in export.ALL_ARTIFACTS if q != "int8"]
    expected = done + [export.card_path(Path(n)).name for n in done] + ["report.json", "report.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)  # no int8, no staging folder
    assert [r.path for r in report.results] == [tmp_path / n for n in done]


def test_export_all_writes_no_report_and_nothing_else_when_another_artifact_fails(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(export.TOLERANCES, "float16", ("max_abs", -1.0))  # the third of ALL_ARTIFACTS fails
    with pytest.raises(export.VerificationError, match="max-abs error"):
        export.export_all(tiny, tmp_path)
    # Not even the two artifacts verified before it: the set is staged and moved only when whole.
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_failed_verification_raises_and_leaves_nothing(fmt, tiny, tmp_path, monkeypatch):
    corrupt_graph(monkeypatch)
    with pytest.raises(export.VerificationError, match="max-abs error"):
        export.export_format(tiny, tmp_path, fmt)
    assert list(tmp_path.iterdir()) == []


def test_failed_forced_export_keeps_the_old_artifact(tiny, tmp_path, monkeypatch):
    good = export.to_tflite(tiny, tmp_path / "m.tflite")
    before, card_before = good.path.read_bytes(), good.card_path.read_text()
    corrupt_graph(monkeypatch)
    with pytest.raises(export.VerificationError):
        export.to_tflite(tiny, tmp_path / "m.tflite", force=True)
    assert good.path.read_bytes() == before and good.card_path.read_text() == card_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.card.json"]


@pytest.mark.parametrize("fmt", ["saved_model", "onnx"])
def test_existing_target_refused_unless_force(fmt, tiny, tmp_path):
    path = tmp_path / f"m{SUFFIX[fmt]}"
    to = {"saved_model": export.to_saved_model, "onnx": export.to_onnx}[fmt]
    to(tiny, path)
    first = json.loads(export.card_path(path).read_text())["generator_weights_fingerprint"]
    with pytest.raises(FileExistsError, match="force"):
        to(tiny, path)
    tiny.generator.set_weights([w + 0.01 for w in tiny.generator.get_weights()])
    to(tiny, path, force=True)
    second = json.loads(export.card_path(path).read_text())
    assert second["generator_weights_fingerprint"] != first and second["verification"]["passed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, path.name + ".card.json"])


def test_random_op_in_the_graph_is_refused(tmp_path):
    class Noise(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.seed = keras.random.SeedGenerator(0)

        def call(self, x):
            return x + keras.random.normal(keras.ops.shape(x), seed=self.seed)

    m = toy_model("toy-noisy", lambda i: Noise()(dense_image(i)))
    with pytest.raises(export.ExportError, match="random ops .*Random"):
        export.to_onnx(m, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_non_builtin_tflite_op_is_named(tmp_path):
    import tensorflow as tf

    class Bessel(keras.layers.Layer):  # tf.BesselI0e has no TF-Lite builtin kernel
        def call(self, x):
            return tf.math.bessel_i0e(x)

    m = toy_model("toy-bessel", lambda i: Bessel()(dense_image(i)))
    with pytest.raises(export.ExportError, match="BesselI0e"):
        export.to_tflite(m, tmp_path / "m.tflite")
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_or_quantization_lists_the_valid_ones(tiny, tmp_path):
    with pytest.raises(ValueError, match="saved_model, tflite, onnx"):
        export.export_format(tiny, tmp_path, "pdf")
    with pytest.raises(ValueError, match="float16, dynamic, int8"):
        export.to_tflite(tiny, tmp_path / "m.tflite", quantize="int4")
    with pytest.raises(ValueError, match="tflite"):
        export.export_format(tiny, tmp_path, "onnx", quantize="int8")
    assert list(tmp_path.iterdir()) == []


def test_int8_calibrates_on_latents_from_the_entry(tiny, tmp_path, monkeypatch):
    calls = []
    real = tiny.sample_latents
    monkeypatch.setattr(tiny, "sample_latents", lambda n, seed=0: calls.append((n, seed)) or real(n, seed))
    export.to_tflite(tiny, tmp_path / "m.tflite", quantize="int8")
    assert [c for c in calls if c[1] == common.VERIFY_SEED] == [(common.VERIFY_BATCH, common.VERIFY_SEED)]
    calibration = [c for c in calls if c[1] != common.VERIFY_SEED]
    assert sum(n for n, _ in calibration) == common.CALIBRATION_SAMPLES
    assert len({seed for _, seed in calibration}) == len(calibration)  # fresh latents, not one batch repeated


# --- CLI and layering -----------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_cli_export_runs_as_a_user_runs_it(tmp_path):
    name = NAMES[0]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "zoo.cli", "export", name, "--format", "onnx", "--untrained",
                           "-o", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / f"{name}.onnx"
    assert proc.stdout.startswith(f"{path}  ") and "verified" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, export.card_path(path).name]


def test_cli_exports_refuses_overwrite_and_forces(tmp_path, capsys):
    from zoo.cli import main

    name = NAMES[0]
    args = ["export", name, "--format", "tflite", "--untrained", "-o", str(tmp_path)]
    assert main(args) == 0
    path = tmp_path / f"{name}.tflite"
    assert capsys.readouterr().out.startswith(f"{path}  ")
    first = json.loads(export.card_path(path).read_text())
    assert (first["zoo_name"], first["format"], first["source_weights_sha256"]) == (name, "tflite", None)
    before = path.read_bytes()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and path.read_bytes() == before
    # --force replaces both files with a fresh (differently initialised) export.
    assert main(args + ["--force"]) == 0
    second = json.loads(export.card_path(path).read_text())
    assert second["generator_weights_fingerprint"] != first["generator_weights_fingerprint"]


def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch, register_temporarily):
    from zoo.cli import main

    assert main(["export", NAMES[0], "--format", "pdf", "-o", str(tmp_path)]) == 1
    assert "valid formats: saved_model, tflite, onnx, all" in capsys.readouterr().err
    assert main(["export", NAMES[0], "--format", "onnx", "--quantize", "int8", "-o", str(tmp_path)]) == 1
    assert "--quantize applies to --format tflite only" in capsys.readouterr().err
    # An entry without shipped weights is never exported with random ones by accident.
    unshipped = dataclasses.replace(get_preset("dcgan-mnist"), name="dcgan-unshipped", generator_weights=None)
    register_temporarily(unshipped)
    assert main(["export", unshipped.name, "--format", "onnx", "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dcgan-unshipped has no shipped weights" in err and "--untrained" in err
    assert list(tmp_path.iterdir()) == []


def test_zoo_never_imports_export():
    root = Path(zoo.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [m for m in mods if m == "export" or m.startswith("export.")], path
