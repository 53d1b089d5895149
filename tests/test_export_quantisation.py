"""Quantised TF-Lite exports of StyleGAN (issue 19): the per-layer diff tool and the float32-kept layers.

The tiny configuration checks the machinery in seconds; the shipped entry's float16 and int8 files
are checked against the verification tolerances in the slow tests (see docs/export-quantisation.md).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import export
import zoo
from export import common, layer_diff, tflite, tflite_precision
from zoo.model import ZooModel, build
from zoo.registry import tiny_preset

NAME = "stylegan-fashion-mnist"


@pytest.fixture(scope="module")
def tiny_stylegan():
    keras.utils.set_random_seed(4)
    preset = tiny_preset(NAME)
    return preset.model_class(preset, build(preset)[0], card={})


@pytest.fixture(scope="module")
def tiny_files(tiny_stylegan):
    """The tiny generator's float32 and float16 TF-Lite files, as the exporter converts them."""
    fn, specs = common.serving_function(tiny_stylegan)
    return {"float32": tflite.convert(tiny_stylegan, fn, specs, None),
            "float16": tflite.convert(tiny_stylegan, fn, specs, "float16")}


def _ops(data: bytes) -> list[tuple[str, list[str], list[str]]]:
    """(op type, input tensor names, output tensor names) of every op of a TF-Lite file."""
    from ai_edge_litert import schema_py_generated as schema

    fb = schema.Model.GetRootAsModel(data, 0)
    graph = fb.Subgraphs(0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

    def tensor(t):
        return graph.Tensors(int(t)).Name().decode() if t >= 0 else ""

    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = fb.OperatorCodes(op.OpcodeIndex())
        ops.append((names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())],
                    [tensor(t) for t in op.InputsAsNumpy()], [tensor(t) for t in op.OutputsAsNumpy()]))
    return ops


# --- the per-layer diff tool --------------------------------------------------------------------------


def test_layer_diff_reports_one_row_per_layer(tiny_stylegan, tiny_files):
    g = tiny_stylegan.generator
    rows = layer_diff.layer_diff(tiny_stylegan, tiny_files, n=4)
    layers = [r.layer for r in rows]
    assert len(layers) == len(set(layers))
    expected = [f"generator/mapping/dense{i}" for i in range(g.mapping_layers)] + ["generator/mapping/z_norm"]
    for i, style_layer in enumerate(g.synthesis.style_layers):
        base = f"generator/synthesis/{style_layer.name}"
        expected += [f"{base}/adain", f"{base}/style_scale", f"{base}/style_bias"] + ([f"{base}/conv"] if i else [])
    assert sorted(set(expected) - set(layers)) == []  # every Keras layer with ops in the graph has its row
    assert layers[-1] == "(output)"
    assert all(set(r.errors) == {"float32", "float16"} for r in rows)
    assert max(r.errors["float32"]["rel"] for r in rows) < 1e-5  # tensors line up: float32 matches Keras
    assert rows[-1].errors["float16"]["rel"] > layer_diff.ERROR_FLOOR  # float16 weights do show up
    table = layer_diff.format_table(rows).splitlines()
    assert len(table) == 2 + len(rows) and table[0].startswith("| layer | shape | Keras RMS | float32 rel")
    assert layer_diff.summary(rows, "float16").startswith("float16: error enters at ")


def test_layer_diff_per_tensor_rows_and_cli(tiny_stylegan, tiny_files, capsys, monkeypatch):
    files = {"float32": tiny_files["float32"]}
    ops = layer_diff.layer_diff(tiny_stylegan, files, n=2, by_layer=False)
    assert len(ops) > len(layer_diff.layer_diff(tiny_stylegan, files, n=2))
    assert any(r.layer.endswith("/adain_1/Rsqrt") for r in ops)  # the op inside AdaIN, by its TF name
    monkeypatch.setattr(zoo, "load", lambda name, weights=None: tiny_stylegan)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    assert layer_diff.main([NAME, "--quantize", "float32", "-n", "2", "--untrained"]) == 0
    out = capsys.readouterr().out
    assert "| generator/mapping/dense0 |" in out and "float32: no layer above" in out


# --- layers kept in float32 ---------------------------------------------------------------------------


def test_stylegan_declares_its_float32_layers(tiny_stylegan):
    assert tflite_precision.float32_layers(tiny_stylegan, "float16") == ("mapping", "synthesis/*/style_*")
    assert tflite_precision.float32_layers(tiny_stylegan, "int8") == ("mapping", "synthesis/*/adain")
    assert tflite_precision.float32_layers(tiny_stylegan, "dynamic") == ()


