"""``gan-zoo traverse``: registered through the ``gan_zoo.commands`` entry-point group."""

from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    """Adds the ``traverse`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> register(parser.add_subparsers())  # then: gan-zoo traverse infogan-mnist --code c1 -o grid.png
    """
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
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=2, help="pixel enlargement (default 2)")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=run)


def run(args) -> None:
    import zoo
    from zoo.families.infogan.model import InfoGANModel
    from zoo.images import save_png
    from zoo.registry import get_preset

    out = Path(args.output)
    if out.exists() and not args.force:
        raise FileExistsError(f"{out} already exists; pass --force to overwrite it")
    if not issubclass(get_preset(args.name).model_class or zoo.ZooModel, InfoGANModel):
        raise ValueError(f"{args.name} has no latent codes to traverse (only InfoGAN entries do)")
    if args.weights and args.untrained:
        raise ValueError("--weights and --untrained exclude each other")
    weights = None if args.untrained else (args.weights or "pretrained")
    m = zoo.load(args.name, weights=weights)
    images = m.traverse(args.code, rows=args.rows, cols=args.cols, seed=args.seed, span=args.span)
    cols = len(images) // args.rows
    save_png(images, out, ncols=cols, scale=args.scale)
    print(f"wrote a {args.rows}x{cols} traversal of {args.code} for {args.name} (seed {args.seed}) to {out}")
