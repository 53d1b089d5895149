"""``gan-zoo mix``: registered through the ``gan_zoo.commands`` entry-point group."""

from __future__ import annotations

from pathlib import Path

from zoo.cli import add_figure_arguments, figure_weights, load_family_model, parse_seeds


def register(subparsers) -> None:
    """Adds the ``mix`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["mix", "stylegan-fashion-mnist", "--rows", "1", "--cols", "4,5", "--untrained",
    ...                           "-o", "mix.png"])
    >>> args.func(args)  # gan-zoo mix stylegan-fashion-mnist --rows 1 --cols 4,5 --untrained -o mix.png
    wrote a 1x2 style-mixing grid for stylegan-fashion-mnist (4 of 8 styles, the coarsest, from the rows;
    psi 1.0) to mix.png
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
    p.add_argument("--no-labels", action="store_true", help="the bare grid, without the seed labels")
    add_figure_arguments(p)
    p.set_defaults(func=run)


def run(args) -> None:
    from zoo.images import save_png

    out = Path(args.output)
    weights = figure_weights(args, out)
    rows, cols = parse_seeds(args.rows), parse_seeds(args.cols)
    m = _stylegan(args.name, weights)
    crossover = m.num_ws // 2 if args.crossover is None else args.crossover
    images = m.mixing_grid(rows, cols, crossover, truncation_psi=args.psi)
    labels = {} if args.no_labels else {"row_labels": [""] + [f"seed {s}" for s in rows],
                                        "col_labels": [""] + [f"seed {s}" for s in cols]}
    save_png(images, out, ncols=len(cols) + 1, scale=args.scale, **labels)
    print(f"wrote a {len(rows)}x{len(cols)} style-mixing grid for {args.name} "
          f"({crossover} of {m.num_ws} styles, the coarsest, from the rows; psi {args.psi}) to {out}")


def register_truncation(subparsers) -> None:
    """Adds the ``truncation`` subcommand (a StyleGAN truncation strip).

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register_truncation(parser.add_subparsers())
    >>> args = parser.parse_args(["truncation", "stylegan-fashion-mnist", "--seeds", "0,1", "--psi", "0,1",
    ...                           "--untrained", "-o", "strip.png"])
    >>> args.func(args)  # gan-zoo truncation stylegan-fashion-mnist --seeds 0,1 --psi 0,1 --untrained -o strip.png
    wrote a truncation strip of stylegan-fashion-mnist (2 seeds x psi [0.0, 1.0]) to strip.png
    """
    p = subparsers.add_parser(
        "truncation",
        help="write a truncation strip (StyleGAN): one row per seed, one column per psi",
        description="Row r: seed r's image with w pulled towards the average w by psi (0: the average "
                    "image, 1: untruncated), the coarse layers up to the entry's cutoff.",
    )
    p.add_argument("name", help="a StyleGAN entry, e.g. stylegan-fashion-mnist")
    p.add_argument("--seeds", default="0,1,2,3,4,5", help="row seeds, comma-separated (default 0-5)")
    p.add_argument("--psi", default="0,0.25,0.5,0.7,0.85,1", help="columns: psi values, comma-separated")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--no-labels", action="store_true", help="the bare grid, without seed and psi labels")
    add_figure_arguments(p)
    p.set_defaults(func=run_truncation)


def run_truncation(args) -> None:
    from zoo.images import number_label, save_png

    out = Path(args.output)
    weights = figure_weights(args, out)
    seeds = parse_seeds(args.seeds)
    try:
        psis = [float(v) for v in args.psi.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--psi must be comma-separated numbers, got {args.psi!r}") from None
    m = _stylegan(args.name, weights)
    labels = {} if args.no_labels else {"row_labels": [f"seed {s}" for s in seeds],
                                        "col_labels": [f"psi {number_label(p)}" for p in psis]}
    save_png(m.truncation_strip(seeds, psis), out, ncols=len(psis), scale=args.scale, **labels)
    print(f"wrote a truncation strip of {args.name} ({len(seeds)} seeds x psi {psis}) to {out}")


def _stylegan(name: str, weights):
    from zoo.families.stylegan.model import StyleGANModel

    return load_family_model(name, StyleGANModel, weights, "is not a StyleGAN entry")
