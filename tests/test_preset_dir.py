"""Preset folders (issue 23, item 8): ``m.save_to_preset(DIR)``, ``zoo.load(DIR)`` and
``zoo.load("file:///abs/DIR")`` with the shipped weights' integrity checks, ``RUN/final/``
loadable the same way, and ``gan-zoo preset``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
import zoo.cli
from zoo import preset_dir
from zoo.model import ZooModel, build
from zoo.registry import get_preset, one_per_family, tiny_preset
from zoo.weights import sha256_file

NAME = "mlpgan-mnist"  # the smallest shipped entry


def _images(m, n=6):
    return m.sample(n, seed=3)


def test_round_trip_gives_bitwise_equal_samples_and_keeps_the_card(tmp_path):
    m = zoo.load(NAME, with_discriminator=True)
    assert m.save_to_preset(tmp_path / "p") == tmp_path / "p"
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "card.json", "config.json", "discriminator.weights.h5", "generator.weights.h5"]
    back = zoo.load(str(tmp_path / "p"), with_discriminator=True)
    assert np.array_equal(_images(back), _images(m))
    x = _images(m, n=8)  # the MLP D's minibatch stddev takes groups of 4
    assert np.array_equal(np.asarray(back.discriminator(x)), np.asarray(m.discriminator(x)))
    s = back.weights_source
    assert (s.kind, s.verified, s.preset_dir) == ("preset", True, str(tmp_path / "p"))
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    assert s.sha256 == config["weights"]["generator"]["sha256"] == sha256_file(tmp_path / "p" / "generator.weights.h5")
    # Unchanged shipped weights: the card keeps its metrics and names this folder's files.
    assert back.card["metrics"] == m.card["metrics"] and back.card["golden"] == m.card["golden"]
    assert back.card["weights"]["generator"]["sha256"] == s.sha256
    assert back.card["derived_from"]["kind"] == "pretrained"
    assert back.preset.generator_config == m.preset.generator_config and back.preset.recipe == m.preset.recipe
    assert zoo.info(str(tmp_path / "p")) == back.card


def test_file_url_and_path_objects_load_the_folder(tmp_path):
    m = zoo.load(NAME)
    m.save_to_preset(tmp_path / "my preset")
    url = (tmp_path / "my preset").resolve().as_uri()  # file:///.../my%20preset
    assert url.startswith("file:///")
    for ref in (url, tmp_path / "my preset"):
        assert np.array_equal(_images(zoo.load(ref)), _images(m))
    with pytest.raises(ValueError, match="absolute path"):
        zoo.load("file://relative/dir")


@pytest.mark.parametrize("name", one_per_family())
def test_every_family_round_trips_its_architecture_and_recipe(name, tmp_path):
    """Plain data in config.json rebuilds the same architecture, step options and recipe
    (nested dataclasses such as ProGAN's growth schedule, tuples in configs)."""
    preset = tiny_preset(name)
    g, d = build(preset)
    m = (preset.model_class or ZooModel)(preset, g, d)
    m.save_to_preset(tmp_path / "p")
    back = zoo.load(tmp_path / "p", with_discriminator=True)
    for field in ("generator_config", "discriminator_config", "step_config", "recipe", "pad_to"):
        assert getattr(back.preset, field) == getattr(preset, field), field
    assert type(back) is type(m)
    assert np.array_equal(back.sample(3, seed=1), m.sample(3, seed=1))
    assert back.card["weights"] is None and back.card["weights_source"]["kind"] == "in-memory"


def test_a_tampered_weights_file_is_a_clear_error(tmp_path):
    zoo.load(NAME).save_to_preset(tmp_path / "p")
    weights = tmp_path / "p" / "generator.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.WeightsIntegrityError, match=r"generator\.weights\.h5 has sha256 .* but .*config\.json "
                       r"expects .*corrupt or was replaced"):
        zoo.load(tmp_path / "p")
    # The command line says it in one line, exit 1.
    assert zoo.cli.main(["sample", str(tmp_path / "p"), "-n", "4", "-o", str(tmp_path / "x.png")]) == 1
    assert not (tmp_path / "x.png").exists()


