"""A refactor's numerics check: 4 training steps of every entry, and its shipped samples.

Writes JSON: per entry the logged losses of steps 1-4 (real data, the recipe's
batch, log_every=1) and every 97th value of ``sample(4, seed=0)`` from the
shipped weights. Run it before and after a change and compare the two files.

    ZOO_DATA_DIR=../shared/datasets python scripts/four_step_losses.py before.json [NAME ...]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import zoo
from zoo.registry import get_preset, list_models
from zoo.training.trainer import TrainConfig, Trainer


def main(out_path: str, names: list[str]) -> None:
    out = {}
    for name in names or list_models():
        with tempfile.TemporaryDirectory() as d:
            config = TrainConfig(out_dir=Path(d) / "run", max_steps=4, log_every=1, progress=False,
                                 tensorboard=False)
            t = Trainer(get_preset(name), config)
            t.fit()
            out[name] = [{k: v for k, v in h.items() if k != "images_per_s"} for h in t.record["history"]]
        out[name + "/sample"] = np.asarray(zoo.load(name).sample(4, seed=0)).ravel()[::97].tolist()
        print(name, out[name][-1], flush=True)
    Path(out_path).write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
