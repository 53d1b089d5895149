"""``gan-zoo site``: registered through the ``gan_zoo.commands`` entry-point group (zoo/ never imports gallery/)."""

from __future__ import annotations

DEFAULT_OUT = "site"


def register(subparsers) -> None:
    """Adds the ``site`` subcommand to the ``gan-zoo`` parser.

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["site", "dcgan-*", "-o", "out/site", "--force"])
    >>> args.patterns, args.output, args.force, args.serve, args.port
    (['dcgan-*'], 'out/site', True, False, 8000)
    """
    from gallery.serve import DEFAULT_PORT

    p = subparsers.add_parser(
        "site",
        help="build the static gallery (every entry, in-browser generation with ONNX Runtime Web), or serve it",
        description="Builds a static site from the model cards, the figures in docs/, the committed benchmark "
                    "results and each entry's generator exported to ONNX: an index of every entry and a page "
                    "per entry with a live panel that runs the generator in the browser (onnxruntime-web, "
                    "fetched once with npm at build time and cached; nothing is loaded from a CDN). The folder "
                    "is written whole or not at all. --serve serves a built folder on http://127.0.0.1 "
                    "(WebAssembly does not load from file://).",
    )
    p.add_argument("patterns", nargs="*", metavar="PATTERN",
                   help="glob(s) of the entries to include (default: every entry)")
    p.add_argument("-o", "--output", default=DEFAULT_OUT, help=f"the site folder (default: {DEFAULT_OUT}/)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--serve", action="store_true", help="serve the built folder instead of building it")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"with --serve: the port (default {DEFAULT_PORT})")
    p.set_defaults(func=run)


def run(args) -> None:
    """Builds the site into ``args.output``, or with ``--serve`` serves it."""
    if args.serve:
        if args.patterns or args.force:
            raise ValueError("--serve serves a built folder; build it first (gan-zoo site -o DIR), then --serve -o DIR")
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port must be in 0..65535, got {args.port}")
        from gallery.serve import serve

        serve(args.output, args.port, verbose=getattr(args, "verbose", False))
        return
    from gallery.build import build_site

    report = build_site(args.output, args.patterns or None, force=args.force)
    for problem in report.problems:
        print(f"note: {problem}")
    print(report.summary())
    print(f"serve it with: gan-zoo site --serve -o {args.output}")
