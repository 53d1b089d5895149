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

from zoo.training.ema import EMASchedule, update_ema

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


def build_train_step(step, state, recipe=None, jit_compile: bool = False, strategy=None) -> Callable:
    """The compiled train step ``train_step(real) -> dict of losses`` for the active backend.

    One step: ``step.sample_latents``, both losses from ``step.losses`` (one
    generator pass), D and G updated on their own losses, then
    ``step.after_update(state, aux)`` and the generator EMA. The returned
    losses hold ``g_loss``, ``d_loss`` and the step's diagnostics (not ``aux``).

    Args:
        step: a :class:`~zoo.training.step.GANStep`.
        state: the :class:`~zoo.training.state.TrainState` it updates.
        recipe: the :class:`~zoo.registry.TrainRecipe` whose EMA options the
            step follows (``ema_decay``, or ``ema_kimg`` and ``ema_rampup``: see
            :class:`~zoo.training.ema.EMASchedule`); None: the state has no EMA.
        jit_compile: XLA-compile the step (TensorFlow; JAX always compiles).
        strategy: a ``tf.distribute`` strategy whose scope created ``state``.

    Examples:
    >>> from zoo.registry import tiny_preset
    >>> from zoo.training import TrainState
    >>> preset = tiny_preset("dcgan-mnist")
    >>> state = TrainState.create(preset)
    >>> train_step = build_train_step(preset.step.from_preset(preset), state, recipe=preset.recipe)
    >>> losses = train_step(np.zeros((state.batch_size, 28, 28, 1), "float32"))
    >>> sorted(losses), state.step
    (['d_loss', 'g_loss', 'r1'], 1)
    """
    backend = keras.backend.backend()
    ema = EMASchedule.from_recipe(recipe) if recipe is not None else None
    if state.ema is not None and ema is None:
        raise ValueError("the state keeps a generator EMA: pass the recipe that has one (recipe=...)")
    if strategy is not None and backend != "tensorflow":
        raise ValueError(f"tf.distribute strategies need the TensorFlow backend, not {backend}")
    if backend == "tensorflow":
        return _tensorflow_step(step, state, ema, jit_compile, strategy)
    if backend == "jax":
        return _jax_step(step, state, ema)
    if backend == "torch":
        return _torch_step(step, state, ema)
    raise NotImplementedError(f"backend {backend!r} is not supported; use one of {BACKENDS}")


def split_aux(losses: dict) -> tuple[dict, dict]:
    """``(losses without "aux", the aux dict or {})``: aux goes to ``after_update``, never to logs."""
    losses = dict(losses)
    return losses, losses.pop("aux", {})


def _update_ema(state, ema: EMASchedule | None) -> None:
    """The EMA update that ends a step; ``g_opt.iterations`` already counts the step."""
    if state.ema is not None:
        update_ema(state.ema, state.generator, ema.decay_at(state.g_opt.iterations, state.batch_size))


def _tensorflow_step(step, state, ema, jit_compile: bool, strategy):
    import tensorflow as tf

    g, d = state.generator, state.discriminator

    def replica_step(real, latents, scale):
        # Each loss is a mean over this replica's batch; the optimiser sums the
        # replicas' gradients, so scaling by 1 / replicas gives the global-batch mean.
        with tf.GradientTape(persistent=True) as tape:
            losses, aux = split_aux(step.losses(g, d, real, latents))
            g_loss, d_loss = losses["g_loss"] * scale, losses["d_loss"] * scale
        g_grads = tape.gradient(g_loss, g.trainable_variables)
        d_grads = tape.gradient(d_loss, d.trainable_variables)
        del tape
        state.d_opt.apply(d_grads, d.trainable_variables)
        state.g_opt.apply(g_grads, g.trainable_variables)
        step.after_update(state, aux)
        return losses

    def update_ema():
        _update_ema(state, ema)

    if strategy is None:

        def train_step(real):
            latents = step.sample_latents(state.batch_size, state.seed_generator)
            losses = replica_step(real, latents, 1.0)
            update_ema()
            return losses

        return tf.function(train_step, jit_compile=jit_compile)

    from zoo.training import distribute

    return distribute.tensorflow_distributed_step(step, state, strategy, replica_step, update_ema, jit_compile)


