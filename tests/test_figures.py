"""Labelled figure grids (traverse, truncation, mix, growth) and the matplotlib benchmark plots."""

import numpy as np
import pytest
from PIL import Image

from zoo.images import grid_image, label_margins, labelled_grid, make_grid, save_png


def _images(n, h=28, w=28, c=1, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, h, w, c)).astype(np.float32)


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_labelled_figure_is_the_bare_grid_plus_label_margins(tmp_path, scale):
    images = _images(6)
    rows, cols = ["seed 0", "seed 11"], ["psi 0", "psi 0.5", "psi 1"]
    bare = np.asarray(grid_image(images, ncols=3, scale=scale))
    path = save_png(images, tmp_path / "fig.png", ncols=3, scale=scale, row_labels=rows, col_labels=cols)
    left, top = label_margins(rows, cols, scale)
    assert left > 0 and top > 0
    with Image.open(path) as im:
        fig = np.asarray(im)
    assert fig.shape == (bare.shape[0] + top, bare.shape[1] + left)
    np.testing.assert_array_equal(fig[top:, left:], bare)  # the grid's pixels are untouched
    assert (fig[:top] < 128).any() and (fig[:, :left] < 128).any()  # there is ink in both margins
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_only_the_labelled_sides_get_a_margin():
    images = _images(4)
    bare = grid_image(images, ncols=2)
    assert labelled_grid(images, ncols=2, col_labels=["a", "b"]).width == bare.width
    assert labelled_grid(images, ncols=2, row_labels=["a", "b"]).height == bare.height
    assert labelled_grid(images, ncols=2).size == bare.size
    np.testing.assert_array_equal(np.asarray(grid_image(images, 2, scale=1)), make_grid(images, 2))


def test_wider_row_labels_widen_the_margin_and_colour_grids_keep_their_pixels():
    assert label_margins(["a much longer row label"], None)[0] > label_margins(["a"], None)[0]
    images = _images(2, c=3)
    fig = np.asarray(labelled_grid(images, ncols=2, row_labels=["r"], col_labels=["x", "y"]))
    left, top = label_margins(["r"], ["x", "y"])
    np.testing.assert_array_equal(fig[top:, left:], np.asarray(grid_image(images, 2)))


def test_a_label_count_that_does_not_match_the_grid_is_refused():
    with pytest.raises(ValueError, match="2 column labels for a grid of 3 columns"):
        labelled_grid(_images(6), ncols=3, col_labels=["a", "b"])
    with pytest.raises(ValueError, match="1 row labels for a grid of 2 rows"):
        labelled_grid(_images(6), ncols=3, row_labels=["a"])


def test_benchmark_plot_is_a_matplotlib_png_of_the_expected_size(tmp_path):
    from benchmarks import plots

    path = plots.line_chart(tmp_path / "infer.png", "dcgan-mnist: generator inference",
                            {"onnx": [(1, 800.0), (8, 5000.0), (64, 20000.0)], "tflite": [(1, 900.0), (64, 9e3)]},
                            "batch size", "images/s")
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == plots.PLOT_SIZE_PX
        pixels = np.asarray(im.convert("L"))
    assert (pixels < 100).mean() > 0.005  # axes, ticks, labels and lines are drawn
    assert [p.name for p in tmp_path.iterdir()] == ["infer.png"]
    with pytest.raises(ValueError, match="no data"):
        plots.line_chart(tmp_path / "empty.png", "t", {"a": []}, "x", "y")
