"""``gan-zoo sample NAME -n 50000 --out-dir DIR``: a folder of samples for external FID tools.

One uint8 PNG per image (``000000.png``, ``000001.png``, ...) or one ``samples.npz``
holding ``arr_0``, uint8 (N, H, W, C), the layout of the common FID evaluators.
Images are generated and written in batches, so memory does not grow with N, and
the run is resumable: rerun the same command and the images already written are
skipped. Image ``i`` always comes from the same latent for a given seed (latent
``i % 1024`` of ``model.sample_latents(1024, seed=chunk_seed(seed, i // 1024))``,
see :class:`LatentStream`), whatever N is, and each batch covers the same indices
on every run, so a resumed folder equals a fresh one. ``samples.json`` records
the model, its weights' sha256, the seed, the format and the batch size; a
folder made with other settings is refused unless ``force``.

Each PNG is written under a hidden name and renamed into place (``zoo.atomic``),
so an interrupted run never leaves a partial image; the ``.npz`` streams into a
hidden append-only log (``.samples.npz.partial``, kept between runs to resume)
and is assembled from it atomically at the end.

Examples:
>>> import zoo
>>> m = zoo.load("dcgan-mnist")
>>> write(m, "out/samples", 5, seed=0, batch_size=2)["written"]
5
>>> sorted(p.name for p in Path("out/samples").iterdir())
['000000.png', '000001.png', '000002.png', '000003.png', '000004.png', 'samples.json']
>>> write(m, "out/samples", 6, seed=0, batch_size=2)["skipped"]  # a rerun only adds what is missing
5
>>> x = np.load(write(m, "out/npz", 6, fmt="npz", batch_size=4)["path"])["arr_0"]
>>> x.shape, x.dtype
((6, 28, 28, 1), dtype('uint8'))
"""

from __future__ import annotations

import io
import os
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

from zoo import atomic

CHUNK = 1024  # latents are drawn in chunks of this many images, each with its own seed
FORMATS = ("png", "npz")
MANIFEST_NAME = "samples.json"
NPZ_NAME = "samples.npz"
PARTIAL_NAME = ".samples.npz.partial"
KIND = "gan-zoo-samples"
_PNG_NAME = re.compile(r"^\d{6,}\.png$")
# The settings a resumed run must share with the folder's first run.
_IDENTITY = ("model", "weights_sha256", "seed", "image_format", "batch_size", "image_shape")


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of latent chunk ``chunk`` for the run seed ``seed``.

    Examples:
    >>> chunk_seed(0, 0) == chunk_seed(0, 0) != chunk_seed(0, 1)
    True
    """
    return int(np.random.SeedSequence([seed, chunk]).generate_state(1, np.uint64)[0])


class LatentStream:
    """The generator inputs of images ``start..stop-1`` for a seed, chunk by chunk.

    Image ``i``'s latent is row ``i % CHUNK`` of ``model.sample_latents(CHUNK,
    seed=chunk_seed(seed, i // CHUNK))``: it does not depend on how many images are
    drawn or in which batches. Only the chunk in use is kept in memory.
    """

    def __init__(self, model, seed: int):
        self.model, self.seed, self._chunks = model, seed, {}

    def _chunk(self, k: int):
        if k not in self._chunks:
            self._chunks = {k: self.model.sample_latents(CHUNK, seed=chunk_seed(self.seed, k))}
        return self._chunks[k]

    def latents(self, start: int, stop: int):
        """Generator inputs (an array, or a dict by input name) for images ``start..stop-1``."""
        parts = []
        for k in range(start // CHUNK, (stop - 1) // CHUNK + 1):
            lo, hi = max(start, k * CHUNK) - k * CHUNK, min(stop, (k + 1) * CHUNK) - k * CHUNK
            chunk = self._chunk(k)
            parts.append({n: v[lo:hi] for n, v in chunk.items()} if isinstance(chunk, dict) else chunk[lo:hi])
        if isinstance(parts[0], dict):
            return {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}
        return np.concatenate(parts)


def png_name(i: int) -> str:
    """The file name of image ``i`` (six digits at least, so names sort in index order)."""
    return f"{i:06d}.png"


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 (H, W, 1 or 3) image as PNG bytes (grayscale or RGB)."""
    from PIL import Image

    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(f"PNG output needs (H, W, 1) or (H, W, 3) images, got {image.shape}")
    buf = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buf, format="PNG")
    return buf.getvalue()