def _jax_step(step, state, ema):
    import jax

    g, d = state.generator, state.discriminator
    g_train, d_train = list(g.trainable_variables), list(d.trainable_variables)
    # Every variable the step may read or write, in a fixed order.
    state_vars = _unique(
        list(g.variables) + list(d.variables) + (list(state.ema.variables) if state.ema is not None else [])
        + list(state.g_opt.variables) + list(state.d_opt.variables) + [state.seed_generator.state]
    )
    trained_ids = {id(v) for v in g_train + d_train}

    def jax_step(values, real):
        mapping = dict(zip(map(id, state_vars), values))

        def forward(g_values, d_values):
            values = {**mapping, **dict(zip(map(id, g_train), g_values)), **dict(zip(map(id, d_train), d_values))}
            with keras.StatelessScope(state_mapping=[(v, values[id(v)]) for v in state_vars]) as scope:
                latents = step.sample_latents(state.batch_size, state.seed_generator)
                losses, aux = split_aux(step.losses(g, d, real, latents))
            # Non-trained state written by the forward pass (batch-norm statistics,
            # the seed); the trained weights change only through the optimisers.
            updated = [None if id(v) in trained_ids else scope.get_current_value(v) for v in state_vars]
            return (losses["g_loss"], losses["d_loss"]), (losses, aux, updated)

        g_values = [mapping[id(v)] for v in g_train]
        d_values = [mapping[id(v)] for v in d_train]
        _, pullback, (losses, aux, updated) = jax.vjp(forward, g_values, d_values, has_aux=True)
        one, zero = np.float32(1.0), np.float32(0.0)
        g_grads = pullback((one, zero))[0]  # d g_loss / d G
        d_grads = pullback((zero, one))[1]  # d d_loss / d D
        after_forward = [u if u is not None else v for u, v in zip(updated, values)]
        with keras.StatelessScope(state_mapping=list(zip(state_vars, after_forward))) as scope:
            state.d_opt.apply(d_grads, d_train)
            state.g_opt.apply(g_grads, g_train)
            step.after_update(state, aux)
            _update_ema(state, ema)
        return [scope.get_current_value(v) for v in state_vars], losses

    # XLA is how JAX runs at all; jit_compile=False keeps it (the flag is TensorFlow's choice).
    compiled = jax.jit(jax_step, donate_argnums=0)

    def run(real):
        new_state, losses = compiled([v.value for v in state_vars], to_backend_batch(real))
        for v, value in zip(state_vars, new_state):
            v.assign(value)
        return losses

    return run


def _torch_step(step, state, ema):
    import torch

    g, d = state.generator, state.discriminator

    def train_step(real):
        g_train, d_train = g.trainable_variables, d.trainable_variables
        latents = step.sample_latents(state.batch_size, state.seed_generator)
        losses, aux = split_aux(step.losses(g, d, to_backend_batch(real), latents))
        g_grads = torch.autograd.grad(losses["g_loss"], [v.value for v in g_train],
                                      retain_graph=True, allow_unused=True)
        d_grads = torch.autograd.grad(losses["d_loss"], [v.value for v in d_train], allow_unused=True)
        with torch.no_grad():
            state.d_opt.apply(list(d_grads), d_train)
            state.g_opt.apply(list(g_grads), g_train)
            step.after_update(state, keras.tree.map_structure(lambda x: x.detach(), aux))
            _update_ema(state, ema)
        return {k: v.detach() if hasattr(v, "detach") else v for k, v in losses.items()}

    return train_step


def _unique(variables: list) -> list:
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
