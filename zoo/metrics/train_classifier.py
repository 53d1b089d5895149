"""Rebuilds a shipped domain classifier: ``python -m zoo.metrics.train_classifier mnist``.

Writes ``<dataset>-classifier.weights.h5`` and its card (sha256, recipe,
held-out test accuracy) into ``zoo/metrics/weights/`` or ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The acceptance bar of each classifier on its test split (issue 4).
MIN_TEST_ACCURACY = {"mnist": 0.98, "fashion-mnist": 0.91}


def write_classifier(model, dataset: str, recipe, info: dict, out_dir: Path) -> Path:
    """Saves weights and card atomically; returns the card path.

    Examples:
    >>> from zoo.metrics.classifier import RECIPES, build_classifier, load_classifier
    >>> info = {"train_accuracy": 0.1, "test_accuracy": 0.1}  # an untrained network, for the example
    >>> path = write_classifier(build_classifier(), "mnist", RECIPES["mnist"], info, "scratch")
    >>> sorted(p.name for p in path.parent.iterdir())
    ['mnist-classifier.card.json', 'mnist-classifier.weights.h5']
    >>> load_classifier("mnist", path.parent)[1]["feature_dim"]  # loads, sha256-checked against the card
    128
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo import atomic
    from zoo.metrics.classifier import ARCHITECTURE, FEATURE_LAYER, build_classifier, card_path, weights_path
    from zoo.weights import sha256_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = weights_path(dataset, out_dir)
    # Keras insists on the ".weights.h5" ending, so the temporary keeps it; 0o644: shipped files.
    with atomic.replacing(target, suffix=".weights.h5", mode=0o644) as tmp:
        # A fresh, uncompiled copy: save_weights on the trained model would also
        # store the Adam moments, tripling the shipped file.
        clean = build_classifier(**ARCHITECTURE)
        clean.set_weights(model.get_weights())
        clean.save_weights(tmp, overwrite=True)
    card = {
        "name": f"{dataset}-classifier",
        "dataset": dataset,
        "purpose": "feature network of the offline metrics (fid_domain, kid_domain, ...): "
        "penultimate layer for distances, softmax for IS and class coverage",
        "weights": {"filename": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size},
        "architecture": ARCHITECTURE,
        "feature_layer": FEATURE_LAYER,
        "feature_dim": int(model.get_layer(FEATURE_LAYER).output.shape[-1]),
        "parameters": int(model.count_params()),
        "recipe": recipe.to_dict(),
        **info,
        "data": "train split only; test split held out (offline MNIST is the 9,000/1,000 subset)"
        if dataset == "mnist" else "train split only; test split held out",
        "command": f"python -m zoo.metrics.train_classifier {dataset}",
        "software": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
        },
    }
    path = card_path(dataset, out_dir)
    atomic.write_json(path, card)
    return path


def main(argv=None) -> int:
    from zoo.data import DATASETS
    from zoo.metrics.classifier import RECIPES, WEIGHTS_DIR, train

    p = argparse.ArgumentParser(prog="python -m zoo.metrics.train_classifier", description=__doc__)
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--data-dir", default=None, help="default: $ZOO_DATA_DIR, else keras.datasets download")
    p.add_argument("--out", default=str(WEIGHTS_DIR), help=f"output folder (default {WEIGHTS_DIR})")
    p.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    args = p.parse_args(argv)

    recipe = RECIPES[args.dataset]
    if args.epochs is not None:
        recipe = dataclasses.replace(recipe, epochs=args.epochs)
    model, info = train(args.dataset, recipe, data_dir=args.data_dir)
    path = write_classifier(model, args.dataset, recipe, info, Path(args.out))
    print(json.dumps(info, indent=2))
    print(f"wrote {path}")
    bar = MIN_TEST_ACCURACY[args.dataset]
    if info["test_accuracy"] < bar:
        print(f"warning: test accuracy {info['test_accuracy']} is below the bar {bar}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
