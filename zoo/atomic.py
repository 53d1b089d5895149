"""Atomic writes: a reader sees the old file or the new one, never half of either.

Every writer stages its output in a temporary sibling (same folder, so same
file system) and renames it over the target; on any error the temporary is
removed and the target is left as it was.

* :func:`write_bytes`, :func:`write_text`, :func:`write_json` for content in memory;
* :func:`replacing` for writers that need a file name (``save_weights``,
  matplotlib, PIL, ``shutil.copyfile``);
* :func:`replacing_dir` for a whole folder (a SavedModel).

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
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + suffix)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, default_mode(is_dir=True))
        _place_dir(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _place_dir(tmp: Path, target: Path) -> None:
    if not (target.is_dir() and not target.is_symlink()):
        os.replace(tmp, target)
        return
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
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
