"""Atomic writes: a reader sees the old file or the new one, never half of either.

Every writer stages its output in a temporary sibling (same folder, so same
file system) and renames it over the target; on any error the temporary is
removed and the target is left as it was.

* :func:`write_bytes`, :func:`write_text`, :func:`write_json` for content in memory;
* :func:`replacing` for writers that need a file name (``save_weights``,
  matplotlib, PIL, ``shutil.copyfile``);
* :func:`replacing_dir` for a whole folder (a SavedModel);
* :func:`scratch_dir` and :func:`place` for a set of outputs staged together
  and moved into place only once all of them are done (``export --format all``).

A process killed mid-write (SIGKILL, power loss) leaves its hidden temporary
behind; the next write into the same folder removes such leftovers once they
are older than :data:`STALE_AFTER_S` (only names this module makes, see
:func:`clean_stale`).

``mkstemp``/``mkdtemp`` make owner-only entries; the result gets the usual
umask-based mode (``0o666``/``0o777`` minus the umask) unless ``mode`` says
otherwise. Files are fsync'ed before the rename, so a crash right after it
cannot leave an empty file under the final name.

Examples:
>>> write_json("out/report.json", {"fid": 3.2})
PosixPath('out/report.json')
>>> print(Path("out/report.json").read_text(), end="")
{
  "fid": 3.2
}
>>> from PIL import Image
>>> with replacing("out/grid.png", suffix=".png") as tmp:  # PIL picks the format from the ending
...     Image.new("L", (4, 4)).save(tmp)
>>> sorted(p.name for p in Path("out").iterdir())  # no temporary left behind
['grid.png', 'report.json']
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

# A temporary older than this is a leftover of a killed writer, not a write in progress.
STALE_AFTER_S = 60.0
# The names made here: "." + target name + "." + the writer's pid + "-" + mkstemp's 8 random
# characters, then ".tmp" (plus the writer's suffix) or ".old" (a replaced folder being deleted).
_TEMP_NAME = re.compile(r"^\..+\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]{8}\.(?:tmp(?:\..*)?|old)$")


def temp_prefix(name: str) -> str:
    """The prefix of a temporary for ``name``: hidden, and naming its writer's pid so that
    :func:`clean_stale` never removes the temporary of a process still running."""
    return f".{name}.{os.getpid()}-"


def default_mode(is_dir: bool = False) -> int:
    """The mode ``open``/``mkdir`` would give a new entry under the current umask."""
    umask = os.umask(0)  # the only portable way to read the umask is to set it
    os.umask(umask)
    return (0o777 if is_dir else 0o666) & ~umask


def json_text(obj, default=None) -> str:
    """The JSON layout of every file the zoo writes: indent 2 and a trailing newline."""
    return json.dumps(obj, indent=2, default=default) + "\n"


@contextlib.contextmanager
def replacing(path, suffix: str = "", mode: int | None = None) -> Iterator[Path]:
    """Yields a temporary file beside ``path``; renames it onto ``path`` if the block succeeds.

    The temporary exists (empty) when the block starts; the writer may
    overwrite it. On an exception it is removed and ``path`` is untouched.

    Args:
        suffix: appended to the temporary's name, for writers that choose a
            format from the extension (``".png"``, ``".weights.h5"``).
        mode: permission bits of the result (default: the umask-based mode).
    """
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        # os.replace would fail only after the whole write; say so before it.
        raise IsADirectoryError(21, "is a folder, not a file name", str(path))
    with _naming_target(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path.parent)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".tmp" + suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path, data: bytes, mode: int | None = None) -> Path:
    """Writes ``data`` to ``path`` atomically; returns ``path``."""
    with replacing(path, mode=mode) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path, text: str, mode: int | None = None) -> Path:
    """Writes ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode("utf-8"), mode=mode)


def write_json(path, obj, default=None, mode: int | None = None) -> Path:
    """Writes ``obj`` as :func:`json_text` atomically; ``default`` as in ``json.dumps``."""
    return write_text(path, json_text(obj, default), mode=mode)


@contextlib.contextmanager
def replacing_dir(path) -> Iterator[Path]:
    """Yields an empty temporary folder beside ``path``; puts it at ``path`` if the block succeeds.

    An existing folder at ``path`` is moved aside first (``rename`` cannot
    replace a non-empty folder) and deleted only once the new one is in place;
    if that last rename fails, the old folder is put back. On an exception in
    the block the staged folder is removed and ``path`` is untouched. Files
    inside are not fsync'ed (whole trees, usually written by other libraries).
    """
    path = Path(path)
    with _naming_target(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(path.parent)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=temp_prefix(path.name), suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, default_mode(is_dir=True))
        _place_dir(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


@contextlib.contextmanager
def scratch_dir(parent, name: str) -> Iterator[Path]:
    """Yields an empty hidden folder in ``parent``, removed when the block ends, however it ends.

    For outputs that must appear together or not at all: write them all
    here, check them, then :func:`place` each one; whatever was not placed
    goes with the folder.
    """
    parent = Path(parent)
    with _naming_target(parent / name):
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale(parent)
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=temp_prefix(name), suffix=".tmp"))
    try:
        yield tmp
    finally:
        _remove(tmp)


def place(staged, target) -> Path:
    """Moves a staged file or folder onto ``target`` (same file system), replacing what is there.

    A folder replaces an old folder as :func:`replacing_dir` does (the old one
    is moved aside and deleted only once the new one is in place).
    """
    staged, target = Path(staged), Path(target)
    if staged.is_dir():
        os.chmod(staged, default_mode(is_dir=True))
        _place_dir(staged, target)
    else:
        if target.is_dir() and not target.is_symlink():
            raise IsADirectoryError(21, "is a folder, not a file name", str(target))
        os.replace(staged, target)
    return target


def clean_stale(folder, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Removes this module's temporaries in ``folder`` left by a killed writer; returns them.

    Only hidden names of the form this module creates count, only when
    nothing in them changed for ``older_than_s`` seconds, and never while the
    process named in them runs, so a slow write in progress (a long export)
    is left alone. Never raises: cleaning is a courtesy, not part of the write.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if m is None or (m.group("pid") and _running(int(m.group("pid")))):
            continue
        try:
            if now - _newest_mtime(Path(entry.path)) < older_than_s:
                continue
            _remove(Path(entry.path))
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # exists but belongs to someone else; or not a pid: leave it
    return True


def _newest_mtime(path: Path) -> float:
    """The latest modification time in a file or folder tree (a staged folder still being filled is fresh)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


@contextlib.contextmanager
def _naming_target(path: Path):
    """Re-raises a failure to create the temporary (a read-only folder, a path under a file)
    naming the target the caller asked for, not a temporary name it never chose."""
    try:
        yield
    except OSError as e:
        raise type(e)(e.errno, f"cannot write there ({e.strerror})", str(path)) from None


def _place_dir(tmp: Path, target: Path) -> None:
    if not (target.is_dir() and not target.is_symlink()):
        os.replace(tmp, target)
        return
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=temp_prefix(target.name), suffix=".old"))
    os.replace(target, aside / "x")
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(aside / "x", target)
        raise
    finally:
        _remove(aside)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