def test_float16_keeps_the_mapping_weights_in_float32(tiny_stylegan, tiny_files, tmp_path):
    r = export.to_tflite(tiny_stylegan, tmp_path / "f16.tflite", quantize="float16")
    assert r.card["verification"]["passed"] and r.card["float32_layers"] == ["mapping", "synthesis/*/style_*"]
    data = r.path.read_bytes()
    plain = tiny_files["float32"]
    match = tflite_precision.matcher("generator", ["mapping", "synthesis/*/style_*"])
    dequantized = {o for t, _, outs in _ops(data) if t == "DEQUANTIZE" for o in outs}
    kept = [(t, ins) for t, ins, outs in _ops(data) if match(outs[0])]
    assert kept and not any(i in dequantized for _, ins in kept for i in ins)  # they read float32 weights
    assert any(t == "DEQUANTIZE" for t, _, _ in _ops(data))  # the convolutions' weights stay float16
    assert len(data) < len(plain)
    feed = common.sample_inputs(tiny_stylegan, 4, seed=0)
    from ai_edge_litert.interpreter import Interpreter

    out = Interpreter(model_content=data).get_signature_runner("serving_default")(**feed)["image"]
    np.testing.assert_allclose(out, tiny_stylegan.generate(feed), atol=1e-2)


def test_int8_runs_the_kept_layers_in_float32(tiny_stylegan, tmp_path):
    r = export.to_tflite(tiny_stylegan, tmp_path / "int8.tflite", quantize="int8")
    assert r.card["float32_layers"] == ["mapping", "synthesis/*/adain"]
    assert not any(op.startswith("Flex") or op == "CUSTOM" for op in r.card["tflite_ops"])
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(r.path))
    dtypes = {d["name"]: d["dtype"] for d in it.get_tensor_details()}
    match = tflite_precision.matcher("generator", ["mapping", "synthesis/*/adain"])
    outputs = [outs[0] for t, _, outs in _ops(r.path.read_bytes()) if t not in ("QUANTIZE", "DEQUANTIZE")]
    assert {dtypes[o] for o in outputs if match(o)} == {np.float32}
    assert {dtypes[o] for o in outputs if "conv" in o} == {np.int8}


def test_float16_restore_refuses_conversions_that_do_not_line_up(tiny_stylegan, monkeypatch):
    monkeypatch.setattr(type(tiny_stylegan.generator), tflite_precision.ATTRIBUTE, {})
    data16 = tflite.convert(tiny_stylegan, *common.serving_function(tiny_stylegan), "float16")
    dcgan = ZooModel(tiny_preset("dcgan-mnist"), build(tiny_preset("dcgan-mnist"))[0], card={})
    other32 = tflite.convert(dcgan, *common.serving_function(dcgan), None)  # not this graph's float32 twin
    with pytest.raises(export.ExportError, match="cannot keep .* in float32: the float16 and float32 conversions"):
        tflite_precision.float16_keep_float32(data16, other32, tflite_precision.matcher("generator", ["mapping"]),
                                              NAME)


# --- the shipped entry (a few seconds a conversion) -----------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return zoo.load(NAME)


def test_shipped_float16_export_verifies_within_its_tolerance(shipped, tmp_path):
    r = export.to_tflite(shipped, tmp_path / "f16.tflite", quantize="float16")
    v = r.card["verification"]
    assert v["passed"] and v["max_abs_error"] <= export.TOLERANCES["float16"][1]


def test_shipped_int8_export_reaches_its_psnr(shipped, tmp_path):
    r = export.to_tflite(shipped, tmp_path / "int8.tflite", quantize="int8")
    v = r.card["verification"]
    assert v["passed"] and v["psnr_db"] >= export.TOLERANCES["int8"][1]


@pytest.mark.slow
def test_shipped_float16_fails_without_the_float32_mapping(shipped, tmp_path, monkeypatch):
    # The measured cause (docs/export-quantisation.md): float16 weights everywhere give 0.02 max error.
    monkeypatch.setattr(type(shipped.generator), tflite_precision.ATTRIBUTE, {})
    with pytest.raises(export.VerificationError, match=r"max-abs error 0\.02"):
        export.to_tflite(shipped, tmp_path / "f16.tflite", quantize="float16")


@pytest.mark.slow
def test_shipped_export_all_verifies_every_artifact(shipped, tmp_path):
    report = export.export_all(shipped, tmp_path)  # about 40 s
    assert report.skipped == [] and len(report.results) == len(export.ALL_ARTIFACTS)
    assert all(r.card["verification"]["passed"] for r in report.results)
