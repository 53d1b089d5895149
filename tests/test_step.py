"""NonSaturatingStep: the joint discriminator batch is what lets batch norm see a mean shift."""

import dataclasses

import numpy as np
import pytest

from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.registry import get_preset
from zoo.training.step import NonSaturatingStep


def _logits_gap(joint_batch: bool) -> float:
    """Mean fake logit minus mean real logit when fake = real + 0.5 (a pure mean shift)."""
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    d = MLPDiscriminator(batch_norm=True)
    seen = {}

    def spy(x, training):  # records D's logits on both halves
        out = d(x, training=training)
        seen.setdefault("calls", []).append(np.asarray(out))
        return out

    step = NonSaturatingStep(latent_dim=4, joint_batch=joint_batch)
    step.losses(lambda z, training: real + 0.5, spy, real, np.zeros((16, 4), "float32"))
    logits = np.concatenate(seen["calls"])
    return float(logits[16:].mean() - logits[:16].mean())


def test_separate_batches_hide_a_mean_shift_from_batchnorm():
    # Dense is linear and BN removes each batch's mean, so shifted fakes score like the reals.
    assert abs(_logits_gap(joint_batch=False)) < 1e-4


def test_joint_batch_exposes_a_mean_shift():
    assert abs(_logits_gap(joint_batch=True)) > 1e-2


@pytest.mark.parametrize("joint_batch", [True, False])
def test_step_config_reaches_the_step_and_round_trips(joint_batch):
    preset = dataclasses.replace(get_preset("dcgan-mnist"), step_config={"joint_batch": joint_batch},
                                 generator_config={**get_preset("dcgan-mnist").generator_config, "latent_dim": 7})
    step = preset.step.from_preset(preset)
    assert step.joint_batch is joint_batch and step.latent_dim == 7
    again = NonSaturatingStep(**step.get_config())
    assert again.get_config() == step.get_config()


def test_unknown_step_option_is_an_error():
    preset = get_preset("dcgan-mnist")
    with pytest.raises(TypeError, match="joint"):
        NonSaturatingStep.from_preset(dataclasses.replace(preset, step_config={"jointbatch": True}))