def test_edited_card_or_config_and_foreign_folders_are_refused(tmp_path):
    zoo.load(NAME).save_to_preset(tmp_path / "p")
    card_path, config_path = tmp_path / "p" / "card.json", tmp_path / "p" / "config.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "weights": {**card["weights"], "generator": {
        **card["weights"]["generator"], "sha256": "0" * 64}}}))
    with pytest.raises(zoo.WeightsIntegrityError, match="card or the config was edited"):
        zoo.load(tmp_path / "p")
    card_path.write_text(json.dumps(card))
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "generator": {**config["generator"], "class": "os.system"}}))
    with pytest.raises(preset_dir.PresetFolderError, match="saved with generator class os.system"):
        zoo.load(tmp_path / "p")
    (tmp_path / "empty").mkdir()
    with pytest.raises(preset_dir.PresetFolderError, match="not a gan-zoo preset folder"):
        zoo.load(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        zoo.load(tmp_path / "missing")


def test_existing_folders_are_refused_unless_overwrite(tmp_path):
    m = zoo.load(NAME)
    target = tmp_path / "p"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty; pass overwrite=True"):
        m.save_to_preset(target)
    assert (target / "old.txt").exists()
    m.save_to_preset(target, overwrite=True)  # replaced whole, not merged
    assert not (target / "old.txt").exists() and (target / "config.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["p"], "no staging folder left behind"


def test_changed_or_other_weights_do_not_carry_the_shipped_metrics(tmp_path):
    m = zoo.load(NAME)
    m.generator.set_weights([w * 0.5 for w in m.generator.get_weights()])  # "fine-tuned" after loading
    m.save_to_preset(tmp_path / "tuned")
    card = zoo.load(tmp_path / "tuned").card
    assert card["weights"] is None and "metrics" not in card and "changed since loading" in card["weights_note"]
    zoo.load(NAME, weights=None).save_to_preset(tmp_path / "fresh")
    assert zoo.load(tmp_path / "fresh").card["weights_source"]["kind"] == "random"


def test_a_registered_name_means_the_entry_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    zoo.load(NAME, weights=None).save_to_preset(NAME)
    assert zoo.load(NAME).weights_source.kind == "pretrained"
    assert zoo.load(f"./{NAME}").weights_source.kind == "preset"


def test_run_final_is_a_preset_folder(tiny_preset, tiny_images, tmp_path):
    from zoo.card import read_run_card
    from zoo.training.trainer import TrainConfig, Trainer

    config = TrainConfig(out_dir=tmp_path / "run", max_steps=2, progress=False, tensorboard=False)
    trainer = Trainer(tiny_preset, config, images=tiny_images)
    trainer.fit()
    final = tmp_path / "run" / "final"
    m = zoo.load(final, with_discriminator=True)
    assert m.weights_source.kind == "preset" and m.card == read_run_card(final / "run_card.json")
    z = m.sample_latents(4, seed=0)
    np.testing.assert_array_equal(m.generate(z), np.clip(np.asarray(trainer.state.ema(z, training=False)), -1, 1))
    assert m.preset.discriminator_config == tiny_preset.discriminator_config
    assert m.preset.recipe.batch_size == trainer.batch_size
    for ours, theirs in zip(m.discriminator.get_weights(), trainer.state.discriminator.get_weights()):
        np.testing.assert_array_equal(ours, theirs)  # (the run may compute in bfloat16: compare the weights)
    # And it saves again as a preset of its own.
    m.save_to_preset(tmp_path / "again")
    assert np.array_equal(zoo.load(tmp_path / "again").sample(4), m.sample(4))


def test_gan_zoo_preset_command(tmp_path, capsys):
    out = tmp_path / "p"
    assert zoo.cli.main(["preset", NAME, "--out", str(out), "--with-discriminator"]) == 0
    assert "wrote the preset folder" in capsys.readouterr().out
    assert zoo.load(out, with_discriminator=True).discriminator is not None
    assert zoo.cli.main(["preset", NAME, "--out", str(out)]) == 1
    assert "pass overwrite=True (--force)" in capsys.readouterr().err
    assert zoo.cli.main(["preset", NAME, "--out", str(out), "--untrained", "--force"]) == 0
    assert zoo.load(out).weights_source.kind == "preset" and zoo.info(str(out))["weights_source"]["kind"] == "random"
    assert get_preset(NAME).generator_weights is not None  # the registry entry is untouched
