"""scripts/recipe_ablation.py: every named variant is plain data that builds a valid entry.

The ablation runs each variant for minutes to hours; a typo in an option name (or an option the
family's step or discriminator does not take) should fail here in a second, not after the first
variants of a queue have trained.
"""

import dataclasses
import json

import pytest

from zoo.model import build
from zoo.registry import get_preset, tiny_preset

# One entry per variant set: the shared set (dcgan) and every family with its own.
ENTRIES = ["dcgan-mnist", "mlpgan-fashion-mnist", "stylegan-fashion-mnist", "progan-fashion-mnist"]


@pytest.fixture(scope="module")
def ablation(load_script):
    return load_script("recipe_ablation")


def test_every_family_with_its_own_variants_is_covered(ablation):
    assert {get_preset(e).family for e in ENTRIES} >= set(ablation.FAMILY_VARIANTS)


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_variant_builds_its_entry(ablation, entry):
    variants = ablation.variants_for(get_preset(entry))
    assert "today" in variants
    for name, (what, recipe, step, *disc) in variants.items():
        assert isinstance(what, str) and what, name
        json.dumps([recipe, step, *disc])  # plain data: the results rows store them
        preset = ablation.variant_preset(tiny_preset(entry), name, eval_kimg=50)
        assert preset.recipe.eval_every_kimg == 50
        for key, value in recipe.items():  # the recipe overrides land in the recipe
            assert getattr(preset.recipe, key) == value, (name, key)
        for key, value in (disc[0] if disc else {}).items():
            assert preset.discriminator_config[key] == value, (name, key)
        step_config = preset.step.from_preset(preset).get_config()  # the step takes every option
        assert all(step_config[k] == v for k, v in step.items()), name
        _, d = build(preset)  # and the discriminator every option
        assert d.count_params() > 0


def test_mlp_variants_against_low_recall(ablation):
    base = tiny_preset("mlpgan-fashion-mnist")
    sn = ablation.variant_preset(base, "sn-drop", 50)
    assert sn.discriminator_config["spectral_norm"] and sn.discriminator_config["dropout"] == 0.3
    assert any("_sn" in layer.name for layer in build(sn)[1].layers)
    assert ablation.variant_preset(base, "b256-drop", 50).recipe.batch_size == 256
    r1 = ablation.variant_preset(base, "r1g1-drop", 50)
    assert (r1.step_config["r1_gamma"], r1.step_config["r1_every"]) == (1.0, 4)
    # Every variant starts from the seed recipe, not the shipped one (float32, per-step EMA), and from
    # the seed's discriminator, whatever options the entry ships with.
    for entry in ("mlpgan-mnist", "mlpgan-fashion-mnist"):
        shipped = tiny_preset(entry)
        shipped = dataclasses.replace(shipped, discriminator_config={**shipped.discriminator_config,
                                                                     "spectral_norm": True})
        today = ablation.variant_preset(shipped, "today", 50)
        assert today.recipe.precision == "float32"
        assert {k: today.discriminator_config[k] for k in ("dropout", "minibatch_std", "spectral_norm")} == \
            {"dropout": 0.0, "minibatch_std": 0, "spectral_norm": False}, entry
        assert ablation.variant_preset(shipped, "mbstd", 50).discriminator_config["dropout"] == 0.0
