"""``gan-zoo growth``: registered through the ``gan_zoo.commands`` entry-point group."""

from __future__ import annotations

from pathlib import Path

from zoo.cli import add_figure_arguments, figure_weights, load_family_model, parse_seeds


def register(subparsers) -> None:
    """Adds the ``growth`` subcommand (a ProGAN grid: one row per resolution, one column per seed).

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["growth", "progan-fashion-mnist", "--seeds", "0,1", "--untrained",
    ...                           "-o", "growth.png"])
    >>> args.func(args)  # gan-zoo growth progan-fashion-mnist --seeds 0,1 --untrained -o growth.png
    wrote a growth grid of progan-fashion-mnist (resolutions [4, 8, 16, 32] x seeds [0, 1]) to growth.png
    """
    p = subparsers.add_parser(
        "growth",
        help="write a growth grid (ProGAN): the same seeds at every resolution of the grown model",
        description="Row i: the seeds' images at resolution 4 * 2**i (through that resolution's own toRGB "
                    "layer), nearest-upsampled to the final size; the last row is what sample() gives.",
    )
    p.add_argument("name", help="a ProGAN entry, e.g. progan-fashion-mnist")
    p.add_argument("--seeds", default="0,1,2,3,4,5,6,7", help="column seeds, comma-separated (default 0-7)")
    p.add_argument("-o", "--output", required=True, help="PNG path")
    p.add_argument("--no-labels", action="store_true", help="the bare grid, without resolution and seed labels")
    add_figure_arguments(p)
    p.set_defaults(func=run)


def run(args) -> None:
    from zoo.families.progan.model import ProGANModel
    from zoo.images import save_png

    out = Path(args.output)
    weights = figure_weights(args, out)
    seeds = parse_seeds(args.seeds)
    m = load_family_model(args.name, ProGANModel, weights, "is not a ProGAN entry")
    labels = {} if args.no_labels else {"row_labels": [f"{r}x{r}" for r in m.resolutions],
                                        "col_labels": [f"seed {s}" for s in seeds]}
    save_png(m.growth_strip(seeds), out, ncols=len(seeds), scale=args.scale, **labels)
    print(f"wrote a growth grid of {args.name} (resolutions {list(m.resolutions)} x seeds {seeds}) to {out}")
