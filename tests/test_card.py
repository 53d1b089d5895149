"""zoo.card: the shipped cards fit the schema, bad cards are refused by name, and every writer and reader uses it."""

import copy
import dataclasses
import json
from pathlib import Path

import pytest

import zoo
from zoo import card as card_lib
from zoo.card import CardError
from zoo.model import build
from zoo.registry import get_preset, tiny_preset

ROOT = Path(zoo.__file__).parent
SHIPPED_CARDS = sorted(ROOT.glob("families/*/weights/*.card.json"))


def shipped(name="dcgan-mnist") -> dict:
    return json.loads(get_preset(name).card_path.read_text())


def test_the_shipped_cards_are_found():
    assert len(SHIPPED_CARDS) >= 7
    assert {p.name.removesuffix(".card.json") for p in SHIPPED_CARDS} == {
        n for n in zoo.list_models() if get_preset(n).card_path.exists()}


@pytest.mark.parametrize("path", SHIPPED_CARDS, ids=lambda p: p.name)
def test_every_shipped_card_validates_as_it_is(path, tmp_path):
    card = card_lib.read_card(path)
    assert card_lib.schema_version(card) == 1 and "schema_version" not in card  # missing means version 1
    assert card_lib.is_shipped(card) and card_lib.domain_metrics(card) is not None
    card_lib.check_run_card(card)  # a shipped card carries its whole run card
    # The one writer reproduces the file byte for byte: same layout as every writer before it.
    assert card_lib.write_card(tmp_path / path.name, card).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_entry_has_a_valid_card_with_or_without_weights(name, tmp_path):
    preset = get_preset(name)
    card_lib.check_card(card_lib.load_card(preset), name)
    bare = card_lib.load_card(dataclasses.replace(preset, weights_dir=tmp_path))  # nothing shipped there
    assert bare == card_lib.architecture_card(preset) and not card_lib.is_shipped(bare)
    assert card_lib.weights_bytes(bare) == 0 and card_lib.train_images(bare) is None
    assert card_lib.run_summary(bare) is None and card_lib.metric_values(bare) == {}


def _drop(card, *keys):
    parent = card
    for k in keys[:-1]:
        parent = parent[k]
    del parent[keys[-1]]


def _set(value, *keys):
    def edit(card):
        parent = card
        for k in keys[:-1]:
            parent = parent[k]
        parent[keys[-1]] = value
    return edit


@pytest.mark.parametrize("edit,message", [
    (lambda c: _drop(c, "golden"), "the card lacks the required key golden"),
    (lambda c: _drop(c, "run", "steps"), "run lacks the required key steps"),
    (lambda c: _drop(c, "weights", "generator", "sha256"), "weights.generator lacks the required key sha256"),
    (lambda c: _drop(c, "metrics", "domain", "command"), "metrics.domain lacks the required key command"),
    (_set("5", "run", "steps"), "run.steps must be an integer, got '5'"),
    (_set(True, "generator_params"), "generator_params must be an integer, got True"),
    (_set(28.0, "image_shape", 0), r"image_shape\[0\] must be an integer, got 28.0"),
    (_set("28x28", "image_shape"), "image_shape must be a list, got '28x28'"),
    (_set(None, "run"), "run must be an object, got None"),
    (_set("low", "metrics", "domain", "values", "fid_domain_10k"),
     "metrics.domain.values.fid_domain_10k must be a number or a list, got 'low'"),
    (_set(3, "xla"), "xla must be a boolean or a string, got 3"),
    (_set(2, "schema_version"), "schema_version 2 is not one this gan-zoo reads"),
])
def test_bad_cards_are_refused_naming_the_key(edit, message, tmp_path):
    card = shipped()
    edit(card)
    path = tmp_path / "dcgan-mnist.card.json"
    path.write_text(json.dumps(card))
    with pytest.raises(CardError, match=f"^{path}: {message}"):
        card_lib.read_card(path)
    with pytest.raises(CardError, match=message):
        card_lib.write_card(tmp_path / "new.card.json", card)
    assert not (tmp_path / "new.card.json").exists() and len(list(tmp_path.iterdir())) == 1


def test_a_card_without_weights_key_is_not_taken_for_an_architecture_card():
    card = card_lib.architecture_card(get_preset("dcgan-mnist"))
    del card["weights"]
    with pytest.raises(CardError, match="lacks the required keys .*weights"):
        card_lib.check_card(card)


def test_write_read_round_trip_and_invalid_json(tmp_path):
    card = shipped("infogan-mnist")
    path = card_lib.write_card(tmp_path / "c.card.json", card)
    assert card_lib.read_card(path) == card
    assert path.read_text() == json.dumps(card, indent=2) + "\n"
    path.write_text("{not json")
    with pytest.raises(CardError, match="not valid JSON"):
        card_lib.read_card(path)


def test_typed_readers():
    card = card_lib.read_card(get_preset("infogan-mnist").card_path)
    preset = get_preset("infogan-mnist")
    # The shipped card's own numbers (retraining changes them): the readers find them where they live.
    assert 0 < card_lib.codes_metrics(card)["values"]["category_accuracy_hungarian_10k"] <= 1
    assert card_lib.codes_metrics(card) is card["metrics"][card_lib.CODES_KEY]
    assert card_lib.domain_metrics(card)["n_samples"] == 10000
    assert list(card_lib.metric_values(card)) == ["domain", card_lib.CODES_KEY]
    assert card_lib.metric_block(card, "inception") is None
    files = [preset.weights_dir / w["file"] for w in card["weights"].values()]
    assert card_lib.weights_bytes(card) == sum(f.stat().st_size for f in files)
    assert card_lib.train_images(card) == 9000  # the MNIST subset's training split
    assert card_lib.run_summary(card) is card["run"] and card["run"]["steps"] > 0
    no_metrics = {k: v for k, v in card.items() if k != "metrics"}
    assert card_lib.domain_metrics(no_metrics) is None and card_lib.metric_values(no_metrics) == {}


