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

import numpy as np

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


FLOAT16_MAX = 65504.0  # the largest finite float16
# Tensors below this many values stay float32: biases, norms' statistics, StyleGAN's w_avg, and its
# mapping network's 128x128 kernels (stored 100x their effective size for the 0.01 learning-rate
# multiplier; rounding them in float16 moved StyleGAN's samples by up to 0.02, eight layers deep).
# They are a small share of the bytes; the large kernels that make up the size are all converted.
FLOAT16_MIN_SIZE = 32768


def store_float16(source: Path, target: Path) -> dict:
    """Writes a Keras ``.weights.h5`` with its float32 tensors stored as float16, atomically.

    Keras casts each stored array to its variable's dtype on loading, so the
    result loads into the same float32 model with no other change; the file is
    about half the size (less: the large tensors are also gzip-compressed). Tensors of fewer than :data:`FLOAT16_MIN_SIZE` values,
    and any that float16 cannot hold (a magnitude above 65504), stay float32. Returns ``{"storage": "float16", "kept_float32": [...],
    "max_abs_rounding": x}``: the largest absolute change of any stored value.

    Examples:
    >>> import keras
    >>> layer = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64)])
    >>> layer.save_weights("w.weights.h5")
    >>> info = store_float16(Path("w.weights.h5"), Path("w16.weights.h5"))
    >>> info["storage"], info["kept_float32"], info["max_abs_rounding"] < 1e-3
    ('float16', [], True)
    >>> layer.load_weights("w16.weights.h5"); layer.weights[0].dtype
    'float32'
    """
    import h5py
    import numpy as np

    kept, worst = [], 0.0
    with h5py.File(source, "r") as fin, atomic.replacing(target, suffix=".weights.h5") as tmp:
        with h5py.File(tmp, "w") as fout:
            fout.attrs.update(fin.attrs)

            def copy(name, obj):
                nonlocal worst
                if isinstance(obj, h5py.Group):
                    fout.require_group(name).attrs.update(obj.attrs)
                    return
                value = obj[()]
                if getattr(value, "dtype", None) == np.float32 and value.size >= FLOAT16_MIN_SIZE:
                    if np.abs(value).max(initial=0.0) > FLOAT16_MAX:
                        kept.append(name)
                    else:
                        half = value.astype(np.float16)
                        worst = max(worst, float(np.abs(half.astype(np.float32) - value).max(initial=0.0)))
                        value = half
                # gzip after HDF5's byte shuffle: another ~11% off float16 kernels; h5py inflates on read
                packed = dict(compression="gzip", compression_opts=9, shuffle=True) if value.size >= FLOAT16_MIN_SIZE else {}
                fout.create_dataset(name, data=value, **packed).attrs.update(obj.attrs)

            fin.visititems(copy)
    return {"storage": "float16", "kept_float32": kept, "max_abs_rounding": worst}


def publish(
    run_dir: Path,
    name: str,
    command: str,
    force: bool = False,
    notes: str | None = None,
    generator: str = "ema",
    snapshot: str = "best",
    storage: str = "float16",
) -> dict:
    """Copies a finished run's weights into the package and writes the card.

    Args:
        generator: "ema" ships the run's averaged generator (``final/generator``),
            "live" the raw one (``final/generator_live``, final snapshot only); the card says which.
        snapshot: "best" ships ``best/`` (the lowest fid of evaluation while training)
            when the run kept one, else ``final/`` with the reason in the card; "final"
            ships ``final/``.
        storage: "float16" (the default) stores the weights at half precision
            (:func:`store_float16`; they load as float32), "float32" copies them as trained.
    """
    import zoo
    from zoo.training import evaluation

    if generator not in ("ema", "live"):
        raise ValueError(f"generator must be 'ema' or 'live', got {generator!r}")
    if storage not in ("float16", "float32"):
        raise ValueError(f"storage must be 'float16' or 'float32', got {storage!r}")
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
        stored = {}
        if storage == "float16":
            stored = store_float16(source_dir / f"{source}.weights.h5", target)
        else:
            with atomic.replacing(target) as tmp:
                shutil.copyfile(source_dir / f"{source}.weights.h5", tmp)
        weights[part] = {"file": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size,
                         "storage": storage, **({"kept_float32": stored["kept_float32"]} if stored.get("kept_float32") else {})}

    model = zoo.load(name, weights=preset.weights_dir / weights["generator"]["file"])
    if storage == "float16":  # what half-precision storage changed: 64 samples, stored against trained
        trained = zoo.load(name, weights=source_dir / f"{'generator_live' if generator == 'live' else 'generator'}.weights.h5")
        latents = model.sample_latents(64, seed=GOLDEN_SEED)
        moved = np.abs(model.generate(latents) - trained.generate(latents)).max()
        weights["generator"]["storage_max_abs_sample_difference"] = float(moved)
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
    p.add_argument("--storage", choices=("float16", "float32"), default="float16",
                   help="how the weights files store their tensors (float16 halves them; they load as float32)")
    p.add_argument("--force", action="store_true")
    args = p.parse_args(argv)
    card = publish(args.run_dir, args.name, args.command, args.force, args.notes, args.generator, args.snapshot,
                   args.storage)
    for part, w in card["weights"].items():
        print(f'{part}_weights=WeightsFile("{w["file"]}", "{w["sha256"]}"),')


if __name__ == "__main__":
    main()