def manifest(model, n: int, seed: int, fmt: str, batch_size: int) -> dict:
    """What ``samples.json`` records about a folder's images."""
    return {
        "kind": KIND,
        "model": model.name,
        "weights_source": model.weights_source.to_dict(),
        "weights_sha256": model.weights_source.sha256,
        "seed": seed,
        "image_format": fmt,
        "batch_size": batch_size,
        "image_shape": list(model.image_shape),
        "n": n,
        "dtype": "uint8",
        "encoding": "floor((x + 1) * 127.5 + 0.5) of the generator's [-1, 1] output",
        "latents": f"image i: row i % {CHUNK} of sample_latents({CHUNK}, seed=zoo.sample_dir.chunk_seed(seed, i // {CHUNK}))",
        "complete": False,
    }


def _check_folder(out_dir: Path, want: dict, force: bool) -> None:
    """Refuses a folder holding other files, or samples made with other settings, unless ``force``;
    with ``force`` removes the samples a previous run left (never other files)."""
    import json

    path = out_dir / MANIFEST_NAME
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise NotADirectoryError(20, "is a file; --out-dir needs a folder", str(out_dir))
    if path.exists():
        try:
            have = json.loads(path.read_text())
        except ValueError:
            have = {}
        differ = [k for k in _IDENTITY if have.get(k) != want[k]]
        if differ and not force:
            shown = ", ".join(f"{k} {have.get(k)!r} (now {want[k]!r})" for k in differ)
            raise FileExistsError(f"{out_dir} holds samples made with other settings: {shown}; use another "
                                  f"folder or pass --force (force=True) to start over")
        if want["weights_sha256"] is None and not force:  # random or in-memory weights: no way to match them
            raise FileExistsError(f"{out_dir} holds samples, and these weights ({want['weights_source']['kind']}) have no "
                                  f"weights_sha256 to match them with; pass --force (force=True) to start over")
        differ = differ or want["weights_sha256"] is None
        if differ:
            for entry in os.scandir(out_dir):
                if _PNG_NAME.match(entry.name) or entry.name in (NPZ_NAME, PARTIAL_NAME, MANIFEST_NAME):
                    os.unlink(entry.path)
    elif any(not e.name.startswith(".") for e in os.scandir(out_dir)) and not force:
        raise FileExistsError(f"{out_dir} is not empty and holds no {MANIFEST_NAME}; use a new folder or pass "
                              f"--force (force=True) to write into it")


