"""Markdown model cards: docs/models/ matches what the JSON cards render, and the renderer's sections."""

import dataclasses
import json
from pathlib import Path

import zoo
from zoo import model_card_md as md
from zoo.cli import main
from zoo.registry import get_preset

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "docs" / "models"


def test_committed_markdown_cards_match_the_json_cards():
    """Fails when a card changed (retrained, re-evaluated) without regenerating docs/models/."""
    drifted = [f"docs/models/{n}.md" for n in zoo.list_models()
               if not (MODELS / f"{n}.md").exists()
               or (MODELS / f"{n}.md").read_text() != md.render(n, MODELS)]
    stale = [f"docs/models/{p.name}" for p in md.stale_files(MODELS)]
    assert not drifted and not stale, (
        f"out of date with the JSON cards: {', '.join(drifted + stale)}; regenerate with: {md.REGENERATE}")


def test_card_has_the_hugging_face_sections(monkeypatch):
    text = md.render("dcgan-mnist")
    front = text.split("---\n")[1]
    assert "license: apache-2.0" in front and "library_name: keras" in front and "- mnist" in front
    for heading in ("## Model details", "## Intended use and limitations", "## Training data and recipe",
                    "## Evaluation", "## How to use", "## Licence", "## Citation"):
        assert f"\n{heading}\n" in text, heading
    card = zoo.info("dcgan-mnist")
    fid, real = card["metrics"]["domain"]["values"]["fid_domain_10k"], card["metrics"]["domain"]["real_reference"]
    assert f"| fid_domain | lower | {fid:.4g} | {real['fid_domain_9k']:.4g} |" in text  # beside the real-data floor
    assert card["weights"]["generator"]["sha256"] in text
    assert "![dcgan-mnist samples, seed 0](../dcgan-mnist.png)" in text
    assert "@inproceedings{radford2016unsupervised," in text and "arxiv.org/abs/1511.06434" in text
    for usage in ('zoo.load("dcgan-mnist")', "gan-zoo sample dcgan-mnist", "get_signature_runner", "onnxruntime"):
        assert usage in text
    assert "## Training curve" in text and "![fid against images seen](../dcgan-mnist-curve.png)" in text
    # a card without a curve (weights trained before evaluation while training) has none
    card = {k: v for k, v in zoo.info("mlpgan-fashion-mnist").items() if k != "training_curve"}
    monkeypatch.setattr(zoo, "info", lambda name: card)
    assert "## Training curve" not in md.render("mlpgan-fashion-mnist")


def test_every_family_cites_its_paper_and_extra_inputs_get_a_feed():
    for name in zoo.list_models():
        assert md.family_papers(get_preset(name)), f"{get_preset(name).family} has no paper.py with PAPERS"
    text = md.render("infogan-mnist")
    assert 'feed = zoo.load("infogan-mnist").sample_latents(16, seed=0)' in text and "run(**feed)" in text
    q_real = zoo.info("infogan-mnist")["metrics"]["infogan_codes"]["values"]["q_real_test_accuracy_hungarian_1k"]
    assert "### infogan_codes" in text and f"q_real_test_accuracy_hungarian | higher | {q_real:.3f} @1k" in text


def _variant(tmp_path, register_temporarily, card_update=None, ship=True):
    """dcgan-mnist's preset under another name, with its card (edited) or with no card at all."""
    weights = tmp_path / "weights"
    weights.mkdir()
    preset = dataclasses.replace(get_preset("dcgan-mnist"), name="dcgan-md-test", weights_dir=weights)
    if ship:
        card = {**zoo.info("dcgan-mnist"), "name": "dcgan-md-test", **(card_update or {})}
        (weights / "dcgan-md-test.card.json").write_text(json.dumps(card))
    else:
        preset = dataclasses.replace(preset, generator_weights=None, discriminator_weights=None)
    return register_temporarily(preset)


def test_training_curve_and_untrained_ceiling(tmp_path, register_temporarily):
    card = zoo.info("dcgan-mnist")
    domain = {**card["metrics"]["domain"], "untrained_reference": {"fid_domain_10k": 426.1, "recall_domain_10k": 0.0}}
    curve = [{"images": 50000, "step": 782, "fid_domain_5k": 80.5, "precision": 0.5, "recall": 0.2},
             {"images": 100000, "step": 1563, "fid_domain_5k": 40.25, "precision": 0.6, "recall": 0.4}]
    _variant(tmp_path, register_temporarily, {"metrics": {"domain": domain}, "training_curve": curve,
                                              "snapshot": {"shipped": "best", "images": 100000}})
    docs = tmp_path / "docs"
    (docs / "models").mkdir(parents=True)
    (docs / "dcgan-md-test-curve.png").write_bytes(b"png")
    text = md.render("dcgan-md-test", docs / "models", docs=docs)
    assert "| metric | better | this model (@10k) | real data (@9k) | untrained (@10k) |" in text
    values = domain["values"]
    assert f"| fid_domain | lower | {values['fid_domain_10k']:.4g} | 1.65 | 426.1 |" in text
    assert f"| precision_domain | higher | {values['precision_domain_10k']:.3g} | 0.907 | - |" in text
    assert "![fid against images seen](../dcgan-md-test-curve.png)" in text
    assert "| images | step | fid_domain_5k | precision | recall |" in text
    assert "| 100,000 | 1,563 | 40.25 | 0.6 | 0.4 |" in text
    assert "Shipped snapshot: shipped = best, images = 100000" in text
    assert "![" not in md.render("dcgan-md-test", docs / "models", docs=tmp_path / "nothing")  # no files, no links


def test_entry_without_shipped_weights_renders_its_architecture(tmp_path, register_temporarily):
    _variant(tmp_path, register_temporarily, ship=False)
    text = md.render("dcgan-md-test")
    assert "not shipped yet" in text and "## Evaluation" not in text and "## How to use" in text


def test_cli_prints_writes_atomically_and_regenerates_a_folder(tmp_path, capsys):
    assert main(["card", "mlpgan-mnist"]) == 0
    assert capsys.readouterr().out == md.render("mlpgan-mnist")
    out = tmp_path / "card.md"
    assert main(["card", "mlpgan-mnist", "-o", str(out)]) == 0
    assert out.read_text() == md.render("mlpgan-mnist", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["card.md"]  # written atomically: no temporary left
    assert main(["card", "mlpgan-mnist", "-o", str(out)]) == 1 and "--force" in capsys.readouterr().err
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "removed-entry.md").write_text(md.MARKER + "\n")  # a generated card whose entry is gone
    (folder / "notes.md").write_text("hand-written\n")  # not generated: left alone
    assert main(["card", "--all", "-o", str(folder)]) == 0
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(zoo.list_models() + ["notes"])
    assert main(["card", "--all", "-o", str(folder)]) == 1
    assert "pass --force" in capsys.readouterr().err
    assert main(["card", "--all", "-o", str(folder), "--force"]) == 0
    assert main(["card"]) == 1 and "give a model name" in capsys.readouterr().err
    assert main(["card", "--all"]) == 1 and "-o FOLDER" in capsys.readouterr().err


def test_regenerate_command_is_documented():
    readme = (REPO / "README.md").read_text()
    assert md.REGENERATE in readme and "docs/models/" in readme
