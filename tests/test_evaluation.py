"""Evaluation while training: the metrics log, the best snapshot, resume, publishing and the curve."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from zoo.model import ZooModel, build
from zoo.registry import tiny_preset
from zoo.training import evaluation
from zoo.training.trainer import TrainConfig, Trainer

pytestmark = pytest.mark.skipif(
    __import__("os").environ.get("ZOO_DATA_DIR") is None, reason="needs the offline MNIST test split")

N_EVAL = 256  # samples per evaluation: small, so each one takes a fraction of a second


@pytest.fixture(scope="module")
def digits():
    from zoo.data import load_arrays, to_float_images

    return to_float_images(load_arrays("mnist", "train")[0][:256])


def _train(out, digits, steps, resume=False, every=16, tensorboard=False):
    config = TrainConfig(out_dir=out, max_steps=steps, resume=resume, progress=False, tensorboard=tensorboard,
                         eval_every_images=every, eval_samples=N_EVAL)
    trainer = Trainer(tiny_preset("dcgan-mnist"), config, images=digits)
    return trainer, trainer.fit()


def test_log_rows_at_every_boundary_and_best_snapshot_reproduces_its_fid(tmp_path, digits):
    trainer, summary = _train(tmp_path, digits, steps=6)
    rows = evaluation.read_log(tmp_path / evaluation.METRICS_NAME)
    assert [(r["step"], r["images"]) for r in rows] == [(2, 16), (4, 32), (6, 48)]  # batch 8, every 16
    key = "fid_domain_256"
    assert all(set(r["values"]) >= {key, "precision_domain_256", "recall_domain_256"} for r in rows)
    best = evaluation.read_best(tmp_path / evaluation.BEST_DIR)
    assert best["values"][key] == min(r["values"][key] for r in rows) and best["metric"] == key
    assert summary["evaluation"]["evaluations"] == 3 and summary["evaluation"]["best"]["step"] == best["step"]
    # The snapshot is the generator that scored that fid: reloading and re-scoring gives it again.
    from zoo.metrics.protocol import evaluate_images

    preset = tiny_preset("dcgan-mnist")
    m = ZooModel(preset, build(preset)[0])
    m.generator.load_weights(tmp_path / evaluation.BEST_DIR / "generator.weights.h5")
    images = m.generate(m.sample_latents(N_EVAL, evaluation.EVAL_SEED))
    again = evaluate_images(images, "mnist", include_real=False)["rows"][0]["values"][key]
    assert again == pytest.approx(best["values"][key], rel=1e-4)


def test_a_run_ending_between_evaluations_is_evaluated_at_its_end_and_finishes(tmp_path, digits):
    # 5 steps of 8 images with an evaluation every 16: rows at 16 and 32, then one more at the end (40),
    # written to TensorBoard too (that writer used to be closed before the last row: the run failed
    # after its last step and never wrote final/).
    _, summary = _train(tmp_path, digits, steps=5, tensorboard=True)
    rows = evaluation.read_log(tmp_path / evaluation.METRICS_NAME)
    assert [r["images"] for r in rows] == [16, 32, 40]
    assert (tmp_path / "final" / "generator.weights.h5").exists() and summary["evaluation"]["evaluations"] == 3


def test_resume_continues_the_curve_and_drops_rows_past_the_checkpoint(tmp_path, digits):
    _train(tmp_path, digits, steps=4)
    log = tmp_path / evaluation.METRICS_NAME
    stray = {"step": 9, "images": 72, "wall_clock_s": 1.0, "eval_s": 0.1, "values": {"fid_domain_256": 0.0}}
    with log.open("a") as f:  # an evaluation the checkpoint never saw (a crash right after it)
        f.write(json.dumps(stray) + "\n")
    _train(tmp_path, digits, steps=6, resume=True)
    assert [r["images"] for r in evaluation.read_log(log)] == [16, 32, 48]
    straight = tmp_path / "straight"
    _train(straight, digits, steps=6)
    a, b = evaluation.read_log(log), evaluation.read_log(straight / evaluation.METRICS_NAME)
    np.testing.assert_allclose([r["values"]["fid_domain_256"] for r in a],
                               [r["values"]["fid_domain_256"] for r in b], rtol=1e-3)


def test_a_run_shorter_than_the_cadence_has_no_curve_and_says_so(tmp_path, digits):
    _, summary = _train(tmp_path, digits, steps=2, every=1000)
    assert summary["evaluation"]["evaluations"] == 0 and summary["evaluation"]["best"] is None
    assert not (tmp_path / evaluation.METRICS_NAME).exists() and not (tmp_path / evaluation.BEST_DIR).exists()


def test_due_counts_boundaries_crossed_not_exact_multiples(tmp_path):
    ev = evaluation.Evaluator(tiny_preset("dcgan-mnist"), tmp_path, every_images=100, n_samples=N_EVAL)
    assert [ev.due(n) for n in (64, 99, 100, 128)] == [False, False, True, True]
    ev.rows.append({"images": 128})
    assert [ev.due(n) for n in (192, 200, 320)] == [False, True, True]
    with pytest.raises(ValueError, match="every_images must be > 0"):
        evaluation.Evaluator(tiny_preset("dcgan-mnist"), tmp_path, every_images=0)


def test_publish_ships_the_best_snapshot_with_its_curve(tmp_path, digits, register_temporarily, monkeypatch):
    from zoo.training.publish import publish
    from zoo.weights import sha256_file

    preset = dataclasses.replace(tiny_preset("dcgan-mnist"), name="tiny-eval-test", weights_dir=tmp_path / "w")
    register_temporarily(preset)
    run = tmp_path / "run"
    config = TrainConfig(out_dir=run, max_steps=6, progress=False, tensorboard=False, eval_every_images=16,
                         eval_samples=N_EVAL)
    Trainer(preset, config, images=digits).fit()
    card = publish(run, preset.name, "gan-zoo train tiny-eval-test --eval-every-kimg 0.016")
    rows = evaluation.read_log(run / evaluation.METRICS_NAME)
    best = evaluation.read_best(run / evaluation.BEST_DIR)
    assert card["training_curve"] == evaluation.curve(rows)
    assert card["snapshot"]["which"] == "best" and card["snapshot"]["step"] == best["step"]
    # Shipped as float16 storage (the default): the file the card names, holding the best snapshot's
    # values rounded to float16 (publish.store_float16).
    shipped = preset.weights_dir / card["weights"]["generator"]["file"]
    assert card["weights"]["generator"]["sha256"] == sha256_file(shipped)
    assert card["weights"]["generator"]["storage"] == "float16"
    assert card["weights"]["generator"]["storage_max_abs_sample_difference"] < 1e-2
    final = publish(run, preset.name, "x", force=True, snapshot="final", storage="float32")
    assert final["snapshot"]["which"] == "final" and final["snapshot"]["images"] == rows[-1]["images"]
    assert final["weights"]["generator"]["sha256"] == sha256_file(run / "final" / "generator.weights.h5")
    with pytest.raises(ValueError, match="EMA generator only"):
        publish(run, preset.name, "x", force=True, generator="live")


def test_curve_command_plots_a_run_and_refuses_an_entry_without_a_curve(tmp_path, digits, capsys, monkeypatch):
    import zoo
    from zoo.cli import main

    _train(tmp_path / "run", digits, steps=4)
    out = tmp_path / "curve.png"
    assert main(["curve", str(tmp_path / "run"), "-o", str(out)]) == 0
    from PIL import Image

    assert Image.open(out).size == (600, 380)
    assert main(["curve", str(tmp_path / "run"), "-o", str(out)]) == 1  # exists, no --force
    # a card without a curve (as the cards of weights trained before evaluation while training)
    card = {k: v for k, v in zoo.info("mlpgan-mnist").items() if k != "training_curve"}
    monkeypatch.setattr(zoo, "info", lambda name: card)
    assert main(["curve", "mlpgan-mnist", "-o", str(tmp_path / "c2.png")]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "has no training curve" in err and not (tmp_path / "c2.png").exists()


def test_extra_points_are_evaluated_once_and_only_late_rows_can_be_best(tmp_path):
    # ProGAN's shape: phase ends at 30 and 60 images besides every 100; snapshots from 60 on.
    ev = evaluation.Evaluator(tiny_preset("dcgan-mnist"), tmp_path, every_images=100, n_samples=N_EVAL,
                              points=(60, 30), best_from=60)
    assert [ev.due(n) for n in (16, 32, 64)] == [False, True, True]
    ev.rows.append({"images": 32})
    assert [ev.due(n) for n in (48, 64, 96, 100)] == [False, True, True, True]

    def row(images, fid):
        return {"images": images, "step": images // 8, "values": {ev.key: fid}}

    ev.rows = [row(32, 5.0), row(64, 9.0)]
    assert ev.best["images"] == 64  # 32 scores lower but comes before best_from
    ev.rows.append(row(100, 7.0))
    assert ev.best["images"] == 100
    ev.rows = [row(32, 5.0)]
    assert ev.best is None


def test_curve_of_a_growing_entry_marks_its_phase_ends_up_to_the_last_point(tmp_path, monkeypatch):
    import zoo
    from zoo.cli import main

    points = [{"images": i * 50_000, "step": i * 781, "fid_domain_5k": 300.0 / i, "precision": 0.5, "recall": 0.2}
              for i in (1, 2, 3)]  # up to 150k: every phase end but the last (180k)
    monkeypatch.setattr(zoo, "info", lambda name: {"name": name, "training_curve": points})
    seen = {}
    real_plot = evaluation.plot_curve
    monkeypatch.setattr(evaluation, "plot_curve",
                        lambda pts, out, title, marks=(): seen.update(marks=marks) or real_plot(pts, out, title, marks))
    assert main(["curve", "progan-fashion-mnist", "-o", str(tmp_path / "c.png")]) == 0
    assert seen["marks"] == [30_000, 60_000, 90_000, 120_000, 150_000]
    assert (tmp_path / "c.png").exists()
    assert main(["curve", "dcgan-mnist", "-o", str(tmp_path / "d.png")]) == 0
    assert seen["marks"] == []  # a step without extra evaluation points
