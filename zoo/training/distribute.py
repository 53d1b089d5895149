"""Data-parallel training: ``tf.distribute`` strategies, and Keras' DataParallel under JAX.

``gan-zoo train NAME --strategy S`` picks one of :data:`STRATEGIES`:

* ``mirrored``: :class:`tf.distribute.MirroredStrategy` over every visible GPU
  (else every logical CPU device) of this machine.
* ``multi-worker``: :class:`tf.distribute.MultiWorkerMirroredStrategy`, the
  cluster read from the ``TF_CONFIG`` environment variable; every worker runs
  the same command and only the chief writes the run folder.
* ``tpu``: :class:`tf.distribute.TPUStrategy` on the TPU found by
  :class:`tf.distribute.cluster_resolver.TPUClusterResolver`.
* ``data-parallel`` (JAX backend): ``keras.distribution.DataParallel`` over
  every JAX device; the ordinary JAX step then runs under that distribution
  (see :func:`jax_data_parallel` for what is and is not sharded yet).

How one TensorFlow step is distributed (:func:`tensorflow_distributed_step`):
the compiled step receives the *global* real batch, draws the latents once
for the global batch in cross-replica context (so the seed generator is only
written there, and R replicas draw exactly what one replica would), and hands
both to every replica. Replica ``r`` of ``R`` keeps samples ``r, r + R,
r + 2R, ...`` of every tensor whose first dimension is the global batch
(scalars, such as StyleGAN's ``crossover``, pass through). Strided rather than
contiguous shares because the minibatch-stddev groups are strided (sample
``k`` is in group ``k % M``): each replica then holds whole groups, and the
discriminator sees exactly the groups of the undivided batch. Each replica's
losses are means over its share; they are scaled by ``1 / R`` before the
gradients, and the optimisers (built under the strategy's scope) sum the
replicas' gradients, so the update is the global-batch mean. The generator
EMA is then updated once, in cross-replica context.

Batch normalisation (DCGAN, InfoGAN) normalises each replica's share with its
own statistics (not synchronised): with R replicas the batch statistics are
those of global_batch / R samples, as with any per-device batch norm.
Variables written inside a replica (StyleGAN's ``w_avg``) are created with
``aggregation="mean"``, so their update is the replicas' mean.
"""

from __future__ import annotations

import json
import os

from zoo.errors import ZooError

STRATEGIES = ("mirrored", "multi-worker", "tpu", "data-parallel")
TF_STRATEGIES = ("mirrored", "multi-worker", "tpu")


def make_strategy(name: str | None):
    """The strategy called ``name``, or None to train on one device.

    Args:
        name: one of :data:`STRATEGIES`, or None. ``data-parallel`` sets the
            Keras distribution for the JAX backend and returns None (the JAX
            step needs no strategy object).

    Returns:
        A ``tf.distribute.Strategy``, or None.

    Raises:
        ZooError: unknown name, a strategy the active Keras backend cannot
            run, no ``TF_CONFIG`` for ``multi-worker``, or no TPU for ``tpu``.

    Examples:
    >>> make_strategy(None) is None  # one device
    True
    >>> make_strategy("mirrored").num_replicas_in_sync >= 1  # every GPU, else every logical CPU device
    True
    >>> make_strategy("ring")
    Traceback (most recent call last):
    ...
    zoo.errors.ZooError: unknown strategy 'ring'; choose one of mirrored, multi-worker, tpu, data-parallel
    """
    if name is None:
        return None
    if name not in STRATEGIES:
        raise ZooError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    import keras

    backend = keras.backend.backend()
    if name == "data-parallel":
        if backend != "jax":
            raise ZooError(f"--strategy data-parallel is keras.distribution.DataParallel for the JAX backend; "
                           f"the Keras backend is {backend} (use --strategy mirrored under TensorFlow)")
        jax_data_parallel()
        return None
    if backend != "tensorflow":
        raise ZooError(f"--strategy {name} is a tf.distribute strategy and needs the TensorFlow backend, but "
                       f"the Keras backend is {backend}; under JAX use --strategy data-parallel "
                       f"(keras.distribution.DataParallel)")
    import tensorflow as tf

    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multi-worker":
        raw = os.environ.get("TF_CONFIG")
        if not raw:
            raise ZooError('--strategy multi-worker reads the cluster from TF_CONFIG, which is not set; e.g. '
                           'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                           '"task": {"type": "worker", "index": 0}}\' on the first host')
        try:
            config = json.loads(raw)
            config["cluster"], config["task"]["type"], config["task"]["index"]
        except (ValueError, KeyError, TypeError) as e:
            raise ZooError(f"TF_CONFIG must be JSON with 'cluster' and 'task': {{'type', 'index'}}; "
                           f"got {raw!r}") from e
        return tf.distribute.MultiWorkerMirroredStrategy()
    # TPU: TPUClusterResolver finds a Cloud TPU VM's local TPU, or TPU_NAME's.
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ZooError(f"--strategy tpu: no TPU found ({first}); run on a Cloud TPU VM or set TPU_NAME") from e
    return tf.distribute.TPUStrategy(resolver)


