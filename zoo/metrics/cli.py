"""``gan-zoo eval NAME``: the evaluation protocol from the command line.

Registered through the ``gan_zoo.commands`` entry point (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

# Short column titles for the table; the JSON keeps the full names.
_COLUMNS = [
    ("fid", "fid"), ("kid", "kid"), ("is", "is"), ("precision", "prec"), ("recall", "recall"),
    ("coverage_kl", "cov_kl"), ("classes_covered", "classes"),
]


def format_table(report: dict) -> str:
    """The report as a text table: one row per scored set, a header with the protocol.

    Examples:
    >>> from zoo.metrics import evaluate
    >>> print(format_table(evaluate("dcgan-mnist", n=200, include_real=False)))
    dcgan-mnist: domain features, mnist-classifier (sha256 ..., test accuracy ...)
    reference: mnist test split (1000 images); 200 samples, seed 0; metric names end in _domain_<budget>
    row                       n    fid  kid  is  prec  recall  cov_kl  classes
    dcgan-mnist (pretrained)  200  ...  10
    """
    p = report["protocol"]
    lines = [
        f"{report.get('model', 'samples')}: {p['features']} features, {p['feature_net']}",
        f"reference: {p['reference']}; {p['n_samples']} samples, seed {p['seed']}; "
        f"metric names end in _{p['features']}_<budget>",
    ]
    header = ["row", "n"] + [title for _, title in _COLUMNS]
    table = [header]
    for row in report["rows"]:
        values = row["values"]
        suffix = row["tag"]  # e.g. "domain_10k"
        cells = [row["name"], str(row["n"])]
        for key, _ in _COLUMNS:
            v = values.get(f"{key}_{suffix}")
            if v is None:
                cells.append("-")
            elif key == "kid":
                cells.append(f"{v:.5f}±{values[f'kid_{suffix}_se']:.5f}")
            elif key == "is":
                cells.append(f"{v:.3f}±{values[f'is_{suffix}_std']:.3f}")
            elif isinstance(v, int):
                cells.append(str(v))
            else:
                cells.append(f"{v:.4f}")
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def _cmd_eval(args) -> None:
    from zoo import atomic, card as card_lib
    from zoo.errors import ZooError
    from zoo.metrics.protocol import compare_with_card, evaluate, write_card_metrics
    from zoo.registry import get_preset

    preset = get_preset(args.name)
    if args.untrained and args.weights:
        raise ValueError("--untrained and --weights contradict each other; pass one")
    weights = None if args.untrained else (args.weights or "pretrained")
    card_flag = "--update-card" if args.update_card else "--check-card" if args.check_card else None
    if card_flag:  # checked before a minute of work, not after
        if weights != "pretrained":
            raise ValueError(f"{card_flag} is about the shipped weights only; drop --untrained/--weights")
        if not preset.card_path.exists():
            raise ValueError(f"{args.name} has no model card ({preset.card_path}); nothing to {card_flag[2:]}")
    if args.out and Path(args.out).exists() and not args.force:
        raise FileExistsError(f"{args.out} already exists; pass --force to overwrite it")
    report = evaluate(
        args.name, n=args.n, features=args.features, seed=args.seed, weights=weights,
        data_dir=args.data_dir, include_real=not args.no_real, use_cache=not args.no_cache,
    )
    print(format_table(report))
    if args.out:
        atomic.write_json(args.out, report)
        print(f"wrote {args.out}")
    if args.check_card:
        diffs = compare_with_card(report, card_lib.read_card(preset.card_path))
        if diffs:
            raise ZooError(f"{args.name} does not reproduce its card: " + "; ".join(diffs))
        print(f"reproduces the metrics in {preset.card_path}")
    if args.update_card:
        print(f"updated {write_card_metrics(preset, report)}")


def register(subparsers) -> None:
    """Adds the ``eval`` subcommand (the ``gan_zoo.commands`` entry point).

    Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="gan-zoo")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["eval", "dcgan-mnist", "-n", "200", "--no-real"])
    >>> args.n, args.features, args.seed, args.no_real, args.func.__name__  # args.func(args) runs it
    (200, 'domain', 0, True, '_cmd_eval')
    """
    from zoo.metrics import DEFAULT_N, DEFAULT_SEED  # not zoo.metrics.protocol: that imports Keras

    p = subparsers.add_parser(
        "eval", help="FID, KID, IS, precision/recall and class coverage of a model",
        description="Scores N generated samples and N real train images against the real test split.",
    )
    p.add_argument("name", help="a registered model name (see gan-zoo list)")
    p.add_argument("-n", type=int, default=DEFAULT_N, help=f"generated samples (default {DEFAULT_N})")
    p.add_argument("--features", choices=("domain", "inception"), default="domain",
                   help="domain: the shipped per-dataset classifier (offline); inception: Inception-v3 "
                   "ImageNet (downloads its weights)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"latent and subset seed (default {DEFAULT_SEED})")
    p.add_argument("--out", default=None, help="write the full report as JSON")
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation (a floor to beat)")
    card = p.add_mutually_exclusive_group()
    card.add_argument("--update-card", action="store_true",
                      help="store the values under metrics.<features> in the entry's model card "
                      "(shipped weights only; written atomically)")
    card.add_argument("--check-card", action="store_true",
                      help="fail unless the values match those stored in the model card")
    p.add_argument("--no-real", action="store_true", help="skip the real train-vs-test row")
    p.add_argument("--no-cache", action="store_true", help="recompute real-data features")
    p.add_argument("--data-dir", default=None, help="dataset folder (default: $ZOO_DATA_DIR, else download)")
    p.set_defaults(func=_cmd_eval)
