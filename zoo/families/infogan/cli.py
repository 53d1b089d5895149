"""``gan-zoo traverse`` and ``gan-zoo codes``: registered through the ``gan_zoo.commands`` entry-point
group (both from the ``traverse`` entry point's :func:`register`)."""

from __future__ import annotations

from pathlib import Path

from zoo.cli import add_figure_arguments, figure_weights, load_family_model


def register(subparsers) -> None:
    """Adds the ``traverse`` and ``codes`` subcommands to the ``gan-zoo`` parser.

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["traverse", "infogan-mnist", "--code", "c1", "--rows", "2", "--untrained",
    ...                           "-o", "grid.png"])
    >>> args.func(args)  # gan-zoo traverse infogan-mnist --code c1 --rows 2 --untrained -o grid.png
    wrote a 2x10 traversal of c1 for infogan-mnist (seed 0) to grid.png
    >>> parser.parse_args(["codes", "infogan-mnist", "--samples-per-code", "100"]).func.__name__
    'run_codes'
    """
    _register_traverse(subparsers)
    _register_codes(subparsers)


def _register_traverse(subparsers) -> None:
    p = subparsers.add_parser(
        "traverse",
        help="write a latent-code traversal grid (InfoGAN): rows = noise seeds, columns = code values",
        description="Rows share their noise; columns vary one code: every category, or continuous "
                    "values from -SPAN to SPAN (rows then cycle through the categories, other codes at 0).",
    )
    p.add_argument("name", help="an InfoGAN entry, e.g. infogan-mnist")
    p.add_argument("--code", required=True, help="category, c1, c2, ...")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--rows", type=int, default=10, help="noise seeds, one per row (default 10)")
    p.add_argument("--cols", type=int, default=None, help="code values (default: all categories, or 10)")
    p.add_argument("--span", type=float, default=2.0, help="continuous codes go from -SPAN to SPAN (default 2)")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    p.add_argument("--no-labels", action="store_true", help="the bare grid, without row and column labels")
    add_figure_arguments(p)
    p.set_defaults(func=run)


def traversal_labels(latents: dict, code: str, rows: int) -> tuple[list[str], list[str]]:
    """(row labels, column labels) of a traversal figure, read from its inputs
    (:meth:`InfoGANModel.traversal_latents`, row-major): rows name their noise
    row ``z0, z1, ...`` (and their category for a continuous code), columns the code's value.

    Examples:
    >>> import zoo
    >>> m = zoo.load("infogan-mnist", weights=None)
    >>> traversal_labels(m.traversal_latents("c1", rows=2, cols=3), "c1", 2)
    (['z0 cat0', 'z1 cat1'], ['c1 -2', 'c1 0', 'c1 2'])
    >>> traversal_labels(m.traversal_latents("category", rows=1, cols=3), "category", 1)[1]
    ['cat 0', 'cat 1', 'cat 2']
    """
    import numpy as np

    from zoo.images import number_label

    cols = len(latents["z"]) // rows
    categories = np.argmax(latents["c_cat"], axis=1)
    if code == "category":
        return [f"z{r}" for r in range(rows)], [f"cat {c}" for c in categories[:cols]]
    values = latents["c_cont"][:cols, int(code[1:]) - 1]
    return ([f"z{r} cat{categories[r * cols]}" for r in range(rows)],
            [f"{code} {number_label(v)}" for v in values])


def run(args) -> None:
    from zoo.families.infogan.model import InfoGANModel
    from zoo.images import save_png

    out = Path(args.output)
    weights = figure_weights(args, out)
    m = load_family_model(args.name, InfoGANModel, weights, "has no latent codes to traverse (only InfoGAN entries do)")
    latents = m.traversal_latents(args.code, rows=args.rows, cols=args.cols, seed=args.seed, span=args.span)
    images = m.generate(latents)
    cols = len(images) // args.rows
    row_labels, col_labels = (None, None) if args.no_labels else traversal_labels(latents, args.code, args.rows)
    save_png(images, out, ncols=cols, scale=args.scale, row_labels=row_labels, col_labels=col_labels)
    print(f"wrote a {args.rows}x{cols} traversal of {args.code} for {args.name} (seed {args.seed}) to {out}")


