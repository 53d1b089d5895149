"""``gan-zoo sample NAME --out-dir DIR`` (issue 23, item 7): one PNG per sample or one .npz,
streamed in batches, resumable (a resumed folder equals a fresh one), and ``m.sample(..., as_uint8=True)``."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import zoo
import zoo.cli
from zoo import sample_dir
from zoo.model import ZooModel, build, to_uint8
from zoo.registry import one_per_family, tiny_preset

NAME = "mlpgan-mnist"  # the smallest shipped entry
N, BATCH = 10, 4


@pytest.fixture(scope="module")
def model():
    return zoo.load(NAME)


def _pngs(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}


def _decoded(folder) -> np.ndarray:
    return np.stack([np.asarray(Image.open(io.BytesIO(b)))[..., None] for b in _pngs(folder).values()])


class Interrupted(Exception):
    pass


def _interrupt_after(model, monkeypatch, calls: int) -> None:
    """The model's generate raises on call ``calls + 1``, as a Ctrl-C would."""
    real, seen = model.generate, []

    def generate(latents, batch_size=256):
        seen.append(1)
        if len(seen) > calls:
            raise Interrupted
        return real(latents, batch_size)

    monkeypatch.setattr(model, "generate", generate)


def test_png_folder_holds_one_uint8_image_per_sample_equal_to_the_npz(model, tmp_path):
    r = sample_dir.write(model, tmp_path / "png", N, seed=0, batch_size=BATCH)
    assert (r["written"], r["skipped"]) == (N, 0)
    assert list(_pngs(tmp_path / "png")) == [f"{i:06d}.png" for i in range(N)]
    images = _decoded(tmp_path / "png")
    assert images.shape == (N, 28, 28, 1) and images.dtype == np.uint8
    r = sample_dir.write(model, tmp_path / "npz", N, seed=0, fmt="npz", batch_size=BATCH)
    with np.load(r["path"]) as f:
        assert list(f) == ["arr_0"]
        np.testing.assert_array_equal(f["arr_0"], images)
    assert sorted(p.name for p in (tmp_path / "npz").iterdir()) == ["samples.json", "samples.npz"]
    # Image i is the uint8 image of its own latent, whatever the batch.
    z = sample_dir.LatentStream(model, 0).latents(0, N)
    np.testing.assert_array_equal(images, to_uint8(model.generate(z)))


def test_interrupted_png_run_resumes_to_the_fresh_folder(model, tmp_path, monkeypatch):
    sample_dir.write(model, tmp_path / "fresh", N, seed=5, batch_size=BATCH)
    _interrupt_after(model, monkeypatch, calls=2)
    with pytest.raises(Interrupted):
        sample_dir.write(model, tmp_path / "resumed", N, seed=5, batch_size=BATCH)
    monkeypatch.undo()
    assert len(_pngs(tmp_path / "resumed")) == 2 * BATCH
    assert not [p for p in (tmp_path / "resumed").iterdir() if p.name.startswith(".")], "no temporaries left"
    (tmp_path / "resumed" / "000001.png").unlink()  # a file lost: made again, with its batch
    r = sample_dir.write(model, tmp_path / "resumed", N, seed=5, batch_size=BATCH)
    assert (r["written"], r["skipped"]) == (N - 2 * BATCH + 1, 2 * BATCH - 1)
    assert _pngs(tmp_path / "resumed") == _pngs(tmp_path / "fresh")


def test_interrupted_npz_run_resumes_to_the_fresh_file(model, tmp_path, monkeypatch):
    fresh = sample_dir.write(model, tmp_path / "fresh", N, seed=2, fmt="npz", batch_size=BATCH)["path"]
    _interrupt_after(model, monkeypatch, calls=1)
    with pytest.raises(Interrupted):
        sample_dir.write(model, tmp_path / "resumed", N, seed=2, fmt="npz", batch_size=BATCH)
    monkeypatch.undo()
    assert not (tmp_path / "resumed" / "samples.npz").exists(), "no .npz until every image is there"
    partial = tmp_path / "resumed" / sample_dir.PARTIAL_NAME
    with partial.open("ab") as f:
        f.write(b"\x01" * 100)  # a batch cut short by a kill: dropped on resume
    r = sample_dir.write(model, tmp_path / "resumed", N, seed=2, fmt="npz", batch_size=BATCH)
    assert (r["written"], r["skipped"]) == (N - BATCH, BATCH) and not partial.exists()
    with np.load(fresh) as a, np.load(r["path"]) as b:
        np.testing.assert_array_equal(a["arr_0"], b["arr_0"])
    assert sample_dir.write(model, tmp_path / "resumed", N, seed=2, fmt="npz", batch_size=BATCH)["written"] == 0


