"""The ``gan-zoo`` command line.

:func:`main` is the one error boundary: a failure the user can act on (a
:class:`~zoo.errors.ZooError`, bad data, a bad value, a file that cannot be
read or written, not enough memory) is one line ``gan-zoo: error: ...`` and
exit 1; anything else is one line naming the exception plus a hint to rerun
with ``--debug``, which shows the traceback; Ctrl-C is one line and exit
130. Usage errors are argparse's: usage, a message, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# TensorFlow's C++ start-up chatter (absl, oneDNN, CUDA stubs, cpu_feature_guard, cuInit) and the
# known third-party Python warnings, kept off the terminal unless -v/--verbose. TensorFlow reads
# these variables when it is first imported, so main() sets them before anything imports it.
_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "GLOG_minloglevel": "3"}
_QUIET_WARNINGS = (  # (message regex, module regex) of third-party warnings with nothing to act on
    (r"pkg_resources is deprecated", r""),
    (r".*pkg_resources", r"tensorflow_hub"),
)


def _configure_output(verbose: bool) -> None:
    """Quiet by default: TensorFlow's C++ logs, absl and the known third-party warnings."""
    if verbose:
        return
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    import logging
    import warnings

    for message, module in _QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message, module=module)
    for name in ("tensorflow", "absl", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if "tensorflow" not in sys.modules and not any(isinstance(f, _SilentImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _SilentImport())


class _SilentImport:
    """Import hook: while ``tensorflow`` is first imported, the process's stderr (file descriptor 2)
    goes to /dev/null. Its native libraries log at load time (absl's "All log messages before
    absl::InitializeLog()", oneDNN, cudart_stub) before TF_CPP_MIN_LOG_LEVEL is read."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        import importlib.util

        sys.meta_path.remove(self)  # one shot
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            self._loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = self._loader
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            self._loader.exec_module(module)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def _wants_verbose(argv) -> bool:
    """-v/--verbose anywhere before a "--" (read before the parser is built: building it imports plugins)."""
    args = list(argv)
    args = args[: args.index("--")] if "--" in args else args
    return any(a in ("-v", "--verbose") for a in args)


def _cmd_list(args) -> None:
    from zoo import listing

    if args.update_readme and args.pattern:
        raise ValueError("--update-readme writes the table of every model; drop the pattern")
    if args.compare is not None and args.pattern:
        raise ValueError("--compare compares every shipped model of the dataset; drop the pattern")
    if args.update_readme:
        for label, changed in listing.regenerate_readme(args.update_readme).items():
            print(f"{args.update_readme}: {label} {'updated' if changed else 'already up to date'}")
        return
    if args.compare is not None:
        rows = listing.comparison_rows(args.compare)
    else:
        rows = listing.model_rows(args.pattern)
    if not rows:
        print(f"no model matches {args.pattern!r}")
        return
    print(listing.markdown_table(rows) if args.markdown else listing.text_table(rows))


def _cmd_info(args) -> None:
    import zoo

    print(json.dumps(zoo.info(args.name), indent=2))


def _check_target(path: Path, force: bool) -> None:
    if path.is_dir():  # --force replaces a file, never a folder
        raise IsADirectoryError(21, "is a folder; give a file name inside it", str(path))
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; pass --force to overwrite it")


def add_figure_arguments(p) -> None:
    """The options every picture-writing command shares (sample, traverse, mix)."""
    p.add_argument("--scale", type=int, default=2, help="pixel enlargement (default 2)")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def parse_seeds(text: str) -> list[int]:
    """"0,1,2" -> [0, 1, 2], with one clear error for anything else (figure commands)."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds:
        raise ValueError("need at least one seed")
    return seeds


def load_family_model(name: str, model_class, weights, requirement: str):
    """``zoo.load(name, weights=...)`` for a family command; a clear error when ``name``'s
    entry does not use ``model_class`` (``requirement`` says which entries do)."""
    import zoo
    from zoo.registry import get_preset

    if not issubclass(get_preset(name).model_class or zoo.ZooModel, model_class):
        raise ValueError(f"{name}: {requirement}")
    return zoo.load(name, weights=weights)


def figure_weights(args, out: Path):
    """Checks a figure command's target and weights options before any work; returns
    the ``weights`` argument for ``zoo.load``."""
    _check_target(out, args.force)
    if args.weights and args.untrained:
        raise ValueError("--weights and --untrained exclude each other")
    return None if args.untrained else (args.weights or "pretrained")


def _cmd_sample(args) -> None:
    import zoo
    from zoo.images import save_png

    if args.out_dir is not None:  # one file per sample, resumable (zoo.sample_dir)
        from zoo import sample_dir

        return sample_dir.run_command(args)
    out = Path(args.output)
    m = zoo.load(args.name, weights=figure_weights(args, out))
    images = m.sample(args.n, seed=args.seed)
    save_png(images, out, ncols=args.cols, scale=args.scale)
    print(f"wrote {args.n} samples of {args.name} (seed {args.seed}) to {out}")


def _cmd_curve(args) -> None:
    import zoo
    from zoo.registry import get_preset
    from zoo.training import evaluation

    out = Path(args.output)
    _check_target(out, args.force)
    source, marks = Path(args.source), ()
    if (source / evaluation.METRICS_NAME).exists():  # a run folder
        points, title = evaluation.curve(evaluation.read_log(source / evaluation.METRICS_NAME)), source.name
    elif source.exists():
        raise FileNotFoundError(f"{source} has no {evaluation.METRICS_NAME} (train with --eval-every-kimg)")
    else:
        from zoo import card as card_lib

        points, title = card_lib.training_curve(zoo.info(args.source)), args.source
        if not points:
            raise ValueError(f"{args.source}'s card has no training curve (it was trained before evaluation "
                             f"while training existed)")
        preset = get_preset(args.source)
        marks = preset.step.from_preset(preset).evaluation_images()  # ProGAN: where each growth phase ends
    evaluation.plot_curve(points, out, title, marks=[m for m in marks if m <= points[-1]["images"]])
    print(f"wrote the curve of {len(points)} evaluations to {out}")


def _cmd_train(args) -> None:
    from zoo.registry import get_preset
    from zoo.training.trainer import TrainConfig, Trainer

    preset = get_preset(args.name)
    config = TrainConfig(
        out_dir=Path(args.out),
        data_dir=args.data_dir,
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_steps=args.max_steps,
        checkpoint_every=args.checkpoint_every,
        resume=args.resume,
        force=args.force,
        progress=not args.no_progress,
        strategy=args.strategy,
        jit_compile=args.xla,
        precision=args.precision,
        eval_every_images=None if args.eval_every_kimg is None else round(args.eval_every_kimg * 1000),
        eval_samples=args.eval_samples,
    )
    trainer = Trainer(preset, config)
    try:
        summary = trainer.fit()
    except KeyboardInterrupt:
        print(f"\ninterrupted; checkpoint saved at step {trainer.step} in {trainer.checkpoint_path} "
              f"(continue with --resume)", file=sys.stderr)
        raise SystemExit(130)
    print(json.dumps(summary, indent=2))
    if (Path(args.out) / "final").exists():
        print(f"final weights and sample grids in {Path(args.out) / 'final'}")


def build_parser() -> argparse.ArgumentParser:
    from zoo.registry import PRECISIONS
    from zoo.training.distribute import STRATEGIES

    parser = argparse.ArgumentParser(prog="gan-zoo", description="A zoo of GANs on Keras 3.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", help="glob, e.g. 'dcgan-*'")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--compare", metavar="DATASET", default=None,
                       help="print the shipped models of DATASET side by side instead (e.g. fashion-mnist): "
                       "fid_domain, precision, recall, generator size, images seen, training time; best fid first")
    which.add_argument("--update-readme", metavar="PATH", default=None,
                       help="rewrite the Markdown tables of PATH: the model table between its "
                       "<!-- model-table:start/end --> markers and every comparison between "
                       "<!-- compare:DATASET:start/end --> markers (implies --markdown)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="print a model card as JSON")
    p.add_argument("name", help="a registered model name (see gan-zoo list)")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("sample", help="write a grid of samples to a PNG, or a folder of samples (--out-dir)")
    p.add_argument("name", help="a registered model name (see gan-zoo list) or a preset folder")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the latent vectors (default 0)")
    where = p.add_mutually_exclusive_group(required=True)  # neither: a usage error (exit 2)
    where.add_argument("-o", "--output", default=None, help="grid PNG path")
    where.add_argument("--out-dir", default=None, help="instead of a grid: one PNG per sample (or samples.npz) in "
                       "this folder, for external FID tools; rerunning resumes, skipping the files already there")
    p.add_argument("--format", choices=("png", "npz"), default="png",
                   help="with --out-dir: png files, or one samples.npz holding arr_0 (uint8 NHWC)")
    p.add_argument("--batch-size", type=int, default=256,
                   help="with --out-dir: samples generated at once (default 256; a resumed run must use the same)")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default: square)")
    add_figure_arguments(p)
    p.set_defaults(func=_cmd_sample)
    from zoo import preset_dir

    preset_dir.register(sub)  # gan-zoo preset

    p = sub.add_parser("curve", help="plot fid against images seen for an entry (its card) or a run folder")
    p.add_argument("source", help="a model name (the card's training curve) or a run folder (its metrics.jsonl)")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=_cmd_curve)

    p = sub.add_parser("train", help="train a model with its recipe")
    p.add_argument("name", help="a registered model name (see gan-zoo list)")
    p.add_argument("--data-dir", default=None, help="folder with mnist/ and fashion-mnist/ IDX files "
                   "(default: $ZOO_DATA_DIR, else keras.datasets download)")
    p.add_argument("--out", required=True, help="run folder: checkpoints, samples, TensorBoard, final weights")
    p.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    p.add_argument("--batch-size", type=int, default=None, help="default: the recipe's")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's checkpoint")
    p.add_argument("--force", action="store_true", help="start over in a folder that has a checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--xla", action="store_true",
                   help="compile the train step with XLA (TensorFlow; JAX always does). Faster on CPU "
                   "(`gan-zoo bench NAME --what train` measures by how much); results differ from the "
                   "plain step only by float rounding, and a resumed run may switch it on or off")
    p.add_argument("--strategy", default=None, choices=STRATEGIES,
                   help="data-parallel training (default: one device). TensorFlow backend only: mirrored "
                   "(every local GPU, else every logical CPU), multi-worker (the cluster in $TF_CONFIG; "
                   "run the same command on every worker), tpu. JAX backend only: data-parallel "
                   "(keras.distribution.DataParallel over every JAX device). --batch-size is the global "
                   "batch and must divide by the number of replicas")
    p.add_argument("--precision", default=None, choices=PRECISIONS,
                   help="training precision (default: the recipe's): float32, or bfloat16 / float16 for Keras "
                   "mixed precision (float32 weights, low-precision compute; losses, penalties and the EMA "
                   "stay float32, and the shipped generator is float32)")
    p.add_argument("--eval-every-kimg", type=float, default=None, metavar="K",
                   help="score the EMA generator every K thousand images into RUN/metrics.jsonl and keep the "
                   "best snapshot in RUN/best/ (default: the recipe's; 0: never)")
    p.add_argument("--eval-samples", type=int, default=5000,
                   help="generated images per evaluation (default 5000: fid_domain_5k)")
    p.set_defaults(func=_cmd_train)
    from zoo import interpolate, model_card_md

    model_card_md.register(sub)  # gan-zoo card
    interpolate.register(sub)  # gan-zoo interpolate

    # Other packages (export/, benchmarks/, zoo.metrics) add their commands through the
    # "gan_zoo.commands" entry-point group, so this module never imports them.
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="gan_zoo.commands"), key=lambda e: e.name):
        ep.load()(sub)
    # --debug before or after the command; SUPPRESS keeps a subcommand from resetting the global one.
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="let TensorFlow's start-up logs and third-party warnings through")
    for command in sub.choices.values():
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the traceback of an error")
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="let TensorFlow's start-up logs and third-party warnings through")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gan-zoo")
    except PackageNotFoundError:  # a source tree that was never installed
        from zoo import __version__

        return __version__