def _register_codes(subparsers) -> None:
    from zoo.families.infogan import DEFAULT_Q_SAMPLES, DEFAULT_SAMPLES_PER_CODE  # without Keras

    p = subparsers.add_parser(
        "codes",
        help="measure how well InfoGAN's categorical code separates the classes (Hungarian accuracy) "
             "and how well Q recovers the codes",
        description="For each categorical value, samples with that value fixed are classified by the "
                    "dataset's domain classifier; codes are matched one-to-one to classes (Hungarian) and "
                    "the share of matched samples is reported. Q is scored on reading back the codes of "
                    "generated samples (categorical accuracy, R^2 per continuous code) and, as in the "
                    "paper, as a classifier of the real test split.",
    )
    p.add_argument("name", help="an InfoGAN entry, e.g. infogan-mnist")
    p.add_argument("--samples-per-code", type=int, default=DEFAULT_SAMPLES_PER_CODE,
                   help=f"samples per categorical value (default {DEFAULT_SAMPLES_PER_CODE})")
    p.add_argument("--q-samples", type=int, default=DEFAULT_Q_SAMPLES,
                   help=f"generated samples for Q's code recovery (default {DEFAULT_Q_SAMPLES}; 0 skips it)")
    p.add_argument("--no-real", action="store_true", help="skip Q as a classifier of the real test split")
    p.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    p.add_argument("--out", default=None, help="write the full report as JSON")
    p.add_argument("--figure", default=None, help="write the code x class confusion matrix as a PNG")
    p.add_argument("--force", action="store_true", help="overwrite --out / --figure")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--d-weights", default=None,
                   help="a discriminator .weights.h5 (holds Q) to go with --weights")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation (a floor to beat)")
    p.add_argument("--update-card", action="store_true",
                   help="store the values under metrics.infogan_codes in the entry's model card "
                        "(shipped weights only; written atomically)")
    p.add_argument("--data-dir", default=None, help="dataset folder (default: $ZOO_DATA_DIR, else download)")
    p.set_defaults(func=run_codes)


def run_codes(args) -> None:
    import zoo
    from zoo import atomic
    from zoo.families.infogan import disentanglement as dis
    from zoo.families.infogan.model import InfoGANModel
    from zoo.registry import get_preset

    preset = get_preset(args.name)
    if not issubclass(preset.model_class or zoo.ZooModel, InfoGANModel):
        raise ValueError(f"{args.name} has no latent codes to measure (only InfoGAN entries do)")
    if args.untrained and (args.weights or args.d_weights):
        raise ValueError("--untrained and --weights/--d-weights contradict each other; pass one")
    if args.d_weights and not args.weights:
        raise ValueError("--d-weights goes with --weights (the shipped generator comes with its shipped Q)")
    if args.samples_per_code < 1 or args.q_samples < 0:
        raise ValueError("--samples-per-code must be >= 1 and --q-samples >= 0")
    weights = None if args.untrained else (args.weights or "pretrained")
    if args.update_card:  # checked before minutes of work, not after
        if weights != "pretrained":
            raise ValueError("--update-card is about the shipped weights only; drop --untrained/--weights")
        if not preset.card_path.exists():
            raise ValueError(f"{args.name} has no model card ({preset.card_path}); nothing to update")
    for path in (args.out, args.figure):
        if path and Path(path).exists() and not args.force:
            raise FileExistsError(f"{path} already exists; pass --force to overwrite it")
    if weights is None:  # a fresh initialisation draws from Keras' global RNG: seed it (as eval does)
        import keras

        keras.utils.set_random_seed(args.seed)
    model = zoo.load(args.name, weights=weights, with_discriminator=True)
    if args.d_weights:
        model.discriminator.load_weights(args.d_weights)
    # Q is meaningful when it comes from the same run as G (or both are untrained).
    q_ok = weights is None or bool(args.d_weights) or (
        weights == "pretrained" and preset.discriminator_weights is not None)
    if not q_ok:
        print(f"note: no trained Q for these weights ({'pass --d-weights' if args.weights else 'none shipped'}); "
              f"only the categorical code is measured")
    report = dis.measure(model, samples_per_code=args.samples_per_code, seed=args.seed,
                         q_samples=(args.q_samples or None) if q_ok else None,
                         real_split=None if args.no_real or not q_ok else "test", data_dir=args.data_dir)
    command = (f"gan-zoo codes {args.name} --samples-per-code {args.samples_per_code} "
               f"--q-samples {args.q_samples} --seed {args.seed}" + (" --no-real" if args.no_real else ""))
    report = {
        "model": args.name,
        "weights": "untrained" if weights is None else str(weights),
        "discriminator_weights": ("untrained" if weights is None else args.d_weights
                                  or ("pretrained" if q_ok else None)),
        "command": command + (" --update-card" if args.update_card else ""),
        **report,
    }
    print(dis.format_table(report))
    if args.out:
        atomic.write_json(args.out, report)
        print(f"wrote {args.out}")
    if args.figure:
        print(f"wrote {dis.confusion_png(report, args.figure)}")
    if args.update_card:
        print(f"updated {dis.write_card_codes(preset, report)}")
