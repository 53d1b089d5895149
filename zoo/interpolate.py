"""Latent walks: ``gan-zoo interpolate NAME --seeds 0,1,2,3 --frames 60 -o walk.gif``.

The walk visits the seeds' latents in order and returns to the first, so the
animation loops without a jump. In z it moves along great circles
(:func:`slerp`, as White, 2016, "Sampling Generative Networks", recommends for
Gaussian latents); a family's other inputs (InfoGAN's codes, StyleGAN's psi)
move linearly. StyleGAN entries can walk in w instead (``--space w``): the
seeds' w from the mapping network, interpolated linearly as in the StyleGAN
paper. Frames are written as an animated GIF with Pillow, or as an MP4 when
``imageio`` with an ffmpeg backend (``imageio-ffmpeg``) is installed.

Examples:
>>> import zoo
>>> m = zoo.load("dcgan-mnist")
>>> frames = walk(m, [0, 1, 2], frames=12)
>>> frames.shape, frames.dtype.name
((12, 28, 28, 1), 'float32')
>>> bool(np.allclose(frames[0], m.sample(1, seed=0)[0], atol=1e-5))   # starts at seed 0's image
True
>>> write_animation(frames, "walk.gif", fps=12, scale=2).name
'walk.gif'
"""

from __future__ import annotations

import io
from pathlib import Path

SPACES = ("z", "w")
FORMATS = (".gif", ".mp4")
MAX_FRAMES = 10_000


def slerp(a, b, t):
    """Spherical interpolation from ``a`` (t = 0) to ``b`` (t = 1) along the last axis.

    Follows the great circle between the two directions, with the norm
    interpolated as the formula gives (unit vectors stay unit vectors). ``t``
    is a scalar or an array that broadcasts against the vectors' batch shape
    with a trailing axis (e.g. ``t[:, None]``). Nearly parallel vectors fall
    back to linear interpolation.

    Examples:
    >>> a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> slerp(a, b, 0.5)                                   # the midpoint of orthogonal unit vectors
    array([0.70710678, 0.70710678])
    >>> slerp(a, b, 0.0), slerp(a, b, 1.0)
    (array([1., 0.]), array([0., 1.]))
    """
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)
    na, nb = np.linalg.norm(a, axis=-1, keepdims=True), np.linalg.norm(b, axis=-1, keepdims=True)
    cos = np.sum(a * b, axis=-1, keepdims=True) / np.maximum(na * nb, 1e-300)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    linear = sin < 1e-7  # (anti)parallel or zero vectors: no unique great circle
    safe = np.where(linear, 1.0, sin)
    wa = np.where(linear, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(linear, t, np.sin(t * omega) / safe)
    return wa * a + wb * b


def lerp(a, b, t):
    """Linear interpolation ``a + t (b - a)`` (the inputs other than z, and StyleGAN's w)."""
    import numpy as np

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a + np.asarray(t, np.float64) * (b - a)


def loop_positions(n_points: int, frames: int):
    """(segment index, t) of each frame of a closed walk through ``n_points`` points, evenly spaced:
    frame 0 is point 0, and the last frame stops one step short of returning to it.

    Examples:
    >>> seg, t = loop_positions(2, 4)
    >>> seg.tolist(), t.tolist()
    ([0, 0, 1, 1], [0.0, 0.5, 0.0, 0.5])
    """
    import numpy as np

    position = np.arange(frames) * n_points / frames
    segment = np.minimum(np.floor(position).astype(int), n_points - 1)
    return segment, position - segment


def _check(seeds, frames: int) -> list[int]:
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"an interpolation needs at least two seeds, got {seeds}")
    if not len(seeds) <= frames <= MAX_FRAMES:
        raise ValueError(f"--frames must be between the number of seeds ({len(seeds)}) and {MAX_FRAMES}, "
                         f"got {frames}")
    return seeds


def _walk_inputs(points: dict, frames: int) -> dict:
    """Every input of every frame: z by :func:`slerp`, the others by :func:`lerp` (float32)."""
    import numpy as np

    n = len(next(iter(points.values())))
    segment, t = loop_positions(n, frames)
    nxt = (segment + 1) % n
    out = {}
    for name, p in points.items():
        mix = slerp if name == "z" else lerp
        shape_t = t.reshape(-1, *([1] * (p.ndim - 1)))
        out[name] = mix(p[segment], p[nxt], shape_t).astype(np.float32)
    return out