def jax_data_parallel():
    """Under the JAX backend, trains data-parallel over every JAX device.

    Sets ``keras.distribution.DataParallel()`` as the global distribution, so
    variables created afterwards are replicated on every device. Call it
    before the models are built. With one device it changes nothing.

    Limitation: the JAX step (``zoo.training.backends``) feeds the real batch
    as an unsharded array, so each device still computes the whole batch
    (correct, but replicated rather than split). Sharding it along the batch
    axis with ``keras.distribution.distribute_tensor(x,
    distribution.get_data_layout(x.shape))`` was checked to give the same
    weights as one device to 1e-7 on two CPU devices.

    Returns:
        The distribution, or None with fewer than two devices.

    Raises:
        ZooError: the Keras backend is not JAX.
    """
    import keras

    if keras.backend.backend() != "jax":
        raise ZooError(f"keras.distribution.DataParallel is for the JAX backend, not {keras.backend.backend()}")
    import jax

    devices = jax.devices()
    if len(devices) < 2:
        return None
    distribution = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(distribution)
    return distribution


def check_global_batch(batch_size: int, strategy) -> None:
    """Raises ZooError unless the global batch divides into the strategy's replicas."""
    replicas = num_replicas(strategy)
    if batch_size % replicas:
        raise ZooError(f"the global batch of {batch_size} does not divide into {replicas} replicas; "
                       f"pass a --batch-size that is a multiple of {replicas}")


def num_replicas(strategy) -> int:
    """Replicas in sync (1 without a strategy)."""
    return 1 if strategy is None else int(strategy.num_replicas_in_sync)


def is_chief(strategy) -> bool:
    """Whether this process writes the run folder: always, except on a multi-worker
    cluster's non-chief workers (the chief is task ``chief``, else ``worker`` 0)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    spec = resolver.cluster_spec().as_dict()
    if "chief" in spec:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and int(resolver.task_id) == 0


def _replica_share(x, replica_id, replicas: int, global_batch: int):
    """Samples ``replica_id, replica_id + replicas, ...`` of ``x`` if its first
    dimension is the global batch; ``x`` itself otherwise (scalars)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    if x.shape.rank == 0 or x.shape[0] != global_batch:
        return x
    rest = x.shape[1:].as_list() if x.shape[1:].is_fully_defined() else tf.unstack(tf.shape(x)[1:])
    # (N, ...) -> (N / R, R, ...): column r holds samples r, r + R, ...
    return tf.gather(tf.reshape(x, [global_batch // replicas, replicas, *rest]), replica_id, axis=1)


def tensorflow_distributed_step(step, state, strategy, replica_step, update_ema, jit_compile: bool = False):
    """The compiled train step ``step(real) -> dict of losses`` under ``strategy``.

    Args:
        step: the family's :class:`~zoo.training.step.GANStep` (draws the latents).
        state: the :class:`~zoo.training.state.TrainState` (``batch_size`` is
            the global batch); its variables were created under ``strategy.scope()``.
        strategy: a ``tf.distribute.Strategy``.
        replica_step: ``replica_step(real, latents, scale) -> losses`` for one
            replica's share: scales both losses by ``scale`` before the
            gradients and applies both optimisers (which sum the replicas'
            gradients).
        update_ema: ``update_ema()``, run once per step in cross-replica context.
        jit_compile: XLA-compile each replica's step (the cross-replica part,
            latents, reductions and EMA, stays a plain graph, as in Keras' own
            ``fit``). GPU or TPU replicas only (not tested on several GPUs
            here); refused on CPU devices, where XLA cannot place it.

    Returns:
        A ``tf.function`` taking the global real batch (every process passes
        the same batch; each replica keeps its share). Its losses are the
        replicas' means, as float32.

    Raises:
        ZooError: the global batch does not divide into the replicas, or
            ``jit_compile`` on CPU replicas.
    """
    import tensorflow as tf

    replicas = num_replicas(strategy)
    check_global_batch(state.batch_size, strategy)
    if jit_compile and any("CPU" in d.upper() for d in strategy.extended.worker_devices):
        # XLA on CPU compiles every replica's function onto the first CPU device and
        # then cannot reach the other replicas' variables.
        raise ZooError("jit_compile with a tf.distribute strategy needs GPU or TPU replicas; "
                       "drop jit_compile on CPU devices")
    scale = 1.0 / replicas

    def on_replica(real, latents):
        replica_id = tf.distribute.get_replica_context().replica_id_in_sync_group

        def share(x):
            return _replica_share(x, replica_id, replicas, state.batch_size)

        losses = replica_step(share(real), tf.nest.map_structure(share, latents), scale)
        # Logged values only: float32 so that every entry (StyleGAN's int crossover too) averages.
        return {k: tf.cast(v, tf.float32) for k, v in losses.items()}

    if jit_compile:
        on_replica = tf.function(on_replica, jit_compile=True)

    def train_step(real):
        latents = step.sample_latents(state.batch_size, state.seed_generator)
        per_replica = strategy.run(on_replica, args=(real, latents))
        losses = {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in per_replica.items()}
        update_ema()
        return losses

    return tf.function(train_step)