def test_image_i_does_not_depend_on_n_and_memory_is_per_batch(model, tmp_path, monkeypatch):
    sizes = []
    real = model.generate
    monkeypatch.setattr(model, "generate", lambda z, batch_size=256: sizes.append(len(z)) or real(z, batch_size))
    sample_dir.write(model, tmp_path / "short", 6, seed=1, batch_size=BATCH)
    sample_dir.write(model, tmp_path / "long", N, seed=1, batch_size=BATCH)
    assert max(sizes) <= BATCH, "generated in batches, never all at once"
    long = _pngs(tmp_path / "long")
    assert _pngs(tmp_path / "short") == {k: long[k] for k in list(long)[:6]}


def test_latent_stream_crosses_chunks_for_every_family():
    for name in one_per_family():
        preset = tiny_preset(name)
        m = (preset.model_class or ZooModel)(preset, build(preset)[0])
        stream, c = sample_dir.LatentStream(m, 7), sample_dir.CHUNK
        got = stream.latents(c - 3, c + 2)
        first = m.sample_latents(c, seed=sample_dir.chunk_seed(7, 0))
        second = m.sample_latents(c, seed=sample_dir.chunk_seed(7, 1))
        pick = (lambda a, b: np.concatenate([a[-3:], b[:2]]))
        want = {k: pick(first[k], second[k]) for k in first} if isinstance(first, dict) else pick(first, second)
        if isinstance(want, dict):
            assert sorted(got) == sorted(want) and all(np.array_equal(got[k], want[k]) for k in want), name
        else:
            np.testing.assert_array_equal(got, want, err_msg=name)


def test_folders_of_other_settings_or_other_files_are_refused(model, tmp_path):
    sample_dir.write(model, tmp_path / "s", 4, seed=0, batch_size=BATCH)
    with pytest.raises(FileExistsError, match="other settings: seed 0 \\(now 1\\)"):
        sample_dir.write(model, tmp_path / "s", 4, seed=1, batch_size=BATCH)
    r = sample_dir.write(model, tmp_path / "s", 4, seed=1, batch_size=BATCH, force=True)
    assert (r["written"], r["skipped"]) == (4, 0)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty and holds no samples.json"):
        sample_dir.write(model, tmp_path / "other", 4)
    with pytest.raises(ValueError, match="format must be one of png, npz"):
        sample_dir.write(model, tmp_path / "x", 4, fmt="jpg")


def test_random_weights_never_resume(tmp_path):
    m = zoo.load(NAME, weights=None)
    sample_dir.write(m, tmp_path / "s", 2)
    with pytest.raises(FileExistsError, match=r"these weights \(random\) have no weights_sha256"):
        sample_dir.write(zoo.load(NAME, weights=None), tmp_path / "s", 2)


@pytest.mark.parametrize("name", one_per_family())
def test_sample_as_uint8(name):
    preset = tiny_preset(name)
    m = (preset.model_class or ZooModel)(preset, build(preset)[0])
    x = m.sample(3, seed=0, as_uint8=True)
    assert x.dtype == np.uint8 and x.shape == (3, *m.image_shape)
    np.testing.assert_array_equal(x, to_uint8(m.sample(3, seed=0)))


def test_to_uint8_matches_the_export_mapping():
    x = np.linspace(-1.2, 1.2, 1001, dtype=np.float32)
    np.testing.assert_array_equal(to_uint8(x), np.floor((np.clip(x, -1, 1) + 1) * 127.5 + 0.5).astype(np.uint8))
    assert to_uint8(np.float32(-1)) == 0 and to_uint8(np.float32(1)) == 255


def test_command_line(tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["sample", NAME, "-n", "5", "--out-dir", str(out), "--batch-size", "2"]
    assert zoo.cli.main(argv) == 0
    assert capsys.readouterr().out.strip() == f"wrote 5 samples of {NAME} (seed 0) to {out}"
    assert zoo.cli.main(argv) == 0
    assert "wrote 0 samples" in capsys.readouterr().out
    assert zoo.cli.main(["sample", NAME, "-n", "3", "--out-dir", str(tmp_path / "n"), "--format", "npz"]) == 0
    assert np.load(tmp_path / "n" / "samples.npz")["arr_0"].shape == (3, 28, 28, 1)
    capsys.readouterr()
    for where in (["--out-dir", str(out), "-o", str(tmp_path / "g.png")], []):  # both, or neither: usage errors
        with pytest.raises(SystemExit) as e:
            zoo.cli.main(["sample", NAME, *where])
        assert e.value.code == 2
    err = capsys.readouterr().err
    assert "not allowed with argument" in err and "one of the arguments -o/--output --out-dir is required" in err
    assert zoo.cli.main(["sample", NAME, "--out-dir", ""]) == 1
