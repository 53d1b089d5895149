"""Evaluation while training: the EMA generator scored on a schedule, a metrics log, the best snapshot.

StyleGAN's ``metric-fid50k.jsonl`` and snapshot selection are the model. Every
``every_images`` images the trainer hands the :class:`Evaluator` its state:

* the shipped generator (the EMA copy), batch norm recalibrated as ``final/``'s
  is, draws ``n_samples`` images from fixed latents (seed :data:`EVAL_SEED`);
* ``zoo.metrics.protocol.evaluate_images`` scores them with the dataset's
  domain features against the test split: ``fid_domain_5k``,
  ``precision_domain_5k``, ``recall_domain_5k``, ``classes_covered_domain_5k``
  (names carry the sample budget);
* one JSON line goes to ``RUN/metrics.jsonl`` (step, images seen, training
  wall clock, seconds the evaluation took, the values) and the values to
  TensorBoard under ``eval/``;
* when the fid is the lowest so far (counting only rows from the step's
  ``steady_state_images`` on: ProGAN's at its final resolution), ``RUN/best/`` is replaced atomically by
  the generator, the discriminator and ``best.json`` (that line).

On ``--resume`` the log is read back (lines past the checkpoint, written by an
evaluation the checkpoint never saw, are dropped: the resumed run repeats
those steps exactly and evaluates them again), so the curve continues.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from zoo import atomic

METRICS_NAME = "metrics.jsonl"
BEST_DIR = "best"
EVAL_SEED = 2024  # latents of every evaluation: the curve compares the same z over time
GENERATE_BATCH = 500


def read_log(path: Path) -> list[dict]:
    """The rows of a ``metrics.jsonl`` (an absent file has none).

    Examples:
    >>> read_log(Path("no-such-run") / METRICS_NAME)
    []
    """
    path = Path(path)
    if not path.exists():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    rows = [json.loads(line) for line in lines[:-1]]
    if lines:
        try:
            rows.append(json.loads(lines[-1]))
        except ValueError:
            pass  # the last append was cut short (the process was killed): that evaluation is redone on --resume
    return rows


def read_best(best_dir) -> dict:
    """The ``best.json`` of a run's best snapshot (the log row it was saved at, plus ``metric``)."""
    return json.loads((Path(best_dir) / "best.json").read_text())


def fid_key(n_samples: int) -> str:
    """The fid's name at this budget: ``fid_domain_5k`` for 5,000 samples.

    Examples:
    >>> fid_key(5000), fid_key(2500)
    ('fid_domain_5k', 'fid_domain_2500')
    """
    from zoo.metrics.protocol import budget_tag

    return f"fid_domain_{budget_tag(n_samples)}"


def curve(rows: list[dict]) -> list[dict]:
    """The card's ``training_curve``: ``{images, step, fid_domain_<n>, precision, recall}`` per row.

    Examples:
    >>> curve([{"images": 64, "step": 1, "values": {"fid_domain_5k": 9.5, "precision_domain_5k": 0.5,
    ...                                               "recall_domain_5k": 0.25, "kid_domain_5k": 1.0}}])
    [{'images': 64, 'step': 1, 'fid_domain_5k': 9.5, 'precision': 0.5, 'recall': 0.25}]
    """
    out = []
    for r in rows:
        v = r["values"]
        point = {"images": r["images"], "step": r["step"]}
        point.update({k: x for k, x in v.items() if k.startswith("fid_domain_")})
        point["precision"] = next(x for k, x in v.items() if k.startswith("precision_domain_"))
        point["recall"] = next(x for k, x in v.items() if k.startswith("recall_domain_"))
        out.append(point)
    return out


