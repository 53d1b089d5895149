"""TF-Lite export, run and verified in the LiteRT interpreter (``ai_edge_litert``)."""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

from export import card as card_lib, common, pipeline, tflite_precision, verify
from export.saved_model import write_saved_model

_CALIBRATION_BATCH = 16
# TF ops with TF-Lite builtin kernels that the converter still rejects when their input shape is unknown.
_USUALLY_BUILTIN = {"Conv2D", "Conv2DBackpropInput", "DepthwiseConv2dNative", "MatMul", "BatchMatMulV2"}


def _converter(model, saved_model_dir: str, quantize: str | None):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir, signature_keys=[common.SIGNATURE_KEY])
    # Builtin ops only: a phone app should not need the Flex (SELECT_TF_OPS) delegate.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        # Calibrate on draws from the latent distribution (never images); weights and
        # activations become int8, the interface stays float32 z -> image.
        def representative():
            for i in range(common.CALIBRATION_SAMPLES // _CALIBRATION_BATCH):
                yield common.sample_inputs(model, _CALIBRATION_BATCH, common.CALIBRATION_SEED + i)

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter


def convert(model, fn, specs, quantize: str | None) -> bytes:
    """The TF-Lite flatbuffer of the serving function.

    Layers the generator keeps in float32 under ``quantize`` (its
    ``tflite_float32_layers``, see :mod:`export.tflite_precision`) stay float32.

    Raises:
        ExportError: the graph needs ops outside the TF-Lite builtins; the
            message names them.
    """
    return convert_with_info(model, fn, specs, quantize)[0]


def convert_with_info(model, fn, specs, quantize: str | None, float32_layers=None) -> tuple[bytes, dict]:
    """:func:`convert` plus the card's note on the layers kept in float32 (empty when none).

    ``float32_layers``: layer patterns to keep in float32 instead of the generator's own
    (``()``: the converter's plain quantization, as :mod:`export.layer_diff` ``--plain`` compares).
    """
    patterns = tflite_precision.float32_layers(model, quantize) if float32_layers is None else tuple(float32_layers)
    match = tflite_precision.matcher(model.generator.name, patterns)
    with tempfile.TemporaryDirectory(prefix="gan-zoo-tflite-") as tmp:
        write_saved_model(model, fn, specs, tmp)
        converter = _converter(model, tmp, quantize)
        try:
            with warnings.catch_warnings():
                # int8 calibration runs TF's own deprecated tf.lite.Interpreter; not ours to fix.
                warnings.filterwarnings("ignore", message=r"(?s).*tf\.lite\.Interpreter is deprecated")
                if patterns and quantize == "int8":
                    data, count = tflite_precision.int8_denylisted(converter, match)
                elif patterns and quantize == "float16":
                    float32 = _converter(model, tmp, None).convert()
                    data, count = tflite_precision.float16_keep_float32(converter.convert(), float32, match,
                                                                        model.name)
                else:
                    return converter.convert(), {}
        except common.ExportError:
            raise
        except Exception as e:
            ops = _unsupported_ops(str(e))
            if not ops:
                raise
            hint = ""
            if set(ops) & _USUALLY_BUILTIN:
                hint = (" (these have builtin kernels when their input shapes are static: an upstream op lost "
                        "height/width/channels, e.g. ops.repeat in UpSampling2D under a dynamic batch)")
            raise common.ExportError(
                f"{model.name}: TF-Lite conversion needs ops outside the builtin set ({', '.join(ops)}){hint}; "
                "Flex / SELECT_TF_OPS is not allowed, so replace them in the generator"
            ) from None
    what = "weight tensors restored to float32" if quantize == "float16" else "ops run in float32"
    return data, {"float32_layers": list(patterns), "float32_layers_detail": f"{count} {what}"}


def _unsupported_ops(message: str) -> list[str]:
    ops = set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", message))
    for line in re.findall(r"TF Select ops: (.+)", message):
        ops |= {op.strip() for op in line.split(",") if op.strip()}
    return sorted(ops)


def flatbuffer_ops(data: bytes) -> list[str]:
    """Operator names a TF-Lite flatbuffer uses (custom ops by their custom code, e.g. ``FlexFoo``)."""
    from ai_edge_litert import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    fb = schema.Model.GetRootAsModel(data, 0)
    ops = set()
    for i in range(fb.OperatorCodesLength()):
        code = fb.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())  # see the schema's comment
        if builtin == schema.BuiltinOperator.CUSTOM:
            ops.add((code.CustomCode() or b"CUSTOM").decode())
        else:
            ops.add(names.get(builtin, str(builtin)))
    return sorted(ops)


def to_tflite(model, path, quantize: str | None = None, *, uint8_output: bool = False, force: bool = False,
              weights_sha256=card_lib.AUTO) -> pipeline.ExportResult:
    """Exports a zoo generator as a verified TF-Lite flatbuffer (builtin ops only).

    The ``serving_default`` signature maps ``z`` (dynamic batch) to
    ``image``; the file is checked in the LiteRT interpreter at the
    verification batch and at batch 1.

    Args:
        model: a :class:`zoo.ZooModel`.
        path: the ``.tflite`` file to create.
        quantize: None (float32), ``"float16"`` (float16 weights),
            ``"dynamic"`` (int8 weights, dynamic-range activations) or
            ``"int8"`` (int8 weights and activations, calibrated on latents;
            float32 input and output).
        uint8_output: scale to uint8 inside the graph.
        force: replace an existing file (only once the new one verifies).
        weights_sha256: sha256 of the source weights for the card; ``"auto"``
            works it out, None says fresh weights.

    Returns:
        An :class:`ExportResult`.

    Raises:
        ValueError: unknown ``quantize``.
        ExportError: the generator needs non-builtin ops or has random ops.
        VerificationError: the file disagrees with the generator beyond the
            tolerance of its quantization.

    Examples:
    >>> import export, zoo
    >>> m = zoo.load("dcgan-mnist", weights=None)
    >>> r = export.to_tflite(m, "out/dcgan-mnist_int8.tflite", quantize="int8")
    >>> v = r.card["verification"]
    >>> r.card["quantization"], v["metric"], v["threshold"], v["passed"]  # int8 is judged by PSNR >= 25 dB
    ('int8', 'psnr', 25.0, True)
    """
    common.check_quantize(quantize)
    ops = []

    def write(fn, specs, tmp):
        data, precision = convert_with_info(model, fn, specs, quantize)
        ops.extend(flatbuffer_ops(data))
        foreign = [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
        if foreign:
            raise common.ExportError(f"{model.name}: the TF-Lite file uses non-builtin ops {', '.join(foreign)}")
        Path(tmp).write_bytes(data)
        return {"tflite_ops": list(ops), **precision}

    from importlib.metadata import version

    return pipeline.run_export(
        model, path, fmt="tflite", quantization=quantize, uint8_output=uint8_output, force=force,
        weights_sha256=weights_sha256, is_dir=False, write=write,
        runners=lambda tmp: {f"ai_edge_litert {version('ai-edge-litert')} Interpreter": verify.litert_runner(tmp)},
    )
