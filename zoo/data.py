"""Dataset loading: MNIST and Fashion-MNIST as `tf.data` pipelines.

Source order for the raw arrays: an explicit ``data_dir``, else the environment
variable ``ZOO_DATA_DIR``, else ``keras.datasets`` (which downloads). Both local
sources are folders of the upstream IDX ``.gz`` files.
"""

from __future__ import annotations

import glob
import gzip
import os
import zlib
from pathlib import Path

import numpy as np

DATASETS = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# IDX type codes (http://yann.lecun.com/exdb/mnist/ format description).
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
ENV_VAR = "ZOO_DATA_DIR"
IMAGE_SHAPE = (28, 28)  # both datasets: what every entry's architecture expects
NUM_CLASSES = 10


class DataError(RuntimeError):
    """A dataset could not be found or is malformed."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (optionally gzip-compressed) into an array.

    Raises:
        DataError: if the header is malformed or the payload is shorter or
            longer than the header declares (a truncated download is never
            returned as a silently short dataset).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:  # gzip: EOFError on truncation, zlib.error on corruption
        raise DataError(f"cannot read IDX file {path}: {e}") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    got = len(raw) - header_len
    if got != expected:
        raise DataError(
            f"{path}: header declares shape {shape} ({expected} bytes) "
            f"but the file holds {got} bytes; the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape).astype(dtype.newbyteorder("="))


def _check_name(dataset: str, split: str) -> None:
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")


def _find_folder(root: Path, dataset: str, split: str) -> Path | None:
    """Accepts either ROOT/<dataset>/ or ROOT itself holding the IDX files."""
    for folder in (root / dataset, root):
        if all((folder / f).exists() for f in _FILES[split]):
            return folder
    return None


def load_arrays(dataset: str, split: str = "train", data_dir: str | os.PathLike | None = None):
    """Returns ``(images, labels)``: uint8 ``(N, 28, 28)`` and uint8 ``(N,)``."""
    _check_name(dataset, split)
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    if root is not None:
        root = Path(root).expanduser()
        origin = "data_dir" if data_dir is not None else f"${ENV_VAR}"
        folder = _find_folder(root, dataset, split)
        if folder is None:
            names = ", ".join(_FILES[split])
            raise DataError(
                f"{dataset} {split} split not found: {origin} is {root}, expected "
                f"{root / dataset}/ to hold {names}"
            )
        images = read_idx(folder / _FILES[split][0])
        labels = read_idx(folder / _FILES[split][1])
        where = str(folder)
    else:
        images, labels = _download(dataset, split)
        where = "keras.datasets"
    check_arrays(images, labels, f"{dataset} {split} ({where})")
    return images, labels


def check_arrays(images: np.ndarray, labels: np.ndarray, what: str) -> None:
    """Refuses IDX contents that are not the dataset: uint8 pixels of 28x28 images and uint8
    labels 0..9, as many of each. A float IDX (any range) or 32x32 images would otherwise train
    silently on garbage or fail deep inside TensorFlow.

    Examples:
    >>> check_arrays(np.zeros((2, 32, 32), np.uint8), np.zeros(2, np.uint8), "mnist test (here)")
    Traceback (most recent call last):
    ...
    zoo.data.DataError: mnist test (here): images must be 28x28, got shape (2, 32, 32)
    """
    if images.dtype != np.uint8:
        raise DataError(f"{what}: images must be uint8 pixels 0..255, got {images.dtype}")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{what}: images must be {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}, got shape {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{what}: images {images.shape} and labels {labels.shape} ({labels.dtype}) do not match")
    if len(images) == 0:
        raise DataError(f"{what}: no images")
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{what}: labels must lie in 0..{NUM_CLASSES - 1}, got {int(labels.max())}")


def _download(dataset: str, split: str):
    import keras

    module = keras.datasets.mnist if dataset == "mnist" else keras.datasets.fashion_mnist
    try:
        train, test = module.load_data()
    except Exception as e:  # network failures surface as many exception types
        raise DataError(
            f"could not download {dataset} through keras.datasets ({type(e).__name__}: {e}). "
            f"Offline, set {ENV_VAR} (or pass --data-dir) to a folder holding "
            f"{dataset}/ with the upstream IDX .gz files."
        ) from e
    return train if split == "train" else test


def to_float_images(images: np.ndarray, pad_to: int | None = None) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [-1, 1], optionally padded.

    Padding uses -1, the background value of both datasets, so a 28x28 image
    sits in the centre of a 32x32 canvas (2 pixels per side).
    """
    x = images.astype(np.float32)[..., None] / 127.5 - 1.0
    if pad_to is not None:
        h, w = x.shape[1:3]
        if pad_to < h or (pad_to - h) % 2 or (pad_to - w) % 2:
            raise DataError(f"cannot pad {h}x{w} images symmetrically to {pad_to}x{pad_to}")
        p, q = (pad_to - h) // 2, (pad_to - w) // 2
        x = np.pad(x, ((0, 0), (p, p), (q, q), (0, 0)), constant_values=-1.0)
    return x