# Options that name a file or folder: an empty string would silently mean "the default" (--weights ""
# loaded the shipped weights) or the current folder.
_PATH_OPTIONS = ("weights", "d_weights", "output", "out", "out_dir", "data_dir")
MAX_MESSAGE = 600  # characters of an error message shown; --debug shows everything


def _check_paths(args) -> None:
    for dest in _PATH_OPTIONS:
        if getattr(args, dest, None) == "":
            raise ValueError(f"--{dest.replace('_', '-')} is empty; give a path")


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        text = f"{e.strerror or e}: {e.filename}" + (f" -> {e.filename2}" if e.filename2 else "")
    elif isinstance(e, MemoryError):
        text = str(e) or "not enough memory"
    else:
        text = str(e) or type(e).__name__
    text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _configure_output(_wants_verbose(argv))  # before anything imports TensorFlow
    args = build_parser().parse_args(argv)  # usage errors: argparse prints usage and exits 2
    if args.debug:  # no boundary: let the traceback through
        _check_paths(args)
        args.func(args)
        return 0
    from zoo.data import DataError
    from zoo.errors import ZooError

    try:
        _check_paths(args)
        args.func(args)
    except KeyboardInterrupt:
        print("gan-zoo: interrupted", file=sys.stderr)
        return 130
    except (ZooError, DataError, KeyError, ValueError, OSError, MemoryError) as e:
        print(f"gan-zoo: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug, or a failure nobody anticipated: still one line
        print(f"gan-zoo: error: unexpected {type(e).__name__}: {_one_line(e)} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
