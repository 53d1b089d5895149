"""zoo.atomic: content round-trips, modes follow the umask, and a failure leaves the old file or folder."""

import json
import os
import stat

import pytest

from zoo import atomic


class Boom(Exception):
    pass


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_write_bytes_text_json_round_trip(tmp_path):
    assert atomic.write_bytes(tmp_path / "a" / "b.bin", b"\x00\xff") == tmp_path / "a" / "b.bin"
    assert (tmp_path / "a" / "b.bin").read_bytes() == b"\x00\xff"  # the folder is created
    atomic.write_text(tmp_path / "t.md", "caf\u00e9\n")
    assert (tmp_path / "t.md").read_bytes() == "caf\u00e9\n".encode()
    atomic.write_json(tmp_path / "r.json", {"b": [1, 2], "a": 1.5})
    # Indent 2, key order kept, trailing newline: the layout of every card and report.
    assert (tmp_path / "r.json").read_text() == '{\n  "b": [\n    1,\n    2\n  ],\n  "a": 1.5\n}\n'
    atomic.write_json(tmp_path / "d.json", {"p": tmp_path}, default=str)
    assert json.loads((tmp_path / "d.json").read_text()) == {"p": str(tmp_path)}
    atomic.write_text(tmp_path / "t.md", "new")  # replaces an existing file
    assert (tmp_path / "t.md").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "d.json", "r.json", "t.md"]


def test_modes_follow_the_umask_not_mkstemp(tmp_path, umask_027):
    atomic.write_bytes(tmp_path / "f", b"x")
    assert mode_of(tmp_path / "f") == 0o640  # mkstemp alone would give 0o600
    with atomic.replacing(tmp_path / "g") as tmp:
        tmp.write_bytes(b"x")
    assert mode_of(tmp_path / "g") == 0o640
    with atomic.replacing_dir(tmp_path / "d") as tmp:
        (tmp / "x").write_text("x")
    assert mode_of(tmp_path / "d") == 0o750  # mkdtemp alone would give 0o700
    atomic.write_text(tmp_path / "h", "x", mode=0o604)
    assert mode_of(tmp_path / "h") == 0o604


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "card.json"
    target.write_text("old")
    with pytest.raises(Boom):
        with atomic.replacing(target) as tmp:
            tmp.write_text("half of the new")
            raise Boom
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]

    def no_rename(*a, **k):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError, match="rename failed"):
        atomic.write_json(target, {"new": 1})
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_replacing_temporary_is_a_hidden_sibling_with_the_suffix(tmp_path):
    target = tmp_path / "m.weights.h5"
    with atomic.replacing(target, suffix=".weights.h5") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".m.weights.h5.") and tmp.exists()
        assert tmp.name.endswith(".weights.h5")  # Keras and matplotlib pick the format from it
        assert not target.exists()  # nothing at the target until the block succeeds
        tmp.write_bytes(b"w")
    assert target.read_bytes() == b"w" and list(tmp_path.iterdir()) == [target]


def test_replacing_dir_puts_a_new_folder_and_replaces_an_old_one(tmp_path):
    target = tmp_path / "model_savedmodel"
    with atomic.replacing_dir(target) as tmp:
        (tmp / "saved_model.pb").write_text("v1")
    assert (target / "saved_model.pb").read_text() == "v1"
    with atomic.replacing_dir(target) as tmp:
        (tmp / "other.pb").write_text("v2")
    assert sorted(p.name for p in target.iterdir()) == ["other.pb"]  # not merged with the old folder
    assert list(tmp_path.iterdir()) == [target]


def test_failed_staging_keeps_the_old_folder(tmp_path):
    target = tmp_path / "m"
    target.mkdir()
    (target / "keep").write_text("old")
    with pytest.raises(Boom):
        with atomic.replacing_dir(target) as tmp:
            (tmp / "keep").write_text("new")
            raise Boom
    assert (target / "keep").read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_failed_final_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "m"
    target.mkdir()
    (target / "keep").write_text("old")
    real = os.replace
    calls = []

    def second_rename_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # 1: old folder aside, 2: new folder into place
            raise OSError("rename failed")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(OSError, match="rename failed"):
        with atomic.replacing_dir(target) as tmp:
            (tmp / "keep").write_text("new")
    assert (target / "keep").read_text() == "old" and list(tmp_path.iterdir()) == [target]
