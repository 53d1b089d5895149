"""Image grids and PNG output, optionally with row and column labels.

A labelled figure is the bare grid (:func:`grid_image`) pasted unchanged at
the bottom right of a white canvas, with the column labels in a top margin
and the row labels in a left margin (:func:`label_margins`).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

PAD = 2  # pixels between grid cells, before scaling
LABEL_GAP = 4  # pixels between a label and the grid


def make_grid(images: np.ndarray, ncols: int | None = None, pad: int = PAD) -> np.ndarray:
    """(N, H, W, C) float in [-1, 1] -> uint8 grid (rows*H, cols*W[, C]) with padding."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W, C), got {images.shape}")
    n, h, w, c = images.shape
    if n == 0:  # a grid of nothing is a blank picture that looks like a result
        raise ValueError("no images to draw (need at least one)")
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = max(1, math.ceil(n / ncols))
    pixels = ((np.clip(images, -1, 1) + 1) * 127.5).round().astype(np.uint8)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = pixels[i]
    return grid[..., 0] if c == 1 else grid


def grid_image(images: np.ndarray, ncols: int | None = None, scale: int = 2):
    """The bare grid as a PIL image, each pixel a ``scale`` x ``scale`` block (nearest neighbour)."""
    from PIL import Image

    img = Image.fromarray(make_grid(images, ncols))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


def label_font(scale: int = 2):
    """The labels' font: Pillow's built-in one, sized with the grid's ``scale``."""
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=6 + 3 * max(1, scale))
    except (TypeError, ValueError, OSError):  # a Pillow without FreeType: its fixed bitmap font
        return ImageFont.load_default()


def _text_size(font, text: str) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(text or " ")
    return right - left, bottom - top


def label_margins(row_labels=None, col_labels=None, scale: int = 2) -> tuple[int, int]:
    """(left, top) margins in pixels that the labels take; (0, 0) without labels.

    Examples:
    >>> label_margins()
    (0, 0)
    >>> left, top = label_margins(["seed 0", "seed 1"], ["psi 0", "psi 1"])
    >>> left > 0 and top > 0
    True
    """
    font = label_font(scale)
    left = max((_text_size(font, str(t))[0] for t in row_labels), default=0) + 2 * LABEL_GAP if row_labels else 0
    height = _text_size(font, "Ag0.-")[1]
    top = height + 2 * LABEL_GAP if col_labels else 0
    return left, top


def labelled_grid(images: np.ndarray, ncols: int | None = None, scale: int = 2, row_labels=None,
                  col_labels=None):
    """The grid with ``row_labels`` (one per grid row) left of it and ``col_labels`` (one per column)
    above it, as a PIL image; the grid's own pixels are those of :func:`grid_image`.

    Examples:
    >>> images = np.zeros((6, 28, 28, 1), np.float32)
    >>> bare = grid_image(images, ncols=3)
    >>> fig = labelled_grid(images, ncols=3, row_labels=["seed 0", "seed 1"], col_labels=["a", "b", "c"])
    >>> left, top = label_margins(["seed 0", "seed 1"], ["a", "b", "c"])
    >>> fig.size == (bare.width + left, bare.height + top)
    True
    >>> bool((np.asarray(fig)[top:, left:] == np.asarray(bare)).all())
    True
    """
    from PIL import Image, ImageDraw

    images = np.asarray(images)
    bare = grid_image(images, ncols, scale)
    if not row_labels and not col_labels:
        return bare
    n, h, w = images.shape[:3]
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = max(1, math.ceil(n / ncols))
    for what, labels, count in (("row", row_labels, nrows), ("column", col_labels, ncols)):
        if labels and len(labels) != count:
            raise ValueError(f"got {len(labels)} {what} labels for a grid of {count} {what}s")
    left, top = label_margins(row_labels, col_labels, scale)
    canvas = Image.new(bare.mode, (bare.width + left, bare.height + top), "white")
    canvas.paste(bare, (left, top))
    draw, font = ImageDraw.Draw(canvas), label_font(scale)
    ink = 0 if bare.mode == "L" else (0, 0, 0)
    # Placed by their bounding boxes (Pillow's bitmap fallback font takes no anchors): a column's
    # label centred above it, a row's right-aligned beside it and centred on it.
    for j, text in enumerate(col_labels or []):
        x = left + (PAD + j * (w + PAD) + w / 2) * scale
        x0, y0, x1, y1 = font.getbbox(str(text) or " ")
        draw.text((x - (x1 - x0) / 2 - x0, top - LABEL_GAP - y1), str(text), fill=ink, font=font)
    for i, text in enumerate(row_labels or []):
        y = top + (PAD + i * (h + PAD) + h / 2) * scale
        x0, y0, x1, y1 = font.getbbox(str(text) or " ")
        draw.text((left - LABEL_GAP - x1, y - (y1 + y0) / 2), str(text), fill=ink, font=font)
    return canvas


def save_png(images: np.ndarray, path: str | Path, ncols: int | None = None, scale: int = 2,
             row_labels=None, col_labels=None) -> Path:
    """Writes a grid PNG atomically; ``scale`` enlarges small digits for viewing; ``row_labels`` /
    ``col_labels`` (one per grid row / column) label it (see :func:`labelled_grid`)."""
    from zoo import atomic

    img = labelled_grid(images, ncols, scale, row_labels, col_labels)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return atomic.write_bytes(path, buf.getvalue())


def number_label(value: float) -> str:
    """A short label for a figure axis value: ``0.25``, ``-1.56``, ``1``.

    Examples:
    >>> [number_label(v) for v in (0.0, 0.25, -1.5555, 2.0)]
    ['0', '0.25', '-1.56', '2']
    """
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