def walk(model, seeds, frames: int = 60, space: str = "z"):
    """Images (frames, H, W, C) float32 in [-1, 1] of a closed walk through the seeds' latents.

    Seed ``s`` is the latent of ``model.sample(1, seed=s)``, so frame 0 is that image.

    Args:
        space: "z" (every entry) or "w" (StyleGAN entries: w from the mapping network, linear).
    """
    import numpy as np

    seeds = _check(seeds, frames)
    if space not in SPACES:
        raise ValueError(f"--space must be one of {', '.join(SPACES)}, got {space!r}")
    draws = [model.sample_latents(1, s) for s in seeds]
    if isinstance(draws[0], dict):
        points = {k: np.concatenate([d[k] for d in draws]) for k in draws[0]}
    else:
        points = {"z": np.concatenate(draws)}
    if space == "w":
        if not (hasattr(model, "mapping") and hasattr(model, "synthesize")):
            raise ValueError(f"{model.name}: --space w needs a StyleGAN entry (a mapping network to w)")
        w = model.mapping(points["z"])
        return model.synthesize(_walk_inputs({"w": w}, frames)["w"], noise_mode="const")
    inputs = _walk_inputs(points, frames)
    return model.generate(inputs if isinstance(draws[0], dict) else inputs["z"])


def frames_uint8(images, scale: int = 1):
    """(F, H, W, C) in [-1, 1] -> uint8 (F, H * scale, W * scale[, C]) frames (grey frames lose C)."""
    import numpy as np

    pixels = ((np.clip(np.asarray(images), -1, 1) + 1) * 127.5).round().astype(np.uint8)
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def write_animation(images, path, fps: float = 20.0, scale: int = 4) -> Path:
    """Writes the frames as an animated, looping GIF (Pillow) or an MP4 (imageio + ffmpeg), atomically.

    Raises:
        ValueError: another file ending, or MP4 without an encoder installed.
    """
    from zoo import atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: the output must end in .gif or .mp4")
    if not 0 < fps <= 100 or scale < 1:
        raise ValueError(f"--fps must be in (0, 100] and --scale >= 1, got {fps} and {scale}")
    frames = frames_uint8(images, scale)
    if suffix == ".mp4":
        return _write_mp4(frames, path, fps)
    from PIL import Image

    pictures = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], loop=0,
                     duration=max(20, round(1000 / fps)), optimize=True)
    return atomic.write_bytes(path, buf.getvalue())


def _write_mp4(frames, path: Path, fps: float) -> Path:
    import numpy as np

    from zoo import atomic

    imageio = check_mp4_encoder(path)
    # H.264 in yuv420p needs even sizes: pad with the background (black) by one pixel where odd.
    h, w = frames.shape[1:3]
    pad = [(0, 0), (0, h % 2), (0, w % 2)] + [(0, 0)] * (frames.ndim - 3)
    frames = np.pad(frames, pad)
    with atomic.replacing(path, suffix=".mp4") as tmp:
        with imageio.get_writer(tmp, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                pixelformat="yuv420p", macro_block_size=1) as writer:
            for f in frames:
                writer.append_data(f)
    return path


def register(subparsers) -> None:
    """Adds ``gan-zoo interpolate`` (called by ``zoo.cli.build_parser``)."""
    p = subparsers.add_parser(
        "interpolate", help="write a latent walk through seeds as an animated GIF (or MP4)",
        description="A closed walk: seed 1 -> seed 2 -> ... -> back to seed 1, FRAMES frames in all, by spherical "
                    "interpolation in z (other inputs linearly). StyleGAN entries can walk in w (--space w, "
                    "linear). -o ending in .gif writes an animated GIF; .mp4 needs imageio and imageio-ffmpeg.")
    p.add_argument("name", help="a registered model name (see gan-zoo list)")
    p.add_argument("--seeds", default="0,1,2,3", help="the seeds to visit, comma-separated (default 0,1,2,3)")
    p.add_argument("--frames", type=int, default=60, help="frames of the whole loop (default 60)")
    p.add_argument("--fps", type=float, default=20.0, help="frames per second (default 20)")
    p.add_argument("--space", default="z", choices=SPACES, help="z (default), or w for StyleGAN entries")
    p.add_argument("-o", "--output", required=True, help="a .gif or .mp4 path")
    p.add_argument("--scale", type=int, default=4, help="pixel enlargement (default 4)")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=run_command)


def run_command(args) -> None:
    """``gan-zoo interpolate``: checks everything cheap first, then loads, walks and writes."""
    import zoo
    from zoo.cli import figure_weights, parse_seeds

    out = Path(args.output)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: the output must end in .gif or .mp4")
    weights = figure_weights(args, out)
    seeds = _check(parse_seeds(args.seeds), args.frames)
    if out.suffix.lower() == ".mp4":
        check_mp4_encoder(out)
    m = zoo.load(args.name, weights=weights)
    images = walk(m, seeds, args.frames, args.space)
    write_animation(images, out, fps=args.fps, scale=args.scale)
    print(f"wrote a {args.frames}-frame walk through seeds {seeds} of {args.name} (in {args.space}) to {out}")


def check_mp4_encoder(path):
    """``imageio.v2`` when it and its ffmpeg backend (``imageio-ffmpeg``) are installed; else the one-line
    error, raised before any work."""
    import importlib

    try:
        import imageio.v2 as imageio

        importlib.import_module("imageio_ffmpeg")  # the encoder imageio's FFMPEG format runs
    except ImportError:
        raise ValueError(f"{path}: writing MP4 needs an encoder: pip install imageio imageio-ffmpeg "
                         "(or write a .gif)") from None
    return imageio
