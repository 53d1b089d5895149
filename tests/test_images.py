import numpy as np
import pytest
from PIL import Image

from zoo.images import make_grid, save_png


def test_grid_layout_and_pixel_mapping():
    imgs = np.stack([np.full((3, 4, 1), v, np.float32) for v in (-1, 0, 1, 1, 1)])
    g = make_grid(imgs, ncols=2, pad=1)
    assert g.shape == (3 * 4 + 1, 2 * 5 + 1) and g.dtype == np.uint8
    assert g[1, 1] == 0 and g[1, 6] == 128 and g[5, 1] == 255


def test_save_png_writes_scaled_image(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    path = save_png(images, tmp_path / "g.png", scale=3)
    with Image.open(path) as im:
        assert im.size == ((2 * 30 + 2) * 3, (2 * 30 + 2) * 3)
        # Read back: the grid, each pixel a 3x3 block (nearest-neighbour, no smoothing).
        np.testing.assert_array_equal(np.asarray(im), make_grid(images).repeat(3, axis=0).repeat(3, axis=1))
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]  # no temporary file left behind


def test_grid_rejects_wrong_rank():
    with pytest.raises(ValueError, match="N, H, W, C"):
        make_grid(np.zeros((28, 28)))
