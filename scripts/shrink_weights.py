"""Stores shipped weights at half precision (float16 on disk, float32 once loaded).

For each entry: samples 64 images (seed 0) from the shipped generator, rewrites
its weight files with ``zoo.training.publish.store_float16``, samples again from
the rewritten file and reports the largest pixel difference; then replaces the
old sha256 with the new one in the family's presets.py and updates the card
(weights block, golden outputs). The card's metrics are NOT carried over: re-run
``gan-zoo eval NAME -n 10000 --seed 0 --features domain --update-card`` (and
``gan-zoo codes NAME --update-card`` for InfoGAN) afterwards and compare.

    python scripts/shrink_weights.py mlpgan-mnist infogan-mnist ... --report docs/weights-float16.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def shrink(name: str) -> dict:
    import zoo
    from zoo import atomic, card as card_lib
    from zoo.registry import get_preset
    from zoo.training.publish import golden_outputs, store_float16
    from zoo.weights import sha256_file

    preset = get_preset(name)
    before = zoo.load(name)
    latents = before.sample_latents(64, seed=0)
    x_before = before.generate(latents)
    card = card_lib.read_card(preset.card_path)
    presets_py = Path(preset.generator.__module__.replace(".", "/")).parent / "presets.py"
    source = presets_py.read_text()
    row = {"entry": name, "bytes_before": card_lib.weights_bytes(card),
           "metrics_before": {k: v["values"] for k, v in card.get("metrics", {}).items()}}
    for part, entry in card["weights"].items():
        if entry.get("storage") == "float16":
            continue
        path = preset.weights_dir / entry["file"]
        info = store_float16(path, path)
        sha = sha256_file(path)
        assert entry["sha256"] in source, f"{entry['sha256']} not in {presets_py}"
        source = source.replace(entry["sha256"], sha)
        card["weights"][part] = {"file": entry["file"], "sha256": sha, "bytes": path.stat().st_size,
                                 "storage": "float16"}
        row[f"{part}_max_abs_rounding"] = info["max_abs_rounding"]
    atomic.write_text(presets_py, source)
    after = zoo.load(name, weights=preset.weights_dir / card["weights"]["generator"]["file"])
    x_after = after.generate(latents)
    card["weights"]["generator"]["storage_max_abs_sample_difference"] = float(np.abs(x_after - x_before).max())
    card["golden"] = golden_outputs(after)
    card.pop("metrics", None)  # measured on the float32 files; re-measure (see the module docstring)
    card_lib.write_card(preset.card_path, card)
    row.update(bytes_after=card_lib.weights_bytes(card),
               max_abs_sample_difference=float(np.abs(x_after - x_before).max()),
               mean_abs_sample_difference=float(np.abs(x_after - x_before).mean()))
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+")
    p.add_argument("--report", type=Path, help="append the rows to this JSON list")
    args = p.parse_args()
    rows = []
    for name in args.names:
        rows.append(shrink(name))
        print(json.dumps(rows[-1]), flush=True)
    if args.report:
        from zoo import atomic

        old = json.loads(args.report.read_text()) if args.report.exists() else []
        atomic.write_json(args.report, old + rows)


if __name__ == "__main__":
    main()
