"""One training loop for every family, on any Keras backend.

Families supply a :class:`~zoo.training.step.GANStep` that draws latents and
computes the two losses; ``zoo.training.backends`` turns it and a
:class:`~zoo.training.state.TrainState` into a compiled step for the active
backend (the only backend-specific code); this module owns the run: data
order, checkpoints, logging, sample grids and ``final/``. The
input pipeline and TensorBoard logs use tf.data / tf.summary on every backend
(TensorFlow is always installed).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import keras
import numpy as np

from zoo import atomic, preset_dir
from zoo import card as card_lib
from zoo import data as data_lib
from zoo import images as images_lib
from zoo.errors import TrainingDivergedError, ZooError
from zoo.model import ZooModel
from zoo.training import checkpoint as ckpt_lib
from zoo.training import distribute
from zoo.training.backends import build_train_step
from zoo.training.config import TrainConfig, TrainConfigError  # noqa: F401 (public here too)
from zoo.training.ema import recalibrate_batchnorm
from zoo.training.environment import environment
from zoo.training.evaluation import Evaluator
from zoo.training.run_folder import RunFolder
from zoo.training.state import TrainState

GRID_SEED = 1234  # fixed latents for the per-epoch sample grid
RECALIBRATION_SEED = 4321
RECALIBRATION_SIZE = 2048

def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _is_finite(x: float) -> bool:
    return math.isfinite(x)


class Trainer:
    """Trains one registry entry.

    Args:
        preset: the registry entry (``zoo.registry.get_preset(name)``).
        config: a :class:`TrainConfig`.
        images: optional float32 (N, H, W, C) array in [-1, 1] to train on
            instead of the preset's dataset (tests use a few images).

    Attributes:
        state: the :class:`~zoo.training.state.TrainState` (networks, optimisers, RNG).
        gan_step: the family's :class:`~zoo.training.step.GANStep`.
        record: the JSON-able run record (step, wall clock, loss history) saved
            in every checkpoint.

    Examples:
    >>> import tempfile
    >>> from zoo.registry import tiny_preset
    >>> images = np.zeros((16, 28, 28, 1), "float32")
    >>> config = TrainConfig(out_dir=Path(tempfile.mkdtemp()) / "run", max_steps=2, progress=False)
    >>> summary = Trainer(tiny_preset("dcgan-mnist"), config, images=images).fit()
    >>> summary["steps"], summary["images_seen"]
    (2, 16)
    """

    def __init__(self, preset, config: TrainConfig, images: np.ndarray | None = None):
        import tensorflow as tf  # tf.data and tf.summary, whatever the Keras backend

        self.tf = tf
        self.preset = preset
        self.config = config
        self.recipe = preset.recipe
        if config.precision is not None:
            self.recipe = dataclasses.replace(self.recipe, precision=config.precision)
        self.batch_size = config.batch_size if config.batch_size is not None else self.recipe.batch_size
        self.epochs = config.epochs if config.epochs is not None else self.recipe.epochs
        self.out_dir = Path(config.out_dir)
        self.checkpoint_path = self.out_dir / ckpt_lib.CHECKPOINT_NAME
        # First, before anything initialises TensorFlow (multi-worker needs that).
        self.strategy = distribute.make_strategy(config.strategy)
        self.replicas = distribute.num_replicas(self.strategy)
        distribute.check_global_batch(self.batch_size, self.strategy)
        # The run folder is the chief's: a cluster's other workers write to scratch folders (below)
        # and must not trip over the chief's manifest and lock.
        self._chief = distribute.is_chief(self.strategy)
        self.run_folder = RunFolder(self.out_dir)
        if self._chief:
            self.run_folder.check(config.resume, config.force, preset.name)  # refusals that only read
        self._saved_step = None  # step of the checkpoint on disk that this run wrote or resumed
        if config.resume:
            self._check_resume(ckpt_lib.read_state(self.checkpoint_path))
        if self._chief:
            self.run_folder.lock()
        try:
            self._setup(preset, config, images)
        except BaseException:
            self.run_folder.release()
            raise

    def _setup(self, preset, config: TrainConfig, images) -> None:
        """The rest of __init__, under the run-folder lock."""
        if images is None:
            raw, _ = data_lib.load_arrays(preset.dataset, "train", config.data_dir)
            images = data_lib.to_float_images(raw, preset.pad_to)
        self.images = np.asarray(images, np.float32)
        self.steps_per_epoch = len(self.images) // self.batch_size
        if self.steps_per_epoch == 0:
            raise ZooError(f"{len(self.images)} images are fewer than one batch of {self.batch_size}")
        self.total_steps = self.epochs * self.steps_per_epoch
        if config.max_steps is not None:
            self.total_steps = min(self.total_steps, config.max_steps)
        if config.eval_every_images is not None:
            self.eval_every_images = config.eval_every_images
        else:
            self.eval_every_images = round(1000 * (self.recipe.eval_every_kimg or 0))

        self.state = TrainState.create(preset, self.batch_size, self.strategy, recipe=self.recipe)
        self.gan_step = preset.step.from_preset(preset)
        # A view of the generator with the family's latent sampling, for grids and recalibration.
        self.view = (preset.model_class or ZooModel)(preset, self.state.generator, card={})
        run_info = {"batch_size": self.batch_size, "precision": self.recipe.precision}
        self.record = {"step": 0, "wall_clock_s": 0.0, "history": [], "run": run_info}
        if config.resume:
            self.record = ckpt_lib.load(self.checkpoint_path, self.state.checkpoint_groups())
            self.record.setdefault("run", run_info)  # checkpoints written before it was recorded
            self._saved_step = self.step
        if self._chief:
            # The last check before the first write: --force deletes the old run's outputs here.
            self.run_folder.start(name=preset.name, batch_size=self.batch_size, precision=self.recipe.precision,
                                  resume=config.resume, force=config.force)
        self.evaluator = None
        if not self._chief:
            # A multi-worker cluster's other workers run the same loop but write to scratch.
            self.out_dir = Path(tempfile.mkdtemp(prefix="gan-zoo-worker-"))
            self.checkpoint_path = self.out_dir / ckpt_lib.CHECKPOINT_NAME
        elif self.eval_every_images:
            self.evaluator = Evaluator(preset, self.out_dir, self.eval_every_images, config.eval_samples,
                                       resume_images=self.state.images_seen if config.resume else None,
                                       data_dir=config.data_dir, points=self.gan_step.evaluation_images(),
                                       best_from=self.gan_step.steady_state_images())
        self.train_step = None  # set by prepare_step() to the compiled step of the current graph key
        self._compiled = {}  # graph key -> compiled step (ProGAN's phases, lazy R1's two graphs)
        self._graph_key = object()  # equal to no key, so the first prepare_step() selects one

    # -- setup helpers -------------------------------------------------------
    def _check_resume(self, state: dict) -> None:
        """Refuses to continue a checkpoint with another batch size or precision than it was
        written with: the data order, step count and optimiser state would silently disagree."""
        run = state.get("run") or {}
        wanted = {"batch_size": (self.batch_size, "--batch-size", "batch size"),
                  "precision": (self.recipe.precision, "--precision", "precision")}
        for key, (ours, flag, words) in wanted.items():
            theirs = run.get(key)
            if theirs is not None and theirs != ours:
                raise ZooError(f"--resume: {self.checkpoint_path} was written with {words} {theirs}, not {ours}; "
                               f"pass {flag} {theirs} to continue it")

    def close(self) -> None:
        """Releases the run folder (``fit`` does it when it returns or fails)."""
        self.run_folder.release()

    def _last_good(self) -> str:
        if not self.checkpoint_path.exists():
            return "no checkpoint had been written yet"
        at = f" (step {self._saved_step})" if self._saved_step is not None else ""
        return f"the last good checkpoint {self.checkpoint_path}{at} is intact; --resume continues from it"

    # -- the compiled step ---------------------------------------------------
    def prepare_step(self, images_seen: int | None = None) -> None:
        """Runs the step's ``on_images`` hook and selects the compiled step of
        its graph key, building it the first time (ProGAN's growth phases,
        lazy R1's steps with and without the penalty).

        The loop calls it before every step with the images seen so far;
        ``images_seen`` sets another point of the schedule.
        """
        seen = self.state.images_seen if images_seen is None else images_seen
        key = self.gan_step.on_images(seen, self.state)
        if key == self._graph_key:
            return
        if key not in self._compiled:
            self._compiled[key] = build_train_step(self.gan_step, self.state, recipe=self.recipe,
                                                   jit_compile=self.config.jit_compile, strategy=self.strategy)
        self._graph_key, self.train_step = key, self._compiled[key]

    def run_step(self, real) -> dict:
        """One training step on the batch ``real``: :meth:`prepare_step`, then the compiled step."""
        self.prepare_step()
        return self.train_step(real)

    # -- helpers used at epoch ends and at the end ---------------------------
    @property
    def step(self) -> int:
        return self.state.step

    def _latents(self, n: int, seed: int):
        return self.view.sample_latents(n, seed)

    def _recalibrate(self, model) -> None:
        recalibrate_batchnorm(model, self._latents(RECALIBRATION_SIZE, RECALIBRATION_SEED))

    def _grid(self, model) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(self._latents(64, GRID_SEED), training=False))

    def save_checkpoint(self) -> None:
        """Writes the checkpoint, unless a variable is NaN or Inf: then training stops
        (TrainingDivergedError) and the previous checkpoint stays."""
        self.record["step"] = self.step
        try:
            ckpt_lib.save(self.checkpoint_path, self.state.checkpoint_groups(), self.record)
        except ckpt_lib.NonFiniteCheckpointError as e:
            raise TrainingDivergedError(f"the weights diverged by step {self.step} ({e}); stopped, "
                                        f"{self._last_good()}") from None
        self._saved_step = self.step

    # -- the loop --------------------------------------------------------------
    def fit(self) -> dict:
        """Trains to the end (or Ctrl-C / SIGTERM: checkpoint, then KeyboardInterrupt); returns the summary."""
        if self._chief and not self.run_folder.locked:  # a second fit() of the same trainer
            self.run_folder.lock()
        try:
            return self._fit()
        finally:
            self.run_folder.release()

    def _fit(self) -> dict:
        tf = self.tf
        cfg = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        writer = tf.summary.create_file_writer(str(self.out_dir / "tensorboard")) if cfg.tensorboard else None
        progress = None
        if cfg.progress:
            from tqdm.auto import tqdm

            progress = tqdm(
                total=self.total_steps,
                initial=self.step,
                unit="step",
                desc=self.preset.name,
                mininterval=0.5 if sys.stderr.isatty() else 30,
                dynamic_ncols=True,
            )
        start_step = self.step
        # SIGTERM (a scheduler's pre-emption, `kill`) checkpoints like Ctrl-C does.
        restore_sigterm = None
        if threading.current_thread() is threading.main_thread():
            restore_sigterm = signal.signal(signal.SIGTERM, _interrupt)
        t_start = time.perf_counter()
        t_timed, timed_steps, compile_s, eval_s = None, 0, None, 0.0
        window = []
        try:
            while self.step < self.total_steps:
                epoch, skip = divmod(self.step, self.steps_per_epoch)
                ds = data_lib.images_dataset(self.images, self.batch_size, seed=self.recipe.seed + epoch,
                                             skip_batches=skip)
                for real in ds:
                    self.prepare_step()
                    t0 = time.perf_counter()
                    losses = self.train_step(real)
                    values = {k: float(v) for k, v in losses.items()}
                    if compile_s is None:
                        compile_s = time.perf_counter() - t0
                        t_timed = time.perf_counter()
                    else:
                        timed_steps += 1
                    step = self.step
                    bad = [k for k, v in values.items() if not _is_finite(v)]
                    if bad:
                        raise TrainingDivergedError(
                            f"{', '.join(bad)} became {values[bad[0]]} at step {step}; stopped, {self._last_good()}"
                        )
                    window.append(values)
                    if step % cfg.log_every == 0 or step == self.total_steps:
                        # A key logged on some steps only (lazy R1's penalty) averages over those.
                        keys = dict.fromkeys(k for w in window for k in w)
                        mean = {k: float(np.mean([w[k] for w in window if k in w])) for k in keys}
                        window = []
                        ips = timed_steps * self.batch_size / max(time.perf_counter() - t_timed, 1e-9)
                        self.record["history"].append({"step": step, **mean, "images_per_s": ips})
                        if writer is not None:
                            with writer.as_default(step=step):
                                for k, v in mean.items():
                                    tf.summary.scalar(k, v)
                                tf.summary.scalar("images_per_s", ips)
                        if progress is not None:
                            progress.set_postfix(
                                {**{k: f"{v:.3f}" for k, v in mean.items()}, "img/s": f"{ips:.0f}"}, refresh=False
                            )
                    if progress is not None:
                        progress.update(1)
                    if step % cfg.checkpoint_every == 0:
                        self._add_wall_clock(t_start)
                        t_start = time.perf_counter()
                        self.save_checkpoint()
                    if self.evaluator is not None and self.evaluator.due(self.state.images_seen):
                        self._add_wall_clock(t_start)
                        eval_s += self._evaluate(writer, progress)
                        t_start = time.perf_counter()
                    if step >= self.total_steps:
                        break
                if self.step % self.steps_per_epoch == 0:
                    self._end_of_epoch(self.step // self.steps_per_epoch, writer)
                    self._add_wall_clock(t_start)
                    t_start = time.perf_counter()
                    self.save_checkpoint()
        except KeyboardInterrupt:
            self._add_wall_clock(t_start)
            self.save_checkpoint()
            if progress is not None:
                progress.close()
            raise
        except BaseException:
            if writer is not None:
                writer.close()
            raise
        finally:
            if progress is not None:
                progress.close()
            if restore_sigterm is not None:
                signal.signal(signal.SIGTERM, restore_sigterm)
        self._add_wall_clock(t_start)
        try:  # the end of the run is on the curve too (its TensorBoard row included: close the writer after)
            if (self.evaluator is not None and self.step >= self.total_steps and self.evaluator.rows
                    and self.evaluator.rows[-1]["images"] < self.state.images_seen):
                eval_s += self._evaluate(writer, progress=None)
        finally:
            if writer is not None:
                writer.close()
        self.save_checkpoint()
        ips = (timed_steps * self.batch_size / (time.perf_counter() - t_timed - eval_s)) if timed_steps else None
        summary = {
            "steps": self.step,
            "steps_this_run": self.step - start_step,
            "images_seen": self.step * self.batch_size,
            "epochs": self.step / self.steps_per_epoch,
            "wall_clock_s": round(self.record["wall_clock_s"], 1),
            "train_images_per_s_this_run": round(ips, 1) if ips else None,
            "first_step_compile_s": round(compile_s, 2) if compile_s else None,
            "final_losses": self.record["history"][-1] if self.record["history"] else None,
        }
        if self.evaluator is not None:
            summary["evaluation"] = self.evaluator.summary(self.eval_every_images, self.record["wall_clock_s"])
        self.record["summary"] = summary
        if self.step >= self.total_steps:
            self._write_final(summary)
        if not distribute.is_chief(self.strategy):
            shutil.rmtree(self.out_dir, ignore_errors=True)  # the scratch folder (see __init__)
        return summary

    def _evaluate(self, writer, progress) -> float:
        """One evaluation of the EMA generator (zoo.training.evaluation); returns its seconds."""
        t0 = time.perf_counter()
        row = self.evaluator.evaluate(self.state, self.preset.model_class or ZooModel, self.step,
                                      self.record["wall_clock_s"], self._recalibrate, writer)
        if progress is not None:
            shown = ", ".join(f"{k.split('_domain_')[0]} {v:.3g}" for k, v in row["values"].items())
            progress.write(f"{self.preset.name} at {row['images']:,} images: {shown} ({row['eval_s']:.1f} s)")
        return time.perf_counter() - t0

    def _add_wall_clock(self, t_start: float) -> None:
        self.record["wall_clock_s"] += time.perf_counter() - t_start

    def _end_of_epoch(self, epoch: int, writer) -> None:
        model = self.state.shipped_generator
        if self.state.ema is not None:
            self._recalibrate(self.state.ema)
        grid = self._grid(model)
        images_lib.save_png(grid, self.out_dir / "samples" / f"epoch_{epoch:03d}.png")
        if writer is not None:
            with writer.as_default(step=self.step):
                self.tf.summary.image("samples", (grid[:16] + 1) / 2, max_outputs=16)

    def _write_final(self, summary: dict) -> None:
        """final/: shipped generator, live generator, discriminator, grids, run card, and the
        preset folder's config.json, so that ``zoo.load(RUN/final)`` loads it (zoo.preset_dir).

        Staged and moved into place whole (zoo.atomic.replacing_dir): a kill while
        writing leaves the previous final/ (or none), never a half-written file.
        """
        with atomic.replacing_dir(self.out_dir / "final") as final:
            self._write_final_into(final, summary)

    def _write_final_into(self, final: Path, summary: dict) -> None:
        live = self.preset.generator(**self.preset.generator_config, name="generator_live")
        live.set_weights(self.state.generator.get_weights())
        self._recalibrate(live)
        if self.state.ema is not None:
            self._recalibrate(self.state.ema)
        # Without an EMA the float32 copy ships (under mixed precision the live one computes in bfloat16).
        shipped = self.state.ema if self.state.ema is not None else live
        for tag, model in (("generator", shipped), ("generator_live", live)):
            model.save_weights(final / f"{tag}.weights.h5")
            images_lib.save_png(self._grid(model), final / f"{tag}_samples.png", ncols=8)
        self.state.discriminator.save_weights(final / "discriminator.weights.h5")
        card = card_lib.run_card(
            self.preset,
            train_images=len(self.images),
            recipe={**self.recipe.to_dict(), "batch_size": self.batch_size, "epochs": self.epochs},
            step={"class": type(self.gan_step).__name__, **self.gan_step.get_config()},
            shipped_generator="ema" if self.state.ema is not None else "live",
            batchnorm_statistics=f"recalibrated on {RECALIBRATION_SIZE} latents (seed {RECALIBRATION_SEED})",
            generator_params=int(self.state.generator.count_params()),
            discriminator_params=int(self.state.discriminator.count_params()),
            strategy=self.config.strategy,
            replicas=self.replicas,
            xla=self.config.jit_compile,
            run=summary,
            environment=environment(),
        )
        card_lib.write_run_card(final / "run_card.json", card)
        preset_dir.write_config(final, self.preset, "run_card.json", recipe=card["recipe"])  # zoo.load(final)