def load_image_files(files, pad_to: int | None = None) -> np.ndarray:
    """Images from ``.npy`` / ``.npz`` files as float32 (N, H, W, 1) in [-1, 1].

    Each file holds grayscale images, (N, H, W) or (N, H, W, 1), either uint8
    0..255 or float in [-1, 1]; an ``.npz`` holds them under ``images`` (or as
    its only array). Files are concatenated in the order given (each glob's
    matches sorted). This is how the TFX Trainer module (``export/tfx.py``)
    reads its ``train_files``.

    Args:
        files: a path or glob pattern, or a list of them.
        pad_to: pad to this square size with -1 (the entry's ``pad_to``), as
            :func:`to_float_images` does.

    Raises:
        ZooError: no file matches, an unknown suffix, an ``.npz`` with several
            arrays but no ``images``, or images of another shape or range.
    """
    from zoo.errors import ZooError

    if isinstance(files, (str, Path)):
        files = [files]
    paths = []
    for pattern in files:
        matches = sorted(glob.glob(str(pattern)))
        if not matches:
            raise ZooError(f"train_files: nothing matches {pattern}")
        paths += matches
    parts = []
    for path in paths:
        if path.endswith(".npy"):
            a = np.load(path, allow_pickle=False)
        elif path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as f:
                if "images" in f.files:
                    a = f["images"]
                elif len(f.files) == 1:
                    a = f[f.files[0]]
                else:
                    raise ZooError(f"{path} holds {f.files}; name the images array 'images'")
        else:
            raise ZooError(f"{path}: train_files must be .npy or .npz files of images")
        if a.ndim == 4 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim != 3:
            raise ZooError(f"{path}: expected grayscale images (N, H, W) or (N, H, W, 1), got shape {a.shape}")
        if a.dtype == np.uint8:
            a = a.astype(np.float32)
        elif a.dtype.kind == "f":
            if a.size and (a.min() < -1.0 or a.max() > 1.0):
                raise ZooError(f"{path}: float images must lie in [-1, 1], got [{a.min()}, {a.max()}]")
            a = (a.astype(np.float32) + 1.0) * 127.5  # to_float_images' 0..255 scale
        else:
            raise ZooError(f"{path}: images must be uint8 or float, got {a.dtype}")
        parts.append(a)
    shapes = {p.shape[1:] for p in parts}
    if len(shapes) != 1:
        raise ZooError(f"train_files hold images of different sizes: {sorted(shapes)}")
    return to_float_images(np.concatenate(parts), pad_to)


def make_dataset(
    dataset: str,
    split: str = "train",
    batch_size: int = 64,
    *,
    shuffle: bool = True,
    seed: int = 0,
    pad_to: int | None = None,
    data_dir=None,
    drop_remainder: bool = True,
    with_labels: bool = False,
):
    """A batched, prefetched ``tf.data.Dataset`` of images in [-1, 1], NHWC.

    One pass over the data per iteration; with ``shuffle`` the order is a fixed
    function of ``seed`` (call again with ``seed + epoch`` for a new order), so
    training can resume mid-epoch by skipping batches.

    Examples:
    >>> ds = make_dataset("mnist", batch_size=64)  # $ZOO_DATA_DIR, else a keras.datasets download
    >>> tuple(next(iter(ds)).shape)
    (64, 28, 28, 1)
    """
    images, labels = load_arrays(dataset, split, data_dir)
    x = to_float_images(images, pad_to)
    return images_dataset((x, labels.astype(np.int32)) if with_labels else x, batch_size, shuffle=shuffle,
                          seed=seed, drop_remainder=drop_remainder)


def images_dataset(images, batch_size: int, *, shuffle: bool = True, seed: int = 0, skip_batches: int = 0,
                   drop_remainder: bool = True):
    """The pipeline of :func:`make_dataset` over arrays already in memory.

    ``images`` is an array (N, H, W, C) or a tuple of arrays with N rows
    (images, labels). The shuffled order is a fixed function of ``seed``;
    ``skip_batches`` drops the first batches of that order (a run resumed
    mid-epoch). The trainer and the benchmarks read their batches through it.

    Examples:
    >>> ds = images_dataset(np.zeros((10, 4, 4, 1), "float32"), 4, seed=0, skip_batches=1)
    >>> [tuple(b.shape) for b in ds]
    [(4, 4, 4, 1)]
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        n = len(images[0]) if isinstance(images, tuple) else len(images)
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=False)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if skip_batches:
        ds = ds.skip(skip_batches)
    return ds.prefetch(tf.data.AUTOTUNE)
