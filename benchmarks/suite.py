"""Plans the cases of a run, runs them with a progress bar, and writes the results.

Order: matmul peaks, FLOP counts, the zoo/reference loss-trajectory check
(full runs), train-step cases, then inference cases entry by entry. A case
that fails becomes an ``error`` record and the run goes on; an unsupported
one (float16 on a CPU, bfloat16 without native support, export on JAX)
becomes ``skipped``.

Mixed precision: ``--mixed-precision`` times every train case again under
``mixed_bfloat16`` where the device computes bfloat16 natively
(``env.bf16_support``: a CPU with avx512_bf16 / amx_bf16, or an Ampere or
newer GPU) and under ``mixed_float16`` on a GPU. A full run always adds the
zoo's bfloat16 step for the tutorial's entry at the tutorial's batch (where
supported), so the report has the issue's ratio of the zoo's bfloat16 step to
the tutorial's float32 loop from the same run.
"""

from __future__ import annotations

import dataclasses
import datetime
import tempfile
import time
from pathlib import Path

from benchmarks import env, flops as flops_lib, infer_bench, peak, plots, report, train_bench
from zoo import atomic

REFERENCE_ENTRY = "dcgan-mnist"  # the tutorial's architecture
INFER_BATCHES, QUICK_INFER_BATCHES = (1, 8, 64, 256), (1, 8)
TRAIN_SWEEP, QUICK_TRAIN_BATCHES = (32, 128, 256, 512), (16,)
TIMING = {
    ("train", False): dict(warmup=2, min_iters=5, max_iters=30, min_time_s=8.0, max_time_s=60.0),
    ("train", True): dict(warmup=1, min_iters=3, max_iters=3, min_time_s=0.0),
    ("infer", False): dict(warmup=3, min_iters=10, max_iters=2000, min_time_s=1.5, max_time_s=20.0),
    ("infer", True): dict(warmup=1, min_iters=3, max_iters=10, min_time_s=0.05),
}
BATCH1_MIN_ITERS = 100  # p99 of batch-1 latency needs at least 100 calls (unless they take over max_time_s)


@dataclasses.dataclass
class SuiteConfig:
    """What to run (None fields take the defaults of full or ``quick`` mode).

    Attributes:
        names: registry entries; None: all (quick: ``dcgan-mnist``).
        what: ``("train", "infer")`` or one of them.
        runtimes: inference runtimes (see ``infer_bench.RUNTIMES``).
        batch_sizes: inference batch sizes; None: 1, 8, 64, 256 (quick: 1, 8).
        train_batch_sizes: None: the recipe's plus 32, 128, 256, 512 (quick: 16).
        xla: True / False for XLA on / off only; None: both (quick: off).
        mixed_precision: add mixed_bfloat16 train cases (where bfloat16 is native) and
            mixed_float16 ones (GPU only).
        quick: few timed steps and small batches, a smoke test of the whole suite.
        progress: show a progress bar.
    """

    names: list | None = None
    what: tuple = ("train", "infer")
    runtimes: tuple = infer_bench.RUNTIMES
    batch_sizes: tuple | None = None
    train_batch_sizes: tuple | None = None
    xla: bool | None = None
    mixed_precision: bool = False
    quick: bool = False
    progress: bool = True

    def resolved(self) -> "SuiteConfig":
        """A copy with the defaults filled in and every value checked (ValueError / KeyError on bad ones)."""
        from zoo import list_models
        from zoo.registry import get_preset

        bad = [w for w in self.what if w not in report.KINDS]
        if bad or not self.what:
            raise ValueError(f"unknown --what {', '.join(bad) or '(none)'}; valid: {', '.join(report.KINDS)}")
        names = list(self.names) if self.names else ([REFERENCE_ENTRY] if self.quick else list_models())
        for n in names:
            get_preset(n)  # an unknown name fails here, before any timing
        for sizes in (self.batch_sizes, self.train_batch_sizes):
            if sizes is not None and (not sizes or min(sizes) < 1):
                raise ValueError(f"batch sizes must be positive integers, got {list(sizes)}")
        return dataclasses.replace(
            self, names=names, runtimes=infer_bench.check_runtimes(self.runtimes),
            batch_sizes=tuple(self.batch_sizes or (QUICK_INFER_BATCHES if self.quick else INFER_BATCHES)),
            xla=self.xla if self.xla is not None else (False if self.quick else None),
        )

    def xla_modes(self) -> list[bool]:
        return [False, True] if self.xla is None else [self.xla]

    def train_batches(self, preset) -> list[int]:
        if self.train_batch_sizes:
            return sorted(set(self.train_batch_sizes))
        return list(QUICK_TRAIN_BATCHES) if self.quick else sorted({preset.recipe.batch_size, *TRAIN_SWEEP})


