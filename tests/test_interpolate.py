"""Latent walks: slerp against hand values, the closed walk through the seeds, and the GIF/MP4 writer."""

import importlib.util
import sys

import numpy as np
import pytest
from PIL import Image, ImageSequence

import zoo
from zoo.cli import main
from zoo.interpolate import lerp, loop_positions, slerp, walk, write_animation

HAS_MP4 = importlib.util.find_spec("imageio") is not None and importlib.util.find_spec("imageio_ffmpeg") is not None


# --- slerp ------------------------------------------------------------------------------------------
def test_slerp_endpoints_are_exact():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    np.testing.assert_array_equal(slerp(a, b, 0.0), a)
    np.testing.assert_array_equal(slerp(a, b, 1.0), b)


def test_slerp_midpoint_of_orthogonal_unit_vectors():
    h = 1 / np.sqrt(2)
    np.testing.assert_allclose(slerp([1.0, 0.0], [0.0, 1.0], 0.5), [h, h], rtol=0, atol=1e-15)
    np.testing.assert_allclose(slerp([0, 0, 2.0], [0, 2.0, 0], 0.5), [0, np.sqrt(2), np.sqrt(2)], atol=1e-15)
    # a quarter of the way along the quarter circle: 22.5 degrees from a
    np.testing.assert_allclose(slerp([1.0, 0.0], [0.0, 1.0], 0.25), [np.cos(np.pi / 8), np.sin(np.pi / 8)],
                               atol=1e-15)


def test_slerp_keeps_unit_vectors_on_the_sphere():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 64)), rng.standard_normal((5, 64))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    for t in np.linspace(0, 1, 11):
        np.testing.assert_allclose(np.linalg.norm(slerp(a, b, t), axis=1), 1.0, atol=1e-12)
    # a t per row broadcasts against the batch
    t = np.linspace(0, 1, 5)[:, None]
    out = slerp(a, b, t)
    np.testing.assert_array_equal(out[0], a[0])
    np.testing.assert_allclose(out[-1], b[-1], atol=1e-15)


def test_slerp_of_parallel_vectors_is_linear_and_finite():
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(slerp(a, a, 0.3), a)
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a)  # same direction: the norm is interpolated
    assert np.isfinite(slerp(np.zeros(3), a, 0.5)).all()
    np.testing.assert_allclose(lerp([0.0, 2.0], [2.0, 4.0], 0.25), [0.5, 2.5])


def test_loop_positions_close_the_loop():
    seg, t = loop_positions(4, 8)
    assert seg.tolist() == [0, 0, 1, 1, 2, 2, 3, 3] and t.tolist() == [0, 0.5] * 4
    seg, t = loop_positions(3, 3)
    assert seg.tolist() == [0, 1, 2] and t.tolist() == [0, 0, 0]


# --- walks ------------------------------------------------------------------------------------------
def test_walk_passes_through_every_seed_and_returns(tmp_path):
    m = zoo.load("dcgan-mnist")
    frames = walk(m, [4, 7, 9], frames=9)  # 3 frames per segment: frames 0, 3, 6 are the seeds
    assert frames.shape == (9, 28, 28, 1) and frames.dtype == np.float32
    for k, seed in zip((0, 3, 6), (4, 7, 9)):
        np.testing.assert_allclose(frames[k], m.sample(1, seed=seed)[0], atol=1e-5)
    assert np.abs(frames[8] - frames[0]).max() < np.abs(frames[6] - frames[0]).max()  # heading back to seed 4
    with pytest.raises(ValueError, match="at least two seeds"):
        walk(m, [1], frames=9)
    with pytest.raises(ValueError, match="--frames"):
        walk(m, [1, 2, 3], frames=2)
    with pytest.raises(ValueError, match="needs a StyleGAN entry"):
        walk(m, [1, 2], frames=4, space="w")


def test_walk_with_extra_inputs_and_in_stylegan_w():
    info = zoo.load("infogan-mnist", weights=None)
    frames = walk(info, [0, 1], frames=4)
    np.testing.assert_allclose(frames[0], info.sample(1, seed=0)[0], atol=1e-5)
    np.testing.assert_allclose(frames[2], info.sample(1, seed=1)[0], atol=1e-5)
    style = zoo.load("stylegan-fashion-mnist", weights=None)
    frames = walk(style, [2, 3], frames=4, space="w")
    assert frames.shape == (4, 32, 32, 1)
    np.testing.assert_allclose(frames[0], style.sample(1, seed=2)[0], atol=1e-5)
    np.testing.assert_allclose(frames[2], style.sample(1, seed=3)[0], atol=1e-5)


# --- files ------------------------------------------------------------------------------------------
def test_cli_writes_a_looping_gif_and_refuses_overwrite(tmp_path, capsys):
    out = tmp_path / "walk.gif"
    assert main(["interpolate", "dcgan-mnist", "--seeds", "0,1,2", "--frames", "12", "--fps", "10",
                 "--scale", "2", "-o", str(out)]) == 0
    assert "12-frame walk through seeds [0, 1, 2]" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.format == "GIF" and im.size == (56, 56) and im.n_frames == 12
        assert im.info["loop"] == 0 and im.info["duration"] == 100
        first = np.asarray(next(ImageSequence.Iterator(im)).convert("L"))
    want = ((zoo.load("dcgan-mnist").sample(1, seed=0)[0, ..., 0] + 1) * 127.5).round()
    assert np.abs(first[::2, ::2].astype(float) - want).max() <= 1  # frame 0 is seed 0's image
    assert main(["interpolate", "dcgan-mnist", "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["interpolate", "dcgan-mnist", "-o", str(tmp_path / "walk.avi")]) == 1
    assert capsys.readouterr().err.strip().endswith("the output must end in .gif or .mp4")
    assert [p.name for p in tmp_path.iterdir()] == ["walk.gif"]


def test_mp4_without_an_encoder_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if imageio-ffmpeg were not installed
    assert main(["interpolate", "dcgan-mnist", "-o", str(tmp_path / "walk.mp4")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"gan-zoo: error: {tmp_path / 'walk.mp4'}: writing MP4 needs an encoder: pip install imageio "
        "imageio-ffmpeg (or write a .gif)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not HAS_MP4, reason="imageio and imageio-ffmpeg not installed: no MP4 encoder to test "
                    "(pip install imageio imageio-ffmpeg)")
def test_mp4_with_an_encoder(tmp_path):
    import imageio.v2 as imageio

    frames = walk(zoo.load("dcgan-mnist"), [0, 1], frames=6)
    path = write_animation(frames, tmp_path / "walk.mp4", fps=6, scale=2)
    reader = imageio.get_reader(path)
    assert reader.get_meta_data()["size"] == (56, 56) and sum(1 for _ in reader) == 6
