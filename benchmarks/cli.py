"""``gan-zoo bench``: registered through the ``gan_zoo.commands`` entry-point group.

Only argparse and this package's light modules are imported at registration,
so ``gan-zoo --help`` stays fast; the benchmark modules load when it runs.
"""

from __future__ import annotations

import argparse
import shlex
import sys


def _csv(choices=None):
    def parse(text: str) -> tuple:
        items = tuple(s.strip() for s in text.split(",") if s.strip())
        bad = [s for s in items if choices and s not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"invalid value(s) {', '.join(bad) or repr(text)}; choose from {', '.join(choices)}")
        return items
    return parse


def _sizes(text: str) -> tuple:
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return sizes


def register(subparsers) -> None:
    """Adds the ``bench`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["bench", "--quick", "--what", "infer", "--runtimes", "keras,onnx", "--out", "bench"])
    >>> args.what, args.runtimes, args.batch_sizes, args.func.__name__  # None: the (quick) defaults
    (('infer',), ('keras', 'onnx'), None, 'run')
    """
    runtimes = ("keras", "saved_model", "tflite", "onnx")  # = infer_bench.RUNTIMES, without importing Keras here
    p = subparsers.add_parser(
        "bench",
        help="time train steps and generator inference in every runtime",
        description="Benchmark zoo entries: the GAN train step (zoo trainer vs the TensorFlow DCGAN tutorial "
                    "loop) and generator inference in Keras, SavedModel, LiteRT and ONNX Runtime. Writes "
                    "results.json, results.md and PNG plots into --out.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="entries to run (default: all; with --quick: dcgan-mnist)")
    p.add_argument("--what", type=_csv(("train", "infer")), default=("train", "infer"),
                   help="train, infer or train,infer (default)")
    p.add_argument("--runtimes", type=_csv(runtimes), default=runtimes,
                   help=f"inference runtimes, comma-separated (default: {','.join(runtimes)})")
    p.add_argument("--batch-sizes", type=_sizes, default=None,
                   help="inference batch sizes (default 1,8,64,256; quick 1,8)")
    p.add_argument("--train-batch-sizes", type=_sizes, default=None,
                   help="train-step batch sizes (default: the recipe's plus 32,128,256,512; quick 16)")
    xla = p.add_mutually_exclusive_group()
    xla.add_argument("--xla", dest="xla", action="store_true", default=None, help="XLA on only")
    xla.add_argument("--no-xla", dest="xla", action="store_false", help="XLA off only (default: both; quick: off)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="also time every train case under mixed_bfloat16 (where bfloat16 is native: a CPU "
                   "with avx512_bf16/amx_bf16, or a GPU of compute capability 8.0+) and mixed_float16 (GPU only)")
    p.add_argument("--quick", action="store_true", help="smoke test: dcgan-mnist, few steps, small batches")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--force", action="store_true", help="overwrite results already in --out")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> None:
    """Runs the suite for parsed arguments and prints where the results went."""
    from benchmarks.suite import SuiteConfig, run_suite

    config = SuiteConfig(
        names=args.names or None, what=args.what, runtimes=args.runtimes, batch_sizes=args.batch_sizes,
        train_batch_sizes=args.train_batch_sizes, xla=args.xla, mixed_precision=args.mixed_precision,
        quick=args.quick, progress=not args.no_progress,
    )
    command = "gan-zoo " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "gan-zoo bench"
    results = run_suite(config, args.out, force=args.force, command=command)
    counts = {s: sum(r["status"] == s for r in results["records"]) for s in ("ok", "skipped", "error")}
    print(f"{len(results['records'])} cases ({counts['ok']} ok, {counts['skipped']} skipped, {counts['error']} "
          f"failed) in {results['duration_s']:.0f} s; written to {args.out}: "
          f"{', '.join(['results.md', 'results.json', *results['plots']])}")
    for t in results["targets"]:
        print(f"target {'met' if t['met'] else 'MISSED'}: {t['target']} (measured {t['measured']}, {t['config']})")