def mixed_policies(requested: bool, gpu: bool, bf16: dict) -> tuple[list, list]:
    """``(policies, skipped)``: the mixed policies to time besides float32, and why others are not.

    ``requested``: ``--mixed-precision``; ``bf16``: :func:`benchmarks.env.bf16_support`'s answer.

    Examples:
    >>> mixed_policies(True, False, {"supported": True, "why": "CPU flags avx512_bf16"})
    (['mixed_bfloat16'], ['mixed_float16: CPUs lack fast float16 kernels (GPU only)'])
    >>> mixed_policies(True, True, {"supported": False, "why": "compute capability 7.0"})
    (['mixed_float16'], ['mixed_bfloat16: compute capability 7.0'])
    >>> mixed_policies(False, True, {"supported": True, "why": ""})
    ([], [])
    """
    if not requested:
        return [], []
    policies, skipped = [], []
    if gpu:
        policies.append("mixed_float16")
    else:
        skipped.append("mixed_float16: CPUs lack fast float16 kernels (GPU only)")
    if bf16["supported"]:
        policies.append("mixed_bfloat16")
    else:
        skipped.append(f"mixed_bfloat16: {bf16['why']}")
    return policies, skipped


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuses a folder that already holds results unless ``force``."""
    existing = [p for p in ("results.json", "results.md") if (Path(out_dir) / p).exists()]
    if existing and not force:
        raise FileExistsError(f"{out_dir} already holds {', '.join(existing)}; pass --force to overwrite")


def _error_reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]


class _Run:
    """State of one run: the environment, peaks and FLOPs every record refers to."""

    def __init__(self, config: SuiteConfig):
        self.config = config
        self.env = env.environment()
        self.backend, self.gpu = self.env["backend"], self.env["device"] == "gpu"
        self.records = []

    def record(self, kind, entry, case, fields=None, error=None, skipped=None, **extra):
        status = "error" if error else "skipped" if skipped else "ok"
        reason = _error_reason(error) if error else skipped
        rec = report.new_record(kind, entry, case, self.env, status=status, reason=reason, **extra, **(fields or {}))
        self.records.append(rec)
        return rec

    def xla_modes(self) -> list:
        """XLA on/off is a TensorFlow choice; JAX always compiles with XLA, PyTorch runs eagerly."""
        return {"tensorflow": self.config.xla_modes(), "jax": [True]}.get(self.backend, [False])

    def train_cases(self, flops, peaks) -> list:
        """Callables, one per train case, so the progress bar knows the total up front."""
        from zoo.registry import get_preset

        cfg, cases = self.config, []
        bf16 = env.bf16_support()
        mixed, skipped = mixed_policies(cfg.mixed_precision, self.gpu, bf16)
        policies = [None] + mixed
        for name in cfg.names:
            preset = get_preset(name)
            for reason in skipped:
                cases.append(lambda name=name, reason=reason: self.record(
                    "train", name, f"train {name} {reason.split(':')[0]}", impl="zoo", skipped=reason))
            jobs = [("zoo", b, x, p) for b in cfg.train_batches(preset) for x in self.xla_modes() for p in policies]
            if name == REFERENCE_ENTRY and self.backend == "tensorflow":  # the tutorial loop is TensorFlow code
                ref_batch = min(cfg.train_batches(preset)) if cfg.quick else 256
                jobs.append(("reference", ref_batch, False, None))
                # The target: the zoo's bfloat16 step against the tutorial's float32 loop, same run.
                if not cfg.quick and "mixed_bfloat16" not in policies:
                    if bf16["supported"]:
                        jobs += [("zoo", ref_batch, x, "mixed_bfloat16") for x in self.xla_modes()]
                    else:
                        cases.append(lambda name=name: self.record(
                            "train", name, f"train {name} zoo bfloat16", impl="zoo",
                            skipped=f"the bfloat16 step is timed where bfloat16 is native: {bf16['why']}"))
            for impl, b, x, p in jobs:
                case = f"train {name} {impl} b{b} {'xla' if x else 'no-xla'} {p or 'float32'}"
                peak_g = peaks.get({"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}.get(p, "float32"), {})
                cases.append(lambda preset=preset, impl=impl, b=b, x=x, p=p, case=case, peak_g=peak_g: self._train(
                    preset, impl, b, x, p, case, flops[preset.name].get("train_step"), peak_g.get("gflops")))
        return cases

    def _train(self, preset, impl, b, x, p, case, step_flops, peak_gflops):
        extra = dict(impl=impl, batch_size=b, xla=x, mixed_precision=p, flops_per_image=step_flops)
        try:
            fields = train_bench.run_train_case(
                preset, impl, b, xla=x, mixed_precision=p, timing=TIMING[("train", self.config.quick)],
                flops_per_image=step_flops, peak_gflops=peak_gflops, backend=self.backend, gpu=self.gpu)
        except Exception as e:  # noqa: BLE001 - recorded, and the remaining cases still run
            return self.record("train", preset.name, case, error=e, **extra)
        return self.record("train", preset.name, case, fields, **extra)

    def infer_units(self, flops, peaks, workdir) -> list:
        """One callable per (entry, runtime variant); each times every batch size."""
        cfg, units = self.config, []
        xla_on = True in cfg.xla_modes()
        for name in cfg.names:
            for runtime, q in infer_bench.variants(cfg.runtimes, xla_on, self.backend):
                units.append(lambda name=name, runtime=runtime, q=q: self._infer(
                    name, runtime, q, workdir, flops[name]["generator"], peaks.get("float32", {}).get("gflops")))
        return units

    def _infer(self, name, runtime, q, workdir, gen_flops, peak_gflops):
        model = self.models[name]
        label = f"infer {name} {runtime}{' ' + q if q else ''}"
        base = dict(runtime=runtime, quantization=q, flops_per_image=gen_flops)
        try:
            run, info = infer_bench.make_runner(model, runtime, q, workdir, self.gpu)
        except Exception as e:  # noqa: BLE001
            kind = dict(skipped=str(e)) if isinstance(e, infer_bench.Unsupported) else dict(error=e)
            return self.record("infer", name, label, **kind, **base)
        for b in self.config.batch_sizes:
            timing = dict(TIMING[("infer", self.config.quick)])
            if b == 1 and not self.config.quick:
                timing["min_iters"] = BATCH1_MIN_ITERS
            extra = dict(base, batch_size=b, **info)
            try:
                fields = infer_bench.run_infer_case(run, infer_bench.feed_for(model, b), b, timing=timing,
                                                    flops_per_image=gen_flops, peak_gflops=peak_gflops,
                                                    backend=self.backend, gpu=self.gpu)
                self.record("infer", name, f"{label} b{b}", fields, **extra)
            except Exception as e:  # noqa: BLE001
                self.record("infer", name, f"{label} b{b}", error=e, **extra)


def _load(name):
    import zoo
    from zoo.registry import get_preset

    pretrained = get_preset(name).generator_weights is not None
    return zoo.load(name, weights="pretrained" if pretrained else None, with_discriminator=True), pretrained


def run_suite(config: SuiteConfig, out_dir, *, force: bool = False, command: str = "") -> dict:
    """Runs the benchmark and writes ``results.json``, ``results.md`` and the plots into ``out_dir``.

    Args:
        config: what to run (a :class:`SuiteConfig`).
        out_dir: output folder (created).
        force: overwrite earlier results in ``out_dir``.
        command: the command line, recorded in the results.

    Returns:
        The results dict written to ``results.json``.

    Raises:
        FileExistsError: ``out_dir`` holds results and ``force`` is False.
        ValueError, KeyError: a bad option or an unknown entry name.

    Examples:
    >>> config = SuiteConfig(quick=True, what=("infer",), runtimes=("keras",), batch_sizes=(1,), progress=False)
    >>> results = run_suite(config, "out/bench")
    >>> {r["status"] for r in results["records"]}, sorted(p.name for p in Path("out/bench").iterdir())
    ({'ok'}, ['infer_dcgan-mnist.png', 'results.json', 'results.md'])
    >>> run_suite(config, "out/bench")
    Traceback (most recent call last):
    ...
    FileExistsError: out/bench already holds results.json, results.md; pass --force to overwrite
    """
    from zoo.registry import get_preset

    out_dir = Path(out_dir)
    check_out_dir(out_dir, force)
    cfg = config.resolved()
    out_dir.mkdir(parents=True, exist_ok=True)
    started, t0 = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    run = _Run(cfg)
    peaks = peak.measure_peaks(cfg.quick, run.gpu)
    run.models, weights, flops = {}, {}, {}
    for name in cfg.names:
        run.models[name], weights[name] = _load(name)
        preset = get_preset(name)
        flops[name] = flops_lib.model_flops(run.models[name], preset.step.from_preset(preset).cost())
    trajectory = None
    if "train" in cfg.what and REFERENCE_ENTRY in cfg.names and run.backend == "tensorflow" and not cfg.quick:
        trajectory = train_bench.compare_trajectories(get_preset(REFERENCE_ENTRY), steps=5, batch_size=32)
    with tempfile.TemporaryDirectory(prefix="gan-zoo-bench-") as workdir:
        cases = (run.train_cases(flops, peaks) if "train" in cfg.what else []) + (
            run.infer_units(flops, peaks, workdir) if "infer" in cfg.what else [])
        from tqdm.auto import tqdm

        with tqdm(total=len(cases), desc="gan-zoo bench", unit="case", disable=not cfg.progress) as bar:
            for case in cases:
                rec = case()
                bar.set_postfix_str(rec["case"][:60] if rec else "", refresh=False)
                bar.update(1)
    results = {
        "schema": 1, "quick": cfg.quick, "command": command, "started": started,
        "duration_s": round(time.perf_counter() - t0, 1), "environment": run.env,
        "config": {k: v for k, v in dataclasses.asdict(cfg).items() if k != "progress"},
        "peaks": peaks, "flops": flops,
        "weights": {n: "pretrained" if w else "random initialisation (no shipped weights yet)" for n, w in weights.items()},
        "trajectory": trajectory, "targets": report.targets(run.records, run.gpu), "records": run.records,
    }
    plot_paths = plots.write_plots(results, out_dir)
    results["plots"] = [p.name for p in plot_paths]
    atomic.write_text(out_dir / "results.md", report.markdown(results), mode=0o644)
    report.write_json(out_dir / "results.json", results)
    return results
