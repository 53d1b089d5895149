"""Image grids and PNG output."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np


def make_grid(images: np.ndarray, ncols: int | None = None, pad: int = 2) -> np.ndarray:
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


def save_png(images: np.ndarray, path: str | Path, ncols: int | None = None, scale: int = 2) -> Path:
    """Writes a grid PNG atomically; ``scale`` enlarges small digits for viewing."""
    from PIL import Image

    from zoo import atomic

    grid = make_grid(images, ncols)
    img = Image.fromarray(grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return atomic.write_bytes(path, buf.getvalue())
