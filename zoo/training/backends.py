"""The one place that knows how each Keras backend takes gradients.

Families write their losses with ``keras.ops`` and call models statefully
(``generator(z, training=True)``); the step objects in ``zoo.training.step``
and ``zoo.families.*.step`` never import a backend. This module turns one
such step object into a compiled train step for the active backend:

* TensorFlow: ``tf.GradientTape`` inside ``tf.function`` (optionally XLA);
  under a ``tf.distribute`` strategy the step runs per replica.
* JAX: the stateful step runs inside a ``keras.StatelessScope`` whose state is
  the jitted function's input, ``jax.vjp`` gives both networks' gradients
  from one forward pass, and every variable's new value (weights, optimiser
  slots, batch-norm statistics, the seed generator, StyleGAN's ``w_avg``) is
  threaded out explicitly and written back after the call.
* PyTorch: eager autograd (``torch.autograd.grad``), no compilation.

It also provides :func:`value_and_input_gradient`, the input gradient that
WGAN-GP and R1 need, differentiable again on every backend.
"""

from __future__ import annotations

from typing import Callable

import keras
import numpy as np

from zoo.training.ema import ema_decay_at, update_ema

BACKENDS = ("tensorflow", "jax", "torch")


def value_and_input_gradient(fn: Callable, x):
    """``(fn(x), d sum(fn(x)) / dx)``, with the gradient differentiable again.

    One forward pass feeds both (R1 and WGAN-GP use the critic's scores on
    the same batch). The gradient is of the batch's *summed* outputs, as in
    the authors' code: with a minibatch-stddev layer a sample's gradient
    includes a small contribution through the other samples' statistics.
    ``fn`` must not update variables (critics without batch norm).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            total = keras.ops.sum(y)
        return y, tape.gradient(total, x)
    if backend == "jax":
        import jax

        def summed(x):
            y = fn(x)
            return keras.ops.sum(y), y

        (_, y), grad = jax.value_and_grad(summed, has_aux=True)(x)
        return y, grad
    if backend == "torch":
        import torch

        x = keras.ops.convert_to_tensor(x)
        if not x.requires_grad:  # real images: a leaf that needs a gradient
            x = x.detach().requires_grad_(True)
        y = fn(x)
        (grad,) = torch.autograd.grad(keras.ops.sum(y), x, create_graph=True)
        return y, grad
    raise NotImplementedError(f"backend {backend!r} is not supported; use one of {BACKENDS}")


def to_backend_batch(batch):
    """A host batch (NumPy or a tf.data tensor) as the active backend's tensor."""
    if keras.backend.backend() == "tensorflow":
        return batch
    x = keras.ops.convert_to_tensor(np.asarray(batch))
    distribution = keras.distribution.distribution()  # JAX DataParallel: split the batch over devices
    if distribution is not None:
        x = keras.distribution.distribute_tensor(x, distribution.get_data_layout(x.shape))
    return x


def build_train_step(trainer, jit_compile: bool = False, strategy=None) -> Callable:
    """``step(real) -> dict of losses`` for the active backend.

    ``trainer`` provides ``generator``, ``discriminator``, ``ema`` (or None),
    ``step_logic``, ``g_opt``, ``d_opt``, ``seed_generator``, ``batch_size`` and
    ``recipe.ema_decay``. One step: draw latents, compute both losses from one
    generator pass, update D and G on their own losses, then the generator EMA.
    """
    backend = keras.backend.backend()
    if strategy is not None and backend != "tensorflow":
        raise ValueError(f"tf.distribute strategies need the TensorFlow backend, not {backend}")
    if backend == "tensorflow":
        return _tensorflow_step(trainer, jit_compile, strategy)
    if backend == "jax":
        return _jax_step(trainer, jit_compile)
    if backend == "torch":
        return _torch_step(trainer)
    raise NotImplementedError(f"backend {backend!r} is not supported; use one of {BACKENDS}")


def _update_ema(t) -> None:
    if t.ema is not None:
        step = keras.ops.cast(t.g_opt.iterations, "float32")
        update_ema(t.ema, t.generator, ema_decay_at(step, t.recipe.ema_decay))


