"""``gan-zoo mix``: registered through the ``gan_zoo.commands`` entry-point group."""

from __future__ import annotations

from pathlib import Path

from zoo.cli import add_figure_arguments, figure_weights


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds:
        raise ValueError("need at least one seed")
    return seeds


def register(subparsers) -> None:
    """Adds the ``mix`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> register(parser.add_subparsers())  # then: gan-zoo mix stylegan-fashion-mnist --rows 1,2,3 --cols 4,5,6 -o mix.png
    """
    p = subparsers.add_parser(
        "mix",
        help="write a style-mixing grid (StyleGAN): coarse styles from the row seeds, fine from the column seeds",
        description="Top row: the column seeds' images; left column: the row seeds' images; cell (r, c): "
                    "styles 0..K-1 (the coarse layers) from row seed r and the rest from column seed c.",
    )
    p.add_argument("name", help="a StyleGAN entry, e.g. stylegan-fashion-mnist")
    p.add_argument("--rows", required=True, help="row seeds, comma-separated (coarse styles)")
    p.add_argument("--cols", required=True, help="column seeds, comma-separated (fine styles)")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--crossover", type=int, default=None,
                   help="K: styles taken from the row seed (default: half of them, the 4x4 and 8x8 layers at 32x32)")
    p.add_argument("--psi", type=float, default=1.0, help="truncation psi (default 1: none)")
    add_figure_arguments(p)
    p.set_defaults(func=run)


def run(args) -> None:
    import zoo
    from zoo.families.stylegan.model import StyleGANModel
    from zoo.images import save_png
    from zoo.registry import get_preset

    out = Path(args.output)
    weights = figure_weights(args, out)
    if not issubclass(get_preset(args.name).model_class or zoo.ZooModel, StyleGANModel):
        raise ValueError(f"{args.name} has no styles to mix (only StyleGAN entries do)")
    rows, cols = _seeds(args.rows), _seeds(args.cols)
    m = zoo.load(args.name, weights=weights)
    crossover = m.num_ws // 2 if args.crossover is None else args.crossover
    images = m.mixing_grid(rows, cols, crossover, truncation_psi=args.psi)
    save_png(images, out, ncols=len(cols) + 1, scale=args.scale)
    print(f"wrote a {len(rows)}x{len(cols)} style-mixing grid for {args.name} "
          f"({crossover} of {m.num_ws} styles, the coarsest, from the rows; psi {args.psi}) to {out}")
