"""The ``gan-zoo`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter off the terminal


def _cmd_list(args) -> None:
    from zoo import listing

    if args.update_readme and args.pattern:
        raise ValueError("--update-readme writes the table of every model; drop the pattern")
    rows = listing.model_rows(args.pattern)
    if not rows:
        print(f"no model matches {args.pattern!r}")
        return
    if args.update_readme:
        changed = listing.update_readme(args.update_readme, listing.markdown_table(rows))
        print(f"{args.update_readme}: model table {'updated' if changed else 'already up to date'}")
        return
    print(listing.markdown_table(rows) if args.markdown else listing.text_table(rows))


def _cmd_info(args) -> None:
    import zoo

    print(json.dumps(zoo.info(args.name), indent=2))


def _check_target(path: Path, force: bool) -> None:
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

    out = Path(args.output)
    m = zoo.load(args.name, weights=figure_weights(args, out))
    images = m.sample(args.n, seed=args.seed)
    save_png(images, out, ncols=args.cols, scale=args.scale)
    print(f"wrote {args.n} samples of {args.name} (seed {args.seed}) to {out}")


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
    from zoo.training.distribute import STRATEGIES

    parser = argparse.ArgumentParser(prog="gan-zoo", description="A zoo of GANs on Keras 3.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", help="glob, e.g. 'dcgan-*'")
    p.add_argument("--markdown", action="store_true", help="print the model table as Markdown")
    p.add_argument("--update-readme", metavar="PATH", default=None,
                   help="rewrite the Markdown table between PATH's <!-- model-table:start/end --> "
                   "markers (implies --markdown)")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="print a model card as JSON")
    p.add_argument("name")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("sample", help="write a grid of samples to a PNG")
    p.add_argument("name")
    p.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default: square)")
    add_figure_arguments(p)
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("train", help="train a model with its recipe")
    p.add_argument("name")
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
    p.set_defaults(func=_cmd_train)

    # Other packages (export/, benchmarks/, zoo.metrics) add their commands through the
    # "gan_zoo.commands" entry-point group, so this module never imports them.
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group="gan_zoo.commands"), key=lambda e: e.name):
        ep.load()(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from zoo.data import DataError
    from zoo.errors import ZooError

    try:
        args.func(args)
    except (ZooError, DataError, KeyError, FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"gan-zoo: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
