"""Defining properties of the shared layers in zoo.layers."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNorm,
    downsample_avg,
    upsample_nearest,
)


def test_pixel_norm_gives_unit_mean_square_over_channels():
    x = np.random.default_rng(0).normal(0, 5, (3, 4, 4, 16)).astype(np.float32)
    y = np.asarray(PixelNorm()(x))
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-5)
    # Only the length of each pixel's vector changes, not its direction.
    np.testing.assert_allclose(y * np.linalg.norm(x, axis=-1, keepdims=True),
                               x * np.linalg.norm(y, axis=-1, keepdims=True), rtol=1e-4, atol=1e-4)
    assert np.isfinite(np.asarray(PixelNorm()(np.zeros((1, 2, 2, 3), np.float32)))).all()


def _minibatch_stddev_reference(x, group_size, eps=1e-8):
    """NumPy: sample k belongs to group k % M (M = N / G); std over the group, mean over H, W, C."""
    n = len(x)
    g = min(group_size, n)
    m = n // g
    out = np.empty((n, *x.shape[1:3], 1), np.float64)
    for group in range(m):
        members = x[group::m].astype(np.float64)  # (G, H, W, C)
        std = np.sqrt(members.var(axis=0) + eps)
        out[group::m] = std.mean()
    return out


@pytest.mark.parametrize("n, group_size", [(8, 4), (4, 4), (3, 4), (6, 2)])
def test_minibatch_stddev_adds_one_map_equal_to_the_averaged_std(n, group_size):
    x = np.random.default_rng(n).normal(0, 2, (n, 4, 4, 5)).astype(np.float32)
    y = np.asarray(MinibatchStdDev(group_size)(x))
    assert y.shape == (n, 4, 4, 6)
    np.testing.assert_array_equal(y[..., :5], x)  # the input passes through unchanged
    np.testing.assert_allclose(y[..., 5:], _minibatch_stddev_reference(x, group_size), rtol=1e-5)


@pytest.mark.parametrize("n, group_size", [(8, 4), (8, 2), (4, 4)])
def test_minibatch_stddev_contiguous_groups_consecutive_samples(n, group_size):
    x = np.random.default_rng(n).normal(0, 2, (n, 1, 1, 5)).astype(np.float32)
    y = np.asarray(MinibatchStdDev(group_size, contiguous=True)(x))
    groups = x.reshape(n // group_size, group_size, 5)  # group m: samples m * G .. m * G + G - 1
    want = np.sqrt(groups.var(axis=1) + 1e-8).mean(axis=1)  # (M,)
    np.testing.assert_allclose(y[:, 0, 0, 5], np.repeat(want, group_size), rtol=1e-5)
    # a batch of [identical reals; varied fakes] keeps the reals' groups at ~0 (when G divides N / 2)
    if (n // 2) % group_size:
        return
    half = np.concatenate([np.repeat(x[:1], n // 2, axis=0), x[n // 2:]])
    std = np.asarray(MinibatchStdDev(group_size, contiguous=True)(half))[:, 0, 0, 5]
    assert std[: n // 2].max() < 1e-3 < std[n // 2:].min()
    fn = tf.function(MinibatchStdDev(group_size, contiguous=True),
                     input_signature=[tf.TensorSpec((None, 1, 1, 5), tf.float32)])
    np.testing.assert_allclose(np.asarray(fn(x)), y, rtol=1e-5)  # unknown batch size


def test_minibatch_stddev_refuses_a_batch_the_groups_do_not_divide():
    for contiguous in (False, True):
        with pytest.raises(ValueError, match="batch of 6 is not divisible by the group size 4"):
            MinibatchStdDev(4, contiguous=contiguous)(np.zeros((6, 2, 2, 1), np.float32))


def test_minibatch_stddev_is_near_zero_for_identical_samples():
    x = np.repeat(np.random.default_rng(0).normal(size=(1, 4, 4, 3)), 4, axis=0).astype(np.float32)
    assert np.abs(np.asarray(MinibatchStdDev(4)(x))[..., -1]).max() < 1e-3


def test_minibatch_stddev_inside_a_compiled_function_with_unknown_batch():
    layer = MinibatchStdDev(4)
    fn = tf.function(layer, input_signature=[tf.TensorSpec((None, 4, 4, 2), tf.float32)])
    x = np.random.default_rng(1).normal(size=(8, 4, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(fn(x))[..., -1:], _minibatch_stddev_reference(x, 4), rtol=1e-5)


def test_equalized_dense_matches_he_init_output_distribution():
    """Stored weights are N(0, 1); with the run-time scale the outputs have He statistics."""
    fan_in, units = 256, 512
    keras.utils.set_random_seed(0)
    layer = EqualizedDense(units)
    x = np.random.default_rng(0).normal(size=(2048, fan_in)).astype(np.float32)
    y = np.asarray(layer(x))
    kernel = layer.kernel.numpy()
    assert abs(kernel.std() - 1.0) < 0.01 and abs(kernel.mean()) < 0.01
    he = keras.layers.Dense(units, kernel_initializer=keras.initializers.HeNormal(seed=1))
    y_he = np.asarray(he(x))
    # He init: Var(y) = fan_in * Var(x) * 2 / fan_in = 2.
    assert abs(y.var() - 2.0) < 0.05 and abs(y_he.var() - 2.0) < 0.1
    assert abs(y.mean()) < 0.02


def test_equalized_conv_matches_he_init_output_distribution():
    keras.utils.set_random_seed(0)
    layer = EqualizedConv2D(64, 3)
    x = np.random.default_rng(0).normal(size=(16, 16, 16, 32)).astype(np.float32)
    y = np.asarray(layer(x))[:, 1:-1, 1:-1]  # interior: no zero padding in the receptive field
    assert abs(layer.kernel.numpy().std() - 1.0) < 0.02
    assert abs(y.var() - 2.0) < 0.1
    assert math.isclose(layer.scale, math.sqrt(2.0) / math.sqrt(3 * 3 * 32))


@pytest.mark.parametrize("cls, shape, args", [(EqualizedDense, (4, 32), (8,)), (EqualizedConv2D, (4, 6, 6, 8), (8, 3))])
def test_lr_multiplier_keeps_init_and_scales_the_adam_step(cls, shape, args):
    """lr_multiplier c: the same effective weights at init, effective Adam steps c times smaller."""
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    keras.utils.set_random_seed(3)
    slow = cls(*args, lr_multiplier=0.01, bias_init=0.5) if cls is EqualizedDense else cls(*args, lr_multiplier=0.01)
    keras.utils.set_random_seed(3)
    base = cls(*args, bias_init=0.5) if cls is EqualizedDense else cls(*args)
    slow.build(shape), base.build(shape)
    assert abs(slow.kernel.numpy().std() * 0.01 - 1.0) < 0.1  # stored N(0, 1/c^2)
    # Give both the same effective weights, then check outputs and one Adam step.
    slow.kernel.assign(base.kernel.numpy() / 0.01)
    slow.bias.assign(base.bias.numpy() / 0.01)
    np.testing.assert_allclose(np.asarray(slow(x)), np.asarray(base(x)), rtol=1e-4, atol=1e-5)
    if cls is EqualizedDense:
        np.testing.assert_allclose(base.bias.numpy() * base.lr_multiplier, 0.5)
        np.testing.assert_allclose(slow.bias.numpy() * slow.lr_multiplier, 0.5)

    def effective_change(layer):
        before = layer.kernel.numpy() * layer.scale
        opt = keras.optimizers.Adam(1e-3)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        opt.apply(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables)
        return np.abs(layer.kernel.numpy() * layer.scale - before).mean()

    np.testing.assert_allclose(effective_change(slow) / effective_change(base), 0.01, rtol=0.05)


@pytest.mark.parametrize(
    "layer",
    [
        EqualizedDense(7, gain=1.0, lr_multiplier=0.01, use_bias=False, bias_init=1.0, name="d"),
        EqualizedConv2D(5, 1, gain=1.0, lr_multiplier=0.5, padding="valid", name="c"),
        PixelNorm(epsilon=1e-6),
        MinibatchStdDev(group_size=2, epsilon=1e-6),
    ],
    ids=lambda l: type(l).__name__,
)
def test_serialization_round_trip(layer):
    shape = (4, 6) if isinstance(layer, EqualizedDense) else (4, 6, 6, 3)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    y = np.asarray(layer(x))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    if not clone.built:
        clone.build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(clone(x)), y, rtol=1e-6)


def test_upsample_then_downsample_is_identity():
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 3)).astype(np.float32)
    up = np.asarray(upsample_nearest(x, 4))
    assert up.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(up[:, 5, 9], x[:, 1, 2])  # nearest neighbour
    np.testing.assert_allclose(np.asarray(downsample_avg(up, 4)), x, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(downsample_avg(x, 2))[0, 0, 0], x[0, :2, :2].mean((0, 1)), rtol=1e-6)
