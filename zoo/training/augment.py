"""DiffAugment (Zhao et al., 2020): differentiable augmentation of D's inputs.

The same random transform family is applied to real and generated images
before the discriminator, in the graph, so that D never sees an un-augmented
image and G's gradient flows back through the transform. Both transforms
here are linear in the image (a 0/1 shift matrix, a 0/1 mask), so they are
differentiable with respect to the image on every backend.

Randomness: the step draws uniforms in [0, 1) from its seed generator in
``sample_latents`` (:func:`draw`); this module turns them into integer shifts
and boxes for the image size it sees. Each image gets its own draw (as in
DiffAugment, real and fake images are augmented independently).

Fill value: uncovered pixels (translation) and the cut-out box are set to
0, exactly as in DiffAugment. Our images are in [-1, 1], so 0 is mid-grey,
not the black background of MNIST; DiffAugment's own pipelines (BigGAN,
StyleGAN2) also feed [-1, 1] images, so this is the setting its authors
measured, and it keeps both transforms plain multiplications (no offset).

Sizes: a fraction of the image side, rounded down: the DiffAugment ratios
1/8 and 1/2 give a shift of up to 3 px and a 14 px cutout on 28x28 images
(the sizes measured for MNIST; DiffAugment itself rounds to nearest, 4 px).
"""

from __future__ import annotations

import keras
from keras import ops

POLICIES = ("translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ``("translation", "cutout")``; ``""`` -> ``()`` (no augmentation)."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment transform(s) {unknown}; choose from {', '.join(POLICIES)}")
    return names


def draw(names, batch_size: int, seed_generator) -> dict:
    """The random parameters of one step: per transform, uniforms (N, 2, 2) in [0, 1).

    ``[n, 0]`` is for the n-th real image and ``[n, 1]`` for the n-th fake;
    the last axis is (y, x). The batch is the first axis so that a
    ``tf.distribute`` step hands each replica the draws of its own images.
    """
    return {name: keras.random.uniform((batch_size, 2, 2), seed=seed_generator) for name in names}


def _integers(u, count: int):
    """Uniforms in [0, 1) -> integers in [0, count) (int32). The minimum guards
    against a float32 product rounding up to ``count``."""
    return ops.cast(ops.minimum(ops.floor(u * count), count - 1), "int32")


def max_shift(size: int, ratio: float) -> int:
    return int(size * ratio)


def translation_shifts(u, height: int, width: int, ratio: float = 0.125):
    """``(dy, dx)``: per-image integer shifts (M,) in [-s, s], s = floor(side * ratio); u: (M, 2)."""
    sy, sx = max_shift(height, ratio), max_shift(width, ratio)
    return _integers(u[:, 0], 2 * sy + 1) - sy, _integers(u[:, 1], 2 * sx + 1) - sx


def _shift_matrix(shift, size: int, dtype):
    """(M, size, size) with ``[m, i, k] = 1`` where ``k == i - shift[m]``: row i reads pixel i - shift."""
    index = ops.arange(size, dtype="int32")
    source = index[None, :] - shift[:, None]  # (M, size): the pixel each output pixel reads
    return ops.cast(ops.equal(index[None, None, :], source[:, :, None]), dtype)  # no match: 0 (outside)


def translate(x, u, ratio: float = 0.125):
    """Shifts each image by its own integer (dy, dx); pixels shifted in from outside are 0.

    ``out[m, i, j] = x[m, i - dy[m], j - dx[m]]`` (0 where that is outside),
    computed as ``rows @ x @ cols^T`` with 0/1 shift matrices: linear in
    ``x``, so its gradient is the reverse shift. Cost O(M H W (H + W) C),
    negligible next to D at the zoo's 28 to 64 px.

    Args:
        x: images (M, H, W, C).
        u: uniforms (M, 2) in [0, 1) (:func:`draw`).
        ratio: the largest shift as a fraction of the side.
    """
    x = ops.convert_to_tensor(x)
    height, width = x.shape[1], x.shape[2]
    dy, dx = translation_shifts(u, height, width, ratio)  # (M,), (M,)
    rows = _shift_matrix(dy, height, x.dtype)  # (M, H, H)
    cols = _shift_matrix(dx, width, x.dtype)  # (M, W, W)
    x = ops.einsum("mik,mkwc->miwc", rows, x)  # shift down by dy
    return ops.einsum("mjl,mhlc->mhjc", cols, x)  # shift right by dx


def cutout_boxes(u, height: int, width: int, ratio: float = 0.5):
    """``(top, left, box_h, box_w)``: per-image box corners (M,) and the box size (ints).

    As DiffAugment: the centre is uniform in [0, side + 1 - box % 2) and the
    box ``[centre - box // 2, centre - box // 2 + box)`` is clipped to the
    image, so boxes may hang over the border.
    """
    bh, bw = int(height * ratio), int(width * ratio)
    top = _integers(u[:, 0], height + 1 - bh % 2) - bh // 2
    left = _integers(u[:, 1], width + 1 - bw % 2) - bw // 2
    return top, left, bh, bw


def cutout(x, u, ratio: float = 0.5):
    """Sets one box per image to 0 by a multiplicative 0/1 mask (gradient: the same mask).

    Args:
        x: images (M, H, W, C).
        u: uniforms (M, 2) in [0, 1) (:func:`draw`).
        ratio: the box side as a fraction of the image side.
    """
    x = ops.convert_to_tensor(x)
    height, width = x.shape[1], x.shape[2]
    top, left, bh, bw = cutout_boxes(u, height, width, ratio)
    rows, cols = ops.arange(height, dtype="int32"), ops.arange(width, dtype="int32")
    in_rows = ops.logical_and(rows[None, :] >= top[:, None], rows[None, :] < top[:, None] + bh)  # (M, H)
    in_cols = ops.logical_and(cols[None, :] >= left[:, None], cols[None, :] < left[:, None] + bw)  # (M, W)
    inside = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])  # (M, H, W)
    keep = ops.cast(ops.logical_not(inside), x.dtype)[..., None]  # (M, H, W, 1), broadcast over channels
    return x * keep


def diff_augment(x, params: dict, names, translation: float = 0.125, cutout_ratio: float = 0.5):
    """Applies the transforms ``names`` in order to ``x`` (M, H, W, C).

    ``params[name]`` are that transform's uniforms (M, 2) for these images
    (one slice of :func:`draw`'s output).
    """
    for name in names:
        if name == "translation":
            x = translate(x, params[name], translation)
        elif name == "cutout":
            x = cutout(x, params[name], cutout_ratio)
    return x


def apply_draw(images, params: dict | None, which: int, names, translation: float = 0.125,
               cutout_ratio: float = 0.5):
    """DiffAugment of ``images`` (N, H, W, C) with draw ``which`` of :func:`draw`'s output
    (0: the real images', 1: the fakes'); the images themselves when ``params`` is None (off)."""
    if params is None:
        return images
    own = {name: u[:, which] for name, u in params.items()}  # (N, 2) uniforms per transform
    return diff_augment(images, own, names, translation, cutout_ratio)
