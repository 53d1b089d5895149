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