def _tensorflow_step(t, jit_compile: bool, strategy):
    import tensorflow as tf

    g, d = t.generator, t.discriminator

    def replica_step(real, latents, scale):
        # Each loss is a mean over this replica's batch; the optimiser sums the
        # replicas' gradients, so scaling by 1 / replicas gives the global-batch mean.
        with tf.GradientTape(persistent=True) as tape:
            losses = t.step_logic.losses(g, d, real, latents)
            g_loss, d_loss = losses["g_loss"] * scale, losses["d_loss"] * scale
        g_grads = tape.gradient(g_loss, g.trainable_variables)
        d_grads = tape.gradient(d_loss, d.trainable_variables)
        del tape
        t.d_opt.apply(d_grads, d.trainable_variables)
        t.g_opt.apply(g_grads, g.trainable_variables)
        return losses

    if strategy is None:

        def step(real):
            latents = t.step_logic.sample_latents(t.batch_size, t.seed_generator)
            losses = replica_step(real, latents, 1.0)
            _update_ema(t)
            return losses

        return tf.function(step, jit_compile=jit_compile)

    from zoo.training import distribute

    return distribute.tensorflow_distributed_step(t, strategy, replica_step, _update_ema, jit_compile)


def _jax_step(t, jit_compile: bool):
    import jax

    g, d = t.generator, t.discriminator
    g_train, d_train = list(g.trainable_variables), list(d.trainable_variables)
    # Every variable the step may read or write, in a fixed order.
    state_vars = _unique(
        list(g.variables) + list(d.variables) + (list(t.ema.variables) if t.ema is not None else [])
        + list(t.g_opt.variables) + list(t.d_opt.variables) + [t.seed_generator.state]
    )
    trained_ids = {id(v) for v in g_train + d_train}

    def step(state, real):
        mapping = dict(zip(map(id, state_vars), state))

        def forward(g_values, d_values):
            values = {**mapping, **dict(zip(map(id, g_train), g_values)), **dict(zip(map(id, d_train), d_values))}
            with keras.StatelessScope(state_mapping=[(v, values[id(v)]) for v in state_vars]) as scope:
                latents = t.step_logic.sample_latents(t.batch_size, t.seed_generator)
                losses = t.step_logic.losses(g, d, real, latents)
            # Non-trained state written by the forward pass (batch-norm statistics,
            # the seed, w_avg); the trained weights change only through the optimisers.
            updated = [None if id(v) in trained_ids else scope.get_current_value(v) for v in state_vars]
            return (losses["g_loss"], losses["d_loss"]), (losses, updated)

        g_values = [mapping[id(v)] for v in g_train]
        d_values = [mapping[id(v)] for v in d_train]
        _, pullback, (losses, updated) = jax.vjp(forward, g_values, d_values, has_aux=True)
        one, zero = np.float32(1.0), np.float32(0.0)
        g_grads = pullback((one, zero))[0]  # d g_loss / d G
        d_grads = pullback((zero, one))[1]  # d d_loss / d D
        after_forward = [u if u is not None else s for u, s in zip(updated, state)]
        with keras.StatelessScope(state_mapping=list(zip(state_vars, after_forward))) as scope:
            t.d_opt.apply(d_grads, d_train)
            t.g_opt.apply(g_grads, g_train)
            _update_ema(t)
        return [scope.get_current_value(v) for v in state_vars], losses

    # XLA is how JAX runs at all; jit_compile=False keeps it (the flag is TensorFlow's choice).
    compiled = jax.jit(step, donate_argnums=0)

    def run(real):
        new_state, losses = compiled([v.value for v in state_vars], to_backend_batch(real))
        for v, value in zip(state_vars, new_state):
            v.assign(value)
        return losses

    return run


def _torch_step(t):
    import torch

    g, d = t.generator, t.discriminator

    def step(real):
        g_train, d_train = g.trainable_variables, d.trainable_variables
        latents = t.step_logic.sample_latents(t.batch_size, t.seed_generator)
        losses = t.step_logic.losses(g, d, to_backend_batch(real), latents)
        g_grads = torch.autograd.grad(losses["g_loss"], [v.value for v in g_train],
                                      retain_graph=True, allow_unused=True)
        d_grads = torch.autograd.grad(losses["d_loss"], [v.value for v in d_train], allow_unused=True)
        with torch.no_grad():
            t.d_opt.apply(list(d_grads), d_train)
            t.g_opt.apply(list(g_grads), g_train)
            _update_ema(t)
        return {k: v.detach() if hasattr(v, "detach") else v for k, v in losses.items()}

    return step


def _unique(variables: list) -> list:
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
