"""Turns a finished training run into shipped weights and a model card.

Usage (maintainers):
    python -m zoo.training.publish RUN_DIR NAME --command "gan-zoo train ..." [--force]

Copies the run's best snapshot (RUN_DIR/best/, kept by evaluation while
training; else RUN_DIR/final/) generator and discriminator into the family's
weights folder as NAME.*.weights.h5, writes NAME.card.json (run card, data
provenance, sha256s, golden outputs, the training curve of RUN_DIR/metrics.jsonl
and which snapshot shipped) and prints the ``WeightsFile`` lines to paste into
the family's presets.py. ``--snapshot final`` ships the end of the run instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from zoo import atomic, card as card_lib, data as data_lib
from zoo.registry import get_preset
from zoo.weights import sha256_file

GOLDEN_N, GOLDEN_SEED = 8, 0
DATA_NOTES = {
    "mnist": "offline MNIST copy: the 9,000-image training split of a subset (the first 10,000 "
    "images of the MNIST training set, shuffled with a fixed seed and split 9,000/1,000); "
    "not the full 60,000-image MNIST",
    "fashion-mnist": "the complete upstream Fashion-MNIST training set (60,000 images)",
}


def golden_outputs(model) -> dict:
    """Statistics of ``sample(8, seed=0)`` that the contract tests reproduce after loading."""
    x = model.sample(GOLDEN_N, seed=GOLDEN_SEED)
    return {
        "n": GOLDEN_N,
        "seed": GOLDEN_SEED,
        "shape": list(x.shape),
        "mean": float(x.mean()),
        "std": float(x.std()),
        "per_image_mean": [float(v) for v in x.reshape(len(x), -1).mean(1)],
    }


def publish(
    run_dir: Path,
    name: str,
    command: str,
    force: bool = False,
    notes: str | None = None,
    generator: str = "ema",
    snapshot: str = "best",
) -> dict:
    """Copies a finished run's weights into the package and writes the card.

    Args:
        generator: "ema" ships the run's averaged generator (``final/generator``),
            "live" the raw one (``final/generator_live``, final snapshot only); the card says which.
        snapshot: "best" ships ``best/`` (the lowest fid of evaluation while training)
            when the run kept one, else ``final/`` with the reason in the card; "final"
            ships ``final/``.
    """
    import zoo
    from zoo.training import evaluation

    if generator not in ("ema", "live"):
        raise ValueError(f"generator must be 'ema' or 'live', got {generator!r}")
    if snapshot not in ("best", "final"):
        raise ValueError(f"snapshot must be 'best' or 'final', got {snapshot!r}")
    rows = evaluation.read_log(Path(run_dir) / evaluation.METRICS_NAME)
    best_dir = Path(run_dir) / evaluation.BEST_DIR
    if snapshot == "best" and generator == "live":
        raise ValueError("the best snapshot holds the EMA generator only; pass --snapshot final for --generator live")
    if snapshot == "best" and not best_dir.exists():
        chosen = {"which": "final", "reason": "the run kept no best snapshot (no evaluation while training)"}
    elif snapshot == "best":
        best = evaluation.read_best(best_dir)
        chosen = {"which": "best", "reason": f"lowest {best['metric']} of {len(rows)} evaluations while training",
                  "step": best["step"], "images": best["images"], **best["values"]}
    else:
        chosen = {"which": "final", "reason": "asked for (--snapshot final)"}
        if rows:
            chosen.update(step=rows[-1]["step"], images=rows[-1]["images"], **rows[-1]["values"])
    source_dir = best_dir if chosen["which"] == "best" else Path(run_dir) / "final"

    preset = get_preset(name)
    final = Path(run_dir) / "final"
    run_card = card_lib.read_run_card(final / "run_card.json")
    if run_card["name"] != name:
        raise ValueError(f"{run_dir} trained {run_card['name']}, not {name}")
    preset.weights_dir.mkdir(parents=True, exist_ok=True)
    weights = {}
    for part in ("generator", "discriminator"):
        target = preset.weights_dir / f"{name}.{part}.weights.h5"
        if target.exists() and not force:
            raise FileExistsError(f"{target} exists; pass --force to replace it")
        source = "generator_live" if (part, generator) == ("generator", "live") else part
        with atomic.replacing(target) as tmp:
            shutil.copyfile(source_dir / f"{source}.weights.h5", tmp)
        weights[part] = {"file": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size}

    model = zoo.load(name, weights=preset.weights_dir / weights["generator"]["file"])
    data_info = {"dataset": preset.dataset, "split": "train", "images": run_card["train_images"],
                 "note": DATA_NOTES.get(preset.dataset, "")}
    root = os.environ.get(data_lib.ENV_VAR)
    if root:
        src = Path(root) / preset.dataset / "train-images-idx3-ubyte.gz"
        if src.exists():
            data_info["train_images_sha256"] = sha256_file(src)
    card = card_lib.model_card(
        preset, run_card, image_shape=model.image_shape, latent=model.latent_info(), data=data_info,
        training_command=command, weights=weights, generator=generator, golden=golden_outputs(model),
        notes=notes, training_curve=evaluation.curve(rows), snapshot=chosen,
    )
    card_lib.write_card(preset.card_path, card)
    return card


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", type=Path)
    p.add_argument("name")
    p.add_argument("--command", required=True, help="the command that produced the run")
    p.add_argument("--notes", default=None, help="free text for the card (how the samples look, caveats)")
    p.add_argument("--generator", choices=("ema", "live"), default="ema",
                   help="which generator of the run to ship (compare final/*_samples.png first)")
    p.add_argument("--snapshot", choices=("best", "final"), default="best",
                   help="ship the best evaluated snapshot (RUN_DIR/best/, the default) or the end of the run")
    p.add_argument("--force", action="store_true")
    args = p.parse_args(argv)
    card = publish(args.run_dir, args.name, args.command, args.force, args.notes, args.generator, args.snapshot)
    for part, w in card["weights"].items():
        print(f'{part}_weights=WeightsFile("{w["file"]}", "{w["sha256"]}"),')


if __name__ == "__main__":
    main()
