"""One training loop for every family, on any Keras backend.

Families supply a step object (``zoo.training.step``) that draws latents and
computes the two losses; ``zoo.training.backends`` turns it into a compiled
step for the active backend (the only backend-specific code); this module owns
the optimisers, the generator EMA, checkpoints, logging and sample grids. The
input pipeline and TensorBoard logs use tf.data / tf.summary on every backend
(TensorFlow is always installed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import keras
import numpy as np

from zoo import data as data_lib
from zoo import images as images_lib
from zoo.errors import TrainingDivergedError, ZooError
from zoo.model import ZooModel, build
from zoo.training import backends, distribute
from zoo.training import checkpoint as ckpt_lib
from zoo.training.ema import recalibrate_batchnorm

GRID_SEED = 1234  # fixed latents for the per-epoch sample grid
RECALIBRATION_SEED = 4321
RECALIBRATION_SIZE = 2048


@dataclasses.dataclass
class TrainConfig:
    """Run options (the architecture and optimiser come from the preset's recipe)."""

    out_dir: Path
    data_dir: str | None = None
    epochs: int | None = None  # None: the recipe's
    batch_size: int | None = None  # None: the recipe's
    max_steps: int | None = None  # stop early after this many steps in total
    checkpoint_every: int = 500
    log_every: int = 25
    resume: bool = False
    force: bool = False
    progress: bool = True
    tensorboard: bool = True
    jit_compile: bool = False
    strategy: str | None = None  # zoo.training.distribute.STRATEGIES; None: one device


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

    Examples:
    >>> t = Trainer(get_preset("dcgan-mnist"), TrainConfig(out_dir=Path("runs/x"), epochs=1))
    >>> summary = t.fit()
    """

    def __init__(self, preset, config: TrainConfig, images: np.ndarray | None = None):
        import tensorflow as tf  # tf.data and tf.summary, whatever the Keras backend

        self.tf = tf
        self.preset = preset
        self.config = config
        self.recipe = preset.recipe
        self.batch_size = config.batch_size or self.recipe.batch_size
        self.epochs = config.epochs if config.epochs is not None else self.recipe.epochs
        self.out_dir = Path(config.out_dir)
        self.checkpoint_path = self.out_dir / ckpt_lib.CHECKPOINT_NAME
        self._check_out_dir()
        # First, before anything initialises TensorFlow (multi-worker needs that).
        self.strategy = distribute.make_strategy(config.strategy)
        self.replicas = distribute.num_replicas(self.strategy)
        if self.batch_size % self.replicas:
            raise ZooError(f"the global batch of {self.batch_size} does not divide into {self.replicas} replicas "
                           f"of --strategy {config.strategy}; pass a --batch-size that is a multiple of "
                           f"{self.replicas}")

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

        keras.utils.set_random_seed(self.recipe.seed)
        # Every variable the step touches is created under the strategy (optimisers
        # included: they cannot create their slots later, inside a replica).
        with self.strategy.scope() if self.strategy is not None else contextlib.nullcontext():
            self.generator, self.discriminator = build(preset)
            self.ema = None
            if self.recipe.ema_decay:
                self.ema = preset.generator(**preset.generator_config, name="generator_ema")
                self.ema.set_weights(self.generator.get_weights())
            r = self.recipe
            eps = r.adam_epsilon
            self.g_opt = keras.optimizers.Adam(r.g_learning_rate, beta_1=r.beta_1, beta_2=r.beta_2, epsilon=eps)
            self.d_opt = keras.optimizers.Adam(r.d_learning_rate, beta_1=r.beta_1, beta_2=r.beta_2, epsilon=eps)
            self.g_opt.build(self.generator.trainable_variables)
            self.d_opt.build(self.discriminator.trainable_variables)
            self.seed_generator = keras.random.SeedGenerator(r.seed)
        self.step_logic = preset.step.from_preset(preset)
        # A view of the generator with the family's latent sampling, for grids and recalibration.
        self.view = (preset.model_class or ZooModel)(preset, self.generator, card={})
        self.state = {"step": 0, "wall_clock_s": 0.0, "history": []}
        if config.resume:
            self.state = ckpt_lib.load(self.checkpoint_path, self._groups())
        if not distribute.is_chief(self.strategy):
            # A multi-worker cluster's other workers run the same loop but write to scratch.
            self.out_dir = Path(tempfile.mkdtemp(prefix="gan-zoo-worker-"))
            self.checkpoint_path = self.out_dir / ckpt_lib.CHECKPOINT_NAME
        self._train_step = backends.build_train_step(self, config.jit_compile, strategy=self.strategy)
        self._graph_key = None  # see _before_step

    # -- setup helpers -------------------------------------------------------
    def _check_out_dir(self) -> None:
        exists = self.checkpoint_path.exists()
        if self.config.resume and not exists:
            raise ZooError(f"--resume: no checkpoint at {self.checkpoint_path}")
        if exists and not (self.config.resume or self.config.force):
            raise ZooError(
                f"{self.out_dir} already holds a checkpoint; pass --resume to continue it "
                f"or --force to start over"
            )

    def _groups(self) -> dict:
        groups = {
            "generator": self.generator.variables,
            "discriminator": self.discriminator.variables,
            "g_opt": self.g_opt.variables,
            "d_opt": self.d_opt.variables,
            "seed": [self.seed_generator.state],
        }
        if self.ema is not None:
            groups["ema"] = self.ema.variables
        return groups

    # -- the compiled step ---------------------------------------------------
    def _before_step(self) -> None:
        self.enter_phase(self.step * self.batch_size)

    def enter_phase(self, images_seen: int) -> None:
        """Runs the step object's optional schedule hook (ProGAN's growth phase).

        A step object with ``on_step(step, images_seen, models)`` may change the
        models' state (eagerly) before each compiled step; it returns a hashable
        graph key, and a new key recompiles the step (the graph depends on it).
        The trainer calls this before every step; benchmarks call it to time a
        given phase.
        """
        hook = getattr(self.step_logic, "on_step", None)
        if hook is None:
            return
        models = {"generator": self.generator, "discriminator": self.discriminator, "ema": self.ema}
        key = hook(self.step, images_seen, models)
        if key != self._graph_key:
            self._graph_key = key
            self._train_step = backends.build_train_step(self, self.config.jit_compile, strategy=self.strategy)

    # -- helpers used at epoch ends and at the end ---------------------------
    @property
    def step(self) -> int:
        # The optimiser's counter is updated inside the compiled step, so it is
        # right even if Ctrl-C lands between the step and our bookkeeping.
        return int(self.g_opt.iterations.numpy())

    def shipped_generator(self):
        """The generator to publish: the EMA copy when the recipe keeps one."""
        return self.ema if self.ema is not None else self.generator

    def _latents(self, n: int, seed: int):
        return self.view.sample_latents(n, seed)

    def _recalibrate(self, model) -> None:
        recalibrate_batchnorm(model, self._latents(RECALIBRATION_SIZE, RECALIBRATION_SEED))

    def _grid(self, model) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(self._latents(64, GRID_SEED), training=False))

    def save_checkpoint(self) -> None:
        self.state["step"] = self.step
        ckpt_lib.save(self.checkpoint_path, self._groups(), self.state)

    # -- the loop --------------------------------------------------------------
    def fit(self) -> dict:
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
        t_timed, timed_steps, compile_s = None, 0, None
        window = []
        try:
            while self.step < self.total_steps:
                epoch, skip = divmod(self.step, self.steps_per_epoch)
                ds = tf.data.Dataset.from_tensor_slices(self.images)
                ds = ds.shuffle(len(self.images), seed=self.recipe.seed + epoch, reshuffle_each_iteration=False)
                ds = ds.batch(self.batch_size, drop_remainder=True).skip(skip).prefetch(tf.data.AUTOTUNE)
                for real in ds:
                    self._before_step()
                    t0 = time.perf_counter()
                    losses = self._train_step(real)
                    values = {k: float(v) for k, v in losses.items()}
                    if compile_s is None:
                        compile_s = time.perf_counter() - t0
                        t_timed = time.perf_counter()
                    else:
                        timed_steps += 1
                    step = self.step
                    bad = [k for k, v in values.items() if not _is_finite(v)]
                    if bad:
                        where = (
                            f"the last good checkpoint {self.checkpoint_path} is intact"
                            if self.checkpoint_path.exists()
                            else "no checkpoint had been written yet"
                        )
                        raise TrainingDivergedError(
                            f"{', '.join(bad)} became {values[bad[0]]} at step {step}; stopped, {where}"
                        )
                    window.append(values)
                    if step % cfg.log_every == 0 or step == self.total_steps:
                        mean = {k: float(np.mean([w[k] for w in window])) for k in values}
                        window = []
                        ips = timed_steps * self.batch_size / max(time.perf_counter() - t_timed, 1e-9)
                        self.state["history"].append({"step": step, **mean, "images_per_s": ips})
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
        finally:
            if progress is not None:
                progress.close()
            if writer is not None:
                writer.close()
            if restore_sigterm is not None:
                signal.signal(signal.SIGTERM, restore_sigterm)
        self._add_wall_clock(t_start)
        self.save_checkpoint()
        ips = timed_steps * self.batch_size / (time.perf_counter() - t_timed) if timed_steps else None
        summary = {
            "steps": self.step,
            "steps_this_run": self.step - start_step,
            "images_seen": self.step * self.batch_size,
            "epochs": self.step / self.steps_per_epoch,
            "wall_clock_s": round(self.state["wall_clock_s"], 1),
            "train_images_per_s_this_run": round(ips, 1) if ips else None,
            "first_step_compile_s": round(compile_s, 2) if compile_s else None,
            "final_losses": self.state["history"][-1] if self.state["history"] else None,
        }
        self.state["summary"] = summary
        if self.step >= self.total_steps:
            self._write_final(summary)
        if not distribute.is_chief(self.strategy):
            shutil.rmtree(self.out_dir, ignore_errors=True)  # the scratch folder (see __init__)
        return summary

    def _add_wall_clock(self, t_start: float) -> None:
        self.state["wall_clock_s"] += time.perf_counter() - t_start

    def _end_of_epoch(self, epoch: int, writer) -> None:
        model = self.shipped_generator()
        if self.ema is not None:
            self._recalibrate(self.ema)
        grid = self._grid(model)
        images_lib.save_png(grid, self.out_dir / "samples" / f"epoch_{epoch:03d}.png")
        if writer is not None:
            with writer.as_default(step=self.step):
                self.tf.summary.image("samples", (grid[:16] + 1) / 2, max_outputs=16)

    def _write_final(self, summary: dict) -> None:
        """final/: shipped generator, live generator, discriminator, grids, run card."""
        final = self.out_dir / "final"
        final.mkdir(parents=True, exist_ok=True)
        live = self.preset.generator(**self.preset.generator_config, name="generator_live")
        live.set_weights(self.generator.get_weights())
        self._recalibrate(live)
        if self.ema is not None:
            self._recalibrate(self.ema)
        for tag, model in (("generator", self.shipped_generator()), ("generator_live", live)):
            model.save_weights(final / f"{tag}.weights.h5")
            images_lib.save_png(self._grid(model), final / f"{tag}_samples.png", ncols=8)
        self.discriminator.save_weights(final / "discriminator.weights.h5")
        card = {
            "name": self.preset.name,
            "family": self.preset.family,
            "dataset": self.preset.dataset,
            "train_images": len(self.images),
            "recipe": {**self.recipe.to_dict(), "batch_size": self.batch_size, "epochs": self.epochs},
            "generator_config": self.preset.generator_config,
            "discriminator_config": self.preset.discriminator_config,
            "step": {"class": type(self.step_logic).__name__, **self.step_logic.get_config()},
            "shipped_generator": "ema" if self.ema is not None else "live",
            "batchnorm_statistics": f"recalibrated on {RECALIBRATION_SIZE} latents (seed {RECALIBRATION_SEED})",
            "generator_params": int(self.generator.count_params()),
            "discriminator_params": int(self.discriminator.count_params()),
            "strategy": self.config.strategy,
            "replicas": self.replicas,
            "xla": self.config.jit_compile,
            "run": summary,
            "environment": environment(),
        }
        (final / "run_card.json").write_text(json.dumps(card, indent=2, default=str) + "\n")


def environment() -> dict:
    import tensorflow as tf

    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": "cpu" if not tf.config.list_physical_devices("GPU") else "gpu",
        "cpu": _cpu_name(),
        "cpu_count": __import__("os").cpu_count(),
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
