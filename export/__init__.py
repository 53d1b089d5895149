"""Export layer: verified SavedModel, TF-Lite (LiteRT) and ONNX artifacts of zoo generators.

Every artifact is a pure function of the generator's named inputs (``z``)
returning ``image`` with a dynamic batch, is loaded in its real runtime and
compared with the Keras generator before it is moved into place, and gets a
sidecar ``ARTIFACT.card.json``. ``export.export_all(m, "out/")`` writes every
format and TF-Lite quantization plus ``report.json`` and ``report.md``. The
model core (``zoo``) never imports this package.

Examples:
>>> import export, zoo
>>> m = zoo.load("dcgan-mnist", weights=None)
>>> r = export.to_tflite(m, "out/dcgan-mnist.tflite", quantize=None)
>>> r.card["verification"]["passed"], r.card_path.name
(True, 'dcgan-mnist.tflite.card.json')
>>> export.export_format(m, "out", "onnx").path.name  # the standard name, as export_all and the CLI give it
'dcgan-mnist.onnx'
>>> export.to_onnx(m, "out/dcgan-mnist.onnx")  # nothing is overwritten without force=True
Traceback (most recent call last):
...
FileExistsError: out/dcgan-mnist.onnx already exists; pass force=True (--force) to overwrite it
"""

from zoo.lazy import lazy_exports

__all__ = [
    "to_saved_model",
    "to_tflite",
    "to_onnx",
    "export_all",
    "export_format",
    "ExportResult",
    "ExportReport",
    "ExportError",
    "VerificationError",
    "FORMATS",
    "QUANTIZATIONS",
    "TOLERANCES",
    "ALL_ARTIFACTS",
    "artifact_filename",
    "card_path",
    "check_format",
    "check_quantize",
]

# Each public name and the module it comes from, imported on first use: importing this package
# (as the ``gan-zoo`` parser does through its ``export`` entry point) must not import Keras or TensorFlow.
_LAZY = {
    "FORMATS": "export.common",
    "QUANTIZATIONS": "export.common",
    "ExportError": "export.common",
    "VerificationError": "export.common",
    "artifact_filename": "export.common",
    "check_format": "export.common",
    "check_quantize": "export.common",
    "card_path": "export.card",
    "to_onnx": "export.onnx_export",
    "ExportResult": "export.pipeline",
    "ALL_ARTIFACTS": "export.report",
    "ExportReport": "export.report",
    "export_all": "export.report",
    "export_format": "export.report",
    "to_saved_model": "export.saved_model",
    "to_tflite": "export.tflite",
    "TOLERANCES": "export.verify",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
