"""``ZooModel.weights_source`` says where the weights came from, and ``m.card`` claims the shipped
weights, metrics and sha256 only for the shipped weights (issue 23, item 5)."""

from __future__ import annotations

import pytest

import zoo
from zoo.card import check_card
from zoo.model import ZooModel, build
from zoo.registry import get_preset, tiny_preset
from zoo.weights import WeightsSource, sha256_file

NAME = "mlpgan-mnist"  # the smallest shipped entry
SHIPPED_ONLY = ("metrics", "golden", "run", "data", "training_command", "training_curve")


def _claims_nothing_shipped(card: dict) -> None:
    assert card["weights"] is None, "the card must not name the shipped files and sha256"
    assert not set(SHIPPED_ONLY) & set(card), sorted(set(SHIPPED_ONLY) & set(card))
    assert "do not apply" in card["weights_note"]
    check_card(card, "other weights card")  # a valid architecture card


def test_shipped_weights_are_the_verified_file_and_keep_the_shipped_card():
    m = zoo.load(NAME)
    preset = get_preset(NAME)
    s = m.weights_source
    assert (s.kind, s.verified, s.sha256) == ("pretrained", True, preset.generator_weights.sha256)
    assert sha256_file(s.path) == s.sha256
    assert m.card == zoo.info(NAME) and "metrics" in m.card
    assert str(s).startswith("the shipped file") and "verified" in str(s)


def test_another_weights_file_is_named_and_the_card_drops_the_shipped_claims(tmp_path):
    path = tmp_path / "mine.weights.h5"
    zoo.load(NAME).generator.save_weights(path)
    m = zoo.load(NAME, weights=path)
    s = m.weights_source
    assert (s.kind, s.path, s.sha256, s.verified) == ("file", str(path), sha256_file(path), False)
    _claims_nothing_shipped(m.card)
    assert m.card["weights_source"] == s.to_dict()
    assert str(path) in m.card["weights_note"] and f"zoo.info('{NAME}')" in m.card["weights_note"]
    assert zoo.info(NAME)["metrics"], "the shipped card itself is untouched"


def test_fresh_weights_say_random_and_claim_nothing():
    m = zoo.load(NAME, weights=None)
    assert (m.weights_source.kind, m.weights_source.sha256, m.weights_source.path) == ("random", None, None)
    _claims_nothing_shipped(m.card)


def test_a_generator_handed_over_in_memory_claims_nothing():
    preset = tiny_preset("dcgan-mnist")
    m = ZooModel(preset, build(preset)[0])
    assert m.weights_source.kind == "in-memory"
    _claims_nothing_shipped(m.card)


def test_weights_source_kind_is_checked():
    with pytest.raises(ValueError, match="kind must be one of"):
        WeightsSource("downloaded")
