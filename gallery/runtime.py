"""ONNX Runtime Web for the site: the pinned npm package, fetched once at build time and cached.

The site never loads anything from a CDN: the builder copies the WASM build of
``onnxruntime-web`` (:data:`ORT_VERSION`, checked against the registry's
sha512 :data:`ORT_INTEGRITY`) into ``SITE/ort/``. Only :data:`ORT_FILES` are
kept: the JS bundle of the WASM backend and the single-threaded-capable SIMD
WASM binary with its loader. ``npm pack`` downloads the tarball once into the
cache (``$ZOO_CACHE_DIR/gan-zoo/site``, else ``~/.keras/gan-zoo/site``); later
builds and tests read the cached files and need no network.

Examples:
>>> ORT_VERSION, ORT_FILES[0]
('1.30.0', 'ort.wasm.min.js')
>>> integrity_of(b"")[:15]   # npm's "sha512-<base64>" of the tarball bytes
'sha512-z4PhNX7v'
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from gallery.onnx_site import cache_root
from zoo import atomic
from zoo.errors import ZooError

ORT_PACKAGE = "onnxruntime-web"
ORT_VERSION = "1.30.0"
ORT_INTEGRITY = "sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ=="
ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")  # from dist/
NOTICE = (f"{ORT_PACKAGE} {ORT_VERSION} (https://github.com/microsoft/onnxruntime), the files {', '.join(ORT_FILES)} "
          "of its npm package, unmodified. MIT licence, Copyright (c) Microsoft Corporation.\n")
NPM_TIMEOUT_S = 600


class RuntimeFetchError(ZooError):
    """onnxruntime-web could not be fetched (no npm, no network, a tarball that is not the pinned one)."""


def integrity_of(data: bytes) -> str:
    """npm's integrity string (Subresource Integrity, sha512) of ``data``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def runtime_dir() -> Path:
    """The cached folder holding :data:`ORT_FILES` and ``NOTICE.txt``; fetched with npm when missing.

    Raises:
        RuntimeFetchError: npm is missing, the registry cannot be reached, or the
            tarball's sha512 is not :data:`ORT_INTEGRITY`.
    """
    folder = cache_root() / f"{ORT_PACKAGE}-{ORT_VERSION}"
    if all((folder / f).is_file() for f in ORT_FILES):
        return folder
    with tempfile.TemporaryDirectory(prefix="gan-zoo-npm-") as tmp:
        tarball = _npm_pack(Path(tmp))
        with atomic.replacing_dir(folder) as staged:
            _extract(tarball, staged)
    return folder


def _npm_error(stderr: str) -> str:
    """The informative part of npm's error output, on one line: its error code and first message.

    Examples:
    >>> _npm_error("npm error code ECONNREFUSED\\nnpm error syscall connect\\n"
    ...            "npm error FetchError: request to http://x/ failed\\nnpm error     at ClientRequest (a.js:1)")
    'ECONNREFUSED: FetchError: request to http://x/ failed'
    """
    skip = ("code ", "syscall ", "errno ", "at ", "{", "}", "code:", "errno:", "syscall:", "address:", "port:",
            "type:", "A complete log", "If you are behind a proxy")
    lines = [ln.split(" ", 2)[2].strip() for ln in stderr.splitlines()
             if ln.startswith(("npm error ", "npm ERR! ")) and len(ln.split(" ", 2)) > 2]
    code = next((ln[5:] for ln in lines if ln.startswith("code ")), None)
    message = next((ln for ln in lines if ln and not ln.startswith(skip)), None)
    text = ": ".join(x for x in (code, message) if x) or (stderr.strip().splitlines() or ["no output"])[-1]
    return text[:240]


def _npm_pack(dest: Path) -> Path:
    spec = f"{ORT_PACKAGE}@{ORT_VERSION}"
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeFetchError(f"npm not found: the site build fetches {spec} from the npm registry once "
                                f"(then caches it in {cache_root()}); install Node.js and npm")
    try:
        proc = subprocess.run([npm, "pack", spec, "--pack-destination", str(dest), "--loglevel=error"], cwd=dest,
                              capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RuntimeFetchError(f"npm pack {spec} took over {NPM_TIMEOUT_S} s (no network?)") from None
    tarball = dest / f"{ORT_PACKAGE}-{ORT_VERSION}.tgz"
    if proc.returncode != 0 or not tarball.exists():
        raise RuntimeFetchError(f"cannot fetch {spec} with npm (no network or registry?): {_npm_error(proc.stderr)}")
    got = integrity_of(tarball.read_bytes())
    if got != ORT_INTEGRITY:
        raise RuntimeFetchError(f"{spec} from npm has integrity {got[:30]}..., expected {ORT_INTEGRITY[:30]}...; "
                                "not using it")
    return tarball


def _extract(tarball: Path, folder: Path) -> None:
    with tarfile.open(tarball, "r:gz") as tar:
        for name in ORT_FILES:
            member = tar.extractfile(f"package/dist/{name}")
            if member is None:
                raise RuntimeFetchError(f"{tarball.name} lacks dist/{name}")
            (folder / name).write_bytes(member.read())
    (folder / "NOTICE.txt").write_text(NOTICE)