def test_update_metrics_keeps_the_card_and_refuses_a_bad_block(tmp_path):
    card = shipped("infogan-mnist")
    path = card_lib.write_card(tmp_path / "c.card.json", card)
    block = copy.deepcopy(card["metrics"]["domain"])
    block["values"] = {"fid_domain_1k": 1.5}
    card_lib.update_metrics(path, "inception", block)
    after = card_lib.read_card(path)
    assert after["metrics"]["inception"] == block and after["metrics"]["domain"] == card["metrics"]["domain"]
    before = path.read_bytes()
    with pytest.raises(CardError, match="metrics.inception lacks the required key seed"):
        card_lib.update_metrics(path, "inception", {k: v for k, v in block.items() if k != "seed"})
    assert path.read_bytes() == before


def run_card_for(preset, **changes):
    card = card_lib.run_card(
        preset, train_images=64, recipe={**preset.recipe.to_dict(), "batch_size": 8, "epochs": 1},
        step={"class": "DCGANStep"}, shipped_generator="ema", batchnorm_statistics="recalibrated on 2048 latents",
        generator_params=10, discriminator_params=20, strategy=None, replicas=1, xla=False,
        run={"steps": 8, "steps_this_run": 8, "images_seen": 64, "epochs": 1.0, "wall_clock_s": 0.5,
             "train_images_per_s_this_run": None, "first_step_compile_s": 0.1,
             "final_losses": {"step": 8, "g_loss": 0.7, "d_loss": 1.3, "images_per_s": 90.0}},
        environment={"backend": "tensorflow", "keras": "3", "tensorflow": "2", "numpy": "2", "python": "3.11",
                     "device": "cpu", "cpu": "x", "cpu_count": 2},
    )
    card.update(changes)
    return card


def test_run_card_keys_and_bytes_are_the_trainers(tmp_path):
    preset = get_preset("dcgan-mnist")
    card = run_card_for(preset)
    assert list(card) == [
        "name", "family", "dataset", "train_images", "recipe", "generator_config", "discriminator_config", "step",
        "shipped_generator", "batchnorm_statistics", "generator_params", "discriminator_params", "strategy",
        "replicas", "xla", "run", "environment",
    ]
    assert card["generator_config"] is preset.generator_config and card["name"] == "dcgan-mnist"
    path = card_lib.write_run_card(tmp_path / "run_card.json", card)
    assert path.read_text() == json.dumps(card, indent=2, default=str) + "\n"  # what the trainer wrote
    assert card_lib.read_run_card(path) == json.loads(path.read_text())
    with pytest.raises(CardError, match="run.final_losses.g_loss must be a number"):
        card_lib.write_run_card(tmp_path / "bad.json", run_card_for(
            preset, run={**card["run"], "final_losses": {"g_loss": "nan?"}}))


def test_publish_writes_a_valid_card_through_the_schema(tmp_path, monkeypatch, register_temporarily):
    from zoo.training.publish import publish

    preset = dataclasses.replace(tiny_preset("dcgan-mnist"), name="tiny-card-test", weights_dir=tmp_path / "weights")
    register_temporarily(preset)
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    final = tmp_path / "run" / "final"
    final.mkdir(parents=True)
    g, d = build(preset)
    for name, model in (("generator", g), ("generator_live", g), ("discriminator", d)):
        model.save_weights(final / f"{name}.weights.h5")
    card_lib.write_run_card(final / "run_card.json", run_card_for(preset))

    card = publish(tmp_path / "run", preset.name, "gan-zoo train tiny", notes="tiny")
    assert card_lib.read_card(preset.card_path) == card
    assert card["shipped_generator"] == "ema" and card["notes"] == "tiny" and card["replicas"] == 1
    assert card["data"] == {"dataset": "mnist", "split": "train", "images": 64, "note": card["data"]["note"]}
    assert sorted(p.name for p in preset.weights_dir.iterdir()) == [
        "tiny-card-test.card.json", "tiny-card-test.discriminator.weights.h5", "tiny-card-test.generator.weights.h5"]

    (final / "run_card.json").write_text(json.dumps({**run_card_for(preset), "train_images": "64"}))
    with pytest.raises(CardError, match="run_card.json: train_images must be an integer"):
        publish(tmp_path / "run", preset.name, "gan-zoo train tiny", force=True)


def test_listing_reads_through_the_typed_readers(monkeypatch):
    from zoo.listing import model_row

    card = card_lib.read_card(get_preset("dcgan-mnist").card_path)
    row = model_row("dcgan-mnist")
    values = card_lib.domain_metrics(card)["values"]
    assert row["fid_domain"] == f"{values['fid_domain_10k']:.2f} @10k"
    assert row["weights"] == f"{card_lib.weights_bytes(card) / 2**20:.1f} MB"
    assert row["dataset"] == f"mnist ({card_lib.train_images(card) / 1000:g}k train)"
    bad = copy.deepcopy(card)
    bad["metrics"]["domain"]["values"]["fid_domain_10k"] = "18.7"
    monkeypatch.setattr(zoo, "info", lambda name: bad)
    with pytest.raises(CardError, match="the card of dcgan-mnist: metrics.domain.values.fid_domain_10k"):
        model_row("dcgan-mnist")
