"""``gan-zoo export``: registered through the ``gan_zoo.commands`` entry-point group."""

from __future__ import annotations

from pathlib import Path

from export import card as card_lib, common
from export.common import ExportError

_FORMAT_CHOICES = common.FORMATS + ("all",)
_QUANT_CHOICES = tuple(q for q in common.QUANTIZATIONS if q)


def register(subparsers) -> None:
    """Adds the ``export`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["export", "dcgan-mnist", "--format", "onnx", "--untrained", "-o", "out"])
    >>> args.func(args)  # gan-zoo export dcgan-mnist --format onnx --untrained -o out
    out/dcgan-mnist.onnx  ... MiB  max-abs ...  PSNR ... dB  verified (... s)
    """
    p = subparsers.add_parser(
        "export",
        help="export a generator to SavedModel, TF-Lite or ONNX, verified in its runtime",
        description="Export a zoo generator (z -> image, dynamic batch). Every artifact is loaded in its real "
                    "runtime and compared with the Keras model before it is moved into place, and gets a "
                    "sidecar ARTIFACT.card.json. 'all' writes every format and TF-Lite quantization plus "
                    "report.json and report.md, all or nothing (an int8 TF-Lite file that fails verification "
                    "is left out, with the reason in the report).",
    )
    p.add_argument("name", help="a registered model, see 'gan-zoo list'")
    p.add_argument("--format", default="all", metavar="FORMAT",
                   help=f"one of {', '.join(_FORMAT_CHOICES)} (default: all)")
    p.add_argument("--quantize", default=None, metavar="MODE",
                   help=f"TF-Lite only: {', '.join(_QUANT_CHOICES)} (default: float32)")
    p.add_argument("--uint8-output", action="store_true",
                   help="scale the image to uint8 0..255 inside the graph (default: float32 in [-1, 1])")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: tf2onnx's)")
    p.add_argument("-o", "--output", required=True, help="output folder (created)")
    p.add_argument("--force", action="store_true", help="overwrite existing artifacts")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="export a freshly initialised generator")
    p.add_argument("--serving-version", type=int, default=None, metavar="N",
                   help="saved_model only: write TF Serving's numbered layout, OUTPUT/NAME/N/saved_model.pb "
                        "(--model_base_path=OUTPUT/NAME); other versions in OUTPUT/NAME are kept")
    p.set_defaults(func=run)


def _load(args):
    """The model and the sha256 of the weights it was loaded from (None: fresh)."""
    import zoo
    from zoo.registry import get_preset
    from zoo.weights import sha256_file

    if args.weights and args.untrained:
        raise ValueError("--weights and --untrained exclude each other")
    preset = get_preset(args.name)
    if args.untrained:
        return zoo.load(args.name, weights=None), None
    if args.weights:
        return zoo.load(args.name, weights=args.weights), sha256_file(args.weights)
    if preset.generator_weights is None:
        # Never ship random weights to a phone by accident: fresh weights must be asked for.
        raise ExportError(f"{args.name} has no shipped weights yet; pass --weights FILE, or --untrained to "
                          "export a freshly initialised generator")
    return zoo.load(args.name), preset.generator_weights.sha256


def run(args) -> None:
    import export

    common.check_format(args.format, allow_all=True)
    common.check_quantize(args.quantize)
    if args.quantize is not None and args.format != "tflite":
        raise ValueError("--quantize applies to --format tflite only (--format all writes every quantization)")
    if args.serving_version is not None and args.format != "saved_model":
        raise ValueError("--serving-version applies to --format saved_model only")
    out = Path(args.output)
    # Refuse existing targets before the (slow) model load.
    from export.saved_model import serving_base_name, serving_path
    from zoo.registry import get_preset

    name = get_preset(args.name).name
    if args.serving_version is not None:
        artifacts = [serving_path(out / serving_base_name(name, args.uint8_output), args.serving_version)]
        reports = []
    elif args.format == "all":
        artifacts = [out / common.artifact_filename(name, f, q, args.uint8_output) for f, q in export.ALL_ARTIFACTS]
        reports = [out / "report.json", out / "report.md"]
    else:
        artifacts, reports = [out / common.artifact_filename(name, args.format, args.quantize, args.uint8_output)], []
    from export.pipeline import check_targets

    check_targets(artifacts + [card_lib.card_path(a) for a in artifacts] + reports, args.force)

    model, sha = _load(args)
    kw = dict(uint8_output=args.uint8_output, force=args.force, opset=args.opset, weights_sha256=sha)
    if args.format == "all":
        report = export.export_all(model, out, **kw)
        results = report.results
    elif args.serving_version is not None:
        del kw["opset"]
        results = [export.to_saved_model(model, out / serving_base_name(name, args.uint8_output),
                                         serving_version=args.serving_version, **kw)]
        report = None
    else:
        results = [export.export_format(model, out, args.format, args.quantize, **kw)]
        report = None
    for r in results:
        v = r.card["verification"]
        db = "inf" if v["psnr_db"] is None else f"{v['psnr_db']:.1f} dB"
        print(f"{r.path}  {r.size_bytes / 2**20:.2f} MiB  max-abs {v['max_abs_error']:.2e}  PSNR {db}  "
              f"verified ({r.seconds:.1f} s)")
    if report is not None:
        for skipped in report.skipped:
            print(f"{out / skipped['artifact']}  skipped: {skipped['reason']}")
        print(f"report: {report.md_path} and {report.json_path}")
