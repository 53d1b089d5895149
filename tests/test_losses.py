import math

import numpy as np
import pytest

from zoo.training import losses


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize("logits", [[0.0], [2.0, -1.0], [30.0, -30.0, 0.5]])
def test_non_saturating_losses_match_hand_computed(logits):
    real = np.array(logits, np.float32)
    fake = -real + 0.25
    want_g = np.mean([-math.log(_sigmoid(f)) for f in fake])
    want_d = np.mean([-math.log(_sigmoid(r)) for r in real]) + np.mean([-math.log(_sigmoid(-f)) for f in fake])  # 1 - s(f) = s(-f), no cancellation
    assert float(losses.non_saturating_generator_loss(fake)) == pytest.approx(want_g, rel=1e-5, abs=1e-6)
    assert float(losses.non_saturating_discriminator_loss(real, fake)) == pytest.approx(want_d, rel=1e-5, abs=1e-6)


def test_log2_at_the_equilibrium():
    zero = np.zeros(4, np.float32)
    assert float(losses.non_saturating_discriminator_loss(zero, zero)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(losses.non_saturating_generator_loss(zero)) == pytest.approx(math.log(2), rel=1e-6)
    assert float(losses.minimax_generator_loss(zero)) == pytest.approx(-math.log(2), rel=1e-6)


def test_losses_stay_exact_for_extreme_logits():
    # softplus(-x) is 0 for x = 1e4 and 1e4 for x = -1e4; a naive log(sigmoid(x)) gives inf instead.
    big = np.array([1e4, -1e4], np.float32)
    assert float(losses.non_saturating_generator_loss(big)) == pytest.approx((0 + 1e4) / 2, rel=1e-6)
    assert float(losses.non_saturating_discriminator_loss(big, -big)) == pytest.approx(1e4 / 2 + 1e4 / 2, rel=1e-6)


def test_hinge_losses_match_hand_computed():
    real = np.array([0.5, 2.0, -1.0], np.float32)
    fake = np.array([-2.0, 0.3, 1.5], np.float32)
    # D: relu(1 - real) = (0.5, 0, 2), mean 2.5 / 3; relu(1 + fake) = (0, 1.3, 2.5), mean 3.8 / 3.
    assert float(losses.hinge_discriminator_loss(real, fake)) == pytest.approx(6.3 / 3, rel=1e-6)
    # G: -mean(fake) = -(-2 + 0.3 + 1.5) / 3.
    assert float(losses.hinge_generator_loss(fake)) == pytest.approx(0.2 / 3, rel=1e-5)


def test_hinge_margin_gives_zero_loss_for_confident_samples():
    real, fake = np.array([1.0, 5.0], np.float32), np.array([-1.0, -7.0], np.float32)
    assert float(losses.hinge_discriminator_loss(real, fake)) == 0.0


LOSS_FUNCTIONS = [
    lambda r, f: losses.non_saturating_generator_loss(f),
    losses.non_saturating_discriminator_loss,
    lambda r, f: losses.minimax_generator_loss(f),
    losses.minimax_discriminator_loss,
    lambda r, f: losses.hinge_generator_loss(f),
    losses.hinge_discriminator_loss,
]


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS)
def test_losses_are_float32_for_bfloat16_logits(fn):
    # Mixed precision hands the losses bfloat16 logits; each loss casts them to float32 first,
    # so it equals the float32 loss of the same (bfloat16-rounded) values.
    import keras

    rng = np.random.default_rng(0)
    real16 = keras.ops.cast(rng.normal(0, 3, 257).astype(np.float32), "bfloat16")
    fake16 = keras.ops.cast(rng.normal(0, 3, 257).astype(np.float32), "bfloat16")
    out = fn(real16, fake16)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    want = fn(keras.ops.cast(real16, "float32"), keras.ops.cast(fake16, "float32"))
    assert float(out) == float(want)