def write(model, out_dir, n: int, seed: int = 0, fmt: str = "png", batch_size: int = 256,
          force: bool = False, progress: bool | None = None) -> dict:
    """Writes ``n`` samples of ``model`` into ``out_dir`` (see the module docstring).

    Args:
        fmt: ``"png"`` (one file per image) or ``"npz"`` (``samples.npz`` with ``arr_0``).
        batch_size: images generated at once; a resumed run must use the same one.
        force: start over in a folder with other settings, or write into a non-empty one.
        progress: show a progress bar (default: when stderr is a terminal).

    Returns:
        ``{"out_dir", "path", "format", "n", "written", "skipped"}``: images generated
        and written by this call, and images found already written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if n < 1 or batch_size < 1:
        raise ValueError(f"need n >= 1 and batch_size >= 1, got n={n}, batch_size={batch_size}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    out_dir = Path(out_dir)
    want = manifest(model, n, int(seed), fmt, batch_size)
    _check_folder(out_dir, want, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out_dir / MANIFEST_NAME, want)
    if progress is None:
        progress = sys.stderr.isatty()
    from tqdm.auto import tqdm

    bar = tqdm(total=n, unit="img", desc=f"{model.name} -> {out_dir}", disable=not progress, leave=False)
    try:
        writer = _write_png if fmt == "png" else _write_npz
        written, skipped, path = writer(model, out_dir, n, LatentStream(model, int(seed)), batch_size, bar)
    finally:
        bar.close()
    atomic.write_json(out_dir / MANIFEST_NAME, {**want, "complete": True})
    return {"out_dir": out_dir, "path": path, "format": fmt, "n": n, "written": written, "skipped": skipped}


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield start, min(start + batch_size, n)


def _generate(model, stream: LatentStream, start: int, stop: int) -> np.ndarray:
    from zoo.model import to_uint8

    return to_uint8(model.generate(stream.latents(start, stop), batch_size=stop - start))


def _write_png(model, out_dir: Path, n: int, stream: LatentStream, batch_size: int, bar):
    done = {e.name for e in os.scandir(out_dir) if _PNG_NAME.match(e.name) and e.stat().st_size > 0}
    written = skipped = 0
    with atomic.scratch_dir(out_dir, "samples") as staging:
        for start, stop in _batches(n, batch_size):
            missing = [i for i in range(start, stop) if png_name(i) not in done]
            skipped += (stop - start) - len(missing)
            if missing:  # the whole batch is generated again: the same batches as a fresh run
                images = _generate(model, stream, start, stop)
                for i in missing:
                    staged = staging / png_name(i)
                    staged.write_bytes(png_bytes(images[i - start]))
                    atomic.place(staged, out_dir / png_name(i))
                written += len(missing)
            bar.update(stop - start)
    return written, skipped, out_dir


def _write_npz(model, out_dir: Path, n: int, stream: LatentStream, batch_size: int, bar):
    target, partial = out_dir / NPZ_NAME, out_dir / PARTIAL_NAME
    shape = (n, *model.image_shape)
    per_image = int(np.prod(model.image_shape))
    if target.exists() and not partial.exists():
        with np.load(target) as f:
            if f["arr_0"].shape == shape:
                bar.update(n)
                return 0, n, target
    have = partial.stat().st_size // per_image if partial.exists() else 0
    start_at = n if have >= n else have - have % batch_size  # whole batches only: the same ones as a fresh run
    with open(partial, "ab") as log:
        log.truncate(start_at * per_image)
        bar.update(start_at)
        for start, stop in _batches(n, batch_size):
            if start < start_at:
                continue
            log.write(np.ascontiguousarray(_generate(model, stream, start, stop)).tobytes())
            log.flush()
            os.fsync(log.fileno())
            bar.update(stop - start)
    with atomic.replacing(target, suffix=".npz") as tmp:
        _pack_npz(partial, tmp, shape)
    partial.unlink()
    return n - start_at, start_at, target


def _pack_npz(raw: Path, out: Path, shape: tuple) -> None:
    """Streams the raw uint8 log into an uncompressed ``.npz`` holding ``arr_0`` of ``shape``."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
    nbytes = int(np.prod(shape))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        with zf.open("arr_0.npy", "w", force_zip64=True) as f, open(raw, "rb") as src:
            np.lib.format.write_array_header_1_0(f, header)
            left = nbytes
            while left:
                block = src.read(min(left, 1 << 24))
                if not block:
                    raise OSError(f"{raw} ends {left} bytes early")
                f.write(block)
                left -= len(block)


def run_command(args) -> None:
    """``gan-zoo sample NAME --out-dir DIR ...`` (``zoo.cli`` dispatches here when --out-dir is given)."""
    import zoo

    if args.output is not None:
        raise ValueError("-o/--output (one grid PNG) and --out-dir (one file per sample) exclude each other")
    if args.weights and args.untrained:
        raise ValueError("--weights and --untrained exclude each other")
    m = zoo.load(args.name, weights=None if args.untrained else (args.weights or "pretrained"))
    r = write(m, args.out_dir, args.n, seed=args.seed, fmt=args.format, batch_size=args.batch_size, force=args.force)
    kept = f" ({r['skipped']} already there)" if r["skipped"] else ""
    print(f"wrote {r['written']} samples of {args.name} (seed {args.seed}){kept} to {r['path']}")