class Evaluator:
    """Scores a run's EMA generator every ``every_images`` images (see the module docstring).

    Args:
        preset: the registry entry (its dataset picks the domain classifier).
        out_dir: the run folder (``metrics.jsonl``, ``best/``).
        every_images: images between evaluations (> 0).
        n_samples: generated images per evaluation.
        resume_images: images seen at the checkpoint being resumed (None: a new run).
        data_dir: dataset folder of the real test split (default ``$ZOO_DATA_DIR``).
        points: image counts evaluated besides the cadence (the step's ``evaluation_images``).
        best_from: images seen from which a row may become the best snapshot (the step's
            ``steady_state_images``: ProGAN's snapshots are chosen at the final resolution).
    """

    def __init__(self, preset, out_dir, every_images: int, n_samples: int = 5000,
                 resume_images: int | None = None, data_dir=None, points=(), best_from: int = 0):
        from zoo.metrics.protocol import preflight

        if every_images <= 0:
            raise ValueError(f"every_images must be > 0, got {every_images}")
        preflight(n_samples, "domain", preset.dataset, data_dir)  # clear errors before any training
        self.preset = preset
        self.out_dir = Path(out_dir)
        self.log_path = self.out_dir / METRICS_NAME
        self.every_images = int(every_images)
        self.n_samples = int(n_samples)
        self.data_dir = data_dir
        self.key = fid_key(self.n_samples)
        self.points = tuple(sorted(int(p) for p in points))
        self.best_from = int(best_from)
        self.rows = []
        if resume_images is not None:
            self.rows = [r for r in read_log(self.log_path) if r["images"] <= resume_images]
            atomic.write_text(self.log_path, "".join(json.dumps(r) + "\n" for r in self.rows))
        elif self.log_path.exists():
            self.log_path.unlink()  # a new run (--force) starts a new curve
        self._extractor = None
        self.seconds = sum(r["eval_s"] for r in self.rows)

    @property
    def best(self) -> dict | None:
        """The row with the lowest fid so far, among those at or past ``best_from`` images."""
        eligible = [r for r in self.rows if r["images"] >= self.best_from]
        return min(eligible, key=lambda r: r["values"][self.key], default=None)

    def due(self, images_seen: int) -> bool:
        """Whether an evaluation boundary (a multiple of ``every_images`` or one of ``points``)
        was crossed since the last evaluation."""
        last = self.rows[-1]["images"] if self.rows else 0
        return (images_seen // self.every_images > last // self.every_images
                or any(last < p <= images_seen for p in self.points))

    def summary(self, every_images: int, wall_clock_s: float) -> dict:
        """The run summary's ``evaluation`` block: cadence, count, time (and its share of the
        run's wall clock) and the best row."""
        best = self.best
        return {
            "every_images": every_images,
            "samples": self.n_samples,
            "evaluations": len(self.rows),
            "eval_s": round(self.seconds, 1),
            "eval_fraction_of_training": round(self.seconds / max(wall_clock_s, 1e-9), 4),
            "best": {"step": best["step"], "images": best["images"], **best["values"]} if best else None,
        }

    def evaluate(self, state, view_class, step: int, wall_clock_s: float, recalibrate, writer=None) -> dict:
        """Scores ``state.shipped_generator``; appends and returns the log row.

        ``view_class`` is the entry's ZooModel class (its latent sampling);
        ``recalibrate(model)`` sets the generator's batch-norm statistics as
        ``final/`` gets them.
        """
        from zoo.metrics.features import make_extractor
        from zoo.metrics.protocol import evaluate_images

        t0 = time.perf_counter()
        generator = state.shipped_generator
        recalibrate(generator)
        view = view_class(self.preset, generator, card={})
        images = view.generate(view.sample_latents(self.n_samples, EVAL_SEED), GENERATE_BATCH)
        if self._extractor is None:
            self._extractor = make_extractor("domain", self.preset.dataset)
        report = evaluate_images(images, self.preset.dataset, include_real=False, extractor=self._extractor,
                                 data_dir=self.data_dir, label="ema generator")
        values = {k: v for k, v in report["rows"][0]["values"].items()
                  if k.split("_domain_")[0] in ("fid", "precision", "recall", "classes_covered", "coverage_kl")}
        eval_s = time.perf_counter() - t0
        row = {"step": step, "images": state.images_seen, "wall_clock_s": round(wall_clock_s, 1),
               "eval_s": round(eval_s, 2), "values": values}
        is_best = state.images_seen >= self.best_from and (
            self.best is None or values[self.key] < self.best["values"][self.key])
        self.rows.append(row)
        self.seconds += eval_s
        with self.log_path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        if is_best:
            self._save_best(state, row)
        if writer is not None:
            import tensorflow as tf

            with writer.as_default(step=step):
                for k, v in values.items():
                    tf.summary.scalar(f"eval/{k}", v)
                tf.summary.scalar("eval/seconds", eval_s)
        return row

    def _save_best(self, state, row: dict) -> None:
        with atomic.replacing_dir(self.out_dir / BEST_DIR) as tmp:
            state.shipped_generator.save_weights(tmp / "generator.weights.h5")
            state.discriminator.save_weights(tmp / "discriminator.weights.h5")
            atomic.write_json(tmp / "best.json", {**row, "metric": self.key, "name": self.preset.name})


def plot_curve(points: list[dict], path, title: str, marks=(), marks_label: str = "phase ends") -> Path:
    """fid against images seen (log scale on both axes), the best point marked; written atomically.

    ``points`` is a card's ``training_curve`` (:func:`curve` of a run's log). ``marks``: image
    counts drawn as dotted vertical lines (a step's ``evaluation_images``: ProGAN's phase ends).

    Examples:
    >>> points = [{"images": i * 1000, "step": i, "fid_domain_5k": 100.0 / i} for i in (1, 2, 4)]
    >>> plot_curve(points, "curve.png", "demo").name
    'curve.png'
    """
    from zoo import figures

    if not points:
        raise ValueError("no evaluations to plot (train with --eval-every-kimg)")
    key = next(k for k in points[0] if k.startswith("fid_domain_"))
    x = np.array([p["images"] for p in points], float)
    y = np.array([p[key] for p in points], float)
    fig, ax = figures.new_axes(600, 380)
    ax.plot(x / 1000, y, marker="o", markersize=3, label=key)
    for i, m in enumerate(sorted(marks)):
        ax.axvline(m / 1000, linestyle=":", linewidth=0.9, color="0.55", label=marks_label if i == 0 else None)
    best = int(np.argmin(y))
    ax.plot([x[best] / 1000], [y[best]], marker="*", markersize=12, color="tab:red", linestyle="none",
            label=f"best {y[best]:.2f} at {x[best] / 1000:.0f}k")
    figures.style_axes(ax, title=title, xlabel="images seen (thousands)", ylabel=key)
    return figures.save_figure(fig, path)
