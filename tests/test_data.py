import gzip
import os
from collections import Counter

import numpy as np
import pytest

from zoo import data


def _write_idx(path, array, compress=True, truncate=0):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    payload = payload[: len(payload) - truncate]
    (gzip.open if compress else open)(path, "wb").write(payload)


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, compress):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    _write_idx(path, a, compress)
    np.testing.assert_array_equal(data.read_idx(path), a)


def test_truncated_idx_is_an_error(tmp_path):
    path = tmp_path / "x.gz"
    _write_idx(path, np.zeros((5, 28, 28), np.uint8), truncate=10)
    with pytest.raises(data.DataError, match="truncated or corrupt"):
        data.read_idx(path)


def test_truncated_gzip_stream_is_an_error(tmp_path):
    path = tmp_path / "x.gz"
    _write_idx(path, np.zeros((50, 28, 28), np.uint8))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataError, match="cannot read IDX"):
        data.read_idx(path)


def test_bad_magic_is_an_error(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(data.DataError, match="magic"):
        data.read_idx(path)


def test_missing_folder_error_names_folder_and_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DataError) as e:
        data.load_arrays("mnist", "train")
    assert "$ZOO_DATA_DIR" in str(e.value) and str(tmp_path / "mnist") in str(e.value)


def test_unknown_dataset():
    with pytest.raises(data.DataError, match="fashion-mnist"):
        data.load_arrays("cifar10")


def test_data_dir_argument_beats_environment(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    folder.mkdir()
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", np.full((3, 28, 28), 7, np.uint8))
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([1, 2, 3], np.uint8))
    monkeypatch.setenv("ZOO_DATA_DIR", "/nonexistent")
    x, y = data.load_arrays("mnist", "test", data_dir=tmp_path)
    assert x.shape == (3, 28, 28) and list(y) == [1, 2, 3]


def test_mismatched_image_and_label_counts(tmp_path):
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros((2,), np.uint8))
    with pytest.raises(data.DataError, match="do not match"):
        data.load_arrays("mnist", "test", data_dir=tmp_path)


@pytest.mark.skipif("ZOO_DATA_DIR" not in os.environ, reason="offline datasets not found")
def test_offline_mnist_subset_sizes():
    x, y = data.load_arrays("mnist", "train")
    assert x.shape == (9000, 28, 28) and x.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10))
    xt, _ = data.load_arrays("mnist", "test")
    assert len(xt) == 1000


def test_to_float_images_range_and_padding():
    u8 = np.array([[[0, 255], [128, 0]]], np.uint8)
    x = data.to_float_images(u8)
    assert x.shape == (1, 2, 2, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, ..., 0], [[-1.0, 1.0], [128 / 127.5 - 1, -1.0]], atol=1e-7)  # float32 round-off
    padded = data.to_float_images(np.zeros((2, 28, 28), np.uint8) + 255, pad_to=32)
    assert padded.shape == (2, 32, 32, 1)
    assert (padded[:, :2] == -1).all() and (padded[:, 2:30, 2:30] == 1).all()
    with pytest.raises(data.DataError):
        data.to_float_images(np.zeros((1, 28, 28), np.uint8), pad_to=31)


@pytest.mark.skipif("ZOO_DATA_DIR" not in os.environ, reason="offline datasets not found")
def test_make_dataset_batches_and_seeded_order():
    ds = data.make_dataset("mnist", "test", batch_size=100, seed=3, pad_to=32)
    batches = list(ds)
    assert len(batches) == 10 and batches[0].shape == (100, 32, 32, 1)
    again = next(iter(data.make_dataset("mnist", "test", batch_size=100, seed=3, pad_to=32)))
    other = next(iter(data.make_dataset("mnist", "test", batch_size=100, seed=4, pad_to=32)))
    np.testing.assert_array_equal(batches[0], again)
    assert not np.array_equal(batches[0], other)
    # One epoch is the whole split, each image once, scaled and padded as to_float_images does it.
    want = data.to_float_images(data.load_arrays("mnist", "test")[0], pad_to=32)
    assert Counter(x.tobytes() for x in np.concatenate(batches)) == Counter(x.tobytes() for x in want)


def test_load_image_files_concatenates_globs_in_order_and_pads(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    b = rng.integers(0, 256, (2, 28, 28, 1), dtype=np.uint8)
    np.save(tmp_path / "b.npy", b)
    np.save(tmp_path / "a.npy", a)
    floats = rng.uniform(-1, 1, (2, 28, 28)).astype(np.float32)
    np.savez(tmp_path / "c.npz", images=floats, labels=np.zeros(2))
    x = data.load_image_files([str(tmp_path / "*.npy"), tmp_path / "c.npz"])
    assert x.shape == (7, 28, 28, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[:3], data.to_float_images(a))  # a.npy before b.npy: globs sorted
    np.testing.assert_allclose(x[3:5], data.to_float_images(b[..., 0]))
    np.testing.assert_allclose(x[5:, ..., 0], floats, atol=1e-6)  # float files stay in [-1, 1]
    padded = data.load_image_files(tmp_path / "a.npy", pad_to=32)  # one path, not a list
    assert padded.shape == (3, 32, 32, 1) and (padded[:, :2] == -1).all()


@pytest.mark.parametrize("name,array,match", [
    ("x.npy", np.zeros((2, 28, 28, 3), np.uint8), "grayscale"),
    ("x.npy", np.full((2, 28, 28), 2.0, np.float32), r"must lie in \[-1, 1\]"),
    ("x.npy", np.zeros((2, 28, 28), np.int32), "uint8 or float"),
    ("x.npz", None, "name the images array 'images'"),
    ("x.txt", None, "must be .npy or .npz"),
])
def test_load_image_files_errors(tmp_path, name, array, match):
    from zoo.errors import ZooError

    path = tmp_path / name
    if name == "x.npz":
        np.savez(path, a=np.zeros((1, 2, 2)), b=np.zeros((1, 2, 2)))
    elif array is None:
        path.write_text("x")
    else:
        np.save(path, array)
    with pytest.raises(ZooError, match=match):
        data.load_image_files([path])


def test_load_image_files_refuses_no_match_and_mixed_sizes(tmp_path):
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="nothing matches"):
        data.load_image_files([str(tmp_path / "*.npy")])
    np.save(tmp_path / "a.npy", np.zeros((1, 28, 28), np.uint8))
    np.save(tmp_path / "b.npy", np.zeros((1, 32, 32), np.uint8))
    with pytest.raises(ZooError, match="different sizes"):
        data.load_image_files([str(tmp_path / "*.npy")])
