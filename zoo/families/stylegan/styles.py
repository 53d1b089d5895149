"""Per-layer styles: broadcasting w to every synthesis layer and style mixing.

Shape convention of the family: the mapping network gives one w per sample,
(N, w_dim); the synthesis network reads one w per layer, ``ws`` of shape
(N, num_ws, w_dim), layer 0 being the coarsest (the 4x4 constant's layer).
Both functions are ``keras.ops`` only.
"""

from __future__ import annotations

from keras import ops


def broadcast_ws(w, num_ws: int):
    """(N, w_dim) -> (N, num_ws, w_dim), the same w for every layer; (N, num_ws, w_dim) passes through."""
    if len(w.shape) == 3:
        if w.shape[1] != num_ws:
            raise ValueError(f"ws must have {num_ws} layers, got shape {tuple(w.shape)}")
        return w
    if len(w.shape) != 2:
        raise ValueError(f"w must be (N, w_dim) or (N, {num_ws}, w_dim), got shape {tuple(w.shape)}")
    return ops.expand_dims(w, 1) * ops.ones((1, num_ws, 1), w.dtype)


def mix_styles(ws_a, ws_b, crossover):
    """Layers ``i < crossover`` from ``ws_a``, the others from ``ws_b``: (N, num_ws, w_dim).

    ``crossover`` is an int or a scalar tensor (one per batch, as in training)
    in [0, num_ws]: 0 gives pure b, num_ws pure a; ``crossover = k`` takes
    the k coarsest layers' styles from a and the finer ones from b.
    """
    num_ws = ws_a.shape[1]
    take_a = ops.arange(num_ws) < ops.cast(crossover, "int32")  # (num_ws,) bool
    return ops.where(ops.reshape(take_a, (1, num_ws, 1)), ws_a, ws_b)
